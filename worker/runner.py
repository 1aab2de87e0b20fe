"""One attempt of one job inside a worker: claim, heartbeat, progress, cancellation, final write.

The tasks in :mod:`worker.tasks` stay short by delegating here. Every database write carries the
attempt number (a fencing token): once the job is cancelled or re-queued, this attempt's writes are
refused, :meth:`JobRun.should_cancel` turns true and the pipeline stops at its next poll of it: every few seconds
of a teacher's training, after each chunk of the start search and each distillation epoch, and in the final stage
after each candidate's cross-validation, each control wavelet and each student (``models.pipeline.finalize``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded

from awd_studio.jobstate import crud
from awd_studio.jobstate.config import get_settings
from awd_studio.jobstate.db import TEACHER_CHUNK, Dataset, Job, Teacher, get_sessionmaker, utcnow
from awd_studio.jobstate.dispatch import HEARTBEAT_SECONDS, ORPHAN_GRACE_SECONDS
from awd_studio.jobstate.estimates import calibrate, stored_estimate
from awd_studio.jobstate.jobconfig import job_config
from awd_studio.jobstate.logs import job_fields
from awd_studio.jobstate.storage import Paths, is_disk_full, pid_alive, usage_bytes
from awd_studio.jobstate.summary import summarize_result
from awd_studio.models.distill import Cancelled
from awd_studio.models.options import PipelineConfig
from awd_studio.models.pipeline.progress import STAGE_SPANS, job_fraction, stage_spans

__all__ = ["JobRun", "claim", "lost_owner", "owns", "describe_error", "TIME_LIMIT_ADVICE"]

log = logging.getLogger(__name__)


def _session():
    return get_sessionmaker(get_settings().sqlalchemy_url)()


def lost_owner(job: Job, worker: str) -> str | None:
    """Why the running ``job`` has no live owner, as seen from a process of node ``worker``; ``None`` if it
    may still have one.

    Only a job of this same node can be judged here (same node name, same machine): its process is gone
    when that pid no longer exists (``kill -9``, the out-of-memory killer, the hard time limit), or when its
    heartbeat stopped. Jobs of other nodes are left to the web process's recovery sweep.
    """
    if job.state != "running" or job.worker != worker:
        return None
    if job.worker_pid is not None and not pid_alive(job.worker_pid):
        return f"its process (pid {job.worker_pid}) died, killed or out of memory"
    if job.heartbeat is None or job.heartbeat < utcnow() - dt.timedelta(seconds=ORPHAN_GRACE_SECONDS):
        return "its worker process was lost"
    return None


def claim(job_id: str, worker: str, task_id: str | None = None) -> int | None:
    """Claim a queued job for this worker; returns the attempt number or ``None`` (nothing to do).

    A job still ``running`` under this node whose process is gone (see :func:`lost_owner`; Celery sends the
    task again when a pool process dies) is re-queued first, counting towards ``AWD_MAX_ATTEMPTS``, and then
    claimed as the next attempt. The message ``task_id`` of a queued job sent again since is dropped
    (:func:`jobstate.crud.is_stale_message`): the newer message runs it, in its place in the queue.
    """
    settings = get_settings()
    with _session() as session:
        job = session.get(Job, job_id)
        if job is None:
            log.info("job %s: not in the database %s; nothing to run", job_id, session.bind.url.render_as_string(),
                     extra=job_fields(job_id))
            return None
        if crud.is_stale_message(job, task_id):
            log.info("job %s: message %s dropped, the job was sent again since (%s)", job_id, task_id, job.task_id,
                     extra=job_fields(job_id))
            return None
        reason = lost_owner(job, worker)
        if reason:
            outcome = crud.requeue_job(session, job=job, reason=reason, max_attempts=settings.max_attempts)
            if outcome != "unchanged":
                log.warning("job %s: attempt %d lost (%s); %s", job.id, job.attempt, reason, outcome,
                            extra=job_fields(job.id, job.attempt))
                shutil.rmtree(Paths(settings.data_dir).attempt_dir(job.id, job.attempt), ignore_errors=True)
        attempt = crud.claim_job(session, job_id=job_id, worker=worker, pid=os.getpid())
        if attempt is None:
            session.expire_all()
            job = session.get(Job, job_id)
            log.info("job %s: not claimed, it is %s (attempt %s, worker %s)", job_id, job and job.state,
                     job and job.attempt, job and job.worker, extra=job_fields(job_id))
        return attempt


def owns(job_id: str, attempt: int) -> bool:
    """``True`` while ``attempt`` is the running attempt of the job."""
    with _session() as session:
        job = session.get(Job, job_id)
        return job is not None and job.state == "running" and job.attempt == attempt


class JobRun:
    """Callbacks and bookkeeping of one attempt (or one chunk of it) while the pipeline runs.

    Parameters
    ----------
    job_id : str
        The job.
    attempt : int
        The attempt number returned by :func:`claim` (fencing token).
    worker : str
        Celery node name of this worker (recorded with each heartbeat).
    chunk : int, default=0
        Index of the grid chunk (for the loss history).
    """

    def __init__(self, job_id: str, attempt: int, worker: str, chunk: int = 0):
        self.settings = get_settings()
        self.paths = Paths(self.settings.data_dir)
        self.job_id, self.attempt, self.worker = job_id, int(attempt), worker
        self.chunk = int(chunk)
        self.fields = job_fields(job_id, self.attempt)  # extra= of this run's log lines (job id, attempt)
        self.lost = False
        self._last_write = 0.0
        self._overall = 0.0
        self._spans = None
        self._last_stage = None
        self._last_check = 0.0
        # a few seconds after Celery's own soft limit, so that normally its signal comes first
        self._deadline = time.monotonic() + self.settings.job_time_limit + 5.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    @property
    def stage(self) -> str | None:
        """The stage this run last reported (:meth:`progress`), None before any."""
        return self._last_stage

    # lifecycle -------------------------------------------------------------------------------------
    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=HEARTBEAT_SECONDS + 1)
        return False

    def _beat(self):
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with _session() as session:
                    if not crud.touch_job(session, job_id=self.job_id, attempt=self.attempt,
                                          worker=self.worker, pid=os.getpid()):
                        self.lost = True
            except Exception as exc:  # a busy database must not kill the run
                log.warning("heartbeat of job %s failed: %s", self.job_id, exc, extra=self.fields)

    # directories and inputs ------------------------------------------------------------------------
    @property
    def attempt_dir(self) -> Path:
        return self.paths.attempt_dir(self.job_id, self.attempt)

    @property
    def work_dir(self) -> Path:
        path = self.attempt_dir / "work"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def inputs(self) -> tuple[Path, PipelineConfig]:
        """Dataset path and pipeline config of the job.

        Raises
        ------
        ValueError
            If the dataset or the uploaded teacher was deleted since the job was submitted.
        """
        with _session() as session:
            job = session.get(Job, self.job_id)
            dataset = session.get(Dataset, job.dataset_id) if job.dataset_id else None
            if dataset is None:
                raise ValueError("dataset_id: the dataset of this job was deleted; upload it again and rerun")
            teacher = None
            if job.teacher_id:
                teacher = session.get(Teacher, job.teacher_id)
                if teacher is None:
                    raise ValueError("teacher: the uploaded teacher of this job was deleted")
            config = job_config(job.config, teacher, self.paths, self.settings.device)
            return self.paths.dataset_dir(dataset.id) / dataset.filename, config

    def check_quota(self) -> None:
        """Raise ``OSError`` when the data directory exceeds ``AWD_MAX_STORAGE_MB``."""
        limit = self.settings.max_storage_bytes
        if limit is not None and usage_bytes(self.paths.root) > limit:
            raise OSError(
                f"storage quota exceeded: the data directory holds more than AWD_MAX_STORAGE_MB="
                f"{self.settings.max_storage_mb:g} MB; delete old jobs or datasets, or raise the quota"
            )

    @property
    def spans(self) -> dict:
        """Where each stage sits in this job's progress bar, read once per run: sized by the estimated seconds of
        each stage, calibrated to this server's finished jobs as the configure page's estimate is
        (:func:`jobstate.estimates.calibrate`, :func:`models.pipeline.progress.stage_spans`), and written on the
        job for its time left (``Job.stage_expected``); :data:`models.pipeline.progress.STAGE_SPANS` when the job
        cannot be estimated."""
        if self._spans is None:
            self._spans = STAGE_SPANS
            try:
                with _session() as session:
                    job = session.get(Job, self.job_id)
                    dataset = session.get(Dataset, job.dataset_id) if job is not None and job.dataset_id else None
                    if dataset is not None:
                        guess = calibrate(session, stored_estimate(job, dataset), dataset.kind)
                        self._spans = stage_spans(guess["stages"])
                        crud.set_stage_expected(session, job_id=self.job_id, attempt=self.attempt,
                                                seconds=guess["stages"])
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # the fixed spans still give a progress bar
                log.warning("job %s: stage spans not estimated (%s); using the fixed ones", self.job_id, exc,
                            extra=self.fields)
        return self._spans

    # pipeline callbacks ----------------------------------------------------------------------------
    def progress(self, stage: str, fraction: float, message: str = "") -> None:
        """``progress(stage, fraction, message)`` for models.pipeline: the job's fraction done is the stage's place
        in the job's :attr:`spans` (never going back); throttled to 2 writes a second, except the first report after
        a loss point (:meth:`on_epoch`, :meth:`on_teacher_epoch`), so that the stage line names the epoch the loss
        chart shows (throttled, it said "epoch 4/50" under a chart at epoch 5). A change of stage is never throttled,
        and marks when the stage began (:func:`jobstate.crud.set_progress`)."""
        overall = max(self._overall, job_fraction(stage, fraction, self.spans) or 0.0)
        self._overall = overall
        now = time.monotonic()
        if stage == self._last_stage and now - self._last_write < 0.5 and fraction < 1.0:
            return
        new_stage = stage != self._last_stage  # marked as begun now (the job page's stage durations)
        self._last_stage, self._last_write = stage, now
        try:
            with _session() as session:
                if not crud.set_progress(session, job_id=self.job_id, attempt=self.attempt, stage=stage,
                                         fraction=overall, message=message, new_stage=new_stage):
                    self.lost = True
        except SoftTimeLimitExceeded:  # the time limit's signal may land during this write: never swallow it
            raise
        except Exception as exc:
            log.warning("progress of job %s not written: %s", self.job_id, exc, extra=self.fields)

    def on_epoch(self, epoch: int, losses: dict) -> None:
        """``on_epoch(epoch, losses)`` for models.pipeline: appends to the live loss history."""
        try:
            with _session() as session:
                crud.add_loss_point(session, job_id=self.job_id, attempt=self.attempt, chunk=self.chunk,
                                    epoch=epoch, values=losses)
            self._last_write = 0.0  # the epoch's progress line follows unthrottled
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            log.warning("losses of job %s not written: %s", self.job_id, exc, extra=self.fields)

    def on_teacher_epoch(self, epoch: int, losses: dict) -> None:
        """``on_teacher_epoch(epoch, {"train", "val"})`` for models.pipeline.prepare: the teacher's training
        curve, stored as loss points of chunk :data:`TEACHER_CHUNK` (``teacher_train``, ``teacher_val``).

        Raises
        ------
        models.distill.Cancelled
            Once the job is cancelled (or taken over), so that a cancel during the teacher's training stops the
            job after the current epoch, not after the whole training (tens of seconds for the built-in
            teachers on a CPU).
        """
        try:
            with _session() as session:
                crud.add_loss_point(session, job_id=self.job_id, attempt=self.attempt, chunk=TEACHER_CHUNK,
                                    epoch=epoch, values={f"teacher_{k}": v for k, v in losses.items()})
            self._last_write = 0.0  # the epoch's progress line follows unthrottled
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            log.warning("teacher losses of job %s not written: %s", self.job_id, exc)
        if self.should_cancel():
            raise Cancelled(f"stopped during the teacher's epoch {epoch}")

    def should_cancel(self) -> bool:
        """``True`` once the job is cancelled or taken over by another attempt (checked at most 2/s).

        Raises
        ------
        celery.exceptions.SoftTimeLimitExceeded
            Once ``AWD_JOB_TIME_LIMIT`` seconds have passed since this run started, even if Celery's own
            signal was lost (caught by a library's broad ``except``).
        """
        now = time.monotonic()
        if now > self._deadline:
            raise SoftTimeLimitExceeded()
        if not self.lost and now - self._last_check >= 0.5:
            self._last_check = now
            try:
                self.lost = not owns(self.job_id, self.attempt)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                log.warning("cancellation check of job %s failed: %s", self.job_id, exc, extra=self.fields)
        return self.lost

    # outcomes --------------------------------------------------------------------------------------
    def succeed(self, staged_result: Path) -> bool:
        """Move a finished result into place and mark the job succeeded (compare-and-set).

        Returns ``False`` (and deletes the staged files) if this attempt no longer owns the job.
        """
        self.check_quota()
        final = self.attempt_dir / "result"
        if final.exists():
            shutil.rmtree(final)
        staged_result.replace(final)
        relative = str(final.relative_to(self.paths.root))
        summary = summarize_result(final)  # what the jobs list shows (never opens the bundle itself)
        with _session() as session:
            ok = crud.finish_job(session, job_id=self.job_id, attempt=self.attempt, state="succeeded",
                                 result_dir=relative, summary=summary)
        if ok:
            shutil.rmtree(self.attempt_dir / "work", ignore_errors=True)
        else:
            self.discard()
        return ok

    def fail(self, reason: str) -> bool:
        """Remove this attempt's files, then mark the job failed with a readable reason.

        The files go first, so that whoever sees the job failed finds nothing of the attempt left (the other
        order left them for a moment after the state changed, and for good if the worker died in between).
        Retried once if the time limit's signal lands in the middle (it may arrive while a failure that
        the runner raised itself is being written), so that no files of the attempt stay behind.
        """
        for last in (False, True):
            try:
                self.discard()
                with _session() as session:
                    return crud.finish_job(session, job_id=self.job_id, attempt=self.attempt, state="failed",
                                           error=str(reason)[:4000])
            except SoftTimeLimitExceeded:
                if last:
                    raise
        return False

    def discard(self) -> None:
        """Remove this attempt's directory (cancelled, failed or superseded runs leave nothing).

        The directory of the job's succeeded attempt is never removed, only its ``work/`` folder: an error
        raised after :meth:`succeed` committed (Celery's soft time limit arriving while the work folder is
        deleted, on a loaded machine) reaches the error handler, and used to delete the result of a job the
        database calls succeeded. When the database cannot tell, the files stay (the recovery sweep removes
        a lost attempt's files later; a missing result could not be brought back).
        """
        try:
            keep = self.succeeded_here()
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            log.warning("job %s: could not read its state (%s); its attempt's files stay", self.job_id, exc,
                        extra=self.fields)
            keep = True
        if keep:
            shutil.rmtree(self.attempt_dir / "work", ignore_errors=True)
            return
        shutil.rmtree(self.attempt_dir, ignore_errors=True)

    def succeeded_here(self) -> bool:
        """``True`` when the database holds this attempt as the job's succeeded one."""
        with _session() as session:
            job = session.get(Job, self.job_id)
            return job is not None and job.state == "succeeded" and job.attempt == self.attempt


#: What shortens the stage a job was in when its time ran out (:func:`describe_error`). The advice was "fewer epochs
#: or grid points" whatever the stage: to a 1 x 1 grid of 5 epochs stopped while it searched 1700 random starts
#: (review 50B).
TIME_LIMIT_ADVICE = {
    "teacher": "fewer teacher training epochs, or upload a trained teacher",
    "distill": "fewer epochs or grid points, or fewer random starts (0 turns the start search off)",
    "select": "fewer grid points, or fewer random wavelets for the control (0 turns it off)",
    "students": "fewer grid points",
    "scattering": "fewer scattering epochs, or no scattering student",
}


def describe_error(exc: BaseException, time_limit: int, stage: str | None = None) -> str:
    """A readable one-line reason for a failed job; ``stage``: the stage it was in (``JobRun.progress``'s last),
    which the advice on a time limit follows (:data:`TIME_LIMIT_ADVICE`).

    Examples
    --------
    >>> describe_error(SoftTimeLimitExceeded(), 25, "teacher")[60:]
    ' in its teacher stage; use fewer teacher training epochs, or upload a trained teacher, or raise the limit'
    >>> describe_error(SoftTimeLimitExceeded(), 25)[60:]
    '; use fewer epochs or grid points, or raise the limit'
    """
    if isinstance(exc, SoftTimeLimitExceeded):
        where = f" in its {stage} stage" if stage in TIME_LIMIT_ADVICE else ""
        return (f"the job exceeded its time limit of {time_limit} s (AWD_JOB_TIME_LIMIT){where}; use "
                f"{TIME_LIMIT_ADVICE.get(stage, 'fewer epochs or grid points')}, or raise the limit")
    if isinstance(exc, MemoryError):
        return "the worker ran out of memory; use a smaller dataset, batch_size or grid"
    if is_disk_full(exc):
        return ("the server is out of disk space (under AWD_DATA_DIR); free some space, e.g. delete old jobs "
                "or datasets, then rerun the job")
    if isinstance(exc, ValueError) and "not JSON compliant" in str(exc):
        return ("teacher: the job produced NaN or infinite numbers (typically a teacher that returns NaN or Inf "
                "on this data); check the teacher's predictions on your data, or let AWD Studio train one")
    if isinstance(exc, ValueError):
        return str(exc)
    text = str(exc) or exc.__class__.__name__
    if "out of memory" in text.lower():
        return "the device ran out of memory; reduce batch_size or use the CPU (device: cpu)"
    return f"{exc.__class__.__name__}: {text}"
