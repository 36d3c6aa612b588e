"""What the browser tests share: Debian chromium driven by Playwright against ``streamlit run app.py``.

Importing this module skips the importing test module when chromium or the ``playwright`` package is
missing. Test modules import the fixtures (``app_home``, ``app_url``, ``browser``, ``page``) and the helpers
they use; each module gets its own server (module-scoped) with an isolated ``RNAAPP_HOME``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPOSITORY

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "Debian chromium not installed (apt-get install chromium); .ci/run installs it",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install -r requirements-dev.txt)"
)

expect = sync_api.expect

#: Where the screenshots of every flow are saved (git-ignored).
SCREENSHOTS = REPOSITORY / "test-output" / "browser"

#: Flags for a headless chromium on a closed network (no GPU, no sandbox, no background downloads).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Milliseconds to wait for the app to draw something after an action (models load on first use).
TIMEOUT_MS = 60_000


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(url: str, server: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Wait until Streamlit answers ``/_stcore/health`` (fail with its log when it dies or hangs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_home(tmp_path_factory) -> Path:
    """The isolated user model store of the app under test."""
    return tmp_path_factory.mktemp("browser") / "home"


@pytest.fixture(scope="module")
def app_url(app_home) -> Iterator[str]:
    """URL of ``streamlit run app.py`` on a free port; the server is stopped at the end of the module."""
    for stale in SCREENSHOTS.glob("FAILED-*"):
        stale.unlink()  # from an earlier run
    port = free_port()
    log = app_home.parent / "streamlit.log"
    environment = os.environ | {"RNAAPP_HOME": str(app_home), "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, server, log)
        yield url
    finally:
        stop(server)
        stop_training_jobs(app_home / "jobs")


def stop(server: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def stop_training_jobs(jobs: Path) -> None:
    """Stop training jobs the app started that still run (they live in their own sessions)."""
    for spec in jobs.glob("*/spec.json"):
        pid = json.loads(spec.read_text()).get("pid")
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's chromium, headless, driven by Playwright (which downloads nothing)."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, app_url, app_home, request) -> Iterator:
    """A fresh browser tab (own session) at a desktop size, with the app's URL as base.

    When the test fails, the tab's screenshot and the server log are saved as ``FAILED-<test>.png`` and
    ``FAILED-<test>.log`` beside the other screenshots.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=app_url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    failures = request.session.testsfailed
    yield tab
    if request.session.testsfailed > failures:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(sync_api.Error):
            tab.screenshot(path=SCREENSHOTS / f"FAILED-{request.node.name}.png", full_page=True)
        log = app_home.parent / "streamlit.log"
        if log.is_file():
            (SCREENSHOTS / f"FAILED-{request.node.name}.log").write_text(log.read_text())
    context.close()


def open_app(page, path: str = "/") -> None:
    """Load the app (or one page of it) and wait until Streamlit has drawn it."""
    page.goto(path)
    page.locator('[data-testid="stApp"]').wait_for()
    page.get_by_role("link", name="Predict").first.wait_for()
    wait_idle(page)


def wait_idle(page, start_ms: int = 1_500) -> None:
    """Wait until Streamlit has finished the current run (its "running" widget is gone)."""
    status = page.locator('[data-testid="stStatusWidget"]')
    try:
        status.wait_for(state="visible", timeout=start_ms)
    except sync_api.TimeoutError:
        pass  # the run ended (or never started) before we looked
    status.wait_for(state="hidden", timeout=TIMEOUT_MS)


def go_to(page, link: str, heading: str) -> None:
    """Follow a sidebar navigation link and wait for the page's title."""
    page.get_by_role("link", name=link).first.click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for()
    wait_idle(page)


def choose(page, label: str, option: str, main: bool = False) -> None:
    """Pick the option starting with ``option`` in the selectbox labelled ``label``."""
    scope = page.locator('[data-testid="stMain"]') if main else page
    scope.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_idle(page)


def assert_no_exception(page) -> None:
    """The page shows no traceback."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()


def screenshot(page, name: str) -> Path:
    """A screenshot of the whole page (Streamlit scrolls inside its main area, not the document)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stSidebarContent'].map("
        'id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))'
    )
    page.set_viewport_size(
        {"width": viewport["width"], "height": min(max(height, viewport["height"]), 8_000)}
    )
    page.wait_for_timeout(300)  # let charts re-layout
    page.screenshot(path=path)
    page.set_viewport_size(viewport)
    return path
