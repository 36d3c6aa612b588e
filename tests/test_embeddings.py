"""Tests for rnaapp.embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.embeddings import EmbeddingConfig, load_embedding_text, save_embedding_text, train_kmer_embedding
from rnaapp.encoding import UNKNOWN_TOKEN, kmer_strings, kmer_vocabulary_size

SEQUENCES = ["ACGUACGUAAGGCCUU", "UUGGCCAAUUGGACGU", "ACGGGUUUAACCGGUA"] * 5


@pytest.mark.parametrize("method", ["word2vec", "fasttext"])
def test_embedding_shape_padding_and_determinism(method):
    config = EmbeddingConfig(k=3, dimension=8, method=method, epochs=2)
    first = train_kmer_embedding(SEQUENCES, config, seed=1)
    second = train_kmer_embedding(SEQUENCES, config, seed=1)
    assert first.shape == (kmer_vocabulary_size(3), 8)
    assert first.dtype == np.float32
    assert not first[0].any()  # padding row
    np.testing.assert_allclose(
        first[UNKNOWN_TOKEN], first[UNKNOWN_TOKEN + 1 :].mean(axis=0), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(first, second)


def test_embedding_rejects_bad_input():
    with pytest.raises(ValueError, match="no sequence"):
        train_kmer_embedding(["AC"], EmbeddingConfig(k=3, dimension=4))
    with pytest.raises(ValueError, match="unknown embedding method"):
        train_kmer_embedding(SEQUENCES, EmbeddingConfig(k=3, dimension=4, method="glove"))


def test_text_round_trip(tmp_path):
    matrix = train_kmer_embedding(SEQUENCES, EmbeddingConfig(k=2, dimension=4, epochs=1))
    path = tmp_path / "vectors.txt"
    save_embedding_text(matrix, 2, path)
    loaded = load_embedding_text(path, 2)
    np.testing.assert_allclose(loaded[UNKNOWN_TOKEN + 1 :], matrix[UNKNOWN_TOKEN + 1 :], rtol=1e-5)
    assert path.read_text().splitlines()[1].split()[0] == kmer_strings(2)[2]
