"""bench/case_study.py: ranks with shared ties, the percentile definition and the site-count baseline, on tiny
synthetic data (no benchmark folder needed)."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from .conftest import REPOSITORY


@pytest.fixture(scope="module")
def case_study():
    """bench/case_study.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_case_study", REPOSITORY / "bench" / "case_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ties_share_their_mean_rank(case_study):
    values = pd.Series({"a": 5.0, "b": 9.0, "c": 5.0, "d": 1.0, "e": 5.0})
    ranks = case_study.mean_ranks(values)
    assert ranks.to_dict() == {"b": 1.0, "a": 3.0, "c": 3.0, "e": 3.0, "d": 5.0}


def test_percentile_runs_from_0_for_the_best_to_100_for_the_worst(case_study):
    values = pd.Series({"a": 0.2, "b": 0.9, "c": 0.5, "d": 0.1, "e": 0.7})
    assert case_study.percentiles(values).to_dict() == {"b": 0.0, "e": 25.0, "c": 50.0, "a": 75.0, "d": 100.0}


def test_percentile_of_tied_values_is_that_of_their_mean_rank(case_study):
    values = pd.Series({"a": 1.0, "b": 1.0, "c": 0.0})  # a, b share rank 1.5 of 3
    assert case_study.percentiles(values).to_dict() == {"a": 25.0, "b": 25.0, "c": 100.0}
    everything_tied = case_study.percentiles(pd.Series([0.3] * 7))
    assert (everything_tied == 50.0).all()


def test_missing_values_rank_last_and_a_single_entry_is_first(case_study):
    values = pd.Series({"a": float("nan"), "b": 2.0, "c": 1.0})
    assert case_study.percentiles(values).to_dict() == {"b": 0.0, "c": 50.0, "a": 100.0}
    assert case_study.percentiles(pd.Series({"only": 3.0})).to_dict() == {"only": 0.0}


def test_case_percentiles_look_up_each_pair_among_its_own_mirnas_values(case_study):
    cases = pd.DataFrame({"mirna_id": ["m1", "m2"], "ensembl_gene": ["g2", "g2"]})
    values = {
        "m1": pd.Series({"g1": 0.1, "g2": 0.8, "g3": 0.5}),
        "m2": pd.Series({"g1": 0.9, "g2": 0.0, "g3": 0.5}),
    }
    assert case_study.case_percentiles(cases, values) == [0.0, 100.0]


def test_site_count_baseline_weights_each_site_type(case_study):
    counts = {"8mer": 1, "7mer-m8": 2, "7mer-A1": 1, "6mer": 2, "offset-6mer": 3}
    assert case_study.weighted_site_count(counts) == 3.0 + 4.0 + 1.5 + 1.0 + 0.0
    assert case_study.describe_sites(counts) == "8mer:1 7m8:2 7A1:1 6mer:2 o6:3"
    assert case_study.describe_sites({}) == "-"


def test_site_count_finds_an_8mer_on_a_synthetic_utr(case_study):
    mirna = "UGAGGUAGUAGGUUGUAUAGUU"  # let-7a-5p; its 8mer site is the reverse complement of nt 2-8, then A
    site = "CUACCUCA"
    utr = "GGGGGGGGGG" + site + "GGGGGGGGGG"
    counts = case_study.site_counts(mirna, utr)
    assert counts == {"8mer": 1}
    assert case_study.weighted_site_count(counts) == 3.0
    ranked = case_study.percentiles(
        pd.Series({"with": case_study.weighted_site_count(counts), "without": 0.0, "also_without": 0.0})
    )
    assert ranked.to_dict() == {"with": 0.0, "without": 75.0, "also_without": 75.0}


def test_the_case_list_has_the_columns_and_one_row_per_pair(case_study):
    cases = case_study.load_cases()
    assert list(cases.columns) == case_study.CASE_COLUMNS
    assert len(cases) >= 15
    assert not cases.duplicated(["mirna_id", "ensembl_gene"]).any()
    assert cases.ensembl_gene.str.fullmatch(r"ENSG\d{11}").all()
    assert cases.mirna_id.str.startswith("hsa-").all()
