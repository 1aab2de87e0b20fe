"""Helpers shared by the benchmark drivers of both sides (ours and awave's).

This module imports only the standard library, numpy and torch, so the awave virtualenv can use it too. It pins
every process to one thread *before* torch is imported by the caller, reads peak memory, and prints one JSON
object as the driver's only line on stdout.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

__all__ = ["BENCH_DIR", "REPO_DIR", "WORK_DIR", "one_thread", "available_cores", "peak_rss_mib", "emit", "timer",
           "median", "teacher_double_backward"]

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"

#: ``BENCH_THREADS=all`` runs a driver on every core available to its process (the all-threads rows); anything
#: else (the default) pins one thread.
ALL_THREADS = os.environ.get("BENCH_THREADS", "1") == "all"
#: The thread variables as they were before this module pinned them (None: unset), so that a whole job started from
#: a process that imported this module runs in the user's environment (:func:`bench.end_to_end.job_environment`).
UNPINNED = {_name: os.environ.get(_name) for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
if not ALL_THREADS:
    for _name in UNPINNED:
        os.environ[_name] = "1"


def available_cores():
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` where affinity is unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def one_thread():
    """Pin torch to one intra-op and one inter-op thread (call once, before any torch work); with
    ``BENCH_THREADS=all``, to every available core instead. Returns the torch module."""
    import torch

    n = available_cores() if ALL_THREADS else 1
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(n)
    except RuntimeError:  # already set in this process
        pass
    return torch


def peak_rss_mib():
    """Peak resident set size of this process so far, in MiB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timer():
    """Monotonic wall clock in seconds."""
    return time.perf_counter()


def median(values):
    """Median of a non-empty sequence of numbers."""
    values = sorted(values)
    n = len(values)
    mid = n // 2
    return float(values[mid]) if n % 2 else 0.5 * (values[mid - 1] + values[mid])


def emit(result, stream=None):
    """Print ``result`` (a JSON-serialisable dict) plus the peak RSS as the single line the parent reads."""
    result = dict(result)
    result.setdefault("peak_rss_mib", peak_rss_mib())
    out = stream if stream is not None else sys.__stdout__
    out.write("BENCH_JSON " + json.dumps(result) + "\n")
    out.flush()


def teacher_double_backward(X, teacher, epochs, batch_size=100, seed=0):
    """Time the teacher's own share of a straight-through epoch, with no wavelet at all.

    Every batch of a straight-through fit (awave's, and ours with ``gradient_path="straight_through"``) runs the
    teacher forward, takes its input gradient with ``create_graph=True`` and backpropagates an L1 penalty on that
    gradient through it again. This does exactly that on the raw inputs, batch by batch in a shuffled order, so
    its seconds per epoch bound from below what any straight-through implementation on the same teacher and
    batches can reach.

    Parameters
    ----------
    X : ndarray of shape (n, *signal_shape)
        The signals.
    teacher : torch.nn.Module
        ``(B, *signal_shape) -> (B,)`` or ``(B, n_outputs)`` (output 0 is used), in evaluation mode.
    epochs : int
    batch_size : int, default=100
    seed : int, default=0
        Seed of the batch order.

    Returns
    -------
    list of float
        Wall seconds of each epoch.
    """
    import numpy as np
    import torch

    x_all = torch.as_tensor(np.asarray(X, dtype=np.float32))
    for p in teacher.parameters():
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    seconds = []
    for _ in range(epochs):
        start = timer()
        order = torch.randperm(len(x_all), generator=gen)
        for i in range(0, len(x_all), batch_size):
            xb = x_all[order[i:i + batch_size]].requires_grad_(True)
            out = teacher(xb)
            out = out if out.ndim == 1 else out[:, 0]
            (grad,) = torch.autograd.grad(out.sum(), xb, create_graph=True)
            grad.abs().sum().backward()
        seconds.append(timer() - start)
    return seconds
