"""Tests for rnaapp.evaluate, checked against scikit-learn as the reference."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from rnaapp.evaluate import (
    METRIC_NAMES,
    ConfusionMatrix,
    Evaluation,
    compute_metrics,
    confusion,
    evaluate,
    metrics_by_group,
    plot_curves,
    pr_points,
    roc_points,
)
from rnaapp.scoring.calibration import expected_calibration_error, reliability_table

THRESHOLDS = (0.0, 0.2, 0.5, 0.7, 1.0)


def _random_predictions(
    seed: int, n: int = 300, decimals: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and informative probabilities; rounding to ``decimals`` creates many ties."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    probabilities = np.clip(0.35 * labels + rng.uniform(0.0, 0.65, size=n), 0.0, 1.0)
    if decimals is not None:
        probabilities = np.round(probabilities, decimals)
    return labels, probabilities


def _reference_ece(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error written out (Guo et al. 2017): bin k holds ``k/bins <= p < (k+1)/bins``
    (the last bin also 1.0), and ECE sums ``n_k / n * |mean label - mean p|`` over the non-empty bins."""
    total = 0.0
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins if k < bins - 1 else math.inf
        members = (probabilities >= low) & (probabilities < high)
        if members.any():
            total += members.sum() / labels.size * abs(labels[members].mean() - probabilities[members].mean())
    return total


def _sklearn_reference(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = (probabilities >= threshold).astype(int)
    precision = skm.precision_score(labels, predicted, zero_division=0.0)
    sensitivity = skm.recall_score(labels, predicted, zero_division=0.0)
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    return {
        "ACC": skm.accuracy_score(labels, predicted),
        "SEN": sensitivity,
        "SPE": tn / (tn + fp),
        "PRE": precision,
        "F1": skm.f1_score(labels, predicted, zero_division=0.0),
        "MCC": skm.matthews_corrcoef(labels, predicted),
        "AUC": skm.roc_auc_score(labels, probabilities),
        "AUPR": skm.average_precision_score(labels, probabilities),
        "GEP": math.sqrt(precision * sensitivity),
        "ECE": _reference_ece(labels, probabilities),  # scikit-learn has no ECE
    }


# ----------------------------------------------------------------------------------------------------------
# Agreement with scikit-learn
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("decimals", [None, 1, 2], ids=["distinct", "ties-1dp", "ties-2dp"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_sklearn(seed: int, decimals: int | None) -> None:
    labels, probabilities = _random_predictions(seed, decimals=decimals)
    for threshold in THRESHOLDS:
        ours = compute_metrics(labels, probabilities, threshold)
        reference = _sklearn_reference(labels, probabilities, threshold)
        assert list(ours)[: len(METRIC_NAMES)] == list(METRIC_NAMES)
        for name in METRIC_NAMES:
            assert ours[name] == pytest.approx(reference[name], abs=1e-12), (name, threshold)
        assert ours["n"] == labels.size
        assert ours["n_pos"] == int(labels.sum())
        assert ours["n_neg"] == int((labels == 0).sum())
        assert ours["threshold"] == threshold


def test_threshold_equal_to_probability_counts_as_positive() -> None:
    labels = np.array([1, 0, 1, 0])
    probabilities = np.array([0.5, 0.5, 0.49, 0.2])
    assert confusion(labels, probabilities, 0.5) == ConfusionMatrix(tp=1, fp=1, tn=1, fn=1)


@pytest.mark.parametrize("seed", [3, 4])
def test_confusion_matches_sklearn(seed: int) -> None:
    labels, probabilities = _random_predictions(seed, decimals=1)
    for threshold in THRESHOLDS:
        counts = confusion(labels, probabilities, threshold)
        reference = skm.confusion_matrix(labels, (probabilities >= threshold).astype(int), labels=[0, 1])
        np.testing.assert_array_equal(counts.as_array(), reference)
        assert counts.n == labels.size


@pytest.mark.parametrize("decimals", [None, 1], ids=["distinct", "ties"])
def test_roc_points_match_sklearn(decimals: int | None) -> None:
    labels, probabilities = _random_predictions(5, decimals=decimals)
    points = roc_points(labels, probabilities)
    fpr, tpr, thresholds = skm.roc_curve(labels, probabilities, drop_intermediate=False)
    assert list(points.columns) == ["fpr", "tpr", "threshold"]
    np.testing.assert_allclose(points["fpr"], fpr, atol=1e-12)
    np.testing.assert_allclose(points["tpr"], tpr, atol=1e-12)
    assert np.isinf(points["threshold"].iloc[0])
    np.testing.assert_allclose(points["threshold"].iloc[1:], thresholds[1:])


@pytest.mark.parametrize("decimals", [None, 1], ids=["distinct", "ties"])
def test_pr_points_match_sklearn(decimals: int | None) -> None:
    labels, probabilities = _random_predictions(6, decimals=decimals)
    points = pr_points(labels, probabilities)
    precision, recall, thresholds = skm.precision_recall_curve(labels, probabilities)
    assert list(points.columns) == ["recall", "precision", "threshold"]
    # sklearn lists increasing thresholds and appends (precision 1, recall 0); ours starts with it.
    np.testing.assert_allclose(points["recall"], recall[::-1], atol=1e-12)
    np.testing.assert_allclose(points["precision"], precision[::-1], atol=1e-12)
    assert np.isinf(points["threshold"].iloc[0])
    np.testing.assert_allclose(points["threshold"].iloc[1:], thresholds[::-1])


def test_evaluate_is_consistent_with_separate_functions() -> None:
    labels, probabilities = _random_predictions(7, decimals=2)
    result = evaluate(labels, probabilities, threshold=0.6)
    assert isinstance(result, Evaluation)
    assert result.metrics == compute_metrics(labels, probabilities, 0.6)
    assert result.confusion == confusion(labels, probabilities, 0.6)
    pd.testing.assert_frame_equal(result.roc, roc_points(labels, probabilities))
    pd.testing.assert_frame_equal(result.pr, pr_points(labels, probabilities))
    pd.testing.assert_frame_equal(result.reliability, reliability_table(labels, probabilities))


def test_to_dict_is_strict_json() -> None:
    labels, probabilities = _random_predictions(8, n=40)
    result = evaluate(labels, probabilities)
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(payload) == {"metrics", "confusion", "roc", "pr", "reliability"}
    assert payload["metrics"]["AUC"] == pytest.approx(result.metrics["AUC"])
    assert payload["confusion"] == {
        "tp": result.confusion.tp,
        "fp": result.confusion.fp,
        "tn": result.confusion.tn,
        "fn": result.confusion.fn,
    }
    assert payload["roc"]["threshold"][0] is None  # the inf threshold of the first point
    assert payload["roc"]["fpr"] == result.roc["fpr"].tolist()
    assert len(payload["pr"]["recall"]) == len(result.pr)
    assert payload["reliability"]["n"] == result.reliability["n"].tolist()
    assert sum(payload["reliability"]["n"]) == 40

    one_class = evaluate([1, 1, 1], [0.2, 0.6, 0.9]).to_dict()
    json.dumps(one_class, allow_nan=False)
    assert one_class["metrics"]["AUC"] is None


def test_accepts_bools_lists_and_series() -> None:
    labels, probabilities = _random_predictions(9, n=50)
    expected = compute_metrics(labels, probabilities)
    assert compute_metrics(labels.astype(bool), probabilities) == expected
    assert compute_metrics(labels.tolist(), probabilities.tolist()) == expected
    assert compute_metrics(pd.Series(labels, index=np.arange(50) * 3), pd.Series(probabilities)) == expected


# ----------------------------------------------------------------------------------------------------------
# Degenerate cases and validation
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_gives_nan_ranking_metrics_without_warnings(label: int) -> None:
    labels = np.full(6, label)
    probabilities = np.array([0.1, 0.4, 0.5, 0.5, 0.8, 0.95])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = evaluate(labels, probabilities)
        table = metrics_by_group(
            pd.DataFrame({"g": ["a"] * 6, "label": labels, "probability": probabilities}), "g"
        )
    assert math.isnan(result.metrics["AUC"])
    assert math.isnan(result.metrics["AUPR"])
    assert table[["AUC", "AUPR"]].isna().all().all()
    for name in ("ACC", "SEN", "SPE", "PRE", "F1", "MCC", "GEP"):
        assert math.isfinite(result.metrics[name])
    # Threshold metrics agree with sklearn's zero_division=0 convention.
    predicted = (probabilities >= 0.5).astype(int)
    assert result.metrics["ACC"] == pytest.approx(skm.accuracy_score(labels, predicted))
    assert result.metrics["PRE"] == pytest.approx(skm.precision_score(labels, predicted, zero_division=0.0))
    assert result.metrics["SEN"] == pytest.approx(skm.recall_score(labels, predicted, zero_division=0.0))
    assert result.metrics["MCC"] == 0.0
    if label == 1:
        assert result.metrics["SPE"] == 0.0  # no negatives: zero denominator
        assert result.roc["fpr"].isna().all()
    else:
        assert result.metrics["SEN"] == 0.0  # no positives: zero denominator
        assert result.roc["tpr"].isna().all()


def test_nothing_predicted_positive_gives_zero_precision() -> None:
    labels = np.array([0, 1, 0, 1])
    probabilities = np.array([0.1, 0.2, 0.3, 0.4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = compute_metrics(labels, probabilities, threshold=0.9)
    assert metrics["PRE"] == 0.0
    assert metrics["F1"] == 0.0
    assert metrics["GEP"] == 0.0
    assert metrics["MCC"] == 0.0
    assert metrics["SPE"] == 1.0
    assert metrics["AUC"] == pytest.approx(skm.roc_auc_score(labels, probabilities))


def test_perfect_and_inverted_rankings() -> None:
    labels = np.array([0, 0, 0, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    perfect = compute_metrics(labels, probabilities)
    assert perfect["AUC"] == 1.0
    assert perfect["AUPR"] == 1.0
    assert perfect["MCC"] == pytest.approx(1.0)
    assert perfect["GEP"] == 1.0
    inverted = compute_metrics(labels, 1.0 - probabilities)
    assert inverted["AUC"] == 0.0
    assert inverted["MCC"] == pytest.approx(-1.0)


def test_single_prediction() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = compute_metrics([1], [0.7])
    assert metrics["ACC"] == 1.0
    assert math.isnan(metrics["AUC"])


@pytest.mark.parametrize(
    ("labels", "probabilities", "message"),
    [
        ([], [], "empty"),
        ([0, 1, 1], [0.1, 0.2], "same length"),
        ([0, 2, 1], [0.1, 0.2, 0.3], "labels must be 0 or 1"),
        ([0, 0.5, 1], [0.1, 0.2, 0.3], "labels must be 0 or 1"),
        ([0, np.nan, 1], [0.1, 0.2, 0.3], "labels must be 0 or 1"),
        (["a", "b"], [0.1, 0.2], "labels must be numeric"),
        ([0, 1, 1], [0.1, np.nan, 0.3], "finite"),
        ([0, 1, 1], [0.1, np.inf, 0.3], "finite"),
        ([0, 1, 1], [0.1, 1.2, 0.3], r"\[0, 1\]"),
        ([0, 1, 1], [-0.1, 0.2, 0.3], r"\[0, 1\]"),
        ([[0, 1]], [[0.1, 0.2]], "one-dimensional"),
    ],
)
def test_invalid_input_raises_value_error(labels: list, probabilities: list, message: str) -> None:
    for function in (compute_metrics, confusion, evaluate, roc_points, pr_points):
        with pytest.raises(ValueError, match=message):
            function(labels, probabilities)


def test_nan_threshold_is_rejected() -> None:
    with pytest.raises(ValueError, match="threshold"):
        compute_metrics([0, 1], [0.2, 0.8], threshold=float("nan"))


# ----------------------------------------------------------------------------------------------------------
# Groups and figure
# ----------------------------------------------------------------------------------------------------------


def test_metrics_by_group() -> None:
    labels, probabilities = _random_predictions(10, n=240, decimals=2)
    species = np.array(["ath", "osa", "zma"])[np.random.default_rng(1010).integers(0, 3, size=240)]
    # A group with a single class ("zzz", positives only) must give NaN AUC/AUPR, not an error.
    species[np.flatnonzero(labels == 1)[:4]] = "zzz"
    frame = pd.DataFrame({"species": species, "y": labels, "p": probabilities})
    table = metrics_by_group(frame, "species", label_column="y", probability_column="p", threshold=0.6)

    assert list(table.columns) == ["group", "n", *METRIC_NAMES]
    assert table["group"].tolist() == ["ath", "osa", "zma", "zzz", "all"]
    assert table["n"].tolist() == [*(int((species == s).sum()) for s in ("ath", "osa", "zma", "zzz")), 240]
    assert table.loc[table["group"] == "zzz", ["AUC", "AUPR"]].isna().all().all()
    for _, row in table.iterrows():
        mask = np.ones(240, dtype=bool) if row["group"] == "all" else species == row["group"]
        expected = compute_metrics(labels[mask], probabilities[mask], 0.6)
        for name in METRIC_NAMES:
            assert row[name] == pytest.approx(expected[name], abs=1e-12, nan_ok=True)
        if row["group"] != "zzz":
            assert row["AUC"] == pytest.approx(skm.roc_auc_score(labels[mask], probabilities[mask]))


def test_metrics_by_group_validation() -> None:
    frame = pd.DataFrame({"g": ["a", "all"], "label": [0, 1], "probability": [0.2, 0.7]})
    with pytest.raises(ValueError, match="reserved"):
        metrics_by_group(frame, "g")
    with pytest.raises(ValueError, match="no column"):
        metrics_by_group(frame, "missing")
    with pytest.raises(ValueError, match="empty"):
        metrics_by_group(frame.iloc[:0], "g")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics_by_group(frame.assign(g=["a", "b"], probability=[0.2, 7.0]), "g")


def test_plot_curves_writes_png(tmp_path) -> None:
    labels, probabilities = _random_predictions(11, n=120, decimals=2)
    rng = np.random.default_rng(11)
    evaluations = {
        "model A": evaluate(labels, probabilities),
        "random": evaluate(labels, rng.uniform(size=labels.size)),
        "one class": evaluate(np.ones(5), [0.1, 0.3, 0.5, 0.7, 0.9]),
    }
    path = tmp_path / "curves.png"
    plot_curves(evaluations, path)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000


def test_plot_curves_rejects_bad_input(tmp_path) -> None:
    evaluation = evaluate([0, 1], [0.3, 0.6])
    with pytest.raises(ValueError, match="empty"):
        plot_curves({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="format"):
        plot_curves({"m": evaluation}, tmp_path / "x.jpg")


# ---------------------------------------------------------------------------------------------------------
# miRNA-gene models: predictions by name and metrics by node status (rnaapp.evaluation_report)
# ---------------------------------------------------------------------------------------------------------


def test_node_status_breakdown_orders_statuses_and_pools_all() -> None:
    from rnaapp.evaluation_report import node_status_breakdown

    rng = np.random.default_rng(3)
    statuses = np.array(["both unseen"] * 6 + ["seen"] * 20 + ["unseen gene"] * 10)
    labels = np.tile([0, 1], 18)
    probabilities = rng.random(36)
    table = node_status_breakdown(labels, probabilities, statuses, threshold=0.5)
    assert table["node_status"].tolist() == ["seen", "unseen gene", "both unseen", "all"]
    assert table["n"].tolist() == [20, 10, 6, 36]
    assert table["positives"].tolist() == [10, 5, 3, 18] and table["negatives"].tolist() == [10, 5, 3, 18]
    seen = statuses == "seen"
    assert table["AUC"].iloc[0] == pytest.approx(skm.roc_auc_score(labels[seen], probabilities[seen]))
    assert table["AUC"].iloc[-1] == pytest.approx(skm.roc_auc_score(labels, probabilities))
    one_class = node_status_breakdown([1, 1, 0], [0.9, 0.8, 0.1], ["seen", "unseen miRNA", "seen"])
    assert one_class["node_status"].tolist() == ["seen", "unseen miRNA", "all"]
    assert math.isnan(one_class["AUC"].iloc[1])  # one class only: no AUC


def test_node_status_breakdown_rejects_bad_input() -> None:
    from rnaapp.evaluation_report import node_status_breakdown

    with pytest.raises(ValueError, match="unknown node status"):
        node_status_breakdown([0, 1], [0.2, 0.8], ["seen", "new"])
    with pytest.raises(ValueError, match="3 node statuses for 2 labels"):
        node_status_breakdown([0, 1], [0.2, 0.8], ["seen"] * 3)


def test_model_probabilities_scores_gene_pairs_by_name(tiny_gene_model) -> None:
    from rnaapp.evaluation_report import model_probabilities, pairs_fingerprint, predictions_table
    from rnaapp.predict import predict
    from rnaapp.rank import node_status
    from rnaapp.scoring import model_scoring

    from .conftest import gene_pairs

    model = tiny_gene_model("grmmi")
    pairs = gene_pairs()
    seen = []
    frame = model_probabilities(model, pairs, progress=lambda done, total: seen.append((done, total)))
    assert list(frame.columns) == [
        "score",
        "probability",
        "scanned",
        "best_site_start",
        "best_site_type",
        "n_sites",
        "node_status",
    ]
    # By name: the model's calibrated log-odds and probability (Platt scaling from its card's `scoring`
    # section; the identity without one, as for this tiny model).
    logits = predict(
        model,
        pairs["mirna_seq"].tolist(),
        pairs["target_seq"].fillna("").tolist(),
        mirna_ids=pairs["mirna_id"].tolist(),
        target_ids=pairs["target_id"].tolist(),
        output="logit",
    )
    site = model_scoring(model).site
    assert frame["score"].to_numpy() == pytest.approx(site.log_odds(logits))
    assert frame["probability"].to_numpy() == pytest.approx(site.probability(logits))
    assert frame["node_status"].tolist() == list(node_status(model, pairs["mirna_id"], pairs["target_id"]))
    assert not frame["scanned"].any() and seen[-1] == (len(pairs), len(pairs))
    table = predictions_table(pairs, {"g": frame})
    assert table["node_status_g"].tolist() == frame["node_status"].tolist()
    renamed = pairs.assign(target_id=pairs["target_id"].str.replace("gene-", "g-"))
    assert pairs_fingerprint(renamed) != pairs_fingerprint(pairs)  # names matter to graph models


def test_model_probabilities_names_the_row_a_sequence_model_cannot_score(tmp_path, monkeypatch) -> None:
    from rnaapp.evaluation_report import model_probabilities
    from rnaapp.io import InputError
    from rnaapp.registry import load_model

    monkeypatch.setenv("RNAAPP_HOME", str(tmp_path))
    model = load_model("seed_rule")
    pairs = pd.DataFrame(
        {
            "mirna_id": ["a", "b"],
            "mirna_seq": ["UGAGGUAGUAGGUUGUAUAGUU"] * 2,
            "target_id": ["x", "y"],
            "target_seq": ["AACUAUACAACCUACUACCUCA", ""],
        }
    )
    with pytest.raises(InputError, match=r"test\.csv, row 2: no target sequence: model .* names only"):
        model_probabilities(model, pairs, source="test.csv")
    scored = model_probabilities(model, pairs.iloc[:1], source="test.csv")
    assert scored["probability"].iloc[0] > 0.5 and "node_status" not in scored


# ----------------------------------------------------------------------------------------------------------
# Calibration (ECE)
# ----------------------------------------------------------------------------------------------------------


def test_ece_follows_the_nine_metrics_in_the_metrics_dict() -> None:
    labels, probabilities = _random_predictions(12, n=80)
    metrics = compute_metrics(labels, probabilities)
    assert list(metrics) == [*METRIC_NAMES, "n", "n_pos", "n_neg", "threshold"]
    assert METRIC_NAMES[-1] == "ECE" and METRIC_NAMES[:9] == (
        "ACC", "SEN", "SPE", "PRE", "F1", "MCC", "AUC", "AUPR", "GEP",
    )  # fmt: skip
    assert metrics["ECE"] == pytest.approx(expected_calibration_error(labels, probabilities), abs=1e-15)


def test_perfectly_calibrated_predictions_have_zero_ece() -> None:
    # In each bin the share of positives equals the probability given: 1 of 4 at 0.25, 3 of 4 at 0.75,
    # 9 of 10 at 0.9.
    labels = np.array([1, 0, 0, 0] + [1, 1, 1, 0] + [1] * 9 + [0])
    probabilities = np.array([0.25] * 4 + [0.75] * 4 + [0.9] * 10)
    result = evaluate(labels, probabilities)
    assert result.metrics["ECE"] == pytest.approx(0.0, abs=1e-12)
    table = result.reliability
    assert table["n"].tolist() == [4, 4, 10]
    assert table["bin_low"].tolist() == pytest.approx([0.2, 0.7, 0.9])
    np.testing.assert_allclose(table["observed"], table["mean_probability"], atol=1e-12)
    np.testing.assert_allclose(table["gap"], 0.0, atol=1e-12)
    # Calibration is not ranking: the same pairs rank imperfectly.
    assert result.metrics["AUC"] < 1.0


def test_overconfident_predictions_ece_by_hand() -> None:
    # 10 pairs at 0.95 of which 6 interact (gap 0.6 - 0.95 = -0.35), 5 pairs at 0.05 of which 1 interacts
    # (gap 0.2 - 0.05 = +0.15): ECE = (10 * 0.35 + 5 * 0.15) / 15 = 4.25 / 15.
    labels = np.array([1] * 6 + [0] * 4 + [1] + [0] * 4)
    probabilities = np.array([0.95] * 10 + [0.05] * 5)
    result = evaluate(labels, probabilities)
    assert result.metrics["ECE"] == pytest.approx(4.25 / 15)
    table = result.reliability.set_index("bin_low")
    assert table.loc[0.0, "n"] == 5 and table.loc[0.9, "n"] == 10
    assert table.loc[0.9, "gap"] == pytest.approx(-0.35)
    assert table.loc[0.0, "gap"] == pytest.approx(0.15)
    # Every pair called right at 0.5 but one positive, yet the probabilities overstate the certainty.
    assert compute_metrics(labels, probabilities)["ECE"] == pytest.approx(4.25 / 15)


def test_ece_matches_sklearn_calibration_curve() -> None:
    # Distinct probabilities (none on a bin edge, where scikit-learn's binning puts the edge in the lower bin).
    labels, probabilities = _random_predictions(13, n=500)
    observed, predicted = calibration_curve(labels, probabilities, n_bins=10, strategy="uniform")
    table = evaluate(labels, probabilities).reliability
    np.testing.assert_allclose(table["observed"], observed, atol=1e-12)
    np.testing.assert_allclose(table["mean_probability"], predicted, atol=1e-12)


def test_ece_is_defined_for_one_class_and_in_groups() -> None:
    metrics = compute_metrics([1, 1, 1, 1], [0.9, 0.9, 0.7, 0.7])
    assert math.isnan(metrics["AUC"])
    assert metrics["ECE"] == pytest.approx(0.2)  # (2 * 0.1 + 2 * 0.3) / 4
    frame = pd.DataFrame(
        {"g": ["a", "a", "b", "b"], "label": [1, 0, 1, 1], "probability": [0.75, 0.25, 0.95, 0.95]}
    )
    table = metrics_by_group(frame, "g").set_index("group")
    assert table.loc["a", "ECE"] == pytest.approx(0.25)
    assert table.loc["b", "ECE"] == pytest.approx(0.05)
