"""Plant-style (psRNATarget-like) complementary sites and pairing features."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.complementarity import (
    DUPLEX_FEATURE_NAMES,
    FEATURE_NAMES,
    FEATURE_SETS,
    best_site,
    duplex_shape,
    position_weights,
    site_features,
    window_costs,
)
from rnaapp.structure import hybridize
from tests.conftest import reverse_complement

MIRNA = "UGACAGAAGAGAGUGAGCACA"  # ath-miR156a-5p
FLANK_5, FLANK_3 = "AAAAACCCCCAAAAACCCCC", "CCCCCAAAAACCCCCAAAAA"


def with_site(site: str) -> str:
    return FLANK_5 + site + FLANK_3


def test_perfect_complement_is_found_with_zero_cost():
    site = best_site(MIRNA, with_site(reverse_complement(MIRNA)))
    assert (site.start, site.end) == (len(FLANK_5), len(FLANK_5) + len(MIRNA))
    assert site.expectation == 0 and site.mismatches == 0 and site.wobbles == 0


@pytest.mark.parametrize(
    ("position", "replacement", "expectation", "mismatches", "wobbles"),
    [
        (5, "mismatch", 1.5, 1, 0),  # seed region (2-13) counts 1.5 times
        (15, "mismatch", 1.0, 1, 0),
        (15, "wobble", 0.5, 0, 1),
    ],
)
def test_costs_of_mismatches_and_wobbles(position, replacement, expectation, mismatches, wobbles):
    complement = list(reverse_complement(MIRNA))
    index = len(MIRNA) - position  # target index opposite miRNA position `position`
    mirna_base = MIRNA[position - 1]
    if replacement == "wobble":
        complement[index] = {"G": "U", "U": "G"}[mirna_base]
    else:
        complement[index] = mirna_base  # a base never pairs with itself
    site = best_site(MIRNA, with_site("".join(complement)))
    assert site.start == len(FLANK_5)
    assert site.expectation == pytest.approx(expectation)
    assert (site.mismatches, site.wobbles) == (mismatches, wobbles)
    assert site.costs[position - 1] > 0


def test_window_costs_shape_and_short_targets():
    assert window_costs(MIRNA, "ACGU").shape == (0, len(MIRNA))
    assert best_site(MIRNA, "ACGU") is None
    assert window_costs(MIRNA, with_site("")).shape == (len(FLANK_5 + FLANK_3) - len(MIRNA) + 1, len(MIRNA))
    weights = position_weights(21)
    assert weights[0] == 1 and weights[1] == weights[12] == 1.5 and weights[13] == 1


def test_site_features_rank_a_real_site_above_none():
    features = site_features([MIRNA, MIRNA], [with_site(reverse_complement(MIRNA)), with_site("")])
    assert features.shape == (2, len(FEATURE_NAMES)) and features.dtype == np.float32
    named = {name: features[:, index] for index, name in enumerate(FEATURE_NAMES)}
    assert named["best_expectation"][0] == 0 < named["best_expectation"][1]
    assert named["duplex_energy"][0] < -20 < named["duplex_energy"][1]
    assert named["duplex_energy_ratio"][0] == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="miRNAs but"):
        site_features([MIRNA], [])


def shape_of(target: str) -> dict[str, float]:
    return dict(zip(DUPLEX_FEATURE_NAMES, duplex_shape(hybridize(MIRNA, target)), strict=True))


def test_duplex_shape_of_a_perfect_site():
    shape = shape_of(with_site(reverse_complement(MIRNA)))
    assert shape == {
        "duplex_seed_paired": 1.0,
        "duplex_seed_pairs": 7.0,
        "duplex_pairs_2_13": 12.0,
        "duplex_pairs_3prime": 8.0,  # positions 14-21
        "duplex_pairs_10_11": 1.0,
        "duplex_first_paired": 1.0,
        "duplex_unpaired_3prime": 0.0,
        "duplex_mirna_bulges": 0.0,
        "duplex_target_bulges": 0.0,
        "duplex_target_span": 21.0,
        "mirna_length": 21.0,
    }


def test_duplex_shape_of_a_site_with_seed_mismatches():
    site = list(reverse_complement(MIRNA))
    for position in (3, 4):  # a base never pairs with itself: the duplex frays up to position 4
        site[len(MIRNA) - position] = MIRNA[position - 1]
    shape = shape_of(with_site("".join(site)))
    assert shape["duplex_seed_paired"] == 0.0 and shape["duplex_seed_pairs"] == 4.0
    assert shape["duplex_first_paired"] == 5.0 and shape["duplex_target_span"] == 17.0
    assert shape["duplex_pairs_3prime"] == 8.0 and shape["duplex_mirna_bulges"] == 0.0


def test_duplex_shape_without_pairs_and_with_one_pair():
    lonely = hybridize(MIRNA, "GGGG")  # a single pair (miRNA position 4 with the last G)
    assert lonely.pairs == ((4, 1),)
    assert duplex_shape(lonely) == (0.0, 1.0, 1.0, 0.0, 0.0, 4.0, 17.0, 0.0, 0.0, 1.0, 21.0)


def test_sites_plus_duplex_extends_the_sites_set():
    targets = [with_site(reverse_complement(MIRNA)), with_site("")]
    sites = site_features([MIRNA, MIRNA], targets)
    both = site_features([MIRNA, MIRNA], targets, feature_set="sites+duplex")
    assert (
        both.shape
        == (2, len(FEATURE_SETS["sites+duplex"]))
        == (2, len(FEATURE_NAMES) + len(DUPLEX_FEATURE_NAMES))
    )
    np.testing.assert_array_equal(both[:, : len(FEATURE_NAMES)], sites)
    seed_paired = both[:, len(FEATURE_NAMES) + DUPLEX_FEATURE_NAMES.index("duplex_seed_paired")]
    assert seed_paired[0] == 1.0
    with pytest.raises(ValueError, match="feature_set must be one of"):
        site_features([MIRNA], targets[:1], feature_set="everything")
