"""Small helpers shared by the pages: badges, cards, graphs, alerts, id checks and named callback outputs."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException

from awd_studio.frontend.durations import format_seconds as fmt_seconds  # "3 min 20 s"; "—" for unknown

__all__ = ["dataset_labels", "STATE_COLORS", "APP_NAV", "SUBMITTED_JOB", "VIEWPORT", "NARROW_PX", "is_narrow",
           "panel_columns", "items", "state_badge", "is_job_id", "figure_card", "graph", "graph_config", "graph_style",
           "size_graphs_to_their_figures", "fmt_seconds", "not_found_card", "triggered_id", "DEFAULT_GRAPH_HEIGHT",
           "named_update", "alert_outputs", "alert_value", "stack_on_phones", "run_file_name", "run_label",
           "teacher_text", "queue_words"]

#: The app's ``dcc.Location`` (in ``app.py``); a page callback moves the browser by writing its ``href``.
APP_NAV = "app-nav"

#: The app's store of the browser window's width in CSS pixels (in ``app.py``, written client-side when a page
#: opens): the callbacks that draw many panels lay them out for it (:func:`panel_columns`).
VIEWPORT = "app-viewport"

#: Below this width (CSS pixels, Bootstrap's ``sm`` breakpoint) a screen is a phone's: tables stack
#: (``assets/awd.css``) and figures put fewer panels in a row.
NARROW_PX = 576


def is_narrow(viewport_width) -> bool:
    """Whether a window ``viewport_width`` CSS pixels wide is a phone's (unknown: it is not).

    Examples
    --------
    >>> is_narrow(390), is_narrow(1280), is_narrow(None)
    (True, False, False)
    """
    return isinstance(viewport_width, int | float) and viewport_width < NARROW_PX


def panel_columns(viewport_width, wide: int, narrow: int) -> int:
    """How many figure panels to put in a row on a window ``viewport_width`` pixels wide (unknown: a wide one).

    Examples
    --------
    >>> panel_columns(390, 4, 2), panel_columns(1280, 4, 2), panel_columns(None, 4, 2)
    (2, 4, 4)
    """
    return narrow if is_narrow(viewport_width) else wide


#: The app's session store (in ``app.py``) of the job this browser tab has just submitted: written by the configure
#: page, taken by that job's page on its first poll, so that the job moves on to its results when it succeeds even
#: if it ended before that poll.
SUBMITTED_JOB = "app-submitted-job"

STATE_COLORS = {"queued": "secondary", "running": "primary", "succeeded": "success", "failed": "danger",
                "cancelled": "warning"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def items(resp: Any) -> list:
    """The rows of a list response: ``{data: [...], count}`` or a bare list."""
    if isinstance(resp, dict):
        resp = resp.get("data", resp.get("items", []))
    return list(resp) if isinstance(resp, list) else []


def queue_words(running, queued, joiner: str = " and ") -> str:
    """Jobs running and queued, in words (``""`` when there are none); the job page and the configure page's
    estimate say them.

    Examples
    --------
    >>> queue_words(1, 2), queue_words(0, 1), queue_words(2, 0, ", ")
    ('1 job running and 2 queued', '1 job queued', '2 jobs running')
    """
    parts = [f"{running} job{'s' if running != 1 else ''} running" if running else "",
             (f"{queued} queued" if running else f"{queued} job{'s' if queued != 1 else ''} queued") if queued else ""]
    return joiner.join(p for p in parts if p)


def teacher_text(job: dict) -> str:
    """Pure: a run's teacher as the jobs list and the compare page name it: the architecture, after "auto: " when
    auto chose it (review 21: a run submitted with auto showed as a plain "mlp"); uploaded weights by their name
    alone (the job's config says "auto" for an exported program: review 23 read "auto: uploaded: ...").

    Examples
    --------
    >>> teacher_text({"teacher_name": "mlp", "config": {"teacher": "auto"}}), teacher_text({"teacher_name": "cnn"})
    ('auto: mlp', 'cnn')
    >>> teacher_text({"teacher_name": "uploaded: std (exported program)", "teacher_id": "t1",
    ...               "config": {"teacher": "auto"}})
    'uploaded: std (exported program)'
    """
    name = job.get("teacher_name") or "—"
    auto = ((job.get("config") or {}).get("teacher") == "auto" and name not in ("—", "auto")
            and not job.get("teacher_id"))
    return f"auto: {name}" if auto else name


def run_label(token: str) -> str:
    """What a run's downloads are named after: the job id's first 8 characters, or for a share link ``shared-``
    and 6 hex digits of its SHA-256, never a part of the secret link itself (the API names its files the same way).

    Examples
    --------
    >>> run_label("1a2b3c4d-0000-4000-8000-000000000000"), run_label("B-rfgG3-secret-share-token")
    ('1a2b3c4d', 'shared-9e8d88')
    """
    return token[:8] if is_job_id(token) else "shared-" + hashlib.sha256(token.encode()).hexdigest()[:6]


def run_file_name(token: str | None, name: str) -> str:
    """A result file's download name, after its run: ``awd-<run_label>-<name>`` (the API's answers carry the same;
    assets/awd.js names the figure buttons' files after the results page's ``data-run-label``); ``name`` without a
    run.

    Examples
    --------
    >>> run_file_name("1a2b3c4d-0000-4000-8000-000000000000", "student.csv"), run_file_name(None, "x.csv")
    ('awd-1a2b3c4d-student.csv', 'x.csv')
    """
    return f"awd-{run_label(token)}-{name}" if token else name


def is_job_id(token: str | None) -> bool:
    """True when a results-path token is a job id (a UUID), False for a share token."""
    return bool(token) and bool(_UUID.match(str(token)))


def state_badge(state: str | None, **kwargs) -> dbc.Badge:
    """A coloured badge for a job state (colour plus text, never colour alone)."""
    state = state or "unknown"
    return dbc.Badge(state, color=STATE_COLORS.get(state, "light"), className="text-uppercase", **kwargs)


def graph_config(filename: str) -> dict:
    """dcc.Graph config: PNG download from the modebar under a meaningful file name; no "share to Plotly Cloud"
    button (the data stay on this server); no lasso, zoom-in/out or autoscale buttons."""
    return {"displaylogo": False, "responsive": True, "showSendToCloud": False, "showEditInChartStudio": False,
            # half the buttons: the full bar covered the top right panel's title on hover; box zoom, pan,
            # reset and box select (the explain panel's drawing) stay
            "modeBarButtonsToRemove": ["lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"],
            # Plotly's "Double-click to zoom back out" tip covered a card's PNG / SVG buttons (review 26B)
            "showTips": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


#: A graph's figure before its callback draws one: data and layout given, so that plotly draws an empty plot
#: (a bare ``{}`` reached plotly as a redraw of a container with no plot yet, one console warning per graph).
EMPTY_FIGURE = {"data": [], "layout": {}}

#: Height in pixels of a graph whose figure sets none (plotly's own default is 450).
DEFAULT_GRAPH_HEIGHT = 360

#: Clientside: the graph's box takes the height its figure asks for (see :func:`graph`).
_SIZE_TO_FIGURE = """function (figure) {
    var h = figure && figure.layout && figure.layout.height;
    return {height: (h || %d) + "px"};
}""" % DEFAULT_GRAPH_HEIGHT


def _figure_height(figure) -> int:
    layout = figure.get("layout", {}) if isinstance(figure, dict) else getattr(figure, "layout", None)
    height = layout.get("height") if isinstance(layout, dict) else getattr(layout, "height", None)
    return int(height or DEFAULT_GRAPH_HEIGHT)


def graph_style(figure) -> dict:
    """A graph box's style for ``figure``: its ``layout.height`` (:data:`DEFAULT_GRAPH_HEIGHT` without one).

    A callback that returns it beside the figure has plotly draw the figure at its height at once: a responsive
    ``dcc.Graph`` draws in its box's height, whatever the figure's, and a box sized by
    :func:`size_graphs_to_their_figures` follows a new figure only once Dash has run that client-side callback,
    after the figure was drawn (on the results page the student's figure was drawn 360 px high, then 535 px 0.8 s
    to 1.2 s later).

    Examples
    --------
    >>> graph_style({"layout": {"height": 535}}), graph_style(None)
    ({'height': '535px'}, {'height': '360px'})
    """
    return {"height": f"{_figure_height(figure or {})}px"}


def graph(graph_id: str, filename: str, figure=None) -> dcc.Graph:
    """A graph that fills its column's width and is exactly as tall as its figure says.

    A responsive ``dcc.Graph`` hands its size to its box, and a box without a height collapses to a few
    pixels (the preview plots did, a second after drawing). So the box gets the figure's
    ``layout.height`` here, and :func:`size_graphs_to_their_figures` keeps it in step when a callback
    draws a new figure.
    """
    return dcc.Graph(id=graph_id, figure=figure if figure is not None else EMPTY_FIGURE,
                     config=graph_config(filename), responsive=True,
                     style=graph_style(figure))


def size_graphs_to_their_figures(*graph_ids: str) -> None:
    """Register (once, at import) a clientside callback per graph that sizes its box to each new figure."""
    for graph_id in graph_ids:
        clientside_callback(_SIZE_TO_FIGURE, Output(graph_id, "style"), Input(graph_id, "figure"))


def figure_card(title: str, graph_id: str, filename: str, *, extra=None, help_text: str | None = None,
                figure=None) -> dbc.Card:
    """A card holding one graph, with PNG and SVG download buttons in its header.

    The buttons carry ``data-graph`` and ``data-format``; ``assets/awd.js`` turns a
    click into ``Plotly.downloadImage`` on that graph (client-side, no server work). What they save is the figure
    as the page shows it (the example, grid point or options chosen), named ``<filename>-as-shown``: a result's
    own files of the same figure (its Downloads, drawn when it finished) keep the plain name, and a review found
    the two saved under one name with different contents.
    """
    filename = f"{filename}-as-shown"
    buttons = dbc.ButtonGroup([
        html.Button(fmt, className="btn btn-outline-secondary btn-sm awd-download-figure",
                    **{"data-graph": graph_id, "data-format": fmt.lower(), "data-filename": filename,
                       "aria-label": f"Download {title} as {fmt}", "type": "button"}, id=f"{graph_id}-{fmt.lower()}")
        for fmt in ("PNG", "SVG")
    ], size="sm")
    header = dbc.CardHeader(html.Div([html.H3(title, className="h6 mb-0"), buttons],
                                     className="d-flex justify-content-between align-items-center"))
    body = [html.P(help_text, className="text-muted small mb-2", id=f"{graph_id}-help")] if help_text else []
    if extra is not None:
        body.append(extra)
    # named for screen readers (the chart itself is an SVG without words): its title, and its help as description
    named = {"aria-label": f"Chart: {title}", **({"aria-describedby": f"{graph_id}-help"} if help_text else {})}
    body.append(dcc.Loading(html.Div(graph(graph_id, filename, figure), role="figure", **named), type="dot"))
    return dbc.Card([header, dbc.CardBody(body)], className="mb-4 shadow-sm", id=f"{graph_id}-card")


def _children(component) -> list:
    children = getattr(component, "children", None)
    return children if isinstance(children, list) else [] if children is None else [children]


def stack_on_phones(table: dbc.Table) -> dbc.Table:
    """The same table, drawn as one block per row on a narrow screen (``assets/awd.css``, below 576 px).

    Each body cell gets its column's header as ``data-label``, which the stacked layout prints in front of it; a
    column whose header is empty or not plain text (a checkbox, the action buttons) prints no label. On a wider
    screen nothing changes. A phone showed the first column alone, the rest hidden to the right.

    Parameters
    ----------
    table : dbc.Table
        With a ``html.Thead`` holding one header row and a ``html.Tbody``, or a list of body rows.

    Returns
    -------
    dbc.Table
        ``table`` itself, labelled, with the class ``awd-stack``.
    """
    parts = _children(table)
    heads = [part for part in parts if isinstance(part, html.Thead)]
    labels = [_plain_text(getattr(cell, "children", None))
              for row in heads[:1] for tr in _children(row) for cell in _children(tr)]
    for part in parts:
        for row in (_children(part) if isinstance(part, html.Tbody) else [part] if isinstance(part, html.Tr) else []):
            for label, cell in zip(labels, _children(row)):
                if label and isinstance(cell, html.Td | html.Th):
                    setattr(cell, "data-label", label)
    table.className = f"{getattr(table, 'className', None) or ''} awd-stack".strip()
    return table


def _plain_text(children) -> str:
    """A header's text: a string, or strings split by line breaks (``["Band", html.Br(), "(level)"]`` reads
    "Band (level)"); "" for anything else (a checkbox, buttons)."""
    if isinstance(children, str):
        return children
    if isinstance(children, list | tuple) and children and all(isinstance(c, str | html.Br) for c in children):
        return " ".join(c for c in children if isinstance(c, str))
    return ""


def not_found_card(title: str = "Nothing here", detail: str | None = None, *, home: bool = True,
                   code: str | None = "404") -> dbc.Card:
    """The friendly 404 block (unknown page, unknown job, invalid or revoked share link).

    ``home=False`` leaves out the link to the start page (a share link's reader has no owner pages);
    ``code=None`` leaves out the big status number.
    """
    return dbc.Card(dbc.CardBody([
        html.Div(code, className="display-4 text-muted", **{"aria-hidden": "true"}) if code else None,
        html.H1(title, className="h3", id="not-found-title"),
        html.P(detail or "The page you asked for does not exist.", className="text-muted", id="not-found-detail"),
        dbc.Button("Go to the start page", href="/", color="primary") if home else None,
    ], className="text-center py-5"), className="shadow-sm mx-auto", style={"maxWidth": "36rem"},
        id="not-found-card")


def triggered_id():
    """``dash.ctx.triggered_id``, or None when called outside a callback (unit tests)."""
    try:
        return ctx.triggered_id
    except (MissingCallbackContextException, LookupError):  # LookupError: in a thread of its own
        return None


def named_update(outputs: dict, **values) -> dict:
    """The return value of a callback with named outputs: ``values`` for the outputs it names, the rest unchanged.

    Parameters
    ----------
    outputs : dict
        The callback's ``output=`` dict (name -> ``Output``, or a nested dict such as :func:`alert_outputs`).
    **values
        The new value of each output to change, by name.

    Returns
    -------
    dict
        One entry per name of ``outputs``: the given value, else ``dash.no_update`` (for a nested group,
        a group of ``no_update``: Dash wants every group whole).

    Examples
    --------
    >>> named_update({"a": Output("x", "children"), "b": Output("y", "children")}, a=1)["b"] is no_update
    True
    """
    unknown = set(values) - set(outputs)
    if unknown:
        raise ValueError(f"outputs: no output named {', '.join(sorted(unknown))}; the names are {', '.join(outputs)}")
    return {name: values[name] if name in values else _unchanged(spec) for name, spec in outputs.items()}


def _unchanged(spec):
    """``no_update`` in the shape of an output group (a dict or list of ``Output``, or one ``Output``)."""
    if isinstance(spec, dict):
        return {name: _unchanged(s) for name, s in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_unchanged(s) for s in spec]
    return no_update


def alert_outputs(alert_id: str, *, allow_duplicate: bool = False) -> dict:
    """Named outputs of a ``dbc.Alert``: its text (``children``) and whether it shows (``is_open``).

    Write them with :func:`alert_value`. ``allow_duplicate`` as for ``dash.Output``, for the second
    callback that writes the same alert.
    """
    return {prop: Output(alert_id, prop, allow_duplicate=allow_duplicate) for prop in ("children", "is_open")}


def alert_value(message) -> dict:
    """The value of :func:`alert_outputs`: show ``message``, or close the alert when it is empty or None."""
    return {"children": message, "is_open": bool(message)}


def dataset_labels(datasets: list[dict], jobs: list[dict] = ()) -> dict[str, str]:
    """Pure: dataset id -> the name shown; a name that several stored datasets share gets the id's start.

    Datasets come from ``GET /api/datasets`` (``id``, ``name``) and from the jobs (``dataset_id``,
    ``dataset_name``), so a table of either can tell two uploads of "traces.csv" apart.

    Examples
    --------
    >>> dataset_labels([{"id": "1a2b3c4d-x", "name": "traces"}, {"id": "9f8e7d6c-y", "name": "traces"},
    ...                 {"id": "00aa11bb-z", "name": "maps"}])
    {'1a2b3c4d-x': 'traces · 1a2b3c', '9f8e7d6c-y': 'traces · 9f8e7d', '00aa11bb-z': 'maps'}
    """
    names = {d["id"]: d.get("name") or d["id"][:8] for d in datasets}
    for j in jobs:
        if j.get("dataset_id") and j.get("dataset_name"):
            names.setdefault(j["dataset_id"], j["dataset_name"])
    counts = Counter(names.values())
    return {i: f"{name} · {i[:6]}" if counts[name] > 1 else name for i, name in names.items()}
