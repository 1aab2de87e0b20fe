"""The map student: peak-count histograms regressed on the targets by chi² classes or ridge.

docs/science.md, "Map student" (after Ribli et al. 2019): :class:`PeakCountRegressor` histograms
filter responses at the peaks of each raw map (:mod:`models.students.peaks`) over a range it chooses on a
validation split, then predicts the target row of the nearest class in chi² metric (:func:`chi2_fit`,
:func:`chi2_predict`; a class is one distinct *row* of the targets) or a ridge model on standardised
histograms. A scikit-learn estimator (``get_params``/``clone``, ``fit`` returns ``self``, learned attributes
end with ``_``).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from awd_studio.models.students._common import _check_y, linear_model
from awd_studio.models.students.peaks import (
    _check_magnitude_kernels,
    _check_maps,
    _count_peaks,
    _count_peaks_ranges,
    _height_quantiles,
    _kernel_list,
    _kernel_matrix,
    _patch_responses,
    _peak_patches,
    bin_peak_values_ranges,
    never_negative_at_peaks,
)
from awd_studio.models.validation import InputError

__all__ = ["PAPER_BIN_MAX", "RAW_BIN_RANGE", "NEAREST_CHI2_QUANTILE", "chi2_fit", "chi2_predict",
           "held_out_nearest_chi2", "PeakCountRegressor", "peak_student_method", "CHI2_MAX_CLASSES",
           "CHI2_MIN_MAPS"]

#: Candidate histogram upper bounds for maps in convergence units (paper, appendix D.1).
PAPER_BIN_MAX = (0.015, 0.02, 0.025, 0.03, 0.035)

#: Histogram range of raw peak heights for maps in convergence units.
RAW_BIN_RANGE = (-0.03, 0.19)

#: The quantile of the positive peak responses that scales the automatic bin ranges (``bin_max="auto"``).
RESPONSE_QUANTILE = 0.99


def _positive_quantile(values):
    """:data:`RESPONSE_QUANTILE` of the positive entries of ``values`` (1.0 when none is positive)."""
    positive = values[values > 0]
    return float(np.quantile(positive, RESPONSE_QUANTILE)) if positive.size else 1.0


def _lerp(a, b, t):
    """``numpy.quantile``'s linear interpolation between two order statistics, operation for operation."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _membership(peak_index, n_peaks):
    """(n_peaks,) bool: True at ``peak_index``."""
    member = np.zeros(n_peaks, dtype=bool)
    member[peak_index] = True
    return member


class _TopResponses:
    """The largest positive responses at a parent's peaks, sorted, and the peak of each: a subset's quantile of
    its positive responses, when it lies among them, without masking and partitioning the subset's responses.

    ``quantile`` equals ``np.quantile(v[v > 0], q)`` (linear method) of the subset's responses ``v``, or is
    None when the subset's order statistics lie below the kept top (then the caller computes it in full).
    """

    #: Share of the parent's positive responses kept (a subset of most of the maps needs its top 1 %).
    SHARE = 0.05

    def __init__(self, values):
        n_peaks = values.shape[1]
        self.n_peaks = n_peaks
        self.positive_per_peak = np.count_nonzero(values > 0, axis=0)
        flat = values.ravel()
        k = min(int(self.positive_per_peak.sum()), max(64, int(np.ceil(self.SHARE * flat.size))))
        top = np.argpartition(flat, flat.size - k)[flat.size - k:] if k else np.zeros(0, dtype=np.intp)
        top = top[np.argsort(-flat[top], kind="stable")]  # descending; all positive (k <= positives)
        self.values, self.peaks = flat[top], top % n_peaks

    def quantile(self, peak_index, q, member=None):
        """``np.quantile`` of the positive responses at the parent's peaks ``peak_index`` (1.0 when none is
        positive, as :meth:`PeakCountRegressor._ranges`), or None when the kept top does not reach it.
        ``member``: :func:`_membership` of ``peak_index`` when already made (the channels of one subset share it)."""
        n = int(self.positive_per_peak[peak_index].sum())
        if n == 0:
            return 1.0  # as _ranges: no positive response
        if member is None:
            member = _membership(peak_index, self.n_peaks)
        mine = self.values[member[self.peaks]]  # the subset's largest positive responses, descending
        virtual = (n - 1) * q
        if mine.size == 0:
            return None
        if virtual >= n - 1:
            return float(mine[0])
        previous = int(np.floor(virtual))
        position = n - 1 - previous  # of the ascending order statistic ``previous``, counted from the top
        if position >= mine.size:
            return None
        return float(_lerp(mine[position], mine[position - 1], virtual - previous))


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
    one_hot = np.zeros((features.shape[0], n_classes))
    one_hot[np.arange(features.shape[0]), labels] = 1.0
    means = (one_hot.T @ features) / np.maximum(counts, 1)[:, None]  # class sums by one product
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


#: The percentile of the training maps' held-out chi² to their nearest template (:func:`held_out_nearest_chi2`)
#: that a stored chi² student keeps: the yardstick for new maps that look like no class (``models.pipeline.predict``).
NEAREST_CHI2_QUANTILE = 99


def held_out_nearest_chi2(features, y2, covariance="pooled", folds=5, seed=0):
    """Each training sample's chi² to the nearest class template, the templates and covariance fitted without it.

    What new samples like the training ones give (:func:`chi2_predict`), which the in-sample chi² understates: on
    96 lensing maps of 10 cosmologies, 22 bins, 133 of 160 new maps of the same simulator lay beyond the in-sample
    99th percentile.

    Parameters
    ----------
    features : ndarray of shape (n, F)
    y2 : ndarray of shape (n, T)
        Target rows; a class is one distinct row.
    covariance : {"pooled", "per_class"}, default="pooled"
    folds : int, default=5
        Random folds; each is scored by the templates of the others (a class missing from them is not a template).
    seed : int, default=0

    Returns
    -------
    ndarray of shape (n,)
    """
    features = np.asarray(features, dtype=np.float64)
    rows = np.asarray(y2).reshape(len(features), -1)
    fold_of = np.random.default_rng(seed).permutation(len(features)) % max(2, min(folds, len(features)))
    nearest = np.empty(len(features))
    for k in np.unique(fold_of):
        held, rest = fold_of == k, fold_of != k
        _, labels = np.unique(rows[rest], axis=0, return_inverse=True)
        means, precision = chi2_fit(features[rest], labels.ravel(), covariance)
        nearest[held] = chi2_predict(features[held], means, precision)[1].min(axis=1)
    return nearest


def _class_labels(y2):
    """The distinct target rows of ``y2`` (n, T), sorted as ``np.unique(y2, axis=0)`` sorts them, and the class of
    each row, shape (n,): what :class:`_Chi2Model` fits on, computed once for the fits of several histogram ranges."""
    classes, labels = np.unique(y2, axis=0, return_inverse=True)
    return classes, labels.ravel()


class _Chi2Model:
    """Discrete-target regressor: the nearest class mean in chi² metric, predicting its target row.

    A class is one distinct *row* of ``y2`` (all target columns together), so two cosmologies that share
    Omega_m but differ in sigma_8 stay two classes.
    """

    def __init__(self, covariance="pooled"):
        self.covariance = covariance

    def fit(self, features, y2, classes=None):
        """``classes``: :func:`_class_labels` of ``y2`` when the caller has it (several fits on the same rows)."""
        self.classes_, labels = _class_labels(y2) if classes is None else classes
        self.means_, self.precision_ = chi2_fit(features, labels, self.covariance)
        return self

    def predict(self, features):
        labels, _ = chi2_predict(features, self.means_, self.precision_)
        return self.classes_[labels]


class _RidgeModel:
    """Standardised features + ridge with the penalty chosen by leave-one-out cross-validation."""

    def fit(self, features, y2, classes=None):
        """``classes`` is not read (the signature of :meth:`_Chi2Model.fit`)."""
        self.mean_ = features.mean(axis=0)
        scale = features.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.ridge_ = linear_model("cv").fit((features - self.mean_) / self.scale_, y2)
        return self

    def predict(self, features):
        return self.ridge_.predict((features - self.mean_) / self.scale_).reshape(features.shape[0], -1)


def _looks_like_convergence(q_heights):
    """Whether peak heights look like weak-lensing convergence (99.5th percentile in [0.01, 0.3]).

    ``q_heights``: their 0.5th and 99.5th percentiles (:func:`_height_quantiles`), or ``None``.
    """
    if q_heights is None:
        return False
    low, high = q_heights
    return bool(0.01 <= high <= 0.3 and low > -0.1)


#: ``method="auto"`` takes chi² when the targets take at most ``CHI2_MAX_CLASSES`` distinct rows and every class has
#: at least ``CHI2_MIN_MAPS`` training maps (a template from fewer is mostly noise); otherwise a ridge.
CHI2_MAX_CLASSES = 20
CHI2_MIN_MAPS = 5


def peak_student_method(y, method="auto", classes=None):
    """What a map student fits on targets ``y``: ``"chi2"`` (nearest class template) or ``"ridge"``.

    Parameters
    ----------
    y : ndarray of shape (n,) or (n, k)
        The training targets; a class is one distinct row.
    method : {"auto", "chi2", "ridge"}, default="auto"
        ``"auto"``: chi² for at most :data:`CHI2_MAX_CLASSES` classes of at least :data:`CHI2_MIN_MAPS` maps
        each, else ridge; the others are returned as they are.
    classes : tuple, optional
        :func:`_class_labels` of ``y`` when already computed.

    Returns
    -------
    {"chi2", "ridge"}

    Examples
    --------
    >>> peak_student_method(np.repeat([0.2, 0.3, 0.4], 6)), peak_student_method(np.repeat([0.2, 0.3, 0.4], 4))
    ('chi2', 'ridge')
    """
    if method != "auto":
        return method
    y2 = np.asarray(y).reshape(len(y), -1)
    counts = np.bincount((_class_labels(y2) if classes is None else classes)[1])
    return "chi2" if len(counts) <= CHI2_MAX_CLASSES and counts.min() >= CHI2_MIN_MAPS else "ridge"


def _n_params(model, method, n_features, n_outputs):
    """Fitted numbers of a map student: the histogram range (2) plus, for chi², the class templates, the
    distinct entries of the (symmetric) covariance and the class target rows; for ridge, the weights,
    intercepts and the standardisation."""
    if method == "chi2":
        n_classes = model.means_.shape[0]
        n_cov = n_features * (n_features + 1) // 2 * (n_classes if model.precision_.ndim == 3 else 1)
        return 2 + n_classes * n_features + n_cov + n_classes * n_outputs
    return 2 + n_outputs * (n_features + 1) + 2 * n_features


class PeakCountRegressor(RegressorMixin, BaseEstimator):
    """Peak counting on maps: histograms of filter responses at the peaks, then chi² or ridge.

    Parameters
    ----------
    kernels : sequence or dict of (3, 3) arrays, default=None
        Filters read at the peaks when ``response`` is ``"kernels"`` or ``"magnitude"`` (e.g.
        ``subfilters_3x3(h)``, whose values LL, LH, HL, HH are taken in that order); ``None`` uses
        ``[LAPLACE_KERNEL]``, which ``"magnitude"`` refuses (it needs the four sub-filters).
    response : {"kernels", "raw", "roberts", "magnitude"}, default="kernels"
        What is histogrammed: the kernels' responses (the paper's student), the raw peak heights, the
        Roberts-cross response, or, from four kernels LL, LH, HL, HH, two channels: the LL response and the
        detail magnitude ``sqrt(LH² + HL² + HH²)``. For ``"magnitude"`` each channel is divided by its own
        :data:`RESPONSE_QUANTILE` of positive training responses (``channel_scale_``) before binning, so one
        range serves both channels and ``bin_max`` is in units of that quantile.
    bins : int, default=22
        Histogram bins per channel.
    bin_max : "auto", float or sequence of float, default="auto"
        Upper histogram bound ``b`` (range ``[0, b]``; for ``response="raw"`` the range is
        ``[low, b]``, see below). A float fixes it; a sequence gives candidates chosen on a validation
        split (lowest validation MSE); ``"auto"`` takes as candidates the 99th percentile ``q`` of the
        positive peak responses times (0.6, 0.8, 1.0, 1.2, 1.4), plus :data:`PAPER_BIN_MAX` when the maps
        look like convergence maps (99.5th percentile of the raw peak heights in [0.01, 0.3] and their 0.5th
        percentile above -0.1). For
        ``response="raw"``, ``"auto"`` uses :data:`RAW_BIN_RANGE` for convergence maps and the 0.5 and
        99.5 percentiles of the peak heights otherwise; explicit values set the upper bound, the lower
        bound following the same rule. For ``response="magnitude"``, ``"auto"`` takes (0.6, 0.8, 1.0, 1.2,
        1.4) of the scaled responses.
    method : {"auto", "chi2", "ridge"}, default="auto"
        ``"chi2"``: targets take a few discrete values; a class is one distinct *row* of ``y`` (pass every
        parameter column, e.g. (Omega_m, sigma_8), so that two cosmologies sharing one value stay apart);
        per-class mean histogram and the pseudo-inverse of the within-class covariance; the prediction is
        the target row of the class with the smallest chi². ``"ridge"``: ridge on standardised histograms,
        penalty chosen by leave-one-out CV. ``"auto"``: chi2 when ``y`` has at most 20 distinct rows, each
        seen at least 5 times, ridge otherwise.
    covariance : {"pooled", "per_class"}, default="pooled"
        Covariance in the chi² (see :func:`chi2_fit`).
    signed : bool, default=False
        Bin a channel whose response can be below 0 at a peak (the LL response; a kernel's, unless
        :func:`models.students.peaks.never_negative_at_peaks`) over ``[-b, b]`` instead of ``[0, b]``, so that its
        negative responses are counted. False keeps the paper's range from 0 for every channel. The detail
        magnitude, the Roberts cross and the raw heights keep their ranges either way.
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
        Histogram range used (of the scaled responses for ``"magnitude"``).
    channel_ranges_ : ndarray of shape (n_channels, 2)
        Each channel's histogram range: ``bin_range_``, or ``[-b, b]`` for a channel ``signed`` widens.
    channel_scale_ : ndarray of shape (n_channels,)
        What each channel's responses are divided by before binning: ones, except for ``"magnitude"``.
    outside_range_ : dict of str to ndarray of shape (n_channels,)
        ``"below"`` and ``"above"``: the share of the training peaks whose response in each channel falls below or
        above its range (``channel_ranges_``); those responses are in no bin (the paper's ranges start at 0, so
        without ``signed`` a wavelet channel's negative responses are not counted).
    bin_scores_ : dict of float to float
        Validation MSE per candidate upper bound (empty when ``bin_max`` is one float).
    n_features_ : int
        ``n_channels * bins``.
    n_params_ : int
        Fitted numbers (histogram range, templates and covariance or ridge weights; see :func:`_n_params`).
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
        "response": [StrOptions({"kernels", "raw", "roberts", "magnitude"})],
        "bins": [Interval(Integral, 1, None, closed="left")],
        "bin_max": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither"), "array-like"],
        "method": [StrOptions({"auto", "chi2", "ridge"})],
        "covariance": [StrOptions({"pooled", "per_class"})],
        "signed": ["boolean"],
        "score_column": [None, Interval(Integral, 0, None, closed="left")],
        "val_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, kernels=None, *, response="kernels", bins=22, bin_max="auto", method="auto",
                 covariance="pooled", signed=False, score_column=None, val_fraction=0.2, random_state=0):
        self.kernels = kernels
        self.response = response
        self.bins = bins
        self.bin_max = bin_max
        self.method = method
        self.covariance = covariance
        self.signed = signed
        self.score_column = score_column
        self.val_fraction = val_fraction
        self.random_state = random_state

    def _ranges(self, values, height_quantiles, scale=None):
        """Candidate (low, high) ranges from the bin_max setting, the peak responses and the peak heights'
        percentiles (:func:`_height_quantiles`); ``scale``: the positive responses' :data:`RESPONSE_QUANTILE`
        when already known (:class:`_TopResponses`)."""
        convergence = _looks_like_convergence(height_quantiles)
        q_heights = np.array([0.0, 1.0]) if height_quantiles is None else height_quantiles
        explicit = None if isinstance(self.bin_max, str) else list(np.atleast_1d(np.asarray(self.bin_max, float)))
        if self.response == "raw":
            lo = RAW_BIN_RANGE[0] if convergence else float(q_heights[0])
            if explicit is None:
                highs = [RAW_BIN_RANGE[1] if convergence else float(q_heights[1])]
            else:
                highs = explicit
            return [(lo, hi) for hi in highs if hi > lo] or [(lo, lo + 1.0)]
        if explicit is None:
            if scale is None:
                scale = _positive_quantile(np.asarray(values).ravel())
            highs = [scale * f for f in (0.6, 0.8, 1.0, 1.2, 1.4)]
            if convergence and self.response != "magnitude":  # convergence units: not those of scaled responses
                highs = list(PAPER_BIN_MAX) + highs
        else:
            highs = explicit
        return [(0.0, hi) for hi in highs if hi > 0] or [(0.0, 1.0)]

    def _signed_channels(self):
        """(n_channels,) bool: the channels whose response can be below 0 at a peak (see ``signed``)."""
        if self.response == "magnitude":  # the LL response, then a norm
            return np.array([True, False])
        if self.response == "kernels":
            return np.array([not never_negative_at_peaks(k) for k in self.kernels_])
        return np.array([False])  # raw heights (a range of their own) and the Roberts cross (a sum of norms)

    def _lows(self, bin_range):
        """Each channel's lower histogram bound for ``bin_range`` (``-b`` where ``signed`` widens it), or None
        when every channel takes ``bin_range``'s own."""
        widened = self._signed_channels() if self.signed else np.zeros(1, dtype=bool)
        if not widened.any():
            return None
        return np.where(widened, -float(bin_range[1]), float(bin_range[0]))

    def _features(self, maps, bin_range):
        scale = self.channel_scale_ if self.response == "magnitude" else None
        return _count_peaks(maps, self._kernel_columns, self.response, bin_range, self.bins, scale,
                            self._lows(bin_range))

    def _features_ranges(self, maps, bin_ranges):
        """:meth:`_features` of several ranges, the maps read in one compiled pass: a list of (n, F) histograms."""
        scale = self.channel_scale_ if self.response == "magnitude" else None
        return _count_peaks_ranges(maps, self._kernel_columns, self.response, bin_ranges, self.bins, scale,
                                   [self._lows(r) for r in bin_ranges])

    def _scaled(self, values):
        """(C, n_peaks) responses divided by :attr:`channel_scale_` (only ``"magnitude"`` scales them)."""
        if self.response != "magnitude":
            return values
        return values / self.channel_scale_[:, None]

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
        patches, _ = _peak_patches(maps)
        return self._fit_peaks(n, y, lambda: _patch_responses(patches, self.response, self._kernel_columns),
                               lambda ranges, values: self._features_ranges(maps, ranges), height_quantiles=None,
                               heights=patches[:, 4])

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
        return self._fit_peaks(peaks.n_maps, y, lambda: self._responses(peaks),
                               lambda ranges, values: self._histograms_ranges(peaks, values, ranges),
                               height_quantiles=peaks.height_quantiles, scale=lambda: self._subset_scale(peaks),
                               channel_scale=lambda: self._subset_channel_scale(peaks))

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
        return self._predict_features(self._peak_features(peaks, self.bin_range_))

    def _peak_features(self, peaks, bin_range):
        return self._histograms(peaks, self._scaled(self._responses(peaks)), bin_range)

    # Cross-validation fits one student on many subsets of the same peaks (PeakPatches.subset). What does not
    # depend on the fold is computed once on the parent and kept in ``_memo``: the responses at every peak, the
    # per-map histograms over the ranges that do not depend on the training peaks (_fixed_ranges; a map's
    # histogram does not depend on the other maps in its fold, so a fold's are rows of the parent's), and the
    # largest responses (_TopResponses, for a fold's percentile in _ranges).
    def _memo_for(self, parent):
        key = (self.response, self.bins, self.signed,
               None if self._kernel_columns is None else self._kernel_columns.tobytes())
        memo = getattr(self, "_memo", None)
        if memo is None or memo["parent"] is not parent or memo["key"] != key:
            memo = self._memo = {"parent": parent, "key": key, "values": None, "histograms": {}}
        return memo

    def _responses(self, peaks):
        """(C, n_peaks) responses at the peaks, C-contiguous; for a subset, taken from its parent's (computed once;
        ``np.take``, not ``[:, index]``, whose copy is column-major and ten times slower to make and to divide)."""
        if peaks.parent is None:
            return np.ascontiguousarray(_patch_responses(peaks.patches, self.response, self._kernel_columns))
        return np.take(self._parent_responses(peaks.parent), peaks.peak_index, axis=1)

    def _parent_responses(self, parent):
        memo = self._memo_for(parent)
        if memo["values"] is None:
            memo["values"] = np.ascontiguousarray(_patch_responses(parent.patches, self.response,
                                                                   self._kernel_columns))
        return memo["values"]

    def _histograms(self, peaks, values, bin_range):
        """(n_maps, C * bins) histograms of ``values`` (the responses at ``peaks``); for a subset and a range in
        :meth:`_fixed_ranges`, the rows of its parent's histograms (computed once per range)."""
        return self._histograms_ranges(peaks, values, [bin_range])[0]

    def _histograms_ranges(self, peaks, values, bin_ranges):
        """:meth:`_histograms` of several ranges: a list of (n_maps, C * bins) arrays. The ranges binned from
        ``values`` are binned in one pass over them, and so are the parent's missing fixed ranges."""
        keys = [tuple(r) for r in bin_ranges]
        fixed = self._fixed_ranges() if peaks.parent is not None else set()
        out = {}
        if fixed & set(keys):
            parent = peaks.parent
            tables = self._memo_for(parent)["histograms"]
            missing = list(dict.fromkeys(k for k in keys if k in fixed and k not in tables))
            if missing:
                tables.update(zip(missing, bin_peak_values_ranges(self._parent_responses(parent), parent.sample,
                                                                  parent.n_maps, missing, self.bins,
                                                                  [self._lows(k) for k in missing])))
            out.update({k: tables[k][peaks.rows] for k in keys if k in fixed})
        rest = list(dict.fromkeys(k for k in keys if k not in out))
        if rest:
            out.update(zip(rest, bin_peak_values_ranges(values, peaks.sample, peaks.n_maps, rest, self.bins,
                                                        [self._lows(k) for k in rest])))
        return [out[k] for k in keys]

    def _subset_scale(self, peaks):
        """The positive responses' :data:`RESPONSE_QUANTILE` for a subset of a parent's peaks, found among the
        parent's largest responses (:class:`_TopResponses`, built once); None when it must be computed in full."""
        if peaks.parent is None or self.response in ("raw", "magnitude") or not isinstance(self.bin_max, str):
            return None
        memo = self._memo_for(peaks.parent)
        if "top" not in memo:
            memo["top"] = _TopResponses(self._parent_responses(peaks.parent))
        return memo["top"].quantile(peaks.peak_index, RESPONSE_QUANTILE)

    def _subset_channel_scale(self, peaks):
        """``"magnitude"``'s :attr:`channel_scale_` for a subset of a parent's peaks: each channel's positive
        responses' :data:`RESPONSE_QUANTILE`, found among the parent's largest responses of that channel
        (:class:`_TopResponses`, one per channel, built once); a channel's entry is None when it must be computed in
        full. None for the other responses and for peaks that are no subset."""
        if peaks.parent is None or self.response != "magnitude":
            return None
        memo = self._memo_for(peaks.parent)
        if "channel_top" not in memo:
            values = self._parent_responses(peaks.parent)
            memo["channel_top"] = [_TopResponses(values[c:c + 1]) for c in range(values.shape[0])]
        member = _membership(peaks.peak_index, len(peaks.parent.sample))
        return [top.quantile(peaks.peak_index, RESPONSE_QUANTILE, member) for top in memo["channel_top"]]

    def _fixed_ranges(self):
        """Candidate ranges :meth:`_ranges` can return that depend only on the parameters, not on the peaks."""
        if self.response == "raw":
            return {tuple(RAW_BIN_RANGE)}
        if self.response == "magnitude":  # the scaled responses depend on the training peaks' quantiles
            return set()
        if isinstance(self.bin_max, str):
            return {(0.0, hi) for hi in PAPER_BIN_MAX}
        return {(0.0, hi) for hi in np.atleast_1d(np.asarray(self.bin_max, float)) if hi > 0}

    def _fit_peaks(self, n, y, responses, features_of, height_quantiles=None, heights=None, scale=None,
                   channel_scale=None):
        """The fit from the peaks: ``responses()`` gives the responses at the peaks, (C, n_peaks), once the
        kernels are set; ``features_of(bin_ranges, values)`` the list of (n, F) histograms of those ranges;
        ``height_quantiles`` the peak heights' percentiles (:attr:`PeakPatches.height_quantiles`), or ``heights``
        to compute them from; ``scale()`` the responses' quantile of :meth:`_ranges`, or None to compute it there;
        ``channel_scale()`` (``"magnitude"``) each channel's quantile, a list whose None entries (or None) are
        computed from the responses.

        The class labels of the target rows are found once for the fits of every candidate range, and every
        range's histograms in one call of ``features_of``: the same fits as one range after another."""
        y2 = y.reshape(y.shape[0], -1)
        if self.score_column is not None and self.score_column >= y2.shape[1]:
            raise InputError("score_column", f"is {self.score_column} but y has {y2.shape[1]} columns",
                             f"pass 0..{y2.shape[1] - 1} or None")
        scored = slice(None) if self.score_column is None else slice(self.score_column, self.score_column + 1)
        self.kernels_ = _kernel_list(self.kernels) if self.response in ("kernels", "magnitude") else []
        if self.response == "magnitude":
            _check_magnitude_kernels(self.kernels_)
        self._kernel_columns = _kernel_matrix(self.kernels_) if self.kernels_ else None
        classes = _class_labels(y2) if self.method != "ridge" else None  # ridge fits read no classes
        self.method_ = peak_student_method(y2, self.method, classes)
        values = np.ascontiguousarray(responses())
        self.channel_scale_ = np.ones(values.shape[0])
        if self.response == "magnitude":  # each channel in units of its quantile, which the ranges then scale
            known = (channel_scale() if channel_scale is not None else None) or [None] * values.shape[0]
            self.channel_scale_ = np.array([_positive_quantile(v) if q is None else q for v, q in zip(values, known)])
            values, scale = self._scaled(values), (lambda: 1.0)
        if height_quantiles is None and heights is not None:  # None from fit_peaks: maps without peaks
            height_quantiles = _height_quantiles(heights)
        ranges = self._ranges(values, height_quantiles, scale=None if scale is None else scale())
        self.bin_scores_ = {}
        by_range = {}  # the histograms of each candidate range: the final fit reuses the chosen one's
        if len(ranges) > 1:
            rng = np.random.default_rng(self.random_state)
            perm = rng.permutation(n)
            n_val = max(1, int(round(self.val_fraction * n)))
            val, tr = perm[:n_val], perm[n_val:]
            classes_tr = _class_labels(y2[tr]) if self.method_ == "chi2" else None
            for r, feats in zip(ranges, features_of(ranges, values)):
                by_range[(float(r[0]), float(r[1]))] = feats
                model = self._new_model().fit(feats[tr], y2[tr], classes_tr)
                err = float(np.mean((model.predict(feats[val])[:, scored] - y2[val][:, scored]) ** 2))
                self.bin_scores_[float(r[1])] = err
            best = min(self.bin_scores_, key=self.bin_scores_.get)
            self.bin_range_ = next(r for r in ranges if float(r[1]) == best)
        else:
            self.bin_range_ = ranges[0]
        self.bin_range_ = (float(self.bin_range_[0]), float(self.bin_range_[1]))
        # what the histograms leave out (review 32A: the LL channel's responses below 0, about 40 % of the lensing
        # example's peaks, were dropped without a word); shares of the training peaks per channel
        lo, hi = self.bin_range_
        lows = self._lows(self.bin_range_)
        lows = np.full(values.shape[0], lo) if lows is None else lows
        self.channel_ranges_ = np.stack([lows, np.full(values.shape[0], hi)], axis=1)
        n_peaks = max(values.shape[1], 1)  # maps without peaks leave nothing out
        self.outside_range_ = {"below": np.count_nonzero(values < lows[:, None], axis=1) / n_peaks,
                               "above": np.count_nonzero(values > hi, axis=1) / n_peaks}
        features = by_range.get(self.bin_range_)
        if features is None:
            features = features_of([self.bin_range_], values)[0]
        self.model_ = self._new_model().fit(features, y2, classes if self.method_ == "chi2" else None)
        self.n_features_ = features.shape[1]
        self.n_outputs_ = y2.shape[1]
        self.n_params_ = _n_params(self.model_, self.method_, self.n_features_, self.n_outputs_)
        if self.response == "magnitude":
            self.n_params_ += len(self.channel_scale_)
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
        return self._predict_features(self.transform(maps))

    def _predict_features(self, features):
        """Predictions from (n, n_features_) histograms, shaped like the ``y`` given to :meth:`fit`."""
        pred = np.asarray(self.model_.predict(features), dtype=np.float64)
        pred = pred.reshape(pred.shape[0], -1)
        return pred[:, 0] if self._y_1d else pred
