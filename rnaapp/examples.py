"""Built-in examples for the Predict and Scan pages, and a few well-known human miRNAs by name.

Every miRNA sequence is the mature sequence of miRBase release 22.1 (checked by ``tests/test_examples.py``
against ``mature.fa`` of that release). The targets are CONSTRUCTED for demonstration, not real transcripts:
each short target is a 40-nt window of random AU-rich sequence (A and U 30 % each, C and G 20 % each, the
base composition of a typical 3'UTR) holding one site of a known type and no other seed match of its miRNA;
the long target is a 2,000-nt synthetic "3'UTR" of the same composition with six planted sites. They were
made once with ``numpy.random.default_rng(20261121)``, redrawing the random background until the only seed
matches were the planted ones, and are frozen here as literal strings.

The plant example (task ``"plant"``, for the plant miRNA-lncRNA models) pairs the Arabidopsis miRNA
ath-miR156a-5p (miRBase 22.1) with a CONSTRUCTED 800-nt lncRNA-like sequence, not a real transcript: random
sequence (A and U 30 % each, C and G 20 % each) drawn with ``numpy.random.default_rng(20260321)`` until no
window but the planted one had a psRNATarget expectation <= 5 (:mod:`rnaapp.complementarity`), holding one
near-perfect complementary site of the miRNA, as plant miRNAs pair with their targets.

Site types follow :mod:`rnaapp.sites` (TargetScan definitions); ``"1-mismatch seed"`` is a non-canonical site:
miRNA positions 2-8 pair with the target except one mismatch (not a G:U wobble) at position 5, plus an A
opposite position 1. Positions in the notes are 1-based and inclusive, as a biologist would count them;
:attr:`Example.sites` holds the same spans 0-based and end-exclusive, like :func:`rnaapp.sites.find_seed_sites`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONSTRUCTED_LNCRNA",
    "EXAMPLES",
    "EXAMPLE_MIRNAS",
    "EXAMPLE_MIRNA_ACCESSIONS",
    "PLANT_EXAMPLE_MIRNAS",
    "Example",
    "example_by_name",
]

#: Well-known human miRNAs, name -> mature sequence (miRBase 22.1), usable without a miRBase file.
EXAMPLE_MIRNAS: dict[str, str] = {
    "hsa-let-7a-5p": "UGAGGUAGUAGGUUGUAUAGUU",
    "hsa-miR-21-5p": "UAGCUUAUCAGACUGAUGUUGA",
    "hsa-miR-155-5p": "UUAAUGCUAAUCGUGAUAGGGGUU",
    "hsa-miR-1-3p": "UGGAAUGUAAAGAAGUAUGUAU",
    "hsa-miR-124-3p": "UAAGGCACGCGGUGAAUGCCAA",
    "hsa-miR-16-5p": "UAGCAGCACGUAAAUAUUGGCG",
    "hsa-miR-122-5p": "UGGAGUGUGACAAUGGUGUUUG",
    "hsa-miR-17-5p": "CAAAGUGCUUACAGUGCAGGUAG",
    "hsa-miR-34a-5p": "UGGCAGUGUCUUAGCUGGUUGU",
    "hsa-miR-200c-3p": "UAAUACUGCCGGGUAAUGAUGGA",
}

#: Plant miRNAs of the plant example, name -> mature sequence (miRBase 22.1), usable without a miRBase file.
PLANT_EXAMPLE_MIRNAS: dict[str, str] = {
    "ath-miR156a-5p": "UGACAGAAGAGAGUGAGCAC",
}


#: miRBase accessions of the built-in miRNAs (:data:`EXAMPLE_MIRNAS`, :data:`PLANT_EXAMPLE_MIRNAS`),
#: accession -> name, from the headers of ``mature.fa`` of miRBase 22.1 (checked by
#: ``tests/test_mirna_names_rules.py``), so that ``MIMAT0000062`` works without a miRBase file.
EXAMPLE_MIRNA_ACCESSIONS: dict[str, str] = {
    "MIMAT0000062": "hsa-let-7a-5p",
    "MIMAT0000076": "hsa-miR-21-5p",
    "MIMAT0000646": "hsa-miR-155-5p",
    "MIMAT0000416": "hsa-miR-1-3p",
    "MIMAT0000422": "hsa-miR-124-3p",
    "MIMAT0000069": "hsa-miR-16-5p",
    "MIMAT0000421": "hsa-miR-122-5p",
    "MIMAT0000070": "hsa-miR-17-5p",
    "MIMAT0000255": "hsa-miR-34a-5p",
    "MIMAT0000617": "hsa-miR-200c-3p",
    "MIMAT0000166": "ath-miR156a-5p",
}


@dataclass(frozen=True)
class Example:
    """One miRNA-target example.

    Attributes
    ----------
    name
        Short label for a selection box.
    mirna_name, mirna_seq
        miRBase name and mature sequence (5'->3', RNA).
    target_name, target_seq
        Label and sequence (5'->3', RNA) of the constructed target.
    note
        What the target holds and where (1-based, inclusive positions).
    sites
        ``(site_type, start, end)`` of each planted site, 0-based and end-exclusive on the target; site
        type one of :data:`rnaapp.sites.SITE_TYPES` or ``"1-mismatch seed"`` (span: the 7-nt window
        opposite miRNA positions 8..2), or ``"plant"`` (a near-complementary site of the whole miRNA, as
        :func:`rnaapp.complementarity.best_site` finds it).
    task
        The model task the example is for: ``"site"`` (miRNA-mRNA target sites) or ``"plant"`` (plant
        miRNA-lncRNA).
    """

    name: str
    mirna_name: str
    mirna_seq: str
    target_name: str
    target_seq: str
    note: str
    sites: tuple[tuple[str, int, int], ...] = ()
    task: str = "site"


SYNTHETIC_UTR = (
    "AUUUAGGCUCCUAUGUUGAAUACACUAUAUAAGGCAACUGAAUUGGAUACUUAUCGCAGAAGUAAAAUACGAAGCGGAGCUCAUUUGUGG"
    "UGAUACUCUUUGAUGGACGGUGGCGCAACACGUAGUCUUCCGUGUACCACUAAGCAUCCACUUUCAUUUUCAUCGUACAGUUCGGGCUUU"
    "UACGCUAACAUCUACUUCGAUCUGAAUUCUAACCUAGAUAACUGUGUUAAGUUGGUAUCAAUAAGCUAACACCACUCAUCUCUAUCUGUU"
    "AGCAAACGAUGAUGCGACUGAUGCACCUUACAUUAAAUAAAAUUGGUGAACAAUUUAAAUGAGAGACUUAAUAGCCCGUCCUCUAGUCCC"
    "ACGUACUGUCCACAUUGGUCCGGCAUGAAUAUGAAUCCUGUAGCUCAAGAUAGUCUUCGUAACGUACUAACUCCGUAAGACUAAUAGAUG"
    "UACUUGAUACUUGACGUGUGGCCACCUCGGAGUCAUUCACAAUUAUAGACAGGCUGAAGACGAGAUUAACUAAGAAGUCCUAUCCCACCU"
    "GCGCCCACCGGCAAUUCUUGGUAACCUUCUAGCUAGUGUUCCCAGUAGGCGGGUCCGAAGAUAGAAUACCAAUAAGCUUAACACAAAGCG"
    "UUUAUUGUAACAUACCAACAUCUUAGGGGAGUCUUCUGAAACUUAAAAUGAUAGAGUUAGUCGGCUGCUACAUGCCACUUUAUUUAGUAU"
    "AUGCCGGCCUGCUUAAUCUGAAAAACUGUAACAGUUUUAUAAUAAAAAUUCCUAAAGUUCUUUCUUACGAUAGUGUGCGGACGCUGUUGA"
    "UUGUCAUGGGAACGAUGCCGUCCGACACGAUGUGGGCGUACGGACAACCCGAGGUUUAAUUUGGCUAGUCCCAUCGUCAUUAUAGAACUG"
    "GUUGCUAUUAAUUCGUGAACUGAUAUGAAUGUUUACGAAUAAAACUUCCGUUUUAAUCAUGAAUAAUUUCCAUUCGUUUAGCACCACUAU"
    "ACUUUACUCCAAACUCUCUUUCGGAGCUCCUCUAAGCGCAGUUUAAGCUAGAAUUUUGCAAAAAAAUAUGUAUUAUGAACGCGGCGGCGG"
    "UUGGGUGUUCUGGCUUGUAAAAGAGCGCGAGGGGCGUAAGGACAUGAAGUACGAACUUAGGCUUUAUUAACAUCAGGUACAAACCUCCAA"
    "AGCGGAAGGACAUAGGCCACCAUACUAACCUCUUGCCUGAUAGAGUCAGGCAGCUCCACGGGUGUCGGGAUAGCCUGCUGCAUUUGAGGA"
    "UAUAGCAAUGCUUGUUCAGAUUCUUGACGCAUUCGCAAACAAACAAUAAAAUAGAGCGCAUCAGUCAUCACACGAGAGGUUGCACGCUAC"
    "CUUGACAAUCUUCUUACCAAUUCCAGAAUGAGGCAAGGUAAGCUUUAUAAUGUUGUUUCUUAGAAGUAAGAUGCGGUACAUAGCUAUUUU"
    "CUUAUCCGAUGGUUGCAGCAACUUGAUUGAUCGCUUUGCAAAAUUAAAAGAUGCACUGGGUAACACUAAGUCAAUCCAAAUACAAUUUUU"
    "GAGCUGCAAACGUGUGUAAUGCUUAAUGAACAAUCCGUUAAAUCAGCAGGCUCAGCCGGCUCUAACAAGGACAUAGUUUCAUAAUACUCU"
    "UCCUAGGUUCUUUGAAUAUUCUUAUGGCCGAGGUAUGCCUCUAUGCAUCGCCUUACGGUUCUUUCUAUAUAUAUAAAGAUGAUAAGCAGC"
    "UUUGAAUUCGAAAAAAAACCAAAUGGAUCGUAGGCUAGCGAAUUCACGGACAUAUUGCUGUAAUAUAAAAGUAAAUGGUUGAGCUCUACA"
    "CAAAUGCCUACAGGUUAGACUCAGAUAAGUGCGCAUAUUGUUGAUGUAACUGGUGCGUUUAGACAUGGUACGAACACACUAACUAAUAAA"
    "UACGCUAGCGGACACACAAGUAGCACUUUGAGGACAGUCAGUAUCUGAUAGUGUGUCUAUCUAGCAUGCGUAAUGGCAUAGUAAGUAAUU"
    "AGAUUUUCACGUUAUUUGCA"
)
"""2,000-nt synthetic 3'UTR (demo) with six planted hsa-miR-21-5p sites (see :data:`EXAMPLES`)."""

CONSTRUCTED_LNCRNA = (
    "AUGUGUAAGGAAGAUAAUCCUAGGCUCGAAUAAUUUCCAUAUUACUCCCAUGAGCAUAAUUUGACUACCACAGUAAAAAGAAAAGCAUCG"
    "AUAGACUAUGGUGUGUAAACACAUUUAAUAAUCUACCUGCUCAACCGGGUAUGAGUAUUGGAAUGAUUAAUCCAUAUGGAGCUAAUGUGA"
    "CAAGACUACAGUCAGAUGGGGAAACGUGACUCCUAACUUACAGAUUUUGAUCUUCCCGAACUUAUUUUAGUGAACCGACAAUUCCUUAUA"
    "ACAUAUGACACGUGGAGAACACAGUAGUAAAGUCAUGGAUAAUCGACAAAGUAUUUGAGGCAUACGGCUUUUUUAAUCGCCGUAGCCACG"
    "CGCUGGACGAUUCUCAACACCCUAGAGAACAGAACACUCUGCGCUUACUCUCUUCUGUCAGCUGAUAACAACAUAUUUGAGGCAGGAAUU"
    "ACUUCUGCUUAAUAGGGUCCACACCCCCACCUACUAGGGACUAUCUGAGGGAUCAGUUGUGAUUAUCCCACAGCACGAACAUCAUUAAAG"
    "CAAACACGACAUAGGACUCUAGCGAAAUAAUCUUGGGUAGAUUACUUGUUAAUUUGUAGGUUUACGAAUAUCGCAGAGUGUUUGAUCUCU"
    "CUUUUCCACAAGGCAACAAUAACUCUGAAUUGUAAAUAGCCUCAACUGGCUAAUCGAAUUUUACGAGUACACAACUGGUAAGAACUCGAA"
    "ACUUGCCAGGCAGGUAGAAUGGCCAUCAGUCUGCGGGAGCCUUAGAACUUACGUGCGCGAUCUUCCAGAUGUCAAUGUGC"
)
"""800-nt constructed lncRNA-like sequence (demo) with one near-complementary ath-miR156a-5p site."""

EXAMPLES: tuple[Example, ...] = (
    Example(
        name="let-7a-5p: 8mer (perfect complement)",
        mirna_name="hsa-let-7a-5p",
        mirna_seq=EXAMPLE_MIRNAS["hsa-let-7a-5p"],
        target_name="constructed let-7a site (demo)",
        target_seq="GGCUUAGAUAAAAUGAAACUAUACAACCUACUACCUCAUU",
        note=(
            "Constructed target: nt 17-38 are the perfect complement of the whole miRNA, so the seed forms "
            "an 8mer site (nt 31-38: pairs to miRNA positions 2-8 plus an A opposite position 1) and the "
            "3' end of the miRNA pairs too."
        ),
        sites=(("8mer", 30, 38),),
    ),
    Example(
        name="miR-21-5p: 7mer-m8",
        mirna_name="hsa-miR-21-5p",
        mirna_seq=EXAMPLE_MIRNAS["hsa-miR-21-5p"],
        target_name="constructed 7mer-m8 site (demo)",
        target_seq="GUUUGAGGAGGAUCAACAUAAUAAGCUUUUAUCUACUAAA",
        note=(
            "Constructed 40-nt window of random AU-rich sequence with one 7mer-m8 site at nt 21-27 (pairs to "
            "miRNA positions 2-8, no A opposite position 1) and no other seed match."
        ),
        sites=(("7mer-m8", 20, 27),),
    ),
    Example(
        name="miR-155-5p: 7mer-A1",
        mirna_name="hsa-miR-155-5p",
        mirna_seq=EXAMPLE_MIRNAS["hsa-miR-155-5p"],
        target_name="constructed 7mer-A1 site (demo)",
        target_seq="CGUCAAAUUUAGCUCGAUAAGGCAUUAAUCAGCAGGUAAU",
        note=(
            "Constructed 40-nt window of random AU-rich sequence with one 7mer-A1 site at nt 22-28 (pairs to "
            "miRNA positions 2-7 plus an A opposite position 1; position 8 forms only a G:U wobble, which does "
            "not count) and no other seed match."
        ),
        sites=(("7mer-A1", 21, 28),),
    ),
    Example(
        name="miR-1-3p: 6mer",
        mirna_name="hsa-miR-1-3p",
        mirna_seq=EXAMPLE_MIRNAS["hsa-miR-1-3p"],
        target_name="constructed 6mer site (demo)",
        target_seq="GUGGUGCACACGGCAUGAGGUCAUUCCGUUAUCAUAUCCU",
        note=(
            "Constructed 40-nt window of random AU-rich sequence with one 6mer site at nt 22-27 (pairs to "
            "miRNA positions 2-7 only) and no other seed match."
        ),
        sites=(("6mer", 21, 27),),
    ),
    Example(
        name="miR-124-3p: non-canonical (seed mismatch)",
        mirna_name="hsa-miR-124-3p",
        mirna_seq=EXAMPLE_MIRNAS["hsa-miR-124-3p"],
        target_name="constructed non-canonical site (demo)",
        target_seq="GACGGAUAAUCCAUGGUAAAGUGGCUUACCUUAUCGGGCG",
        note=(
            "Constructed 40-nt window of random AU-rich sequence with one non-canonical site at nt 21-27: "
            "miRNA positions 2-8 pair except a G:G mismatch at position 5 (target nt 24), with an A opposite "
            "position 1 (nt 28). No canonical seed site: the seed rule finds nothing, a mismatch-tolerant "
            "seed alignment does."
        ),
        sites=(("1-mismatch seed", 20, 27),),
    ),
    Example(
        name="miR-21-5p: synthetic 3'UTR, 2,000 nt (scan)",
        mirna_name="hsa-miR-21-5p",
        mirna_seq=EXAMPLE_MIRNAS["hsa-miR-21-5p"],
        target_name="synthetic 3'UTR (demo)",
        target_seq=SYNTHETIC_UTR,
        note=(
            "Synthetic 2,000-nt transcript (random AU-rich sequence, not a real gene) with six planted "
            "miR-21-5p sites and no other seed match: 8mer at nt 241-248, 7mer-m8 at 612-618, 7mer-A1 at "
            "1034-1040, 6mer at 1389-1394, offset-6mer at 1702-1707 (pairs to miRNA positions 3-8) and a "
            "non-canonical site with one seed mismatch at 1890-1896 (A opposite position 1 at 1897)."
        ),
        sites=(
            ("8mer", 240, 248),
            ("7mer-m8", 611, 618),
            ("7mer-A1", 1033, 1040),
            ("6mer", 1388, 1394),
            ("offset-6mer", 1701, 1707),
            ("1-mismatch seed", 1889, 1896),
        ),
    ),
    Example(
        name="plant: ath-miR156a-5p × constructed lncRNA, 800 nt",
        mirna_name="ath-miR156a-5p",
        mirna_seq=PLANT_EXAMPLE_MIRNAS["ath-miR156a-5p"],
        target_name="constructed lncRNA (demo)",
        target_seq=CONSTRUCTED_LNCRNA,
        note=(
            "Constructed 800-nt lncRNA-like sequence (random, not a real transcript) with one "
            "near-complementary site of the whole miRNA at nt 401-420: every miRNA position pairs except a "
            "G:U wobble opposite position 15 (nt 406) and a mismatch opposite position 19 (nt 402), "
            "psRNATarget expectation 1.5 (its seed region also makes an 8mer seed match at nt "
            "413-420). No other window comes within an expectation of 5. For the plant miRNA-lncRNA "
            "models."
        ),
        sites=(("plant", 400, 420),),
        task="plant",
    ),
)


def example_by_name(name: str) -> Example:
    """The example called ``name`` (:attr:`Example.name`).

    Raises
    ------
    KeyError
        Listing the example names.
    """
    for example in EXAMPLES:
        if example.name == name:
            return example
    raise KeyError(f"no example called {name!r}; examples: {', '.join(example.name for example in EXAMPLES)}")
