"""The worker's Celery application: :func:`jobstate.broker.make_celery` with the task modules.

Start a worker with ``awd worker`` or ``celery -A worker.celery_app worker -P prefork -c 1 -Q distill``.
"""

from jobstate.broker import QUEUE, make_celery

__all__ = ["celery_app", "QUEUE"]

celery_app = make_celery(include=["worker.tasks"])
