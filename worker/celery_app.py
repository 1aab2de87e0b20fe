"""The one Celery application of AWD Studio (broker and result backend: Redis at ``REDIS_URL``).

Start a worker with ``awd worker`` or
``celery -A worker.celery_app worker -P prefork -c 1 -Q distill``.
Reliability settings: late acknowledgement, re-delivery when a worker process is lost, one task prefetched
at a time, a Redis visibility timeout above the longest job, soft and hard time limits. The job row in
the database stays the source of truth (see ``worker.tasks`` and ``worker.dispatch``).
"""

from __future__ import annotations

from celery import Celery

from backend.config import get_settings

__all__ = ["celery_app", "QUEUE", "make_celery"]

QUEUE = "distill"


def make_celery(settings=None) -> Celery:
    """Build the Celery app from the settings.

    Parameters
    ----------
    settings : backend.config.Settings or None, default=None
        ``None`` reads the environment (``REDIS_URL``, ``AWD_JOB_TIME_LIMIT``...).

    Returns
    -------
    celery.Celery
    """
    settings = settings or get_settings()
    url = settings.redis_url or "redis://127.0.0.1:6379/0"
    soft = int(settings.job_time_limit)
    hard = soft + 60
    transport = {"visibility_timeout": hard * 2 + 3600}
    app = Celery("awd", broker=url, backend=url, include=["worker.tasks"])
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


celery_app = make_celery()
