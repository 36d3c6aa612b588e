"""Settings: the miRBase file, the 3'UTR reference, where models run, batch size and precision; rnaapp's files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from pages.common import SHARED_APP_NOTE, gpu_available, server_paths_allowed, show_error
from rnaapp.inference import PRECISIONS, describe_device
from rnaapp.io import allowed_server_path, count_fasta_records, readable_folders
from rnaapp.jobs import jobs_directory
from rnaapp.registry import shipped_directory, user_directory
from rnaapp.settings import (
    MIRBASE_ENVIRONMENT_VARIABLE,
    MIRBASE_HELP,
    Settings,
    check_utr_fasta_file,
    home_directory,
    load_settings,
    mirbase_sequences,
    save_settings,
    settings_path,
    store_mirbase_upload,
    store_utr_upload,
    stored_settings,
)

FLASH_KEY = "_settings_flash"
#: Session keys of the outcome of the last upload per uploader: (file id, error message or None).
UPLOAD_OUTCOME_KEY = "_settings_upload_outcome"
PRECISION_HELP = {
    "float32": "full precision: the same scores on every computer (recommended)",
    "bfloat16": "half-width numbers: faster and lighter on recent GPUs (and some CPUs); scores can differ "
    "from float32 in the second or third decimal",
}


def stored_mirbase_path() -> str:
    """The miRBase path saved on this page (``load_settings`` gives the environment variable instead, if set)."""
    return stored_settings().mirbase_path or ""


def stored_utr_fasta() -> str:
    """The 3'UTR FASTA path saved on this page ("" when none)."""
    return stored_settings().utr_fasta or ""


def shown_path(path: str) -> str:
    """A path as this page shows it: whole on this computer, the file name only when the app is shared."""
    return path if server_paths_allowed() else Path(path).name


def mirbase_summary(path: Path) -> str:
    reference = mirbase_sequences(str(path))
    return f"{len(reference):,} mature miRNAs, {len(reference.accessions):,} with a MIMAT accession"


def utr_summary(path: Path) -> str:
    check_utr_fasta_file(str(path))
    count = count_fasta_records(Path(path).expanduser())
    return f"{count:,} 3'UTR record{'' if count == 1 else 's'}"


def reference_file(
    path: str | None,
    what: str,
    summary: Callable[[Path], str],
    missing: str,
    *,
    uploader: tuple[str, str],
    store: Callable[[bytes, str], Path],
    text_key: str,
) -> None:
    """The reference file in use (``path``, with ``summary`` of it) and an uploader that replaces it."""
    if path:
        try:
            described = summary(Path(path))
        except (ValueError, OSError) as error:
            st.warning(f"The {what} in use cannot be read: {error}", icon=":material/warning:")
        else:
            st.caption(f"In use: `{shown_path(path)}` ({described}).")
    else:
        st.caption(missing)
    label, key = uploader
    st.file_uploader(label, key=key, help="Checked, then kept in the rnaapp folder and used from now on.")
    use_upload(key, what, store, summary, text_key)


def use_upload(
    key: str, what: str, store: Callable[[bytes, str], Path], summary: Callable[[Path], str], text_key: str
) -> None:
    """Store the file of uploader ``key`` once per file (:func:`store_mirbase_upload` or the like).

    A good file is stored, set and announced (with ``summary`` of it) after a rerun; a bad one keeps the
    previous file and gets one line, shown while the uploader holds it.
    """
    upload = st.session_state.get(key)
    outcomes = st.session_state.setdefault(UPLOAD_OUTCOME_KEY, {})
    if upload is None:
        outcomes.pop(key, None)
        return
    if outcomes.get(key, (None,))[0] != upload.file_id:
        try:
            path = store(upload.getvalue(), upload.name)
            message = f"{upload.name} is now the {what} ({summary(path)}), stored as {shown_path(str(path))}."
        except (ValueError, OSError) as error:
            outcomes[key] = (upload.file_id, f"{upload.name} not used, the previous {what} is kept: {error}")
        else:
            outcomes[key] = (upload.file_id, None)
            st.session_state[FLASH_KEY] = message
            st.session_state[text_key] = str(path)  # the path box shows the stored file
            st.rerun()
    problem = outcomes[key][1]
    if problem:
        st.error(problem, icon=":material/warning:")


def device_text(device: str) -> str:
    try:
        return describe_device(device)
    except (ValueError, RuntimeError) as error:
        return f"not usable here ({error})"


st.title("Settings")
if FLASH_KEY in st.session_state:
    st.success(st.session_state.pop(FLASH_KEY), icon=":material/check_circle:")

current = load_settings()
environment_path = os.environ.get(MIRBASE_ENVIRONMENT_VARIABLE, "").strip()

st.subheader("miRBase file")
if environment_path:
    st.info(
        f"The environment variable `{MIRBASE_ENVIRONMENT_VARIABLE}` is set to `{environment_path}`: it is the "
        "miRBase file in use, whatever is saved below (unset it to use the saved path)."
    )
reference_file(
    current.mirbase_path,
    "miRBase file",
    mirbase_summary,
    "No miRBase file is set: only a few well-known human miRNAs can be typed by name.",
    uploader=("Upload miRBase mature.fa (plain or .gz)", "settings_mirbase_upload"),
    store=store_mirbase_upload,
    text_key="settings_mirbase",
)
with st.expander("Where to get miRBase mature.fa", expanded=not current.mirbase_path):
    st.markdown(MIRBASE_HELP)

st.subheader("3'UTR reference")
reference_file(
    current.utr_fasta,
    "3'UTR file",
    utr_summary,
    "No 3'UTR file is set: paste or upload target sequences instead of gene symbols.",
    uploader=(
        "Upload a 3'UTR FASTA (plain or .gz; headers naming the genes, e.g. >ENSG…|ENST…|TP53)",
        "settings_utr_upload",
    ),
    store=store_utr_upload,
    text_key="settings_utr_fasta",
)

devices = ["auto", "cpu"] + (["cuda"] if gpu_available() else [])
if current.device not in devices:
    devices.append(current.device)
precisions = list(PRECISIONS) + ([current.precision] if current.precision not in PRECISIONS else [])

with st.form("settings_form"):
    for label, saved_path, key, placeholder in (
        ("miRBase mature.fa", stored_mirbase_path(), "settings_mirbase", "/home/you/data/mature.fa"),
        ("a 3'UTR FASTA", stored_utr_fasta(), "settings_utr_fasta", "/home/you/data/utr3.fa.gz"),
    ):
        if key not in st.session_state:
            st.session_state[key] = saved_path  # set here, not as value=: an upload replaces it
        st.text_input(
            f"Path of {label} (plain or .gz; leave empty for none)",
            key=key,
            placeholder=placeholder,
            disabled=not server_paths_allowed(),
            help=None if server_paths_allowed() else SHARED_APP_NOTE,
        )
    st.markdown("**Running models**")
    st.radio(
        "Device",
        devices,
        index=devices.index(current.device),
        horizontal=True,
        key="settings_device",
        help="Where Predict, Scan and Evaluate run models. auto = the GPU when there is one, else the CPU. "
        "(Training picks its device on the Train page.)",
    )
    st.caption("  ·  ".join(f"{device}: {device_text(device)}" for device in devices))
    st.number_input(
        "Batch size (pairs scored at once)",
        min_value=1,
        max_value=65536,
        value=int(current.batch_size),
        step=64,
        key="settings_batch_size",
        help="Larger is faster until memory runs out; lower it if the app runs out of memory.",
    )
    st.radio(
        "Precision",
        precisions,
        index=precisions.index(current.precision),
        horizontal=True,
        key="settings_precision",
        help="float32: " + PRECISION_HELP["float32"] + ". bfloat16: " + PRECISION_HELP["bfloat16"] + ".",
    )
    st.caption("  \n".join(f"**{name}**: {meaning}" for name, meaning in PRECISION_HELP.items()))
    saved = st.form_submit_button("Save", type="primary")

if saved:
    typed = server_paths_allowed()
    path = st.session_state["settings_mirbase"].strip() if typed else stored_mirbase_path()
    utr_path = st.session_state["settings_utr_fasta"].strip() if typed else stored_utr_fasta()
    new = Settings(
        mirbase_path=path or None,
        utr_fasta=utr_path or None,
        device=st.session_state["settings_device"],
        batch_size=int(st.session_state["settings_batch_size"]),
        precision=st.session_state["settings_precision"],
    )
    try:
        # A typed path names a file in the readable folders only.
        if path and path != stored_mirbase_path():
            allowed_server_path(path)
        if utr_path and utr_path != stored_utr_fasta():
            allowed_server_path(utr_path)
        written = save_settings(new)
    except (ValueError, OSError) as error:
        show_error(error, "Not saved")
    else:
        st.session_state[FLASH_KEY] = f"Saved to {shown_path(str(written))}."
        st.rerun()  # the sidebar shows the new device

if not server_paths_allowed():
    st.caption(SHARED_APP_NOTE)
    st.stop()
st.subheader("Where rnaapp keeps its files")
st.dataframe(
    pd.DataFrame(
        [
            {"what": "rnaapp folder (RNAAPP_HOME)", "path": str(home_directory())},
            {"what": "settings", "path": str(settings_path())},
            {"what": "your models", "path": str(user_directory())},
            {"what": "training jobs (data, logs, curves)", "path": str(jobs_directory())},
            {"what": "shipped models (read-only)", "path": str(shipped_directory())},
            *(
                {"what": "folder whose files typed paths may name", "path": str(folder)}
                for folder in readable_folders()
            ),
        ]
    ),
    hide_index=True,
)
st.caption(
    "Set the environment variable RNAAPP_HOME before starting the app to keep everything elsewhere, and "
    "RNAAPP_READABLE_FOLDERS (folders separated by ':') to let typed paths name files in more folders. A "
    "training job's folder can be deleted once the job has ended; its model is kept."
)
