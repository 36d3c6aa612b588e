"""rnaapp: predict and inspect miRNA–target interactions in the browser.

Run with ``make app`` (or ``streamlit run app.py``). This file builds the navigation and the shared
sidebar; each page lives in ``pages/`` and only builds widgets and calls ``rnaapp``.
"""

from __future__ import annotations

import streamlit as st

from pages.common import sidebar

st.set_page_config(page_title="rnaapp", page_icon="🧬", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/predict.py", title="Predict", icon="🎯", default=True),
        st.Page("pages/scan.py", title="Scan & browse", icon="🔎"),
        st.Page("pages/evaluate.py", title="Evaluate", icon="📊"),
        st.Page("pages/train.py", title="Train", icon="🏋️"),
        st.Page("pages/models.py", title="Models", icon="🗂️"),
        st.Page("pages/settings.py", title="Settings", icon="⚙️"),
    ]
)
sidebar()
navigation.run()
