"""Unusable model files, reported in one line each: what is wrong with which file and what to do.

Damaged model files are reported, not skipped silently: loading and name resolution raise
:class:`ModelFileError` saying which file is unusable and why (:class:`WeightsChecksumError` when the
weights are not the bytes whose SHA-256 the card records), and :func:`model_file_problems` lists every
unusable model. A save that cannot write its files raises :class:`ModelSaveError`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from rnaapp.registry.cards import CardFormatError, _card_from_values
from rnaapp.registry.locations import shipped_directory, user_directory
from rnaapp.registry.names import NAME_PATTERN, RESERVED_NAMES


class ModelFileError(ValueError):
    """A model's files are unusable: a card or weights file missing, damaged, or not matching each other.

    The message names the model and the file, says what is wrong and what to do.
    """


class WeightsChecksumError(ModelFileError):
    """A model's weights file is not the one its card was saved with: its SHA-256 differs from the card's.

    The message names the model and the file, gives both digests (shortened) and says what to do.
    """


class ModelSaveError(OSError):
    """A model could not be saved (no room, no permission, an I/O error); nothing of it was written.

    An ``OSError`` (``errno`` is the cause's, when known) whose message is one line naming the model and the
    folder, why, and that the previous model of that name, if any, is kept as it was.
    """


#: How many hexadecimal digits of a SHA-256 digest messages show.
DIGEST_SHOWN = 12


def _short(error: BaseException, limit: int = 160) -> str:
    """An error's message on one line, without safetensors' prefix, at most ``limit`` characters."""
    text = " ".join(str(error).split()).removeprefix("Error while deserializing header: ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _remedy(source: str) -> str:
    """What to do about unusable files of a ``shipped`` or ``user`` model."""
    if source == "shipped":
        return "reinstall the shipped weights (rnaapp's weights/ folder, or the folder RNAAPP_WEIGHTS names)"
    return "retrain the model, or delete it (Models page)"


def _checksum_mismatch(
    name: str, weights_path: Path, card_path: Path, expected: str, found: str, source: str
) -> str:
    """Why the weights of ``name`` are refused when their SHA-256 is not the card's, on one line."""
    return (
        f"model '{name}': its weights file {weights_path} does not match the SHA-256 recorded in its card "
        f"{card_path.name} (expected {expected[:DIGEST_SHOWN]}..., found {found[:DIGEST_SHOWN]}...): the file was "
        f"changed or damaged after the model was saved; {_remedy(source)}"
    )


def _unchecked_note(name: str, card_path: Path, version: str, source: str) -> str:
    """The note for a model whose card records no SHA-256 of its weights (saved before cards had one)."""
    remedy = (
        "reinstall the shipped weights to get cards that record one"
        if source == "shipped"
        else "rename the model (Models page) or retrain it to record one"
    )
    return (
        f"model '{name}': its card {card_path} records no SHA-256 of its weights (saved by rnaapp "
        f"{version or '(unknown version)'}), so damage to them cannot be detected; {remedy}"
    )


_OS_ERROR_NUMBER = re.compile(r"\(os error (\d+)\)")


def _save_failure(what: str, directory: Path, error: BaseException, kept: str) -> ModelSaveError:
    """A :class:`ModelSaveError` for ``error`` (an ``OSError`` or a ``SafetensorError``), on one line.

    Parameters
    ----------
    what
        What failed, e.g. ``"model 'x' could not be saved"``.
    directory
        The folder written to.
    error
        The cause.
    kept
        What is left as it was, e.g. ``"the previous model 'x' is kept as it was"``.
    """
    number = getattr(error, "errno", None)
    if isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:  # safetensors: "Error while serializing: I/O error: No space left on device (os error 28)"
        reason = _short(error).removeprefix("Error while serializing: ").removeprefix("I/O error: ")
        match = _OS_ERROR_NUMBER.search(reason)
        if match:
            number = number if number is not None else int(match.group(1))
            reason = _OS_ERROR_NUMBER.sub("", reason).strip() or reason
    failure = ModelSaveError(f"{what} in {directory} ({reason}); {kept}")
    failure.errno = number
    return failure


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


def _state_dict_problem(error: RuntimeError) -> str:
    """The first problem that ``load_state_dict`` reports, on one line (its message has one per line)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    details = lines[1:] or lines
    first = _short(details[0] if details else error, limit=200).rstrip(".")
    return first + (f" (and {len(details) - 1} more)" if len(details) > 1 else "")
