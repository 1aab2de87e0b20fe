"""Where and at which scale the AWD student looks, for the few test examples the results page shows.

Series: per band of ``[cA_J, cD_J, ..., cD_1]`` the coefficients and their attribution-weighted values
``|c * saliency|`` (a scalogram: level x position), the positions of the coefficients the student keeps, and
each kept coefficient's contribution ``weight * c`` to the prediction. Maps: the peaks of the raw map, the
sub-filter responses read at them, the peak-count histogram, and its chi² distance to every class template;
plus the attribution-weighted coefficients of every sub-band and level.
"""

from __future__ import annotations

import numpy as np

from awd_studio.models.pipeline.student_params import band_names, map_histograms, map_peak_responses
from awd_studio.models.students.maps import chi2_predict
from awd_studio.models.students.peaks import _check_maps, _interior_peaks

__all__ = ["explain_examples", "kept_positions", "SIGNIFICANT_DIGITS"]

#: Digits kept for the per-coefficient values (figures only; they keep the bundle small).
SIGNIFICANT_DIGITS = 4


def _short(values) -> list:
    """Nested lists of floats with :data:`SIGNIFICANT_DIGITS` significant digits."""
    arr = np.asarray(values, dtype=np.float64)
    return [float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in arr.ravel()] if arr.ndim <= 1 else \
        [_short(row) for row in arr]


def kept_positions(band, k, by="signed"):
    """Positions of the ``k`` coefficients a top-k student keeps in one band, in rank order.

    Parameters
    ----------
    band : ndarray of shape (n_j,)
    k : int
    by : {"signed", "abs"}

    Returns
    -------
    list of int
        The same order as :func:`models.students.series.topk_features` (stable among equal keys).

    Examples
    --------
    >>> kept_positions(np.array([1.0, -5.0, 3.0]), 2)
    [2, 0]
    >>> kept_positions(np.array([1.0, -5.0, 3.0]), 2, by="abs")
    [1, 2]
    """
    key = -(band if by == "signed" else np.abs(band))
    return [int(i) for i in np.argsort(key, kind="stable")[:k]]


def _series_example(record, arrays, coeffs, saliency, i):
    p = record["parameters"]
    weights = {(f["band_index"], f["rank"]): f["weight"] for f in p["features"]}
    bands = []
    for b, name in enumerate(band_names(p["levels"])):
        c, a = coeffs[b][i], saliency[b][i]
        kept = list(p["positions"][b]) if p["by"] == "position" else kept_positions(c, p["k"], p["by"])
        bands.append({"band": name, "level": p["levels"] if b == 0 else p["levels"] + 1 - b, "coeffs": _short(c),
                      "weighted": _short(np.abs(c * a)), "kept": kept,
                      "contributions": [float(weights[(b, r + 1)] * c[pos]) for r, pos in enumerate(kept)]})
    return {"bands": bands}


def _subband_panels(coeffs, saliency, i, levels):
    """Attribution-weighted coefficients of one map per (sub-band, level): LL at level J, then LH, HL, HH."""
    panels = [{"band": "LL", "level": levels, "values": _short(np.abs(coeffs[0][i] * saliency[0][i]))}]
    for d, (detail, attr) in enumerate(zip(coeffs[1:], saliency[1:])):
        for name, c, a in zip(("LH", "HL", "HH"), detail, attr):
            panels.append({"band": name, "level": levels - d, "values": _short(np.abs(c[i] * a[i]))})
    return panels


def _map_example(record, arrays, x_map, coeffs, saliency, i, levels):
    p = record["parameters"]
    maps = _check_maps(x_map[None], field="X")
    rows, cols = np.nonzero(_interior_peaks(maps)[0])
    rows, cols = rows + 1, cols + 1
    patches = np.stack([maps[0, r - 1:r + 2, c - 1:c + 2].ravel() for r, c in zip(rows, cols)]) if len(rows) \
        else np.zeros((0, 9))
    responses = map_peak_responses(record, arrays, patches)
    hist = map_histograms(record, arrays, x_map[None])
    out = {"peaks": [[int(r), int(c)] for r, c in zip(rows, cols)], "responses": _short(responses),
           "histogram": hist[0].tolist(), "panels": _subband_panels(coeffs, saliency, i, levels)}
    if p["method"] == "chi2":
        labels, chi2 = chi2_predict(hist, arrays["templates"], arrays["precision"])
        out.update(chi2=chi2[0].tolist(), nearest=int(labels[0]))
    return out


def explain_examples(kind, record, arrays, X, coeffs, saliency, levels):
    """The ``explain`` section of a bundle.

    Parameters
    ----------
    kind : {"timeseries", "image"}
    record, arrays : dict
        The AWD student (:mod:`models.pipeline.student_params`).
    X : ndarray of shape (m, L) or (m, H, W)
        The raw examples.
    coeffs, saliency : list
        PyWavelets-layout coefficients of the examples as the student's transform sees them, and their
        saliencies (same layout).
    levels : int

    Returns
    -------
    dict
        ``{"kind": kind, "examples": [...]}``, one dict per example.
    """
    examples = []
    for i in range(len(X)):
        if kind == "timeseries":
            examples.append(_series_example(record, arrays, coeffs, saliency, i))
        else:
            examples.append(_map_example(record, arrays, X[i], coeffs, saliency, i, levels))
    return {"kind": kind, "examples": examples}

