"""Faults beyond tests/integration/test_faults.py, against a real web process (uvicorn) and real workers:
the web process killed during an upload and during a job, the artifact quota filled, a teacher that raises
or returns NaN, a job over its time limit. Each must end in a defined state (succeeded once, or failed with
a readable reason; a refused upload leaves nothing), with no half-written files and a consistent database.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import threading
import time

import httpx
import pytest

from tests.conftest import database_kind, distilling, session_rows, wait_for
from tests.reliability.conftest import LOAD_JOB, record, tiny_npz_bytes

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIME_LIMIT = 30  # AWD_JOB_TIME_LIMIT of this module's worker, in seconds: room for the small jobs of the tests on a
# loaded machine; the long job of test_job_over_its_time_limit_fails_cleanly takes minutes. (The job after the
# time-limited one used to fail now and then; the cause was not the limit but gradients left off by its signal,
# see worker.tasks._grad_mode_on. 30 s, not 20, since a CI run on 2026-12-03 saw the limit's signal reach a small
# job just after it succeeded, tests/RELIABILITY.md fix 14.)
FAULTS: dict = {}


@pytest.fixture(scope="module")
def limited_worker(extra_workers):
    """One worker whose jobs have a soft time limit of TIME_LIMIT seconds."""
    return extra_workers.start(1, AWD_JOB_TIME_LIMIT=TIME_LIMIT)


@pytest.fixture(scope="module")
def api(web):
    with httpx.Client(base_url=web.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def dataset(api):
    response = api.post("/api/examples/synthetic", json={"n": 120, "seed": 5})
    assert response.status_code in (200, 201), response.text  # 200: the same example was made by another test
    return response.json()


def _terminal(api, job_id):
    try:
        body = api.get(f"/api/jobs/{job_id}").json()
    except httpx.HTTPError:
        return None
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def _db_consistent(data_dir) -> None:
    """SQLite integrity, every job row in a known state, finished rows with their files and only those."""
    if database_kind() == "sqlite":
        db = sqlite3.connect(data_dir / "awd.sqlite3", timeout=30)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()
    rows = session_rows("SELECT id, state, attempt, result_dir, error FROM jobs")
    for job_id, state, attempt, result_dir, error in rows:
        assert state in ("queued", "running", "succeeded", "failed", "cancelled"), state
        job_dir = data_dir / "jobs" / job_id
        if state == "succeeded":
            assert (data_dir / result_dir / "result.json").is_file(), job_id
            assert sorted(p.name for p in job_dir.iterdir()) == [f"attempt-{attempt}"], job_id
            assert not list(job_dir.rglob("*.partial")) and not list(job_dir.rglob(".tmp-*")), job_id
        elif state in ("failed", "cancelled"):
            assert error or state == "cancelled", job_id
            assert not job_dir.exists() or not any(job_dir.iterdir()), (job_id, list(job_dir.rglob("*")))


def _note(name: str, outcome: str) -> None:
    FAULTS[name] = outcome
    record("faults", **{name: outcome})


# ------------------------------------------------------------------------------------------- web process
def test_web_killed_during_upload_leaves_nothing(web, api, data_dir):
    count = api.get("/api/datasets").json()["count"]
    # other bytes in each round of the soak (seeded by the count, which the last round's retry raised): the same
    # file again is answered 200 with the dataset already there, not 201
    payload = tiny_npz_bytes(n=2000, seed=count)
    boundary = "relboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.npz\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    sent = threading.Event()

    def body():
        yield head
        for start in range(0, len(payload), 16384):
            yield payload[start:start + 16384]
            if start > len(payload) // 2:
                sent.set()
                time.sleep(0.5)  # the rest arrives slowly: the web process dies meanwhile

    outcome = {}

    def upload():
        try:
            outcome["response"] = httpx.post(web.url + "/api/datasets", content=body(), timeout=30,
                                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=upload)
    thread.start()
    assert sent.wait(30)
    time.sleep(0.3)
    partial = list((data_dir / "tmp").glob("upload-*"))
    web.kill()
    thread.join(30)
    assert "error" in outcome, "the client should see the connection drop"
    web.start()  # start-up sweeps the partial uploads of the dead process
    assert not list((data_dir / "tmp").glob("upload-*")), "a partial upload survived the restart"
    assert api.get("/api/datasets").json()["count"] == count
    again = api.post("/api/datasets", files={"file": ("big.npz", payload, "application/octet-stream")})
    assert again.status_code == 201, again.text
    _db_consistent(data_dir)
    _note("web_killed_during_upload", f"client saw the drop; {len(partial)} partial file(s) removed at restart; "
                                      "no dataset row; the retry succeeded")


def test_web_killed_during_a_job(web, api, dataset, limited_worker, data_dir):
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **LOAD_JOB}).json()
    wait_for(lambda: api.get(f"/api/jobs/{job['id']}").json()["state"] != "queued", timeout=60,
             what="the job to start")
    web.kill()
    time.sleep(1.0)
    web.start()
    final = wait_for(lambda: _terminal(api, job["id"]), timeout=120, what="the job to finish")
    assert final["state"] == "succeeded" and final["attempt"] == 1, final
    _db_consistent(data_dir)
    _note("web_killed_during_job", "the job finished once (attempt 1) while the web process restarted")


# ------------------------------------------------------------------------------------------- teachers
def _export(module, length=64) -> bytes:
    import tempfile

    import torch

    program = torch.export.export(module.eval(), (torch.zeros(2, length),))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.pt2")
        torch.export.save(program, path)
        return open(path, "rb").read()


def _bad_teachers():
    """A state dict of NaN weights, and programs that return NaN / raise on data beyond the sample input."""
    import torch
    from torch import nn

    from awd_studio.models.teachers import build_teacher

    nan_mlp = build_teacher("mlp", (64,))
    with torch.no_grad():
        for p in nan_mlp.parameters():
            p.fill_(float("nan"))
    buffer = io.BytesIO()
    torch.save(nan_mlp.state_dict(), buffer)

    # the upload check runs torch.randn((2, L)) with seed 0; anything else is "the real data"
    probe = float(torch.randn((2, 64), generator=torch.Generator().manual_seed(0))[0, 0])

    class NanOnData(nn.Module):  # finite on the upload check, NaN on the real data
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(64, 1)

        def forward(self, x):
            out = self.linear(x)
            return torch.where((x[0, 0] - probe).abs() > 1e-6, torch.full_like(out, float("nan")), out)

    class RaisesOnData(nn.Module):  # a Cholesky of a negative matrix on the real data: LinAlgError in the job
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(64, 1)

        def forward(self, x):
            factor = torch.linalg.cholesky(torch.eye(2) * (1e-6 - (x[0, 0] - probe).abs()))
            return self.linear(x) + 0.0 * factor.sum()

    return buffer.getvalue(), _export(NanOnData()), _export(RaisesOnData())


def test_bad_teachers_end_in_a_readable_failure(api, dataset, limited_worker, data_dir):
    nan_state, nan_program, raising_program = _bad_teachers()
    teachers_before = set(os.listdir(data_dir / "teachers")) if (data_dir / "teachers").exists() else set()
    refused = api.post("/api/teachers", files={"file": ("nan.pt", nan_state, "application/octet-stream")},
                       data={"arch": "mlp", "dataset_id": dataset["id"]})
    assert refused.status_code == 422 and "teacher" in refused.json()["detail"].lower(), refused.text
    after = set(os.listdir(data_dir / "teachers")) if (data_dir / "teachers").exists() else set()
    assert after == teachers_before, "a refused teacher left files"
    outcomes = {}
    for label, program in (("nan", nan_program), ("raises", raising_program)):
        # uploaded for the dataset: run on some of it, and refused there with the reason, nothing kept
        for_data = api.post("/api/teachers", files={"file": (f"{label}.pt2", program, "application/octet-stream")},
                            data={"dataset_id": dataset["id"]})
        detail = for_data.json()["detail"]
        assert for_data.status_code == 422 and "samples of the dataset" in detail, for_data.text
        assert ("NaN or infinite" in detail) if label == "nan" else ("fails on samples" in detail), detail
        outcomes[f"{label} at upload"] = detail[:160]
        # uploaded for a shape alone (the API allows it): the job that meets the data fails readably
        uploaded = api.post("/api/teachers", files={"file": (f"{label}.pt2", program, "application/octet-stream")},
                            data={"input_shape": ",".join(map(str, dataset["shape"]))})
        assert uploaded.status_code == 201, uploaded.text
        job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **LOAD_JOB,
                                          "teacher": uploaded.json()["id"]}).json()
        final = wait_for(lambda: _terminal(api, job["id"]), timeout=120, what=f"the {label} teacher's job")
        assert final["state"] == "failed", final
        assert final["error"] and "Traceback" not in final["error"], final["error"]
        if label == "nan":  # caught before distillation, with the reason
            assert "teacher" in final["error"] and "NaN" in final["error"], final["error"]
        outcomes[label] = final["error"][:160]
    _db_consistent(data_dir)
    _note("nan_weights_teacher", "refused at upload (422), no file kept")
    _note("teacher_nan_on_data_upload", f"refused at upload for the dataset: {outcomes['nan at upload']}")
    _note("teacher_raises_on_data_upload", f"refused at upload for the dataset: {outcomes['raises at upload']}")
    _note("teacher_nan_on_data", f"job failed: {outcomes['nan']}")
    _note("teacher_raises_on_data", f"job failed: {outcomes['raises']}")


# ------------------------------------------------------------------------------------------- limits
def test_job_over_its_time_limit_fails_cleanly(api, dataset, limited_worker, extra_workers, data_dir):
    # within the API's bounds (and its estimate), but far longer than this module's worker allows
    long_job = {**LOAD_JOB, "epochs": 2000, "batch_size": 4}
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **long_job}).json()
    final = wait_for(lambda: _terminal(api, job["id"]), timeout=TIME_LIMIT + 120, what="the time limit")
    assert final["state"] == "failed" and "time limit" in final["error"], final
    # the advice follows the stage it was in (review 50B: "fewer epochs or grid points" to a job stopped in its
    # start search)
    assert re.search(r"in its (teacher|distill|select|students) stage; use ", final["error"]), final["error"]
    _db_consistent(data_dir)
    # the worker is free again
    quick = api.post("/api/jobs", json={"dataset_id": dataset["id"], **LOAD_JOB}).json()
    after = wait_for(lambda: _terminal(api, quick["id"]), timeout=120)
    assert after["state"] == "succeeded", (f"{after['state']} at {after.get('message')!r}: {after.get('error')}\n"
                                           f"{extra_workers.log_tail()}")
    _note("job_over_time_limit", f"failed after the {TIME_LIMIT} s soft limit: {final['error'][:100]}; "
                                 "the worker ran the next job")


def test_artifact_quota(api, dataset, extra_workers, data_dir, settings, redis_server):
    """A full quota: uploads get 507 and leave nothing; a job fails with the reason and leaves nothing."""
    from fastapi.testclient import TestClient

    from awd_studio.backend.app import create_app
    from awd_studio.jobstate.storage import usage_bytes

    extra_workers.stop_all()
    used_mb = usage_bytes(data_dir) / 2**20
    full = settings.model_copy(update={"max_storage_mb": used_mb + 0.01, "rate_limit_per_minute": 0})
    with TestClient(create_app(full, with_ui=False, recovery=False)) as client:
        before = sorted(p.name for p in (data_dir / "datasets").iterdir())
        payload = tiny_npz_bytes(n=2000, seed=1)  # ~1 MB, beyond the 10 kB left; not a file stored before
        response = client.post("/api/datasets", files={"file": ("d.npz", payload, "application/octet-stream")})
        assert response.status_code == 507 and "AWD_MAX_STORAGE_MB" in response.json()["detail"]
        assert sorted(p.name for p in (data_dir / "datasets").iterdir()) == before
        assert not list((data_dir / "tmp").glob("upload-*"))
    extra_workers.start(1, AWD_MAX_STORAGE_MB=f"{used_mb + 0.05:.4f}")
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **LOAD_JOB}).json()
    final = wait_for(lambda: _terminal(api, job["id"]), timeout=120, what="the job under a full quota")
    assert final["state"] == "failed" and "quota" in final["error"], final
    assert not (data_dir / "jobs" / job["id"]).exists() or not any((data_dir / "jobs" / job["id"]).iterdir())
    extra_workers.stop_all()
    extra_workers.start(1, AWD_JOB_TIME_LIMIT=TIME_LIMIT)  # the module's worker again, for the next tests
    _db_consistent(data_dir)
    _note("artifact_quota_full", f"upload 507, nothing kept; job failed: {final['error'][:100]}")


def test_should_cancel_enforces_the_time_limit():
    """The runner raises the soft time limit itself once the limit has passed (Celery's signal can be
    swallowed by a broad ``except`` in a library; found by the soak)."""
    from celery.exceptions import SoftTimeLimitExceeded

    from awd_studio.worker.runner import JobRun

    run = JobRun("00000000-0000-4000-8000-000000000000", 1, "nobody@localhost")
    assert run.should_cancel() in (True, False)
    run._deadline = time.monotonic() - 1.0
    with pytest.raises(SoftTimeLimitExceeded):
        run.should_cancel()


def test_every_task_starts_with_gradients_on():
    """A time limit's signal that lands inside ``torch.no_grad().__enter__`` leaves gradients off in the pool
    process; the next task must not inherit that (it failed a job's teacher training in this module)."""
    import torch
    from celery.signals import task_prerun

    import awd_studio.worker.tasks  # noqa: F401  (connects the task's receivers)

    torch.set_grad_enabled(False)
    try:
        task_prerun.send(sender=None, task_id="t", task=None, args=())
        assert torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)


def test_describe_error_names_non_finite_numbers():
    """A NaN that reaches the JSON writer becomes a readable reason, not Python's message."""
    from awd_studio.worker.runner import describe_error

    text = describe_error(ValueError("Out of range float values are not JSON compliant: nan"), 60)
    assert text.startswith("teacher:") and "NaN" in text


@pytest.mark.soak
def test_faults_soak(web, api, dataset, limited_worker, extra_workers, data_dir, settings, redis_server):
    """Each fault of this module several times in a row, then the quota last (it stops the workers)."""
    rounds = 2
    for _ in range(rounds):
        test_web_killed_during_upload_leaves_nothing(web, api, data_dir)
        test_web_killed_during_a_job(web, api, dataset, limited_worker, data_dir)
    test_bad_teachers_end_in_a_readable_failure(api, dataset, limited_worker, data_dir)
    test_job_over_its_time_limit_fails_cleanly(api, dataset, limited_worker, extra_workers, data_dir)
    test_artifact_quota(api, dataset, extra_workers, data_dir, settings, redis_server)
    record("faults", rounds_of_web_kills=rounds, web_kills_during_upload=rounds, web_kills_during_job=rounds)


def _health_workers(api) -> int:
    """``workers`` of ``GET /api/health`` (0 when the request fails)."""
    try:
        return api.get("/api/health").json()["workers"]
    except (httpx.HTTPError, ValueError, KeyError):
        return 0


def test_live_workers_survive_a_redis_restart(api, dataset, limited_worker, redis_server, data_dir):
    """Redis restarts under running workers (not stopped first): they reconnect and run new jobs, and
    ``/api/health`` counts them again soon (it said 0 workers for 5 s or more: the web process's first ping
    after the restart failed on its pooled connection, and the 0 was cached; see jobstate.dispatch._ask_workers)."""
    # counted once before: the web process's ping connection then dates from before the restart
    wait_for(lambda: _health_workers(api) >= 1, timeout=20, what="/api/health to count the worker")
    redis_server.stop()
    time.sleep(1.0)
    redis_server.start()
    back = time.monotonic()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **LOAD_JOB}).json()
    # a generous bound (a behaviour check, not a speed test): about 2 s here, on two busy cores
    wait_for(lambda: _health_workers(api) >= 1, timeout=20, interval=0.5,
             what="/api/health to count the worker after the Redis restart")
    counted = time.monotonic() - back
    final = wait_for(lambda: _terminal(api, job["id"]), timeout=120, what="a job after the Redis restart")
    assert final["state"] == "succeeded" and final["attempt"] == 1, final
    _db_consistent(data_dir)
    _note("redis_restart_under_live_workers", f"the worker reconnected and ran the next job once; /api/health "
                                              f"counted it {counted:.1f} s after Redis was back")


def test_worker_restarted_under_its_old_name_reruns_its_orphan(api, dataset, limited_worker, extra_workers,
                                                                data_dir):
    """SIGKILL a worker mid-job and start it again under the same node name (as systemd or Docker do):
    it answers pings again, yet the orphaned job is re-run once (found by the chaos soak)."""
    # 1000 epochs (about 3 s of distillation here): killed while it distils, not after a job of 20 epochs ended
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **LOAD_JOB, "epochs": 1000}).json()
    wait_for(lambda: distilling(api, job["id"]), timeout=60, what="the job to distil")
    name = extra_workers.kill(len(extra_workers.processes) - 1)
    extra_workers.start(1, name=name, AWD_JOB_TIME_LIMIT=TIME_LIMIT)
    final = wait_for(lambda: _terminal(api, job["id"]), timeout=120, what="the orphan to be re-run")
    assert final["state"] == "succeeded" and final["attempt"] == 2, final
    assert sorted(p.name for p in (data_dir / "jobs" / job["id"]).iterdir()) == ["attempt-2"]
    _db_consistent(data_dir)
    _note("worker_restarted_same_name", "SIGKILL mid-job, restart under the same name: the job re-ran once "
                                        "(attempt 2), one result")
