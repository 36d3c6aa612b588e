"""What a miRNA box holds (rnaapp.mirna_names.read_typed_mirna): a sequence, a name, or a problem."""

from __future__ import annotations

import pytest

from rnaapp.io import InputError
from rnaapp.mirna_names import TYPED_KINDS, read_typed_mirna

LET_7A = "UGAGGUAGUAGGUUGUAUAGUU"
REFERENCE = {"hsa-let-7a-5p": LET_7A, "hsa-miR-21-5p": "UAGCUUAUCAGACUGAUGUUGA"}


def test_a_sequence_is_normalised_and_has_no_name():
    typed = read_typed_mirna("  ugaggtaguagguuguauaguu \n", REFERENCE)
    assert (typed.kind, typed.name, typed.sequence, typed.problem) == ("sequence", None, LET_7A, None)
    assert typed.usable


def test_a_sequence_with_spaces_is_still_a_sequence():
    assert read_typed_mirna("UGAGGUAG UAGGUUGUAUAGUU", REFERENCE).sequence == LET_7A


def test_a_name_is_looked_up_ignoring_case():
    typed = read_typed_mirna("HSA-LET-7A-5P", REFERENCE)
    assert (typed.kind, typed.name, typed.sequence, typed.problem) == ("name", "hsa-let-7a-5p", LET_7A, None)


def test_an_unknown_name_is_kept_with_close_names_as_the_problem():
    typed = read_typed_mirna("hsa-let-7a", REFERENCE)
    assert typed.kind == "unknown name" and typed.name == "hsa-let-7a" and typed.sequence == ""
    assert not typed.usable
    assert "unknown miRNA name 'hsa-let-7a'" in typed.problem and "hsa-let-7a-5p" in typed.problem


def test_a_pasted_fasta_record_is_its_sequence_named_by_its_header():
    typed = read_typed_mirna(f">hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p {LET_7A}", {})
    assert (typed.kind, typed.name, typed.sequence, typed.problem) == (
        "sequence",
        "hsa-let-7a-5p",
        LET_7A,
        None,
    )
    typed = read_typed_mirna(f">my_mirna\n{LET_7A}\n", {})
    assert (typed.kind, typed.name, typed.sequence) == ("sequence", "my_mirna", LET_7A)


@pytest.mark.parametrize(
    ("text", "kind", "problem"),
    [
        ("", "empty", "empty"),
        ("   ", "empty", "empty"),
        ("UGAGGUAGUAGGXUGUAUAGUU", "sequence", "letters other than ACGUTN ('X' at position 13)"),
        ("ACGU", "sequence", "miRNA is 4 nt; expected 15–30 nt"),
        (">x\n", "sequence", "miRNA sequence is empty"),
    ],
)
def test_what_cannot_be_scored_says_why(text, kind, problem):
    typed = read_typed_mirna(text, REFERENCE)
    assert typed.kind == kind and typed.kind in TYPED_KINDS
    assert problem in typed.problem and not typed.usable


def test_a_reference_sequence_that_cannot_be_used_is_a_problem_of_the_name():
    typed = read_typed_mirna("xyz-miR-1", {"xyz-miR-1": "ACG"})
    assert typed.kind == "name" and "the reference sequence of xyz-miR-1 cannot be used" in typed.problem


def test_the_configured_reference_is_read_only_for_names(user_home, monkeypatch, tmp_path):
    monkeypatch.setenv("RNAAPP_MIRBASE", str(tmp_path / "missing.fa"))
    assert read_typed_mirna(LET_7A).sequence == LET_7A  # a sequence needs no miRBase file
    with pytest.raises(InputError, match="does not exist"):
        read_typed_mirna("hsa-let-7a-5p")
    monkeypatch.delenv("RNAAPP_MIRBASE")
    assert read_typed_mirna("hsa-let-7a-5p").sequence == LET_7A  # a built-in example miRNA
