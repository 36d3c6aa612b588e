"""The one inference loop: featurise pairs in chunks and run a model over them batch by batch.

Every score in rnaapp (pages, command line, scans, evaluation, ranking) comes out of :func:`predict`,
under the :class:`~rnaapp.inference.options.InferenceOptions` it is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext

import numpy as np
import pandas as pd
import torch

from rnaapp.inference.options import InferenceOptions
from rnaapp.io import InputError, normalise_sequence, sequence_letter_problem
from rnaapp.progress import Progress
from rnaapp.registry import TrainedModel
from rnaapp.scoring.transcript import sigmoid

#: Numeric precisions :func:`predict` offers (autocast dtype, or None for plain float32).
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}

#: Pairs featurised at once; bounds memory on long inputs.
CHUNK_SIZE = 16384


def check_target_lengths(model: TrainedModel, targets: Sequence[str], *, source: str = "<input>") -> None:
    """Refuse targets longer than the model reads whole, naming the first such row.

    Raises
    ------
    InputError
        For the first target over the limit (row numbers are 1-based).
    """
    limit = model.family.max_target_length(model.config)
    if limit is None:
        return
    lengths = np.fromiter((len(target) for target in targets), dtype=np.int64, count=len(targets))
    too_long = np.flatnonzero(lengths > limit)
    if too_long.size:
        row = int(too_long[0])
        advice = (
            "give a region of the 3'UTR, or a miRNA–gene model that reads whole 3'UTRs (site_counts without "
            "sequence branch, such as the shipped gene-utr)"
            if model.family.task == "gene"
            else "give the candidate site region instead of the whole transcript"
        )
        raise InputError(
            f"target is {lengths[row]} nt; model '{model.name}' reads targets of at most {limit} nt "
            f"({too_long.size} row(s) too long); {advice}",
            source=source,
            row=row + 1,
        )


@contextmanager
def _one_thread_per_worker():
    """Set torch to one intra-op thread for the duration (restored afterwards)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def default_workers(device: torch.device) -> int:
    """Parallel CPU threads used by :func:`predict`: one per torch thread (at most 8); 1 on a GPU."""
    return InferenceOptions().batch_threads(device)


def options_with(
    options: InferenceOptions | None,
    *,
    batch_size: int | None = None,
    precision: str | None = None,
    workers: int | None = None,
) -> InferenceOptions:
    """``options`` (default options when None) with the older keyword arguments applied, if given.

    ``batch_size``, ``precision`` and ``workers`` (threads scoring batches at once) are the keywords
    :func:`predict` took before :class:`InferenceOptions`; they keep working for one release.
    """
    options = options or InferenceOptions()
    changes = {
        name: value
        for name, value in (("batch_size", batch_size), ("precision", precision), ("threads", workers))
        if value is not None
    }
    return options.replace(**changes) if changes else options


def batch_logits(
    module: torch.nn.Module,
    features: Mapping[str, torch.Tensor],
    *,
    device: torch.device,
    batch_size: int,
    autocast_dtype: torch.dtype | None = None,
    return_attention: bool = False,
    pool: ThreadPoolExecutor | None = None,
) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """Run ``module`` over featurised pairs batch by batch, in order (the one inference loop).

    Parameters
    ----------
    module
        A family's network in eval mode.
    features
        The family's ``featurize`` output as tensors, first axis = pairs.
    device
        Where the batches run.
    batch_size
        Pairs per forward pass.
    autocast_dtype
        Autocast dtype (e.g. ``torch.bfloat16``), or None for plain float32.
    return_attention
        Also return the module's attention ``(batch, mirna_tokens, target_tokens)``.
    pool
        Score batches in these threads (results still come in order).

    Yields
    ------
    (int, numpy.ndarray, numpy.ndarray or None)
        Index of the batch's first pair, its logits ``(batch,)`` float32, and the attention or None.
    """

    def score(start: int) -> tuple[int, np.ndarray, np.ndarray | None]:
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None),
        ):
            batch = {key: value[start : start + batch_size].to(device) for key, value in features.items()}
            if return_attention:
                logits, attention = module(**batch, return_attention=True)
                return start, logits.float().cpu().numpy(), attention.float().cpu().numpy()
            return start, module(**batch).float().cpu().numpy(), None

    size = len(next(iter(features.values()))) if features else 0
    starts = range(0, size, batch_size)
    yield from pool.map(score, starts) if pool is not None else map(score, starts)


def pair_names(pairs: pd.DataFrame) -> dict[str, list[str] | None]:
    """``mirna_ids`` and ``target_ids`` keyword arguments from a pair table (None for a missing column)."""
    return {
        "mirna_ids": pairs["mirna_id"].astype(str).tolist() if "mirna_id" in pairs.columns else None,
        "target_ids": pairs["target_id"].astype(str).tolist() if "target_id" in pairs.columns else None,
    }


#: A sequence in normal form: uppercase RNA letters and N only.
_NORMAL = re.compile(r"[ACGUN]*")


def checked_sequences(
    sequences: Sequence[str], *, molecule: str, source: str = "<input>", allow_empty: bool = False
) -> list[str]:
    """Sequences normalised (:func:`rnaapp.io.normalise_sequence`) and checked, one per pair.

    Sequences already in normal form (uppercase A, C, G, U, N) are passed through after one check of each
    distinct value, so whole-transcript scans pay little for it.

    Parameters
    ----------
    sequences
        One sequence per pair (DNA letters, lowercase and whitespace are accepted).
    molecule
        ``"miRNA"`` or ``"target"``, for the message.
    source
        Name used in the message.
    allow_empty
        Whether an empty sequence is accepted (miRNA-gene models score pairs by name).

    Raises
    ------
    rnaapp.io.InputError
        Naming the first bad pair (``row`` = 1-based pair number) and what is wrong with it.
    """
    distinct = set(sequences)
    if all(
        isinstance(value, str) and _NORMAL.fullmatch(value) and (value or allow_empty) for value in distinct
    ):
        return list(sequences)
    normalised = {value: normalise_sequence(value) if isinstance(value, str) else None for value in distinct}
    for index, value in enumerate(sequences):
        sequence = normalised[value]
        if sequence is None:
            problem = f"{molecule} sequence is not text ({value!r})"
        elif not sequence and not allow_empty:
            problem = f"{molecule} sequence is empty"
        else:
            problem = sequence_letter_problem(sequence, molecule)
        if problem is not None:
            raise InputError(problem, source=source, row=index + 1)
    return [normalised[value] for value in sequences]


def predict(
    model: TrainedModel,
    mirnas: Sequence[str],
    targets: Sequence[str],
    options: InferenceOptions | None = None,
    *,
    return_attention: bool = False,
    progress: Progress | None = None,
    source: str = "<input>",
    mirna_ids: Sequence[str] | None = None,
    target_ids: Sequence[str] | None = None,
    batch_size: int | None = None,
    precision: str | None = None,
    workers: int | None = None,
    output: str = "probability",
) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
    """Interaction probabilities (or the model's log-odds) for miRNA-target pairs.

    Parameters
    ----------
    model
        A loaded model (:func:`rnaapp.registry.load_model`); runs on its device.
    mirnas, targets
        Sequences 5'->3', one pair per index (DNA letters, lowercase and whitespace are normalised; see
        :func:`checked_sequences`). Empty sequences only for miRNA-gene models, which score names.
    options
        Batch size, precision and CPU threads (:class:`InferenceOptions`; its device is not used: the
        model runs where it was loaded). Default: ``InferenceOptions()``.
    return_attention
        Also return, per pair, the model's attention as a ``(len(mirna), len(target))`` array over
        nucleotides (families with ``has_attention`` only).
    progress
        Called as ``progress(pairs_done, pairs_total)``.
    source
        Name used in error messages.
    mirna_ids, target_ids
        Names of the miRNAs and targets, one per pair, for families that use names (graph families look
        the nodes up by name; pairs without names, or with names the model never saw, count as unseen).
        Ignored by the other families.
    batch_size, precision, workers
        Older spellings of ``options.batch_size``, ``options.precision`` and ``options.threads``; when
        given they replace those options (kept for one release).
    output
        ``"probability"`` (the sigmoid of the model's output) or ``"logit"`` (the model's log-odds as it
        computed them, float32 widened to float64: graded where the probability saturates at 1.0).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, list of numpy.ndarray)
        Probabilities or log-odds, shape ``(n_pairs,)`` float64; with ``return_attention`` also the
        attention maps.
    """
    if output not in ("probability", "logit"):
        raise ValueError(f"output must be 'probability' or 'logit', not {output!r}")
    if len(mirnas) != len(targets):
        raise ValueError(f"{len(mirnas)} miRNAs but {len(targets)} targets")
    for ids in (mirna_ids, target_ids):
        if ids is not None and len(ids) != len(mirnas):
            raise ValueError(f"{len(ids)} names for {len(mirnas)} pairs")
    if return_attention and not model.family.has_attention:
        raise ValueError(f"model '{model.name}' ({model.family.name}) has no attention map")
    by_name = model.family.task == "gene"
    mirnas = checked_sequences(mirnas, molecule="miRNA", source=source, allow_empty=by_name)
    targets = checked_sequences(targets, molecule="target", source=source, allow_empty=by_name)
    check_target_lengths(model, targets, source=source)
    total = len(mirnas)
    probabilities = np.zeros(total, dtype=np.float64)
    attention_maps: list[np.ndarray] = []
    device = model.device
    module = model.module
    options = options_with(options, batch_size=batch_size, precision=precision, workers=workers)
    workers = options.batch_threads(device)
    autocast_dtype = options.autocast_dtype()
    batch_size = options.batch_size
    reported = [0]

    def report(done: int) -> None:
        # Featurising counts as the first half of each chunk's work and scoring as the second half, so
        # that slow featurisers (ViennaRNA energies) move the bar too; calls only ever go up.
        if progress is not None and done > reported[0]:
            reported[0] = done
            progress(done, total)

    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        with _one_thread_per_worker() if pool is not None else nullcontext():
            for chunk_start in range(0, total, CHUNK_SIZE):
                chunk_mirnas = mirnas[chunk_start : chunk_start + CHUNK_SIZE]
                chunk_targets = targets[chunk_start : chunk_start + CHUNK_SIZE]
                chunk_size = len(chunk_mirnas)
                names = {}
                if model.family.uses_names:
                    names = {
                        key: None if ids is None else list(ids[chunk_start : chunk_start + CHUNK_SIZE])
                        for key, ids in (("mirna_ids", mirna_ids), ("target_ids", target_ids))
                    }
                features = model.family.featurize(
                    model.config,
                    chunk_mirnas,
                    chunk_targets,
                    progress=lambda done, _, start=chunk_start: report(start + done // 2),
                    **names,
                )
                features = {
                    key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in features.items()
                }
                for start, logits, attention in batch_logits(
                    module,
                    features,
                    device=device,
                    batch_size=batch_size,
                    autocast_dtype=autocast_dtype,
                    return_attention=return_attention,
                    pool=pool,
                ):
                    end = start + len(logits)
                    probabilities[chunk_start + start : chunk_start + end] = logits
                    if attention is not None:
                        for offset in range(attention.shape[0]):
                            index = chunk_start + start + offset
                            attention_maps.append(
                                model.family.attention_to_nucleotides(
                                    attention[offset], model.config, mirnas[index], targets[index]
                                )
                            )
                    report(
                        chunk_start + (chunk_size + end) // 2
                        if end < chunk_size
                        else chunk_start + chunk_size
                    )
    finally:
        if pool is not None:
            pool.shutdown()
    if total == 0 and progress is not None:
        progress(0, 0)
    if output == "probability":
        probabilities = sigmoid(probabilities)
    return (probabilities, attention_maps) if return_attention else probabilities


def predict_pairs(
    model: TrainedModel,
    pairs: pd.DataFrame,
    options: InferenceOptions | None = None,
    *,
    progress: Progress | None = None,
    source: str = "<input>",
    batch_size: int | None = None,
    precision: str | None = None,
) -> pd.DataFrame:
    """A copy of ``pairs`` (as :func:`rnaapp.io.read_pairs` gives) with a ``probability`` column added.

    The probability is the model's own (``sigmoid`` of its log-odds), not calibrated; for the graded
    ``score`` and the calibrated ``probability`` every front end shows, use
    :func:`rnaapp.inference.score_pairs`.

    Every target is read whole (see :func:`rnaapp.inference.score_pairs` for targets longer than the model's
    window); ``batch_size`` and ``precision`` are older spellings of the options (kept for one release).
    """
    probabilities = predict(
        model,
        pairs["mirna_seq"].tolist(),
        pairs["target_seq"].tolist(),
        options_with(options, batch_size=batch_size, precision=precision),
        progress=progress,
        source=source,
        **pair_names(pairs),
    )
    scored = pairs.copy()
    scored["probability"] = probabilities
    return scored
