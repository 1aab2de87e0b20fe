"""``/api/jobs``: submit (idempotent), list, get with live progress, cancel, rerun, delete, share."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import time

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Response, status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from awd_studio.backend.deps import (
    JobDep,
    PathsDep,
    SessionDep,
    SettingsDep,
    is_uuid,
    require_owner,
    unknown_dataset_detail,
)
from awd_studio.backend.schemas import (
    DATABASE_BUSY,
    OWNER_ERRORS,
    JobCreate,
    JobEstimate,
    JobPublic,
    JobsPublic,
    JobState,
    JobSummaryPublic,
    LossPointPublic,
    Problem,
    ShareCreate,
    ShareCreated,
    SharePublic,
    SharesPublic,
)
from awd_studio.jobstate import crud
from awd_studio.jobstate.db import ACTIVE_STATES, Dataset, Job, Teacher, utcnow
from awd_studio.jobstate.dispatch import ORPHAN_GRACE_SECONDS, enqueue_job, revoke_task, worker_count
from awd_studio.jobstate.estimates import calibrated_estimate
from awd_studio.jobstate.jobconfig import job_config, stored_options
from awd_studio.jobstate.stagetimes import stage_seconds
from awd_studio.jobstate.storage import remove_tree
from awd_studio.jobstate.summary import grid_size, summarize_result
from awd_studio.models.cores import available_cores, busy_machine_words, job_threads
from awd_studio.models.data.dataset import split_sizes
from awd_studio.models.device import resolve_device
from awd_studio.models.options import TEACHER_ARCHITECTURES, PipelineConfig
from awd_studio.models.pipeline.config import check_target_column, resolve_config, target_index
from awd_studio.models.pipeline.progress import time_left as progress_time_left
from awd_studio.models.pipeline.trust import few_samples_words
from awd_studio.models.teachers.inference import teacher_output_for

__all__ = ["router", "job_public", "job_detail", "build_config"]

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(require_owner)],
                   responses={**OWNER_ERRORS, **DATABASE_BUSY})


#: Shown on a queued job (and on submission) while no worker answers.
NO_WORKER_NOTICE = ("no worker is running: this job will wait until one starts (restart `awd serve`, or run "
                    "`awd worker` with REDIS_URL set)")

#: Seconds after the web process started during which a silent worker is said to be starting: ``awd serve`` starts
#: its worker beside the web process, and the worker answers pings a few seconds after the web does.
WORKER_START_GRACE_SECONDS = 30.0
#: How an ended job's state reads after "job has already": "job has already been cancelled; nothing to cancel".
ENDED_WORDS = {"succeeded": "succeeded", "failed": "failed", "cancelled": "been cancelled"}

_STARTED = time.monotonic()  # this web process's start (its routes are imported once, at start)


def no_worker_notice(uptime_seconds: float) -> str:
    """What a queued job's page says while no worker answers: in the first :data:`WORKER_START_GRACE_SECONDS` of the
    web process, that the worker is still starting (review 18: right after a restart the page told the user, for
    about 5 s, to restart ``awd serve``, which they had just done); later, :data:`NO_WORKER_NOTICE`."""
    if uptime_seconds < WORKER_START_GRACE_SECONDS:
        return (f"waiting for a worker: AWD Studio started {uptime_seconds:.0f} s ago and its worker is still "
                "starting; the job runs as soon as it answers")
    return NO_WORKER_NOTICE


def queued_notice(job: Job) -> str | None:
    """:func:`no_worker_notice` for a queued job while no worker answers a ping (cached 5 s; a request never waits
    for another's ping), else None."""
    if job.state == "queued" and worker_count(wait=False) == 0:
        return no_worker_notice(time.monotonic() - _STARTED)
    return None


def silent_seconds(job: Job, now: dt.datetime | None = None) -> float | None:
    """Seconds since a running job's worker last wrote its heartbeat, when longer than
    :data:`~jobstate.dispatch.ORPHAN_GRACE_SECONDS` (two missed beats); None otherwise."""
    if job.state != "running" or job.heartbeat is None:
        return None
    silent = ((now or utcnow()) - job.heartbeat).total_seconds()
    return silent if silent > ORPHAN_GRACE_SECONDS else None


def job_notice(job: Job, silent: float | None = None) -> str | None:
    """A warning for the job's page: no worker for a queued job, or no word from a running job's worker for
    ``silent`` seconds (:func:`silent_seconds`; review 17: after a worker was killed, the page showed "running"
    and a growing time left for 15-25 s, saying nothing)."""
    if silent is not None:
        return (f"no word from its worker for {silent:.0f} s: if the worker was lost, the job goes back in the "
                "queue within a minute and runs again from the start (its progress here is the last it sent)")
    return queued_notice(job)


def job_labels(session, jobs: list[Job]) -> dict[str, dict]:
    """Dataset name and kind, target column and teacher label of each job, by job id, in one query per table.

    An uploaded teacher reads ``uploaded: <name> (<arch>)``; a built-in one its architecture (``auto`` until the
    job has run, then the architecture it trained, from the job's summary).
    """
    dataset_ids = {j.dataset_id for j in jobs if j.dataset_id}
    teacher_ids = {j.teacher_id for j in jobs if j.teacher_id}
    datasets = {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(dataset_ids)))} \
        if dataset_ids else {}
    teachers = {t.id: t for t in session.scalars(select(Teacher).where(Teacher.id.in_(teacher_ids)))} \
        if teacher_ids else {}
    out = {}
    for job in jobs:
        dataset = datasets.get(job.dataset_id)
        teacher = teachers.get(job.teacher_id)
        arch = (job.summary or {}).get("teacher") or (job.config or {}).get("teacher")
        if job.teacher_id:  # a deleted teacher by the architecture its weights had (the summary names it "uploaded")
            arch = (f"uploaded: {teacher.name} ({teacher.arch_label})" if teacher
                    else f"uploaded ({(job.config or {}).get('teacher') or '?'}, deleted)")
        out[job.id] = {"dataset_name": dataset.name if dataset else None,
                       "kind": dataset.kind if dataset else None, "teacher_name": arch,
                       "target_name": _target_name(dataset, job.config or {})}
    return out


def _target_name(dataset, config: dict) -> str | None:
    """The column a job predicts, by name, when its dataset has several targets (None for one, or when gone)."""
    names = ((dataset.summary or {}).get("target_names") or []) if dataset else []
    index = config.get("target") or 0
    return str(names[index]) if len(names) > 1 and isinstance(index, int) and 0 <= index < len(names) else None


def fill_summary(session, job: Job, paths) -> None:
    """Store the result summary of a succeeded job that finished before summaries were kept (read once)."""
    if job.state == "succeeded" and job.summary is None and job.result_dir and paths is not None:
        crud.set_job_summary(session, job=job, summary=summarize_result(paths.root / job.result_dir) or {})


#: A running job's time left is extrapolated from its elapsed time and fraction done only after this many seconds:
#: 0.15 s into a CME job at 5 % it read 2.95 s left, against an estimate of 50 s (review 24A).
ETA_AFTER_SECONDS = 5.0


def queue_counts(session, before: dt.datetime | None = None) -> tuple[int, int]:
    """``(queued, running)``: the jobs queued now (only those created before ``before`` when given: the ones the
    workers take first) and the jobs running now."""
    queued = select(func.count()).select_from(Job).where(Job.state == "queued")
    if before is not None:
        queued = queued.where(Job.created < before)
    running = select(func.count()).select_from(Job).where(Job.state == "running")
    return int(session.scalar(queued) or 0), int(session.scalar(running) or 0)


def time_left(job: Job) -> float | None:
    """A running job's seconds left; None while its worker sends no word, and for a job not running.

    Stage by stage (:func:`models.pipeline.progress.time_left`) once its worker wrote what each stage was expected
    to take (``stage_expected``): the stage running now at its own pace, those to come at the pace so far.
    Otherwise (the first moments of a run, a job the cost model cannot estimate) its elapsed time extrapolated by
    its fraction done: None before :data:`ETA_AFTER_SECONDS` and below 2 % done.
    """
    if job.state != "running" or not job.started or silent_seconds(job) is not None:
        return None
    now = utcnow()
    if job.stage_expected and job.stage_marks and job.stage:
        return progress_time_left(job.stage, job.fraction or 0.0, job.stage_expected,
                                  stage_seconds(job.stage_marks, now))
    if not job.fraction or job.fraction <= 0.02:
        return None
    elapsed = (now - job.started).total_seconds()
    return max(0.0, elapsed * (1.0 - job.fraction) / job.fraction) if elapsed >= ETA_AFTER_SECONDS else None


def first_running_left(session) -> float | None:
    """The least time left (:func:`time_left`) of the jobs running now, when any of them has one (review: a queued
    job's page said what it waited for but not for how long)."""
    lefts = [t for t in map(time_left, session.scalars(select(Job).where(Job.state == "running"))) if t is not None]
    return min(lefts) if lefts else None


def job_public(job: Job, session=None, *, with_losses: bool = False, labels: dict | None = None,
               paths=None, detail: bool = False) -> JobPublic:
    """The API view of a job row, with an ETA from the elapsed time and the fraction done; with a session,
    also its dataset's name, teacher, grid size and result summary (``labels``: :func:`job_labels` of a page of
    jobs, computed here for one job when not given). ``with_losses``: also the loss history; ``detail`` (``GET
    /api/jobs/{id}``): also what the jobs list leaves out, the options as the run resolved them
    (``resolved_config``)."""
    eta = time_left(job)
    silent = silent_seconds(job)
    losses = None
    if with_losses and session is not None:
        losses = [LossPointPublic(chunk=p.chunk, epoch=p.epoch, values=p.values)
                  for p in crud.loss_points(session, job=job)]
    extra = {}
    if session is not None:
        fill_summary(session, job, paths)
        label = (labels or job_labels(session, [job]))[job.id]
        summary = job.summary or {}
        grid = ([summary["n_lambdas"], summary["n_gammas"]] if summary.get("n_lambdas") and summary.get("n_gammas")
                else grid_size(job.config or {}, label["kind"]))
        if job.state == "queued":  # review 27B: a queued job's page said "queued" and nothing of the queue
            extra["queued_ahead"], extra["running"] = queue_counts(session, before=job.created)
            extra["running_left_seconds"] = first_running_left(session) if extra["running"] else None
        extra.update(dataset_name=label["dataset_name"], teacher_name=label["teacher_name"],
                     target_name=label["target_name"],
                     grid=list(grid) if grid else None,
                     summary=JobSummaryPublic(**{k: summary.get(k) for k in JobSummaryPublic.model_fields})
                     if summary.get("metric") else None)
        if detail and job.state == "succeeded":
            extra["resolved_config"] = summary.get("resolved_config")
    if job.stage_marks and job.state != "queued":
        extra["stage_seconds"] = stage_seconds(job.stage_marks, job.finished or utcnow())
    if job.stage_expected and job.state != "queued":
        extra["stage_expected"] = job.stage_expected
    return JobPublic(
        id=job.id, state=job.state, stage=job.stage, message=job.message, fraction=job.fraction or 0.0,
        eta_seconds=eta, error=job.error, dataset_id=job.dataset_id, teacher_id=job.teacher_id,
        config=job.config, attempt=job.attempt, rerun_of=job.rerun_of, created=job.created, started=job.started,
        finished=job.finished, result_url=f"/api/results/{job.id}" if job.state == "succeeded" else None,
        losses=losses, notice=job_notice(job, silent), **extra)


def job_detail(job: Job, session, paths, *, with_losses: bool = True) -> JobPublic:
    """A job as ``GET /api/jobs/{id}`` gives it; ``POST /api/jobs``, ``/rerun`` and ``/cancel`` answer the same
    (review 39B: the 201 body had dataset_name, teacher_name, target_name and grid null, which GET filled)."""
    return job_public(job, session, with_losses=with_losses, paths=paths, detail=True)


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def estimate(config: PipelineConfig, dataset: Dataset, limit_seconds: float, session) -> JobEstimate:
    """The run-time estimate of a job on ``dataset``: the cost model scaled, stage by stage, to how long this
    server's latest finished jobs on data of the same kind took (:func:`jobstate.estimates.calibrated_estimate`)."""
    guess = calibrated_estimate(session, config, dataset)
    n_train, n_test = split_sizes(dataset.n, dataset.n_test, config.test_fraction)
    few = few_samples_words(n_train, n_test, "maps" if dataset.kind == "image" else "series")
    # review 27B: "about 33 s" with three jobs ahead of it, which waited 172 s
    queued, running = queue_counts(session)
    # review 28A: "about 18 s", and 56 s beside other work; only the workers' own machine's load says anything
    busy = (busy_machine_words(os.getloadavg()[0], available_cores(), own_jobs_load(session, job_threads()))
            if os.environ.get(LOCAL_WORKERS_ENV) == "1" and hasattr(os, "getloadavg") else None)
    return JobEstimate(**guess, limit_seconds=limit_seconds, within_limit=guess["seconds"] <= limit_seconds,
                       n_train=n_train, n_test=n_test, few_samples=few, queued=queued, running=running,
                       busy_machine=busy)


#: The time constant of the kernel's 1-minute load average (seconds): it follows the number of busy threads through
#: an exponential filter of this constant.
LOAD_TIME_CONSTANT = 60.0


def own_jobs_load(session, threads: int, now: dt.datetime | None = None) -> float:
    """The part of the 1-minute load average this server's own jobs account for: each job's ``threads`` busy from
    its start to its end (now, while it runs), through the load average's exponential filter. A job that ended
    half a minute ago still holds most of its load (right after one, the machine read as busy with other work),
    and one that started seconds ago little of it."""
    now = now or utcnow()
    recent = now - dt.timedelta(seconds=5 * LOAD_TIME_CONSTANT)
    rows = session.execute(select(Job.started, Job.finished).where(
        Job.started.is_not(None), (Job.finished.is_(None)) | (Job.finished > recent))).all()
    load = 0.0
    for started, finished in rows:
        end = min(finished or now, now)
        ran = max((end - started).total_seconds(), 0.0)
        since = max((now - end).total_seconds(), 0.0)
        load += math.exp(-since / LOAD_TIME_CONSTANT) * (1.0 - math.exp(-ran / LOAD_TIME_CONSTANT))
    return threads * load


def build_config(body: JobCreate, session, paths) -> tuple[PipelineConfig, str | None, Dataset]:
    """The pipeline config of a submission, its uploaded teacher's id and its dataset.

    Raises
    ------
    fastapi.HTTPException
        404 for an unknown dataset, 422 naming the field for anything the pipeline refuses.
    """
    dataset = session.get(Dataset, body.dataset_id) if is_uuid(body.dataset_id) else None
    if dataset is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, unknown_dataset_detail(body.dataset_id))
    options = body.model_dump(exclude={"dataset_id", "rerun_of"})
    options["target"] = _target_column(options["target"], dataset.summary or {})
    row = None
    if options["teacher"] not in ("auto", *TEACHER_ARCHITECTURES):
        row = session.get(Teacher, options["teacher"]) if is_uuid(options["teacher"]) else None
        if row is None:
            raise _unprocessable(f"teacher: {options['teacher']!r} is neither 'auto', one of "
                                 f"{', '.join(TEACHER_ARCHITECTURES)}, nor the id of an uploaded teacher")
        if list(row.input_shape) != list(dataset.shape):
            raise _unprocessable(f"teacher: the uploaded teacher takes samples shaped {row.input_shape} but the "
                                 f"dataset's are {dataset.shape}; upload a teacher for this data")
    try:
        config = job_config(options, row, paths)
        # resolved against the data as the job will resolve it, so that what it refuses is refused here
        resolve_config(config, dataset.kind, tuple(dataset.shape), dataset.n)
        check_target_column(config.target, dataset.summary or {})
        if config.device is not None and os.environ.get(LOCAL_WORKERS_ENV) == "1":
            # the workers run on this machine (awd serve's own): a device it lacks fails the job at once, so it is
            # refused here (review 21: "cuda" was accepted, and the failed job offered a Rerun that would fail too)
            resolve_device(config.device)
        if row is not None:  # uploaded weights: one output, or one per target column (refused here, not at 2 %)
            teacher_output_for(int(row.n_outputs), int((dataset.summary or {}).get("n_targets") or 1), config.target)
    except ValueError as exc:
        raise _unprocessable(str(exc)) from None
    return config, (row.id if row is not None else None), dataset


def _target_column(target, summary: dict) -> int:
    """The column number of a job's ``target``, a number or a name among the dataset's target names
    (:func:`models.pipeline.config.target_index`; review 31A: the API took only a number, while
    ``awd distill --target sigma_8`` takes the name); 422 naming the columns for a name the dataset lacks."""
    index = target_index(target, summary.get("target_names"))
    if index is not None:
        return index
    names = [str(n) for n in summary.get("target_names") or []]
    columns = ", ".join(f"{i} ({n})" for i, n in enumerate(names)) or "0"
    raise _unprocessable(f"target: {target!r} is not a target column of this dataset; pass a column's number or "
                         f"name: {columns}")


#: Set to "1" by ``awd serve`` when it starts its own workers: they share this process's machine and devices.
LOCAL_WORKERS_ENV = "AWD_LOCAL_WORKERS"


def _check_time(config: PipelineConfig, dataset: Dataset, settings, session) -> None:
    """422 when the estimated run time exceeds ``AWD_JOB_TIME_LIMIT`` (the job would be stopped anyway)."""
    guess = estimate(config, dataset, settings.job_time_limit, session)
    if not guess.within_limit:
        raise _unprocessable(
            f"epochs x grid points: the estimated run time ({guess.seconds / 60:.0f} min for {guess.grid_points} "
            f"grid points x {guess.epochs} epochs{_calibration_words(guess)}) exceeds the job time limit "
            "AWD_JOB_TIME_LIMIT="
            f"{settings.job_time_limit} s; use fewer epochs or grid points, or ask the administrator to raise "
            "the limit")


def _calibration_words(guess: JobEstimate) -> str:
    if not guess.calibration_jobs:
        return ""
    return (f", scaled by {guess.calibration_factor:.2g} from this server's latest {guess.calibration_jobs} "
            "finished jobs")


def _made_with_key(session, key: str | None, request_hash: str) -> Job | None:
    """The job an earlier request with this ``Idempotency-Key`` made (None without a key, or for a new one); 422
    when that request was another (its ``request_hash`` differs)."""
    existing = crud.find_job_by_key(session, idempotency_key=key) if key else None
    if existing is not None and existing.request_hash != request_hash:
        raise _unprocessable("Idempotency-Key: this key was used for a different request; use a new key for a new "
                             "job")
    return existing


def _submit(session, response: Response, *, dataset_id, config, teacher_id, key=None, request_hash=None,
            rerun_of=None) -> Job:
    """Create and queue a job; when a concurrent request with the same ``Idempotency-Key`` won the race, that
    request's job, with status 200."""
    try:
        job = crud.create_job(session, dataset_id=dataset_id, teacher_id=teacher_id, config=config,
                              idempotency_key=key, request_hash=request_hash, rerun_of=rerun_of)
    except IntegrityError:
        session.rollback()
        response.status_code = status.HTTP_200_OK
        return crud.find_job_by_key(session, idempotency_key=key)
    enqueue_job(session, job.id)  # after the commit; on failure the recovery loop sends it
    session.refresh(job)
    return job


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobPublic,
             responses={200: {"model": JobPublic, "description": "the job already made with this key"},
                        404: {"model": Problem, "description": "no such dataset or uploaded teacher"},
                        422: {"model": Problem, "description": "an unknown option, a value out of its range (the "
                                                               "detail names the field and the bound), options "
                                                               "the data do not take, or an Idempotency-Key "
                                                               "reused with another body"}})
def submit_job(body: JobCreate, session: SessionDep, paths: PathsDep, settings: SettingsDep, response: Response,
               idempotency_key: str | None = Header(default=None, max_length=200)):
    """Submit a distillation job. Repeating a request with the same ``Idempotency-Key`` header returns the
    job it created (200) instead of making a second one."""
    request_hash = hashlib.sha256(json.dumps(body.model_dump(), sort_keys=True).encode()).hexdigest()
    existing = _made_with_key(session, idempotency_key, request_hash)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return job_detail(existing, session, paths)
    config, teacher_id, dataset = build_config(body, session, paths)
    if body.rerun_of is not None and (not is_uuid(body.rerun_of) or session.get(Job, body.rerun_of) is None):
        raise _unprocessable(f"rerun_of: no job {body.rerun_of!r} (it may have been deleted); leave it out")
    _check_time(config, dataset, settings, session)
    return job_detail(_submit(session, response, dataset_id=body.dataset_id, config=stored_options(config),
                              teacher_id=teacher_id, key=idempotency_key, request_hash=request_hash,
                              rerun_of=body.rerun_of), session, paths)


@router.post("/estimate", response_model=JobEstimate, responses={404: {"model": Problem}, 422: {"model": Problem}})
def estimate_run_time(body: JobCreate, session: SessionDep, paths: PathsDep, settings: SettingsDep):
    """The estimated run time of this job on this server's CPU, and whether it fits the job time limit
    (nothing is submitted)."""
    config, _teacher_id, dataset = build_config(body, session, paths)
    return estimate(config, dataset, settings.job_time_limit, session)


@router.get("", response_model=JobsPublic)
def list_jobs(session: SessionDep, paths: PathsDep, state: JobState | None = None,
              limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=2**31 - 1)):
    """Jobs, newest first (without loss histories), each with its dataset's name, teacher, grid size and, once
    it succeeded, its result summary (stored on the job: the list never opens a result bundle)."""
    rows, count = crud.list_jobs(session, state=state, limit=limit, offset=offset)
    for row in rows:
        fill_summary(session, row, paths)
    labels = job_labels(session, rows)
    return JobsPublic(data=[job_public(r, session, labels=labels, paths=paths) for r in rows], count=count)


@router.get("/{job_id}", response_model=JobPublic, responses={404: {"model": Problem}})
def get_job(job: JobDep, session: SessionDep, paths: PathsDep,
            losses: bool = Query(True, description="false leaves out the loss history (a script polling a long job "
                                                   "moves less; review 31A)")):
    """State, stage, fraction, ETA, error and the loss history of the current attempt (``?losses=false``: without
    it)."""
    return job_detail(job, session, paths, with_losses=losses)


@router.post("/{job_id}/cancel", response_model=JobPublic,
             responses={404: {"model": Problem}, 409: {"model": Problem}})
def cancel_job(job: JobDep, session: SessionDep, paths: PathsDep):
    """Cancel a queued or running job. A running one stops at its worker's next check, and the worker takes the next
    job: checks come every 2 s of a teacher's training, after each chunk of the start search and each distillation
    epoch, and in the final stage after each candidate's cross-validation, each control wavelet, each student and
    every 2 s of the scattering student's training (at most 5.5 s apart in the lensing example's final stage on 2
    cores)."""
    task_id, was_queued = job.task_id, job.state == "queued"
    if not crud.cancel_job(session, job_id=job.id):
        raise HTTPException(status.HTTP_409_CONFLICT, f"job has already {ENDED_WORDS.get(job.state, job.state)}; "
                                                      "nothing to cancel")
    if was_queued:
        revoke_task(task_id)
    session.refresh(job)
    return job_detail(job, session, paths)


@router.post("/{job_id}/rerun", status_code=status.HTTP_201_CREATED, response_model=JobPublic,
             responses={200: {"model": JobPublic, "description": "the rerun already made with this key"},
                        404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def rerun_job(job: JobDep, session: SessionDep, paths: PathsDep, response: Response,
              idempotency_key: str | None = Header(default=None, max_length=200)):
    """Submit a new job with the same dataset, teacher and options, once this one has ended (409 while it is queued
    or running: a second copy would only compete with it for the workers). As for ``POST /api/jobs``, repeating
    the request with the same ``Idempotency-Key`` header returns the job it made (200), not a second one."""
    request_hash = hashlib.sha256(f"rerun:{job.id}".encode()).hexdigest()
    existing = _made_with_key(session, idempotency_key, request_hash)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return job_detail(existing, session, paths)
    if job.state in ACTIVE_STATES:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job is {job.state}; rerun it once it has ended, or cancel it")
    if job.dataset_id is None or session.get(Dataset, job.dataset_id) is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the dataset of this job was deleted; upload it again")
    if job.teacher_id and session.get(Teacher, job.teacher_id) is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the uploaded teacher of this job was deleted; upload its "
                            "weights again (configure page, Teacher) and start a new run")
    return job_detail(_submit(session, response, dataset_id=job.dataset_id, config=dict(job.config),
                              teacher_id=job.teacher_id, key=idempotency_key, request_hash=request_hash,
                              rerun_of=job.id), session, paths)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"model": Problem}, 409: {"model": Problem}})
def delete_job(job: JobDep, session: SessionDep, paths: PathsDep):
    """Delete a finished job, its result files and its share links (409 while queued or running)."""
    if job.state in ACTIVE_STATES:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job is {job.state}; cancel it first")
    job_id = job.id
    crud.delete_job(session, job=job)
    remove_tree(paths.job_dir(job_id))


@router.post("/{job_id}/share", status_code=status.HTTP_201_CREATED, response_model=ShareCreated,
             responses={404: {"model": Problem}, 409: {"model": Problem}})
def share_job(job: JobDep, session: SessionDep, options: ShareCreate | None = Body(default=None)):
    """Create a read-only link to this job's result. The token is shown once; only its hash is stored."""
    if job.state != "succeeded":
        raise HTTPException(status.HTTP_409_CONFLICT, f"job is {job.state}; share it once it has succeeded")
    options = options or ShareCreate()
    expires = None
    if options.expires_in_hours is not None:
        expires = utcnow() + dt.timedelta(hours=options.expires_in_hours)
    row, token = crud.create_share(session, job_id=job.id, expires=expires, label=options.label)
    return ShareCreated(id=row.id, job_id=row.job_id, label=row.label, created=row.created, expires=row.expires,
                        revoked=row.revoked, token=token, url=f"/results/{token}")


@router.get("/{job_id}/shares", response_model=SharesPublic, responses={404: {"model": Problem}})
def list_job_shares(job: JobDep, session: SessionDep):
    """The share links of a job (without tokens)."""
    rows = crud.list_shares(session, job_id=job.id)
    return SharesPublic(data=[SharePublic.model_validate(r) for r in rows], count=len(rows))
