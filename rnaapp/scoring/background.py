"""Per-miRNA score percentiles against a background of synthetic 3'UTRs the package ships the recipe for.

As TargetScan's "context++ score percentile", a pair's percentile says where its score falls among the
same miRNA's scores on other 3'UTRs: 100 = above all of them. It corrects for miRNAs whose scores run
high (or low) on any sequence, which a fixed score cut-off cannot.

The background is :data:`BACKGROUND_UTRS` synthetic 3'UTRs drawn once (seed 0) from an order-3 Markov
chain with the 4-mer composition of the reference 3'UTR panel, at that panel's length quantiles
(:mod:`rnaapp.scoring.background_data`, written by ``bench/background.py``): local composition like real
3'UTRs (AU richness, dinucleotide biases), but no conserved sites, so it stands for "a 3'UTR with no
selected target site for this miRNA".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from rnaapp.scoring.background_data import KMER_COUNTS, LENGTH_QUANTILES, ORDER

#: Synthetic 3'UTRs in the background.
BACKGROUND_UTRS = 100
_ALPHABET = "ACGU"


def _state(kmer: str) -> int:
    """Row of the transition table for a context of :data:`ORDER` nucleotides."""
    state = 0
    for letter in kmer:
        state = state * 4 + _ALPHABET.index(letter)
    return state


@lru_cache(maxsize=4)
def background_targets(count: int = BACKGROUND_UTRS, seed: int = 0) -> tuple[tuple[str, str], ...]:
    """The synthetic background 3'UTRs, ``(id, sequence)``, the same on every call and machine."""
    rng = np.random.default_rng(seed)
    quantile_points = np.linspace(0.0, 1.0, len(LENGTH_QUANTILES))
    wanted = (np.arange(count) + 0.5) / count
    lengths = np.maximum(np.interp(wanted, quantile_points, LENGTH_QUANTILES).round().astype(int), 50)
    transition = np.ones((4**ORDER, 4))  # add-one smoothing
    for kmer, number in KMER_COUNTS.items():
        transition[_state(kmer[:ORDER]), _ALPHABET.index(kmer[ORDER])] += number
    cumulative = np.cumsum(transition / transition.sum(axis=1, keepdims=True), axis=1)
    targets = []
    for number, length in enumerate(lengths):
        codes = [int(code) for code in rng.integers(0, 4, size=ORDER)]
        state = _state("".join(_ALPHABET[code] for code in codes))
        for draw in rng.random(int(length) - ORDER):
            code = min(int(np.searchsorted(cumulative[state], draw, side="right")), 3)
            codes.append(code)
            state = (state * 4 + code) % (4**ORDER)
        targets.append((f"background-{number + 1:03d}", "".join(_ALPHABET[code] for code in codes)))
    return tuple(targets)


_CACHE: dict[tuple[str, str, str], np.ndarray] = {}


def _model_key(model: Any) -> tuple[str, str]:
    card = model.card
    return card.name, f"{card.created}|{card.source}"


def background_scores(
    model: Any, mirnas: Sequence[tuple[str, str]], options: Any = None
) -> dict[str, np.ndarray]:
    """Each miRNA's sorted scores on the background 3'UTRs (cached per model and miRNA sequence).

    Parameters
    ----------
    model
        A loaded site model.
    mirnas
        ``(id, sequence)`` of each miRNA.
    options
        :class:`rnaapp.inference.InferenceOptions` for the background scan.

    Returns
    -------
    dict
        miRNA sequence -> scores, shape ``(BACKGROUND_UTRS,)``, ascending.
    """
    from rnaapp.scan.engine import scan_batches  # the scan engine uses this module

    name, version = _model_key(model)
    missing = list(
        dict.fromkeys(sequence for _, sequence in mirnas if (name, version, sequence) not in _CACHE)
    )
    if missing:
        targets = list(background_targets())
        found = list(
            scan_batches(
                model,
                [(sequence, sequence) for sequence in missing],
                targets,
                options,
                sites_per_pair=1,
                energies=False,
                percentiles=False,
            )
        )
        for result in found:
            for sequence, group in result.pairs.groupby("mirna_id"):
                key = (name, version, str(sequence))
                previous = _CACHE.get(key, np.zeros(0))
                _CACHE[key] = np.sort(np.concatenate([previous, group["score"].to_numpy(dtype=np.float64)]))
    return {sequence: _CACHE[(name, version, sequence)] for _, sequence in mirnas}


def percentiles(scores: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Percentile (0-100) of each score among ``background`` (sorted ascending); ties count half.

    Parameters
    ----------
    scores
        Shape ``(n,)``.
    background
        Shape ``(m,)``, ascending.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``: ``100 * (#background below + #equal / 2) / m``; NaN when ``m`` is 0.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if background.size == 0:
        return np.full(scores.shape, np.nan)
    below = np.searchsorted(background, scores, side="left")
    not_above = np.searchsorted(background, scores, side="right")
    return 100.0 * (below + not_above) / (2.0 * background.size)
