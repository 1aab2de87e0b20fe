"""The long run of the job-process faults (``make soak``): each fault of
``tests/integration/test_job_process_faults.py`` several rounds in a row, with the figures recorded."""

from __future__ import annotations

import time

import pytest

from tests.integration import test_job_process_faults as faults
from tests.reliability.conftest import record

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.soak]

ROUNDS = 3


@pytest.fixture(scope="module")
def dataset(client):
    return client.post("/api/examples/synthetic", json={"n": 200, "seed": 9}).json()


def test_job_process_faults_soak(client, workers, redis_server, settings, dataset, tiny_job, data_dir, tmp_path):
    started = time.monotonic()
    counts = {"sigkill_of_the_job_process": 0, "sigstop_of_the_job_process": 0, "flushall_with_a_queued_job": 0}
    for _ in range(ROUNDS):
        workers.ensure_running()
        faults.test_sigkill_of_the_jobs_own_process_reruns_it_as_attempt_2(client, workers, dataset, tiny_job,
                                                                           settings, data_dir)
        counts["sigkill_of_the_job_process"] += 1
        workers.ensure_running()
        faults.test_a_frozen_job_process_is_killed_and_the_job_rerun(settings, redis_server, workers, dataset,
                                                                     tiny_job, data_dir)
        counts["sigstop_of_the_job_process"] += 1
        faults.test_a_queued_job_whose_message_redis_lost_is_sent_again(client, workers, redis_server, dataset,
                                                                        tiny_job, settings)
        counts["flushall_with_a_queued_job"] += 1
    record("job_process_faults", rounds=ROUNDS, **counts, jobs_lost=0,
           seconds=round(time.monotonic() - started, 1))
