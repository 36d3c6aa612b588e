"""``plant_ensemble``: the probability average of a ``mixlmi`` and a ``premli`` model.

The members are a :mod:`mixlmi <rnaapp.models.mixlmi>` and a :mod:`premli <rnaapp.models.premli>` model.
The module holds both members; its output is the logit of the mean of their probabilities. Trained through
the common loop, both members learn together from the loss of the averaged probability; the benchmark
instead joins two separately trained members with :func:`join_members`. Its attention map is the preMLI
member's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from rnaapp.models.base import Family, Progress, config_from_dict, config_to_dict
from rnaapp.models.mixlmi import (
    MixlmiConfig,
    MixlmiFamily,
    MixlmiNet,
    mean_probability_logit,
    plant_site_features,
)
from rnaapp.models.premli import PremliConfig, PremliFamily, PremliNet


@dataclass(frozen=True)
class PlantEnsembleConfig:
    """Settings of the ensemble: each member's settings (as in its own config) that differ from the defaults.

    Attributes
    ----------
    mixlmi, premli
        Setting name -> value for :class:`MixlmiConfig` and :class:`PremliConfig`.
    """

    mixlmi: dict[str, Any] = field(default_factory=dict)
    premli: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        mixlmi_config, premli_config = self.members()  # validate both member configs early
        if (
            mixlmi_config.site_features
            and premli_config.site_features
            and mixlmi_config.site_feature_set != premli_config.site_feature_set
        ):
            raise ValueError(
                "both members read the same pairing features: site_feature_set "
                f"{mixlmi_config.site_feature_set!r} (mixlmi) differs from {premli_config.site_feature_set!r} (premli)"
            )

    def members(self) -> tuple[MixlmiConfig, PremliConfig]:
        """The two members' config objects."""
        return config_from_dict(MixlmiConfig, self.mixlmi), config_from_dict(PremliConfig, self.premli)


class PlantEnsembleNet(nn.Module):
    """A :class:`MixlmiNet` and a :class:`PremliNet` whose probabilities are averaged.

    Inputs are the union of the members' (``complex_features``, ``mirna_tokens``, ``target_tokens`` and,
    when a member uses it, ``site``). Output logits ``(batch,)``, and with ``return_attention`` the preMLI
    member's attention.
    """

    def __init__(self, config: PlantEnsembleConfig) -> None:
        super().__init__()
        mixlmi_config, premli_config = config.members()
        self.mixlmi = MixlmiNet(mixlmi_config)
        self.premli = PremliNet(premli_config)

    def forward(
        self,
        complex_features: torch.Tensor,
        mirna_tokens: torch.Tensor,
        target_tokens: torch.Tensor,
        site: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Score plant miRNA-lncRNA pairs with both members.

        Parameters
        ----------
        complex_features : torch.Tensor, shape (batch, complex_feature_size(mixlmi groups)), float32
            The MixLMI member's input (see :meth:`MixlmiNet.forward`).
        mirna_tokens : torch.Tensor, shape (batch, mirna_tokens), int16
            The preMLI member's miRNA k-mer tokens (see :meth:`PremliNet.forward`).
        target_tokens : torch.Tensor, shape (batch, target_tokens), int16
            The preMLI member's lncRNA k-mer tokens.
        site : torch.Tensor, shape (batch, len(FEATURE_SETS[site_feature_set])), float32, optional
            Pairing features, given to both members; required when a member uses them.
        return_attention : bool
            Also return the preMLI member's attention map.

        Returns
        -------
        logits : torch.Tensor, shape (batch,), float
            The logit of the mean of the two members' probabilities.
        attention : torch.Tensor, shape (batch, mirna_steps, target_steps), float
            Only with ``return_attention``: the preMLI member's attention.
        """
        mixlmi_logits = self.mixlmi(complex_features, site)
        premli_output = self.premli(mirna_tokens, target_tokens, site, return_attention=return_attention)
        premli_logits = premli_output[0] if return_attention else premli_output
        logits = mean_probability_logit(torch.stack([mixlmi_logits, premli_logits], dim=1))
        return (logits, premli_output[1]) if return_attention else logits


def join_members(mixlmi: MixlmiNet, premli: PremliNet) -> tuple[PlantEnsembleNet, PlantEnsembleConfig]:
    """An ensemble module (eval mode) from two trained members, with its config."""
    defaults_mixlmi, defaults_premli = config_to_dict(MixlmiConfig()), config_to_dict(PremliConfig())
    config = PlantEnsembleConfig(
        mixlmi={k: v for k, v in config_to_dict(mixlmi.config).items() if defaults_mixlmi[k] != v},
        premli={k: v for k, v in config_to_dict(premli.config).items() if defaults_premli[k] != v},
    )
    ensemble = PlantEnsembleNet(config)
    ensemble.mixlmi.load_state_dict(mixlmi.state_dict())
    ensemble.premli.load_state_dict(premli.state_dict())
    return ensemble.eval(), config


def _share_of(progress: Progress | None, total: int, start: float, end: float) -> Progress | None:
    """``progress`` for one step that covers the fraction ``start``–``end`` of ``total`` pairs."""
    if progress is None:
        return None

    def report(done: int, count: int) -> None:
        fraction = start + (end - start) * done / max(count, 1)
        progress(min(int(fraction * total), total), total)

    return report


class PlantEnsembleFamily(Family):
    """Registry entry for :class:`PlantEnsembleNet`."""

    name = "plant_ensemble"
    task = "plant"
    config_class = PlantEnsembleConfig
    description = "Average of a MixLMI-style and a preMLI-style model's probabilities"
    has_attention = True

    def build(self, config: PlantEnsembleConfig) -> PlantEnsembleNet:
        """The untrained :class:`PlantEnsembleNet` with both members built from ``config.members()``."""
        return PlantEnsembleNet(config)

    def featurize(
        self,
        config: PlantEnsembleConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """Both members' features, the pairing features computed once for both.

        Returns
        -------
        dict of str to numpy.ndarray
            ``complex_features`` (as :meth:`MixlmiFamily.featurize`), ``mirna_tokens`` and
            ``target_tokens`` (as :meth:`PremliFamily.featurize`) and, when a member uses them, ``site``
            ``(n_pairs, len(FEATURE_SETS[site_feature_set]))`` float32.
        """
        mixlmi_config, premli_config = config.members()
        site_member = mixlmi_config if mixlmi_config.site_features else premli_config
        # Folding (MixLMI) and the pairing features (duplexes on windows of every target) both take long on
        # lncRNAs: each reports its own share of one bar, so progress never stands still for minutes.
        fold_share = 0.5 if site_member.site_features else 1.0
        without_sites = dataclasses.replace(mixlmi_config, site_features=False)
        features = MixlmiFamily().featurize(
            without_sites, mirnas, targets, _share_of(progress, len(targets), 0.0, fold_share)
        )
        features |= PremliFamily().featurize(
            dataclasses.replace(premli_config, site_features=False), mirnas, targets
        )
        features |= plant_site_features(  # {} when neither member uses them
            site_member, mirnas, targets, _share_of(progress, len(targets), fold_share, 1.0)
        )
        if progress is not None:
            progress(len(targets), len(targets))
        return features

    def initialise(
        self,
        module: PlantEnsembleNet,
        config: PlantEnsembleConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Initialise both members as their own families do."""
        mixlmi_config, premli_config = config.members()
        if features is None:
            features = self.featurize(config, mirnas, targets)
        MixlmiFamily().initialise(module.mixlmi, mixlmi_config, mirnas, targets, seed, features)
        PremliFamily().initialise(module.premli, premli_config, mirnas, targets, seed, features)

    def attention_to_nucleotides(
        self, attention: np.ndarray, config: PlantEnsembleConfig, mirna: str, target: str
    ) -> np.ndarray:
        """The preMLI member's attention on nucleotides (:meth:`PremliFamily.attention_to_nucleotides`)."""
        return PremliFamily().attention_to_nucleotides(attention, config.members()[1], mirna, target)
