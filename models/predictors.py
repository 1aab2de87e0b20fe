"""Interpretable students: top-k wavelet coefficients per scale with a linear model, and peak counting.

Time-series student (docs/science-students.md, "Time-series student"): per band of a PyWavelets-layout
coefficient list ``[cA_J, cD_J, ..., cD_1]`` keep the ``k`` largest coefficients, concatenate the
``(J + 1) * k`` features, standardise them and fit a ridge model with a cross-validated penalty, or ordinary
least squares (:class:`TopKLinearRegressor`).

Map student (docs/science-students.md, "Map student", after Ribli et al. 2019): find the peaks of each raw map
(pixels strictly above their 8 neighbours, interior only), read one or more 3x3 filter responses at the peaks,
histogram them, and regress on the histograms (:class:`PeakCountRegressor`); the chi² classes are full target
rows.

Conventions
-----------
* Filtering is **2-D correlation** (the kernel is not flipped) over the valid region:
  ``out[n, i, j] = sum_{a,b} K[a, b] * m[n, i + a, j + b]``, so ``out[:, i, j]`` belongs to the interior
  pixel ``(i + 1, j + 1)``. Correlation and convolution agree only for kernels that equal their
  180-degree rotation (the Laplace kernel, and LL when ``h3`` is symmetric); for the sub-filters of an
  asymmetric wavelet such as db5 the rotated kernel is a different filter, not a sign change. AWD's kernels,
  the initial wavelet's and the baselines all go through the same correlation.
* Peak masks have the full map shape ``(n, H, W)``; the border is always ``False``.
* All estimators follow scikit-learn's conventions (``get_params``/``clone``, ``fit`` returns ``self``,
  learned attributes end with ``_``).
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression, Ridge, RidgeCV
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from models.peak_kernel import bin_values, peak_count_histograms
from models.topk_kernel import TopKLinear
from models.validation import InputError

__all__ = [
    "topk_features",
    "TopKLinearRegressor",
    "standardization",
    "linear_model",
    "SeriesPredictor",
    "LAPLACE_KERNEL",
    "PAPER_BIN_MAX",
    "RAW_BIN_RANGE",
    "find_peaks",
    "apply_kernel",
    "roberts_cross_response",
    "peak_values",
    "peak_histograms",
    "chi2_fit",
    "chi2_predict",
    "PeakCountRegressor",
    "PeakPatches",
    "peak_patches",
    "bin_peak_values",
]

#: Laplace peak-finding kernel of Ribli et al. (docs/science.md, map student).
LAPLACE_KERNEL = (10.0 / 3.0) * np.array([[-0.05, -0.2, -0.05],
                                          [-0.2, 1.0, -0.2],
                                          [-0.05, -0.2, -0.05]])

#: Candidate histogram upper bounds for maps in convergence units (paper, appendix D.1).
PAPER_BIN_MAX = (0.015, 0.02, 0.025, 0.03, 0.035)

#: Histogram range of raw peak heights for maps in convergence units.
RAW_BIN_RANGE = (-0.03, 0.19)

#: Default ridge penalties searched by cross-validation (``alpha="cv"``).
RIDGE_ALPHAS = tuple(np.logspace(-6, 4, 21))


def _to_numpy(a):
    if hasattr(a, "detach"):  # torch tensors
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# time-series student
# --------------------------------------------------------------------------------------------------

def _check_coeff_list(coeffs, field="coeffs"):
    if isinstance(coeffs, np.ndarray) or not isinstance(coeffs, (list, tuple)) or len(coeffs) == 0:
        raise InputError(field, f"must be a non-empty list of arrays (pywt layout), got {type(coeffs).__name__}",
                         "pass [cA_J, cD_J, ..., cD_1], each of shape (n, n_j)")
    bands = [_to_numpy(c) for c in coeffs]
    n = bands[0].shape[0] if bands[0].ndim else -1
    for j, band in enumerate(bands):
        if band.ndim != 2 or band.shape[0] != n:
            raise InputError(field, f"band {j} has shape {band.shape}, expected (n, n_j) with n = {n}",
                             "pass one 2-D array per band, all with the same number of rows")
        if not np.isfinite(band).all():
            raise InputError(field, f"band {j} contains NaN or infinite values", "pass finite coefficients")
    return bands


def topk_features(coeffs, k=6, by="signed"):
    """The ``k`` largest coefficients of each band, concatenated.

    Parameters
    ----------
    coeffs : list of array-like, each of shape (n, n_j)
        PyWavelets layout ``[cA_J, cD_J, ..., cD_1]`` (numpy arrays or tensors).
    k : int, default=6
        Coefficients kept per band.
    by : {"signed", "abs"}, default="signed"
        ``"signed"``: the ``k`` largest values, sorted in descending order. ``"abs"``: the ``k`` values
        of largest magnitude, sign kept, sorted by descending magnitude. Among equal magnitudes the earlier
        coefficient ranks first.

    Returns
    -------
    features : ndarray of shape (n, (J + 1) * k)
        Band after band, in the order of ``coeffs``. A band with fewer than ``k`` coefficients is padded
        with zeros at the end of its block.

    Examples
    --------
    >>> topk_features([np.array([[1.0, -5.0, 3.0]])], k=2)
    array([[3., 1.]])
    >>> topk_features([np.array([[1.0, -5.0, 3.0]])], k=2, by="abs")
    array([[-5.,  3.]])
    """
    bands = _check_coeff_list(coeffs)
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise InputError("k", f"must be a positive integer, got {k!r}", "pass e.g. 6")
    if by not in ("signed", "abs"):
        raise InputError("by", f"unknown ordering {by!r}", "use 'signed' or 'abs'")
    n = bands[0].shape[0]
    blocks = []
    for band in bands:
        key = -(band if by == "signed" else np.abs(band))
        order = np.argsort(key, axis=1, kind="stable")[:, :k]  # stable: equal keys keep their order
        top = np.take_along_axis(band, order, axis=1)
        if top.shape[1] < k:
            top = np.concatenate([top, np.zeros((n, k - top.shape[1]))], axis=1)
        blocks.append(top)
    return np.concatenate(blocks, axis=1)


def _check_y(y, n, field="y"):
    y = _to_numpy(y)
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise InputError(field, f"has shape {y.shape} for {n} samples", "pass targets shaped (n,) or (n, k)")
    if not np.isfinite(y).all():
        raise InputError(field, "contains NaN or infinite values", "pass finite targets")
    return y


class TopKLinearRegressor(RegressorMixin, BaseEstimator):
    """Linear model on the top-k coefficients of each wavelet band.

    Parameters
    ----------
    k : int, default=6
        Coefficients kept per band (see :func:`topk_features`).
    by : {"signed", "abs"}, default="signed"
        Ordering used to pick them.
    alpha : None, float or "cv", default="cv"
        ``None``: ordinary least squares (the paper's student). A float: ridge with that penalty. ``"cv"``:
        ridge with the penalty chosen among :data:`RIDGE_ALPHAS` by efficient leave-one-out
        cross-validation on the training data. With ``standardize=True`` the penalty acts on the
        standardised features, so its meaning does not depend on the data's units.
    standardize : bool, default=True
        Centre each feature and divide it by its standard deviation (features that are constant on the
        training data keep a scale of 1) before the linear model. The fitted ``coef_`` and ``intercept_``
        are given back on the raw features, so ``predict`` is ``features @ coef_ + intercept_`` either way;
        OLS predictions do not depend on it.

    Attributes
    ----------
    model_ : LinearRegression or Ridge or RidgeCV
        The fitted linear model (on standardised features when ``standardize``).
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Weights on the raw features.
    intercept_ : float or ndarray of shape (n_targets,)
    alpha_ : float
        Penalty used (0 for OLS).
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        The standardisation (0 and 1 when ``standardize=False``).
    n_features_ : int
        ``(J + 1) * k``.
    n_params_ : int
        Number of fitted numbers (coefficients and intercepts).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> coeffs = [rng.normal(size=(50, 4)), rng.normal(size=(50, 8))]
    >>> model = TopKLinearRegressor(k=2).fit(coeffs, rng.normal(size=50))
    >>> model.predict(coeffs).shape
    (50,)
    """

    _parameter_constraints = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "by": [StrOptions({"signed", "abs"})],
        "alpha": [None, Interval(Real, 0, None, closed="left"), StrOptions({"cv"})],
        "standardize": ["boolean"],
    }

    def __init__(self, k=6, *, by="signed", alpha="cv", standardize=True):
        self.k = k
        self.by = by
        self.alpha = alpha
        self.standardize = standardize

    def fit(self, coeffs, y):
        """Fit the linear model.

        Parameters
        ----------
        coeffs : list of array-like, each of shape (n, n_j)
            PyWavelets layout.
        y : array-like of shape (n,) or (n, n_targets)

        Returns
        -------
        self
        """
        self._validate_params()
        features = topk_features(coeffs, self.k, self.by)
        y = _check_y(y, features.shape[0])
        return self._fit_features(features, y)

    def _fit_features(self, features, y):
        """Fit on a ready (n, n_features) feature matrix (the top-k features of ``fit``)."""
        mean, scale = standardization(features) if self.standardize else (
            np.zeros(features.shape[1]), np.ones(features.shape[1]))
        z = (features - mean) / scale
        self.model_ = linear_model(self.alpha).fit(z, y)
        self.alpha_ = (0.0 if self.alpha is None else
                       float(self.model_.alpha_) if self.alpha == "cv" else float(self.alpha))
        coef = np.asarray(self.model_.coef_, dtype=np.float64)
        self.coef_ = coef / scale
        self.intercept_ = self.model_.intercept_ - self.coef_ @ mean
        if np.ndim(self.intercept_) == 0:
            self.intercept_ = float(self.intercept_)
        self.feature_mean_, self.feature_scale_ = mean, scale
        self.n_features_ = features.shape[1]
        self.n_params_ = int(np.size(self.coef_) + np.size(self.intercept_))
        return self

    def _predict_features(self, features):
        return features @ self.coef_.T + self.intercept_

    def predict(self, coeffs):
        """Predict from coefficient lists.

        Parameters
        ----------
        coeffs : list of array-like, each of shape (n, n_j)

        Returns
        -------
        ndarray of shape (n,) or (n, n_targets)
        """
        check_is_fitted(self, "model_")
        features = topk_features(coeffs, self.k, self.by)
        if features.shape[1] != self.n_features_:
            raise InputError("coeffs", f"gives {features.shape[1]} features, the model was fitted on "
                             f"{self.n_features_}", "pass as many bands as during fit")
        return self._predict_features(features)


def standardization(features):
    """Column means and standard deviations of a feature matrix (a scale of 1 for constant columns).

    Parameters
    ----------
    features : ndarray of shape (n, F)

    Returns
    -------
    mean, scale : ndarray of shape (F,)
        ``(features - mean) / scale`` has zero-mean columns of unit SD, constant columns stay 0.

    Examples
    --------
    >>> standardization(np.array([[1.0, 5.0], [3.0, 5.0]]))
    (array([2., 5.]), array([1., 1.]))
    """
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    return mean, np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)


def linear_model(alpha):
    """The unfitted scikit-learn linear model for a penalty setting.

    Parameters
    ----------
    alpha : None, float or "cv"
        ``None``: ordinary least squares; a float: ridge with that penalty; ``"cv"``: ridge with the penalty
        chosen among :data:`RIDGE_ALPHAS` by efficient leave-one-out cross-validation.

    Returns
    -------
    LinearRegression or Ridge or RidgeCV
    """
    if alpha is None:
        return LinearRegression()
    if isinstance(alpha, str):
        return RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd")
    return Ridge(alpha=float(alpha))


#: Series transformed at once by :meth:`SeriesPredictor.predict`.
PREDICT_CHUNK = 4096


class SeriesPredictor:
    """A fitted :class:`TopKLinearRegressor` and its fixed wavelet, compiled into two steps.

    What a deployed AWD time-series predictor runs: one matrix product with the dense analysis operator
    (``W @ X.T``, every series' coefficients as a column), then the ``k`` largest coefficients of each band
    and the linear model in one compiled pass over blocks of series (:mod:`models.topk_kernel`), a few
    thousand series at a time. Equal to ``student.predict(wavedec1d(X, h, level, mode))`` up to rounding:
    the transform runs in the precision of the series, float32 series in float32 (about 1e-7 relative, the
    precision they carry), everything else in float64.

    Parameters
    ----------
    student : TopKLinearRegressor
        Fitted on the coefficient lists of ``analysis``.
    analysis : ndarray of shape (M, L)
        Dense analysis operator, ``analysis @ x`` is the flat coefficient vector of a series ``x`` in
        PyWavelets order (:func:`models.wavelets.analysis_matrix`).
    band_sizes : sequence of int
        Length of each band in that order; they sum to M.
    x_offset, x_scale : float, default=0.0, 1.0
        The student was fitted on the coefficients of ``(x - x_offset) / x_scale`` (the scaling the teacher
        saw); the predictor takes raw series and folds the scaling into the operator and a per-coefficient
        offset.

    Attributes
    ----------
    length : int
        Series length L the predictor accepts.
    n_params : int
        Numbers in the linear model (the filter is not counted).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    >>> X = rng.normal(size=(40, 8))
    >>> student = TopKLinearRegressor(k=2).fit(np.split(X @ W.T, [4], axis=1), rng.normal(size=40))
    >>> SeriesPredictor(student, W, [4, 4]).predict(X[:3]).shape
    (3,)
    """

    def __init__(self, student, analysis, band_sizes, x_offset=0.0, x_scale=1.0):
        check_is_fitted(student, "model_")
        x_offset, x_scale = float(x_offset), float(x_scale)
        if not (np.isfinite(x_offset) and np.isfinite(x_scale) and x_scale > 0):
            raise InputError("x_scale", f"needs a finite offset and a positive scale, got {x_offset}, {x_scale}",
                             "pass the teacher's input mean and standard deviation")
        analysis = np.asarray(analysis, dtype=np.float64) / x_scale
        # W ((x - m) / s) = (W / s) x - m (W / s) 1: a constant offset per coefficient
        offset = -x_offset * analysis.sum(axis=1)
        sizes = [int(s) for s in band_sizes]
        if analysis.ndim != 2 or sum(sizes) != analysis.shape[0] or min(sizes, default=0) < 1:
            raise InputError("band_sizes", f"sum to {sum(sizes)} but the operator has shape {analysis.shape}",
                             "pass the band lengths of the operator's rows, in PyWavelets order")
        k, n_bands = student.k, len(sizes)
        if n_bands * k != student.n_features_:
            raise InputError("band_sizes", f"give {n_bands * k} features, the student was fitted on "
                             f"{student.n_features_}", "pass the bands the student was fitted on")
        self.student = student
        self.length = analysis.shape[1]
        self.n_params = int(student.n_params_)
        self._operator = {np.dtype(np.float64): np.ascontiguousarray(analysis),
                          np.dtype(np.float32): np.ascontiguousarray(analysis, dtype=np.float32)}
        self._offset = {np.dtype(np.float64): offset[:, None],
                        np.dtype(np.float32): offset.astype(np.float32)[:, None]}
        self._has_offset = bool(np.any(offset != 0))
        coef = np.asarray(student.coef_, dtype=np.float64)
        self._model = TopKLinear(sizes, k, student.by, coef.reshape(-1, n_bands, k), student.intercept_)
        self._y_1d = np.ndim(student.coef_) == 1

    @classmethod
    def from_filter(cls, student, h, length, level, mode="periodization", x_offset=0.0, x_scale=1.0):
        """Build the predictor from the lowpass filter ``h`` (``pywt`` ``rec_lo``) the student was fitted with.

        Parameters
        ----------
        student : TopKLinearRegressor
        h : array-like of shape (N,)
        length : int
            Series length L.
        level : int
            Decomposition levels J.
        mode : {"periodization", "zero", "symmetric"}, default="periodization"
        x_offset, x_scale : float, default=0.0, 1.0
            Input scaling the student's coefficients were computed on (see the class).

        Returns
        -------
        SeriesPredictor
        """
        import torch

        from models import wavelets

        with torch.no_grad():
            ht = torch.as_tensor(np.asarray(h, dtype=np.float64))
            analysis = wavelets.analysis_matrix(ht, length, level, mode).numpy()
        sizes = wavelets.coeff_lengths(length, ht.shape[-1], level, mode)
        return cls(student, analysis, sizes, x_offset=x_offset, x_scale=x_scale)

    def predict(self, X):
        """Predict from raw series.

        Parameters
        ----------
        X : array-like of shape (n, L) or (L,)

        Returns
        -------
        ndarray of shape (n,) or (n, n_targets)
            ``(n,)`` when the student was fitted on a 1-D ``y``.
        """
        X = np.asarray(X)
        if X.dtype != np.float32:
            X = X.astype(np.float64, copy=False)
        if X.ndim == 1:
            X = X[None]
        if X.ndim != 2 or X.shape[1] != self.length:
            raise InputError("X", f"has shape {X.shape}", f"pass series shaped (n, {self.length})")
        operator = self._operator[X.dtype]
        pred = np.empty((X.shape[0], self._model.weights.shape[0]))
        for start in range(0, X.shape[0], PREDICT_CHUNK):  # chunks keep the temporaries in the cache
            chunk = X[start:start + PREDICT_CHUNK]
            try:  # a NaN or infinite sample makes some of its coefficients NaN or infinite: checked there
                with np.errstate(invalid="ignore", over="ignore"):  # reported below, as an InputError
                    coeffs_t = operator @ chunk.T
                    if self._has_offset:
                        coeffs_t += self._offset[X.dtype]
                pred[start:start + len(chunk)] = self._model.predict(coeffs_t)
            except InputError:
                raise InputError("X", "contains NaN or infinite values (or values so large that the transform "
                                 "overflows)", "pass finite series") from None
        return pred[:, 0] if self._y_1d else pred


# --------------------------------------------------------------------------------------------------
# peak counting: responses
# --------------------------------------------------------------------------------------------------

def _check_maps(maps, field="maps", keep_float32=False):
    """(n, H, W) finite float maps (float64, or float32 kept as it is with ``keep_float32``)."""
    if not (keep_float32 and isinstance(maps, np.ndarray) and maps.dtype == np.float32):
        maps = _to_numpy(maps)
    if maps.ndim == 2:
        maps = maps[None]
    if maps.ndim != 3 or maps.shape[1] < 3 or maps.shape[2] < 3:
        raise InputError(field, f"has shape {maps.shape}", "pass maps shaped (n, H, W) with H, W >= 3")
    if maps.shape[0] == 0:
        raise InputError(field, "holds no maps", "pass at least one map")
    if not np.isfinite(maps).all():
        raise InputError(field, "contains NaN or infinite values", "pass finite maps")
    return maps


def find_peaks(maps):
    """Peaks: pixels strictly greater than all 8 neighbours (interior pixels only).

    Parameters
    ----------
    maps : array-like of shape (n, H, W) or (H, W)
        Raw maps.

    Returns
    -------
    mask : ndarray of bool, shape (n, H, W)
        ``True`` at peaks; the one-pixel border is always ``False``.
    """
    return _peak_mask(_check_maps(maps))


def _peak_mask(maps):
    """:func:`find_peaks` on checked (n, H, W) float maps."""
    mask = np.zeros(maps.shape, dtype=bool)
    mask[:, 1:-1, 1:-1] = _interior_peaks(maps)
    return mask


def _interior_peaks(maps):
    """(n, H - 2, W - 2) bool: interior pixels strictly above their 8 neighbours."""
    # the largest of the 8 neighbours, separably: 3-wide row maxima above and below, then left and right
    rows = np.maximum(np.maximum(maps[:, :, :-2], maps[:, :, 1:-1]), maps[:, :, 2:])  # (n, H, W - 2)
    neighbours = np.maximum(np.maximum(rows[:, :-2], rows[:, 2:]),
                            np.maximum(maps[:, 1:-1, :-2], maps[:, 1:-1, 2:]))
    return maps[:, 1:-1, 1:-1] > neighbours


def apply_kernel(maps, kernel):
    """Valid 2-D correlation of maps with a 3x3 kernel.

    Parameters
    ----------
    maps : array-like of shape (n, H, W) or (H, W)
    kernel : array-like of shape (3, 3)

    Returns
    -------
    response : ndarray of shape (n, H - 2, W - 2)
        ``response[:, i, j] = sum_{a, b} kernel[a, b] * maps[:, i + a, j + b]``, i.e. the value at
        interior pixel ``(i + 1, j + 1)``. Correlation, not convolution: the kernel is not flipped.
    """
    maps = _check_maps(maps)
    kernel = _to_numpy(kernel)
    if kernel.shape != (3, 3) or not np.isfinite(kernel).all():
        raise InputError("kernel", f"has shape {kernel.shape}", "pass a finite (3, 3) array")
    _, h, w = maps.shape
    out = np.zeros((maps.shape[0], h - 2, w - 2))
    for a in range(3):
        for b in range(3):
            if kernel[a, b] != 0:
                out += kernel[a, b] * maps[:, a:a + h - 2, b:b + w - 2]
    return out


def roberts_cross_response(maps):
    """Roberts-cross response on the four 2x2 sub-windows of each 3x3 neighbourhood, summed.

    For a 2x2 window ``[[a, b], [c, d]]`` the gradient magnitude is ``sqrt((b - c)**2 + (a - d)**2)``
    (``Rx = [[0, 1], [-1, 0]]``, ``Ry = [[1, 0], [0, -1]]``); the response at an interior pixel is the sum
    over the four windows of its 3x3 neighbourhood that contain it (top-left, top-right, bottom-left,
    bottom-right).

    Parameters
    ----------
    maps : array-like of shape (n, H, W) or (H, W)

    Returns
    -------
    response : ndarray of shape (n, H - 2, W - 2)
        Aligned with the interior pixels like :func:`apply_kernel`.
    """
    maps = _check_maps(maps)
    a, b = maps[:, :-1, :-1], maps[:, :-1, 1:]
    c, d = maps[:, 1:, :-1], maps[:, 1:, 1:]
    grad = np.sqrt((b - c) ** 2 + (a - d) ** 2)  # (n, H-1, W-1), window with top-left (i, j)
    return grad[:, :-1, :-1] + grad[:, :-1, 1:] + grad[:, 1:, :-1] + grad[:, 1:, 1:]


def _peak_patches(maps):
    """3x3 neighbourhoods of all peaks as rows of 9 values, (n_peaks, 9), and the map index of each peak."""
    _, h, w = maps.shape
    inner = np.flatnonzero(_interior_peaks(maps))  # index into (n, h - 2, w - 2)
    sample, rest = np.divmod(inner, (h - 2) * (w - 2))
    interior, offsets = _patch_tables(h, w)
    centre = sample * (h * w) + interior[rest]  # peaks are interior: all 9 neighbours are in the same map
    patches = maps.ravel()[centre[:, None] + offsets]
    return patches, sample


@lru_cache(maxsize=32)
def _patch_tables(h, w):
    """Flat index in an (h, w) map of each interior pixel, and the (1, 9) flat offsets of a 3x3 patch."""
    interior = ((np.arange(1, h - 1)[:, None]) * w + np.arange(1, w - 1)[None, :]).ravel()
    offsets = (np.arange(-1, 2)[:, None] * w + np.arange(-1, 2)[None, :]).reshape(1, 9)
    return interior, offsets


def _kernel_matrix(kernels):
    """(9, C) matrix whose columns are the flattened 3x3 kernels."""
    return np.stack([k.reshape(9) for k in kernels], axis=1)


def _patch_responses(patches, response, kernel_matrix):
    """Responses at the centre of each (n_peaks, 9) patch: (C, n_peaks), one row per channel."""
    if response == "raw":
        return patches[:, 4][None]
    if response == "roberts":
        p = patches.reshape(-1, 3, 3)
        a, b = p[:, :-1, :-1], p[:, :-1, 1:]
        c, d = p[:, 1:, :-1], p[:, 1:, 1:]
        return np.sqrt((b - c) ** 2 + (a - d) ** 2).sum(axis=(1, 2))[None]
    return (patches @ kernel_matrix).T


def peak_values(maps, kernels=None, response="kernels"):
    """Filter responses read at the peaks of the raw maps.

    Parameters
    ----------
    maps : array-like of shape (n, H, W)
    kernels : sequence of (3, 3) arrays or dict of them, optional
        Used when ``response="kernels"``; default ``[LAPLACE_KERNEL]``.
    response : {"kernels", "raw", "roberts"}, default="kernels"
        ``"raw"`` reads the peak heights, ``"roberts"`` the Roberts-cross response.

    Returns
    -------
    values : list of ndarray of shape (n_peaks,)
        One array per channel (kernel), all peaks of all maps. Computed on the peaks' 3x3
        neighbourhoods only; equal to :func:`apply_kernel` / :func:`roberts_cross_response` read at the
        peaks.
    sample : ndarray of int, shape (n_peaks,)
        Index of the map each peak belongs to.
    """
    maps = _check_maps(maps)
    kernels = _kernel_list(kernels) if response == "kernels" else None
    if response not in ("kernels", "raw", "roberts"):
        raise InputError("response", f"unknown response {response!r}", "use 'kernels', 'raw' or 'roberts'")
    patches, sample = _peak_patches(maps)
    values = _patch_responses(patches, response, _kernel_matrix(kernels) if kernels is not None else None)
    return list(values), sample


class PeakPatches:
    """The peaks of a set of maps, found once: their 3x3 neighbourhoods and the map each belongs to.

    Attributes
    ----------
    patches : ndarray of shape (n_peaks, 9)
        Neighbourhoods row by row (the centre, index 4, is the peak height).
    sample : ndarray of int, shape (n_peaks,)
        Map index of each peak.
    n_maps : int
    """

    def __init__(self, patches, sample, n_maps):
        self.patches, self.sample, self.n_maps = patches, np.asarray(sample, dtype=np.int64), int(n_maps)

    def subset(self, indices):
        """The peaks of the maps ``indices`` (in that order), renumbered 0..len(indices) - 1."""
        indices = np.asarray(indices, dtype=np.int64)
        position = np.full(self.n_maps, -1, dtype=np.int64)
        position[indices] = np.arange(len(indices))
        new = position[self.sample]
        keep = new >= 0
        return PeakPatches(self.patches[keep], new[keep], len(indices))


def peak_patches(maps):
    """Find the peaks of raw maps once, for :meth:`PeakCountRegressor.fit_peaks`.

    Parameters
    ----------
    maps : array-like of shape (n, H, W)

    Returns
    -------
    PeakPatches
    """
    maps = _check_maps(maps)
    patches, sample = _peak_patches(maps)
    return PeakPatches(patches, sample, maps.shape[0])


def bin_peak_values(values, sample, n_maps, bin_range, bins):
    """Per-map histograms of responses at peaks, binned like the compiled pass (:mod:`models.peak_kernel`).

    The binning is compiled too (:func:`models.peak_kernel.bin_values`, the same arithmetic).

    Parameters
    ----------
    values : ndarray of shape (C, n_peaks)
        Responses, one row per channel.
    sample : ndarray of int, shape (n_peaks,)
        Map of each peak.
    n_maps : int
    bin_range : (float, float)
        ``[lo, hi]``; ``hi`` falls in the last bin, values outside are dropped.
    bins : int

    Returns
    -------
    ndarray of shape (n_maps, C * bins), float64
    """
    return bin_values(values, sample, n_maps, bin_range, bins)


def _check_range(bin_range):
    try:
        lo, hi = (float(v) for v in bin_range)
    except (TypeError, ValueError):
        raise InputError("bin_range", f"must be (low, high), got {bin_range!r}", "pass e.g. (0, 0.025)") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError("bin_range", f"needs finite low < high, got {bin_range!r}", "pass e.g. (0, 0.025)")
    return lo, hi


def peak_histograms(maps, kernels=None, bins=22, bin_range=(0.0, 0.025), response="kernels"):
    """Histograms of filter responses at the peaks, concatenated over kernels.

    Parameters
    ----------
    maps : array-like of shape (n, H, W)
        Raw maps (peaks are found on them).
    kernels : sequence of (3, 3) arrays or dict of them, optional
        One histogram per kernel; default ``[LAPLACE_KERNEL]``. Ignored unless ``response="kernels"``.
    bins : int, default=22
    bin_range : (float, float), default=(0, 0.025)
        Histogram range; values outside are not counted, the upper edge is included.
    response : {"kernels", "raw", "roberts"}, default="kernels"

    Returns
    -------
    histograms : ndarray of shape (n, n_channels * bins)
        Peak counts per bin (float64), channel after channel.
    """
    lo, hi = _check_range(bin_range)
    if isinstance(bins, bool) or not isinstance(bins, Integral) or bins < 1:
        raise InputError("bins", f"must be a positive integer, got {bins!r}", "pass e.g. 22")
    if response not in ("kernels", "raw", "roberts"):
        raise InputError("response", f"unknown response {response!r}", "use 'kernels', 'raw' or 'roberts'")
    columns = _kernel_matrix(_kernel_list(kernels)) if response == "kernels" else None
    return _count_peaks(_check_maps(maps, keep_float32=True), columns, response, (lo, hi), bins)


def _count_peaks(maps, kernel_columns, response, bin_range, bins):
    """Peak histograms of checked maps, counted in one compiled pass (:mod:`models.peak_kernel`)."""
    if response == "roberts":
        return peak_count_histograms(maps, None, bin_range, bins, "roberts")
    rows = np.eye(9)[4:5] if response == "raw" else kernel_columns.T  # raw heights: the centre tap
    return peak_count_histograms(maps, rows, bin_range, bins)


def _kernel_list(kernels):
    if kernels is None:
        return [LAPLACE_KERNEL]
    if isinstance(kernels, dict):
        kernels = list(kernels.values())
    else:
        arr = _to_numpy(kernels) if not isinstance(kernels, (list, tuple)) else None
        if arr is not None and arr.shape == (3, 3):
            kernels = [arr]
    out = [_to_numpy(k) for k in kernels]
    if not out or any(k.shape != (3, 3) or not np.isfinite(k).all() for k in out):
        raise InputError("kernels", "must be finite (3, 3) arrays",
                         "pass a list or dict of 3x3 kernels, e.g. subfilters_3x3(h)")
    return out


# --------------------------------------------------------------------------------------------------
# peak counting: regression
# --------------------------------------------------------------------------------------------------

def chi2_fit(features, labels, covariance="pooled"):
    """Per-class mean feature vectors and the pseudo-inverse of the within-class covariance.

    Parameters
    ----------
    features : ndarray of shape (n, F)
    labels : ndarray of int, shape (n,)
        Class index ``0 .. C-1`` of each sample.
    covariance : {"pooled", "per_class"}, default="pooled"
        ``"pooled"``: one covariance pooled over classes (``n - C`` degrees of freedom, at least 1).
        ``"per_class"``: one covariance per class (``n_c - 1`` degrees of freedom), as in the authors'
        reference code.

    Returns
    -------
    means : ndarray of shape (C, F)
    precision : ndarray of shape (F, F), or (C, F, F) for ``"per_class"``
        Moore-Penrose pseudo-inverse of the covariance (``rcond=1e-10``).
    """
    if covariance not in ("pooled", "per_class"):
        raise InputError("covariance", f"unknown choice {covariance!r}", "use 'pooled' or 'per_class'")
    n_classes = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    sums = np.zeros((n_classes, features.shape[1]))
    np.add.at(sums, labels, features)
    means = sums / np.maximum(counts, 1)[:, None]
    centred = features - means[labels]
    if covariance == "pooled":
        cov = centred.T @ centred / max(features.shape[0] - n_classes, 1)
        return means, np.linalg.pinv(cov, rcond=1e-10, hermitian=True)
    precision = np.empty((n_classes, features.shape[1], features.shape[1]))
    for c in range(n_classes):
        rows = centred[labels == c]
        precision[c] = np.linalg.pinv(rows.T @ rows / max(len(rows) - 1, 1), rcond=1e-10, hermitian=True)
    return means, precision


def chi2_predict(features, means, precision):
    """Class with the smallest chi² ``(x - mu_c)^T P_c (x - mu_c)``.

    Parameters
    ----------
    features : ndarray of shape (n, F)
    means : ndarray of shape (C, F)
    precision : ndarray of shape (F, F) (one for all classes) or (C, F, F) (one per class)

    Returns
    -------
    labels : ndarray of int, shape (n,)
    chi2 : ndarray of shape (n, C)
    """
    if precision.ndim == 3:
        chi2 = np.empty((features.shape[0], means.shape[0]))
        for c in range(means.shape[0]):
            d = features - means[c]
            chi2[:, c] = np.einsum("nf,nf->n", d @ precision[c], d)
        return np.argmin(chi2, axis=1), chi2
    # (x - mu)^T P (x - mu) = x^T P x - 2 x^T P mu + mu^T P mu, for all pairs at once
    xp = features @ precision
    mp = means @ precision
    chi2 = (np.einsum("nf,nf->n", xp, features)[:, None] - 2.0 * xp @ means.T
            + np.einsum("cf,cf->c", mp, means)[None, :])
    return np.argmin(chi2, axis=1), chi2


class _Chi2Model:
    """Discrete-target regressor: the nearest class mean in chi² metric, predicting its target row.

    A class is one distinct *row* of ``y2`` (all target columns together), so two cosmologies that share
    Omega_m but differ in sigma_8 stay two classes.
    """

    def __init__(self, covariance="pooled"):
        self.covariance = covariance

    def fit(self, features, y2):
        self.classes_, labels = np.unique(y2, axis=0, return_inverse=True)
        self.means_, self.precision_ = chi2_fit(features, labels.ravel(), self.covariance)
        return self

    def predict(self, features):
        labels, _ = chi2_predict(features, self.means_, self.precision_)
        return self.classes_[labels]


class _RidgeModel:
    """Standardised features + ridge with the penalty chosen by leave-one-out cross-validation."""

    def fit(self, features, y2):
        self.mean_ = features.mean(axis=0)
        scale = features.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.ridge_ = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit((features - self.mean_) / self.scale_, y2)
        return self

    def predict(self, features):
        return self.ridge_.predict((features - self.mean_) / self.scale_).reshape(features.shape[0], -1)


def _looks_like_convergence(heights):
    """Whether peak heights look like weak-lensing convergence (99.5th percentile in [0.01, 0.3])."""
    if heights.size == 0:
        return False
    low, high = np.quantile(heights, [0.005, 0.995])
    return bool(0.01 <= high <= 0.3 and low > -0.1)


def _choose_method(y2, method):
    if method != "auto":
        return method
    _, counts = np.unique(y2, axis=0, return_counts=True)
    return "chi2" if len(counts) <= 20 and counts.min() >= 5 else "ridge"


class PeakCountRegressor(RegressorMixin, BaseEstimator):
    """Peak counting on maps: histograms of filter responses at the peaks, then chi² or ridge.

    Parameters
    ----------
    kernels : sequence or dict of (3, 3) arrays, default=None
        Filters read at the peaks when ``response="kernels"`` (e.g. ``subfilters_3x3(h)``, whose values
        LL, LH, HL, HH are taken in that order); ``None`` uses ``[LAPLACE_KERNEL]``.
    response : {"kernels", "raw", "roberts"}, default="kernels"
        What is histogrammed: the kernels' responses, the raw peak heights, or the Roberts-cross response.
    bins : int, default=22
        Histogram bins per channel.
    bin_max : "auto", float or sequence of float, default="auto"
        Upper histogram bound ``b`` (range ``[0, b]``; for ``response="raw"`` the range is
        ``[low, b]``, see below). A float fixes it; a sequence gives candidates chosen on a validation
        split (lowest validation MSE); ``"auto"`` takes as candidates the 99th percentile ``q`` of the
        positive peak responses times (0.6, 0.8, 1.0, 1.2, 1.4), plus :data:`PAPER_BIN_MAX` when the maps
        look like convergence maps (99.5th percentile of the raw peak heights in [0.01, 0.3]). For
        ``response="raw"``, ``"auto"`` uses :data:`RAW_BIN_RANGE` for convergence maps and the 0.5 and
        99.5 percentiles of the peak heights otherwise; explicit values set the upper bound, the lower
        bound following the same rule.
    method : {"auto", "chi2", "ridge"}, default="auto"
        ``"chi2"``: targets take a few discrete values; a class is one distinct *row* of ``y`` (pass every
        parameter column, e.g. (Omega_m, sigma_8), so that two cosmologies sharing one value stay apart);
        per-class mean histogram and the pseudo-inverse of the within-class covariance; the prediction is
        the target row of the class with the smallest chi². ``"ridge"``: ridge on standardised histograms,
        penalty chosen by leave-one-out CV. ``"auto"``: chi2 when ``y`` has at most 20 distinct rows, each
        seen at least 5 times, ridge otherwise.
    covariance : {"pooled", "per_class"}, default="pooled"
        Covariance in the chi² (see :func:`chi2_fit`).
    score_column : int or None, default=None
        Column of ``y`` whose mean squared error chooses ``bin_max`` on the validation split; ``None``
        uses all columns.
    val_fraction : float, default=0.2
        Share of the training maps held out to choose ``bin_max`` among candidates.
    random_state : int, default=0
        Seeds that split.

    Attributes
    ----------
    kernels_ : list of ndarray of shape (3, 3)
    method_ : {"chi2", "ridge"}
    bin_range_ : (float, float)
        Histogram range used.
    bin_scores_ : dict of float to float
        Validation MSE per candidate upper bound (empty when ``bin_max`` is one float).
    n_features_ : int
        ``n_channels * bins``.
    model_ : object
        Fitted regressor on the histograms.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> maps, y = rng.normal(size=(40, 16, 16)), np.repeat([0.0, 1.0], 20)
    >>> PeakCountRegressor(bin_max=2.0).fit(maps, y).predict(maps).shape
    (40,)
    """

    _parameter_constraints = {
        "kernels": [None, "array-like", dict],
        "response": [StrOptions({"kernels", "raw", "roberts"})],
        "bins": [Interval(Integral, 1, None, closed="left")],
        "bin_max": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither"), "array-like"],
        "method": [StrOptions({"auto", "chi2", "ridge"})],
        "covariance": [StrOptions({"pooled", "per_class"})],
        "score_column": [None, Interval(Integral, 0, None, closed="left")],
        "val_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, kernels=None, *, response="kernels", bins=22, bin_max="auto", method="auto",
                 covariance="pooled", score_column=None, val_fraction=0.2, random_state=0):
        self.kernels = kernels
        self.response = response
        self.bins = bins
        self.bin_max = bin_max
        self.method = method
        self.covariance = covariance
        self.score_column = score_column
        self.val_fraction = val_fraction
        self.random_state = random_state

    def _ranges(self, values, heights):
        """Candidate (low, high) ranges from the bin_max setting, the peak responses and peak heights."""
        pooled = np.asarray(values).ravel()
        q_heights = np.quantile(heights, [0.005, 0.995]) if heights.size else np.array([0.0, 1.0])
        convergence = _looks_like_convergence(heights)
        explicit = None if isinstance(self.bin_max, str) else list(np.atleast_1d(np.asarray(self.bin_max, float)))
        if self.response == "raw":
            lo = RAW_BIN_RANGE[0] if convergence else float(q_heights[0])
            if explicit is None:
                highs = [RAW_BIN_RANGE[1] if convergence else float(q_heights[1])]
            else:
                highs = explicit
            return [(lo, hi) for hi in highs if hi > lo] or [(lo, lo + 1.0)]
        if explicit is None:
            positive = pooled[pooled > 0]
            scale = float(np.quantile(positive, 0.99)) if positive.size else 1.0
            highs = [scale * f for f in (0.6, 0.8, 1.0, 1.2, 1.4)]
            if convergence:
                highs = list(PAPER_BIN_MAX) + highs
        else:
            highs = explicit
        return [(0.0, hi) for hi in highs if hi > 0] or [(0.0, 1.0)]

    def _features(self, maps, bin_range):
        return _count_peaks(maps, self._kernel_columns, self.response, bin_range, self.bins)

    def _new_model(self):
        return _Chi2Model(self.covariance) if self.method_ == "chi2" else _RidgeModel()

    def fit(self, maps, y):
        """Find peaks, choose the histogram range, fit the regressor.

        Parameters
        ----------
        maps : array-like of shape (n, H, W)
        y : array-like of shape (n,) or (n, n_targets)

        Returns
        -------
        self
        """
        self._validate_params()
        maps = _check_maps(maps)
        y = _check_y(y, maps.shape[0])
        n = maps.shape[0]
        patches, sample = _peak_patches(maps)
        return self._fit_peaks(patches, sample, n, y, lambda r, values: self._features(maps, r))

    def fit_peaks(self, peaks, y):
        """:meth:`fit` from the peaks of the maps, found once (:func:`peak_patches`).

        For fitting many students on the same maps (cross-validation over filters): the peaks do not depend
        on the kernels. The histograms are binned from the responses at the peaks with the arithmetic of the
        compiled pass of :meth:`fit` (equal counts unless a response lies within rounding of a bin edge: the
        responses are computed by a matrix product here, term by term there).

        Parameters
        ----------
        peaks : PeakPatches
            The peaks of the training maps.
        y : array-like of shape (n_maps,) or (n_maps, n_targets)

        Returns
        -------
        self
        """
        self._validate_params()
        y = _check_y(y, peaks.n_maps)
        return self._fit_peaks(peaks.patches, peaks.sample, peaks.n_maps, y,
                               lambda r, values: bin_peak_values(values, peaks.sample, peaks.n_maps, r, self.bins))

    def predict_peaks(self, peaks):
        """:meth:`predict` from the peaks of the maps (:func:`peak_patches`).

        Parameters
        ----------
        peaks : PeakPatches

        Returns
        -------
        ndarray of shape (n_maps,) or (n_maps, n_targets)
        """
        check_is_fitted(self, "model_")
        pred = np.asarray(self.model_.predict(self._peak_features(peaks, self.bin_range_)), dtype=np.float64)
        pred = pred.reshape(pred.shape[0], -1)
        return pred[:, 0] if self._y_1d else pred

    def _peak_features(self, peaks, bin_range):
        values = _patch_responses(peaks.patches, self.response, self._kernel_columns)
        return bin_peak_values(values, peaks.sample, peaks.n_maps, bin_range, self.bins)

    def _fit_peaks(self, patches, sample, n, y, features_of):
        """The fit from the peaks' 3x3 patches; ``features_of(bin_range, values)`` gives the (n, F) histograms
        (``values``: the responses at the peaks, (C, n_peaks))."""
        y2 = y.reshape(y.shape[0], -1)
        if self.score_column is not None and self.score_column >= y2.shape[1]:
            raise InputError("score_column", f"is {self.score_column} but y has {y2.shape[1]} columns",
                             f"pass 0..{y2.shape[1] - 1} or None")
        scored = slice(None) if self.score_column is None else slice(self.score_column, self.score_column + 1)
        self.kernels_ = _kernel_list(self.kernels) if self.response == "kernels" else []
        self._kernel_columns = _kernel_matrix(self.kernels_) if self.kernels_ else None
        self.method_ = _choose_method(y2, self.method)
        values = _patch_responses(patches, self.response, self._kernel_columns)
        ranges = self._ranges(values, patches[:, 4])
        self.bin_scores_ = {}
        if len(ranges) > 1:
            rng = np.random.default_rng(self.random_state)
            perm = rng.permutation(n)
            n_val = max(1, int(round(self.val_fraction * n)))
            val, tr = perm[:n_val], perm[n_val:]
            for r in ranges:
                feats = features_of(r, values)
                model = self._new_model().fit(feats[tr], y2[tr])
                err = float(np.mean((model.predict(feats[val])[:, scored] - y2[val][:, scored]) ** 2))
                self.bin_scores_[float(r[1])] = err
            best = min(self.bin_scores_, key=self.bin_scores_.get)
            self.bin_range_ = next(r for r in ranges if float(r[1]) == best)
        else:
            self.bin_range_ = ranges[0]
        self.bin_range_ = (float(self.bin_range_[0]), float(self.bin_range_[1]))
        features = features_of(self.bin_range_, values)
        self.model_ = self._new_model().fit(features, y2)
        self.n_features_ = features.shape[1]
        self.n_outputs_ = y2.shape[1]
        self._y_1d = y.ndim == 1
        return self

    def transform(self, maps):
        """Peak histograms with the fitted settings.

        Parameters
        ----------
        maps : array-like of shape (n, H, W)

        Returns
        -------
        ndarray of shape (n, n_features_)
        """
        if not hasattr(self, "model_"):  # sklearn's check costs more than peak counting one map
            check_is_fitted(self, "model_")
        return self._features(_check_maps(maps, keep_float32=True), self.bin_range_)

    def predict(self, maps):
        """Predict targets from maps.

        Parameters
        ----------
        maps : array-like of shape (n, H, W)

        Returns
        -------
        ndarray of shape (n,) or (n, n_targets)
            Same layout as the ``y`` given to :meth:`fit`.
        """
        features = self.transform(maps)
        pred = np.asarray(self.model_.predict(features), dtype=np.float64)
        pred = pred.reshape(pred.shape[0], -1)
        return pred[:, 0] if self._y_1d else pred
