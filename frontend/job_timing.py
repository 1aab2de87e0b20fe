"""A job's time on its page: how long it took, how long each stage took, and the time left while it runs.

Pure functions of a ``GET /api/jobs/{id}`` answer (``started``, ``finished``, ``stage``, ``stage_seconds``,
``eta_seconds``); the job page (``frontend/pages/job.py``) draws what they return.
"""

from __future__ import annotations

import datetime as dt

from awd_studio.frontend.durations import STAGE_HEADINGS, format_seconds

__all__ = ["STAGES", "STAGE_HEADINGS", "UPLOADED_TEACHER_HEADING", "STAGE_OF", "display_stage", "stage_heading",
           "stage_rows", "took_words", "shown_time_left", "OVER_ESTIMATE", "REVISION_SECONDS", "REVISION_SHARE"]

#: The teacher stage's headline for a job with uploaded weights (``teacher_id``): they are loaded and scored on the
#: test split, not trained (review 39A: "Training the teacher 9 s" for weights the user brought).
UPLOADED_TEACHER_HEADING = "Loading the teacher"

#: The stages a job's page lists, in the order they run (the pipeline's progress stages,
#: ``models.pipeline.progress.STAGE_SPANS``, and ``bench/end_to_end.py``'s).
STAGES = ("data", "teacher", "distill", "select", "students")

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


def stage_heading(stage: str | None, job: dict | None = None) -> str | None:
    """The headline of a stage a job reports (:data:`STAGE_HEADINGS`; a key not listed as it is): the teacher's
    stage of a job with uploaded weights (``teacher_id``) is :data:`UPLOADED_TEACHER_HEADING`.

    Examples
    --------
    >>> stage_heading("teacher", {"teacher_id": None}), stage_heading("teacher", {"teacher_id": "t1"})
    ('Training the teacher', 'Loading the teacher')
    >>> stage_heading("distill", {"teacher_id": "t1"}), stage_heading("waiting")
    ('Distilling the wavelets', 'waiting')
    """
    if stage == "teacher" and (job or {}).get("teacher_id"):
        return UPLOADED_TEACHER_HEADING
    return STAGE_HEADINGS.get(stage, stage) if stage else stage


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
        ``stage``, ``words``, ``seconds`` (float or None: still to come), ``expected`` (the seconds it was expected
        to take, ``stage_expected``; None when not known or not timed, as the data's) and ``state``, one of
        ``"done"``,
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
    >>> stage_rows({**running, "teacher_id": "t1"})[1]["words"]  # uploaded weights are loaded, not trained
    'Loading the teacher'
    >>> [r["expected"] for r in stage_rows({**running, "stage_expected": {"teacher": 18.0, "distill": 30.0}})]
    [None, 18.0, 30.0, None, None]
    """
    seconds = _folded(job.get("stage_seconds"))
    if not seconds:
        return []
    expected = job.get("stage_expected") or {}
    state = job.get("state")
    current = display_stage(job.get("stage")) if state == "running" else None
    last = list(seconds)[-1]
    rows = []
    for stage in STAGES:
        words = stage_heading(stage, job)
        if stage in seconds:
            row_state = ("running" if stage == current else
                         "ended here" if state in ("failed", "cancelled") and stage == last else "done")
            rows.append({"stage": stage, "words": words, "seconds": seconds[stage], "state": row_state,
                         "expected": expected.get(stage)})
        elif state == "running":
            rows.append({"stage": stage, "words": words, "seconds": None, "state": "to come",
                         "expected": expected.get(stage)})
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


#: What the time left says once its countdown ran out while the stage still runs and the server's figure is within
#: :data:`REVISION_SECONDS` of it (:func:`shown_time_left`).
OVER_ESTIMATE = "a little longer than estimated"

#: Within a stage, a server estimate above the page's countdown by more than this many seconds (or
#: :data:`REVISION_SHARE` of the countdown, whichever is more) is a revision, shown as such: not jitter to hold back.
REVISION_SECONDS = 10.0
#: See :data:`REVISION_SECONDS`.
REVISION_SHARE = 0.25


def shown_time_left(estimate: float | None, stage: str | None, now: float,
                    previous: dict | None = None) -> tuple[str | None, dict | None]:
    """The time left a running job's page shows: counted down within a stage, revised up only in clear steps.

    The server's estimate (``eta_seconds``) follows the pace of the stage running now
    (``models.pipeline.progress.time_left``). While a stage reports little progress (the students' fits, one report
    a grid point), its elapsed time grows and its fraction does not, so the estimate crept up, second after second:
    the job looked as if it went backwards. But the first
    seconds of a stage extrapolate from little progress too, and their figure can be far too low: held as a ceiling,
    it counted down to "2 s" with a minute to go (review 33B). The rule:

    - at the first estimate, and whenever the stage changes, the server's estimate is shown;
    - within a stage, the shown time counts down with the clock: the lower of the server's estimate and the last
      shown time less the seconds since, so that small rises are not shown;
    - a server estimate above that countdown by more than :data:`REVISION_SECONDS` (or :data:`REVISION_SHARE` of
      it) is shown, marked "(revised)", and counted down from there;
    - when the countdown runs out while the stage still runs and the server's figure is within that margin:
      :data:`OVER_ESTIMATE`, not an invented figure;
    - while the server gives no estimate (the first seconds, a worker that sends no word), nothing is shown, and the
      countdown is kept for when it comes back.

    Stages are compared as the page lists them (:func:`display_stage`): the scattering student and the bundle's
    writing count in the students' stage, whose countdown they continue.

    Parameters
    ----------
    estimate : float or None
        ``eta_seconds`` of the latest ``GET /api/jobs/{id}``.
    stage : str or None
        Its ``stage``.
    now : float
        The time now, in seconds (``time.time()``).
    previous : dict or None
        What the last call returned as its memory (None at the first).

    Returns
    -------
    (str or None, dict or None)
        The words to show (None: nothing), and the memory to pass to the next call.

    Examples
    --------
    >>> text, memory = shown_time_left(30.0, "students", now=100.0)
    >>> text
    '30 s'
    >>> shown_time_left(28.0, "students", now=110.0, previous=memory)[0]  # a small rise: the countdown stays
    '20 s'
    >>> shown_time_left(12.0, "scattering", now=110.0, previous=memory)[0]  # lower: shown (the same stage here)
    '12 s'
    >>> shown_time_left(5.0, "students", now=131.0, previous=memory)[0] == OVER_ESTIMATE
    True
    >>> shown_time_left(73.0, "students", now=110.0, previous=memory)[0]  # far above the countdown: a revision
    '1 min 13 s (revised)'
    >>> shown_time_left(50.0, "select", now=120.0, previous={"stage": "distill", "seconds": 5.0, "at": 110.0})[0]
    '50 s'
    """
    key = display_stage(stage)
    if estimate is None:
        return None, previous
    estimate = max(float(estimate), 0.0)
    if not previous or previous.get("stage") != key:
        return format_seconds(estimate), {"stage": key, "seconds": estimate, "at": now}
    countdown = float(previous["seconds"]) - max(now - float(previous["at"]), 0.0)
    if estimate > max(countdown, 0.0) + max(REVISION_SECONDS, REVISION_SHARE * max(countdown, 0.0)):
        return f"{format_seconds(estimate)} (revised)", {"stage": key, "seconds": estimate, "at": now}
    if countdown < 1.0 <= estimate:  # ran out while the stage goes on, the server's figure close to it
        return OVER_ESTIMATE, {"stage": key, "seconds": countdown, "at": now}
    shown = min(estimate, countdown)
    return format_seconds(shown), {"stage": key, "seconds": shown, "at": now}
