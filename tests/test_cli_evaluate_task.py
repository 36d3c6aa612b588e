"""Issue 21: ``rnaapp evaluate`` compares the default models of the task its file looks like, and warns in
one line when ``--model`` names a model of another task."""

from __future__ import annotations

import json

import pytest

from rnaapp.cli import main
from rnaapp.tasks import default_comparison

from .conftest import plant_pairs, synthetic_pairs


def run(capsys, *arguments) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(argument) for argument in arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def plant_file(tmp_path):
    path = tmp_path / "plant.csv"
    plant_pairs(12, mirna_count=3).to_csv(path, index=False)  # species ath, 100-400 nt lncRNA-like targets
    return path


@pytest.fixture
def site_file(tmp_path):
    path = tmp_path / "site.csv"
    synthetic_pairs(40).to_csv(path, index=False)
    return path


def test_without_model_a_plant_file_gets_the_plant_default_comparison(capsys, plant_file):
    status, out, err = run(capsys, "evaluate", plant_file, "--json")
    assert status == 0, err
    expected = default_comparison("plant")
    assert expected and list(json.loads(out)) == expected
    assert "plant miRNA–lncRNA pairs" in err and "ath" in err and "--model" in err


def test_without_model_a_site_file_gets_the_site_comparison_with_mitar(capsys, site_file):
    status, out, err = run(capsys, "evaluate", site_file, "--json")
    assert status == 0, err
    results = json.loads(out)
    assert list(results) == default_comparison("site")
    assert [entry["family"] for entry in results.values()][1:] == ["mitar", "seed_rule", "hybrid_mfe"]


def test_a_model_of_another_task_gets_one_warning_line(capsys, plant_file):
    status, out, err = run(capsys, "evaluate", plant_file, "--model", "seed_rule-deepmirnatar", "--json")
    assert status == 0, err
    assert list(json.loads(out)) == ["seed_rule-deepmirnatar"]
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    (warning,) = warnings
    assert "plant miRNA–lncRNA" in warning and "seed_rule-deepmirnatar" in warning
    assert default_comparison("plant")[0] in warning


def test_a_model_of_the_file_task_gets_no_warning(capsys, site_file):
    status, _, err = run(capsys, "evaluate", site_file, "--model", "seed_rule-deepmirnatar")
    assert status == 0, err
    assert "warning" not in err


@pytest.mark.benchmarks
def test_plant_benchmark_default_comparison_is_the_plant_one(capsys, benchmarks, tmp_path):
    """The acceptance check of issue 21 on a slice of plant_lnc/test_bdi.csv (the whole file takes minutes:
    bench/evaluate_defaults.py measures it)."""
    import pandas as pd

    pairs = pd.read_csv(benchmarks / "plant_lnc" / "test_bdi.csv")
    pairs = pd.concat([pairs[pairs["label"] == 1].head(15), pairs[pairs["label"] == 0].head(15)])
    pairs = pairs[pairs["target_seq"].str.len() < 1000]
    path = tmp_path / "bdi_slice.csv"
    pairs.to_csv(path, index=False)
    status, out, err = run(capsys, "evaluate", path, "--json")
    assert status == 0, err
    results = json.loads(out)
    assert list(results) == default_comparison("plant")
    assert results[default_comparison("plant")[0]]["metrics"]["AUC"] > 0.8


def test_a_slow_baseline_is_announced_with_its_time_before_it_starts(capsys, plant_file, monkeypatch):
    import rnaapp.inference.pairs

    monkeypatch.setattr(rnaapp.inference.pairs, "TIME_NOTE_SECONDS", 0.0)  # the tiny file takes less
    status, out, err = run(capsys, "evaluate", plant_file, "--model", "hybrid_mfe-deepmirnatar", "--json")
    assert status == 0, err
    (note,) = [line for line in err.splitlines() if "needs about" in line or "needs less" in line]
    assert "hybrid_mfe-deepmirnatar" in note and "12 pairs" in note and "whole target" in note
    assert err.index(note) < len(err)  # printed (before the scores, which go to stdout)
    status, out, err = run(capsys, "evaluate", plant_file, "--model", "seed_rule-deepmirnatar", "--json")
    assert "needs about" not in err  # a fast model gets no note
