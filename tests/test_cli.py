"""Tests for the ``rnaapp`` command line: train, predict, evaluate, models, and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnaapp.cli import main
from rnaapp.evaluate import METRIC_NAMES
from rnaapp.predict import predict
from rnaapp.registry import load_model

from .conftest import synthetic_pairs

NINE_METRICS = ("ACC", "SEN", "SPE", "PRE", "F1", "MCC", "AUC", "AUPR", "GEP")
MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"
TARGET = "AAACUAUACAACCUACUACCUCAAA"  # carries an 8mer site of MIRNA


@dataclass
class Store:
    """Private model folders and a labelled pair file for one test."""

    shipped: Path
    models: Path
    pairs: Path
    folder: Path


@pytest.fixture
def store(tmp_path, monkeypatch, user_home) -> Store:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(shipped))
    pairs = tmp_path / "pairs.csv"
    synthetic_pairs(120, seed=2).to_csv(pairs, index=False)
    return Store(shipped=shipped, models=user_home / "models", pairs=pairs, folder=tmp_path)


def run(capsys, *arguments: str | Path) -> tuple[int, str, str]:
    """``main(arguments)`` with its exit status, stdout and stderr."""
    capsys.readouterr()
    status = main([str(argument) for argument in arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def train(capsys, store: Store, name: str, *extra: str) -> None:
    status, out, err = run(
        capsys,
        "train",
        "--family",
        "seed_rule",
        "--data",
        store.pairs,
        "--name",
        name,
        "--epochs",
        "2",
        "--output",
        store.models,
        *extra,
    )
    assert status == 0, err
    assert f"saved model '{name}'" in out


def assert_one_line_error(status: int, err: str, *fragments: str) -> None:
    assert status == 2
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("rnaapp: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_train_writes_weights_and_card(capsys, store):
    train(capsys, store, "seedy", "--seed", "3")
    assert sorted(path.name for path in store.models.iterdir()) == ["seedy.json", "seedy.safetensors"]
    card = json.loads((store.models / "seedy.json").read_text(encoding="utf-8"))
    assert card["name"] == "seedy" and card["family"] == "seed_rule" and card["task"] == "site"
    training = card["training"]
    assert training["command"].startswith("rnaapp train --family seed_rule --data ")
    assert "--name seedy" in training["command"] and "--epochs 2" in training["command"]
    assert training["data"] == str(store.pairs)
    assert training["seed"] == 3
    assert training["settings"]["epochs"] == 2
    assert len(training["history"]) <= 2
    assert load_model("seedy").card.source == "user"


def test_train_with_a_config_file(capsys, store):
    config = store.folder / "config.json"
    config.write_text(json.dumps({"training": {"epochs": 5, "learning_rate": 0.1}}), encoding="utf-8")
    train(capsys, store, "configured", "--config", str(config), "--epochs", "1")
    settings = json.loads((store.models / "configured.json").read_text(encoding="utf-8"))["training"][
        "settings"
    ]
    assert settings["epochs"] == 1  # the command line wins over the file
    assert settings["learning_rate"] == 0.1


def test_predict_file_writes_every_input_column_and_probability(capsys, store):
    train(capsys, store, "seedy")
    output = store.folder / "out" / "scored.csv"
    status, out, err = run(capsys, "predict", store.pairs, "--model", "seedy", "-o", output)
    assert status == 0, err
    assert out == ""
    assert "wrote 120 scored pairs" in err
    given = pd.read_csv(store.pairs)
    scored = pd.read_csv(output)
    assert list(scored.columns) == [*given.columns, "probability"]
    pd.testing.assert_frame_equal(scored.drop(columns="probability"), given)
    model = load_model("seedy")
    np.testing.assert_allclose(
        scored["probability"], predict(model, given.mirna_seq.tolist(), given.target_seq.tolist()), atol=1e-9
    )
    assert not list(output.parent.glob("*.tmp")) and not list(output.parent.glob(".*.tmp"))


def test_predict_tsv_output(capsys, store):
    train(capsys, store, "seedy")
    output = store.folder / "scored.tsv"
    status, _, err = run(capsys, "predict", store.pairs, "--model", "seedy", "--output", output)
    assert status == 0, err
    assert "probability" in pd.read_csv(output, sep="\t").columns


def test_predict_typed_sequences_prints_a_table(capsys, store):
    train(capsys, store, "seedy")
    status, out, err = run(
        capsys, "predict", "--mirna", MIRNA.lower(), "--target", TARGET, "--model", "seedy"
    )
    assert status == 0, err
    header, row = out.strip().split("\n")
    assert header.split() == ["mirna_id", "mirna_seq", "target_id", "target_seq", "probability"]
    assert MIRNA in row and TARGET in row
    expected = predict(load_model("seedy"), [MIRNA], [TARGET])[0]
    assert float(row.split()[-1]) == pytest.approx(expected, abs=5e-5)


def test_predict_by_family_uses_its_default(capsys, store):
    train(capsys, store, "first")
    train(capsys, store, "chosen", "--set-default", "--seed", "1")
    status, out, err = run(capsys, "predict", "--mirna", MIRNA, "--target", TARGET)  # no --model: site
    assert status == 0, err
    expected = predict(load_model("chosen"), [MIRNA], [TARGET])[0]
    assert float(out.strip().split("\n")[-1].split()[-1]) == pytest.approx(expected, abs=5e-5)


def test_evaluate_json_for_two_models(capsys, store):
    train(capsys, store, "model-a")
    train(capsys, store, "model-b", "--seed", "1")
    status, out, err = run(
        capsys, "evaluate", store.pairs, "--model", "model-a", "--model", "model-b", "--json"
    )
    assert status == 0, err
    results = json.loads(out)
    assert list(results) == ["model-a", "model-b"]
    for name, entry in results.items():
        assert entry["model"] == name and entry["family"] == "seed_rule"
        assert set(NINE_METRICS) <= set(entry["metrics"])
        for metric in NINE_METRICS:
            assert isinstance(entry["metrics"][metric], float), metric
        assert entry["metrics"]["AUC"] > 0.95  # the seed rule separates the synthetic pairs
        assert sum(entry["confusion"].values()) == 120
        assert "roc" not in entry and "pr" not in entry
    assert set(METRIC_NAMES) == set(NINE_METRICS)


def test_evaluate_curves_in_json(capsys, store):
    train(capsys, store, "seedy")
    status, out, err = run(capsys, "evaluate", store.pairs, "--model", "seedy", "--json", "--curves")
    assert status == 0, err
    entry = json.loads(out)["seedy"]
    assert "roc" in entry and "pr" in entry


def test_evaluate_table_and_plot(capsys, store):
    train(capsys, store, "seedy")
    plot = store.folder / "curves.png"
    status, out, err = run(capsys, "evaluate", store.pairs, "--model", "seedy", "--plot", plot)
    assert status == 0, err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "120 pairs (60 positive)" in out
    assert all(metric in out for metric in NINE_METRICS)
    assert "seedy: TP " in out


def test_evaluate_by_species(capsys, store):
    train(capsys, store, "seedy")
    status, out, err = run(capsys, "evaluate", store.pairs, "--model", "seedy", "--by", "species")
    assert status == 0, err
    groups = [line.split()[0] for line in out.split("\n") if line.split()[:1] in (["hsa"], ["mmu"], ["all"])]
    assert groups == ["hsa", "mmu", "all"]
    status, out, err = run(capsys, "evaluate", store.pairs, "--model", "seedy", "--by", "species", "--json")
    assert status == 0, err
    by_species = {row["group"]: row for row in json.loads(out)["seedy"]["by_species"]}
    assert set(by_species) == {"hsa", "mmu", "all"}
    assert by_species["hsa"]["n"] + by_species["mmu"]["n"] == by_species["all"]["n"] == 120


def test_models_json_marks_defaults(capsys, store):
    status, out, _ = run(capsys, "models", "--json")
    assert status == 0 and json.loads(out) == []
    status, out, _ = run(capsys, "models")
    assert status == 0 and "no models installed" in out
    train(capsys, store, "plain")
    train(capsys, store, "favourite", "--set-default")
    status, out, err = run(capsys, "models", "--json")
    assert status == 0, err
    rows = {row["name"]: row for row in json.loads(out)}
    assert set(rows) == {"plain", "favourite"}
    assert (rows["favourite"]["default"], rows["favourite"]["task_default"]) == (True, True)
    assert (rows["plain"]["default"], rows["plain"]["task_default"]) == (False, False)
    for row in rows.values():
        assert (row["family"], row["task"], row["source"]) == ("seed_rule", "site", "user")
    status, out, _ = run(capsys, "models")
    assert status == 0
    favourite_line = next(line for line in out.split("\n") if line.startswith("favourite"))
    assert "task+family" in favourite_line


def test_error_missing_file(capsys, store):
    missing = store.folder / "missing.csv"
    assert_one_line_error(*run(capsys, "predict", missing, "--model", "seed_rule")[::2], "missing.csv")
    assert_one_line_error(*run(capsys, "evaluate", missing)[::2], "no such file")
    assert_one_line_error(
        *run(capsys, "train", "--family", "seed_rule", "--data", missing, "--name", "x")[::2], "no such file"
    )
    assert not store.models.exists()


def test_error_bad_letters_in_typed_sequences(capsys, store):
    train(capsys, store, "seedy")
    status, _, err = run(capsys, "predict", "--mirna", "UGAGGUAGUAXGUUGUAUAGUU", "--target", TARGET)
    assert_one_line_error(status, err, "<input>", "'X' at position 11")


def test_error_bad_row_in_a_file(capsys, store):
    train(capsys, store, "seedy")
    frame = synthetic_pairs(6)
    frame.loc[3, "target_seq"] = "ACGUJACGU"
    bad = store.folder / "bad.csv"
    frame.to_csv(bad, index=False)
    assert_one_line_error(*run(capsys, "predict", bad, "--model", "seedy")[::2], "bad.csv, row 4")


def test_error_unknown_model(capsys, store):
    train(capsys, store, "seedy")
    status, _, err = run(capsys, "predict", store.pairs, "--model", "no-such-model")
    assert_one_line_error(status, err, "'no-such-model'", "seedy")


def test_error_no_model_for_the_task(capsys, store):
    status, _, err = run(capsys, "predict", "--mirna", MIRNA, "--target", TARGET, "--model", "plant")
    assert_one_line_error(status, err, "task 'plant'")


def test_error_card_of_an_unknown_family(capsys, store):
    train(capsys, store, "seedy")
    card = json.loads((store.models / "seedy.json").read_text(encoding="utf-8"))
    card["name"], card["family"] = "future", "from_the_future"
    (store.models / "future.json").write_text(json.dumps(card), encoding="utf-8")
    shutil.copy(store.models / "seedy.safetensors", store.models / "future.safetensors")
    status, _, err = run(capsys, "predict", "--mirna", MIRNA, "--target", TARGET, "--model", "future")
    assert_one_line_error(status, err, "from_the_future")


def test_error_unknown_family(capsys, store):
    status, _, err = run(capsys, "train", "--family", "nope", "--data", store.pairs, "--name", "x")
    assert_one_line_error(status, err, "unknown family 'nope'", "mirna_site", "seed_rule")


def test_error_invalid_model_name(capsys, store):
    status, _, err = run(capsys, "train", "--family", "seed_rule", "--data", store.pairs, "--name", "../x")
    assert_one_line_error(status, err, "invalid model name")


def test_error_evaluate_without_labels(capsys, store):
    train(capsys, store, "seedy")
    unlabelled = store.folder / "unlabelled.csv"
    synthetic_pairs(10).drop(columns="label").to_csv(unlabelled, index=False)
    assert_one_line_error(
        *run(capsys, "evaluate", unlabelled, "--model", "seedy")[::2], "unlabelled.csv", "label"
    )


def test_error_evaluate_by_a_missing_column(capsys, store):
    train(capsys, store, "seedy")
    status, _, err = run(capsys, "evaluate", store.pairs, "--model", "seedy", "--by", "tissue")
    assert_one_line_error(status, err, "'tissue'", "species")


def test_error_training_without_negatives(capsys, store):
    positives = store.folder / "positives.csv"
    synthetic_pairs(40).query("label == 1").to_csv(positives, index=False)
    status, _, err = run(capsys, "train", "--family", "seed_rule", "--data", positives, "--name", "x")
    assert_one_line_error(status, err, "nothing was saved")
    assert not store.models.exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ({"model": {"bogus": 1}}, "bogus"),
        ({"training": {"epochz": 3}}, "epochz"),
        ({"modle": {}}, "expected"),
        ({"model": [1, 2]}, "JSON objects"),
        ({"training": "fast"}, "JSON objects"),
        ("{not json", "cannot read"),
    ],
)
def test_error_config_with_unknown_keys(capsys, store, content, fragment):
    config = store.folder / "config.json"
    config.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    status, _, err = run(
        capsys, "train", "--family", "mirna_site", "--data", store.pairs, "--name", "x", "--config", config
    )
    assert_one_line_error(status, err, fragment)
    assert not store.models.exists()


def test_console_script_runs_without_a_traceback(tmp_path):
    script = Path(sys.executable).parent / "rnaapp"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "rnaapp.cli"]
    shown = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0
    for subcommand in ("predict", "evaluate", "train", "models"):
        assert subcommand in shown.stdout
    failed = subprocess.run(
        [*command, "predict", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 2
    assert failed.stderr.strip().split("\n") == [f"rnaapp: error: {tmp_path / 'missing.csv'}: no such file"]
