"""AppTest of every page with miRNA-gene association models (tiny grmmi / aemigap models trained here).

The models are trained on :func:`tests.conftest.gene_pairs` with the miRNAs renamed to built-in example
miRNAs (``hsa-let-7a-5p`` …), so that the Predict page finds their sequences by name without a miRBase file.
"""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest

from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.jobs import list_jobs
from rnaapp.rank import RANK_COLUMNS
from rnaapp.registry import load_model
from rnaapp.sites import reverse_complement

from .conftest import SMALL_GENE_CONFIGS, gene_pairs
from .test_app import button, choose_task, save_user_model, start

pytest.importorskip("streamlit")
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

MIRNA_NAMES = list(EXAMPLE_MIRNAS)[:8]


def named_pairs(with_sequences: bool = True) -> pd.DataFrame:
    """:func:`gene_pairs` with ``gmir-k`` renamed to the k-th example miRNA (and its real sequence)."""
    pairs = gene_pairs(with_sequences=True)
    names = {f"gmir-{index}": name for index, name in enumerate(MIRNA_NAMES)}
    pairs["mirna_id"] = pairs["mirna_id"].map(names)
    pairs["mirna_seq"] = pairs["mirna_id"].map(EXAMPLE_MIRNAS)
    if not with_sequences:
        pairs["target_seq"] = ""
    return pairs


@pytest.fixture(scope="module")
def gene_models():
    """``gene_models(family)``: a tiny model trained on :func:`named_pairs` (once per module and family)."""
    from rnaapp.train import fit, training_config_for

    trained = {}

    def get(family: str = "grmmi"):
        if family not in trained:
            trained[family] = fit(
                family,
                named_pairs(),
                model_config=SMALL_GENE_CONFIGS[family],
                training_config=training_config_for(family, {"epochs": 2, "batch_size": 16}),
                name=f"tiny-{family}",
            )
        return trained[family]

    return get


@pytest.fixture
def saved(user_home, gene_models):
    """``saved(family, name)``: a tiny gene model saved as a user model (the first: the gene default)."""
    st.cache_data.clear()
    st.cache_resource.clear()

    def save(family: str = "grmmi", name: str | None = None) -> str:
        name = name or f"tiny-{family}"
        return save_user_model(gene_models(family), name)

    return save


def upload(app: AppTest, key: str, name: str, frame: pd.DataFrame) -> None:
    app.file_uploader(key=key).set_value((name, frame.to_csv(index=False).encode(), "text/csv")).run()
    assert not app.exception


def test_predict_a_seen_pair_with_its_sequence_and_heatmap(saved):
    name = saved("grmmi")
    app = start()
    choose_task(app, "predict_task", "gene")
    assert app.multiselect(key="predict_models").value == [name]
    target = named_pairs().query("target_id == 'gene-0'")["target_seq"].iloc[0]
    app.text_input(key="predict_mirna").set_value("hsa-let-7a-5p")
    app.text_input(key="predict_gene").set_value("gene-0")
    app.text_area(key="predict_target").set_value(target)
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert 0.0 <= float(metrics[name]) <= 1.0
    assert float(metrics["Duplex ΔG (kcal/mol)"]) < 0
    assert any("Both hsa-let-7a-5p and gene-0 are in the interaction graph" in s.value for s in app.success)
    (heatmap,) = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(heatmap["data"][0]["x"]) == len(target) and len(heatmap["data"][0]["y"]) == 22
    assert "miRNA" in app.code[0].value
    labels = [download.label for download in app.get("download_button")]
    assert {"Heatmap PNG", "Duplex PNG", "Scores (CSV)"} <= set(labels)


def test_predict_by_names_only_says_when_a_node_is_unseen(saved):
    saved("grmmi")
    aemigap = saved("aemigap")
    app = start()
    choose_task(app, "predict_task", "gene")
    app.multiselect(key="predict_models").set_value([aemigap, "tiny-grmmi"]).run()
    app.text_input(key="predict_mirna").set_value("hsa-miR-21-5p")
    app.text_area(key="predict_target").set_value("")
    button(app, "Predict").click().run()
    assert any("enter the gene's name" in error.value for error in app.error)  # the gene name is required
    app.text_input(key="predict_gene").set_value("gene-23")  # only ever in a negative: unseen
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert set(metrics) == {aemigap, "tiny-grmmi"}
    assert any("the gene gene-23 is not in the interaction graph" in w.value for w in app.warning)
    assert any("Nothing is known about the gene here" in w.value for w in app.warning)
    assert any("No target sequence" in info.value for info in app.info)
    assert not app.get("plotly_chart")
    statuses = app.dataframe[0].value
    assert statuses["node_status"].tolist() == ["unseen gene", "unseen gene"]
    assert "Scores (CSV)" in [download.label for download in app.get("download_button")]
    app.text_input(key="predict_gene").set_value("GENE-0")  # a known gene typed in another case
    button(app, "Predict").click().run()
    assert any("Did you mean gene-0 (instead of GENE-0)?" in w.value for w in app.warning), [
        w.value for w in app.warning
    ]


def test_predict_a_whole_3utr_with_the_shipped_gene_models(user_home):
    """gene-default reads at most 2000 nt, gene-utr a whole 3'UTR: both side by side, then gene-default alone."""
    st.cache_data.clear()
    mirna = EXAMPLE_MIRNAS["hsa-miR-16-5p"]
    site = reverse_complement(mirna[1:8]) + "A"
    utr = "CCAGGAUUGC" * 250 + site + "CCAGGAUUGC" * 250  # 5,008 nt with one 8mer of miR-16
    app = start()
    choose_task(app, "predict_task", "gene")
    app.multiselect(key="predict_models").set_value(["gene-default", "gene-utr"]).run()
    app.text_input(key="predict_mirna").set_value("hsa-miR-16-5p")
    app.text_input(key="predict_gene").set_value("VEGFA")
    app.text_area(key="predict_target").set_value(utr)
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["gene-default"] == "—" and 0.0 <= float(metrics["gene-utr"]) <= 1.0
    assert any("gene-default: no score, target longer than the 2000 nt" in c.value for c in app.caption)
    assert metrics["Best seed site"].startswith("8mer")
    app.multiselect(key="predict_models").set_value(["gene-default"]).run()
    button(app, "Predict").click().run()
    assert not app.exception
    assert any("at most 2000 nt" in error.value and "gene-utr" in error.value for error in app.error)


def test_rank_candidate_interactions_on_the_browse_page(saved):
    name = saved("grmmi")
    app = start("pages/scan.py")
    choose_task(app, "scan_task", "gene")
    assert app.selectbox(key="rank_model").value == name
    known = named_pairs(with_sequences=False)[["mirna_id", "target_id", "label"]]
    upload(app, "rank_upload", "known.csv", known)
    n_known = int(known["label"].sum())
    assert any(f"{n_known:,} known interactions · 8 miRNAs × 24 genes" in m.value for m in app.markdown)
    app.number_input(key="rank_top").set_value(15).run()
    button(app, "Rank candidates").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    table = app.dataframe[0].value
    assert list(table.columns) == list(RANK_COLUMNS) and len(table) == 15
    assert table["score"].is_monotonic_decreasing and table["probability"].is_monotonic_decreasing
    score_column = json.loads(app.dataframe[0].proto.columns)["score"]  # the ranking key, with its meaning
    assert "log-odds" in score_column["help"] and score_column["type_config"]["format"] == "%.3f"
    positives = set(known.loc[known["label"] == 1, ["mirna_id", "target_id"]].itertuples(index=False))
    assert not positives & set(table[["mirna_id", "target_id"]].itertuples(index=False))
    assert "Ranking (CSV)" in [download.label for download in app.get("download_button")]
    app.multiselect(key="rank_mirnas").set_value(["hsa-miR-21-5p"]).run()
    button(app, "Rank candidates").click().run()
    assert not app.exception and not app.error
    assert set(app.dataframe[0].value["mirna_id"]) == {"hsa-miR-21-5p"}


def test_rank_with_3utrs_uploaded_as_fasta(saved):
    """A FASTA of 3'UTRs next to the names-only pairs: genes get their sequence, the table their best site."""
    saved("grmmi")
    app = start("pages/scan.py")
    choose_task(app, "scan_task", "gene")
    upload(
        app, "rank_upload", "known.csv", named_pairs(with_sequences=False)[["mirna_id", "target_id", "label"]]
    )
    let7 = EXAMPLE_MIRNAS["hsa-let-7a-5p"]
    utr = "CCAGG" * 100 + reverse_complement(let7[1:8]) + "A" + "CCAGG" * 100
    fasta = f">ENSG0001|gene-22\n{utr}\n".encode()
    app.file_uploader(key="rank_utr_upload").set_value(("utrs.fa", fasta, "text/plain")).run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    assert any("utrs.fa: 3'UTRs attached to 1 of the 24 genes" in caption.value for caption in app.caption)
    app.number_input(key="rank_top").set_value(500).run()
    button(app, "Rank candidates").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    table = app.dataframe[0].value
    sites = table.set_index(["mirna_id", "target_id"])["site_type"]
    assert sites[("hsa-let-7a-5p", "gene-22")] == "8mer"
    assert set(sites[sites.index.get_level_values("target_id") != "gene-22"]) == {""}
    app.file_uploader(key="rank_utr_upload").set_value(("bad.fa", b"not a fasta", "text/plain")).run()
    assert any("This FASTA file cannot be used" in error.value for error in app.error)


def test_evaluate_names_only_pairs_by_node_status(saved):
    name = saved("aemigap")
    pairs = named_pairs(with_sequences=False)[["mirna_id", "target_id", "label"]]
    app = start("pages/evaluate.py")
    upload(app, "evaluate_upload", "genes.csv", pairs)
    assert not app.error, [error.value for error in app.error]
    assert any(
        "names only" in info.value
        and "which this file lacks: genes.csv: the file lists names only" in info.value
        for info in app.info
    ), [info.value for info in app.info]
    others = [option for option in app.multiselect[0].options if not option.startswith(f"{name} ")][:1]
    app.multiselect[0].set_value([name, *others]).run()  # a site model, if one is shipped
    chosen = app.multiselect[0].value
    button(app, "Evaluate").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    if len(chosen) > 1:
        assert any(f"Not evaluated: {chosen[1]}" in warning.value for warning in app.warning)
    metrics = next(frame.value for frame in app.dataframe if "AUC" in frame.value.columns)
    assert metrics["model"].tolist() == [name] and metrics["AUC"].between(0, 1).all()
    status = next(frame.value for frame in app.dataframe if "node_status" in frame.value.columns)
    assert status["node_status"].tolist() == ["seen", "unseen gene", "all"]  # e.g. gene-23: only in negatives
    assert status["n"].iloc[-1] == len(pairs) == status["n"].iloc[:-1].sum()
    assert status["AUC"].iloc[0] > 0


def test_evaluate_whole_3utrs_with_the_model_that_reads_them(user_home):
    """gene-default cannot read a 3 kb 3'UTR and says so; gene-utr is still evaluated next to it."""
    st.cache_data.clear()
    utr = "CCAGGAUUGC" * 300  # 3,000 nt
    pairs = pd.DataFrame(
        {
            "mirna_id": ["hsa-let-7a-5p", "hsa-miR-21-5p", "hsa-miR-16-5p", "hsa-miR-155-5p"],
            "target_id": ["HMGA2", "PTEN", "NO-SUCH-GENE", "KRAS"],
            "target_seq": [utr, "", utr, ""],
            "label": [1, 1, 0, 0],
        }
    )
    app = start("pages/evaluate.py")
    upload(app, "evaluate_upload", "utrs.csv", pairs)
    app.multiselect[0].set_value(["gene-default", "gene-utr"]).run()
    button(app, "Evaluate").click().run()
    assert not app.exception
    (error,) = [error.value for error in app.error]
    assert error.startswith("Model gene-default:") and "reads targets of at most 2000 nt" in error
    metrics = next(
        frame.value
        for frame in app.dataframe
        if "model" in frame.value.columns and "AUC" in frame.value.columns
    )
    assert metrics["model"].tolist() == ["gene-utr"] and metrics["AUC"].between(0, 1).all()


def test_models_page_lists_a_gene_model_with_a_short_config(saved):
    name = saved("grmmi")
    app = start("pages/models.py")
    table = app.dataframe[0].value.set_index("name")
    assert table.loc[name, "task"] == "gene" and table.loc[name, "family"] == "grmmi"
    app.selectbox(key="models_selected").set_value(name).run()
    assert not app.exception
    assert any(metric.label == "Task" and metric.value == "gene" for metric in app.metric)
    assert any("24 genes of the interaction graph" in caption.value for caption in app.caption)


def test_train_a_gene_model_on_names_only_with_the_distance_filter(user_home, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the job processes' torch threads, as in the tests
    app = start("pages/train.py")
    pairs = named_pairs(with_sequences=False)[["mirna_id", "target_id", "label"]]
    upload(app, "train_upload", "genes.csv", pairs)
    assert any("names only" in info.value for info in app.info)
    button(app, "Start training").click().run()  # the default family needs sequences
    assert any("needs the sequences of every pair" in error.value for error in app.error)
    app.selectbox(key="train_family").set_value("grmmi").run()
    assert not any(widget.key and "gene_nodes" in widget.key for widget in app.text_input)
    assert app.selectbox(key="train_grmmi_arch_fusion").options == [
        "concat",
        "add",
        "average",
        "deep",
        "none",
    ]
    assert app.selectbox(key="train_grmmi_arch_lstm").options == ["bi", "uni", "none"]
    app.selectbox(key="train_grmmi_arch_lstm").set_value("uni")
    app.selectbox(key="train_grmmi_arch_fusion").set_value("add")
    app.checkbox(key="train_grmmi_arch_attention").uncheck()
    app.number_input(key="train_grmmi_arch_embedding_dim").set_value(8)
    app.number_input(key="train_grmmi_arch_graph_folds").set_value(2)
    app.number_input(key="train_grmmi_epochs").set_value(1)
    app.number_input(key="train_grmmi_batch_size").set_value(16)
    app.checkbox(key="train_adjust_negatives").check()
    app.number_input(key="train_adjust_quantile").set_value(0.5)
    button(app, "Start training").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    (report,) = [info.value for info in app.info if "Distance filter (quantile 0.50)" in info.value]
    dropped = int(re.search(r"dropped (\d+) of", report).group(1))
    job = next(job for job in list_jobs() if job.spec["family"] == "grmmi")
    assert job.spec["model_settings"]["lstm"] == "uni" and job.spec["model_settings"]["attention"] is False
    assert "mirna_nodes" not in job.spec["model_settings"]
    assert job.spec["pairs"] == len(pairs) - dropped and "distance filter" in job.spec["data"]
    assert job.wait(timeout=180)["state"] == "finished", job.log()
    model = load_model("my_grmmi")
    assert model.config.fusion == "add" and len(model.config.mirna_nodes) == 8
    time.sleep(0.1)
    app.run()
    assert not app.exception


@pytest.mark.slow
def test_train_an_aemigap_model(user_home, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    app = start("pages/train.py")
    upload(app, "train_upload", "genes.csv", named_pairs(with_sequences=False))
    app.selectbox(key="train_family").set_value("aemigap").run()
    app.text_input(key="train_aemigap_arch_encoder_sizes").set_value("32, 16")
    app.number_input(key="train_aemigap_arch_latent").set_value(4)
    app.number_input(key="train_aemigap_arch_autoencoder_epochs").set_value(2)
    app.number_input(key="train_aemigap_epochs").set_value(1)
    button(app, "Start training").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    job = next(job for job in list_jobs() if job.spec["family"] == "aemigap")
    assert job.wait(timeout=180)["state"] == "finished", job.log()
    model = load_model("my_aemigap")
    assert model.config.encoder_sizes == (32, 16) and model.config.latent == 4
