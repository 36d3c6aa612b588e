"""No lost training: one training per model name, the model folder checked before training, one-line errors.

A second training of a name that is being trained is refused at its start (``rnaapp train``,
:func:`rnaapp.train.train_and_save`, the Train page's job); a lock left by a dead process does not block; a
model folder that is not writable or lacks room is refused before any training work; a save that fails after
training is one line; and a bad ``--config`` file is one line naming it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import pytest

import rnaapp.registry.locks as locks
import rnaapp.registry.store
from rnaapp.cli import main
from rnaapp.jobs import list_jobs, start_training
from rnaapp.registry import list_models, load_model, save_model, user_directory
from rnaapp.registry.locks import (
    ModelFolderError,
    TrainingInProgressError,
    TrainingLock,
    check_model_folder,
    lock_holder,
    lock_path,
    save_bytes_needed,
    training_lock,
)
from rnaapp.train import fit, model_weight_bytes, train_and_save, training_config_for

from .conftest import REPOSITORY, synthetic_pairs

QUICK = training_config_for("seed_rule", {"epochs": 1})
#: Long enough that a job is still running when the test starts a second one (it is cancelled then).
LONG = {"epochs": 100_000, "patience": 100_000}
Usage = namedtuple("Usage", "total used free")


def run(capsys, *arguments: str | Path) -> tuple[int, str, str]:
    """``main(arguments)`` with its exit status, stdout and stderr."""
    capsys.readouterr()
    status = main([str(argument) for argument in arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str) -> str:
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("rnaapp: error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture
def pair_file(tmp_path) -> Path:
    path = tmp_path / "pairs.csv"
    synthetic_pairs(120, seed=2).to_csv(path, index=False)
    return path


def train_command(data: Path, name: str, models: Path, *extra: str | Path) -> list[str | Path]:
    return [
        "train",
        "--family",
        "seed_rule",
        "--data",
        data,
        "--name",
        name,
        "--epochs",
        "1",
        "--output",
        models,
        *extra,
    ]


def hold_in_another_process(name: str, directory: Path) -> subprocess.Popen:
    """A process that takes the training lock of ``name`` and keeps it until killed."""
    code = (
        "import sys, time\n"
        "from rnaapp.registry.locks import TrainingLock\n"
        "lock = TrainingLock(sys.argv[1], sys.argv[2], command='holder-process').acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, name, str(directory)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPOSITORY,
    )
    assert process.stdout.readline().strip() == "held"
    return process


# ---------------------------------------------------------------------------------------------------------
# The lock itself
# ---------------------------------------------------------------------------------------------------------


def test_a_second_lock_of_a_name_is_refused_naming_the_first(tmp_path):
    with training_lock("x", tmp_path, job="20260131-140200-abcdef") as lock:
        assert lock.held and lock_path("x", tmp_path).is_file()
        holder = lock_holder("x", tmp_path)
        assert holder["pid"] == os.getpid() and holder["job"] == "20260131-140200-abcdef"
        with pytest.raises(TrainingInProgressError) as refused:
            TrainingLock("x", tmp_path).acquire()
        message = str(refused.value)
        assert message.startswith("a training of model 'x' in ")
        assert f"(job 20260131-140200-abcdef, pid {os.getpid()}, started " in message
        assert message.endswith("; wait for it or choose another name")
        assert "\n" not in message
        assert isinstance(refused.value, OSError)  # pages and the command line show it as one line
        with training_lock("y", tmp_path):  # another name is not blocked
            pass
    assert not lock_path("x", tmp_path).exists()  # released and removed
    assert lock_holder("x", tmp_path) is None
    with training_lock("x", tmp_path):  # free again
        pass


def test_a_lock_of_another_process_blocks_until_that_process_dies(tmp_path):
    holder = hold_in_another_process("x", tmp_path)
    try:
        with pytest.raises(TrainingInProgressError, match=f"holder-process, pid {holder.pid}, started"):
            TrainingLock("x", tmp_path).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
    assert lock_path("x", tmp_path).is_file()  # left behind by the killed process ...
    assert lock_holder("x", tmp_path) is None  # ... but nobody holds it
    with training_lock("x", tmp_path) as lock:  # taken over
        assert lock_holder("x", tmp_path)["pid"] == os.getpid()
        assert lock.held


def test_a_stale_lock_file_of_a_dead_pid_does_not_block(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = {"pid": int(dead.stdout), "host": "here", "started": time.time() - 3600, "job": "old-job"}
    lock_path("x", tmp_path).write_text(json.dumps(stale), encoding="utf-8")
    assert lock_holder("x", tmp_path) is None
    with training_lock("x", tmp_path):
        assert lock_holder("x", tmp_path)["pid"] == os.getpid()
    assert not lock_path("x", tmp_path).exists()


def test_taking_a_lock_creates_the_folder_and_a_failed_run_leaves_none(tmp_path):
    folder = tmp_path / "home" / "models"
    with training_lock("x", folder):
        assert folder.is_dir()
    assert not folder.exists() and not folder.parent.exists()  # nothing was saved: nothing left
    with training_lock("x", folder):
        (folder / "kept.json").write_text("{}", encoding="utf-8")
    assert (folder / "kept.json").is_file()


# ---------------------------------------------------------------------------------------------------------
# The model folder check
# ---------------------------------------------------------------------------------------------------------


def test_a_full_disk_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 4_000_000, 4_000_000))
    with pytest.raises(ModelFolderError, match=r"not enough free space in .* \(4\.0 MB free, about 12\.5 MB"):
        check_model_folder(tmp_path, save_bytes_needed(1_000_000), name="x")
    check_model_folder(tmp_path, 3_000_000, name="x")  # room enough


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    def refuse(folder):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(locks, "_probe_writable", refuse)
    with pytest.raises(
        ModelFolderError, match=f"the model folder {tmp_path} is not writable .Permission denied."
    ) as refused:
        check_model_folder(tmp_path, name="x")
    assert str(refused.value).startswith("cannot save model 'x': ")
    with pytest.raises(ModelFolderError, match=f"the folder {tmp_path}, where the model folder .* would be"):
        check_model_folder(tmp_path / "new" / "models", name="x")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc, a folder nobody can create files in")
def test_a_folder_where_no_file_can_be_created_is_refused_even_for_root():
    with pytest.raises(ModelFolderError, match="is not writable"):
        check_model_folder(Path("/proc/rnaapp-models"), name="x")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="as root, chmod does not stop writes")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ModelFolderError, match="not writable"):
            check_model_folder(folder, name="x")
    finally:
        folder.chmod(0o700)


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "models").write_text("", encoding="utf-8")
    with pytest.raises(ModelFolderError, match="is a file, not a folder"):
        check_model_folder(tmp_path / "models" / "inner", name="x")


def test_the_weights_size_is_estimated_without_training():
    pairs = synthetic_pairs(40)
    fitted = fit("mitar", pairs, training_config=training_config_for("mitar", {"epochs": 1}))
    trained = sum(value.numel() * value.element_size() for value in fitted.module.state_dict().values())
    assert model_weight_bytes("mitar", pairs) == trained
    assert model_weight_bytes("no such family") is None


# ---------------------------------------------------------------------------------------------------------
# rnaapp train
# ---------------------------------------------------------------------------------------------------------


def test_cli_refuses_a_name_being_trained_before_reading_any_data(capsys, tmp_path, pair_file):
    models = tmp_path / "models"
    with training_lock("x", models, job="the-first-job"):
        status, _, err = run(capsys, *train_command(tmp_path / "not-read.csv", "x", models))
        line = one_line(err)
        assert status == 2
        assert f"a training of model 'x' in {models} is already running (job the-first-job, pid " in line
        assert line.endswith("wait for it or choose another name")
        assert "not-read.csv" not in line  # refused before the data was looked at

        status, out, err = run(capsys, *train_command(pair_file, "other", models))  # another name trains
        assert status == 0, err
        assert "saved model 'other'" in out
    assert not (models / "x.json").exists()
    status, out, err = run(capsys, *train_command(pair_file, "x", models))  # the name is free again
    assert status == 0, err
    assert not list(models.glob(".*.lock"))


def test_cli_a_kill_9_of_a_training_keeps_the_previous_model_and_frees_the_name(capsys, tmp_path, pair_file):
    models = tmp_path / "models"
    status, _, err = run(capsys, *train_command(pair_file, "x", models))
    assert status == 0, err
    before = (models / "x.safetensors").read_bytes()
    command = [sys.executable, "-m", "rnaapp.cli", *map(str, train_command(pair_file, "x", models))]
    command[command.index("--epochs") + 1] = "100000"
    process = subprocess.Popen(
        [*command, "--learning-rate", "0.01"], cwd=REPOSITORY, stderr=subprocess.PIPE, text=True
    )
    try:
        for line in process.stderr:  # wait until it trains
            if "epoch" in line:
                break
        assert lock_holder("x", models)["pid"] == process.pid
        assert lock_holder("x", models)["command"] == "rnaapp train"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()
    assert (models / "x.safetensors").read_bytes() == before
    assert lock_holder("x", models) is None
    status, _, err = run(capsys, *train_command(pair_file, "x", models))
    assert status == 0, err


def test_cli_refuses_a_full_disk_before_training(capsys, tmp_path, pair_file, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 900, 900))
    models = tmp_path / "models"
    status, _, err = run(capsys, *train_command(pair_file, "x", models))
    line = one_line(err)
    assert status == 2
    assert (
        "cannot save model 'x': not enough free space in " in line
        and "(900 bytes free, about 10.5 MB needed)" in line
    )
    assert "epoch" not in err  # no training happened
    assert not models.exists()


def test_cli_refuses_a_folder_that_cannot_be_written_before_reading_data(capsys, tmp_path, monkeypatch):
    def refuse(folder):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(locks, "_probe_writable", refuse)
    status, _, err = run(capsys, *train_command(tmp_path / "not-read.csv", "x", tmp_path / "models"))
    line = one_line(err)
    assert status == 2
    assert "cannot save model 'x': " in line and "is not writable (Permission denied)" in line


def test_cli_a_save_that_fails_after_training_is_one_line(capsys, tmp_path, pair_file, monkeypatch):
    from safetensors import SafetensorError

    models = tmp_path / "models"
    status, _, err = run(capsys, *train_command(pair_file, "x", models))
    assert status == 0, err
    before = (models / "x.safetensors").read_bytes()

    def full_disk(state, path):
        Path(path).write_bytes(b"partial")
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(rnaapp.registry.store, "save_file", full_disk)
    status, _, err = run(capsys, *train_command(pair_file, "x", models))
    line = one_line(_last_lines(err))
    assert status == 2
    assert line.startswith("rnaapp: error: training finished, but model 'x' could not be saved in ")
    assert "No space left on device" in line and "kept as it was" in line
    assert (models / "x.safetensors").read_bytes() == before
    assert lock_holder("x", models) is None


def _last_lines(err: str) -> str:
    """stderr without the progress bar's and epoch lines (the training ran: the error is the last line)."""
    lines = [line for line in err.split("\n") if line.startswith("rnaapp: ") or "Traceback" in line]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it is a binary file, not JSON text"),
        (
            '{"training": {"note": "café"}}'.encode("latin-1"),
            "it is not UTF-8 text (byte 0xe9 at position 26)",
        ),
        ('{"training": {}}'.encode("utf-16"), "it is UTF-16 text; save it as UTF-8"),
        (b"", "the file is empty"),
        (b'{"training": {"epochs": 1,}}', "not valid JSON (line 1, column 27: Expecting property name"),
        (b"[1, 2]", 'expected a JSON object {"model": {...}, "training": {...}}, not a list'),
        (b'"fast"', "not a string"),
        (b'{"modle": {}}', "unknown key 'modle'"),
    ],
)
def test_cli_a_bad_config_file_is_one_line_naming_it(capsys, tmp_path, pair_file, content, fragment):
    config = tmp_path / "binary.csv"
    config.write_bytes(content)
    status, _, err = run(capsys, *train_command(pair_file, "x", tmp_path / "models", "--config", config))
    line = one_line(err)
    assert status == 2
    assert line.startswith(f"rnaapp: error: {config}: ")
    assert fragment in line


def test_cli_a_config_that_is_a_folder_or_missing_is_one_line(capsys, tmp_path, pair_file):
    for config, fragment in (
        (tmp_path, "it is a folder, not a file"),
        (tmp_path / "none.json", "no such file"),
    ):
        status, _, err = run(capsys, *train_command(pair_file, "x", tmp_path / "models", "--config", config))
        assert status == 2
        assert f"{config}: cannot read the JSON config: {fragment}" in one_line(err)


# ---------------------------------------------------------------------------------------------------------
# The Python API: train_and_save
# ---------------------------------------------------------------------------------------------------------


def test_train_and_save_saves_under_the_lock_and_is_refused_while_held(tmp_path):
    pairs = synthetic_pairs(120)
    with training_lock("api", tmp_path, job="running-job"):
        with pytest.raises(TrainingInProgressError, match=r"'api' .* already running \(job running-job"):
            train_and_save("seed_rule", pairs, name="api", directory=tmp_path, training_config=QUICK)
    seen = []
    model = train_and_save(
        "seed_rule",
        pairs,
        name="api",
        directory=tmp_path,
        training_config=QUICK,
        notes={"data": "toy"},
        progress=lambda event: seen.append(lock_holder("api", tmp_path)),
    )
    assert seen and all(holder and holder["pid"] == os.getpid() for holder in seen)  # held while training
    assert lock_holder("api", tmp_path) is None
    card = json.loads((tmp_path / "api.json").read_text(encoding="utf-8"))
    assert card["training"]["data"] == "toy" and model.name == "api"


def test_train_and_save_refuses_a_full_disk_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9, 0))
    seen = []
    with pytest.raises(ModelFolderError, match="not enough free space"):
        train_and_save("seed_rule", synthetic_pairs(60), name="api", directory=tmp_path, progress=seen.append)
    assert seen == []  # nothing was trained
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------------------
# The Train page's jobs
# ---------------------------------------------------------------------------------------------------------


def test_a_second_job_of_a_running_name_is_refused_at_start(user_home):
    first = start_training(synthetic_pairs(120), family="seed_rule", name="busy", training_settings=LONG)
    try:
        with pytest.raises(TrainingInProgressError) as refused:
            start_training(synthetic_pairs(120), family="seed_rule", name="busy", training_settings=LONG)
        message = str(refused.value)
        assert message.startswith(f"a training of model 'busy' is already running (job {first.id}, pid ")
        assert message.endswith("wait for it or choose another name")
        assert [job.id for job in list_jobs()] == [first.id]  # the refused one left no job behind

        other = start_training(
            synthetic_pairs(120), family="seed_rule", name="other", training_settings={"epochs": 1}
        )
        assert other.wait(timeout=120)["state"] == "finished", other.log()  # another name runs meanwhile
        assert first.running
        holder = lock_holder("busy", user_directory())
        assert holder["job"] == first.id
        assert holder["pid"] == int(first.spec["pid"])  # the training process holds it, not this one
    finally:
        first.cancel()
    assert first.wait(timeout=120)["state"] == "cancelled", first.log()
    assert lock_holder("busy", user_directory()) is None  # released when the job ended
    again = start_training(
        synthetic_pairs(120),
        family="seed_rule",
        name="busy",
        training_settings={"epochs": 1},
        run_in_process=True,
    )
    assert again.status()["state"] == "finished", again.log()


def test_a_killed_job_frees_its_name(user_home):
    job = start_training(synthetic_pairs(120), family="seed_rule", name="dies", training_settings=LONG)
    os.kill(int(job.spec["pid"]), signal.SIGKILL)
    assert job.wait(timeout=60)["state"] == "failed"
    deadline = time.monotonic() + 30
    while lock_holder("dies", user_directory()) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lock_holder("dies", user_directory()) is None
    again = start_training(
        synthetic_pairs(120),
        family="seed_rule",
        name="dies",
        training_settings={"epochs": 1},
        run_in_process=True,
    )
    assert again.status()["state"] == "finished", again.log()


def test_a_job_run_by_hand_of_a_locked_name_fails_with_the_message(user_home):
    job = start_training(
        synthetic_pairs(60),
        family="seed_rule",
        name="hand",
        training_settings={"epochs": 1},
        run_in_process=True,
    )
    assert job.status()["state"] == "finished"
    with training_lock("hand", job="another-job"):
        done = subprocess.run(
            [sys.executable, "-m", "rnaapp.jobs", str(job.directory)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPOSITORY,
            check=False,
        )
    assert done.returncode == 1
    status = job.status()
    assert status["state"] == "failed"
    assert status["error"].startswith("a training of model 'hand' is already running (job another-job, pid ")
    assert "Traceback" not in job.log()


def test_a_job_into_a_full_disk_or_unwritable_folder_is_refused_at_start(user_home, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9, 0))
    with pytest.raises(ModelFolderError, match="cannot save model 'full': not enough free space"):
        start_training(synthetic_pairs(60), family="seed_rule", name="full")
    monkeypatch.undo()

    def refuse(folder):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(locks, "_probe_writable", refuse)
    with pytest.raises(ModelFolderError, match="is not writable .Permission denied."):
        start_training(synthetic_pairs(60), family="seed_rule", name="locked-out")
    assert list_jobs() == []


def test_a_job_whose_save_fails_says_so_in_one_line(user_home, monkeypatch):
    previous = fit("seed_rule", synthetic_pairs(60), training_config=QUICK)
    save_model(previous, name="nospace")
    before = (user_directory() / "nospace.safetensors").read_bytes()

    def full_disk(state, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rnaapp.registry.store, "save_file", full_disk)
    job = start_training(
        synthetic_pairs(60),
        family="seed_rule",
        name="nospace",
        training_settings={"epochs": 1},
        run_in_process=True,
    )
    status = job.status()
    assert status["state"] == "failed"
    assert status["error"].startswith("training finished, but model 'nospace' could not be saved in ")
    assert "No space left on device" in status["error"] and "\n" not in status["error"]
    assert (user_directory() / "nospace.safetensors").read_bytes() == before
    assert load_model("nospace").card.created == previous.card.created
    assert [card.name for card in list_models() if card.source == "user"] == ["nospace"]


def test_a_model_being_trained_again_is_neither_deleted_nor_renamed(user_home):
    from rnaapp.registry import delete_model, rename_model

    model = train_and_save("seed_rule", synthetic_pairs(60), name="kept", training_config=QUICK)
    save_model(model, name="spare")
    with training_lock("kept", job="retraining-kept"):
        with pytest.raises(TrainingInProgressError, match="cannot be deleted while a training of that name"):
            delete_model("kept")
        with pytest.raises(TrainingInProgressError, match="cannot be renamed .*job retraining-kept"):
            rename_model("kept", "other")
    with training_lock("taken", job="new-name"):
        with pytest.raises(TrainingInProgressError, match="'taken' cannot be given to another model"):
            rename_model("spare", "taken")
    assert {card.name for card in list_models() if card.name in ("kept", "spare")} == {"kept", "spare"}
    delete_model("kept")  # free again
    rename_model("spare", "taken")
