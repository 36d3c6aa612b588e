"""Acceptance test of issue 18, point 1: the pages run every model under the user's saved settings.

Batch size 7 and precision bfloat16 are saved in a temporary RNAAPP_HOME; Predict, Scan & browse (the demo
scan, then a pair opened) and Evaluate (the demo test set) are driven with AppTest while every outermost
``torch.nn.Module`` call is recorded with its batch size and the autocast state of its thread. Every call
must see at most 7 pairs under bfloat16 autocast, and each page must have made calls (so that the test
cannot pass vacuously). A second setting saved between two runs of Predict takes effect on the next run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
import torch

from rnaapp.examples import EXAMPLES
from rnaapp.registry import defaults, list_models
from rnaapp.settings import Settings, save_settings

from .conftest import REPOSITORY

pytest.importorskip("streamlit")
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

BATCH_SIZE = 7
LONG_EXAMPLE = next(
    example for example in EXAMPLES if example.task == "site" and len(example.target_seq) > 1000
)


@dataclass(frozen=True)
class ModelCall:
    """One outermost call of a torch module."""

    page: str
    module: str
    batch: int
    autocast: bool
    dtype: torch.dtype


class CallRecorder:
    """Wraps ``torch.nn.Module.__call__``: records the outermost call of each thread (a module called while
    another one runs is part of it), with the page being driven."""

    def __init__(self) -> None:
        self.page = "none"
        self.calls: list[ModelCall] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = torch.nn.Module.__call__
        recorder = self

        def recording(module: torch.nn.Module, *args, **kwargs):
            depth = getattr(recorder._local, "depth", 0)
            if depth == 0:
                recorder._record(module, [*args, *kwargs.values()])
            recorder._local.depth = depth + 1
            try:
                return original(module, *args, **kwargs)
            finally:
                recorder._local.depth = depth

        monkeypatch.setattr(torch.nn.Module, "__call__", recording)

    def _record(self, module: torch.nn.Module, arguments: list) -> None:
        tensor = next((value for value in arguments if isinstance(value, torch.Tensor)), None)
        if tensor is None:
            return
        device = tensor.device.type
        call = ModelCall(
            page=self.page,
            module=type(module).__name__,
            batch=int(tensor.shape[0]) if tensor.dim() else 1,
            autocast=torch.is_autocast_enabled(device),
            dtype=torch.get_autocast_dtype(device),
        )
        with self._lock:
            self.calls.append(call)

    def of(self, page: str) -> list[ModelCall]:
        with self._lock:
            return [call for call in self.calls if call.page == page]


@pytest.fixture
def recorder(user_home, monkeypatch) -> CallRecorder:
    names = {card.name for card in list_models()}
    needed = [defaults()["tasks"].get("site"), defaults()["uses"].get("scan")]
    if any(name not in names for name in needed):
        pytest.skip("the shipped site and scan models are needed")
    save_settings(Settings(device="cpu", batch_size=BATCH_SIZE, precision="bfloat16"))
    st.cache_data.clear()  # no result computed under other settings (or by another test) is reused
    recorder = CallRecorder()
    recorder.install(monkeypatch)
    return recorder


def button(app: AppTest, label: str):
    return next(widget for widget in app.button if widget.label == label)


def assert_settings_followed(calls: list[ModelCall], page: str, batch_size: int = BATCH_SIZE) -> None:
    assert calls, f"{page}: no model call was recorded"
    too_large = [call for call in calls if call.batch > batch_size]
    assert not too_large, f"{page}: batches over {batch_size}: {too_large[:5]}"
    not_bfloat16 = [call for call in calls if not call.autocast or call.dtype != torch.bfloat16]
    assert not not_bfloat16, f"{page}: calls outside bfloat16 autocast: {not_bfloat16[:5]}"


def test_every_page_runs_models_with_the_saved_batch_size_and_precision(recorder):
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception

    # Predict: a 2,000-nt 3'UTR, scanned in windows (more of them than one batch holds).
    recorder.page = "predict"
    app.text_input(key="predict_mirna").set_value(LONG_EXAMPLE.mirna_name)
    app.text_area(key="predict_target").set_value(LONG_EXAMPLE.target_seq)
    button(app, "Predict").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    assert_settings_followed(recorder.of("predict"), "Predict")

    # A setting changed between two runs applies to the next run.
    save_settings(Settings(device="cpu", batch_size=3, precision="bfloat16"))
    recorder.page = "predict again"
    button(app, "Predict").click().run()
    assert not app.exception and not app.error
    again = recorder.of("predict again")
    assert_settings_followed(again, "Predict after a change", batch_size=3)
    assert max(call.batch for call in again) == 3
    save_settings(Settings(device="cpu", batch_size=BATCH_SIZE, precision="bfloat16"))

    # Scan & browse: the demo scan (in a background thread), then a pair opened (its site report).
    recorder.page = "scan"
    app.switch_page("pages/scan.py").run()
    assert not app.exception
    button(app, "Scan").click().run()
    job = app.session_state["scan_job"]
    status = job.wait(timeout=120)
    assert status["state"] == "finished", status
    assert job.options.batch_size == BATCH_SIZE and job.options.precision == "bfloat16"
    assert job.options.workers == 1  # scanned in this process, where the calls are recorded
    app.run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    scanned = recorder.of("scan")
    assert max(call.batch for call in scanned) == BATCH_SIZE  # windows were split into batches of 7
    app.slider(key="scan_min_p").set_value(0.0).run()
    recorder.page = "scan pair"
    opener = app.selectbox(key="scan_open_pair")
    opener.set_value(opener.options[1]).run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    assert_settings_followed(scanned, "Scan")
    assert_settings_followed(recorder.of("scan pair"), "Scan (the opened pair)")

    # Evaluate: the built-in demo set (120 pairs) with the page's default models.
    recorder.page = "evaluate"
    app.switch_page("pages/evaluate.py").run()
    assert not app.exception
    button(app, "Use the built-in demo set").click().run()
    assert app.multiselect(key="evaluate_models").value
    button(app, "Evaluate").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    evaluated = recorder.of("evaluate")
    assert_settings_followed(evaluated, "Evaluate")
    assert max(call.batch for call in evaluated) == BATCH_SIZE
