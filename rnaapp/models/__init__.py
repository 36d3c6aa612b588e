"""Model families: each a pure ``torch.nn.Module`` plus a frozen dataclass config, looked up by name."""

from __future__ import annotations

from rnaapp.models.aemigap import AemigapFamily
from rnaapp.models.base import Family, config_from_dict, config_to_dict
from rnaapp.models.grmmi import GrmmiFamily
from rnaapp.models.hybrid_mfe import HybridMfeFamily
from rnaapp.models.mirna_site import MirnaSiteFamily
from rnaapp.models.mitar import MitarFamily
from rnaapp.models.mixlmi import MixlmiFamily
from rnaapp.models.pairing_mlp import PairingMlpFamily
from rnaapp.models.plant_ensemble import PlantEnsembleFamily
from rnaapp.models.premli import PremliFamily
from rnaapp.models.seed_rule import SeedRuleFamily

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        MirnaSiteFamily(),
        SeedRuleFamily(),
        HybridMfeFamily(),
        MitarFamily(),
        MixlmiFamily(),
        PremliFamily(),
        PlantEnsembleFamily(),
        PairingMlpFamily(),
        GrmmiFamily(),
        AemigapFamily(),
    )
}

TASKS = {
    "site": "miRNA-mRNA target site",
    "plant": "plant miRNA-lncRNA",
    "gene": "miRNA-gene association",
}


def get_family(name: str) -> Family:
    """The family registered as ``name``.

    Raises
    ------
    KeyError
        With the list of known families.
    """
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown model family {name!r}; known: {', '.join(sorted(FAMILIES))}") from None


__all__ = ["FAMILIES", "TASKS", "Family", "config_from_dict", "config_to_dict", "get_family"]
