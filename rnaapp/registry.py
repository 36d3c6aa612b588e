"""Where models live: shipped ones in ``weights/``, user-trained ones in a user directory.

Each model is two files with the same stem: ``NAME.safetensors`` (weights, loaded without pickle) and
``NAME.json`` (the model card: family, config, training data and split, seed, the command that reproduces
it, test metrics, package version). A ``defaults.json`` beside them maps tasks and families to the
model used when only a task or family is named; the user directory's entries win over the shipped ones.

Saving is atomic: files are written under temporary names and renamed into place, weights first and card
last, so a listing never sees half a model and a failed save leaves the previous model as it was.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from rnaapp import __version__
from rnaapp.io import atomic_write
from rnaapp.models import TASKS, Family, config_from_dict, config_to_dict, get_family

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DEFAULTS_FILE = "defaults.json"


def shipped_directory() -> Path:
    """The folder of shipped weights (``RNAAPP_WEIGHTS`` or the repository's ``weights/``)."""
    configured = os.environ.get("RNAAPP_WEIGHTS")
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / "weights"


def user_directory() -> Path:
    """The folder of models trained by the user (``RNAAPP_HOME``/models, default ``~/.rnaapp/models``)."""
    home = os.environ.get("RNAAPP_HOME")
    return (Path(home) if home else Path.home() / ".rnaapp") / "models"


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
    source: str = ""  # "shipped" or "user", filled when listed

    def to_json(self) -> str:
        fields = {key: value for key, value in self.__dict__.items() if key != "source"}
        return json.dumps(fields, indent=2, sort_keys=False, allow_nan=False, default=_json_default)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "") -> ModelCard:
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


def _read_defaults(directory: Path) -> dict[str, dict[str, str]]:
    path = directory / DEFAULTS_FILE
    if not path.is_file():
        return {"tasks": {}, "families": {}}
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        return {"tasks": dict(values.get("tasks", {})), "families": dict(values.get("families", {}))}
    except (ValueError, TypeError, AttributeError):
        return {"tasks": {}, "families": {}}  # a damaged defaults file is ignored, like a damaged card


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
            continue  # a foreign or damaged JSON file is not a model
    return cards


def list_models() -> list[ModelCard]:
    """Cards of every available model, shipped first, then the user's."""
    return _cards_in(shipped_directory(), "shipped") + _cards_in(user_directory(), "user")


def defaults() -> dict[str, dict[str, str]]:
    """Default model names by task and by family (user choices override shipped ones)."""
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
    chosen = defaults()
    for kind in ("families", "tasks"):
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
    """Validate a model name (letters, digits, '.', '_', '-'; starts with a letter or digit)."""
    if not NAME_PATTERN.match(name or ""):
        raise ValueError(
            f"invalid model name {name!r}: use letters, digits, '.', '_' or '-' (up to 100), starting with a letter or digit"
        )
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
    text = json.dumps(values, indent=2, sort_keys=True) + "\n"
    atomic_write(directory / DEFAULTS_FILE, lambda path: Path(path).write_text(text, encoding="utf-8"))
