"""A real browser trains a useless model and sees its verdict (issue 21, items 4 and 7).

An uploaded labelled CSV with shuffled (random) labels, one epoch of the seed rule: the Train page ends with
a warning ("Finished, but this model is no better than chance …") instead of the green "Finished"; the
model chosen in the sidebar is the card the Models page opens on, with the same verdict as a warning; a
model chosen on the Models page stays chosen across a page switch. Chromium and Playwright as in
``tests/test_browser.py`` (skipped without them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

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
    wait_idle,
)
from .conftest import synthetic_pairs

MODEL_NAME = "coin-toss-model"
SIDEBAR_LABEL = "Model used by Predict (and the default elsewhere)"


def random_labelled_csv(directory: Path) -> Path:
    """400 synthetic pairs whose labels are shuffled: nothing to learn."""
    pairs = synthetic_pairs(400, seed=6)
    pairs["label"] = np.random.default_rng(7).permutation(pairs["label"].to_numpy())
    path = directory / "random_labels.csv"
    pairs[["mirna_id", "mirna_seq", "target_id", "target_seq", "label"]].to_csv(path, index=False)
    return path


def test_a_useless_training_is_flagged_on_the_train_and_models_pages(page, tmp_path, app_home):
    open_app(page)
    go_to(page, "Train", "Train a model")
    page.set_input_files('input[type="file"]', random_labelled_csv(tmp_path))
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Pairs").first).to_contain_text("400")
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

    warning = page.locator('[data-testid="stAlertContentWarning"]').filter(
        has_text="Finished, but this model is"
    )
    warning.wait_for(timeout=120_000)
    wait_idle(page)
    expect(warning).to_contain_text("no better than chance")
    expect(warning).to_contain_text(MODEL_NAME)
    assert page.get_by_text(f"Finished: model {MODEL_NAME}").count() == 0  # no green "Finished"
    verdict = json.loads((app_home / "models" / f"{MODEL_NAME}.json").read_text())["training"]["verdict"]
    assert verdict["level"] == "chance", verdict["text"]
    assert_no_exception(page)
    screenshot(page, "train_verdict")

    # The Models page opens on the sidebar's model and shows the verdict as a warning.
    choose(page, SIDEBAR_LABEL, MODEL_NAME)
    go_to(page, "Models", "Models")
    page.get_by_role("heading", name=MODEL_NAME, exact=True).first.wait_for()
    card_warning = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="Training verdict")
    expect(card_warning).to_contain_text("this model is no better than chance")
    assert_no_exception(page)
    screenshot(page, "models_verdict")

    # A model chosen on the Models page stays chosen across a page switch while the sidebar stays.
    choose(page, "Model", "seed_rule-clash", main=True)
    page.get_by_role("heading", name="seed_rule-clash", exact=True).first.wait_for()
    go_to(page, "Predict", "Predict a miRNA–target interaction")
    go_to(page, "Models", "Models")
    page.get_by_role("heading", name="seed_rule-clash", exact=True).first.wait_for()
    assert_no_exception(page)
