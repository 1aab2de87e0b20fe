"""Structured log lines (``key=value``, one line per record) with the job id on every line about a job.

Every process (the web process, ``awd serve``, each worker) calls :func:`configure_logging` once. A line
looks like::

    ts=2026-11-30T10:12:03.512Z level=warning logger=awd_studio.worker.runner job_id=3f2c... attempt=2 \
msg="heartbeat failed: database is locked"

The job id comes from, in this order: the record's ``job_id`` attribute (``log.info(..., extra=job_fields(id))``),
the job the current task runs (:func:`job_context`, set by the worker around each task), or a Celery task id
``<job id>.<8 hex>`` in the message (Celery's own "Task ... received/succeeded" lines).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
import sys
from contextlib import contextmanager

__all__ = ["KeyValueFormatter", "JobIdFilter", "configure_logging", "job_context", "job_fields"]

_CURRENT_JOB: contextvars.ContextVar = contextvars.ContextVar("awd_current_job", default=None)
#: A Celery task id of ours: the job id, a dot and 8 hex digits (see jobstate.dispatch.enqueue_job).
_TASK_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[0-9a-f]{8}")
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")
#: Attributes of a LogRecord that are not user fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName",
                                                                          "color_message"}
_HANDLER_MARK = "_awd_structured"


def job_fields(job_id: str | None, attempt: int | None = None) -> dict:
    """``extra=`` of a log call about one job: ``{"job_id": ..., "attempt": ...}`` (attempt left out if None)."""
    fields = {"job_id": job_id}
    if attempt is not None:
        fields["attempt"] = int(attempt)
    return fields


@contextmanager
def job_context(job_id: str | None, attempt: int | None = None):
    """Within the block, every log line of this thread (and its asyncio tasks) carries ``job_id``."""
    token = _CURRENT_JOB.set(job_fields(job_id, attempt) if job_id else None)
    try:
        yield
    finally:
        _CURRENT_JOB.reset(token)


class JobIdFilter(logging.Filter):
    """Adds ``job_id`` (and ``attempt`` when known) to records that concern a job; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "job_id", None):
            return True
        context = _CURRENT_JOB.get()
        if context:
            for key, value in context.items():
                setattr(record, key, value)
            return True
        try:
            found = _TASK_ID.search(record.getMessage())
        except Exception:  # a record whose arguments do not fit its message: leave it alone
            found = None
        if found:
            record.job_id = found.group(1)
        return True


def _quote(value) -> str:
    text = str(value)
    if text and _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=… logger=… [job_id=… attempt=…] msg="…" [other extra fields] [exc="…"]`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        parts = [f"ts={stamp.strftime('%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}Z",
                 f"level={record.levelname.lower()}", f"logger={record.name}"]
        for key in ("job_id", "attempt"):
            if getattr(record, key, None) is not None:
                parts.append(f"{key}={_quote(getattr(record, key))}")
        parts.append(f"msg={_quote(record.getMessage())}")
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in ("job_id", "attempt") and not key.startswith("_"):
                parts.append(f"{key}={_quote(value)}")
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


def _structured_handler(stream) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(JobIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


#: Libraries whose INFO lines are noise at every start (alembic's plugin and context lines, httpx's requests of
#: the app's own in-process client): shown from WARNING, or everything at level DEBUG.
QUIET_LOGGERS = ("alembic", "httpx")


def configure_logging(level: str | int = "INFO", stream=None) -> logging.Handler:
    """Send the root logger and uvicorn's loggers through one structured handler (idempotent); the loggers of
    :data:`QUIET_LOGGERS` start at WARNING unless ``level`` is DEBUG.

    Parameters
    ----------
    level : str or int, default="INFO"
        Level of the root logger (``AWD_LOG_LEVEL`` where the caller reads one).
    stream : file-like or None, default=None
        ``None`` writes to ``sys.stderr``.

    Returns
    -------
    logging.Handler
        The handler now installed (the same one on a second call).
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    handler = ours[0] if ours else _structured_handler(stream or sys.stderr)
    if not ours:
        root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else str(level).upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if not isinstance(h, logging.StreamHandler)]
        logger.propagate = True  # to the root's structured handler
    return handler
