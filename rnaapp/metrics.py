"""Binary-classification metrics for miRNA–target interaction predictions.

The functions here score a set of predicted interaction probabilities against
known 0/1 labels with the metrics customary in the plant miRNA–lncRNA
interaction literature (PmliPred, PmliPEMG, CIRNN, MixLMI and relatives):

========  ==============================================================
``ACC``   accuracy, ``(TP + TN) / n``
``SEN``   sensitivity (recall, true-positive rate), ``TP / (TP + FN)``
``SPE``   specificity (true-negative rate), ``TN / (TN + FP)``
``PRE``   precision (positive predictive value), ``TP / (TP + FP)``
``F1``    harmonic mean of precision and sensitivity, ``2TP / (2TP + FP + FN)``
``MCC``   Matthews correlation coefficient
``AUC``   area under the ROC curve (trapezoidal rule)
``AUPR``  area under the precision–recall curve, computed as *average
          precision* (step-wise, no interpolation)
``GEP``   geometric mean of precision and sensitivity, ``sqrt(PRE * SEN)``
``ECE``   expected calibration error: ``|observed - predicted|`` of ten
          equal-width probability bins, weighted by their share of pairs
          (:func:`rnaapp.scoring.calibration.expected_calibration_error`)
========  ==============================================================

The threshold-dependent metrics (all but ``AUC``, ``AUPR`` and ``ECE``) call a
pair positive when its probability is ``>= threshold``. ``ECE`` asks whether
the probabilities mean what they say (of the pairs given 0.8, do 80 % interact?)
and so depends on the share of positives in the test set: a model calibrated
at a balanced prior is well calibrated only on balanced data.

Conventions for degenerate input, chosen so that evaluation never crashes or
emits warnings on small or one-sided subsets (for example one group in
:func:`metrics_by_group`):

* a ratio whose denominator is zero (e.g. ``PRE`` when nothing is predicted
  positive, ``SPE`` when there are no negatives, ``MCC`` when a row or column
  of the confusion matrix is empty) is reported as ``0.0``, as
  ``sklearn.metrics`` does with ``zero_division=0``;
* ``AUC`` and ``AUPR`` are ``nan`` when only one class is present, since a
  ranking cannot be assessed without both positives and negatives (``ECE``
  stays defined);
* empty input raises :class:`ValueError`.

Ranking metrics (:func:`ranking_metrics`) judge the *score* that orders candidates (for a scan, the graded
log-odds of :func:`rnaapp.inference.score_pairs`) rather than the probability:

* :func:`top_k_precision`: the share of true interactions among each miRNA's ``k`` highest-scoring pairs,
  averaged over the miRNAs with at least ``k`` pairs;
* :func:`top_tie_share`: the share of the ``n`` highest scores that another of them equals; a score that
  ties many candidates cannot order them, whatever its AUC.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rnaapp.scoring.calibration import expected_calibration_error, reliability_table

__all__ = [
    "METRIC_NAMES",
    "ConfusionMatrix",
    "Evaluation",
    "compute_metrics",
    "confusion",
    "evaluate",
    "metrics_by_group",
    "plot_curves",
    "pr_points",
    "ranking_metrics",
    "roc_points",
    "top_k_precision",
    "top_tie_share",
]

METRIC_NAMES: tuple[str, ...] = ("ACC", "SEN", "SPE", "PRE", "F1", "MCC", "AUC", "AUPR", "GEP", "ECE")
"""Names of the metrics returned by :func:`compute_metrics`, in display order."""

OVERALL_GROUP = "all"
"""Label of the row of :func:`metrics_by_group` that pools every group."""

_FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


# ----------------------------------------------------------------------------------------------------------
# Input validation
# ----------------------------------------------------------------------------------------------------------


def _as_float_vector(values: npt.ArrayLike, name: str) -> np.ndarray:
    """Convert ``values`` to a one-dimensional float64 array or raise ``ValueError``."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {array.shape}")
    if array.dtype.kind in "biuf":
        return array.astype(np.float64)
    if array.dtype.kind == "O":
        try:
            return array.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{name} must be numeric, got values of dtype {array.dtype}")


def _validate(labels: npt.ArrayLike, probabilities: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check labels and probabilities and return them as arrays.

    Parameters
    ----------
    labels : array-like, shape (n,)
        True classes, 0 (no interaction) or 1 (interaction); booleans are accepted.
    probabilities : array-like, shape (n,)
        Predicted probability of an interaction, finite and within [0, 1].

    Returns
    -------
    labels : numpy.ndarray of bool, shape (n,)
        ``True`` for positives.
    probabilities : numpy.ndarray of float64, shape (n,)

    Raises
    ------
    ValueError
        On empty input, mismatched lengths, labels other than 0/1, or
        probabilities that are not finite or fall outside [0, 1].
    """
    label_values = _as_float_vector(labels, "labels")
    probability_values = _as_float_vector(probabilities, "probabilities")
    if label_values.shape[0] != probability_values.shape[0]:
        raise ValueError(
            "labels and probabilities must have the same length, got "
            f"{label_values.shape[0]} labels and {probability_values.shape[0]} probabilities"
        )
    if label_values.shape[0] == 0:
        raise ValueError("cannot evaluate an empty set of predictions: no labels or probabilities were given")
    not_binary = ~np.isin(label_values, (0.0, 1.0))
    if not_binary.any():
        examples = ", ".join(str(value) for value in np.unique(label_values[not_binary])[:5])
        raise ValueError(
            f"labels must be 0 or 1; found {int(not_binary.sum())} other value(s), e.g. {examples}"
        )
    not_finite = ~np.isfinite(probability_values)
    if not_finite.any():
        raise ValueError(
            f"probabilities must be finite; found {int(not_finite.sum())} NaN or infinite value(s)"
        )
    out_of_range = (probability_values < 0.0) | (probability_values > 1.0)
    if out_of_range.any():
        raise ValueError(
            f"probabilities must lie in [0, 1]; found {int(out_of_range.sum())} value(s) outside, ranging "
            f"from {probability_values.min():g} to {probability_values.max():g}"
        )
    return label_values == 1.0, probability_values


def _validate_threshold(threshold: float) -> float:
    """Return ``threshold`` as a float, rejecting NaN and non-numbers."""
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number, got {threshold!r}") from None
    if math.isnan(value):
        raise ValueError("threshold must be a number, got NaN")
    return value


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is zero."""
    return float(numerator) / float(denominator) if denominator else 0.0


# ----------------------------------------------------------------------------------------------------------
# Confusion matrix and threshold metrics
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of a binary confusion matrix.

    Attributes
    ----------
    tp : int
        Positives predicted positive.
    fp : int
        Negatives predicted positive.
    tn : int
        Negatives predicted negative.
    fn : int
        Positives predicted negative.
    """

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def n(self) -> int:
        """Total number of predictions."""
        return self.tp + self.fp + self.tn + self.fn

    def as_array(self) -> np.ndarray:
        """Return the matrix in scikit-learn's layout.

        Returns
        -------
        numpy.ndarray of int64, shape (2, 2)
            ``[[tn, fp], [fn, tp]]``: rows are true classes (0, 1), columns
            predicted classes (0, 1), as ``sklearn.metrics.confusion_matrix``.
        """
        return np.array([[self.tn, self.fp], [self.fn, self.tp]], dtype=np.int64)


def _confusion(is_positive: np.ndarray, probabilities: np.ndarray, threshold: float) -> ConfusionMatrix:
    predicted_positive = probabilities >= threshold
    return ConfusionMatrix(
        tp=int(np.count_nonzero(predicted_positive & is_positive)),
        fp=int(np.count_nonzero(predicted_positive & ~is_positive)),
        tn=int(np.count_nonzero(~predicted_positive & ~is_positive)),
        fn=int(np.count_nonzero(~predicted_positive & is_positive)),
    )


def confusion(labels: npt.ArrayLike, probabilities: npt.ArrayLike, threshold: float = 0.5) -> ConfusionMatrix:
    """Count true/false positives and negatives at a probability threshold.

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        True classes; 1 means the pair interacts.
    probabilities : array-like of float, shape (n,)
        Predicted interaction probabilities, finite and within [0, 1].
    threshold : float, default 0.5
        A pair is predicted positive when its probability is ``>= threshold``.

    Returns
    -------
    ConfusionMatrix

    Raises
    ------
    ValueError
        If the input is empty or invalid (see :func:`compute_metrics`).
    """
    is_positive, probability_values = _validate(labels, probabilities)
    return _confusion(is_positive, probability_values, _validate_threshold(threshold))


def _threshold_metrics(counts: ConfusionMatrix) -> dict[str, float]:
    """ACC, SEN, SPE, PRE, F1, MCC and GEP from confusion counts (0.0 for zero denominators)."""
    tp, fp, tn, fn = counts.tp, counts.fp, counts.tn, counts.fn
    sensitivity = _ratio(tp, tp + fn)
    precision = _ratio(tp, tp + fp)
    # Square roots taken separately so that large counts cannot overflow a float product.
    mcc_denominator = math.sqrt(tp + fp) * math.sqrt(tp + fn) * math.sqrt(tn + fp) * math.sqrt(tn + fn)
    return {
        "ACC": _ratio(tp + tn, counts.n),
        "SEN": sensitivity,
        "SPE": _ratio(tn, tn + fp),
        "PRE": precision,
        "F1": _ratio(2 * tp, 2 * tp + fp + fn),
        "MCC": _ratio(tp * tn - fp * fn, mcc_denominator),
        "GEP": math.sqrt(precision * sensitivity),
    }


# ----------------------------------------------------------------------------------------------------------
# Ranking curves
# ----------------------------------------------------------------------------------------------------------


def _cumulative_counts(
    is_positive: np.ndarray, probabilities: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True- and false-positive counts at every distinct probability, highest first.

    Returns
    -------
    true_positives, false_positives : numpy.ndarray of float64, shape (k,)
        Counts of positives / negatives with probability ``>= thresholds[i]``.
    thresholds : numpy.ndarray of float64, shape (k,)
        The ``k`` distinct probabilities in decreasing order.
    """
    order = np.argsort(probabilities, kind="mergesort")[::-1]
    sorted_probabilities = probabilities[order]
    sorted_positive = is_positive[order].astype(np.float64)
    # Last index of every run of tied probabilities: ties move the curve diagonally in one step.
    run_ends = np.r_[np.flatnonzero(np.diff(sorted_probabilities)), sorted_probabilities.size - 1]
    true_positives = np.cumsum(sorted_positive)[run_ends]
    false_positives = (run_ends + 1) - true_positives
    return true_positives, false_positives, sorted_probabilities[run_ends]


def _fraction(counts: np.ndarray, total: float) -> np.ndarray:
    """``counts / total``, all NaN when ``total`` is zero (without a warning)."""
    if total == 0:
        return np.full(counts.shape, np.nan)
    return counts / total


def _roc_arrays(is_positive: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, ...]:
    true_positives, false_positives, thresholds = _cumulative_counts(is_positive, probabilities)
    true_positives = np.r_[0.0, true_positives]
    false_positives = np.r_[0.0, false_positives]
    fpr = _fraction(false_positives, false_positives[-1])
    tpr = _fraction(true_positives, true_positives[-1])
    return fpr, tpr, np.r_[np.inf, thresholds]


def _pr_arrays(is_positive: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, ...]:
    true_positives, false_positives, thresholds = _cumulative_counts(is_positive, probabilities)
    # Every distinct threshold predicts at least one pair positive, so the denominator is never zero.
    precision = true_positives / (true_positives + false_positives)
    recall = _fraction(true_positives, true_positives[-1])
    return np.r_[0.0, recall], np.r_[1.0, precision], np.r_[np.inf, thresholds]


def roc_points(labels: npt.ArrayLike, probabilities: npt.ArrayLike) -> pd.DataFrame:
    """Points of the receiver operating characteristic (ROC) curve.

    One point per distinct probability (no intermediate points are dropped),
    preceded by the origin; this matches
    ``sklearn.metrics.roc_curve(labels, probabilities, drop_intermediate=False)``.

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        True classes.
    probabilities : array-like of float, shape (n,)
        Predicted interaction probabilities, finite and within [0, 1].

    Returns
    -------
    pandas.DataFrame, shape (k + 1, 3)
        Columns ``fpr`` (false-positive rate), ``tpr`` (true-positive rate)
        and ``threshold`` for the ``k`` distinct probabilities, in decreasing
        threshold order. The first row, ``(0, 0, inf)``, predicts nothing
        positive. ``fpr`` is NaN throughout when there are no negatives and
        ``tpr`` when there are no positives.

    Raises
    ------
    ValueError
        If the input is empty or invalid.
    """
    fpr, tpr, thresholds = _roc_arrays(*_validate(labels, probabilities))
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})


def pr_points(labels: npt.ArrayLike, probabilities: npt.ArrayLike) -> pd.DataFrame:
    """Points of the precision–recall curve.

    One point per distinct probability, preceded by the conventional start
    ``(recall 0, precision 1)``; this is the output of
    ``sklearn.metrics.precision_recall_curve`` in reverse order (decreasing
    threshold, increasing recall).

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        True classes.
    probabilities : array-like of float, shape (n,)
        Predicted interaction probabilities, finite and within [0, 1].

    Returns
    -------
    pandas.DataFrame, shape (k + 1, 3)
        Columns ``recall``, ``precision`` and ``threshold``, in decreasing
        threshold order. The first row has threshold ``inf``. ``recall`` is
        NaN (except in the first row) when there are no positives.

    Raises
    ------
    ValueError
        If the input is empty or invalid.
    """
    recall, precision, thresholds = _pr_arrays(*_validate(labels, probabilities))
    return pd.DataFrame({"recall": recall, "precision": precision, "threshold": thresholds})


def _area_under_roc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    if np.isnan(fpr).any() or np.isnan(tpr).any():
        return math.nan
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def _average_precision(recall: np.ndarray, precision: np.ndarray, has_negatives: bool) -> float:
    if np.isnan(recall).any() or not has_negatives:
        return math.nan
    return float(np.sum(np.diff(recall) * precision[1:]))


# ----------------------------------------------------------------------------------------------------------
# Public summaries
# ----------------------------------------------------------------------------------------------------------


def _compute_metrics(
    is_positive: np.ndarray, probabilities: np.ndarray, threshold: float
) -> tuple[dict[str, float], ConfusionMatrix, tuple[np.ndarray, ...], tuple[np.ndarray, ...], pd.DataFrame]:
    counts = _confusion(is_positive, probabilities, threshold)
    roc = _roc_arrays(is_positive, probabilities)
    pr = _pr_arrays(is_positive, probabilities)
    n_pos = int(np.count_nonzero(is_positive))
    n_neg = int(is_positive.size - n_pos)
    metrics = _threshold_metrics(counts)
    metrics["AUC"] = _area_under_roc(roc[0], roc[1])
    metrics["AUPR"] = _average_precision(pr[0], pr[1], has_negatives=n_neg > 0)
    labels = is_positive.astype(np.float64)
    metrics["ECE"] = expected_calibration_error(labels, probabilities)
    reliability = reliability_table(labels, probabilities)
    ordered: dict[str, float] = {name: metrics[name] for name in METRIC_NAMES}
    ordered.update({"n": is_positive.size, "n_pos": n_pos, "n_neg": n_neg, "threshold": threshold})
    return ordered, counts, roc, pr, reliability


def compute_metrics(
    labels: npt.ArrayLike, probabilities: npt.ArrayLike, threshold: float = 0.5
) -> dict[str, float]:
    """Compute the nine standard metrics of a set of predictions, and their calibration error.

    See the module docstring for definitions. ``AUPR`` is the *average
    precision*, ``sum_i (R_i - R_{i-1}) * P_i`` over the distinct thresholds,
    i.e. a step-wise (not trapezoidal) area identical to
    ``sklearn.metrics.average_precision_score``. ``GEP`` is the geometric mean
    of precision and sensitivity, ``sqrt(PRE * SEN)`` (also known as the
    G-measure or Fowlkes–Mallows index), which is how "GEP" is read in the
    plant miRNA–lncRNA interaction papers this package follows (the
    PmliPEMG / CIRNN family, MixLMI); it is not the geometric mean of
    sensitivity and specificity (G-mean). ``ECE`` is the expected calibration
    error over ten equal-width probability bins (see
    :func:`rnaapp.scoring.calibration.expected_calibration_error`).

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        True classes; 1 means the pair interacts.
    probabilities : array-like of float, shape (n,)
        Predicted interaction probabilities, finite and within [0, 1].
    threshold : float, default 0.5
        A pair is predicted positive when its probability is ``>= threshold``.
        Used by every metric except ``AUC``, ``AUPR`` and ``ECE``.

    Returns
    -------
    dict of str to float
        The keys of :data:`METRIC_NAMES` in that order, then ``n``, ``n_pos``,
        ``n_neg`` (ints) and ``threshold``. A metric whose denominator is zero
        is 0.0; ``AUC`` and ``AUPR`` are NaN when only one class is present.

    Raises
    ------
    ValueError
        If the input is empty, the lengths differ, a label is not 0/1, or a
        probability is not finite or lies outside [0, 1].
    """
    threshold = _validate_threshold(threshold)
    metrics, _, _, _, _ = _compute_metrics(*_validate(labels, probabilities), threshold)
    return metrics


def _json_number(value: Any) -> Any:
    """A Python number for JSON, with NaN and infinities replaced by ``None``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _frame_to_lists(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {column: [_json_number(value) for value in frame[column].to_numpy()] for column in frame.columns}


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Metrics, confusion matrix, curves and reliability table of one set of predictions.

    Attributes
    ----------
    metrics : dict of str to float
        Output of :func:`compute_metrics`.
    confusion : ConfusionMatrix
        Counts at ``metrics["threshold"]``.
    roc : pandas.DataFrame
        Output of :func:`roc_points` (columns ``fpr``, ``tpr``, ``threshold``).
    pr : pandas.DataFrame
        Output of :func:`pr_points` (columns ``recall``, ``precision``, ``threshold``).
    reliability : pandas.DataFrame
        Output of :func:`rnaapp.scoring.calibration.reliability_table` (ten equal-width probability bins;
        columns ``bin_low``, ``bin_high``, ``n``, ``mean_probability``, ``observed``, ``gap``; one row per
        non-empty bin): the points of a reliability diagram, whose weighted mean ``|gap|`` is
        ``metrics["ECE"]``.
    """

    metrics: dict[str, float]
    confusion: ConfusionMatrix
    roc: pd.DataFrame
    pr: pd.DataFrame
    reliability: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable summary.

        Returns
        -------
        dict
            ``{"metrics": {...}, "confusion": {"tp", "fp", "tn", "fn"},
            "roc": {"fpr": [...], "tpr": [...], "threshold": [...]},
            "pr": {"recall": [...], "precision": [...], "threshold": [...]},
            "reliability": {"bin_low": [...], "bin_high": [...], "n": [...],
            "mean_probability": [...], "observed": [...], "gap": [...]}}``.
            Non-finite numbers (NaN metrics, the ``inf`` threshold of the
            first curve point) become ``None`` so that the result is strict
            JSON (``json.dumps(..., allow_nan=False)`` accepts it).
        """
        return {
            "metrics": {name: _json_number(value) for name, value in self.metrics.items()},
            "confusion": {
                "tp": self.confusion.tp,
                "fp": self.confusion.fp,
                "tn": self.confusion.tn,
                "fn": self.confusion.fn,
            },
            "roc": _frame_to_lists(self.roc),
            "pr": _frame_to_lists(self.pr),
            "reliability": _frame_to_lists(self.reliability),
        }


def evaluate(labels: npt.ArrayLike, probabilities: npt.ArrayLike, threshold: float = 0.5) -> Evaluation:
    """Compute metrics, confusion matrix, ROC and PR curves and the reliability table in one pass.

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        True classes; 1 means the pair interacts.
    probabilities : array-like of float, shape (n,)
        Predicted interaction probabilities, finite and within [0, 1].
    threshold : float, default 0.5
        A pair is predicted positive when its probability is ``>= threshold``.

    Returns
    -------
    Evaluation
        Equal to what :func:`compute_metrics`, :func:`confusion`,
        :func:`roc_points`, :func:`pr_points` and
        :func:`rnaapp.scoring.calibration.reliability_table` return separately.

    Raises
    ------
    ValueError
        If the input is empty or invalid (see :func:`compute_metrics`).
    """
    threshold = _validate_threshold(threshold)
    metrics, counts, roc, pr, reliability = _compute_metrics(*_validate(labels, probabilities), threshold)
    return Evaluation(
        metrics=metrics,
        confusion=counts,
        roc=pd.DataFrame({"fpr": roc[0], "tpr": roc[1], "threshold": roc[2]}),
        pr=pd.DataFrame({"recall": pr[0], "precision": pr[1], "threshold": pr[2]}),
        reliability=reliability,
    )


def metrics_by_group(
    frame: pd.DataFrame,
    group_column: str,
    *,
    label_column: str = "label",
    probability_column: str = "probability",
    threshold: float = 0.5,
) -> pd.DataFrame:
    """Compute the metrics separately for every value of a grouping column.

    Useful to compare performance across species, miRNA families or
    benchmark subsets. Missing group values (NaN) form a group of their own.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n, ...)
        One row per prediction.
    group_column : str
        Column whose values define the groups.
    label_column : str, default "label"
        Column of true 0/1 labels.
    probability_column : str, default "probability"
        Column of predicted probabilities in [0, 1].
    threshold : float, default 0.5
        Decision threshold of the threshold-dependent metrics.

    Returns
    -------
    pandas.DataFrame, shape (g + 1, 2 + len(METRIC_NAMES))
        Columns ``group``, ``n`` and :data:`METRIC_NAMES`; one row per group
        value in sorted order, then a row ``group == "all"`` over every
        prediction. Groups with a single class have NaN ``AUC``/``AUPR``.

    Raises
    ------
    ValueError
        If a column is missing, ``frame`` is empty, a group value is the
        reserved ``"all"``, or labels/probabilities are invalid.
    """
    missing = [column for column in (group_column, label_column, probability_column) if column not in frame]
    if missing:
        raise ValueError(f"frame has no column(s) {missing}; available columns: {list(frame.columns)}")
    if len(frame) == 0:
        raise ValueError("cannot evaluate an empty frame: it has no rows")
    if (frame[group_column] == OVERALL_GROUP).any():
        raise ValueError(
            f"column {group_column!r} contains the value {OVERALL_GROUP!r}, which is reserved for the row "
            "that pools every group"
        )
    threshold = _validate_threshold(threshold)
    # Validate everything once so that errors name the whole column rather than one group.
    _validate(frame[label_column], frame[probability_column])

    rows = []
    for group_value, group in frame.groupby(group_column, sort=True, dropna=False):
        metrics = compute_metrics(group[label_column], group[probability_column], threshold)
        rows.append(
            {"group": group_value, "n": metrics["n"], **{name: metrics[name] for name in METRIC_NAMES}}
        )
    overall = compute_metrics(frame[label_column], frame[probability_column], threshold)
    rows.append({"group": OVERALL_GROUP, "n": overall["n"], **{name: overall[name] for name in METRIC_NAMES}})
    return pd.DataFrame(rows, columns=["group", "n", *METRIC_NAMES])


# ----------------------------------------------------------------------------------------------------------
# Ranking
# ----------------------------------------------------------------------------------------------------------


def _validate_count(value: int, name: str) -> int:
    """``value`` as a positive int, or ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _validate_scores(scores: npt.ArrayLike) -> np.ndarray:
    """Scores as a non-empty float64 vector without NaN (infinities are allowed: they still order)."""
    values = _as_float_vector(scores, "scores")
    if values.shape[0] == 0:
        raise ValueError("cannot rank an empty set of predictions: no scores were given")
    if np.isnan(values).any():
        raise ValueError(f"scores must not be NaN; found {int(np.isnan(values).sum())} NaN value(s)")
    return values


def _validate_ranking(labels: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Labels as bool and scores as float64, checked as :func:`top_k_precision` documents."""
    score_values = _validate_scores(scores)
    label_values = _as_float_vector(labels, "labels")
    if label_values.shape != score_values.shape:
        raise ValueError(
            "labels and scores must have the same length, got "
            f"{label_values.shape[0]} labels and {score_values.shape[0]} scores"
        )
    if not np.isin(label_values, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    return label_values == 1.0, score_values


def _top_order(scores: np.ndarray) -> np.ndarray:
    """Indices of ``scores`` from highest to lowest; tied scores keep their input order."""
    return np.argsort(-scores, kind="stable")


def top_k_precision(labels: npt.ArrayLike, scores: npt.ArrayLike, groups: npt.ArrayLike, k: int = 5) -> float:
    """Mean over groups of the share of positives among each group's ``k`` highest scores.

    With ``groups`` the miRNA of each pair this is the precision of a per-miRNA target list cut at ``k``:
    for every miRNA with at least ``k`` pairs, the share of true interactions among its ``k``
    highest-scoring pairs, averaged over those miRNAs (each counts once, however many pairs it has).
    Tied scores are ordered as the pairs are given (stable sort), so at a tie across the cut the pair
    listed first is taken.

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        True classes; 1 means the pair interacts.
    scores : array-like of float, shape (n,)
        The ranking key, higher = more likely to interact (any real numbers, e.g. log-odds; not NaN).
    groups : array-like, shape (n,)
        Group of each pair (e.g. ``mirna_id``); missing values (None, NaN) form one group of their own.
    k : int, default 5
        Pairs taken from the top of each group; groups with fewer pairs are left out.

    Returns
    -------
    float
        In [0, 1]; NaN when no group has ``k`` pairs.

    Raises
    ------
    ValueError
        If the input is empty, the lengths differ, a label is not 0/1, a score is NaN, or ``k`` is not a
        positive integer.
    """
    k = _validate_count(k, "k")
    is_positive, score_values = _validate_ranking(labels, scores)
    group_values = np.asarray(groups, dtype=object)
    if group_values.shape != score_values.shape:
        raise ValueError(f"{group_values.size} groups for {score_values.size} scores; expected one per pair")
    order = _top_order(score_values)
    frame = pd.DataFrame({"group": group_values[order], "label": is_positive[order].astype(np.float64)})
    by_group = frame.groupby("group", sort=False, dropna=False)["label"]
    sizes = by_group.size()
    qualifying = sizes.index[sizes >= k]
    if len(qualifying) == 0:
        return math.nan
    top = frame.groupby("group", sort=False, dropna=False).head(k)  # keeps the sorted order within groups
    shares = top.groupby("group", sort=False, dropna=False)["label"].mean()
    return float(shares.loc[qualifying].mean())


def _top_scores(scores: np.ndarray, n: int) -> np.ndarray:
    """The ``min(n, len(scores))`` highest scores."""
    return scores[_top_order(scores)[:n]]


def top_tie_share(scores: npt.ArrayLike, n: int = 100) -> float:
    """Share of the ``n`` highest scores that equal another score among them.

    A scan ranks candidates by score; where many of the top candidates share one value (a saturated
    probability, a score that counts sites only) their order says nothing. Equality is exact (no rounding).

    Parameters
    ----------
    scores : array-like of float, shape (m,)
        The ranking key (not NaN).
    n : int, default 100
        Size of the top; with fewer than ``n`` scores, all of them.

    Returns
    -------
    float
        In [0, 1]: 0 when the top scores are all distinct, 1 when each equals another (e.g. all tied).
        The top ``[3, 3, 2]`` gives 2/3.

    Raises
    ------
    ValueError
        If ``scores`` is empty or holds NaN, or ``n`` is not a positive integer.
    """
    n = _validate_count(n, "n")
    top = _top_scores(_validate_scores(scores), n)
    _, inverse, counts = np.unique(top, return_inverse=True, return_counts=True)
    return float(np.count_nonzero(counts[inverse] > 1) / top.size)


def ranking_metrics(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    k: int = 5,
    n: int = 100,
) -> dict[str, float | int]:
    """Ranking metrics of a score: per-group top-``k`` precision and ties among the top ``n``.

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (m,)
        True classes.
    scores : array-like of float, shape (m,)
        The ranking key (not NaN).
    groups : array-like, shape (m,), optional
        Group of each pair (e.g. ``mirna_id``) for :func:`top_k_precision`; None = one group of every pair
        (the precision of the ``k`` highest scores overall).
    k : int, default 5
        Top of each group for the precision.
    n : int, default 100
        Top of all pairs for the ties.

    Returns
    -------
    dict
        ``f"top{k}_precision"`` (float, :func:`top_k_precision`; NaN when no group has ``k`` pairs),
        ``f"top{n}_ties"`` (float, :func:`top_tie_share`) and ``f"distinct_in_top{n}"`` (int, the number of
        distinct values among the ``min(n, m)`` highest scores), in that order; e.g. ``top5_precision``,
        ``top100_ties``, ``distinct_in_top100`` by default.

    Raises
    ------
    ValueError
        As :func:`top_k_precision` and :func:`top_tie_share`.
    """
    k = _validate_count(k, "k")
    n = _validate_count(n, "n")
    _, score_values = _validate_ranking(labels, scores)
    group_values = np.zeros(score_values.shape, dtype=np.int64) if groups is None else groups
    return {
        f"top{k}_precision": top_k_precision(labels, score_values, group_values, k),
        f"top{n}_ties": top_tie_share(score_values, n),
        f"distinct_in_top{n}": int(np.unique(_top_scores(score_values, n)).size),
    }


# ----------------------------------------------------------------------------------------------------------
# Figure
# ----------------------------------------------------------------------------------------------------------


def _format_score(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def plot_curves(evaluations: Mapping[str, Evaluation], path: str | os.PathLike[str]) -> None:
    """Draw ROC and precision–recall curves of several models side by side.

    The figure is rendered with matplotlib's Agg canvas (no display needed,
    no change to the global pyplot state) and written to ``path``.

    Parameters
    ----------
    evaluations : Mapping of str to Evaluation
        Model name to its evaluation; one line per model on each panel, with
        its AUC (ROC panel) or AUPR (PR panel) in the legend.
    path : str or os.PathLike
        Output file; its suffix (``.png``, ``.pdf`` or ``.svg``) selects the
        format. The parent directory must exist.

    Raises
    ------
    ValueError
        If ``evaluations`` is empty or the suffix is not supported.
    """
    if not evaluations:
        raise ValueError("nothing to plot: evaluations is empty")
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in _FIGURE_SUFFIXES:
        raise ValueError(f"unsupported figure format {suffix!r}; use one of {', '.join(_FIGURE_SUFFIXES)}")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10.0, 4.6), layout="constrained")
    FigureCanvasAgg(figure)
    roc_axes, pr_axes = figure.subplots(1, 2)
    roc_axes.plot([0.0, 1.0], [0.0, 1.0], linestyle="--", color="0.6", linewidth=1.0, label="chance")
    for name, evaluation in evaluations.items():
        roc_axes.plot(
            evaluation.roc["fpr"],
            evaluation.roc["tpr"],
            label=f"{name} (AUC = {_format_score(evaluation.metrics['AUC'])})",
        )
        # Step-wise, as average precision integrates it: precision P_i holds over (R_{i-1}, R_i].
        pr_axes.plot(
            evaluation.pr["recall"],
            evaluation.pr["precision"],
            drawstyle="steps-pre",
            label=f"{name} (AUPR = {_format_score(evaluation.metrics['AUPR'])})",
        )
    roc_axes.set(xlabel="False-positive rate", ylabel="True-positive rate (sensitivity)", title="ROC curve")
    pr_axes.set(xlabel="Recall (sensitivity)", ylabel="Precision", title="Precision–recall curve")
    for axes in (roc_axes, pr_axes):
        axes.set_xlim(-0.01, 1.01)
        axes.set_ylim(-0.01, 1.01)
        axes.set_aspect("equal")
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right" if axes is roc_axes else "lower left", fontsize="small")
    figure.savefig(path, format=suffix[1:], dpi=150)
