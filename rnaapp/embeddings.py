"""k-mer embeddings trained by rnaapp itself with gensim (Word2Vec or FastText).

Pretrained embeddings from elsewhere (DNABERT and the like) are never downloaded: every vector a model
uses is trained here on its own training sequences and saved inside the model's weights file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnaapp.encoding import UNKNOWN_TOKEN, kmer_strings, kmer_vocabulary_size, sequence_kmers


@dataclass(frozen=True)
class EmbeddingConfig:
    """How to train a k-mer embedding.

    Attributes
    ----------
    k
        k-mer length (the 'word' size).
    dimension
        Vector size.
    method
        ``"word2vec"`` or ``"fasttext"``.
    window
        Context window in k-mers.
    epochs
        Passes over the sentences.
    skip_gram
        Skip-gram (True) or CBOW (False).
    """

    k: int = 4
    dimension: int = 64
    method: str = "word2vec"
    window: int = 5
    epochs: int = 5
    skip_gram: bool = True


def train_kmer_embedding(
    sequences: Iterable[str], config: EmbeddingConfig, *, seed: int = 0, workers: int = 1
) -> np.ndarray:
    """Train k-mer vectors on sequences and return them in token-id order.

    Parameters
    ----------
    sequences
        RNA sequences; each becomes one sentence of overlapping k-mers.
    config
        Embedding settings.
    seed
        Random seed (with ``workers=1`` the result is reproducible).
    workers
        gensim worker threads.

    Returns
    -------
    numpy.ndarray
        Shape ``(kmer_vocabulary_size(k), dimension)``, float32. Row 0 (padding) is zero, row 1 (k-mers with
        N) is the mean vector, and k-mers never seen in training get small random vectors (FastText builds
        them from character n-grams instead).
    """
    from gensim.models import FastText, Word2Vec

    sentences = [sequence_kmers(sequence, config.k) for sequence in sequences]
    sentences = [sentence for sentence in sentences if sentence]
    if not sentences:
        raise ValueError("cannot train a k-mer embedding: no sequence is at least k nucleotides long")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    common = dict(
        sentences=sentences,
        vector_size=config.dimension,
        window=config.window,
        min_count=1,
        sg=int(config.skip_gram),
        epochs=config.epochs,
        seed=seed,
        workers=workers,
    )
    if config.method == "word2vec":
        model = Word2Vec(**common)
    elif config.method == "fasttext":
        model = FastText(**common, min_n=1, max_n=config.k)
    else:
        raise ValueError(f"unknown embedding method {config.method!r}; use 'word2vec' or 'fasttext'")
    vectors = model.wv
    rng = np.random.default_rng(seed)
    matrix = np.zeros((kmer_vocabulary_size(config.k), config.dimension), dtype=np.float32)
    scale = float(np.std(vectors.vectors)) if len(vectors) else 0.1
    for token_id, kmer in enumerate(kmer_strings(config.k)):
        if token_id <= UNKNOWN_TOKEN:
            continue
        if kmer in vectors.key_to_index or config.method == "fasttext":
            matrix[token_id] = vectors[kmer]
        else:
            matrix[token_id] = rng.normal(0.0, scale, config.dimension)
    matrix[UNKNOWN_TOKEN] = matrix[UNKNOWN_TOKEN + 1 :].mean(axis=0)
    return matrix


def save_embedding_text(matrix: np.ndarray, k: int, path: str | Path) -> None:
    """Write vectors in the word2vec text format (one k-mer per line), for use in other tools.

    Parameters
    ----------
    matrix
        Shape ``(kmer_vocabulary_size(k), dimension)`` in token-id order.
    k
        k-mer length.
    path
        Output file.
    """
    kmers = kmer_strings(k)[UNKNOWN_TOKEN + 1 :]
    rows = matrix[UNKNOWN_TOKEN + 1 :]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{len(kmers)} {matrix.shape[1]}\n")
        for kmer, row in zip(kmers, rows, strict=True):
            handle.write(kmer + " " + " ".join(f"{value:.6g}" for value in row) + "\n")


def load_embedding_text(path: str | Path, k: int) -> np.ndarray:
    """Read vectors written by :func:`save_embedding_text` (or any word2vec text file of k-mers).

    Returns
    -------
    numpy.ndarray
        Shape ``(kmer_vocabulary_size(k), dimension)`` in token-id order; k-mers absent from the file are zero.
    """
    index = {kmer: i for i, kmer in enumerate(kmer_strings(k))}
    with open(path, encoding="utf-8") as handle:
        _, dimension = (int(value) for value in handle.readline().split())
        matrix = np.zeros((kmer_vocabulary_size(k), dimension), dtype=np.float32)
        for line in handle:
            word, *values = line.rstrip("\n").split(" ")
            word = word.upper().replace("T", "U")
            if word in index and len(values) == dimension:
                matrix[index[word]] = np.asarray(values, dtype=np.float32)
    return matrix


def initialise_embedding_layer(
    layer: Any, sequences: Iterable[str], k: int, *, epochs: int = 5, seed: int = 0, method: str = "word2vec"
) -> None:
    """Overwrite a ``torch.nn.Embedding`` over k-mer token ids with vectors trained on ``sequences``.

    Parameters
    ----------
    layer
        An embedding of shape ``(kmer_vocabulary_size(k), dimension)``.
    sequences, k, epochs, seed, method
        As for :func:`train_kmer_embedding` (``dimension`` is the layer's).
    """
    import torch

    matrix = train_kmer_embedding(
        sequences,
        EmbeddingConfig(k=k, dimension=layer.weight.shape[1], epochs=epochs, method=method),
        seed=seed,
    )
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(matrix))
