"""Drive the Settings page with AppTest: bad miRBase paths are refused, good settings are saved and used."""

from __future__ import annotations

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

    try:
        resolve_name("site")
    except ModelNotFoundError:
        return  # no shipped model to predict with
    app.switch_page("pages/predict.py").run()
    app.text_input(key="predict_mirna").set_value("hsa-miR-9999-5p")
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
