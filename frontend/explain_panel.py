"""The results page's "Explain a prediction" panel: CartoonX explanations of one test example.

Pick a test example, the model, the wavelet and λ, press "Explain" (the owner only: ``POST
/api/results/{id}/explain`` starts a worker task, or returns the same settings' cached explanation), watch the
progress (``GET .../explanations/{id}`` every half second), then see side by side the input, the cartoon, the
mask per scale and the pixel-mask baseline with the predictions. "Draw your own mask": box-select the part of
the shown input to keep; ``POST .../explain/mask`` answers with the explained model's expected output when the
rest is replaced by noise. A share link's reader sees the explanations the owner made (the list) but cannot start one:
the button is disabled with a sentence saying why. Callbacks read and write components by name; :class:`ids`
holds their ids.
"""

from __future__ import annotations

import functools
import math
import re
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, dcc, html, no_update

from awd_studio.frontend import figures, share_dialog
from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import (
    VIEWPORT,
    graph,
    is_job_id,
    named_update,
    panel_columns,
    run_file_name,
    size_graphs_to_their_figures,
    triggered_id,
)
from awd_studio.frontend.figures import explain as explain_figures
from awd_studio.frontend.figures.style import common_decimals, fmt_decimals, share_words
from awd_studio.frontend.help_links import help_link

__all__ = ["ids", "panel", "WAVELET_CHOICES", "READ_ONLY_NOTE", "box_mask"]


class ids:  # noqa: N801 (a namespace of constants)
    """Component ids of the panel (the strings are what tests/e2e look for)."""

    PANEL = "explain-panel"
    EXAMPLE = "explain-example"
    EXAMPLE_LABEL = "explain-example-label"
    MODEL = "explain-model"
    WAVELET = "explain-wavelet"
    LAM = "explain-lam"
    START = "explain-start"
    READ_ONLY = "explain-read-only"
    CAVEAT = "explain-caveat"
    DOWNLOADS = "explain-downloads"
    #: The share each band of the shown explanation keeps.
    BANDS = "explain-bands"
    #: What a screen reader says when an explanation starts running, ends or fails (not every progress tick).
    ANNOUNCE = "explain-announce"
    #: The keyboard's way to a drawn mask: the samples (or columns) and, on maps, the rows to keep.
    KEEP_FROM = "explain-keep-from"
    KEEP_TO = "explain-keep-to"
    KEEP_AXIS = "explain-keep-axis"
    KEEP_ROWS = "explain-keep-rows"
    ROWS_FROM = "explain-rows-from"
    ROWS_TO = "explain-rows-to"
    KEEP_APPLY = "explain-keep-apply"
    LIST = "explain-list"
    CURRENT = "explain-current"
    POLL = "explain-poll"
    PROGRESS = "explain-progress"
    STATUS = "explain-status"
    GRAPH = "explain-graph"
    PRED_FULL = "explain-pred-full"
    PRED_CARTOON = "explain-pred-cartoon"
    PRED_NOISE = "explain-pred-noise"
    PRED_BASELINE = "explain-pred-baseline"
    PRED_TRUE = "explain-pred-true"
    DRAW = "explain-draw"
    DRAW_GRAPH = "explain-draw-graph"
    DRAW_RESULT = "explain-draw-result"
    #: The drawing graph's box: as wide as a map (the toolbar's box tool then sits beside it), full width for series.
    DRAW_BOX = "explain-draw-box"
    #: The shown explanation's input and example index (what a brush draws on).
    SHOWN = "explain-shown"
    #: The result's own time axis (``data.sample_axis``), for the series figures' x labels.
    SAMPLE_AXIS = "explain-sample-axis"
    TOKEN = share_dialog.ids.TOKEN  # the results page's store of its token


WAVELET_CHOICES = [("learned AWD wavelet", "learned"), ("initial wavelet", "initial"), ("sym4", "sym4"),
                   ("db4", "db4"), ("haar", "haar")]
READ_ONLY_NOTE = ("This is a read-only link: you can view the explanations the owner made, but only the owner "
                  "can start new ones.")
_POLL_MS = 500
size_graphs_to_their_figures(ids.GRAPH, ids.DRAW_GRAPH)


def _number(label, id_):
    return html.Div([html.Div(label, className="small text-muted"),
                     html.Div("—", id=id_, className="fs-6 fw-semibold")], className="me-4")


#: What the results page's load callback fills in this panel, by output name (see :func:`loaded`).
LOAD_OUTPUTS = dict(explain_sample_axis=Output(ids.SAMPLE_AXIS, "data"))


def loaded(bundle: dict) -> dict:
    """The values of :data:`LOAD_OUTPUTS` for a result bundle."""
    return dict(explain_sample_axis=(bundle.get("data") or {}).get("sample_axis"))


@functools.lru_cache(maxsize=8)
def placeholder_figure(message: str | None, drawing: bool = False) -> dict:
    """The panel's empty figures, built once (as plain dicts) and reused by every page: each results page drew them
    anew on the event loop, 27 ms apiece on a quiet machine, which held other requests while several pages
    loaded (review 27B). Never mutated: Dash only serialises a layout's figures."""
    fig = explain_figures.drawing_figure(None) if drawing else figures.empty_figure(message)
    return fig.to_dict()


def panel(token: str | None) -> dbc.Card:
    """The panel (owner and shared views; in the shared view "Explain" is disabled, with a sentence)."""
    shared = not is_job_id(token)
    # one row from 1200 px; below, two (review 40: at 800 px the example's "0–239" ran into "Model", and the λ
    # slider's column, under 200 px wide, lost its number box, which Dash hides in so narrow a slider)
    controls = dbc.Row([
        dbc.Col([dbc.Label("Test example", html_for=ids.EXAMPLE, id=ids.EXAMPLE_LABEL, className="text-nowrap"),
                 dbc.Input(id=ids.EXAMPLE, type="number", min=0, step=1, value=0)], md=4, xl=2),
        dbc.Col([dbc.Label("Model", html_for=ids.MODEL),
                 dbc.Select(id=ids.MODEL, value="teacher", options=[{"label": "teacher", "value": "teacher"},
                                                                    {"label": "AWD student", "value": "student"}])],
                md=4, xl=2),
        dbc.Col([dbc.Label("Wavelet", html_for=ids.WAVELET),
                 dbc.Select(id=ids.WAVELET, value="learned",
                            options=[{"label": a, "value": b} for a, b in WAVELET_CHOICES])], md=4, xl=3),
        dbc.Col([dbc.Label("λ (sparsity)", html_for=ids.LAM),
                 dcc.Slider(id=ids.LAM, min=0, max=1, step=0.05, value=0.2,
                            marks={0: "0", 0.2: "0.2", 0.5: "0.5", 1: "1"},
                            tooltip={"placement": "bottom", "always_visible": False})], md=8, xl=3),
        dbc.Col(dbc.Button("Explain", id=ids.START, color="primary", n_clicks=0, disabled=shared,
                           className="mt-4"), md=4, xl=2),
    ], className="g-2 align-items-start")
    return dbc.Card([
        dbc.CardHeader(html.H2(["Explain a prediction", help_link("explain")], className="h6 mb-0")),
        dbc.CardBody([
            html.P("Which wavelet coefficients of one test input does the model need to keep its prediction? "
                   "The mask keeps a sparse set; the rest is replaced by noise (CartoonX). The cartoon is the "
                   "input rebuilt from the kept coefficients only.", className="text-muted small mb-2"),
            # a share link's reader cannot start one: no form that does nothing (review 26B: 1.3 phone screens)
            html.Div(controls, style={"display": "none"} if shared else {}),
            dbc.Alert(READ_ONLY_NOTE, id=ids.READ_ONLY, color="secondary", className="py-2 small mt-2",
                      is_open=shared),
            dbc.Alert(id=ids.CAVEAT, color="warning", className="py-2 small mt-2", is_open=False),
            dbc.Row([dbc.Col([dbc.Label("Explanations of this result", html_for=ids.LIST),
                              dcc.Dropdown(id=ids.LIST, clearable=False, placeholder="none yet")], md=8)],
                    className="mt-2"),
            dbc.Progress(id=ids.PROGRESS, value=0, className="my-2", style={"height": "6px"}),
            html.Div(id=ids.STATUS, className="small mb-2"),
            html.Div(id=ids.ANNOUNCE, className="visually-hidden", role="status", **{"aria-live": "polite"}),
            html.Div([_number("Prediction on the full input", ids.PRED_FULL),
                      _number("On the cartoon", ids.PRED_CARTOON),
                      _number("Under noise (mean ± SD)", ids.PRED_NOISE),
                      _number("Pixel-mask baseline cartoon", ids.PRED_BASELINE),
                      _number("True value", ids.PRED_TRUE)], className="d-flex flex-wrap mb-2"),
            graph(ids.GRAPH, "awd-explanation", placeholder_figure(
                "Pick an explanation above (only the result's owner can start one)" if shared
                else "Start an explanation, or pick one above")),
            html.Div(id=ids.BANDS),
            html.Div(id=ids.DOWNLOADS, className="small"),
            html.Div([
                html.H3("Draw your own mask", className="h6 mt-3"),
                html.P("Box-select the part of the input to keep (the toolbar's box tool), or type it in below; "
                       "the rest is replaced by noise and the expected output of the explained model (the teacher "
                       "or the student, as in the explanation shown) is given under the numbers.",
                       className="text-muted small"),
                _keep_form(),
                # the answer above the drawing, in view (review 23: under it, below the fold at 800 px)
                html.Div(id=ids.DRAW_RESULT, className="small fw-semibold mb-2", **{"aria-live": "polite"}),
                html.Div(graph(ids.DRAW_GRAPH, "awd-explain-draw", placeholder_figure(None, drawing=True)),
                         id=ids.DRAW_BOX),
            ], id=ids.DRAW, style={"display": "none"} if shared else {}),
            dcc.Store(id=ids.CURRENT), dcc.Store(id=ids.SHOWN), dcc.Store(id=ids.SAMPLE_AXIS),
            dcc.Interval(id=ids.POLL, interval=_POLL_MS, disabled=True),
        ]),
    ], className="mb-4 shadow-sm", id=ids.PANEL)


#: The rows' part of the keyboard form, shown for maps only (Bootstrap's d-flex overrides the hidden attribute).
_ROWS_SHOWN, _ROWS_HIDDEN = "d-flex align-items-center gap-2", "awd-hidden"


def _keep_form() -> html.Div:
    """From and to (inclusive) of the samples, or of a map's columns and rows, to keep: the drawing by keyboard
    (review 22: the box tool took the mouse alone). A box drawn with the mouse fills them in."""
    def number(id_, label):
        return [dbc.Label(label, html_for=id_, className="visually-hidden"),
                dbc.Input(id=id_, type="number", min=0, step=1, size="sm", style={"width": "6rem"})]
    return html.Div([
        html.Span("Keep", className="me-1"),
        html.Span("samples", id=ids.KEEP_AXIS),
        *number(ids.KEEP_FROM, "Keep from"), html.Span("to"), *number(ids.KEEP_TO, "Keep to"),
        html.Span([html.Span("and rows"), *number(ids.ROWS_FROM, "Rows from"), html.Span("to"),
                   *number(ids.ROWS_TO, "Rows to")], id=ids.KEEP_ROWS, className=_ROWS_HIDDEN),
        dbc.Button("Evaluate this mask", id=ids.KEEP_APPLY, size="sm", color="outline-primary", n_clicks=0),
    ], className="d-flex flex-wrap align-items-center gap-2 small mb-2")


def _base(token: str) -> str:
    return f"/api/results/{quote(token, safe='')}"


def _label(item: dict) -> str:
    r = item.get("request") or {}
    state = item.get("state")
    return (f"example {r.get('example')} · {r.get('model')} · {r.get('wavelet')} · λ = {r.get('lam')}"
            + ("" if state == "succeeded" else f" ({state})"))


LIST_OUTPUTS = dict(options=Output(ids.LIST, "options"), value=Output(ids.LIST, "value"),
                    start_disabled=Output(ids.START, "disabled"), status=Output(ids.STATUS, "children"),
                    example_max=Output(ids.EXAMPLE, "max"), example_label=Output(ids.EXAMPLE_LABEL, "children"),
                    models=Output(ids.MODEL, "options"), wavelet=Output(ids.WAVELET, "value", allow_duplicate=True),
                    caveat=Output(ids.CAVEAT, "children"), caveat_open=Output(ids.CAVEAT, "is_open"))

def teacher_caveat(listing: dict) -> str:
    """A sentence when the service calls the teacher weak (``weak_teacher`` of the explanations' list), else ``""``.

    Examples
    --------
    >>> teacher_caveat({"weak_teacher": False, "teacher_test_r2": 0.8}), teacher_caveat({})
    ('', '')
    >>> teacher_caveat({"weak_teacher": True, "teacher_test_r2": -0.02})[:40]
    "The teacher's test R² is -0.02: explanat"
    """
    if not listing.get("weak_teacher"):
        return ""
    return (f"The teacher's test R² is {figures.fmt_number(listing.get('teacher_test_r2'))}: explanations of it show "
            "what a network that learned little about the target looks at, not what the data hold.")


def model_options(has_student: bool) -> list[dict]:
    """The Model choices: the AWD student only where it has a gradient to explain (time series).

    Examples
    --------
    >>> [o.get("disabled", False) for o in model_options(False)]
    [False, True]
    """
    student = {"label": "AWD student", "value": "student"}
    if not has_student:
        student = {"label": "AWD student (time series only)", "value": "student", "disabled": True}
    return [{"label": "teacher", "value": "teacher"}, student]


@callback(output=LIST_OUTPUTS, inputs=dict(token=Input(ids.TOKEN, "data")), prevent_initial_call="initial_duplicate")
async def list_explanations(token):
    """The explanations made so far; whether this visitor may start one; the models that can be explained and the
    wavelet cross-validation kept (the form's default until an explanation is shown)."""
    if not token:
        return named_update(LIST_OUTPUTS)
    try:
        body = await get_client().request("GET", f"{_base(token)}/explanations")
    except ApiError as exc:
        return named_update(LIST_OUTPUTS, start_disabled=True, status=exc.message)
    done = [item for item in body["data"] if item.get("state") == "succeeded"]
    caveat = teacher_caveat(body)
    options = [{"label": _label(item), "value": item["id"]} for item in body["data"]]
    status = "" if body["can_start"] or not is_job_id(token) else (
        "This result was written before explanations kept their inputs; rerun the job to explain it.")
    return named_update(LIST_OUTPUTS, options=options, value=done[0]["id"] if done else None,
                        start_disabled=not body["can_start"], status=status,
                        example_max=max(int(body.get("n_test") or 1) - 1, 0),
                        # one line, whatever the count: a wrapped label set the input below the others (review 22)
                        example_label=["Test example ", html.Span(f"0–{max(int(body.get('n_test') or 1) - 1, 0)}",
                                                                  className="small text-muted")],
                        models=model_options(bool(body.get("has_student", True))),
                        wavelet=body.get("recommended_wavelet") or "learned",
                        caveat=caveat, caveat_open=bool(caveat))


START_OUTPUTS = dict(current=Output(ids.CURRENT, "data"), poll=Output(ids.POLL, "disabled"),
                     status=Output(ids.STATUS, "children", allow_duplicate=True),
                     options=Output(ids.LIST, "options", allow_duplicate=True),
                     value=Output(ids.LIST, "value", allow_duplicate=True))


@callback(output=START_OUTPUTS,
          inputs=dict(clicks=Input(ids.START, "n_clicks")),
          state=dict(token=State(ids.TOKEN, "data"), example=State(ids.EXAMPLE, "value"),
                     model=State(ids.MODEL, "value"), wavelet=State(ids.WAVELET, "value"),
                     lam=State(ids.LAM, "value"), options=State(ids.LIST, "options"),
                     example_max=State(ids.EXAMPLE, "max")),
          prevent_initial_call=True)
async def start(clicks, token, example, model, wavelet, lam, options, example_max=None):
    """"Explain" sends the settings (a cached explanation comes back at once)."""
    if not clicks or not token:
        return named_update(START_OUTPUTS)
    if example is None:  # the field is empty, or holds what it refuses (out of range, not a whole number)
        last = f" from 0 to {example_max}" if example_max is not None else ""
        return named_update(START_OUTPUTS, status=dbc.Alert(f"Test example: enter a whole number{last}.",
                                                            color="warning", className="py-2 mb-0"))
    body = {"example": int(example), "model": model, "wavelet": wavelet, "lam": float(lam)}
    try:
        started = await get_client().request("POST", f"{_base(token)}/explain", json=body)
    except ApiError as exc:
        return named_update(START_OUTPUTS, status=dbc.Alert(exc.message, color="warning", className="py-2 mb-0"))
    options = list(options or [])
    if not any(o["value"] == started["id"] for o in options):
        options.insert(0, {"label": _label(started), "value": started["id"]})
    note = "Shown from the cache (same settings)." if started.get("cached") else "Queued for a worker…"
    return named_update(START_OUTPUTS, current=started["id"], poll=False, status=note, options=options,
                        value=started["id"])  # the list names the explanation shown


POLL_OUTPUTS = dict(poll=Output(ids.POLL, "disabled", allow_duplicate=True), progress=Output(ids.PROGRESS, "value"),
                    status=Output(ids.STATUS, "children", allow_duplicate=True), figure=Output(ids.GRAPH, "figure"),
                    full=Output(ids.PRED_FULL, "children"), cartoon=Output(ids.PRED_CARTOON, "children"),
                    noise=Output(ids.PRED_NOISE, "children"), baseline=Output(ids.PRED_BASELINE, "children"),
                    y_true=Output(ids.PRED_TRUE, "children"), draw=Output(ids.DRAW_GRAPH, "figure"),
                    draw_box=Output(ids.DRAW_BOX, "style"),
                    shown=Output(ids.SHOWN, "data"), draw_result=Output(ids.DRAW_RESULT, "children"),
                    options=Output(ids.LIST, "options", allow_duplicate=True),
                    example=Output(ids.EXAMPLE, "value"), model=Output(ids.MODEL, "value"),
                    wavelet=Output(ids.WAVELET, "value"), lam=Output(ids.LAM, "value"),
                    downloads=Output(ids.DOWNLOADS, "children"), bands=Output(ids.BANDS, "children"),
                    announce=Output(ids.ANNOUNCE, "children"))


def _relabelled(options, explanation_id, state) -> list:
    """The list's options with the entry of ``explanation_id`` relabelled now that it is ``state``.

    Examples
    --------
    >>> queued = [{"label": "example 3 · learned (queued)", "value": "e1"}, {"label": "example 0", "value": "e0"}]
    >>> [o["label"] for o in _relabelled(queued, "e1", "running")]
    ['example 3 · learned (running)', 'example 0']
    >>> _relabelled(queued, "e1", "succeeded")[0]["label"]
    'example 3 · learned'
    """
    out = []
    for option in options or []:
        if option.get("value") == explanation_id:
            label = re.sub(r" \((queued|running)\)$", "", str(option.get("label", "")))
            option = {**option, "label": label if state == "succeeded" else f"{label} ({state})"}
        out.append(option)
    return out


@callback(output=POLL_OUTPUTS, inputs=dict(tick=Input(ids.POLL, "n_intervals"), current=Input(ids.CURRENT, "data"),
                                           picked=Input(ids.LIST, "value"), viewport=Input(VIEWPORT, "data"),
                                           sample_axis=Input(ids.SAMPLE_AXIS, "data")),
          state=dict(token=State(ids.TOKEN, "data"), options=State(ids.LIST, "options")),
          prevent_initial_call=True)
async def poll(tick, current, picked, token, options=None, viewport=None, sample_axis=None):
    """Progress while it runs; the figure, the numbers and the form's settings once it is done (of the one picked
    in the list, or the one just started), drawn again for a window that turned into a phone's or back, and once
    the result's time axis (``sample_axis``) has arrived."""
    if triggered_id() == ids.LIST or not current:
        current = picked
    if not current or not token:
        return named_update(POLL_OUTPUTS, poll=True)
    try:
        body = await get_client().request("GET", f"{_base(token)}/explanations/{quote(current, safe='')}")
    except ApiError as exc:
        return named_update(POLL_OUTPUTS, poll=True, status=exc.message)
    state, fraction = body.get("state"), float(body.get("fraction") or 0)
    if state in ("queued", "running"):
        # the list says what the status line says ("(queued)" stayed while it ran: review 22), and the figure
        # area that it is coming; both once, when the state changes, not at every tick
        relabelled = _relabelled(options, current, state)
        changed = {} if relabelled == (options or []) else dict(
            options=relabelled, figure=figures.empty_figure("Explaining: the figure comes when it is done"), bands="",
            announce=f"Explanation {state}.")
        return named_update(POLL_OUTPUTS, poll=False, progress=round(100 * fraction),
                            status=f"{state}: {100 * fraction:.0f} % · {body.get('message') or ''}", **changed)
    if state == "failed":  # the previous explanation's numbers and figure go: they read as this one's answer
        return named_update(POLL_OUTPUTS, poll=True, progress=0, options=_relabelled(options, current, state),
                            status=dbc.Alert(body.get("error") or "the explanation failed", color="danger",
                                             className="py-2 mb-0"),
                            figure=figures.empty_figure("This explanation failed: see the message above"),
                            full="—", cartoon="—", noise="—", baseline="—", y_true="—", draw_result="",
                            downloads="", bands="", announce="The explanation failed.")
    lines = explain_figures.prediction_lines(body)
    summary = body.get("summary") or {}
    e = summary.get("explanation") or {}
    x = (body.get("arrays") or {}).get("wavelet_x")
    units = "pixels" if len(_shape(x)) == 2 else "samples"
    # "kept" is a mask of 0.5 or more: cells at 0.3-0.4 in the figure read as kept otherwise
    status = [f"Done: kept {lines['kept']} of the wavelet coefficients (mask ≥ 0.5) at λ = {e.get('lam')}; with "
              f"the rest replaced by noise the prediction is {lines['noise']} against {lines['full']} on the full "
              f"input (shift "
              f"{lines.get('shift', '—')}; relative distortion {figures.fmt_number(e.get('relative_distortion'))}, "
              f"the mean squared change of the prediction under noise, shift² + SD², over the same with every "
              f"coefficient dropped). Dropping every coefficient moves the "
              f"prediction by {lines.get('dropped', '—')} (root mean square): a mask keeps a prediction "
              f"meaningfully only where that is large against the targets' spread. The pixel mask kept "
              f"{lines['baseline_kept']} of the {units}."]
    if lines.get("kept_prediction") is False:  # a small relative distortion can hide a large shift (a linear
        # student's output moves far when every coefficient is dropped)
        status.append(html.Div("The mask does not keep this prediction: the shift is larger than the noise's spread. "
                               "Read the cartoon as what the model needs for a different output, or lower λ.",
                               className="text-warning-emphasis fw-semibold"))
    for sentence in summary.get("reading") or []:  # what this explanation cannot show (review 43A: a map's mask
        # kept 93 % and the prediction moved by a sixth of the targets' SD, and the panel left that to the reader)
        status.append(html.Div(sentence, className="text-warning-emphasis fw-semibold"))
    request = summary.get("request") or {}
    # the form shows the settings of the explanation shown (after a reload it read example 0 under another's)
    form = {name: request[name] for name in ("example", "model", "wavelet", "lam") if request.get(name) is not None}
    return named_update(POLL_OUTPUTS, poll=True, progress=100, status=status, **form,
                        figure=explain_figures.explanation_figure(body, panel_columns(viewport, 4, 2), sample_axis),
                        full=lines["full"],
                        cartoon=lines["cartoon"], noise=lines["noise"], baseline=lines["baseline_cartoon"],
                        y_true=lines["y_true"], draw=explain_figures.drawing_figure(x, sample_axis),
                        draw_box=explain_figures.drawing_box_style(_shape(x)),
                        shown={"example": request.get("example"), "wavelet": request.get("wavelet"),
                               "model": request.get("model") or "teacher", "shape": _shape(x)},
                        draw_result="", options=_relabelled(options, current, state),
                        downloads=download_links(token, current), bands=kept_per_band(summary),
                        announce=f"Explanation done: the mask kept {lines['kept']} of the coefficients; prediction "
                                 f"{lines['noise']} under noise against {lines['full']} on the full input.")


def kept_per_band(summary: dict | None):
    """The share of each band's coefficients the mask keeps (≥ 0.5), one row per level, deepest first (review 22:
    on maps the deepest bands, those the mask keeps most, are too small in the picture to carry a name); None
    without bands.

    Examples
    --------
    >>> bands = [{"name": "cA2", "level": 2, "kept_fraction": 1.0, "size": 4},
    ...          {"name": "cD2", "level": 2, "kept_fraction": 0.5, "size": 4},
    ...          {"name": "cD1", "level": 1, "kept_fraction": 0.125, "size": 8}]
    >>> table = kept_per_band({"explanation": {"bands": bands}})
    >>> [[cell.children for cell in row.children] for row in table.children[1].children.children[1].children]
    [['level 2', '100 %', '50 %'], ['level 1', '—', '12 %']]
    """
    bands = ((summary or {}).get("explanation") or {}).get("bands") or []
    if not bands:
        return None
    kinds = [k for k in "AHVD" if any(str(b.get("name", "c?"))[1:2] == k for b in bands)]
    names = {"A": "approximation", "H": "horizontal", "V": "vertical", "D": "detail" if kinds == ["A", "D"]
             else "diagonal"}
    by_level = {}
    for band in bands:
        by_level.setdefault(int(band.get("level", 0)), {})[str(band.get("name", "c?"))[1:2]] = band

    def cell(band):
        if band is None:
            return html.Td("—", className="text-muted")
        share = float(band.get("kept_fraction", 0.0))
        kept = f"{round(share * int(band.get('size', 0)))} of {band.get('size')} coefficients kept"
        # review 42C: a band keeping 3 of 1024 coefficients read "0 %"
        return html.Td(share_words(share, 1.0), title=f"{str(band.get('name'))[1:]}: {kept}")
    rows = [html.Tr([html.Th(f"level {level}", scope="row"), *[cell(by_level[level].get(k)) for k in kinds]])
            for level in sorted(by_level, reverse=True)]
    return html.Div([
        html.Div("Kept per band (mask ≥ 0.5)", className="small fw-semibold mt-2"),
        # a phone scrolls the four columns of a map's bands sideways: inside a box whose edge shadows say so, as
        # the page's other wide tables (awd.css, .table-responsive; an awd-table's cells let them show: review 51
        # found this one scrolling without a hint), the heading outside it, in sight
        html.Div(dbc.Table([
            # "D3" is column D, level 3: the names the mask panel's labels and its pointer give (review 23); the
            # band's name under its letter, a narrower column
            html.Thead(html.Tr([html.Th(""), *[html.Th([k, html.Br(), f"({names[k]})"]) for k in kinds]])),
            html.Tbody(rows)], size="sm", bordered=False, className="awd-table small mb-2 w-auto"),
            className="table-responsive"),
    ])


def download_links(token: str, explanation_id: str) -> list:
    """Links to the shown explanation's files (``GET .../explanations/{id}/files/{name}``).

    Examples
    --------
    >>> links = download_links("1a2b3c4d-0000-4000-8000-000000000000", "0123456789abcdef")
    >>> links[1].href, links[2].download
    ('/api/results/1a2b3c4d-0000-4000-8000-000000000000/explanations/0123456789abcdef/files/explanation.png', \
'awd-1a2b3c4d-explanation-01234567-figure.svg')
    """
    base = f"{_base(token)}/explanations/{quote(explanation_id, safe='')}/files"
    files = (("figure (PNG)", "explanation.png"), ("figure (SVG)", "explanation.svg"), ("arrays (NPZ)", "arrays.npz"),
             ("numbers (JSON)", "summary.json"))
    # named after the run as its other downloads are, as the API names them: awd-<run>-explanation-<id>-figure.png
    links = [html.A(label, href=f"{base}/{name}", className="me-3", download=run_file_name(
        token, f"explanation-{explanation_id[:8]}-{name.replace('explanation.', 'figure.')}")) for label, name in files]
    return ["Download this explanation: ", *links]


def _shape(values) -> list:
    """[L] or [H, W] of a nested list."""
    if not values:
        return []
    return [len(values), len(values[0])] if isinstance(values[0], list) else [len(values)]


def box_mask(shape, selected):
    """A pixel mask (lists of 0/1 of ``shape``) that keeps what a box selection covers.

    Parameters
    ----------
    shape : list of int
        ``[L]`` or ``[H, W]``.
    selected : dict
        Plotly's ``selectedData`` with a ``range`` (``x`` and, for maps, ``y``: [low, high]).

    Returns
    -------
    list or None
        ``None`` without a box.

    Examples
    --------
    >>> box_mask([6], {"range": {"x": [1.5, 3.2]}})
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    >>> box_mask([2, 3], {"range": {"x": [0.6, 2.2], "y": [-0.4, 0.4]}})
    [[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    box = (selected or {}).get("range") or {}
    if "x" not in box or not shape:
        return None
    x0, x1 = sorted(box["x"])
    keep_col = [1.0 if x0 <= i <= x1 else 0.0 for i in range(shape[-1])]
    if len(shape) == 1:
        return keep_col
    y0, y1 = sorted(box.get("y") or [-1e9, 1e9])
    return [[c if y0 <= r <= y1 else 0.0 for c in keep_col] for r in range(shape[0])]


def typed_box(shape, keep_from, keep_to, rows_from=None, rows_to=None):
    """The keyboard form's box as a ``selectedData`` (:func:`box_mask`), or the reason it is not one.

    Parameters
    ----------
    shape : list of int
        ``[L]`` or ``[H, W]`` of the shown input.
    keep_from, keep_to : int or None
        First and last sample (a map's column) kept, inclusive.
    rows_from, rows_to : int or None
        A map's first and last row kept; both blank: every row.

    Returns
    -------
    dict or str

    Examples
    --------
    >>> typed_box([40], 10, 19), typed_box([40], 10, 45)
    ({'range': {'x': [10, 19]}}, 'samples: enter whole numbers from 0 to 39, the first at most the last')
    >>> typed_box([64, 64], 0, 31, None, None)["range"]["y"]
    [0, 63]
    """
    if not shape:
        return "pick an explanation first"

    def pair(low, high, size):
        try:
            low, high = int(low), int(high)
        except (TypeError, ValueError):
            return None
        return [low, high] if 0 <= low <= high < size else None
    x = pair(keep_from, keep_to, shape[-1])
    if x is None:
        return (f"{'samples' if len(shape) == 1 else 'columns'}: enter whole numbers from 0 to {shape[-1] - 1}, "
                "the first at most the last")
    if len(shape) == 1:
        return {"range": {"x": x}}
    y = [0, shape[0] - 1] if rows_from in (None, "") and rows_to in (None, "") else pair(rows_from, rows_to,
                                                                                        shape[0])
    if y is None:
        return f"rows: enter whole numbers from 0 to {shape[0] - 1}, the first at most the last (or leave both blank)"
    return {"range": {"x": x, "y": y}}


@callback(output=dict(axis=Output(ids.KEEP_AXIS, "children"), rows=Output(ids.KEEP_ROWS, "className")),
          inputs=dict(shown=Input(ids.SHOWN, "data")))
def keep_form_for(shown):
    """Samples for a series; columns and rows for a map."""
    maps = len((shown or {}).get("shape") or []) == 2
    return dict(axis="columns" if maps else "samples", rows=_ROWS_SHOWN if maps else _ROWS_HIDDEN)


#: The keyboard form's numbers, which a box drawn with the mouse fills in.
KEEP_FORM_OUTPUTS = dict(keep_from=Output(ids.KEEP_FROM, "value"), keep_to=Output(ids.KEEP_TO, "value"),
                         rows_from=Output(ids.ROWS_FROM, "value"), rows_to=Output(ids.ROWS_TO, "value"))


@callback(output=KEEP_FORM_OUTPUTS, inputs=dict(selected=Input(ids.DRAW_GRAPH, "selectedData")),
          state=dict(shown=State(ids.SHOWN, "data")), prevent_initial_call=True)
def fill_keep_form(selected, shown=None):
    """A box drawn with the mouse, in the keyboard form's numbers (whole samples, columns and rows inside it; a
    series' box spans values, not rows)."""
    box = (selected or {}).get("range") or {}
    if "x" not in box:
        return named_update(KEEP_FORM_OUTPUTS)
    x0, x1 = sorted(box["x"])
    maps = len((shown or {}).get("shape") or []) == 2
    y0, y1 = sorted(box["y"]) if "y" in box and maps else (None, None)
    return dict(keep_from=math.ceil(x0), keep_to=math.floor(x1), rows_from=None if y0 is None else math.ceil(y0),
                rows_to=None if y1 is None else math.floor(y1))


@callback(output=dict(result=Output(ids.DRAW_RESULT, "children", allow_duplicate=True),
                      figure=Output(ids.DRAW_GRAPH, "figure", allow_duplicate=True)),
          inputs=dict(n_clicks=Input(ids.KEEP_APPLY, "n_clicks")),
          state=dict(keep_from=State(ids.KEEP_FROM, "value"), keep_to=State(ids.KEEP_TO, "value"),
                     rows_from=State(ids.ROWS_FROM, "value"), rows_to=State(ids.ROWS_TO, "value"),
                     token=State(ids.TOKEN, "data"), shown=State(ids.SHOWN, "data")),
          prevent_initial_call=True)
async def evaluate_typed(n_clicks, keep_from, keep_to, rows_from, rows_to, token, shown):
    """The keyboard form's mask, evaluated as a drawn box is, and drawn on the input in place of a drawn box
    (review 23: the graph kept showing the last box drawn)."""
    if not n_clicks:
        return dict(result="", figure=no_update)
    selected = typed_box((shown or {}).get("shape"), keep_from, keep_to, rows_from, rows_to)
    if isinstance(selected, str):
        return dict(result=dbc.Alert(selected[:1].upper() + selected[1:] + ".", color="warning",
                                     className="py-2 mb-0"), figure=no_update)
    drawn = Patch()
    drawn["layout"]["shapes"] = [explain_figures.typed_box_shape(selected, len(shown["shape"]))]
    drawn["layout"]["selections"] = []
    return dict(result=await _evaluated(box_mask(shown["shape"], selected), token, shown), figure=drawn)


@callback(output=dict(result=Output(ids.DRAW_RESULT, "children", allow_duplicate=True),
                      figure=Output(ids.DRAW_GRAPH, "figure", allow_duplicate=True)),
          inputs=dict(selected=Input(ids.DRAW_GRAPH, "selectedData")),
          state=dict(token=State(ids.TOKEN, "data"), shown=State(ids.SHOWN, "data")), prevent_initial_call=True)
async def evaluate_drawn(selected, token, shown):
    """The explained model's expected output when only the selected box of the shown input is kept (the
    teacher's, or the student's when the shown explanation is of the student); a typed box goes from the graph.
    Nothing changes when the selection is cleared (a typed box clears it)."""
    mask = box_mask((shown or {}).get("shape"), selected)
    if mask is None:
        return named_update(dict(result=None, figure=None))
    cleared = Patch()
    cleared["layout"]["shapes"] = []
    return dict(result=await _evaluated(mask, token, shown), figure=cleared)


async def _evaluated(mask, token, shown):
    """``POST .../explain/mask`` of a pixel mask, in words."""
    if mask is None or not token or not is_job_id(token):
        return ""
    body = {"example": int(shown["example"]), "space": "pixel", "wavelet": shown.get("wavelet") or "learned",
            "model": shown.get("model") or "teacher", "mask": mask}
    try:
        answer = await get_client().request("POST", f"{_base(token)}/explain/mask", json=body)
    except ApiError as exc:
        return dbc.Alert(exc.message, color="warning", className="py-2 mb-0")
    whose = "AWD student" if answer.get("model") == "student" else "teacher"
    # one number of decimals for the three (review 22: "0.457 ± 0.16")
    decimals = common_decimals([answer["mean"], answer["sd"], answer["prediction"]], 4)

    def number(value):
        return fmt_decimals(value, decimals, 4)
    return (f"Your mask keeps {100 * answer['kept_fraction']:.1f} % of the input: the {whose}'s expected output is "
            f"{number(answer['mean'])} ± {number(answer['sd'])} (mean ± SD) over {answer['n_samples']} noise draws "
            f"(full input: {number(answer['prediction'])}).")
