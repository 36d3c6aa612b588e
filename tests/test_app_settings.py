"""Drive the Settings page with AppTest: bad miRBase paths are refused, good settings are saved and used."""

from __future__ import annotations

import gzip

import pytest

from rnaapp.registry import ModelNotFoundError, resolve_name
from rnaapp.settings import load_settings, settings_path

from .conftest import REPOSITORY

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

MATURE_FA = (
    ">hsa-miR-9999-5p MIMAT9999999 Homo sapiens miR-9999-5p\nUGAGGUAGUAGGUUGUAUAGUU\n"
    ">cel-miR-1 MIMAT0000001 Caenorhabditis elegans miR-1\nUGGAAUGUAAAGAAGUAUGUA\n"
)


@pytest.fixture
def app(user_home, monkeypatch):
    monkeypatch.delenv("RNAAPP_MIRBASE", raising=False)
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/settings.py").run()
    assert not app.exception
    return app


def save(app):
    next(widget for widget in app.button if widget.label == "Save").click().run()
    assert not app.exception


def test_shows_where_files_are_kept(app, user_home):
    paths = app.dataframe[0].value.set_index("what")["path"]
    assert paths["settings"] == str(user_home / "settings.json")
    assert paths["your models"] == str(user_home / "models")
    assert paths["training jobs (data, logs, curves)"] == str(user_home / "jobs")
    assert any("mature.fa" in element.value for element in app.markdown)  # the miRBase help


def test_a_bad_mirbase_path_is_refused(app, tmp_path):
    app.text_input(key="settings_mirbase").set_value(str(tmp_path / "missing.fa"))
    save(app)
    assert "does not exist" in app.error[0].value
    assert "missing.fa" in app.error[0].value
    assert not settings_path().exists()
    assert app.text_input(key="settings_mirbase").value == str(tmp_path / "missing.fa")

    not_fasta = tmp_path / "notes.txt"
    not_fasta.write_text("just some words\n")
    app.text_input(key="settings_mirbase").set_value(str(not_fasta))
    save(app)
    assert "not a miRBase FASTA file" in app.error[0].value
    assert not settings_path().exists()


def test_good_settings_are_saved_and_used_by_predict(app, tmp_path):
    mature = tmp_path / "mature.fa"
    mature.write_text(MATURE_FA)
    app.text_input(key="settings_mirbase").set_value(str(mature))
    app.radio(key="settings_device").set_value("cpu")
    app.number_input(key="settings_batch_size").set_value(128)
    app.radio(key="settings_precision").set_value("bfloat16")
    save(app)
    assert not app.error
    assert "Saved" in app.success[0].value
    settings = load_settings()
    assert (settings.mirbase_path, settings.device, settings.batch_size, settings.precision) == (
        str(mature),
        "cpu",
        128,
        "bfloat16",
    )
    assert any("2 mature miRNAs" in caption.value for caption in app.caption)

    predict_by_name(app, "hsa-miR-9999-5p")


def predict_by_name(app, mirna):
    """Predict with ``mirna`` typed by name on the Predict page: a score, no error (skipped without a model)."""
    try:
        resolve_name("site")
    except ModelNotFoundError:
        return  # no shipped model to predict with
    app.switch_page("pages/predict.py").run()
    app.text_input(key="predict_mirna").set_value(mirna)
    next(widget for widget in app.button if widget.label == "Predict").click().run()
    assert not app.exception
    assert not app.error
    assert app.metric


def test_environment_variable_override_is_shown(user_home, monkeypatch, tmp_path):
    mature = tmp_path / "mature.fa"
    mature.write_text(MATURE_FA)
    monkeypatch.setenv("RNAAPP_MIRBASE", str(mature))
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/settings.py").run()
    assert not app.exception
    assert "RNAAPP_MIRBASE" in app.info[0].value
    assert app.text_input(key="settings_mirbase").value == ""  # the saved path, not the variable's


def upload(app, key, name, content):
    app.file_uploader(key=key).set_value((name, content, "application/octet-stream")).run()
    assert not app.exception


def test_an_uploaded_mature_fa_is_stored_set_and_used(app, user_home):
    upload(app, "settings_mirbase_upload", "mature.fa", MATURE_FA.encode())
    assert not app.error
    stored = user_home / "references" / "mature.fa"
    assert stored.read_text() == MATURE_FA
    assert load_settings().mirbase_path == str(stored)
    assert (
        "mature.fa is now the miRBase file (2 mature miRNAs, 2 with a MIMAT accession)"
        in app.success[0].value
    )
    assert any("2 mature miRNAs" in caption.value for caption in app.caption)
    assert app.text_input(key="settings_mirbase").value == str(stored)
    save(app)  # saving the form keeps the uploaded file
    assert load_settings().mirbase_path == str(stored)


def test_a_bad_upload_keeps_the_previous_file(app, user_home):
    upload(app, "settings_mirbase_upload", "mature.fa", MATURE_FA.encode())
    upload(app, "settings_mirbase_upload", "notes.txt", b"just some words\n")
    assert len(app.error) == 1 and "\n" not in app.error[0].value
    assert "notes.txt not used, the previous miRBase file is kept" in app.error[0].value
    assert "not a miRBase FASTA file" in app.error[0].value
    assert load_settings().mirbase_path == str(user_home / "references" / "mature.fa")
    app.radio(key="settings_device").set_value("cpu").run()  # another rerun: the file is not read again
    assert len(app.error) == 1


def test_a_3utr_fasta_is_uploaded_or_typed(app, user_home, tmp_path):
    utrs = ">ENSG00000141510|ENST00000269305|TP53\nACGUACGUACGUAAAUUUGGGCCC\n"
    upload(app, "settings_utr_upload", "utrs.fa", utrs.encode())
    stored = user_home / "references" / "utr3.fa"
    assert stored.read_text() == utrs and load_settings().utr_fasta == str(stored)
    assert "utrs.fa is now the 3'UTR file (1 3'UTR record)" in app.success[0].value
    assert any("In use" in caption.value and "(1 3'UTR record)" in caption.value for caption in app.caption)

    typed = tmp_path / "other.fa"
    typed.write_text(utrs + ">ENSG2|ENST2|MYC\nACGUUUUAAACCCGGG\n")
    app.text_input(key="settings_utr_fasta").set_value(str(typed))
    save(app)
    assert not app.error and load_settings().utr_fasta == str(typed)
    app.text_input(key="settings_utr_fasta").set_value(str(tmp_path / "missing.fa"))
    save(app)
    assert "the 3'UTR file does not exist" in app.error[0].value
    assert load_settings().utr_fasta == str(typed)


def test_uploads_work_in_a_shared_app(user_home, monkeypatch):
    from streamlit import config

    monkeypatch.delenv("RNAAPP_MIRBASE", raising=False)
    previous = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
        app.run()
        app.switch_page("pages/settings.py").run()
        assert app.text_input(key="settings_mirbase").disabled
        upload(app, "settings_mirbase_upload", "mature.fa.gz", gzip.compress(MATURE_FA.encode()))
        assert not app.error
        assert load_settings().mirbase_path == str(user_home / "references" / "mature.fa.gz")
        assert str(user_home) not in app.success[0].value  # a shared app shows no server paths
        save(app)
        assert load_settings().mirbase_path == str(user_home / "references" / "mature.fa.gz")
    finally:
        config.set_option("server.address", previous)


def test_predict_takes_a_MIMAT_accession_of_the_uploaded_file(app):
    upload(app, "settings_mirbase_upload", "mature.fa", MATURE_FA.encode())
    predict_by_name(app, "mimat9999999")
