"""AppTest: the app shell (navigation, sidebar), the Predict page and the Scan & browse page."""

from __future__ import annotations

import json

import pytest

from rnaapp.jobs import FINAL_STATES
from rnaapp.pair_report import SCORE_COLUMNS, SITE_TABLE_COLUMNS
from rnaapp.registry import ModelNotFoundError, defaults, resolve_name
from rnaapp.scan import PAIR_COLUMNS, SITE_COLUMNS

from .conftest import REPOSITORY

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


@pytest.fixture
def app(user_home):
    try:
        resolve_name("site")
    except ModelNotFoundError as error:
        pytest.skip(f"no shipped site model: {error}")
    return AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=90)


def button(app, label):
    return next(widget for widget in app.button if widget.label == label)


def start(page: str | None = None) -> AppTest:
    """The app run once, switched to ``page`` (a path under pages/), without an exception."""
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=90)
    app.run()
    if page is not None:
        app.switch_page(page).run()
    assert not app.exception
    return app


def choose_task(app: AppTest, key: str, task: str) -> None:
    """Pick ``task`` in the task radio ``key`` (the choice is only drawn when other tasks have models too)."""
    if any(radio.key == key for radio in app.radio):
        app.radio(key=key).set_value(task).run()
        assert not app.exception


def save_user_model(model, name: str) -> str:
    """Save ``model`` as user model ``name``; the first user model of its task becomes the task default
    (user defaults win over the shipped ones)."""
    from rnaapp.registry import list_models, save_model, set_default

    save_model(model, name=name)
    task = model.family.task
    if not any(card.task == task and card.source == "user" and card.name != name for card in list_models()):
        set_default(name)
    return name


def widget(elements, label_start):
    return next(element for element in elements if element.label.startswith(label_start))


def table_with(app: AppTest, column: str):
    """The first table shown with ``column``, and its column settings (help text, number format)."""
    frame = next(frame for frame in app.dataframe if column in frame.value.columns)
    return frame.value, json.loads(frame.proto.columns)


def test_starts_on_predict_with_the_sidebar(app):
    app.run()
    assert not app.exception
    assert app.title[0].value.startswith("Predict")
    assert app.sidebar.selectbox[0].value == resolve_name("site")
    assert any("Runs on" in caption.value for caption in app.sidebar.caption)


def test_predict_shows_scores_sites_duplex_and_heatmap(app):
    app.run()
    button(app, "Predict").click().run()
    assert not app.exception and not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert 0.0 <= float(metrics[resolve_name("site")]) <= 1.0
    assert metrics["Seed site"] == "8mer"
    assert float(metrics["Duplex ΔG (kcal/mol)"]) < -20
    assert "miRNA" in app.code[0].value
    assert len(app.get("plotly_chart")) == 1  # the attention heatmap
    assert [button.label for button in app.get("download_button")][:2] == ["Duplex PNG", "Duplex SVG"]
    scores, columns = table_with(app, "score")  # the graded score next to the probability
    assert scores["model"].tolist() == [resolve_name("site")]
    assert list(scores.columns[scores.columns.get_loc("score") :][:2]) == ["score", "probability"]
    assert scores["probability"].iloc[0] == pytest.approx(float(metrics[resolve_name("site")]), abs=5e-4)
    assert "percentile" not in scores  # a 40-nt site is read whole: no background percentile
    assert columns["score"]["help"] == SCORE_COLUMNS["score"]
    assert columns["score"]["type_config"]["format"] == "%.2f"


def test_predict_follows_the_sidebar_model(app):
    """A model chosen in the sidebar becomes Predict's model (the browser test clicks the whole flow; AppTest
    keeps the sidebar's widgets for one run only, so the choice is set through the session state)."""
    from rnaapp.registry import list_models

    app.run()
    other = next(
        card.name for card in list_models() if card.task == "site" and card.name != resolve_name("site")
    )
    app.session_state["sidebar_model"] = other
    app.run()
    assert not app.exception
    assert app.multiselect(key="predict_models").value == [other]


def test_predict_accepts_lowercase_dna_and_a_name(app):
    app.run()
    widget(app.text_input, "miRNA").set_value("HSA-LET-7A-5P")
    widget(app.text_area, "Target").set_value("ggcuuagauaaaaugaaacuauacaaccuacuaccucauu".replace("u", "t"))
    button(app, "Predict").click().run()
    assert not app.exception and not app.error
    assert {metric.label: metric.value for metric in app.metric}["Seed site"] == "8mer"


def test_predict_takes_a_fasta_record_pasted_into_the_mirna_box(app):
    """A one-line box turns the record's line break into a space: the header is still recognised."""
    app.run()
    widget(app.text_input, "miRNA").set_value(
        ">hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p UGAGGUAGUAGGUUGUAUAGUU"
    )
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    assert {metric.label: metric.value for metric in app.metric}["Seed site"] == "8mer"


def test_predict_scans_a_long_target(app):
    app.run()
    long_target = "ACGUUAGC" * 300 + "AACUAUACAACCUACUACCUCA" + "GCAUUGCA" * 100
    widget(app.text_area, "Target").set_value(long_target)
    button(app, "Predict").click().run()
    assert not app.exception and not app.error
    assert any("scanned" in info.value for info in app.info)
    assert len(app.get("plotly_chart")) == 2  # site map and heatmap
    scores, columns = table_with(app, "score")
    assert list(scores.columns[scores.columns.get_loc("score") :][:3]) == [
        "score",
        "probability",
        "percentile",
    ]
    assert 0 <= scores["percentile"].iloc[0] <= 100 and bool(scores["scanned"].iloc[0])
    assert columns["percentile"]["help"] == SCORE_COLUMNS["percentile"]
    assert columns["percentile"]["type_config"]["format"] == "%.0f"
    sites, columns = table_with(app, "contribution")  # each site's share of the score
    assert sites["contribution"].between(0, 1).all() and sites["contribution"].sum() <= 1 + 1e-9
    assert columns["contribution"]["help"] == SITE_TABLE_COLUMNS["contribution"]
    assert columns["contribution"]["type_config"]["format"] == "percent"


@pytest.mark.parametrize(
    ("mirna", "target", "message"),
    [
        ("UGAGGUAGUAGGXUGUAUAGUU", None, "letters other than"),
        ("", None, "empty"),
        (None, "", "empty"),
        ("hsa-miR-nonexistent", None, "unknown miRNA name"),
    ],
)
def test_predict_bad_input_shows_an_error_and_keeps_the_text(app, mirna, target, message):
    app.run()
    if mirna is not None:
        widget(app.text_input, "miRNA").set_value(mirna)
    if target is not None:
        widget(app.text_area, "Target").set_value(target)
    button(app, "Predict").click().run()
    assert not app.exception
    assert message in app.error[0].value
    if mirna:
        assert widget(app.text_input, "miRNA").value == mirna


def test_predict_marks_the_previous_result_after_an_input_error(app):
    app.run()
    button(app, "Predict").click().run()
    assert not app.error and app.metric
    widget(app.text_input, "miRNA").set_value("hsa-miR-99999")
    button(app, "Predict").click().run()
    assert not app.exception
    assert "unknown miRNA name" in app.error[0].value
    assert any("Below is still the previous result" in info.value for info in app.info)
    widget(app.text_input, "miRNA").set_value("hsa-let-7a-5p")
    button(app, "Predict").click().run()
    assert not app.error and not any("previous result" in info.value for info in app.info)


def test_predict_example_button_fills_the_boxes(app):
    app.run()
    examples = widget(app.selectbox, "Built-in example")
    examples.set_value(examples.options[1]).run()
    button(app, "Use this example").click().run()
    assert not app.exception
    assert widget(app.text_area, "Target").value != ""


def wait_for_scan(app, timeout=60):
    """The page's scan job (:class:`rnaapp.jobs.ScanJob`) once it has ended."""
    job = app.session_state["scan_job"] if "scan_job" in app.session_state else None
    assert job is not None, "no scan was started"
    status = job.wait(timeout=timeout)
    if status["state"] not in FINAL_STATES:
        raise AssertionError("scan did not finish")
    return job


def test_scan_ranks_candidates_and_opens_a_pair(app):
    app.run()
    app.switch_page("pages/scan.py").run()
    assert not app.exception
    chooser = widget(app.selectbox, "Model")
    assert (
        chooser.value == defaults()["uses"]["scan"]
    )  # the scanning default (weights/defaults.json uses.scan)
    chooser.set_value(resolve_name("site")).run()  # a model with an attention map
    button(app, "Scan").click().run()
    job = wait_for_scan(app)
    assert job.error is None
    app.run()
    assert not app.exception and not app.error
    assert any("Scanned 3 miRNAs" in success.value for success in app.success)
    table, columns = table_with(app, "rank")
    assert len(table) >= 1 and table["rank"].is_monotonic_increasing
    assert table["score"].is_monotonic_decreasing  # ranked by the graded score
    assert (table["probability"] >= 0.5).all()  # the default filter
    # score and percentile next to probability, with the site counts and the sites that drive the score
    assert list(table.columns[table.columns.get_loc("score") :][:3]) == ["score", "probability", "percentile"]
    assert table["percentile"].between(0, 100).all()
    assert {"best_site_log_odds", "n_8mer", "n_7mer_m8", "n_noncanonical", "driving_sites"} <= set(
        table.columns
    )
    assert (table["n_sites"] >= table[["n_8mer", "n_7mer_m8", "n_7mer_a1", "n_6mer"]].sum(axis=1)).all()
    assert table.loc[table["n_sites"] > 0, "driving_sites"].str.contains("@").all()
    for column, number_format in {"score": "%.2f", "percentile": "%.0f", "probability": "%.3f"}.items():
        assert columns[column]["help"] == PAIR_COLUMNS[column], column  # hover the header: its meaning
        assert columns[column]["type_config"]["format"] == number_format, column
    assert "by score" in columns["rank"]["help"]
    assert {"Pairs (CSV)", "Sites (CSV)", "Pairs and sites (Excel)"} <= {
        b.label for b in app.get("download_button")
    }
    assert any(
        f"The downloads hold the {len(table):,} pairs that pass the filters" in c.value for c in app.caption
    )
    opener = widget(app.selectbox, "Open a pair")
    opener.set_value(opener.options[1]).run()
    assert not app.exception and not app.error
    assert len(app.get("plotly_chart")) == 2  # site map and attention heatmap
    sites, columns = table_with(app, "site_rank")
    assert {"log_odds", "contribution"} <= set(sites.columns)
    assert columns["log_odds"]["help"] == SITE_COLUMNS["log_odds"]
    assert columns["contribution"]["type_config"]["format"] == "percent"
    assert "miRNA" in app.code[0].value  # the duplex as text


def test_scan_bad_input_shows_errors(app):
    app.run()
    app.switch_page("pages/scan.py").run()
    widget(app.text_area, "miRNAs").set_value("hsa-let-7a-5p\nnot-a-mirna-name")
    button(app, "Scan").click().run()
    assert not app.exception
    assert "row 2" in app.error[0].value or "line 2" in app.error[0].value
    widget(app.text_area, "miRNAs").set_value("hsa-let-7a-5p")
    widget(app.text_area, "Targets").set_value(">t1\nACGUXX\n")
    button(app, "Scan").click().run()
    assert not app.exception
    assert "t1" in app.error[0].value or "record 1" in app.error[0].value or "row 1" in app.error[0].value
    widget(app.text_area, "Targets").set_value("  ")
    button(app, "Scan").click().run()
    assert not app.exception
    assert "the target box is empty" in app.error[0].value


def test_scan_reads_one_bare_sequence_in_the_target_box(app):
    app.run()
    app.switch_page("pages/scan.py").run()
    assert any("The built-in demo scans" in info.value for info in app.info)
    widget(app.text_area, "miRNAs").set_value("hsa-let-7a-5p")
    widget(app.text_area, "Targets").set_value(
        "GCAUUGCA" * 40 + "AACUAUACAACCUACUACCUCA" + "GCAUUGCA" * 40
    ).run()
    assert any("reads the miRNAs and targets given above" in info.value for info in app.info)
    button(app, "Scan").click().run()
    job = wait_for_scan(app)
    assert job.error is None
    app.run()
    assert not app.exception and not app.error
    assert app.dataframe[0].value["target_id"].tolist() == ["target"]
