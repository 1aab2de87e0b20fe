"""A fitted student written down as plain numbers, and predictions computed from those numbers alone.

The result bundle carries every student: its small settings and the meaning of its features in
``result.json`` (``students.<name>``, :func:`student_record`), its arrays in ``arrays.npz`` under
``student__<name>__<field>`` (readable with ``np.load(allow_pickle=False)``). :func:`predict_with_record`
rebuilds the prediction from them with the arithmetic of the fitted estimator, so a result predicts new data
without the objects that were fitted (nothing is pickled).

Time series (:class:`models.predictors.TopKLinearRegressor` on the coefficients of the scaled series):
feature ``f = b * k + (r - 1)`` is the r-th largest coefficient (signed, or by magnitude) of band ``b`` of
``[cA_J, cD_J, ..., cD_1]`` among those not in ``parameters.left_out`` (absent in bundles written before
2026-12-06: every coefficient), or with ``by="position"`` the coefficient at the r-th of the band's kept positions
(``parameters.positions``); ``y = intercept + sum_f weight_f * feature_f``.

Maps (:class:`models.predictors.PeakCountRegressor` on the raw maps): per map, the peaks (pixels above their 8
neighbours), a 3 x 3 filter's response read at each peak, a histogram of the responses per filter (``bins``
bins over ``bin_range``, or over ``channel_ranges``' own range for a channel the signed range widens); then the nearest class template in chi² metric (its target row is the prediction)
or a ridge model on the standardised histograms.

Scattering (:class:`models.scattering.ScatteringRegressor` with the DWT bank, option ``student: scattering``):
the learned lowpass filter ``h`` defines the whole bank; the kept paths' outputs (series: every position; maps:
their means) are standardised with ``feature_mean`` and ``feature_scale`` and a ridge head gives
``y = intercept + z @ coef``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from awd_studio.models import wavelets as _wavelets
from awd_studio.models.scattering import DWTScattering1D, DWTScattering2D
from awd_studio.models.students.maps import NEAREST_CHI2_QUANTILE, chi2_fit, chi2_predict, held_out_nearest_chi2
from awd_studio.models.students.peaks import _check_maps, _count_peaks, _kernel_matrix, _patch_responses
from awd_studio.models.students.series import MAX_POSITION_R2, position_features, topk_features
from awd_studio.models.validation import InputError

__all__ = ["SERIES_KIND", "MAPS_KIND", "SCATTERING_KIND", "array_key", "band_names", "series_record",
           "left_out_positions", "record_candidates",
           "term_variance_ratio", "redundancy", "maps_record", "scattering_record", "scattering_features",
           "predict_with_record",
           "series_coefficients", "map_histograms", "map_nearest_chi2", "map_mean_chi2", "map_peak_responses",
           "ordinal"]

#: How a series student's feature is labelled when its band has fewer positions or coefficients than ``k``: a zero
#: that is always zero, whose weight means nothing (``student.csv`` leaves it out).
PADDING = "(padding)"
SERIES_KIND = "series_topk_linear"
MAPS_KIND = "peak_count"
SCATTERING_KIND = "dwt_scattering_ridge"
#: Channel names of the map students' responses, by student.
MAP_CHANNELS = {"raw": ["peak height"], "roberts": ["Roberts cross"], "magnitude": ["LL", "detail magnitude"]}


def array_key(name: str, field: str) -> str:
    """The ``arrays.npz`` key of one student array, e.g. ``student__awd__coef``."""
    return f"student__{name}__{field}"


def band_names(levels: int) -> list[str]:
    """``["cA3", "cD3", "cD2", "cD1"]`` for ``levels=3`` (PyWavelets' order)."""
    return [f"cA{levels}"] + [f"cD{j}" for j in range(levels, 0, -1)]


def ordinal(r: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    suffix = "th" if 10 <= r % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(r % 10, "th")
    return f"{r}{suffix}"


#: A largest-coefficient feature whose coefficients read less than this share of their filter inside the series
#: (on average over the training series) is labelled as reading mostly beyond the series' ends.
LOW_IN_SERIES = 0.1


def left_out_positions(candidates):
    """The positions of each band a student never reads: those its ``candidates`` leave out.

    Parameters
    ----------
    candidates : list of array-like of bool
        One a band (:func:`models.pipeline.students.series_candidates`).

    Returns
    -------
    list of list of int

    Examples
    --------
    >>> left_out_positions([[False, True, True, False], [True, True]])
    [[0, 3], []]
    """
    return [[int(i) for i in np.flatnonzero(~np.asarray(c, dtype=bool))] for c in candidates]


def record_candidates(params, band_sizes):
    """The candidates of a stored series student, one boolean array a band, from its ``left_out``; None when it
    reads every coefficient (no ``left_out``: a bundle written before 2026-12-06, or nothing left out).

    Parameters
    ----------
    params : dict
        ``students.<name>.parameters`` of a series student.
    band_sizes : sequence of int
        The lengths of the bands it reads.

    Returns
    -------
    list of ndarray of bool, or None

    Examples
    --------
    >>> [c.tolist() for c in record_candidates({"left_out": [[0], []]}, [2, 3])]
    [[False, True], [True, True, True]]
    >>> record_candidates({"k": 6}, [2, 3]) is None
    True
    """
    left_out = params.get("left_out")
    if not left_out or not any(left_out):
        return None
    if len(left_out) != len(band_sizes) or any(i < 0 or i >= size for out, size in zip(left_out, band_sizes)
                                               for i in out):
        raise InputError("students", f"left_out {left_out} does not fit bands of {list(band_sizes)} coefficients",
                         "use the result's own arrays.npz and result.json")
    masks = [np.ones(int(size), dtype=bool) for size in band_sizes]
    for mask, out in zip(masks, left_out):
        mask[np.asarray(out, dtype=np.int64)] = False
    return masks


def term_variance_ratio(features, weights):
    """How much a linear model's terms cancel one another: the sum of the terms' variances over the variance of
    their sum (the prediction) on ``features``. About 1 for independent features, below 1 where correlated terms
    add up, far above 1 where large terms of opposite signs cancel; None for a constant prediction.

    Parameters
    ----------
    features : ndarray of shape (n, F)
        The training features the model was fitted on.
    weights : ndarray of shape (F,)

    Returns
    -------
    float or None

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500)
    >>> term_variance_ratio(np.c_[a, a + 0.01 * rng.normal(size=500)], np.array([100.0, -100.0])) > 1000
    True
    >>> round(term_variance_ratio(rng.normal(size=(500, 3)), np.array([1.0, 2.0, 3.0])), 1)
    1.0
    """
    terms = (np.asarray(features, dtype=np.float64) - np.mean(features, axis=0)) * np.asarray(weights)
    total = float(np.var(terms.sum(axis=1)))
    return float(np.var(terms, axis=0).sum() / total) if total > 0 else None


def redundancy(features):
    """How much of each feature the other features carry: the R² of each column regressed (with an intercept) on
    all the others. Near 1, the column is nearly a linear mix of the others, and a linear model's weight on it is
    not identified by the data: a ridge penalty shares the effect out among the columns of the mix.

    Computed from the inverse of the columns' correlation matrix (R²_j = 1 - 1 / (C⁻¹)_jj), with a 1e-10 ridge so
    that an exact mix reads 1 to 10 digits rather than failing.

    Parameters
    ----------
    features : ndarray of shape (n, F)

    Returns
    -------
    ndarray of shape (F,)
        In [0, 1]; NaN for a constant column (padding), which does not count among the others.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b, c = rng.normal(size=(3, 400))
    >>> np.round(redundancy(np.c_[a, b, a + b, c, np.zeros(400)]), 3)
    array([1.   , 1.   , 1.   , 0.002,   nan])
    """
    X = np.asarray(features, dtype=np.float64)
    out = np.full(X.shape[1], np.nan)
    sd = X.std(axis=0)
    live = np.flatnonzero(sd > 1e-12 * max(float(np.abs(X).max(initial=0.0)), 1e-300))
    if live.size == 0:
        return out
    if live.size == 1:
        out[live] = 0.0
        return out
    Z = (X[:, live] - X[:, live].mean(axis=0)) / sd[live]
    corr = Z.T @ Z / len(Z)
    inverse = np.linalg.inv(corr + 1e-10 * np.eye(live.size))
    out[live] = np.clip(1.0 - 1.0 / np.diag(inverse), 0.0, 1.0)
    return out


def series_record(name, model, *, h, levels, mode, length, scaling, target_column=0, in_series=None,
                  training_features=None, min_in_series=None):
    """The series student as ``(record, arrays)``: JSON-able settings and features, and its arrays.

    Parameters
    ----------
    name : str
        Its key in the bundle (``"awd"``, ``"baseline_wavelet"``...).
    model : TopKLinearRegressor
        Fitted on the coefficients of ``(X - offset) / scale`` under ``h``.
    h : array-like of shape (N,)
        The lowpass filter of its transform.
    levels : int
    mode : str
    length : int
        Series length L it accepts.
    scaling : dict
        ``{"offset": float, "scale": float}``: the input scaling before the transform.
    target_column : int, default=0
    in_series : ndarray of shape (J + 1, k), optional
        Largest-coefficient students: the share of each feature's coefficient inside the series
        (:func:`models.pipeline.students.in_series_shares`); a feature below :data:`LOW_IN_SERIES` is labelled
        "(mostly beyond the series' ends)".
    training_features : ndarray of shape (n, F), optional
        Its training features (``model._features`` of the training series' coefficients): the record then holds
        ``term_variance_ratio`` (:func:`term_variance_ratio`), and each feature its ``redundancy``
        (:func:`redundancy`).
    min_in_series : float, optional
        The least share of its filter on the series a coefficient needs to be read (the rule behind the model's
        ``candidates``), for the definition's words.

    Returns
    -------
    record : dict
        ``kind``, ``definition``, ``arrays`` (field -> npz key), ``n_params``, ``target_column`` and
        ``parameters``: ``k``, ``by``, ``levels``, ``mode``, ``length``, ``input_scaling``, ``alpha``,
        ``intercept``, ``positions`` (with ``by="position"``: the kept positions of each band), ``left_out`` (with
        ``candidates``: per band, the positions the student never reads, :func:`left_out_positions`) and ``features``
        (one dict a feature: ``index``, ``band``, ``band_index``, ``level``, ``detail``, ``rank``, ``weight``,
        ``sd`` (the feature's standard deviation on the training data, so ``|weight| * sd`` ranks the features'
        influence), ``label``, with ``by="position"`` ``position``, with ``in_series`` that share, except for
        padding: a rank its band's positions or coefficients cannot fill, labelled "cA4 (padding)"; and with
        ``training_features`` ``redundancy``, how much of it the other features carry, except for padding).
    arrays : dict of str to ndarray
        ``h`` (N,), ``coef`` (F,) or (T, F), ``intercept`` (T,).
    """
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    bands = band_names(levels)
    weights = coef if coef.ndim == 1 else coef[target_column]
    order = "largest" if model.by == "signed" else "largest |·|"
    positions = ([[int(i) for i in band] for band in model.positions_] if model.by == "position" else None)
    filled = _filled_ranks(model, len(np.ravel(h)), levels, mode, length)
    features = []
    for f, w in enumerate(weights):
        b, r = divmod(f, model.k)
        level = levels if b == 0 else levels + 1 - b
        feature = {"index": f, "band": bands[b], "band_index": b, "level": level, "detail": b > 0,
                   "rank": r + 1, "weight": float(w), "sd": float(model.feature_scale_[f]),
                   "label": f"{ordinal(r + 1)} {order} of {bands[b]}" if r < filled[b] else f"{bands[b]} {PADDING}"}
        if positions is not None:  # a fixed coefficient; a band shorter than k pads with a zero feature
            feature["position"] = positions[b][r] if r < filled[b] else None
            if r < filled[b]:
                feature["label"] = f"{bands[b]}[{positions[b][r]}]"
        if in_series is not None and r < filled[b]:
            share = float(in_series[b][r])
            feature["in_series"] = share
            if share < LOW_IN_SERIES:  # a boundary coefficient: its filter lies mostly in the zero padding
                feature["label"] += " (mostly beyond the series' ends)"
        features.append(feature)
    kept = {"signed": "largest coefficients (signed), sorted",
            "abs": "coefficients of largest magnitude (sign kept), sorted",
            "position": "coefficients at the positions whose values correlated most with the target on the "
                        "training data, the same positions for every series, passing over a position whose "
                        f"coefficient the ones kept before it carry to an R² of {MAX_POSITION_R2:g} or more"}[model.by]
    left_out = left_out_positions(model.candidates) if model.candidates is not None else None
    how_many = f"at most {model.k}" if model.by == "position" else f"the {model.k}"
    definition = (f"Transform the series (x − {scaling['offset']:.6g}) / {scaling['scale']:.6g} with the wavelet "
                  f"({levels} levels, {mode} mode); in each band [cA{levels}, cD{levels}, …, cD1] keep "
                  f"{how_many} {kept}{_left_out_words(left_out, min_in_series)}; the prediction is the intercept "
                  "plus a weight times each kept coefficient.")
    record = {
        "kind": SERIES_KIND, "definition": definition, "target_column": int(target_column),
        "n_params": int(model.n_params_),
        "arrays": {f: array_key(name, f) for f in ("h", "coef", "intercept")},
        "parameters": {"k": int(model.k), "by": model.by, "levels": int(levels), "mode": mode,
                       "length": int(length),
                       "input_scaling": {"offset": float(scaling["offset"]), "scale": float(scaling["scale"])},
                       "alpha": float(model.alpha_), "intercept": float(intercept[min(target_column, len(intercept) - 1)]),
                       "features": features},
    }
    if positions is not None:
        record["parameters"]["positions"] = positions
    if left_out is not None:
        record["parameters"]["left_out"] = left_out
    if training_features is not None:
        ratio = term_variance_ratio(training_features, weights)
        if ratio is not None:
            record["parameters"]["term_variance_ratio"] = ratio
        for feature, share in zip(features, redundancy(training_features)):
            if np.isfinite(share):  # review 51D: cA4[5] was a mix of the others to R² 1.000000, ranked 4th
                # rounded down: a fixed-positions student keeps terms up to just under the note's 0.99, and a
                # term at 0.9899997 must not read 0.99
                feature["redundancy"] = math.floor(float(share) * 1e6) / 1e6
    arrays = {"h": np.asarray(h, dtype=np.float64), "coef": coef, "intercept": intercept}
    return record, arrays


def _filled_ranks(model, filter_length, levels, mode, length):
    """How many of the ``k`` ranks of each band a fitted series student fills: its positions, or as many of the
    band's coefficients (its candidates) as there are up to ``k``; the others are padding, a zero feature."""
    if model.by == "position":
        return [len(p) for p in model.positions_]
    sizes = (_wavelets.coeff_lengths(int(length), int(filter_length), int(levels), mode) if model.candidates is None
             else [int(np.count_nonzero(c)) for c in model.candidates])
    return [min(int(model.k), size) for size in sizes]


def _left_out_words(left_out, min_in_series=None):
    """The definition's words for the coefficients a series student never reads ("" when it reads them all).

    Examples
    --------
    >>> _left_out_words([[0, 9], [], [11]], 0.01)
    ', never reading the 3 coefficients whose analysis filter has under 1 % of its energy on the series'
    >>> _left_out_words([[], []])
    ''
    """
    n = sum(len(out) for out in left_out or [])
    if not n:
        return ""
    rule = (f"has under {100 * min_in_series:g} % of its energy on the series" if min_in_series is not None
            else "lies almost wholly beyond the series' ends")
    return f", never reading the {n} coefficient{'s' if n > 1 else ''} whose analysis filter {rule}"


def _map_channels(model) -> list[str]:
    if model.response != "kernels":
        return MAP_CHANNELS[model.response]
    if isinstance(model.kernels, dict):
        return [str(k) for k in model.kernels]
    return ["Laplace"] if model.kernels is None else [f"kernel {i}" for i in range(len(model.kernels_))]


def maps_record(name, model, *, target_column=0, target_names=None, training=None):
    """The map student as ``(record, arrays)``.

    Parameters
    ----------
    name : str
    model : PeakCountRegressor
        Fitted.
    target_column : int, default=0
        The reported target column.
    target_names : list of str, optional
    training : (ndarray of shape (n, H, W), ndarray of shape (n,) or (n, T)), optional
        The training maps and target rows, for a chi² student's ``nearest_chi2_q99`` and a ridge student's
        ``mean_chi2_q99``.

    Returns
    -------
    record : dict
        ``parameters``: ``response``, ``channels`` (names, in feature order: feature ``c * bins + i`` is bin i
        of channel c), ``bins``, ``bin_range``, ``bin_edges`` (the edges over ``bin_range``: not those of a channel
        ``channel_ranges`` widens), ``method``, ``covariance``, ``kernels`` (3 x 3
        lists), ``channel_scale`` (what each channel's responses are divided by before binning: ones except for
        the ``"magnitude"`` response), ``channel_ranges`` (each channel's ``[low, high]``: ``bin_range``, or
        ``[-high, high]`` for a channel the ``signed`` range widens), ``outside_range`` (``below`` and ``above``:
        per channel, the share of the
        training peaks whose response no bin counts), ``classes`` (target rows) and ``templates`` (class mean
        histograms; chi² only), ``nearest_chi2_q99`` (chi² with ``training``: the 99th percentile over the
        training maps of the chi² to their nearest template, fitted without them,
        :func:`~models.students.maps.held_out_nearest_chi2`; what :func:`map_nearest_chi2` gives new maps is
        compared with it), ``mean_chi2_q99`` (ridge with ``training``: the same percentile of the chi² to the
        training maps' mean histogram, with their covariance, each map's fitted without it; what
        :func:`map_mean_chi2` gives new maps is compared with it), ``target_names``.
    arrays : dict of str to ndarray
        ``kernels`` (C, 3, 3); chi²: ``classes`` (K, T), ``templates`` (K, F), ``precision`` (F, F) or
        (K, F, F), ``covariance`` (its pseudo-inverse, same shape); ridge: ``ridge_coef`` (T, F),
        ``ridge_intercept`` (T,), ``feature_mean``, ``feature_scale`` (F,) and, with ``training``,
        ``training_mean_histogram`` (1, F) and ``training_precision`` (F, F) (the pseudo-inverse of the training
        histograms' covariance).
    """
    inner = model.model_
    kernels = np.asarray(model.kernels_, dtype=np.float64).reshape(-1, 3, 3)
    lo, hi = model.bin_range_
    params = {"response": model.response, "channels": _map_channels(model), "bins": int(model.bins),
              "bin_range": [float(lo), float(hi)], "bin_edges": np.linspace(lo, hi, model.bins + 1).tolist(),
              "method": model.method_, "covariance": model.covariance, "kernels": kernels.tolist(),
              "channel_scale": [float(v) for v in model.channel_scale_],
              "channel_ranges": np.asarray(model.channel_ranges_, dtype=np.float64).tolist(),
              "outside_range": {side: [float(v) for v in shares] for side, shares in model.outside_range_.items()},
              "n_outputs": int(model.n_outputs_), "target_names": list(target_names or [])}
    arrays = {"kernels": kernels}
    if model.method_ == "chi2":
        precision = np.asarray(inner.precision_, dtype=np.float64)
        covariance = (np.stack([np.linalg.pinv(p, rcond=1e-10, hermitian=True) for p in precision])
                      if precision.ndim == 3 else np.linalg.pinv(precision, rcond=1e-10, hermitian=True))
        arrays.update(classes=np.asarray(inner.classes_, dtype=np.float64),
                      templates=np.asarray(inner.means_, dtype=np.float64), precision=precision,
                      covariance=covariance)
        params["classes"] = np.asarray(inner.classes_, dtype=np.float64).tolist()
        params["templates"] = np.asarray(inner.means_, dtype=np.float64).tolist()  # small: classes x bins
        if training is not None:
            X_train, y_train = training
            held_out = held_out_nearest_chi2(model.transform(X_train), np.asarray(y_train).reshape(len(X_train), -1),
                                             model.covariance)
            params["nearest_chi2_q99"] = float(np.percentile(held_out, NEAREST_CHI2_QUANTILE))
        how = ("the prediction is the target row of the class whose mean histogram (template) is nearest in chi² "
               "metric, chi² = (x − μ_c)ᵀ P (x − μ_c), P the pseudo-inverse of the "
               f"{'pooled within-class' if precision.ndim == 2 else 'class'} covariance")
    else:
        ridge = inner.ridge_
        arrays.update(ridge_coef=np.atleast_2d(np.asarray(ridge.coef_, dtype=np.float64)),
                      ridge_intercept=np.atleast_1d(np.asarray(ridge.intercept_, dtype=np.float64)),
                      feature_mean=np.asarray(inner.mean_, dtype=np.float64),
                      feature_scale=np.asarray(inner.scale_, dtype=np.float64))
        if training is not None:  # a ridge student has no classes: how far maps lie from the training maps' mean
            features = model.transform(training[0])
            one_class = np.zeros(len(features), dtype=int)  # the chi² check's functions, every map one class
            mean_histogram, precision = chi2_fit(features, one_class, "pooled")
            arrays.update(training_mean_histogram=mean_histogram, training_precision=precision)
            held_out = held_out_nearest_chi2(features, one_class, "pooled")
            params["mean_chi2_q99"] = float(np.percentile(held_out, NEAREST_CHI2_QUANTILE))
        how = "the prediction is a ridge model on the standardised histograms"
    what = {"kernels": f"the 3 × 3 filters {', '.join(params['channels'])} read (correlated) at the peak",
            "raw": "the peak height", "roberts": "the Roberts-cross response at the peak",
            "magnitude": ("two numbers read at the peak through the 3 × 3 sub-filters (correlated): the LL "
                          "response and the detail magnitude sqrt(LH² + HL² + HH²), each divided by the 99th "
                          "percentile of its positive responses at the training peaks ("
                          + ", ".join(f"{v:.4g}" for v in model.channel_scale_) + ")")}[model.response]
    definition = (f"Find the peaks of each raw map (pixels above their 8 neighbours); histogram {what} in "
                  f"{model.bins} bins per channel over {_ranges_words(params)}; {how}.{_outside_words(params)}")
    record = {"kind": MAPS_KIND, "definition": definition, "target_column": int(target_column),
              "n_params": int(getattr(model, "n_params_", 0)),
              "arrays": {f: array_key(name, f) for f in arrays}, "parameters": params}
    return record, arrays


def scattering_record(name, model, *, n_params, scaling=None, target_column=0):
    """The DWT scattering student as ``(record, arrays)``.

    Parameters
    ----------
    name : str
        Its key in the bundle (``"scattering"``).
    model : ScatteringRegressor
        Fitted with ``bank="dwt"`` on the reported target column (one output).
    n_params : int
        Its learned numbers as its scores count them (filter parameters and head,
        :func:`models.scattering.scattering_summary`).
    scaling : dict or None
        ``{"offset", "scale"}`` applied to series before the transform; None for maps (read raw).
    target_column : int, default=0
        The column of the model's outputs that is reported (it is fitted on the reported target alone, as the
        series students are).

    Returns
    -------
    record : dict
        ``kind`` (:data:`SCATTERING_KIND`), ``definition``, ``arrays``, ``n_params``, ``target_column`` and
        ``parameters``: ``J``, ``max_order``, ``pooling``, ``shape``, ``paths`` (lists of filter indices),
        ``dtype``, ``input_scaling`` (None for maps), ``alpha``.
    arrays : dict
        ``h`` and ``h_init`` (N,), ``coef`` (F,), ``intercept`` (1,), ``feature_mean`` and ``feature_scale`` (F,).
    """
    if model.bank != "dwt":
        raise ValueError(f"model: only the DWT bank is written down (its filter is one lowpass), got {model.bank!r}")
    coef = np.asarray(model.coef_, dtype=np.float64).reshape(-1)
    arrays = {"h": np.asarray(model.filters_["h"], dtype=np.float64),
              "h_init": np.asarray(model.filters_init_["h"], dtype=np.float64), "coef": coef,
              "intercept": np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64)).reshape(-1)[:1],
              "feature_mean": np.asarray(model.feature_mean_, dtype=np.float64).reshape(-1),
              "feature_scale": np.asarray(model.feature_scale_, dtype=np.float64).reshape(-1)}
    shape = [int(s) for s in model.signal_shape_]
    series = len(shape) == 1
    pooled = "the mean of each path's output over the map" if model.pooling == "mean" else "every output position"
    scaled_input = (f"the series (x − {scaling['offset']:.6g}) / {scaling['scale']:.6g}" if scaling is not None
                    else "the raw map")
    kind = "orthogonal" if model.parametrization == "orthogonal" else "free-filter"
    definition = (f"Scatter {scaled_input} with the learned {kind} wavelet ({model.J} levels, orders up to "
                  f"{model.max_order}, {len(model.paths_)} paths kept of {len(model.all_paths_)}); take "
                  f"{pooled} as features, standardise them, and predict the intercept plus a ridge weight times "
                  "each feature.")
    record = {
        "kind": SCATTERING_KIND, "definition": definition, "target_column": int(target_column),
        "n_params": int(n_params),
        "arrays": {f: array_key(name, f) for f in arrays},
        "parameters": {"J": int(model.J), "max_order": int(model.max_order), "pooling": model.pooling,
                       "shape": shape, "paths": [[int(i) for i in path] for path in model.paths_],
                       "dtype": model.dtype, "alpha": float(model.alpha_),
                       "input_scaling": ({"offset": float(scaling["offset"]), "scale": float(scaling["scale"])}
                                         if series and scaling is not None else None)},
    }
    return record, arrays


def scattering_features(record, arrays, X):
    """The (n, F) features the scattering student's head reads (before standardisation), for raw inputs X."""
    p = record["parameters"]
    shape = tuple(p["shape"])
    X = np.asarray(X)
    if X.ndim == len(shape):
        X = X[None]
    if tuple(X.shape[1:]) != shape:
        raise InputError("X", f"has shape {X.shape}", f"pass inputs shaped (n, {', '.join(map(str, shape))}) like "
                                                        "the training data")
    if not np.isfinite(X).all():
        raise InputError("X", "contains NaN or infinite values", "pass finite inputs")
    if p.get("input_scaling") is not None:
        X = _scaled(X, p["input_scaling"])
    dtype = torch.float64 if p["dtype"] == "float64" else torch.float32
    bank = DWTScattering1D if len(shape) == 1 else DWTScattering2D
    transform = bank(shape[0] if len(shape) == 1 else shape, p["J"], h0=arrays["h"], max_order=p["max_order"],
                     parametrization="free", learn=False, paths=[tuple(path) for path in p["paths"]], dtype=dtype)
    out = []
    with torch.no_grad():
        for start in range(0, len(X), 256):
            s = transform(torch.as_tensor(X[start:start + 256], dtype=dtype))
            out.append((s.flatten(2).mean(dim=2) if p["pooling"] == "mean" else s.flatten(1)).numpy())
    return np.concatenate(out).astype(np.float64)


def _scaled(X, scaling):
    """``(X - offset) / scale`` as the pipeline computes it (float32 kept for float32 input)."""
    X = np.asarray(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return ((X - scaling["offset"]) / scaling["scale"]).astype(dtype, copy=False)


def series_coefficients(record, arrays, X):
    """The coefficient list ``[cA_J, ..., cD_1]`` (float64) the series student reads, for raw series X (n, L)."""
    p = record["parameters"]
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[None]
    if X.ndim != 2 or X.shape[1] != p["length"]:
        raise InputError("X", f"has shape {X.shape}", f"pass series shaped (n, {p['length']}) like the training data")
    if not np.isfinite(X).all():
        raise InputError("X", "contains NaN or infinite values", "pass finite series")
    x = torch.as_tensor(_scaled(X, p["input_scaling"]), dtype=torch.float64)
    h = torch.as_tensor(arrays["h"], dtype=torch.float64)
    with torch.no_grad():
        return [c.numpy() for c in _wavelets.wavedec1d(x, h, p["levels"], p["mode"])]


def _ranges_words(params):
    """The histogram ranges of a map student's channels in words: one range for all, or each channel's.

    Examples
    --------
    >>> _ranges_words({"channels": ["LL", "detail magnitude"], "bin_range": [0.0, 1.4]})
    '[0, 1.4]'
    >>> _ranges_words({"channels": ["LL", "detail magnitude"], "bin_range": [0.0, 1.4],
    ...                "channel_ranges": [[-1.4, 1.4], [0.0, 1.4]]})
    '[-1.4, 1.4] (LL), [0, 1.4] (detail magnitude)'
    """
    ranges = params.get("channel_ranges") or [params["bin_range"]] * len(params["channels"])
    if all(list(r) == list(ranges[0]) for r in ranges):
        return f"[{ranges[0][0]:.4g}, {ranges[0][1]:.4g}]"
    return ", ".join(f"[{lo:.4g}, {hi:.4g}] ({name})" for (lo, hi), name in zip(ranges, params["channels"]))


#: A channel's share of the training peaks outside its bins that the student's definition names (the results page
#: names every share; review 42B: a terminal user never learnt that 39 % of the LL responses were in no bin).
OUTSIDE_NAMED_SHARE = 0.01


def _outside_words(params):
    """The sentence a map student's definition ends with when a channel's bins leave out at least
    :data:`OUTSIDE_NAMED_SHARE` of the training peaks' responses (below or above its range), else "".

    Examples
    --------
    >>> _outside_words({"channels": ["LL", "detail magnitude"], "outside_range": {"below": [0.391, 0.0],
    ...                                                                         "above": [0.004, 0.012]}})
    ' Not counted, being outside the bins: of the training peaks, LL 39.1 % below; detail magnitude 1.2 % above.'
    >>> _outside_words({"channels": ["LL"], "outside_range": {"below": [0.002], "above": [0.0]}})
    ''
    """
    outside = params.get("outside_range") or {}
    parts = []
    for k, name in enumerate(params.get("channels") or []):
        sides = [f"{100 * shares[k]:.1f} % {side}" for side in ("below", "above")
                 if k < len(shares := outside.get(side) or []) and shares[k] >= OUTSIDE_NAMED_SHARE]
        if sides:
            parts.append(f"{name} {', '.join(sides)}")
    return f" Not counted, being outside the bins: of the training peaks, {'; '.join(parts)}." if parts else ""


def map_histograms(record, arrays, X):
    """The (n, F) peak histograms the map student reads, for raw maps X (n, H, W)."""
    p = record["parameters"]
    maps = _check_maps(X, field="X", keep_float32=True)
    ranges = p.get("channel_ranges")  # bundles before the signed range have one range for every channel
    lows = None if ranges is None else [low for low, _ in ranges]
    return _count_peaks(maps, _map_kernel_columns(record, arrays), p["response"], tuple(p["bin_range"]), p["bins"],
                        p.get("channel_scale"), lows)  # bundles before the "magnitude" response carry no scale


def _map_kernel_columns(record, arrays):
    """The (9, C) kernel matrix of a stored map student (``None`` for the fixed responses)."""
    if record["parameters"]["response"] not in ("kernels", "magnitude"):
        return None
    return _kernel_matrix([k for k in np.asarray(arrays["kernels"], dtype=np.float64)])


def map_nearest_chi2(record, arrays, X):
    """(n,) chi² of each raw map X (n, H, W) to the nearest class template of a stored chi² map student."""
    _, chi2 = chi2_predict(map_histograms(record, arrays, X), arrays["templates"], arrays["precision"])
    return chi2.min(axis=1)


def map_mean_chi2(record, arrays, X):
    """(n,) chi² of each raw map X (n, H, W) to the training maps' mean histogram of a stored ridge map student,
    ``(x − μ)ᵀ P (x − μ)`` with ``P`` the pseudo-inverse of the training histograms' covariance (its
    ``training_mean_histogram`` and ``training_precision``)."""
    _, chi2 = chi2_predict(map_histograms(record, arrays, X), arrays["training_mean_histogram"],
                           arrays["training_precision"])
    return chi2[:, 0]


def map_peak_responses(record, arrays, patches):
    """(n_peaks, C) responses the map student bins (divided by ``channel_scale``), at peaks given as (n_peaks, 9)
    rows of 3 x 3 patches."""
    p = record["parameters"]
    values = _patch_responses(patches, p["response"], _map_kernel_columns(record, arrays))
    if p.get("channel_scale") is not None:
        values = values / np.asarray(p["channel_scale"], dtype=np.float64)[:, None]
    return values.T


def predict_with_record(record, arrays, X, *, all_columns=False):
    """Predictions of a stored student on raw inputs, from its record and arrays alone.

    Parameters
    ----------
    record : dict
        ``students.<name>`` of a bundle.
    arrays : dict of str to ndarray
        Its arrays by field (``{field: npz[record["arrays"][field]]}``).
    X : array-like of shape (n, L) or (n, H, W)
        Raw inputs in the units of the training data.
    all_columns : bool, default=False
        Give every target column (maps' class rows) instead of the reported one.

    Returns
    -------
    ndarray of shape (n,), or (n, T) with ``all_columns``
    """
    if record["kind"] == SERIES_KIND:
        p = record["parameters"]
        coeffs = series_coefficients(record, arrays, X)
        features = (position_features(coeffs, p["positions"], p["k"]) if p["by"] == "position"
                    else topk_features(coeffs, p["k"], p["by"], record_candidates(p, [c.shape[1] for c in coeffs])))
        coef, intercept = arrays["coef"], arrays["intercept"]
        pred = features @ coef.T + (intercept[0] if coef.ndim == 1 else intercept)
    elif record["kind"] == MAPS_KIND:
        features = map_histograms(record, arrays, X)
        if record["parameters"]["method"] == "chi2":
            labels, _ = chi2_predict(features, arrays["templates"], arrays["precision"])
            pred = arrays["classes"][labels]
        else:
            z = (features - arrays["feature_mean"]) / arrays["feature_scale"]
            pred = z @ arrays["ridge_coef"].T + arrays["ridge_intercept"]
    elif record["kind"] == SCATTERING_KIND:
        features = scattering_features(record, arrays, X)
        z = (features - arrays["feature_mean"]) / arrays["feature_scale"]
        pred = z @ arrays["coef"] + arrays["intercept"][0]  # the reported column only (one output)
    else:
        raise InputError("students", f"unknown student kind {record['kind']!r}",
                         "use a result written by this version of AWD Studio")
    pred = np.asarray(pred, dtype=np.float64).reshape(len(features), -1)
    if all_columns:
        return pred
    return pred[:, record["target_column"]] if pred.shape[1] > 1 else pred[:, 0]
