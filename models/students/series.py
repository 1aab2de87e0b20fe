"""The time-series student: k wavelet coefficients per band and a linear model, fitted and deployed.

docs/science.md, "Time-series student": per band of a PyWavelets-layout coefficient list
``[cA_J, cD_J, ..., cD_1]`` keep ``k`` coefficients, concatenate the ``(J + 1) * k`` features, standardise them
and fit a ridge model with a cross-validated penalty, or ordinary least squares (:class:`TopKLinearRegressor`, a
scikit-learn estimator). Which ``k``: the largest of each series, wherever they sit (:func:`topk_features`, the
paper's student, for events at any time), or the same ``k`` positions for every series, those whose coefficients
correlate most with the target on the training data and are not mixes of positions already kept
(:func:`best_positions`, :func:`position_features`, for information at fixed times). Either may be confined to
candidate coefficients, per band (the pipeline leaves out those whose analysis filter lies almost wholly beyond the
series' ends). :class:`SeriesPredictor` is the same fitted model deployed on raw series: one product with the
dense analysis operator (its candidates' rows), then the selection and the linear model compiled
(:mod:`models.students.topk_kernel`), or for fixed positions only their rows of the operator.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from awd_studio.models import wavelets
from awd_studio.models.students._common import RIDGE_ALPHAS, _check_y, _to_numpy, linear_model
from awd_studio.models.students.ridge import Workspace, centred_loo_ridge, fitted_shapes
from awd_studio.models.validation import InputError

__all__ = ["topk_features", "candidate_columns", "best_positions", "position_features", "TopKLinearRegressor",
           "standardization", "fold_fits", "SeriesPredictor", "PREDICT_CHUNK", "MAX_POSITION_R2"]

#: A fixed-positions student does not keep a position if, with it, some kept coefficient would be carried by the
#: others to this R² or more on the training series (:func:`best_positions`). Such a coefficient is nearly a linear
#: mix of the others, as the coarse bands of a zero-mode transform are (their coefficients outnumber the values they
#: are computed from), and its weight is not identified. Review 51D found 18 of the 30 terms of the synthetic
#: example's db5 student to be such mixes; the results' note names them from the same R²
#: (``models.pipeline.trust.REDUNDANT_R2``). A stricter limit (0.9) lost a quarter of the test R² in a case where
#: the information lies in the small part of a coefficient the others do not carry (docs/science.md, "Fixed
#: positions").
MAX_POSITION_R2 = 0.99


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


def _check_candidates(candidates, band_sizes):
    """``candidates`` as one boolean array a band, checked against the bands' lengths ``band_sizes``."""
    masks = [np.asarray(c, dtype=bool).reshape(-1) for c in candidates]
    sizes = [int(size) for size in band_sizes]
    if [len(m) for m in masks] != sizes:
        raise InputError("candidates", f"has {[len(m) for m in masks]} positions a band, the coefficients "
                         f"{sizes}", "pass one boolean a coefficient, band by band")
    return masks


def candidate_columns(bands, candidates):
    """Each band's candidate coefficients (all of them when ``candidates`` is None).

    Parameters
    ----------
    bands : list of ndarray, each of shape (n, n_j)
    candidates : list of array-like of bool, or None
        One a band, of shape ``(n_j,)``.

    Returns
    -------
    list of ndarray, each of shape (n, number of candidates of band j)

    Examples
    --------
    >>> [b.tolist() for b in candidate_columns([np.array([[1.0, -5.0, 3.0]])], [[True, False, True]])]
    [[[1.0, 3.0]]]
    """
    if candidates is None:
        return list(bands)
    return [band[:, mask] for band, mask in zip(bands, _check_candidates(candidates, [b.shape[1] for b in bands]))]


def topk_features(coeffs, k=6, by="signed", candidates=None):
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
    candidates : list of array-like of bool, optional
        One a band, of shape ``(n_j,)``: the coefficients the ``k`` are taken from (all when None). The pipeline
        leaves out those whose analysis filter lies almost wholly beyond the series' ends
        (:func:`models.pipeline.students.series_candidates`).

    Returns
    -------
    features : ndarray of shape (n, (J + 1) * k)
        Band after band, in the order of ``coeffs``. A band with fewer than ``k`` coefficients (or candidates) is
        padded with zeros at the end of its block.

    Examples
    --------
    >>> topk_features([np.array([[1.0, -5.0, 3.0]])], k=2)
    array([[3., 1.]])
    >>> topk_features([np.array([[1.0, -5.0, 3.0]])], k=2, by="abs")
    array([[-5.,  3.]])
    >>> topk_features([np.array([[1.0, -5.0, 3.0]])], k=2, candidates=[[True, True, False]])
    array([[ 1., -5.]])
    """
    bands = _check_coeff_list(coeffs)
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise InputError("k", f"must be a positive integer, got {k!r}", "pass e.g. 6")
    if by not in ("signed", "abs"):
        raise InputError("by", f"unknown ordering {by!r}", "use 'signed' or 'abs'")
    n = bands[0].shape[0]
    blocks = []
    for band in candidate_columns(bands, candidates):
        if by == "signed":  # values only: partition off the k largest, then sort them (2-5x faster than argsort
            # and take_along_axis on bands of 12-24 coefficients; the same values, tests/models/test_predictors.py)
            length = band.shape[1]
            largest = np.partition(band, length - k, axis=1)[:, length - k:] if length > k else band
            top = -np.sort(-largest, axis=1)
        else:  # which of equal magnitudes ranks first decides the sign kept: a stable order of the keys
            order = np.argsort(-np.abs(band), axis=1, kind="stable")[:, :k]
            top = np.take_along_axis(band, order, axis=1)
        if top.shape[1] < k:
            top = np.concatenate([top, np.zeros((n, k - top.shape[1]))], axis=1)
        blocks.append(top)
    return np.concatenate(blocks, axis=1)


def best_positions(coeffs, y, k=6, candidates=None, max_r2=MAX_POSITION_R2):
    """In each band, the ``k`` positions whose coefficient correlates most with the target over the series, passing
    over those that are linear mixes of the positions kept before them.

    All candidate positions, of every band, are taken in order of decreasing squared correlation with the target. A
    position is kept if its band has fewer than ``k`` and if, with it, no kept coefficient is carried by the other
    kept ones (every band's) to an R² of ``max_r2`` or more on the series: the R² of each regressed on the others
    with an intercept, from the inverse of their correlation matrix (as
    :func:`models.pipeline.student_params.redundancy` measures it, with the same 1e-10 ridge).

    Parameters
    ----------
    coeffs : list of array-like, each of shape (n, n_j)
        PyWavelets layout ``[cA_J, cD_J, ..., cD_1]`` of the training series.
    y : array-like of shape (n,) or (n, n_targets)
        Several targets add their squared correlations.
    k : int, default=6
    candidates : list of array-like of bool, optional
        One a band, of shape ``(n_j,)``: the positions that may be chosen (all when None). The pipeline leaves out
        coefficients whose analysis filter lies almost wholly beyond the series' ends
        (:func:`models.pipeline.students.series_candidates`).
    max_r2 : float or None, default=:data:`MAX_POSITION_R2`
        None keeps the ``k`` most correlated positions of each band, mixes or not. A coefficient that is constant
        over the series is never a mix: it is kept in its turn (its weight is zero).

    Returns
    -------
    positions : list of ndarray of int
        One array a band, at most ``k`` positions ordered by decreasing squared correlation (the earlier
        position first among equal ones); fewer when a band has fewer candidates, or fewer that are not mixes of
        those kept. A coefficient that is constant over the series has correlation 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> band = rng.normal(size=(200, 5))
    >>> [p.tolist() for p in best_positions([band], band[:, 3] - 0.5 * band[:, 1], k=2)]
    [[3, 1]]
    >>> [p.tolist() for p in best_positions([band], band[:, 3] - 0.5 * band[:, 1], k=2,
    ...                                     candidates=[[True, True, True, False, True]])]
    [[1, 2]]

    A coefficient that is the sum of two kept ones is passed over, in favour of one that is not:

    >>> a, b, c = rng.normal(size=(3, 200))
    >>> band = np.c_[a, b, a + b, 0.1 * c]
    >>> [p.tolist() for p in best_positions([band], a + b + 0.1 * c, k=3)]
    [[2, 1, 3]]
    >>> [p.tolist() for p in best_positions([band], a + b + 0.1 * c, k=3, max_r2=None)]
    [[2, 1, 0]]
    """
    bands = _check_coeff_list(coeffs)
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise InputError("k", f"must be a positive integer, got {k!r}", "pass e.g. 6")
    if max_r2 is not None and not 0.0 < max_r2 <= 1.0:
        raise InputError("max_r2", f"must lie in (0, 1], got {max_r2!r}", "pass e.g. 0.99, or None")
    masks = None if candidates is None else _check_candidates(candidates, [b.shape[1] for b in bands])
    y = np.asarray(y, dtype=np.float64).reshape(bands[0].shape[0], -1)
    yc = y - y.mean(axis=0)
    y_norm = np.sqrt((yc ** 2).sum(axis=0))
    centred, scores = [], []
    for band in bands:
        bc = band - band.mean(axis=0)
        norm = np.sqrt((bc ** 2).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = (bc.T @ yc) / np.outer(norm, y_norm)  # (n_j, n_targets)
        scores.append(np.nan_to_num(corr ** 2, nan=0.0, posinf=0.0).sum(axis=1))
        centred.append(bc)
    # every band's candidates in one order: decreasing score, then band, then position (a stable sort)
    band_of = np.concatenate([np.full(len(score), b) for b, score in enumerate(scores)])
    position_of = np.concatenate([np.arange(len(score)) for score in scores])
    order = np.argsort(-np.concatenate(scores), kind="stable")
    if masks is not None:
        order = order[np.concatenate(masks)[order]]
    kept = [[] for _ in bands]
    if max_r2 is None:
        for j in order:
            if len(kept[band_of[j]]) < k:
                kept[band_of[j]].append(position_of[j])
        return [np.asarray(p, dtype=np.int64) for p in kept]
    columns = np.concatenate(centred, axis=1)[:, order]  # the candidates, in their order
    norms = np.sqrt((columns ** 2).sum(axis=0))
    live = norms > 1e-12 * max(float(np.abs(columns).max(initial=0.0)), 1e-300)
    unit = columns / np.where(live, norms, 1.0)
    band_in_order = band_of[order]
    # The candidates' turns, one after another, run in steps: from the next turn on, every candidate is tried
    # against the kept ones at once, and the first that passes is kept. Those before it fail, and would fail
    # later too: more kept coefficients only raise every R².
    kept_live = []  # kept live candidates, by their turn
    correlation_rows = []  # each one's correlations with every candidate (a 1e-10 ridge on its own)
    inverse = np.zeros((0, 0))  # of the kept live candidates' correlation matrix (with the ridge)
    turn = 0
    while turn < len(order):
        room = np.array([len(kept[b]) < k for b in band_in_order[turn:]])
        passes = room & ~live[turn:]  # a constant coefficient is never a mix
        if kept_live:
            cross = np.stack(correlation_rows)[:, turn:]  # (m, remaining)
            projected = inverse @ cross
            schur = 1.0 + 1e-10 - (cross * projected).sum(axis=0)  # 1 - R² of each on the kept
            with np.errstate(divide="ignore"):  # inverse diagonal with each candidate added (block inversion)
                grown = np.diag(inverse)[:, None] + projected ** 2 / schur
                worst = np.maximum(1.0 - 1.0 / grown.max(axis=0), 1.0 - schur)
            passes |= room & live[turn:] & (schur > 0) & (worst < max_r2)
        else:
            passes |= room & live[turn:]
        if not passes.any():
            break
        i = turn + int(np.argmax(passes))
        kept[band_in_order[i]].append(position_of[order[i]])
        if live[i]:
            if kept_live:
                column = projected[:, i - turn]
                s_i = schur[i - turn]
                inverse = np.block([[inverse + np.outer(column, column) / s_i, -column[:, None] / s_i],
                                    [-column[None, :] / s_i, np.array([[1.0 / s_i]])]])
            else:
                inverse = np.array([[1.0 / (1.0 + 1e-10)]])
            row = unit.T @ unit[:, i]
            row[i] += 1e-10
            correlation_rows.append(row)
            kept_live.append(i)
        turn = i + 1
    return [np.asarray(p, dtype=np.int64) for p in kept]


def position_features(coeffs, positions, k=6):
    """The coefficients at fixed positions of each band, concatenated (the features of ``by="position"``).

    Parameters
    ----------
    coeffs : list of array-like, each of shape (n, n_j)
    positions : list of array-like of int
        One a band (:func:`best_positions`), at most ``k`` each.
    k : int, default=6

    Returns
    -------
    features : ndarray of shape (n, (J + 1) * k)
        Band after band; a band with fewer than ``k`` positions is padded with zeros at the end of its block, as
        :func:`topk_features` pads.

    Examples
    --------
    >>> position_features([np.array([[1.0, -5.0, 3.0]])], [[2, 0]], k=3)
    array([[3., 1., 0.]])
    """
    bands = _check_coeff_list(coeffs)
    if len(positions) != len(bands):
        raise InputError("coeffs", f"has {len(bands)} bands, the positions were chosen on {len(positions)}",
                         "pass as many bands as the student was fitted on")
    n = bands[0].shape[0]
    blocks = []
    for band, where in zip(bands, positions):
        where = np.asarray(where, dtype=np.int64)
        if len(where) > k or (len(where) and (where.min() < 0 or where.max() >= band.shape[1])):
            raise InputError("coeffs", f"a band of {band.shape[1]} coefficients cannot give positions "
                             f"{where.tolist()}", "pass the bands the student was fitted on")
        block = np.zeros((n, k))
        block[:, :len(where)] = band[:, where]
        blocks.append(block)
    return np.concatenate(blocks, axis=1)


class TopKLinearRegressor(RegressorMixin, BaseEstimator):
    """Linear model on the top-k coefficients of each wavelet band.

    Parameters
    ----------
    k : int, default=6
        Coefficients kept per band.
    by : {"signed", "abs", "position"}, default="signed"
        Which: each series' ``k`` largest (``"signed"``) or largest in magnitude (``"abs"``), sorted
        (:func:`topk_features`); or ``"position"``, the coefficients at the ``k`` positions of each band that
        correlate most with the target on the training data, the same positions for every series
        (:func:`best_positions`, kept in ``positions_``).
    alpha : None, float or "cv", default="cv"
        ``None``: ordinary least squares (the paper's student). A float: ridge with that penalty. ``"cv"``:
        ridge with the penalty chosen among :data:`RIDGE_ALPHAS` by efficient leave-one-out
        cross-validation on the training data. With ``standardize=True`` the penalty acts on the
        standardised features, so its meaning does not depend on the data's units.
    candidates : list of array-like of bool, optional
        Per band, the coefficients the student may read (all when None): with ``by="position"`` the positions that
        may be kept (:func:`best_positions`), otherwise those each series' ``k`` largest are taken from
        (:func:`topk_features`).
    standardize : bool, default=True
        Centre each feature and divide it by its standard deviation (features that are constant on the
        training data keep a scale of 1) before the linear model. The fitted ``coef_`` and ``intercept_``
        are given back on the raw features, so ``predict`` is ``features @ coef_ + intercept_`` either way;
        OLS predictions do not depend on it.

    Attributes
    ----------
    model_ : LinearRegression or Ridge or LeaveOneOutRidge
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
    positions_ : list of ndarray of int
        With ``by="position"``: the kept positions of each band, in feature order.
    n_params_ : int
        Number of fitted numbers (coefficients and intercepts; with ``by="position"`` or ``candidates`` not those
        of padding, the ranks a band's positions or candidates cannot fill).

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
        "by": [StrOptions({"signed", "abs", "position"})],
        "alpha": [None, Interval(Real, 0, None, closed="left"), StrOptions({"cv"})],
        "standardize": ["boolean"],
        "candidates": [None, list],
    }

    def __init__(self, k=6, *, by="signed", alpha="cv", standardize=True, candidates=None):
        self.k = k
        self.by = by
        self.alpha = alpha
        self.standardize = standardize
        self.candidates = candidates

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
        if self.by == "position":
            bands = _check_coeff_list(coeffs)
            y = _check_y(y, bands[0].shape[0])
            self.positions_ = best_positions(bands, y, self.k, self.candidates)
        features = self._features(coeffs)
        y = _check_y(y, features.shape[0])
        return self._fit_features(features, y)

    def _features(self, coeffs):
        """The ``(n, (J + 1) * k)`` features of a coefficient list (the fitted positions for ``by="position"``)."""
        if self.by == "position":
            return position_features(coeffs, self.positions_, self.k)
        return topk_features(coeffs, self.k, self.by, self.candidates)

    def _n_terms(self):
        """Features that carry a weight: padding (ranks a band's positions or candidates cannot fill) does not."""
        if self.by == "position":
            return sum(len(p) for p in self.positions_)
        if self.candidates is not None:
            return sum(min(self.k, int(np.count_nonzero(c))) for c in self.candidates)
        return self.n_features_

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
        self.n_params_ = int(self._n_terms() * (np.size(self.coef_) // self.n_features_) + np.size(self.intercept_))
        return self

    def _predict_features(self, features):
        return features @ self.coef_.T + self.intercept_

    def _fold_predictions(self, features, y, splits):
        """Each split's validation predictions of the student refitted on its training rows, on ready features.

        Equal, to rounding, to ``_fit_features(features[train], y[train])`` then ``_predict_features(features[val])``
        split after split (that loop for OLS, a fixed penalty or unstandardised features); the default student
        (``alpha="cv"``, standardised) takes :func:`fold_fits`: 2.5 times as fast on the CME example's features, 2.1
        on full-rank ones (``bench/fold_ridge.py``). The model itself is left as it was.

        Parameters
        ----------
        features : ndarray of shape (n, n_features)
        y : ndarray of shape (n,) or (n, n_targets)
        splits : list of (ndarray, ndarray)
            (training indices, validation indices) pairs.

        Returns
        -------
        list of ndarray
            One a split, of shape (n_val,) or (n_val, n_targets) as :meth:`predict`'s.
        """
        if isinstance(self.alpha, str) and self.standardize:
            fits = fold_fits(features, y, splits, RIDGE_ALPHAS)
            return [features[val] @ coef.T + intercept for (coef, intercept, _), (_, val) in zip(fits, splits)]
        model = clone(self)
        if self.by == "position" and hasattr(self, "positions_"):
            model.positions_ = self.positions_
        return [model._fit_features(features[train], y[train])._predict_features(features[val])
                for train, val in splits]

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
        features = self._features(coeffs)
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
    return mean, _nonzero_scale(features.std(axis=0), mean)


def _nonzero_scale(std, mean):
    """The standard deviations ``std`` (F,), 1 for a column constant up to rounding (relative to its ``mean``)."""
    return np.where(_varies(std, mean), std, 1.0)


def _varies(std, mean):
    """Which columns of standard deviations ``std`` and means ``mean`` (F,) are not constant up to rounding."""
    return std > 1e-12 * np.maximum(np.abs(mean), 1.0)


def fold_fits(features, y, splits, alphas):
    """The standardised leave-one-out ridge of every split's training rows, without a standardised copy.

    What ``TopKLinearRegressor(alpha="cv", standardize=True)._fit_features(features[train], y[train])`` fits on each
    split, to rounding (1e-14 on the CME example's features; the weights of nearly collinear features to about eps
    times the penalised condition number, as the refit's own): per split, the training rows are centred in one
    copy, their Gram matrix gives the standard deviations (the scale rule of :func:`standardization`), and
    :func:`models.students.ridge.centred_loo_ridge` fits the ridge on the standardised columns with the
    standardisation folded into its factors, its intermediates in one :class:`~models.students.ridge.Workspace`
    for all splits. A column constant on the training rows (its SD at most 1e-12 of its mean's size, the rule of
    :func:`standardization`) gets no weight (the refit's is rounding, below 1e-8, when the column's mean is not
    exact, e.g. of 0.1s; the same predictions).

    Parameters
    ----------
    features : ndarray of shape (n, F)
        Finite features of all samples.
    y : ndarray of shape (n,) or (n, t)
        Finite targets.
    splits : list of (ndarray, ndarray)
        (training indices, validation indices) pairs; only the training indices are read.
    alphas : sequence of float
        Positive penalties (:data:`RIDGE_ALPHAS`).

    Returns
    -------
    list of (coef, intercept, alpha)
        One a split, the fitted student's ``coef_`` (shape (F,) for one target column, else (t, F)), ``intercept_``
        (a float for a 1-D ``y``, else shape (t,)) and ``alpha_``, on the raw features.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> features, y = rng.normal(size=(60, 4)), rng.normal(size=60)
    >>> coef, intercept, alpha = fold_fits(features, y, [(np.arange(40), np.arange(40, 60))], RIDGE_ALPHAS)[0]
    >>> model = TopKLinearRegressor(k=2)._fit_features(features[:40], y[:40])
    >>> bool(np.allclose(coef, model.coef_, rtol=1e-10)), alpha == model.alpha_
    (True, True)
    """
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    features, y = np.asarray(features, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not (np.isfinite(features).all() and np.isfinite(y).all()):  # checked once, not on every split
        raise ValueError("fold_fits: features and y need finite values")
    fits, work = [], Workspace()  # the splits' intermediates share memory
    for train, _ in splits:
        X, Y = features[train], y[train]  # copies: X is centred in place
        m = X.shape[0]
        mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        X -= mean
        leftover = X.mean(axis=0)  # the first pass's rounding (eps times the mean), which the refit's second
        X -= leftover  # centring (of the standardised columns) removes too: large offsets keep their precision
        mean += leftover
        gram = X.T @ X if m > X.shape[1] else None
        squares = np.diagonal(gram) if gram is not None else np.einsum("ij,ij->j", X, X)
        std = np.sqrt(squares / m)
        varies = _varies(std, mean)
        if not varies.all():  # constant columns are zero (their rounding, e.g. of a mean of 0.1s, left out)
            X[:, ~varies] = 0.0
            if gram is not None:
                gram[~varies], gram[:, ~varies] = 0.0, 0.0
        scale = np.where(varies, std, 1.0)
        scores, coef = centred_loo_ridge(X, (Y - y_mean).reshape(m, -1), alphas, scale, gram, work)
        fits.append((*fitted_shapes(coef, y_mean - coef @ mean, y.ndim), float(alphas[int(np.argmax(scores))])))
    return fits


def candidate_rows(candidates, band_sizes):
    """The rows of a flat coefficient vector (bands in PyWavelets order) that are candidates, and each band's
    number of candidates.

    Parameters
    ----------
    candidates : list of array-like of bool
        One a band.
    band_sizes : sequence of int
        Each band's length.

    Returns
    -------
    rows : ndarray of int
    sizes : list of int

    Examples
    --------
    >>> rows, sizes = candidate_rows([[False, True], [True, True, False]], [2, 3])
    >>> rows.tolist(), sizes
    ([1, 2, 3], [1, 2])
    """
    masks = _check_candidates(candidates, band_sizes)
    starts = np.concatenate([[0], np.cumsum(band_sizes)[:-1]]).astype(np.int64)
    rows = np.concatenate([start + np.flatnonzero(m) for start, m in zip(starts, masks)]).astype(np.int64)
    return rows, [int(np.count_nonzero(m)) for m in masks]


#: Series transformed at once by :meth:`SeriesPredictor.predict`.
PREDICT_CHUNK = 4096


class SeriesPredictor:
    """A fitted :class:`TopKLinearRegressor` and its fixed wavelet, compiled into two steps.

    What a deployed AWD time-series predictor runs: one matrix product with the dense analysis operator
    (``W @ X.T``, every series' coefficients as a column), then the ``k`` largest coefficients of each band
    and the linear model in one compiled pass over blocks of series (:mod:`models.students.topk_kernel`), a few
    thousand series at a time; a student of fixed positions (``by="position"``) keeps only those rows of the
    operator and needs no selection, a largest-coefficient student with ``candidates`` only its candidates' rows.
    Equal to ``student.predict(wavedec1d(X, h, level, mode))`` up to rounding: the transform runs in the precision
    of the series, float32 series in float32 (about 1e-7 relative, the precision they carry), everything else in
    float64.

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
        coef = np.asarray(student.coef_, dtype=np.float64)
        self._y_1d = np.ndim(student.coef_) == 1
        self._positional = student.by == "position"
        if self._positional:  # fixed positions: only their rows of the operator, then the linear model
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            rows = np.concatenate([starts[b] + np.asarray(p, dtype=np.int64) for b, p in enumerate(student.positions_)])
            columns = np.concatenate([b * k + np.arange(len(p)) for b, p in enumerate(student.positions_)])
            analysis, offset = analysis[rows], offset[rows]
            self._position_coef = np.ascontiguousarray(coef.reshape(-1, n_bands * k)[:, columns].T)  # (F', T)
            self._intercept = np.atleast_1d(np.asarray(student.intercept_, dtype=np.float64))
        self._operator = {np.dtype(np.float64): np.ascontiguousarray(analysis),
                          np.dtype(np.float32): np.ascontiguousarray(analysis, dtype=np.float32)}
        self._offset = {np.dtype(np.float64): offset[:, None],
                        np.dtype(np.float32): offset.astype(np.float32)[:, None]}
        self._has_offset = bool(np.any(offset != 0))
        if self._positional:
            self._model = None
            return
        from awd_studio.models.students.topk_kernel import TopKLinear  # numba: loaded where it is used (113 MiB)

        if student.candidates is not None:  # the largest among the candidates: only their rows, bands shortened
            rows, sizes = candidate_rows(student.candidates, sizes)
            self._operator = {dtype: np.ascontiguousarray(op[rows]) for dtype, op in self._operator.items()}
            self._offset = {dtype: off[rows] for dtype, off in self._offset.items()}
        self._model = TopKLinear(sizes, k, student.by, coef.reshape(-1, n_bands, k), student.intercept_)

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
        if self._positional:
            return self._predict_positions(X, operator)
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

    def _predict_positions(self, X, operator):
        """``by="position"``: the kept coefficients are the operator's rows at those positions."""
        with np.errstate(invalid="ignore", over="ignore"):
            coeffs = X @ operator.T
            if self._has_offset:
                coeffs = coeffs + self._offset[X.dtype].T
        if not np.isfinite(coeffs).all():
            raise InputError("X", "contains NaN or infinite values (or values so large that the transform "
                             "overflows)", "pass finite series")
        pred = coeffs.astype(np.float64, copy=False) @ self._position_coef + self._intercept
        return pred[:, 0] if self._y_1d else pred
