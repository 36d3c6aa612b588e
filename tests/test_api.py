"""The public API of ``rnaapp`` (its ``__all__``) and the old import paths kept for one release."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import rnaapp


@pytest.mark.parametrize("name", rnaapp.__all__)
def test_every_public_name_resolves(name):
    assert getattr(rnaapp, name) is not None
    assert name in dir(rnaapp)


def test_importing_rnaapp_is_cheap():
    code = "import sys, rnaapp, rnaapp.settings; print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        rnaapp.nothing  # noqa: B018


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("rnaapp.evaluate", "rnaapp.metrics"),
        ("rnaapp.evaluation_report", "rnaapp.comparison"),
        ("rnaapp.report", "rnaapp.pair_report"),
        ("rnaapp.predict", "rnaapp.inference.batches"),
    ],
)
def test_old_module_names_are_the_new_modules(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_old_scan_and_io_names_still_import():
    from rnaapp.io import InputError, read_pairs  # noqa: F401
    from rnaapp.predict import PRECISIONS, predict, predict_pairs  # noqa: F401
    from rnaapp.scan import scan, transcript_probabilities, window_bounds  # noqa: F401
    from rnaapp.settings import resolve_mirnas  # noqa: F401
    from rnaapp.train import describe_device, resolve_device  # noqa: F401
