"""A real browser clicks through the app's main flows.

Predict (a site pair, a miRNA–gene pair by names), Scan & browse (a 3'UTR scan opened and exported, a plant
lncRNA scan with the shipped plant model, a miRNA–gene candidate ranking), Evaluate, and Train (then Models).

Playwright drives Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` and ``make test`` install it with
apt) against ``streamlit run app.py`` on a free local port, with an isolated ``RNAAPP_HOME``. Playwright
never downloads a browser here. Screenshots of every flow go to ``test-output/browser/`` at the repository
root. The module is skipped when chromium or the ``playwright`` package is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from rnaapp.examples import EXAMPLES

from .browser_support import (  # noqa: F401 - fixtures are used by name
    app_home,
    app_url,
    assert_no_exception,
    browser,
    choose,
    expect,
    go_to,
    open_app,
    page,
    screenshot,
    sync_api,
    wait_idle,
)
from .conftest import synthetic_pairs

#: The built-in example the Predict flow pastes (let-7a-5p against its constructed 8mer site).
EXAMPLE = EXAMPLES[0]

#: A 3,016-nt 3'UTR-like target holding two let-7 8mer sites (CUACCUCA) and no other let-7 site.
UTR_WITH_LET7 = "CCAGGAUUGC" * 100 + "CUACCUCA" + "CCAGGAUUGC" * 100 + "CUACCUCA" + "CCAGGAUUGC" * 100

#: Name of the model the Train flow saves.
MODEL_NAME = "browser-test-model"


def test_predict_the_example(page):
    open_app(page)
    page.get_by_role("heading", name="Predict a miRNA–target interaction").wait_for()
    page.get_by_role("button", name="Use this example").click()
    wait_idle(page)
    mirna = page.get_by_label("miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p", exact=True)
    assert mirna.input_value() == EXAMPLE.mirna_name
    # Paste the example's sequences as a user would (lower case DNA letters are accepted too).
    mirna.fill(EXAMPLE.mirna_seq)
    mirna.press("Tab")
    target = page.get_by_label("Target (5'→3'): a site or a whole transcript", exact=True)
    target.fill(EXAMPLE.target_seq.lower().replace("u", "t"))
    target.press("Tab")
    wait_idle(page)

    page.get_by_role("button", name="Predict", exact=True).click()
    metric = page.locator('[data-testid="stMetric"]').first
    metric.wait_for()
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for()
    wait_idle(page)

    metrics = dict(text.split("\n", 1) for text in page.locator('[data-testid="stMetric"]').all_inner_texts())
    metrics = {label.strip(): value.strip() for label, value in metrics.items()}
    score = float(next(iter(metrics.values())))  # the first metric is the (sidebar) model's score
    assert 0.9 <= score <= 1.0, metrics
    assert metrics["Seed site"] == EXAMPLE.sites[0][0]
    assert page.get_by_text("miRNA position × target position").count() >= 1  # the heatmap's title
    assert_no_exception(page)
    screenshot(page, "predict")


def test_predict_uses_the_model_chosen_in_the_sidebar(page):
    """Choosing another model in the sidebar makes Predict score with it (and Scan & browse preselect it)."""
    open_app(page)
    choose(page, "Model used by Predict (and the default elsewhere)", "mitar-deepmirnatar")
    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    labels = [
        text.split("\n", 1)[0].strip() for text in page.locator('[data-testid="stMetric"]').all_inner_texts()
    ]
    assert labels[0] == "mitar-deepmirnatar", labels
    go_to(page, "Scan & browse", "Scan transcripts and browse candidate interactions")
    model = page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Model", exact=True)
    assert model.input_value() == "mitar-deepmirnatar"
    assert_no_exception(page)


def test_predict_a_gene_pair_by_names(page):
    """The miRNA–gene task with the shipped gene-default: a known hub miRNA and gene, names only."""
    open_app(page)
    page.get_by_role("heading", name="Predict a miRNA–target interaction").wait_for()
    page.get_by_role("radio", name="miRNA–gene").check(force=True)
    wait_idle(page)
    mirna = page.get_by_label("miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p", exact=True)
    mirna.fill("hsa-let-7a-5p")
    mirna.press("Tab")
    gene = page.get_by_label(
        "Gene name (required: the model looks the gene up in its interaction graph)", exact=True
    )
    gene.fill("HMGA2")
    gene.press("Tab")
    target = page.get_by_label(
        "Target sequence (5'→3', optional): e.g. the gene's 3'UTR; leave empty to score by names", exact=True
    )
    target.fill("")
    target.press("Tab")
    wait_idle(page)

    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    metrics = dict(text.split("\n", 1) for text in page.locator('[data-testid="stMetric"]').all_inner_texts())
    score = float(next(iter(metrics.values())).strip())
    assert 0.0 <= score <= 1.0, metrics
    page.get_by_text("are in the interaction graph").first.wait_for()  # both nodes known to the model
    assert_no_exception(page)
    screenshot(page, "predict-gene")


def test_predict_a_gene_pair_with_a_whole_3utr(page):
    """gene-default and gene-utr side by side on a 3 kb 3'UTR with two let-7 8mers: only gene-utr reads it."""
    open_app(page)
    page.get_by_role("heading", name="Predict a miRNA–target interaction").wait_for()
    page.get_by_role("radio", name="miRNA–gene").check(force=True)
    wait_idle(page)
    for label, value in (
        ("miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p", "hsa-let-7a-5p"),
        ("Gene name (required: the model looks the gene up in its interaction graph)", "HMGA2"),
        (
            "Target sequence (5'→3', optional): e.g. the gene's 3'UTR; leave empty to score by names",
            UTR_WITH_LET7,
        ),
    ):
        field = page.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Tab")
    wait_idle(page)
    page.get_by_role(
        "combobox", name="Models (shown side by side; the first draws the sites and the attention map)"
    ).click()
    page.get_by_role("option").filter(has_text="gene-utr").first.click()
    page.keyboard.press("Escape")
    wait_idle(page)

    page.get_by_role("button", name="Predict", exact=True).click()
    page.get_by_text("gene-default: no score, target longer than the 2000 nt this model reads").wait_for()
    wait_idle(page)
    metrics = dict(text.split("\n", 1) for text in page.locator('[data-testid="stMetric"]').all_inner_texts())
    metrics = {label.strip(): value.strip() for label, value in metrics.items()}
    assert metrics["gene-default"] == "—" and 0.0 <= float(metrics["gene-utr"]) <= 1.0, metrics
    assert metrics["Best seed site"] == "8mer"
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for()  # the site map
    assert_no_exception(page)
    screenshot(page, "predict-gene-utr")


def labelled_csv(directory: Path, count: int, name: str) -> Path:
    """A small synthetic labelled pair file (columns mirna_id, mirna_seq, target_id, target_seq, label)."""
    path = directory / name
    columns = ["mirna_id", "mirna_seq", "target_id", "target_seq", "label"]
    synthetic_pairs(count)[columns].to_csv(path, index=False)
    return path


def test_evaluate_an_uploaded_test_set(page, tmp_path):
    open_app(page)
    go_to(page, "Evaluate", "Evaluate models on a labelled test set")
    page.set_input_files('input[type="file"]', labelled_csv(tmp_path, 60, "browser_test_set.csv"))
    page.get_by_text("browser_test_set.csv: 60 pairs").wait_for()
    wait_idle(page)

    evaluate = page.get_by_role("button", name="Evaluate", exact=True)
    expect(evaluate).to_be_enabled()
    evaluate.click()
    page.get_by_role("heading", name="Metrics", exact=True).wait_for()
    page.get_by_role("heading", name="ROC and precision–recall curves").wait_for()
    wait_idle(page)

    # The metrics table: one row per model (the sidebar model and the seed-rule and duplex baselines).
    metrics = page.locator('[data-testid="stDataFrame"]').filter(has_text="seed_rule").filter(has_text="MCC")
    expect(metrics).to_be_visible()
    for column in ("ACC", "MCC", "AUC", "AUPR"):
        expect(metrics).to_contain_text(column)
    for chart in ("evaluate_roc", "evaluate_pr"):
        expect(page.locator(f".st-key-{chart} .js-plotly-plot")).to_be_visible()
    expect(page.locator(".st-key-evaluate_roc")).to_contain_text("AUC")
    assert_no_exception(page)
    screenshot(page, "evaluate")


def test_train_a_quick_model_then_find_it_in_models(page, tmp_path, app_home):
    open_app(page)
    go_to(page, "Train", "Train a model")
    page.set_input_files('input[type="file"]', labelled_csv(tmp_path, 120, "browser_training_set.csv"))
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Pairs").first).to_contain_text("120")
    wait_idle(page)

    choose(page, "Model family", "seed_rule")
    name = page.get_by_label("Name of the new model", exact=True)
    name.fill(MODEL_NAME)
    name.press("Enter")
    wait_idle(page)
    epochs = page.get_by_label("Epochs (at most)", exact=True)
    epochs.fill("1")
    epochs.press("Tab")
    page.get_by_role("button", name="Start training").click()

    page.get_by_text(f"Finished: model {MODEL_NAME}").wait_for(timeout=120_000)
    wait_idle(page)
    card = json.loads((app_home / "models" / f"{MODEL_NAME}.json").read_text())
    assert card["family"] == "seed_rule"
    assert card["training"]["settings"]["epochs"] == 1
    assert card["training"]["data"] == "browser_training_set.csv"
    assert_no_exception(page)
    screenshot(page, "train")

    go_to(page, "Models", "Models")
    choose(page, "Model", MODEL_NAME, main=True)
    page.get_by_role("heading", name=MODEL_NAME, exact=True).first.wait_for()
    assert_no_exception(page)
    screenshot(page, "models")


def download_csv(page, label: str, directory: Path) -> Path:
    """Click a download button and return the saved file."""
    with page.expect_download() as waiting:
        page.get_by_role("button", name=label, exact=True).click()
    path = directory / waiting.value.suggested_filename
    waiting.value.save_as(path)
    return path


def open_scan_page(page, task: str) -> None:
    """Open Scan & browse and choose a task (by its label)."""
    open_app(page)
    go_to(page, "Scan & browse", "Scan transcripts and browse candidate interactions")
    page.get_by_role("radio", name=task).check(force=True)
    wait_idle(page)


def scan_the_demo(page, task: str) -> None:
    """On Scan & browse, choose a task, press Scan on its built-in demo inputs and wait for the results."""
    open_scan_page(page, task)
    page.get_by_role("button", name="Scan", exact=True).click()
    page.get_by_text(re.compile(r"^Scanned \d+ miRNAs? × \d+ transcripts?")).wait_for(timeout=180_000)
    wait_idle(page)


def test_scan_a_3utr_browse_a_pair_and_export(page, tmp_path):
    """Scan & browse: three miRNAs across the demo 3'UTR, open the best pair, export the ranked pairs."""
    scan_the_demo(page, "miRNA–mRNA 3'UTR sites")
    expect(page.get_by_text("Scanned 3 miRNAs × 1 transcript with")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()

    exported = pd.read_csv(download_csv(page, "Pairs (CSV)", tmp_path))
    assert {"rank", "mirna_id", "target_id", "probability", "n_sites"} <= set(exported.columns)
    assert exported["rank"].tolist() == sorted(exported["rank"])
    assert set(exported["mirna_id"]) <= {"hsa-let-7a-5p", "hsa-miR-21-5p", "hsa-miR-155-5p"}

    best = exported.iloc[0]
    choose(page, "Open a pair (or click a row of the table)", f"#1 {best['mirna_id']}", main=True)
    page.get_by_role("heading", name=f"{best['mirna_id']} × {best['target_id']}").wait_for()
    page.get_by_text(re.compile(r"^Duplex · ΔG = -?[\d.]+ kcal/mol$")).wait_for()  # the chosen site's duplex
    page.locator(".st-key-scan_site_map .js-plotly-plot").wait_for()  # the sites along the 3'UTR
    # The default scan model (miTAR-style CNN) draws no attention map; mirna_site models do.
    attention = page.locator(".st-key-scan_heatmap .js-plotly-plot").or_(
        page.get_by_text("has no attention map")
    )
    attention.first.wait_for()
    assert_no_exception(page)
    screenshot(page, "scan-site")


def test_scan_a_lncrna_with_the_plant_model(page, tmp_path):
    """Scan & browse, plant task: the shipped plant model on the demo lncRNA, its duplex and attention."""
    scan_the_demo(page, "plant miRNA–lncRNA")
    expect(page.get_by_text("Scanned 1 miRNA × 1 transcript with")).to_be_visible()

    exported = pd.read_csv(download_csv(page, "Sites (CSV)", tmp_path))
    assert {"mirna_id", "target_id", "start", "end", "expectation"} <= set(exported.columns)
    assert len(exported) >= 1

    choose(page, "Open a pair (or click a row of the table)", "#1 ", main=True)
    page.get_by_text("(the site and its flanks)").first.wait_for()
    page.locator(".st-key-scan_heatmap .js-plotly-plot").wait_for()  # whole-transcript attention
    assert_no_exception(page)
    screenshot(page, "scan-plant")


def test_rank_candidate_gene_pairs(page, tmp_path):
    """Scan & browse, miRNA–gene task: upload known pairs, rank the unknown ones with gene-default."""
    known = pd.DataFrame(
        {
            "mirna_id": ["hsa-let-7a-5p", "hsa-let-7a-5p", "hsa-miR-21-5p", "hsa-miR-155-5p"],
            "target_id": ["HMGA2", "KRAS", "PTEN", "SOCS1"],
        }
    )
    path = tmp_path / "browser_known_pairs.csv"
    known.to_csv(path, index=False)
    open_scan_page(page, "miRNA–gene")
    page.get_by_role("heading", name="Rank candidate miRNA–gene interactions").wait_for()
    page.set_input_files('input[type="file"]', path)
    page.get_by_text("3 miRNAs × 4 genes = 8 candidate pairs").wait_for()
    wait_idle(page)

    page.get_by_role("button", name="Rank candidates", exact=True).click()
    page.get_by_text("highest-scoring unknown pairs").wait_for(timeout=120_000)
    wait_idle(page)
    ranked = pd.read_csv(download_csv(page, "Ranking (CSV)", tmp_path))
    assert len(ranked) == 8  # every unknown pair (fewer than the top 20 asked for)
    assert ranked["probability"].is_monotonic_decreasing
    known_pairs = set(zip(known["mirna_id"], known["target_id"], strict=True))
    assert not known_pairs & set(zip(ranked["mirna_id"], ranked["target_id"], strict=True))
    assert_no_exception(page)
    screenshot(page, "rank-gene")
