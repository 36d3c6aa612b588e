"""What each task compares against: its default model and its baselines, strongest first.

A task (:data:`rnaapp.models.TASKS`) is the kind of pair a model scores: miRNA–mRNA sites (``site``), plant
miRNA–lncRNA pairs (``plant``) or miRNA–gene associations (``gene``). Evaluate's default comparison, the
verdict at the end of a training and the model choosers all read the baselines from here.
"""

from __future__ import annotations

from rnaapp.registry import defaults, list_models

#: Baseline families of each task, strongest first (README, "Models"): the miTAR-like network, the seed
#: rule and the duplex energy for sites; the pairing-only network and the duplex energy for plant pairs.
#: The miRNA–gene task has no installed baseline model (its node-degree baseline lives in ``bench/``).
TASK_BASELINE_FAMILIES: dict[str, tuple[str, ...]] = {
    "site": ("mitar", "seed_rule", "hybrid_mfe"),
    "plant": ("pairing_mlp", "hybrid_mfe"),
    "gene": (),
}


def task_default_model(task: str) -> str | None:
    """The default model of ``task`` (user choice over shipped), or its first installed model, or None."""
    names = [card.name for card in list_models() if card.task == task]
    chosen = defaults()["tasks"].get(task)
    if chosen in names:
        return chosen
    return names[0] if names else None


def task_baselines(task: str) -> list[str]:
    """Installed default models of the baseline families of ``task``, strongest first.

    A family's default model (``defaults()["families"]``) is used when installed, else its first installed
    model; families with no installed model are left out.
    """
    cards = list_models()
    family_defaults = defaults()["families"]
    chosen: list[str] = []
    for family in TASK_BASELINE_FAMILIES.get(task, ()):
        names = [card.name for card in cards if card.family == family]
        if not names:
            continue
        preferred = family_defaults.get(family)
        chosen.append(preferred if preferred in names else names[0])
    return chosen


def default_comparison(task: str, first: str | None = None) -> list[str]:
    """The models Evaluate compares by default on data of ``task``, without repeats.

    ``first`` (or the task's default model) leads, then the task's baselines.
    """
    wanted = [first or task_default_model(task), *task_baselines(task)]
    return list(dict.fromkeys(name for name in wanted if name))


__all__ = [
    "TASK_BASELINE_FAMILIES",
    "default_comparison",
    "task_baselines",
    "task_default_model",
]
