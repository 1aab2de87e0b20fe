"""A Redis that stops answering (frozen: alive, its port open, no replies) neither holds a write in the rate limit nor
a submission's send (review 33A: with the server's Redis stopped by SIGSTOP, POST /api/jobs and the estimate got no
answer within 90 s, while the rate limit's docstring said it failed open)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from awd_studio.backend.ratelimit import REDIS_TIMEOUT_SECONDS, SharedLimit
from awd_studio.jobstate.broker import SEND_TIMEOUT_SECONDS, sending_app
from awd_studio.jobstate.config import Settings
from awd_studio.serve import RedisServer


@pytest.fixture
def frozen_redis(tmp_path):
    """A real Redis of its own, and a function that freezes it (SIGSTOP; thawed at the end)."""
    server = RedisServer(tmp_path / "redis").start()
    frozen = []

    def freeze():
        os.kill(server.process.pid, signal.SIGSTOP)
        frozen.append(True)

    try:
        yield server.url, freeze
    finally:
        if frozen:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def test_the_rate_limit_lets_a_write_through_when_redis_stops_answering(frozen_redis):
    url, freeze = frozen_redis
    limit = SharedLimit(1, url)
    assert limit.take("client") == 0.0 and limit.take("client") > 0  # counted in Redis while it answers
    freeze()
    start = time.monotonic()
    assert limit.take("other") == 0.0  # fails open
    assert time.monotonic() - start < 3 * REDIS_TIMEOUT_SECONDS + 2


def test_a_send_to_a_frozen_redis_fails_within_its_timeout(frozen_redis):
    url, freeze = frozen_redis
    app = sending_app(Settings(redis_url=url))
    app.send_task("worker.tasks.run_job", args=["warm-up"], retry=False)  # the connection is open and pooled
    freeze()
    start = time.monotonic()
    with pytest.raises(Exception):
        app.send_task("worker.tasks.run_job", args=["x"], retry=False)
    assert time.monotonic() - start < 3 * SEND_TIMEOUT_SECONDS + 2
