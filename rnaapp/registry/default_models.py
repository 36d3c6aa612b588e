"""Default models: the ``defaults.json`` of a model folder, mapping tasks, families and uses to models.

A ``defaults.json`` beside the models maps tasks and families to the model used when only a task or family
is named; the user directory's entries win over the shipped ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from rnaapp.io import atomic_write
from rnaapp.registry.locations import shipped_directory, user_directory

DEFAULTS_FILE = "defaults.json"


#: Kinds of default in ``defaults.json``: per task, per family, and per use (``scan``: the model that
#: ``rnaapp scan`` uses when none is named).
DEFAULT_KINDS = ("tasks", "families", "uses")


#: Uses that ``defaults.json`` can name a model for (its ``uses`` entries), with what ``--model USE`` means.
USES: dict[str, str] = {"scan": "the model that rnaapp scan uses when none is named"}


_KIND_LABELS = {"tasks": "task", "families": "family", "uses": "use"}


def _read_defaults(directory: Path) -> dict[str, dict[str, str]]:
    path = directory / DEFAULTS_FILE
    if not path.is_file():
        return {kind: {} for kind in DEFAULT_KINDS}
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        return {kind: dict(values.get(kind, {})) for kind in DEFAULT_KINDS}
    except (ValueError, TypeError, AttributeError):
        return {kind: {} for kind in DEFAULT_KINDS}  # a damaged defaults file is ignored, like a damaged card


def _write_defaults(directory: Path, values: dict[str, dict[str, str]]) -> None:
    values = {kind: entries for kind, entries in values.items() if entries or kind != "uses"}
    text = json.dumps(values, indent=2, sort_keys=True) + "\n"
    atomic_write(directory / DEFAULTS_FILE, lambda path: Path(path).write_text(text, encoding="utf-8"))


def _repoint_defaults(directory: Path, old: str, new: str | None) -> None:
    """Make the entries of ``directory``'s defaults that name ``old`` name ``new`` (``None``: drop them)."""
    if not (directory / DEFAULTS_FILE).is_file():
        return
    values = _read_defaults(directory)
    changed = False
    for entries in values.values():
        for key in [key for key, name in entries.items() if name == old]:
            if new is None:
                del entries[key]
            else:
                entries[key] = new
            changed = True
    if changed:
        _write_defaults(directory, values)


def defaults() -> dict[str, dict[str, str]]:
    """Default model names by task, by family and by use (user choices override shipped ones)."""
    merged = _read_defaults(shipped_directory())
    for kind, values in _read_defaults(user_directory()).items():
        merged[kind].update(values)
    return merged
