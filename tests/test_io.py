"""Tests for rnaapp.io: format detection, orientation, normalisation and validation messages."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnaapp.io import (
    MIRNA_LENGTH_RANGE,
    PAIR_COLUMNS,
    InputError,
    attach_target_sequences,
    normalise_sequence,
    pairs_from_sequences,
    read_fasta,
    read_mirbase,
    read_pairs,
    sequence_problem,
)

BENCHMARKS = Path(
    os.environ.get("RNAAPP_BENCHMARKS", Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks")
)
FORMATS = BENCHMARKS / "formats"

MIR_99A = "AACCCGUAGAUCCGAUCUUGUG"  # hsa-miR-99a-5p, 5'→3'
MIR_320A = "AAAAGCUGGGUUGAGAGGGCGA"  # hsa-miR-320a-3p (MIMAT0000510), 5'→3'
RNA = re.compile(r"[ACGUN]+")

# miRBase 22.1 sequences of the ten miRNAs in formats/plant_concatenated_pairs.fasta, written in DNA
# letters and with some names in another case, to exercise the reference look-up rules.
PLANT_REFERENCE = {
    "ath-miR774b-3p": "CATCCATATTTTCATCTCGAA",
    "ath-miR852": "AAGAUAAGCGCCUUAGUUCUG",
    "GMA-MIR393H": "UUCCAAAGGGAUCGCAUUGAUC",
    "gma-miR482c-3p": "UUCCCAAUUCCGCCCAUUCCU",
    "osa-miR5809": "UCGUCGCCGGCGACCACAGC",
    "osa-miR2863b": "UUCGUUUAUUUGGACUAGAGU",
    "ptc-miR166n": "UCGGACCAGGCUUCAUUCCUU",
    "ptc-miR7824": "UUGAGAAAAGUCAAUCGGACC",
    "ath-miR5639-5p": "UAGUCCACUGUGGUCUAAGGC",
    "ath-miR778": "UGGCUUGGUUUAUGUACACCG",
}


def needs_file(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"benchmark data not found at {path} (set RNAAPP_BENCHMARKS to the benchmarks folder)")
    return path


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def assert_clean_pairs(table: pd.DataFrame, *, sequences: bool = True) -> None:
    assert list(table.columns[:4]) == list(PAIR_COLUMNS[:4])
    assert len(table) > 0
    assert not table[list(PAIR_COLUMNS[:4])].isna().any().any()
    assert (table["mirna_id"] != "").all() and (table["target_id"] != "").all()
    if sequences:
        assert table["mirna_seq"].str.fullmatch(RNA).all()
        assert table["target_seq"].str.fullmatch(RNA).all()
        lo, hi = MIRNA_LENGTH_RANGE
        assert table["mirna_seq"].str.len().between(lo, hi).all()
    if "label" in table.columns:
        assert table["label"].dtype.kind == "i"
        assert set(table["label"]) <= {0, 1}


def test_attach_target_sequences_by_gene_name():
    records = read_fasta(
        io.BytesIO(
            b">ENSG01|ENST01|TP53\nACGUACGU\n>ENSG01|ENST02|TP53\nACGUACGUAAAA\n>kras\nGGGG\n>OTHER\nCCCC\n"
        )
    )
    pairs = pd.DataFrame(
        {
            "mirna_id": ["m1", "m2", "m1", "m3", "m1"],
            "target_id": ["TP53", "TP53", "KRAS", "PTEN", "ENSG01"],
            "target_seq": ["", None, "UUUU", "", ""],
        }
    )
    original = pairs.copy()
    attached, genes = attach_target_sequences(pairs, records)
    # TP53: the longer isoform; KRAS keeps the sequence it has; PTEN: no record
    assert attached["target_seq"].tolist() == ["ACGUACGUAAAA", "ACGUACGUAAAA", "UUUU", "", "ACGUACGUAAAA"]
    assert genes == 2  # TP53 and ENSG01
    assert pairs.equals(original)  # the input is not changed
    names_only, genes = attach_target_sequences(
        pairs.drop(columns="target_seq").assign(target_id="KRAS"), records
    )
    assert names_only["target_seq"].tolist() == ["GGGG"] * 5 and genes == 1  # kras, case ignored


# --------------------------------------------------------------------------------------------------------
# Sequences
# --------------------------------------------------------------------------------------------------------


def test_normalise_sequence():
    assert normalise_sequence(" >acgtT\n") == "ACGUU"
    assert normalise_sequence("AC GU\nTT") == "ACGUUU"
    assert normalise_sequence("") == ""


@pytest.mark.parametrize(
    ("seq", "kwargs", "expected"),
    [
        (MIR_99A, {"molecule": "miRNA"}, None),
        ("aacccgtagatccgatcttgtg", {"molecule": "miRNA"}, None),
        ("", {"molecule": "miRNA"}, "empty sequence"),
        ("ACXGUACGUACGUACGU", {"molecule": "miRNA"}, "letters other than ACGUTN ('X' at position 3)"),
        ("A" * 34, {"molecule": "miRNA"}, "miRNA is 34 nt; expected 15–30 nt"),
        ("A" * 10, {"molecule": "miRNA"}, "miRNA is 10 nt; expected 15–30 nt"),
        ("A" * 500, {"molecule": "target"}, None),
        ("A" * 500, {"molecule": "target", "max_length": 100}, "target is 500 nt; expected at most 100 nt"),
        ("ACGN" * 5, {"molecule": "target", "min_length": 30}, "target is 20 nt; expected at least 30 nt"),
    ],
)
def test_sequence_problem(seq, kwargs, expected):
    assert sequence_problem(seq, **kwargs) == expected


def test_sequence_problem_rejects_unknown_molecule():
    with pytest.raises(ValueError, match="molecule"):
        sequence_problem("ACGU", molecule="protein")


def test_input_error_message_attributes_and_pickle():
    err = InputError(
        "miRNA sequence has letters other than ACGUTN ('X' at position 3)", source="pairs.csv", row=7
    )
    assert str(err) == "pairs.csv, row 7: miRNA sequence has letters other than ACGUTN ('X' at position 3)"
    assert isinstance(err, ValueError)
    assert (err.source, err.row) == ("pairs.csv", 7)
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.row, copy.source, copy.problem) == (str(err), 7, "pairs.csv", err.problem)
    assert str(InputError("the file is empty")) == "<input>: the file is empty"


def test_pairs_from_sequences():
    table = pairs_from_sequences("aacccgtagatccgatcttgtg", ">site\nACGT\nACGT", mirna_id="miR-99a")
    assert table.to_dict("records") == [
        {"mirna_id": "miR-99a", "mirna_seq": MIR_99A, "target_id": "target", "target_seq": "ACGUACGU"}
    ]
    with pytest.raises(InputError) as info:
        pairs_from_sequences("A" * 34, "ACGU")
    assert str(info.value) == "<input>: miRNA is 34 nt; expected 15–30 nt"
    assert info.value.row is None
    with pytest.raises(InputError, match="target sequence is empty"):
        pairs_from_sequences(MIR_99A, "  ")


# --------------------------------------------------------------------------------------------------------
# Samples of real raw formats
# --------------------------------------------------------------------------------------------------------

SAMPLE_PAIR_FILES = {
    "deepmirnatar_style.csv": {},
    "mimosa_gene_level.tsv": {},
    "mirbench_style.tsv": {},
    "mitar_style.tsv": {},
    "name_pairs_noheader.csv": {"require_sequences": False},
    "plant_comma_pairs.fasta": {},
    "plant_concatenated_pairs.fasta": {"mirna_reference": PLANT_REFERENCE},
    "plant_pairs_with_structure.fasta": {},
    "tec_mitarget_style.txt": {},
}


@pytest.mark.benchmarks
def test_every_sample_is_covered():
    sample_dir = needs_file(FORMATS)
    present = {p.name for p in sample_dir.iterdir() if p.is_file()}
    assert present == set(SAMPLE_PAIR_FILES) | {"mirbase_mature_dna.fa"}


@pytest.mark.benchmarks
@pytest.mark.parametrize("file_name", sorted(SAMPLE_PAIR_FILES))
def test_sample_pair_file_parses(file_name):
    path = needs_file(FORMATS / file_name)
    kwargs = SAMPLE_PAIR_FILES[file_name]
    table = read_pairs(path, **kwargs)
    n_lines = sum(1 for line in path.read_bytes().splitlines() if line.strip())
    has_header = file_name.endswith((".csv", ".tsv")) and file_name != "name_pairs_noheader.csv"
    assert len(table) == n_lines - has_header
    assert_clean_pairs(table, sequences=kwargs.get("require_sequences", True))
    # bytes buffers with a name behave like the path
    buffer = io.BytesIO(path.read_bytes())
    buffer.name = f"uploads/{file_name}"
    pd.testing.assert_frame_equal(read_pairs(buffer, **kwargs), table)


@pytest.mark.benchmarks
def test_sample_deepmirnatar_bom_crlf_and_noone_rows():
    table = read_pairs(needs_file(FORMATS / "deepmirnatar_style.csv"))
    assert list(table.columns) == ["mirna_id", "mirna_seq", "target_id", "target_seq", "label"]
    first = table.iloc[0]
    assert (first["mirna_id"], first["mirna_seq"], first["target_id"]) == ("hsa-miR-99a-5p", MIR_99A, "ZNRF2")
    assert first["target_seq"] == "AAGAAAUGUAAUCAAGCAGUAAAAACAUCUGAAUGUAGAC"
    noone = table[table["target_id"] == "NOONE"]
    assert noone["mirna_seq"].tolist() == ["ACCAGGCUAGGGAAUACAGUUU"[::-1]]
    assert (table.loc[table["target_id"] != "NOONE", "mirna_seq"].str.len() >= 20).all()


@pytest.mark.benchmarks
def test_sample_mitar_header_declares_3_to_5():
    table = read_pairs(needs_file(FORMATS / "mitar_style.tsv"))
    assert table.loc[0, "mirna_id"] == "MIMAT0000510"
    assert table.loc[0, "mirna_seq"] == MIR_320A
    assert table.loc[0, "target_id"] == "NM_001080485"


@pytest.mark.benchmarks
def test_sample_tec_style_is_reversed():
    table = read_pairs(needs_file(FORMATS / "tec_mitarget_style.txt"))
    assert table.loc[6, "mirna_seq"] == MIR_99A  # stored as >GUGUUCUAGCCUAGAUGCCCAA
    assert table.loc[0, "target_seq"] == "UGGCUCACGCCUGUAAUCCCAGCACUUUGGGAGGCCAAGA"
    assert table["label"].tolist()[:4] == [0, 0, 1, 1]
    # ids are filled per distinct sequence: rows 0 and 5 carry the same miRNA
    assert table.loc[0, "mirna_id"] == table.loc[5, "mirna_id"] == "miRNA_1"


@pytest.mark.benchmarks
def test_sample_mirbench_and_mimosa():
    mirbench = read_pairs(needs_file(FORMATS / "mirbench_style.tsv"))
    assert mirbench.loc[0, "mirna_id"] == "hsa-let-7a-3p"
    assert mirbench.loc[0, "mirna_seq"] == "CUAUACAAUCUACUGUCUUUC"
    assert mirbench.loc[0, "target_id"] == "13:103634174-103634223:-"
    assert len(mirbench.loc[0, "target_seq"]) == 50
    assert {"noncodingRNA_fam", "feature", "gene_cluster_ID"} <= set(mirbench.columns)
    mimosa = read_pairs(needs_file(FORMATS / "mimosa_gene_level.tsv"))
    assert mimosa["target_id"].str.startswith("ENSG").all()
    assert mimosa["target_seq"].str.len().tolist() == [7733, 2854, 38]  # full 3'UTRs, DNA letters -> RNA


@pytest.mark.benchmarks
def test_sample_name_pairs_need_sequences_or_reference():
    path = needs_file(FORMATS / "name_pairs_noheader.csv")
    with pytest.raises(InputError, match="names only") as info:
        read_pairs(path)
    assert info.value.row is None
    names = read_pairs(path, require_sequences=False)
    assert names.loc[0, ["mirna_id", "target_id"]].tolist() == ["hsa-miR-34b-5p", "CDK4"]
    assert (names["mirna_seq"] == "").all() and (names["target_seq"] == "").all()
    filled = read_pairs(
        path, require_sequences=False, mirna_reference={"hsa-miR-34b-5p": "TAGGCAGTGTCATTAGCTGATTG"}
    )
    assert filled.loc[0, "mirna_seq"] == "UAGGCAGUGUCAUUAGCUGAUUG"
    assert (filled.loc[1:, "mirna_seq"] == "").all()


@pytest.mark.benchmarks
def test_sample_plant_formats():
    comma = read_pairs(needs_file(FORMATS / "plant_comma_pairs.fasta"))
    assert comma.loc[1, ["mirna_id", "target_id", "mirna_seq"]].tolist() == [
        "aly-miR402-5p",
        "lcl|Alyrata_926065",
        "UUGGCCUAUUGAACCUCUGUUU",
    ]
    assert comma["target_seq"].str.startswith("ACCACUGUCAGC").iloc[0]
    structured = read_pairs(needs_file(FORMATS / "plant_pairs_with_structure.fasta"))
    assert structured.columns[-2:].tolist() == ["mirna_structure", "target_structure"]
    assert structured.loc[0, "mirna_structure"].startswith("...((.((.((....)).))..))")
    assert len(structured.loc[0, "mirna_structure"].split()[0]) == len(structured.loc[0, "mirna_seq"])


@pytest.mark.benchmarks
def test_sample_concatenated_plant_records_split_with_reference():
    path = needs_file(FORMATS / "plant_concatenated_pairs.fasta")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert info.value.row == 1 and "reference" in str(info.value)

    table = read_pairs(path, mirna_reference=PLANT_REFERENCE)
    records = [line.split(",") for line in path.read_text().splitlines()]
    for (name, lnc_id, concatenated, label), (_, row) in zip(records, table.iterrows(), strict=True):
        mirna_id = name.lstrip(">").split()[0]
        assert row["mirna_id"] == mirna_id  # full miRBase headers reduced to the name
        assert row["target_id"] == lnc_id and row["label"] == int(label)
        assert row["mirna_seq"] + row["target_seq"] == normalise_sequence(concatenated)
    expected = [normalise_sequence(v) for v in PLANT_REFERENCE.values()]
    assert table["mirna_seq"].tolist() == expected


@pytest.mark.benchmarks
def test_sample_concatenated_plant_records_with_mirbase():
    reference_path = needs_file(BENCHMARKS / "reference" / "mature_mirbase22.1.fa")
    table = read_pairs(
        needs_file(FORMATS / "plant_concatenated_pairs.fasta"), mirna_reference=read_mirbase(reference_path)
    )
    assert table["mirna_seq"].tolist() == [normalise_sequence(v) for v in PLANT_REFERENCE.values()]


@pytest.mark.benchmarks
def test_sample_mirbase_dna_fasta():
    path = needs_file(FORMATS / "mirbase_mature_dna.fa")
    reference = read_mirbase(path)
    assert reference["cel-let-7-5p"] == "UGAGGUAGUAGGUUGUAUAGUU"
    assert len(reference) == 10
    table = read_fasta(path, molecule="miRNA")
    assert list(table.columns) == ["id", "description", "seq"]
    assert table.loc[0].tolist() == [
        "cel-let-7-5p",
        "MIMAT0000001 Caenorhabditis elegans let-7-5p",
        "UGAGGUAGUAGGUUGUAUAGUU",
    ]
    assert table["seq"].str.fullmatch(RNA).all()


@pytest.mark.benchmarks
def test_full_deepmirnatar_train_reads_fast():
    path = needs_file(BENCHMARKS / "site_deepmirnatar" / "train.csv")
    start = time.perf_counter()
    table = read_pairs(path, require_label=True)
    elapsed = time.perf_counter() - start
    assert len(table) == 41792
    assert table["label"].value_counts().to_dict() == {1: 21423, 0: 20369}
    assert table.columns.tolist() == [
        "mirna_id",
        "mirna_seq",
        "target_id",
        "target_seq",
        "label",
        "species",
        "split",
        "source",
    ]
    assert_clean_pairs(table)
    assert elapsed < 2.0, f"reading took {elapsed:.2f} s"


# --------------------------------------------------------------------------------------------------------
# Hand-made files for each format
# --------------------------------------------------------------------------------------------------------

TARGET = "UUUCACACGGGUUACGAUCCAGCAUGCAUGCAUG"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimited_with_bom_crlf_dna_and_extras(tmp_path, delimiter):
    rows = [
        ["miRNA_ID", "miRNA Sequence", "Target ID", "Target_Sequence", "Label", "species"],
        ["hsa-miR-99a-5p", "aacccgtagatccgatcttgtg", "site1", f" {TARGET.replace('U', 'T')} ", "1", "hsa"],
        ["hsa-miR-99a-5p", MIR_99A, "site2", TARGET.lower(), "false", "hsa"],
    ]
    text = "\ufeff" + "\r\n".join(delimiter.join(r) for r in rows) + "\r\n\r\n"
    table = read_pairs(write(tmp_path, "pairs.txt", text), require_label=True)
    assert table.columns.tolist() == ["mirna_id", "mirna_seq", "target_id", "target_seq", "label", "species"]
    assert table["mirna_seq"].tolist() == [MIR_99A, MIR_99A]
    assert table["target_seq"].tolist() == [TARGET, TARGET]
    assert table["label"].tolist() == [1, 0]
    assert table["species"].tolist() == ["hsa", "hsa"]


def test_gene_column_decided_by_content(tmp_path):
    site = "CCCAGGGTGTTTCATGCTGAGGTAGTAGGATGAATAAAGGCAAATATGCA"
    mirbench = (
        f"gene\tnoncodingRNA\tnoncodingRNA_name\tlabel\n{site}\tTGAGGTAGTAGGTTGTGTGGTT\thsa-let-7a-5p\t1\n"
    )
    table = read_pairs(write(tmp_path, "mirbench.tsv", mirbench))
    assert table.loc[0, "target_seq"] == normalise_sequence(site)
    assert table.loc[0, "target_id"] == "target_1"
    assert table.loc[0, "mirna_id"] == "hsa-let-7a-5p"

    deepmirnatar = (
        f"gene,miRNA,interaction,gene_sequence,miRNA_sequence\nZNRF2,hsa-miR-99a-5p,1,{site},{MIR_99A}\n"
    )
    table = read_pairs(write(tmp_path, "dmt.csv", deepmirnatar))
    assert table.loc[0, ["mirna_id", "target_id", "label"]].tolist() == ["hsa-miR-99a-5p", "ZNRF2", 1]
    assert table.loc[0, "mirna_seq"] == MIR_99A


def test_missing_ids_are_filled_per_distinct_sequence(tmp_path):
    other = "UAGCAGCACGUAAAUAUUGGCG"
    text = f"mirna_seq,target_seq\n{MIR_99A},{TARGET}\n{other},{TARGET}\n{MIR_99A},{TARGET[::-1]}\n"
    table = read_pairs(write(tmp_path, "seqs.csv", text))
    assert table["mirna_id"].tolist() == ["miRNA_1", "miRNA_2", "miRNA_1"]
    assert table["target_id"].tolist() == ["target_1", "target_1", "target_2"]
    assert "label" not in table.columns
    with pytest.raises(InputError, match="no label column found"):
        read_pairs(write(tmp_path, "seqs.csv", text), require_label=True)


def test_headerless_mitar_like_table(tmp_path):
    text = f"MIMAT0000101\t{MIR_99A}\tNM_1\t{TARGET}\t1\nMIMAT0000102\t{MIR_99A}\tNM_2\t{TARGET}\t0\n"
    table = read_pairs(write(tmp_path, "mitar.txt", text))
    assert table[["mirna_id", "target_id", "label"]].values.tolist() == [
        ["MIMAT0000101", "NM_1", 1],
        ["MIMAT0000102", "NM_2", 0],
    ]
    assert (table["mirna_seq"] == MIR_99A).all()


def test_plant_five_and_seven_field_records(tmp_path):
    lnc = "ACCACTGTCAGCTTGTACTCC"
    five = (
        f">ath-miR1 MIMAT0000001 Arabidopsis,lcl|At_1,{MIR_99A},{lnc},1\n>ath-miR2,CNT2,{MIR_320A},{lnc},0\n"
    )
    table = read_pairs(write(tmp_path, "f5.fasta", five))
    assert table[["mirna_id", "target_id", "label"]].values.tolist() == [
        ["ath-miR1", "lcl|At_1", 1],
        ["ath-miR2", "CNT2", 0],
    ]
    assert table.loc[0, "target_seq"] == normalise_sequence(lnc)
    seven = f">ath-miR1,lcl|At_1,{MIR_99A},{lnc},((..)) ( -1.2),.... ( 0.0),1\n"
    table = read_pairs(write(tmp_path, "f7.fasta", seven))
    assert table.loc[0, ["mirna_structure", "target_structure", "label"]].tolist() == [
        "((..)) ( -1.2)",
        ".... ( 0.0)",
        1,
    ]


def test_plant_concatenated_split_rules(tmp_path):
    lnc = "TTTACGGATCCA"
    mirna_ending_in_u = "ACGUACGUACGUACGUACGU"  # 20 nt; first T of the lncRNA follows the last U directly
    text = f">mir-a,lnc1,{mirna_ending_in_u}{lnc},1\n"
    table = read_pairs(write(tmp_path, "f4.fasta", text))
    assert table.loc[0, ["mirna_seq", "target_seq"]].tolist() == [mirna_ending_in_u, normalise_sequence(lnc)]

    ambiguous = f">mir-b,lnc1,{MIR_99A}{lnc},1\n"  # ...UUGUG + TTT: miRNA could be 21-22 nt
    with pytest.raises(InputError, match="could be 21–22 nt") as info:
        read_pairs(write(tmp_path, "f4b.fasta", ambiguous))
    assert info.value.row == 1
    dna_only = f">mir-b,lnc1,{MIR_99A.replace('U', 'T')}{lnc},1\n"
    with pytest.raises(InputError, match="reference"):
        read_pairs(write(tmp_path, "f4c.fasta", dna_only))
    for reference in ({"mir-b": MIR_99A}, {"MIR-B": MIR_99A.replace("U", "T")}):
        table = read_pairs(write(tmp_path, "f4c.fasta", dna_only), mirna_reference=reference)
        assert table.loc[0, ["mirna_id", "mirna_seq", "target_seq"]].tolist() == [
            "mir-b",
            MIR_99A,
            normalise_sequence(lnc),
        ]


def test_fasta_reader(tmp_path):
    text = ">utr1 gene one\nACGTACGT\nacgt\n>utr2\nNNNN\n"
    table = read_fasta(write(tmp_path, "utrs.fa", text))
    assert table.values.tolist() == [["utr1", "gene one", "ACGUACGUACGU"], ["utr2", "", "NNNN"]]
    with pytest.raises(InputError) as info:
        read_fasta(write(tmp_path, "mirs.fa", f">a\n{MIR_99A}\n>b\nACGU\n"), molecule="miRNA")
    assert str(info.value) == "mirs.fa, row 2: miRNA is 4 nt; expected 15–30 nt"
    with pytest.raises(InputError, match="'X' at position 2"):
        read_fasta(io.BytesIO(b">a\nAXGU\n"), name="upload.fa")
    with pytest.raises(InputError, match="first line should start with '>'"):
        read_fasta(io.BytesIO(b"ACGU\n"))
    with pytest.raises(InputError, match="empty"):
        read_mirbase(io.BytesIO(b"\n\n"))


# --------------------------------------------------------------------------------------------------------
# Orientation rules
# --------------------------------------------------------------------------------------------------------


def test_deepmirnatar_noone_rows_reversed(tmp_path):
    text = (
        "\ufeffgene,miRNA,interaction,gene_sequence,miRNA_sequence\r\n"
        f"ZNRF2,hsa-miR-99a-5p,0,{TARGET},{MIR_99A}\r\n"
        f"NOONE,hsa--11,1,{TARGET},{MIR_99A[::-1]}\r\n"
    )
    table = read_pairs(write(tmp_path, "train.csv", text))
    assert table["mirna_seq"].tolist() == [MIR_99A, MIR_99A]


def test_header_declaring_3_to_5_reverses(tmp_path):
    text = f"miRNA ID\tmiRNA Seq (3'-->5')\tmRNA Accession Number\tTarget Site\tlabel\nMIMAT1\t{MIR_99A[::-1]}\tNM_1\t{TARGET}\t1\n"
    assert read_pairs(write(tmp_path, "s1.txt", text)).loc[0, "mirna_seq"] == MIR_99A
    forward = text.replace("(3'-->5')", "(5'-->3')").replace(MIR_99A[::-1], MIR_99A)
    assert read_pairs(write(tmp_path, "s2.txt", forward)).loc[0, "mirna_seq"] == MIR_99A


def test_tec_rows_reversed(tmp_path):
    text = f">{MIR_99A[::-1]}\t>{TARGET.replace('U', 'T')}\t1\n>{MIR_320A[::-1]}\t>{TARGET}\t0\n"
    table = read_pairs(write(tmp_path, "tec.txt", text))
    assert table["mirna_seq"].tolist() == [MIR_99A, MIR_320A]
    assert table["target_seq"].tolist() == [TARGET, TARGET]


def test_reference_decides_orientation(tmp_path):
    # A 3'-->5' header, but the first row is in fact 5'→3' (known by name), the second known by sequence,
    # the third unknown to the reference and so reversed as the header says.
    unknown = "GGGGAAAAUGGCAAAGGUCAAC"
    text = (
        "mirna_id\tmiRNA Seq (3'->5')\ttarget_seq\n"
        f"hsa-miR-99a-5p\t{MIR_99A}\t{TARGET}\n"
        f"x\t{MIR_320A}\t{TARGET}\n"
        f"y\t{unknown}\t{TARGET}\n"
    )
    reference = {"hsa-miR-99a-5p": MIR_99A, "hsa-miR-320a-3p": MIR_320A.replace("U", "T")}
    table = read_pairs(write(tmp_path, "mixed.tsv", text), mirna_reference=reference)
    assert table["mirna_seq"].tolist() == [MIR_99A, MIR_320A, unknown[::-1]]
    assert read_pairs(write(tmp_path, "mixed.tsv", text))["mirna_seq"].tolist() == [
        MIR_99A[::-1],
        MIR_320A[::-1],
        unknown[::-1],
    ]


# --------------------------------------------------------------------------------------------------------
# Validation messages
# --------------------------------------------------------------------------------------------------------

GOOD_ROW = f"m1,{MIR_99A},t1,{TARGET},1"


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            f"m2,AAXCCGUAGAUCCGAUCUUGUG,t2,{TARGET},1",
            "pairs.csv, row 2: miRNA sequence has letters other than ACGUTN ('X' at position 3)",
        ),
        (
            f"m2,{MIR_99A},t2,ACGU-ACGU,0",
            "pairs.csv, row 2: target sequence has letters other than ACGUTN ('-' at position 5)",
        ),
        (f"m2,,t2,{TARGET},1", "pairs.csv, row 2: miRNA sequence is empty"),
        (f"m2,{MIR_99A},t2,,1", "pairs.csv, row 2: target sequence is empty"),
        (f"m2,{'A' * 34},t2,{TARGET},1", "pairs.csv, row 2: miRNA is 34 nt; expected 15–30 nt"),
        (
            f"m2,{MIR_99A},t2,{TARGET},yes",
            "pairs.csv, row 2: label must be 0 or 1 (or true/false); found 'yes'",
        ),
        (f"m2,{MIR_99A},t2,{TARGET},", "pairs.csv, row 2: label is missing (expected 0 or 1)"),
        (f"m2,{MIR_99A},t2,{TARGET},1,extra", "pairs.csv, row 2: expected 5 fields like the header, found 6"),
    ],
)
def test_validation_messages(tmp_path, bad_row, message):
    text = f"mirna_id,mirna_seq,target_id,target_seq,label\n{GOOD_ROW}\n{bad_row}\n{GOOD_ROW}\n"
    with pytest.raises(InputError) as info:
        read_pairs(write(tmp_path, "pairs.csv", text))
    assert str(info.value) == message


def test_max_target_length_and_mirna_length_range(tmp_path):
    text = f"mirna_seq,target_seq\n{MIR_99A},{TARGET}\n{'C' * 32},{TARGET * 3}\n"
    path = write(tmp_path, "pairs.csv", text)
    with pytest.raises(InputError, match="row 2: miRNA is 32 nt"):
        read_pairs(path)
    with pytest.raises(InputError, match=f"row 2: target is {len(TARGET) * 3} nt; expected at most 40 nt"):
        read_pairs(path, max_target_length=40, mirna_length_range=(15, 35))
    assert len(read_pairs(path, mirna_length_range=(15, 35))) == 2


def test_missing_column_message(tmp_path):
    text = f"mirna_seq,sequence_of_target,label\n{MIR_99A},{TARGET},1\n"
    with pytest.raises(InputError) as info:
        read_pairs(write(tmp_path, "p.csv", text))
    message = str(info.value)
    assert message.startswith(
        "p.csv: no target sequence column found, but the column 'sequence_of_target' holds sequences: "
        "rename it target_seq"
    )
    assert "gene_sequence" in message and info.value.row is None
    # Not read as names-only pairs either (which would drop the sequences without a word).
    with pytest.raises(InputError, match="'sequence_of_target' holds sequences"):
        read_pairs(write(tmp_path, "p.csv", text), require_sequences=False)
    text = f"mirna_seq,target_name,label\n{MIR_99A},gene1,1\n"
    with pytest.raises(InputError) as info:
        read_pairs(write(tmp_path, "q.csv", text))
    assert str(info.value).startswith(
        "q.csv: no target sequence column found. Columns found: mirna_seq, target_name"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf \r\n\r\n", "the file is empty"),
        (b"mirna_seq,target_seq,label\r\n", "header but no data rows"),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet"),
        (b"\x00\x01\x02binary", "not a text file"),
        (b"ACGUACGU\nACGU\n", "only one column"),
        (b">seq1\nACGUACGUACGU\n", "FASTA file of single sequences"),
        (b">a,b,c,d,e,f\n", "6 comma-separated fields"),
        (b"hsa-miR-1,CDK4,x\n", "names only"),
        (f"a,{MIR_99A},b\n".encode(), "could not recognise the columns"),
    ],
)
def test_unusable_files(content, problem):
    with pytest.raises(InputError, match=re.escape(problem)) as info:
        read_pairs(io.BytesIO(content), name="upload.csv")
    assert info.value.source == "upload.csv"


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_pairs(tmp_path / "nope.csv")


# --------------------------------------------------------------------------------------------------------
# Property-based: bad input always gives an InputError naming the row
# --------------------------------------------------------------------------------------------------------

BAD_LABELS = ["2", "-1", "yes", "", "maybe", "1.5", "O"]


@st.composite
def table_with_one_bad_row(draw):
    n_rows = draw(st.integers(1, 6))
    bad_row = draw(st.integers(0, n_rows - 1))
    rows = []
    for _ in range(n_rows):
        mirna = draw(st.text("ACGUTacgut", min_size=15, max_size=30))
        target = draw(st.text("ACGUTNacgtun", min_size=1, max_size=60))
        rows.append([mirna, target, draw(st.sampled_from(["0", "1", "true", "False"]))])
    kind = draw(st.sampled_from(["letter", "empty", "short", "long", "label"]))
    column = draw(st.integers(0, 1))
    if kind == "letter":
        seq = rows[bad_row][column]
        position = draw(st.integers(0, len(seq)))
        rows[bad_row][column] = seq[:position] + draw(st.sampled_from("XBZJ*#@!0123.-_")) + seq[position:]
    elif kind == "empty":
        rows[bad_row][column] = ""
    elif kind == "short":
        rows[bad_row][0] = draw(st.text("ACGU", min_size=1, max_size=14))
    elif kind == "long":
        rows[bad_row][0] = draw(st.text("ACGU", min_size=31, max_size=45))
    else:
        rows[bad_row][2] = draw(st.sampled_from(BAD_LABELS))
    delimiter = draw(st.sampled_from([",", "\t", ";"]))
    text = "\n".join(delimiter.join(r) for r in [["mirna_seq", "target_seq", "label"], *rows])
    return text, bad_row + 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table_with_one_bad_row())
def test_bad_row_always_raises_input_error_naming_the_row(case):
    text, bad_row = case
    with pytest.raises(InputError) as info:
        read_pairs(io.BytesIO(text.encode()), name="pairs.csv")
    assert info.value.row == bad_row
    assert str(info.value).startswith(f"pairs.csv, row {bad_row}: ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ACGUTN acgXx0123>,;\t\n\r\"'-_|()")), max_size=120))
def test_arbitrary_text_gives_a_table_or_an_input_error(text):
    try:
        table = read_pairs(io.BytesIO(text.encode()), require_sequences=False)
    except InputError as err:
        assert err.problem and err.source == "<input>"
    else:
        assert list(table.columns[:4]) == list(PAIR_COLUMNS[:4])
        assert not table[list(PAIR_COLUMNS[:4])].isna().any().any()


# --------------------------------------------------------------------------------------------------------
# Streamed FASTA reading
# --------------------------------------------------------------------------------------------------------


def test_iter_fasta_streams_what_read_fasta_reads(tmp_path):
    from rnaapp.io import count_fasta_records, iter_fasta

    text = "\ufeff>u1 first gene\r\nacgt\r\nAC GT\r\n\r\n>u2\r\nNNNN\r\n>\r\nUUUU\r\n"
    path = tmp_path / "utrs.fa"
    path.write_bytes(text.encode("utf-8"))
    compressed = tmp_path / "utrs.fa.gz"
    compressed.write_bytes(gzip.compress(path.read_bytes()))
    table = read_fasta(path)
    expected = list(zip(table["id"], table["seq"], strict=True))
    assert expected == [("u1", "ACGUACGU"), ("u2", "NNNN"), ("target_3", "UUUU")]
    assert list(iter_fasta(path)) == expected
    assert list(iter_fasta(compressed)) == expected
    assert count_fasta_records(path) == count_fasta_records(compressed) == 3


def test_iter_fasta_checks_mirna_lengths(tmp_path):
    from rnaapp.io import iter_fasta

    path = tmp_path / "mirs.fa"
    path.write_text(f">a\n{MIR_99A}\n>b\nACGU\n", encoding="utf-8")
    records = iter_fasta(path, molecule="miRNA")
    assert next(records) == ("a", MIR_99A)
    with pytest.raises(InputError, match=r"mirs.fa, row 2: miRNA is 4 nt; expected 15–30 nt \(record 'b'\)"):
        next(records)


@pytest.mark.parametrize(
    ("content", "row", "message"),
    [
        (b"", None, "upload.fa: the file is empty"),
        (b"\n \n\t\n", None, "upload.fa: the file is empty"),
        (
            b"ACGU\n>a\nACGU\n",
            None,
            "upload.fa: this is not a FASTA file: the first line should start with '>'",
        ),
        (b">a\nACGU\n>b\n\n>c\nACGU\n", 2, "upload.fa, row 2: target sequence is empty (record 'b')"),
        (
            b">a\nAXGU\n",
            1,
            "upload.fa, row 1: target sequence has letters other than ACGUTN ('X' at position 2)",
        ),
        (b"PK\x03\x04rest", None, "upload.fa: this looks like a spreadsheet or zip archive"),
        (b">a\nAC\x00GU\n", None, "upload.fa: this is not a text file"),
        (gzip.compress(b">a\nACGU\n" * 200)[:-12], None, "upload.fa: the gzip file is damaged"),
    ],
)
def test_iter_fasta_errors(tmp_path, content, row, message):
    from rnaapp.io import iter_fasta

    path = tmp_path / "reads.fa"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        list(iter_fasta(path, name="upload.fa"))
    assert info.value.row == row
    assert str(info.value).startswith(message)


def test_iter_fasta_missing_file(tmp_path):
    from rnaapp.io import count_fasta_records, iter_fasta

    with pytest.raises(InputError, match="file not found"):
        list(iter_fasta(tmp_path / "nope.fa"))
    with pytest.raises(InputError, match="file not found"):
        count_fasta_records(tmp_path / "nope.fa")


def test_count_fasta_records_across_block_boundaries(tmp_path):
    from rnaapp.io import count_fasta_records, iter_fasta

    block = 1 << 20  # count_fasta_records reads 1 MiB blocks
    for newline in ("\n", "\r\n"):
        first = ">a\n" + "A" * (block - 3 - len(newline)) + newline  # the next header starts a block
        path = tmp_path / "boundary.fa"
        path.write_bytes((first + ">b\nAC\n>c\nGU\n").encode("ascii"))
        assert path.read_bytes()[block : block + 1] == b">"
        assert count_fasta_records(path) == 3
        assert [name for name, _ in iter_fasta(path)] == ["a", "b", "c"]
    (tmp_path / "empty.fa").write_bytes(b"")
    assert count_fasta_records(tmp_path / "empty.fa") == 0


# ---------------------------------------------------------------------------------------------------------
# miRNA names whose reference sequence differs from the one given
# ---------------------------------------------------------------------------------------------------------

NAME_REFERENCE = {
    "stu-miR530": "UCUGCAUUUGCACCUGCACCU",
    "stu-miR5303a": "UUUUGGAGAAUCCGACACGCACCC",
    "stu-miR5303b": "UUUUGGAGAAUCCGACACGCACCC",
    "osa-miR530-5p": "UGCAUUUGCACCUGCACCUUA",
    "ath-miR775": "UUCGAUGUCUAGCAGUGCCA",
    "ath-miR156a-5p": "UGACAGAAGAGAGUGAGCAC",
}


def name_pairs(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mirna_id": [name for name, _ in rows],
            "mirna_seq": [sequence for _, sequence in rows],
            "target_id": [f"t{index}" for index in range(len(rows))],
            "target_seq": ["ACGU" * 10] * len(rows),
        }
    )


def test_mirna_name_mismatches_kinds_and_order():
    from rnaapp.io import MISMATCH_COLUMNS, MISMATCH_KINDS, mirna_name_mismatches

    pairs = name_pairs(
        [
            ("ath-miR775", "UUUUCGAUGUCUAGCAGUGCCAA"),  # row 1: older annotation, 2 nt longer at both ends
            ("ath-miR156a-5p", "UGACAGAAGAGAGUGAGCAC"),  # row 2: agrees
            ("stu-miR530", "UUUUGGAGAAUCCGACACGCACCC"),  # row 3: the sequence of stu-miR5303a/b
            (
                "ATH-MIR156A-5P extra words",
                "GCUCACUGCUCUAUCUGUCAUC",
            ),  # row 4: other arm, name case-insensitive
            ("unknown-miR1", "UUUUGGAGAAUCCGACACGCACCC"),  # row 5: not in the reference
            ("stu-miR530", "UGCAUUUGCACCUGCACCUUA"),  # row 6: another species' miR530, shifted ends
        ]
    )
    table = mirna_name_mismatches(pairs, NAME_REFERENCE)
    assert list(table.columns) == list(MISMATCH_COLUMNS)
    assert table["row"].tolist() == [3, 1, 6, 4]  # most suspicious kind first, then by row
    assert table["kind"].tolist() == [
        MISMATCH_KINDS[0],
        MISMATCH_KINDS[1],
        MISMATCH_KINDS[1],
        MISMATCH_KINDS[2],
    ]
    first = table.iloc[0]
    assert first["reference_seq"] == NAME_REFERENCE["stu-miR530"]
    assert first["sequence_of"] == "stu-miR5303a, stu-miR5303b"
    assert table.iloc[2]["sequence_of"] == "osa-miR530-5p"  # same family elsewhere: not a mix-up
    assert table.iloc[3]["sequence_of"] == ""


def test_mirna_name_mismatches_empty_cases():
    from rnaapp.io import MISMATCH_COLUMNS, mirna_name_mismatches

    agreeing = name_pairs([("ath-miR156a-5p", "UGACAGAAGAGAGUGAGCAC")])
    for pairs, reference in [
        (agreeing, NAME_REFERENCE),
        (name_pairs([("stu-miR530", "UUUUGGAGAAUCCGACACGCACCC")]), {}),
        (agreeing.drop(columns="mirna_id"), NAME_REFERENCE),
        (name_pairs([("stu-miR530", "")]), NAME_REFERENCE),  # names only: nothing to compare
    ]:
        table = mirna_name_mismatches(pairs, reference)
        assert table.empty and list(table.columns) == list(MISMATCH_COLUMNS)


def test_describe_name_mismatches():
    from rnaapp.io import describe_name_mismatches, mirna_name_mismatches

    pairs = name_pairs(
        [("stu-miR530", "UUUUGGAGAAUCCGACACGCACCC")] * 2 + [("ath-miR775", "UUUUCGAUGUCUAGCAGUGCCAA")]
    )
    text = describe_name_mismatches(mirna_name_mismatches(pairs, NAME_REFERENCE))
    assert text.startswith("3 rows name a miRNA whose reference sequence differs from the one given: ")
    assert "2 carry the sequence of another miRNA of the same species" in text
    assert "first: row 1, stu-miR530 with the sequence of stu-miR5303a, stu-miR5303b" in text
    assert "1 overlap it with shifted ends" in text
    assert text.endswith("Models score the sequences as given.")
    assert describe_name_mismatches(mirna_name_mismatches(pairs.iloc[:0], NAME_REFERENCE)) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UGAGGUAGUAGGUUGUAUAGUU", (None, "UGAGGUAGUAGGUUGUAUAGUU")),
        (
            ">hsa-let-7a-5p MIMAT0000062\nUGAGGUAGUA\nGGUUGUAUAGUU",
            ("hsa-let-7a-5p", "UGAGGUAGUA\nGGUUGUAUAGUU"),
        ),
        # A record pasted into a one-line box: its line break became a space.
        (
            ">hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p UGAGGUAGUAGGUUGUAUAGUU",
            ("hsa-let-7a-5p", "UGAGGUAGUAGGUUGUAUAGUU"),
        ),
        (">hsa-let-7a-5p ugaggtagta ggttgtatagtt", ("hsa-let-7a-5p", "ugaggtagtaggttgtatagtt")),
        (">ACGUACGU", (None, "ACGUACGU")),
        (">header only", ("header", "")),
    ],
)
def test_split_pasted_record(text, expected):
    from rnaapp.io import split_pasted_record

    assert split_pasted_record(text) == expected
