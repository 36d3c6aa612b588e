"""``pairing_mlp`` baseline (plant): a small dense network on the pairing features alone.

It reads only the numbers of :func:`rnaapp.complementarity.site_features` (best psRNATarget-style site,
ViennaRNA duplex energies, lncRNA length; with ``site_feature_set="sites+duplex"`` also the shape of the
duplex) and no sequence composition, so it measures how far explicit
complementarity goes on its own, and what the sequence branches of ``mixlmi`` and ``premli`` add to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.complementarity import feature_names as site_feature_names
from rnaapp.complementarity import site_features
from rnaapp.models.base import Family, Progress
from rnaapp.models.mixlmi import Standardise


@dataclass(frozen=True)
class PairingMlpConfig:
    """Settings of the pairing-feature baseline.

    Attributes
    ----------
    hidden, dropout
        Size of the hidden layer and dropout before the output.
    site_feature_set
        The pairing features read (a key of :data:`rnaapp.complementarity.FEATURE_SETS`).
    """

    hidden: int = 32
    dropout: float = 0.1
    site_feature_set: str = "sites"

    def __post_init__(self) -> None:
        site_feature_names(self.site_feature_set, setting="site_feature_set")


class PairingMlpNet(nn.Module):
    """Input ``site`` ``(batch, len(FEATURE_SETS[site_feature_set]))`` float32; output logits ``(batch,)``."""

    def __init__(self, config: PairingMlpConfig) -> None:
        super().__init__()
        site_count = len(site_feature_names(config.site_feature_set))
        self.standardise = Standardise(site_count)
        self.layers = nn.Sequential(
            nn.Linear(site_count, config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, 1),
        )

    def forward(self, site: torch.Tensor) -> torch.Tensor:
        """Score plant miRNA-lncRNA pairs from their pairing features.

        Parameters
        ----------
        site : torch.Tensor, shape (batch, len(FEATURE_SETS[site_feature_set])), float32
            Pairing features of :func:`rnaapp.complementarity.site_features`, standardised inside.

        Returns
        -------
        torch.Tensor, shape (batch,), float
            Interaction logits.
        """
        return self.layers(self.standardise(site)).squeeze(-1)


class PairingMlpFamily(Family):
    """Registry entry for :class:`PairingMlpNet`."""

    name = "pairing_mlp"
    task = "plant"
    config_class = PairingMlpConfig
    description = (
        "Baseline: dense network on pairing features only (best complementary site, duplex energies)"
    )

    def build(self, config: PairingMlpConfig) -> PairingMlpNet:
        """The untrained :class:`PairingMlpNet` for ``config``."""
        return PairingMlpNet(config)

    def featurize(
        self,
        config: PairingMlpConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The pairing features of each pair.

        Returns
        -------
        dict of str to numpy.ndarray
            ``site`` ``(n_pairs, len(FEATURE_SETS[site_feature_set]))`` float32
            (:func:`rnaapp.complementarity.site_features`).
        """
        return {
            "site": site_features(mirnas, targets, feature_set=config.site_feature_set, progress=progress)
        }

    def initialise(
        self,
        module: PairingMlpNet,
        config: PairingMlpConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Standardise the features with their training mean and spread."""
        if features is None:
            features = self.featurize(config, mirnas, targets)
        module.standardise.fit(features["site"])
