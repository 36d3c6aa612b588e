"""Candidate miRNA sites on a transcript, and the model windows around them.

Canonical and non-canonical seed matches, the window around each, and the tiles of a transcript without
any (see :mod:`rnaapp.scan` and :mod:`rnaapp.inference.pairs` for the rules).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rnaapp.sites import find_seed_sites

#: Window nucleotides 5' of the anchor (target nucleotide opposite miRNA position 2), anchor excluded, in the
#: 40-nt training windows (median offset of the seed match in ``site_deepmirnatar`` positives).
WINDOW_UPSTREAM = 34
#: Window nucleotides 3' of the anchor, anchor included.
WINDOW_DOWNSTREAM = 6
#: Length of a training window.
WINDOW_LENGTH = WINDOW_UPSTREAM + WINDOW_DOWNSTREAM
#: Step between the tiles of a target without candidate sites: with 40-nt windows, every 20-nt stretch of
#: the target (a seed match with its 3' supplementary region) lies whole inside one tile.
TILE_STEP = 20


CANDIDATE_TYPES = ("8mer", "7mer-m8", "7mer-A1", "6mer", "offset-6mer", "non-canonical")


_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _letter in enumerate("ACGU"):
    _CODES[ord(_letter)] = _code
# _PAIRING[miRNA base, target base]: 2 = Watson-Crick, 1 = G:U wobble, 0 = no pair (N never pairs).
_PAIRING = np.zeros((5, 5), dtype=np.int8)
for _mirna_base, _target_base in ("AU", "UA", "GC", "CG"):
    _PAIRING[_CODES[ord(_mirna_base)], _CODES[ord(_target_base)]] = 2
for _mirna_base, _target_base in ("GU", "UG"):
    _PAIRING[_CODES[ord(_mirna_base)], _CODES[ord(_target_base)]] = 1


@dataclass(frozen=True)
class CandidateSite:
    """A candidate site of a miRNA on a transcript (0-based, end-exclusive coordinates).

    Attributes
    ----------
    anchor
        Transcript position opposite miRNA position 2.
    site_type
        One of :data:`CANDIDATE_TYPES`.
    start, end
        Span of the seed match.
    seed_pairing
        ``"Watson-Crick"``, or which miRNA position is a G:U wobble or mismatch.
    """

    anchor: int
    site_type: str
    start: int
    end: int
    seed_pairing: str


def _codes(sequence: str) -> np.ndarray:
    return _CODES[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]


# Distance from a canonical site's (exclusive) end back to its anchor, and what pairs in it.
_ANCHOR_FROM_END = {"8mer": 2, "7mer-m8": 1, "7mer-A1": 2, "6mer": 1, "offset-6mer": 0}
_CANONICAL_PAIRING = {
    "8mer": "positions 2-8 + A1",
    "7mer-m8": "positions 2-8",
    "7mer-A1": "positions 2-7 + A1",
    "6mer": "positions 2-7",
    "offset-6mer": "positions 3-8",
}


def candidate_sites(mirna: str, target: str, *, noncanonical: bool = True) -> list[CandidateSite]:
    """Candidate sites of ``mirna`` on ``target``, sorted by position.

    Parameters
    ----------
    mirna, target
        Normalised RNA, 5'->3'; the miRNA has at least 8 nt.
    noncanonical
        Also return seed matches with one G:U wobble or mismatch at miRNA positions 3-7.

    Returns
    -------
    list of CandidateSite
        One per anchor; canonical types as :func:`rnaapp.sites.find_seed_sites` assigns them.
    """
    sites = [
        CandidateSite(
            anchor=site.end - _ANCHOR_FROM_END[site.site_type],
            site_type=site.site_type,
            start=site.start,
            end=site.end,
            seed_pairing=_CANONICAL_PAIRING[site.site_type],
        )
        for site in find_seed_sites(mirna, target)
    ]
    if noncanonical and len(target) >= 7:
        taken = {site.anchor for site in sites}
        sites.extend(site for site in _noncanonical_sites(mirna, target) if site.anchor not in taken)
        sites.sort(key=lambda site: site.anchor)
    return sites


def _noncanonical_sites(mirna: str, target: str) -> Iterator[CandidateSite]:
    """Anchors where positions 2-8 pair except one G:U or mismatch at positions 3-7."""
    mirna_codes = _codes(mirna[1:8])  # positions 2..8
    target_codes = _codes(target)
    length = len(target_codes)
    anchors = length - 6  # anchors p = 6 .. length-1
    # pairing[k, i]: how miRNA position 2+k pairs with target position (i + 6) - k.
    pairing = np.stack([_PAIRING[mirna_codes[k], target_codes[6 - k : 6 - k + anchors]] for k in range(7)])
    watson_crick = (pairing == 2).sum(axis=0)
    off_position = np.argmin(pairing == 2, axis=0)  # first non-Watson-Crick k (only used where wc == 6)
    hits = np.flatnonzero((watson_crick == 6) & (off_position >= 1) & (off_position <= 5))
    for index in hits:
        anchor = int(index) + 6
        k = int(off_position[index])
        kind = "G:U" if pairing[k, index] == 1 else "mismatch"
        yield CandidateSite(anchor, "non-canonical", anchor - 6, anchor + 1, f"{kind} at position {k + 2}")


def window_bounds(anchor: int, target_length: int, length: int = WINDOW_LENGTH) -> tuple[int, int]:
    """The window of ``length`` nt around a site, 0-based and end-exclusive: the one window rule.

    The seed match sits where the 40-nt training windows hold it (:data:`WINDOW_UPSTREAM` nt 5' of the
    anchor, :data:`WINDOW_DOWNSTREAM` 3' of it, anchor included); a longer window adds the extra
    nucleotides equally on both sides. A window that would cross an end of the target is shifted inside
    it, so every window has ``min(length, target_length)`` nt, and a target of at most ``length`` nt is
    its own (whole) window.

    Parameters
    ----------
    anchor
        0-based position of the target nucleotide opposite miRNA position 2.
    target_length
        Length of the target (nt).
    length
        Window length (nt): the 40-nt training window (:func:`rnaapp.scan.model_window_length`).
    """
    if target_length <= length:
        return 0, target_length
    start = anchor - WINDOW_UPSTREAM - (length - WINDOW_LENGTH) // 2
    start = min(max(0, start), target_length - length)
    return start, start + length


def tile_starts(target_length: int, length: int) -> list[int]:
    """0-based starts of the ``length``-nt tiles that cover a target every :data:`TILE_STEP` nt.

    The last tile ends at the target's 3' end; a target of at most ``length`` nt is one tile (itself).
    """
    if target_length <= length:
        return [0]
    last = target_length - length
    return [*range(0, last, TILE_STEP), last]


def pair_windows(
    mirna: str, target: str, length: int, *, noncanonical: bool = True
) -> tuple[list[CandidateSite], list[tuple[CandidateSite | None, int]]]:
    """What a scan reads on one pair: its candidate sites, and each window as ``(site, start)``.

    One window around each candidate site (:func:`window_bounds`); a target without any candidate site is
    read in tiles (:func:`tile_starts`), given as ``(None, start)``. Windows are
    ``target[start : start + length]`` (the whole target when it is shorter).
    """
    sites = candidate_sites(mirna, target, noncanonical=noncanonical)
    if sites:
        return sites, [(site, window_bounds(site.anchor, len(target), length)[0]) for site in sites]
    return sites, [(None, start) for start in tile_starts(len(target), length)] if target else []
