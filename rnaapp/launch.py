"""Start the app (``rnaapp app``): ``python -m streamlit run app.py`` with rnaapp's Streamlit settings.

The app is the checkout's ``app.py`` when rnaapp is imported from a source checkout (``app.py`` and
``pyproject.toml`` beside the package), else the copy installed with the package
(``rnaapp/_shipped/app``, put there when the wheel is built; see ``setup.py``).

Streamlit reads ``.streamlit/config.toml`` from the working directory, which for an installed rnaapp is the
user's, not the app's. So the settings of the app's own ``.streamlit/config.toml`` are passed as command-line
options instead, whatever the working directory. The app listens on ``localhost`` only, unless an address
is given deliberately to share it on a network.

This is the only module that knows how to start the app; it imports neither streamlit nor torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

#: The address the app listens on unless told otherwise: this computer only.
DEFAULT_ADDRESS = "localhost"

#: Folder of the installed app inside the package (see ``setup.py``).
INSTALLED_APP_FOLDER = ("_shipped", "app")

#: Seconds that Streamlit may take to shut down after Ctrl-C before it is killed (not on POSIX: see run_app).
SHUTDOWN_SECONDS = 10.0


@dataclass(frozen=True)
class AppFiles:
    """Where the app is: its main script and its Streamlit settings."""

    script: Path
    config: Path


def app_files(root: Path | None = None) -> AppFiles:
    """The app to start: the checkout's, else the installed copy.

    Parameters
    ----------
    root
        A folder holding ``app.py`` and ``.streamlit/config.toml`` to use instead (for tests).

    Returns
    -------
    AppFiles
        The main script and its ``config.toml`` (which may be missing: then no settings are passed).

    Raises
    ------
    FileNotFoundError
        When there is no ``app.py`` (a broken installation), saying how to fix it.
    """
    if root is None:
        checkout = Path(__file__).resolve().parents[1]
        if (checkout / "pyproject.toml").is_file() and (checkout / "app.py").is_file():
            root = checkout
        else:
            installed = resources.files("rnaapp").joinpath(*INSTALLED_APP_FOLDER)
            root = Path(str(installed))  # wheels are installed as plain files: a real folder
    script = root / "app.py"
    if not script.is_file():
        raise FileNotFoundError(
            f"the app is missing ({script} not found); reinstall rnaapp (pip install rnaapp's folder or wheel)"
        )
    return AppFiles(script=script, config=root / ".streamlit" / "config.toml")


def config_options(config: Path) -> list[str]:
    """The settings of a Streamlit ``config.toml`` as ``streamlit run`` options (``--section.key=value``).

    Parameters
    ----------
    config
        The file; a missing file gives no options.

    Returns
    -------
    list of str
        One option per setting, in the file's order; booleans written ``true``/``false`` as in TOML.

    Raises
    ------
    ValueError
        For a file that is not valid TOML, or a setting that is not a section's text, number or boolean.
    """
    if not config.is_file():
        return []
    try:
        values = tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{config} is not a valid Streamlit settings file: {error}") from error
    options = []
    for section, settings in values.items():
        if not isinstance(settings, dict):
            raise ValueError(f"{config}: '{section}' is not a [section] of settings")
        for key, value in settings.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (str, int, float)):
                text = str(value)
            else:
                raise ValueError(f"{config}: {section}.{key} cannot be passed on the command line")
            options.append(f"--{section}.{key}={text}")
    return options


def app_command(
    *,
    port: int | None = None,
    address: str = DEFAULT_ADDRESS,
    extra: Sequence[str] = (),
    files: AppFiles | None = None,
    python: str | None = None,
) -> list[str]:
    """The command line that starts the app.

    Parameters
    ----------
    port
        The port to listen on; Streamlit's default (8501, or the next free one) when ``None``.
    address
        The address to listen on: ``localhost`` (this computer only) by default; ``0.0.0.0`` or a network
        address shares the app with other computers.
    extra
        More ``streamlit run`` arguments, passed on after rnaapp's (so they override them), e.g.
        ``["--theme.base=dark"]``; a leading ``--`` is dropped.
    files
        The app (:func:`app_files` by default).
    python
        The Python interpreter (this one by default).

    Returns
    -------
    list of str
        ``[python, "-m", "streamlit", "run", *settings, "--server.address", ADDRESS,
        ("--server.port", PORT), app.py, *extra]``.

    Raises
    ------
    ValueError
        For a port outside 1-65535.
    """
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"invalid port {port}: use a number from 1 to 65535")
    files = files or app_files()
    extra = list(extra)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    command = [python or sys.executable, "-m", "streamlit", "run", *config_options(files.config)]
    command += ["--server.address", address]
    if port is not None:
        command += ["--server.port", str(port)]
    return [*command, str(files.script), *extra]


def run_app(command: Sequence[str]) -> int:
    """Run the app's command until it stops; returns its exit status.

    On POSIX systems this process becomes Streamlit (``os.execv``), so Ctrl-C and ``kill`` reach the server
    itself and no server is left running behind a stopped ``rnaapp app``; the call then never returns.
    Elsewhere Streamlit runs as a child process (Ctrl-C reaches it too, as it shares the console); it is
    killed if it has not stopped :data:`SHUTDOWN_SECONDS` after Ctrl-C.
    """
    command = list(command)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(command[0], command)
    process = subprocess.Popen(command)
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            return process.wait(timeout=SHUTDOWN_SECONDS)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
            return 130
