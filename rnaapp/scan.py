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

Work is streamed: windows are scored in buffers of ``buffer_size``, so memory stays bounded whatever the
number and length of the transcripts; results of each buffer come out as soon as it is scored.

Coordinates in every output are 1-based and inclusive, as biologists read them.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnaapp.io import InputError, read_fasta
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

#: Explanations of the columns :func:`scan` returns (shown by the app and the README).
SITE_COLUMNS = {
    "mirna_id": "miRNA name",
    "target_id": "transcript name",
    "site_rank": "rank of the site within its (miRNA, transcript) pair, 1 = highest probability",
    "probability": "model probability that the 40-nt window around the site is a functional target site",
    "site_type": "seed match: 8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer, or non-canonical (one G:U or "
    "mismatch at miRNA positions 3-7)",
    "seed_pairing": "how miRNA positions 2-8 pair with the site (Watson-Crick unless named)",
    "start": "first transcript nucleotide of the seed match (1-based)",
    "end": "last transcript nucleotide of the seed match (1-based, inclusive)",
    "energy": "ViennaRNA duplex free energy of the miRNA with the window, kcal/mol (lower = more stable)",
    "window_start": "first transcript nucleotide of the scored window (1-based)",
    "window": "the scored window, 5'->3'",
}
PAIR_COLUMNS = {
    "mirna_id": "miRNA name",
    "target_id": "transcript name",
    "probability": "transcript-level probability: the highest site probability (0 when no candidate site)",
    "best_site_type": "seed match type of the highest-scoring site",
    "best_site_start": "position of that site's seed match on the transcript (1-based)",
    "best_site_energy": "ViennaRNA duplex free energy of that site's window (kcal/mol)",
    "n_sites": "candidate sites scored on the transcript (canonical and non-canonical)",
    "n_canonical": "canonical seed sites among them",
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
                {
                    "mirna_id": mirna_id,
                    "target_id": target_id,
                    "probability": 0.0,
                    "best_site_type": "none",
                    "best_site_start": pd.NA,
                    "best_site_energy": np.nan,
                    "n_sites": len(candidates),
                    "n_canonical": sum(site.site_type != "non-canonical" for site in candidates),
                    "target_length": len(target),
                }
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
    chunk_nucleotides: int = 200_000,
    n_targets: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[ScanResult]:
    """Scan miRNAs against transcripts, yielding results as they are ready (memory stays bounded).

    Parameters
    ----------
    model
        Any loaded model; its :func:`rnaapp.predict.predict` scores the windows.
    mirnas
        ``(id, sequence)`` of each miRNA (normalised RNA, 5'->3').
    targets
        ``(id, sequence)`` of each transcript; may be a generator (read lazily).
    noncanonical
        Also score seed matches with one G:U wobble or mismatch (see :func:`candidate_sites`).
    sites_per_pair
        Sites reported per (miRNA, transcript) pair, best first.
    energies
        Compute the ViennaRNA duplex energy of each reported site's window.
    include_empty
        Also report pairs without any candidate site (probability 0).
    buffer_size
        Windows scored per :func:`predict` call.
    batch_size, precision
        Passed to :func:`predict`.
    workers
        1: scan in this process (batches scored by parallel threads). More: a local pool of that many
        processes, each scanning groups of transcripts with one torch thread.
    scheduler
        A Dask scheduler address (``"tcp://host:8786"``) or a ``dask.distributed.Client``: groups of
        transcripts are scanned on the cluster's workers instead (``workers`` is then ignored).
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
                    mp_context=multiprocessing.get_context("spawn"),
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

    Targets the model reads whole are scored directly; longer ones are scanned (:func:`scan_batches`)
    and get the transcript-level probability with their best site's position and type.

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
    if sort_by not in pairs.columns:
        raise ValueError(f"cannot sort by '{sort_by}': no such column")
    return pairs[keep].sort_values(sort_by, ascending=ascending, kind="stable")
