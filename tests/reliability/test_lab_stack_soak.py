"""``make soak``: the compose stack without Docker (``tests/lab/run_stack.py``): embedded PostgreSQL, Redis,
two web processes, two workers, 20 jobs through both ports and a worker SIGKILLed mid-job."""

from __future__ import annotations

import pytest

from tests.lab.run_stack import N_JOBS, run_stack
from tests.reliability.conftest import record

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.soak]


def test_lab_stack_on_postgresql(tmp_path):
    figures = run_stack(tmp_path, n_jobs=N_JOBS, kill_worker=True)
    record("lab_stack", **figures)
    assert figures["jobs"] == N_JOBS and figures["succeeded"] == N_JOBS, figures["failed"]
    assert figures["lost"] == 0 and figures["run_twice"] == 0
    killed = figures["killed_job"]
    assert killed is not None, "no job was seen running in distillation to kill its worker"
    assert killed["state"] == "succeeded" and killed["attempt"] == 2, killed
