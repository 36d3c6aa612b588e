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


def _training_settings(arguments: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """Model settings and :class:`~rnaapp.train.TrainingConfig` of ``--family``.

    From ``--config`` and the ``--epochs`` / ``--seed`` / ``--device`` / ``--batch-size`` /
    ``--learning-rate`` options (the options win).
    """
    from rnaapp.models import FAMILIES, config_from_dict
    from rnaapp.train import training_config_for

    if arguments.family not in FAMILIES:
        raise CommandError(f"unknown family '{arguments.family}'; known: {', '.join(sorted(FAMILIES))}")
    settings: dict[str, Any] = {}
    if arguments.config:
        try:
            settings = json.loads(Path(arguments.config).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"{arguments.config}: cannot read the JSON config ({error})") from None
        if not isinstance(settings, dict) or set(settings) - {"model", "training"}:
            raise CommandError(f'{arguments.config}: expected {{"model": {{...}}, "training": {{...}}}}')
    model_settings = settings.get("model") or {}
    if not isinstance(model_settings, dict) or not isinstance(settings.get("training") or {}, dict):
        raise CommandError(f'{arguments.config}: "model" and "training" must be JSON objects')
    try:
        config_from_dict(FAMILIES[arguments.family].config_class, model_settings)
    except (TypeError, ValueError) as error:
        raise CommandError(f"model settings: {error}") from None
    training_values = dict(settings.get("training") or {})
    for key in ("epochs", "seed", "device", "batch_size", "learning_rate"):
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
    """``rnaapp train``: train a model of a family and save it with its card (or cross-validate)."""
    from rnaapp.models import FAMILIES
    from rnaapp.registry import check_new_name, save_model, set_default
    from rnaapp.train import TrainingCancelled, cross_validate, fit

    if arguments.family not in FAMILIES:
        raise CommandError(f"unknown family '{arguments.family}'; known: {', '.join(sorted(FAMILIES))}")
    try:
        check_new_name(arguments.name, arguments.output)  # before training, not after it
    except ValueError as error:
        raise CommandError(str(error)) from None
    model_settings, training = _training_settings(arguments)
    names_only = FAMILIES[arguments.family].task == "gene"
    train_pairs = _read(arguments.data, require_label=True, names_only=names_only)
    valid_pairs = (
        _read(arguments.valid, require_label=True, names_only=names_only) if arguments.valid else None
    )
    negative_filter = None
    if arguments.filter_negatives is not None and arguments.cv:
        raise CommandError(
            "--filter-negatives cannot be combined with --cv (it would also drop negatives of the test folds)"
        )
    if arguments.filter_negatives is not None:
        train_pairs, negative_filter = _filter_negatives(train_pairs, arguments.filter_negatives)

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
    card_path = save_model(model, arguments.output)
    if arguments.set_default:
        set_default(model.name, directory=arguments.output)
    best = model.card.training["best_valid_auc"]
    print(f"saved model '{model.name}' ({arguments.family}, validation AUC {best:.4f}) to {card_path}")
    return 0
