"""Write the composition of the reference 3'UTR panel that the percentile background is generated from.

    python bench/background.py

Counts, over the 4,025 3'UTRs of ``reference/utr3_miraw_panel.fa.gz``, every 4-mer (an order-3 Markov
chain) and 21 length quantiles, and writes them to ``rnaapp/scoring/background_data.py``. Only these
summary numbers ship (no sequence of the panel, whose terms are non-commercial):
:mod:`rnaapp.scoring.background` draws synthetic 3'UTRs from them.
"""

from __future__ import annotations

import sys
from itertools import product
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scoring import read_panel  # noqa: E402

REPOSITORY = Path(__file__).resolve().parents[1]
OUTPUT = REPOSITORY / "rnaapp" / "scoring" / "background_data.py"
ORDER = 3


def main() -> None:
    panel = read_panel()
    counts = {"".join(kmer): 0 for kmer in product("ACGU", repeat=ORDER + 1)}
    for sequence in panel.values():
        for start in range(len(sequence) - ORDER):
            kmer = sequence[start : start + ORDER + 1]
            if kmer in counts:
                counts[kmer] += 1
    lengths = np.array([len(sequence) for sequence in panel.values()])
    quantiles = np.quantile(lengths, np.linspace(0, 1, 21)).round().astype(int).tolist()
    lines = [
        '"""Composition of the reference 3\'UTR panel (written by ``python bench/background.py``; do not edit).',
        "",
        f"4-mer counts over {len(panel)} 3'UTRs ({int(lengths.sum())} nt) and 21 length quantiles (0, 5, ..., 100 %).",
        '"""',
        "",
        f"ORDER = {ORDER}",
        f"PANEL_UTRS = {len(panel)}",
        f"LENGTH_QUANTILES = {quantiles}",
        "KMER_COUNTS = {",
        *(f'    "{kmer}": {count},' for kmer, count in counts.items()),
        "}",
        "",
    ]
    OUTPUT.write_text("\n".join(lines))
    print(
        f"wrote {OUTPUT}: {len(counts)} 4-mers, lengths {quantiles[0]}..{quantiles[-1]} (median {quantiles[10]})"
    )


if __name__ == "__main__":
    main()
