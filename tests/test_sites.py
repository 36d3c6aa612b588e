from __future__ import annotations

import random

import numpy as np
import pytest

from rnaapp.sites import (
    SITE_RANK,
    SITE_TYPES,
    SeedSite,
    best_site_type,
    find_seed_sites,
    reverse_complement,
    seed_alignment,
    seed_alignment_score,
    site_type_codes,
    site_type_counts,
)

LET_7A = "UGAGGUAGUAGGUUGUAUAGUU"  # hsa-let-7a-5p: seed (2-7) GAGGUA, position 8 G
MIR_155 = "UUAAUGCUAAUCGUGAUAGGGGU"  # hsa-miR-155-5p: seed (2-7) UAAUGC, position 8 U
FLANK = "GGGG"  # pairs with neither seed in any site-forming way (checked in test_flank_alone_has_no_site)


def test_site_constants_are_ordered():
    assert [SITE_RANK[site_type] for site_type in SITE_TYPES] == [5, 4, 3, 2, 1]
    assert SITE_RANK["none"] == 0


def test_reverse_complement():
    assert reverse_complement("GAGGUAG") == "CUACCUC"
    assert reverse_complement("ACGUN") == "NACGU"


@pytest.mark.parametrize("mirna", [LET_7A, MIR_155])
def test_flank_alone_has_no_site(mirna):
    assert find_seed_sites(mirna, FLANK * 5) == []
    assert best_site_type(mirna, FLANK * 5) == "none"


# Hand-built let-7a sites. rc(positions 2-8) = CUACCUC, rc(2-7) = UACCUC, rc(3-8) = CUACCU.
# The flank starts at 0, so the site core starts at 4.
@pytest.mark.parametrize(
    ("site", "expected_type", "start", "end", "site_bases"),
    [
        ("CUACCUCA", "8mer", 4, 12, "CUACCUCA"),
        ("CUACCUCG", "7mer-m8", 4, 11, "CUACCUC"),
        ("GUACCUCA", "7mer-A1", 5, 12, "UACCUCA"),  # G opposite position 8 (a G) breaks the m8 pair
        ("GUACCUCG", "6mer", 5, 11, "UACCUC"),
        ("CUACCUG", "offset-6mer", 4, 10, "CUACCU"),  # G opposite position 2 breaks the 6mer
    ],
)
def test_let7a_site_types(site, expected_type, start, end, site_bases):
    target = FLANK + site + FLANK
    assert find_seed_sites(LET_7A, target) == [SeedSite(expected_type, start, end)]
    assert best_site_type(LET_7A, target) == expected_type
    assert target[start:end] == site_bases


def test_mir155_8mer_and_7mer_a1():
    # rc(positions 2-8 = UAAUGCU) = AGCAUUA, rc(2-7) = GCAUUA.
    target = "CCC" + "AGCAUUAA" + "CCCCC" + "CGCAUUAA" + "CCC"
    sites = find_seed_sites(MIR_155, target)
    assert sites == [SeedSite("8mer", 3, 11), SeedSite("7mer-A1", 17, 24)]
    assert target[3:11] == "AGCAUUAA"
    assert target[17:24] == "GCAUUAA"
    assert best_site_type(MIR_155, target) == "8mer"


def test_6mer_inside_8mer_is_not_reported_separately():
    target = FLANK + "CUACCUCA" + FLANK
    sites = find_seed_sites(LET_7A, target)
    assert [site.site_type for site in sites] == ["8mer"]


def test_several_sites_sorted_by_start():
    target = FLANK + "GUACCUCG" + FLANK + "CUACCUCA" + FLANK + "CUACCUCG" + FLANK
    sites = find_seed_sites(LET_7A, target)
    assert [site.site_type for site in sites] == ["6mer", "8mer", "7mer-m8"]
    assert [site.start for site in sites] == sorted(site.start for site in sites)
    assert best_site_type(LET_7A, target) == "8mer"


def test_site_at_target_end_without_room_for_a1():
    target = FLANK + "CUACCUC"
    assert find_seed_sites(LET_7A, target) == [SeedSite("7mer-m8", 4, 11)]


def test_n_in_seed_never_matches():
    mirna = "UGANGUAGUAGGUUGUAUAGUU"
    target = FLANK + "CUACNUCA" + FLANK
    assert find_seed_sites(mirna, target) == []
    assert best_site_type(mirna, target) == "none"


def test_short_mirna_is_rejected():
    with pytest.raises(ValueError, match="at least 8"):
        find_seed_sites("UGAGGUA", "CUACCUCA")


def _random_pairs(count: int, seed: int) -> tuple[list[str], list[str]]:
    """Random miRNA/target pairs with (partial) seed matches planted so every site type occurs."""
    rng = random.Random(seed)
    mirnas = ["".join(rng.choice("ACGU") for _ in range(22)) for _ in range(8)]
    chosen, targets = [], []
    for _ in range(count):
        mirna = rng.choice(mirnas)
        target = [rng.choice("ACGU") for _ in range(40)]
        planted = reverse_complement(mirna[: rng.randint(6, 9)])[: rng.randint(5, 9)]
        position = rng.randint(0, len(target) - len(planted))
        target[position : position + len(planted)] = planted
        chosen.append(mirna)
        targets.append("".join(target))
    return chosen, targets


def test_site_type_codes_agree_with_best_site_type():
    mirnas, targets = _random_pairs(2000, seed=0)
    codes = site_type_codes(mirnas, targets)
    assert codes.dtype == np.int8
    assert codes.shape == (len(targets),)
    expected = [
        SITE_RANK[best_site_type(mirna, target)] for mirna, target in zip(mirnas, targets, strict=True)
    ]
    np.testing.assert_array_equal(codes, expected)
    assert set(codes.tolist()) == set(SITE_RANK.values())


def test_best_site_type_agrees_with_find_seed_sites():
    mirnas, targets = _random_pairs(1000, seed=1)
    for mirna, target in zip(mirnas, targets, strict=True):
        sites = find_seed_sites(mirna, target)
        strongest = max((site.site_type for site in sites), key=SITE_RANK.__getitem__, default="none")
        assert strongest == best_site_type(mirna, target)
        for site in sites:
            assert 0 <= site.start < site.end <= len(target)


def test_site_type_codes_rejects_unequal_lengths():
    with pytest.raises(ValueError):
        site_type_codes([LET_7A], [])


def test_site_type_counts_on_hand_built_targets():
    # let-7a: 6mer, 8mer, 7mer-m8 (test_several_sites_sorted_by_start) and an 8mer twice more; miR-155: none.
    target = FLANK + "GUACCUCG" + FLANK + "CUACCUCA" + FLANK + "CUACCUCG" + FLANK + "CUACCUCA" * 2 + FLANK
    counts = site_type_counts(
        [LET_7A, MIR_155, LET_7A, "UGAGGUA", LET_7A], [target, target, "", target, target]
    )
    assert counts.dtype == np.int32 and counts.shape == (5, len(SITE_TYPES))
    np.testing.assert_array_equal(counts[0], [3, 1, 0, 1, 0])  # 8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer
    np.testing.assert_array_equal(counts[1], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(counts[2], [0, 0, 0, 0, 0])  # empty target
    np.testing.assert_array_equal(counts[3], [0, 0, 0, 0, 0])  # miRNA shorter than 8 nt: no typed sites
    np.testing.assert_array_equal(counts[4], counts[0])


def test_site_type_counts_agree_with_find_seed_sites():
    mirnas, targets = _random_pairs(500, seed=2)
    counts = site_type_counts(mirnas, targets)
    for row, mirna, target in zip(counts, mirnas, targets, strict=True):
        found = [site.site_type for site in find_seed_sites(mirna, target)]
        assert row.tolist() == [found.count(site_type) for site_type in SITE_TYPES]
    with pytest.raises(ValueError):
        site_type_counts([LET_7A], [])


def test_seed_alignment_perfect_8mer():
    alignment = seed_alignment(LET_7A, FLANK + "CUACCUCA" + FLANK)
    assert alignment is not None
    assert alignment.score == pytest.approx(1.0)
    assert (alignment.start, alignment.end, alignment.mismatches, alignment.wobbles) == (4, 11, 0, 0)


def test_seed_alignment_one_wobble():
    # Window CUACCUC pairs with miRNA positions 8..2 (G A U G G A G); C->U opposite position 5 (G) is G:U.
    alignment = seed_alignment(LET_7A, FLANK + "CUAUCUCA" + FLANK)
    assert alignment is not None
    assert (alignment.start, alignment.end, alignment.mismatches, alignment.wobbles) == (4, 11, 0, 1)
    assert alignment.score == pytest.approx((6 + 0.5 + 0.5) / 7.5)
    assert find_seed_sites(LET_7A, FLANK + "CUAUCUCA" + FLANK) == []


def test_seed_alignment_one_mismatch_without_a1():
    alignment = seed_alignment(LET_7A, FLANK + "CUAACUCG" + FLANK)
    assert alignment is not None
    assert (alignment.start, alignment.mismatches, alignment.wobbles) == (4, 1, 0)
    assert seed_alignment_score(LET_7A, FLANK + "CUAACUCG" + FLANK) == pytest.approx(6 / 7.5)


def test_seed_alignment_two_defects_is_rejected():
    target = FLANK + "CUAACUGG" + FLANK  # one mismatch and one more non-WC position
    assert seed_alignment(LET_7A, target) is None
    assert seed_alignment_score(LET_7A, target) == 0.0
    assert seed_alignment(LET_7A, "CUAC") is None


def test_seed_alignment_score_in_unit_interval():
    mirnas, targets = _random_pairs(300, seed=2)
    scores = [seed_alignment_score(mirna, target) for mirna, target in zip(mirnas, targets, strict=True)]
    assert all(0.0 <= score <= 1.0 for score in scores)
    for mirna, target, score in zip(mirnas, targets, scores, strict=True):
        if best_site_type(mirna, target) == "8mer":
            assert score == pytest.approx(1.0)
