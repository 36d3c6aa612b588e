"""``rnaapp models``: the installed models and their test AUCs."""

from __future__ import annotations

import argparse
import json
import sys


def command_models(arguments: argparse.Namespace) -> int:
    """``rnaapp models``: list the installed models (``--json`` for a machine-readable list)."""
    from rnaapp.registry import defaults, list_models, model_file_problems, unchecked_weights

    for problem in model_file_problems():
        print(f"rnaapp: warning: {problem}", file=sys.stderr)
    for note in unchecked_weights():
        print(f"rnaapp: note: {note}", file=sys.stderr)
    chosen = defaults()
    rows = []
    for card in list_models():
        rows.append(
            {
                "name": card.name,
                "family": card.family,
                "task": card.task,
                "source": card.source,
                "default": chosen["families"].get(card.family) == card.name,
                "task_default": chosen["tasks"].get(card.task) == card.name,
                "test_auc": {
                    data: values["AUC"]
                    for data, values in card.metrics.items()
                    if isinstance(values, dict) and values.get("AUC") is not None
                },
            }
        )
    if arguments.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no models installed")
        return 0
    for row in rows:
        row["mark"] = "task+family" if row["task_default"] else ("family" if row["default"] else "")
    columns = ("name", "family", "task", "source", "mark")
    widths = {
        column: max(len("default" if column == "mark" else column), *(len(row[column]) for row in rows))
        for column in columns
    }
    header = [("default" if column == "mark" else column).ljust(widths[column]) for column in columns]
    print("  ".join([*header, "test AUC"]))
    for row in rows:
        auc = ", ".join(f"{value:.4f} ({data})" for data, value in row["test_auc"].items())
        print("  ".join([*(row[column].ljust(widths[column]) for column in columns), auc]).rstrip())
    return 0
