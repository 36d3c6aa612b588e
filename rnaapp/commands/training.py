"""``rnaapp train``: train a model of any family and save it with its card."""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnaapp.commands.common import CommandError, _read

#: What a JSON value is, in the message for a config file that is not a JSON object.
_JSON_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true or false"}


def read_config(path: str | Path) -> dict[str, Any]:
    """The JSON object of a ``--config`` file, or a one-line :class:`CommandError` naming the file.

    Refused: a file that cannot be read, a binary file, text that is not UTF-8, invalid JSON, and JSON that
    is not an object.
    """
    prefix = f"{path}: cannot read the JSON config"
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{prefix}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{prefix}: it is a folder, not a file") from None
    except OSError as error:
        raise CommandError(f"{prefix} ({error.strerror or error})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CommandError(f"{prefix}: it is UTF-16 text; save it as UTF-8")
    if b"\0" in data:
        raise CommandError(f"{prefix}: it is a binary file, not JSON text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{prefix}: it is not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start}); "
            "save it as UTF-8"
        ) from None
    if not text.strip():
        raise CommandError(f"{prefix}: the file is empty")
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{prefix}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise CommandError(f"{prefix}: not valid JSON (nested too deeply)") from None
    if not isinstance(values, dict):
        kind = "null" if values is None else _JSON_KINDS.get(type(values), type(values).__name__)
        raise CommandError(
            f'{path}: expected a JSON object {{"model": {{...}}, "training": {{...}}}}, not {kind}'
        )
    return values


def _training_settings(arguments: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """Model settings and :class:`~rnaapp.train.TrainingConfig` of ``--family``.

    From ``--config`` and the ``--epochs`` / ``--seed`` / ``--device`` / ``--batch-size`` /
    ``--learning-rate`` / ``--balance`` options (the options win).
    """
    from rnaapp.models import FAMILIES, config_from_dict
    from rnaapp.train import training_config_for

    if arguments.family not in FAMILIES:
        raise CommandError(f"unknown family '{arguments.family}'; known: {', '.join(sorted(FAMILIES))}")
    settings: dict[str, Any] = {}
    if arguments.config:
        settings = read_config(arguments.config)
        unknown = sorted(set(settings) - {"model", "training"})
        if unknown:
            raise CommandError(
                f'{arguments.config}: expected {{"model": {{...}}, "training": {{...}}}}; '
                f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
            )
    model_settings = settings.get("model") or {}
    if not isinstance(model_settings, dict) or not isinstance(settings.get("training") or {}, dict):
        raise CommandError(f'{arguments.config}: "model" and "training" must be JSON objects')
    try:
        config_from_dict(FAMILIES[arguments.family].config_class, model_settings)
    except (TypeError, ValueError) as error:
        raise CommandError(f"model settings: {error}") from None
    training_values = dict(settings.get("training") or {})
    for key in ("epochs", "seed", "device", "batch_size", "learning_rate", "balance"):
        value = getattr(arguments, key, None)
        if value is not None:
            training_values[key] = value
    try:
        training = training_config_for(arguments.family, training_values)
    except (TypeError, ValueError) as error:
        raise CommandError(f"training settings: {error}") from None
    return model_settings, training


def _training_reporter(total_epochs: int, description: str) -> tuple[Callable[[Any], None], list[Any]]:
    """A training progress callback drawing an epoch bar on stderr, and the list holding that bar (close it).

    The bar is made on the first event, so that input refused before training starts prints one error
    line only.
    """
    from tqdm import tqdm

    bars: list[Any] = []

    def report(event) -> None:
        if not bars:
            bars.append(tqdm(total=total_epochs, desc=description, unit="epoch", file=sys.stderr))
        bar = bars[0]
        if event.stage == "verdict" and not event.message.startswith("verdict:"):
            tqdm.write(event.message, file=sys.stderr)  # which baseline is scoring now
        if event.stage == "epoch":
            bar.update(1)
            bar.set_postfix(
                loss=f"{event.train_loss:.4f}", valid_auc=f"{event.valid_metrics.get('AUC', math.nan):.4f}"
            )
            tqdm.write(event.message, file=sys.stderr)

    return report, bars


def _filter_negatives(pairs, quantile: float):
    """AEmiGAP's negative-label adjustment of training pairs (:func:`rnaapp.graph.adjust_negatives`)."""
    from rnaapp.graph import adjust_negatives

    kept, report = adjust_negatives(pairs, quantile=quantile)
    print(
        f"filtered negatives (quantile {quantile:g} of the positives' GraRep distances, threshold "
        f"{report['threshold']:.4f}): dropped {report['dropped']} of {report['negatives']} negatives "
        f"({report['dropped_fraction']:.1%}); {len(kept)} training pairs left"
    )
    return kept, {"quantile": quantile} | report


def command_train(arguments: argparse.Namespace) -> int:
    """``rnaapp train``: train a model of a family and save it with its card (or cross-validate).

    Before any data is read, the model folder is checked (writable) and the model name's training lock is
    taken (:mod:`rnaapp.registry.locks`): a second training of the same name is refused at its start. With
    the data read, the folder is checked for room for the model, still before training. The lock is held
    until the model is saved. ``--cv`` saves nothing, so it takes no lock.
    """
    from rnaapp.models import FAMILIES
    from rnaapp.registry import check_new_name
    from rnaapp.registry.locks import TrainingLock, check_model_folder

    if arguments.family not in FAMILIES:
        raise CommandError(f"unknown family '{arguments.family}'; known: {', '.join(sorted(FAMILIES))}")
    try:
        check_new_name(arguments.name, arguments.output)  # before training, not after it
    except ValueError as error:
        raise CommandError(str(error)) from None
    model_settings, training = _training_settings(arguments)
    if arguments.filter_negatives is not None and arguments.cv:
        raise CommandError(
            "--filter-negatives cannot be combined with --cv (it would also drop negatives of the test folds)"
        )
    if arguments.cv:
        return _train(arguments, model_settings, training)
    try:
        check_model_folder(arguments.output, name=arguments.name)
        lock = TrainingLock(arguments.name, arguments.output, command="rnaapp train").acquire()
    except OSError as error:  # TrainingInProgressError, ModelFolderError
        raise CommandError(str(error)) from None
    try:
        return _train(arguments, model_settings, training)
    finally:
        lock.release()


def _train(arguments: argparse.Namespace, model_settings: dict[str, Any], training: Any) -> int:
    """Read the data, train (or cross-validate) and save: ``rnaapp train`` once its lock is held."""
    from safetensors import SafetensorError

    from rnaapp.models import FAMILIES
    from rnaapp.registry import save_model, set_default
    from rnaapp.registry.locks import describe_save_failure
    from rnaapp.train import TrainingCancelled, check_can_save, cross_validate, fit

    names_only = FAMILIES[arguments.family].task == "gene"
    train_pairs = _read(arguments.data, require_label=True, names_only=names_only)
    valid_pairs = (
        _read(arguments.valid, require_label=True, names_only=names_only) if arguments.valid else None
    )
    negative_filter = None
    if arguments.filter_negatives is not None:
        train_pairs, negative_filter = _filter_negatives(train_pairs, arguments.filter_negatives)
    if not arguments.cv:
        try:  # room for the model, sized from the data (graph families grow with its names)
            check_can_save(
                arguments.name,
                arguments.family,
                train_pairs,
                directory=arguments.output,
                model_config=model_settings,
                seed=training.seed,
            )
        except OSError as error:
            raise CommandError(str(error)) from None

    report, bars = _training_reporter(training.epochs * (arguments.cv or 1), f"training {arguments.family}")
    try:
        if arguments.cv:
            table = cross_validate(
                arguments.family,
                train_pairs,
                folds=arguments.cv,
                model_config=model_settings,
                training_config=training,
                progress=report,
            )
            for bar in bars:
                bar.close()
            print(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
            return 0
        model = fit(
            arguments.family,
            train_pairs,
            valid_pairs,
            model_config=model_settings,
            training_config=training,
            progress=report,
            name=arguments.name,
            verdict=True,
        )
    except (TrainingCancelled, ValueError, TypeError, FloatingPointError) as error:
        raise CommandError(f"training failed, nothing was saved: {error}") from None
    finally:
        for bar in bars:
            bar.close()
    model.card.training.update(
        {
            "data": str(arguments.data),
            "split": "given validation file"
            if arguments.valid
            else f"{training.valid_fraction:.0%} of the data held out",
            "seed": training.seed,
            "command": "rnaapp " + shlex.join(arguments.argv),
        }
    )
    if arguments.valid:
        model.card.training["valid_data"] = str(arguments.valid)
    if negative_filter is not None:
        model.card.training["negative_filter"] = negative_filter
    try:
        card_path = save_model(model, arguments.output)
    except (OSError, SafetensorError) as error:
        raise CommandError(describe_save_failure(model.name, arguments.output, error)) from None
    if arguments.set_default:
        try:
            set_default(model.name, directory=arguments.output)
        except OSError as error:
            raise CommandError(
                f"saved model '{model.name}' to {card_path}, but could not make it the default "
                f"({error.strerror or error})"
            ) from None
    best = model.card.training["best_valid_auc"]
    print(f"saved model '{model.name}' ({arguments.family}, validation AUC {best:.4f}) to {card_path}")
    print(verdict_line(model.card.training.get("verdict")))
    return 0


def verdict_line(verdict: dict[str, Any] | None) -> str:
    """The line ``rnaapp train`` prints about the training's verdict (:func:`rnaapp.train.judge_training`)."""
    from rnaapp.verdict import is_warning

    if verdict is None:
        return "verdict: none (the model was not compared with its baselines)"
    prefix = "WARNING: this model is " if is_warning(verdict) else "verdict: "
    return f"{prefix}{verdict['text']} [{verdict.get('seconds', 0):.1f} s to judge]"
