"""What every background job offers, whatever runs it: states, status, progress, ETA, cancel, result.

A job is either a training in its own process (:class:`rnaapp.jobs.training.TrainingJob`, state on disk)
or work in a thread of this process (:class:`rnaapp.jobs.threads.ThreadJob`, e.g. a scan of the Scan
page). Both satisfy :class:`Job`, and both describe themselves with the same :meth:`Job.status`
dictionary, so that a page shows either with the same progress bar, ETA and cancel button.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

#: Job states; the last three are final.
STATES = ("queued", "running", "finished", "failed", "cancelled")
FINAL_STATES = frozenset({"finished", "failed", "cancelled"})

#: Keys every :meth:`Job.status` holds (runners add their own, e.g. ``model`` or ``done``).
STATUS_KEYS = ("state", "fraction", "message", "started", "updated", "eta_seconds", "error")


def complete_status(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every key of :data:`STATUS_KEYS` present (queued, nothing done, when missing)."""
    base: dict[str, Any] = dict.fromkeys(STATUS_KEYS)
    base.update(state="queued", fraction=0.0, message="")
    return base | values


def eta_seconds(elapsed: float, fraction: float, *, min_fraction: float = 0.01) -> float | None:
    """Seconds left when ``fraction`` of the work took ``elapsed`` seconds (None before ``min_fraction``).

    Parameters
    ----------
    elapsed
        Seconds since the work started.
    fraction
        Share of the work done, 0-1.
    min_fraction
        Below this share done, the estimate is too rough to show: None.
    """
    if fraction <= min_fraction or fraction != fraction:
        return None
    return max(0.0, elapsed * (1 - fraction) / fraction)


def readable_error(error: BaseException) -> str:
    """The message of a failure as a user should read it (no quotes around a ``KeyError``'s text)."""
    if isinstance(error, (ValueError, FloatingPointError)):
        return str(error)
    if isinstance(error, OSError) and error.errno is None and len(error.args) == 1:
        return str(error)  # a one-line message of rnaapp's own (a refused training, a failed save)
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return f"{type(error).__name__}: {error}"


@runtime_checkable
class Job(Protocol):
    """The one job interface: what pages and scripts use to follow, cancel and read a background job."""

    @property
    def id(self) -> str:
        """A name unique among this kind of job."""
        ...

    def status(self) -> dict[str, Any]:
        """The current state as a dictionary with at least :data:`STATUS_KEYS`.

        ``state`` is one of :data:`STATES`, ``fraction`` 0-1, ``message`` the last progress text,
        ``started`` and ``updated`` UNIX seconds, ``eta_seconds`` seconds left (or None) and ``error``
        the readable failure (or None).
        """
        ...

    def cancel(self) -> None:
        """Ask the job to stop at its next check; nothing it would have produced is kept."""
        ...

    @property
    def cancel_requested(self) -> bool:
        """Whether :meth:`cancel` was called."""
        ...

    @property
    def result(self) -> Any:
        """What the job produced once finished (None before, or when it failed or was cancelled)."""
        ...

    @property
    def error(self) -> str | None:
        """Why the job failed, for the user (None unless its state is ``failed``)."""
        ...


class JobStatusMixin:
    """What :class:`Job` implementations derive from their :meth:`Job.status`: state, running, wait."""

    def status(self) -> dict[str, Any]:  # pragma: no cover - every job defines it
        """The job's status (see :meth:`Job.status`)."""
        raise NotImplementedError

    @property
    def state(self) -> str:
        """The job's state (one of :data:`STATES`)."""
        return str(self.status().get("state", "queued"))

    @property
    def running(self) -> bool:
        """Whether the job has not reached a final state yet."""
        return self.state not in FINAL_STATES

    def wait(self, timeout: float = 600.0, poll: float = 0.2) -> dict[str, Any]:
        """Block until the job reaches a final state (or ``timeout`` seconds); returns its status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if status.get("state") in FINAL_STATES or time.monotonic() > deadline:
                return status
            time.sleep(poll)
