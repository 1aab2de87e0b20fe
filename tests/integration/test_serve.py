"""Embedded mode: ``awd.serve.serve`` starts bundled Redis + a worker + the web, and stops all on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from awd_studio.serve import free_port
from tests.conftest import ROOT, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_starts_everything_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "AWD_DATA_DIR")}
    env["PYTHONPATH"] = str(ROOT)
    code = f"import sys; from awd.serve import serve; sys.exit(serve(port={port}, data_dir={str(tmp_path / 'd')!r}))"
    # a file, not a pipe: nothing reads a pipe while the test waits, and a full one would block the launcher
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy():
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
            except httpx.HTTPError:
                return None
            return body if body["workers"] >= 1 else None

        try:  # generous: under the whole suite's load the worker's start once took over 120 s
            body = wait_for(healthy, timeout=240, interval=1.0, what="awd serve to answer /api/health")
        except AssertionError as error:
            raise AssertionError(f"{error}; its output:\n{log.read_text(errors='replace')[-4000:]}") from None
        assert body["status"] == "ok" and body["redis"]
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code < 500
        redis_log = (tmp_path / "d" / "redis" / "redis.log").read_text()
        redis_port = int(redis_log.split("Port: ")[1].split()[0]) if "Port: " in redis_log else None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        output = log.read_text(errors="replace")
        assert f"http://localhost:{port}/" in output and "stopped" in output
        assert not _port_open(port)
        if redis_port:
            assert not _port_open(redis_port)
        assert (tmp_path / "d" / "awd.sqlite3").is_file()
        assert (tmp_path / "d" / "redis" / "appendonly.aof").exists()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _kill_leftovers(str(tmp_path / "d"))


def _kill_leftovers(data_dir):
    """Kill any process still running with this data directory (only if the launcher failed to)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if f"AWD_DATA_DIR={data_dir}".encode() in handle.read().split(b"\0"):
                    os.kill(int(pid), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def _worker_mains(data_dir: str) -> list[int]:
    """PIDs of the Celery worker main processes (each leads its own process group) started for data_dir."""
    found = []
    for pid, line in _processes(data_dir):
        try:
            if "celery" in line and os.getpgid(pid) == pid:
                found.append(pid)
        except ProcessLookupError:  # ended since it was listed
            pass
    return found


def _processes(data_dir: str):
    """(pid, command line) of this machine's processes started with AWD_DATA_DIR=data_dir."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if f"AWD_DATA_DIR={data_dir}".encode() not in handle.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                found.append((int(pid), handle.read().replace(b"\0", b" ").decode()))
        except OSError:
            pass
    return found


def _redis_pids(data_dir: str):
    """Pids of the redis-server working in ``data_dir/redis`` (it renames its command line, not its cwd)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                line = handle.read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if "redis-server" in line and cwd == os.path.join(data_dir, "redis"):
            pids.append(int(pid))
    return pids


def test_serve_restarts_a_worker_or_redis_that_died(tmp_path):
    """`awd serve` supervises what it starts: kill -9 of the worker's main process, then of the bundled Redis;
    both come back on their own, the restarts are logged, and a job submitted afterwards runs."""
    from tests.integration.test_readme_commands import AWD, clean_env

    port = free_port()
    data_dir = str(tmp_path / "d")
    env = clean_env()
    env["AWD_DATA_DIR"] = data_dir
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(AWD), "serve", "--port", str(port)], cwd=str(tmp_path), env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    token = None

    def workers():
        try:
            return httpx.get(base + "/api/health", timeout=3).json()["workers"]
        except (httpx.HTTPError, ValueError, KeyError):
            return None

    try:
        wait_for(lambda: workers() == 1, timeout=120, interval=1.0, what="awd serve and its worker")
        token = (tmp_path / "d" / "owner-token").read_text().strip()
        main = _worker_mains(data_dir)
        assert len(main) == 1, _processes(data_dir)
        os.kill(main[0], signal.SIGKILL)
        # a new worker process, then the health check counting it (the restart can be quicker than the health
        # check's view of the dead worker, so "no worker" in between is not waited for)
        wait_for(lambda: [pid for pid in _worker_mains(data_dir) if pid != main[0]], timeout=120, interval=0.5,
                 what="a new worker process")
        wait_for(lambda: workers() == 1, timeout=120, interval=1.0, what="the worker to be restarted")

        (redis_pid,) = _redis_pids(data_dir)
        os.kill(redis_pid, signal.SIGKILL)
        wait_for(lambda: _redis_pids(data_dir) and _redis_pids(data_dir) != [redis_pid], timeout=60,
                 what="the bundled Redis to be restarted")
        wait_for(lambda: workers() == 1, timeout=120, interval=1.0, what="the worker to reconnect")

        owner = {"Authorization": f"Bearer {token}"}
        dataset = httpx.post(base + "/api/examples/synthetic", json={"n": 120}, headers=owner, timeout=60).json()
        job = httpx.post(base + "/api/jobs", headers=owner, timeout=30, json={
            "dataset_id": dataset["id"], "teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 2,
            "teacher_epochs": 5}).json()
        final = wait_for(lambda: (lambda b: b if b["state"] in ("succeeded", "failed") else None)(
            httpx.get(f"{base}/api/jobs/{job['id']}", headers=owner, timeout=10).json()),
            timeout=180, interval=1.0, what="a job after the restarts")
        assert final["state"] == "succeeded", final
        expected = ("the worker exited unexpectedly", "the worker restarted", "the bundled Redis exited unexpectedly",
                    "the bundled Redis restarted")
        # the supervisor writes "restarted" once start() returns, which may trail the health check on a busy machine
        wait_for(lambda: all(line in log.read_text() for line in expected), timeout=60, interval=1.0,
                 what="the supervisor's restart lines in the log")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        _kill_leftovers(data_dir)


def test_a_restart_stops_what_a_killed_serve_left_running(tmp_path):
    """`kill -9` of `awd serve` orphans its Redis and worker (they hold the database open and Redis' files); the
    next `awd serve` on the same data directory stops them before it starts its own, says so, and serves."""
    from tests.integration.test_readme_commands import AWD, clean_env

    data_dir = str(tmp_path / "d")
    env = clean_env()
    env["AWD_DATA_DIR"] = data_dir

    def start(port, log):
        with open(log, "wb") as out:
            return subprocess.Popen([str(AWD), "serve", "--port", str(port)], cwd=str(tmp_path), env=env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def workers(port):
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=3).json()["workers"]
        except (httpx.HTTPError, ValueError, KeyError):
            return None

    first_port, second_port = free_port(), free_port()
    first = start(first_port, tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: workers(first_port) == 1, timeout=120, interval=1.0, what="the first awd serve")
        orphans = _worker_mains(data_dir) + _redis_pids(data_dir)
        assert len(orphans) == 2, _processes(data_dir)
        os.kill(first.pid, signal.SIGKILL)  # the launcher only: its children live on, as after an OOM kill
        first.wait()
        assert all(_alive(pid) for pid in orphans)
        second = start(second_port, tmp_path / "second.log")
        wait_for(lambda: workers(second_port) == 1, timeout=120, interval=1.0, what="the second awd serve")
        assert not any(_alive(pid) for pid in orphans), _processes(data_dir)
        assert len(_worker_mains(data_dir)) == 1 and len(_redis_pids(data_dir)) == 1
        said = (tmp_path / "second.log").read_text()
        assert "stopped 2 process(es) an earlier awd serve" in said and str(orphans[0]) in said
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
        assert not (tmp_path / "d" / "run" / "children.json").exists()  # a clean stop leaves nothing to stop
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        _kill_leftovers(data_dir)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def test_a_planned_stop_requeues_the_running_job_without_counting_it_lost(tmp_path):
    """Ctrl-C of `awd serve` during a job is not a crash: the job goes back to the queue with its loss count
    unchanged and a message that says why, and the next start runs it again. Three restarts during one job
    failed it as "the worker was lost 3 times" (a reviewer's finding)."""
    import sqlite3

    from tests.integration.test_readme_commands import AWD, clean_env

    data_dir = tmp_path / "d"
    env = clean_env()
    env["AWD_DATA_DIR"] = str(data_dir)

    def start(port, log):
        with open(log, "wb") as out:
            return subprocess.Popen([str(AWD), "serve", "--port", str(port)], cwd=str(tmp_path), env=env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def row(job_id):
        with sqlite3.connect(data_dir / "awd.sqlite3") as db:
            return db.execute("SELECT state, attempt, lost, message, fraction FROM jobs WHERE id = ?",
                              (job_id,)).fetchone()

    def api(port):
        token = (data_dir / "owner-token").read_text().strip()
        return httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30,
                            headers={"Authorization": f"Bearer {token}"})

    def healthy(port):
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=3).json()["workers"] >= 1
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    process = None
    try:
        job_id = behind = None
        for run in (1, 2, 3):  # the reviewer's three restarts
            port = free_port()
            process = start(port, tmp_path / f"serve{run}.log")
            wait_for(lambda: healthy(port), timeout=120, interval=1.0, what=f"awd serve, start {run}")
            with api(port) as client:
                if job_id is None:
                    dataset = client.post("/examples/cme", json={"n": 600}).json()
                    # long enough to be stopped while it runs (its teacher takes seconds, 2000 epochs a minute)
                    long_job = {"dataset_id": dataset["id"], "epochs": 2000, "lambdas": [1e-3], "gammas": [0.0]}
                    job_id = client.post("/jobs", json=long_job).json()["id"]
                    # one more behind it: the stopped job, first in the queue, must stay first (a reviewer saw
                    # the order flip after a restart)
                    behind = client.post("/jobs", json={**long_job, "seed": 1}).json()["id"]
                wait_for(lambda: client.get(f"/jobs/{job_id}").json()["state"] == "running", timeout=120,
                         interval=0.5, what=f"the job to run, start {run}")
                assert client.get(f"/jobs/{behind}").json()["state"] == "queued"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=90) == 0
            state, attempt, lost, message, fraction = row(job_id)
            assert (state, attempt, lost, fraction) == ("queued", run, 0, 0.0), (state, attempt, lost, message)
            assert message.startswith("re-queued: AWD Studio was stopped while it ran"), message
            assert not (data_dir / "jobs" / job_id / f"attempt-{attempt}").exists()  # its half-done files
        # the fourth start runs it again (not failed as lost)
        port = free_port()
        process = start(port, tmp_path / "serve4.log")
        wait_for(lambda: healthy(port), timeout=120, interval=1.0, what="awd serve, start 4")
        with api(port) as client:
            wait_for(lambda: client.get(f"/jobs/{job_id}").json()["state"] == "running", timeout=120,
                     interval=0.5, what="the job to run again")
            assert client.get(f"/jobs/{job_id}").json()["attempt"] == 4
            assert client.get(f"/jobs/{behind}").json()["state"] == "queued"
            client.post(f"/jobs/{behind}/cancel")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=90) == 0
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _kill_leftovers(str(data_dir))


def test_a_second_serve_on_the_same_data_directory_is_refused(tmp_path):
    """Review 17: a second `awd serve` on a data directory in use started its own Redis and worker on the same
    database, and its stop removed the first's record of its children, so a later crash of the first left them
    running. It is refused, says which server holds the directory, and the first keeps running untouched."""
    from tests.integration.test_readme_commands import AWD, clean_env

    data_dir = str(tmp_path / "d")
    env = clean_env()
    env["AWD_DATA_DIR"] = data_dir
    first_port = free_port()
    with open(tmp_path / "first.log", "wb") as out:
        first = subprocess.Popen([str(AWD), "serve", "--port", str(first_port)], cwd=str(tmp_path), env=env,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def health():
            try:
                return httpx.get(f"http://127.0.0.1:{first_port}/api/health", timeout=3).json()
            except (httpx.HTTPError, ValueError):
                return None

        wait_for(lambda: (health() or {}).get("workers") == 1, timeout=120, interval=1.0, what="the first serve")
        children = (tmp_path / "d" / "run" / "children.json").read_text()
        second = subprocess.run([str(AWD), "serve", "--port", str(free_port())], cwd=str(tmp_path), env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"another awd serve is running on {data_dir} (process {first.pid}" in second.stderr
        assert f"http://localhost:{first_port}/" in second.stderr and "Traceback" not in second.stderr
        assert (tmp_path / "d" / "run" / "children.json").read_text() == children  # the first's record stays
        assert len(_worker_mains(data_dir)) == 1 and len(_redis_pids(data_dir)) == 1
        assert (health() or {}).get("workers") == 1
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGTERM)
            try:
                first.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait()
        _kill_leftovers(data_dir)


def test_a_short_owner_token_is_one_plain_line(tmp_path):
    """Review 17: a too-short AWD_API_TOKEN printed an unrelated "could not re-queue" traceback first."""
    from tests.integration.test_readme_commands import AWD, clean_env

    env = clean_env()
    env.update(AWD_DATA_DIR=str(tmp_path / "d"), AWD_API_TOKEN="short")
    done = subprocess.run([str(AWD), "serve", "--port", str(free_port())], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "AWD_API_TOKEN: use at least 16 random characters" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout and "re-queue" not in done.stderr + done.stdout
    assert not (tmp_path / "d" / "redis").exists()  # nothing started
