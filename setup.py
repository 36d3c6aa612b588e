"""Build hook: a wheel of rnaapp carries the shipped models and the app as package data.

In the checkout the shipped weights (``weights/``) and the app (``app.py``, ``pages/``,
``.streamlit/config.toml``) live at the repository root, where ``make app`` and the tests use them. When a
wheel is built, :class:`BuildWithShippedFiles` copies them into the package, under ``rnaapp/_shipped/``
(``weights/`` and ``app/``), where :func:`rnaapp.registry.shipped_directory` and :mod:`rnaapp.launch` find
them in an installed rnaapp. Nothing moves in the checkout. An editable install (``pip install -e .``)
copies nothing: it imports ``rnaapp`` from the checkout, which finds ``weights/`` and ``app.py`` beside it.

The metadata is in ``pyproject.toml``; ``MANIFEST.in`` puts the same files into the sdist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

#: (pattern relative to the repository root, folder inside ``rnaapp/_shipped``) of every shipped file.
SHIPPED_FILES = (
    ("weights/*.json", "weights"),
    ("weights/*.safetensors", "weights"),
    ("app.py", "app"),
    ("pages/*.py", "app/pages"),
    (".streamlit/config.toml", "app/.streamlit"),
)


def shipped_files(root: Path = ROOT) -> list[tuple[Path, str]]:
    """Every file to ship, as (source path, destination relative to ``rnaapp/_shipped``).

    Raises
    ------
    FileNotFoundError
        When a pattern matches nothing (a wheel without models or without the app is not a usable rnaapp).
    """
    files = []
    for pattern, folder in SHIPPED_FILES:
        matches = sorted(path for path in root.glob(pattern) if path.is_file())
        if not matches:
            raise FileNotFoundError(f"nothing to ship matches {pattern} in {root}")
        files.extend((path, f"{folder}/{path.name}") for path in matches)
    return files


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies the shipped weights and the app into ``rnaapp/_shipped``."""

    def run(self) -> None:
        if not self.editable_mode:
            # A module or model deleted from the checkout must not linger in the wheel from an earlier build.
            shutil.rmtree(Path(self.build_lib) / "rnaapp", ignore_errors=True)
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "rnaapp" / "_shipped"
        for source, destination in shipped_files():
            path = target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)


setup(cmdclass={"build_py": BuildWithShippedFiles})
