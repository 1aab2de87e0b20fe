"""What ``GET /metrics`` reports, read at scrape time from the database and Redis (Prometheus text format).

Every web process answers with the same figures, since they come from the shared database and broker, not
from counters kept in one process:

- ``awd_jobs{state}``: jobs by state (gauge);
- ``awd_queue_length``: task messages waiting in the Redis lists of the ``distill`` queue (gauge);
- ``awd_job_duration_seconds``: from ``started`` to ``finished`` of every finished job (histogram, by
  final state);
- ``awd_job_failures_total{reason}``: failed jobs by the kind of reason they were failed with (counter);
- ``awd_workers_alive``: workers answering a ping; ``awd_workers_busy``: workers whose running job sent a
  heartbeat within the orphan grace period (gauges).
"""

from __future__ import annotations

import datetime as dt
import re

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import func, select

from awd_studio.jobstate.broker import QUEUE
from awd_studio.jobstate.db import JOB_STATES, Job, get_sessionmaker, utcnow
from awd_studio.jobstate.dispatch import ORPHAN_GRACE_SECONDS, worker_count

__all__ = ["DURATION_BUCKETS", "failure_reason", "queue_length", "StudioCollector", "registry_for"]

#: Upper bounds of the duration histogram in seconds (10 s to 6 h, the default time limit).
DURATION_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0)
#: Kombu keeps one Redis list per priority step: ``distill``, ``distill\x06\x163``, ...
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
#: (reason label, pattern of the job's error text), first match wins; see worker.runner.describe_error.
_REASONS = (
    ("time_limit", re.compile(r"time limit", re.I)),
    ("out_of_memory", re.compile(r"out of memory", re.I)),
    ("storage", re.compile(r"disk space|storage quota", re.I)),
    ("worker_lost", re.compile(r"worker was lost|worker .* stopped answering|heartbeat", re.I)),
    ("bad_numbers", re.compile(r"NaN or infinite", re.I)),
    ("server_error", re.compile(r"^\w*(Error|Exception)\b")),
    ("invalid_input", re.compile(r"^[\w.\[\]]+: ")),
)


def failure_reason(error: str | None) -> str:
    """The kind of a failed job's reason: one of the labels of ``_REASONS`` or ``"other"``."""
    for label, pattern in _REASONS:
        if error and pattern.search(error):
            return label
    return "other"


def queue_length(redis_url: str | None, queue: str = QUEUE) -> float:
    """Messages waiting in the broker's lists of ``queue`` (NaN when Redis cannot be read)."""
    if not redis_url:
        return float("nan")
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        pipe = client.pipeline()
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
        return float(sum(pipe.execute()))
    except redis.RedisError:
        return float("nan")


def _histogram(durations: list[float]) -> tuple[list, float]:
    buckets, total = [], 0
    for bound in DURATION_BUCKETS:
        buckets.append((repr(bound), sum(1 for d in durations if d <= bound)))
    buckets.append(("+Inf", len(durations)))
    total = float(sum(durations))
    return buckets, total


class StudioCollector:
    """A prometheus_client collector that reads the job table and Redis on each scrape.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL of the job table.
    redis_url : str or None
        The broker (``None``: the queue length and live workers are not reported as numbers).
    """

    def __init__(self, database_url: str, redis_url: str | None):
        self.database_url, self.redis_url = database_url, redis_url

    def collect(self):
        with get_sessionmaker(self.database_url)() as session:
            by_state = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
            finished = session.execute(select(Job.state, Job.started, Job.finished, Job.error)
                                       .where(Job.finished.is_not(None), Job.started.is_not(None))).all()
            errors = session.scalars(select(Job.error).where(Job.state == "failed")).all()
            cutoff = utcnow() - dt.timedelta(seconds=ORPHAN_GRACE_SECONDS)
            busy = session.scalar(select(func.count(func.distinct(Job.worker)))
                                  .where(Job.state == "running", Job.heartbeat >= cutoff))
        jobs = GaugeMetricFamily("awd_jobs", "Jobs in the database by state.", labels=["state"])
        for state in JOB_STATES:
            jobs.add_metric([state], float(by_state.get(state, 0)))
        yield jobs
        yield GaugeMetricFamily("awd_queue_length", "Task messages waiting in the broker's distill queue.",
                                value=queue_length(self.redis_url))
        duration = HistogramMetricFamily("awd_job_duration_seconds",
                                         "Run time of finished jobs, from started to finished.",
                                         labels=["state"])
        for state in ("succeeded", "failed", "cancelled"):
            seconds = [max(0.0, (f - s).total_seconds()) for st, s, f, _ in finished if st == state]
            buckets, total = _histogram(seconds)
            duration.add_metric([state], buckets, total)
        yield duration
        failures = CounterMetricFamily("awd_job_failures", "Failed jobs by the kind of their reason.",
                                       labels=["reason"])
        counts: dict[str, int] = {}
        for error in errors:
            counts[failure_reason(error)] = counts.get(failure_reason(error), 0) + 1
        for reason, count in sorted(counts.items()):
            failures.add_metric([reason], float(count))
        yield failures
        alive = float(worker_count(wait=True) or 0) if self.redis_url else float("nan")
        yield GaugeMetricFamily("awd_workers_alive", "Workers answering a ping (cached 5 s).", value=alive)
        yield GaugeMetricFamily("awd_workers_busy", "Workers whose running job sent a recent heartbeat.",
                                value=float(busy or 0))


def registry_for(database_url: str, redis_url: str | None) -> CollectorRegistry:
    """A registry holding only :class:`StudioCollector` (no per-process defaults: they would differ)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StudioCollector(database_url, redis_url))
    return registry
