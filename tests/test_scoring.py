"""Tests of rnaapp.scoring: site features, calibration, the transcript score, fits and the background."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.scoring import (
    SITE_FEATURES,
    Scoring,
    SiteCalibration,
    SiteContext,
    TranscriptModel,
    expected_calibration_error,
    fit_site_calibration,
    fit_transcript_model,
    length_feature,
    local_au,
    logit,
    prior_shift,
    reliability_table,
    site_features,
)
from rnaapp.scoring.background import background_targets, percentiles

COLUMN = {name: index for index, name in enumerate(SITE_FEATURES)}


def test_local_au_counts_both_flanks():
    target = "AAAA" + "GGGGGG" + "UUUU"
    assert local_au(target, 4, 10, flank=4) == 1.0
    assert local_au("GGGG", 0, 4) == 0.5  # nothing around: neutral


def test_site_features_types_position_and_cooperative_spacing():
    target = "A" * 200
    sites = [
        SiteContext("8mer", 5, 13),
        SiteContext("7mer-m8", 30, 37),
        SiteContext("non-canonical", 150, 157),
    ]
    rows = site_features(target, sites, np.array([1.0, 2.0, 3.0]), np.array([-20.0, -30.0, np.nan]))
    assert rows.shape == (3, len(SITE_FEATURES))
    assert rows[:, COLUMN["log_odds"]].tolist() == [1.0, 2.0, 3.0]
    assert (
        rows[0, COLUMN["8mer"]] == 1
        and rows[1, COLUMN["7mer-m8"]] == 1
        and rows[2, COLUMN["non-canonical"]] == 1
    )
    assert rows[0, COLUMN["near_start"]] == 1 and rows[1, COLUMN["near_start"]] == 0
    # canonical sites 25 nt apart cooperate; the non-canonical one does not count
    assert rows[:, COLUMN["cooperative"]].tolist() == [1.0, 1.0, 0.0]
    assert rows[:, COLUMN["energy"]].tolist() == [0.0, -1.0, 0.0]  # NaN energy -> default
    assert rows[0, COLUMN["local_au"]] == pytest.approx(0.5)


def test_site_features_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        site_features("ACGU" * 20, [SiteContext("6mer", 1, 7)], np.array([1.0, 2.0]))


def test_transcript_score_sums_odds_and_never_saturates():
    model = TranscriptModel()
    one = site_features("A" * 100, [SiteContext("8mer", 40, 48)], np.array([30.0]))
    two = site_features(
        "A" * 100, [SiteContext("8mer", 40, 48), SiteContext("6mer", 80, 86)], np.array([30.0, 30.0])
    )
    first, second = model.score_pair(one, 0.0), model.score_pair(two, 0.0)
    assert first.score == pytest.approx(30.0)
    assert second.score == pytest.approx(30.0 + np.log(2.0))  # a second equal site doubles the odds
    assert second.score > first.score
    assert second.contributions.tolist() == pytest.approx([0.5, 0.5])
    empty = model.score_pair(np.zeros((0, len(SITE_FEATURES))), 0.0)
    assert empty.score == -np.inf and empty.probability == 0.0


def test_prior_moves_log_odds_by_the_logit_difference():
    calibration = SiteCalibration(slope=2.0, intercept=-1.0)
    assert calibration.log_odds(np.array([1.0]))[0] == pytest.approx(1.0)
    shifted = calibration.log_odds(np.array([1.0]), prior=0.1)[0]
    assert shifted == pytest.approx(1.0 + logit(0.1))
    assert prior_shift(None, 0.5) == 0.0
    with pytest.raises(ValueError):
        logit(1.0)


def test_scoring_round_trips_through_the_card_dictionary():
    scoring = Scoring(
        site=SiteCalibration(0.5, 0.1, 0.48, "clash"),
        transcript=TranscriptModel(weights={"log_odds": 0.7, "8mer": 1.2}, length_weight=-0.3, intercept=0.2),
    )
    assert Scoring.from_dict(scoring.to_dict()) == scoring
    assert Scoring.from_dict({}) == Scoring() and not Scoring().fitted
    with pytest.raises(ValueError):
        TranscriptModel(weights={"not-a-feature": 1.0})


def test_fit_site_calibration_recovers_platt_parameters():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, 20000)
    labels = (rng.random(20000) < 1 / (1 + np.exp(-(0.5 * logits - 0.3)))).astype(float)
    fitted = fit_site_calibration(logits, labels, fitted_on="synthetic", l2=0.0)
    assert fitted.slope == pytest.approx(0.5, abs=0.05)
    assert fitted.intercept == pytest.approx(-0.3, abs=0.08)
    assert expected_calibration_error(labels, fitted.probability(logits)) < 0.02
    assert expected_calibration_error(labels, 1 / (1 + np.exp(-logits))) > 0.05
    with pytest.raises(ValueError):
        fit_site_calibration(logits, np.ones_like(logits), fitted_on="one class")


def test_fit_transcript_model_learns_that_site_type_matters():
    rng = np.random.default_rng(1)
    pairs, labels = [], []
    for _ in range(400):
        positive = rng.random() < 0.5
        kinds = ["8mer" if positive else "non-canonical"] + ["non-canonical"] * int(rng.integers(0, 4))
        contexts = [SiteContext(kind, 20 + 60 * k, 28 + 60 * k) for k, kind in enumerate(kinds)]
        pairs.append(site_features("A" * 400, contexts, rng.normal(0, 1, len(kinds))))
        labels.append(float(positive))
    lengths = np.zeros(len(pairs))
    fitted = fit_transcript_model(
        pairs, lengths, np.array(labels), fitted_on="synthetic", features=("log_odds", "8mer")
    )
    assert fitted.weights["8mer"] > 1.0
    predicted = [fitted.score_pair(rows, 0.0).probability for rows in pairs]
    assert np.mean([(p > 0.5) == bool(y) for p, y in zip(predicted, labels, strict=True)]) > 0.9


def test_reliability_table_and_ece():
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.05, 0.05, 0.95, 0.95])
    table = reliability_table(labels, probabilities)
    assert table["n"].tolist() == [2, 2]
    assert expected_calibration_error(labels, probabilities) == pytest.approx(0.05)


def test_background_is_deterministic_and_utr_like():
    first, second = background_targets(), background_targets()
    assert first == second and len(first) == 100
    sequences = "".join(sequence for _, sequence in first)
    assert set(sequences) <= set("ACGU")
    assert 0.5 < (sequences.count("A") + sequences.count("U")) / len(sequences) < 0.7  # 3'UTRs are AU-rich


def test_percentiles_count_ties_half():
    background = np.array([1.0, 2.0, 2.0, 3.0])
    assert percentiles(np.array([0.0, 2.0, 5.0]), background).tolist() == [0.0, 50.0, 100.0]
    assert np.isnan(percentiles(np.array([1.0]), np.zeros(0))[0])


def test_length_feature_is_log10_per_kb():
    assert length_feature(1000) == 0.0 and length_feature(10000) == pytest.approx(1.0)


def test_a_tile_counts_no_more_than_the_weakest_site_type():
    weights = {"log_odds": 1.0, "8mer": 2.0, "6mer": 0.5, "non-canonical": -1.0}
    rng = np.random.default_rng(2)
    pairs, labels = [], []
    for index in range(200):
        kind = ("8mer", "6mer", "non-canonical")[index % 3]
        pairs.append(site_features("A" * 200, [SiteContext(kind, 50, 58)], rng.normal(0, 1, 1)))
        labels.append(float(kind == "8mer" or (kind == "6mer" and index % 2 == 0)))
    fitted = fit_transcript_model(pairs, np.zeros(200), np.array(labels), fitted_on="synthetic")
    type_weights = [
        fitted.weights.get(name, 0.0)
        for name in ("8mer", "7mer-m8", "7mer-A1", "6mer", "offset-6mer", "non-canonical")
    ]
    assert fitted.tile_weight == pytest.approx(min(type_weights))
    model = TranscriptModel(weights=weights, tile_weight=-1.0)
    tile = site_features("A" * 200, [SiteContext("none", 0, 40)], np.array([3.0]))
    weakest = site_features("A" * 200, [SiteContext("non-canonical", 50, 57)], np.array([3.0]))
    assert model.score_pair(tile, 0.0).score == pytest.approx(model.score_pair(weakest, 0.0).score)


def test_a_transcript_without_sites_scores_its_best_tile_whatever_its_length():
    model = TranscriptModel(weights={"log_odds": 1.0}, tile_weight=-0.5)
    short = site_features(
        "A" * 80, [SiteContext("none", 0, 40), SiteContext("none", 40, 80)], np.array([2.0, 1.0])
    )
    tiles = [SiteContext("none", start, start + 40) for start in range(0, 400, 20)]
    long = site_features("A" * 440, tiles, np.r_[2.0, np.ones(len(tiles) - 1)])
    assert model.score_pair(short, 0.0).score == pytest.approx(1.5)
    assert model.score_pair(long, 0.0).score == pytest.approx(1.5)
    assert model.score_pair(long, 0.0).contributions.sum() == pytest.approx(1.0)


def test_mirna_features_follow_the_seed():
    from rnaapp.scoring.features import seed_match, seed_stability, site_abundance

    let7 = "UGAGGUAGUAGGUUGUAUAGUU"
    assert seed_match(let7) == "CUACCUC"  # the 7mer-m8 match of nt 2-8 without the A1
    gc_rich = "CACCCGGCUGUGUGCACAUGUGC"  # hsa-miR-941: a GC seed whose match holds a CpG
    au_rich = "UAUUUAUAUAGCACUGGAAUAUA"
    assert seed_stability(gc_rich) > seed_stability(let7) > seed_stability(au_rich)
    assert site_abundance(gc_rich) < 0 < site_abundance("UAGCAGCACGUAAAUAUUGGCG")  # CpG matches are rare
    assert seed_stability("NNNNNNNNNNN") == 0.0 and site_abundance("UGA") == 0.0
    rows = site_features(
        "A" * 100, [SiteContext("8mer", 40, 48), SiteContext("6mer", 70, 76)], np.zeros(2), mirna=let7
    )
    assert rows[:, COLUMN["seed_stability"]].tolist() == [seed_stability(let7)] * 2
    assert rows[:, COLUMN["site_abundance"]].tolist() == [site_abundance(let7)] * 2
    assert not site_features("A" * 100, [SiteContext("8mer", 40, 48)], np.zeros(1))[
        :, [COLUMN["seed_stability"], COLUMN["site_abundance"]]
    ].any()  # no miRNA given: left 0


def test_site_accessibility_reads_the_stretch_opposite_mirna_1_to_14():
    from rnaapp.scoring.features import DEFAULT_UNPAIRED, site_accessibility

    unpaired = np.full(100, 0.001)
    unpaired[34] = 0.1  # the 14 nt 34..47 end at the 8mer's end (48, exclusive)
    site = SiteContext("8mer", 40, 48)
    assert site_accessibility(unpaired, site) == pytest.approx(1.0)  # log10(0.1) + 2
    assert site_accessibility(None, site) == pytest.approx(np.log10(DEFAULT_UNPAIRED) + 2)
    assert site_accessibility(np.zeros(100), site) == pytest.approx(-4.0)  # floored at 1e-6
    rows = site_features("A" * 100, [site, SiteContext("none", 0, 40)], np.zeros(2), unpaired=unpaired)
    assert rows[:, COLUMN["accessibility"]].tolist() == pytest.approx([1.0, 0.0])  # tiles: 0


def test_accessibility_costs_a_fold_only_when_the_score_weighs_it():
    assert not TranscriptModel().uses_accessibility
    assert TranscriptModel(weights={"log_odds": 1.0, "accessibility": 0.5}).uses_accessibility
    assert not TranscriptModel(weights={"log_odds": 1.0, "seed_stability": 0.5}).uses_accessibility
