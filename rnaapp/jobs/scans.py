"""Scans as background jobs: :func:`rnaapp.scan.scan` in a :class:`~rnaapp.jobs.threads.ThreadJob`.

The Scan page starts one with :func:`start_scan` and polls it; the job keeps what the page shows beside the
result (the model's name, the miRNAs, the plant transcripts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rnaapp.inference import InferenceOptions, scan_workers
from rnaapp.jobs.threads import ThreadJob
from rnaapp.registry import TrainedModel
from rnaapp.scan import ScanCancelled, ScanResult, scan, scores_whole_targets

__all__ = ["ScanJob", "scan_work", "start_scan"]


def scan_work(mirnas: Sequence[tuple[str, str]], targets: Sequence[tuple[str, str]]) -> int:
    """The size of a scan as :func:`rnaapp.inference.scan_workers` counts it: miRNAs x target nucleotides."""
    return len(mirnas) * sum(len(sequence) for _, sequence in targets)


class ScanJob(ThreadJob[ScanResult]):
    """A scan running in a thread (see :func:`start_scan`).

    Its :attr:`result` is the ranked :class:`rnaapp.scan.ScanResult`.

    Attributes
    ----------
    model_name
        The name of the model that scans.
    mirnas
        ``(id, sequence)`` of each miRNA scanned.
    n_targets
        Number of transcripts scanned.
    plant
        Whether the model scores whole transcripts (plant models), as :func:`rnaapp.scan.scan` reports.
    targets
        ``id -> sequence`` of the transcripts (plant attention is drawn over the whole transcript; variant
        effects are scored on them).
    options
        How the models run, with the worker processes decided (:func:`rnaapp.inference.scan_workers`).
    """

    def __init__(
        self,
        model: TrainedModel,
        mirnas: Sequence[tuple[str, str]],
        targets: Sequence[tuple[str, str]],
        options: InferenceOptions | None = None,
        *,
        model_name: str | None = None,
        **settings: Any,
    ) -> None:
        options = options or InferenceOptions()
        self.model_name = model_name or model.name
        self.mirnas = list(mirnas)
        targets = list(targets)
        self.n_targets = len(targets)
        self.plant = scores_whole_targets(model)
        self.targets = dict(targets)
        self.options = options.replace(workers=scan_workers(scan_work(self.mirnas, targets), options))

        def work(progress: Any, should_stop: Any) -> ScanResult:
            return scan(
                model,
                self.mirnas,
                targets,
                self.options,
                progress=progress,
                should_stop=should_stop,
                **settings,
            )

        super().__init__(work, description="scan", cancelled_by=(ScanCancelled,))


def start_scan(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Sequence[tuple[str, str]],
    options: InferenceOptions | None = None,
    *,
    model_name: str | None = None,
    **settings: Any,
) -> ScanJob:
    """Start scanning ``mirnas`` against ``targets`` in a background thread.

    Parameters
    ----------
    model
        A loaded model.
    mirnas, targets
        ``(id, sequence)`` of each miRNA and transcript.
    options
        How the models run (:class:`~rnaapp.inference.InferenceOptions`, e.g. from the user's settings);
        without ``options.workers``, the one rule of :func:`~rnaapp.inference.scan_workers` decides the
        worker processes from the scan's size.
    model_name
        The model's name as the page knows it (default: ``model.name``).
    **settings
        The other arguments of :func:`rnaapp.scan.scan_batches` (``noncanonical``, ``sites_per_pair``,
        ``buffer_size`` …).

    Returns
    -------
    ScanJob
        The running job.
    """
    job = ScanJob(model, mirnas, targets, options, model_name=model_name, **settings)
    job.start()
    return job
