"""Home: upload a dataset (drag and drop, sent straight to the API by ``assets/awd.js``) or pick an example.

The browser uploads the file itself (``XMLHttpRequest`` with a progress bar) and,
on success, writes the new dataset id into ``home-dataset-id`` with
``dash_clientside.set_props``; the preview callback below takes it from there.
Callbacks read and write components by name; :class:`ids` holds their ids.
"""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, dcc, html

from awd_studio.frontend import figures
from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import alert_outputs, alert_value, graph, named_update, size_graphs_to_their_figures
from awd_studio.frontend.figures.style import (
    channel_axis_words,
    dropped_rows_words,
    kind_label,
    read_as_maps_words,
    share_words,
    size_words,
    squeezed_axes_words,
)
from awd_studio.frontend.help_links import help_link

dash.register_page(__name__, path="/", title="AWD Studio · upload", name="Upload")


class ids:  # noqa: N801 (a namespace of constants, read as ids.DROPZONE)
    """Component ids of the home page (the strings are what tests/e2e and assets/awd.js look for)."""

    DROPZONE = "home-dropzone"
    DATASET_NAME = "home-dataset-name"
    UPLOAD_BAR = "home-upload-bar"
    UPLOAD_PROGRESS = "home-upload-progress"
    UPLOAD_STATUS = "home-upload-status"
    #: The ``type`` of the example buttons' pattern-matching ids (``{"type": EXAMPLE, "name": ...}``).
    EXAMPLE = "home-example"
    EXAMPLE_STATUS = "home-example-status"
    #: The list of the examples, filled from ``GET /api/examples`` when the page opens.
    EXAMPLE_LIST = "home-example-list"
    #: The dataset to preview: ``?dataset=``, an example just made, or an upload (set by assets/awd.js).
    DATASET_ID = "home-dataset-id"
    ERROR = "home-error"
    PREVIEW = "home-preview"
    PREVIEW_CARD = "home-preview-card"
    PREVIEW_KIND = "home-preview-kind"
    PREVIEW_IGNORED = "home-preview-ignored"
    #: The rows with missing values left out on request, in the preview.
    PREVIEW_DROPPED = "home-preview-dropped"
    #: "Filled the ends of … traces that ended early with zeros" (the upload's pad_ends).
    PREVIEW_PADDED = "home-preview-padded"
    #: "X was stored as (n, 1, L): the channel axis of size 1 was dropped" (meta.channel_axis).
    PREVIEW_CHANNEL = "home-preview-channel"
    #: "X was stored as (1, 12, 64, 64): its axes of size 1 were dropped" (meta.squeezed_axes, a FITS file's).
    PREVIEW_SQUEEZED = "home-preview-squeezed"
    #: "X, shape (40, 12, 500), was read as 40 maps …; if each sample is 12 channels …" (meta.read_as_maps).
    PREVIEW_AS_MAPS = "home-preview-as-maps"
    #: Under a refused text file with missing values: send it again, those rows left out (assets/awd.js shows it).
    DROP_INCOMPLETE = "home-drop-incomplete"
    #: Upload the refused text file again with each trace's missing end filled with zeros (``pad_ends``).
    PAD_ENDS = "home-pad-ends"
    #: Upload it again with both: the traces that ended early filled, the rows still missing a value left out
    #: (``pad_ends`` and ``drop_incomplete`` together; offered when the file has both kinds of missing values).
    PAD_AND_DROP = "home-pad-and-drop"
    #: The buttons above, each shown when the refusal offers it.
    MISSING_REMEDIES = "home-missing-remedies"
    PREVIEW_TILES = "home-preview-tiles"
    PREVIEW_TARGET_RULE = "home-preview-target-rule"
    #: The caution on few series of many samples: a file of one series per column, read one per row?
    PREVIEW_TRANSPOSED = "home-preview-transposed"
    TILE_SIZE = "home-tile-size"
    TILE_LABEL = "home-tile-label"
    PREVIEW_NAME = "home-preview-name"
    PREVIEW_GRAPH = "home-preview-graph"
    TARGET_GRAPH = "home-target-graph"
    CONFIGURE_LINK = "home-configure-link"


size_graphs_to_their_figures(ids.PREVIEW_GRAPH, ids.TARGET_GRAPH)

ACCEPT = ".npz,.npy,.csv,.tsv,.txt,.fits,.fit,.fts,.h5,.hdf5,.mat"

#: The words of the upload's fields on this page: the name field's placeholder, the tile field's label, the buttons
#: under a refused text file.
NAME_WORDS = "Name (optional)"
TILE_WORDS = "Maps: tiles of"
DROP_INCOMPLETE_WORDS = "Leave out the rows with missing values and upload again"
#: The caution after the preview's rows left out (review 38: 29 % of the traces went, said as a plain fact; traces that
#: end early are often another population, and the results page's note says the same of the result).
DROPPED_CAUTION = ("Traces that end early are often a population of their own (e.g. abortive events): a model trained "
                   "without them has not seen such traces, and its results do not apply to them.")
#: The caution instead when the ends of the traces that ended early were filled too (both remedies at once).
FILLED_AND_DROPPED = ("The traces that merely ended early were kept, their ends filled (below): these rows had another "
                      "missing value (a gap inside a trace, no target, or a cell that is not a number). To keep them, "
                      "fill those values in first (e.g. interpolate the gaps).")
PAD_ENDS_WORDS = "Fill the ends with zeros (traces that ended early) and upload again"
PAD_AND_DROP_WORDS = "Fill the ended traces with zeros, leave out the other rows and upload again"


def upload_field_words() -> dict[str, str]:
    """The fields of the dataset upload (``POST /api/datasets``) by the words the page shows for them, for a refusal
    that names them: assets/awd.js (``inPageWords``) says “Leave out the rows with missing values and upload again”
    where the server wrote ``drop_incomplete=true`` (review: the page showed a browser user the API's fields),
    and a button is offered when the refusal names its field.

    Examples
    --------
    >>> upload_field_words()["tile"]
    'Maps: tiles of … px'
    """
    return {"name": NAME_WORDS, "tile": f"{TILE_WORDS} … px", "drop_incomplete": DROP_INCOMPLETE_WORDS,
            "pad_ends": PAD_ENDS_WORDS}


def _upload_card():
    return dbc.Card(dbc.CardBody([
        html.H2("1 · Your data", className="h5"),
        html.Div([
            html.Div("⇪", className="awd-drop-icon", **{"aria-hidden": "true"}),
            html.Div([html.Strong("Drop a data file here"), " or click to choose one"]),
            html.Small("npz · csv · FITS · HDF5 · MAT with X of shape (n, L) or (n, H, W) and a target y; "
                       "or two .npy files together, X and y (named y.npy or <name>_y.npy)",
                       className="text-muted"),
        ], id=ids.DROPZONE, className="awd-dropzone", tabIndex="0", role="button",
            **{"aria-label": "Upload a dataset: drop a file or press Enter to choose one",
               "data-accept": ACCEPT, "data-field-words": json.dumps(upload_field_words()),
               # the two fields together (a refusal's "the upload fields pad_ends=true with drop_incomplete=true")
               "data-both-words": PAD_AND_DROP_WORDS}),
        dbc.Row([
            dbc.Col([dbc.Label(NAME_WORDS, html_for=ids.DATASET_NAME, className="visually-hidden"),
                     dbc.Input(id=ids.DATASET_NAME, placeholder=NAME_WORDS, maxLength=200)], xl=7),
            dbc.Col([dbc.Label("Maps: cut into tiles of this many pixels (optional)", html_for=ids.TILE_SIZE,
                               className="visually-hidden"),
                     dbc.InputGroup([dbc.InputGroupText(TILE_WORDS, id=ids.TILE_LABEL),
                                     dbc.Input(id=ids.TILE_SIZE, type="number", min=TILE_MIN_PX, step=1,
                                               placeholder="px")])], xl=5),
        ], className="g-2 mt-1"),  # one row only where the card is wide: at 800 px the tile field was 34 px
        dbc.Tooltip("Optional, for large maps: cut each map into square tiles of this many pixels, each with its "
                    "map's targets. Whole maps are held out for the test split, so no map has tiles on both sides.",
                    target=ids.TILE_LABEL),
        html.Div(html.Div(id=ids.UPLOAD_BAR, className="progress-bar", role="progressbar",
                          style={"width": "0%"}, **{"aria-valuemin": "0", "aria-valuemax": "100",
                                                     "aria-valuenow": "0", "aria-label": "Upload progress"}),
                 id=ids.UPLOAD_PROGRESS, className="progress mt-3 awd-hidden", style={"height": "1.2rem"}),
        html.Div(id=ids.UPLOAD_STATUS, className="small text-muted mt-1", **{"aria-live": "polite"}),
    ]), className="shadow-sm h-100")


#: The smallest tile the service accepts (its MIN_TILE; the service checks, this only guides the browser's spinner).
TILE_MIN_PX = 16


def example_items(examples: list[dict]) -> list:
    """The examples' rows, each with its "Use" button: ``GET /api/examples``'s ``data`` (``name``, ``label``,
    ``kind``, ``description``; the service's words, ``models.data.examples.EXAMPLE_INFO``).

    Examples
    --------
    >>> row = example_items([{"name": "cme", "label": "Clathrin (CME)", "kind": "timeseries",
    ...                       "description": "Clathrin-like traces."}])[0]
    >>> row.children[1].id, row.children[1].title
    ({'type': 'home-example', 'name': 'cme'}, 'Use the Clathrin (CME) example')
    """
    rows = []
    for example in examples:
        name = example["name"]
        label = example.get("label") or name
        rows.append(dbc.ListGroupItem([
            html.Div([html.Strong(label),
                      html.Div(f"{kind_label(example.get('kind'))} · {example.get('description', '')}",
                               className="small text-muted")]),
            # named by its example, not "Use" three times for a screen reader (review 22)
            dbc.Button(["Use", html.Span(f" the {label} example", className="visually-hidden")],
                       id={"type": ids.EXAMPLE, "name": name}, color="primary", size="sm",
                       className="ms-3", n_clicks=0, title=f"Use the {label} example"),
        ], className="d-flex justify-content-between align-items-center"))
    return rows


def _examples_card():
    return dbc.Card(dbc.CardBody([
        html.H2(["…or try an example", help_link("example")], className="h5"),
        dbc.ListGroup(id=ids.EXAMPLE_LIST, flush=True),
        dcc.Loading(html.Div(id=ids.EXAMPLE_STATUS, className="small text-muted mt-2"), type="dot"),
    ]), className="shadow-sm h-100")


@callback(Output(ids.EXAMPLE_LIST, "children"), Input(ids.EXAMPLE_LIST, "id"))
async def load_examples(_):
    """The examples as the service lists them (``GET /api/examples``), when the page opens."""
    try:
        listed = await get_client().list_examples()
    except ApiError as err:
        return dbc.ListGroupItem(f"Could not list the examples: {err.message}", className="small text-danger")
    return example_items(listed.get("data") or [])


def layout(dataset: str | None = None, **_):
    """The home page; ``?dataset=<id>`` preselects a stored dataset."""
    return html.Div([
        html.H1(["Distil a network into a wavelet", help_link("method")], className="h3 mb-1"),
        # the network is uploaded on the next page, the configure form (review 29B looked for it here)
        html.P("Upload data here, then train a network on it or bring your own trained one on the next page, and "
               "get back a learned wavelet, a tiny "
               "interpretable model and a link to share.", className="lead text-muted mb-4"),
        dcc.Store(id=ids.DATASET_ID, data=dataset),
        dbc.Alert(id=ids.ERROR, color="danger", is_open=False, dismissable=True),
        # a text file refused for missing values: upload it again without those rows, or with each trace's end
        # filled, or both (the ended traces filled, the other rows left out; shown by awd.js when the error offers
        # them)
        html.Div([
            dbc.Button(DROP_INCOMPLETE_WORDS, id=ids.DROP_INCOMPLETE, color="primary", outline=True, size="sm",
                       n_clicks=0),
            dbc.Button(PAD_ENDS_WORDS, id=ids.PAD_ENDS, color="primary", outline=True, size="sm", n_clicks=0),
            dbc.Button(PAD_AND_DROP_WORDS, id=ids.PAD_AND_DROP, color="primary", outline=True, size="sm",
                       n_clicks=0),
        ], id=ids.MISSING_REMEDIES, className="mb-3 d-flex flex-wrap gap-2 awd-hidden"),
        dbc.Row([dbc.Col(_upload_card(), md=7), dbc.Col(_examples_card(), md=5)], className="g-4 mb-4"),
        dcc.Loading(html.Div(id=ids.PREVIEW), type="default"),
    ])


#: What choosing an example changes, by name.
EXAMPLE_OUTPUTS = dict(dataset_id=Output(ids.DATASET_ID, "data"), error=alert_outputs(ids.ERROR, allow_duplicate=True),
                       status=Output(ids.EXAMPLE_STATUS, "children"))


@callback(
    output=EXAMPLE_OUTPUTS,
    inputs=dict(n_clicks=Input({"type": ids.EXAMPLE, "name": ALL}, "n_clicks")),
    prevent_initial_call=True,
)
async def use_example(n_clicks):
    """Turn a built-in example into a stored dataset (``POST /api/examples/{name}``)."""
    trig = ctx.triggered_id
    if not trig or not any(n_clicks or []):
        return named_update(EXAMPLE_OUTPUTS)
    name = trig["name"]
    try:
        ds = await get_client().create_example(name)
    except ApiError as err:
        return named_update(EXAMPLE_OUTPUTS, error=alert_value(f"Could not create the {name} example: {err.message}"),
                            status="")
    made = f"Using “{ds.get('name', name)}”, made before." if ds.get("note") else f"Created “{ds.get('name', name)}”."
    return dict(dataset_id=ds["id"], error=alert_value(""), status=made)


def _fact(text: str, id_: str) -> html.Div:
    """One line under the preview's badges: how the file was read."""
    return html.Div(text, className="small text-muted mt-2", id=id_)


def last_column_words(last: str | None, n_series, no_header: bool = False) -> str:
    """Pure: the preview's line on a table whose target is its last column (``meta["target_is_last_column"]``):
    ``last`` its name, ``n_series`` the columns before it. A file without a header row (``meta["no_header"]``) has
    no names: its columns were numbered, and the automatic name ``y`` is not said as if the file had named it
    (review 40: "No column is named y or target, so the last column (“y”) is the target").

    Examples
    --------
    >>> print(last_column_words(None, 40, no_header=True))
    The file has no header row, so its columns were numbered; the last is the target and the 40 before it are the \
series. If your target is another column, add a header row that names it y or target (several targets: y_<name> \
each, and the configure page picks one); if every column is a time point, add a target column; then upload again.
    >>> last_column_words("t39", 39)[:72]
    'No column is named y or target, so the last column (“t39”) is the target'
    """
    if no_header:
        return (f"The file has no header row, so its columns were numbered; the last is the target and the {n_series} "
                "before it are the series. If your target is another column, add a header row that names it y or "
                "target (several targets: y_<name> each, and the configure page picks one); if every column is a "
                "time point, add a target column; then upload again.")
    return (f"No column is named y or target, so the last column{f' (“{last}”)' if last else ''} is the target and "
            f"the {n_series} before it are the series. If your target is another column, name it y or target "
            "(several targets: y_<name> each, and the configure page picks one); if every column is a time point, "
            "add a target column (named y); then upload again.")


def ignored_words(meta: dict) -> str:
    """Pure: the preview's line on the columns left out of the series and the targets (``meta["ignored_columns"]``:
    a CSV's text and identifier columns, a FITS table's identifier columns), those left out
    for numbering the rows (``meta["numbered_columns"]``, review 40: a ``Track`` column of 1…500 was a target) named
    with how to keep one as the target.

    Examples
    --------
    >>> ignored_words({"ignored_columns": ["cell"]})
    'Left out of the series and the targets: “cell” (text or an identifier column).'
    >>> print(ignored_words({"ignored_columns": ["cell", "Track"], "numbered_columns": ["Track"]}))
    Left out of the series and the targets: “cell” (text or an identifier column). “Track” numbers the rows (distinct \
whole numbers in a run, such as 1 to n, or each series' own number, such as a cell's), so it is read as an \
identifier and left out, not taken as a target; if it is your target, rename its column to y (or y_<name> beside \
other targets) and upload again.
    >>> print(ignored_words({"ignored_columns": ["column 1"], "numbered_columns": ["column 1"], "no_header": True}))
    Left out of the series and the targets: “column 1”, which runs 0 to n-1 (or 1 to n) down the rows as a table's \
row index does; if it is a time point or your target, add a header row naming the columns (y for the target) and \
upload again.
    """
    numbered = meta.get("numbered_columns") or []
    named = [name for name in meta.get("ignored_columns") or [] if name not in numbered]
    words = []
    if named:
        words.append(f"Left out of the series and the targets: {', '.join(f'“{name}”' for name in named)} (text or "
                     "an identifier column).")
    if numbered and meta.get("no_header"):  # a headerless file's first column ran 0…n-1 or 1…n: pandas' index
        words.append(f"Left out of the series and the targets: “{numbered[0]}”, which runs 0 to n-1 (or 1 to n) down "
                     "the rows as a table's row index does; if it is a time point or your target, add a header row "
                     "naming the columns (y for the target) and upload again.")
    elif numbered:
        names = ", ".join(f"“{name}”" for name in numbered)
        one = len(numbered) == 1
        words.append(f"{names} {'numbers' if one else 'number'} the rows (distinct whole numbers in a run, such as 1 "
                     f"to n, or each series' own number, such as a cell's), so {'it is' if one else 'they are'} read "
                     f"as {'an identifier' if one else 'identifiers'} "
                     f"and left out, not taken as {'a target' if one else 'targets'}; if {'it is' if one else 'one is'}"
                     f" your target, rename {'its' if one else 'that'} column to y (or y_<name> beside other targets) "
                     "and upload again.")
    return " ".join(words)


#: Series files with fewer series than this (training and test together), each at least
#: ``TRANSPOSED_RATIO`` times as long as their count, get the preview's caution of :func:`transposed_words`.
FEW_SERIES = 100
TRANSPOSED_RATIO = 4


def transposed_words(kind, n, length) -> str | None:
    """Pure: the preview's caution on few long series, the shape of a table read across that holds one series per
    column (a spreadsheet's traces side by side, each row a time point); None when the shape does not suggest it.

    Parameters
    ----------
    kind : str
        The dataset's kind; only ``"timeseries"`` gets a caution.
    n : int
        Series in the file, training and test together.
    length : int
        Samples per series.

    Examples
    --------
    >>> print(transposed_words("timeseries", 41, 500))
    Only 41 series of 500 time points each: AWD Studio reads one series per row. If each column of your file is a
    series and each row a time point, transpose the table (Excel: copy, Paste Special, Transpose; pandas: df.T)
    and upload it again.
    >>> [transposed_words(*args) for args in (("timeseries", 41, 120), ("timeseries", 3941, 40), ("image", 5, 64))]
    [None, None, None]
    """
    if kind != "timeseries" or not isinstance(n, int) or not isinstance(length, int):
        return None
    if n >= FEW_SERIES or length < TRANSPOSED_RATIO * n:
        return None
    return (f"Only {n} series of {length} time points each: AWD Studio reads one series per row. If each column of "
            "your file is a series and each row a time point, transpose the table (Excel: copy, Paste Special, "
            "Transpose; pandas: df.T) and upload it again.")


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
    count_words, shape_words = size_words(kind, n, shape)
    facts = [
        dbc.Badge(kind_label(kind), color="info", className="me-2", id=ids.PREVIEW_KIND),
        dbc.Badge(count_words + (f" + {n_test} test" if n_test else ""), color="secondary", className="me-2"),
        dbc.Badge(shape_words, color="secondary", className="me-2"),
    ]
    meta = summary.get("meta") or {}
    transposed = transposed_words(kind, n + (n_test or 0) if isinstance(n, int) else n, shape[-1] if shape else None)
    if transposed:
        facts.append(_fact(transposed, ids.PREVIEW_TRANSPOSED))
    if meta.get("channel_axis"):
        facts.append(_fact(channel_axis_words(meta["channel_axis"]), ids.PREVIEW_CHANNEL))
    if squeezed := squeezed_axes_words(meta.get("squeezed_axes")):
        facts.append(_fact(squeezed, ids.PREVIEW_SQUEEZED))
    if as_maps := read_as_maps_words(meta.get("read_as_maps")):
        facts.append(_fact(as_maps, ids.PREVIEW_AS_MAPS))
    tiles = meta.get("tiles")
    if tiles:
        facts.append(_fact(
            f"Cut into {tiles['size']} × {tiles['size']} px tiles, {tiles['per_map']} a map, from "
            f"{' × '.join(str(s) for s in tiles['source_shape'])} maps: {tiles['train_maps']} maps for training, "
            f"{tiles['test_maps']} held out whole for the test split. " + " ".join(tiles.get("notes") or []),
            ids.PREVIEW_TILES))
    if meta.get("target_is_last_column"):
        facts.append(_fact(last_column_words((summary.get("target_names") or [None])[0],
                                             shape[0] if shape else "?", bool(meta.get("no_header"))),
                           ids.PREVIEW_TARGET_RULE))
    if meta.get("targets_off_axis"):
        off = meta["targets_off_axis"]
        names = ", ".join(f"“{name}”" for name in off)
        facts.append(_fact(
            (f"The columns {names} are not time points like the {shape[0] if shape else '?'} others, so they are "
             "targets, not part of the series. " if len(off) > 1 else
             f"The column {names} is not a time point like the {shape[0] if shape else '?'} others, so it is the "
             "target, not part of the series. ")
            + ("The configure page picks which one to explain (the first by default). " if
               len(summary.get("target_names") or []) > 1 else "")
            + "To say it yourself, name target columns y, target or y_<name>.", ids.PREVIEW_TARGET_RULE))
    count, listed = dropped_rows_words(meta.get("dropped_rows"))
    if count:
        total = (meta.get("dropped_rows") or {}).get("of")
        share = f" of {total} ({share_words(count, total)})" if total else ""
        # with the ends filled too, the rows left out had other missing values: filling cannot keep them
        most = (" That is most of the file: if its traces merely ended early, upload it again with “Fill the ends "
                "with zeros”, which keeps every trace." if total and 2 * count >= total
                and not (meta.get("padded_rows") or {}).get("count") else "")
        # with the ends filled too, the traces that ended early were kept: the rows left out had other gaps
        caution = FILLED_AND_DROPPED if (meta.get("padded_rows") or {}).get("count") else DROPPED_CAUTION
        facts.append(_fact(f"Left out {count}{share} row{'s' if count != 1 else ''} with missing values, as asked: "
                           f"{listed}. {caution}{most}", ids.PREVIEW_DROPPED))
    padded = meta.get("padded_rows")
    if padded and padded.get("count"):
        count, listed = dropped_rows_words({**padded, "rows": (padded.get("rows") or [])[:5]})  # most may be
        facts.append(_fact(f"Filled the ends of {count} of {padded.get('of', '?')} traces that ended early with "
                           f"zeros, as asked: the shortest had {padded.get('shortest', '?')} of "
                           f"{padded.get('length', '?')} values; the filled ones: {listed}. A trace's drop to 0 "
                           "where its fill begins tells the network how long it was, which it can learn instead of "
                           "its shape: traces cut to a common window avoid that.", ids.PREVIEW_PADDED))
    if meta.get("ignored_columns"):
        facts.append(_fact(ignored_words(meta), ids.PREVIEW_IGNORED))
    return [dbc.Card([
        dbc.CardHeader(html.Div([
            html.H2(["Preview: ", html.Span(ds.get("name", "dataset"), id=ids.PREVIEW_NAME)], className="h5 mb-0"),
            dbc.Button("Configure a distillation →", href=f"/configure?dataset={ds['id']}", color="success",
                       id=ids.CONFIGURE_LINK),
        ], className="d-flex flex-wrap gap-2 justify-content-between align-items-center")),
        dbc.CardBody([
            html.Div(facts, className="mb-3"),
            dbc.Row([
                dbc.Col([html.H3("A few samples", className="h6"),
                         graph(ids.PREVIEW_GRAPH, "preview", figures.preview_figure(summary))], lg=7),
                dbc.Col([html.H3("Target distribution", className="h6"),
                         graph(ids.TARGET_GRAPH, "targets", figures.target_histogram_figure(summary))], lg=5),
            ]),
        ]),
    ], className="shadow-sm mb-4", id=ids.PREVIEW_CARD)]


#: What the preview shows, by name.
PREVIEW_OUTPUTS = dict(preview=Output(ids.PREVIEW, "children"), error=alert_outputs(ids.ERROR, allow_duplicate=True),
                       remedies=Output(ids.MISSING_REMEDIES, "className", allow_duplicate=True))


@callback(
    output=PREVIEW_OUTPUTS,
    inputs=dict(dataset_id=Input(ids.DATASET_ID, "data")),
    prevent_initial_call="initial_duplicate",
)
async def show_preview(dataset_id):
    """Fetch a dataset and render its preview (and hide the offer to leave out a refused file's rows)."""
    if not dataset_id:
        return named_update(PREVIEW_OUTPUTS, preview=[])
    try:
        ds = await get_client().get_dataset(dataset_id)
    except ApiError as err:
        return named_update(PREVIEW_OUTPUTS, preview=[],
                            error=alert_value(f"Could not load the dataset: {err.message}"))
    # a dataset is shown (an example, another file): the offer for the refused file's rows goes with its error
    return dict(preview=preview_children(ds), error=alert_value(""),
                remedies="mb-3 d-flex flex-wrap gap-2 awd-hidden")
