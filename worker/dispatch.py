"""Putting jobs on the queue and finding jobs whose worker is gone (no torch import here).

The web process enqueues after the job row is committed and, at start-up and then periodically, calls
:func:`recover_jobs`: queued jobs are sent again (a duplicate message is harmless, since a task only
claims a job that is still ``queued``) and running jobs whose worker no longer answers are re-queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import select

from backend import crud
from backend.db import Job, get_sessionmaker, utcnow
from backend.storage import Paths, remove_tree
from worker.celery_app import QUEUE, celery_app

__all__ = ["HEARTBEAT_SECONDS", "enqueue_job", "revoke_task", "live_workers", "recover_jobs",
           "recover_worker_jobs"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
ORPHAN_GRACE_SECONDS = 2 * HEARTBEAT_SECONDS


def enqueue_job(session, job_id: str) -> str | None:
    """Send ``worker.tasks.run_job(job_id)`` to the ``distill`` queue and record the task id.

    Returns
    -------
    str or None
        The task id, or ``None`` if the broker could not be reached (the job stays ``queued`` and is
        sent again by :func:`recover_jobs`).
    """
    task_id = f"{job_id}.{secrets.token_hex(4)}"
    try:
        celery_app.send_task("worker.tasks.run_job", args=[job_id], task_id=task_id, queue=QUEUE,
                             retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                       "interval_step": 0.5})
    except Exception as exc:  # broker down: the row stays queued, recovery sends it later
        log.warning("could not enqueue job %s: %s", job_id, exc)
        return None
    crud.mark_enqueued(session, job_id=job_id, task_id=task_id)
    return task_id


def revoke_task(task_id: str | None) -> None:
    """Ask workers to drop a queued task (best effort; the task also re-checks the job row)."""
    if not task_id:
        return
    try:
        celery_app.control.revoke(task_id)
    except Exception as exc:
        log.warning("could not revoke task %s: %s", task_id, exc)


def live_workers(timeout: float = 1.0) -> set[str] | None:
    """Node names of the workers answering a ping, or ``None`` if the broker is unreachable."""
    try:
        replies = celery_app.control.ping(timeout=timeout) or []
    except Exception as exc:
        log.warning("could not ping workers: %s", exc)
        return None
    names = set()
    for reply in replies:
        names.update(reply.keys())
    return names


def _requeue_lost(session, job: Job, reason: str, max_attempts: int, data_dir) -> str:
    """Re-queue (or fail) a running job whose worker is lost, remove the lost attempt's files, send it again.

    Returns the outcome of :func:`backend.crud.requeue_job`: ``"queued"``, ``"failed"`` or ``"unchanged"``.
    """
    outcome = crud.requeue_job(session, job=job, reason=reason, max_attempts=max_attempts)
    if outcome != "unchanged" and data_dir is not None:
        remove_tree(Paths(data_dir).attempt_dir(job.id, job.attempt))
    if outcome == "queued":
        enqueue_job(session, job.id)
    return outcome


def recover_jobs(database_url: str, *, startup: bool = False, max_attempts: int = 3,
                 hard_limit_seconds: float | None = None, ping_timeout: float = 1.0, data_dir=None) -> dict:
    """Re-enqueue queued jobs and re-queue running jobs whose worker is gone.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL of the job table.
    startup : bool, default=False
        ``True`` sends every queued job again (the broker may have lost them); ``False`` only those
        whose enqueueing failed.
    max_attempts : int, default=3
        A job whose worker was lost this many times is failed with a readable reason.
    hard_limit_seconds : float or None, default=None
        A running job without a heartbeat for longer than this is re-queued even if its worker answers.
    ping_timeout : float, default=1.0
        Seconds to wait for the workers' ping replies.
    data_dir : path-like or None, default=None
        When given, the files of a lost attempt are removed (nothing half-written stays behind).

    Returns
    -------
    dict
        ``{"enqueued": [...ids], "requeued": [...ids], "failed": [...ids]}``.
    """
    report = {"enqueued": [], "requeued": [], "failed": []}
    factory = get_sessionmaker(database_url)
    now = utcnow()
    with factory() as session:
        queued = list(session.scalars(select(Job).where(Job.state == "queued").order_by(Job.created)))
        running = list(session.scalars(select(Job).where(Job.state == "running")))
        for job in queued:
            fresh = job.created > now - dt.timedelta(seconds=5)
            if startup or (job.enqueued is None and not fresh):
                if enqueue_job(session, job.id):
                    report["enqueued"].append(job.id)
        grace = dt.timedelta(seconds=ORPHAN_GRACE_SECONDS)
        stale = [j for j in running if j.heartbeat is None or j.heartbeat < now - grace]
        if not stale:
            return report
        alive = live_workers(ping_timeout)
        for job in stale:
            too_old = (hard_limit_seconds is not None and job.heartbeat is not None
                       and job.heartbeat < now - dt.timedelta(seconds=hard_limit_seconds))
            gone = alive is not None and job.worker not in alive
            if not (gone or too_old):
                continue
            reason = f"worker {job.worker} stopped answering" if gone else "no heartbeat"
            outcome = _requeue_lost(session, job, reason, max_attempts, data_dir)
            if outcome == "queued":
                report["requeued"].append(job.id)
            elif outcome == "failed":
                report["failed"].append(job.id)
    if any(report.values()):
        log.info("job recovery: %s", report)
    return report


def recover_worker_jobs(database_url: str, worker: str, *, max_attempts: int = 3, data_dir=None) -> list[str]:
    """Re-queue the jobs left ``running`` under this worker's name by an earlier life of it.

    A worker restarted under the same node name after a crash (``celery@host`` under systemd or Docker)
    answers pings again, so :func:`recover_jobs` would take it for the owner of its old jobs until the
    hard limit passed. A fresh worker owns no running job, so any job of its name whose heartbeat is
    older than the orphan grace period is an orphan.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL of the job table.
    worker : str
        The Celery node name of the worker that just started.
    max_attempts : int, default=3
        As in :func:`recover_jobs`.
    data_dir : path-like or None, default=None
        When given, the files of the lost attempt are removed.

    Returns
    -------
    list of str
        Ids of the jobs re-queued (or failed after too many attempts).
    """
    done = []
    cutoff = utcnow() - dt.timedelta(seconds=ORPHAN_GRACE_SECONDS)
    with get_sessionmaker(database_url)() as session:
        jobs = list(session.scalars(select(Job).where(Job.state == "running", Job.worker == worker)))
        for job in jobs:
            if job.heartbeat is not None and job.heartbeat >= cutoff:
                continue
            if _requeue_lost(session, job, f"worker {worker} restarted", max_attempts, data_dir) != "unchanged":
                done.append(job.id)
    if done:
        log.info("jobs of the previous life of %s re-queued: %s", worker, done)
    return done
