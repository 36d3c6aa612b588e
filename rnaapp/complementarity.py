"""Plant-style miRNA target sites: near-perfect complementarity anywhere on a long target.

Plant miRNAs pair with their targets (mRNAs and lncRNAs) over almost their whole length, so a target site is
scored as psRNATarget does (Dai et al. 2018): the miRNA is aligned antiparallel and without gaps to every
window of the target, each position costs 0 for a Watson-Crick pair, 0.5 for a G:U wobble and 1 for a
mismatch, and positions 2-13 (the seed region of plant miRNAs) count 1.5 times; the *expectation* of a site
is the weighted sum, and a pair's best site is the window with the lowest expectation.

:func:`site_features` turns a pair into a short vector of such numbers plus ViennaRNA duplex energies, for
models that combine learned sequence features with explicit pairing evidence. The ``"sites+duplex"`` feature
set adds the shape of that ViennaRNA duplex (:data:`DUPLEX_FEATURE_NAMES`: is the seed paired, where the
pairing starts and ends on the miRNA, bulges on either strand): in the plant benchmarks the duplex energy
alone leaves strong but seed-less duplexes among the negatives, and its shape tells them apart.

Sequences are normalised uppercase RNA (``ACGU``, possibly ``N``, which never pairs), both 5'->3'.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnaapp.structure import Hybrid, hybridize

_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _base in enumerate("ACGU"):
    _CODES[ord(_base)] = _code

# Cost of miRNA base (row) opposite target base (column): 0 Watson-Crick, 0.5 G:U, 1 otherwise (N included).
_PAIR_COST = np.ones((5, 5), dtype=np.float32)
for _mirna_base, _target_base, _cost in (
    ("A", "U", 0.0),
    ("U", "A", 0.0),
    ("G", "C", 0.0),
    ("C", "G", 0.0),
    ("G", "U", 0.5),
    ("U", "G", 0.5),
):
    _PAIR_COST["ACGU".index(_mirna_base), "ACGU".index(_target_base)] = _cost

#: Weight of a cost at miRNA positions 2-13 (psRNATarget's seed region).
SEED_WEIGHT = 1.5
SEED_POSITIONS = (2, 13)

#: Names of the columns of :func:`site_features`, in order.
FEATURE_NAMES = (
    "best_expectation",
    "best_seed_cost",
    "best_mismatches",
    "best_wobbles",
    "longest_paired_run",
    "sites_expectation_le_3",
    "sites_expectation_le_5",
    "site_energy",
    "duplex_energy",
    "duplex_energy_ratio",
    "duplex_paired_fraction",
    "log_target_length",
)

#: Shape of the ViennaRNA duplex behind ``duplex_energy`` (miRNA positions 1-based, 5'->3').
DUPLEX_FEATURE_NAMES = (
    "duplex_seed_paired",  # 1 when miRNA positions 2-8 are all paired
    "duplex_seed_pairs",  # paired positions among 2-8
    "duplex_pairs_2_13",
    "duplex_pairs_3prime",  # paired positions from 14 on
    "duplex_pairs_10_11",  # 1 when both positions flanking the plant cleavage site are paired
    "duplex_first_paired",  # 5'-most paired miRNA position (length + 1 without pairs)
    "duplex_unpaired_3prime",  # unpaired miRNA positions after the 3'-most pair
    "duplex_mirna_bulges",  # unpaired miRNA positions between the outermost pairs
    "duplex_target_bulges",  # unpaired target positions between the outermost pairs
    "duplex_target_span",  # target nucleotides from the first to the last paired one
    "mirna_length",
)

#: Feature sets of :func:`site_features` by name: their column names, in order.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "sites": FEATURE_NAMES,
    "sites+duplex": FEATURE_NAMES + DUPLEX_FEATURE_NAMES,
}


def _codes(sequence: str) -> np.ndarray:
    return _CODES[np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)]


def position_weights(mirna_length: int) -> np.ndarray:
    """Weight of each miRNA position (5'->3'): :data:`SEED_WEIGHT` at positions 2-13, else 1. Shape ``(L,)``."""
    weights = np.ones(mirna_length, dtype=np.float32)
    low, high = SEED_POSITIONS
    weights[low - 1 : high] = SEED_WEIGHT
    return weights


@dataclass(frozen=True)
class PlantSite:
    """The best ungapped complementary site of a miRNA on a target.

    Attributes
    ----------
    start, end
        0-based, end-exclusive target coordinates of the site (``end - start`` = miRNA length).
    expectation
        psRNATarget-style weighted cost (0 = perfect complement).
    seed_cost
        Unweighted cost at miRNA positions 2-13.
    mismatches, wobbles
        Mismatched and G:U positions.
    costs
        Cost per miRNA position (5'->3'), shape ``(miRNA length,)``.
    """

    start: int
    end: int
    expectation: float
    seed_cost: float
    mismatches: int
    wobbles: int
    costs: np.ndarray


def window_costs(mirna: str, target: str) -> np.ndarray:
    """Cost of each miRNA position against each target window.

    Returns
    -------
    numpy.ndarray
        Shape ``(windows, miRNA length)``, float32: row ``w`` is the site ``target[w : w + len(mirna)]``,
        column ``i`` the cost at miRNA position ``i + 1`` (which pairs with target position
        ``w + len(mirna) - 1 - i``). No rows when the target is shorter than the miRNA.
    """
    mirna_codes, target_codes = _codes(mirna), _codes(target)
    if len(target_codes) < len(mirna_codes) or not len(mirna_codes):
        return np.zeros((0, len(mirna_codes)), dtype=np.float32)
    windows = sliding_window_view(target_codes, len(mirna_codes))[:, ::-1]
    return _PAIR_COST[mirna_codes[None, :], windows]


def best_site(mirna: str, target: str) -> PlantSite | None:
    """The window of lowest expectation (the 5'-most on ties), or None for a target shorter than the miRNA."""
    costs = window_costs(mirna, target)
    if not len(costs):
        return None
    expectations = costs @ position_weights(len(mirna))
    best = int(np.argmin(expectations))
    row = costs[best]
    low, high = SEED_POSITIONS
    return PlantSite(
        start=best,
        end=best + len(mirna),
        expectation=float(expectations[best]),
        seed_cost=float(row[low - 1 : high].sum()),
        mismatches=int((row == 1.0).sum()),
        wobbles=int((row == 0.5).sum()),
        costs=row,
    )


def _longest_run(paired: np.ndarray) -> int:
    best = run = 0
    for value in paired:
        run = run + 1 if value else 0
        best = max(best, run)
    return best


_perfect_energy_cache: dict[str, float] = {}


def perfect_duplex_energy(mirna: str) -> float:
    """Duplex energy (kcal/mol) of the miRNA with its exact reverse complement (the most stable site)."""
    if mirna not in _perfect_energy_cache:
        complement = mirna[::-1].translate(str.maketrans("ACGUN", "UGCAN"))
        _perfect_energy_cache[mirna] = hybridize(mirna, complement).energy
    return _perfect_energy_cache[mirna]


def pair_site_features(
    mirna: str, target: str, *, temperature: float = 37.0, feature_set: str = "sites"
) -> np.ndarray:
    """The ``FEATURE_SETS[feature_set]`` values of one pair, shape ``(len(FEATURE_SETS[feature_set]),)`` float32.

    Energies in kcal/mol (negative = stable); ``duplex_energy`` is ``RNA.duplexfold`` of the miRNA on the whole
    target (gaps and bulges allowed), ``site_energy`` the same on the best ungapped site +-3 nt, the ratio
    divides by :func:`perfect_duplex_energy`; the :data:`DUPLEX_FEATURE_NAMES` describe that same duplex.
    Results are remembered for the process (the duplex energy of a 4-kb lncRNA takes tens of milliseconds and
    training featurises the same pairs repeatedly).
    """
    values = _pair_site_features(mirna, target, temperature)
    return np.asarray(values[: len(feature_names(feature_set))], dtype=np.float32)


def feature_names(feature_set: str, *, setting: str = "feature_set") -> tuple[str, ...]:
    """The column names of a :data:`FEATURE_SETS` set; ValueError naming ``setting`` for an unknown set."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"{setting} must be one of {', '.join(FEATURE_SETS)}, got {feature_set!r}")
    return FEATURE_SETS[feature_set]


def duplex_shape(hybrid: Hybrid) -> tuple[float, ...]:
    """The :data:`DUPLEX_FEATURE_NAMES` values of a duplex (see :func:`rnaapp.structure.hybridize`)."""
    length = len(hybrid.mirna)
    if not hybrid.pairs:
        return (0.0, 0.0, 0.0, 0.0, 0.0, float(length + 1), float(length), 0.0, 0.0, 0.0, float(length))
    mirna_positions = np.array([pair[0] for pair in hybrid.pairs])
    target_positions = np.array([pair[1] for pair in hybrid.pairs])
    paired = np.zeros(length + 1, dtype=bool)  # index = 1-based miRNA position
    paired[mirna_positions] = True
    first, last = int(mirna_positions.min()), int(mirna_positions.max())
    target_span = int(target_positions.max() - target_positions.min() + 1)
    pairs = len(hybrid.pairs)
    return (
        float(paired[2:9].all()) if length >= 8 else 0.0,
        float(paired[2:9].sum()),
        float(paired[2:14].sum()),
        float(paired[14:].sum()),
        float(paired[10:12].all()) if length >= 11 else 0.0,
        float(first),
        float(length - last),
        float(last - first + 1 - pairs),
        float(target_span - pairs),
        float(target_span),
        float(length),
    )


@functools.lru_cache(maxsize=1 << 18)
def _pair_site_features(mirna: str, target: str, temperature: float) -> tuple[float, ...]:
    site = best_site(mirna, target)
    duplex = hybridize(mirna, target, temperature=temperature)
    perfect = perfect_duplex_energy(mirna)
    if site is None:
        site_values = [float(len(mirna)) * SEED_WEIGHT, 12.0, len(mirna), 0, 0, 0, 0, 0.0]
    else:
        costs = window_costs(mirna, target)
        expectations = costs @ position_weights(len(mirna))
        piece = target[max(0, site.start - 3) : site.end + 3]
        site_values = [
            site.expectation,
            site.seed_cost,
            site.mismatches,
            site.wobbles,
            _longest_run(site.costs == 0.0),
            np.log1p(int((expectations <= 3.0).sum())),
            np.log1p(int((expectations <= 5.0).sum())),
            hybridize(mirna, piece, temperature=temperature).energy,
        ]
    paired = len(duplex.pairs) / max(1, len(mirna))
    ratio = duplex.energy / perfect if perfect < 0 else 0.0
    values = (*site_values, duplex.energy, ratio, paired, np.log(max(1, len(target))), *duplex_shape(duplex))
    return tuple(float(value) for value in values)


def site_features(
    mirnas: Sequence[str],
    targets: Sequence[str],
    *,
    temperature: float = 37.0,
    feature_set: str = "sites",
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """:func:`pair_site_features` of many pairs.

    Parameters
    ----------
    feature_set
        A key of :data:`FEATURE_SETS`: ``"sites"`` (best complementary site and duplex energies) or
        ``"sites+duplex"`` (also the shape of the duplex).

    Returns
    -------
    numpy.ndarray
        Shape ``(pairs, len(FEATURE_SETS[feature_set]))``, float32.
    """
    if len(mirnas) != len(targets):
        raise ValueError(f"{len(mirnas)} miRNAs but {len(targets)} targets")
    total = len(mirnas)
    rows = np.zeros((total, len(feature_names(feature_set))), dtype=np.float32)
    for index, (mirna, target) in enumerate(zip(mirnas, targets, strict=True)):
        rows[index] = pair_site_features(mirna, target, temperature=temperature, feature_set=feature_set)
        if progress is not None:  # every pair: a long lncRNA takes tens of ms (callers throttle the display)
            progress(index + 1, total)
    return rows
