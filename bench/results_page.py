"""How long the results page of a 5 x 6 grid takes to render in a real browser.

Starts the embedded app (``awd serve``: bundled Redis, one worker, web) on a free port with a fresh data
directory, runs one small job with a 5 x 6 lambda/gamma grid, then opens ``/results/<job id>`` in Debian's
chromium (Playwright) several times and measures the time from navigation to every plotly graph drawn. The
jobs list page, which draws no figure, is timed alongside as the baseline.

Usage: ``.venv/bin/python bench/results_page.py [--repeats 5]``; prints JSON (seconds, medians).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


#: The owner token the benchmark's server runs with (``awd serve`` requires one).
TOKEN = "bench-results-page-owner-token"


def run_job(base):
    """Submit a 5 x 6 grid job on a small synthetic dataset and wait for it; return its id."""
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        dataset = client.post("/api/examples/synthetic", json={"n": 300}).json()
        job = client.post("/api/jobs", json={
            "dataset_id": dataset["id"], "teacher": "mlp", "levels": 4, "epochs": 2, "teacher_epochs": 10,
            "lambdas": [1e-4, 3e-4, 1e-3, 3e-3, 5e-3], "gammas": [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        }).json()
        _wait(lambda: client.get(f"/api/jobs/{job['id']}").json()["state"] in ("succeeded", "failed"),
              900, "the job")
        state = client.get(f"/api/jobs/{job['id']}").json()
        if state["state"] != "succeeded":
            raise RuntimeError(f"job failed: {state.get('error')}")
        return job["id"]


def time_page(page, url, n_graphs_min):
    """Seconds from navigation until at least n_graphs_min plotly graphs have drawn their SVG."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_graphs_min}", timeout=60_000)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = tempfile.mkdtemp(prefix="awd-bench-page-")
    env = {**os.environ, "AWD_DATA_DIR": data_dir, "OMP_NUM_THREADS": "1", "AWD_API_TOKEN": TOKEN}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "awd"), "serve", "--port", str(port),
                               "--data-dir", data_dir], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: httpx.get(f"{base}/api/health", timeout=5).status_code == 200, 120, "the server")
        job_id = run_job(base)
        results, baseline = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/?token={TOKEN}")  # the owner's link sets the cookie
            # every graph of a time-series result: wavelet, filters, grid, psi grid, activation, student, scores
            time_page(page, f"{base}/results/{job_id}", 7)  # warm-up: assets cached, as for a user
            for _ in range(args.repeats):
                results.append(time_page(page, f"{base}/results/{job_id}", 7))
                start = time.perf_counter()
                page.goto(f"{base}/jobs")
                page.wait_for_selector("#jobs-list tbody tr", timeout=60_000)  # the table has drawn
                baseline.append(time.perf_counter() - start)
            browser.close()
        out = {"grid": "5 x 6", "results_page_seconds": results, "results_page_median": statistics.median(results),
               "jobs_page_seconds": baseline, "jobs_page_median": statistics.median(baseline),
               "ratio_results_over_jobs_page": statistics.median(results) / statistics.median(baseline)}
        print(json.dumps(out, indent=1))
        return out
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
