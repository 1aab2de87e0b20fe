"""The results page's student section: the interpretable model as a formula and a table, and where and at which
scale it looks for one test example.

Series: :func:`student_formula` ("y = 0.12 + 0.80·(1st largest of cD3) − …", terms by influence),
:func:`student_rows` (every feature: band, rank, weight, this example's value and contribution) and
:func:`scalogram_figure` (the signal above a level × position scalogram of ``|c · saliency|``, the student's
kept coefficients marked on both). Maps: :func:`subband_figure` (the map with its detected peaks, then one
panel per sub-band and level) and :func:`peak_histogram_figure` (the example's peak-count histogram against the
nearest class template, and the χ² distance to every class). All read the bundle's ``students``, ``grid[i]
.student`` and ``explain`` sections (:mod:`models.pipeline.student_params`, :mod:`models.pipeline
.explain_examples`).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.style import LAYOUT, PALETTE, apply_layout, as_array, empty_figure, fmt_number

__all__ = ["student_record", "student_formula", "student_rows", "scalogram_figure", "subband_figure",
           "peak_histogram_figure", "FORMULA_TERMS"]

#: Terms the formula spells out (the others are in the table).
FORMULA_TERMS = 6


def student_record(bundle: dict, point: int | None = None) -> dict | None:
    """The AWD student (``point=None``) or grid point ``point``'s own student, or None when absent."""
    if point is not None:
        grid = bundle.get("grid") or []
        if 0 <= point < len(grid) and isinstance(grid[point].get("student"), dict):
            return grid[point]["student"]
    return ((bundle.get("students") or {}).get("awd")) or None


def _influence(feature: dict) -> float:
    return abs(feature.get("weight", 0.0)) * float(feature.get("sd") or 1.0)


def student_formula(record: dict | None, terms: int = FORMULA_TERMS) -> str:
    """The series student as a readable formula, its most influential terms first.

    Parameters
    ----------
    record : dict or None
        ``students.<name>`` (series) of a bundle.
    terms : int
        Terms spelled out; the rest are summarised as "+ N more terms".

    Returns
    -------
    str
        e.g. ``"y = 0.12 + 0.80·(1st largest of cD3) − 0.31·(2nd largest of cA3) + … (18 more terms)"``;
        ``""`` when the record is not a series student.

    Examples
    --------
    >>> rec = {"kind": "series_topk_linear", "parameters": {"intercept": 0.12, "features": [
    ...     {"weight": 0.8, "sd": 1.0, "label": "1st largest of cD3"},
    ...     {"weight": -0.31, "sd": 1.0, "label": "2nd largest of cA3"}]}}
    >>> student_formula(rec)
    'y = 0.12 + 0.8·(1st largest of cD3) − 0.31·(2nd largest of cA3)'
    """
    if not record or record.get("kind") != "series_topk_linear":
        return ""
    params = record.get("parameters") or {}
    features = [f for f in params.get("features") or [] if f.get("weight")]
    ranked = sorted(features, key=_influence, reverse=True)
    text = f"y = {fmt_number(params.get('intercept'))}"
    for f in ranked[:terms]:
        sign = "−" if f["weight"] < 0 else "+"
        text += f" {sign} {fmt_number(abs(f['weight']))}·({f['label']})"
    if len(ranked) > terms:
        text += f" + … ({len(ranked) - terms} more terms, in the table)"
    return text


def student_rows(record: dict | None, example: dict | None = None) -> list[dict]:
    """One row per feature of a series student, most influential first.

    Returns
    -------
    list of dict
        ``band``, ``level``, ``rank``, ``weight``, ``influence`` (|weight| × training SD), and with an
        ``example`` (``explain.examples[k]``) ``position`` (index in the band) and ``contribution``
        (weight × the coefficient); texts in ``*_text``.
    """
    if not record or record.get("kind") != "series_topk_linear":
        return []
    bands = {b["band"]: b for b in (example or {}).get("bands") or []}
    rows = []
    for f in (record.get("parameters") or {}).get("features") or []:
        band = bands.get(f["band"])
        pos = band["kept"][f["rank"] - 1] if band and f["rank"] - 1 < len(band["kept"]) else None
        value = band["coeffs"][pos] if pos is not None and pos < len(band["coeffs"]) else None
        contribution = f["weight"] * value if value is not None else None
        rows.append(dict(band=f["band"], level=f["level"], rank=f["rank"], label=f["label"], weight=f["weight"],
                         influence=_influence(f), position=pos, contribution=contribution,
                         weight_text=fmt_number(f["weight"]), influence_text=fmt_number(_influence(f)),
                         position_text="—" if pos is None else str(pos),
                         contribution_text=fmt_number(contribution)))
    return sorted(rows, key=lambda r: r["influence"], reverse=True)


def _support(level: int, k: int) -> tuple[int, int]:
    """Input samples coefficient k of a band at ``level`` covers (exact for periodization)."""
    return k * 2 ** level, (k + 1) * 2 ** level


def scalogram_figure(bundle: dict, example: int = 0) -> go.Figure:
    """The signal above a scalogram of ``|c · saliency|`` (band × position), the kept coefficients marked.

    Parameters
    ----------
    bundle : dict
        With ``activation.x`` and ``explain`` (series).
    example : int

    Returns
    -------
    go.Figure
    """
    examples = (bundle.get("explain") or {}).get("examples") or []
    xs = (bundle.get("activation") or {}).get("x") or []
    if not examples or (bundle.get("explain") or {}).get("kind") != "timeseries" or not xs:
        return empty_figure("No scalogram in this result (rerun the job with this version)")
    k = example if isinstance(example, int) and 0 <= example < min(len(examples), len(xs)) else 0
    x = as_array(xs[k])
    length = x.size
    bands = examples[k]["bands"]
    names = [b["band"] for b in bands]
    z = np.zeros((len(bands), length))
    for i, b in enumerate(bands):
        for j, value in enumerate(b["weighted"]):
            lo, hi = _support(b["level"], j)
            if lo < length:
                z[i, lo:min(hi, length)] = value
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.35, 0.65], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=np.arange(length), y=x, mode="lines", name="signal",
                             line=dict(color=PALETTE["learned"], width=2),
                             hovertemplate="t = %{x}<br>x = %{y:.4g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=z, x=np.arange(length), y=names, colorscale="Viridis", name="|c · saliency|",
                             colorbar=dict(title=dict(text="|c · saliency|", side="right"), thickness=12, len=0.6,
                                           y=0.3),
                             hovertemplate="%{y}, t = %{x}<br>|c · saliency| %{z:.3g}<extra></extra>"), row=2, col=1)
    mx, my, mt, sx, sy = [], [], [], [], []
    for b in bands:
        for rank, (pos, contribution) in enumerate(zip(b["kept"], b["contributions"])):
            lo, hi = _support(b["level"], pos)
            if lo >= length:
                continue
            centre = (lo + min(hi, length) - 1) / 2
            mx.append(centre)
            my.append(b["band"])
            mt.append(f"{b['band']} #{rank + 1}: c[{pos}] = {fmt_number(b['coeffs'][pos])}, "
                      f"weight·c = {fmt_number(contribution)}")
            sx.append(centre)
            sy.append(float(x[min(int(round(centre)), length - 1)]))
    fig.add_trace(go.Scatter(x=mx, y=my, mode="markers", name="kept by the student", text=mt,
                             marker=dict(symbol="circle-open", size=11, color=PALETTE["selected"], line=dict(width=2)),
                             hovertemplate="%{text}<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=sx, y=sy, mode="markers", name="where the kept coefficients sit", text=mt,
                             marker=dict(symbol="triangle-down", size=9, color=PALETTE["selected"]),
                             hovertemplate="%{text}<extra></extra>", showlegend=False), row=1, col=1)
    fig.update_yaxes(title="signal", row=1, col=1)
    fig.update_yaxes(title="band (coarse → fine)", row=2, col=1, autorange="reversed")
    fig.update_xaxes(title="time step (samples)", row=2, col=1)
    return apply_layout(fig, height=460, margin=dict(l=70, r=20, t=40, b=50))


def _grid_shape(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


def _panels_layout(rows: int, cols: int, titles: list[str], hgap=0.03, vgap=0.08) -> dict:
    """Axes domains and title annotations of a rows x cols grid of panels, as a plain layout dict (building it
    by hand is ~50x faster than ``make_subplots`` for a dozen heatmaps)."""
    layout, annotations = {}, []
    w, h = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    for i, title in enumerate(titles):
        r, c = divmod(i, cols)
        x0, y1 = c * (w + hgap), 1 - r * (h + vgap)
        suffix = "" if i == 0 else str(i + 1)
        x0, y1 = max(0.0, round(x0, 6)), min(1.0, round(y1, 6))  # rounding must not leave [0, 1]
        layout[f"xaxis{suffix}"] = dict(domain=[x0, min(1.0, round(x0 + w, 6))], anchor=f"y{suffix}", showticklabels=False,
                                        showgrid=False, zeroline=False)
        layout[f"yaxis{suffix}"] = dict(domain=[max(0.0, round(y1 - h, 6)), y1], anchor=f"x{suffix}", showticklabels=False,
                                        showgrid=False, zeroline=False, autorange="reversed")
        annotations.append(dict(text=title, x=x0 + w / 2, y=y1, xref="paper", yref="paper", xanchor="center",
                                yanchor="bottom", showarrow=False, font=dict(size=11)))  # 4 fit at 390 px
    layout["annotations"] = annotations
    return layout


def subband_figure(bundle: dict, example: int = 0) -> go.Figure:
    """The map with its detected peaks, then ``|c · saliency|`` per sub-band and level with the peaks marked.

    Returns
    -------
    go.Figure
    """
    explain = bundle.get("explain") or {}
    examples = explain.get("examples") or []
    xs = (bundle.get("activation") or {}).get("x") or []
    if explain.get("kind") != "image" or not examples or not xs:
        return empty_figure("No sub-band panels in this result (rerun the job with this version)")
    k = example if isinstance(example, int) and 0 <= example < min(len(examples), len(xs)) else 0
    ex, x = examples[k], as_array(xs[k])
    panels = ex.get("panels") or []
    peaks = np.asarray(ex.get("peaks") or np.zeros((0, 2)), dtype=float).reshape(-1, 2)
    n_peaks = f"{len(peaks)} peak{'' if len(peaks) == 1 else 's'}"
    titles = [f"map (κ)<br>{n_peaks}"] + [f"{p['band']} level {p['level']}" for p in panels]  # fit 390 px
    rows, cols = _grid_shape(len(titles))
    marker = dict(symbol="x", size=5, color=PALETTE["selected"])
    # plain dicts and no validation: a dozen validated heatmaps cost a second per redraw
    data = [dict(type="heatmap", z=x, colorscale="Greys", reversescale=True, showscale=False, name="map",
                 hovertemplate="row %{y}, col %{x}<br>κ %{z:.4f}<extra></extra>"),
            dict(type="scatter", x=peaks[:, 1].tolist(), y=peaks[:, 0].tolist(), mode="markers", name="detected peak", marker=marker,
                 hovertemplate="peak at row %{y}, col %{x}<extra></extra>")]
    for i, p in enumerate(panels, start=2):
        z = as_array(p["values"])
        scale = x.shape[0] / max(z.shape[0], 1)
        data.append(dict(type="heatmap", z=z, colorscale="Viridis", showscale=False, name=f"{p['band']}{p['level']}",
                         xaxis=f"x{i}", yaxis=f"y{i}",
                         hovertemplate=f"{p['band']} level {p['level']}<br>row %{{y}}, col %{{x}}<br>"
                                       "|c · saliency| %{z:.3g}<extra></extra>"))
        data.append(dict(type="scatter", x=(peaks[:, 1] / scale).tolist(), y=(peaks[:, 0] / scale).tolist(), mode="markers",
                         xaxis=f"x{i}", yaxis=f"y{i}", marker={**marker, "size": 4}, hoverinfo="skip",
                         name=f"peaks on {p['band']}{p['level']}"))
    layout = _panels_layout(rows, cols, titles)
    layout["annotations"].append(dict(
        text="pixels (rows × columns); grey: the map, colour: |c · saliency| per sub-band and level; × detected "
             "peaks", x=0, y=-0.02, xref="paper", yref="paper", xanchor="left", yanchor="top", showarrow=False,
        font=dict(size=11, color="#555")))
    layout.update({k: v for k, v in LAYOUT.items() if k not in ("margin", "legend")},
                  height=230 * rows + 60, margin=dict(l=20, r=20, t=30, b=40), showlegend=False)
    return go.Figure(data=data, layout=layout, _validate=False)


def peak_histogram_figure(bundle: dict, example: int = 0, point: int | None = None) -> go.Figure:
    """The example's peak-count histogram against the nearest class template, and χ² to every class.

    Returns
    -------
    go.Figure
    """
    record = student_record(bundle, None)
    examples = (bundle.get("explain") or {}).get("examples") or []
    if not record or record.get("kind") != "peak_count" or not examples:
        return empty_figure("No peak-count histograms in this result (rerun the job with this version)")
    k = example if isinstance(example, int) and 0 <= example < len(examples) else 0
    ex, params = examples[k], record["parameters"]
    hist = np.asarray(ex["histogram"], dtype=float)
    channels, bins = params["channels"], params["bins"]
    edges = np.asarray(params["bin_edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    templates = params.get("templates")
    n_cols = len(channels) + (1 if "chi2" in ex else 0)
    titles = [f"{c} at peaks" if c == "detail magnitude" else f"{c} response at peaks" for c in channels]
    titles += ["χ² to each class"] if "chi2" in ex else []
    # the "magnitude" response bins each channel divided by its training 99th percentile
    scaled = params.get("response") == "magnitude"
    fig = make_subplots(rows=1, cols=n_cols, subplot_titles=titles, horizontal_spacing=0.05)
    nearest = ex.get("nearest")
    for c, name in enumerate(channels):
        fig.add_trace(go.Bar(x=centres, y=hist[c * bins:(c + 1) * bins], name="this map", marker_color=PALETTE["learned"],
                             showlegend=c == 0, hovertemplate="response %{x:.3g}<br>%{y} peaks<extra></extra>"),
                      row=1, col=c + 1)
        if templates is not None and nearest is not None:
            t = np.asarray(templates[nearest])[c * bins:(c + 1) * bins]
            fig.add_trace(go.Scatter(x=centres, y=t, mode="lines+markers", name=f"template of class {nearest}",
                                     line=dict(color=PALETTE["selected"], width=2), showlegend=c == 0,
                                     hovertemplate="template %{y:.2f} peaks<extra></extra>"), row=1, col=c + 1)
        fig.update_xaxes(title="response / its training 99th percentile" if scaled else "filter response (κ units)",
                         row=1, col=c + 1)
    fig.update_yaxes(title="peaks per map", row=1, col=1)
    if "chi2" in ex:
        chi2 = np.asarray(ex["chi2"], dtype=float)
        classes = params.get("classes") or [[i] for i in range(len(chi2))]
        labels = [", ".join(fmt_number(v) for v in row) for row in classes]
        colors = [PALETTE["selected"] if i == nearest else PALETTE["grey"] for i in range(len(chi2))]
        fig.add_trace(go.Bar(x=labels, y=chi2, marker_color=colors, name="χ²", showlegend=False,
                             text=[fmt_number(v) for v in chi2], textposition="outside", cliponaxis=False,
                             constraintext="none",  # the tallest bar's label at full size, above the axis
                             hovertemplate="class %{x}<br>χ² %{y:.4g}<extra></extra>"), row=1, col=n_cols)
        fig.update_xaxes(title="class (target row)", row=1, col=n_cols)
        fig.update_yaxes(title="χ²", row=1, col=n_cols)
    # the legend above the first panels, clear of the panel titles (top right it covered the χ² panel's)
    return apply_layout(fig, height=380, margin=dict(l=55, r=20, t=80, b=60),
                        legend=dict(orientation="h", yanchor="bottom", y=1.14, xanchor="left", x=0))
