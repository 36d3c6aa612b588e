"""User settings: the miRBase file, the 3'UTR reference, the device, the batch size and the precision.

Settings are stored as JSON in ``settings.json`` in the rnaapp home folder (:func:`home_directory`:
``RNAAPP_HOME``, default ``~/.rnaapp``), beside the ``models`` folder of user-trained models. A missing or
damaged file gives the defaults, so the app always starts. The environment variable ``RNAAPP_MIRBASE``,
when set, overrides the stored miRBase path.

Files uploaded as references (a miRBase ``mature.fa``, :func:`store_mirbase_upload`; a 3'UTR FASTA,
:func:`store_utr_upload`) are checked, written atomically to ``<home>/references`` (:func:`references_directory`)
and set in the settings; :func:`configured_utr_fasta` gives the 3'UTR file in use.

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

from rnaapp.io import InputError, atomic_write, read_fasta
from rnaapp.io.bounded import MAX_FILE_BYTES, _size
from rnaapp.io.mirbase import read_mirbase

# MIRBASE_DOWNLOAD_URL, configured_mirna_reference, mirbase_sequences, mirna_reference, resolve_mirnas:
# moved to rnaapp.mirna_names; re-exported here for one release.
from rnaapp.mirna_names import (
    MIRBASE_DOWNLOAD_URL,
    check_fasta_file,
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
    "REFERENCES_FOLDER",
    "SETTINGS_FILE",
    "Settings",
    "check_utr_fasta_file",
    "configured_mirna_reference",
    "configured_utr_fasta",
    "home_directory",
    "load_settings",
    "mirbase_sequences",
    "mirna_reference",
    "references_directory",
    "resolve_mirnas",
    "save_settings",
    "settings_path",
    "store_mirbase_upload",
    "store_utr_upload",
    "stored_settings",
]

SETTINGS_FILE = "settings.json"
#: Folder of the rnaapp home holding uploaded reference files (``mature.fa``, ``utr3.fa``).
REFERENCES_FOLDER = "references"
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


def references_directory() -> Path:
    """Where uploaded reference files are stored: ``<home>/references`` (not created here)."""
    return home_directory() / REFERENCES_FOLDER


@dataclass(frozen=True)
class Settings:
    """The user's settings.

    Attributes
    ----------
    mirbase_path
        Path of a miRBase ``mature.fa`` (plain or gzipped), or ``None`` when none is configured.
    utr_fasta
        Path of a 3'UTR FASTA (plain or gzipped) whose headers carry gene ids or symbols (e.g.
        ``>ENSG…|ENST…|TP53``), or ``None`` when none is configured (:func:`configured_utr_fasta`).
    device
        Where models run: ``"auto"`` (a GPU when available, else the CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` or ``"mps"``.
    batch_size
        Pairs scored at once by the models (a positive whole number).
    precision
        ``"float32"`` (reproducible everywhere) or ``"bfloat16"`` (faster on hardware that supports it).
    """

    mirbase_path: str | None = None
    utr_fasta: str | None = None
    device: str = "auto"
    batch_size: int = 512
    precision: str = "float32"

    def validate(self) -> Settings:
        """Check every setting; returns ``self`` so that calls can be chained.

        Raises
        ------
        rnaapp.io.InputError
            (a ``ValueError``) When the miRBase file or the 3'UTR file does not exist, cannot be read or
            is not a FASTA file (its first record does not parse); the message names the file.
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
        if self.utr_fasta is not None:
            check_utr_fasta_file(self.utr_fasta)
        return self


def check_utr_fasta_file(path: str) -> None:
    """Check that ``path`` is a FASTA file of 3'UTRs, reading only its first record.

    Parameters
    ----------
    path
        The path of the 3'UTR FASTA (plain or gzipped; ``~`` is expanded).

    Raises
    ------
    InputError
        Unless ``path`` is a readable FASTA file whose first record parses; the message names the file.
    """
    check_fasta_file(
        path,
        file_words="3'UTR file",
        fasta_words="3'UTR FASTA file",
        folder_words="a 3'UTR FASTA file",
        parse=lambda head: read_fasta(head, name=str(path), molecule="target"),
        empty_path="no 3'UTR file given (enter the path to a 3'UTR FASTA)",
    )


def configured_utr_fasta() -> Path | None:
    """The 3'UTR FASTA set in the settings (:attr:`Settings.utr_fasta`, ``~`` expanded), or None.

    Not checked here: the file may have moved since it was chosen (:func:`check_utr_fasta_file`).
    """
    path = load_settings().utr_fasta
    return Path(path).expanduser() if path else None


def _setting_or_default(values: Mapping[str, Any], name: str, default: Any) -> Any:
    value = values.get(name, default)
    if name in ("mirbase_path", "utr_fasta"):
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
    settings = stored_settings()
    environment = os.environ.get(MIRBASE_ENVIRONMENT_VARIABLE, "").strip()
    if environment:
        settings = dataclasses.replace(settings, mirbase_path=environment)
    return settings


def stored_settings() -> Settings:
    """The settings of :func:`settings_path` as saved (``RNAAPP_MIRBASE`` not applied); see :func:`load_settings`."""
    try:
        values = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        values = {}
    if not isinstance(values, dict):
        values = {}
    return Settings(
        **{
            field.name: _setting_or_default(values, field.name, field.default)
            for field in dataclasses.fields(Settings)
        }
    )


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


def _uploaded_bytes(data: bytes, file_name: str) -> bytes:
    data = bytes(data)
    if not data.strip():
        raise InputError("the file is empty", source=file_name)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"the file is {_size(len(data))}; rnaapp reads files of up to {_size(MAX_FILE_BYTES)}",
            source=file_name,
        )
    return data


def _store_reference(data: bytes, stem: str, field: str) -> Path:
    """Write a checked reference file as ``<references>/<stem>[.gz]`` and set it as ``field``.

    The other settings are checked first, so that a failure leaves both the file and the settings as they
    were; the variant of the other compression is removed once the new file is in use.
    """
    stored = stored_settings()
    dataclasses.replace(stored, **{field: None}).validate()
    gzipped = data[:2] == b"\x1f\x8b"
    target = references_directory() / (stem + (".gz" if gzipped else ""))
    atomic_write(target, lambda path: Path(path).write_bytes(data))
    save_settings(dataclasses.replace(stored, **{field: str(target)}))
    other = references_directory() / (stem if gzipped else stem + ".gz")
    other.unlink(missing_ok=True)  # an earlier upload of the other compression, no longer in use
    return target


def store_mirbase_upload(data: bytes, file_name: str = "mature.fa") -> Path:
    """Store an uploaded miRBase ``mature.fa`` in the rnaapp home and set it as the miRBase file.

    Every record is checked (:func:`rnaapp.io.read_mirbase`; a gzip file decompresses with a cap) before
    anything is written; the file is written atomically to ``<home>/references/mature.fa`` (``.gz`` kept
    for a gzip file) and saved as :attr:`Settings.mirbase_path`. A bad file changes nothing.

    Parameters
    ----------
    data
        The file's bytes (plain or gzipped), at most :data:`rnaapp.io.bounded.MAX_FILE_BYTES`.
    file_name
        The uploaded file's name, for messages.

    Returns
    -------
    pathlib.Path
        The stored file (its records: :func:`rnaapp.mirna_names.mirbase_sequences`).

    Raises
    ------
    InputError
        Naming ``file_name``: an empty, oversized, binary or non-FASTA file, or a record with letters other
        than ACGUTN (naming the record); also a stored setting that is no longer valid.
    """
    data = _uploaded_bytes(data, file_name)
    try:
        read_mirbase(data, name=file_name)
    except InputError as error:
        problem = error.problem.removeprefix("this is not a FASTA file: ")
        raise InputError(
            f"this is not a miRBase FASTA file: {problem}", source=file_name, row=error.row
        ) from None
    return _store_reference(data, "mature.fa", "mirbase_path")


def store_utr_upload(data: bytes, file_name: str = "utr3.fa") -> Path:
    """Store an uploaded 3'UTR FASTA in the rnaapp home and set it as :attr:`Settings.utr_fasta`.

    Every record is checked (:func:`rnaapp.io.read_fasta`; a gzip file decompresses with a cap) before
    anything is written; the file is written atomically to ``<home>/references/utr3.fa`` (``.gz`` kept
    for a gzip file). A bad file changes nothing.

    Parameters
    ----------
    data
        The file's bytes (plain or gzipped), at most :data:`rnaapp.io.bounded.MAX_FILE_BYTES`; headers
        carry gene ids or symbols (e.g. ``>ENSG…|ENST…|TP53``).
    file_name
        The uploaded file's name, for messages.

    Returns
    -------
    pathlib.Path
        The stored file (:func:`configured_utr_fasta` gives it from now on).

    Raises
    ------
    InputError
        Naming ``file_name``: an empty, oversized, binary or non-FASTA file, or a record that is not a
        nucleotide sequence (naming the record); also a stored setting that is no longer valid.
    """
    data = _uploaded_bytes(data, file_name)
    read_fasta(data, name=file_name, molecule="target")
    return _store_reference(data, "utr3.fa", "utr_fasta")
