"""The interpretable students of a job, built for one filter: what they read, how they are fitted and scored.

Time series: the top-k coefficients per band of the scaled series, and a linear model
(:class:`models.predictors.TopKLinearRegressor`). Maps: peak counts under the filter's 3 x 3 sub-filters, and a
chi-square or ridge model (:class:`models.predictors.PeakCountRegressor`), with the fixed-kernel baselines
(Laplace, Roberts cross, raw peak heights).
"""

import numpy as np
import torch

from awd_studio.models import filters as _filters
from awd_studio.models import metrics as _metrics
from awd_studio.models import predictors as _predictors
from awd_studio.models import wavelets as _wavelets
from awd_studio.models.analysis_weights import in_input_shares
from awd_studio.models.attributions import gradient_batch_size, trim_attributions
from awd_studio.models.distill import TransformOperator
from awd_studio.models.pipeline.model_registry import MAP_BASELINES
from awd_studio.models.pipeline.scaling import scaled

__all__ = ["coefficients", "flatten_coefficients", "unflatten_like", "student_alpha", "peak_student",
           "wavelet_peak_student", "series_student", "student", "in_series_shares", "series_candidates",
           "MIN_IN_SERIES", "saliency", "score_model", "column"]

#: A coefficient whose analysis filter has less than this share of its energy inside the series is never read by
#: the series student (:func:`series_candidates`), neither as one of the fixed-positions student's positions nor as
#: one of a series' largest: it reads the series with a gain below 0.1, mostly the zero padding past its ends, and
#: standardising its small values gave it weights of 1e4 to 6e6.
#: A learned filter that ended near haar with taps of 1e-4 elsewhere made its coefficients beyond haar's reach
#: (shares of 1e-6 or less) the student's main terms (review 24B). A rule on the coefficients' SD instead (below 1 % of
#: their band's largest) also dropped the informative coefficients of a quiet stretch of the series (review 25B:
#: test R² 0.90 to 0.00); this one reads the filter, not the data. The largest-coefficient student reads the
#: same candidates since 2026-12-06 (review 39B: its lead over db5 on the CME example rested on 10 terms reading the
#: padding; docs/science.md, "Time-series student").
MIN_IN_SERIES = 0.01


def coefficients(X, h, config):
    """PyWavelets-layout coefficients (numpy, float64) of X under one filter, in the config's mode and levels."""
    x = torch.as_tensor(X, dtype=torch.float64)
    ht = torch.as_tensor(h, dtype=torch.float64)
    with torch.no_grad():
        if x.ndim == 2:
            return [c.numpy() for c in _wavelets.wavedec1d(x, ht, config.levels, config.mode)]
        coeffs = _wavelets.wavedec2d(x, ht, config.levels, config.mode)
        return [coeffs[0].numpy()] + [tuple(d.numpy() for d in detail) for detail in coeffs[1:]]


def flatten_coefficients(coeffs):
    """PyWavelets-layout coefficients as one array of shape (n, M), bands in layout order."""
    parts = []
    for c in coeffs:
        if isinstance(c, tuple):
            parts.extend(d.reshape(len(d), -1) for d in c)
        else:
            parts.append(c.reshape(len(c), -1))
    return np.concatenate(parts, axis=1)


def student_alpha(config):
    """The series student's penalty: chosen by cross-validation, or none (OLS)."""
    return "cv" if config.student_penalty == "cv" else None


def peak_student(config, kernels=None, response="kernels"):
    """An unfitted map student; its classes are full target rows, ``bin_max`` chosen on the reported column, its
    range from 0 or signed as ``peak_range`` says (a channel never below 0 at a peak keeps ``[0, b]``)."""
    return _predictors.PeakCountRegressor(kernels=kernels, response=response, covariance=config.peak_covariance,
                                          signed=config.peak_range == "signed", score_column=config.target)


#: The fixed 3 x 3 kernels a map baseline may name (``{"kernel": name}`` in
#: :data:`models.pipeline.model_registry.MAP_BASELINES`).
NAMED_KERNELS = {"laplace": _predictors.LAPLACE_KERNEL}


def baseline_student(config, name):
    """The unfitted peak-count student of the fixed map baseline ``name`` (a key of
    :data:`models.pipeline.model_registry.MAP_BASELINES`: ``"laplace"``, ``"roberts_cross"``, ``"peak_heights"``).

    Examples
    --------
    >>> from awd_studio.models.options import PipelineConfig
    >>> baseline_student(PipelineConfig(), "roberts_cross").response
    'roberts'
    """
    spec = MAP_BASELINES[name]
    if "kernel" in spec:
        return peak_student(config, kernels={spec["kernel"]: NAMED_KERNELS[spec["kernel"]]})
    return peak_student(config, response=spec["response"])


def wavelet_peak_student(config, h):
    """The unfitted map student of lowpass filter h: its 3 x 3 sub-filters read at the peaks, as the config's
    ``peak_response`` says (``"kernels"``: the four responses, the paper's; ``"magnitude"``: the LL response
    and the detail magnitude)."""
    return peak_student(config, kernels=_filters.subfilters_3x3(h), response=str(config.peak_response))


def series_student(config, h=None, length=None):
    """The unfitted series student of a config: ``top_k`` coefficients per band, the largest (signed) or at the
    positions that correlate most with the target (``series_features``), and the config's penalty. Filter ``h`` and
    the series' ``length`` give the coefficients it may read, either kind (:func:`series_candidates`; all without
    them)."""
    by = "position" if config.series_features == "positions" else "signed"
    candidates = series_candidates(h, length, config) if h is not None and length else None
    return _predictors.TopKLinearRegressor(k=config.top_k, by=by, alpha=student_alpha(config), candidates=candidates)


def series_candidates(h, length, config):
    """The coefficients the series student may read under filter ``h`` (the fixed-positions student's positions,
    the largest-coefficient student's pool): per band, those whose coefficient's analysis filter has at least
    :data:`MIN_IN_SERIES` of its energy inside a series of ``length`` samples.

    Returns
    -------
    list of ndarray of bool
        PyWavelets layout ``[cA_J, cD_J, ..., cD_1]``; all True in periodization mode.

    Examples
    --------
    >>> from awd_studio.models.pipeline.config import PipelineConfig
    >>> near_haar = [1e-4, -1e-4, 0.7071, 0.7071]  # one coefficient of each band reads only the taps of 1e-4
    >>> [c.tolist() for c in series_candidates(near_haar, 8, PipelineConfig.from_dict({"levels": 1,
    ...                                                                                 "mode": "zero"}))]
    [[True, True, True, True, False], [False, True, True, True, True]]
    """
    return [share >= MIN_IN_SERIES for share in in_input_shares(h, int(length), config.levels, config.mode)]


def student(kind, h, config, scaling, length=None):
    """An unfitted student for filter h, a function mapping raw X to its input, and one turning the fitted
    student into the deployed predictor (raw X to prediction; ``None``: ``student.predict`` on its input);
    ``length``: the series' length (the coefficients the series student may read, :func:`series_candidates`).

    Time series: k coefficients per band of the scaled series (``(x - offset) / scale``, the teacher's
    scaling), the largest or at fixed positions (``series_features``, :func:`series_student`); the deployed
    predictor takes raw series. Maps: peak counting on the raw maps (convergence units).
    """
    if kind == "timeseries":
        model = series_student(config, h, length)

        def deploy(fitted, length):
            return _predictors.SeriesPredictor.from_filter(fitted, h, length, config.levels, config.mode,
                                                           x_offset=scaling["offset"],
                                                           x_scale=scaling["scale"]).predict

        return model, (lambda X: coefficients(scaled(X, scaling), h, config)), deploy
    return wavelet_peak_student(config, h), (lambda X: X), None


def column(pred, target, n):
    """Column ``target`` of predictions with one or several outputs, shape (n,)."""
    pred = np.asarray(pred, dtype=float).reshape(n, -1)
    return pred[:, target] if pred.shape[1] > 1 else pred[:, 0]


def in_series_shares(X, h, config, k, by="signed", bands=None, positions=None, candidates=None):
    """How much of the series each feature reads: for each band and rank, the share of the coefficient's (unit)
    analysis filter that falls inside the series, shape ``(J + 1, k)``; for the largest coefficients the mean
    over ``X``, for fixed positions the share of the coefficient at each.

    In zero and symmetric modes a coarse band's boundary coefficients fall mostly beyond the series' ends; their
    values are then small, and a band with fewer large coefficients than ``k`` fills its last ranks with them
    (review 15: weights of 20 on cA4 ranks 4-6, coefficients reading 0.1-0.7 % of their filter's energy). A student
    reading only candidates (:func:`series_candidates`) never reads those under :data:`MIN_IN_SERIES`.

    Parameters
    ----------
    X : ndarray of shape (n, L)
        Scaled series (what the student reads).
    h : array-like of shape (N,)
    config : PipelineConfig
        ``levels`` and ``mode``.
    k : int
    by : {"signed", "abs", "position"}
        The student's ordering (:func:`models.students.series.topk_features`), or fixed positions.
    bands : list of ndarray, optional
        The coefficients of ``X`` under ``h`` (:func:`coefficients`), when the caller has them already.
    positions : list of array-like of int, optional
        With ``by="position"``: the student's positions of each band (``positions_``); only ``X``'s length is read.
    candidates : list of array-like of bool, optional
        The largest coefficients: the student's candidates of each band (its ``candidates``; all when None).

    Returns
    -------
    ndarray of shape (J + 1, k)
        In [0, 1]; a rank a band cannot fill (fewer than ``k`` coefficients or candidates) is 0.
    """
    energies = in_input_shares(h, X.shape[1], config.levels, config.mode)  # (n_j,) per band
    if by == "position":  # review 24B: the fixed-positions student's boundary terms carried no tag
        shares = np.zeros((len(energies), k))
        for b, (where, energy) in enumerate(zip(positions, energies)):
            where = np.asarray(where, dtype=np.int64)
            shares[b, :len(where)] = energy[where]
        return shares
    bands = coefficients(X, h, config) if bands is None else bands
    if candidates is not None:  # the ranks are taken among the candidates: their coefficients and shares
        bands = _predictors.candidate_columns(bands, candidates)
        energies = [energy[np.asarray(c, dtype=bool)] for energy, c in zip(energies, candidates)]
    shares = np.zeros((len(bands), k))
    for b, (band, energy) in enumerate(zip(bands, energies)):
        keys = -band if by == "signed" else -np.abs(band)
        order = np.argsort(keys, axis=1, kind="stable")[:, :k]
        shares[b, :order.shape[1]] = energy[order].mean(axis=0)
    return shares


def saliency(teacher, X, h, config, target, batch_size=256):
    """Saliency of each coefficient (flat, PyWavelets order) under filter h: shape (n, M).

    ``batch_size`` is an upper bound (:func:`models.attributions.gradient_batch_size` bounds the memory).
    """
    x_all = torch.as_tensor(X, dtype=torch.float32)
    ht = torch.as_tensor(np.asarray(h)[None], dtype=torch.float32)
    batch_size = gradient_batch_size(x_all.shape[1:], batch_size)
    out = []
    for start in range(0, len(x_all), batch_size):
        xb = x_all[start:start + batch_size]
        op = TransformOperator(ht, xb.shape[1:], config.levels, config.mode)
        with torch.enable_grad():
            c = op.analysis(xb)
            attr = trim_attributions(teacher, xb, c, op.synthesis, "saliency", target, create_graph=False)
        out.append(TransformOperator.flatten(attr)[0].detach().double().numpy())
    return np.concatenate(out)


def unflatten_like(flat, template):
    """The inverse of :func:`flatten_coefficients`, shaped like ``template``."""
    out, start = [], 0
    for c in template:
        if isinstance(c, tuple):
            parts = []
            for d in c:
                size = d[0].size
                parts.append(flat[:, start:start + size].reshape((len(flat),) + d.shape[1:]))
                start += size
            out.append(tuple(parts))
        else:
            size = c[0].size
            out.append(flat[:, start:start + size].reshape((len(flat),) + c.shape[1:]))
            start += size
    return out


def score_model(model, make_input, X_train, y_fit, X_test, y_test, target, n_filter_params, coeffs_test=None,
                 saliency_test=None, deploy=None, test_groups=None, y_test_all=None, target_names=None):
    """Fit a student, score it on the test split and time its deployed predictor on raw test inputs.

    ``y_fit`` may hold every target column (the map student's classes are full rows); the reported column
    is ``target``. ``test_groups`` (the map of each test tile) makes the RMSE's bootstrap SD resample whole maps.
    With ``y_test_all`` of several columns and a student that predicts them all, ``test.by_target`` scores each
    column (named by ``target_names``).
    """
    model.fit(make_input(X_train), y_fit)
    full = np.asarray(model.predict(make_input(X_test)))
    y_pred = column(full, target, len(y_test))
    predict = (lambda X: model.predict(make_input(X))) if deploy is None else deploy(model, X_test.shape[1])
    seconds = _metrics.seconds_per_sample(predict, X_test)
    entry = {
        "test": {"r2": float(_metrics.r2_score(y_test, y_pred)), "rmse": float(_metrics.rmse(y_test, y_pred)),
                 "rmse_sd": float(_metrics.bootstrap_rmse_sd(y_test, y_pred, seed=0, groups=test_groups))},
        "compression_factor": (None if coeffs_test is None else
                               float(_metrics.compression_factor(coeffs_test, saliency_test,
                                                                    relative=True))),
        "n_params": int(n_filter_params + getattr(model, "n_params_", 0)),
        "predict_seconds_per_sample": float(seconds),
    }
    if y_test_all is not None and np.ndim(y_test_all) == 2 and y_test_all.shape[1] > 1 and full.shape == np.shape(
            y_test_all):  # review 28A: the map student predicts every parameter; the bundle scored one
        names = list(target_names or []) + [f"y{k}" for k in range(len(target_names or []), y_test_all.shape[1])]
        entry["test"]["by_target"] = [
            {"name": str(names[k]),  # R² undefined on a column of one value (review 29A: shown as 1.000 or 0.000)
             "r2": None if np.ptp(y_test_all[:, k]) == 0 else float(_metrics.r2_score(y_test_all[:, k], full[:, k])),
             "rmse": float(_metrics.rmse(y_test_all[:, k], full[:, k]))} for k in range(y_test_all.shape[1])]
    return entry, y_pred


