"""Scanning with plant miRNA-lncRNA models: whole transcripts scored by ``predict()``, complementary sites."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from rnaapp.complementarity import best_site
from rnaapp.predict import predict
from rnaapp.scan import (
    PAIR_COLUMNS,
    PLANT_SITE_FLANK,
    SITE_COLUMNS,
    ScanCancelled,
    ScanResult,
    filter_pairs,
    plant_sites,
    read_scan,
    scan,
    scan_batches,
    scores_whole_targets,
    transcript_probabilities,
    write_scan,
)

from .conftest import reverse_complement

LETTERS = np.array(list("ACGU"))
MIRNA = "UGACAGAAGAGAGUGAGCAC"  # ath-miR156a-5p
OTHER = "UUCCACAGCUUUCUUGAACUG"  # ath-miR159a-like, any second miRNA will do


def random_rna(length: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(LETTERS, length))


def plant(background: str, position: int, site: str) -> str:
    return background[:position] + site + background[position + len(site) :]


@pytest.fixture
def inputs():
    """Two miRNAs against three lncRNAs; lnc_a holds MIRNA's perfect complement at nt 251-270."""
    mirnas = [("miR156a", MIRNA), ("other", OTHER)]
    targets = [
        ("lnc_a", plant(random_rna(600, 1), 250, reverse_complement(MIRNA))),
        ("lnc_b", random_rna(1500, 2)),
        ("lnc_c", random_rna(350, 3)),
    ]
    return mirnas, targets


def test_plant_models_score_whole_targets(tiny_plant_model):
    for family in ("mixlmi", "premli", "plant_ensemble"):
        model = tiny_plant_model(family)
        assert scores_whole_targets(model) and model.family.max_target_length(model.config) is None


def test_plant_sites_are_the_best_non_overlapping_windows():
    target = plant(plant(random_rna(900, 4), 100, reverse_complement(MIRNA)), 600, reverse_complement(MIRNA))
    found = plant_sites(MIRNA, target, 3)
    assert [(site.start, site.end, site.expectation) for site in found.sites[:2]] == [
        (100, 120, 0.0),
        (600, 620, 0.0),
    ]
    assert found.sites[2].expectation > 0 and found.n_sites >= 2 and found.n_strict >= 2
    starts = sorted(site.start for site in found.sites)
    assert all(later - earlier >= len(MIRNA) for earlier, later in zip(starts, starts[1:], strict=False))
    single = best_site(MIRNA, random_rna(700, 5))
    assert plant_sites(MIRNA, random_rna(700, 5), 1).sites[0].start == single.start
    assert plant_sites(MIRNA, "ACGU", 3).sites == ()


def test_planted_complement_is_found_at_the_right_position(tiny_plant_model, inputs):
    mirnas, targets = inputs
    result = scan(tiny_plant_model("premli"), mirnas, targets, sites_per_pair=2)
    assert list(result.pairs.columns) == ["rank", *PAIR_COLUMNS] and list(result.sites.columns) == list(
        SITE_COLUMNS
    )
    assert len(result.pairs) == 6 and result.pairs["rank"].tolist() == list(range(1, 7))
    pair = result.pairs.set_index(["mirna_id", "target_id"]).loc[("miR156a", "lnc_a")]
    assert pair["best_site_type"] == "plant" and pair["best_site_start"] == 251
    assert pair["best_site_expectation"] == 0.0 and pair["n_sites"] >= 1 and pair["n_canonical"] >= 1
    assert pair["best_site_energy"] < -25 and pair["target_length"] == 600
    sites = result.sites[(result.sites["mirna_id"] == "miR156a") & (result.sites["target_id"] == "lnc_a")]
    best = sites.iloc[0]
    assert (best["site_rank"], best["start"], best["end"], best["expectation"]) == (1, 251, 270, 0.0)
    assert best["seed_pairing"].startswith("20 Watson-Crick, 0 G:U, 0 mismatched")
    assert best["window_start"] == 251 - PLANT_SITE_FLANK
    assert best["window"] == targets[0][1][250 - PLANT_SITE_FLANK : 270 + PLANT_SITE_FLANK]
    assert best["energy"] == pair["best_site_energy"]
    assert (sites["probability"] == pair["probability"]).all()  # one score per transcript
    assert len(sites) == 2 and sites.iloc[1]["expectation"] > 0
    # A random lncRNA has no good site, but its best window is still reported.
    other = result.pairs.set_index(["mirna_id", "target_id"]).loc[("miR156a", "lnc_b")]
    assert other["best_site_type"] == "plant" and other["best_site_expectation"] > 5 and other["n_sites"] == 0


@pytest.mark.parametrize("family", ["premli", "mixlmi"])
def test_whole_transcript_scores_equal_predict(tiny_plant_model, inputs, user_home, family):
    model = tiny_plant_model(family)
    mirnas, targets = inputs
    result = scan(model, mirnas, targets, buffer_size=4, energies=False)
    pairs = result.pairs.sort_values(["target_id", "mirna_id"])
    expected = predict(
        model,
        [dict(mirnas)[name] for name in pairs["mirna_id"]],
        [dict(targets)[name] for name in pairs["target_id"]],
    )
    np.testing.assert_allclose(pairs["probability"].to_numpy(), expected, rtol=0, atol=1e-6)
    assert result.sites["energy"].isna().all()
    scores = transcript_probabilities(model, [MIRNA, OTHER], [targets[0][1], targets[1][1]])
    assert not scores["scanned"].any()
    np.testing.assert_allclose(
        scores["probability"], predict(model, [MIRNA, OTHER], [targets[0][1], targets[1][1]]), atol=1e-6
    )


def test_buffers_progress_cancel_and_empty_pairs(tiny_plant_model, inputs):
    model = tiny_plant_model("premli")
    mirnas, targets = inputs
    whole = scan(model, mirnas, targets)
    calls = []
    streamed = scan(
        model, mirnas, iter(targets), buffer_size=1, n_targets=3, progress=lambda *a: calls.append(a)
    )
    pd.testing.assert_frame_equal(whole.pairs, streamed.pairs)
    pd.testing.assert_frame_equal(whole.sites, streamed.sites)
    assert calls[-1] == (6, 6) and [done for done, _ in calls] == sorted(done for done, _ in calls)
    with pytest.raises(ScanCancelled):
        scan(model, mirnas, targets, should_stop=lambda: True)
    kept = scan(model, mirnas, targets, include_empty=False)
    assert set(zip(kept.pairs["mirna_id"], kept.pairs["target_id"], strict=True)) == {("miR156a", "lnc_a")}
    assert set(kept.sites["target_id"]) == {"lnc_a"}


def test_parquet_round_trip(tiny_plant_model, inputs, tmp_path):
    model = tiny_plant_model("premli")
    mirnas, targets = inputs
    expected = scan(model, mirnas, targets)
    counts = write_scan(
        scan_batches(model, mirnas, targets), tmp_path / "p.parquet", tmp_path / "p.sites.parquet"
    )
    assert counts == (6, len(expected.sites))
    pairs = read_scan(tmp_path / "p.parquet", filters=[("best_site_expectation", "<=", 3.0)])
    assert pairs[["mirna_id", "target_id", "best_site_start"]].values.tolist() == [["miR156a", "lnc_a", 251]]
    kept = filter_pairs(expected.pairs, max_expectation=3.0)
    assert kept["target_id"].tolist() == ["lnc_a"]
    # A pair table made without the new optional column (e.g. by an earlier rnaapp) is still written.
    older = expected.pairs.drop(columns=["rank", "best_site_expectation"])
    write_scan([ScanResult(older, expected.sites.iloc[:0])], tmp_path / "old.parquet")
    assert read_scan(tmp_path / "old.parquet")["best_site_expectation"].isna().all()


def test_process_pool_gives_the_same_result_as_one_process(tiny_plant_model, inputs, user_home):
    model = tiny_plant_model("plant_ensemble")  # both members: folded structures and k-mer tokens
    mirnas, targets = inputs
    local = scan(model, mirnas, targets)
    pooled = scan(
        model,
        mirnas,
        targets,
        workers=2,
        chunk_nucleotides=500,
        start_method="fork" if sys.platform == "linux" else "spawn",
    )
    pd.testing.assert_frame_equal(local.pairs, pooled.pairs)
    pd.testing.assert_frame_equal(local.sites, pooled.sites)


def test_dask_local_cluster_gives_the_same_result_as_one_process(tiny_plant_model, inputs):
    distributed = pytest.importorskip("dask.distributed")
    model = tiny_plant_model("premli")
    mirnas, targets = inputs
    local = scan(model, mirnas, targets)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_cluster = scan(
            model, mirnas, iter(targets), scheduler=cluster.scheduler_address, chunk_nucleotides=500
        )
    pd.testing.assert_frame_equal(local.pairs, on_cluster.pairs)
    pd.testing.assert_frame_equal(local.sites, on_cluster.sites)
