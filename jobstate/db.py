"""Database tables (SQLAlchemy 2) and the engine/session factory.

The job row is the source of truth for a job's state; Celery only carries "please look at job X".
Tables: ``datasets``, ``teachers``, ``jobs``, ``loss_points`` (live loss curves), ``shares`` and
``schema_version`` (the number releases before migrations checked). The schema is created and upgraded by
Alembic (:mod:`jobstate.migrate`, scripts in ``jobstate/migrations/versions``); :func:`add_missing_columns`
is the old releases' own upgrade, used once when a pre-migrations database is adopted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

__all__ = [
    "SCHEMA_VERSION",
    "Base",
    "Dataset",
    "Teacher",
    "Job",
    "LossPoint",
    "TEACHER_CHUNK",
    "Share",
    "DeletedShare",
    "SchemaVersion",
    "utcnow",
    "new_id",
    "is_uuid",
    "get_engine",
    "get_sessionmaker",
    "add_missing_columns",
]

SCHEMA_VERSION = 2
#: Columns added after version 1, by table: :func:`add_missing_columns` adds the ones a pre-migrations
#: database lacks when it is adopted. Columns added since migrations exist are Alembic revisions
#: (``jobstate/migrations/versions``), not entries here.
_ADDED_COLUMNS = {"jobs": {"worker_pid": "INTEGER"}, "shares": {"last_used": "TIMESTAMP"}}
JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
ACTIVE_STATES = ("queued", "running")


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def new_id() -> str:
    """A random UUID4 as a string (ids of datasets, teachers, jobs, shares)."""
    return str(uuid.uuid4())


def is_uuid(value: str) -> bool:
    """``True`` for the canonical text of a UUID (our ids); share tokens never look like one."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (SQLite has no time zones) and always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


class Base(DeclarativeBase):
    """Declarative base of all tables."""


class Dataset(Base):
    """An uploaded or generated dataset stored under ``<data_dir>/datasets/<id>/``."""

    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="upload")  # upload | example
    filename: Mapped[str] = mapped_column(String(255))  # stored file name, e.g. data.npz
    original_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    shape: Mapped[list] = mapped_column(JSON)
    n: Mapped[int] = mapped_column(Integer)
    n_test: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Teacher(Base):
    """Uploaded teacher weights, validated against an architecture and an input shape."""

    __tablename__ = "teachers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    arch: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    original_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    input_shape: Mapped[list] = mapped_column(JSON)
    n_outputs: Mapped[int] = mapped_column(Integer, default=1)
    n_params: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def arch_label(self) -> str:
        """What the weights are: their built-in architecture, or ``"exported program"`` for a ``.pt2`` (which
        carries its own architecture; an ``arch`` sent with it is not stored)."""
        return "exported program" if str(self.filename).endswith(".pt2") else self.arch


class Job(Base):
    """One distillation job. ``attempt`` grows each time a worker claims it (fencing token)."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    state: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    dataset_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    config: Mapped[dict] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stage: Mapped[str | None] = mapped_column(String(100), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    fraction: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    #: Runs whose worker was lost (crash, kill, no answer); a planned stop of ``awd serve`` does not count.
    lost: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    task_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    enqueued: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the process running the attempt
    heartbeat: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_dir: Mapped[str | None] = mapped_column(String(255), nullable=True)
    rerun_of: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The result's summary (``jobstate.summary.summarize_result``), set when the job succeeds.
    summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: When each stage of the current attempt began: ``[[stage, ISO time], ...]`` in the order they ran, one pair
    #: per change of stage (``jobstate.stagetimes``); None before its first claim, and for jobs run before it.
    stage_marks: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: The seconds each timed stage of the current attempt was expected to take, ``{stage: seconds}``: the
    #: calibrated estimate its worker sized the progress bar with (``worker.runner.JobRun.spans``); the time left
    #: follows each stage's pace against it (``models.pipeline.progress.time_left``). None until the worker wrote
    #: it, and for jobs run before it.
    stage_expected: Mapped[dict | None] = mapped_column(JSON, nullable=True)


#: The ``chunk`` of the teacher's training losses (``teacher_train``, ``teacher_val``) among the loss points.
TEACHER_CHUNK = -1


class LossPoint(Base):
    """One epoch of one chunk's training losses (append-only; feeds the live loss curves); chunk
    :data:`TEACHER_CHUNK` holds the teacher's training curve."""

    __tablename__ = "loss_points"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    chunk: Mapped[int] = mapped_column(Integer, default=0)
    epoch: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict] = mapped_column(JSON)


#: Longest name a share link takes, in characters.
SHARE_LABEL_MAX = 80


class Share(Base):
    """A read-only link to one job's result. Only the SHA-256 of the token is stored."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The owner's name for the link ("for the referee"), or None; shown only to the owner.
    label: Mapped[str | None] = mapped_column(String(SHARE_LABEL_MAX), nullable=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeletedShare(Base):
    """The token hash of a share link whose result the owner deleted: opening it says so (410), not "unknown"."""

    __tablename__ = "deleted_shares"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchemaVersion(Base):
    """A single row holding the version of the tables above."""

    __tablename__ = "schema_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _drop_interrupted_connection(context) -> None:
    """Invalidate the connection when a non-database exception interrupts a driver call.

    Celery's soft time limit raises ``SoftTimeLimitExceeded`` from a signal handler, wherever the worker
    is. psycopg waits for the server in Python, so the exception can land between sending a statement and
    reading its result: the connection is left mid-protocol ("another command is already in progress",
    "connection in transaction status ACTIVE"). SQLAlchemy drops a connection only for disconnects and
    ``BaseException`` exits, so without this it went back to the pool and the next checkout (the job's
    failure being written) raised. Only this connection is dropped, not the whole pool.
    """
    if not isinstance(context.original_exception, context.dialect.loaded_dbapi.Error):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


#: Connections beyond the 10 kept open (10 + 40 >= the 40 threads of the web process's thread pool).
POOL_MAX_OVERFLOW = 40


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """Return one engine per database URL (SQLite gets WAL and a 30 s busy timeout; up to 50 connections).

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:////abs/path/awd.sqlite3`` or ``postgresql+psycopg://...``.
    """
    # The web process runs sync routes on a pool of 40 threads: the connection pool must hold as many, or
    # under load requests time out waiting for a connection rather than for the database.
    pool = {"pool_size": 10, "max_overflow": POOL_MAX_OVERFLOW, "pool_timeout": 60}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **pool)
    event.listen(engine, "handle_error", _drop_interrupted_connection)
    return engine


@lru_cache(maxsize=8)
def get_sessionmaker(url: str) -> sessionmaker:
    """Return the session factory bound to :func:`get_engine` ``(url)`` (no expiry on commit)."""
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


def add_missing_columns(connection) -> None:
    """Add the columns of :data:`_ADDED_COLUMNS` that a version-1 database lacks (idempotent; run under the
    migration lock of :func:`jobstate.migrate.upgrade_database`)."""
    for table, columns in _ADDED_COLUMNS.items():
        present = {c["name"] for c in inspect(connection).get_columns(table)}
        for name, sql_type in columns.items():
            if name not in present:
                connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))
