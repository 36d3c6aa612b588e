"""One training per model name at a time, and a model folder checked before training, not after it.

Training lock
    :class:`TrainingLock` (or :func:`training_lock`, its context manager) is held for the whole of a
    training that will save a model, and for its save: ``rnaapp train``, :func:`rnaapp.train.train_and_save`
    and the Train page's background job (:func:`rnaapp.jobs.start_training`). A second training of the same
    name in the same folder is refused **at its start**, before any data is read, with
    :class:`TrainingInProgressError`: one line naming the running training (its job or command, pid, host
    when another, start time).

    The lock is ``fcntl.flock`` on a small file beside the models, ``.NAME.training.lock`` in the model
    folder, holding who took it (pid, host, start time, job id, command) as JSON. The operating system
    releases a ``flock`` when the process holding it ends, however it ends (``kill -9`` included), so a
    lock file left by a dead process never blocks anyone: there is no stale-lock guessing from pids. The
    file is removed when the lock is released; a lock file without a live holder (say, of a crash before
    the removal) is taken over by the next training.

    A lock can be handed to a child process: the open file descriptor is inherited (``pass_fds``), the
    child adopts it (:meth:`TrainingLock.adopt`) and the parent closes its copy (:meth:`TrainingLock.detach`);
    the lock stays held until the child releases it or dies. This is how the Train page's job holds the
    lock from the moment it is started until its process ends.

Model folder check
    :func:`check_model_folder`: the folder exists or can be created, is writable (a temporary file is
    actually created there and removed, which also catches read-only mounts and holds when running as
    root), and has room (:func:`shutil.disk_usage`) for the model, estimated by :func:`save_bytes_needed`
    from the size of its weights. A problem is a :class:`ModelFolderError`, one line, raised before any
    training work.

Both errors are ``OSError`` subclasses, so that pages and the command line show them as the one-line
messages they are. Locks use ``fcntl`` (POSIX: Linux, macOS).
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from rnaapp.registry.locations import user_directory

__all__ = [
    "LOCK_FD_ENVIRONMENT_VARIABLE",
    "LOCK_SUFFIX",
    "SAVE_MARGIN_BYTES",
    "ModelFolderError",
    "TrainingInProgressError",
    "TrainingLock",
    "check_model_folder",
    "describe_save_failure",
    "describe_holder",
    "lock_holder",
    "lock_path",
    "refuse_while_training",
    "save_bytes_needed",
    "training_lock",
]

#: End of a lock file's name: ``.NAME.training.lock`` in the model folder.
LOCK_SUFFIX = ".training.lock"

#: Environment variable naming the file descriptor of a training lock that a child process inherits.
LOCK_FD_ENVIRONMENT_VARIABLE = "RNAAPP_TRAINING_LOCK_FD"

#: Room kept free beyond twice the weights' size when checking a model folder (card, temporary files).
SAVE_MARGIN_BYTES = 10 * 1024 * 1024

#: How often :meth:`TrainingLock.acquire` retries when the lock file was replaced under it.
_ATTEMPTS = 20


class TrainingInProgressError(OSError):
    """A training of this model name is already running: one line naming it and what to do.

    Attributes
    ----------
    name
        The model name.
    holder
        What the lock file says about the running training (``pid``, ``host``, ``started``, ``job``,
        ``command``); empty when it could not be read.
    """

    def __init__(self, message: str, name: str = "", holder: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.holder = dict(holder or {})

    def __str__(self) -> str:
        """The message (one line)."""
        return str(self.args[0]) if self.args else ""


class ModelFolderError(OSError):
    """A model folder where a model cannot be saved (missing and not creatable, not writable, full)."""

    def __str__(self) -> str:
        """The message (one line)."""
        return str(self.args[0]) if self.args else ""


def lock_path(name: str, directory: str | Path | None = None) -> Path:
    """The lock file of model ``name`` in ``directory`` (the user model folder by default)."""
    folder = Path(directory) if directory is not None else user_directory()
    return folder / f".{name}{LOCK_SUFFIX}"


def _read_holder(path: Path) -> dict[str, Any]:
    """What a lock file says about its holder (empty when unreadable or still being written)."""
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return values if isinstance(values, dict) else {}


def _started_text(started: Any) -> str | None:
    """``14:02`` for a time of today, ``2026-01-31 14:02`` otherwise (None when not a time)."""
    try:
        moment = _dt.datetime.fromtimestamp(float(started))
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    if moment.date() == _dt.date.today():
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def describe_holder(holder: dict[str, Any]) -> str:
    """The running training in a few words, e.g. ``job 20260131-140200-ab12cd, pid 1234, started 14:02``."""
    parts = []
    if holder.get("job"):
        parts.append(f"job {holder['job']}")
    elif holder.get("command"):
        parts.append(str(holder["command"]))
    if holder.get("pid"):
        parts.append(f"pid {holder['pid']}")
    if holder.get("host") and holder["host"] != socket.gethostname():
        parts.append(f"on {holder['host']}")
    started = _started_text(holder.get("started"))
    if started:
        parts.append(f"started {started}")
    return ", ".join(parts) or "details unknown"


def _busy_message(name: str, directory: Path, holder: dict[str, Any]) -> str:
    where = "" if _same_folder(directory, user_directory()) else f" in {directory}"
    return (
        f"a training of model '{name}'{where} is already running ({describe_holder(holder)}); "
        "wait for it or choose another name"
    )


def refuse_while_training(name: str, directory: str | Path | None = None, action: str = "changed") -> None:
    """Raise :class:`TrainingInProgressError` when a training of ``name`` holds its lock now.

    For changes to a saved model (delete, rename) that a running training would undo or collide with.
    """
    holder = lock_holder(name, directory)
    if holder is not None:
        raise TrainingInProgressError(
            f"model '{name}' cannot be {action} while a training of that name is running "
            f"({describe_holder(holder)}); wait for it to finish",
            name,
            holder,
        )


def _same_folder(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return first == second


def _try_flock(descriptor: int) -> bool:
    """Take an exclusive ``flock`` without waiting; False when another open file holds it."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _same_file(descriptor: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``descriptor`` (not removed or replaced since)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (on_disk.st_dev, on_disk.st_ino) == (opened.st_dev, opened.st_ino)


def lock_holder(name: str, directory: str | Path | None = None) -> dict[str, Any] | None:
    """Who holds the training lock of ``name`` now, or None when nobody does.

    Returns
    -------
    dict or None
        The lock file's ``pid``, ``host``, ``started``, ``job`` and ``command`` (empty when it cannot be
        read) while a process holds the lock; None when the lock is free (no file, or a file whose holder
        ended).
    """
    path = lock_path(name, directory)
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if _try_flock(descriptor):  # free: let it go again at once
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            return None
    finally:
        os.close(descriptor)
    return _read_holder(path)


@dataclass
class TrainingLock:
    """The lock on training and saving model ``name`` in ``directory`` (see the module's description).

    Use it as a context manager (``with TrainingLock("x") as lock: ...``) or call :meth:`acquire` and
    :meth:`release` (in ``finally``).

    Parameters
    ----------
    name
        The model name.
    directory
        The model folder the model will be saved in (the user model folder by default).
    job
        The id of the job that trains, written into the lock file for messages.
    command
        What trains, in a few words (``"rnaapp train"``), for messages when there is no job id.
    """

    name: str
    directory: Path | None = None
    job: str | None = None
    command: str | None = None
    _descriptor: int | None = field(default=None, init=False, repr=False)
    _created: list[Path] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        """Settle the folder (the user model folder when none is given)."""
        self.directory = Path(self.directory) if self.directory is not None else user_directory()

    @property
    def path(self) -> Path:
        """The lock file."""
        return lock_path(self.name, self.directory)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._descriptor is not None

    def fileno(self) -> int:
        """The open lock file's descriptor (to hand to a child process with ``pass_fds``)."""
        if self._descriptor is None:
            raise ValueError(f"the training lock of model '{self.name}' is not held")
        return self._descriptor

    def _make_folder(self) -> None:
        folder = Path(self.directory)
        missing = []
        for candidate in (folder, *folder.parents):
            if candidate.exists():
                break
            missing.append(candidate)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ModelFolderError(
                f"cannot save model '{self.name}': the model folder {folder} cannot be created "
                f"({error.strerror or error}); create it or choose another folder"
            ) from None
        self._created = missing  # innermost first: removed again in this order when left empty

    def acquire(self) -> TrainingLock:
        """Take the lock now, or refuse at once.

        Returns
        -------
        TrainingLock
            This lock, held.

        Raises
        ------
        TrainingInProgressError
            When another training of this name holds the lock.
        ModelFolderError
            When the lock file cannot be created (a folder that cannot be created or written).
        """
        if self.held:
            raise ValueError(f"the training lock of model '{self.name}' is held already")
        self._make_folder()
        path = self.path
        for _ in range(_ATTEMPTS):
            try:
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                self._remove_created_folders()
                raise ModelFolderError(
                    f"cannot save model '{self.name}': cannot write in the model folder {self.directory} "
                    f"({error.strerror or error}); fix its permissions or choose another folder"
                ) from None
            if not _try_flock(descriptor):
                os.close(descriptor)
                holder = _read_holder(path)
                self._remove_created_folders()
                raise TrainingInProgressError(
                    _busy_message(self.name, Path(self.directory), holder), self.name, holder
                )
            if _same_file(descriptor, path):
                self._descriptor = descriptor
                self.record()
                return self
            # The holder released (and removed) the file between our open and our lock: open it again.
            os.close(descriptor)
        self._remove_created_folders()
        raise TrainingInProgressError(
            _busy_message(self.name, Path(self.directory), _read_holder(path)), self.name
        )

    def record(self, pid: int | None = None, job: str | None = None) -> None:
        """Write who holds the lock into the lock file (this process, or the child ``pid`` it was handed to)."""
        if job is not None:
            self.job = job
        values = {
            "name": self.name,
            "pid": int(pid if pid is not None else os.getpid()),
            "host": socket.gethostname(),
            "started": time.time(),
            "job": self.job,
            "command": self.command,
        }
        data = (json.dumps(values) + "\n").encode("utf-8")
        descriptor = self.fileno()
        try:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, data, 0)
        except OSError:
            pass  # the lock holds without its description; messages then say "details unknown"

    @classmethod
    def adopt(
        cls,
        descriptor: int,
        name: str,
        directory: str | Path | None = None,
        *,
        job: str | None = None,
        command: str | None = None,
    ) -> TrainingLock | None:
        """Take over a lock held through an inherited file descriptor (in the child process).

        Returns
        -------
        TrainingLock or None
            The held lock, or None when ``descriptor`` is not the open lock file of ``name`` in
            ``directory`` (then take the lock with :meth:`acquire`).
        """
        lock = cls(name, directory, job=job, command=command)
        try:
            if not _same_file(descriptor, lock.path) or not _try_flock(descriptor):
                return None
        except OSError:
            return None
        os.set_inheritable(descriptor, False)
        lock._descriptor = descriptor
        lock.record()
        return lock

    @classmethod
    def adopt_inherited(
        cls, name: str, directory: str | Path | None = None, *, job: str | None = None
    ) -> TrainingLock | None:
        """:meth:`adopt` the descriptor named by :data:`LOCK_FD_ENVIRONMENT_VARIABLE`, if any (then unset it)."""
        value = os.environ.pop(LOCK_FD_ENVIRONMENT_VARIABLE, None)
        try:
            descriptor = int(value) if value else None
        except ValueError:
            descriptor = None
        if descriptor is None:
            return None
        return cls.adopt(descriptor, name, directory, job=job)

    def detach(self) -> None:
        """Close this process's copy of the lock file without releasing the lock (a child holds it now)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
            self._created = []

    def release(self) -> None:
        """Let the lock go and remove its file (and folders that taking it created, when left empty)."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is None:
            return
        try:
            if _same_file(descriptor, self.path):
                # Removed while still locked: whoever opened it meanwhile sees it replaced and retries.
                self.path.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            os.close(descriptor)  # releases the flock
        self._remove_created_folders()

    def _remove_created_folders(self) -> None:
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (something was saved) or not ours to remove
        self._created = []

    def __enter__(self) -> TrainingLock:
        """Take the lock (see :meth:`acquire`)."""
        return self if self.held else self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Release the lock, whatever happened."""
        self.release()

    def __del__(self) -> None:
        """Close a descriptor left open (the OS would release the lock at exit anyway)."""
        descriptor = getattr(self, "_descriptor", None)
        if descriptor is not None and not sys.is_finalizing():
            try:
                os.close(descriptor)
            except OSError:
                pass


def training_lock(
    name: str,
    directory: str | Path | None = None,
    *,
    job: str | None = None,
    command: str | None = None,
) -> TrainingLock:
    """The training lock of model ``name``, to use with ``with`` (taken on entering, released on leaving).

    Examples
    --------
    >>> with training_lock("my-model"):  # doctest: +SKIP
    ...     model = fit("mitar", pairs, name="my-model")
    ...     save_model(model)
    """
    return TrainingLock(name, directory, job=job, command=command)


def save_bytes_needed(weight_bytes: int | None) -> int:
    """Free bytes a model folder needs for a model whose weights take ``weight_bytes``.

    Twice the weights (the new file is written beside the previous one before it replaces it) plus
    :data:`SAVE_MARGIN_BYTES`; only the margin when the size is unknown.
    """
    return 2 * max(0, int(weight_bytes or 0)) + SAVE_MARGIN_BYTES


def _size_text(count: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"  # pragma: no cover - the loop returns


def _probe_writable(folder: Path) -> None:
    """Create and remove a temporary file in ``folder``; raises the ``OSError`` when that fails."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".rnaapp-write-check.", suffix=".tmp")
    os.close(handle)
    os.unlink(temporary)


def check_model_folder(
    directory: str | Path | None = None, needed_bytes: int = 0, *, name: str | None = None
) -> Path:
    """Check, before training, that a model can be saved in ``directory``; nothing is left there.

    Parameters
    ----------
    directory
        The model folder (the user model folder by default). It need not exist: then the nearest folder
        above it that exists is checked, where it would be created.
    needed_bytes
        Free bytes required (see :func:`save_bytes_needed`); 0 checks the folder only.
    name
        The model's name, for the message.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    ModelFolderError
        One line: the folder is a file, cannot be created, is not writable, or lacks room.
    """
    folder = Path(directory) if directory is not None else user_directory()
    what = f"cannot save model '{name}'" if name else "cannot save a model"
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise ModelFolderError(
            f"{what}: {existing} is a file, not a folder, so the model folder {folder} cannot be made there; "
            "choose another folder"
        )
    place = (
        f"the model folder {folder}"
        if existing == folder
        else f"the folder {existing}, where the model folder {folder} would be created,"
    )
    try:
        _probe_writable(existing)
    except OSError as error:
        raise ModelFolderError(
            f"{what}: {place} is not writable ({error.strerror or error}); fix its permissions or choose "
            "another folder"
        ) from None
    if needed_bytes > 0:
        try:
            free = shutil.disk_usage(existing).free
        except OSError:
            free = None
        if free is not None and free < needed_bytes:
            raise ModelFolderError(
                f"{what}: not enough free space in {existing} ({_size_text(free)} free, about "
                f"{_size_text(needed_bytes)} needed); free some space or choose another folder"
            )
    return folder


def describe_save_failure(name: str, directory: str | Path | None, error: BaseException) -> str:
    """One line saying that a finished training's model could not be saved, and why.

    Parameters
    ----------
    name
        The model's name.
    directory
        The model folder (the user model folder when None).
    error
        What the save raised: the registry's one-line ``ModelSaveError``, another ``OSError``, or a
        safetensors error.
    """
    text = " ".join(str(error).split())
    if f"model '{name}'" in text:  # already the registry's one line naming the model, folder and cause
        return f"training finished, but {text}"
    folder = Path(directory) if directory is not None else user_directory()
    if isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:  # safetensors: "Error while serializing: I/O error: No space left on device (os error 28)"
        reason = (
            text.removeprefix("Error while serializing: ").removeprefix("I/O error: ") or type(error).__name__
        )
    return (
        f"training finished, but model '{name}' could not be saved in {folder} ({reason}); "
        f"the previous model '{name}', if any, is kept as it was"
    )
