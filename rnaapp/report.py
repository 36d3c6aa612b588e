"""Everything known about one miRNA–target pair: the scores of several models, the seed sites, the duplex
and the model's attention. The Predict page shows a :class:`PairReport`; the library computes it.

A target that the first model reads whole is scored as it is. A longer one (a whole 3'UTR or lncRNA) is
scanned (:mod:`rnaapp.scan`): the best sites are listed and the duplex and attention map are drawn for
the best site's window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnaapp.predict import predict
from rnaapp.registry import TrainedModel
from rnaapp.scan import candidate_sites, scan, transcript_probabilities, window_bounds
from rnaapp.structure import Hybrid, hybridize

#: Explanations of the per-model table of :class:`PairReport`.
SCORE_COLUMNS = {
    "model": "model name (see the Models page for its card)",
    "family": "model family",
    "probability": "predicted probability that the miRNA targets this sequence (0-1); for a target longer "
    "than the model's window, the highest probability over its candidate sites",
    "scanned": "whether the target was longer than the model's window and was scanned site by site",
    "best_site_start": "for a scanned target: position (1-based) of the best site's seed match",
    "best_site_type": "for a scanned target: seed match type of the best site",
}

#: Explanations of the seed site table of :class:`PairReport`.
SITE_TABLE_COLUMNS = {
    "site_type": "8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer (canonical), or non-canonical (one G:U or "
    "mismatch at miRNA positions 3-7)",
    "start": "first target nucleotide of the seed match (1-based)",
    "end": "last target nucleotide of the seed match (1-based, inclusive)",
    "seed_pairing": "which miRNA positions pair with the site",
    "probability": "the first model's probability for the 40-nt window around the site",
    "energy": "ViennaRNA duplex free energy of the miRNA with that window (kcal/mol)",
}


@dataclass
class PairReport:
    """What the Predict page shows for one pair.

    Attributes
    ----------
    mirna, target
        The normalised sequences (5'->3').
    scores
        One row per model (see :data:`SCORE_COLUMNS`).
    sites
        Candidate seed sites on the target (see :data:`SITE_TABLE_COLUMNS`), best first for a scanned
        target, by position otherwise.
    scanned
        Whether the target was too long for the first model and was scanned.
    focus_start, focus_end
        0-based, end-exclusive region of the target the duplex and attention map are drawn for (the whole
        target, or the best site's window).
    hybrid
        ViennaRNA duplex of the miRNA with the focus region.
    attention
        Attention of the first model that has one, shape ``(len(mirna), focus_end - focus_start)``, or None.
    attention_model
        Name of that model.
    """

    mirna: str
    target: str
    scores: pd.DataFrame
    sites: pd.DataFrame
    scanned: bool
    focus_start: int
    focus_end: int
    hybrid: Hybrid
    attention: np.ndarray | None
    attention_model: str | None

    @property
    def focus(self) -> str:
        return self.target[self.focus_start : self.focus_end]


def _fits(model: TrainedModel, target: str) -> bool:
    limit = model.family.max_target_length(model.config)
    return limit is None or len(target) <= limit


def pair_report(
    models: Sequence[TrainedModel], mirna: str, target: str, *, max_sites: int = 20
) -> PairReport:
    """Score one pair with several models and gather its sites, duplex and attention.

    Parameters
    ----------
    models
        Loaded models; the first one decides whether the target is scanned and whose sites are listed.
    mirna, target
        Normalised RNA, 5'->3' (as :func:`rnaapp.io.pairs_from_sequences` gives).
    max_sites
        Sites listed for a scanned target.

    Returns
    -------
    PairReport
    """
    if not models:
        raise ValueError("choose at least one model")
    primary = models[0]
    scanned = not _fits(primary, target)
    found = (
        scan(primary, [("miRNA", mirna)], [("target", target)], sites_per_pair=max_sites) if scanned else None
    )
    rows = []
    for model in models:
        if found is not None and model is primary:  # already scanned: reuse its best site
            best = found.pairs.iloc[0]
            scored = {
                "probability": best["probability"],
                "scanned": True,
                "best_site_start": best["best_site_start"],
                "best_site_type": best["best_site_type"],
            }
        else:
            scored = transcript_probabilities(model, [mirna], [target]).iloc[0]
        rows.append(
            {
                "model": model.name,
                "family": model.family.name,
                "probability": float(scored["probability"]),
                "scanned": bool(scored["scanned"]),
                "best_site_start": scored["best_site_start"],
                "best_site_type": scored["best_site_type"] or "",
            }
        )
    scores = pd.DataFrame(rows)
    if found is not None:
        sites = found.sites[["site_type", "start", "end", "seed_pairing", "probability", "energy"]]
        if len(sites):
            focus_start = int(found.sites["window_start"].iloc[0]) - 1
            focus_end = focus_start + len(found.sites["window"].iloc[0])
        else:
            focus_start, focus_end = window_bounds(min(len(target) - 1, 34), len(target))
    else:
        candidates = candidate_sites(mirna, target)
        sites = pd.DataFrame(
            {
                "site_type": [site.site_type for site in candidates],
                "start": [site.start + 1 for site in candidates],
                "end": [site.end for site in candidates],
                "seed_pairing": [site.seed_pairing for site in candidates],
            }
        )
        focus_start, focus_end = 0, len(target)
    focus = target[focus_start:focus_end]
    hybrid = hybridize(mirna, focus)
    attention, attention_model = None, None
    for model in models:
        if model.family.has_attention and _fits(model, focus):
            _, maps = predict(model, [mirna], [focus], return_attention=True)
            attention, attention_model = maps[0], model.name
            break
    return PairReport(
        mirna=mirna,
        target=target,
        scores=scores,
        sites=sites.reset_index(drop=True),
        scanned=scanned,
        focus_start=focus_start,
        focus_end=focus_end,
        hybrid=hybrid,
        attention=attention,
        attention_model=attention_model,
    )
