"""How many CPU threads one job uses: every core its process may run on, unless told otherwise.

A worker process runs one job at a time (Celery concurrency 1 per worker by default), so the job may use every
core of the worker. ``os.sched_getaffinity`` gives the cores the process may actually run on (a container's
or ``taskset``'s limit), not the machine's count. The environment variable ``AWD_JOB_THREADS`` overrides it:
a positive integer caps the threads (``1`` for one thread, e.g. several workers sharing a machine), ``all``
(the default) takes every available core.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import torch
from threadpoolctl import threadpool_limits

from awd_studio.models.memory import trim_freed_memory

__all__ = ["JOB_THREADS_ENV", "available_cores", "job_threads", "use_job_threads", "single_threaded_blas",
           "map_on_job_threads", "BUSY_LOAD_PER_CORE", "busy_machine_words"]

#: Environment variable naming the threads of one job: a positive integer, or ``all`` (the default).
JOB_THREADS_ENV = "AWD_JOB_THREADS"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` where affinity is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def job_threads(environ=None) -> int:
    """Threads one job uses: ``AWD_JOB_THREADS`` (an integer >= 1, or ``all``), else every available core.

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variable (default ``os.environ``).

    Returns
    -------
    int
        At least 1, at most the available cores.

    Raises
    ------
    ValueError
        When the variable is set to something else than ``all`` or a positive integer.
    """
    value = (environ if environ is not None else os.environ).get(JOB_THREADS_ENV, "all").strip().lower()
    cores = available_cores()
    if value in ("", "all"):
        return cores
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{JOB_THREADS_ENV}: {value!r} is not a thread count; set a positive integer or 'all'")
    return min(n, cores)


def use_job_threads(environ=None) -> int:
    """Set torch's intra-op threads to :func:`job_threads` and return that number."""
    n = job_threads(environ)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def single_threaded_blas():
    """Context manager that keeps numpy's BLAS and LAPACK on one thread (torch's pool is left alone).

    The selection and the students solve thousands of small problems (an 88 x 88 pseudo-inverse per chi2
    fit, ridge fits on a few dozen features). A threaded BLAS spends longer waking its threads than computing
    them: on 2 cores a 88 x 88 ``pinv`` took 8.5 ms with the default pool and 1.2 ms on one thread
    (bench/RESULTS.md, end to end).

    Returns
    -------
    threadpoolctl.threadpool_limits
        Use as ``with single_threaded_blas(): ...``.
    """
    return threadpool_limits(limits=1, user_api="blas")


def map_on_job_threads(function, items, on_result=None, halt=None):
    """``[function(item) for item in items]``, computed on the job's threads (:func:`job_threads`).

    For independent pieces of work that release the GIL (numpy, numba ``nogil``, LAPACK). If anything raises,
    including a signal's exception in the waiting thread (Celery's soft time limit), the calls not yet started
    are cancelled, so the job stops after the ones running finish. After each result the free memory of every
    heap goes back to the system (:func:`models.memory.trim_freed_memory`): each thread's heap keeps what its
    calls freed, and a lensing job's students grew the process by about 100 MiB without it.

    Parameters
    ----------
    function : callable
    items : sequence
    on_result : callable, optional
        ``on_result(index)``, called in the calling thread as each result arrives, in order.
    halt : threading.Event, optional
        Set as soon as anything raises, before the running calls are waited for: long calls that check it
        (e.g. once per epoch) can end early instead of running to completion.

    Returns
    -------
    list
        The results, in the order of ``items``.
    """
    pool = ThreadPoolExecutor(max_workers=job_threads())
    try:
        futures = [pool.submit(function, item) for item in items]
        results = []
        for index, future in enumerate(futures):
            results.append(future.result())
            trim_freed_memory()
            if on_result is not None:
                on_result(index)
        return results
    except BaseException:
        if halt is not None:
            halt.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


#: Load beyond the running jobs' threads, per core, from which the estimate says the machine is busy: at half a
#: core's worth of other work a job's threads share their cores a good part of the time.
BUSY_LOAD_PER_CORE = 0.5


def busy_machine_words(load: float, cores: int, job_load: float = 0.0) -> str | None:
    """A caution when other work loads the machine the jobs run on, or None.

    Parameters
    ----------
    load : float
        The machine's load average over the last minute (``os.getloadavg()[0]``).
    cores : int
        The cores the jobs may run on.
    job_load : float, default=0.0
        The load AWD Studio's own running jobs account for (their threads), left out of the comparison: the queue
        sentence speaks of them.

    Returns
    -------
    str or None

    Examples
    --------
    >>> busy_machine_words(2.9, 2) is not None
    True
    >>> busy_machine_words(2.9, 2, job_load=2) is None  # the running job's own threads
    True
    >>> busy_machine_words(0.3, 2) is None
    True
    """
    other = float(load) - float(job_load)
    if other < BUSY_LOAD_PER_CORE * max(int(cores), 1):
        return None
    return (f"This machine is busy with other work (load {load:.1f} on {cores} core{'' if cores == 1 else 's'}"
            f"{', beyond the jobs running here' if job_load else ''}): a job shares the cores with it and can take "
            "several times the estimate.")
