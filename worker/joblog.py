"""The worker's logging: structured lines (:mod:`jobstate.logs`) with the job id of the running task.

Imported by :mod:`worker.celery_app`. Celery leaves logging to us (``setup_logging`` has a receiver), and
each task of ours runs inside :func:`jobstate.logs.job_context` of its job (its first argument), so every
line the task or the pipeline logs carries ``job_id``.
"""

from __future__ import annotations

import os

from celery.signals import setup_logging, task_postrun, task_prerun

from awd_studio.jobstate.logs import configure_logging, job_context

__all__ = ["JOB_TASKS"]

#: Our tasks: each takes the job id first (and the attempt second, where it has one).
JOB_TASKS = ("worker.tasks.run_job", "worker.tasks.distill_chunk", "worker.tasks.finalize_job")
_OPEN: dict = {}


@setup_logging.connect
def _structured(loglevel=None, **_):
    configure_logging(os.environ.get("AWD_LOG_LEVEL") or loglevel or "INFO")


@task_prerun.connect
def _enter_job(task_id=None, task=None, args=None, **_):
    if task is None or task.name not in JOB_TASKS or not args:
        return
    attempt = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    context = job_context(str(args[0]), attempt)
    context.__enter__()
    _OPEN[task_id] = context


@task_postrun.connect
def _leave_job(task_id=None, **_):
    context = _OPEN.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
