"""The results page's "learned wavelet" section: φ and ψ, the filters h and g, the 2D filters, the 3 × 3 sub-filters.

:func:`wavelet_figure` and :func:`filters_figure` follow the grid point the user clicked
(:func:`frontend.figures.grid.point_index`); :func:`filters_2d_figure` and
:func:`subfilters_figure` show the selected point, as the bundle stores them. :func:`highpass`
is the frontend's one copy of the high-pass convention, for the grid points whose ``g`` the
bundle does not carry.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.data import integer_step
from awd_studio.frontend.figures.grid import grid_point_label, kept_initial, point_index, selected_index
from awd_studio.frontend.figures.style import (
    BOTTOM_LEGEND,
    PALETTE,
    SUPPORT_AXIS_TITLE,
    apply_layout,
    as_array,
    empty_figure,
    wrap_words,
)

__all__ = ["highpass", "wavelet_figure", "filters_figure", "filters_2d_figure", "subfilters_figure"]


def highpass(h: np.ndarray) -> np.ndarray:
    """The highpass filter of a lowpass ``h``: ``g[n] = (-1)^n h[N-1-n]`` (ARCHITECTURE.md's convention).

    Bundles carry ``g`` for the selected point (``wavelet.g``) and for every grid point (``grid[i].g``); this
    derives it only for bundles of earlier releases, whose grid points hold ``h`` alone (the frontend never
    imports ``models``).

    Parameters
    ----------
    h : ndarray of shape (..., N)

    Returns
    -------
    ndarray of shape (..., N)

    Examples
    --------
    >>> highpass(np.array([1.0, 2.0, 3.0])).tolist()
    [3.0, -2.0, 1.0]
    """
    n = np.arange(h.shape[-1])
    return ((-1.0) ** n) * h[..., ::-1]


#: Characters a line of :func:`wavelet_figure`'s title holds on a phone: its 13 px type takes about 7 px a character,
#: and the figure is about 330 px wide (the 51 characters of "best AWD point (for reference): λ = 0.005, γ = 1.0…"
#: were cut at its right edge).
NARROW_TITLE_CHARS = 42
#: Pixels a line of that title takes; the top margin grows by one for each line after the second.
TITLE_LINE_PX = 16


def wavelet_figure(bundle: dict, index: int | None = None, *, narrow: bool = False) -> go.Figure:
    """φ and ψ of the learned wavelet against the initial one.

    Parameters
    ----------
    bundle : dict
        Result bundle (``wavelet.x``, ``phi``, ``psi``; optional ``init_phi``, ``init_psi``, and ``start_phi``,
        ``start_psi`` when the selected point's fit started from the start search).
    index : int, optional
        A grid point to show instead of the selected one (uses ``grid[index].psi``).
    narrow : bool, default=False
        A phone's width: the title is broken into lines of at most :data:`NARROW_TITLE_CHARS` characters, and the
        figure grows by the lines it adds (Plotly cut the title at the figure's right edge).

    Returns
    -------
    go.Figure
        Two panels, φ (left) and ψ (right).
    """
    wav = bundle.get("wavelet") or {}
    x = as_array(wav.get("x"))
    if x is None:
        return empty_figure("This result has no wavelet")
    sel = selected_index(bundle)
    idx = point_index(bundle, index)
    phi, psi = as_array(wav.get("phi")), as_array(wav.get("psi"))
    label = "learned"
    if idx != sel:
        point_psi = as_array((bundle["grid"][idx]).get("psi"))
        phi, psi = None, point_psi
        label = "grid point"
    fig = make_subplots(rows=1, cols=2, subplot_titles=("scaling function φ", "wavelet ψ"),
                        horizontal_spacing=0.14)  # room for the right panel's tick labels on a phone
    shown_learned = False
    for col, (learned, init_key) in enumerate(((phi, "init_phi"), (psi, "init_psi")), start=1):
        init = as_array(wav.get(init_key))
        if init is not None and init.size == x.size:
            fig.add_trace(go.Scatter(x=x, y=init, name=f"initial ({wav.get('init', 'init')})",
                                     line=dict(color=PALETTE["init"], dash="dash", width=2),
                                     legendgroup="init", showlegend=col == 1), row=1, col=col)
        start = as_array(wav.get("start_" + init_key[len("init_"):])) if idx == sel else None
        if start is not None and start.size == x.size:  # the selected point's fit began at the start search's filter
            fig.add_trace(go.Scatter(x=x, y=start, name="start (search)",
                                     line=dict(color=PALETTE["other"], dash="dot", width=2),
                                     legendgroup="start", showlegend=col == 1), row=1, col=col)
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
    fig.update_xaxes(title=dict(text=SUPPORT_AXIS_TITLE, standoff=4))  # the panel titles name φ and ψ
    point, _, score = grid_point_label(bundle, idx).partition(" (")  # two lines: a phone's width holds one half
    score = f"({score}" if score else ""
    initial = kept_initial(bundle)
    if idx != sel:
        title = f"{point}<br>{score}"
    elif initial is not None:  # review 40: said as plainly as the delivered model is, on the saved PNG too
        title = f"best AWD point (for reference): {point}<br>{score}; not delivered: the model uses {initial}"
    else:
        title = f"selected: {point}<br>{score}"
    if narrow:  # one sentence re-broken where a phone's width needs it (the break above suits a desktop's)
        title = wrap_words(_unbroken_values(title.replace("<br>", " ")), NARROW_TITLE_CHARS)
    # room for a third line on and after it, above the panels' titles; the panels keep their height
    extra = TITLE_LINE_PX * max(title.count("<br>") - 1, 0)
    height = 380 + extra
    return apply_layout(fig, height=height,  # the title's top 9.5 px under the figure's at any height
                        title=dict(text=title, font=dict(size=13), x=0.01, y=1 - 9.5 / height, yanchor="top"),
                        legend={**BOTTOM_LEGEND, "y": -0.22}, margin=dict(l=50, r=20, t=70 + extra, b=70))


def _unbroken_values(text: str) -> str:
    """``text`` with non-breaking spaces around each ``=`` and after "CV" and "R²", so that a line break never parts
    a name from its value ("λ =" at one line's end, "0.005" at the next's).

    Examples
    --------
    >>> _unbroken_values("λ = 0.005, γ = 1.0 (CV R² 0.535)").split(" ")
    ['λ\\xa0=\\xa00.005,', 'γ\\xa0=\\xa01.0', '(CV\\xa0R²\\xa00.535)']
    """
    return text.replace(" = ", "\u00a0=\u00a0").replace("CV ", "CV\u00a0").replace("R² ", "R²\u00a0")


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


def _filter_pair(h: np.ndarray | None, g: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(h, g) with g derived from h when the bundle gave only h."""
    return h, highpass(h) if g is None and h is not None else g


def filters_figure(bundle: dict, index: int | None = None) -> go.Figure:
    """The lowpass h and highpass g filters, learned vs initial, as stem plots.

    Parameters
    ----------
    bundle : dict
        Result bundle (``wavelet.h``, ``g``; optional ``init_h``, ``init_g``).
    index : int, optional
        A grid point to show instead of the selected one (its ``h`` and ``g``).

    Returns
    -------
    go.Figure
    """
    wav = bundle.get("wavelet") or {}
    idx = point_index(bundle, index)
    if idx != selected_index(bundle):
        point = bundle["grid"][idx]
        h, g = _filter_pair(as_array(point.get("h")), as_array(point.get("g")))
        label, color = "grid point", PALETTE["clicked"]
    else:
        h, g = _filter_pair(as_array(wav.get("h")), as_array(wav.get("g")))
        label, color = "learned", PALETTE["learned"]
    if h is None:
        return empty_figure("This result has no filters")
    init_h, init_g = _filter_pair(as_array(wav.get("init_h")), as_array(wav.get("init_g")))
    # room for the right panel's tick labels on a phone (at 0.08 "−0.5" sat inside the left panel)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("lowpass h", "highpass g"), horizontal_spacing=0.14)
    for col, (learned, init) in enumerate(((h, init_h), (g, init_g)), start=1):
        if init is not None:
            _stem(fig, init, f"initial ({wav.get('init', 'init')})", PALETTE["init"], dash="dot", col=col,
                  offset=0.15, showlegend=col == 1, group="init")
        _stem(fig, learned, label, color, col=col, showlegend=col == 1, group="learned")
    # every tap up to 6 taps, else every 2nd or 5th (a phone's half-width panel cannot hold 10 labels)
    fig.update_xaxes(dtick=integer_step(len(h), max_ticks=6), title=dict(text="tap n", standoff=4))
    return apply_layout(fig, height=380, legend={**BOTTOM_LEGEND, "y": -0.3}, margin=dict(l=50, r=20, t=40, b=90))


def _square(values: Any) -> np.ndarray | None:
    a = as_array(values)
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
        h, g = _filter_pair(as_array(wav.get("h")), as_array(wav.get("g")))
        if h is None:
            return empty_figure("This result has no filters")
        mats = {"LL": np.outer(h, h), "LH": np.outer(g, h), "HL": np.outer(h, g), "HH": np.outer(g, g)}
    # two rows of two: in one row of four each N x N filter was drawn about 80 px wide
    return _kernel_grid(mats, annotate=False, height=520, rows=2)


def _kernel_grid(mats: dict[str, np.ndarray], annotate: bool, height: int, rows: int = 1) -> go.Figure:
    names = list(mats)
    cols = math.ceil(len(names) / rows)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.04, vertical_spacing=0.12)
    fig.update_annotations(font_size=11)
    vmax = max(float(np.max(np.abs(m))) for m in mats.values()) or 1.0
    for k, name in enumerate(names):
        m = mats[name]
        r, c = divmod(k, cols)
        fig.add_trace(go.Heatmap(
            z=m, zmin=-vmax, zmax=vmax, zmid=0, colorscale="RdBu", reversescale=True, showscale=k == 0,
            colorbar=dict(len=0.8, thickness=12), name=name,
            texttemplate="%{z:.2f}" if annotate else None, textfont=dict(size=10),
            hovertemplate=name + " [%{y}, %{x}] = %{z:.4f}<extra></extra>", xgap=1 if annotate else 0,
            ygap=1 if annotate else 0,
        ), row=r + 1, col=c + 1)
    fig.update_xaxes(showticklabels=False, constrain="domain", showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed", scaleanchor=None, showgrid=False, zeroline=False)
    for k in range(len(names)):
        suffix = "" if k == 0 else str(k + 1)
        fig.update_layout({f"yaxis{suffix}": dict(scaleanchor=f"x{suffix}", autorange="reversed",
                                                  showticklabels=False)})
    return apply_layout(fig, height=height, margin=dict(l=20, r=20, t=40, b=20))


def subfilters_figure(bundle: dict, narrow: bool = False) -> go.Figure:
    """The 3 × 3 sub-filters used for peak counting (maps), learned and, when given, initial, each cell with its
    value (two decimals, 10 px: plotly's automatic size drew about 6 px).

    Parameters
    ----------
    bundle : dict
        Result bundle.
    narrow : bool
        For a phone's screen: two kernels a row (four left each cell about 17 px, too small for its number).

    Returns
    -------
    go.Figure
        One row of four kernels (two rows with ``init_subfilters_3x3``; twice as many rows of two when
        ``narrow``), or an explanatory empty figure when the bundle has none (time series).
    """
    wav = bundle.get("wavelet") or {}
    learned = wav.get("subfilters_3x3") or {}
    if not learned:
        return empty_figure("No 3 × 3 sub-filters in this result (they exist for maps only)")
    mats = {f"{k} (AWD)": _square(v) for k, v in learned.items()}  # short titles: four fit side by side on a phone
    init = wav.get("init_subfilters_3x3") or {}
    rows = 1
    if init:
        mats.update({f"{k} ({wav.get('init', 'initial')})": _square(v) for k, v in init.items()})
        rows = 2
    mats = {k: v for k, v in mats.items() if v is not None}
    if not mats:
        return empty_figure("The 3 × 3 sub-filters in this result are malformed")
    # rows about as tall as the square kernels are wide, so that each title sits on its kernel
    if narrow:
        rows = math.ceil(len(mats) / 2)
        return _kernel_grid(mats, annotate=True, height=165 * rows + 40, rows=rows)
    return _kernel_grid(mats, annotate=True, height=150 * rows + 70, rows=rows)
