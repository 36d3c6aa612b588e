"""Scan sites as BED6, GFF3 and IntaRNA-like CSV (rnaapp.scan.export), and rnaapp scan -o OUT.bed."""

from __future__ import annotations

import pandas as pd
import pytest

from rnaapp.cli import main
from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.registry import load_model
from rnaapp.scan import scan
from rnaapp.scan.export import bed_text, genomic_region, gff3_text, sites_bed, sites_intarna
from rnaapp.sites import reverse_complement

MIR21 = EXAMPLE_MIRNAS["hsa-miR-21-5p"]
EIGHTMER = reverse_complement(MIR21[1:8]) + "A"
FRAGMENT = "ACGUACGAUCGAUGCA" + EIGHTMER + "CAGCUAGCUAGCAUCGAUCGUAGCAUCG"  # 51 nt


def test_genomic_regions_are_read_from_target_ids():
    assert genomic_region("13:103634174-103634223:-") == genomic_region("13:103634174-103634223(-)")
    region = genomic_region("chr13:100-149:+")
    assert (region.chrom, region.start, region.end, region.strand) == ("chr13", 100, 149, "+")
    assert genomic_region("chrX:5-10").strand == "+"
    for name in ("ENSG00000000457", "ENSG1|ENST2|TP53", "13:200-100:+", "utr_7"):
        assert genomic_region(name) is None


@pytest.fixture(scope="module")
def scanned():
    model = load_model("mirna_site-combined")
    targets = [("utr1", FRAGMENT), ("13:1001-1051:+", FRAGMENT), ("7:2001-2051:-", FRAGMENT)]
    return scan(model, [("hsa-miR-21-5p", MIR21)], targets, sites_per_pair=3)


def test_bed6_is_zero_based_half_open_and_round_trips_to_the_site_table(scanned):
    sites = scanned.sites
    assert len(sites) >= 3
    bed = sites_bed(sites)
    assert list(bed.columns) == ["chrom", "chromStart", "chromEnd", "name", "score", "strand"]
    for site, row in zip(sites.itertuples(), bed.itertuples(), strict=True):
        assert row.chromEnd - row.chromStart == site.end - site.start + 1  # half-open length
        assert row.name == f"hsa-miR-21-5p|{site.site_type}"
        assert 0 <= row.score <= 1000 and row.score == round(1000 * site.probability)
        region = genomic_region(site.target_id)
        if region is None:
            assert (row.chrom, row.chromStart, row.chromEnd, row.strand) == (
                "utr1",
                site.start - 1,
                site.end,
                "+",
            )
        else:
            assert row.chrom == region.chrom and row.strand == region.strand
            assert region.to_transcript(row.chromStart, row.chromEnd) == (site.start, site.end)
    # the 8mer at transcript 17-24 of a plus-strand region starting at 1001: genomic 1017-1024 (BED 1016, 1024)
    plus = bed[(bed["chrom"] == "13") & bed["name"].str.endswith("8mer")].iloc[0]
    assert (plus.chromStart, plus.chromEnd) == (1016, 1024)
    # on the minus strand transcript position 1 is genomic 2051: 17-24 -> 2028-2035 (BED 2027, 2035)
    minus = bed[(bed["chrom"] == "7") & bed["name"].str.endswith("8mer")].iloc[0]
    assert (minus.chromStart, minus.chromEnd, minus.strand) == (2027, 2035, "-")
    kept = sites_bed(sites, genomic=False)
    assert set(kept["chrom"]) == {"utr1", "13:1001-1051:+", "7:2001-2051:-"}
    lines = bed_text(sites).splitlines()
    assert len(lines) == len(sites) and all(len(line.split("\t")) == 6 for line in lines)


def test_gff3_is_one_based_inclusive(scanned):
    text = gff3_text(scanned.sites)
    lines = text.splitlines()
    assert lines[0] == "##gff-version 3"
    bed = sites_bed(scanned.sites)
    for line, row in zip(lines[1:], bed.itertuples(), strict=True):
        fields = line.split("\t")
        assert len(fields) == 9 and fields[2] == "miRNA_target_site"
        assert (int(fields[3]), int(fields[4])) == (row.chromStart + 1, row.chromEnd)
        assert "mirna=hsa-miR-21-5p" in fields[8] and "site_type=" in fields[8]
    assert "target=13:1001-1051:+" in text


def test_intarna_csv_gives_both_sequences_positions_and_a_balanced_hybrid(scanned):
    table = sites_intarna(scanned.sites, {"hsa-miR-21-5p": MIR21})
    assert list(table.columns) == [
        "id1",
        "start1",
        "end1",
        "id2",
        "start2",
        "end2",
        "subseqDP",
        "hybridDP",
        "E",
    ]
    for row in table.itertuples():
        target_part, mirna_part = row.hybridDP.split("&")
        assert target_part.count("(") == mirna_part.count(")") > 6
        target_sub, mirna_sub = row.subseqDP.split("&")
        assert FRAGMENT[row.start1 - 1 : row.end1] == target_sub and len(target_sub) == len(target_part)
        assert MIR21[row.start2 - 1 : row.end2] == mirna_sub and len(mirna_sub) == len(mirna_part)
        assert row.E < -5


def test_cli_scan_writes_bed_gff3_and_intarna(tmp_path, capsys):
    mirnas = tmp_path / "m.fa"
    mirnas.write_text(f">hsa-miR-21-5p\n{MIR21}\n")
    targets = tmp_path / "t.fa"
    targets.write_text(f">13:1001-1051:+\n{FRAGMENT}\n>utr1\n{FRAGMENT}\n")
    bed = tmp_path / "sites.bed"
    intarna = tmp_path / "hybrids.csv"
    assert (
        main(
            [
                "scan",
                "--mirnas",
                str(mirnas),
                "--targets",
                str(targets),
                "-o",
                str(bed),
                "--intarna",
                str(intarna),
                "--top",
                "0",
            ]
        )
        == 0
    )
    rows = [line.split("\t") for line in bed.read_text().splitlines()]
    assert rows and all(len(row) == 6 for row in rows)
    assert {row[0] for row in rows} == {"13", "utr1"}
    pairs = pd.read_csv(tmp_path / "sites.pairs.csv")
    assert len(pairs) == 2
    assert intarna.read_text().startswith("id1;start1;end1;id2;start2;end2;subseqDP;hybridDP;E")
    gff = tmp_path / "sites.gff3"
    assert (
        main(
            [
                "scan",
                "--mirnas",
                str(mirnas),
                "--targets",
                str(targets),
                "-o",
                str(gff),
                "--transcript-coordinates",
                "--top",
                "0",
            ]
        )
        == 0
    )
    assert "13:1001-1051:+\trnaapp\tmiRNA_target_site" in gff.read_text()
    assert (
        main(["scan", "--mirnas", str(mirnas), "--targets", str(targets), "-o", str(tmp_path / "x.vcf")]) == 2
    )
    assert "OUT.bed (BED6 sites)" in capsys.readouterr().err
