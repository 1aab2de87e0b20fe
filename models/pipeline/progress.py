"""A job's progress as one number: where each stage of the pipeline sits between 0 and 1.

The pipeline reports ``progress(stage, fraction, message)`` with the fraction of that stage done;
:func:`job_fraction` turns it into the fraction of the whole job, for the worker's progress bar and the CLI's.
The spans follow where a default job spends its time (teacher training and distillation take most of it).
"""

from __future__ import annotations

__all__ = ["STAGE_SPANS", "job_fraction"]

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


def job_fraction(stage: str, fraction: float) -> float | None:
    """The fraction of the whole job done when ``stage`` is ``fraction`` done.

    Parameters
    ----------
    stage : str
        A key of :data:`STAGE_SPANS`.
    fraction : float
        The stage's own fraction done, clipped to [0, 1].

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
    if stage not in STAGE_SPANS:
        return None
    lo, hi = STAGE_SPANS[stage]
    return lo + (hi - lo) * min(max(float(fraction), 0.0), 1.0)
