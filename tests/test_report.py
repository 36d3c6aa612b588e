"""Tests for rnaapp.report: everything the Predict page shows about one pair."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.examples import CONSTRUCTED_LNCRNA, PLANT_EXAMPLE_MIRNAS
from rnaapp.predict import predict
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
    assert (
        report.focus_end - report.focus_start == 40 and report.focus_start < best["start"] <= report.focus_end
    )
    assert report.attention.shape == (len(MIRNA), 40)
    assert report.sites["probability"].is_monotonic_decreasing


def test_no_model_is_an_error():
    with pytest.raises(ValueError, match="at least one model"):
        pair_report([], MIRNA, SITE)


def test_a_plant_model_reads_the_whole_lncRNA(tiny_plant_model, user_home):
    mirna = PLANT_EXAMPLE_MIRNAS["ath-miR156a-5p"]
    premli, mixlmi = tiny_plant_model("premli"), tiny_plant_model("mixlmi")
    report = pair_report([mixlmi, premli], mirna, CONSTRUCTED_LNCRNA)
    assert report.plant and not report.scanned and not report.scores["scanned"].any()
    assert report.scores["probability"].tolist() == pytest.approx(
        [predict(model, [mirna], [CONSTRUCTED_LNCRNA])[0] for model in (mixlmi, premli)], abs=1e-6
    )
    best = report.sites.iloc[0]  # only the planted site: no other one comes within an expectation of 5
    assert len(report.sites) == 1 and best["site_type"] == "plant"
    assert best[["start", "end", "expectation", "mismatches", "wobbles"]].tolist() == [401, 420, 1.5, 1, 1]
    assert (report.focus_start, report.focus_end) == (390, 430)  # the site and 10 nt on each side
    assert report.hybrid.energy == pytest.approx(best["energy"]) and report.hybrid.energy < -20
    assert report.attention_model == premli.name  # mixlmi has no attention: the next model's
    assert report.attention.shape == (len(mirna), len(CONSTRUCTED_LNCRNA))
    assert (report.attention_start, report.attention_end) == (0, len(CONSTRUCTED_LNCRNA))
    assert report.heatmap_region() == (0, 800)
    assert report.heatmap_region(max_columns=100) == (360, 460)  # centred on the best site


def test_a_gene_model_scores_by_name_with_an_optional_target(tiny_gene_model):
    from rnaapp.rank import node_status

    from .conftest import gene_pairs

    grmmi, aemigap = tiny_gene_model("grmmi", True), tiny_gene_model("aemigap", True)
    pairs = gene_pairs(with_sequences=True)
    row = pairs.iloc[0]
    report = pair_report(
        [grmmi, aemigap], row.mirna_seq, row.target_seq, mirna_id=row.mirna_id, target_id=row.target_id
    )
    assert report.gene and not report.plant and not report.scanned
    expected = [
        predict(
            model, [row.mirna_seq], [row.target_seq], mirna_ids=[row.mirna_id], target_ids=[row.target_id]
        )[0]
        for model in (grmmi, aemigap)
    ]
    assert report.scores["probability"].tolist() == pytest.approx(expected, abs=1e-6)
    status = node_status(grmmi, [row.mirna_id], [row.target_id])[0]
    assert report.node_status == status and report.scores["node_status"].iloc[0] == status
    assert (report.focus_start, report.focus_end) == (0, 40) and report.hybrid is not None  # 60 nt: a window
    assert report.attention_model == grmmi.name and report.attention.shape == (22, 60)  # the whole target
    assert (report.attention_start, report.attention_end) == (0, 60)

    names_only = pair_report([aemigap, grmmi], row.mirna_seq, "", mirna_id=row.mirna_id, target_id="gene-23")
    assert names_only.hybrid is None and names_only.attention is None and names_only.sites.empty
    assert names_only.node_status == "unseen gene"
    assert names_only.scores["node_status"].tolist() == ["unseen gene", "unseen gene"]


def test_a_gene_report_lists_seed_sites_strongest_first(tiny_gene_model):
    grmmi = tiny_gene_model("grmmi", True)
    rng = np.random.default_rng(1)
    background = "".join(rng.choice(list("ACGU"), 600))
    target = background[:100] + "GCAUACUCA" + background[109:400] + SITE + background[440:]
    report = pair_report([grmmi], MIRNA, target, mirna_id="gmir-0", target_id="gene-0")
    assert report.sites["site_type"].iloc[0] == "8mer" and 400 < report.sites["start"].iloc[0] <= 440
    assert report.focus_start < report.sites["start"].iloc[0] <= report.focus_end  # the duplex's window
    assert report.attention.shape == (len(MIRNA), len(target))
    unnamed = pair_report([grmmi], MIRNA, target)
    assert unnamed.node_status == "both unseen"


def test_a_gene_report_leaves_out_models_that_cannot_read_a_whole_3utr(tiny_gene_model):
    """A model reading fewer nucleotides gets NaN and a note; when no chosen model can read it, it is refused."""
    import dataclasses

    from rnaapp.io import InputError

    grmmi = tiny_gene_model("grmmi", True)
    short = dataclasses.replace(grmmi, config=dataclasses.replace(grmmi.config, target_length=200))
    short.card = dataclasses.replace(grmmi.card, name="short-grmmi")
    rng = np.random.default_rng(2)
    background = "".join(rng.choice(list("ACGU"), 600))
    target = background[:400] + SITE + background[440:]
    report = pair_report([short, grmmi], MIRNA, target, mirna_id="gmir-0", target_id="gene-0")
    assert np.isnan(report.scores["probability"].iloc[0]) and 0 <= report.scores["probability"].iloc[1] <= 1
    assert report.scores["note"].tolist() == ["target longer than the 200 nt this model reads", ""]
    assert report.node_status == "seen" and report.sites["site_type"].iloc[0] == "8mer"
    assert report.attention_model == grmmi.name
    with pytest.raises(InputError, match="short-grmmi reads targets of at most 200 nt"):
        pair_report([short], MIRNA, target, mirna_id="gmir-0", target_id="gene-0")
    with pytest.raises(InputError, match="reads targets of at most 200 nt .* reads whole 3'UTRs"):
        predict(short, [MIRNA], [target], mirna_ids=["gmir-0"], target_ids=["gene-0"])
