"""Tests for target headers (gene id, transcript id, symbol) and 3'UTR references (rnaapp.io.utrs)."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from rnaapp.io import (
    InputError,
    TargetHeader,
    UnknownGeneError,
    UtrReference,
    attach_target_sequences,
    looks_like_gene_name,
    parse_target_header,
    read_fasta,
    utr_for_gene,
)
from rnaapp.io.utrs import reference_of_file, utrs_for_genes

TP53_SHORT = "ACGU" * 10
TP53_LONG = "AUGC" * 30
TP53_MIDDLE = "GGCA" * 20
MYC = "UUUA" * 15
EGFR = "CCGA" * 12

UTR_FASTA = (
    f">ENSG00000141510|ENST00000413465|TP53\n{TP53_SHORT}\n"
    f">ENSG00000141510|ENST00000269305|TP53\n{TP53_LONG[:60]}\n{TP53_LONG[60:]}\n"
    f">ENSG00000141510|ENST00000445888|TP53\n{TP53_MIDDLE}\n"
    f">ENSG00000136997|ENST00000621592|MYC\n{MYC}\n"
    f">ENST00000275493.7 utr3 gene:ENSG00000146648.18 gene_symbol:EGFR\n{EGFR}\n"
)


@pytest.fixture
def reference(tmp_path) -> UtrReference:
    path = tmp_path / "utrs.fa.gz"
    path.write_bytes(gzip.compress(UTR_FASTA.encode()))
    return UtrReference.read(path)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (">ENSG00000141510|ENST00000269305|TP53", ("ENSG00000141510", "ENST00000269305", "TP53")),
        ("TP53|ENSG00000141510", ("ENSG00000141510", "", "TP53")),
        (
            ">ENST00000456328.2|ENSG00000290825.1|OTTHUMG00000000961.2|OTTHUMT00000362751.1|DDX11L2-202|"
            "DDX11L2|1657|lncRNA|",
            ("ENSG00000290825.1", "ENST00000456328.2", "DDX11L2"),
        ),
        (
            ">ENST00000269305.9 cdna chromosome:GRCh38:17:7661779:7687538:-1 gene:ENSG00000141510.18 "
            "gene_biotype:protein_coding gene_symbol:TP53 description:tumor protein p53",
            ("ENSG00000141510.18", "ENST00000269305.9", "TP53"),
        ),
        (">NM_000546.6 TP53", ("", "NM_000546.6", "TP53")),
        (">utr_7 TP53", ("", "", "TP53")),
        (">ENSG00000141510 ENST00000269305 TP53", ("ENSG00000141510", "ENST00000269305", "TP53")),
        # no symbol: one plain name, free text, a length, coordinates
        (">TP53", ("", "", "")),
        (">ENSG00000000457 len=4082", ("ENSG00000000457", "", "")),
        (">NM_000546 tumor protein p53", ("", "NM_000546", "")),
        (">UTR1|chr1:100-200|+", ("", "", "")),
    ],
)
def test_parse_target_header(header, expected):
    parsed = parse_target_header(header)
    assert (parsed.gene_id, parsed.transcript_id, parsed.gene_symbol) == expected
    assert parsed.target_id == header.lstrip(">").split()[0]


def test_header_keys_include_fields_and_versionless_ids():
    keys = parse_target_header("ENST00000269305.9|ENSG00000141510.18|TP53").keys()
    assert {"TP53", "ENST00000269305.9", "ENST00000269305", "ENSG00000141510", "ENSG00000141510.18"} <= set(
        keys
    )


def test_longest_isoform_and_every_kind_of_name(reference):
    assert len(reference) == 5 and reference.n_genes == 3
    for query in ("TP53", "tp53", "ENSG00000141510", "ENSG00000141510.7"):
        label, sequence = utr_for_gene(query, reference)
        assert sequence == TP53_LONG, query
        assert label == "TP53 (ENST00000269305)"
    match = reference.lookup("tp53")
    assert match.isoforms == 3 and match.header.transcript_id == "ENST00000269305"
    assert "the longest of 3 isoforms" in match.describe() and "120 nt" in match.describe()
    # a transcript id picks that isoform, not the gene's longest
    assert utr_for_gene("ENST00000413465", reference)[1] == TP53_SHORT
    # symbol and ids from an Ensembl-style description
    assert utr_for_gene("egfr", reference) == ("EGFR (ENST00000275493.7)", EGFR)
    assert utr_for_gene("ENSG00000146648", reference)[1] == EGFR
    assert utr_for_gene("ENST00000275493", reference)[1] == EGFR


def test_unknown_symbol_names_the_reference_and_close_names(reference):
    with pytest.raises(UnknownGeneError) as caught:
        utr_for_gene("TP35", reference)
    message = str(caught.value)
    assert message.startswith("utrs.fa.gz: no 3'UTR named 'TP35' among the 3 genes")
    assert "did you mean TP53" in message and caught.value.suggestions[0] == "TP53"
    assert isinstance(caught.value, InputError)


def test_utrs_for_genes_as_scan_targets(reference):
    targets, matches = utrs_for_genes(["MYC", "tp53", "TP53", ""], reference)
    assert targets == [
        ("ENSG00000136997|ENST00000621592|MYC", MYC),
        ("ENSG00000141510|ENST00000269305|TP53", TP53_LONG),
    ]
    assert [match.query for match in matches] == ["MYC", "tp53"]
    with pytest.raises(UnknownGeneError, match=r"'NOPE1'.*also not found: 'NOPE2'"):
        utrs_for_genes(["MYC", "NOPE1", "NOPE2"], reference)


def test_looks_like_gene_name():
    for word in ("TP53", "ENSG00000141510", "NM_000546", "HLA-A", "Trp53", "GATA1"):
        assert looks_like_gene_name(word), word
    for text in ("ACGUACGUAGCUAGCUAG", "CAT", "two words", "", ">TP53", "ACGT ACGT", "ACGUACGXACGUAC"):
        assert not looks_like_gene_name(text), text


def test_attach_target_sequences_uses_the_same_rule(tmp_path):
    path = tmp_path / "utrs.fa"
    path.write_text(UTR_FASTA)
    pairs = pd.DataFrame({"target_id": ["TP53", "myc", "EGFR", "UNKNOWN"], "target_seq": ["", "", "", ""]})
    filled, genes = attach_target_sequences(pairs, read_fasta(path))
    assert genes == 3
    assert filled["target_seq"].tolist() == [TP53_LONG, MYC, EGFR, ""]


def test_reference_of_file_is_kept_while_unchanged(tmp_path):
    path = tmp_path / "utrs.fa"
    path.write_text(UTR_FASTA)
    first = reference_of_file(path)
    assert reference_of_file(path) is first
    path.write_text(UTR_FASTA + f">ENSG00000000001|ENST00000000001|NEW1\n{MYC}\n")
    assert reference_of_file(path).lookup("NEW1") is not None
    with pytest.raises(InputError, match="cannot read the 3'UTR file"):
        reference_of_file(tmp_path / "missing.fa")


def test_target_header_is_a_value():
    assert parse_target_header("ENSG00000141510|ENST00000269305|TP53") == TargetHeader(
        "ENSG00000141510|ENST00000269305|TP53", "ENSG00000141510", "ENST00000269305", "TP53"
    )
