"""The scattering student's figures: learned filters in space and frequency, the kept paths as a tree, and the
score-versus-paths curve of the pruning.

Every builder takes the bundle (``bundle["scattering"]``, written when the job ran with ``student:
scattering``; see ``models/schema/result-bundle.schema.json``) and returns a ``go.Figure``, or an
:func:`empty_figure` saying what is missing.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.scores import teacher_label
from awd_studio.frontend.figures.style import (
    BOTTOM_LEGEND,
    PALETTE,
    SAMPLE_AXIS_TITLE,
    SERIES,
    apply_layout,
    as_array,
    empty_figure,
    fmt_number,
)

__all__ = ["scattering_filters_figure", "scattering_tree_figure", "scattering_curve_figure", "path_short_label",
           "scattering_scores", "MAX_2D_FILTERS"]

#: At most this many 2D filters are drawn (those used by kept paths first).
MAX_2D_FILTERS = 24


def _panel(bundle: dict) -> dict | None:
    return ((bundle or {}).get("scattering") or {}).get("panel")


def _filters_1d(panel: dict, narrow: bool = False) -> go.Figure:
    # on a phone one panel a row: three side by side ran their titles and axis titles into each other
    rows, cols = (3, 1) if narrow else (1, 3)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.08, vertical_spacing=0.16,
                        subplot_titles=("In time" if panel["bank"] == "dwt" else "In time (real part)",
                                        "In frequency: |response|",
                                        "Lowpass h: learned vs initial" if panel["bank"] == "dwt"
                                        else "Centre frequency: initial → learned"))
    def at(k):  # the k-th panel (1-based) in either layout
        return dict(row=k, col=1) if narrow else dict(row=1, col=k)

    for i, f in enumerate(panel["filters"]):
        colour = SERIES[i % len(SERIES)]
        dash = "solid" if f.get("used") else "dot"
        name = f["label"] + ("" if f.get("used") else " (pruned)")
        t, real = f.get("time", {}).get("t"), f.get("time", {}).get("real")
        if t and real:
            fig.add_trace(go.Scatter(x=t, y=real, mode="lines", name=name, legendgroup=f["id"],
                                     line=dict(color=colour, dash=dash)), **at(1))
        freq = f.get("frequency", {})
        if freq.get("f"):
            fig.add_trace(go.Scatter(x=freq["f"], y=freq["response"], mode="lines", name=name, legendgroup=f["id"],
                                     showlegend=False, line=dict(color=colour, dash=dash)), **at(2))
    lowpass = panel.get("lowpass") or {}
    params = lowpass.get("params") or {}
    if panel["bank"] == "dwt" and params.get("h"):
        taps = list(range(len(params["h"])))
        fig.add_trace(go.Scatter(x=taps, y=params["h_init"], mode="lines+markers",
                                 name="h at the start (the kept wavelet)",
                                 line=dict(color=PALETTE["init"], dash="dash")), **at(3))
        fig.add_trace(go.Scatter(x=taps, y=params["h"], mode="lines+markers", name="h learned",
                                 line=dict(color=PALETTE["learned"])), **at(3))
    else:
        for order in (1, 2):
            rows = [f for f in panel["filters"] if f.get("order") == order]
            fig.add_trace(go.Scatter(
                x=[f["params"]["xi_init"] for f in rows], y=[f["params"]["xi"] for f in rows], mode="markers",
                name=f"order {order} wavelets", marker=dict(size=9, symbol="circle" if order == 1 else "diamond",
                                                          color=PALETTE["learned" if order == 1 else "other"])),
                **at(3))
        top = max((f["params"]["xi_init"] for f in panel["filters"]), default=0.5)
        fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="unchanged",
                                 line=dict(color=PALETTE["grey"], dash="dot")), **at(3))
    fig.update_xaxes(title_text=SAMPLE_AXIS_TITLE, **at(1))
    fig.update_xaxes(title_text="cycles / sample", **at(2))
    fig.update_xaxes(title_text="tap" if panel["bank"] == "dwt" else "initial (cycles / sample)", **at(3))
    if narrow:
        fig.update_xaxes(tickangle=0)
        return apply_layout(fig, height=1050, legend={**BOTTOM_LEGEND, "y": -0.08},
                            margin=dict(l=50, r=20, t=40, b=140))
    return apply_layout(fig, height=420, legend={**BOTTOM_LEGEND, "y": -0.22}, margin=dict(l=50, r=20, t=40, b=100))


def _filters_2d(panel: dict, narrow: bool = False) -> go.Figure:
    """Every filter (those of kept paths first, at most :data:`MAX_2D_FILTERS`) in rows of at most 6 (3 on a
    phone): each filter in space above its |response| in frequency. One row of 9 hid the level-4 filters of a
    J = 4 bank that kept paths used, and ran the titles together on a phone."""
    filters = sorted(panel["filters"], key=lambda f: not f.get("used"))[:MAX_2D_FILTERS]
    per_row = min(len(filters), 3 if narrow else 6)
    bands = -(-len(filters) // per_row)  # rows of filters, each a space row and a frequency row
    titles = []
    for band in range(bands):
        chunk = filters[band * per_row:(band + 1) * per_row]
        titles += [f["label"] + ("" if f.get("used") else " (pruned)") for f in chunk]
        titles += [""] * (per_row - len(chunk)) + [""] * per_row
    fig = make_subplots(rows=2 * bands, cols=per_row, horizontal_spacing=0.03, vertical_spacing=0.06 / bands,
                        subplot_titles=titles)
    for i, f in enumerate(filters):
        row, col = 2 * (i // per_row) + 1, i % per_row + 1
        fig.add_trace(go.Heatmap(z=f["space"], colorscale="RdBu", zmid=0, showscale=False,
                                 hovertemplate="space %{x}, %{y}: %{z:.3g}<extra></extra>"), row=row, col=col)
        fig.add_trace(go.Heatmap(z=f["frequency"], colorscale="Viridis", showscale=False,
                                 hovertemplate="|response| %{z:.3g}<extra></extra>"), row=row + 1, col=col)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=10)
    fig.add_annotation(text="each filter: in space above, |frequency response| below",
                       x=0, y=-0.04, xref="paper", yref="paper", showarrow=False, xanchor="left",
                       font=dict(size=11, color="#555"))
    return apply_layout(fig, height=60 + 300 * bands, margin=dict(l=10, r=10, t=40, b=40))


def scattering_filters_figure(bundle: dict, narrow: bool = False) -> go.Figure:
    """The scattering student's wavelets in time/space and in frequency.

    Parameters
    ----------
    bundle : dict
        A result bundle; reads ``scattering.panel``.
    narrow : bool, default=False
        A phone's screen: the three 1D panels one under another.

    Returns
    -------
    go.Figure
        1D: three panels (filters in time, |response| against cycles per sample, and the learned lowpass taps
        against the initial AWD ones, or the Morlet centre frequencies initial against learned); pruned
        filters dotted. 2D: the filters used by kept paths first (at most :data:`MAX_2D_FILTERS`), in rows of 6
        (3 when ``narrow``), real part in space above |response| in frequency.

    Examples
    --------
    >>> scattering_filters_figure({}).layout.annotations[0].text
    'No scattering student in this result'
    """
    panel = _panel(bundle)
    if not panel or not panel.get("filters"):
        return empty_figure("No scattering student in this result")
    return _filters_1d(panel, narrow) if panel.get("ndim") == 1 else _filters_2d(panel, narrow)


def path_short_label(label: str) -> str:
    """A second-order path's label for the tree's outer ring: both wavelets, short (the ring is narrow).

    Examples
    --------
    >>> path_short_label("level 1 -> level 3"), path_short_label("level 1 H -> level 2 D")
    ('1→3', '1H→2D')
    """
    return "→".join(part.replace("level ", "").replace(" ", "") for part in label.split(" -> "))


def scattering_tree_figure(bundle: dict) -> go.Figure:
    """The paths as a tree (sunburst): the root is ``S0``, its ring order 1, the outer ring order 2.

    Kept paths are blue, pruned ones grey; hovering shows the mean CAR index (drop of the cross-validated R2
    when the path is removed).

    Parameters
    ----------
    bundle : dict

    Returns
    -------
    go.Figure

    Examples
    --------
    >>> tree = {"nodes": [{"id": "S0", "order": 0, "label": "S0", "kept": True, "importance": 0.1},
    ...                   {"id": "1:0", "order": 1, "label": "level 1", "kept": False, "importance": None}],
    ...         "edges": [{"parent": "S0", "child": "1:0"}]}
    >>> fig = scattering_tree_figure({"scattering": {"panel": {"tree": tree}}})
    >>> list(fig.data[0].ids), list(fig.data[0].parents)
    (['S0', '1:0'], ['', 'S0'])
    """
    panel = _panel(bundle)
    tree = (panel or {}).get("tree") or {}
    nodes = tree.get("nodes") or []
    if not nodes:
        return empty_figure("No scattering paths in this result")
    parent = {e["child"]: e["parent"] for e in tree.get("edges") or []}
    ids = [n["id"] for n in nodes]
    labels = [n["label"] if n["order"] < 2 else path_short_label(n["label"]) for n in nodes]
    colours = [PALETTE["learned"] if n["kept"] else "#d9d9d9" for n in nodes]
    hover = [f"{n['id']}: {n['label']}<br>{'kept' if n['kept'] else 'pruned'}"
             f"<br>CAR index {fmt_number(n['importance'])}" for n in nodes]
    fig = go.Figure(go.Sunburst(ids=ids, labels=labels, parents=[parent.get(i, "") for i in ids],
                                marker=dict(colors=colours, line=dict(color="white", width=1)),
                                hovertext=hover, hoverinfo="text", insidetextorientation="radial",
                                maxdepth=3))
    n_kept = sum(n["kept"] for n in nodes)
    fig.add_annotation(text=f"{n_kept} of {len(nodes)} paths kept (blue)", x=0, y=-0.06, xref="paper",
                       yref="paper", showarrow=False, xanchor="left", font=dict(size=12, color="#555"))
    return apply_layout(fig, height=420, margin=dict(l=10, r=10, t=10, b=30))


def scattering_curve_figure(bundle: dict) -> go.Figure:
    """Cross-validated R2 against the number of paths during greedy pruning, ± one SE, the one-SE choice starred.

    Parameters
    ----------
    bundle : dict

    Returns
    -------
    go.Figure

    Examples
    --------
    >>> curve = {"n_paths": [3, 2, 1], "score": [0.5, 0.52, 0.2], "score_se": [0.02, 0.02, 0.03], "chosen": 1,
    ...          "chosen_n_paths": 2}
    >>> fig = scattering_curve_figure({"scattering": {"panel": {"curve": curve}}})
    >>> list(fig.data[1].x)
    [2]
    """
    curve = (_panel(bundle) or {}).get("curve")
    n, score, se = (as_array((curve or {}).get(k)) for k in ("n_paths", "score", "score_se"))
    if n is None or score is None:
        return empty_figure("The scattering student was not pruned")
    se = se if se is not None else 0 * score
    chosen = int(curve["chosen"])
    best = int(score.argmax())
    n = [int(v) for v in n]
    fig = go.Figure(go.Scatter(x=n, y=score, mode="lines+markers", name="CV R² ± 1 SE",
                               error_y=dict(type="data", array=se, visible=True, color=PALETTE["grey"]),
                               line=dict(color=PALETTE["learned"])))
    fig.add_trace(go.Scatter(x=[n[chosen]], y=[score[chosen]], mode="markers", name=(
        f"kept: {n[chosen]} path{'' if n[chosen] == 1 else 's'}, R² {fmt_number(score[chosen])}"),
        marker=dict(symbol="star", size=16, color=PALETTE["selected"])))
    fig.add_hline(y=float(score[best] - se[best]), line=dict(color=PALETTE["grey"], dash="dot"),
                  # under the line where the paths are many (the axis runs from many to few): the curve sits
                  # above it there, and the star, among few paths, is far (review 22: the label sat on both)
                  annotation_text="best − 1 SE", annotation_position="bottom left")
    fig.update_xaxes(title_text="number of paths", autorange="reversed" if len(n) > 1 else None)
    fig.update_yaxes(title_text="cross-validated R²")
    return apply_layout(fig, height=360)


def scattering_scores(bundle: dict) -> list[dict]:
    """Test scores of the scattering student beside the teacher, AWD and the initial wavelet.

    Parameters
    ----------
    bundle : dict

    Returns
    -------
    list of dict
        ``name``, ``r2``, ``rmse``, ``n_params`` (None for a missing value), in the order teacher, AWD, initial
        wavelet, scattering; models the bundle does not hold are left out.

    Examples
    --------
    >>> rows = scattering_scores({"models": {"scattering": {"test": {"r2": 0.5, "rmse": 1.0}, "n_params": 9}}})
    >>> [(r["name"], r["r2"]) for r in rows]
    [('Scattering student', 0.5)]
    """
    rows = []
    teacher = (bundle or {}).get("teacher")
    if teacher:
        rows.append({"name": teacher_label(teacher.get("name") or "?"), **_score_of(teacher)})
    labels = {"awd": "AWD", "baseline_wavelet": "Initial wavelet", "scattering": "Scattering student"}
    for key, label in labels.items():
        model = ((bundle or {}).get("models") or {}).get(key)
        if model:
            rows.append({"name": label, **_score_of(model)})
    return rows


def _score_of(entry: dict) -> dict:
    test = entry.get("test") or {}
    r2, rmse = test.get("r2"), test.get("rmse")
    return {"r2": r2 if r2 is None or math.isfinite(r2) else None, "rmse": rmse, "n_params": entry.get("n_params")}
