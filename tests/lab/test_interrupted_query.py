"""A query interrupted by a Python exception raised from a signal handler (Celery's soft time limit landing
while psycopg waits for the server) must not leave a half-finished connection in the pool: on PostgreSQL
the next checkout then failed with "can't change 'autocommit' now: connection in transaction status
ACTIVE", so the job's failure could not be written and the job stayed ``running``."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import text

from awd_studio.jobstate.db import get_engine
from tests.conftest import database_kind

pytestmark = pytest.mark.skipif(database_kind() != "postgresql",
                                reason="sqlite3 returns from C before a signal handler runs; only a "
                                       "driver that waits in Python (psycopg) can be interrupted mid-query")


class Interrupted(Exception):
    """Stands for ``SoftTimeLimitExceeded``: an ``Exception``, not a ``BaseException`` like ``KeyboardInterrupt``."""


def _raise(signum, frame):
    raise Interrupted()


def test_an_interrupted_query_does_not_poison_the_pool(settings):
    engine = get_engine.__wrapped__(settings.sqlalchemy_url)  # a pool of its own: the next checkout reuses
    try:                                                       # the interrupted connection if it was kept
        previous = signal.signal(signal.SIGALRM, _raise)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        try:
            with pytest.raises(Interrupted), engine.connect() as connection:
                connection.execute(text("SELECT pg_sleep(3)"))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        for _ in range(3):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
