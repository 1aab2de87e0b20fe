"""Configure: dataset, teacher, wavelet, attribution, the λ/γ grid, epochs, seed; a run-time estimate; submit.

One page, one job (the form's layout and its callbacks); its choices, bounds, presets and the estimate come from
the API (``GET /api/options``, ``POST /api/jobs/estimate``), never from copies here. ``?from=<job id>`` fills the
form with a run's settings (what each field takes from a run: :mod:`frontend.rerun_form`).
"""

from __future__ import annotations

import math
import uuid

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import (
    APP_NAV,
    SUBMITTED_JOB,
    alert_outputs,
    alert_value,
    fmt_seconds,
    items,
    named_update,
    queue_words,
    triggered_id,
)
from awd_studio.frontend.configure.ids import FORM_FIELDS, form_dependencies, ids
from awd_studio.frontend.configure.validation import (
    FIELD_OF_MESSAGE,
    form_problems,
    format_grid,
    invalid_fields,
    parse_grid,
    problems_alert,
)
from awd_studio.frontend.durations import stage_words as estimate_stage_words
from awd_studio.frontend.figures.style import kind_label, size_words
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.option_words import OPTION_WORDS
from awd_studio.frontend.rerun_form import form_values, grid_values, kept_options, kept_words, source_words

dash.register_page(__name__, path="/configure", title="AWD Studio · configure", name="Configure")


#: How the page names the options' values (the values themselves come from ``GET /api/options``); a key
#: ``(option, value)`` names a value for one option only.
LABELS = {
    "saliency": "Saliency (the paper's)", "input_x_gradient": "Input × gradient",
    "integrated_gradients": "Integrated gradients (slower)",
    "orthogonal": "orthogonal (exact lattice)", "free": "free (penalised, as in the paper)",
    "auto": "auto (from the signal length)",
    "kernels": "four sub-filter responses (the paper's)", "magnitude": "LL response and detail magnitude",
    "largest": "largest coefficients of each band (the paper's)", "positions": "coefficients at fixed positions",
    ("series_features", "auto"): "auto (the better in cross-validation)",
}
#: The preset each button asks for.
PRESET_BUTTONS = {ids.PRESET_QUICK: "default", ids.PRESET_PAPER: "paper"}


def choice_options(options: dict | None, name: str) -> list[dict]:
    """Dropdown options of one job option, from ``GET /api/options`` (empty until it has arrived)."""
    choices = (((options or {}).get("options") or {}).get(name) or {}).get("choices") or []
    return [{"label": LABELS.get((name, c), LABELS.get(c, c)), "value": c} for c in choices]


def _card(title, body, help_section=None):
    heading = [title, help_link(help_section)] if help_section else title
    return dbc.Card(dbc.CardBody([html.H2(heading, className="h5 mb-3"), *body]), className="mb-4 shadow-sm")


def _field(label, component, help_text=None, label_for=None):
    if label_for is None and isinstance(component, dcc.Dropdown):  # a dropdown is named by its label (awd.js)
        label_for = component.id
    out = [dbc.Label(label, html_for=label_for, className="fw-semibold"), component]
    if help_text:
        out.append(dbc.FormText(help_text))
    # awd-field: the box that a field reached with Tab scrolls above the Start bar, its help with it (assets/awd.js)
    return html.Div(out, className="mb-3 awd-field")


def layout(dataset: str | None = None, **query):
    """The configure page; ``?dataset=<id>`` preselects the dataset, ``?from=<job id>`` fills the form with that
    run's settings (``&teacher=<architecture>``: but that teacher)."""
    return html.Div([
        html.H1(["Configure a distillation", help_link("configure")], className="h3 mb-3"),
        dcc.Store(id=ids.IDEMPOTENCY, data=str(uuid.uuid4())),
        dcc.Store(id=ids.DATASET_INFO),
        dcc.Store(id=ids.UPLOADED_TEACHER),
        dcc.Store(id=ids.OPTIONS),
        dcc.Store(id=ids.INITIAL_DATASET, data=dataset),
        dcc.Store(id=ids.FROM_JOB, data=query.get("from")),
        dcc.Store(id=ids.FROM_TEACHER, data=query.get("teacher")),
        dcc.Store(id=ids.PREFILL),
        dbc.Alert(id=ids.ERROR, color="danger", is_open=False, dismissable=True),
        dbc.Alert([html.Div(id=ids.PREFILL_TEXT),
                   # one switch per setting, so that a run that failed on one can drop that one alone
                   html.Div([html.Div("Keep its settings that this page does not show:", id=ids.KEEP_LABEL,
                                      className="mt-2"),
                             dbc.Checklist(id=ids.KEEP_OPTIONS, options=[], value=None, switch=True,
                                           className="mb-0")],
                            id=ids.KEEP_BOX, className="awd-hidden", role="group",
                            **{"aria-labelledby": ids.KEEP_LABEL})],
                  id=ids.PREFILL_NOTE, color="info", is_open=False),
        dbc.Row([
            dbc.Col([
                _card("Data", [
                    _field("Dataset", dcc.Dropdown(id=ids.DATASET, placeholder="Choose a dataset…",
                                                   clearable=False), label_for=ids.DATASET),
                    dbc.Input(id=ids.DATASET_HIDDEN, type="hidden", value=dataset or ""),
                    html.Div(id=ids.DATASET_PICKED, className="small text-muted"),
                    html.Div(id=ids.DATASET_FACTS, className="small text-muted mb-2"),
                    html.Div(_field(OPTION_WORDS["target"], dcc.Dropdown(id=ids.TARGET, clearable=False, value=0),
                                    "The teacher learns this column and the students predict it (uploaded weights: "
                                    "their only output, or their output for this column when they have one per "
                                    "column). For maps, the peak-count student's classes are whole target rows "
                                    "(every column).",
                                    label_for=ids.TARGET), id=ids.TARGET_FIELD, className="awd-hidden"),
                    html.A("Upload another dataset", href="/", className="small"),
                ]),
                _card("Teacher", [
                    dbc.RadioItems(id=ids.TEACHER_SOURCE, name=ids.TEACHER_SOURCE, inline=True, value="builtin",
                                   options=[{"label": "Train a built-in network", "value": "builtin"},
                                            {"label": "Upload trained weights", "value": "upload"}]),
                    html.Div([
                        _field(OPTION_WORDS["teacher"], dcc.Dropdown(id=ids.TEACHER, clearable=False),
                               "The architectures for your data kind. For time series, auto trains an LSTM "
                               "(events at any time) and an MLP (values at fixed times) and keeps the one that "
                               "predicts held-out data better; CNN suggested for maps.", label_for=ids.TEACHER),
                        _field(OPTION_WORDS["teacher_epochs"],
                               dbc.Input(id=ids.TEACHER_EPOCHS, type="number", min=1, step=1, placeholder="default"),
                               "Blank: the architecture's default limit; training stops earlier once validation "
                               "stops improving, and the result says when it was still improving at the limit. Not "
                               "used for uploaded weights.", label_for=ids.TEACHER_EPOCHS),
                    ], className="mt-3", id=ids.TEACHER_BUILTIN),
                    html.Div([
                        _field("Architecture of the weights", dbc.RadioItems(
                            id=ids.TEACHER_ARCH, name=ids.TEACHER_ARCH, inline=True, value=None),  # the kind's first, once known
                            "For a .safetensors or .pt state dict; a .pt2 carries its own."),
                        html.Div(html.Div("Drop a .safetensors / .pt / .pt2 file or click", className="small"),
                                 id=ids.TEACHER_DROPZONE, className="awd-dropzone py-3", tabIndex="0",
                                 role="button", **{"aria-label": "Upload teacher weights",
                                                   "data-accept": ".safetensors,.pt,.pth,.pt2"}),
                        html.Div(html.Div(id=ids.UPLOAD_BAR, className="progress-bar", role="progressbar",
                                          style={"width": "0%"}),
                                 id=ids.UPLOAD_PROGRESS, className="progress mt-2 awd-hidden"),
                        html.Div(id=ids.UPLOAD_STATUS, className="small text-muted mt-1",
                                 **{"aria-live": "polite"}),
                        dbc.Alert(id=ids.TEACHER_WARNING, color="warning", is_open=False,
                                  className="small mt-2 mb-0"),
                    ], id=ids.TEACHER_UPLOAD, className="mt-3 awd-hidden"),
                ], help_section="teacher"),
                _card("Wavelet", [
                    dbc.Row([
                        # the default among the options: shown before the service's choices arrive
                        dbc.Col([_field(OPTION_WORDS["wave"],
                                        dcc.Dropdown(id=ids.WAVE, value="db5", options=["db5"], clearable=False)),
                                 html.Div(id=ids.WAVE_NOTE, className="form-text mt-n2 mb-3")], sm=6),
                        dbc.Col(_field(OPTION_WORDS["levels"],
                                       dbc.Input(id=ids.LEVELS, type="number", value=4, min=1, step=1),
                                       label_for=ids.LEVELS), sm=6),
                    ]),
                    _field(OPTION_WORDS["attribution"],
                           dbc.RadioItems(id=ids.ATTRIBUTION, name=ids.ATTRIBUTION, value="saliency")),
                    # one a row: side by side, a select showed "orthogonal (exact lattice" and "auto (from the
                    # signal len" at 1366 px (review 22)
                    _field(OPTION_WORDS["parametrization"], dbc.Select(id=ids.PARAMETRIZATION, value="orthogonal"),
                           label_for=ids.PARAMETRIZATION),
                    _field(OPTION_WORDS["mode"], dbc.Select(id=ids.MODE, value="auto"), label_for=ids.MODE),
                    html.Div(_field(OPTION_WORDS["start_search"],
                                    dbc.Input(id=ids.START_SEARCH, type="number", min=0, step=1, placeholder="auto"),
                                    "Time series: before the grid, random orthogonal filters are descended on the "
                                    "interpretation term (for γ > 0) and on sparsity alone (for γ = 0, without the "
                                    "teacher); each grid point starts from the best of its own for its loss. "
                                    "Blank: 1000 for 1000 or more series of up to 64 samples, else none; 0 turns it "
                                    "off.", label_for=ids.START_SEARCH), id=ids.START_SEARCH_FIELD),
                    html.Div(_field(OPTION_WORDS["series_features"],
                                    dbc.Select(id=ids.SERIES_FEATURES, value="auto"),
                                    "Time series: in each band, each series' largest coefficients wherever they sit "
                                    "(events at any time, the paper's student), or the coefficients at the positions "
                                    "that track the target best on the training data, the same for every series "
                                    "(values at fixed times). Auto: the one that cross-validates better at the "
                                    "initial wavelet.", label_for=ids.SERIES_FEATURES),
                             id=ids.SERIES_FEATURES_FIELD),
                    html.Div(_field(OPTION_WORDS["peak_response"],
                                    dbc.Select(id=ids.PEAK_RESPONSE, value="magnitude"),
                                    "Maps: what the peak-count student histograms at each peak through the "
                                    "wavelet's 3 × 3 sub-filters.", label_for=ids.PEAK_RESPONSE),
                             id=ids.PEAK_RESPONSE_FIELD),
                    _field(OPTION_WORDS["random_search"],
                           dbc.Input(id=ids.RANDOM_SEARCH, type="number", min=0, step=1, placeholder="auto"),
                           "After distillation, this many random orthogonal wavelets are scored by the student's "
                           "cross-validation alone and the best is compared with AWD on the test set: does the "
                           "teacher add anything a search on the labels does not find? Blank: 300 for 1000 or more "
                           "time series, else off; 0 turns it off. About 0.01 s per wavelet per 3000 series, 0.2 s "
                           "per 1000 maps.", label_for=ids.RANDOM_SEARCH),
                    _field(OPTION_WORDS["student"],
                           dbc.Row([
                               dbc.Col(dbc.Switch(id=ids.SCATTERING, value=False,
                                                  label="Also fit a learned scattering student"), xs=12, md=7),
                               dbc.Col([
                                   dbc.Label(OPTION_WORDS["scattering_epochs"], html_for=ids.SCATTERING_EPOCHS,
                                             className="visually-hidden"),
                                   dbc.InputGroup([
                                       dbc.Input(id=ids.SCATTERING_EPOCHS, type="number", min=1, step=1,
                                                 placeholder="10", disabled=True),
                                       dbc.InputGroupText("epochs")], size="sm")], xs=8, md=5)],
                               className="g-2 align-items-center"),
                           "Orders 0-2 of a scattering transform on the wavelet the selection keeps, trained end to "
                           "end with a ridge head and its paths pruned; scored beside AWD's students, shown with "
                           "its filters and kept paths, and saved for prediction. Adds to the run time (the run-time "
                           "estimate includes it).", label_for=ids.SCATTERING),
                ], help_section="wavelet"),
            ], lg=6),
            dbc.Col([
                _card("λ / γ grid", [
                    html.Div([preset_button("Quick grid", ids.PRESET_QUICK),
                              preset_button("Paper's grid", ids.PRESET_PAPER)],
                             className="d-flex flex-wrap gap-2 mb-3", role="group",
                             **{"aria-label": "Grid presets"}),
                    _field([OPTION_WORDS["lambdas"], help_link("lambda")], dbc.Textarea(id=ids.LAMBDAS, rows=2),
                           "Comma-separated, ≥ 0.", label_for=ids.LAMBDAS),
                    _field([OPTION_WORDS["gammas"], help_link("gamma")], dbc.Textarea(id=ids.GAMMAS, rows=3),
                           "Include 0: it is the “AWD without interpretation” baseline.",
                           label_for=ids.GAMMAS),
                    dbc.Row([
                        dbc.Col(_field(OPTION_WORDS["epochs"],
                                       dbc.Input(id=ids.EPOCHS, type="number", value=50, min=1, step=1),
                                       label_for=ids.EPOCHS), sm=4),
                        # filled by the preset, as the epochs are (the maps' quick grid takes a larger step)
                        dbc.Col(_field(OPTION_WORDS["lr"],
                                       dbc.Input(id=ids.LR, type="number", value=1e-3, min=0, step="any"),
                                       label_for=ids.LR), sm=4),
                        dbc.Col(_field(OPTION_WORDS["seed"],
                                       dbc.Input(id=ids.SEED, type="number", value=0, min=0, step=1),
                                       label_for=ids.SEED), sm=4),
                    ]),
                    html.Div(id=ids.GRID_SIZE, className="mb-2"),
                ], help_section="grid"),
                dbc.Card(dbc.CardBody(html.Div(id=ids.ESTIMATE, **{"aria-live": "polite"})),
                         className="shadow-sm border-success"),
            ], lg=6),
        ]),
        action_bar(),
    ])


def preset_button(label: str, button_id: str, pressed: bool = False) -> html.Button:
    """A grid preset's button: a toggle that looks pressed (filled, ``aria-pressed``) while the λ and γ fields show
    its grid (:func:`preset_pressed`); a reviewer could not tell which preset the grid was."""
    return html.Button(label, id=button_id, type="button", n_clicks=0, className=preset_class(pressed),
                       **{"aria-pressed": "true" if pressed else "false"})


def preset_class(pressed: bool) -> str:
    """A preset button's classes: Bootstrap's ``active`` (filled grey) while it is pressed, and a tick before its
    label (assets/awd.css, ``.awd-preset``: a pointer over an outlined button fills it too).

    Examples
    --------
    >>> preset_class(True)
    'btn btn-sm btn-outline-secondary awd-preset active'
    """
    return "btn btn-sm btn-outline-secondary awd-preset" + (" active" if pressed else "")


def action_bar() -> html.Div:
    """Start, with the estimate in short beside it, in a bar held at the bottom of the window (``awd-action-bar`` in
    assets/awd.css): at 1366 × 768 the button sat 64 px below the window, on a phone 2700 px down. It comes after the
    form, so the keyboard reaches it last, and at the end of the page it stands in its own place below the form."""
    return html.Div([
        html.Div([html.Div(id=ids.START_LINE, className="awd-action-bar-text small"),
                  dbc.Button("Start distillation", id=ids.SUBMIT, color="success", size="lg", n_clicks=0)],
                 className="awd-action-bar-row"),
        dcc.Loading(html.Div(id=ids.SUBMIT_STATUS, className="small awd-action-bar-status"), type="dot"),
    ], id=ids.ACTION_BAR, className="awd-action-bar")


#: Said under the dataset when the page was opened without one: the newest is preselected.
PICKED_NEWEST = "Your newest dataset, preselected: choose another above if it is not the one."

#: An estimate above this many seconds is said to be a long job, with what to check before starting it.
LONG_JOB_SECONDS = 600.0

#: What reading ``?from=``'s run sets: its form values, and the dataset to preselect.
PREFILL_OUTPUTS = dict(prefill=Output(ids.PREFILL, "data"), initial=Output(ids.INITIAL_DATASET, "data"),
                       error=alert_outputs(ids.ERROR, allow_duplicate=True))


@callback(output=PREFILL_OUTPUTS, inputs=dict(job_id=Input(ids.FROM_JOB, "data")),
          state=dict(dataset=State(ids.INITIAL_DATASET, "data"), teacher=State(ids.FROM_TEACHER, "data")),
          prevent_initial_call="initial_duplicate")
async def load_prefill(job_id, dataset=None, teacher=None):
    """Read the run of ``?from=`` (``GET /api/jobs/{id}``): its settings become the form's (each field's callback
    takes its own from :data:`ids.PREFILL`, so a default arriving later does not overwrite it) and its dataset is
    preselected. The first callback of the page: the options and the dataset list wait for it."""
    if not job_id:
        return dict(prefill=None, initial=dataset, error=alert_value(None))
    try:
        job = await get_client().get_job(job_id)
    except ApiError as err:
        return dict(prefill=None, initial=dataset, error=alert_value(
            f"Could not read the settings of job {job_id}: {err.message}. The form shows the defaults."))
    values = form_values(job)
    changed = None
    if teacher and teacher != values.get("teacher"):  # "Rerun with the MLP teacher": the run's settings but that
        changed, values = teacher, {**values, "teacher": teacher}
    teacher_deleted = False
    if job.get("teacher_id"):  # uploaded weights: still stored? (read once, here, where the run is read)
        try:
            await get_client().get_teacher(job["teacher_id"])
        except ApiError as err:
            teacher_deleted = err.not_found
    return dict(prefill={"job_id": job["id"], "source": source_words(job), "values": values,
                         "config": job.get("config") or {}, "teacher_deleted": teacher_deleted,
                         **({"teacher_changed": changed} if changed else {})},
                initial=values["dataset_id"], error=alert_value(None))


def _prefill_for(prefill: dict | None, info: dict | None) -> dict:
    """The run's form values when the dataset chosen is that run's (another dataset takes the defaults)."""
    values = (prefill or {}).get("values") or {}
    return values if values and (info or {}).get("id") == values.get("dataset_id") else {}


@callback(output=dict(text=Output(ids.PREFILL_TEXT, "children"), is_open=Output(ids.PREFILL_NOTE, "is_open"),
                      keep_options=Output(ids.KEEP_OPTIONS, "options"), keep=Output(ids.KEEP_OPTIONS, "value"),
                      keep_class=Output(ids.KEEP_BOX, "className")),
          inputs=dict(prefill=Input(ids.PREFILL, "data"), options=Input(ids.OPTIONS, "data"),
                      info=Input(ids.DATASET_INFO, "data")),
          state=dict(keep=State(ids.KEEP_OPTIONS, "value")))
def prefill_note(prefill, options, info=None, keep=None):
    """Above the form: which run filled it and how that run ended (and when its uploaded teacher has been deleted
    since); the options it set that the page has no field for, one switch each, kept unless switched off (a run
    that failed on one of them drops that one and keeps the others). ``keep``: the switches on so far (None until
    they are drawn: then all of them)."""
    if not prefill:
        return dict(text=None, is_open=False, keep_options=[], keep=None, keep_class="awd-hidden")
    short = prefill["job_id"][:8]
    text = [html.Span("Settings of run "), html.A(short, href=f"/jobs/{prefill['job_id']}"),
            html.Span(f" ({prefill['source']}). Change what you need and start it: it runs as a new job, the old one "
                      "stays.")]
    if info and not _prefill_for(prefill, info):  # another dataset chosen: say which fields follow it
        text.append(html.Div(f"Another dataset than run {short}'s is chosen: the grid, teacher and target are this "
                             "dataset's defaults; the other fields keep the run's settings.",
                             className="mt-1 fw-semibold"))
    if prefill.get("teacher_changed"):
        text.append(html.Div(f"The teacher is changed to {prefill['teacher_changed']}, to compare what the two "
                             "teachers read: the other settings are the run's.", className="mt-1 fw-semibold"))
    if prefill.get("teacher_deleted"):
        arch = (prefill.get("values") or {}).get("teacher_arch") or "auto"
        text.append(html.Div(f"Its uploaded teacher has been deleted since: the form trains a new {arch} teacher "
                             "instead; upload the weights again under Teacher to use them.",
                             className="mt-1 fw-semibold"))
    kept = kept_options(prefill.get("config"), (options or {}).get("options"))
    if not kept:
        return dict(text=text, is_open=True, keep_options=[], keep=None, keep_class="awd-hidden")
    return dict(text=text, is_open=True, keep_class="",
                keep_options=[{"label": kept_words({name: value}), "value": name} for name, value in kept.items()],
                keep=list(kept) if keep is None else [name for name in keep if name in kept])


#: What loading the dataset list changes, by name.
DATASETS_OUTPUTS = dict(options=Output(ids.DATASET, "options"), value=Output(ids.DATASET, "value"),
                        error=alert_outputs(ids.ERROR, allow_duplicate=True),
                        picked=Output(ids.DATASET_PICKED, "children"))


def _dataset_label(d: dict) -> str:
    """A dataset's line in the dropdown: name, kind, size, the file it came from and when it was stored (two
    uploads may share a name: traces.csv and traces.npz both read "traces").

    Examples
    --------
    >>> _dataset_label({"id": "x", "name": "traces", "kind": "timeseries", "n": 300,
    ...                 "original_filename": "traces.csv", "created": "2026-12-03T15:24:01"})
    'traces · time series · n = 300 · traces.csv · 2026-12-03 15:24'
    >>> _dataset_label({"id": "x", "name": "cme", "kind": "timeseries", "n": 2936, "n_test": 1005})
    'cme · time series · n = 2936 + 1005 test'
    """
    kind = kind_label(d.get("kind"))
    created = str(d.get("created") or "")[:16].replace("T", " ")
    # the training count and the fixed test split's (review 15: "n = 2936" read as the whole example's size)
    size = f"n = {d.get('n', '?')}" + (f" + {d['n_test']} test" if d.get("n_test") else "")
    return " · ".join(part for part in (str(d.get("name", d["id"])), kind, size,
                                        d.get("original_filename") or "", created) if part)


@callback(
    output=DATASETS_OUTPUTS,
    inputs=dict(initial=Input(ids.INITIAL_DATASET, "data")),
    prevent_initial_call="initial_duplicate",
)
async def load_datasets(initial):
    """Fill the dataset dropdown (``GET /api/datasets``), preselecting ``?dataset=``."""
    try:
        rows = items(await get_client().list_datasets())
    except ApiError as err:
        return dict(options=[], value=None, error=alert_value(f"Could not list datasets: {err.message}"))
    options = [{"label": _dataset_label(d), "value": d["id"]} for d in rows]
    known = [o["value"] for o in options]
    value = initial if initial in known else (known[0] if known else None)
    if initial and initial not in known:
        return dict(options=options, value=value, error=alert_value("That dataset no longer exists; pick another one."),
                    picked=PICKED_NEWEST)
    # none named (the top bar's Configure): the newest, said so (review 18: a 416 000-series upload was preselected,
    # a 52-minute job one click from Start)
    return named_update(DATASETS_OUTPUTS, options=options, value=value,
                        picked=PICKED_NEWEST if value is not None and value != initial else "")


@callback(
    output=dict(info=Output(ids.DATASET_INFO, "data"), facts=Output(ids.DATASET_FACTS, "children"),
                hidden=Output(ids.DATASET_HIDDEN, "value"), targets=Output(ids.TARGET, "options"),
                target=Output(ids.TARGET, "value"), target_field=Output(ids.TARGET_FIELD, "className")),
    inputs=dict(dataset_id=Input(ids.DATASET, "value")),
    state=dict(prefill=State(ids.PREFILL, "data")),
    prevent_initial_call=True,
)
async def load_dataset_info(dataset_id, prefill=None):
    """Kind, shape and size of the chosen dataset, and its target columns (a choice when there are several; the
    run's of ``?from=`` on that run's dataset)."""
    no_targets = dict(targets=[], target=0, target_field="awd-hidden")
    if not dataset_id:
        return dict(info=None, facts="No dataset yet: upload one or use an example on the home page.", hidden="",
                    **no_targets)
    try:
        ds = await get_client().get_dataset(dataset_id)
    except ApiError as err:
        return dict(info=None, facts=f"Could not load the dataset: {err.message}", hidden=dataset_id, **no_targets)
    info = {"id": ds["id"], "kind": ds.get("kind"), "shape": ds.get("shape"), "n": ds.get("n"),
            # the wavelet a simulated dataset was made with (the synthetic example's db5), when it names one
            "true_wavelet": ((ds.get("summary") or {}).get("meta") or {}).get("true_wavelet")}
    count, each = size_words(info["kind"], info["n"], info["shape"])
    targets = target_options(ds.get("summary"))
    target = _prefill_for(prefill, info).get("target")
    if target not in [o["value"] for o in targets if not o.get("disabled")]:
        target = first_target(targets)
    return dict(info=info, facts=f"{kind_label(info['kind'])}, {count} of {each}", hidden=dataset_id,
                targets=targets, target=target, target_field="" if len(targets) > 1 else "awd-hidden")


def target_options(summary: dict | None) -> list[dict]:
    """The dropdown's target columns of a dataset summary (``GET /api/datasets/{id}``), by name and column.

    Examples
    --------
    >>> target_options({"target_names": ["Omega_m", "sigma_8"]})
    [{'label': 'Omega_m (column 0)', 'value': 0}, {'label': 'sigma_8 (column 1)', 'value': 1}]
    >>> target_options({"n_targets": 2})
    [{'label': 'column 0', 'value': 0}, {'label': 'column 1', 'value': 1}]

    A column that holds one value is listed, disabled, with the reason.
    """
    summary = summary or {}
    names = [str(n) for n in summary.get("target_names") or []]
    columns = summary.get("targets") or []
    count = max(len(names), int(summary.get("n_targets") or 0))
    options = []
    for i in range(count):
        label = f"{names[i]} (column {i})" if i < len(names) else f"column {i}"
        if i < len(columns) and columns[i].get("n_unique") == 1:
            options.append({"label": f"{label}: {columns[i].get('min'):g} in every sample, nothing to predict",
                            "value": i, "disabled": True})
        else:
            options.append({"label": label, "value": i})
    return options


def first_target(options: list[dict]) -> int:
    """The column the dropdown opens on: the first that can be predicted (0 when none can)."""
    return next((o["value"] for o in options if not o.get("disabled")), 0)


#: The fields shown for one data kind only, and what clears a hidden one.
KIND_FIELDS = dict(start_field=Output(ids.START_SEARCH_FIELD, "className"),
                   start_search=Output(ids.START_SEARCH, "value"),
                   peak_field=Output(ids.PEAK_RESPONSE_FIELD, "className"),
                   series_field=Output(ids.SERIES_FEATURES_FIELD, "className"),
                   levels=Output(ids.LEVELS, "value"))


def deepest_levels(shape) -> int | None:
    """The most levels the shortest side of a sample allows, ``ceil(log2(side))`` (periodization's limit, down to
    one coefficient; the service checks the mode it uses); None without a shape.

    Examples
    --------
    >>> deepest_levels([8]), deepest_levels([64, 64]), deepest_levels(None)
    (3, 6, None)
    """
    sides = [int(s) for s in shape or [] if isinstance(s, (int, float)) and s >= 2]
    return max(1, math.ceil(math.log2(min(sides)))) if sides else None


@callback(output=KIND_FIELDS, inputs=dict(info=Input(ids.DATASET_INFO, "data")),
          state=dict(levels=State(ids.LEVELS, "value"), prefill=State(ids.PREFILL, "data")))
def fields_for_kind(info, levels=None, prefill=None):
    """Show the options that apply to the dataset's kind: the start search and what the series student reads for
    time series (a search on maps is refused, so its field is emptied when hidden), what the map student reads for
    maps; all until a dataset is chosen. Levels J deeper than the data allows come down to its deepest (series of
    8 samples opened with J = 4, in red, and the job was refused). On the dataset of ``?from=``'s run, its levels
    and start search."""
    kind = (info or {}).get("kind")
    mine = _prefill_for(prefill, info)
    if mine:
        return dict(start_field="awd-hidden" if kind == "image" else "",
                    start_search=None if kind == "image" else mine.get("start_search"),
                    peak_field="awd-hidden" if kind == "timeseries" else "",
                    series_field="awd-hidden" if kind == "image" else "", levels=mine.get("levels") or levels)
    deepest = deepest_levels((info or {}).get("shape"))
    too_deep = deepest is not None and isinstance(levels, (int, float)) and levels > deepest
    return dict(start_field="awd-hidden" if kind == "image" else "",
                start_search=None if kind == "image" else dash.no_update,
                peak_field="awd-hidden" if kind == "timeseries" else "",
                series_field="awd-hidden" if kind == "image" else "",
                levels=deepest if too_deep else dash.no_update)


#: Where the form starts on a dataset made with a known wavelet, when that wavelet is the one selected: the paper's
#: recovery test starts from sym5 or coif2 (section 4.1), and a start at the truth leaves nothing to recover.
RECOVERY_START = "sym5"


def recovery_start(info: dict | None, wave: str | None, prefill: dict | None = None) -> tuple:
    """``(wave, note)`` for a dataset made with a known wavelet (``info["true_wavelet"]``): the start moves to
    :data:`RECOVERY_START` when the form holds the true wavelet itself (not on ``?from=``'s own dataset: that run's
    start stays), and the note says why; ``(no_update, "")`` for other data.

    Review 16: the synthetic example's card said "start from sym5 or coif2", the form started from db5, and the run
    reported only that AWD was worse than db5.

    Examples
    --------
    >>> recovery_start({"true_wavelet": "db5"}, "db5")[0]
    'sym5'
    >>> recovery_start({"true_wavelet": "db5"}, "coif2")[1][:35]
    'This dataset was made with db5: the'
    >>> recovery_start({"kind": "timeseries"}, "db5")[1]
    ''
    """
    truth = (info or {}).get("true_wavelet")
    if not truth:
        return dash.no_update, ""
    if wave == truth and not _prefill_for(prefill, info) and truth != RECOVERY_START:
        return RECOVERY_START, (f"This dataset was made with {truth}: the form starts from {RECOVERY_START}, so "
                                f"that the result shows whether distillation finds {truth} (the paper's recovery "
                                f"test; coif2 is its other start). Choose {truth} to start at the truth.")
    return dash.no_update, (f"This dataset was made with {truth}: the result reports how far the learned wavelet "
                            f"ends from {truth}.")


@callback(output=dict(wave=Output(ids.WAVE, "value", allow_duplicate=True), note=Output(ids.WAVE_NOTE, "children")),
          inputs=dict(info=Input(ids.DATASET_INFO, "data"), _options=Input(ids.OPTIONS, "data")),
          state=dict(wave=State(ids.WAVE, "value"), prefill=State(ids.PREFILL, "data")), prevent_initial_call=True)
def start_for_recovery(info, _options, wave, prefill=None):
    """:func:`recovery_start` when the dataset, or the options that set the wavelet's choices, arrive."""
    new, note = recovery_start(info, wave, prefill)
    return dict(wave=new, note=note)


#: What the options of the service set on the form.
OPTIONS_OUTPUTS = dict(
    options=Output(ids.OPTIONS, "data"), waves=Output(ids.WAVE, "options"), wave=Output(ids.WAVE, "value"),
    attributions=Output(ids.ATTRIBUTION, "options"), parametrizations=Output(ids.PARAMETRIZATION, "options"),
    modes=Output(ids.MODE, "options"), peak_responses=Output(ids.PEAK_RESPONSE, "options"),
    peak_response=Output(ids.PEAK_RESPONSE, "value"), series_features_options=Output(ids.SERIES_FEATURES, "options"),
    series_features=Output(ids.SERIES_FEATURES, "value"),
    max_levels=Output(ids.LEVELS, "max"), max_epochs=Output(ids.EPOCHS, "max"),
    max_teacher_epochs=Output(ids.TEACHER_EPOCHS, "max"), max_start_search=Output(ids.START_SEARCH, "max"),
    max_random_search=Output(ids.RANDOM_SEARCH, "max"), max_scattering_epochs=Output(ids.SCATTERING_EPOCHS, "max"),
    error=alert_outputs(ids.ERROR, allow_duplicate=True))


@callback(output=OPTIONS_OUTPUTS, inputs=dict(prefill=Input(ids.PREFILL, "data")),
          state=dict(wave=State(ids.WAVE, "value")), prevent_initial_call="initial_duplicate")
async def load_options(prefill=None, wave=None):
    """The service's job options (``GET /api/options``): every choice, bound and preset of the form (the
    initial wavelet is set again with its choices: a dropdown drops a value its options do not hold yet); the
    wavelet and what the students read of ``?from=``'s run (read first: this waits for it)."""
    try:
        options = await get_client().get_options()
    except ApiError as err:
        return named_update(OPTIONS_OUTPUTS, error=alert_value(f"Could not read the job options: {err.message}"))
    bounds = options.get("bounds", {})
    waves = options.get("wavelets", [])
    default_wave = options.get("options", {}).get("wave", {}).get("default", "db5")
    default_response = options.get("options", {}).get("peak_response", {}).get("default", "magnitude")
    default_features = options.get("options", {}).get("series_features", {}).get("default", "auto")
    mine = (prefill or {}).get("values") or {}
    wave = mine.get("wave") or wave
    default_response = mine.get("peak_response") or default_response
    default_features = mine.get("series_features") or default_features
    # the error alert is left as it is: it may say that ?from='s run could not be read (a reviewer saw it cleared)
    return named_update(OPTIONS_OUTPUTS, options=options, waves=[{"label": w, "value": w} for w in waves],
                wave=wave if wave in waves else default_wave,
                attributions=choice_options(options, "attribution"),
                parametrizations=choice_options(options, "parametrization"), modes=choice_options(options, "mode"),
                peak_responses=choice_options(options, "peak_response"), peak_response=default_response,
                series_features_options=choice_options(options, "series_features"), series_features=default_features,
                max_levels=bounds.get("levels"), max_epochs=bounds.get("epochs"),
                max_teacher_epochs=bounds.get("teacher_epochs"), max_start_search=bounds.get("start_search"),
                max_random_search=bounds.get("random_search"),
                max_scattering_epochs=bounds.get("scattering_epochs"))


@callback(
    output=dict(options=Output(ids.TEACHER, "options"), value=Output(ids.TEACHER, "value")),
    inputs=dict(info=Input(ids.DATASET_INFO, "data"), uploaded=Input(ids.UPLOADED_TEACHER, "data"),
                options=Input(ids.OPTIONS, "data")),
    state=dict(current=State(ids.TEACHER, "value"), prefill=State(ids.PREFILL, "data")),
)
async def load_teachers(info, uploaded, options, current, prefill=None):
    """Teacher choices: built-in architectures plus uploaded weights; the kind's default preselected (on the
    dataset of ``?from=``'s run, that run's teacher while it is one of the choices)."""
    service = options or {}
    try:
        rows = items(await get_client().list_teachers())
    except ApiError:
        rows = [{"id": a, "name": a, "arch": a, "builtin": True} for a in service.get("teacher_architectures", [])]
    kind = (info or {}).get("kind")
    auto = auto_teacher_option(service, kind)
    choices = ([auto] if auto else []) + teacher_options(rows_for_kind(rows, service, info))
    values = [o["value"] for o in choices]
    if uploaded and uploaded.get("id"):
        if uploaded["id"] not in values:
            choices.append({"label": f"uploaded: {uploaded.get('name', uploaded['id'])}", "value": uploaded["id"]})
        return dict(options=choices, value=uploaded["id"])
    if triggered_id() == ids.DATASET_INFO or current not in values:
        default = "auto" if auto else (service.get("default_teacher") or {}).get(kind, "mlp")
        mine = _prefill_for(prefill, info)
        for asked in (mine.get("teacher"), mine.get("teacher_arch")):  # uploaded weights deleted: their architecture
            if asked in values:
                default = asked
                break
        return dict(options=choices, value=default if default in values else (values[0] if values else None))
    return dict(options=choices, value=current)


def auto_teacher_option(options: dict | None, kind: str | None) -> dict | None:
    """The dropdown's ``auto`` entry when ``teacher="auto"`` trains several architectures for this data kind
    (``GET /api/options``'s ``auto_teachers``), or when no dataset is chosen yet (``kind`` None), else None (then the
    kind's default architecture is preselected)."""
    by_kind = (options or {}).get("auto_teachers") or {}
    if kind is None and by_kind:  # no dataset chosen yet: "auto" is the default whatever the data turns out to be
        return {"label": "auto — chosen for the data", "value": "auto"}
    archs = list(by_kind.get(kind) or [])
    if len(archs) < 2:
        return None
    return {"label": f"auto — the better of {' and '.join(archs)}",
            "value": "auto"}


def architectures_for(options: dict | None, kind: str | None) -> list[str]:
    """The built-in architectures offered for a data kind (``GET /api/options``'s
    ``teacher_architectures_by_kind``; every architecture while the kind is unknown)."""
    options = options or {}
    by_kind = options.get("teacher_architectures_by_kind") or {}
    return list(by_kind.get(kind) or options.get("teacher_architectures") or [])


def rows_for_kind(rows: list[dict], options: dict | None, info: dict | None) -> list[dict]:
    """Teacher rows valid for the chosen dataset: built-ins of its kind (:func:`architectures_for`), uploaded
    weights of such an architecture whose input shape is the dataset's sample shape."""
    info = info or {}
    allowed = set(architectures_for(options, info.get("kind")))
    shape = info.get("shape")
    out = []
    for r in rows:
        arch = r.get("arch", r.get("id"))
        if allowed and arch not in allowed:
            continue
        if not r.get("builtin", True) and shape and r.get("input_shape") and list(r["input_shape"]) != list(shape):
            continue
        out.append(r)
    return out


@callback(
    output=dict(options=Output(ids.TEACHER_ARCH, "options"), value=Output(ids.TEACHER_ARCH, "value")),
    inputs=dict(info=Input(ids.DATASET_INFO, "data"), options=Input(ids.OPTIONS, "data")),
    state=dict(current=State(ids.TEACHER_ARCH, "value")),
)
def weights_architectures(info, options, current):
    """The architectures an uploaded weights file may have: those of the dataset's kind, the kind's default
    (its first: the LSTM for series, the CNN for maps, as for ``awd distill --teacher FILE``) chosen until the
    user picks another (review 14: mlp was preselected for maps, and CNN weights were refused)."""
    archs = architectures_for(options, (info or {}).get("kind"))
    value = current if current in archs else (archs[0] if archs else None)
    return dict(options=[{"label": a, "value": a} for a in archs], value=value)


def teacher_options(rows: list[dict]) -> list[dict]:
    """Dropdown options from ``GET /api/teachers`` rows (built-ins first)."""
    built = [r for r in rows if r.get("builtin", True)]
    uploaded = [r for r in rows if not r.get("builtin", True)]
    opts = [{"label": f"{r.get('name', r['id'])}" + (f" — {r['description']}" if r.get("description") else ""),
             "value": r["id"]} for r in built]
    opts += [{"label": f"uploaded: {r.get('name', r['id'])} ({r.get('arch', '?')})", "value": r["id"]}
             for r in uploaded]
    return opts


#: The fields only ``?from=``'s run sets (the page's own defaults are in the layout).
RUN_FIELDS = dict(attribution=Output(ids.ATTRIBUTION, "value"), parametrization=Output(ids.PARAMETRIZATION, "value"),
                  mode=Output(ids.MODE, "value"), seed=Output(ids.SEED, "value"),
                  teacher_epochs=Output(ids.TEACHER_EPOCHS, "value"), random_search=Output(ids.RANDOM_SEARCH, "value"),
                  scattering=Output(ids.SCATTERING, "value"), scattering_epochs=Output(ids.SCATTERING_EPOCHS, "value"))


@callback(output=RUN_FIELDS, inputs=dict(prefill=Input(ids.PREFILL, "data")), prevent_initial_call=True)
def fill_run_fields(prefill):
    """The settings of ``?from=``'s run that no other callback of the page writes."""
    mine = (prefill or {}).get("values")
    if not mine:
        return named_update(RUN_FIELDS)
    return {name: mine.get(name) for name in RUN_FIELDS}


@callback(output=dict(upload=Output(ids.TEACHER_UPLOAD, "className"),
                      builtin=Output(ids.TEACHER_BUILTIN, "className")),
          inputs=dict(source=Input(ids.TEACHER_SOURCE, "value")))
def toggle_teacher_upload(source):
    """Show either the weights upload (with its architecture) or the built-in architecture, never both."""
    upload = source == "upload"
    return dict(upload="mt-3" if upload else "mt-3 awd-hidden", builtin="mt-3 awd-hidden" if upload else "mt-3")


@callback(output=dict(text=Output(ids.TEACHER_WARNING, "children"), is_open=Output(ids.TEACHER_WARNING, "is_open")),
          inputs=dict(uploaded=Input(ids.UPLOADED_TEACHER, "data"), teacher=Input(ids.TEACHER, "value")))
def teacher_warning(uploaded, teacher):
    """The upload's warning (``POST /api/teachers``: predictions at another scale than the targets) while those
    weights are the chosen teacher.

    Examples
    --------
    >>> teacher_warning({"id": "t1", "warning": "On 256 samples ..."}, "t1")["is_open"]
    True
    >>> teacher_warning({"id": "t1", "warning": "On 256 samples ..."}, "auto")["is_open"]
    False
    """
    text = (uploaded or {}).get("warning")
    shown = bool(text) and teacher == (uploaded or {}).get("id")
    # named: after a refused upload the warning stays with the weights still chosen (review 23: "this teacher"
    # read as the refused file)
    named = [html.Strong(f"“{uploaded.get('name') or 'the uploaded weights'}”: "), text] if shown else None
    return dict(text=named, is_open=shown)


@callback(Output(ids.TEACHER, "value", allow_duplicate=True), Input(ids.TEACHER_SOURCE, "value"),
          State(ids.TEACHER, "value"), State(ids.TEACHER, "options"), State(ids.OPTIONS, "data"),
          State(ids.UPLOADED_TEACHER, "data"), prevent_initial_call=True)
def teacher_for_source(source, current, choices, options, uploaded=None):
    """Back to "Train a built-in network": a built-in choice ("auto" first), not the weights just uploaded (review
    23: the uploaded teacher stayed chosen, its warning hidden with the upload block, and would have been sent);
    back to "Upload trained weights": the weights uploaded on this page, if any.

    Examples
    --------
    >>> choices = [{"value": "auto"}, {"value": "mlp"}, {"value": "t-1"}]
    >>> teacher_for_source("builtin", "t-1", choices, {"teacher_architectures": ["mlp", "lstm"]})
    'auto'
    >>> teacher_for_source("builtin", "mlp", choices, {"teacher_architectures": ["mlp"]}) is no_update
    True
    >>> teacher_for_source("upload", "auto", choices, {}, {"id": "t-1"})
    't-1'
    """
    if source == "upload":
        mine = (uploaded or {}).get("id")
        return mine if mine and mine != current and any(o.get("value") == mine for o in choices or []) else no_update
    built_in = {"auto", *((options or {}).get("teacher_architectures") or [])}
    if source != "builtin" or current in built_in:
        return no_update
    return next((o["value"] for o in choices or [] if o.get("value") in built_in), no_update)


#: What a grid preset fills in.
PRESET_OUTPUTS = dict(lambdas=Output(ids.LAMBDAS, "value"), gammas=Output(ids.GAMMAS, "value"),
                      epochs=Output(ids.EPOCHS, "value"), lr=Output(ids.LR, "value"))


@callback(
    output=PRESET_OUTPUTS,
    inputs=dict(info=Input(ids.DATASET_INFO, "data"), _quick=Input(ids.PRESET_QUICK, "n_clicks"),
                _paper=Input(ids.PRESET_PAPER, "n_clicks"), options=Input(ids.OPTIONS, "data")),
    state=dict(prefill=State(ids.PREFILL, "data")),
)
def apply_preset(info, _quick, _paper, options, prefill=None):
    """Fill the grid, epochs and step size from the service's preset for the dataset's kind (``default`` unless
    "Paper's grid"), or, on the dataset of ``?from=``'s run until a preset button is pressed, that run's."""
    kind = (info or {}).get("kind") or "timeseries"
    clicked = triggered_id()
    name = PRESET_BUTTONS.get(clicked, "default")
    mine = _prefill_for(prefill, info)
    if mine and clicked not in PRESET_BUTTONS:
        grid = grid_values(mine, (options or {}).get("grid_presets"), kind)
        if grid:
            return dict(lambdas=format_grid(grid["lambdas"]), gammas=format_grid(grid["gammas"]),
                        epochs=grid["epochs"], lr=grid.get("lr") or 1e-3)
    preset = ((options or {}).get("grid_presets") or {}).get(kind, {}).get(name)
    if not preset:
        return named_update(PRESET_OUTPUTS)  # the options have not arrived yet
    return dict(lambdas=format_grid(preset["lambdas"]), gammas=format_grid(preset["gammas"]), epochs=preset["epochs"],
                lr=preset.get("lr", 1e-3))


#: Each preset button's look: its classes and ``aria-pressed``, by the preset's name.
PRESSED_OUTPUTS = {name: {"className": Output(button, "className"), "pressed": Output(button, "aria-pressed")}
                   for button, name in PRESET_BUTTONS.items()}


@callback(output=PRESSED_OUTPUTS,
          inputs=dict(lambdas=Input(ids.LAMBDAS, "value"), gammas=Input(ids.GAMMAS, "value"),
                      info=Input(ids.DATASET_INFO, "data"), options=Input(ids.OPTIONS, "data")))
def preset_pressed(lambdas, gammas, info, options):
    """The preset whose grid the λ and γ fields show looks pressed, the other not; neither for a grid of one's own
    (or one that cannot be read)."""
    try:
        grid = parse_grid(lambdas, "λ"), parse_grid(gammas, "γ")
    except ValueError:
        grid = None
    shown = grid and preset_of_grid(*grid, (options or {}).get("grid_presets"), (info or {}).get("kind"))
    return {name: {"className": preset_class(name == shown), "pressed": "true" if name == shown else "false"}
            for name in PRESSED_OUTPUTS}


#: Where the estimate goes while a field is wrong (review 23: an empty band above Start); the list of what is wrong
#: stands in the Start bar (:func:`problems_alert` as its line).
_ESTIMATE_WAITS = html.Span("The run-time estimate comes once the fields listed next to Start are right.",
                            className="text-muted small")


#: What the estimate updates: the grid size, the estimate (or what is wrong) and the red outline of the wrong field.
ESTIMATE_OUTPUTS = dict(grid_size=Output(ids.GRID_SIZE, "children"), estimate=Output(ids.ESTIMATE, "children"),
                        start_line=Output(ids.START_LINE, "children"),
                        invalid={component: Output(component, "invalid") for component in FIELD_OF_MESSAGE.values()})


def form_body(form: dict, dataset_id, *, options=None, info=None, prefill=None, keep=True) -> dict:
    """The ``POST /api/jobs`` (and ``/estimate``) body of the filled form: :func:`job_payload` of ``form`` (the
    values of :data:`FORM_FIELDS`), the grid named when it is a preset's (:func:`named_preset`), and, when the form
    was filled from a run (``?from=``), that run's id as ``rerun_of`` with the options its switches keep (``keep``:
    the names switched on, True or None for all, False for none). ValueError naming the field when one is wrong.

    Examples
    --------
    >>> form = dict(teacher="mlp", lambdas="0.001", gammas="0, 0.1", epochs=2, levels=4, wave="db5",
    ...             attribution="saliency", seed=0, parametrization="free", mode="zero")
    >>> form_body(form, "ds-1", prefill={"job_id": "j-1", "config": {}})["rerun_of"]
    'j-1'
    """
    options = options or {}
    payload = job_payload(dataset_id, bounds=options.get("bounds"), kept=_kept(prefill, options, keep), **form)
    payload = named_preset(payload, options.get("grid_presets"), (info or {}).get("kind"))
    if prefill and prefill.get("job_id"):
        payload["rerun_of"] = prefill["job_id"]
    return payload


@callback(
    output=ESTIMATE_OUTPUTS,
    inputs=dict(**form_dependencies(Input), info=Input(ids.DATASET_INFO, "data"), options=Input(ids.OPTIONS, "data"),
                keep=Input(ids.KEEP_OPTIONS, "value")),
    state=dict(prefill=State(ids.PREFILL, "data")),
)
async def update_estimate(info, options=None, keep=True, prefill=None, **form):
    """Grid size and the server's run-time estimate (``POST /api/jobs/estimate``), or what is wrong, in words and
    with the wrong fields outlined (every one at once, :func:`form_problems`)."""
    problems = form_problems(form, (options or {}).get("bounds"))
    try:
        n_l, n_g = len(parse_grid(form.get("lambdas"), "λ")), len(parse_grid(form.get("gammas"), "γ"))
    except ValueError:
        return dict(grid_size=None, estimate=_ESTIMATE_WAITS, invalid=invalid_fields(problems),
                    start_line=problems_alert(problems))
    points = n_l * n_g
    size = html.Span([dbc.Badge(f"{n_l} × {n_g} = {points} grid points", color="info")])
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


def start_words(points: int | None, guess: dict | None = None, note: str = "no estimate yet") -> str:
    """The line beside Start in the action bar: the estimate in short, or why there is none (the estimate card above
    the bar says it in full). A form with wrong fields lists them there instead (:func:`problems_alert`).

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


def job_payload(dataset_id, teacher, lambdas, gammas, epochs, levels, wave, attribution, seed, parametrization,
                mode, teacher_epochs=None, start_search=None, peak_response=None, random_search=None,
                series_features=None, bounds=None, target=None, scattering=False, scattering_epochs=None,
                lr=None, kept=None) -> dict:
    """The ``POST /api/jobs`` body from the form values; ValueError naming the field when one is wrong (and the
    service's ``bounds``, ``GET /api/options``, when known). A blank step size (``lr``) is the grid preset's.
    ``kept``: options the page has no field for, from the run the form was filled from
    (:func:`frontend.rerun_form.kept_options`)."""
    bounds = bounds or {}
    if not dataset_id:
        raise ValueError("dataset: choose a dataset first (or upload one on the home page)")
    if not teacher:
        raise ValueError("teacher: choose an architecture or upload weights")
    problems = form_problems(dict(lambdas=lambdas, gammas=gammas, epochs=epochs, levels=levels, seed=seed, lr=lr,
                                  teacher_epochs=teacher_epochs, start_search=start_search,
                                  random_search=random_search, scattering=scattering,
                                  scattering_epochs=scattering_epochs), bounds)
    if problems:
        raise ValueError(problems[0])
    payload = {"dataset_id": dataset_id, "teacher": teacher, "lambdas": parse_grid(lambdas, "λ"),
               "gammas": parse_grid(gammas, "γ"), "epochs": int(epochs), "levels": int(levels), "wave": wave,
               "attribution": attribution, "seed": int(seed), "parametrization": parametrization, "mode": mode,
               **(kept or {})}
    if lr not in (None, ""):
        payload["lr"] = float(lr)
    if teacher_epochs not in (None, ""):
        payload["teacher_epochs"] = int(teacher_epochs)
    # counts whose blank is the server's default for the data (models.options); the server names the maximum
    for key, value in (("start_search", start_search), ("random_search", random_search)):
        if value not in (None, ""):
            payload[key] = int(value)
    for key, value in (("peak_response", peak_response), ("series_features", series_features)):
        if value:  # blank until the options arrive: the server's default
            payload[key] = value
    if target:  # column 0 is the server's default
        payload["target"] = int(target)
    if scattering:
        payload["student"] = "scattering"
        if scattering_epochs not in (None, ""):
            payload["scattering_epochs"] = int(scattering_epochs)
    return payload


def named_preset(payload: dict, presets: dict | None, kind: str | None) -> dict:
    """The job body with its grid given as the preset it shows (``grid_preset``, the λ and γ lists left out, and
    the epochs and step size when they are the preset's), so that the job runs the preset's exact values (the
    form shows them to 4 digits: the paper's 0.0002659147 was sent as 0.0002659) and a rerun of a preset run
    differs from it only in what was changed; another grid is sent as it is.

    Examples
    --------
    >>> presets = {"timeseries": {"paper": {"lambdas": [0.0002659147, 1.0], "gammas": [0.0, 0.5], "epochs": 100,
    ...                                     "lr": 0.001}}}
    >>> named_preset({"lambdas": [0.0002659, 1.0], "gammas": [0.0, 0.5], "epochs": 100, "lr": 0.001, "seed": 2},
    ...              presets, "timeseries")
    {'seed': 2, 'grid_preset': 'paper'}
    >>> named_preset({"lambdas": [0.1], "gammas": [0.0], "epochs": 100}, presets, "timeseries")["lambdas"]
    [0.1]
    """
    name = preset_of_grid(payload.get("lambdas") or [], payload.get("gammas") or [], presets, kind)
    if name is None:
        return payload
    preset = presets[kind or "timeseries"][name]
    out = {k: v for k, v in payload.items() if k not in ("lambdas", "gammas")}
    out["grid_preset"] = name
    if out.get("epochs") == preset.get("epochs"):
        out.pop("epochs")
    if "lr" in out and preset.get("lr") is not None and math.isclose(out["lr"], preset["lr"]):
        out.pop("lr")
    return out


def preset_of_grid(lambdas: list[float], gammas: list[float], presets: dict | None, kind: str | None) -> str | None:
    """The name of the preset whose grid ``lambdas`` × ``gammas`` is, to the 4 digits the form shows, or None.

    Parameters
    ----------
    lambdas, gammas : list of float
        Sorted, without duplicates (:func:`parse_grid`).
    presets : dict or None
        ``GET /api/options``' ``grid_presets``: kind -> name -> ``{"lambdas", "gammas", ...}``.
    kind : str or None
        The dataset's kind (None: ``"timeseries"``).

    Returns
    -------
    str or None
        The first preset of ``kind`` with that grid.

    Examples
    --------
    >>> presets = {"timeseries": {"default": {"lambdas": [0.001], "gammas": [0.0, 0.1]},
    ...                           "paper": {"lambdas": [0.0002659147, 1.0], "gammas": [0.0, 0.5]}}}
    >>> preset_of_grid([0.0002659, 1.0], [0.0, 0.5], presets, None), preset_of_grid([0.001], [0.0], presets, None)
    ('paper', None)
    """
    for name, preset in ((presets or {}).get(kind or "timeseries") or {}).items():
        if (format_grid(lambdas) == format_grid(preset.get("lambdas") or [])
                and format_grid(gammas) == format_grid(sorted(set(preset.get("gammas") or [])))):
            return name
    return None


def _kept(prefill: dict | None, options: dict | None, keep) -> dict:
    """The options of ``?from=``'s run that the page has no field for, those whose switches keep them: ``keep`` is
    the names switched on (None or True: all, before the switches are drawn; False: none)."""
    if not prefill or keep is False:
        return {}
    kept = kept_options(prefill.get("config"), (options or {}).get("options"))
    return kept if keep is None or keep is True else {name: kept[name] for name in keep if name in kept}


@callback(output=Output(ids.SCATTERING_EPOCHS, "disabled"), inputs=dict(on=Input(ids.SCATTERING, "value")))
def scattering_epochs_enabled(on):
    """The scattering student's epochs are asked for only while it is switched on."""
    return not on


# a refused submission's words go once the form changes: the estimate above says what is wrong now (review 21:
# "epochs: enter a whole number from 1 to 2000" stayed under Start after epochs was fixed); in the browser, so that
# typing does not wait on the server
clientside_callback("function () { return ''; }", Output(ids.SUBMIT_STATUS, "children", allow_duplicate=True),
                    [Input(component, "value") for component in FORM_FIELDS.values()], prevent_initial_call=True)


#: What submitting changes: the page (to the new job's), the status line under the button and the tab's record of
#: the job it has just submitted (:data:`~awd_studio.frontend.components.SUBMITTED_JOB`).
SUBMIT_OUTPUTS = dict(nav=Output(APP_NAV, "href", allow_duplicate=True), status=Output(ids.SUBMIT_STATUS, "children"),
                      submitted=Output(SUBMITTED_JOB, "data", allow_duplicate=True))


@callback(
    output=SUBMIT_OUTPUTS,
    inputs=dict(n_clicks=Input(ids.SUBMIT, "n_clicks")),
    state=dict(**form_dependencies(State), dataset_id=State(ids.DATASET, "value"),
               idem_key=State(ids.IDEMPOTENCY, "data"), source=State(ids.TEACHER_SOURCE, "value"),
               options=State(ids.OPTIONS, "data"), keep=State(ids.KEEP_OPTIONS, "value"),
               prefill=State(ids.PREFILL, "data"), info=State(ids.DATASET_INFO, "data")),
    prevent_initial_call=True,
)
async def submit(n_clicks, dataset_id, idem_key, source=None, options=None, keep=True, prefill=None, info=None,
                 **form):
    """Submit the job (with an idempotency key, so a double click makes one job) and go to its page."""
    if not n_clicks:
        return named_update(SUBMIT_OUTPUTS)
    if source == "upload" and form.get("teacher") in ("auto", *((options or {}).get("teacher_architectures") or [])):
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(
            "teacher: drop your weights file first (or choose “Train a built-in network”)", color="warning",
            className="py-2 mb-0"))
    problems = form_problems(form, (options or {}).get("bounds"))
    if problems:  # named in full on the bar's line above (review 23: the list twice): here, which
        fields = ", ".join(p.split(":", 1)[0] for p in problems)
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(
            f"{len(problems)} field{'s' if len(problems) > 1 else ''} to fix first ({fields}): see above.",
            color="warning", className="py-2 mb-0"))
    try:
        payload = form_body(form, dataset_id, options=options, info=info, prefill=prefill, keep=keep)
    except ValueError as err:
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(str(err), color="warning", className="py-2 mb-0"))
    try:
        job = await get_client().create_job(payload, idempotency_key=idem_key)
    except ApiError as err:
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(f"The job was not accepted: {err.message}", color="danger",
                                                             className="py-2 mb-0"))
    return dict(nav=f"/jobs/{job['id']}", status="Submitted.", submitted=job["id"])
