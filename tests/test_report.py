"""Tests for rnaapp.report: everything the Predict page shows about one pair."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.registry import load_model
from rnaapp.report import pair_report

MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"
SITE = "GGCUUAGAUAAAAUGAAACUAUACAACCUACUACCUCAUU"


@pytest.fixture(scope="module")
def models():
    return [load_model("site"), load_model("seed_rule")]


def test_short_target_is_scored_whole_with_sites_duplex_and_attention(models):
    report = pair_report(models, MIRNA, SITE)
    assert report.scores["model"].tolist() == [models[0].name, models[1].name]
    assert not report.scanned and (report.focus_start, report.focus_end) == (0, len(SITE))
    assert report.sites["site_type"].tolist()[0] == "8mer"
    assert report.hybrid.energy < -20
    assert report.attention.shape == (len(MIRNA), len(SITE))
    assert report.attention_model == models[0].name


def test_long_target_is_scanned_and_drawn_at_its_best_site(models):
    rng = np.random.default_rng(0)
    background = "".join(rng.choice(list("ACGU"), 3000))
    target = background[:1500] + SITE + background[1540:]
    report = pair_report(models, MIRNA, target)
    assert report.scanned and report.scores["scanned"].iloc[0]
    best = report.sites.iloc[0]
    assert best["site_type"] == "8mer" and 1500 < best["start"] < 1540
    assert report.focus_end - report.focus_start == 40 and report.focus_start < best["start"] <= report.focus_end
    assert report.attention.shape == (len(MIRNA), 40)
    assert report.sites["probability"].is_monotonic_decreasing


def test_no_model_is_an_error():
    with pytest.raises(ValueError, match="at least one model"):
        pair_report([], MIRNA, SITE)
