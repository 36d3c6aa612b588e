"""What the transcript score knows about each site: the model's log-odds and the site's context.

Every candidate site of a (miRNA, transcript) pair becomes one row of :data:`SITE_FEATURES`, the inputs of
:class:`rnaapp.scoring.TranscriptModel`. Context features follow TargetScan's context+/context++ models
(Grimson et al. 2007; Agarwal et al. 2015): local AU content around the site, distance from the 3'UTR ends
(sites within 15 nt of the stop codon are not effective), cooperative spacing of neighbouring seed sites
(8-40 nt apart; Saetrom et al. 2007, Grimson et al. 2007), and the duplex free energy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Site types with an indicator feature; ``none`` (a tile of a transcript without candidate sites) is the
#: reference level.
TYPE_FEATURES = ("8mer", "7mer-m8", "7mer-A1", "6mer", "offset-6mer", "non-canonical")

#: Columns of :func:`site_features`, in order.
SITE_FEATURES = (
    "log_odds",
    *TYPE_FEATURES,
    "local_au",
    "near_start",
    "end_distance",
    "cooperative",
    "energy",
)

#: Canonical seed-site types (the ones that count as neighbours for cooperative spacing).
CANONICAL_TYPES = frozenset({"8mer", "7mer-m8", "7mer-A1", "6mer", "offset-6mer"})

#: Nucleotides on each side of a site whose A/U content is ``local_au``.
AU_FLANK = 30
#: Sites starting closer than this to the 3'UTR's 5' end (the stop codon) are ``near_start``.
NEAR_START = 15
#: Seed-to-seed distances (nt, start to start) at which two canonical sites act cooperatively.
COOPERATIVE_SPACING = (8, 40)
#: Free energy (kcal/mol) a missing duplex energy stands for: a typical seed-site duplex.
DEFAULT_ENERGY = -20.0


@dataclass(frozen=True)
class SiteContext:
    """Where one site sits on its transcript (0-based, end-exclusive; the seed match, or the tile).

    Attributes
    ----------
    site_type
        One of :data:`TYPE_FEATURES`, or ``none`` for a tile of a transcript without candidate sites.
    start, end
        The seed match (or the tile) on the transcript.
    """

    site_type: str
    start: int
    end: int


def local_au(target: str, start: int, end: int, flank: int = AU_FLANK) -> float:
    """A/U fraction of the ``flank`` nt on each side of ``target[start:end]`` (0.5 when there are none)."""
    around = target[max(0, start - flank) : start] + target[end : end + flank]
    if not around:
        return 0.5
    return (around.count("A") + around.count("U")) / len(around)


def _cooperative(sites: Sequence[SiteContext]) -> np.ndarray:
    low, high = COOPERATIVE_SPACING
    canonical = np.array([site.site_type in CANONICAL_TYPES for site in sites], dtype=bool)
    starts = np.array([site.start for site in sites], dtype=np.int64)
    flags = np.zeros(len(sites), dtype=np.float64)
    if canonical.sum() < 2:
        return flags
    canonical_starts = np.sort(starts[canonical])
    for index in np.flatnonzero(canonical):
        distances = np.abs(canonical_starts - starts[index])
        flags[index] = float(np.any((distances >= low) & (distances <= high)))
    return flags


def site_features(
    target: str,
    sites: Sequence[SiteContext],
    log_odds: np.ndarray,
    energies: np.ndarray | None = None,
) -> np.ndarray:
    """The feature rows of a pair's sites (columns :data:`SITE_FEATURES`).

    Parameters
    ----------
    target
        The transcript, 5'->3' (uppercase RNA).
    sites
        Its candidate sites for one miRNA (or the tiles that the model read instead).
    log_odds
        Shape ``(n_sites,)``: the site model's log-odds for each site's window.
    energies
        Shape ``(n_sites,)``: duplex free energies (kcal/mol); NaN or None where not computed, which
        counts as :data:`DEFAULT_ENERGY`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_sites, len(SITE_FEATURES))`` float64. ``local_au`` is centred (A/U fraction - 0.5),
        ``end_distance`` is ``log10(1 + nt to the nearer 3'UTR end) / 3`` and ``energy`` is in units of
        10 kcal/mol, centred at :data:`DEFAULT_ENERGY`.
    """
    n_sites = len(sites)
    log_odds = np.asarray(log_odds, dtype=np.float64)
    if log_odds.shape != (n_sites,):
        raise ValueError(f"{log_odds.shape[0] if log_odds.ndim else 0} log-odds for {n_sites} sites")
    features = np.zeros((n_sites, len(SITE_FEATURES)), dtype=np.float64)
    if n_sites == 0:
        return features
    column = {name: index for index, name in enumerate(SITE_FEATURES)}
    features[:, column["log_odds"]] = log_odds
    length = len(target)
    for row, site in enumerate(sites):
        if site.site_type in column:
            features[row, column[site.site_type]] = 1.0
        features[row, column["local_au"]] = local_au(target, site.start, site.end) - 0.5
        if site.site_type != "none":
            features[row, column["near_start"]] = float(site.start < NEAR_START)
            distance = min(site.start, max(0, length - site.end))
            features[row, column["end_distance"]] = np.log10(1.0 + distance) / 3.0
    features[:, column["cooperative"]] = _cooperative(sites)
    if energies is not None:
        energies = np.asarray(energies, dtype=np.float64)
        energies = np.where(np.isfinite(energies), energies, DEFAULT_ENERGY)
    else:
        energies = np.full(n_sites, DEFAULT_ENERGY)
    features[:, column["energy"]] = (energies - DEFAULT_ENERGY) / 10.0
    return features


def length_feature(target_length: int) -> float:
    """The transcript-length input of the transcript score: ``log10(length / 1000 nt)``."""
    return float(np.log10(max(int(target_length), 1) / 1000.0))
