"""User settings: the miRBase file, the device, the batch size and the precision.

Settings are stored as JSON in ``settings.json`` in the rnaapp home folder (:func:`home_directory`:
``RNAAPP_HOME``, default ``~/.rnaapp``), beside the ``models`` folder of user-trained models. A missing or
damaged file gives the defaults, so the app always starts. The environment variable ``RNAAPP_MIRBASE``,
when set, overrides the stored miRBase path.

Looking miRNA names up through the miRBase file (:func:`~rnaapp.mirna_names.mirbase_sequences`,
:func:`~rnaapp.mirna_names.mirna_reference`, :func:`~rnaapp.mirna_names.configured_mirna_reference`,
:func:`~rnaapp.mirna_names.resolve_mirnas`, :data:`~rnaapp.mirna_names.MIRBASE_DOWNLOAD_URL`) is
:mod:`rnaapp.mirna_names`; those names are importable from here too for one release.

This module imports neither torch nor :mod:`rnaapp.registry` (which imports it for :func:`home_directory`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnaapp.io import atomic_write

# MIRBASE_DOWNLOAD_URL, configured_mirna_reference, mirbase_sequences, mirna_reference, resolve_mirnas:
# moved to rnaapp.mirna_names; re-exported here for one release.
from rnaapp.mirna_names import (
    MIRBASE_DOWNLOAD_URL,
    check_mirbase_file,
    configured_mirna_reference,
    mirbase_sequences,
    mirna_reference,
    resolve_mirnas,
)

__all__ = [
    "DEVICES_HELP",
    "MIRBASE_DOWNLOAD_URL",
    "MIRBASE_HELP",
    "PRECISIONS",
    "SETTINGS_FILE",
    "Settings",
    "configured_mirna_reference",
    "home_directory",
    "load_settings",
    "mirbase_sequences",
    "mirna_reference",
    "resolve_mirnas",
    "save_settings",
    "settings_path",
]

SETTINGS_FILE = "settings.json"
MIRBASE_ENVIRONMENT_VARIABLE = "RNAAPP_MIRBASE"
MIRBASE_HELP = (
    "To type miRNAs by name (for example hsa-let-7a-5p) instead of pasting their sequences, rnaapp needs "
    "the miRBase file of mature miRNA sequences, mature.fa. Download it from the miRBase website "
    f"({MIRBASE_DOWNLOAD_URL}, or the Download page at https://www.mirbase.org; the gzipped mature.fa.gz "
    "works too), save it anywhere on this computer, and enter the full path to the file on the Settings "
    "page, e.g. /home/you/data/mature.fa. Alternatively, set the environment variable "
    f"{MIRBASE_ENVIRONMENT_VARIABLE} to that path before starting the app (it takes precedence over the "
    "Settings page). Without the file, the app still knows a few well-known human miRNAs by name."
)

#: Numeric precisions offered for prediction (same keys as :data:`rnaapp.predict.PRECISIONS`, repeated here
#: so that reading settings does not import torch).
PRECISIONS = ("float32", "bfloat16")
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
DEVICES_HELP = "'auto' (a GPU when there is one, else the CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'"


def home_directory() -> Path:
    """The rnaapp home folder: ``RNAAPP_HOME`` when set, else ``~/.rnaapp`` (not created here)."""
    home = os.environ.get("RNAAPP_HOME")
    return Path(home) if home else Path.home() / ".rnaapp"


def settings_path() -> Path:
    """Where the settings are stored: ``<home>/settings.json``."""
    return home_directory() / SETTINGS_FILE


@dataclass(frozen=True)
class Settings:
    """The user's settings.

    Attributes
    ----------
    mirbase_path
        Path of a miRBase ``mature.fa`` (plain or gzipped), or ``None`` when none is configured.
    device
        Where models run: ``"auto"`` (a GPU when available, else the CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` or ``"mps"``.
    batch_size
        Pairs scored at once by the models (a positive whole number).
    precision
        ``"float32"`` (reproducible everywhere) or ``"bfloat16"`` (faster on hardware that supports it).
    """

    mirbase_path: str | None = None
    device: str = "auto"
    batch_size: int = 512
    precision: str = "float32"

    def validate(self) -> Settings:
        """Check every setting; returns ``self`` so that calls can be chained.

        Raises
        ------
        rnaapp.io.InputError
            (a ``ValueError``) When the miRBase file does not exist, cannot be read or is not a miRBase
            FASTA file (its first record does not parse); the message names the file.
        ValueError
            For an unknown device or precision, or a batch size that is not a positive whole number.
        """
        if not isinstance(self.device, str) or not _DEVICE_PATTERN.match(self.device):
            raise ValueError(f"device must be {DEVICES_HELP}; got {self.device!r}")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch size must be a whole number of at least 1; got {self.batch_size!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}")
        if self.mirbase_path is not None:
            check_mirbase_file(self.mirbase_path)
        return self


def _setting_or_default(values: Mapping[str, Any], name: str, default: Any) -> Any:
    value = values.get(name, default)
    if name == "mirbase_path":
        return value if isinstance(value, str) and value.strip() else None
    if name == "batch_size":
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else default
    return value if isinstance(value, str) else default


def load_settings() -> Settings:
    """Read the settings from :func:`settings_path`.

    A missing or damaged file gives the defaults; a stored value of the wrong type gives that setting's
    default. ``RNAAPP_MIRBASE``, when set and not empty, replaces the stored miRBase path. Values are not
    validated here (see :meth:`Settings.validate`): a miRBase file may have moved since it was chosen.
    """
    try:
        values = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        values = {}
    if not isinstance(values, dict):
        values = {}
    settings = Settings(
        **{
            field.name: _setting_or_default(values, field.name, field.default)
            for field in dataclasses.fields(Settings)
        }
    )
    environment = os.environ.get(MIRBASE_ENVIRONMENT_VARIABLE, "").strip()
    if environment:
        settings = dataclasses.replace(settings, mirbase_path=environment)
    return settings


def save_settings(settings: Settings) -> Path:
    """Write the settings to :func:`settings_path` atomically (after :meth:`Settings.validate`).

    Returns
    -------
    pathlib.Path
        The settings file.
    """
    settings.validate()
    text = json.dumps(dataclasses.asdict(settings), indent=2) + "\n"
    return atomic_write(settings_path(), lambda path: Path(path).write_text(text, encoding="utf-8"))
