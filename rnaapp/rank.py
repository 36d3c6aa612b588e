"""Case-study ranking: score every unknown miRNA-gene pair of a dataset and list the most likely ones.

Researchers with a list of validated interactions want the unobserved pairs most likely to be real, to pick
candidates for experiments. :func:`rank_candidates` scores every miRNA x gene pair that is not a known
positive with a trained association model (through :func:`rnaapp.inference.predict`, batched), keeps the
top ``n`` by the model's log-odds (``score``: graded where the probability rounds to 1.000), and says for
each whether it lies in the graph neighbourhood of the known interactions (another miRNA that shares a
target with this miRNA also targets this gene) and, where the pair has sequences, the best canonical seed
site. :func:`train_and_rank` first trains a model on all known pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rnaapp.graph import graph_from_pairs, neighbourhood_support
from rnaapp.inference import InferenceOptions, Progress, predict
from rnaapp.registry import TrainedModel
from rnaapp.scoring import BALANCED_PRIOR, prior_shift, sigmoid
from rnaapp.sites import best_site_type

#: Columns of :func:`rank_candidates`' table, in order.
RANK_COLUMNS = (
    "rank",
    "mirna_id",
    "target_id",
    "score",
    "probability",
    "mirna_known_targets",
    "gene_known_mirnas",
    "neighbourhood_support",
    "in_neighbourhood",
    "site_type",
)


#: Values of :func:`node_status`.
NODE_STATUSES = ("seen", "unseen miRNA", "unseen gene", "both unseen")


def seen_nodes(model: TrainedModel) -> tuple[frozenset[str], frozenset[str]]:
    """The miRNA and gene names with at least one positive edge in the graph a graph model was trained on.

    Empty sets for a model without a graph (other families, or ``graph_branch=False``).
    """
    tables = getattr(model.module, "nodes", None)
    mirna_nodes = getattr(model.config, "mirna_nodes", ())
    gene_nodes = getattr(model.config, "gene_nodes", ())
    if tables is None or not len(mirna_nodes) + len(gene_nodes):
        return frozenset(), frozenset()
    seen = tables.table[:, -1].detach().cpu().numpy() > 0.5
    return (
        frozenset(name for name, flag in zip(mirna_nodes, seen[: len(mirna_nodes)], strict=True) if flag),
        frozenset(name for name, flag in zip(gene_nodes, seen[len(mirna_nodes) :], strict=True) if flag),
    )


def similar_node_names(model: TrainedModel, name: str, *, gene: bool, limit: int = 3) -> list[str]:
    """Names of the model's training graph that look like ``name`` (for "did you mean ...?").

    A name that differs only in case is the answer; otherwise close spellings
    (:func:`difflib.get_close_matches`, compared case-insensitively).

    Parameters
    ----------
    model
        A graph model (others have no graph: the list is empty).
    name
        The name that was typed.
    gene
        Look among the genes (else among the miRNAs).
    limit
        At most this many names.
    """
    import difflib

    known = sorted(seen_nodes(model)[1 if gene else 0])
    if not name or name in known:
        return []
    by_lower: dict[str, str] = {}
    for candidate in known:
        by_lower.setdefault(candidate.lower(), candidate)
    same_case = [candidate for candidate in known if candidate.lower() == name.lower()]
    if same_case:
        return same_case[:limit]
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=limit, cutoff=0.75)
    return [by_lower[match] for match in close]


def node_status(model: TrainedModel, mirna_ids: Sequence[str], target_ids: Sequence[str]) -> np.ndarray:
    """For each pair, whether its miRNA and gene were seen (had a training edge): :data:`NODE_STATUSES`.

    Results on unseen-node pairs rest on sequences (and the learned "unseen" vector) only, so they are
    reported separately. Returns an object array of shape ``(n_pairs,)``.
    """
    seen_mirnas, seen_genes = seen_nodes(model)
    return statuses_of(
        np.array([name in seen_mirnas for name in mirna_ids], dtype=bool),
        np.array([name in seen_genes for name in target_ids], dtype=bool),
    )


def statuses_of(mirna_seen: np.ndarray, gene_seen: np.ndarray) -> np.ndarray:
    """:data:`NODE_STATUSES` from per-pair seen flags of the miRNA and the gene, object array ``(n_pairs,)``."""
    status = np.where(
        mirna_seen,
        np.where(gene_seen, "seen", "unseen gene"),
        np.where(gene_seen, "unseen miRNA", "both unseen"),
    )
    return status.astype(object)


def _first_sequence(pairs: pd.DataFrame, id_column: str, seq_column: str) -> dict[str, str]:
    if seq_column not in pairs.columns:
        return {}
    rows = pairs[[id_column, seq_column]].fillna("").astype(str)
    rows = rows[rows[seq_column] != ""]
    return dict(rows.drop_duplicates(id_column).itertuples(index=False, name=None))


def rank_candidates(
    model: TrainedModel,
    known_pairs: pd.DataFrame,
    *,
    mirnas: Sequence[str] | None = None,
    genes: Sequence[str] | None = None,
    top: int = 20,
    batch_mirnas: int = 64,
    progress: Progress | None = None,
    options: InferenceOptions | None = None,
    prior: float | None = None,
) -> pd.DataFrame:
    """The ``top`` highest-scoring miRNA-gene pairs that are not known positives.

    Pairs are ranked by the model's log-odds (``score``), not by the probability: a confident model's
    probabilities round to 1.000 (and tie in float32) over many pairs whose log-odds still differ.

    Parameters
    ----------
    model
        A trained model of the ``gene`` task (any model works; graph families use the names).
    known_pairs
        The known pairs (columns ``mirna_id``, ``target_id``, optionally ``label``, ``mirna_seq``,
        ``target_seq``): label-1 rows (every row without a label column) are the known interactions, which
        are excluded from the ranking and define the neighbourhood; sequences are taken from here.
    mirnas, genes
        Candidates to score (default: every miRNA and every gene of ``known_pairs``).
    top
        Number of pairs to return.
    batch_mirnas
        miRNAs scored per call of :func:`~rnaapp.inference.predict` (times the number of genes pairs).
    progress
        Called as ``progress(miRNAs_done, miRNAs_total)``.
    options
        How the model runs (:class:`~rnaapp.inference.InferenceOptions`); default: default options with
        batches of 4096 pairs (graph models are small).
    prior
        Share of true interactions assumed among the candidates, for ``probability`` (default 0.5, the
        balance gene models are trained at); the score and the ranking do not depend on it.

    Returns
    -------
    pandas.DataFrame
        ``top`` rows (fewer when there are fewer candidates), best first, columns :data:`RANK_COLUMNS`:
        ``score`` is the model's log-odds (logit) for the pair, the ranking key (ties: candidate order,
        miRNAs then genes), ``probability`` its sigmoid at ``prior`` (float64); ``mirna_known_targets`` /
        ``gene_known_mirnas`` are node degrees in the known graph, ``neighbourhood_support`` the number of
        miRNA - gene' - miRNA' - gene paths, ``site_type`` the best canonical seed site where both
        sequences are known (else empty).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    options = options or InferenceOptions(batch_size=4096)
    shift = prior_shift(prior, BALANCED_PRIOR)
    for column in ("mirna_id", "target_id"):
        if column not in known_pairs.columns:
            raise ValueError(f"the known pairs have no '{column}' column")
    mirna_names = list(dict.fromkeys(known_pairs["mirna_id"].astype(str))) if mirnas is None else list(mirnas)
    gene_names = list(dict.fromkeys(known_pairs["target_id"].astype(str))) if genes is None else list(genes)
    graph = graph_from_pairs(known_pairs, mirnas=mirna_names, genes=gene_names)
    known = graph.biadjacency().toarray().astype(bool)
    mirna_sequences = _first_sequence(known_pairs, "mirna_id", "mirna_seq")
    gene_sequences = _first_sequence(known_pairs, "target_id", "target_seq")
    gene_sequence_list = [gene_sequences.get(name, "") for name in gene_names]
    n_genes = len(gene_names)

    best_scores = np.zeros(0)
    best_codes = np.zeros(0, dtype=np.int64)
    total = len(mirna_names)
    for start in range(0, total, batch_mirnas):
        block = np.arange(start, min(total, start + batch_mirnas))
        pair_mirna = np.repeat(block, n_genes)
        pair_gene = np.tile(np.arange(n_genes), len(block))
        unknown = ~known[pair_mirna, pair_gene]
        pair_mirna, pair_gene = pair_mirna[unknown], pair_gene[unknown]
        if len(pair_mirna):
            scores = predict(
                model,
                [mirna_sequences.get(mirna_names[index], "") for index in pair_mirna],
                [gene_sequence_list[index] for index in pair_gene],
                options,
                mirna_ids=[mirna_names[index] for index in pair_mirna],
                target_ids=[gene_names[index] for index in pair_gene],
                output="logit",
            )
            best_scores = np.concatenate([best_scores, scores])
            best_codes = np.concatenate([best_codes, pair_mirna * n_genes + pair_gene])
            if len(best_scores) > top:
                # Best first, ties by candidate order (as the final table), so that equal scores at the
                # cut keep the same pairs whichever block they came in.
                keep = np.lexsort((best_codes, -best_scores))[:top]
                best_scores, best_codes = best_scores[keep], best_codes[keep]
        if progress is not None:
            progress(int(block[-1]) + 1, total)
    if total == 0 and progress is not None:
        progress(0, 0)

    order = np.lexsort((best_codes, -best_scores))
    best_scores, best_codes = best_scores[order], best_codes[order]
    mirna_index, gene_index = best_codes // max(n_genes, 1), best_codes % max(n_genes, 1)
    support = neighbourhood_support(graph) if len(best_codes) else np.zeros((0, 0), dtype=np.int64)
    degrees = graph.degrees()
    rows: list[dict[str, Any]] = []
    for position, (m, g, score) in enumerate(zip(mirna_index, gene_index, best_scores, strict=True), start=1):
        mirna_seq = mirna_sequences.get(mirna_names[m], "")
        gene_seq = gene_sequence_list[g]
        paths = int(support[m, g])
        rows.append(
            {
                "rank": position,
                "mirna_id": mirna_names[m],
                "target_id": gene_names[g],
                "score": float(score),
                "probability": float(sigmoid(score + shift)),
                "mirna_known_targets": int(degrees[m]),
                "gene_known_mirnas": int(degrees[graph.n_mirnas + g]),
                "neighbourhood_support": paths,
                "in_neighbourhood": paths > 0,
                "site_type": best_site_type(mirna_seq, gene_seq) if mirna_seq and gene_seq else "",
            }
        )
    return pd.DataFrame(rows, columns=list(RANK_COLUMNS))


def train_and_rank(
    known_pairs: pd.DataFrame,
    family: str = "grmmi",
    *,
    top: int = 20,
    model_config: dict[str, Any] | None = None,
    training_overrides: dict[str, Any] | None = None,
    progress: Progress | None = None,
    training_progress: Callable[[Any], None] | None = None,
    options: InferenceOptions | None = None,
    prior: float | None = None,
) -> tuple[TrainedModel, pd.DataFrame]:
    """Train ``family`` on all known pairs (labelled; a seeded 10 % held out for early stopping), then rank.

    Returns
    -------
    (TrainedModel, pandas.DataFrame)
        The trained model and :func:`rank_candidates`' table.
    """
    from rnaapp.train import fit, training_config_for

    if "label" not in known_pairs.columns:
        raise ValueError("training needs a 'label' column (1 = known interaction, 0 = negative)")
    model = fit(
        family,
        known_pairs,
        model_config=model_config,
        training_config=training_config_for(family, training_overrides),
        progress=training_progress,
        name=f"{family}-rank",
    )
    return model, rank_candidates(
        model, known_pairs, top=top, progress=progress, options=options, prior=prior
    )
