"""Reads and writes of the tables, shared by the web process and the workers.

Job state changes are compare-and-set ``UPDATE ... WHERE state = ... AND attempt = ...`` statements:
``attempt`` is a fencing token, so a worker that lost its claim (cancelled, or re-queued after it was
presumed dead) can no longer write progress or a result, and a job never succeeds twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from awd_studio.jobstate.db import ACTIVE_STATES, Dataset, DeletedShare, Job, LossPoint, Share, Teacher, new_id, utcnow
from awd_studio.jobstate.stagetimes import add_mark

__all__ = [
    "hash_token",
    "create_dataset",
    "find_dataset_by_hash",
    "list_datasets",
    "delete_dataset",
    "create_teacher",
    "set_teacher_arch",
    "list_teachers",
    "delete_teacher",
    "create_job",
    "find_job_by_key",
    "list_jobs",
    "mark_enqueued",
    "is_stale_message",
    "claim_job",
    "touch_job",
    "set_progress",
    "add_loss_point",
    "loss_points",
    "finish_job",
    "set_job_summary",
    "jobs_of_dataset",
    "jobs_of_teacher",
    "latest_succeeded_jobs",
    "cancel_job",
    "requeue_job",
    "requeue_stopped",
    "delete_job",
    "create_share",
    "share_by_token",
    "find_share_by_token",
    "mark_share_used",
    "list_shares",
    "revoke_share",
]


def hash_token(token: str) -> str:
    """Hex SHA-256 of a share token (the only form stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# datasets and teachers -------------------------------------------------------------------------------

def create_dataset(session: Session, *, dataset_id: str, name: str, source: str, filename: str,
                   original_filename: str | None, kind: str, shape, n: int, n_test: int | None,
                   sha256: str, size_bytes: int, summary: dict) -> Dataset:
    """Insert and commit a dataset row whose file is already in place."""
    row = Dataset(id=dataset_id, name=name, source=source, filename=filename,
                  original_filename=original_filename, kind=kind, shape=[int(s) for s in shape],
                  n=int(n), n_test=n_test, sha256=sha256, size_bytes=int(size_bytes), summary=summary)
    session.add(row)
    session.commit()
    return row


def find_dataset_by_hash(session: Session, *, sha256: str, source: str = "upload") -> Dataset | None:
    """The oldest stored dataset of this source whose file has this SHA-256, if any."""
    query = select(Dataset).where(Dataset.sha256 == sha256, Dataset.source == source).order_by(Dataset.created)
    return session.scalars(query.limit(1)).first()


def list_datasets(session: Session, *, limit: int = 100, offset: int = 0) -> tuple[list[Dataset], int]:
    """Datasets, newest first, and the total count."""
    rows = session.scalars(select(Dataset).order_by(Dataset.created.desc()).limit(limit).offset(offset))
    return list(rows), session.scalar(select(func.count()).select_from(Dataset))


def delete_dataset(session: Session, *, dataset: Dataset) -> None:
    """Delete a dataset row (the caller removes its directory after the commit)."""
    session.delete(dataset)
    session.commit()


def find_teacher(session: Session, *, sha256: str, arch: str, input_shape, n_outputs: int | None) -> Teacher | None:
    """The first stored teacher with these weights (by content hash) checked for the same architecture, input
    shape and number of outputs (``None``: any), or None."""
    query = select(Teacher).where(Teacher.sha256 == sha256, Teacher.arch == arch).order_by(Teacher.created)
    if n_outputs is not None:
        query = query.where(Teacher.n_outputs == int(n_outputs))
    shape = [int(s) for s in input_shape]
    return next((row for row in session.scalars(query) if list(row.input_shape) == shape), None)


def set_teacher_arch(session: Session, *, teacher: Teacher, arch: str) -> None:
    """Store the architecture of an uploaded teacher (one stored as ``"auto"`` before it was read from its file)."""
    teacher.arch = arch
    session.commit()


def create_teacher(session: Session, *, teacher_id: str, name: str, arch: str, filename: str,
                   original_filename: str | None, input_shape, n_outputs: int, n_params: int,
                   sha256: str, size_bytes: int) -> Teacher:
    """Insert and commit a teacher row whose weights file is already in place."""
    row = Teacher(id=teacher_id, name=name, arch=arch, filename=filename,
                  original_filename=original_filename, input_shape=[int(s) for s in input_shape],
                  n_outputs=int(n_outputs), n_params=int(n_params), sha256=sha256,
                  size_bytes=int(size_bytes))
    session.add(row)
    session.commit()
    return row


def list_teachers(session: Session) -> list[Teacher]:
    """Uploaded teachers, newest first."""
    return list(session.scalars(select(Teacher).order_by(Teacher.created.desc())))


def delete_teacher(session: Session, *, teacher: Teacher) -> None:
    """Delete an uploaded teacher's row (the caller removes its directory after the commit); the jobs that used it
    keep its id and name it as deleted."""
    session.delete(teacher)
    session.commit()


# jobs ------------------------------------------------------------------------------------------------

def create_job(session: Session, *, dataset_id: str, teacher_id: str | None, config: dict,
               idempotency_key: str | None = None, request_hash: str | None = None,
               rerun_of: str | None = None) -> Job:
    """Insert and commit a queued job. Raises ``IntegrityError`` if the idempotency key is taken."""
    row = Job(id=new_id(), state="queued", dataset_id=dataset_id, teacher_id=teacher_id, config=config,
              idempotency_key=idempotency_key, request_hash=request_hash, rerun_of=rerun_of,
              stage="queued", fraction=0.0, attempt=0)
    session.add(row)
    session.commit()
    return row


def find_job_by_key(session: Session, *, idempotency_key: str) -> Job | None:
    """The job created with this ``Idempotency-Key``, if any."""
    return session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))


def list_jobs(session: Session, *, state: str | None = None, limit: int = 100,
              offset: int = 0) -> tuple[list[Job], int]:
    """Jobs, newest first, optionally of one state, and the total count."""
    query = select(Job)
    count = select(func.count()).select_from(Job)
    if state:
        query = query.where(Job.state == state)
        count = count.where(Job.state == state)
    rows = session.scalars(query.order_by(Job.created.desc()).limit(limit).offset(offset))
    return list(rows), session.scalar(count)


def _cas(session: Session, where, **values) -> bool:
    result = session.execute(update(Job).where(*where).values(**values))
    session.commit()
    return result.rowcount == 1


def mark_enqueued(session: Session, *, job_id: str, task_id: str | None) -> bool:
    """Record the Celery task id of a queued job's latest message (for revocation, and so that a worker drops an
    older message of the job: :func:`is_stale_message`); ``None`` forgets it when the message could not be sent
    (the job then counts as never sent, and recovery sends it)."""
    return _cas(session, [Job.id == job_id, Job.state == "queued"], task_id=task_id,
                enqueued=utcnow() if task_id else None)


def is_stale_message(job: Job, task_id: str | None) -> bool:
    """Whether a ``run_job`` message is an older one of a queued job that has been sent again since (a restart
    sends every queued job again, in the order they were submitted; their older messages, still in the broker,
    would run them in another order). A job without a recorded task id takes any message."""
    return job.state == "queued" and bool(job.task_id) and bool(task_id) and job.task_id != task_id


def claim_job(session: Session, *, job_id: str, worker: str, pid: int | None = None) -> int | None:
    """Move a queued job to running for this worker (``pid``: the process that will run it).

    Returns
    -------
    int or None
        The new attempt number (the fencing token of this run), or ``None`` when the job was not queued
        (already running elsewhere, finished or cancelled): the caller then does nothing.
    """
    now = utcnow()
    ok = _cas(session, [Job.id == job_id, Job.state == "queued"], state="running", attempt=Job.attempt + 1,
              worker=worker, worker_pid=pid, heartbeat=now, started=now, stage="starting", fraction=0.0, error=None,
              message=None, finished=None, stage_marks=[["starting", now.isoformat()]], stage_expected=None)
    if not ok:
        return None
    return session.scalar(select(Job.attempt).where(Job.id == job_id))


def touch_job(session: Session, *, job_id: str, attempt: int, worker: str | None = None,
              pid: int | None = None) -> bool:
    """Heartbeat: ``True`` while this attempt still owns the running job."""
    values = {"heartbeat": utcnow()}
    if worker:
        values["worker"] = worker
    if pid:
        values["worker_pid"] = pid
    return _cas(session, [Job.id == job_id, Job.attempt == attempt, Job.state == "running"], **values)


def set_progress(session: Session, *, job_id: str, attempt: int, stage: str, fraction: float,
                 message: str | None = None, new_stage: bool = False) -> bool:
    """Write stage, fraction in [0, 1] and message; ``False`` if this attempt no longer owns the job.

    ``new_stage``: the caller's first report of ``stage``; it is then marked as begun now in the job's
    ``stage_marks`` (:func:`jobstate.stagetimes.add_mark`: unless it is the stage of the last mark, as for the
    second chunk of a grid reporting ``distill``)."""
    now = utcnow()
    stage = str(stage)[:100]
    values = {"stage": stage, "fraction": min(max(float(fraction), 0.0), 1.0),
              "message": (message or None) and str(message)[:2000], "heartbeat": now}
    if new_stage:
        marks = session.scalar(select(Job.stage_marks).where(Job.id == job_id, Job.attempt == attempt))
        added = add_mark(marks, stage, now)
        if added is not None:
            values["stage_marks"] = added
    return _cas(session, [Job.id == job_id, Job.attempt == attempt, Job.state == "running"], **values)


def set_stage_expected(session: Session, *, job_id: str, attempt: int, seconds: dict) -> bool:
    """Write the seconds each stage of this attempt is expected to take (``Job.stage_expected``: finite, at least
    0); ``False`` if this attempt no longer owns the job."""
    clean = {str(stage)[:100]: max(float(value), 0.0) for stage, value in dict(seconds).items()
             if math.isfinite(float(value))}
    return _cas(session, [Job.id == job_id, Job.attempt == attempt, Job.state == "running"], stage_expected=clean)


def add_loss_point(session: Session, *, job_id: str, attempt: int, chunk: int, epoch: int,
                   values: dict) -> None:
    """Append one epoch of losses (non-finite values become ``None``)."""
    clean = {}
    for key, value in dict(values).items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        clean[str(key)] = value if value == value and abs(value) != float("inf") else None
    session.add(LossPoint(job_id=job_id, attempt=attempt, chunk=int(chunk), epoch=int(epoch), values=clean))
    session.commit()


def loss_points(session: Session, *, job: Job, limit: int = 5000) -> list[LossPoint]:
    """The loss history of the job's current attempt, oldest first."""
    query = (select(LossPoint).where(LossPoint.job_id == job.id, LossPoint.attempt == job.attempt)
             .order_by(LossPoint.id).limit(limit))
    return list(session.scalars(query))


def finish_job(session: Session, *, job_id: str, attempt: int, state: str, error: str | None = None,
               result_dir: str | None = None, summary: dict | None = None) -> bool:
    """Final write of one attempt (succeeded or failed), only if it still owns the running job; ``summary`` is
    the result's (``jobstate.summary.summarize_result``)."""
    values = {"state": state, "finished": utcnow(), "error": error}
    if state == "succeeded":
        values.update(fraction=1.0, stage="done", result_dir=result_dir, message=None, summary=summary)
    else:
        values.update(stage=state)
    return _cas(session, [Job.id == job_id, Job.attempt == attempt, Job.state == "running"], **values)


def set_job_summary(session: Session, *, job: Job, summary: dict | None) -> None:
    """Store the result summary of a finished job (filled in once for jobs that finished without one)."""
    job.summary = summary
    session.commit()


def jobs_of_dataset(session: Session, *, dataset_id: str) -> list[Job]:
    """Every job that ran or runs on a dataset, newest first."""
    return list(session.scalars(select(Job).where(Job.dataset_id == dataset_id).order_by(Job.created.desc())))


def jobs_of_teacher(session: Session, *, teacher_id: str) -> list[Job]:
    """Every job that ran or runs with an uploaded teacher, newest first."""
    return list(session.scalars(select(Job).where(Job.teacher_id == teacher_id).order_by(Job.created.desc())))


def latest_succeeded_jobs(session: Session, *, kind: str, limit: int) -> list[tuple[Job, Dataset]]:
    """The ``limit`` jobs on data of this kind that succeeded last, each with its dataset, newest first.

    Only jobs with a recorded claim and finish (their run's wall time) and a dataset still stored.
    """
    query = (select(Job, Dataset).join(Dataset, Dataset.id == Job.dataset_id)
             .where(Job.state == "succeeded", Dataset.kind == kind, Job.started.is_not(None),
                    Job.finished.is_not(None))
             .order_by(Job.finished.desc()).limit(limit))
    return [(job, dataset) for job, dataset in session.execute(query)]


def cancel_job(session: Session, *, job_id: str) -> bool:
    """Cancel a queued or running job (a running job's worker notices at its next poll of
    :meth:`worker.runner.JobRun.should_cancel`: every few seconds in the teacher's training and the final stage,
    after each chunk of the start search and each distillation epoch)."""
    return _cas(session, [Job.id == job_id, Job.state.in_(ACTIVE_STATES)], state="cancelled",
                stage="cancelled", finished=utcnow(), message="cancelled by the user")


def requeue_job(session: Session, *, job: Job, reason: str, max_attempts: int) -> str:
    """Put a running job whose worker is gone back to ``queued`` (or fail it after too many attempts).

    Returns
    -------
    str
        ``"queued"``, ``"failed"`` or ``"unchanged"`` (the job moved on meanwhile).
    """
    where = [Job.id == job.id, Job.attempt == job.attempt, Job.state == "running"]
    lost = (job.lost or 0) + 1  # runs ended by a planned stop (requeue_stopped) are not counted
    if lost >= max_attempts:
        ok = _cas(session, where, state="failed", finished=utcnow(), stage="failed", lost=lost,
                  error=f"the worker was lost {lost} times ({reason}); giving up")
        return "failed" if ok else "unchanged"
    return "queued" if _back_to_queue(session, job, f"re-queued: {reason}", lost=lost) else "unchanged"


def _back_to_queue(session: Session, job: Job, message: str, **values) -> bool:
    """Move the running attempt ``job.attempt`` back to ``queued``, from the start, with ``message``."""
    return _cas(session, [Job.id == job.id, Job.attempt == job.attempt, Job.state == "running"], state="queued",
                stage="queued", fraction=0.0, worker=None, worker_pid=None, task_id=None, enqueued=None,
                message=message, stage_marks=None, stage_expected=None, **values)


def requeue_stopped(session: Session, *, worker_prefixes: list[str]) -> list[tuple[str, int]]:
    """Put back to ``queued`` the running jobs of workers that a planned stop is about to end.

    A planned stop (Ctrl-C or SIGTERM to ``awd serve``) is not a lost worker: the job keeps its count of
    losses, so restarting the server never fails a healthy job, and its message says what happened. Its
    attempt's process sees that it no longer owns the job (``attempt`` is the fencing token) and stops.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Each job put back is committed on it at once (one compare-and-set per job, as every transition here).
    worker_prefixes : list of str
        Celery node names up to their ``@`` (``"awd-123-4567"``): the workers being stopped.

    Returns
    -------
    list of (str, int)
        The re-queued jobs' ids and the attempt each was on (its files can go once its process has ended).
    """
    running = list(session.scalars(select(Job).where(Job.state == "running")))
    done = []
    for job in running:
        if not any((job.worker or "").startswith(prefix + "@") for prefix in worker_prefixes):
            continue
        if _back_to_queue(session, job, "re-queued: AWD Studio was stopped while it ran; it runs again, from the "
                                        "start, when AWD Studio starts"):
            done.append((job.id, job.attempt))
    return done


def delete_job(session: Session, *, job: Job) -> None:
    """Delete a finished job with its shares and loss history (the caller removes its directory); its share links'
    token hashes are kept (:class:`~jobstate.db.DeletedShare`), so that opening one says the result was deleted."""
    now = utcnow()
    for digest in session.scalars(select(Share.token_hash).where(Share.job_id == job.id)).all():
        session.merge(DeletedShare(token_hash=digest, deleted=now))
    session.execute(delete(Share).where(Share.job_id == job.id))
    session.execute(delete(LossPoint).where(LossPoint.job_id == job.id))
    session.delete(job)
    session.commit()


# shares ----------------------------------------------------------------------------------------------

def create_share(session: Session, *, job_id: str, expires: dt.datetime | None,
                 label: str | None = None) -> tuple[Share, str]:
    """Create a share link, named ``label`` (or unnamed); returns the row and the token (never stored in clear)."""
    token = secrets.token_urlsafe(32)
    row = Share(id=new_id(), job_id=job_id, token_hash=hash_token(token), expires=expires, label=label or None)
    session.add(row)
    session.commit()
    return row, token


def share_by_token(session: Session, *, token: str, now: dt.datetime | None = None) -> tuple[str, Share | None]:
    """Look up a share token (compared in constant time).

    Returns
    -------
    tuple
        ``(status, row)``: ``("live", row)``, ``("revoked", row)``, ``("expired", row)``, ``("deleted", None)``
        (a link of a result the owner deleted) or ``("unknown", None)``.
    """
    if not token or len(token) > 200:
        return "unknown", None
    digest = hash_token(token)
    row = session.scalar(select(Share).where(Share.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return ("deleted" if session.get(DeletedShare, digest) is not None else "unknown"), None
    if row.revoked:
        return "revoked", row
    if row.expires is not None and row.expires <= (now or utcnow()):
        return "expired", row
    return "live", row


def find_share_by_token(session: Session, *, token: str, now: dt.datetime | None = None) -> Share | None:
    """The live (not revoked, not expired) share of this token, or ``None``."""
    status, row = share_by_token(session, token=token, now=now)
    return row if status == "live" else None


def mark_share_used(session: Session, *, share: Share, every_seconds: float = 60.0) -> None:
    """Record that a share link was opened (at most one write per ``every_seconds``)."""
    now = utcnow()
    if share.last_used is None or share.last_used < now - dt.timedelta(seconds=every_seconds):
        session.execute(update(Share).where(Share.id == share.id).values(last_used=now))
        session.commit()


def list_shares(session: Session, *, job_id: str) -> list[Share]:
    """Shares of one job, newest first."""
    return list(session.scalars(select(Share).where(Share.job_id == job_id).order_by(Share.created.desc())))


def revoke_share(session: Session, *, share: Share) -> None:
    """Revoke a share link (kept for the audit trail)."""
    share.revoked = True
    session.commit()
