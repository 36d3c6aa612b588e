"""The plant miRNA-lncRNA families: MixLMI multi-scale reshaping, preMLI padding invariance, the ensemble."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from rnaapp.models.mixlmi import MixlmiConfig, MixlmiNet, mean_probability_logit, reshape_scale
from rnaapp.models.plant_ensemble import join_members
from rnaapp.predict import predict
from rnaapp.train import fit, training_config_for
from tests.conftest import reverse_complement


def plant_pairs(count: int = 48, seed: int = 0) -> pd.DataFrame:
    """Random 21-nt miRNAs and 80-300 nt 'lncRNAs'; positives hold the miRNA's full reverse complement."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    rows = []
    for index in range(count):
        mirna = "".join(rng.choice(letters, 21))
        target = "".join(rng.choice(letters, int(rng.integers(80, 300))))
        if index % 2:
            start = int(rng.integers(0, len(target) - 21))
            target = target[:start] + reverse_complement(mirna) + target[start + 21 :]
        rows.append({"mirna_seq": mirna, "target_seq": target, "label": index % 2})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("rows", "width", "padding"), [(2, 5930, 0), (3, 3954, 2), (4, 2965, 0)])
def test_reshape_scales_pad_with_zeros(rows, width, padding):
    features = torch.arange(1, 11_861, dtype=torch.float32).repeat(2, 1)
    scaled = reshape_scale(features, rows)
    assert scaled.shape == (2, rows, width)
    flat = scaled.reshape(2, -1)
    assert torch.equal(flat[:, :11_860], features)
    assert flat.shape[1] - 11_860 == padding and not flat[:, 11_860:].any()


def test_mean_probability_logit_is_the_logit_of_the_mean_probability():
    logits = torch.tensor([[2.0, -1.0, 0.5], [-30.0, -25.0, 40.0]])
    expected = torch.logit(torch.sigmoid(logits.double()).mean(1)).float()
    torch.testing.assert_close(mean_probability_logit(logits), expected, atol=1e-4, rtol=1e-4)


def test_mixlmi_scales_and_site_features_shapes():
    config = MixlmiConfig(site_features=True, residual=True, scales=(2, 3, 4))
    module = MixlmiNet(config).eval()
    logits = module(torch.rand(3, 11_860), torch.rand(3, 12))
    assert logits.shape == (3,)
    assert module.scale_logits(torch.rand(3, 11_860), torch.rand(3, 12)).shape == (3, 3)
    with pytest.raises(ValueError, match="fusion"):
        MixlmiConfig(fusion="harmonic")
    with pytest.raises(ValueError, match="groups"):
        MixlmiConfig(groups=("codons",))


def test_duplex_feature_set_sizes_the_site_inputs_and_is_validated():
    from rnaapp.complementarity import FEATURE_SETS
    from rnaapp.models.pairing_mlp import PairingMlpConfig
    from rnaapp.models.plant_ensemble import PlantEnsembleConfig
    from rnaapp.models.premli import PremliConfig

    size = len(FEATURE_SETS["sites+duplex"])
    module = MixlmiNet(MixlmiConfig(site_features=True, site_feature_set="sites+duplex", scales=(4,))).eval()
    assert module(torch.rand(2, 11_860), torch.rand(2, size)).shape == (2,)
    for config_class in (MixlmiConfig, PremliConfig, PairingMlpConfig):
        with pytest.raises(ValueError, match="site_feature_set"):
            config_class(site_feature_set="everything")
    with pytest.raises(ValueError, match="same pairing features"):
        PlantEnsembleConfig(
            mixlmi={"site_features": True},
            premli={"site_features": True, "site_feature_set": "sites+duplex"},
        )


def test_pairing_mlp_on_duplex_features_trains_and_scores():
    pairs = plant_pairs()
    model = fit(
        "pairing_mlp",
        pairs,
        model_config={"site_feature_set": "sites+duplex"},
        training_config=training_config_for("pairing_mlp", {"epochs": 1, "batch_size": 16}),
    )
    scores = predict(model, pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist())
    assert scores.shape == (len(pairs),) and np.isfinite(scores).all()
    assert model.module.standardise.mean.shape == (23,)


@pytest.fixture(scope="module")
def trained():
    pairs = plant_pairs()
    settings = {"epochs": 1, "batch_size": 16}
    mixlmi = fit(
        "mixlmi",
        pairs,
        model_config={"site_features": True},
        training_config=training_config_for("mixlmi", settings),
    )
    premli = fit("premli", pairs, training_config=training_config_for("premli", settings))
    return pairs, mixlmi, premli


def test_premli_scores_do_not_depend_on_batch_or_padding(trained):
    pairs, _, premli = trained
    mirnas, targets = pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist()
    together = predict(premli, mirnas, targets, batch_size=7)
    alone = [
        predict(premli, [mirna], [target])[0] for mirna, target in zip(mirnas[:4], targets[:4], strict=True)
    ]
    np.testing.assert_allclose(together[:4], alone, atol=1e-5)
    # A 6-kb partner longer than the configured padding changes nothing for the others.
    long_target = "".join(np.random.default_rng(1).choice(list("ACGU"), 6000))
    with_long = predict(premli, [*mirnas[:4], mirnas[0]], [*targets[:4], long_target])
    np.testing.assert_allclose(with_long[:4], alone, atol=1e-5)


def test_premli_attention_covers_every_nucleotide(trained):
    pairs, _, premli = trained
    mirna, target = pairs["mirna_seq"][1], pairs["target_seq"][1]
    _, maps = predict(premli, [mirna], [target], return_attention=True)
    assert maps[0].shape == (len(mirna), len(target))
    assert np.isfinite(maps[0]).all() and (maps[0] >= 0).all()


def test_ensemble_of_trained_members_averages_their_probabilities(trained):
    from rnaapp.models import get_family
    from rnaapp.registry import ModelCard, TrainedModel

    pairs, mixlmi, premli = trained
    module, config = join_members(mixlmi.module, premli.module)
    assert config.mixlmi == {"site_features": True} and config.premli == {}
    card = ModelCard(name="ensemble", family="plant_ensemble", task="plant", config={})
    ensemble = TrainedModel(card=card, family=get_family("plant_ensemble"), config=config, module=module)
    mirnas, targets = pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist()
    expected = (predict(mixlmi, mirnas, targets) + predict(premli, mirnas, targets)) / 2
    np.testing.assert_allclose(predict(ensemble, mirnas, targets), expected, atol=1e-5)
    _, maps = predict(ensemble, mirnas[:1], targets[:1], return_attention=True)
    assert maps[0].shape == (len(mirnas[0]), len(targets[0]))


def test_ensemble_featurize_reports_the_pairing_features_too(tmp_path, monkeypatch):
    """Folding and the pairing features (both slow on lncRNAs) each move one bar; it ends at the total."""
    from rnaapp.models.plant_ensemble import PlantEnsembleConfig, PlantEnsembleFamily

    monkeypatch.setenv("RNAAPP_HOME", str(tmp_path))  # a private fold cache
    pairs = plant_pairs(count=8)
    config = PlantEnsembleConfig(mixlmi={"site_features": True, "scales": (4,)})
    calls: list[tuple[int, int]] = []
    PlantEnsembleFamily().featurize(
        config,
        list(pairs["mirna_seq"]),
        list(pairs["target_seq"]),
        lambda done, total: calls.append((done, total)),
    )
    done = [value for value, _ in calls]
    assert {total for _, total in calls} == {8}
    assert done == sorted(done) and done[-1] == 8
    assert any(value < 8 for value in done[len(done) // 2 :])  # the second half of the work still reports
