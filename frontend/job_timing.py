"""A job's time on its page: how long it took, and how long each stage took.

Pure functions of a ``GET /api/jobs/{id}`` answer (``started``, ``finished``, ``stage``, ``stage_seconds``); the job
page (``frontend/pages/job.py``) draws what they return.
"""

from __future__ import annotations

import datetime as dt

from awd_studio.frontend.durations import format_seconds

__all__ = ["STAGES", "STAGE_OF", "display_stage", "stage_rows", "took_words"]

#: The stages a job's page lists, in the order they run, with their words (the pipeline's progress stages,
#: ``models.pipeline.progress.STAGE_SPANS``, and ``bench/end_to_end.py``'s).
STAGES = {"data": "Reading the data", "teacher": "Training the teacher", "distill": "Distilling the wavelets",
          "select": "Choosing the wavelet", "students": "Fitting the students and drawing"}

#: The stages the worker reports that the page counts in another: the claim's ``starting`` in the data's, the
#: scattering student and the bundle's writing (``done``) in the students' (they share its part of the progress
#: bar).
STAGE_OF = {"starting": "data", "scattering": "students", "done": "students"}


def display_stage(stage: str | None) -> str | None:
    """The listed stage a reported one counts in (:data:`STAGE_OF`); any other as it is.

    Examples
    --------
    >>> display_stage("scattering"), display_stage("distill"), display_stage(None)
    ('students', 'distill', None)
    """
    return STAGE_OF.get(stage, stage) if stage else None


def _folded(stage_seconds: dict | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for stage, seconds in (stage_seconds or {}).items():
        key = display_stage(stage)
        out[key] = out.get(key, 0.0) + float(seconds or 0.0)
    return out


def stage_rows(job: dict) -> list[dict]:
    """The stages of a job as its page lists them.

    Parameters
    ----------
    job : dict
        A ``GET /api/jobs/{id}`` answer.

    Returns
    -------
    list of dict
        One per stage of :data:`STAGES` the job reached (and, while it runs, those still to come), in their order:
        ``stage``, ``words``, ``seconds`` (float or None: still to come) and ``state``, one of ``"done"``,
        ``"running"`` (the stage running now; its seconds so far), ``"to come"`` or ``"ended here"`` (where a
        failed or cancelled job stopped). Empty for a queued job, and for a job run before stage times were kept
        (``stage_seconds`` null).

    Examples
    --------
    >>> running = {"state": "running", "stage": "distill",
    ...            "stage_seconds": {"starting": 0.5, "data": 1.0, "teacher": 20.0, "distill": 4.0}}
    >>> [(r["stage"], r["seconds"], r["state"]) for r in stage_rows(running)]
    [('data', 1.5, 'done'), ('teacher', 20.0, 'done'), ('distill', 4.0, 'running'), ('select', None, 'to come'), \
('students', None, 'to come')]
    >>> done = {"state": "succeeded", "stage": "done", "stage_seconds": {"data": 1.0, "teacher": 20.0,
    ...         "distill": 30.0, "select": 2.0, "students": 3.0, "scattering": 5.0, "done": 0.1}}
    >>> [(r["stage"], r["seconds"]) for r in stage_rows(done)][-1]
    ('students', 8.1)
    >>> [r["state"] for r in stage_rows({"state": "failed", "stage": "failed",
    ...                                  "stage_seconds": {"data": 1.0, "teacher": 2.0}})]
    ['done', 'ended here']
    """
    seconds = _folded(job.get("stage_seconds"))
    if not seconds:
        return []
    state = job.get("state")
    current = display_stage(job.get("stage")) if state == "running" else None
    last = list(seconds)[-1]
    rows = []
    for stage, words in STAGES.items():
        if stage in seconds:
            row_state = ("running" if stage == current else
                         "ended here" if state in ("failed", "cancelled") and stage == last else "done")
            rows.append({"stage": stage, "words": words, "seconds": seconds[stage], "state": row_state})
        elif state == "running":
            rows.append({"stage": stage, "words": words, "seconds": None, "state": "to come"})
    return rows


def _time(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


#: How the line of an ended job begins, by its state.
TOOK_WORDS = {"succeeded": "Took", "failed": "Failed after", "cancelled": "Cancelled after"}


def took_words(job: dict) -> str | None:
    """The wall time of an ended job, from its start (a worker's claim) to its end: ``"Took 47 s"``, ``"Failed after
    12 s"``; None while it runs, and for a job that never started (cancelled in the queue).

    Examples
    --------
    >>> took_words({"state": "succeeded", "started": "2026-01-01T10:00:00Z", "finished": "2026-01-01T10:00:47Z"})
    'Took 47 s'
    >>> took_words({"state": "cancelled", "started": None, "finished": "2026-01-01T10:00:47Z"}) is None
    True
    """
    start, end = _time(job.get("started")), _time(job.get("finished"))
    if job.get("state") not in TOOK_WORDS or start is None or end is None:
        return None
    return f"{TOOK_WORDS[job['state']]} {format_seconds(max((end - start).total_seconds(), 0.0))}"
