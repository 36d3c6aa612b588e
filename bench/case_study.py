"""Case studies: literature-validated miRNA -> gene targets, each ranked among all 3'UTRs of the panel.

The pairs are ``bench/case_studies.csv`` (how they were chosen and checked: ``bench/case_studies.md``). Each
distinct miRNA of the list is scanned once (:func:`rnaapp.scan.scan`) against all 4,025 3'UTRs of
``reference/utr3_miraw_panel.fa.gz`` (one per Ensembl gene); for every validated pair the script reports
where its gene lands among all panel genes for that miRNA, by

- the model's ``score`` column (graded, higher = stronger; the scan's ``probability`` when the scan has no
  ``score`` column),
- ``max site``: the scan's ``best_site_log_odds`` (its best single site, or best tile for a 3'UTR without
  candidate sites: the max-of-sites score), where the scan has that column,
- the scan's ``probability`` (calibrated from the score and the 3'UTR length; it can sit within 0.001
  of 1 for many 3'UTRs, and the report says for what share),
- the baseline *weighted canonical-site count* of the 3'UTR: 8mer 3, 7mer-m8 2, 7mer-A1 1.5, 6mer 0.5,
  offset-6mer 0 (sites of :func:`rnaapp.sites.find_seed_sites`).

**Percentile** (lower = better): with ``N`` panel genes and ``rank`` the 1-based rank of the gene when the
genes are sorted by decreasing value, ties sharing their mean rank (``pandas`` ``rank(method="average",
ascending=False)``), ``percentile = 100 * (rank - 1) / (N - 1)``: 0 = ranked first, 100 = ranked last,
and a gene tied with every other gene sits at 50. Genes without a value rank last.

Before scanning, every pair is checked: its miRNA must be in miRBase 22.1, its gene in the panel, and the
gene's panel 3'UTR must hold at least one canonical site (6mer or longer) of the miRNA; a pair that fails
is reported and left out.

Run: ``python bench/case_study.py [--models NAME ...] [--json PATH] [--docs]`` (default model: the one that
``rnaapp scan`` uses, ``uses.scan`` of ``weights/defaults.json``; ``--docs`` writes section ``case-study``
of docs/benchmarks.md, so measure all its models in one run). Reads ``RNAAPP_BENCHMARKS`` (default
``../shared/benchmarks``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CASES = HERE / "case_studies.csv"
CASE_COLUMNS = ["mirna_id", "gene_symbol", "ensembl_gene", "reference", "evidence"]
#: Weight of each canonical site type in the site-count baseline.
SITE_WEIGHTS = {"8mer": 3.0, "7mer-m8": 2.0, "7mer-A1": 1.5, "6mer": 0.5, "offset-6mer": 0.0}
#: Site types that count as a seed match in the pre-scan check (miRNA nt 2-7 paired at least).
SEED_MATCHES = ("8mer", "7mer-m8", "7mer-A1", "6mer")
SHORT_SITE_NAMES = {"8mer": "8mer", "7mer-m8": "7m8", "7mer-A1": "7A1", "6mer": "6mer", "offset-6mer": "o6"}
BASELINE = "site count"
#: A pair probability this close to 1 counts as saturated in the report.
SATURATED = 0.999


def mean_ranks(values: pd.Series) -> pd.Series:
    """1-based ranks by decreasing value; tied values share their mean rank; missing values rank last."""
    return values.rank(method="average", ascending=False, na_option="bottom")


def percentiles(values: pd.Series) -> pd.Series:
    """``100 * (rank - 1) / (N - 1)`` of every entry (see the module docstring); 0 for a single entry."""
    ranks = mean_ranks(values)
    count = len(values)
    if count <= 1:
        return ranks * 0.0
    return 100.0 * (ranks - 1.0) / (count - 1.0)


def site_counts(mirna: str, target: str) -> Counter:
    """Canonical sites of ``mirna`` on ``target`` by type (:func:`rnaapp.sites.find_seed_sites`)."""
    from rnaapp.sites import find_seed_sites

    return Counter(site.site_type for site in find_seed_sites(mirna, target))


def weighted_site_count(counts: Mapping[str, int]) -> float:
    """The baseline's value of one 3'UTR: its sites weighted by :data:`SITE_WEIGHTS`."""
    return float(sum(SITE_WEIGHTS.get(kind, 0.0) * number for kind, number in counts.items()))


def describe_sites(counts: Mapping[str, int]) -> str:
    """``8mer:2 7m8:1`` style summary, strongest type first (``-`` when there is none)."""
    parts = [f"{SHORT_SITE_NAMES[kind]}:{counts[kind]}" for kind in SITE_WEIGHTS if counts.get(kind)]
    return " ".join(parts) or "-"


def load_cases(path: Path = CASES) -> pd.DataFrame:
    cases = pd.read_csv(path, dtype=str).fillna("")
    missing = [column for column in CASE_COLUMNS if column not in cases.columns]
    if missing:
        raise SystemExit(f"{path}: missing columns {missing}")
    return cases[CASE_COLUMNS]


def read_panel() -> list[tuple[str, str]]:
    """Every (Ensembl gene id, 3'UTR as RNA) of ``reference/utr3_miraw_panel.fa.gz``."""
    from scan import fasta_head
    from site_data import benchmarks_directory

    return fasta_head(benchmarks_directory() / "reference" / "utr3_miraw_panel.fa.gz", 10**9)


def mirbase() -> dict[str, str]:
    from site_data import benchmarks_directory

    from rnaapp.mirna_names import mirbase_sequences

    return mirbase_sequences(str(benchmarks_directory() / "reference" / "mature_mirbase22.1.fa"))


def check_cases(
    cases: pd.DataFrame, panel: Mapping[str, str], reference: Mapping[str, str]
) -> tuple[pd.DataFrame, list[str]]:
    """The usable pairs (with their miRNA sequence, 3'UTR length and sites) and a line per dropped pair."""
    kept, dropped = [], []
    for case in cases.itertuples(index=False):
        label = f"{case.mirna_id} -> {case.gene_symbol} ({case.ensembl_gene})"
        sequence = reference.get(case.mirna_id)
        if sequence is None:
            dropped.append(f"{label}: miRNA not in miRBase 22.1")
            continue
        utr = panel.get(case.ensembl_gene)
        if utr is None:
            dropped.append(f"{label}: gene not in the panel")
            continue
        counts = site_counts(sequence, utr)
        if not any(counts.get(kind) for kind in SEED_MATCHES):
            dropped.append(f"{label}: no canonical site in its {len(utr)}-nt panel 3'UTR")
            continue
        kept.append(
            case._asdict() | {"mirna_seq": sequence, "utr_length": len(utr), "sites": describe_sites(counts)}
        )
    return pd.DataFrame(kept), dropped


def baseline_values(mirna: str, targets: Iterable[tuple[str, str]]) -> pd.Series:
    """The weighted canonical-site count of every 3'UTR for one miRNA, indexed by gene id."""
    return pd.Series({name: weighted_site_count(site_counts(mirna, utr)) for name, utr in targets})


def scan_values(model, mirna_id: str, mirna: str, targets: list[tuple[str, str]], options) -> dict:
    """What each method ranks by, for every 3'UTR and one miRNA: method name -> values indexed by gene id.

    ``score`` (the scan's ``probability`` where it has no ``score`` column), ``max site`` (the
    ``best_site_log_odds`` column: the best single site or window, where the scan has it) and ``probability``.
    """
    import inspect

    from rnaapp.scan import scan, scan_batches

    settings = {"sites_per_pair": 1, "energies": False}
    if "percentiles" in inspect.signature(scan_batches).parameters:
        settings["percentiles"] = False  # the background percentile is not ranked here; it costs a scan
    result = scan(model, [(mirna_id, mirna)], targets, options, **settings)
    pairs = result.pairs.set_index("target_id")
    genes = [name for name, _ in targets]
    methods = {"score": "score", "max site": "best_site_log_odds", "probability": "probability"}
    if "score" not in pairs.columns:
        methods = {"probability": "probability"}
    return {
        method: pd.to_numeric(pairs[column], errors="coerce").reindex(genes)
        for method, column in methods.items()
        if column in pairs.columns
    }


def case_percentiles(cases: pd.DataFrame, values: Mapping[str, pd.Series]) -> list[float]:
    """Percentile of each case's gene among all genes, ``values`` holding each miRNA's values by gene."""
    by_mirna = {mirna: percentiles(series) for mirna, series in values.items()}
    return [float(by_mirna[case.mirna_id][case.ensembl_gene]) for case in cases.itertuples(index=False)]


def measure(models: list[str], cases: pd.DataFrame, targets: list[tuple[str, str]], options) -> dict:
    """Every case's percentile by each method, and what the scans took."""
    from rnaapp.registry import load_model

    mirnas = cases.drop_duplicates("mirna_id")[["mirna_id", "mirna_seq"]].itertuples(index=False)
    mirnas = list(mirnas)
    columns: dict[str, list[float]] = {}
    notes: dict[str, dict] = {}
    baseline = {mirna.mirna_id: baseline_values(mirna.mirna_seq, targets) for mirna in mirnas}
    from rnaapp.scoring import model_scoring

    if any(model_scoring(load_model(name)).transcript.uses_accessibility for name in models):
        from scoring import warm_accessibility  # bench/scoring.py: folds once, in 2 processes, cached

        warm_accessibility([target for _, target in targets])
    for name in models:
        model = load_model(name)
        values: dict[str, dict[str, pd.Series]] = {}
        saturated = pairs = 0
        started = time.perf_counter()
        for mirna in mirnas:
            begun = time.perf_counter()
            found = scan_values(model, mirna.mirna_id, mirna.mirna_seq, targets, options)
            for method, series in found.items():
                values.setdefault(method, {})[mirna.mirna_id] = series
            saturated += int((found["probability"] >= SATURATED).sum())
            pairs += len(found["probability"])
            print(
                f"{name} {mirna.mirna_id}: {time.perf_counter() - begun:.1f} s", file=sys.stderr, flush=True
            )
        for method, by_mirna in values.items():
            columns[f"{name} {method}"] = case_percentiles(cases, by_mirna)
        notes[name] = {
            "seconds": time.perf_counter() - started,
            "methods": list(values),
            "saturated_share": saturated / pairs,
        }
    columns[BASELINE] = case_percentiles(cases, baseline)
    return {"columns": columns, "models": notes, "mirnas": len(mirnas), "genes": len(targets)}


def result_table(cases: pd.DataFrame, columns: Mapping[str, list[float]]) -> pd.DataFrame:
    """One row per case and a percentile column per method, then the mean and median rows."""
    table = cases[["mirna_id", "gene_symbol", "utr_length", "sites"]].rename(
        columns={"gene_symbol": "gene", "utr_length": "UTR nt", "sites": "panel sites"}
    )
    table = table.assign(**{name: values for name, values in columns.items()}).reset_index(drop=True)
    summary = []
    for label, function in (("mean", np.mean), ("median", np.median)):
        summary.append(
            {"mirna_id": label, "gene": f"({len(table)} pairs)", "UTR nt": "", "panel sites": ""}
            | {name: float(function(values)) for name, values in columns.items()}
        )
    return pd.concat([table, pd.DataFrame(summary)], ignore_index=True)


def print_report(table: pd.DataFrame, results: dict, dropped: list[str]) -> None:
    print(
        f"\nCase studies: {len(table) - 2} validated pairs ({results['mirnas']} miRNAs), each gene's percentile "
        f"among all {results['genes']} panel 3'UTRs for its miRNA (0 = ranked first, 100 = last; ties share "
        "their mean rank; lower = better)"
    )
    with pd.option_context("display.max_columns", None, "display.width", 250):
        print(table.to_string(index=False, float_format=lambda value: f"{value:.1f}"))
    within = {name: int((np.asarray(values) <= 10.0).sum()) for name, values in results["columns"].items()}
    print("pairs within the top 10 %: " + ", ".join(f"{name} {count}" for name, count in within.items()))
    print(
        f"{BASELINE}: weighted canonical sites per 3'UTR (8mer 3, 7mer-m8 2, 7mer-A1 1.5, 6mer 0.5, "
        "offset-6mer 0); max site: the scan's best_site_log_odds (best single site or tile); "
        "probability: the scan's calibrated pair probability."
    )
    shares = ", ".join(f"{name} {note['saturated_share']:.0%}" for name, note in results["models"].items())
    print(f"(miRNA, 3'UTR) pairs with probability >= {SATURATED}: {shares}")
    seconds = ", ".join(f"{name} {note['seconds']:.0f} s" for name, note in results["models"].items())
    print(f"scan time ({results['mirnas']} miRNAs x the panel): {seconds}")
    if dropped:
        print("left out: " + "; ".join(dropped))


def main() -> None:
    import doc_sections

    from rnaapp.inference import InferenceOptions
    from rnaapp.registry import resolve_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", help="models to scan with (default: the scanning default)")
    parser.add_argument("--cases", type=Path, default=CASES, help="the validated pairs (CSV)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also save the results as JSON")
    parser.add_argument("--workers", type=int, help="scan worker processes (default: the scan's own rule)")
    parser.add_argument("--device", help="device to run the models on (default: auto)")
    doc_sections.add_option(parser, "case-study")
    arguments = parser.parse_args()
    models = arguments.models or [resolve_name("scan")]
    options = InferenceOptions.from_flags({"workers": arguments.workers, "device": arguments.device})

    targets = read_panel()
    cases, dropped = check_cases(load_cases(arguments.cases), dict(targets), mirbase())
    if cases.empty:
        raise SystemExit("no usable case: " + "; ".join(dropped))
    results = measure(models, cases, targets, options)
    table = result_table(cases, results["columns"])
    with doc_sections.captured() as printed:
        print_report(table, results, dropped)
    if arguments.json:
        payload = {
            "definition": "percentile = 100 * (rank - 1) / (N - 1), rank by decreasing value, ties mean rank",
            "genes": results["genes"],
            "models": results["models"],
            "dropped": dropped,
            "pairs": [
                {
                    key: row[key]
                    for key in ("mirna_id", "gene_symbol", "ensembl_gene", "utr_length", "sites", "reference")
                }
                | {name: values[index] for name, values in results["columns"].items()}
                for index, row in cases.reset_index(drop=True).iterrows()
            ],
            "summary": {
                name: {"mean": float(np.mean(values)), "median": float(np.median(values))}
                for name, values in results["columns"].items()
            },
        }
        arguments.json.write_text(json.dumps(payload, indent=2, default=int) + "\n", encoding="utf-8")
        print(f"wrote {arguments.json}", file=sys.stderr)
    if arguments.docs:
        doc_sections.replace_section("case-study", doc_sections.fenced(printed.getvalue()))


if __name__ == "__main__":
    main()
