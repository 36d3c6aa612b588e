"""Where models live: shipped ones in ``weights/``, user-trained ones in a user directory.

Each model is two files with the same stem: ``NAME.safetensors`` (weights, loaded without pickle) and
``NAME.json`` (the model card: family, config, training data and split, seed, the command that reproduces
it, test metrics, package version, card format). A ``defaults.json`` beside them maps tasks and families
to the model used when only a task or family is named; the user directory's entries win over the shipped
ones.

Cards carry a ``format`` number (:data:`FORMAT_VERSION`). Cards of older formats are migrated when read
(:func:`upgrade_card`), so models saved by earlier releases keep loading; a card of a newer format than this
code knows is refused with a message asking to upgrade rnaapp.

Saving is atomic across both files: weights and card are first written completely to temporary files in the
target folder, and only then renamed into place, weights first and card last. A save that fails (a full disk,
a card that cannot be serialised, an interrupt) removes its temporary files and leaves the previous model of
that name as it was, so a listing never sees half a model or new weights beside an old card.

Names of new models (:func:`check_name`, :func:`check_new_name`) must not be task, family or use names, which
``--model`` already resolves to default models, nor names of shipped models. Damaged model files are
reported, not skipped silently: :func:`load_model` and :func:`resolve_name` raise :class:`ModelFileError`
saying which file is unusable and why, and :func:`model_file_problems` lists every unusable model.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from rnaapp import __version__
from rnaapp.io import atomic_write
from rnaapp.models import FAMILIES, TASKS, Family, config_from_dict, config_to_dict, get_family
from rnaapp.settings import home_directory

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DEFAULTS_FILE = "defaults.json"
#: Model names that would collide with other files in a model folder.
RESERVED_NAMES = frozenset({Path(DEFAULTS_FILE).stem})

#: Card format written by this code. Format 1: cards of rnaapp 0.1.0 (which wrote no ``format`` key).
FORMAT_VERSION = 1

#: Headline test metrics shown by :func:`model_summary`, in column order.
SUMMARY_METRICS = ("AUC", "AUPR", "ACC", "F1", "MCC")


def shipped_directory() -> Path:
    """The folder of shipped weights (``RNAAPP_WEIGHTS`` or the repository's ``weights/``)."""
    configured = os.environ.get("RNAAPP_WEIGHTS")
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / "weights"


def user_directory() -> Path:
    """The folder of models trained by the user (``RNAAPP_HOME``/models, default ``~/.rnaapp/models``)."""
    return home_directory() / "models"


class CardFormatError(ValueError):
    """A model card written in a card format newer than this code reads (see :func:`upgrade_card`)."""


#: Migrations of card values from format ``n`` to ``n + 1``, keyed by ``n``. Adding a format means bumping
#: :data:`FORMAT_VERSION` and adding the step from the previous one here; never edit an existing step.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def upgrade_card(values: dict[str, Any]) -> dict[str, Any]:
    """Migrate the values of a model card, as read from JSON, to :data:`FORMAT_VERSION`.

    A card without a ``format`` key is format 1 (written by rnaapp 0.1.0). Older formats are migrated one
    step at a time; the input is not modified.

    Parameters
    ----------
    values
        The card's JSON object.

    Returns
    -------
    dict
        A new dictionary in the current format, with ``format`` set to :data:`FORMAT_VERSION`.

    Raises
    ------
    CardFormatError
        (a ``ValueError``) for a card of a newer format than this code knows.
    TypeError, ValueError
        For something that is not a card object or has an unusable ``format``.
    """
    if not isinstance(values, dict):
        raise TypeError(f"a model card is a JSON object, not {type(values).__name__}")
    card_format = values.get("format", 1)
    if isinstance(card_format, bool) or not isinstance(card_format, int) or card_format < 1:
        raise ValueError(f"model card has an invalid format {card_format!r}; expected a whole number >= 1")
    if card_format > FORMAT_VERSION:
        raise CardFormatError(
            f"model '{values.get('name', '?')}' was saved by rnaapp {values.get('version', '(unknown version)')} "
            f"(card format {card_format}); this rnaapp ({__version__}) reads formats up to {FORMAT_VERSION}: "
            "upgrade rnaapp"
        )
    values = dict(values)
    while card_format < FORMAT_VERSION:
        values = _UPGRADES[card_format](values)
        card_format += 1
    values["format"] = card_format
    return values


@dataclass
class ModelCard:
    """What a model is, how it was made and how well it does. Stored as JSON beside the weights."""

    name: str
    family: str
    task: str
    config: dict[str, Any]
    description: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    version: str = __version__
    created: str = ""
    format: int = FORMAT_VERSION  # card format, see upgrade_card
    source: str = ""  # "shipped" or "user", filled when listed

    def to_json(self) -> str:
        fields = {"format": self.format}
        fields.update((key, value) for key, value in self.__dict__.items() if key not in ("source", "format"))
        return json.dumps(fields, indent=2, sort_keys=False, allow_nan=False, default=_json_default)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "") -> ModelCard:
        """Card from its JSON object, migrated to the current format (see :func:`upgrade_card`)."""
        values = upgrade_card(values)
        known = {key: values[key] for key in cls.__dataclass_fields__ if key in values and key != "source"}
        return cls(**known, source=source)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to a model card")


@dataclass
class TrainedModel:
    """A model ready to use: its card, family, config object and module (eval mode)."""

    card: ModelCard
    family: Family
    config: Any
    module: torch.nn.Module

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def device(self) -> torch.device:
        parameter = next(self.module.parameters(), None)
        return parameter.device if parameter is not None else torch.device("cpu")


class ModelNotFoundError(LookupError):
    """No model matches the requested name, family or task."""


class ModelFileError(ValueError):
    """A model's files are unusable: a card or weights file missing, damaged, or not matching each other.

    The message names the model and the file, says what is wrong and what to do.
    """


#: Kinds of default in ``defaults.json``: per task, per family, and per use (``scan``: the model that
#: ``rnaapp scan`` uses when none is named).
DEFAULT_KINDS = ("tasks", "families", "uses")

#: Uses that ``defaults.json`` can name a model for (its ``uses`` entries), with what ``--model USE`` means.
USES: dict[str, str] = {"scan": "the model that rnaapp scan uses when none is named"}

_KIND_LABELS = {"tasks": "task", "families": "family", "uses": "use"}

#: Keys that every model card has (see :class:`ModelCard`).
CARD_KEYS = ("name", "family", "task", "config")


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


def _card_from_values(values: Any, source: str = "") -> ModelCard:
    """A card from its JSON object, migrated (:func:`upgrade_card`) and checked to have the card's keys.

    Raises
    ------
    CardFormatError
        For a card of a newer format.
    TypeError, ValueError
        Saying why ``values`` is not a usable card.
    """
    values = upgrade_card(values)
    missing = [key for key in CARD_KEYS if key not in values]
    if missing:
        raise ValueError(f"it lacks {', '.join(missing)}")
    for key in ("name", "family", "task"):
        if not isinstance(values[key], str):
            raise ValueError(f"its {key} is not text")
    if not isinstance(values["config"], dict):
        raise ValueError("its config is not a JSON object")
    return ModelCard.from_dict(values, source=source)


def _read_card(path: Path, source: str = "") -> ModelCard:
    """The card stored at ``path`` (see :func:`_card_from_values`); ``OSError`` when it cannot be read."""
    return _card_from_values(json.loads(path.read_text(encoding="utf-8")), source=source)


def _cards_in(directory: Path, source: str) -> list[ModelCard]:
    if not directory.is_dir():
        return []
    cards = []
    for path in sorted(directory.glob("*.json")):
        if path.name == DEFAULTS_FILE or not path.with_suffix(".safetensors").is_file():
            continue
        try:
            cards.append(_read_card(path, source))
        except (OSError, ValueError, TypeError):
            # A foreign or damaged JSON file, or a card of a newer format, is not a usable model;
            # model_file_problems and resolve_name say why.
            continue
    return cards


def list_models() -> list[ModelCard]:
    """Cards of every available model, shipped first, then the user's.

    Models whose card is damaged or not beside its weights (:func:`model_file_problems`), and cards of a
    newer format than this code reads, are left out (:func:`resolve_name` and :func:`load_model` say why).
    """
    return _cards_in(shipped_directory(), "shipped") + _cards_in(user_directory(), "user")


def defaults() -> dict[str, dict[str, str]]:
    """Default model names by task, by family and by use (user choices override shipped ones)."""
    merged = _read_defaults(shipped_directory())
    for kind, values in _read_defaults(user_directory()).items():
        merged[kind].update(values)
    return merged


def resolve_name(reference: str | None = None) -> str:
    """Turn a model name, a family name or a task name into a model name.

    Parameters
    ----------
    reference
        A model name; a family name (that family's default model); or a task name (``site``, ``plant``,
        ``gene``: that task's default model). ``None`` means ``site``.

    Raises
    ------
    ModelNotFoundError
        With what is available instead.
    ModelFileError
        (a ``ValueError``) when ``reference``, or the default model that a family, task or use in
        ``defaults.json`` names, is a model whose files are unusable (see :func:`model_file_problems`).
    CardFormatError
        (a ``ValueError``) when ``reference`` is a model saved in a card format newer than this code reads.
    """
    reference = reference or "site"
    names = {card.name for card in list_models()}
    if reference in names:
        return reference
    _raise_if_newer_format(reference)
    chosen = defaults()
    for kind in ("families", "tasks", "uses"):
        name = chosen[kind].get(reference)
        if not name or not isinstance(name, str):
            continue  # no default, or a damaged entry
        if name in names:
            return name
        problem = _file_problem(name)
        if problem:
            raise ModelFileError(f"the {_KIND_LABELS[kind]} '{reference}' defaults to {problem}")
        # A default naming a model that is not installed at all falls back to what is.
    problem = _file_problem(reference)
    if problem:
        raise ModelFileError(problem)
    if reference in TASKS:
        raise ModelNotFoundError(
            f"no model is installed yet for the task '{reference}' ({TASKS[reference]}); "
            f"available models: {', '.join(sorted(names)) or 'none'}"
        )
    family_models = sorted(card.name for card in list_models() if card.family == reference)
    if family_models:
        return family_models[0]
    if reference in FAMILIES:
        raise ModelNotFoundError(
            f"no model of the family '{reference}' is installed; train one "
            f"(rnaapp train --family {reference} ..., or the Train page)"
        )
    raise ModelNotFoundError(
        f"no model, family or task called '{reference}'; available models: {', '.join(sorted(names)) or 'none'}; "
        f"tasks: {', '.join(TASKS)}"
    )


def _raise_if_newer_format(name: str) -> None:
    """Raise :class:`CardFormatError` when ``name`` is a model whose card is of a newer format."""
    if not NAME_PATTERN.match(name):
        return
    for directory in (user_directory(), shipped_directory()):
        path = directory / f"{name}.json"
        if not (path.is_file() and path.with_suffix(".safetensors").is_file()):
            continue
        try:
            upgrade_card(json.loads(path.read_text(encoding="utf-8")))
        except CardFormatError:
            raise
        except (OSError, TypeError, ValueError):
            continue  # damaged or foreign: resolve_name reports it through _file_problem


def _short(error: BaseException, limit: int = 160) -> str:
    """An error's message on one line, without safetensors' prefix, at most ``limit`` characters."""
    text = " ".join(str(error).split()).removeprefix("Error while deserializing header: ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _remedy(source: str) -> str:
    """What to do about unusable files of a ``shipped`` or ``user`` model."""
    if source == "shipped":
        return "reinstall the shipped weights (rnaapp's weights/ folder, or the folder RNAAPP_WEIGHTS names)"
    return "retrain the model, or delete it (Models page)"


def _looks_like_card(values: Any) -> bool:
    """Whether a JSON value without weights beside it is a model card (and not some other JSON file)."""
    return isinstance(values, dict) and ("format" in values or {"family", "config"} <= values.keys())


def _damaged_weights(name: str, weights_path: Path, error: BaseException, source: str) -> str:
    return (
        f"model '{name}': its weights file {weights_path} is damaged or incomplete ({_short(error)}); "
        f"{_remedy(source)}"
    )


def _problem_in(directory: Path, name: str, source: str, *, check_weights: bool = False) -> str | None:
    """Why the files of the model ``name`` in ``directory`` are unusable, as a one-line message.

    Parameters
    ----------
    directory
        The shipped or the user folder.
    name
        The model name (file stem).
    source
        ``shipped`` or ``user`` (for what the message says to do).
    check_weights
        Also read the weights file's header (cheap: the tensors are not read).

    Returns
    -------
    str or None
        ``None`` when the model is usable, has no files there, or is a JSON file that is not a card (a
        ``NAME.json`` beside a ``NAME.safetensors`` is always taken for a card).

    Raises
    ------
    CardFormatError
        When the card (with weights beside it) is of a newer format than this code reads.
    """
    card_path, weights_path = directory / f"{name}.json", directory / f"{name}.safetensors"
    has_card, has_weights = card_path.is_file(), weights_path.is_file()
    if not has_card:
        if not has_weights:
            return None
        return (
            f"model '{name}': its weights file {weights_path} has no card ({card_path.name} is missing); "
            f"{_remedy(source)}"
        )
    try:
        values = json.loads(card_path.read_text(encoding="utf-8"))
    except OSError as error:
        if not has_weights:
            return None
        return f"model '{name}': its card {card_path} cannot be read ({_short(error)}); {_remedy(source)}"
    except ValueError as error:  # not JSON, or not UTF-8
        if not has_weights:
            return None  # some other file, not a card
        return (
            f"model '{name}': its card {card_path} is damaged or incomplete (not valid JSON: {_short(error)}); "
            f"{_remedy(source)}"
        )
    if not has_weights:
        if not _looks_like_card(values):
            return None
        return (
            f"model '{name}': its card {card_path} has no weights file ({weights_path.name} is missing); "
            f"{_remedy(source)}"
        )
    try:
        _card_from_values(values)
    except CardFormatError:
        raise
    except (TypeError, ValueError) as error:
        return (
            f"model '{name}': its card {card_path} is not a valid model card ({_short(error)}); "
            f"{_remedy(source)}"
        )
    if check_weights:
        try:
            with safe_open(str(weights_path), framework="pt"):
                pass
        except SafetensorError as error:
            return _damaged_weights(name, weights_path, error, source)
        except OSError as error:
            return (
                f"model '{name}': its weights file {weights_path} cannot be read ({_short(error)}); "
                f"{_remedy(source)}"
            )
    return None


def _file_problem(name: Any) -> str | None:
    """Why the model ``name`` is unusable (user folder first, then shipped), or ``None``.

    ``None`` too when it has no files at all, or when its card is of a newer format (which
    :func:`_raise_if_newer_format` and :func:`load_model` report).
    """
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name in RESERVED_NAMES:
        return None
    for directory, source in ((user_directory(), "user"), (shipped_directory(), "shipped")):
        try:
            problem = _problem_in(directory, name, source)
        except CardFormatError:
            return None
        if problem:
            return problem
    return None


def model_file_problems() -> list[str]:
    """One line per model whose files are unusable, shipped folder first, then the user's.

    A model is unusable when its weights file has no card beside it, its card has no weights file, its card
    is not valid JSON or not a model card, its weights file's header is damaged or the file incomplete, or
    its card is of a newer format than this code reads. ``defaults.json``, temporary files and JSON files
    without weights that are clearly not cards are not models; a ``NAME.json`` beside a
    ``NAME.safetensors`` always is. Such models are left out of :func:`list_models`; show these lines as
    warnings beside it. Weights are checked by their header only (damaged tensor values are found by
    :func:`load_model`).

    Returns
    -------
    list of str
        Messages naming the model and the file, what is wrong and what to do.
    """
    problems = []
    for directory, source in ((shipped_directory(), "shipped"), (user_directory(), "user")):
        if not directory.is_dir():
            continue
        names = {path.stem for pattern in ("*.json", "*.safetensors") for path in directory.glob(pattern)}
        for name in sorted(names):
            if name in RESERVED_NAMES or name.startswith("."):
                continue
            try:
                problem = _problem_in(directory, name, source, check_weights=True)
            except CardFormatError as error:
                problem = str(error)
            if problem:
                problems.append(problem)
    return problems


def _card_path(name: str) -> tuple[Path, str]:
    for directory, source in ((user_directory(), "user"), (shipped_directory(), "shipped")):
        if (directory / f"{name}.json").is_file() and (directory / f"{name}.safetensors").is_file():
            return directory, source
    raise ModelNotFoundError(f"model '{name}' not found")


def build_model(card: ModelCard, state: dict[str, torch.Tensor] | None = None) -> TrainedModel:
    """Make a :class:`TrainedModel` from a card and (optionally) its weights, in eval mode."""
    family = get_family(card.family)
    config = config_from_dict(family.config_class, card.config)
    module = family.build(config)
    if state is not None:
        module.load_state_dict(state)
    module.eval()
    return TrainedModel(card=card, family=family, config=config, module=module)


def load_model(reference: str | None = None, *, device: str | torch.device = "cpu") -> TrainedModel:
    """Load a model by name, family or task (see :func:`resolve_name`), weights without pickle.

    Returns
    -------
    TrainedModel
        In eval mode on ``device``.

    Raises
    ------
    ModelNotFoundError
        When nothing matches ``reference``.
    CardFormatError
        (a ``ValueError``) when the named model was saved by a newer rnaapp in a card format this code
        cannot read.
    ModelFileError
        (a ``ValueError``) when the model's files are unusable: a card that is not valid JSON or not a card,
        a weights file that is damaged or incomplete, weights that do not fit the card's architecture, or
        non-finite (NaN or infinite) weights.
    """
    name = resolve_name(reference)
    directory, source = _card_path(name)
    card_path, weights_path = directory / f"{name}.json", directory / f"{name}.safetensors"
    try:
        card = _read_card(card_path, source)
    except CardFormatError:
        raise
    except (OSError, TypeError, ValueError) as error:
        raise ModelFileError(
            _problem_in(directory, name, source)
            or f"model '{name}': its card {card_path} is not a valid model card ({_short(error)}); "
            f"{_remedy(source)}"
        ) from error
    try:
        state = load_file(str(weights_path), device="cpu")
    except SafetensorError as error:
        raise ModelFileError(_damaged_weights(name, weights_path, error, source)) from error
    non_finite = [
        key
        for key, tensor in state.items()
        if tensor.is_floating_point() and not torch.isfinite(tensor).all()
    ]
    if non_finite:
        shown = ", ".join(non_finite[:3]) + (
            f" and {len(non_finite) - 3} more" if len(non_finite) > 3 else ""
        )
        raise ModelFileError(
            f"model '{name}': its weights file {weights_path} is damaged (NaN or infinite values in {shown}); "
            f"{_remedy(source)}"
        )
    model = build_model(card)
    try:
        model.module.load_state_dict(state)
    except RuntimeError as error:
        raise ModelFileError(
            f"model '{name}': its weights file {weights_path} does not match its card {card_path} "
            f"(a {card.family} model with the card's config: {_state_dict_problem(error)}); {_remedy(source)}"
        ) from error
    model.module.to(device)
    return model


def _state_dict_problem(error: RuntimeError) -> str:
    """The first problem that ``load_state_dict`` reports, on one line (its message has one per line)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    details = lines[1:] or lines
    first = _short(details[0] if details else error, limit=200).rstrip(".")
    return first + (f" (and {len(details) - 1} more)" if len(details) > 1 else "")


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


def _write_card(path: str, text: str) -> None:
    """Write a card's text to ``path`` (a temporary file)."""
    Path(path).write_text(text, encoding="utf-8")


def _write_model_files(directory: Path, name: str, state: dict[str, torch.Tensor], card_text: str) -> Path:
    """Write ``NAME.safetensors`` and ``NAME.json`` into ``directory`` as one step; returns the card path.

    Both are written completely to temporary files in ``directory`` (same file system, so renames are
    atomic) and flushed to disk; only then are they renamed into place, weights first and card last. If
    anything fails before the renames, the temporary files are removed and a previous model of that name is
    left untouched. Only the second rename itself (within one folder) could fail after the first.
    """
    directory.mkdir(parents=True, exist_ok=True)
    weights_path, card_path = directory / f"{name}.safetensors", directory / f"{name}.json"
    temporaries: list[str] = []

    def temporary_for(path: Path) -> str:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        temporaries.append(temporary)
        return temporary

    try:
        weights_temporary = temporary_for(weights_path)
        save_file(state, weights_temporary)
        card_temporary = temporary_for(card_path)
        _write_card(card_temporary, card_text)
        umask = os.umask(0)
        os.umask(umask)
        for temporary in temporaries:
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())  # write errors (a full disk) may surface only now
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(weights_temporary, weights_path)
        os.replace(card_temporary, card_path)
    except BaseException:
        for temporary in temporaries:
            Path(temporary).unlink(missing_ok=True)
        raise
    return card_path


def save_model(model: TrainedModel, directory: str | Path | None = None, *, name: str | None = None) -> Path:
    """Write weights and card atomically; returns the card path.

    Parameters
    ----------
    model
        The model to save; ``model.card`` is written (its ``name`` replaced by ``name`` when given).
    directory
        Target folder; the user directory by default.
    name
        Model name (file stem).

    Raises
    ------
    ValueError
        For a name that :func:`check_new_name` refuses: invalid, a task, family or use name, or the name of a
        shipped model when saving elsewhere than the shipped folder.
    TypeError
        For a card with values that cannot be written as JSON (nothing is written then).
    OSError
        When a file cannot be written (e.g. the disk is full); the previous model of that name, if any, is
        left as it was and no temporary files remain.
    """
    directory = Path(directory) if directory is not None else user_directory()
    card = model.card
    name = check_new_name(card.name if name is None else name, directory)
    card.name = name
    card.family = model.family.name
    card.task = model.family.task
    card.config = config_to_dict(model.config)
    card.version = __version__
    card.format = FORMAT_VERSION
    card.created = card.created or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    # Serialise the card before touching any file: a card that cannot be written must not leave new
    # weights beside the previous card.
    card_text = card.to_json() + "\n"
    state = {key: value.detach().to("cpu").contiguous() for key, value in model.module.state_dict().items()}
    return _write_model_files(directory, name, state, card_text)


def set_default(
    name: str, *, task: bool = True, family: bool = True, directory: str | Path | None = None
) -> None:
    """Make ``name`` the default of its family and/or task (written to ``defaults.json`` atomically)."""
    directory = Path(directory) if directory is not None else user_directory()
    card = next((card for card in list_models() if card.name == name), None)
    if card is None:
        raise ModelNotFoundError(f"model '{name}' not found")
    values = _read_defaults(directory)
    if task:
        values["tasks"][card.task] = name
    if family:
        values["families"][card.family] = name
    _write_defaults(directory, values)


def _user_model_files(name: str) -> tuple[Path, Path]:
    """(card, weights) paths of the user model ``name``.

    Raises
    ------
    PermissionError
        When ``name`` is a shipped model.
    ModelNotFoundError
        When there is no such user model.
    """
    _check_syntax(name)  # not check_name: a model saved before a name was refused can still be deleted
    directory = user_directory()
    card_path, weights_path = directory / f"{name}.json", directory / f"{name}.safetensors"
    if card_path.is_file() or weights_path.is_file():
        return card_path, weights_path
    if (shipped_directory() / f"{name}.json").is_file():
        raise PermissionError(f"'{name}' is a shipped model and is read-only")
    raise ModelNotFoundError(f"model '{name}' not found among your models")


def delete_model(name: str) -> None:
    """Delete a user model: its card, its weights and the user defaults that name it.

    The card goes first, so a listing never shows a model without weights. Defaults in the user's
    ``defaults.json`` that pointed at the model are dropped (atomic rewrite); the shipped defaults then
    apply again.

    Parameters
    ----------
    name
        Name of a model in :func:`user_directory`.

    Raises
    ------
    PermissionError
        For a shipped model (they are read-only).
    ModelNotFoundError
        When there is no user model of that name.
    ValueError
        For an invalid name.
    """
    card_path, weights_path = _user_model_files(name)
    card_path.unlink(missing_ok=True)
    weights_path.unlink(missing_ok=True)
    _repoint_defaults(user_directory(), name, None)


def rename_model(old: str, new: str) -> Path:
    """Rename a user model; returns the new card path.

    The new weights and card (its ``name`` updated, migrated to the current card format) are written
    atomically before the old files are removed, so a failure leaves the model under its old name. User
    defaults that pointed at ``old`` point at ``new`` afterwards.

    Parameters
    ----------
    old
        Name of a model in :func:`user_directory`.
    new
        The new name (see :func:`check_name`); must not belong to another model, user or shipped.

    Raises
    ------
    PermissionError
        When ``old`` is a shipped model.
    ModelNotFoundError
        When there is no user model called ``old``.
    ValueError
        For an invalid or already taken ``new`` name.
    """
    old_card, old_weights = _user_model_files(old)
    check_name(new)
    if not (old_card.is_file() and old_weights.is_file()):
        raise ModelNotFoundError(f"model '{old}' is incomplete (card or weights missing); delete it instead")
    for directory, source in ((user_directory(), "your"), (shipped_directory(), "a shipped")):
        if (directory / f"{new}.json").is_file() or (directory / f"{new}.safetensors").is_file():
            raise ValueError(f"'{new}' is already the name of {source} model; choose another name")
    card = ModelCard.from_dict(json.loads(old_card.read_text(encoding="utf-8")))
    card.name = new
    card_text = card.to_json() + "\n"
    directory = user_directory()
    new_card, new_weights = directory / f"{new}.json", directory / f"{new}.safetensors"
    atomic_write(new_weights, lambda path: shutil.copyfile(old_weights, path))
    try:
        atomic_write(new_card, lambda path: Path(path).write_text(card_text, encoding="utf-8"))
    except BaseException:
        new_weights.unlink(missing_ok=True)
        raise
    old_card.unlink(missing_ok=True)
    old_weights.unlink(missing_ok=True)
    _repoint_defaults(directory, old, new)
    return new_card


def _test_metric_sets(metrics: Any) -> dict[str, dict[str, Any]]:
    """Test metrics by test set: nested ``{set: {metric: value}}`` as is, flat ``{metric: value}`` as ``test``."""
    if not isinstance(metrics, dict):
        return {}
    if any(key in metrics for key in SUMMARY_METRICS):
        return {"test": metrics}
    return {key: value for key, value in metrics.items() if isinstance(value, dict)}


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _created_date(created: Any) -> str:
    try:
        return _dt.datetime.fromisoformat(str(created)).date().isoformat()
    except ValueError:
        return ""


def _training_data(card: ModelCard) -> str:
    training = card.training if isinstance(card.training, dict) else {}
    for key in ("data", "dataset"):
        if training.get(key):
            return str(training[key])
    if training.get("train_pairs"):
        return f"{training['train_pairs']} training pairs"
    return ""


def model_summary(cards: Iterable[ModelCard] | None = None) -> pd.DataFrame:
    """One row per model, for a table of the available models.

    Parameters
    ----------
    cards
        Model cards (e.g. from :func:`list_models`, the default).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_cards, 8 + n_metric_columns)``. Columns ``name``, ``family``, ``task``, ``source``
        (``shipped`` or ``user``), ``created`` (``YYYY-MM-DD``, empty when unknown), ``training_data``
        (the card's ``training.data``, else ``training.dataset``), ``is_default`` (the default model of its
        task) and ``description``, then one float column per test set and headline metric
        (:data:`SUMMARY_METRICS`) that any card reports, named like ``"AUC (deepmirnatar test)"``
        (``"AUC (test)"`` for cards with one unnamed test set); ``NaN`` where a card lacks it.
    """
    cards = list_models() if cards is None else list(cards)
    task_defaults = defaults()["tasks"]
    rows: list[dict[str, Any]] = []
    metric_columns: list[str] = []
    for card in cards:
        row: dict[str, Any] = {
            "name": card.name,
            "family": card.family,
            "task": card.task,
            "source": card.source,
            "created": _created_date(card.created),
            "training_data": _training_data(card),
            "is_default": task_defaults.get(card.task) == card.name,
            "description": card.description,
        }
        for test_set, values in _test_metric_sets(card.metrics).items():
            for metric in SUMMARY_METRICS:
                value = _number_or_none(values.get(metric))
                if value is None:
                    continue
                column = f"{metric} ({str(test_set).replace('_', ' ')})"
                if column not in metric_columns:
                    metric_columns.append(column)
                row[column] = value
        rows.append(row)
    base = ["name", "family", "task", "source", "created", "training_data", "is_default", "description"]
    frame = pd.DataFrame(rows, columns=base + metric_columns)
    frame["is_default"] = frame["is_default"].astype(bool)
    for column in metric_columns:
        frame[column] = frame[column].astype(float)
    return frame
