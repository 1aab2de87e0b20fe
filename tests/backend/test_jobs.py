"""``/api/jobs`` without a worker: validation, idempotency, list/get, cancel, rerun, delete, 404/409."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backend.conftest import npz_bytes

TINY = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 1}

pytestmark = pytest.mark.usefixtures("no_worker")  # the jobs must stay queued


def test_submit_get_list_cancel_rerun(client, dataset):
    response = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["state"] == "queued" and job["attempt"] == 0 and job["config"]["teacher"] == "mlp"
    got = client.get(f"/api/jobs/{job['id']}").json()
    assert got["id"] == job["id"] and got["losses"] == [] and got["eta_seconds"] is None
    listed = client.get("/api/jobs", params={"state": "queued"}).json()
    assert job["id"] in [j["id"] for j in listed["data"]]
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 409  # active
    assert client.delete(f"/api/datasets/{dataset['id']}").status_code == 409  # used by an active job
    assert "once it has ended" in client.post(f"/api/jobs/{job['id']}/rerun").json()["detail"]  # 409 while queued
    cancelled = client.post(f"/api/jobs/{job['id']}/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["finished"]
    again = client.post(f"/api/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and again.json()["detail"] == "job has already been cancelled; nothing to cancel"
    rerun = client.post(f"/api/jobs/{job['id']}/rerun")
    assert rerun.status_code == 201 and rerun.json()["rerun_of"] == job["id"]
    assert rerun.json()["config"] == job["config"]
    # review 17: a retried rerun made a second job; with the same Idempotency-Key it returns the first
    keyed = client.post(f"/api/jobs/{job['id']}/rerun", headers={"Idempotency-Key": "rerun-key-1"})
    again = client.post(f"/api/jobs/{job['id']}/rerun", headers={"Idempotency-Key": "rerun-key-1"})
    assert keyed.status_code == 201 and again.status_code == 200 and again.json()["id"] == keyed.json()["id"]
    reused = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY},
                         headers={"Idempotency-Key": "rerun-key-1"})
    assert reused.status_code == 422 and "used for a different request" in reused.json()["detail"]
    for made in (rerun.json(), keyed.json()):
        assert client.post(f"/api/jobs/{made['id']}/cancel").status_code == 200
    # a job submitted with settings changed from another names it (the configure page's "run again with changes")
    changed = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY, "seed": 4, "rerun_of": job["id"]})
    assert changed.status_code == 201 and changed.json()["rerun_of"] == job["id"]
    assert "rerun_of" not in changed.json()["config"] and changed.json()["config"]["seed"] == 4
    assert client.post(f"/api/jobs/{changed.json()['id']}/cancel").status_code == 200
    for unknown in ("00000000-0000-4000-8000-000000000000", "nope"):
        refused = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY, "rerun_of": unknown})
        assert refused.status_code == 422 and "rerun_of: no job" in refused.json()["detail"]
    estimate = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], **TINY, "rerun_of": job["id"]})
    assert estimate.status_code == 200, estimate.text
    assert client.post(f"/api/jobs/{job['id']}/share").status_code == 409  # not succeeded
    assert client.get(f"/api/results/{job['id']}").status_code == 409
    said = client.get(f"/api/results/{job['id']}").json()["detail"]
    assert "cancelled, so it has no result; rerun it" in said and "error" not in said  # a cancel has no error
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404


def test_a_grid_may_be_given_as_the_clis_text(client, dataset):
    """Review 14: "lambdas": "0.1,0.2" (the CLI's syntax) was "Input should be a valid list"."""
    job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY, "lambdas": "0.002, 0.001",
                                         "gammas": "0,0.1"})
    assert job.status_code == 201, job.text
    assert job.json()["config"]["lambdas"] == [0.001, 0.002] and job.json()["config"]["gammas"] == [0.0, 0.1]
    client.post(f"/api/jobs/{job.json()['id']}/cancel")
    bad = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY, "lambdas": "0.1,x"})
    assert bad.status_code == 422 and "give a list of numbers" in bad.text
    # the configure page's Quick grid button is the preset "default"
    quick = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], "teacher": "mlp",
                                                    "grid_preset": "quick"})
    assert quick.status_code == 200, quick.text


def test_idempotency_key(client, dataset):
    body = {"dataset_id": dataset["id"], **TINY}
    first = client.post("/api/jobs", json=body, headers={"Idempotency-Key": f"key-{dataset['id']}"})
    second = client.post("/api/jobs", json=body, headers={"Idempotency-Key": f"key-{dataset['id']}"})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    other = client.post("/api/jobs", json={**body, "epochs": 3}, headers={"Idempotency-Key": f"key-{dataset['id']}"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]


@pytest.mark.parametrize("change,word", [
    ({"teacher": "gpt"}, "teacher"), ({"wave": "nope"}, "wave"), ({"mode": "zigzag"}, "mode"),
    ({"attribution": "magic"}, "attribution"), ({"lambdas": [-1.0]}, "lambdas"), ({"epochs": 0}, "epochs"),
    ({"unknown": 1}, "unknown"),
])
def test_bad_job_options_are_422(client, dataset, change, word):
    response = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY, **change})
    assert response.status_code == 422
    assert word in str(response.json()["detail"])


@pytest.mark.parametrize("field, value", [
    ("seed", True), ("seed", "3"), ("seed", False), ("epochs", True), ("levels", "4"), ("teacher_epochs", True),
    ("top_k", True), ("cv_folds", "5"), ("start_search", False), ("lr", True), ("lambdas", [True]),
])
def test_a_boolean_or_a_string_is_no_number(client, dataset, field, value):
    """Review 39B: ``"seed": true`` was taken as seed 1 and ``"seed": "3"`` as 3; every numeric option is a JSON
    number (models.options.json_number), named when it is not; a whole float is taken, as is a target's name."""
    response = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], **TINY, field: value})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith(field) and "is not a number; pass a number such as 3 (not true/false, not a string)" \
        in detail, detail
    for fine in ({"seed": 3}, {"seed": 3.0}, {"epochs": 2}, {"lr": 0.01}, {"target": "0"}):
        assert client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], **TINY, **fine}).status_code \
            == 200, fine


def test_a_boolean_is_no_target_column(client, dataset):
    response = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], **TINY, "target": True})
    assert response.status_code == 422
    assert response.json()["detail"] == "target: true is not a column; pass its number from 0 or its name"


@pytest.mark.parametrize("job_id", ["nope", "00000000-0000-4000-8000-000000000000"])
@pytest.mark.parametrize("method,suffix", [("GET", ""), ("POST", "/cancel"), ("POST", "/rerun"),
                                           ("POST", "/share"), ("DELETE", ""), ("GET", "/shares")])
def test_unknown_job_is_404(client, job_id, method, suffix):
    assert client.request(method, f"/api/jobs/{job_id}{suffix}").status_code == 404


def test_unknown_dataset_on_submit_is_404(client):
    response = client.post("/api/jobs", json={"dataset_id": "00000000-0000-4000-8000-000000000000", **TINY})
    assert response.status_code == 404 and "dataset_id" in response.json()["detail"]


def test_results_and_shares_404(client):
    assert client.get("/api/results/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/api/results/not-a-token").status_code == 404
    assert client.get("/api/results/not-a-token/files/result.json").status_code == 404
    assert client.delete("/api/shares/not-a-token").status_code == 404


def test_owner_token_guards_every_owner_route(make_client, dataset):
    locked = make_client(api_token="owner-secret-0123456789")
    assert locked.get("/api/health").status_code == 200
    assert locked.get("/api/jobs").status_code == 401
    assert locked.get("/api/datasets", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = locked.get("/api/datasets", headers={"Authorization": "Bearer owner-secret-0123456789"})
    assert ok.status_code == 200


def test_health_reports_redis_and_database(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["redis"] and body["database"]


def test_openapi_lists_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/datasets", "/api/jobs/{job_id}/cancel", "/api/results/{key}/files/{name}",
                 "/api/shares/{share}", "/api/examples/{name}", "/api/teachers"]:
        assert path in paths
    assert "multipart/form-data" in paths["/api/datasets"]["post"]["requestBody"]["content"]


def test_a_target_column_the_data_lacks_or_that_never_varies_is_422_before_queueing(client, dataset, upload):
    body = {"dataset_id": dataset["id"], **TINY, "target": 3}
    for route in ("/api/jobs", "/api/jobs/estimate"):
        response = client.post(route, json=body)
        assert response.status_code == 422, response.text
        assert "target: the data has one target column, so target must be 0, got 3" in response.json()["detail"]
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 64))
    y = np.column_stack([X[:, :4].sum(axis=1), np.full(60, 0.8)])
    two = upload(npz_bytes(X=X, y=y), "two_targets.npz")
    assert two.status_code in (200, 201), two.text
    response = client.post("/api/jobs", json={"dataset_id": two.json()["id"], **TINY, "target": 1})
    assert response.status_code == 422
    assert response.json()["detail"] == ("target: column 1 (y1) is 0.8 for every sample, so there is nothing to "
                                         "predict; choose a column that varies: 0 (y0)")
    created = client.post("/api/jobs", json={"dataset_id": two.json()["id"], **TINY, "target": 0})
    assert created.status_code == 201
    # the jobs list names the column of a dataset with several (two runs on one file looked alike)
    listed = {j["id"]: j for j in client.get("/api/jobs").json()["data"]}
    assert listed[created.json()["id"]]["target_name"] == "y0"
    assert client.get(f"/api/jobs/{created.json()['id']}").json()["target_name"] == "y0"
    one = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY}).json()
    assert client.get(f"/api/jobs/{one['id']}").json()["target_name"] is None  # one target: nothing to tell apart


def test_the_target_column_may_be_given_by_its_name(client, upload):
    """Review 31A: the API took only a column number, while awd distill --target sigma_8 takes the name."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 64))
    y = np.column_stack([X[:, :4].sum(axis=1), X[:, 4:8].sum(axis=1)])
    named = upload(npz_bytes(X=X, y=y, target_names=np.array(["area", "height"])), "named_targets.npz")
    assert named.status_code in (200, 201), named.text
    body = {"dataset_id": named.json()["id"], **TINY}
    created = client.post("/api/jobs", json={**body, "target": "height"})
    assert created.status_code == 201, created.text
    assert client.get(f"/api/jobs/{created.json()['id']}").json()["target_name"] == "height"
    wrong = client.post("/api/jobs/estimate", json={**body, "target": "width"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == ("target: 'width' is not a target column of this dataset; pass a column's "
                                      "number or name: 0 (area), 1 (height)")


def test_the_answer_to_a_submission_is_the_job_as_get_gives_it(client, upload):
    """Review 39B: the 201 body had dataset_name, teacher_name, target_name and grid null, which GET then filled;
    a rerun's and a cancel's answers are the same view (routes/jobs.py job_detail)."""
    rng = np.random.default_rng(3939)
    X = rng.normal(size=(60, 64))
    y = np.column_stack([X[:, :4].sum(axis=1), X[:, 4:8].sum(axis=1)])
    named = upload(npz_bytes(X=X, y=y, target_names=np.array(["y_len", "y_amp"])), "two_targets.npz")
    assert named.status_code in (200, 201), named.text
    created = client.post("/api/jobs", json={"dataset_id": named.json()["id"], **TINY, "target": "y_amp"})
    assert created.status_code == 201, created.text
    labels = ("dataset_name", "teacher_name", "target_name", "grid", "config", "queued_ahead", "running")
    body, got = created.json(), client.get(f"/api/jobs/{created.json()['id']}").json()
    assert {k: body[k] for k in labels} == {k: got[k] for k in labels}
    assert (body["dataset_name"], body["teacher_name"], body["target_name"], body["grid"]) == (
        "two_targets", "mlp", "y_amp", [1, 1])
    assert body["losses"] == [] and body["queued_ahead"] is not None
    cancelled = client.post(f"/api/jobs/{body['id']}/cancel").json()
    rerun = client.post(f"/api/jobs/{body['id']}/rerun").json()
    for answer in (cancelled, rerun):
        assert (answer["dataset_name"], answer["target_name"], answer["grid"]) == ("two_targets", "y_amp", [1, 1])
    assert client.post(f"/api/jobs/{rerun['id']}/cancel").status_code == 200  # no worker may take it later


def test_a_body_that_is_not_json_or_names_a_wrong_field_gets_plain_words(client, dataset):
    """Review 8: "1: JSON decode error" and "dataset_id: Field required (and 1 more)" hid what was wrong."""
    broken = client.post("/api/jobs", content=b"{dataset_id: 1}", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("request body: is not valid JSON (Expecting property name")
    wrong = client.post("/api/jobs", json={"dataset": dataset["id"], **TINY})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == ("dataset_id: Field required; dataset: is not a field of this request (the "
                                      "fields are listed at /docs)")
    # review 17: JSON sent as curl -d does (form encoding) read "Input should be a valid dictionary ..."
    for headers in ({"Content-Type": "application/x-www-form-urlencoded"}, {}):
        form = client.post("/api/jobs/estimate", content=b'{"dataset_id": "x"}', headers=headers)
        assert form.status_code == 422 and "Content-Type: application/json" in form.json()["detail"], form.text


def test_the_result_schema_is_served_beside_the_options(client):
    schema = client.get("/api/options/result-schema")
    assert schema.status_code == 200 and "teacher" in schema.json()["properties"]


def test_the_results_routes_document_their_auth_answers(client):
    """Review 17: /api/results/{key} (and its files and archive) answer 401 and 403 to a job id without or with a
    wrong owner token; the OpenAPI document listed neither."""
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/results/{key}", "/api/results/{key}/files", "/api/results/{key}/files/{name}",
                 "/api/results/{key}/archive"):
        assert {"401", "403"} <= set(paths[path]["get"]["responses"]), path


def test_a_running_job_whose_worker_went_silent_says_so(client, dataset, settings):
    """Review 17: after its worker was killed, a job read "running 28 %" with a time left that grew, and no notice,
    until the recovery sweep re-queued it."""
    import datetime as dt

    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import Job, get_sessionmaker, utcnow

    job_id = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY}).json()["id"]
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        crud.claim_job(session, job_id=job_id, worker="gone@host")
        row = session.get(Job, job_id)
        row.fraction, row.started = 0.3, utcnow() - dt.timedelta(seconds=60)
        row.heartbeat = utcnow() - dt.timedelta(seconds=2)
        session.commit()
    fresh = client.get(f"/api/jobs/{job_id}").json()
    assert fresh["state"] == "running" and fresh["notice"] is None and fresh["eta_seconds"] is not None
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        session.get(Job, job_id).heartbeat = utcnow() - dt.timedelta(seconds=40)
        session.commit()
    silent = client.get(f"/api/jobs/{job_id}").json()
    assert silent["notice"].startswith("no word from its worker for 4") and "runs again from the start" in \
        silent["notice"]
    assert silent["eta_seconds"] is None  # no time left that grows while nothing runs
    with get_sessionmaker(settings.sqlalchemy_url)() as session:  # just started: too early to extrapolate
        row = session.get(Job, job_id)
        row.heartbeat, row.started, row.fraction = utcnow(), utcnow() - dt.timedelta(seconds=0.2), 0.05
        session.commit()
    assert client.get(f"/api/jobs/{job_id}").json()["eta_seconds"] is None
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200


def test_the_time_left_follows_each_stage_once_the_worker_wrote_what_they_were_expected_to_take(
        client, dataset, settings):
    """Review 50B: after a slow teacher the time left tripled, every stage to come taking the teacher's pace. With
    ``stage_expected`` (written by the worker as it sizes the progress bar) the time left is stage by stage
    (``models.pipeline.progress.time_left``), from the claim on."""
    import datetime as dt

    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import Job, get_sessionmaker, utcnow
    from awd_studio.models.pipeline.progress import stage_spans

    expected = {"teacher": 10.0, "distill": 20.0, "select": 3.0, "students": 2.0}
    job_id = client.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY}).json()["id"]
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        attempt = crud.claim_job(session, job_id=job_id, worker="w@host")
        assert crud.set_stage_expected(session, job_id=job_id, attempt=attempt,
                                       seconds={**expected, "bad": float("nan")})
        assert session.get(Job, job_id).stage_expected == expected  # not-finite seconds left out
    # just claimed: the whole estimate, without waiting to extrapolate
    assert client.get(f"/api/jobs/{job_id}").json()["eta_seconds"] == pytest.approx(35.0)
    with get_sessionmaker(settings.sqlalchemy_url)() as session:  # a teacher 3x slow, the distillation on time
        row = session.get(Job, job_id)
        now = utcnow()
        row.started = now - dt.timedelta(seconds=41)
        row.stage_marks = [["starting", (now - dt.timedelta(seconds=41)).isoformat()],
                           ["teacher", (now - dt.timedelta(seconds=40)).isoformat()],
                           ["distill", (now - dt.timedelta(seconds=10)).isoformat()]]
        row.stage, row.fraction, row.heartbeat = "distill", sum(stage_spans(expected)["distill"]) / 2, now
        session.commit()
    eta = client.get(f"/api/jobs/{job_id}").json()["eta_seconds"]
    assert 15.0 <= eta < 21.0  # 15 s left; the elapsed time extrapolated by the fraction done says 30 s
    with get_sessionmaker(settings.sqlalchemy_url)() as session:  # back in the queue: the next attempt's own
        assert crud.requeue_job(session, job=session.get(Job, job_id), reason="test", max_attempts=3) == "queued"
        assert session.get(Job, job_id).stage_expected is None
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200


def test_a_worker_not_yet_answering_after_a_start_is_said_to_be_starting():
    """Review 18: right after a restart of awd serve, a queued job's page told the user for about 5 s to restart
    awd serve; in the web process's first half minute a silent worker is said to be starting."""
    from awd_studio.backend.routes.jobs import NO_WORKER_NOTICE, WORKER_START_GRACE_SECONDS, no_worker_notice

    assert no_worker_notice(4.2) == ("waiting for a worker: AWD Studio started 4 s ago and its worker is still "
                                     "starting; the job runs as soon as it answers")
    assert no_worker_notice(WORKER_START_GRACE_SECONDS + 1) == NO_WORKER_NOTICE
    assert "restart `awd serve`" in NO_WORKER_NOTICE
