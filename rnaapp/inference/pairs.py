"""Score a table of pairs with a model: the one function behind ``rnaapp predict``, Evaluate and the reports.

How a pair is read depends on the model, by one rule:

- miRNA-gene models (task ``gene``) score the miRNA and the gene under their names (``mirna_id``,
  ``target_id``), with the sequences when given; a target longer than the model's sequence branch reads
  is refused.
- plant miRNA-lncRNA models read every target whole, however long.
- site models read a target of at most ``L`` nt (their ``max_target_length``, 60 for the shipped ones)
  whole, as one window. A longer one is scanned (:func:`rnaapp.scan.scan_batches`) in 40-nt windows, the
  length of the training windows: one around each candidate site (shifted inside the target,
  :func:`rnaapp.scan.window_bounds`) and, for a target without any candidate site, tiles every 20 nt
  (:func:`rnaapp.scan.tile_starts`), so that such a target keeps the model's score instead of 0. The
  target's probability is its best window's. Site models with no length limit (the seed and energy
  baselines) read every target whole.

Across the edge at ``L`` nt the read changes from the whole target to 40-nt windows, so a score can move
there by as much as the model depends on the window length (``bench/window_rule.py`` measures the step;
windows longer than 40 nt were measured and rejected, see :func:`rnaapp.scan.model_window_length`); the
site type and the site count are reported on both sides, and nothing drops to 0.

Scores are graded log-odds (:mod:`rnaapp.scoring`): for a target read whole, the calibrated log-odds of
the model (Platt scaling fitted on held-out CLASH sites); for a scanned one, the transcript score that
weighs every site (:class:`rnaapp.scoring.TranscriptModel`). ``probability`` is the calibrated
probability at ``prior``.

Whatever the length, a site model's row names the best candidate site (``best_site_type``, ``"none"``
without one; ``best_site_start``) and counts them (``n_sites``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rnaapp.inference.batches import pair_names, predict
from rnaapp.inference.options import InferenceOptions
from rnaapp.io import InputError
from rnaapp.progress import Progress, format_duration
from rnaapp.registry import TrainedModel
from rnaapp.scoring.transcript import model_scoring

#: Columns :func:`score_pairs` returns (``node_status`` for miRNA-gene models only).
SCORE_COLUMNS = (
    "score",
    "probability",
    "scanned",
    "best_site_start",
    "best_site_type",
    "n_sites",
    "node_status",
)

#: The score columns that say something for each task, written by :func:`scored_table`: plant models read
#: whole targets (their sites are complementary sites, reported by scans and the one-pair report), gene
#: models score names.
OUTPUT_COLUMNS = {
    "site": ("score", "probability", "scanned", "best_site_start", "best_site_type", "n_sites"),
    "plant": ("score", "probability"),
    "gene": ("score", "probability", "node_status"),
}


def reads_whole(model: TrainedModel, target: str) -> bool:
    """Whether ``model`` reads ``target`` as one window (no scan)."""
    limit = model.family.max_target_length(model.config)
    return limit is None or len(target) <= limit or model.family.task != "site"


#: Estimated scoring times from which :func:`scoring_time_note` speaks (seconds).
TIME_NOTE_SECONDS = 10.0


def scoring_seconds(model: TrainedModel, pairs: pd.DataFrame) -> float | None:
    """About how long the features of ``model`` take on ``pairs``, said before scoring starts.

    The family's own estimate (:meth:`rnaapp.models.base.Family.featurize_seconds`) over the pairs whose
    target the model reads whole; None when the family gives none (its cost is not dominated by one
    step that can be timed up front).
    """
    mirnas = pairs["mirna_seq"].fillna("").astype(str).tolist()
    targets = pairs["target_seq"].fillna("").astype(str).tolist()
    whole = [(mirna, target) for mirna, target in zip(mirnas, targets, strict=True) if mirna and target]
    whole = [(mirna, target) for mirna, target in whole if reads_whole(model, target)]
    if not whole:
        return None
    return model.family.featurize_seconds(model.config, [m for m, _ in whole], [t for _, t in whole])


def scoring_time_note(model: TrainedModel, pairs: pd.DataFrame) -> str | None:
    """A sentence on how long ``model`` will take on ``pairs``, when that is long enough to be told.

    Returns
    -------
    str or None
        E.g. ``"hybrid_mfe needs about 2 min for these 998 pairs: one duplex of each miRNA over its whole
        target (up to 3,912 nt), timed on this computer"``; None below :data:`TIME_NOTE_SECONDS` or when the
        family gives no estimate.
    """
    seconds = scoring_seconds(model, pairs)
    if seconds is None or seconds < TIME_NOTE_SECONDS:
        return None
    longest = int(pairs["target_seq"].fillna("").astype(str).str.len().max())
    return (
        f"{model.name} needs {format_duration(seconds)} for these {len(pairs):,} pairs: one duplex of each "
        f"miRNA over its whole target (up to {longest:,} nt), timed on this computer"
    )


def _first_empty(values: pd.Series) -> int | None:
    """Index (0-based position) of the first empty cell, or None."""
    empty = np.flatnonzero(values.fillna("").astype(str).str.len().to_numpy() == 0)
    return int(empty[0]) if empty.size else None


def _best_sites(mirnas: Sequence[str], targets: Sequence[str], rows: np.ndarray) -> pd.DataFrame:
    """Best candidate site (type, 1-based start) and candidate count of the pairs at ``rows``."""
    from rnaapp.scan import candidate_sites
    from rnaapp.sites import SITE_RANK

    types, starts, counts = [], [], []
    for row in rows:
        sites = candidate_sites(mirnas[row], targets[row])
        counts.append(len(sites))
        if sites:
            best = max(sites, key=lambda site: (SITE_RANK.get(site.site_type, 0.5), -site.start))
            types.append(best.site_type)
            starts.append(best.start + 1)
        else:
            types.append("none")
            starts.append(pd.NA)
    return pd.DataFrame({"best_site_type": types, "best_site_start": starts, "n_sites": counts}, index=rows)


def transcript_probabilities(
    model: TrainedModel,
    mirnas: Sequence[str],
    targets: Sequence[str],
    options: InferenceOptions | None = None,
    *,
    noncanonical: bool = True,
    progress: Progress | None = None,
    source: str = "<input>",
    batch_size: int | None = None,
    precision: str | None = None,
    prior: float | None = None,
) -> pd.DataFrame:
    """Scores of pairs whose targets may be longer than the model's window (module docstring).

    Parameters
    ----------
    model
        A loaded site or plant model.
    mirnas, targets
        Sequences 5'->3', one pair per index.
    options
        How the model runs (:class:`InferenceOptions`).
    noncanonical
        Also scan seed matches with one G:U wobble or mismatch.
    progress
        Called as ``progress(pairs_done, pairs_total)``.
    source
        Name used in error messages.
    batch_size, precision
        Older spellings of the options (kept for one release).
    prior
        Share of true interactions assumed, for ``probability`` (default: the model's fitted prior).

    Returns
    -------
    pandas.DataFrame, shape (n, 6)
        One row per pair, in input order: ``score`` (graded log-odds; see the module docstring),
        ``probability``, ``scanned`` (bool: read in windows),
        ``best_site_start`` (1-based; empty without a site), ``best_site_type`` (``"none"`` without a
        candidate site; empty for plant models, whose sites are complementary sites), ``n_sites``
        (candidate sites; empty for plant models).
    """
    from rnaapp.inference.batches import options_with
    from rnaapp.scan import scan_batches
    from rnaapp.scan.columns import concat_results

    options = options_with(options, batch_size=batch_size, precision=precision)
    count = len(targets)
    site_model = model.family.task == "site"
    whole = np.fromiter((reads_whole(model, target) for target in targets), dtype=bool, count=count)
    short_rows, long_rows = np.flatnonzero(whole), np.flatnonzero(~whole)
    result = pd.DataFrame(
        {
            "score": np.full(count, -np.inf),
            "probability": np.zeros(count),
            "scanned": ~whole,
            "best_site_start": pd.array([pd.NA] * count, dtype="Int64"),
            "best_site_type": [""] * count,
            "n_sites": pd.array([pd.NA] * count, dtype="Int64"),
        }
    )

    def report_short(done: int, _: int) -> None:
        if progress is not None:
            progress(done, count)

    if len(short_rows):
        calibration = model_scoring(model).site
        logits = predict(
            model,
            [mirnas[row] for row in short_rows],
            [targets[row] for row in short_rows],
            options,
            progress=report_short,
            source=source,
            output="logit",
        )
        result.loc[short_rows, "score"] = calibration.log_odds(logits)
        result.loc[short_rows, "probability"] = calibration.probability(logits, prior)
        if site_model:
            best = _best_sites(mirnas, targets, short_rows)
            result.loc[short_rows, "best_site_type"] = best["best_site_type"]
            result.loc[short_rows, "best_site_start"] = best["best_site_start"].astype("Int64")
            result.loc[short_rows, "n_sites"] = best["n_sites"].astype("Int64")
    # Long targets are scanned in one scan per distinct miRNA (its targets scanned together, their windows
    # batched across targets): many targets of one miRNA, such as a pair's mutants, cost one scan.
    long_by_mirna: dict[str, list[int]] = {}
    for row in long_rows:
        long_by_mirna.setdefault(mirnas[row], []).append(int(row))
    done = len(short_rows)
    for mirna, rows in long_by_mirna.items():
        before = done

        def report_long(scanned: int, _: int, before: int = before) -> None:
            if progress is not None:
                progress(before + scanned, count)

        found = concat_results(
            list(
                scan_batches(
                    model,
                    [("miRNA", mirna)],
                    [(str(row), targets[row]) for row in rows],
                    options.replace(workers=1),
                    noncanonical=noncanonical,
                    sites_per_pair=1,
                    energies=False,
                    prior=prior,
                    percentiles=False,  # not among these columns: no background scan per miRNA
                    progress=report_long,
                )
            )
        ).pairs.set_index("target_id")
        found = found.loc[[str(row) for row in rows]]
        result.loc[rows, "score"] = found["score"].to_numpy(dtype=float)
        result.loc[rows, "probability"] = found["probability"].to_numpy(dtype=float)
        result.loc[rows, "best_site_type"] = found["best_site_type"].to_numpy()
        result.loc[rows, "n_sites"] = found["n_sites"].to_numpy()
        result.loc[rows, "best_site_start"] = pd.array(found["best_site_start"].to_numpy(), dtype="Int64")
        done += len(rows)
        if progress is not None:
            progress(done, count)
    if count == 0 and progress is not None:
        progress(0, 0)
    return result


def score_pairs(
    model: TrainedModel,
    pairs: pd.DataFrame,
    options: InferenceOptions | None = None,
    *,
    progress: Progress | None = None,
    source: str = "<input>",
    prior: float | None = None,
) -> pd.DataFrame:
    """One model's scores of a table of pairs: the one scoring function of every entry point.

    Parameters
    ----------
    model
        A loaded model of any family.
    pairs : pandas.DataFrame, shape (n, ...)
        Pairs as :func:`rnaapp.io.read_pairs` gives them (``mirna_seq``, ``target_seq``, optionally
        ``mirna_id``, ``target_id``); miRNA-gene models accept empty sequences (pairs by name).
    options
        How the model runs (:class:`InferenceOptions`; default options when None).
    progress
        Called as ``progress(pairs_done, pairs_total)``.
    source
        Name of the pairs in error messages.
    prior
        Share of true interactions assumed among the pairs, for ``probability`` (default: the prior the
        model's scoring was fitted at, 0.5 for the shipped models). ``score`` does not depend on it.

    Returns
    -------
    pandas.DataFrame, shape (n, 6 or 7)
        In row order (index 0..n-1): ``score``, ``probability``, ``scanned``, ``best_site_start``, ``best_site_type``,
        ``n_sites`` (see :func:`transcript_probabilities`) and, for a miRNA-gene model, ``node_status``
        (:data:`rnaapp.rank.NODE_STATUSES`).

    Raises
    ------
    rnaapp.io.InputError
        When a model that needs sequences meets a pair without one (the first such row is named), a
        sequence has letters that are not nucleotides, or a target is longer than a miRNA-gene model reads.
    """
    mirnas = pairs["mirna_seq"].fillna("").astype(str).tolist()
    targets = pairs["target_seq"].fillna("").astype(str).tolist()
    if model.family.task != "gene":
        for column, molecule in (("mirna_seq", "miRNA"), ("target_seq", "target")):
            row = _first_empty(pairs[column])
            if row is not None:
                raise InputError(
                    f"no {molecule} sequence: model '{model.name}' ({model.family.name}) needs the sequences "
                    "of every pair; only miRNA–gene models (grmmi, aemigap) score pairs given by names only",
                    source=source,
                    row=row + 1,
                )
        return transcript_probabilities(
            model, mirnas, targets, options, progress=progress, source=source, prior=prior
        )
    from rnaapp.rank import node_status

    names = pair_names(pairs)
    logits = predict(
        model, mirnas, targets, options, progress=progress, source=source, output="logit", **names
    )
    calibration = model_scoring(model).site
    statuses = node_status(
        model,
        names["mirna_ids"] or [""] * len(pairs),
        names["target_ids"] or [""] * len(pairs),
    )
    count = len(pairs)
    return pd.DataFrame(
        {
            "score": calibration.log_odds(logits),
            "probability": calibration.probability(logits, prior),
            "scanned": np.zeros(count, dtype=bool),
            "best_site_start": pd.array([pd.NA] * count, dtype="Int64"),
            "best_site_type": [""] * count,
            "n_sites": pd.array([pd.NA] * count, dtype="Int64"),
            "node_status": statuses,
        }
    )


def scored_table(
    pairs: pd.DataFrame, scores: pd.DataFrame, task: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The input pairs with a model's score columns appended, for output files.

    Only the columns of :data:`OUTPUT_COLUMNS` for ``task`` (a model's ``family.task``; every column of
    ``scores`` when None) are appended. An input column named like a score column is kept as
    ``input_<name>``, so that scoring never overwrites what the file gave.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The table, and the input columns that were renamed.
    """
    written = list(scores.columns) if task is None else list(OUTPUT_COLUMNS[task])
    clashes = [column for column in written if column in pairs.columns]
    table = pairs.rename(columns={column: f"input_{column}" for column in clashes}).reset_index(drop=True)
    for column in written:
        table[column] = scores[column].to_numpy()
    return table, clashes
