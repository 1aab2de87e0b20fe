"""``DATABASE_URL=postgresql://…`` taken literally by a real ``awd serve``: it migrates the database, runs a
job with its worker, and the rows are in PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from awd_studio.jobstate.config import Settings
from awd_studio.jobstate.migrate import head_revision
from awd_studio.serve import free_port
from tests.conftest import TINY_JOB
from tests.lab.stack import AWD, env_for, run_tiny_job, start, stop, wait_healthy
from tests.postgres import LocalPostgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_awd_serve_on_postgresql(tmp_path):
    server = LocalPostgres(tmp_path / "pg").start()
    try:
        url = server.create_database()
        assert url.startswith("postgresql://")
        port, data = free_port(), tmp_path / "d"
        process = start([AWD, "serve", "--port", str(port)], env_for(data, DATABASE_URL=url), tmp_path / "serve.log")
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process, min_workers=1)
            token = (data / "owner-token").read_text().strip()
            job = run_tiny_job(f"http://127.0.0.1:{port}", token, TINY_JOB)
            assert job["state"] == "succeeded", job
        finally:
            stop(process)
        assert not (data / "awd.sqlite3").exists()
        engine = create_engine(Settings(data_dir=data, database_url=url).sqlalchemy_url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT state FROM jobs WHERE id = :id"), {"id": job["id"]}).scalar() \
                == "succeeded"
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        engine.dispose()
    finally:
        server.stop()
