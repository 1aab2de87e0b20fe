"""Celery tasks: each loads the job row, checks that it may run, calls ``models.pipeline`` and stores
the outcome. Small grids run as one task; large ones as a chord
``run_job (prepare) -> group(distill_chunk, ...) -> finalize_job``.
"""

from __future__ import annotations

import functools
import logging
import os
import threading

import redis
import torch
from celery import chord, group
from celery.signals import task_prerun, worker_process_init, worker_ready, worker_shutdown

from awd_studio.jobstate.config import get_settings
from awd_studio.jobstate.db import get_engine, get_sessionmaker
from awd_studio.jobstate.dispatch import ORPHAN_GRACE_SECONDS, live_workers, recover_worker_jobs
from awd_studio.jobstate.machines import (
    distinct_machines,
    machine_identity,
    register_worker,
    registered_workers,
    unregister_worker,
)
from awd_studio.models import pipeline  # imported once in the worker's parent, shared by its prefork children
from awd_studio.worker.celery_app import celery_app
from awd_studio.worker.runner import JobRun, claim, describe_error, owns

__all__ = ["run_job", "distill_chunk", "finalize_job"]

log = logging.getLogger(__name__)


@worker_process_init.connect
def _fresh_connections(**_):
    """Each prefork child opens its own database connections."""
    get_sessionmaker.cache_clear()
    get_engine.cache_clear()


@task_prerun.connect
def _grad_mode_on(**_):
    """Every task starts with torch's gradient mode on, whatever the previous task left.

    The time limit's signal raises wherever the main thread is. Landing inside ``torch.no_grad().__enter__``,
    after gradients were turned off and before the ``with`` block's body began, it leaves them off for good in
    this pool process (``__exit__`` never runs): the next job failed in its teacher's training with "element 0
    of tensors does not require grad" (the fault tests' job after a time-limited one: in CI, and in 1 of 8
    runs of their module here).
    """
    torch.set_grad_enabled(True)


@worker_ready.connect
def _recover_own_orphans(sender=None, **_):
    """After the orphan grace period, re-queue jobs left running under this node name by a crash."""
    name = getattr(sender, "hostname", None)
    if not name:
        return
    settings = get_settings()

    def later():
        try:
            recover_worker_jobs(settings.sqlalchemy_url, name, max_attempts=settings.max_attempts,
                                data_dir=settings.data_dir)
        except Exception as exc:  # the web process's recovery loop remains the fallback
            log.warning("could not recover the jobs of %s: %s", name, exc)

    timer = threading.Timer(ORPHAN_GRACE_SECONDS + 1.0, later)
    timer.daemon = True
    timer.start()


@functools.lru_cache(maxsize=1)
def _broker_redis() -> redis.Redis:
    """A client of the broker's Redis, one per process (its connection pool reconnects after a fork)."""
    return redis.Redis.from_url(get_settings().broker_url)


@worker_ready.connect
def _register_machine(sender=None, **_):
    """Record what this worker computes on (:func:`jobstate.machines.machine_identity`): a job's grid is split
    only across workers on distinct machines or GPUs (:func:`_workers_to_share`)."""
    name = getattr(sender, "hostname", None)
    if not name:
        return
    try:
        register_worker(_broker_redis(), name, machine_identity(_pinned_gpus()))
    except Exception as exc:  # without it the worker counts as a machine of its own
        log.warning("could not record the machine of %s: %s", name, exc)


@worker_shutdown.connect
def _unregister_machine(sender=None, **_):
    """Forget this worker's machine as it stops, so that jobs on the machines left need not ping for it
    (:func:`_workers_to_share`). A killed worker stays recorded; the ping then finds it gone."""
    name = getattr(sender, "hostname", None)
    if not name:
        return
    try:
        unregister_worker(_broker_redis(), name)
    except Exception as exc:
        log.warning("could not forget the machine of %s: %s", name, exc)


def _pinned_gpus() -> str | None:
    """The GPUs this worker was given (``NVIDIA_VISIBLE_DEVICES``, which the container runtime sets from a service's
    ``device_ids``, or ``CUDA_VISIBLE_DEVICES``), or None. Read from the environment: asking torch would start CUDA
    in the worker's parent process, which its forked pool processes then cannot use."""
    for variable in ("NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"):
        value = os.environ.get(variable, "").strip()
        if value and value.lower() not in ("none", "void", "all", "-1"):
            return value
    return None


def _guarded(run: JobRun, body) -> str:
    """Run ``body()``; cancellation discards the attempt, any error fails the job with a reason."""
    try:
        return body()
    except pipeline.Cancelled:
        run.discard()
        return "cancelled"
    except BaseException as exc:  # SoftTimeLimitExceeded derives from Exception; keep SystemExit too
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if _succeeded(run):  # the error came after the job was done (a late time-limit signal)
            log.warning("job %s: %s after it succeeded; the result stands", run.job_id, type(exc).__name__,
                        extra=run.fields)
            run.discard()  # only its work folder
            return "succeeded"
        if run.lost:
            run.discard()
            return "superseded"
        log.exception("job %s failed", run.job_id, extra=run.fields)
        run.fail(describe_error(exc, get_settings().job_time_limit, run.stage))
        return "failed"


def _succeeded(run: JobRun) -> bool:
    """Whether the database already holds ``run``'s attempt as succeeded (``False`` if it cannot be read)."""
    try:
        return run.succeeded_here()
    except Exception:
        return False


@celery_app.task(name="worker.tasks.run_job", bind=True)
def run_job(self, job_id: str) -> str:
    """Run one queued job: the whole pipeline, or its preparation followed by a chord of chunks."""
    attempt = claim(job_id, self.request.hostname, self.request.id)
    if attempt is None:
        return "skipped"
    with JobRun(job_id, attempt, self.request.hostname) as run:
        return _guarded(run, lambda: _run_or_split(run))


@celery_app.task(name="worker.tasks.distill_chunk", bind=True)
def distill_chunk(self, job_id: str, attempt: int, chunk: int, indices: list[int], n_chunks: int) -> str:
    """Distil the grid points ``indices`` of a prepared job (one member of the chord's group)."""
    if not owns(job_id, attempt):
        return "skipped"
    with JobRun(job_id, attempt, self.request.hostname, chunk=chunk) as run:
        progress = _chunk_progress(run, n_chunks)
        return _guarded(run, lambda: str(pipeline.distill_chunk(
            run.work_dir, indices, progress=progress, should_cancel=run.should_cancel,
            on_epoch=run.on_epoch)))


@celery_app.task(name="worker.tasks.finalize_job", bind=True)
def finalize_job(self, job_id: str, attempt: int) -> str:
    """Select lambda/gamma, fit the predictors and write the bundle (the chord's callback)."""
    if not owns(job_id, attempt):
        return "skipped"
    with JobRun(job_id, attempt, self.request.hostname) as run:
        def body():
            staged = _staging(run)
            pipeline.finalize(run.work_dir, staged, progress=run.progress, should_cancel=run.should_cancel)
            return "succeeded" if run.succeed(staged) else "superseded"
        return _guarded(run, body)


def _staging(run: JobRun):
    staged = run.attempt_dir / "result.partial"
    staged.mkdir(parents=True, exist_ok=True)
    return staged


def _run_or_split(run: JobRun) -> str:
    settings = get_settings()
    data_path, config = run.inputs()
    run.check_quota()
    info = pipeline.prepare(data_path, config, run.work_dir, progress=run.progress,
                            on_teacher_epoch=run.on_teacher_epoch, should_cancel=run.should_cancel)
    n_points = len(info["config"]["lambdas"]) * len(info["config"]["gammas"])
    if n_points < settings.chord_min_points or not _workers_to_share(settings.chord_min_machines):
        pipeline.distill_chunk(run.work_dir, range(n_points), progress=run.progress,
                               should_cancel=run.should_cancel, on_epoch=run.on_epoch)
        staged = _staging(run)
        pipeline.finalize(run.work_dir, staged, progress=run.progress, should_cancel=run.should_cancel)
        return "succeeded" if run.succeed(staged) else "superseded"
    size = settings.chunk_points
    chunks = [list(range(i, min(i + size, n_points))) for i in range(0, n_points, size)]
    header = group(distill_chunk.si(run.job_id, run.attempt, k, idx, len(chunks)) for k, idx in enumerate(chunks))
    chord(header, finalize_job.si(run.job_id, run.attempt)).apply_async()
    run.progress("distill", 0.0, f"{n_points} grid points in {len(chunks)} chunks")
    return "split"


#: Seconds :func:`_workers_to_share` waits for the workers' answers, when the recorded workers span enough machines
#: (it returns as soon as every recorded worker has answered). A 0.5 s ping could miss a second machine's worker
#: answering late on a loaded machine (found by reading, tests/RELIABILITY.md fix 16). Workers that died without
#: stopping stay recorded, so then every grid of 13+ points waits the whole 2 s.
SHARE_PING_SECONDS = 2.0


def _workers_to_share(needed: int) -> bool:
    """Whether the workers answering a ping now (this one included) compute on at least ``needed`` distinct machines
    or GPUs (``AWD_CHORD_MIN_MACHINES``, :mod:`jobstate.machines`), so that a grid's chunks add compute. Chunks on
    one worker run one after another, and chunks on several workers of one CPU share its cores: both are slower
    than one task. When the workers ever recorded (:func:`jobstate.machines.registered_workers`) span fewer
    machines than needed, the answer is no without a ping; a worker of a version that records no machine is then
    not seen."""
    if needed <= 1:
        return True
    try:
        recorded = registered_workers(_broker_redis())
    except Exception as exc:
        log.warning("could not read the workers' machines: %s", exc)
        return False
    if len(set(recorded.values())) < needed:
        return False  # the workers ever recorded cannot make it: no ping (every single-machine deployment)
    names = live_workers(timeout=SHARE_PING_SECONDS, limit=len(recorded))
    if not names:
        return False
    try:
        return distinct_machines(_broker_redis(), names) >= needed
    except Exception as exc:
        log.warning("could not read the workers' machines: %s", exc)
        return False


def _chunk_progress(run: JobRun, n_chunks: int):
    """A progress callback that reports the mean fraction over all chunks (kept in a Redis hash)."""
    client = _broker_redis()
    key = f"awd:chunks:{run.job_id}:{run.attempt}"

    def progress(stage: str, fraction: float, message: str = "") -> None:
        try:
            client.hset(key, str(run.chunk), float(fraction))
            client.expire(key, 7 * 24 * 3600)
            mean = sum(float(v) for v in client.hvals(key)) / n_chunks
        except Exception:
            mean = fraction / n_chunks
        run.progress(stage, mean, message)

    return progress
