"""Tests for rnaapp.scan: planted sites found at exact positions, windows, streaming, ranking, parsing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnaapp.io import InputError
from rnaapp.registry import build_model, load_model
from rnaapp.scan import (
    WINDOW_DOWNSTREAM,
    WINDOW_LENGTH,
    WINDOW_UPSTREAM,
    ScanCancelled,
    candidate_sites,
    filter_pairs,
    rank_pairs,
    read_mirna_list,
    read_transcripts,
    scan,
    scan_batches,
    transcript_probabilities,
    window_bounds,
)
from rnaapp.sites import reverse_complement

MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"  # hsa-let-7a-5p
SEED_2_8 = reverse_complement(MIRNA[1:8])  # target k-mer pairing with positions 2-8


def neutral(length: int, seed: int) -> str:
    """Random sequence with no 6-nt match of the miRNA's seed region (so only planted sites exist)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    while True:
        sequence = "".join(rng.choice(letters, length))
        if not candidate_sites(MIRNA, sequence):
            return sequence


def plant(background: str, position: int, site: str) -> str:
    return background[:position] + site + background[position + len(site) :]


@pytest.fixture(scope="module")
def seed_rule_model():
    return load_model("seed_rule")


def test_planted_sites_of_each_type_are_found_at_exact_positions():
    background = neutral(400, seed=1)
    # Flanks never extend a site: 'A' opposite miRNA position 8 (a G) does not pair, 'C' is no A1, and
    # 'G' opposite position 2 (a G) does not pair.
    planted = {
        "8mer": (30, SEED_2_8 + "A"),
        "7mer-m8": (90, SEED_2_8 + "C"),
        "7mer-A1": (150, "A" + SEED_2_8[1:] + "A"),
        "6mer": (210, "A" + SEED_2_8[1:] + "C"),
        "offset-6mer": (270, "A" + SEED_2_8[:6] + "G"),
    }
    target = background
    for position, site in planted.values():
        target = plant(target, position - 1, "C" + site + "C")
    found = {site.site_type: site for site in candidate_sites(MIRNA, target, noncanonical=False)}
    assert set(found) == set(planted)
    assert (found["8mer"].start, found["8mer"].end) == (30, 38)
    assert (found["7mer-m8"].start, found["7mer-m8"].end) == (90, 97)
    assert (found["7mer-A1"].start, found["7mer-A1"].end) == (151, 158)
    assert (found["6mer"].start, found["6mer"].end) == (151 + 60, 157 + 60)
    assert (found["offset-6mer"].start, found["offset-6mer"].end) == (271, 277)
    for site in found.values():  # the anchor is the target nucleotide opposite miRNA position 2
        expected = "G" if site.site_type == "offset-6mer" else reverse_complement(MIRNA[1])
        assert target[site.anchor] == expected


@pytest.mark.parametrize(
    ("position", "replacement", "pairing"),
    [(4, "U", "G:U at position 4"), (4, "A", "mismatch at position 4"), (6, "C", "mismatch at position 6")],
)
def test_noncanonical_seed_with_one_wobble_or_mismatch(position, replacement, pairing):
    site = list(SEED_2_8)
    site[7 - position + 1] = replacement  # target index within the 7-mer pairing with miRNA `position`
    background = neutral(200, seed=2)
    target = plant(background, 100, "C" + "".join(site) + "C")
    candidates = candidate_sites(MIRNA, target)
    assert [(c.site_type, c.start, c.end, c.seed_pairing) for c in candidates] == [
        ("non-canonical", 101, 108, pairing)
    ]
    assert candidate_sites(MIRNA, target, noncanonical=False) == []


def test_windows_put_the_seed_where_training_windows_have_it():
    start, end = window_bounds(500, 10_000)
    assert (start, end) == (500 - WINDOW_UPSTREAM, 500 + WINDOW_DOWNSTREAM)
    assert end - start == WINDOW_LENGTH == 40
    # The one window rule: a target that fits is its own window; windows are shifted inside the target.
    assert window_bounds(3, 20) == (0, 20)
    assert window_bounds(3, 100) == (0, 40)
    assert window_bounds(98, 100) == (60, 100)
    # Longer model windows add the extra nucleotides equally on both sides of the training window.
    assert window_bounds(500, 10_000, 60) == (500 - WINDOW_UPSTREAM - 10, 500 + WINDOW_DOWNSTREAM + 10)
    assert window_bounds(5, 61, 60) == (0, 60)
    assert window_bounds(58, 61, 60) == (1, 61)


def test_scan_ranks_the_transcript_with_an_8mer_first(seed_rule_model):
    with_site = plant(neutral(2500, seed=3), 1200, SEED_2_8 + "A")
    without_site = neutral(2500, seed=4)
    result = scan(seed_rule_model, [("let-7a", MIRNA)], [("utr_a", without_site), ("utr_b", with_site)])
    assert result.pairs["target_id"].tolist() == ["utr_b", "utr_a"]
    assert result.pairs["rank"].tolist() == [1, 2]
    best = result.pairs.iloc[0]
    assert best["best_site_type"] == "8mer" and best["best_site_start"] == 1201
    # A transcript without candidate sites is read in tiles (the one window rule): scored, but below the 8mer.
    without = result.pairs.iloc[1]
    assert (
        without["n_sites"] == 0
        and without["best_site_type"] == "none"
        and pd.isna(without["best_site_start"])
    )
    assert 0 < without["probability"] < best["probability"]
    assert (result.sites["target_id"] == "utr_a").sum() == 0  # tiles are not sites
    site = result.sites.iloc[0]
    assert site["start"] == 1201 and site["end"] == 1208 and site["energy"] < -10
    assert with_site[site["window_start"] - 1 :].startswith(site["window"])


def test_streaming_in_small_buffers_gives_the_same_ranking(seed_rule_model):
    rng = np.random.default_rng(5)
    letters = np.array(list("ACGU"))
    mirnas = [(f"mir{i}", "".join(rng.choice(letters, 22))) for i in range(4)] + [("let-7a", MIRNA)]
    targets = [(f"t{i}", "".join(rng.choice(letters, 1500))) for i in range(12)]
    whole = scan(seed_rule_model, mirnas, targets, buffer_size=1 << 20)
    chunks = list(scan_batches(seed_rule_model, mirnas, iter(targets), buffer_size=3, n_targets=len(targets)))
    assert len(chunks) > 5
    streamed = scan(seed_rule_model, mirnas, targets, buffer_size=3)
    pd.testing.assert_frame_equal(whole.pairs, streamed.pairs)
    pd.testing.assert_frame_equal(whole.sites, streamed.sites)


def test_progress_and_cancel(seed_rule_model):
    targets = [(f"t{i}", neutral(300, seed=i)) for i in range(5)]
    calls = []
    scan(seed_rule_model, [("m", MIRNA)], targets, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5, 5)
    with pytest.raises(ScanCancelled):
        scan(seed_rule_model, [("m", MIRNA)], targets, should_stop=lambda: True)


def test_transcript_probabilities_scan_only_long_targets():
    model = load_model("site")
    site = plant(neutral(40, seed=6), 25, SEED_2_8 + "A")
    long_target = plant(neutral(3000, seed=7), 2000, SEED_2_8 + "A")
    scores = transcript_probabilities(model, [MIRNA, MIRNA], [site, long_target])
    assert scores["scanned"].tolist() == [False, True]
    assert scores.loc[1, "best_site_start"] == 2001 and scores.loc[1, "best_site_type"] == "8mer"
    assert ((scores["probability"] >= 0) & (scores["probability"] <= 1)).all()


def test_read_mirna_list_names_sequences_and_fasta():
    reference = {"hsa-let-7a-5p": MIRNA}
    assert read_mirna_list("hsa-let-7a-5p\nugagguaguagguuguauaguu\n", reference)[0] == (
        "hsa-let-7a-5p",
        MIRNA,
    )
    fasta = read_mirna_list(f">a\n{MIRNA}\n>b\n{MIRNA[::-1]}\n", reference)
    assert [name for name, _ in fasta] == ["a", "b"]
    with pytest.raises(InputError, match="duplicate miRNA id 'a'"):
        read_mirna_list(f">a\n{MIRNA}\n>a\n{MIRNA}\n", reference)
    with pytest.raises(InputError, match="no miRNAs"):
        read_mirna_list("  \n", reference)


def test_read_transcripts_errors_name_the_record():
    assert read_transcripts(b">u1\nACGT\nACGT\n") == [("u1", "ACGUACGU")]
    with pytest.raises(InputError, match="empty"):
        read_transcripts(b"")
    with pytest.raises(InputError, match="record 2|row 2"):
        read_transcripts(">u1\nACGU\n>u2\nACXGU\n")
    with pytest.raises(InputError, match="duplicate transcript id 'u1'"):
        read_transcripts(">u1\nACGU\n>u1\nACGU\n")


def test_filter_and_rank():
    pairs = pd.DataFrame(
        {
            "mirna_id": ["a", "b", "a"],
            "target_id": ["GENE1", "gene2", "OTHER"],
            "probability": [0.2, 0.9, 0.6],
            "best_site_type": ["6mer", "8mer", "none"],
            "n_sites": [1, 2, 0],
        }
    )
    ranked = rank_pairs(pairs)
    assert ranked["mirna_id"].tolist() == ["b", "a", "a"] and ranked["rank"].tolist() == [1, 2, 3]
    kept = filter_pairs(ranked, min_probability=0.5, target_query="gene")
    assert kept["target_id"].tolist() == ["gene2"]
    assert filter_pairs(ranked, site_types=["6mer"])["target_id"].tolist() == ["GENE1"]
    assert filter_pairs(ranked, mirnas=["a"], sort_by="probability", ascending=False)[
        "probability"
    ].tolist() == [
        0.6,
        0.2,
    ]


def test_scan_with_an_untrained_attention_model_runs(pairs):
    from rnaapp.models import get_family
    from rnaapp.registry import ModelCard

    family = get_family("mirna_site")
    card = ModelCard(
        name="tiny", family="mirna_site", task="site", config={"embedding_dim": 16, "hidden": 16}
    )
    model = build_model(card)
    assert family.has_attention
    result = scan(model, [("m", MIRNA)], [("t", plant(neutral(500, 8), 100, SEED_2_8 + "A"))])
    assert len(result.sites) == 1


def test_hundreds_of_mirnas_parse_as_names_sequences_and_fasta():
    rng = np.random.default_rng(9)
    sequences = ["".join(rng.choice(list("ACGU"), 22)) for _ in range(250)]
    reference = {f"hsa-miR-{index}": sequence for index, sequence in enumerate(sequences)}
    names = read_mirna_list("\n".join(reference), reference)
    fasta = read_mirna_list("".join(f">m{index}\n{seq.lower()}\n" for index, seq in enumerate(sequences)), {})
    plain = read_mirna_list("\n".join(sequences), {})
    assert len(names) == len(fasta) == len(plain) == 250
    assert [sequence for _, sequence in names] == [sequence for _, sequence in fasta] == sequences


def _random_inputs(seed: int, n_mirnas: int = 4, n_targets: int = 16, length: int = 1500):
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    mirnas = [(f"mir{i}", "".join(rng.choice(letters, 22))) for i in range(n_mirnas)] + [("let-7a", MIRNA)]
    targets = [(f"t{i}", "".join(rng.choice(letters, length))) for i in range(n_targets)]
    return mirnas, targets


def test_process_pool_gives_the_same_result_as_one_process():
    model = load_model("site")
    mirnas, targets = _random_inputs(10)
    local = scan(model, mirnas, targets)
    pooled = scan(model, mirnas, targets, workers=2, chunk_nucleotides=5000)
    pd.testing.assert_frame_equal(local.pairs, pooled.pairs)
    pd.testing.assert_frame_equal(local.sites, pooled.sites)


def test_dask_local_cluster_gives_the_same_result_as_one_process():
    distributed = pytest.importorskip("dask.distributed")
    model = load_model("site")
    mirnas, targets = _random_inputs(11)
    local = scan(model, mirnas, targets)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        calls = []
        on_cluster = scan(
            model,
            mirnas,
            iter(targets),
            scheduler=cluster.scheduler_address,
            chunk_nucleotides=5000,
            n_targets=len(targets),
            progress=lambda done, total: calls.append((done, total)),
        )
    pd.testing.assert_frame_equal(local.pairs, on_cluster.pairs)
    pd.testing.assert_frame_equal(local.sites, on_cluster.sites)
    assert calls[-1] == (len(mirnas) * len(targets), len(mirnas) * len(targets))


def test_gene_columns_come_from_the_target_ids_and_whole_headers(seed_rule_model):
    from rnaapp.io import parse_target_header
    from rnaapp.scan import TARGET_GENE_COLUMNS, read_transcript_records, target_gene_columns

    text = (
        f">ENSG00000141510|ENST00000269305|TP53\n{plant(neutral(300, 1), 150, SEED_2_8 + 'A')}\n"
        f">utr_7 MYC\n{neutral(300, 2)}\n>plain\n{neutral(300, 3)}\n"
    )
    targets, headers = read_transcript_records(text)
    assert headers == {"utr_7": parse_target_header("utr_7 MYC")}  # the others say all in their ids
    result = scan(seed_rule_model, [("let-7a", MIRNA)], targets, target_headers=headers)
    genes = result.pairs.set_index("target_id")[list(TARGET_GENE_COLUMNS)]
    assert genes.to_dict("index") == {
        "ENSG00000141510|ENST00000269305|TP53": {"gene_symbol": "TP53", "transcript_id": "ENST00000269305"},
        "utr_7": {"gene_symbol": "MYC", "transcript_id": ""},
        "plain": {"gene_symbol": "", "transcript_id": ""},
    }
    # without the whole headers a target keeps what its id says (nothing, for utr_7)
    alone = scan(seed_rule_model, [("let-7a", MIRNA)], targets).pairs.set_index("target_id")
    assert alone.loc["utr_7", "gene_symbol"] == "" and alone.loc["plain", "gene_symbol"] == ""
    assert (
        alone.drop(columns=list(TARGET_GENE_COLUMNS))
        .sort_index()
        .equals(result.pairs.set_index("target_id").drop(columns=list(TARGET_GENE_COLUMNS)).sort_index())
    )  # no other column changes
    assert target_gene_columns("ENST00000269305.9|ENSG00000141510.18|TP53") == {
        "gene_symbol": "TP53",
        "transcript_id": "ENST00000269305.9",
    }
