"""Parallel scans: groups of transcripts scanned by a local process pool or a Dask cluster."""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch

from rnaapp.registry import ModelCard, TrainedModel, build_model
from rnaapp.scan.columns import ScanCancelled, ScanResult, concat_results


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
    from rnaapp.scan.engine import _scan_in_process  # engine imports this module

    return concat_results(list(_scan_in_process(model, mirnas, targets, **options)))


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
    """Processes a large scan uses (:func:`rnaapp.inference.scan_workers`): every available core."""
    from rnaapp.inference.options import available_cores

    return available_cores()
