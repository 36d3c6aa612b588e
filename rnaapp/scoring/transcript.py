"""Graded scores: calibrated site log-odds and a transcript score that weighs every site of a pair.

A site model's raw output is a log-odds (logit). It is kept as such end to end: a probability rounded
through a saturated sigmoid cannot rank (float32 ``sigmoid(17)`` is exactly 1.0).

- :class:`SiteCalibration`: Platt scaling of the site model's log-odds, fitted on held-out sites with
  realistic negatives; the probability of a site, or of a short target read whole.
- :class:`TranscriptModel`: a summed occupancy over all the sites of a (miRNA, transcript) pair,
  ``occupancy = log(sum_i exp(z_i))`` with ``z_i`` a linear function of the site's log-odds and context
  (:data:`rnaapp.scoring.features.SITE_FEATURES`); the pair's ``score`` is its log-odds at the fitted
  prior, ``slope * occupancy + length term + intercept``, and its probability the sigmoid of the score
  moved to the prior wanted. Each further site adds its odds, so the score keeps growing with more and
  better sites and never saturates; ranking by score is ranking by probability.

Every probability depends on the prior (the share of true interactions among the pairs scored). Both
classes carry the prior their data had when fitted (``fitted_prior``) and take the prior wanted as an
explicit argument: the log-odds move by ``logit(prior) - logit(fitted_prior)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnaapp.scoring.features import ACCESSIBILITY_FEATURES, SITE_FEATURES, TYPE_FEATURES

_TYPE_COLUMNS = [SITE_FEATURES.index(name) for name in TYPE_FEATURES]

#: Prior of the benchmark-style balanced evaluation (one positive per negative).
BALANCED_PRIOR = 0.5


def logit(probability: float) -> float:
    """``log(p / (1 - p))`` for a prior strictly between 0 and 1."""
    probability = float(probability)
    if not 0.0 < probability < 1.0:
        raise ValueError(f"a prior is a probability strictly between 0 and 1, not {probability!r}")
    return float(np.log(probability) - np.log1p(-probability))


def sigmoid(log_odds: np.ndarray | float) -> np.ndarray:
    """Logistic function in float64, without overflow."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(log_odds, dtype=np.float64)))


def prior_shift(prior: float | None, fitted_prior: float) -> float:
    """Log-odds to add to a score fitted at ``fitted_prior`` to express it at ``prior`` (None: no shift)."""
    if prior is None:
        return 0.0
    return logit(prior) - logit(fitted_prior)


@dataclass(frozen=True)
class SiteCalibration:
    """Platt scaling of a site model's log-odds: ``calibrated = slope * logit + intercept``.

    Attributes
    ----------
    slope, intercept
        Fitted on held-out sites (see ``fitted_on``).
    fitted_prior
        Share of positives in the data it was fitted on.
    fitted_on
        What data it was fitted on, in words.
    """

    slope: float = 1.0
    intercept: float = 0.0
    fitted_prior: float = BALANCED_PRIOR
    fitted_on: str = "not calibrated: the model's own log-odds"

    def log_odds(self, logits: np.ndarray, prior: float | None = None) -> np.ndarray:
        """Calibrated log-odds, shape of ``logits``, at ``prior`` (default: the fitted prior)."""
        logits = np.asarray(logits, dtype=np.float64)
        return self.slope * logits + self.intercept + prior_shift(prior, self.fitted_prior)

    def probability(self, logits: np.ndarray, prior: float | None = None) -> np.ndarray:
        """Calibrated probability, shape of ``logits``, at ``prior`` (default: the fitted prior)."""
        return sigmoid(self.log_odds(logits, prior))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (for the model card's ``scoring`` section)."""
        return {
            "slope": self.slope,
            "intercept": self.intercept,
            "fitted_prior": self.fitted_prior,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SiteCalibration:
        """From :meth:`to_dict`'s values."""
        return cls(
            slope=float(values["slope"]),
            intercept=float(values["intercept"]),
            fitted_prior=float(values.get("fitted_prior", BALANCED_PRIOR)),
            fitted_on=str(values.get("fitted_on", "")),
        )


def _default_weights() -> dict[str, float]:
    return {"log_odds": 1.0}


@dataclass(frozen=True)
class PairScore:
    """The transcript score of one (miRNA, transcript) pair.

    Attributes
    ----------
    score
        The ranking score: the pair's log-odds at the fitted prior, ``slope * occupancy + length term +
        intercept`` (higher = stronger; does not depend on the prior asked for).
    log_odds
        The pair's log-odds at the requested prior (``score`` moved by the prior shift).
    probability
        ``sigmoid(log_odds)``.
    contributions
        Shape ``(n_sites,)``: each site's share of ``exp(occupancy)`` (sums to 1): which sites drive the
        score.
    site_terms
        Shape ``(n_sites,)``: each site's ``z_i``.
    occupancy
        ``log(sum_i exp(z_i))`` over the sites (a site-free transcript: its best tile's ``z_i``).
    """

    score: float
    log_odds: float
    probability: float
    contributions: np.ndarray
    site_terms: np.ndarray
    occupancy: float = float("nan")


@dataclass(frozen=True)
class TranscriptModel:
    """Summed-occupancy transcript score (see the module docstring).

    Attributes
    ----------
    weights
        Per-site weight of each feature of :data:`~rnaapp.scoring.features.SITE_FEATURES` (missing = 0).
    site_bias
        Constant added to every site term ``z_i``.
    tile_weight
        Term added for a tile (a window of a transcript without any candidate site, site type ``none``).
        Pairs with sites cannot tell how a tile compares with a site (adding a constant to every site
        term only shifts the score), so :func:`rnaapp.scoring.fit_transcript_model` sets it to the
        weakest site type's weight: a window without a seed match counts no more than the weakest one.
    slope, length_weight, intercept
        Pair log-odds ``= slope * score + length_weight * log10(length / 1000) + intercept``. A
        transcript without any candidate site is read in overlapping tiles; its score is its best tile's
        term (summing overlapping tiles would reward length alone).
    fitted_prior
        Share of positive pairs in the data it was fitted on.
    fitted_on
        What it was fitted on, in words.
    """

    weights: Mapping[str, float] = field(default_factory=_default_weights)
    site_bias: float = 0.0
    tile_weight: float = 0.0
    slope: float = 1.0
    length_weight: float = 0.0
    intercept: float = 0.0
    fitted_prior: float = BALANCED_PRIOR
    fitted_on: str = "not fitted: the sites' own log-odds, summed as odds"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(SITE_FEATURES))
        if unknown:
            raise ValueError(f"unknown site features {unknown}; known: {list(SITE_FEATURES)}")

    @property
    def weight_vector(self) -> np.ndarray:
        """Shape ``(len(SITE_FEATURES),)``: the weights in feature order."""
        return np.array([float(self.weights.get(name, 0.0)) for name in SITE_FEATURES])

    @property
    def uses_energy(self) -> bool:
        """Whether the score depends on the duplex free energy of every site (costs a duplex per site)."""
        return float(self.weights.get("energy", 0.0)) != 0.0

    @property
    def uses_accessibility(self) -> bool:
        """Whether the score depends on site accessibility (costs one fold of every transcript)."""
        return any(float(self.weights.get(name, 0.0)) != 0.0 for name in ACCESSIBILITY_FEATURES)

    def site_terms(self, features: np.ndarray) -> np.ndarray:
        """``z_i`` for feature rows of shape ``(n_sites, len(SITE_FEATURES))``; shape ``(n_sites,)``."""
        features = np.asarray(features, dtype=np.float64)
        tiles = 1.0 - features[:, _TYPE_COLUMNS].sum(axis=1) if features.size else np.zeros(len(features))
        return features @ self.weight_vector + self.site_bias + self.tile_weight * tiles

    def score_pair(self, features: np.ndarray, length_value: float, prior: float | None = None) -> PairScore:
        """Score one pair from its sites' feature rows and its length feature.

        Parameters
        ----------
        features
            Shape ``(n_sites, len(SITE_FEATURES))`` (:func:`rnaapp.scoring.features.site_features`).
        length_value
            :func:`rnaapp.scoring.features.length_feature` of the transcript.
        prior
            Share of true interactions assumed among the pairs scored (default: the fitted prior).

        Returns
        -------
        PairScore
            With ``score = -inf`` and probability 0 for a pair without any site.
        """
        terms = self.site_terms(features)
        if terms.size == 0:
            return PairScore(-np.inf, -np.inf, 0.0, np.zeros(0), terms, -np.inf)
        top = float(terms.max())
        features = np.asarray(features, dtype=np.float64)
        if not features[:, _TYPE_COLUMNS].any():
            # Only tiles: overlapping reads of one transcript without sites, not separate sites; summing
            # them would reward length alone, so the best tile stands for the transcript.
            weights = (terms == top).astype(np.float64)
        else:
            weights = np.exp(terms - top)
        total = float(weights.sum())
        occupancy = top + (float(np.log(total)) if features[:, _TYPE_COLUMNS].any() else 0.0)
        score = self.slope * occupancy + self.length_weight * length_value + self.intercept
        log_odds = score + prior_shift(prior, self.fitted_prior)
        return PairScore(score, log_odds, float(sigmoid(log_odds)), weights / total, terms, occupancy)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (for the model card's ``scoring`` section)."""
        return {
            "weights": {name: float(self.weights[name]) for name in SITE_FEATURES if name in self.weights},
            "site_bias": self.site_bias,
            "tile_weight": self.tile_weight,
            "slope": self.slope,
            "length_weight": self.length_weight,
            "intercept": self.intercept,
            "fitted_prior": self.fitted_prior,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TranscriptModel:
        """From :meth:`to_dict`'s values."""
        return cls(
            weights={str(key): float(value) for key, value in dict(values["weights"]).items()},
            site_bias=float(values.get("site_bias", 0.0)),
            tile_weight=float(values.get("tile_weight", 0.0)),
            slope=float(values.get("slope", 1.0)),
            length_weight=float(values.get("length_weight", 0.0)),
            intercept=float(values.get("intercept", 0.0)),
            fitted_prior=float(values.get("fitted_prior", BALANCED_PRIOR)),
            fitted_on=str(values.get("fitted_on", "")),
        )


@dataclass(frozen=True)
class Scoring:
    """A model's fitted scoring: its site calibration and its transcript model (from its card)."""

    site: SiteCalibration = field(default_factory=SiteCalibration)
    transcript: TranscriptModel = field(default_factory=TranscriptModel)

    @property
    def fitted(self) -> bool:
        """Whether either part was fitted (a model without a ``scoring`` card section has neither)."""
        return self != Scoring()

    def to_dict(self) -> dict[str, Any]:
        """The model card's ``scoring`` section."""
        return {"site": self.site.to_dict(), "transcript": self.transcript.to_dict()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> Scoring:
        """From a card's ``scoring`` section (empty or None: not fitted)."""
        if not values:
            return cls()
        return cls(
            site=SiteCalibration.from_dict(values["site"]) if "site" in values else SiteCalibration(),
            transcript=TranscriptModel.from_dict(values["transcript"])
            if "transcript" in values
            else TranscriptModel(),
        )


def model_scoring(model: Any) -> Scoring:
    """The :class:`Scoring` of a loaded model (its card's ``scoring`` section; not fitted when absent)."""
    card = getattr(model, "card", None)
    return Scoring.from_dict(getattr(card, "scoring", None))
