"""bench/load_test.py: its pure parts (arguments, targets, memory reading, the verdict and the report); no
browser and no server."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from .conftest import REPOSITORY


@pytest.fixture(scope="module")
def load_test():
    """bench/load_test.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_load_test", REPOSITORY / "bench" / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_arguments_default_to_3_rounds_of_10_sessions(load_test):
    arguments = load_test.parse_arguments([])
    assert (arguments.rounds, arguments.sessions, arguments.timeout) == (3, 10, 120.0)
    assert arguments.json is None and not arguments.docs and not arguments.same_target
    arguments = load_test.parse_arguments(
        ["--rounds", "8", "--sessions", "4", "--json", "out.json", "--docs", "--server-env", "A=1"]
    )
    assert (arguments.rounds, arguments.sessions, str(arguments.json)) == (8, 4, "out.json")
    assert arguments.docs and arguments.server_env == ["A=1"]
    with pytest.raises(SystemExit):
        load_test.parse_arguments(["--rounds", "0"])
    with pytest.raises(SystemExit):
        load_test.parse_arguments(["--server-env", "NO_VALUE"])


def test_every_target_holds_one_8mer_and_differs_per_session(load_test):
    targets = {
        load_test.target_for(round_number, session) for round_number in (1, 2) for session in range(10)
    }
    assert len(targets) == 20
    for target in targets:
        assert len(target) == 48 and set(target) <= set("ACGU")
        assert target[20:28] == load_test.SITE
        assert target.count("UACCUC") == 1 and target.count("CUACCU") == 1
    assert load_test.target_for(3, 4) == load_test.target_for(3, 4)


def test_memory_of_this_process(load_test):
    rss_kb, threads = load_test.process_rss_kb(os.getpid())
    assert rss_kb > 1_000 and threads >= 1
    megabytes, tree_threads = load_test.tree_memory(os.getpid())
    assert megabytes >= rss_kb / 1024 and tree_threads == threads
    assert load_test.process_rss_kb(2**22 + 1) == (0, 0)  # above Linux's highest pid: no such process


def test_plateau_verdict(load_test):
    assert load_test.plateau_verdict([600, 650]).startswith("too few rounds")
    assert load_test.plateau_verdict([600, 690, 700, 705, 702]).startswith("plateaus")
    assert load_test.plateau_verdict([600, 650, 700, 750, 800]).startswith("still growing: +100 MB")
    assert load_test.plateau_verdict([600, 800, 750, 700, 650]).startswith("falls")


RESULTS = {
    "settings": {"rounds": 2, "sessions": 3, "timeout_s": 120.0, "same_target": False},
    "machine": {"cpus": 2, "load_before": "0.5", "load_after": "3.0"},
    "start_rss_mb": 72.4,
    "rounds": [
        {
            "round": 1,
            "sessions": 3,
            "failures": 1,
            "fastest_s": 1.23,
            "median_s": 2.0,
            "slowest_s": 3.49,
            "median_done_s": 2.5,
            "rss_mb": 640.2,
            "threads": 30,
            "errors": ["no score: TimeoutError"],
        },
        {
            "round": 2,
            "sessions": 3,
            "failures": 3,
            "fastest_s": None,
            "median_s": None,
            "slowest_s": None,
            "median_done_s": None,
            "rss_mb": 650.0,
            "threads": 31,
            "errors": [],
        },
    ],
    "idle": {"seconds": 150, "rss_mb": 600.4, "threads": 25},
    "cards_changed": [],
}


def test_report_shows_every_round_and_the_issue_figures(load_test):
    report = load_test.format_report(RESULTS)
    lines = report.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("round  sessions"))
    assert lines[header + 1].split() == ["1", "3", "1", "1.2", "2.0", "3.5", "2.5", "640", "30"]
    assert lines[header + 2].split() == ["2", "3", "3", "—", "—", "—", "—", "650", "31"]
    assert "after 150 s without sessions: server 600 MB, 25 threads" in report
    assert "round 1: no score: TimeoutError" in report
    assert "memory: too few rounds to tell" in report
    assert "before (issue 20 probe): 3 rounds x 10 sessions, 0 failures, 3.4–11.2 s" in report
    assert "638 → 685 → 702 MB" in report
    assert "noisy" in report and "note: model cards" not in report
    assert "model choice was empty at the click (Predict used the task's default and said so): none" in report
    rounds = [dict(row) for row in RESULTS["rounds"]]
    rounds[1]["defaulted"] = 2
    assert "said so): round 2: 2" in load_test.format_report(dict(RESULTS, rounds=rounds))


def test_messages_are_flattened_to_one_line(load_test):
    assert load_test.flat("⚠️\n\nchoose at least one model") == "choose at least one model"
    assert load_test.flat("a  b\nc", limit=3) == "a b"
