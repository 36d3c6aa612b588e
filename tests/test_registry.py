"""Tests for rnaapp.registry: saving and loading, atomic writes, names, defaults and listings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import rnaapp.registry
from rnaapp import __version__
from rnaapp.predict import predict
from rnaapp.registry import (
    ModelCard,
    ModelNotFoundError,
    TrainedModel,
    build_model,
    check_name,
    defaults,
    list_models,
    load_model,
    resolve_name,
    save_model,
    set_default,
    shipped_directory,
    user_directory,
)

from .conftest import synthetic_pairs

SMALL_CONFIGS = {
    "seed_rule": {},
    "hybrid_mfe": {"temperature": 30.0},
    "mitar": {"filters": 8, "kernel_size": 6, "lstm_hidden": 8, "dense": 4},
    "mirna_site": {"embedding_dim": 16, "cnn_channels": 8, "hidden": 16, "feedforward": 32, "heads": 2},
}


@pytest.fixture
def store(tmp_path, monkeypatch, user_home) -> tuple[Path, Path]:
    """(shipped folder, user folder), both empty and private to the test."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(shipped))
    return shipped, user_home / "models"


def random_model(family: str = "seed_rule", name: str = "unsaved", seed: int = 0) -> TrainedModel:
    """An untrained model whose every parameter is randomised, so two seeds give different scores."""
    model = build_model(ModelCard(name=name, family=family, task="site", config=SMALL_CONFIGS[family]))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    return model


def scores(model: TrainedModel, count: int = 8) -> np.ndarray:
    frame = synthetic_pairs(count, seed=4)
    return predict(model, frame.mirna_seq.tolist(), frame.target_seq.tolist())


@pytest.mark.parametrize("family", sorted(SMALL_CONFIGS))
def test_save_then_load_round_trip(store, family):
    _, user = store
    model = random_model(family, seed=1)
    card_path = save_model(model, name="round-trip")
    assert card_path == user / "round-trip.json"
    assert (user / "round-trip.safetensors").is_file()

    loaded = load_model("round-trip")
    assert not loaded.module.training
    assert loaded.device == torch.device("cpu")
    np.testing.assert_array_equal(scores(loaded), scores(model))
    for key, value in model.module.state_dict().items():
        assert torch.equal(loaded.module.state_dict()[key], value), key

    card = loaded.card
    assert (card.name, card.family, card.task, card.source) == ("round-trip", family, "site", "user")
    assert card.config == model.card.config
    assert loaded.config == model.config
    assert card.version == __version__
    assert dt.datetime.fromisoformat(card.created).tzinfo is not None
    on_disk = json.loads(card_path.read_text(encoding="utf-8"))
    assert {"name", "family", "task", "config", "training", "metrics", "version", "created"} <= set(on_disk)
    assert "source" not in on_disk


def test_card_contents_survive_the_round_trip(store):
    model = random_model()
    model.card.description = "a test model"
    model.card.training = {"seed": 3, "command": "rnaapp train --family seed_rule", "history": [{"epoch": 1}]}
    model.card.metrics = {"test": {"AUC": np.float64(0.75), "n": np.int64(10)}}
    model.card.notes = ["first note"]
    save_model(model, name="with-card")
    card = load_model("with-card").card
    assert card.description == "a test model"
    assert card.training == {
        "seed": 3,
        "command": "rnaapp train --family seed_rule",
        "history": [{"epoch": 1}],
    }
    assert card.metrics == {"test": {"AUC": 0.75, "n": 10}}
    assert card.notes == ["first note"]


def test_save_leaves_no_temporary_files(store):
    _, user = store
    save_model(random_model(seed=1), name="clean")
    save_model(random_model(seed=2), name="clean")  # overwriting is allowed
    assert sorted(path.name for path in user.iterdir()) == ["clean.json", "clean.safetensors"]
    np.testing.assert_array_equal(scores(load_model("clean")), scores(random_model(seed=2)))


def test_save_to_an_explicit_folder(store, tmp_path):
    folder = tmp_path / "elsewhere" / "models"
    path = save_model(random_model(), folder, name="there")
    assert path == folder / "there.json"
    assert (folder / "there.safetensors").is_file()
    assert not user_directory().exists()


def test_a_save_that_fails_midway_keeps_the_previous_model(store, monkeypatch):
    _, user = store
    previous = random_model(seed=1)
    save_model(previous, name="keep")
    expected = scores(load_model("keep"))
    previous_card = (user / "keep.json").read_text(encoding="utf-8")

    def broken_save_file(state, path):
        Path(path).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(rnaapp.registry, "save_file", broken_save_file)
    with pytest.raises(OSError, match="disk full"):
        save_model(random_model(seed=2), name="keep")
    assert sorted(path.name for path in user.iterdir()) == ["keep.json", "keep.safetensors"]
    assert (user / "keep.json").read_text(encoding="utf-8") == previous_card
    np.testing.assert_array_equal(scores(load_model("keep")), expected)


def test_a_card_that_cannot_be_written_keeps_the_previous_model(store):
    _, user = store
    save_model(random_model(seed=1), name="keep")
    expected = scores(load_model("keep"))
    replacement = random_model(seed=2)
    replacement.card.training = {"data": object()}  # not JSON
    with pytest.raises(TypeError):
        save_model(replacement, name="keep")
    assert sorted(path.name for path in user.iterdir()) == ["keep.json", "keep.safetensors"]
    np.testing.assert_array_equal(scores(load_model("keep")), expected)


@pytest.mark.parametrize("name", ["a", "seed_rule-v2", "Model.1", "9lives", "x" * 100])
def test_valid_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "-dash", ".hidden", "_under", "a/b", "../up", "a b", "naïve", "x" * 101, "a\nb", "a:b"]
)
def test_invalid_names_are_refused(store, name):
    _, user = store
    with pytest.raises(ValueError, match="invalid model name"):
        check_name(name)
    with pytest.raises(ValueError, match="invalid model name"):
        save_model(random_model(), name=name)
    assert not user.exists() or not any(user.iterdir())


def test_a_shipped_name_cannot_be_taken(store):
    shipped, user = store
    save_model(random_model(seed=1), shipped, name="official")
    with pytest.raises(ValueError, match="shipped model"):
        save_model(random_model(seed=2), name="official")
    assert not (user / "official.safetensors").exists()
    assert load_model("official").card.source == "shipped"


def test_list_models_marks_the_source(store):
    shipped, _ = store
    assert list_models() == []
    save_model(random_model("seed_rule"), shipped, name="b-shipped")
    save_model(random_model("seed_rule"), name="a-user")
    listed = [(card.name, card.source) for card in list_models()]
    assert listed == [("b-shipped", "shipped"), ("a-user", "user")]


def test_damaged_or_foreign_json_in_the_user_folder_is_ignored(store):
    _, user = store
    save_model(random_model(), name="good")
    for stem, text in {
        "damaged": "{not json",
        "a-list": "[1, 2, 3]",
        "a-number": "3",
        "missing-fields": json.dumps({"name": "missing-fields"}),
    }.items():
        (user / f"{stem}.json").write_text(text, encoding="utf-8")
        (user / f"{stem}.safetensors").write_bytes(b"")
    (user / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (user / "binary.safetensors").write_bytes(b"")
    (user / "no-weights.json").write_text((user / "good.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert [card.name for card in list_models()] == ["good"]
    assert resolve_name("seed_rule") == "good"


def test_a_damaged_defaults_file_is_ignored(store):
    _, user = store
    save_model(random_model(), name="good")
    (user / "defaults.json").write_text("{oops", encoding="utf-8")
    assert defaults() == {"tasks": {}, "families": {}}
    assert resolve_name("seed_rule") == "good"


def test_resolve_name_by_model_family_and_task(store):
    shipped, _ = store
    save_model(random_model("seed_rule"), shipped, name="seed-b")
    save_model(random_model("seed_rule"), shipped, name="seed-a")
    save_model(random_model("mitar"), shipped, name="mitar-one")
    assert resolve_name("seed-b") == "seed-b"
    assert resolve_name("mitar-one") == "mitar-one"
    # Without defaults a family resolves to its first model by name.
    assert resolve_name("seed_rule") == "seed-a"
    assert resolve_name("mitar") == "mitar-one"
    # Without defaults a task has no model.
    with pytest.raises(ModelNotFoundError, match="task 'site'"):
        resolve_name("site")
    (shipped / "defaults.json").write_text(
        json.dumps({"tasks": {"site": "mitar-one"}, "families": {"seed_rule": "seed-b"}}), encoding="utf-8"
    )
    assert resolve_name("seed_rule") == "seed-b"
    assert resolve_name("site") == "mitar-one"
    assert resolve_name(None) == "mitar-one"
    assert resolve_name("") == "mitar-one"


def test_a_default_naming_a_missing_model_falls_back(store):
    shipped, _ = store
    save_model(random_model("seed_rule"), shipped, name="seed-only")
    (shipped / "defaults.json").write_text(
        json.dumps({"tasks": {"site": "gone"}, "families": {"seed_rule": "gone"}}), encoding="utf-8"
    )
    assert resolve_name("seed_rule") == "seed-only"
    with pytest.raises(ModelNotFoundError, match="seed-only"):
        resolve_name("site")


def test_set_default_changes_what_family_and_task_resolve_to(store):
    shipped, user = store
    save_model(random_model("seed_rule"), shipped, name="shipped-seed")
    (shipped / "defaults.json").write_text(
        json.dumps({"tasks": {"site": "shipped-seed"}, "families": {"seed_rule": "shipped-seed"}}),
        encoding="utf-8",
    )
    save_model(random_model("seed_rule"), name="mine")
    save_model(random_model("mitar"), name="my-mitar")
    assert resolve_name("site") == resolve_name("seed_rule") == "shipped-seed"

    set_default("mine")  # user choices override the shipped ones
    assert resolve_name("site") == resolve_name("seed_rule") == "mine"
    assert json.loads((user / "defaults.json").read_text(encoding="utf-8")) == {
        "families": {"seed_rule": "mine"},
        "tasks": {"site": "mine"},
    }
    assert (
        json.loads((shipped / "defaults.json").read_text(encoding="utf-8"))["tasks"]["site"] == "shipped-seed"
    )

    set_default("my-mitar", task=False)
    assert resolve_name("mitar") == "my-mitar"
    assert resolve_name("site") == "mine"
    set_default("my-mitar", family=False)
    assert resolve_name("site") == "my-mitar"
    assert defaults() == {
        "tasks": {"site": "my-mitar"},
        "families": {"seed_rule": "mine", "mitar": "my-mitar"},
    }
    assert not list(user.glob("*.tmp")) and not list(user.glob(".*.tmp"))
    assert load_model().card.name == "my-mitar"


def test_set_default_of_an_unknown_model(store):
    with pytest.raises(ModelNotFoundError, match="'nothing'"):
        set_default("nothing")


def test_model_not_found_lists_what_is_available(store):
    shipped, _ = store
    with pytest.raises(ModelNotFoundError, match="available models: none"):
        load_model("nothing")
    save_model(random_model("seed_rule"), shipped, name="first")
    save_model(random_model("mitar"), name="second")
    with pytest.raises(ModelNotFoundError) as caught:
        load_model("nothing")
    message = str(caught.value)
    assert "'nothing'" in message
    assert "first, second" in message
    assert "site" in message and "plant" in message and "gene" in message
    with pytest.raises(ModelNotFoundError, match="task 'plant'.*first, second"):
        resolve_name("plant")


def test_directories_follow_the_environment(store):
    shipped, user = store
    assert shipped_directory() == shipped
    assert user_directory() == user
