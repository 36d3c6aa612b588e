"""AppTest of every page with plant miRNA-lncRNA models (tiny ones, trained here for one epoch)."""

from __future__ import annotations

import json

import pytest

from rnaapp.examples import CONSTRUCTED_LNCRNA, PLANT_EXAMPLE_MIRNAS
from rnaapp.jobs import list_jobs
from rnaapp.registry import load_model

from .conftest import REPOSITORY, plant_pairs
from .test_app import button, choose_task, save_user_model, start, wait_for_scan

pytest.importorskip("streamlit")
import streamlit as st  # noqa: E402

PLANT_EXAMPLE = "plant: ath-miR156a-5p × constructed lncRNA, 800 nt"


@pytest.fixture
def saved(user_home, tiny_plant_model):
    """``saved(family, name)``: a tiny plant model saved as a user model (the first: the plant default)."""
    st.cache_data.clear()
    st.cache_resource.clear()

    def save(family: str = "premli", name: str | None = None) -> str:
        name = name or f"tiny-{family}"
        return save_user_model(tiny_plant_model(family), name)

    return save


def test_predict_scores_the_whole_lncRNA_with_a_heatmap(saved):
    name = saved("premli")
    app = start()
    app.selectbox(key="predict_example").set_value(PLANT_EXAMPLE).run()
    button(app, "Use this example").click().run()
    assert not app.exception
    assert app.text_input(key="predict_mirna").value == "ath-miR156a-5p"  # a name known without miRBase
    assert app.text_area(key="predict_target").value == CONSTRUCTED_LNCRNA
    assert app.session_state["predict_task"] == "plant"  # the example switched the task
    assert app.multiselect(key="predict_models").value == [name]
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert 0.0 <= float(metrics[name]) <= 1.0
    assert metrics["Best complementary site"] == "401–420"
    assert metrics["Expectation"] == "1.5"
    assert float(metrics["Duplex ΔG (kcal/mol)"]) < -20
    assert any("whole target (800 nt)" in info.value for info in app.info)
    sites = app.dataframe[0].value
    assert sites.iloc[0][["start", "end", "mismatches", "wobbles"]].tolist() == [401, 420, 1, 1]
    (heatmap,) = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(heatmap["data"][0]["x"]) == 800 and len(heatmap["data"][0]["y"]) == 20  # the whole lncRNA
    assert "miRNA" in app.code[0].value
    labels = [download.label for download in app.get("download_button")]
    assert {"Heatmap PNG", "Scores (CSV)", "Sites (CSV)"} <= set(labels)


def test_predict_without_attention_and_task_switch(saved):
    name = saved("mixlmi")
    app = start()
    choose_task(app, "predict_task", "plant")
    assert f"{name} · mixlmi (your model)" in app.multiselect(key="predict_models").options
    assert app.multiselect(key="predict_models").value == [name]  # the plant default
    app.text_input(key="predict_mirna").set_value(PLANT_EXAMPLE_MIRNAS["ath-miR156a-5p"])
    app.text_area(key="predict_target").set_value(CONSTRUCTED_LNCRNA[300:600])
    button(app, "Predict").click().run()
    assert not app.exception and not app.error
    assert {metric.label: metric.value for metric in app.metric}["Best complementary site"] == "101–120"
    assert any("None of the chosen models has an attention map" in element.value for element in app.markdown)
    if any(radio.key == "predict_task" for radio in app.radio):  # back to site models: their default
        app.radio(key="predict_task").set_value("site").run()
        assert not app.exception
        assert name not in app.multiselect(key="predict_models").value


def test_scan_and_browse_with_a_plant_model(saved):
    name = saved("premli")
    app = start("pages/scan.py")
    choose_task(app, "scan_task", "plant")
    assert app.selectbox(key="scan_model").value == name
    assert app.text_area(key="scan_mirnas").value == "ath-miR156a-5p"  # the plant demo replaced the site one
    targets = f">lnc_demo\n{CONSTRUCTED_LNCRNA}\n>lnc_plain\n{CONSTRUCTED_LNCRNA[:380]}\n"
    app.text_area(key="scan_targets").set_value(targets)
    app.text_area(key="scan_mirnas").set_value("ath-miR156a-5p\nhsa-let-7a-5p")
    button(app, "Scan").click().run()
    job = wait_for_scan(app, timeout=90)
    assert job.error is None and job.plant
    app.run()
    assert not app.exception and not app.error
    assert any("Scanned 2 miRNAs × 2 transcripts" in success.value for success in app.success)
    app.slider(key="scan_min_p").set_value(0.0).run()
    app.slider(key="scan_max_expectation").set_value(3.0).run()
    table = app.dataframe[0].value
    assert table[["mirna_id", "target_id", "best_site_start"]].values.tolist() == [
        ["ath-miR156a-5p", "lnc_demo", 401]
    ]
    assert table["best_site_expectation"].tolist() == [1.5] and table["best_site_type"].tolist() == ["plant"]
    opener = app.selectbox(key="scan_open_pair")
    opener.set_value(opener.options[1]).run()
    assert not app.exception and not app.error
    assert len(app.get("plotly_chart")) == 2  # site map and the attention over the whole transcript
    assert "miRNA" in app.code[0].value


def test_evaluate_plant_pairs_with_long_lncRNAs(saved, tmp_path):
    plant_name = saved("premli")
    pairs = plant_pairs(16, seed=3)
    pairs.loc[:3, "target_seq"] = pairs.loc[:3, "target_seq"] * 5  # some lncRNAs of 0.5-2 kb
    app = start("pages/evaluate.py")
    app.file_uploader[0].set_value(("plant.csv", pairs.to_csv(index=False).encode(), "text/csv")).run()
    assert not app.exception
    assert any("16 pairs · 8 positive · 8 negative" in markdown.value for markdown in app.markdown)
    assert any("plant miRNA–lncRNA" in option for option in app.multiselect[0].options)
    chosen = [plant_name] + [name for name in ("seed_rule-clash",) if name in app.multiselect[0].options]
    app.multiselect[0].set_value(chosen)
    button(app, "Evaluate").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    table = next(frame.value for frame in app.dataframe if "AUC" in frame.value.columns)
    assert table["model"].tolist() == chosen and table["AUC"].between(0, 1).all()


def test_models_page_lists_a_plant_model(saved):
    name = saved("plant_ensemble")
    app = start("pages/models.py")
    table = app.dataframe[0].value.set_index("name")
    assert table.loc[name, "task"] == "plant" and table.loc[name, "family"] == "plant_ensemble"
    assert table.loc[name, "is_default"]
    app.selectbox(key="models_selected").set_value(name).run()
    assert not app.exception
    assert any(metric.label == "Task" and metric.value == "plant" for metric in app.metric)


@pytest.mark.slow
def test_train_one_epoch_of_each_plant_family(user_home, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the job processes' torch threads, as in the tests
    app = start("pages/train.py")
    app.file_uploader(key="train_upload").set_value(
        ("plant.csv", plant_pairs(40, seed=4).to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not app.exception
    for family in ("mixlmi", "premli", "plant_ensemble"):
        app.selectbox(key="train_family").set_value(family).run()
        assert app.number_input(key=f"train_{family}_batch_size").value == 64  # the family's defaults
        app.number_input(key=f"train_{family}_epochs").set_value(1)
        app.number_input(key=f"train_{family}_batch_size").set_value(16)
        if family == "mixlmi":
            assert app.selectbox(key="train_mixlmi_arch_fusion").options == ["arithmetic", "geometric"]
            app.selectbox(key="train_mixlmi_arch_fusion").set_value("geometric")
            app.multiselect(key="train_mixlmi_arch_groups").set_value(["sequence_kmer", "sequence_gap"])
            app.text_input(key="train_mixlmi_arch_scales").set_value("2, 3")
        elif family == "premli":
            app.checkbox(key="train_premli_arch_site_features").check()
        else:
            app.checkbox(key="train_plant_ensemble_members_site_features").check()
            feature_set = app.selectbox(key="train_plant_ensemble_members_site_feature_set")
            assert feature_set.options == ["sites", "sites+duplex"]
            feature_set.set_value("sites+duplex")
        button(app, "Start training").click().run()
        assert not app.exception and not app.error, [error.value for error in app.error]
        job = next(job for job in list_jobs() if job.spec["family"] == family)
        assert job.wait(timeout=180)["state"] == "finished", job.log()
    settings = {job.spec["family"]: job.spec["model_settings"] for job in list_jobs()}
    assert settings["mixlmi"]["fusion"] == "geometric" and settings["mixlmi"]["scales"] == [2, 3]
    assert settings["premli"]["site_features"] is True
    both = {"site_features": True, "site_feature_set": "sites+duplex"}
    assert settings["plant_ensemble"] == {"mixlmi": both, "premli": both}
    ensemble = load_model("my_plant_ensemble")
    assert all(
        member.site_features and member.site_feature_set == "sites+duplex"
        for member in ensemble.config.members()
    )
    assert load_model("my_mixlmi").config.groups == ("sequence_kmer", "sequence_gap")
    app.run()
    assert not app.exception


def test_predict_with_the_shipped_plant_model(user_home):
    """No user model: the plant example is scored by the shipped default plant model, with its heatmap."""
    shipped = json.loads((REPOSITORY / "weights" / "defaults.json").read_text())["tasks"].get("plant")
    if shipped is None:
        pytest.skip("no plant model is shipped")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = start()
    app.selectbox(key="predict_example").set_value(PLANT_EXAMPLE).run()
    button(app, "Use this example").click().run()
    assert app.multiselect(key="predict_models").value == [shipped]
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert float(metrics[shipped]) > 0.5  # a near-perfect site (expectation 1.5)
    assert len(app.get("plotly_chart")) == 1  # the ensemble's attention heatmap
