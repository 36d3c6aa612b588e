"""``rnaapp predict`` and ``rnaapp evaluate``: score pairs, and measure models on a labelled file."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from rnaapp.commands.common import (
    CommandError,
    _check_file,
    _check_output,
    _check_table_output,
    _is_gene,
    _json_ready,
    _load,
    _read,
    _warn_name_mismatches,
    _warn_no_evidence,
    _write_csv,
    inference_options,
    progress_bar,
)


def _score(model, pairs, source: str, options, prior: float | None = None):
    """The input ``pairs`` with the model's score columns (:func:`rnaapp.inference.score_pairs`) appended.

    Input columns named like a score column are kept as ``input_<name>`` (with a note on stderr); for a
    miRNA-gene model, rows whose score rests on no evidence are named on stderr.
    """
    from rnaapp.inference import score_pairs, scored_table, scoring_time_note

    note = scoring_time_note(model, pairs)
    if note is not None:  # said before a long run starts, not only by the bar's rate once it runs
        print(f"{source}: {note}", file=sys.stderr)

    # tqdm's bar shows the rate and the time left; small files get it on a terminal only (a long target
    # makes even a few hundred pairs take minutes), files of 2,000 pairs or more always.
    with progress_bar(
        len(pairs), f"scoring with {model.name}", disable=None if len(pairs) < 2000 else False
    ) as advance:
        scores = score_pairs(model, pairs, options, progress=advance, source=source, prior=prior)
    scored, renamed = scored_table(pairs, scores, model.family.task)
    if renamed:
        print(
            f"{source}: note: the input column(s) {', '.join(renamed)} are kept as "
            f"{', '.join(f'input_{column}' for column in renamed)} (the output writes its own)",
            file=sys.stderr,
        )
    if _is_gene(model):
        _warn_no_evidence(model, scored, source)
    return scored


def command_predict(arguments: argparse.Namespace) -> int:
    """``rnaapp predict``: score a file of pairs (or one typed pair) and print or write the scores."""
    from rnaapp.io import pairs_from_sequences

    given = {"--mirna": arguments.mirna, "--target": arguments.target}
    if arguments.file and any(value is not None for value in given.values()):
        raise CommandError("give either FILE or --mirna and --target, not both")
    for option, value in given.items():
        if value is not None and not value.strip():
            raise CommandError(f"the sequence given with {option} is empty")
    if arguments.output:
        _check_table_output(arguments.output, "-o")
    options = inference_options(arguments)
    if arguments.file:
        _check_file(arguments.file)
        model = _load(arguments.model, options)
        pairs, source = _read(arguments.file, names_only=_is_gene(model)), Path(arguments.file).name
    elif arguments.mirna and arguments.target:
        pairs, source = pairs_from_sequences(arguments.mirna, arguments.target), "<input>"
        model = _load(arguments.model, options)
    else:
        raise CommandError("give a FILE of pairs, or both --mirna SEQ and --target SEQ")
    scored = _score(model, pairs, source, options, arguments.prior)
    if arguments.output:
        _write_csv(scored, arguments.output)
        print(f"wrote {len(scored)} scored pairs to {arguments.output} (model {model.name})", file=sys.stderr)
    else:
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
            print(scored.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    return 0


def _evaluated_models_and_pairs(arguments: argparse.Namespace, options) -> tuple[list, Any]:
    """The models ``rnaapp evaluate`` compares and the labelled pairs it reads.

    Without ``--model``: the default comparison (:func:`rnaapp.tasks.default_comparison`) of the task the
    file looks like (:func:`rnaapp.task_detection.detect_task`), announced on stderr. With ``--model``:
    those models, and a one-line warning on stderr when some are of another task than the file.
    """
    from rnaapp.io import InputError
    from rnaapp.task_detection import detect_task, task_mismatch_warning
    from rnaapp.tasks import default_comparison

    source = Path(arguments.file).name
    if not arguments.model:
        try:
            pairs = _read(arguments.file, require_label=True)
        except InputError:
            # Pairs given by names only (miRNA–gene test sets) are read when that was the only problem.
            try:
                pairs = _read(arguments.file, require_label=True, names_only=True)
            except InputError:
                pass
            else:
                if detect_task(pairs).task == "gene":
                    return _default_models(detect_task(pairs), options, source), pairs
            raise
        return _default_models(detect_task(pairs), options, source), pairs
    models = [_load(reference, options) for reference in dict.fromkeys(arguments.model)]
    # Rows without sequences (miRNA and gene names) only when every model is a gene model.
    pairs = _read(arguments.file, require_label=True, names_only=all(map(_is_gene, models)))
    guess = detect_task(pairs)
    warning = task_mismatch_warning(guess, {model.name: model.family.task for model in models})
    if warning is not None:
        hint = " (compared when --model is left out)" if default_comparison(guess.task) else ""
        print(f"{source}: warning: {warning}{hint}", file=sys.stderr)
    return models, pairs


def _default_models(guess, options, source: str) -> list:
    """The loaded default comparison of the guessed task (the site task's default model when it has none)."""
    from rnaapp.task_detection import TASK_NAMES
    from rnaapp.tasks import default_comparison

    names = default_comparison(guess.task)
    if not names:
        return [_load(None, options)]
    print(
        f"{source}: {TASK_NAMES.get(guess.task, guess.task)} pairs ({guess.reason}): comparing "
        f"{', '.join(names)} (choose others with --model)",
        file=sys.stderr,
    )
    return [_load(name, options) for name in names]


def command_evaluate(arguments: argparse.Namespace) -> int:
    """``rnaapp evaluate``: every metric of one or more models on a labelled file, optionally by group."""
    from rnaapp.comparison import group_breakdown
    from rnaapp.metrics import METRIC_NAMES, evaluate, plot_curves

    _check_file(arguments.file)
    if arguments.plot:
        _check_output(arguments.plot, "--plot")
    options = inference_options(arguments)
    models, pairs = _evaluated_models_and_pairs(arguments, options)
    _warn_name_mismatches(pairs, arguments.file)
    if arguments.by and arguments.by not in pairs.columns:
        raise CommandError(
            f"{arguments.file}: no column '{arguments.by}' to break down by; columns: {', '.join(pairs.columns)}"
        )
    results: dict[str, Any] = {}
    evaluations = {}
    for model in models:
        scored = _score(model, pairs, Path(arguments.file).name, options, arguments.prior)
        evaluation = evaluate(
            scored["label"].to_numpy(), scored["probability"].to_numpy(), arguments.threshold
        )
        evaluations[model.name] = evaluation
        entry: dict[str, Any] = {"model": model.name, "family": model.family.name} | evaluation.to_dict()
        if not arguments.curves:
            entry.pop("roc", None)
            entry.pop("pr", None)
        if arguments.by:
            # The Evaluate page's breakdown: undefined metrics of one-class groups are NaN (printed n/a).
            entry["by_" + arguments.by] = group_breakdown(
                scored, scored["probability"].to_numpy(), arguments.by, threshold=arguments.threshold
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
            {"model": name}
            | {
                key: math.nan if entry["metrics"][key] is None else entry["metrics"][key]
                for key in METRIC_NAMES
            }
            for name, entry in results.items()
        ]
    )
    positives = int(pairs["label"].sum())
    print(f"{arguments.file}: {len(pairs)} pairs ({positives} positive), threshold {arguments.threshold}")
    print(table.to_string(index=False, na_rep="n/a", float_format=lambda value: f"{value:.4f}"))
    if positives in (0, len(pairs)):
        missing = "negative" if positives else "positive"
        print(
            f"note: the file has no {missing} pairs, so AUC and AUPR are undefined (n/a) and "
            f"{'SPE' if positives else 'SEN and PRE'} are 0 by convention; measure on a file with both classes."
        )
    for name, entry in results.items():
        matrix = entry["confusion"]
        print(f"{name}: TP {matrix['tp']}  FP {matrix['fp']}  TN {matrix['tn']}  FN {matrix['fn']}")
        if arguments.by:
            print(
                pd.DataFrame(entry["by_" + arguments.by]).to_string(
                    index=False, na_rep="n/a", float_format=lambda v: f"{v:.4f}"
                )
            )
    if arguments.plot:
        print(f"wrote ROC/PR curves to {arguments.plot}", file=sys.stderr)
    return 0
