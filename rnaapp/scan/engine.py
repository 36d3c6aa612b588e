"""The scan engine: score miRNAs on transcripts in bounded buffers, and rank the pairs.

Site models score the windows of candidate sites (tiles of a transcript without any); plant models score
whole targets.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from rnaapp.inference.batches import options_with, predict
from rnaapp.inference.options import InferenceOptions, scan_workers
from rnaapp.io.fasta import TargetHeader
from rnaapp.progress import Progress
from rnaapp.registry import TrainedModel
from rnaapp.scan.candidates import WINDOW_LENGTH, CandidateSite, pair_windows
from rnaapp.scan.columns import (
    PAIR_COLUMNS,
    SITE_COLUMNS,
    ScanCancelled,
    ScanResult,
    _empty_frame,
    _unscored_pair,
    concat_results,
    label_targets,
    site_type_counts,
)
from rnaapp.scan.features import accessibility_profile, site_context
from rnaapp.scan.plant import (
    PLANT_BUFFER_NUCLEOTIDES,
    PLANT_BUFFER_PAIRS,
    PLANT_SITE_TYPE,
    PlantSites,
    plant_pairing,
    plant_sites,
    plant_window,
    scores_whole_targets,
)
from rnaapp.scan.workers import (
    _install_worker_model,
    _model_payload,
    _ordered_results,
    _scan_chunk,
    _target_chunks,
)
from rnaapp.scoring import length_feature, model_scoring, site_features
from rnaapp.scoring.background import background_scores
from rnaapp.scoring.background import percentiles as percentile_of
from rnaapp.sites import SITE_RANK
from rnaapp.structure import hybridize

#: A site is named among a pair's ``driving_sites`` when it carries at least this share of the score.
DRIVER_SHARE = 0.2


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
    window_length: int | None = None,
    options: InferenceOptions | None = None,
    n_targets: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    prior: float | None = None,
) -> Iterator[ScanResult]:
    """The scan in this process (see :func:`scan_batches`); ``options`` go to :func:`predict`."""
    if scores_whole_targets(model):
        yield from _scan_whole_targets(
            model,
            mirnas,
            targets,
            sites_per_pair=sites_per_pair,
            energies=energies,
            include_empty=include_empty,
            buffer_size=buffer_size,
            options=options,
            n_targets=n_targets,
            progress=progress,
            should_stop=should_stop,
            prior=prior,
        )
        return
    if n_targets is None and hasattr(targets, "__len__"):
        n_targets = len(targets)  # type: ignore[arg-type]
    total = len(mirnas) * n_targets if n_targets is not None else 0
    pair_rows: list[dict] = []
    pair_targets: list[str] = []
    windows: list[str] = []
    window_mirnas: list[str] = []
    # (pair row index, site or None for a tile of a target without candidate sites, window start)
    window_sites: list[tuple[int, CandidateSite | None, int]] = []
    length = model_window_length(model) if window_length is None else window_length
    done = 0

    scoring = model_scoring(model)

    def flush() -> ScanResult:
        logits = predict(model, window_mirnas, windows, options, output="logit") if windows else np.zeros(0)
        site_rows: list[dict] = []
        per_pair: dict[int, list[int]] = {}
        for index, (row_index, _, _) in enumerate(window_sites):
            per_pair.setdefault(row_index, []).append(index)
        for row_index, indices in per_pair.items():
            row = pair_rows[row_index]
            target = pair_targets[row_index]
            mirna = window_mirnas[indices[0]]
            contexts = [
                site_context(site, start, length) for _, site, start in (window_sites[i] for i in indices)
            ]
            pair_logits = logits[indices]
            # A score that weighs energies needs every site's, whatever ``energies`` asks to report.
            site_energies = (
                np.array([hybridize(mirna, windows[index]).energy for index in indices])
                if scoring.transcript.uses_energy
                else None
            )
            unpaired = (
                accessibility_profile(target)  # one fold per transcript, cached for its other miRNAs
                if scoring.transcript.uses_accessibility and contexts[0].site_type != "none"
                else None
            )
            features = site_features(
                target, contexts, pair_logits, site_energies, unpaired=unpaired, mirna=mirna
            )
            scored = scoring.transcript.score_pair(features, length_feature(len(target)), prior)
            row.update(
                score=scored.score,
                probability=scored.probability,
                best_site_log_odds=float(pair_logits.max()),
            )
            row.update(site_type_counts(context.site_type for context in contexts))
            # Sites in order of their share of the score (ties: stronger site type, then position).
            order = sorted(
                range(len(indices)),
                key=lambda k: (
                    -scored.site_terms[k],
                    -SITE_RANK.get(contexts[k].site_type, 0.5),
                    contexts[k].start,
                ),
            )
            if contexts[0].site_type == "none":  # tiles of a target without candidate sites
                row.update(driving_sites="")
                continue
            kept = order[:sites_per_pair]
            drivers = []
            for rank, k in enumerate(kept, start=1):
                index = indices[k]
                _, site, window_start = window_sites[index]
                energy = (
                    float(site_energies[k])
                    if site_energies is not None
                    else (hybridize(mirna, windows[index]).energy if energies else np.nan)
                )
                site_probability = float(scoring.site.probability(pair_logits[k], prior))
                share = float(scored.contributions[k])
                site_rows.append(
                    {
                        "mirna_id": row["mirna_id"],
                        "target_id": row["target_id"],
                        "gene_symbol": row["gene_symbol"],
                        "transcript_id": row["transcript_id"],
                        "site_rank": rank,
                        "probability": site_probability,
                        "log_odds": float(pair_logits[k]),
                        "contribution": share,
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
                if share >= DRIVER_SHARE or rank == 1:
                    drivers.append(f"{site.site_type}@{site.start + 1} ({share:.0%})")
                if rank == 1:
                    row.update(
                        best_site_type=site.site_type,
                        best_site_start=site.start + 1,
                        best_site_energy=energy,
                    )
            row.update(driving_sites="; ".join(drivers))
        pairs = (
            pd.DataFrame(pair_rows, columns=list(PAIR_COLUMNS)) if pair_rows else _empty_frame(PAIR_COLUMNS)
        )
        if not include_empty and len(pairs):
            pairs = pairs[pairs["n_sites"] > 0].reset_index(drop=True)
        sites = (
            pd.DataFrame(site_rows, columns=list(SITE_COLUMNS)) if site_rows else _empty_frame(SITE_COLUMNS)
        )
        pair_rows.clear()
        pair_targets.clear()
        windows.clear()
        window_mirnas.clear()
        window_sites.clear()
        return ScanResult(pairs=pairs, sites=sites)

    for target_id, target in targets:
        for mirna_id, mirna in mirnas:
            if should_stop is not None and should_stop():
                raise ScanCancelled("scan cancelled")
            candidates, reads = pair_windows(mirna, target, length, noncanonical=noncanonical)
            pair_rows.append(
                _unscored_pair(
                    mirna_id,
                    target_id,
                    len(target),
                    len(candidates),
                    sum(site.site_type != "non-canonical" for site in candidates),
                )
            )
            pair_targets.append(target)
            # One window per candidate site, or tiles of a target without any (the one window rule).
            for site, start in reads:
                windows.append(target[start : start + length])
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


def model_window_length(model: TrainedModel) -> int:
    """Length (nt) of the windows a scan cuts for ``model``: the 40-nt training window.

    Not the longest target the model reads whole (60 nt for the shipped site models): measured on the
    miRAW gene-level sets, 50- and 60-nt windows around the same sites lower the AUC of both shipped
    scanning models from 0.86 to 0.59-0.70 (negatives score high: the models never saw such windows in
    training, whose targets are 40 nt, 50 nt for CLASH). A model that reads fewer nucleotides gets its own
    length.
    """
    limit = model.family.max_target_length(model.config)
    return WINDOW_LENGTH if limit is None else min(WINDOW_LENGTH, limit)


def _scan_whole_targets(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    *,
    sites_per_pair: int,
    energies: bool,
    include_empty: bool,
    buffer_size: int,
    options: InferenceOptions | None,
    n_targets: int | None,
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
    prior: float | None = None,
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

        logits = predict(
            model,
            pair_mirnas,
            pair_targets,
            options,
            progress=scored if progress is not None or should_stop is not None else None,
            output="logit",
        )
        site_calibration = model_scoring(model).site
        probabilities = site_calibration.probability(logits, prior)
        site_rows: list[dict] = []
        kept_rows: list[dict] = []
        for row, mirna, target, found, logit, probability in zip(
            pair_rows, pair_mirnas, pair_targets, pair_sites, logits, probabilities, strict=True
        ):
            row.update(
                score=float(site_calibration.log_odds(logit)),
                probability=float(probability),
                best_site_log_odds=float(logit),
            )
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
                        "gene_symbol": row["gene_symbol"],
                        "transcript_id": row["transcript_id"],
                        "site_rank": rank,
                        "probability": float(probability),
                        "log_odds": float(logit),
                        "contribution": np.nan,
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


def _percentile_backgrounds(
    model: TrainedModel, mirnas: Sequence[tuple[str, str]], options: InferenceOptions
) -> dict[str, np.ndarray]:
    """Each miRNA id's sorted background scores (:func:`rnaapp.scoring.background.background_scores`)."""
    background = background_scores(model, mirnas, options)
    return {mirna_id: background[sequence] for mirna_id, sequence in mirnas}


def _with_percentiles(result: ScanResult, backgrounds: dict[str, np.ndarray] | None) -> ScanResult:
    """``result`` with its pairs' ``percentile`` filled from ``backgrounds`` (unchanged when None)."""
    pairs = result.pairs
    if backgrounds is not None and len(pairs):
        scores = pairs["score"].to_numpy(dtype=np.float64)
        values = np.full(len(pairs), np.nan)
        for mirna_id, rows in pairs.groupby("mirna_id", sort=False).indices.items():
            values[rows] = percentile_of(scores[rows], backgrounds[mirna_id])
        pairs["percentile"] = values
    return result


def scan_batches(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    options: InferenceOptions | None = None,
    *,
    noncanonical: bool = True,
    sites_per_pair: int = 3,
    energies: bool = True,
    include_empty: bool = True,
    buffer_size: int = 4096,
    window_length: int | None = None,
    scheduler: str | Any | None = None,
    start_method: str = "spawn",
    chunk_nucleotides: int = 200_000,
    n_targets: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    prior: float | None = None,
    percentiles: bool = True,
    target_headers: Mapping[str, TargetHeader] | None = None,
    batch_size: int | None = None,
    precision: str | None = None,
    workers: int | None = None,
) -> Iterator[ScanResult]:
    """Scan miRNAs against transcripts, yielding results as they are ready (memory stays bounded).

    Each buffer's pairs get their ``percentile`` (:mod:`rnaapp.scoring.background`) as they are yielded.

    Parameters
    ----------
    model
        Any loaded model; its :func:`rnaapp.inference.predict` scores the windows. A plant model
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
        Sites reported per (miRNA, transcript) pair, in order of their share of the pair's score. The
        score itself weighs every candidate site (:class:`rnaapp.scoring.TranscriptModel`).
    energies
        Compute the ViennaRNA duplex energy of each reported site's window (and of every site, when the
        model's transcript score weighs energies).
    include_empty
        Also report pairs without any candidate site (probability 0); plant models: pairs without a
        window of expectation <= :data:`PLANT_EXPECTATION_CUTOFF` (``n_sites`` 0).
    buffer_size
        Windows scored per :func:`predict` call (plant models: pairs, at most :data:`PLANT_BUFFER_PAIRS`).
    window_length
        Length of the windows cut around candidate sites (:func:`window_bounds`); default: the model's
        (:func:`model_window_length`). A target without candidate sites is read in tiles of that length
        (:func:`tile_starts`).
    options
        How the models run (:class:`~rnaapp.inference.InferenceOptions`): batch size, precision and CPU
        threads go to :func:`predict`; ``options.workers`` is the number of processes: 1 scans in this
        process (batches scored by parallel threads), more use a local pool of that many processes, each
        scanning groups of transcripts with one torch thread. With ``options.workers`` None, the rule of
        :func:`~rnaapp.inference.scan_workers` decides when ``targets`` is a sequence (its nucleotides x
        miRNAs), and a generator is scanned in this process.
    scheduler
        A Dask scheduler address (``"tcp://host:8786"``) or a ``dask.distributed.Client``: groups of
        transcripts are scanned on the cluster's workers instead (``options.workers`` is then ignored).
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
    prior
        Share of true interactions assumed among the pairs, for the calibrated ``probability`` columns
        (default: the prior the model's scoring was fitted at, 0.5 for the shipped models); the ``score``
        ranks the same whatever the prior.
    percentiles
        Fill each pair's ``percentile``: its score among the miRNA's scores on the package's background
        3'UTRs (:func:`rnaapp.scoring.background.background_scores`; one scan of the background per new
        miRNA, cached). Site models only; False leaves the column empty.
    target_headers
        Target id -> :func:`rnaapp.io.parse_target_header` of its whole FASTA header, for targets whose
        header names the gene symbol or transcript after the id (``>utr_7 TP53``): the ``gene_symbol`` and
        ``transcript_id`` columns come from it (:func:`~rnaapp.scan.columns.label_targets`). Other
        targets get them from their id (``ENSG…|ENST…|TP53``), empty when it names none.
    batch_size, precision, workers
        Older spellings of ``options.batch_size``, ``options.precision`` and ``options.workers`` (kept for
        one release); when given they replace those options.

    Yields
    ------
    ScanResult
        Pairs and sites in input order (transcripts, then miRNAs), unranked. Results do not depend on
        ``workers``, ``scheduler``, ``buffer_size`` or ``chunk_nucleotides``.
    """
    if n_targets is None and hasattr(targets, "__len__"):
        n_targets = len(targets)  # type: ignore[arg-type]
    options = options_with(options, batch_size=batch_size, precision=precision)
    if workers is not None:
        options = options.replace(workers=workers)
    backgrounds = (
        _percentile_backgrounds(model, mirnas, options)
        if percentiles and not scores_whole_targets(model) and model.family.task == "site"
        else None
    )
    if options.workers is not None:
        workers = options.workers
    elif isinstance(targets, Sequence):
        workers = scan_workers(len(mirnas) * sum(len(sequence) for _, sequence in targets), options)
    else:
        workers = 1
    settings = {
        "noncanonical": noncanonical,
        "sites_per_pair": sites_per_pair,
        "energies": energies,
        "include_empty": include_empty,
        "buffer_size": buffer_size,
        "window_length": window_length,
        "prior": prior,
    }
    if scheduler is None and workers <= 1:
        for result in _scan_in_process(
            model,
            mirnas,
            targets,
            options=options,
            n_targets=n_targets,
            progress=progress,
            should_stop=should_stop,
            **settings,
        ):
            yield label_targets(_with_percentiles(result, backgrounds), target_headers)
        return
    # Each worker process scores its batches with one thread.
    settings["options"] = options.replace(threads=1, workers=1)
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
                return client.submit(_scan_chunk, payload_future, mirnas, chunk, settings, pure=False)

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
                return pool.submit(_scan_chunk, None, mirnas, chunk, settings)

        for size, result in _ordered_results(submit, chunks, in_flight, should_stop):
            done += size * len(mirnas)
            yield label_targets(_with_percentiles(result, backgrounds), target_headers)
            if progress is not None:
                progress(done, total)
    if progress is not None and done == 0:
        progress(0, total)


def rank_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs sorted by ``score`` (ties: stronger best site, then lower duplex energy, then names).

    Returns the pairs with a 1-based ``rank`` column first.
    """
    if pairs.empty:
        return pairs.assign(rank=pd.Series(dtype=int))
    site_strength = pairs["best_site_type"].map(
        lambda site: SITE_RANK.get(site, 0.5 if site != "none" else 0)
    )
    # Tables written before graded scores (no score column) rank by probability.
    key = "score" if "score" in pairs else "probability"
    energy = (
        pd.to_numeric(pairs["best_site_energy"], errors="coerce").fillna(np.inf)
        if "best_site_energy" in pairs
        else 0.0
    )
    ranked = (
        pairs.assign(_strength=site_strength, _energy=energy)
        .sort_values(
            [key, "_strength", "_energy", "mirna_id", "target_id"],
            ascending=[False, False, True, True, True],
            kind="stable",
        )
        .drop(columns=["_strength", "_energy"])
        .reset_index(drop=True)
    )
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def scan(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Iterable[tuple[str, str]],
    options: InferenceOptions | None = None,
    **settings: Any,
) -> ScanResult:
    """Scan miRNAs against transcripts and rank the interactions (whole result in memory).

    Takes the arguments of :func:`scan_batches`; use that for inputs whose result does not fit in memory.

    Returns
    -------
    ScanResult
        ``pairs`` ranked (column ``rank``), ``sites`` ordered like the pairs, best site first.
    """
    found = concat_results(list(scan_batches(model, mirnas, targets, options, **settings)))
    pairs, sites = found.pairs, found.sites
    if pairs.empty:
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
