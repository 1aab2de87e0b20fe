"""A job's progress as one number: where each stage of the pipeline sits between 0 and 1.

The pipeline reports ``progress(stage, fraction, message)`` with the fraction of that stage done;
:func:`job_fraction` turns it into the fraction of the whole job, for the worker's progress bar and the CLI's.
:data:`STAGE_SPANS` follows where a default job spends its time (teacher training and distillation take most of
it); :func:`stage_spans` fits the spans to one job, from the seconds the run-time estimate gives each stage
(:func:`models.estimate.stage_seconds`), so that a job whose teacher takes half its time spends half its bar there.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["STAGE_SPANS", "TIMED_STAGES", "job_fraction", "stage_spans"]

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
