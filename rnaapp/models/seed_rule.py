"""``seed_rule`` baseline: the canonical seed site type of the pair, mapped to a score.

The module is a lookup table (one logit per site type: none, offset-6mer, 6mer, 7mer-A1, 7mer-m8, 8mer)
fitted by the common training loop, so the score is the calibrated log-odds of each site type in the
training data. It is the one-line rule that deep site models must beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.models.base import Family, Progress
from rnaapp.sites import SITE_RANK, site_type_codes


@dataclass(frozen=True)
class SeedRuleConfig:
    """Settings of the seed-rule baseline (none: the site types are fixed)."""


class SeedRuleNet(nn.Module):
    """One learnable logit per site type.

    Input ``site_codes`` ``(batch,)`` int64 ranks (0 = no site ... 5 = 8mer); output logits ``(batch,)``.
    """

    def __init__(self, config: SeedRuleConfig | None = None) -> None:
        super().__init__()
        self.logits = nn.Embedding(len(SITE_RANK), 1)
        with torch.no_grad():
            self.logits.weight.copy_(torch.linspace(-2.0, 2.0, len(SITE_RANK)).unsqueeze(1))

    def forward(self, site_codes: torch.Tensor) -> torch.Tensor:
        """Look up the logit of each pair's site type.

        Parameters
        ----------
        site_codes : torch.Tensor, shape (batch,), int64
            Strongest canonical site type of each pair as :data:`rnaapp.sites.SITE_RANK` codes
            (0 = no site, 1 = offset-6mer ... 5 = 8mer).

        Returns
        -------
        torch.Tensor, shape (batch,), float
            Interaction logits.
        """
        return self.logits(site_codes).squeeze(-1)


class SeedRuleFamily(Family):
    """Registry entry for :class:`SeedRuleNet`."""

    name = "seed_rule"
    task = "site"
    config_class = SeedRuleConfig
    description = "Baseline: best canonical seed site type (8mer ... offset-6mer, none) -> calibrated score"

    def build(self, config: SeedRuleConfig) -> SeedRuleNet:
        """The untrained :class:`SeedRuleNet` (logits spread evenly from -2 to 2 over the site types)."""
        return SeedRuleNet(config)

    def featurize(
        self,
        config: SeedRuleConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The strongest canonical site type of each pair.

        Returns
        -------
        dict of str to numpy.ndarray
            ``site_codes`` ``(n_pairs,)`` int64 (:func:`rnaapp.sites.site_type_codes`).
        """
        codes = site_type_codes(mirnas, targets).astype(np.int64)
        if progress is not None:
            progress(len(mirnas), len(mirnas))
        return {"site_codes": codes}
