"""Which candidate sites a sequence change makes, breaks or retypes, and the duplex energy around them.

Shared by saturation mutagenesis (:mod:`rnaapp.mutagenesis.saturation`), mutant design
(:mod:`rnaapp.mutagenesis.design`) and variant effects (:mod:`rnaapp.mutagenesis.variants`).

A site is known by its anchor, the target nucleotide opposite miRNA position 2
(:class:`rnaapp.scan.CandidateSite`); a change at an anchor is a site whose type differs there, one
that appears (made) or one that disappears (lost). Positions are written 1-based, as the seed match's first
nucleotide, in the coordinates of the sequence the site lies on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rnaapp.scan.candidates import CandidateSite, candidate_sites, window_bounds
from rnaapp.sites import SITE_RANK


@dataclass(frozen=True)
class SiteChange:
    """One site that a change makes, loses or retypes.

    Attributes
    ----------
    anchor
        0-based target position opposite miRNA position 2 (reference coordinates).
    before, after
        Site type before and after the change; ``"none"`` where there was (or is) no site.
    start
        1-based first nucleotide of the seed match (of the site after the change, else before), in
        reference coordinates.
    """

    anchor: int
    before: str
    after: str
    start: int

    @property
    def kind(self) -> str:
        """``"made"``, ``"lost"``, ``"stronger"`` or ``"weaker"`` (by :data:`rnaapp.sites.SITE_RANK`)."""
        if self.before == "none":
            return "made"
        if self.after == "none":
            return "lost"
        return "stronger" if _strength(self.after) > _strength(self.before) else "weaker"

    def text(self) -> str:
        """E.g. ``"8mer→6mer at 13"``, ``"7mer-A1 made at 30"``, ``"8mer lost at 12"``."""
        if self.before == "none":
            return f"{self.after} made at {self.start}"
        if self.after == "none":
            return f"{self.before} lost at {self.start}"
        return f"{self.before}→{self.after} at {self.start}"


def _strength(site_type: str) -> float:
    """Canonical types by :data:`SITE_RANK`; a non-canonical seed match between offset-6mer and none."""
    return SITE_RANK.get(site_type, 0.5)


def sites_by_anchor(mirna: str, target: str, *, noncanonical: bool = True) -> dict[int, CandidateSite]:
    """The candidate sites of ``mirna`` on ``target`` (:func:`rnaapp.scan.candidate_sites`) by anchor."""
    if len(mirna) < 8 or len(target) < 6:
        return {}
    return {site.anchor: site for site in candidate_sites(mirna, target, noncanonical=noncanonical)}


def site_changes(
    before: Mapping[int, CandidateSite],
    after: Mapping[int, CandidateSite],
    to_reference: Callable[[int], int | None] | None = None,
) -> list[SiteChange]:
    """The sites that differ between two site maps (:func:`sites_by_anchor`), ordered by anchor.

    Parameters
    ----------
    before, after
        Sites of the reference and of the changed pair.
    to_reference
        Maps an anchor of ``after`` to reference coordinates (None for a position the change inserted);
        identity when None (substitutions keep coordinates).
    """
    shift = to_reference or (lambda position: position)
    moved: dict[int, CandidateSite] = {}
    offsets: dict[int, int] = {}
    for anchor, site in after.items():
        reference_anchor = shift(anchor)
        if reference_anchor is not None:
            moved[reference_anchor] = site
            offsets[reference_anchor] = reference_anchor - anchor
    changes = []
    for anchor in sorted(set(before) | set(moved)):
        old, new = before.get(anchor), moved.get(anchor)
        old_type = old.site_type if old else "none"
        new_type = new.site_type if new else "none"
        if old_type == new_type:
            continue
        start = new.start + offsets[anchor] + 1 if new else old.start + 1  # type: ignore[union-attr]
        changes.append(SiteChange(anchor=anchor, before=old_type, after=new_type, start=start))
    return changes


def describe_changes(changes: list[SiteChange]) -> str:
    """The changes as one cell: ``"8mer→6mer at 13; 7mer-A1 made at 30"`` (``""`` for none)."""
    return "; ".join(change.text() for change in changes)


def canonical_sites(sites: Mapping[int, CandidateSite]) -> dict[int, CandidateSite]:
    """Only the canonical seed sites (8mer … offset-6mer) of a site map."""
    return {anchor: site for anchor, site in sites.items() if site.site_type in SITE_RANK}


def site_window(anchor: int, target_length: int) -> tuple[int, int]:
    """The 40-nt window around a site (:func:`rnaapp.scan.window_bounds`), 0-based, end-exclusive."""
    return window_bounds(anchor, target_length)
