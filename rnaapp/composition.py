"""Composition features of sequences and structures (k-mer and g-gap frequencies), and MixLMI's complex features.

For one molecule (Kang et al. 2024, MixLMI):

- ``sequence_kmer`` (84): frequencies of the 4 + 16 + 64 1-, 2- and 3-mers over ``ACGU``;
- ``sequence_gap`` (48): frequencies of the 16 dinucleotides ``x . y`` with 1, 2 and 3 nucleotides between
  ``x`` and ``y`` (g-gap with g = 1, 2, 3);
- ``structure_kmer`` (14): frequencies of the 2 + 4 + 8 1-, 2- and 3-mers of the MFE structure read as
  unpaired (``.``) / paired (``(`` or ``)``);
- ``structure_gap`` (48): g-gap (g = 1, 2, 3) pairs over the 4-letter sequence-structure alphabet purine or
  pyrimidine x paired or unpaired (the sizes 14 and 48 are MixLMI's; the paper does not spell out the
  structure alphabets, these are the natural ones of those sizes).

Each count is divided by the number of windows it was counted in (``L - k + 1`` for k-mers, ``L - g - 1``
for g-gap pairs); windows holding an ``N`` are not counted.

A pair's *complex features* fuse miRNA feature ``m_i`` with lncRNA feature ``l_j`` of the same group for all
``i, j``: by the arithmetic mean ``(m_i + l_j) / 2`` (MixLMI) or the geometric mean ``sqrt(m_i l_j)`` (the
ablation), giving 84^2 + 48^2 + 14^2 + 48^2 = 11,860 values with all four groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Feature groups in the order complex features concatenate them, with the size of each per molecule.
GROUP_SIZES = {"sequence_kmer": 84, "sequence_gap": 48, "structure_kmer": 14, "structure_gap": 48}
GROUPS = tuple(GROUP_SIZES)
KMER_SIZES = (1, 2, 3)
GAPS = (1, 2, 3)
FUSIONS = ("arithmetic", "geometric")

_NUCLEOTIDE_CODES = np.full(256, -1, dtype=np.int64)
for _code, _base in enumerate("ACGU"):
    _NUCLEOTIDE_CODES[ord(_base)] = _code
_STRUCTURE_CODES = np.full(256, -1, dtype=np.int64)
for _symbol, _code in ((".", 0), ("(", 1), (")", 1)):
    _STRUCTURE_CODES[ord(_symbol)] = _code
_PYRIMIDINE = np.array([0, 1, 0, 1], dtype=np.int64)  # A, C, G, U


def _codes(text: str, table: np.ndarray) -> np.ndarray:
    return table[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]


def kmer_frequencies(codes: np.ndarray, alphabet: int, k: int) -> np.ndarray:
    """Frequencies of all ``alphabet**k`` k-mers of a code array (negative codes = unknown, never counted).

    Parameters
    ----------
    codes
        Shape ``(L,)`` int, values in ``0..alphabet-1`` or negative.
    alphabet, k
        Alphabet size and k-mer length.

    Returns
    -------
    numpy.ndarray
        Shape ``(alphabet**k,)`` float32, k-mers in lexicographic order of their codes, counts divided by
        ``L - k + 1`` (zeros when ``L < k``).
    """
    windows = len(codes) - k + 1
    if windows <= 0:
        return np.zeros(alphabet**k, dtype=np.float32)
    index = np.zeros(windows, dtype=np.int64)
    valid = np.ones(windows, dtype=bool)
    for offset in range(k):
        part = codes[offset : offset + windows]
        index = index * alphabet + part
        valid &= part >= 0
    counts = np.bincount(index[valid], minlength=alphabet**k)
    return (counts / windows).astype(np.float32)


def gap_frequencies(codes: np.ndarray, alphabet: int, gap: int) -> np.ndarray:
    """Frequencies of the ``alphabet**2`` pairs ``x`` ... ``y`` with ``gap`` symbols between them.

    Returns
    -------
    numpy.ndarray
        Shape ``(alphabet**2,)`` float32, counts divided by ``L - gap - 1`` (zeros when ``L < gap + 2``).
    """
    windows = len(codes) - gap - 1
    if windows <= 0:
        return np.zeros(alphabet**2, dtype=np.float32)
    first, second = codes[:windows], codes[gap + 1 :]
    valid = (first >= 0) & (second >= 0)
    counts = np.bincount((first * alphabet + second)[valid], minlength=alphabet**2)
    return (counts / windows).astype(np.float32)


def molecule_features(sequence: str, structure: str | None = None) -> dict[str, np.ndarray]:
    """The four feature groups of one molecule.

    Parameters
    ----------
    sequence
        RNA, 5'->3' (``ACGU``; other letters count as unknown).
    structure
        Its dot-bracket structure (same length), or None to skip the structure groups.

    Returns
    -------
    dict
        Group name -> float32 vector of size :data:`GROUP_SIZES` (structure groups only with a structure).
    """
    nucleotides = _codes(sequence, _NUCLEOTIDE_CODES)
    groups = {
        "sequence_kmer": np.concatenate([kmer_frequencies(nucleotides, 4, k) for k in KMER_SIZES]),
        "sequence_gap": np.concatenate([gap_frequencies(nucleotides, 4, gap) for gap in GAPS]),
    }
    if structure is not None:
        if len(structure) != len(sequence):
            raise ValueError(f"structure has {len(structure)} symbols for a sequence of {len(sequence)} nt")
        paired = _codes(structure, _STRUCTURE_CODES)
        combined = np.where(
            (nucleotides >= 0) & (paired >= 0), 2 * _PYRIMIDINE[np.maximum(nucleotides, 0)] + paired, -1
        )
        groups["structure_kmer"] = np.concatenate([kmer_frequencies(paired, 2, k) for k in KMER_SIZES])
        groups["structure_gap"] = np.concatenate([gap_frequencies(combined, 4, gap) for gap in GAPS])
    return groups


def complex_feature_size(groups: Sequence[str] = GROUPS) -> int:
    """Length of the complex feature vector over ``groups``: the sum of the squared group sizes."""
    return sum(GROUP_SIZES[group] ** 2 for group in groups)


def fuse(mirna_group: np.ndarray, target_group: np.ndarray, fusion: str = "arithmetic") -> np.ndarray:
    """All ``(i, j)`` fusions of two feature vectors, row-major (``i`` = miRNA feature).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(mirna_group) * len(target_group),)`` float32: ``(m_i + l_j) / 2`` for ``"arithmetic"``,
        ``sqrt(m_i * l_j)`` for ``"geometric"``.
    """
    if fusion == "arithmetic":
        fused = (mirna_group[:, None] + target_group[None, :]) / 2
    elif fusion == "geometric":
        fused = np.sqrt(mirna_group[:, None] * target_group[None, :])
    else:
        raise ValueError(f"unknown fusion {fusion!r}; use one of {', '.join(FUSIONS)}")
    return fused.astype(np.float32).ravel()


def complex_features(
    mirnas: Sequence[str],
    targets: Sequence[str],
    mirna_structures: Sequence[str] | None = None,
    target_structures: Sequence[str] | None = None,
    *,
    groups: Sequence[str] = GROUPS,
    fusion: str = "arithmetic",
) -> np.ndarray:
    """MixLMI complex features of many pairs.

    Parameters
    ----------
    mirnas, targets
        Sequences, 5'->3'.
    mirna_structures, target_structures
        Their dot-bracket structures; needed when ``groups`` holds a structure group.
    groups
        Which of :data:`GROUPS` to use, concatenated in the order of :data:`GROUPS`.
    fusion
        ``"arithmetic"`` or ``"geometric"`` (see :func:`fuse`).

    Returns
    -------
    numpy.ndarray
        Shape ``(pairs, complex_feature_size(groups))`` float32.
    """
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown feature group(s) {', '.join(unknown)}; known: {', '.join(GROUPS)}")
    ordered = [group for group in GROUPS if group in groups]
    needs_structure = any(group.startswith("structure") for group in ordered)
    if needs_structure and (mirna_structures is None or target_structures is None):
        raise ValueError("structure feature groups need the structures of both molecules")
    if len(mirnas) != len(targets):
        raise ValueError(f"{len(mirnas)} miRNAs but {len(targets)} targets")
    output = np.zeros((len(mirnas), complex_feature_size(ordered)), dtype=np.float32)
    per_molecule: dict[tuple[str, str | None], dict[str, np.ndarray]] = {}

    def features_of(sequence: str, structure: str | None) -> dict[str, np.ndarray]:
        key = (sequence, structure)
        if key not in per_molecule:
            per_molecule[key] = molecule_features(sequence, structure)
        return per_molecule[key]

    for row in range(len(mirnas)):
        mirna_features = features_of(mirnas[row], mirna_structures[row] if needs_structure else None)
        target_features = features_of(targets[row], target_structures[row] if needs_structure else None)
        output[row] = np.concatenate(
            [fuse(mirna_features[group], target_features[group], fusion) for group in ordered]
        )
    return output
