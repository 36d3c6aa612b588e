"""Model comparison on a labelled test set: metrics table, predictions table, breakdowns, demo set."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rnaapp.evaluate import METRIC_NAMES, compute_metrics, confusion
from rnaapp.evaluation_report import (
    METRIC_EXPLANATIONS,
    compare_models,
    demo_test_set,
    group_breakdown,
    pairs_fingerprint,
    prediction_columns,
    predictions_table,
    summarise_test_set,
    thin_curve,
)
from rnaapp.scoring.calibration import reliability_table
from rnaapp.sites import best_site_type, find_seed_sites

from .conftest import synthetic_pairs


@pytest.fixture
def scored() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    pairs = synthetic_pairs(60, seed=3)
    rng = np.random.default_rng(3)
    labels = pairs["label"].to_numpy()
    probabilities = {
        "good": np.clip(labels * 0.6 + rng.uniform(0, 0.4, len(pairs)), 0, 1),
        "random": rng.uniform(0, 1, len(pairs)),
    }
    return pairs, probabilities


def test_every_metric_is_explained():
    assert list(METRIC_EXPLANATIONS) == list(METRIC_NAMES)
    assert "sqrt" in METRIC_EXPLANATIONS["GEP"] or "√(PRE × SEN)" in METRIC_EXPLANATIONS["GEP"]
    assert "calibration" in METRIC_EXPLANATIONS["ECE"]


def test_compare_models_matches_compute_metrics(scored):
    pairs, probabilities = scored
    labels = pairs["label"].to_numpy()
    comparison = compare_models(labels, probabilities, threshold=0.4)
    assert comparison.metrics["model"].tolist() == ["good", "random"]
    assert list(comparison.metrics.columns[1 : 1 + len(METRIC_NAMES)]) == list(METRIC_NAMES)
    for _, row in comparison.metrics.iterrows():
        expected = compute_metrics(labels, probabilities[row["model"]], 0.4)
        for name in METRIC_NAMES:
            assert row[name] == pytest.approx(expected[name])
        counts = confusion(labels, probabilities[row["model"]], 0.4)
        assert (row["TP"], row["FP"], row["TN"], row["FN"]) == (counts.tp, counts.fp, counts.tn, counts.fn)
        assert comparison.confusions[row["model"]] == counts
    assert comparison.metrics.loc[0, "AUC"] == 1.0
    fpr, tpr = comparison.roc_operating_points["good"]
    recall, precision = comparison.pr_operating_points["good"]
    good = comparison.metrics.iloc[0]
    assert (fpr, tpr) == pytest.approx((1 - good["SPE"], good["SEN"]))
    assert (recall, precision) == pytest.approx((good["SEN"], good["PRE"]))
    assert list(comparison.reliability) == ["good", "random"]
    for name, table in comparison.reliability.items():
        pd.testing.assert_frame_equal(table, reliability_table(labels, probabilities[name]))


def test_threshold_moves_calls_not_areas(scored):
    pairs, probabilities = scored
    labels = pairs["label"].to_numpy()
    low = compare_models(labels, probabilities, threshold=0.1).metrics
    high = compare_models(labels, probabilities, threshold=0.9).metrics
    assert (low["AUC"] == high["AUC"]).all() and (low["AUPR"] == high["AUPR"]).all()
    assert (low["ECE"] == high["ECE"]).all()
    assert (low["SEN"] >= high["SEN"]).all() and (low["TP"] + low["FP"] > high["TP"] + high["FP"]).all()


def test_one_class_has_nan_areas_and_no_undefined_operating_points():
    labels = np.ones(5, dtype=int)
    comparison = compare_models(labels, {"m": np.array([0.1, 0.2, 0.6, 0.7, 0.9])}, threshold=0.95)
    assert math.isnan(comparison.aucs["m"]) and math.isnan(comparison.auprs["m"])
    assert "m" not in comparison.roc_operating_points  # no negatives: no false-positive rate
    assert "m" not in comparison.pr_operating_points  # nothing predicted positive: no precision


def test_compare_models_needs_a_model():
    with pytest.raises(ValueError, match="at least one"):
        compare_models([0, 1], {})


def test_thin_curve_keeps_ends():
    curve = pd.DataFrame({"x": np.arange(10_000), "y": np.arange(10_000)})
    thinned = thin_curve(curve, 100)
    assert len(thinned) == 100
    assert thinned["x"].iloc[0] == 0 and thinned["x"].iloc[-1] == 9_999
    assert len(thin_curve(curve.head(5), 100)) == 5


def test_predictions_table(scored):
    pairs, probabilities = scored
    scanned = pd.DataFrame(
        {
            "probability": probabilities["random"],
            "scanned": np.arange(len(pairs)) == 0,
            "best_site_start": pd.array([12] + [pd.NA] * (len(pairs) - 1), dtype="Int64"),
            "best_site_type": ["8mer"] + [""] * (len(pairs) - 1),
        }
    )
    table = predictions_table(pairs, {"good": probabilities["good"], "random": scanned}, threshold=0.5)
    assert list(table.columns[: pairs.shape[1]]) == list(pairs.columns)
    assert table["probability_good"].tolist() == pytest.approx(probabilities["good"].tolist())
    assert table["predicted_good"].tolist() == (probabilities["good"] >= 0.5).astype(int).tolist()
    assert table.loc[0, "best_site_start_random"] == 12 and table.loc[0, "best_site_type_random"] == "8mer"
    assert "best_site_start_good" not in table
    with pytest.raises(ValueError, match="one per pair"):
        predictions_table(pairs, {"short": probabilities["good"][:-1]})
    assert "predicted_<model>" in prediction_columns(["good"], 0.5)


def test_group_breakdown(scored):
    pairs, probabilities = scored
    pairs = pairs.copy()
    pairs.loc[0, "species"] = ""
    table = group_breakdown(pairs, probabilities["good"], "species", threshold=0.5)
    assert table["group"].tolist() == ["(missing)", "hsa", "mmu", "all"]
    assert list(table.columns) == ["group", "n", "positives", "negatives", *METRIC_NAMES]
    assert table["n"].tolist()[:-1] == [1, 40, 19] and table["n"].iloc[-1] == len(pairs)
    assert (table["positives"] + table["negatives"] == table["n"]).all()
    assert math.isnan(table.loc[0, "AUC"])  # a one-pair group holds one class only
    # ... and its undefined rates are NaN, not the 0 of an empty ratio.
    missing_class = "SPE" if table.loc[0, "negatives"] == 0 else "SEN"
    assert math.isnan(table.loc[0, missing_class]) and math.isnan(table.loc[0, "MCC"])
    defined = "SEN" if missing_class == "SPE" else "SPE"
    assert not math.isnan(table.loc[0, defined])
    overall = compute_metrics(pairs["label"], probabilities["good"], 0.5)
    assert table.iloc[-1]["MCC"] == pytest.approx(overall["MCC"])


def test_group_named_all_is_renamed(scored):
    pairs, probabilities = scored
    pairs = pairs.assign(species="all")
    table = group_breakdown(pairs, probabilities["good"], "species")
    assert table["group"].tolist() == ["all (in the file)", "all"]
    with pytest.raises(ValueError, match="no column"):
        group_breakdown(pairs.drop(columns="species"), probabilities["good"], "species")


def test_summary_and_fingerprint(scored):
    pairs, _ = scored
    summary = summarise_test_set(pairs)
    assert (summary.n, summary.positives, summary.negatives) == (60, 30, 30)
    assert summary.species == {"hsa": 40, "mmu": 20}
    assert summary.longest_target == 40 and summary.mirnas == 12
    assert (summary.duplicates, summary.conflicting) == (0, 0)
    repeated = pd.concat([pairs, pairs.iloc[:3], pairs.iloc[[4]].assign(label=1 - pairs["label"].iloc[4])])
    summary = summarise_test_set(repeated.reset_index(drop=True))
    assert (summary.n, summary.duplicates, summary.conflicting) == (64, 4, 1)
    same = pairs.assign(label=1 - pairs["label"])
    assert pairs_fingerprint(pairs) == pairs_fingerprint(same)
    changed = pairs.copy()
    changed.loc[5, "target_seq"] = "A" * 40
    assert pairs_fingerprint(pairs) != pairs_fingerprint(changed)


def test_demo_test_set_is_labelled_by_construction():
    demo = demo_test_set()
    assert len(demo) == 120 and demo["label"].sum() == 60
    assert list(demo.columns) == ["mirna_id", "mirna_seq", "target_id", "target_seq", "label", "species"]
    assert (demo["target_seq"].str.len() == 40).all() and demo["target_id"].is_unique
    for row in demo.itertuples():
        sites = find_seed_sites(row.mirna_seq, row.target_seq)
        assert len(sites) == row.label
        if row.label:
            assert best_site_type(row.mirna_seq, row.target_seq) in row.target_id
    assert demo_test_set().equals(demo)
    with pytest.raises(ValueError, match="even"):
        demo_test_set(pairs_per_mirna=3)
