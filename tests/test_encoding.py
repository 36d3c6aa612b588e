"""Tests for rnaapp.encoding."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.encoding import (
    PAD_CODE,
    PAD_TOKEN,
    UNKNOWN_TOKEN,
    kmer_strings,
    kmer_tokens,
    kmer_vocabulary_size,
    nucleotide_codes,
    sequence_kmers,
    token_span_to_nucleotides,
)


def test_nucleotide_codes_pad_cut_and_dna_letters():
    codes = nucleotide_codes(["ACGU", "acgtN", "AAAAAAA"], 5)
    assert codes.tolist() == [[0, 1, 2, 3, PAD_CODE], [0, 1, 2, 3, 4], [0, 0, 0, 0, 0]]
    assert nucleotide_codes(["ACG"], 4, reverse=True).tolist() == [[2, 1, 0, PAD_CODE]]


def test_kmer_tokens_match_vocabulary_order():
    vocabulary = kmer_strings(3)
    assert len(vocabulary) == kmer_vocabulary_size(3) == 66
    sequence = "ACGUUGCA"
    tokens = kmer_tokens([sequence], 3, 10)[0]
    assert [vocabulary[token] for token in tokens[:6]] == sequence_kmers(sequence, 3)
    assert tokens[6:].tolist() == [PAD_TOKEN, PAD_TOKEN]


def test_kmer_tokens_unknown_and_short():
    tokens = kmer_tokens(["ACNGU", "AC"], 2, 5)
    assert tokens[0].tolist()[1:3] == [UNKNOWN_TOKEN, UNKNOWN_TOKEN]
    assert tokens[1].tolist() == [kmer_strings(2).index("AC"), PAD_TOKEN, PAD_TOKEN, PAD_TOKEN]
    with pytest.raises(ValueError):
        kmer_tokens(["ACGU"], 6, 5)


def test_token_span_to_nucleotides_averages_covering_tokens():
    weights = np.array([[1.0, 2.0, 3.0]])  # 3 tokens of k=2 over 4 nt
    spread = token_span_to_nucleotides(weights, 4, 2)
    assert spread.shape == (1, 4)
    np.testing.assert_allclose(spread[0], [1.0, 1.5, 2.5, 3.0])
