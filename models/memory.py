"""Keep freed memory in the process for reuse, instead of handing it back to the system after every step.

A distillation step allocates and frees tensors of several MiB (a 2D grid's level coefficients are up to 16 MiB).
With glibc's defaults most of that memory goes back to the system when it is freed, and the next step takes it
again, page by page: the kernel zeroes every 4 KiB page on first touch. A lensing distillation of 4 epochs took
3.6 million page faults and 7 s of system time that way, out of 13-14 s (bench/RESULTS.md, "Freed memory").

:func:`keep_freed_memory` raises glibc's two limits while a grid is distilled (``models.pipeline.fit_grid``):
blocks up to 32 MiB (the largest glibc accepts) come from the heap instead of their own mapping, and up to
256 MiB of free memory stays at the top of the heap. The distillation's own peak stays the same (the same
blocks are reused: 740-750 MiB either way for 4 epochs of the lensing example's paper grid).
:func:`release_freed_memory` gives the kept memory back when the distillation ends and restores glibc's trim
threshold: kept through the whole job, the peak of a lensing job with the paper grid rose from 868-901 MiB to
1034-1036 MiB.
``AWD_KEEP_FREED_MEMORY=0`` in the environment keeps glibc's defaults.
"""

import ctypes
import os
import platform

__all__ = ["KEEP_ENV", "MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES", "DEFAULT_TRIM_THRESHOLD_BYTES",
           "keep_freed_memory", "release_freed_memory", "trim_freed_memory"]

#: Environment variable: ``0`` keeps glibc's defaults (for comparisons, or a machine short of memory).
KEEP_ENV = "AWD_KEEP_FREED_MEMORY"

#: Blocks up to this size are served from the heap (glibc's ``M_MMAP_THRESHOLD``; 32 MiB is its maximum).
MMAP_THRESHOLD_BYTES = 32 * 2**20

#: Free memory kept at the top of the heap before glibc returns it (``M_TRIM_THRESHOLD``). 128 MiB still
#: left a third of the page faults of a lensing distillation; 256 MiB removed them all.
TRIM_THRESHOLD_BYTES = 256 * 2**20

#: glibc's own starting value of ``M_TRIM_THRESHOLD``, set again by :func:`release_freed_memory`.
DEFAULT_TRIM_THRESHOLD_BYTES = 128 * 2**10

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

#: Environment variables by which a user sets glibc's allocator: when any is set, it is left alone.
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def _glibc():
    """The C library when it is glibc (the only allocator these settings concern), else None."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def keep_freed_memory(environ=None) -> bool:
    """Let this process reuse the memory it frees (see the module's docstring): before a distillation, with
    :func:`release_freed_memory` after it when this returned True.

    Parameters
    ----------
    environ : mapping, optional
        Where to look for :data:`KEEP_ENV` and the user's own allocator settings (default ``os.environ``):
        glibc's ``MALLOC_*`` variables, or ``glibc.malloc`` in ``GLIBC_TUNABLES``.

    Returns
    -------
    bool
        True when the limits were set; False on another C library, with ``AWD_KEEP_FREED_MEMORY=0``, or when
        the user's settings win.
    """
    environ = os.environ if environ is None else environ
    if environ.get(KEEP_ENV, "1").strip() == "0":
        return False
    if any(name in environ for name in USER_SETTINGS) or "glibc.malloc" in environ.get("GLIBC_TUNABLES", ""):
        return False
    libc = _glibc()
    if libc is None:
        return False
    # the mapping threshold first: setting it stops glibc from moving both limits by itself
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def release_freed_memory() -> bool:
    """Give the free memory this process holds back to the system (glibc's ``malloc_trim``) and keep no more
    than glibc's default (128 KiB) from then on; True when some memory was returned. Called when a
    distillation ends, so that the stages after it (and an idle worker) do not hold what it freed; only after
    :func:`keep_freed_memory` changed the settings (setting a threshold stops glibc adjusting its own)."""
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt(_M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD_BYTES)
    return bool(libc.malloc_trim(0))


def trim_freed_memory() -> bool:
    """Give the free memory of every heap back to the system now (glibc's ``malloc_trim``); True when some was
    returned, False also on another C library.

    Called by :func:`models.cores.map_on_job_threads` after each result (the selection's and the students'
    fits): the job's threads' heaps keep what the fits freed, and the process grew by about 100 MiB over a
    lensing job's students without it (bench/RESULTS.md, "2026-12-01, third session").
    """
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
