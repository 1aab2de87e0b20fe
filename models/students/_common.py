"""What both students share: arrays and tensors read as float64, the target check, and the ridge penalties.

The series student (:mod:`models.students.series`) and the map student (:mod:`models.students.maps`) end in
the same linear models; :func:`linear_model` builds them from one penalty setting, searched over
:data:`RIDGE_ALPHAS` by leave-one-out cross-validation for ``"cv"``.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge

from awd_studio.models.students.ridge import LeaveOneOutRidge
from awd_studio.models.validation import InputError

__all__ = ["RIDGE_ALPHAS", "linear_model"]

#: Default ridge penalties searched by cross-validation (``alpha="cv"``).
RIDGE_ALPHAS = tuple(np.logspace(-6, 4, 21))


def _to_numpy(a):
    if hasattr(a, "detach"):  # torch tensors
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)



def _check_y(y, n, field="y"):
    y = _to_numpy(y)
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise InputError(field, f"has shape {y.shape} for {n} samples", "pass targets shaped (n,) or (n, k)")
    if not np.isfinite(y).all():
        raise InputError(field, "contains NaN or infinite values", "pass finite targets")
    return y



def linear_model(alpha):
    """The unfitted scikit-learn linear model for a penalty setting.

    Parameters
    ----------
    alpha : None, float or "cv"
        ``None``: ordinary least squares; a float: ridge with that penalty; ``"cv"``: ridge with the penalty
        chosen among :data:`RIDGE_ALPHAS` by efficient leave-one-out cross-validation
        (:class:`models.students.ridge.LeaveOneOutRidge`, equal to scikit-learn's ``RidgeCV(gcv_mode="svd")``).

    Returns
    -------
    LinearRegression or Ridge or LeaveOneOutRidge
    """
    if alpha is None:
        return LinearRegression()
    if isinstance(alpha, str):
        return LeaveOneOutRidge(alphas=RIDGE_ALPHAS)
    return Ridge(alpha=float(alpha))
