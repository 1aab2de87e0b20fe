"""Durations and run-time estimates in words, for the configure page and the ``awd`` command (imports neither
dash nor torch, so the command can use it)."""

import math

__all__ = ["format_seconds", "stage_words", "STAGE_HEADINGS"]


def format_seconds(seconds: float | None) -> str:
    """A duration as people write it: ``"45 s"``, ``"3 min 20 s"``, ``"1 h 05 min"``; ``"—"`` for unknown.

    Examples
    --------
    >>> format_seconds(44.6), format_seconds(200), format_seconds(3900), format_seconds(None)
    ('45 s', '3 min 20 s', '1 h 05 min', '—')
    >>> format_seconds(float("nan"))
    '—'
    """
    if seconds is None or not math.isfinite(float(seconds)):
        return "—"
    seconds = max(0, int(round(float(seconds))))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


#: The headline of each stage a job reports (the worker names them by key: ``teacher``, ``distill``, ...), the
#: stages in the order they run: the one table of the stages' words. The job page's stage line and its list of stages,
#: the jobs list's stage column and the estimate's split (:func:`stage_words`, in lower case) read it.
STAGE_HEADINGS = {"data": "Reading the data", "teacher": "Training the teacher", "distill": "Distilling the wavelets",
                  "select": "Choosing the wavelet by cross-validation", "students": "Fitting the students and drawing",
                  "starting": "Starting", "done": "Done", "cancelled": "Cancelled", "failed": "Failed"}


def stage_words(stages: dict | None) -> str:
    """Where an estimate's time goes, in words: every stage it counts (not those of 0 s, such as training an uploaded
    teacher), those under half a second as "under 1 s" (left out, the parts did not add up to the total and a
    6-point grid seemed to cost nothing); empty without any.

    Parameters
    ----------
    stages : dict of str to float, optional
        Seconds by stage, as :func:`estimate_job` returns them under ``"stages"``.

    Examples
    --------
    >>> for part in stage_words({"teacher": 10.2, "distill": 75.0, "select": 0.1, "students": 5.0}).split(", "):
    ...     print(part)
    Of which training the teacher 10 s
    distilling the wavelets 1 min 15 s
    choosing the wavelet by cross-validation under 1 s
    fitting the students and drawing 5 s.
    """
    stages = stages or {}
    parts = [f"{words[:1].lower()}{words[1:]} "
             f"{format_seconds(stages[stage]) if float(stages[stage] or 0.0) >= 0.5 else 'under 1 s'}"
             for stage, words in STAGE_HEADINGS.items() if float(stages.get(stage) or 0.0) > 0.0]  # 0: not run
    return ("Of which " + ", ".join(parts) + ".") if parts else ""
