"""Background jobs: one interface (:class:`Job`), two runners.

- :mod:`rnaapp.jobs.base`: the interface every job offers (:class:`Job`: ``status()`` with state,
  progress fraction, message and ETA; ``cancel()``; ``result`` and ``error``), the states and the one ETA
  rule (:func:`eta_seconds`).
- :mod:`rnaapp.jobs.training`: the process runner. A training runs in its own process and keeps its state
  in a folder on disk, so it survives page switches, browser reloads and app restarts
  (:func:`start_training`, :func:`list_jobs`, :func:`get_job`; ``python -m rnaapp.jobs JOB_FOLDER`` runs
  one by hand).
- :mod:`rnaapp.jobs.threads`: the thread runner, for long work of this process
  (:func:`start_thread_job`); :mod:`rnaapp.jobs.scans` runs scans with it (:func:`start_scan`).

Every name imported from ``rnaapp.jobs`` before it became a package still is.
"""

from rnaapp.jobs.base import (
    FINAL_STATES,
    STATES,
    STATUS_KEYS,
    Job,
    complete_status,
    eta_seconds,
    readable_error,
)
from rnaapp.jobs.scans import ScanJob, scan_work, start_scan
from rnaapp.jobs.threads import ThreadJob, start_thread_job
from rnaapp.jobs.training import (
    TrainingJob,
    get_job,
    jobs_directory,
    list_jobs,
    main,
    run_job,
    start_training,
)

__all__ = [
    "FINAL_STATES",
    "STATES",
    "STATUS_KEYS",
    "Job",
    "ScanJob",
    "ThreadJob",
    "TrainingJob",
    "complete_status",
    "eta_seconds",
    "get_job",
    "jobs_directory",
    "list_jobs",
    "main",
    "readable_error",
    "run_job",
    "scan_work",
    "start_scan",
    "start_thread_job",
    "start_training",
]
