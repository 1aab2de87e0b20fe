"""Cost estimates (``POST /api/jobs/estimate``, computed and stored nowhere) have a rate limit of their own, ten times
the writes', and do not count against the writes': the configure page asks for one at each change of the form,
and a user who had tried a few grids could no longer submit the job (429), every page's requests coming from the
web process's own address."""

from __future__ import annotations

import pytest

from awd_studio.backend.ratelimit import ESTIMATE_FACTOR
from tests.conftest import TINY_JOB

#: A write limit no other test uses (the counts live in the session's Redis, per limit and client address).
PER_MINUTE = 4


@pytest.mark.usefixtures("no_worker")
def test_many_estimates_do_not_block_a_job_submission(make_client):
    client = make_client(rate_limit_per_minute=PER_MINUTE)
    dataset = client.post("/api/examples/synthetic", json={"n": 40, "seed": 2406})  # write 1
    assert dataset.status_code in (200, 201), dataset.text
    body = {"dataset_id": dataset.json()["id"], **TINY_JOB}
    for _ in range(3 * PER_MINUTE):  # three times the write limit, as a user trying grids on the configure page
        assert client.post("/api/jobs/estimate", json=body).status_code == 200
    job = client.post("/api/jobs", json=body)  # write 2
    assert job.status_code == 201, job.text
    assert client.post(f"/api/jobs/{job.json()['id']}/cancel").status_code == 200
    # their own limit holds: ten times the writes'
    statuses = [client.post("/api/jobs/estimate", json=body).status_code
                for _ in range(ESTIMATE_FACTOR * PER_MINUTE - 3 * PER_MINUTE + 1)]
    assert statuses[:-1] == [200] * (len(statuses) - 1) and statuses[-1] == 429
    refused = client.post("/api/jobs/estimate", json=body)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    detail = refused.json()["detail"]
    assert "cost estimates" in detail and f"= {ESTIMATE_FACTOR * PER_MINUTE} a minute" in detail
    assert client.post("/api/examples/nope").status_code == 404  # write 3: the writes' count went on apart
