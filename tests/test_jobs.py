"""Background jobs: trainings (processes) finish, save and list a model, cancel cleanly and fail readably;
thread jobs (scans) report progress, cancel and fail the same way, through the one job interface."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from rnaapp.jobs import (
    FINAL_STATES,
    STATES,
    STATUS_KEYS,
    Job,
    ThreadJob,
    eta_seconds,
    get_job,
    list_jobs,
    start_scan,
    start_thread_job,
    start_training,
)
from rnaapp.registry import list_models, save_model, user_directory
from rnaapp.train import fit, training_config_for

from .conftest import synthetic_pairs

QUICK = {"epochs": 1}


def user_models() -> list[str]:
    return [card.name for card in list_models() if card.source == "user"]


def test_job_trains_in_the_background_and_saves_the_model(user_home):
    job = start_training(
        synthetic_pairs(120),
        family="seed_rule",
        name="quick",
        training_settings=QUICK,
        data_description="toy.csv",
    )
    assert job.status()["state"] in STATES  # returns at once
    assert [listed.id for listed in list_jobs()] == [job.id]
    assert get_job(job.id) == job

    status = job.wait(timeout=120)
    assert status["state"] == "finished", job.log()
    assert status["model"] == "quick"
    assert status["fraction"] == 1.0
    assert "quick" in user_models()
    card = next(card for card in list_models() if card.name == "quick")
    assert card.training["data"] == "toy.csv"
    assert card.training["settings"]["epochs"] == 1
    history = job.history()
    assert len(history) == 1
    assert history[0]["epoch"] == 1 and history[0]["train_loss"] > 0 and "AUC" in history[0]


def test_unknown_job_is_a_key_error(user_home):
    with pytest.raises(KeyError, match="no training job"):
        get_job("nope")


def test_cancel_saves_nothing_and_keeps_the_existing_model(user_home):
    existing = fit("seed_rule", synthetic_pairs(120), training_config=training_config_for("seed_rule", QUICK))
    save_model(existing, name="keep")
    card_path, weights_path = user_directory() / "keep.json", user_directory() / "keep.safetensors"
    card_before, weights_before = card_path.read_bytes(), weights_path.read_bytes()

    job = start_training(
        synthetic_pairs(120),
        family="seed_rule",
        name="keep",
        training_settings={"epochs": 500, "patience": 500},
    )
    job.cancel()  # stops at the first training step
    status = job.wait(timeout=120)

    assert status["state"] == "cancelled", job.log()
    assert "nothing was saved" in status["message"]
    assert not status.get("model")
    assert card_path.read_bytes() == card_before
    assert weights_path.read_bytes() == weights_before
    assert user_models() == ["keep"]


@pytest.mark.parametrize(
    ("drop_label", "expected"),
    [(True, "no label column"), (False, "both positive (1) and negative (0)")],
)
def test_bad_data_fails_with_a_readable_error(user_home, drop_label, expected):
    pairs = synthetic_pairs(40)
    pairs = pairs.drop(columns="label") if drop_label else pairs[pairs["label"] == 1]
    job = start_training(pairs, family="seed_rule", name="bad", training_settings=QUICK, run_in_process=True)
    status = job.status()
    assert status["state"] == "failed"
    assert expected in status["error"]
    assert "Traceback" not in status["error"]
    assert "bad" not in user_models()


def test_unknown_family_fails_without_key_error_quotes(user_home):
    job = start_training(synthetic_pairs(40), family="nope", name="x", run_in_process=True)
    status = job.status()
    assert status["state"] == "failed"
    assert status["error"].startswith("unknown model family 'nope'")


def test_cross_validation_is_in_the_status_and_the_card(user_home):
    job = start_training(
        synthetic_pairs(120),
        family="seed_rule",
        name="cv",
        training_settings=QUICK,
        folds=2,
        run_in_process=True,
    )
    status = job.status()
    assert status["state"] == "finished", job.log()
    assert [row["fold"] for row in status["cross_validation"]] == ["1", "2", "mean", "std"]
    card = next(card for card in list_models() if card.name == "cv")
    assert card.metrics["cross_validation"]["folds"] == 2
    assert 0.0 <= card.metrics["cross_validation"]["mean"]["AUC"] <= 1.0
    assert [row["fold"] for row in job.history()] == [1, 2, None]  # two folds, then the final model


def _process_state(pid: int) -> str | None:
    """The state letter of process ``pid`` in /proc (``Z`` for a zombie), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][:1]
    except (OSError, IndexError):
        return None


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to see zombie processes")
def test_a_finished_training_process_is_reaped_not_left_a_zombie(user_home):
    job = start_training(synthetic_pairs(120), family="seed_rule", name="reaped", training_settings=QUICK)
    pid = int(job.spec["pid"])
    assert job.wait(timeout=120)["state"] == "finished", job.log()
    deadline = time.monotonic() + 60
    while _process_state(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _process_state(pid) is None  # not even a <defunct> entry: this process waited for it
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # nothing left to reap


def test_a_job_whose_process_died_is_failed(user_home):
    job = start_training(
        synthetic_pairs(120), family="seed_rule", name="dies", training_settings={"epochs": 500}
    )
    os.kill(int(job.spec["pid"]), signal.SIGKILL)
    status = job.wait(timeout=30)
    assert status["state"] == "failed"
    assert "stopped unexpectedly" in status["error"]
    assert status["state"] in FINAL_STATES
    assert "dies" not in user_models()


# ---------------------------------------------------------------------------------------------------------
# The one job interface, and the thread runner (scans of the Scan page)
# ---------------------------------------------------------------------------------------------------------


def test_both_runners_offer_the_one_job_interface(user_home):
    training = start_training(
        synthetic_pairs(120), family="seed_rule", name="iface", training_settings=QUICK, run_in_process=True
    )
    thread = start_thread_job(lambda progress, should_stop: 42, description="answer")
    thread.wait(timeout=10)
    for job in (training, thread):
        assert isinstance(job, Job)
        status = job.status()
        assert set(STATUS_KEYS) <= set(status)
        assert status["state"] == "finished" and status["fraction"] == 1.0 and not job.running
        assert job.error is None and not job.cancel_requested
    assert training.result == "iface"
    assert thread.result == 42 and thread.id.startswith("answer-")


def test_a_thread_job_reports_progress_and_an_eta_while_it_runs():
    release = threading.Event()

    def work(progress, should_stop):
        progress(1, 4)
        release.wait(10)
        progress(4, 4)
        return "done"

    job = ThreadJob(work, description="steps")
    assert job.status()["state"] == "queued" and job.started is None
    job.start()
    deadline = time.monotonic() + 10
    while job.status()["done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    status = job.status()
    assert status["state"] == "running" and job.running
    assert (status["done"], status["total"], status["fraction"]) == (1, 4, 0.25)
    assert status["eta_seconds"] is not None and status["eta_seconds"] >= 0
    with pytest.raises(RuntimeError, match="started already"):
        job.start()
    release.set()
    assert job.wait(timeout=10)["state"] == "finished"
    assert job.result == "done" and job.ended is not None and job.elapsed >= 0


def test_a_cancelled_thread_job_keeps_nothing():
    class Stopped(Exception):
        pass

    def work(progress, should_stop):
        while not should_stop():
            time.sleep(0.01)
        raise Stopped

    job = start_thread_job(work, cancelled_by=(Stopped,))
    job.cancel()
    status = job.wait(timeout=10)
    assert status["state"] == "cancelled" and job.cancel_requested
    assert job.result is None and job.error is None


def test_a_failed_thread_job_says_why_without_a_traceback():
    def work(progress, should_stop):
        raise KeyError("no such miRNA")

    job = start_thread_job(work)
    status = job.wait(timeout=10)
    assert status["state"] == "failed"
    assert job.error == status["error"] == "no such miRNA"
    assert job.result is None


def test_eta_needs_some_work_done():
    assert eta_seconds(10.0, 0.0) is None
    assert eta_seconds(10.0, 0.005) is None
    assert eta_seconds(10.0, 0.5) == pytest.approx(10.0)
    assert eta_seconds(10.0, 1.0) == 0.0


def test_a_scan_job_scans_under_the_given_options():
    from rnaapp.inference import InferenceOptions
    from rnaapp.registry import load_model
    from rnaapp.sites import reverse_complement

    model = load_model("seed_rule-deepmirnatar", device="cpu")
    mirna = "UGAGGUAGUAGGUUGUAUAGUU"
    target = "GCAUUGCA" * 20 + reverse_complement(mirna[1:8]) + "A" + "GCAUUGCA" * 20
    job = start_scan(
        model, [("let-7a", mirna)], [("t1", target)], InferenceOptions(batch_size=3), sites_per_pair=2
    )
    status = job.wait(timeout=60)
    assert status["state"] == "finished", job.error
    assert (
        job.model_name == model.name
        and job.n_targets == 1
        and not job.plant
        and job.targets == {"t1": target}
    )
    assert job.options.batch_size == 3 and job.options.workers == 1  # a small scan: this process
    assert job.result.pairs[["mirna_id", "target_id"]].values.tolist() == [["let-7a", "t1"]]
    assert status["done"] == status["total"] == 1


def test_jobs_run_as_a_module_by_hand(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rnaapp.jobs"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2 and "usage: python -m rnaapp.jobs JOB_FOLDER" in done.stderr


def test_a_job_status_carries_the_training_verdict(user_home):
    """The final status names the verdict its card stores (issue 21, item 4)."""
    import numpy as np

    pairs = synthetic_pairs(400, seed=6)
    pairs["label"] = np.random.default_rng(7).permutation(pairs["label"].to_numpy())
    job = start_training(pairs, family="seed_rule", name="coin", training_settings=QUICK, run_in_process=True)
    status = job.status()
    assert status["state"] == "finished", job.log()
    assert status["verdict"]["level"] == "chance"
    card = next(card for card in list_models() if card.name == "coin")
    assert card.training["verdict"] == status["verdict"]
