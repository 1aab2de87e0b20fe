"""One job's CPU threads: every core of its process that other work leaves idle, unless AWD_JOB_THREADS says
otherwise."""

import os
import subprocess
import sys
import time

import pytest
import torch

from awd_studio.models.cores import JOB_THREADS_ENV, available_cores, job_threads, use_job_threads


def test_every_available_core_before_any_stage_and_with_all():
    assert available_cores() == len(os.sched_getaffinity(0))
    assert job_threads({JOB_THREADS_ENV: "all"}) == available_cores()
    code = "from awd_studio.models.cores import job_threads, available_cores; print(job_threads() == available_cores())"
    env = {k: v for k, v in os.environ.items() if k != JOB_THREADS_ENV}  # auto, in a process that ran no stage
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=True).stdout.strip() == "True"


def test_the_variable_caps_the_threads():
    assert job_threads({JOB_THREADS_ENV: "1"}) == 1
    assert job_threads({JOB_THREADS_ENV: "10000"}) == available_cores()  # never more than the process may use


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_value_is_a_clear_error(value):
    with pytest.raises(ValueError, match=JOB_THREADS_ENV):
        job_threads({JOB_THREADS_ENV: value})


def test_use_job_threads_sets_torch():
    before = torch.get_num_threads()
    try:
        assert use_job_threads({JOB_THREADS_ENV: "1"}) == 1 and torch.get_num_threads() == 1
        assert use_job_threads({JOB_THREADS_ENV: "all"}) == available_cores() == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


_PINNED = """
import os, sys, threading, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from awd_studio.models.cores import busy_cores_beside
if sys.argv[1] == "own":  # a thread of this process keeps the core busy
    threading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()
    time.sleep(0.2)
print(busy_cores_beside(0.5))
"""


@pytest.mark.parametrize("who", ["other", "own"])
def test_busy_cores_beside_counts_other_processes_only(who):
    """On one core: a busy process beside counts as about one core's worth; the measuring process's own busy
    thread counts for nothing (the core's time minus the process's own)."""
    code = "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\nwhile True: pass"
    spinner = subprocess.Popen([sys.executable, "-c", code]) if who == "other" else None
    try:
        time.sleep(0.3)
        busy = float(subprocess.run([sys.executable, "-c", _PINNED, who], capture_output=True, text=True, timeout=60,
                                    check=True).stdout)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if who == "other":
        assert busy >= 0.6  # shares the core with nothing of the measuring process's
    else:
        assert busy < 0.9  # counted, its own thread would make it 1.0


def test_auto_leaves_a_busy_core_to_the_other_work():
    """``auto``: a core busy with another process at a stage's start is left to it, and job_threads() follows until
    the next stage; ``all`` takes every core whatever runs."""
    if available_cores() < 2:
        pytest.skip("needs two cores")
    before = torch.get_num_threads()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        n = use_job_threads({})
        assert n <= available_cores() - 1 and n == job_threads({}) == torch.get_num_threads()
        assert use_job_threads({JOB_THREADS_ENV: "all"}) == available_cores() == torch.get_num_threads()
    finally:
        spinner.kill()
        spinner.wait()
        torch.set_num_threads(before)
def test_single_threaded_blas_limits_numpy_blas_and_restores_it():
    from threadpoolctl import threadpool_info

    from awd_studio.models.cores import single_threaded_blas

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    with single_threaded_blas():
        assert blas_threads() and all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_map_on_job_threads_keeps_order_and_cancels_what_has_not_started():
    import threading
    import time

    from awd_studio.models.cores import map_on_job_threads

    seen = []
    assert map_on_job_threads(lambda x: x * x, range(7), on_result=seen.append) == [0, 1, 4, 9, 16, 25, 36]
    assert seen == list(range(7))

    started, lock = [], threading.Lock()

    def work(x):
        with lock:
            started.append(x)
        if x == 0:
            raise ValueError("the first call fails")
        time.sleep(0.05)
        return x

    halt = threading.Event()
    with pytest.raises(ValueError, match="first call"):
        map_on_job_threads(work, range(50), halt=halt)
    assert len(started) < 50  # the calls queued behind the failure never ran
    assert halt.is_set()  # long calls that poll it could end early


@pytest.mark.parametrize("given, expected", [({}, "10000"), ({"OMP_WAIT_POLICY": "PASSIVE"}, None),
                                             ({"GOMP_SPINCOUNT": "50"}, "50")])
def test_importing_awd_studio_sets_a_short_openmp_spin_unless_told(given, expected):
    """libgomp's threads spin 10000 times before sleeping (bench/RESULTS.md, "OpenMP waiting"); a wait policy
    or spin count in the environment is the user's and is kept."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import os, awd_studio; print(os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run([sys.executable, "-c", code], env={**env, **given}, capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == str(expected)
