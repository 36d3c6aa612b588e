"""Settings: the miRBase file, where models run, batch size and precision; where rnaapp keeps its files."""

from __future__ import annotations

import json
import os

import pandas as pd
import streamlit as st

from pages.common import SHARED_APP_NOTE, gpu_available, server_paths_allowed, show_error
from rnaapp.inference import PRECISIONS, describe_device
from rnaapp.io import allowed_server_path, readable_folders
from rnaapp.jobs import jobs_directory
from rnaapp.registry import shipped_directory, user_directory
from rnaapp.settings import (
    MIRBASE_ENVIRONMENT_VARIABLE,
    MIRBASE_HELP,
    Settings,
    home_directory,
    load_settings,
    mirbase_sequences,
    save_settings,
    settings_path,
)

FLASH_KEY = "_settings_flash"
PRECISION_HELP = {
    "float32": "full precision: the same scores on every computer (recommended)",
    "bfloat16": "half-width numbers: faster and lighter on recent GPUs (and some CPUs); scores can differ "
    "from float32 in the second or third decimal",
}


def stored_mirbase_path() -> str:
    """The miRBase path saved on this page (``load_settings`` gives the environment variable instead, if set)."""
    try:
        values = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    path = values.get("mirbase_path") if isinstance(values, dict) else None
    return path if isinstance(path, str) else ""


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
if current.mirbase_path:
    try:
        count = len(mirbase_sequences(current.mirbase_path))
    except (ValueError, OSError) as error:
        st.warning(f"The miRBase file in use cannot be read: {error}", icon=":material/warning:")
    else:
        st.caption(f"In use: `{current.mirbase_path}` ({count:,} mature miRNAs).")
else:
    st.caption("No miRBase file is set: only a few well-known human miRNAs can be typed by name.")
with st.expander("Where to get miRBase mature.fa", expanded=not current.mirbase_path):
    st.markdown(MIRBASE_HELP)

devices = ["auto", "cpu"] + (["cuda"] if gpu_available() else [])
if current.device not in devices:
    devices.append(current.device)
precisions = list(PRECISIONS) + ([current.precision] if current.precision not in PRECISIONS else [])

with st.form("settings_form"):
    st.text_input(
        "Path of miRBase mature.fa (plain or .gz; leave empty for none)",
        value=stored_mirbase_path(),
        key="settings_mirbase",
        placeholder="/home/you/data/mature.fa",
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
    path = st.session_state["settings_mirbase"].strip() if server_paths_allowed() else stored_mirbase_path()
    new = Settings(
        mirbase_path=path or None,
        device=st.session_state["settings_device"],
        batch_size=int(st.session_state["settings_batch_size"]),
        precision=st.session_state["settings_precision"],
    )
    try:
        if path and path != stored_mirbase_path():
            allowed_server_path(path)  # a typed path names a file in the readable folders only
        written = save_settings(new)
    except (ValueError, OSError) as error:
        show_error(error, "Not saved")
    else:
        st.session_state[FLASH_KEY] = f"Saved to {written}."
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
