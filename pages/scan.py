"""Scan & browse: many miRNAs against long transcripts, ranked candidate interactions, case-study view.

Site models score the 40-nt window around every candidate seed site; plant miRNA–lncRNA models score each
whole transcript and report its best complementary sites (:mod:`rnaapp.scan`).

For the miRNA–gene task the page ranks candidate interactions instead (:func:`rnaapp.rank.rank_candidates`):
upload the known pairs, and every unknown miRNA–gene pair among them is scored and the best are listed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from pages.common import (
    card_stamp,
    counted,
    csv_bytes,
    default_model,
    download,
    excel_bytes,
    explain_columns,
    get_model,
    inference_options,
    model_cards,
    model_task,
    parse_new_upload,
    remember,
    run_safely,
    selected_model,
    set_remembered,
    show_error,
    sidebar_model_changed,
    table_columns,
    task_chooser,
    upload_help,
    utr_reference_for,
)
from rnaapp import figures
from rnaapp.examples import EXAMPLES
from rnaapp.inference import InferenceOptions
from rnaapp.io import (
    InputError,
    attach_target_sequences,
    looks_like_gene_name,
    read_fasta,
    read_pairs,
)
from rnaapp.io.utrs import utrs_for_genes
from rnaapp.jobs import ScanJob, start_scan
from rnaapp.mutagenesis import VARIANT_COLUMNS, read_variants, variant_effects
from rnaapp.pair_report import PairReport, pair_report
from rnaapp.rank import rank_candidates, seen_nodes
from rnaapp.registry import defaults
from rnaapp.scan import (
    CANDIDATE_TYPES,
    PAIR_COLUMNS,
    PLANT_EXPECTATION_CUTOFF,
    SITE_COLUMNS,
    TARGET_GENE_COLUMNS,
    filter_pairs,
    read_mirna_list,
    read_transcript_records,
)
from rnaapp.scan.export import bed_text, gff3_text, sites_intarna
from rnaapp.settings import load_settings, mirna_reference
from rnaapp.structure import Hybrid, duplex_diagram, hybridize

JOB_KEY = "scan_job"
#: Which 3'UTR each gene name typed in the target box got (shown with the results).
LOOKED_UP_KEY = "_scan_looked_up_utrs"
PAGE_SIZES = (50, 100, 500, 1000)
#: Windows scored per model call of a page's scan: small buffers, so that the progress bar moves often.
SCAN_BUFFER_SIZE = 256
LONG_EXAMPLE = next(
    example for example in EXAMPLES if example.task == "site" and len(example.target_seq) > 1000
)
PLANT_EXAMPLE = next(example for example in EXAMPLES if example.task == "plant")
#: The demo miRNAs and targets of each task (the text boxes start with them).
DEMO_INPUTS = {
    "site": (
        "hsa-let-7a-5p\nhsa-miR-21-5p\nhsa-miR-155-5p",
        f">{LONG_EXAMPLE.target_name.replace(' ', '_')}\n{LONG_EXAMPLE.target_seq}",
    ),
    "plant": (
        PLANT_EXAMPLE.mirna_name,
        f">{PLANT_EXAMPLE.target_name.replace(' ', '_')}\n{PLANT_EXAMPLE.target_seq}",
    ),
}
#: Expectations the plant filter slider offers (the largest keeps every pair).
MAX_EXPECTATION_FILTER = 30.0
#: Meaning of the pair table's ``rank`` (the other columns' meanings are in PAIR_COLUMNS).
RANK_MEANING = (
    "rank over all pairs by score (1 = best; ties: the stronger best site type, then the lower duplex energy)"
)
#: Number formats of the pair and site tables (probability is drawn as a bar; others are shown as they are).


def scan_models(task: str) -> tuple[list[str], str | None]:
    """The models of ``task`` and the one to preselect: the scanning default (site task) or the sidebar's
    model or the task's default."""
    names = [card.name for card in model_cards(task)]
    scan_default = defaults()["uses"].get("scan")
    if task == "site" and scan_default in names:
        return names, scan_default
    chosen = selected_model()
    return names, chosen if model_task(chosen) == task else default_model(task)


def task_changed() -> None:
    """Another task: its default model; the demo inputs follow when the boxes still hold the other demo."""
    task = st.session_state["scan_task"]
    if task not in DEMO_INPUTS:  # the miRNA–gene task ranks candidates instead of scanning
        return
    set_remembered("scan_model", scan_models(task)[1])
    for key, text in zip(("scan_mirnas", "scan_targets"), DEMO_INPUTS[task], strict=True):
        if any(st.session_state.get(key) == demo[index] for demo in DEMO_INPUTS.values() for index in (0, 1)):
            set_remembered(key, text)


# ---------------------------------------------------------------------------------------------------------
# miRNA–gene task: rank candidate interactions
# ---------------------------------------------------------------------------------------------------------

RANK_DATA_KEY = "rank_data"
RANK_ERROR_KEY = "_rank_upload_error"
RANK_SEEN_KEY = "_rank_upload_seen"
RANK_RESULT_KEY = "rank_result"
RANK_UTR_KEY = "rank_utrs"
RANK_UTR_ERROR_KEY = "_rank_utr_error"
RANK_UTR_SEEN_KEY = "_rank_utr_seen"
#: What the columns of the ranking mean (:data:`rnaapp.rank.RANK_COLUMNS`).
RANK_MEANINGS = {
    "rank": "1 = the most likely new interaction",
    "mirna_id": "the miRNA",
    "target_id": "the gene",
    "score": "model log-odds (logit) for the pair: graded where the probability rounds to 1.000; the "
    "ranking key",
    "probability": "the model's probability that the miRNA targets the gene (0-1): the sigmoid of the score",
    "mirna_known_targets": "known interactions of this miRNA in the uploaded pairs (its degree in the graph)",
    "gene_known_mirnas": "known interactions of this gene in the uploaded pairs",
    "neighbourhood_support": "paths miRNA → another gene ← another miRNA → this gene in the known graph: how "
    "many miRNAs that share a target with this miRNA already target this gene (their count of shared "
    "targets summed)",
    "in_neighbourhood": "whether the pair lies in the graph neighbourhood of the known interactions "
    "(neighbourhood_support > 0)",
    "site_type": "the strongest canonical seed site of the miRNA on the gene's sequence, where the uploaded "
    "pairs hold both sequences (else empty)",
}


class _NotCached(LookupError):
    """Raised by :func:`cached_ranking` when asked for a ranking it does not hold."""


@st.cache_data(show_spinner=False, max_entries=16)
def cached_ranking(
    fingerprint: str,
    model_name: str,
    stamp: float,
    top: int,
    mirnas: tuple[str, ...],
    options: InferenceOptions,
    _computed=None,
) -> pd.DataFrame:
    """A ranking, cached per (known pairs, model, card stamp, top, miRNAs, inference options); computed
    outside (progress bar)."""
    if _computed is None:
        raise _NotCached(model_name)
    return _computed


def read_known_pairs(upload: Any | None) -> None:
    """Parse an upload of known pairs once (names only are fine); a bad file keeps the previous one."""

    def parse(content: bytes, name: str) -> pd.DataFrame:
        reference = mirna_reference(load_settings().mirbase_path)
        return read_pairs(content, name=name, require_sequences=False, mirna_reference=reference)

    parsed = parse_new_upload(upload, RANK_SEEN_KEY, RANK_ERROR_KEY, parse)
    if parsed is not None:
        pairs, _ = parsed
        st.session_state[RANK_DATA_KEY] = {
            "name": upload.name,
            "pairs": pairs,
            "fingerprint": hashlib.sha256(pairs.to_csv(index=False).encode()).hexdigest(),
        }


def read_gene_utrs(upload: Any | None) -> None:
    """Parse an optional FASTA of the genes' 3'UTRs once; no upload forgets the last one."""
    if upload is None:
        st.session_state.pop(RANK_UTR_KEY, None)
    parsed = parse_new_upload(
        upload, RANK_UTR_SEEN_KEY, RANK_UTR_ERROR_KEY, lambda content, name: read_fasta(content, name=name)
    )
    if parsed is not None:
        records, digest = parsed
        st.session_state[RANK_UTR_KEY] = {"name": upload.name, "records": records, "digest": digest}


def ranking_data(data: dict, utrs: dict | None) -> tuple[dict, int]:
    """The uploaded pairs with the uploaded 3'UTRs attached by gene name, and how many genes got one."""
    if utrs is None:
        return data, 0
    pairs, genes = attach_target_sequences(data["pairs"], utrs["records"])
    fingerprint = hashlib.sha256(f"{data['fingerprint']} {utrs['digest']}".encode()).hexdigest()
    return data | {"pairs": pairs, "fingerprint": fingerprint}, genes


def known_summary(pairs: pd.DataFrame) -> tuple[int, int, int]:
    """(known interactions, miRNAs, genes) of uploaded pairs (every row is known without a label column)."""
    known = pairs if "label" not in pairs else pairs[pairs["label"] == 1]
    distinct = known.drop_duplicates(["mirna_id", "target_id"])
    return len(distinct), pairs["mirna_id"].nunique(), pairs["target_id"].nunique()


def run_ranking(data: dict, model_name: str, top: int, mirnas: tuple[str, ...]) -> pd.DataFrame | None:
    """The ranking (cached), computed with a progress bar when not cached yet."""
    stamp = card_stamp(model_name)
    options = inference_options()
    try:
        return cached_ranking(data["fingerprint"], model_name, stamp, top, mirnas, options)
    except _NotCached:
        pass
    model = run_safely(lambda: get_model(model_name), f"Model {model_name}")
    if model is None:
        return None
    bar = st.progress(0.0, text="Scoring candidate pairs …")

    def progress(done: int, total: int) -> None:
        bar.progress(
            done / total if total else 1.0, text=f"Scored the candidates of {done:,} of {total:,} miRNAs"
        )

    table = run_safely(
        lambda: rank_candidates(
            model, data["pairs"], mirnas=list(mirnas) or None, top=top, progress=progress, options=options
        ),
        "Ranking",
    )
    bar.empty()
    if table is None:
        return None
    return cached_ranking(data["fingerprint"], model_name, stamp, top, mirnas, options, table)


def unseen_note(model_name: str, pairs: pd.DataFrame) -> str | None:
    """How many of the uploaded miRNAs and genes the model's training graph does not know."""
    model = run_safely(lambda: get_model(model_name))
    if model is None:
        return None
    seen_mirnas, seen_genes = seen_nodes(model)
    mirnas, genes = set(pairs["mirna_id"].astype(str)), set(pairs["target_id"].astype(str))
    unseen_mirnas, unseen_genes = len(mirnas - seen_mirnas), len(genes - seen_genes)
    if not unseen_mirnas and not unseen_genes:
        return None
    return (
        f"{unseen_mirnas:,} of the {len(mirnas):,} miRNAs and {unseen_genes:,} of the {len(genes):,} genes are not "
        f"in the interaction graph {model_name} was trained on: the scores of their pairs rest on the sequences "
        "alone (or on the miRNA sequence only, for pairs without a gene sequence) and are much less reliable. "
        "Rank with a model trained on these pairs (Train page) to use all of them."
    )


def show_ranking_results(result: dict) -> None:
    table: pd.DataFrame = result["table"]
    st.success(
        f"The {len(table):,} highest-scoring unknown pairs by **{result['model']}** "
        f"(known interactions excluded) from {result['name']}."
    )
    if result.get("note"):
        st.warning(result["note"], icon=":material/warning:")
    st.dataframe(
        table,
        hide_index=True,
        key="rank_table",
        column_config={
            "score": st.column_config.NumberColumn("score", format="%.3f", help=RANK_MEANINGS["score"]),
            "probability": st.column_config.ProgressColumn(
                "probability", min_value=0.0, max_value=1.0, format="%.3f"
            ),
            "in_neighbourhood": st.column_config.CheckboxColumn("in_neighbourhood"),
        },
    )
    st.caption("Click a column header to sort the table.")
    explain_columns(RANK_MEANINGS)
    download(
        "Ranking (CSV)",
        csv_bytes(table),
        "rnaapp_ranked_candidates.csv",
        "text/csv",
        "dl_rank_csv",
    )


def show_ranking() -> None:
    """The Scan & browse page for miRNA–gene models: rank candidate interactions among known pairs."""
    st.caption(
        "Upload the known miRNA–gene pairs of a dataset (miRNA and gene names; a label column, where given, "
        "marks the known interactions with 1; sequences optional). Every miRNA × gene pair that is not a "
        "known interaction is scored by a miRNA–gene model, and the most likely are listed with whether they "
        "lie in the graph neighbourhood of the known interactions and, where sequences exist, the best seed "
        "site."
    )
    upload = st.file_uploader(
        help=upload_help(),
        label="Known pairs (CSV or TSV, .gz accepted): columns mirna_id and target_id, optional label",
        type=None,
        key="rank_upload",
    )
    with st.expander("Accepted files"):
        st.markdown(
            "- A table with a header naming the miRNA (`mirna_id`, `miRNA`) and the gene (`target_id`, "
            "`gene`), e.g. `mirna_id,target_id,label`. Rows with label 0 are known non-interactions: they "
            "are scored too, and count as candidates. Without a label column every row is a known "
            "interaction.\n"
            "- Optional `mirna_seq` and `target_seq` columns (5'→3'); miRNA sequences missing from the file "
            "are taken from miRBase by name when a miRBase file is set on the Settings page."
        )
    read_known_pairs(upload)  # None forgets the last file
    data = st.session_state.get(RANK_DATA_KEY)
    if st.session_state.get(RANK_ERROR_KEY):
        show_error(ValueError(st.session_state[RANK_ERROR_KEY]), "This file cannot be used")
        if data is not None:
            st.caption(f"Still using the pairs loaded before: {data['name']}.")
    utr_upload = st.file_uploader(
        "3'UTRs of the genes (FASTA, .gz accepted; optional): headers name the genes as in the pairs",
        type=None,
        key="rank_utr_upload",
        help="Pairs without a target sequence get the 3'UTR of their gene (header id, or a |-separated field "
        "of it such as >ENSG…|ENST…|TP53; the longest of several isoforms). A model that reads whole 3'UTRs "
        "(gene-utr) then counts each miRNA's seed sites, and the table lists the best one.",
    )
    read_gene_utrs(utr_upload)
    if st.session_state.get(RANK_UTR_ERROR_KEY):
        show_error(ValueError(st.session_state[RANK_UTR_ERROR_KEY]), "This FASTA file cannot be used")
    if data is not None:
        data, genes_with_utr = ranking_data(data, st.session_state.get(RANK_UTR_KEY))
        known, n_mirnas, n_genes = known_summary(data["pairs"])
        st.markdown(
            f"**{data['name']}**: {counted(len(data['pairs']), 'pair')} · "
            f"{counted(known, 'known interaction')} · {counted(n_mirnas, 'miRNA')} × {counted(n_genes, 'gene')} "
            f"= {counted(n_mirnas * n_genes - known, 'candidate pair')}"
        )
        if st.session_state.get(RANK_UTR_KEY):
            st.caption(
                f"{st.session_state[RANK_UTR_KEY]['name']}: 3'UTRs attached to {genes_with_utr:,} of the "
                f"{n_genes:,} genes."
            )
    else:
        st.info("Upload the known pairs to rank the unknown ones.")

    names, preferred = scan_models("gene")
    if st.session_state.get("rank_model") not in names:
        st.session_state.pop("rank_model", None)
        st.session_state.pop("_remembered_rank_model", None)
    model_column, top_column = st.columns([3, 1])
    model_name = (
        model_column.selectbox(
            "miRNA–gene model",
            names,
            key=remember("rank_model", preferred),
            help="grmmi and aemigap models use the interaction graph they were trained on; miRNAs and genes "
            "it does not know are scored from sequences alone.",
        )
        if names
        else None
    )
    if model_name is None:
        st.warning("No miRNA–gene model is installed: train a grmmi or aemigap model on the Train page.")
    top_column.number_input("Top N pairs", min_value=1, max_value=10_000, key=remember("rank_top", 20))
    mirna_options = sorted(data["pairs"]["mirna_id"].astype(str).unique()) if data is not None else []
    if any(name not in mirna_options for name in st.session_state.get("rank_mirnas", [])):
        set_remembered("rank_mirnas", [])
    st.multiselect(
        "Only the candidates of these miRNAs (optional; default: every miRNA)",
        mirna_options,
        key=remember("rank_mirnas", []),
    )
    st.caption(
        "To rank with a model trained on exactly these pairs, train a grmmi or aemigap model on the same "
        "file on the **Train** page (training runs in the background there), then choose it here."
    )
    if st.button("Rank candidates", type="primary", disabled=data is None or model_name is None):
        top = int(st.session_state["rank_top"])
        mirnas = tuple(st.session_state["rank_mirnas"])
        table = run_ranking(data, model_name, top, mirnas)
        if table is not None:
            st.session_state[RANK_RESULT_KEY] = {
                "fingerprint": data["fingerprint"],
                "name": data["name"],
                "model": model_name,
                "table": table,
                "note": unseen_note(model_name, data["pairs"]),
            }
    result = st.session_state.get(RANK_RESULT_KEY)
    if result is not None and data is not None and result["fingerprint"] == data["fingerprint"]:
        st.divider()
        show_ranking_results(result)


st.title("Scan transcripts and browse candidate interactions")
task = task_chooser("scan_task", "Task (which models scan)", on_change=task_changed)
if task == "gene":
    st.subheader("Rank candidate miRNA–gene interactions")
    show_ranking()
    st.stop()
plant_task = task == "plant"
st.caption(
    "Give miRNAs (names or FASTA) and long targets (FASTA of lncRNAs, 5'→3'). A plant miRNA–lncRNA model "
    "scores each miRNA against each whole transcript; every pair also gets its best complementary sites "
    "(psRNATarget-style expectation, 0 = perfect complement)."
    if plant_task
    else "Give miRNAs (names or FASTA) and long targets (FASTA of 3'UTRs, lncRNAs or genes, 5'→3'). Every "
    "canonical seed match (8mer … offset-6mer) and, optionally, every seed match with one G:U or mismatch "
    "is scored by the model on its 40-nt window; each miRNA–transcript pair gets the score of its best site."
)

mirna_column, target_column = st.columns(2)
with mirna_column:
    st.text_area(
        "miRNAs: one miRBase name or sequence per line, or FASTA",
        key=remember("scan_mirnas", DEMO_INPUTS[task][0]),
        height=150,
    )
    mirna_upload = st.file_uploader(
        help=upload_help(), label="…or upload miRNAs (FASTA or list)", type=None, key="scan_mirna_file"
    )
    if mirna_upload is not None:
        st.caption(
            f"The scan reads the miRNAs of **{mirna_upload.name}**; the box is ignored while a file is uploaded."
        )
with target_column:
    st.text_area(
        "Targets (FASTA, 5'→3')",
        key=remember("scan_targets", DEMO_INPUTS[task][1]),
        height=150,
    )
    target_upload = st.file_uploader(
        help=upload_help(),
        label="…or upload targets (FASTA, .gz accepted)",
        type=None,
        key="scan_target_file",
    )
    if target_upload is not None:
        st.caption(
            f"The scan reads the targets of **{target_upload.name}**; the box is ignored while a file is uploaded."
        )
    st.file_uploader(
        "3'UTR FASTA to look up gene symbols",
        key="scan_utr_file",
        help="Type gene symbols (TP53), Ensembl gene ids or transcript ids in the target box, one per line or "
        "separated by spaces or commas, to scan their 3'UTRs from this file (headers such as "
        ">ENSG…|ENST…|TP53; the longest isoform of each gene; .gz accepted). A 3'UTR FASTA set on the "
        "Settings page works without an upload.",
    )

options_column, sites_column, model_column = st.columns(3)
options_column.toggle(
    "Include non-canonical seeds (one G:U or mismatch)",
    key=remember("scan_noncanonical", True),
    disabled=plant_task,
    help="Plant models look for complementarity along the whole miRNA, not for seed matches."
    if plant_task
    else None,
)
sites_column.number_input(
    "Sites kept per pair", min_value=1, max_value=20, key=remember("scan_sites_per_pair", 3)
)
task_models, preferred = scan_models(task)
scan_default = defaults()["uses"].get("scan")
if st.session_state.get("scan_model") not in task_models:
    st.session_state.pop("scan_model", None)
    st.session_state.pop("_remembered_scan_model", None)
followed = sidebar_model_changed("scan")
if followed in task_models:
    set_remembered("scan_model", followed)  # a model chosen in the sidebar is the one the scan uses
model_name = (
    model_column.selectbox(
        "Model",
        task_models,
        key=remember("scan_model", preferred),
        help="Plant models score whole transcripts; premli and plant_ensemble models also draw an attention "
        "map over the whole transcript."
        if plant_task
        else f"Default: {scan_default}, the model chosen for scanning whole transcripts (best measured on "
        "whole 3'UTRs, and fast). mirna_site models also draw an attention map for each site."
        if scan_default
        else "The models of the miRNA–target site task.",
    )
    if task_models
    else None
)


def typed_targets(text: str) -> str:
    """The target box as FASTA: one bare sequence (no '>' line) becomes a record named ``target``.

    Raises
    ------
    InputError
        For an empty box.
    """
    if not text.strip():
        raise InputError(
            "the target box is empty: paste targets (FASTA, or one bare sequence) or upload a file"
        )
    return text if text.lstrip().startswith(">") else f">target\n{text}"


def gene_names(text: str) -> list[str] | None:
    """The gene names typed in the target box (one per line, or separated by spaces or commas), or None
    when the box holds sequences or FASTA."""
    if text.lstrip().startswith(">"):
        return None
    words = text.replace(",", " ").replace(";", " ").split()
    return words if words and all(looks_like_gene_name(word) for word in words) else None


def box_targets(text: str) -> tuple[list[tuple[str, str]], dict, str | None]:
    """The targets of the target box: FASTA, one bare sequence, or gene names looked up in a 3'UTR FASTA.

    Returns
    -------
    (list, dict, str or None)
        ``(id, sequence)`` per target, the headers naming genes (``target_headers`` of the scan) and, for
        gene names, which 3'UTR each one got.

    Raises
    ------
    InputError
        For an empty box, bad sequences, gene names without a 3'UTR FASTA (saying how to add one), or
        names the 3'UTR FASTA lacks (with close names).
    """
    names = gene_names(text)
    if names is None:
        targets, headers = read_transcript_records(typed_targets(text), source="target box")
        return targets, headers, None
    reference = utr_reference_for(st.session_state.get("scan_utr_file"))
    if reference is None:
        raise InputError(
            f"{', '.join(names[:3])}{' …' if len(names) > 3 else ''}: these read as gene names, not "
            "sequences: to scan genes' 3'UTRs by symbol or Ensembl id, set a 3'UTR FASTA on the Settings "
            'page or upload one under "3\'UTR FASTA to look up gene symbols"; or paste the sequences '
            "(FASTA)",
            source="target box",
        )
    targets, matches = utrs_for_genes(names, reference)
    return targets, {}, "; ".join(match.describe() for match in matches)


job: ScanJob | None = st.session_state.get(JOB_KEY)
start = st.button("Scan", type="primary", disabled=bool(job and job.running) or model_name is None)
if start:
    reference = run_safely(lambda: mirna_reference(load_settings().mirbase_path), "miRBase file")
    mirna_source = mirna_upload.getvalue() if mirna_upload is not None else st.session_state["scan_mirnas"]
    mirna_name = mirna_upload.name if mirna_upload is not None else "miRNA box"
    mirnas = run_safely(lambda: read_mirna_list(mirna_source, reference or {}, source=mirna_name))
    read = run_safely(
        lambda: (
            (*read_transcript_records(target_upload.getvalue(), source=target_upload.name), None)
            if target_upload is not None
            else box_targets(st.session_state["scan_targets"])
        )
    )
    targets, target_headers, looked_up = read if read is not None else (None, {}, None)
    st.session_state[LOOKED_UP_KEY] = looked_up
    model = run_safely(lambda: get_model(model_name)) if mirnas and targets else None
    if mirnas and targets and model is not None:
        # Worker processes for large scans: the one rule of rnaapp.inference.scan_workers.
        job = start_scan(
            model,
            mirnas,
            targets,
            inference_options(),
            model_name=model_name,
            noncanonical=bool(st.session_state["scan_noncanonical"]),
            sites_per_pair=int(st.session_state["scan_sites_per_pair"]),
            buffer_size=SCAN_BUFFER_SIZE,
            target_headers=target_headers,
        )
        st.session_state[JOB_KEY] = job
        st.session_state.pop("scan_selection", None)


@st.fragment(run_every=0.5)
def scan_progress() -> None:
    current: ScanJob | None = st.session_state.get(JOB_KEY)
    if current is None or not current.running:
        if current is not None and current.ended and not st.session_state.get("_scan_shown"):
            st.session_state["_scan_shown"] = True
            st.rerun()  # draw the results with the whole page
        return
    st.session_state["_scan_shown"] = False
    status = current.status()
    eta = status["eta_seconds"]
    st.progress(
        status["fraction"],
        text=f"Scanned {status['done']:,} of {status['total']:,} miRNA–transcript pairs"
        + (f" · about {eta:.0f} s left" if eta is not None else ""),
    )
    if current.cancel_requested:
        st.caption("Cancelling …")
    elif st.button("Cancel scan"):
        current.cancel()


if job is not None and job.running:
    scan_progress()


@st.cache_data(show_spinner=False, max_entries=64)
def site_report(
    model_name: str, stamp: float, mirna: str, window: str, options: InferenceOptions
) -> PairReport:
    return pair_report([get_model(model_name)], mirna, window, options=options)


def without_empty_gene_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the gene columns (:data:`TARGET_GENE_COLUMNS`) that no target's header filled."""
    empty = [
        column
        for column in TARGET_GENE_COLUMNS
        if column in frame and not frame[column].fillna("").astype(str).str.len().any()
    ]
    return frame.drop(columns=empty)


def show_results(job: ScanJob) -> None:
    result = job.result
    pairs = result.pairs if job.plant else result.pairs.drop(columns="best_site_expectation", errors="ignore")
    sites = result.sites if job.plant else result.sites.drop(columns="expectation", errors="ignore")
    pairs, sites = without_empty_gene_columns(pairs), without_empty_gene_columns(sites)
    if st.session_state.get(LOOKED_UP_KEY):
        st.caption(f"3'UTRs from the 3'UTR FASTA: {st.session_state[LOOKED_UP_KEY]}.")
    what = (
        f"a complementary site of expectation ≤ {PLANT_EXPECTATION_CUTOFF:g}"
        if job.plant
        else "at least one candidate site"
    )
    st.success(
        f"Scanned {counted(len(job.mirnas), 'miRNA')} × {counted(job.n_targets, 'transcript')} with "
        f"**{job.model_name}** in {job.elapsed:.1f} s: "
        f"{counted(int((pairs['n_sites'] > 0).sum()), 'pair')} with {what}, {counted(len(sites), 'site')} kept."
    )
    with st.container(border=True):
        first, second, third, fourth = st.columns(4)
        min_probability = first.slider("Minimum probability", 0.0, 1.0, key=remember("scan_min_p", 0.5))
        site_types: list[str] = []
        max_expectation = None
        if job.plant:
            max_expectation = second.slider(
                "Best site expectation at most",
                0.0,
                MAX_EXPECTATION_FILTER,
                step=0.5,
                format="%.1f",
                key=remember("scan_max_expectation", MAX_EXPECTATION_FILTER),
                help="0 = perfect complement; psRNATarget calls sites up to 5 (strict: 3). "
                f"{MAX_EXPECTATION_FILTER:g} keeps every pair.",
            )
        else:
            site_types = second.multiselect(
                "Best site type", list(CANDIDATE_TYPES) + ["none"], key=remember("scan_types", [])
            )
        mirna_ids = third.multiselect(
            "miRNAs", sorted(pairs["mirna_id"].unique()), key=remember("scan_filter_mirnas", [])
        )
        target_query = fourth.text_input(
            "Target contains",
            key=remember("scan_target_query", ""),
            help="Part of a target's id, gene symbol or transcript id (any case).",
        )
        sort_column, order_column, size_column = st.columns(3)
        sort_options = [
            "rank",
            "score",
            "probability",
            "best_site_energy",
            "n_sites",
            "mirna_id",
            "target_id",
            *(column for column in TARGET_GENE_COLUMNS if column in pairs),
        ]
        if job.plant:
            sort_options.insert(3, "best_site_expectation")
        else:
            sort_options.insert(3, "percentile")
        if st.session_state.get("scan_sort") not in sort_options:
            set_remembered("scan_sort", "rank")
        sort_by = sort_column.selectbox("Sort by", sort_options, key=remember("scan_sort", "rank"))
        ascending = order_column.radio(
            "Order", ["ascending", "descending"], horizontal=True, key=remember("scan_order", "ascending")
        )
        page_size = size_column.selectbox("Rows per page", PAGE_SIZES, key=remember("scan_page_size", 100))
    shown = filter_pairs(
        pairs,
        min_probability=min_probability,
        site_types=site_types,
        mirnas=mirna_ids,
        target_query=target_query,
        max_expectation=None
        if max_expectation is None or max_expectation >= MAX_EXPECTATION_FILTER
        else max_expectation,
        sort_by=sort_by,
        ascending=ascending == "ascending",
    )
    pages = max(1, -(-len(shown) // page_size))
    page_column, count_column = st.columns([1, 3])
    page = page_column.number_input("Page", min_value=1, max_value=pages, value=1, key="scan_page")
    count_column.caption(f"{len(shown):,} of {len(pairs):,} pairs pass the filters · page {page} of {pages}")
    page_rows = shown.iloc[(page - 1) * page_size : page * page_size]
    selection = st.dataframe(
        page_rows,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="scan_table",
        column_config=table_columns(page_rows, PAIR_COLUMNS | {"rank": RANK_MEANING}),
    )
    explain_columns(
        {key: value for key, value in PAIR_COLUMNS.items() if key in pairs} | {"rank": RANK_MEANING}
    )
    shown_sites = sites.merge(shown[["mirna_id", "target_id"]], on=["mirna_id", "target_id"])
    st.caption(
        f"The downloads hold the {len(shown):,} pairs that pass the filters above"
        + (f" (of {len(pairs):,}; widen the filters to export them all)." if len(shown) < len(pairs) else ".")
    )
    first, second, third = st.columns(3)
    with first:
        download(
            "Pairs (CSV)", lambda: csv_bytes(shown), "rnaapp_scan_pairs.csv", "text/csv", "dl_scan_pairs"
        )
    with second:
        download(
            "Sites (CSV)",
            lambda: csv_bytes(shown_sites),
            "rnaapp_scan_sites.csv",
            "text/csv",
            "dl_scan_sites",
        )
    with third:
        if len(shown) < 1_000_000 and len(shown_sites) < 1_000_000:
            download(
                "Pairs and sites (Excel)",
                lambda: excel_bytes({"pairs": shown, "sites": shown_sites}),
                "rnaapp_scan.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "dl_scan_xlsx",
            )
        else:
            st.caption("Too many rows for Excel (limit 1,048,576): use the CSV files.")

    track_first, track_second, track_third = st.columns(3)
    with track_first:
        download(
            "Sites (BED6)",
            lambda: bed_text(shown_sites).encode(),
            "rnaapp_scan_sites.bed",
            "text/plain",
            "dl_scan_bed",
        )
    with track_second:
        download(
            "Sites (GFF3)",
            lambda: gff3_text(shown_sites).encode(),
            "rnaapp_scan_sites.gff3",
            "text/plain",
            "dl_scan_gff3",
        )
    with track_third:
        download(
            "Hybrids (IntaRNA-like CSV)",
            lambda: sites_intarna(shown_sites, dict(job.mirnas)).to_csv(index=False, sep=";").encode(),
            "rnaapp_scan_hybrids.csv",
            "text/csv",
            "dl_scan_intarna",
        )
    st.caption(
        "BED6 is 0-based and half-open, GFF3 1-based; targets named as genomic regions "
        "(chrom:start-end:strand, e.g. 13:103634174-103634223:-) get genomic coordinates, others the "
        "transcript's (chromosome = target id). The IntaRNA-like CSV (;-separated) holds each site's "
        "ViennaRNA hybrid: both sequences' positions, dot-bracket, energy."
    )
    if not job.plant:
        show_variant_effects(job)

    rows = selection.selection.rows if selection is not None else []
    if rows:
        chosen = page_rows.iloc[rows[0]]
    else:
        labels = [f"#{row['rank']} {pair_title(row)}" for _, row in page_rows.iterrows()]
        picked = st.selectbox(
            "Open a pair (or click a row of the table)", ["—"] + labels, key="scan_open_pair"
        )
        if picked == "—":
            st.info("Select a row of the table to see its sites, duplex and attention map.")
            return
        chosen = page_rows.iloc[labels.index(picked)]
    show_pair(job, chosen, sites)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_variant_effects(
    model_name: str,
    stamp: float,
    mirnas: tuple[tuple[str, str], ...],
    targets: tuple[tuple[str, str], ...],
    variant_bytes: bytes,
    file_name: str,
    options: InferenceOptions,
) -> pd.DataFrame:
    variants = read_variants(variant_bytes, file_name)
    return variant_effects(
        get_model(model_name), list(mirnas), dict(targets), variants, options, source=file_name
    )


def show_variant_effects(job: ScanJob) -> None:
    """Upload variants on the scanned transcripts: each miRNA's score with and without each variant."""
    st.markdown("#### Variant effects")
    upload = st.file_uploader(
        "Variants on these transcripts (CSV/TSV target_id,position,ref,alt, or a VCF with the transcript id "
        "as CHROM)",
        key="scan_variant_file",
        help="Positions are 1-based on the transcript sequence as scanned; ref must match it. Each miRNA of "
        "the scan is scored on the reference and on the variant transcript.",
    )
    if upload is None:
        return
    data = upload.getvalue()
    with st.spinner("Scoring the variants …"):
        effects = run_safely(
            lambda: cached_variant_effects(
                job.model_name,
                card_stamp(job.model_name),
                tuple(job.mirnas),
                tuple(job.targets.items()),
                data,
                upload.name,
                job.options.replace(workers=1),
            ),
            f"the variants of {upload.name}",
        )
    if effects is None:
        return
    changed = int(((effects["sites_created"] != "") | (effects["sites_destroyed"] != "")).sum())
    st.caption(
        f"{counted(effects['variant_id'].nunique(), 'variant')} × {counted(len(job.mirnas), 'miRNA')}: "
        f"{counted(changed, 'row')} make or break a site; sorted by the size of the change."
    )
    ordered = effects.reindex(effects["delta"].abs().sort_values(ascending=False).index)
    st.dataframe(
        ordered,
        hide_index=True,
        column_config=table_columns(ordered, VARIANT_COLUMNS),
        key="scan_variant_table",
    )
    download("Variant effects (CSV)", csv_bytes(effects), "rnaapp_variants.csv", "text/csv", "dl_variants")
    explain_columns(VARIANT_COLUMNS)


@st.cache_data(show_spinner=False, max_entries=64)
def whole_target_report(
    model_name: str, stamp: float, mirna: str, target: str, options: InferenceOptions
) -> PairReport:
    """A plant model's report of a whole transcript (its score and attention map)."""
    return pair_report([get_model(model_name)], mirna, target, options=options)


@st.cache_data(show_spinner=False, max_entries=256)
def window_duplex(mirna: str, window: str) -> Hybrid:
    return hybridize(mirna, window)


def pair_title(row: Any) -> str:
    """``miRNA × target``, the target's gene symbol first where its header gives one."""
    symbol = str(row.get("gene_symbol", "") or "")
    target = f"{symbol} ({row['target_id']})" if symbol and symbol != row["target_id"] else row["target_id"]
    return f"{row['mirna_id']} × {target}"


def show_pair(job: ScanJob, chosen: Any, sites: Any) -> None:
    st.subheader(pair_title(chosen))
    if str(chosen.get("transcript_id", "") or ""):
        st.caption(f"Transcript {chosen['transcript_id']} · {int(chosen['target_length']):,} nt")
    pair_sites = sites[
        (sites["mirna_id"] == chosen["mirna_id"]) & (sites["target_id"] == chosen["target_id"])
    ]
    if pair_sites.empty:
        st.write(
            "The transcript is shorter than the miRNA: no complementary site."
            if job.plant
            else "No candidate seed site on this transcript."
        )
        return
    st.plotly_chart(
        figures.site_map_figure(
            int(chosen["target_length"]), pair_sites.assign(start=pair_sites["start"] - 1)
        ),
        key="scan_site_map",
    )
    shown_sites = pair_sites.drop(columns=["mirna_id", "target_id", *TARGET_GENE_COLUMNS], errors="ignore")
    st.dataframe(shown_sites, hide_index=True, column_config=table_columns(shown_sites, SITE_COLUMNS))
    explain_columns({key: value for key, value in SITE_COLUMNS.items() if key in pair_sites})
    mirna = dict(job.mirnas)[chosen["mirna_id"]]
    site_number = st.selectbox(
        "Site to draw",
        list(range(len(pair_sites))),
        format_func=lambda index: _site_label(pair_sites.iloc[index], job.plant),
    )
    site = pair_sites.iloc[site_number]
    if job.plant:
        show_plant_site(job, chosen, site, mirna)
        return
    report = run_safely(
        lambda: site_report(
            job.model_name, card_stamp(job.model_name), mirna, site["window"], inference_options()
        )
    )
    if report is None:
        return
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Duplex** · ΔG = {report.hybrid.energy:.1f} kcal/mol")
        st.pyplot(figures.duplex_figure(report.hybrid))
        st.code(duplex_diagram(report.hybrid).text(), language=None)
    with right:
        if report.attention is not None:
            st.plotly_chart(
                figures.attention_heatmap(
                    report.attention, mirna, site["window"], target_offset=int(site["window_start"]) - 1
                ),
                key="scan_heatmap",
            )
        else:
            st.write(f"Model {job.model_name} has no attention map.")


def show_plant_site(job: ScanJob, chosen: Any, site: Any, mirna: str) -> None:
    """A plant model's pair: the duplex of the chosen site, the attention over the whole transcript."""
    target = job.targets[chosen["target_id"]]
    hybrid = window_duplex(mirna, site["window"])
    left, right = st.columns(2)
    with left:
        st.markdown(
            f"**Duplex** of nt {site['window_start']:,}–{site['window_start'] + len(site['window']) - 1:,} "
            f"(the site and its flanks) · ΔG = {hybrid.energy:.1f} kcal/mol"
        )
        st.pyplot(figures.duplex_figure(hybrid))
        st.code(duplex_diagram(hybrid).text(), language=None)
    with right:
        report = run_safely(
            lambda: whole_target_report(
                job.model_name, card_stamp(job.model_name), mirna, target, inference_options()
            )
        )
        if report is None:
            return
        if report.attention is None:
            st.write(f"Model {job.model_name} has no attention map.")
            return
        centre = (int(site["start"]) - 1 + int(site["end"])) // 2
        start, end = report.heatmap_region(centre=centre)
        offset = start - report.attention_start
        st.plotly_chart(
            figures.attention_heatmap(
                report.attention[:, offset : offset + end - start],
                mirna,
                target[start:end],
                target_offset=start,
            ),
            key="scan_heatmap",
        )
        if (start, end) != (0, len(target)):
            st.caption(
                f"The model's attention covers the whole transcript ({len(target):,} nt); shown: nt "
                f"{start + 1:,}–{end:,} around the site."
            )


def _site_label(site: Any, plant: bool = False) -> str:
    if plant:
        return f"{site['site_type']} at {site['start']}–{site['end']} (expectation {site['expectation']:g})"
    return f"{site['site_type']} at {site['start']}–{site['end']} (probability {site['probability']:.3f})"


job = st.session_state.get(JOB_KEY)
if job is not None and not job.running:
    if job.state == "cancelled":
        show_error(RuntimeError("Scan cancelled; nothing was kept."))
    elif job.state == "failed":
        show_error(RuntimeError(f"The scan failed: {job.error}"))
    elif job.result is not None:
        show_results(job)
elif job is None:
    demo = DEMO_INPUTS.get(task)
    given = (st.session_state.get("scan_mirnas"), st.session_state.get("scan_targets"))
    using_demo = demo is not None and given == demo and mirna_upload is None and target_upload is None
    st.info(
        "Press **Scan** to start. "
        + (
            "The built-in demo scans "
            + (
                "ath-miR156a-5p across a constructed lncRNA."
                if plant_task
                else "three miRNAs across a synthetic 3'UTR."
            )
            if using_demo
            else "The scan reads the miRNAs and targets given above."
        )
    )
