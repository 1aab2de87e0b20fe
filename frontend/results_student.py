"""The results page's blocks that explain a result: what to trust, the interpretable student (formula, table,
where and at which scale it looks), the inspected grid cell's scores, and "Use in Python" with the citations.

:mod:`frontend.pages.results` places these blocks and fills them from its one load callback
(:func:`loaded`); the student's figures follow the chosen test example and the clicked grid cell through
:func:`draw_student`, which reads the result through the API (:mod:`frontend.shown_result`). Figures come from
:mod:`frontend.figures.student`.
"""

from __future__ import annotations

import asyncio

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html, no_update

from awd_studio.frontend import figures
from awd_studio.frontend.components import (
    VIEWPORT,
    figure_card,
    graph_style,
    is_narrow,
    named_update,
    panel_columns,
    stack_on_phones,
    triggered_id,
)
from awd_studio.frontend.figures import student as student_figures
from awd_studio.frontend.help_links import help_link
from awd_studio.frontend.option_words import OPTION_WORDS, VALUE_WORDS
from awd_studio.frontend.shown_result import CORE, shown_bundle
from awd_studio.frontend.use_in_python import use_in_python_card

__all__ = ["ids", "trust_block", "student_section", "use_in_python_block", "loaded", "inspected_card",
           "trust_alerts"]


class ids:  # noqa: N801 (a namespace of constants)
    """Component ids of these blocks (tests/e2e read them)."""

    TRUST = "results-trust"
    COMPRESSION_NOTE = "results-compression-note"
    #: The notes folded under a summary (:func:`trust_alerts`).
    MORE_NOTES = "results-more-notes"
    INSPECTED = "results-inspected"
    STUDENT_FORMULA = "results-student-formula"
    STUDENT_DEFINITION = "results-student-definition"
    STUDENT_TABLE = "results-student-table"
    STUDENT_GRAPH = "results-student-graph"
    HISTOGRAM_GRAPH = "results-histogram-graph"
    HISTOGRAM_ROW = "results-histogram-row"
    STUDENT_NOTE = "results-student-note"
    USE_PYTHON = "results-use-python"
    #: The section's heading (a target of the page's "On this page" links).
    SEC_STUDENT = "results-sec-student"
    SNIPPET = "results-python-snippet"
    BIBTEX_PAPER = "results-bibtex-paper"
    BIBTEX_SOFTWARE = "results-bibtex-software"


# not size_graphs_to_their_figures: student_outputs sizes these graphs' boxes with their figures (graph_style), so
# that plotly draws each at its height at once (sized by that client-side callback, the scalogram was drawn 360 px
# high, then 535 px about a second later)

_HIDDEN = {"display": "none"}


def trust_block() -> html.Div:
    """Where the notes on what to trust appear (under the summary)."""
    return html.Div(id=ids.TRUST, className="mb-3")


def student_section() -> list:
    """The student's section: formula, definition, table, and where and at which scale it looks."""
    return [
        html.H2(["The interpretable student", help_link("student")], className="h4 mt-2 mb-3", id=ids.SEC_STUDENT),
        dbc.Card(dbc.CardBody([
            html.Div(id=ids.STUDENT_NOTE, className="small text-muted mb-2"),
            html.Div(id=ids.STUDENT_FORMULA, className="awd-formula fs-6 mb-2",
                     style={"fontFamily": "ui-monospace, SFMono-Regular, Menlo, monospace"}),
            html.P(id=ids.STUDENT_DEFINITION, className="small mb-2"),
            html.Div(id=ids.STUDENT_TABLE, className="table-responsive", style={"maxHeight": "22rem"}),
        ]), className="mb-4 shadow-sm"),
        figure_card("Where and at which scale it looks (the test example chosen above)", ids.STUDENT_GRAPH,
                    "awd-student-scale",
                    help_text="Series: the signal, and below it |coefficient × saliency| per band (level × "
                              "position); circles: the coefficients the student keeps. Maps: the map with its "
                              "detected peaks, then |coefficient × saliency| per sub-band and level."),
        html.Div(figure_card("Peak-count histograms of this map", ids.HISTOGRAM_GRAPH,
                             "awd-peak-histogram",
                             help_text="Bars: this map's peak-count histogram per channel the student reads. When "
                                       "the targets take a few values (classes, such as cosmologies), the line is "
                                       "the template (mean histogram) of the class nearest in χ² and the last "
                                       "panel gives χ² to every class: the prediction is the nearest class's "
                                       "target. For a continuous target the student is a ridge regression on the "
                                       "standardised histograms, and the bars are what it reads. Computed for the "
                                       "recommended model, as the activation maps; not for a grid point you "
                                       "inspect."),
                 id=ids.HISTOGRAM_ROW),
    ]


def use_in_python_block() -> html.Div:
    """Where the "Use in Python" and "Cite" cards appear."""
    return html.Div(id=ids.USE_PYTHON)


#: Note levels shown open; the others (info, secondary, success) fold under :data:`MORE_NOTES` when there are more
#: than :data:`OPEN_NOTES` notes in all (review 26B: about 540 words of notes stood between a phone's verdict and
#: the first figure, three screens down).
OPEN_LEVELS = ("danger", "warning")
OPEN_NOTES = 3
MORE_NOTES = "{n}{more} note{s} on these results"


def trust_alerts(bundle: dict, fold: bool = True) -> list:
    """The bundle's notes on what to trust as alerts, and the compression factor's definition. Warnings and dangers
    are always shown; with ``fold`` (a phone's page), the other notes fold under a summary when there are more
    than :data:`OPEN_NOTES` in all."""
    trust = bundle.get("trust") or {}
    notes = [(i, n) for i, n in enumerate(trust.get("notes") or []) if isinstance(n, dict) and n.get("text")]

    def alert(i, n):
        return dbc.Alert(n["text"], color=n.get("level", "secondary"), className="mb-2 py-2",
                         id=f"results-trust-{n.get('key', i)}")

    folded = ([(i, n) for i, n in notes if n.get("level") not in OPEN_LEVELS] if fold and len(notes) > OPEN_NOTES
              else [])
    alerts = [alert(i, n) for i, n in notes if (i, n) not in folded]
    if folded:
        summary = MORE_NOTES.format(n=len(folded), more=" more" if alerts else "", s="s" if len(folded) > 1 else "")
        alerts.append(html.Details([html.Summary(summary, className="small mb-2"),
                                    *[alert(i, n) for i, n in folded]], id=ids.MORE_NOTES, className="mb-2"))
    if trust.get("compression_definition"):
        alerts.append(html.Details([html.Summary("What “compression” means here", className="small"),
                                    html.P(trust["compression_definition"], className="small mb-0 mt-1")],
                                   id=ids.COMPRESSION_NOTE, className="mb-2"))
    return alerts


def _students_store(bundle: dict) -> dict:
    """Every student of a result (the selected point's and the grid's) and what :func:`student_outputs` reads
    beside them."""
    grid = bundle.get("grid") or []
    return {"students": bundle.get("students") or {}, "grid": [p.get("student") for p in grid],
            "kind": (bundle.get("data") or {}).get("kind"), "selected": figures.selected_index(bundle),
            "labels": [figures.grid_point_label(bundle, i) for i in range(len(grid))],
            "kept_initial": figures.kept_initial(bundle),
            # the boundary mode: map panels wrap a coefficient's block around the edges in periodization (without
            # it the page cut them, and the coarse bands showed an empty strip where their blocks wrap)
            "mode": (bundle.get("wavelet") or {}).get("mode"),
            # the file's own time axis, for the scalogram's labels (a reviewer found it still in samples)
            "sample_axis": (bundle.get("data") or {}).get("sample_axis"),
            # the series' length, for the frames each term of the student table reads (review 38)
            "shape": (bundle.get("data") or {}).get("shape")}


def loaded(bundle: dict, narrow: bool = False) -> dict:
    """What the page's load callback fills for these blocks, by output name (see :data:`LOAD_OUTPUTS`); ``narrow``:
    a phone's page (the calmer notes fold)."""
    return dict(trust=trust_alerts(bundle, fold=narrow),
                use_python=use_in_python_card(bundle, snippet_id=ids.SNIPPET, paper_id=ids.BIBTEX_PAPER,
                                              software_id=ids.BIBTEX_SOFTWARE),
                histogram_style={} if (bundle.get("data") or {}).get("kind") == "image" else _HIDDEN)


#: The outputs :func:`loaded` fills (merged into the page's load callback).
LOAD_OUTPUTS = dict(trust=Output(ids.TRUST, "children"), use_python=Output(ids.USE_PYTHON, "children"),
                    histogram_style=Output(ids.HISTOGRAM_ROW, "style"))


def inspected_card(core: dict, idx: int | None):
    """Score cards of the clicked grid cell beside the selected one (its own student, fitted on the training
    split and scored on the test split)."""
    grid = core.get("grid") or []
    sel = figures.selected_index(core)
    if idx is None or idx == sel or not (0 <= idx < len(grid)):
        return None
    point, chosen = grid[idx], grid[sel] if 0 <= sel < len(grid) else {}
    # the ★ point is the selected model only when cross-validation did not keep the initial wavelet
    reference = "selected point" if figures.kept_initial(core) is None else "★ best AWD point"

    def stat(label, value, ref):
        return dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(label, className="small text-muted"),
            html.Div(value, className="fs-5 fw-semibold"),
            html.Div(f"{reference}: {ref}", className="small text-muted")]), className="h-100 shadow-sm"),
            xs=6, md=3, className="mb-2")

    test, ref = point.get("test") or {}, chosen.get("test") or {}
    student = point.get("student") or {}
    return html.Div([
        html.Div(f"Inspected cell {figures.grid_point_label(core, idx)}", className="fw-semibold mb-1"),
        dbc.Row([
            stat("CV score", f"{figures.fmt_score(point.get('cv_score'))} ± "
                             f"{figures.fmt_number(point.get('cv_score_sd'), 2)}",
                 figures.fmt_score(chosen.get("cv_score"))),
            stat("Its student's test R²", figures.fmt_score(test.get("r2")), figures.fmt_score(ref.get("r2"))),
            stat("Its student's test RMSE", figures.fmt_number(test.get("rmse")), figures.fmt_number(ref.get("rmse"))),
            stat("Its student's fitted numbers", f"{student.get('n_params', '—')}",
                 str((chosen.get("student") or {}).get("n_params", "—"))),
        ], className="g-2"),
        html.Div("The wavelet, the filters, the grid and the student below show this cell; the activation maps and "
                 "the scalogram's saliencies are of the recommended model: the selected point, or the initial "
                 "wavelet when cross-validation kept it (they need the teacher's gradients, which the result "
                 "stores for that model only).", className="small text-muted"),
    ], id=ids.INSPECTED + "-card", className="mb-3")


def _shown_student(students: dict, idx: int | None, explained_wavelet: str) -> tuple[dict | None, str, bool]:
    """``(record, which, explained)``: the student the section shows, how its note names it, and whether the
    bundle's per-example explanations (``explain``, computed for the recommended model) are this student's.

    With no cell clicked it is the recommended model's: the initial wavelet's when cross-validation kept it
    and the explanations are of it (``explain.wavelet == "initial"``), else the selected AWD point's.
    """
    grid, labels = students.get("grid") or [], students.get("labels") or []
    named = students.get("students") or {}
    initial, selected = students.get("kept_initial"), students.get("selected")
    explains_initial = bool(initial) and explained_wavelet == "initial"
    if idx is not None and (idx != selected or explains_initial):
        best = " (the best AWD point)" if idx == selected else ""
        label = labels[idx] if idx < len(labels) else str(idx)
        return grid[idx], f"the student of the inspected cell {label}{best}", False
    if explains_initial:
        return (named.get("baseline_wavelet"),
                f"the student of {initial}, which cross-validation kept (click ★ for the best AWD point's)", True)
    if initial:  # a result written before the explanations followed the kept wavelet
        return grid[idx] if idx is not None else named.get("awd"), \
            f"the best AWD point's student (cross-validation kept {initial}: use that instead)", True
    return grid[idx] if idx is not None else named.get("awd"), "the AWD student (the selected point)", True


#: What :func:`draw_student` redraws.
STUDENT_OUTPUTS = dict(formula=Output(ids.STUDENT_FORMULA, "children"),
                       definition=Output(ids.STUDENT_DEFINITION, "children"),
                       table=Output(ids.STUDENT_TABLE, "children"), note=Output(ids.STUDENT_NOTE, "children"),
                       graph=Output(ids.STUDENT_GRAPH, "figure"), histogram=Output(ids.HISTOGRAM_GRAPH, "figure"),
                       graph_style=Output(ids.STUDENT_GRAPH, "style"),
                       histogram_style=Output(ids.HISTOGRAM_GRAPH, "style"))


def _table(rows: list[dict], reads: str = "Frames read") -> dbc.Table:
    """The series student's terms (:func:`~frontend.figures.student.student_rows`); ``reads``: the title of the
    column of frames each term reads (:func:`~frontend.figures.student.reads_title`)."""
    # two-line headers and a feature name that wraps: the columns fit a 1280 px window (the last one was cut
    # off behind the table's scroll bar, "(mostly beyond the series' ends)" kept the names on one line); the
    # frames read beside the position in the band (review 38: cA2[0] read the end of the trace)
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in
                               ("Feature", ["Band", html.Br(), "(level)"], "Weight", ["|weight|", html.Br(), "× SD"],
                                ["Position", html.Br(), "in band"], [reads, html.Br(), "(this example)"],
                                ["weight × c", html.Br(), "(this example)"])]))
    body = html.Tbody([html.Tr([html.Td(_feature_cell(r), className="awd-wrap"),
                                html.Td(f"{r['band']} ({r['level']})"),
                                html.Td(r["weight_text"]), html.Td(r["influence_text"]),
                                html.Td(r["position_text"]), html.Td(r["frames_text"]),
                                html.Td(r["contribution_text"])]) for r in rows])
    return stack_on_phones(dbc.Table([head, body], size="sm", hover=True, className="awd-table mb-0"))


def _feature_cell(row: dict):
    """A term's name; for a term that is a mix of the others (``mixed``), with a muted line saying that its weight
    is not identified (review 51D: such terms ranked 4th to 7th by |weight| × SD; the notes above say why).

    Examples
    --------
    >>> _feature_cell({"label": "cD3[4]", "mixed": False})
    'cD3[4]'
    >>> _feature_cell({"label": "cA4[5]", "mixed": True})[1].children
    'a mix of other terms: weight not identified'
    """
    if not row.get("mixed"):
        return row["label"]
    return [row["label"], html.Div("a mix of other terms: weight not identified",
                                   className="small text-muted awd-mixed-term")]


def _maps_summary(record: dict) -> html.Div:
    p = record.get("parameters") or {}
    items = [f"filters read at the peaks: {', '.join(p.get('channels') or [])}",  # the ranges: the definition's
             f"method: {p.get('method')} ({p.get('covariance')} covariance)" if p.get("method") == "chi2"
             else "method: ridge on standardised histograms",
             outside_range_text(p),
             f"{len(p.get('classes') or [])} classes" if p.get("classes") else None,
             f"{record.get('n_params')} fitted numbers"]
    return html.Ul([html.Li(i) for i in items if i], className="small mb-0")


#: How a map student's definition begins its sentence on the peaks outside its bins
#: (``models.pipeline.student_params._outside_words``), which the page says in the summary instead.
OUTSIDE_SENTENCE = " Not counted, being outside the bins:"
#: From this share of a channel's training peaks below its bins on, the student section names the signed range.
SIGNED_HINT_SHARE = 0.05


def outside_range_text(parameters: dict) -> str | None:
    """Pure: which share of the training peaks each channel's histogram leaves out (responses below or above its
    bins), or None when the result does not say (made before 2026-12-06) or nothing is left out.

    Examples
    --------
    >>> p = {"channels": ["LL", "detail magnitude"], "outside_range": {"below": [0.411, 0.0], "above": [0.004, 0.01]}}
    >>> print(outside_range_text(p))  # doctest: +NORMALIZE_WHITESPACE
    not counted (outside the bins), of the training peaks: LL 41.1 % below, 0.4 % above; detail magnitude 1.0 %
    above (“Map student's range: both signs” on the configure page counts the responses below 0)
    >>> signed = {**p, "bin_range": [0.0, 1.4], "channel_ranges": [[-1.4, 1.4], [0.0, 1.4]]}
    >>> "both signs" in outside_range_text(signed)  # the LL's range is signed already
    False
    """
    outside = parameters.get("outside_range") or {}
    below, above = outside.get("below") or [], outside.get("above") or []
    parts = []
    for k, name in enumerate(parameters.get("channels") or []):
        sides = [f"{100 * share:.1f} % {side}" for side, shares in (("below", below), ("above", above))
                 if k < len(shares) and isinstance(share := shares[k], int | float) and share > 0]
        if sides:
            parts.append(f"{name} {', '.join(sides)}")
    if not parts:
        return None
    # only where the bins start at 0: a range already signed leaves out what lies below -b, which the option does not
    # change, and the peak heights' range (raw) starts at a percentile of theirs
    lows = [r[0] for r in parameters.get("channel_ranges") or []] or \
        [(parameters.get("bin_range") or [0.0])[0]] * len(below)
    hint = (f" (“{OPTION_WORDS['peak_range']}: {VALUE_WORDS['peak_range']['signed']}” on the configure page counts "
            "the responses below 0)"
            if any(isinstance(v, int | float) and v >= SIGNED_HINT_SHARE and low == 0 for v, low in zip(below, lows))
            else "")
    return f"not counted (outside the bins), of the training peaks: {'; '.join(parts)}{hint}"


@callback(output=STUDENT_OUTPUTS,
          inputs=dict(example=Input("results-example", "value"), clicked=Input("results-clicked", "data"),
                      core=Input(CORE, "data"), viewport=Input(VIEWPORT, "data")))
async def draw_student(example, clicked, core, viewport=None):
    """The student of the selected point (or of the clicked cell) and how it reads the chosen example, for the
    result shown (see :func:`student_outputs`; drawn in a worker thread)."""
    bundle = await shown_bundle(core)
    if not bundle:
        return named_update(STUDENT_OUTPUTS)
    return await asyncio.to_thread(student_outputs, example, clicked, _students_store(bundle), bundle.get("explain"),
                                   bundle.get("activation"), viewport)


def student_outputs(example, clicked, students, explain, activation, viewport=None):
    """The values of :data:`STUDENT_OUTPUTS`: the student of the selected point (or of the clicked cell) and how it
    reads the chosen example, each graph's box sized to its new figure in the same update (a figure not redrawn
    leaves its box as it is)."""
    outputs = _student_parts(example, clicked, students, explain, activation, viewport)
    return {**outputs, **{f"{name}_style": no_update if outputs[name] is no_update else graph_style(outputs[name])
                          for name in ("graph", "histogram")}}


def _student_parts(example, clicked, students, explain, activation, viewport=None) -> dict:
    """:func:`student_outputs` but the graphs' styles."""
    if not students:
        return named_update(STUDENT_OUTPUTS)
    grid = students.get("grid") or []
    idx = clicked if isinstance(clicked, int) and 0 <= clicked < len(grid) and grid[clicked] else None
    record, which, explained = _shown_student(students, idx, (explain or {}).get("wavelet", "awd"))
    bundle = {"explain": explain, "activation": activation, "students": {"awd": record},
              "wavelet": {"mode": students.get("mode")},
              "data": {"sample_axis": students.get("sample_axis"), "shape": students.get("shape")}}
    k = example if isinstance(example, int) else 0
    if not record:
        empty = figures.empty_figure("This result does not carry its student (rerun the job with this version)")
        return dict(formula="", definition="", table=None, note="", graph=empty, histogram=empty)
    ex = ((explain or {}).get("examples") or [None])[k] if (explain or {}).get("examples") and \
        k < len(explain["examples"]) else None
    click_only = triggered_id() == "results-clicked"  # the figures show the explained model: nothing to redraw
    if record.get("kind") == "series_topk_linear":
        rows = student_figures.student_rows(record, ex if explained else None, bundle)
        return dict(formula=student_figures.student_formula(record), definition=record.get("definition", ""),
                    table=_table(rows, student_figures.reads_title(bundle)), note=" ".join(filter(None, (
                        f"Showing {which}. Terms in order of influence: |weight| × the feature's standard deviation "
                        "on the training data.", student_figures.beyond_ends_note(record)))),
                    graph=no_update if click_only else student_figures.scalogram_figure(bundle, k),
                    histogram=no_update if click_only else figures.empty_figure(""))
    # the definition's last sentence on the peaks outside the bins (for the terminal and result.json) is the
    # summary's bullet here, with the option that counts them: said once
    definition = record.get("definition", "").split(OUTSIDE_SENTENCE)[0]
    return dict(formula="", definition=definition, table=_maps_summary(record),
                note=f"Showing {which}.",
                graph=no_update if click_only else student_figures.subband_figure(bundle, k,
                                                                                  panel_columns(viewport, 4, 2)),
                histogram=_explained_histogram(bundle, students, explain, explained, k, viewport))


def _explained_histogram(bundle: dict, students: dict, explain: dict | None, explained: bool, example: int,
                         viewport=None):
    """The peak-count histogram figure of the model the examples were computed for, titled so while another grid
    point is inspected (review: the inspected cell's bins and templates were drawn under the selected model's
    counts, two models in one figure).

    Parameters
    ----------
    bundle : dict
        The figures' bundle, whose ``students.awd`` is the student the section shows.
    students : dict
        The page's students store.
    explain : dict or None
        The explain store (``wavelet``: which model its examples are of).
    explained : bool
        Whether the shown student is that model (:func:`_shown_student`).
    example : int
        The test example.
    viewport : int, optional
        The window's width in pixels.

    Returns
    -------
    go.Figure
    """
    if not explained:
        record = _shown_student(students, None, (explain or {}).get("wavelet", "awd"))[0]
        bundle = {**bundle, "students": {"awd": record}}
    return student_figures.peak_histogram_figure(bundle, example, max_cols=histogram_columns(viewport),
                                                 title=None if explained else student_figures.EXPLAINED_MODEL_TITLE)


def histogram_columns(viewport_width) -> int:
    """Panels a row of the peak-count histograms: one on a phone, two below 1200 px (the χ² panel then takes a row
    of its own), else four.

    Examples
    --------
    >>> histogram_columns(390), histogram_columns(800), histogram_columns(1280), histogram_columns(None)
    (1, 2, 4, 4)
    """
    if is_narrow(viewport_width):
        return 1
    return 2 if isinstance(viewport_width, (int, float)) and viewport_width < 1200 else 4
