"""Train: labelled data in, a model of any family out, trained as a background job with live curves.

The job runs in its own process (:mod:`rnaapp.jobs`), so it keeps going when the user switches pages or
reloads the browser; this page only starts it and polls its folder.

miRNA–gene families (grmmi, aemigap) also train on pairs given by names only, and any family's negatives
can first be thinned by AEmiGAP's distance filter (:func:`rnaapp.graph.adjust_negatives`).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pages.common import (
    METRIC_MEANINGS,
    SHARED_APP_NOTE,
    TASK_LABELS,
    explain_columns,
    format_duration,
    gpu_available,
    model_cards,
    read_typed_path,
    remember,
    run_safely,
    server_paths_allowed,
    set_remembered,
    show_error,
    upload_help,
)
from rnaapp import figures
from rnaapp.graph import adjust_negatives
from rnaapp.inference import describe_device
from rnaapp.io import InputError, read_pairs
from rnaapp.jobs import FINAL_STATES, TrainingJob, get_job, list_jobs, start_training
from rnaapp.models import FAMILIES
from rnaapp.registry import check_name
from rnaapp.settings import load_settings, mirna_reference
from rnaapp.training_form import FormField, TrainingForm, training_form
from rnaapp.verdict import card_verdict, headline, is_warning

DATA_KEY = "train_data"
DATA_ERROR_KEY = "train_data_error"
JOB_KEY = "train_job"
FAMILY_KEY = "train_family"
NAME_KEY = "train_name"
#: How many recent jobs the job selector lists.
RECENT_JOBS = 20
#: Metrics drawn in the live curves (all of them make the panel unreadable).
CURVE_METRICS = ("AUC", "AUPR", "ACC", "F1", "MCC")
STATE_ICONS = {"queued": "⏳", "running": "🏃", "finished": "✅", "failed": "❌", "cancelled": "⏹️"}
#: Key of the report of the last distance filter applied (shown under the form).
FILTER_REPORT_KEY = "_train_filter_report"


# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------


def load_pairs(source: Any, name: str | None, signature: Any) -> None:
    """Parse labelled pairs into session state (or remember the error and keep the data loaded before).

    Pairs given by names only (no sequences) are kept when that is the only problem: miRNA–gene families
    train on them; ``sequence_problem`` then says why the other families cannot.
    """
    sequence_problem = None
    try:
        table = read_pairs(source, name=name, require_label=True)
    except (InputError, OSError, ValueError) as error:
        try:
            reference = mirna_reference(load_settings().mirbase_path)
            table = read_pairs(
                source, name=name, require_label=True, require_sequences=False, mirna_reference=reference
            )
        except (InputError, OSError, ValueError):
            st.session_state[DATA_ERROR_KEY] = {"message": str(error), "signature": signature}
            return
        sequence_problem = str(error)
    st.session_state.pop(DATA_ERROR_KEY, None)
    st.session_state[DATA_KEY] = {
        "name": name or Path(str(source)).name,
        "table": table,
        "signature": signature,
        "sequence_problem": sequence_problem,
    }


def data_section() -> None:
    st.subheader("1 · Labelled data")
    st.caption(
        "A table of miRNA–target pairs with a label column (1 = interacts, 0 = does not): CSV, TSV or the "
        "other layouts the Predict and Evaluate pages read, e.g. columns `mirna_seq, target_seq, label` "
        "(ids and `species` optional). Sequences 5'→3'; U or T, any case. For the miRNA–gene families "
        "(grmmi, aemigap), names are enough: `mirna_id, target_id, label` (sequences optional)."
    )
    sources = ["Upload a file", "A path on this computer"] if server_paths_allowed() else ["Upload a file"]
    if st.session_state.get("train_data_mode") not in sources:
        set_remembered("train_data_mode", "Upload a file")
    mode = st.radio(
        "Where is the data?",
        sources,
        horizontal=True,
        key=remember("train_data_mode", "Upload a file"),
    )
    if len(sources) == 1:
        st.caption(SHARED_APP_NOTE)
    if mode == "Upload a file":
        upload = st.file_uploader(
            help=upload_help(), label="Labelled pairs (CSV/TSV, .gz accepted)", key="train_upload"
        )
        if upload is not None:
            signature = ("upload", upload.name, upload.size, getattr(upload, "file_id", None))
            seen = [(st.session_state.get(key) or {}).get("signature") for key in (DATA_KEY, DATA_ERROR_KEY)]
            if signature not in seen:
                with st.spinner("Reading the file …"):
                    load_pairs(upload.getvalue(), upload.name, signature)
    else:
        left, right = st.columns([4, 1], vertical_alignment="bottom")
        left.text_input(
            "Path of a labelled pair file on the computer running rnaapp",
            key=remember("train_path", ""),
            placeholder="/home/you/data/pairs.csv",
        )
        if right.button("Read the file", width="stretch"):
            text = st.session_state["train_path"].strip()
            if not text:
                st.session_state[DATA_ERROR_KEY] = {
                    "message": "enter the path of a file first",
                    "signature": None,
                }
            else:
                with st.spinner("Reading the file …"):
                    try:
                        content = read_typed_path(text)
                    except InputError as error:
                        st.session_state[DATA_ERROR_KEY] = {"message": str(error), "signature": None}
                    else:
                        load_pairs(content, Path(text).name, ("path", text))

    problem = st.session_state.get(DATA_ERROR_KEY)
    data = st.session_state.get(DATA_KEY)
    if problem is not None:
        kept = f" Still using the data loaded before ({data['name']})." if data is not None else ""
        st.error(f"Cannot use this data: {problem['message'].rstrip('.')}.{kept}", icon=":material/warning:")
    if data is None:
        st.info("No training data yet.")
        return
    table: pd.DataFrame = data["table"]
    positives = int((table["label"] == 1).sum())
    negatives = int((table["label"] == 0).sum())
    columns = st.columns(4)
    columns[0].metric("Pairs", f"{len(table):,}", help=f"read from {data['name']}")
    columns[1].metric("Positives (label 1)", f"{positives:,}")
    columns[2].metric("Negatives (label 0)", f"{negatives:,}")
    columns[3].metric("Distinct miRNAs", f"{table['mirna_id'].nunique():,}")
    if data.get("sequence_problem"):
        st.info(
            "Some pairs are given by names only (no sequence): only the miRNA–gene families (grmmi, "
            "aemigap) can train on this data; they learn from the interaction graph of the names "
            f"and from whatever sequences there are. (For the other families: {data['sequence_problem']}.)"
        )
    if not positives or not negatives:
        st.warning("Training needs both positive (1) and negative (0) pairs; this data has only one kind.")
    with st.expander(f"Preview of {data['name']} (first 100 pairs)"):
        st.dataframe(table.head(100), hide_index=True)


# ---------------------------------------------------------------------------------------------------------
# Model and settings
# ---------------------------------------------------------------------------------------------------------


def suggested_name(family: str) -> str:
    return f"my_{family}"


def family_changed() -> None:
    """Follow the family with the suggested model name, unless the user typed a name of their own."""
    if st.session_state.get(NAME_KEY) in {suggested_name(name) for name in FAMILIES}:
        set_remembered(NAME_KEY, suggested_name(st.session_state[FAMILY_KEY]))


def widget_key(family: str, field: FormField) -> str:
    """The session-state key of a form field's widget."""
    return f"train_{family}_{field.key}"


def setting_widget(family: str, field: FormField) -> None:
    """One input for a setting of the form (:mod:`rnaapp.training_form` says which kind)."""
    key = remember(widget_key(family, field), field.initial)
    if field.kind == "choices":
        st.multiselect(field.label, list(field.choices or ()), key=key, help=field.help)
    elif field.kind == "choice":
        st.selectbox(field.label, list(field.choices or ()), key=key, help=field.help)
    elif field.kind == "bool":
        st.checkbox(field.label, key=key, help=field.help)
    elif field.kind == "int":
        st.number_input(
            field.label,
            min_value=int(field.minimum) if field.minimum is not None else None,
            max_value=int(field.maximum) if field.maximum is not None else None,
            step=1,
            key=key,
            help=field.help,
        )
    elif field.kind == "float":
        st.number_input(
            field.label,
            min_value=float(field.minimum) if field.minimum is not None else None,
            max_value=float(field.maximum) if field.maximum is not None else None,
            format=field.number_format or "%g",
            key=key,
            help=field.help,
        )
    else:  # "text" and "list" (comma-separated)
        st.text_input(field.label, key=key, help=field.help)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be used for a new model (None when it can)."""
    try:
        check_name(name)
    except ValueError as error:
        return str(error)
    if any(card.name == name and card.source == "shipped" for card in model_cards()):
        return f"'{name}' is the name of a shipped model, which is read-only; choose another name"
    return None


def settings_grid(family: str, fields: tuple[FormField, ...], n_columns: int) -> None:
    """Inputs for settings, laid out in ``n_columns`` columns."""
    columns = st.columns(n_columns)
    for index, field in enumerate(fields):
        with columns[index % n_columns]:
            setting_widget(family, field)


def settings_section() -> None:
    st.subheader("2 · Model and settings")
    family_column, name_column = st.columns(2)
    family = family_column.selectbox(
        "Model family",
        list(FAMILIES),
        format_func=lambda name: f"{name} — {FAMILIES[name].description}",
        key=remember(FAMILY_KEY, "mirna_site"),
        on_change=family_changed,
        help="The architecture to train. The baselines (seed_rule, hybrid_mfe) train in seconds.",
    )
    family_column.caption(
        f"Task: {TASK_LABELS.get(FAMILIES[family].task, FAMILIES[family].task)} · {FAMILIES[family].description}"
    )
    name_column.text_input(
        "Name of the new model",
        key=remember(NAME_KEY, suggested_name(family)),
        help="Letters, digits, '.', '_' or '-'. The model is saved under this name in your model folder.",
    )
    name = st.session_state[NAME_KEY].strip()
    problem = name_problem(name)
    existing = problem is None and any(card.name == name and card.source == "user" for card in model_cards())
    if problem is not None:
        name_column.error(problem, icon=":material/warning:")
    elif existing:
        name_column.warning(f"You already have a model called '{name}'. Tick the box below to replace it.")

    form = training_form(family)
    with st.form("train_form"):
        st.markdown("**Training settings** (defaults suit this family)")
        settings_grid(family, form.training, 3)
        with st.expander("More optimisation settings"):
            settings_grid(family, form.more_training, 2)
        with st.expander("Architecture settings"):
            fields = form.architecture + form.member_settings
            if not fields:
                st.write(f"The {family} family has no architecture settings.")
            else:
                settings_grid(family, fields, 3)
                st.caption(
                    f"Defaults are the {family} family's. The settings are saved in the model card; see "
                    f"the {form.config_name} documentation for what each one does."
                )

        filter_column, quantile_column = st.columns([2, 1])
        filter_column.checkbox(
            "Drop likely-positive negatives (AEmiGAP distance filter)",
            key=remember("train_adjust_negatives", False),
            help="Before training, embed the graph of the known interactions (GraRep) and drop the negatives "
            "whose miRNA and gene lie closer together than the given quantile of the positives' distances: "
            "unlabelled interactions are likely among them. Pairs with a miRNA or gene without any known "
            "interaction are kept. Uses the miRNA and target names; works for any family.",
        )
        quantile_column.number_input(
            "Quantile of the positives' distances",
            min_value=0.0,
            max_value=0.5,
            step=0.01,
            format="%.2f",
            key=remember("train_adjust_quantile", 0.05),
            help="0 drops nothing; AEmiGAP's default is 0.05.",
        )
        device_column, folds_column, default_column = st.columns(3)
        devices = ["auto", "cpu"] + (["cuda"] if gpu_available() else [])
        with device_column:
            st.radio(
                "Device",
                devices,
                horizontal=True,
                key=remember("train_device", "auto"),
                help="auto = the GPU when there is one, else the CPU.",
            )
            st.caption(f"auto → {describe_device('auto')}")
        folds_column.selectbox(
            "k-fold cross-validation",
            [0, *range(2, 11)],
            format_func=lambda folds: "off" if folds == 0 else f"{folds} folds",
            key=remember("train_folds", 0),
            help="Before the final model is trained on all pairs, train k models, each tested on the k-th "
            "of the pairs it did not see; the fold metrics are reported and written to the card.",
        )
        default_column.checkbox(
            "Make it the default model",
            key=remember("train_make_default", False),
            help="The default model of its task and family (used by Predict, Scan and the command line).",
        )
        if existing:
            st.checkbox(f"Replace my model '{name}'", key="train_replace", value=False)
        running = [job for job in list_jobs() if job.status().get("state") not in FINAL_STATES]
        if running:
            st.caption(
                f"⏳ {len(running)} training job(s) already running; another one shares the processor, so "
                "each gets slower."
            )
        submitted = st.form_submit_button("Start training", type="primary")
    if submitted:
        start(family, name, problem, existing)
    report = st.session_state.get(FILTER_REPORT_KEY)
    if report is not None:
        st.info(filter_message(report), icon="🧹")


def filter_message(report: dict[str, Any]) -> str:
    """What the distance filter did, in words."""
    return (
        f"Distance filter (quantile {report['quantile']:.2f}) for '{report['name']}': dropped "
        f"{report['dropped']:,} of {report['negatives']:,} negatives ({report['dropped_fraction']:.1%}) that lay "
        f"closer than {report['threshold']:.3g} in the graph embedding; {report['kept']:,} pairs were trained on."
    )


def collect_settings(form: TrainingForm) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model settings, training settings) from the form's inputs (:meth:`TrainingForm.settings`).

    Raises
    ------
    ValueError
        For a value that cannot be read, naming the setting.
    """
    values = {field.key: st.session_state[widget_key(form.family, field)] for field in form.fields}
    model, training = form.settings(values)
    training["device"] = st.session_state["train_device"]
    return model, training


def start(family: str, name: str, problem: str | None, existing: bool) -> None:
    """Check everything and start the training job; problems are shown, nothing raises."""
    data = st.session_state.get(DATA_KEY)
    problems = []
    if data is None:
        problems.append("load labelled data first (section 1)")
    else:
        labels = set(data["table"]["label"].unique())
        if not {0, 1} <= labels:
            problems.append("the data needs both positive (1) and negative (0) pairs")
    if data is not None and data.get("sequence_problem") and FAMILIES[family].task != "gene":
        problems.append(
            f"{family} needs the sequences of every pair, and this data gives some by names only "
            f"({data['sequence_problem']}); choose a miRNA–gene family (grmmi, aemigap) or add the sequences"
        )
    if problem is not None:
        problems.append(problem)
    elif existing and not st.session_state.get("train_replace"):
        problems.append(
            f"you already have a model called '{name}': tick 'Replace my model {name}' or choose another name"
        )
    folds = int(st.session_state["train_folds"])
    if data is not None and folds:
        smallest = int(data["table"]["label"].value_counts().min())
        if smallest < folds:
            problems.append(f"{folds}-fold cross-validation needs at least {folds} pairs of each label")
    try:
        model_settings, training_settings = collect_settings(training_form(family))
    except ValueError as error:
        problems.append(str(error))
    if problems:
        for text in problems:
            show_error(ValueError(text), "Cannot start training")
        return
    table, description = data["table"], data["name"]
    st.session_state.pop(FILTER_REPORT_KEY, None)
    if st.session_state.get("train_adjust_negatives"):
        quantile = float(st.session_state["train_adjust_quantile"])
        filtered = run_safely(
            lambda: adjust_negatives(table, quantile=quantile, seed=int(training_settings.get("seed", 0))),
            "Cannot apply the distance filter",
        )
        if filtered is None:
            return
        table, report = filtered
        if not {0, 1} <= set(table["label"].unique()):
            show_error(ValueError("the distance filter dropped every negative; lower the quantile"))
            return
        report = {**report, "quantile": quantile, "name": name, "kept": len(table)}
        st.session_state[FILTER_REPORT_KEY] = report
        description = (
            f"{description} (AEmiGAP distance filter, quantile {quantile:g}: {report['dropped']} of "
            f"{report['negatives']} negatives dropped)"
        )
    job = run_safely(
        lambda: start_training(
            table,
            family=family,
            name=name,
            model_settings=model_settings,
            training_settings=training_settings,
            folds=folds,
            data_description=description,
            make_default=bool(st.session_state["train_make_default"]),
        ),
        "Cannot start training",
    )
    if job is not None:
        set_remembered(JOB_KEY, job.id)
        st.toast(f"Training of '{name}' started.", icon="🏋️")


# ---------------------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------------------


def job_label(job: TrainingJob) -> str:
    """How a job is named in the selector (stable while it runs: its state is shown below it)."""
    spec = job.spec
    created = spec.get("created")
    when = _dt.datetime.fromtimestamp(created).strftime("%Y-%m-%d %H:%M:%S") if created else job.id
    return f"{spec.get('name', '?')} · {spec.get('family', '?')} · started {when} (job {job.id[-6:]})"


def curve_rows(history: list[dict[str, Any]], round_index: int) -> list[dict[str, Any]]:
    """The epochs of one training round, with the losses and the headline metrics only."""
    keep = ("epoch", "train_loss", "valid_loss", *CURVE_METRICS)
    return [
        {key: row[key] for key in keep if key in row} for row in history if row.get("round", 0) == round_index
    ]


def round_label(history: list[dict[str, Any]], round_index: int) -> str:
    fold = next((row.get("fold") for row in history if row.get("round", 0) == round_index), None)
    return f"cross-validation fold {fold}" if fold else "final model"


def show_curves(job: TrainingJob, live: bool) -> None:
    history = job.history()
    rounds = sorted({int(row.get("round", 0)) for row in history})
    chosen = rounds[-1] if rounds else 0
    if len(rounds) > 1 and not live:
        chosen = st.radio(
            "Curves of",
            rounds,
            index=len(rounds) - 1,
            format_func=lambda index: round_label(history, index),
            horizontal=True,
            key=f"train_round_{job.id}",
        )
    elif len(rounds) > 1:
        st.caption(f"Curves of the {round_label(history, chosen)} (training now).")
    st.plotly_chart(figures.training_curves(curve_rows(history, chosen)), key=f"train_curves_{job.id}")
    if history:
        explain_columns(
            {
                "training loss": "binary cross-entropy on the training pairs (mean over the epoch)",
                "validation loss": "binary cross-entropy on the held-out validation pairs",
            }
            | {metric: METRIC_MEANINGS[metric] for metric in CURVE_METRICS},
            title="What the curves show",
        )


def job_verdict(status: dict[str, Any], name: str | None) -> dict[str, Any] | None:
    """The verdict of a finished job: from its status, else from the saved model's card (None: none)."""
    verdict = card_verdict({"verdict": status.get("verdict")})
    if verdict is None:
        card = next((card for card in model_cards() if card.name == name and card.source == "user"), None)
        verdict = card_verdict(card.training) if card is not None else None
    return verdict


def show_job(job: TrainingJob, status: dict[str, Any], live: bool) -> None:
    """Everything about one job: settings, progress or outcome, curves, cross-validation, log."""
    spec = job.spec
    state = status.get("state", "queued")
    folds = int(spec.get("folds") or 0)
    pairs = spec.get("pairs")
    st.markdown(
        f"**{spec.get('name', '?')}** · {spec.get('family', '?')} · "
        + (f"{pairs:,} pairs" if isinstance(pairs, int) else "pairs")
        + f" from {spec.get('data', '?')}"
        + (f" · {folds}-fold cross-validation" if folds else "")
    )
    if state in ("queued", "running"):
        eta = format_duration(status.get("eta_seconds"))
        text = f"{STATE_ICONS[state]} {state}: {status.get('message', '')}" + (
            f" · about {eta} left" if eta else ""
        )
        st.progress(min(1.0, max(0.0, float(status.get("fraction") or 0.0))), text=text)
        if job.cancel_requested:
            st.caption("Cancelling … (the job stops at its next training step; nothing is saved)")
        elif st.button("Cancel training", key=f"train_cancel_{job.id}"):
            job.cancel()
            st.caption("Cancelling … (the job stops at its next training step; nothing is saved)")
    elif state == "finished":
        name = status.get("model", spec.get("name"))
        verdict = job_verdict(status, name)
        saved = f"model **{name}** is saved in your model folder and can be chosen in the sidebar" + (
            f" ({status['message'].split('(', 1)[1]}" if "(" in status.get("message", "") else "."
        )
        if is_warning(verdict):
            st.warning(
                f"Finished, but this model is **{headline(verdict)}**{verdict['text'][len(headline(verdict)) :]}. "
                f"It is saved anyway: {saved.rstrip('.')}. Check the data and its labels, train longer or choose another "
                "family before relying on its scores.",
                icon=":material/warning:",
            )
        else:
            st.success(f"Finished: {saved}", icon=":material/check_circle:")
            if verdict is not None:
                st.caption(f"Verdict on the validation pairs: {verdict['text']}.")
        st.page_link("pages/models.py", label="See its card on the Models page", icon="🗂️")
    elif state == "failed":
        st.error(
            f"Training failed: {status.get('error') or status.get('message', 'unknown error')}", icon="❌"
        )
        st.caption("Nothing was saved; an existing model of the same name is unchanged.")
    elif state == "cancelled":
        st.info("Training was cancelled; nothing was saved and an existing model of that name is unchanged.")
    show_curves(job, live)
    rows = status.get("cross_validation")
    if rows:
        st.markdown(
            "**Cross-validation** (each fold: a model trained on the other folds, tested on this one)"
        )
        table = pd.DataFrame(rows)
        st.dataframe(
            table[[column for column in ["fold", *METRIC_MEANINGS] if column in table]], hide_index=True
        )
        explain_columns(
            {"fold": "held-out fold, then the mean and standard deviation over folds"} | METRIC_MEANINGS
        )
    if state == "failed" or not live:
        with st.expander("Job log"):
            st.code(job.log() or "(empty)", language=None)
            st.caption(f"Job folder: {job.directory}")


@st.fragment(run_every=1.0)
def live_job(job_id: str) -> None:
    """Polls a running job every second; once it ends, reruns the whole app once (sidebar, model lists)."""
    job = get_job(job_id)
    status = job.status()
    if status.get("state") in FINAL_STATES and not st.session_state.get(f"_train_done_{job_id}"):
        st.session_state[f"_train_done_{job_id}"] = True
        st.rerun(scope="app")
    show_job(job, status, live=status.get("state") not in FINAL_STATES)


def jobs_section() -> None:
    st.subheader("3 · Training jobs")
    jobs = list_jobs()
    if not jobs:
        st.info("No training job yet. Jobs keep running when you switch pages or reload the browser.")
        return
    ids = [job.id for job in jobs]
    current = st.session_state[remember(JOB_KEY, None)]  # the job chosen before a page switch, if any
    if current not in ids:
        running = next((job.id for job in jobs if job.status().get("state") not in FINAL_STATES), None)
        current = running or ids[0]
        set_remembered(JOB_KEY, current)
    shown = ids[:RECENT_JOBS] + ([current] if current not in ids[:RECENT_JOBS] else [])
    by_id = {job.id: job for job in jobs}
    st.selectbox(
        "Job",
        shown,
        format_func=lambda job_id: job_label(by_id[job_id]),
        key=remember(JOB_KEY, current),
        help="Recent training jobs, newest first. A job keeps running in the background whatever page you are on.",
    )
    job = by_id[st.session_state[JOB_KEY]]
    status = job.status()
    if status.get("state") in FINAL_STATES:
        st.session_state[f"_train_done_{job.id}"] = True
        show_job(job, status, live=False)
    else:
        live_job(job.id)


st.title("Train a model")
st.caption(
    "Train any model family on your own labelled pairs. Training runs in the background: you can switch "
    "pages or reload the browser and come back to follow it. The finished model is saved with its card in "
    "your model folder and appears on every page."
)
data_section()
st.divider()
settings_section()
st.divider()
jobs_section()
