"""Pure figure builders: a result bundle (or a dataset summary, or a job) in, a ``go.Figure`` out.

Every builder takes plain dicts as the API returns them (see
``models/schema/result-bundle.schema.json``), never touches the network and
degrades gracefully: a missing optional key gives a smaller figure or an
:func:`empty_figure` that says what is missing, never an exception.

Colours are the Okabe-Ito palette (distinguishable with the common colour
vision deficiencies); sequential maps use Viridis, signed maps RdBu.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "PALETTE",
    "MODEL_LABELS",
    "empty_figure",
    "grid_axes",
    "selected_index",
    "grid_point_label",
    "wavelet_figure",
    "filters_figure",
    "filters_2d_figure",
    "subfilters_figure",
    "grid_heatmap_figure",
    "psi_grid_figure",
    "activation_figure",
    "n_activation_examples",
    "score_rows",
    "scores_figure",
    "loss_figure",
    "preview_figure",
    "target_histogram_figure",
    "provenance_items",
    "verdict_lines",
]

PALETTE = {
    "learned": "#0072B2",  # blue
    "init": "#E69F00",  # orange
    "selected": "#D55E00",  # vermillion
    "clicked": "#CC79A7",  # reddish purple
    "other": "#009E73",  # bluish green
    "sky": "#56B4E9",
    "grey": "#999999",
    "black": "#000000",
}
_SERIES = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

MODEL_LABELS = {
    "awd": "AWD",
    "awd_no_interp": "AWD, γ = 0",
    "baseline_wavelet": "Initial wavelet",
    "laplace": "Laplace",
    "roberts_cross": "Roberts cross",
    "peak_heights": "Raw peak heights",
    "teacher": "Teacher",
}
_BOTTOM_LEGEND = dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0)
_MODEL_ORDER = ["awd", "awd_no_interp", "baseline_wavelet", "laplace", "roberts_cross", "peak_heights"]

_LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=50, r=20, t=40, b=40),
    font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
)


def _fig(fig: go.Figure, **layout) -> go.Figure:
    fig.update_layout(**{**_LAYOUT, **layout})
    return fig


def empty_figure(message: str = "Nothing to show yet") -> go.Figure:
    """A blank figure carrying a centred message.

    Parameters
    ----------
    message : str
        What to tell the user (e.g. why the figure is missing).

    Returns
    -------
    go.Figure
    """
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=14, color="#555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _fig(fig, height=260)


def _arr(values: Any) -> np.ndarray | None:
    """Float array of a JSON list, or None when absent/empty/non-numeric."""
    if values is None:
        return None
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return a if a.size else None


def _fmt(v: Any, digits: int = 3) -> str:
    """Compact number formatting for labels and tables (``—`` for missing)."""
    if v is None:
        return "—"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "—"
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.{max(digits - 1, 1)}e}"
    return f"{v:.{digits}g}"


def _highpass(h: np.ndarray) -> np.ndarray:
    """g[n] = (-1)^n h[N-1-n] (the project's convention)."""
    n = np.arange(h.shape[-1])
    return ((-1.0) ** n) * h[..., ::-1]


# ---------------------------------------------------------------------------
# The grid
# ---------------------------------------------------------------------------

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


def grid_point_label(bundle: dict, index: int) -> str:
    """``"λ = 0.001, γ = 0.1 (CV score 0.73)"`` for one grid point."""
    grid = bundle.get("grid") or []
    if not 0 <= index < len(grid):
        return "no grid point"
    p = grid[index]
    metric = (bundle.get("cv") or {}).get("metric", "CV score")
    return f"λ = {_fmt(p['lambda'])}, γ = {_fmt(p['gamma'])} ({metric} {_fmt(p.get('cv_score'))})"


def _valid_index(bundle: dict, index: int | None) -> int:
    grid = bundle.get("grid") or []
    if index is None or not isinstance(index, int) or not 0 <= index < len(grid):
        return selected_index(bundle)
    return index


def grid_heatmap_figure(bundle: dict, clicked: int | None = None) -> go.Figure:
    """Heatmap of the cross-validated score over λ (rows) × γ (columns).

    The selected point carries a star; a clicked point (``clicked``, an index
    into ``bundle["grid"]``) a square outline. Each cell's ``customdata`` is its
    grid index, so a click callback knows which point was chosen.

    Parameters
    ----------
    bundle : dict
        Result bundle.
    clicked : int, optional
        Grid index to outline.

    Returns
    -------
    go.Figure
    """
    if not bundle.get("grid"):
        return empty_figure("This result has no λ/γ grid")
    lambdas, gammas, score, index = grid_axes(bundle)
    xs = [_fmt(g) for g in gammas]
    ys = [_fmt(v) for v in lambdas]
    metric = (bundle.get("cv") or {}).get("metric", "CV score")
    text = [[_fmt(v) for v in row] for row in score]
    fig = go.Figure(go.Heatmap(
        z=score, x=xs, y=ys, customdata=index, colorscale="Viridis",
        colorbar=dict(title=dict(text=metric, side="right")),
        text=text, texttemplate="%{text}" if score.size <= 60 else None,
        hovertemplate="λ = %{y}<br>γ = %{x}<br>" + metric + " = %{z:.4g}<extra>click to inspect</extra>",
        xgap=1, ygap=1,
    ))
    sel = selected_index(bundle)
    pos = np.argwhere(index == sel)
    if pos.size:
        i, j = pos[0]
        fig.add_trace(go.Scatter(
            x=[xs[j]], y=[ys[i]], mode="markers", name="selected",
            marker=dict(symbol="star", size=18, color="white", line=dict(color=PALETTE["black"], width=1.5)),
            customdata=[sel], hovertemplate="selected<extra></extra>",
        ))
    if clicked is not None and clicked != sel:
        pos = np.argwhere(index == clicked)
        if pos.size:
            i, j = pos[0]
            fig.add_trace(go.Scatter(
                x=[xs[j]], y=[ys[i]], mode="markers", name="inspecting",
                marker=dict(symbol="square-open", size=26, color=PALETTE["clicked"], line=dict(width=3)),
                customdata=[int(clicked)], hovertemplate="inspecting<extra></extra>",
            ))
    fig.update_xaxes(title="γ (interpretation penalty)", type="category")
    fig.update_yaxes(title="λ (sparsity penalty)", type="category")
    return _fig(fig, height=max(280, 60 + 38 * len(lambdas)), showlegend=False)


def _psi_of(bundle: dict, point: dict) -> tuple[np.ndarray | None, str]:
    psi = _arr(point.get("psi"))
    if psi is not None:
        return psi, "ψ"
    return _arr(point.get("h")), "h"


def psi_grid_figure(bundle: dict, clicked: int | None = None) -> go.Figure:
    """Small multiples of the learned ψ over the grid (as in the paper's Figure 4).

    All curves share one pair of axes (one cell per grid point), which keeps
    the figure fast for large grids. Falls back to the filter ``h`` per point
    when the bundle has no ``grid[].psi``.

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
    curves = [_psi_of(bundle, p) for p in grid]
    what = "ψ" if all(c[1] == "ψ" for c in curves if c[0] is not None) else "h"
    amp = max((float(np.max(np.abs(c))) for c, _ in curves if c is not None), default=1.0) or 1.0
    init = _arr((bundle.get("wavelet") or {}).get("init_psi" if what == "ψ" else "init_h"))
    sel = selected_index(bundle)

    def cell_xy(curve, i, j):
        t = np.linspace(j + 0.06, j + 0.94, curve.size)
        return t, i + 0.5 + 0.42 * curve / amp

    groups = {"other": ([], [], []), "selected": ([], [], []), "clicked": ([], [], []), "init": ([], [], [])}
    for i in range(len(lambdas)):
        for j in range(len(gammas)):
            k = int(index[i, j])
            if k < 0 or curves[k][0] is None:
                continue
            key = "selected" if k == sel else "clicked" if k == clicked else "other"
            xs, ys, cd = groups[key]
            x, y = cell_xy(curves[k][0], i, j)
            xs.extend(x.tolist() + [None])
            ys.extend(y.tolist() + [None])
            cd.extend([k] * x.size + [k])
            if init is not None:
                xi, yi = cell_xy(init, i, j)
                gx, gy, gc = groups["init"]
                gx.extend(xi.tolist() + [None])
                gy.extend(yi.tolist() + [None])
                gc.extend([k] * xi.size + [k])
    fig = go.Figure()
    style = {
        "init": dict(color="#c8c8c8", width=1, dash="dot"),
        "other": dict(color=PALETTE["learned"], width=1.4),
        "clicked": dict(color=PALETTE["clicked"], width=2.4),
        "selected": dict(color=PALETTE["selected"], width=2.4),
    }
    names = {"init": "initial", "other": f"learned {what}", "clicked": "inspecting", "selected": "selected"}
    for key in ("init", "other", "clicked", "selected"):
        xs, ys, cd = groups[key]
        if xs:
            fig.add_trace(go.Scatter(
                x=xs, y=ys, customdata=cd, mode="lines", name=names[key], line=style[key],
                hoverinfo="skip" if key == "init" else None,
                hovertemplate=None if key == "init" else "grid point %{customdata}<extra>click to inspect</extra>",
            ))
    fig.update_xaxes(tickvals=[j + 0.5 for j in range(len(gammas))], ticktext=[_fmt(g) for g in gammas],
                     range=[0, len(gammas)], title="γ", showgrid=False, zeroline=False)
    fig.update_yaxes(tickvals=[i + 0.5 for i in range(len(lambdas))], ticktext=[_fmt(v) for v in lambdas],
                     range=[0, len(lambdas)], title="λ", showgrid=False, zeroline=False)
    shapes = [dict(type="line", x0=j, x1=j, y0=0, y1=len(lambdas), line=dict(color="#e5e5e5", width=1))
              for j in range(1, len(gammas))]
    shapes += [dict(type="line", x0=0, x1=len(gammas), y0=i, y1=i, line=dict(color="#e5e5e5", width=1))
               for i in range(1, len(lambdas))]
    return _fig(fig, height=max(300, 80 + 70 * len(lambdas)), shapes=shapes, hovermode="closest")


# ---------------------------------------------------------------------------
# The wavelet
# ---------------------------------------------------------------------------

def wavelet_figure(bundle: dict, index: int | None = None) -> go.Figure:
    """φ and ψ of the learned wavelet against the initial one.

    Parameters
    ----------
    bundle : dict
        Result bundle (``wavelet.x``, ``phi``, ``psi``; optional ``init_phi``, ``init_psi``).
    index : int, optional
        A grid point to show instead of the selected one (uses ``grid[index].psi``).

    Returns
    -------
    go.Figure
        Two panels, φ (left) and ψ (right).
    """
    wav = bundle.get("wavelet") or {}
    x = _arr(wav.get("x"))
    if x is None:
        return empty_figure("This result has no wavelet")
    sel = selected_index(bundle)
    idx = _valid_index(bundle, index)
    phi, psi = _arr(wav.get("phi")), _arr(wav.get("psi"))
    label = "learned"
    if idx != sel:
        point_psi = _arr((bundle["grid"][idx]).get("psi"))
        phi, psi = None, point_psi
        label = "grid point"
    fig = make_subplots(rows=1, cols=2, subplot_titles=("scaling function φ", "wavelet ψ"),
                        horizontal_spacing=0.08)
    shown_learned = False
    for col, (learned, init_key) in enumerate(((phi, "init_phi"), (psi, "init_psi")), start=1):
        init = _arr(wav.get(init_key))
        if init is not None and init.size == x.size:
            fig.add_trace(go.Scatter(x=x, y=init, name=f"initial ({wav.get('init', 'init')})",
                                     line=dict(color=PALETTE["init"], dash="dash", width=2),
                                     legendgroup="init", showlegend=col == 1), row=1, col=col)
        if learned is not None and learned.size == x.size:
            fig.add_trace(go.Scatter(x=x, y=learned, name=label,
                                     line=dict(color=PALETTE["learned"] if label == "learned" else PALETTE["clicked"],
                                               width=2.4),
                                     legendgroup="learned", showlegend=not shown_learned),
                          row=1, col=col)
            shown_learned = True
        elif col == 1 and learned is None and idx != sel:
            fig.add_annotation(text="φ is shown for the selected point only", x=0.5, y=0.5, showarrow=False,
                               xref="x domain", yref="y domain", font=dict(color="#666"))
    title = grid_point_label(bundle, idx) if idx != sel else f"selected: {grid_point_label(bundle, sel)}"
    return _fig(fig, height=360, title=dict(text=title, font=dict(size=13), x=0.01, y=0.98), legend=_BOTTOM_LEGEND,
                margin=dict(l=50, r=20, t=60, b=40))


def _stem(fig, values, name, color, dash=None, col=1, offset=0.0, showlegend=True, group=None):
    n = np.arange(values.size) + offset
    xs, ys = [], []
    for xi, yi in zip(n, values):
        xs += [xi, xi, None]
        ys += [0, yi, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=color, dash=dash, width=2),
                             hoverinfo="skip", showlegend=False, legendgroup=group), row=1, col=col)
    fig.add_trace(go.Scatter(x=n, y=values, mode="markers", name=name, legendgroup=group, showlegend=showlegend,
                             marker=dict(color=color, size=8, symbol="circle" if dash is None else "diamond-open"),
                             hovertemplate="n = %{x:.0f}<br>%{y:.4f}<extra>" + name + "</extra>"), row=1, col=col)


def filters_figure(bundle: dict, index: int | None = None) -> go.Figure:
    """The lowpass h and highpass g filters, learned vs initial, as stem plots.

    Parameters
    ----------
    bundle : dict
        Result bundle (``wavelet.h``, ``g``; optional ``init_h``, ``init_g``).
    index : int, optional
        A grid point to show instead of the selected one (its ``h``; g derived).

    Returns
    -------
    go.Figure
    """
    wav = bundle.get("wavelet") or {}
    idx = _valid_index(bundle, index)
    if idx != selected_index(bundle):
        h = _arr(bundle["grid"][idx].get("h"))
        g = _highpass(h) if h is not None else None
        label, color = "grid point", PALETTE["clicked"]
    else:
        h, g = _arr(wav.get("h")), _arr(wav.get("g"))
        label, color = "learned", PALETTE["learned"]
    if h is None:
        return empty_figure("This result has no filters")
    if g is None:
        g = _highpass(h)
    init_h = _arr(wav.get("init_h"))
    init_g = _arr(wav.get("init_g"))
    if init_g is None and init_h is not None:
        init_g = _highpass(init_h)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("lowpass h", "highpass g"), horizontal_spacing=0.08)
    for col, (learned, init) in enumerate(((h, init_h), (g, init_g)), start=1):
        if init is not None:
            _stem(fig, init, f"initial ({wav.get('init', 'init')})", PALETTE["init"], dash="dot", col=col,
                  offset=0.15, showlegend=col == 1, group="init")
        _stem(fig, learned, label, color, col=col, showlegend=col == 1, group="learned")
    fig.update_xaxes(dtick=1)
    return _fig(fig, height=340, legend=_BOTTOM_LEGEND, margin=dict(l=50, r=20, t=40, b=40))


def _square(values: Any) -> np.ndarray | None:
    a = _arr(values)
    return a if a is not None and a.ndim == 2 else None


def filters_2d_figure(bundle: dict) -> go.Figure:
    """The four separable 2D filters LL, LH, HL, HH of the learned wavelet.

    Uses ``wavelet.filters_2d`` when present, else builds the outer products
    from ``h`` and ``g`` (LL = h hᵀ, LH = g hᵀ, HL = h gᵀ, HH = g gᵀ).

    Returns
    -------
    go.Figure
    """
    wav = bundle.get("wavelet") or {}
    given = wav.get("filters_2d") or {}
    mats = {k: _square(given.get(k)) for k in ("LL", "LH", "HL", "HH")}
    if any(m is None for m in mats.values()):
        h = _arr(wav.get("h"))
        if h is None:
            return empty_figure("This result has no filters")
        g = _arr(wav.get("g"))
        g = _highpass(h) if g is None else g
        mats = {"LL": np.outer(h, h), "LH": np.outer(g, h), "HL": np.outer(h, g), "HH": np.outer(g, g)}
    return _kernel_grid({f"{k}": v for k, v in mats.items()}, annotate=False, height=300)


def _kernel_grid(mats: dict[str, np.ndarray], annotate: bool, height: int, rows: int = 1) -> go.Figure:
    names = list(mats)
    cols = math.ceil(len(names) / rows)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.04, vertical_spacing=0.12)
    vmax = max(float(np.max(np.abs(m))) for m in mats.values()) or 1.0
    for k, name in enumerate(names):
        m = mats[name]
        r, c = divmod(k, cols)
        fig.add_trace(go.Heatmap(
            z=m, zmin=-vmax, zmax=vmax, zmid=0, colorscale="RdBu", reversescale=True, showscale=k == 0,
            colorbar=dict(len=0.8, thickness=12), name=name,
            text=np.round(m, 3) if annotate else None, texttemplate="%{text}" if annotate else None,
            hovertemplate=name + " [%{y}, %{x}] = %{z:.4f}<extra></extra>", xgap=1 if annotate else 0,
            ygap=1 if annotate else 0,
        ), row=r + 1, col=c + 1)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, autorange="reversed", scaleanchor=None)
    for k in range(len(names)):
        suffix = "" if k == 0 else str(k + 1)
        fig.update_layout({f"yaxis{suffix}": dict(scaleanchor=f"x{suffix}", autorange="reversed",
                                                  showticklabels=False)})
    return _fig(fig, height=height, margin=dict(l=20, r=20, t=40, b=20))


def subfilters_figure(bundle: dict) -> go.Figure:
    """The 3 × 3 sub-filters used for peak counting (maps), learned and, when given, initial.

    Returns
    -------
    go.Figure
        One row of four kernels (two rows with ``init_subfilters_3x3``), or an
        explanatory empty figure when the bundle has none (time series).
    """
    wav = bundle.get("wavelet") or {}
    learned = wav.get("subfilters_3x3") or {}
    if not learned:
        return empty_figure("No 3 × 3 sub-filters in this result (they exist for maps only)")
    mats = {f"{k} (learned)": _square(v) for k, v in learned.items()}
    init = wav.get("init_subfilters_3x3") or {}
    rows = 1
    if init:
        mats.update({f"{k} ({wav.get('init', 'initial')})": _square(v) for k, v in init.items()})
        rows = 2
    mats = {k: v for k, v in mats.items() if v is not None}
    if not mats:
        return empty_figure("The 3 × 3 sub-filters in this result are malformed")
    return _kernel_grid(mats, annotate=True, height=260 * rows, rows=rows)


# ---------------------------------------------------------------------------
# Activation maps
# ---------------------------------------------------------------------------

def n_activation_examples(bundle: dict) -> int:
    """How many test examples carry an activation map (0 when none)."""
    act = bundle.get("activation") or {}
    x, maps = act.get("x"), act.get("maps")
    if not isinstance(x, list) or not isinstance(maps, list):
        return 0
    return min(len(x), len(maps))


def activation_figure(bundle: dict, example: int = 0) -> go.Figure:
    """Where the attribution-weighted wavelet coefficients sit, for one test example.

    Time series: the trace with the activation as a shaded band beneath it.
    Maps: the map in greys with the activation overlaid in translucent vermillion.

    Parameters
    ----------
    bundle : dict
        Result bundle with ``activation{x, maps, y_true?, y_pred?, indices?}``.
    example : int, default=0
        Which stored example.

    Returns
    -------
    go.Figure
    """
    n = n_activation_examples(bundle)
    if n == 0:
        return empty_figure("No activation maps in this result")
    act = bundle["activation"]
    k = int(example) if example is not None and 0 <= int(example) < n else 0
    x, amap = _arr(act["x"][k]), _arr(act["maps"][k])
    if x is None or amap is None or x.shape != amap.shape:
        return empty_figure("This activation map is malformed")
    kind = act.get("kind") or (bundle.get("data") or {}).get("kind") or ("image" if x.ndim == 2 else "timeseries")
    title = _activation_title(act, k)
    amax = float(np.max(np.abs(amap))) or 1.0
    if kind == "image" and x.ndim == 2:
        fig = go.Figure(go.Heatmap(z=x, colorscale="Greys", reversescale=True, showscale=False, name="map",
                                   hovertemplate="(%{x}, %{y}) map %{z:.4f}<extra></extra>"))
        overlay = np.abs(amap) / amax
        fig.add_trace(go.Heatmap(
            z=overlay, zmin=0, zmax=1, name="activation",
            colorscale=[[0, "rgba(213,94,0,0)"], [0.25, "rgba(213,94,0,0.15)"], [1, "rgba(213,94,0,0.85)"]],
            colorbar=dict(title=dict(text="activation", side="right"), thickness=12),
            hovertemplate="(%{x}, %{y}) activation %{z:.2f}<extra></extra>"))
        fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
        fig.update_xaxes(showticklabels=False, constrain="domain")
        return _fig(fig, height=420, title=dict(text=title, font=dict(size=13), x=0.01))
    t = np.arange(x.size)
    lo, hi = float(np.min(x)), float(np.max(x))
    span = (hi - lo) or 1.0
    band = lo - 0.05 * span + (np.abs(amap) / amax) * span * 0.6
    base = np.full_like(band, lo - 0.05 * span)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=base, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=t, y=band, mode="lines", fill="tonexty", name="activation",
                             line=dict(color=PALETTE["selected"], width=0.8),
                             fillcolor="rgba(213,94,0,0.30)", customdata=np.abs(amap) / amax,
                             hovertemplate="t = %{x}<br>activation %{customdata:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=t, y=x, mode="lines", name="signal", line=dict(color=PALETTE["learned"], width=2),
                             hovertemplate="t = %{x}<br>x = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title="time step")
    fig.update_yaxes(title="signal")
    return _fig(fig, height=340, title=dict(text=title, font=dict(size=13), x=0.01))


def _activation_title(act: dict, k: int) -> str:
    parts = []
    idx = act.get("indices")
    parts.append(f"test example {idx[k]}" if isinstance(idx, list) and k < len(idx) else f"example {k}")
    for key, label in (("y_true", "true"), ("y_pred", "predicted")):
        vals = act.get(key)
        if isinstance(vals, list) and k < len(vals):
            parts.append(f"{label} {_fmt(vals[k])}")
    return " · ".join(parts)


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------

def _model_label(bundle: dict, key: str) -> str:
    if key == "baseline_wavelet":
        init = (bundle.get("wavelet") or {}).get("init")
        return f"Initial wavelet ({init})" if init else MODEL_LABELS[key]
    if key == "teacher":
        name = (bundle.get("teacher") or {}).get("name")
        return f"Teacher ({name})" if name else "Teacher"
    return MODEL_LABELS.get(key, key.replace("_", " ").capitalize())


def score_rows(bundle: dict) -> list[dict]:
    """The scores table: one row per model, teacher last.

    Returns
    -------
    list of dict
        Keys ``key``, ``model``, ``r2``, ``rmse``, ``rmse_sd``, ``compression``,
        ``n_params``, ``seconds_per_sample`` (raw numbers or None) and
        ``*_text`` formatted strings for display.
    """
    models = bundle.get("models") or {}
    keys = [k for k in _MODEL_ORDER if k in models] + sorted(k for k in models if k not in _MODEL_ORDER)
    rows = []
    for key in keys:
        m = models[key] or {}
        test = m.get("test") or {}
        rows.append(dict(key=key, model=_model_label(bundle, key), r2=test.get("r2"), rmse=test.get("rmse"),
                         rmse_sd=test.get("rmse_sd"), compression=m.get("compression_factor"),
                         n_params=m.get("n_params"), seconds_per_sample=m.get("predict_seconds_per_sample")))
    teacher = bundle.get("teacher")
    if teacher:
        test = teacher.get("test") or {}
        rows.append(dict(key="teacher", model=_model_label(bundle, "teacher"), r2=test.get("r2"),
                         rmse=test.get("rmse"), rmse_sd=test.get("rmse_sd"), compression=None,
                         n_params=teacher.get("n_params"),
                         seconds_per_sample=teacher.get("predict_seconds_per_sample")))
    for r in rows:
        r["r2_text"] = _fmt(r["r2"])
        r["rmse_text"] = _fmt(r["rmse"]) + (f" ± {_fmt(r['rmse_sd'], 2)}" if r["rmse_sd"] is not None else "")
        r["compression_text"] = _fmt(r["compression"])
        r["n_params_text"] = f"{int(r['n_params']):,}" if r["n_params"] is not None else "—"
        r["seconds_text"] = _fmt(r["seconds_per_sample"], 2)
    return rows


def scores_figure(bundle: dict) -> go.Figure:
    """Bar charts of test RMSE (± bootstrap SD) and R² per model, the teacher included.

    Returns
    -------
    go.Figure
    """
    rows = score_rows(bundle)
    if not rows:
        return empty_figure("No scores in this result")
    labels = [r["model"] for r in rows]
    colors = [PALETTE["learned"] if r["key"] == "awd" else PALETTE["grey"] if r["key"] == "teacher"
              else _SERIES[2 + (i % 4)] for i, r in enumerate(rows)]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("test RMSE (± bootstrap SD, lower is better)",
                                                        "test R² (higher is better)"), horizontal_spacing=0.12)
    rmse = [r["rmse"] if r["rmse"] is not None else np.nan for r in rows]
    sd = [r["rmse_sd"] if r["rmse_sd"] is not None else 0.0 for r in rows]
    fig.add_trace(go.Bar(x=labels, y=rmse, marker_color=colors, name="RMSE",
                         error_y=dict(type="data", array=sd, visible=True, color="#333"),
                         hovertemplate="%{x}<br>RMSE %{y:.4g}<extra></extra>"), row=1, col=1)
    r2 = [r["r2"] if r["r2"] is not None else np.nan for r in rows]
    fig.add_trace(go.Bar(x=labels, y=r2, marker_color=colors, name="R²",
                         hovertemplate="%{x}<br>R² %{y:.4g}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(tickangle=-25)
    return _fig(fig, height=380, showlegend=False, margin=dict(l=50, r=20, t=40, b=90))


# ---------------------------------------------------------------------------
# Jobs and datasets
# ---------------------------------------------------------------------------

def loss_figure(history: dict | None, title: str | None = None) -> go.Figure:
    """Per-epoch loss curves (the job's live ``losses`` or the bundle's ``history``).

    Parameters
    ----------
    history : dict or None
        ``{"epoch": [...], "<name>": [...], ...}``; every other list of
        numbers of the same length becomes a line.
    title : str, optional

    Returns
    -------
    go.Figure
    """
    if not history:
        return empty_figure("Loss curves appear once training starts")
    series = {k: _arr(v) for k, v in history.items() if k != "epoch" and isinstance(v, list)}
    series = {k: v for k, v in series.items() if v is not None and v.ndim == 1}
    if not series:
        return empty_figure("Loss curves appear once training starts")
    epoch = _arr(history.get("epoch"))
    fig = go.Figure()
    positive = True
    for i, (name, ys) in enumerate(series.items()):
        xs = epoch if epoch is not None and epoch.size == ys.size else np.arange(1, ys.size + 1)
        positive &= bool(np.all(ys[np.isfinite(ys)] > 0))
        fig.add_trace(go.Scatter(x=xs, y=ys, name=name.replace("_", " "), mode="lines+markers",
                                 marker=dict(size=5), line=dict(color=_SERIES[i % len(_SERIES)], width=2)))
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="loss", type="log" if positive else "linear")
    layout = dict(height=320)
    if title:
        layout["title"] = dict(text=title, font=dict(size=13), x=0.01)
    return _fig(fig, **layout)


def preview_figure(summary: dict | None) -> go.Figure:
    """A few traces or map thumbnails from a dataset summary's ``preview``.

    Parameters
    ----------
    summary : dict or None
        ``models.data.summarize`` output: ``kind``, ``preview{X, y}``.

    Returns
    -------
    go.Figure
    """
    preview = (summary or {}).get("preview") or {}
    samples = preview.get("X") or preview.get("x") or []
    ys = preview.get("y") or []
    if not samples:
        return empty_figure("No preview available for this dataset")
    arrays = [a for a in (_arr(s) for s in samples[:6]) if a is not None]
    if not arrays:
        return empty_figure("No preview available for this dataset")

    def ylabel(i):
        return f"y = {_fmt(ys[i]) if not isinstance(ys[i], list) else ', '.join(_fmt(v) for v in ys[i])}" \
            if i < len(ys) else f"sample {i}"

    kind = (summary or {}).get("kind") or ("image" if arrays[0].ndim == 2 else "timeseries")
    if kind == "image" and arrays[0].ndim == 2:
        fig = make_subplots(rows=1, cols=len(arrays), subplot_titles=[ylabel(i) for i in range(len(arrays))],
                            horizontal_spacing=0.02)
        for i, a in enumerate(arrays):
            fig.add_trace(go.Heatmap(z=a, colorscale="Viridis", showscale=False,
                                     hovertemplate="%{z:.4f}<extra></extra>"), row=1, col=i + 1)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, autorange="reversed")
        for i in range(len(arrays)):
            suffix = "" if i == 0 else str(i + 1)
            fig.update_layout({f"yaxis{suffix}": dict(scaleanchor=f"x{suffix}", visible=False,
                                                      autorange="reversed")})
        return _fig(fig, height=240, margin=dict(l=10, r=10, t=40, b=10))
    fig = go.Figure()
    for i, a in enumerate(arrays):
        fig.add_trace(go.Scatter(y=a.ravel(), mode="lines", name=ylabel(i),
                                 line=dict(color=_SERIES[i % len(_SERIES)], width=1.6)))
    fig.update_xaxes(title="time step")
    return _fig(fig, height=260)


def target_histogram_figure(summary: dict | None) -> go.Figure:
    """Histogram of the training targets (first target column) from a dataset summary.

    Accepts ``targets[0].histogram{counts, edges}`` (``models.data.summarize``);
    falls back to the preview's ``y`` values.

    Returns
    -------
    go.Figure
    """
    summary = summary or {}
    targets = summary.get("targets") or []
    if targets and isinstance(targets[0], dict) and (targets[0].get("histogram") or {}).get("counts"):
        t = targets[0]
        counts = _arr(t["histogram"]["counts"])
        edges = _arr(t["histogram"].get("edges"))
        if edges is not None and edges.size == counts.size + 1:
            centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
        else:
            centers, widths = np.arange(counts.size), np.ones(counts.size)
        fig = go.Figure(go.Bar(x=centers, y=counts, width=widths, marker_color=PALETTE["learned"],
                               marker_line=dict(color="white", width=1),
                               hovertemplate="%{x:.4g}: %{y}<extra></extra>"))
        name = t.get("name") or "target"
        extra = f" (mean {_fmt(t.get('mean'))}, sd {_fmt(t.get('std'))})" if "mean" in t else ""
        fig.update_xaxes(title=f"{name}{extra}")
        fig.update_yaxes(title="count")
        return _fig(fig, height=260, bargap=0)
    ys = _arr((summary.get("preview") or {}).get("y"))
    if ys is None:
        return empty_figure("No target statistics for this dataset")
    fig = go.Figure(go.Histogram(x=ys.ravel(), marker_color=PALETTE["learned"]))
    fig.update_xaxes(title="target")
    return _fig(fig, height=260)


def provenance_items(bundle: dict) -> list[tuple[str, str]]:
    """The provenance block as (label, text) pairs, config last.

    Returns
    -------
    list of (str, str)
    """
    prov = bundle.get("provenance") or {}
    data = bundle.get("data") or {}
    items = [
        ("AWD Studio version", str(prov.get("version", "—"))),
        ("git commit", str(prov.get("git_sha") or "—")),
        ("seed", str(prov.get("seed", "—"))),
        ("device", str(prov.get("device", "—"))),
        ("started", str(prov.get("started", "—"))),
        ("finished", str(prov.get("finished", "—"))),
        ("data", f"{data.get('kind', '?')} {tuple(data.get('shape', []))}, "
                 f"{data.get('n_train', '?')} train / {data.get('n_test', '?')} test"),
        ("data sha256", str(data.get("sha256", "—"))),
    ]
    timings = bundle.get("timings")
    if isinstance(timings, dict) and timings:
        items.append(("timings (s)", ", ".join(f"{k} {_fmt(v)}" for k, v in timings.items())))
    return items


def verdict_lines(bundle: dict) -> dict:
    """What the bundle says about whether distillation helped, for the results page.

    Parameters
    ----------
    bundle : dict
        A result bundle; older bundles without ``verdict`` give an empty text.

    Returns
    -------
    dict
        ``text`` (the verdict sentence, ``""`` when absent), ``helped`` (True when AWD was chosen and its
        test gain over the initial wavelet is significant, else False) and ``warnings`` (list of str).
    """
    verdict = bundle.get("verdict") or {}
    text = verdict.get("text") or ""
    return {"text": text, "helped": bool(text.startswith("AWD improves") or text.startswith("AWD lowers")),
            "warnings": [w for w in verdict.get("warnings") or [] if isinstance(w, str)]}
