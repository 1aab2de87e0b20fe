"""Results page ``/results/<token>``: a job id (owner view) or a share token (read-only view).

One callback fetches the bundle and draws every figure; the λ/γ grid and the
activation selector then redraw their parts from copies of the bundle kept in
the browser (the activation maps apart, so a grid click does not resend them).
A share token never shows an action (no share, cancel, delete or rerun), and an
unknown, expired or revoked token shows the friendly 404 block.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from frontend import figures
from frontend.api_client import ApiError, get_client
from frontend.components import figure_card, is_job_id, not_found_card, size_graphs_to_their_figures, triggered_id

dash.register_page(__name__, path_template="/results/<token>", title="AWD Studio · results", name="Results")

#: Every graph of the page (each box follows its figure's height).
GRAPHS = ("results-wavelet-graph", "results-filters-graph", "results-filters2d-graph", "results-subfilters-graph",
          "results-grid-graph", "results-psi-grid-graph", "results-activation-graph", "results-scores-graph")
size_graphs_to_their_figures(*GRAPHS)

_HIDDEN = {"display": "none"}
#: Laid out but invisible while the bundle loads, so plotly measures real widths.
_LOADING = {"visibility": "hidden"}


def layout(token: str | None = None, **_):
    """The results page skeleton; content arrives with the bundle."""
    shared = not is_job_id(token)
    actions = [] if shared else [
        dbc.Button("Share…", id="results-share", color="primary", n_clicks=0, className="me-2"),
        dbc.Button("Job page", id="results-job-link", href=f"/jobs/{quote(token or '', safe='')}",
                   color="outline-secondary"),
    ]
    share_box = [] if shared else [dbc.Collapse(_share_dialog(), id="results-share-collapse", is_open=False,
                                                  className="mb-3")]
    return html.Div([
        dcc.Store(id="results-token", data=token),
        dcc.Store(id="results-core"),
        dcc.Store(id="results-activation"),
        dcc.Store(id="results-clicked"),
        html.Div([
            html.Div([
                html.H1("Distillation result", className="h3 mb-1"),
                html.Div(id="results-badges"),
            ]),
            html.Div(actions, id="results-actions"),
        ], className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3"),
        *share_box,
        dbc.Alert("Read-only view of a shared result.", color="info", className="py-2",
                  id="results-shared-note", is_open=shared),
        dcc.Loading(html.Div(id="results-status"), type="default"),
        html.Div(id="results-body", style=_LOADING, children=_body()),
    ])


#: Choices of a new link's lifetime (hours; None = until revoked).
SHARE_EXPIRY = [("never (until revoked)", "never"), ("1 day", "24"), ("7 days", "168"), ("30 days", "720")]


def _share_dialog() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Read-only links to this result", className="h6"),
        html.Div("Anyone with a link can view this result and download its files, nothing else.",
                 className="small text-muted mb-2"),
        dbc.InputGroup([
            dbc.InputGroupText("Expires"),
            dbc.Select(id="results-share-expiry", value="never",
                       options=[{"label": label, "value": value} for label, value in SHARE_EXPIRY]),
            dbc.Button("Create link", id="results-share-create", color="primary", n_clicks=0),
        ], className="mb-2", style={"maxWidth": "32rem"}),
        html.Div([
            html.Div("New link (shown once; copy it now):", className="small mb-1"),
            dbc.InputGroup([
                dbc.Input(id="results-share-url", readonly=True, name="share-link"),
                dbc.InputGroupText(dcc.Clipboard(target_id="results-share-url", title="Copy the link",
                                                 id="results-share-copy")),
            ], className="awd-share-box"),
        ], id="results-share-new", className="mb-2 awd-hidden"),
        html.Div(id="results-share-status", className="small text-muted mb-2", **{"aria-live": "polite"}),
        html.Div(id="results-share-list"),
        dcc.Store(id="results-share-data"),
        dcc.Store(id="results-share-refresh", data=0),
    ]))


def share_rows(rows: list[dict]):
    """Pure: ``GET /api/jobs/{id}/shares`` rows -> a table with a Revoke button per live link."""
    if not rows:
        return html.P("No links yet.", className="small text-muted mb-0", id="results-share-none")

    def when(value):
        return str(value)[:16].replace("T", " ") + " UTC" if value else "—"

    def status(row):
        if row.get("revoked"):
            return dbc.Badge("revoked", color="secondary")
        if row.get("expires") and str(row["expires"]) <= _now_iso():
            return dbc.Badge("expired", color="secondary")
        return dbc.Badge("live", color="success")

    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Created", "Expires", "Last opened", "", "")]))
    body = html.Tbody([html.Tr([
        html.Td(when(r.get("created"))), html.Td(when(r.get("expires")) if r.get("expires") else "never"),
        html.Td(when(r.get("last_used"))), html.Td(status(r)),
        html.Td(None if r.get("revoked") else dbc.Button(
            "Revoke", id={"type": "results-share-revoke", "share": r["id"]}, color="outline-danger", size="sm",
            n_clicks=0, title="This link stops working at once")),
    ]) for r in rows])
    return dbc.Table([head, body], size="sm", className="awd-table mb-0 small", id="results-share-table")


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _body():
    return [
        html.Div(id="results-summary", className="mb-4"),
        html.H2("The learned wavelet", className="h4 mt-2 mb-3"),
        dbc.Row([
            dbc.Col(figure_card("Wavelet ψ and scaling function φ", "results-wavelet-graph", "awd-wavelet",
                                help_text="Learned (solid) against the initial wavelet (dashed)."), xl=6),
            dbc.Col(figure_card("Filters h and g", "results-filters-graph", "awd-filters",
                                help_text="Lowpass h and highpass g[n] = (−1)ⁿ h[N−1−n]."), xl=6),
        ]),
        html.Div(dbc.Row([
            dbc.Col(figure_card("2D filters LL, LH, HL, HH", "results-filters2d-graph", "awd-filters-2d"), xl=6),
            dbc.Col(figure_card("3 × 3 sub-filters for peak counting", "results-subfilters-graph",
                                "awd-subfilters"), xl=6),
        ]), id="results-maps-only"),
        html.H2("The λ / γ grid", className="h4 mt-2 mb-3"),
        html.Div([
            html.Span(id="results-inspecting", className="me-2"),
            dbc.Button("Back to the selected point", id="results-reset-click", size="sm", color="link",
                       n_clicks=0),
        ], className="mb-2"),
        dbc.Row([
            dbc.Col(figure_card("Cross-validated score", "results-grid-graph", "awd-grid-heatmap",
                                help_text="★ the selected point. Click a cell to inspect that grid point."), xl=5),
            dbc.Col(figure_card("Learned ψ across the grid", "results-psi-grid-graph", "awd-psi-grid",
                                help_text="One small plot per (λ, γ); dotted grey: the initial wavelet."), xl=7),
        ]),
        html.H2("Wavelet activation maps", className="h4 mt-2 mb-3"),
        figure_card("Where the attribution-weighted coefficients sit", "results-activation-graph",
                    "awd-activation", extra=html.Div([
                        dbc.Label("Test example", html_for="results-example", className="me-2 mb-0"),
                        dcc.Dropdown(id="results-example", clearable=False, style={"minWidth": "16rem"}),
                    ], className="d-flex align-items-center mb-2")),
        html.H2("Scores", className="h4 mt-2 mb-3"),
        dbc.Card(dbc.CardBody(html.Div(id="results-scores-table", className="table-responsive")),
                 className="mb-4 shadow-sm"),
        figure_card("Test scores", "results-scores-graph", "awd-scores"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2("Downloads", className="h6 mb-0")),
                              dbc.CardBody(html.Div(id="results-downloads"))], className="mb-4 shadow-sm"), lg=4),
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2("Provenance", className="h6 mb-0")),
                              dbc.CardBody(html.Div(id="results-provenance"))], className="mb-4 shadow-sm"), lg=8),
        ]),
    ]


def split_bundle(bundle: dict) -> tuple[dict, dict]:
    """(bundle without activation maps, activation maps) so that grid clicks send less data."""
    core = {k: v for k, v in bundle.items() if k != "activation"}
    return core, bundle.get("activation") or {}


def summary_children(bundle: dict) -> list:
    """Headline numbers: selected point, AWD vs teacher, compression, validity."""
    rows = {r["key"]: r for r in figures.score_rows(bundle)}
    sel = figures.selected_index(bundle)
    awd, teacher = rows.get("awd", {}), rows.get("teacher", {})
    validity = (bundle.get("wavelet") or {}).get("validity") or {}

    def stat(label, value, sub=None, id_=None):
        return dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(label, className="small text-muted"),
            html.Div(value, className="fs-5 fw-semibold", **({"id": id_} if id_ else {})),
            html.Div(sub, className="small text-muted") if sub else None,
        ]), className="h-100 shadow-sm"), xs=6, md=3, className="mb-2")

    verdict = figures.verdict_lines(bundle)
    said = []
    if verdict["text"]:
        said.append(dbc.Alert(verdict["text"], color="success" if verdict["helped"] else "secondary",
                              id="results-verdict", className="mb-2"))
    said += [dbc.Alert(w, color="warning", className="mb-2 py-2 small") for w in verdict["warnings"]]
    return said + [dbc.Row([
        stat("AWD test R²", awd.get("r2_text", "—"), f"RMSE {awd.get('rmse_text', '—')}", "results-awd-r2"),
        stat("Teacher test R²", teacher.get("r2_text", "—"), teacher.get("model")),
        stat("Compression", awd.get("compression_text", "—"), "share of active coefficients"),
        stat("Selected", figures.grid_point_label(bundle, sel).split(" (")[0],
             f"orthonormality error {figures.fmt_number(validity.get('orthonormality_error'))}"),
    ], className="g-2")]


def scores_table(bundle: dict) -> dbc.Table:
    """The scores table (AWD, γ = 0, initial wavelet, baselines, teacher)."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in
                               ("Model", "R²", "RMSE ± SD", "Compression", "Parameters", "s / sample")]))
    body = html.Tbody([html.Tr([html.Th(r["model"], scope="row"), html.Td(r["r2_text"]), html.Td(r["rmse_text"]),
                                html.Td(r["compression_text"]), html.Td(r["n_params_text"]),
                                html.Td(r["seconds_text"])],
                               className="table-primary" if r["key"] == "awd" else None)
                       for r in figures.score_rows(bundle)])
    return dbc.Table([head, body], bordered=False, hover=True, size="sm", className="awd-table mb-0",
                     id="results-scores")


def downloads(bundle: dict, token: str) -> list:
    """Links to the bundle JSON and every artifact (same-origin, served by the API)."""
    base = f"/api/results/{quote(token, safe='')}"
    files = [f for f in (bundle.get("files") or ["result.json", "arrays.npz"]) if isinstance(f, str)]
    links = [html.Li(html.A("Result bundle (JSON)", href=base, download="awd-result.json",
                            id="results-download-bundle"))]
    links += [html.Li(html.A(name, href=f"{base}/files/{quote(name, safe='')}", download=name))
              for name in files if name != "result.json"]
    return [html.Ul(links, className="mb-2"),
            html.Small("Each figure: the PNG / SVG buttons above it, or the camera in its toolbar.",
                       className="text-muted")]


def provenance(bundle: dict) -> list:
    """Provenance as a definition list plus the full config."""
    dl = html.Dl(sum(([html.Dt(k, className="col-sm-4"), html.Dd(v, className="col-sm-8")]
                      for k, v in figures.provenance_items(bundle)), []), className="row awd-kv mb-2")
    config = (bundle.get("provenance") or {}).get("config") or {}
    return [dl, html.Details([html.Summary("Full configuration"),
                              html.Pre(json.dumps(config, indent=2, sort_keys=True), className="awd-config-json")])]


def badges(bundle: dict, shared: bool) -> list:
    """Kind, grid size, teacher; "shared" when read-only."""
    data = bundle.get("data") or {}
    kind = {"timeseries": "time series", "image": "maps"}.get(data.get("kind"), data.get("kind", "?"))
    out = [dbc.Badge(kind, color="info", className="me-1"),
           dbc.Badge(f"{len(bundle.get('grid') or [])} grid points", color="secondary", className="me-1"),
           dbc.Badge(f"teacher: {(bundle.get('teacher') or {}).get('name', '?')}", color="secondary",
                     className="me-1")]
    if shared:
        out.append(dbc.Badge("shared · read-only", color="warning", text_color="dark", id="results-shared-badge"))
    return out


def example_options(activation: dict) -> list[dict]:
    """Dropdown options of the stored activation examples."""
    n = figures.n_activation_examples({"activation": activation})
    idx = activation.get("indices") or list(range(n))
    y = activation.get("y_true") or []
    return [{"label": f"test example {idx[k] if k < len(idx) else k}" +
             (f" (y = {figures.fmt_number(y[k])})" if k < len(y) else ""), "value": k} for k in range(n)]


@callback(
    Output("results-core", "data"),
    Output("results-activation", "data"),
    Output("results-status", "children"),
    Output("results-body", "style"),
    Output("results-badges", "children"),
    Output("results-summary", "children"),
    Output("results-maps-only", "style"),
    Output("results-filters2d-graph", "figure"),
    Output("results-subfilters-graph", "figure"),
    Output("results-activation-graph", "figure"),
    Output("results-example", "options"),
    Output("results-example", "value"),
    Output("results-scores-table", "children"),
    Output("results-scores-graph", "figure"),
    Output("results-downloads", "children"),
    Output("results-provenance", "children"),
    Output("results-shared-note", "is_open"),
    Input("results-token", "data"),
)
async def load_result(token):
    """Fetch the bundle and draw everything that does not depend on the grid click."""
    n_out = 17
    if not token:
        return (no_update,) * n_out
    shared = not is_job_id(token)
    try:
        bundle = await get_client().get_result(token)
    except ApiError as err:
        if err.status == 410:  # a share link that was revoked or has expired: say which
            status = not_found_card("This link no longer works", err.message[:1].upper() + err.message[1:] + ".",
                                    home=not shared, code=None)
        elif err.not_found or err.status in (401, 403):
            detail = ("This share link is invalid, has expired or was revoked. Ask the owner for a new one."
                      if shared else "There is no finished result for this job (yet). "
                      "If it is still running, follow it on its job page.")
            status = not_found_card("Result not found", detail, home=not shared)
        else:
            status = dbc.Alert(f"Could not load the result: {err.message}", color="danger")
        return (None, None, status, _HIDDEN) + (no_update,) * (n_out - 5) + (False,)  # no "read-only" note
    core, activation = split_bundle(bundle)
    kind = (bundle.get("data") or {}).get("kind")
    options = example_options(activation)
    return (core, activation, "", {}, badges(bundle, shared), summary_children(bundle),
            {} if kind == "image" else _HIDDEN, figures.filters_2d_figure(bundle), figures.subfilters_figure(bundle),
            figures.activation_figure(bundle, 0), options, 0 if options else None,
            scores_table(bundle), figures.scores_figure(bundle), downloads(bundle, token), provenance(bundle),
            shared)


def clicked_from(click_data) -> int | None:
    """Grid index from a plotly clickData (``customdata`` of the clicked point)."""
    try:
        cd = click_data["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    if isinstance(cd, list):
        cd = cd[0] if cd else None
    try:
        return int(cd) if cd is not None and int(cd) >= 0 else None
    except (TypeError, ValueError):
        return None


@callback(
    Output("results-clicked", "data"),
    Input("results-grid-graph", "clickData"),
    Input("results-psi-grid-graph", "clickData"),
    Input("results-reset-click", "n_clicks"),
    prevent_initial_call=True,
)
def on_click(heat_click, psi_click, _reset):
    """Remember which grid point the user clicked (None = the selected one)."""
    if triggered_id() == "results-reset-click":
        return None
    click = heat_click if triggered_id() == "results-grid-graph" else psi_click
    idx = clicked_from(click)
    return idx if idx is not None else no_update


@callback(
    Output("results-wavelet-graph", "figure"),
    Output("results-filters-graph", "figure"),
    Output("results-grid-graph", "figure"),
    Output("results-psi-grid-graph", "figure"),
    Output("results-inspecting", "children"),
    Input("results-core", "data"),
    Input("results-clicked", "data"),
)
def draw_grid(core, clicked):
    """The figures that follow the clicked grid point."""
    if not core:
        return (no_update,) * 5
    sel = figures.selected_index(core)
    idx = clicked if isinstance(clicked, int) and 0 <= clicked < len(core.get("grid") or []) else None
    text = (f"Inspecting {figures.grid_point_label(core, idx)}" if idx is not None and idx != sel
            else f"Showing the selected point: {figures.grid_point_label(core, sel)}")
    return (figures.wavelet_figure(core, idx), figures.filters_figure(core, idx),
            figures.grid_heatmap_figure(core, idx), figures.psi_grid_figure(core, idx), text)


@callback(
    Output("results-activation-graph", "figure", allow_duplicate=True),
    Input("results-example", "value"),
    State("results-activation", "data"),
    State("results-core", "data"),
    prevent_initial_call=True,
)
def draw_activation(example, activation, core):
    """Redraw the activation map for the chosen example."""
    if not activation:
        return no_update
    return figures.activation_figure({"activation": activation, "data": (core or {}).get("data")}, example or 0)


@callback(
    Output("results-share-collapse", "is_open"),
    Output("results-share-refresh", "data"),
    Input("results-share", "n_clicks"),
    State("results-share-collapse", "is_open"),
    State("results-share-refresh", "data"),
    prevent_initial_call=True,
)
def toggle_share(n_clicks, is_open, refresh):
    """Open (and refresh) or close the share dialog."""
    if not n_clicks:
        return no_update, no_update
    return not is_open, (refresh or 0) + (0 if is_open else 1)


@callback(
    Output("results-share-list", "children"),
    Input("results-share-refresh", "data"),
    State("results-token", "data"),
    prevent_initial_call=True,
)
async def list_shares(_refresh, token):
    """Every link of this job, live or not (``GET /api/jobs/{id}/shares``)."""
    if not is_job_id(token):
        return no_update
    try:
        rows = (await get_client().list_shares(token)).get("data", [])
    except ApiError as err:
        return dbc.Alert(f"Could not list the links: {err.message}", color="danger", className="py-1 small")
    return share_rows(rows)


@callback(
    Output("results-share-data", "data"),
    Output("results-share-status", "children"),
    Output("results-share-refresh", "data", allow_duplicate=True),
    Input("results-share-create", "n_clicks"),
    State("results-token", "data"),
    State("results-share-expiry", "value"),
    State("results-share-refresh", "data"),
    prevent_initial_call=True,
)
async def share(n_clicks, token, expiry, refresh):
    """Create a read-only share link (``POST /api/jobs/{id}/share``) with the chosen lifetime."""
    if not n_clicks or not is_job_id(token):
        return no_update, no_update, no_update
    hours = None if expiry in (None, "never") else float(expiry)
    try:
        created = await get_client().create_share(token, expires_in_hours=hours)
    except ApiError as err:
        return None, f"Could not create a link: {err.message}", no_update
    expires = created.get("expires")
    note = (f"Link created; it expires {str(expires)[:16].replace('T', ' ')} UTC." if expires
            else "Link created; it works until you revoke it.")
    return created, note, (refresh or 0) + 1


@callback(
    Output("results-share-status", "children", allow_duplicate=True),
    Output("results-share-refresh", "data", allow_duplicate=True),
    Output("results-share-data", "data", allow_duplicate=True),
    Input({"type": "results-share-revoke", "share": ALL}, "n_clicks"),
    State("results-share-refresh", "data"),
    State("results-share-data", "data"),
    prevent_initial_call=True,
)
async def revoke(n_clicks, refresh, created):
    """Revoke the clicked link, whichever it is (``DELETE /api/shares/{id}``)."""
    trig = triggered_id()
    if not trig or not any(n_clicks or []):
        return no_update, no_update, no_update
    try:
        await get_client().revoke_share(trig["share"])
    except ApiError as err:
        return f"Could not revoke: {err.message}", no_update, no_update
    same = created and created.get("id") == trig["share"]
    return ("Link revoked: it no longer opens this result.", (refresh or 0) + 1,
            None if same else no_update)


clientside_callback(
    """function (created) {
        if (!created || !created.url) { return ["", "mb-2 awd-hidden"]; }
        var url = created.url.indexOf("http") === 0 ? created.url : window.location.origin + created.url;
        return [url, "mb-2"];
    }""",
    Output("results-share-url", "value"),
    Output("results-share-new", "className"),
    Input("results-share-data", "data"),
)
