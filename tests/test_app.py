"""Drive the Streamlit page with AppTest: a good pair is scored, bad input gives a clear error."""

from __future__ import annotations

import pytest

from rnaapp.registry import ModelNotFoundError, resolve_name

from .conftest import REPOSITORY

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


@pytest.fixture
def app(user_home):
    try:
        resolve_name("site")
    except ModelNotFoundError as error:
        pytest.skip(f"no shipped site model: {error}")
    return AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)


def test_scores_the_example_pair(app):
    app.run()
    assert not app.exception
    app.button[0].click().run()
    assert not app.exception
    assert not app.error
    labels = [metric.label for metric in app.metric]
    assert labels == ["Interaction probability", "Seed site", "Hybrid ΔG (kcal/mol)"]
    assert 0.0 <= float(app.metric[0].value) <= 1.0
    assert app.metric[1].value == "8mer"
    assert "miRNA" in app.code[0].value


def test_bad_letters_show_an_error_not_a_traceback(app):
    app.run()
    app.text_input[0].set_value("UGAGGUAGUAGGXUGUAUAGUU")
    app.button[0].click().run()
    assert not app.exception
    assert "letters other than" in app.error[0].value
