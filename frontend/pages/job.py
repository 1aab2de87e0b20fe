"""Job page ``/jobs/<job_id>``: state, stage, progress, ETA, live loss curves, cancel; on success, the results.

Callbacks read and write components by name; :class:`ids` holds their ids.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from awd_studio.frontend import figures
from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import (
    APP_NAV,
    SUBMITTED_JOB,
    alert_outputs,
    alert_value,
    fmt_seconds,
    graph,
    named_update,
    not_found_card,
    queue_words,
    size_graphs_to_their_figures,
    state_badge,
    teacher_text,
)
from awd_studio.frontend.confirm_dialog import (
    RERUN_LINK_WORDS,
    cancel_question,
    confirm_dialog,
    dialog_text,
    ok_button,
    rerun_href,
    rerun_question,
    time_limit_warning,
)
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.job_timing import shown_time_left, stage_heading, stage_rows, took_words
from awd_studio.frontend.option_words import KIND_OPTIONS, OPTION_WORDS, UNSET_WORDS, options_for_kind, used_value
from awd_studio.frontend.rerun_form import grid_values

dash.register_page(__name__, path_template="/jobs/<job_id>", title="AWD Studio · job", name="Job")


class ids:  # noqa: N801 (a namespace of constants, read as ids.POLL)
    """Component ids of the job page (the strings are what tests/e2e look for)."""

    JOB_ID = "job-id"
    WATCHED = "job-watched"  # True once a poll saw the job queued or running
    POLL = "job-poll"
    STATE = "job-state"
    STATE_BADGE = "job-state-badge"
    ERROR = "job-error"
    NOTICE = "job-notice"
    STAGE = "job-stage"
    PROGRESS = "job-progress"
    ETA = "job-eta"
    #: What the time left showed last, and when (:func:`frontend.job_timing.shown_time_left`: counted down within a
    #: stage, revised up only in clear steps).
    ETA_MEMORY = "job-eta-memory"
    #: "Took 47 s" once the job has ended.
    DURATION = "job-duration"
    #: The stages with their durations, the running one marked.
    STAGES = "job-stages"
    CANCEL = "job-cancel"
    RESULTS_LINK = "job-results-link"
    #: Rerun as it was (confirmed first; ``POST /api/jobs/{id}/rerun``), once it has ended (review 18: only the jobs
    #: list had it).
    RERUN = "job-rerun"
    #: The action waiting for confirmation (``cancel-job`` or ``rerun``), the dialog that asks (the jobs list's,
    #: :func:`frontend.confirm_dialog.confirm_dialog`), its question and its buttons.
    PENDING = "job-pending"
    CONFIRM = "job-confirm"
    CONFIRM_TEXT = "job-confirm-text"
    CONFIRM_OK = "job-confirm-ok"
    CONFIRM_CANCEL = "job-confirm-cancel"
    #: To the configure page filled with this job's settings (``/configure?from=<id>``), once it has ended.
    RERUN_LINK = "job-rerun-link"
    LOSS_GRAPH = "job-loss-graph"
    TEACHER_CARD = "job-teacher-card"
    TEACHER_GRAPH = "job-teacher-graph"
    ETA_LINE = "job-eta-line"
    #: The job's settings: those of its kind of data in words (a definition list), and all of them as raw JSON.
    SETTINGS = "job-settings"
    SETTINGS_NOTE = "job-settings-note"
    CONFIG = "job-config"
    #: "Attempt 2: …", on a job that started again from the beginning (a stopped server, a lost worker).
    ATTEMPT = "job-attempt"
    #: "Started from the settings of job …", a link to the job whose settings this one started from (``rerun_of``).
    ORIGIN = "job-origin"
    #: What the job works on: dataset, target, teacher, grid.
    WHAT = "job-what"
    BODY = "job-body"
    STATUS = "job-status"  # the not-found card of a job that does not exist (or no longer)


size_graphs_to_their_figures(ids.LOSS_GRAPH, ids.TEACHER_GRAPH)

#: The loss points' ``chunk`` of the teacher's training curve (``GET /api/jobs/{id}``).
TEACHER_CHUNK = -1

#: How a job ended, for the empty loss figure.
ENDED_WORDS = {"cancelled": "was cancelled", "failed": "failed"}

TERMINAL = {"succeeded", "failed", "cancelled"}
POLL_MS = 1000


def losses_to_history(points) -> dict:
    """Loss points of ``GET /api/jobs/{id}`` -> ``{"epoch": [...], "<name>": [...]}`` for :func:`loss_figure`.

    Parameters
    ----------
    points : list of dict or dict or None
        ``[{chunk, epoch, values{name: float}}, ...]`` (one per epoch and chunk), or
        already a ``{"epoch": [...], ...}`` dict (returned as is).

    Returns
    -------
    dict
        With several chunks (parts of the grid fitted as separate tasks) each series is named
        ``"<name> (grid part k)"``, k counting from 1, and holds the mean loss over that part's grid points;
        ``epoch`` is omitted then (each series is indexed by its own epochs 1..n). With one chunk the series
        are the mean over the grid's points and ``epoch`` counts from 1 (the points count from 0).
    """
    if isinstance(points, dict):
        return points
    points = [p for p in points or [] if int(p.get("chunk", 0)) != TEACHER_CHUNK]
    if not points:
        return {}
    chunks = grid_parts(points)
    out: dict[str, list] = {}
    epochs: list = []
    for p in sorted(points, key=lambda p: (int(p.get("chunk", 0)), p.get("epoch", 0))):
        c = int(p.get("chunk", 0))
        if len(chunks) == 1:  # the trainer counts its epochs from 0; the page from 1, as the teacher's curve
            epochs.append(p.get("epoch") + 1 if isinstance(p.get("epoch"), int) else p.get("epoch"))
        for name, v in (p.get("values") or {}).items():
            key = name if len(chunks) == 1 else f"{name} (grid part {c + 1})"
            out.setdefault(key, []).append(float("nan") if v is None else float(v))
    if len(chunks) == 1:
        out = {"epoch": epochs, **out}
    return out


def grid_parts(points) -> list[int]:
    """The grid chunks that sent loss points (the teacher's curve, :data:`TEACHER_CHUNK`, excluded), sorted."""
    chunks = {int(p.get("chunk", 0)) for p in points or [] if isinstance(p, dict)}
    return sorted(chunks - {TEACHER_CHUNK})


#: Above the distillation losses when the grid was fitted in parts (:func:`losses_to_history`).
LOSS_TITLE_PARTS = "mean loss over each part's grid points<br>(the grid is fitted in parts, one task each)"
#: The distillation losses' title when the grid is fitted in one task.
LOSS_TITLE_ONE = "mean loss over the grid's points"


def teacher_history(points) -> dict:
    """The teacher's training curve among the loss points: ``{"epoch": [...], "teacher train": [...],
    "teacher val": [...]}``, or ``{}`` when the teacher was not trained here (uploaded) or has not started."""
    mine = sorted((p for p in points or [] if isinstance(p, dict) and int(p.get("chunk", 0)) == TEACHER_CHUNK),
                  key=lambda p: p.get("epoch", 0))
    if not mine:
        return {}
    out: dict[str, list] = {"epoch": [p.get("epoch") for p in mine]}
    for p in mine:
        for name, v in (p.get("values") or {}).items():
            out.setdefault(name, []).append(float("nan") if v is None else float(v))
    return out


#: A trained teacher whose best validation loss (MSE on standardised targets, where predicting the training mean scores
#: about 1) is this or more has learned little: validation R² at most 0.1, the results' weak-teacher rule
#: (``models.pipeline.trust.WEAK_TEACHER_R2``; tests/frontend/test_job_page_reads.py holds the two together).
WEAK_TEACHER_VALIDATION_MSE = 0.9

#: The stages after the teacher's training, in which the job page says when the teacher learned little.
AFTER_TEACHER = ("distill", "select", "students", "scattering")


def teacher_learned_little(job: dict, history: dict) -> str | None:
    """A warning for a running job whose trained teacher learned little (its best validation loss at
    :data:`WEAK_TEACHER_VALIDATION_MSE` or more, any architecture it trained), once its training has ended; None
    otherwise (review 40C: a teacher at a validation MSE of 1.0 from its first epochs was followed by 4.5 minutes of
    distillation, and only the results said it was weak).

    Examples
    --------
    >>> job = {"state": "running", "stage": "distill"}
    >>> teacher_learned_little(job, {"epoch": [1, 2], "teacher_val": [1.02, 0.97]})[:72]
    'The teacher has learned little: its best validation loss is 0.970 on sta'
    >>> teacher_learned_little(job, {"epoch": [1, 2], "teacher_val": [0.9, 0.4]}) is None
    True
    >>> teacher_learned_little({**job, "stage": "teacher"}, {"epoch": [1], "teacher_val": [1.0]}) is None
    True
    """
    if job.get("state") != "running" or job.get("stage") not in AFTER_TEACHER:
        return None
    values = [v for key, series in (history or {}).items() if key.endswith("val") for v in series
              if isinstance(v, int | float) and v == v]
    best = min(values, default=None)
    if best is None or best < WEAK_TEACHER_VALIDATION_MSE:
        return None
    return (f"The teacher has learned little: its best validation loss is {best:.3f} on standardised targets, where "
            "always predicting the training mean scores about 1. A wavelet distilled from it can explain little of "
            "what a network learns from these data. You can cancel now, or let the job run to compare the students "
            "with the baselines.")


def layout(job_id: str | None = None, **_):
    """The job page (polls the API every second until the job ends)."""
    return html.Div([
        dcc.Store(id=ids.JOB_ID, data=job_id),
        dcc.Store(id=ids.WATCHED, data=False),
        dcc.Store(id=ids.ETA_MEMORY, data=None),
        dcc.Store(id=ids.PENDING, data=None),
        confirm_dialog(ids.CONFIRM, ids.CONFIRM_TEXT, ids.CONFIRM_OK, ids.CONFIRM_CANCEL),
        dcc.Interval(id=ids.POLL, interval=POLL_MS, n_intervals=0, disabled=job_id is None),
        html.Div([
            html.H1(["Job ", html.Code(job_id or "?", className="fs-6")], className="h3 mb-0"),
            html.Div(id=ids.STATE, className="ms-3"),
        ], className="d-flex align-items-center mb-1"),
        html.Div(id=ids.WHAT, className="small mb-1"),
        html.Div(id=ids.ORIGIN, className="small text-muted mb-3"),
        html.Div(id=ids.STATUS),
        html.Div(id=ids.BODY, children=[
            dbc.Alert(id=ids.ERROR, color="danger", is_open=False),
            dbc.Alert(id=ids.NOTICE, color="warning", is_open=False),
            dbc.Card(dbc.CardBody([
                html.Div(id=ids.STAGE, className="mb-2 fw-semibold", **{"aria-live": "polite"}),
                dbc.Progress(id=ids.PROGRESS, value=0, striped=True, animated=True, style={"height": "1.4rem"},
                             label="0%", className="mb-2"),
                html.Div([html.Span("Time left: ", className="text-muted"), html.Span("—", id=ids.ETA)],
                         className="small", id=ids.ETA_LINE),
                html.Div(id=ids.DURATION, className="small fw-semibold"),
                html.Ul(id=ids.STAGES, className="list-inline small mb-0 mt-1", **{"aria-label": "stages"}),
                html.Div(id=ids.ATTEMPT, className="small text-muted"),
                html.Div([
                    # each asks first, in the jobs list's dialog (a cancelled job keeps no result)
                    dbc.Button("Cancel job", id=ids.CANCEL, color="outline-danger", size="sm", n_clicks=0),
                    dbc.Button("See results →", id=ids.RESULTS_LINK, href=f"/results/{job_id}", color="success",
                               size="sm", className="awd-hidden"),
                    # once it has ended: run it again as it was, or its settings in the configure form, to change
                    # and start as a new job
                    dbc.Button("Rerun", id=ids.RERUN, color="primary", size="sm", n_clicks=0, className="awd-hidden"),
                    dbc.Button(RERUN_LINK_WORDS, id=ids.RERUN_LINK, href=rerun_href(job_id), color="outline-primary",
                               size="sm", className="awd-hidden"),
                ], className="mt-3 awd-actions"),
            ]), className="mb-4 shadow-sm"),
            dbc.Card([dbc.CardHeader(html.H2(["Teacher training", help_link("teacher")], className="h6 mb-0")),
                      dbc.CardBody(graph(ids.TEACHER_GRAPH, "teacher-losses", figures.loss_figure(None)))],
                     className="shadow-sm mb-4 awd-hidden", id=ids.TEACHER_CARD),
            dbc.Card([dbc.CardHeader(html.H2(["Distillation losses", help_link("data")], className="h6 mb-0")),
                      dbc.CardBody(graph(ids.LOSS_GRAPH, "losses", figures.loss_figure(None)))],
                     className="shadow-sm mb-4"),
            dbc.Card([dbc.CardHeader(html.H2(["Job settings", help_link("configure")], className="h6 mb-0")),
                      dbc.CardBody([
                          html.P(id=ids.SETTINGS_NOTE, className="small text-muted"),
                          html.Dl(id=ids.SETTINGS, className="awd-kv awd-settings"),
                          html.Details([html.Summary("Every option as the API stores it (raw JSON)"),
                                        html.Pre(id=ids.CONFIG, className="awd-config-json mt-2")]),
                      ])], className="shadow-sm mb-4"),
        ]),
    ])


#: What a cancelled job's page says (in the notice, not as an error).
CANCELLED_NOTICE = "This job was cancelled. Rerun starts it again with the same settings."


def waiting_words(ahead, running, running_left=None) -> str:
    """What a queued job waits for, in words: the jobs ahead of it and, when the API knows it
    (``running_left_seconds``), how long the first running job has left.

    Examples
    --------
    >>> waiting_words(2, 1)
    'Waiting for a worker: 1 job running, 2 queued ahead of this one (each worker takes one at a time, oldest first).'
    >>> waiting_words(0, 1, 42.0)
    'Waiting for a worker: 1 job running, about 42 s left (each worker takes one at a time, oldest first).'
    >>> waiting_words(0, 2, 130.0)[:75]
    'Waiting for a worker: 2 jobs running, the first ends in about 2 min 10 s (e'
    >>> waiting_words(0, 0)
    'Waiting for a worker…'
    >>> waiting_words(None, None)
    'Waiting for a worker…'
    """
    if not isinstance(ahead, int) or not isinstance(running, int) or ahead + running == 0:
        return "Waiting for a worker…"
    parts = [queue_words(running, 0)] if running else []
    if running and isinstance(running_left, int | float):
        parts.append(f"about {fmt_seconds(running_left)} left" if running == 1
                     else f"the first ends in about {fmt_seconds(running_left)}")
    if ahead:
        parts.append(f"{f'{ahead} queued' if running else queue_words(0, ahead)} ahead of this one")
    return f"Waiting for a worker: {', '.join(parts)} (each worker takes one at a time, oldest first)."


def what_words(job: dict) -> str:
    """What a job works on, under its id (review 29B: the page's headline was the id alone): the dataset, the target
    column when named, the teacher and the grid.

    Examples
    --------
    >>> what_words({"dataset_name": "tracks.csv", "target_name": "productive", "teacher_name": "lstm",
    ...             "config": {"teacher": "auto"}, "grid": [3, 5]})
    'tracks.csv → productive · teacher auto: lstm · grid 3 × 5'
    >>> what_words({})
    ''
    """
    parts = [f"{job['dataset_name']}{' → ' + job['target_name'] if job.get('target_name') else ''}"
             if job.get("dataset_name") else None,
             f"teacher {teacher_text(job)}" if job.get("teacher_name") else None,
             f"grid {job['grid'][0]} × {job['grid'][1]}" if job.get("grid") and len(job["grid"]) == 2 else None]
    return " · ".join(p for p in parts if p)


def job_view(job: dict):
    """Pure: one ``GET /api/jobs/{id}`` answer -> the values the page shows.

    Returns
    -------
    dict
        ``badge``, ``stage``, ``percent``, ``label``, ``eta`` (None once the job has ended: the page hides the
        line), ``error``, ``done`` (bool), ``history`` (loss series), ``teacher_history`` (the teacher's
        training curve), ``loss_title`` (:data:`LOSS_TITLE_PARTS` when the grid was fitted in parts, else
        :data:`LOSS_TITLE_ONE`), ``cancellable`` (bool: the page shows Cancel only then), ``notice`` (a warning
        such as "no worker is running", or None), ``origin`` (the id of the job it was made from, or None),
        ``attempt`` (a sentence when the job started again from the beginning, else None), ``took`` (an ended
        job's wall time in words, :func:`frontend.job_timing.took_words`), ``stages`` (its stages' rows,
        :func:`frontend.job_timing.stage_rows`). ``eta`` is the server's estimate in words; the page shows it
        through :func:`frontend.job_timing.shown_time_left`, which counts it down within a stage and lets it rise
        only in clear, marked revisions.
    """
    state = job.get("state", "queued")
    fraction = float(job.get("fraction") or 0.0)
    if state == "succeeded":
        fraction = 1.0
    percent = int(round(100 * min(max(fraction, 0.0), 1.0)))
    stage = job.get("stage") or {"queued": "Waiting for a worker…", "running": "Running…"}.get(state, state)
    stage = stage_heading(stage, job)  # review 27B: "teacher — lstm epoch 3/80 ..." read as raw log text
    if state == "queued":  # review 27B: "queued" alone, with other jobs ahead of it and nothing said of them
        stage = waiting_words(job.get("queued_ahead"), job.get("running"), job.get("running_left_seconds"))
    if job.get("message"):
        stage = f"{stage} — {job['message']}"
    error = job.get("error") if state == "failed" else None
    notice = job.get("notice")
    if state == "cancelled":  # asked for, not a failure: yellow, not red (review 27B)
        notice = CANCELLED_NOTICE
    history = teacher_history(job.get("losses"))
    notice = notice or teacher_learned_little(job, history)
    return {
        "state": state,
        "stage": stage,
        "percent": percent,
        "label": f"{percent}%",
        "eta": None if state in TERMINAL else fmt_seconds(job.get("eta_seconds")),
        "error": error,
        "done": state in TERMINAL,
        "history": losses_to_history(job.get("losses")),
        "loss_title": LOSS_TITLE_PARTS if len(grid_parts(job.get("losses"))) > 1 else LOSS_TITLE_ONE,
        "teacher_history": history,
        "cancellable": state in ("queued", "running"),
        "notice": notice,
        "origin": job.get("rerun_of"),
        "attempt": attempt_words(job.get("attempt"), state),
        "what": what_words(job),
        "took": took_words(job),
        "stages": stage_rows(job),
    }


def attempt_words(attempt, state: str) -> str | None:
    """A sentence for a job on its second attempt or later: it started again from the beginning (its progress
    and curves are the new attempt's), or None.

    Examples
    --------
    >>> attempt_words(1, "running") is None, attempt_words(2, "running")[:40]
    (True, 'Attempt 2: this job started again from t')
    """
    if not attempt or int(attempt) < 2:
        return None
    verb = "ran" if state in TERMINAL else "is running"
    return (f"Attempt {int(attempt)}: this job started again from the beginning after an earlier attempt stopped "
            f"(the server was stopped, or its worker was lost); it {verb} from scratch, and the progress and "
            "curves here are this attempt's.")


#: How a stage's row reads beside its words, by its state (:func:`frontend.job_timing.stage_rows`).
STAGE_STATE_WORDS = {"running": "running", "to come": "—", "ended here": "stopped here"}


def stage_items(rows: list[dict]) -> list:
    """The stages' rows as the items of the page's inline list: each stage's words and its duration; the running
    one in bold with its time so far, those to come muted. While the job runs, the running stage and those to come
    also say how long they were expected to take (``expected``, from 1 s).

    Examples
    --------
    >>> items = stage_items([{"stage": "teacher", "words": "Training the teacher", "seconds": 20.4, "state": "done"},
    ...                      {"stage": "distill", "words": "Distilling", "seconds": 4.0, "state": "running"}])
    >>> [item.children[-1].children for item in items]
    ['20 s', '4 s, running']
    >>> stage_items([{"stage": "data", "words": "Reading the data", "seconds": 0.2, "state": "done"}])[0].children[-1]
    Span(children='under 1 s', className='text-muted')
    >>> items = stage_items([{"stage": "distill", "words": "Distilling", "seconds": 4.0, "state": "running",
    ...                       "expected": 30.2},
    ...                      {"stage": "select", "words": "Selecting", "seconds": None, "state": "to come",
    ...                       "expected": 5.0}])
    >>> [item.children[-1].children for item in items]
    ['4 s of about 30 s, running', 'about 5 s']
    """
    items = []
    for row in rows:
        took = (None if row["seconds"] is None else
                "under 1 s" if row["seconds"] < 0.5 else fmt_seconds(row["seconds"]))
        expected = row.get("expected")
        about = f"about {fmt_seconds(expected)}" if expected is not None and expected >= 1.0 else None
        said = STAGE_STATE_WORDS.get(row["state"])
        if row["state"] == "to come":
            value = about or said
        elif row["state"] == "running" and about:
            value = f"{took or '0 s'} of {about}, {said}"
        else:
            value = ", ".join(part for part in (took, said) if part)
        items.append(html.Li([html.Span(row["words"]), " ", html.Span(value, className="text-muted")],
                             className="list-inline-item me-3" + (" fw-semibold" if row["state"] == "running" else
                                                                  " text-muted" if row["state"] == "to come" else ""),
                             **{"data-stage": row["stage"], "data-state": row["state"]}))
    return items


def origin_line(origin: str | None):
    """The line under the title naming the job this one was made from (its settings, maybe changed), or None."""
    if not origin:
        return None
    return ["Started from the settings of job ", dcc.Link(html.Code(origin), href=f"/jobs/{quote(origin, safe='')}")]


#: What each poll shows, by name.
POLL_OUTPUTS = dict(
    badge=Output(ids.STATE, "children"),
    stage=Output(ids.STAGE, "children"),
    percent=Output(ids.PROGRESS, "value"),
    label=Output(ids.PROGRESS, "label"),
    animated=Output(ids.PROGRESS, "animated"),
    striped=Output(ids.PROGRESS, "striped"),
    eta=Output(ids.ETA, "children"),
    eta_memory=Output(ids.ETA_MEMORY, "data"),
    took=Output(ids.DURATION, "children"),
    stages=Output(ids.STAGES, "children"),
    error=alert_outputs(ids.ERROR),
    losses=Output(ids.LOSS_GRAPH, "figure"),
    teacher_losses=Output(ids.TEACHER_GRAPH, "figure"),
    teacher_card_class=Output(ids.TEACHER_CARD, "className"),
    eta_line_class=Output(ids.ETA_LINE, "className"),
    stop=Output(ids.POLL, "disabled"),
    cancel_disabled=Output(ids.CANCEL, "disabled"),
    cancel_class=Output(ids.CANCEL, "className"),
    results_link_class=Output(ids.RESULTS_LINK, "className"),
    rerun_class=Output(ids.RERUN, "className"),
    rerun_link_class=Output(ids.RERUN_LINK, "className"),
    nav=Output(APP_NAV, "href", allow_duplicate=True),
    notice=alert_outputs(ids.NOTICE),
    watched=Output(ids.WATCHED, "data"),
    submitted=Output(SUBMITTED_JOB, "data", allow_duplicate=True),
    status=Output(ids.STATUS, "children"),
    body_style=Output(ids.BODY, "style"),
    origin=Output(ids.ORIGIN, "children"),
    attempt=Output(ids.ATTEMPT, "children"),
    what=Output(ids.WHAT, "children"),
)


@callback(
    output=POLL_OUTPUTS,
    inputs=dict(_n=Input(ids.POLL, "n_intervals")),
    state=dict(job_id=State(ids.JOB_ID, "data"), watched=State(ids.WATCHED, "data"),
               submitted=State(SUBMITTED_JOB, "data"), eta_memory=State(ids.ETA_MEMORY, "data")),
    prevent_initial_call="initial_duplicate",
)
async def poll(_n, job_id, watched=False, submitted=None, eta_memory=None):
    """Poll the job; stop polling when it ends and move to the results when it succeeded while this page
    watched it: an earlier poll saw it queued or running (``watched``), or this tab has just submitted it
    (``submitted``, taken on the first poll, so a tiny job that ended before that poll moves on too). A job
    that had already succeeded when the page was opened otherwise stays here, however many polls answer: its
    curves and settings are what the user came back for, and "See results" is one click away. The time left is
    the server's estimate counted down within a stage, revised up only in clear steps
    (:func:`frontend.job_timing.shown_time_left`, with what it showed last in ``eta_memory``)."""
    if not job_id:
        return named_update(POLL_OUTPUTS)
    try:
        job = await get_client().get_job(job_id)
    except ApiError as err:
        if err.not_found:  # never created, or deleted since: the page has nothing to show
            return named_update(POLL_OUTPUTS, badge="", stop=True, body_style={"display": "none"},
                                status=not_found_card("Job not found", "There is no job with this id: it may have been "
                                                      "deleted. Your jobs are on the Jobs page."))
        msg = f"Could not read the job: {err.message}"
        return named_update(POLL_OUTPUTS, badge=state_badge("unknown"), stage="", percent=0, label="", animated=False,
                            eta="—", error=alert_value(msg), stop=err.not_found, cancel_disabled=True,
                            cancel_class="awd-hidden",
                            results_link_class="awd-hidden", notice=alert_value(None))
    v = job_view(job)
    eta, eta_memory = (shown_time_left(job.get("eta_seconds"), job.get("stage"), time.time(), eta_memory)
                       if v["state"] == "running" else (None, None))
    just_submitted = submitted == job_id  # job_id is set here
    watched = bool(watched) or just_submitted
    return dict(
        badge=state_badge(v["state"], id=ids.STATE_BADGE), stage=v["stage"], percent=v["percent"], label=v["label"],
        animated=not v["done"], striped=not v["done"], eta=eta or "", eta_memory=eta_memory,
        took=v["took"], stages=stage_items(v["stages"]), error=alert_value(v["error"]),
        losses=figures.loss_figure(v["history"], title=v["loss_title"],
                                   empty=f"No distillation losses: the job {ENDED_WORDS.get(v['state'], 'ended')} "
                                   "before the distillation" if v["done"] else figures.LOSSES_TO_COME),
        teacher_losses=figures.loss_figure(v["teacher_history"], title="teacher's MSE on standardised targets"),
        teacher_card_class="shadow-sm mb-4" if v["teacher_history"] else "shadow-sm mb-4 awd-hidden",
        eta_line_class="small" if eta else "small awd-hidden",
        stop=v["done"], cancel_disabled=not v["cancellable"],
        cancel_class="" if v["cancellable"] else "awd-hidden",
        results_link_class="" if v["state"] == "succeeded" else "awd-hidden",
        rerun_class="" if v["done"] else "awd-hidden",
        rerun_link_class="" if v["done"] else "awd-hidden",
        nav=f"/results/{job_id}" if v["state"] == "succeeded" and watched else no_update,
        notice=alert_value(v["notice"]), watched=watched or not v["done"],
        submitted=None if just_submitted else no_update, status=None, body_style={},
        origin=origin_line(v["origin"]), attempt=v["attempt"], what=v["what"],
    )


def setting_value(value) -> str:
    """A job option's value as the settings list shows it (:func:`frontend.option_words.used_value`'s): a list as
    its values, a number as it was given.

    Examples
    --------
    >>> setting_value([0.0, 0.0001, 0.5]), setting_value(0.001), setting_value("orthogonal"), setting_value(4)
    ('0, 0.0001, 0.5', '0.001', 'orthogonal', '4')
    """
    if isinstance(value, list):
        return ", ".join(setting_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _setting_words(name: str, given, used, words: str | None = None) -> html.Dd:
    """An option's value in the settings list: ``words`` when the job names it, else as the run used it
    (:func:`~frontend.option_words.used_value`), greyed while that is :data:`~frontend.option_words.UNSET_WORDS` (the
    run resolves it; once it succeeded, the list shows what it used) and when it is :data:`NOT_USED_WORDS`."""
    value = words or used_value(name, given, used)
    unset = (given is None and value == UNSET_WORDS) or value == NOT_USED_WORDS
    return html.Dd(setting_value(value), className="mb-0 text-muted" if unset else "mb-0")


#: The options that only shape a teacher the job trains (an uploaded one is loaded as it is).
TEACHER_TRAINING_OPTIONS = ("teacher_epochs", "teacher_augment")
#: What the settings list says of them for a job with uploaded weights (review 39A: "Teacher augmentation: auto").
NOT_USED_WORDS = "not used: the teacher's weights were uploaded"


def teacher_setting_words(job: dict) -> dict:
    """Pure: the words the settings list gives the teacher's options, by option (for :func:`settings_list`'s
    ``names``): for uploaded weights (``teacher_id``) the teacher by its name and the training-only options
    (:data:`TEACHER_TRAINING_OPTIONS`) as :data:`NOT_USED_WORDS`; for ``auto``, the architecture it chose.

    Examples
    --------
    >>> teacher_setting_words({"teacher_id": "t1", "teacher_name": "uploaded: mynet (exported program)",
    ...                        "config": {"teacher": "auto"}})["teacher"]
    'uploaded: mynet (exported program)'
    >>> teacher_setting_words({"teacher_id": "t1", "config": {}})["teacher_augment"] == NOT_USED_WORDS
    True
    >>> teacher_setting_words({"teacher_name": "mlp", "config": {"teacher": "auto"}})
    {'teacher': 'auto: mlp'}
    >>> teacher_setting_words({"teacher_name": "mlp", "config": {"teacher": "mlp"}})
    {}
    """
    if job.get("teacher_id"):
        return {"teacher": job.get("teacher_name") or "uploaded",
                **{name: NOT_USED_WORDS for name in TEACHER_TRAINING_OPTIONS}}
    if (job.get("config") or {}).get("teacher") == "auto" and job.get("teacher_name") not in (None, "auto"):
        return {"teacher": teacher_text(job)}
    return {}


#: What the settings list is said to show, by the job's kind of data.
KIND_WORDS = {"timeseries": "time series", "image": "maps"}


def settings_list(config: dict | None, kind: str | None, resolved: dict | None = None,
                  names: dict | None = None) -> tuple[list, str]:
    """The job's settings as the page lists them: ``(items, note)``, one item (``html.Div`` of a ``Dt`` and a
    ``Dd``) per option that applies to the job's kind of data (:func:`frontend.option_words.options_for_kind`), each
    named in words with its name in the API beside them; the note says which options are left out.

    ``resolved`` is the config the run used (the result's ``provenance.config``, once it succeeded): an option left
    to the default or to ``auto`` then shows the run's value ("50 (default)", "auto: zero"), as the compare page
    does (review 31B: the finished job read "λ values: not set" beside its own "grid 3 × 6"). ``names`` gives the
    words of a value the job answer knows (its ``target`` column's name, the teacher ``auto`` kept).

    The page showed the whole config as raw JSON: the map student's options on a time-series job and the other way
    round (the raw JSON is still there, under the list).
    """
    shown = options_for_kind(config, kind)
    resolved, names = resolved or {}, names or {}
    items = [html.Div([html.Dt([OPTION_WORDS.get(name, name), " ", html.Code(name, className="small text-muted")]),
                       _setting_words(name, value, resolved.get(name), names.get(name))])
             for name, value in shown.items()]
    if kind not in KIND_WORDS:
        return items, "Every option of the job (its dataset, which says which of them apply, is gone)."
    others = [other for other in KIND_OPTIONS if other != kind]
    left_out = [OPTION_WORDS.get(name, name) for other in others for name in KIND_OPTIONS[other] if name in config]
    note = f"The options that apply to {KIND_WORDS[kind]}"
    return items, note + (f"; left out, for {', '.join(KIND_WORDS[o] for o in others)} only: "
                          f"{', '.join(left_out)}." if left_out else ".")


#: What reading the job's settings shows.
SETTINGS_OUTPUTS = dict(items=Output(ids.SETTINGS, "children"), note=Output(ids.SETTINGS_NOTE, "children"),
                        raw=Output(ids.CONFIG, "children"))


async def resolved_config(client, job: dict) -> dict:
    """The options as a succeeded job's run resolved them, for :func:`settings_list` (``{}`` for a job that has not
    succeeded, whose defaults are still the server's).

    ``GET /api/jobs/{id}`` carries them (``resolved_config``, kept on the job when it succeeds); a job that
    succeeded before they were kept has only its result bundle's ``provenance.config``, read then (the bundle of a
    CME run of the paper's grid is several MB: the page read it on every visit, for these few hundred bytes).
    """
    if job.get("state") != "succeeded":
        return {}
    if isinstance(job.get("resolved_config"), dict):
        return job["resolved_config"]
    try:
        return ((await client.get_result(job["id"])).get("provenance") or {}).get("config") or {}
    except ApiError:  # the result deleted: the options as submitted
        return {}


@callback(output=SETTINGS_OUTPUTS, inputs=dict(job_id=Input(ids.JOB_ID, "data")))
async def show_settings(job_id):
    """The job's settings, read once (they do not change while it runs): ``GET /api/jobs/{id}`` without its losses
    (the poll reads those), with the values a succeeded run used (:func:`resolved_config`), and its dataset's kind
    (``GET /api/datasets/{id}``) for the options that apply."""
    if not job_id:
        return named_update(SETTINGS_OUTPUTS)
    client = get_client()
    try:
        job = await client.get_job(job_id, losses=False)
    except ApiError:  # the poll says what is wrong
        return named_update(SETTINGS_OUTPUTS)
    kind, target_names = None, []
    if job.get("dataset_id"):
        try:
            dataset = await client.get_dataset(job["dataset_id"])
            kind, target_names = dataset.get("kind"), (dataset.get("summary") or {}).get("target_names") or []
        except ApiError:  # deleted since: every option is listed
            kind = None
    config = job.get("config") or {}
    resolved = await resolved_config(client, job)  # the values the run used, for the options left to defaults
    if not resolved and kind:  # not run yet: the grid preset's values (review 50B: listed as "default" beside the
        try:                     # job's own "grid 5 × 21"), which the service's options say
            resolved = grid_values(config, (await client.get_options()).get("grid_presets"), kind) or {}
        except ApiError:
            resolved = {}
    names = {}
    column = config.get("target") or 0
    # the job answer names the target only where the dataset has several; its one column has a name too (review
    # 33B: "target 0" here beside "auxilin" on the results and compare pages)
    target = job.get("target_name") or (str(target_names[column]) if isinstance(column, int)
                                        and 0 <= column < len(target_names) else None)
    if target:
        names["target"] = f"{target} (column {column})"
    names.update(teacher_setting_words(job))  # uploaded weights: their name, and no training options
    items, note = settings_list(config, kind, resolved, names)
    return dict(items=items, note=note, raw=json.dumps(config, indent=2, sort_keys=True))


async def ask_words(action: str, job_id: str) -> list:
    """The dialog's question before ``action`` (``cancel-job`` or ``rerun``) on this job, in the jobs list's words
    (:mod:`frontend.confirm_dialog`); before a rerun, with what it does about the teacher and, when the job's time
    limit stopped it, the warning that it will very likely stop there again, read from ``GET /api/jobs/{id}``."""
    if action == "cancel-job":
        return dialog_text(cancel_question("this job"))
    try:
        job = await get_client().get_job(job_id, losses=False)
    except ApiError:  # asked all the same: the rerun itself says what is wrong
        job = None
    return dialog_text(rerun_question("this job", job), time_limit_warning(job, job_id))


#: What asking for an action opens.
ASK_OUTPUTS = dict(pending=Output(ids.PENDING, "data"), text=Output(ids.CONFIRM_TEXT, "children"),
                   open=Output(ids.CONFIRM, "is_open"), ok_label=Output(ids.CONFIRM_OK, "children"),
                   ok_color=Output(ids.CONFIRM_OK, "color"))


@callback(output=ASK_OUTPUTS, inputs=dict(_cancel=Input(ids.CANCEL, "n_clicks"), _rerun=Input(ids.RERUN, "n_clicks")),
          state=dict(job_id=State(ids.JOB_ID, "data")), prevent_initial_call=True)
async def ask(_cancel, _rerun, job_id):
    """Cancel or Rerun opens the confirmation dialog, as on the jobs list."""
    action = {ids.CANCEL: "cancel-job", ids.RERUN: "rerun"}.get(ctx.triggered_id)
    if not action or not job_id:
        return named_update(ASK_OUTPUTS)
    label, color = ok_button(action)
    return dict(pending=action, text=await ask_words(action, job_id), open=True, ok_label=label, ok_color=color)


#: What a confirmed (or dismissed) action changes.
CONFIRM_OUTPUTS = dict(open=Output(ids.CONFIRM, "is_open", allow_duplicate=True),
                       error=alert_outputs(ids.ERROR, allow_duplicate=True),
                       nav=Output(APP_NAV, "href", allow_duplicate=True),
                       submitted=Output(SUBMITTED_JOB, "data", allow_duplicate=True))


@callback(output=CONFIRM_OUTPUTS,
          inputs=dict(_ok=Input(ids.CONFIRM_OK, "n_clicks"), _back=Input(ids.CONFIRM_CANCEL, "n_clicks")),
          state=dict(pending=State(ids.PENDING, "data"), job_id=State(ids.JOB_ID, "data")),
          prevent_initial_call=True)
async def confirm(_ok, _back, pending, job_id):
    """Once confirmed: cancel (``POST /api/jobs/{id}/cancel``; the poller shows the new state), or rerun
    (``POST /api/jobs/{id}/rerun``, then the new job's page, watched from its first poll). "Go back" closes the
    dialog."""
    if ctx.triggered_id != ids.CONFIRM_OK or not pending or not job_id:
        return named_update(CONFIRM_OUTPUTS, open=False)
    client = get_client()
    if pending == "cancel-job":
        try:
            await client.cancel_job(job_id)
        except ApiError as err:
            return named_update(CONFIRM_OUTPUTS, open=False, error=alert_value(f"Could not cancel: {err.message}"))
        return named_update(CONFIRM_OUTPUTS, open=False, error=alert_value("Cancelling…"))
    try:
        job = await client.rerun_job(job_id)
    except ApiError as err:
        return named_update(CONFIRM_OUTPUTS, open=False, error=alert_value(f"Could not rerun: {err.message}"))
    return named_update(CONFIRM_OUTPUTS, open=False, error=alert_value(None), nav=f"/jobs/{job['id']}",
                        submitted=job["id"])
