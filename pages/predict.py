"""Predict: one miRNA against one target — several models' scores, seed or plant sites, duplex, attention.

miRNA–gene association models (task ``gene``) also need the gene's name (they find it in their interaction
graph); the target sequence is optional for them, and the page says whether the model knows both nodes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import (
    card_stamp,
    counted,
    csv_bytes,
    default_model,
    download,
    explain_columns,
    get_model,
    inference_options,
    installed_tasks,
    model_cards,
    model_label,
    model_task,
    remember,
    run_safely,
    selected_model,
    set_remembered,
    show_error,
    sidebar_model_changed,
    table_columns,
    task_chooser,
    utr_reference_for,
)
from rnaapp import figures
from rnaapp.examples import EXAMPLES
from rnaapp.inference import InferenceOptions
from rnaapp.io import (
    InputError,
    UtrMatch,
    UtrReference,
    looks_like_gene_name,
    normalise_sequence,
    pairs_from_sequences,
    sequence_letter_problem,
    split_pasted_record,
)
from rnaapp.io.utrs import unknown_gene
from rnaapp.mirna_names import TypedMirna, configured_mirna_reference, read_typed_mirna
from rnaapp.mutagenesis import (
    DESIGN_COLUMNS,
    MUTAGENESIS_COLUMNS,
    Mutagenesis,
    MutantDesigns,
    design_seed_mutants,
    saturation_mutagenesis,
)
from rnaapp.pair_report import (
    GENE_SCORE_COLUMNS,
    SCORE_COLUMNS,
    SITE_TABLE_COLUMNS,
    PairReport,
    pair_report,
)
from rnaapp.rank import NODE_STATUSES, similar_node_names
from rnaapp.settings import MIRBASE_HELP, load_settings
from rnaapp.structure import duplex_diagram

FILLED_MODELS_KEY = "_predict_models_filled"
RESULT_KEY = "predict_result"
#: The pair whose mutagenesis was asked for (shown until another pair is predicted).
MUTAGENESIS_KEY = "_predict_mutagenesis_pair"
DESIGN_KEY = "_predict_design_pair"
#: Whether the shown result is an earlier one (the last press of Predict met an input error).
STALE_KEY = "_predict_result_stale"
#: Number formats of the score and site tables (probability is drawn as a bar; others are shown as they are).


@st.cache_data(show_spinner=False, max_entries=64)
def cached_report(
    model_names: tuple[str, ...],
    mirna: str,
    target: str,
    stamps: tuple,
    options: InferenceOptions,
    mirna_id: str | None = None,
    target_id: str | None = None,
) -> PairReport:
    return pair_report(
        [get_model(name) for name in model_names],
        mirna,
        target,
        mirna_id=mirna_id,
        target_id=target_id,
        options=options,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def cached_mutagenesis(
    model_name: str, mirna: str, target: str, stamp: float, options: InferenceOptions, molecule: str
) -> Mutagenesis:
    return saturation_mutagenesis(get_model(model_name), mirna, target, options, molecule=molecule)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_designs(
    model_name: str, mirna: str, target: str, stamp: float, options: InferenceOptions
) -> MutantDesigns:
    return design_seed_mutants(get_model(model_name), mirna, target, options)


@st.cache_data(show_spinner=False, max_entries=32)
def duplex_image(report_key: tuple, fmt: str, _report: PairReport) -> bytes:
    return figures.figure_bytes(figures.duplex_figure(_report.hybrid), fmt)


@st.cache_data(show_spinner=False, max_entries=32)
def heatmap_image(report_key: tuple, fmt: str, _report: PairReport) -> bytes:
    figure = figures.attention_heatmap_image(
        _report.attention, _report.mirna, _report.attention_target, target_offset=_report.attention_start
    )
    return figures.figure_bytes(figure, fmt)


def typed_mirna() -> TypedMirna:
    """What the miRNA box holds: a sequence, a name, or the problem (see :func:`read_typed_mirna`).

    Raises
    ------
    InputError
        When a name needs the configured miRBase file and it cannot be read.
    """
    return read_typed_mirna(st.session_state["predict_mirna"])


def mirna_title(typed: TypedMirna) -> str:
    """How the result names the miRNA: its name, else the reference name of the pasted sequence, else
    ``miRNA (pasted, 22 nt)``."""
    if typed.name:
        return typed.name
    try:
        reference = configured_mirna_reference()
    except InputError:
        reference = {}
    names = sorted(
        (name for name, sequence in reference.items() if sequence == typed.sequence), key=_name_order
    )
    length = len(typed.sequence)
    return f"{names[0]} (pasted, {length} nt)" if names else f"miRNA (pasted, {length} nt)"


def _name_order(name: str) -> tuple[bool, str]:
    return (not name.startswith("hsa-"), name)  # human names first, then alphabetical


def utr_reference() -> UtrReference | None:
    """The 3'UTR FASTA uploaded on the page, else the one set in Settings, else None.

    Raises
    ------
    InputError
        For a file that cannot be read as FASTA.
    """
    return utr_reference_for(st.session_state.get("predict_utr_file"))


def gene_utr(text: str) -> UtrMatch | None:
    """The 3'UTR of the gene typed in the target box (longest isoform), or None for a sequence.

    Raises
    ------
    InputError
        For a gene name without a 3'UTR reference (saying how to add one), or one the reference lacks
        (with close names).
    """
    if not looks_like_gene_name(text):
        return None
    reference = utr_reference()
    if reference is None:
        raise InputError(
            f"'{text.strip()}' reads as a gene name, not a sequence: to score a gene's 3'UTR by its symbol "
            "or Ensembl id, set a 3'UTR FASTA on the Settings page or upload one under \"3'UTR FASTA to "
            'look up gene symbols" below the target box; or paste the sequence',
            source="target box",
        )
    match = reference.lookup(text)
    if match is None:
        raise unknown_gene(text, reference)
    return match


def checked_mirna(typed: TypedMirna) -> TypedMirna:
    """``typed`` when its sequence can be scored.

    Raises
    ------
    InputError
        Saying why it cannot (an empty box, bad letters or length, an unknown name).
    """
    if typed.problem is not None:
        raise InputError(typed.problem, source="miRNA box")
    return typed


def gene_mirna(typed: TypedMirna) -> tuple[str | None, str, str | None]:
    """(name, sequence, note) of the miRNA of a miRNA–gene pair.

    A name miRBase knows gives its sequence; a name it does not know is kept with no sequence (the graph
    model still finds it by name; the note says so); a sequence has no name (an unseen node); an empty box
    has neither.

    Raises
    ------
    InputError
        For a sequence that cannot be used.
    """
    if typed.kind == "empty":
        return None, "", None
    if typed.kind == "unknown name":
        return (
            typed.name,
            "",
            (
                f"{typed.name} is not in the miRBase file, so it is scored by its name only (no miRNA "
                "sequence, no sites or duplex); set a miRBase mature.fa on the Settings page, or paste the "
                "sequence instead."
            ),
        )
    checked_mirna(typed)
    return typed.name, typed.sequence, None


def gene_target(text: str) -> str:
    """The optional target sequence of a miRNA–gene pair, normalised ('' when none is given).

    Raises
    ------
    InputError
        For letters other than ACGUTN.
    """
    stripped = split_pasted_record(text)[1].strip()
    if not stripped:
        return ""
    normalised = normalise_sequence(stripped)
    problem = sequence_letter_problem(normalised, "target")
    if problem is not None:
        raise InputError(problem)
    return normalised


def default_models(task: str) -> list[str]:
    """The sidebar model when it is of ``task``, else the task's default model."""
    chosen = selected_model()
    name = chosen if model_task(chosen) == task else default_model(task)
    return [name] if name else []


def task_changed() -> None:
    """Another task: its default models replace the chosen ones (which belong to the previous task)."""
    set_remembered("predict_models", default_models(st.session_state["predict_task"]))


def fill_empty_model_choice() -> None:
    """Predict pressed with no model chosen: the task's default model is used (and shown as chosen)."""
    task = st.session_state.get("predict_task", "site")
    names = {card.name for card in model_cards(task)}
    if not any(name in names for name in st.session_state.get("predict_models", [])):
        filled = default_models(task)
        set_remembered("predict_models", filled)
        st.session_state[FILLED_MODELS_KEY] = filled


def use_example() -> None:
    example = next(example for example in EXAMPLES if example.name == st.session_state["predict_example"])
    set_remembered("predict_mirna", example.mirna_name)
    set_remembered("predict_target", example.target_seq)
    if example.task in installed_tasks() and example.task != st.session_state.get("predict_task"):
        set_remembered("predict_task", example.task)
        task_changed()


st.title("Predict a miRNA–target interaction")
st.caption(
    "Paste a mature miRNA (or type its miRBase name) and a target (a 40-nt site or a whole 3'UTR/lncRNA), "
    "both 5'→3'. Upper or lower case, U or T and line breaks are all fine. Plant miRNA–lncRNA models score "
    "the whole target and look for near-complete complementarity instead of seed sites."
)
followed = sidebar_model_changed("predict")
if followed is not None and model_task(followed) in installed_tasks():
    # A model chosen in the sidebar is the one Predict uses (with its task).
    set_remembered("predict_task", model_task(followed))
    set_remembered("predict_models", [followed])
task = task_chooser("predict_task", "Task (which models to use)", on_change=task_changed)
gene_task = task == "gene"
if gene_task:
    st.info(
        "miRNA–gene association models find the miRNA and the gene in the interaction graph they were "
        "trained on **by name**: type the miRNA's miRBase name and the gene's name as in the training data "
        "(e.g. an official symbol). The target sequence is optional; with one you also get seed sites, the "
        "duplex and (for grmmi models) the attention map. For a whole 3'UTR choose `gene-utr`: it reads "
        "every seed site of the miRNA on it, at any length (`gene-default` reads at most 2000 nt)."
    )

example_names = [example.name for example in EXAMPLES]
left, right = st.columns([3, 1], vertical_alignment="bottom")
left.selectbox("Built-in example", example_names, key=remember("predict_example", example_names[0]))
right.button("Use this example", on_click=use_example, width="stretch")

st.text_input(
    "miRNA (5'→3'), or a miRBase name such as hsa-let-7a-5p",
    key=remember("predict_mirna", EXAMPLES[0].mirna_name),
)
settings = load_settings()
if not settings.mirbase_path:
    st.caption(
        "Names of a few well-known human miRNAs work out of the box; for every miRBase name, set a "
        "miRBase `mature.fa` on the **Settings** page."
    )
    with st.expander("Where to get miRBase mature.fa"):
        st.markdown(MIRBASE_HELP)
if gene_task:
    st.text_input(
        "Gene name (required: the model looks the gene up in its interaction graph)",
        key=remember("predict_gene", ""),
        placeholder="e.g. HMGA2",
    )
st.text_area(
    "Target sequence (5'→3', optional): e.g. the gene's 3'UTR; leave empty to score by names"
    if gene_task
    else "Target (5'→3'): a site or a whole transcript",
    key=remember("predict_target", EXAMPLES[0].target_seq),
    height=110,
)
if not gene_task:
    st.file_uploader(
        "3'UTR FASTA to look up gene symbols",
        key="predict_utr_file",
        help="Type a gene symbol (TP53), Ensembl gene id or transcript id in the target box to score its "
        "3'UTR from this file (headers such as >ENSG…|ENST…|TP53; the longest isoform of a gene is used; "
        ".gz accepted). A 3'UTR FASTA set on the Settings page works without an upload.",
    )
cards = model_cards(task)
card_names = [card.name for card in cards]
labels = {card.name: model_label(card) for card in cards}
if "predict_models" in st.session_state:
    kept = [name for name in st.session_state["predict_models"] if name in card_names]
    if kept != st.session_state["predict_models"]:
        set_remembered("predict_models", kept)
st.multiselect(
    "Models (shown side by side; the first draws the sites and the attention map)",
    card_names,
    format_func=lambda name: labels.get(name, name),
    key=remember("predict_models", default_models(task)),
)


def predict_gene_pair(chosen: tuple[str, ...]) -> None:
    """Score a miRNA–gene pair (names required for the gene, target sequence optional)."""
    gene = st.session_state.get("predict_gene", "").strip()
    if not gene:
        show_error(
            ValueError(
                "enter the gene's name: miRNA–gene models find the gene in their interaction graph by name"
            )
        )
        return
    named = run_safely(lambda: gene_mirna(typed_mirna()))
    target = run_safely(lambda: gene_target(st.session_state["predict_target"])) if named else None
    if named is None or target is None:
        return
    name, mirna, note = named
    if not mirna and not name:
        show_error(ValueError("enter a miRNA: its miRBase name or its sequence"))
        return
    stamps = tuple(card_stamp(n) for n in chosen)
    with st.spinner("Scoring …"):
        report = run_safely(
            lambda: cached_report(chosen, mirna, target, stamps, inference_options(), name, gene)
        )
    if report is not None:
        st.session_state[STALE_KEY] = False
        st.session_state[RESULT_KEY] = {
            "name": name or "miRNA",
            "gene": gene,
            "note": note,
            "report": report,
            "models": chosen,
        }


if st.button("Predict", type="primary", on_click=fill_empty_model_choice):
    filled = st.session_state.pop(FILLED_MODELS_KEY, None)
    if filled:
        st.caption(f"No model was chosen, so the task's default was used: {', '.join(filled)}.")
    previous = st.session_state.get(RESULT_KEY)
    st.session_state[STALE_KEY] = previous is not None  # until this press gives a new result
    chosen = tuple(name for name in st.session_state["predict_models"] if name in card_names)
    if not chosen:
        show_error(ValueError("choose at least one model"))
    elif gene_task:
        predict_gene_pair(chosen)
    else:
        typed = run_safely(lambda: checked_mirna(typed_mirna()))
        pair = None
        gene = None
        if typed is not None:
            name = typed.name or "miRNA"
            looked_up = run_safely(lambda: (gene_utr(st.session_state["predict_target"]),))
            if looked_up is not None:  # (None,): the box holds a sequence
                (gene,) = looked_up
                target_text = gene.sequence if gene is not None else st.session_state["predict_target"]
                pair = run_safely(lambda: pairs_from_sequences(typed.sequence, target_text, mirna_id=name))
        if pair is not None:
            mirna, target = pair["mirna_seq"].iloc[0], pair["target_seq"].iloc[0]
            stamps = tuple(card_stamp(n) for n in chosen)
            target_id = gene.label if gene is not None else None
            with st.spinner("Scoring …"):
                report = run_safely(
                    lambda: cached_report(chosen, mirna, target, stamps, inference_options(), None, target_id)
                )
            if report is not None:
                st.session_state[STALE_KEY] = False
                st.session_state[RESULT_KEY] = {
                    "name": name,
                    "title": mirna_title(typed),
                    "target": gene.label if gene is not None else None,
                    "target_note": gene.describe() if gene is not None else None,
                    "report": report,
                    "models": chosen,
                }


def unseen_node_text(status: str, mirna: str, gene: str, report: PairReport) -> str:
    """What an unseen-node score rests on, for a warning (see :data:`rnaapp.rank.NODE_STATUSES`)."""
    mirna_unseen = status in ("unseen miRNA", "both unseen")
    gene_unseen = status in ("unseen gene", "both unseen")
    subject = {
        "unseen miRNA": f"the miRNA {mirna} is",
        "unseen gene": f"the gene {gene} is",
        "both unseen": f"neither the miRNA {mirna} nor the gene {gene} is",
    }[status]
    evidence = []
    if mirna_unseen:
        evidence.append("the miRNA's sequence" if report.mirna else None)
    else:
        evidence.append(f"the known interactions of {mirna}")
    if gene_unseen:
        evidence.append("the target sequence you gave" if report.target else None)
    else:
        evidence.append(f"the known interactions of {gene}")
    unknown = [
        what for what, known in (("the miRNA", evidence[0]), ("the gene", evidence[1])) if known is None
    ]
    rests_on = " and ".join(what for what in evidence if what) or "nothing specific to this pair"
    text = (
        f"Unseen node: {subject} not in the interaction graph the model was trained on (no known interaction "
    )
    text += f"there), so the score rests on {rests_on}."
    if unknown:
        text += (
            f" Nothing is known about {' or '.join(unknown)} here: the score is the model's guess for an unknown "
            "node and says little about this pair."
        )
    return text + " Check the spelling of the names against the model's training data."


def show_node_status(result: dict, report: PairReport) -> None:
    """Whether the first model knows the pair's miRNA and gene from its training graph."""
    model_name = report.scores["model"].iloc[0]
    mirna = result["name"] if result["name"] not in (None, "miRNA") else "(the pasted sequence)"
    gene = result.get("gene", "")
    status = report.node_status
    if status == "seen":
        st.success(
            f"Both {mirna} and {gene} are in the interaction graph {model_name} was trained on (each had at "
            "least one known interaction): the score combines the graph with the sequences.",
            icon=":material/hub:",
        )
    elif status in NODE_STATUSES:
        models = [get_model(name) for name in report.scores["model"]]
        hints = []
        for unseen, typed, is_gene in (
            (status in ("unseen miRNA", "both unseen"), result["name"], False),
            (status in ("unseen gene", "both unseen"), gene, True),
        ):
            similar = list(
                dict.fromkeys(
                    name
                    for model in (models if unseen and typed else [])
                    for name in similar_node_names(model, typed, gene=is_gene)
                )
            )[:3]
            if similar:
                hints.append(f"Did you mean {' or '.join(similar)} (instead of {typed})?")
        st.warning(
            " ".join([unseen_node_text(status, mirna, gene, report), *hints]),
            icon=":material/warning:",
        )
    if len(report.scores) > 1:
        statuses = report.scores.filter(["model", "family", "score", "probability", "node_status"])
        st.dataframe(
            statuses,
            hide_index=True,
            column_config=table_columns(statuses, SCORE_COLUMNS | GENE_SCORE_COLUMNS),
        )
    if result.get("note"):
        st.caption(result["note"])


def show_scores(report: PairReport) -> None:
    """The site models' scores side by side: score (the graded log-odds), probability, percentile."""
    scores = report.scores.drop(columns=["node_status", "note"], errors="ignore")
    if "percentile" in scores and scores["percentile"].isna().all():  # a target read whole has none
        scores = scores.drop(columns="percentile")
    st.dataframe(scores, hide_index=True, column_config=table_columns(scores, SCORE_COLUMNS))
    st.caption(
        "score: the graded log-odds (higher = stronger; it does not saturate where probabilities reach 1). "
        "probability: calibrated at a prior of 0.5 (as many true targets as non-targets; a lower prior "
        "lowers the probability, not the score)"
        + (
            "; percentile: the score among the miRNA's scores on 100 background 3'UTRs."
            if "percentile" in scores
            else "."
        )
    )


def show(result: dict) -> None:
    report: PairReport = result["report"]
    key = (result["models"], report.mirna, report.target, report.mirna_id, report.target_id)
    st.divider()
    if report.gene:
        what = f"{len(report.target)} nt target" if report.target else "no target sequence"
        st.subheader(f"{result['name']} × {result.get('gene', 'gene')} ({what})")
    else:
        title = result.get("title", result["name"])
        st.subheader(f"{title} × {result.get('target') or 'target'} ({len(report.target):,} nt)")
        if result.get("target_note"):
            st.caption(f"Scored the 3'UTR picked from the 3'UTR FASTA: {result['target_note']}.")
    columns = st.columns(min(4, len(report.scores)) or 1)
    for index, row in report.scores.iterrows():
        columns[index % len(columns)].metric(
            row["model"],
            "—" if pd.isna(row["probability"]) else f"{row['probability']:.3f}",
            help=f"{row['family']} model; probability of interaction (0-1)"
            + ("" if pd.isna(row.get("score")) else f"; score (log-odds) {row['score']:.2f}")
            + (f"; best site at {row['best_site_start']} ({row['best_site_type']})" if row["scanned"] else "")
            + (f"; node status: {row['node_status']}" if row.get("node_status") else "")
            + (f"; no score: {row['note']}" if row.get("note") else ""),
        )
    for _, row in report.scores.iterrows():
        if row.get("note"):
            st.caption(f"{row['model']}: no score, {row['note']}.")
    if not report.gene and not report.plant:
        show_scores(report)
    if report.gene:
        show_node_status(result, report)
        if report.hybrid is None:
            st.info(
                "No target sequence (or no miRNA sequence): no seed sites, duplex or attention map. Paste "
                "the gene's 3'UTR (or another target region) to see them."
            )
            show_downloads(result, report, "none")
            return
    energy_column, site_column, region_column = st.columns(3)
    if report.plant:
        best = report.sites.iloc[0] if len(report.sites) else None
        energy_column.metric(
            "Duplex ΔG (kcal/mol)",
            f"{report.hybrid.energy:.1f}",
            help="ViennaRNA duplex of the miRNA with the best complementary site and 10 nt on each side",
        )
        site_column.metric(
            "Best complementary site",
            f"{best['start']}–{best['end']}" if best is not None else "none",
            help="Target positions (1-based) of the ungapped alignment of the whole miRNA with the lowest "
            "expectation (psRNATarget-style)",
        )
        region_column.metric(
            "Expectation",
            f"{best['expectation']:g}" if best is not None else "—",
            help="0 = perfect complement; G:U 0.5, mismatch 1, 1.5 times at miRNA positions 2-13. "
            "psRNATarget calls sites up to 5 (strict: 3).",
        )
        strongest = (
            f"plant {best['start']}-{best['end']} (expectation {best['expectation']:g})"
            if best is not None
            else "none"
        )
        if best is not None:
            st.caption(
                f"Best site: {best['mismatches']} mismatch(es), {best['wobbles']} G:U wobble(s) "
                f"({best['seed_pairing']})."
            )
        st.info(
            f"Plant model: the whole target ({len(report.target):,} nt) was scored at once, with no "
            "seed-site scan; the sites below are its best complementary stretches."
        )
        st.markdown("#### Complementary sites")
        if report.sites.empty:
            st.write("The target is shorter than the miRNA: no complementary site.")
        else:
            st.dataframe(
                report.sites, hide_index=True, column_config=table_columns(report.sites, SITE_TABLE_COLUMNS)
            )
            explain_columns({key: value for key, value in SITE_TABLE_COLUMNS.items() if key in report.sites})
    else:
        energy_column.metric("Duplex ΔG (kcal/mol)", f"{report.hybrid.energy:.1f}")
        strongest = report.sites["site_type"].iloc[0] if len(report.sites) else "none"
        site_column.metric("Best seed site" if report.scanned or report.gene else "Seed site", strongest)
        region_column.metric("Region drawn", f"{report.focus_start + 1}–{report.focus_end}")
        if report.scanned:
            st.info(
                "The target is longer than the model's window, so it was scanned: "
                f"{counted(len(report.sites), 'best candidate site')} {'is' if len(report.sites) == 1 else 'are'} "
                "listed; the duplex and attention map show the best one."
            )

        if report.gene and len(report.sites):
            st.caption(
                "The duplex is drawn for the strongest seed site; the sites are listed strongest first."
            )
        st.markdown("#### Seed sites")
        if report.sites.empty:
            st.write("No canonical or non-canonical seed match on this target.")
        else:
            if report.scanned or (report.gene and len(report.target) > 100):
                st.plotly_chart(
                    figures.site_map_figure(
                        len(report.target), report.sites.assign(start=report.sites["start"] - 1)
                    ),
                    key="predict_site_map",
                )
            st.dataframe(
                report.sites, hide_index=True, column_config=table_columns(report.sites, SITE_TABLE_COLUMNS)
            )
            explain_columns({key: value for key, value in SITE_TABLE_COLUMNS.items() if key in report.sites})

    duplex_column, heatmap_column = st.columns(2)
    with duplex_column:
        st.markdown("#### Duplex (ViennaRNA)")
        st.pyplot(figures.duplex_figure(report.hybrid), clear_figure=False)
        st.code(_diagram_text(report), language=None)
        if report.plant and (report.focus_start, report.focus_end) != (0, len(report.target)):
            st.caption(
                f"Drawn for nt {report.focus_start + 1:,}–{report.focus_end:,} (the best complementary site "
                f"and 10 nt on each side); the drawing numbers the target from nt {report.focus_start + 1:,}."
            )
        first, second = st.columns(2)
        with first:
            download(
                "Duplex PNG",
                lambda: duplex_image(key, "png", report),
                "duplex.png",
                "image/png",
                "dl_duplex_png",
            )
        with second:
            download(
                "Duplex SVG",
                lambda: duplex_image(key, "svg", report),
                "duplex.svg",
                "image/svg+xml",
                "dl_duplex_svg",
            )
    with heatmap_column:
        st.markdown("#### Attention")
        if report.attention is None:
            st.write("None of the chosen models has an attention map.")
        else:
            start, end = report.heatmap_region()
            offset = start - report.attention_start
            st.plotly_chart(
                figures.attention_heatmap(
                    report.attention[:, offset : offset + end - start],
                    report.mirna,
                    report.target[start:end],
                    target_offset=start,
                    title=f"{report.attention_model}: miRNA position × target position",
                ),
                key="predict_heatmap",
            )
            st.caption(
                "Hover a cell to see the two bases; brighter = more attention from the model"
                + (
                    f". The map covers the whole target; shown here: nt {start + 1:,}–{end:,} around the "
                    "best site (the PNG and SVG hold all of it)."
                    if (start, end) != (report.attention_start, report.attention_end)
                    else "."
                )
            )
            first, second = st.columns(2)
            with first:
                download(
                    "Heatmap PNG",
                    lambda: heatmap_image(key, "png", report),
                    "attention.png",
                    "image/png",
                    "dl_heat_png",
                )
            with second:
                download(
                    "Heatmap SVG",
                    lambda: heatmap_image(key, "svg", report),
                    "attention.svg",
                    "image/svg+xml",
                    "dl_heat_svg",
                )

    if not report.gene:
        show_mutagenesis(result, report)
    show_downloads(result, report, strongest)


def show_mutagenesis(result: dict, report: PairReport) -> None:
    """Saturation mutagenesis of the pair (a heatmap of every substitution) and seed-mutant designs."""
    st.markdown("#### Mutagenesis")
    names = [name for name in result["models"] if model_task(name) != "gene"]
    if not names:
        return
    pair = (report.mirna, report.target)
    first, second = st.columns(2)
    model_name = first.selectbox("Model to mutate with", names, key="predict_mutagenesis_model")
    molecule = second.radio(
        "Mutate", ["target", "miRNA"], horizontal=True, key="predict_mutagenesis_molecule"
    ).lower()
    st.caption(
        "Every base replaced by each of the three others and scored by the model (the same scoring as "
        "above); Δ score = mutant − reference (red: the substitution weakens the interaction). A target "
        "longer than the model's window is mutated in the 40 nt around its best site."
    )
    if st.button("Mutate every base", key="predict_mutate", icon=":material/science:"):
        st.session_state[MUTAGENESIS_KEY] = pair
    if st.session_state.get(MUTAGENESIS_KEY) != pair:
        return
    options = inference_options()
    stamp = card_stamp(model_name)
    with st.spinner("Scoring every substitution …"):
        mutagenesis = run_safely(
            lambda: cached_mutagenesis(model_name, report.mirna, report.target, stamp, options, molecule),
            "mutagenesis",
        )
    if mutagenesis is None:
        return
    reference = mutagenesis.reference
    st.plotly_chart(
        figures.mutagenesis_heatmap(
            mutagenesis,
            title=f"{model_name}: every substitution of the {molecule} "
            f"(reference score {reference['score']:.2f})",
        ),
        key="predict_mutagenesis_heatmap",
    )
    table = mutagenesis.table
    strongest = table.nsmallest(5, "delta")
    st.caption(
        f"{len(table)} substitutions of nt {mutagenesis.region[0] + 1}–{mutagenesis.region[1]} in "
        f"{mutagenesis.seconds:.2f} s. Strongest: "
        + ", ".join(
            f"{row.ref}{row.position}{row.alt} (Δ {row.delta:+.2f})" for row in strongest.itertuples()
        )
        + ". The box marks the seed match; hover a cell for the mutant's score and site type."
    )
    download("Substitutions (CSV)", csv_bytes(table), "rnaapp_mutagenesis.csv", "text/csv", "dl_mutagenesis")
    explain_columns(MUTAGENESIS_COLUMNS)
    if molecule != "target":
        return
    if st.button("Design a seed-mutant control", key="predict_design", icon=":material/build:"):
        st.session_state[DESIGN_KEY] = (pair, model_name)
    if st.session_state.get(DESIGN_KEY) != (pair, model_name):
        return
    with st.spinner("Trying 1–3 substitutions in the seed match …"):
        designs = run_safely(
            lambda: cached_designs(model_name, report.mirna, report.target, stamp, options), "mutant design"
        )
    if designs is None:
        return
    (st.success if len(designs.table) and designs.table["abolished"].all() else st.warning)(
        f"Seed-mutant designs: {designs.note}."
    )
    if len(designs.table):
        st.dataframe(
            designs.table,
            hide_index=True,
            column_config=table_columns(designs.table, DESIGN_COLUMNS),
        )
        download("Designs (CSV)", csv_bytes(designs.table), "rnaapp_designs.csv", "text/csv", "dl_designs")
        explain_columns(DESIGN_COLUMNS)


def show_downloads(result: dict, report: PairReport, strongest: str) -> None:
    st.markdown("#### Download")
    names = {"target_id": result["gene"]} if report.gene else {}
    table = report.scores.assign(
        mirna_id=result["name"],
        mirna_seq=report.mirna,
        **names,
        target_length=len(report.target),
        duplex_energy=report.hybrid.energy if report.hybrid is not None else None,
        **{"best_plant_site" if report.plant else "best_seed_site": strongest},
    )
    if not report.gene:
        table = table.drop(columns="node_status", errors="ignore")
    download("Scores (CSV)", csv_bytes(table), "rnaapp_prediction.csv", "text/csv", "dl_scores")
    if not report.sites.empty:
        download("Sites (CSV)", csv_bytes(report.sites), "rnaapp_sites.csv", "text/csv", "dl_sites")
    explain_columns(
        SCORE_COLUMNS
        | (GENE_SCORE_COLUMNS if report.gene else {})
        | ({"target_id": "the gene's name, as the model's graph knows it"} if report.gene else {})
        | {"duplex_energy": "ViennaRNA duplex free energy (kcal/mol) of the region drawn"}
        | (
            {"best_plant_site": "the best complementary site: its positions (1-based) and expectation"}
            if report.plant
            else {"best_seed_site": "the strongest seed site type on the target"}
        )
    )


def _diagram_text(report: PairReport) -> str:
    return duplex_diagram(report.hybrid).text() + f"\nΔG = {report.hybrid.energy:.1f} kcal/mol"


if RESULT_KEY in st.session_state:
    if st.session_state.get(STALE_KEY):
        shown = st.session_state[RESULT_KEY]
        st.info(
            f"The input above could not be scored (see the message). Below is still the previous result "
            f"({shown['name']}{' × ' + shown['gene'] if shown.get('gene') else ''}).",
            icon="↩️",
        )
    show(st.session_state[RESULT_KEY])
else:
    st.info("Press **Predict** to score the pair.")
