"""A real browser mutates every base of a pair on Predict and designs a seed-mutant control (issue 23).

miR-21-5p against a 40-nt target holding one 8mer: Predict, then "Mutate every base" draws the mutagenesis
heatmap under the attention map (seed match outlined; hovering a cell names the mutant's score and best
site), then "Design a seed-mutant control" lists designs. Chromium and Playwright as in
``tests/test_browser.py`` (skipped without them).
"""

from __future__ import annotations

from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.sites import reverse_complement

from .browser_support import (  # noqa: F401 - fixtures are used by name
    app_home,
    app_url,
    assert_no_exception,
    browser,
    expect,
    open_app,
    page,
    screenshot,
    wait_idle,
)

MIR21 = EXAMPLE_MIRNAS["hsa-miR-21-5p"]
TARGET = "ACGUACGAUCGAUGCA" + reverse_complement(MIR21[1:8]) + "A" + "CAGCUAGCUAGCAUCG"


def test_predict_draws_the_mutagenesis_heatmap_and_designs_a_seed_mutant(page):
    open_app(page)
    page.get_by_role("heading", name="Predict a miRNA–target interaction").wait_for()
    mirna = page.get_by_label("miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p", exact=True)
    mirna.fill("hsa-miR-21-5p")
    mirna.press("Tab")
    target = page.get_by_label("Target (5'→3'): a site or a whole transcript", exact=True)
    target.fill(TARGET)
    target.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for()
    wait_idle(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 1  # attention only, until asked

    page.get_by_role("button", name="Mutate every base").click()
    heatmap = page.locator('[data-testid="stPlotlyChart"]').filter(
        has_text="every substitution of the target"
    )
    heatmap.wait_for(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_text("120 substitutions of nt 1–40", exact=False)).to_be_visible()
    expect(heatmap).to_contain_text("seed match")
    expect(page.get_by_role("button", name="Substitutions (CSV)")).to_be_visible()

    # Hover the middle of the seed match (target 17-24 of 40 columns): the hover label names the mutant.
    plot = heatmap.locator(".nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    hover = page.locator(".hoverlayer .hovertext")
    for row in (0.125, 0.375, 0.625, 0.875):  # one of the four rows is the reference base (no label)
        page.mouse.move(box["x"] + box["width"] * (20.5 / 40), box["y"] + box["height"] * row)
        if hover.count():
            break
    expect(hover.first).to_contain_text("score", timeout=10_000)
    expect(hover.first).to_contain_text("best site")
    screenshot(page, "predict_mutagenesis")

    page.get_by_role("button", name="Design a seed-mutant control").click()
    page.get_by_text("Seed-mutant designs", exact=False).first.wait_for(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("button", name="Designs (CSV)")).to_be_visible()
    assert_no_exception(page)
