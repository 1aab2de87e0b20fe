"""Job page ``/jobs/<job_id>``: state, stage, progress, ETA, live loss curves, cancel; on success, the results."""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from frontend import figures
from frontend.api_client import ApiError, get_client
from frontend.components import fmt_seconds, graph, size_graphs_to_their_figures, state_badge

size_graphs_to_their_figures("job-loss-graph")
dash.register_page(__name__, path_template="/jobs/<job_id>", title="AWD Studio · job", name="Job")

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
        With several chunks each series is named ``"<name> (chunk k)"``; ``epoch`` is
        omitted then (each series is indexed by its own epochs 1..n).
    """
    if isinstance(points, dict):
        return points
    if not points:
        return {}
    chunks = sorted({int(p.get("chunk", 0)) for p in points})
    out: dict[str, list] = {}
    epochs: list = []
    for p in sorted(points, key=lambda p: (int(p.get("chunk", 0)), p.get("epoch", 0))):
        c = int(p.get("chunk", 0))
        if len(chunks) == 1:
            epochs.append(p.get("epoch"))
        for name, v in (p.get("values") or {}).items():
            key = name if len(chunks) == 1 else f"{name} (chunk {c})"
            out.setdefault(key, []).append(float("nan") if v is None else float(v))
    if len(chunks) == 1:
        out = {"epoch": epochs, **out}
    return out


def layout(job_id: str | None = None, **_):
    """The job page (polls the API every second until the job ends)."""
    return html.Div([
        dcc.Store(id="job-id", data=job_id),
        dcc.Interval(id="job-poll", interval=POLL_MS, n_intervals=0, disabled=job_id is None),
        html.Div([
            html.H1(["Job ", html.Code(job_id or "?", className="fs-6")], className="h3 mb-0"),
            html.Div(id="job-state", className="ms-3"),
        ], className="d-flex align-items-center mb-3"),
        dbc.Alert(id="job-error", color="danger", is_open=False),
        dbc.Alert(id="job-notice", color="warning", is_open=False),
        dbc.Card(dbc.CardBody([
            html.Div(id="job-stage", className="mb-2 fw-semibold", **{"aria-live": "polite"}),
            dbc.Progress(id="job-progress", value=0, striped=True, animated=True, style={"height": "1.4rem"},
                         label="0%", className="mb-2"),
            html.Div([html.Span("Time left: ", className="text-muted"), html.Span("—", id="job-eta")],
                     className="small"),
            html.Div([
                dbc.Button("Cancel job", id="job-cancel", color="outline-danger", size="sm", n_clicks=0,
                           className="me-2"),
                dbc.Button("See results →", id="job-results-link", href=f"/results/{job_id}", color="success",
                           size="sm", className="awd-hidden"),
            ], className="mt-3"),
        ]), className="mb-4 shadow-sm"),
        dbc.Card([dbc.CardHeader(html.H2("Training losses", className="h6 mb-0")),
                  dbc.CardBody(graph("job-loss-graph", "losses", figures.loss_figure(None)))],
                 className="shadow-sm mb-4"),
        html.Details([html.Summary("Job settings"), html.Pre(id="job-config", className="awd-config-json mt-2")]),
    ])


def job_view(job: dict):
    """Pure: one ``GET /api/jobs/{id}`` answer -> the values the page shows.

    Returns
    -------
    dict
        ``badge``, ``stage``, ``percent``, ``label``, ``eta``, ``error``, ``done`` (bool),
        ``history`` (loss series), ``cancellable`` (bool), ``notice`` (a warning such as "no worker is
        running", or None).
    """
    state = job.get("state", "queued")
    fraction = float(job.get("fraction") or 0.0)
    if state == "succeeded":
        fraction = 1.0
    percent = int(round(100 * min(max(fraction, 0.0), 1.0)))
    stage = job.get("stage") or {"queued": "Waiting for a worker…", "running": "Running…"}.get(state, state)
    if job.get("message"):
        stage = f"{stage} — {job['message']}"
    error = job.get("error") if state == "failed" else None
    if state == "cancelled":
        error = "This job was cancelled."
    return {
        "state": state,
        "stage": stage,
        "percent": percent,
        "label": f"{percent}%",
        "eta": "finished" if state in TERMINAL else fmt_seconds(job.get("eta_seconds")),
        "error": error,
        "done": state in TERMINAL,
        "history": losses_to_history(job.get("losses")),
        "cancellable": state in ("queued", "running"),
        "notice": job.get("notice"),
    }


@callback(
    Output("job-state", "children"),
    Output("job-stage", "children"),
    Output("job-progress", "value"),
    Output("job-progress", "label"),
    Output("job-progress", "animated"),
    Output("job-eta", "children"),
    Output("job-error", "children"),
    Output("job-error", "is_open"),
    Output("job-loss-graph", "figure"),
    Output("job-poll", "disabled"),
    Output("job-cancel", "disabled"),
    Output("job-results-link", "className"),
    Output("job-config", "children"),
    Output("app-nav", "href", allow_duplicate=True),
    Output("job-notice", "children"),
    Output("job-notice", "is_open"),
    Input("job-poll", "n_intervals"),
    State("job-id", "data"),
    prevent_initial_call="initial_duplicate",
)
async def poll(_n, job_id):
    """Poll the job; stop polling when it ends and move to the results when it succeeded."""
    if not job_id:
        return (no_update,) * 16
    try:
        job = await get_client().get_job(job_id)
    except ApiError as err:
        stop = err.not_found
        msg = "No such job." if err.not_found else f"Could not read the job: {err.message}"
        return (state_badge("unknown"), "", 0, "", False, "—", msg, True, no_update, stop, True,
                "awd-hidden", "", no_update, None, False)
    v = job_view(job)
    nav = f"/results/{job_id}" if v["state"] == "succeeded" else no_update
    return (state_badge(v["state"], id="job-state-badge"), v["stage"], v["percent"], v["label"], not v["done"],
            v["eta"], v["error"], bool(v["error"]), figures.loss_figure(v["history"]), v["done"],
            not v["cancellable"], "" if v["state"] == "succeeded" else "awd-hidden",
            json.dumps(job.get("config") or {}, indent=2, sort_keys=True), nav, v["notice"], bool(v["notice"]))


@callback(
    Output("job-error", "children", allow_duplicate=True),
    Output("job-error", "is_open", allow_duplicate=True),
    Input("job-cancel", "n_clicks"),
    State("job-id", "data"),
    prevent_initial_call=True,
)
async def cancel(n_clicks, job_id):
    """``POST /api/jobs/{id}/cancel``; the poller shows the new state."""
    if not n_clicks or not job_id:
        return no_update, no_update
    try:
        await get_client().cancel_job(job_id)
    except ApiError as err:
        return f"Could not cancel: {err.message}", True
    return "Cancelling…", True
