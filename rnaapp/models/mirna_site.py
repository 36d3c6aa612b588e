"""``mirna_site``: miRNA-mRNA target-site model after DeepmiRNATar.

Architecture (per pair):

1. miRNA as overlapping k-mers (k=4) and target as overlapping k-mers (k=3), each embedded with vectors
   that rnaapp trains with word2vec on the training sequences (DeepmiRNATar used DNABERT for the target;
   its pretrained weights are not available offline, so a k-mer embedding trained here stands in).
2. Encoder per molecule: TextCNN (kernels 1, 3, 5, 'same' padding, no pooling, concatenated) then a BiLSTM.
3. Decoder: 4 SpatialConv-attention layers. In each, the miRNA positions attend over the target positions
   with multi-head attention; a convolution branch over the miRNA positions, scaled by a learnable beta,
   is added; then residual + LayerNorm, a feed-forward block, residual + LayerNorm.
4. Head: masked mean and max of the decoded miRNA positions and masked max of the encoded target
   positions, then a two-layer classifier giving one logit.

The attention weights (mean over heads and layers) form the miRNA-position x target-position matrix
shown as a heatmap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.embeddings import initialise_embedding_layer
from rnaapp.encoding import (
    PAD_TOKEN,
    UNKNOWN_TOKEN,
    kmer_tokens,
    kmer_vocabulary_size,
    token_span_to_nucleotides,
)
from rnaapp.models.base import Family, Progress


@dataclass(frozen=True)
class MirnaSiteConfig:
    """Settings of the ``mirna_site`` model.

    Attributes
    ----------
    mirna_length, target_length
        Padded lengths in nucleotides (longer targets are refused by ``predict``; scan them instead).
    mirna_k, target_k
        k-mer sizes of the two embeddings.
    embedding_dim
        k-mer vector size.
    cnn_channels
        Output channels of each TextCNN kernel.
    kernel_sizes
        TextCNN kernel widths.
    hidden
        BiLSTM output size (both directions) and decoder width.
    decoder_layers, heads, feedforward
        Decoder depth, attention heads and feed-forward width.
    conv_kernel
        Kernel width of the decoder's convolution branch.
    dropout
        Dropout rate.
    embedding_epochs
        word2vec epochs used to initialise the embeddings.
    pairing_features
        Also give the classifier explicit complementarity features: the antiparallel Watson-Crick/G:U
        pairing of every miRNA k-mer with every target k-mer, passed through a learned 2-D convolution
        (``heads`` maps) and max-pooled, so that a duplex stretch anywhere in the target is seen directly.
    """

    mirna_length: int = 30
    target_length: int = 60
    mirna_k: int = 4
    target_k: int = 3
    embedding_dim: int = 64
    cnn_channels: int = 32
    kernel_sizes: tuple[int, ...] = (1, 3, 5)
    hidden: int = 64
    decoder_layers: int = 4
    heads: int = 8
    feedforward: int = 128
    conv_kernel: int = 3
    dropout: float = 0.1
    embedding_epochs: int = 5
    pairing_features: bool = False


def reverse_within_length(values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence's first ``lengths[i]`` positions, leaving the padding after them in place.

    ``values`` has shape ``(batch, length, channels)``; ``lengths`` shape ``(batch,)``. Applying it twice
    gives back the input.
    """
    batch, length, channels = values.shape
    positions = torch.arange(length, device=values.device).expand(batch, length)
    reversed_positions = lengths.unsqueeze(1) - 1 - positions
    index = torch.where(reversed_positions >= 0, reversed_positions, positions)
    return values.gather(1, index.unsqueeze(-1).expand(batch, length, channels))


class TextCNNBiLSTM(nn.Module):
    """Embedding, TextCNN (no pooling) and BiLSTM for one molecule.

    Input ``tokens`` ``(batch, length)``; output ``(batch, length, hidden)``. The backward LSTM starts at
    each sequence's own last token, so outputs at real positions do not depend on how much padding
    follows: a pair gets the same score whatever batch it is in.
    """

    def __init__(self, vocabulary_size: int, config: MirnaSiteConfig) -> None:
        super().__init__()
        if any(kernel % 2 == 0 for kernel in config.kernel_sizes):
            raise ValueError(f"TextCNN kernel sizes must be odd, got {config.kernel_sizes}")
        self.embedding = nn.Embedding(vocabulary_size, config.embedding_dim, padding_idx=PAD_TOKEN)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(config.embedding_dim, config.cnn_channels, kernel, padding=kernel // 2)
            for kernel in config.kernel_sizes
        )
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(config.dropout)
        channels = config.cnn_channels * len(config.kernel_sizes)
        self.lstm_forward = nn.LSTM(channels, config.hidden // 2, batch_first=True)
        self.lstm_backward = nn.LSTM(channels, config.hidden // 2, batch_first=True)

    def text_cnn(self, embedded: torch.Tensor) -> torch.Tensor:
        """All TextCNN kernels as one convolution of the widest kernel (narrower ones zero-padded, centred).

        ``(batch, embedding_dim, length)`` -> ``(batch, channels * n_kernels, length)``; equal to
        concatenating the separate convolutions, in one call.
        """
        widest = max(conv.kernel_size[0] for conv in self.convolutions)
        weights = []
        for conv in self.convolutions:
            margin = (widest - conv.kernel_size[0]) // 2
            weights.append(nn.functional.pad(conv.weight, (margin, margin)))
        bias = torch.cat([conv.bias for conv in self.convolutions])
        return nn.functional.conv1d(embedded, torch.cat(weights), bias, padding=widest // 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Encode one molecule's k-mer tokens.

        Parameters
        ----------
        tokens : torch.Tensor, shape (batch, length), int64
            k-mer token ids (0 = padding, after the end of each sequence).

        Returns
        -------
        torch.Tensor, shape (batch, length, hidden), float
            Forward and backward LSTM states, concatenated; the backward half of each row starts at that
            row's last real token.
        """
        lengths = (tokens != PAD_TOKEN).sum(1).clamp_min(1)
        embedded = self.embedding(tokens).transpose(1, 2)  # (batch, embedding_dim, length)
        features = self.activation(self.text_cnn(embedded))
        features = self.dropout(features.transpose(1, 2))  # (batch, length, channels)
        forward_states, _ = self.lstm_forward(features)
        backward_states, _ = self.lstm_backward(reverse_within_length(features, lengths))
        return torch.cat([forward_states, reverse_within_length(backward_states, lengths)], dim=-1)


class CrossAttention(nn.Module):
    """Multi-head attention of ``query`` positions over ``memory`` positions.

    Uses ``scaled_dot_product_attention`` unless the weights are asked for; the weights returned are the
    mean over heads, shape ``(batch, query_length, memory_length)``.
    """

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden size {hidden} is not divisible by {heads} heads")
        self.heads = heads
        self.dropout = dropout
        self.query = nn.Linear(hidden, hidden)
        self.key_value = nn.Linear(hidden, 2 * hidden)
        self.output = nn.Linear(hidden, hidden)

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, memory_padding: torch.Tensor, need_weights: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from the ``query`` positions over the ``memory`` positions.

        Parameters
        ----------
        query : torch.Tensor, shape (batch, query_length, hidden), float
            The attending positions (decoded miRNA states).
        memory : torch.Tensor, shape (batch, memory_length, hidden), float
            The attended positions (encoded target states).
        memory_padding : torch.Tensor, shape (batch, memory_length), bool
            True at the padding positions of ``memory``, which are never attended.
        need_weights : bool
            Also return the attention weights (computed explicitly instead of by
            ``scaled_dot_product_attention``).

        Returns
        -------
        output : torch.Tensor, shape (batch, query_length, hidden), float
            The attended values after the output projection.
        weights : torch.Tensor, shape (batch, query_length, memory_length), float, or None
            Attention weights averaged over the heads; None unless ``need_weights``.
        """
        batch, query_length, hidden = query.shape
        memory_length = memory.shape[1]
        head_size = hidden // self.heads
        queries = self.query(query).view(batch, query_length, self.heads, head_size).transpose(1, 2)
        keys, values = (
            self.key_value(memory).view(batch, memory_length, 2, self.heads, head_size).permute(2, 0, 3, 1, 4)
        )
        allowed = None if not bool(memory_padding.any()) else ~memory_padding[:, None, None, :]
        dropout = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = queries @ keys.transpose(-1, -2) / math.sqrt(head_size)
            if allowed is not None:
                scores = scores.masked_fill(~allowed, float("-inf"))
            probabilities = torch.softmax(scores.float(), dim=-1).to(queries.dtype)
            weights = probabilities.mean(1)
            attended = nn.functional.dropout(probabilities, dropout, self.training) @ values
        else:
            attended = nn.functional.scaled_dot_product_attention(
                queries, keys, values, attn_mask=allowed, dropout_p=dropout
            )
        attended = attended.transpose(1, 2).reshape(batch, query_length, hidden)
        return self.output(attended), weights


class SpatialConvAttention(nn.Module):
    """One decoder layer: cross-attention plus a beta-scaled convolution branch, then feed-forward.

    ``query`` ``(batch, query_length, hidden)`` attends over ``memory`` ``(batch, memory_length, hidden)``.
    """

    def __init__(self, config: MirnaSiteConfig) -> None:
        super().__init__()
        self.attention = CrossAttention(config.hidden, config.heads, config.dropout)
        self.spatial = nn.Conv1d(
            config.hidden, config.hidden, config.conv_kernel, padding=config.conv_kernel // 2
        )
        self.beta = nn.Parameter(torch.tensor(0.5))
        self.norm_attention = nn.LayerNorm(config.hidden)
        self.feedforward = nn.Sequential(
            nn.Linear(config.hidden, config.feedforward),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.feedforward, config.hidden),
        )
        self.norm_feedforward = nn.LayerNorm(config.hidden)
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        query: torch.Tensor,
        memory: torch.Tensor,
        query_mask: torch.Tensor,
        memory_padding: torch.Tensor,
        need_weights: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Run one decoder layer.

        Parameters
        ----------
        query : torch.Tensor, shape (batch, query_length, hidden), float
            Decoded miRNA states from the previous layer (the encoder output for the first layer).
        memory : torch.Tensor, shape (batch, memory_length, hidden), float
            Encoded target states.
        query_mask : torch.Tensor, shape (batch, query_length, 1), float
            1 at real ``query`` positions, 0 at padding (zeroed before the convolution branch).
        memory_padding : torch.Tensor, shape (batch, memory_length), bool
            True at the padding positions of ``memory``.
        need_weights : bool
            Also return the attention weights.

        Returns
        -------
        hidden : torch.Tensor, shape (batch, query_length, hidden), float
            The layer's output states.
        weights : torch.Tensor, shape (batch, query_length, memory_length), float, or None
            Head-averaged attention weights; None unless ``need_weights``.
        """
        attended, weights = self.attention(query, memory, memory_padding, need_weights)
        spatial = self.spatial((query * query_mask).transpose(1, 2)).transpose(1, 2)
        hidden = self.norm_attention(query + self.dropout(attended) + self.beta * spatial)
        hidden = self.norm_feedforward(hidden + self.dropout(self.feedforward(hidden)))
        return hidden, weights


def kmer_digits(tokens: torch.Tensor, k: int) -> torch.Tensor:
    """Nucleotide codes (0-3) of each k-mer token: ``(batch, length)`` -> ``(batch, length, k)``.

    Padding and unknown tokens give code 4 (pairs with nothing).
    """
    ranks = (tokens - 2).clamp_min(0)
    powers = 4 ** torch.arange(k - 1, -1, -1, device=tokens.device)
    digits = (ranks.unsqueeze(-1) // powers) % 4
    return digits.masked_fill((tokens < 2).unsqueeze(-1), 4)


class PairingFeatures(nn.Module):
    """Learned features of miRNA-target k-mer complementarity.

    For miRNA token ``i`` and target token ``j`` the raw score is the base-pairing strength (Watson-Crick 1,
    G:U 0.5) of miRNA nucleotides ``i, i+1, i+2`` against target nucleotides ``j+2, j+1, j`` (antiparallel).
    A 2-D convolution and ReLU turn the ``(miRNA, target)`` map into ``channels`` maps, which are max-pooled
    over the target and then over the miRNA (and averaged over the miRNA): output ``(batch, 2 * channels)``.
    Padding positions are left out of every pooling, so a pair's features do not depend on the lengths of
    the other pairs of its batch (padding scores 0, like the convolution's own zero padding).
    """

    def __init__(self, config: MirnaSiteConfig, channels: int = 16, kernel: int = 7) -> None:
        super().__init__()
        self.mirna_k = config.mirna_k
        self.target_k = config.target_k
        self.overlap = min(config.mirna_k, config.target_k)
        self.output_size = 2 * channels
        strength = torch.zeros(5, 5)
        for a, b, value in ((0, 3, 1.0), (3, 0, 1.0), (1, 2, 1.0), (2, 1, 1.0), (2, 3, 0.5), (3, 2, 0.5)):
            strength[a, b] = value  # codes A=0 C=1 G=2 U=3
        self.register_buffer("strength", strength.flatten(), persistent=False)
        self.convolution = nn.Conv2d(1, channels, kernel, padding=kernel // 2)

    def forward(self, mirna_tokens: torch.Tensor, target_tokens: torch.Tensor) -> torch.Tensor:
        """Pairing features of each pair.

        Parameters
        ----------
        mirna_tokens : torch.Tensor, shape (batch, mirna_positions), int64
            miRNA k-mer token ids (k = ``mirna_k``; 0 = padding).
        target_tokens : torch.Tensor, shape (batch, target_positions), int64
            Target k-mer token ids (k = ``target_k``; 0 = padding).

        Returns
        -------
        torch.Tensor, shape (batch, 2 * channels), float32
            Per channel, the maximum over miRNA positions of the per-position maximum over the target,
            then the mean over real miRNA positions of that same per-position maximum.
        """
        mirna = kmer_digits(mirna_tokens, self.mirna_k)
        target = kmer_digits(target_tokens, self.target_k)
        scores = torch.zeros(mirna.shape[0], mirna.shape[1], target.shape[1], device=mirna.device)
        for offset in range(self.overlap):
            index = mirna[:, :, offset].unsqueeze(2) * 5 + target[:, :, self.overlap - 1 - offset].unsqueeze(
                1
            )
            scores = scores + self.strength[index]
        maps = torch.relu(self.convolution(scores.unsqueeze(1) / self.overlap))  # (batch, channels, m, t)
        # ReLU outputs are >= 0, so zeroing padding positions leaves every maximum over real positions as is.
        mirna_used = (mirna_tokens != PAD_TOKEN).to(maps.dtype)  # (batch, m)
        target_used = (target_tokens != PAD_TOKEN).to(maps.dtype)  # (batch, t)
        maps = maps * target_used[:, None, None, :]
        per_mirna_position = maps.amax(-1) * mirna_used[:, None, :]  # (batch, channels, m)
        mirna_mean = per_mirna_position.sum(-1) / mirna_used.sum(-1, keepdim=True).clamp_min(1.0)
        return torch.cat([per_mirna_position.amax(-1), mirna_mean], dim=-1)


def trim_padding(tokens: torch.Tensor) -> torch.Tensor:
    """Drop trailing columns that are padding in every row: ``(batch, length)`` -> ``(batch, length')``."""
    used = (tokens != PAD_TOKEN).any(0).nonzero()
    return tokens[:, : int(used.max()) + 1] if used.numel() else tokens[:, :1]


def encode_unique(encoder: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """Run ``encoder`` once per distinct row of ``tokens`` and spread the result back to every row.

    In batch inference many pairs share a miRNA (and in scans a target window), so this saves most of the
    encoder's work; the result equals ``encoder(tokens)`` up to float rounding.
    """
    if tokens.shape[0] < 64:
        return encoder(tokens)
    distinct, inverse = torch.unique(tokens, dim=0, return_inverse=True)
    if distinct.shape[0] > 0.8 * tokens.shape[0]:
        return encoder(tokens)
    return encoder(distinct)[inverse]


class MirnaSiteNet(nn.Module):
    """The ``mirna_site`` network.

    Forward inputs: ``mirna_tokens`` ``(batch, mirna_length - mirna_k + 1)`` and ``target_tokens``
    ``(batch, target_length - target_k + 1)``, int64 k-mer ids (0 = padding).
    Output: logits ``(batch,)``; with ``return_attention=True`` also the attention
    ``(batch, mirna_tokens, target_tokens)`` averaged over heads and layers.
    """

    def __init__(self, config: MirnaSiteConfig) -> None:
        super().__init__()
        self.config = config
        self.mirna_encoder = TextCNNBiLSTM(kmer_vocabulary_size(config.mirna_k), config)
        self.target_encoder = TextCNNBiLSTM(kmer_vocabulary_size(config.target_k), config)
        self.decoder = nn.ModuleList(SpatialConvAttention(config) for _ in range(config.decoder_layers))
        self.pairing = PairingFeatures(config) if config.pairing_features else None
        extra = self.pairing.output_size if self.pairing is not None else 0
        self.classifier = nn.Sequential(
            nn.Linear(3 * config.hidden + extra, config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, 1),
        )

    def forward(
        self, mirna_tokens: torch.Tensor, target_tokens: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Score miRNA-target pairs.

        Parameters
        ----------
        mirna_tokens : torch.Tensor, shape (batch, mirna_length - mirna_k + 1), int64
            miRNA k-mer token ids (0 = padding, 1 = a k-mer with an unknown letter).
        target_tokens : torch.Tensor, shape (batch, target_length - target_k + 1), int64
            Target k-mer token ids, same coding; every row has at least one non-padding token.
        return_attention : bool
            Also return the miRNA x target attention map.

        Returns
        -------
        logits : torch.Tensor, shape (batch,), float
            Interaction logits.
        attention : torch.Tensor, shape (batch, mirna_positions, target_positions), float
            Only with ``return_attention``: the attention weights averaged over heads and decoder layers.
            The token axes end at the last column holding a real token in some row of the batch (columns
            that are padding in every row are dropped first).
        """
        mirna_tokens = trim_padding(mirna_tokens)
        target_tokens = trim_padding(target_tokens)
        mirna_padding = mirna_tokens == PAD_TOKEN
        target_padding = target_tokens == PAD_TOKEN
        mirna_mask = (~mirna_padding).unsqueeze(-1).to(torch.float32)
        target_mask = (~target_padding).unsqueeze(-1)

        mirna = encode_unique(self.mirna_encoder, mirna_tokens)
        target = encode_unique(self.target_encoder, target_tokens)
        attention_sum = None
        decoded = mirna
        for layer in self.decoder:
            decoded, weights = layer(
                decoded, target, mirna_mask.to(decoded.dtype), target_padding, return_attention
            )
            if return_attention:
                attention_sum = weights if attention_sum is None else attention_sum + weights

        mirna_mask = mirna_mask.to(decoded.dtype)
        mirna_mean = (decoded * mirna_mask).sum(1) / mirna_mask.sum(1).clamp_min(1.0)
        mirna_max = decoded.masked_fill(mirna_mask == 0, -1e4).amax(1)
        target_max = target.masked_fill(~target_mask, -1e4).amax(1)
        pooled = [mirna_mean, mirna_max, target_max]
        if self.pairing is not None:
            pooled.append(self.pairing(mirna_tokens, target_tokens).to(decoded.dtype))
        logits = self.classifier(torch.cat(pooled, dim=-1)).squeeze(-1)
        if return_attention:
            return logits, attention_sum / len(self.decoder)
        return logits


class MirnaSiteFamily(Family):
    """Registry entry for :class:`MirnaSiteNet`."""

    name = "mirna_site"
    task = "site"
    config_class = MirnaSiteConfig
    description = "DeepmiRNATar-style k-mer word2vec + TextCNN-BiLSTM encoder + SpatialConv-attention decoder"
    has_attention = True

    def build(self, config: MirnaSiteConfig) -> MirnaSiteNet:
        """The untrained :class:`MirnaSiteNet` for ``config``."""
        return MirnaSiteNet(config)

    def featurize(
        self,
        config: MirnaSiteConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The k-mer tokens of each pair's miRNA and target.

        Returns
        -------
        dict of str to numpy.ndarray
            ``mirna_tokens`` ``(n_pairs, mirna_length - mirna_k + 1)`` and ``target_tokens``
            ``(n_pairs, target_length - target_k + 1)``, int64 (:func:`rnaapp.encoding.kmer_tokens`); a
            target shorter than ``target_k`` gets one unknown token so that attention has a key.
        """
        mirna_tokens = kmer_tokens(mirnas, config.mirna_k, config.mirna_length)
        target_tokens = kmer_tokens(targets, config.target_k, config.target_length)
        # A target shorter than k has no k-mer; give it one 'unknown' token so attention has a key.
        empty = (target_tokens == PAD_TOKEN).all(axis=1)
        target_tokens[empty, 0] = UNKNOWN_TOKEN
        if progress is not None:
            progress(len(mirnas), len(mirnas))
        return {"mirna_tokens": mirna_tokens, "target_tokens": target_tokens}

    def initialise(
        self,
        module: MirnaSiteNet,
        config: MirnaSiteConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Set both embeddings to word2vec vectors trained on the training sequences."""
        for encoder, sequences, k in (
            (module.mirna_encoder, sorted(set(mirnas)), config.mirna_k),
            (module.target_encoder, list(targets), config.target_k),
        ):
            initialise_embedding_layer(
                encoder.embedding, sequences, k, epochs=config.embedding_epochs, seed=seed
            )

    def max_target_length(self, config: MirnaSiteConfig) -> int:
        """``config.target_length``: the token arrays are padded (and cut) to that length."""
        return config.target_length

    def attention_to_nucleotides(
        self, attention: np.ndarray, config: MirnaSiteConfig, mirna: str, target: str
    ) -> np.ndarray:
        """Spread the token x token attention onto nucleotides, each the mean of the k-mers covering it."""
        per_mirna_token = token_span_to_nucleotides(attention.T, len(mirna), config.mirna_k).T
        return token_span_to_nucleotides(per_mirna_token, len(target), config.target_k)
