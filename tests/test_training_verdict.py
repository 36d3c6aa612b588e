"""The verdict at the end of a training (issue 21, item 4): chance, no better than a baseline, or better.

The pure verdict on synthetic labels and probabilities; a one-epoch training on random labels judged
and stored in its card; the baselines scored through the one inference layer (own family left out); the
``rnaapp train`` output; cards without a verdict still read.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rnaapp.cli import main
from rnaapp.registry import list_models, load_model
from rnaapp.train import fit, judge_training, train_and_save, training_config_for
from rnaapp.verdict import (
    BASELINE_MARGIN,
    CHANCE_AUC,
    card_verdict,
    comparison_sample,
    headline,
    is_warning,
    training_verdict,
    verdict_words,
)

from .conftest import REPOSITORY, synthetic_pairs

RNG_SEED = 7


def _labels(count: int = 400) -> np.ndarray:
    return np.tile([0, 1], count // 2)


def _separating(labels: np.ndarray, noise: float, seed: int = RNG_SEED) -> np.ndarray:
    """Probabilities that separate the labels, blurred by ``noise`` (higher: a weaker model)."""
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + (labels - 0.5) * 0.6 + rng.normal(0, noise, labels.size), 0, 1)


def _random_labels(pairs: pd.DataFrame, seed: int = RNG_SEED) -> pd.DataFrame:
    shuffled = pairs.copy()
    shuffled["label"] = np.random.default_rng(seed).permutation(shuffled["label"].to_numpy())
    return shuffled


# ---------------------------------------------------------------------------------------------------------
# The pure verdict
# ---------------------------------------------------------------------------------------------------------


def test_random_probabilities_are_no_better_than_chance():
    labels = _labels()
    verdict = training_verdict(labels, np.random.default_rng(RNG_SEED).random(labels.size))
    assert verdict["level"] == "chance"
    assert verdict["auc"] <= CHANCE_AUC
    assert verdict["text"].startswith("no better than chance")
    assert is_warning(verdict) and headline(verdict) == "no better than chance"
    json.dumps(verdict, allow_nan=False)  # goes into a card as it is


def test_one_class_predicted_is_chance_even_with_a_ranking():
    labels = _labels()
    # every probability just above 0.5 (the measured case: a perfect 8mer scored 0.506), ranking a bit
    probabilities = 0.505 + 0.001 * _separating(labels, 0.3)
    verdict = training_verdict(labels, probabilities)
    assert verdict["auc"] > CHANCE_AUC  # the ranking alone would pass
    assert verdict["mcc"] == 0 and verdict["predicted_positive"] == 1.0
    assert verdict["level"] == "chance"
    assert "predicts every validation pair as interacting" in verdict["text"]


def test_a_model_behind_its_best_baseline():
    labels = _labels()
    weak, strong = _separating(labels, 0.5), _separating(labels, 0.1, seed=1)
    verdict = training_verdict(labels, weak, {"mitar-x": strong, "hybrid_mfe-x": weak[::-1]})
    assert verdict["level"] == "baseline"
    assert verdict["text"].startswith("no better than the baseline mitar-x: validation AUC")
    assert set(verdict["baselines"]) == {"mitar-x", "hybrid_mfe-x"}
    assert verdict["baselines"]["mitar-x"] > verdict["auc"]
    assert is_warning(verdict) and verdict_words({"verdict": verdict}) == "no better than a baseline"


def test_a_tie_within_the_margin_is_no_better():
    labels = _labels()
    model = _separating(labels, 0.3)
    verdict = training_verdict(labels, model, {"seed_rule-x": model.copy()})
    assert verdict["baselines"]["seed_rule-x"] == pytest.approx(verdict["auc"], abs=1e-4)
    assert BASELINE_MARGIN > 0 and verdict["level"] == "baseline"


def test_a_model_better_than_its_baselines():
    labels = _labels()
    verdict = training_verdict(labels, _separating(labels, 0.1), {"seed_rule-x": _separating(labels, 0.6)})
    assert verdict["level"] == "better" and not is_warning(verdict)
    assert verdict["text"].startswith("better than its baselines: validation AUC")
    assert "seed_rule-x" in verdict["text"] and "on the same 400 validation pairs" in verdict["text"]
    assert verdict_words({"verdict": verdict}) == "better than its baselines"


def test_without_baselines_it_is_compared_with_chance_only():
    labels = _labels()
    verdict = training_verdict(labels, _separating(labels, 0.1), {}, task="gene")
    assert verdict["level"] == "better"
    assert "the gene task has no installed baseline model" in verdict["text"]
    assert verdict_words({"verdict": verdict}) == "better than chance (no baseline compared)"


def test_baselines_compared_on_a_sample_and_skipped_ones_reported():
    labels = _labels(3000)
    model = _separating(labels, 0.2)
    positions = comparison_sample(labels, 500, seed=3)
    assert len(positions) == 500 and np.array_equal(positions, comparison_sample(labels, 500, seed=3))
    assert labels[positions].mean() == pytest.approx(0.5, abs=0.01)  # stratified
    verdict = training_verdict(
        labels,
        model,
        {"seed_rule-x": _separating(labels, 0.6)[positions]},
        compared=positions,
        skipped={"hybrid_mfe-x": "cannot score these pairs: too long"},
    )
    assert verdict["compared_pairs"] == 500 and verdict["pairs"] == 3000
    assert "on a stratified sample of 500 of the 3,000 validation pairs" in verdict["text"]
    assert "not compared: hybrid_mfe-x (cannot score these pairs: too long)" in verdict["text"]
    with pytest.raises(ValueError, match="compared pairs"):
        training_verdict(labels, model, {"seed_rule-x": model}, compared=positions)


def test_cards_without_a_verdict_read_as_none():
    assert card_verdict({}) is None and card_verdict(None) is None
    assert card_verdict({"verdict": {"level": "great", "text": "?"}}) is None
    assert card_verdict({"verdict": "no better than chance"}) is None
    assert verdict_words({"train_pairs": 10}) == ""
    assert not is_warning(None)


# ---------------------------------------------------------------------------------------------------------
# Trainings that save
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def shipped_baselines(monkeypatch):
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(REPOSITORY / "weights"))


def test_a_useless_training_gets_a_warning_verdict_in_its_card(user_home, shipped_baselines):
    pairs = _random_labels(synthetic_pairs(240, seed=5))
    events = []
    model = train_and_save(
        "seed_rule",
        pairs,
        name="useless",
        training_config=training_config_for("seed_rule", {"epochs": 1}),
        progress=events.append,
    )
    verdict = model.card.training["verdict"]
    assert verdict["level"] in ("chance", "baseline"), verdict["text"]
    assert is_warning(verdict)
    # the site baselines, without the model's own family
    assert set(verdict["baselines"]) == {"mitar-deepmirnatar", "hybrid_mfe-deepmirnatar"}
    assert verdict["seconds"] < 30
    assert [event for event in events if event.stage == "verdict"][-1].message == "verdict: " + verdict[
        "text"
    ]
    saved = next(card for card in list_models() if card.name == "useless")
    assert card_verdict(saved.training) == verdict  # stored in the card, read back
    assert saved.format == 1
    assert load_model("useless").card.training["verdict"]["level"] == verdict["level"]


def test_judge_training_scores_the_baselines_with_the_inference_layer(user_home, shipped_baselines):
    pairs = synthetic_pairs(200, seed=4)
    model = fit("seed_rule", pairs, training_config=training_config_for("seed_rule", {"epochs": 1}))
    valid = synthetic_pairs(60, seed=9)
    probabilities = np.full(len(valid), 0.5)
    messages = []
    verdict = judge_training(
        model,
        valid,
        probabilities,
        baselines=["seed_rule-deepmirnatar", "hybrid_mfe-deepmirnatar", "no-such-model"],
        progress=messages.append,
    )
    assert verdict["level"] == "chance"  # constant probabilities
    assert list(verdict["baselines"]) == ["hybrid_mfe-deepmirnatar"]  # seed_rule: its own family
    assert "no-such-model" in verdict["skipped"]
    assert any("hybrid_mfe-deepmirnatar (1/2)" in message for message in messages)
    # the baseline's AUC is what rnaapp.inference.score_pairs gives on the same pairs
    from rnaapp.inference import score_pairs
    from rnaapp.metrics import compute_metrics

    scores = score_pairs(load_model("hybrid_mfe-deepmirnatar"), valid)["probability"]
    expected = compute_metrics(valid["label"].to_numpy(), scores.to_numpy())["AUC"]
    assert verdict["baselines"]["hybrid_mfe-deepmirnatar"] == pytest.approx(expected, abs=1e-4)


def test_a_plain_fit_judges_nothing(user_home):
    model = fit(
        "seed_rule", synthetic_pairs(120), training_config=training_config_for("seed_rule", {"epochs": 1})
    )
    assert "verdict" not in model.card.training


def test_rnaapp_train_prints_the_verdict(capsys, tmp_path, user_home, monkeypatch):
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(tmp_path / "no-shipped-models"))
    data = tmp_path / "random.csv"
    _random_labels(synthetic_pairs(400, seed=6)).to_csv(data, index=False)
    capsys.readouterr()
    status = main(["train", "--family", "seed_rule", "--data", str(data), "--name", "coin", "--epochs", "1"])
    out = capsys.readouterr().out
    assert status == 0
    card = json.loads((user_home / "models" / "coin.json").read_text(encoding="utf-8"))
    verdict = card["training"]["verdict"]
    assert verdict["level"] == "chance", verdict["text"]
    assert f"WARNING: this model is {verdict['text']}" in out


def test_a_card_of_rnaapp_0_1_0_still_loads_and_has_no_verdict(user_home):
    import shutil

    models = user_home / "models"
    models.mkdir(parents=True)
    for suffix in (".json", ".safetensors"):
        shutil.copy(REPOSITORY / "tests" / "data" / "models" / f"legacy-seed-rule-0.1.0{suffix}", models)
    model = load_model("legacy-seed-rule-0.1.0")
    assert card_verdict(model.card.training) is None and verdict_words(model.card.training) == ""
    assert model.card.format == 1
