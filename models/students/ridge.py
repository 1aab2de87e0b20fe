"""Ridge regression with the penalty chosen by leave-one-out cross-validation, every penalty in one pass.

The students fit thousands of small ridge models during the selection (every grid point on every split).
scikit-learn's ``RidgeCV(gcv_mode="svd")`` computes the leave-one-out errors from one SVD of the centred design
matrix, then loops over the penalties in Python; on the CME paper grid's selection that loop was most of the
time. :class:`LeaveOneOutRidge` evaluates the same formulas (the errors ``c / diag(G^-1)`` of the dual solution,
with scikit-learn's correction for the unpenalised intercept) for all penalties with a few matrix products,
and chooses the same penalty (the first with the lowest mean squared error). With more samples than features
it factors the p × p Gram matrix ``Xc^T Xc`` instead of the n × p design (about five times faster at 2400 × 30),
when that matrix is well enough conditioned for its rounding to stay below 1e-11 of the smallest penalised
eigenvalue; otherwise, and with fewer samples than features, it takes the SVD. Columns that are exactly zero once
centred (the zero padding of a student's short bands) are left out of the factorisation and get no weight: they
would leave the Gram matrix singular, and every fit on the CME example's features took the SVD.

:func:`centred_loo_ridge` is the computation on a centred design, with column scales folded into its factors and
its (n × p) and (n × penalties) intermediates in a reusable :class:`Workspace`:
:func:`models.students.series.fold_fits` runs it on every cross-validation split of the selection without a
standardised copy of the features.
"""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["LeaveOneOutRidge", "centred_loo_ridge", "fitted_shapes", "Workspace", "GRAM_ROUNDING"]


class LeaveOneOutRidge(RegressorMixin, BaseEstimator):
    """Ridge regression with an intercept, the penalty chosen among ``alphas`` by leave-one-out error.

    Equal to ``sklearn.linear_model.RidgeCV(alphas, gcv_mode="svd")`` on dense data without sample weights
    (tested to 1e-10): same penalty, coefficients and intercept.

    Parameters
    ----------
    alphas : sequence of float
        Positive penalties, searched in this order (ties go to the first).

    Attributes
    ----------
    alpha_ : float
        The chosen penalty.
    best_score_ : float
        Minus the mean squared leave-one-out error at ``alpha_`` (over samples and targets).
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        ``(n_features,)`` for one target column, as scikit-learn's.
    intercept_ : float or ndarray of shape (n_targets,)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=40)
    >>> model = LeaveOneOutRidge(alphas=(0.01, 1.0, 100.0)).fit(X, y)
    >>> float(model.alpha_), model.coef_.round(1).tolist()
    (0.01, [1.0, -2.0, 0.5])
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0)):
        self.alphas = alphas

    def fit(self, X, y):
        """Fit on X of shape (n, p) and y of shape (n,) or (n, t); returns self."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
        if X.ndim != 2 or y.shape[0] != X.shape[0] or y.ndim not in (1, 2):
            raise ValueError(f"LeaveOneOutRidge: expected X (n, p) and y (n,) or (n, t), got {X.shape} and {y.shape}")
        if X.shape[1] == 0 or not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("LeaveOneOutRidge: X needs at least one feature, and X and y finite values")
        if alphas.size == 0 or not np.all(alphas > 0):
            raise ValueError(f"LeaveOneOutRidge: alphas must be positive, got {self.alphas!r}")
        x_mean, y_mean = X.mean(axis=0), y.mean(axis=0)
        Xc = X - x_mean
        Y = (y - y_mean).reshape(len(y), -1)  # (n, t)
        scores, coef = centred_loo_ridge(Xc, Y, alphas)
        best = int(np.argmax(scores))
        self.alpha_, self.best_score_ = float(alphas[best]), float(scores[best])
        self.coef_, self.intercept_ = fitted_shapes(coef, y_mean - coef @ x_mean, y.ndim)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        """Predictions for X of shape (n, p): (n,) or (n, t)."""
        check_is_fitted(self, "coef_")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"LeaveOneOutRidge: X has shape {X.shape}, the model was fitted on "
                             f"{self.n_features_in_} features")
        return X @ self.coef_.T + self.intercept_


def fitted_shapes(coef, intercept, y_ndim):
    """``(coef_, intercept_)`` in scikit-learn's shapes from weights of shape (t, p) and intercepts (t,): one target
    column gives ``coef_`` of shape (p,), and ``intercept_`` a float for a 1-D y (shape (1,) for y of shape (n, 1)).

    Examples
    --------
    >>> coef, intercept = fitted_shapes(np.ones((1, 3)), np.array([0.5]), 1)
    >>> coef.shape, intercept
    ((3,), 0.5)
    """
    return coef[0] if coef.shape[0] == 1 else coef, float(intercept[0]) if y_ndim == 1 else intercept


#: Largest rounding of the Gram matrix's eigenvalues (``eps * max eigenvalue``), relative to the smallest
#: penalised eigenvalue, for which :class:`LeaveOneOutRidge` factors the Gram matrix instead of taking the SVD.
GRAM_ROUNDING = 1e-11


class Workspace:
    """Arrays kept between repeated fits of similar shapes, so that they reuse the same memory.

    A fresh array of a few hundred kB may be new memory for the allocator, whose page faults then cost about as much
    as the arithmetic on it (by hand, one thread, depending on the process's allocation history: the 15
    cross-validation fits of 2349 x 30 features in about 21 ms with fresh intermediates, about 15 ms with reused
    ones). :meth:`take` gives a view of a buffer that grows when too small. One workspace serves one thread: fits
    running at once on threads (:func:`models.cores.map_on_job_threads`) each need their own.

    Examples
    --------
    >>> work = Workspace()
    >>> a = work.take("Z", (3, 2))
    >>> b = work.take("Z", (2, 2))
    >>> np.shares_memory(a, b), b.shape
    (True, (2, 2))
    """

    def __init__(self):
        self._buffers = {}

    def take(self, name, shape):
        """An uninitialised array kept under ``name``: its earlier contents and views are overwritten by this use.

        Parameters
        ----------
        name : str
        shape : tuple of int

        Returns
        -------
        ndarray of ``shape``, float64, C-contiguous
        """
        size = int(np.prod(shape))
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[name] = np.empty(size)
        return buffer[:size].reshape(shape)


def centred_loo_ridge(Xc, Y, alphas, scale=None, gram=None, work=None):
    """Leave-one-out errors of ridge fits with an intercept for every penalty, and the best penalty's weights.

    The ridge acts on the columns ``Xc / scale`` (the penalty on those); the weights are given back on the columns
    of ``Xc``. With more samples than features, the primal form (:func:`_primal_loo_ridge`), else the dual form
    from the SVD (:func:`_dual_loo_ridge`).

    Parameters
    ----------
    Xc : ndarray of shape (n, p)
        Centred columns (zero mean), finite.
    Y : ndarray of shape (n, t)
        Centred targets, finite.
    alphas : ndarray of shape (A,)
        Positive penalties.
    scale : ndarray of shape (p,), optional
        Positive column scales (ones when None).
    gram : ndarray of shape (p, p), optional
        ``Xc.T @ Xc`` when already computed (used only with n > p).
    work : Workspace, optional
        Where the (n, k), (n, A t) and (n, A) intermediates go, for fits repeated on similar shapes (one thread's).

    Returns
    -------
    scores : ndarray of shape (A,)
        Minus the mean squared leave-one-out error of each penalty (over samples and targets).
    coef : ndarray of shape (t, p)
        The weights on the columns of ``Xc`` at the first penalty of highest score.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=40)
    >>> scores, coef = centred_loo_ridge(X - X.mean(axis=0), (y - y.mean())[:, None], np.array([0.01, 100.0]))
    >>> scores.shape, coef.round(1).tolist()
    ((2,), [[1.0, -2.0, 0.5]])
    """
    scale = np.ones(Xc.shape[1]) if scale is None else scale
    if Xc.shape[0] > Xc.shape[1]:
        return _primal_loo_ridge(Xc, Y, alphas, scale, Xc.T @ Xc if gram is None else gram,
                                 Workspace() if work is None else work)
    scores, coef = _dual_loo_ridge(Xc / scale, Y, alphas)
    return scores, coef / scale


def _primal_loo_ridge(Xc, Y, alphas, scale, gram, work):
    """:func:`centred_loo_ridge` for n > p: ``(Xs^T Xs + alpha I)^-1 = V diag(E) V^T`` with ``Xs = Xc / scale``.

    Columns of ``Xc`` that are exactly zero (a constant feature whose mean is exact: the zero padding of a band
    with fewer than k candidates) are left out of the factorisation: they carry no information, take no weight,
    and would leave the Gram matrix singular, so the slower SVD. ``Z = Xs V`` is ``Xc @ (V / scale)``, with
    no standardised copy of ``Xc``. The residuals of every penalty's fit come from one product of Z; one minus
    the hat matrix's diagonal, with scikit-learn's correction for the unpenalised intercept
    (``1 - 1/n - sum_k Z_ik (Z_ik - mean_i Z_ik) E_ka``), from another; both are then updated in place.
    Returns ``(scores (A,), coef (t, p))``.
    """
    n, t = Y.shape
    kept = np.flatnonzero(np.diagonal(gram) > 0)
    if kept.size == 0:  # no information: every penalty predicts the mean
        errors = Y / (1.0 - 1.0 / n)
        return np.full(alphas.shape, -float(np.mean(errors ** 2))), np.zeros((t, Xc.shape[1]))
    if kept.size < Xc.shape[1]:
        gram, scale_kept = gram[np.ix_(kept, kept)], scale[kept]
    else:
        scale_kept = scale
    w, V = _gram_eigen(gram / np.outer(scale_kept, scale_kept), alphas.min(),
                       lambda: Xc[:, kept] / scale_kept)
    V_raw = np.zeros((Xc.shape[1], len(w)))
    V_raw[kept] = V / scale_kept[:, None]  # weights on the columns of Xc
    k, n_alphas = len(w), len(alphas)
    Z = np.matmul(Xc, V_raw, out=work.take("Z", (n, k)))
    E = 1.0 / (w[:, None] + alphas)  # (k, A)
    ZtY = Z.T @ Y  # (k, t)
    Z_mean = np.ones(n) @ Z / n  # zero up to rounding (Xc is centred), kept as the SVD form has it
    # the fits of every penalty, then minus their residuals (squared below)
    weights = (E[:, :, None] * ZtY[:, None, :]).reshape(k, -1)  # (k, A t)
    residuals = np.matmul(Z, weights, out=work.take("fits", (n, n_alphas * t)))
    residuals = residuals.reshape(n, n_alphas, t)
    residuals -= Y[:, None, :]
    centred = np.subtract(Z, Z_mean, out=work.take("centred", (n, k)))
    centred *= Z
    leverage = np.matmul(centred, E, out=work.take("leverage", (n, n_alphas)))  # (n, A)
    np.subtract(1.0 - 1.0 / n, leverage, out=leverage)  # one minus the hat matrix's diagonal
    residuals /= leverage[:, :, None]  # leave-one-out residuals
    flat = residuals.reshape(n, -1)
    scores = np.einsum("ij,ij->j", flat, flat).reshape(n_alphas, t).sum(axis=1) / -(n * t)
    best = int(np.argmax(scores))
    coef = (V_raw @ (E[:, best][:, None] * ZtY)).T
    return scores, coef


def _dual_loo_ridge(Xc, Y, alphas):
    """:func:`centred_loo_ridge` for n <= p, unscaled: from the SVD of Xc, alpha times ``G^-1 = U diag(D) U^T``.
    Returns ``(scores (A,), coef (t, p))``."""
    n, t = Y.shape
    U, sv, Vt = np.linalg.svd(Xc, full_matrices=False)  # U (n, k)
    UtY, Ut1 = U.T @ Y, U.sum(axis=0)  # (k, t), (k,)
    D = alphas / (sv[:, None] ** 2 + alphas)  # (k, A)
    C = (U @ (D[:, :, None] * UtY[:, None, :]).reshape(len(sv), -1)).reshape(n, len(alphas), t)
    diag = (U ** 2) @ D - (U @ (D * Ut1[:, None])) / n  # the intercept's correction
    errors = C / diag[:, :, None]  # leave-one-out residuals (n, A, t)
    scores = -(errors ** 2).mean(axis=(0, 2))
    best = int(np.argmax(scores))
    coef = (Vt.T @ ((sv / (sv ** 2 + alphas[best]))[:, None] * UtY)).T
    return scores, coef


def _gram_eigen(gram, alpha_min, design):
    """Eigenvalues w (k,) and eigenvectors V (p, k) of a Gram matrix ``Xc^T Xc`` (p, p) of a centred Xc (n, p),
    n > p.

    From the Gram matrix when its eigenvalues' rounding (``eps * max(w)``) stays below :data:`GRAM_ROUNDING` times
    ``min(w) + alpha_min``, else from the SVD of Xc (``w = s**2``; ``design()`` gives Xc), which loses no accuracy
    to the squared condition number. Either gives the same ridge fits to about 1e-11.
    """
    w, V = np.linalg.eigh(gram)
    w = np.clip(w, 0.0, None)
    if np.finfo(np.float64).eps * w.max() <= GRAM_ROUNDING * (w.min() + alpha_min):
        return w, V
    _, sv, Vt = np.linalg.svd(design(), full_matrices=False)
    return sv ** 2, Vt.T
