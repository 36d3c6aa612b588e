"""Load test of the app: rounds of concurrent browser sessions on the Predict page, and the server's memory.

The script starts ``streamlit run app.py`` itself (as ``tests/test_browser.py`` does: a free local port on
127.0.0.1, an isolated ``RNAAPP_HOME``), waits for ``/_stcore/health``, then runs ``--rounds`` rounds of
``--sessions`` sessions at once. Every session is its own browser context (own cookies and websocket, so
its own Streamlit session) of one headless Debian chromium (``/usr/bin/chromium``) driven by Playwright's
async API; Playwright never downloads a browser. A session opens the Predict page, pastes let-7a-5p
(``UGAGGUAGUAGGUUGUAUAGUU``) and a 48-nt target holding one 8mer site (``CUACCUCA``) between random flanks
(another per session and round, so that no session is answered from another one's ``st.cache_data``
entry; ``--same-target`` pastes the built-in example to every session instead), and once every session
of the round is ready they all click **Predict** together. The time to result runs from the click until
the first score (``stMetric``) is shown; a session that shows an error, a traceback or no score within
``--timeout`` seconds is a failure. Each session then waits until the page has finished drawing and
closes its context; the round ends when all have. A failed session's error says which task and models
the page showed; its screenshot (``round<R>-session<S>.png``) goes to ``test-output/load_test/``, beside the server log
of the last run (``streamlit.log``).

After each round the server's memory is read: the resident set size (``VmRSS`` of ``/proc/PID/status``)
of the Streamlit process plus its child processes, and its number of threads. Streamlit keeps the state
of a closed session for ``server.disconnectedSessionTTL`` seconds (120 by default) before it may drop it,
so ``--idle SECONDS`` reads the memory once more after the last round, after that long without sessions.

Run: ``python bench/load_test.py [--rounds N] [--sessions S] [--json PATH] [--docs]`` (section
``load-test`` of docs/benchmarks.md). The browsers run on the same machine as the server, so on a small
machine the timings measure both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a headless chromium on a closed network (the ones of tests/test_browser.py).
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
#: let-7a-5p, the miRNA every session pastes.
MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"
#: The let-7a 8mer site (seed match of nucleotides 2-8 and an A across position 1).
SITE = "CUACCUCA"
#: Labels of the Predict page's inputs (pages/predict.py).
MIRNA_LABEL = "miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p"
TARGET_LABEL = "Target (5'→3'): a site or a whole transcript"
#: What an error looks like on a page: an ``st.error`` box or a traceback.
ERROR_SELECTOR = '[data-testid="stAlertContentError"], [data-testid="stException"]'
#: Where a failed session's screenshot and the server log of the last run are saved (git-ignored).
#: The note Predict shows when it was pressed with no model chosen (it then uses the task's default).
DEFAULTED_NOTE = "No model was chosen, so the task's default was used"
FAILURES = REPOSITORY / "test-output" / "load_test"
#: The figures measured before this script, quoted from issue 20 (its probe: the same 2-core machine).
BEFORE = {
    "source": "issue 20 probe",
    "rounds": 3,
    "sessions": 10,
    "failures": 0,
    "fastest_s": 3.4,
    "slowest_s": 11.2,
    "rss_mb": [638.0, 685.0, 702.0],
    "note": "browsers on the same 2 cores; the time range spans all three rounds",
}


@dataclass
class Session:
    """What one browser session measured (times in seconds; ``error`` is None for a success)."""

    load_s: float | None = None
    result_s: float | None = None
    done_s: float | None = None
    score: float | None = None
    error: str | None = None
    #: Predict found no model chosen and used the task's default (the page's note was shown).
    defaulted: bool = False


@dataclass
class Round:
    """One round: its sessions and the server's memory once they had all closed."""

    number: int
    sessions: list[Session] = field(default_factory=list)
    rss_mb: float | None = None
    threads: int | None = None
    wall_s: float | None = None

    def summary(self) -> dict[str, Any]:
        """The round's figures: failures and fastest / median / slowest time to result of the successes."""
        times = [session.result_s for session in self.sessions if session.error is None]
        done = [session.done_s for session in self.sessions if session.error is None and session.done_s]
        return {
            "round": self.number,
            "sessions": len(self.sessions),
            "failures": sum(session.error is not None for session in self.sessions),
            "defaulted": sum(session.defaulted for session in self.sessions),
            "fastest_s": min(times) if times else None,
            "median_s": statistics.median(times) if times else None,
            "slowest_s": max(times) if times else None,
            "median_done_s": statistics.median(done) if done else None,
            "rss_mb": self.rss_mb,
            "threads": self.threads,
            "wall_s": self.wall_s,
        }


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring).

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    argparse.Namespace
        ``rounds``, ``sessions``, ``timeout``, ``idle``, ``seed``, ``same_target``, ``json``, ``docs``,
        ``server_env`` (``KEY=VALUE`` strings) and ``port`` (None: a free one).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent sessions (default 3)")
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions per round (default 10)")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds a session may wait for its score (default 120)"
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=0.0,
        help="after the last round, wait this long without sessions and read the memory again (default 0: no)",
    )
    parser.add_argument("--seed", type=int, default=20, help="seed of the random target flanks (default 20)")
    parser.add_argument(
        "--same-target",
        action="store_true",
        help="every session pastes the built-in example target (answers come from st.cache_data)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable of the server (repeatable; e.g. MALLOC_ARENA_MAX=2)",
    )
    parser.add_argument("--port", type=int, help="port of the server (default: a free one)")
    parser.add_argument(
        "--app",
        type=Path,
        default=REPOSITORY / "app.py",
        help="the app script to serve, run from its folder (default: app.py; e.g. an instrumented copy)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the measured numbers as JSON")
    parser.add_argument(
        "--docs",
        action="store_true",
        help="also write the output into docs/benchmarks.md (section load-test)",
    )
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1 or arguments.sessions < 1:
        parser.error("--rounds and --sessions must be at least 1")
    for item in arguments.server_env:
        if "=" not in item:
            parser.error(f"--server-env {item!r}: expected KEY=VALUE")
    return arguments


def target_for(round_number: int, session: int, seed: int = 20) -> str:
    """A 48-nt target: 20 random nucleotides, the let-7a 8mer site, 20 more (another per round and session).

    The flanks add no other let-7a seed match (no second ``UACCUC`` 6mer nor ``CUACCU`` offset 6mer), so
    each target has exactly one site, the 8mer.
    """
    generator = random.Random(f"{seed}/{round_number}/{session}")
    while True:
        left, right = ("".join(generator.choice("ACGU") for _ in range(20)) for _ in range(2))
        target = left + SITE + right
        if target.count("UACCUC") == 1 and target.count("CUACCU") == 1:
            return target


def process_rss_kb(pid: int) -> tuple[int, int]:
    """``VmRSS`` (kB) and ``Threads`` of a process, from ``/proc/PID/status`` ((0, 0) when it has gone)."""
    rss = threads = 0
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0, 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("Threads:"):
            threads = int(line.split()[1])
    return rss, threads


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, their children, ...), from the parent ids in ``/proc``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state
        parents.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], list(parents.get(pid, []))
    while waiting:
        child = waiting.pop()
        found.append(child)
        waiting.extend(parents.get(child, []))
    return found


def tree_memory(pid: int) -> tuple[float, int]:
    """Resident memory (MB, 1 MB = 1024 kB) of a process and its descendants, and the threads of ``pid``.

    Pages shared between a parent and a forked child count once per process (the sum of ``VmRSS``).
    """
    rss, threads = process_rss_kb(pid)
    total = rss + sum(process_rss_kb(child)[0] for child in descendants(pid))
    return total / 1024, threads


def plateau_verdict(rss_mb: Sequence[float | None], window: int = 3, tolerance_mb: float = 25.0) -> str:
    """Whether the memory after each round has stopped growing.

    It has when the readings of the last ``window`` rounds lie within ``tolerance_mb`` of each other.

    Parameters
    ----------
    rss_mb
        The memory after each round, in order (None: not read).
    window
        How many of the last rounds to compare.
    tolerance_mb
        The spread (MB) below which the memory counts as flat.

    Returns
    -------
    str
        One sentence, starting with ``plateaus``, ``still growing``, ``falls`` or ``too few rounds``.
    """
    readings = [value for value in rss_mb if value is not None]
    if len(readings) < window + 1:
        return f"too few rounds to tell (need at least {window + 1})"
    last = readings[-window:]
    spread = max(last) - min(last)
    change = last[-1] - last[0]
    growth = readings[-1] - readings[0]
    if spread <= tolerance_mb:
        return (
            f"plateaus: the last {window} rounds lie within {spread:.0f} MB (<= {tolerance_mb:.0f} MB) of "
            f"each other; {growth:+.0f} MB from round 1 to round {len(readings)}"
        )
    if change < 0:
        return f"falls: {change:+.0f} MB over the last {window} rounds ({growth:+.0f} MB since round 1)"
    return f"still growing: {change:+.0f} MB over the last {window} rounds ({growth:+.0f} MB since round 1)"


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def format_report(results: Mapping[str, Any]) -> str:
    """The measured table, the figures of the issue 20 probe beside it, and the verdict on memory growth.

    Parameters
    ----------
    results
        What :func:`measure` returns (``settings``, ``machine``, ``start_rss_mb``, ``rounds``, ``idle``),
        with ``before`` (default: :data:`BEFORE`).

    Returns
    -------
    str
        Plain text (fixed-width tables), as printed and as written into docs/benchmarks.md.
    """
    settings, machine = results["settings"], results["machine"]
    before = results.get("before", BEFORE)
    lines = [
        f"{settings['rounds']} rounds x {settings['sessions']} concurrent sessions (one browser context each, "
        f"one headless chromium) on Predict: let-7a-5p x "
        + ("the built-in example target" if settings["same_target"] else "a new 48-nt target with one 8mer")
        + f"; timeout {settings['timeout_s']:.0f} s.",
        f"Machine: {machine['cpus']} CPU cores shared by the server, the browsers and other work "
        f"(load average {machine['load_before']} before, {machine['load_after']} after); timings are noisy.",
        f"Time to result: from the click on Predict to the first score shown. Server memory: VmRSS of the "
        f"Streamlit process and its children; {results['start_rss_mb']:.0f} MB before round 1.",
        "",
        "measured",
        "round  sessions  failures  fastest s  median s  slowest s  page done s  server MB  threads",
    ]
    for row in results["rounds"]:
        lines.append(
            f"{row['round']:>5}  {row['sessions']:>8}  {row['failures']:>8}  {_number(row['fastest_s']):>9}  "
            f"{_number(row['median_s']):>8}  {_number(row['slowest_s']):>9}  "
            f"{_number(row['median_done_s']):>11}  {_number(row['rss_mb'], 0):>9}  "
            f"{row['threads'] if row['threads'] is not None else '—':>7}"
        )
    idle = results.get("idle")
    if idle:
        lines.append(
            f"after {idle['seconds']:.0f} s without sessions: server {idle['rss_mb']:.0f} MB, "
            f"{idle['threads']} threads"
        )
    errors = [
        f"round {row['round']}: {error}" for row in results["rounds"] for error in row.get("errors", [])
    ]
    if errors:
        lines.append("failures: " + "; ".join(errors))
    defaulted = [
        f"round {row['round']}: {row['defaulted']}" for row in results["rounds"] if row.get("defaulted")
    ]
    lines.append(
        "sessions whose model choice was empty at the click (Predict used the task's default and said so): "
        + ("; ".join(defaulted) if defaulted else "none")
    )
    lines += [
        f"memory: {plateau_verdict([row['rss_mb'] for row in results['rounds']])}",
        "",
        f"before ({before['source']}): {before['rounds']} rounds x {before['sessions']} sessions, "
        f"{before['failures']} failures, {before['fastest_s']}–{before['slowest_s']} s to result "
        f"({before['note']}); server " + " → ".join(f"{value:.0f}" for value in before["rss_mb"]) + " MB",
    ]
    if results.get("cards_changed"):
        lines.append(
            "note: model cards in weights/ changed during the run (the app reloads a model whose card "
            "changed): " + ", ".join(results["cards_changed"])
        )
    return "\n".join(lines)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    port: int, home: Path, log: Path, extra_env: Mapping[str, str], app: Path = REPOSITORY / "app.py"
) -> subprocess.Popen:
    """``streamlit run APP`` on 127.0.0.1:``port`` with ``RNAAPP_HOME=home``, in its own process group."""
    environment = os.environ | {"RNAAPP_HOME": str(home), "PYTHONUNBUFFERED": "1"} | dict(extra_env)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app.name,
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
        return subprocess.Popen(
            command,
            cwd=app.resolve().parent,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_health(url: str, server: subprocess.Popen, log: Path, timeout: float = 60.0) -> float:
    """Wait until Streamlit answers ``/_stcore/health``; the seconds it took (exit with its log otherwise)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"streamlit did not answer within {timeout:.0f} s:\n{log.read_text()}")


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


async def wait_idle(page: Any, timeout_ms: float, start_ms: int = 1_500) -> None:
    """Wait until Streamlit has finished the current run (its "running" widget is gone)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    status = page.locator('[data-testid="stStatusWidget"]')
    try:
        await status.wait_for(state="visible", timeout=start_ms)
    except PlaywrightTimeout:
        pass  # the run ended (or never started) before we looked
    await status.wait_for(state="hidden", timeout=timeout_ms)


async def open_predict(browser: Any, url: str, target: str, timeout_s: float) -> tuple[Any, Any, Session]:
    """A new context on the Predict page with the miRNA and the target pasted (not yet predicted)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=url)
    context.set_default_timeout(timeout_s * 1000)
    session = Session()
    started = time.perf_counter()
    try:
        page = await context.new_page()
        await page.goto("/")
        await page.get_by_role("heading", name="Predict a miRNA–target interaction").wait_for()
        await wait_idle(page, timeout_s * 1000)
        for label, value in ((MIRNA_LABEL, MIRNA), (TARGET_LABEL, target)):
            box = page.get_by_label(label, exact=True)
            await box.fill(value)
            await box.press("Tab")
        await wait_idle(page, timeout_s * 1000)
        session.load_s = time.perf_counter() - started
    except Exception as error:  # noqa: BLE001 - any failure of a session is recorded, not raised
        session.error = f"page did not load: {type(error).__name__}: {flat(str(error).splitlines()[0])}"
        page = None
    return context, page, session


def flat(text: str, limit: int = 160) -> str:
    """A message on one line (icons and line breaks of Streamlit's boxes dropped), cut at ``limit``."""
    words = [word for word in text.split() if any(character.isalnum() for character in word)]
    return " ".join(words)[:limit]


async def page_state(page: Any) -> str:
    """What the Predict page shows as chosen: the task (checked radio) and the models (multiselect tags)."""
    try:
        task = await page.locator('[data-testid="stRadio"] input:checked').evaluate_all(
            "inputs => inputs.map(input => input.closest('label')?.innerText ?? '?')"
        )
        models = await page.locator('[data-testid="stMultiSelect"] [data-baseweb="tag"]').all_inner_texts()
    except Exception as error:  # noqa: BLE001 - the page may be gone
        return f"page state unreadable: {type(error).__name__}"
    return f"task shown: {', '.join(flat(text) for text in task) or 'none'}; models shown: " + (
        ", ".join(flat(text) for text in models) or "none"
    )


async def predict(page: Any, session: Session, timeout_s: float, screenshot: Path | None = None) -> None:
    """Click Predict and wait for the first score (or an error); then for the page to finish drawing.

    A failure is recorded in ``session.error`` with what the page showed as chosen, and the page is saved
    to ``screenshot`` (when given).
    """
    started = time.perf_counter()
    errors = page.locator(ERROR_SELECTOR)
    try:
        await page.get_by_role("button", name="Predict", exact=True).click()
        shown = page.locator('[data-testid="stMetric"]').first.or_(errors.first)
        await shown.wait_for(timeout=timeout_s * 1000)
        session.result_s = time.perf_counter() - started
        if not await errors.count():
            metric = (await page.locator('[data-testid="stMetric"]').first.inner_text()).split("\n", 1)
            session.score = float(metric[1].strip())
            await wait_idle(page, timeout_s * 1000, start_ms=200)
            session.done_s = time.perf_counter() - started
            session.defaulted = bool(await page.get_by_text(DEFAULTED_NOTE).count())
        if await errors.count():
            session.error = "error shown: " + flat(await errors.first.inner_text())
    except Exception as error:  # noqa: BLE001 - any failure of a session is recorded, not raised
        session.error = f"no score: {type(error).__name__}: {flat(str(error).splitlines()[0])}"
    if session.error is not None:
        session.error += f" ({await page_state(page)})"
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                await page.screenshot(path=screenshot, full_page=True)


async def run_round(
    browser: Any, url: str, number: int, arguments: argparse.Namespace, example_target: str
) -> Round:
    """One round: open every session, click Predict in all of them together, close them all."""
    result = Round(number)
    started = time.perf_counter()
    targets = [
        example_target if arguments.same_target else target_for(number, index, arguments.seed)
        for index in range(arguments.sessions)
    ]
    opened = await asyncio.gather(
        *(open_predict(browser, url, target, arguments.timeout) for target in targets)
    )
    await asyncio.gather(
        *(
            predict(page, session, arguments.timeout, FAILURES / f"round{number}-session{index + 1}.png")
            for index, (_, page, session) in enumerate(opened)
            if session.error is None
        )
    )
    await asyncio.gather(*(context.close() for context, _, _ in opened), return_exceptions=True)
    result.sessions = [session for _, _, session in opened]
    result.wall_s = time.perf_counter() - started
    return result


def card_times() -> dict[str, float]:
    """Modification time of every shipped model card (the app reloads a model whose card changes)."""
    return {path.name: path.stat().st_mtime for path in sorted((REPOSITORY / "weights").glob("*.json"))}


def load_average() -> str:
    """The 1-minute load average of the machine."""
    return f"{os.getloadavg()[0]:.1f}"


async def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    """Start the server, run the rounds, read the memory; the measured numbers (see :func:`format_report`)."""
    from playwright.async_api import async_playwright

    from rnaapp.examples import EXAMPLES

    if not CHROMIUM.is_file():
        raise SystemExit(f"{CHROMIUM} not found (apt-get install chromium)")
    extra_env = dict(item.split("=", 1) for item in arguments.server_env)
    for stale in (*FAILURES.glob("round*-session*.png"), FAILURES / "streamlit.log"):
        stale.unlink(missing_ok=True)  # from an earlier run
    cards = card_times()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="rnaapp-load-") as directory:
        home, log = Path(directory) / "home", Path(directory) / "streamlit.log"
        port = arguments.port or free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(port, home, log, extra_env, arguments.app)
        rounds: list[Round] = []
        try:
            health_s = wait_for_health(url, server, log)
            start_rss, start_threads = tree_memory(server.pid)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                try:
                    for number in range(1, arguments.rounds + 1):
                        done = await run_round(browser, url, number, arguments, EXAMPLES[0].target_seq)
                        await asyncio.sleep(1.0)  # let the server finish what the closed sessions left
                        done.rss_mb, done.threads = tree_memory(server.pid)
                        rounds.append(done)
                        summary = done.summary()
                        print(
                            f"round {number}: {summary['failures']} failures, median "
                            f"{_number(summary['median_s'])} s, server {done.rss_mb:.0f} MB",
                            file=sys.stderr,
                        )
                finally:
                    await browser.close()
            idle = None
            if arguments.idle > 0:
                await asyncio.sleep(arguments.idle)
                idle_rss, idle_threads = tree_memory(server.pid)
                idle = {"seconds": arguments.idle, "rss_mb": idle_rss, "threads": idle_threads}
            if server.poll() is not None:
                raise SystemExit(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        finally:
            stop_server(server)
            FAILURES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, FAILURES / "streamlit.log")
            if any(session.error for done in rounds for session in done.sessions):
                print(f"failures: screenshots and the server log in {FAILURES}", file=sys.stderr)
    changed = [name for name, stamp in card_times().items() if cards.get(name) != stamp]
    return {
        "settings": {
            "rounds": arguments.rounds,
            "sessions": arguments.sessions,
            "timeout_s": arguments.timeout,
            "same_target": arguments.same_target,
            "seed": arguments.seed,
            "server_env": extra_env,
            "browser": "one headless chromium, one browser context per session",
        },
        "machine": {"cpus": os.cpu_count(), "load_before": load_before, "load_after": load_average()},
        "health_s": health_s,
        "start_rss_mb": start_rss,
        "start_threads": start_threads,
        "rounds": [
            done.summary() | {"errors": [s.error for s in done.sessions if s.error]} for done in rounds
        ],
        "session_details": [[asdict(session) for session in done.sessions] for done in rounds],
        "idle": idle,
        "cards_changed": changed,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Measure, print the report, and write it as JSON (``--json``) and into docs/benchmarks.md (``--docs``)."""
    arguments = parse_arguments(argv)
    results = asyncio.run(measure(arguments))
    results["before"] = BEFORE
    results["memory"] = plateau_verdict([row["rss_mb"] for row in results["rounds"]])
    report = format_report(results)
    print(report)
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {arguments.json}", file=sys.stderr)
    if arguments.docs:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import doc_sections

        doc_sections.replace_section("load-test", doc_sections.fenced(report))


if __name__ == "__main__":
    main()
