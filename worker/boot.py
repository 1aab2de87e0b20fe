"""What a worker does once when it starts: upgrade the database schema (Alembic, under the migration lock).

Imported by :mod:`worker.celery_app`, so that ``awd worker`` and a plain ``celery -A awd_studio.worker.celery_app
worker`` (the compose file's command) both do it before taking a task.
"""

from __future__ import annotations

from celery.signals import worker_init

from awd_studio.jobstate.config import get_settings
from awd_studio.jobstate.migrate import upgrade_database

__all__: list[str] = []


@worker_init.connect
def _upgrade_schema(**_):
    upgrade_database(get_settings().sqlalchemy_url)
