"""What every page shares: the sidebar, cached model loading, remembered inputs, errors and downloads.

Pages import this module; it only builds widgets and calls ``rnaapp`` (no torch or model code here).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from rnaapp.inference import PRECISIONS, InferenceOptions, describe_device, resolve_device
from rnaapp.io import InputError, is_local_address, read_server_file
from rnaapp.io.utrs import UtrReference, configured_utr_reference
from rnaapp.registry import (
    ModelCard,
    ModelNotFoundError,
    TrainedModel,
    defaults,
    list_models,
    load_model,
    shipped_directory,
    user_directory,
)
from rnaapp.settings import load_settings

#: Session-state key of the model chosen in the sidebar.
MODEL_KEY = "sidebar_model"

#: What a user sees instead of a traceback, by exception type.
USER_ERRORS = (InputError, ModelNotFoundError, ValueError, KeyError, OSError, PermissionError)

TASK_LABELS = {"site": "miRNA–mRNA 3'UTR sites", "plant": "plant miRNA–lncRNA", "gene": "miRNA–gene"}


#: Shown where a path box would be when the app is shared on a network.
SHARED_APP_NOTE = (
    "This app is shared on a network, so it reads no files of the computer it runs on: upload files instead."
)


def server_paths_allowed() -> bool:
    """Whether the pages read paths typed by the user: only when the app listens on this computer only.

    A shared app (``rnaapp app --address 0.0.0.0``) offers uploads only, so that a visitor cannot read the
    server's files.
    """
    return is_local_address(st.get_option("server.address"))


def read_typed_path(text: str) -> bytes:
    """The bytes of a file named by a typed path (bounded, inside the readable folders).

    Raises
    ------
    rnaapp.io.InputError
        When the app is shared on a network, and for every path :func:`rnaapp.io.read_server_file` refuses.
    """
    if not server_paths_allowed():
        raise InputError(SHARED_APP_NOTE.rstrip("."), source=Path(text.strip()).name or "<path>")
    return read_server_file(text)


def remember(key: str, default: Any = None) -> str:
    """A widget key whose value survives switching pages (Streamlit forgets widgets it does not draw).

    Call it as the ``key=`` of the widget, before the widget is drawn; the value is copied to a shadow
    key on every run and restored from it when the page is drawn again.
    """
    shadow = f"_remembered_{key}"
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(shadow, default)
    st.session_state[shadow] = st.session_state[key]
    return key


def set_remembered(key: str, value: Any) -> None:
    """Change a remembered widget's value (only from a callback or before the widget is drawn)."""
    st.session_state[key] = value
    st.session_state[f"_remembered_{key}"] = value


def card_stamp(name: str) -> float:
    """Modification time of a model's card (so that a retrained or renamed model is loaded afresh)."""
    for directory in (user_directory(), shipped_directory()):
        path = Path(directory) / f"{name}.json"
        if path.is_file():
            return path.stat().st_mtime
    return 0.0


@st.cache_resource(show_spinner="Loading the model …", max_entries=16)
def _cached_model(name: str, device: str, stamp: float) -> TrainedModel:
    return load_model(name, device=device)


def inference_device() -> str:
    """Where models run: the setting (``auto``: the GPU when there is one), falling back to the CPU."""
    try:
        return str(resolve_device(load_settings().device))
    except ValueError:
        return "cpu"


@st.cache_data(show_spinner=False, max_entries=8)
def _cached_options(device: str, batch_size: int, precision: str) -> InferenceOptions:
    return InferenceOptions(device=device, batch_size=batch_size, precision=precision)


def inference_options() -> InferenceOptions:
    """How every page runs models: the user's saved settings (batch size, precision) on the device the
    models are loaded on (:func:`inference_device`).

    Pass it to every library call that runs a model. The settings are read on each call (a change on the
    Settings page takes effect on the next run); the options are cached per distinct settings. A stored
    precision this version does not know falls back to float32.
    """
    settings = load_settings()
    precision = settings.precision if settings.precision in PRECISIONS else "float32"
    return _cached_options(inference_device(), int(settings.batch_size), precision)


def get_model(name: str) -> TrainedModel:
    """The loaded model (cached, eval mode; never mutate it)."""
    return _cached_model(name, inference_device(), card_stamp(name))


def model_cards(task: str | None = None) -> list[ModelCard]:
    """Cards of the available models (of one task), in the order every model chooser lists them.

    Grouped by task (in the order of :data:`TASK_LABELS`); within a task its default model first, then
    the user's models (newest first), then the other shipped ones by name.
    """
    cards = [card for card in list_models() if task is None or card.task == task]
    task_order = {name: index for index, name in enumerate(TASK_LABELS)}
    task_defaults = defaults()["tasks"]

    users = sorted(
        (card for card in cards if card.source == "user"), key=lambda card: card.created, reverse=True
    )
    user_rank = {card.name: index for index, card in enumerate(users)}

    def order(card: ModelCard) -> tuple:
        is_default = task_defaults.get(card.task) == card.name
        return (
            task_order.get(card.task, len(task_order)),
            card.task,
            0 if is_default else 1 if card.source == "user" else 2,
            user_rank.get(card.name, 0),
            card.name,
        )

    return sorted(cards, key=order)


def model_label(card: ModelCard, *, with_task: bool = False) -> str:
    """How a model is named in selectors (``with_task``: followed by its task, for lists of every task)."""
    owner = "your model" if card.source == "user" else "shipped"
    task = f" — {TASK_LABELS.get(card.task, card.task)}" if with_task else ""
    return f"{card.name} · {card.family} ({owner}){task}"


def installed_tasks() -> list[str]:
    """Tasks with at least one installed model, in the order of :data:`TASK_LABELS`."""
    present = {card.task for card in model_cards()}
    return [task for task in TASK_LABELS if task in present] + sorted(present - set(TASK_LABELS))


def model_task(name: str | None) -> str | None:
    """The task of an installed model (None when there is no such model)."""
    return next((card.task for card in model_cards() if card.name == name), None)


def task_chooser(key: str, label: str, on_change: Callable[[], None] | None = None) -> str:
    """A choice of task among the installed ones (drawn only when there are several); returns the task.

    Defaults to the task of the model chosen in the sidebar. A remembered task that has no model any
    more falls back to that default.
    """
    tasks = installed_tasks() or ["site"]
    preferred = model_task(selected_model())
    default = preferred if preferred in tasks else tasks[0]
    if st.session_state.get(key) not in tasks:
        set_remembered(key, default)
    if len(tasks) == 1:
        remember(key, default)
        return st.session_state[key]
    return st.radio(
        label,
        tasks,
        format_func=lambda task: TASK_LABELS.get(task, task),
        horizontal=True,
        key=remember(key, default),
        on_change=on_change,
    )


def default_model(task: str = "site") -> str | None:
    """The default model of a task, if one is installed."""
    names = [card.name for card in model_cards(task)]
    chosen = defaults()["tasks"].get(task)
    if chosen in names:
        return chosen
    return names[0] if names else None


def sidebar() -> None:
    """The sidebar of every page: model choice and the device models run on."""
    cards = model_cards()
    names = [card.name for card in cards]
    user_names = {card.name for card in cards if card.source == "user"}
    with st.sidebar:
        st.markdown("### Model")
        if not names:
            st.warning("No model is installed. Train one on the **Train** page.")
        else:
            if st.session_state.get(MODEL_KEY) not in names:
                st.session_state.pop(MODEL_KEY, None)
                st.session_state.pop(f"_remembered_{MODEL_KEY}", None)
            tasks = {card.name: TASK_LABELS.get(card.task, card.task) for card in cards}
            st.selectbox(
                "Model used by Predict (and the default elsewhere)",
                names,
                format_func=lambda name: (
                    f"{tasks[name]} · {name}" + (" (yours)" if name in user_names else "")
                ),
                key=remember(MODEL_KEY, default_model("site") or names[0]),
                help="Shipped models and the ones you trained. The Models page shows each model's card.",
            )
        st.caption(f"Runs on: {describe_device(inference_device())}")


def selected_model() -> str | None:
    """The model chosen in the sidebar (or the default site model)."""
    name = st.session_state.get(MODEL_KEY)
    return name if name in {card.name for card in model_cards()} else default_model("site")


def sidebar_model_changed(page: str) -> str | None:
    """The sidebar's model when the user changed it since ``page`` was last drawn, else None.

    Pages remember their own choice of model; they call this to follow the sidebar when the user picks
    another model there (before the page's first drawing, a sidebar model other than the site task's
    default counts as a change).
    """
    key = f"_sidebar_model_seen_by_{page}"
    chosen = selected_model()
    seen = st.session_state.get(key, default_model("site"))
    st.session_state[key] = chosen
    return chosen if seen != chosen else None


def show_error(error: BaseException, what: str = "") -> None:
    """Show a problem the user can fix, without a traceback."""
    prefix = f"{what}: " if what else ""
    st.error(f"{prefix}{error}", icon=":material/warning:")


def run_safely(action: Callable[[], Any], what: str = "") -> Any:
    """Run ``action``; show user errors as messages and return None instead of raising them."""
    try:
        return action()
    except USER_ERRORS as error:
        show_error(error, what)
    return None


def upload_help() -> str:
    """What the upload widgets accept, with the size limit set in ``.streamlit/config.toml``."""
    limit_mb = int(st.get_option("server.maxUploadSize"))
    limit = f"{limit_mb / 1024:g} GB" if limit_mb >= 1024 else f"{limit_mb} MB"
    return (
        f"Files of up to {limit} (set by server.maxUploadSize in .streamlit/config.toml); gzip is accepted."
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV."""
    return frame.to_csv(index=False).encode("utf-8")


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Tables as one Excel workbook (one sheet each), written with openpyxl."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


def counted(number: int, noun: str) -> str:
    """``"1 miRNA"``, ``"3 miRNAs"``: a count with its noun in the right number."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def download(label: str, data: bytes | Callable[[], bytes], file_name: str, mime: str, key: str) -> None:
    """A download button that does not rerun the page (results stay on screen)."""
    st.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click="ignore")


def explain_columns(columns: dict[str, str], title: str = "What the columns mean") -> None:
    """An expander listing every column with its meaning."""
    with st.expander(title):
        st.markdown("\n".join(f"- **{name}**: {meaning}" for name, meaning in columns.items()))


#: What each evaluation metric means (for :func:`explain_columns`; see :mod:`rnaapp.evaluate`).
METRIC_MEANINGS = {
    "ACC": "accuracy: share of pairs classified correctly at the 0.5 threshold",
    "SEN": "sensitivity (recall): share of true interactions called positive",
    "SPE": "specificity: share of non-interacting pairs called negative",
    "PRE": "precision: share of pairs called positive that truly interact",
    "F1": "harmonic mean of precision and sensitivity",
    "MCC": "Matthews correlation coefficient (-1 to 1; 0 = no better than chance)",
    "AUC": "area under the ROC curve (0.5 = chance, 1 = perfect ranking)",
    "AUPR": "area under the precision–recall curve (average precision)",
    "GEP": "geometric mean of precision and sensitivity",
    "n": "number of pairs measured",
    "n_pos": "number of interacting (label 1) pairs",
    "n_neg": "number of non-interacting (label 0) pairs",
}


def gpu_available() -> bool:
    """Whether a CUDA GPU can be used (so that pages offer the ``cuda`` device only then)."""
    try:
        resolve_device("cuda")
    except (ValueError, RuntimeError):
        return False
    return True


def format_duration(seconds: float | None) -> str:
    """``seconds`` as a short human-readable duration, e.g. ``"2 min 05 s"`` (empty for None)."""
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def new_upload(upload: Any | None, seen_key: str, error_key: str) -> bytes | None:
    """The bytes of ``upload`` when it is not the file last parsed under ``seen_key``, else None.

    A new file is remembered under ``seen_key`` (name and SHA-256) and clears the error kept under
    ``error_key``, so each upload is parsed once however often the page reruns. No upload (None) forgets
    both, so that the same file can be uploaded again.
    """
    if upload is None:
        st.session_state.pop(seen_key, None)
        st.session_state.pop(error_key, None)
        return None
    content = upload.getvalue()
    seen = (upload.name, hashlib.sha256(content).hexdigest())
    if st.session_state.get(seen_key) == seen:
        return None
    st.session_state[seen_key] = seen
    st.session_state.pop(error_key, None)
    return content


def parse_new_upload(
    upload: Any | None, seen_key: str, error_key: str, parse: Callable[[bytes, str], Any]
) -> tuple[Any, str] | None:
    """``(parse(content, name), sha256 of content)`` for a new upload (see :func:`new_upload`), else None.

    A file ``parse`` refuses (one of :data:`USER_ERRORS`) leaves its message under ``error_key`` and gives
    None, so the caller keeps what it loaded before.
    """
    content = new_upload(upload, seen_key, error_key)
    if content is None:
        return None
    try:
        return parse(content, upload.name), st.session_state[seen_key][1]
    except USER_ERRORS as error:
        st.session_state[error_key] = str(error)
        return None


#: Display formats of the graded score columns in result tables.
NUMBER_FORMATS = {
    "score": "%.2f",
    "percentile": "%.0f",
    "best_site_log_odds": "%.2f",
    "log_odds": "%.2f",
    "contribution": "percent",
}


def table_columns(frame: pd.DataFrame, meanings: dict[str, str]) -> dict[str, Any]:
    """``st.dataframe`` column_config of a result table: each column's meaning as its help text (hover the
    header), probability as a 0-1 bar, the graded scores with :data:`NUMBER_FORMATS`."""
    config: dict[str, Any] = {}
    for column in frame.columns:
        meaning = meanings.get(column)
        if column == "probability":
            config[column] = st.column_config.ProgressColumn(
                column, min_value=0.0, max_value=1.0, format="%.3f", help=meaning
            )
        elif column in NUMBER_FORMATS:
            config[column] = st.column_config.NumberColumn(
                column, format=NUMBER_FORMATS[column], help=meaning
            )
        elif meaning is not None:
            config[column] = st.column_config.Column(column, help=meaning)
    return config


@st.cache_resource(show_spinner=False, max_entries=2)
def _uploaded_utr_reference(digest: str, _data: bytes, name: str) -> UtrReference:
    return UtrReference.read(_data, name=name)


def utr_reference_for(upload: Any | None) -> UtrReference | None:
    """The 3'UTR reference of a page's uploaded FASTA (kept while the same file stays uploaded), else the
    one set in Settings, else None.

    Raises
    ------
    InputError
        For a file that cannot be read as FASTA.
    """
    if upload is None:
        return configured_utr_reference()
    data = upload.getvalue()
    return _uploaded_utr_reference(hashlib.sha256(data).hexdigest(), data, upload.name)
