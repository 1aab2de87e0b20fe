"""The results page's scattering block: shown only when the bundle has a ``scattering`` section (a job run
with ``student: scattering``).

It holds a line of scores (the scattering student beside the teacher, AWD and the initial wavelet, with the
kept paths), the learned filters in time/space and frequency, the kept paths as a tree and the
score-versus-paths curve (figures in :mod:`frontend.figures.scattering`). The results page places
:func:`section` in its body and calls :func:`register` once with the id of the store holding the bundle.
"""

from __future__ import annotations

import asyncio

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from awd_studio.frontend.components import VIEWPORT, figure_card, graph_style, is_narrow, stack_on_phones
from awd_studio.frontend.figures import scattering as figs
from awd_studio.frontend.figures.style import common_decimals, empty_figure, fmt_decimals, fmt_number, fmt_score
from awd_studio.frontend.shown_result import shown_bundle

__all__ = ["ids", "section", "register", "block_outputs", "scores_children"]


class ids:  # noqa: N801 (a namespace of constants)
    """Component ids of the scattering block."""

    SECTION = "scattering-section"
    SCORES = "scattering-scores"
    SCORES_CARD = "scattering-scores-card"
    FILTERS_GRAPH = "scattering-filters-graph"
    TREE_GRAPH = "scattering-tree-graph"
    CURVE_GRAPH = "scattering-curve-graph"


#: The block's graphs: :func:`block_outputs` sizes each box to its figure in the same update (as the results page
#: does its own graphs: ``frontend.pages.results.GRAPHS``), not a client-side callback per graph.
GRAPHS = (ids.FILTERS_GRAPH, ids.TREE_GRAPH, ids.CURVE_GRAPH)

_HIDDEN = {"display": "none"}


def section() -> html.Div:
    """The block's layout, hidden until a bundle with a scattering section arrives."""
    return html.Div([
        html.H2("Scattering student", className="h4 mt-2 mb-3"),
        # in a card as the results page's other tables (review 51: it stood on the page's grey, the only one)
        dbc.Card(dbc.CardBody(html.Div(id=ids.SCORES, className="table-responsive")), className="mb-4 shadow-sm",
                 id=ids.SCORES_CARD),
        figure_card("Learned scattering filters", ids.FILTERS_GRAPH, "awd-scattering-filters",
                    help_text="The student's wavelets as kept: after training, or the ones it started from when "
                              "training did not improve its validation score (the note above says which). It starts "
                              "from the wavelet the selection kept (the best AWD point's, or the initial one when "
                              "cross-validation kept it); dotted: filters no kept path uses."),
        dbc.Row([
            dbc.Col(figure_card("Kept paths", ids.TREE_GRAPH, "awd-scattering-tree",
                                help_text="Centre: order 0; ring: first-order filters; outside: second-order "
                                          "paths. Blue: kept after pruning."), xl=6),
            dbc.Col(figure_card("Score against the number of paths", ids.CURVE_GRAPH, "awd-scattering-curve",
                                help_text="Greedy pruning by the CAR index; the smallest set within one "
                                          "standard error of the best is kept (★)."), xl=6),
        ]),
    ], id=ids.SECTION, style=_HIDDEN)


def scores_children(bundle: dict) -> list:
    """The block's first lines: test R² (and RMSE) of each model, and how many paths the student kept."""
    scattering = (bundle or {}).get("scattering") or {}
    scores = figs.scattering_scores(bundle)
    # one number of decimals down the RMSE column, as in the scores table (review 22: "0.16" here, "0.160" there)
    decimals = common_decimals([r["rmse"] for r in scores])
    rows = [html.Tr([html.Td(r["name"]), html.Td(fmt_score(r["r2"])), html.Td(fmt_decimals(r["rmse"], decimals)),
                     html.Td("—" if r["n_params"] is None else f"{int(r['n_params']):,}")])
            for r in scores]
    # styled as the scores table above it (pages/results.py)
    table = stack_on_phones(dbc.Table([html.Thead(html.Tr([html.Th("model"), html.Th("test R²"), html.Th("test RMSE"),
                                                           html.Th("parameters")])), html.Tbody(rows)],
                                      size="sm", bordered=False, hover=True, className="awd-table mb-2",
                                      style={"maxWidth": "40rem"}))
    kept, total = len(scattering.get("paths_kept") or []), len(scattering.get("paths_all") or [])
    settings = scattering.get("settings") or {}
    note = html.P(f"{kept} of {total} paths kept · {scattering.get('bank', '?').upper()} bank, "
                  f"J = {settings.get('J', '?')}, orders 0–{settings.get('max_order', '?')} · "
                  f"trained in {fmt_number(scattering.get('train_seconds'))} s", className="text-muted small mb-0")
    return [table, note]


def register(bundle_store_id: str) -> None:
    """Register (once, at the results page's import) the callback that fills the block from the result the store
    ``bundle_store_id`` names (:mod:`frontend.shown_result`)."""

    @callback(output=dict(style=Output(ids.SECTION, "style"), scores=Output(ids.SCORES, "children"),
                          filters=Output(ids.FILTERS_GRAPH, "figure"), tree=Output(ids.TREE_GRAPH, "figure"),
                          curve=Output(ids.CURVE_GRAPH, "figure"),
                          **{f"{name}_style": Output(graph_id, "style") for name, graph_id in (
                              ("filters", ids.FILTERS_GRAPH), ("tree", ids.TREE_GRAPH), ("curve", ids.CURVE_GRAPH))}),
              inputs=dict(bundle=Input(bundle_store_id, "data"), viewport=Input(VIEWPORT, "data")))
    async def draw_scattering(bundle, viewport=None):
        # drawn in a worker thread, as the results page's other figures: on the event loop every other request
        # would wait for it
        return await asyncio.to_thread(block_outputs, await shown_bundle(bundle), narrow=is_narrow(viewport))


def block_outputs(bundle: dict | None, narrow: bool = False) -> dict:
    """What the block shows for a bundle: ``style`` (hidden without a scattering section), ``scores``,
    ``filters``, ``tree``, ``curve`` (``narrow``: laid out for a phone's screen), and ``filters_style``,
    ``tree_style``, ``curve_style``: each graph's box sized to its figure (see :data:`GRAPHS`)."""
    if not (bundle or {}).get("scattering"):
        empty = empty_figure("No scattering student in this result")
        out = dict(style=_HIDDEN, scores=[], filters=empty, tree=empty, curve=empty)
    else:
        out = dict(style={}, scores=scores_children(bundle), filters=figs.scattering_filters_figure(bundle, narrow),
                   tree=figs.scattering_tree_figure(bundle), curve=figs.scattering_curve_figure(bundle))
    return {**out, **{f"{name}_style": graph_style(out[name]) for name in ("filters", "tree", "curve")}}
