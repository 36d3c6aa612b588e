"""``mixlmi``: MixLMI-style multi-scale ConvLSTM on complex sequence and structure features (plant lncRNAs).

After Kang et al. (2024, MixLMI): every pair becomes the 11,860 complex features of
:mod:`rnaapp.composition` (k-mer and g-gap frequencies of both sequences and of their RNAfold MFE
structures, fused by the arithmetic mean). The vector is read at three scales, reshaped (zero-padded) to
2 x 5930, 3 x 3954 and 4 x 2965; each scale goes through its own ConvLSTM block (the rows as input channels of
two 1-D convolutions with 32 and 64 filters and max pooling, an LSTM over the pooled positions, a dense layer
with dropout) to a probability, and the probabilities of the scales are averaged.

Beyond the paper, ``site_features=True`` adds the explicit pairing evidence of
:mod:`rnaapp.complementarity` (psRNATarget-style best site, ViennaRNA duplex energies), embedded by a small
dense layer and given to every scale's classifier.

Structures of long lncRNAs are folded locally (``max_bp_span``, pieces of ``fold_window`` nt), in parallel
and cached on disk (:func:`rnaapp.structure.fold_many`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.complementarity import feature_names as site_feature_names
from rnaapp.complementarity import site_features as compute_site_features
from rnaapp.composition import FUSIONS, GROUPS, complex_feature_size, complex_features
from rnaapp.models.base import Family, Progress
from rnaapp.structure import fold_many

#: Sequences left to fold above which folding uses a process per core.
PARALLEL_FOLD_MINIMUM = 16


@dataclass(frozen=True)
class MixlmiConfig:
    """Settings of the MixLMI-style model.

    Attributes
    ----------
    groups
        Feature groups used (subset of :data:`rnaapp.composition.GROUPS`; ``("sequence_kmer",)`` is the
        "k-mer features only" ablation).
    fusion
        ``"arithmetic"`` (MixLMI) or ``"geometric"`` mean fusion.
    scales
        Row counts of the reshaped vector, one ConvLSTM block each (MixLMI: 2, 3, 4).
    filters, kernel_size, pool_size
        The two convolutions' filter counts, their width, and the max-pooling factor after each.
    lstm_hidden, dense, dropout
        LSTM state size, dense layer size, dropout before the output (MixLMI: 0.5).
    residual
        Add a projection of the LSTM input to its output (the residual-LSTM ablation).
    site_features
        Also use the pairing features of :mod:`rnaapp.complementarity`.
    site_feature_set
        Which of them (a key of :data:`rnaapp.complementarity.FEATURE_SETS`): ``"sites"`` or
        ``"sites+duplex"`` (also the shape of the ViennaRNA duplex).
    max_bp_span, fold_window
        Local folding of the structures (see :func:`rnaapp.structure.fold_many`).
    """

    groups: tuple[str, ...] = GROUPS
    fusion: str = "arithmetic"
    scales: tuple[int, ...] = (2, 3, 4)
    filters: tuple[int, int] = (32, 64)
    kernel_size: int = 3
    pool_size: int = 8
    lstm_hidden: int = 32
    dense: int = 32
    dropout: float = 0.5
    residual: bool = False
    site_features: bool = False
    site_feature_set: str = "sites"
    max_bp_span: int = 150
    fold_window: int = 300

    def __post_init__(self) -> None:
        unknown = sorted(set(self.groups) - set(GROUPS))
        if unknown or not self.groups:
            raise ValueError(f"groups must be a non-empty subset of {', '.join(GROUPS)}; got {self.groups}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        if not self.scales or min(self.scales) < 1:
            raise ValueError(f"scales must be positive row counts, got {self.scales}")
        site_feature_names(self.site_feature_set, setting="site_feature_set")

    @property
    def uses_structure(self) -> bool:
        """Whether a feature group reads RNAfold structures (then featurising folds the sequences)."""
        return any(group.startswith("structure") for group in self.groups)


def reshape_scale(features: torch.Tensor, rows: int) -> torch.Tensor:
    """Zero-pad ``(batch, n)`` features to a multiple of ``rows`` and reshape to ``(batch, rows, ceil(n / rows))``."""
    width = math.ceil(features.shape[1] / rows)
    padded = nn.functional.pad(features, (0, rows * width - features.shape[1]))
    return padded.reshape(features.shape[0], rows, width)


class Standardise(nn.Module):
    """``(x - mean) / std`` with the statistics of the training data held as buffers (set by the family)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("std", torch.ones(size))

    def fit(self, values: np.ndarray) -> None:
        """Set the statistics from ``values`` ``(n, size)``."""
        with torch.no_grad():
            self.mean.copy_(torch.from_numpy(values.mean(0).astype(np.float32)))
            self.std.copy_(torch.from_numpy(values.std(0).astype(np.float32) + 1e-6))

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        """Standardise ``values``.

        Parameters
        ----------
        values : torch.Tensor, shape (batch, size), float32
            Raw feature rows.

        Returns
        -------
        torch.Tensor, shape (batch, size), float32
            ``(values - mean) / std``, column by column.
        """
        return (values - self.mean) / self.std


class ConvLstmBlock(nn.Module):
    """One scale: ``(batch, rows, width)`` -> logit ``(batch,)``, optionally with extra features for the head."""

    def __init__(self, rows: int, config: MixlmiConfig, extra: int = 0) -> None:
        super().__init__()
        first, second = config.filters
        padding = config.kernel_size // 2
        self.convolutions = nn.Sequential(
            nn.Conv1d(rows, first, config.kernel_size, padding=padding),
            nn.ReLU(),
            nn.MaxPool1d(config.pool_size, ceil_mode=True),
            nn.Conv1d(first, second, config.kernel_size, padding=padding),
            nn.ReLU(),
            nn.MaxPool1d(config.pool_size, ceil_mode=True),
        )
        self.lstm = nn.LSTM(second, config.lstm_hidden, batch_first=True)
        self.skip = nn.Linear(second, config.lstm_hidden) if config.residual else None
        self.head = nn.Sequential(
            nn.Linear(config.lstm_hidden + extra, config.dense),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.dense, 1),
        )

    def forward(self, scaled: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        """Score the pairs at this block's scale.

        Parameters
        ----------
        scaled : torch.Tensor, shape (batch, rows, width), float32
            Standardised complex features reshaped by :func:`reshape_scale` (``width = ceil(n / rows)``).
        extra : torch.Tensor, shape (batch, extra), float32, optional
            Features appended to the LSTM's last state before the head (the encoded pairing features);
            given exactly when the block was built with ``extra > 0``.

        Returns
        -------
        torch.Tensor, shape (batch,), float
            This scale's logits.
        """
        steps = self.convolutions(scaled).transpose(1, 2)  # (batch, positions, filters)
        states, _ = self.lstm(steps)
        if self.skip is not None:
            states = states + self.skip(steps)
        pooled = states[:, -1]
        if extra is not None:
            pooled = torch.cat([pooled, extra], dim=1)
        return self.head(pooled).squeeze(-1)


class MixlmiNet(nn.Module):
    """Multi-scale ConvLSTM.

    Inputs ``complex_features`` ``(batch, complex_feature_size(groups))`` float32 and, with
    ``site_features``, ``site`` ``(batch, len(FEATURE_SETS[site_feature_set]))`` float32; output logits ``(batch,)``:
    the logit of the mean of the scales' probabilities.
    """

    def __init__(self, config: MixlmiConfig) -> None:
        super().__init__()
        self.config = config
        size = complex_feature_size(config.groups)
        self.standardise = Standardise(size)
        site_size = 16 if config.site_features else 0
        if config.site_features:
            site_count = len(site_feature_names(config.site_feature_set))
            self.site_standardise = Standardise(site_count)
            self.site_encoder = nn.Sequential(nn.Linear(site_count, site_size), nn.ReLU())
        self.blocks = nn.ModuleList(ConvLstmBlock(rows, config, site_size) for rows in config.scales)

    def scale_logits(self, complex_features: torch.Tensor, site: torch.Tensor | None = None) -> torch.Tensor:
        """Each scale's logit, ``(batch, len(scales))``."""
        values = self.standardise(complex_features)
        extra = self.site_encoder(self.site_standardise(site)) if self.config.site_features else None
        return torch.stack(
            [
                block(reshape_scale(values, rows), extra)
                for rows, block in zip(self.config.scales, self.blocks, strict=True)
            ],
            dim=1,
        )

    def forward(self, complex_features: torch.Tensor, site: torch.Tensor | None = None) -> torch.Tensor:
        """Score plant miRNA-lncRNA pairs.

        Parameters
        ----------
        complex_features : torch.Tensor, shape (batch, complex_feature_size(groups)), float32
            Complex sequence and structure features (:func:`rnaapp.composition.complex_features`),
            standardised inside.
        site : torch.Tensor, shape (batch, len(FEATURE_SETS[site_feature_set])), float32, optional
            Pairing features (:func:`rnaapp.complementarity.site_features`); required with
            ``site_features``, ignored without.

        Returns
        -------
        torch.Tensor, shape (batch,), float
            Interaction logits: the logit of the mean of the scales' probabilities.
        """
        return mean_probability_logit(self.scale_logits(complex_features, site))


def mean_probability_logit(logits: torch.Tensor) -> torch.Tensor:
    """The logit of the mean probability of ``(batch, members)`` logits, computed stably. Shape ``(batch,)``."""
    log_mean = torch.logsumexp(nn.functional.logsigmoid(logits), dim=1) - math.log(logits.shape[1])
    log_mean_negative = torch.logsumexp(nn.functional.logsigmoid(-logits), dim=1) - math.log(logits.shape[1])
    return log_mean - log_mean_negative


def fold_structures(
    sequences: Sequence[str], max_bp_span: int, fold_window: int, progress: Progress | None = None
) -> list[str]:
    """MFE structures through the disk cache, folding in parallel when many are missing."""
    return fold_many(
        sequences,
        max_bp_span=max_bp_span,
        window=fold_window,
        workers=os.cpu_count() or 1 if len(set(sequences)) > PARALLEL_FOLD_MINIMUM else 1,
        progress=progress,
    )


def plant_site_features(
    config: MixlmiConfig, mirnas: Sequence[str], targets: Sequence[str], progress: Progress | None = None
) -> dict[str, np.ndarray]:
    """``{"site": ...}`` (the config's ``site_feature_set``) when it uses pairing features, else ``{}``."""
    if not config.site_features:
        return {}
    return {
        "site": compute_site_features(mirnas, targets, feature_set=config.site_feature_set, progress=progress)
    }


class MixlmiFamily(Family):
    """Registry entry for :class:`MixlmiNet`."""

    name = "mixlmi"
    task = "plant"
    config_class = MixlmiConfig
    description = "MixLMI-style multi-scale ConvLSTM on k-mer/g-gap sequence and RNAfold structure features"

    def build(self, config: MixlmiConfig) -> MixlmiNet:
        """The untrained :class:`MixlmiNet` for ``config``."""
        return MixlmiNet(config)

    def featurize(
        self,
        config: MixlmiConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The complex features of each pair (folding the structures first when a group needs them).

        Returns
        -------
        dict of str to numpy.ndarray
            ``complex_features`` ``(n_pairs, complex_feature_size(groups))`` float32 and, with
            ``site_features``, ``site`` ``(n_pairs, len(FEATURE_SETS[site_feature_set]))`` float32.
        """
        mirnas, targets = list(mirnas), list(targets)
        total = len(mirnas)
        # Progress: folding is most of the cost; report it over the first 80 %.
        fold_progress = None
        if progress is not None:

            def fold_progress(done: int, count: int) -> None:
                progress(int(0.8 * total * done / max(count, 1)), total)

        mirna_structures = target_structures = None
        if config.uses_structure:
            structures = fold_structures(
                mirnas + targets, config.max_bp_span, config.fold_window, fold_progress
            )
            mirna_structures, target_structures = structures[:total], structures[total:]
        features = {
            "complex_features": complex_features(
                mirnas,
                targets,
                mirna_structures,
                target_structures,
                groups=config.groups,
                fusion=config.fusion,
            )
        }
        features |= plant_site_features(config, mirnas, targets)
        if progress is not None:
            progress(total, total)
        return features

    def initialise(
        self,
        module: MixlmiNet,
        config: MixlmiConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Standardise every input feature with its mean and spread over the training pairs."""
        if features is None:
            features = self.featurize(config, mirnas, targets)
        module.standardise.fit(features["complex_features"])
        if config.site_features:
            module.site_standardise.fit(features["site"])
