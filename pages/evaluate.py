"""Evaluate: score several models on a labelled test set — metrics side by side, curves, breakdowns.

Test sets of miRNA–gene pairs may name the pairs only (no target sequences): miRNA–gene models score them
by name, and their metrics are also broken down by node status (whether the model's training graph knows
the miRNA and the gene).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from pages.common import (
    USER_ERRORS,
    card_stamp,
    csv_bytes,
    download,
    explain_columns,
    get_model,
    inference_options,
    installed_tasks,
    model_cards,
    model_label,
    parse_new_upload,
    remember,
    run_safely,
    selected_model,
    set_remembered,
    show_error,
    sidebar_model_changed,
    upload_help,
)
from rnaapp import figures
from rnaapp.comparison import (
    BREAKDOWN_COLUMNS,
    GROUP_COLUMNS,
    METRIC_EXPLANATIONS,
    NODE_STATUS_COLUMNS,
    RANKING_COLUMNS,
    THRESHOLD_FREE_METRICS,
    ModelComparison,
    TestSetSummary,
    compare_models,
    demo_test_set,
    group_breakdown,
    model_probabilities,
    node_status_breakdown,
    pairs_fingerprint,
    prediction_columns,
    predictions_table,
    ranking_groups,
    summarise_test_set,
)
from rnaapp.inference import InferenceOptions, Progress, scoring_time_note
from rnaapp.io import describe_name_mismatches, mirna_name_mismatches, read_pairs
from rnaapp.metrics import METRIC_NAMES
from rnaapp.progress import ProgressText, throttled
from rnaapp.settings import configured_mirna_reference, load_settings, mirna_reference
from rnaapp.task_detection import TASK_NAMES, TaskGuess, detect_task, task_mismatch_warning
from rnaapp.tasks import default_comparison

DATA_KEY = "evaluate_data"
RESULT_KEY = "evaluate_result"
UPLOAD_SEEN_KEY = "_evaluate_upload_seen"
UPLOAD_ERROR_KEY = "_evaluate_upload_error"
DEMO_NAME = "built-in demo set (synthetic)"
CONFUSION_COLUMNS = 4
METRIC_FORMAT = {name: st.column_config.NumberColumn(name, format="%.3f") for name in METRIC_NAMES}


class _NotCached(LookupError):
    """Raised by :func:`cached_predictions` when asked for predictions it does not hold."""


@st.cache_data(show_spinner=False, max_entries=32)
def cached_predictions(
    fingerprint: str,
    model_name: str,
    stamp: float,
    options: InferenceOptions,
    _computed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A model's predictions on a test set, cached per (sequences, model, card stamp, inference options).

    Called without ``_computed`` it only looks up (raising :class:`_NotCached`, which is not cached);
    called with it, it stores them. Predictions are computed outside: st.cache_data replays the elements
    drawn inside a cached function, so the progress bar cannot be updated from in here.
    """
    if _computed is None:
        raise _NotCached(model_name)
    return _computed


def model_predictions(
    fingerprint: str,
    model_name: str,
    pairs: pd.DataFrame,
    progress: Progress,
    source: str = "test set",
) -> pd.DataFrame:
    """The cached predictions of a model on a test set, computed (with progress) when not cached yet, under
    the user's settings (:func:`pages.common.inference_options`)."""
    stamp = card_stamp(model_name)
    options = inference_options()
    try:
        return cached_predictions(fingerprint, model_name, stamp, options)
    except _NotCached:
        computed = model_probabilities(
            get_model(model_name), pairs, options, progress=progress, source=source
        )
        return cached_predictions(fingerprint, model_name, stamp, options, computed)


@st.cache_data(show_spinner=False, max_entries=64)
def time_note(fingerprint: str, model_name: str, stamp: float, _pairs: pd.DataFrame) -> str | None:
    """How long a slow model will take on the test set (:func:`rnaapp.inference.scoring_time_note`)."""
    return scoring_time_note(get_model(model_name), _pairs)


def time_notes(fingerprint: str, model_names: list[str], pairs: pd.DataFrame) -> list[str]:
    """The time notes of the models whose predictions on this test set are not cached yet."""
    options = inference_options()
    notes = []
    for name in model_names:
        stamp = card_stamp(name)
        try:
            cached_predictions(fingerprint, name, stamp, options)
        except _NotCached:
            note = run_safely(lambda name=name, stamp=stamp: time_note(fingerprint, name, stamp, pairs), name)
            if note is not None:
                notes.append(note)
    return notes


def name_mismatches(pairs: pd.DataFrame) -> pd.DataFrame:
    """Rows whose miRNA name has another sequence in miRBase (Settings) or the built-in examples."""
    return mirna_name_mismatches(pairs, configured_mirna_reference())


def keep_test_set(name: str, pairs: pd.DataFrame, why_names_only: str | None = None) -> None:
    """Store a parsed test set (with why it was read by names only, if it was); results of another test
    set no longer apply."""
    names_only = int((pairs["target_seq"] == "").sum() + (pairs["mirna_seq"] == "").sum())
    guess = detect_task(pairs)
    # A new test set starts from its task's default comparison (the user can still change it).
    set_remembered("evaluate_models", default_models(guess.task))
    st.session_state[DATA_KEY] = {
        "task": guess,
        "name": name,
        "pairs": pairs,
        "fingerprint": pairs_fingerprint(pairs),
        "names_only": names_only,
        "why_names_only": why_names_only,
        "name_mismatches": name_mismatches(pairs),
    }


def use_demo() -> None:
    keep_test_set(DEMO_NAME, demo_test_set())
    st.session_state.pop(UPLOAD_ERROR_KEY, None)


def read_upload(upload: UploadedFile | None) -> None:
    """Parse a new upload once; a bad file leaves the test set already loaded in place."""

    def parse(content: bytes, name: str) -> tuple[pd.DataFrame, str | None]:
        """The pairs, and why they were read by names only (None when they have sequences)."""
        try:
            return read_pairs(content, name=name, require_label=True), None
        except USER_ERRORS as error:
            # Pairs given by names only (miRNA–gene test sets) are read when that was the only problem.
            try:
                reference = mirna_reference(load_settings().mirbase_path)
                pairs = read_pairs(
                    content, name=name, require_label=True, require_sequences=False, mirna_reference=reference
                )
            except USER_ERRORS:
                raise error from None
            return pairs, str(error)

    parsed = parse_new_upload(upload, UPLOAD_SEEN_KEY, UPLOAD_ERROR_KEY, parse)
    if parsed is not None:
        keep_test_set(upload.name, *parsed[0])


def default_models(task: str | None = None) -> list[str]:
    """The default comparison of ``task`` (default: the sidebar model's task): its default model, or the
    sidebar model when it is of that task, then the task's baselines strongest first."""
    tasks = {card.name: card.task for card in model_cards()}
    sidebar = selected_model()
    task = task or tasks.get(sidebar, "site")
    return default_comparison(task, first=sidebar if tasks.get(sidebar) == task else None)


def summary_line(name: str, summary: TestSetSummary) -> str:
    species = (
        ", ".join(f"{name} ({count:,})" for name, count in list(summary.species.items())[:8])
        + (f" and {len(summary.species) - 8} more" if len(summary.species) > 8 else "")
        if summary.species
        else "no species column"
    )
    return (
        f"**{name}**: {summary.n:,} pairs · {summary.positives:,} positive · "
        f"{summary.negatives:,} negative · {summary.mirnas:,} distinct miRNAs · longest target "
        f"{summary.longest_target:,} nt · species: {species}"
    )


st.title("Evaluate models on a labelled test set")
st.caption(
    "Upload miRNA–target pairs with known labels (1 = interacts, 0 = does not), choose models, and compare "
    "them side by side. Targets longer than a site model's window (whole 3'UTRs, lncRNAs) are scanned and "
    "get the probability of their best candidate site; plant miRNA–lncRNA models score every target whole."
)

st.subheader("Test set")
upload_column, demo_column = st.columns([3, 1])
with upload_column:
    upload = st.file_uploader(
        help=upload_help(),
        label="Labelled pairs: CSV, TSV or plant FASTA pairs (.gz accepted), one species or many; "
        "miRNA–gene pairs may be given by names only",
        type=["csv", "tsv", "txt", "fasta", "fa", "gz"],
        key="evaluate_upload",
    )
with demo_column:
    st.write("")
    st.button(
        "Use the built-in demo set",
        on_click=use_demo,
        help="120 synthetic 40-nt windows for ten human miRNAs: half hold a planted canonical seed site "
        "(label 1), half no seed match (label 0). Constructed, not real transcripts; seed-based models "
        "find them easy.",
    )
with st.expander("Accepted files"):
    st.markdown(
        "- A table (comma, tab or semicolon separated) with a header naming the miRNA sequence, the target "
        "sequence and the **label** (`label`, `interaction`, `class` or `y`; 0/1 or true/false). Optional "
        "columns such as `mirna_id`, `target_id` and `species` are kept and used for the breakdown.\n"
        "- Plant FASTA pairs (`>miRNA,lncRNA_id,sequence…,label`).\n"
        "- miRNA–gene pairs by names only (`mirna_id,target_id,label`; sequences optional), for miRNA–gene "
        "models; miRNA sequences are taken from miRBase by name where a miRBase file is set.\n"
        "- Sequences 5'→3', RNA or DNA letters, any case."
    )

read_upload(upload)  # None forgets the last file

data: dict | None = st.session_state.get(DATA_KEY)
if st.session_state.get(UPLOAD_ERROR_KEY):
    show_error(ValueError(st.session_state[UPLOAD_ERROR_KEY]), "This file cannot be used")
    if data is not None:
        st.caption(f"Still using the test set loaded before: {data['name']}.")
if data is not None:
    summary = summarise_test_set(data["pairs"])
    st.markdown(summary_line(data["name"], summary))
    guess: TaskGuess | None = data.get("task")
    if guess is not None:
        st.caption(
            f"Detected task: **{TASK_NAMES.get(guess.task, guess.task)}** ({guess.reason}); its default "
            f"comparison is pre-selected below: {', '.join(default_comparison(guess.task)) or 'none installed'}."
        )
    if data.get("names_only"):
        why = data.get("why_names_only")
        st.info(
            "Some pairs are given by names only (no target or miRNA sequence): only miRNA–gene models "
            "(grmmi, aemigap) can score them; they find the miRNA and the gene in their interaction graph by "
            "name." + (f" Site and plant models need sequences, which this file lacks: {why}" if why else "")
        )
    if summary.duplicates:
        st.warning(
            f"{summary.duplicates:,} rows repeat the miRNA and target of an earlier row"
            + (f" ({summary.conflicting:,} of them with the other label)" if summary.conflicting else "")
            + ": every copy counts in the metrics. Remove the repeats if the file should list each pair once.",
            icon=":material/warning:",
        )
    if not summary.positives or not summary.negatives:
        st.warning(
            "The test set holds one class only: AUC and AUPR cannot be computed (they rank positives "
            "against negatives), and some other metrics are 0 by convention."
        )
    mismatches = data.get("name_mismatches")
    if mismatches is not None and not mismatches.empty:
        st.warning(describe_name_mismatches(mismatches), icon=":material/warning:")
        with st.expander(f"Rows whose miRNA sequence differs from the reference ({len(mismatches):,})"):
            st.dataframe(mismatches, hide_index=True)
    with st.expander("Preview (first 100 rows)"):
        st.dataframe(data["pairs"].head(100), hide_index=True)
else:
    st.info("Upload a labelled test set, or use the built-in demo set.")

st.subheader("Models")
task_order = {task: index for index, task in enumerate(installed_tasks())}
cards = sorted(model_cards(), key=lambda card: task_order.get(card.task, len(task_order)))  # grouped by task
card_names = [card.name for card in cards]
several_tasks = len(task_order) > 1
labels = {card.name: model_label(card, with_task=several_tasks) for card in cards}
if "evaluate_models" in st.session_state:
    kept = [name for name in st.session_state["evaluate_models"] if name in card_names]
    if kept != st.session_state["evaluate_models"]:
        set_remembered("evaluate_models", kept)
followed = sidebar_model_changed("evaluate")
detected = data.get("task") if data is not None else None
if detected is not None and {card.name: card.task for card in cards}.get(followed) != detected.task:
    followed = None  # a sidebar model of another task than the test set's does not join its comparison
if followed in card_names and "evaluate_models" in st.session_state:
    # A model chosen in the sidebar joins the comparison (first), the others stay.
    set_remembered("evaluate_models", list(dict.fromkeys([followed, *st.session_state["evaluate_models"]])))
st.multiselect(
    "Models to compare (baselines included, strongest first: mitar = miTAR-like network, "
    "seed_rule = seed-match rule, hybrid_mfe = duplex energy; pairing_mlp = plant pairing-only network)",
    card_names,
    format_func=lambda name: labels.get(name, name),
    key=remember("evaluate_models", default_models()),
)
if data is not None and data.get("task") is not None:
    model_tasks = {card.name: card.task for card in cards}
    mismatch = task_mismatch_warning(
        data["task"],
        {name: model_tasks[name] for name in st.session_state["evaluate_models"] if name in model_tasks},
    )
    if mismatch is not None:
        st.warning(mismatch[0].upper() + mismatch[1:] + ".", icon=":material/warning:")
if data is not None:  # said before a long run starts, not only by the bar's rate once it runs
    chosen_names = [name for name in st.session_state["evaluate_models"] if name in card_names]
    for note in time_notes(data["fingerprint"], chosen_names, data["pairs"]):
        st.caption(f":material/schedule: {note}.")

if st.button("Evaluate", type="primary", disabled=data is None):
    chosen = [name for name in st.session_state["evaluate_models"] if name in card_names]
    tasks = {card.name: card.task for card in cards}
    skipped = [name for name in chosen if tasks.get(name) != "gene"] if data.get("names_only") else []
    if skipped:
        st.warning(
            f"Not evaluated: {', '.join(skipped)}. Some pairs of this test set have no sequences (names "
            "only), and only miRNA–gene models score pairs by name.",
            icon=":material/warning:",
        )
        chosen = [name for name in chosen if name not in skipped]
    if not chosen:
        show_error(ValueError("choose at least one model" + (" of the miRNA–gene task" if skipped else "")))
    else:
        pairs = data["pairs"]
        bar = st.progress(0.0, text="Scoring …")
        predictions: dict[str, pd.DataFrame] = {}
        for index, name in enumerate(chosen):
            text = ProgressText()

            def progress(
                done: int,
                total: int,
                index: int = index,
                name: str = name,
                text: ProgressText = text,
            ) -> None:
                fraction = (index + (done / total if total else 1.0)) / len(chosen)
                bar.progress(min(1.0, fraction), text=f"Scoring with {name}: {text(done, total)}")

            prediction = run_safely(
                lambda name=name, progress=progress: model_predictions(
                    data["fingerprint"], name, pairs, throttled(progress), data["name"]
                ),
                f"Model {name}",
            )
            if prediction is not None:  # a model that cannot score this set says why; the others go on
                predictions[name] = prediction
        bar.empty()
        if predictions:
            st.session_state[RESULT_KEY] = {
                "fingerprint": data["fingerprint"],
                "name": data["name"],
                "models": tuple(predictions),
                "predictions": predictions,
            }


def show_metrics(comparison: ModelComparison, threshold: float) -> None:
    st.markdown("#### Metrics")
    st.dataframe(
        comparison.metrics[["model", *METRIC_NAMES]],
        hide_index=True,
        column_config=METRIC_FORMAT,
        key="evaluate_metrics_table",
    )
    free = [*THRESHOLD_FREE_METRICS, "ECE"]
    st.caption(
        f"All metrics but {', '.join(free[:-1])} and {free[-1]} call a pair an interaction when its "
        f"probability is ≥ {threshold:.2f}; {' and '.join(THRESHOLD_FREE_METRICS)} rank all pairs and ECE "
        "compares the probabilities with how often pairs interact, so none of these depends on the "
        "threshold. An empty cell (None) means undefined: AUC and AUPR need both classes."
    )
    explain_columns(METRIC_EXPLANATIONS, title="What the metrics mean")


def show_ranking(comparison: ModelComparison) -> None:
    st.markdown("#### Ranking")
    precision, ties, distinct = list(RANKING_COLUMNS)[1:]
    st.dataframe(
        comparison.ranking,
        hide_index=True,
        column_config={
            "model": st.column_config.TextColumn("model", help=RANKING_COLUMNS["model"]),
            precision: st.column_config.NumberColumn(
                precision, format="%.3f", help=RANKING_COLUMNS[precision]
            ),
            ties: st.column_config.NumberColumn(ties, format="%.3f", help=RANKING_COLUMNS[ties]),
            distinct: st.column_config.NumberColumn(distinct, format="%d", help=RANKING_COLUMNS[distinct]),
        },
        key="evaluate_ranking_table",
    )
    st.caption(
        "top-5 precision: among each miRNA's five highest-scoring pairs (miRNAs with ≥ 5 pairs), the share "
        "that are true; ties: share of the 100 highest scores shared with another pair — a score that cannot "
        "order candidates fails a scan. Both rank by each model's score (graded log-odds), not its "
        "probability, and do not depend on the threshold."
    )


def show_curves(comparison: ModelComparison) -> None:
    st.markdown("#### ROC and precision–recall curves")
    roc_column, pr_column = st.columns(2)
    with roc_column:
        st.plotly_chart(
            figures.roc_figure(
                comparison.roc, comparison.aucs, operating_points=comparison.roc_operating_points
            ),
            key="evaluate_roc",
        )
    with pr_column:
        st.plotly_chart(
            figures.pr_figure(
                comparison.pr, comparison.auprs, operating_points=comparison.pr_operating_points
            ),
            key="evaluate_pr",
        )
    st.caption(
        "One curve per model over every threshold; the dot marks the chosen threshold. Hover a curve to "
        "read the threshold of each point."
    )


def show_calibration(comparison: ModelComparison) -> None:
    st.markdown("#### Calibration")
    eces = dict(zip(comparison.metrics["model"], comparison.metrics["ECE"], strict=True))
    chart_column, _ = st.columns(2)
    with chart_column:
        st.plotly_chart(figures.reliability_figure(comparison.reliability, eces), key="evaluate_calibration")
    st.caption(
        "Points on the diagonal = calibrated; ECE = mean |observed − predicted| weighted by pairs per bin "
        "(ten equal-width probability bins; hover a point for its pairs); probabilities are calibrated at "
        "the prior of the data the model was calibrated on (0.5 for the shipped models)."
    )


def show_confusions(comparison: ModelComparison, threshold: float) -> None:
    st.markdown(f"#### Confusion matrices at threshold {threshold:.2f}")
    names = list(comparison.confusions)
    for first in range(0, len(names), CONFUSION_COLUMNS):
        row = names[first : first + CONFUSION_COLUMNS]
        for column, name in zip(st.columns(CONFUSION_COLUMNS), row, strict=False):
            with column:
                st.plotly_chart(
                    figures.confusion_figure(comparison.confusions[name], title=name),
                    key=f"evaluate_confusion_{first + row.index(name)}",
                )
    st.caption(
        "Rows: actual class; columns: predicted class. TP = interactions found, FN = interactions missed, "
        "FP = non-interacting pairs called interactions, TN = non-interacting pairs called so. The "
        "percentage is the share of the row (sensitivity in the TP cell, specificity in the TN cell)."
    )


def show_breakdown(result: dict, pairs: pd.DataFrame, threshold: float) -> pd.DataFrame | None:
    st.markdown("#### Breakdown")
    group_options = [column for column in GROUP_COLUMNS if column in pairs]
    if not group_options:
        st.write("The test set has neither a species nor a miRNA column to break the metrics down by.")
        return None
    models = list(result["models"])
    for key, options in (("evaluate_group", group_options), ("evaluate_breakdown_model", models)):
        if key in st.session_state and st.session_state[key] not in options:
            set_remembered(key, options[0])
    group_column, model_column = st.columns(2)
    group = group_column.radio(
        "Break down",
        group_options,
        format_func=lambda column: GROUP_COLUMNS[column],
        horizontal=True,
        key=remember("evaluate_group", group_options[0]),
    )
    model_name = model_column.selectbox("Model", models, key=remember("evaluate_breakdown_model", models[0]))
    probabilities = result["predictions"][model_name]["probability"].to_numpy()
    table = run_safely(lambda: group_breakdown(pairs, probabilities, group, threshold), "Breakdown")
    if table is None:
        return None
    st.dataframe(
        table,
        hide_index=True,
        column_config=METRIC_FORMAT
        | {"group": st.column_config.TextColumn("group", width="medium", pinned=True)},
        key="evaluate_breakdown_table",
    )
    st.caption(
        "n counts the pairs of each group. A group holding only interacting or only non-interacting pairs "
        "has no AUC, AUPR or MCC, and no SEN (without interacting pairs) or SPE (without non-interacting "
        "ones): shown as None. Small groups give noisy metrics."
    )
    explain_columns(BREAKDOWN_COLUMNS, title="What the breakdown columns mean")
    return table


def show_node_status(result: dict, pairs: pd.DataFrame, threshold: float) -> None:
    """Metrics of each miRNA–gene model by node status (seen / unseen miRNA / unseen gene / both unseen)."""
    gene_models = [name for name, frame in result["predictions"].items() if "node_status" in frame]
    if not gene_models:
        return
    st.markdown("#### By node status (miRNA–gene models)")
    tables = []
    for name in gene_models:
        frame = result["predictions"][name]
        table = run_safely(
            lambda frame=frame: node_status_breakdown(
                pairs["label"].to_numpy(),
                frame["probability"].to_numpy(),
                frame["node_status"].to_numpy(),
                threshold,
            ),
            f"Model {name}",
        )
        if table is not None:
            tables.append(table.assign(model=name))
    if not tables:
        return
    combined = pd.concat(tables, ignore_index=True)
    st.dataframe(
        combined[["model", *[column for column in combined.columns if column != "model"]]],
        hide_index=True,
        column_config=METRIC_FORMAT,
        key="evaluate_node_status_table",
    )
    st.caption(
        "A graph model scores a pair whose miRNA and gene both had a known interaction in its training graph "
        "(seen) from the graph and the sequences; for an unseen node only the sequences remain, so those "
        "pairs usually score much worse. Groups holding one class only have no AUC or AUPR."
    )
    explain_columns(NODE_STATUS_COLUMNS, title="What the node status columns mean")


def show_downloads(result: dict, pairs: pd.DataFrame, comparison: ModelComparison, threshold: float) -> None:
    st.markdown("#### Download")
    columns = st.columns(4)
    with columns[0]:
        download(
            "Predictions (CSV)",
            lambda: csv_bytes(predictions_table(pairs, result["predictions"], threshold)),
            "rnaapp_evaluation_predictions.csv",
            "text/csv",
            "dl_evaluate_predictions",
        )
    with columns[1]:
        download(
            "Metrics (CSV)",
            lambda: csv_bytes(comparison.metrics),
            "rnaapp_evaluation_metrics.csv",
            "text/csv",
            "dl_evaluate_metrics",
        )
    for column, fmt, mime in ((columns[2], "png", "image/png"), (columns[3], "svg", "image/svg+xml")):
        with column:
            download(
                f"Curves ({fmt.upper()})",
                lambda fmt=fmt: figures.figure_bytes(
                    figures.curves_image(comparison.roc, comparison.pr, comparison.aucs, comparison.auprs),
                    fmt,
                ),
                f"rnaapp_evaluation_curves.{fmt}",
                mime,
                f"dl_evaluate_curves_{fmt}",
            )
    explain_columns(
        {"input columns": "the test set as uploaded (normalised sequences)"}
        | prediction_columns(result["models"], threshold)
        | {"TP, FP, TN, FN (metrics CSV)": "confusion counts at the threshold"},
        title="What the downloaded columns mean",
    )


def show(result: dict, data: dict) -> None:
    st.divider()
    st.subheader(f"Results on {data['name']}")
    chosen = [name for name in st.session_state.get("evaluate_models", []) if name]
    if list(result["models"]) != chosen:
        st.caption(
            f"Showing the models last evaluated ({', '.join(result['models'])}); press **Evaluate** to "
            "compare the models chosen above."
        )
    threshold = st.slider(
        "Decision threshold: a pair is called an interaction when its probability is at least this",
        min_value=0.01,
        max_value=0.99,
        step=0.01,
        key=remember("evaluate_threshold", 0.5),
    )
    pairs = data["pairs"]
    probabilities = {name: frame["probability"].to_numpy() for name, frame in result["predictions"].items()}
    scores = {name: frame["score"].to_numpy() for name, frame in result["predictions"].items()}
    comparison = run_safely(
        lambda: compare_models(
            pairs["label"].to_numpy(), probabilities, threshold, scores=scores, groups=ranking_groups(pairs)
        )
    )
    if comparison is None:
        return
    scanned = [name for name, frame in result["predictions"].items() if frame["scanned"].any()]
    if scanned:
        st.info(
            f"Some targets are longer than the window of {', '.join(scanned)}: they were scanned, and each "
            "got the probability of its best candidate seed site."
        )
    show_metrics(comparison, threshold)
    show_ranking(comparison)
    show_curves(comparison)
    show_calibration(comparison)
    show_confusions(comparison, threshold)
    show_breakdown(result, pairs, threshold)
    show_node_status(result, pairs, threshold)
    show_downloads(result, pairs, comparison, threshold)


result = st.session_state.get(RESULT_KEY)
if data is not None and result is not None and result["fingerprint"] == data["fingerprint"]:
    show(result, data)
elif data is not None:
    st.info("Choose models and press **Evaluate**.")
