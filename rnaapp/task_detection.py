"""Which task a table of pairs belongs to: site pairs, plant miRNA–lncRNA pairs or miRNA–gene pairs.

Evaluate (page and ``rnaapp evaluate``) reads the guess to pre-select the task's default comparison
(:func:`rnaapp.tasks.default_comparison`) and to warn when the chosen models are of another task. The rule,
first match wins:

1. ``gene``: no pair has a target sequence (pairs given by names), or the table has a ``gene`` column.
2. ``plant``: most rows with a species code name a plant species (:data:`PLANT_SPECIES`).
3. ``plant``: no species code is given (no ``species`` column and no ``xxx-`` prefix on the miRNA
   names) and the targets are long (median at least :data:`LONG_TARGET_NT` nt, as lncRNAs are).
4. ``site``: everything else (animal species, or short target windows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: miRBase species codes of plants (green plants, mosses and algae found in miRBase and in the plant
#: miRNA–lncRNA benchmarks).
PLANT_SPECIES = frozenset(
    {
        "aly", "ath", "atr", "bdi", "bna", "bol", "bra", "cme", "crt", "csi", "cst", "ctr", "egu", "gar",
        "ghb", "ghr", "gma", "gra", "hbr", "hvu", "lja", "mdm", "mes", "mtr", "nta", "osa", "pab", "peu",
        "ppe", "ppt", "ptc", "pvu", "rco", "sbi", "sly", "smo", "ssl", "stu", "tae", "tcc", "vun", "vvi",
        "zma", "cre", "ahy", "aqc", "cca", "ccl", "far", "han", "hci", "hpa", "hpe", "htu", "mcr",
        "pgi", "psj", "pta", "sof", "ssp", "tar", "ttu",
    }
)  # fmt: skip

#: A median target length (nt) from which targets with no known species count as lncRNAs.
LONG_TARGET_NT = 200

#: Share of the rows with a species code that must name a plant for the table to count as plant pairs.
PLANT_SHARE = 0.5


@dataclass(frozen=True)
class TaskGuess:
    """The task a table of pairs seems to belong to, and why.

    Attributes
    ----------
    task
        ``"site"``, ``"plant"`` or ``"gene"`` (:data:`rnaapp.models.TASKS`).
    reason
        One sentence saying what decided it, for messages (e.g. ``"species bdi (a plant), targets up to
        3,884 nt"``).
    """

    task: str
    reason: str


def _species_codes(pairs: pd.DataFrame) -> pd.Series:
    """Lower-case 3-letter species codes of the rows that have one (from ``species``, else ``mirna_id``)."""
    if "species" in pairs.columns:
        values = pairs["species"].fillna("").astype(str).str.strip().str.lower()
    elif "mirna_id" in pairs.columns:
        values = (
            pairs["mirna_id"].fillna("").astype(str).str.lower().str.extract(r"^([a-z]{3})-", expand=False)
        )
    else:
        return pd.Series([], dtype=str)
    return values[values.fillna("").str.fullmatch(r"[a-z]{3,4}")].astype(str)


def _top_codes(codes: pd.Series, limit: int = 3) -> str:
    counts = codes.value_counts()
    shown = ", ".join(counts.index[:limit])
    return shown + (f" and {len(counts) - limit} more" if len(counts) > limit else "")


def detect_task(pairs: pd.DataFrame) -> TaskGuess:
    """The task of a table of pairs (:func:`rnaapp.io.read_pairs` output), by the module's rule.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Pairs with ``target_seq`` (may be empty: names only) and optionally ``species``, ``mirna_id`` and
        ``gene`` columns.

    Returns
    -------
    TaskGuess
        The task and the reason.
    """
    targets = pairs["target_seq"].fillna("").astype(str) if "target_seq" in pairs.columns else pd.Series([""])
    lengths = targets.str.len().to_numpy()
    if len(pairs) and not lengths.any():
        return TaskGuess("gene", "the pairs are given by names only (no target sequences)")
    if "gene" in pairs.columns:
        return TaskGuess("gene", "the file has a gene column")
    longest = int(lengths.max()) if lengths.size else 0
    median = float(np.median(lengths[lengths > 0])) if lengths.any() else 0.0
    codes = _species_codes(pairs)
    if len(codes):
        plant = codes[codes.isin(PLANT_SPECIES)]
        if len(plant) / len(codes) >= PLANT_SHARE:
            return TaskGuess("plant", f"species {_top_codes(plant)} (plant), targets up to {longest:,} nt")
        known_animal = codes[~codes.isin(PLANT_SPECIES)]
        if len(known_animal):
            return TaskGuess(
                "site",
                f"species {_top_codes(known_animal)} (not a plant), targets up to {longest:,} nt",
            )
    if median >= LONG_TARGET_NT:
        return TaskGuess(
            "plant",
            f"no species given and long targets (median {median:,.0f} nt, up to {longest:,} nt), as lncRNAs",
        )
    return TaskGuess("site", f"target windows of at most {longest:,} nt")


TASK_NAMES = {"site": "miRNA–mRNA site", "plant": "plant miRNA–lncRNA", "gene": "miRNA–gene"}


def task_mismatch_warning(
    guess: TaskGuess, model_tasks: dict[str, str], better: list[str] | None = None
) -> str | None:
    """One line warning that chosen models are of another task than the data, or None when all fit.

    Models of the task's baseline families (:data:`rnaapp.tasks.TASK_BASELINE_FAMILIES`) fit it whatever
    their own task.

    Parameters
    ----------
    guess
        :func:`detect_task` of the data.
    model_tasks
        The chosen models' names -> their task.
    better
        The models to suggest (default: :func:`rnaapp.tasks.default_comparison` of the guessed task).
    """
    others = [name for name, task in model_tasks.items() if task != guess.task]
    if others:
        # A baseline of the task (the duplex energy is a site-task family but a plant baseline) fits it.
        from rnaapp.registry import list_models
        from rnaapp.tasks import TASK_BASELINE_FAMILIES

        families = {card.name: card.family for card in list_models()}
        baselines = TASK_BASELINE_FAMILIES.get(guess.task, ())
        others = [name for name in others if families.get(name) not in baselines]
    if not others:
        return None
    if better is None:
        from rnaapp.tasks import default_comparison

        better = default_comparison(guess.task)
    label = TASK_NAMES.get(guess.task, guess.task)
    suggestion = f"; its default comparison is {', '.join(better)}" if better else ""
    return (
        f"these look like {label} pairs ({guess.reason}), but {', '.join(others)} "
        f"{'is a model' if len(others) == 1 else 'are models'} of another task{suggestion}"
    )


__all__ = [
    "LONG_TARGET_NT",
    "TASK_NAMES",
    "task_mismatch_warning",
    "PLANT_SHARE",
    "PLANT_SPECIES",
    "TaskGuess",
    "detect_task",
]
