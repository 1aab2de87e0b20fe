"""Learned scattering students: scattering transforms whose filters are trained, pruned by path importance.

Modules (one job each):

- :mod:`.filters`: Morlet filter banks as differentiable functions of their parameters (1D and 2D);
- :mod:`.paths`: paths of a transform (``()``, ``(n1,)``, ``(n1, n2)``) and the checks all banks share;
- :mod:`.transform`: :class:`MorletScattering1D`, :class:`MorletScattering2D` (learnable Morlet banks);
- :mod:`.dwt_bank`: :class:`DWTScattering1D`, :class:`DWTScattering2D` (cascades of the project's orthogonal
  DWT, started from the AWD wavelet);
- :mod:`.estimator`: :class:`ScatteringRegressor`, the transform + ridge head trained end to end;
- :mod:`.pruning`: the CAR index and greedy pruning with the one-SE rule;
- :mod:`.panel`: what the results panel and the result bundle carry, as JSON-able data.
"""

from awd_studio.models.scattering.dwt_bank import ORIENTATIONS, DWTScattering1D, DWTScattering2D
from awd_studio.models.scattering.estimator import BANKS, ScatteringRegressor, make_transform, ridge_heldout_loss
from awd_studio.models.scattering.panel import scattering_panel, scattering_summary
from awd_studio.models.scattering.paths import all_paths, check_paths, path_id
from awd_studio.models.scattering.pruning import car_importance, cv_folds, greedy_prune, one_se_choice
from awd_studio.models.scattering.transform import MorletScattering1D, MorletScattering2D

__all__ = [
    "BANKS", "ORIENTATIONS", "DWTScattering1D", "DWTScattering2D", "MorletScattering1D", "MorletScattering2D",
    "ScatteringRegressor", "all_paths", "car_importance", "check_paths", "cv_folds", "greedy_prune",
    "make_transform", "one_se_choice", "path_id", "ridge_heldout_loss", "scattering_panel", "scattering_summary",
]
