"""Each task's default model and baselines (rnaapp.tasks), on the shipped models."""

from __future__ import annotations

from rnaapp.registry import list_models
from rnaapp.tasks import TASK_BASELINE_FAMILIES, default_comparison, task_baselines, task_default_model


def test_site_comparison_starts_with_the_default_then_the_strongest_baseline():
    comparison = default_comparison("site")
    assert comparison[0] == task_default_model("site") == "mirna_site-combined"
    families = {card.name: card.family for card in list_models()}
    assert [families[name] for name in comparison[1:]] == ["mitar", "seed_rule", "hybrid_mfe"]


def test_plant_comparison_uses_plant_baselines():
    comparison = default_comparison("plant")
    assert comparison[0] == "plant-ensemble-duplex"
    assert "pairing_mlp-plant" in comparison
    assert not any(name.startswith(("mirna_site", "mitar", "seed_rule")) for name in comparison)


def test_first_model_leads_and_is_not_repeated():
    baselines = task_baselines("site")
    comparison = default_comparison("site", first=baselines[0])
    assert comparison[0] == baselines[0]
    assert len(comparison) == len(set(comparison))


def test_gene_task_has_no_installed_baseline():
    assert TASK_BASELINE_FAMILIES["gene"] == ()
    assert default_comparison("gene") == [task_default_model("gene")]
    assert task_default_model("no-such-task") is None
