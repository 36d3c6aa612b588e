"""Scanning benchmarks: gene-level accuracy on gene_miraw, speed against RNAhybrid, and how cost grows.

1. Accuracy: ``gene_miraw/test0..9`` (miRNA x full 3'UTR; 548 positives per set, the same 548 negatives in
   every set). Each model scans the 3'UTR (:func:`rnaapp.scan.scan`); a pair scores its best window (the one
   window rule: 40-nt windows around candidate sites, tiles for a 3'UTR without any; what ``rnaapp`` uses),
   and, as an alternative, the noisy-OR of its five best sites; mean ± sd over the ten sets at threshold 0.5, plus AUC and AUPR,
   next to the published TargetNet and Mimosa numbers and to RNAhybrid (``-s 3utr_human``; a pair is
   called at p < 0.05, ranked by its minimum free energy) measured on the same sets.
2. Speed: 20 miRNAs x the first 200 3'UTRs of ``reference/utr3_miraw_panel.fa.gz``: nucleotides scanned
   per second (miRNA x nt) and peak memory (all processes) of ``rnaapp scan`` (whole command: start-up,
   reading, scanning, energies of the reported sites, writing; with one reported site per pair like
   RNAhybrid's ``-b 1``, and with the default three) and of RNAhybrid (``-b 1 -c -s 3utr_human``, one
   process, and one process per core).
3. Scale: 1, 10 and 100 miRNAs against the whole 4,025-UTR panel with ``rnaapp scan``; time, memory, and
   the projected time for all 2,656 human miRNAs x all human 3'UTRs.

Run: ``python bench/scan.py [--sections accuracy speed scale] [--models NAME ...] [--json] [--docs]``
(``--docs``: also write each measured section into docs/benchmarks.md, sections ``scan-accuracy``,
``scan-speed``, ``scan-scale``; a section holds one run's rows, so measure all its models at once). Reads
``RNAAPP_BENCHMARKS`` (default ``../shared/benchmarks``); needs RNAhybrid on the PATH for its rows
(Debian package ``rnahybrid``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc_sections  # noqa: E402
from site_data import benchmarks_directory  # noqa: E402

from rnaapp.metrics import compute_metrics  # noqa: E402
from rnaapp.registry import ModelNotFoundError, load_model  # noqa: E402
from rnaapp.scan import scan  # noqa: E402

REPOSITORY = Path(__file__).resolve().parents[1]
PUBLISHED = {  # mean over the ten sets at threshold 0.5 (Mimosa paper / BiTransAct README)
    "TargetNet (published)": {"ACC": 0.72, "PRE": 0.65, "SEN": 0.94, "SPE": 0.50, "F1": 0.77},
    "Mimosa (published)": {"ACC": 0.75, "PRE": 0.67, "SEN": 0.92, "SPE": 0.58, "F1": 0.79},
    "miRAW (published)": {"ACC": 0.70, "PRE": 0.67, "SEN": 0.79, "SPE": 0.61, "F1": 0.72},
}
DEFAULT_MODELS = [
    "mitar-scan",
    "mitar-combined",
    "mirna_site-combined",
    "seed_rule-deepmirnatar",
    "hybrid_mfe-deepmirnatar",
]
COLUMNS = ["ACC", "F1", "PRE", "SEN", "SPE", "AUC", "AUPR"]
HUMAN_MIRNAS = 2656  # miRBase 22.1 hsa mature entries
HUMAN_UTR_NT = 60e6  # ~ total length of one 3'UTR per human protein-coding gene (GENCODE; order of magnitude)


def gene_sets() -> list[pd.DataFrame]:
    folder = benchmarks_directory() / "gene_miraw"
    return [pd.read_csv(folder / f"test{index}.csv") for index in range(10)]


def unique_pairs(sets: list[pd.DataFrame]) -> pd.DataFrame:
    pairs = pd.concat([frame[["mirna_seq", "target_seq"]] for frame in sets]).drop_duplicates()
    return pairs.reset_index(drop=True)


def summarise(sets: list[pd.DataFrame], scores: dict[tuple[str, str], float], threshold: float) -> dict:
    rows = []
    for frame in sets:
        values = np.array([scores[key] for key in zip(frame.mirna_seq, frame.target_seq, strict=True)])
        rows.append(compute_metrics(frame.label.to_numpy(), values, threshold))
    table = pd.DataFrame(rows)[COLUMNS]
    return {column: (float(table[column].mean()), float(table[column].std())) for column in COLUMNS}


def rnahybrid_scores(pairs: pd.DataFrame, workdir: Path) -> tuple[dict, dict]:
    """Minimum free energy and p-value of each pair (RNAhybrid -s 3utr_human -b 1 -c)."""
    energies, p_values = {}, {}
    for mirna, group in pairs.groupby("mirna_seq"):
        targets = workdir / "targets.fa"
        targets.write_text("".join(f">t{i}\n{seq}\n" for i, seq in enumerate(group.target_seq)))
        query = workdir / "query.fa"
        query.write_text(f">q\n{mirna}\n")
        output = subprocess.run(
            ["RNAhybrid", "-c", "-b", "1", "-s", "3utr_human", "-m", "100000", "-t", targets, "-q", query],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found = {}
        for line in output.splitlines():
            fields = line.split(":")
            if len(fields) > 6:
                found[int(fields[0][1:])] = (float(fields[4]), float(fields[5]))
        for index, target in enumerate(group.target_seq):
            energy, p_value = found.get(index, (0.0, 1.0))
            energies[(mirna, target)] = energy
            p_values[(mirna, target)] = p_value
    return energies, p_values


def site_probabilities(
    model, pairs: pd.DataFrame, top: int = 5
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], list[float]]]:
    """Every (miRNA, 3'UTR) pair's scan probability, and its ``top`` best site probabilities.

    The scan probability is the pair's score by the one window rule (its best window; the best tile for a
    3'UTR without candidate sites, which then has no sites).
    """
    keys = list(zip(pairs.mirna_seq, pairs.target_seq, strict=True))
    pair_scores: dict[tuple[str, str], float] = {}
    found: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    for mirna, group in pairs.groupby("mirna_seq", sort=False):
        targets = [(f"t{index}", target) for index, target in enumerate(group.target_seq)]
        result = scan(model, [("m", mirna)], targets, sites_per_pair=top, energies=False)
        by_id = dict(targets)
        for target_id, probability in zip(result.pairs.target_id, result.pairs.probability, strict=True):
            pair_scores[(mirna, by_id[target_id])] = float(probability)
        for target_id, probability in zip(result.sites.target_id, result.sites.probability, strict=True):
            found[(mirna, by_id[target_id])].append(float(probability))
    return pair_scores, found


def noisy_or(values: list[float], pair_score: float) -> float:
    """Noisy-OR of a pair's best sites (its scan probability when it has none: tiles only)."""
    return 1.0 - float(np.prod([1.0 - value for value in values])) if values else pair_score


def accuracy(models: list[str]) -> dict:
    sets = gene_sets()
    pairs = unique_pairs(sets)
    results = {}
    for name in models:
        try:
            model = load_model(name)
        except ModelNotFoundError:
            print(f"skipping {name}: not installed", file=sys.stderr)
            continue
        started = time.perf_counter()
        pair_scores, sites = site_probabilities(model, pairs)
        results[name] = summarise(sets, pair_scores, 0.5)  # the scan's own score: the best window
        scores = {key: noisy_or(values, pair_scores[key]) for key, values in sites.items()}
        results[f"{name} (noisy-OR of the top 5 sites)"] = summarise(sets, scores, 0.5)
        print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if shutil.which("RNAhybrid"):
        with tempfile.TemporaryDirectory() as workdir:
            energies, p_values = rnahybrid_scores(pairs, Path(workdir))
        ranked = {
            key: min(1.0, max(0.0, -value / 100.0)) for key, value in energies.items()
        }  # lower = likelier
        # Called at p < 0.05; ranked (AUC, AUPR) by -energy.
        called = {key: 1.0 if p_values[key] < 0.05 else 0.0 for key in p_values}
        calls = summarise(sets, called, 0.5)
        ranks = summarise(sets, ranked, 0.0)
        results["RNAhybrid (p < 0.05)"] = {key: calls[key] for key in COLUMNS[:5]} | {
            key: ranks[key] for key in ("AUC", "AUPR")
        }
    return results


def fasta_head(path: Path, count: int) -> list[tuple[str, str]]:
    records, name, chunks = [], None, []
    with gzip.open(path, "rt") as handle:
        for line in handle:
            if line.startswith(">"):
                if name is not None:
                    records.append((name, "".join(chunks).replace("T", "U")))
                    if len(records) == count:
                        return records
                name, chunks = line[1:].split()[0], []
            else:
                chunks.append(line.strip().upper())
    if name is not None and len(records) < count:
        records.append((name, "".join(chunks).replace("T", "U")))
    return records


class PeakMemory:
    """Samples the summed resident memory of a process and its descendants (psutil) every 0.1 s."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        import psutil

        while self.running:
            try:
                processes = [self.process, *self.process.children(recursive=True)]
                total = sum(process.memory_info().rss for process in processes if process.is_running())
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.1)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return self.peak / 2**30


def run_measured(command: list[str], **kwargs) -> tuple[float, float]:
    """Wall seconds and peak memory (GiB, the process tree) of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kwargs
    )
    memory = PeakMemory(process.pid)
    _, error = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed: {error[-2000:]}")
    return seconds, peak


def write_inputs(
    workdir: Path, mirnas: list[tuple[str, str]], targets: list[tuple[str, str]]
) -> tuple[Path, Path]:
    mirna_file, target_file = workdir / "mirnas.fa", workdir / "targets.fa"
    mirna_file.write_text("".join(f">{name}\n{seq}\n" for name, seq in mirnas))
    target_file.write_text("".join(f">{name}\n{seq}\n" for name, seq in targets))
    return mirna_file, target_file


def rnaapp_scan(
    workdir: Path, mirna_file: Path, target_file: Path, workers: int, model: str, sites: int = 3
) -> tuple[float, float]:
    """Wall seconds and peak memory of the whole ``rnaapp scan`` command."""
    command = [
        sys.executable,
        "-m",
        "rnaapp",
        "scan",
        "--mirnas",
        str(mirna_file),
        "--targets",
        str(target_file),
    ]
    command += ["--model", model, "--workers", str(workers), "--sites-per-pair", str(sites)]
    command += ["-o", str(workdir / "out.parquet"), "--top", "10"]
    return run_measured(command, cwd=REPOSITORY)


def rnahybrid_speed(
    workdir: Path, mirnas: list[tuple[str, str]], target_file: Path, processes: int
) -> tuple[float, float]:
    """RNAhybrid -b 1 -c over every miRNA, split over ``processes`` processes run at once."""
    script = workdir / "rnahybrid.sh"
    groups = [mirnas[index::processes] for index in range(processes)]
    lines = ["#!/bin/sh"]
    for number, group in enumerate(groups):
        query = workdir / f"q{number}.fa"
        query.write_text("".join(f">{name}\n{seq}\n" for name, seq in group))
        lines.append(f"RNAhybrid -c -b 1 -m 100000 -s 3utr_human -t {target_file} -q {query} > /dev/null &")
    lines.append("wait")
    script.write_text("\n".join(lines) + "\n")
    return run_measured(["sh", str(script)])


def speed(model: str) -> dict:
    from rnaapp.examples import EXAMPLE_MIRNAS
    from rnaapp.settings import mirbase_sequences

    reference = mirbase_sequences(str(benchmarks_directory() / "reference" / "mature_mirbase22.1.fa"))
    human = sorted((name, seq) for name, seq in reference.items() if name.startswith("hsa-"))
    rng = np.random.default_rng(0)
    mirnas = list(EXAMPLE_MIRNAS.items()) + [human[i] for i in rng.choice(len(human), 10, replace=False)]
    targets = fasta_head(benchmarks_directory() / "reference" / "utr3_miraw_panel.fa.gz", 200)
    nucleotides = len(mirnas) * sum(len(seq) for _, seq in targets)
    results = {"mirnas": len(mirnas), "targets": len(targets), "miRNA_x_nt": nucleotides}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        mirna_file, target_file = write_inputs(workdir, mirnas, targets)
        cores = os.cpu_count() or 1
        runs = [
            ("rnaapp scan, 1 process, 1 site/pair", 1, 1),
            (f"rnaapp scan, {cores} processes, 1 site/pair", cores, 1),
            (f"rnaapp scan, {cores} processes, 3 sites/pair", cores, 3),
        ]
        for label, workers, sites in runs:
            seconds, peak = rnaapp_scan(workdir, mirna_file, target_file, workers, model, sites)
            results[label] = {"seconds": seconds, "nt_per_s": nucleotides / seconds, "peak_gib": peak}
        if shutil.which("RNAhybrid"):
            for label, processes in (
                ("RNAhybrid -b 1, 1 process", 1),
                (f"RNAhybrid -b 1, {cores} processes", cores),
            ):
                seconds, peak = rnahybrid_speed(workdir, mirnas, target_file, processes)
                results[label] = {"seconds": seconds, "nt_per_s": nucleotides / seconds, "peak_gib": peak}
    return results


def scale(model: str, counts: tuple[int, ...]) -> dict:
    from rnaapp.settings import mirbase_sequences

    reference = mirbase_sequences(str(benchmarks_directory() / "reference" / "mature_mirbase22.1.fa"))
    human = sorted((name, seq) for name, seq in reference.items() if name.startswith("hsa-"))
    rng = np.random.default_rng(1)
    order = rng.permutation(len(human))
    targets = fasta_head(benchmarks_directory() / "reference" / "utr3_miraw_panel.fa.gz", 10**9)
    panel_nt = sum(len(seq) for _, seq in targets)
    results = {"utrs": len(targets), "panel_nt": panel_nt}
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for count in counts:
            mirnas = [human[index] for index in order[:count]]
            mirna_file, target_file = write_inputs(workdir, mirnas, targets)
            seconds, peak = rnaapp_scan(workdir, mirna_file, target_file, cores, model)
            results[f"{count} miRNAs"] = {
                "seconds": seconds,
                "nt_per_s": count * panel_nt / seconds,
                "peak_gib": peak,
            }
            print(f"scale {count}: {seconds:.0f} s", file=sys.stderr, flush=True)
    return results


def write_cards(results: dict) -> None:
    """Add ``metrics["gene_miraw"]`` (means over test0..9, threshold 0.5) to the cards in ``weights/``."""
    from rnaapp.io import atomic_write

    for name, values in results.items():
        path = REPOSITORY / "weights" / f"{name}.json"
        if not path.is_file():
            continue
        card = json.loads(path.read_text(encoding="utf-8"))
        card["metrics"]["gene_miraw"] = {column: round(values[column][0], 4) for column in COLUMNS} | {
            "sd": {column: round(values[column][1], 4) for column in COLUMNS},
            "protocol": "mean over gene_miraw test0..9; 3'UTR scanned (python bench/scan.py --sections accuracy)",
        }
        text = json.dumps(card, indent=2) + "\n"
        atomic_write(path, lambda temporary, text=text: Path(temporary).write_text(text, encoding="utf-8"))


def print_accuracy(results: dict) -> None:
    print("\nGene level, gene_miraw test0..9 (mean ± sd over the ten sets, threshold 0.5)")
    header = f"{'model':<56}" + "".join(f"{column:>15}" for column in COLUMNS)
    print(header)
    for name, values in results.items():
        cells = "".join(
            f"{values[c][0]:>8.3f} ±{values[c][1]:.3f}" if c in values else f"{'':>15}" for c in COLUMNS
        )
        print(f"{name:<56}{cells}")
    for name, values in PUBLISHED.items():
        cells = "".join(f"{values[c]:>15.2f}" if c in values else f"{'–':>15}" for c in COLUMNS)
        print(f"{name:<56}{cells}")
    print("Goal: ACC >= 0.80, F1 >= 0.82, SPE >= 0.70. PRE = precision, SEN = recall, SPE = specificity.")


def accuracy_markdown(results: dict) -> str:
    """The gene-level table of :func:`print_accuracy` in Markdown (for docs/benchmarks.md)."""
    lines = [
        "Gene level, gene_miraw test0..9 (mean ± sd over the ten sets, threshold 0.5):",
        "",
        "| model | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, values in results.items():
        cells = [f"{values[c][0]:.3f} ± {values[c][1]:.3f}" if c in values else "" for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, values in PUBLISHED.items():
        cells = [f"{values[c]:.2f}" if c in values else "–" for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Goal: ACC >= 0.80, F1 >= 0.82, SPE >= 0.70. PRE = precision, SEN = recall, SPE = specificity.",
    ]
    return "\n".join(lines)


def rates_markdown(title: str, first_column: str, results: dict) -> str:
    """A table of :func:`print_rates` in Markdown (for docs/benchmarks.md)."""
    lines = [
        f"{title}:",
        "",
        f"| {first_column} | seconds | M miRNA·nt / s | peak memory (GiB, all processes) |",
        "|---|---|---|---|",
    ]
    notes = []
    for label, values in results.items():
        if isinstance(values, dict):
            lines.append(
                f"| {label} | {values['seconds']:.1f} | {values['nt_per_s'] / 1e6:.2f} | {values['peak_gib']:.2f} |"
            )
        else:
            notes.append(f"{label}: {values}")
    return "\n".join([*lines, "", "; ".join(notes)])


def print_rates(title: str, results: dict) -> None:
    print(f"\n{title}")
    for label, values in results.items():
        if isinstance(values, dict):
            print(
                f"{label:<44} {values['seconds']:>9.1f} s {values['nt_per_s'] / 1e6:>9.2f} M nt/s "
                f"{values['peak_gib']:>7.2f} GiB peak"
            )
        else:
            print(f"{label:<44} {values}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", nargs="+", default=["accuracy", "speed", "scale"])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument(
        "--scan-model",
        default="scan",
        help="model for the speed and scale runs (default: the scanning default)",
    )
    parser.add_argument("--scale-counts", nargs="+", type=int, default=[1, 10, 100])
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--write-cards", action="store_true", help="store the gene-level means in the cards of shipped models"
    )
    doc_sections.add_option(parser, "scan-accuracy", "scan-speed", "scan-scale (those measured)")
    arguments = parser.parse_args()
    results: dict = {}
    if "accuracy" in arguments.sections:
        results["accuracy"] = accuracy(arguments.models)
    if "speed" in arguments.sections:
        results["speed"] = speed(arguments.scan_model)
    if "scale" in arguments.sections:
        results["scale"] = scale(arguments.scan_model, tuple(arguments.scale_counts))
    if arguments.write_cards and "accuracy" in results:
        write_cards(results["accuracy"])
    if arguments.docs:
        write_docs(results)
    if arguments.json:
        print(json.dumps(results, indent=2))
        return
    if "accuracy" in results:
        print_accuracy(results["accuracy"])
    if "speed" in results:
        print_rates(SPEED_TITLE, results["speed"])
        if speed_ratio(results["speed"]):
            print(speed_ratio(results["speed"]))
    if "scale" in results:
        print_rates(SCALE_TITLE, results["scale"])
        print(projection(results["scale"]))


SPEED_TITLE = "Speed: 20 miRNAs x the first 200 panel 3'UTRs (miRNA x nt per second)"
SCALE_TITLE = "Scale: miRNAs x the whole panel"


def speed_ratio(speed_results: dict) -> str:
    ours = max(v["nt_per_s"] for k, v in speed_results.items() if k.startswith("rnaapp"))
    theirs = [v["nt_per_s"] for k, v in speed_results.items() if k.startswith("RNAhybrid")]
    return f"rnaapp / RNAhybrid (best of each): {ours / max(theirs):.1f}x (goal >= 5x)" if theirs else ""


def projection(scale_results: dict) -> str:
    rates = [v["nt_per_s"] for v in scale_results.values() if isinstance(v, dict)]
    rate = max(rates)
    projected = HUMAN_MIRNAS * HUMAN_UTR_NT / rate
    return (
        f"Projected: {HUMAN_MIRNAS} human miRNAs x ~{HUMAN_UTR_NT / 1e6:.0f} M nt of human 3'UTRs at "
        f"{rate / 1e6:.2f} M nt/s = {projected / 3600:.0f} h on this machine; on a 10-node Dask cluster "
        f"of such machines ~{projected / 36000:.1f} h (linear in nodes: groups of transcripts are independent)."
    )


def write_docs(results: dict) -> None:
    """Each measured section into its part of docs/benchmarks.md."""
    machine = f"{os.cpu_count()} CPU cores"
    if "accuracy" in results:
        doc_sections.replace_section("scan-accuracy", accuracy_markdown(results["accuracy"]))
    if "speed" in results:
        table = rates_markdown(f"{SPEED_TITLE}, {machine}", "command", results["speed"])
        doc_sections.replace_section(
            "scan-speed", "\n\n".join(filter(None, [table, speed_ratio(results["speed"])]))
        )
    if "scale" in results:
        table = rates_markdown(f"{SCALE_TITLE}, {machine}", "miRNAs", results["scale"])
        doc_sections.replace_section("scan-scale", f"{table}\n\n{projection(results['scale'])}")


if __name__ == "__main__":
    main()
