"""How models run: one frozen :class:`InferenceOptions` that every entry point builds and passes on.

The pages build it from the user's settings (:meth:`InferenceOptions.from_settings`), the command line from
its flags (:meth:`InferenceOptions.from_flags`), Python callers by hand. Scoring, scanning, evaluation and
ranking all take it, so a setting chosen once reaches every model call.

This module imports torch only inside the functions that need it, so that reading the settings stays cheap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


#: Numeric precisions models can run in: plain float32, or bfloat16 autocast.
PRECISIONS = ("float32", "bfloat16")

#: Device names accepted wherever a device is chosen.
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:[0-9]+)?)$")

#: How a device is named, for messages.
DEVICES_HELP = "'auto' (a GPU when there is one, else the CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'"

#: Scans of at least this many miRNA x transcript nucleotides use worker processes (when more than one core
#: is free and no worker count is given): below it, starting processes (importing torch in each, a few
#: seconds) costs more than it saves. About 15 s of scanning on one core.
PARALLEL_SCAN_WORK = 20_000_000

#: Most CPU threads that score batches at once.
MAX_THREADS = 8


def check_device_name(device: Any) -> str:
    """Validate a device name (``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``); returns it as text.

    Raises
    ------
    ValueError
        For any other name.
    """
    text = str(device)
    if not (isinstance(device, str) or type(device).__name__ == "device") or not DEVICE_PATTERN.match(text):
        raise ValueError(f"unknown device {text!r}: use auto, cpu or cuda (cuda:N for a GPU of several)")
    return text


def resolve_device(device: Any = "auto") -> torch.device:
    """The torch device for a name: ``"auto"`` is CUDA when available, else the CPU.

    Raises
    ------
    ValueError
        For an unknown device name, or when CUDA is requested but not available.
    """
    import torch

    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(check_device_name(device))
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but no CUDA GPU is available; use --device cpu")
    return resolved


def describe_device(device: Any = "auto") -> str:
    """One line on where models run: the GPU's name, or the CPU and its thread count."""
    import torch

    resolved = resolve_device(device)
    if resolved.type == "cuda":
        index = resolved.index if resolved.index is not None else torch.cuda.current_device()
        return f"GPU: {torch.cuda.get_device_name(index)}"
    if resolved.type == "mps":
        return "GPU: Apple Metal (mps)"
    return f"CPU ({torch.get_num_threads()} threads)"


def available_cores() -> int:
    """Cores this process may use (its CPU affinity where the system reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class InferenceOptions:
    """How models run, for every entry point (pages, command line, Python).

    Attributes
    ----------
    device
        Where models are loaded and run: ``"auto"`` (a GPU when there is one, else the CPU), ``"cpu"``,
        ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    batch_size
        Pairs (or windows) per forward pass; at most this many reach a model at once.
    precision
        ``"float32"`` (reproducible everywhere) or ``"bfloat16"`` (autocast; faster on hardware with native
        bfloat16; on the shipped site model probabilities moved by at most 0.023 and the test AUC not at
        all).
    threads
        On the CPU, batches scored at once by this many threads, each with one torch thread (for these
        small networks much faster than one batch over several torch threads). None: one per torch
        thread, at most :data:`MAX_THREADS`; always 1 on a GPU. Results do not depend on it.
    workers
        Worker processes of a scan (:func:`scan_workers`). None: the one rule of :func:`scan_workers`
        (every core for scans of at least :data:`PARALLEL_SCAN_WORK`, else this process only).
    """

    device: str = "auto"
    batch_size: int = 512
    precision: str = "float32"
    threads: int | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        """Check every option, naming the bad one.

        Raises
        ------
        ValueError
            For an unknown device or precision, or counts that are not whole numbers >= 1.
        """
        if not isinstance(self.device, str):
            raise ValueError(f"device must be {DEVICES_HELP}; got {self.device!r}")
        check_device_name(self.device)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}")
        for name in ("batch_size", "threads", "workers"):
            value = getattr(self, name)
            if value is None and name != "batch_size":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{name.replace('_', ' ')} must be a whole number of at least 1; got {value!r}"
                )

    @classmethod
    def from_settings(cls, settings: Any | None = None, **overrides: Any) -> InferenceOptions:
        """The options of the user's settings (:func:`rnaapp.settings.load_settings` when not given).

        Parameters
        ----------
        settings
            A :class:`rnaapp.settings.Settings` (its ``device``, ``batch_size`` and ``precision``).
        **overrides
            Options that replace the settings' (e.g. ``workers=1``).
        """
        if settings is None:
            from rnaapp.settings import load_settings

            settings = load_settings()
        values = {
            "device": settings.device,
            "batch_size": settings.batch_size,
            "precision": settings.precision,
        }
        return cls(**(values | overrides))

    @classmethod
    def from_flags(cls, flags: Any) -> InferenceOptions:
        """The options of command-line flags.

        Any of ``device``, ``batch_size``, ``precision``, ``threads`` and ``workers`` present (and not None)
        on ``flags`` (an ``argparse.Namespace`` or a mapping); defaults for the others.
        """
        names = {field.name for field in fields(cls)}
        source: Mapping[str, Any] = flags if isinstance(flags, Mapping) else vars(flags)
        return cls(**{name: source[name] for name in names if source.get(name) is not None})

    def replace(self, **changes: Any) -> InferenceOptions:
        """A copy with some options changed (checked again)."""
        return replace(self, **changes)

    def torch_device(self) -> torch.device:
        """The resolved torch device (:func:`resolve_device`)."""
        return resolve_device(self.device)

    def autocast_dtype(self) -> torch.dtype | None:
        """The autocast dtype of :attr:`precision`, or None for plain float32."""
        import torch

        return None if self.precision == "float32" else getattr(torch, self.precision)

    def batch_threads(self, device: torch.device) -> int:
        """Threads scoring batches at once on ``device`` (see :attr:`threads`)."""
        import torch

        if device.type != "cpu":
            return 1
        return self.threads or max(1, min(MAX_THREADS, torch.get_num_threads()))


def scan_workers(work: int, options: InferenceOptions | None = None) -> int:
    """Worker processes for a scan of ``work`` miRNA x transcript nucleotides: the one rule.

    ``options.workers`` when given; else every available core for a scan of at least
    :data:`PARALLEL_SCAN_WORK`, and 1 (this process) below it or on a GPU, where one process keeps the
    device busy.
    """
    options = options or InferenceOptions()
    if options.workers is not None:
        return options.workers
    if work < PARALLEL_SCAN_WORK or options.device not in ("auto", "cpu"):
        return 1
    if options.device == "auto":
        import torch

        if torch.cuda.is_available():
            return 1
    return available_cores()
