"""Background training jobs: they finish, save and list a model, cancel cleanly and fail readably."""

from __future__ import annotations

import os
import signal

import pytest

from rnaapp.jobs import FINAL_STATES, STATES, get_job, list_jobs, start_training
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
