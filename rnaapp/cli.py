"""The ``rnaapp`` command line.

Contract (other tools call it, so it stays stable)::

    rnaapp predict FILE [--model NAME] -o OUT.csv   # every input column plus `probability`
    rnaapp predict --mirna SEQ --target SEQ         # the same, printed as a table
    rnaapp scan --mirnas FILE --targets FILE [--model NAME] [--top N] -o OUT.parquet
                                                    # OUT.parquet, OUT.sites.parquet, OUT.top.csv
    rnaapp evaluate FILE [--model NAME ...] [--json] [--plot CURVES.png] [--by COLUMN]
    rnaapp train --family F --data FILE [--valid FILE] [--config FILE] --name NAME [--filter-negatives Q]
    rnaapp rank KNOWN_PAIRS [--model NAME | --family F] [--utrs FASTA] [--top N] [-o OUT.csv]
                                                    # the most likely unknown miRNA-gene pairs
    rnaapp models [--json]
    rnaapp app [--port N] [--address ADDRESS] [-- STREAMLIT_OPTIONS]
                                                    # the app in the browser, on this computer only

``--model`` takes a model name, a family name (its default model) or a task (``site``, ``plant``, ``gene``);
without it, ``site``. Errors print one line to stderr and exit with status 2 (bad input) or 1 (other).

Gene models (``--model gene``; families ``grmmi``, ``aemigap``) read rows that name the miRNA and the gene
without target sequence (miRNA sequences are filled by name from the configured miRBase file) in
``predict``, ``evaluate``, ``train`` and ``rank``.

Targets longer than the model's window (whole 3'UTRs, lncRNAs) are scanned by ``predict`` and
``evaluate``: ``probability`` is then the transcript-level probability (best candidate site), and
``predict`` adds the columns ``scanned``, ``best_site_start`` and ``best_site_type``. Plant miRNA-lncRNA
models (``--model plant``) read every target whole: nothing is scanned, and ``scan`` scores each miRNA
against each whole transcript and reports its best complementary sites.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Callable, Sequence
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

    if reference is not None and not reference.strip():
        raise CommandError("--model is empty: give a model name, a family or a task (site, plant, gene)")
    try:
        return load_model(reference, device=resolve_device(device))
    except (ModelNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from None
    except KeyError as error:  # a card naming a family this version does not know
        raise CommandError(str(error.args[0]) if error.args else str(error)) from None


def _score(model, pairs, source: str, precision: str = "float32"):
    """``pairs`` with ``probability``; targets longer than the model's window are scanned.

    When any target was scanned, ``scanned``, ``best_site_start`` and ``best_site_type`` are added.
    """
    from rnaapp.predict import predict_pairs
    from rnaapp.scan import transcript_probabilities

    bar = _progress_bar(len(pairs), f"scoring with {model.name}")
    last = [0]

    def advance(done: int, total: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    limit = model.family.max_target_length(model.config)
    pairs = _keep_input_columns(pairs, source)
    try:
        # Gene models score miRNA-gene associations by name and graph: nothing to scan (too long is refused).
        too_long = limit is not None and (pairs["target_seq"].str.len() > limit).any()
        if not too_long or model.family.task == "gene":
            scored = predict_pairs(model, pairs, progress=advance, source=source, precision=precision)
            return _with_node_status(model, scored, source) if _is_gene(model) else scored
        scores = transcript_probabilities(
            model,
            pairs["mirna_seq"].tolist(),
            pairs["target_seq"].tolist(),
            precision=precision,
            progress=advance,
            source=source,
        )
    finally:
        bar.close()
    scored = pairs.copy()
    for column in ("probability", "scanned", "best_site_start", "best_site_type"):
        scored[column] = scores[column].array
    return scored


#: Columns the scoring adds to the input's.
_OUTPUT_COLUMNS = ("probability", "scanned", "best_site_start", "best_site_type", "node_status")


def _keep_input_columns(pairs, source: str):
    """``pairs`` with input columns named like an output column renamed ``input_<name>`` (and a note), so
    that scoring never overwrites what the file gave."""
    clashes = [column for column in _OUTPUT_COLUMNS if column in pairs.columns]
    if not clashes:
        return pairs
    renamed = {column: f"input_{column}" for column in clashes}
    print(
        f"{source}: note: the input column(s) {', '.join(clashes)} are kept as "
        f"{', '.join(renamed.values())} (the output writes its own)",
        file=sys.stderr,
    )
    return pairs.rename(columns=renamed)


def _with_node_status(model, scored, source: str):
    """Gene-model scores with ``node_status`` (whether the miRNA and gene were in the training graph), and a
    note on stderr naming the rows whose score rests on no graph edge and no sequence of the miRNA."""
    from rnaapp.rank import node_status

    scored = scored.copy()
    scored["node_status"] = node_status(model, scored["mirna_id"].tolist(), scored["target_id"].tolist())
    no_evidence = (scored["node_status"].isin(["unseen miRNA", "both unseen"])) & (
        scored["mirna_seq"].fillna("").astype(str) == ""
    )
    if no_evidence.any():
        rows = [str(index + 1) for index in range(len(scored)) if no_evidence.iloc[index]]
        shown = ", ".join(rows[:10]) + (", ..." if len(rows) > 10 else "")
        print(
            f"{source}: warning: {len(rows)} row(s) name a miRNA that is neither in {model.name}'s training "
            f"graph nor in the miRBase file (no sequence): their score rests on no evidence about that miRNA. "
            f"Rows: {shown}.",
            file=sys.stderr,
        )
    return scored


def _check_output(path: str | Path, option: str) -> None:
    """Refuse an output path that is a folder, or whose folder is a file, before any work is done."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{option} {path}: is a folder; give a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CommandError(f"{option} {path}: {parent} is a file, not a folder")
            break


def _check_file(path: str) -> None:
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")


def _read(path: str, *, require_label: bool = False, names_only: bool = False):
    """Read a pair file; with ``names_only`` (gene models) rows may name the miRNA and gene without target
    sequence, and missing miRNA sequences are filled by name from the configured miRBase file."""
    from rnaapp.io import read_pairs

    _check_file(path)
    if not names_only:
        return read_pairs(path, require_label=require_label)
    from rnaapp.settings import load_settings, mirna_reference

    return read_pairs(
        path,
        require_label=require_label,
        require_sequences=False,
        mirna_reference=mirna_reference(load_settings().mirbase_path),
    )


def _warn_name_mismatches(pairs, source: str) -> None:
    """Print to stderr which rows name a miRNA whose sequence in the miRBase file (or the built-in
    examples) differs from the one given; nothing when no row does. An unreadable miRBase file leaves the
    check to the built-in examples."""
    from rnaapp.io import describe_name_mismatches, mirna_name_mismatches
    from rnaapp.settings import configured_mirna_reference

    mismatches = mirna_name_mismatches(pairs, configured_mirna_reference())
    if not mismatches.empty:
        rows = ", ".join(map(str, mismatches["row"].head(10))) + (", ..." if len(mismatches) > 10 else "")
        print(f"{source}: note: {describe_name_mismatches(mismatches)} Rows: {rows}.", file=sys.stderr)


def _is_gene(model) -> bool:
    return model.family.task == "gene"


def command_predict(arguments: argparse.Namespace) -> int:
    from rnaapp.io import pairs_from_sequences

    given = {"--mirna": arguments.mirna, "--target": arguments.target}
    if arguments.file and any(value is not None for value in given.values()):
        raise CommandError("give either FILE or --mirna and --target, not both")
    for option, value in given.items():
        if value is not None and not value.strip():
            raise CommandError(f"the sequence given with {option} is empty")
    if arguments.output:
        _check_output(arguments.output, "-o")
    if arguments.file:
        _check_file(arguments.file)
        model = _load(arguments.model, arguments.device)
        pairs, source = _read(arguments.file, names_only=_is_gene(model)), Path(arguments.file).name
    elif arguments.mirna and arguments.target:
        pairs, source = pairs_from_sequences(arguments.mirna, arguments.target), "<input>"
        model = _load(arguments.model, arguments.device)
    else:
        raise CommandError("give a FILE of pairs, or both --mirna SEQ and --target SEQ")
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

    _check_file(arguments.file)
    if arguments.plot:
        _check_output(arguments.plot, "--plot")
    models = [_load(reference, arguments.device) for reference in dict.fromkeys(arguments.model or [None])]
    # Rows without sequences (miRNA and gene names) only when every model is a gene model.
    pairs = _read(arguments.file, require_label=True, names_only=all(map(_is_gene, models)))
    _warn_name_mismatches(pairs, arguments.file)
    if arguments.by and arguments.by not in pairs.columns:
        raise CommandError(
            f"{arguments.file}: no column '{arguments.by}' to break down by; columns: {', '.join(pairs.columns)}"
        )
    results: dict[str, Any] = {}
    evaluations = {}
    for model in models:
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
                    index=False, float_format=lambda v: f"{v:.4f}"
                )
            )
    if arguments.plot:
        print(f"wrote ROC/PR curves to {arguments.plot}", file=sys.stderr)
    return 0


def _training_settings(arguments: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """Model settings and :class:`~rnaapp.train.TrainingConfig` of ``--family``, from ``--config`` and the
    ``--epochs`` / ``--seed`` / ``--device`` / ``--batch-size`` / ``--learning-rate`` options."""
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


def command_rank(arguments: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rnaapp.rank import rank_candidates, train_and_rank

    if arguments.model and arguments.family:
        raise CommandError(
            "give either --model (rank with a trained model) or --family (train one), not both"
        )
    given = {"--config": arguments.config, "--epochs": arguments.epochs, "--seed": arguments.seed}
    given["--save"] = arguments.save
    training_options = [option for option, value in given.items() if value is not None]
    if arguments.model and training_options:
        raise CommandError(
            f"{', '.join(training_options)} only go with --family (training a model to rank with)"
        )
    if arguments.save:
        from rnaapp.registry import check_new_name

        try:
            check_new_name(arguments.save)
        except ValueError as error:
            raise CommandError(str(error)) from None
    _check_file(arguments.known_pairs)
    if arguments.output:
        _check_output(arguments.output, "-o")
    source = Path(arguments.known_pairs).name
    if arguments.model:
        model = _load(arguments.model, arguments.device)
        known = _read(arguments.known_pairs, names_only=True)
    else:
        arguments.family = arguments.family or "grmmi"
        model_settings, training = _training_settings(arguments)
        known = _read(arguments.known_pairs, require_label=True, names_only=True)
    if arguments.utrs:
        from rnaapp.io import attach_target_sequences, read_fasta

        _check_file(arguments.utrs)
        known, genes = attach_target_sequences(known, read_fasta(arguments.utrs))
        print(
            f"{Path(arguments.utrs).name}: 3'UTRs attached to {genes:,} of the {known['target_id'].nunique():,} genes",
            file=sys.stderr,
        )
    mirnas = known["mirna_id"].nunique()
    bar = tqdm(
        total=mirnas, desc=f"ranking {source}", unit="miRNA", file=sys.stderr, leave=False, disable=mirnas < 2
    )
    last = [0]

    def advance(done: int, _: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    if arguments.model:
        try:
            table = rank_candidates(model, known, top=arguments.top, progress=advance)
        finally:
            bar.close()
    else:
        from dataclasses import asdict

        from rnaapp.train import TrainingCancelled

        report, bars = _training_reporter(training.epochs, f"training {arguments.family}")
        try:
            model, table = train_and_rank(
                known,
                arguments.family,
                top=arguments.top,
                model_config=model_settings,
                training_overrides=asdict(training),
                progress=advance,
                training_progress=report,
            )
        except (TrainingCancelled, ValueError, TypeError, FloatingPointError) as error:
            raise CommandError(f"training failed: {error}") from None
        finally:
            for training_bar in bars:
                training_bar.close()
            bar.close()
        if arguments.save:
            from rnaapp.registry import save_model

            model.card.training.update(
                {"data": str(arguments.known_pairs), "command": "rnaapp " + shlex.join(arguments.argv)}
            )
            try:
                card_path = save_model(model, name=arguments.save)
            except ValueError as error:
                raise CommandError(str(error)) from None
            print(f"saved model '{model.name}' to {card_path}", file=sys.stderr)
    if arguments.output:
        _write_csv(table, arguments.output)
        print(
            f"wrote the top {len(table)} candidate pairs to {arguments.output} (model {model.name})",
            file=sys.stderr,
        )
    else:
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    return 0


#: A scan with fewer miRNA x transcript nucleotides than this runs in this process unless ``--workers``
#: is given: starting worker processes would take longer than the scan.
_SMALL_SCAN_NUCLEOTIDES = 2_000_000


def _scan_outputs(output: str) -> tuple[Path, Path, Path, bool]:
    """Pair, site and top-N files for ``-o OUTPUT``, and whether they are CSV (else Parquet)."""
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"}:
        base = path.with_suffix("")
        return (
            path,
            base.with_name(f"{base.name}.sites{path.suffix}"),
            base.with_name(f"{base.name}.top{path.suffix}"),
            True,
        )
    if suffix not in {"", ".parquet"}:
        raise CommandError(
            f"-o {output}: give OUT.parquet (or OUT without a suffix: .parquet is added), OUT.csv or OUT.tsv"
        )
    base = path.with_suffix("") if suffix == ".parquet" else path
    if not suffix:
        path = path.with_name(f"{path.name}.parquet")
    return path, base.with_name(f"{base.name}.sites.parquet"), base.with_name(f"{base.name}.top.csv"), False


def _check_targets(path: str) -> tuple[int, int]:
    """Read the whole transcript file once (validating every record); its record and nucleotide counts."""
    from tqdm import tqdm

    from rnaapp.scan import count_transcripts, iter_transcripts

    expected = count_transcripts(path)
    records = nucleotides = 0
    with tqdm(
        total=expected,
        desc=f"checking {Path(path).name}",
        unit="transcript",
        file=sys.stderr,
        leave=False,
        disable=expected < 20_000,
    ) as bar:
        for _, sequence in iter_transcripts(path):
            records += 1
            nucleotides += len(sequence)
            bar.update(1)
    return records, nucleotides


def _format_rate(value: float) -> str:
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.1f} {unit}"
    return f"{value:.0f} "


def _scan_default() -> str:
    """The model scans use by default: the ``uses.scan`` entry of defaults.json, else the site task's."""
    from rnaapp.registry import defaults

    return "scan" if defaults()["uses"].get("scan") else "site"


def command_scan(arguments: argparse.Namespace) -> int:
    import time

    import pandas as pd
    from tqdm import tqdm

    from rnaapp.scan import (
        default_scan_workers,
        iter_transcripts,
        read_mirnas_file,
        scan,
        scan_batches,
        top_interactions,
        write_scan,
    )
    from rnaapp.settings import load_settings, mirna_reference

    for path in (arguments.mirnas, arguments.targets):
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
    pairs_path, sites_path, top_path, as_csv = _scan_outputs(arguments.output)
    for path in (pairs_path, sites_path, top_path):
        _check_output(path, "-o")
    if arguments.scheduler:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise CommandError(
                "--scheduler needs Dask's distributed scheduler: pip install 'dask[distributed]'"
            ) from None
    mirnas = read_mirnas_file(arguments.mirnas, mirna_reference(load_settings().mirbase_path))
    n_targets, nucleotides = _check_targets(arguments.targets)
    model = _load(arguments.model or _scan_default(), arguments.device)
    if _is_gene(model):
        raise CommandError(
            f"{model.name} is a miRNA-gene association model: it scores a miRNA and a gene as a whole, not sites "
            "along a transcript; score pairs with `rnaapp predict --model gene` or rank candidates with "
            "`rnaapp rank`, and scan with a site or plant model (e.g. --model site)"
        )

    workers = arguments.workers or default_scan_workers()
    if arguments.workers is None and nucleotides * len(mirnas) < _SMALL_SCAN_NUCLEOTIDES:
        workers = 1
    # Groups small enough that every worker gets several, at most 200 kb (the library's default).
    chunk_nucleotides = int(min(200_000, max(1_000, nucleotides // (4 * workers))))
    total = n_targets * len(mirnas)
    bar = tqdm(
        total=total,
        desc=f"scanning with {model.name}",
        unit="pair",
        file=sys.stderr,
        leave=False,
        disable=total < 2000,
    )
    last = [0]

    def advance(done: int, _: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    options = {
        "noncanonical": not arguments.no_noncanonical,
        "sites_per_pair": arguments.sites_per_pair,
        "energies": not arguments.no_energies,
        "precision": arguments.precision,
        "workers": workers,
        # Forked workers start at once and share the loaded model; this process has run no model yet.
        "start_method": "fork" if sys.platform == "linux" else "spawn",
        "scheduler": arguments.scheduler,
        "chunk_nucleotides": chunk_nucleotides,
        "n_targets": n_targets,
        "progress": advance,
    }
    started = time.perf_counter()
    try:
        if as_csv:
            result = scan(model, mirnas, iter_transcripts(arguments.targets), **options)
            _write_csv(result.sites, str(sites_path))
            _write_csv(result.pairs, str(pairs_path))
            n_pairs, n_sites = len(result.pairs), len(result.sites)
            ranked: Any = result.pairs
        else:
            n_pairs, n_sites = write_scan(
                scan_batches(model, mirnas, iter_transcripts(arguments.targets), **options),
                pairs_path,
                sites_path,
            )
            ranked = pairs_path
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    written = [pairs_path, sites_path]
    if arguments.top and n_pairs:
        blocks = []
        for ranking, per in (("overall", None), ("per_mirna", "mirna"), ("per_target", "target")):
            block = top_interactions(ranked, arguments.top, per)
            block.insert(0, "ranking", ranking)
            blocks.append(block)
        _write_csv(pd.concat(blocks, ignore_index=True), str(top_path))
        written.append(top_path)
        shown = blocks[0].drop(columns="ranking")
        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(shown.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    elif top_path.is_file():
        top_path.unlink()  # a top list of an earlier scan to the same OUT would not match this one
        print(f"removed {top_path}: it listed an earlier scan", file=sys.stderr)
    rate = nucleotides * len(mirnas) / max(seconds, 1e-9)
    where = arguments.scheduler or ("1 process" if workers == 1 else f"{workers} processes")
    print(
        f"scanned {len(mirnas)} miRNAs x {n_targets} transcripts with {model.name} ({where}): "
        f"{n_pairs} pairs, {n_sites} sites in {seconds:.1f} s ({_format_rate(rate)}nt/s); "
        f"wrote {', '.join(map(str, written))}",
        file=sys.stderr,
    )
    return 0


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type for whole numbers of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_count = _whole_number(0)


def _unit_interval(text: str) -> float:
    """An argparse type for a number in [0, 1] (a quantile, a probability threshold)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, not {text!r}") from None
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {value:g}")
    return value


_quantile = _unit_interval
_probability = _unit_interval


def command_models(arguments: argparse.Namespace) -> int:
    from rnaapp.registry import defaults, list_models, model_file_problems

    for problem in model_file_problems():
        print(f"rnaapp: warning: {problem}", file=sys.stderr)
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
    for row in rows:
        row["mark"] = "task+family" if row["task_default"] else ("family" if row["default"] else "")
    columns = ("name", "family", "task", "source", "mark")
    widths = {
        column: max(len("default" if column == "mark" else column), *(len(row[column]) for row in rows))
        for column in columns
    }
    header = [("default" if column == "mark" else column).ljust(widths[column]) for column in columns]
    print("  ".join([*header, "test AUC"]))
    for row in rows:
        auc = ", ".join(f"{value:.4f} ({data})" for data, value in row["test_auc"].items())
        print("  ".join([*(row[column].ljust(widths[column]) for column in columns), auc]).rstrip())
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
    predict.add_argument("-o", "--output", help="write the scored pairs to this CSV (TSV for .tsv or .txt)")
    predict.add_argument("--device", default="auto", help="auto, cpu or cuda")
    predict.add_argument(
        "--precision",
        choices=["float32", "bfloat16"],
        default="float32",
        help="bfloat16 is faster on CPUs/GPUs that support it; scores move by a few hundredths at most",
    )
    predict.set_defaults(handler=command_predict)

    scan_command = commands.add_parser(
        "scan",
        help="scan miRNAs against long transcripts (3'UTRs, lncRNAs) and rank the interactions",
        description=(
            "Score every candidate seed site of every miRNA on every transcript and rank the "
            "(miRNA, transcript) pairs by transcript-level probability (the best site's); a plant "
            "miRNA-lncRNA model (--model plant) scores each whole transcript instead and reports its best "
            "complementary sites (psRNATarget-style expectation). Writes "
            "OUT.parquet (one row per pair, in input order; query it with pandas or DuckDB), "
            "OUT.sites.parquet (the best sites of each pair) and OUT.top.csv (top N overall, per miRNA "
            "and per transcript, told apart by the `ranking` column), and prints the overall top N."
        ),
    )
    scan_command.add_argument(
        "--mirnas",
        required=True,
        metavar="FILE",
        help="miRNAs: FASTA, one miRBase name or sequence per line, or a table with a name or sequence "
        "column; names resolve through the miRBase file set in Settings (RNAAPP_MIRBASE)",
    )
    scan_command.add_argument(
        "--targets",
        required=True,
        metavar="FILE",
        help="transcripts: FASTA (gzip accepted; streamed, any size) or a CSV/TSV table with id and "
        "sequence columns (e.g. target_id,target_seq)",
    )
    scan_command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="OUT.parquet (default format; also writes OUT.sites.parquet and OUT.top.csv). With .csv or "
        ".tsv: ranked pairs and OUT.sites.csv instead, built in memory, so only for small scans",
    )
    scan_command.add_argument(
        "--model",
        help="model name, family or task (default: the model chosen for scanning in defaults.json, "
        "else the site task's default)",
    )
    scan_command.add_argument(
        "--top",
        type=_count,
        default=10,
        metavar="N",
        help="write the top N pairs overall, per miRNA and per transcript to OUT.top.csv and print the "
        "overall top N (default 10; 0: none)",
    )
    scan_command.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="processes scanning in parallel (default: all cores; small scans run in this process); "
        "1: this process only",
    )
    scan_command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="scan on a Dask cluster instead, e.g. tcp://host:8786 (needs dask[distributed])",
    )
    scan_command.add_argument(
        "--no-noncanonical",
        action="store_true",
        help="score canonical seed sites only (not seeds with one G:U wobble or mismatch); plant models "
        "look for no seed sites",
    )
    scan_command.add_argument(
        "--sites-per-pair",
        type=_positive_int,
        default=3,
        metavar="K",
        help="best sites kept per (miRNA, transcript) pair in the site file (default 3; plant models: "
        "complementary sites of lowest expectation)",
    )
    scan_command.add_argument(
        "--no-energies",
        action="store_true",
        help="skip the ViennaRNA duplex energy of the reported sites (faster)",
    )
    scan_command.add_argument(
        "--precision",
        choices=["float32", "bfloat16"],
        default="float32",
        help="bfloat16 is faster on CPUs/GPUs that support it; scores move by a few hundredths at most",
    )
    scan_command.add_argument("--device", default="auto", help="auto, cpu or cuda (this process only)")
    scan_command.set_defaults(handler=command_scan)

    evaluate = commands.add_parser("evaluate", help="measure models on a labelled file")
    evaluate.add_argument("file")
    evaluate.add_argument("--model", action="append", help="model name, family or task; repeat to compare")
    evaluate.add_argument(
        "--threshold",
        type=_probability,
        default=0.5,
        help="a pair is called positive at this probability or above (0 to 1; default 0.5)",
    )
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
    train.add_argument("--epochs", type=_positive_int)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int)
    train.add_argument("--device", help="auto, cpu or cuda")
    train.add_argument(
        "--cv", type=_whole_number(2), metavar="K", help="run K-fold cross-validation instead (nothing saved)"
    )
    train.add_argument("--output", help="model folder (default: the user model folder)")
    train.add_argument(
        "--set-default", action="store_true", help="make it the default of its family and task"
    )
    train.add_argument(
        "--filter-negatives",
        type=_quantile,
        metavar="QUANTILE",
        help="before training, drop negatives whose miRNA and gene lie as close in the GraRep embedding of "
        "the training positives as this quantile of the positives (AEmiGAP's negative-label adjustment; "
        "needs miRNA and gene names; e.g. 0.05)",
    )
    train.set_defaults(handler=command_train)

    rank = commands.add_parser(
        "rank",
        help="rank the unknown miRNA-gene pairs of a set of known interactions",
        description=(
            "Score every miRNA x gene pair of KNOWN_PAIRS that is not a known interaction (label 1, or "
            "every row without a label column) and print the TOP most likely, with node degrees, "
            "graph-neighbourhood support and the best seed site where sequences are given. With --model, a "
            "trained model scores them; otherwise a model of --family (default grmmi) is first trained on "
            "KNOWN_PAIRS, which then needs labels (1 = known interaction, 0 = negative). Rows may give "
            "names only (miRNA name, gene name): miRNA sequences are looked up by name in the miRBase file "
            "set in Settings (RNAAPP_MIRBASE)."
        ),
    )
    rank.add_argument(
        "known_pairs", metavar="KNOWN_PAIRS", help="known pairs: CSV/TSV with mirna_id, target_id (and label)"
    )
    rank.add_argument("--model", help="rank with this trained model (name, family or task, e.g. gene)")
    rank.add_argument("--family", help="train a model of this family on KNOWN_PAIRS first (default grmmi)")
    rank.add_argument("--top", type=_positive_int, default=20, metavar="N", help="pairs to list (default 20)")
    rank.add_argument(
        "--utrs",
        metavar="FASTA",
        help="3'UTRs of the genes (headers name them; the longest isoform is used) for pairs without a target "
        "sequence; with a model that reads whole 3'UTRs (gene-utr) their seed sites count",
    )
    rank.add_argument("-o", "--output", help="write the ranking to this CSV (TSV for .tsv or .txt)")
    rank.add_argument("--config", help='with --family: JSON file {"model": {...}, "training": {...}}')
    rank.add_argument("--epochs", type=_positive_int, help="with --family: training epochs")
    rank.add_argument("--seed", type=int, help="with --family: training seed")
    rank.add_argument("--save", metavar="NAME", help="with --family: save the trained model under this name")
    rank.add_argument("--device", default="auto", help="auto, cpu or cuda")
    rank.set_defaults(handler=command_rank)

    models = commands.add_parser("models", help="list installed models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(handler=command_models)

    app = commands.add_parser("app", help="start the app (open the address it prints in a browser)")
    app.add_argument("--port", type=_positive_int, help="port to listen on (default: Streamlit's, 8501)")
    app.add_argument(
        "--address",
        default="localhost",
        help="address to listen on (default localhost: this computer only); 0.0.0.0 shares the app on your network",
    )
    app.add_argument(
        "streamlit_args",
        nargs=argparse.REMAINDER,
        metavar="-- STREAMLIT_OPTIONS",
        help="more options for streamlit run, after --, e.g. -- --theme.base=dark",
    )
    app.set_defaults(handler=command_app)
    return parser


def command_app(arguments: argparse.Namespace) -> int:
    """``rnaapp app``: run the app until it is stopped (see :mod:`rnaapp.launch`)."""
    from rnaapp.launch import app_command, run_app

    extra = arguments.streamlit_args
    return run_app(app_command(port=arguments.port, address=arguments.address, extra=extra))


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
