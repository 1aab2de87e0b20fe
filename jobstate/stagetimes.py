"""How long each stage of a job took: the stage marks a worker writes on the job row, and the seconds they give.

A worker reports ``progress(stage, fraction, message)`` many times a stage; at each change of stage it appends
``[stage, ISO time]`` to the job's ``stage_marks`` (``jobstate.crud.set_progress``). A stage may come back (the
students' step, the scattering student, the students' figures): its seconds add up. The claim starts the list
with ``starting``; the last stage runs until the job ended (or until now, while it runs).
"""

from __future__ import annotations

import datetime as dt

__all__ = ["add_mark", "stage_seconds"]


def add_mark(marks: list | None, stage: str, at: dt.datetime) -> list | None:
    """``marks`` with ``[stage, at]`` appended when ``stage`` is not the stage of the last mark, else None (nothing
    to write: the chunks of a grid each report ``distill``, which the first of them marked).

    Parameters
    ----------
    marks : list of [str, str] or None
        The job's stage marks so far.
    stage : str
        The stage just reported.
    at : datetime.datetime
        When (timezone-aware).

    Returns
    -------
    list or None

    Examples
    --------
    >>> t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    >>> add_mark([["starting", "2026-01-01T00:00:00+00:00"]], "data", t)[-1]
    ['data', '2026-01-01T00:00:00+00:00']
    >>> add_mark([["data", "2026-01-01T00:00:00+00:00"]], "data", t) is None
    True
    """
    marks = list(marks or [])
    if marks and marks[-1][0] == stage:
        return None
    return marks + [[str(stage), at.isoformat()]]


def stage_seconds(marks: list | None, end: dt.datetime) -> dict[str, float]:
    """Seconds spent in each stage, in the order the stages first ran; a stage that came back sums its spans.

    Parameters
    ----------
    marks : list of [str, str] or None
        The job's stage marks (:func:`add_mark`).
    end : datetime.datetime
        When the last stage ended: the job's end, or now while it runs.

    Returns
    -------
    dict of str to float
        Empty without marks.

    Examples
    --------
    >>> marks = [["starting", "2026-01-01T00:00:00+00:00"], ["data", "2026-01-01T00:00:01+00:00"],
    ...          ["students", "2026-01-01T00:00:05+00:00"], ["scattering", "2026-01-01T00:00:07+00:00"],
    ...          ["students", "2026-01-01T00:00:10+00:00"]]
    >>> stage_seconds(marks, dt.datetime(2026, 1, 1, 0, 0, 11, tzinfo=dt.timezone.utc))
    {'starting': 1.0, 'data': 4.0, 'students': 3.0, 'scattering': 3.0}
    """
    out: dict[str, float] = {}
    times = [(stage, dt.datetime.fromisoformat(at)) for stage, at in marks or []]
    for (stage, start), (_next, stop) in zip(times, times[1:] + [(None, end)]):
        out[stage] = out.get(stage, 0.0) + max((stop - start).total_seconds(), 0.0)
    return out
