"""Tests for rnaapp.predict: probabilities, batching, progress, attention maps, length checks, tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import rnaapp.predict
from rnaapp.io import InputError
from rnaapp.predict import predict, predict_pairs
from rnaapp.registry import ModelCard, TrainedModel, build_model
from rnaapp.train import TrainingConfig, fit

from .conftest import synthetic_pairs

#: A mirna_site model small enough to train in a couple of seconds on one thread.
SMALL_SITE_CONFIG = {
    "embedding_dim": 16,
    "cnn_channels": 8,
    "hidden": 16,
    "feedforward": 32,
    "embedding_epochs": 1,
}


@pytest.fixture(scope="module")
def site_model() -> TrainedModel:
    """A mirna_site model trained for one epoch on synthetic pairs."""
    return fit(
        "mirna_site",
        synthetic_pairs(60, seed=1),
        model_config=SMALL_SITE_CONFIG,
        training_config=TrainingConfig(epochs=1, batch_size=32, seed=0),
        name="tiny-site",
    )


@pytest.fixture(scope="module")
def seed_model() -> TrainedModel:
    """An untrained seed_rule model (its table of logits is set at construction)."""
    return build_model(ModelCard(name="tiny-seed", family="seed_rule", task="site", config={}))


def varied_lengths(count: int = 12, seed: int = 5) -> tuple[list[str], list[str]]:
    """Synthetic pairs whose miRNAs (18-22 nt) and targets (9-40 nt) differ in length."""
    frame = synthetic_pairs(count, seed=seed)
    rng = np.random.default_rng(seed)
    mirnas = [mirna[: int(rng.integers(18, 23))] for mirna in frame.mirna_seq]
    targets = [target[: int(rng.integers(9, 41))] for target in frame.target_seq]
    return mirnas, targets


@pytest.mark.parametrize("model_fixture", ["site_model", "seed_model"])
def test_probabilities_are_in_unit_interval_with_one_per_pair(model_fixture, request):
    model = request.getfixturevalue(model_fixture)
    mirnas, targets = varied_lengths(15)
    probabilities = predict(model, mirnas, targets)
    assert isinstance(probabilities, np.ndarray)
    assert probabilities.shape == (15,)
    assert probabilities.dtype == np.float64
    assert np.all((probabilities >= 0) & (probabilities <= 1))


def test_probabilities_are_the_sigmoid_of_the_module_logits(seed_model):
    frame = synthetic_pairs(20, seed=2)
    mirnas, targets = frame.mirna_seq.tolist(), frame.target_seq.tolist()
    features = seed_model.family.featurize(seed_model.config, mirnas, targets)
    with torch.inference_mode():
        logits = seed_model.module(**{key: torch.from_numpy(value) for key, value in features.items()})
    np.testing.assert_allclose(predict(seed_model, mirnas, targets), torch.sigmoid(logits).numpy(), rtol=1e-6)
    # The seed rule separates the synthetic positives (7mer-m8 site) from the negatives (no 6mer).
    probabilities = predict(seed_model, mirnas, targets)
    assert probabilities[frame.label == 1].min() > probabilities[frame.label == 0].max()


def test_batch_size_does_not_change_results(site_model):
    mirnas, targets = varied_lengths(23)
    reference = predict(site_model, mirnas, targets, batch_size=1)
    assert np.ptp(reference) > 0  # pairs get different scores, so a mix-up would show
    for batch_size in (7, 1000):
        np.testing.assert_allclose(
            predict(site_model, mirnas, targets, batch_size=batch_size), reference, rtol=0, atol=1e-6
        )


def test_parallel_workers_do_not_change_results_and_restore_threads(site_model):
    mirnas, targets = varied_lengths(40)
    threads = torch.get_num_threads()
    reference, reference_maps = predict(
        site_model, mirnas, targets, batch_size=3, workers=1, return_attention=True
    )
    parallel, parallel_maps = predict(
        site_model, mirnas, targets, batch_size=3, workers=3, return_attention=True
    )
    np.testing.assert_allclose(parallel, reference, rtol=0, atol=1e-6)
    for parallel_map, reference_map in zip(parallel_maps, reference_maps, strict=True):
        np.testing.assert_allclose(parallel_map, reference_map, rtol=0, atol=1e-6)
    assert torch.get_num_threads() == threads


def test_chunking_does_not_change_results(site_model, monkeypatch):
    mirnas, targets = varied_lengths(11)
    reference, reference_maps = predict(site_model, mirnas, targets, return_attention=True)
    monkeypatch.setattr(rnaapp.predict, "CHUNK_SIZE", 4)
    chunked, chunked_maps = predict(site_model, mirnas, targets, batch_size=3, return_attention=True)
    np.testing.assert_allclose(chunked, reference, rtol=0, atol=1e-6)
    assert len(chunked_maps) == len(reference_maps) == 11
    for chunked_map, reference_map in zip(chunked_maps, reference_maps, strict=True):
        np.testing.assert_allclose(chunked_map, reference_map, rtol=0, atol=1e-6)


def test_progress_reaches_the_total(site_model):
    mirnas, targets = varied_lengths(10)
    calls: list[tuple[int, int]] = []
    predict(
        site_model, mirnas, targets, batch_size=3, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (10, 10)
    assert all(total == 10 for _, total in calls)
    done = [count for count, _ in calls]
    assert done == sorted(done) and done[0] > 0


def test_attention_has_one_nucleotide_map_per_pair(site_model):
    mirnas, targets = varied_lengths(9)
    probabilities, maps = predict(site_model, mirnas, targets, batch_size=4, return_attention=True)
    np.testing.assert_allclose(probabilities, predict(site_model, mirnas, targets), rtol=0, atol=1e-6)
    assert len(maps) == len(mirnas)
    for attention, mirna, target in zip(maps, mirnas, targets, strict=True):
        assert attention.shape == (len(mirna), len(target))
        assert np.all(np.isfinite(attention))
        assert np.all(attention >= 0)


def test_attention_is_refused_for_a_family_without_it(seed_model):
    with pytest.raises(ValueError, match="no attention"):
        predict(seed_model, ["UGAGGUAGUAGGUUGUAUAGUU"], ["ACUAUACAACCUACUACCUCA"], return_attention=True)


def test_too_long_target_names_the_first_row(site_model):
    limit = site_model.family.max_target_length(site_model.config)
    frame = synthetic_pairs(5, seed=3)
    targets = frame.target_seq.tolist()
    targets[2] = "A" * (limit + 1)
    targets[4] = "C" * (limit + 7)
    with pytest.raises(InputError) as caught:
        predict(site_model, frame.mirna_seq.tolist(), targets, source="pairs.csv")
    assert caught.value.row == 3
    assert caught.value.source == "pairs.csv"
    message = str(caught.value)
    assert message.startswith("pairs.csv, row 3:")
    assert f"{limit + 1} nt" in message and "2 row(s)" in message


def test_a_target_at_the_limit_is_accepted(site_model):
    limit = site_model.family.max_target_length(site_model.config)
    probabilities = predict(
        site_model, ["UGAGGUAGUAGGUUGUAUAGUU"], ["ACGU" * (limit // 4) + "A" * (limit % 4)]
    )
    assert probabilities.shape == (1,)


def test_mismatched_lengths_are_refused(seed_model):
    with pytest.raises(ValueError, match="2 miRNAs but 1 targets"):
        predict(seed_model, ["UGAGGUAGUAGGUUGUAUAGUU"] * 2, ["ACUAUACAACCUACUACCUCA"])


@pytest.mark.parametrize("model_fixture", ["site_model", "seed_model"])
def test_empty_input_gives_an_empty_array(model_fixture, request):
    model = request.getfixturevalue(model_fixture)
    calls: list[tuple[int, int]] = []
    probabilities = predict(model, [], [], progress=lambda done, total: calls.append((done, total)))
    assert probabilities.shape == (0,)
    assert calls == [(0, 0)]
    if model.family.has_attention:
        probabilities, maps = predict(model, [], [], return_attention=True)
        assert probabilities.shape == (0,) and maps == []


def test_predict_pairs_keeps_every_column_and_adds_probability(site_model, pairs):
    original = pairs.copy()
    scored = predict_pairs(site_model, pairs, batch_size=64)
    assert list(scored.columns) == [*pairs.columns, "probability"]
    assert scored.drop(columns="probability").equals(original)
    assert pairs.equals(original)  # the input is not modified
    np.testing.assert_allclose(
        scored["probability"].to_numpy(),
        predict(site_model, pairs.mirna_seq.tolist(), pairs.target_seq.tolist()),
        rtol=0,
        atol=1e-6,
    )


def test_predict_pairs_on_an_empty_table(seed_model, pairs):
    scored = predict_pairs(seed_model, pairs.iloc[:0])
    assert list(scored.columns) == [*pairs.columns, "probability"]
    assert len(scored) == 0


def test_bfloat16_precision_is_close_and_bad_precision_is_refused(site_model):
    mirnas, targets = varied_lengths(20)
    reference = predict(site_model, mirnas, targets)
    fast = predict(site_model, mirnas, targets, precision="bfloat16")
    np.testing.assert_allclose(fast, reference, atol=0.05)
    with pytest.raises(ValueError, match="precision"):
        predict(site_model, mirnas, targets, precision="float8")


def test_predict_normalises_typed_sequences(seed_model):
    """DNA letters, lowercase and whitespace (a pasted line break) give the scores of the clean RNA."""
    frame = synthetic_pairs(4, seed=8)
    clean = predict(seed_model, frame.mirna_seq.tolist(), frame.target_seq.tolist())
    messy_mirnas = [f" {mirna.lower().replace('u', 't')}\n" for mirna in frame.mirna_seq]
    messy_targets = [f"{target[:10]}\n{target[10:]}" for target in frame.target_seq]
    np.testing.assert_allclose(predict(seed_model, messy_mirnas, messy_targets), clean)


@pytest.mark.parametrize(
    ("mirna", "target", "message"),
    [
        ("", "ACGUACGUACGU", "row 2: miRNA sequence is empty"),
        (
            "UGAGGUAGUAGXUUGUAUAGUU",
            "ACGUACGUACGU",
            "row 2: miRNA sequence has letters other than ACGUTN ('X' at position 12)",
        ),
        ("UGAGGUAGUAGGUUGUAUAGUU", "", "row 2: target sequence is empty"),
        ("UGAGGUAGUAGGUUGUAUAGUU", "ACGU1", "row 2: target sequence has letters other than ACGUTN ('1'"),
        (None, "ACGU", "row 2: miRNA sequence is not text (None)"),
    ],
)
def test_predict_refuses_bad_sequences_naming_the_pair(seed_model, mirna, target, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        predict(seed_model, ["UGAGGUAGUAGGUUGUAUAGUU", mirna], ["ACGUACGUACGU", target], source="mine")
