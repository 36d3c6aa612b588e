"""Plant-style (psRNATarget-like) complementary sites and pairing features."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.complementarity import FEATURE_NAMES, best_site, position_weights, site_features, window_costs
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
