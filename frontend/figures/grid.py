"""The results page's λ/γ grid section: where each grid point sits, which one is selected, and two figures.

:func:`grid_axes`, :func:`selected_index`, :func:`point_index` and :func:`grid_point_label` read the
grid of a bundle (the other sections ask them which point to draw); :func:`grid_heatmap_figure`
draws the cross-validated score over λ × γ and :func:`psi_grid_figure` the learned ψ of every
point as small multiples. Each drawn point carries its grid index as ``customdata``, so a click
callback knows which point was chosen.
"""

from __future__ import annotations

import textwrap
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from awd_studio.frontend.figures.style import PALETTE, apply_layout, as_array, empty_figure, fmt_number, fmt_score

__all__ = ["grid_axes", "selected_index", "point_index", "grid_point_label", "grid_point_options", "start_note",
           "grid_heatmap_figure", "psi_grid_figure", "cell_samples"]


def _axis_values(bundle: dict, key: str, grid_key: str) -> list[float]:
    vals = bundle.get(key)
    if vals:
        return [float(v) for v in vals]
    return sorted({float(p[grid_key]) for p in bundle.get("grid", [])})


def _position(values: Sequence[float], v: float) -> int:
    arr = np.asarray(values, dtype=float)
    return int(np.argmin(np.abs(arr - float(v)))) if arr.size else 0


def grid_axes(bundle: dict) -> tuple[list[float], list[float], np.ndarray, np.ndarray]:
    """The λ and γ axes of the grid and the CV score on them.

    Parameters
    ----------
    bundle : dict
        Result bundle.

    Returns
    -------
    lambdas : list of float, length n_l (ascending)
    gammas : list of float, length n_g (ascending)
    score : ndarray of shape (n_l, n_g)
        ``cv_score`` per cell, NaN where the grid has no point.
    index : ndarray of shape (n_l, n_g), int
        Position in ``bundle["grid"]`` per cell, -1 where absent.
    """
    lambdas = _axis_values(bundle, "lambdas", "lambda")
    gammas = _axis_values(bundle, "gammas", "gamma")
    score = np.full((len(lambdas), len(gammas)), np.nan)
    index = np.full((len(lambdas), len(gammas)), -1, dtype=int)
    for k, p in enumerate(bundle.get("grid", [])):
        i = p.get("i_lambda")
        j = p.get("i_gamma")
        i = int(i) if i is not None and 0 <= int(i) < len(lambdas) else _position(lambdas, p["lambda"])
        j = int(j) if j is not None and 0 <= int(j) < len(gammas) else _position(gammas, p["gamma"])
        score[i, j] = float(p.get("cv_score", np.nan))
        index[i, j] = k
    return lambdas, gammas, score, index


def kept_initial(bundle: dict) -> str | None:
    """The initial wavelet's name when cross-validation kept it (``selection.choice == "initial"``), else None.

    Then the selected grid point (:func:`selected_index`) is only the best AWD point, not the model to use.
    """
    selection = bundle.get("selection") or {}
    if selection.get("choice") != "initial":
        return None
    return selection.get("initial") or "the initial wavelet"


def selected_index(bundle: dict) -> int:
    """Position in ``bundle["grid"]`` of the selected (λ, γ).

    Uses ``selected.index`` when present, else the grid point nearest to
    ``selected.lambda`` and ``selected.gamma``; 0 when the bundle says nothing.
    """
    grid = bundle.get("grid") or []
    sel = bundle.get("selected") or {}
    idx = sel.get("index")
    if isinstance(idx, int) and 0 <= idx < len(grid):
        return idx
    if not grid or "lambda" not in sel:
        return 0
    lam = float(sel["lambda"])
    gam = float(sel.get("gamma", 0.0))

    def dist(p):
        return abs(float(p["lambda"]) - lam) / (abs(lam) + 1e-12) + abs(float(p["gamma"]) - gam) / (abs(gam) + 1e-12)

    return int(min(range(len(grid)), key=lambda k: dist(grid[k])))


def point_index(bundle: dict, index: int | None) -> int:
    """``index`` when it names a point of ``bundle["grid"]``, else the selected point's index."""
    grid = bundle.get("grid") or []
    if index is None or not isinstance(index, int) or not 0 <= index < len(grid):
        return selected_index(bundle)
    return index


def cv_metric_label(bundle: dict) -> str:
    """What a grid point's CV score is, in words: ``"CV R²"`` for the bundle's ``cv.metric`` ``"r2"``.

    Examples
    --------
    >>> cv_metric_label({"cv": {"metric": "r2"}}), cv_metric_label({})
    ('CV R²', 'CV score')
    """
    metric = (bundle.get("cv") or {}).get("metric")
    return {"r2": "CV R²", None: "CV score"}.get(metric, f"CV {metric}")


def grid_point_label(bundle: dict, index: int) -> str:
    """``"λ = 0.001, γ = 0.1 (CV R² 0.730)"`` for one grid point."""
    grid = bundle.get("grid") or []
    if not 0 <= index < len(grid):
        return "no grid point"
    p = grid[index]
    metric = cv_metric_label(bundle)
    return (f"λ = {fmt_number(p['lambda'])}, γ = {fmt_number(p['gamma'])} "
            f"({metric} {fmt_score(p.get('cv_score'))})")


def grid_point_options(bundle: dict) -> list[dict]:
    """The entries of the results page's list of grid points, its keyboard way to the heat map's cells.

    Each entry is labelled as :func:`grid_point_label` does, the selected point marked ★; its value is the
    point's position in ``bundle["grid"]``.

    Examples
    --------
    >>> bundle = {"grid": [{"lambda": 0.1, "gamma": 0.0, "cv_score": 0.5}, {"lambda": 0.1, "gamma": 1.0,
    ...           "cv_score": 0.7}], "selected": {"index": 1}, "cv": {"metric": "r2"}}
    >>> [o["label"] for o in grid_point_options(bundle)]
    ['λ = 0.1, γ = 0 (CV R² 0.500)', '★ λ = 0.1, γ = 1 (CV R² 0.700)']
    """
    sel = selected_index(bundle)
    return [{"label": ("★ " if i == sel else "") + grid_point_label(bundle, i), "value": i}
            for i in range(len(bundle.get("grid") or []))]


def start_note(bundle: dict, index: int) -> str:
    """Where one grid point's fit started, in words; ``""`` when it started from the initial wavelet or the bundle
    does not say (bundles written before ``grid[].start`` existed).

    Examples
    --------
    >>> note = start_note({"wavelet": {"init": "db5"}, "provenance": {"config": {"start_search": 1000}},
    ...                    "grid": [{"gamma": 0.1, "start": "search", "start_distance_to_init": 0.42}]}, 0)
    >>> note.startswith("its fit started from a filter the search on the teacher's attributions found")
    True
    >>> note.endswith("ψ 0.42 from db5), not from db5")
    True
    >>> start_note({"grid": [{"gamma": 0.0, "start": "search"}]}, 0)[:86]
    'its fit started from a filter the search without the teacher (on sparsity alone) found'
    """
    grid = bundle.get("grid") or []
    if not 0 <= index < len(grid) or grid[index].get("start") != "search":
        return ""
    init = (bundle.get("wavelet") or {}).get("init") or "the initial wavelet"
    n = ((bundle.get("provenance") or {}).get("config") or {}).get("start_search")
    among = (f"of {n} descended random starts, the one with this point's lowest loss" if n
             else "the one with this point's lowest loss")
    away = grid[index].get("start_distance_to_init")
    away = f"; ψ {fmt_number(away)} from {init}" if away is not None else ""
    return f"its fit started from a filter {_search_name(grid[index])} found ({among}{away}), not from {init}"


def grid_value(value) -> str:
    """A λ or γ on the grid's axes: at most 3 significant digits, plain down to 10⁻⁴ (one style along an axis).

    Examples
    --------
    >>> [grid_value(v) for v in (0, 1e-4, 1e-3, 0.00562, 22.2, 1e-5)]
    ['0', '0.0001', '0.001', '0.00562', '22.2', '1e-05']
    """
    return f"{float(value):.3g}"


def moved_note(bundle: dict, index: int) -> str:
    """How far one grid point's learned ψ ended from the initial wavelet's, and, for the best point, the nearest
    known wavelet (``wavelet.nearest_known``); ``""`` when the bundle says neither. Help promises that distance
    (review 20: the page showed only where the fit started).

    Examples
    --------
    >>> moved_note({"wavelet": {"init": "db5", "nearest_known": {"name": "db2", "distance": 0.3034}},
    ...             "selected": {"index": 0}, "grid": [{"distance_to_init": 0.4745}]}, 0)
    'its ψ ended 0.474 from db5 (relative distance); the nearest known wavelet is db2, 0.303 from it'
    """
    grid = bundle.get("grid") or []
    if not 0 <= index < len(grid):
        return ""
    wavelet = bundle.get("wavelet") or {}
    init = wavelet.get("init") or "the initial wavelet"
    moved = grid[index].get("distance_to_init")
    parts = [f"its ψ ended {fmt_number(moved)} from {init} (relative distance)"] if isinstance(moved, int | float) \
        else []
    known = wavelet.get("nearest_known")
    if index == (bundle.get("selected") or {}).get("index") and isinstance(known, dict) and known.get("name"):
        parts.append(f"the nearest known wavelet is {known['name']}, {fmt_number(known.get('distance'))} from it")
    return "; ".join(parts)


#: How the page names each start search (the terminal summary's ``models.start_search.SEARCH_NAMES``, held equal
#: by tests/frontend/test_figures.py).
SEARCH_NAMES = {"interpretation": "the search on the teacher's attributions",
                "sparsity": "the search without the teacher (on sparsity alone)"}


def _search_name(point: dict) -> str:
    """Which of the job's two start searches a grid point's start came from: the gamma = 0 points take only the
    search on the sparsity term, which never reads the teacher (:mod:`models.start_search`)."""
    return SEARCH_NAMES["sparsity" if point.get("gamma") == 0 else "interpretation"]


def score_range(bundle: dict, score: np.ndarray) -> tuple[float | None, float | None, str]:
    """The colour range of the grid heatmap and a note when the cells tie or a few cells are far below the rest.

    A colour scale stretched over a spread smaller than the cross-validation noise turns a tie into a
    difference; the range is therefore at least the median fold-to-fold SD of the grid's CV scores
    (``grid[].cv_score_sd``), centred on the scores, and the note says so.

    Returns
    -------
    zmin, zmax : float or None
        None: plotly's own range (the spread is wider than the noise).
    note : str
        ``""`` unless the cells tie or outliers far below the rest are clipped to the bottom of the range.

    Examples
    --------
    >>> score_range({"grid": [{"cv_score_sd": 0.02}]}, np.array([[0.9650, 0.9658]]))[2]
    "all cells within 0.0008, less than one cell's fold-to-fold CV SD 0.02: the colours span that SD"
    """
    finite = score[np.isfinite(score)]
    sds = [p.get("cv_score_sd") for p in bundle.get("grid") or [] if isinstance(p.get("cv_score_sd"), (int, float))]
    if finite.size == 0 or not sds:
        return None, None, ""
    noise, lo, hi = float(np.median(sds)), float(finite.min()), float(finite.max())
    if hi - lo >= noise:
        # one failed cell (a fold whose student blew up) must not paint every other cell the same colour: the
        # range stops 3 interquartile ranges (at least one CV SD) below the lower quartile, and the note says so
        q1, q3 = (float(v) for v in np.percentile(finite, [25, 75]))
        floor = q1 - max(3.0 * (q3 - q1), noise)
        below = finite[finite < floor]
        if below.size == 0:
            return None, None, ""
        cells = "1 cell" if below.size == 1 else f"{below.size} cells"
        return floor, hi, f"{cells} below the colour range (lowest {fmt_number(float(below.min()))}): shown darkest"
    mid = (lo + hi) / 2
    # not called a tie: the selection's yardstick is the paired difference's standard error, under "Selected"
    # (review 20: a 0.013 spread was called a tie on the SD, beside a 0.017 gain the selection took on its SE)
    return (mid - noise / 2, mid + noise / 2, f"all cells within {hi - lo:.2g}, less than one cell's fold-to-fold "
            f"CV SD {noise:.2g}: the colours span that SD")


def _start_hover(bundle: dict, index: np.ndarray) -> list[list[str]]:
    """Per heatmap cell, where that grid point's fit started (a second hover line), or ``""`` when the bundle
    does not say (``grid[].start``)."""
    grid = bundle.get("grid") or []
    init = (bundle.get("wavelet") or {}).get("init") or "the initial wavelet"

    def words(point):
        if point.get("start") == "search":
            return f"<br>started from {_search_name(point)}"
        return f"<br>started from {init}" if point.get("start") == "initial" else ""

    return [[words(grid[k]) if 0 <= k < len(grid) else "" for k in row] for row in index]


def grid_heatmap_figure(bundle: dict, clicked: int | None = None, narrow: bool = False) -> go.Figure:
    """Heatmap of the cross-validated score over λ (rows) × γ (columns).

    The selected point's value carries a star (in its text, so the value stays readable); a clicked point
    (``clicked``, an index into ``bundle["grid"]``) a square outline. Each cell's ``customdata`` is its grid
    index, so a click callback knows which point was chosen.

    Parameters
    ----------
    bundle : dict
        Result bundle.
    clicked : int, optional
        Grid index to outline.
    narrow : bool
        For a phone's screen: the γ tick labels stand upright when they do not fit their columns side by side,
        and the cells' numbers are smaller where the cells are narrow. The
        colour bar lies under the grid at every width, so the cells take the whole width (beside them it left
        the cells about 120 px on a phone).

    Returns
    -------
    go.Figure
    """
    if not bundle.get("grid"):
        return empty_figure("This result has no λ/γ grid")
    lambdas, gammas, score, index = grid_axes(bundle)
    xs = [grid_value(g) for g in gammas]  # "0.0001" beside "0.001" (review 20: "1.00e-04" beside "0.001")
    ys = [grid_value(v) for v in lambdas]
    metric = cv_metric_label(bundle)
    sel = selected_index(bundle)
    # the selected cell's value stays readable: the star goes into its text instead of a marker over it
    text = [["★" + fmt_score(v) if index[i, j] == sel else fmt_score(v) for j, v in enumerate(row)]
            for i, row in enumerate(score)]
    zmin, zmax, range_note = score_range(bundle, score)
    # the colour bar lies under the γ axis's title at every width, its bottom 22 px above the figure's (its tick
    # labels below it), in the plot's coordinates: a bar that changed orientation or was placed in the figure's
    # ("container") coordinates broke plotly's redraw when a window narrowed to a phone's or widened back (the plot
    # got a negative height, or two squeezed cells). Many γ columns get upright tick labels and the room for them.
    # upright when the labels do not fit their columns side by side (on a phone "1.00e-04" ran into its
    # neighbours at 6 columns, review 8): the plot is about 270 px wide on a phone, 800 px on a wide screen
    column_px = (270 if narrow else 800) / max(len(gammas), 1)
    upright = 7 * max(len(x) for x in xs) + 6 > column_px
    plot_height = max(220, 38 * len(lambdas))
    tick_labels = 7 * max(len(x) for x in xs) + 8 if upright else 20  # px under the axis: ~7 px a character
    bottom_margin = tick_labels + 30 + 86  # the labels, the axis title, the colour bar with its title and ticks
    fig = go.Figure(go.Heatmap(
        z=score, x=xs, y=ys, customdata=index, colorscale="Viridis", zmin=zmin, zmax=zmax,
        colorbar=dict(title=dict(text=metric, side="top"), orientation="h", yref="paper",
                      y=-(bottom_margin - 22) / plot_height, yanchor="bottom", thickness=12, len=0.9, nticks=4,
                      tickangle=0),
        text=text, texttemplate="%{text}" if score.size <= 60 else None, hovertext=_start_hover(bundle, index),
        # a fixed size: plotly's automatic one shrank the numbers to about 7 px in cells of 45 px
        # and one that fits its cell: "★0.538" at 11 px ran out of a phone's 45 px cells
        textfont=dict(size=11 if column_px >= 56 else 9),
        hovertemplate="λ = %{y}<br>γ = %{x}<br>" + metric + " = %{z:.4g}%{hovertext}<extra>click to inspect</extra>",
        xgap=1, ygap=1,
    ))
    # an outline, not a filled star over the value
    marks = [(sel, "selected", dict(symbol="square-open", size=30, color=PALETTE["black"], line=dict(width=2)))]
    note_lines = []
    if range_note:  # wrapped to the plot's width (on a phone one line ran off the figure's edge)
        head, paren, tail = range_note.partition(" (")
        width = 38 if narrow else 64
        note_lines = textwrap.wrap(head, width) + (textwrap.wrap("(" + tail, width) if paren else [])
        fig.add_annotation(text="<br>".join(note_lines), xref="paper", yref="paper", x=0, y=1.02,
                           xanchor="left", yanchor="bottom", align="left",
                           showarrow=False, font=dict(size=11, color="#555"))
    if clicked is not None and clicked != sel:
        marks.append((clicked, "inspecting", dict(symbol="square-open", size=26, color=PALETTE["clicked"],
                                                  line=dict(width=3))))
    for k, name, marker in marks:
        pos = np.argwhere(index == k)
        if pos.size:
            i, j = pos[0]
            # the outline follows the cell's edges (a square marker in its middle crossed the cell's number);
            # the marker stays, invisible, for its name and hover
            inset = 0.04 if name == "selected" else 0.1
            fig.add_shape(type="rect", xref="x", yref="y", x0=j - 0.5 + inset, x1=j + 0.5 - inset,
                          y0=i - 0.5 + inset, y1=i + 0.5 - inset,
                          line=dict(color=marker["color"], width=marker["line"]["width"]))
            fig.add_trace(go.Scatter(x=[xs[j]], y=[ys[i]], mode="markers", name=name,
                                     marker={**marker, "opacity": 0}, customdata=[int(k)],
                                     hovertemplate=f"{name}<extra></extra>"))
    fig.update_xaxes(title="γ (interpretation penalty)", type="category", tickangle=-90 if upright else 0)
    fig.update_yaxes(title="λ (sparsity penalty)", type="category")
    top = 25 + 14 * len(note_lines) if note_lines else 40
    return apply_layout(fig, height=plot_height + top + bottom_margin, showlegend=False,
                        margin=dict(l=50, r=10, t=top, b=bottom_margin))


def _psi_of(point: dict) -> tuple[np.ndarray | None, str]:
    psi = as_array(point.get("psi"))
    if psi is not None:
        return psi, "ψ"
    return as_array(point.get("h")), "h"


#: Samples of a curve across the whole width of :func:`psi_grid_figure`, shared by its cells: about two per pixel
#: of a wide screen's figure. A bundle's ψ has 1153 samples; drawn in full, the lensing example's 15 cells (each
#: beside the initial wavelet) made a figure of 1.35 MB, 90 % of the results page's figures.
PSI_GRID_SAMPLES_ACROSS = 2400

#: The fewest samples of a curve in one cell, however many cells there are.
PSI_GRID_MIN_SAMPLES = 64


def cell_samples(curve: np.ndarray, n_cells: int) -> np.ndarray:
    """A curve resampled (linearly, ends kept) to what one of ``n_cells`` cells across a figure can show.

    Parameters
    ----------
    curve : ndarray of shape (n,)
    n_cells : int
        Cells across the figure.

    Returns
    -------
    ndarray of shape (m,)
        ``m = min(n, max(PSI_GRID_MIN_SAMPLES, PSI_GRID_SAMPLES_ACROSS // n_cells))``; the curve itself when it is
        no longer than that.

    Examples
    --------
    >>> cell_samples(np.sin(np.linspace(0, 3, 1153)), 5).shape, cell_samples(np.arange(10.0), 5).shape
    ((480,), (10,))
    >>> cell_samples(np.linspace(0.0, 1.0, 1153), 21)[[0, -1]]
    array([0., 1.])
    """
    curve = np.asarray(curve, dtype=float)
    m = max(PSI_GRID_MIN_SAMPLES, PSI_GRID_SAMPLES_ACROSS // max(1, n_cells))
    if curve.size <= m:
        return curve
    return np.interp(np.linspace(0.0, curve.size - 1.0, m), np.arange(curve.size), curve)


def psi_grid_figure(bundle: dict, clicked: int | None = None) -> go.Figure:
    """Small multiples of the learned ψ over the grid (as in the paper's Figure 4).

    All curves share one pair of axes (one cell per grid point), which keeps
    the figure fast for large grids. Falls back to the filter ``h`` per point
    when the bundle has no ``grid[].psi``. Each curve is resampled to what its
    cell can show (:func:`cell_samples`) and its coordinates rounded to 10⁻⁴ of
    a cell; the wavelet figure above draws the selected and the inspected
    point's ψ in full.

    Parameters
    ----------
    bundle : dict
        Result bundle.
    clicked : int, optional
        Grid index to highlight.

    Returns
    -------
    go.Figure
    """
    grid = bundle.get("grid") or []
    if not grid:
        return empty_figure("This result has no λ/γ grid")
    lambdas, gammas, _, index = grid_axes(bundle)
    curves = [_psi_of(p) for p in grid]
    what = "ψ" if all(c[1] == "ψ" for c in curves if c[0] is not None) else "h"
    amp = max((float(np.max(np.abs(c))) for c, _ in curves if c is not None), default=1.0) or 1.0
    init = as_array((bundle.get("wavelet") or {}).get("init_psi" if what == "ψ" else "init_h"))
    sel = selected_index(bundle)

    groups = {"other": ([], [], []), "selected": ([], [], []), "clicked": ([], [], []), "init": ([], [], [])}

    def add_cell(key, curve, i, j, k):
        """Append one curve, drawn in cell (i, j) and tagged with grid index k, to a trace's lists."""
        xs, ys, cd = groups[key]
        curve = cell_samples(curve, len(gammas))
        t = np.linspace(j + 0.06, j + 0.94, curve.size)
        xs.extend(np.round(t, 4).tolist() + [None])
        ys.extend(np.round(i + 0.5 + 0.42 * curve / amp, 4).tolist() + [None])
        cd.extend([k] * curve.size + [k])

    for i in range(len(lambdas)):
        for j in range(len(gammas)):
            k = int(index[i, j])
            if k < 0 or curves[k][0] is None:
                continue
            add_cell("selected" if k == sel else "clicked" if k == clicked else "other", curves[k][0], i, j, k)
            if init is not None:
                add_cell("init", init, i, j, k)
    fig = go.Figure()
    style = {
        "init": dict(color="#8c8c8c", width=1, dash="dot"),  # 3.4:1 on white (review 26B)
        "other": dict(color=PALETTE["learned"], width=1.4),
        "clicked": dict(color=PALETTE["clicked"], width=2.4),
        "selected": dict(color=PALETTE["selected"], width=2.4),
    }
    # ★: the best AWD point, the selected model unless cross-validation kept the initial wavelet
    names = {"init": "initial", "other": f"learned {what}", "clicked": "inspecting", "selected": "★ best AWD point"}
    for key in ("init", "other", "clicked", "selected"):
        xs, ys, cd = groups[key]
        if xs:
            fig.add_trace(go.Scatter(
                x=xs, y=ys, customdata=cd, mode="lines", name=names[key], line=style[key],
                hoverinfo="skip" if key == "init" else None,
                hovertemplate=None if key == "init" else "grid point %{customdata}<extra>click to inspect</extra>",
            ))
    # at most 7 γ labels (every one of the paper grid's 21 piled into a block on a phone); hover names each cell
    step = -(-len(gammas) // 7)
    fig.update_xaxes(tickvals=[j + 0.5 for j in range(0, len(gammas), step)],
                     ticktext=[grid_value(g) for g in gammas[::step]],
                     range=[0, len(gammas)], title="γ", showgrid=False, zeroline=False)
    fig.update_yaxes(tickvals=[i + 0.5 for i in range(len(lambdas))], ticktext=[grid_value(v) for v in lambdas],
                     range=[0, len(lambdas)], title="λ", showgrid=False, zeroline=False)
    shapes = [dict(type="line", x0=j, x1=j, y0=0, y1=len(lambdas), line=dict(color="#e5e5e5", width=1))
              for j in range(1, len(gammas))]
    shapes += [dict(type="line", x0=0, x1=len(gammas), y0=i, y1=i, line=dict(color="#e5e5e5", width=1))
               for i in range(1, len(lambdas))]
    return apply_layout(fig, height=max(300, 80 + 70 * len(lambdas)), shapes=shapes, hovermode="closest")
