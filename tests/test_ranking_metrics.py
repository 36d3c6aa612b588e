"""Ranking metrics: per-miRNA top-k precision, ties among the top scores, and their place in compare_models."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rnaapp.comparison import RANKING_COLUMNS, compare_models, ranking_groups
from rnaapp.metrics import ranking_metrics, top_k_precision, top_tie_share

# Two miRNAs: "a" (4 pairs) and "b" (3 pairs), then "c" with one pair.
LABELS = np.array([1, 0, 1, 0, 0, 1, 1, 1])
SCORES = np.array([4.0, 3.0, 2.0, 1.0, 9.0, 8.0, 7.0, 0.5])
GROUPS = np.array(["a", "a", "a", "a", "b", "b", "b", "c"])


def test_top_k_precision_by_hand():
    # a's top 2: 4.0 (1), 3.0 (0) -> 1/2; b's top 2: 9.0 (0), 8.0 (1) -> 1/2; c has 1 pair, left out.
    assert top_k_precision(LABELS, SCORES, GROUPS, k=2) == pytest.approx(0.5)
    # k = 3: a -> 4, 3, 2 = 2/3; b -> 9, 8, 7 = 2/3.
    assert top_k_precision(LABELS, SCORES, GROUPS, k=3) == pytest.approx(2 / 3)
    # k = 4: only a qualifies, 2 of its 4 are true.
    assert top_k_precision(LABELS, SCORES, GROUPS, k=4) == pytest.approx(0.5)
    # k = 1: a -> 1, b -> 0, c -> 1: each miRNA counts once.
    assert top_k_precision(LABELS, SCORES, GROUPS, k=1) == pytest.approx(2 / 3)


def test_top_k_precision_order_of_rows_does_not_matter():
    order = np.random.default_rng(0).permutation(len(LABELS))
    shuffled = top_k_precision(LABELS[order], SCORES[order], GROUPS[order], k=3)
    assert shuffled == pytest.approx(top_k_precision(LABELS, SCORES, GROUPS, k=3))


def test_top_k_precision_is_nan_when_no_group_has_k_pairs():
    assert math.isnan(top_k_precision(LABELS, SCORES, GROUPS, k=5))
    assert math.isnan(top_k_precision([1], [0.3], ["a"], k=2))


def test_top_k_precision_ties_keep_the_given_order():
    # All three tie: the first two listed are the top 2.
    assert top_k_precision([1, 1, 0], [2.0, 2.0, 2.0], ["m"] * 3, k=2) == 1.0
    assert top_k_precision([0, 1, 1], [2.0, 2.0, 2.0], ["m"] * 3, k=2) == 0.5


def test_top_k_precision_missing_groups_form_one_group():
    groups = np.array(["a", None, None, "a"], dtype=object)
    # None group: scores 5 (1), 1 (0) -> top 1 = 1; a: 3 (0), 2 (1) -> top 1 = 0.
    assert top_k_precision([0, 1, 0, 1], [3.0, 5.0, 1.0, 2.0], groups, k=1) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("scores", "n", "expected"),
    [
        ([3.0, 3.0, 2.0], 100, 2 / 3),  # fewer than n: over all
        ([1.0, 2.0, 3.0], 100, 0.0),  # all distinct
        ([7.0] * 5, 100, 1.0),  # all tied
        ([5.0, 4.0, 4.0, 1.0, 1.0, 1.0], 3, 2 / 3),  # top 3 = 5, 4, 4; the tied 1s are below
        ([5.0, 4.0, 1.0, 1.0, 1.0, 1.0], 2, 0.0),
        ([1.0, 1.0, 9.0, 8.0, 1.0], 4, 0.5),  # top 4 = 9, 8, 1, 1
        ([np.inf, np.inf, 0.0], 3, 2 / 3),  # infinities order and tie like numbers
    ],
)
def test_top_tie_share_by_hand(scores, n, expected):
    assert top_tie_share(scores, n) == pytest.approx(expected)


def test_ranking_metrics_names_and_values():
    result = ranking_metrics(LABELS, SCORES, GROUPS, k=2, n=4)
    assert list(result) == ["top2_precision", "top4_ties", "distinct_in_top4"]
    assert result["top2_precision"] == pytest.approx(0.5)
    assert result["top4_ties"] == 0.0 and result["distinct_in_top4"] == 4

    tied = ranking_metrics([1, 0, 1, 0, 1, 0], [1.0, 1.0, 1.0, 0.0, 0.0, 2.0])
    assert list(tied) == ["top5_precision", "top100_ties", "distinct_in_top100"]
    # No groups: one group of all six; top 5 = 2.0 (0), the three 1.0s (1, 0, 1), 0.0 first listed (0).
    assert tied["top5_precision"] == pytest.approx(2 / 5)
    assert tied["top100_ties"] == pytest.approx(5 / 6) and tied["distinct_in_top100"] == 3
    assert isinstance(tied["distinct_in_top100"], int)

    few = ranking_metrics([1, 0], [0.2, 0.1], ["a", "a"])
    assert math.isnan(few["top5_precision"]) and few["top100_ties"] == 0.0 and few["distinct_in_top100"] == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: top_k_precision([], [], [], k=1), "empty"),
        (lambda: top_k_precision([1, 0], [0.1], ["a", "a"]), "same length"),
        (lambda: top_k_precision([1, 0], [0.1, 0.2], ["a"]), "one per pair"),
        (lambda: top_k_precision([1, 2], [0.1, 0.2], ["a", "a"]), "0 or 1"),
        (lambda: top_k_precision([1, 0], [0.1, np.nan], ["a", "a"]), "NaN"),
        (lambda: top_k_precision([1, 0], [0.1, 0.2], ["a", "a"], k=0), "positive integer"),
        (lambda: top_tie_share([]), "empty"),
        (lambda: top_tie_share([1.0], n=0), "positive integer"),
        (lambda: top_tie_share([1.0], n=2.5), "positive integer"),
        (lambda: ranking_metrics([1], [0.5], n=-1), "positive integer"),
    ],
)
def test_invalid_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_compare_models_ranks_by_score_per_mirna():
    probabilities = {"saturated": np.full(len(LABELS), 0.999), "other": np.linspace(0.1, 0.9, len(LABELS))}
    scores = {"saturated": SCORES, "other": -SCORES}
    comparison = compare_models(LABELS, probabilities, scores=scores, groups=GROUPS)
    ranking = comparison.ranking
    assert list(ranking.columns) == list(RANKING_COLUMNS)
    assert list(RANKING_COLUMNS) == ["model", "top5_precision", "top100_ties", "distinct_in_top100"]
    assert ranking["model"].tolist() == ["saturated", "other"]
    assert ranking["top5_precision"].isna().all()  # no miRNA has 5 pairs
    assert ranking["top100_ties"].tolist() == [0.0, 0.0]  # the scores, not the tied probabilities
    assert ranking["distinct_in_top100"].tolist() == [8, 8]
    # Metrics are unchanged by the scores.
    plain = compare_models(LABELS, probabilities)
    pd.testing.assert_frame_equal(comparison.metrics, plain.metrics)


def test_compare_models_top5_precision_and_the_probability_fallback():
    rng = np.random.default_rng(1)
    groups = np.repeat(["m1", "m2", "m3"], [6, 5, 4])
    labels = rng.integers(0, 2, groups.size)
    scores = rng.normal(size=groups.size)
    probabilities = 1 / (1 + np.exp(-scores))
    comparison = compare_models(labels, {"m": probabilities}, scores={"m": scores}, groups=groups)
    row = comparison.ranking.iloc[0]
    assert row["top5_precision"] == pytest.approx(top_k_precision(labels, scores, groups, k=5))
    # m3 has 4 pairs: only m1 and m2 count.
    expected = np.mean(
        [
            labels[groups == g][np.argsort(-scores[groups == g], kind="stable")[:5]].mean()
            for g in ("m1", "m2")
        ]
    )
    assert row["top5_precision"] == pytest.approx(expected)

    # Without scores the probabilities are ranked: a monotone transform, same ranking metrics here.
    fallback = compare_models(labels, {"m": probabilities}, groups=groups).ranking
    assert fallback["top5_precision"].iloc[0] == pytest.approx(row["top5_precision"])
    # ... but probabilities that saturate tie.
    flat = compare_models(labels, {"m": np.ones(groups.size)}).ranking.iloc[0]
    assert flat["top100_ties"] == 1.0 and flat["distinct_in_top100"] == 1


def test_compare_models_needs_every_models_score():
    with pytest.raises(ValueError, match="no scores for model"):
        compare_models([0, 1], {"a": [0.2, 0.8], "b": [0.3, 0.4]}, scores={"a": [1.0, 2.0]})


def test_ranking_groups_are_the_mirna_ids():
    pairs = pd.DataFrame({"mirna_id": ["x", "", "y", None], "label": [1, 0, 1, 0]}, index=[5, 6, 7, 8])
    assert ranking_groups(pairs).tolist() == ["x", "(missing)", "y", "(missing)"]
    assert ranking_groups(pairs.drop(columns="mirna_id")) is None
