"""Interpretable students, one module per student, and the compiled loops they deploy.

- :mod:`models.students.series`   the time-series student: :func:`topk_features` or :func:`best_positions` and
  :func:`position_features` (either among :func:`candidate_columns`), :class:`TopKLinearRegressor`,
  :class:`SeriesPredictor` (the deployed predictor)
- :mod:`models.students.peaks`    the map student's statistics: peaks, responses at peaks, histograms,
  :data:`LAPLACE_KERNEL`, :class:`PeakPatches`
- :mod:`models.students.maps`     the map student: :class:`PeakCountRegressor` (chi² classes or ridge)
- :mod:`models.students._common`  what both share: :data:`RIDGE_ALPHAS`, :func:`linear_model`, input checks
- :mod:`models.students.ridge`    :class:`LeaveOneOutRidge`, ridge with its penalty chosen by leave-one-out error
- :mod:`models.students.topk_kernel`, :mod:`models.students.peak_kernel`  numba-compiled inner loops (the
  machine code is cached next to them, or in ``NUMBA_CACHE_DIR``)

All estimators follow scikit-learn's conventions (``get_params``/``clone``, ``fit`` returns ``self``, learned
attributes end with ``_``). :mod:`models.predictors` re-exports these names under their older path.
"""

from awd_studio.models.students._common import RIDGE_ALPHAS, linear_model
from awd_studio.models.students.maps import (
    PAPER_BIN_MAX,
    RAW_BIN_RANGE,
    PeakCountRegressor,
    chi2_fit,
    chi2_predict,
    peak_student_method,
)
from awd_studio.models.students.peaks import LAPLACE_KERNEL, PeakPatches, bin_peak_values, peak_histograms, peak_patches
from awd_studio.models.students.series import (
    PREDICT_CHUNK,
    SeriesPredictor,
    TopKLinearRegressor,
    best_positions,
    candidate_columns,
    position_features,
    standardization,
    topk_features,
)

__all__ = [
    "topk_features",
    "candidate_columns",
    "best_positions",
    "position_features",
    "TopKLinearRegressor",
    "standardization",
    "linear_model",
    "SeriesPredictor",
    "PREDICT_CHUNK",
    "RIDGE_ALPHAS",
    "LAPLACE_KERNEL",
    "PAPER_BIN_MAX",
    "RAW_BIN_RANGE",
    "peak_histograms",
    "chi2_fit",
    "chi2_predict",
    "PeakCountRegressor",
    "peak_student_method",
    "PeakPatches",
    "peak_patches",
    "bin_peak_values",
]
