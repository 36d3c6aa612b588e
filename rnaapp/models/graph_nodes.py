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

from rnaapp.graph import GraRepConfig, cross_fitted_features, graph_from_pairs, node_features

#: Index of a node the model does not know.
UNSEEN_NODE = -1


def node_width(config: Any) -> int:
    """Columns of a node feature row: GraRep (steps x dimension) + log degree + seen flag."""
    return config.graph_steps * config.graph_dimension + 2


def grarep_config(config: Any) -> GraRepConfig:
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
            raise ValueError(f"graph models need miRNA and gene names: the training pairs have no '{column}' column")
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

    def _lookup(self, node: torch.Tensor, view: torch.Tensor, offset: int, unseen: torch.Tensor) -> torch.Tensor:
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
        """Rows of the miRNA and gene nodes, each ``(batch, width)``."""
        return (
            self._lookup(mirna_node, graph_view, 0, self.unseen_mirna),
            self._lookup(gene_node, graph_view, self.n_mirnas, self.unseen_gene),
        )


def install_graph(
    tables: NodeTables, config: Any, pairs: pd.DataFrame, features: dict[str, np.ndarray], seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Build the training graph, install its tables and give each training pair its fold's view.

    Returns
    -------
    (dict, numpy.ndarray, numpy.ndarray)
        The training features with ``graph_view`` = fold + 1, the full table ``(n_nodes, width)`` and the
        fold tables ``(folds, n_nodes, width)``.
    """
    graph = graph_from_pairs(pairs, mirnas=config.mirna_nodes, genes=config.gene_nodes)
    table = node_features(graph, grarep_config(config), seed=seed)
    if config.graph_folds > 1:
        views, folds = cross_fitted_features(graph, pairs, grarep_config(config), folds=config.graph_folds, seed=seed)
        graph_view = folds + 1
    else:
        views, graph_view = np.zeros((0, *table.shape), dtype=np.float32), np.zeros(len(pairs), dtype=np.int64)
    tables.set_tables(table, views)
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
