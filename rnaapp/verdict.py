"""The verdict at the end of a training: the model against chance and its task's baselines.

A training can end with a model that learnt nothing (random labels, one epoch, a learning rate that is
too high): its validation AUC is about 0.5, or it predicts one class for every pair. Such a model must not
be saved with a plain "Finished". :func:`training_verdict` compares the model's validation predictions
with chance and with the predictions of the task's baseline models (:func:`rnaapp.tasks.task_baselines`)
on the same validation pairs, and says one of three things (its ``level``):

``"chance"``
    No better than chance: validation AUC at most :data:`CHANCE_AUC`, or an MCC within
    :data:`CHANCE_MCC` of 0 at the threshold (which includes predicting one class for every pair).
``"baseline"``
    Better than chance, but its AUC is not above the best baseline's on the same pairs (by more than
    :data:`BASELINE_MARGIN`).
``"better"``
    Better than chance and than every baseline it was compared with (or than chance only, for a task
    without an installed baseline model; the text says so).

Everything here is pure (arrays in, a JSON-ready dict out); :func:`rnaapp.train.judge_training` scores
the baselines and :func:`rnaapp.train.fit` stores the verdict in the card's ``training["verdict"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from rnaapp.metrics import compute_metrics

#: A validation AUC at most this is "no better than chance" (0.5 is a coin toss; a few hundred validation
#: pairs put a useless model's AUC anywhere within about ±0.05 of it).
CHANCE_AUC = 0.55
#: An MCC within this of 0 is "no better than chance" (it is exactly 0 when one class is predicted).
CHANCE_MCC = 0.05
#: The model is "better" than a baseline only when its AUC is above the baseline's by more than this
#: (about the sampling noise of an AUC on :data:`MAX_BASELINE_PAIRS` pairs).
BASELINE_MARGIN = 0.01
#: At most this many validation pairs are scored by the baselines (a stratified, seeded sample): scoring
#: 1,000 site pairs takes the three site baselines about 1 s, 1,000 plant lncRNA pairs the two plant
#: baselines about 16 s on one CPU core; the whole validation split of a large data set would take minutes.
MAX_BASELINE_PAIRS = 1000
#: The verdict levels, from worst to best.
LEVELS = ("chance", "baseline", "better")


def comparison_sample(
    labels: npt.ArrayLike, max_pairs: int = MAX_BASELINE_PAIRS, seed: int = 0
) -> np.ndarray:
    """Positions of the validation pairs that the baselines score: all, or a stratified sample.

    Parameters
    ----------
    labels : array-like of {0, 1}, shape (n,)
        Validation labels.
    max_pairs
        At most this many positions (at least one of each label present).
    seed
        Seed of the sample; the same labels, size and seed give the same positions.

    Returns
    -------
    numpy.ndarray
        Sorted int positions into ``labels``; ``arange(n)`` when ``n <= max_pairs``.
    """
    labels = np.asarray(labels).astype(int)
    if len(labels) <= max_pairs:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        positions = np.flatnonzero(labels == label)
        count = max(1, round(max_pairs * len(positions) / len(labels)))
        chosen.append(rng.choice(positions, size=min(count, len(positions)), replace=False))
    return np.sort(np.concatenate(chosen))


def _auc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    return float(compute_metrics(labels, np.clip(probabilities, 0.0, 1.0))["AUC"])


def _number(value: float) -> float | None:
    return round(float(value), 4) if math.isfinite(value) else None


def training_verdict(
    labels: npt.ArrayLike,
    probabilities: npt.ArrayLike,
    baselines: Mapping[str, npt.ArrayLike] | None = None,
    *,
    compared: npt.ArrayLike | None = None,
    skipped: Mapping[str, str] | None = None,
    threshold: float = 0.5,
    task: str = "",
) -> dict[str, Any]:
    """Judge a trained model's validation predictions against chance and its task's baselines.

    Parameters
    ----------
    labels : array-like of {0, 1}, shape (n,)
        Labels of the validation pairs (both classes present).
    probabilities : array-like of float, shape (n,)
        The trained model's probabilities of the validation pairs.
    baselines
        Baseline model name -> its probabilities of the compared pairs, shape ``(len(compared),)``;
        strongest first (the order of :func:`rnaapp.tasks.task_baselines`). None or empty: chance only.
    compared : array-like of int, optional
        Positions of the validation pairs the baselines scored (:func:`comparison_sample`); all by default.
    skipped
        Baseline name -> why it was not compared (e.g. it could not score these pairs); reported only.
    threshold
        Probability at or above which a pair is predicted positive (for MCC and the one-class check).
    task
        The model's task, named in the text when it has no baseline.

    Returns
    -------
    dict
        JSON-ready: ``level`` (one of :data:`LEVELS`), ``text`` (one line, starting with the finding),
        ``auc`` and ``mcc`` (the model's, on every validation pair), ``pairs`` (how many),
        ``predicted_positive`` (share of pairs predicted positive), ``baselines`` (name -> AUC on the
        compared pairs), ``compared_pairs`` and ``compared_auc`` (the model's AUC on those pairs; equal to
        ``auc`` when every pair was compared), ``skipped`` (name -> reason) and the thresholds used
        (``chance_auc``, ``chance_mcc``, ``margin``).
    """
    labels = np.asarray(labels).astype(int)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if labels.shape != probabilities.shape or labels.ndim != 1 or not len(labels):
        raise ValueError("labels and probabilities must be 1-d arrays of the same, non-zero length")
    finite = np.isfinite(probabilities)
    probabilities = np.where(finite, probabilities, 0.5)
    metrics = compute_metrics(labels, np.clip(probabilities, 0.0, 1.0), threshold)
    auc, mcc = float(metrics["AUC"]), float(metrics["MCC"])
    predicted_positive = float(np.mean(probabilities >= threshold))
    positions = np.arange(len(labels)) if compared is None else np.asarray(compared, dtype=int)
    compared_labels = labels[positions]
    compared_auc = _auc(compared_labels, probabilities[positions]) if len(positions) < len(labels) else auc
    baseline_auc: dict[str, float | None] = {}
    for name, values in (baselines or {}).items():
        values = np.asarray(values, dtype=np.float64)
        if values.shape != compared_labels.shape:
            raise ValueError(
                f"baseline {name!r} has {values.size} probabilities for {compared_labels.size} compared pairs"
            )
        baseline_auc[name] = _number(_auc(compared_labels, np.where(np.isfinite(values), values, 0.5)))
    n = len(labels)
    summary = f"validation AUC {auc:.3f}, MCC {mcc:.3f} on {n:,} pairs"

    one_class = predicted_positive in (0.0, 1.0)
    if not finite.all() or not math.isfinite(auc) or auc <= CHANCE_AUC or abs(mcc) < CHANCE_MCC:
        level = "chance"
        if one_class:
            kind = "interacting" if predicted_positive == 1.0 else "not interacting"
            text = (
                f"no better than chance: it predicts every validation pair as {kind} at threshold "
                f"{threshold:g} ({summary})"
            )
        else:
            text = f"no better than chance ({summary}; a coin toss has AUC 0.5 and MCC 0)"
    else:
        scored = {name: value for name, value in baseline_auc.items() if value is not None}
        where = (
            f"on the same {len(positions):,} validation pairs"
            if len(positions) == n
            else f"on a stratified sample of {len(positions):,} of the {n:,} validation pairs"
        )
        if not scored:
            level = "better"
            reason = (
                f"the {task} task has no installed baseline model"
                if not baseline_auc and not skipped
                else "no baseline could be compared"
            )
            text = f"better than chance ({summary}); {reason}, so it was compared with chance only"
        else:
            best = max(scored, key=lambda name: scored[name])
            others = ", ".join(f"{name} {value:.3f}" for name, value in scored.items())
            if compared_auc <= scored[best] + BASELINE_MARGIN:
                level = "baseline"
                text = (
                    f"no better than the baseline {best}: validation AUC {compared_auc:.3f} vs "
                    f"{scored[best]:.3f} {where} (baselines: {others})"
                )
            else:
                level = "better"
                text = f"better than its baselines: validation AUC {compared_auc:.3f} vs {others} {where}"
    if skipped:
        text += "; not compared: " + "; ".join(f"{name} ({why})" for name, why in skipped.items())
    return {
        "level": level,
        "text": text,
        "auc": _number(auc),
        "mcc": _number(mcc),
        "pairs": int(n),
        "predicted_positive": round(predicted_positive, 4),
        "baselines": baseline_auc,
        "compared_pairs": int(len(positions)),
        "compared_auc": _number(compared_auc),
        "skipped": dict(skipped or {}),
        "chance_auc": CHANCE_AUC,
        "chance_mcc": CHANCE_MCC,
        "margin": BASELINE_MARGIN,
    }


def card_verdict(training: Any) -> dict[str, Any] | None:
    """The verdict stored in a card's ``training`` (a dict with ``level`` and ``text``), else None.

    Cards saved before rnaapp judged trainings, shipped cards and cards with a malformed verdict give None,
    so every reader can show what is there and nothing else.
    """
    verdict = training.get("verdict") if isinstance(training, Mapping) else None
    if (
        isinstance(verdict, Mapping)
        and verdict.get("level") in LEVELS
        and isinstance(verdict.get("text"), str)
    ):
        return dict(verdict)
    return None


def headline(verdict: Mapping[str, Any]) -> str:
    """The finding that starts a verdict's text, e.g. ``"no better than chance"`` (up to ``:`` or ``(``)."""
    text = str(verdict.get("text", ""))
    return text.split(":", 1)[0].split(" (", 1)[0].strip()


#: Short words for each verdict level (:data:`LEVELS`), for a table of models.
VERDICT_WORDS = {
    "chance": "no better than chance",
    "baseline": "no better than a baseline",
    "better": "better than its baselines",
}


def verdict_words(training: Any) -> str:
    """A card's verdict in a few words (:data:`VERDICT_WORDS`), or ``""`` for a card without one.

    ``"better than chance (no baseline compared)"`` for a model judged against chance only.
    """
    verdict = card_verdict(training)
    if verdict is None:
        return ""
    baselines = verdict.get("baselines") if isinstance(verdict.get("baselines"), Mapping) else {}
    if verdict["level"] == "better" and not any(value is not None for value in baselines.values()):
        return "better than chance (no baseline compared)"
    return VERDICT_WORDS[verdict["level"]]


def is_warning(verdict: Mapping[str, Any] | None) -> bool:
    """Whether a verdict says the model is no better than chance or than a baseline."""
    return verdict is not None and verdict.get("level") in ("chance", "baseline")


__all__ = [
    "BASELINE_MARGIN",
    "CHANCE_AUC",
    "CHANCE_MCC",
    "LEVELS",
    "MAX_BASELINE_PAIRS",
    "VERDICT_WORDS",
    "card_verdict",
    "comparison_sample",
    "headline",
    "is_warning",
    "training_verdict",
    "verdict_words",
]
