"""Tests for rnaapp.registry: saving and loading, atomic writes, names, defaults and listings."""

from __future__ import annotations

import datetime as dt
import errno
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import rnaapp.registry.store
from rnaapp import __version__
from rnaapp.examples import EXAMPLES
from rnaapp.predict import predict
from rnaapp.registry import (
    FORMAT_VERSION,
    CardFormatError,
    ModelCard,
    ModelFileError,
    ModelNotFoundError,
    TrainedModel,
    build_model,
    check_name,
    check_new_name,
    defaults,
    delete_model,
    list_models,
    load_model,
    model_file_problems,
    model_summary,
    rename_model,
    resolve_name,
    save_model,
    set_default,
    shipped_directory,
    upgrade_card,
    user_directory,
)

from .conftest import REPOSITORY, synthetic_pairs

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

    monkeypatch.setattr(rnaapp.registry.store, "save_file", broken_save_file)
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
    assert defaults() == {"tasks": {}, "families": {}, "uses": {}}
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
        "uses": {},
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


# ---------------------------------------------------------------------------------------------------------
# Card formats, deleting and renaming, the summary table
# ---------------------------------------------------------------------------------------------------------

LEGACY_MODELS = REPOSITORY / "tests" / "data" / "models"
LEGACY_NAME = "legacy-seed-rule-0.1.0"


def test_saved_cards_carry_the_current_format(store):
    _, user = store
    card_path = save_model(random_model(), name="formatted")
    on_disk = json.loads(card_path.read_text(encoding="utf-8"))
    assert on_disk["format"] == FORMAT_VERSION
    assert next(iter(on_disk)) == "format"  # first, where a reader looks
    assert load_model("formatted").card.format == FORMAT_VERSION


def test_upgrade_card_treats_a_card_without_format_as_format_1():
    legacy = {"name": "old", "family": "seed_rule", "task": "site", "config": {}, "version": "0.1.0"}
    upgraded = upgrade_card(legacy)
    assert upgraded["format"] == 1 == FORMAT_VERSION
    assert "format" not in legacy  # the input is not modified
    assert {key: value for key, value in upgraded.items() if key != "format"} == legacy
    assert ModelCard.from_dict(legacy).format == FORMAT_VERSION


def test_upgrade_card_refuses_a_newer_format_with_a_clear_message():
    newer = {"name": "future", "family": "seed_rule", "task": "site", "config": {}, "version": "9.0.0"}
    newer["format"] = FORMAT_VERSION + 1
    with pytest.raises(CardFormatError) as caught:
        upgrade_card(newer)
    assert str(caught.value) == (
        f"model 'future' was saved by rnaapp 9.0.0 (card format {FORMAT_VERSION + 1}); this rnaapp "
        f"({__version__}) reads formats up to {FORMAT_VERSION}: upgrade rnaapp"
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("bad_format", [0, -1, "1", 1.0, True, None])
def test_upgrade_card_refuses_an_invalid_format(bad_format):
    with pytest.raises(ValueError, match="invalid format"):
        upgrade_card({"name": "x", "format": bad_format})


def test_upgrade_card_refuses_what_is_not_a_card():
    with pytest.raises(TypeError, match="JSON object"):
        upgrade_card([1, 2, 3])


def test_a_card_from_a_newer_rnaapp_is_not_listed_and_cannot_be_loaded(store):
    _, user = store
    save_model(random_model(seed=1), name="current")
    card_path = save_model(random_model(seed=2), name="future")
    values = json.loads(card_path.read_text(encoding="utf-8"))
    values.update(format=FORMAT_VERSION + 1, version="9.0.0")
    card_path.write_text(json.dumps(values), encoding="utf-8")

    assert [card.name for card in list_models()] == ["current"]
    assert resolve_name("seed_rule") == "current"  # the family falls back to a model this code reads
    with pytest.raises(CardFormatError, match=r"'future' was saved by rnaapp 9\.0\.0 .*: upgrade rnaapp"):
        load_model("future")
    with pytest.raises(ModelNotFoundError, match="'nothing'"):
        load_model("nothing")


def test_a_model_saved_by_rnaapp_0_1_0_still_loads(store):
    # Guards upgrades: tests/data/models holds a seed_rule model exactly as rnaapp 0.1.0 (card format 1,
    # before cards had a "format" key) wrote it. Every later release must still load it and score as it
    # did; never regenerate these files, add a migration step to rnaapp.registry.upgrade_card instead.
    _, user = store
    user.mkdir(parents=True)
    for suffix in (".json", ".safetensors"):
        shutil.copyfile(LEGACY_MODELS / f"{LEGACY_NAME}{suffix}", user / f"{LEGACY_NAME}{suffix}")
    assert "format" not in json.loads((user / f"{LEGACY_NAME}.json").read_text(encoding="utf-8"))

    assert [card.name for card in list_models()] == [LEGACY_NAME]
    model = load_model(LEGACY_NAME)
    assert (model.card.family, model.card.task, model.card.source) == ("seed_rule", "site", "user")
    assert model.card.version == "0.1.0"
    assert model.card.format == FORMAT_VERSION
    assert model.card.metrics["deepmirnatar_test"]["AUC"] == pytest.approx(0.8517)
    examples = EXAMPLES[:5]  # 8mer, 7mer-m8, 7mer-A1, 6mer, no canonical site
    probabilities = predict(model, [e.mirna_seq for e in examples], [e.target_seq for e in examples])
    np.testing.assert_allclose(
        probabilities, [0.978999, 0.950368, 0.957157, 0.689723, 0.225492], rtol=0, atol=1e-5
    )


def test_delete_a_user_model_and_its_defaults(store):
    _, user = store
    save_model(random_model("seed_rule", seed=1), name="doomed")
    save_model(random_model("seed_rule", seed=2), name="kept")
    set_default("doomed")
    set_default("kept", task=False)  # kept is the family default, doomed the task default
    delete_model("doomed")
    assert sorted(path.name for path in user.iterdir()) == ["defaults.json", "kept.json", "kept.safetensors"]
    assert [card.name for card in list_models()] == ["kept"]
    assert json.loads((user / "defaults.json").read_text(encoding="utf-8")) == {
        "families": {"seed_rule": "kept"},
        "tasks": {},
    }
    with pytest.raises(ModelNotFoundError, match="'doomed'"):
        delete_model("doomed")


def test_delete_removes_a_half_deleted_model(store):
    _, user = store
    save_model(random_model(), name="half")
    (user / "half.json").unlink()  # e.g. a delete interrupted after the card
    delete_model("half")
    assert not any(user.iterdir())


def test_shipped_models_are_read_only(store):
    shipped, _ = store
    save_model(random_model(), shipped, name="official")
    with pytest.raises(PermissionError, match="'official' is a shipped model and is read-only"):
        delete_model("official")
    with pytest.raises(PermissionError, match="'official' is a shipped model and is read-only"):
        rename_model("official", "mine")
    assert sorted(path.name for path in shipped.iterdir()) == ["official.json", "official.safetensors"]
    assert not user_directory().exists()


@pytest.mark.parametrize("name", ["../models/x", "", "defaults"])
def test_delete_refuses_invalid_names(store, name):
    _, user = store
    save_model(random_model(), name="kept")
    set_default("kept")
    with pytest.raises(ValueError, match="invalid model name"):
        delete_model(name)
    assert sorted(path.name for path in user.iterdir()) == ["defaults.json", "kept.json", "kept.safetensors"]


def test_rename_a_user_model(store):
    _, user = store
    model = random_model("mitar", seed=3)
    model.card.metrics = {"test": {"AUC": 0.5}}
    save_model(model, name="before")
    set_default("before")
    created = load_model("before").card.created

    card_path = rename_model("before", "after")
    assert card_path == user / "after.json"
    assert sorted(path.name for path in user.iterdir()) == [
        "after.json",
        "after.safetensors",
        "defaults.json",
    ]
    renamed = load_model("after")
    assert (renamed.card.name, renamed.card.source, renamed.card.created) == ("after", "user", created)
    assert renamed.card.metrics == {"test": {"AUC": 0.5}}
    np.testing.assert_array_equal(scores(renamed), scores(model))
    assert defaults() == {"tasks": {"site": "after"}, "families": {"mitar": "after"}, "uses": {}}
    assert resolve_name("site") == "after"
    assert json.loads(card_path.read_text(encoding="utf-8"))["name"] == "after"


def test_rename_upgrades_a_legacy_card(store):
    _, user = store
    user.mkdir(parents=True)
    for suffix in (".json", ".safetensors"):
        shutil.copyfile(LEGACY_MODELS / f"{LEGACY_NAME}{suffix}", user / f"{LEGACY_NAME}{suffix}")
    card_path = rename_model(LEGACY_NAME, "renamed")
    on_disk = json.loads(card_path.read_text(encoding="utf-8"))
    assert (on_disk["name"], on_disk["format"], on_disk["version"]) == ("renamed", FORMAT_VERSION, "0.1.0")
    assert [card.name for card in list_models()] == ["renamed"]


def test_rename_refuses_taken_and_invalid_names(store):
    shipped, user = store
    save_model(random_model(), shipped, name="official")
    save_model(random_model(seed=1), name="first")
    save_model(random_model(seed=2), name="second")
    before = {path.name: path.read_bytes() for path in user.iterdir()}
    for taken in ("second", "first", "official"):
        with pytest.raises(ValueError, match=f"'{taken}' is already the name of"):
            rename_model("first", taken)
    for invalid in ("a b", "../first", "defaults"):
        with pytest.raises(ValueError, match="invalid model name"):
            rename_model("first", invalid)
    with pytest.raises(ModelNotFoundError, match="'missing'"):
        rename_model("missing", "third")
    assert {path.name: path.read_bytes() for path in user.iterdir()} == before


def test_a_rename_that_fails_midway_keeps_the_old_model(store, monkeypatch):
    _, user = store
    save_model(random_model(seed=1), name="old")
    expected = scores(load_model("old"))
    original_atomic_write = rnaapp.registry.store.atomic_write

    def failing_for_cards(path, write):
        if str(path).endswith(".json"):
            raise OSError("disk full")
        return original_atomic_write(path, write)

    monkeypatch.setattr(rnaapp.registry.store, "atomic_write", failing_for_cards)
    with pytest.raises(OSError, match="disk full"):
        rename_model("old", "new")
    assert sorted(path.name for path in user.iterdir()) == ["old.json", "old.safetensors"]
    np.testing.assert_array_equal(scores(load_model("old")), expected)


def test_model_summary_of_cards_with_and_without_metrics(store):
    shipped, _ = store
    nested = random_model("seed_rule")
    nested.card.training = {"data": "site_deepmirnatar (random split)", "dataset": "deepmirnatar"}
    nested.card.metrics = {
        "deepmirnatar_test": {"AUC": 0.85, "AUPR": 0.84, "ACC": 0.83, "F1": 0.82, "MCC": 0.68, "n": 10.0},
        "clash_test": {"AUC": 0.63, "MCC": None},
    }
    nested.card.created = "2026-11-21T09:13:52+00:00"
    save_model(nested, shipped, name="nested")
    (shipped / "defaults.json").write_text(json.dumps({"tasks": {"site": "nested"}}), encoding="utf-8")
    flat = random_model("mitar")
    flat.card.training = {"dataset": "my_pairs.csv"}
    flat.card.metrics = {"AUC": 0.7, "threshold": 0.5}
    save_model(flat, name="flat")
    bare = random_model("seed_rule")
    bare.card.training = {"train_pairs": 200}
    save_model(bare, name="bare")
    bare_card = next(card for card in list_models() if card.name == "bare")
    bare_card.created = "not a date"

    summary = model_summary(list_models()).set_index("name")
    assert list(summary.index) == ["nested", "bare", "flat"]
    assert list(summary.columns[:7]) == [
        "family",
        "task",
        "source",
        "created",
        "training_data",
        "is_default",
        "description",
    ]
    assert list(summary.columns[7:]) == [
        "AUC (deepmirnatar test)", "AUPR (deepmirnatar test)", "ACC (deepmirnatar test)",
        "F1 (deepmirnatar test)", "MCC (deepmirnatar test)", "AUC (clash test)", "AUC (test)",
    ]  # fmt: skip
    assert summary.loc["nested", "source"] == "shipped" and summary.loc["flat", "source"] == "user"
    assert summary.loc["nested", "created"] == "2026-11-21"
    assert summary["is_default"].tolist() == [True, False, False]
    assert summary.loc["nested", "training_data"] == "site_deepmirnatar (random split)"
    assert summary.loc["flat", "training_data"] == "my_pairs.csv"
    assert summary.loc["bare", "training_data"] == "200 training pairs"
    assert summary.loc["nested", "AUC (deepmirnatar test)"] == 0.85
    assert summary.loc["nested", "AUC (clash test)"] == 0.63
    assert summary.loc["flat", "AUC (test)"] == 0.7
    assert summary.loc[["bare", "flat"], "AUC (deepmirnatar test)"].isna().all()
    assert model_summary([bare_card])["created"].tolist() == [""]


def test_model_summary_of_nothing():
    summary = model_summary([])
    assert len(summary) == 0
    assert "name" in summary.columns and "is_default" in summary.columns


def test_model_summary_of_the_shipped_models(monkeypatch, user_home):
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(REPOSITORY / "weights"))
    cards = list_models()
    summary = model_summary()
    assert summary["name"].tolist() == [card.name for card in cards]
    assert (summary["source"] == "shipped").all()
    assert summary["training_data"].str.len().gt(0).all()
    site_models = summary["task"] == "site"  # plant models are measured on plant test species instead
    assert summary.loc[site_models, "AUC (deepmirnatar test)"].between(0, 1).all()
    assert summary["is_default"].sum() == len(defaults()["tasks"])


# ---------------------------------------------------------------------------------------------------------
# Names that mean something else, saving both files as one step, damaged model files
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "meaning"),
    [
        ("site", "a task: --model site means that task's default model"),
        ("plant", "a task: --model plant means that task's default model"),
        ("gene", "a task: --model gene means that task's default model"),
        ("mirna_site", "a model family: --model mirna_site means that family's default model"),
        ("seed_rule", "a model family: --model seed_rule means that family's default model"),
        ("scan", "a use: --model scan means the model that rnaapp scan uses when none is named"),
    ],
)
def test_task_family_and_use_names_cannot_be_taken(store, name, meaning):
    shipped, user = store
    save_model(random_model(), shipped, name="official")
    (shipped / "defaults.json").write_text(
        json.dumps({"tasks": {"site": "official"}, "families": {"seed_rule": "official"}}), encoding="utf-8"
    )
    expected = f"'{name}' names {meaning}; choose another name"
    for check in (check_name, check_new_name):
        with pytest.raises(ValueError) as caught:
            check(name)
        assert str(caught.value) == expected
    with pytest.raises(ValueError, match="choose another name"):
        save_model(random_model(), name=name)
    with pytest.raises(ValueError, match="choose another name"):
        save_model(random_model(), shipped, name=name)
    assert not user.exists()
    assert sorted(path.name for path in shipped.iterdir()) == [
        "defaults.json", "official.json", "official.safetensors"
    ]  # fmt: skip
    save_model(random_model(), name="mine")
    with pytest.raises(ValueError, match="choose another name"):
        rename_model("mine", name)
    if name in ("site", "seed_rule"):
        assert resolve_name(name) == "official"


def test_use_keys_of_defaults_json_cannot_be_taken(store):
    shipped, _ = store
    save_model(random_model(), shipped, name="official")
    (shipped / "defaults.json").write_text(json.dumps({"uses": {"browse": "official"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="'browse' names a use: --model browse means the default model for"):
        check_name("browse")
    assert check_name("browser") == "browser"


def test_check_new_name_refuses_shipped_names_except_in_the_shipped_folder(store, tmp_path):
    shipped, _ = store
    save_model(random_model(), shipped, name="official")
    with pytest.raises(ValueError, match="'official' is the name of a shipped model; choose another name"):
        check_new_name("official")
    with pytest.raises(ValueError, match="shipped model"):
        check_new_name("official", tmp_path / "elsewhere")
    assert check_new_name("official", shipped) == "official"
    assert check_new_name("mine") == "mine"
    with pytest.raises(ValueError, match="invalid model name"):
        check_new_name("a b")


def test_a_model_saved_under_a_name_refused_later_can_still_be_deleted(store):
    _, user = store
    save_model(random_model(), name="older")
    for suffix in (".json", ".safetensors"):
        (user / f"older{suffix}").rename(user / f"mitar{suffix}")
    delete_model("mitar")
    assert not any(user.iterdir())


def test_a_card_write_that_fails_keeps_the_previous_model(store, monkeypatch):
    _, user = store
    previous = random_model("mitar", seed=1)
    save_model(previous, name="keep")
    expected = scores(load_model("keep"))
    before = {path.name: path.read_bytes() for path in user.iterdir()}

    def disk_full(path, text):
        Path(path).write_text(text[: len(text) // 2], encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rnaapp.registry.store, "_write_card", disk_full)
    replacement = build_model(
        ModelCard(name="x", family="mitar", task="site", config=SMALL_CONFIGS["mitar"] | {"filters": 12})
    )
    with pytest.raises(OSError, match="No space left"):
        save_model(replacement, name="keep")
    assert {path.name: path.read_bytes() for path in user.iterdir()} == before  # no temporary files either
    np.testing.assert_array_equal(scores(load_model("keep")), expected)
    assert model_file_problems() == []


def test_save_writes_files_readable_by_others_as_usual(store):
    _, user = store
    save_model(random_model(), name="mode")
    for suffix in (".json", ".safetensors"):
        assert (user / f"mode{suffix}").stat().st_mode & 0o644 == 0o644


def damage_weights(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) - 3])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbled header":
        path.write_bytes(data[:8] + b"#" * 12 + data[20:])
    elif how == "overwritten data":
        path.write_bytes(data[:-4] + b"\xff\xff\xff\x7f")  # a float32 NaN
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("truncated", r"is damaged or incomplete \(incomplete metadata, file not fully covered\)"),
        ("empty", r"is damaged or incomplete \(header too small\)"),
        ("garbled header", r"is damaged or incomplete \(invalid JSON in header"),
        ("overwritten data", r"is damaged \(NaN or infinite values in "),
    ],
)
def test_damaged_weights_are_refused_with_a_clear_message(store, how, reason):
    _, user = store
    save_model(random_model(seed=1), name="hurt")
    damage_weights(user / "hurt.safetensors", how)
    with pytest.raises(ModelFileError, match=reason) as caught:
        load_model("hurt")
    message = str(caught.value)
    assert message.startswith(f"model 'hurt': its weights file {user / 'hurt.safetensors'} ")
    assert message.endswith("; retrain the model, or delete it (Models page)")
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)
    if how == "overwritten data":
        assert model_file_problems() == []  # only found when the tensors are read
    else:
        assert model_file_problems() == [message]


def test_damaged_shipped_weights_say_to_reinstall(store):
    shipped, _ = store
    save_model(random_model(), shipped, name="official")
    damage_weights(shipped / "official.safetensors", "truncated")
    with pytest.raises(ModelFileError, match=r"^model 'official': .*; reinstall the shipped weights"):
        load_model("official")


def test_weights_that_do_not_match_the_card_are_refused(store):
    _, user = store
    save_model(random_model("mitar", seed=1), name="mismatch")
    values = json.loads((user / "mismatch.json").read_text(encoding="utf-8"))
    values["config"]["filters"] = 12
    (user / "mismatch.json").write_text(json.dumps(values), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        load_model("mismatch")
    message = str(caught.value)
    assert message.startswith(
        f"model 'mismatch': its weights file {user / 'mismatch.safetensors'} does not match its card "
        f"{user / 'mismatch.json'} (a mitar model with the card's config: size mismatch for "
    )
    assert "more)" in message and "\n" not in message


def write_damaged_models(folder: Path, good_card: str) -> None:
    """Models whose files are unusable in ``folder``, each a different way (see ``DAMAGED``)."""
    (folder / "half-card.json").write_text(good_card[: len(good_card) // 2], encoding="utf-8")
    (folder / "half-card.safetensors").write_bytes(b"")
    (folder / "not-a-card.json").write_text("[1, 2, 3]", encoding="utf-8")
    (folder / "not-a-card.safetensors").write_bytes(b"")
    (folder / "no-family.json").write_text(
        json.dumps({"name": "no-family", "task": "site"}), encoding="utf-8"
    )
    (folder / "no-family.safetensors").write_bytes(b"")
    (folder / "no-weights.json").write_text(good_card.replace('"good"', '"no-weights"'), encoding="utf-8")
    (folder / "no-card.safetensors").write_bytes(b"")
    # Not models: JSON files without weights that are not cards, and the defaults file.
    (folder / "notes.json").write_text('{"comment": "not a card"}', encoding="utf-8")
    (folder / "broken-notes.json").write_text("{oops", encoding="utf-8")
    (folder / "defaults.json").write_text("{}", encoding="utf-8")


DAMAGED = {
    "half-card": "its card {folder}/half-card.json is damaged or incomplete (not valid JSON: ",
    "no-card": "its weights file {folder}/no-card.safetensors has no card (no-card.json is missing)",
    "no-family": "its card {folder}/no-family.json is not a valid model card (it lacks family, config)",
    "no-weights": "its card {folder}/no-weights.json has no weights file (no-weights.safetensors is missing)",
    "not-a-card": "its card {folder}/not-a-card.json is not a valid model card (a model card is a JSON object",
}


def test_model_file_problems_lists_each_unusable_model(store):
    shipped, user = store
    assert model_file_problems() == []
    good = save_model(random_model(), name="good").read_text(encoding="utf-8")
    save_model(random_model(), shipped, name="official")
    write_damaged_models(user, good)
    (shipped / "official-copy.json").write_text(good, encoding="utf-8")
    future = json.loads(good) | {"name": "future", "format": FORMAT_VERSION + 1, "version": "9.0.0"}
    (user / "future.json").write_text(json.dumps(future), encoding="utf-8")
    (user / "future.safetensors").write_bytes((user / "good.safetensors").read_bytes())

    problems = model_file_problems()
    assert problems[0] == (
        f"model 'official-copy': its card {shipped / 'official-copy.json'} has no weights file "
        "(official-copy.safetensors is missing); reinstall the shipped weights (rnaapp's weights/ folder, "
        "or the folder RNAAPP_WEIGHTS names)"
    )
    assert problems[1].startswith("model 'future' was saved by rnaapp 9.0.0")
    assert len(problems) == 2 + len(DAMAGED)
    for problem, (name, text) in zip(problems[2:], sorted(DAMAGED.items()), strict=True):
        assert problem.startswith(f"model '{name}': " + text.format(folder=user)), problem
        assert problem.endswith("; retrain the model, or delete it (Models page)")
        assert "\n" not in problem
    assert [card.name for card in list_models()] == ["official", "good"]


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_resolving_an_unusable_model_says_why(store, name):
    _, user = store
    good = save_model(random_model(), name="good").read_text(encoding="utf-8")
    write_damaged_models(user, good)
    with pytest.raises(ModelFileError) as caught:
        resolve_name(name)
    assert str(caught.value).startswith(f"model '{name}': " + DAMAGED[name].format(folder=user))
    with pytest.raises(ModelFileError):
        load_model(name)
    for foreign in ("notes", "broken-notes", "nothing"):
        with pytest.raises(ModelNotFoundError, match=f"no model, family or task called '{foreign}'"):
            resolve_name(foreign)
    assert resolve_name("seed_rule") == "good"  # without a default, the family's usable models


@pytest.mark.parametrize(
    ("kind", "reference"), [("families", "seed_rule"), ("tasks", "site"), ("uses", "scan")]
)
def test_a_default_naming_an_unusable_model_does_not_fall_back(store, kind, reference):
    shipped, _ = store
    good = save_model(random_model(), shipped, name="good").read_text(encoding="utf-8")
    (shipped / "broken.json").write_text(good[:40], encoding="utf-8")
    (shipped / "broken.safetensors").write_bytes((shipped / "good.safetensors").read_bytes())
    (shipped / "defaults.json").write_text(json.dumps({kind: {reference: "broken"}}), encoding="utf-8")
    label = {"families": "family", "tasks": "task", "uses": "use"}[kind]
    with pytest.raises(
        ModelFileError,
        match=rf"^the {label} '{reference}' defaults to model 'broken': its card .*broken\.json is damaged",
    ):
        resolve_name(reference)
    with pytest.raises(ModelFileError):
        load_model(reference)


def test_a_damaged_user_default_does_not_fall_back_to_the_shipped_one(store):
    shipped, user = store
    save_model(random_model(), shipped, name="official")
    (shipped / "defaults.json").write_text(json.dumps({"tasks": {"site": "official"}}), encoding="utf-8")
    save_model(random_model(), name="mine")
    set_default("mine")
    (user / "mine.safetensors").unlink()
    with pytest.raises(ModelFileError, match=r"^the task 'site' defaults to model 'mine': .*has no weights"):
        resolve_name("site")
    delete_model("mine")
    assert resolve_name("site") == "official"


def test_a_known_family_without_models_says_how_to_get_one(store):
    save_model(random_model(), name="seed-only")
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_name("pairing_mlp")
    assert str(caught.value) == (
        "no model of the family 'pairing_mlp' is installed; train one "
        "(rnaapp train --family pairing_mlp ..., or the Train page)"
    )
    with pytest.raises(ModelNotFoundError, match="no model, family or task called 'pairing-mlp'"):
        resolve_name("pairing-mlp")


def test_the_shipped_models_have_no_file_problems(monkeypatch, user_home):
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(REPOSITORY / "weights"))
    assert model_file_problems() == []
