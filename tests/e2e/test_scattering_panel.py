"""The results page's scattering block in a browser: a tiny job with ``student: scattering`` (150 series,
two epochs each), then what the block draws: plot sizes, the tree's slices, the curve's chosen point, the score
table's numbers; no console errors. (Without the option the block stays hidden:
tests/frontend/test_scattering_figures.py.)"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.e2e.conftest import OWNER_TOKEN, assert_drawn, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}
TINY = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 1, "teacher_epochs": 2, "levels": 3,
        "cv_folds": 3, "cv_repeats": 1}
GRAPHS = ["scattering-filters-graph", "scattering-tree-graph", "scattering-curve-graph"]


def _finished_job(base, dataset_id, **options):
    job = httpx.post(base + "/api/jobs", json={"dataset_id": dataset_id, **TINY, **options}, headers=OWNER,
                     timeout=30)
    assert job.status_code in (200, 201, 202), job.text
    job_id = job.json()["id"]
    # alone about 20 s; on a 2-core machine beside the other test process it waited once for more than 240 s
    deadline, body = time.monotonic() + 390, {}
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/api/jobs/{job_id}", headers=OWNER, timeout=30).json()
        if body["state"] in ("succeeded", "failed", "cancelled"):
            assert body["state"] == "succeeded", body
            return job_id
        time.sleep(1)
    raise AssertionError(f"the tiny job did not finish within 390 s: {body.get('state')}, stage {body.get('stage')}, "
                         f"{body.get('message')}")


def test_scattering_panel_draws_filters_tree_and_curve(web_server, owner_context, screenshot):
    dataset = httpx.post(web_server + "/api/examples/synthetic", json={"n": 150}, headers=OWNER, timeout=60).json()
    job_id = _finished_job(web_server, dataset["id"], student="scattering", scattering_epochs=2)
    bundle = httpx.get(f"{web_server}/api/results/{job_id}", headers=OWNER, timeout=30).json()
    section = bundle["scattering"]
    n_nodes, n_kept = len(section["paths_all"]), len(section["paths_kept"])

    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{job_id}")
    page.locator("#scattering-section").wait_for(state="visible")
    for gid in GRAPHS:
        page.locator(f"#{gid} .main-svg").first.wait_for(state="visible")
    sizes = assert_drawn(page)
    for gid in GRAPHS:  # each graph of the block drawn at its figure's height and at least 400 px wide
        width, height = next(v for k, v in sizes.items() if k.startswith(gid))
        assert width >= 400 and height >= 300, (gid, width, height)
    # the tree: one sunburst slice per path (root S0, the first-order ring, the second-order paths)
    slices = page.locator("#scattering-tree-graph g.slice").count()
    assert slices == n_nodes, (slices, n_nodes)
    tree_text = page.locator("#scattering-tree-graph").inner_text()
    assert f"{n_kept} of {n_nodes} paths kept" in tree_text
    # the curve: one marker per pruning step and the starred choice at the kept count
    points = page.locator("#scattering-curve-graph .scatterlayer .trace").first.locator("path.point").count()
    assert points == len(section["panel"]["curve"]["n_paths"])
    assert f"kept: {n_kept} path" in page.locator("#scattering-curve-graph").inner_text()
    # the filters: one line per DWT level in time and in frequency, plus the learned and initial taps
    n_lines = page.locator("#scattering-filters-graph .scatterlayer .trace").count()
    assert n_lines == 2 * len(section["panel"]["filters"]) + 2
    # the score lines: the teacher, AWD, the initial wavelet and the student, each with its test R2
    scores = page.locator("#scattering-scores").inner_text()
    r2 = bundle["models"]["scattering"]["test"]["r2"]
    row = re.search(r"Scattering student\s+(-?[0-9.]+)", scores)
    assert row and abs(float(row.group(1)) - r2) < 5e-3 * max(1.0, abs(r2)), scores
    for name in ("Teacher (mlp)", "AWD", "Initial wavelet"):
        assert name in scores
    assert f"{n_kept} of {n_nodes} paths kept" in scores
    page.locator("#scattering-section").scroll_into_view_if_needed()
    screenshot(page, "20-results-scattering-panel")
    assert not errors, errors
