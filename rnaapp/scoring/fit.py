"""Fitting the scoring: Platt scaling of site log-odds and the transcript model's few weights.

Both are small maximum-likelihood fits (logistic loss, L2 penalty), run with L-BFGS in float64 on the CPU
(torch is imported when a fit runs, so reading scores never needs it).
The data they are fitted on decides what they mean: fit on held-out data with realistic negatives, and
say which (``fitted_on``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnaapp.scoring.features import SITE_FEATURES, TYPE_FEATURES
from rnaapp.scoring.transcript import SiteCalibration, TranscriptModel


def _check_labels(labels: np.ndarray) -> None:
    if labels.size == 0 or labels.min() == labels.max():
        raise ValueError("fitting needs both positive and negative examples")


def _minimise(parameters: list, loss_of) -> None:
    import torch

    optimiser = torch.optim.LBFGS(
        parameters, lr=1.0, max_iter=500, tolerance_change=1e-12, line_search_fn="strong_wolfe"
    )

    def closure():
        optimiser.zero_grad()
        loss = loss_of()
        loss.backward()
        return loss

    optimiser.step(closure)


def fit_site_calibration(
    logits: np.ndarray, labels: np.ndarray, *, fitted_on: str, l2: float = 1e-4
) -> SiteCalibration:
    """Platt scaling: fit ``sigmoid(slope * logit + intercept)`` to the labels.

    Parameters
    ----------
    logits
        Shape ``(n,)``: the site model's log-odds on held-out pairs.
    labels
        Shape ``(n,)``: 1 for an interaction, 0 for none.
    fitted_on
        The data, in words (kept in the card).
    l2
        Penalty on ``(slope - 1)`` and ``intercept`` (keeps the fit sane on few pairs).
    """
    import torch

    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    _check_labels(labels)
    x = torch.from_numpy(logits)
    y = torch.from_numpy(labels)
    slope = torch.ones((), dtype=torch.float64, requires_grad=True)
    intercept = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def loss_of():
        predicted = slope * x + intercept
        fit = torch.nn.functional.binary_cross_entropy_with_logits(predicted, y)
        return fit + l2 * ((slope - 1.0) ** 2 + intercept**2)

    _minimise([slope, intercept], loss_of)
    return SiteCalibration(
        slope=float(slope.detach()),
        intercept=float(intercept.detach()),
        fitted_prior=float(labels.mean()),
        fitted_on=fitted_on,
    )


def fit_transcript_model(
    pair_features: Sequence[np.ndarray],
    length_values: np.ndarray,
    labels: np.ndarray,
    *,
    fitted_on: str,
    features: Sequence[str] = SITE_FEATURES,
    l2: float = 1e-2,
    sample_weights: np.ndarray | None = None,
) -> TranscriptModel:
    """Fit the transcript model's weights to pair labels (logistic loss on the pair log-odds).

    Parameters
    ----------
    pair_features
        One array per pair, shape ``(n_sites, len(SITE_FEATURES))``
        (:func:`rnaapp.scoring.features.site_features`); every pair needs at least one row.
    length_values
        Shape ``(n_pairs,)``: :func:`rnaapp.scoring.features.length_feature` of each transcript.
    labels
        Shape ``(n_pairs,)``: 1 for an interaction, 0 for none.
    fitted_on
        The data, in words (kept in the card).
    features
        The features the model may use (the others keep weight 0); ``log_odds`` is always used.
    l2
        Penalty on the weights (``log_odds``'s towards 1, the others' towards 0) and the length weight.
    sample_weights
        Shape ``(n_pairs,)``: weight of each pair in the loss (default 1), e.g. to balance data sets.
        ``fitted_prior`` is then the weighted share of positives.

    Returns
    -------
    TranscriptModel
        The fitted model, slope 1: the score ``log(sum_i exp(z_i))`` is itself the pair's log-odds before
        the length term and intercept, so the weights set both each site's say and how sharply the
        strongest site dominates.
    """
    import torch

    labels = np.asarray(labels, dtype=np.float64)
    _check_labels(labels)
    if len(pair_features) != labels.size or np.asarray(length_values).size != labels.size:
        raise ValueError("one feature array, one length and one label per pair")
    if any(len(rows) == 0 for rows in pair_features):
        raise ValueError("every pair needs at least one site row")
    unknown = sorted(set(features) - set(SITE_FEATURES))
    if unknown:
        raise ValueError(f"unknown site features {unknown}")
    used = np.array([name in features or name == "log_odds" for name in SITE_FEATURES])
    start = np.array([1.0 if name == "log_odds" else 0.0 for name in SITE_FEATURES])
    stacked = torch.from_numpy(np.concatenate([np.asarray(rows, dtype=np.float64) for rows in pair_features]))
    owner = torch.from_numpy(np.repeat(np.arange(labels.size), [len(rows) for rows in pair_features]))
    lengths = torch.from_numpy(np.asarray(length_values, dtype=np.float64))
    y = torch.from_numpy(labels)
    weights_of_pairs = (
        np.ones(labels.size) if sample_weights is None else np.asarray(sample_weights, dtype=np.float64)
    )
    pair_weights = torch.from_numpy(weights_of_pairs / weights_of_pairs.mean())
    mask = torch.from_numpy(used.astype(np.float64))
    base = torch.from_numpy(start)
    free = torch.zeros(len(SITE_FEATURES), dtype=torch.float64, requires_grad=True)
    length_weight = torch.zeros((), dtype=torch.float64, requires_grad=True)
    intercept = torch.zeros((), dtype=torch.float64, requires_grad=True)
    n_pairs = labels.size
    type_columns = torch.tensor([SITE_FEATURES.index(name) for name in TYPE_FEATURES])
    tiles = 1.0 - stacked[:, type_columns].sum(dim=1)
    has_site = torch.zeros(labels.size, dtype=torch.float64).index_add(0, owner, 1.0 - tiles) > 0

    def scores():
        weights = base + mask * free
        terms = stacked @ weights + tiles * weights[type_columns].min()
        top = torch.full((n_pairs,), -torch.inf, dtype=torch.float64).scatter_reduce(
            0, owner, terms, reduce="amax"
        )
        top = top.detach()
        sums = torch.zeros(n_pairs, dtype=torch.float64).index_add(0, owner, torch.exp(terms - top[owner]))
        # a transcript without sites scores its best tile (as TranscriptModel.score_pair)
        return torch.where(has_site, top + torch.log(sums), top)

    def loss_of():
        predicted = scores() + length_weight * lengths + intercept
        fit = torch.nn.functional.binary_cross_entropy_with_logits(predicted, y, weight=pair_weights)
        return fit + l2 * (((mask * free) ** 2).sum() + length_weight**2)

    # A constant added to every site term only shifts the score, so it is the intercept's job (no site
    # bias); a slope on the score would duplicate the weights' scale.
    _minimise([free, length_weight, intercept], loss_of)
    weights = (base + mask * free).detach().numpy()
    type_weights = [weights[SITE_FEATURES.index(name)] for name in TYPE_FEATURES]
    return TranscriptModel(
        tile_weight=float(min(type_weights)),
        weights={
            name: float(weights[index])
            for index, name in enumerate(SITE_FEATURES)
            if name in features or name == "log_odds"
        },
        slope=1.0,
        length_weight=float(length_weight.detach()),
        intercept=float(intercept.detach()),
        fitted_prior=float(np.average(labels, weights=weights_of_pairs)),
        fitted_on=fitted_on,
    )
