"""Tests for rnaapp.examples: the sites in each example are where and what the notes say."""

from __future__ import annotations

import re

import pytest

from rnaapp.complementarity import best_site, position_weights, window_costs
from rnaapp.examples import (
    CONSTRUCTED_LNCRNA,
    EXAMPLE_MIRNAS,
    EXAMPLES,
    PLANT_EXAMPLE_MIRNAS,
    SYNTHETIC_UTR,
    Example,
    example_by_name,
)
from rnaapp.io import read_mirbase, sequence_problem
from rnaapp.sites import SITE_TYPES, best_site_type, find_seed_sites, reverse_complement, seed_alignment

NON_CANONICAL = "1-mismatch seed"
IDS = [example.name for example in EXAMPLES]
SITE_EXAMPLES = [example for example in EXAMPLES if example.task == "site"]
PLANT_EXAMPLES = [example for example in EXAMPLES if example.task == "plant"]


def canonical_sites(example: Example) -> list[tuple[str, int, int]]:
    return [
        (site.site_type, site.start, site.end)
        for site in find_seed_sites(example.mirna_seq, example.target_seq)
    ]


def test_the_examples_cover_every_site_type():
    short_types = [example.sites[0][0] for example in EXAMPLES if len(example.target_seq) == 40]
    assert short_types == ["8mer", "7mer-m8", "7mer-A1", "6mer", NON_CANONICAL]
    assert {site_type for example in SITE_EXAMPLES for site_type, _, _ in example.sites} == {
        *SITE_TYPES,
        NON_CANONICAL,
    }
    assert {example.task for example in EXAMPLES} == {"site", "plant"}
    assert len({example.name for example in EXAMPLES}) == len(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_sequences_are_valid_rna(example):
    assert re.fullmatch("[ACGU]+", example.mirna_seq) and re.fullmatch("[ACGU]+", example.target_seq)
    assert sequence_problem(example.mirna_seq, molecule="miRNA") is None
    assert sequence_problem(example.target_seq, molecule="target") is None
    assert {**EXAMPLE_MIRNAS, **PLANT_EXAMPLE_MIRNAS}[example.mirna_name] == example.mirna_seq
    assert example.note and example.target_name and "(demo)" in example.target_name


@pytest.mark.parametrize("example", SITE_EXAMPLES, ids=[example.name for example in SITE_EXAMPLES])
def test_canonical_sites_are_exactly_the_planted_ones(example):
    planted = [site for site in example.sites if site[0] != NON_CANONICAL]
    assert canonical_sites(example) == planted
    strongest = (
        min((SITE_TYPES.index(site_type), site_type) for site_type, _, _ in planted)[1] if planted else "none"
    )
    assert best_site_type(example.mirna_seq, example.target_seq) == strongest


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_notes_give_the_planted_positions(example):
    """The notes count 1-based and inclusive; ``sites`` holds 0-based, end-exclusive spans."""
    for _, start, end in example.sites:
        assert f"{start + 1}-{end}" in example.note.replace(",", "")


def test_the_non_canonical_site_has_one_seed_mismatch():
    example = next(example for example in EXAMPLES if example.sites[0][0] == NON_CANONICAL)
    _, start, end = example.sites[0]
    alignment = seed_alignment(example.mirna_seq, example.target_seq)
    assert (alignment.start, alignment.end, alignment.mismatches, alignment.wobbles) == (start, end, 1, 0)
    assert example.target_seq[end] == "A"  # opposite miRNA position 1
    assert best_site_type(example.mirna_seq, example.target_seq) == "none"


def test_the_long_example_is_a_synthetic_utr_with_its_planted_sites():
    example = SITE_EXAMPLES[-1]
    assert example.target_name == "synthetic 3'UTR (demo)"
    assert example.target_seq == SYNTHETIC_UTR and len(SYNTHETIC_UTR) == 2000
    assert canonical_sites(example) == [
        ("8mer", 240, 248),
        ("7mer-m8", 611, 618),
        ("7mer-A1", 1033, 1040),
        ("6mer", 1388, 1394),
        ("offset-6mer", 1701, 1707),
    ]
    # The non-canonical site: the best seed alignment around it is the planted window, with one mismatch.
    _, start, end = example.sites[-1]
    window = example.target_seq[start - 20 : end + 20]
    alignment = seed_alignment(example.mirna_seq, window)
    assert (alignment.start + start - 20, alignment.mismatches, alignment.wobbles) == (start, 1, 0)
    assert "AU-rich" in example.note and "not a real gene" in example.note


def test_the_perfect_complement_example():
    example = EXAMPLES[0]
    assert reverse_complement(example.mirna_seq) == example.target_seq[16:38]


def test_the_plant_example_has_one_near_complementary_site():
    (example,) = PLANT_EXAMPLES
    assert example.mirna_name.startswith("ath-") and example.target_seq == CONSTRUCTED_LNCRNA
    assert len(CONSTRUCTED_LNCRNA) == 800 and "not a real transcript" in example.note
    ((site_type, start, end),) = example.sites
    site = best_site(example.mirna_seq, example.target_seq)
    assert (site_type, site.start, site.end) == ("plant", start, end) == ("plant", 400, 420)
    assert (site.expectation, site.mismatches, site.wobbles) == (1.5, 1, 1)
    assert "expectation 1.5" in example.note
    costs = window_costs(example.mirna_seq, example.target_seq)
    expectations = costs @ position_weights(len(example.mirna_seq))
    assert (expectations <= 5).sum() == 1  # no other window comes close


def test_example_by_name():
    assert example_by_name(EXAMPLES[2].name) is EXAMPLES[2]
    with pytest.raises(KeyError, match="no example called 'nothing'"):
        example_by_name("nothing")


def test_examples_are_frozen():
    with pytest.raises(AttributeError):
        EXAMPLES[0].target_seq = "ACGU"


def test_example_miRNAs_are_miRBase_22_1(benchmarks):
    reference = read_mirbase(benchmarks / "reference" / "mature_mirbase22.1.fa")
    assert len(EXAMPLE_MIRNAS) == 10
    for name, sequence in {**EXAMPLE_MIRNAS, **PLANT_EXAMPLE_MIRNAS}.items():
        assert reference[name] == sequence, name
    for example in EXAMPLES:
        assert reference[example.mirna_name] == example.mirna_seq, example.name
