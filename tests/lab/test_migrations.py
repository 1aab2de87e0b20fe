"""Alembic migrations: a fresh database is built by revision 1 exactly as the tables declare it; a database
file of the previous release (before migrations) is upgraded with its jobs, shares and results intact; many
processes starting at once upgrade once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from awd_studio.jobstate.db import Base
from awd_studio.jobstate.migrate import current_revision, head_revision, upgrade_database
from tests.conftest import ROOT

PREVIOUS = Path(__file__).resolve().parents[1] / "data" / "previous_release"


def _schema_diff(url: str) -> list:
    with create_engine(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                Base.metadata)


def test_revisions_build_the_declared_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert upgrade_database(url) == head_revision()
    assert _schema_diff(url) == []
    assert upgrade_database(url) == head_revision()  # a second start changes nothing


def test_previous_release_database_keeps_its_jobs_shares_and_results(tmp_path, settings):
    from awd_studio.backend.app import create_app

    data = tmp_path / "data"
    shutil.copytree(PREVIOUS, data)
    manifest = json.loads((data / "manifest.json").read_text())
    url = f"sqlite:///{data / 'awd.sqlite3'}"
    assert current_revision(url) is None  # made before migrations
    app = create_app(settings.model_copy(update={"data_dir": data, "database_url": None, "redis_url": None}),
                     with_ui=False, recovery=False)
    assert current_revision(url) == head_revision()
    assert _schema_diff(url) == []
    with TestClient(app) as client:
        job = client.get(f"/api/jobs/{manifest['job_id']}").json()
        assert job["state"] == "succeeded" and job["dataset_id"] == manifest["dataset_id"]
        assert len(job["losses"]) >= 2
        owner_view = client.get(f"/api/results/{manifest['job_id']}")
        shared_view = client.get(f"/api/results/{manifest['share_token']}")
        assert owner_view.status_code == shared_view.status_code == 200
        assert owner_view.json()["schema"] == "awd-result/1"
        assert shared_view.json() == owner_view.json()
        shares = client.get(f"/api/jobs/{manifest['job_id']}/shares").json()
        assert shares["count"] == 1 and shares["data"][0]["revoked"] is False
        assert client.get(f"/api/datasets/{manifest['dataset_id']}").status_code == 200
    with create_engine(url).connect() as connection:
        assert connection.execute(text("SELECT version FROM schema_version")).scalar() == 2


def test_concurrent_starts_upgrade_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    code = ("import sys; from awd_studio.jobstate.migrate import upgrade_database; "
            "print(upgrade_database(sys.argv[1]))")
    processes = [subprocess.Popen([sys.executable, "-c", code, url], cwd=str(ROOT), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err.decode()[-800:] for _, err in outputs]
    assert {out.decode().strip() for out, _ in outputs} == {head_revision()}
    assert _schema_diff(url) == []


def test_a_newer_database_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.sqlite3'}"
    upgrade_database(url)
    with create_engine(url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    with pytest.raises(RuntimeError, match="upgrade AWD Studio"):
        upgrade_database(url)
