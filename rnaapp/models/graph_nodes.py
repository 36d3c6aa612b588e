"""What the graph families (``grmmi``, ``aemigap``) share: node tables of the training graph.

The node names of the training data are part of the family config (``mirna_nodes``, ``gene_nodes``: set
by :func:`prepare_nodes` when training starts), the GraRep features of the training graph are a buffer of
the module (saved with the weights), and pairs are featurised as node indices (``-1`` for a name the model
never saw). During training, the module also holds the cross-fitted tables of :mod:`rnaapp.graph`, one per
fold (not saved): a training pair reads its fold's table, so it never sees its own edge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnaapp.graph import (
    SEED_CODE_SPACE,
    GraRepConfig,
    family_support_keys,
    fold_graphs,
    graph_from_pairs,
    node_features,
    seed_codes,
)

#: Index of a node the model does not know.
UNSEEN_NODE = -1


def node_width(config: Any) -> int:
    """Columns of a node feature row: GraRep (steps x dimension) + log degree + seen flag."""
    return config.graph_steps * config.graph_dimension + 2


def grarep_config(config: Any) -> GraRepConfig:
    """The :class:`~rnaapp.graph.GraRepConfig` of a graph family config's ``graph_*`` settings."""
    return GraRepConfig(steps=config.graph_steps, dimension=config.graph_dimension)


def node_indices(names: Sequence[str] | None, nodes: Sequence[str], count: int) -> np.ndarray:
    """Index of each name in ``nodes``, :data:`UNSEEN_NODE` where absent (or all when ``names`` is None)."""
    if names is None or not len(nodes):
        return np.full(count, UNSEEN_NODE, dtype=np.int64)
    return pd.Index(list(nodes)).get_indexer(pd.Index(list(names))).astype(np.int64)


def node_arrays(
    config: Any, count: int, mirna_ids: Sequence[str] | None, target_ids: Sequence[str] | None
) -> dict[str, np.ndarray]:
    """``mirna_node``, ``gene_node`` (indices, ``(count,)``) and ``graph_view`` (0 = the saved graph)."""
    return {
        "mirna_node": node_indices(mirna_ids, config.mirna_nodes, count),
        "gene_node": node_indices(target_ids, config.gene_nodes, count),
        "graph_view": np.zeros(count, dtype=np.int64),
    }


def prepare_nodes(config: Any, pairs: pd.DataFrame) -> Any:
    """``config`` with the sorted miRNA and gene names of the training pairs as its nodes.

    Raises
    ------
    ValueError
        When the pairs have no ``mirna_id`` / ``target_id`` names.
    """
    for column in ("mirna_id", "target_id"):
        if column not in pairs.columns:
            raise ValueError(
                f"graph models need miRNA and gene names: the training pairs have no '{column}' column"
            )
    return dataclasses.replace(
        config,
        mirna_nodes=tuple(sorted(set(pairs["mirna_id"].astype(str)))),
        gene_nodes=tuple(sorted(set(pairs["target_id"].astype(str)))),
    )


class NodeTables(nn.Module):
    """Node features by node index, with a learned vector for unseen nodes.

    Buffers: ``table`` ``(n_mirnas + n_genes, width)`` (saved) and ``training_views``
    ``(folds, n_nodes, width)`` (training only, not saved). The last column of a row is the seen flag; a
    row whose flag is 0, or an index of -1, is replaced by the learned ``unseen_mirna`` / ``unseen_gene``.
    """

    def __init__(self, n_mirnas: int, n_genes: int, width: int) -> None:
        super().__init__()
        self.n_mirnas = n_mirnas
        self.register_buffer("table", torch.zeros(n_mirnas + n_genes, width))
        self.register_buffer("training_views", torch.zeros(0, n_mirnas + n_genes, width), persistent=False)
        self.unseen_mirna = nn.Parameter(torch.zeros(width))
        self.unseen_gene = nn.Parameter(torch.zeros(width))

    def set_tables(self, table: np.ndarray, training_views: np.ndarray) -> None:
        """Install the full-graph table ``(n_nodes, width)`` and the per-fold tables ``(folds, n_nodes, width)``."""
        with torch.no_grad():
            self.table.copy_(torch.from_numpy(table))
        self.training_views = torch.from_numpy(np.ascontiguousarray(training_views, dtype=np.float32)).to(
            self.table.device
        )

    def _lookup(
        self, node: torch.Tensor, view: torch.Tensor, offset: int, unseen: torch.Tensor
    ) -> torch.Tensor:
        node = node.long()
        known = node >= 0
        index = node.clamp(min=0) + offset
        if not self.table.shape[0]:
            return unseen.expand(node.shape[0], -1)
        rows = self.table[index]
        view = view.long()
        if self.training_views.shape[0] and bool((view > 0).any()):
            folded = self.training_views[(view - 1).clamp(min=0, max=self.training_views.shape[0] - 1), index]
            rows = torch.where((view > 0)[:, None], folded, rows)
        seen = known & (rows[:, -1] > 0.5)
        return torch.where(seen[:, None], rows, unseen.expand_as(rows))

    def forward(
        self, mirna_node: torch.Tensor, gene_node: torch.Tensor, graph_view: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Look up the node feature rows of each pair's miRNA and gene.

        Parameters
        ----------
        mirna_node : torch.Tensor, shape (batch,), int64
            Index of the miRNA in the config's ``mirna_nodes``; -1 for a miRNA the model never saw.
        gene_node : torch.Tensor, shape (batch,), int64
            Index of the gene in ``gene_nodes``; -1 for an unseen gene.
        graph_view : torch.Tensor, shape (batch,), int64
            0 reads the saved full-graph ``table``; ``f > 0`` (training only) reads fold ``f - 1`` of
            ``training_views``.

        Returns
        -------
        mirna_rows, gene_rows : torch.Tensor, shape (batch, width), float32
            The node rows; an unseen node (index -1 or seen flag 0) gets the learned unseen vector.
        """
        return (
            self._lookup(mirna_node, graph_view, 0, self.unseen_mirna),
            self._lookup(gene_node, graph_view, self.n_mirnas, self.unseen_gene),
        )


class SeedFamilySupport(nn.Module):
    """How many miRNAs of a pair's seed family (nucleotides 2-8) target its gene in the training graph.

    miRNAs that share a seed share many targets, so a gene targeted by a miRNA's family members is a likely
    target of that miRNA too (even of a miRNA the graph never saw). Buffers: sorted ``keys`` and their
    ``counts`` (:func:`rnaapp.graph.family_support_keys`, view 0, saved) and the cross-fitted
    ``training_keys`` / ``training_counts`` (views 1..folds, not saved). Loading resizes the buffers to the
    saved ones (their size depends on the training data).
    """

    def __init__(self, n_genes: int) -> None:
        super().__init__()
        self.n_genes = n_genes
        self.register_buffer("keys", torch.zeros(0, dtype=torch.int64))
        self.register_buffer("counts", torch.zeros(0, dtype=torch.int64))
        self.register_buffer("training_keys", torch.zeros(0, dtype=torch.int64), persistent=False)
        self.register_buffer("training_counts", torch.zeros(0, dtype=torch.int64), persistent=False)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:  # noqa: ANN001
        for name in ("keys", "counts"):
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def set_tables(
        self, keys: np.ndarray, counts: np.ndarray, training_keys: np.ndarray, training_counts: np.ndarray
    ) -> None:
        """Install the sorted keys and counts of the full graph (saved) and of the fold graphs (not saved)."""
        device = self.keys.device
        self.keys = torch.from_numpy(keys).to(device)
        self.counts = torch.from_numpy(counts).to(device)
        self.training_keys = torch.from_numpy(training_keys).to(device)
        self.training_counts = torch.from_numpy(training_counts).to(device)

    @staticmethod
    def _count(keys: torch.Tensor, counts: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        if not keys.numel():
            return torch.zeros(query.shape, dtype=torch.float32, device=query.device)
        position = torch.searchsorted(keys, query).clamp(max=keys.numel() - 1)
        found = keys[position] == query
        return torch.where(found, counts[position], torch.zeros_like(counts[position])).float()

    def forward(
        self, seed_code: torch.Tensor, gene_node: torch.Tensor, graph_view: torch.Tensor
    ) -> torch.Tensor:
        """Count the training edges from the pair's seed family to its gene.

        Parameters
        ----------
        seed_code : torch.Tensor, shape (batch,), int64
            :func:`rnaapp.graph.seed_codes` of the miRNA; -1 for no valid seed.
        gene_node : torch.Tensor, shape (batch,), int64
            Index of the gene in the config's ``gene_nodes``; -1 for an unseen gene.
        graph_view : torch.Tensor, shape (batch,), int64
            0 reads the saved counts; ``f > 0`` (training only) the counts of fold ``f - 1``'s graph.

        Returns
        -------
        torch.Tensor, shape (batch, 1), float32
            ``log(1 + family edges to the gene)``; 0 for an unknown seed or gene.
        """
        seed_code, gene_node, view = seed_code.long(), gene_node.long(), graph_view.long()
        valid = (seed_code >= 0) & (gene_node >= 0)
        query = (view * SEED_CODE_SPACE + seed_code.clamp(min=0)) * self.n_genes + gene_node.clamp(min=0)
        counts = self._count(self.keys, self.counts, query)
        if self.training_keys.numel() and bool((view > 0).any()):
            counts = torch.where(
                view > 0, self._count(self.training_keys, self.training_counts, query), counts
            )
        return torch.log1p(torch.where(valid, counts, torch.zeros_like(counts)))[:, None]


def node_seed_codes(config: Any, pairs: pd.DataFrame) -> np.ndarray:
    """:func:`rnaapp.graph.seed_codes` of the config's miRNA nodes, from the pairs' miRNA sequences."""
    sequences = pairs.drop_duplicates("mirna_id").set_index("mirna_id")["mirna_seq"].astype(str)
    return seed_codes([sequences.get(name, "") for name in config.mirna_nodes])


def install_graph(
    tables: NodeTables,
    config: Any,
    pairs: pd.DataFrame,
    features: dict[str, np.ndarray],
    seed: int,
    family: SeedFamilySupport | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Build the training graph, install its tables and give each training pair its fold's view.

    With ``family``, also install the seed-family support tables of the full and the fold graphs.

    Returns
    -------
    (dict, numpy.ndarray, numpy.ndarray)
        The training features with ``graph_view`` = fold + 1, the full table ``(n_nodes, width)`` and the
        fold tables ``(folds, n_nodes, width)``.
    """
    graph = graph_from_pairs(pairs, mirnas=config.mirna_nodes, genes=config.gene_nodes)
    table = node_features(graph, grarep_config(config), seed=seed)
    if config.graph_folds > 1:
        graphs, folds = fold_graphs(graph, pairs, folds=config.graph_folds, seed=seed)
        views = np.stack(
            [node_features(fold_graph, grarep_config(config), seed=seed) for fold_graph in graphs]
        )
        graph_view = folds + 1
    else:
        graphs = []
        views, graph_view = (
            np.zeros((0, *table.shape), dtype=np.float32),
            np.zeros(len(pairs), dtype=np.int64),
        )
    tables.set_tables(table, views)
    if family is not None:
        codes = node_seed_codes(config, pairs)
        keys, counts = family_support_keys(graph, codes)
        fold_tables = [
            family_support_keys(fold_graph, codes, view + 1) for view, fold_graph in enumerate(graphs)
        ]
        training_keys = (
            np.concatenate([keys for keys, _ in fold_tables]) if fold_tables else np.zeros(0, np.int64)
        )
        training_counts = (
            np.concatenate([counts for _, counts in fold_tables]) if fold_tables else np.zeros(0, np.int64)
        )
        family.set_tables(keys, counts, training_keys, training_counts)
    return {**features, "graph_view": graph_view.astype(np.int64)}, table, views


def fit_node_standardise(standardise: nn.Module, table: np.ndarray, views: np.ndarray) -> None:
    """Fit a :class:`~rnaapp.models.mixlmi.Standardise` on the rows of the full and per-fold tables.

    The seen flag keeps a standard deviation of at least 0.5, so that the learned unseen vector (whose
    flag starts at 0) is not blown up when (almost) every node is seen.
    """
    values = np.concatenate([table, views.reshape(-1, table.shape[1])]) if views.size else table
    standardise.fit(values)
    with torch.no_grad():
        standardise.std[-1] = max(float(standardise.std[-1]), 0.5)
