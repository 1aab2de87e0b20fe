"""The Celery configuration of AWD Studio (broker and result backend: Redis at ``REDIS_URL``).

:func:`make_celery` is the one place that configures Celery. The web process uses :func:`sender` only to
send tasks by name and to talk to workers (ping, inspect, revoke): it never imports the task code. The worker
builds its own app with the task modules included (``awd_studio.worker.celery_app``); everything else uses :func:`sender`.

Reliability settings: late acknowledgement, re-delivery when a worker process is lost, one task prefetched
at a time, a Redis visibility timeout above the longest job, soft and hard time limits. The job row in
the database stays the source of truth (see ``worker.tasks`` and :mod:`jobstate.dispatch`).
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from awd_studio.jobstate.config import get_settings

__all__ = ["sender", "sending_app", "SEND_TIMEOUT_SECONDS", "QUEUE", "TASK_RUN_JOB", "make_celery"]

QUEUE = "distill"
#: The task the web process sends for a new (or re-queued) job, by name.
TASK_RUN_JOB = "worker.tasks.run_job"


def make_celery(settings=None, include=()) -> Celery:
    """Build the Celery app from the settings.

    Parameters
    ----------
    settings : jobstate.config.Settings or None, default=None
        ``None`` reads the environment (``REDIS_URL``, ``AWD_JOB_TIME_LIMIT``...).
    include : sequence of str, default=()
        Task modules the app imports (the worker passes ``["awd_studio.worker.tasks"]``; senders pass none).

    Returns
    -------
    celery.Celery
    """
    settings = settings or get_settings()
    url = settings.redis_url or "redis://127.0.0.1:6379/0"
    soft = int(settings.job_time_limit)
    hard = soft + 60
    transport = {"visibility_timeout": hard * 2 + 3600}
    app = Celery("awd", broker=url, backend=url, include=list(include))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=soft,
        task_time_limit=hard,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        result_expires=7 * 24 * 3600,
        task_default_queue=QUEUE,
        task_routes={"worker.tasks.*": {"queue": QUEUE}},
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_track_started=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        worker_max_tasks_per_child=50,
        timezone="UTC",
        enable_utc=True,
    )
    return app


@lru_cache(maxsize=1)
def sender() -> Celery:
    """The app the web process (and recovery code) uses to send tasks by name and to reach workers.

    Built on first use, from the settings then in force (``awd serve`` sets ``REDIS_URL`` before that). Its
    connections time out after :data:`SEND_TIMEOUT_SECONDS` (the workers' own do not: their waits on the queue are
    long by design): a Redis that stops answering then fails a send, which leaves the job queued for the sweep to
    send again, instead of holding the request (review 33A: a submission hung past 90 s).
    """
    return sending_app()


def sending_app(settings=None) -> Celery:
    """:func:`make_celery` for a process that sends tasks and pings workers (never one that runs them): its Redis
    connections time out after :data:`SEND_TIMEOUT_SECONDS`.

    Parameters
    ----------
    settings : jobstate.config.Settings or None, default=None

    Returns
    -------
    celery.Celery
    """
    app = make_celery(settings)
    app.conf.broker_transport_options = {**app.conf.broker_transport_options,
                                         "socket_timeout": SEND_TIMEOUT_SECONDS,
                                         "socket_connect_timeout": SEND_TIMEOUT_SECONDS}
    return app


#: How long the web process's sends and pings wait for Redis (seconds) before they fail.
SEND_TIMEOUT_SECONDS = 3.0
