"""rnaapp: score one miRNA against one target site (placeholder page; the full app is a later issue).

Run with ``streamlit run app.py``. The page only builds widgets and calls ``rnaapp``.
"""

from __future__ import annotations

import streamlit as st

from rnaapp.io import InputError, pairs_from_sequences
from rnaapp.registry import ModelNotFoundError, load_model
from rnaapp.sites import best_site_type, find_seed_sites
from rnaapp.structure import duplex_diagram, hybridize

EXAMPLE_MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"  # hsa-let-7a-5p
EXAMPLE_TARGET = "GGCUUAGAUAAAAUGAAACUAUACAACCUACUACCUCAUU"


@st.cache_resource(show_spinner="Loading the model ...")
def cached_model(reference: str):
    return load_model(reference)


@st.cache_data(show_spinner=False)
def score_pair(reference: str, mirna: str, target: str) -> dict:
    from rnaapp.predict import predict

    model = cached_model(reference)
    probability = float(predict(model, [mirna], [target])[0])
    hybrid = hybridize(mirna, target)
    return {
        "model": model.name,
        "probability": probability,
        "site_type": best_site_type(mirna, target),
        "sites": [(site.site_type, site.start + 1, site.end) for site in find_seed_sites(mirna, target)],
        "energy": hybrid.energy,
        "diagram": duplex_diagram(hybrid).text(),
    }


st.set_page_config(page_title="rnaapp", page_icon="🧬", layout="centered")
st.title("rnaapp — miRNA–target site scoring")
st.caption("Paste a mature miRNA and a target site (both 5'→3'); DNA letters are accepted.")

mirna_text = st.text_input("miRNA (5'→3')", EXAMPLE_MIRNA)
target_text = st.text_area("Target site (5'→3', up to 60 nt)", EXAMPLE_TARGET, height=80)

if st.button("Score", type="primary"):
    try:
        pair = pairs_from_sequences(mirna_text, target_text)
        result = score_pair("site", pair.mirna_seq[0], pair.target_seq[0])
    except (InputError, ModelNotFoundError) as error:
        st.error(str(error))
    else:
        left, middle, right = st.columns(3)
        left.metric("Interaction probability", f"{result['probability']:.3f}")
        middle.metric("Seed site", result["site_type"])
        right.metric("Hybrid ΔG (kcal/mol)", f"{result['energy']:.1f}")
        st.code(result["diagram"], language=None)
        if result["sites"]:
            st.caption(
                "Seed sites (1-based, on the target): "
                + ", ".join(f"{t} {a}–{b}" for t, a, b in result["sites"])
            )
        st.caption(f"Model: {result['model']}")
