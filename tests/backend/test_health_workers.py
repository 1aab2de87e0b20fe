"""The worker count of ``/api/health`` after a Redis restart (``jobstate.dispatch.live_workers`` and
``worker_count``), against the session's real Redis and worker.

The whole path (a uvicorn web process, a restart under a live worker, ``/api/health`` counting it again) is
``tests/reliability/test_faults_extra.py::test_live_workers_survive_a_redis_restart``."""

from __future__ import annotations

import time

import pytest
import redis

from awd_studio.jobstate import dispatch
from awd_studio.jobstate.broker import sender
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration]


def _mailbox_subscribed(settings) -> bool:
    """Whether a worker listens on Redis to its remote-control mailbox again (kombu subscribes to the broadcast
    exchange ``celery.pidbox`` with a pattern; nothing else here does).

    Asked on a Redis connection of its own: a ping from any Celery app of this process would use, and repair, the
    connection pool the sender shares with it (kombu's pools are per broker URL and options)."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return client.pubsub_numpat() > 0
    except redis.RedisError:
        return False
    finally:
        client.close()


def test_the_first_ping_after_a_redis_restart_finds_the_worker(redis_server, worker, settings):
    """The pooled connection of the process's sender dates from before the restart: its first ping read the reply
    on the old socket and failed, and ``/api/health`` said 0 workers for the count's 5 s of cache."""
    # as worker_count pings: a ping shorter than kombu's BRPOP timeout (1 s) leaves a BRPOP waiting on the pooled
    # connection, whose socket the restart closes
    wait_for(lambda: worker.name in (dispatch.live_workers(timeout=0.5) or ()), timeout=10,
             what="the worker to answer a short ping")
    redis_server.stop()
    redis_server.start()
    wait_for(lambda: _mailbox_subscribed(settings), timeout=30, interval=0.5, what="the worker to reconnect")
    assert worker.name in (dispatch.live_workers(timeout=2.0) or ())


def test_a_count_of_zero_is_asked_again_after_a_second(worker):
    """A 0 is often momentary (workers reconnecting after a Redis restart): kept 1 s, not the 5 s of a count."""
    try:
        dispatch._WORKER_COUNT.update(at=time.monotonic(), count=0)
        assert dispatch.worker_count(timeout=2.0) == 0  # cached
        time.sleep(1.2)
        assert dispatch.worker_count(timeout=2.0) >= 1
        dispatch._WORKER_COUNT.update(at=time.monotonic(), count=7)
        time.sleep(1.2)
        assert dispatch.worker_count(timeout=2.0) == 7  # any other count is kept max_age seconds
    finally:
        dispatch._WORKER_COUNT["at"] = -1e9


def test_a_redis_that_is_down_is_not_pinged(redis_server, worker, settings):
    """With Redis down, live_workers says so at once (a ping waited out kombu's connection retries, 6 s)."""
    redis_server.stop()
    try:
        start = time.monotonic()
        assert dispatch.live_workers(timeout=0.5) is None
        assert dispatch.live_workers(timeout=0.5) is None
        assert time.monotonic() - start < 3.0
    finally:
        redis_server.start()
    wait_for(lambda: _mailbox_subscribed(settings), timeout=30, interval=0.5, what="the worker to reconnect")


def test_the_worker_retries_a_lost_redis_every_two_seconds_at_most(worker):
    """The worker runs worker.celery_app.ReconnectingConsumer (Celery's own waits grow to 30 s)."""
    # through _ask_workers: the first remote-control call after an earlier test's Redis restart may fail
    conf = dispatch._ask_workers(lambda: sender().control.inspect(destination=[worker.name], timeout=2.0).conf())
    assert (conf or {})[worker.name]["worker_consumer"] == "awd_studio.worker.celery_app:ReconnectingConsumer"
