"""Real browser, issue 21: a plant test set uploaded on Evaluate gets the plant default comparison
pre-selected, and evaluating it shows the metrics of the plant models; a long run says how long it will
take before it starts, and its bar counts pairs with the time left."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from rnaapp.inference import TIME_NOTE_SECONDS
from rnaapp.structure import duplex_seconds_per_step
from rnaapp.tasks import default_comparison

from .browser_support import (  # noqa: F401 - fixtures are used by name
    app_home,
    app_url,
    assert_no_exception,
    browser,
    expect,
    go_to,
    open_app,
    page,
    screenshot,
    wait_idle,
)
from .conftest import reverse_complement


def plant_csv(path, count: int = 8, length: int = 600):
    """Labelled plant-like pairs: species bdi, 600-nt lncRNA-like targets; positives hold the miRNA's
    reverse complement."""
    rng = np.random.default_rng(21)
    letters = np.array(list("ACGU"))
    mirnas = ["".join(rng.choice(letters, 21)) for _ in range(2)]
    rows = []
    for index in range(count):
        mirna, label = mirnas[index % 2], (index // 2) % 2
        target = "".join(rng.choice(letters, length))
        if label:
            target = target[:300] + reverse_complement(mirna) + target[321:]
        rows.append(
            {
                "mirna_id": f"bdi-miR{index % 2}",
                "mirna_seq": mirna,
                "target_id": f"lnc-{index}",
                "target_seq": target,
                "label": label,
                "species": "bdi",
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_plant_test_set_preselects_the_plant_models(page, tmp_path):
    expected = default_comparison("plant")
    open_app(page)
    go_to(page, "Evaluate", "Evaluate models on a labelled test set")
    page.set_input_files('input[type="file"]', plant_csv(tmp_path / "plant_browser.csv"))
    page.get_by_text("plant_browser.csv: 8 pairs").wait_for()
    wait_idle(page)
    expect(page.get_by_text("Detected task:")).to_contain_text("plant miRNA–lncRNA")
    chooser = page.locator(".st-key-evaluate_models")
    for name in expected:
        expect(chooser).to_contain_text(name)
    expect(chooser).not_to_contain_text("mirna_site-combined")
    expect(page.get_by_text("another task")).to_have_count(0)

    page.get_by_role("button", name="Evaluate", exact=True).click()
    page.get_by_role("heading", name="Metrics", exact=True).wait_for()
    wait_idle(page)
    metrics = page.locator('[data-testid="stDataFrame"]').filter(has_text="MCC")
    expect(metrics.first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "evaluate_plant_task")


def test_a_long_plant_evaluation_says_its_time_first_and_counts_pairs_with_the_time_left(page, tmp_path):
    # Enough 4-kb lncRNAs that the duplex-energy baseline needs about 1.5 x the note's threshold here.
    length, mirna_length = 4000, 21
    per_pair = duplex_seconds_per_step() * mirna_length * length
    count = 2 * math.ceil(1.5 * TIME_NOTE_SECONDS / per_pair / 2)
    open_app(page)
    go_to(page, "Evaluate", "Evaluate models on a labelled test set")
    page.set_input_files('input[type="file"]', plant_csv(tmp_path / "long_plant.csv", count, length))
    page.get_by_text(f"long_plant.csv: {count} pairs").wait_for()
    wait_idle(page)
    # Before anything runs: the slow baseline's time, estimated on this computer.
    note = page.get_by_text(re.compile(r"hybrid_mfe\S* needs about \d+ (s|min) for these \d+ pairs"))
    expect(note).to_contain_text("timed on this computer")

    page.get_by_role("button", name="Evaluate", exact=True).click()
    # While it runs the bar counts pairs of the model at work and gives the time left.
    bar = page.get_by_text(
        re.compile(r"Scoring with \S+: \d+ of \d+ pairs · (about \d+ (s|min) left|estimating time left)")
    )
    bar.first.wait_for(timeout=120_000)
    page.get_by_role("heading", name="Metrics", exact=True).wait_for(timeout=300_000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "evaluate_long_plant")
