"""``grmmi``: GRMMI-style miRNA-gene association model: FastText k-mers, CNN-BiLSTM, mutual attention, GraRep.

After GRMMI (miRNA-gene association by sequence and graph): k-mer (k = 6) FastText embeddings (gensim) are
pre-trained on the training miRNA sequences and on 200-400 nt fragments of the training target sequences;
target sequences are read reversed (3'->5', the direction that pairs with the miRNA's 5' end); per molecule
an embedding layer initialised from FastText, a 1-D convolution and a BiLSTM; a multi-head *mutual
attention* with the miRNA states as queries and the target states as keys and values (its weights are
returned for the heatmap); the pooled sequence features are concatenated with both nodes' GraRep vectors
of the training graph (:mod:`rnaapp.graph`) and fused by a small fully connected network.

Pairs without a target sequence (MTIS-9214 lists gene names only) are read with an empty target: the target
branch and the attention then contribute zeros, and the miRNA branch and the graph carry the prediction.

Ablation switches: ``attention=False``; ``lstm`` = ``"bi"`` / ``"uni"`` / ``"none"``; ``fusion`` =
``"concat"`` (the paper's) / ``"add"`` / ``"average"`` / ``"deep"`` (3-layer MLP) / ``"none"`` (a linear
layer on the concatenation); ``sequence_branch=False`` (graph only) and ``graph_branch=False``
(sequences only).

Beyond the paper, ``site_counts=True`` adds the canonical seed sites of the miRNA on the *whole* target
(:func:`rnaapp.sites.site_type_counts`: 8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer, as ``log(1 + count)``)
to the fused features. They read targets of any length (a full 3'UTR), also when the sequence branch is
off, and are zero for a pair without target sequence.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnaapp.embeddings import initialise_embedding_layer
from rnaapp.encoding import (
    PAD_TOKEN,
    UNKNOWN_TOKEN,
    kmer_tokens,
    kmer_vocabulary_size,
    per_distinct,
    token_span_to_nucleotides,
)
from rnaapp.graph import seed_codes
from rnaapp.models.base import Family, Progress
from rnaapp.models.graph_nodes import (
    NodeTables,
    SeedFamilySupport,
    fit_node_standardise,
    install_graph,
    node_arrays,
    node_width,
    prepare_nodes,
)
from rnaapp.models.mixlmi import Standardise
from rnaapp.sites import SITE_TYPES, site_type_counts

LSTM_KINDS = ("bi", "uni", "none")
FUSIONS = ("concat", "add", "average", "deep", "none")


@dataclass(frozen=True)
class GrmmiConfig:
    """Settings of the GRMMI-style model.

    Attributes
    ----------
    k, embedding_dim, embedding_epochs
        k-mer length, FastText vector size and training passes.
    mirna_length, target_length
        Longest miRNA and target (nt) the sequence branch reads; longer targets are refused with a message
        (no limit without the sequence branch).
    filters, kernel_size, lstm_hidden, heads
        Convolution filters and width, LSTM state size per direction, attention heads.
    lstm, attention, fusion, sequence_branch, graph_branch
        Ablation switches (see the module docstring).
    graph_steps, graph_dimension, graph_folds
        GraRep steps and dimensions per step; folds of the cross-fitted training graph (1: no cross-fitting).
    seed_family
        Also use the seed-family support of the pair (beyond the paper): how many miRNAs with the same seed
        (nucleotides 2-8) target the gene in the training graph (needs ``graph_branch``).
    site_counts
        Also read the counts of canonical seed sites of the miRNA on the whole target (beyond the paper).
    dense, dropout
        Fusion network size and dropout.
    mirna_nodes, gene_nodes
        Node names of the training graph (set when training starts).
    """

    k: int = 6
    embedding_dim: int = 32
    embedding_epochs: int = 5
    mirna_length: int = 30
    target_length: int = 2000
    filters: int = 32
    kernel_size: int = 3
    lstm_hidden: int = 32
    heads: int = 4
    lstm: str = "bi"
    attention: bool = True
    fusion: str = "concat"
    sequence_branch: bool = True
    graph_branch: bool = True
    graph_steps: int = 4
    graph_dimension: int = 4
    graph_folds: int = 10
    seed_family: bool = True
    site_counts: bool = False
    dense: int = 64
    dropout: float = 0.3
    mirna_nodes: tuple[str, ...] = ()
    gene_nodes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.lstm not in LSTM_KINDS:
            raise ValueError(f"lstm must be one of {', '.join(LSTM_KINDS)}, got {self.lstm!r}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        if not (self.sequence_branch or self.graph_branch):
            raise ValueError("at least one of sequence_branch and graph_branch must be on")
        if self.lstm != "none" and (2 if self.lstm == "bi" else 1) * self.lstm_hidden % self.heads:
            raise ValueError("the LSTM output size must be a multiple of heads")


class SequenceEncoder(nn.Module):
    """k-mer tokens ``(batch, tokens)`` -> states ``(batch, tokens, width)`` and valid mask ``(batch, tokens)``."""

    def __init__(self, config: GrmmiConfig) -> None:
        super().__init__()
        self.embedding = nn.Embedding(
            kmer_vocabulary_size(config.k), config.embedding_dim, padding_idx=PAD_TOKEN
        )
        self.convolution = nn.Conv1d(
            config.embedding_dim, config.filters, config.kernel_size, padding=config.kernel_size // 2
        )
        self.lstm = None
        self.width = config.filters
        if config.lstm != "none":
            bidirectional = config.lstm == "bi"
            self.lstm = nn.LSTM(
                config.filters, config.lstm_hidden, batch_first=True, bidirectional=bidirectional
            )
            self.width = config.lstm_hidden * (2 if bidirectional else 1)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode one molecule's k-mer tokens.

        Parameters
        ----------
        tokens : torch.Tensor, shape (batch, tokens), int16 or int64
            k-mer token ids (0 = padding, after the end of each sequence; a row may be all padding).

        Returns
        -------
        states : torch.Tensor, shape (batch, used, width), float
            Convolution (and LSTM) states, zero at padding; ``used`` is the longest row's real token count
            (at least 1) and ``width`` is :attr:`width`.
        mask : torch.Tensor, shape (batch, used), bool
            True at real tokens.
        """
        tokens = tokens.long()
        lengths = (tokens != PAD_TOKEN).sum(1)
        used = max(1, int(lengths.max()))
        tokens = tokens[:, :used]
        mask = torch.arange(used, device=tokens.device)[None, :] < lengths[:, None]
        states = torch.relu(self.convolution(self.embedding(tokens).transpose(1, 2))).transpose(1, 2)
        if self.lstm is not None:
            packed = nn.utils.rnn.pack_padded_sequence(
                states, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
            )
            states, _ = self.lstm(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=used)
        return states * mask[..., None], mask


def encode_distinct(encoder: SequenceEncoder, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``encoder`` applied to the distinct rows of ``tokens`` only, gathered back (same result, less work).

    Pairs of a batch often share a molecule (a ranking pairs one miRNA with thousands of genes).
    """
    distinct, inverse = torch.unique(tokens, dim=0, return_inverse=True)
    if distinct.shape[0] == tokens.shape[0]:
        return encoder(tokens)
    states, mask = encoder(distinct)
    return states[inverse], mask[inverse]


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``states`` ``(batch, steps, width)`` over valid steps; zeros for a row without any."""
    count = mask.sum(1, keepdim=True).clamp(min=1)
    return (states * mask[..., None]).sum(1) / count


class GrmmiNet(nn.Module):
    """Sequence branch (CNN-BiLSTM per molecule, mutual attention) and GraRep node features, fused.

    Inputs: ``mirna_tokens`` ``(batch, mirna_length - k + 1)``, ``target_tokens`` ``(batch, target tokens)``
    (reversed target; all padding for a pair without target sequence), ``mirna_node`` and ``gene_node``
    ``(batch,)`` node indices (-1 = unseen), ``graph_view`` ``(batch,)`` (0 = the saved graph) and, with
    ``seed_family``, ``seed_code`` ``(batch,)`` (:func:`rnaapp.graph.seed_codes` of the miRNA); with
    ``site_counts``, ``site_counts`` ``(batch, 5)`` (``log(1 + count)`` of each site type). Output
    logits ``(batch,)``; with ``return_attention`` also the head-averaged attention ``(batch, miRNA tokens,
    target tokens)``.
    """

    def __init__(self, config: GrmmiConfig) -> None:
        super().__init__()
        self.config = config
        parts = []
        if config.sequence_branch:
            self.mirna_encoder = SequenceEncoder(config)
            self.target_encoder = SequenceEncoder(config)
            width = self.mirna_encoder.width
            if config.attention:
                self.mutual_attention = nn.MultiheadAttention(width, config.heads, batch_first=True)
            sequence_width = width * (3 if config.attention else 2)
            parts.append(sequence_width)
        if config.graph_branch:
            width = node_width(config)
            self.nodes = NodeTables(len(config.mirna_nodes), len(config.gene_nodes), width)
            self.node_standardise = Standardise(width)
            graph_width = 2 * width
            if config.seed_family:
                self.family = SeedFamilySupport(len(config.gene_nodes))
                graph_width += 1
            parts.append(graph_width)
        if config.site_counts:
            parts[-1] += len(SITE_TYPES)
        if config.fusion in ("add", "average") and len(parts) == 2:
            self.projections = nn.ModuleList([nn.Linear(size, config.dense) for size in parts])
            head_input = config.dense
        else:
            head_input = sum(parts)
        if config.fusion == "deep":
            self.head = nn.Sequential(
                nn.Linear(head_input, config.dense),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.dense, config.dense),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.dense, config.dense // 2),
                nn.ReLU(),
                nn.Linear(config.dense // 2, 1),
            )
        elif config.fusion == "none":
            self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(head_input, 1))
        else:
            self.head = nn.Sequential(
                nn.Linear(head_input, config.dense),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.dense, 1),
            )

    def sequence_features(
        self, mirna_tokens: torch.Tensor, target_tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Pooled sequence features and the mutual attention weights.

        Parameters
        ----------
        mirna_tokens : torch.Tensor, shape (batch, mirna_tokens), int16
            miRNA k-mer token ids.
        target_tokens : torch.Tensor, shape (batch, target_tokens), int16
            Reversed target k-mer token ids (all padding for a pair without target sequence).

        Returns
        -------
        features : torch.Tensor, shape (batch, width * (3 if attention else 2)), float
            Masked means of the miRNA states, of the target states and (with ``attention``) of the attended
            miRNA states.
        weights : torch.Tensor, shape (batch, mirna_used, target_used), float, or None
            Head-averaged attention weights (zeros for a pair without target); None without ``attention``.
        """
        mirna_states, mirna_mask = encode_distinct(self.mirna_encoder, mirna_tokens)
        target_states, target_mask = encode_distinct(self.target_encoder, target_tokens)
        pooled = [masked_mean(mirna_states, mirna_mask), masked_mean(target_states, target_mask)]
        weights = None
        if self.config.attention and not bool(target_mask.any()):
            # No pair of the batch has a target sequence: the attention output is all zeros.
            weights = mirna_states.new_zeros(
                mirna_states.shape[0], mirna_states.shape[1], target_states.shape[1]
            )
            pooled.append(torch.zeros_like(pooled[0]))
        elif self.config.attention:
            has_target = target_mask.any(1)
            # A pair without target sequence attends to one dummy key; its output is then zeroed.
            key_mask = target_mask.clone()
            key_mask[:, 0] |= ~has_target
            attended, weights = self.mutual_attention(
                mirna_states, target_states, target_states, key_padding_mask=~key_mask, need_weights=True
            )
            attended = attended * has_target[:, None, None]
            weights = weights * has_target[:, None, None]
            pooled.append(masked_mean(attended, mirna_mask))
        return torch.cat(pooled, dim=1), weights

    def forward(
        self,
        mirna_tokens: torch.Tensor,
        target_tokens: torch.Tensor,
        mirna_node: torch.Tensor,
        gene_node: torch.Tensor,
        graph_view: torch.Tensor,
        seed_code: torch.Tensor | None = None,
        site_counts: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Score miRNA-gene pairs.

        Parameters
        ----------
        mirna_tokens : torch.Tensor, shape (batch, max(mirna_length, longest miRNA) - k + 1), int16
            miRNA k-mer token ids (0 = padding, 1 = unknown; see :meth:`GrmmiFamily.featurize`).
        target_tokens : torch.Tensor, shape (batch, max(k, longest target) - k + 1), int16
            k-mer token ids of the target read 3'->5'; all padding for a pair without target sequence;
            shape ``(batch, 1)`` (unused) without the sequence branch.
        mirna_node : torch.Tensor, shape (batch,), int64
            Index of the miRNA among the training graph's ``mirna_nodes``; -1 = unseen.
        gene_node : torch.Tensor, shape (batch,), int64
            Index of the gene among ``gene_nodes``; -1 = unseen.
        graph_view : torch.Tensor, shape (batch,), int64
            0 = the saved graph; ``f > 0`` = fold ``f - 1``'s cross-fitted graph (training only).
        seed_code : torch.Tensor, shape (batch,), int64, optional
            With ``seed_family``: :func:`rnaapp.graph.seed_codes` of the miRNA (-1 = none; all -1 when not
            given).
        site_counts : torch.Tensor, shape (batch, 5), float32, optional
            With ``site_counts``: ``log(1 + count)`` of each canonical site type in
            :data:`rnaapp.sites.SITE_TYPES` order on the whole target (zeros when not given).
        return_attention : bool
            Also return the mutual attention map.

        Returns
        -------
        logits : torch.Tensor, shape (batch,), float
            Association logits.
        attention : torch.Tensor, shape (batch, mirna_used, target_used), float
            Only with ``return_attention``: the head-averaged mutual attention, its token axes cut at the
            batch's longest miRNA and target; without the attention or the sequence branch, zeros of shape
            ``(batch, mirna_tokens.shape[1], max(1, target_tokens.shape[1]))``.
        """
        parts, weights = [], None
        if self.config.sequence_branch:
            features, weights = self.sequence_features(mirna_tokens, target_tokens)
            parts.append(features)
        if self.config.graph_branch:
            mirna_rows, gene_rows = self.nodes(mirna_node, gene_node, graph_view)
            graph_parts = [self.node_standardise(mirna_rows), self.node_standardise(gene_rows)]
            if self.config.seed_family:
                if seed_code is None:
                    seed_code = torch.full_like(gene_node, -1)
                graph_parts.append(self.family(seed_code, gene_node, graph_view))
            parts.append(torch.cat(graph_parts, dim=1))
        if self.config.site_counts:
            if site_counts is None:
                site_counts = parts[-1].new_zeros(parts[-1].shape[0], len(SITE_TYPES))
            parts[-1] = torch.cat([parts[-1], site_counts.to(parts[-1].dtype)], dim=1)
        if hasattr(self, "projections"):
            projected = [projection(part) for projection, part in zip(self.projections, parts, strict=True)]
            fused = projected[0] + projected[1]
            fused = torch.relu(fused / 2 if self.config.fusion == "average" else fused)
        else:
            fused = torch.cat(parts, dim=1)
        logits = self.head(fused).squeeze(-1)
        if return_attention:
            if weights is None:
                weights = torch.zeros(logits.shape[0], mirna_tokens.shape[1], max(1, target_tokens.shape[1]))
            return logits, weights
        return logits


def _tokens(sequences: Sequence[str], k: int, length: int, *, reverse: bool = False) -> np.ndarray:
    """k-mer tokens ``(n, length - k + 1)`` int16, each distinct sequence tokenised once."""

    def tokenise(distinct: list[str]) -> np.ndarray:
        tokens = kmer_tokens(distinct, k, max(length, k), reverse=reverse)
        short = np.array([0 < len(value) < k for value in distinct], dtype=bool)
        tokens[short, 0] = UNKNOWN_TOKEN  # a sequence shorter than k still gets one token
        return tokens.astype(np.int16)

    return per_distinct(sequences, tokenise)


def distinct_seed_codes(mirnas: Sequence[str]) -> np.ndarray:
    """:func:`rnaapp.graph.seed_codes` computed once per distinct miRNA, shape ``(n,)`` int64."""
    return per_distinct(mirnas, seed_codes)


def target_fragments(
    sequences: Sequence[str], seed: int, shortest: int = 200, longest: int = 400
) -> list[str]:
    """Cut each target into consecutive fragments of random length ``shortest``..``longest`` nt (FastText corpus)."""
    rng = random.Random(seed)
    fragments = []
    for sequence in sequences:
        start = 0
        while start < len(sequence):
            size = rng.randint(shortest, longest)
            fragments.append(sequence[start : start + size])
            start += size
    return fragments


class GrmmiFamily(Family):
    """Registry entry for :class:`GrmmiNet`."""

    name = "grmmi"
    task = "gene"
    config_class = GrmmiConfig
    description = "GRMMI-style FastText 6-mers, CNN-BiLSTM with mutual attention, GraRep graph embeddings"
    has_attention = True
    uses_names = True

    def build(self, config: GrmmiConfig) -> GrmmiNet:
        """The untrained :class:`GrmmiNet` for ``config`` (its node tables sized by the config's nodes)."""
        return GrmmiNet(config)

    def max_target_length(self, config: GrmmiConfig) -> int | None:
        """``config.target_length`` with the sequence branch; None (any length) without it."""
        return config.target_length if config.sequence_branch else None

    def featurize(
        self,
        config: GrmmiConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
        *,
        mirna_ids: Sequence[str] | None = None,
        target_ids: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Token, node and site arrays of the pairs.

        Parameters
        ----------
        mirna_ids, target_ids
            miRNA and gene names of the pairs, looked up among the config's nodes; None reads every pair as
            unseen.

        Returns
        -------
        dict of str to numpy.ndarray
            ``mirna_tokens`` ``(n_pairs, max(mirna_length, longest miRNA) - k + 1)`` and ``target_tokens``
            ``(n_pairs, max(k, longest target) - k + 1)`` (reversed; ``(n_pairs, 1)`` zeros without the
            sequence branch), int16; ``mirna_node``, ``gene_node`` and ``graph_view`` ``(n_pairs,)`` int64;
            with the graph branch and ``seed_family``, ``seed_code`` ``(n_pairs,)`` int64; with
            ``site_counts``, ``site_counts`` ``(n_pairs, 5)`` float32.
        """
        mirna_length = max([config.mirna_length, *map(len, mirnas)]) if len(mirnas) else config.mirna_length
        if config.sequence_branch:
            target_length = max([config.k, *map(len, targets)]) if len(targets) else config.k
            target_tokens = _tokens(targets, config.k, target_length, reverse=True)
        else:  # graph only: the target is read by the site counts alone, never tokenised
            target_tokens = np.zeros((len(targets), 1), dtype=np.int16)
        features = {
            "mirna_tokens": _tokens(mirnas, config.k, mirna_length),
            "target_tokens": target_tokens,
        } | node_arrays(config, len(mirnas), mirna_ids, target_ids)
        if config.graph_branch and config.seed_family:
            features["seed_code"] = distinct_seed_codes(mirnas)
        if config.site_counts:
            features["site_counts"] = np.log1p(site_type_counts(mirnas, targets)).astype(np.float32)
        if progress is not None:
            progress(len(mirnas), len(mirnas))
        return features

    def prepare(self, config: GrmmiConfig, pairs: pd.DataFrame, seed: int) -> GrmmiConfig:
        """``config`` with the training pairs' miRNA and gene names as nodes (unchanged without the graph)."""
        return prepare_nodes(config, pairs) if config.graph_branch else config

    def initialise(
        self,
        module: GrmmiNet,
        config: GrmmiConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Pre-train the FastText k-mer vectors: miRNAs, and 200-400 nt fragments of reversed targets."""
        if not config.sequence_branch:
            return
        mirna_corpus = sorted(set(mirnas))
        target_corpus = target_fragments([target[::-1] for target in sorted(set(targets)) if target], seed)
        for encoder, corpus in ((module.mirna_encoder, mirna_corpus), (module.target_encoder, target_corpus)):
            corpus = [sequence for sequence in corpus if len(sequence) >= config.k]
            if corpus:
                initialise_embedding_layer(
                    encoder.embedding,
                    corpus,
                    config.k,
                    epochs=config.embedding_epochs,
                    seed=seed,
                    method="fasttext",
                )

    def initialise_from_pairs(
        self,
        module: GrmmiNet,
        config: GrmmiConfig,
        pairs: pd.DataFrame,
        features: dict[str, np.ndarray],
        seed: int,
    ) -> dict[str, np.ndarray]:
        """Build the training graph (cross-fitted per fold) and fit the node feature standardisation."""
        if not config.graph_branch:
            return features
        family = module.family if config.seed_family else None
        features, table, views = install_graph(module.nodes, config, pairs, features, seed, family=family)
        fit_node_standardise(module.node_standardise, table, views)
        return features

    def attention_to_nucleotides(
        self, attention: np.ndarray, config: GrmmiConfig, mirna: str, target: str
    ) -> np.ndarray:
        """Spread the token x token attention onto nucleotides, the target put back in 5'->3' order."""
        per_mirna = token_span_to_nucleotides(
            attention.T, len(mirna), config.k
        ).T  # (len(mirna), target tokens)
        reversed_target = token_span_to_nucleotides(per_mirna, len(target), config.k)
        return reversed_target[:, ::-1].copy()  # tokens read the target 3'->5'; put it back 5'->3'
