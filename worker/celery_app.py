"""The worker's Celery application: :func:`jobstate.broker.make_celery` with the task modules.

Start a worker with ``awd worker`` or ``celery -A awd_studio.worker.celery_app worker -P prefork -c 1 -Q distill``.
"""

from functools import partial

from celery.worker.consumer import Consumer

from awd_studio.jobstate.broker import QUEUE, make_celery
from awd_studio.worker import boot, joblog  # noqa: F401  (schema upgrade at start, structured logs: Celery signals)

__all__ = ["celery_app", "QUEUE", "RECONNECT_INTERVALS", "ReconnectingConsumer"]

#: How the worker retries a lost broker connection (seconds): first wait, increase per attempt, longest wait.
RECONNECT_INTERVALS = {"interval_start": 1.0, "interval_step": 0.5, "interval_max": 2.0}


class ReconnectingConsumer(Consumer):
    """Celery's consumer, retrying a lost Redis every :data:`RECONNECT_INTERVALS` ``interval_max`` seconds at most.

    Celery retries with kombu's default back-off, 2, 4, 6... up to 30 s between attempts
    (``kombu.connection.Connection._ensure_connection``, called by ``Consumer.ensure_connected`` without
    intervals), and no setting changes it. A worker then came back up to 30 s after Redis did: jobs waited, and
    ``/api/health`` reported no worker. An attempt costs one refused TCP connection, so trying every 2 s at most
    is cheap.
    """

    def ensure_connected(self, conn):
        # Celery passes the error callback and the retry count; the intervals are ours
        conn.ensure_connection = partial(conn.ensure_connection, **RECONNECT_INTERVALS)
        return super().ensure_connected(conn)


celery_app = make_celery(include=["awd_studio.worker.tasks", "awd_studio.worker.explain_tasks"])
# by name, as Celery's own default: the setting stays a string in the configuration a worker reports
celery_app.conf.worker_consumer = "awd_studio.worker.celery_app:ReconnectingConsumer"
