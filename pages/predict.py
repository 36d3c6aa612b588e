"""Predict: one miRNA against one target — several models' scores, seed or plant sites, duplex, attention."""

from __future__ import annotations

import re

import streamlit as st

from pages.common import (
    card_stamp,
    csv_bytes,
    default_model,
    download,
    explain_columns,
    get_model,
    installed_tasks,
    model_cards,
    model_label,
    model_task,
    remember,
    run_safely,
    selected_model,
    set_remembered,
    show_error,
    task_chooser,
)
from rnaapp import figures
from rnaapp.examples import EXAMPLES
from rnaapp.io import pairs_from_sequences
from rnaapp.report import SCORE_COLUMNS, SITE_TABLE_COLUMNS, PairReport, pair_report
from rnaapp.settings import MIRBASE_HELP, load_settings, mirna_reference, resolve_mirnas
from rnaapp.structure import duplex_diagram

RESULT_KEY = "predict_result"


@st.cache_data(show_spinner=False, max_entries=64)
def cached_report(model_names: tuple[str, ...], mirna: str, target: str, stamps: tuple) -> PairReport:
    return pair_report([get_model(name) for name in model_names], mirna, target)


@st.cache_data(show_spinner=False, max_entries=32)
def duplex_image(report_key: tuple, fmt: str, _report: PairReport) -> bytes:
    return figures.figure_bytes(figures.duplex_figure(_report.hybrid), fmt)


@st.cache_data(show_spinner=False, max_entries=32)
def heatmap_image(report_key: tuple, fmt: str, _report: PairReport) -> bytes:
    figure = figures.attention_heatmap_image(
        _report.attention, _report.mirna, _report.attention_target, target_offset=_report.attention_start
    )
    return figures.figure_bytes(figure, fmt)


def resolve_mirna_text(text: str) -> tuple[str, str]:
    """(name, sequence) for what was typed: a name (it has a '-', as miRBase names do) is looked up in
    miRBase; anything else is taken as a sequence and checked letter by letter."""
    stripped = text.strip()
    if not stripped or stripped.startswith(">") or "-" not in stripped or re.search(r"\s", stripped):
        return "miRNA", stripped
    reference = mirna_reference(load_settings().mirbase_path)
    ((name, sequence),) = resolve_mirnas([stripped], reference, source="miRNA box")
    return name, sequence


def default_models(task: str) -> list[str]:
    """The sidebar model when it is of ``task``, else the task's default model."""
    chosen = selected_model()
    name = chosen if model_task(chosen) == task else default_model(task)
    return [name] if name else []


def task_changed() -> None:
    """Another task: its default models replace the chosen ones (which belong to the previous task)."""
    set_remembered("predict_models", default_models(st.session_state["predict_task"]))


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
task = task_chooser("predict_task", "Task (which models to use)", on_change=task_changed)

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
st.text_area(
    "Target (5'→3'): a site or a whole transcript",
    key=remember("predict_target", EXAMPLES[0].target_seq),
    height=110,
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

if st.button("Predict", type="primary"):
    chosen = tuple(name for name in st.session_state["predict_models"] if name in card_names)
    if not chosen:
        show_error(ValueError("choose at least one model"))
    else:
        named = run_safely(lambda: resolve_mirna_text(st.session_state["predict_mirna"]))
        pair = None
        if named is not None:
            name = named[0]
            pair = run_safely(
                lambda: pairs_from_sequences(named[1], st.session_state["predict_target"], mirna_id=name)
            )
        if pair is not None:
            mirna, target = pair["mirna_seq"].iloc[0], pair["target_seq"].iloc[0]
            with st.spinner("Scoring …"):
                report = run_safely(
                    lambda: cached_report(chosen, mirna, target, tuple(card_stamp(n) for n in chosen))
                )
            if report is not None:
                st.session_state[RESULT_KEY] = {"name": name, "report": report, "models": chosen}


def show(result: dict) -> None:
    report: PairReport = result["report"]
    key = (result["models"], report.mirna, report.target)
    st.divider()
    st.subheader(f"{result['name']} × target ({len(report.target)} nt)")
    columns = st.columns(min(4, len(report.scores)) or 1)
    for index, row in report.scores.iterrows():
        columns[index % len(columns)].metric(
            row["model"],
            f"{row['probability']:.3f}",
            help=f"{row['family']} model; probability of interaction (0-1)"
            + (
                f"; best site at {row['best_site_start']} ({row['best_site_type']})" if row["scanned"] else ""
            ),
        )
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
            st.dataframe(report.sites, hide_index=True)
            explain_columns({key: value for key, value in SITE_TABLE_COLUMNS.items() if key in report.sites})
    else:
        energy_column.metric("Duplex ΔG (kcal/mol)", f"{report.hybrid.energy:.1f}")
        strongest = report.sites["site_type"].iloc[0] if len(report.sites) else "none"
        site_column.metric("Best seed site" if report.scanned else "Seed site", strongest)
        region_column.metric("Region drawn", f"{report.focus_start + 1}–{report.focus_end}")
        if report.scanned:
            st.info(
                f"The target is longer than the model's window, so it was scanned: {len(report.sites)} best "
                "candidate sites are listed; the duplex and attention map show the best one."
            )

        st.markdown("#### Seed sites")
        if report.sites.empty:
            st.write("No canonical or non-canonical seed match on this target.")
        else:
            if report.scanned:
                st.plotly_chart(
                    figures.site_map_figure(
                        len(report.target), report.sites.assign(start=report.sites["start"] - 1)
                    ),
                    key="predict_site_map",
                )
            st.dataframe(report.sites, hide_index=True)
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

    st.markdown("#### Download")
    table = report.scores.assign(
        mirna_id=result["name"],
        mirna_seq=report.mirna,
        target_length=len(report.target),
        duplex_energy=report.hybrid.energy,
        **{"best_plant_site" if report.plant else "best_seed_site": strongest},
    )
    download("Scores (CSV)", csv_bytes(table), "rnaapp_prediction.csv", "text/csv", "dl_scores")
    if not report.sites.empty:
        download("Sites (CSV)", csv_bytes(report.sites), "rnaapp_sites.csv", "text/csv", "dl_sites")
    explain_columns(
        SCORE_COLUMNS
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
    show(st.session_state[RESULT_KEY])
else:
    st.info("Press **Predict** to score the pair.")
