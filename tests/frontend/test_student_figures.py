"""The student's figures from hand-made bundles: formula text, table order, marks, valid plotly figures."""

import numpy as np
import plotly.graph_objects as go

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
    kept = next(t for t in fig.data if t.name == "kept by the student")
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
    assert [a.text for a in panels.layout.annotations][:3] == ["map (κ)<br>1 peak", "LL level 1", "LH level 1"]
    hist = S.peak_histogram_figure(bundle, 0)
    assert list(hist.data[-1].y) == [0.5, 2.0] and hist.data[-1].marker.color[0] != hist.data[-1].marker.color[1]


def test_magnitude_histograms_are_titled_and_scaled_as_read():
    """The default map student reads the LL response and the detail magnitude, each in units of its training 99th
    percentile: the panels say so instead of claiming convergence units."""
    record = {"kind": "peak_count", "parameters": {"response": "magnitude", "channels": ["LL", "detail magnitude"],
                                                   "bins": 2, "bin_edges": [0, 0.7, 1.4]}}
    bundle = {"students": {"awd": record}, "explain": {"kind": "image", "examples": [{"histogram": [1, 2, 0, 3]}]}}
    fig = S.peak_histogram_figure(bundle, 0)
    assert [a.text for a in fig.layout.annotations] == ["LL response at peaks", "detail magnitude at peaks"]
    assert fig.layout.xaxis.title.text == fig.layout.xaxis2.title.text == "response / its training 99th percentile"
    assert list(fig.data[1].y) == [0, 3]


def test_a_tie_is_not_stretched_into_a_difference():
    zmin, zmax, note = score_range({"grid": [{"cv_score_sd": 0.01}]}, np.array([[0.9650, 0.9658]]))
    assert abs((zmax - zmin) - 0.01) < 1e-12 and "tie" in note
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
