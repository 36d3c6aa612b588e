"""Drive the Train page with AppTest: a quick job trains a model that the Models page lists; bad input errors."""

from __future__ import annotations

import numpy as np
import pytest

from rnaapp.jobs import list_jobs, start_training
from rnaapp.registry import list_models, save_model
from rnaapp.train import fit, training_config_for

from .conftest import REPOSITORY, synthetic_pairs

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


@pytest.fixture
def app(user_home):
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/train.py").run()
    assert not app.exception
    return app


def button(app, label):
    return next(widget for widget in app.button if widget.label == label)


def errors(app) -> str:
    return "\n".join(element.value for element in app.error)


def upload(app, frame, name="pairs.csv"):
    app.file_uploader(key="train_upload").set_value(
        (name, frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not app.exception


def test_a_quick_job_trains_a_model_that_every_page_sees(app):
    upload(app, synthetic_pairs(120))
    assert [(metric.label, metric.value) for metric in app.metric][:3] == [
        ("Pairs", "120"),
        ("Positives (label 1)", "60"),
        ("Negatives (label 0)", "60"),
    ]
    app.selectbox(key="train_family").set_value("seed_rule").run()
    assert app.text_input(key="train_name").value == "my_seed_rule"  # follows the family
    assert app.number_input(key="train_seed_rule_learning_rate").value == 0.05  # the family's defaults
    app.number_input(key="train_seed_rule_epochs").set_value(1)
    button(app, "Start training").click().run()
    assert not app.exception
    assert not app.error

    jobs = list_jobs()
    assert len(jobs) == 1
    assert jobs[0].spec["training_settings"]["epochs"] == 1
    assert jobs[0].wait(timeout=120)["state"] == "finished", jobs[0].log()
    app.run()
    assert not app.exception
    assert "my_seed_rule" in app.success[0].value

    app.switch_page("pages/models.py").run()
    assert not app.exception
    assert "my_seed_rule" in app.dataframe[0].value["name"].tolist()
    app.switch_page("pages/predict.py").run()
    assert any("my_seed_rule" in option for option in app.multiselect(key="predict_models").options)


def test_data_problems_are_shown_not_raised(app, tmp_path):
    upload(app, synthetic_pairs(20).drop(columns="label"), name="nolabel.csv")
    assert "nolabel.csv" in errors(app) and "no label column" in errors(app)

    bad = synthetic_pairs(20)
    bad.loc[2, "mirna_seq"] = "ACGXACGUACGUACGUACGUAC"
    upload(app, bad, name="letters.csv")
    assert "letters.csv, row 3" in errors(app) and "letters other than" in errors(app)
    assert not app.metric  # no table kept

    app.radio(key="train_data_mode").set_value("A path on this computer").run()
    app.text_input(key="train_path").set_value("/no/such/pairs.csv")
    button(app, "Read the file").click().run()
    assert not app.exception
    assert "reads typed paths only inside these folders" in errors(app)  # outside: not told whether it exists
    assert app.text_input(key="train_path").value == "/no/such/pairs.csv"  # kept what was typed
    app.text_input(key="train_path").set_value(str(tmp_path / "no-such-pairs.csv"))
    button(app, "Read the file").click().run()
    assert "file not found" in errors(app)

    button(app, "Start training").click().run()
    assert "load labelled data first" in errors(app)
    assert list_jobs() == []


def test_path_on_disk_is_read(app, tmp_path):
    path = tmp_path / "pairs.tsv"
    synthetic_pairs(30).to_csv(path, sep="\t", index=False)
    app.radio(key="train_data_mode").set_value("A path on this computer").run()
    app.text_input(key="train_path").set_value(str(path))
    button(app, "Read the file").click().run()
    assert not app.exception and not app.error
    assert app.metric[0].value == "30"


def test_bad_names_are_refused(app):
    upload(app, synthetic_pairs(60))
    app.selectbox(key="train_family").set_value("seed_rule").run()

    app.text_input(key="train_name").set_value("bad name!").run()
    assert "invalid model name" in errors(app)
    button(app, "Start training").click().run()
    assert not app.exception
    assert "Cannot start training" in errors(app)

    app.text_input(key="train_name").set_value("seed_rule-clash").run()
    assert "shipped model" in errors(app)
    assert list_jobs() == []


def test_replacing_a_model_needs_the_checkbox(app):
    model = fit(
        "seed_rule", synthetic_pairs(60), training_config=training_config_for("seed_rule", {"epochs": 1})
    )
    save_model(model, name="my_seed_rule")
    upload(app, synthetic_pairs(60))
    app.selectbox(key="train_family").set_value("seed_rule").run()
    assert "already have a model called 'my_seed_rule'" in app.warning[0].value

    button(app, "Start training").click().run()
    assert "tick 'Replace my model my_seed_rule'" in errors(app)
    assert list_jobs() == []

    app.number_input(key="train_seed_rule_epochs").set_value(1)
    app.checkbox(key="train_replace").check()
    button(app, "Start training").click().run()
    assert not app.error
    jobs = list_jobs()
    assert len(jobs) == 1
    jobs[0].cancel()
    assert jobs[0].wait(timeout=120)["state"] in {"cancelled", "finished"}


def test_a_second_training_of_a_running_name_is_refused_with_a_message(app):
    first = start_training(
        synthetic_pairs(120),
        family="seed_rule",
        name="my_seed_rule",
        training_settings={"epochs": 100_000, "patience": 100_000},
    )
    try:
        upload(app, synthetic_pairs(60))
        app.selectbox(key="train_family").set_value("seed_rule").run()
        app.number_input(key="train_seed_rule_epochs").set_value(1)
        button(app, "Start training").click().run()
        assert not app.exception
        shown = errors(app)
        assert (
            f"Cannot start training: a training of model 'my_seed_rule' is already running (job {first.id}, pid "
            in shown
        )
        assert "wait for it or choose another name" in shown
        assert [job.id for job in list_jobs()] == [first.id]

        app.text_input(key="train_name").set_value("my_other_rule").run()
        button(app, "Start training").click().run()  # another name starts
        assert not app.exception and not app.error
        (second,) = [job for job in list_jobs() if job.id != first.id]
        assert second.wait(timeout=120)["state"] == "finished", second.log()
    finally:
        first.cancel()
    assert first.wait(timeout=120)["state"] == "cancelled", first.log()


def test_a_running_job_survives_a_reload_and_can_be_cancelled(app):
    upload(app, synthetic_pairs(120))
    app.selectbox(key="train_family").set_value("mirna_site").run()
    tiny = {
        "embedding_dim": 8,
        "cnn_channels": 4,
        "hidden": 8,
        "feedforward": 8,
        "heads": 2,
        "embedding_epochs": 1,
    }
    for name, value in tiny.items():
        app.number_input(key=f"train_mirna_site_arch_{name}").set_value(value)
    app.number_input(key="train_mirna_site_epochs").set_value(500)
    app.number_input(key="train_mirna_site_patience").set_value(500)
    button(app, "Start training").click().run()
    assert not app.exception and not app.error
    (job,) = list_jobs()
    assert job.spec["model_settings"]["heads"] == 2

    reloaded = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)  # a new browser session
    reloaded.run()
    reloaded.switch_page("pages/train.py").run()
    assert not reloaded.exception
    assert reloaded.selectbox(key="train_job").value == job.id
    assert reloaded.get("progress")
    button(reloaded, "Cancel training").click().run()
    assert not reloaded.exception
    assert job.wait(timeout=120)["state"] == "cancelled", job.log()
    reloaded.run()
    assert any("cancelled" in info.value for info in reloaded.info)
    assert "my_mirna_site" not in [card.name for card in list_models()]  # nothing saved


def test_the_chosen_job_is_kept_across_page_switches(app):
    quick = {"epochs": 1}
    older = start_training(
        synthetic_pairs(60), family="seed_rule", name="older", training_settings=quick, run_in_process=True
    )
    failed = start_training(
        synthetic_pairs(60).query("label == 1"), family="seed_rule", name="newer", run_in_process=True
    )
    app.run()
    assert app.selectbox(key="train_job").value == failed.id  # the newest when none is running
    assert "both positive (1) and negative (0)" in errors(app)
    app.selectbox(key="train_job").set_value(older.id).run()
    assert "older" in app.success[0].value
    app.switch_page("pages/models.py").run()
    app.switch_page("pages/train.py").run()
    assert app.selectbox(key="train_job").value == older.id
    assert not app.exception


def test_a_bad_file_keeps_the_data_loaded_before(app):
    upload(app, synthetic_pairs(30), name="good.csv")
    assert app.metric[0].value == "30"
    upload(app, synthetic_pairs(20).drop(columns="label"), name="nolabel.csv")
    assert not app.exception
    assert "nolabel.csv" in errors(app) and "Still using the data loaded before (good.csv)" in errors(app)
    assert app.metric[0].value == "30"


def test_devices_and_pipes_are_refused_within_seconds(app, tmp_path, monkeypatch):
    import os
    import time

    monkeypatch.setenv("RNAAPP_READABLE_FOLDERS", f"{tmp_path}{os.pathsep}/dev")
    fifo = tmp_path / "pairs.csv"
    os.mkfifo(fifo)
    app.radio(key="train_data_mode").set_value("A path on this computer").run()
    for path in ("/dev/zero", str(fifo)):
        app.text_input(key="train_path").set_value(path)
        started = time.perf_counter()
        button(app, "Read the file").click().run()
        assert time.perf_counter() - started < 10.0
        assert not app.exception
        assert "not a regular file" in errors(app)


def test_a_shared_app_offers_uploads_only(app, tmp_path):
    from streamlit import config

    path = tmp_path / "pairs.csv"
    synthetic_pairs(30).to_csv(path, index=False)
    app.radio(key="train_data_mode").set_value("A path on this computer").run()
    app.text_input(key="train_path").set_value(str(path))
    previous = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        app.run()
        assert not app.exception
        assert app.radio(key="train_data_mode").options == ["Upload a file"]
        assert not [widget for widget in app.text_input if widget.key == "train_path"]
        assert any("shared on a network" in caption.value for caption in app.caption)
        app.switch_page("pages/settings.py").run()
        assert app.text_input(key="settings_mirbase").disabled
        assert not app.dataframe  # the server's folders are not listed to visitors
    finally:
        config.set_option("server.address", previous)


def test_a_useless_training_finishes_with_a_warning_not_a_green_finished(app):
    """Issue 21, item 4: random labels, one epoch: the job's verdict is shown as a warning, not success."""
    pairs = synthetic_pairs(400, seed=6)
    pairs["label"] = np.random.default_rng(7).permutation(pairs["label"].to_numpy())
    upload(app, pairs, "random_labels.csv")
    app.selectbox(key="train_family").set_value("seed_rule").run()
    app.number_input(key="train_seed_rule_epochs").set_value(1)
    button(app, "Start training").click().run()
    assert not app.exception and not app.error
    job = list_jobs()[0]
    status = job.wait(timeout=120)
    assert status["state"] == "finished", job.log()
    assert status["verdict"]["level"] == "chance", status["verdict"]["text"]
    card = next(card for card in list_models() if card.name == "my_seed_rule")
    assert card.training["verdict"] == status["verdict"]  # the card says the same
    app.run()
    assert not app.exception
    assert not app.success  # no green "Finished"
    warning = next(element.value for element in app.warning if element.value.startswith("Finished, but"))
    assert "this model is **no better than chance**" in warning and "my_seed_rule" in warning
