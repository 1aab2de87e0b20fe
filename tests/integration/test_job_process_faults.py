"""A job survives its own process dying or freezing, and the broker losing its message; a full disk is the
server's problem, said plainly (507), and leaves nothing half-written.

Real Redis, real prefork Celery workers, real SQLite: the faults are real signals to real processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import distilling as _distilling
from tests.conftest import job_state as _state
from tests.conftest import terminal_state as _terminal
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def dataset(client):
    return client.post("/api/examples/synthetic", json={"n": 200, "seed": 8}).json()


def _job_pid(settings, job_id) -> int:
    """The pid of the pool process running the job, as its heartbeat recorded it."""
    from awd_studio.jobstate.db import Job, get_sessionmaker

    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        return session.get(Job, job_id).worker_pid


def _long(tiny_job):
    return {**tiny_job, "epochs": 400, "batch_size": 16}


def test_sigkill_of_the_jobs_own_process_reruns_it_as_attempt_2(client, worker, dataset, tiny_job, settings,
                                                                  data_dir):
    job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **_long(tiny_job)}).json()
    wait_for(lambda: _distilling(client, job["id"]), timeout=120, what="the job to start distilling")
    pid = _job_pid(settings, job["id"])
    assert pid and pid != worker.process.pid  # the pool child, not the worker's main process
    os.kill(pid, signal.SIGKILL)  # what the out-of-memory killer does
    final = wait_for(lambda: _terminal(client, job["id"]), timeout=240, what="the job to be re-run")
    assert final["state"] == "succeeded", final
    assert final["attempt"] == 2
    assert sorted(p.name for p in (data_dir / "jobs" / job["id"]).iterdir()) == ["attempt-2"]


def test_a_frozen_job_process_is_killed_and_the_job_rerun(settings, redis_server, worker, dataset, tiny_job,
                                                         data_dir):
    from awd_studio.backend.app import create_app

    watchful = settings.model_copy(update={"stall_seconds": 15.0, "sweep_seconds": 2.0})
    with TestClient(create_app(watchful, with_ui=False)) as client:  # its recovery loop watches for stalls
        job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **_long(tiny_job)}).json()
        wait_for(lambda: _distilling(client, job["id"]), timeout=120, what="the job to start distilling")
        pid = _job_pid(settings, job["id"])
        os.kill(pid, signal.SIGSTOP)  # frozen: alive, answering nothing, its worker still answers pings
        try:
            try:
                wait_for(lambda: _state(client, job["id"])["attempt"] >= 2 or
                         _state(client, job["id"])["state"] == "queued", timeout=120,
                         what="the stalled job to be re-queued")
            except AssertionError as exc:  # say what the row looked like
                raise AssertionError(f"{exc}; the job's row: {_row(settings, job['id'])}") from None
            wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), timeout=30,
                     what="the frozen process to be killed")
        finally:
            _resume(pid)
        final = wait_for(lambda: _terminal(client, job["id"]), timeout=240, what="the re-run to finish")
    assert final["state"] == "succeeded", final
    assert final["attempt"] == 2
    assert sorted(p.name for p in (data_dir / "jobs" / job["id"]).iterdir()) == ["attempt-2"]


def _row(settings, job_id) -> dict:
    from awd_studio.jobstate.db import Job, get_sessionmaker, utcnow

    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        job = session.get(Job, job_id)
        return {"state": job.state, "attempt": job.attempt, "worker": job.worker, "pid": job.worker_pid,
                "heartbeat_age_s": (utcnow() - job.heartbeat).total_seconds() if job.heartbeat else None,
                "stage": job.stage, "message": job.message}


def _database_view(settings, job_id) -> str:
    """The job's row seen by a new SQLite connection, and the database files this process has open."""
    import sqlite3

    url = settings.sqlalchemy_url
    if not url.startswith("sqlite:///"):
        return f"database {url.split('@')[-1]}"
    path = url[len("sqlite:///"):]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute("SELECT state, attempt FROM jobs WHERE id = ?", (job_id,)).fetchall()
    links = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if "sqlite3" in target:
            links.append(target)
    return f"a new connection sees the row {row}; open database files: {sorted(links)}"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _resume(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        pass


def test_a_queued_job_whose_message_redis_lost_is_sent_again(client, workers, redis_server, dataset, tiny_job,
                                                              settings):
    import redis

    from awd_studio.jobstate import dispatch

    workers.stop()
    dispatch._WORKER_COUNT["at"] = -1e9  # the count of live workers is cached 5 s: ping again now
    try:
        job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job}).json()
        # (said as "still starting" in the web process's first half minute: backend/routes/jobs.py)
        assert job["notice"] and ("no worker is running" in job["notice"] or "still starting" in job["notice"])
        redis.Redis(host=redis_server.host, port=redis_server.port).flushall()  # a restart without persistence
        time.sleep(1.0)
    finally:
        workers.start()
    # the session app's sweep (every 2 s) finds the message gone and sends the job again
    try:
        final = wait_for(lambda: _terminal(client, job["id"]), timeout=180, what="the lost job to run")
    except AssertionError as exc:  # say what a new connection sees, and which database files this process holds
        raise AssertionError(f"{exc}; {_database_view(settings, job['id'])}") from None
    assert final["state"] == "succeeded" and final["attempt"] == 1, final


@pytest.fixture()
def full_disk(tmp_path, settings, redis_server):
    """A data directory on a 16 MB tmpfs that the test fills up (unmounted afterwards)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:  # not root: there is no way to make a full disk here
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> Path:
    """Write a file until the file system has no byte left."""
    filler = directory / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_answers_507_and_keeps_nothing(full_disk, settings):
    from awd_studio.backend.app import create_app

    from .test_job_flow import _npz_bytes

    own = settings.model_copy(update={"data_dir": full_disk, "database_url": None, "rate_limit_per_minute": 0.0})
    with TestClient(create_app(own, with_ui=False, recovery=False)) as client:
        made = client.post("/api/datasets", files={"file": ("small.npz", _npz_bytes(n=60, seed=21),
                                                            "application/octet-stream")})
        assert made.status_code == 201, made.text
        filler = _fill(full_disk)
        before = sorted(str(p.relative_to(full_disk)) for p in full_disk.rglob("*") if p.is_file())

        upload = client.post("/api/datasets", files={"file": ("big.npz", _npz_bytes(n=2000, seed=22),
                                                              "application/octet-stream")})
        assert upload.status_code == 507, upload.text
        assert "out of disk space" in upload.json()["detail"] and "file" not in upload.json()["detail"][:5]
        job = client.post("/api/jobs", json={"dataset_id": made.json()["id"], "teacher": "mlp", "epochs": 2})
        assert job.status_code == 507, job.text
        assert "out of disk space" in job.json()["detail"]
        after = sorted(str(p.relative_to(full_disk)) for p in full_disk.rglob("*") if p.is_file())
        assert [p for p in after if p not in before and not p.startswith("awd.sqlite3")] == []
        assert not any((full_disk / "tmp").iterdir())

        filler.unlink()  # space again: the service recovers by itself
        again = client.post("/api/datasets", files={"file": ("big.npz", _npz_bytes(n=2000, seed=22),
                                                             "application/octet-stream")})
        assert again.status_code == 201, again.text
        assert client.post("/api/jobs", json={"dataset_id": made.json()["id"], "teacher": "mlp",
                                              "epochs": 2}).status_code == 201
        for row in client.get("/api/jobs", params={"state": "queued"}).json()["data"]:
            client.post(f"/api/jobs/{row['id']}/cancel")
    shutil.rmtree(full_disk / "datasets", ignore_errors=True)


def test_an_error_after_success_keeps_the_result(client, settings, data_dir):
    """A time limit's signal that lands after the job was marked succeeded (while its work folder is deleted)
    must not delete the result: CI once ended with a succeeded job and no ``result.json``. The same for the
    heartbeat's "lost" flag, which the succeeded state raises, and for a direct call to ``fail``."""
    import json

    from celery.exceptions import SoftTimeLimitExceeded

    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import Job, get_sessionmaker
    from awd_studio.worker.runner import JobRun
    from awd_studio.worker.tasks import _guarded

    factory = get_sessionmaker(settings.sqlalchemy_url)
    with factory() as session:
        job = crud.create_job(session, dataset_id=None, teacher_id=None, config={})
        attempt = crud.claim_job(session, job_id=job.id, worker="late@localhost", pid=os.getpid())
        job_id = job.id
    run = JobRun(job_id, attempt, "late@localhost")
    (run.work_dir / "split.npz").write_bytes(b"work")
    staged = run.attempt_dir / "result.partial"
    staged.mkdir()
    (staged / "result.json").write_text(json.dumps({"verdict": {"metric": "r2"}}))

    def succeed_then_signal():
        assert run.succeed(staged)
        raise SoftTimeLimitExceeded()

    def signal():
        raise SoftTimeLimitExceeded()

    assert _guarded(run, succeed_then_signal) == "succeeded"
    run.lost = True
    assert _guarded(run, signal) == "succeeded"
    assert run.fail("a late error") is False
    with factory() as session:
        row = session.get(Job, job_id)
        assert row.state == "succeeded" and row.error is None
        result = data_dir / row.result_dir
    assert (result / "result.json").is_file()
    assert sorted(p.name for p in run.attempt_dir.iterdir()) == ["result"]  # the work folder went

    # an attempt that did not succeed still leaves nothing
    with factory() as session:
        other = crud.create_job(session, dataset_id=None, teacher_id=None, config={})
        other_attempt = crud.claim_job(session, job_id=other.id, worker="late@localhost", pid=os.getpid())
    failing = JobRun(other.id, other_attempt, "late@localhost")
    (failing.work_dir / "split.npz").write_bytes(b"work")
    assert _guarded(failing, signal) == "failed"
    assert not failing.attempt_dir.exists()
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204
    assert client.delete(f"/api/jobs/{other.id}").status_code == 204
