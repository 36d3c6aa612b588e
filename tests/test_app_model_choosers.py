"""Model choosers (AppTest): grouped by task, each task's default first, the user's models before the other
shipped ones; the sidebar names each model's task; navigation icons need no emoji font."""

from __future__ import annotations

import pytest

from rnaapp.registry import defaults, save_model
from rnaapp.train import fit, training_config_for

from .conftest import REPOSITORY, synthetic_pairs

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from pages.common import TASK_LABELS, model_cards  # noqa: E402


@pytest.fixture
def with_user_model(user_home):
    model = fit(
        "seed_rule", synthetic_pairs(60), training_config=training_config_for("seed_rule", {"epochs": 1})
    )
    save_model(model, name="mine")
    return "mine"


def test_cards_are_grouped_by_task_with_the_default_first_then_the_users(with_user_model):
    cards = model_cards()
    tasks = [card.task for card in cards]
    order = [task for task in TASK_LABELS if task in tasks]
    assert tasks == sorted(tasks, key=order.index)  # one block per task, in the order of TASK_LABELS
    site = [card.name for card in model_cards("site")]
    assert site[0] == defaults()["tasks"]["site"]
    assert site[1] == with_user_model  # the user's model right after the default, not at the bottom
    shipped_rest = [card.name for card in model_cards("site")[2:]]
    assert shipped_rest == sorted(shipped_rest)
    for task in {"plant", "gene"} & set(tasks):
        assert model_cards(task)[0].name == defaults()["tasks"][task]


def test_sidebar_names_each_models_task(with_user_model):
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception
    chooser = app.sidebar.selectbox[0]
    shown = chooser.options  # AppTest gives the formatted labels
    assert shown[0].startswith(TASK_LABELS["site"]) and defaults()["tasks"]["site"] in shown[0]
    assert any(label.startswith(TASK_LABELS["site"]) and "mine (yours)" in label for label in shown)
    assert any(label.startswith(TASK_LABELS["plant"]) for label in shown)
    assert any(label.startswith(TASK_LABELS["gene"]) for label in shown)


def test_navigation_icons_are_material_symbols():
    source = (REPOSITORY / "app.py").read_text()
    icons = [part.split('"')[1] for part in source.split("icon=")[1:]]
    assert icons and all(icon.startswith(":material/") for icon in icons)


def test_predict_with_no_model_chosen_uses_the_tasks_default():
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    app.multiselect(key="predict_models").set_value([]).run()
    next(button for button in app.button if button.label == "Predict").click().run()
    assert not app.exception
    assert not app.error, [element.value for element in app.error]
    assert app.multiselect(key="predict_models").value == [defaults()["tasks"]["site"]]
    assert any("No model was chosen" in element.value for element in app.caption)
    assert app.metric  # a score is shown
