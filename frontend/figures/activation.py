"""The results page's activation section: where the attribution-weighted wavelet coefficients sit, per test example.

:func:`n_activation_examples` says how many examples the bundle stores (the page's example
picker); :func:`activation_figure` draws one of them: a trace with a shaded band for time
series, the map beside its activation for maps.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.style import (
    BOTTOM_LEGEND,
    PALETTE,
    apply_layout,
    as_array,
    empty_figure,
    fmt_number,
    pixel_axis_titles,
    sample_axis_layout,
    wrap_words,
)

__all__ = ["n_activation_examples", "activation_figure", "sensitivity_words"]

#: Characters a line of the title, and of a legend entry after its symbol, holds on a phone (a 330 px figure).
NARROW_TITLE_CHARS, NARROW_LEGEND_CHARS = 50, 40


def n_activation_examples(bundle: dict) -> int:
    """How many test examples carry an activation map (0 when none)."""
    act = bundle.get("activation") or {}
    x, maps = act.get("x"), act.get("maps")
    if not isinstance(x, list) or not isinstance(maps, list):
        return 0
    return min(len(x), len(maps))


#: The legend's name of the teacher's sensitivity line.
SENSITIVITY_NAME = "teacher's sensitivity, all test series (right axis)"


def activation_figure(bundle: dict, example: int = 0, *, narrow: bool = False) -> go.Figure:
    """Where the attribution-weighted wavelet coefficients sit, for one test example.

    Time series: the trace, and the activation as a shaded band on an axis of its own (right, 0 to 1).
    Maps: the map in greys and the activation from white to vermillion, side by side on linked pixel axes.
    A bundle without ``explain.centres`` was written before coefficients were placed where they read the input;
    its title says so.

    Parameters
    ----------
    bundle : dict
        Result bundle with ``activation{x, maps, y_true?, y_pred?, indices?}``.
    example : int, default=0
        Which stored example.
    narrow : bool, default=False
        A phone's width: a map above its activation instead of beside it; a series' title and legend entries broken
        into lines that fit (Plotly cut "teacher's sensitivity, all test series (right axis" at 390 px).

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
        return _map_activation_figure(x, np.abs(amap) / amax, title, narrow=narrow, axes=pixel_axis_titles(bundle))
    if narrow:
        title = wrap_words(title, NARROW_TITLE_CHARS)
    t = np.arange(x.size)
    fig = go.Figure()
    # the activation on an axis of its own (right, 0 to 1 = its largest value): drawn on the signal's axis it read
    # as a value of the signal (a new user's review)
    fig.add_trace(go.Scatter(x=t, y=np.abs(amap) / amax, mode="lines", fill="tozeroy", yaxis="y2",
                             name="activation (right axis)", line=dict(color=PALETTE["selected"], width=0.8),
                             fillcolor="rgba(213,94,0,0.30)",
                             hovertemplate="t = %{x}<br>activation %{y:.2f} of its largest<extra></extra>"))
    sensitivity = as_array(act.get("teacher_sensitivity"))
    if sensitivity is not None and sensitivity.shape == x.shape:  # what the attributions weigh by, all examples
        fig.add_trace(go.Scatter(x=t, y=sensitivity, mode="lines", yaxis="y2",
                                 name=wrap_words(SENSITIVITY_NAME, NARROW_LEGEND_CHARS) if narrow else SENSITIVITY_NAME,
                                 line=dict(color=PALETTE["black"], width=1.2, dash="dot"),
                                 hovertemplate="t = %{x}<br>teacher's mean |gradient| %{y:.2f} of its largest"
                                               "<extra></extra>"))
    fig.add_trace(go.Scatter(x=t, y=x, mode="lines", name="signal", line=dict(color=PALETTE["learned"], width=2),
                             hovertemplate="t = %{x}<br>x = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(**sample_axis_layout((bundle.get("data") or {}).get("sample_axis"), x.size))
    fig.update_yaxes(title="signal")
    # the band fills the lower 60 % of the height, under most of the trace
    fig.update_layout(yaxis2=dict(title=dict(text="activation (1 = largest)", font=dict(size=11)), overlaying="y",
                                  side="right", range=[0, 1 / 0.6], showgrid=False, zeroline=False,
                                  tickvals=[0, 0.5, 1]))
    # the legend below the axis title: beside the title it covers it on a phone
    # room above the axes for the title's lines after its first: Plotly centres the first line in the top margin and
    # hangs the others below it, so from the third on each takes twice its height (a phone's three lines ran into
    # the axes)
    lines = title.count("<br>")
    top = 40 + 16 * lines + 16 * max(lines - 1, 0)
    return apply_layout(fig, height=360 + top - 40, title=dict(text=title, font=dict(size=13), x=0.01),
                        legend={**BOTTOM_LEGEND, "y": -0.3}, margin=dict(l=50, r=60, t=top, b=90))


def _map_activation_figure(x: np.ndarray, activation: np.ndarray, title: str, *, narrow: bool,
                           axes: tuple[str, str] = ("row (pixels)", "column (pixels)")) -> go.Figure:
    """The map (greys) and its activation (white to vermillion) on linked pixel axes: side by side, or the map
    above on a phone.

    Overlaid on the map, a translucent activation was hard to read on a noisy field (a user's review); apart, each
    keeps its own contrast, and zooming one zooms the other.
    """
    rows, cols = (2, 1) if narrow else (1, 2)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=("map", "activation (1 = largest)"),
                        horizontal_spacing=0.08, vertical_spacing=0.1)
    panels = [(1, 1), (2, 1) if narrow else (1, 2)]
    fig.add_trace(go.Heatmap(z=x, colorscale="Greys", reversescale=True, showscale=False, name="map",
                             hovertemplate="pixel (%{x}, %{y})<br>map %{z:.4g}<extra></extra>"), *panels[0])
    fig.add_trace(go.Heatmap(z=activation, zmin=0, zmax=1, name="activation",
                             colorscale=[[0, "#ffffff"], [1, PALETTE["selected"]]],
                             colorbar=dict(thickness=12, len=0.4 if narrow else 0.8, tickvals=[0, 0.5, 1],
                                           **({"y": 0.22} if narrow else {})),
                             hovertemplate="pixel (%{x}, %{y})<br>activation %{z:.2f} of its largest<extra></extra>"),
                  *panels[1])
    for k, (row, col) in enumerate(panels):  # square pixels, row 0 at the top as in an image; zoomed together
        fig.update_yaxes(autorange="reversed", scaleanchor="x" if k == 0 else "x2", constrain="domain",
                         title=axes[0], row=row, col=col)
        fig.update_xaxes(constrain="domain", title=axes[1], row=row, col=col)
    fig.update_xaxes(matches="x", row=panels[1][0], col=panels[1][1])
    fig.update_yaxes(matches="y", row=panels[1][0], col=panels[1][1])
    for note in fig.layout.annotations:  # the panel titles, smaller than the figure's
        note.font = dict(size=12)
    top = 60 + 18 * title.count("<br>")  # every title line above the panels' own titles
    return apply_layout(fig, height=(700 if narrow else 360) + top, title=dict(text=title, font=dict(size=13), x=0.01),
                        margin=dict(l=60, r=20, t=top, b=50))


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



def sensitivity_words(activation: dict | None, teacher: str | None = None) -> str | None:
    """What the activation maps owe to the teacher: said when its sensitivity stands out at one end of the series.

    Parameters
    ----------
    activation : dict or None
        The bundle's ``activation`` (``sensitive_end``, ``teacher_sensitivity``).
    teacher : str, optional
        The teacher's name, for the other architecture to try.

    Returns
    -------
    str or None
        None when no end stands out (or the result is of maps, or from before the profile was kept).

    Examples
    --------
    >>> act = {"teacher_sensitivity": [0.1] * 36 + [0.4, 0.5, 0.7, 1.0],
    ...        "sensitive_end": {"end": "last", "samples": 4, "ratio": 3.2}}
    >>> print(sensitivity_words(act, "lstm"))  # doctest: +NORMALIZE_WHITESPACE
    The dotted line is the teacher's sensitivity at each sample: ... highest at the end of the series: its last 4
    samples average 3.2 times its mean over all 40, so most examples' maps lean towards the end. Another teacher can
    tell whether the series' ends carry the signal or this teacher only weighs them most (recurrent networks often
    weigh their latest inputs most): rerun with the MLP teacher and compare its maps and its test score.
    """
    end = (activation or {}).get("sensitive_end")
    profile = (activation or {}).get("teacher_sensitivity")
    if not isinstance(end, dict) or not isinstance(profile, list) or end.get("end") not in ("first", "last"):
        return None
    first = end["end"] == "first"
    other = {"lstm": "the MLP teacher", "mlp": "the LSTM teacher"}.get(teacher or "", "another teacher")
    return (f"The dotted line is the teacher's sensitivity at each sample: how strongly its output reacts to that "
            f"sample (its mean |gradient| over the test series, 1 = largest). The maps weigh each coefficient by the "
            f"teacher's attribution, so they follow it. It is highest at the {'start' if first else 'end'} of the "
            f"series: its {'first' if first else 'last'} {end['samples']} samples average "
            f"{fmt_number(end['ratio'])} times its mean over all {len(profile)}, so most examples' maps lean towards "
            f"the {'start' if first else 'end'}. "
            f"Another teacher can tell whether the series' {'starts' if first else 'ends'} carry the signal or this "
            f"teacher only weighs them most"
            f"{'' if first else ' (recurrent networks often weigh their latest inputs most)'}: rerun with {other} "
            "and compare its maps and its test score.")
