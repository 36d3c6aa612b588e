"""The thread runner: long work of this process (a scan of the Scan page) as a background job.

The work runs in a daemon thread and reports through the same :class:`rnaapp.jobs.base.Job` interface as
a training process: :meth:`ThreadJob.status` (state, fraction, ETA, message), :meth:`ThreadJob.cancel`,
:attr:`ThreadJob.result` and :attr:`ThreadJob.error`. Its state lives in memory, so a page keeps the job
object (in its session state) to follow it across reruns.

The work is a function ``work(progress, should_stop)``: it calls ``progress(done, total)`` as it goes and
polls ``should_stop()``, stopping (by raising) when it returns True.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from rnaapp.jobs.base import FINAL_STATES, JobStatusMixin, complete_status, eta_seconds, readable_error
from rnaapp.progress import Progress

__all__ = ["ETA_MIN_FRACTION", "ThreadJob", "Work", "start_thread_job"]

T = TypeVar("T")

#: ``work(progress, should_stop)``: what a :class:`ThreadJob` runs.
Work = Callable[[Progress, Callable[[], bool]], T]

#: Share of the work done before a thread job estimates the time left.
ETA_MIN_FRACTION = 0.02


class ThreadJob(JobStatusMixin, Generic[T]):
    """Work running in a thread of this process, followed like any :class:`rnaapp.jobs.base.Job`.

    Parameters
    ----------
    work
        ``work(progress, should_stop)``, returning the job's result.
    description
        What the job does, e.g. ``"scan"`` (the start of its id, and its first message).
    cancelled_by
        Exceptions with which ``work`` says it stopped because ``should_stop()`` returned True; any
        exception raised after :meth:`cancel` counts as a cancellation too.

    Attributes
    ----------
    started, ended
        UNIX seconds when the work started and ended (None before).
    done, total
        The last progress reported (``total`` 0 while unknown).
    """

    def __init__(
        self,
        work: Work[T],
        *,
        description: str = "job",
        cancelled_by: tuple[type[BaseException], ...] = (),
    ) -> None:
        self._id = f"{description}-{secrets.token_hex(4)}"
        self._work = work
        self._cancelled_by = cancelled_by
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._state = "queued"
        self._message = description
        self._result: T | None = None
        self._error: str | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.done = 0
        self.total = 0

    @property
    def id(self) -> str:
        """A name unique in this process, e.g. ``"scan-1f2e3d4c"``."""
        return self._id

    def start(self) -> ThreadJob[T]:
        """Start the work in a daemon thread (once); returns the job.

        Raises
        ------
        RuntimeError
            When the job was started before.
        """
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"job {self.id} was started already")
            self.started = time.time()
            self._state = "running"
            self._thread = threading.Thread(target=self._run, name=self.id, daemon=True)
        self._thread.start()
        return self

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            self.done, self.total = int(done), int(total)

    def _run(self) -> None:
        try:
            result = self._work(self._progress, self._cancel.is_set)
        except BaseException as error:  # noqa: BLE001 - every failure must end in a readable state
            with self._lock:
                if self._cancel.is_set() or isinstance(error, self._cancelled_by):
                    self._state, self._message = "cancelled", "cancelled; nothing was kept"
                else:
                    self._state, self._message = "failed", "failed"
                    self._error = readable_error(error)
                self.ended = time.time()
            if not isinstance(error, Exception):
                raise
            return
        with self._lock:
            self._result = result
            self._state, self._message = "finished", "finished"
            self.ended = time.time()

    @property
    def fraction(self) -> float:
        """Share of the work done, 0-1 (1 once finished)."""
        if self._state == "finished":
            return 1.0
        return min(1.0, self.done / self.total) if self.total else 0.0

    @property
    def elapsed(self) -> float:
        """Seconds the work has run (until it ended); 0 before it started."""
        if self.started is None:
            return 0.0
        return (self.ended or time.time()) - self.started

    def status(self) -> dict[str, Any]:
        """The job's state as :meth:`rnaapp.jobs.base.Job.status` describes it.

        Also ``done`` and ``total`` (the last progress reported) and ``ended`` (UNIX seconds, or None).
        """
        with self._lock:
            fraction = self.fraction
            final = self._state in FINAL_STATES
            return complete_status(
                {
                    "state": self._state,
                    "fraction": fraction,
                    "message": self._message,
                    "started": self.started,
                    "updated": time.time(),
                    "ended": self.ended,
                    "eta_seconds": 0.0
                    if self._state == "finished"
                    else None
                    if final
                    else eta_seconds(self.elapsed, fraction, min_fraction=ETA_MIN_FRACTION),
                    "error": self._error,
                    "done": self.done,
                    "total": self.total,
                }
            )

    @property
    def state(self) -> str:
        """The job's state (one of :data:`rnaapp.jobs.base.STATES`)."""
        return self._state

    def cancel(self) -> None:
        """Ask the work to stop (its ``should_stop()`` returns True from now on)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel.is_set()

    @property
    def result(self) -> T | None:
        """What the work returned, once finished (None before, or when it failed or was cancelled)."""
        return self._result

    @property
    def error(self) -> str | None:
        """Why the work failed, for the user (None unless the state is ``failed``)."""
        return self._error


def start_thread_job(
    work: Work[T], *, description: str = "job", cancelled_by: tuple[type[BaseException], ...] = ()
) -> ThreadJob[T]:
    """Start ``work(progress, should_stop)`` in a background thread (see :class:`ThreadJob`).

    Returns
    -------
    ThreadJob
        The running job.
    """
    return ThreadJob(work, description=description, cancelled_by=cancelled_by).start()
