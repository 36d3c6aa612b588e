"""Does a model's saturation mutagenesis see the seed? Mean Δ score at seed-match positions vs elsewhere.

On ``site_deepmirnatar/test.csv`` (40-nt windows), ``--pairs`` positive pairs drawn with a fixed seed among
those holding a canonical seed site (8mer ... offset-6mer): every single-nucleotide substitution of the
target is scored through the one inference path (:func:`rnaapp.mutagenesis.saturation_mutagenesis`, one
batch of 120 mutants per pair), and its Δ score (mutant - reference, graded log-odds) is averaged over the
substitutions inside the pair's best canonical site (the seed match with its A1) and over all others.

A model that reads the seed lowers its score far more inside the seed match than elsewhere. Baselines: the
seed rule (its score depends on the seed match only, so it is seed-aware by construction) and the hybrid
ΔG rule (it weighs every pairing base). Verdict "seed-aware" when the seed-match mean Δ is below the mean
elsewhere by at least 0.5 (log-odds) and the mean |Δ| inside is at least twice the mean |Δ| outside;
else "ignores the seed".

Leakage: ``mirna_site-combined`` and the ``mitar`` models were trained on ``site_deepmirnatar``'s training
split (random split of the same pool: the same miRNAs and genes recur); this bench measures what the models
attend to, not accuracy.

Run: ``python bench/mutagenesis.py [--pairs 200] [--models ...] [--json FILE] [--docs]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc_sections  # noqa: E402
from site_data import benchmarks_directory  # noqa: E402

from rnaapp.mutagenesis import saturation_mutagenesis  # noqa: E402
from rnaapp.registry import load_model  # noqa: E402
from rnaapp.sites import find_seed_sites  # noqa: E402

MODELS = [
    "mirna_site-combined",
    "mitar-scan",
    "mitar-deepmirnatar",
    "seed_rule-deepmirnatar",
    "hybrid_mfe-deepmirnatar",
]


def chosen_pairs(count: int, seed: int = 0) -> tuple[pd.DataFrame, int, int]:
    """``count`` positive test pairs with a canonical seed site (drawn with ``seed``), and the pool sizes."""
    table = pd.read_csv(benchmarks_directory() / "site_deepmirnatar" / "test.csv")
    positives = table[table["label"] == 1]
    with_site = positives[
        [
            bool(find_seed_sites(m, t))
            for m, t in zip(positives["mirna_seq"], positives["target_seq"], strict=True)
        ]
    ]
    return (
        with_site.sample(n=min(count, len(with_site)), random_state=seed).reset_index(drop=True),
        len(positives),
        len(with_site),
    )


def measure(model_name: str, pairs: pd.DataFrame) -> dict:
    model = load_model(model_name)
    saturation_mutagenesis(model, pairs["mirna_seq"][0], pairs["target_seq"][0])  # warm-up (first batch)
    inside, outside, seconds = [], [], []
    started = time.perf_counter()
    for mirna, target in zip(pairs["mirna_seq"], pairs["target_seq"], strict=True):
        result = saturation_mutagenesis(model, mirna, target)
        table = result.table
        inside.append(table.loc[table["in_seed_match"], "delta"].to_numpy())
        outside.append(table.loc[~table["in_seed_match"], "delta"].to_numpy())
        seconds.append(result.seconds)
    total = time.perf_counter() - started
    inside_all, outside_all = np.concatenate(inside), np.concatenate(outside)
    per_pair = np.array([a.mean() - b.mean() for a, b in zip(inside, outside, strict=True)])
    seed_mean, other_mean = float(inside_all.mean()), float(outside_all.mean())
    ratio = float(np.abs(inside_all).mean() / max(np.abs(outside_all).mean(), 1e-9))
    aware = seed_mean <= other_mean - 0.5 and ratio >= 2.0
    return {
        "model": model_name,
        "pairs": len(pairs),
        "mean Δ seed match": seed_mean,
        "mean Δ elsewhere": other_mean,
        "|Δ| ratio": ratio,
        "pairs with seed Δ < elsewhere": float((per_pair < 0).mean()),
        "verdict": "seed-aware" if aware else "ignores the seed",
        "s per pair (120 mutants)": float(np.mean(seconds)),
        "s per pair, max": float(np.max(seconds)),
        "total s": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the rows to this JSON file")
    doc_sections.add_option(parser, "mutagenesis")
    arguments = parser.parse_args()
    pairs, n_positive, n_with_site = chosen_pairs(arguments.pairs, arguments.seed)
    rows = []
    for name in arguments.models:
        rows.append(measure(name, pairs))
        print(rows[-1], flush=True)
    with (
        doc_sections.captured() as printed,
        pd.option_context("display.max_columns", None, "display.width", 250),
    ):
        print(
            f"\nsite_deepmirnatar/test.csv: {len(pairs)} of {n_with_site} positive pairs with a canonical seed site "
            f"({n_positive} positives), seed {arguments.seed}; every substitution of the 40-nt target, Δ = mutant - "
            "reference score (log-odds)"
        )
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:.3f}"))
        print(
            "\nVerdict: seed-aware when the seed-match mean Δ is at least 0.5 below the mean elsewhere and the mean "
            "|Δ| inside is at least twice that outside. Timing: one process, 2 cores, includes site typing and "
            "the duplex energies of the substitutions that change a site."
        )
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(rows, indent=1) + "\n")
    if arguments.docs:
        doc_sections.replace_section("mutagenesis", doc_sections.fenced(printed.getvalue()))


if __name__ == "__main__":
    main()
