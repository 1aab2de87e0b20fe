"""Review 24A: a client over the write limit could not cancel the runaway job that put it there (429). Cancelling a
job and deleting a job, dataset, teacher or share link are never limited; every other write still is."""

from __future__ import annotations

import pytest

from tests.conftest import TINY_JOB

#: A limit no other test uses: the counts live in the session's Redis, per limit and client address.
PER_MINUTE = 3
SOME_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.usefixtures("no_worker")
def test_a_client_over_the_limit_can_still_cancel_and_delete(make_client):
    client = make_client(rate_limit_per_minute=PER_MINUTE)
    dataset = client.post("/api/examples/synthetic", json={"n": 40, "seed": 2405})  # write 1
    assert dataset.status_code in (200, 201), dataset.text
    job = client.post("/api/jobs", json={"dataset_id": dataset.json()["id"], **TINY_JOB})  # write 2
    assert job.status_code == 201, job.text
    assert client.post("/api/examples/nope").status_code == 404  # write 3: the limit is reached
    assert client.post("/api/examples/nope").status_code == 429
    job_id = job.json()["id"]
    cancelled = client.post(f"/api/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", cancelled.text
    assert client.post(f"/api/jobs/{job_id}/rerun").status_code == 429  # other writes are still limited
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204
    assert client.delete(f"/api/datasets/{dataset.json()['id']}").status_code == 204
    assert client.delete(f"/api/teachers/{SOME_ID}").status_code == 404  # answered, not refused
    assert client.delete(f"/api/shares/{SOME_ID}").status_code == 404
    assert client.post("/api/examples/nope").status_code == 429  # and they did not count against it either way


def test_only_stopping_and_freeing_writes_are_exempt():
    from awd_studio.backend.ratelimit import is_limited

    exempt = [("POST", "/api/jobs/1/cancel"), ("DELETE", "/api/jobs/1"), ("DELETE", "/api/datasets/1"),
              ("DELETE", "/api/teachers/1"), ("DELETE", "/api/shares/1")]
    limited = [("POST", "/api/jobs"), ("POST", "/api/jobs/1/rerun"), ("POST", "/api/jobs/1/share"),
               ("POST", "/api/datasets"), ("DELETE", "/api/jobs/1/cancel"), ("POST", "/api/jobs/1/cancel/x"),
               ("DELETE", "/api/jobs"), ("PUT", "/api/jobs/1")]
    assert not any(is_limited(method, path) for method, path in exempt)
    assert all(is_limited(method, path) for method, path in limited)
    assert not is_limited("GET", "/api/jobs")


def test_the_decoded_bound_is_published_and_answered_as_the_docs_say(make_client, tmp_path):
    """Review 31A: an archive decoding above the bound got 422 where the docs said 413, and the bound was nowhere
    in GET /api/options. Both are content checks (422), and the bound is published beside max_upload_bytes."""
    import io

    import numpy as np

    client = make_client(max_upload_mb=1.0, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    options = client.get("/api/options").json()
    assert options["max_upload_bytes"] == 1024 * 1024 and options["max_decoded_bytes"] > options["max_upload_bytes"]
    buffer = io.BytesIO()
    rows = options["max_decoded_bytes"] // (8 * 64) + 1  # zeros compress to almost nothing
    np.savez_compressed(buffer, X=np.zeros((rows, 64)), y=np.zeros(rows))
    assert buffer.tell() < options["max_upload_bytes"]
    refused = client.post("/api/datasets", files={"file": ("big.npz", buffer.getvalue(), "application/octet-stream")})
    assert refused.status_code == 422 and "decode" in refused.json()["detail"]
    described = client.get("/openapi.json").json()["paths"]["/api/datasets"]["post"]["responses"]
    assert "max_decoded_bytes" in described["422"]["description"] and "pickle" in described["422"]["description"]
