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

Every card records the SHA-256 of its weights file (``weights_sha256``, written by :func:`save_model` and
:func:`rename_model`), and :func:`load_model` refuses weights that do not match it
(:class:`WeightsChecksumError`). Cards saved before rnaapp recorded it load as before, with a note
(:func:`unchecked_weights`). A save that cannot write its files raises :class:`ModelSaveError`.

The package is split by concern; import from ``rnaapp.registry`` itself, which re-exports every public name:

``locations``
    the shipped and the user folder (:func:`shipped_directory`, :func:`user_directory`);
``cards``
    :class:`ModelCard`, :class:`TrainedModel`, the card format and its upgrades;
``default_models``
    ``defaults.json`` (:func:`defaults`);
``names``
    which names a model may have (:func:`check_name`, :func:`check_new_name`);
``problems``
    unusable model files and failed saves (:class:`ModelFileError`, :class:`WeightsChecksumError`,
    :class:`ModelSaveError`, :func:`model_file_problems`);
``store``
    listing, resolving, loading, saving, renaming and deleting models;
``summary``
    the table of models (:func:`model_summary`).
"""

from __future__ import annotations

from rnaapp.registry.cards import (
    CARD_KEYS,
    FORMAT_VERSION,
    CardFormatError,
    ModelCard,
    TrainedModel,
    build_model,
    file_sha256,
    upgrade_card,
)
from rnaapp.registry.default_models import DEFAULT_KINDS, DEFAULTS_FILE, USES, defaults
from rnaapp.registry.locations import shipped_directory, user_directory
from rnaapp.registry.names import NAME_PATTERN, RESERVED_NAMES, check_name, check_new_name
from rnaapp.registry.problems import (
    ModelFileError,
    ModelSaveError,
    WeightsChecksumError,
    model_file_problems,
)
from rnaapp.registry.store import (
    ModelNotFoundError,
    delete_model,
    list_models,
    load_model,
    rename_model,
    resolve_name,
    save_model,
    set_default,
    unchecked_weights,
)
from rnaapp.registry.summary import SUMMARY_METRICS, model_summary

__all__ = [
    "CARD_KEYS",
    "DEFAULTS_FILE",
    "DEFAULT_KINDS",
    "FORMAT_VERSION",
    "NAME_PATTERN",
    "RESERVED_NAMES",
    "SUMMARY_METRICS",
    "USES",
    "CardFormatError",
    "ModelCard",
    "ModelFileError",
    "ModelNotFoundError",
    "ModelSaveError",
    "TrainedModel",
    "WeightsChecksumError",
    "build_model",
    "check_name",
    "check_new_name",
    "defaults",
    "delete_model",
    "file_sha256",
    "list_models",
    "load_model",
    "model_file_problems",
    "model_summary",
    "rename_model",
    "resolve_name",
    "save_model",
    "set_default",
    "shipped_directory",
    "unchecked_weights",
    "upgrade_card",
    "user_directory",
]
