"""The run-time estimate: the estimate's card above the Start bar, and its short line beside Start.

:func:`update_estimate` runs on every change of the form: it counts the grid points, asks the server
(``POST /api/jobs/estimate``) and says the estimate in full in the card and in short in the Start bar
(:func:`start_words`), with the jobs ahead, a long job, a busy machine or few samples; while a field is wrong it lists
the wrong fields in the Start bar instead and outlines them in red (:mod:`.validation`).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import fmt_seconds, queue_words
from awd_studio.frontend.configure.ids import form_dependencies, ids
from awd_studio.frontend.configure.payload import form_body
from awd_studio.frontend.configure.validation import (
    FIELD_OF_MESSAGE,
    form_problems,
    grid_shape,
    invalid_fields,
    parse_grid,
    problems_alert,
)
from awd_studio.frontend.durations import stage_words as estimate_stage_words

__all__ = ["LONG_JOB_SECONDS", "ESTIMATE_OUTPUTS", "update_estimate", "server_side", "start_words", "queue_ahead_words",
           "long_job_words", "calibration_words", "stage_words"]


#: An estimate above this many seconds is said to be a long job, with what to check before starting it.
LONG_JOB_SECONDS = 600.0


#: Where the estimate goes while a field is wrong (review 23: an empty band above Start); the list of what is wrong
#: stands in the Start bar (:func:`~frontend.configure.validation.problems_alert` as its line).
_ESTIMATE_WAITS = html.Span("The run-time estimate comes once the fields listed with Start are right.",
                            className="text-muted small")


#: What the estimate updates: the grid size, the estimate (or what is wrong) and the red outline of the wrong field.
ESTIMATE_OUTPUTS = dict(grid_size=Output(ids.GRID_SIZE, "children"), estimate=Output(ids.ESTIMATE, "children"),
                        start_line=Output(ids.START_LINE, "children"),
                        invalid={component: Output(component, "invalid") for component in FIELD_OF_MESSAGE.values()})


@callback(
    output=ESTIMATE_OUTPUTS,
    inputs=dict(**form_dependencies(Input), info=Input(ids.DATASET_INFO, "data"), options=Input(ids.OPTIONS, "data"),
                keep=Input(ids.KEEP_OPTIONS, "value")),
    state=dict(prefill=State(ids.PREFILL, "data")),
)
async def update_estimate(info, options=None, keep=True, prefill=None, **form):
    """Grid size and the server's run-time estimate (``POST /api/jobs/estimate``), or what is wrong, in words and
    with the wrong fields outlined (every one at once, :func:`~frontend.configure.validation.form_problems`)."""
    problems = form_problems(form, (options or {}).get("bounds"))
    try:
        n_l, n_g, zero_added = grid_shape(parse_grid(form.get("lambdas"), "λ"), parse_grid(form.get("gammas"), "γ"))
    except ValueError:
        return dict(grid_size=None, estimate=_ESTIMATE_WAITS, invalid=invalid_fields(problems),
                    start_line=problems_alert(problems))
    points = n_l * n_g
    size = html.Span([dbc.Badge(f"{n_l} × {n_g} = {points} grid point{'' if points == 1 else 's'}", color="info"),
                      html.Span(" γ = 0 added: every job runs the baseline without interpretation", id=ids.ZERO_ADDED,
                                className="text-muted small") if zero_added else None])
    # what is wrong stands in the Start bar, always in sight (review: in the estimate's card it lay under the bar)
    if problems:  # said as the form is filled in, with the bounds, not only when it is submitted
        return dict(grid_size=size, estimate=_ESTIMATE_WAITS, invalid=invalid_fields(problems),
                    start_line=problems_alert(problems))
    if not info:
        return dict(grid_size=size, invalid=invalid_fields(None),
                    estimate=html.Span("Pick a dataset to see a run-time estimate.", className="text-muted"),
                    start_line=start_words(points, note="pick a dataset for an estimate"))
    try:
        payload = form_body(form, info.get("id"), options=options, info=info, prefill=prefill, keep=keep)
        guess = await get_client().estimate_job(payload)
    except (ValueError, ApiError) as err:  # said as the form is filled in, not only when it is submitted
        if isinstance(err, ApiError) and server_side(err):  # review 52A: a busy database read as a wrong field
            return dict(grid_size=size, invalid=invalid_fields(None),
                        estimate=html.Span(f"No run-time estimate now: {err.message.rstrip('.')}. That is the "
                                           "server, not the form: the next change to the form asks again.",
                                           className="text-muted", id=ids.ESTIMATE_UNANSWERED),
                        start_line=start_words(points, note="no estimate: the server did not answer"))
        message = err.message if isinstance(err, ApiError) else str(err)
        return dict(grid_size=size, estimate=_ESTIMATE_WAITS, invalid=invalid_fields(message),
                    start_line=problems_alert([message]))
    text = [html.Span("Estimated run time: ", className="text-muted"),
            html.Strong(f"about {fmt_seconds(guess['seconds'])}"),
            html.Span(f" on this server's CPU, {guess.get('threads', 1)} thread"
                      f"{'' if guess.get('threads', 1) == 1 else 's'} per job ({calibration_words(guess)})",
                      className="text-muted small")]
    if stage_words(guess):
        text.append(html.Div(stage_words(guess), className="text-muted small"))
    if queue_ahead_words(guess):
        text.append(html.Div(queue_ahead_words(guess), className="small", id=ids.QUEUE_AHEAD))
    if long_job_words(guess.get("seconds")):
        text.append(dbc.Alert(long_job_words(guess.get("seconds")), color="warning",
                              className="py-1 px-2 mt-2 mb-0 small", id=ids.LONG_JOB))
    if guess.get("busy_machine"):  # review 28A: "about 18 s", and 56 s beside other work
        text.append(html.Div(guess["busy_machine"], className="small", id=ids.BUSY_MACHINE))
    if guess.get("few_samples"):  # review 18: 14 training and 4 test series ran without a word
        text.append(dbc.Alert(guess["few_samples"], color="warning", className="py-1 px-2 mt-2 mb-0 small",
                              id=ids.FEW_SAMPLES))
    if not guess.get("within_limit", True):
        text.append(dbc.Alert(f"That is more than this server's job time limit of "
                              f"{fmt_seconds(guess['limit_seconds'])}: use fewer epochs or grid points.",
                              color="warning", className="py-1 px-2 mt-2 mb-0 small"))
    return dict(grid_size=size, estimate=html.Div(text), invalid=invalid_fields(None),
                start_line=start_words(points, guess))


def server_side(err: ApiError) -> bool:
    """Whether a failed estimate is the server's doing, not the form's: unreachable (status 0), over a rate limit
    (429) or failing (5xx, e.g. 503 while the database is busy). The form's faults are the other 4xx answers.

    Examples
    --------
    >>> [server_side(ApiError(status, "…")) for status in (0, 422, 404, 429, 503)]
    [True, False, False, True, True]
    """
    return err.status == 0 or err.status == 429 or err.status >= 500


def start_words(points: int | None, guess: dict | None = None, note: str = "no estimate yet") -> str:
    """The line beside Start in the action bar: the estimate in short, or why there is none (the estimate card above
    the bar says it in full). A form with wrong fields lists them there instead
    (:func:`~frontend.configure.validation.problems_alert`).

    Parameters
    ----------
    points : int or None
        Grid points of the form (None while the grid cannot be read).
    guess : dict, optional
        ``POST /api/jobs/estimate``'s answer.
    note : str
        Said after the grid points when there is neither a guess nor a problem.

    Examples
    --------
    >>> start_words(18, {"seconds": 7.2})
    'About 7 s · 18 grid points'
    >>> start_words(2, {"seconds": 3164.0, "within_limit": False})
    'About 52 min 44 s · 2 grid points · a long job · over the time limit'
    >>> start_words(18, {"seconds": 7.2, "busy_machine": "This machine is busy ...", "running": 1})
    'About 7 s, likely longer: the machine is busy · 18 grid points · after the jobs ahead'
    >>> start_words(1, note="pick a dataset for an estimate")
    '1 grid point · pick a dataset for an estimate'
    """
    grid = f"{points} grid point{'' if points == 1 else 's'}"
    if not guess:
        return f"{grid} · {note}"
    words = [f"About {fmt_seconds(guess.get('seconds'))}", grid]
    if guess.get("busy_machine"):  # review 31B: the caution sat in the card, out of view under the bar
        words[0] += ", likely longer: the machine is busy"
    if guess.get("queued") or guess.get("running"):
        words.append("after the jobs ahead")
    if long_job_words(guess.get("seconds")):
        words.append("a long job")
    if not guess.get("within_limit", True):
        words.append("over the time limit")
    return " · ".join(words)


def queue_ahead_words(guess: dict) -> str | None:
    """What the estimate leaves out when other jobs are queued or running (review 27B: "about 33 s" with three jobs
    ahead, which waited 172 s), or None.

    Examples
    --------
    >>> queue_ahead_words({"queued": 2, "running": 1})
    'Not counted above: 1 job running and 2 queued now. This one starts after them.'
    >>> queue_ahead_words({"queued": 1, "running": 0})
    'Not counted above: 1 job queued now. This one starts after them.'
    >>> queue_ahead_words({"queued": 0, "running": 0}) is None
    True
    """
    words = queue_words(int(guess.get("running") or 0), int(guess.get("queued") or 0))
    return f"Not counted above: {words} now. This one starts after them." if words else None


def long_job_words(seconds) -> str | None:
    """What the page says of an estimate above :data:`LONG_JOB_SECONDS`, or None (review 18: a 52-minute job was one
    click from Start, its dataset preselected as the newest)."""
    if not isinstance(seconds, (int, float)) or seconds <= LONG_JOB_SECONDS:
        return None
    return (f"A long job: about {fmt_seconds(seconds)} on this server. Check the dataset and the grid before "
            "starting it; a running job can be cancelled from its page.")


def calibration_words(guess: dict) -> str:
    """How the estimate was made, in words: scaled to this server's finished jobs, or the cost model alone."""
    n_jobs = int(guess.get("calibration_jobs") or 0)
    if n_jobs:
        # stage by stage: the overall factor depends on this configuration's mix of stages, so it changes with
        # the settings (0.67, 0.29, 0.31 over one server's same jobs read as an unstable estimate)
        return (f"rough; each stage scaled to how long it took in this server's latest {n_jobs} finished jobs on "
                f"such data (for these settings, scaled by {float(guess.get('calibration_factor', 1.0)):.2g} in all)")
    return "rough: the cost model alone, until this server has finished a few jobs on such data"


def stage_words(guess: dict) -> str:
    """Where the estimated time goes, in words (the stages with at least a second); empty without stages."""
    return estimate_stage_words(guess.get("stages"))

