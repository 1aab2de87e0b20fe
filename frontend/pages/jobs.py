"""Jobs list ``/jobs``: recent jobs with their states, refreshed every few seconds."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import items, state_badge

dash.register_page(__name__, path="/jobs", title="AWD Studio · jobs", name="Jobs")


class ids:  # noqa: N801 (a namespace of constants, read as ids.TABLE)
    """Component ids of the jobs page (the strings are what tests/e2e look for)."""

    POLL = "jobs-poll"
    TABLE = "jobs-table"
    LIST = "jobs-list"
    EMPTY = "jobs-empty"


def layout(**_):
    """The jobs list."""
    return html.Div([
        html.Div([html.H1("Jobs", className="h3 mb-0"),
                  dbc.Button("New distillation", href="/", color="success")],
                 className="d-flex justify-content-between align-items-center mb-3"),
        dcc.Interval(id=ids.POLL, interval=3000, n_intervals=0),
        dbc.Card(dbc.CardBody(html.Div(id=ids.TABLE, className="table-responsive")), className="shadow-sm"),
    ])


def jobs_table(rows: list[dict]):
    """Pure: job rows -> a table (newest first) or a friendly empty message."""
    if not rows:
        return html.P(["No jobs yet. ", html.A("Upload data", href="/"), " to start one."],
                      className="text-muted mb-0", id=ids.EMPTY)
    rows = sorted(rows, key=lambda r: str(r.get("created") or ""), reverse=True)
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Job", "State", "Stage", "Progress", "Created")]))
    body = []
    for r in rows:
        jid = r["id"]
        href = f"/results/{jid}" if r.get("state") == "succeeded" else f"/jobs/{jid}"
        pct = int(round(100 * float(r.get("fraction") or 0)))
        body.append(html.Tr([
            html.Td(html.A(jid[:8], href=href, title=jid)),
            html.Td(state_badge(r.get("state"))),
            html.Td(r.get("stage") or "—", className="small"),
            html.Td(dbc.Progress(value=pct, label=f"{pct}%", style={"height": "1rem", "minWidth": "6rem"})),
            html.Td(str(r.get("created") or "")[:19].replace("T", " "), className="small text-muted"),
        ]))
    return dbc.Table([head, html.Tbody(body)], hover=True, size="sm", className="awd-table mb-0", id=ids.LIST)


@callback(output=Output(ids.TABLE, "children"), inputs=dict(_n=Input(ids.POLL, "n_intervals")))
async def refresh(_n):
    """``GET /api/jobs`` -> table."""
    try:
        rows = items(await get_client().list_jobs())
    except ApiError as err:
        return dbc.Alert(f"Could not list jobs: {err.message}", color="danger")
    return jobs_table(rows)
