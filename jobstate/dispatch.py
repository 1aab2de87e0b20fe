"""Putting jobs on the queue and finding jobs whose worker is gone (no torch import here).

The web process enqueues after the job row is committed and, at start-up and then periodically, calls
:func:`recover_jobs`:

- queued jobs are sent again at start-up, and later whenever their message is no longer in the broker
  (Redis lost its data): a duplicate message is harmless, since a task only claims a job that is still
  ``queued``;
- running jobs whose worker no longer answers are re-queued;
- running jobs whose worker answers but whose heartbeat stopped for ``AWD_STALL_SECONDS`` (a frozen
  process) are re-queued after the frozen process is killed through Celery's remote control: so that it
  frees its pool slot, and any database lock it was stopped holding.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
import time

import redis
from sqlalchemy import select

from awd_studio.jobstate import crud
from awd_studio.jobstate.broker import QUEUE, TASK_RUN_JOB, sender
from awd_studio.jobstate.db import Job, get_sessionmaker, utcnow
from awd_studio.jobstate.logs import job_fields
from awd_studio.jobstate.storage import Paths, remove_tree

__all__ = ["HEARTBEAT_SECONDS", "ORPHAN_GRACE_SECONDS", "enqueue_job", "revoke_task", "live_workers",
           "worker_count", "broker_task_ids", "terminate_job_tasks", "recover_jobs", "recover_worker_jobs"]

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
    # recorded before it is sent: a worker waiting on the queue takes the message at once, and one it does not
    # find recorded it drops as an older message of the job (crud.is_stale_message)
    if not crud.mark_enqueued(session, job_id=job_id, task_id=task_id):
        return None  # no longer queued (claimed, cancelled or deleted meanwhile): nothing to send
    try:
        sender().send_task(TASK_RUN_JOB, args=[job_id], task_id=task_id, queue=QUEUE,
                             retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                       "interval_step": 0.5})
    except Exception as exc:  # broker down: the row stays queued, recovery sends it later
        log.warning("could not enqueue job %s: %s", job_id, exc, extra=job_fields(job_id))
        crud.mark_enqueued(session, job_id=job_id, task_id=None)
        return None
    return task_id


def revoke_task(task_id: str | None) -> None:
    """Ask workers to drop a queued task (best effort; the task also re-checks the job row)."""
    if not task_id:
        return
    try:
        sender().control.revoke(task_id)
    except Exception as exc:
        log.warning("could not revoke task %s: %s", task_id, exc, extra=job_fields(task_id.split(".")[0]))


def live_workers(timeout: float = 1.0, limit: int | None = None) -> set[str] | None:
    """Node names of the workers answering a ping, or ``None`` if the broker is unreachable.

    The ping waits ``timeout`` seconds for answers, or until ``limit`` workers have answered. Redis is asked first,
    on a connection of its own (:func:`_broker_answers`): a ping to a Redis that is down waits out kombu's
    connection retries (6 s)."""
    if not _broker_answers():
        log.warning("could not ping workers: Redis does not answer")
        return None
    try:
        replies = _ask_workers(lambda: sender().control.ping(timeout=timeout, limit=limit)) or []
    except Exception as exc:
        log.warning("could not ping workers: %s", exc)
        return None
    names = set()
    for reply in replies:
        names.update(reply.keys())
    return names


def _ask_workers(ask):
    """``ask()``, a remote-control call that waits for the workers' replies, called once more if it fails while
    Redis answers (:func:`_broker_answers`); the second failure is raised.

    The first such call after Redis restarted reads its replies on the socket the connection pool kept from before
    (a BRPOP sent earlier is still waiting there) and fails, "Connection closed by server": kombu drops that socket
    and raises (``kombu.transport.redis.Channel._brpop_read``). Asked again, it reconnects. A ping taken for "no
    worker" made ``/api/health`` say 0 workers for the 5 s of :func:`worker_count`'s cache.
    """
    try:
        return ask()
    except Exception:
        if not _broker_answers():
            raise
    return ask()


def _broker_answers(timeout: float = 1.0) -> bool:
    """Whether Redis at the broker URL answers a PING within ``timeout`` seconds (on a new connection)."""
    try:
        client = redis.Redis.from_url(sender().conf.broker_url, socket_timeout=timeout,
                                      socket_connect_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


_WORKER_COUNT: dict = {"at": -1e9, "count": None}
_WORKER_COUNT_LOCK = threading.Lock()


def worker_count(max_age: float = 5.0, timeout: float = 0.5, wait: bool = True,
                 zero_max_age: float = 1.0) -> int | None:
    """Workers answering a ping, cached for ``max_age`` seconds, a count of 0 for ``zero_max_age`` seconds only
    (0 also when the broker is unreachable).

    One thread at a time pings; while it does, the others get the cached count at once (``None`` before the
    first answer, or always when ``wait`` is true, they wait for it), so that a burst of requests never
    turns into a burst of pings.

    A 0 is asked again sooner because it is often momentary: the first ping after Redis restarted may come
    before the workers reconnected (within 2 s, ``worker.celery_app.RECONNECT_INTERVALS``), and kept ``max_age``
    seconds it told the page and monitors that no worker ran, 5 s after they were back.
    """
    if not _stale(max_age, zero_max_age):
        return _WORKER_COUNT["count"]
    if not _WORKER_COUNT_LOCK.acquire(blocking=wait):
        return _WORKER_COUNT["count"]
    try:
        if _stale(max_age, zero_max_age):
            names = live_workers(timeout=timeout)
            _WORKER_COUNT.update(at=time.monotonic(), count=len(names or ()))
        return _WORKER_COUNT["count"]
    finally:
        _WORKER_COUNT_LOCK.release()


def _stale(max_age: float, zero_max_age: float) -> bool:
    """Whether the cached worker count is older than its time to live (``zero_max_age`` for a 0)."""
    ttl = zero_max_age if _WORKER_COUNT["count"] == 0 else max_age
    return time.monotonic() - _WORKER_COUNT["at"] > ttl


def broker_task_ids(queue: str = QUEUE) -> set[str] | None:
    """Ids of the task messages the broker holds for ``queue``: waiting, or delivered and not yet acknowledged.

    Reads kombu's Redis layout (a list per queue and priority, and the ``unacked`` hash). Returns ``None``
    when the broker cannot be read, so that callers do nothing rather than resend everything.
    """
    try:
        with sender().connection_for_read() as connection:
            client = connection.default_channel.client
            keys = [key for key in client.scan_iter(match=f"{queue}*", count=1000) if client.type(key) == b"list"]
            raws = [raw for key in keys for raw in client.lrange(key, 0, -1)]
            unacked = [json.loads(raw)[0] for raw in client.hvals("unacked")]
    except Exception as exc:
        log.warning("could not read the broker's queue: %s", exc)
        return None
    ids = set()
    for message in [json.loads(raw) for raw in raws] + unacked:
        task_id = (message.get("headers") or {}).get("id") if isinstance(message, dict) else None
        if task_id:
            ids.add(task_id)
    return ids


def terminate_job_tasks(job_id: str, timeout: float = 1.0) -> list[str]:
    """Kill (SIGKILL, through the workers' remote control) every running task of ``job_id``.

    Used for a frozen process: its worker answers, but the process itself makes no progress. The worker's
    main process kills it and starts a fresh pool process.

    Returns
    -------
    list of str
        Ids of the tasks asked to terminate.
    """
    try:
        active = _ask_workers(lambda: sender().control.inspect(timeout=timeout).active()) or {}
    except Exception as exc:
        log.warning("could not list the workers' tasks: %s", exc)
        return []
    killed = []
    for tasks in active.values():
        for task in tasks or ():
            args = task.get("args")
            first = args[0] if isinstance(args, (list, tuple)) and args else args
            if first == job_id or (isinstance(first, str) and job_id in first):
                sender().control.revoke(task["id"], terminate=True, signal="SIGKILL")
                killed.append(task["id"])
    return killed


def _requeue_lost(session, job: Job, reason: str, max_attempts: int, data_dir) -> str:
    """Re-queue (or fail) a running job whose worker is lost, remove the lost attempt's files, send it again.

    Returns the outcome of :func:`jobstate.crud.requeue_job`: ``"queued"``, ``"failed"`` or ``"unchanged"``.
    """
    outcome = crud.requeue_job(session, job=job, reason=reason, max_attempts=max_attempts)
    if outcome != "unchanged" and data_dir is not None:
        remove_tree(Paths(data_dir).attempt_dir(job.id, job.attempt))
    if outcome == "queued":
        enqueue_job(session, job.id)
    return outcome


def recover_jobs(database_url: str, *, startup: bool = False, max_attempts: int = 3,
                 stall_seconds: float | None = None, ping_timeout: float = 1.0, data_dir=None,
                 resend_after_seconds: float = 30.0) -> dict:
    """Re-enqueue queued jobs whose message is lost and re-queue running jobs that no process runs.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL of the job table.
    startup : bool, default=False
        ``True`` sends every queued job again (the broker may have lost them); ``False`` only those whose
        enqueueing failed or whose message the broker no longer holds.
    max_attempts : int, default=3
        A job whose worker was lost this many times is failed with a readable reason.
    stall_seconds : float or None, default=None
        A running job without a heartbeat for longer than this is re-queued even if its worker answers; its
        frozen process is killed first (``AWD_STALL_SECONDS``).
    ping_timeout : float, default=1.0
        Seconds to wait for the workers' ping replies. When the worker of a job without a recent heartbeat does
        not answer, the workers are asked once more for ``max(3, 3 ping_timeout)`` seconds before its job is
        taken for lost.
    data_dir : path-like or None, default=None
        When given, the files of a lost attempt are removed (nothing half-written stays behind).
    resend_after_seconds : float, default=30.0
        A queued job is looked for in the broker once it was enqueued at least this long ago.

    Returns
    -------
    dict
        ``{"enqueued": [...ids], "requeued": [...ids], "failed": [...ids], "terminated": [...task ids]}``.
    """
    report = {"enqueued": [], "requeued": [], "failed": [], "terminated": []}
    factory = get_sessionmaker(database_url)
    now = utcnow()
    with factory() as session:
        queued = list(session.scalars(select(Job).where(Job.state == "queued").order_by(Job.created)))
        running = list(session.scalars(select(Job).where(Job.state == "running")))
        waiting = [j for j in queued if j.enqueued is not None
                   and j.enqueued < now - dt.timedelta(seconds=resend_after_seconds)]
        in_broker = broker_task_ids() if waiting and not startup else set()
        for job in queued:
            fresh = job.created > now - dt.timedelta(seconds=5)
            never_sent = job.enqueued is None and not fresh
            message_lost = in_broker is not None and job in waiting and job.task_id not in in_broker
            if startup or never_sent or message_lost:
                if enqueue_job(session, job.id):
                    report["enqueued"].append(job.id)
        grace = dt.timedelta(seconds=ORPHAN_GRACE_SECONDS)
        stale = [j for j in running if j.heartbeat is None or j.heartbeat < now - grace]
        if not stale:
            return _logged(report)
        alive = live_workers(ping_timeout)
        if alive is not None and {job.worker for job in stale} - alive:
            # a worker busy on a loaded machine may answer late: ask again, longer, before taking it for lost
            # (a frozen job taken for a lost worker's is re-queued without its process being killed)
            again = live_workers(max(3.0, 3 * ping_timeout))
            alive = alive | (again or set())
        for job in stale:
            stalled = (stall_seconds is not None and job.heartbeat is not None
                       and job.heartbeat < now - dt.timedelta(seconds=stall_seconds))
            gone = alive is not None and job.worker not in alive
            if not (gone or stalled):
                continue
            reason = (f"worker {job.worker} stopped answering" if gone else
                      f"its process sent no heartbeat for {stall_seconds:g} s (frozen?)")
            if not gone:
                # kill the frozen process before writing: stopped inside a transaction, it holds SQLite's write
                # lock, and every write (this re-queue included) fails with "database is locked" until it dies
                report["terminated"] += terminate_job_tasks(job.id)
            outcome = _requeue_lost(session, job, reason, max_attempts, data_dir)
            if outcome == "queued":
                report["requeued"].append(job.id)
            elif outcome == "failed":
                report["failed"].append(job.id)
    return _logged(report)


def _logged(report: dict) -> dict:
    """One line per job (or killed task) the sweep acted on, each with its job id."""
    for action, ids in report.items():
        for some_id in ids:
            log.info("job recovery: %s", action, extra=job_fields(some_id.split(".")[0]))
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
    for job_id in done:
        log.info("job of the previous life of %s re-queued", worker, extra=job_fields(job_id))
    return done
