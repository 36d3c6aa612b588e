"""What the transcript score knows about each site: the model's log-odds and the site's context.

Every candidate site of a (miRNA, transcript) pair becomes one row of :data:`SITE_FEATURES`, the inputs of
:class:`rnaapp.scoring.TranscriptModel`. Context features follow TargetScan's context+/context++ models
(Grimson et al. 2007; Agarwal et al. 2015): local AU content around the site, distance from the 3'UTR ends
(sites within 15 nt of the stop codon are not effective), cooperative spacing of neighbouring seed sites
(8-40 nt apart; Saetrom et al. 2007, Grimson et al. 2007), the duplex free energy, and the site's
accessibility (RNAplfold-style probability that the 14 nt opposite miRNA positions 1-14 are unpaired; the
SA feature of context++). Two further features describe the miRNA, not the site, as context++'s SPS and
TA do: the seed-pairing stability (ViennaRNA duplex energy of miRNA nt 2-8 with its match) and the target
site abundance (expected 7mer-m8 matches per kb of 3'UTR under the order-3 Markov chain of the reference
panel's composition, :mod:`rnaapp.scoring.background_data`). They are the same for every site of a miRNA,
so they move a miRNA's scores as a whole and never its ranking of 3'UTRs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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
    "accessibility",
    "seed_stability",
    "site_abundance",
)

#: Features that need the transcript's accessibility profile (one RNAplfold-style fold per transcript).
ACCESSIBILITY_FEATURES = frozenset({"accessibility"})

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
#: Nucleotides opposite miRNA positions 1-14 whose unpaired probability is a site's ``accessibility``.
ACCESSIBLE_STRETCH = 14
#: Unpaired probability a missing accessibility stands for (about the median of 3'UTR sites).
DEFAULT_UNPAIRED = 0.01
#: Seed-pairing energy (kcal/mol, miRNA nt 2-8 with its match) at which ``seed_stability`` is 0.
TYPICAL_SEED_ENERGY = -9.0


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


def seed_match(mirna: str) -> str:
    """The 7-nt target match of miRNA positions 2-8 (the 7mer-m8 site without its A1), 5'->3'."""
    complement = {"A": "U", "C": "G", "G": "C", "U": "A"}
    return "".join(complement.get(base, "N") for base in reversed(mirna[1:8]))


@lru_cache(maxsize=65536)
def seed_stability(mirna: str) -> float:
    """``seed_stability``: ViennaRNA duplex energy of miRNA nt 2-8 with its match, centred, per 4 kcal/mol.

    Lower (more negative) energies mean a more stable seed duplex, so the feature is
    ``(TYPICAL_SEED_ENERGY - energy) / 4``: positive for a stabler seed than typical.
    """
    from rnaapp.structure import RNA  # ViennaRNA, loaded once

    seed = mirna[1:8]
    match = seed_match(mirna)
    if len(seed) < 7 or "N" in seed or "N" in match:
        return 0.0
    energy = float(RNA.duplexfold(seed, match).energy)
    return (TYPICAL_SEED_ENERGY - energy) / 4.0


@lru_cache(maxsize=65536)
def site_abundance(mirna: str) -> float:
    """``site_abundance``: log10 of the expected 7mer-m8 matches per kb of 3'UTR, centred at 1 in 16,384.

    The expectation comes from the order-3 Markov chain of the reference panel's 4-mer composition (the
    composition the background 3'UTRs are drawn from): ``P(x1..x7) = P(x1..x4) * prod P(x_i | x_(i-3)..)``.
    0 = as frequent as a random 7-mer; CpG-containing seed matches are rare in 3'UTRs (negative values).
    """
    from rnaapp.scoring.background_data import KMER_COUNTS

    match = seed_match(mirna)
    if len(match) < 7 or "N" in match:
        return 0.0
    total = sum(KMER_COUNTS.values())
    contexts: dict[str, int] = {}
    for kmer, number in KMER_COUNTS.items():
        contexts[kmer[:3]] = contexts.get(kmer[:3], 0) + number
    probability = (KMER_COUNTS.get(match[:4], 0) + 1) / (total + 256)
    for end in range(5, 8):
        kmer = match[end - 4 : end]
        probability *= (KMER_COUNTS.get(kmer, 0) + 1) / (contexts.get(kmer[:3], 0) + 4)
    return float(np.log10(probability * 4**7))


def site_accessibility(unpaired: np.ndarray | None, site: SiteContext) -> float:
    """``accessibility`` of a site: ``log10`` of the unpaired probability of the 14 nt ending at its end, + 2.

    ``unpaired`` is :func:`rnaapp.structure.accessibility` of the whole transcript with
    ``unpaired_length`` :data:`ACCESSIBLE_STRETCH`; None counts as :data:`DEFAULT_UNPAIRED`.
    """
    if unpaired is None or len(unpaired) == 0:
        probability = DEFAULT_UNPAIRED
    else:
        start = min(max(0, site.end - ACCESSIBLE_STRETCH), len(unpaired) - 1)
        probability = float(unpaired[start])
    return float(np.log10(max(probability, 1e-6))) + 2.0


def site_features(
    target: str,
    sites: Sequence[SiteContext],
    log_odds: np.ndarray,
    energies: np.ndarray | None = None,
    *,
    unpaired: np.ndarray | None = None,
    mirna: str | None = None,
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
    unpaired
        Shape ``(len(target),)``: :func:`rnaapp.structure.accessibility` of the target
        (``unpaired_length=ACCESSIBLE_STRETCH``); None: every site counts as :data:`DEFAULT_UNPAIRED`.
    mirna
        The miRNA (RNA, 5'->3') for ``seed_stability`` and ``site_abundance``; None leaves them 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_sites, len(SITE_FEATURES))`` float64. ``local_au`` is centred (A/U fraction - 0.5),
        ``end_distance`` is ``log10(1 + nt to the nearer 3'UTR end) / 3`` and ``energy`` is in units of
        10 kcal/mol, centred at :data:`DEFAULT_ENERGY`; ``accessibility`` is
        :func:`site_accessibility` (0 for tiles); ``seed_stability`` and ``site_abundance`` are the
        miRNA's (:func:`seed_stability`, :func:`site_abundance`), the same on every row.
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
            features[row, column["accessibility"]] = site_accessibility(unpaired, site)
    features[:, column["cooperative"]] = _cooperative(sites)
    if energies is not None:
        energies = np.asarray(energies, dtype=np.float64)
        energies = np.where(np.isfinite(energies), energies, DEFAULT_ENERGY)
    else:
        energies = np.full(n_sites, DEFAULT_ENERGY)
    features[:, column["energy"]] = (energies - DEFAULT_ENERGY) / 10.0
    if mirna is not None:
        features[:, column["seed_stability"]] = seed_stability(mirna)
        features[:, column["site_abundance"]] = site_abundance(mirna)
    return features


def length_feature(target_length: int) -> float:
    """The transcript-length input of the transcript score: ``log10(length / 1000 nt)``."""
    return float(np.log10(max(int(target_length), 1) / 1000.0))
