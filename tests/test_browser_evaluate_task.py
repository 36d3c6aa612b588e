"""Real browser, issue 21: a plant test set uploaded on Evaluate gets the plant default comparison
pre-selected, and evaluating it shows the metrics of the plant models."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
