"""Bring the database to the newest schema with Alembic, one process at a time.

``awd serve`` and the web app (``create_app``), ``awd worker`` and every Celery worker call
:func:`upgrade_database` on start. The first process upgrades; the others wait for its lock and then find
nothing to do:

- PostgreSQL: the whole upgrade runs in one transaction holding ``pg_advisory_xact_lock`` (DDL is
  transactional there, so a crash leaves the old schema);
- SQLite: a file lock beside the database file (``<file>.migrate.lock``) held around the upgrade.

A database made before migrations existed (tables from ``create_all`` and a ``schema_version`` row, no
``alembic_version``) is adopted: the columns a version-1 database lacks are added, then it is stamped with
revision ``0001``, whose tables it already has. A database stamped with a revision this release does not
know (written by a newer AWD Studio) is refused.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from awd_studio.jobstate.db import SCHEMA_VERSION, add_missing_columns, get_engine

__all__ = ["MIGRATIONS_DIR", "FIRST_REVISION", "ADVISORY_LOCK_KEY", "alembic_config", "head_revision",
           "current_revision", "upgrade_database"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)
#: The revision that describes the schema of the last release without migrations.
FIRST_REVISION = "0001"
#: Key of the PostgreSQL advisory lock of migrations ("AWDMIGR" in ASCII, any constant works).
ADVISORY_LOCK_KEY = 0x41574D49475200


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration pointing at :data:`MIGRATIONS_DIR` (and at ``connection`` when given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this release knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is stamped with (``None``: none, e.g. an empty or legacy one)."""
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _file_lock(url: str):
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    with FileLock(str(database) + ".migrate.lock", timeout=300):
        yield


def _adopt_legacy(connection: Connection) -> None:
    """Stamp a pre-migrations database with :data:`FIRST_REVISION` after bringing it to its schema."""
    tables = set(inspect(connection).get_table_names())
    if "jobs" not in tables or "alembic_version" in tables:
        return
    add_missing_columns(connection)
    if "schema_version" in tables:
        connection.execute(text("UPDATE schema_version SET version = :v WHERE id = 1 AND version < :v"),
                           {"v": SCHEMA_VERSION})
    command.stamp(alembic_config(connection), FIRST_REVISION)


def _refuse_newer(connection: Connection) -> None:
    revision = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory.from_config(alembic_config())
    if revision is not None and revision not in {r.revision for r in script.walk_revisions()}:
        raise RuntimeError(
            f"DATABASE_URL: the database is at schema revision {revision}, which this AWD Studio does not know "
            f"(its newest is {script.get_current_head()}); upgrade AWD Studio or point DATABASE_URL elsewhere")


def upgrade_database(url: str) -> str:
    """Upgrade the database at ``url`` to :func:`head_revision` under a lock (see the module's notes).

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``).

    Returns
    -------
    str
        The revision the database is at afterwards.

    Raises
    ------
    RuntimeError
        If the database was written by a newer AWD Studio.
    """
    engine = get_engine(url)
    postgres = engine.dialect.name == "postgresql"
    with (nullcontext() if postgres else _file_lock(url)):
        with engine.begin() as connection:
            if postgres:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            before = MigrationContext.configure(connection).get_current_revision()
            _adopt_legacy(connection)
            _refuse_newer(connection)
            command.upgrade(alembic_config(connection), "head")
            after = MigrationContext.configure(connection).get_current_revision()
    if after != before:  # one line (alembic's own INFO lines are muted: jobstate.logs.QUIET_LOGGERS)
        log.info("database upgraded from schema revision %s to %s", before or "none", after)
    return after
