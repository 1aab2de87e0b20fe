"""How long a job will take on this server: the cost model calibrated, stage by stage, to this server's finished jobs.

:mod:`models.estimate` holds the cost model (constants measured on the lab's machines) and the pure calibration
functions; this module reads the finished jobs they need from the database. The API shows and checks the result
(``POST /api/jobs/estimate``, the job time limit); the worker sizes the stages of a job's progress bar by it.
"""

from __future__ import annotations

from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Dataset, Job
from awd_studio.models.estimate import CALIBRATION_JOBS, CALIBRATION_MIN_JOBS, estimate_job, stage_calibration
from awd_studio.models.options import PipelineConfig

__all__ = ["calibrate", "calibrated_estimate", "measured_parts", "stage_factors", "stored_estimate", "SIMILAR_SIZE"]

#: Finished jobs the cost model estimated within this factor of a new job's estimate calibrate it, when there are
#: enough of them (:data:`models.estimate.CALIBRATION_MIN_JOBS`); otherwise all of them do. A job's fixed costs
#: (starting, reading data, writing the bundle) weigh more in a short one: after ten 3-epoch jobs, a 2000-epoch
#: job was estimated at 94.7 s and took 22-27 s (review 17).
SIMILAR_SIZE = 4.0


def stored_estimate(job: Job, dataset: Dataset) -> dict:
    """The cost model's estimate of a stored job on its dataset (:func:`models.estimate.estimate_job`; an uploaded
    teacher is not trained).

    Raises
    ------
    ValueError
        For options stored by another version.
    """
    config = PipelineConfig.from_dict(job.config)
    return estimate_job(config, dataset.kind, tuple(dataset.shape), dataset.n, trains_teacher=job.teacher_id is None)


def measured_parts(job: Job) -> dict:
    """What a finished job took, in seconds: ``total`` (claim to finish), ``prepare`` and ``finalize`` (from its
    stored summary, :func:`jobstate.summary.summarize_result`; None for jobs that finished before they were kept)."""
    summary = job.summary or {}
    return {"total": (job.finished - job.started).total_seconds(), "prepare": summary.get("prepare_seconds"),
            "finalize": summary.get("finalize_seconds")}


def stage_factors(session, kind: str, near: float | None = None) -> tuple[dict, int]:
    """Per-stage factors that scale the cost model to this server, from its latest
    :data:`models.estimate.CALIBRATION_JOBS` succeeded jobs on data of ``kind``
    (:func:`models.estimate.stage_calibration`), and the number of jobs the whole job's factor comes from.
    ``near``: the cost model's seconds of the job to estimate; the jobs estimated within :data:`SIMILAR_SIZE` of it
    are used when there are enough of them."""
    jobs = []
    for job, dataset in crud.latest_succeeded_jobs(session, kind=kind, limit=CALIBRATION_JOBS):
        try:
            stages = stored_estimate(job, dataset)["stages"]
        except ValueError:  # options stored by another version: not comparable
            continue
        jobs.append((measured_parts(job), stages))
    if near is not None and near > 0:
        similar = [(m, st) for m, st in jobs if 1 / SIMILAR_SIZE <= sum(st.values()) / near <= SIMILAR_SIZE]
        if len(similar) >= CALIBRATION_MIN_JOBS:
            jobs = similar
    return stage_calibration(jobs)


def calibrate(session, guess: dict, kind: str) -> dict:
    """An estimate of :func:`models.estimate.estimate_job` scaled to this server, stage by stage.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    guess : dict
        The cost model's estimate (:func:`models.estimate.estimate_job`, :func:`stored_estimate`).
    kind : {"timeseries", "image"}
        The data's kind: the jobs on such data calibrate it, those of about its size first (:func:`stage_factors`).

    Returns
    -------
    dict
        ``guess`` with ``seconds`` and ``stages`` calibrated, and ``model_seconds`` (the cost model's),
        ``stage_factors`` (:func:`stage_factors`), ``calibration_factor`` (calibrated over the cost model's seconds)
        and ``calibration_jobs``.
    """
    factors, n_jobs = stage_factors(session, kind, near=guess["seconds"])
    stages = {stage: seconds * factors.get(stage, 1.0) for stage, seconds in guess["stages"].items()}
    seconds = float(sum(stages.values()))
    return {**guess, "seconds": seconds, "stages": stages, "model_seconds": guess["seconds"],
            "stage_factors": factors, "calibration_jobs": n_jobs,
            "calibration_factor": seconds / guess["seconds"] if guess["seconds"] > 0 else 1.0}


def calibrated_estimate(session, config: PipelineConfig, dataset: Dataset) -> dict:
    """The run-time estimate on this server of a job with options ``config`` on ``dataset`` (:func:`calibrate`)."""
    return calibrate(session, estimate_job(config, dataset.kind, tuple(dataset.shape), dataset.n), dataset.kind)
