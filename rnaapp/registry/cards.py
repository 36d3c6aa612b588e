"""Model cards: what a model is and how it was made, their JSON format and its upgrades.

Each model is two files with the same stem: ``NAME.safetensors`` (weights, loaded without pickle) and
``NAME.json`` (the model card: family, config, training data and split, seed, the command that reproduces
it, test metrics, package version, card format).

Cards carry a ``format`` number (:data:`FORMAT_VERSION`). Cards of older formats are migrated when read
(:func:`upgrade_card`), so models saved by earlier releases keep loading; a card of a newer format than this
code knows is refused with a message asking to upgrade rnaapp. Optional keys may be added within a format:
every release reads only the keys it knows (:meth:`ModelCard.from_dict`), so older code reads such cards as
before. The format is bumped only for a change that older code would misread.

A card records the SHA-256 of its weights file (``weights_sha256``, written by every save), which loading
checks. Cards saved before rnaapp recorded it have none; they load as before, with a note.

A trained model's card also records the verdict of its training (``training["verdict"]``, optional within
format 1: the model against chance and its task's baselines on the validation pairs, see
:mod:`rnaapp.verdict`); cards without one (shipped, or saved by earlier releases) read as before, and
:func:`rnaapp.verdict.card_verdict` gives None for them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rnaapp import __version__
from rnaapp.models import Family, config_from_dict, get_family

#: Card format written by this code. Format 1: cards of rnaapp 0.1.0 (which wrote no ``format`` key); the
#: optional ``weights_sha256`` key and ``training["verdict"]`` came later within format 1 (older code
#: ignores them).
FORMAT_VERSION = 1

#: What a card's ``weights_sha256`` holds: the SHA-256 hex digest of the bytes of its ``.safetensors`` file.
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


#: Keys that every model card has (see :class:`ModelCard`).
CARD_KEYS = ("name", "family", "task", "config")


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
    scoring: dict[str, Any] = field(default_factory=dict)  # fitted site calibration and transcript score
    version: str = __version__
    created: str = ""
    format: int = FORMAT_VERSION  # card format, see upgrade_card
    weights_sha256: str = ""  # SHA-256 hex digest of the weights file; "" for cards saved before it was kept
    source: str = ""  # "shipped" or "user", filled when listed

    def to_json(self) -> str:
        """The card as the JSON text written beside the weights.

        ``source`` is left out, and so is ``weights_sha256`` when the card has none.
        """
        fields = {"format": self.format}
        fields.update((key, value) for key, value in self.__dict__.items() if key not in ("source", "format"))
        if not self.weights_sha256:
            del fields["weights_sha256"]
        return json.dumps(fields, indent=2, sort_keys=False, allow_nan=False, default=_json_default)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "") -> ModelCard:
        """Card from its JSON object, migrated to the current format (see :func:`upgrade_card`)."""
        values = upgrade_card(values)
        known = {key: values[key] for key in cls.__dataclass_fields__ if key in values and key != "source"}
        return cls(**known, source=source)


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes, read in chunks (the file is never held in memory whole).

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


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
        """The model's name (its card's)."""
        return self.card.name

    @property
    def device(self) -> torch.device:
        """The device the model's parameters are on (the CPU for a model without parameters)."""
        parameter = next(self.module.parameters(), None)
        return parameter.device if parameter is not None else torch.device("cpu")


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
    digest = values.get("weights_sha256", "")
    if not isinstance(digest, str) or not (digest == "" or SHA256_PATTERN.match(digest)):
        raise ValueError("its weights_sha256 is not a SHA-256 digest (64 lower-case hexadecimal digits)")
    return ModelCard.from_dict(values, source=source)


def _read_card(path: Path, source: str = "") -> ModelCard:
    """The card stored at ``path`` (see :func:`_card_from_values`); ``OSError`` when it cannot be read."""
    return _card_from_values(json.loads(path.read_text(encoding="utf-8")), source=source)


def build_model(card: ModelCard, state: dict[str, torch.Tensor] | None = None) -> TrainedModel:
    """Make a :class:`TrainedModel` from a card and (optionally) its weights, in eval mode."""
    family = get_family(card.family)
    config = config_from_dict(family.config_class, card.config)
    module = family.build(config)
    if state is not None:
        module.load_state_dict(state)
    module.eval()
    return TrainedModel(card=card, family=family, config=config, module=module)
