"""Small layout helpers shared by the pages (badges, list unwrapping, id checks)."""

from __future__ import annotations

import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

__all__ = ["STATE_COLORS", "items", "state_badge", "is_job_id", "figure_card", "graph_config", "fmt_seconds",
           "not_found_card", "triggered_id"]

STATE_COLORS = {"queued": "secondary", "running": "primary", "succeeded": "success", "failed": "danger",
                "cancelled": "warning"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def items(resp: Any) -> list:
    """The rows of a list response: ``{data: [...], count}`` or a bare list."""
    if isinstance(resp, dict):
        resp = resp.get("data", resp.get("items", []))
    return list(resp) if isinstance(resp, list) else []


def is_job_id(token: str | None) -> bool:
    """True when a results-path token is a job id (a UUID), False for a share token."""
    return bool(token) and bool(_UUID.match(str(token)))


def state_badge(state: str | None, **kwargs) -> dbc.Badge:
    """A coloured badge for a job state (colour plus text, never colour alone)."""
    state = state or "unknown"
    return dbc.Badge(state, color=STATE_COLORS.get(state, "light"), className="text-uppercase", **kwargs)


def fmt_seconds(seconds: float | None) -> str:
    """``"3 min 20 s"`` style durations; ``"—"`` for unknown."""
    if seconds is None:
        return "—"
    seconds = max(0, int(round(float(seconds))))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


def graph_config(filename: str) -> dict:
    """dcc.Graph config: PNG download from the modebar under a meaningful file name."""
    return {"displaylogo": False, "responsive": True,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


def figure_card(title: str, graph_id: str, filename: str, *, extra=None, help_text: str | None = None,
                figure=None, height: int | None = None) -> dbc.Card:
    """A card holding one graph, with PNG and SVG download buttons in its header.

    The buttons carry ``data-graph`` and ``data-format``; ``assets/awd.js`` turns a
    click into ``Plotly.downloadImage`` on that graph (client-side, no server work).
    """
    buttons = dbc.ButtonGroup([
        html.Button(fmt, className="btn btn-outline-secondary btn-sm awd-download-figure",
                    **{"data-graph": graph_id, "data-format": fmt.lower(), "data-filename": filename,
                       "aria-label": f"Download {title} as {fmt}", "type": "button"}, id=f"{graph_id}-{fmt.lower()}")
        for fmt in ("PNG", "SVG")
    ], size="sm")
    header = dbc.CardHeader(html.Div([html.H2(title, className="h6 mb-0"), buttons],
                                     className="d-flex justify-content-between align-items-center"))
    body = [html.P(help_text, className="text-muted small mb-2")] if help_text else []
    if extra is not None:
        body.append(extra)
    extra_props = {"style": {"height": f"{height}px"}} if height else {}
    body.append(dcc.Loading(dcc.Graph(id=graph_id, config=graph_config(filename), figure=figure or {},
                                      **extra_props), type="dot"))
    return dbc.Card([header, dbc.CardBody(body)], className="mb-4 shadow-sm", id=f"{graph_id}-card")


def not_found_card(title: str = "Nothing here", detail: str | None = None) -> dbc.Card:
    """The friendly 404 block (unknown page, unknown job, invalid or revoked share link)."""
    return dbc.Card(dbc.CardBody([
        html.Div("404", className="display-4 text-muted", **{"aria-hidden": "true"}),
        html.H1(title, className="h3", id="not-found-title"),
        html.P(detail or "The page you asked for does not exist.", className="text-muted"),
        dbc.Button("Go to the start page", href="/", color="primary"),
    ], className="text-center py-5"), className="shadow-sm mx-auto", style={"maxWidth": "36rem"},
        id="not-found-card")


def triggered_id():
    """``dash.ctx.triggered_id``, or None when called outside a callback (unit tests)."""
    from dash import ctx
    from dash.exceptions import MissingCallbackContextException

    try:
        return ctx.triggered_id
    except MissingCallbackContextException:
        return None
