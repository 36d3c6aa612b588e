"""Models: every shipped and user model with its card; rename, delete, choose defaults, compare cards."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from pages.common import (
    METRIC_MEANINGS,
    TASK_LABELS,
    download,
    explain_columns,
    model_cards,
    model_label,
    remember,
    run_safely,
    selected_model,
    set_remembered,
    sidebar_model_changed,
)
from rnaapp import figures
from rnaapp.metrics import METRIC_NAMES
from rnaapp.registry import (
    SUMMARY_METRICS,
    ModelCard,
    defaults,
    delete_model,
    model_file_problems,
    model_summary,
    rename_model,
    set_default,
    unchecked_weights,
    user_directory,
)
from rnaapp.verdict import card_verdict, headline, is_warning, verdict_words

SELECTED_KEY = "models_selected"
COMPARE_KEY = "models_compare"
NEW_NAME_KEY = "models_new_name"
#: A message to show after the rerun that follows a change (rename, delete, default).
FLASH_KEY = "_models_flash"
#: A model to select after the rerun that follows a change.
PENDING_KEY = "_models_pending"

SUMMARY_COLUMNS = {
    "name": "model name (use it with `rnaapp predict --model NAME`)",
    "family": "model family (architecture); see the card for its settings",
    "task": "what the model predicts: " + "; ".join(f"{key} = {label}" for key, label in TASK_LABELS.items()),
    "source": "shipped (comes with rnaapp, read-only) or user (trained by you)",
    "created": "date the model was saved",
    "training_data": "data the model was trained on",
    "is_default": "the model used when only its task is named (e.g. by Predict and the command line)",
    "verdict": "how the model did at the end of its training, on its validation pairs, against chance and "
    "its task's baseline models (models trained by rnaapp; empty for the shipped ones, measured on test sets)",
    "description": "the family's architecture in one line",
}


def metric_sets(metrics: Any) -> dict[str, dict[str, Any]]:
    """Test metrics of a card by test set (a flat card has one unnamed set, ``test``)."""
    if not isinstance(metrics, dict):
        return {}
    if any(name in metrics for name in METRIC_NAMES):
        return {"test": metrics}
    return {
        key: value
        for key, value in metrics.items()
        if isinstance(value, dict) and any(name in value for name in METRIC_NAMES)
    }


def metrics_table(sets: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per test set, one column per metric (and pair counts)."""
    columns = [
        name for name in (*METRIC_NAMES, "n", "n_pos", "n_neg") if any(name in v for v in sets.values())
    ]
    rows = [
        {"test set": str(name).replace("_", " ")} | {column: values.get(column) for column in columns}
        for name, values in sets.items()
    ]
    return pd.DataFrame(rows, columns=["test set", *columns])


def text_value(value: Any) -> str:
    """A card value as table text (numbers rounded, lists joined, nothing as a dash)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return (
            f"{value:.4g}"
            if abs(value) < 1e-3 or abs(value) >= 1e5
            else f"{value:.4f}".rstrip("0").rstrip(".")
        )
    if isinstance(value, (list, tuple)):
        return ", ".join(text_value(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)


#: Longest list of names a card's configuration shows in full (graph models list every node they know).
MAX_LISTED_NAMES = 12


def shown_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """A card's configuration for display: long lists of names (a graph model's nodes) are summarised."""
    shown = {}
    for key, value in (config or {}).items():
        if (
            isinstance(value, (list, tuple))
            and len(value) > MAX_LISTED_NAMES
            and all(isinstance(item, str) for item in value)
        ):
            value = f"{len(value):,} names: {', '.join(value[:5])}, … (all of them in the card JSON)"
        shown[key] = value
    return shown


def comparison(cards: list[ModelCard]) -> pd.DataFrame:
    """Key card fields, training settings, test metrics and architecture settings, one column per model."""
    rows: dict[str, dict[str, str]] = {}

    def put(field: str, card: ModelCard, value: Any) -> None:
        rows.setdefault(field, {})[card.name] = text_value(value)

    for card in cards:
        training = card.training if isinstance(card.training, dict) else {}
        settings = training.get("settings") if isinstance(training.get("settings"), dict) else {}
        put("family", card, card.family)
        put("task", card, card.task)
        put("source", card, card.source)
        put("created", card, str(card.created)[:10])
        put("rnaapp version", card, card.version)
        put("training data", card, training.get("data") or training.get("dataset"))
        put("training pairs", card, training.get("train_pairs"))
        put("validation pairs", card, training.get("valid_pairs"))
        put("best epoch", card, training.get("best_epoch"))
        put("best validation AUC", card, training.get("best_valid_auc"))
        put("training verdict", card, (card_verdict(training) or {}).get("text"))
        for name in ("epochs", "batch_size", "learning_rate", "seed"):
            put(f"training · {name.replace('_', ' ')}", card, settings.get(name))
        for test_set, values in metric_sets(card.metrics).items():
            for metric in SUMMARY_METRICS:
                if metric in values:
                    put(f"{metric} ({str(test_set).replace('_', ' ')})", card, values[metric])
        cross_validation = card.metrics.get("cross_validation") if isinstance(card.metrics, dict) else None
        if isinstance(cross_validation, dict) and isinstance(cross_validation.get("mean"), dict):
            for metric in SUMMARY_METRICS:
                if metric in cross_validation["mean"]:
                    put(f"{metric} (cross-validation mean)", card, cross_validation["mean"][metric])
        for key, value in shown_config(card.config).items():
            put(f"config · {key}", card, value)
    names = [card.name for card in cards]
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=names).fillna("—")
    table.index.name = "field"
    return table.reset_index()


def after_change(message: str, select: str | None = None) -> None:
    """Show ``message`` after a rerun that redraws the sidebar and every list of models."""
    st.session_state[FLASH_KEY] = message
    if select is not None:
        st.session_state[PENDING_KEY] = select
    st.rerun()


def show_verdict(card: ModelCard) -> None:
    """The training's verdict (against chance and the task's baselines): a warning when not better."""
    verdict = card_verdict(card.training)
    if verdict is None:
        return
    found = headline(verdict)
    text = f"Training verdict: this model is **{found}**{verdict['text'][len(found) :]}."
    if is_warning(verdict):
        st.warning(
            text + " Its scores are not worth more than that: retrain it (more data, more epochs, checked "
            "labels) or use another model.",
            icon=":material/warning:",
        )
    else:
        st.success(text, icon=":material/verified:")


def show_card(card: ModelCard) -> None:
    task_defaults, family_defaults = defaults()["tasks"], defaults()["families"]
    owner = ":material/lock: shipped (read-only)" if card.source == "shipped" else "your model"
    st.markdown(f"### {card.name}  \n{owner}")
    if card.description:
        st.caption(card.description)
    columns = st.columns(5)
    columns[0].metric("Family", card.family)
    columns[1].metric("Task", card.task, help=TASK_LABELS.get(card.task))
    columns[2].metric("Created", str(card.created)[:10] or "—", help=str(card.created))
    columns[3].metric("rnaapp version", card.version or "—")
    columns[4].metric("Card format", card.format)
    roles = [f"the default **{card.task}** model"] if task_defaults.get(card.task) == card.name else []
    if family_defaults.get(card.family) == card.name:
        roles.append(f"the default **{card.family}** model")
    if roles:
        st.markdown("This is " + " and ".join(roles) + ".")
    show_verdict(card)

    metrics_tab, training_tab, config_tab, notes_tab = st.tabs(
        ["Metrics", "Training", "Configuration", "Notes"]
    )
    with metrics_tab:
        sets = metric_sets(card.metrics)
        if sets:
            st.dataframe(metrics_table(sets), hide_index=True)
        cross_validation = card.metrics.get("cross_validation") if isinstance(card.metrics, dict) else None
        if isinstance(cross_validation, dict):
            st.markdown(f"**Cross-validation** ({cross_validation.get('folds', '?')} folds)")
            parts = {key: cross_validation.get(key) for key in ("mean", "std")}
            st.dataframe(
                metrics_table({key: value for key, value in parts.items() if isinstance(value, dict)}).rename(
                    columns={"test set": "over folds"}
                ),
                hide_index=True,
            )
        if not sets and not cross_validation:
            best = (card.training or {}).get("best_valid_auc")
            st.write(
                "This card has no test metrics: it was not measured on a separate test set."
                + (
                    f" Its best validation AUC during training (on held-out pairs of its own data) was {best:.4f}."
                    if isinstance(best, (int, float))
                    else ""
                )
            )
        other = {
            key: value
            for key, value in (card.metrics or {}).items()
            if key not in sets and key != "cross_validation"
        }
        if other:
            st.json(other, expanded=False)
        if sets or cross_validation:
            explain_columns({"test set": "the held-out data the metrics were measured on"} | METRIC_MEANINGS)
    with training_tab:
        training = dict(card.training) if isinstance(card.training, dict) else {}
        history = training.pop("history", None)
        settings = training.pop("settings", None)
        command = training.pop("command", None)
        facts = {
            "data": training.pop("data", None) or training.pop("dataset", None),
            "split": training.pop("split", None),
            "seed": training.pop("seed", None),
            "training pairs": training.pop("train_pairs", None),
            "validation pairs": training.pop("valid_pairs", None),
            "best epoch": training.pop("best_epoch", None),
            "best validation AUC": training.pop("best_valid_auc", None),
            "verdict": (card_verdict({"verdict": training.pop("verdict", None)}) or {}).get("text"),
            "training time (s)": training.pop("seconds", None),
        }
        st.dataframe(
            pd.DataFrame(
                [
                    {"field": key, "value": text_value(value)}
                    for key, value in facts.items()
                    if value is not None
                ]
                or [{"field": "training", "value": "not recorded"}]
            ),
            hide_index=True,
        )
        if command:
            st.markdown("Command that made this model:")
            st.code(str(command), language="bash")
        if settings:
            st.markdown("Optimisation settings:")
            st.json(settings, expanded=False)
        if training:
            st.markdown("Other training details:")
            st.json(training, expanded=False)
        if isinstance(history, list) and history:
            st.plotly_chart(figures.training_curves(history), key=f"models_curves_{card.name}")
    with config_tab:
        if card.config:
            st.json(shown_config(card.config))
            if card.task == "gene" and card.config.get("gene_nodes"):
                st.caption(
                    f"mirna_nodes and gene_nodes: the {len(card.config.get('mirna_nodes', [])):,} miRNAs and "
                    f"{len(card.config['gene_nodes']):,} genes of the interaction graph the model was trained "
                    "on; others are scored as unseen nodes."
                )
        else:
            st.write(f"The {card.family} family has no settings.")
    with notes_tab:
        if card.notes:
            st.markdown("\n".join(f"- {note}" for note in card.notes))
        else:
            st.write("No notes.")
    download(
        "Card (JSON)",
        card.to_json().encode("utf-8"),
        f"{card.name}.json",
        "application/json",
        "models_card_json",
    )


def show_actions(card: ModelCard) -> None:
    task_defaults, family_defaults = defaults()["tasks"], defaults()["families"]
    is_default = task_defaults.get(card.task) == card.name and family_defaults.get(card.family) == card.name
    if st.button("Make it the default model", disabled=is_default, help="Of its task and of its family"):
        if run_safely(lambda: set_default(card.name) or True, "Cannot set the default") is not None:
            after_change(f"'{card.name}' is now the default {card.task} model.", select=card.name)
    if card.source == "shipped":
        st.caption(
            ":material/lock: Shipped models are read-only: they cannot be renamed or deleted. Train your own on the Train page."
        )
        return
    rename_column, delete_column = st.columns(2)
    with rename_column.container(border=True):
        st.text_input("New name", key=remember(NEW_NAME_KEY, ""), placeholder=f"{card.name}_v2")
        if st.button("Rename"):
            new = st.session_state[NEW_NAME_KEY].strip()
            if run_safely(lambda: rename_model(card.name, new), "Cannot rename") is not None:
                st.session_state["_models_clear_name"] = True
                after_change(f"Renamed '{card.name}' to '{new}'.", select=new)
    with delete_column.container(border=True):
        confirm_key = f"models_confirm_delete_{card.name}"
        st.checkbox(f"Yes, delete '{card.name}' for good", key=confirm_key)
        if st.button("Delete", type="primary", disabled=not st.session_state.get(confirm_key)):
            if run_safely(lambda: delete_model(card.name) or True, "Cannot delete") is not None:
                st.session_state.pop(confirm_key, None)
                after_change(f"Deleted '{card.name}'.")


st.title("Models")
st.caption(
    "Every model rnaapp can use: the shipped ones (read-only) and the ones you trained "
    f"(stored in `{user_directory()}`). Choose the one Predict and Scan use in the sidebar."
)
if FLASH_KEY in st.session_state:
    st.success(st.session_state.pop(FLASH_KEY), icon=":material/check_circle:")
if st.session_state.pop("_models_clear_name", False):
    set_remembered(NEW_NAME_KEY, "")

for problem in model_file_problems():
    st.warning(f"Not usable: {problem}", icon=":material/warning:")
for note in unchecked_weights():
    st.info(note, icon="ℹ️")
cards = model_cards()
if not cards:
    st.info("No model is installed. Train one on the Train page.")
    st.stop()
by_name = {card.name: card for card in cards}
names = list(by_name)

summary = model_summary(cards)
summary.insert(
    list(summary.columns).index("is_default") + 1,
    "verdict",
    [verdict_words(card.training) for card in cards],
)
st.dataframe(
    summary,
    hide_index=True,
    column_config={"is_default": st.column_config.CheckboxColumn("is_default")},
)
metric_columns = [column for column in summary.columns if column not in SUMMARY_COLUMNS]
explain_columns(
    SUMMARY_COLUMNS
    | {
        column: f"{METRIC_MEANINGS.get(column.split(' ')[0], 'test metric')}, on the test set named in brackets"
        for column in metric_columns
    }
)

st.subheader("Model card")
# The card shown first is the sidebar's model; a model chosen here stays until the sidebar changes.
sidebar_choice = selected_model()
opening = sidebar_choice if sidebar_choice in by_name else names[0]
remember(SELECTED_KEY, opening)
followed = sidebar_model_changed("models")
pending = st.session_state.pop(PENDING_KEY, None)
if pending in by_name:
    set_remembered(SELECTED_KEY, pending)
elif followed in by_name:
    set_remembered(SELECTED_KEY, followed)
elif st.session_state.get(SELECTED_KEY) not in by_name:
    set_remembered(SELECTED_KEY, opening)
chosen = st.selectbox(
    "Model",
    names,
    format_func=lambda name: model_label(by_name[name]),
    key=remember(SELECTED_KEY, opening),
    help="Opens on the model chosen in the sidebar.",
)
show_card(by_name[chosen])
show_actions(by_name[chosen])

st.subheader("Compare models")
remember(COMPARE_KEY, [])
if any(name not in by_name for name in st.session_state[COMPARE_KEY]):
    set_remembered(COMPARE_KEY, [name for name in st.session_state[COMPARE_KEY] if name in by_name])
compared = st.multiselect(
    "Models to compare (2 to 4)",
    names,
    format_func=lambda name: model_label(by_name[name]),
    max_selections=4,
    key=remember(COMPARE_KEY, []),
)
if len(compared) < 2:
    st.info("Choose at least two models to see their cards side by side.")
else:
    st.dataframe(comparison([by_name[name] for name in compared]), hide_index=True)
    explain_columns(
        {
            "training · …": "optimisation settings the model was trained with",
            "AUC (test set)": "test metrics as on the cards (see the Metrics tab of each card)",
            "config · …": "architecture settings of the family",
        }
        | {metric: METRIC_MEANINGS[metric] for metric in SUMMARY_METRICS},
        title="What the rows mean",
    )
