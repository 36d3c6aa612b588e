"""The model store: listing, resolving, loading, saving, renaming and deleting models.

Saving is atomic across both files: weights and card are first written completely to temporary files in the
target folder, and only then renamed into place, weights first and card last. A save that fails (a full disk,
a card that cannot be serialised, an interrupt) removes its temporary files and leaves the previous model of
that name as it was, so a listing never sees half a model or new weights beside an old card; it raises
:class:`ModelSaveError`, one line naming the model, the folder and the cause.

Every save records the SHA-256 of the weights file in the card (``weights_sha256``) and every load checks
it, so weights changed or damaged after the save are refused (:class:`WeightsChecksumError`) instead of
scoring silently wrong. Cards saved before rnaapp recorded it load as before, with a note
(:func:`unchecked_weights`, and a log warning once per model when it is loaded).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from rnaapp import __version__
from rnaapp.io import atomic_write
from rnaapp.models import FAMILIES, TASKS, config_to_dict
from rnaapp.registry.cards import (
    FORMAT_VERSION,
    CardFormatError,
    ModelCard,
    TrainedModel,
    _read_card,
    build_model,
    file_sha256,
    upgrade_card,
)
from rnaapp.registry.default_models import (
    _KIND_LABELS,
    DEFAULTS_FILE,
    _read_defaults,
    _repoint_defaults,
    _write_defaults,
    defaults,
)
from rnaapp.registry.locations import shipped_directory, user_directory
from rnaapp.registry.locks import refuse_while_training
from rnaapp.registry.names import NAME_PATTERN, _check_syntax, check_name, check_new_name
from rnaapp.registry.problems import (
    ModelFileError,
    WeightsChecksumError,
    _checksum_mismatch,
    _damaged_weights,
    _file_problem,
    _problem_in,
    _remedy,
    _save_failure,
    _short,
    _state_dict_problem,
    _unchecked_note,
)

_LOG = logging.getLogger(__name__)

#: Weights files already noted in this process as having no SHA-256 in their card (one note per model).
_NOTED_UNCHECKED: set[Path] = set()


class ModelNotFoundError(LookupError):
    """No model matches the requested name, family or task."""


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


def unchecked_weights(cards: list[ModelCard] | None = None) -> list[str]:
    """One note per model whose card records no SHA-256 of its weights, so damage cannot be detected.

    Such cards were saved before rnaapp recorded the digest; the models load as before. Saving a model
    again (retraining, or renaming a user model) records it. Show these lines as notes beside
    :func:`list_models`.

    Parameters
    ----------
    cards
        The cards to look at (:func:`list_models` by default).

    Returns
    -------
    list of str
        Messages naming the model and its card, and what to do.
    """
    cards = list_models() if cards is None else cards
    folders = {"shipped": shipped_directory(), "user": user_directory()}
    return [
        _unchecked_note(
            card.name,
            folders.get(card.source, user_directory()) / f"{card.name}.json",
            card.version,
            card.source,
        )
        for card in cards
        if not card.weights_sha256
    ]


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


def _card_path(name: str) -> tuple[Path, str]:
    for directory, source in ((user_directory(), "user"), (shipped_directory(), "shipped")):
        if (directory / f"{name}.json").is_file() and (directory / f"{name}.safetensors").is_file():
            return directory, source
    raise ModelNotFoundError(f"model '{name}' not found")


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
        non-finite (NaN or infinite) weights; :class:`WeightsChecksumError` (a ``ModelFileError``) when the
        weights file's SHA-256 is not the one its card records.

    Notes
    -----
    A card without a recorded SHA-256 (saved before rnaapp recorded one) loads as before; a warning on the
    ``rnaapp.registry.store`` logger says so, once per model and process (see :func:`unchecked_weights`).
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
    # After the header and value checks, whose messages say more about damage they find.
    _check_weights_digest(card, card_path, weights_path, source)
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


def _check_weights_digest(card: ModelCard, card_path: Path, weights_path: Path, source: str) -> None:
    """Refuse weights whose SHA-256 is not the card's; note (once) a card that records none.

    Raises
    ------
    WeightsChecksumError
        When the digests differ.
    ModelFileError
        When the weights file cannot be read.
    """
    if not card.weights_sha256:
        if weights_path not in _NOTED_UNCHECKED:
            _NOTED_UNCHECKED.add(weights_path)
            _LOG.warning("%s", _unchecked_note(card.name, card_path, card.version, source))
        return
    try:
        found = file_sha256(weights_path)
    except OSError as error:
        raise ModelFileError(
            f"model '{card.name}': its weights file {weights_path} cannot be read ({_short(error)}); "
            f"{_remedy(source)}"
        ) from error
    if found != card.weights_sha256:
        raise WeightsChecksumError(
            _checksum_mismatch(card.name, weights_path, card_path, card.weights_sha256, found, source)
        )


def _write_card(path: str, text: str) -> None:
    """Write a card's text to ``path`` (a temporary file)."""
    Path(path).write_text(text, encoding="utf-8")


def _write_model_files(
    directory: Path, name: str, state: dict[str, torch.Tensor], card: ModelCard
) -> tuple[Path, str]:
    """Write ``NAME.safetensors`` and ``NAME.json`` into ``directory`` as one step.

    Both are written completely to temporary files in ``directory`` (same file system, so renames are
    atomic) and flushed to disk; only then are they renamed into place, weights first and card last. The
    card written is ``card`` with the SHA-256 of the written weights file as its ``weights_sha256``. If
    anything fails before the renames, the temporary files are removed and a previous model of that name is
    left untouched. Only the second rename itself (within one folder) could fail after the first.

    Returns
    -------
    tuple of (pathlib.Path, str)
        The card path and the weights' SHA-256 hex digest.

    Raises
    ------
    ModelSaveError
        (an ``OSError``) when a file cannot be written: no room, no permission, an I/O error.
    """
    weights_path, card_path = directory / f"{name}.safetensors", directory / f"{name}.json"
    temporaries: list[str] = []

    def temporary_for(path: Path) -> str:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        temporaries.append(temporary)
        return temporary

    had_model = card_path.is_file() or weights_path.is_file()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        weights_temporary = temporary_for(weights_path)
        save_file(state, weights_temporary)
        digest = file_sha256(weights_temporary)
        card_text = dataclasses.replace(card, weights_sha256=digest).to_json() + "\n"
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
    except BaseException as error:
        for temporary in temporaries:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, (OSError, SafetensorError)):
            kept = f"the previous model '{name}' is kept as it was" if had_model else "nothing was written"
            raise _save_failure(f"model '{name}' could not be saved", directory, error, kept) from error
        raise
    return card_path, digest


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
    ModelSaveError
        (an ``OSError``) when a file cannot be written (e.g. the disk is full, or the folder is not
        writable); the previous model of that name, if any, is left as it was and no temporary files remain.
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
    card.created = card.created or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    # Serialise the card before touching any file: a card that cannot be written must not leave new
    # weights beside the previous card. The card written records the weights' SHA-256 as well.
    card.to_json()
    state = {key: value.detach().to("cpu").contiguous() for key, value in model.module.state_dict().items()}
    card_path, card.weights_sha256 = _write_model_files(directory, name, state, card)
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
    TrainingInProgressError
        (an ``OSError``) while a training of that name is running.
    """
    card_path, weights_path = _user_model_files(name)
    refuse_while_training(name, action="deleted")
    card_path.unlink(missing_ok=True)
    weights_path.unlink(missing_ok=True)
    _repoint_defaults(user_directory(), name, None)


def rename_model(old: str, new: str) -> Path:
    """Rename a user model; returns the new card path.

    The new weights and card (its ``name`` updated, migrated to the current card format) are written
    atomically before the old files are removed, so a failure leaves the model under its old name. User
    defaults that pointed at ``old`` point at ``new`` afterwards. A card that records no SHA-256 of its
    weights (saved before rnaapp recorded one) gains that of the weights as they are now; a recorded one
    is kept as it is, so damaged weights stay refused under the new name.

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
    ModelSaveError
        (an ``OSError``) when the new files cannot be written (e.g. the disk is full); the model is kept
        under its old name.
    TrainingInProgressError
        (an ``OSError``) while a training of ``old`` or of ``new`` is running.
    """
    old_card, old_weights = _user_model_files(old)
    check_name(new)
    refuse_while_training(old, action="renamed")
    refuse_while_training(new, action="given to another model")
    if not (old_card.is_file() and old_weights.is_file()):
        raise ModelNotFoundError(f"model '{old}' is incomplete (card or weights missing); delete it instead")
    for directory, source in ((user_directory(), "your"), (shipped_directory(), "a shipped")):
        if (directory / f"{new}.json").is_file() or (directory / f"{new}.safetensors").is_file():
            raise ValueError(f"'{new}' is already the name of {source} model; choose another name")
    card = ModelCard.from_dict(json.loads(old_card.read_text(encoding="utf-8")))
    card.name = new
    card.to_json()  # a card that cannot be written fails before any file is
    directory = user_directory()
    new_card, new_weights = directory / f"{new}.json", directory / f"{new}.safetensors"

    def copy_weights(path: str) -> None:
        shutil.copyfile(old_weights, path)
        card.weights_sha256 = card.weights_sha256 or file_sha256(path)

    try:
        atomic_write(new_weights, copy_weights)
        card_text = card.to_json() + "\n"
        try:
            atomic_write(new_card, lambda path: Path(path).write_text(card_text, encoding="utf-8"))
        except BaseException:
            new_weights.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise _save_failure(
            f"model '{old}' could not be renamed to '{new}'",
            directory,
            error,
            f"it is kept under its old name '{old}'",
        ) from error
    old_card.unlink(missing_ok=True)
    old_weights.unlink(missing_ok=True)
    _repoint_defaults(directory, old, new)
    return new_card
