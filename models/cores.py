"""How many CPU threads one job uses: every core its process may run on that other work leaves idle.

A worker process runs one job at a time (Celery concurrency 1 per worker by default), so the job may use every
core of the worker. ``os.sched_getaffinity`` gives the cores the process may actually run on (a container's
or ``taskset``'s limit), not the machine's count. Cores that other processes keep busy are left to them: at the
start of each stage (:func:`use_job_threads`) the job measures, over a tenth of a second, how much of those
cores other work uses (:func:`busy_cores_beside`, from ``/proc/stat``) and runs on the idle ones only. Torch's
threads wait for one another at every operation, and a thread that shares its core with another process makes
the others wait: on the 2-core machine, beside one busy process, the lensing example with the defaults took
101.9 s on two threads and 57.4 s on one (bench/RESULTS.md, "Threads beside other work", 2026-12-07).

The environment variable ``AWD_JOB_THREADS`` overrides it: ``auto`` (the default) as above, ``all`` every
available core whatever else runs, a positive integer that many threads at most (``1`` for one thread, e.g.
several workers sharing a machine).
"""

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import torch
from threadpoolctl import threadpool_limits

from awd_studio.models.memory import trim_freed_memory

__all__ = ["JOB_THREADS_ENV", "LOAD_SAMPLE_SECONDS", "available_cores", "job_threads", "use_job_threads",
           "busy_cores_beside", "threads_beside", "single_threaded_blas", "map_on_job_threads",
           "BUSY_LOAD_PER_CORE", "busy_machine_words"]

#: Environment variable naming the threads of one job: ``auto`` (the default), ``all`` or a positive integer.
JOB_THREADS_ENV = "AWD_JOB_THREADS"

#: Seconds over which :func:`use_job_threads` measures the other work on the job's cores (``/proc/stat`` counts
#: in hundredths of a second: one busy core of two reads within about 5 %).
LOAD_SAMPLE_SECONDS = 0.1

#: Other work, in cores' worth, from which the estimate says the machine is busy and a job leaves a core to it
#: (:func:`threads_beside`): at half a core's worth a job's threads share their cores a good part of the time.
BUSY_LOAD_PER_CORE = 0.5

#: Cores the last :func:`use_job_threads` of this process found busy with other work (``auto`` leaves them out).
_busy_at_stage_start = 0


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` where affinity is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def job_threads(environ=None) -> int:
    """Threads one job uses: ``AWD_JOB_THREADS`` (``auto``, ``all`` or an integer >= 1), by default ``auto``.

    ``auto`` is every available core but those the last :func:`use_job_threads` of this process found busy with
    other work (every core before any stage has started, as in the web process); ``all`` every available core.

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
        When the variable is set to something else than ``auto``, ``all`` or a positive integer.
    """
    value = _job_threads_setting(environ)
    cores = available_cores()
    if value == "all":
        return cores
    if value == "auto":
        return max(1, cores - _busy_at_stage_start)
    return min(int(value), cores)


def _job_threads_setting(environ=None) -> str:
    """``AWD_JOB_THREADS`` checked: ``"auto"``, ``"all"`` or a positive integer's digits."""
    value = (environ if environ is not None else os.environ).get(JOB_THREADS_ENV, "auto").strip().lower()
    if value in ("", "auto"):
        return "auto"
    if value == "all":
        return value
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{JOB_THREADS_ENV}: {value!r} is not a thread count; set auto, all or a positive integer")
    return str(n)


def use_job_threads(environ=None, sample_seconds=LOAD_SAMPLE_SECONDS) -> int:
    """At the start of a job's stage: measure the other work on the job's cores (``auto`` only), set torch's
    intra-op threads to :func:`job_threads` and return that number.

    With ``auto`` the cores other processes keep busy (:func:`busy_cores_beside`, over ``sample_seconds``) are
    left to them (:func:`threads_beside`) and recorded, so that :func:`job_threads` and the pools of this stage
    (:func:`map_on_job_threads`, the teachers trained side by side) use the same count. Where the measurement is
    unavailable (no ``/proc/stat``) every core is used.

    Returns
    -------
    int
    """
    global _busy_at_stage_start
    setting, cores = _job_threads_setting(environ), available_cores()
    if setting == "auto" and cores > 1:
        busy = busy_cores_beside(sample_seconds)
        _busy_at_stage_start = 0 if busy is None else cores - threads_beside(cores, busy)
    n = job_threads(environ)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def threads_beside(cores: int, busy: float) -> int:
    """Threads for a job on ``cores`` cores of which other work uses ``busy`` cores' worth: a core counts as
    busy from :data:`BUSY_LOAD_PER_CORE` of a core's work, and the job keeps at least one thread.

    Examples
    --------
    >>> threads_beside(2, 0.1), threads_beside(2, 0.9), threads_beside(2, 3.0), threads_beside(8, 2.4)
    (2, 1, 1, 6)
    """
    taken = math.floor(max(float(busy), 0.0) + 1.0 - BUSY_LOAD_PER_CORE)
    return int(min(max(int(cores) - taken, 1), int(cores)))


def busy_cores_beside(sample_seconds=LOAD_SAMPLE_SECONDS):
    """Cores' worth of CPU time that other processes used on this process's cores over the next
    ``sample_seconds`` (this process's own threads left out), or None where ``/proc/stat`` cannot be read.

    Sleeps for ``sample_seconds``. Counts user, nice, system, interrupt and steal time of the cores in the
    process's affinity (``/proc/stat``'s per-core lines), minus this process's own CPU time.

    Returns
    -------
    float or None
        At least 0, at most the number of cores.
    """
    cores = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    first = _busy_ticks(cores)
    if first is None:
        return None
    own, start = _own_cpu_seconds(), time.monotonic()
    time.sleep(sample_seconds)
    last = _busy_ticks(cores)
    wall = time.monotonic() - start
    if last is None or wall <= 0:
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    other = (last - first) / ticks_per_second - (_own_cpu_seconds() - own)
    return float(min(max(other / wall, 0.0), len(cores) if cores else other / wall))


def _busy_ticks(cores):
    """Busy clock ticks since boot summed over ``cores`` (all when None), from ``/proc/stat``; None without it."""
    try:
        with open("/proc/stat") as stat:
            lines = stat.read().splitlines()
    except OSError:
        return None
    total = 0
    for line in lines:
        name, *fields = line.split() or [""]
        if not (name.startswith("cpu") and name[3:].isdigit()) or (cores is not None and int(name[3:]) not in cores):
            continue
        # user nice system idle iowait irq softirq steal (guest time is already counted in user)
        ticks = [int(f) for f in fields[:8]]
        total += sum(ticks) - ticks[3] - ticks[4]
    return total


def _own_cpu_seconds() -> float:
    """This process's CPU seconds, all its threads (user and system)."""
    times = os.times()
    return times.user + times.system


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
