"""Explanations of one prediction of a result: their files, their state, and the tasks sent by name.

Each explanation lives in ``<result>/.explanations/<id>/`` (:meth:`jobstate.storage.Paths.explanation_dir`);
``<id>`` is :func:`models.pipeline.explain_result.explanation_id` of its settings, so the same settings on the
same result name the same folder: that folder is the cache. ``status.json`` holds the state (``queued``,
``running``, ``succeeded``, ``failed``), the fraction done, a message, the request and, once done,
``summary.json`` and ``arrays.npz`` sit next to it. No database table: an explanation belongs to one result
directory and disappears with it.

The web process sends :data:`TASK_EXPLAIN` and :data:`TASK_MASK` by name (it never imports ``worker``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from awd_studio.jobstate.broker import QUEUE, sender
from awd_studio.jobstate.storage import Paths, atomic_write_bytes

__all__ = ["TASK_EXPLAIN", "TASK_MASK", "STALE_SECONDS", "read_status", "write_status", "list_explanations",
           "needs_work", "send_explanation", "evaluate_mask_remote", "read_arrays", "read_summary", "explanation_dir"]

#: The worker task that computes one explanation (args: result directory relative to the data root, id).
TASK_EXPLAIN = "worker.explain_tasks.explain_example"
#: The worker task that evaluates a hand-drawn mask (args: result directory, mask request); returns a dict.
TASK_MASK = "worker.explain_tasks.evaluate_drawn_mask"
#: A queued or running explanation whose status has not changed for this long is sent again.
STALE_SECONDS = 600.0


def read_status(folder) -> dict | None:
    """``status.json`` of an explanation folder, or ``None`` when there is none (or it is unreadable)."""
    try:
        return json.loads((Path(folder) / "status.json").read_text())
    except (OSError, ValueError):
        return None


def write_status(folder, **fields) -> dict:
    """Update ``status.json`` (created if missing) with ``fields`` and the time; written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    status = read_status(folder) or {"created": time.time()}
    status.update(fields)
    status["updated"] = time.time()
    atomic_write_bytes(folder / "status.json", json.dumps(status, allow_nan=False).encode())
    return status


def needs_work(status: dict | None, now: float | None = None) -> bool:
    """Whether an explanation must be (re)sent: none yet, failed, or queued/running without news for
    :data:`STALE_SECONDS` (its message or worker was lost)."""
    if status is None or status.get("state") == "failed":
        return True
    if status.get("state") in ("queued", "running"):
        return (now or time.time()) - float(status.get("updated", 0)) > STALE_SECONDS
    return False


def list_explanations(result_dir) -> list[dict]:
    """The status of every explanation of a result, newest first."""
    root = Path(result_dir) / ".explanations"
    found = []
    if root.is_dir():
        for folder in root.iterdir():
            status = read_status(folder) if folder.is_dir() and not folder.is_symlink() else None
            if status is not None:
                found.append(status)
    return sorted(found, key=lambda s: -float(s.get("created", 0)))


def read_summary(folder) -> dict | None:
    """``summary.json`` of a finished explanation."""
    try:
        return json.loads((Path(folder) / "summary.json").read_text())
    except (OSError, ValueError):
        return None


def read_arrays(folder) -> dict:
    """The arrays of a finished explanation as lists (never unpickled)."""
    import numpy as np  # only where arrays are served

    out = {}
    with np.load(Path(folder) / "arrays.npz", allow_pickle=False) as f:
        for k in f.files:
            values = f[k].astype(object)
            values[~np.isfinite(f[k])] = None  # JSON has no NaN (cells of no coefficient)
            out[k] = values.tolist()
    return out


def send_explanation(relative_result_dir: str, explanation_id: str) -> None:
    """Send :data:`TASK_EXPLAIN` to the workers' queue."""
    sender().send_task(TASK_EXPLAIN, args=[relative_result_dir, explanation_id], queue=QUEUE)


def evaluate_mask_remote(relative_result_dir: str, request: dict, timeout: float) -> dict:
    """Run :data:`TASK_MASK` on a worker and wait for its answer (``TimeoutError`` after ``timeout`` s): the
    numbers, or ``{"error": sentence}`` for a mask the science refused.

    On a worker, not in the web process, because it loads the teacher's weights (possibly uploaded: the web
    process never loads them).
    """
    from celery.exceptions import TimeoutError as CeleryTimeout

    result = sender().send_task(TASK_MASK, args=[relative_result_dir, request], queue=QUEUE)
    try:
        return result.get(timeout=timeout, propagate=False)
    except CeleryTimeout:
        result.revoke()
        raise TimeoutError(f"no worker answered within {timeout:g} s") from None
    finally:
        result.forget()


def explanation_dir(paths: Paths, relative_result_dir: str, explanation_id: str) -> Path:
    """The folder of one explanation (``FileNotFoundError`` for a malformed id)."""
    return paths.explanation_dir(paths.root / relative_result_dir, explanation_id)
