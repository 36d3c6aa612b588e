"""One rule for miRNA names: MIMAT accessions, name + description, suggestions, stored reference uploads."""

from __future__ import annotations

import gzip
import json

import pytest

from rnaapp.examples import EXAMPLE_MIRNA_ACCESSIONS, EXAMPLE_MIRNAS, PLANT_EXAMPLE_MIRNAS
from rnaapp.io import InputError, read_mirbase, read_pairs
from rnaapp.io.reference import MirnaReference, mirna_name_key, reference_name
from rnaapp.mirna_names import mirbase_sequences, mirna_reference, read_typed_mirna, resolve_mirnas
from rnaapp.scan.readers import read_mirna_list, read_mirnas_file
from rnaapp.settings import (
    Settings,
    configured_utr_fasta,
    load_settings,
    references_directory,
    save_settings,
    settings_path,
    store_mirbase_upload,
    store_utr_upload,
)

LET_7A = "UGAGGUAGUAGGUUGUAUAGUU"
MIR_21 = "UAGCUUAUCAGACUGAUGUUGA"
#: A small synthetic mature.fa in miRBase's header format (sequences made up except let-7a and miR-21).
MATURE = f""">hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p
{LET_7A}
>hsa-miR-21-5p MIMAT0000076 Homo sapiens miR-21-5p
{MIR_21}
>hsa-miR-99a-5p MIMAT0000097 Homo sapiens miR-99a-5p
AACCCGUAGAUCCGAUCUUGUG
>hsa-miR-99a-3p MIMAT0004511 Homo sapiens miR-99a-3p
CAAGCUCGCUUCUAUGGGUCUG
>hsa-miR-99b-5p MIMAT0000689 Homo sapiens miR-99b-5p
CACCCGUAGAACCGACCUUGCG
>hsa-miR-99b-3p MIMAT0004678 Homo sapiens miR-99b-3p
CAAGCUCGUGUCUGUGGGUCCG
>hsa-miR-599 MIMAT0003267 Homo sapiens miR-599
GUUGUGUCAGUUUAUCAAAC
>hsa-miR-9986 MIMAT0039762 Homo sapiens miR-9986
AGGGGAAGUGGCGGGUUCUAGC
>mmu-miR-99a-5p MIMAT0000131 Mus musculus miR-99a-5p
AACCCGUAGAUCCGAUCUUGUG
>mmu-miR-201-5p MIMAT0000234 Mus musculus miR-201-5p
UACUCAGUAAGGCAUUGUUCUU
>mmu-miR-21a-3p MIMAT0004628 Mus musculus miR-21a-3p
CAACAGCAGUCGAUGGGCUGUC
>mmu-miR-21a-5p MIMAT0000530 Mus musculus miR-21a-5p
{MIR_21}
>mmu-miR-21b MIMAT0025146 Mus musculus miR-21b
UAGCUUAUCAGACUGGUGUUGGC
"""


@pytest.fixture
def home(user_home, monkeypatch):
    monkeypatch.delenv("RNAAPP_MIRBASE", raising=False)
    return user_home


@pytest.fixture
def reference():
    return read_mirbase(MATURE.encode())


def test_the_miRBase_reader_keeps_each_accession(reference):
    assert reference["hsa-let-7a-5p"] == LET_7A and len(reference) == 13
    assert reference.accessions["MIMAT0000062"] == "hsa-let-7a-5p"
    assert reference.accession_of("mmu-miR-21b") == "MIMAT0025146"
    assert dict(reference) == {**reference}  # still a plain name -> sequence dictionary


def test_an_accession_resolves_to_the_name_and_sequence_ignoring_case(reference):
    for text in ("MIMAT0000062", "mimat0000062", " MiMaT0000062 "):
        typed = read_typed_mirna(text, reference)
        assert (typed.kind, typed.name, typed.sequence, typed.problem) == (
            "name",
            "hsa-let-7a-5p",
            LET_7A,
            None,
        )
    assert resolve_mirnas(["MIMAT0000076", "mimat0000062"], reference) == [
        ("hsa-miR-21-5p", MIR_21),
        ("hsa-let-7a-5p", LET_7A),
    ]


def test_an_unknown_accession_says_so(reference):
    typed = read_typed_mirna("MIMAT9999999", reference)
    assert typed.kind == "unknown name" and "unknown miRBase accession 'MIMAT9999999'" in typed.problem
    assert "Settings" in typed.problem  # a small reference: the miRBase file may be missing
    with pytest.raises(InputError, match="row 2: unknown miRBase accession 'MIMAT9999999'"):
        resolve_mirnas(["hsa-let-7a-5p", "MIMAT9999999"], reference, source="miRNA list")


def test_built_in_miRNAs_know_their_accessions_without_a_miRBase_file(home):
    built_in = mirna_reference()
    assert set(built_in.accessions.values()) == {*EXAMPLE_MIRNAS, *PLANT_EXAMPLE_MIRNAS}
    assert read_typed_mirna("MIMAT0000062").name == "hsa-let-7a-5p"
    assert read_typed_mirna("MIMAT0000166").name == "ath-miR156a-5p"


def test_built_in_accessions_are_those_of_miRBase_22_1(benchmarks):
    mirbase = read_mirbase(benchmarks / "reference" / "mature_mirbase22.1.fa")
    assert {accession: mirbase.accessions[accession] for accession in EXAMPLE_MIRNA_ACCESSIONS} == (
        EXAMPLE_MIRNA_ACCESSIONS
    )
    assert len(mirbase.accessions) == len(mirbase)


def test_a_configured_file_adds_its_accessions_to_the_built_in_ones(home, tmp_path):
    mature = tmp_path / "mature.fa"
    mature.write_text(MATURE.replace("MIMAT0000062", "MIMAT1234567"), encoding="utf-8")
    merged = mirna_reference(str(mature))
    assert merged.accessions["MIMAT1234567"] == "hsa-let-7a-5p"
    assert merged.accessions["MIMAT0000646"] == "hsa-miR-155-5p"  # built in
    assert mirbase_sequences(str(mature)).accessions["MIMAT0000097"] == "hsa-miR-99a-5p"


def test_name_and_description_is_a_name_in_every_box_and_list(reference):
    header = "hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p"
    assert mirna_name_key(header) == "hsa-let-7a-5p" and mirna_name_key(">" + header) == "hsa-let-7a-5p"
    assert read_typed_mirna(header, reference).name == "hsa-let-7a-5p"
    assert resolve_mirnas([header, "MIMAT0000076 Homo sapiens miR-21-5p"], reference) == [
        ("hsa-let-7a-5p", LET_7A),
        ("hsa-miR-21-5p", MIR_21),
    ]
    assert read_mirna_list(f"{header}\nMIMAT0000076\n", reference) == [
        ("hsa-let-7a-5p", LET_7A),
        ("hsa-miR-21-5p", MIR_21),
    ]
    with pytest.raises(InputError, match="unknown miRNA name 'hsa-miR-99'; did you mean hsa-miR-99a-5p"):
        resolve_mirnas(["hsa-miR-99 Homo sapiens"], reference)


def test_a_list_file_of_names_descriptions_and_accessions(reference, tmp_path):
    listing = tmp_path / "mirnas.txt"
    listing.write_text("hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p\nmimat0000530\n", encoding="utf-8")
    assert read_mirnas_file(listing, reference) == [("hsa-let-7a-5p", LET_7A), ("mmu-miR-21a-5p", MIR_21)]


def test_pair_files_use_the_same_rule(reference):
    target = "A" * 10 + "CUACCUCA" + "A" * 22
    content = (
        "mirna_id,target_id,target_seq\n"
        f"hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p,t1,{target}\n"
        f"MIMAT0000062,t2,{target}\n"
        f"mimat0000076,t3,{target}\n"
    ).encode()
    pairs = read_pairs(content, name="pairs.csv", require_sequences=False, mirna_reference=reference)
    assert pairs["mirna_seq"].tolist() == [LET_7A, LET_7A, MIR_21]
    # Accessions and descriptions become names (gene models find miRNAs by name).
    assert pairs["mirna_id"].tolist() == ["hsa-let-7a-5p", "hsa-let-7a-5p", "hsa-miR-21-5p"]


def test_the_one_rule_on_its_own():
    names = MirnaReference({"hsa-let-7a-5p": LET_7A}, {"mimat0000062": "hsa-let-7a-5p", "MIMAT1": "gone"})
    assert names.accessions == {"MIMAT0000062": "hsa-let-7a-5p"}  # names outside the reference dropped
    lower = {"hsa-let-7a-5p": "hsa-let-7a-5p"}
    for text in (
        "hsa-let-7a-5p",
        "HSA-LET-7A-5P",
        "MIMAT0000062",
        "hsa-let-7a-5p some words",
        ">hsa-let-7a-5p",
    ):
        assert reference_name(text, names, lower, names.accessions) == "hsa-let-7a-5p"
    assert reference_name("MIMAT0000062", names, lower) is None  # no accessions given
    assert reference_name("hsa-let-7b-5p", names, lower, names.accessions) is None


def suggested(reference, name):
    problem = read_typed_mirna(name, reference).problem
    assert problem is not None and "did you mean " in problem
    return problem.split("did you mean ", 1)[1].rstrip("?").split(", ")


def test_suggestions_rank_the_same_species_and_family_first(reference):
    assert suggested(reference, "hsa-miR-99") == [
        "hsa-miR-99a-5p",
        "hsa-miR-99a-3p",
        "hsa-miR-99b-5p",
        "hsa-miR-99b-3p",
        "hsa-miR-599",
    ]
    assert suggested(reference, "mmu-miR-21-5p")[:3] == ["mmu-miR-21a-5p", "mmu-miR-21a-3p", "mmu-miR-21b"]
    assert suggested(reference, "miR-21-5p")[0] == "hsa-miR-21-5p"  # no species typed: human first
    assert suggested(reference, "mmu-miR-99")[0] == "mmu-miR-99a-5p"


def test_suggestions_with_miRBase_22_1(benchmarks):
    full = read_mirbase(benchmarks / "reference" / "mature_mirbase22.1.fa")
    assert suggested(full, "hsa-miR-99")[:3] == ["hsa-miR-99a-5p", "hsa-miR-99a-3p", "hsa-miR-99b-5p"]
    assert suggested(full, "mmu-miR-21-5p")[0] == "mmu-miR-21a-5p"
    assert suggested(full, "hsa-mir-21")[:2] == ["hsa-miR-21-5p", "hsa-miR-21-3p"]
    assert read_typed_mirna("MIMAT0000062", full).name == "hsa-let-7a-5p"


def test_an_uploaded_mature_fa_is_stored_and_set(home):
    path = store_mirbase_upload(MATURE.encode(), "mature.fa")
    assert path == references_directory() / "mature.fa" and path.read_text(encoding="utf-8") == MATURE
    assert load_settings().mirbase_path == str(path)
    assert len(mirbase_sequences()) == 13
    assert read_typed_mirna("MIMAT0000097").name == "hsa-miR-99a-5p"

    gzipped = store_mirbase_upload(gzip.compress(MATURE.encode()), "mature.fa.gz")
    assert gzipped == references_directory() / "mature.fa.gz" and not path.exists()
    assert load_settings().mirbase_path == str(gzipped)
    assert len(mirbase_sequences()) == 13


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"just words\n", "not a miRBase FASTA file"),
        (b">hsa-x MIMAT1\nACGUXX\n", "letters other than ACGUTN"),
        (b"\x00\x01binary", "not a miRBase FASTA file"),
    ],
)
def test_a_bad_upload_changes_nothing(home, content, message):
    first = store_mirbase_upload(MATURE.encode(), "mature.fa")
    with pytest.raises(InputError, match=message) as caught:
        store_mirbase_upload(content, "bad.fa")
    assert caught.value.source == "bad.fa" and "\n" not in str(caught.value)
    assert load_settings().mirbase_path == str(first) and first.read_text(encoding="utf-8") == MATURE


UTRS = ">ENSG00000141510|ENST00000269305|TP53\nACGUACGUACGUAAAUUUGGGCCC\n>ENSG2|ENST2|MYC\nACGUUUUAAACCCGGG\n"


def test_the_utr_fasta_setting_round_trips_and_old_files_stay_readable(home, tmp_path):
    assert load_settings().utr_fasta is None and configured_utr_fasta() is None
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"mirbase_path": None, "device": "cpu"}), encoding="utf-8")
    assert load_settings().utr_fasta is None and load_settings().device == "cpu"  # written before utr_fasta

    utrs = tmp_path / "utrs.fa"
    utrs.write_text(UTRS, encoding="utf-8")
    save_settings(Settings(utr_fasta=str(utrs)))
    assert load_settings().utr_fasta == str(utrs) and configured_utr_fasta() == utrs
    assert json.loads(settings_path().read_text(encoding="utf-8"))["utr_fasta"] == str(utrs)
    with pytest.raises(InputError, match="the 3'UTR file does not exist"):
        Settings(utr_fasta=str(tmp_path / "missing.fa")).validate()
    (tmp_path / "words.txt").write_text("no fasta here\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a 3'UTR FASTA file"):
        Settings(utr_fasta=str(tmp_path / "words.txt")).validate()


def test_an_uploaded_utr_fasta_is_stored_and_set(home):
    mature = store_mirbase_upload(MATURE.encode(), "mature.fa")
    path = store_utr_upload(gzip.compress(UTRS.encode()), "utrs.fa.gz")
    assert path == references_directory() / "utr3.fa.gz" and configured_utr_fasta() == path
    assert gzip.decompress(path.read_bytes()).decode() == UTRS
    assert load_settings().mirbase_path == str(mature)  # the other setting is kept
    with pytest.raises(InputError, match="utrs.txt"):
        store_utr_upload(b"not a fasta at all\n", "utrs.txt")
    assert configured_utr_fasta() == path
