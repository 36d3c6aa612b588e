"""Where models live: shipped ones in ``weights/``, user-trained ones in a user directory.

Each model is two files with the same stem: ``NAME.safetensors`` (weights, loaded without pickle) and
``NAME.json`` (the model card: family, config, training data and split, seed, the command that reproduces
it, test metrics, package version, card format). A ``defaults.json`` beside them maps tasks and families
to the model used when only a task or family is named; the user directory's entries win over the shipped
ones.

Cards carry a ``format`` number (:data:`FORMAT_VERSION`). Cards of older formats are migrated when read
(:func:`upgrade_card`), so models saved by earlier releases keep loading; a card of a newer format than this
code knows is refused with a message asking to upgrade rnaapp.

Saving is atomic: files are written under temporary names and renamed into place, weights first and card
last, so a listing never sees half a model and a failed save leaves the previous model as it was.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from rnaapp import __version__
from rnaapp.io import atomic_write
from rnaapp.models import TASKS, Family, config_from_dict, config_to_dict, get_family
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


#: Kinds of default in ``defaults.json``: per task, per family, and per use (``scan``: the model that
#: ``rnaapp scan`` uses when none is named).
DEFAULT_KINDS = ("tasks", "families", "uses")


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


def _cards_in(directory: Path, source: str) -> list[ModelCard]:
    if not directory.is_dir():
        return []
    cards = []
    for path in sorted(directory.glob("*.json")):
        if path.name == DEFAULTS_FILE or not path.with_suffix(".safetensors").is_file():
            continue
        try:
            cards.append(ModelCard.from_dict(json.loads(path.read_text(encoding="utf-8")), source=source))
        except (ValueError, TypeError):
            continue  # a foreign or damaged JSON file, or a card of a newer format, is not a usable model
    return cards


def list_models() -> list[ModelCard]:
    """Cards of every available model, shipped first, then the user's.

    Cards of a newer format than this code reads are left out (:func:`load_model` explains why).
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
    """
    reference = reference or "site"
    names = {card.name for card in list_models()}
    if reference in names:
        return reference
    _raise_if_newer_format(reference)
    chosen = defaults()
    for kind in ("families", "tasks", "uses"):
        name = chosen[kind].get(reference)
        if name and name in names:
            return name
    if reference in TASKS:
        raise ModelNotFoundError(
            f"no model is installed yet for the task '{reference}' ({TASKS[reference]}); "
            f"available models: {', '.join(sorted(names)) or 'none'}"
        )
    family_models = sorted(card.name for card in list_models() if card.family == reference)
    if family_models:
        return family_models[0]
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
            continue  # damaged or foreign: not a model, as in list_models


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
    """
    name = resolve_name(reference)
    directory, source = _card_path(name)
    card = ModelCard.from_dict(
        json.loads((directory / f"{name}.json").read_text(encoding="utf-8")), source=source
    )
    state = load_file(str(directory / f"{name}.safetensors"), device="cpu")
    model = build_model(card, state)
    model.module.to(device)
    return model


def check_name(name: str) -> str:
    """Validate a model name (letters, digits, '.', '_', '-'; starts with a letter or digit; not 'defaults')."""
    if not NAME_PATTERN.match(name or ""):
        raise ValueError(
            f"invalid model name {name!r}: use letters, digits, '.', '_' or '-' (up to 100), starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise ValueError(f"invalid model name {name!r}: the name is reserved; choose another name")
    return name


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
        For an invalid name, or a name that belongs to a shipped model when saving to the user directory.
    """
    directory = Path(directory) if directory is not None else user_directory()
    card = model.card
    name = check_name(card.name if name is None else name)
    if (
        directory.resolve() != shipped_directory().resolve()
        and (shipped_directory() / f"{name}.json").is_file()
    ):
        raise ValueError(f"'{name}' is the name of a shipped model; choose another name")
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
    atomic_write(directory / f"{name}.safetensors", lambda path: save_file(state, path))
    card_path = directory / f"{name}.json"
    atomic_write(card_path, lambda path: Path(path).write_text(card_text, encoding="utf-8"))
    return card_path


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
    check_name(name)
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
