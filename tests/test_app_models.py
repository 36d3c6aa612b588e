"""Drive the Models page with AppTest: cards, rename and delete of user models, read-only shipped ones, compare."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.registry import defaults, list_models, save_model
from rnaapp.train import fit, training_config_for

from .conftest import REPOSITORY, synthetic_pairs

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

SHIPPED = "seed_rule-clash"


@pytest.fixture
def app(user_home):
    model = fit(
        "seed_rule", synthetic_pairs(60), training_config=training_config_for("seed_rule", {"epochs": 1})
    )
    model.card.training["data"] = "synthetic.csv"
    save_model(model, name="mine")
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/models.py").run()
    assert not app.exception
    return app


def button(app, label):
    return next(widget for widget in app.button if widget.label == label)


def labels(app) -> list[str]:
    return [widget.label for widget in app.button]


def user_models() -> list[str]:
    return [card.name for card in list_models() if card.source == "user"]


def test_lists_every_model_with_its_card(app):
    table = app.dataframe[0].value
    assert {"mine", SHIPPED} <= set(table["name"])
    assert table.set_index("name").loc["mine", "source"] == "user"
    assert table.set_index("name").loc["mine", "training_data"] == "synthetic.csv"

    app.selectbox(key="models_selected").set_value("mine").run()
    assert not app.exception
    assert any(metric.label == "Family" and metric.value == "seed_rule" for metric in app.metric)
    facts = next(frame.value for frame in app.dataframe if list(frame.value.columns) == ["field", "value"])
    assert facts.set_index("field").loc["data", "value"] == "synthetic.csv"
    assert any("no test metrics" in element.value for element in app.markdown)


def test_rename_and_delete_a_user_model(app):
    app.selectbox(key="models_selected").set_value("mine").run()
    assert {"Rename", "Delete"} <= set(labels(app))

    app.text_input(key="models_new_name").set_value("bad name!")
    button(app, "Rename").click().run()
    assert not app.exception
    assert "invalid model name" in app.error[0].value
    assert app.text_input(key="models_new_name").value == "bad name!"  # kept what was typed

    app.text_input(key="models_new_name").set_value(SHIPPED)
    button(app, "Rename").click().run()
    assert "shipped model" in app.error[0].value
    assert user_models() == ["mine"]

    app.text_input(key="models_new_name").set_value("renamed")
    button(app, "Rename").click().run()
    assert not app.exception
    assert user_models() == ["renamed"]
    assert "Renamed 'mine' to 'renamed'" in app.success[0].value
    assert app.selectbox(key="models_selected").value == "renamed"
    assert "renamed" in app.dataframe[0].value["name"].tolist()

    assert button(app, "Delete").disabled  # needs the confirmation first
    app.checkbox(key="models_confirm_delete_renamed").check().run()
    button(app, "Delete").click().run()
    assert not app.exception
    assert user_models() == []
    assert "Deleted 'renamed'" in app.success[0].value
    assert "renamed" not in app.dataframe[0].value["name"].tolist()


def test_shipped_models_are_read_only(app):
    app.selectbox(key="models_selected").set_value(SHIPPED).run()
    assert not app.exception
    assert "Delete" not in labels(app) and "Rename" not in labels(app)
    assert any("read-only" in caption.value for caption in app.caption)


def test_make_default(app):
    app.selectbox(key="models_selected").set_value("mine").run()
    button(app, "Make it the default model").click().run()
    assert not app.exception
    assert defaults()["tasks"]["site"] == "mine"
    assert button(app, "Make it the default model").disabled


def test_compare_cards_side_by_side(app):
    app.multiselect(key="models_compare").select("mine").run()
    assert any("at least two" in info.value for info in app.info)
    app.multiselect(key="models_compare").select(SHIPPED).select("mirna_site-combined").run()
    assert not app.exception
    table = app.dataframe[-1].value
    assert list(table.columns) == ["field", "mine", SHIPPED, "mirna_site-combined"]
    rows = table.set_index("field")
    assert rows.loc["family", "mine"] == "seed_rule"
    assert rows.loc["config · embedding_dim", "mirna_site-combined"] == "64"
    assert rows.loc["config · embedding_dim", SHIPPED] == "—"
    assert float(rows.loc["AUC (deepmirnatar test)", "mirna_site-combined"]) > 0.5


def test_damaged_model_files_are_named_as_warnings(app, user_home):
    """A half-written card is not listed as a model, and the page says which file is damaged."""
    card = user_home / "models" / "mine.json"
    card.write_text(card.read_text(encoding="utf-8")[:40], encoding="utf-8")
    app.run()
    assert not app.exception
    assert any(
        "Not usable: model 'mine'" in warning.value and "mine.json" in warning.value
        for warning in app.warning
    )
    assert "mine" not in set(app.dataframe[0].value["name"])


def test_opens_on_the_sidebar_model_and_follows_it(user_home):
    """Item 7 of issue 21: the card shown first is the sidebar's model, not the first of the list.

    (AppTest keeps the sidebar's widgets for one run only, so the sidebar choice is set through the session
    state, as in tests/test_app.py.)
    """
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    app.session_state["sidebar_model"] = SHIPPED
    app.switch_page("pages/models.py").run()
    assert not app.exception
    assert SHIPPED != app.selectbox(key="models_selected").options[0]  # not simply the first one
    assert app.selectbox(key="models_selected").value == SHIPPED
    assert any(metric.label == "Family" and metric.value == "seed_rule" for metric in app.metric)

    app.session_state["sidebar_model"] = "mirna_site-clash"
    app.run()
    assert not app.exception
    assert app.selectbox(key="models_selected").value == "mirna_site-clash"  # follows a new sidebar choice


def test_a_fresh_models_page_opens_on_the_default_sidebar_model(user_home):
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    sidebar = app.session_state["sidebar_model"]
    app.switch_page("pages/models.py").run()
    assert not app.exception
    assert app.selectbox(key="models_selected").value == sidebar


def test_a_useless_model_shows_its_verdict_as_a_warning(app):
    pairs = synthetic_pairs(400, seed=6)
    pairs["label"] = np.random.default_rng(7).permutation(pairs["label"].to_numpy())
    model = fit(
        "seed_rule", pairs, training_config=training_config_for("seed_rule", {"epochs": 1}), verdict=True
    )
    assert model.card.training["verdict"]["level"] == "chance"
    save_model(model, name="coin")
    app.run()
    assert app.dataframe[0].value.set_index("name").loc["coin", "verdict"] == "no better than chance"
    assert app.dataframe[0].value.set_index("name").loc["mine", "verdict"] == ""  # a card without one
    app.selectbox(key="models_selected").set_value("coin").run()
    assert not app.exception
    warning = next(w.value for w in app.warning if "Training verdict" in w.value)
    assert warning.startswith("Training verdict: this model is **no better than chance**")
    assert model.card.training["verdict"]["text"].split(" (", 1)[1][:20] in warning
    facts = next(frame.value for frame in app.dataframe if list(frame.value.columns) == ["field", "value"])
    assert facts.set_index("field").loc["verdict", "value"].startswith("no better than chance")

    app.selectbox(key="models_selected").set_value("mine").run()  # saved without a verdict: no box
    assert not any("Training verdict" in w.value for w in [*app.warning, *app.success])
