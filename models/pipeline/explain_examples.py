"""Where and at which scale the AWD student looks, for the few test examples the results page shows.

Series: per band of ``[cA_J, cD_J, ..., cD_1]`` the coefficients and their attribution-weighted values
``|c * saliency|`` (a scalogram: level x position), the positions of the coefficients the student keeps, and
each kept coefficient's contribution ``weight * c`` to the prediction. Maps: the peaks of the raw map, the
sub-filter responses read at them, the peak-count histogram, and its chi² distance to every class template;
plus the attribution-weighted coefficients of every sub-band and level. ``centres`` (when the filter and mode
are given) says where in the input each coefficient reads: its energy centroid (:mod:`models.analysis_weights`),
the same for every example, which the figures draw each coefficient around.
"""

from __future__ import annotations

import numpy as np

from awd_studio.models.analysis_weights import band_centroids, in_input_shares, level_centroids
from awd_studio.models.pipeline.student_params import (
    band_names,
    map_histograms,
    map_peak_responses,
    record_candidates,
)
from awd_studio.models.students.maps import chi2_predict
from awd_studio.models.students.peaks import _check_maps, _interior_peaks

__all__ = ["explain_examples", "coefficient_centres", "coefficient_in_series", "kept_positions",
           "SIGNIFICANT_DIGITS", "CENTRE_DECIMALS"]

#: Digits kept for the per-coefficient values (figures only; they keep the bundle small).
SIGNIFICANT_DIGITS = 4
#: Decimals kept for the coefficients' centres (in samples or pixels).
CENTRE_DECIMALS = 3


def _short(values) -> list:
    """Nested lists of floats with :data:`SIGNIFICANT_DIGITS` significant digits."""
    arr = np.asarray(values, dtype=np.float64)
    return [float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in arr.ravel()] if arr.ndim <= 1 else \
        [_short(row) for row in arr]


def kept_positions(band, k, by="signed", candidates=None):
    """Positions of the ``k`` coefficients a top-k student keeps in one band, in rank order.

    Parameters
    ----------
    band : ndarray of shape (n_j,)
    k : int
    by : {"signed", "abs"}
    candidates : array-like of bool of shape (n_j,), optional
        The band's coefficients the student may read (all when None).

    Returns
    -------
    list of int
        The same order as :func:`models.students.series.topk_features` (stable among equal keys); positions in
        the whole band.

    Examples
    --------
    >>> kept_positions(np.array([1.0, -5.0, 3.0]), 2)
    [2, 0]
    >>> kept_positions(np.array([1.0, -5.0, 3.0]), 2, by="abs")
    [1, 2]
    >>> kept_positions(np.array([1.0, -5.0, 3.0]), 2, candidates=[True, True, False])
    [0, 1]
    """
    key = -(band if by == "signed" else np.abs(band))
    order = np.argsort(key, kind="stable")
    if candidates is not None:
        order = order[np.asarray(candidates, dtype=bool)[order]]
    return [int(i) for i in order[:k]]


def _series_example(record, arrays, coeffs, saliency, i):
    p = record["parameters"]
    weights = {(f["band_index"], f["rank"]): f["weight"] for f in p["features"]}
    candidates = record_candidates(p, [np.shape(band)[1] for band in coeffs]) or [None] * len(coeffs)
    bands = []
    for b, name in enumerate(band_names(p["levels"])):
        c, a = coeffs[b][i], saliency[b][i]
        kept = (list(p["positions"][b]) if p["by"] == "position" else
                kept_positions(c, p["k"], p["by"], candidates[b]))
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


def _positions(values) -> list:
    return [round(float(v), CENTRE_DECIMALS) for v in values]


def coefficient_centres(kind, h, shape, levels, mode):
    """Where each coefficient the figures draw reads the input: its energy centroid, in samples or pixels.

    Parameters
    ----------
    kind : {"timeseries", "image"}
    h : array-like of shape (N,)
        The lowpass filter of the shown model's wavelet.
    shape : tuple of int
        ``(L,)`` for series, ``(H, W)`` for maps.
    levels : int
    mode : {"periodization", "zero", "symmetric"}

    Returns
    -------
    dict
        Series: ``{"cA3": [...], "cD3": [...], ..., "cD1": [...]}`` (J = 3), one centre per coefficient (names of
        :func:`models.pipeline.student_params.band_names`). Maps: one entry per sub-band panel, keyed
        ``f"{band}{level}"`` (``"LL3"``, ``"LH3"``, ...), ``{"rows": [...], "cols": [...]}``: the centres of
        the panel's rows along the map's height and of its columns along its width (the transform is
        separable). In periodization a centre lies in ``[-0.5, L - 0.5)``; see
        :func:`models.analysis_weights.energy_centroids`.

    Examples
    --------
    >>> haar = [2 ** -0.5, 2 ** -0.5]
    >>> coefficient_centres("timeseries", haar, (8,), 2, "periodization")
    {'cA2': [1.5, 5.5], 'cD2': [1.5, 5.5], 'cD1': [0.5, 2.5, 4.5, 6.5]}
    """
    if kind == "timeseries":
        return {name: _positions(c) for name, c in zip(band_names(levels),
                                                       band_centroids(h, int(shape[-1]), levels, mode))}
    rows, cols = (level_centroids(h, int(size), levels, mode) for size in shape[-2:])
    (row_a, _), (col_a, _) = rows[-1], cols[-1]
    out = {f"LL{levels}": {"rows": _positions(row_a), "cols": _positions(col_a)}}
    for level in range(levels, 0, -1):
        (row_a, row_d), (col_a, col_d) = rows[level - 1], cols[level - 1]
        # cH highpasses along rows, cV along columns (models.wavelets' layout; the panels call them LH, HL)
        for band, along_rows, along_cols in (("LH", row_d, col_a), ("HL", row_a, col_d), ("HH", row_d, col_d)):
            out[f"{band}{level}"] = {"rows": _positions(along_rows), "cols": _positions(along_cols)}
    return out


def coefficient_in_series(h, length, levels, mode):
    """How much of each series coefficient's (unit-energy) analysis filter falls on the series.

    In zero and symmetric modes a band's boundary coefficients read partly beyond the series' ends (padding);
    their share here is below 1. It is the per-coefficient counterpart of the student table's in-series share
    (:func:`models.pipeline.students.in_series_shares`, the mean over the training series of a rank's).

    Parameters
    ----------
    h : array-like of shape (N,)
    length : int
    levels : int
    mode : {"periodization", "zero", "symmetric"}

    Returns
    -------
    dict
        ``{"cA3": [...], "cD3": [...], ...}`` (names of :func:`models.pipeline.student_params.band_names`), each
        coefficient's share in [0, 1], rounded to 3 decimals (1 for every coefficient in periodization).

    Examples
    --------
    >>> haar = [2 ** -0.5, 2 ** -0.5]
    >>> coefficient_in_series(haar, 8, 1, "zero")  # Haar's filters never reach beyond an even series
    {'cA1': [1.0, 1.0, 1.0, 1.0], 'cD1': [1.0, 1.0, 1.0, 1.0]}
    >>> db2 = [0.48296291, 0.83651630, 0.22414387, -0.12940952]
    >>> coefficient_in_series(db2, 8, 1, "zero")["cA1"]  # the first coefficient reads 7 % of its filter
    [0.067, 1.0, 1.0, 1.0, 0.933]
    """
    return {name: [round(float(v), 3) for v in shares]
            for name, shares in zip(band_names(levels), in_input_shares(h, int(length), levels, mode))}


def explain_examples(kind, record, arrays, X, coeffs, saliency, levels, h=None, mode=None):
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
    h : array-like of shape (N,), optional
        The lowpass filter of the coefficients' wavelet, and
    mode : {"periodization", "zero", "symmetric"}, optional
        their boundary mode: with both, the section also holds ``centres`` (:func:`coefficient_centres`), and for
        series in zero or symmetric mode ``in_series`` (:func:`coefficient_in_series`).

    Returns
    -------
    dict
        ``{"kind": kind, "examples": [...]}``, one dict per example, and ``centres`` when ``h`` and ``mode``
        are given.
    """
    examples = []
    for i in range(len(X)):
        if kind == "timeseries":
            examples.append(_series_example(record, arrays, coeffs, saliency, i))
        else:
            examples.append(_map_example(record, arrays, X[i], coeffs, saliency, i, levels))
    out = {"kind": kind, "examples": examples}
    if h is not None and mode is not None:
        out["centres"] = coefficient_centres(kind, h, np.shape(X)[1:], levels, mode)
        if kind == "timeseries" and mode != "periodization":  # boundary coefficients that read mostly padding
            out["in_series"] = coefficient_in_series(h, np.shape(X)[-1], levels, mode)
    return out

