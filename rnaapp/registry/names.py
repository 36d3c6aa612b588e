"""Names of models: which file stems are allowed, and which names a new model may not take.

Names of new models (:func:`check_name`, :func:`check_new_name`) must not be task, family or use names, which
``--model`` already resolves to default models, nor names of shipped models.
"""

from __future__ import annotations

import re
from pathlib import Path

from rnaapp.models import FAMILIES, TASKS
from rnaapp.registry.default_models import DEFAULTS_FILE, USES, defaults
from rnaapp.registry.locations import shipped_directory, user_directory

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


#: Model names that would collide with other files in a model folder.
RESERVED_NAMES = frozenset({Path(DEFAULTS_FILE).stem})


def _check_syntax(name: str) -> str:
    """Check that ``name`` can be a file stem in a model folder (the pattern, and not ``defaults``)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(
            f"invalid model name {name!r}: use letters, digits, '.', '_' or '-' (up to 100), starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise ValueError(f"invalid model name {name!r}: the name is reserved; choose another name")
    return name


def _name_meaning(name: str) -> str | None:
    """The message for a name that already means something to ``--model`` (a task, family or use), or None."""
    chosen = defaults()
    if name in TASKS or name in chosen["tasks"]:
        return f"'{name}' names a task: --model {name} means that task's default model; choose another name"
    if name in FAMILIES or name in chosen["families"]:
        return (
            f"'{name}' names a model family: --model {name} means that family's default model; "
            "choose another name"
        )
    if name in USES or name in chosen["uses"]:
        meaning = USES.get(name, "the default model for that use")
        return f"'{name}' names a use: --model {name} means {meaning}; choose another name"
    return None


def check_name(name: str) -> str:
    """Validate the name of a new model.

    A name has letters, digits, '.', '_' or '-' (up to 100), starts with a letter or digit, is not
    ``defaults``, and is not a task name (:data:`rnaapp.models.TASKS`), a family name
    (:data:`rnaapp.models.FAMILIES`) or a use (:data:`USES`, or any key of ``defaults.json``): those
    already mean a default model to :func:`resolve_name`, and a model of that name would take it over.

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    ValueError
        Saying what is wrong with the name and what to do.
    """
    _check_syntax(name)
    meaning = _name_meaning(name)
    if meaning:
        raise ValueError(meaning)
    return name


def check_new_name(name: str, directory: str | Path | None = None) -> str:
    """Check that a model can be saved as ``name`` in ``directory``, before training it.

    :func:`check_name`, plus: when saving anywhere but the shipped folder, ``name`` must not be the name of
    a shipped model. An existing model of that name in ``directory`` may be overwritten.

    Parameters
    ----------
    name
        The name the model will be saved under.
    directory
        The folder it will be saved to; the user directory by default.

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    ValueError
        Saying what is wrong with the name and what to do.
    """
    check_name(name)
    target = Path(directory) if directory is not None else user_directory()
    shipped = shipped_directory()
    if target.resolve() != shipped.resolve() and (
        (shipped / f"{name}.json").is_file() or (shipped / f"{name}.safetensors").is_file()
    ):
        raise ValueError(f"'{name}' is the name of a shipped model; choose another name")
    return name
