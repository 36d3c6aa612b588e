"""Variant effects on miRNA sites (rnaapp.mutagenesis.variants): reading tables and VCFs, scoring alleles."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.io import InputError
from rnaapp.mutagenesis import apply_variant, read_variants, variant_effects
from rnaapp.registry import load_model
from rnaapp.sites import reverse_complement

MIR21 = EXAMPLE_MIRNAS["hsa-miR-21-5p"]
LET7 = EXAMPLE_MIRNAS["hsa-let-7a-5p"]
EIGHTMER = reverse_complement(MIR21[1:8]) + "A"


def _utr(seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    flank = "".join(rng.choice(list("ACGU"), 400))
    for mirna in (MIR21, LET7):
        for kmer in (reverse_complement(mirna[1:7]), reverse_complement(mirna[2:8])):
            flank = flank.replace(kmer, "A" * len(kmer))
    return flank[:200] + EIGHTMER + flank[200:]


UTR = _utr()
SITE = UTR.index(EIGHTMER) + 1  # 1-based start of the 8mer (201)


@pytest.fixture(scope="module")
def site_model():
    return load_model("mirna_site-combined")


def test_read_variants_table_and_vcf(tmp_path):
    table = tmp_path / "v.csv"
    table.write_text("target_id,position,ref,alt,variant_id\nutr,5,a,G,rs1\nutr,9,T,-,\n")
    variants = read_variants(table)
    assert variants[["target_id", "position", "ref", "alt"]].values.tolist() == [
        ["utr", 5, "A", "G"],
        ["utr", 9, "U", ""],
    ]
    assert variants["variant_id"].tolist() == ["rs1", "utr:9:U>-"]
    vcf = tmp_path / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\nutr\t12\trs2\tC\tA,G\nutr\t20\t.\tAC\tA\n"
    )
    variants = read_variants(vcf)
    assert variants[["position", "ref", "alt"]].values.tolist() == [
        [12, "C", "A"],
        [12, "C", "G"],
        [20, "AC", "A"],
    ]
    assert variants["row"].tolist() == [3, 3, 4]  # VCF line numbers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target_id,position,ref\nutr,1,A\n", "missing: alt"),
        ("target_id,position,ref,alt\nutr,0,A,G\n", "row 2: position '0'"),
        ("target_id,position,ref,alt\nutr,1,A,G\nutr,2,X,G\n", "row 3: ref 'X'"),
        ("target_id,position,ref,alt\nutr,1,A,A\n", "row 2: ref and alt are both"),
        ("target_id,position,ref,alt\nutr,1,,G\n", "row 2: ref is empty"),
    ],
)
def test_bad_variant_rows_are_named(text, message):
    with pytest.raises(InputError, match=message):
        read_variants(text.encode(), "v.csv")


def test_a_ref_that_does_not_match_the_transcript_names_the_row(site_model):
    wrong = "G" if UTR[9] != "G" else "C"
    variants = read_variants(
        f"target_id,position,ref,alt\nutr,5,{UTR[4]},A\nutr,10,{wrong},U\n".encode(), "v.csv"
    )
    with pytest.raises(
        InputError, match=rf"v.csv, row 3: ref '{wrong}' does not match utr: the transcript has"
    ):
        variant_effects(site_model, [("miR-21", MIR21)], {"utr": UTR}, variants, source="v.csv")
    unknown = read_variants(b"target_id,position,ref,alt\nother,1,A,G\n", "v.csv")
    with pytest.raises(InputError, match="row 2: target 'other' is not among the transcripts"):
        variant_effects(site_model, [("miR-21", MIR21)], {"utr": UTR}, unknown, source="v.csv")
    past = read_variants(b"target_id,position,ref,alt\nutr,5000,A,G\n", "v.csv")
    with pytest.raises(InputError, match="past its end"):
        variant_effects(site_model, [("miR-21", MIR21)], {"utr": UTR}, past, source="v.csv")


def test_a_snp_in_the_seed_match_destroys_the_site_and_lowers_the_score(site_model):
    seed_position = SITE + 3  # pairs miRNA position 5
    far = 20
    text = (
        "target_id,position,ref,alt\n"
        f"utr,{seed_position},{UTR[seed_position - 1]},{'A' if UTR[seed_position - 1] != 'A' else 'C'}\n"
        f"utr,{far},{UTR[far - 1]},{'G' if UTR[far - 1] != 'G' else 'C'}\n"
        f"utr,10,{UTR[9]},{UTR[9]}GGG\n"  # an insertion 5' of the site: the site moves, nothing is lost
    )
    variants = read_variants(text.encode(), "v.csv")
    effects = variant_effects(site_model, [("miR-21", MIR21), ("let-7a", LET7)], {"utr": UTR}, variants)
    assert len(effects) == 6
    mir21 = effects[effects["mirna_id"] == "miR-21"].reset_index(drop=True)
    assert mir21.loc[0, "sites_destroyed"].startswith(f"8mer→non-canonical at {SITE}")
    assert mir21.loc[0, "delta"] < -1.0
    assert mir21.loc[0, "ref_best_site"] == f"8mer at {SITE}"
    assert abs(mir21.loc[1, "delta"]) < 0.2 and mir21.loc[1, "sites_destroyed"] == ""
    assert mir21.loc[2, "sites_destroyed"] == mir21.loc[2, "sites_created"] == ""
    assert mir21.loc[2, "alt_best_site"] == f"8mer at {SITE}"  # reference coordinates
    assert (effects["delta"] == effects["alt_score"] - effects["ref_score"]).all()


def test_a_variant_that_creates_a_site_is_reported(site_model):
    # turn the 6 nt before position 100 into a miR-21 7mer-m8 with two substitutions (an MNV)
    start = 100
    site = reverse_complement(MIR21[1:8])
    ref = UTR[start - 1 : start - 1 + 7]
    variants = read_variants(f"target_id,position,ref,alt\nutr,{start},{ref},{site}\n".encode(), "v.csv")
    effects = variant_effects(site_model, [("miR-21", MIR21)], {"utr": UTR}, variants)
    assert "made at 100" in effects.loc[0, "sites_created"]
    assert effects.loc[0, "delta"] > 0


def test_apply_variant():
    assert apply_variant("ACGUACGU", 3, "G", "C") == "ACCUACGU"
    assert apply_variant("ACGUACGU", 3, "GU", "G") == "ACGACGU"
    assert apply_variant("ACGUACGU", 3, "G", "GAA") == "ACGAAUACGU"
