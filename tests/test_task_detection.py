"""Issue 21: which task a test set belongs to (rnaapp.task_detection), the ETA text of long work
(rnaapp.progress) and the per-pair progress of the duplex energy on long targets."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from rnaapp.progress import ProgressText, format_seconds_left, throttled
from rnaapp.structure import hybrid_energies
from rnaapp.task_detection import LONG_TARGET_NT, PLANT_SPECIES, TaskGuess, detect_task, task_mismatch_warning
from rnaapp.tasks import default_comparison

from .conftest import gene_pairs, plant_pairs, synthetic_pairs


def test_site_windows_of_an_animal_species_are_site_pairs():
    guess = detect_task(synthetic_pairs(40))
    assert guess.task == "site"
    assert "hsa" in guess.reason


def test_plant_species_codes_make_plant_pairs_even_with_short_targets():
    pairs = synthetic_pairs(40).assign(species="bdi")
    guess = detect_task(pairs)
    assert guess == TaskGuess("plant", guess.reason)
    assert "bdi" in guess.reason and "plant" in guess.reason


def test_plant_benchmark_like_pairs_are_plant_pairs():
    assert detect_task(plant_pairs(12)).task == "plant"  # species ath, 100-400 nt targets


def test_long_targets_without_species_are_lncrnas():
    pairs = plant_pairs(12).drop(columns=["species", "mirna_id"])
    pairs["target_seq"] = pairs["target_seq"].str.pad(LONG_TARGET_NT + 50, fillchar="A")
    guess = detect_task(pairs)
    assert guess.task == "plant"
    assert "no species" in guess.reason and "median" in guess.reason


def test_long_animal_targets_stay_site_pairs():
    pairs = plant_pairs(12).assign(species="hsa")
    assert detect_task(pairs).task == "site"  # 3'UTRs: site models scan them


def test_species_taken_from_mirna_names_without_species_column():
    pairs = synthetic_pairs(12).drop(columns=["species"]).assign(mirna_id="osa-miR156a")
    assert detect_task(pairs).task == "plant"


def test_names_only_or_gene_column_make_gene_pairs():
    assert detect_task(gene_pairs()).task == "gene"
    assert "names only" in detect_task(gene_pairs()).reason
    with_column = synthetic_pairs(12).assign(gene="TP53")
    assert detect_task(with_column).task == "gene"


def test_plant_codes_are_lowercase_three_or_four_letters():
    assert {"bdi", "ath", "osa", "mtr", "stu", "aly", "sly", "gma", "sbi", "ptc", "zma"} <= PLANT_SPECIES
    assert not {"hsa", "mmu", "cel", "dme"} & PLANT_SPECIES
    assert all(code.islower() and 3 <= len(code) <= 4 for code in PLANT_SPECIES)


def test_mismatch_warning_names_the_task_and_the_better_models():
    guess = TaskGuess("plant", "species bdi (plant), targets up to 3,884 nt")
    warning = task_mismatch_warning(
        guess, {"mirna_site-combined": "site", "plant-ensemble-duplex": "plant"}, ["plant-ensemble-duplex"]
    )
    assert warning is not None and "\n" not in warning
    assert "plant miRNA–lncRNA" in warning and "bdi" in warning
    assert "mirna_site-combined is a model of another task" in warning
    assert "plant-ensemble-duplex" in warning.split("default comparison is")[1]
    assert task_mismatch_warning(guess, {"plant-ensemble-duplex": "plant"}) is None


def test_mismatch_warning_suggests_the_installed_default_comparison():
    guess = TaskGuess("plant", "species bdi (plant)")
    warning = task_mismatch_warning(guess, {"mirna_site-combined": "site"})
    assert all(name in warning for name in default_comparison("plant"))


def test_format_seconds_left():
    assert format_seconds_left(float("inf")) == "estimating time left"
    assert format_seconds_left(0.2) == "less than a second left"
    assert format_seconds_left(39.2) == "about 40 s left"
    assert format_seconds_left(150) == "about 3 min left"
    assert format_seconds_left(3900) == "about 1 h 5 min left"


def test_progress_text_has_the_eta_at_the_rate_since_the_first_call():
    now = iter([100.0, 104.0, 120.0])  # first call at 100 s (model loading before it does not count)
    text = ProgressText(clock=lambda: next(now))
    assert text(0, 998) == "0 of 998 pairs · estimating time left"
    assert text(100, 998) == "100 of 998 pairs · about 36 s left"  # 4 s per 100 pairs, 898 to go
    assert text(998, 998) == "998 of 998 pairs"


def test_throttled_passes_the_first_and_the_last_call():
    clock = itertools.count(0.0, 0.05).__next__  # 50 ms between calls
    seen = []
    report = throttled(lambda done, total: seen.append(done), interval=0.2, clock=clock)
    for done in range(1, 21):
        report(done, 20)
    assert seen[0] == 1 and seen[-1] == 20
    assert len(seen) <= 7


def test_hybrid_energies_report_each_slow_pair(monkeypatch):
    """A long target takes ~0.1 s per pair: every such pair is reported, not only each 1 %."""
    import rnaapp.structure as structure

    ticks = itertools.count(0.0, 0.2)  # every pair "takes" 0.2 s
    monkeypatch.setattr(structure.time, "monotonic", lambda: next(ticks))
    pairs = synthetic_pairs(6)
    calls = []
    energies = hybrid_energies(
        pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist(), progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(done, 6) for done in range(1, 7)]
    assert energies.dtype == np.float32 and (energies < 0).all()


def test_hybrid_energies_unchanged_by_progress():
    pairs = synthetic_pairs(10)
    with_progress = hybrid_energies(pairs["mirna_seq"], pairs["target_seq"], progress=lambda d, t: None)
    without = hybrid_energies(pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist())
    np.testing.assert_array_equal(with_progress, without)


@pytest.mark.benchmarks
def test_benchmark_files_are_detected(benchmarks):
    from rnaapp.io import read_pairs

    expected = {
        "plant_lnc/test_bdi.csv": "plant",
        "plant_lnc/test_sly.csv": "plant",
        "site_deepmirnatar/test.csv": "site",
        "site_parclip/test.csv": "site",
        "gene_miraw/test0.csv": "site",  # 3'UTRs of human genes: site models scan them
    }
    for name, task in expected.items():
        pairs = read_pairs(benchmarks / name)
        assert detect_task(pairs).task == task, name
    names_only = pd.read_csv(benchmarks / "gene_mtis9214" / "test.csv", nrows=50, keep_default_na=False)
    assert detect_task(names_only).task == "gene"


def test_hybrid_energies_in_processes_and_repeated_pairs_equal_the_serial_ones():
    pairs = pd.concat([synthetic_pairs(8, target_length=120)] * 2, ignore_index=True)  # every pair twice
    mirnas, targets = pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist()
    calls = []
    serial = hybrid_energies(mirnas, targets, workers=1, progress=lambda d, t: calls.append(d))
    parallel = hybrid_energies(mirnas, targets, workers=2)
    np.testing.assert_array_equal(serial, parallel)
    np.testing.assert_array_equal(serial[:8], serial[8:])
    assert calls[-1] == 16 and calls == sorted(calls)


def test_duplex_workers_stay_one_for_little_work():
    from rnaapp.structure import PARALLEL_DUPLEX_NT, _duplex_workers

    assert _duplex_workers(PARALLEL_DUPLEX_NT - 1, 1000) == 1
    assert _duplex_workers(10 * PARALLEL_DUPLEX_NT, 1) == 1
    assert _duplex_workers(10 * PARALLEL_DUPLEX_NT, 1000) >= 1
