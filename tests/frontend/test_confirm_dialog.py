"""The dialog that asks before a rerun or a cancel, on the job page and on the jobs list: one dialog, the same
words for the same action, and a rerun of a job its time limit stopped says it will very likely stop there again,
with the link to the configure form filled with its settings."""

from __future__ import annotations

import errno

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from dash import no_update

from awd_studio.frontend import api_client
from awd_studio.frontend.confirm_dialog import (
    RERUN_LINK_WORDS,
    ok_button,
    rerun_href,
    stopped_by_time_limit,
    time_limit_warning,
)
from awd_studio.worker.runner import TIME_LIMIT_ADVICE, describe_error

from .conftest import run, run_triggered
from .test_pages import page
from .test_runs_pages import _words as _component_words


@pytest.fixture(autouse=True)
def _client_of(service):
    """The pages exist once the seeded service's app does; callbacks talk to it."""
    api_client.configure(app=service.app)


def _words(shown) -> str:
    """The text of a component or of a list of them (a dialog's body), non-breaking spaces as spaces."""
    parts = shown if isinstance(shown, list) else [shown]
    return "".join(_component_words(part) for part in parts).replace("\u00a0", " ")


def _links(component) -> list[tuple[str, str]]:
    """(words, href) of every link under ``component``."""
    if isinstance(component, list):
        return [link for part in component for link in _links(part)]
    found = [(_words(component), component.href)] if type(component).__name__ in ("Link", "A") else []
    children = getattr(component, "children", None)
    children = children if isinstance(children, list) else [] if children is None else [children]
    return found + [link for child in children for link in _links(child)]


def _failed(service, error: str) -> str:
    """A job of the seeded service that failed with ``error``, through the real job-state functions (as the worker
    fails one); its id."""
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import get_sessionmaker

    with get_sessionmaker(service.settings.sqlalchemy_url)() as session:
        job = crud.create_job(session, dataset_id=service.dataset_id, teacher_id=None,
                              config={"epochs": 2, "teacher": "mlp"})
        attempt = crud.claim_job(session, job_id=job.id, worker="frontend-tests@nowhere")
        assert crud.finish_job(session, job_id=job.id, attempt=attempt, state="failed", error=error)
        return job.id


@pytest.mark.parametrize("stage", [*TIME_LIMIT_ADVICE, "data", None])
def test_every_time_limit_error_the_worker_writes_reads_as_one(stage):
    """The frontend knows a stop on the time limit from the job's ``error`` (the API has no other field for it): the
    worker's own words, whatever the stage, with the limit and its advice in the warning."""
    error = describe_error(SoftTimeLimitExceeded(), 600, stage)
    job = {"id": "j1", "state": "failed", "error": error}
    assert stopped_by_time_limit(job), error
    words = _words(time_limit_warning(job, "j1"))
    advice = TIME_LIMIT_ADVICE.get(stage, "fewer epochs or grid points")
    assert "stopped by its time limit of 10 min 00 s" in words and "very likely be stopped there again" in words
    assert f"Its error says what to change: use {advice}, or raise the limit." in words, words
    assert _links(time_limit_warning(job, "j1")) == [(RERUN_LINK_WORDS, rerun_href("j1"))]


@pytest.mark.parametrize("exc", [MemoryError(), OSError(errno.ENOSPC, "No space left on device"),
                                 ValueError("teacher: the weights do not fit"), RuntimeError("time limit reached?")])
def test_other_failures_say_nothing_of_a_time_limit(exc):
    job = {"state": "failed", "error": describe_error(exc, 600, "distill")}
    assert not stopped_by_time_limit(job) and time_limit_warning(job, "j1") is None, job["error"]


def test_a_job_cancelled_or_running_is_not_read_as_stopped_by_its_limit():
    error = describe_error(SoftTimeLimitExceeded(), 600, "distill")
    for state in ("cancelled", "running", "queued", "succeeded"):
        assert not stopped_by_time_limit({"state": state, "error": error}), state


def test_the_rerun_of_a_job_its_time_limit_stopped_says_so_on_both_pages(service):
    """The jobs list keeps each run's error for its dialog; the job page reads its job when Rerun is pressed. Both
    ask the same question, and both warn and link to the filled configure form; a job that failed otherwise is
    asked about without the warning."""
    job_page, jobs = page("job"), page("jobs")
    limited = _failed(service, describe_error(SoftTimeLimitExceeded(), 600, "teacher"))
    other = _failed(service, describe_error(MemoryError(), 600, "teacher"))
    rows = run(jobs.refresh(0, 0, None, []))["rows"]
    assert next(r for r in rows["jobs"] if r["id"] == limited)["error"].startswith("the job exceeded its time limit")

    listed = jobs.confirm_body({"action": "rerun", "target": limited}, rows)
    listed_words = _words(listed)
    assert f"Run {limited[:8]} was stopped by its time limit of 10 min 00 s" in listed_words, listed_words
    assert "use fewer teacher training epochs, or upload a trained teacher" in listed_words
    assert _links(listed) == [(RERUN_LINK_WORDS, f"/configure?from={limited}")]

    asked = run_triggered(f"{job_page.ids.RERUN}.n_clicks", job_page.ask(0, 1, limited))
    assert asked["open"] is True and asked["pending"] == "rerun"
    assert (asked["ok_label"], asked["ok_color"]) == ok_button("rerun") == ("Rerun", "primary")
    words = _words(asked["text"])
    question = "with the same dataset and settings, a new mlp teacher? A new job is queued."
    assert words.startswith(f"Rerun this job {question}This job was stopped by its time limit of 10 min 00 s")
    assert listed_words.startswith(f"Rerun run {limited[:8]} (") and question in listed_words
    assert _links(asked["text"]) == [(RERUN_LINK_WORDS, f"/configure?from={limited}")]

    # failed for another reason: the question alone, on both pages
    plain = run_triggered(f"{job_page.ids.RERUN}.n_clicks", job_page.ask(0, 1, other))
    assert _words(plain["text"]) == f"Rerun this job {question}" and _links(plain["text"]) == []
    assert _links(jobs.confirm_body({"action": "rerun", "target": other}, rows)) == []
    # deleting the run the limit stopped: nothing of the limit
    deleting = jobs.confirm_body({"action": "delete-job", "target": limited}, rows)
    assert "time limit" not in _words(deleting) and _links(deleting) == []


def test_the_job_page_asks_before_a_rerun_as_the_jobs_list_does(service):
    """The job page reads its job when Rerun is pressed, and asks the jobs list's question of it."""
    job_page, jobs = page("job"), page("jobs")
    failed = _failed(service, describe_error(MemoryError(), 600, "teacher"))
    rows = run(jobs.refresh(0, 0, None, []))["rows"]
    asked = run_triggered(f"{job_page.ids.RERUN}.n_clicks", job_page.ask(0, 1, failed))
    assert asked["open"] is True and asked["pending"] == "rerun"
    assert (asked["ok_label"], asked["ok_color"]) == ok_button("rerun") == ("Rerun", "primary")
    question = "with the same dataset and settings, a new mlp teacher? A new job is queued."
    assert _words(asked["text"]) == f"Rerun this job {question}" and _links(asked["text"]) == []
    listed = jobs.confirm_body({"action": "rerun", "target": failed}, rows)
    assert _words(listed) == f"Rerun run {failed[:8]} (<b>my data</b>, mlp, grid 3 × 6) {question}", _words(listed)


def test_the_job_page_asks_before_cancelling_as_the_jobs_list_does_and_goes_back(service):
    job_page, jobs = page("job"), page("jobs")
    asked = run_triggered(f"{job_page.ids.CANCEL}.n_clicks", job_page.ask(1, 0, service.running_job_id))
    assert asked["pending"] == "cancel-job" and asked["open"] is True
    assert (asked["ok_label"], asked["ok_color"]) == ("Cancel the job", "warning")
    tail = "? It stops within seconds and keeps no result; it can be rerun later."
    assert _words(asked["text"]) == f"Cancel this job{tail}"
    rows = run(jobs.refresh(0, 0, None, []))["rows"]
    assert jobs.confirm_text({"action": "cancel-job", "target": service.running_job_id}, rows).endswith(tail)
    # "Go back" (or Escape, which closes the dialog in the browser) does nothing but close it
    back = run_triggered(f"{job_page.ids.CONFIRM_CANCEL}.n_clicks",
                         job_page.confirm(0, 1, "cancel-job", service.running_job_id))
    assert back["open"] is False and back["error"]["is_open"] is no_update and back["nav"] is no_update
    assert service.client.get(f"/api/jobs/{service.running_job_id}").json()["state"] == "running"
    # a click that was no button's (the page drawn again) opens nothing
    assert run_triggered(f"{job_page.ids.JOB_ID}.data", job_page.ask(0, 0, service.running_job_id))["open"] \
        is no_update


def test_a_confirmed_rerun_on_the_job_page_opens_the_new_job(service):
    job_page = page("job")
    limited = _failed(service, describe_error(SoftTimeLimitExceeded(), 600, "distill"))
    done = run_triggered(f"{job_page.ids.CONFIRM_OK}.n_clicks", job_page.confirm(1, 0, "rerun", limited))
    new_id = done["submitted"]
    assert done["open"] is False and done["nav"] == f"/jobs/{new_id}" and done["error"] == {"children": None,
                                                                                             "is_open": False}
    created = service.client.get(f"/api/jobs/{new_id}").json()
    assert created["rerun_of"] == limited and created["state"] == "queued"
    service.client.post(f"/api/jobs/{new_id}/cancel")  # nothing runs it here
