"""Results page ``/results/<token>``: a job id (owner view) or a share token (read-only view).

One callback fetches the bundle and draws every figure; the λ/γ grid and the
activation selector then redraw their parts from the same bundle, which each
callback reads through the API (:mod:`frontend.shown_result`): the browser keeps
only which result it shows, and a click sends a few bytes, not the bundle.
A share token never shows an action (no share, cancel, delete or rerun), and an
unknown, expired or revoked token shows the friendly 404 block. The share dialog
of the owner's view lives in :mod:`frontend.share_dialog`. Callbacks read and
write components by name; :class:`ids` holds their ids.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from awd_studio.frontend import explain_panel, figures, predict_panel, results_student, scattering_panel, share_dialog
from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import (
    VIEWPORT,
    figure_card,
    graph_style,
    is_job_id,
    is_narrow,
    named_update,
    not_found_card,
    run_file_name,
    run_label,
    stack_on_phones,
    triggered_id,
)
from awd_studio.frontend.figures.scores import FIXED_FILTER_BASELINES
from awd_studio.frontend.figures.style import common_decimals, fmt_decimals, kind_label
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.shown_result import CORE, shown, shown_bundle

dash.register_page(__name__, path_template="/results/<token>", title="AWD Studio · results", name="Results")


class ids:  # noqa: N801 (a namespace of constants, read as ids.GRID_GRAPH)
    """Component ids of the results page (the strings are what tests/e2e and assets/awd.js look for)."""

    TOKEN = share_dialog.ids.TOKEN
    #: Which result the page shows, once it loaded (:mod:`frontend.shown_result`; never the bundle itself).
    CORE = CORE
    #: The grid point the user clicked (None: the selected one).
    CLICKED = "results-clicked"
    BADGES = "results-badges"
    SHARED_BADGE = "results-shared-badge"
    ACTIONS = "results-actions"
    JOB_LINK = "results-job-link"
    #: The configure page filled with this run's settings (owner view).
    RERUN_LINK = "results-rerun-link"
    SHARED_NOTE = "results-shared-note"
    STATUS = "results-status"
    BODY = "results-body"
    SUMMARY = "results-summary"
    SUMMARY_CARDS = "results-summary-cards"
    VERDICT = "results-verdict"
    #: The one sentence on which model to use (:func:`frontend.figures.scores.use_line`).
    USE_LINE = "results-use-line"
    AWD_R2 = "results-awd-r2"
    WAVELET_GRAPH = "results-wavelet-graph"
    FILTERS_GRAPH = "results-filters-graph"
    #: The row of the maps-only figures (2D filters, sub-filters), hidden for time series.
    MAPS_ONLY = "results-maps-only"
    FILTERS2D_GRAPH = "results-filters2d-graph"
    SUBFILTERS_GRAPH = "results-subfilters-graph"
    INSPECTING = "results-inspecting"
    RUN_LABEL = "results-run-label"
    RESET_CLICK = "results-reset-click"
    #: The keyboard's way to a grid point: a list of every (λ, γ), in step with the clicked cell.
    GRID_POINT = "results-grid-point"
    GRID_GRAPH = "results-grid-graph"
    PSI_GRID_GRAPH = "results-psi-grid-graph"
    ACTIVATION_GRAPH = "results-activation-graph"
    #: What the maps owe to the teacher's sensitivity, when it stands out at one end of the series.
    ACTIVATION_NOTE = "results-activation-note"
    EXAMPLE = "results-example"
    SCORES_TABLE = "results-scores-table"
    SCORES = "results-scores"
    EVERY_TARGET = "results-every-target"
    SCORES_GRAPH = "results-scores-graph"
    DOWNLOADS = "results-downloads"
    #: The links to the page's sections, and the sections' headings they lead to.
    JUMP = "results-jump"
    JUMP_SCATTERING = "results-jump-scattering"
    SEC_WAVELET = "results-sec-wavelet"
    WAVELET_HEADING = "results-wavelet-heading"
    SEC_GRID = "results-sec-grid"
    SEC_ACTIVATION = "results-sec-activation"
    SEC_SCORES = "results-sec-scores"
    DOWNLOAD_BUNDLE = "results-download-bundle"
    DOWNLOAD_ARCHIVE = "results-download-archive"
    TRUTH_LINE = "results-truth-line"
    PROVENANCE = "results-provenance"


#: Every graph of the page. Each box follows its figure's height, set by the callback that draws the figure, in the
#: same update (:func:`~frontend.components.graph_style`), not by a client-side callback per graph
#: (:func:`~frontend.components.size_graphs_to_their_figures`): those were 8 of the 35 callbacks a page load ran
#: (11 with the scattering block's), each costing the browser about 50-75 ms of Dash's bookkeeping over the page's
#: 670 components on a loaded 2-core host, and each resized a graph plotly had just drawn (2026-12-08).
GRAPHS = (ids.WAVELET_GRAPH, ids.FILTERS_GRAPH, ids.FILTERS2D_GRAPH, ids.SUBFILTERS_GRAPH, ids.GRID_GRAPH,
          ids.PSI_GRID_GRAPH, ids.ACTIVATION_GRAPH, ids.SCORES_GRAPH)
scattering_panel.register(ids.CORE)  # the scattering student's block, drawn when the bundle has one

_HIDDEN = {"display": "none"}
#: Laid out but invisible while the bundle loads, so plotly measures real widths.
_LOADING = {"visibility": "hidden"}


def layout(token: str | None = None, **_):
    """The results page skeleton; content arrives with the bundle."""
    shared = not is_job_id(token)
    actions = [] if shared else [
        share_dialog.open_button(),
        dbc.Button("Job page", id=ids.JOB_LINK, href=f"/jobs/{quote(token or '', safe='')}",
                   color="outline-secondary"),
        dbc.Button("Run again with changes", id=ids.RERUN_LINK, href=f"/configure?from={quote(token or '', safe='')}",
                   color="outline-secondary"),
    ]
    return html.Div([
        # what the figure buttons name their files after (assets/awd.js), never a part of a share link
        html.Div(id=ids.RUN_LABEL, hidden=True, **({"data-run-label": run_label(token)} if token else {})),
        dcc.Store(id=ids.TOKEN, data=token),
        dcc.Store(id=ids.CORE),
        dcc.Store(id=ids.CLICKED),
        html.Div([
            html.Div([
                html.H1("Distillation result", className="h3 mb-1"),
                html.Div(id=ids.BADGES),
            ]),
            html.Div(actions, id=ids.ACTIONS, className=_ACTIONS),
        ], className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3"),
        *([] if shared else [share_dialog.dialog()]),
        dbc.Alert("Read-only view of a shared result.", color="info", className="py-2",
                  id=ids.SHARED_NOTE, is_open=shared),
        jump_links(shared),
        dcc.Loading(html.Div(id=ids.STATUS), type="default"),
        html.Div(id=ids.BODY, style=_LOADING,
                 children=_body() + [explain_panel.panel(token)] + ([] if shared else [predict_panel.panel(token)])),
    ])


def jump_links(shared: bool) -> html.Nav:
    """Links to the page's sections (review 22: 57 Tab presses from the top to Explain); a link's target takes the
    focus (assets/awd.js), so that Tab goes on from there."""
    # in the page's order (review 23); the scattering student's link shows with its section
    def link(label, target, **props):
        return html.A(label, href=f"#{target}", **{"className": _JUMP_LINK, **props})

    links = [link("Wavelet", ids.SEC_WAVELET), link("Grid", ids.SEC_GRID), link("Activation maps", ids.SEC_ACTIVATION),
             link("Student", results_student.ids.SEC_STUDENT), link("Scores", ids.SEC_SCORES),
             link("Scattering student", scattering_panel.ids.SECTION, id=ids.JUMP_SCATTERING, className=_JUMP_HIDDEN),
             link("Downloads", ids.DOWNLOADS), link("Use in Python", results_student.ids.USE_PYTHON),
             link("Explain", explain_panel.ids.PANEL), *([] if shared else [link("Predict", predict_panel.ids.PANEL)])]
    return html.Nav([html.Span("On this page:", className="text-muted me-2"), *links], id=ids.JUMP,
                    className=_JUMP_NAV, **{"aria-label": "On this page"})


#: The "On this page" bar's classes, shown and hidden (a class: Bootstrap's d-flex is !important, so an inline
#: display: none left the bar drawn, which a browser test caught).
_JUMP_NAV = "small mb-3 d-flex flex-wrap"
_JUMP_NAV_HIDDEN = "awd-hidden"
_JUMP_LINK = "awd-jump-link me-3"
#: The Share / Job page / Run again buttons' classes, shown and hidden (review 43A: an inline display: none lost to
#: d-flex's !important, and a result that was not found showed them)
_ACTIONS = "d-flex flex-wrap gap-2"
_ACTIONS_HIDDEN = "awd-hidden"
_JUMP_HIDDEN = _JUMP_LINK + " awd-hidden"


@callback(Output(ids.JUMP_SCATTERING, "className"), Input(scattering_panel.ids.SECTION, "style"))
def scattering_link(style):
    """The "Scattering student" link, shown while its section is."""
    return _JUMP_HIDDEN if (style or {}).get("display") == "none" else _JUMP_LINK


#: The wavelet card's caption, and the words on the start search's dotted line, which it adds only for a result whose
#: selected point started from the search (review 39A: a maps result, which has no start search, named it).
WAVELET_HELP = "Learned (solid) against the initial wavelet (dashed)"
WAVELET_START_HELP = "; dotted, where the fit started when the start search chose its start"
#: The caption while another grid point than the selected one is inspected (its φ is not stored).
WAVELET_INSPECTED_HELP = ("The inspected grid point's wavelet ψ (solid) against the initial wavelet (dashed); a grid "
                          "point keeps its ψ only, so φ is drawn for the selected point alone.")


def wavelet_help(bundle: dict, index: int | None = None) -> str:
    """Pure: the wavelet card's caption for a result: the dotted start line is named only when the figure can draw
    it (the bundle's ``wavelet.start_phi`` or ``start_psi``: the selected point's fit started from the start
    search's filter); when cross-validation kept the initial wavelet, it first says that the delivered model uses
    that wavelet and that the learned one is shown for reference (review 40). ``index``: the grid point inspected
    (None or the selected point: the selected one), whose figure has neither the learned nor the start line
    (review 49A: the caption still named them).

    Examples
    --------
    >>> wavelet_help({"data": {"kind": "image"}, "wavelet": {"init": "db5"}})
    'Learned (solid) against the initial wavelet (dashed).'
    >>> wavelet_help({"wavelet": {"start_psi": [0.1, 0.2]}}).endswith("when the start search chose its start.")
    True
    >>> wavelet_help({"selection": {"choice": "initial", "initial": "db5"}})[:96]
    'The delivered model uses the initial wavelet, db5: cross-validation kept it. The learned wavelet'
    >>> wavelet_help({"grid": [{}, {}], "selected": {"index": 0}}, index=1)[:43]
    "The inspected grid point's wavelet ψ (solid"
    """
    if index is not None and index != figures.selected_index(bundle):
        return WAVELET_INSPECTED_HELP
    wavelet = bundle.get("wavelet") or {}
    started = wavelet.get("start_phi") is not None or wavelet.get("start_psi") is not None
    initial = figures.kept_initial(bundle)
    delivered = (f"The delivered model uses the initial wavelet, {initial}: cross-validation kept it. The learned "
                 "wavelet of the best AWD point is shown for reference. " if initial is not None else "")
    return f"{delivered}{WAVELET_HELP}{WAVELET_START_HELP if started else ''}."


#: The wavelet section's heading.
WAVELET_HEADING = "The learned wavelet"


def wavelet_heading(bundle: dict) -> str:
    """Pure: the wavelet section's heading: it says when the learned wavelet is not the delivered model's
    (cross-validation kept the initial wavelet; review 40: only the figure's subtitle said it).

    Examples
    --------
    >>> wavelet_heading({}), wavelet_heading({"selection": {"choice": "initial", "initial": "db5"}})
    ('The learned wavelet', 'The learned wavelet (not delivered: the model uses db5, the initial wavelet)')
    """
    initial = figures.kept_initial(bundle)
    return WAVELET_HEADING if initial is None else (f"{WAVELET_HEADING} (not delivered: the model uses {initial}, "
                                                    "the initial wavelet)")


def _body():
    return [
        html.Div(id=ids.SUMMARY, className="mb-4"),
        results_student.trust_block(),
        html.H2([html.Span(WAVELET_HEADING, id=ids.WAVELET_HEADING), help_link("wavelet")], className="h4 mt-2 mb-3",
                id=ids.SEC_WAVELET),
        dbc.Row([
            dbc.Col(figure_card("Wavelet ψ and scaling function φ", ids.WAVELET_GRAPH, "awd-wavelet",
                                help_text=wavelet_help({})), xl=6),
            dbc.Col(figure_card("Filters h and g", ids.FILTERS_GRAPH, "awd-filters",
                                help_text="Lowpass h and highpass g[n] = (−1)ⁿ h[N−1−n]."), xl=6),
        ]),
        html.Div(dbc.Row([
            dbc.Col(figure_card("2D filters LL, LH, HL, HH", ids.FILTERS2D_GRAPH, "awd-filters-2d",
                                help_text="The separable filters one level of the map transform applies: LL = h hᵀ "
                                          "(the smooth part), LH = g hᵀ, HL = h gᵀ, HH = g gᵀ (rows × columns)."),
                    xl=6),
            dbc.Col(figure_card("3 × 3 sub-filters for peak counting", ids.SUBFILTERS_GRAPH, "awd-subfilters",
                                help_text="Outer products of the 3-tap windows of h and g with the most energy "
                                          "(the details mean-centred), which the map student correlates with the map "
                                          "at every peak: learned, and below, the initial wavelet's."), xl=6),
        ]), id=ids.MAPS_ONLY),
        html.H2(["The λ / γ grid", help_link("grid")], className="h4 mt-2 mb-3", id=ids.SEC_GRID),
        html.Div([
            html.Span(id=ids.INSPECTING, className="me-2"),
            dbc.Button("Back to the ★ point", id=ids.RESET_CLICK, size="sm", color="link", n_clicks=0,
                       className="awd-hidden"),  # shown while another point is inspected
        ], className="mb-2"),
        # the heat map's cells take clicks only: the same choice by keyboard (or by reading the list)
        html.Div([
            dbc.Label("Inspect grid point", html_for=ids.GRID_POINT, className="me-2 mb-0 text-nowrap"),
            # no search box: on a phone it raised the keyboard for a short list (review 26B); never wider than the
            # page (a 16rem minimum pushed a 360 px page sideways)
            dcc.Dropdown(id=ids.GRID_POINT, clearable=False, searchable=False,
                         style={"minWidth": "min(18rem, 100%)", "flex": "1 1 18rem"}),
        ], className="d-flex flex-wrap align-items-center gap-1 mb-2", style={"maxWidth": "36rem"}),
        html.Div(id=results_student.ids.INSPECTED),
        dbc.Row([
            dbc.Col(figure_card("Cross-validated score", ids.GRID_GRAPH, "awd-grid-heatmap",
                                help_text="★ the best AWD point (the selected model unless cross-validation kept "
                                          "the initial wavelet). Click a cell, or pick it in the list above, to "
                                          "inspect that grid point."), xl=5),
            dbc.Col(figure_card("Learned ψ across the grid", ids.PSI_GRID_GRAPH, "awd-psi-grid",
                                help_text="One small plot per (λ, γ); dotted grey: the initial wavelet."), xl=7),
        ]),
        html.H2(["Wavelet activation maps", help_link("activation")], className="h4 mt-2 mb-3",
                id=ids.SEC_ACTIVATION),
        figure_card("Where the attribution-weighted coefficients sit", ids.ACTIVATION_GRAPH,
                    "awd-activation", help_text="Computed for the recommended model: the selected grid point (★), "
                                                "or the initial wavelet when cross-validation kept it; not for "
                                                "a grid point you inspect.", extra=html.Div([html.Div([
                        dbc.Label("Test example", html_for=ids.EXAMPLE, className="me-2 mb-0"),
                        dcc.Dropdown(id=ids.EXAMPLE, clearable=False, searchable=False,
                                     style={"minWidth": "min(16rem, 100%)", "flex": "1 1 16rem"}),
                    ], className="d-flex flex-wrap align-items-center gap-1 mb-2"),
                        html.P(id=ids.ACTIVATION_NOTE, className="small mb-2", style={"display": "none"})])),
        *results_student.student_section(),
        html.H2(["Scores", help_link("scores")], className="h4 mt-2 mb-3", id=ids.SEC_SCORES),
        dbc.Card(dbc.CardBody(html.Div(id=ids.SCORES_TABLE, className="table-responsive")),
                 className="mb-4 shadow-sm"),
        figure_card("Test scores", ids.SCORES_GRAPH, "awd-scores"),
        scattering_panel.section(),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2("Downloads", className="h6 mb-0")),
                              dbc.CardBody(html.Div(id=ids.DOWNLOADS))], className="mb-4 shadow-sm"), lg=4),
            dbc.Col(dbc.Card([dbc.CardHeader(html.H2("Provenance", className="h6 mb-0")),
                              dbc.CardBody(html.Div(id=ids.PROVENANCE))], className="mb-4 shadow-sm"), lg=8),
        ]),
        results_student.use_in_python_block(),
    ]


def summary_children(bundle: dict, shared: bool = False) -> list:
    """Headline numbers: selected point, AWD vs teacher, compression, validity (``shared``: for a share link's
    reader, who has no “Predict new data” panel)."""
    rows = {r["key"]: r for r in figures.score_rows(bundle)}
    sel = figures.selected_index(bundle)
    awd, teacher = rows.get("awd", {}), rows.get("teacher", {})
    validity = (bundle.get("wavelet") or {}).get("validity") or {}

    def stat(label, value, sub=None, id_=None):
        # four across from 1200 px (a laptop), two across below (a tablet: at 820 px, four across were 193 px each,
        # their labels and the selection's words two or three to a line)
        return dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(label, className="small text-muted"),
            html.Div(value, className="fs-5 fw-semibold", **({"id": id_} if id_ else {})),
            html.Div(sub, className="small text-muted") if sub else None,
        ]), className="shadow-sm"), xs=6, xl=3, className="mb-2")

    verdict = figures.verdict_lines(bundle)
    said = []
    if verdict["text"]:
        said.append(dbc.Alert(verdict["text"], color="success" if verdict["helped"] else "secondary",
                              id=ids.VERDICT, className="mb-2"))
    said += [dbc.Alert(w, color="warning", className="mb-2 py-2 small") for w in verdict["warnings"]]
    if figures.use_line(bundle):  # one answer to "which model do I report" (review 11: three places, three hints)
        said.append(html.P(figures.use_line(bundle, shared), id=ids.USE_LINE, className="small mb-2"))
    if figures.truth_line(bundle):  # the recovery test's answer (the bundle had it, the page did not say it)
        said.append(html.P(figures.truth_line(bundle), id=ids.TRUTH_LINE, className="small mb-2"))
    initial = figures.kept_initial(bundle)
    if initial is not None:  # the model delivered is the initial wavelet's student: its score leads
        kept = rows.get("baseline_wavelet", {})
        first = stat(f"{initial} test R² (kept by cross-validation)", kept.get("r2_text", "—"),
                     f"RMSE {kept.get('rmse_text', '—')}; the best AWD point: R² {awd.get('r2_text', '—')}",
                     ids.AWD_R2)
    else:
        first = stat("AWD test R²", awd.get("r2_text", "—"), f"RMSE {awd.get('rmse_text', '—')}", ids.AWD_R2)
    return said + [dbc.Row([
        first,
        stat("Teacher test R²", teacher.get("r2_text", "—"), teacher.get("model")),
        # the delivered model's (AWD's next to the initial wavelet's score read as the initial wavelet's)
        stat(f"Compression ({initial or 'AWD'})",
             (rows.get("baseline_wavelet", {}) if initial is not None else awd).get("compression_text", "—"),
             # a property of the wavelet and this teacher together: another teacher gives another value; which way
             # is better was only in the collapsed definition (review 24b)
             "share of coefficients the teacher's attributions mark active; lower means fewer, a sparser "
             "explanation (defined below)"),
        chosen_stat(bundle, sel, validity, stat),
        # each card as tall as its own text: stretched to the tallest (the selection's four lines at 1366 px), the
        # others were large empty boxes (review 24b)
    ], className="g-2 align-items-start", id=ids.SUMMARY_CARDS)]


def selection_gain_words(bundle: dict) -> str:
    """Why cross-validation delivered AWD: its CV gain over the initial wavelet and that gain's standard error (the
    selection's yardstick, review 20: the page showed neither), or ``""`` when the bundle does not hold them."""
    selection = bundle.get("selection") or {}
    gain, se = selection.get("cv_gain"), selection.get("cv_gain_se")
    if not isinstance(gain, int | float) or not isinstance(se, int | float):
        return ""
    initial = selection.get("initial") or (bundle.get("wavelet") or {}).get("init") or "the initial wavelet"
    rule = " (one-standard-error rule)" if selection.get("rule") == "one_se" else ""
    return (f"CV gain over {initial} {figures.fmt_number(gain)}, standard error of the paired difference "
            f"{figures.fmt_number(se)}{rule}")


#: A no-break space: keeps a symbol, "=" and its value on one line.
NBSP = "\u00a0"


def chosen_stat(bundle: dict, sel, validity: dict, stat):
    """The summary card of what cross-validation chose: the best AWD grid point (★), or the initial wavelet
    with the best AWD point and both CV scores beside it."""
    point = figures.grid_point_label(bundle, sel).split(" (")[0]
    initial = figures.kept_initial(bundle)
    if initial is None:
        error = figures.fmt_number(validity.get("orthonormality_error"))
        # each "λ = …" and "γ = …" whole on its line (review 15: "1.00e-" / "04" on a phone)
        parts = point.split(", ")
        # a space between them too, for a copied line (review 31B read "λ = 0.005,γ = 0.01")
        value = [piece for i, p in enumerate(parts)
                 for piece in (html.Span(p + ("," if i < len(parts) - 1 else ""), className="text-nowrap"), " ")][:-1]
        return stat("Selected", value, "; ".join(filter(None, (selection_gain_words(bundle),
                                                               f"orthonormality error {error}"))))
    selection = bundle["selection"]
    gain, se = selection.get("cv_gain"), selection.get("cv_gain_se")
    search_gain, search_se = selection.get("search_cv_gain"), selection.get("search_cv_gain_se")
    number = figures.fmt_number
    # the reason first, in one line, the numbers behind it after (review 28A: the chosen model's lower CV score read
    # as a contradiction, its reason buried at the end of one long sentence)
    if selection.get("kept_because") == "mean":
        why, detail = "The best AWD point's student does not beat predicting the training mean.", ""
    elif (selection.get("kept_because") == "selection" and isinstance(search_gain, int | float)
          and isinstance(search_se, int | float)):
        # review 26A: on pure noise the best of 18 points beat the initial wavelet by more than its standard error
        why = (f"AWD's lead in CV is within what picking the best of {selection.get('n_candidates', 1) - 1} grid "
               "points gives by chance.")
        detail = (f" The best point gains {number(gain)}; the grid search itself, each fold scored by the point the "
                  f"other folds chose, gains {number(search_gain)}, not more than its standard error "
                  f"{number(search_se)}.")
    elif isinstance(gain, int | float) and isinstance(se, int | float):
        # why, when the AWD point scored higher (review 8: "it chose the lower score")
        if selection.get("rule") == "one_se" and gain > 0:
            why = "AWD's lead in CV is within its standard error (one-standard-error rule)."
            detail = f" Gain {number(gain)}, standard error {number(se)}."
        else:
            why, detail = "No AWD point beats it in CV.", f" Gain {number(gain)}."
    else:
        why, detail = "", ""
    return stat(["Cross-validation chose", help_link("grid", where="chosen")], f"{initial} (initial wavelet)",
                [html.Strong(why, className="d-block"),
                 f"CV R² {number(selection.get('initial_cv_score'))} against "
                 # "γ =" and its value on one line (review 26B: split at a phone's line end)
                 f"{number(selection.get('awd_cv_score'))} for the best AWD point ★ "
                 f"{point.replace(' = ', NBSP + '=' + NBSP)}.{detail}"])


def scores_table(bundle: dict) -> dbc.Table:
    """The scores table (AWD, γ = 0, initial wavelet, baselines, teacher); the row cross-validation chose is
    highlighted."""
    chosen = "awd" if figures.kept_initial(bundle) is None else "baseline_wavelet"
    # a two-valued target (a 0/1 label): how each model classifies, beside its scores as a number
    two = bool((bundle.get("data") or {}).get("two_values"))
    # which split each score is from, and what the RMSE is of (review 28A: the CV scores the selection compared were
    # nowhere on the page, and two runs' tables on one dataset, one per parameter, read alike)
    score_rows = figures.score_rows(bundle)
    cv = any(r["cv_r2"] is not None for r in score_rows)
    # on three lines: the CV column had to fit an 800 px window beside it
    of_target = figures.target_words(bundle).strip()
    rmse_head = ["Test RMSE", *([html.Br(), of_target] if of_target else []), html.Br(), "± SD"]
    columns = (("Model", None), ("Test R²", "r2_text"), (rmse_head, "rmse_text"),
               *((("CV R²", "cv_r2_text"),) if cv else ()),
               *((("Accuracy", "accuracy_text"), ("AUC", "auc_text")) if two else ()),
               ("Compression", "compression_text"), ("Parameters", "n_params_text"), ("s / sample", "seconds_text"))
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h, _ in columns]))
    # the model's name wraps (review 20: "Best of 300 random wavelets (no teacher)" on one line pushed the last
    # columns out of an 800 px window)
    # the delivered row said in words too, not by its colour alone (review 29B)
    body = html.Tbody([html.Tr([html.Th([r["model"], *([html.Br(), html.Span("delivered", className="badge "
                                                                              "text-bg-primary fw-normal")]
                                                        if r["key"] == chosen else [])],
                                        scope="row", className="awd-wrap")]
                               + [html.Td(_cell(r[key])) for _, key in columns[1:]],
                               className="table-primary" if r["key"] == chosen else None)
                       for r in score_rows])
    table = stack_on_phones(dbc.Table([head, body], bordered=False, hover=True, size="sm",
                                      className="awd-table mb-1", id=ids.SCORES))
    notes = [html.Small(scores_note(bundle, cv) + " " + parameters_note(bundle), className="text-muted"),
             every_target_table(bundle, score_rows)]
    if two:
        low, high = (f"{float(v):g}" for v in bundle["data"]["two_values"])
        notes.append(html.Small(f" Accuracy: the share of test samples whose prediction lies on their class's side of "
                                f"the midpoint between {low} and {high}; AUC: the area under the ROC curve of the "
                                f"predictions as scores for {high} (0.5 is chance).", className="text-muted"))
    return html.Div([table, *notes])


def _cell(text: str):
    """A score cell: "0.0321 ± 0.0012" on two lines, the SD under the value (the CV column needed the width)."""
    value, sep, sd = str(text).partition(" ± ")
    return [value, html.Br(), html.Span(f"± {sd}", className="text-muted")] if sep else text


def every_target_table(bundle: dict, score_rows: list[dict] | None = None):
    """Maps with several target columns: every student's test R² and RMSE for each parameter (its classes are whole
    parameter rows, so it predicts them all; review 28A: a second job per parameter gave the same classifier), or
    None when the bundle scores one column. ``score_rows``: the scores table's rows when already made."""
    models = bundle.get("models") or {}
    rows = [(r["model"], models[r["key"]]["test"]["by_target"]) for r in score_rows or figures.score_rows(bundle)
            if ((models.get(r["key"]) or {}).get("test") or {}).get("by_target")]
    if not rows:
        return None
    names = [t["name"] for t in rows[0][1]]
    # one number of decimals down each parameter's column (0.046 stood under 0.0531)
    decimals = [common_decimals([scores[k]["rmse"] for _, scores in rows]) for k in range(len(names))]
    head = html.Thead(html.Tr([html.Th("Model", scope="col"),
                               *[html.Th([f"{name}", html.Br(), "test R² · RMSE"], scope="col") for name in names]]))
    body = html.Tbody([html.Tr([html.Th(model, scope="row", className="awd-wrap"),
                                *[html.Td(f"{figures.fmt_score(t['r2'])} · {fmt_decimals(t['rmse'], d)}")
                                  for t, d in zip(scores, decimals)]]) for model, scores in rows])
    reported = (bundle.get("data") or {}).get("target_name") or "the reported column"
    return html.Div([
        html.H3("Every parameter", className="h6 mt-3 mb-1"),
        html.P(f"The map students' classes are whole parameter rows, so each predicts every parameter of a map. The "
               f"scores above, the verdict and each student's peak-height range are on {reported}, the column this "
               "run reports; a run reporting another column fits slightly different students.",
               className="small text-muted mb-1"),
        stack_on_phones(dbc.Table([head, body], bordered=False, hover=True, size="sm", className="awd-table mb-1",
                                  id=ids.EVERY_TARGET))])


def scores_note(bundle: dict, cv: bool = True) -> str:
    """Under the scores table: which split each score column is from.

    Examples
    --------
    >>> scores_note({"cv": {"folds": 5, "repeats": 3}, "data": {"kind": "image"}})[:97]
    'Test: the held-out test maps, scored once (± SD: bootstrap over them). CV R²: the mean over 3 × 5'
    """
    data, folds = bundle.get("data") or {}, bundle.get("cv") or {}
    noun = "maps" if data.get("kind") == "image" else "samples"
    text = f"Test: the held-out test {noun}, scored once (± SD: bootstrap over them)."
    if cv:
        plan = (f"{folds['repeats']} × {folds['folds']} " if folds.get("repeats") and folds.get("folds") else "")
        text += (f" CV R²: the mean over {plan}cross-validation folds of the training {noun}, the score the selection "
                 "compared; a single test split can rank models differently. AWD's, γ = 0's and the random search's "
                 "are each the best of several candidates, so they read higher than an unselected model's would.")
    return text


def parameters_note(bundle: dict) -> str:
    """Under the scores table: what its "Parameters" column counts (the control only when the result has one).

    Examples
    --------
    >>> "random search" in parameters_note({"models": {"awd": {}}})
    False
    >>> note = parameters_note({"students": {"awd": {"parameters": {"channels": ["LL", "detail"]}},
    ...                                      "laplace": {"parameters": {"channels": ["laplace"]}}}})
    >>> "read 2 responses at each peak (LL, detail), the fixed-filter students 1" in note
    True
    """
    control = ("for the random search, its wavelet's free lattice angles plus the student's; "
               if "random_search" in (bundle.get("models") or {}) else "")
    students = bundle.get("students") or {}

    def channels(name):
        return ((students.get(name) or {}).get("parameters") or {}).get("channels") or []

    wavelet, fixed = channels("awd"), next((channels(k) for k in ("laplace", "roberts_cross") if channels(k)), [])
    # review 28A: 1,362 fitted numbers beside 447, and nothing said why
    sizes = (f" The wavelet students read {len(wavelet)} responses at each peak ({', '.join(wavelet)}), the "
             f"fixed-filter students {len(fixed)}, so their students differ in size, not only in filter."
             if wavelet and fixed and len(wavelet) != len(fixed) else "")
    models = bundle.get("models") or {}
    fixed = ("for the fixed-filter students, the student's fitted numbers; "
             if any(k in models for k in FIXED_FILTER_BASELINES) else "")
    return ("Parameters: for AWD and γ = 0, the learned filter's free parameters plus the student's fitted numbers; "
            f"{control}{fixed}for the teacher, the network's weights.{sizes}")


def downloads(bundle: dict, token: str) -> list:
    """Links to the bundle JSON and every artifact (same-origin, served by the API)."""
    base = f"/api/results/{quote(token, safe='')}"
    files = [f for f in (bundle.get("files") or ["result.json", "arrays.npz"]) if isinstance(f, str)]
    # named after the run (as the API's files are): two runs' files do not collide
    # every file at once: unpacked, the folder awd-result that "Use in Python" and awd predict read (review 16)
    links = [html.Li(html.A("All files (ZIP), in a folder awd-result", href=f"{base}/archive",
                            download=run_file_name(token, "result.zip"), id=ids.DOWNLOAD_ARCHIVE)),
             html.Li(html.A("Result bundle (JSON)", href=base, download=run_file_name(token, "result.json"),
                            id=ids.DOWNLOAD_BUNDLE))]
    links += [html.Li(html.A(name, href=f"{base}/files/{quote(name, safe='')}", download=run_file_name(token, name)))
              for name in files if name != "result.json"]
    return [html.Ul(links, className="mb-2 awd-downloads"),
            html.Small("Files drawn when the run finished. Each figure as the page shows it (the example or grid "
                       "point chosen): the PNG / SVG buttons above it, saved as …-as-shown (on a wider screen, also "
                       "the camera in its toolbar).", className="text-muted")]


def provenance(bundle: dict, origin: str | None = None) -> list:
    """Provenance as a definition list plus the full config; ``origin``: the job whose settings this run started
    from (its ``rerun_of``, shown to the owner only: a share link's reader cannot open that job)."""
    items = list(figures.provenance_items(bundle))
    if origin:
        items.insert(0, ("started from", ["the settings of job ", dcc.Link(html.Code(origin),
                                                                           href=f"/jobs/{quote(origin, safe='')}")]))
    dl = html.Dl(sum(([html.Dt(k, className="col-sm-4"), html.Dd(v, className="col-sm-8")]
                      for k, v in items), []), className="row awd-kv mb-2")
    config = (bundle.get("provenance") or {}).get("config") or {}
    return [dl, html.Details([html.Summary("Full configuration"),
                              html.Pre(json.dumps(config, indent=2, sort_keys=True), className="awd-config-json")])]


def badges(bundle: dict, shared: bool) -> list:
    """Kind, the target explained (bundles that name it), grid size, teacher, when the job finished; "shared" when
    read-only.

    Examples
    --------
    >>> [b.children for b in badges({"data": {"kind": "timeseries", "target_name": "auxilin"}, "grid": [{}, {}],
    ...     "teacher": {"name": "lstm"}, "provenance": {"finished": "2026-12-05T16:18:02+00:00"}}, True) if b != " "]
    ['time series', 'target: auxilin', '2 grid points', 'teacher: lstm', 'finished 2026-12-05 16:18 UTC',
     'shared · read-only']
    """
    data = bundle.get("data") or {}
    kind = kind_label(data.get("kind"))
    # dark text on the light blue (review 26B: white on it was 1.96:1); a space between badges, read aloud as
    # "time series target: …" rather than "time seriestarget: …"
    target = [dbc.Badge(f"target: {data['target_name']}", color="info", text_color="dark", className="me-1")] \
        if data.get("target_name") else []
    out = [dbc.Badge(kind, color="info", text_color="dark", className="me-1"), *target,
           dbc.Badge(f"{len(bundle.get('grid') or [])} grid points", color="secondary", className="me-1"),
           dbc.Badge(f"teacher: {(bundle.get('teacher') or {}).get('name', '?')}", color="secondary",
                     className="me-1")]
    finished = str((bundle.get("provenance") or {}).get("finished") or "")
    if len(finished) >= 16:  # when it ran: a reader with several links tells them apart (review 26B)
        utc = " UTC" if finished.endswith("+00:00") else ""
        out.append(dbc.Badge(f"finished {finished[:10]} {finished[11:16]}{utc}", color="light", text_color="dark",
                             className="me-1 border"))
    if shared:
        out.append(dbc.Badge("shared · read-only", color="warning", text_color="dark", id=ids.SHARED_BADGE))
    return [part for badge in out for part in (badge, " ")][:-1]


def example_options(activation: dict) -> list[dict]:
    """Dropdown options of the stored activation examples."""
    n = figures.n_activation_examples({"activation": activation})
    idx = activation.get("indices") or list(range(n))
    y = activation.get("y_true") or []
    return [{"label": f"test example {idx[k] if k < len(idx) else k}" +
             (f" (y = {figures.fmt_number(y[k])})" if k < len(y) else ""), "value": k} for k in range(n)]



#: What :func:`load_result` draws, by name.
LOAD_OUTPUTS = dict(
    core=Output(ids.CORE, "data"),
    status=Output(ids.STATUS, "children"),
    body_style=Output(ids.BODY, "style"),
    badges=Output(ids.BADGES, "children"),
    summary=Output(ids.SUMMARY, "children"),
    maps_only_style=Output(ids.MAPS_ONLY, "style"),
    wavelet_heading=Output(ids.WAVELET_HEADING, "children"),
    filters_2d=Output(ids.FILTERS2D_GRAPH, "figure"),
    filters_2d_style=Output(ids.FILTERS2D_GRAPH, "style"),
    example_options=Output(ids.EXAMPLE, "options"),
    example=Output(ids.EXAMPLE, "value"),
    scores_table=Output(ids.SCORES_TABLE, "children"),
    scores_figure=Output(ids.SCORES_GRAPH, "figure"),
    scores_figure_style=Output(ids.SCORES_GRAPH, "style"),
    downloads=Output(ids.DOWNLOADS, "children"),
    provenance=Output(ids.PROVENANCE, "children"),
    shared_note=Output(ids.SHARED_NOTE, "is_open"),
    actions_class=Output(ids.ACTIONS, "className"),
    jump_class=Output(ids.JUMP, "className"),
    **results_student.LOAD_OUTPUTS,
    **explain_panel.LOAD_OUTPUTS,
)


async def _unknown_token_words(token: str) -> tuple[str, bool]:
    """What a results path that names no result says, and whether the visitor is the owner: to a share link's
    reader, ask for a new link; to the owner (review 18: a mistyped id read as a dead share link), where the runs
    are."""
    try:
        owner = bool((await get_client().session()).get("owner"))
    except ApiError:
        owner = False
    if not owner:
        return "This share link is invalid, has expired or was revoked. Ask the owner for a new one.", False
    return (f"“{token[:40]}” is neither a job's id nor one of your share links. A run's result is at "
            "/results/ and its full job id (0123abcd-…): the jobs list links every finished run."), True


@callback(output=LOAD_OUTPUTS, inputs=dict(token=Input(ids.TOKEN, "data")),
          state=dict(viewport=State(VIEWPORT, "data")))
async def load_result(token, viewport=None):
    """Fetch the bundle and draw everything that does not depend on the grid click."""
    if not token:
        return named_update(LOAD_OUTPUTS)
    shared = not is_job_id(token)
    try:
        bundle = await get_client().get_result(token)
    except ApiError as err:
        if err.status == 410:  # a share link that was revoked or has expired: say which
            status = not_found_card("This link no longer works", err.message[:1].upper() + err.message[1:] + ".",
                                    home=not shared, code=None)
        elif err.not_found or err.status in (401, 403):
            detail, owner = (("There is no finished result for this job: it is still running, failed or was "
                              "cancelled (its job page says which), or it was deleted.", True) if not shared else
                             await _unknown_token_words(token))
            status = not_found_card("Result not found", detail, home=owner)
        else:
            status = dbc.Alert(f"Could not load the result: {err.message}", color="danger")
        # no "read-only" note above the not-found card, nothing to share or follow, and no "On this page" links to
        # sections it does not have (review 40)
        return named_update(LOAD_OUTPUTS, core=None, status=status, body_style=_HIDDEN,
                            shared_note=False, actions_class=_ACTIONS_HIDDEN,
                            jump_class=_JUMP_NAV_HIDDEN)
    origin = None
    if not shared:  # the owner's page names the run this one was made from (the bundle does not record it)
        try:
            origin = (await get_client().get_job(token)).get("rerun_of")
        except ApiError:
            origin = None
    # drawn in a worker thread: on the event loop, every other request waited for the figures (review 27B: six
    # share links opened at once held the health check for seconds)
    return await asyncio.to_thread(_loaded_outputs, bundle, token, shared, origin, is_narrow(viewport))


def _loaded_outputs(bundle: dict, token: str, shared: bool, origin: str | None, narrow: bool = False) -> dict:
    """The values of :data:`LOAD_OUTPUTS` for a fetched bundle (pure: no API call); ``narrow``: for a phone's
    page, where the calmer notes fold (review 26B: about 540 words of notes before the first figure) and the figures'
    titles break into lines that fit."""
    kind = (bundle.get("data") or {}).get("kind")
    options = example_options(bundle.get("activation") or {})
    filters_2d, scores_figure = figures.filters_2d_figure(bundle), figures.scores_figure(bundle, narrow=narrow)
    return dict(
        core=shown(token), status="", body_style={}, actions_class=_ACTIONS, jump_class=_JUMP_NAV,
        badges=badges(bundle, shared),
        summary=summary_children(bundle, shared), maps_only_style={} if kind == "image" else _HIDDEN,
        wavelet_heading=wavelet_heading(bundle),
        filters_2d=filters_2d, filters_2d_style=graph_style(filters_2d),
        example_options=options,
        example=0 if options else None, scores_table=scores_table(bundle),
        scores_figure=scores_figure, scores_figure_style=graph_style(scores_figure),
        downloads=downloads(bundle, token), provenance=provenance(bundle, origin), shared_note=shared,
        **results_student.loaded(bundle, narrow), **explain_panel.loaded(bundle),
    )


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
    output=Output(ids.CLICKED, "data"),
    inputs=dict(heat_click=Input(ids.GRID_GRAPH, "clickData"), psi_click=Input(ids.PSI_GRID_GRAPH, "clickData"),
                _reset=Input(ids.RESET_CLICK, "n_clicks"), picked=Input(ids.GRID_POINT, "value")),
    state=dict(clicked=State(ids.CLICKED, "data"), core=State(ids.CORE, "data")),
    prevent_initial_call=True,
)
async def on_click(heat_click, psi_click, _reset, picked, clicked=None, core=None):
    """Remember which grid point the user clicked or picked in the list (None = the selected one)."""
    if triggered_id() == ids.RESET_CLICK:
        return None
    if triggered_id() == ids.GRID_POINT:
        # the list follows the figures (draw_grid sets it), so an unchanged choice must not redraw them again
        if isinstance(clicked, int):
            current = clicked
        else:
            bundle = await shown_bundle(core)
            current = figures.selected_index(bundle) if bundle else None
        return picked if isinstance(picked, int) and picked != current else no_update
    click = heat_click if triggered_id() == ids.GRID_GRAPH else psi_click
    idx = clicked_from(click)
    return idx if idx is not None else no_update


#: What :func:`draw_grid` redraws when the clicked grid point changes, by name. The grid point list follows
#: too, but through ``set_props``: as an output its value closed a loop (list → :func:`on_click` → the clicked
#: point → this callback → list), and Dash held back every callback reading the clicked point, this one and the
#: student's, until all the page's other callbacks had answered and been drawn. On the lensing result the
#: wavelet figure, the page's first, was requested 3 s after the others (2026-12-07). Its options go with its
#: value: a value set before its options would be cleared by the list.
GRID_OUTPUTS = dict(wavelet=Output(ids.WAVELET_GRAPH, "figure"),
                    wavelet_help=Output(f"{ids.WAVELET_GRAPH}-help", "children"),
                    filters=Output(ids.FILTERS_GRAPH, "figure"),
                    heatmap=Output(ids.GRID_GRAPH, "figure"), psi_grid=Output(ids.PSI_GRID_GRAPH, "figure"),
                    inspecting=Output(ids.INSPECTING, "children"), reset_class=Output(ids.RESET_CLICK, "className"),
                    inspected=Output(results_student.ids.INSPECTED, "children"),
                    # each graph's box sized to its new figure in the same update (see GRAPHS)
                    **{f"{name}_style": Output(graph_id, "style") for name, graph_id in (
                        ("wavelet", ids.WAVELET_GRAPH), ("filters", ids.FILTERS_GRAPH), ("heatmap", ids.GRID_GRAPH),
                        ("psi_grid", ids.PSI_GRID_GRAPH))})


@callback(output=GRID_OUTPUTS, inputs=dict(core=Input(ids.CORE, "data"), clicked=Input(ids.CLICKED, "data"),
                                           viewport=Input(VIEWPORT, "data")))
async def draw_grid(core, clicked, viewport=None):
    """The figures that follow the clicked grid point (drawn in a worker thread, as :func:`load_result`'s), and
    the grid point list's value (``set_props``, see :data:`GRID_OUTPUTS`)."""
    out = await asyncio.to_thread(grid_outputs, await shown_bundle(core), clicked, viewport)
    options, point = out.pop("point_options", None), out.pop("point", None)
    if options is not None:
        dash.set_props(ids.GRID_POINT, {"options": options, "value": point})
    return out


def grid_outputs(core, clicked, viewport=None) -> dict:
    """The values of :data:`GRID_OUTPUTS` for the clicked grid point (``core``: the result bundle, or None), and
    the grid point list's ``point_options`` and ``point`` (the shown point's index), both absent without a
    bundle."""
    if not core:
        return named_update(GRID_OUTPUTS)
    sel = figures.selected_index(core)
    idx = clicked if isinstance(clicked, int) and 0 <= clicked < len(core.get("grid") or []) else None
    initial = figures.kept_initial(core)
    if idx is not None and idx != sel:
        text = f"Inspecting {figures.grid_point_label(core, idx)}"
    elif initial is not None:
        text = f"Showing the best AWD point, {figures.grid_point_label(core, sel)}; cross-validation kept {initial}"
    else:
        text = f"Showing the selected point: {figures.grid_point_label(core, sel)}"
    shown = sel if idx is None else idx
    notes = [n for n in (figures.start_note(core, shown), figures.moved_note(core, shown)) if n]
    text = f"{text}; {'; '.join(notes)}." if notes else text
    narrow = is_narrow(viewport)  # a phone's: the wavelet's title and the heat map's labels break to fit
    drawn = dict(wavelet=figures.wavelet_figure(core, idx, narrow=narrow), filters=figures.filters_figure(core, idx),
                 heatmap=figures.grid_heatmap_figure(core, idx, narrow=narrow),
                 psi_grid=figures.psi_grid_figure(core, idx))
    return dict(**drawn, **{f"{name}_style": graph_style(fig) for name, fig in drawn.items()},
                wavelet_help=wavelet_help(core, idx), inspecting=text,
                inspected=results_student.inspected_card(core, idx),
                reset_class="" if idx is not None and idx != sel else "awd-hidden",
                point_options=figures.grid_point_options(core), point=sel if idx is None else idx)


@callback(output=dict(figure=Output(ids.SUBFILTERS_GRAPH, "figure"), style=Output(ids.SUBFILTERS_GRAPH, "style")),
          inputs=dict(core=Input(ids.CORE, "data"), viewport=Input(VIEWPORT, "data")))
async def draw_subfilters(core, viewport=None):
    """The 3 × 3 sub-filters, laid out for the window (drawn again when it turns into a phone's or back), and
    their box sized to them (see :data:`GRAPHS`)."""
    bundle = await shown_bundle(core)
    if not bundle:
        return no_update
    fig = await asyncio.to_thread(figures.subfilters_figure, bundle, narrow=is_narrow(viewport))
    return {"figure": fig, "style": graph_style(fig)}


#: The teacher the activation note suggests rerunning with, by the teacher of the result.
OTHER_TEACHER = {"lstm": "mlp", "mlp": "lstm"}


@callback(output=dict(children=Output(ids.ACTIVATION_NOTE, "children"), style=Output(ids.ACTIVATION_NOTE, "style")),
          inputs=dict(core=Input(ids.CORE, "data")), state=dict(token=State(ids.TOKEN, "data")))
async def draw_activation_note(core, token=None):
    """The note under the activation maps, for the result shown (see :func:`activation_note`)."""
    bundle = await shown_bundle(core)
    return activation_note((bundle or {}).get("activation"), bundle, token)


def activation_note(activation, core, token=None):
    """Say what the maps owe to the teacher when its sensitivity stands out at one end of the series, with the
    rerun it suggests one click away (the owner's page: a share link cannot start a job) and the help's reading
    (review 31B: the advice led nowhere)."""
    teacher = ((core or {}).get("teacher") or {}).get("name")
    words = figures.sensitivity_words(activation, teacher)
    if not words:
        return {"children": "", "style": {"display": "none"}}
    other = OTHER_TEACHER.get(teacher or "")
    rerun = ([html.A(f"Rerun with the {other.upper()} teacher", className="ms-1",
                     href=f"/configure?from={quote(token, safe='')}&teacher={other}"), " ·"]
             if other and is_job_id(token) else [])  # a share link's reader cannot start a job
    return {"children": [words, *rerun, " ", html.A("how to read it", href="/help#activation")], "style": {}}


@callback(
    output=dict(figure=Output(ids.ACTIVATION_GRAPH, "figure"), style=Output(ids.ACTIVATION_GRAPH, "style")),
    # the stored maps and the window's width are inputs too: a phone gets the map above its activation. The only
    # drawing of the map: load_result drew it too, and a page load drew it twice (2026-12-07)
    inputs=dict(example=Input(ids.EXAMPLE, "value"), core=Input(ids.CORE, "data"), viewport=Input(VIEWPORT, "data")),
    prevent_initial_call=True,
)
async def draw_activation(example, core, viewport=None):
    """Draw the activation map for the chosen example, laid out for the window (see :func:`activation_outputs`),
    and size its box to it (see :data:`GRAPHS`)."""
    bundle = await shown_bundle(core)
    if not bundle:
        return no_update
    fig = await asyncio.to_thread(activation_outputs, example, bundle.get("activation"), bundle,
                                  bundle.get("explain"), viewport)
    return {"figure": fig, "style": graph_style(fig)}


def activation_outputs(example, activation, core, explain=None, viewport=None):
    """The activation map of the chosen example (with the explanations' measured placement: without them every
    result's map said it came from an earlier version), laid out for the window; a result without maps says so."""
    bundle = {"activation": activation, "data": (core or {}).get("data"), "explain": explain}
    return figures.activation_figure(bundle, example or 0, narrow=is_narrow(viewport))
