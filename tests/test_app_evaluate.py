"""Drive the Evaluate page with AppTest: metrics side by side, threshold slider, breakdown, bad files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import rnaapp.comparison
from rnaapp.metrics import METRIC_NAMES
from rnaapp.registry import defaults, list_models

from .conftest import REPOSITORY, synthetic_pairs

pytest.importorskip("streamlit")
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

PAGE = "pages/evaluate.py"


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """Names of the models the page predicted with (predictions are cached across runs otherwise)."""
    st.cache_data.clear()
    seen: list[str] = []
    original = rnaapp.comparison.score_pairs

    def counting(model, *args, **kwargs):
        seen.append(model.name)
        return original(model, *args, **kwargs)

    # model_probabilities scores every model through rnaapp.inference.score_pairs, looked up there.
    monkeypatch.setattr(rnaapp.comparison, "score_pairs", counting)
    return seen


@pytest.fixture
def app(user_home) -> AppTest:
    names = {card.name for card in list_models()}
    if defaults()["tasks"].get("site") not in names or defaults()["families"].get("seed_rule") not in names:
        pytest.skip("the shipped site model and seed_rule baseline are needed")
    at = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def chosen_models() -> list[str]:
    return [defaults()["tasks"]["site"], defaults()["families"]["seed_rule"]]


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception
    return at


def button(at: AppTest, label: str):
    return next(widget for widget in at.button if widget.label == label)


def evaluate(at: AppTest, models: list[str]) -> AppTest:
    at.multiselect[0].set_value(models)
    button(at, "Evaluate").click().run()
    assert not at.exception
    assert not at.error, [error.value for error in at.error]
    return at


def metrics_table(at: AppTest):
    return next(
        frame.value for frame in at.dataframe if list(frame.value.columns) == ["model", *METRIC_NAMES]
    )


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def confusion_texts(at: AppTest) -> list:
    return [chart["data"][0]["text"] for chart in charts(at) if chart["data"][0]["type"] == "heatmap"]


def test_metrics_curves_and_threshold(app, calls):
    content = synthetic_pairs(40, seed=5).to_csv(index=False).encode()
    upload(app, "test_set.csv", content)
    assert any("40 pairs · 20 positive · 20 negative" in markdown.value for markdown in app.markdown)
    assert "(baselines included" in app.multiselect[0].label
    evaluate(app, chosen_models())
    assert sorted(calls) == sorted(chosen_models())

    table = metrics_table(app)
    assert table["model"].tolist() == chosen_models()
    assert table[list(METRIC_NAMES)].notna().all().all()
    traces = [trace.get("name", "") for chart in charts(app) for trace in chart["data"]]
    assert any(name.startswith(f"{chosen_models()[0]} (AUC") for name in traces)
    assert any(name.startswith(f"{chosen_models()[1]} (AUPR") for name in traces)
    before = confusion_texts(app)
    assert len(before) == 2
    labels = {download.label for download in app.get("download_button")}
    assert {"Predictions (CSV)", "Metrics (CSV)", "Curves (PNG)", "Curves (SVG)"} <= labels

    app.slider[0].set_value(0.95).run()
    assert not app.exception
    assert len(calls) == 2  # the slider re-scores nothing
    after = metrics_table(app)
    assert confusion_texts(app) != before
    assert (after["AUC"] == table["AUC"]).all()
    assert not after["SEN"].equals(table["SEN"])

    button(app, "Evaluate").click().run()
    assert len(calls) == 2  # same file, same models: cached


def test_breakdown_and_demo_set(app, calls):
    button(app, "Use the built-in demo set").click().run()
    assert any("120 pairs · 60 positive · 60 negative" in markdown.value for markdown in app.markdown)
    evaluate(app, [defaults()["families"]["seed_rule"]])
    breakdown = next(frame.value for frame in app.dataframe if "positives" in frame.value.columns)
    assert breakdown["group"].tolist() == ["hsa", "all"]
    app.radio[0].set_value("mirna_id").run()
    assert not app.exception
    breakdown = next(frame.value for frame in app.dataframe if "positives" in frame.value.columns)
    assert len(breakdown) == 11 and breakdown["n"].iloc[-1] == 120
    assert any("What the metrics mean" in expander.label for expander in app.expander)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("no_label.csv", synthetic_pairs(6).drop(columns="label").to_csv(index=False).encode(), "no label"),
        (
            "bad_letter.csv",
            b"mirna_seq,target_seq,label\n"
            b"UGAGGUAGUAGGUUGUAUAGUU,ACUACCUCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,1\n"
            b"UGAGGUAGUAGGUUGUAUAGUU,ACUACCUCAAAAAAAAAAXAAAAAAAAAAAAAAAAAAAAA,0\n",
            "row 2",
        ),
        ("empty.csv", b"", "empty"),
    ],
)
def test_bad_files_show_a_message_and_keep_the_loaded_set(app, name, content, expected):
    upload(app, "good.csv", synthetic_pairs(20, seed=1).to_csv(index=False).encode())
    upload(app, name, content)
    assert app.error, "expected an error message"
    message = app.error[0].value
    assert name in message and expected in message
    assert any("Still using the test set loaded before: good.csv" in caption.value for caption in app.caption)
    assert any("**good.csv**: 20 pairs" in markdown.value for markdown in app.markdown)


def test_rows_whose_mirna_name_has_another_sequence_are_flagged(app):
    pairs = synthetic_pairs(20, seed=2)
    pairs.loc[3, ["mirna_id", "mirna_seq"]] = ["hsa-let-7a-5p", "UAGCUUAUCAGACUGAUGUUGA"]  # miR-21-5p's
    upload(app, "mixed_up.csv", pairs.to_csv(index=False).encode())
    warnings = [warning.value for warning in app.warning]
    assert any(
        "1 row names a miRNA whose reference sequence differs" in text
        and "row 4, hsa-let-7a-5p with the sequence of hsa-miR-21-5p" in text
        for text in warnings
    ), warnings
    table = next(frame.value for frame in app.dataframe if "sequence_of" in frame.value.columns)
    assert table["row"].tolist() == [4]

    upload(app, "clean.csv", synthetic_pairs(20, seed=2).to_csv(index=False).encode())
    assert not any("reference sequence differs" in warning.value for warning in app.warning)


def test_calibration_chart_and_ece(app, calls):
    upload(app, "test_set.csv", synthetic_pairs(40, seed=5).to_csv(index=False).encode())
    evaluate(app, chosen_models())

    table = metrics_table(app)
    assert "ECE" in table.columns and table["ECE"].between(0.0, 1.0).all()
    assert any("### Calibration" in markdown.value for markdown in app.markdown)
    (calibration,) = [
        chart for chart in charts(app) if "reliability" in chart["layout"].get("title", {}).get("text", "")
    ]
    names = [trace["name"] for trace in calibration["data"]]
    assert names[0] == "perfectly calibrated"
    for model, ece in zip(table["model"], table["ECE"], strict=True):
        assert f"{model} (ECE {ece:.3f})" in names
    assert any(
        "Points on the diagonal = calibrated" in caption.value
        and "weighted by pairs per bin" in caption.value
        and "0.5 for the shipped models" in caption.value
        for caption in app.caption
    )

    app.slider[0].set_value(0.9).run()  # ECE does not depend on the threshold
    assert not app.exception
    assert metrics_table(app)["ECE"].tolist() == table["ECE"].tolist()


def test_ranking_table(app, calls):
    button(app, "Use the built-in demo set").click().run()
    evaluate(app, chosen_models())
    assert any("### Ranking" in markdown.value for markdown in app.markdown)
    columns = ["model", "top5_precision", "top100_ties", "distinct_in_top100"]
    (ranking,) = [frame.value for frame in app.dataframe if list(frame.value.columns) == columns]
    assert ranking["model"].tolist() == chosen_models()
    # Ten demo miRNAs with twelve pairs each: every model has a top-5 precision.
    assert ranking["top5_precision"].between(0.0, 1.0).all()
    assert ranking["top100_ties"].between(0.0, 1.0).all()
    assert ranking["distinct_in_top100"].between(1, 100).all()
    assert any(
        "top-5 precision: among each miRNA's five highest-scoring pairs (miRNAs with ≥ 5 pairs)"
        in caption.value
        and "a score that cannot order candidates fails a scan" in caption.value
        for caption in app.caption
    )

    app.slider[0].set_value(0.9).run()  # the ranking does not depend on the threshold
    assert not app.exception
    after = next(frame.value for frame in app.dataframe if list(frame.value.columns) == columns)
    pd.testing.assert_frame_equal(after, ranking)


# Issue 21: the test set's task decides the default comparison.


def test_a_plant_test_set_preselects_the_plant_default_comparison(app, calls):
    from rnaapp.tasks import default_comparison

    from .conftest import plant_pairs

    expected = default_comparison("plant")
    if not expected:
        pytest.skip("no plant model installed")
    upload(app, "plant.csv", plant_pairs(12, mirna_count=3).to_csv(index=False).encode())
    assert app.multiselect[0].value == expected
    assert any("Detected task: **plant miRNA–lncRNA**" in caption.value for caption in app.caption)
    assert not [w for w in app.warning if "another task" in w.value]  # the pre-selected models fit the data
    button(app, "Evaluate").click().run()
    assert not app.exception and not app.error
    assert calls == expected
    assert metrics_table(app)["model"].tolist() == expected


def test_models_of_another_task_get_one_warning_naming_the_better_ones(app):
    from rnaapp.tasks import default_comparison

    from .conftest import plant_pairs

    upload(app, "plant.csv", plant_pairs(12, mirna_count=3).to_csv(index=False).encode())
    app.multiselect[0].set_value(chosen_models()).run()
    warnings = [warning.value for warning in app.warning if "another task" in warning.value]
    assert len(warnings) == 1
    assert "plant miRNA–lncRNA" in warnings[0] and default_comparison("plant")[0] in warnings[0]


def test_a_site_test_set_after_a_plant_one_gets_the_site_comparison_with_mitar(app):
    from rnaapp.tasks import default_comparison

    from .conftest import plant_pairs

    upload(app, "plant.csv", plant_pairs(12, mirna_count=3).to_csv(index=False).encode())
    upload(app, "site.csv", synthetic_pairs(40, seed=5).to_csv(index=False).encode())
    assert app.multiselect[0].value == default_comparison("site")
    families = {card.name: card.family for card in list_models()}
    assert "mitar" in [families[name] for name in app.multiselect[0].value]
    assert not [warning for warning in app.warning if "another task" in warning.value]


def test_a_slow_model_says_how_long_it_will_take_before_it_starts(app, calls, monkeypatch):
    import rnaapp.inference.pairs

    from .conftest import plant_pairs

    monkeypatch.setattr(rnaapp.inference.pairs, "TIME_NOTE_SECONDS", 0.0)
    hybrid = defaults()["families"]["hybrid_mfe"]
    upload(app, "plant.csv", plant_pairs(12, mirna_count=3).to_csv(index=False).encode())
    app.multiselect[0].set_value([hybrid, defaults()["families"]["seed_rule"]]).run()
    notes = [caption.value for caption in app.caption if "timed on this computer" in caption.value]
    assert len(notes) == 1 and hybrid in notes[0] and "12 pairs" in notes[0]
    assert calls == []  # said before anything is scored
    button(app, "Evaluate").click().run()
    assert not app.exception and not app.error
    # The note stays up while the model runs; once its predictions are cached it takes no time, and the
    # note goes on the next run of the page.
    assert [caption for caption in app.caption if "timed on this computer" in caption.value]
    app.run()
    assert not [caption for caption in app.caption if "timed on this computer" in caption.value]
