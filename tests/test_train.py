"""Tests for rnaapp.train: learning, early stopping, progress, cancellation, cross-validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from rnaapp.evaluate import compute_metrics
from rnaapp.predict import predict
from rnaapp.train import (
    TrainingCancelled,
    TrainingConfig,
    balancing_weights,
    cross_validate,
    fit,
    hold_out,
    resolve_device,
    stratified_folds,
    training_config_for,
)

from .conftest import synthetic_pairs


def test_seed_rule_learns_the_synthetic_rule(pairs):
    model = fit("seed_rule", pairs, training_config=training_config_for("seed_rule", {"epochs": 5}))
    test = synthetic_pairs(100, seed=7)
    probabilities = predict(model, test.mirna_seq.tolist(), test.target_seq.tolist())
    assert compute_metrics(test.label.to_numpy(), probabilities)["AUC"] > 0.95


def test_mitar_learns_and_is_reproducible():
    train = synthetic_pairs(400, seed=1)
    settings = TrainingConfig(epochs=3, batch_size=32, learning_rate=3e-3, seed=3)
    first = fit("mitar", train, training_config=settings)
    second = fit("mitar", train, training_config=settings)
    for key, value in first.module.state_dict().items():
        assert torch.equal(value, second.module.state_dict()[key]), key
    history = first.card.training["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_progress_events_and_early_stopping(pairs):
    events = []
    model = fit(
        "seed_rule",
        pairs,
        training_config=training_config_for("seed_rule", {"epochs": 40, "patience": 2, "batch_size": 16}),
        progress=events.append,
    )
    epochs = [event for event in events if event.stage == "epoch"]
    assert 1 <= len(epochs) < 40  # stopped early
    assert {"AUC", "ACC", "MCC"} <= set(epochs[0].valid_metrics)
    assert any(event.stage == "batch" for event in events)
    assert all(0.0 <= event.fraction <= 1.0 for event in events)
    assert model.card.training["best_epoch"] <= len(epochs)


def test_cancel_raises_and_returns_nothing(pairs):
    with pytest.raises(TrainingCancelled):
        fit("seed_rule", pairs, should_stop=lambda: True)


def test_needs_both_labels(pairs):
    with pytest.raises(ValueError, match="both positive"):
        fit("seed_rule", pairs[pairs.label == 1])


def test_hold_out_is_stratified_and_disjoint(pairs):
    train, valid = hold_out(pairs, 0.2, seed=0)
    assert set(train.index).isdisjoint(valid.index)
    assert len(train) + len(valid) == len(pairs)
    assert valid.label.value_counts().to_dict() == {0: 20, 1: 20}


def test_cross_validation_table(pairs):
    table = cross_validate(
        "seed_rule", pairs, folds=3, training_config=training_config_for("seed_rule", {"epochs": 2})
    )
    assert table.fold.tolist() == ["1", "2", "3", "mean", "std"]
    assert table.loc[table.fold == "mean", "AUC"].item() > 0.9


def test_stratified_folds_spread_each_label_and_repeat_with_the_seed():
    import numpy as np

    labels = np.array([0] * 13 + [1] * 7)
    folds = stratified_folds(labels, 3, seed=4)
    assert folds.shape == (20,) and set(folds) == {0, 1, 2}
    for label, count in ((0, 13), (1, 7)):
        sizes = np.bincount(folds[labels == label], minlength=3)
        assert sizes.sum() == count and sizes.max() - sizes.min() <= 1
    assert (stratified_folds(labels, 3, seed=4) == folds).all()
    assert not (stratified_folds(labels, 3, seed=5) == folds).all()
    with pytest.raises(ValueError, match="at least 2"):
        stratified_folds(labels, 1, seed=0)
    with pytest.raises(ValueError, match="needs at least 8 positive and 8 negative pairs.*7 positive and 13"):
        stratified_folds(labels, 8, seed=0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1, not 0"),
        ({"batch_size": -3}, "batch_size must be at least 1"),
        ({"epochs": "x"}, "epochs must be a whole number, not 'x'"),
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"learning_rate": 0}, "learning_rate must be above 0"),
        ({"learning_rate": "fast"}, "learning_rate must be a number"),
        ({"valid_fraction": 1.0}, "valid_fraction must be above 0 and below 1"),
        ({"ema_decay": float("nan")}, "ema_decay must be a number"),
        ({"mixed_precision": "yes"}, "mixed_precision must be true or false"),
        ({"device": "gpu"}, "unknown device 'gpu': use auto, cpu or cuda"),
        ({"balance": "gene"}, "balance must be one of \\['none', 'mirna'\\], not 'gene'"),
    ],
)
def test_training_config_refuses_bad_settings_by_name(overrides, message):
    with pytest.raises(ValueError, match=message):
        training_config_for("mirna_site", overrides)


def test_training_config_accepts_valid_settings():
    config = training_config_for(
        "mirna_site", {"epochs": 1, "learning_rate": 1, "ema_decay": 0, "device": "cuda:1"}
    )
    assert (config.epochs, config.learning_rate, config.device) == (1, 1, "cuda:1")


def test_resolve_device():
    assert resolve_device("auto").type in {"cpu", "cuda"}
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            resolve_device("cuda")


def test_weight_average_tracks_and_warms_up():
    from rnaapp.train import WeightAverage

    module = torch.nn.Linear(2, 1)
    average = WeightAverage(module, decay=0.9)
    with torch.no_grad():
        module.weight.fill_(1.0)
    average.update(module)  # first step: decay (1+1)/(10+1) = 0.18, so mostly the new value
    state = average.state_dict(module)
    assert torch.all(state["weight"] > 0.6)
    for _ in range(200):
        average.update(module)
    assert torch.allclose(average.state_dict(module)["weight"], module.weight, atol=1e-6)


def test_mirna_balance_weighs_each_mirnas_two_labels_equally():
    # miRNA A: 1 positive, 3 negatives (an unbalanced pool); B: negatives only; C: 2 and 2
    pairs = pd.DataFrame(
        {
            "mirna_seq": ["A", "A", "A", "A", "B", "B", "C", "C", "C", "C"],
            "label": [1, 0, 0, 0, 0, 0, 1, 1, 0, 0],
        }
    )
    weights = balancing_weights(pairs, "mirna")
    assert weights.mean() == pytest.approx(1.0)
    by_class = pd.Series(weights).groupby([pairs.mirna_seq, pairs.label]).sum()
    assert by_class["A", 1] == pytest.approx(by_class["A", 0])  # 1 positive weighs as much as 3 negatives
    assert by_class["C", 1] == pytest.approx(by_class["C", 0])
    assert weights[4] == pytest.approx(weights[5]) == pytest.approx(weights[6])  # B and C unchanged
    assert np.array_equal(balancing_weights(pairs, "none"), np.ones(10))


def test_balanced_training_and_fine_tuning_start_from_a_trained_model():
    train = synthetic_pairs(200, seed=1)
    settings = TrainingConfig(epochs=1, batch_size=32, seed=3, balance="mirna")
    first = fit("mitar", train, training_config=settings)
    assert first.card.training["settings"]["balance"] == "mirna"
    before = {key: value.clone() for key, value in first.module.state_dict().items()}
    tuned = fit("mitar", train, training_config=settings, start_from=first, name="tuned")
    assert tuned.card.training["started_from"] == first.name
    assert tuned.config == first.config
    assert all(
        torch.equal(value, first.module.state_dict()[key]) for key, value in before.items()
    )  # unchanged
    assert any(not torch.equal(value, before[key]) for key, value in tuned.module.state_dict().items())
    with pytest.raises(ValueError, match="cannot fine-tune a mitar model as family seed_rule"):
        fit("seed_rule", train, start_from=first)
    with pytest.raises(ValueError, match="keeps the config"):
        fit("mitar", train, start_from=first, model_config={"dropout": 0.2})
