"""The distilled series student as a differentiable torch module, so that :func:`models.explain.explain` can
explain it like a teacher.

A fitted :class:`models.students.series.TopKLinearRegressor` on the coefficients of a fixed wavelet is piecewise
linear in the input series: the top-k selection changes only where two coefficients of a band swap rank, and
in between the prediction is a fixed linear function of ``x`` (with ``by="position"`` it is linear everywhere).
:class:`TopKStudent` computes the same numbers with torch operations (the dense analysis matrix, ``torch.topk``
per band or the kept positions, the linear model), so gradients with respect to the input exist almost
everywhere.

The map student (:class:`models.students.maps.PeakCountRegressor`) counts peaks into histogram bins: its
prediction is piecewise constant in the input and its gradient is zero almost everywhere, so a gradient-based
mask cannot explain it; no module is provided for it.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from awd_studio.models import wavelets as _wavelets
from awd_studio.models.students.series import candidate_rows
from awd_studio.models.validation import InputError

__all__ = ["TopKStudent"]


class TopKStudent(torch.nn.Module):
    """``x (B, L) -> (B, n_targets)``: a fitted top-k linear student on the coefficients of filter ``h``.

    Parameters
    ----------
    student : TopKLinearRegressor
        Fitted on ``wavedec1d(X, h, level, mode)`` (a largest-coefficient student with ``candidates`` reads only
        those coefficients).
    h : array-like of shape (N,)
        The lowpass filter the student was fitted with (e.g. the learned AWD filter).
    length : int
        Series length L.
    level : int
        Decomposition levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    dtype : torch.dtype, default=torch.float32

    Notes
    -----
    Equal to ``student.predict(wavedec1d(X, h, level, mode))`` up to rounding (tested to 1e-10 in float64).
    Among exactly equal coefficients ``torch.topk`` may pick another one than the student's stable sort,
    with the same value, so the prediction is the same.

    Examples
    --------
    >>> from models.predictors import TopKLinearRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 16))
    >>> h = np.array([1.0, 1.0]) / np.sqrt(2)
    >>> coeffs = [c.numpy() for c in _wavelets.wavedec1d(torch.as_tensor(X), h, 2)]
    >>> student = TopKLinearRegressor(k=2).fit(coeffs, rng.normal(size=40))
    >>> TopKStudent(student, h, 16, 2)(torch.zeros(3, 16)).shape
    torch.Size([3, 1])
    """

    def __init__(self, student, h, length, level, mode="periodization", dtype=torch.float32):
        super().__init__()
        check_is_fitted(student, "model_")
        h64 = torch.as_tensor(np.asarray(h, dtype=np.float64))
        sizes = _wavelets.coeff_lengths(int(length), h64.shape[-1], level, mode)
        if len(sizes) * student.k != student.n_features_:
            raise InputError("student", f"was fitted on {student.n_features_} features, the transform gives "
                             f"{len(sizes)} bands x k = {student.k}", "pass the level the student was fitted with")
        with torch.no_grad():
            W = _wavelets.analysis_matrix(h64, int(length), level, mode)
        if getattr(student, "candidates", None) is not None and student.by != "position":
            rows, sizes = candidate_rows(student.candidates, sizes)  # the largest among them: only their rows
            W = W[torch.as_tensor(rows)]
        coef = np.atleast_2d(np.asarray(student.coef_, dtype=np.float64))  # (n_targets, n_features)
        self.register_buffer("analysis", W.to(dtype))
        self.register_buffer("coef", torch.as_tensor(coef, dtype=dtype))
        self.register_buffer("intercept", torch.as_tensor(np.atleast_1d(student.intercept_), dtype=dtype))
        self.sizes, self.k, self.by = [int(s) for s in sizes], int(student.k), student.by
        self.positions = ([[int(i) for i in p] for p in student.positions_] if student.by == "position" else None)
        self.length = int(length)

    def features(self, x):
        """Top-k features ``(B, n_bands * k)`` in the student's order (zeros pad bands shorter than k)."""
        c = x @ self.analysis.T
        out, start = [], 0
        for size in self.sizes:
            part = c[:, start:start + size]
            start += size
            kk = min(self.k, size)
            if self.positions is not None:  # by="position": the same coefficients of every series
                where = self.positions[len(out)]
                top, kk = part[:, where], len(where)
            elif self.by == "signed":
                top = torch.topk(part, kk, dim=1).values
            else:
                top = torch.gather(part, 1, torch.topk(part.abs(), kk, dim=1).indices)
            if kk < self.k:
                top = torch.nn.functional.pad(top, (0, self.k - kk))
            out.append(top)
        return torch.cat(out, dim=1)

    def forward(self, x):
        """Predictions ``(B, n_targets)`` of series ``x (B, L)``."""
        return self.features(x) @ self.coef.T + self.intercept
