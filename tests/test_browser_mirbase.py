"""A real browser uploads a miRBase mature.fa on Settings, then predicts with a MIMAT accession from it.

Same set-up as ``tests/test_browser.py`` (Playwright, Debian's ``/usr/bin/chromium``, ``streamlit run
app.py`` with an isolated ``RNAAPP_HOME``; skipped without chromium or playwright).
"""

from __future__ import annotations

import json
import re

from rnaapp.examples import EXAMPLES

from .browser_support import (  # noqa: F401 - fixtures are used by name
    app_home,
    app_url,
    assert_no_exception,
    browser,
    go_to,
    open_app,
    page,
    screenshot,
    wait_idle,
)

#: The built-in example scored (let-7a-5p against its constructed 8mer site).
EXAMPLE = EXAMPLES[0]
#: A name and accession no built-in miRNA has, so only the uploaded file can resolve them.
NAME, ACCESSION = "hsa-miR-9999-5p", "MIMAT9999999"


def test_upload_mature_fa_then_predict_by_accession(page, tmp_path, app_home):
    mature = tmp_path / "mature.fa"
    mature.write_text(
        f">{NAME} {ACCESSION} Homo sapiens miR-9999-5p\n{EXAMPLE.mirna_seq}\n"
        ">cel-miR-1 MIMAT0000001 Caenorhabditis elegans miR-1\nUGGAAUGUAAAGAAGUAUGUA\n",
        encoding="utf-8",
    )
    open_app(page)
    go_to(page, "Settings", "Settings")
    page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(mature)
    wait_idle(page)
    page.get_by_text(
        "mature.fa is now the miRBase file (2 mature miRNAs, 2 with a MIMAT accession)"
    ).wait_for()
    assert (app_home / "references" / "mature.fa").read_text(encoding="utf-8") == mature.read_text()
    path_box = page.get_by_label("Path of miRBase mature.fa (plain or .gz; leave empty for none)")
    assert path_box.input_value() == str(app_home / "references" / "mature.fa")  # Save keeps the upload
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved to").wait_for()
    saved = json.loads((app_home / "settings.json").read_text(encoding="utf-8"))
    assert saved["mirbase_path"] == str(app_home / "references" / "mature.fa")
    assert_no_exception(page)
    screenshot(page, "settings_mirbase_upload")

    go_to(page, "Predict", "Predict a miRNA–target interaction")
    mirna = page.get_by_label(re.compile(r"^miRNA \(5'→3'\)")).first
    mirna.fill(ACCESSION.lower())
    mirna.press("Tab")
    target = page.get_by_label(re.compile(r"^Target \(5'→3'\)")).first
    target.fill(EXAMPLE.target_seq)
    target.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    metrics = dict(text.split("\n", 1) for text in page.locator('[data-testid="stMetric"]').all_inner_texts())
    score = float(next(iter(metrics.values())).strip())  # the first metric is the model's score
    assert 0.9 <= score <= 1.0, metrics
    assert page.get_by_text(NAME).count() >= 1  # the accession was resolved to the uploaded file's name
    assert_no_exception(page)
    screenshot(page, "predict_by_accession")
