"""Turn RNA sequences into integer arrays that models take.

Every function here is vectorised over a batch of sequences and pads to a fixed length, so that the
arrays a model sees for a pair never depend on which other pairs share its batch.

Nucleotide codes are ``A=0, C=1, G=2, U=3, N=4`` and ``PAD=5``. k-mer token ids are ``0`` for padding,
``1`` for a k-mer containing ``N`` and ``2 + rank`` for the others, where ``rank`` is the k-mer read as a
base-4 number (``A < C < G < U``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import product

import numpy as np
import pandas as pd

NUCLEOTIDES = "ACGU"
N_CODE = 4
PAD_CODE = 5
PAD_TOKEN = 0
UNKNOWN_TOKEN = 1

_LOOKUP = np.full(256, N_CODE, dtype=np.uint8)
for _code, _letter in enumerate(NUCLEOTIDES):
    _LOOKUP[ord(_letter)] = _code
    _LOOKUP[ord(_letter.lower())] = _code
_LOOKUP[ord("T")] = 3
_LOOKUP[ord("t")] = 3


def kmer_vocabulary_size(k: int) -> int:
    """Number of token ids for k-mers of length ``k`` (padding and unknown included)."""
    return 4**k + 2


def kmer_strings(k: int) -> list[str]:
    """All k-mers in token-id order, with ``"<pad>"`` and ``"<unk>"`` first.

    Returns
    -------
    list of str
        Length ``kmer_vocabulary_size(k)``; entry ``i`` is the k-mer of token id ``i``.
    """
    return ["<pad>", "<unk>"] + ["".join(letters) for letters in product(NUCLEOTIDES, repeat=k)]


def nucleotide_codes(sequences: Sequence[str], length: int, *, reverse: bool = False) -> np.ndarray:
    """Code sequences as integers, padded or cut to ``length``.

    Parameters
    ----------
    sequences
        RNA (or DNA) strings; letters other than ACGUT become ``N``.
    length
        Output width. Longer sequences are cut at their 3' end (or 5' end when ``reverse``).
    reverse
        Code each sequence read 3'->5' (used for models that read the target antiparallel).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_sequences, length)``, dtype uint8, ``PAD_CODE`` after the end of each sequence.
    """
    codes = np.full((len(sequences), length), PAD_CODE, dtype=np.uint8)
    for row, sequence in enumerate(sequences):
        if reverse:
            sequence = sequence[::-1]
        raw = np.frombuffer(sequence[:length].encode("ascii", "replace"), dtype=np.uint8)
        codes[row, : raw.size] = _LOOKUP[raw]
    return codes


def kmer_tokens(sequences: Sequence[str], k: int, length: int, *, reverse: bool = False) -> np.ndarray:
    """Tokenise sequences into overlapping k-mers (stride 1).

    Parameters
    ----------
    sequences
        RNA strings.
    k
        k-mer length.
    length
        Maximum sequence length in nucleotides; gives ``length - k + 1`` token positions.
    reverse
        Tokenise the sequences read 3'->5'.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_sequences, length - k + 1)``, dtype int64. Token ``i`` covers nucleotides
        ``i .. i + k - 1``.
    """
    if k < 1 or k > length:
        raise ValueError(f"k must be between 1 and the padded length {length}, got {k}")
    codes = nucleotide_codes(sequences, length, reverse=reverse)
    n_positions = length - k + 1
    ranks = np.zeros((codes.shape[0], n_positions), dtype=np.int64)
    has_unknown = np.zeros_like(ranks, dtype=bool)
    has_pad = np.zeros_like(ranks, dtype=bool)
    for offset in range(k):
        window = codes[:, offset : offset + n_positions]
        ranks = ranks * 4 + np.minimum(window, 3)
        has_unknown |= window == N_CODE
        has_pad |= window == PAD_CODE
    tokens = ranks + 2
    tokens[has_unknown] = UNKNOWN_TOKEN
    tokens[has_pad] = PAD_TOKEN
    return tokens


def sequence_kmers(sequence: str, k: int) -> list[str]:
    """The overlapping k-mers of one sequence (the 'words' of its sentence for word2vec)."""
    sequence = sequence.upper().replace("T", "U")
    return [sequence[i : i + k] for i in range(len(sequence) - k + 1)]


def token_span_to_nucleotides(weights: np.ndarray, sequence_length: int, k: int) -> np.ndarray:
    """Spread per-token values back onto nucleotides along the last axis.

    Each nucleotide gets the mean of the values of the k-mer tokens that cover it.

    Parameters
    ----------
    weights
        Shape ``(..., n_tokens)``.
    sequence_length
        Length of the sequence in nucleotides.
    k
        k-mer length of the tokens.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., sequence_length)``.
    """
    n_tokens = max(sequence_length - k + 1, 0)
    weights = np.asarray(weights)[..., :n_tokens]
    total = np.zeros(weights.shape[:-1] + (sequence_length,), dtype=np.float64)
    count = np.zeros(sequence_length, dtype=np.float64)
    for offset in range(k):
        total[..., offset : offset + n_tokens] += weights
        count[offset : offset + n_tokens] += 1
    return total / np.maximum(count, 1)


def per_distinct(sequences: Sequence[str], transform: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """``transform`` applied once to the distinct sequences, its rows gathered back for every input.

    Pair lists repeat molecules (one miRNA against thousands of genes), so featurisers encode each distinct
    sequence once. ``transform`` maps a list of sequences to an array whose first axis follows the list
    (an empty list included). Returns an array of shape ``(len(sequences), ...)``.
    """
    codes, distinct = pd.factorize(pd.Series(list(sequences), dtype=object), sort=False)
    return transform([str(value) for value in distinct])[codes]
