"""The server log of a real ``awd serve``: one access line per page view, no WebSocket warnings, no owner
token, no alembic or httpx chatter, and key=value lines with the job id on every worker line about a job."""

from __future__ import annotations

import concurrent.futures
import re

import pytest

from awd_studio.serve import free_port
from tests.conftest import TINY_JOB
from tests.lab.stack import AWD, env_for, run_tiny_job, start, stop, wait_healthy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACCESS = re.compile(r"logger=uvicorn\.access .*msg=\"(\w+) (\S+) (\d+)\"")


def test_page_view_logs_one_line_and_job_lines_carry_the_job_id(tmp_path):
    from playwright.sync_api import sync_playwright

    port, data = free_port(), tmp_path / "d"
    log_path = tmp_path / "serve.log"
    process = start([AWD, "serve", "--port", str(port)], env_for(data), log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, min_workers=1)
        token = (data / "owner-token").read_text().strip()
        def view_twice():
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page()
                page.goto(f"{base}/?token={token}", wait_until="networkidle")
                before = log_path.read_text().count("\n")
                page.reload(wait_until="networkidle")
                page.wait_for_timeout(1500)
                lines = log_path.read_text().splitlines()[before:]
                browser.close()
                return lines

        # in a thread of its own: the sync API refuses to run where an earlier test left an event loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            second_view = pool.submit(view_twice).result()
        job = run_tiny_job(base, token, TINY_JOB)
        assert job["state"] == "succeeded", job
    finally:
        stop(process)
    text = log_path.read_text()
    assert "WebSocket" not in text and "upgrade request" not in text
    assert "logger=alembic" not in text and "logger=httpx" not in text  # library chatter at INFO is muted
    assert text.count("database upgraded from schema revision none to") == 1
    log_lines = [line for line in text.splitlines() if line.startswith("ts=")]  # not the printed link
    assert log_lines and not any(token in line for line in log_lines), "the owner token must not be logged"
    access = [ACCESS.search(line).groups() for line in second_view if ACCESS.search(line)]
    assert access == [("GET", "/", "200")], second_view
    worker_lines = (data / "logs" / "awd_studio.worker.log").read_text().splitlines()
    about_job = [line for line in worker_lines if job["id"] in line]
    assert len(about_job) >= 2, worker_lines[-20:]  # at least Celery's "received" and "succeeded"
    for line in about_job:
        assert line.startswith("ts=") and f"job_id={job['id']}" in line, line
