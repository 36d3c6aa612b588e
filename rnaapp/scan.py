"""Scan long transcripts: find candidate seed sites, score a model window around each, rank interactions.

A site model reads a 40-nt target window (the window of the miRAW/DeepmiRNATar training data, where the
seed match sits near the window's 3' end). To score a whole 3'UTR or lncRNA, every candidate site of the
miRNA on the transcript is found, the window around it is cut out, all windows are scored in batches
through :func:`rnaapp.predict.predict` (the one inference path), and the best sites are kept:

- candidate sites: every canonical seed match (8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer; see
  :mod:`rnaapp.sites`) and, unless turned off, every *non-canonical* seed match, where miRNA positions
  2-8 pair with the target except at one of positions 3-7, which is a G:U wobble or a mismatch;
- windows: ``WINDOW_UPSTREAM`` nt 5' of the target nucleotide opposite miRNA position 2 and
  ``WINDOW_DOWNSTREAM`` nt 3' of it (clipped at the transcript ends), i.e. 40 nt with the seed where the
  training windows hold it (median offset of the seed match in ``site_deepmirnatar`` positives);
- transcript-level score of a (miRNA, transcript) pair: the highest window probability over its candidate
  sites (0 when it has none).

Plant miRNA-lncRNA models (``family.task == "plant"``) read whole targets of any length, so for them a
scan cuts no windows: each miRNA is scored against each WHOLE transcript with the same
:func:`rnaapp.predict.predict` (pairs batched in buffers), the pair's probability is the model's score,
and its sites are the best plant-style complementary sites (:func:`plant_sites`, psRNATarget-style
expectation from :mod:`rnaapp.complementarity`), reported in the same columns (``site_type`` ``"plant"``,
``expectation``).

Work is streamed: windows (pairs, for plant models) are scored in buffers of ``buffer_size``, so memory
stays bounded whatever the number and length of the transcripts; results of each buffer come out as soon as
it is scored.

Coordinates in every output are 1-based and inclusive, as biologists read them.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from rnaapp.complementarity import SEED_POSITIONS, PlantSite, position_weights, window_costs
from rnaapp.io import (
    InputError,
    _header_key,
    _open_sequence_file,
    _read_text,
    _sequence_issue,
    atomic_write,
    count_fasta_records,
    iter_fasta,
    normalise_sequence,
    read_fasta,
)
from rnaapp.predict import predict
from rnaapp.registry import ModelCard, TrainedModel, build_model
from rnaapp.settings import resolve_mirnas
from rnaapp.sites import SITE_RANK, find_seed_sites
from rnaapp.structure import hybridize

Progress = Callable[[int, int], None]

#: Window nucleotides 5' of the anchor (target nucleotide opposite miRNA position 2), anchor excluded.
WINDOW_UPSTREAM = 34
#: Window nucleotides 3' of the anchor, anchor included.
WINDOW_DOWNSTREAM = 6
#: Length of a full window.
WINDOW_LENGTH = WINDOW_UPSTREAM + WINDOW_DOWNSTREAM

#: Candidate site types, strongest first; non-canonical seeds come last.
CANDIDATE_TYPES = ("8mer", "7mer-m8", "7mer-A1", "6mer", "offset-6mer", "non-canonical")

#: Site type of every site a plant model's scan reports (a near-complementary site, not a seed match).
PLANT_SITE_TYPE = "plant"
#: psRNATarget's default expectation cutoff: plant sites up to it are counted in ``n_sites``.
PLANT_EXPECTATION_CUTOFF = 5.0
#: psRNATarget's strict expectation cutoff: plant sites up to it are counted in ``n_canonical``.
PLANT_STRICT_EXPECTATION = 3.0
#: Target nucleotides on each side of a plant site in its ``window`` (the region of its duplex energy).
PLANT_SITE_FLANK = 10
#: Most (miRNA, transcript) pairs a plant model scores per :func:`predict` call, and most target
#: nucleotides: bounds the memory of featurising whole lncRNAs.
PLANT_BUFFER_PAIRS = 1024
PLANT_BUFFER_NUCLEOTIDES = 4_000_000

#: Explanations of the columns :func:`scan` returns (shown by the app and the README).
SITE_COLUMNS = {
    "mirna_id": "miRNA name",
    "target_id": "transcript name",
    "site_rank": "rank of the site within its (miRNA, transcript) pair, 1 = highest probability (plant "
    "models: lowest expectation)",
    "probability": "model probability that the 40-nt window around the site is a functional target site "
    "(plant models: the score of the whole transcript, the same for every site of the pair)",
    "site_type": "seed match: 8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer, or non-canonical (one G:U or "
    "mismatch at miRNA positions 3-7); plant for a plant model's complementary site",
    "seed_pairing": "how miRNA positions 2-8 pair with the site (Watson-Crick unless named); plant sites: "
    "how the whole miRNA pairs (Watson-Crick, G:U and mismatched positions)",
    "start": "first transcript nucleotide of the seed match, or of a plant site (1-based)",
    "end": "last transcript nucleotide of the seed match, or of a plant site (1-based, inclusive)",
    "energy": "ViennaRNA duplex free energy of the miRNA with the window, kcal/mol (lower = more stable)",
    "expectation": "plant sites: psRNATarget-style expectation of the ungapped miRNA-site pairing (0 = "
    "perfect complement; each G:U costs 0.5 and each mismatch 1, 1.5 times at miRNA positions 2-13); "
    "empty for seed sites",
    "window_start": "first transcript nucleotide of the scored window (1-based); plant sites: of the site "
    f"and {PLANT_SITE_FLANK} nt on each side",
    "window": "the scored window, 5'->3' (plant sites: the site and its flanks, the region of `energy`; "
    "the model scored the whole transcript)",
}
PAIR_COLUMNS = {
    "mirna_id": "miRNA name",
    "target_id": "transcript name",
    "probability": "transcript-level probability: the highest site probability (0 when no candidate site); "
    "plant models: the model's score of the whole transcript",
    "best_site_type": "seed match type of the highest-scoring site (plant models: plant, the site of lowest "
    "expectation)",
    "best_site_start": "position of that site's seed match on the transcript (1-based; plant models: of the "
    "site)",
    "best_site_energy": "ViennaRNA duplex free energy of that site's window (kcal/mol)",
    "best_site_expectation": "plant models: expectation of the best complementary site (0 = perfect "
    "complement; see `expectation`); empty for site models",
    "n_sites": "candidate sites scored on the transcript (canonical and non-canonical); plant models: "
    f"windows of expectation <= {PLANT_EXPECTATION_CUTOFF:g} (psRNATarget's default cutoff)",
    "n_canonical": "canonical seed sites among them; plant models: windows of expectation <= "
    f"{PLANT_STRICT_EXPECTATION:g} (psRNATarget's strict cutoff)",
    "target_length": "transcript length (nt)",
}

_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _letter in enumerate("ACGU"):
    _CODES[ord(_letter)] = _code
# _PAIRING[miRNA base, target base]: 2 = Watson-Crick, 1 = G:U wobble, 0 = no pair (N never pairs).
_PAIRING = np.zeros((5, 5), dtype=np.int8)
for _mirna_base, _target_base in ("AU", "UA", "GC", "CG"):
    _PAIRING[_CODES[ord(_mirna_base)], _CODES[ord(_target_base)]] = 2
for _mirna_base, _target_base in ("GU", "UG"):
    _PAIRING[_CODES[ord(_mirna_base)], _CODES[ord(_target_base)]] = 1


class ScanCancelled(RuntimeError):
    """Raised by :func:`scan` when its ``should_stop`` callback returns True."""


@dataclass(frozen=True)
class CandidateSite:
    """A candidate site of a miRNA on a transcript (0-based, end-exclusive coordinates).

    Attributes
    ----------
    anchor
        Transcript position opposite miRNA position 2.
    site_type
        One of :data:`CANDIDATE_TYPES`.
    start, end
        Span of the seed match.
    seed_pairing
        ``"Watson-Crick"``, or which miRNA position is a G:U wobble or mismatch.
    """

    anchor: int
    site_type: str
    start: int
    end: int
    seed_pairing: str


def _codes(sequence: str) -> np.ndarray:
    return _CODES[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]


# Distance from a canonical site's (exclusive) end back to its anchor, and what pairs in it.
_ANCHOR_FROM_END = {"8mer": 2, "7mer-m8": 1, "7mer-A1": 2, "6mer": 1, "offset-6mer": 0}
_CANONICAL_PAIRING = {
    "8mer": "positions 2-8 + A1",
    "7mer-m8": "positions 2-8",
    "7mer-A1": "positions 2-7 + A1",
    "6mer": "positions 2-7",
    "offset-6mer": "positions 3-8",
}


def candidate_sites(mirna: str, target: str, *, noncanonical: bool = True) -> list[CandidateSite]:
    """Candidate sites of ``mirna`` on ``target``, sorted by position.

    Parameters
    ----------
    mirna, target
        Normalised RNA, 5'->3'; the miRNA has at least 8 nt.
    noncanonical
        Also return seed matches with one G:U wobble or mismatch at miRNA positions 3-7.

    Returns
    -------
    list of CandidateSite
        One per anchor; canonical types as :func:`rnaapp.sites.find_seed_sites` assigns them.
    """
    sites = [
        CandidateSite(
            anchor=site.end - _ANCHOR_FROM_END[site.site_type],
            site_type=site.site_type,
            start=site.start,
            end=site.end,
            seed_pairing=_CANONICAL_PAIRING[site.site_type],
        )
        for site in find_seed_sites(mirna, target)
    ]
    if noncanonical and len(target) >= 7:
        taken = {site.anchor for site in sites}
        sites.extend(site for site in _noncanonical_sites(mirna, target) if site.anchor not in taken)
        sites.sort(key=lambda site: site.anchor)
    return sites


def _noncanonical_sites(mirna: str, target: str) -> Iterator[CandidateSite]:
    """Anchors where positions 2-8 pair except one G:U or mismatch at positions 3-7."""
    mirna_codes = _codes(mirna[1:8])  # positions 2..8
    target_codes = _codes(target)
    length = len(target_codes)
    anchors = length - 6  # anchors p = 6 .. length-1
    # pairing[k, i]: how miRNA position 2+k pairs with target position (i + 6) - k.
    pairing = np.stack([_PAIRING[mirna_codes[k], target_codes[6 - k : 6 - k + anchors]] for k in range(7)])
    watson_crick = (pairing == 2).sum(axis=0)
    off_position = np.argmin(pairing == 2, axis=0)  # first non-Watson-Crick k (only used where wc == 6)
    hits = np.flatnonzero((watson_crick == 6) & (off_position >= 1) & (off_position <= 5))
    for index in hits:
        anchor = int(index) + 6
        k = int(off_position[index])
        kind = "G:U" if pairing[k, index] == 1 else "mismatch"
        yield CandidateSite(anchor, "non-canonical", anchor - 6, anchor + 1, f"{kind} at position {k + 2}")


def window_bounds(anchor: int, target_length: int) -> tuple[int, int]:
    """0-based, end-exclusive window around an anchor, clipped to the transcript."""
    return max(0, anchor - WINDOW_UPSTREAM), min(target_length, anchor + WINDOW_DOWNSTREAM)


def scores_whole_targets(model: TrainedModel) -> bool:
    """Whether ``model`` scores a miRNA against a whole transcript instead of windows around seed sites.

    True for plant miRNA-lncRNA models (``family.task == "plant"``): they read targets of any length and
    look for near-complete complementarity anywhere, not for seed matches.
    """
    return model.family.task == "plant"


@dataclass(frozen=True)
class PlantSites:
    """The complementary sites of a miRNA on a transcript, as :func:`plant_sites` finds them.

    Attributes
    ----------
    sites
        Non-overlapping sites of lowest expectation, best first (ties: the 5'-most first); the first is
        :func:`rnaapp.complementarity.best_site`. Empty when the transcript is shorter than the miRNA.
    n_sites
        Windows (overlapping ones included) of expectation <= :data:`PLANT_EXPECTATION_CUTOFF`.
    n_strict
        Windows of expectation <= :data:`PLANT_STRICT_EXPECTATION`.
    """

    sites: tuple[PlantSite, ...]
    n_sites: int
    n_strict: int


def plant_sites(mirna: str, target: str, count: int = 3) -> PlantSites:
    """The ``count`` best non-overlapping plant-style complementary sites of ``mirna`` on ``target``.

    Every ungapped antiparallel alignment of the whole miRNA with the target is costed as
    :mod:`rnaapp.complementarity` does (psRNATarget's expectation); the window of lowest expectation is
    taken, then the lowest one not overlapping it, and so on.

    Parameters
    ----------
    mirna, target
        Normalised RNA, 5'->3'.
    count
        Sites wanted (fewer when the target has no room for them).

    Returns
    -------
    PlantSites
        Sites in 0-based, end-exclusive target coordinates, and counts of good windows.
    """
    costs = window_costs(mirna, target)
    if not len(costs) or count < 1:
        return PlantSites(sites=(), n_sites=0, n_strict=0)
    length = costs.shape[1]
    expectations = costs @ position_weights(length)
    n_sites = int((expectations <= PLANT_EXPECTATION_CUTOFF).sum())
    n_strict = int((expectations <= PLANT_STRICT_EXPECTATION).sum())
    # Each chosen site rules out fewer than 2 * length windows, so the lowest count * (2 * length - 1)
    # windows (with every window tied with the last of them) always hold the greedy choice.
    wanted = count * (2 * length - 1)
    if wanted < len(expectations):
        threshold = np.partition(expectations, wanted - 1)[wanted - 1]
        candidates = np.flatnonzero(expectations <= threshold)
    else:
        candidates = np.arange(len(expectations))
    order = candidates[np.lexsort((candidates, expectations[candidates]))]
    chosen: list[int] = []
    for window in order:
        if all(abs(int(window) - other) >= length for other in chosen):
            chosen.append(int(window))
            if len(chosen) == count:
                break
    low, high = SEED_POSITIONS
    sites = tuple(
        PlantSite(
            start=window,
            end=window + length,
            expectation=float(expectations[window]),
            seed_cost=float(costs[window, low - 1 : high].sum()),
            mismatches=int((costs[window] == 1.0).sum()),
            wobbles=int((costs[window] == 0.5).sum()),
            costs=costs[window],
        )
        for window in chosen
    )
    return PlantSites(sites=sites, n_sites=n_sites, n_strict=n_strict)


def plant_pairing(site: PlantSite) -> str:
    """How the whole miRNA pairs with a plant site, in words (the ``seed_pairing`` of plant sites)."""
    paired = len(site.costs) - site.mismatches - site.wobbles
    low, high = SEED_POSITIONS
    return (
        f"{paired} Watson-Crick, {site.wobbles} G:U, {site.mismatches} mismatched; "
        f"positions {low}-{high} cost {site.seed_cost:g}"
    )


def plant_window(site: PlantSite, target_length: int) -> tuple[int, int]:
    """0-based, end-exclusive region of a plant site and :data:`PLANT_SITE_FLANK` nt on each side."""
    return max(0, site.start - PLANT_SITE_FLANK), min(target_length, site.end + PLANT_SITE_FLANK)


@dataclass
class ScanResult:
    """What :func:`scan` returns.

    Attributes
    ----------
    pairs
        One row per (miRNA, transcript) pair, ranked by ``probability`` (see :data:`PAIR_COLUMNS`).
    sites
        The best ``sites_per_pair`` sites of every pair (see :data:`SITE_COLUMNS`).
    """

    pairs: pd.DataFrame
    sites: pd.DataFrame


def _empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def _scan_in_process(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    *,
    noncanonical: bool = True,
    sites_per_pair: int = 3,
    energies: bool = True,
    include_empty: bool = True,
    buffer_size: int = 4096,
    batch_size: int = 512,
    precision: str = "float32",
    n_targets: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers_per_batch: int | None = None,
) -> Iterator[ScanResult]:
    """The scan in this process (see :func:`scan_batches`); ``workers_per_batch`` goes to :func:`predict`."""
    if scores_whole_targets(model):
        yield from _scan_whole_targets(
            model,
            mirnas,
            targets,
            sites_per_pair=sites_per_pair,
            energies=energies,
            include_empty=include_empty,
            buffer_size=buffer_size,
            batch_size=batch_size,
            precision=precision,
            n_targets=n_targets,
            progress=progress,
            should_stop=should_stop,
            workers_per_batch=workers_per_batch,
        )
        return
    if n_targets is None and hasattr(targets, "__len__"):
        n_targets = len(targets)  # type: ignore[arg-type]
    total = len(mirnas) * n_targets if n_targets is not None else 0
    pair_rows: list[dict] = []
    windows: list[str] = []
    window_mirnas: list[str] = []
    window_sites: list[tuple[int, CandidateSite, int]] = []  # (pair row index, site, window start)
    done = 0

    def flush() -> ScanResult:
        probabilities = (
            predict(
                model,
                window_mirnas,
                windows,
                batch_size=batch_size,
                precision=precision,
                workers=workers_per_batch,
            )
            if windows
            else np.zeros(0)
        )
        site_rows: list[dict] = []
        order = np.lexsort((np.arange(len(windows)), -probabilities))
        per_pair: dict[int, list[int]] = {}
        for index in order:
            kept = per_pair.setdefault(window_sites[index][0], [])
            if len(kept) < sites_per_pair:
                kept.append(int(index))
        for row_index, indices in per_pair.items():
            row = pair_rows[row_index]
            for rank, index in enumerate(indices, start=1):
                _, site, window_start = window_sites[index]
                energy = hybridize(window_mirnas[index], windows[index]).energy if energies else np.nan
                site_rows.append(
                    {
                        "mirna_id": row["mirna_id"],
                        "target_id": row["target_id"],
                        "site_rank": rank,
                        "probability": float(probabilities[index]),
                        "site_type": site.site_type,
                        "seed_pairing": site.seed_pairing,
                        "start": site.start + 1,
                        "end": site.end,
                        "energy": energy,
                        "expectation": np.nan,
                        "window_start": window_start + 1,
                        "window": windows[index],
                    }
                )
                if rank == 1:
                    row.update(
                        probability=float(probabilities[index]),
                        best_site_type=site.site_type,
                        best_site_start=site.start + 1,
                        best_site_energy=energy,
                    )
        pairs = (
            pd.DataFrame(pair_rows, columns=list(PAIR_COLUMNS)) if pair_rows else _empty_frame(PAIR_COLUMNS)
        )
        if not include_empty and len(pairs):
            pairs = pairs[pairs["n_sites"] > 0].reset_index(drop=True)
        sites = (
            pd.DataFrame(site_rows, columns=list(SITE_COLUMNS)) if site_rows else _empty_frame(SITE_COLUMNS)
        )
        pair_rows.clear()
        windows.clear()
        window_mirnas.clear()
        window_sites.clear()
        return ScanResult(pairs=pairs, sites=sites)

    for target_id, target in targets:
        for mirna_id, mirna in mirnas:
            if should_stop is not None and should_stop():
                raise ScanCancelled("scan cancelled")
            candidates = candidate_sites(mirna, target, noncanonical=noncanonical)
            pair_rows.append(
                _unscored_pair(
                    mirna_id,
                    target_id,
                    len(target),
                    len(candidates),
                    sum(site.site_type != "non-canonical" for site in candidates),
                )
            )
            for site in candidates:
                start, end = window_bounds(site.anchor, len(target))
                windows.append(target[start:end])
                window_mirnas.append(mirna)
                window_sites.append((len(pair_rows) - 1, site, start))
            done += 1
            if len(windows) >= buffer_size:
                yield flush()
                if progress is not None:
                    progress(done, total)
    if pair_rows:
        yield flush()
    if progress is not None:
        progress(done, total)


def _scan_whole_targets(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    *,
    sites_per_pair: int,
    energies: bool,
    include_empty: bool,
    buffer_size: int,
    batch_size: int,
    precision: str,
    n_targets: int | None,
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
    workers_per_batch: int | None,
) -> Iterator[ScanResult]:
    """:func:`_scan_in_process` for models that read whole transcripts (:func:`scores_whole_targets`).

    Every (miRNA, transcript) pair is scored as it is, in buffers of at most ``buffer_size`` pairs (and
    :data:`PLANT_BUFFER_PAIRS` pairs or :data:`PLANT_BUFFER_NUCLEOTIDES` target nucleotides); its sites are
    the best complementary ones (:func:`plant_sites`).
    """
    if n_targets is None and hasattr(targets, "__len__"):
        n_targets = len(targets)  # type: ignore[arg-type]
    total = len(mirnas) * n_targets if n_targets is not None else 0
    most_pairs = max(1, min(buffer_size, PLANT_BUFFER_PAIRS))
    pair_rows: list[dict] = []
    pair_mirnas: list[str] = []
    pair_targets: list[str] = []
    pair_sites: list[PlantSites] = []
    nucleotides = 0
    done = 0

    def flush() -> ScanResult:
        first = done - len(pair_rows)

        def scored(pairs_done: int, _: int) -> None:
            # Long lncRNAs make each buffer slow (folding, featurising): report and poll within it too.
            if should_stop is not None and should_stop():
                raise ScanCancelled("scan cancelled")
            if progress is not None:
                progress(first + pairs_done, total)

        probabilities = predict(
            model,
            pair_mirnas,
            pair_targets,
            batch_size=batch_size,
            precision=precision,
            workers=workers_per_batch,
            progress=scored if progress is not None or should_stop is not None else None,
        )
        site_rows: list[dict] = []
        kept_rows: list[dict] = []
        for row, mirna, target, found, probability in zip(
            pair_rows, pair_mirnas, pair_targets, pair_sites, probabilities, strict=True
        ):
            row["probability"] = float(probability)
            if not include_empty and row["n_sites"] == 0:
                continue
            kept_rows.append(row)
            for rank, site in enumerate(found.sites, start=1):
                window_start, window_end = plant_window(site, len(target))
                window = target[window_start:window_end]
                energy = hybridize(mirna, window).energy if energies else np.nan
                site_rows.append(
                    {
                        "mirna_id": row["mirna_id"],
                        "target_id": row["target_id"],
                        "site_rank": rank,
                        "probability": float(probability),
                        "site_type": PLANT_SITE_TYPE,
                        "seed_pairing": plant_pairing(site),
                        "start": site.start + 1,
                        "end": site.end,
                        "energy": energy,
                        "expectation": site.expectation,
                        "window_start": window_start + 1,
                        "window": window,
                    }
                )
                if rank == 1:
                    row.update(
                        best_site_type=PLANT_SITE_TYPE,
                        best_site_start=site.start + 1,
                        best_site_energy=energy,
                        best_site_expectation=site.expectation,
                    )
        pairs = (
            pd.DataFrame(kept_rows, columns=list(PAIR_COLUMNS)) if kept_rows else _empty_frame(PAIR_COLUMNS)
        )
        sites = (
            pd.DataFrame(site_rows, columns=list(SITE_COLUMNS)) if site_rows else _empty_frame(SITE_COLUMNS)
        )
        for pending in (pair_rows, pair_mirnas, pair_targets, pair_sites):
            pending.clear()
        return ScanResult(pairs=pairs, sites=sites)

    for target_id, target in targets:
        for mirna_id, mirna in mirnas:
            if should_stop is not None and should_stop():
                raise ScanCancelled("scan cancelled")
            found = plant_sites(mirna, target, sites_per_pair)
            pair_rows.append(_unscored_pair(mirna_id, target_id, len(target), found.n_sites, found.n_strict))
            pair_mirnas.append(mirna)
            pair_targets.append(target)
            pair_sites.append(found)
            nucleotides += len(target)
            done += 1
            if len(pair_rows) >= most_pairs or nucleotides >= PLANT_BUFFER_NUCLEOTIDES:
                yield flush()
                nucleotides = 0
                if progress is not None:
                    progress(done, total)
    if pair_rows:
        yield flush()
    if progress is not None:
        progress(done, total)


def _concat_results(results: Sequence[ScanResult]) -> ScanResult:
    if not results:
        return ScanResult(pairs=_empty_frame(PAIR_COLUMNS), sites=_empty_frame(SITE_COLUMNS))
    pairs = [result.pairs for result in results if len(result.pairs)]
    sites = [result.sites for result in results if len(result.sites)]
    return ScanResult(
        pairs=pd.concat(pairs, ignore_index=True) if pairs else _empty_frame(PAIR_COLUMNS),
        sites=pd.concat(sites, ignore_index=True) if sites else _empty_frame(SITE_COLUMNS),
    )


def _target_chunks(
    targets: Iterable[tuple[str, str]], chunk_nucleotides: int
) -> Iterator[list[tuple[str, str]]]:
    """Consecutive transcripts grouped until a group holds ``chunk_nucleotides`` nucleotides."""
    chunk: list[tuple[str, str]] = []
    size = 0
    for record in targets:
        chunk.append(record)
        size += len(record[1])
        if size >= chunk_nucleotides:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


# Models built inside worker processes (process pool or Dask workers), by payload key.
_WORKER_MODELS: dict[str, TrainedModel] = {}


def _model_payload(model: TrainedModel) -> dict:
    """What a worker needs to rebuild ``model``: its card and CPU weights (no file access needed)."""
    state = {key: value.detach().to("cpu") for key, value in model.module.state_dict().items()}
    return {"key": uuid.uuid4().hex, "card": json.loads(model.card.to_json()), "state": state}


def _worker_model(payload: dict) -> TrainedModel:
    model = _WORKER_MODELS.get(payload["key"])
    if model is None:
        torch.set_num_threads(1)  # one process per core; torch threads would compete
        _WORKER_MODELS.clear()
        model = build_model(ModelCard.from_dict(payload["card"]), payload["state"])
        _WORKER_MODELS[payload["key"]] = model
    return model


def _install_worker_model(payload: dict) -> None:
    _WORKER_MODELS["pool"] = _worker_model(payload)


def _scan_chunk(
    payload: dict | None, mirnas: Sequence[tuple[str, str]], targets: list[tuple[str, str]], options: dict
) -> ScanResult:
    """Scan one group of transcripts in a worker (payload None: the process pool's installed model)."""
    model = _WORKER_MODELS["pool"] if payload is None else _worker_model(payload)
    return _concat_results(list(_scan_in_process(model, mirnas, targets, workers_per_batch=1, **options)))


def _ordered_results(
    submit: Callable[[list[tuple[str, str]]], Any],
    chunks: Iterable[list[tuple[str, str]]],
    in_flight: int,
    should_stop: Callable[[], bool] | None,
) -> Iterator[tuple[int, ScanResult]]:
    """Submit chunks with at most ``in_flight`` pending; yield (chunk size, result) in input order."""
    pending: deque[tuple[int, Any]] = deque()
    try:
        for chunk in chunks:
            if should_stop is not None and should_stop():
                raise ScanCancelled("scan cancelled")
            pending.append((len(chunk), submit(chunk)))
            if len(pending) >= in_flight:
                size, future = pending.popleft()
                yield size, future.result()
        while pending:
            if should_stop is not None and should_stop():
                raise ScanCancelled("scan cancelled")
            size, future = pending.popleft()
            yield size, future.result()
    finally:
        for _, future in pending:
            future.cancel()


def _unscored_pair(
    mirna_id: str, target_id: str, target_length: int, n_sites: int, n_canonical: int
) -> dict[str, Any]:
    """A pair-table row before scoring: probability 0 and no best site until its sites are scored."""
    return {
        "mirna_id": mirna_id,
        "target_id": target_id,
        "probability": 0.0,
        "best_site_type": "none",
        "best_site_start": pd.NA,
        "best_site_energy": np.nan,
        "best_site_expectation": np.nan,
        "n_sites": n_sites,
        "n_canonical": n_canonical,
        "target_length": target_length,
    }


def default_scan_workers() -> int:
    """Processes a command-line scan uses by default: every core."""
    return max(1, os.cpu_count() or 1)


def scan_batches(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    *,
    noncanonical: bool = True,
    sites_per_pair: int = 3,
    energies: bool = True,
    include_empty: bool = True,
    buffer_size: int = 4096,
    batch_size: int = 512,
    precision: str = "float32",
    workers: int = 1,
    scheduler: str | Any | None = None,
    start_method: str = "spawn",
    chunk_nucleotides: int = 200_000,
    n_targets: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[ScanResult]:
    """Scan miRNAs against transcripts, yielding results as they are ready (memory stays bounded).

    Parameters
    ----------
    model
        Any loaded model; its :func:`rnaapp.predict.predict` scores the windows. A plant model
        (:func:`scores_whole_targets`) scores each whole transcript instead, and its sites are the best
        complementary ones (:func:`plant_sites`).
    mirnas
        ``(id, sequence)`` of each miRNA (normalised RNA, 5'->3').
    targets
        ``(id, sequence)`` of each transcript; may be a generator (read lazily).
    noncanonical
        Also score seed matches with one G:U wobble or mismatch (see :func:`candidate_sites`); plant
        models look for no seed matches, so it does not apply to them.
    sites_per_pair
        Sites reported per (miRNA, transcript) pair, best first.
    energies
        Compute the ViennaRNA duplex energy of each reported site's window.
    include_empty
        Also report pairs without any candidate site (probability 0); plant models: pairs without a
        window of expectation <= :data:`PLANT_EXPECTATION_CUTOFF` (``n_sites`` 0).
    buffer_size
        Windows scored per :func:`predict` call (plant models: pairs, at most :data:`PLANT_BUFFER_PAIRS`).
    batch_size, precision
        Passed to :func:`predict`.
    workers
        1: scan in this process (batches scored by parallel threads). More: a local pool of that many
        processes, each scanning groups of transcripts with one torch thread.
    scheduler
        A Dask scheduler address (``"tcp://host:8786"``) or a ``dask.distributed.Client``: groups of
        transcripts are scanned on the cluster's workers instead (``workers`` is then ignored).
    start_method
        How the local pool starts its processes: ``"spawn"`` (default; safe anywhere, a few seconds to
        import torch in each) or ``"fork"`` (Linux; starts at once, sharing the loaded model; only safe
        before torch ran anything with several threads in this process, as in the command line).
    chunk_nucleotides
        Transcript nucleotides per group sent to a worker.
    n_targets
        Number of transcripts, when ``targets`` has no length (for progress only).
    progress
        Called as ``progress(pairs_done, pairs_total)`` (total 0 when unknown).
    should_stop
        Polled between pairs (between groups when parallel); when it returns True,
        :class:`ScanCancelled` is raised.

    Yields
    ------
    ScanResult
        Pairs and sites in input order (transcripts, then miRNAs), unranked. Results do not depend on
        ``workers``, ``scheduler``, ``buffer_size`` or ``chunk_nucleotides``.
    """
    if n_targets is None and hasattr(targets, "__len__"):
        n_targets = len(targets)  # type: ignore[arg-type]
    options = {
        "noncanonical": noncanonical,
        "sites_per_pair": sites_per_pair,
        "energies": energies,
        "include_empty": include_empty,
        "buffer_size": buffer_size,
        "batch_size": batch_size,
        "precision": precision,
    }
    if scheduler is None and workers <= 1:
        yield from _scan_in_process(
            model, mirnas, targets, n_targets=n_targets, progress=progress, should_stop=should_stop, **options
        )
        return
    total = len(mirnas) * n_targets if n_targets is not None else 0
    payload = _model_payload(model)
    chunks = _target_chunks(targets, chunk_nucleotides)
    done = 0
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            from dask.distributed import Client

            client = scheduler if isinstance(scheduler, Client) else stack.enter_context(Client(scheduler))
            payload_future = client.scatter(payload, broadcast=True)
            in_flight = 2 * max(1, sum(client.nthreads().values()))

            def submit(chunk: list[tuple[str, str]]) -> Any:
                return client.submit(_scan_chunk, payload_future, mirnas, chunk, options, pure=False)

        else:
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context(start_method),
                    initializer=_install_worker_model,
                    initargs=(payload,),
                )
            )
            in_flight = 2 * workers

            def submit(chunk: list[tuple[str, str]]) -> Any:
                return pool.submit(_scan_chunk, None, mirnas, chunk, options)

        for size, result in _ordered_results(submit, chunks, in_flight, should_stop):
            done += size * len(mirnas)
            yield result
            if progress is not None:
                progress(done, total)
    if progress is not None and done == 0:
        progress(0, total)


def rank_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs sorted by probability (ties: stronger best site, then names), with a 1-based ``rank``."""
    if pairs.empty:
        return pairs.assign(rank=pd.Series(dtype=int))
    site_strength = pairs["best_site_type"].map(
        lambda site: SITE_RANK.get(site, 0.5 if site != "none" else 0)
    )
    ranked = (
        pairs.assign(_strength=site_strength)
        .sort_values(
            ["probability", "_strength", "mirna_id", "target_id"],
            ascending=[False, False, True, True],
            kind="stable",
        )
        .drop(columns="_strength")
        .reset_index(drop=True)
    )
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def scan(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    **options,
) -> ScanResult:
    """Scan miRNAs against transcripts and rank the interactions (whole result in memory).

    Takes the arguments of :func:`scan_batches`; use that for inputs whose result does not fit in memory.

    Returns
    -------
    ScanResult
        ``pairs`` ranked (column ``rank``), ``sites`` ordered like the pairs, best site first.
    """
    results = list(scan_batches(model, mirnas, targets, **options))
    pairs = pd.concat([result.pairs for result in results], ignore_index=True) if results else None
    sites = pd.concat([result.sites for result in results], ignore_index=True) if results else None
    if pairs is None or pairs.empty:
        return ScanResult(pairs=rank_pairs(_empty_frame(PAIR_COLUMNS)), sites=_empty_frame(SITE_COLUMNS))
    pairs = rank_pairs(pairs)
    if not sites.empty:
        order = pairs[["mirna_id", "target_id", "rank"]]
        sites = (
            sites.merge(order, on=["mirna_id", "target_id"], how="left")
            .sort_values(["rank", "site_rank"], kind="stable")
            .drop(columns="rank")
            .reset_index(drop=True)
        )
    return ScanResult(pairs=pairs, sites=sites)


def transcript_probabilities(
    model: TrainedModel,
    mirnas: Sequence[str],
    targets: Sequence[str],
    *,
    noncanonical: bool = True,
    batch_size: int = 512,
    precision: str = "float32",
    progress: Progress | None = None,
    source: str = "<input>",
) -> pd.DataFrame:
    """Probabilities for pairs whose targets may be longer than the model's window.

    Targets the model reads whole are scored directly (plant models read every target whole); longer
    ones are scanned (:func:`scan_batches`) and get the transcript-level probability with their best
    site's position and type.

    Returns
    -------
    pandas.DataFrame
        One row per pair, in input order: ``probability``, ``scanned`` (bool), ``best_site_start``
        (1-based, scanned rows only), ``best_site_type``, ``n_sites``.
    """
    limit = model.family.max_target_length(model.config)
    lengths = np.fromiter((len(target) for target in targets), dtype=np.int64, count=len(targets))
    long_rows = np.flatnonzero(lengths > limit) if limit is not None else np.zeros(0, dtype=np.int64)
    short_rows = np.setdiff1d(np.arange(len(targets)), long_rows)
    result = pd.DataFrame(
        {
            "probability": np.zeros(len(targets)),
            "scanned": np.zeros(len(targets), dtype=bool),
            "best_site_start": pd.array([pd.NA] * len(targets), dtype="Int64"),
            "best_site_type": [""] * len(targets),
            "n_sites": pd.array([pd.NA] * len(targets), dtype="Int64"),
        }
    )
    total = len(targets)

    def report_short(done: int, _: int) -> None:
        if progress is not None:
            progress(done, total)

    if len(short_rows):
        result.loc[short_rows, "probability"] = predict(
            model,
            [mirnas[row] for row in short_rows],
            [targets[row] for row in short_rows],
            batch_size=batch_size,
            precision=precision,
            progress=report_short,
            source=source,
        )
    for row in long_rows:
        (found,) = scan_batches(
            model,
            [("miRNA", mirnas[row])],
            [("target", targets[row])],
            noncanonical=noncanonical,
            sites_per_pair=1,
            energies=False,
            batch_size=batch_size,
            precision=precision,
            buffer_size=1 << 30,
        )
        best = found.pairs.iloc[0]
        result.loc[row, ["probability", "scanned", "best_site_type", "n_sites"]] = [
            best["probability"],
            True,
            best["best_site_type"],
            best["n_sites"],
        ]
        result.loc[row, "best_site_start"] = best["best_site_start"]
        if progress is not None:
            progress(len(short_rows) + int(np.searchsorted(long_rows, row)) + 1, total)
    return result


def _check_unique(ids: Sequence[str], what: str, source: str) -> None:
    seen: dict[str, int] = {}
    for number, identifier in enumerate(ids, start=1):
        if identifier in seen:
            raise InputError(
                f"duplicate {what} id '{identifier}' (also record {seen[identifier]}); give every record a "
                "unique name",
                source=source,
                row=number,
            )
        seen[identifier] = number


def read_mirna_list(
    content: str | bytes, reference: Mapping[str, str], *, source: str = "<miRNAs>"
) -> list[tuple[str, str]]:
    """miRNAs given as FASTA, or as one name or sequence per line (names resolved through ``reference``).

    Raises
    ------
    InputError
        For empty input, unknown names, bad sequences or duplicate ids (naming the record or line).
    """
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    if not text.strip():
        raise InputError("no miRNAs given", source=source)
    if text.lstrip().startswith(">"):
        records = read_fasta(text.encode("utf-8"), name=source, molecule="miRNA")
        mirnas = list(zip(records["id"], records["seq"], strict=True))
    else:
        entries = [line.strip() for line in text.splitlines() if line.strip()]
        mirnas = resolve_mirnas(entries, reference, source=source)
    _check_unique([identifier for identifier, _ in mirnas], "miRNA", source)
    return mirnas


def read_transcripts(content: str | bytes, *, source: str = "<targets>") -> list[tuple[str, str]]:
    """Transcripts (3'UTRs, lncRNAs, genes) from FASTA text or bytes (gzip accepted).

    Raises
    ------
    InputError
        For an empty or non-FASTA input, an empty or non-nucleotide record, or duplicate ids.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not data.strip():
        raise InputError("the file is empty (0 bytes of sequence)", source=source)
    records = read_fasta(data, name=source, molecule="target")
    _check_unique(records["id"].tolist(), "transcript", source)
    return list(zip(records["id"], records["seq"], strict=True))


def filter_pairs(
    pairs: pd.DataFrame,
    *,
    min_probability: float = 0.0,
    site_types: Sequence[str] | None = None,
    mirnas: Sequence[str] | None = None,
    target_query: str = "",
    max_expectation: float | None = None,
    sort_by: str = "rank",
    ascending: bool = True,
) -> pd.DataFrame:
    """Rows of a ranked pair table that pass the filters, sorted.

    Parameters
    ----------
    pairs
        :attr:`ScanResult.pairs`.
    min_probability
        Keep pairs scoring at least this.
    site_types
        Keep pairs whose best site is of one of these types (None or empty: all).
    mirnas
        Keep these miRNA ids (None or empty: all).
    target_query
        Keep targets whose id contains this text (case-insensitive).
    max_expectation
        Keep pairs whose best plant site has at most this expectation (None: all; pairs without an
        expectation, as from site models, never pass a limit).
    sort_by, ascending
        Column to sort by.
    """
    keep = pairs["probability"] >= min_probability
    if site_types:
        keep &= pairs["best_site_type"].isin(list(site_types))
    if mirnas:
        keep &= pairs["mirna_id"].isin(list(mirnas))
    if target_query.strip():
        keep &= pairs["target_id"].str.contains(target_query.strip(), case=False, regex=False)
    if max_expectation is not None:
        if "best_site_expectation" not in pairs.columns:
            raise ValueError("these pairs have no expectation (only plant models' scans give one)")
        keep &= pairs["best_site_expectation"] <= max_expectation
    if sort_by not in pairs.columns:
        raise ValueError(f"cannot sort by '{sort_by}': no such column")
    return pairs[keep].sort_values(sort_by, ascending=ascending, kind="stable")


# ---------------------------------------------------------------------------------------------------------
# Reading miRNA and transcript files (streamed, validated)
# ---------------------------------------------------------------------------------------------------------

# Header names (compared as rnaapp.io compares them: lowercase letters and digits) of the id and the
# sequence column of a transcript table, first match wins.
_TRANSCRIPT_ID_HEADERS = (
    "target_id",
    "transcript_id",
    "target_name",
    "transcript_name",
    "id",
    "name",
    "gene_id",
    "gene_name",
    "gene_symbol",
    "mrna_id",
    "lncrna_id",
    "target",
    "transcript",
    "gene",
)
_TRANSCRIPT_SEQUENCE_HEADERS = (
    "target_seq",
    "target_sequence",
    "transcript_seq",
    "transcript_sequence",
    "seq",
    "sequence",
    "utr",
    "3utr",
    "utr_seq",
    "utr_sequence",
    "mrna_seq",
    "mrna_sequence",
    "lncrna_seq",
    "lncrna_sequence",
    "gene_seq",
    "gene_sequence",
)
_MIRNA_NAME_HEADERS = ("mirna_id", "mirna_name", "mature_id", "mature_name", "mirna", "name", "id")
_MIRNA_SEQUENCE_HEADERS = ("mirna_seq", "mirna_sequence", "mature_seq", "mature_sequence", "seq", "sequence")
_TABLE_ROWS_PER_CHUNK = 65_536


def _first_text(path: str | os.PathLike, source: str) -> tuple[str, bool]:
    """The first 64 KiB of a (possibly gzip) text file as text, and whether the file is compressed."""
    stream, compressed = _open_sequence_file(path, source)
    with stream:
        try:
            head = stream.read(65_536)
        except (OSError, EOFError) as err:
            raise InputError(f"cannot read the file ({err})", source=source) from None
    return head.decode("utf-8", errors="replace").lstrip("\ufeff"), compressed


def _table_separator(line: str) -> str:
    if "\t" in line:
        return "\t"
    if ";" in line and "," not in line:
        return ";"
    return ","


def _pick_column(columns: Sequence[str], aliases: Sequence[str]) -> str | None:
    keys = {_header_key(column): column for column in reversed(list(columns))}
    for alias in aliases:
        column = keys.get(_header_key(alias))
        if column is not None:
            return column
    return None


def _iter_transcript_table(path: str | os.PathLike, source: str, first_line: str, compressed: bool):
    separator = _table_separator(first_line)
    options: dict[str, Any] = {
        "sep": separator,
        "dtype": str,
        "keep_default_na": False,
        "compression": "gzip" if compressed else None,
        "encoding": "utf-8-sig",
        "encoding_errors": "replace",
    }
    try:
        columns = list(pd.read_csv(path, nrows=0, **options).columns)
    except (ValueError, OSError, EOFError) as err:
        raise InputError(f"cannot read the table ({err})", source=source) from None
    id_column = _pick_column(columns, _TRANSCRIPT_ID_HEADERS)
    sequence_column = _pick_column(columns, _TRANSCRIPT_SEQUENCE_HEADERS)
    if sequence_column is None:
        raise InputError(
            "expected FASTA (lines starting with '>') or a table with a header naming an id and a sequence "
            f"column (e.g. target_id,target_seq or id,seq); found columns: {', '.join(map(str, columns))}",
            source=source,
        )
    used = [column for column in (id_column, sequence_column) if column is not None]
    seen: dict[str, int] = {}
    row = 0
    try:
        reader = pd.read_csv(path, usecols=used, chunksize=_TABLE_ROWS_PER_CHUNK, **options)
        for chunk in reader:
            identifiers = (
                chunk[id_column].str.strip().tolist() if id_column is not None else [""] * len(chunk)
            )
            for identifier, raw_sequence in zip(identifiers, chunk[sequence_column].tolist(), strict=True):
                row += 1
                identifier = identifier or f"target_{row}"
                sequence = normalise_sequence(raw_sequence)
                issue = _sequence_issue(sequence, "target", None, None)
                if issue is not None:
                    raise InputError(f"{issue[1]} (transcript '{identifier}')", source=source, row=row)
                if identifier in seen:
                    raise InputError(
                        f"duplicate transcript id '{identifier}' (also row {seen[identifier]}); give every "
                        "transcript a unique name",
                        source=source,
                        row=row,
                    )
                seen[identifier] = row
                yield identifier, sequence
    except (pd.errors.ParserError, UnicodeError, OSError, EOFError) as err:
        raise InputError(f"cannot read the table after row {row} ({err})", source=source) from None
    if row == 0:
        raise InputError("the table has a header but no transcripts", source=source)


def iter_transcripts(path: str | os.PathLike, *, name: str | None = None) -> Iterator[tuple[str, str]]:
    """Stream the transcripts of a FASTA file or table, validated, one at a time (any file size).

    Parameters
    ----------
    path
        FASTA (optionally gzip-compressed), or a CSV/TSV table (optionally gzip-compressed) with a header
        naming a sequence column (``target_seq``, ``seq``, ``sequence``, ``3'UTR``, ...) and, optionally,
        an id column (``target_id``, ``transcript_id``, ``id``, ``name``, ``gene``, ...).
    name
        File name to use in error messages (default: the path's name).

    Yields
    ------
    tuple of (str, str)
        ``(id, sequence)`` in file order; sequences as uppercase RNA, 5'->3' (see :func:`rnaapp.io.iter_fasta`).
        Table rows without an id are named ``target_<row>``.

    Raises
    ------
    InputError
        When the problem is reached (records before it have been yielded, so read the file through once,
        e.g. to count it, before starting long work): an empty file, neither FASTA nor a table with a
        sequence column, an empty or non-nucleotide record, or a duplicate id (``row`` is the 1-based
        record or data-row number).
    """
    source = name or Path(path).name or str(path)
    head, compressed = _first_text(path, source)
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    if not first_line or first_line.lstrip().startswith(">"):
        seen: dict[str, int] = {}
        for number, (identifier, sequence) in enumerate(iter_fasta(path, name=source), start=1):
            if identifier in seen:
                raise InputError(
                    f"duplicate transcript id '{identifier}' (also record {seen[identifier]}); give every "
                    "record a unique name",
                    source=source,
                    row=number,
                )
            seen[identifier] = number
            yield identifier, sequence
    else:
        yield from _iter_transcript_table(path, source, first_line, compressed)


def count_transcripts(path: str | os.PathLike) -> int:
    """Number of records of a transcript FASTA file, or of data lines of a table; fast, not validated."""
    source = Path(path).name or str(path)
    head, _ = _first_text(path, source)
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    if not first_line or first_line.lstrip().startswith(">"):
        return count_fasta_records(path)
    stream, _ = _open_sequence_file(path, source)
    lines = 0
    last = b"\n"
    with stream:
        while block := stream.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(0, lines + (last != b"\n") - 1)


def read_mirnas_file(
    path: str | os.PathLike, reference: Mapping[str, str], *, name: str | None = None
) -> list[tuple[str, str]]:
    """miRNAs from a file: FASTA, one name or sequence per line, or a table with a name or sequence column.

    Parameters
    ----------
    path
        The file (gzip accepted). A table has a header naming a name column (``mirna_id``, ``miRNA``,
        ``name``, ``id``, ...) and/or a sequence column (``mirna_seq``, ``mature_sequence``, ``seq``,
        ``sequence``, ...), separated by commas, tabs or semicolons.
    reference
        Name -> sequence for resolving names, e.g. ``rnaapp.settings.mirna_reference()`` (the configured
        miRBase ``mature.fa`` plus built-in examples).
    name
        File name to use in error messages.

    Returns
    -------
    list of (str, str)
        ``(id, sequence)`` per miRNA in file order, sequences as uppercase RNA, 5'->3'. A table row with
        both a name and a sequence keeps its own sequence; a sequence without a name is named by itself.

    Raises
    ------
    InputError
        For an empty file, unknown names (with close names from ``reference``), bad sequences, a table
        without a usable column, or duplicate ids; naming the record, line or data row.
    """
    source = name or Path(path).name or str(path)
    text = _read_text(path, source)
    if text.lstrip().startswith(">"):
        return read_mirna_list(text, reference, source=source)
    first_line = next(line for line in text.split("\n") if line.strip())
    separator = _table_separator(first_line)
    headers = [header.strip() for header in first_line.split(separator)]
    name_column = _pick_column(headers, _MIRNA_NAME_HEADERS)
    sequence_column = _pick_column(headers, _MIRNA_SEQUENCE_HEADERS)
    if name_column is None and sequence_column is None:
        if any(delimiter in first_line for delimiter in ("\t", ",", ";")):
            raise InputError(
                "expected FASTA, one miRNA name or sequence per line, or a table with a header naming a "
                f"name column (mirna_id, name) or a sequence column (mirna_seq, sequence); found columns: "
                f"{', '.join(headers)}",
                source=source,
            )
        return read_mirna_list(text, reference, source=source)
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except ValueError as err:
        raise InputError(f"cannot read the table ({err})", source=source) from None
    names = table[name_column].str.strip() if name_column is not None else pd.Series([""] * len(table))
    sequences = (
        table[sequence_column].str.strip() if sequence_column is not None else pd.Series([""] * len(table))
    )
    entries = [sequence or given_name for given_name, sequence in zip(names, sequences, strict=True)]
    resolved = iter(resolve_mirnas(entries, reference, source=source))
    mirnas = []
    for given_name, entry in zip(names, entries, strict=True):
        if entry:
            resolved_name, sequence = next(resolved)
            mirnas.append((given_name or resolved_name, sequence))
    if not mirnas:
        raise InputError("no miRNAs given", source=source)
    _check_unique([identifier for identifier, _ in mirnas], "miRNA", source)
    return mirnas


# ---------------------------------------------------------------------------------------------------------
# Parquet output: written incrementally, ranked and browsed without loading everything
# ---------------------------------------------------------------------------------------------------------


def _schema(columns: Mapping[str, str], types: Mapping[str, pa.DataType], nullable: set[str]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(column, types[column], nullable=column in nullable, metadata={"description": text})
            for column, text in columns.items()
        ]
    )


#: Arrow schema of the pair file :func:`write_scan` writes (columns of :data:`PAIR_COLUMNS`).
PAIR_SCHEMA = _schema(
    PAIR_COLUMNS,
    {
        "mirna_id": pa.string(),
        "target_id": pa.string(),
        "probability": pa.float64(),
        "best_site_type": pa.string(),
        "best_site_start": pa.int64(),
        "best_site_energy": pa.float64(),
        "best_site_expectation": pa.float64(),
        "n_sites": pa.int64(),
        "n_canonical": pa.int64(),
        "target_length": pa.int64(),
    },
    nullable={"best_site_start", "best_site_energy", "best_site_expectation"},
)
#: Arrow schema of the site file :func:`write_scan` writes (columns of :data:`SITE_COLUMNS`).
SITE_SCHEMA = _schema(
    SITE_COLUMNS,
    {
        "mirna_id": pa.string(),
        "target_id": pa.string(),
        "site_rank": pa.int64(),
        "probability": pa.float64(),
        "site_type": pa.string(),
        "seed_pairing": pa.string(),
        "start": pa.int64(),
        "end": pa.int64(),
        "energy": pa.float64(),
        "expectation": pa.float64(),
        "window_start": pa.int64(),
        "window": pa.string(),
    },
    nullable={"energy", "expectation"},
)


class _RowGroupWriter:
    """Collect frames and write them to a Parquet file in row groups of ``rows`` rows."""

    def __init__(self, path: str, schema: pa.Schema, rows: int) -> None:
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.schema = schema
        self.rows = rows
        self.tables: list[pa.Table] = []
        self.pending = 0
        self.written = 0

    def add(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        missing = [name for name in self.schema.names if name not in frame.columns]
        if missing:  # a table made without the optional columns (e.g. by an earlier rnaapp): empty ones
            required = [name for name in missing if not self.schema.field(name).nullable]
            if required:
                raise ValueError(f"scan results lack the column(s) {', '.join(required)}")
            frame = frame.assign(**{name: np.nan for name in missing})
        table = pa.Table.from_pandas(frame[self.schema.names], schema=self.schema, preserve_index=False)
        self.tables.append(table.replace_schema_metadata(None))
        self.pending += len(table)
        if self.pending >= self.rows:
            self.flush(final=False)

    def flush(self, final: bool = True) -> None:
        if self.tables:
            table = pa.concat_tables(self.tables)
            full = len(table) if final else len(table) // self.rows * self.rows
            if full:
                self.writer.write_table(table.slice(0, full), row_group_size=self.rows)
                self.written += full
            rest = table.slice(full)
            self.tables = [rest] if len(rest) else []
            self.pending = len(rest)

    def close(self) -> None:
        self.writer.close()


def _sites_in_pair_order(result: ScanResult) -> pd.DataFrame:
    """The sites of a chunk grouped by pair, in the order of its pairs, best site first.

    :func:`scan_batches` gives each buffer's sites in probability order, so without this the site file
    would depend on how the work was split (buffers, workers).
    """
    sites = result.sites
    if len(sites) < 2:
        return sites
    pair_index = pd.MultiIndex.from_frame(result.pairs[["mirna_id", "target_id"]])
    if not pair_index.is_unique:
        return sites
    position = pair_index.get_indexer(pd.MultiIndex.from_frame(sites[["mirna_id", "target_id"]]))
    return sites.iloc[np.lexsort((sites["site_rank"].to_numpy(), position))]


def write_scan(
    results: Iterable[ScanResult],
    pairs_path: str | os.PathLike,
    sites_path: str | os.PathLike | None = None,
    *,
    row_group_rows: int = 131_072,
) -> tuple[int, int]:
    """Write scan results to Parquet as they come (e.g. from :func:`scan_batches`), in bounded memory.

    Both files are written to temporary files next to them and renamed into place only once ``results``
    is exhausted: a scan that fails or is cancelled leaves no partial file and keeps any previous one.

    Parameters
    ----------
    results
        Chunks of pairs and sites; consumed once. Pairs are stored in the order they come (unranked;
        see :func:`top_interactions` and :func:`read_scan`), sites grouped by pair in the same order,
        best site first; so the files do not depend on how a scan was split over workers.
    pairs_path
        Parquet file for the pairs (schema :data:`PAIR_SCHEMA`).
    sites_path
        Parquet file for the sites (schema :data:`SITE_SCHEMA`); None: sites are not kept.
    row_group_rows
        Rows per Parquet row group (the unit readers skip when filtering).

    Returns
    -------
    tuple of (int, int)
        Numbers of pair and site rows written.
    """
    counts = [0, 0]

    def write(pairs_temporary: str, sites_temporary: str | None) -> None:
        writers = [_RowGroupWriter(pairs_temporary, PAIR_SCHEMA, row_group_rows)]
        if sites_temporary is not None:
            writers.append(_RowGroupWriter(sites_temporary, SITE_SCHEMA, row_group_rows))
        try:
            for result in results:
                writers[0].add(result.pairs)
                if len(writers) > 1:
                    writers[1].add(_sites_in_pair_order(result))
            for writer in writers:
                writer.flush()
        finally:
            for writer in writers:
                writer.close()
        counts[0] = writers[0].written
        counts[1] = writers[1].written if len(writers) > 1 else 0

    if sites_path is None:
        atomic_write(pairs_path, lambda pairs_temporary: write(pairs_temporary, None))
    else:
        atomic_write(
            pairs_path,
            lambda pairs_temporary: atomic_write(
                sites_path, lambda sites_temporary: write(pairs_temporary, sites_temporary)
            ),
        )
    return counts[0], counts[1]


def _pair_frame(table: pa.Table) -> pd.DataFrame:
    """A Parquet table as pandas, ``best_site_start`` as nullable integers."""
    frame = table.to_pandas()
    if "best_site_start" in frame.columns:
        frame["best_site_start"] = frame["best_site_start"].astype("Int64")
    return frame


def read_scan(
    path: str | os.PathLike,
    *,
    columns: Sequence[str] | None = None,
    filters: Any = None,
) -> pd.DataFrame:
    """Read (part of) a pair or site file written by :func:`write_scan`.

    A thin wrapper around :func:`pandas.read_parquet`: ``filters`` are pushed down to the file, so only
    the row groups and columns asked for are read, even from files of 10^7 rows.

    Parameters
    ----------
    path
        A Parquet file from :func:`write_scan` (or ``rnaapp scan -o OUT.parquet``).
    columns
        Columns to read (default: all).
    filters
        pyarrow filters: a list of ``(column, op, value)`` tuples combined with AND (ops ``==``, ``!=``,
        ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``), or a list of such lists combined with OR.

    Returns
    -------
    pandas.DataFrame
        The rows in file order; ``best_site_start`` as nullable integers (``Int64``).

    Examples
    --------
    With pandas, the strong sites of one miRNA::

        >>> from rnaapp.scan import read_scan, top_interactions
        >>> read_scan("scan.parquet", filters=[("mirna_id", "==", "hsa-miR-21-5p"),
        ...                                     ("probability", ">=", 0.9)])  # doctest: +SKIP
        >>> top_interactions("scan.parquet", 20, per="target")  # best 20 miRNAs of every transcript

    With DuckDB (``pip install duckdb``; not needed by rnaapp), in SQL::

        >>> import duckdb  # doctest: +SKIP
        >>> duckdb.sql('''
        ...     SELECT target_id, count(*) AS n, max(probability) AS best
        ...     FROM 'scan.parquet' WHERE best_site_type IN ('8mer', '7mer-m8')
        ...     GROUP BY target_id ORDER BY best DESC LIMIT 50''').df()  # doctest: +SKIP
    """
    frame = pd.read_parquet(path, columns=list(columns) if columns is not None else None, filters=filters)
    if "best_site_start" in frame.columns:
        frame["best_site_start"] = frame["best_site_start"].astype("Int64")
    return frame


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes that sort like ``values``, and the distinct values (in code order)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories.to_numpy(dtype=object)
        order = np.argsort(categories.astype(str), kind="stable")
        rank = np.empty(len(categories), dtype=np.int64)
        rank[order] = np.arange(len(categories))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, rank[codes], -1), categories[order]
    codes, uniques = pd.factorize(values, sort=True)
    return codes, np.asarray(uniques, dtype=object)


def _nth_largest(values: np.ndarray, n: int, block: int = 1 << 16) -> float:
    """The ``n``-th largest of ``values`` (``n <= len(values)``), selected block by block.

    One :func:`numpy.partition` over 10^7 values can take seconds for some orders of the values (its
    introselect falls back to a slow path); blocks keep every selection small.
    """
    candidates = [
        np.partition(part, len(part) - n)[len(part) - n :] if len(part) > n else part
        for part in (values[start : start + block] for start in range(0, len(values), block))
    ]
    pooled = np.concatenate(candidates)
    return float(np.partition(pooled, len(pooled) - n)[len(pooled) - n])


def _ranking_order(keys: pd.DataFrame, per: str | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the top ``n`` (overall or per group) and their 1-based ranks, in output order.

    The order is :func:`rank_pairs`'s: probability, then the stronger best site, then names.
    """
    probability = keys["probability"].to_numpy(dtype=np.float64)
    rows = np.arange(len(keys))
    if per is None and n < len(keys):  # only rows that can be in the top n need sorting
        threshold = _nth_largest(probability, n)
        rows = np.flatnonzero(probability >= threshold)
    subset = keys.iloc[rows]
    mirna_codes, _ = _sorted_codes(subset["mirna_id"])
    target_codes, _ = _sorted_codes(subset["target_id"])
    type_codes, types = _sorted_codes(subset["best_site_type"])
    strengths = np.array(
        [SITE_RANK.get(site, 0.5 if site != "none" else 0) for site in types] + [0], dtype=np.float64
    )
    strength = strengths[type_codes]  # code -1 (missing) reads the trailing 0
    n_mirnas, n_targets = int(mirna_codes.max(initial=0)) + 1, int(target_codes.max(initial=0)) + 1
    if len(strengths) * n_mirnas * n_targets < 2**62:  # one integer key for the tie-breaks: a faster sort
        weakness = np.searchsorted(np.unique(-strengths), -strength)
        ties = (weakness * n_mirnas + mirna_codes) * n_targets + target_codes
        order = np.lexsort((ties, -probability[rows]))
    else:
        order = np.lexsort((target_codes, mirna_codes, -strength, -probability[rows]))
    if per is None:
        chosen = order[:n]
        return rows[chosen], np.arange(1, len(chosen) + 1)
    group = (mirna_codes if per == "mirna" else target_codes)[order]
    ranks = pd.Series(group).groupby(group, sort=False).cumcount().to_numpy() + 1
    keep = ranks <= n
    chosen, ranks, group = order[keep], ranks[keep], group[keep]
    output = np.lexsort((ranks, group))
    return rows[chosen[output]], ranks[output]


def _take_rows(path: str | os.PathLike, rows: np.ndarray) -> pd.DataFrame:
    """Rows (global indices, any order) of a Parquet file, reading only the row groups holding them."""
    parquet = pq.ParquetFile(path)
    sizes = np.array(
        [parquet.metadata.row_group(index).num_rows for index in range(parquet.num_row_groups)],
        dtype=np.int64,
    )
    starts = np.concatenate([[0], np.cumsum(sizes)])
    groups = np.searchsorted(starts, rows, side="right") - 1
    pieces, positions = [], []
    for group in np.unique(groups):
        inside = np.flatnonzero(groups == group)
        pieces.append(parquet.read_row_group(int(group)).take(pa.array(rows[inside] - starts[group])))
        positions.append(inside)
    if not pieces:
        return _pair_frame(parquet.schema_arrow.empty_table())
    table = pa.concat_tables(pieces)
    return _pair_frame(table.take(pa.array(np.argsort(np.concatenate(positions), kind="stable"))))


def top_interactions(
    pairs: str | os.PathLike | pd.DataFrame, n: int = 10, per: str | None = None
) -> pd.DataFrame:
    """The top ``n`` pairs by probability: overall, per miRNA or per transcript.

    Ties are broken as in :func:`rank_pairs` (stronger best site, then names). A Parquet file is read
    column-wise (ids as dictionaries, then only the row groups holding the chosen rows), so files of
    10^7 pairs are ranked in seconds and modest memory.

    Parameters
    ----------
    pairs
        A pair file from :func:`write_scan`, or a pair table (:attr:`ScanResult.pairs`).
    n
        Pairs kept (per group when ``per`` is given).
    per
        None: the overall top ``n``; ``"mirna"``: the top ``n`` targets of every miRNA; ``"target"``:
        the top ``n`` miRNAs of every transcript.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1-based; within its miRNA or transcript when ``per`` is given), then the pair columns.
        Overall: ordered by rank. Per group: ordered by the group's id, then rank.
    """
    if per not in (None, "mirna", "target"):
        raise ValueError(f"per must be None, 'mirna' or 'target', not {per!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    key_columns = ["mirna_id", "target_id", "probability", "best_site_type"]
    if isinstance(pairs, pd.DataFrame):
        frame = pairs.drop(columns="rank", errors="ignore")
        rows, ranks = _ranking_order(frame[key_columns].reset_index(drop=True), per, n)
        chosen = frame.iloc[rows].reset_index(drop=True)
    else:
        keys = pq.read_table(
            pairs, columns=key_columns, read_dictionary=["mirna_id", "target_id", "best_site_type"]
        )
        rows, ranks = _ranking_order(keys.to_pandas(), per, n)
        chosen = _take_rows(pairs, rows).reset_index(drop=True)
    chosen.insert(0, "rank", ranks.astype(np.int64))
    return chosen
