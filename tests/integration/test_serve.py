"""Embedded mode: ``awd.serve.serve`` starts bundled Redis + a worker + the web, and stops all on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from awd.serve import free_port
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
    process = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy():
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
            except httpx.HTTPError:
                return None
            return body if body["workers"] >= 1 else None

        body = wait_for(healthy, timeout=120, interval=1.0, what="awd serve to answer /api/health")
        assert body["status"] == "ok" and body["redis"]
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code < 500
        redis_log = (tmp_path / "d" / "redis" / "redis.log").read_text()
        redis_port = int(redis_log.split("Port: ")[1].split()[0]) if "Port: " in redis_log else None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        output = process.stdout.read().decode()
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
