"""A job's page lists its settings in words, those of its kind of data only, with every option as raw JSON under a
disclosure (it showed the raw JSON alone: the series student's options on a maps job)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import OWNER_TOKEN, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}


def test_a_maps_jobs_page_lists_the_map_options_in_words(web_server, owner_context, screenshot):
    with httpx.Client(base_url=web_server, headers=OWNER, timeout=60) as api:
        dataset = api.post("/api/examples/lensing", json={"n": 120}).json()
        job = api.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": "cnn", "lambdas": [0.01],
                                          "gammas": [0.0], "epochs": 1, "teacher_epochs": 1}).json()
        api.post(f"/api/jobs/{job['id']}/cancel")  # its settings are what this test reads
    page = owner_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs/{job['id']}")
    settings = page.locator("#job-settings")
    settings.get_by_text("Map student reads").wait_for()
    terms = settings.locator("dt").all_inner_texts()
    assert "Map student reads peak_response" in terms and "Grid preset grid_preset" in terms, terms
    assert not [t for t in terms if t.split()[-1] in ("start_search", "series_features", "top_k", "student_penalty")]
    assert "time series only: Random starts searched" in page.inner_text("#job-settings-note")
    assert not page.locator("#job-config").is_visible()  # the raw JSON is behind its disclosure, whole
    page.get_by_text("Every option as the API stores it (raw JSON)").click()
    assert "start_search" in json.loads(page.inner_text("#job-config"))
    page.locator("#job-settings").scroll_into_view_if_needed()
    screenshot(page, "73-job-settings-maps")
    assert not errors, errors
