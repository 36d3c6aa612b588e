"""Plant-style complementary sites (psRNATarget-like expectation) and which models read whole targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnaapp.complementarity import SEED_POSITIONS, PlantSite, position_weights, window_costs
from rnaapp.registry import TrainedModel

PLANT_SITE_TYPE = "plant"
#: psRNATarget's default expectation cutoff: plant sites up to it are counted in ``n_sites``.
PLANT_EXPECTATION_CUTOFF = 5.0
#: psRNATarget's strict expectation cutoff: plant sites up to it are counted in ``n_canonical``.
PLANT_STRICT_EXPECTATION = 3.0
#: Target nucleotides on each side of a plant site in its ``window`` (the region of its duplex energy).
PLANT_SITE_FLANK = 10
#: Most (miRNA, transcript) pairs a plant model scores per :func:`predict` call, and most target
#: nucleotides: bounds the memory of featurising whole lncRNAs.
PLANT_BUFFER_PAIRS = 1024
PLANT_BUFFER_NUCLEOTIDES = 4_000_000


def scores_whole_targets(model: TrainedModel) -> bool:
    """Whether ``model`` scores a miRNA against a whole transcript instead of windows around seed sites.

    True for plant miRNA-lncRNA models (``family.task == "plant"``): they read targets of any length and
    look for near-complete complementarity anywhere, not for seed matches.
    """
    return model.family.task == "plant"


@dataclass(frozen=True)
class PlantSites:
    """The complementary sites of a miRNA on a transcript, as :func:`plant_sites` finds them.

    Attributes
    ----------
    sites
        Non-overlapping sites of lowest expectation, best first (ties: the 5'-most first); the first is
        :func:`rnaapp.complementarity.best_site`. Empty when the transcript is shorter than the miRNA.
    n_sites
        Windows (overlapping ones included) of expectation <= :data:`PLANT_EXPECTATION_CUTOFF`.
    n_strict
        Windows of expectation <= :data:`PLANT_STRICT_EXPECTATION`.
    """

    sites: tuple[PlantSite, ...]
    n_sites: int
    n_strict: int


def plant_sites(mirna: str, target: str, count: int = 3) -> PlantSites:
    """The ``count`` best non-overlapping plant-style complementary sites of ``mirna`` on ``target``.

    Every ungapped antiparallel alignment of the whole miRNA with the target is costed as
    :mod:`rnaapp.complementarity` does (psRNATarget's expectation); the window of lowest expectation is
    taken, then the lowest one not overlapping it, and so on.

    Parameters
    ----------
    mirna, target
        Normalised RNA, 5'->3'.
    count
        Sites wanted (fewer when the target has no room for them).

    Returns
    -------
    PlantSites
        Sites in 0-based, end-exclusive target coordinates, and counts of good windows.
    """
    costs = window_costs(mirna, target)
    if not len(costs) or count < 1:
        return PlantSites(sites=(), n_sites=0, n_strict=0)
    length = costs.shape[1]
    expectations = costs @ position_weights(length)
    n_sites = int((expectations <= PLANT_EXPECTATION_CUTOFF).sum())
    n_strict = int((expectations <= PLANT_STRICT_EXPECTATION).sum())
    # Each chosen site rules out fewer than 2 * length windows, so the lowest count * (2 * length - 1)
    # windows (with every window tied with the last of them) always hold the greedy choice.
    wanted = count * (2 * length - 1)
    if wanted < len(expectations):
        threshold = np.partition(expectations, wanted - 1)[wanted - 1]
        candidates = np.flatnonzero(expectations <= threshold)
    else:
        candidates = np.arange(len(expectations))
    order = candidates[np.lexsort((candidates, expectations[candidates]))]
    chosen: list[int] = []
    for window in order:
        if all(abs(int(window) - other) >= length for other in chosen):
            chosen.append(int(window))
            if len(chosen) == count:
                break
    low, high = SEED_POSITIONS
    sites = tuple(
        PlantSite(
            start=window,
            end=window + length,
            expectation=float(expectations[window]),
            seed_cost=float(costs[window, low - 1 : high].sum()),
            mismatches=int((costs[window] == 1.0).sum()),
            wobbles=int((costs[window] == 0.5).sum()),
            costs=costs[window],
        )
        for window in chosen
    )
    return PlantSites(sites=sites, n_sites=n_sites, n_strict=n_strict)


def plant_pairing(site: PlantSite) -> str:
    """How the whole miRNA pairs with a plant site, in words (the ``seed_pairing`` of plant sites)."""
    paired = len(site.costs) - site.mismatches - site.wobbles
    low, high = SEED_POSITIONS
    return (
        f"{paired} Watson-Crick, {site.wobbles} G:U, {site.mismatches} mismatched; "
        f"positions {low}-{high} cost {site.seed_cost:g}"
    )


def plant_window(site: PlantSite, target_length: int) -> tuple[int, int]:
    """0-based, end-exclusive region of a plant site and :data:`PLANT_SITE_FLANK` nt on each side."""
    return max(0, site.start - PLANT_SITE_FLANK), min(target_length, site.end + PLANT_SITE_FLANK)
