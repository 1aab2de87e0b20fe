"""What the job page reads from the API: the settings of a finished job come from ``GET /api/jobs/{id}``
(``resolved_config``, kept on the job when it succeeds), not from the result bundle, which the page fetched whole
on every visit for a few hundred bytes of it (several MB for a CME run of the paper's grid). A job that succeeded
before they were kept still reads them from its bundle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awd_studio.frontend import api_client
from awd_studio.frontend.option_words import used_value

from .conftest import make_bundle, run
from .test_pages import page


class RecordingApp:
    """The real app behind a recorder of each request's method, path and answer's body size (nothing is changed)."""

    def __init__(self, app):
        self.app, self.requests = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        record = {"method": scope["method"], "path": scope["path"], "query": scope.get("query_string", b""),
                  "bytes": 0}
        self.requests.append(record)

        async def counting_send(message):
            if message["type"] == "http.response.body":
                record["bytes"] += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


@pytest.fixture()
def recorder(service):
    recording = RecordingApp(service.app)
    api_client.configure(app=recording)
    yield recording
    api_client.configure(app=service.app)


#: Options as a job stores them: left to the grid preset (None) and to ``auto``, and given.
CONFIG = {"epochs": None, "lambdas": None, "gammas": [0.0, 0.1], "mode": "auto", "wave": "db5", "seed": 3,
          "student": "awd", "start_search": None}
#: What the run resolved them to (the bundle's ``provenance.config``).
RESOLVED = {**CONFIG, "epochs": 50, "lambdas": [0.001, 0.01], "mode": "zero", "start_search": 1000,
            "teacher_path": "/data/teachers/x/weights.pt"}


def _succeeded_job(service, *, keep_resolved: bool = True) -> tuple[str, dict]:
    """A job finished as the worker finishes one (its summary read from the result it wrote); without
    ``keep_resolved``, its summary as a release before ``resolved_config`` kept it."""
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import get_sessionmaker
    from awd_studio.jobstate.summary import summarize_result

    bundle = make_bundle("timeseries")
    bundle["provenance"]["config"] = dict(RESOLVED)
    with get_sessionmaker(service.settings.sqlalchemy_url)() as session:
        job = crud.create_job(session, dataset_id=service.dataset_id, teacher_id=None, config=dict(CONFIG))
        attempt = crud.claim_job(session, job_id=job.id, worker="frontend-tests@nowhere")
        result = service.settings.data_dir / "jobs" / job.id / f"attempt-{attempt}" / "result"
        result.mkdir(parents=True)
        (result / "result.json").write_text(json.dumps(bundle))
        np.savez(result / "arrays.npz", h=np.asarray(bundle["wavelet"]["h"]))
        summary = summarize_result(result)
        if not keep_resolved:
            summary.pop("resolved_config")
        assert crud.finish_job(session, job_id=job.id, attempt=attempt, state="succeeded",
                               result_dir=str(result.relative_to(service.settings.data_dir)), summary=summary)
    return job.id, bundle


def _text(shown) -> str:
    """A value as the list shows it: text, or the muted "default" span."""
    return shown if isinstance(shown, str) else shown.children


def _terms_and_values(items) -> list[tuple[str, str]]:
    """The settings list as (option's API name, value shown) pairs, in its order."""
    return [(item.children[0].children[-1].children, _text(item.children[1].children)) for item in items]


def test_a_finished_jobs_settings_come_from_the_job_not_from_its_bundle(service, recorder):
    job_page = page("job")  # imported once the app exists (Dash registers its pages then)
    job_id, bundle = _succeeded_job(service)
    answer = service.client.get(f"/api/jobs/{job_id}").json()
    expected = {k: v for k, v in RESOLVED.items() if k != "teacher_path"}  # no server path in the answer
    assert answer["resolved_config"] == expected
    assert "resolved_config" not in (answer["summary"] or {})  # the one-line summary stays one line
    documented = service.client.get("/openapi.json").json()["components"]["schemas"]["JobPublic"]["properties"]
    assert "provenance.config" in documented["resolved_config"]["description"]
    listed = next(j for j in service.client.get("/api/jobs").json()["data"] if j["id"] == job_id)
    assert listed["resolved_config"] is None  # the list leaves it out: one job's page reads it

    out = run(job_page.show_settings(job_id))
    shown = _terms_and_values(out["items"])
    # the same list as the page drew from the bundle: each option as the run used it (option_words.used_value)
    provenance = bundle["provenance"]["config"]
    before, _ = job_page.settings_list(CONFIG, "timeseries", provenance)
    assert shown == _terms_and_values(before)
    assert dict(shown) == {name: _text(job_page.setting_value(used_value(name, given, provenance.get(name))))
                           for name, given in job_page.options_for_kind(CONFIG, "timeseries").items()}
    assert dict(shown)["epochs"] == "50 (default)" and dict(shown)["mode"] == "auto: zero"
    paths = [r["path"] for r in recorder.requests]
    assert not [p for p in paths if p.startswith("/api/results/")], paths
    job_reads = [r for r in recorder.requests if r["path"] == f"/api/jobs/{job_id}"]
    assert job_reads and all(r["query"] == b"losses=false" for r in job_reads)  # the poll reads the losses


def test_a_job_not_run_yet_lists_its_preset_grid(service):
    """Review 50B: a queued or running job's page listed λ, γ, epochs and step size as "default" beside its own
    "grid 5 × 21"; it lists the grid preset's values, as the run will use them."""
    job_page = page("job")
    created = service.client.post("/api/jobs", json={"dataset_id": service.dataset_id, "teacher": "mlp",
                                                     "grid_preset": "paper", "epochs": 3})
    assert created.status_code in (200, 201, 202), created.text
    job_id = created.json()["id"]
    service.client.post(f"/api/jobs/{job_id}/cancel")
    try:
        shown = dict(_terms_and_values(run(job_page.show_settings(job_id))["items"]))
    finally:  # the seeded service is shared with other tests: it keeps no extra job
        assert service.client.delete(f"/api/jobs/{job_id}").status_code in (200, 204)
    paper = service.client.get("/api/options").json()["grid_presets"]["timeseries"]["paper"]
    assert shown["lambdas"] == _text(job_page.setting_value(used_value("lambdas", None, paper["lambdas"])))
    assert shown["lambdas"].endswith("(default)") and shown["gammas"].startswith("[0.0, 0.0001, ")
    assert shown["epochs"] == "3" and shown["lr"] == f"{paper['lr']:.4g} (default)"


def test_a_job_that_succeeded_before_they_were_kept_reads_its_bundle(service, recorder):
    job_page = page("job")
    new_id, _ = _succeeded_job(service)
    old_id, _ = _succeeded_job(service, keep_resolved=False)
    assert service.client.get(f"/api/jobs/{old_id}").json()["resolved_config"] is None
    old = run(job_page.show_settings(old_id))
    assert [r["path"] for r in recorder.requests if r["path"].startswith("/api/results/")] == \
        [f"/api/results/{old_id}"]
    new = run(job_page.show_settings(new_id))
    assert _terms_and_values(old["items"]) == _terms_and_values(new["items"])
    # bytes the page fetched for the settings: the bundle (here a small hand-made one) against the job's answer
    fetched = {job: sum(r["bytes"] for r in recorder.requests if job in r["path"]) for job in (old_id, new_id)}
    assert fetched[new_id] < fetched[old_id]


def test_the_target_is_named_by_its_column_even_when_the_dataset_has_one(service, recorder, monkeypatch):
    """Review 33B: the job page said "target 0" where the results and compare pages said "auxilin"."""
    job_page = page("job")
    monkeypatch.setitem(CONFIG, "target", 0)  # as the configure page submits it
    job_id, _ = _succeeded_job(service)
    names = service.client.get(f"/api/datasets/{service.dataset_id}").json()["summary"]["target_names"]
    assert len(names) == 1 and service.client.get(f"/api/jobs/{job_id}").json()["target_name"] is None
    shown = dict(_terms_and_values(run(job_page.show_settings(job_id))["items"]))
    assert shown["target"] == f"{names[0]} (column 0)", shown


def test_a_running_job_says_when_its_teacher_learned_little():
    """Review 40C: a teacher at a validation MSE of about 1.0 from its first epochs was followed by minutes of
    distillation; the job page says so once the teacher's training has ended, by the results' weak-teacher rule."""
    from awd_studio.models.pipeline.trust import WEAK_TEACHER_R2

    job = page("job")
    assert job.WEAK_TEACHER_VALIDATION_MSE == pytest.approx(1 - WEAK_TEACHER_R2)
    curve = [{"chunk": job.TEACHER_CHUNK, "epoch": e, "values": {"teacher_lstm_val": 1.01, "teacher_mlp_val": v}}
             for e, v in ((1, 1.05), (2, 0.98))]
    running = {"state": "running", "stage": "distill", "fraction": 0.4, "losses": curve}
    notice = job.job_view(running)["notice"]
    assert notice.startswith("The teacher has learned little") and "0.980" in notice and "cancel" in notice
    assert job.job_view({**running, "stage": "teacher"})["notice"] is None  # still training
    assert job.job_view({**running, "state": "succeeded", "stage": "done"})["notice"] is None  # the results say it
    good = [{**p, "values": {"teacher_val": 0.3}} for p in curve]
    assert job.job_view({**running, "losses": good})["notice"] is None
    assert job.job_view({**running, "losses": []})["notice"] is None  # uploaded weights: no curve
