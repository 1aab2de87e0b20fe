"""The session's database is the one asked for (``--database``), and the settings read a plain
``postgresql://`` URL with the installed driver."""

from __future__ import annotations

from sqlalchemy import text

from awd_studio.jobstate.config import Settings
from awd_studio.jobstate.db import get_engine
from tests.conftest import database_kind


def test_plain_postgresql_urls_use_psycopg(tmp_path):
    for plain in ("postgresql://awd:pw@db/awd", "postgres://awd:pw@db/awd"):
        assert Settings(data_dir=tmp_path, database_url=plain).sqlalchemy_url == "postgresql+psycopg://awd:pw@db/awd"
    assert Settings(data_dir=tmp_path, database_url=None).sqlalchemy_url.startswith("sqlite:///")


def test_the_session_runs_on_the_database_asked_for(settings, app):
    engine = get_engine(settings.sqlalchemy_url)
    assert engine.dialect.name == database_kind()
    with engine.connect() as connection:
        tables = {"jobs", "shares", "alembic_version"}
        if database_kind() == "postgresql":
            found = set(connection.execute(text("SELECT tablename FROM pg_tables")).scalars())
        else:
            found = set(connection.execute(text("SELECT name FROM sqlite_master")).scalars())
        assert tables <= found
