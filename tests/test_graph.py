"""rnaapp.graph: the bipartite graph, GraRep against a dense reference, cross-fitting, neighbourhood."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from rnaapp.graph import (
    BipartiteGraph,
    GraRepConfig,
    adjust_negatives,
    cross_fitted_features,
    distance_filter,
    fold_of_pairs,
    graph_from_pairs,
    grarep,
    log_shifted,
    neighbourhood_support,
    node_features,
    transition_powers,
)

from .conftest import SMALL_GENE_CONFIGS, gene_pairs

# miRNAs m0..m2, genes g0..g4; g4 only in a negative (isolated node); one positive is listed twice.
SMALL_ROWS = [
    ("m0", "g0", 1),
    ("m0", "g1", 1),
    ("m1", "g1", 1),
    ("m1", "g2", 1),
    ("m2", "g2", 1),
    ("m2", "g3", 1),
    ("m0", "g3", 1),
    ("m1", "g1", 1),  # duplicate edge
    ("m2", "g0", 0),
    ("m2", "g4", 0),
]


def small_pairs() -> pd.DataFrame:
    return pd.DataFrame(SMALL_ROWS, columns=["mirna_id", "target_id", "label"])


def dense_grarep(adjacency: np.ndarray, steps: int, dimension: int) -> list[np.ndarray]:
    """GraRep written out densely: per step, ``U_d sqrt(Sigma_d)`` of the positive log-probability matrix."""
    n = adjacency.shape[0]
    degrees = adjacency.sum(1)
    inverse = np.zeros(n)
    inverse[degrees > 0] = 1 / degrees[degrees > 0]
    transition = inverse[:, None] * adjacency
    power = np.eye(n)
    parts = []
    for _ in range(steps):
        power = power @ transition
        sums = power.sum(0)
        normalised = np.zeros_like(power)
        normalised[:, sums > 0] = power[:, sums > 0] / sums[sums > 0]
        with np.errstate(divide="ignore"):
            logs = np.log(normalised) - np.log(1 / n)
        logs[~np.isfinite(logs)] = 0
        positive = np.maximum(logs, 0)
        u, singular, _ = np.linalg.svd(positive)
        # The top-d subspace is well defined only if singular value d is apart from d + 1.
        assert singular[dimension - 1] - singular[dimension] > 1e-6
        parts.append(u[:, :dimension] * np.sqrt(singular[:dimension]))
    return parts


def test_graph_from_pairs_negatives_are_nodes_not_edges_and_duplicates_count_once():
    graph = graph_from_pairs(small_pairs())
    assert graph.mirnas == ("m0", "m1", "m2")
    assert graph.genes == ("g0", "g1", "g2", "g3", "g4")
    assert graph.n_nodes == 8
    assert len(graph.edges) == 7  # the duplicate positive once, no negative
    block = graph.biadjacency().toarray()
    assert set(np.unique(block)) == {0.0, 1.0}
    assert block[2, 0] == 0 and block[2, 4] == 0  # negatives
    assert block[1, 1] == 1
    np.testing.assert_array_equal(graph.degrees(), [3, 2, 2, 1, 2, 2, 2, 0])
    adjacency = graph.adjacency().toarray()
    np.testing.assert_array_equal(adjacency, adjacency.T)
    # Without a label column every row is an edge; explicit node lists are kept (unknown names dropped).
    unlabelled = small_pairs().drop(columns="label")
    assert len(graph_from_pairs(unlabelled).edges) == 9
    chosen = graph_from_pairs(small_pairs(), mirnas=["m1", "m0"], genes=["g1", "g9"])
    assert chosen.mirnas == ("m1", "m0") and chosen.genes == ("g1", "g9")
    np.testing.assert_array_equal(chosen.edges, [[0, 0], [1, 0]])
    np.testing.assert_array_equal(graph.mirna_index(["m2", "zz"]), [2, -1])
    np.testing.assert_array_equal(graph.gene_index(["g4", "zz"]), [4, -1])


def test_transition_powers_and_log_shift_by_hand():
    # m0 - g0, m0 - g1: a star. Nodes: m0, g0, g1.
    graph = BipartiteGraph(("m0",), ("g0", "g1"), np.array([[0, 0], [0, 1]]))
    first, second = transition_powers(graph.adjacency(), 2)
    np.testing.assert_allclose(first, [[0, 0.5, 0.5], [1, 0, 0], [1, 0, 0]])
    np.testing.assert_allclose(second, [[1, 0, 0], [0, 0.5, 0.5], [0, 0.5, 0.5]])
    # Column 0 of A normalises to (0, .5, .5): log(.5) - log(1/3) = log(1.5) > 0; column 1 to (1, 0, 0).
    shifted = log_shifted(first)
    np.testing.assert_allclose(shifted[:, 0], [0, np.log(1.5), np.log(1.5)])
    np.testing.assert_allclose(shifted[:, 1], [np.log(3), 0, 0])
    assert (shifted >= 0).all()


def test_grarep_matches_a_dense_reference_up_to_column_signs():
    graph = graph_from_pairs(small_pairs())
    config = GraRepConfig(steps=3, dimension=2)
    vectors = grarep(graph.adjacency(), config, seed=0)
    assert vectors.shape == (8, 6) and vectors.dtype == np.float32
    reference = dense_grarep(graph.adjacency().toarray(), config.steps, config.dimension)
    for step, expected in enumerate(reference):
        got = vectors[:, step * 2 : (step + 1) * 2].astype(np.float64)
        # U_d Sigma_d U_d^T does not depend on the signs of the singular vectors.
        np.testing.assert_allclose(got @ got.T, expected @ expected.T, atol=1e-4)
        np.testing.assert_allclose(np.abs(got), np.abs(expected), atol=1e-4)
    assert not vectors[7].any()  # g4 is isolated
    # Deterministic for a seed.
    np.testing.assert_array_equal(vectors, grarep(graph.adjacency(), config, seed=0))


def test_grarep_iterative_svd_matches_the_reference(monkeypatch):
    """Graphs above DENSE_SVD_LIMIT nodes (real data) are factorised by ARPACK: lower the limit to test it."""
    import rnaapp.graph

    monkeypatch.setattr(rnaapp.graph, "DENSE_SVD_LIMIT", 0)
    rng = np.random.default_rng(5)
    n_mirnas, n_genes = 25, 35
    edges = np.unique(np.stack([rng.integers(0, n_mirnas, 150), rng.integers(0, n_genes, 150)], 1), axis=0)
    graph = BipartiteGraph(
        tuple(f"m{i}" for i in range(n_mirnas)), tuple(f"g{j}" for j in range(n_genes)), edges
    )
    config = GraRepConfig(steps=3, dimension=3)
    vectors = grarep(graph.adjacency(), config, seed=0).astype(np.float64)
    reference = dense_grarep(graph.adjacency().toarray(), config.steps, config.dimension)
    isolated = graph.degrees() == 0
    for step, expected in enumerate(reference):
        got = vectors[:, step * 3 : (step + 1) * 3]
        expected = np.where(isolated[:, None], 0.0, expected)
        np.testing.assert_allclose(got @ got.T, expected @ expected.T, atol=1e-4)
    np.testing.assert_array_equal(grarep(graph.adjacency(), config, seed=0), vectors.astype(np.float32))


def test_grarep_and_adjust_negatives_are_reproducible_on_a_low_rank_graph():
    """The synthetic graph has rank far below its size (an iterative SVD restarts at random there)."""
    graph = graph_from_pairs(gene_pairs())
    first = grarep(graph.adjacency())
    for _ in range(3):
        np.testing.assert_array_equal(grarep(graph.adjacency()), first)
    kept, report = adjust_negatives(gene_pairs(), quantile=0.5)
    for _ in range(3):
        again, again_report = adjust_negatives(gene_pairs(), quantile=0.5)
        assert again_report == report
        pd.testing.assert_frame_equal(again, kept)


def test_node_features_zero_for_isolated_nodes_with_degree_and_seen_columns():
    graph = graph_from_pairs(small_pairs())
    config = GraRepConfig(steps=2, dimension=2)
    features = node_features(graph, config)
    assert features.shape == (8, config.size + 2)
    np.testing.assert_allclose(features[:, -2], np.log1p(graph.degrees()), rtol=1e-6)
    np.testing.assert_array_equal(features[:, -1], graph.degrees() > 0)
    assert not features[7].any()  # isolated: zero vector, degree 0, not seen
    assert features[:7, :-2].any(axis=1).all()
    empty = BipartiteGraph(("m0",), ("g0",), np.zeros((0, 2), dtype=np.int64))
    assert not node_features(empty, config).any()


def fold_degrees(views: np.ndarray) -> np.ndarray:
    """Node degrees ``(folds, n_nodes)`` read back from the log-degree column of the fold tables."""
    return np.rint(np.expm1(views[..., -2].astype(np.float64))).astype(int)


def test_cross_fitted_views_hide_each_positive_own_edge():
    pairs = gene_pairs()
    graph = graph_from_pairs(pairs)
    config = GraRepConfig(steps=2, dimension=4)
    folds = 3
    calls = []
    views, assignment = cross_fitted_features(
        graph, pairs, config, folds=folds, seed=1, progress=lambda done, total: calls.append((done, total))
    )
    assert views.shape == (folds, graph.n_nodes, config.size + 2)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    np.testing.assert_array_equal(assignment, fold_of_pairs(pairs, folds, 1))
    # Folds are balanced within each label.
    for label in (0, 1):
        counts = np.bincount(assignment[pairs["label"].to_numpy() == label], minlength=folds)
        assert counts.max() - counts.min() <= 1
    full = graph.degrees()
    degrees = fold_degrees(views)
    mirna_index = graph.mirna_index(pairs["mirna_id"].tolist())
    gene_index = graph.n_mirnas + graph.gene_index(pairs["target_id"].tolist())
    positive = pairs["label"].to_numpy() == 1
    for fold in range(folds):
        held = positive & (assignment == fold)
        expected = full.copy()
        np.subtract.at(expected, mirna_index[held], 1)
        np.subtract.at(expected, gene_index[held], 1)
        np.testing.assert_array_equal(degrees[fold], expected)
        # The view is exactly the GraRep table of the graph without the fold's positive edges.
        codes = set(zip(mirna_index[held], gene_index[held] - graph.n_mirnas, strict=True))
        drop = np.array([(int(m), int(g)) in codes for m, g in graph.edges])
        np.testing.assert_allclose(views[fold], node_features(graph.without(drop), config, seed=1), atol=1e-6)
    # Each training positive sees its own endpoints with at least one edge fewer: its own.
    for row in np.flatnonzero(positive):
        fold = assignment[row]
        assert degrees[fold, mirna_index[row]] < full[mirna_index[row]]
        assert degrees[fold, gene_index[row]] < full[gene_index[row]]
    # Negatives never remove edges.
    negatives_only = pairs[pairs["label"] == 0]
    neg_views, _ = cross_fitted_features(graph, negatives_only, config, folds=2, seed=0)
    np.testing.assert_array_equal(fold_degrees(neg_views), np.stack([full, full]))


def test_neighbourhood_support_counts_paths_by_brute_force():
    pairs = gene_pairs(seed=3)
    graph = graph_from_pairs(pairs)
    block = graph.biadjacency().toarray().astype(bool)
    support = neighbourhood_support(graph)
    assert support.shape == (graph.n_mirnas, len(graph.genes)) and support.dtype == np.int64
    n_m, n_g = block.shape
    for m, g in itertools.product(range(n_m), range(n_g)):
        walks = sum(block[m, g2] and block[m2, g2] and block[m2, g] for m2 in range(n_m) for g2 in range(n_g))
        assert support[m, g] == walks
        if not block[m, g]:  # for unknown pairs every walk is a path through other nodes
            paths = sum(
                block[m, g2] and block[m2, g2] and block[m2, g]
                for m2 in range(n_m)
                if m2 != m
                for g2 in range(n_g)
                if g2 != g
            )
            assert support[m, g] == paths
    # The two communities of gene_pairs never reach each other.
    mirna_side = np.array([int(name.split("-")[1]) < 4 for name in graph.mirnas])
    gene_side = np.array([int(name.split("-")[1]) < 12 for name in graph.genes])
    assert support[mirna_side][:, ~gene_side].sum() == 0 and support[~mirna_side][:, gene_side].sum() == 0
    assert support[mirna_side][:, gene_side].sum() > 0


def filter_case() -> tuple[pd.DataFrame, np.ndarray, BipartiteGraph]:
    """Hand-made 1-D node vectors; one pair names a gene that is no node, one a node without an edge."""
    pairs = pd.DataFrame(
        [
            ("m0", "g0", 1),
            ("m0", "g1", 1),
            ("m1", "g2", 1),
            ("m1", "g3", 1),
            ("m1", "g0", 0),
            ("m0", "g2", 0),
            ("m0", "g3", 0),
            ("m1", "g9", 0),  # g9 is not a node
            ("m0", "g4", 0),  # g4 is a node without an edge (unseen)
        ],
        columns=["mirna_id", "target_id", "label"],
    )
    graph = graph_from_pairs(pairs[pairs["target_id"] != "g9"])
    assert graph.genes == ("g0", "g1", "g2", "g3", "g4")
    vectors = np.array(
        [
            [0.0, 0.0],  # m0
            [10.0, 0.0],  # m1
            [1.0, 0.0],  # g0: 1 from m0, 9 from m1
            [2.0, 0.0],  # g1: 2 from m0
            [11.5, 0.0],  # g2: 1.5 from m1, 11.5 from m0
            [6.0, 0.0],  # g3: 4 from m1, 6 from m0
            [0.1, 0.0],  # g4: close to m0, but unseen
        ]
    )
    return pairs, vectors, graph


def test_distance_filter_threshold_from_positives_drops_only_close_negatives():
    pairs, vectors, graph = filter_case()
    # Positive distances: m0-g0 1, m0-g1 2, m1-g2 1.5, m1-g3 4.
    kept, report = distance_filter(pairs, vectors, graph, quantile=0.5)
    assert report["threshold"] == pytest.approx(np.quantile([1, 2, 1.5, 4], 0.5))
    # Negatives: m1-g0 9, m0-g2 11.5, m0-g3 6 -> none below 1.75; m0-g4 (0.1) has an unseen gene: kept.
    assert (report["negatives"], report["dropped"], report["dropped_fraction"]) == (5, 0, 0.0)
    assert len(kept) == len(pairs)

    close = pairs.copy()
    vectors = vectors.copy()
    vectors[2] = [9.5, 0.0]  # g0 now 0.5 from m1 (negative) and 9.5 from m0 (positive)
    kept, report = distance_filter(close, vectors, graph, quantile=0.5)
    positive_distances = [9.5, 2, 1.5, 4]
    assert report["threshold"] == pytest.approx(np.quantile(positive_distances, 0.5))
    assert report["dropped"] == 1 and report["negatives"] == 5
    assert report["dropped_fraction"] == pytest.approx(1 / 5)
    dropped = set(map(tuple, close[["mirna_id", "target_id"]].values)) - set(
        map(tuple, kept[["mirna_id", "target_id"]].values)
    )
    assert dropped == {("m1", "g0")}
    assert (kept["label"] == 1).sum() == 4  # positives are never dropped
    assert {"g9", "g4"} <= set(kept["target_id"])  # pairs with an unseen node are kept
    assert list(kept.index) == list(range(len(kept)))

    kept, report = distance_filter(close, vectors, graph, quantile=0.0)
    assert report["dropped"] == 0 and len(kept) == len(close)
    kept, report = distance_filter(close, vectors, graph, quantile=1.0)
    assert report["threshold"] == pytest.approx(9.5)
    assert report["dropped"] == 2  # 0.5 and 6 are below 9.5, 11.5 is not; unseen pairs never
    assert {"g4", "g9", "g2"} == set(kept.loc[kept["label"] == 0, "target_id"])


def test_adjust_negatives_on_the_synthetic_graph():
    pairs = gene_pairs()
    config = GraRepConfig(steps=2, dimension=4)
    kept, report = adjust_negatives(pairs, quantile=0.5, config=config)
    negatives = int((pairs["label"] == 0).sum())
    assert report["negatives"] == negatives
    assert len(pairs) - len(kept) == report["dropped"]
    assert report["dropped_fraction"] == pytest.approx(report["dropped"] / negatives)
    assert (kept["label"] == 1).sum() == (pairs["label"] == 1).sum()
    assert ("gmir-0", "gene-23") in set(zip(kept["mirna_id"], kept["target_id"], strict=True))  # unseen gene
    # The same as distance_filter with the GraRep vectors of the pairs' own graph.
    graph = graph_from_pairs(pairs)
    expected, expected_report = distance_filter(pairs, grarep(graph.adjacency(), config), graph, quantile=0.5)
    pd.testing.assert_frame_equal(kept, expected)
    assert report == expected_report
    none_kept, none_report = adjust_negatives(pairs, quantile=0.0, config=config)
    assert none_report["dropped"] == 0 and len(none_kept) == len(pairs)
    more, more_report = adjust_negatives(pairs, quantile=0.9, config=config)
    assert more_report["dropped"] >= report["dropped"]


def test_training_graph_reads_only_the_training_pairs():
    """A tiny grmmi trained on the same training pairs has the same node table whatever else it predicts."""
    from rnaapp.graph import graph_from_pairs as build
    from rnaapp.train import fit, training_config_for

    pairs = gene_pairs()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pairs))
    train, valid = pairs.iloc[order[:75]], pairs.iloc[order[75:]]
    assert valid["label"].nunique() == 2
    # "Test" rows: new positive edges among training nodes, only ever predicted (validation frame).
    known = set(zip(pairs["mirna_id"], pairs["target_id"], strict=True))
    test = pd.DataFrame(
        [
            {"mirna_id": m, "mirna_seq": "", "target_id": g, "target_seq": "", "label": 1, "species": "hsa"}
            for m, g in itertools.product(sorted(set(train["mirna_id"])), sorted(set(train["target_id"])))
            if (m, g) not in known
        ][:20]
    )
    test["mirna_seq"] = test["mirna_id"].map(dict(zip(pairs["mirna_id"], pairs["mirna_seq"], strict=True)))
    settings = training_config_for("grmmi", {"epochs": 1, "batch_size": 32})
    config = SMALL_GENE_CONFIGS["grmmi"]
    alone = fit("grmmi", train, valid, model_config=config, training_config=settings)
    with_test = fit(
        "grmmi",
        train,
        pd.concat([valid, test], ignore_index=True),
        model_config=config,
        training_config=settings,
    )
    assert alone.config.mirna_nodes == with_test.config.mirna_nodes
    assert alone.config.gene_nodes == with_test.config.gene_nodes
    table = alone.module.nodes.table.numpy()
    np.testing.assert_array_equal(table, with_test.module.nodes.table.numpy())
    # ... and it is the GraRep table of the training positives alone.
    graph = build(train, mirnas=alone.config.mirna_nodes, genes=alone.config.gene_nodes)
    grarep_config = GraRepConfig(steps=config["graph_steps"], dimension=config["graph_dimension"])
    np.testing.assert_array_equal(table, node_features(graph, grarep_config, seed=settings.seed))
    # No test edge is an edge of the saved graph.
    degrees = np.rint(np.expm1(table[:, -2].astype(np.float64))).astype(int)
    np.testing.assert_array_equal(degrees, graph.degrees())


def test_seed_codes_read_nucleotides_two_to_eight():
    from rnaapp.graph import seed_codes

    codes = seed_codes(["UAAAAAAAG", "GAAAAAAAC", "UAAAAAAC", "UAAANAAAG", "UAAAAA"])
    assert codes[0] == codes[1] == 0  # AAAAAAA
    assert codes[2] == 1  # AAAAAAC
    assert list(codes[3:]) == [-1, -1]  # N in the seed; shorter than 8 nt


def test_family_support_keys_count_edges_per_seed_and_gene():
    from rnaapp.graph import SEED_CODE_SPACE, family_support_keys

    graph = BipartiteGraph(("m1", "m2", "m3"), ("g1", "g2"), np.array([[0, 0], [1, 0], [2, 1], [0, 1]]))
    codes = np.array([5, 5, -1])
    keys, counts = family_support_keys(graph, codes, view=2)
    expected = {(2 * SEED_CODE_SPACE + 5) * 2 + 0: 2, (2 * SEED_CODE_SPACE + 5) * 2 + 1: 1}
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == expected
    assert list(keys) == sorted(keys)
