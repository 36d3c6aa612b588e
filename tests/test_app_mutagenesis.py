"""AppTest: mutagenesis and seed-mutant design on Predict; variant upload and site exports on Scan & browse."""

from __future__ import annotations

import pandas as pd

from rnaapp.examples import EXAMPLE_MIRNAS
from rnaapp.mutagenesis import MUTAGENESIS_COLUMNS
from rnaapp.sites import find_seed_sites, reverse_complement
from tests.test_app import app, button, table_with, wait_for_scan  # noqa: F401 - the app fixture

MIR21 = EXAMPLE_MIRNAS["hsa-miR-21-5p"]
TARGET = "ACGUACGAUCGAUGCA" + reverse_complement(MIR21[1:8]) + "A" + "CAGCUAGCUAGCAUCG"


def test_predict_mutates_every_base_and_designs_a_seed_mutant(app):  # noqa: F811
    app.run()
    app.text_input(key="predict_mirna").set_value("hsa-miR-21-5p")
    app.text_area(key="predict_target").set_value(TARGET)
    button(app, "Predict").click().run()
    assert not app.exception and not app.error
    assert len(app.get("plotly_chart")) == 1  # the attention map; no mutagenesis before it is asked for
    button(app, "Mutate every base").click().run()
    assert not app.exception and not app.error
    assert len(app.get("plotly_chart")) == 2  # attention and mutagenesis heatmaps
    assert any("120 substitutions of nt 1–40" in caption.value for caption in app.caption)
    assert "Substitutions (CSV)" in {widget.label for widget in app.get("download_button")}
    button(app, "Design a seed-mutant control").click().run()
    assert not app.exception and not app.error
    assert any("Seed-mutant designs" in success.value for success in app.success)
    designs, columns = table_with(app, "substitutions")
    assert designs["abolished"].all()
    assert all(find_seed_sites(MIR21, mutant) == [] for mutant in designs["mutant"])
    assert "Designs (CSV)" in {widget.label for widget in app.get("download_button")}
    # the miRNA can be mutated too
    app.radio(key="predict_mutagenesis_molecule").set_value("miRNA").run()
    assert not app.exception and not app.error
    assert any("66 substitutions of nt 1–22" in caption.value for caption in app.caption)
    assert set(MUTAGENESIS_COLUMNS) <= {"molecule", *MUTAGENESIS_COLUMNS}


def test_scan_scores_an_uploaded_variant_table_and_offers_bed_gff3_intarna(app):  # noqa: F811
    app.run()
    app.switch_page("pages/scan.py").run()
    button(app, "Scan").click().run()
    job = wait_for_scan(app)
    assert job.error is None
    app.run()
    assert not app.exception and not app.error
    labels = {widget.label for widget in app.get("download_button")}
    assert {"Sites (BED6)", "Sites (GFF3)", "Hybrids (IntaRNA-like CSV)"} <= labels
    target_id, sequence = next(iter(job.targets.items()))
    sites = job.result.sites
    site = (
        sites[sites["site_type"] == "8mer"].iloc[0] if (sites["site_type"] == "8mer").any() else sites.iloc[0]
    )
    position = int(site["start"]) + 3
    ref = sequence[position - 1]
    alt = "A" if ref != "A" else "C"
    table = f"target_id,position,ref,alt\n{site['target_id']},{position},{ref},{alt}\n{target_id},5,{sequence[4]},G\n"
    app.file_uploader(key="scan_variant_file").set_value(("variants.csv", table.encode(), "text/csv")).run()
    assert not app.exception and not app.error
    effects, _ = table_with(app, "sites_destroyed")
    assert len(effects) == 2 * len(job.mirnas)
    hit = effects[(effects["position"] == position) & (effects["mirna_id"] == site["mirna_id"])].iloc[0]
    assert hit["sites_destroyed"] != "" and hit["delta"] < 0
    assert "Variant effects (CSV)" in {widget.label for widget in app.get("download_button")}
    # a ref that does not match: one message naming the row, the scan stays
    bad = f"target_id,position,ref,alt\n{target_id},5,{'A' if sequence[4] != 'A' else 'C'},G\n"
    app.file_uploader(key="scan_variant_file").set_value(("bad.csv", bad.encode(), "text/csv")).run()
    assert not app.exception
    assert any("row 2: ref" in error.value and "does not match" in error.value for error in app.error)
    assert any("Scanned 3 miRNAs" in success.value for success in app.success)
    assert isinstance(job.result.pairs, pd.DataFrame)
