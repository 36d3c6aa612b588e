"""The ``rnaapp`` command line.

Contract (other tools call it, so it stays stable)::

    rnaapp predict FILE [--model NAME] -o OUT.csv   # every input column plus `probability`
    rnaapp predict --mirna SEQ --target SEQ         # the same, printed as a table
    rnaapp evaluate FILE [--model NAME ...] [--json] [--plot CURVES.png] [--by COLUMN]
    rnaapp train --family F --data FILE [--valid FILE] [--config FILE] --name NAME
    rnaapp models [--json]

``--model`` takes a model name, a family name (its default model) or a task (``site``, ``plant``, ``gene``);
without it, ``site``. Errors print one line to stderr and exit with status 2 (bad input) or 1 (other).
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """A problem to report as one line, without a traceback."""


def _progress_bar(total: int, description: str):
    from tqdm import tqdm

    return tqdm(
        total=total, desc=description, unit="pair", file=sys.stderr, leave=False, disable=total < 2000
    )


def _load(reference: str | None, device: str):
    from rnaapp.registry import ModelNotFoundError, load_model
    from rnaapp.train import resolve_device

    try:
        return load_model(reference, device=resolve_device(device))
    except (ModelNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from None
    except KeyError as error:  # a card naming a family this version does not know
        raise CommandError(str(error.args[0]) if error.args else str(error)) from None


def _score(model, pairs, source: str, precision: str = "float32"):
    from rnaapp.predict import predict_pairs

    bar = _progress_bar(len(pairs), f"scoring with {model.name}")
    last = [0]

    def advance(done: int, total: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    try:
        return predict_pairs(model, pairs, progress=advance, source=source, precision=precision)
    finally:
        bar.close()


def _read(path: str, *, require_label: bool = False):
    from rnaapp.io import read_pairs

    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")
    return read_pairs(path, require_label=require_label)


def command_predict(arguments: argparse.Namespace) -> int:
    from rnaapp.io import pairs_from_sequences

    if arguments.file and (arguments.mirna or arguments.target):
        raise CommandError("give either FILE or --mirna and --target, not both")
    if arguments.file:
        pairs, source = _read(arguments.file), Path(arguments.file).name
    elif arguments.mirna and arguments.target:
        pairs, source = pairs_from_sequences(arguments.mirna, arguments.target), "<input>"
    else:
        raise CommandError("give a FILE of pairs, or both --mirna SEQ and --target SEQ")
    model = _load(arguments.model, arguments.device)
    scored = _score(model, pairs, source, arguments.precision)
    if arguments.output:
        _write_csv(scored, arguments.output)
        print(f"wrote {len(scored)} scored pairs to {arguments.output} (model {model.name})", file=sys.stderr)
    else:
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
            print(scored.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    return 0


def _write_csv(frame, path: str) -> None:
    from rnaapp.io import atomic_write

    separator = "\t" if Path(path).suffix.lower() in {".tsv", ".txt"} else ","
    atomic_write(path, lambda temporary: frame.to_csv(temporary, index=False, sep=separator))


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value


def command_evaluate(arguments: argparse.Namespace) -> int:
    from rnaapp.evaluate import METRIC_NAMES, evaluate, metrics_by_group, plot_curves

    pairs = _read(arguments.file, require_label=True)
    if arguments.by and arguments.by not in pairs.columns:
        raise CommandError(
            f"{arguments.file}: no column '{arguments.by}' to break down by; columns: {', '.join(pairs.columns)}"
        )
    results: dict[str, Any] = {}
    evaluations = {}
    for reference in arguments.model or [None]:
        model = _load(reference, arguments.device)
        scored = _score(model, pairs, Path(arguments.file).name)
        evaluation = evaluate(
            scored["label"].to_numpy(), scored["probability"].to_numpy(), arguments.threshold
        )
        evaluations[model.name] = evaluation
        entry: dict[str, Any] = {"model": model.name, "family": model.family.name} | evaluation.to_dict()
        if not arguments.curves:
            entry.pop("roc", None)
            entry.pop("pr", None)
        if arguments.by:
            entry["by_" + arguments.by] = metrics_by_group(
                scored, arguments.by, threshold=arguments.threshold
            ).to_dict(orient="records")
        results[model.name] = entry
    if arguments.plot:
        plot_curves(evaluations, arguments.plot)
    if arguments.json:
        print(json.dumps(_json_ready(results), indent=2))
        return 0
    import pandas as pd

    table = pd.DataFrame(
        [
            {"model": name} | {key: entry["metrics"][key] for key in METRIC_NAMES}
            for name, entry in results.items()
        ]
    )
    print(
        f"{arguments.file}: {len(pairs)} pairs ({int(pairs['label'].sum())} positive), threshold {arguments.threshold}"
    )
    print(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    for name, entry in results.items():
        matrix = entry["confusion"]
        print(f"{name}: TP {matrix['tp']}  FP {matrix['fp']}  TN {matrix['tn']}  FN {matrix['fn']}")
        if arguments.by:
            print(
                pd.DataFrame(entry["by_" + arguments.by]).to_string(
                    index=False, float_format=lambda v: f"{v:.4f}"
                )
            )
    if arguments.plot:
        print(f"wrote ROC/PR curves to {arguments.plot}", file=sys.stderr)
    return 0


def command_train(arguments: argparse.Namespace) -> int:
    from rnaapp.models import FAMILIES, config_from_dict
    from rnaapp.registry import check_name, save_model, set_default
    from rnaapp.train import TrainingCancelled, cross_validate, fit, training_config_for

    if arguments.family not in FAMILIES:
        raise CommandError(f"unknown family '{arguments.family}'; known: {', '.join(sorted(FAMILIES))}")
    try:
        check_name(arguments.name)
    except ValueError as error:
        raise CommandError(str(error)) from None
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
        value = getattr(arguments, key)
        if value is not None:
            training_values[key] = value
    try:
        training = training_config_for(arguments.family, training_values)
    except (TypeError, ValueError) as error:
        raise CommandError(f"training settings: {error}") from None
    train_pairs = _read(arguments.data, require_label=True)
    valid_pairs = _read(arguments.valid, require_label=True) if arguments.valid else None

    from tqdm import tqdm

    # Made on the first event, so that input refused before training starts prints one error line only.
    bars: list[Any] = []

    def report(event) -> None:
        if not bars:
            bars.append(
                tqdm(
                    total=training.epochs * (arguments.cv or 1),
                    desc=f"training {arguments.family}",
                    unit="epoch",
                    file=sys.stderr,
                )
            )
        bar = bars[0]
        if event.stage == "epoch":
            bar.update(1)
            bar.set_postfix(
                loss=f"{event.train_loss:.4f}", valid_auc=f"{event.valid_metrics.get('AUC', math.nan):.4f}"
            )
            tqdm.write(event.message, file=sys.stderr)

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
    card_path = save_model(model, arguments.output)
    if arguments.set_default:
        set_default(model.name, directory=arguments.output)
    best = model.card.training["best_valid_auc"]
    print(f"saved model '{model.name}' ({arguments.family}, validation AUC {best:.4f}) to {card_path}")
    return 0


def command_models(arguments: argparse.Namespace) -> int:
    from rnaapp.registry import defaults, list_models

    chosen = defaults()
    rows = []
    for card in list_models():
        rows.append(
            {
                "name": card.name,
                "family": card.family,
                "task": card.task,
                "source": card.source,
                "default": chosen["families"].get(card.family) == card.name,
                "task_default": chosen["tasks"].get(card.task) == card.name,
                "test_auc": {
                    data: values["AUC"]
                    for data, values in card.metrics.items()
                    if isinstance(values, dict) and values.get("AUC") is not None
                },
            }
        )
    if arguments.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no models installed")
        return 0
    width = max(len(row["name"]) for row in rows)
    print(f"{'name':<{width}}  {'family':<11} {'task':<5} {'source':<8} default  test AUC")
    for row in rows:
        mark = "task+family" if row["task_default"] else ("family" if row["default"] else "")
        auc = ", ".join(f"{value:.4f} ({data})" for data, value in row["test_auc"].items())
        print(
            f"{row['name']:<{width}}  {row['family']:<11} {row['task']:<5} {row['source']:<8} {mark:<8} {auc}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from rnaapp import __version__

    parser = argparse.ArgumentParser(
        prog="rnaapp", description="Predict and inspect miRNA-target interactions."
    )
    parser.add_argument("--version", action="version", version=f"rnaapp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="score miRNA-target pairs")
    predict.add_argument("file", nargs="?", help="pairs (CSV/TSV/FASTA-like formats rnaapp reads)")
    predict.add_argument("--mirna", help="miRNA sequence 5'->3'")
    predict.add_argument("--target", help="target sequence 5'->3'")
    predict.add_argument("--model", help="model name, family or task (default: site)")
    predict.add_argument("-o", "--output", help="write the scored pairs to this CSV (TSV for .tsv)")
    predict.add_argument("--device", default="auto", help="auto, cpu or cuda")
    predict.add_argument(
        "--precision",
        choices=["float32", "bfloat16"],
        default="float32",
        help="bfloat16 is faster on CPUs/GPUs that support it; scores move by a few hundredths at most",
    )
    predict.set_defaults(handler=command_predict)

    evaluate = commands.add_parser("evaluate", help="measure models on a labelled file")
    evaluate.add_argument("file")
    evaluate.add_argument("--model", action="append", help="model name, family or task; repeat to compare")
    evaluate.add_argument("--threshold", type=float, default=0.5)
    evaluate.add_argument("--by", help="also break the metrics down by this column (e.g. species, mirna_id)")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.add_argument("--curves", action="store_true", help="include ROC/PR points in the JSON")
    evaluate.add_argument("--plot", help="write ROC and PR curves to this image (png, pdf, svg)")
    evaluate.add_argument("--device", default="auto")
    evaluate.set_defaults(handler=command_evaluate)

    train = commands.add_parser("train", help="train a model and save it with its card")
    train.add_argument("--family", required=True)
    train.add_argument("--data", required=True, help="labelled training pairs")
    train.add_argument("--valid", help="labelled validation pairs for early stopping")
    train.add_argument("--config", help='JSON file {"model": {...}, "training": {...}}')
    train.add_argument("--name", required=True)
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int)
    train.add_argument("--device", help="auto, cpu or cuda")
    train.add_argument(
        "--cv", type=int, metavar="K", help="run K-fold cross-validation instead (nothing saved)"
    )
    train.add_argument("--output", help="model folder (default: the user model folder)")
    train.add_argument(
        "--set-default", action="store_true", help="make it the default of its family and task"
    )
    train.set_defaults(handler=command_train)

    models = commands.add_parser("models", help="list installed models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(handler=command_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = parser.parse_args(argv)
    arguments.argv = argv
    from rnaapp.io import InputError

    try:
        return arguments.handler(arguments)
    except InputError as error:
        print(f"rnaapp: error: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"rnaapp: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnaapp: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, RuntimeError) as error:
        print(f"rnaapp: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
