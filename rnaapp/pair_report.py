"""Everything known about one miRNA–target pair: scores of several models, sites, duplex, attention.

The Predict page shows a :class:`PairReport`; the library computes it.

A target that the first model reads whole is scored as it is. A longer one (a whole 3'UTR or lncRNA) is
scanned (:mod:`rnaapp.scan`): the best sites are listed and the duplex and attention map are drawn for
the best site's window.

Plant miRNA-lncRNA models (:func:`rnaapp.scan.scores_whole_targets`) score every target whole, however long:
with one first, the sites listed are the best plant-style complementary sites (psRNATarget expectation,
:func:`rnaapp.scan.plant_sites`), the duplex is drawn for the best one, and the attention map covers the
whole target.

miRNA-gene association models (task ``gene``: :mod:`rnaapp.models.grmmi`, :mod:`rnaapp.models.aemigap`) find
the miRNA and the gene in the interaction graph they were trained on by their names (``mirna_id``,
``target_id``); the target sequence is optional. With one first, every score also says whether both nodes
were seen in training (:func:`rnaapp.rank.node_status`); without a target sequence there are no sites,
duplex or attention map, with one the seed sites are listed, the duplex is drawn for the strongest one and
a GRMMI model's attention covers the whole target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rnaapp.inference import InferenceOptions, predict, score_pairs
from rnaapp.io import InputError
from rnaapp.rank import node_status as graph_node_status
from rnaapp.registry import TrainedModel
from rnaapp.scan import (
    PLANT_EXPECTATION_CUTOFF,
    PLANT_SITE_TYPE,
    WINDOW_LENGTH,
    ScanResult,
    candidate_sites,
    plant_pairing,
    plant_sites,
    plant_window,
    scan,
    scores_whole_targets,
    transcript_probabilities,
    window_bounds,
)
from rnaapp.sites import SITE_RANK
from rnaapp.structure import Hybrid, hybridize

#: Explanations of the per-model table of :class:`PairReport`.
SCORE_COLUMNS = {
    "model": "model name (see the Models page for its card)",
    "family": "model family",
    "score": "graded score (log-odds units, higher = stronger; never saturates): the calibrated log-odds of "
    "a target read whole, or for a target longer than the model's window the transcript score that weighs "
    "every candidate site (type, local AU, position, cooperative neighbours)",
    "probability": "calibrated probability that the miRNA targets this sequence (0-1), at a prior of 0.5 "
    "(plant models score every target whole)",
    "percentile": "for a scanned target: where the score falls among the miRNA's scores on the package's "
    "background 3'UTRs (100 = above all)",
    "scanned": "whether the target was longer than the model's window and was scanned site by site",
    "best_site_start": "for a scanned target: position (1-based) of the best site's seed match",
    "best_site_type": "for a scanned target: seed match type of the best site",
}

#: The column the per-model table of :class:`PairReport` adds when a miRNA-gene model comes first.
GENE_SCORE_COLUMNS = {
    "node_status": "miRNA–gene models: whether the miRNA and the gene were in the interaction graph the model "
    "was trained on (seen) or not (unseen miRNA, unseen gene, both unseen); an unseen node's score rests "
    "on the sequences alone",
    "note": "miRNA–gene models: why a model gave no score (a target longer than its sequence branch reads)",
}

#: Explanations of the seed site table of :class:`PairReport`.
SITE_TABLE_COLUMNS = {
    "site_type": "8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer (canonical), or non-canonical (one G:U or "
    "mismatch at miRNA positions 3-7); plant for a plant model's complementary site",
    "start": "first target nucleotide of the seed match or plant site (1-based)",
    "end": "last target nucleotide of the seed match or plant site (1-based, inclusive)",
    "expectation": "plant sites: psRNATarget-style expectation of the ungapped pairing of the whole miRNA "
    "with the site (0 = perfect complement; G:U 0.5, mismatch 1, both 1.5 times at miRNA positions 2-13; "
    "psRNATarget calls sites up to 5, strictly up to 3)",
    "mismatches": "plant sites: miRNA positions without a pair",
    "wobbles": "plant sites: miRNA positions paired as G:U",
    "seed_pairing": "which miRNA positions pair with the site",
    "probability": "the first model's calibrated probability for the 40-nt window around the site",
    "contribution": "for a scanned target: the site's share of the transcript score",
    "energy": "ViennaRNA duplex free energy of the miRNA with that window (kcal/mol; plant sites: the site "
    "and 10 nt on each side)",
}

#: Most target nucleotides :meth:`PairReport.heatmap_region` gives an interactive heatmap.
HEATMAP_MAX_COLUMNS = 1000


@dataclass
class PairReport:
    """What the Predict page shows for one pair.

    Attributes
    ----------
    mirna, target
        The normalised sequences (5'->3').
    scores
        One row per model (see :data:`SCORE_COLUMNS`; with a miRNA-gene model first also
        :data:`GENE_SCORE_COLUMNS`).
    sites
        Candidate seed sites on the target (see :data:`SITE_TABLE_COLUMNS`), best first for a scanned
        target, by position otherwise. With a plant model first: the best complementary sites (the best
        one, then any other of expectation <= :data:`rnaapp.scan.PLANT_EXPECTATION_CUTOFF`), best first.
    scanned
        Whether the target was too long for the first model and was scanned.
    focus_start, focus_end
        0-based, end-exclusive region of the target the duplex is drawn for (the whole target, the best
        site's window, or the best plant site with 10 nt on each side).
    hybrid
        ViennaRNA duplex of the miRNA with the focus region; None when there is no target sequence (a
        miRNA-gene pair given by names only).
    attention
        Attention of the first model that has one, shape ``(len(mirna), attention_end - attention_start)``,
        or None.
    attention_model
        Name of that model.
    plant
        Whether the first model is a plant model (the sites are complementary sites, the target was read
        whole).
    attention_start, attention_end
        0-based, end-exclusive region of the target the attention covers: the focus region, or the whole
        target for a plant or miRNA-gene model (``attention_end`` None: the focus region).
    gene
        Whether the first model is a miRNA-gene association model (names matter, the target is optional).
    mirna_id, target_id
        The names the pair was scored under (None: not given; a graph model then treats the node as unseen).
    node_status
        For a miRNA-gene model first: its :func:`rnaapp.rank.node_status` of the pair ("seen", "unseen
        miRNA", "unseen gene" or "both unseen"); else None.
    """

    mirna: str
    target: str
    scores: pd.DataFrame
    sites: pd.DataFrame
    scanned: bool
    focus_start: int
    focus_end: int
    hybrid: Hybrid | None
    attention: np.ndarray | None
    attention_model: str | None
    plant: bool = False
    attention_start: int | None = None
    attention_end: int | None = None
    gene: bool = False
    mirna_id: str | None = None
    target_id: str | None = None
    node_status: str | None = None

    def __post_init__(self) -> None:
        if self.attention_start is None or self.attention_end is None:
            self.attention_start, self.attention_end = self.focus_start, self.focus_end

    @property
    def focus(self) -> str:
        """The part of the target the duplex and the heatmap are drawn for."""
        return self.target[self.focus_start : self.focus_end]

    @property
    def attention_target(self) -> str:
        """The target region the attention map covers."""
        return self.target[self.attention_start : self.attention_end]

    def heatmap_region(
        self, max_columns: int = HEATMAP_MAX_COLUMNS, centre: int | None = None
    ) -> tuple[int, int]:
        """0-based, end-exclusive part of the attention region to draw interactively.

        All of it when it has at most ``max_columns`` nucleotides; otherwise ``max_columns`` nucleotides
        centred on ``centre`` (a 0-based target position; default: the middle of the focus region, the best
        site), so that a whole lncRNA stays drawable.
        """
        start, end = int(self.attention_start), int(self.attention_end)
        if end - start <= max_columns:
            return start, end
        if centre is None:
            centre = (self.focus_start + self.focus_end) // 2
        low = min(max(start, centre - max_columns // 2), end - max_columns)
        return low, low + max_columns


def _fits(model: TrainedModel, target: str) -> bool:
    limit = model.family.max_target_length(model.config)
    return limit is None or len(target) <= limit


def pair_report(
    models: Sequence[TrainedModel],
    mirna: str,
    target: str,
    *,
    max_sites: int = 20,
    mirna_id: str | None = None,
    target_id: str | None = None,
    options: InferenceOptions | None = None,
) -> PairReport:
    """Score one pair with several models and gather its sites, duplex and attention.

    Parameters
    ----------
    models
        Loaded models; the first one decides whether the target is scanned and whose sites are listed.
    mirna, target
        Normalised RNA, 5'->3' (as :func:`rnaapp.io.pairs_from_sequences` gives). With a miRNA-gene model
        first, ``target`` may be empty (the gene is known by name only).
    max_sites
        Sites listed for a scanned target (or for a miRNA-gene model's target).
    mirna_id, target_id
        Names of the miRNA and the target (gene), passed to models that use names (miRNA-gene graph
        models look the nodes up by name; other families ignore them).
    options
        How the models run (:class:`~rnaapp.inference.InferenceOptions`; default options when None).

    Returns
    -------
    PairReport
    """
    if not models:
        raise ValueError("choose at least one model")
    primary = models[0]
    if primary.family.task == "gene":
        return _gene_report(models, mirna, target, mirna_id, target_id, max_sites=max_sites, options=options)
    if scores_whole_targets(primary):
        return _plant_report(models, mirna, target, max_sites=max_sites, options=options)
    scanned = not _fits(primary, target)
    found = (
        scan(primary, [("miRNA", mirna)], [("target", target)], options, sites_per_pair=max_sites)
        if scanned
        else None
    )
    scores = _scores(models, mirna, target, found, options)
    if found is not None:
        sites = found.sites[
            ["site_type", "start", "end", "seed_pairing", "probability", "contribution", "energy"]
        ]
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
    attention, attention_model, attention_start, attention_end = _attention(
        models, mirna, target, focus_start, focus_end, options=options
    )
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
        attention_start=attention_start,
        attention_end=attention_end,
    )


def _scores(
    models: Sequence[TrainedModel],
    mirna: str,
    target: str,
    found: ScanResult | None,
    options: InferenceOptions | None = None,
) -> pd.DataFrame:
    """One row per model (:data:`SCORE_COLUMNS`); ``found``: the first model's scan, reused."""
    rows = []
    for model in models:
        if found is not None and model is models[0]:  # already scanned: reuse its best site
            best = found.pairs.iloc[0]
            scored = {
                "score": best["score"],
                "probability": best["probability"],
                "percentile": best["percentile"],
                "scanned": True,
                "best_site_start": best["best_site_start"],
                "best_site_type": best["best_site_type"],
            }
        else:
            scored = transcript_probabilities(model, [mirna], [target], options).iloc[0]
        rows.append(_score_row(model, scored))
    return pd.DataFrame(rows)


def _score_row(model: TrainedModel, scored: Any) -> dict[str, Any]:
    """One row of the scores table (:data:`SCORE_COLUMNS`) from a scored pair (a transcript_probabilities row)."""
    return {
        "model": model.name,
        "family": model.family.name,
        "score": float(scored["score"]) if "score" in scored else np.nan,
        "probability": float(scored["probability"]),
        "percentile": float(scored["percentile"]) if "percentile" in scored else np.nan,
        "scanned": bool(scored["scanned"]),
        "best_site_start": scored["best_site_start"],
        "best_site_type": scored["best_site_type"] or "",
    }


def _attention(
    models: Sequence[TrainedModel],
    mirna: str,
    target: str,
    focus_start: int,
    focus_end: int,
    names: dict[str, list[str] | None] | None = None,
    options: InferenceOptions | None = None,
) -> tuple[np.ndarray | None, str | None, int, int]:
    """Attention of the first model that has one, with the region it covers.

    Over the whole target for a model that reads whole targets (plant and miRNA-gene models), else over
    the focus region (when the model reads it whole). ``names``: the pair's names, for models that use
    them.
    """
    names = names or {}
    for model in models:
        if not _draws_attention(model):
            continue
        whole = scores_whole_targets(model) or model.family.task == "gene"
        start, end = (0, len(target)) if whole else (focus_start, focus_end)
        if end > start and _fits(model, target[start:end]):
            _, maps = predict(model, [mirna], [target[start:end]], options, return_attention=True, **names)
            return maps[0], model.name, start, end
    return None, None, focus_start, focus_end


def _draws_attention(model: TrainedModel) -> bool:
    """Whether ``model`` has an attention map to draw (a GRMMI model can be trained without one)."""
    config = model.config
    return bool(
        model.family.has_attention
        and getattr(config, "attention", True) is not False
        and getattr(config, "sequence_branch", True) is not False
    )


def _names(mirna_id: str | None, target_id: str | None) -> dict[str, list[str] | None]:
    """``mirna_ids`` / ``target_ids`` keyword arguments of :func:`rnaapp.inference.predict` for one pair."""
    return {
        "mirna_ids": [mirna_id] if mirna_id else None,
        "target_ids": [target_id] if target_id else None,
    }


def _gene_report(
    models: Sequence[TrainedModel],
    mirna: str,
    target: str,
    mirna_id: str | None,
    target_id: str | None,
    *,
    max_sites: int,
    options: InferenceOptions | None = None,
) -> PairReport:
    """:func:`pair_report` when the first model is a miRNA-gene model: names count, the target is optional.

    Every model scores the pair whole, under its names; the scores say whether each model saw both nodes.
    A model whose sequence branch reads fewer nucleotides than the target has gets no score (NaN) and a
    ``note``, so a whole 3'UTR can be compared across models; when no model can read it, it is refused.
    With a target sequence, its seed sites are listed (strongest first, at most ``max_sites``), the duplex
    is drawn for the window around the strongest one (the whole target when it is at most one window
    long) and the attention covers the whole target.
    """
    names = _names(mirna_id, target_id)
    if not any(_fits(model, target) for model in models):
        limit = max(model.family.max_target_length(model.config) or 0 for model in models)
        raise InputError(
            f"the target is {len(target)} nt; {', '.join(model.name for model in models)} "
            f"read{'s' if len(models) == 1 else ''} targets of at most {limit} nt. Give a region of at most "
            f"{limit} nt, or choose a miRNA–gene model that reads whole 3'UTRs (one trained with site_counts "
            "and no sequence branch, such as the shipped gene-utr)"
        )
    one_pair = pd.DataFrame(
        {"mirna_seq": [mirna], "target_seq": [target]}
        | ({"mirna_id": [mirna_id]} if mirna_id else {})
        | ({"target_id": [target_id]} if target_id else {})
    )
    rows = []
    for model in models:
        note = ""
        if not _fits(model, target):
            note = (
                f"target longer than the {model.family.max_target_length(model.config)} nt this model reads"
            )
            scored = {"probability": np.nan, "scanned": False, "best_site_start": pd.NA, "best_site_type": ""}
        else:
            scored = score_pairs(model, one_pair, options).iloc[0]
        status = (
            str(graph_node_status(model, [mirna_id or ""], [target_id or ""])[0])
            if model.family.task == "gene"
            else ""
        )
        rows.append(_score_row(model, scored) | {"node_status": status, "note": note})
    scores = pd.DataFrame(rows)
    candidates = candidate_sites(mirna, target) if target and mirna else []
    candidates = sorted(candidates, key=lambda site: (-SITE_RANK.get(site.site_type, 0.5), site.start))
    candidates = candidates[:max_sites]
    sites = pd.DataFrame(
        {
            "site_type": [site.site_type for site in candidates],
            "start": [site.start + 1 for site in candidates],
            "end": [site.end for site in candidates],
            "seed_pairing": [site.seed_pairing for site in candidates],
        }
    )
    if not target or not mirna:
        focus_start, focus_end, hybrid = 0, len(target), None
    else:
        if len(target) <= WINDOW_LENGTH:
            focus_start, focus_end = 0, len(target)
        elif candidates:
            focus_start, focus_end = window_bounds(candidates[0].anchor, len(target))
        else:
            focus_start, focus_end = window_bounds(min(len(target) - 1, 34), len(target))
        hybrid = hybridize(mirna, target[focus_start:focus_end])
    attention, attention_model, attention_start, attention_end = _attention(
        models, mirna, target, focus_start, focus_end, names, options
    )
    return PairReport(
        mirna=mirna,
        target=target,
        scores=scores,
        sites=sites,
        scanned=False,
        focus_start=focus_start,
        focus_end=focus_end,
        hybrid=hybrid,
        attention=attention,
        attention_model=attention_model,
        attention_start=attention_start,
        attention_end=attention_end,
        gene=True,
        mirna_id=mirna_id,
        target_id=target_id,
        node_status=str(scores["node_status"].iloc[0]) or None,
    )


def _plant_report(
    models: Sequence[TrainedModel],
    mirna: str,
    target: str,
    *,
    max_sites: int,
    options: InferenceOptions | None = None,
) -> PairReport:
    """:func:`pair_report` when the first model is a plant model: the target is scored whole."""
    found = plant_sites(mirna, target, max_sites)
    shown = [
        site
        for index, site in enumerate(found.sites)
        if index == 0 or site.expectation <= PLANT_EXPECTATION_CUTOFF
    ]
    windows = [plant_window(site, len(target)) for site in shown]
    sites = pd.DataFrame(
        {
            "site_type": [PLANT_SITE_TYPE] * len(shown),
            "start": [site.start + 1 for site in shown],
            "end": [site.end for site in shown],
            "expectation": [site.expectation for site in shown],
            "mismatches": [site.mismatches for site in shown],
            "wobbles": [site.wobbles for site in shown],
            "seed_pairing": [plant_pairing(site) for site in shown],
            "energy": [hybridize(mirna, target[start:end]).energy for start, end in windows],
        }
    )
    focus_start, focus_end = windows[0] if windows else (0, len(target))
    attention, attention_model, attention_start, attention_end = _attention(
        models, mirna, target, focus_start, focus_end, options=options
    )
    return PairReport(
        mirna=mirna,
        target=target,
        scores=_scores(models, mirna, target, None, options),
        sites=sites,
        scanned=False,
        focus_start=focus_start,
        focus_end=focus_end,
        hybrid=hybridize(mirna, target[focus_start:focus_end]),
        attention=attention,
        attention_model=attention_model,
        plant=True,
        attention_start=attention_start,
        attention_end=attention_end,
    )
