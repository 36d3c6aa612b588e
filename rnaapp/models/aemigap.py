"""``aemigap``: AEmiGAP-style autoencoder features and an LSTM classifier for miRNA-gene association.

After AEmiGAP: each pair is a vector of the miRNA's and the gene's embeddings; here the GraRep node features
of the training graph (:mod:`rnaapp.graph`, with degree and seen flag) and the 3-mer composition of the
miRNA and of the target sequence (zeros when a pair has none). An autoencoder (3 encoder + 3 decoder
layers, batch norm, LeakyReLU, 16-dim latent) is trained on the training pair vectors with a mean squared
error before the classifier, then frozen; its latent vector is concatenated to the input, cut into
``steps`` equal chunks and read by a 3-layer LSTM whose last state is classified.

AEmiGAP's negative-label adjustment (drop negatives that sit as close in embedding space as the positives)
is :func:`rnaapp.graph.distance_filter`, usable with any family's training data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnaapp.composition import _NUCLEOTIDE_CODES, _codes, kmer_frequencies
from rnaapp.encoding import per_distinct
from rnaapp.models.base import Family, Progress
from rnaapp.models.graph_nodes import (
    NodeTables,
    fit_node_standardise,
    install_graph,
    node_arrays,
    node_width,
    prepare_nodes,
)
from rnaapp.models.mixlmi import Standardise

#: k of the composition part of the pair vector (4**k values per molecule).
COMPOSITION_K = 3


@dataclass(frozen=True)
class AemigapConfig:
    """Settings of the AEmiGAP-style model.

    Attributes
    ----------
    encoder_sizes
        Widths of the first two encoder layers (the decoder mirrors them); the third is ``latent``.
    latent
        Size of the autoencoder's latent vector.
    autoencoder_epochs, autoencoder_learning_rate
        Pre-training of the autoencoder (MSE, Adam, batches of 256).
    steps
        Chunks the classifier's LSTM reads the (input + latent) vector in.
    lstm_hidden, lstm_layers, dropout
        LSTM size and depth; dropout before the output layer.
    graph_steps, graph_dimension, graph_folds
        GraRep steps and dimensions per step; folds of the cross-fitted training graph.
    mirna_nodes, gene_nodes
        Node names of the training graph (set when training starts).
    """

    encoder_sizes: tuple[int, int] = (128, 64)
    latent: int = 16
    autoencoder_epochs: int = 30
    autoencoder_learning_rate: float = 1e-3
    steps: int = 8
    lstm_hidden: int = 32
    lstm_layers: int = 3
    dropout: float = 0.3
    graph_steps: int = 4
    graph_dimension: int = 4
    graph_folds: int = 10
    mirna_nodes: tuple[str, ...] = ()
    gene_nodes: tuple[str, ...] = ()


def pair_vector_width(config: AemigapConfig) -> int:
    """Length of a pair vector: two node rows and two composition vectors."""
    return 2 * node_width(config) + 2 * 4**COMPOSITION_K


def _layers(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (size_in, size_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(size_in, size_out))
        if index < len(sizes) - 2:
            layers += [nn.BatchNorm1d(size_out), nn.LeakyReLU(0.1)]
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """``(batch, width)`` -> latent ``(batch, latent)`` and reconstruction ``(batch, width)``."""

    def __init__(self, width: int, config: AemigapConfig) -> None:
        super().__init__()
        sizes = [width, *config.encoder_sizes, config.latent]
        self.encoder = _layers(sizes)
        self.decoder = _layers(sizes[::-1])

    def forward(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and reconstruct pair vectors.

        Parameters
        ----------
        values : torch.Tensor, shape (batch, width), float32
            Standardised pair vectors (:meth:`AemigapNet.pair_vectors`).

        Returns
        -------
        latent : torch.Tensor, shape (batch, latent), float32
            The encoder output.
        reconstruction : torch.Tensor, shape (batch, width), float32
            The decoder's reconstruction of ``values``.
        """
        latent = self.encoder(values)
        return latent, self.decoder(latent)


class AemigapNet(nn.Module):
    """Pair vector -> frozen autoencoder latent -> 3-layer LSTM over chunks -> logit.

    Inputs: ``mirna_composition`` and ``target_composition`` ``(batch, 64)`` 3-mer frequencies,
    ``mirna_node``, ``gene_node`` ``(batch,)`` node indices (-1 = unseen), ``graph_view`` ``(batch,)``.
    Output logits ``(batch,)``.
    """

    def __init__(self, config: AemigapConfig) -> None:
        super().__init__()
        self.config = config
        width = node_width(config)
        self.nodes = NodeTables(len(config.mirna_nodes), len(config.gene_nodes), width)
        self.node_standardise = Standardise(width)
        self.composition_standardise = Standardise(2 * 4**COMPOSITION_K)
        vector = pair_vector_width(config)
        self.autoencoder = Autoencoder(vector, config)
        total = vector + config.latent
        self.chunk = -(-total // config.steps)
        self.padding = self.chunk * config.steps - total
        self.lstm = nn.LSTM(self.chunk, config.lstm_hidden, num_layers=config.lstm_layers, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(config.lstm_hidden, 1))
        self.autoencoder_frozen = False

    def train(self, mode: bool = True) -> AemigapNet:
        """Set training mode like :meth:`torch.nn.Module.train`; a frozen autoencoder stays in eval mode."""
        super().train(mode)
        if self.autoencoder_frozen:
            self.autoencoder.eval()  # its batch-norm statistics stay those of pre-training
        return self

    def pair_vectors(
        self,
        mirna_composition: torch.Tensor,
        target_composition: torch.Tensor,
        mirna_node: torch.Tensor,
        gene_node: torch.Tensor,
        graph_view: torch.Tensor,
    ) -> torch.Tensor:
        """Standardised pair vectors ``(batch, pair_vector_width)``."""
        mirna_rows, gene_rows = self.nodes(mirna_node, gene_node, graph_view)
        composition = self.composition_standardise(torch.cat([mirna_composition, target_composition], dim=1))
        return torch.cat(
            [self.node_standardise(mirna_rows), self.node_standardise(gene_rows), composition], dim=1
        )

    def forward(
        self,
        mirna_composition: torch.Tensor,
        target_composition: torch.Tensor,
        mirna_node: torch.Tensor,
        gene_node: torch.Tensor,
        graph_view: torch.Tensor,
    ) -> torch.Tensor:
        """Score miRNA-gene pairs.

        Parameters
        ----------
        mirna_composition, target_composition : torch.Tensor, shape (batch, 64), float32
            3-mer frequencies of the miRNA and of the target sequence (zeros for a pair without one).
        mirna_node : torch.Tensor, shape (batch,), int64
            Index of the miRNA among the training graph's ``mirna_nodes``; -1 = unseen.
        gene_node : torch.Tensor, shape (batch,), int64
            Index of the gene among ``gene_nodes``; -1 = unseen.
        graph_view : torch.Tensor, shape (batch,), int64
            0 = the saved graph; ``f > 0`` = fold ``f - 1``'s cross-fitted graph (training only).

        Returns
        -------
        torch.Tensor, shape (batch,), float
            Association logits.
        """
        vectors = self.pair_vectors(mirna_composition, target_composition, mirna_node, gene_node, graph_view)
        latent, _ = self.autoencoder(vectors)
        combined = torch.cat([vectors, latent], dim=1)
        if self.padding:
            combined = nn.functional.pad(combined, (0, self.padding))
        states, _ = self.lstm(combined.reshape(combined.shape[0], self.config.steps, self.chunk))
        return self.head(states[:, -1]).squeeze(-1)


def composition(sequences: Sequence[str]) -> np.ndarray:
    """3-mer frequencies of each sequence (computed once per distinct sequence), shape ``(n, 64)`` float32."""

    def frequencies(distinct: list[str]) -> np.ndarray:
        rows = [
            kmer_frequencies(_codes(sequence, _NUCLEOTIDE_CODES), 4, COMPOSITION_K) for sequence in distinct
        ]
        return np.stack(rows) if rows else np.zeros((0, 4**COMPOSITION_K), dtype=np.float32)

    return per_distinct(sequences, frequencies)


class AemigapFamily(Family):
    """Registry entry for :class:`AemigapNet`."""

    name = "aemigap"
    task = "gene"
    config_class = AemigapConfig
    description = "AEmiGAP-style autoencoder latent + 3-layer LSTM on GraRep and k-mer pair vectors"
    uses_names = True

    def build(self, config: AemigapConfig) -> AemigapNet:
        """The untrained :class:`AemigapNet` for ``config`` (its node tables sized by the config's nodes)."""
        return AemigapNet(config)

    def featurize(
        self,
        config: AemigapConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
        *,
        mirna_ids: Sequence[str] | None = None,
        target_ids: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Composition and node arrays of the pairs.

        Parameters
        ----------
        mirna_ids, target_ids
            miRNA and gene names of the pairs, looked up among the config's nodes; None reads every pair as
            unseen.

        Returns
        -------
        dict of str to numpy.ndarray
            ``mirna_composition`` and ``target_composition`` ``(n_pairs, 64)`` float32 (:func:`composition`);
            ``mirna_node``, ``gene_node`` and ``graph_view`` ``(n_pairs,)`` int64.
        """
        features = {
            "mirna_composition": composition(mirnas),
            "target_composition": composition(targets),
        } | node_arrays(config, len(mirnas), mirna_ids, target_ids)
        if progress is not None:
            progress(len(mirnas), len(mirnas))
        return features

    def prepare(self, config: AemigapConfig, pairs: pd.DataFrame, seed: int) -> AemigapConfig:
        """``config`` with the training pairs' miRNA and gene names as nodes."""
        return prepare_nodes(config, pairs)

    def initialise_from_pairs(
        self,
        module: AemigapNet,
        config: AemigapConfig,
        pairs: pd.DataFrame,
        features: dict[str, np.ndarray],
        seed: int,
    ) -> dict[str, np.ndarray]:
        """Build the training graph, fit the standardisations, pre-train and freeze the autoencoder."""
        features, table, views = install_graph(module.nodes, config, pairs, features, seed)
        fit_node_standardise(module.node_standardise, table, views)
        module.composition_standardise.fit(
            np.concatenate([features["mirna_composition"], features["target_composition"]], axis=1)
        )
        generator = torch.Generator().manual_seed(seed)
        inputs = {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in features.items()}
        with torch.no_grad():
            vectors = module.pair_vectors(**inputs)
        optimiser = torch.optim.Adam(module.autoencoder.parameters(), lr=config.autoencoder_learning_rate)
        module.autoencoder.train()
        for _ in range(config.autoencoder_epochs):
            order = torch.randperm(len(vectors), generator=generator)
            for start in range(0, len(vectors), 256):
                batch = vectors[order[start : start + 256]]
                if len(batch) < 2:
                    continue  # batch norm needs two rows
                _, reconstruction = module.autoencoder(batch)
                loss = nn.functional.mse_loss(reconstruction, batch)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        for parameter in module.autoencoder.parameters():
            parameter.requires_grad_(False)
        module.autoencoder_frozen = True
        module.autoencoder.eval()
        return features
