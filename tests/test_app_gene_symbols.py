"""AppTest: gene symbols next to target ids in scans, gene symbols typed in Predict and Scan & browse
(their 3'UTR from an uploaded or configured 3'UTR FASTA, the longest isoform), and the Predict headers."""

from __future__ import annotations

import numpy as np
import pytest

from .test_app import app as app  # noqa: F401  (the fixture)
from .test_app import button, table_with, wait_for_scan, widget

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402  (for the type hints)

LET7A = "UGAGGUAGUAGGUUGUAUAGUU"  # hsa-let-7a-5p
LET7_SITE = "AACUAUACAACCUACUACCUCA"  # a perfect let-7a site (8mer seed match)
_rng = np.random.default_rng(21)


def _background(length: int) -> str:
    return "".join(_rng.choice(list("ACGU"), length))


#: A 3'UTR FASTA of two genes; TP53 has two isoforms, the longer (ENST00000269305) carries a let-7a site.
TP53_SHORT = _background(300)
TP53_LONG = _background(400) + LET7_SITE + _background(400)
MYC_UTR = _background(500)
UTR_FASTA = (
    f">ENSG00000141510|ENST00000413465|TP53\n{TP53_SHORT}\n"
    f">ENSG00000141510|ENST00000269305|TP53\n{TP53_LONG}\n"
    f">ENSG00000136997|ENST00000621592|MYC\n{MYC_UTR}\n"
).encode()


def predict(app: AppTest, mirna: str, target: str) -> None:
    widget(app.text_input, "miRNA").set_value(mirna)
    widget(app.text_area, "Target").set_value(target)
    button(app, "Predict").click().run()
    assert not app.exception


def test_predict_scores_the_longest_3utr_of_a_typed_symbol(app):
    app.run()
    app.file_uploader(key="predict_utr_file").set_value(("utrs.fa", UTR_FASTA, "text/plain")).run()
    predict(app, "hsa-let-7a-5p", "tp53")
    assert not app.error
    header = app.subheader[0].value
    assert header == f"hsa-let-7a-5p × TP53 (ENST00000269305) ({len(TP53_LONG):,} nt)"
    assert any(
        "ENST00000269305" in caption.value and "the longest of 2 isoforms" in caption.value
        for caption in app.caption
    )
    sites, _ = table_with(app, "site_type")
    assert "8mer" in set(sites["site_type"])  # the long isoform's let-7a site was scored
    # an Ensembl transcript id picks that isoform
    predict(app, "hsa-let-7a-5p", "ENST00000413465")
    assert app.subheader[0].value.endswith(f"({len(TP53_SHORT):,} nt)")


def test_predict_unknown_symbol_and_no_reference_say_what_to_do(app):
    app.run()
    predict(app, "hsa-let-7a-5p", "TP53")
    message = app.error[0].value
    assert "reads as a gene name" in message and "Settings" in message and "upload" in message
    app.file_uploader(key="predict_utr_file").set_value(("utrs.fa", UTR_FASTA, "text/plain")).run()
    predict(app, "hsa-let-7a-5p", "TP35")
    assert "no 3'UTR named 'TP35'" in app.error[0].value and "did you mean TP53" in app.error[0].value
    assert widget(app.text_area, "Target").value == "TP35"  # what was typed stays


def test_predict_uses_the_configured_3utr_fasta(app):
    from rnaapp import settings

    store = getattr(settings, "store_utr_upload", None)
    if store is None:
        pytest.skip("this rnaapp has no configured 3'UTR FASTA")
    store(UTR_FASTA, "utrs.fa")
    app.run()
    predict(app, "hsa-let-7a-5p", "MYC")
    assert not app.error
    assert app.subheader[0].value == f"hsa-let-7a-5p × MYC (ENST00000621592) ({len(MYC_UTR):,} nt)"


def test_predict_header_names_a_pasted_mirna_and_counts_sites_in_words(app):
    app.run()
    target = "GCAUUGCA" * 40 + LET7_SITE + "GCAUUGCA" * 40
    predict(app, LET7A, target)
    assert not app.error
    assert app.subheader[0].value == f"hsa-let-7a-5p (pasted, 22 nt) × target ({len(target):,} nt)"
    sites, _ = table_with(app, "site_type")
    scanned = next(info.value for info in app.info if "was scanned" in info.value)
    expected = (
        "1 best candidate site is listed" if len(sites) == 1 else f"{len(sites)} best candidate sites are"
    )
    assert expected in scanned
    predict(app, "UGAGGUAGUAGGUUGUAUAGUA", target)  # no miRNA has this sequence
    assert app.subheader[0].value.startswith("miRNA (pasted, 22 nt) × target")


def test_scan_shows_gene_symbols_of_the_headers_and_scans_typed_symbols(app):
    app.run()
    app.switch_page("pages/scan.py").run()
    widget(app.text_area, "miRNAs").set_value("hsa-let-7a-5p")
    app.file_uploader(key="scan_target_file").set_value(("utrs.fa", UTR_FASTA, "text/plain")).run()
    button(app, "Scan").click().run()
    assert wait_for_scan(app).error is None
    app.run()
    assert not app.exception and not app.error
    widget(app.slider, "Minimum probability").set_value(0.0).run()
    table, columns = table_with(app, "gene_symbol")
    assert list(table.columns[:5]) == ["rank", "mirna_id", "target_id", "gene_symbol", "transcript_id"]
    assert sorted(table["gene_symbol"]) == ["MYC", "TP53", "TP53"]
    assert table.iloc[0]["transcript_id"] == "ENST00000269305"  # the isoform with the let-7a site first
    assert "gene symbol" in columns["gene_symbol"]["help"]
    widget(app.text_input, "Target contains").set_value("myc").run()
    assert table_with(app, "gene_symbol")[0]["gene_symbol"].tolist() == ["MYC"]
    opener = widget(app.selectbox, "Open a pair")
    assert (
        opener.options[1].startswith("#") and "MYC (ENSG00000136997|ENST00000621592|MYC)" in opener.options[1]
    )

    # gene symbols typed in the target box: their longest 3'UTRs from the uploaded 3'UTR FASTA
    app.file_uploader(key="scan_target_file").set_value(None).run()
    widget(app.text_area, "Targets").set_value("tp53\nMYC")
    button(app, "Scan").click().run()
    assert "read as gene names" in app.error[0].value  # no 3'UTR FASTA yet
    app.file_uploader(key="scan_utr_file").set_value(("utrs.fa", UTR_FASTA, "text/plain")).run()
    button(app, "Scan").click().run()
    assert wait_for_scan(app).error is None
    app.run()
    assert not app.exception and not app.error
    widget(app.text_input, "Target contains").set_value("").run()
    table, _ = table_with(app, "gene_symbol")
    assert dict(zip(table["gene_symbol"], table["transcript_id"], strict=True)) == {
        "TP53": "ENST00000269305",
        "MYC": "ENST00000621592",
    }
    assert any("the longest of 2 isoforms" in caption.value for caption in app.caption)


def test_scan_typed_symbols_without_a_reference_say_how_to_add_one(app):
    app.run()
    app.switch_page("pages/scan.py").run()
    widget(app.text_area, "miRNAs").set_value("hsa-let-7a-5p")
    widget(app.text_area, "Targets").set_value("TP53, MYC")
    button(app, "Scan").click().run()
    assert not app.exception
    message = app.error[0].value
    assert (
        "TP53, MYC" in message and "Settings" in message and "3'UTR FASTA to look up gene symbols" in message
    )
