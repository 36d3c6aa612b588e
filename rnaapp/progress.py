"""The progress callback type that long work takes, and the ETA text the front ends show with it.

Pages connect a :data:`Progress` callback to ``st.progress``; :class:`ProgressText` turns its
``(done, total)`` calls into "412 of 998 pairs · about 40 s left", and :func:`throttled` keeps a callback
called per pair from redrawing more than a few times a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: ``progress(done, total)``: how long work reports how far it is (total 0 when unknown).
Progress = Callable[[int, int], None]


def format_duration(seconds: float) -> str:
    """``"about 40 s"``, ``"about 3 min"``, ``"about 1 h 5 min"``, ``"less than a second"`` (rounded up)."""
    if seconds < 1:
        return "less than a second"
    if seconds < 60:
        return f"about {math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60} min"


def format_seconds_left(seconds: float) -> str:
    """``"about 40 s left"``, ``"about 3 min left"``, ``"about 1 h 5 min left"`` (rounded up a little)."""
    if not math.isfinite(seconds) or seconds < 0:
        return "estimating time left"
    return f"{format_duration(seconds)} left"


class ProgressText:
    """The text of a progress bar: pairs done of the total, and the time left at the rate so far.

    Parameters
    ----------
    unit
        What is counted (``"pairs"``).
    clock
        Seconds since some fixed point (``time.monotonic``; tests pass their own).
    """

    def __init__(self, unit: str = "pairs", clock: Callable[[], float] = time.monotonic) -> None:
        self.unit = unit
        self.clock = clock
        self.start: tuple[float, int] | None = None  # (time, done) of the first call

    def seconds_left(self, done: int, total: int) -> float:
        """Seconds left at the mean rate since the first call (``inf`` until something more is done).

        The clock starts at the first call, so that loading a model before the work does not count.
        """
        now = self.clock()
        if self.start is None:
            self.start = (now, done)
        started, done_then = self.start
        if done <= done_then or total <= 0:
            return math.inf
        return max(0.0, (now - started) / (done - done_then) * (total - done))

    def __call__(self, done: int, total: int) -> str:
        """``"412 of 998 pairs · about 40 s left"`` (no time left once done)."""
        counted = f"{done:,} of {total:,} {self.unit}"
        left = self.seconds_left(done, total)
        if total <= 0 or done >= total:
            return counted
        return f"{counted} · {format_seconds_left(left)}"


def throttled(
    progress: Progress, interval: float = 0.2, clock: Callable[[], float] = time.monotonic
) -> Progress:
    """``progress`` called at most once per ``interval`` seconds.

    The first call and the last (``done == total``) always pass.
    """
    last = [-math.inf]

    def report(done: int, total: int) -> None:
        now = clock()
        if done >= total or now - last[0] >= interval:
            last[0] = now
            progress(done, total)

    return report


__all__ = ["Progress", "ProgressText", "format_duration", "format_seconds_left", "throttled"]
