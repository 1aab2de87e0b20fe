"""The results page's activation section: where the attribution-weighted wavelet coefficients sit, per test example.

:func:`n_activation_examples` says how many examples the bundle stores (the page's example
picker); :func:`activation_figure` draws one of them: a trace with a shaded band for time
series, a map with a translucent overlay for maps.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from awd_studio.frontend.figures.style import BOTTOM_LEGEND, PALETTE, apply_layout, as_array, empty_figure, fmt_number

__all__ = ["n_activation_examples", "activation_figure"]


def n_activation_examples(bundle: dict) -> int:
    """How many test examples carry an activation map (0 when none)."""
    act = bundle.get("activation") or {}
    x, maps = act.get("x"), act.get("maps")
    if not isinstance(x, list) or not isinstance(maps, list):
        return 0
    return min(len(x), len(maps))


def activation_figure(bundle: dict, example: int = 0) -> go.Figure:
    """Where the attribution-weighted wavelet coefficients sit, for one test example.

    Time series: the trace, and the activation as a shaded band on an axis of its own (right, 0 to 1).
    Maps: the map in greys with the activation overlaid in translucent vermillion. A bundle without
    ``explain.centres`` was written before coefficients were placed where they read the input; its title says so.

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
    x, amap = as_array(act["x"][k]), as_array(act["maps"][k])
    if x is None or amap is None or x.shape != amap.shape:
        return empty_figure("This activation map is malformed")
    kind = act.get("kind") or (bundle.get("data") or {}).get("kind") or ("image" if x.ndim == 2 else "timeseries")
    title = _activation_title(act, k)
    if "centres" not in (bundle.get("explain") or {}):  # written before the placement was measured
        title += "<br>earlier version: coefficients drawn at their filters' middle"
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
        top = 44 + 18 * title.count("<br>")  # every title line above the map, none across it
        return apply_layout(fig, height=380 + top, title=dict(text=title, font=dict(size=13), x=0.01),
                            margin=dict(l=50, r=20, t=top, b=40))
    t = np.arange(x.size)
    fig = go.Figure()
    # the activation on an axis of its own (right, 0 to 1 = its largest value): drawn on the signal's axis it read
    # as a value of the signal (a new user's review)
    fig.add_trace(go.Scatter(x=t, y=np.abs(amap) / amax, mode="lines", fill="tozeroy", yaxis="y2",
                             name="activation (right axis)", line=dict(color=PALETTE["selected"], width=0.8),
                             fillcolor="rgba(213,94,0,0.30)",
                             hovertemplate="t = %{x}<br>activation %{y:.2f} of its largest<extra></extra>"))
    fig.add_trace(go.Scatter(x=t, y=x, mode="lines", name="signal", line=dict(color=PALETTE["learned"], width=2),
                             hovertemplate="t = %{x}<br>x = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title="time step (samples)")
    fig.update_yaxes(title="signal")
    # the band fills the lower 60 % of the height, under most of the trace
    fig.update_layout(yaxis2=dict(title=dict(text="activation (1 = largest)", font=dict(size=11)), overlaying="y",
                                  side="right", range=[0, 1 / 0.6], showgrid=False, zeroline=False,
                                  tickvals=[0, 0.5, 1]))
    # the legend below the axis title: beside the title it covers it on a phone
    top = 40 + 16 * title.count("<br>")  # room for a second title line above the axes
    return apply_layout(fig, height=360 + top - 40, title=dict(text=title, font=dict(size=13), x=0.01),
                        legend={**BOTTOM_LEGEND, "y": -0.3}, margin=dict(l=50, r=60, t=top, b=90))


def _activation_title(act: dict, k: int) -> str:
    parts = []
    idx = act.get("indices")
    parts.append(f"test example {idx[k]}" if isinstance(idx, list) and k < len(idx) else f"example {k}")
    for key, label in (("y_true", "true"), ("y_pred", "predicted")):
        vals = act.get(key)
        if isinstance(vals, list) and k < len(vals):
            parts.append(f"{label} {fmt_number(vals[k])}")
    title = " · ".join(parts)
    if act.get("wavelet") == "initial":
        title += "<br>initial wavelet (kept by cross-validation)"  # short: one line at a phone's width
    return title

