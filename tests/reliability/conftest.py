"""Reliability tests: the soak marker, a real web process (uvicorn subprocess), extra workers, figures.

Tests marked ``soak`` are deselected unless the run selects them with ``-m soak`` (``make soak``); the
bounded versions run in every ``pytest``. Figures measured by the tests are appended to
``<AWD_DATA_DIR>/../reliability-figures.jsonl`` and, in a soak run, written to ``tests/RELIABILITY.md``'s
companion file ``tests/reliability/last_soak.json`` (the report quotes it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from awd_studio.serve import free_port, start_worker, stop_process
from tests.conftest import ROOT, ManagedProcess

FIGURES: dict = {}
SOAK_REPORT = Path(__file__).with_name("last_soak.json")


def pytest_collection_modifyitems(config, items):
    """Deselect ``soak`` tests unless the marker expression asks for them (``-m soak``)."""
    if "soak" in (config.getoption("-m") or ""):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("soak") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def record(section: str, **values) -> None:
    """Keep a figure of this run (written to ``last_soak.json`` at the end of a soak run)."""
    FIGURES.setdefault(section, {}).update(values)


def pytest_sessionfinish(session, exitstatus):
    """Write a soak run's figures into ``last_soak.json``. A run of some soak tests only (``-m soak -k reader``)
    replaces their sections and keeps the others; every section says when it was measured."""
    if FIGURES and "soak" in (session.config.getoption("-m") or ""):
        finished = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            kept = json.loads(SOAK_REPORT.read_text())
        except (OSError, ValueError):
            kept = {}
        for section, values in FIGURES.items():
            kept[section] = {**values, "measured": finished}
        kept["_run"] = {"exitstatus": int(exitstatus), "finished": finished, "sections": sorted(FIGURES),
                        "cpus": os.cpu_count(), "load_avg_1min": os.getloadavg()[0]}
        SOAK_REPORT.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")


def child_env(**overrides) -> dict:
    """The session's environment for a subprocess, with ``overrides`` (``None`` removes a variable)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def _log_tail(log_dir: Path, pattern: str, lines: int) -> str:
    """The last ``lines`` lines of the logs in ``log_dir`` matching ``pattern``, in name order."""
    text = "\n".join(p.read_text(errors="replace") for p in sorted(log_dir.glob(pattern)))
    return "\n".join(text.splitlines()[-lines:])


class WebProcess(ManagedProcess):
    """The web process as a real uvicorn subprocess (its own process group), restartable and killable."""

    stop_timeout = 15.0

    def __init__(self, log_dir: Path, **env):
        self.log_dir, self.env = log_dir, env
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._count = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "WebProcess":
        self._count += 1
        log = open(self.log_dir / f"web-{self.port}-{self._count}.log", "wb")
        command = [sys.executable, "-m", "uvicorn", "--factory", "tests.reliability.webapp:create", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(command, cwd=str(ROOT), env=child_env(**self.env), stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the web process exited early; see {self.log_dir}")
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the web process did not answer /api/health")

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the web process's logs (for assertion messages)."""
        return _log_tail(self.log_dir, f"web-{self.port}-*.log", lines)



class ExtraWorkers:
    """Celery worker subprocesses with their own environment (time limit, quota...)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self._count = 0

    def start(self, n: int = 1, name: str | None = None, **env) -> list[str]:
        """Start ``n`` workers (fresh node names, or ``name`` to restart one under its old name)."""
        from tests.conftest import WorkerControl

        names = []
        for _ in range(n):
            self._count += 1
            name = name or f"awd-rel-{os.getpid()}-{self._count}@localhost"
            process = start_worker(env=child_env(**env), concurrency=1, name=name, cwd=str(ROOT),
                                   log_file=self.log_dir / f"relworker-{self._count}.log")
            self.processes.append((name, process))
            names.append(name)
            name = None
        for name in names:
            control = WorkerControl(self.log_dir)
            control.name, control.process = name, dict(self.processes)[name]
            control.wait_ready()
        return names

    def kill(self, index: int = 0) -> str:
        """SIGKILL one worker's whole process group (a crash); returns its name."""
        name, process = self.processes.pop(index)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return name

    def log_tail(self, lines: int = 80) -> str:
        """The last lines of these workers' logs (for assertion messages)."""
        return _log_tail(self.log_dir, "relworker-*.log", lines)

    def stop_all(self) -> None:
        for _name, process in self.processes:
            stop_process(process, timeout=20)
        self.processes = []


@pytest.fixture(scope="module")
def extra_workers(workers, data_dir):
    """Stops the session's worker, yields an :class:`ExtraWorkers`; afterwards stops them all (the next test
    asking for ``worker`` restarts the session's)."""
    workers.stop()
    control = ExtraWorkers(data_dir.parent)
    yield control
    control.stop_all()


@pytest.fixture(scope="module")
def web(redis_server, data_dir):
    """A uvicorn web process on the session's data directory and Redis (no rate limit)."""
    process = WebProcess(data_dir.parent, AWD_RATE_LIMIT_PER_MINUTE=0).start()
    yield process
    process.stop()


def tiny_npz_bytes(n: int = 120, seed: int = 0) -> bytes:
    """A small synthetic dataset as ``.npz`` bytes."""
    import tempfile

    from awd_studio.models.data import make_example, save_npz

    dataset = make_example("synthetic", n=n, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.npz"
        save_npz(dataset, path)
        return path.read_bytes()


#: The smallest job of the load test (a second or two of compute).
LOAD_JOB = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 1, "levels": 2,
            "teacher_epochs": 2}
