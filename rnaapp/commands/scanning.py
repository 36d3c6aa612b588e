"""``rnaapp scan``: miRNAs against whole transcripts, streamed to Parquet or CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rnaapp.commands.common import (
    CommandError,
    _check_output,
    _check_table_output,
    _is_gene,
    _load,
    _write_csv,
    inference_options,
)

#: Site formats other pipelines read, by the suffix of ``-o`` (sites there; pairs in OUT.pairs.csv).
TRACK_SUFFIXES = {".bed": "BED6", ".gff3": "GFF3", ".gff": "GFF3"}


def _scan_outputs(output: str) -> tuple[Path, Path, Path, str]:
    """Pair, site and top-N files for ``-o OUTPUT``, and their format: parquet, csv, bed or gff3."""
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix in TRACK_SUFFIXES:
        base = path.with_suffix("")
        kind = "bed" if suffix == ".bed" else "gff3"
        return base.with_name(f"{base.name}.pairs.csv"), path, base.with_name(f"{base.name}.top.csv"), kind
    if suffix in {".csv", ".tsv"}:
        base = path.with_suffix("")
        return (
            path,
            base.with_name(f"{base.name}.sites{path.suffix}"),
            base.with_name(f"{base.name}.top{path.suffix}"),
            "csv",
        )
    if suffix not in {"", ".parquet"}:
        raise CommandError(
            f"-o {output}: give OUT.parquet (or OUT without a suffix: .parquet is added), OUT.csv, OUT.tsv, "
            "OUT.bed (BED6 sites) or OUT.gff3 (GFF3 sites)"
        )
    base = path.with_suffix("") if suffix == ".parquet" else path
    if not suffix:
        path = path.with_name(f"{path.name}.parquet")
    return (
        path,
        base.with_name(f"{base.name}.sites.parquet"),
        base.with_name(f"{base.name}.top.csv"),
        "parquet",
    )


def _write_track(sites, path: Path, kind: str, genomic: bool) -> None:
    """Write the sites as BED6 or GFF3 text, atomically (:mod:`rnaapp.scan.export`)."""
    from rnaapp.io import atomic_write
    from rnaapp.scan.export import bed_text, gff3_text

    text = bed_text(sites, genomic=genomic) if kind == "bed" else gff3_text(sites, genomic=genomic)
    atomic_write(path, lambda temporary: Path(temporary).write_text(text))


def _check_targets(path: str) -> tuple[int, int]:
    """Read the whole transcript file once (validating every record); its record and nucleotide counts."""
    from tqdm import tqdm

    from rnaapp.scan import count_transcripts, iter_transcripts

    expected = count_transcripts(path)
    records = nucleotides = 0
    with tqdm(
        total=expected,
        desc=f"checking {Path(path).name}",
        unit="transcript",
        file=sys.stderr,
        leave=False,
        disable=expected < 20_000,
    ) as bar:
        for _, sequence in iter_transcripts(path):
            records += 1
            nucleotides += len(sequence)
            bar.update(1)
    return records, nucleotides


def _format_rate(value: float) -> str:
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.1f} {unit}"
    return f"{value:.0f} "


def _scan_default() -> str:
    """The model scans use by default: the ``uses.scan`` entry of defaults.json, else the site task's."""
    from rnaapp.registry import defaults

    return "scan" if defaults()["uses"].get("scan") else "site"


def command_scan(arguments: argparse.Namespace) -> int:
    """``rnaapp scan``: scan miRNAs against transcripts and write the ranked pairs and their best sites."""
    import time

    import pandas as pd
    from tqdm import tqdm

    from rnaapp.inference import scan_workers
    from rnaapp.scan import (
        TARGET_GENE_COLUMNS,
        iter_transcripts,
        read_mirnas_file,
        scan,
        scan_batches,
        top_interactions,
        transcript_headers,
        write_scan,
    )
    from rnaapp.settings import load_settings, mirna_reference

    for path in (arguments.mirnas, arguments.targets):
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
    pairs_path, sites_path, top_path, kind = _scan_outputs(arguments.output)
    for path in (pairs_path, sites_path, top_path):
        _check_output(path, "-o")
    if arguments.intarna:
        _check_table_output(arguments.intarna, "--intarna")
    if arguments.scheduler:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise CommandError(
                "--scheduler needs Dask's distributed scheduler: pip install 'dask[distributed]'"
            ) from None
    mirnas = read_mirnas_file(arguments.mirnas, mirna_reference(load_settings().mirbase_path))
    n_targets, nucleotides = _check_targets(arguments.targets)
    options = inference_options(arguments)
    model = _load(arguments.model or _scan_default(), options)
    if _is_gene(model):
        raise CommandError(
            f"{model.name} is a miRNA-gene association model: it scores a miRNA and a gene as a whole, not sites "
            "along a transcript; score pairs with `rnaapp predict --model gene` or rank candidates with "
            "`rnaapp rank`, and scan with a site or plant model (e.g. --model site)"
        )

    # The one rule (rnaapp.inference.scan_workers): --workers, else every core for a large scan.
    workers = scan_workers(nucleotides * len(mirnas), options)
    options = options.replace(workers=workers)
    # Groups small enough that every worker gets several, at most 200 kb (the library's default).
    chunk_nucleotides = int(min(200_000, max(1_000, nucleotides // (4 * workers))))
    total = n_targets * len(mirnas)
    bar = tqdm(
        total=total,
        desc=f"scanning with {model.name}",
        unit="pair",
        file=sys.stderr,
        leave=False,
        disable=total < 2000,
    )
    last = [0]

    def advance(done: int, _: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    settings = {
        "noncanonical": not arguments.no_noncanonical,
        "sites_per_pair": arguments.sites_per_pair,
        "energies": not arguments.no_energies,
        # Forked workers start at once and share the loaded model; this process has run no model yet.
        "start_method": "fork" if sys.platform == "linux" else "spawn",
        "scheduler": arguments.scheduler,
        "chunk_nucleotides": chunk_nucleotides,
        "n_targets": n_targets,
        "progress": advance,
        "prior": arguments.prior,
        # gene_symbol / transcript_id of headers that name them after the id (``>utr_7 TP53``)
        "target_headers": transcript_headers(arguments.targets),
    }
    started = time.perf_counter()
    try:
        if kind != "parquet":
            result = scan(model, mirnas, iter_transcripts(arguments.targets), options, **settings)
            if kind == "csv":
                _write_csv(result.sites, str(sites_path))
            else:
                _write_track(result.sites, sites_path, kind, genomic=not arguments.transcript_coordinates)
            _write_csv(result.pairs, str(pairs_path))
            n_pairs, n_sites = len(result.pairs), len(result.sites)
            ranked: Any = result.pairs
        else:
            n_pairs, n_sites = write_scan(
                scan_batches(model, mirnas, iter_transcripts(arguments.targets), options, **settings),
                pairs_path,
                sites_path,
            )
            ranked = pairs_path
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    written = [pairs_path, sites_path]
    if arguments.intarna:
        from rnaapp.scan import read_scan
        from rnaapp.scan.export import sites_intarna

        sites = result.sites if kind != "parquet" else read_scan(sites_path)
        _write_csv(sites_intarna(sites, dict(mirnas)), arguments.intarna, separator=";")
        written.append(Path(arguments.intarna))
    if arguments.top and n_pairs:
        blocks = []
        for ranking, per in (("overall", None), ("per_mirna", "mirna"), ("per_target", "target")):
            block = top_interactions(ranked, arguments.top, per)
            block.insert(0, "ranking", ranking)
            blocks.append(block)
        _write_csv(pd.concat(blocks, ignore_index=True), str(top_path))
        written.append(top_path)
        shown = blocks[0].drop(columns="ranking")
        # gene columns that no target's header filled are left out of the printout (the files keep them)
        shown = shown.drop(
            columns=[
                column
                for column in TARGET_GENE_COLUMNS
                if column in shown and not shown[column].fillna("").astype(str).str.len().any()
            ]
        )
        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(shown.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    elif top_path.is_file():
        top_path.unlink()  # a top list of an earlier scan to the same OUT would not match this one
        print(f"removed {top_path}: it listed an earlier scan", file=sys.stderr)
    rate = nucleotides * len(mirnas) / max(seconds, 1e-9)
    where = arguments.scheduler or ("1 process" if workers == 1 else f"{workers} processes")
    print(
        f"scanned {len(mirnas)} miRNAs x {n_targets} transcripts with {model.name} ({where}): "
        f"{n_pairs} pairs, {n_sites} sites in {seconds:.1f} s ({_format_rate(rate)}nt/s); "
        f"wrote {', '.join(map(str, written))}",
        file=sys.stderr,
    )
    return 0
