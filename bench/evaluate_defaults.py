"""Time ``rnaapp evaluate`` with its default comparison against the comparison it used before (issue 21).

Before issue 21 Evaluate compared the sidebar model with the seed rule and the duplex energy whatever the
data (``mirna_site-combined``, ``seed_rule-deepmirnatar``, ``hybrid_mfe-deepmirnatar``); now
``rnaapp evaluate FILE`` without ``--model`` compares the default model and baselines of the task the file
looks like (:func:`rnaapp.task_detection.detect_task`). Each configuration runs as its own
``rnaapp evaluate --json`` process, timed from start to exit, so that the two are measured in the same run
(other work on the machine slows both alike; compare the ratio).

Usage::

    python bench/evaluate_defaults.py [--files plant_lnc/test_bdi.csv site_deepmirnatar/test.csv]
        [--configs old default] [--home DIR] [--json bench/results/evaluate_defaults.json]

``--home`` is the ``RNAAPP_HOME`` of the runs (default: a fresh temporary folder, so no user model and an
empty structure cache: plant models fold every lncRNA once; a second run with the same ``--home`` reads
the folds from the cache).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(os.environ.get("RNAAPP_BENCHMARKS", REPOSITORY.parent / "shared" / "benchmarks"))
OLD_MODELS = ("mirna_site-combined", "seed_rule-deepmirnatar", "hybrid_mfe-deepmirnatar")
CONFIGS = {"old": OLD_MODELS, "default": ()}
FILES = ("plant_lnc/test_bdi.csv", "site_deepmirnatar/test.csv")


def run_one(path: Path, models: tuple[str, ...], home: Path) -> dict:
    """One timed ``rnaapp evaluate --json`` run: seconds, pairs, AUC per model, the stderr's notes."""
    command = [sys.executable, "-m", "rnaapp", "evaluate", str(path), "--json"]
    for model in models:
        command += ["--model", model]
    environment = os.environ | {"RNAAPP_HOME": str(home), "PYTHONPATH": str(REPOSITORY)}
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{finished.stderr[-2000:]}")
    results = json.loads(finished.stdout)
    first = next(iter(results.values()))
    return {
        "pairs": sum(first["confusion"][key] for key in ("tp", "fp", "tn", "fn")),
        "seconds": round(seconds, 1),
        "auc": {name: entry["metrics"]["AUC"] for name, entry in results.items()},
        "notes": [line for line in finished.stderr.splitlines() if "comparing" in line or "warning" in line],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", default=list(FILES), help="files under the benchmark folder")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--home", type=Path, help="RNAAPP_HOME of the runs (default: a fresh folder)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    arguments = parser.parse_args(argv)
    home = arguments.home or Path(tempfile.mkdtemp(prefix="rnaapp-bench-home-"))
    rows = []
    for name in arguments.files:
        path = BENCHMARKS / name
        if not path.is_file():
            raise SystemExit(f"{path} not found (set RNAAPP_BENCHMARKS)")
        for config in arguments.configs:
            row = {"file": name, "config": config} | run_one(path, CONFIGS[config], home)
            rows.append(row)
            aucs = "  ".join(f"{model} {auc:.4f}" for model, auc in row["auc"].items())
            print(f"{name:28} {config:8} {row['seconds']:7.1f} s  {aucs}", flush=True)
    print()
    print(f"{'file':28} {'config':8} {'seconds':>8}  models (AUC)")
    for row in rows:
        aucs = ", ".join(f"{model} ({auc:.4f})" for model, auc in row["auc"].items())
        print(f"{row['file']:28} {row['config']:8} {row['seconds']:8.1f}  {aucs}")
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "home": str(home),
            "cpu_count": os.cpu_count(),
            "load_average": os.getloadavg(),
            "rows": rows,
        }
        arguments.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {arguments.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
