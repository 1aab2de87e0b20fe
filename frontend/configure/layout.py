"""The configure page's layout: the form's cards (data, teacher, wavelet, λ/γ grid), the estimate's card and the
Start bar held at the bottom of the window.

Only what the page shows before any callback has run: the choices, bounds and values arrive from the callbacks of
the other modules of :mod:`frontend.configure`, by the ids of :class:`~frontend.configure.ids.ids`.
"""

from __future__ import annotations

import uuid

import dash_bootstrap_components as dbc
from dash import dcc, html

from awd_studio.frontend.configure.ids import ids
from awd_studio.frontend.configure.presets import preset_button
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.option_words import OPTION_WORDS

__all__ = ["layout", "action_bar", "OPTIONAL_NUMBER"]

#: A number field whose blank means the server's default: no minimum or maximum in the browser, and any step. The
#: browser marks a number outside them invalid, the input then hands Dash an empty value, and the form read a
#: teacher limit of 5000 epochs (maximum 2000) or a control of -1 random wavelets as blank: the job started with
#: the defaults, without a word (review 50B). :func:`~frontend.configure.validation.form_problems` checks the range
#: and names the bounds.
OPTIONAL_NUMBER = dict(type="number", step="any")


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
        dcc.Store(id=ids.GRID_KIND),
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
                               "The architectures for your data kind, and weights uploaded before (“uploaded: …”). "
                               "For time series, auto trains an LSTM (events at any time) and an MLP (values at "
                               "fixed times) and keeps the one that predicts held-out data better; CNN suggested "
                               "for maps.", label_for=ids.TEACHER),
                        _field(OPTION_WORDS["teacher_epochs"],
                               dbc.Input(id=ids.TEACHER_EPOCHS, placeholder="default", **OPTIONAL_NUMBER),
                               "Blank: the architecture's default limit; training stops earlier once validation "
                               "stops improving, and the result says when it was still improving at the limit. Not "
                               "used for uploaded weights.", label_for=ids.TEACHER_EPOCHS),
                    ], className="mt-3", id=ids.TEACHER_BUILTIN),
                    html.Div([
                        _field("Architecture of the weights", dbc.RadioItems(  # value: the kind's first, once known
                            id=ids.TEACHER_ARCH, name=ids.TEACHER_ARCH, inline=True, value=None),
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
                                    dbc.Input(id=ids.START_SEARCH, placeholder="auto", **OPTIONAL_NUMBER),
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
                                    "(values at fixed times); neither reads a coefficient with under 1 % of its "
                                    "filter on the series. Auto: the one that cross-validates better at the "
                                    "initial wavelet.", label_for=ids.SERIES_FEATURES),
                             id=ids.SERIES_FEATURES_FIELD),
                    html.Div([_field(OPTION_WORDS["peak_response"],
                                     dbc.Select(id=ids.PEAK_RESPONSE, value="magnitude"),
                                     "Maps: what the peak-count student histograms at each peak through the "
                                     "wavelet's 3 × 3 sub-filters.", label_for=ids.PEAK_RESPONSE),
                              _field(OPTION_WORDS["peak_range"], dbc.Select(id=ids.PEAK_RANGE, value="from_zero"),
                                     "Maps: the histograms' range for a response that can fall below 0 at a peak "
                                     "(the LL response at low peaks; the details too when the student reads the "
                                     "four responses). From 0, as the paper's, leaves those out (the result says "
                                     "what share); both signs counts them, in bins twice as wide.",
                                     label_for=ids.PEAK_RANGE)],
                             id=ids.PEAK_RESPONSE_FIELD),
                    _field(OPTION_WORDS["random_search"],
                           dbc.Input(id=ids.RANDOM_SEARCH, placeholder="auto", **OPTIONAL_NUMBER),
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
                                       dbc.Input(id=ids.SCATTERING_EPOCHS, placeholder="10", disabled=True,
                                                 **OPTIONAL_NUMBER),
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
                           "Comma-separated, ≥ 0. γ = 0 always runs too: it is the “AWD without interpretation” "
                           "baseline.",
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

