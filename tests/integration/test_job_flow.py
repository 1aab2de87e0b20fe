"""Upload -> submit -> progress -> succeeded -> bundle matches the schema -> share token scope."""

from __future__ import annotations

import io
import json

import jsonschema
import numpy as np
import pytest

from awd_studio.jobstate.db import TEACHER_CHUNK
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _npz_bytes(n=200, seed=0) -> bytes:
    import os
    import tempfile

    from awd_studio.models.data import make_example, save_npz

    dataset = make_example("synthetic", n=n, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.npz")
        save_npz(dataset, path)
        return open(path, "rb").read()


def _finished(client, job_id):
    body = client.get(f"/api/jobs/{job_id}").json()
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def test_upload_submit_result_share(client, worker, tiny_job):
    from awd_studio.models.pipeline import SCHEMA_PATH

    content = _npz_bytes(seed=11)  # a file no other test uploads: the first upload of it makes a dataset
    files = {"file": ("synth.npz", content, "application/octet-stream")}
    response = client.post("/api/datasets", files=files, data={"name": "my synthetic"})
    assert response.status_code == 201, response.text
    dataset = response.json()
    again = client.post("/api/datasets", files={"file": ("copy.npz", content, "application/octet-stream")})
    assert again.status_code == 200 and again.json()["id"] == dataset["id"]
    assert "uploaded before" in again.json()["note"] and "my synthetic" in again.json()["note"]
    assert dataset["name"] == "my synthetic" and dataset["kind"] == "timeseries" and len(dataset["sha256"]) == 64

    response = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job},
                           headers={"Idempotency-Key": "flow-1"})
    assert response.status_code == 201, response.text
    job = response.json()
    again = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job},
                        headers={"Idempotency-Key": "flow-1"})
    assert again.status_code == 200 and again.json()["id"] == job["id"]

    seen = set()

    def done():
        body = client.get(f"/api/jobs/{job['id']}").json()
        seen.add(body["state"])
        return body if body["state"] in ("succeeded", "failed", "cancelled") else None

    final = wait_for(done, timeout=180, what="the job to finish")
    assert final["state"] == "succeeded", final["error"]
    assert final["fraction"] == 1.0 and final["attempt"] == 1
    assert final["losses"], "the live loss history is empty"
    assert final["started"] and final["finished"]
    lean = client.get(f"/api/jobs/{job['id']}", params={"losses": "false"}).json()  # a script's poll (review 31A)
    assert lean["losses"] is None and lean["state"] == "succeeded"

    bundle = client.get(f"/api/results/{job['id']}").json()
    jsonschema.validate(bundle, json.loads(SCHEMA_PATH.read_text()))
    names = [f["name"] for f in client.get(f"/api/results/{job['id']}/files").json()["data"]]
    assert "result.json" in names and "arrays.npz" in names
    arrays = client.get(f"/api/results/{job['id']}/files/arrays.npz")
    assert arrays.status_code == 200
    np.load(io.BytesIO(arrays.content), allow_pickle=False)
    # saved under the run's name: two runs' files in one folder do not overwrite each other
    assert f'filename="awd-{job["id"][:8]}-arrays.npz"' in arrays.headers["content-disposition"]

    share = client.post(f"/api/jobs/{job['id']}/share", json={"expires_in_hours": 1}).json()
    token = share["token"]
    assert share["url"] == f"/results/{token}"
    assert client.get(f"/api/results/{token}").json() == bundle
    assert client.get(f"/api/results/{token}/files/arrays.npz").content == arrays.content


@pytest.fixture(scope="module")
def two_jobs(client, workers, tiny_job):
    """Two succeeded jobs of the same tiny example dataset."""
    workers.ensure_running()
    dataset = client.post("/api/examples/synthetic", json={"n": 200}).json()
    ids = [client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job, "seed": s}).json()["id"]
           for s in (1, 2)]
    for job_id in ids:
        final = wait_for(lambda: _finished(client, job_id), timeout=180, what="a job to finish")
        assert final["state"] == "succeeded", final["error"]
    return dataset, ids


@pytest.fixture(scope="module")
def locked_client(two_jobs, settings):
    """A second web process on the same database with ``AWD_API_TOKEN`` set (lab deployment)."""
    from fastapi.testclient import TestClient

    from awd_studio.backend.app import create_app

    locked = settings.model_copy(update={"api_token": "owner-secret-0123456789"})
    with TestClient(create_app(locked, with_ui=False, recovery=False)) as test_client:
        yield test_client


def test_share_token_reads_exactly_one_job(client, locked_client, two_jobs):
    dataset, (mine, other) = two_jobs
    owner = {"Authorization": "Bearer owner-secret-0123456789"}
    token = locked_client.post(f"/api/jobs/{mine}/share", headers=owner).json()["token"]
    as_share = {"Authorization": f"Bearer {token}"}

    assert locked_client.get(f"/api/results/{token}").status_code == 200
    assert locked_client.get(f"/api/results/{token}/files/arrays.npz").status_code == 200
    # owner routes refuse the share token: list, submit, cancel, rerun, delete, share, read another job
    forbidden = [
        ("GET", "/api/jobs", None), ("GET", f"/api/jobs/{mine}", None), ("GET", "/api/datasets", None),
        ("POST", "/api/jobs", {"dataset_id": dataset["id"], "teacher": "mlp"}),
        ("POST", f"/api/jobs/{mine}/cancel", None), ("POST", f"/api/jobs/{mine}/rerun", None),
        ("POST", f"/api/jobs/{mine}/share", None), ("DELETE", f"/api/jobs/{mine}", None),
        ("DELETE", f"/api/datasets/{dataset['id']}", None), ("GET", f"/api/results/{other}", None),
        ("GET", f"/api/results/{other}/files/result.json", None), ("DELETE", f"/api/shares/{token}", None),
    ]
    for method, url, body in forbidden:
        response = locked_client.request(method, url, json=body, headers=as_share)
        assert response.status_code == 403, (method, url, response.status_code)
    # the token itself is never an id anywhere else
    for method, url in [("GET", f"/api/jobs/{token}"), ("POST", f"/api/jobs/{token}/cancel"),
                        ("DELETE", f"/api/datasets/{token}"), ("DELETE", f"/api/jobs/{token}")]:
        assert client.request(method, url).status_code == 404, url
    # no way out of the job's result directory
    for name in ["../../" + other + "/result.json", "..%2F..%2Fawd.sqlite3", ".hidden", "work/split.npz",
                 "%2e%2e/%2e%2e/awd.sqlite3"]:
        assert client.get(f"/api/results/{token}/files/{name}").status_code == 404, name
    # a guessed token reads nothing; a revoked one stops working
    assert client.get(f"/api/results/{token[:-2]}xx").status_code == 404
    assert locked_client.delete(f"/api/shares/{token}", headers=owner).status_code == 204
    revoked = client.get(f"/api/results/{token}")
    assert revoked.status_code == 410 and "revoked" in revoked.json()["detail"]


def test_share_tokens_are_hashed_and_expire(client, two_jobs, settings):
    import datetime as dt

    from sqlalchemy import select

    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import Share, get_sessionmaker, utcnow

    _, (mine, _other) = two_jobs
    token = client.post(f"/api/jobs/{mine}/share").json()["token"]
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        hashes = list(session.scalars(select(Share.token_hash)))
        assert crud.hash_token(token) in hashes and token not in hashes
        _row, expired = crud.create_share(session, job_id=mine, expires=utcnow() - dt.timedelta(seconds=1))
    assert client.get(f"/api/results/{token}").status_code == 200
    gone = client.get(f"/api/results/{expired}")
    assert gone.status_code == 410 and "expired" in gone.json()["detail"]
    listed = client.get(f"/api/jobs/{mine}/shares").json()
    assert listed["count"] >= 2 and all("token" not in s for s in listed["data"])


def _large_grid_job(client, dataset, seed: int) -> tuple[dict, dict]:
    """A job of 14 grid points (>= AWD_CHORD_MIN_POINTS=13), run to its end: its final state and its bundle."""
    from awd_studio.models.pipeline import SCHEMA_PATH

    gammas = [0.0] + [10.0 ** -k for k in range(2, 15)]
    body = {"dataset_id": dataset["id"], "teacher": "mlp", "teacher_epochs": 10, "lambdas": [1e-3],
            "gammas": gammas, "epochs": 2, "seed": seed}
    job = client.post("/api/jobs", json=body).json()
    final = wait_for(lambda: _finished(client, job["id"]), timeout=180, what="the large grid to finish")
    assert final["state"] == "succeeded", final["error"]
    bundle = client.get(f"/api/results/{job['id']}").json()
    jsonschema.validate(bundle, json.loads(SCHEMA_PATH.read_text()))
    assert len(bundle["grid"]) == 14
    return final, bundle


def test_large_grid_runs_as_a_chord_when_a_worker_on_another_machine_can_share_it(client, worker, two_jobs,
                                                                                   data_dir):
    """With a worker on another machine answering (its AWD_WORKER_MACHINE says so), 14 grid points run as
    prepare -> 3 chunks -> finalize."""
    from tests.conftest import WorkerControl

    second = WorkerControl(data_dir.parent, label="second", AWD_WORKER_MACHINE="another-machine")
    second.start()
    try:
        final, _ = _large_grid_job(client, two_jobs[0], seed=1)
    finally:
        second.stop()
    # chunk -1 (TEACHER_CHUNK) is the teacher's own training curve
    assert {p["chunk"] for p in final["losses"]} - {TEACHER_CHUNK} == {0, 1, 2}


def test_large_grid_runs_in_one_task_on_a_single_machine(client, worker, two_jobs):
    """With one machine's workers the chunks would share its cores, each repeating its set-up: one task instead."""
    final, _ = _large_grid_job(client, two_jobs[0], seed=2)
    assert {p["chunk"] for p in final["losses"]} - {TEACHER_CHUNK} == {0}
