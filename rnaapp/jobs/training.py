"""The process runner: training as a background job, a separate process whose state lives on disk.

The app starts a job and returns at once; the job survives page switches, browser reloads and even an app
restart, because everything about it is a folder under ``<RNAAPP_HOME>/jobs/<job id>/``:

``spec.json``
    What to train (family, name, settings, data file, folds), written before the process starts.
``data.csv``
    The labelled pairs (a copy of what was uploaded, already validated).
``status.json``
    Rewritten atomically as training goes: state, progress fraction, ETA, last message, result.
``history.jsonl``
    One JSON line per finished epoch (losses and validation metrics) for the live curves.
``cancel``
    Created to ask the job to stop; polled between training steps.
``log.txt``
    Everything the process printed (tracebacks of unexpected failures end up here).

The model is saved with :func:`rnaapp.registry.save_model` (atomic) only after training succeeded, so a
failed or cancelled job never touches an existing model. Run a job by hand with
``python -m rnaapp.jobs <job folder>``.

One training per model name: :func:`start_training` checks the user model folder (writable, room for the
model) and takes the name's training lock (:mod:`rnaapp.registry.locks`) before it writes anything, so a
second start of the same name raises :class:`~rnaapp.registry.locks.TrainingInProgressError` at once. The
lock is handed to the training process, which holds it until the model is saved (the operating system
releases it if the process dies). The server waits for every training process it started (a daemon thread
per process), so a finished training leaves no zombie process behind.

:class:`TrainingJob` is a :class:`rnaapp.jobs.base.Job`, like the scans that run in threads
(:mod:`rnaapp.jobs.threads`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import secrets
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rnaapp.io import atomic_write
from rnaapp.jobs.base import (
    FINAL_STATES,
    STATES,
    JobStatusMixin,
    complete_status,
    eta_seconds,
    readable_error,
)
from rnaapp.registry import user_directory
from rnaapp.registry.locks import (
    LOCK_FD_ENVIRONMENT_VARIABLE,
    ModelFolderError,
    TrainingInProgressError,
    TrainingLock,
    describe_save_failure,
)

__all__ = [
    "FINAL_STATES",
    "STATES",
    "TrainingJob",
    "get_job",
    "jobs_directory",
    "list_jobs",
    "main",
    "run_job",
    "start_training",
]


#: Failures that are refusals with a one-line message of their own (no traceback in the log).
_REFUSALS = (TrainingInProgressError, ModelFolderError)


def jobs_directory() -> Path:
    """Folder holding one sub-folder per job (beside the user model folder)."""
    return user_directory().parent / "jobs"


def _write_json(path: Path, values: dict[str, Any]) -> None:
    text = json.dumps(values, indent=2, default=str) + "\n"
    atomic_write(path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8"))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child that nobody waited for is a zombie: not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(frozen=True)
class TrainingJob(JobStatusMixin):
    """A training job, identified by its folder (a :class:`rnaapp.jobs.base.Job`)."""

    directory: Path

    @property
    def id(self) -> str:
        """The job's id: the name of its folder."""
        return self.directory.name

    @property
    def spec(self) -> dict[str, Any]:
        """What was asked for (see :func:`start_training`)."""
        return _read_json(self.directory / "spec.json")

    def status(self) -> dict[str, Any]:
        """Current state.

        Returns
        -------
        dict
            ``state`` (one of :data:`STATES`), ``fraction`` (0-1), ``message``, ``started`` and
            ``updated`` (UNIX seconds), ``eta_seconds`` (or None), ``model`` (name once saved), ``error``,
            once finished ``verdict`` (the model against chance and its task's baselines, as stored in its
            card: :func:`rnaapp.train.judge_training`; absent for jobs of earlier releases) and, after
            cross-validation, ``cross_validation`` (rows of fold metrics).
        """
        status = complete_status(_read_json(self.directory / "status.json"))
        if status.get("state") not in FINAL_STATES:
            pid = status.get("pid") or _read_json(self.directory / "spec.json").get("pid")
            if pid and not _process_alive(int(pid)):
                status.update(
                    state="failed",
                    error="the training process stopped unexpectedly (see log.txt in the job folder)",
                )
        return status

    def history(self) -> list[dict[str, Any]]:
        """Finished epochs in order (one dict per epoch: epoch, fold, train_loss, valid_loss, metrics)."""
        path = self.directory / "history.jsonl"
        if not path.is_file():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue  # a line being written right now
        return rows

    def cancel(self) -> None:
        """Ask the job to stop at its next training step (nothing is saved)."""
        (self.directory / "cancel").touch()

    @property
    def cancel_requested(self) -> bool:
        """Whether :meth:`cancel` was called (the ``cancel`` file exists in the job folder)."""
        return (self.directory / "cancel").exists()

    def log(self) -> str:
        """Everything the training process printed so far (``log.txt``); ``""`` when there is no log yet."""
        path = self.directory / "log.txt"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    @property
    def result(self) -> str | None:
        """The name of the saved model once the job finished, else None."""
        status = self.status()
        return status.get("model") if status.get("state") == "finished" else None

    @property
    def error(self) -> str | None:
        """Why the job failed (None unless it failed)."""
        status = self.status()
        return (status.get("error") or "unknown error") if status.get("state") == "failed" else None


def list_jobs() -> list[TrainingJob]:
    """Every job, newest first."""
    root = jobs_directory()
    if not root.is_dir():
        return []
    jobs = [TrainingJob(path) for path in root.iterdir() if (path / "spec.json").is_file()]
    # Ids start with the start time to the second; the spec's time orders jobs started within one second.
    return sorted(jobs, key=lambda job: (float(job.spec.get("created") or 0.0), job.id), reverse=True)


def get_job(job_id: str) -> TrainingJob:
    """The job with this id (``KeyError`` when there is none)."""
    directory = jobs_directory() / job_id
    if not (directory / "spec.json").is_file():
        raise KeyError(f"no training job '{job_id}'")
    return TrainingJob(directory)


def start_training(
    pairs: pd.DataFrame,
    *,
    family: str,
    name: str,
    model_settings: dict[str, Any] | None = None,
    training_settings: dict[str, Any] | None = None,
    folds: int = 0,
    data_description: str = "uploaded data",
    make_default: bool = False,
    run_in_process: bool = False,
) -> TrainingJob:
    """Start training ``family`` on ``pairs`` in a background process.

    Parameters
    ----------
    pairs
        Labelled pairs as :func:`rnaapp.io.read_pairs` returns them (validated by the caller).
    family, name
        Model family and the name to save the model under (in the user model folder).
    model_settings, training_settings
        Overrides of the family's config and of :class:`rnaapp.train.TrainingConfig`.
    folds
        When >= 2, first run stratified k-fold cross-validation (reported in the status and the card),
        then train the final model on all pairs.
    data_description
        What the data was (file name), written to the model card.
    make_default
        Make the new model the default of its task and family once saved.
    run_in_process
        Run the job in this process, blocking (for tests and scripts), instead of a background process.

    Returns
    -------
    TrainingJob

    Raises
    ------
    ValueError
        For a name that :func:`rnaapp.registry.check_new_name` refuses.
    rnaapp.registry.locks.TrainingInProgressError
        (an ``OSError``) when a training of ``name`` is already running; one line naming it.
    rnaapp.registry.locks.ModelFolderError
        (an ``OSError``) when the user model folder cannot be written or lacks room for the model.
    """
    from rnaapp.registry import check_new_name
    from rnaapp.train import check_can_save

    name = check_new_name(name)
    seed = (training_settings or {}).get("seed", 0)
    check_can_save(
        name,
        family,
        pairs,
        model_config=model_settings,
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else 0,
    )
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    job_id = f"{stamp}-{secrets.token_hex(3)}"
    lock = TrainingLock(name, job=job_id).acquire()  # refuses a second training of this name, at once
    try:
        job = _create_job(
            job_id,
            pairs,
            family=family,
            name=name,
            model_settings=model_settings,
            training_settings=training_settings,
            folds=folds,
            data_description=data_description,
            make_default=make_default,
        )
        if run_in_process:
            run_job(job.directory, lock=lock)
            return job
        process = _spawn(job.directory, lock)
    except BaseException:
        lock.release()
        raise
    lock.record(pid=process.pid, job=job_id)
    lock.detach()  # the training process holds the lock now, until it ends
    return job


def _create_job(
    job_id: str,
    pairs: pd.DataFrame,
    *,
    family: str,
    name: str,
    model_settings: dict[str, Any] | None,
    training_settings: dict[str, Any] | None,
    folds: int,
    data_description: str,
    make_default: bool,
) -> TrainingJob:
    """Write the job folder: the data, ``spec.json`` and a queued ``status.json``."""
    directory = jobs_directory() / job_id
    directory.mkdir(parents=True)
    wanted = ("mirna_id", "mirna_seq", "target_id", "target_seq", "label", "species")
    columns = [column for column in wanted if column in pairs.columns]
    pairs[columns].to_csv(directory / "data.csv", index=False)
    spec = {
        "family": family,
        "name": name,
        "model_settings": dict(model_settings or {}),
        "training_settings": dict(training_settings or {}),
        "folds": int(folds),
        "data": data_description,
        "pairs": int(len(pairs)),
        "make_default": bool(make_default),
        "created": time.time(),
    }
    _write_json(directory / "spec.json", spec)
    _write_json(directory / "status.json", {"state": "queued", "fraction": 0.0, "message": "starting"})
    return TrainingJob(directory)


def _spawn(directory: Path, lock: TrainingLock) -> subprocess.Popen:
    """Start the training process of the job in ``directory``, handing it ``lock``; it is reaped when it ends."""
    # The child imports rnaapp from the same place as this process, whatever its working directory.
    environment = os.environ.copy()
    package_root = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    )
    environment[LOCK_FD_ENVIRONMENT_VARIABLE] = str(lock.fileno())
    with open(directory / "log.txt", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rnaapp.jobs", str(directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the app's reruns and restarts
            env=environment,
            pass_fds=(lock.fileno(),),  # the training lock: held by the process for its whole run
        )
    _reap_when_done(process)
    spec_path = directory / "spec.json"
    try:
        _write_json(spec_path, _read_json(spec_path) | {"pid": process.pid})
    except OSError:
        pass  # the process writes its pid into status.json itself
    return process


def _reap_when_done(process: subprocess.Popen) -> threading.Thread:
    """Wait for ``process`` in a daemon thread, so that it leaves no zombie once it ends."""
    reaper = threading.Thread(target=process.wait, name=f"reap-training-{process.pid}", daemon=True)
    reaper.start()
    return reaper


class _StatusWriter:
    """Writes ``status.json`` from training events, at most a few times per second."""

    def __init__(self, directory: Path, rounds: int) -> None:
        self.directory = directory
        self.rounds = rounds  # folds of cross-validation + the final training
        self.round = 0
        self.values: dict[str, Any] = {
            "state": "running",
            "fraction": 0.0,
            "message": "preparing",
            "pid": os.getpid(),
            "started": time.time(),
            "eta_seconds": None,
        }
        self.last_write = 0.0

    def update(self, force: bool = False, **values: Any) -> None:
        self.values.update(values, updated=time.time())
        if force or time.time() - self.last_write > 0.3:
            _write_json(self.directory / "status.json", self.values)
            self.last_write = time.time()

    def event(self, event: Any) -> None:
        fraction = (self.round + event.fraction) / self.rounds
        elapsed = time.time() - self.values["started"]
        eta = eta_seconds(elapsed, fraction, min_fraction=0.01)
        label = f"fold {self.round + 1}/{self.rounds - 1}: " if self.round < self.rounds - 1 else ""
        if event.stage == "epoch":
            row = {
                "round": self.round,
                "fold": self.round + 1 if self.round < self.rounds - 1 else None,
                "epoch": event.epoch,
                "train_loss": event.train_loss,
                "valid_loss": event.valid_loss,
                **{key: value for key, value in event.valid_metrics.items() if math.isfinite(value)},
                "improved": event.improved,
                "elapsed": round(elapsed, 2),
            }
            with open(self.directory / "history.jsonl", "a", encoding="utf-8") as history:
                history.write(json.dumps(row) + "\n")
        self.update(
            force=event.stage == "epoch", fraction=fraction, eta_seconds=eta, message=label + event.message
        )


def run_job(directory: str | Path, *, lock: TrainingLock | None = None) -> dict[str, Any]:
    """Run the job in ``directory`` in this process (what the background process does).

    The training lock of the model name is ``lock`` when given (held already; released here), else the one
    this process inherited from :func:`start_training`, else it is taken here; a job whose name is locked
    by another training fails at once with the message saying which. The lock is released before the final
    status is written, so once a job reads as ended its name can be trained again.

    Returns
    -------
    dict
        The final status (see :meth:`TrainingJob.status`).
    """
    from safetensors import SafetensorError

    from rnaapp.io import read_pairs
    from rnaapp.models import FAMILIES
    from rnaapp.registry import save_model, set_default
    from rnaapp.train import TrainingCancelled, check_can_save, cross_validate, fit, training_config_for

    directory = Path(directory)
    spec = _read_json(directory / "spec.json")
    job = TrainingJob(directory)
    folds = int(spec.get("folds") or 0)
    writer = _StatusWriter(directory, rounds=(folds + 1) if folds >= 2 else 1)
    writer.update(force=True)
    final: dict[str, Any]
    try:
        if lock is None:
            lock = TrainingLock.adopt_inherited(spec["name"], job=directory.name) or TrainingLock(
                spec["name"], job=directory.name
            )
        if not lock.held:
            lock.acquire()  # refuses at once when another training of this name holds it
        training = training_config_for(spec["family"], spec.get("training_settings"))
        # miRNA-gene families train on pairs given by names only (empty sequences).
        pairs = read_pairs(
            directory / "data.csv",
            name=spec.get("data", "data.csv"),
            require_label=True,
            require_sequences=getattr(FAMILIES.get(spec["family"]), "task", None) != "gene",
        )
        check_can_save(
            spec["name"], spec["family"], pairs, model_config=spec.get("model_settings"), seed=training.seed
        )
        cv_rows = None
        if folds >= 2:
            fold_counter = iter(range(folds))

            def fold_progress(event: Any) -> None:
                if event.stage == "prepare" and event.message.startswith("featurising"):
                    writer.round = next(fold_counter, folds - 1)
                writer.event(event)

            table = cross_validate(
                spec["family"],
                pairs,
                folds=folds,
                model_config=spec.get("model_settings"),
                training_config=training,
                progress=fold_progress,
                should_stop=lambda: job.cancel_requested,
            )
            cv_rows = table.to_dict(orient="records")
            writer.update(force=True, cross_validation=cv_rows)
            writer.round = folds
        model = fit(
            spec["family"],
            pairs,
            None,
            model_config=spec.get("model_settings"),
            training_config=training,
            progress=writer.event,
            should_stop=lambda: job.cancel_requested,
            name=spec["name"],
            verdict=True,
        )
        model.card.training.update(
            {
                "data": spec.get("data", "uploaded data"),
                "split": f"{training.valid_fraction:.0%} of the data held out for early stopping",
                "seed": training.seed,
                "command": "trained in the app (Train page), job " + directory.name,
            }
        )
        if cv_rows is not None:
            model.card.metrics["cross_validation"] = {
                "folds": folds,
                "mean": next(row for row in cv_rows if row["fold"] == "mean"),
                "std": next(row for row in cv_rows if row["fold"] == "std"),
            }
        if job.cancel_requested:  # asked for after the last training step: still nothing is saved
            raise TrainingCancelled("training was cancelled; no model was saved")
        writer.update(force=True, message="saving the model", fraction=1.0)
        try:
            save_model(model, name=spec["name"])
        except (OSError, SafetensorError) as error:
            raise _SaveFailed(describe_save_failure(spec["name"], None, error)) from error
        if spec.get("make_default"):
            set_default(spec["name"])
        final = {
            "state": "finished",
            "fraction": 1.0,
            "eta_seconds": 0,
            "model": spec["name"],
            "message": f"saved model '{spec['name']}' (best validation AUC "
            f"{model.card.training.get('best_valid_auc', math.nan):.4f})",
            "verdict": model.card.training.get("verdict"),
        }
    except TrainingCancelled:
        final = {"state": "cancelled", "message": "cancelled; nothing was saved", "eta_seconds": None}
    except Exception as error:  # noqa: BLE001 - every failure must end in a readable state
        if not isinstance(error, (_SaveFailed, *_REFUSALS)):
            traceback.print_exc()
        final = {
            "state": "failed",
            "error": readable_error(error),
            "message": "failed; nothing was saved",
            "eta_seconds": None,
        }
    finally:
        if lock is not None:
            lock.release()
    writer.update(force=True, **final)
    return writer.values


class _SaveFailed(OSError):
    """A finished training whose model could not be saved (one line, from ``describe_save_failure``)."""

    def __str__(self) -> str:
        """The message (one line)."""
        return str(self.args[0]) if self.args else ""


def main(argv: list[str] | None = None) -> int:
    """Run the job in the folder named on the command line (``python -m rnaapp.jobs JOB_FOLDER``).

    Returns
    -------
    int
        Exit status: 0 when the job finished, 1 when it failed or was cancelled, 2 for a wrong usage.
    """
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m rnaapp.jobs JOB_FOLDER", file=sys.stderr)
        return 2
    status = run_job(arguments[0])
    return 0 if status.get("state") == "finished" else 1
