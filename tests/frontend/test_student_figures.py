"""The student's figures from hand-made bundles and from the pipeline's own explanations: formula text, table
order, marks where the student reads, peaks on their panels, valid plotly figures."""

import base64

import dash
import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from awd_studio.frontend.figures import student as S
from awd_studio.frontend.figures.grid import score_range
from awd_studio.frontend.results_student import trust_alerts

SERIES_RECORD = {"kind": "series_topk_linear", "definition": "d", "parameters": {"intercept": 0.5, "features": [
    {"band": "cA1", "level": 1, "rank": 1, "weight": 0.1, "sd": 1.0, "label": "1st largest of cA1"},
    {"band": "cD1", "level": 1, "rank": 1, "weight": -2.0, "sd": 1.0, "label": "1st largest of cD1"}]}}
SERIES = {"students": {"awd": SERIES_RECORD}, "activation": {"x": [[0.0, 1.0, 0.0, -1.0]]},
          "explain": {"kind": "timeseries", "examples": [{"bands": [
              {"band": "cA1", "level": 1, "coeffs": [0.7, 0.2], "weighted": [0.1, 0.0], "kept": [0],
               "contributions": [0.07]},
              {"band": "cD1", "level": 1, "coeffs": [0.3, -0.9], "weighted": [0.0, 0.5], "kept": [0],
               "contributions": [-0.6]}]}]}}


def test_formula_lists_the_most_influential_term_first():
    assert S.student_formula(SERIES_RECORD) == "y = 0.5 − 2·(1st largest of cD1) + 0.1·(1st largest of cA1)"
    rows = S.student_rows(SERIES_RECORD, SERIES["explain"]["examples"][0])
    assert [r["band"] for r in rows] == ["cD1", "cA1"] and rows[0]["contribution"] == -2.0 * 0.3


def test_scalogram_marks_the_kept_coefficients():
    fig = S.scalogram_figure(SERIES, 0)
    kept = next(t for t in fig.data if t.name.startswith("kept by the student"))
    assert list(kept.x) == [0.5, 0.5] and list(kept.y) == ["cA1", "cD1"]
    assert fig.layout.xaxis2.title.text and fig.layout.yaxis.title.text


def test_maps_panels_and_histogram_are_valid_figures():
    record = {"kind": "peak_count", "parameters": {"channels": ["LL"], "bins": 2, "bin_edges": [0, 1, 2],
                                                   "classes": [[0.1], [0.3]], "templates": [[1, 2], [3, 0]]}}
    bundle = {"students": {"awd": record}, "activation": {"x": [np.zeros((4, 4)).tolist()]},
              "explain": {"kind": "image", "examples": [{
                  "peaks": [[1, 2]], "histogram": [1, 1], "chi2": [0.5, 2.0], "nearest": 0,
                  "panels": [{"band": "LL", "level": 1, "values": np.ones((2, 2)).tolist()},
                             {"band": "LH", "level": 1, "values": np.ones((2, 2)).tolist()}]}]}}
    panels = go.Figure(S.subband_figure(bundle, 0).to_dict())  # validated here
    assert [a.text for a in panels.layout.annotations][:3] == ["the map, 4 × 4 px<br>1 peak", "LL level 1: 2 × 2",
                                                               "LH level 1: 2 × 2"]
    hist = S.peak_histogram_figure(bundle, 0)
    assert list(hist.data[-1].y) == [0.5, 2.0] and hist.data[-1].marker.color[0] != hist.data[-1].marker.color[1]
    assert hist.layout.xaxis2.title.text == "class (target row)"
    record["parameters"]["target_names"] = ["Omega_m"]  # the classes' columns, named
    assert S.peak_histogram_figure(bundle, 0).layout.xaxis2.title.text == "class (Omega_m)"
    # two parameters per class: one per line and upright (ten rotated "0.3, 0.8" labels ran into each other)
    record["parameters"].update(classes=[[0.1, 0.8], [0.3, 0.7]], target_names=["Omega_m", "sigma_8"])
    two = S.peak_histogram_figure(bundle, 0)
    assert "template of the nearest class (0.1, 0.8)" in {t.name for t in two.data}  # named by its values
    assert list(two.data[-1].x) == ["0.1<br>0.8", "0.3<br>0.7"] and two.layout.xaxis2.tickangle == 0
    assert two.layout.xaxis2.title.text == "class (Omega_m, sigma_8, one per line)"


def test_magnitude_histograms_are_titled_and_scaled_as_read():
    """The default map student reads the LL response and the detail magnitude, each in units of its training 99th
    percentile: the panels say so instead of claiming convergence units."""
    record = {"kind": "peak_count", "parameters": {"response": "magnitude", "channels": ["LL", "detail magnitude"],
                                                   "bins": 2, "bin_edges": [0, 0.7, 1.4]}}
    bundle = {"students": {"awd": record}, "explain": {"kind": "image", "examples": [{"histogram": [1, 2, 0, 3]}]}}
    fig = S.peak_histogram_figure(bundle, 0)
    assert [a.text for a in fig.layout.annotations] == ["LL response at peaks", "detail magnitude at peaks"]
    assert fig.layout.xaxis.title.text == fig.layout.xaxis2.title.text == "response / its training<br>99th percentile"
    assert list(fig.data[1].y) == [0, 3]


def test_a_tie_is_not_stretched_into_a_difference():
    zmin, zmax, note = score_range({"grid": [{"cv_score_sd": 0.01}]}, np.array([[0.9650, 0.9658]]))
    assert abs((zmax - zmin) - 0.01) < 1e-12 and "fold-to-fold CV SD 0.01" in note and "tie" not in note
    assert score_range({"grid": [{"cv_score_sd": 0.01}]}, np.array([[0.5, 0.9]]))[2] == ""
    # one cell whose CV blew up: the others keep their colours, the outlier is clipped and named
    scores = np.array([[0.446, 0.46, 0.47, 0.48, 0.49, 0.498, -0.0495]])
    zmin, zmax, note = score_range({"grid": [{"cv_score_sd": 0.02}]}, scores)
    assert 0.3 < zmin < 0.446 and zmax == 0.498
    assert note.startswith("1 cell below the colour range (lowest -0.0495")


def test_trust_notes_become_alerts():
    alerts = trust_alerts({"trust": {"notes": [{"level": "danger", "key": "weak_teacher", "text": "weak"}],
                                     "compression_definition": "share of active coefficients"}})
    assert alerts[0].children == "weak" and alerts[0].color == "danger" and len(alerts) == 2


def _series_bundle(mode: str, length: int = 40, levels: int = 4, k: int = 6, n: int = 60, stored: bool = True,
                   X=None, inside: bool = False) -> dict:
    """A series bundle as the pipeline writes it: a top-k student on db5 coefficients and its explanations, with
    where each coefficient reads (``explain.centres``) unless ``stored`` is False (a bundle written before);
    ``inside``: the student reads only the coefficients with 1 % of their filter on the series (the pipeline's
    since 2026-12-06; else every coefficient, as before)."""
    from awd_studio.models.pipeline.config import PipelineConfig
    from awd_studio.models.pipeline.students import series_candidates
    from awd_studio.models import wavelets
    from awd_studio.models.filters.known import lowpass_filter
    from awd_studio.models.pipeline.explain_examples import explain_examples
    from awd_studio.models.pipeline.student_params import series_record
    from awd_studio.models.students.series import TopKLinearRegressor

    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(n, length)), axis=1) if X is None else X
    h = np.asarray(lowpass_filter("db5"), dtype=np.float64)
    with torch.no_grad():
        coeffs = [c.numpy() for c in wavelets.wavedec1d(torch.as_tensor(X), torch.as_tensor(h), levels, mode)]
    candidates = (series_candidates(h, length, PipelineConfig.from_dict({"levels": levels, "mode": mode})) if inside
                  else None)
    model = TopKLinearRegressor(k=k, candidates=candidates).fit(coeffs, X[:, -1])
    record, arrays = series_record("awd", model, h=h, levels=levels, mode=mode, length=length,
                                   scaling={"offset": 0.0, "scale": 1.0})
    saliency = [np.ones_like(c) for c in coeffs]
    explain = explain_examples("timeseries", record, arrays, X[:2], [c[:2] for c in coeffs],
                               [a[:2] for a in saliency], levels, **(dict(h=h, mode=mode) if stored else {}))
    return {"students": {"awd": record}, "activation": {"x": X[:2].tolist()}, "explain": explain}


def test_scalogram_circles_only_the_coefficients_a_student_reading_the_series_may_keep():
    """Since 2026-12-06 the largest-coefficient student never reads the 18 coefficients of the CME case whose filter
    has under 1 % of its energy on the series: cA4 keeps 5 (its candidates), 29 circles, none of them left out, and
    the legend says the largest are taken among those reading the series."""
    bundle = _series_bundle("zero", inside=True)
    left_out = bundle["students"]["awd"]["parameters"]["left_out"]
    example = bundle["explain"]["examples"][0]
    assert [len(out) for out in left_out] == [5, 4, 4, 3, 2]
    assert [len(b["kept"]) for b in example["bands"]] == [5, 6, 6, 6, 6]
    assert all(not set(b["kept"]) & set(out) for b, out in zip(example["bands"], left_out))
    kept = next(t for t in S.scalogram_figure(bundle, 0).data if t.name.startswith("kept for this series"))
    assert "among those reading the series (29 circles)" in kept.name.replace("<br>", " ") and len(kept.x) == 29
    before = next(t for t in S.scalogram_figure(_series_bundle("zero"), 0).data
                  if t.name.startswith("kept for this series"))
    assert "among those" not in before.name.replace("<br>", " ")  # a student reading every coefficient


@pytest.mark.parametrize("stored", [True, False])
@pytest.mark.parametrize("mode", ["zero", "periodization"])
def test_scalogram_circles_every_coefficient_the_student_reads(mode, stored):
    """The CME case: 6 coefficients in each of 5 bands, 30 terms. In zero mode (db5 on 40 samples) bands are
    longer than length / 2^level, and coefficients past that used to be dropped (13 circles were left). Bundles
    written before ``explain.centres`` still draw, by the middle of the filters' span."""
    bundle = _series_bundle(mode, stored=stored)
    record, example = bundle["students"]["awd"], bundle["explain"]["examples"][0]
    fig = S.scalogram_figure(bundle, 0)
    kept = next(t for t in fig.data if t.name.startswith("kept for this series"))
    n_terms = sum(len(b["kept"]) for b in example["bands"])
    assert mode == "periodization" or n_terms == len(record["parameters"]["features"]) == 30
    assert len(kept.x) == n_terms and f"({n_terms} circles)" in kept.name and "6 largest" in kept.name
    n_taps = S._equivalent_filter_length(40, {b["level"]: len(b["coeffs"]) for b in example["bands"]})
    assert n_taps == (10 if mode == "zero" else 2)
    for band in example["bands"]:  # one circle a kept position, at that coefficient's centre, none merged
        xs = [x for x, y in zip(kept.x, kept.y) if y == band["band"]]
        centres = bundle["explain"]["centres"][band["band"]] if stored else \
            S._coefficient_centres(band["level"], len(band["coeffs"]), n_taps)
        assert xs == [centres[p] for p in band["kept"]] and len(set(xs)) == len(band["kept"])
    # the table lists the same positions as the circles
    rows = S.student_rows(record, example)
    assert sorted((r["band"], r["position"]) for r in rows if r["position"] is not None) == sorted(
        (b["band"], p) for b in example["bands"] for p in b["kept"])
    # the triangles have a legend entry counting what they show; the heatmap covers every circle
    triangles = next(t for t in fig.data if t.name.startswith("where the circled coefficients read"))
    assert triangles.showlegend is not False
    assert (f"of the {n_terms} read outside" in triangles.name) == (len(on_series_of(triangles)) < n_terms)
    assert all(-0.5 <= x <= 39.5 for x in triangles.x)
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert min(heat.x) - 0.5 <= min(kept.x) and max(kept.x) <= max(heat.x) + 0.5
    assert list(fig.layout.xaxis2.range) == [min(heat.x) - 0.5, max(heat.x) + 0.5]
    caption = fig.layout.annotations[-1].text.replace("<br>", " ")
    if stored:  # where the coefficients read: on the series, nothing drawn past its ends, nothing left out
        assert list(heat.x) == list(range(40)) and "where it reads the series" in caption
        assert not any(s.type == "rect" for s in fig.layout.shapes)
        # but a coefficient reading under a tenth of its filter on the series reads mostly beyond its ends (as the
        # student table labels it); in zero mode these boundary coefficients get no triangle on the series
        shares = bundle["explain"].get("in_series") or {}
        low = sum(shares[b["band"]][p] < S.LOW_IN_SERIES for b in example["bands"] for p in b["kept"]) \
            if shares else 0
        assert (mode == "zero") == bool(shares) and (low > 0) == (mode == "zero")
        assert len(on_series_of(triangles)) == n_terms - low
        beyond = [t for t in kept.text if "mostly beyond the series' ends" in t]
        assert len(beyond) == low and all("% of its filter on the series" in t for t in beyond)
        assert ("mostly beyond its ends" in triangles.name) == (low > 0)
        z = np.asarray(heat.z, dtype=float)
        for row, band in zip(z, example["bands"]):  # the band's largest value is drawn
            assert np.nanmax(row) == max(band["weighted"])
    elif mode == "zero":  # the middle of the filters' span runs into the zero padding (shaded)
        assert min(heat.x) < 0 and "middle of its filters' span" in caption


def on_series_of(triangles) -> list[str]:
    """The coefficients a triangle trace marks on the series (one hover line each)."""
    return [line for text in triangles.text for line in text.split("<br>") if " #" in line]


@pytest.mark.parametrize("mode", ["periodization", "zero"])
def test_scalogram_draws_a_bump_where_its_coefficients_read(mode):
    """The user's case: 64 samples with a bump at t = 38, db5, J = 3. The largest cA3 coefficient was drawn at
    t = 56-63 (the middle of its filter's span); it reads around t = 38."""
    t = np.arange(64)
    X = np.exp(-0.5 * ((t - 38) / 2.0) ** 2) + 0.01 * np.random.default_rng(2).normal(size=(60, 64))
    bundle = _series_bundle(mode, length=64, levels=3, X=X)
    heat = next(tr for tr in S.scalogram_figure(bundle, 0).data if tr.type == "heatmap")
    cA3 = np.asarray(heat.z, dtype=float)[0]
    drawn = np.flatnonzero(cA3 == np.nanmax(cA3))  # the 8 samples of the largest coefficient
    assert len(drawn) == 8 and abs(drawn.mean() - 38) <= 4.5
    band = bundle["explain"]["examples"][0]["bands"][0]
    largest = int(np.argmax(band["weighted"]))
    assert abs(bundle["explain"]["centres"]["cA3"][largest] - 38) <= 4
    old = S._coefficient_centres(3, len(band["weighted"]), 10 if mode == "zero" else 2)[largest]
    assert old > 55  # the former placement


def test_fixed_position_students_are_labelled_as_such():
    bundle = _series_bundle("zero")
    bundle["students"]["awd"]["parameters"]["by"] = "position"
    names = [t.name for t in S.scalogram_figure(bundle, 0).data]
    legend = "kept: the student's fixed positions, at most 6 per band"
    assert any(n.replace("<br>", " ").startswith(legend) for n in names)


@pytest.mark.parametrize("mode", ["zero", "periodization"])
def test_fallback_centres_are_the_middle_of_the_filters_span(mode):
    """The placement of bundles written before ``explain.centres``, against the transform's own operator:
    interior coefficients (support clear of the borders)."""
    from awd_studio.models import wavelets
    from awd_studio.models.filters.known import lowpass_filter

    length, levels, h = 64, 3, torch.as_tensor(np.asarray(lowpass_filter("db3"), dtype=np.float64))
    W = wavelets.analysis_matrix(h, length, levels, mode).numpy()
    sizes = wavelets.coeff_lengths(length, 6, levels, mode)
    n_taps = S._equivalent_filter_length(length, {levels if b == 0 else levels + 1 - b: n
                                                  for b, n in enumerate(sizes)})
    assert n_taps == (6 if mode == "zero" else 2)
    start, checked = 0, 0
    for b, n in enumerate(sizes):
        level = levels if b == 0 else levels + 1 - b
        centres = S._coefficient_centres(level, n, n_taps)
        for o, row in enumerate(W[start:start + n]):
            support = np.nonzero(np.abs(row) > 1e-12)[0]
            if support[0] > 0 and support[-1] < length - 1:
                assert (support[0] + support[-1]) / 2 == centres[o]
                checked += 1
        start += n
    assert checked > 20


def _array(values) -> np.ndarray:
    """A figure's array, also when ``to_dict`` wrote it as a typed array (``{"dtype", "bdata", "shape"}``)."""
    if isinstance(values, dict):
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        return flat.reshape([int(n) for n in str(values.get("shape", len(flat))).split(",")])
    return np.asarray(values, dtype=float)


def _maps_bundle(mode: str, shape=(64, 64), levels: int = 4, stored: bool = True, x=None) -> dict:
    """A maps bundle as the pipeline writes it: db5 sub-band panels, the raw map's peaks (in pixels) and where
    each coefficient reads (``explain.centres``) unless ``stored`` is False (a bundle written before)."""
    from awd_studio.models import wavelets
    from awd_studio.models.filters.known import lowpass_filter
    from awd_studio.models.pipeline.explain_examples import _subband_panels, coefficient_centres
    from awd_studio.models.students.peaks import _check_maps, _interior_peaks

    x = np.random.default_rng(1).normal(size=(1,) + shape) if x is None else x[None]
    h = torch.as_tensor(np.asarray(lowpass_filter("db5"), dtype=np.float64))
    with torch.no_grad():
        c = wavelets.wavedec2d(torch.as_tensor(x), h, levels, mode)
    coeffs = [c[0].numpy()] + [tuple(d.numpy() for d in detail) for detail in c[1:]]
    saliency = [np.ones_like(coeffs[0])] + [tuple(np.ones_like(d) for d in detail) for detail in coeffs[1:]]
    rows, cols = np.nonzero(_interior_peaks(_check_maps(x, field="X"))[0])
    peaks = [[int(r) + 1, int(q) + 1] for r, q in zip(rows, cols)]
    explain = {"kind": "image", "examples": [{"peaks": peaks, "panels": _subband_panels(coeffs, saliency, 0, levels)}]}
    if stored:
        explain["centres"] = coefficient_centres("image", h, shape, levels, mode)
    return {"activation": {"x": x.tolist()}, "wavelet": {"mode": mode}, "explain": explain}


def _heatmap_edges(heat, z) -> tuple[np.ndarray, np.ndarray]:
    """Column and row cell edges of a heatmap, given as bricks (``x``/``y`` one longer than ``z``) or by
    ``x0``/``dx``."""
    if heat.x is not None:
        return _array(heat.x), _array(heat.y)
    dx, dy = heat.dx or 1, heat.dy or 1
    x_first, y_first = (heat.x0 or 0) - dx / 2, (heat.y0 or 0) - dy / 2
    return x_first + dx * np.arange(z.shape[1] + 1), y_first + dy * np.arange(z.shape[0] + 1)


def test_the_sub_band_panels_share_one_colour_scale_with_a_labelled_bar():
    """Review 51: the map student's sub-band heatmaps had no colour scale, each panel on a range of its own: a
    reader could not tell what a colour meant, nor compare two bands. Every sub-band panel now runs from 0 to the
    largest |c · saliency| of them all, with one bar under the panels that names it; the grey map has none."""
    from awd_studio.frontend.figures.style import fmt_number

    bundle = _maps_bundle("periodization", (64, 64), 3)
    panels = bundle["explain"]["examples"][0]["panels"]
    top = max(float(np.nanmax(np.asarray(p["values"], dtype=float))) for p in panels)
    for max_cols in (4, 2):  # a wide window and a phone
        fig = go.Figure(S.subband_figure(bundle, 0, max_cols=max_cols).to_dict())  # validated here
        heatmaps = [t for t in fig.data if t.type == "heatmap"]
        the_map, bands = heatmaps[0], heatmaps[1:]
        assert len(bands) == 3 * 3 + 1 and not the_map.showscale
        assert all(h.zmin == 0 and h.zmax == pytest.approx(top) for h in bands)
        assert [h.showscale for h in bands] == [True] + [False] * (len(bands) - 1)  # one bar for all
        bar = bands[0].colorbar
        assert bar.title.text.startswith("|c · saliency|") and bar.orientation == "h"
        assert list(bar.tickvals) == pytest.approx([0, top / 2, top])
        assert list(bar.ticktext) == [fmt_number(v, 2) for v in (0, top / 2, top)]
        # under the panels (below the bottom row's tick labels) and above the caption, which says so
        plot = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
        bar_top = -bar.y * plot
        caption = fig.layout.annotations[-1]
        assert 15 <= bar_top and -caption.yshift >= bar_top + 35, (bar_top, caption.yshift)
        assert "one scale for all (the bar)" in caption.text.replace("<br>", " ")
    # panels of zeros (nothing read): no bar, no scale to show
    for p in panels:
        p["values"] = np.zeros_like(np.asarray(p["values"], dtype=float)).tolist()
    flat = S.subband_figure(bundle, 0)
    assert not any(t.showscale for t in flat.data if t.type == "heatmap")
    assert "the bar" not in flat.layout.annotations[-1].text


@pytest.mark.parametrize("stored", [True, False])
@pytest.mark.parametrize("mode, shape, levels", [("periodization", (64, 64), 4), ("zero", (48, 64), 2)])
def test_peaks_fall_on_their_sub_band_panels(mode, shape, levels, stored):
    """The lensing case: the × markers lay in full-resolution pixels over 4 × 4 heatmaps drawn in coefficient
    units, so they ran off to the right and below. Every panel is now in pixels, each pixel square."""
    bundle = _maps_bundle(mode, shape, levels, stored=stored)
    fig = go.Figure(S.subband_figure(bundle, 0).to_dict())  # validated here
    layout = fig.layout
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 1 + 1 + 3 * levels
    peaks = np.asarray(bundle["explain"]["examples"][0]["peaks"], dtype=float)
    for heat in heatmaps:
        suffix = (heat.xaxis or "x")[1:]
        scatter = next(t for t in fig.data if t.type == "scatter" and (t.xaxis or "x") == (heat.xaxis or "x"))
        z = _array(heat.z)
        x_edges, y_edges = _heatmap_edges(heat, z)
        assert len(x_edges) == z.shape[1] + 1 and len(y_edges) == z.shape[0] + 1 and (np.diff(x_edges) > 0).all()
        (x_first, x_last), (y_first, y_last) = x_edges[[0, -1]], y_edges[[0, -1]]
        if stored:  # every panel on the map's area
            assert (x_first, x_last, y_first, y_last) == (-0.5, shape[1] - 0.5, -0.5, shape[0] - 0.5)
        assert len(scatter.x) == (len(peaks) if heat.name == "map" else min(len(peaks), S.MARKED_PEAKS)) > 0
        assert all(x_first <= v <= x_last for v in scatter.x) and all(y_first <= v <= y_last for v in scatter.y)
        xaxis, yaxis = layout[f"xaxis{suffix}"], layout[f"yaxis{suffix}"]
        assert list(xaxis.range) == [x_first, x_last] and list(yaxis.range) == [y_last, y_first]  # rows down
        assert yaxis.scaleanchor == f"x{suffix}" and yaxis.scaleratio == 1 and xaxis.showticklabels
        if mode == "periodization" and heat.dx:  # a peak lies on the coefficient p // 2^level of its band
            cells = np.round((peaks[:, 1] - heat.x0) / heat.dx).astype(int)
            assert (cells == peaks[:, 1].astype(int) // int(heat.dx)).all()
    assert layout.yaxis.scaleanchor == "x" and list(layout.xaxis.range) == [-0.5, shape[1] - 0.5]
    assert layout.annotations[0].text.startswith(f"the map, {shape[0]} × {shape[1]} px")


@pytest.mark.parametrize("mode", ["periodization", "zero"])
def test_a_peak_lights_its_sub_band_panels_where_it_is(mode):
    """A peak at pixel (40, 21) of a 64 x 64 map, db5, J = 3: the largest LL3 coefficient is drawn over the peak,
    not at a corner block (where the middle of its filters' span put it)."""
    rows, cols = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    peak = np.exp(-0.5 * ((rows - 40) ** 2 + (cols - 21) ** 2) / 2.0 ** 2)
    for stored in (True, False):
        fig = go.Figure(S.subband_figure(_maps_bundle(mode, (64, 64), 3, stored=stored, x=peak), 0).to_dict())
        heat = next(t for t in fig.data if t.type == "heatmap" and t.name == "LL3")
        z = _array(heat.z)
        x_edges, y_edges = _heatmap_edges(heat, z)
        r, c = np.unravel_index(np.nanargmax(z), z.shape)
        centre = ((y_edges[r] + y_edges[r + 1]) / 2, (x_edges[c] + x_edges[c + 1]) / 2)
        if stored:
            assert abs(centre[0] - 40) <= 4 and abs(centre[1] - 21) <= 4
        else:
            assert abs(centre[0] - 40) > 10 or abs(centre[1] - 21) > 10


def test_a_phones_layout_puts_fewer_panels_in_a_row():
    """Four map panels a row (or three histograms side by side) ran their titles into each other at 390 px: the
    narrow layouts put two panels (one histogram) a row, with one title per panel still."""
    record = {"kind": "peak_count", "parameters": {"channels": ["LL", "detail magnitude"], "bins": 2,
                                                   "bin_edges": [0, 1, 2], "classes": [[0.1], [0.3]]}}
    panels = [{"band": b, "level": 1, "values": np.ones((2, 2)).tolist()} for b in ("LH", "HL", "HH")]
    bundle = {"students": {"awd": record}, "activation": {"x": [np.zeros((4, 4)).tolist()]},
              "explain": {"kind": "image", "examples": [{"peaks": [[1, 2]], "histogram": [1, 1, 0, 2],
                                                         "chi2": [0.5, 2.0], "nearest": 0, "panels": panels}]}}
    wide, narrow = S.subband_figure(bundle, 0), S.subband_figure(bundle, 0, max_cols=2)
    def columns(fig):
        return {tuple(fig.layout[f"xaxis{i if i > 1 else ''}"].domain) for i in range(1, 5)}

    assert len(columns(narrow)) == 2 and len(columns(wide)) == 4
    assert narrow.layout.height > wide.layout.height  # two rows of panels
    hist = S.peak_histogram_figure(bundle, 0, max_cols=1)
    assert [hist.layout[f"xaxis{i if i > 1 else ''}"].domain[0] for i in (1, 2, 3)] == [0, 0, 0]  # one column
    assert len({tuple(hist.layout[f"yaxis{i if i > 1 else ''}"].domain) for i in (1, 2, 3)}) == 3  # three rows
    assert [a.text for a in hist.layout.annotations] == ["LL response at peaks", "detail magnitude at peaks",
                                                         "χ² to each class"]
    # a phone's χ² panel lies on its side: each class named on one line beside its bar (upright under bars 24 px
    # wide, ten labels ran together)
    bars = hist.data[-1]
    assert bars.orientation == "h" and all("<br>" not in label for label in bars.y)
    assert hist.layout.xaxis3.range[1] > max(bars.x)  # room for the largest bar's number


def test_explanation_panels_go_two_a_row_on_a_phone():
    from awd_studio.frontend.figures.explain import explanation_figure

    x = np.sin(np.arange(16.0)).tolist()
    payload = {"summary": {"explanation": {"prediction": 1.0, "cartoon_prediction": 0.9, "kept_fraction": 0.2},
                           "baseline": {"cartoon_prediction": 0.5, "kept_fraction": 0.3}, "band_names": ["cA1", "cD1"]},
               "arrays": {"wavelet_x": x, "wavelet_cartoon": x, "wavelet_mask_image": np.ones((2, 16)).tolist(),
                          "baseline_cartoon": x}}
    wide, narrow = explanation_figure(payload), explanation_figure(payload, max_cols=2)
    assert len(wide.layout.annotations) == len(narrow.layout.annotations) == 4
    assert narrow.layout.xaxis3.domain[0] == 0 and narrow.layout.yaxis3.domain[1] < narrow.layout.yaxis.domain[0]
    # the time axis is named under the bottom row only (above the second row it ran into that row's titles)
    assert narrow.layout.xaxis4.title.text and not narrow.layout.xaxis.title.text
    # the mask's colour bar lies under its panel, where the axis title ran into its labels
    assert not narrow.layout.xaxis3.title.text and not wide.layout.xaxis3.title.text
    assert all(wide.layout[f"xaxis{i if i > 1 else ''}"].title.text for i in (1, 2, 4))


def test_a_phone_gives_each_mask_a_row_across_the_screen():
    """Review 51: two panels a row left a phone's masks 100-130 px wide, a map's cells and band names too small to
    read. The input and its cartoon share the first row; the mask per scale and the pixel mask each take a row
    of the figure's whole width, taller than the first; a wide window keeps its one row of four."""
    from awd_studio.frontend.figures.explain import explanation_figure

    for x in (np.zeros((16, 16)).tolist(), np.sin(np.arange(16.0)).tolist()):
        mask = np.ones((16, 16) if isinstance(x[0], list) else (2, 16)).tolist()
        payload = {"summary": {"explanation": {"prediction": 1.0, "cartoon_prediction": 0.9, "kept_fraction": 0.2},
                               "baseline": {"cartoon_prediction": 0.5, "kept_fraction": 0.3},
                               "band_names": ["cA1", "cD1"]},
                   "arrays": {"wavelet_x": x, "wavelet_cartoon": x, "wavelet_mask_image": mask, "baseline_cartoon": x}}
        wide, phone = explanation_figure(payload), explanation_figure(payload, max_cols=2)
        axes = [phone.layout[f"xaxis{i if i > 1 else ''}"] for i in range(1, 5)]
        assert axes[0].domain[0] == 0 and axes[1].domain[1] == 1 and axes[0].domain[1] < 0.5 < axes[1].domain[0]
        assert [tuple(a.domain) for a in axes[2:]] == [(0, 1), (0, 1)]  # each mask across the figure
        y = [phone.layout[f"yaxis{i if i > 1 else ''}"].domain for i in range(1, 5)]
        assert y[0] == y[1] and y[0][0] > y[2][1] and y[2][0] > y[3][1]  # three rows, top to bottom
        assert y[2][1] - y[2][0] >= y[0][1] - y[0][0]  # a mask's row no lower than the first
        assert phone.layout.height > wide.layout.height
        # a map's mask row: about as tall as a 390 px phone's plot is wide (its square fills it)
        if isinstance(x[0], list):
            assert (y[2][1] - y[2][0]) * (phone.layout.height - 96) >= 270
        assert len({tuple(wide.layout[f"xaxis{i if i > 1 else ''}"].domain) for i in range(1, 5)}) == 4
        assert len({tuple(wide.layout[f"yaxis{i if i > 1 else ''}"].domain) for i in range(1, 5)}) == 1



def test_an_explained_series_is_labelled_with_its_files_times():
    """Review 12 found the scalogram in samples after the file named its times; the explanation's panels and the
    input to brush on were too. The selection still reads sample indices: only the labels change."""
    from awd_studio.frontend.figures.explain import drawing_figure, explanation_figure

    x = np.sin(np.arange(12.0)).tolist()
    payload = {"summary": {"explanation": {"prediction": 1.0, "cartoon_prediction": 0.9, "kept_fraction": 0.2},
                           "band_names": ["cA1", "cD1"]},
               "arrays": {"wavelet_x": x, "wavelet_cartoon": x, "wavelet_mask_image": np.ones((2, 12)).tolist()}}
    axis = {"values": [2.0 * i for i in range(12)], "label": "t (s)"}
    fig = explanation_figure(payload, sample_axis=axis)
    assert fig.layout.xaxis.title.text == "time (s)" and list(fig.layout.xaxis.ticktext)[:2] == ["0", "4"]
    assert list(fig.layout.xaxis3.ticktext) == list(fig.layout.xaxis.ticktext)  # the mask's columns too
    assert list(fig.data[0].x) == list(range(12))  # drawn against the index, as before
    drawn = drawing_figure(x, axis)
    assert drawn.layout.xaxis.title.text == "time (s)" and list(drawn.data[0].x) == list(range(12))
    # without an axis of the input's length: the frame index, as before
    assert explanation_figure(payload).layout.xaxis.title.text == "time (frames)"
    assert drawing_figure(x, {"values": [0.0, 1.0], "label": "t"}).layout.xaxis.title.text == "time (frames)"

def test_a_maps_mask_picture_outlines_and_names_its_bands_with_a_scale():
    from awd_studio.frontend.figures.explain import explanation_figure

    x = np.zeros((16, 16)).tolist()
    boxes = [{"name": "cA1", "rows": [0, 8], "cols": [0, 8]}, {"name": "cH1", "rows": [8, 16], "cols": [0, 8]},
             {"name": "cV1", "rows": [0, 8], "cols": [8, 16]}, {"name": "cD1", "rows": [8, 16], "cols": [8, 16]}]
    payload = {"summary": {"explanation": {"prediction": 1.0, "cartoon_prediction": 0.9, "kept_fraction": 0.2},
                           "band_boxes": boxes},
               "arrays": {"wavelet_x": x, "wavelet_cartoon": x, "wavelet_mask_image": x}}
    fig = explanation_figure(payload)
    # in the panel's fractions, so that they do not widen its range (a fixed range left the picture shrunk when
    # the figure's height changed after its first drawing)
    assert len(fig.layout.shapes) == 4 and all(s.xref == "x3 domain" for s in fig.layout.shapes)
    cD1 = fig.layout.shapes[3]
    assert (cD1.x0, cD1.x1, cD1.y0, cD1.y1) == (0.5, 1.0, 0.0, 0.5)  # the bottom right quarter
    labels = [a.text for a in fig.layout.annotations if a.xref == "x3 domain"]
    assert labels == ["A1", "H1", "V1", "D1"]
    mask = next(t for t in fig.data if t.name == "mask")
    assert mask.showscale and list(mask.colorbar.ticktext) == ["0 dropped", "0.5", "1 kept"]
    assert fig.layout.yaxis3.autorange == "reversed" and fig.layout.yaxis3.range is None
    del payload["summary"]["band_boxes"]  # made before the boxes were recorded: the picture alone
    assert not explanation_figure(payload).layout.shapes
    # a 64 px map to level 3: the names fit in bands of a quarter side or more (review 19: the level-3 names ran
    # over each other), on a phone too, where the mask is as wide as the screen (review 51)
    big = np.zeros((64, 64)).tolist()
    levels = [{"name": "cA3", "rows": [0, 8], "cols": [0, 8]}, {"name": "cH2", "rows": [16, 32], "cols": [0, 16]},
              {"name": "cD1", "rows": [32, 64], "cols": [32, 64]}]
    payload = {"summary": {**payload["summary"], "band_boxes": levels},
               "arrays": {"wavelet_x": big, "wavelet_cartoon": big, "wavelet_mask_image": big}}
    named = [a.text for a in explanation_figure(payload).layout.annotations if a.xref == "x3 domain"]
    on_phone = [a.text for a in explanation_figure(payload, max_cols=2).layout.annotations if a.xref == "x3 domain"]
    assert named == on_phone == ["H2", "D1"]


def test_the_drawn_mask_box_is_outlined_and_filled():
    """Plotly's default box (a dashed grey outline) vanished on a grey map: only its four handles showed."""
    from awd_studio.frontend.figures.explain import drawing_figure

    fig = drawing_figure(np.zeros((8, 8)).tolist())
    assert fig.layout.dragmode == "select"
    assert fig.layout.newselection.line.dash == "solid" and fig.layout.newselection.line.width == 2
    assert fig.layout.activeselection.fillcolor == fig.layout.newselection.line.color


def test_many_peaks_mark_only_the_highest_on_the_sub_bands():
    """A lensing map has about 300 peaks: their crosses covered the coarse bands' 16 coefficients. The map's panel
    marks every peak; each sub-band panel the MARKED_PEAKS highest, and the caption says so."""
    rng = np.random.default_rng(0)
    bundle = _maps_bundle("periodization", (64, 64), 3, stored=True)
    x = rng.normal(size=(64, 64))
    peaks = rng.integers(0, 64, size=(300, 2)).astype(float)
    bundle["activation"]["x"] = [x.tolist()]
    bundle["explain"]["examples"][0]["peaks"] = peaks.tolist()
    fig = S.subband_figure(bundle, 0)
    scatters = [t for t in fig.data if t["type"] == "scatter"]
    assert len(scatters[0]["x"]) == 300 and all(len(t["x"]) == S.MARKED_PEAKS for t in scatters[1:])
    heights = x[peaks[:, 0].astype(int), peaks[:, 1].astype(int)]
    shown = x[np.array(scatters[1]["y"], dtype=int), np.array(scatters[1]["x"], dtype=int)]
    assert shown.min() >= np.sort(heights)[-S.MARKED_PEAKS]
    assert "the 40 highest of 300" in fig.layout.annotations[-1].text.replace("<br>", " ")


def test_the_results_page_wraps_coarse_bands_in_periodization():
    """Review 6: the page drew each map panel from a bundle of the explain store and the student alone, without the
    wavelet's mode, so periodization's blocks were cut at the edges instead of wrapped and the coarse bands showed
    an empty strip. The students store carries the mode."""
    from awd_studio.frontend import results_student

    bundle = _maps_bundle("periodization", (64, 64), 4, stored=True)
    bundle["explain"]["examples"][0]["histogram"] = [1, 1]
    record = {"kind": "peak_count", "parameters": {"channels": ["LL"], "bins": 2, "bin_edges": [0, 1, 2]}}
    bundle.update(students={"awd": record}, grid=[], data={"kind": "image"})
    store = results_student._students_store(bundle)
    assert store["mode"] == "periodization"
    out = results_student.student_outputs(0, None, store, bundle["explain"], bundle["activation"])
    heat = next(t for t in out["graph"].data if t.type == "heatmap" and t.name == "LL4")
    x_edges, y_edges = _heatmap_edges(heat, _array(heat.z))
    assert (x_edges[0], y_edges[0], x_edges[-1], y_edges[-1]) == (-0.5, -0.5, 63.5, 63.5)
    assert not np.isnan(_array(heat.z)).any()  # every pixel under a coefficient's block


def test_the_scalogram_is_labelled_with_the_files_times():
    """Review 11: "which time points does the model use?" needs the file's times on the axis, not sample indices."""
    bundle = _series_bundle("zero", stored=True)
    bundle["data"] = {"sample_axis": {"values": [2.0 * i for i in range(40)], "label": "t (s)"}}
    fig = S.scalogram_figure(bundle, 0)
    band_axis = fig.layout.xaxis2
    assert band_axis.title.text == "time (s)" and band_axis.ticktext[1] == f"{2.0 * band_axis.tickvals[1]:g}"
    # as the results page draws it, from its students store (review 12: the store left the axis out)
    from awd_studio.frontend import results_student

    bundle.update(grid=[])
    store = results_student._students_store(bundle)
    out = results_student.student_outputs(0, None, store, bundle["explain"], bundle["activation"])
    assert out["graph"].layout.xaxis2.title.text == "time (s)"


def test_the_student_table_says_which_frames_each_term_reads():
    """Review 38: the table gave each term's position in its band ("cA2[5]", "Position in band"), and a biologist
    read cA2[0] as the start of the trace where it read frames 31-34, its end. Each term also says the frames it
    reads (its energy centroid's ``2^level`` frames, ``explain.centres``), in the file's own times."""
    from awd_studio.frontend import results_student

    bundle = _series_bundle("zero", stored=True)
    bundle.update(grid=[], data={"kind": "timeseries", "shape": [40]})
    record, example = bundle["students"]["awd"], bundle["explain"]["examples"][0]
    rows = S.student_rows(record, example, bundle)
    for r in rows:  # the 2^level frames around where the coefficient reads, within the 40 samples
        centre = bundle["explain"]["centres"][r["band"]][r["position"]]
        (first, last), = r["frames"]
        assert 0 <= first <= last < 40 and last - first < 2 ** r["level"], r
        assert first - 0.5 <= centre <= last + 0.5 or first == 0 or last == 39, (r, centre)
        assert r["frames_text"] == (f"≈ {first}–{last}" if first < last else f"≈ {first}")
    assert all(r["frames_text"] == "—" for r in S.student_rows(record, example))  # no centres: not guessed
    # as the results page shows it, from its stores: in the file's times when it names them
    bundle["data"]["sample_axis"] = {"values": [2.0 * i for i in range(40)], "label": "t (s)"}
    store = results_student._students_store(bundle)
    table = str(results_student.student_outputs(0, None, store, bundle["explain"], bundle["activation"])["table"])
    first, last = rows[0]["frames"][0]
    assert "Reads at time (s)" in table and f"≈ {2 * first:g}–{2 * last:g}" in table, table


def test_the_frames_read_are_student_csvs():
    """The page's frames of a term (frontend) and student.csv's (models) follow one rule."""
    from awd_studio.models.pipeline.student_table import frames_read

    for centre in np.linspace(-12.0, 52.0, 257):
        for level in (1, 2, 3, 4):
            for wrap in (False, True):
                page = S.frames_read(centre, level, 40, wrap)
                table = frames_read(centre, level, 40, wrap)
                if table is None or not wrap:
                    assert page == ([] if table is None else [table]), (centre, level, wrap)
                else:  # wrapped: the first of the block, then round to its last
                    assert (page[-1][0], page[0][1]) == table if len(page) == 2 else page == [table], (centre, level)


def test_the_figures_threshold_of_reading_beyond_the_ends_is_the_tables():
    from awd_studio.models.pipeline.student_params import LOW_IN_SERIES

    assert S.LOW_IN_SERIES == LOW_IN_SERIES


def test_the_tables_mark_for_terms_mixed_of_others_is_the_notes():
    """The student table marks the terms the results' note names (review 51D)."""
    from awd_studio.models.pipeline.trust import REDUNDANT_R2

    assert S.MIXED_TERM_R2 == REDUNDANT_R2
    record = {"kind": "series_topk_linear", "parameters": {"features": [
        {"band": "cA4", "level": 4, "rank": 1, "label": "cA4[5]", "weight": 0.3, "sd": 1.0, "redundancy": 1.0},
        {"band": "cD3", "level": 3, "rank": 1, "label": "cD3[4]", "weight": 2.0, "sd": 1.0, "redundancy": 0.01},
        {"band": "cD1", "level": 1, "rank": 1, "label": "cD1 (padding)", "weight": 0.0, "sd": 0.0}]}}
    assert [(r["label"], r["mixed"]) for r in S.student_rows(record)] == [
        ("cD3[4]", False), ("cA4[5]", True), ("cD1 (padding)", False)]


def test_many_notes_keep_warnings_open_and_fold_the_rest():
    """Review 26B: about 540 words of notes stood between a phone's verdict and the first figure."""
    from awd_studio.frontend.results_student import MORE_NOTES, OPEN_NOTES

    notes = [{"level": level, "key": f"k{i}", "text": f"note {i}"}
             for i, level in enumerate(["warning", "info", "secondary", "danger", "success"])]
    alerts = trust_alerts({"trust": {"notes": notes}})
    assert [a.children for a in alerts[:2]] == ["note 0", "note 3"]  # warnings and dangers stay open, in order
    folded = alerts[2]
    assert folded.children[0].children == MORE_NOTES.format(n=3, more=" more", s="s") == "3 more notes on these results"
    calm = [n for n in notes if n["level"] not in ("warning", "danger")] + [{"level": "info", "text": "note 5"}]
    assert trust_alerts({"trust": {"notes": calm}})[0].children[0].children == "4 notes on these results"
    assert [a.children for a in folded.children[1:]] == ["note 1", "note 2", "note 4"]
    wide = trust_alerts({"trust": {"notes": notes}}, fold=False)  # a wider screen: every note open
    assert [a.children for a in wide] == [f"note {i}" for i in range(5)]
    few = trust_alerts({"trust": {"notes": notes[1:1 + OPEN_NOTES]}})  # few notes: all shown
    assert [a.children for a in few] == ["note 1", "note 2", "note 3"]


def test_the_signed_range_is_named_only_where_the_bins_start_at_zero():
    """The student section names the signed range where a channel's bins start at 0 and leave out 5 % or more of
    the training peaks below them; not where the range is signed already (what lies below -b stays out with it) nor
    for the peak heights, whose range starts at a percentile of theirs."""
    from awd_studio.frontend.results_student import outside_range_text

    base = {"channels": ["LL", "detail magnitude"], "bin_range": [0.0, 1.4],
            "outside_range": {"below": [0.2, 0.0], "above": [0.0, 0.01]}}
    assert "both signs" in outside_range_text(base)
    assert "both signs" in outside_range_text({**base, "channel_ranges": [[0.0, 1.4]] * 2})
    assert "both signs" not in outside_range_text({**base, "channel_ranges": [[-1.4, 1.4], [0.0, 1.4]]})
    heights = {"channels": ["height"], "bin_range": [-0.03, 0.19], "outside_range": {"below": [0.08], "above": [0.0]}}
    assert "both signs" not in outside_range_text(heights)
    assert "both signs" not in outside_range_text({**heights, "channel_ranges": [[-0.03, 0.19]]})


def test_an_inspected_cell_keeps_the_histogram_one_models():
    """Review (cosmologist): with another grid point inspected, the histogram figure drew that cell's bin centres
    and templates under the selected model's stored counts (``explain.examples`` are the selected model's only).
    The figure stays the model its examples were computed for, and its title says so."""
    from awd_studio.frontend import results_student

    def peak_student(top):
        return {"kind": "peak_count", "definition": "d", "parameters": {
            "channels": ["LL"], "bins": 2, "bin_edges": [0.0, top / 2, top], "classes": [[0.1], [0.3]],
            "templates": [[1, 2], [3, 0]]}}

    selected, other = peak_student(2.0), peak_student(8.0)
    explain = {"kind": "image", "wavelet": "awd", "examples": [{"histogram": [4, 1], "chi2": [0.5, 2.0],
                                                                "nearest": 0}]}
    store = {"students": {"awd": selected}, "grid": [selected, other], "labels": ["★", "other"], "selected": 0,
             "kept_initial": None, "kind": "image"}
    activation = {"x": [np.zeros((8, 8)).tolist()]}
    shown = results_student.student_outputs(0, None, store, explain, activation)["histogram"]
    assert list(shown.data[0].x) == [0.5, 1.5] and not shown.layout.title.text
    out = results_student.student_outputs(0, 1, store, explain, activation)
    assert "inspected cell other" in out["note"]  # the text is the inspected cell's student
    inspected = out["histogram"]
    assert list(inspected.data[0].x) == [0.5, 1.5] and list(inspected.data[0].y) == [4, 1]  # the selected model's
    assert "not for the grid point you inspect" in inspected.layout.title.text.replace("<br>", " ")


def test_the_student_graphs_boxes_are_sized_with_their_figures():
    """Review 49: the scalogram was drawn 360 px high (its box's height before a figure; a responsive graph draws in
    its box's height), then 535 px about a second later, once the client-side callback that sizes the box from the
    figure had run. student_outputs sizes each box in the same update as its figure, and leaves it with the figure."""
    from awd_studio.frontend import results_student

    bundle = _series_bundle("zero", stored=True)
    bundle.update(grid=[])
    store = results_student._students_store(bundle)
    out = results_student.student_outputs(0, None, store, bundle["explain"], bundle["activation"])
    assert out["graph"].layout.height > 500
    assert out["graph_style"] == {"height": f"{out['graph'].layout.height}px"}
    assert out["histogram_style"] == {"height": f"{out['histogram'].layout.height}px"}
    assert all(v is dash.no_update for v in results_student.student_outputs(0, None, None, None, None).values())
