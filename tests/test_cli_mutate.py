"""rnaapp mutate and rnaapp variants (rnaapp.commands.mutating)."""

from __future__ import annotations

import pandas as pd

from rnaapp.cli import main
from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.sites import find_seed_sites, reverse_complement

MIR21 = EXAMPLE_MIRNAS["hsa-miR-21-5p"]
TARGET = "ACGUACGAUCGAUGCA" + reverse_complement(MIR21[1:8]) + "A" + "CAGCUAGCUAGCAUCG"


def test_mutate_writes_one_row_per_substitution_and_the_designs(tmp_path, capsys):
    output = tmp_path / "mut.csv"
    assert (
        main(["mutate", "--mirna", "hsa-miR-21-5p", "--target", TARGET, "--design", "-o", str(output)]) == 0
    )
    table = pd.read_csv(output)
    assert len(table) == 120
    assert list(table.columns[:7]) == ["molecule", "position", "ref", "alt", "score", "probability", "delta"]
    assert {"site_type", "site_change", "energy", "delta_energy"} <= set(table.columns)
    designs = pd.read_csv(tmp_path / "mut.designs.csv")
    assert len(designs) >= 1 and designs["abolished"].all()
    assert all(find_seed_sites(MIR21, mutant) == [] for mutant in designs["mutant"])
    err = capsys.readouterr().err
    assert "reference score" in err and "best site 8mer at 17" in err and "seed-mutant designs" in err


def test_mutate_both_molecules_prints_the_strongest_changes(capsys):
    assert main(["mutate", "--mirna", MIR21, "--target", TARGET, "--molecule", "both"]) == 0
    out = capsys.readouterr()
    assert "186 substitutions of target 1-40, mirna 1-22" in out.err
    assert "delta" in out.out


def test_mutate_refuses_bad_input_in_one_line(capsys):
    assert main(["mutate", "--mirna", "hsa-miR-99999", "--target", TARGET]) == 2
    assert "--mirna:" in capsys.readouterr().err
    assert main(["mutate", "--mirna", MIR21, "--target", TARGET, "--start", "30", "--end", "80"]) == 2
    assert "must lie within the target (1-40)" in capsys.readouterr().err
    assert main(["mutate", "--mirna", MIR21, "--target", TARGET, "-o", "x.unknown"]) == 2


def test_variants_reads_a_vcf_and_names_a_mismatching_row(tmp_path, capsys):
    targets = tmp_path / "utrs.fa"
    targets.write_text(f">utr1\n{TARGET}\n>utr2\n{TARGET[::-1]}\n")
    mirnas = tmp_path / "m.txt"
    mirnas.write_text("hsa-miR-21-5p\nhsa-let-7a-5p\n")
    vcf = tmp_path / "v.vcf"
    vcf.write_text(f"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\nutr1\t20\trs1\t{TARGET[19]}\tC\n")
    output = tmp_path / "effects.csv"
    assert (
        main(
            [
                "variants",
                "--variants",
                str(vcf),
                "--targets",
                str(targets),
                "--mirnas",
                str(mirnas),
                "-o",
                str(output),
            ]
        )
        == 0
    )
    effects = pd.read_csv(output, keep_default_na=False)
    assert effects["mirna_id"].tolist() == ["hsa-miR-21-5p", "hsa-let-7a-5p"]
    assert effects.loc[0, "variant_id"] == "rs1" and float(effects.loc[0, "delta"]) < -1
    assert effects.loc[0, "sites_destroyed"].startswith("8mer→")
    assert "1 rows make or break a site" in capsys.readouterr().err
    wrong = "A" if TARGET[4] != "A" else "C"
    vcf.write_text(f"#CHROM\tPOS\tID\tREF\tALT\nutr1\t20\t.\t{TARGET[19]}\tC\nutr1\t5\t.\t{wrong}\tG\n")
    assert main(["variants", "--variants", str(vcf), "--targets", str(targets), "--mirnas", str(mirnas)]) == 2
    assert f"row 3: ref '{wrong}' does not match utr1" in capsys.readouterr().err


def test_mutate_design_keeps_the_sites_of_the_given_other_mirnas(tmp_path, capsys):
    let7 = EXAMPLE_MIRNAS["hsa-let-7a-5p"]
    others = tmp_path / "others.fa"
    others.write_text(f">hsa-let-7a-5p\n{let7}\n")
    target = TARGET + reverse_complement(let7[1:8]) + "A"
    output = tmp_path / "mut.csv"
    arguments = ["mutate", "--mirna", MIR21, "--target", target, "--design", "--other-mirnas", str(others)]
    assert main([*arguments, "-o", str(output)]) == 0
    designs = pd.read_csv(tmp_path / "mut.designs.csv")
    for mutant in designs["mutant"]:
        assert find_seed_sites(MIR21, mutant) == []
        assert find_seed_sites(let7, mutant) == find_seed_sites(let7, target)
    assert main([*arguments, "--max-substitutions", "4"]) == 2
    assert "1 to 3 nucleotides" in capsys.readouterr().err
