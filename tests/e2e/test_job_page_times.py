"""A job's page in a browser, with the real worker: a finished job says how long it took and lists its stages with
their durations, and its settings are the values the run used (read from the job, not from the result bundle); a
running job marks the stage it is in."""

from __future__ import annotations

import re

import httpx
import pytest

from awd_studio.frontend.components import fmt_seconds
from awd_studio.frontend.option_words import options_for_kind, used_value, value_text
from tests.conftest import TINY_JOB, wait_for
from tests.e2e.conftest import OWNER_TOKEN, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}
STAGES = ["data", "teacher", "distill", "select", "students"]


def _finished(api, job_id):
    body = api.get(f"/api/jobs/{job_id}").json()
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def _shown(value) -> str:
    """A setting's value as the page writes it (frontend.pages.job.setting_value, without its Dash parts)."""
    if value is None:
        return "default"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def test_a_finished_jobs_page_says_how_long_it_and_its_stages_took(web_server, owner_context, screenshot):
    with httpx.Client(base_url=web_server, headers=OWNER, timeout=60) as api:
        dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 31, "name": "times e2e"}).json()
        job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY_JOB, "mode": "auto"}).json()
        final = wait_for(lambda: _finished(api, job["id"]), timeout=240, what="a tiny job to finish")
        assert final["state"] == "succeeded", final.get("error")
        bundle = api.get(f"/api/results/{job['id']}").json()
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs/{job['id']}")
    page.locator("#job-duration").get_by_text(re.compile(r"^Took \d+ s$")).wait_for()
    stages = page.locator("#job-stages li")
    assert [stages.nth(i).get_attribute("data-stage") for i in range(stages.count())] == STAGES
    assert {stages.nth(i).get_attribute("data-state") for i in range(stages.count())} == {"done"}
    assert all(re.search(r"\d+ s$", text) for text in stages.all_inner_texts()), stages.all_inner_texts()
    assert not page.locator("#job-eta-line").is_visible()  # no time left once it has ended

    # the settings list: each option as the run used it, from the job's resolved_config (the same values as the
    # bundle's provenance.config, which the page read before)
    page.locator("#job-settings dd").first.wait_for()
    terms = [t.split()[-1] for t in page.locator("#job-settings dt").all_inner_texts()]
    values = dict(zip(terms, page.locator("#job-settings dd").all_inner_texts()))
    resolved, config = bundle["provenance"]["config"], final["config"]
    expected = {name: _shown(used_value(name, given, resolved.get(name)))
                for name, given in options_for_kind(config, "timeseries").items()}
    expected["teacher"] = "mlp"
    expected["target"] = f"{bundle['data']['target_name']} (column 0)"  # named by its column (review 33B)
    assert values == expected
    assert values["mode"] == f"auto: {value_text(resolved['mode'])}" and values["lr"].endswith("(default)")
    page.locator("#job-stages").scroll_into_view_if_needed()
    screenshot(page, "job-times-finished")
    assert not errors, errors


def test_a_running_jobs_page_marks_the_stage_it_is_in(web_server, owner_context, screenshot):
    with httpx.Client(base_url=web_server, headers=OWNER, timeout=60) as api:
        dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 32, "name": "running e2e"}).json()
        # long enough a distillation to be seen running (the test cancels it)
        job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY_JOB, "epochs": 2000}).json()
        assert job["state"] in ("queued", "running"), job
        page = owner_context().new_page()
        page.set_default_timeout(120_000)
        errors = console_errors(page)
        page.goto(f"{web_server}/jobs/{job['id']}")
        running = page.locator('#job-stages li[data-state="running"]')
        page.locator('#job-stages li[data-stage="distill"][data-state="running"]').wait_for()
        assert running.count() == 1 and "running" in running.inner_text()
        # how long the running stage was expected to take, as the worker sized the progress bar
        expected = api.get(f"/api/jobs/{job['id']}").json()["stage_expected"]
        assert set(expected) == {"teacher", "distill", "select", "students"} and expected["distill"] >= 1.0
        assert f"of about {fmt_seconds(expected['distill'])}, running" in running.inner_text()
        done = page.locator('#job-stages li[data-state="done"]')
        assert [done.nth(i).get_attribute("data-stage") for i in range(done.count())] == ["data", "teacher"]
        to_come = page.locator('#job-stages li[data-state="to come"]')
        assert [to_come.nth(i).get_attribute("data-stage") for i in range(to_come.count())] == ["select", "students"]
        assert page.inner_text("#job-duration") == ""  # no total while it runs
        screenshot(page, "job-times-running")
        assert api.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
        page.locator("#job-duration").get_by_text(re.compile(r"^Cancelled after \d+ s$")).wait_for()
        stopped = page.locator('#job-stages li[data-state="ended here"]')
        assert stopped.get_attribute("data-stage") == "distill" and "stopped here" in stopped.inner_text()
        assert not errors, errors
