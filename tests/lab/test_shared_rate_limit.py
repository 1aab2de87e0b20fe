"""Two real web processes (uvicorn, as the compose file runs them) on one Redis enforce one write limit."""

from __future__ import annotations

import sys

import httpx
import pytest

from awd_studio.serve import free_port
from tests.lab.stack import env_for, start, stop, wait_healthy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LIMIT = 6


def test_two_web_processes_share_one_limit(redis_server, tmp_path):
    env = env_for(tmp_path / "data", REDIS_URL=redis_server.url, AWD_RATE_LIMIT_PER_MINUTE=LIMIT,
                  AWD_SWEEP_SECONDS=0)
    ports = [free_port(), free_port()]
    webs = [start([sys.executable, "-m", "uvicorn", "--factory", "awd_studio.backend.app:create_app",
                   "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / f"web-{port}.log")
            for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, web in zip(bases, webs):
            wait_healthy(base, web)
        statuses = []
        for i in range(2 * LIMIT):  # alternate between the two processes
            statuses.append(httpx.post(f"{bases[i % 2]}/api/examples/nope", timeout=10).status_code)
        assert statuses[:LIMIT] == [404] * LIMIT, statuses  # unknown example: allowed through, then 404
        assert statuses[LIMIT:] == [429] * LIMIT, statuses
        refused = httpx.post(f"{bases[1]}/api/examples/nope", timeout=10)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert all(httpx.get(f"{b}/api/health", timeout=10).status_code == 200 for b in bases)  # reads free
    finally:
        for web in webs:
            stop(web)
