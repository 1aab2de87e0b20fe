"""Helpers of the lab tests: real processes started the way a lab runs them (``awd serve``, uvicorn, workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
AWD = str(Path(sys.executable).with_name("awd"))


def env_for(data_dir, **extra) -> dict:
    """The test session's environment with another data directory (and no Redis/database of the session)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "AWD_DATA_DIR")}
    env.update(AWD_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start(command, env, log_path) -> subprocess.Popen:
    """A child in its own process group writing stdout and stderr to ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM to the group, SIGKILL after ``timeout``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_healthy(base: str, process: subprocess.Popen, min_workers: int = 0, timeout: float = 120.0) -> dict:
    """Poll ``/api/health`` until it answers (with at least ``min_workers`` workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before answering {base}")
        try:
            body = httpx.get(base + "/api/health", timeout=2).json()
            if body.get("workers", 0) >= min_workers:
                return body
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not answer /api/health within {timeout} s")


def run_tiny_job(base: str, token: str | None, options: dict, timeout: float = 240.0) -> dict:
    """Make the synthetic example, submit ``options`` on it and wait for the job to end; returns the job."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        dataset = client.post("/api/examples/synthetic", json={"n": 200}).json()
        job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **options}).json()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = client.get(f"/api/jobs/{job['id']}").json()
            if body["state"] in ("succeeded", "failed", "cancelled"):
                return body
            time.sleep(0.5)
    raise AssertionError(f"job {job['id']} did not end within {timeout} s")
