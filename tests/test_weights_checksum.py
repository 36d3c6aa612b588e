"""Verified weights: every card records the SHA-256 of its weights file, and loading refuses other bytes.

Also: cards saved before the digest was recorded load with a note and gain one when saved again, and a
save that cannot write its files fails with one line naming the model and the folder, keeping the
previous model.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

import rnaapp.registry.store
from rnaapp.cli import main
from rnaapp.predict import predict
from rnaapp.registry import (
    ModelCard,
    ModelFileError,
    ModelSaveError,
    WeightsChecksumError,
    build_model,
    file_sha256,
    list_models,
    load_model,
    model_file_problems,
    rename_model,
    save_model,
    set_default,
    unchecked_weights,
)

from .conftest import REPOSITORY, synthetic_pairs

WEIGHTS = REPOSITORY / "weights"
LEGACY_MODELS = REPOSITORY / "tests" / "data" / "models"
LEGACY_NAME = "legacy-seed-rule-0.1.0"
MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"
TARGET = "AAACUAUACAACCUACUACCUCAAA"
SMALL_MITAR = {"filters": 8, "kernel_size": 6, "lstm_hidden": 8, "dense": 4}
USER_REMEDY = "retrain the model, or delete it (Models page)"
SHIPPED_REMEDY = (
    "reinstall the shipped weights (rnaapp's weights/ folder, or the folder RNAAPP_WEIGHTS names)"
)


@pytest.fixture
def store(tmp_path, monkeypatch, user_home) -> tuple[Path, Path]:
    """(shipped folder, user folder), both empty and private to the test."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(shipped))
    return shipped, user_home / "models"


def random_model(seed: int = 0) -> object:
    """A small mitar model whose every parameter is randomised."""
    model = build_model(ModelCard(name="unsaved", family="mitar", task="site", config=SMALL_MITAR))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    return model


def scores(model, count: int = 8) -> np.ndarray:
    frame = synthetic_pairs(count, seed=4)
    return predict(model, frame.mirna_seq.tolist(), frame.target_seq.tolist())


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_start(path: Path) -> int:
    """Offset of the first tensor byte in a safetensors file (after the 8-byte length and the header)."""
    return 8 + int.from_bytes(path.read_bytes()[:8], "little")


def xor_every(path: Path, step: int, *, first: int, value: int) -> int:
    """XOR ``value`` into the bytes at ``first``, ``first + step``, ...; returns how many were changed."""
    data = bytearray(path.read_bytes())
    offsets = range(first, len(data), step)
    for offset in offsets:
        data[offset] ^= value
    path.write_bytes(bytes(data))
    return len(offsets)


def copy_shipped(name: str, folder: Path, new_name: str | None = None) -> Path:
    """Copy the shipped model ``name`` into ``folder`` (as ``new_name``); returns the weights path."""
    new_name = new_name or name
    card = json.loads((WEIGHTS / f"{name}.json").read_text(encoding="utf-8"))
    card["name"] = new_name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{new_name}.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(WEIGHTS / f"{name}.safetensors", folder / f"{new_name}.safetensors")
    return folder / f"{new_name}.safetensors"


def copy_legacy(folder: Path) -> None:
    """The seed_rule model exactly as rnaapp 0.1.0 wrote it (its card has no ``weights_sha256``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".safetensors"):
        shutil.copyfile(LEGACY_MODELS / f"{LEGACY_NAME}{suffix}", folder / f"{LEGACY_NAME}{suffix}")


def assert_checksum_message(message: str, name: str, weights: Path, remedy: str) -> None:
    assert message.startswith(
        f"model '{name}': its weights file {weights} does not match the SHA-256 recorded in its card "
        f"{name}.json (expected "
    ), message
    assert "the file was changed or damaged after the model was saved" in message
    assert message.endswith(f"; {remedy}")
    assert "\n" not in message


# ---------------------------------------------------------------------------------------------------------
# Saving records the digest; loading checks it
# ---------------------------------------------------------------------------------------------------------


def test_a_saved_card_records_the_sha256_of_its_weights_file(store):
    _, user = store
    model = random_model(seed=1)
    card_path = save_model(model, name="digested")
    on_disk = json.loads(card_path.read_text(encoding="utf-8"))
    digest = sha256_of(user / "digested.safetensors")
    assert on_disk["weights_sha256"] == digest == file_sha256(user / "digested.safetensors")
    assert list(on_disk)[-1] == "weights_sha256"  # written last, after the card's other fields
    assert model.card.weights_sha256 == digest  # the saved model's card says what was written
    loaded = load_model("digested")
    assert loaded.card.weights_sha256 == digest
    np.testing.assert_array_equal(scores(loaded), scores(model))
    assert unchecked_weights() == []


def test_saving_again_records_the_new_weights_digest(store):
    _, user = store
    save_model(random_model(seed=1), name="twice")
    first = json.loads((user / "twice.json").read_text(encoding="utf-8"))["weights_sha256"]
    save_model(random_model(seed=2), name="twice")
    second = json.loads((user / "twice.json").read_text(encoding="utf-8"))["weights_sha256"]
    assert first != second == sha256_of(user / "twice.safetensors")
    load_model("twice")


def test_a_single_changed_byte_is_refused_naming_the_model(store):
    _, user = store
    model = random_model(seed=1)
    save_model(model, name="hurt")
    weights = user / "hurt.safetensors"
    expected = sha256_of(weights)
    xor_every(weights, 10**9, first=data_start(weights), value=0x01)  # one mantissa bit of the first value
    state = load_file(str(weights))
    assert all(torch.isfinite(tensor).all() for tensor in state.values())  # nothing else would notice
    with pytest.raises(WeightsChecksumError) as caught:
        load_model("hurt")
    message = str(caught.value)
    assert_checksum_message(message, "hurt", weights, USER_REMEDY)
    assert f"expected {expected[:12]}..., found {sha256_of(weights)[:12]}...)" in message
    assert isinstance(caught.value, ModelFileError) and isinstance(caught.value, ValueError)
    with pytest.raises(WeightsChecksumError):
        load_model("mitar")  # through its family too


def test_the_issue_probe_on_a_shipped_model_is_refused(store):
    """The probe of issue 20: XOR one exponent byte every 50 kB of mitar-clash's weights (221 kB)."""
    shipped, _ = store
    weights = copy_shipped("mitar-clash", shipped)
    intact = load_model("mitar-clash")
    # float32 little-endian: the 4th byte of each value holds the sign and the high exponent bits.
    changed = xor_every(weights, 50_000, first=data_start(weights) + 3, value=0x01)
    assert changed >= 4
    state = load_file(str(weights))
    assert all(torch.isfinite(tensor).all() for tensor in state.values())
    with pytest.raises(WeightsChecksumError) as caught:
        load_model("mitar-clash")
    assert_checksum_message(str(caught.value), "mitar-clash", weights, SHIPPED_REMEDY)

    # Without the card's digest the same damage would load and score differently, without a word.
    card_path = shipped / "mitar-clash.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    del card["weights_sha256"]
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    damaged = load_model("mitar-clash")
    assert not np.allclose(scores(damaged, 24), scores(intact, 24))


def test_damage_found_by_the_header_or_values_keeps_its_specific_message(store):
    """The checksum comes after the header and the NaN checks, whose messages say more."""
    _, user = store
    save_model(random_model(seed=1), name="nan")
    weights = user / "nan.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\xff\xff\xff\x7f")
    with pytest.raises(ModelFileError, match=r"is damaged \(NaN or infinite values in "):
        load_model("nan")
    save_model(random_model(seed=1), name="cut")
    (user / "cut.safetensors").write_bytes((user / "cut.safetensors").read_bytes()[:-3])
    with pytest.raises(ModelFileError, match=r"is damaged or incomplete \(incomplete metadata"):
        load_model("cut")


def test_a_card_whose_digest_is_not_a_digest_is_not_a_valid_card(store):
    _, user = store
    card_path = save_model(random_model(), name="odd")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["weights_sha256"] = "not-a-digest"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    problem = (
        f"model 'odd': its card {card_path} is not a valid model card (its weights_sha256 is not a SHA-256 "
        f"digest (64 lower-case hexadecimal digits)); {USER_REMEDY}"
    )
    assert model_file_problems() == [problem]
    with pytest.raises(ModelFileError) as caught:
        load_model("odd")
    assert str(caught.value) == problem


def test_the_cli_refuses_changed_weights_in_one_line(capsys, store):
    _, user = store
    save_model(random_model(seed=1), name="hurt")
    weights = user / "hurt.safetensors"
    xor_every(weights, 10**9, first=data_start(weights), value=0x01)
    capsys.readouterr()
    status = main(["predict", "--mirna", MIRNA, "--target", TARGET, "--model", "hurt"])
    captured = capsys.readouterr()
    assert status != 0
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"rnaapp: error: model 'hurt': its weights file {weights} does not match ")
    assert lines[0].endswith(USER_REMEDY)


def run_cli(*arguments: str, home: Path, weights: Path) -> subprocess.CompletedProcess:
    """``python -m rnaapp ARGUMENTS`` in a fresh process (what a user sees on the terminal)."""
    environment = os.environ | {"RNAAPP_HOME": str(home), "RNAAPP_WEIGHTS": str(weights)}
    return subprocess.run(
        [sys.executable, "-m", "rnaapp", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPOSITORY,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_a_terminal_sees_one_line_for_changed_weights_and_one_note_for_an_old_card(store, user_home):
    shipped, user = store
    weights = copy_shipped("seed_rule-clash", shipped)
    copy_legacy(user)
    xor_every(weights, 10**9, first=data_start(weights), value=0x01)

    refused = run_cli(
        "predict", "--mirna", MIRNA, "--target", TARGET, "--model", "seed_rule-clash",
        home=user_home, weights=shipped,
    )  # fmt: skip
    assert refused.returncode != 0 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.startswith("rnaapp: error: model 'seed_rule-clash': its weights file ")

    noted = run_cli(
        "predict", "--mirna", MIRNA, "--target", TARGET, "--model", LEGACY_NAME,
        home=user_home, weights=shipped,
    )  # fmt: skip
    assert noted.returncode == 0, noted.stderr
    assert noted.stderr == (
        f"model '{LEGACY_NAME}': its card {user / (LEGACY_NAME + '.json')} records no SHA-256 of its weights "
        "(saved by rnaapp 0.1.0), so damage to them cannot be detected; rename the model (Models page) or "
        "retrain it to record one\n"
    )
    assert "probability" in noted.stdout


# ---------------------------------------------------------------------------------------------------------
# Cards saved before the digest was recorded
# ---------------------------------------------------------------------------------------------------------


def test_an_old_card_without_digest_loads_with_one_note(store, caplog):
    _, user = store
    copy_legacy(user)
    assert "weights_sha256" not in json.loads((user / f"{LEGACY_NAME}.json").read_text(encoding="utf-8"))
    note = (
        f"model '{LEGACY_NAME}': its card {user / (LEGACY_NAME + '.json')} records no SHA-256 of its weights "
        "(saved by rnaapp 0.1.0), so damage to them cannot be detected; rename the model (Models page) or "
        "retrain it to record one"
    )
    assert unchecked_weights() == [note]
    with caplog.at_level(logging.WARNING, logger="rnaapp.registry.store"):
        first = load_model(LEGACY_NAME)
        load_model(LEGACY_NAME)
    assert [record.getMessage() for record in caplog.records] == [note]  # once per model
    assert first.card.weights_sha256 == ""
    assert model_file_problems() == []
    assert [card.name for card in list_models()] == [LEGACY_NAME]


def test_an_old_shipped_card_says_to_reinstall(store):
    shipped, _ = store
    copy_legacy(shipped)
    assert unchecked_weights() == [
        f"model '{LEGACY_NAME}': its card {shipped / (LEGACY_NAME + '.json')} records no SHA-256 of its "
        "weights (saved by rnaapp 0.1.0), so damage to them cannot be detected; reinstall the shipped "
        "weights to get cards that record one"
    ]


def test_an_old_model_gains_a_digest_when_saved_again(store):
    _, user = store
    copy_legacy(user)
    model = load_model(LEGACY_NAME)
    card_path = save_model(model, name="resaved")
    assert json.loads(card_path.read_text(encoding="utf-8"))["weights_sha256"] == sha256_of(
        user / "resaved.safetensors"
    )
    notes = unchecked_weights()
    assert len(notes) == 1 and notes[0].startswith(f"model '{LEGACY_NAME}': ")  # not 'resaved'
    np.testing.assert_array_equal(scores(load_model("resaved")), scores(model))


def test_renaming_an_old_model_records_its_digest(store):
    _, user = store
    copy_legacy(user)
    card_path = rename_model(LEGACY_NAME, "renamed")
    on_disk = json.loads(card_path.read_text(encoding="utf-8"))
    assert on_disk["weights_sha256"] == sha256_of(user / "renamed.safetensors")
    assert unchecked_weights() == []
    load_model("renamed")


def test_renaming_keeps_the_recorded_digest_so_damage_stays_refused(store):
    _, user = store
    save_model(random_model(seed=1), name="hurt")
    recorded = json.loads((user / "hurt.json").read_text(encoding="utf-8"))["weights_sha256"]
    weights = user / "hurt.safetensors"
    xor_every(weights, 10**9, first=data_start(weights), value=0x01)
    rename_model("hurt", "still-hurt")
    assert json.loads((user / "still-hurt.json").read_text(encoding="utf-8"))["weights_sha256"] == recorded
    with pytest.raises(WeightsChecksumError, match="^model 'still-hurt': "):
        load_model("still-hurt")


def test_set_default_leaves_cards_as_they_are(store):
    _, user = store
    save_model(random_model(), name="mine")
    before = (user / "mine.json").read_bytes()
    set_default("mine")
    assert (user / "mine.json").read_bytes() == before


# ---------------------------------------------------------------------------------------------------------
# Saves that cannot write their files
# ---------------------------------------------------------------------------------------------------------


def listing(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        # What safetensors raises when the disk fills up during save_file:
        SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)"),
    ],
    ids=["OSError", "SafetensorError"],
)
def test_a_full_disk_keeps_the_previous_model_and_says_so_in_one_line(store, monkeypatch, failure):
    _, user = store
    save_model(random_model(seed=1), name="keep")
    expected = scores(load_model("keep"))
    before = listing(user)

    def full_disk(state, path):
        Path(path).write_bytes(b"half a file")
        raise failure

    monkeypatch.setattr(rnaapp.registry.store, "save_file", full_disk)
    replacement = random_model(seed=2)
    with pytest.raises(ModelSaveError) as caught:
        save_model(replacement, name="keep")
    assert str(caught.value) == (
        f"model 'keep' could not be saved in {user} (No space left on device); "
        "the previous model 'keep' is kept as it was"
    )
    assert isinstance(caught.value, OSError) and caught.value.errno == errno.ENOSPC
    assert listing(user) == before  # no temporary files either
    assert replacement.card.weights_sha256 == ""  # nothing was saved, so nothing is recorded
    np.testing.assert_array_equal(scores(load_model("keep")), expected)


def test_a_folder_that_cannot_be_written_says_nothing_was_written(store, monkeypatch):
    _, user = store

    def denied(path, text):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(rnaapp.registry.store, "_write_card", denied)
    with pytest.raises(ModelSaveError) as caught:
        save_model(random_model(), name="new")
    assert str(caught.value) == (
        f"model 'new' could not be saved in {user} (Permission denied); nothing was written"
    )
    assert caught.value.errno == errno.EACCES
    assert list(user.iterdir()) == []


def test_a_rename_on_a_full_disk_keeps_the_old_name_and_says_so(store, monkeypatch):
    _, user = store
    save_model(random_model(seed=1), name="old")
    before = listing(user)
    original = rnaapp.registry.store.atomic_write

    def full_for_cards(path, write):
        if str(path).endswith(".json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(path, write)

    monkeypatch.setattr(rnaapp.registry.store, "atomic_write", full_for_cards)
    with pytest.raises(ModelSaveError) as caught:
        rename_model("old", "new")
    assert str(caught.value) == (
        f"model 'old' could not be renamed to 'new' in {user} (No space left on device); "
        "it is kept under its old name 'old'"
    )
    assert listing(user) == before
    load_model("old")


def test_the_cli_reports_a_failed_save_in_one_line(capsys, store, tmp_path, monkeypatch):
    pairs = tmp_path / "pairs.csv"
    synthetic_pairs(60, seed=2).to_csv(pairs, index=False)

    def full_disk(state, path):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(rnaapp.registry.store, "save_file", full_disk)
    output = tmp_path / "models"
    capsys.readouterr()
    status = main(
        ["train", "--family", "seed_rule", "--data", str(pairs), "--name", "x", "--epochs", "1"]
        + ["--output", str(output)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert status != 0
    assert err[-1].startswith("rnaapp: error: ")  # the command may say what came before
    assert err[-1].endswith(
        f"model 'x' could not be saved in {output} (No space left on device); nothing was written"
    )
    assert not output.exists() or list(output.iterdir()) == []


# ---------------------------------------------------------------------------------------------------------
# The card format, and the app
# ---------------------------------------------------------------------------------------------------------


def test_the_digest_is_an_optional_key_of_card_format_1(store):
    """Older rnaapp releases read format 1 and skip keys they do not know, so they still load new cards."""
    card_path = save_model(random_model(), name="formatted")
    on_disk = json.loads(card_path.read_text(encoding="utf-8"))
    assert on_disk["format"] == 1
    on_disk["a_key_from_a_later_release"] = {"anything": 1}  # what the digest is to older code
    card_path.write_text(json.dumps(on_disk), encoding="utf-8")
    assert load_model("formatted").card.weights_sha256 == on_disk["weights_sha256"]
    assert "weights_sha256" not in ModelCard(name="x", family="seed_rule", task="site", config={}).to_json()


@pytest.mark.slow
def test_the_predict_page_shows_changed_weights_as_one_error(store, user_home):
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    shipped, user = store
    copy_shipped("seed_rule-clash", shipped)
    weights = copy_shipped("seed_rule-clash", user, "hurt")
    set_default("hurt")
    xor_every(weights, 10**9, first=data_start(weights), value=0x01)
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=90)
    app.run()
    next(widget for widget in app.button if widget.label == "Predict").click().run()
    assert not app.exception
    errors = [element.value for element in app.error]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert "model 'hurt': its weights file " in errors[0]
    assert "does not match the SHA-256 recorded in its card hurt.json" in errors[0]
