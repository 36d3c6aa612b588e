"""A real browser: gene symbols of FASTA headers in the scan results, and a gene symbol typed on Predict.

Scan & browse reads an uploaded FASTA whose headers are ``>ENSG…|ENST…|SYMBOL`` and shows each target's
symbol in the results table and in the pair's title; Predict, given a 3'UTR FASTA upload, scores the longest
3'UTR isoform of a typed symbol. Skipped when chromium or playwright is missing (see browser_support).
"""

from __future__ import annotations

import re

import numpy as np

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

LET7_SITE = "AACUAUACAACCUACUACCUCA"  # a perfect let-7a-5p site (8mer seed match)
_rng = np.random.default_rng(7)


def _background(length: int) -> str:
    return "".join(_rng.choice(list("ACGU"), length))


#: Two genes; TP53 has two isoforms, the longer (ENST00000269305) carries a let-7a site.
TP53_LONG = _background(300) + LET7_SITE + _background(300)
UTR_FASTA = (
    f">ENSG00000141510|ENST00000413465|TP53\n{_background(200)}\n"
    f">ENSG00000141510|ENST00000269305|TP53\n{TP53_LONG}\n"
    f">ENSG00000136997|ENST00000621592|MYC\n{_background(400)}\n"
)


def upload(page, key: str, path) -> None:
    """Upload ``path`` into the file uploader of widget key ``key``."""
    page.locator(f".st-key-{key} input[type='file']").set_input_files(str(path))
    wait_idle(page)


def test_scan_results_show_the_gene_symbols_of_the_headers(page, tmp_path):
    fasta = tmp_path / "utrs.fa"
    fasta.write_text(UTR_FASTA)
    open_app(page)
    go_to(page, "Scan & browse", "Scan transcripts and browse candidate interactions")
    mirnas = page.get_by_label("miRNAs: one miRBase name or sequence per line, or FASTA", exact=True)
    mirnas.fill("hsa-let-7a-5p")
    mirnas.press("Tab")
    upload(page, "scan_target_file", fasta)
    page.get_by_text("The scan reads the targets of utrs.fa").wait_for()
    page.get_by_role("button", name="Scan", exact=True).click()
    page.get_by_text(re.compile(r"^Scanned 1 miRNA × 3 transcripts")).wait_for(timeout=120_000)
    wait_idle(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_contain_text("gene_symbol")
    expect(table).to_contain_text("TP53")
    expect(table).to_contain_text("ENST00000269305")
    opener = page.locator('[data-testid="stMain"]').get_by_role(
        "combobox", name="Open a pair (or click a row of the table)", exact=True
    )
    opener.click()
    opener.press_sequentially("TP53")  # the selectbox filters its options as one types
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("heading", name="hsa-let-7a-5p × TP53 (ENSG00000141510|ENST00000269305|TP53)").wait_for()
    page.get_by_text("Transcript ENST00000269305").first.wait_for()
    assert_no_exception(page)
    screenshot(page, "scan-gene-symbols")


def test_predict_a_typed_symbol_scores_its_longest_3utr(page, tmp_path):
    fasta = tmp_path / "utrs.fa"
    fasta.write_text(UTR_FASTA)
    open_app(page)
    page.get_by_role("heading", name="Predict a miRNA–target interaction").wait_for()
    upload(page, "predict_utr_file", fasta)
    mirna = page.get_by_label("miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p", exact=True)
    mirna.fill("hsa-let-7a-5p")
    mirna.press("Tab")
    target = page.get_by_label("Target (5'→3'): a site or a whole transcript", exact=True)
    target.fill("tp53")
    target.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Predict", exact=True).click()
    page.get_by_role(
        "heading", name=f"hsa-let-7a-5p × TP53 (ENST00000269305) ({len(TP53_LONG):,} nt)"
    ).wait_for()
    page.get_by_text(re.compile(r"ENST00000269305 \([\d,]+ nt, the longest of 2 isoforms\)")).wait_for()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    wait_idle(page)
    expect(page.get_by_text("best candidate site").first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "predict-gene-symbol")
