"""Tests for the installable package: the built wheel, where shipped models are found, and ``rnaapp app``.

The wheel is built the way ``python -m build`` does it (an sdist first, then the wheel from the unpacked
sdist, so ``MANIFEST.in`` is checked too), offline and in a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

import rnaapp.launch
import rnaapp.registry.locations
from rnaapp.cli import build_parser, main
from rnaapp.launch import AppFiles, app_command, app_files, config_options
from rnaapp.registry import shipped_directory

from .conftest import REPOSITORY

WEIGHTS = REPOSITORY / "weights"


def shipped_listing() -> list[str]:
    """Names of the files that the checkout ships in ``weights/``."""
    return sorted(path.name for pattern in ("*.json", "*.safetensors") for path in WEIGHTS.glob(pattern))


def app_listing() -> list[str]:
    """The app's files, relative to the repository root."""
    pages = sorted(f"pages/{path.name}" for path in (REPOSITORY / "pages").glob("*.py"))
    return ["app.py", *pages, ".streamlit/config.toml"]


# ---------------------------------------------------------------------------------------------------------
# The wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from an sdist of the checkout, offline."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools (requirements-dev.txt)")
    folder = tmp_path_factory.mktemp("build")
    sdist = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
            str(folder),
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sdist.returncode == 0, sdist.stderr[-4000:]
    with tarfile.open(folder / sdist.stdout.strip().splitlines()[-1]) as archive:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python 3.11.4+
        archive.extractall(folder / "sdist", **safe)
    (source,) = (folder / "sdist").iterdir()
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--quiet", "-w", str(folder / "wheel")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    (path,) = (folder / "wheel").glob("rnaapp-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_carries_every_shipped_model_and_the_app(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        weights = sorted(
            name.removeprefix("rnaapp/_shipped/weights/")
            for name in names
            if name.startswith("rnaapp/_shipped/weights/")
        )
        assert weights == shipped_listing()
        assert "defaults.json" in weights
        models = {Path(name).stem for name in weights if name.endswith(".safetensors")}
        assert models == {Path(name).stem for name in weights if name.endswith(".json")} - {"defaults"}
        for name in weights:
            assert archive.read(f"rnaapp/_shipped/weights/{name}") == (WEIGHTS / name).read_bytes(), name
        for name in app_listing():
            assert archive.read(f"rnaapp/_shipped/app/{name}") == (REPOSITORY / name).read_bytes(), name
        modules = {path.relative_to(REPOSITORY).as_posix() for path in (REPOSITORY / "rnaapp").rglob("*.py")}
        assert modules - names == set(), "modules missing from the wheel (a folder without __init__.py?)"
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        assert "rnaapp = rnaapp.cli:main" in archive.read(entry_points).decode()
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        requirements = [
            line.removeprefix("Requires-Dist: ")
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: ")
        ]
    core = {
        requirement.split(">")[0].split("<")[0]
        for requirement in requirements
        if "extra ==" not in requirement
    }
    assert {"torch", "streamlit", "altair", "openpyxl", "pandas"} <= core
    assert all(any(sign in requirement for sign in "<>=") for requirement in requirements), requirements


@pytest.mark.slow
def test_the_installed_package_finds_its_models_and_its_app(wheel, tmp_path):
    """The wheel's rnaapp, imported from outside any checkout, lists the shipped models from its own copy."""
    installed = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import rnaapp"
        "; from rnaapp.registry import list_models, shipped_directory; from rnaapp.launch import app_files"
        "; files = app_files()"
        "; print(json.dumps({'package': rnaapp.__file__, 'weights': str(shipped_directory()),"
        " 'models': sorted(card.name for card in list_models()), 'app': str(files.script),"
        " 'config': str(files.config)}))"
    )
    environment = {key: value for key, value in os.environ.items() if key != "RNAAPP_WEIGHTS"}
    environment["RNAAPP_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-c", script, str(installed)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    package = installed / "rnaapp"
    assert found["package"] == str(package / "__init__.py")
    assert found["weights"] == str(package / "_shipped" / "weights")
    assert found["models"] == sorted(path.stem for path in WEIGHTS.glob("*.safetensors"))
    assert found["app"] == str(package / "_shipped" / "app" / "app.py")
    assert found["config"] == str(package / "_shipped" / "app" / ".streamlit" / "config.toml")


# ---------------------------------------------------------------------------------------------------------
# Where the shipped models are found


def test_the_environment_variable_overrides_the_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(tmp_path))
    assert shipped_directory() == tmp_path


def test_a_checkout_uses_its_own_weights_folder(monkeypatch):
    monkeypatch.delenv("RNAAPP_WEIGHTS", raising=False)
    assert rnaapp.registry.locations.checkout_weights_directory() == WEIGHTS
    assert shipped_directory() == WEIGHTS


def test_outside_a_checkout_the_installed_copy_is_used(monkeypatch):
    monkeypatch.delenv("RNAAPP_WEIGHTS", raising=False)
    monkeypatch.setattr(rnaapp.registry.locations, "checkout_weights_directory", lambda: None)
    installed = Path(rnaapp.registry.__file__).resolve().parents[1] / "_shipped" / "weights"
    assert shipped_directory() == installed == rnaapp.registry.locations.installed_weights_directory()


# ---------------------------------------------------------------------------------------------------------
# rnaapp app


def settings_of(config: Path) -> list[str]:
    values = tomllib.loads(config.read_text(encoding="utf-8"))
    return [
        f"--{section}.{key}={str(value).lower() if isinstance(value, bool) else value}"
        for section, settings in values.items()
        for key, value in settings.items()
    ]


def test_the_app_command_runs_streamlit_on_localhost_with_the_apps_settings():
    command = app_command()
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert command[-1] == str(REPOSITORY / "app.py")
    settings = settings_of(REPOSITORY / ".streamlit" / "config.toml")
    assert "--server.headless=true" in settings and "--theme.font=sans serif" in settings
    assert command[4 : 4 + len(settings)] == settings
    assert command[4 + len(settings) :] == ["--server.address", "localhost", str(REPOSITORY / "app.py")]


def test_port_address_and_streamlit_options_on_the_command_line():
    arguments = build_parser().parse_args(
        ["app", "--port", "8765", "--address", "0.0.0.0", "--", "--theme.base=dark", "--", "script-argument"]
    )
    command = app_command(port=arguments.port, address=arguments.address, extra=arguments.streamlit_args)
    script = command.index(str(REPOSITORY / "app.py"))
    assert command[script - 4 : script] == ["--server.address", "0.0.0.0", "--server.port", "8765"]
    # Passed on after rnaapp's settings, so they win over them (the last --theme.base counts).
    assert command[script + 1 :] == ["--theme.base=dark", "--", "script-argument"]


def test_bad_ports_are_refused():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["app", "--port", "0"])
    with pytest.raises(ValueError, match="port 70000"):
        app_command(port=70000)


def test_rnaapp_app_runs_the_launchers_command(monkeypatch):
    commands = []
    monkeypatch.setattr(rnaapp.launch, "run_app", lambda command: commands.append(command) or 0)
    assert main(["app", "--port", "8765"]) == 0
    assert commands == [app_command(port=8765)]


def test_config_options_of_a_settings_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[server]\nheadless = false\nport = 9000\n[theme]\nfont = "serif"\n', encoding="utf-8")
    assert config_options(config) == ["--server.headless=false", "--server.port=9000", "--theme.font=serif"]
    assert config_options(tmp_path / "missing.toml") == []
    config.write_text('[server]\nfolderWatchList = ["a"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="server.folderWatchList"):
        config_options(config)
    config.write_text("[server\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid Streamlit settings file"):
        config_options(config)


def test_a_missing_app_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="reinstall rnaapp"):
        app_files(tmp_path)
    (tmp_path / "app.py").write_text("", encoding="utf-8")
    assert app_files(tmp_path) == AppFiles(tmp_path / "app.py", tmp_path / ".streamlit" / "config.toml")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def health(port: int) -> str:
    with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as response:
        return response.read().decode()


@pytest.mark.slow
def test_rnaapp_app_starts_answers_on_localhost_and_stops(tmp_path):
    port = free_port()
    environment = os.environ | {"RNAAPP_HOME": str(tmp_path / "home")}
    # From a folder without .streamlit/: the settings come from the command line alone.
    process = subprocess.Popen(
        [sys.executable, "-m", "rnaapp", "app", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while answer is None and time.monotonic() < deadline and process.poll() is None:
            try:
                answer = health(port)
            except OSError:
                time.sleep(0.2)
        assert answer == "ok", process.stdout.read().decode() if process.poll() is not None else "no answer"
        process.terminate()
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if os.name == "posix":  # rnaapp app became the server: stopping it stopped the server
        with pytest.raises(OSError):
            health(port)
