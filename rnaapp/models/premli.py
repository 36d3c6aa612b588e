"""``premli``: preMLI-style pre-trained k-mer embeddings with a CNN-BiGRU-attention encoder per molecule.

After Yu et al. (2022, preMLI): k-mer word2vec embeddings are pre-trained (gensim) on the miRNA and lncRNA
sequences of the training set; each molecule's k-mer tokens go through the embedding, a 1-D convolution
with max pooling, a bidirectional GRU and additive attention pooling; the two feature vectors are
concatenated and classified by dense layers ("deep feature mining").

The attention weights of the two molecules (over pooled positions) are returned as their outer product,
``(batch, miRNA steps, target steps)``, which the app draws as a miRNA x lncRNA heatmap.

``site_features=True`` (beyond the paper) adds the pairing evidence of :mod:`rnaapp.complementarity` to the
classifier input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.complementarity import feature_names as site_feature_names
from rnaapp.embeddings import initialise_embedding_layer
from rnaapp.encoding import (
    PAD_TOKEN,
    UNKNOWN_TOKEN,
    kmer_tokens,
    kmer_vocabulary_size,
    token_span_to_nucleotides,
)
from rnaapp.models.base import Family, Progress
from rnaapp.models.mixlmi import Standardise, plant_site_features


@dataclass(frozen=True)
class PremliConfig:
    """Settings of the preMLI-style model.

    Attributes
    ----------
    mirna_k, target_k
        k-mer lengths of the tokens (and of the word2vec vocabularies).
    mirna_length, target_length
        Padded lengths (nt) of the token arrays; longer sequences are read whole (padding grows to the
        longest sequence of the call, and padding never changes a score).
    embedding_dim, embedding_epochs
        word2vec vector size and training passes.
    filters, kernel_size
        Convolution filters and width.
    mirna_pool, target_pool
        Max-pooling factor after the convolution (long lncRNAs are pooled more).
    gru_hidden, attention_dim, dense, dropout
        BiGRU state size per direction, attention layer size, classifier size and dropout.
    site_features
        Also use the pairing features of :mod:`rnaapp.complementarity`.
    site_feature_set
        Which of them (a key of :data:`rnaapp.complementarity.FEATURE_SETS`).
    """

    mirna_k: int = 3
    target_k: int = 4
    mirna_length: int = 32
    target_length: int = 4000
    embedding_dim: int = 32
    embedding_epochs: int = 5
    filters: int = 32
    kernel_size: int = 5
    mirna_pool: int = 1
    target_pool: int = 16
    gru_hidden: int = 32
    attention_dim: int = 32
    dense: int = 64
    dropout: float = 0.3
    site_features: bool = False
    site_feature_set: str = "sites"

    def __post_init__(self) -> None:
        site_feature_names(self.site_feature_set, setting="site_feature_set")


class AttentionEncoder(nn.Module):
    """k-mer tokens ``(batch, tokens)`` -> feature vector ``(batch, 2 * gru_hidden)`` and attention ``(batch, steps)``.

    Embedding, convolution + ReLU + max pooling, BiGRU over the valid (non-padding) pooled steps, additive
    attention pooling. Padding never influences the result, so a pair scores the same in any batch.
    """

    def __init__(self, k: int, pool: int, config: PremliConfig) -> None:
        super().__init__()
        self.pool = pool
        self.embedding = nn.Embedding(kmer_vocabulary_size(k), config.embedding_dim, padding_idx=PAD_TOKEN)
        self.convolution = nn.Conv1d(
            config.embedding_dim, config.filters, config.kernel_size, padding=config.kernel_size // 2
        )
        self.gru = nn.GRU(config.filters, config.gru_hidden, batch_first=True, bidirectional=True)
        self.attention = nn.Sequential(
            nn.Linear(2 * config.gru_hidden, config.attention_dim),
            nn.Tanh(),
            nn.Linear(config.attention_dim, 1),
        )

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode one molecule's k-mer tokens into one vector.

        Parameters
        ----------
        tokens : torch.Tensor, shape (batch, tokens), int16 or int64
            k-mer token ids (0 = padding, after the end of each sequence).

        Returns
        -------
        vector : torch.Tensor, shape (batch, 2 * gru_hidden), float
            Attention-pooled BiGRU states.
        weights : torch.Tensor, shape (batch, steps), float
            Attention weight of each pooled step, 0 after a row's own steps; ``steps`` is the longest
            row's real token count divided by ``pool`` (rounded up, at least 1).
        """
        tokens = tokens.long()
        valid_tokens = (tokens != PAD_TOKEN).sum(1)
        steps = torch.clamp((valid_tokens + self.pool - 1) // self.pool, min=1)
        used = int(steps.max()) * self.pool
        embedded = self.embedding(tokens[:, :used]).transpose(1, 2)
        features = torch.relu(self.convolution(embedded))
        if self.pool > 1:
            features = nn.functional.max_pool1d(features, self.pool, ceil_mode=True)
        features = features.transpose(1, 2)  # (batch, steps, filters)
        packed = nn.utils.rnn.pack_padded_sequence(
            features, steps.cpu(), batch_first=True, enforce_sorted=False
        )
        states, _ = self.gru(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=features.shape[1])
        scores = self.attention(states).squeeze(-1)
        mask = torch.arange(states.shape[1], device=tokens.device)[None, :] < steps[:, None]
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return (weights.unsqueeze(-1) * states).sum(1), weights


class PremliNet(nn.Module):
    """Two attention encoders and a dense classifier.

    Inputs ``mirna_tokens`` ``(batch, mirna_length - mirna_k + 1)`` and ``target_tokens``
    ``(batch, target_length - target_k + 1)`` k-mer token ids, and with ``site_features`` ``site``
    ``(batch, len(FEATURE_SETS[site_feature_set]))``; output logits ``(batch,)``, and with ``return_attention`` also
    ``(batch, miRNA steps, target steps)`` attention.
    """

    def __init__(self, config: PremliConfig) -> None:
        super().__init__()
        self.config = config
        self.mirna_encoder = AttentionEncoder(config.mirna_k, config.mirna_pool, config)
        self.target_encoder = AttentionEncoder(config.target_k, config.target_pool, config)
        size = 4 * config.gru_hidden
        if config.site_features:
            site_count = len(site_feature_names(config.site_feature_set))
            self.site_standardise = Standardise(site_count)
            self.site_encoder = nn.Sequential(nn.Linear(site_count, 16), nn.ReLU())
            size += 16
        self.head = nn.Sequential(
            nn.Linear(size, config.dense), nn.ReLU(), nn.Dropout(config.dropout), nn.Linear(config.dense, 1)
        )

    def forward(
        self,
        mirna_tokens: torch.Tensor,
        target_tokens: torch.Tensor,
        site: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Score plant miRNA-lncRNA pairs.

        Parameters
        ----------
        mirna_tokens : torch.Tensor, shape (batch, max(mirna_length, longest miRNA) - mirna_k + 1), int16
            miRNA k-mer token ids (k = ``mirna_k``, 0 = padding); the longest miRNA is that of the
            featurised call (see :meth:`PremliFamily.featurize`).
        target_tokens : torch.Tensor, shape (batch, max(target_length, longest target) - target_k + 1), int16
            lncRNA k-mer token ids (k = ``target_k``, 0 = padding).
        site : torch.Tensor, shape (batch, len(FEATURE_SETS[site_feature_set])), float32, optional
            Pairing features; required with ``site_features``, ignored without.
        return_attention : bool
            Also return the miRNA x target attention map.

        Returns
        -------
        logits : torch.Tensor, shape (batch,), float
            Interaction logits.
        attention : torch.Tensor, shape (batch, mirna_steps, target_steps), float
            Only with ``return_attention``: the outer product of the two encoders' attention weights over
            their pooled steps.
        """
        mirna_vector, mirna_weights = self.mirna_encoder(mirna_tokens)
        target_vector, target_weights = self.target_encoder(target_tokens)
        parts = [mirna_vector, target_vector]
        if self.config.site_features:
            parts.append(self.site_encoder(self.site_standardise(site)))
        logits = self.head(torch.cat(parts, dim=1)).squeeze(-1)
        if return_attention:
            return logits, mirna_weights[:, :, None] * target_weights[:, None, :]
        return logits


def _tokens(sequences: Sequence[str], k: int, length: int) -> np.ndarray:
    tokens = kmer_tokens(sequences, k, length)
    empty = (tokens == PAD_TOKEN).all(axis=1)
    tokens[empty, 0] = UNKNOWN_TOKEN  # a sequence shorter than k still gets one token to attend to
    return tokens.astype(np.int16)


def _steps_to_nucleotides(weights: np.ndarray, pool: int, sequence_length: int, k: int) -> np.ndarray:
    """Spread per-step values (last axis) over the ``pool`` tokens of each step, then over nucleotides."""
    per_token = np.repeat(weights, pool, axis=-1) / pool
    return token_span_to_nucleotides(per_token, sequence_length, k)


class PremliFamily(Family):
    """Registry entry for :class:`PremliNet`."""

    name = "premli"
    task = "plant"
    config_class = PremliConfig
    description = "preMLI-style k-mer word2vec + CNN-BiGRU-attention per molecule, dense classifier"
    has_attention = True

    def build(self, config: PremliConfig) -> PremliNet:
        """The untrained :class:`PremliNet` for ``config``."""
        return PremliNet(config)

    def featurize(
        self,
        config: PremliConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The k-mer tokens of each pair's miRNA and lncRNA, padded to the longest of the call if longer.

        Returns
        -------
        dict of str to numpy.ndarray
            ``mirna_tokens`` ``(n_pairs, max(mirna_length, longest miRNA) - mirna_k + 1)`` and
            ``target_tokens`` ``(n_pairs, max(target_length, longest target) - target_k + 1)``, int16 (a
            sequence shorter than k gets one unknown token); with ``site_features`` also ``site``
            ``(n_pairs, len(FEATURE_SETS[site_feature_set]))`` float32.
        """
        mirna_length = max([config.mirna_length, config.mirna_k, *map(len, mirnas)])
        target_length = max([config.target_length, config.target_k, *map(len, targets)])
        features = {
            "mirna_tokens": _tokens(mirnas, config.mirna_k, mirna_length),
            "target_tokens": _tokens(targets, config.target_k, target_length),
        }
        features |= plant_site_features(config, mirnas, targets, progress)
        if progress is not None:
            progress(len(mirnas), len(mirnas))
        return features

    def initialise(
        self,
        module: PremliNet,
        config: PremliConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Pre-train both k-mer embeddings with word2vec on the training sequences; fit the standardisation."""
        for encoder, sequences, k in (
            (module.mirna_encoder, sorted(set(mirnas)), config.mirna_k),
            (module.target_encoder, sorted(set(targets)), config.target_k),
        ):
            initialise_embedding_layer(
                encoder.embedding, sequences, k, epochs=config.embedding_epochs, seed=seed
            )
        if config.site_features:
            if features is None:
                features = self.featurize(config, mirnas, targets)
            module.site_standardise.fit(features["site"])

    def attention_to_nucleotides(
        self, attention: np.ndarray, config: PremliConfig, mirna: str, target: str
    ) -> np.ndarray:
        """Spread the step x step attention over each step's pooled tokens, then onto nucleotides."""
        per_mirna = _steps_to_nucleotides(attention.T, config.mirna_pool, len(mirna), config.mirna_k).T
        return _steps_to_nucleotides(per_mirna, config.target_pool, len(target), config.target_k)
