"""Tests for rnaapp.settings: the settings file, the miRBase file and resolving miRNA names."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
from pathlib import Path

import pytest

import rnaapp.mirna_names
from rnaapp.examples import EXAMPLE_MIRNAS, PLANT_EXAMPLE_MIRNAS
from rnaapp.io import InputError
from rnaapp.registry import user_directory
from rnaapp.settings import (
    MIRBASE_DOWNLOAD_URL,
    MIRBASE_HELP,
    PRECISIONS,
    Settings,
    configured_mirna_reference,
    home_directory,
    load_settings,
    mirbase_sequences,
    mirna_reference,
    resolve_mirnas,
    save_settings,
    settings_path,
)

MATURE = """>hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p
UGAGGUAGUAGGUUGUAUAGUU
>hsa-miR-21-5p MIMAT0000076 Homo sapiens miR-21-5p
UAGCUUAUCAGACUGAUGUUGA
>hsa-miR-21-3p MIMAT0004494 Homo sapiens miR-21-3p
CAACACCAGUCGAUGGGCUGU
>mmu-miR-21a-5p MIMAT0000530 Mus musculus miR-21a-5p
UAGCUUAUCAGACUGAUGUUGA
>hsa-miR-155-5p MIMAT0000646 Homo sapiens miR-155-5p
UUAAUGCUAAUCGUGAUAGGGGUU
"""


@pytest.fixture
def home(user_home, monkeypatch):
    """An empty rnaapp home and no RNAAPP_MIRBASE."""
    monkeypatch.delenv("RNAAPP_MIRBASE", raising=False)
    return user_home


@pytest.fixture
def mature(tmp_path):
    path = tmp_path / "mature.fa"
    path.write_text(MATURE, encoding="utf-8")
    return path


def test_home_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RNAAPP_HOME", str(tmp_path / "somewhere"))
    assert home_directory() == tmp_path / "somewhere"
    assert settings_path() == tmp_path / "somewhere" / "settings.json"
    assert user_directory() == home_directory() / "models"  # models live beside the settings
    monkeypatch.delenv("RNAAPP_HOME")
    assert home_directory() == Path.home() / ".rnaapp"


def test_missing_settings_give_the_defaults(home):
    assert load_settings() == Settings()
    assert Settings() == Settings(mirbase_path=None, device="auto", batch_size=512, precision="float32")
    assert not home.exists()  # reading creates nothing


@pytest.mark.parametrize("text", ["{oops", "[1, 2]", "null", "", "\xff"])
def test_damaged_settings_give_the_defaults(home, text):
    home.mkdir()
    (home / "settings.json").write_text(text, encoding="utf-8")
    assert load_settings() == Settings()


def test_values_of_the_wrong_type_give_that_settings_default(home):
    home.mkdir()
    (home / "settings.json").write_text(
        json.dumps({"mirbase_path": 3, "device": "cpu", "batch_size": "many", "precision": None, "extra": 1}),
        encoding="utf-8",
    )
    assert load_settings() == Settings(device="cpu")


def test_save_then_load(home, mature):
    chosen = Settings(mirbase_path=str(mature), device="cpu", batch_size=64, precision="bfloat16")
    path = save_settings(chosen)
    assert path == home / "settings.json"
    assert load_settings() == chosen
    assert json.loads(path.read_text(encoding="utf-8")) == dataclasses.asdict(chosen)
    assert [p.name for p in home.iterdir()] == ["settings.json"]  # no temporary files left


def test_saving_invalid_settings_keeps_the_previous_ones(home, tmp_path):
    save_settings(Settings(device="cpu"))
    with pytest.raises(InputError, match="does not exist"):
        save_settings(Settings(mirbase_path=str(tmp_path / "nowhere.fa")))
    assert load_settings() == Settings(device="cpu")


def test_the_environment_overrides_the_miRBase_path(home, mature, monkeypatch, tmp_path):
    save_settings(Settings(mirbase_path=str(mature)))
    monkeypatch.setenv("RNAAPP_MIRBASE", str(tmp_path / "other.fa"))
    assert load_settings().mirbase_path == str(tmp_path / "other.fa")
    monkeypatch.setenv("RNAAPP_MIRBASE", "")
    assert load_settings().mirbase_path == str(mature)


def test_validate_accepts_good_settings(mature, tmp_path):
    settings = Settings(mirbase_path=str(mature), device="cuda:1", batch_size=1, precision="float32")
    assert settings.validate() is settings
    gzipped = tmp_path / "mature.fa.gz"
    gzipped.write_bytes(gzip.compress(MATURE.encode()))
    Settings(mirbase_path=str(gzipped)).validate()
    for device in ("auto", "cpu", "cuda", "mps"):
        Settings(device=device).validate()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist.*mirbase.org"),
        ("folder", "is a folder"),
        ("", "empty"),
        ("hsa-let-7a-5p,UGAGGUAG\n", "not a miRBase FASTA file.*should start with '>'"),
        (">hsa-bad\nUGAGXUAG\n", "not a miRBase FASTA file.*letters other than"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a miRBase FASTA file"),
    ],
    ids=["missing", "folder", "empty", "not-fasta", "bad-letters", "binary"],
)
def test_validate_explains_a_bad_miRBase_file(tmp_path, content, message):
    path = tmp_path / "mature.fa"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        Settings(mirbase_path=str(path)).validate()
    assert str(path) in str(caught.value)


def test_validate_reads_only_the_first_record(tmp_path):
    path = tmp_path / "mature.fa"
    path.write_text(MATURE + ">hsa-bad\nXXXX\n", encoding="utf-8")
    Settings(mirbase_path=str(path)).validate()  # quick check; reading the file reports the rest


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"device": "gpu"}, "device must be"),
        ({"device": "cuda:x"}, "device must be"),
        ({"batch_size": 0}, "batch size"),
        ({"batch_size": 2.5}, "batch size"),
        ({"batch_size": True}, "batch size"),
        ({"precision": "float16"}, "precision must be one of float32, bfloat16"),
    ],
)
def test_validate_refuses_bad_values(change, message):
    with pytest.raises(ValueError, match=message):
        Settings(**change).validate()


def test_precisions_match_the_predictor():
    from rnaapp.predict import PRECISIONS as PREDICT_PRECISIONS

    assert tuple(PREDICT_PRECISIONS) == PRECISIONS


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().device = "cpu"


def test_help_says_where_to_get_mature_fa():
    assert MIRBASE_DOWNLOAD_URL == "https://www.mirbase.org/download/mature.fa"
    assert MIRBASE_DOWNLOAD_URL in MIRBASE_HELP
    assert "RNAAPP_MIRBASE" in MIRBASE_HELP and "Settings" in MIRBASE_HELP


def test_mirbase_sequences_reads_the_configured_file_once(home, mature, monkeypatch):
    assert mirbase_sequences() == {}  # nothing configured
    save_settings(Settings(mirbase_path=str(mature)))
    calls = []
    original = rnaapp.mirna_names.read_mirbase

    def counting(path):
        calls.append(path)
        return original(path)

    monkeypatch.setattr(rnaapp.mirna_names, "read_mirbase", counting)
    rnaapp.mirna_names._read_mirbase_cached.cache_clear()
    first = mirbase_sequences()
    assert first["hsa-miR-21-5p"] == "UAGCUUAUCAGACUGAUGUUGA"
    assert len(first) == 5
    first["hsa-miR-21-5p"] = "changed"  # callers get a copy
    assert mirbase_sequences(str(mature))["hsa-miR-21-5p"] == "UAGCUUAUCAGACUGAUGUUGA"
    assert len(calls) == 1

    mature.write_text(MATURE + ">hsa-miR-1-3p\nUGGAAUGUAAAGAAGUAUGUAU\n", encoding="utf-8")
    os.utime(mature, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    assert len(mirbase_sequences()) == 6
    assert len(calls) == 2


def test_mirbase_sequences_of_a_missing_file(home, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        mirbase_sequences(str(tmp_path / "gone.fa"))


def test_mirna_reference_knows_the_examples_without_a_miRBase_file(home, mature):
    assert mirna_reference() == {**EXAMPLE_MIRNAS, **PLANT_EXAMPLE_MIRNAS}
    combined = mirna_reference(str(mature))
    assert combined["hsa-miR-124-3p"] == EXAMPLE_MIRNAS["hsa-miR-124-3p"]
    assert combined["mmu-miR-21a-5p"] == "UAGCUUAUCAGACUGAUGUUGA"


def test_configured_mirna_reference_falls_back_to_the_examples(home, mature, monkeypatch, tmp_path):
    built_in = {**EXAMPLE_MIRNAS, **PLANT_EXAMPLE_MIRNAS}
    assert configured_mirna_reference() == built_in
    monkeypatch.setenv("RNAAPP_MIRBASE", str(mature))
    assert configured_mirna_reference()["mmu-miR-21a-5p"] == "UAGCUUAUCAGACUGAUGUUGA"
    monkeypatch.setenv("RNAAPP_MIRBASE", str(tmp_path / "moved.fa"))  # chosen once, moved since
    assert configured_mirna_reference() == built_in


def test_resolve_names_and_sequences(mature):
    reference = mirbase_sequences(str(mature))
    resolved = resolve_mirnas(
        ["hsa-miR-21-5p", "HSA-LET-7A-5P", "  ", "ugagguaguagguuguauaguu", "TAGCTTATCAGACTGATGTTGA\n"],
        reference,
    )
    assert resolved == [
        ("hsa-miR-21-5p", "UAGCUUAUCAGACUGAUGUUGA"),
        ("hsa-let-7a-5p", "UGAGGUAGUAGGUUGUAUAGUU"),
        ("UGAGGUAGUAGGUUGUAUAGUU", "UGAGGUAGUAGGUUGUAUAGUU"),
        ("UAGCUUAUCAGACUGAUGUUGA", "UAGCUUAUCAGACUGAUGUUGA"),
    ]
    assert resolve_mirnas([], reference) == []


def test_an_unknown_name_names_the_row_and_suggests_close_names(mature):
    reference = mirbase_sequences(str(mature))
    with pytest.raises(InputError) as caught:
        resolve_mirnas(["hsa-let-7a-5p", "hsa-miR-21"], reference, source="miRNA list")
    assert caught.value.row == 2
    assert str(caught.value).startswith("miRNA list, row 2: unknown miRNA name 'hsa-miR-21'; did you mean ")
    assert "hsa-miR-21-5p" in str(caught.value) and "hsa-miR-21-3p" in str(caught.value)
    with pytest.raises(InputError, match="did you mean hsa-miR-21-5p.*mmu-miR-21a-5p"):
        resolve_mirnas(["miR-21-5p"], reference)
    with pytest.raises(InputError, match="did you mean hsa-miR-155-5p"):
        resolve_mirnas(["hsa-miR-155-5"], reference)
    with pytest.raises(InputError, match="row 1: unknown miRNA name 'zzz'; enter its sequence instead"):
        resolve_mirnas(["zzz"], reference)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [("UGAGGUAGUAGG", "miRNA is 12 nt; expected 15–30 nt"), ("UGAGGUAGUAGGUUGNNNUAG" * 2, "miRNA is 42 nt")],
)
def test_a_bad_sequence_names_the_row(entry, problem):
    with pytest.raises(InputError, match=f"row 2: {problem}"):
        resolve_mirnas(["hsa-let-7a-5p", entry], EXAMPLE_MIRNAS)


def test_resolve_with_miRBase_22_1(benchmarks):
    reference = mirbase_sequences(str(benchmarks / "reference" / "mature_mirbase22.1.fa"))
    assert resolve_mirnas(["hsa-let-7a-5p"], reference) == [("hsa-let-7a-5p", "UGAGGUAGUAGGUUGUAUAGUU")]
    with pytest.raises(InputError, match="did you mean hsa-miR-21-5p"):
        resolve_mirnas(["hsa-mir-21"], reference)
