"""rnaapp: predict and inspect miRNA–target interactions in the browser.

Run with ``make app`` (or ``streamlit run app.py``). This file builds the navigation and the shared
sidebar; each page lives in ``pages/`` and only builds widgets and calls ``rnaapp``.
"""

from __future__ import annotations

import logging

import streamlit as st

from pages.common import sidebar

st.set_page_config(page_title="rnaapp", page_icon=":material/genetics:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/predict.py", title="Predict", icon=":material/target:", default=True),
        st.Page("pages/scan.py", title="Scan & browse", icon=":material/travel_explore:"),
        st.Page("pages/evaluate.py", title="Evaluate", icon=":material/monitoring:"),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/models.py", title="Models", icon=":material/inventory_2:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
    position="top",
)
sidebar()
try:
    navigation.run()
except Exception as error:  # the last line of defence: a message that says something, never a traceback
    logging.getLogger("rnaapp").exception("unexpected error on page %s", navigation.title)
    st.error(
        f"Something went wrong on this page: {type(error).__name__}: {error}. What you entered, your results "
        "and your saved models are kept. If it happens again, please report it with the steps that led to it "
        "(the full error is in the terminal that runs the app).",
        icon=":material/error:",
    )
