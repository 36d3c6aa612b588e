"""Compare models on a labelled test set: metrics side by side, curves, confusion counts, breakdowns.

The Evaluate page of the app shows what this module computes; it holds no widget code. Predictions come
from :func:`rnaapp.inference.score_pairs` (the one scoring function: short targets scored whole, long ones scanned); given
them, :func:`compare_models` scores every model at a decision threshold with :func:`rnaapp.metrics.evaluate`
and measures how well each model's score orders the candidates (:func:`rnaapp.metrics.ranking_metrics`),
:func:`predictions_table` lays the probabilities out next to the input pairs, and :func:`group_breakdown`
splits the metrics per species or per miRNA with :func:`rnaapp.metrics.metrics_by_group`.

miRNA-gene association models (task ``gene``) are scored by :func:`model_probabilities` under the pairs'
names (test files may list names only, with empty target sequences), and :func:`node_status_breakdown`
splits their metrics by whether the miRNA and the gene were seen in the training graph.

The metric definitions are those of :mod:`rnaapp.metrics` (see :data:`METRIC_EXPLANATIONS`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.inference import InferenceOptions, score_pairs
from rnaapp.metrics import (
    METRIC_NAMES,
    OVERALL_GROUP,
    ConfusionMatrix,
    evaluate,
    metrics_by_group,
    ranking_metrics,
)
from rnaapp.rank import NODE_STATUSES
from rnaapp.registry import TrainedModel
from rnaapp.scan import WINDOW_LENGTH, WINDOW_UPSTREAM
from rnaapp.sites import best_site_type, find_seed_sites, reverse_complement

__all__ = [
    "BREAKDOWN_COLUMNS",
    "GROUP_COLUMNS",
    "METRIC_EXPLANATIONS",
    "NODE_STATUS_COLUMNS",
    "RANKING_COLUMNS",
    "RANKING_K",
    "RANKING_N",
    "THRESHOLD_FREE_METRICS",
    "ModelComparison",
    "TestSetSummary",
    "compare_models",
    "demo_test_set",
    "group_breakdown",
    "model_probabilities",
    "node_status_breakdown",
    "pairs_fingerprint",
    "predicted_column",
    "prediction_columns",
    "predictions_table",
    "probability_column",
    "ranking_groups",
    "summarise_test_set",
    "thin_curve",
]

#: Every metric of :data:`rnaapp.metrics.METRIC_NAMES`, explained as :mod:`rnaapp.metrics` defines it.
METRIC_EXPLANATIONS: dict[str, str] = {
    "ACC": "accuracy: share of pairs called correctly, (TP + TN) / n",
    "SEN": "sensitivity (recall, true-positive rate): share of true interactions found, TP / (TP + FN)",
    "SPE": "specificity (true-negative rate): share of non-interacting pairs called negative, TN / (TN + FP)",
    "PRE": "precision (positive predictive value): share of predicted interactions that are true, "
    "TP / (TP + FP)",
    "F1": "F1 score: harmonic mean of precision and sensitivity, 2TP / (2TP + FP + FN)",
    "MCC": "Matthews correlation coefficient between predicted and true classes, from -1 (always wrong) "
    "through 0 (chance) to 1 (perfect); (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN))",
    "AUC": "area under the ROC curve (true-positive rate against false-positive rate over every threshold, "
    "trapezoidal rule): the chance that a random interacting pair scores above a random non-interacting "
    "one; 0.5 = chance, 1 = perfect ranking",
    "AUPR": "area under the precision-recall curve, computed as average precision (step-wise, no "
    "interpolation, as scikit-learn's average_precision_score); chance level is the share of positives",
    "GEP": "geometric mean of precision and sensitivity, √(PRE × SEN) (the G-measure or Fowlkes-Mallows "
    "index, as in the plant miRNA-lncRNA papers; not the geometric mean of sensitivity and specificity)",
    "ECE": "expected calibration error: the pairs are put in ten equal-width probability bins, and ECE is the "
    "mean |observed share of interactions − mean predicted probability| over the bins, weighted by their "
    "number of pairs; 0 = the probabilities mean what they say. It depends on the share of positives in "
    "the test set (a model calibrated on balanced data reads as miscalibrated on unbalanced data)",
}

#: Top of each miRNA's list (``top5_precision``) and of all pairs (``top100_ties``) of the ranking metrics.
RANKING_K, RANKING_N = 5, 100

#: Columns of :attr:`ModelComparison.ranking`, explained (:func:`rnaapp.metrics.ranking_metrics`).
RANKING_COLUMNS: dict[str, str] = {
    "model": "the model",
    f"top{RANKING_K}_precision": f"among each miRNA's {RANKING_K} highest-scoring pairs, the share that are "
    f"true interactions, averaged over the miRNAs with at least {RANKING_K} pairs (empty when none has); "
    "tied scores are taken in file order",
    f"top{RANKING_N}_ties": f"share of the {RANKING_N} highest scores (all, with fewer pairs) that another "
    "of them equals: 0 = all distinct, 1 = none can be told apart",
    f"distinct_in_top{RANKING_N}": f"number of distinct scores among the {RANKING_N} highest",
}

#: Metrics that rank all pairs and so do not depend on the decision threshold.
THRESHOLD_FREE_METRICS: tuple[str, ...] = ("AUC", "AUPR")

#: Columns a test set may be broken down by, with how the app names them.
GROUP_COLUMNS: dict[str, str] = {"species": "per species", "mirna_id": "per miRNA"}

#: Explanations of the columns of :func:`group_breakdown` (besides the metrics).
BREAKDOWN_COLUMNS: dict[str, str] = {
    "group": f"species or miRNA; the last row, '{OVERALL_GROUP}', pools every pair",
    "n": "pairs in the group",
    "positives": "interacting pairs (label 1) in the group",
    "negatives": "non-interacting pairs (label 0) in the group",
}

#: Value that stands for a missing group (empty cell) in :func:`group_breakdown`.
MISSING_GROUP = "(missing)"

#: Explanations of the columns of :func:`node_status_breakdown` (besides the metrics).
NODE_STATUS_COLUMNS: dict[str, str] = {
    "model": "the miRNA–gene model",
    "node_status": "seen = both the miRNA and the gene had an interaction in the model's training graph; "
    "unseen miRNA / unseen gene / both unseen = that node had none, so the score rests on the sequences "
    f"(and the model's learned 'unseen' vector) alone; '{OVERALL_GROUP}' pools every pair",
    "n": "pairs with this status",
    "positives": "interacting pairs (label 1) with this status",
    "negatives": "non-interacting pairs (label 0) with this status",
}

_DEMO_SITE_TYPES = ("8mer", "7mer-m8", "7mer-A1", "6mer")
# Base composition of a typical 3'UTR (as the built-in examples): A and U 30 %, C and G 20 %.
_UTR_LETTERS = np.array(list("ACGU"))
_UTR_WEIGHTS = np.array([0.3, 0.2, 0.2, 0.3])


def probability_column(model_name: str) -> str:
    """Name of a model's probability column in :func:`predictions_table`."""
    return f"probability_{model_name}"


def predicted_column(model_name: str) -> str:
    """Name of a model's 0/1 call column in :func:`predictions_table`."""
    return f"predicted_{model_name}"


def prediction_columns(model_names: list[str] | tuple[str, ...], threshold: float) -> dict[str, str]:
    """Explanations of the columns :func:`predictions_table` adds, for the given models.

    Parameters
    ----------
    model_names
        Evaluated models, in display order.
    threshold
        Decision threshold the ``predicted_<model>`` columns use.

    Returns
    -------
    dict of str to str
        Column name (with ``<model>`` for the per-model ones) to its meaning.
    """
    names = ", ".join(model_names) if model_names else "none"
    return {
        "probability_<model>": f"the model's probability of interaction (0-1); models: {names}. For a "
        "target longer than the model's window, the highest probability over its candidate seed sites",
        "predicted_<model>": f"1 when probability_<model> ≥ {threshold:.2f} (the threshold chosen), else 0",
        "best_site_start_<model>": "only when some targets were scanned: position (1-based) of the seed "
        "match of the best site on a scanned target",
        "best_site_type_<model>": "only when some targets were scanned: seed match type of that site",
        "node_status_<model>": "miRNA–gene models only: seen, unseen miRNA, unseen gene or both unseen (whether "
        "the pair's miRNA and gene had an interaction in the model's training graph)",
    }


@dataclass(frozen=True)
class TestSetSummary:
    """What a labelled test set holds.

    Attributes
    ----------
    n
        Number of pairs.
    positives, negatives
        Pairs labelled 1 and 0.
    species
        Species code (or name) to its number of pairs, most frequent first; empty without a ``species``
        column.
    mirnas
        Number of distinct miRNA sequences.
    longest_target
        Length (nt) of the longest target.
    duplicates
        Rows that repeat an earlier row's miRNA and target (names and sequences); each copy counts in the
        metrics. ``conflicting`` of them carry the other label.
    """

    n: int
    positives: int
    negatives: int
    species: dict[str, int]
    mirnas: int
    longest_target: int
    duplicates: int = 0
    conflicting: int = 0


def summarise_test_set(pairs: pd.DataFrame) -> TestSetSummary:
    """Count the pairs, classes and species of a labelled test set.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, ...)
        Output of :func:`rnaapp.io.read_pairs` with ``require_label=True``: columns ``mirna_seq``,
        ``target_seq``, ``label`` and optionally ``species``.

    Returns
    -------
    TestSetSummary
    """
    labels = pairs["label"].to_numpy(dtype=np.int64)
    pair_columns = [
        column for column in ("mirna_id", "mirna_seq", "target_id", "target_seq") if column in pairs
    ]
    repeated = pairs.duplicated(subset=pair_columns).to_numpy()
    species: dict[str, int] = {}
    if "species" in pairs:
        counts = _group_values(pairs["species"]).value_counts(sort=True)
        species = {str(name): int(count) for name, count in counts.items()}
    return TestSetSummary(
        n=len(pairs),
        positives=int((labels == 1).sum()),
        negatives=int((labels == 0).sum()),
        species=species,
        mirnas=int(pairs["mirna_seq"].nunique()),
        longest_target=int(pairs["target_seq"].str.len().max()) if len(pairs) else 0,
        duplicates=int(repeated.sum()),
        conflicting=int((repeated & ~pairs.duplicated(subset=[*pair_columns, "label"]).to_numpy()).sum()),
    )


def pairs_fingerprint(pairs: pd.DataFrame) -> str:
    """A digest of the sequences and names of a pair table: what a model's predictions on it depend on.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, ...)
        Columns ``mirna_seq`` and ``target_seq``, optionally ``mirna_id`` and ``target_id``.

    Returns
    -------
    str
        SHA-256 hex digest of the sequences (and names, which miRNA-gene models use) in row order (equal
        tables give equal digests; labels do not count).
    """
    digest = hashlib.sha256()
    for mirna, target in zip(pairs["mirna_seq"], pairs["target_seq"], strict=True):
        digest.update(f"{mirna}\t{target}\n".encode())
    for column in ("mirna_id", "target_id"):  # miRNA-gene models look pairs up by name
        if column in pairs:
            digest.update(f"{column}\n".encode())
            for name in pairs[column].astype(str):
                digest.update(f"{name}\n".encode())
    return digest.hexdigest()


def demo_test_set(pairs_per_mirna: int = 12, seed: int = 20261122) -> pd.DataFrame:
    """A small synthetic labelled test set for trying the Evaluate page.

    For each of the ten human miRNAs of :data:`rnaapp.examples.EXAMPLE_MIRNAS`, half of the pairs are
    positives: a 40-nt window of random AU-rich sequence (A and U 30 %, C and G 20 %) holding one planted
    canonical seed site (8mer, 7mer-m8, 7mer-A1 and 6mer in turn) with the seed where the training windows
    hold it; the other half are negatives: windows of the same composition with no seed match of the miRNA
    at all. The targets are CONSTRUCTED, not real transcripts, and seed-based models find them easy.

    Parameters
    ----------
    pairs_per_mirna
        Pairs per miRNA (even: half positive, half negative).
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame, shape (10 * pairs_per_mirna, 6)
        Columns ``mirna_id``, ``mirna_seq``, ``target_id``, ``target_seq``, ``label`` (int 0/1) and
        ``species`` (``"hsa"``), as :func:`rnaapp.io.read_pairs` returns them.

    Raises
    ------
    ValueError
        If ``pairs_per_mirna`` is not a positive even number.
    """
    if pairs_per_mirna <= 0 or pairs_per_mirna % 2:
        raise ValueError(f"pairs_per_mirna must be a positive even number, got {pairs_per_mirna}")
    rng = np.random.default_rng(seed)
    rows = []
    for mirna_id, mirna in EXAMPLE_MIRNAS.items():
        for index in range(pairs_per_mirna):
            label = index % 2
            site_type = _DEMO_SITE_TYPES[(index // 2) % len(_DEMO_SITE_TYPES)] if label else None
            target = _demo_window(rng, mirna, site_type)
            rows.append(
                {
                    "mirna_id": mirna_id,
                    "mirna_seq": mirna,
                    "target_id": f"demo_{mirna_id.removeprefix('hsa-')}_{site_type or 'none'}_{index + 1}",
                    "target_seq": target,
                    "label": label,
                    "species": "hsa",
                }
            )
    return pd.DataFrame(rows)


def _demo_window(rng: np.random.Generator, mirna: str, site_type: str | None) -> str:
    """A random AU-rich window whose only seed match of ``mirna`` is one site of ``site_type`` (or none)."""
    anchor = WINDOW_UPSTREAM  # target nucleotide opposite miRNA position 2, as in the training windows
    seed_match = reverse_complement(mirna[1:8])  # pairs with miRNA positions 8..2, 5'->3' on the target
    planted = {
        "8mer": (anchor - 6, seed_match + "A"),
        "7mer-m8": (anchor - 6, seed_match),
        "7mer-A1": (anchor - 5, seed_match[1:] + "A"),
        "6mer": (anchor - 5, seed_match[1:]),
    }
    while True:
        window = "".join(rng.choice(_UTR_LETTERS, WINDOW_LENGTH, p=_UTR_WEIGHTS))
        if site_type is not None:
            start, site = planted[site_type]
            window = window[:start] + site + window[start + len(site) :]
        sites = find_seed_sites(mirna, window)
        if site_type is None and not sites:
            return window
        if site_type is not None and len(sites) == 1 and best_site_type(mirna, window) == site_type:
            return window


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Several models scored on one test set at one decision threshold.

    Attributes
    ----------
    metrics
        One row per model: ``model``, :data:`rnaapp.metrics.METRIC_NAMES`, then ``threshold``, ``n``,
        ``TP``, ``FP``, ``TN``, ``FN``.
    confusions
        Model name to its confusion counts at the threshold.
    roc, pr
        Model name to its ROC (``fpr``, ``tpr``, ``threshold``) / precision-recall (``recall``,
        ``precision``, ``threshold``) points, thinned to at most ``max_curve_points`` rows.
    aucs, auprs
        Model name to its AUC / AUPR (NaN when the test set has one class only).
    roc_operating_points, pr_operating_points
        Model name to ``(fpr, tpr)`` / ``(recall, precision)`` at the threshold; a model is left out where
        the point is undefined (no negatives, no positives, or nothing predicted positive).
    reliability
        Model name to its reliability table (:attr:`rnaapp.metrics.Evaluation.reliability`: observed share
        of positives against mean predicted probability in ten equal-width bins), for the reliability
        diagram; its ECE is the model's ``ECE`` in ``metrics``.
    ranking
        One row per model: ``model``, ``top5_precision``, ``top100_ties``, ``distinct_in_top100``
        (:func:`rnaapp.metrics.ranking_metrics` of the model's score; see :data:`RANKING_COLUMNS`). They do not
        depend on the threshold.
    """

    metrics: pd.DataFrame
    confusions: dict[str, ConfusionMatrix]
    roc: dict[str, pd.DataFrame]
    pr: dict[str, pd.DataFrame]
    aucs: dict[str, float]
    auprs: dict[str, float]
    roc_operating_points: dict[str, tuple[float, float]]
    pr_operating_points: dict[str, tuple[float, float]]
    reliability: dict[str, pd.DataFrame] = field(default_factory=dict)
    ranking: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RANKING_COLUMNS)))


def thin_curve(curve: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Keep at most ``max_points`` evenly spaced rows of a curve, always the first and the last.

    For drawing only: a curve of 100,000 distinct thresholds looks the same with 2,000 points. Areas are
    computed on the full curves.

    Parameters
    ----------
    curve : pandas.DataFrame, shape (k, ...)
        Rows in curve order.
    max_points
        Rows to keep at most (at least 2).

    Returns
    -------
    pandas.DataFrame, shape (min(k, max_points), ...)
        The kept rows, index reset.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    if len(curve) <= max_points:
        return curve.reset_index(drop=True)
    rows = np.unique(np.linspace(0, len(curve) - 1, max_points).round().astype(np.int64))
    return curve.iloc[rows].reset_index(drop=True)


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def ranking_groups(pairs: pd.DataFrame) -> np.ndarray | None:
    """The miRNA of each pair (its ``mirna_id``), the groups of the per-miRNA top-k precision.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, ...)
        The test set.

    Returns
    -------
    numpy.ndarray of object, shape (n,), or None
        ``mirna_id`` as text (empty cells form one group, ``"(missing)"``); None without that column.
    """
    if "mirna_id" not in pairs:
        return None
    return _group_values(pairs["mirna_id"].reset_index(drop=True)).to_numpy()


def compare_models(
    labels: npt.ArrayLike,
    probabilities: Mapping[str, npt.ArrayLike],
    threshold: float = 0.5,
    *,
    scores: Mapping[str, npt.ArrayLike] | None = None,
    groups: npt.ArrayLike | None = None,
    max_curve_points: int = 2000,
) -> ModelComparison:
    """Score several models' predictions on the same labelled pairs.

    Parameters
    ----------
    labels : array-like of {0, 1}, shape (n,)
        True classes of the pairs.
    probabilities : mapping of str to array-like of float, each shape (n,)
        Model name to its predicted probabilities, in the order of ``labels``; the order of the mapping is
        the order of the rows.
    threshold : float, default 0.5
        A pair is called positive when its probability is ``>= threshold`` (all metrics but
        :data:`THRESHOLD_FREE_METRICS`).
    scores : mapping of str to array-like of float, each shape (n,), optional
        Model name to its ranking score (the ``score`` of :func:`model_probabilities`, graded log-odds), for
        :attr:`ModelComparison.ranking`; it must name every model of ``probabilities``. Without it the
        probabilities are ranked (which tie where they saturate near 0 or 1).
    groups : array-like, shape (n,), optional
        Group of each pair for the top-k precision, the miRNA (:func:`ranking_groups`); None = all pairs
        form one group (precision of the k highest scores overall).
    max_curve_points : int, default 2000
        Points kept per curve for drawing (:func:`thin_curve`).

    Returns
    -------
    ModelComparison

    Raises
    ------
    ValueError
        If no model is given, ``scores`` lacks a model, or labels/probabilities/scores/groups are invalid
        (see :func:`rnaapp.metrics.evaluate` and :func:`rnaapp.metrics.ranking_metrics`).
    """
    if not probabilities:
        raise ValueError("no model to evaluate: choose at least one")
    if scores is not None:
        missing = [name for name in probabilities if name not in scores]
        if missing:
            raise ValueError(f"no scores for model(s) {missing}: give every model's score, or none")
    ranking_rows = []
    rows, confusions, roc, pr, aucs, auprs, roc_points, pr_points = [], {}, {}, {}, {}, {}, {}, {}
    reliability: dict[str, pd.DataFrame] = {}
    for name, values in probabilities.items():
        result = evaluate(labels, values, threshold)
        counts = result.confusion
        rows.append(
            {
                "model": name,
                **{metric: result.metrics[metric] for metric in METRIC_NAMES},
                "threshold": float(threshold),
                "n": counts.n,
                "TP": counts.tp,
                "FP": counts.fp,
                "TN": counts.tn,
                "FN": counts.fn,
            }
        )
        confusions[name] = counts
        roc[name] = thin_curve(result.roc, max_curve_points)
        pr[name] = thin_curve(result.pr, max_curve_points)
        aucs[name] = float(result.metrics["AUC"])
        auprs[name] = float(result.metrics["AUPR"])
        reliability[name] = result.reliability
        fpr = _share(counts.fp, counts.fp + counts.tn)
        tpr = _share(counts.tp, counts.tp + counts.fn)
        precision = _share(counts.tp, counts.tp + counts.fp)
        if fpr is not None and tpr is not None:
            roc_points[name] = (fpr, tpr)
        if tpr is not None and precision is not None:
            pr_points[name] = (tpr, precision)
        ranked = values if scores is None else scores[name]
        ranking_rows.append(
            {"model": name, **ranking_metrics(labels, ranked, groups, k=RANKING_K, n=RANKING_N)}
        )
    return ModelComparison(
        metrics=pd.DataFrame(
            rows, columns=["model", *METRIC_NAMES, "threshold", "n", "TP", "FP", "TN", "FN"]
        ),
        confusions=confusions,
        roc=roc,
        pr=pr,
        aucs=aucs,
        auprs=auprs,
        roc_operating_points=roc_points,
        pr_operating_points=pr_points,
        reliability=reliability,
        ranking=pd.DataFrame(ranking_rows, columns=list(RANKING_COLUMNS)),
    )


def _probabilities_of(prediction: pd.DataFrame | npt.ArrayLike) -> np.ndarray:
    if isinstance(prediction, pd.DataFrame):
        return prediction["probability"].to_numpy(dtype=np.float64)
    return np.asarray(prediction, dtype=np.float64)


def predictions_table(
    pairs: pd.DataFrame, predictions: Mapping[str, pd.DataFrame | npt.ArrayLike], threshold: float = 0.5
) -> pd.DataFrame:
    """The input pairs with every model's probability and call, for download.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, c)
        The test set, as read.
    predictions : mapping of str to DataFrame or array-like
        Model name to its probabilities, shape (n,), or to the frame of
        :func:`rnaapp.scan.transcript_probabilities` (``probability``, ``scanned``, ``best_site_start``,
        ``best_site_type``), in the row order of ``pairs``.
    threshold : float, default 0.5
        Probability from which a pair is called an interaction.

    Returns
    -------
    pandas.DataFrame, shape (n, c + 2 m [+ 2 per model with scanned targets])
        ``pairs`` unchanged, then per model ``probability_<model>`` and ``predicted_<model>`` (0/1), and,
        for a model that scanned some targets, ``best_site_start_<model>`` and ``best_site_type_<model>``
        (empty for targets scored whole), and for a miRNA-gene model ``node_status_<model>`` (from
        :func:`model_probabilities`). See :func:`prediction_columns`.

    Raises
    ------
    ValueError
        If a model's predictions do not have one value per pair.
    """
    table = pairs.reset_index(drop=True).copy()
    for name, prediction in predictions.items():
        values = _probabilities_of(prediction)
        if values.shape != (len(table),):
            raise ValueError(
                f"model {name!r} has {values.size} predictions for {len(table)} pairs; expected one per pair"
            )
        table[probability_column(name)] = values
        table[predicted_column(name)] = (values >= threshold).astype(np.int64)
        if isinstance(prediction, pd.DataFrame) and "node_status" in prediction:
            table[f"node_status_{name}"] = prediction["node_status"].to_numpy()
        if isinstance(prediction, pd.DataFrame) and "scanned" in prediction and prediction["scanned"].any():
            scanned = prediction["scanned"].to_numpy(dtype=bool)
            table[f"best_site_start_{name}"] = prediction["best_site_start"].where(scanned).to_numpy()
            table[f"best_site_type_{name}"] = prediction["best_site_type"].where(scanned, "").to_numpy()
    return table


def _group_values(values: pd.Series) -> pd.Series:
    """Group labels as text, with empty cells as :data:`MISSING_GROUP`."""
    text = values.astype("string").fillna("").str.strip()
    return text.mask(text == "", MISSING_GROUP).astype(object)


def group_breakdown(
    pairs: pd.DataFrame, probabilities: npt.ArrayLike, group_column: str, threshold: float = 0.5
) -> pd.DataFrame:
    """One model's metrics per species, per miRNA, or per any other column of the test set.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, ...)
        The test set, with ``label`` and ``group_column``.
    probabilities : array-like of float, shape (n,)
        The model's probabilities, in the row order of ``pairs``.
    group_column : str
        Column whose values form the groups, e.g. ``"species"`` or ``"mirna_id"``.
    threshold : float, default 0.5
        Decision threshold of the threshold-dependent metrics.

    Returns
    -------
    pandas.DataFrame, shape (g + 1, 4 + len(METRIC_NAMES))
        Columns ``group``, ``n``, ``positives``, ``negatives`` and :data:`rnaapp.metrics.METRIC_NAMES`;
        one row per group in sorted order (empty cells form the group ``"(missing)"``), then the row
        ``"all"`` over every pair. A group with one class only has NaN ``AUC``, ``AUPR`` and ``MCC`` (ranking
        and correlation need both interacting and non-interacting pairs), and NaN ``SEN`` without
        interacting pairs or NaN ``SPE`` without non-interacting ones (instead of the 0 of an empty ratio).

    Raises
    ------
    ValueError
        If ``group_column`` or ``label`` is missing, or labels/probabilities are invalid.
    """
    missing = [column for column in (group_column, "label") if column not in pairs]
    if missing:
        raise ValueError(f"the test set has no column(s) {missing}; its columns: {list(pairs.columns)}")
    groups = _group_values(pairs[group_column].reset_index(drop=True))
    # "all" names the pooled row of metrics_by_group; a group of that name in the file is renamed.
    groups = groups.mask(groups == OVERALL_GROUP, f"{OVERALL_GROUP} (in the file)")
    labels = pairs["label"].reset_index(drop=True).to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {"group": groups, "label": labels, "probability": np.asarray(probabilities, dtype=np.float64)}
    )
    table = metrics_by_group(frame, "group", threshold=threshold)
    positives = frame.groupby("group")["label"].sum()
    positives[OVERALL_GROUP] = int(labels.sum())
    table.insert(2, "positives", table["group"].map(positives).astype(np.int64))
    table.insert(3, "negatives", table["n"] - table["positives"])
    no_positives, no_negatives = table["positives"] == 0, table["negatives"] == 0
    table.loc[no_positives, "SEN"] = np.nan
    table.loc[no_negatives, "SPE"] = np.nan
    table.loc[no_positives | no_negatives, "MCC"] = np.nan
    return table


def model_probabilities(
    model: TrainedModel,
    pairs: pd.DataFrame,
    options: InferenceOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    source: str = "<input>",
) -> pd.DataFrame:
    """One model's predictions on a test set, for :func:`compare_models` and :func:`predictions_table`.

    The scores of :func:`rnaapp.inference.score_pairs` (the one scoring function): see there for how each
    family reads a pair, the columns returned and the errors raised. Its ``probability`` column feeds the
    metrics (``probabilities`` of :func:`compare_models`) and its ``score`` column, the graded log-odds that
    orders candidates, the ranking metrics (``scores``).
    """
    return score_pairs(model, pairs, options, progress=progress, source=source)


def node_status_breakdown(
    labels: npt.ArrayLike,
    probabilities: npt.ArrayLike,
    statuses: npt.ArrayLike,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """A miRNA-gene model's metrics by node status: seen, unseen miRNA, unseen gene, both unseen.

    Graph models score pairs whose miRNA and gene both had a training interaction from the graph and the
    sequences; for an unseen node only the sequences (and a learned "unseen" vector) remain, so their
    results are usually much weaker and are reported apart.

    Parameters
    ----------
    labels : array-like of {0, 1}, shape (n,)
        True classes.
    probabilities : array-like of float, shape (n,)
        The model's probabilities, in the same order.
    statuses : array-like of str, shape (n,)
        Each pair's :func:`rnaapp.rank.node_status` for the model (values of
        :data:`rnaapp.rank.NODE_STATUSES`).
    threshold : float, default 0.5
        Decision threshold of the threshold-dependent metrics.

    Returns
    -------
    pandas.DataFrame, shape (s + 1, 4 + len(METRIC_NAMES))
        Columns ``node_status``, ``n``, ``positives``, ``negatives`` and
        :data:`rnaapp.metrics.METRIC_NAMES`; one row per status present, in the order of
        :data:`~rnaapp.rank.NODE_STATUSES`, then the row ``"all"``. A status whose pairs hold one class only
        has NaN ``AUC`` and ``AUPR``.

    Raises
    ------
    ValueError
        If the three inputs differ in length, a status is unknown, or labels/probabilities are invalid.
    """
    status_values = np.asarray(statuses, dtype=object)
    label_values = np.asarray(labels)
    if status_values.shape != label_values.shape:
        raise ValueError(f"{status_values.size} node statuses for {label_values.size} labels")
    unknown = sorted(set(map(str, status_values)) - set(NODE_STATUSES))
    if unknown:
        raise ValueError(f"unknown node status(es) {unknown}; expected {', '.join(NODE_STATUSES)}")
    pairs = pd.DataFrame({"node_status": status_values, "label": label_values})
    table = group_breakdown(pairs, probabilities, "node_status", threshold).rename(
        columns={"group": "node_status"}
    )
    order = {status: index for index, status in enumerate((*NODE_STATUSES, OVERALL_GROUP))}
    return table.sort_values("node_status", key=lambda column: column.map(order)).reset_index(drop=True)
