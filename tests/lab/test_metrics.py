"""``GET /metrics`` parses with the Prometheus client's parser and reports a job a real worker finished."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from awd_studio.backend.metrics import failure_reason
from tests.conftest import terminal_state, wait_for

pytestmark = [pytest.mark.integration]

METRICS_TOKEN = "metrics-only-token-0123456789"
OWNER = "owner-token-for-metrics-test-0123"


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(family, **labels) -> float:
    for sample in family.samples:
        if all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    raise AssertionError(f"no sample {labels} in {family.name}")


def test_metrics_report_a_finished_job(client, worker, tiny_job, make_client):
    dataset = client.post("/api/examples/synthetic", json={"n": 200}).json()
    job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job}).json()
    assert wait_for(lambda: terminal_state(client, job["id"]), what="the job to end")["state"] == "succeeded"

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    families = _families(response.text)
    assert _value(families["awd_jobs"], state="succeeded") >= 1
    duration = families["awd_job_duration_seconds"]
    count = [
        s.value for s in duration.samples if s.name.endswith("_count") and s.labels["state"] == "succeeded"][0]
    assert count >= 1
    total = [s.value for s in duration.samples if s.name.endswith("_sum") and s.labels["state"] == "succeeded"][0]
    assert 0 < total < 600 * count  # seconds, each under the test session's time limit
    assert _value(families["awd_queue_length"]) >= 0
    # a ping of 0.5 s, cached 5 s: one late answer reads 0, so read again until the worker is counted
    wait_for(lambda: _value(_families(client.get("/metrics").text)["awd_workers_alive"]) >= 1, timeout=30,
             what="the worker to be counted alive")
    assert "awd_job_failures" in families


def test_metrics_need_the_metrics_or_owner_token(make_client):
    locked = make_client(api_token=OWNER, metrics_token=METRICS_TOKEN)
    assert locked.get("/metrics").status_code == 401
    assert locked.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 403
    assert locked.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    assert locked.get("/metrics", headers={"Authorization": f"Bearer {OWNER}"}).status_code == 200
    # the metrics token opens nothing else
    assert locked.get("/api/jobs", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 403


@pytest.mark.parametrize("error, reason", [
    ("the job exceeded its time limit of 60 s (AWD_JOB_TIME_LIMIT); use fewer epochs", "time_limit"),
    ("the worker was lost 3 times (worker w1 stopped answering); giving up", "worker_lost"),
    ("dataset_id: the dataset of this job was deleted; upload it again and rerun", "invalid_input"),
    ("RuntimeError: boom", "server_error"),
    (None, "other"),
])
def test_failure_reasons(error, reason):
    assert failure_reason(error) == reason
