"""Speed of the app on this machine, against the goals of the app issue.

Measures, with the shipped default site model:

- app start: ``streamlit run app.py`` until the health endpoint answers, and until a real browser
  (Debian chromium through Playwright, when installed) shows the Predict page;
- Predict page: time of the script run that answers a click on "Predict" for a new pair, warm (model
  already loaded), through Streamlit's AppTest; and the library call behind it;
- Scan page: 10 miRNAs x 100 random 2-kb targets, through the page (AppTest, background thread with the
  progress bar) and through :func:`rnaapp.scan.scan`, with the number of progress updates.

Run: ``python bench/app.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
GOALS = {"predict_warm_s": 1.5, "scan_10x100x2kb_s": 60.0, "app_start_s": 10.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure_start(home: str) -> dict[str, float | None]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=REPOSITORY,
        env=os.environ | {"RNAAPP_HOME": home},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    health = page = None
    try:
        while time.perf_counter() - started < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        health = time.perf_counter() - started
                        break
            except OSError:
                time.sleep(0.05)
        page = measure_first_page(port, started) if health is not None else None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    return {"health_s": health, "first_page_s": page}


def measure_first_page(port: int, started: float) -> float | None:
    """Seconds from server launch until the browser shows the Predict page's title (None without chromium)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(chromium).exists():
        return None
    arguments = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=arguments)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
        page.get_by_text("Predict a miRNA–target interaction").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Predict", exact=True).wait_for(timeout=60_000)
        elapsed = time.perf_counter() - started
        browser.close()
    return elapsed


def random_sequences(count: int, length: int, seed: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    return [(f"target_{index + 1}", "".join(rng.choice(letters, length))) for index in range(count)]


def measure_predict(home: str) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from rnaapp.examples import EXAMPLES

    os.environ["RNAAPP_HOME"] = home
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=120)
    app.run()
    target_box = next(area for area in app.text_area if area.label.startswith("Target"))
    predict = next(button for button in app.button if button.label == "Predict")
    started = time.perf_counter()
    predict.click().run()
    cold = time.perf_counter() - started
    warm_times = []
    for example in EXAMPLES[1:5]:  # new pairs each time: nothing is served from the result cache
        next(area for area in app.text_area if area.label.startswith("Target")).set_value(example.target_seq)
        next(box for box in app.text_input if box.label.startswith("miRNA")).set_value(example.mirna_seq)
        started = time.perf_counter()
        next(button for button in app.button if button.label == "Predict").click().run()
        warm_times.append(time.perf_counter() - started)
        assert not app.exception and not app.error, (app.exception, app.error)
    del target_box
    from rnaapp.pair_report import pair_report
    from rnaapp.registry import load_model

    model = load_model("site")
    library_times = []
    for example in EXAMPLES[:5]:
        started = time.perf_counter()
        pair_report([model], example.mirna_seq, example.target_seq)
        library_times.append(time.perf_counter() - started)
    return {
        "predict_first_click_s": cold,
        "predict_warm_s": float(np.median(warm_times)),
        "predict_warm_max_s": float(np.max(warm_times)),
        "pair_report_s": float(np.median(library_times)),
    }


def measure_scan(home: str) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from rnaapp.examples import EXAMPLE_MIRNAS
    from rnaapp.registry import load_model
    from rnaapp.scan import scan

    mirnas = list(EXAMPLE_MIRNAS.items())[:10]
    targets = random_sequences(100, 2000, seed=0)
    model = load_model("site")
    updates: list[int] = []
    started = time.perf_counter()
    result = scan(model, mirnas, targets, buffer_size=2048, progress=lambda done, total: updates.append(done))
    library = time.perf_counter() - started

    os.environ["RNAAPP_HOME"] = home
    app = AppTest.from_file(str(REPOSITORY / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/scan.py").run()
    next(area for area in app.text_area if area.label.startswith("miRNAs")).set_value(
        "\n".join(EXAMPLE_MIRNAS)
    )
    fasta = "".join(f">{name}\n{sequence}\n" for name, sequence in targets)
    next(area for area in app.text_area if area.label.startswith("Targets")).set_value(fasta)
    started = time.perf_counter()
    next(button for button in app.button if button.label == "Scan").click().run()
    job = app.session_state["scan_job"]
    while job.finished is None:
        time.sleep(0.05)
    page = time.perf_counter() - started
    if job.error:
        raise RuntimeError(job.error)
    return {
        "scan_10x100x2kb_s": page,
        "scan_library_s": library,
        "scan_progress_updates": len(updates),
        "scan_windows": int(result.pairs["n_sites"].sum()),
        "scan_pairs": len(result.pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args()
    home = tempfile.mkdtemp(prefix="rnaapp-bench-")
    try:
        import torch

        results = {"torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
        results |= measure_start(home)
        results |= measure_predict(home)
        results |= measure_scan(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if arguments.json:
        print(json.dumps(results, indent=2))
        return
    rows = [
        ("app start: health endpoint answers", results["health_s"], "< 10 s"),
        ("app start: Predict page shown in chromium", results["first_page_s"], "< 10 s"),
        ("Predict: first click (loads the model)", results["predict_first_click_s"], ""),
        ("Predict: one new pair, warm (median of 4)", results["predict_warm_s"], "< 1.5 s"),
        ("Predict: one new pair, warm (slowest of 4)", results["predict_warm_max_s"], "< 1.5 s"),
        ("  library pair_report() behind it (median)", results["pair_report_s"], ""),
        ("Scan page (its default model): 10 miRNAs x 100 x 2 kb", results["scan_10x100x2kb_s"], "< 60 s"),
        ("  library scan(), site default model, same input", results["scan_library_s"], ""),
    ]
    print(f"machine: {results['cpu_count']} CPU cores, torch threads {results['torch_threads']}")
    print(f"{'measurement':<48} {'seconds':>8}  goal")
    for label, value, goal in rows:
        shown = f"{value:8.2f}" if value is not None else "     n/a"
        print(f"{label:<48} {shown}  {goal}")
    print(
        f"scan: {results['scan_pairs']} pairs, {results['scan_windows']} candidate windows scored, "
        f"{results['scan_progress_updates']} progress updates"
    )


if __name__ == "__main__":
    main()
