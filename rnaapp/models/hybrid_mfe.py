"""``hybrid_mfe`` baseline: the ViennaRNA miRNA-target hybrid free energy, mapped to a score.

The score is a logistic function of ``RNA.duplexfold``'s minimum free energy (kcal/mol), with slope and
offset fitted by the common training loop. A more negative energy (a more stable duplex) gives a higher
score once fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.models.base import Family, Progress
from rnaapp.structure import estimate_hybrid_seconds, hybrid_energies


@dataclass(frozen=True)
class HybridMfeConfig:
    """Settings of the hybrid-MFE baseline.

    Attributes
    ----------
    temperature
        Folding temperature in degrees Celsius.
    """

    temperature: float = 37.0


class HybridMfeNet(nn.Module):
    """Logistic regression on the hybrid energy.

    Input ``energy`` ``(batch,)`` float32 kcal/mol; output logits ``(batch,)``.
    """

    def __init__(self, config: HybridMfeConfig | None = None) -> None:
        super().__init__()
        self.slope = nn.Parameter(torch.tensor(-0.3))
        self.bias = nn.Parameter(torch.tensor(-6.0))

    def forward(self, energy: torch.Tensor) -> torch.Tensor:
        """Map each pair's hybrid energy to a logit (``slope * energy + bias``).

        Parameters
        ----------
        energy : torch.Tensor, shape (batch,), float32
            Minimum free energy of the miRNA-target duplex in kcal/mol (negative = stable).

        Returns
        -------
        torch.Tensor, shape (batch,), float
            Interaction logits.
        """
        return self.slope * energy + self.bias


class HybridMfeFamily(Family):
    """Registry entry for :class:`HybridMfeNet`."""

    name = "hybrid_mfe"
    task = "site"
    config_class = HybridMfeConfig
    description = "Baseline: ViennaRNA duplexfold hybrid free energy -> calibrated score"

    def build(self, config: HybridMfeConfig) -> HybridMfeNet:
        """The untrained :class:`HybridMfeNet` (slope -0.3 per kcal/mol, bias -6)."""
        return HybridMfeNet(config)

    def featurize(
        self,
        config: HybridMfeConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The ViennaRNA duplex energy of each pair at ``config.temperature``.

        Returns
        -------
        dict of str to numpy.ndarray
            ``energy`` ``(n_pairs,)`` float32 kcal/mol (:func:`rnaapp.structure.hybrid_energies`).
        """
        energies = hybrid_energies(mirnas, targets, temperature=config.temperature, progress=progress)
        return {"energy": np.asarray(energies, dtype=np.float32)}

    def featurize_seconds(
        self, config: HybridMfeConfig, mirnas: Sequence[str], targets: Sequence[str]
    ) -> float:
        """:func:`rnaapp.structure.estimate_hybrid_seconds` of the pairs (one duplex over each whole target)."""
        return estimate_hybrid_seconds(mirnas, targets)
