"""Home: upload a dataset (drag and drop, sent straight to the API by ``assets/awd.js``) or pick an example.

The browser uploads the file itself (``XMLHttpRequest`` with a progress bar) and,
on success, writes the new dataset id into ``home-dataset-id`` with
``dash_clientside.set_props``; the preview callback below takes it from there.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, dcc, html, no_update

from frontend import figures
from frontend.api_client import ApiError, get_client
from frontend.components import graph, size_graphs_to_their_figures

dash.register_page(__name__, path="/", title="AWD Studio · upload", name="Upload")

size_graphs_to_their_figures("home-preview-graph", "home-target-graph")

EXAMPLES = [
    ("synthetic", "Synthetic", "Gaussian noise whose target is three db5 coefficients (the paper's recovery test)."),
    ("cme", "Clathrin (CME)", "Fluorescence traces; predict the auxilin peak (time series)."),
    ("lensing", "Weak lensing", "Convergence maps; predict the cosmology (maps)."),
]
ACCEPT = ".npz,.npy,.csv,.fits,.fit,.fts,.h5,.hdf5,.mat"


def _upload_card():
    return dbc.Card(dbc.CardBody([
        html.H2("1 · Your data", className="h5"),
        html.Div([
            html.Div("⇪", className="awd-drop-icon", **{"aria-hidden": "true"}),
            html.Div([html.Strong("Drop a data file here"), " or click to choose one"]),
            html.Small("npz · csv · FITS · HDF5 · MAT with X of shape (n, L) or (n, H, W) and a target y; "
                       "or two .npy files together, X and y (named y.npy or <name>_y.npy)",
                       className="text-muted"),
        ], id="home-dropzone", className="awd-dropzone", tabIndex="0", role="button",
            **{"aria-label": "Upload a dataset: drop a file or press Enter to choose one",
               "data-accept": ACCEPT}),
        dbc.Label("Name (optional)", html_for="home-dataset-name", className="visually-hidden"),
        dbc.Input(id="home-dataset-name", placeholder="Name (optional)", className="mt-2", maxLength=200),
        html.Div(html.Div(id="home-upload-bar", className="progress-bar", role="progressbar",
                          style={"width": "0%"}, **{"aria-valuemin": "0", "aria-valuemax": "100",
                                                     "aria-valuenow": "0", "aria-label": "Upload progress"}),
                 id="home-upload-progress", className="progress mt-3 awd-hidden", style={"height": "1.2rem"}),
        html.Div(id="home-upload-status", className="small text-muted mt-1", **{"aria-live": "polite"}),
    ]), className="mb-4 shadow-sm h-100")


def _examples_card():
    buttons = [
        dbc.ListGroupItem([
            html.Div([html.Strong(label), html.Div(desc, className="small text-muted")]),
            dbc.Button("Use", id={"type": "home-example", "name": name}, color="primary", size="sm",
                       className="ms-3", n_clicks=0, title=f"Use the {label} example"),
        ], className="d-flex justify-content-between align-items-center")
        for name, label, desc in EXAMPLES
    ]
    return dbc.Card(dbc.CardBody([
        html.H2("…or try an example", className="h5"),
        dbc.ListGroup(buttons, flush=True),
        dcc.Loading(html.Div(id="home-example-status", className="small text-muted mt-2"), type="dot"),
    ]), className="mb-4 shadow-sm h-100")


def layout(dataset: str | None = None, **_):
    """The home page; ``?dataset=<id>`` preselects a stored dataset."""
    return html.Div([
        html.H1("Distil a network into a wavelet", className="h3 mb-1"),
        html.P("Upload data and a trained network (or let us train one), and get back a learned wavelet, a tiny "
               "interpretable model and a link to share.", className="lead text-muted mb-4"),
        dcc.Store(id="home-dataset-id", data=dataset),
        dbc.Alert(id="home-error", color="danger", is_open=False, dismissable=True),
        dbc.Row([dbc.Col(_upload_card(), md=7), dbc.Col(_examples_card(), md=5)], className="g-4 mb-2"),
        dcc.Loading(html.Div(id="home-preview"), type="default"),
    ])


@callback(
    Output("home-dataset-id", "data"),
    Output("home-error", "children", allow_duplicate=True),
    Output("home-error", "is_open", allow_duplicate=True),
    Output("home-example-status", "children"),
    Input({"type": "home-example", "name": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
async def use_example(n_clicks):
    """Turn a built-in example into a stored dataset (``POST /api/examples/{name}``)."""
    trig = ctx.triggered_id
    if not trig or not any(n_clicks or []):
        return no_update, no_update, no_update, no_update
    name = trig["name"]
    try:
        ds = await get_client().create_example(name)
    except ApiError as err:
        return no_update, f"Could not create the {name} example: {err.message}", True, ""
    return ds["id"], "", False, f"Created “{ds.get('name', name)}”."


def preview_children(ds: dict) -> list:
    """The preview block of one dataset (pure: a dataset dict in, components out).

    Parameters
    ----------
    ds : dict
        ``GET /api/datasets/{id}``: ``id, name, kind, shape, n, summary{...}``.

    Returns
    -------
    list of Dash components
    """
    summary = ds.get("summary") or ds
    kind = ds.get("kind") or summary.get("kind", "?")
    shape = ds.get("shape") or summary.get("shape") or []
    n = ds.get("n", summary.get("n", "?"))
    n_test = ds.get("n_test", summary.get("n_test"))
    kind_label = {"timeseries": "time series", "image": "maps"}.get(kind, kind)
    facts = [
        dbc.Badge(kind_label, color="info", className="me-2", id="home-preview-kind"),
        dbc.Badge(f"{n} samples" + (f" + {n_test} test" if n_test else ""), color="secondary", className="me-2"),
        dbc.Badge("sample shape " + " × ".join(str(s) for s in shape), color="secondary", className="me-2"),
    ]
    return [dbc.Card([
        dbc.CardHeader(html.Div([
            html.H2(["Preview: ", html.Span(ds.get("name", "dataset"), id="home-preview-name")], className="h5 mb-0"),
            dbc.Button("Configure a distillation →", href=f"/configure?dataset={ds['id']}", color="success",
                       id="home-configure-link"),
        ], className="d-flex flex-wrap gap-2 justify-content-between align-items-center")),
        dbc.CardBody([
            html.Div(facts, className="mb-3"),
            dbc.Row([
                dbc.Col([html.H3("A few samples", className="h6"),
                         graph("home-preview-graph", "preview", figures.preview_figure(summary))], lg=7),
                dbc.Col([html.H3("Target distribution", className="h6"),
                         graph("home-target-graph", "targets", figures.target_histogram_figure(summary))], lg=5),
            ]),
        ]),
    ], className="shadow-sm mb-4", id="home-preview-card")]


@callback(
    Output("home-preview", "children"),
    Output("home-error", "children", allow_duplicate=True),
    Output("home-error", "is_open", allow_duplicate=True),
    Input("home-dataset-id", "data"),
    prevent_initial_call="initial_duplicate",
)
async def show_preview(dataset_id):
    """Fetch a dataset and render its preview."""
    if not dataset_id:
        return [], no_update, no_update
    try:
        ds = await get_client().get_dataset(dataset_id)
    except ApiError as err:
        return [], f"Could not load the dataset: {err.message}", True
    return preview_children(ds), "", False
