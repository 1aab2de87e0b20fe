"""Figures of the "Explain a prediction" panel: one explanation side by side, and the input to brush on.

Inputs are the JSON of ``GET /api/results/{key}/explanations/{id}`` (``summary`` and ``arrays``) and one test
input as a list. Pure: no network, and a missing part gives :func:`empty_figure`, never an exception.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.style import (
    PALETTE,
    apply_layout,
    as_array,
    common_decimals,
    empty_figure,
    fmt_decimals,
    fmt_number,
    sample_axis_layout,
)

__all__ = ["explanation_figure", "drawing_figure", "drawing_box_style", "prediction_lines", "EXPLANATION_HEIGHT",
           "DRAWING_HEIGHT"]

#: Heights in px of the two figures (the graph boxes follow them).
EXPLANATION_HEIGHT = 340
DRAWING_HEIGHT = 320
_GREY, _BLUE, _ORANGE = "#555555", "#0072B2", "#D55E00"
#: Outlines of the bands on a map's mask picture (light, over the dark colours of "magma"), and their names: dark
#: on a light box, readable over every colour of the map (light blue on magma's light colours was not).
_BAND_LINE = "#9fd3f5"
_BAND_LABEL, _BAND_LABEL_BACK = "#08306b", "rgba(255, 255, 255, 0.8)"


def _num(value):
    """A finite float or NaN (JSON null for cells without a coefficient)."""
    a = np.array(value, dtype=object)
    a[a == None] = np.nan  # noqa: E711 - elementwise comparison of an object array
    return a.astype(float)


def _shift(e: dict) -> dict:
    """How far the mean prediction under noise moved from the full input's, and whether the mask kept it."""
    try:
        full, mean, sd = (float(e[k]) for k in ("prediction", "expected_prediction", "expected_prediction_sd"))
    except (KeyError, TypeError, ValueError):
        return {}
    shift = mean - full
    return {"shift": fmt_number(shift, 3), "kept_prediction": abs(shift) <= max(sd, 0.05 * abs(full))}


def prediction_lines(payload: dict) -> dict:
    """Numbers the panel prints: prediction on the full input, on the cartoon, under noise, kept share.

    Returns
    -------
    dict
        ``full``, ``cartoon``, ``noise``, ``kept``, ``baseline_cartoon``, ``baseline_kept`` (strings) and
        ``y_true``; ``shift`` (the mean prediction under noise minus the full input's, a string) and
        ``kept_prediction`` (False when that shift exceeds both the noise's SD and 5 % of the full prediction);
        ``dropped``: how far the prediction moves (root mean square) when every coefficient is replaced by noise,
        the yardstick of the relative distortion ("—" when the explanation used another scale); empty when the
        payload has no summary.

    Examples
    --------
    >>> e = {"prediction": 0.00079, "expected_prediction": 0.0009, "expected_prediction_sd": 0.004,
    ...      "kept_fraction": 0.056, "scale": 0.0358, "settings": {"scale": "auto"}}
    >>> prediction_lines({"summary": {"explanation": e}})["dropped"]
    '0.0358'
    """
    summary = (payload or {}).get("summary") or {}
    e = summary.get("explanation") or {}
    if not e:
        return {}
    b = summary.get("baseline") or {}
    # the predictions side by side with one number of decimals (review 20: "0.4434" beside "0.444", whose last 0
    # the significant-digit format had dropped)
    decimals = common_decimals([e.get("prediction"), e.get("cartoon_prediction"), e.get("expected_prediction"),
                                b.get("cartoon_prediction"), summary.get("y_true")], 4)

    def number(value):
        return fmt_decimals(value, decimals, 4)

    return {**_shift(e), "full": number(e.get("prediction")),
            "cartoon": number(e.get("cartoon_prediction")),
            "noise": f"{number(e.get('expected_prediction'))} ± {number(e.get('expected_prediction_sd'))}",
            "kept": f"{100 * float(e.get('kept_fraction', 0)):.1f} %",
            "dropped": fmt_number(e.get("scale"), 3) if (e.get("settings") or {}).get("scale") == "auto" else "—",
            "baseline_cartoon": number(b.get("cartoon_prediction")) if b else "—",
            "baseline_kept": f"{100 * float(b.get('kept_fraction', 0)):.1f} %" if b else "—",
            "y_true": number(summary.get("y_true"))}



def _mask_scale(fig, place) -> dict:
    """A thin colour bar of the mask (0 dropped, 1 kept) under its panel, as wide as the panel."""
    axis = fig.get_subplot(**place)
    (x0, x1), (y0, _) = axis.xaxis.domain, axis.yaxis.domain
    return dict(showscale=True, colorbar=dict(orientation="h", x=(x0 + x1) / 2, xanchor="center", len=x1 - x0,
                                              y=y0 - 0.02, yanchor="top", thickness=8, tickvals=[0, 0.5, 1],
                                              ticktext=["0 dropped", "0.5", "1 kept"], tickfont=dict(size=10)))


def _outline_bands(fig, boxes, shape, place, label_share=1 / 8) -> None:
    """Outline each band of a map's mask picture and name the bands big enough to hold a label (``A3``, ``H1``,
    ``V2``...; at least ``label_share`` of the map's side), each inside its box, clear of the outlines.

    The outlines and names are placed in the panel's own fractions (``"x3 domain"``), not in pixel coordinates:
    there they widened the axis range, and a fixed range left the picture shrunk when the figure's height changed
    after its first drawing (plotly kept the first drawing's constrained domain). ``boxes``: the explanation's
    ``band_boxes`` (none in explanations made before they were recorded)."""
    axis = fig.get_subplot(**place)
    xref, yref = axis.xaxis.plotly_name.replace("axis", ""), axis.yaxis.plotly_name.replace("axis", "")
    rows, cols = shape
    for box in boxes:
        (r0, r1), (c0, c1) = box["rows"], box["cols"]
        # the picture's rows run downwards: row r sits at 1 - r / rows of the panel's height
        fig.add_shape(type="rect", xref=f"{xref} domain", yref=f"{yref} domain", x0=c0 / cols, x1=c1 / cols,
                      y0=1 - r1 / rows, y1=1 - r0 / rows, line=dict(color=_BAND_LINE, width=1))
        if min(r1 - r0, c1 - c0) >= max(shape) * label_share:  # about 40 px on the page or more
            fig.add_annotation(text=box["name"][1:], xref=f"{xref} domain", yref=f"{yref} domain",
                               x=(c0 + 0.1 * (c1 - c0)) / cols, y=1 - (r0 + 0.1 * (r1 - r0)) / rows,
                               xanchor="left", yanchor="top", showarrow=False,
                               font=dict(size=11, color=_BAND_LABEL), bgcolor=_BAND_LABEL_BACK)


def explanation_figure(payload: dict, max_cols: int = 4, sample_axis: dict | None = None) -> go.Figure:
    """Input | cartoon | mask per scale | pixel-mask baseline, side by side (maps as heatmaps, series as lines).

    Parameters
    ----------
    payload : dict
        ``GET /api/results/{key}/explanations/{id}`` of a succeeded explanation.
    max_cols : int
        Panels per row: 4; below 4, a phone's screen (four in a row ran their titles into each other): the input
        and its cartoon in the first row, each mask in a row of its own below (:func:`_phone_grid`).
    sample_axis : dict, optional
        A series' own axis (the bundle's ``data.sample_axis``: ``values`` and ``label``), for the x ticks and
        title; without it the axis counts samples.
    """
    summary, arrays = (payload or {}).get("summary"), (payload or {}).get("arrays")
    if not summary or not arrays or "wavelet_x" not in arrays:
        return empty_figure("No explanation shown: pick one above (the owner can also start one)")
    x, cartoon = _num(arrays["wavelet_x"]), _num(arrays["wavelet_cartoon"])
    mask_image = _num(arrays["wavelet_mask_image"])
    has_base = "baseline_cartoon" in arrays
    lines = prediction_lines(payload)
    phone = max_cols < 4
    # on a phone the input and its cartoon share the first row (~130 px each), their titles on two lines (on one
    # they ran into each other); the masks below, a row each, take one
    sep = ":<br>" if phone else ": "
    titles = [f"input{sep}{lines['full']}", f"cartoon{sep}{lines['cartoon']}", f"mask per scale (kept {lines['kept']})"]
    if has_base:
        titles.append(f"pixel mask: {lines['baseline_cartoon']}")
    grid = _phone_grid(len(titles), x.ndim) if phone else _wide_grid(len(titles), max_cols, x.ndim)
    n_rows, n_cols, places = grid["rows"], grid["cols"], grid["places"]

    def at(i: int) -> dict:  # the i-th panel's place in the grid
        return places[i]

    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=titles, horizontal_spacing=0.06,
                        specs=grid.get("specs"), vertical_spacing=0.25 / n_rows)
    for i, domain in enumerate(grid.get("y_domains") or []):  # a phone's rows, and each title on its panel
        fig.update_yaxes(domain=domain, **at(i))
        fig.layout.annotations[i].y = domain[1]
    if x.ndim == 2:
        lo, hi = np.nanpercentile(x, [1, 99])
        fig.add_trace(go.Heatmap(z=x, colorscale="gray", zmin=lo, zmax=hi, showscale=False, name="input"), **at(0))
        # the input's grey scale for the cartoons too: they compare by brightness with it
        fig.add_trace(go.Heatmap(z=cartoon, colorscale="gray", zmin=lo, zmax=hi, showscale=False, name="cartoon"),
                      **at(1))
        # the band under the pointer by name: the deepest bands are too small to carry one (review 22)
        band_of = np.full(mask_image.shape, "", dtype=object)
        for box in summary.get("band_boxes") or []:
            (r0, r1), (c0, c1) = box["rows"], box["cols"]
            band_of[r0:r1, c0:c1] = box["name"][1:]  # "D3", as the panel's labels and the table name it
        fig.add_trace(go.Heatmap(z=mask_image, colorscale="magma", zmin=0, zmax=1, name="mask", customdata=band_of,
                                 hovertemplate="%{customdata} mask %{z:.2f}<extra></extra>",
                                 **_mask_scale(fig, at(2))), **at(2))
        if has_base:
            fig.add_trace(go.Heatmap(z=_num(arrays["baseline_cartoon"]), colorscale="gray", zmin=lo, zmax=hi,
                                     showscale=False, name="pixel-mask cartoon"), **at(3))
            pixel_mask = _num(arrays.get("baseline_mask") or [])
            if pixel_mask.size == x.size:  # where the pixel mask keeps the map (review 22: a dim grey map alone);
                # stored flat, in the map's order (review 23: a flat z drew nothing)
                fig.add_trace(go.Contour(z=pixel_mask.reshape(x.shape), contours=dict(start=0.5, end=0.5, size=1,
                                                                                     coloring="none"),
                                         line=dict(color=_ORANGE, width=1.5), showscale=False, hoverinfo="skip",
                                         name="pixel mask ≥ 0.5"), **at(3))
        for i in range(len(titles)):
            fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if i == 0 else i + 1}", showticklabels=False,
                             constrain="domain", constraintoward="top", **at(i))  # each map under its title
            fig.update_xaxes(showticklabels=False, **at(i))
        # a name needs about 40 px of its band: at 1400 px a panel of four is about 170 px wide, so bands of a
        # quarter of the map's side (review 19: the eighth-side bands' names ran over each other); on a phone the
        # mask has the screen's width, wider still
        _outline_bands(fig, summary.get("band_boxes") or [], mask_image.shape, at(2), label_share=1 / 4)
    else:
        t = np.arange(x.size)
        fig.add_trace(go.Scatter(x=t, y=x, line=dict(color=_GREY, width=1), name="input"), **at(0))
        fig.add_trace(go.Scatter(x=t, y=x, line=dict(color=_GREY, width=1), opacity=0.35, showlegend=False,
                                 name="input"), **at(1))
        fig.add_trace(go.Scatter(x=t, y=cartoon, line=dict(color=_BLUE, width=1.5), name="cartoon"), **at(1))
        names = summary.get("band_names") or [str(i) for i in range(len(mask_image))]
        fig.add_trace(go.Heatmap(z=mask_image, x=t, y=names, colorscale="magma", zmin=0, zmax=1, name="mask",
                                 **_mask_scale(fig, at(2))), **at(2))
        fig.update_yaxes(autorange="reversed", **at(2))
        if has_base:
            fig.add_trace(go.Scatter(x=t, y=x, line=dict(color=_GREY, width=1), opacity=0.35, showlegend=False,
                                     name="input"), **at(3))
            fig.add_trace(go.Scatter(x=t, y=_num(arrays["baseline_cartoon"]), line=dict(color=_ORANGE, width=1.5),
                                     name="pixel-mask cartoon"), **at(3))
        axis = sample_axis_layout(sample_axis, x.size)  # the file's own times when it named them
        title = axis.pop("title")
        fig.update_xaxes(**axis)
        # under the bottom row only (above another row it ran into that row's titles), small enough for two a row
        fig.update_xaxes(title=dict(text=title, font=dict(size=12)), row=n_rows)
        fig.update_xaxes(title=None, **at(2))  # the mask's colour bar sits there (its labels ran over the title)
        if phone:  # the cartoon shares the input's scale, beside it: its tick labels sat on the input
            fig.update_yaxes(showticklabels=False, **at(1))
    for annotation in fig.layout.annotations:
        annotation.font.size = 12
    top = 40 if n_cols >= 4 else 56  # two title lines above the first row on a phone
    return apply_layout(fig, height=grid["height"], showlegend=False, margin=dict(l=40, r=10, t=top, b=40))


#: A phone's explanation (:func:`explanation_figure`), in px, for maps (2) and series (1): the first row's height
#: (the input and its cartoon, about 130 px wide each at 390 px), a mask's row (the width of the screen: about 280
#: px of plot), and the gaps under the first row (the next title; a series' tick labels) and under a mask's row
#: (its colour bar and the next title).
_PHONE_ROWS_PX = {2: dict(first=140, row=285, gap=45, under_mask=85),
                  1: dict(first=200, row=200, gap=55, under_mask=95)}


def _wide_grid(n: int, max_cols: int, ndim: int) -> dict:
    """The panels ``max_cols`` to a row, each in its own cell (a wide window: one row), :data:`EXPLANATION_HEIGHT`
    px tall with four a row."""
    n_cols = max(1, min(max_cols, n))
    n_rows = -(-n // n_cols)
    row_height = EXPLANATION_HEIGHT if n_cols >= 4 else 220 if ndim == 2 else 260
    return dict(rows=n_rows, cols=n_cols, places=[dict(row=i // n_cols + 1, col=i % n_cols + 1) for i in range(n)],
                height=row_height * n_rows + 40 * (n_rows - 1))


def _phone_grid(n: int, ndim: int) -> dict:
    """A phone's grid: the input and its cartoon side by side in the first row (they compare by brightness), then
    each mask (the mask per scale, the pixel mask's cartoon) in a row of its own across the screen. Two a row
    left a mask about 130 px wide, its cells and band names too small to read (review 51).

    Returns
    -------
    dict
        ``rows``, ``cols``, ``places`` (each panel's row and col), ``specs`` (the masks' rows span both columns),
        ``y_domains`` (each panel's, in the plot area's fractions) and ``height`` (px, with the margins).
    """
    px = _PHONE_ROWS_PX[2 if ndim == 2 else 1]
    n_rows = 1 + max(0, n - 2)
    tops, heights, top = [], [px["first"]] + [px["row"]] * (n_rows - 1), 0
    for r, height in enumerate(heights):
        tops.append(top)
        top += height + (px["gap"] if r == 0 else px["under_mask"])
    plot = tops[-1] + heights[-1]
    rows = [(1 - (t + h) / plot, 1 - t / plot) for t, h in zip(tops, heights)]
    places = [dict(row=1, col=1), dict(row=1, col=2)] + [dict(row=r, col=1) for r in range(2, n_rows + 1)]
    return dict(rows=n_rows, cols=2, places=places[:n], specs=[[{}, {}]] + [[{"colspan": 2}, None]] * (n_rows - 1),
                y_domains=[rows[place["row"] - 1] for place in places[:n]], height=plot + 56 + 40)


#: Margins (top, bottom, left, right) of a map to draw on: the toolbar takes the top 30 px, above the map.
_MAP_DRAWING_MARGIN = (34, 40, 40, 10)


def drawing_box_style(shape) -> dict:
    """Style of the drawing graph's box: a map's square plus its margins wide, so that the toolbar (with the box
    tool the instructions name) sits at the map's corner; a series takes the whole width.

    Examples
    --------
    >>> drawing_box_style([64, 64]), drawing_box_style([40])
    ({'maxWidth': '326px'}, {})
    """
    if len(shape or ()) != 2:
        return {}
    rows, cols = shape
    top, bottom, left, right = _MAP_DRAWING_MARGIN
    side = DRAWING_HEIGHT - top - bottom  # the plot area's height
    return {"maxWidth": f"{int(round(side * cols / rows)) + left + right + 30}px"}


def typed_box_shape(selected: dict, ndim: int) -> dict:
    """The box a typed mask keeps, as a layout shape on :func:`drawing_figure` (drawn like a box selection).

    Parameters
    ----------
    selected : dict
        ``{"range": {"x": [first, last], "y": [first, last]}}``: whole samples (a map's columns and rows),
        inclusive.
    ndim : int
        1 for a series (the box spans the plot's height), 2 for a map.

    Examples
    --------
    >>> shape = typed_box_shape({"range": {"x": [10, 19]}}, 1)
    >>> shape["x0"], shape["x1"], shape["yref"]
    (9.5, 19.5, 'y domain')
    """
    (x0, x1), box = selected["range"]["x"], PALETTE["selected"]
    shape = dict(type="rect", x0=x0 - 0.5, x1=x1 + 0.5, line=dict(color=box, width=2), fillcolor=box, opacity=0.15,
                 layer="above")
    if ndim == 2:
        y0, y1 = selected["range"]["y"]
        return {**shape, "y0": y0 - 0.5, "y1": y1 + 0.5}
    return {**shape, "yref": "y domain", "y0": 0, "y1": 1}


def drawing_figure(x, sample_axis: dict | None = None) -> go.Figure:
    """The explained test input to brush on: box-select the part to keep (everything else is replaced by noise).

    Empty until an explanation has run: the mask is evaluated on the input that explanation used. A series is
    drawn against its sample index (what the selection reads), labelled with ``sample_axis`` when given (see
    :func:`explanation_figure`)."""
    values = as_array(x)
    if values is None or values.size == 0:
        return empty_figure("Run an explanation above: its input appears here to draw on")
    if values.ndim == 2:
        # a heatmap cannot be selected point by point: an invisible scatter over the pixel centres carries
        # the box selection (its range is what the panel reads)
        rows, cols = np.indices(values.shape)
        fig = go.Figure([go.Heatmap(z=values, colorscale="gray", showscale=False, hoverinfo="skip"),
                         go.Scatter(x=cols.ravel(), y=rows.ravel(), mode="markers", marker=dict(opacity=0),
                                    hoverinfo="skip", showlegend=False)])
        # the map's own extent (autorange padded the invisible scatter's points to -100..150 on a 64-pixel map)
        fig.update_xaxes(range=[-0.5, values.shape[1] - 0.5], constrain="domain")
        fig.update_yaxes(range=[values.shape[0] - 0.5, -0.5], scaleanchor="x", constrain="domain")
    else:
        fig = go.Figure(go.Scatter(x=np.arange(values.size), y=values, mode="lines+markers",
                                   line=dict(color=PALETTE.get("teacher", _GREY), width=1), marker=dict(size=4)))
        fig.update_xaxes(**sample_axis_layout(sample_axis, values.size))
    top, bottom, left, right = _MAP_DRAWING_MARGIN if values.ndim == 2 else (20, 40, 40, 10)
    # the drawn box in a solid colour with a light fill (plotly's default dashed grey outline vanished on a grey
    # map, leaving only its four white handles)
    box = PALETTE["selected"]
    return apply_layout(fig, height=DRAWING_HEIGHT, dragmode="select", showlegend=False,
                        margin=dict(l=left, r=right, t=top, b=bottom),
                        newselection=dict(line=dict(color=box, width=2, dash="solid")),
                        activeselection=dict(fillcolor=box, opacity=0.15))
