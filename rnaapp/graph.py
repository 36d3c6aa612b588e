"""Graph features of miRNA-gene association data: the bipartite interaction graph and GraRep node embeddings.

GraRep (Cao et al. 2015) embeds each node by the k-step transition probabilities of the graph: with the
symmetric adjacency ``S`` and degrees ``D``, ``A = D^-1 S``; for each step ``k = 1..K`` the matrix ``A^k``
is column-normalised, turned into log probabilities shifted by ``log(1 / n)``, negative values set to 0,
and factorised by a truncated SVD; the node representation of step ``k`` is ``U_d sqrt(Sigma_d)``, and the
``K`` representations are concatenated.

The graph is always built from the *training* positives only, so a test edge never shapes a feature. A
node with no training edge (an *unseen* node) gets an all-zero GraRep vector and ``seen = 0``; models
replace it by a learned "unseen" vector. Training pairs get *cross-fitted* features
(:func:`cross_fitted_features`): the positives are split into folds and a pair's features come from the
graph without its own fold, so a training positive never sees its own edge (otherwise every training
positive is a direct edge and every test positive is not, and a model learns the wrong thing), and
training positives, like test positives, sometimes touch nodes that are unseen in that graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.linalg import svds

#: Extra node columns after the GraRep vector: log(1 + degree) and seen (0/1).
NODE_EXTRA_COLUMNS = ("log_degree", "seen")

#: Graphs of at most this many nodes are factorised by a full (dense) SVD, larger ones iteratively.
DENSE_SVD_LIMIT = 512


@dataclass(frozen=True)
class GraRepConfig:
    """GraRep settings.

    Attributes
    ----------
    steps
        Transition steps ``K`` (1..K are used).
    dimension
        SVD dimensions per step; the vector of a node has ``steps * dimension`` values.
    """

    steps: int = 4
    dimension: int = 16

    @property
    def size(self) -> int:
        """Length of a node's GraRep vector, ``steps * dimension``."""
        return self.steps * self.dimension


@dataclass(frozen=True)
class BipartiteGraph:
    """A miRNA-gene graph: node names and the (miRNA index, gene index) edges between them.

    Node ``i < n_mirnas`` is miRNA ``mirnas[i]``; node ``n_mirnas + j`` is gene ``genes[j]``.
    """

    mirnas: tuple[str, ...]
    genes: tuple[str, ...]
    edges: np.ndarray  # (n_edges, 2) int64: miRNA index, gene index

    @property
    def n_mirnas(self) -> int:
        """Number of miRNA nodes (they come first in node order)."""
        return len(self.mirnas)

    @property
    def n_nodes(self) -> int:
        """Number of nodes, miRNAs and genes together."""
        return len(self.mirnas) + len(self.genes)

    def biadjacency(self) -> sparse.csr_matrix:
        """The miRNA x gene 0/1 matrix, shape ``(n_mirnas, n_genes)``."""
        values = np.ones(len(self.edges), dtype=np.float64)
        matrix = sparse.csr_matrix(
            (values, (self.edges[:, 0], self.edges[:, 1])), shape=(len(self.mirnas), len(self.genes))
        )
        matrix.data[:] = 1.0  # repeated edges count once
        return matrix

    def adjacency(self) -> sparse.csr_matrix:
        """Symmetric node x node adjacency, shape ``(n_nodes, n_nodes)``."""
        block = self.biadjacency()
        return sparse.bmat([[None, block], [block.T, None]], format="csr")

    def degrees(self) -> np.ndarray:
        """Degree of every node, shape ``(n_nodes,)``."""
        return np.asarray(self.adjacency().sum(axis=1)).ravel()

    def mirna_index(self, names: Sequence[str]) -> np.ndarray:
        """Index of each miRNA name, -1 where the name is not a node. Shape ``(len(names),)``."""
        lookup = {name: index for index, name in enumerate(self.mirnas)}
        return np.array([lookup.get(name, -1) for name in names], dtype=np.int64)

    def gene_index(self, names: Sequence[str]) -> np.ndarray:
        """Index of each gene name among the genes, -1 where the name is not a node."""
        lookup = {name: index for index, name in enumerate(self.genes)}
        return np.array([lookup.get(name, -1) for name in names], dtype=np.int64)

    def without(self, drop: np.ndarray) -> BipartiteGraph:
        """The same nodes with the edges where ``drop`` (bool, ``(n_edges,)``) is True removed."""
        return BipartiteGraph(self.mirnas, self.genes, self.edges[~np.asarray(drop, dtype=bool)])


def graph_from_pairs(
    pairs: pd.DataFrame, *, mirnas: Sequence[str] | None = None, genes: Sequence[str] | None = None
) -> BipartiteGraph:
    """The graph of the positive pairs (``label == 1``; every row when there is no label column).

    Parameters
    ----------
    pairs
        Columns ``mirna_id`` and ``target_id`` (and ``label``).
    mirnas, genes
        Node names to use (default: the sorted names of all rows, negatives included, so that every
        miRNA and gene of the data is a node; nodes without a positive edge are unseen).
    """
    mirnas = tuple(sorted(set(pairs["mirna_id"]))) if mirnas is None else tuple(mirnas)
    genes = tuple(sorted(set(pairs["target_id"]))) if genes is None else tuple(genes)
    positives = pairs if "label" not in pairs.columns else pairs[pairs["label"].astype(int) == 1]
    graph = BipartiteGraph(mirnas, genes, np.zeros((0, 2), dtype=np.int64))
    mirna_index = graph.mirna_index(positives["mirna_id"].tolist())
    gene_index = graph.gene_index(positives["target_id"].tolist())
    known = (mirna_index >= 0) & (gene_index >= 0)
    edges = np.unique(np.stack([mirna_index[known], gene_index[known]], axis=1), axis=0)
    return BipartiteGraph(mirnas, genes, edges.astype(np.int64).reshape(-1, 2))


def transition_powers(adjacency: sparse.spmatrix, steps: int) -> list[np.ndarray]:
    """``A, A^2, ..., A^steps`` of ``A = D^-1 S`` (rows of isolated nodes stay 0), dense float64."""
    degrees = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, degrees, out=np.zeros_like(degrees, dtype=np.float64), where=degrees > 0)
    transition = sparse.diags(inverse) @ sparse.csr_matrix(adjacency, dtype=np.float64)
    powers = [transition.toarray()]
    for _ in range(1, steps):
        powers.append(np.asarray(transition @ powers[-1]))
    return [np.asarray(power) for power in powers]


def log_shifted(power: np.ndarray) -> np.ndarray:
    """GraRep's positive log probability matrix of one transition power, shape ``(n, n)``.

    Columns are normalised to sum 1 (all-zero columns stay 0); entries become ``log(p) - log(1 / n)``,
    and negative values (and zeros) become 0.
    """
    n = power.shape[0]
    column_sums = power.sum(axis=0, keepdims=True)
    normalised = np.divide(power, column_sums, out=np.zeros_like(power), where=column_sums > 0)
    with np.errstate(divide="ignore"):
        logs = np.log(normalised) - np.log(1.0 / n)
    logs[~np.isfinite(logs)] = 0.0
    return np.maximum(logs, 0.0)


def _truncated_svd(matrix: np.ndarray, dimension: int, seed: int) -> np.ndarray:
    """``U_d sqrt(Sigma_d)`` with a deterministic sign (largest |entry| of each column positive)."""
    rank = min(dimension, min(matrix.shape) - 1)
    out = np.zeros((matrix.shape[0], dimension), dtype=np.float64)
    if rank < 1 or not matrix.any():
        return out
    if min(matrix.shape) <= DENSE_SVD_LIMIT:
        # Small graphs are often of low rank; ARPACK then restarts from its own (call-to-call changing)
        # random vectors, so the iterative SVD would not be reproducible. A full SVD is, and cheap here.
        u, singular, _ = np.linalg.svd(matrix, full_matrices=False)
        u, singular = u[:, :rank], singular[:rank]
    else:
        sparse_matrix = sparse.csr_matrix(matrix)
        start = np.random.default_rng(seed).uniform(-1, 1, min(matrix.shape))
        u, singular, _ = svds(sparse_matrix, k=rank, v0=start, random_state=seed)
    order = np.argsort(singular)[::-1]
    u, singular = u[:, order], singular[order]
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    out[:, :rank] = u * signs * np.sqrt(singular)
    return out


def grarep(adjacency: sparse.spmatrix, config: GraRepConfig = GraRepConfig(), *, seed: int = 0) -> np.ndarray:
    """GraRep vectors of every node.

    Parameters
    ----------
    adjacency
        Symmetric adjacency ``S``, shape ``(n, n)``.
    config
        Steps ``K`` and dimensions per step ``d``.
    seed
        Start vector of the iterative SVD (results are deterministic for a seed).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K * d)`` float32; step ``k``'s vectors in columns ``(k - 1) d .. k d``. Isolated nodes
        get zeros.
    """
    parts = [
        _truncated_svd(log_shifted(power), config.dimension, seed)
        for power in transition_powers(adjacency, config.steps)
    ]
    vectors = np.concatenate(parts, axis=1).astype(np.float32)
    isolated = np.asarray(adjacency.sum(axis=1)).ravel() == 0
    vectors[isolated] = 0.0
    return vectors


def node_features(
    graph: BipartiteGraph, config: GraRepConfig = GraRepConfig(), *, seed: int = 0
) -> np.ndarray:
    """GraRep vector, log(1 + degree) and seen flag of every node.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_nodes, K * d + 2)`` float32 (see :data:`NODE_EXTRA_COLUMNS`).
    """
    degrees = graph.degrees()
    vectors = grarep(graph.adjacency(), config, seed=seed)
    extra = np.stack([np.log1p(degrees), (degrees > 0).astype(np.float64)], axis=1).astype(np.float32)
    return np.concatenate([vectors, extra], axis=1)


def fold_of_pairs(pairs: pd.DataFrame, folds: int, seed: int) -> np.ndarray:
    """A fold number (0..folds-1) for every row, balanced within each label, shape ``(n_pairs,)``."""
    rng = np.random.default_rng(seed)
    labels = pairs["label"].to_numpy() if "label" in pairs.columns else np.ones(len(pairs))
    assignment = np.zeros(len(pairs), dtype=np.int64)
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        assignment[rows[rng.permutation(len(rows))]] = np.arange(len(rows)) % folds
    return assignment


def fold_graphs(
    graph: BipartiteGraph, pairs: pd.DataFrame, *, folds: int = 5, seed: int = 0
) -> tuple[list[BipartiteGraph], np.ndarray]:
    """The graphs of cross-fitting: for each fold, ``graph`` without the positive edges of that fold's pairs.

    Returns
    -------
    (list of BipartiteGraph, numpy.ndarray)
        ``folds`` graphs and each pair's fold (:func:`fold_of_pairs`), shape ``(n_pairs,)``.
    """
    assignment = fold_of_pairs(pairs, folds, seed)
    mirna_index = graph.mirna_index(pairs["mirna_id"].tolist())
    gene_index = graph.gene_index(pairs["target_id"].tolist())
    edge_codes = graph.edges[:, 0] * len(graph.genes) + graph.edges[:, 1]
    graphs = []
    for fold in range(folds):
        in_fold = (assignment == fold) & (mirna_index >= 0) & (gene_index >= 0)
        held = np.isin(edge_codes, mirna_index[in_fold] * len(graph.genes) + gene_index[in_fold])
        graphs.append(graph.without(held))
    return graphs, assignment


def cross_fitted_features(
    graph: BipartiteGraph,
    pairs: pd.DataFrame,
    config: GraRepConfig = GraRepConfig(),
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Node features for training pairs from graphs that never contain the pair's own edge.

    The training pairs are split into ``folds`` (per label); the graph for fold ``f`` is ``graph``
    without the positive edges of fold ``f``'s pairs (:func:`fold_graphs`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``tables`` of shape ``(folds, n_nodes, K * d + 2)`` and each pair's fold, shape ``(n_pairs,)``.
    """
    graphs, assignment = fold_graphs(graph, pairs, folds=folds, seed=seed)
    tables = []
    for fold, fold_graph in enumerate(graphs):
        tables.append(node_features(fold_graph, config, seed=seed))
        if progress is not None:
            progress(fold + 1, folds)
    return np.stack(tables), assignment


def neighbourhood_support(graph: BipartiteGraph) -> np.ndarray:
    """Number of length-3 paths miRNA - gene' - miRNA' - gene between every miRNA and gene.

    A pair with support > 0 lies in the graph neighbourhood of the known interactions: another miRNA that
    shares a target with this miRNA also targets this gene. Shape ``(n_mirnas, n_genes)`` int64 (dense).
    """
    block = graph.biadjacency()
    return np.asarray((block @ block.T @ block).toarray()).astype(np.int64)


def distance_filter(
    pairs: pd.DataFrame,
    vectors: np.ndarray,
    graph: BipartiteGraph,
    *,
    quantile: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Drop negatives whose miRNA-gene embedding distance is as small as that of most positives.

    AEmiGAP's negative-label adjustment: with ``dist`` the Euclidean distance between the miRNA's and
    the gene's node vectors, the threshold is the ``quantile`` of the positives' distances, and negatives
    closer than it (likely unlabelled interactions) are removed. Pairs with an unseen node are kept.

    Parameters
    ----------
    pairs
        Columns ``mirna_id``, ``target_id``, ``label``.
    vectors
        Node vectors of ``graph``, shape ``(n_nodes, dims)``.
    quantile
        Which quantile of the positives' distances is the threshold (0 drops nothing).

    Returns
    -------
    (pandas.DataFrame, dict)
        The kept rows and a report: ``threshold``, ``negatives``, ``dropped``, ``dropped_fraction``.
    """
    mirna_index = graph.mirna_index(pairs["mirna_id"].tolist())
    gene_index = graph.gene_index(pairs["target_id"].tolist())
    # A node without an edge is unseen (its GraRep vector is all zeros): its pairs are kept.
    degrees = graph.degrees()
    known = (mirna_index >= 0) & (gene_index >= 0)
    known[known] = (degrees[mirna_index[known]] > 0) & (degrees[graph.n_mirnas + gene_index[known]] > 0)
    distances = np.full(len(pairs), np.inf)
    distances[known] = np.linalg.norm(
        vectors[mirna_index[known]] - vectors[graph.n_mirnas + gene_index[known]], axis=1
    )
    labels = pairs["label"].astype(int).to_numpy()
    positive_distances = distances[(labels == 1) & known]
    threshold = (
        float(np.quantile(positive_distances, quantile))
        if quantile > 0 and len(positive_distances)
        else -np.inf
    )
    drop = (labels == 0) & (distances < threshold)
    negatives = int((labels == 0).sum())
    report = {
        "threshold": threshold,
        "negatives": negatives,
        "dropped": int(drop.sum()),
        "dropped_fraction": float(drop.sum() / negatives) if negatives else 0.0,
    }
    return pairs.loc[~drop].reset_index(drop=True), report


def adjust_negatives(
    pairs: pd.DataFrame, *, quantile: float = 0.05, config: GraRepConfig = GraRepConfig(), seed: int = 0
) -> tuple[pd.DataFrame, dict[str, float]]:
    """:func:`distance_filter` with GraRep vectors of the graph of ``pairs``' own positives.

    The negative-label adjustment for any family's training data: pass the training pairs (columns
    ``mirna_id``, ``target_id``, ``label``); returns the kept rows and the report.
    """
    graph = graph_from_pairs(pairs)
    vectors = grarep(graph.adjacency(), config, seed=seed)
    return distance_filter(pairs, vectors, graph, quantile=quantile)


#: Number of seed codes (7-mers of miRNA nucleotides 2-8).
SEED_CODE_SPACE = 4**7
_SEED_LOOKUP = np.full(256, -1, dtype=np.int64)
for _code, _base in enumerate("ACGU"):
    _SEED_LOOKUP[ord(_base)] = _code


def seed_codes(sequences: Sequence[str]) -> np.ndarray:
    """The seed (nucleotides 2-8) of each miRNA as a number in ``0 .. 4**7 - 1``; -1 when shorter or not ACGU.

    miRNAs of one seed family share a code. Shape ``(n,)`` int64.
    """
    codes = np.full(len(sequences), -1, dtype=np.int64)
    for row, sequence in enumerate(sequences):
        seed = str(sequence)[1:8]
        if len(seed) < 7:
            continue
        digits = _SEED_LOOKUP[np.frombuffer(seed.encode("ascii", "replace"), dtype=np.uint8)]
        if (digits >= 0).all():
            codes[row] = int(np.dot(digits, 4 ** np.arange(6, -1, -1)))
    return codes


def family_support_keys(
    graph: BipartiteGraph, mirna_codes: np.ndarray, view: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Count the edges of each (seed family, gene): how many miRNAs of a seed already target a gene.

    Parameters
    ----------
    graph
        The training graph.
    mirna_codes
        :func:`seed_codes` of the graph's miRNAs, shape ``(n_mirnas,)``.
    view
        A number folded into the keys, so that tables of several graphs (cross-fitted folds) can share one
        sorted array.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Sorted keys ``(view * 4**7 + seed code) * n_genes + gene`` and their edge counts, both int64.
    """
    codes = mirna_codes[graph.edges[:, 0]] if len(graph.edges) else np.zeros(0, dtype=np.int64)
    valid = codes >= 0
    keys = (view * SEED_CODE_SPACE + codes[valid]) * len(graph.genes) + graph.edges[valid, 1]
    unique, counts = np.unique(keys, return_counts=True)
    return unique.astype(np.int64), counts.astype(np.int64)
