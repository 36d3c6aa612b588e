"""Canonical miRNA seed sites on a target, typed as TargetScan does, and a mismatch-tolerant seed alignment.

All sequences are normalised uppercase RNA (``ACGU``, possibly ``N``), miRNA and target both written 5'->3'.
miRNA positions are 1-based from the miRNA 5' end; target coordinates are 0-based, end-exclusive.

The target pairs antiparallel with the miRNA, so a site is a stretch of the target equal to the reverse
complement of part of the miRNA. Writing ``p`` for the target position opposite miRNA position 2, the
site types are (Bartel 2009; Agarwal et al. 2015, TargetScan 7)::

    target 5' ...[m8][m7][m6][m5][m4][m3][m2][A1]... 3'
                  p-6                     p   p+1

    8mer         pairs to miRNA positions 2-8 and an A opposite position 1   target[p-6 : p+2]
    7mer-m8      pairs to positions 2-8, no A1                               target[p-6 : p+1]
    7mer-A1      pairs to positions 2-7 and an A1, position 8 unpaired       target[p-5 : p+2]
    6mer         pairs to positions 2-7 only                                 target[p-5 : p+1]
    offset-6mer  pairs to positions 3-8, position 2 unpaired                 target[p-6 : p]

Only Watson-Crick pairs count for canonical sites; a seed k-mer that contains ``N`` never matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SITE_TYPES = ("8mer", "7mer-m8", "7mer-A1", "6mer", "offset-6mer")  # strongest first
SITE_RANK = {"8mer": 5, "7mer-m8": 4, "7mer-A1": 3, "6mer": 2, "offset-6mer": 1, "none": 0}

_COMPLEMENT = str.maketrans("ACGUN", "UGCAN")
_LONG_SITE_TYPES = frozenset({"8mer", "7mer-m8", "7mer-A1"})

#: Maximum raw :func:`seed_alignment` score: seven Watson-Crick pairs plus the A1 bonus.
SEED_ALIGNMENT_MAX_SCORE = 7.5
_WATSON_CRICK = frozenset({("A", "U"), ("U", "A"), ("G", "C"), ("C", "G")})
_WOBBLE = frozenset({("G", "U"), ("U", "G")})


@dataclass(frozen=True)
class SeedSite:
    """One canonical seed site on a target.

    Attributes
    ----------
    site_type
        One of :data:`SITE_TYPES`.
    start
        0-based start of the whole site on the target (the A1 position included when present).
    end
        Exclusive end on the target.
    """

    site_type: str
    start: int
    end: int


@dataclass(frozen=True)
class SeedAlignment:
    """Best ungapped alignment of miRNA positions 2-8 to a target window (see :func:`seed_alignment`).

    Attributes
    ----------
    score
        Normalised score in ``[0, 1]``.
    start, end
        0-based, end-exclusive span of the 7-nt target window paired with miRNA positions 8..2; the A1
        position, when rewarded, is ``end``.
    mismatches
        Number of non-pairing positions in the window (0 or 1).
    wobbles
        Number of G:U pairs in the window (0 or 1).
    """

    score: float
    start: int
    end: int
    mismatches: int
    wobbles: int


def reverse_complement(sequence: str) -> str:
    """Reverse complement of an RNA string (``N`` stays ``N``)."""
    return sequence.translate(_COMPLEMENT)[::-1]


@dataclass(frozen=True)
class _SiteKmers:
    """Target k-mers that make up each site type of one miRNA (``None`` where the seed holds ``N``)."""

    m2_8: str | None  # reverse complement of miRNA positions 2-8 (7 nt)
    m2_7: str | None  # reverse complement of positions 2-7 (6 nt)
    m3_8: str | None  # reverse complement of positions 3-8 (6 nt)

    def ordered(self) -> tuple[tuple[str, str | None], ...]:
        """(site type, k-mer) strongest first; a target holds a site of a type iff it holds the k-mer."""
        return (
            ("8mer", None if self.m2_8 is None else self.m2_8 + "A"),
            ("7mer-m8", self.m2_8),
            ("7mer-A1", None if self.m2_7 is None else self.m2_7 + "A"),
            ("6mer", self.m2_7),
            ("offset-6mer", self.m3_8),
        )


def _only_acgu(kmer: str) -> str | None:
    return kmer if set(kmer) <= set("ACGU") else None


def _site_kmers(mirna: str) -> _SiteKmers:
    if len(mirna) < 8:
        raise ValueError(f"miRNA must be at least 8 nt long to type seed sites, got {len(mirna)} nt")
    return _SiteKmers(
        m2_8=_only_acgu(reverse_complement(mirna[1:8])),
        m2_7=_only_acgu(reverse_complement(mirna[1:7])),
        m3_8=_only_acgu(reverse_complement(mirna[2:8])),
    )


def _occurrences(target: str, kmer: str | None) -> list[int]:
    """All (overlapping) start positions of ``kmer`` in ``target``."""
    if kmer is None:
        return []
    positions = []
    position = target.find(kmer)
    while position != -1:
        positions.append(position)
        position = target.find(kmer, position + 1)
    return positions


def find_seed_sites(mirna: str, target: str) -> list[SeedSite]:
    """Find the canonical seed sites of a miRNA on a target.

    Each registration of the seed on the target (each target position ``p`` opposite miRNA position 2)
    yields at most one site, of the strongest type that fits there. A 6mer or offset-6mer that overlaps an
    8mer or 7mer site is dropped, so a 6mer inside a longer site is never reported on its own.

    Parameters
    ----------
    mirna
        Mature miRNA, 5'->3', at least 8 nt.
    target
        Target RNA, 5'->3'.

    Returns
    -------
    list of SeedSite
        Sorted by ``start``.
    """
    kmers = _site_kmers(mirna)
    sites: list[SeedSite] = []
    seed_anchors = set()
    # Registrations where miRNA positions 2-7 pair: 8mer, 7mer-m8, 7mer-A1 or 6mer.
    for six_start in _occurrences(target, kmers.m2_7):
        anchor = six_start + 5  # target position opposite miRNA position 2
        seed_anchors.add(anchor)
        has_m8 = (
            kmers.m2_8 is not None and six_start >= 1 and target[six_start - 1 : anchor + 1] == kmers.m2_8
        )
        has_a1 = target[anchor + 1 : anchor + 2] == "A"
        if has_m8 and has_a1:
            sites.append(SeedSite("8mer", anchor - 6, anchor + 2))
        elif has_m8:
            sites.append(SeedSite("7mer-m8", anchor - 6, anchor + 1))
        elif has_a1:
            sites.append(SeedSite("7mer-A1", anchor - 5, anchor + 2))
        else:
            sites.append(SeedSite("6mer", anchor - 5, anchor + 1))
    # Registrations where only positions 3-8 pair.
    for offset_start in _occurrences(target, kmers.m3_8):
        anchor = offset_start + 6
        if anchor not in seed_anchors:
            sites.append(SeedSite("offset-6mer", offset_start, offset_start + 6))

    long_sites = [site for site in sites if site.site_type in _LONG_SITE_TYPES]
    kept = [
        site
        for site in sites
        if site.site_type in _LONG_SITE_TYPES
        or not any(site.start < other.end and other.start < site.end for other in long_sites)
    ]
    return sorted(kept, key=lambda site: (site.start, -SITE_RANK[site.site_type]))


def best_site_type(mirna: str, target: str) -> str:
    """Strongest canonical site type of ``mirna`` on ``target``, or ``"none"``."""
    for site_type, kmer in _site_kmers(mirna).ordered():
        if kmer is not None and kmer in target:
            return site_type
    return "none"


def _check_paired(mirnas: Sequence[str], targets: Sequence[str]) -> None:
    if len(mirnas) != len(targets):
        raise ValueError(f"got {len(mirnas)} miRNAs but {len(targets)} targets")


def site_type_codes(mirnas: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Strongest site type of each (miRNA, target) pair, as :data:`SITE_RANK` codes.

    Builds the site k-mers once per distinct miRNA and tests them with substring search, strongest first
    (a target holds a site of some type iff it holds that type's k-mer, given it holds no stronger one).

    Parameters
    ----------
    mirnas, targets
        Equal-length sequences of miRNA and target strings; pair ``i`` is ``(mirnas[i], targets[i])``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_pairs,)``, dtype ``int8``; 5 = 8mer ... 1 = offset-6mer, 0 = none.
    """
    _check_paired(mirnas, targets)
    ranked_kmers: dict[str, list[tuple[int, str]]] = {}
    codes = np.zeros(len(mirnas), dtype=np.int8)
    for index, (mirna, target) in enumerate(zip(mirnas, targets, strict=True)):
        kmers = ranked_kmers.get(mirna)
        if kmers is None:
            kmers = [
                (SITE_RANK[site_type], kmer)
                for site_type, kmer in _site_kmers(mirna).ordered()
                if kmer is not None
            ]
            ranked_kmers[mirna] = kmers
        for rank, kmer in kmers:
            if kmer in target:
                codes[index] = rank
                break
    return codes


def site_type_counts(mirnas: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Number of canonical sites of each type of each (miRNA, target) pair, as :func:`find_seed_sites` finds them.

    Each distinct pair is searched once; an empty target (or a miRNA shorter than 8 nt) has no sites.

    Parameters
    ----------
    mirnas, targets
        Equal-length sequences of miRNA and target strings; pair ``i`` is ``(mirnas[i], targets[i])``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_pairs, 5)``, dtype ``int32``; columns in :data:`SITE_TYPES` order (8mer, 7mer-m8, 7mer-A1,
        6mer, offset-6mer).
    """
    _check_paired(mirnas, targets)
    column = {site_type: index for index, site_type in enumerate(SITE_TYPES)}
    counted: dict[tuple[str, str], np.ndarray] = {}
    counts = np.zeros((len(mirnas), len(SITE_TYPES)), dtype=np.int32)
    for index, pair in enumerate(zip(mirnas, targets, strict=True)):
        row = counted.get(pair)
        if row is None:
            row = np.zeros(len(SITE_TYPES), dtype=np.int32)
            mirna, target = pair
            if target and len(mirna) >= 8:
                for site in find_seed_sites(mirna, target):
                    row[column[site.site_type]] += 1
            counted[pair] = row
        counts[index] = row
    return counts


def _pair_classes(mirna_seed_reversed: str, window: str) -> tuple[int, int, int]:
    """Count (Watson-Crick, wobble, mismatch) positions of a seed against an antiparallel target window."""
    watson_crick = wobbles = mismatches = 0
    for mirna_base, target_base in zip(mirna_seed_reversed, window, strict=True):
        if (mirna_base, target_base) in _WATSON_CRICK:
            watson_crick += 1
        elif (mirna_base, target_base) in _WOBBLE:
            wobbles += 1
        else:
            mismatches += 1
    return watson_crick, wobbles, mismatches


def seed_alignment(mirna: str, target: str) -> SeedAlignment | None:
    """Best ungapped alignment of miRNA positions 2-8 to the target, tolerating one non-Watson-Crick pair.

    Every 7-nt target window is paired antiparallel with miRNA positions 8..2 (window 5'->3' against
    positions 8, 7, ..., 2). Windows with more than one position that is not a Watson-Crick pair are
    rejected, so an accepted window has either no defect, one G:U wobble, or one mismatch. The raw score is
    1.0 per Watson-Crick pair, 0.5 for the wobble, 0 for the mismatch, plus a 0.5 bonus when the target
    base just 3' of the window (opposite miRNA position 1) is ``A`` (A1). It is divided by
    :data:`SEED_ALIGNMENT_MAX_SCORE` (7.5, a perfect 8mer) into ``[0, 1]``: a 7mer-m8 scores 7/7.5, a
    7mer-m8 with one wobble plus A1 scores 7/7.5, one mismatch without A1 6/7.5. The best-scoring window
    wins; ties go to the window nearest the target 5' end.

    Parameters
    ----------
    mirna
        Mature miRNA, 5'->3', at least 8 nt.
    target
        Target RNA, 5'->3'.

    Returns
    -------
    SeedAlignment or None
        ``None`` when the target is shorter than 7 nt or no window has at most one non-Watson-Crick
        position.
    """
    if len(mirna) < 8:
        raise ValueError(f"miRNA must be at least 8 nt long, got {len(mirna)} nt")
    seed_reversed = mirna[1:8][::-1]  # miRNA positions 8, 7, ..., 2: antiparallel to the target window
    best: SeedAlignment | None = None
    for start in range(len(target) - 6):
        watson_crick, wobbles, mismatches = _pair_classes(seed_reversed, target[start : start + 7])
        if wobbles + mismatches > 1:
            continue
        has_a1 = target[start + 7 : start + 8] == "A"
        raw_score = watson_crick + 0.5 * wobbles + (0.5 if has_a1 else 0.0)
        score = raw_score / SEED_ALIGNMENT_MAX_SCORE
        if best is None or score > best.score:
            best = SeedAlignment(
                score=score, start=start, end=start + 7, mismatches=mismatches, wobbles=wobbles
            )
    return best


def seed_alignment_score(mirna: str, target: str) -> float:
    """Normalised score of :func:`seed_alignment`, ``0.0`` when there is no acceptable window."""
    alignment = seed_alignment(mirna, target)
    return 0.0 if alignment is None else alignment.score
