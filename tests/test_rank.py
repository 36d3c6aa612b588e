"""rnaapp.rank: ranking unknown miRNA-gene pairs, neighbourhood and degrees, seen/unseen node status."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from rnaapp.inference.batches import sigmoid
from rnaapp.predict import predict
from rnaapp.rank import (
    NODE_STATUSES,
    RANK_COLUMNS,
    node_status,
    rank_candidates,
    seen_nodes,
    similar_node_names,
)
from rnaapp.sites import best_site_type
from rnaapp.train import hold_out

from .conftest import REPOSITORY, gene_pairs


def pair_set(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["mirna_id"], frame["target_id"], strict=True))


def brute_force_scores(model, known: pd.DataFrame, output: str = "probability") -> pd.DataFrame:
    """Every miRNA x gene pair that is not a known positive, scored in one call (column ``output``)."""
    positives = pair_set(known[known["label"] == 1])
    mirna_seq = dict(zip(known["mirna_id"], known["mirna_seq"], strict=True))
    target_seq = dict(zip(known["target_id"], known["target_seq"], strict=True))
    rows = [
        (m, g)
        for m, g in itertools.product(dict.fromkeys(known["mirna_id"]), dict.fromkeys(known["target_id"]))
        if (m, g) not in positives
    ]
    frame = pd.DataFrame(rows, columns=["mirna_id", "target_id"])
    frame[output] = predict(
        model,
        [mirna_seq[m] for m, _ in rows],
        [target_seq[g] for _, g in rows],
        mirna_ids=frame["mirna_id"].tolist(),
        target_ids=frame["target_id"].tolist(),
        output=output,
    )
    return frame


def test_rank_candidates_excludes_known_and_matches_brute_force(tiny_gene_model):
    model = tiny_gene_model("grmmi")
    known = gene_pairs()
    calls = []
    table = rank_candidates(
        model, known, top=15, batch_mirnas=3, progress=lambda done, total: calls.append((done, total))
    )
    assert list(table.columns) == list(RANK_COLUMNS)
    assert len(table) == 15 and table["rank"].tolist() == list(range(1, 16))
    assert table["score"].is_monotonic_decreasing and table["probability"].is_monotonic_decreasing
    assert calls == [(3, 8), (6, 8), (8, 8)]
    positives = pair_set(known[known["label"] == 1])
    ranked_pairs = list(zip(table["mirna_id"], table["target_id"], strict=True))
    assert not positives & set(ranked_pairs) and len(set(ranked_pairs)) == 15
    # The top 15 of all unknown pairs, with their own probabilities.
    everything = brute_force_scores(model, known).sort_values("probability", ascending=False, kind="stable")
    assert len(everything) == 8 * 24 - len(positives)
    np.testing.assert_allclose(table["probability"], everything["probability"].to_numpy()[:15], atol=1e-6)
    lookup = everything.set_index(["mirna_id", "target_id"])["probability"]
    np.testing.assert_allclose(table["probability"], lookup.loc[ranked_pairs].to_numpy(), atol=1e-6)
    # Negatives are candidates too: a negative may be ranked, a positive never.
    all_table = rank_candidates(model, known, top=1000)
    assert len(all_table) == len(everything)
    negatives = pair_set(known[known["label"] == 0])
    assert negatives <= set(zip(all_table["mirna_id"], all_table["target_id"], strict=True))


def test_rank_follows_the_score_the_models_log_odds(tiny_gene_model):
    """``score`` is the model's logit (the ranking key), ``probability`` its sigmoid; ties go to the first pair."""
    model = tiny_gene_model("grmmi")
    known = gene_pairs()
    table = rank_candidates(model, known, top=1000)
    logits = brute_force_scores(model, known, output="logit").set_index(["mirna_id", "target_id"])["logit"]
    ranked_pairs = list(zip(table["mirna_id"], table["target_id"], strict=True))
    np.testing.assert_allclose(table["score"], logits.loc[ranked_pairs].to_numpy(), rtol=0, atol=1e-5)
    assert table["score"].dtype == np.float64 and table["probability"].dtype == np.float64
    np.testing.assert_array_equal(table["probability"], sigmoid(table["score"].to_numpy()))
    # Best score first; equal scores keep the candidates' order (miRNAs, then genes, as in the pairs).
    mirna_order = {name: index for index, name in enumerate(dict.fromkeys(known["mirna_id"]))}
    gene_order = {name: index for index, name in enumerate(dict.fromkeys(known["target_id"]))}
    keys = [
        (-score, mirna_order[m], gene_order[g])
        for score, m, g in zip(table["score"], table["mirna_id"], table["target_id"], strict=True)
    ]
    assert keys == sorted(keys)
    # Where the probability is not saturated, the score is its logit.
    graded = table[(table["probability"] > 1e-6) & (table["probability"] < 1 - 1e-6)]
    assert len(graded)
    probability = graded["probability"].to_numpy()
    np.testing.assert_allclose(graded["score"], np.log(probability / (1 - probability)), rtol=1e-9, atol=1e-9)
    # The top n do not depend on how many miRNAs are scored per call (ties at the cut included).
    for batch_mirnas in (1, 5):
        pd.testing.assert_frame_equal(
            rank_candidates(model, known, top=7, batch_mirnas=batch_mirnas), table[:7]
        )


def test_the_shipped_gene_model_ranks_by_a_graded_score(monkeypatch, user_home):
    """gene-default's top 20 for hsa-miR-21-5p among all its genes: probabilities that agree to 3 decimals
    (0.998 / 0.999) have 20 distinct scores, and the ranking follows them."""
    from rnaapp.registry import load_model

    weights = REPOSITORY / "weights"
    if not (weights / "gene-default.json").is_file():
        pytest.skip("gene-default is not shipped")
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(weights))
    model = load_model("gene-default")
    mirna = "hsa-miR-21-5p"
    assert mirna in model.config.mirna_nodes
    known = pd.DataFrame(
        {"mirna_id": mirna, "mirna_seq": "UAGCUUAUCAGACUGAUGUUGA", "target_id": list(model.config.gene_nodes)}
    )
    known["label"] = 0  # no known interactions: every gene is a candidate
    table = rank_candidates(model, known, top=20)
    assert len(table) == 20 and table["score"].is_monotonic_decreasing
    assert table["score"].nunique() == 20
    rounded = table["probability"].round(3)
    assert rounded.nunique() < 20, "the shipped model's top probabilities no longer tie at 3 decimals"
    for _, tied in table.groupby(rounded):
        assert tied["score"].nunique() == len(tied)
    np.testing.assert_array_equal(table["probability"], sigmoid(table["score"].to_numpy()))


def test_rank_neighbourhood_and_degrees_by_brute_force(tiny_gene_model):
    model = tiny_gene_model("grmmi")
    known = gene_pairs()
    # Each community is complete within a parity class; take two edges out so that neighbours exist.
    removed = [("gmir-0", "gene-0"), ("gmir-2", "gene-4")]
    known = known[~pd.Series(list(zip(known["mirna_id"], known["target_id"], strict=True))).isin(removed)]
    table = rank_candidates(model, known, top=1000)
    positives = known[known["label"] == 1]
    targets_of = positives.groupby("mirna_id")["target_id"].apply(set).to_dict()
    mirnas_of = positives.groupby("target_id")["mirna_id"].apply(set).to_dict()
    for row in table.itertuples(index=False):
        assert row.mirna_known_targets == len(targets_of.get(row.mirna_id, ()))
        assert row.gene_known_mirnas == len(mirnas_of.get(row.target_id, ()))
        paths = sum(
            1
            for other_gene in targets_of.get(row.mirna_id, ())
            for other_mirna in mirnas_of.get(other_gene, ())
            if other_mirna != row.mirna_id and row.target_id in targets_of[other_mirna]
        )
        assert row.neighbourhood_support == paths
        assert row.in_neighbourhood == (paths > 0)
        assert row.site_type == ""  # names only: no sequences to look for sites
    assert table["in_neighbourhood"].any() and not table["in_neighbourhood"].all()
    removed_rows = table.set_index(["mirna_id", "target_id"]).loc[removed]
    assert removed_rows["in_neighbourhood"].all()
    unseen = table[table["target_id"] == "gene-23"]
    assert (
        len(unseen) == 8 and (unseen["gene_known_mirnas"] == 0).all() and not unseen["in_neighbourhood"].any()
    )


def test_rank_site_types_with_sequences_and_chosen_candidates(tiny_gene_model):
    model = tiny_gene_model("grmmi", with_sequences=True)
    known = gene_pairs(with_sequences=True)
    table = rank_candidates(
        model, known, mirnas=["gmir-0", "gmir-5"], genes=["gene-1", "gene-2", "gene-13"], top=10
    )
    assert set(table["mirna_id"]) <= {"gmir-0", "gmir-5"} and set(table["target_id"]) <= {
        "gene-1",
        "gene-2",
        "gene-13",
    }
    ranked = set(zip(table["mirna_id"], table["target_id"], strict=True))
    assert not {("gmir-0", "gene-2"), ("gmir-5", "gene-13")} & ranked  # known positives
    assert len(table) == 4
    mirna_seq = dict(zip(known["mirna_id"], known["mirna_seq"], strict=True))
    target_seq = dict(zip(known["target_id"], known["target_seq"], strict=True))
    for row in table.itertuples(index=False):
        assert row.site_type == best_site_type(mirna_seq[row.mirna_id], target_seq[row.target_id])
        assert isinstance(row.site_type, str) and row.site_type != ""


def test_rank_without_labels_treats_every_row_as_known(tiny_gene_model):
    model = tiny_gene_model("grmmi")
    known = gene_pairs()
    positives = known[known["label"] == 1].drop(columns="label")
    table = rank_candidates(model, positives, top=5)
    assert len(table) == 5
    assert not pair_set(table) & pair_set(positives)


def test_rank_errors(tiny_gene_model):
    model = tiny_gene_model("grmmi")
    with pytest.raises(ValueError, match="top must be at least 1"):
        rank_candidates(model, gene_pairs(), top=0)
    with pytest.raises(ValueError, match="'target_id'"):
        rank_candidates(model, gene_pairs().drop(columns="target_id"))
    calls = []
    empty = rank_candidates(model, gene_pairs().iloc[:0], progress=lambda *args: calls.append(args))
    assert list(empty.columns) == list(RANK_COLUMNS) and empty.empty and calls == [(0, 0)]


def test_seen_nodes_and_node_status(tiny_gene_model):
    model = tiny_gene_model("grmmi")
    settings = model.card.training["settings"]
    train, _ = hold_out(gene_pairs(), settings["valid_fraction"], settings["seed"])
    positives = train[train["label"] == 1]
    seen_mirnas, seen_genes = seen_nodes(model)
    assert seen_mirnas == frozenset(positives["mirna_id"]) and seen_genes == frozenset(positives["target_id"])
    assert "gene-23" not in seen_genes and "gene-23" in model.config.gene_nodes
    status = node_status(
        model,
        ["gmir-0", "gmir-0", "new-mir", "new-mir", "gmir-1"],
        ["gene-0", "gene-23", "gene-0", "new-gene", "no-gene"],
    )
    assert status.dtype == object
    assert status.tolist() == ["seen", "unseen gene", "unseen miRNA", "both unseen", "unseen gene"]
    assert set(status) <= set(NODE_STATUSES)
    assert node_status(model, [], []).shape == (0,)


def test_similar_node_names_suggest_known_spellings(tiny_gene_model):
    model = tiny_gene_model("grmmi")
    assert similar_node_names(model, "GENE-0", gene=True) == ["gene-0"]  # only the case differs
    assert similar_node_names(model, "gene-0", gene=True) == []  # known: nothing to suggest
    assert similar_node_names(model, "GMIR-0", gene=False) == ["gmir-0"]
    assert "gene-1" in similar_node_names(model, "gene_1", gene=True)
    assert similar_node_names(model, "TP53", gene=True) == []


def test_train_and_rank_needs_labels_and_returns_the_ranking():
    from rnaapp.rank import train_and_rank

    from .conftest import SMALL_GENE_CONFIGS

    with pytest.raises(ValueError, match="'label'"):
        train_and_rank(gene_pairs().drop(columns="label"))
    model, table = train_and_rank(
        gene_pairs(),
        "aemigap",
        top=4,
        model_config=SMALL_GENE_CONFIGS["aemigap"],
        training_overrides={"epochs": 1, "batch_size": 32},
    )
    assert model.family.name == "aemigap" and model.name == "aemigap-rank"
    assert len(table) == 4 and table["score"].is_monotonic_decreasing
    assert list(table.columns) == list(RANK_COLUMNS)
