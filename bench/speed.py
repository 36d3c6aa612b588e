"""Inference speed on this machine's CPU.

Usage::

    python bench/speed.py [--model site] [--threads 2] [--repeats 3] [--docs]

Prints pairs scored per second in batch inference (site_deepmirnatar test pairs when the benchmarks are
present, else seeded random 22-nt miRNAs x 40-nt sites) and the wall time of one
``rnaapp predict --mirna ... --target ...`` call, next to the goals (>= 5,000 pairs/s; < 2 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from rnaapp.inference import default_workers, predict
from rnaapp.registry import load_model

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "bench"))
import doc_sections  # noqa: E402


def benchmark_pairs() -> tuple[list[str], list[str], str]:
    folder = Path(os.environ.get("RNAAPP_BENCHMARKS", REPOSITORY.parent / "shared" / "benchmarks"))
    path = folder / "site_deepmirnatar" / "test.csv"
    if path.is_file():
        from rnaapp.io import read_pairs

        frame = read_pairs(path)
        return (
            frame.mirna_seq.tolist(),
            frame.target_seq.tolist(),
            f"site_deepmirnatar test ({len(frame)} pairs)",
        )
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGU"))
    mirnas = ["".join(rng.choice(letters, 22)) for _ in range(300)]
    chosen = [mirnas[i] for i in rng.integers(0, len(mirnas), 10000)]
    targets = ["".join(rng.choice(letters, 40)) for _ in range(10000)]
    return chosen, targets, "random pairs (10000; 300 distinct miRNAs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="site")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512)
    doc_sections.add_option(parser, "speed")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)

    model = load_model(arguments.model)
    mirnas, targets, description = benchmark_pairs()
    predict(model, mirnas[:2048], targets[:2048])  # warm-up
    rates: dict[str, list[float]] = {"float32": [], "bfloat16": []}
    for precision, values in rates.items():
        for _ in range(arguments.repeats):
            started = time.perf_counter()
            predict(model, mirnas, targets, batch_size=arguments.batch_size, precision=precision)
            values.append(len(mirnas) / (time.perf_counter() - started))

    command = [
        str(Path(sys.executable).with_name("rnaapp")),
        "predict",
        "--mirna",
        "UGAGGUAGUAGGUUGUAUAGUU",
        "--target",
        "GGCUUAGAUAAAAUGAAACUAUACAACCUACUACCUCAUU",
        "--model",
        arguments.model,
    ]
    subprocess.run(command, check=True, capture_output=True)  # warm the file cache
    walls = []
    for _ in range(arguments.repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)

    with doc_sections.captured() as printed:
        print_rates(model, description, arguments, rates, walls)
    if arguments.docs:
        doc_sections.replace_section("speed", doc_sections.fenced(printed.getvalue()))


def print_rates(
    model, description: str, arguments, rates: dict[str, list[float]], walls: list[float]
) -> None:
    print(
        f"model {model.name} ({model.family.name}); {description}; {default_workers(model.device)} workers "
        f"x 1 torch thread; batch {arguments.batch_size}; {os.cpu_count()} CPUs; {arguments.repeats} repeats"
    )
    print(f"{'measure':<38} {'median':>10} {'min':>10} {'max':>10}  goal")
    for precision, values in rates.items():
        label = f"batch inference, {precision} (pairs/s)"
        print(
            f"{label:<38} {statistics.median(values):>10.0f} {min(values):>10.0f} {max(values):>10.0f}  >= 5000"
        )
    print(
        f"{'one-pair `rnaapp predict` (s)':<38} {statistics.median(walls):>10.2f} {min(walls):>10.2f} "
        f"{max(walls):>10.2f}  < 2"
    )


if __name__ == "__main__":
    main()
