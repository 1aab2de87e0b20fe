"""The worker's Celery application: :func:`jobstate.broker.make_celery` with the task modules.

Start a worker with ``awd worker`` or ``celery -A awd_studio.worker.celery_app worker -P prefork -c 1 -Q distill``.
"""

from awd_studio.jobstate.broker import QUEUE, make_celery
from awd_studio.worker import boot, joblog  # noqa: F401  (schema upgrade at start, structured logs: Celery signals)

__all__ = ["celery_app", "QUEUE"]

celery_app = make_celery(include=["awd_studio.worker.tasks", "awd_studio.worker.explain_tasks"])
