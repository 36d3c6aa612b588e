"""Tests for scan input and output: streamed transcript and miRNA files, Parquet writing, top-N rankings."""

from __future__ import annotations

import gzip
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from rnaapp.io import InputError
from rnaapp.registry import load_model
from rnaapp.scan import (
    PAIR_COLUMNS,
    PAIR_SCHEMA,
    SITE_COLUMNS,
    SITE_SCHEMA,
    ScanResult,
    count_transcripts,
    iter_transcripts,
    rank_pairs,
    read_mirnas_file,
    read_scan,
    scan,
    scan_batches,
    top_interactions,
    write_scan,
)
from rnaapp.scan.columns import SITE_COUNT_COLUMNS

MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"  # hsa-let-7a-5p
LETTERS = np.array(list("ACGU"))


@pytest.fixture(scope="module")
def seed_rule_model():
    return load_model("seed_rule")


def random_inputs(seed: int, n_mirnas: int = 4, n_targets: int = 12, length: int = 1200):
    rng = np.random.default_rng(seed)
    mirnas = [(f"mir{i}", "".join(rng.choice(LETTERS, 22))) for i in range(n_mirnas)] + [("let-7a", MIRNA)]
    targets = [(f"t{i}", "".join(rng.choice(LETTERS, length))) for i in range(n_targets)]
    return mirnas, targets


def ordered_like(sites: pd.DataFrame, ranked_pairs: pd.DataFrame) -> pd.DataFrame:
    """Sites in the order :func:`scan` gives them: by their pair's rank, then site rank."""
    order = ranked_pairs[["mirna_id", "target_id", "rank"]]
    return (
        sites.merge(order, on=["mirna_id", "target_id"], how="left")
        .sort_values(["rank", "site_rank"], kind="stable")
        .drop(columns="rank")
        .reset_index(drop=True)
    )


def fasta(records) -> str:
    return "".join(f">{name}\n{sequence}\n" for name, sequence in records)


# --------------------------------------------------------------------------------------------------------
# Parquet output
# --------------------------------------------------------------------------------------------------------


def test_write_scan_round_trip_equals_scan(tmp_path, seed_rule_model):
    mirnas, targets = random_inputs(1)
    expected = scan(seed_rule_model, mirnas, targets)
    pairs_path, sites_path = tmp_path / "scan.parquet", tmp_path / "scan.sites.parquet"
    counts = write_scan(
        scan_batches(seed_rule_model, mirnas, iter(targets), buffer_size=16, n_targets=len(targets)),
        pairs_path,
        sites_path,
        row_group_rows=7,
    )
    assert counts == (len(expected.pairs), len(expected.sites)) == (60, len(expected.sites))
    assert pq.ParquetFile(pairs_path).num_row_groups == 9  # 60 rows in groups of 7
    assert pq.read_schema(pairs_path).equals(PAIR_SCHEMA)
    assert pq.read_schema(sites_path).equals(SITE_SCHEMA)
    assert (
        pq.read_schema(pairs_path).field("probability").metadata[b"description"].decode()
        == (PAIR_COLUMNS["probability"])
    )

    pairs = read_scan(pairs_path)
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    assert pairs["best_site_start"].dtype == "Int64"
    ranked = rank_pairs(pairs)
    pd.testing.assert_frame_equal(ranked, expected.pairs.astype({"best_site_start": "Int64"}))
    sites = read_scan(sites_path)
    assert list(sites.columns) == list(SITE_COLUMNS)
    pd.testing.assert_frame_equal(ordered_like(sites, ranked), expected.sites)

    # The files do not depend on how the work was split (here: buffer sizes).
    write_scan(
        scan_batches(seed_rule_model, mirnas, targets), tmp_path / "b.parquet", tmp_path / "b.sites.parquet"
    )
    pd.testing.assert_frame_equal(read_scan(tmp_path / "b.parquet"), pairs)
    pd.testing.assert_frame_equal(read_scan(tmp_path / "b.sites.parquet"), sites)

    filtered = read_scan(
        pairs_path, columns=["mirna_id", "probability"], filters=[("mirna_id", "==", "let-7a")]
    )
    assert list(filtered.columns) == ["mirna_id", "probability"]
    assert len(filtered) == len(targets) and set(filtered["mirna_id"]) == {"let-7a"}


def test_write_scan_without_sites_and_with_no_rows(tmp_path, seed_rule_model):
    mirnas, targets = random_inputs(2, n_targets=3)
    assert write_scan(scan_batches(seed_rule_model, mirnas, targets), tmp_path / "p.parquet")[1] == 0
    assert not (tmp_path / "p.sites.parquet").exists()
    assert write_scan([], tmp_path / "empty.parquet", tmp_path / "empty.sites.parquet") == (0, 0)
    empty = read_scan(tmp_path / "empty.parquet")
    assert list(empty.columns) == list(PAIR_COLUMNS) and empty.empty
    assert top_interactions(tmp_path / "empty.parquet", 5).empty


def test_a_failed_scan_leaves_no_file_and_keeps_the_previous_one(tmp_path, seed_rule_model):
    mirnas, targets = random_inputs(3, n_targets=4)
    previous = tmp_path / "scan.parquet"
    write_scan(scan_batches(seed_rule_model, mirnas, targets), previous)
    before = previous.read_bytes()

    def failing():
        yield from scan_batches(seed_rule_model, mirnas, targets, buffer_size=4)
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError, match="worker lost"):
        write_scan(failing(), previous, tmp_path / "scan.sites.parquet", row_group_rows=2)
    assert previous.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scan.parquet"]  # no temporary files left

    with pytest.raises(RuntimeError, match="worker lost"):
        write_scan(failing(), tmp_path / "new.parquet", tmp_path / "new.sites.parquet")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scan.parquet"]


# --------------------------------------------------------------------------------------------------------
# Top-N rankings
# --------------------------------------------------------------------------------------------------------


def synthetic_pair_table(count: int, seed: int, n_mirnas: int = 100) -> pd.DataFrame:
    """A pair table with many ties (half the pairs have probability 0) and shuffled rows."""
    rng = np.random.default_rng(seed)
    n_targets = count // n_mirnas
    probability = np.where(rng.random(count) < 0.5, 0.0, np.round(rng.random(count), 2))
    frame = pd.DataFrame(
        {
            "mirna_id": np.tile([f"miR-{index}" for index in range(n_mirnas)], n_targets),
            "target_id": np.repeat([f"ENST{index:07d}" for index in range(n_targets)], n_mirnas),
            "gene_symbol": "",  # headers naming no gene
            "transcript_id": "",
            "score": np.where(probability > 0, 10 * probability - 5, -np.inf),  # ties, as probabilities
            "probability": probability,
            "percentile": np.round(100 * probability),
            "best_site_type": np.where(
                probability > 0, rng.choice(["8mer", "7mer-m8", "6mer", "non-canonical"], count), "none"
            ),
            "best_site_start": pd.array(
                np.where(probability > 0, rng.integers(1, 3000, count), 0), dtype="Int64"
            ),
            "best_site_energy": -30 * rng.random(count),
            "best_site_expectation": np.full(count, np.nan),  # site models have none
            "best_site_log_odds": 10 * probability - 5,
            "n_sites": rng.integers(0, 6, count),
            "n_canonical": rng.integers(0, 3, count),
            **{column: rng.integers(0, 2, count) for column in SITE_COUNT_COLUMNS.values()},
            "driving_sites": np.where(probability > 0, "8mer@12 (100%)", ""),
            "target_length": rng.integers(100, 5000, count),
        }
    )
    frame.loc[probability == 0, "best_site_start"] = pd.NA
    frame = frame[list(PAIR_COLUMNS)]
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def reference_top(frame: pd.DataFrame, n: int, per: str | None) -> pd.DataFrame:
    """What top_interactions should give, the slow way: rank everything, then take heads."""
    ranked = rank_pairs(frame)
    if per is None:
        return ranked.head(n)
    column = f"{per}_id"
    top = ranked.groupby(column, sort=False).head(n).copy()
    top["rank"] = top.groupby(column, sort=False).cumcount() + 1
    return top.sort_values([column, "rank"], kind="stable")


@pytest.mark.parametrize("per", [None, "mirna", "target"])
def test_top_interactions_match_a_full_ranking(tmp_path, per):
    frame = synthetic_pair_table(3000, seed=4, n_mirnas=30)
    expected = reference_top(frame, 4, per).reset_index(drop=True)
    from_frame = top_interactions(frame, 4, per)
    pd.testing.assert_frame_equal(from_frame, expected)
    path = tmp_path / "pairs.parquet"
    write_scan([ScanResult(frame, frame.iloc[:0])], path, row_group_rows=500)
    from_file = top_interactions(path, 4, per)
    pd.testing.assert_frame_equal(from_file, expected, check_dtype=False)
    assert from_file["best_site_start"].dtype == "Int64"
    sizes = {None: 4, "mirna": 30 * 4, "target": 100 * 4}
    assert len(from_frame) == sizes[per]


def test_top_interactions_of_a_million_pairs_is_fast(tmp_path):
    frame = synthetic_pair_table(1_000_000, seed=5, n_mirnas=1000)
    path = tmp_path / "pairs.parquet"
    write_scan([ScanResult(frame, frame.iloc[:0])], path)
    for source in (frame, path):
        for per, expected_rows in ((None, 10), ("mirna", 10_000), ("target", 10_000)):
            started = time.perf_counter()
            top = top_interactions(source, 10, per)
            elapsed = time.perf_counter() - started
            assert len(top) == expected_rows
            assert elapsed < 2.0, f"top_interactions(per={per}) took {elapsed:.2f} s"
    overall = top_interactions(path, 10)
    assert overall["rank"].tolist() == list(range(1, 11))
    assert overall["score"].is_monotonic_decreasing
    assert overall["score"].iloc[0] == frame["score"].max()


def test_top_interactions_rejects_bad_arguments():
    frame = synthetic_pair_table(100, seed=6, n_mirnas=10)
    with pytest.raises(ValueError, match="per must be"):
        top_interactions(frame, 5, per="gene")
    with pytest.raises(ValueError, match="at least 1"):
        top_interactions(frame, 0)


# --------------------------------------------------------------------------------------------------------
# Reading transcripts and miRNAs
# --------------------------------------------------------------------------------------------------------


def test_iter_transcripts_streams_fasta_and_gzip(tmp_path):
    records = [("u1", "ACGUACGU"), ("u2", "GGGAAACCC")]
    plain = tmp_path / "utrs.fa"
    plain.write_text(">u1 first\nacgt\nACGT\n\n>u2\nGGGAAACCC\n", encoding="utf-8")
    compressed = tmp_path / "utrs.fa.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(iter_transcripts(plain)) == records
    assert list(iter_transcripts(compressed)) == records
    assert count_transcripts(plain) == count_transcripts(compressed) == 2


@pytest.mark.parametrize(
    ("content", "row", "fragments"),
    [
        (">u1\nACGU\n>u1\nACGU\n", 2, ["duplicate transcript id 'u1'", "record 1"]),
        (">u1\nACGU\n>u2\n>u3\nACGU\n", 2, ["target sequence is empty", "'u2'"]),
        (">u1\nACGU\n>u2\nACXGU\n", 2, ["letters other than ACGUTN", "'X' at position 3", "'u2'"]),
        ("", None, ["the file is empty"]),
        ("\n  \n", None, ["the file is empty"]),
    ],
)
def test_iter_transcripts_errors_name_the_record(tmp_path, content, row, fragments):
    path = tmp_path / "utrs.fa"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_transcripts(path))
    assert info.value.row == row
    assert info.value.source == "utrs.fa"
    for fragment in fragments:
        assert fragment in str(info.value)


def test_iter_transcripts_yields_records_before_the_bad_one(tmp_path):
    path = tmp_path / "utrs.fa.gz"
    path.write_bytes(gzip.compress(b">u1\nACGU\n>u2\nAC GU\n>u1\nACGU\n"))
    stream = iter_transcripts(path)
    assert next(stream) == ("u1", "ACGU")
    assert next(stream) == ("u2", "ACGU")
    with pytest.raises(InputError, match="duplicate transcript id 'u1'"):
        next(stream)


def test_iter_transcripts_reads_tables(tmp_path):
    csv = tmp_path / "utrs.csv"
    csv.write_text("target_id,target_seq,gene\nENST1,acgtacgt,A\nENST2,GGGCCC,B\n", encoding="utf-8")
    assert list(iter_transcripts(csv)) == [("ENST1", "ACGUACGU"), ("ENST2", "GGGCCC")]
    tsv = tmp_path / "utrs.tsv.gz"
    tsv.write_bytes(gzip.compress(b"id\tseq\nx\tACGU\n\tUUUU\n"))
    assert list(iter_transcripts(tsv)) == [("x", "ACGU"), ("target_2", "UUUU")]
    assert count_transcripts(tsv) == 2

    bad = tmp_path / "bad.csv"
    bad.write_text("id,seq\nx,ACGU\ny,AC!GU\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv, row 2: .*'!' at position 3.*'y'"):
        list(iter_transcripts(bad))
    duplicated = tmp_path / "duplicated.csv"
    duplicated.write_text("id,seq\nx,ACGU\nx,ACGU\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2: duplicate transcript id 'x'"):
        list(iter_transcripts(duplicated))
    no_sequence = tmp_path / "names.csv"
    no_sequence.write_text("gene,tissue\nA,liver\n", encoding="utf-8")
    with pytest.raises(InputError, match="found columns: gene, tissue"):
        list(iter_transcripts(no_sequence))
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,seq\n", encoding="utf-8")
    with pytest.raises(InputError, match="no transcripts"):
        list(iter_transcripts(header_only))


def test_read_mirnas_file_in_every_layout(tmp_path):
    reference = {"hsa-let-7a-5p": MIRNA, "hsa-miR-21-5p": "UAGCUUAUCAGACUGAUGUUGA"}
    mir_21 = reference["hsa-miR-21-5p"]
    layouts = {
        "list.txt": "hsa-let-7a-5p\n\nHSA-MIR-21-5P\n",
        "mirs.fa": f">hsa-let-7a-5p\n{MIRNA}\n>hsa-miR-21-5p\n{mir_21.replace('U', 'T')}\n",
        "names.csv": "mirna_id,comment\nhsa-let-7a-5p,x\nhsa-miR-21-5p,y\n",
        "both.tsv": f"name\tsequence\nhsa-let-7a-5p\t{MIRNA}\nhsa-miR-21-5p\t\n",
    }
    expected = [("hsa-let-7a-5p", MIRNA), ("hsa-miR-21-5p", mir_21)]
    for file_name, content in layouts.items():
        path = tmp_path / file_name
        path.write_text(content, encoding="utf-8")
        assert read_mirnas_file(path, reference) == expected, file_name
    sequences = tmp_path / "sequences.csv"
    sequences.write_text(f"mirna_seq\n{MIRNA.lower()}\n", encoding="utf-8")
    assert read_mirnas_file(sequences, {}) == [(MIRNA, MIRNA)]
    own = tmp_path / "own.csv"
    own.write_text(f"mirna_id,mirna_seq\nmy-mir,{MIRNA}\n", encoding="utf-8")
    assert read_mirnas_file(own, {}) == [("my-mir", MIRNA)]


@pytest.mark.parametrize(
    ("file_name", "content", "fragment"),
    [
        ("unknown.txt", "hsa-let-7a-5p\nhsa-miR-nope\n", "row 2: unknown miRNA name 'hsa-miR-nope'"),
        ("duplicate.fa", f">a\n{MIRNA}\n>a\n{MIRNA}\n", "duplicate miRNA id 'a'"),
        ("table.csv", "gene,tissue\nA,liver\n", "found columns: gene, tissue"),
        ("short.csv", "name,sequence\nx,ACGU\n", "row 1: miRNA is 4 nt"),
        ("empty.txt", "", "the file is empty"),
    ],
)
def test_read_mirnas_file_errors(tmp_path, file_name, content, fragment):
    path = tmp_path / file_name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=fragment):
        read_mirnas_file(path, {"hsa-let-7a-5p": MIRNA})


# --------------------------------------------------------------------------------------------------------
# Gene symbols and transcript ids from the targets' headers
# --------------------------------------------------------------------------------------------------------

LET7_8MER_SITE = "CUACCUCA"  # reverse complement of let-7a positions 1-8 (8mer with the A)


def gene_header_fasta(tmp_path):
    rng = np.random.default_rng(21)
    body = ["".join(rng.choice(LETTERS, 300)) for _ in range(3)]
    records = [
        ("ENSG00000141510|ENST00000269305|TP53", body[0][:100] + LET7_8MER_SITE + body[0][100:]),
        ("utr_7 MYC", body[1]),
        ("plain_target length=300", body[2]),
    ]
    path = tmp_path / "utrs.fa.gz"
    path.write_bytes(gzip.compress(fasta(records).encode()))
    mirnas = tmp_path / "mirnas.txt"
    mirnas.write_text(f">let-7a\n{MIRNA}\n")
    return path, mirnas


def test_scan_tables_name_the_gene_symbol_and_transcript_of_the_headers(tmp_path, seed_rule_model):
    from rnaapp.scan import filter_pairs, transcript_headers

    path, _ = gene_header_fasta(tmp_path)
    headers = transcript_headers(path)
    assert set(headers) == {"utr_7"}  # the other headers name nothing beyond their id
    result = scan(seed_rule_model, [("let-7a", MIRNA)], iter_transcripts(path), target_headers=headers)
    pairs = result.pairs.set_index("target_id")
    assert list(result.pairs.columns[:5]) == ["rank", "mirna_id", "target_id", "gene_symbol", "transcript_id"]
    assert pairs["gene_symbol"].to_dict() == {
        "ENSG00000141510|ENST00000269305|TP53": "TP53",
        "utr_7": "MYC",
        "plain_target": "",
    }
    assert pairs.loc["ENSG00000141510|ENST00000269305|TP53", "transcript_id"] == "ENST00000269305"
    assert pairs.loc["utr_7", "transcript_id"] == "" and pairs.loc["plain_target", "transcript_id"] == ""
    # the other columns mean what they meant: the 8mer of the TP53 record ranks first
    assert result.pairs.iloc[0]["gene_symbol"] == "TP53" and result.pairs.iloc[0]["best_site_type"] == "8mer"
    sites = result.sites
    assert set(sites.loc[sites["target_id"] == "utr_7", "gene_symbol"]) <= {"MYC"}
    assert (sites.loc[sites["gene_symbol"] == "TP53", "transcript_id"] == "ENST00000269305").all()
    assert {"gene_symbol", "transcript_id"} <= set(PAIR_COLUMNS) & set(SITE_COLUMNS)
    # typing a symbol in the target filter finds its transcript
    assert filter_pairs(result.pairs, target_query="myc")["target_id"].tolist() == ["utr_7"]

    written = tmp_path / "scan.parquet"
    write_scan(
        scan_batches(seed_rule_model, [("let-7a", MIRNA)], iter_transcripts(path), target_headers=headers),
        written,
        tmp_path / "scan.sites.parquet",
    )
    from_file = read_scan(written).set_index("target_id")
    assert from_file["gene_symbol"].to_dict() == pairs["gene_symbol"].to_dict()
    assert PAIR_SCHEMA.field("gene_symbol").metadata[b"description"].decode() == PAIR_COLUMNS["gene_symbol"]
    assert "gene_symbol" in SITE_SCHEMA.names


def test_written_tables_without_gene_columns_get_them_from_the_target_ids(tmp_path):
    frame = synthetic_pair_table(200, seed=3, n_mirnas=10).drop(columns=["gene_symbol", "transcript_id"])
    frame["target_id"] = frame["target_id"].str.replace("ENST", "ENSG00000000001|ENST") + "|SYM1"
    path = tmp_path / "old.parquet"
    write_scan([ScanResult(frame, frame.iloc[:0])], path)
    written = read_scan(path)
    assert set(written["gene_symbol"]) == {"SYM1"} and written["transcript_id"].str.startswith("ENST").all()


def test_cli_scan_outputs_have_the_gene_symbol_next_to_the_target(tmp_path, user_home, capsys):
    from rnaapp.cli import main

    path, mirnas = gene_header_fasta(tmp_path)
    output = tmp_path / "out" / "hits.csv"
    output.parent.mkdir()
    capsys.readouterr()
    arguments = [
        "scan",
        "--mirnas",
        str(mirnas),
        "--targets",
        str(path),
        "--model",
        "seed_rule",
        "-o",
        str(output),
    ]
    status = main([*arguments, "--top", "3"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    printed = captured.out.strip().split("\n")
    assert printed[0].split()[:5] == ["rank", "mirna_id", "target_id", "gene_symbol", "transcript_id"]
    assert printed[1].split()[2:5] == ["ENSG00000141510|ENST00000269305|TP53", "TP53", "ENST00000269305"]
    pairs = pd.read_csv(output, keep_default_na=False)
    assert list(pairs.columns[:5]) == ["rank", "mirna_id", "target_id", "gene_symbol", "transcript_id"]
    assert dict(zip(pairs["target_id"], pairs["gene_symbol"], strict=True)) == {
        "ENSG00000141510|ENST00000269305|TP53": "TP53",
        "utr_7": "MYC",
        "plain_target": "",
    }
    sites = pd.read_csv(output.with_name("hits.sites.csv"), keep_default_na=False)
    assert "gene_symbol" in sites.columns and "TP53" in set(sites["gene_symbol"])
