"""How well probabilities are calibrated: reliability table and expected calibration error."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Equal-width probability bins of the reliability diagram.
CALIBRATION_BINS = 10


def reliability_table(
    labels: npt.ArrayLike, probabilities: npt.ArrayLike, bins: int = CALIBRATION_BINS
) -> pd.DataFrame:
    """Observed against predicted frequency in equal-width probability bins (a reliability diagram).

    Parameters
    ----------
    labels
        Shape ``(n,)``: 1 for an interaction, 0 for none.
    probabilities
        Shape ``(n,)``: predicted probabilities in ``[0, 1]``.
    bins
        Number of equal-width bins over ``[0, 1]`` (the last bin includes 1.0).

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``bin_low``, ``bin_high``, ``n``, ``mean_probability`` (predicted),
        ``observed`` (share of positives), ``gap`` (observed - predicted).
    """
    labels = np.asarray(labels, dtype=np.float64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if labels.shape != probabilities.shape:
        raise ValueError(f"{labels.size} labels but {probabilities.size} probabilities")
    if bins < 1:
        raise ValueError("bins must be at least 1")
    keep = np.isfinite(probabilities)
    labels, probabilities = labels[keep], np.clip(probabilities[keep], 0.0, 1.0)
    index = np.minimum((probabilities * bins).astype(np.int64), bins - 1)
    rows = []
    for number in range(bins):
        members = index == number
        if not members.any():
            continue
        mean_probability = float(probabilities[members].mean())
        observed = float(labels[members].mean())
        rows.append(
            {
                "bin_low": number / bins,
                "bin_high": (number + 1) / bins,
                "n": int(members.sum()),
                "mean_probability": mean_probability,
                "observed": observed,
                "gap": observed - mean_probability,
            }
        )
    return pd.DataFrame(rows, columns=["bin_low", "bin_high", "n", "mean_probability", "observed", "gap"])


def expected_calibration_error(
    labels: npt.ArrayLike, probabilities: npt.ArrayLike, bins: int = CALIBRATION_BINS
) -> float:
    """Expected calibration error: the bins' ``|observed - predicted|`` weighted by their share of pairs.

    Equal-width bins as in :func:`reliability_table` (Naeini et al. 2015; Guo et al. 2017). NaN for no
    pairs.
    """
    table = reliability_table(labels, probabilities, bins)
    total = table["n"].sum()
    if total == 0:
        return float("nan")
    return float((table["n"] * table["gap"].abs()).sum() / total)
