"""A job's progress as one number: where each stage of the pipeline sits between 0 and 1.

The pipeline reports ``progress(stage, fraction, message)`` with the fraction of that stage done;
:func:`job_fraction` turns it into the fraction of the whole job, for the worker's progress bar and the CLI's.
:data:`STAGE_SPANS` follows where a default job spends its time (teacher training and distillation take most of
it); :func:`stage_spans` fits the spans to one job, from the seconds the run-time estimate gives each stage
(:func:`models.estimate.stage_seconds`), so that a job whose teacher takes half its time spends half its bar there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["STAGE_SPANS", "TIMED_STAGES", "PACE_STAGE_OF", "MIN_PACE_SECONDS", "ESTIMATE_WEIGHT", "OWN_PACE_WEIGHT",
           "job_fraction", "stage_spans", "time_left", "StageClock"]

#: Each stage's part of a whole job, in the order the stages run. The scattering student (when asked for) runs
#: between the students' two steps and shares their span.
STAGE_SPANS = {
    "data": (0.0, 0.02),
    "teacher": (0.02, 0.30),
    "distill": (0.30, 0.85),
    "select": (0.85, 0.95),
    "students": (0.95, 0.99),
    "scattering": (0.95, 0.99),
    "done": (0.99, 1.0),
}

#: The stages whose spans :func:`stage_spans` sizes by their estimated seconds, in the order they run; ``data``
#: and ``done`` keep their spans of :data:`STAGE_SPANS`.
TIMED_STAGES = ("teacher", "distill", "select", "students")


def stage_spans(seconds: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """Spans of the stages in proportion to their expected seconds.

    Parameters
    ----------
    seconds : mapping of str to float
        Expected seconds of the stages in :data:`TIMED_STAGES` (a missing stage counts as 0 s, as a teacher that
        was uploaded and is not trained), e.g. ``estimate_job(...)["stages"]`` (:mod:`models.estimate`).

    Returns
    -------
    dict of str to (float, float)
        The keys of :data:`STAGE_SPANS`. ``data`` and ``done`` keep theirs; the timed stages share the rest in
        proportion to their seconds, and ``scattering`` shares the students' span. :data:`STAGE_SPANS` itself
        when the seconds sum to nothing usable (zero, negative or not finite).

    Examples
    --------
    >>> spans = stage_spans({"teacher": 30.0, "distill": 30.0, "select": 0.0, "students": 0.0})
    >>> spans["teacher"], spans["distill"]
    ((0.02, 0.505), (0.505, 0.99))
    """
    values = [max(float(seconds.get(stage, 0.0)), 0.0) for stage in TIMED_STAGES]
    total = sum(values)
    if not 0.0 < total < float("inf"):
        return dict(STAGE_SPANS)
    start, end = STAGE_SPANS["data"][1], STAGE_SPANS["done"][0]
    spans = {"data": STAGE_SPANS["data"]}
    lo = start
    for stage, value in zip(TIMED_STAGES, values):
        hi = lo + (end - start) * value / total
        spans[stage] = (round(lo, 6), round(hi, 6))
        lo = hi
    spans["students"] = (spans["students"][0], end)  # the sum's rounding never leaves a gap before "done"
    spans["scattering"] = spans["students"]
    spans["done"] = STAGE_SPANS["done"]
    return spans


def job_fraction(stage: str, fraction: float, spans: Mapping[str, tuple[float, float]] | None = None) -> float | None:
    """The fraction of the whole job done when ``stage`` is ``fraction`` done.

    Parameters
    ----------
    stage : str
        A key of :data:`STAGE_SPANS`.
    fraction : float
        The stage's own fraction done, clipped to [0, 1].
    spans : mapping, optional
        The job's spans (:func:`stage_spans`); default :data:`STAGE_SPANS`.

    Returns
    -------
    float or None
        None for a stage the table does not know.

    Examples
    --------
    >>> job_fraction("distill", 0.5)
    0.575
    >>> job_fraction("done", 1.0)
    1.0
    """
    spans = STAGE_SPANS if spans is None else spans
    if stage not in spans:
        return None
    lo, hi = spans[stage]
    return lo + (hi - lo) * min(max(float(fraction), 0.0), 1.0)


#: The stages a job reports that count in another for its pace (:func:`time_left`): the claim's ``starting`` in the
#: data's, the scattering student and the bundle's writing (``done``) in the students' (they share its span).
PACE_STAGE_OF = {"starting": "data", "scattering": "students", "done": "students"}

#: A stage expected to take less than this many seconds says nothing of the job's pace (:func:`time_left`): 0.3 s
#: against 0.1 s expected is noise, not a job three times slower.
MIN_PACE_SECONDS = 1.0

#: What the estimate weighs against the stages measured (:func:`time_left`): as much as a quarter of a finished
#: stage. With more, a whole job slow on a loaded host was followed worse than by extrapolating its elapsed time.
ESTIMATE_WEIGHT = 0.25

#: How fast the stage running now comes to trust its own pace (:func:`time_left`): ``g`` through the stage, its
#: pace weighs ``OWN_PACE_WEIGHT * g / (1 - g)`` against :data:`ESTIMATE_WEIGHT` for the pace of the stages before:
#: 4 : 1 at g = 0.1, 36 : 1 at g = 0.5.
#: Both weights were chosen on simulated jobs (tests/models/test_progress.py: whole jobs slow or fast, one stage
#: slow or fast), where they follow every case better than the extrapolation; they are not fitted to measured runs.
OWN_PACE_WEIGHT = 9.0


def _log_pace(seconds: float, expected: float) -> float | None:
    """log(seconds taken over seconds expected), or None when it says nothing (:data:`MIN_PACE_SECONDS`)."""
    if expected < MIN_PACE_SECONDS or not seconds > 0.0:
        return None
    return math.log(seconds / expected)


def time_left(stage: str, fraction: float, expected: Mapping[str, float], elapsed: Mapping[str, float]) -> float:
    """Seconds a running job has left, stage by stage: the stage running now at its own pace, the stages to come
    at their expected seconds scaled by the pace so far.

    A job's time left used to be its elapsed time extrapolated by its fraction done. Every stage to come then took
    the pace of the stages before: after a teacher three times slower than expected, a distillation on time was
    expected to take three times as long too (review 50B: the time left tripled). But a whole job runs slow on a
    loaded host too. So each stage's pace (seconds taken over seconds expected) is taken, on a log scale, as the
    job's pace plus the stage's own deviation:

    - the job's pace is the mean log pace of the finished stages, with the estimate's (0) counted in at
      :data:`ESTIMATE_WEIGHT`; the stage running now, ``g`` through, counts in that mean with weight ``g``;
    - the stage running now has its own pace, weighed against the job's pace so far by :data:`OWN_PACE_WEIGHT`;
    - its time left is ``(1 - g)`` of its expected seconds at its own pace; each stage to come, its expected
      seconds at the job's pace.

    Parameters
    ----------
    stage : str
        The stage reported now (``"data"``, ``"teacher"``, ..., or one of :data:`PACE_STAGE_OF`).
    fraction : float
        The job's fraction done, in [0, 1], in the spans sized by ``expected`` (:func:`stage_spans`).
    expected : mapping of str to float
        Expected seconds of the stages of :data:`TIMED_STAGES` (the calibrated estimate the worker sized the
        progress bar with).
    elapsed : mapping of str to float
        Seconds spent so far in each stage reported (``jobstate.stagetimes.stage_seconds``).

    Returns
    -------
    float
        Seconds left, at least 0. Before the first timed stage: the expected seconds of all of them.

    Examples
    --------
    >>> expected = {"teacher": 10.0, "distill": 20.0, "select": 3.0, "students": 2.0}
    >>> spans = stage_spans(expected)
    >>> round(time_left("distill", spans["distill"][0], expected, {"data": 1.0, "teacher": 10.0}), 1)  # on time
    25.0
    >>> round(time_left("distill", spans["distill"][0], expected, {"data": 1.0, "teacher": 30.0}), 1)  # 3x slow
    60.2
    >>> mid = sum(spans["distill"]) / 2  # halfway through a distillation on time, after that slow teacher
    >>> round(time_left("distill", mid, expected, {"data": 1.0, "teacher": 30.0, "distill": 10.0}), 1)
    19.6
    """
    stage = PACE_STAGE_OF.get(stage, stage)
    expected = {name: max(float(expected.get(name, 0.0)), 0.0) for name in TIMED_STAGES}
    if stage not in TIMED_STAGES:
        return sum(expected.values())
    now = TIMED_STAGES.index(stage)
    folded: dict[str, float] = {}
    for name, seconds in elapsed.items():
        key = PACE_STAGE_OF.get(name, name)
        folded[key] = folded.get(key, 0.0) + max(float(seconds or 0.0), 0.0)
    finished = [_log_pace(folded.get(name, 0.0), expected[name]) for name in TIMED_STAGES[:now]]
    finished = [pace for pace in finished if pace is not None]
    lo, hi = stage_spans(expected)[stage]
    through = min(max((float(fraction) - lo) / (hi - lo), 0.0), 1.0) if hi > lo else 1.0
    before = sum(finished) / (len(finished) + ESTIMATE_WEIGHT)
    own = _log_pace(folded.get(stage, 0.0) / through, expected[stage]) if through > 0.0 else None
    if own is None:
        pace_now, job_pace = before, before
    elif through >= 1.0:
        pace_now, job_pace = own, (sum(finished) + own) / (len(finished) + 1.0 + ESTIMATE_WEIGHT)
    else:
        weight = OWN_PACE_WEIGHT * through / (1.0 - through)
        pace_now = (weight * own + ESTIMATE_WEIGHT * before) / (weight + ESTIMATE_WEIGHT)
        job_pace = (sum(finished) + through * own) / (len(finished) + through + ESTIMATE_WEIGHT)
    left_now = (1.0 - through) * expected[stage] * math.exp(pace_now)
    to_come = sum(expected[name] for name in TIMED_STAGES[now + 1:]) * math.exp(job_pace)
    return max(left_now + to_come, 0.0)


class StageClock:
    """Seconds spent in each stage of a run, from the times its progress reports come (for :func:`time_left` where
    no stage marks are stored: the command line's progress).

    Parameters
    ----------
    start : float
        When the run began, in seconds (``time.monotonic()``); the time before the first report counts in it.

    Examples
    --------
    >>> clock = StageClock(start=100.0)
    >>> clock.report("data", 100.5)
    {'data': 0.5}
    >>> clock.report("teacher", 101.0)
    {'data': 1.0, 'teacher': 0.0}
    >>> clock.report("teacher", 111.0)
    {'data': 1.0, 'teacher': 10.0}
    """

    def __init__(self, start: float):
        self._stage: str | None = None
        self._since = float(start)
        self._closed: dict[str, float] = {}

    def report(self, stage: str, now: float) -> dict[str, float]:
        """Note a report of ``stage`` at ``now``; the seconds spent in each stage so far, the current one's until
        ``now`` (a stage that comes back adds up)."""
        if stage != self._stage:
            if self._stage is not None:
                self._closed[self._stage] = self._closed.get(self._stage, 0.0) + now - self._since
                self._since = now
            self._stage = stage
        seconds = dict(self._closed)
        seconds[stage] = seconds.get(stage, 0.0) + max(now - self._since, 0.0)
        return seconds
