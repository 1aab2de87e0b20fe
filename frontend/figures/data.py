"""Figures of a dataset and of training: a few samples, the target histogram, the loss curves.

The home page shows :func:`preview_figure` and :func:`target_histogram_figure` of an uploaded
dataset's summary (``models.data.summarize``); the job page shows :func:`loss_figure` of the
live losses, which takes a bundle's ``history`` just as well.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.style import (
    BOTTOM_LEGEND,
    PALETTE,
    SERIES,
    apply_layout,
    as_array,
    empty_figure,
    fmt_number,
    sample_axis_layout,
)

__all__ = ["loss_figure", "preview_figure", "target_histogram_figure", "integer_step"]


def integer_step(n: int, max_ticks: int = 10) -> int:
    """The tick spacing of an axis of whole numbers 1..n: 1, 2, 5, 10, 20, 50, ... with at most ``max_ticks``.

    Examples
    --------
    >>> [integer_step(n) for n in (2, 10, 11, 40, 300)]
    [1, 1, 2, 5, 50]
    """
    step = 1
    while n / step > max_ticks:
        for factor in (2, 5, 10):
            if n / (step * factor) <= max_ticks or factor == 10:
                step *= factor
                break
    return step


#: What an empty loss figure says while its job may still train.
LOSSES_TO_COME = "Loss curves appear once distillation starts, after the teacher"


def loss_figure(history: dict | None, title: str | None = None, empty: str = LOSSES_TO_COME) -> go.Figure:
    """Per-epoch loss curves (the job's live ``losses`` or the bundle's ``history``).

    Parameters
    ----------
    history : dict or None
        ``{"epoch": [...], "<name>": [...], ...}``; every other list of
        numbers of the same length becomes a line.
    title : str, optional
    empty : str
        What the figure says when there is no curve (once a job has ended, that none will come).

    Returns
    -------
    go.Figure
    """
    if not history:
        return empty_figure(empty)
    series = {k: as_array(v) for k, v in history.items() if k != "epoch" and isinstance(v, list)}
    series = {k: v for k, v in series.items() if v is not None and v.ndim == 1}
    if not series:
        return empty_figure(empty)
    epoch = as_array(history.get("epoch"))
    fig = go.Figure()
    positive = True
    for i, (name, ys) in enumerate(series.items()):
        xs = epoch if epoch is not None and epoch.size == ys.size else np.arange(1, ys.size + 1)
        positive &= bool(np.all(ys[np.isfinite(ys)] > 0))
        fig.add_trace(go.Scatter(x=xs, y=ys, name=name.replace("_", " "), mode="lines+markers",
                                 marker=dict(size=5), line=dict(color=SERIES[i % len(SERIES)], width=2)))
    n_epochs = max((int(np.nanmax(t.x)) for t in fig.data if len(t.x)), default=1)
    fig.update_xaxes(title="epoch", tickmode="linear", tick0=0, dtick=integer_step(n_epochs), tickformat="d")
    # every tick of a log axis as a number: within a decade Plotly printed 0.3 as "3", 0.2 as "2"; three digits,
    # as two printed 0.0215 and 0.0225 both as "0.022" on a distillation curve
    fig.update_yaxes(title="loss", type="log" if positive else "linear",
                     tickformat=f".{tick_digits(fig)}~g" if positive else None)
    if positive:
        fig.update_yaxes(**log_ticks(_positive_values(fig)))
    # a legend beside a title ran into it on a phone (review 8), and one that wraps covers it: below the axis title
    below = len(fig.data) > 2 or bool(title)
    layout = dict(height=390 if below else 320,
                  margin=dict(l=50, r=20, t=60 if title and "<br>" in title else 40, b=110 if below else 40))
    if below:
        layout["legend"] = {**BOTTOM_LEGEND, "y": -0.3}
    if title:
        layout["title"] = dict(text=title, font=dict(size=13), x=0.01)
    return apply_layout(fig, **layout)


def log_ticks(values: np.ndarray) -> dict:
    """Labelled ticks at 1, 2, 5 of each decade a log axis spans, faint grid lines at the other digits (past
    three decades: labels at 1, lines at 2 and 5; within about a decade: labels at 1, 2, 3, 5); ``{}``
    (Plotly's own ticks) when that would label fewer than three.

    Plotly labelled every digit of a decade on the teacher's loss chart: "1 0.9 0.8 0.7 0.6 0.5" and
    "0.1 0.09 ... 0.05" were stacked into unreadable clumps at the top of each decade (review 24b).

    Parameters
    ----------
    values : np.ndarray
        The positive numbers the axis shows.

    Returns
    -------
    dict
        Keyword arguments of ``fig.update_yaxes``.

    Examples
    --------
    >>> ticks = log_ticks(np.array([0.03, 1.0]))
    >>> [float(v) for v in ticks["tickvals"]]
    [0.05, 0.1, 0.2, 0.5, 1.0]
    >>> [float(v) for v in ticks["minor"]["tickvals"]][:4]
    [0.03, 0.04, 0.06, 0.07]
    >>> wide = log_ticks(np.array([1e-4, 10.0]))
    >>> [float(v) for v in wide["tickvals"]], [float(v) for v in wide["minor"]["tickvals"]][:4]
    ([0.0001, 0.001, 0.01, 0.1, 1.0, 10.0], [0.0002, 0.0005, 0.002, 0.005])
    >>> [float(v) for v in log_ticks(np.array([0.16, 0.74]))["tickvals"]]
    [0.2, 0.3, 0.5]
    >>> log_ticks(np.array([0.0208, 0.023]))
    {}
    """
    if values.size == 0:
        return {}
    lo, hi = values.min(), values.max()
    decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    # the axis pads its data range a little, so a tick just past the data is still drawn
    steps = [(d, float(f"{d * 10.0 ** e:.12g}")) for e in decades for d in range(1, 10)]  # (digit, value)
    inside = [(d, v) for d, v in steps if lo / 1.05 <= v <= hi * 1.05]
    if np.log10(hi / lo) > 3:
        labelled, marked = (1,), (2, 5)
    else:  # 0.16 to 0.74 has only 0.2 and 0.5 of 1, 2, 5: a 3 as well
        labelled = next((digits for digits in ((1, 2, 5), (1, 2, 3, 5))
                         if sum(d in digits for d, _ in inside) >= 3), (1, 2, 3, 5))
        marked = tuple(range(1, 10))
    major = [v for d, v in inside if d in labelled]
    if len(major) < 3:
        return {}
    minor = [v for d, v in inside if d in marked and d not in labelled]
    return dict(tickmode="array", tickvals=major,
                # grid lines only: tick marks outside the axis read as minus signs beside the labels
                minor=dict(tickmode="array", tickvals=minor, ticks="", showgrid=True, gridcolor="rgba(0,0,0,0.04)"))


def _positive_values(fig: go.Figure) -> np.ndarray:
    """The finite positive y values of ``fig``'s traces."""
    values = np.concatenate([np.asarray(t.y, dtype=float) for t in fig.data if t.y is not None] or [np.ones(1)])
    return values[np.isfinite(values) & (values > 0)]


def tick_digits(fig: go.Figure) -> int:
    """Significant digits that keep a log axis's ticks apart: 3, or more when the curves span a narrow range
    (1.36 to 1.39 printed its ticks 1.365 and 1.37 both as "1.37"), at most 6.

    Examples
    --------
    >>> tick_digits(go.Figure(go.Scatter(y=[0.01, 1.0])))
    3
    >>> tick_digits(go.Figure(go.Scatter(y=[1.359, 1.394])))
    4
    """
    values = _positive_values(fig)
    if values.size == 0 or values.max() == values.min():
        return 3
    spacing = (values.max() - values.min()) / values.max() / 6  # about six ticks over the range, relative
    return int(np.clip(np.ceil(-np.log10(spacing)) + 1, 3, 6))


def ordinal(n: int) -> str:
    """``"2nd"``, ``"3rd"``, ``"4th"``, ``"11th"``, ``"21st"``.

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '21st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


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
    arrays = [a for a in (as_array(s) for s in samples[:6]) if a is not None]
    if not arrays:
        return empty_figure("No preview available for this dataset")

    names = [str(n) for n in (summary or {}).get("target_names") or []]

    def ylabel(i, sep=", "):
        """The sample's targets by name ("Omega_m 0.32, sigma_8 0.75", ``sep`` between them), or "y = ..." without
        names."""
        if i >= len(ys):
            return f"sample {i}"
        values = ys[i] if isinstance(ys[i], list) else [ys[i]]
        if len(names) == len(values) and names != ["y"]:
            return sep.join(f"{name} {fmt_number(v)}" for name, v in zip(names, values))
        return "y = " + ", ".join(fmt_number(v) for v in values)

    def values(i):
        """The sample's target values, one per line (the caption names them once)."""
        if i >= len(ys):
            return f"sample {i}"
        return "<br>".join(fmt_number(v) for v in (ys[i] if isinstance(ys[i], list) else [ys[i]]))

    kind = (summary or {}).get("kind") or ("image" if arrays[0].ndim == 2 else "timeseries")
    if kind == "image" and arrays[0].ndim == 2:
        # values alone above each map, one per line, named once below: "Omega_m 0.26 / sigma_8 0.95" over maps
        # 80 px wide ran into the next map's title on a phone
        fig = make_subplots(rows=1, cols=len(arrays), horizontal_spacing=0.02,
                            subplot_titles=[values(i) for i in range(len(arrays))])
        # one colour scale for every thumbnail, shown once: the maps compare by colour
        lo, hi = float(min(np.nanmin(a) for a in arrays)), float(max(np.nanmax(a) for a in arrays))
        for i, a in enumerate(arrays):
            last = i == len(arrays) - 1
            fig.add_trace(go.Heatmap(z=a, colorscale="Viridis", zmin=lo, zmax=hi, showscale=last,
                                     colorbar=dict(title=dict(text="value", side="right"), thickness=10) if last
                                     else None,
                                     hovertemplate="%{z:.4f}<extra></extra>"), row=1, col=i + 1)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, autorange="reversed")
        for i in range(len(arrays)):
            suffix = "" if i == 0 else str(i + 1)
            fig.update_layout({f"yaxis{suffix}": dict(scaleanchor=f"x{suffix}", visible=False,
                                                      autorange="reversed")})
        lines = max(values(i).count("<br>") + 1 for i in range(len(arrays)))
        n_values = max((len(y) if isinstance(y, list) else 1) for y in ys) if ys else 0
        named = names if len(names) == n_values and names != ["y"] else []
        notes = [("above each map: " + ", ".join(named) + (" (top to bottom)" if len(named) > 1 else "")) if named
                 else "above each map: its target" + ("s" if n_values > 1 else "")]
        # the summary strides big maps down (models.data.summarize): a single-pixel peak may not show
        full = [int(v) for v in (summary or {}).get("shape") or []]
        if len(full) == 2 and tuple(full) != arrays[0].shape:
            stride = ordinal(max(-(-full[0] // arrays[0].shape[0]), -(-full[1] // arrays[0].shape[1])))
            # two lines: in one, "(every 2nd pixel; single-p" was cut off at a phone's edge
            notes += [f"{full[0]} × {full[1]} maps drawn at {arrays[0].shape[0]} × {arrays[0].shape[1]}",
                      f"(every {stride} pixel; single-pixel peaks may not show)"]
        fig.add_annotation(text="<br>".join(notes), x=0, y=0, xref="paper", yref="paper", xanchor="left",
                           yanchor="top", yshift=-4, showarrow=False, align="left", font=dict(size=11, color="#555"))
        bottom = 10 + 15 * len(notes)
        return apply_layout(fig, height=230 + 16 * (lines - 1) + bottom,
                            margin=dict(l=10, r=10, t=24 + 16 * lines, b=bottom))
    fig = go.Figure()
    for i, a in enumerate(arrays):
        fig.add_trace(go.Scatter(y=a.ravel(), mode="lines", name=ylabel(i),
                                 line=dict(color=SERIES[i % len(SERIES)], width=1.6)))
    fig.update_xaxes(**sample_axis_layout(((summary or {}).get("meta") or {}).get("sample_axis"),
                                           arrays[0].size))
    return apply_layout(fig, height=260)


#: Target columns given a histogram each, at most.
MAX_TARGET_HISTOGRAMS = 4
#: A bar of a target's distinct value spans this share of the smallest gap between two values.
VALUE_BAR_SHARE = 0.8


def value_bars(distinct: dict | None):
    """One bar per distinct target value: ``(values, counts, widths)`` of a summary's ``distinct`` (each bar
    :data:`VALUE_BAR_SHARE` of the smallest gap between values wide, so that none touches the next), None when
    the summary gives none, or when no value is shared by two samples: a few samples of a continuous target (12
    maps, each its own Ω_m) are no grid of values, and the smallest gap between two of them had made every bar
    thinner than a pixel (an empty plot); binned, they show.

    Examples
    --------
    >>> x, n, w = value_bars({"values": [0.2, 0.3, 0.35], "counts": [4, 2, 1]})
    >>> x.tolist(), n.tolist(), [round(float(v), 3) for v in w]
    ([0.2, 0.3, 0.35], [4.0, 2.0, 1.0], [0.04, 0.04, 0.04])
    >>> round(float(value_bars({"values": [0.8], "counts": [9]})[2][0]), 3), value_bars(None) is None
    (0.08, True)
    >>> value_bars({"values": [0.2012, 0.2019, 0.35], "counts": [1, 1, 1]}) is None
    True
    """
    values = as_array((distinct or {}).get("values"))
    counts = as_array((distinct or {}).get("counts"))
    if values is None or counts is None or values.size == 0 or values.size != counts.size or counts.max() < 2:
        return None
    gaps = np.diff(np.sort(values))
    gap = float(gaps.min()) if gaps.size else max(abs(float(values[0])), 1.0) * 0.1
    return values, counts, np.full(values.size, VALUE_BAR_SHARE * gap)


def target_histogram_figure(summary: dict | None) -> go.Figure:
    """Histograms of the training targets from a dataset summary, one per target column (up to
    :data:`MAX_TARGET_HISTOGRAMS`; maps' second parameter, such as σ₈, was not shown anywhere).

    Accepts ``targets[k].histogram{counts, edges}`` (``models.data.summarize``), and draws a column of few values
    (``targets[k].distinct{values, counts}``, in summaries since review 39A) as one bar per value
    (:func:`value_bars`); falls back to the preview's ``y`` values.

    Returns
    -------
    go.Figure
    """
    summary = summary or {}
    targets = [t for t in summary.get("targets") or []
               if isinstance(t, dict) and (t.get("histogram") or {}).get("counts")][:MAX_TARGET_HISTOGRAMS]
    if targets:
        # one row while two fit beside each other (a phone's 390 px too), then two per row
        cols = min(len(targets), 2)
        rows = -(-len(targets) // cols)
        fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.15, vertical_spacing=0.3 if rows > 1 else 0)
        for k, t in enumerate(targets):
            counts = as_array(t["histogram"]["counts"])
            edges = as_array(t["histogram"].get("edges"))
            bars = value_bars(t.get("distinct"))
            if bars is not None:  # few values (a grid of cosmologies): a bar at each, not bins across them
                centers, counts, widths = bars
            elif edges is not None and edges.size == counts.size + 1:
                centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
            else:
                centers, widths = np.arange(counts.size), np.ones(counts.size)
            row, col = k // cols + 1, k % cols + 1
            fig.add_trace(go.Bar(x=centers, y=counts, width=widths, marker_color=PALETTE["learned"],
                                 marker_line=dict(color="white", width=1), name=t.get("name") or f"target {k}",
                                 hovertemplate="%{x:.4g}: %{y}<extra></extra>", showlegend=False), row=row, col=col)
            name = t.get("name") or ("target" if len(targets) == 1 else f"target {k}")
            # beside a second histogram, the mean and the sd on lines of their own (one line ran past its panel)
            mean, sd = fmt_number(t.get("mean")), fmt_number(t.get("std"))
            if t.get("n_unique") == 1:  # its sd is rounding noise (1e-16), not a spread
                extra = (f"<br>{fmt_number(t.get('min'))} in every sample" if len(targets) > 1
                         else f" ({fmt_number(t.get('min'))} in every sample)")
            else:
                extra = ("" if "mean" not in t else f"<br>mean {mean}<br>sd {sd}" if len(targets) > 1
                         else f" (mean {mean}, sd {sd})")
            fig.update_xaxes(title=f"{name}{extra}", row=row, col=col)
            # counts are whole: a tick at each while they are few (0.5 and 1.5 stood between 0, 1 and 2)
            fig.update_yaxes(title="count" if col == 1 else None, dtick=1 if counts.max(initial=0) <= 5 else None,
                             row=row, col=col)
        return apply_layout(fig, height=260 * rows + (40 if len(targets) > 1 else 0), bargap=0)
    ys = as_array((summary.get("preview") or {}).get("y"))
    if ys is None:
        return empty_figure("No target statistics for this dataset")
    fig = go.Figure(go.Histogram(x=ys.ravel(), marker_color=PALETTE["learned"]))
    fig.update_xaxes(title="target")
    return apply_layout(fig, height=260)

