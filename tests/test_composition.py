"""k-mer / g-gap composition features and MixLMI complex features, checked against hand counts."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.composition import (
    GROUP_SIZES,
    complex_feature_size,
    complex_features,
    fuse,
    gap_frequencies,
    kmer_frequencies,
    molecule_features,
)

ACGU = {base: code for code, base in enumerate("ACGU")}


def kmer_index(kmer: str) -> int:
    """Offset of a k-mer inside the concatenated 1-, 2-, 3-mer sequence group."""
    offset = sum(4**k for k in range(1, len(kmer)))
    rank = 0
    for base in kmer:
        rank = rank * 4 + ACGU[base]
    return offset + rank


def test_group_sizes_and_complex_length():
    assert sum(size**2 for size in GROUP_SIZES.values()) == 11_860 == complex_feature_size()
    groups = molecule_features("ACGUACGUAA", "((....))..")
    assert {name: len(values) for name, values in groups.items()} == GROUP_SIZES


def test_hand_counted_sequence_groups():
    groups = molecule_features("AACG", "(..)")
    kmers = groups["sequence_kmer"]
    expected = {
        "A": 2 / 4,
        "C": 1 / 4,
        "G": 1 / 4,
        "AA": 1 / 3,
        "AC": 1 / 3,
        "CG": 1 / 3,
        "AAC": 1 / 2,
        "ACG": 1 / 2,
    }
    for kmer, value in expected.items():
        assert kmers[kmer_index(kmer)] == pytest.approx(value)
    assert kmers.sum() == pytest.approx(1 + 1 + 1)  # each k's frequencies sum to 1 without N
    gaps = groups["sequence_gap"]
    # gap 1: A.C (positions 1,3) and A.G (2,4) over 2 windows; gap 2: A..G over 1 window; gap 3: no window.
    assert gaps[ACGU["A"] * 4 + ACGU["C"]] == pytest.approx(0.5)
    assert gaps[ACGU["A"] * 4 + ACGU["G"]] == pytest.approx(0.5)
    assert gaps[16 + ACGU["A"] * 4 + ACGU["G"]] == pytest.approx(1.0)
    assert gaps[:16].sum() == pytest.approx(1) and gaps[16:32].sum() == pytest.approx(1)
    assert not gaps[32:].any()


def test_hand_counted_structure_groups():
    groups = molecule_features("AACG", "(..)")
    paired = groups["structure_kmer"]  # unpaired = 0, paired = 1
    np.testing.assert_allclose(paired[:2], [2 / 4, 2 / 4])
    np.testing.assert_allclose(paired[2:6], [1 / 3, 1 / 3, 1 / 3, 0])  # 00 01 10 11 <- 10, 00, 01
    np.testing.assert_allclose(paired[6:14], [0, 1 / 2, 0, 0, 1 / 2, 0, 0, 0])  # 001 and 100
    # sequence-structure letters: 2 * pyrimidine + paired -> A( = 1, A. = 0, C. = 2, G) = 1
    gaps = groups["structure_gap"]
    # gap 1: (A(, C.) and (A., G)) over 2 windows; gap 2: (A(, G)) over 1 window
    assert gaps[1 * 4 + 2] == pytest.approx(0.5) and gaps[0 * 4 + 1] == pytest.approx(0.5)
    assert gaps[16 + 1 * 4 + 1] == pytest.approx(1.0)  # gap 2
    assert gaps.sum() == pytest.approx(2.0)


def test_unknown_letters_are_not_counted():
    assert kmer_frequencies(np.array([0, -1, 0]), 4, 2).sum() == 0
    assert kmer_frequencies(np.array([0, -1, 0]), 4, 1)[0] == pytest.approx(2 / 3)
    assert gap_frequencies(np.array([0, 1]), 4, 3).sum() == 0  # shorter than the gap: zeros


def test_complex_features_fuse_every_pair_of_features():
    mirna, target = "AACGUAGCUAGCUAGGCUAA", "GGCAUCGAUCGAUCGAUGCAUGCUAGUCAGU"
    mirna_structure, target_structure = "((((....))))........", "..((((....))))..((((...))))...."
    arithmetic = complex_features([mirna], [target], [mirna_structure], [target_structure])
    geometric = complex_features([mirna], [target], [mirna_structure], [target_structure], fusion="geometric")
    assert arithmetic.shape == geometric.shape == (1, 11_860)
    m = molecule_features(mirna, mirna_structure)
    t = molecule_features(target, target_structure)
    i, j = 5, 17  # sequence k-mer block comes first, row-major over (miRNA feature, target feature)
    assert arithmetic[0, i * 84 + j] == pytest.approx((m["sequence_kmer"][i] + t["sequence_kmer"][j]) / 2)
    assert geometric[0, i * 84 + j] == pytest.approx(np.sqrt(m["sequence_kmer"][i] * t["sequence_kmer"][j]))
    last = 84**2 + 48**2 + 14**2 + 47 * 48 + 47  # the last structure g-gap fusion
    assert arithmetic[0, last] == pytest.approx((m["structure_gap"][47] + t["structure_gap"][47]) / 2)
    np.testing.assert_allclose(fuse(np.array([1.0, 4.0]), np.array([9.0]), "geometric"), [3.0, 6.0])


def test_group_subsets_and_errors():
    only_kmers = complex_features(["ACGUAC"], ["ACGUACGU"], groups=["sequence_kmer"])
    assert only_kmers.shape == (1, 84**2)
    with pytest.raises(ValueError, match="structures"):
        complex_features(["ACGU"], ["ACGU"], groups=["structure_kmer"])
    with pytest.raises(ValueError, match="unknown feature group"):
        complex_features(["ACGU"], ["ACGU"], groups=["codons"])
    with pytest.raises(ValueError, match="fusion"):
        fuse(np.ones(2), np.ones(2), "harmonic")
