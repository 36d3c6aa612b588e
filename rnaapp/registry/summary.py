"""A table of the available models (:func:`model_summary`), one row per model card."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

import pandas as pd

from rnaapp.registry.cards import ModelCard
from rnaapp.registry.default_models import defaults
from rnaapp.registry.store import list_models

#: Headline test metrics shown by :func:`model_summary`, in column order.
SUMMARY_METRICS = ("AUC", "AUPR", "ACC", "F1", "MCC")


def _test_metric_sets(metrics: Any) -> dict[str, dict[str, Any]]:
    """Test metrics by test set: nested ``{set: {metric: value}}`` as is, flat ``{metric: value}`` as ``test``."""
    if not isinstance(metrics, dict):
        return {}
    if any(key in metrics for key in SUMMARY_METRICS):
        return {"test": metrics}
    return {key: value for key, value in metrics.items() if isinstance(value, dict)}


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _created_date(created: Any) -> str:
    try:
        return _dt.datetime.fromisoformat(str(created)).date().isoformat()
    except ValueError:
        return ""


def _training_data(card: ModelCard) -> str:
    training = card.training if isinstance(card.training, dict) else {}
    for key in ("data", "dataset"):
        if training.get(key):
            return str(training[key])
    if training.get("train_pairs"):
        return f"{training['train_pairs']} training pairs"
    return ""


def model_summary(cards: Iterable[ModelCard] | None = None) -> pd.DataFrame:
    """One row per model, for a table of the available models.

    Parameters
    ----------
    cards
        Model cards (e.g. from :func:`list_models`, the default).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_cards, 8 + n_metric_columns)``. Columns ``name``, ``family``, ``task``, ``source``
        (``shipped`` or ``user``), ``created`` (``YYYY-MM-DD``, empty when unknown), ``training_data``
        (the card's ``training.data``, else ``training.dataset``), ``is_default`` (the default model of its
        task) and ``description``, then one float column per test set and headline metric
        (:data:`SUMMARY_METRICS`) that any card reports, named like ``"AUC (deepmirnatar test)"``
        (``"AUC (test)"`` for cards with one unnamed test set); ``NaN`` where a card lacks it.
    """
    cards = list_models() if cards is None else list(cards)
    task_defaults = defaults()["tasks"]
    rows: list[dict[str, Any]] = []
    metric_columns: list[str] = []
    for card in cards:
        row: dict[str, Any] = {
            "name": card.name,
            "family": card.family,
            "task": card.task,
            "source": card.source,
            "created": _created_date(card.created),
            "training_data": _training_data(card),
            "is_default": task_defaults.get(card.task) == card.name,
            "description": card.description,
        }
        for test_set, values in _test_metric_sets(card.metrics).items():
            for metric in SUMMARY_METRICS:
                value = _number_or_none(values.get(metric))
                if value is None:
                    continue
                column = f"{metric} ({str(test_set).replace('_', ' ')})"
                if column not in metric_columns:
                    metric_columns.append(column)
                row[column] = value
        rows.append(row)
    base = ["name", "family", "task", "source", "created", "training_data", "is_default", "description"]
    frame = pd.DataFrame(rows, columns=base + metric_columns)
    frame["is_default"] = frame["is_default"].astype(bool)
    for column in metric_columns:
        frame[column] = frame[column].astype(float)
    return frame
