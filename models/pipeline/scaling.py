"""The affine input scaling under which AWD and the time-series students see a job's data.

:func:`models.pipeline.prepare` records it (``info["scaling"]``); the grid's chunks, the selection and the students
read the series under it.
"""

import numpy as np
import torch

__all__ = ["resolved_input_scaling", "input_scaling", "ScaledInputTeacher", "scaled", "scaling_of", "teacher_on_scaled"]


def resolved_input_scaling(option: str, kind: str) -> str:
    """The input scaling an ``input_scaling`` option names: ``"auto"`` is the teacher's scaling for time series and
    none for maps (which keep their physical units).

    Examples
    --------
    >>> resolved_input_scaling("auto", "timeseries"), resolved_input_scaling("auto", "image")
    ('teacher', 'none')
    >>> resolved_input_scaling("none", "timeseries")
    'none'
    """
    if option != "auto":
        return str(option)
    return "teacher" if kind == "timeseries" else "none"


def input_scaling(teacher, X_train, how="teacher"):
    """The affine scaling ``(x - offset) / scale`` under which AWD and the time-series students see the data.

    The config's ``input_scaling="auto"`` takes ``"teacher"`` for time series and ``"none"`` for maps: the map
    student counts peaks on the raw maps (its histogram ranges are in convergence units) and the paper's map
    grid of lambda and gamma was set on raw convergence maps; on maps scaled to unit SD the sparsity term
    outweighs the interpretation term by about 1000 to 1 over that grid, so gamma has no effect
    (docs/science.md).

    With ``how="teacher"`` it is the scaling the teacher saw: the built-in teachers carry their input mean and
    SD as buffers (``x_mean``, ``x_std``); a teacher without them (an uploaded program) gets the training
    data's global mean and SD, the scaling the built-in teachers use. This gives the penalties lambda and
    gamma, and the students, the same meaning on raw counts of 2e4 as on data of unit scale.

    Parameters
    ----------
    teacher : torch.nn.Module
    X_train : ndarray of shape (n, ...)
    how : {"teacher", "none"}, default="teacher"

    Returns
    -------
    offset, scale : float
    source : str
        ``"teacher"`` (from its buffers), ``"data"`` (global mean and SD of X_train) or ``"none"``.
    """
    if how == "none":
        return 0.0, 1.0, "none"
    mean, std = getattr(teacher, "x_mean", None), getattr(teacher, "x_std", None)
    if isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor) and mean.numel() == 1 and std.numel() == 1:
        offset, scale = float(mean), float(std)
        if np.isfinite(offset) and np.isfinite(scale) and scale > 0 and (offset, scale) != (0.0, 1.0):
            return offset, scale, "teacher"
    offset, scale = float(np.mean(X_train)), float(np.std(X_train))
    return offset, (scale if np.isfinite(scale) and scale > 0 else 1.0), "data"


class ScaledInputTeacher(torch.nn.Module):
    """The teacher seen from scaled inputs: ``forward(z) = teacher(z * scale + offset)``.

    AWD distils on ``z = (x - offset) / scale``; the teacher's function of ``x`` is unchanged.
    """

    def __init__(self, teacher, offset, scale):
        super().__init__()
        self.teacher = teacher
        self.offset, self.scale = float(offset), float(scale)

    def forward(self, z):
        return self.teacher(z * self.scale + self.offset)


def scaled(X, scaling):
    """``(X - offset) / scale`` as float64 (float32 kept for float32 input)."""
    X = np.asarray(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return ((X - scaling["offset"]) / scaling["scale"]).astype(dtype, copy=False)


def scaling_of(info):
    """The input scaling :func:`models.pipeline.prepare` recorded (none for work directories written before it
    was)."""
    return info.get("scaling") or {"offset": 0.0, "scale": 1.0, "source": "none"}


def teacher_on_scaled(teacher, scaling):
    """The teacher as a function of scaled inputs (itself when the scaling is the identity)."""
    if scaling["offset"] == 0.0 and scaling["scale"] == 1.0:
        return teacher
    return ScaledInputTeacher(teacher, scaling["offset"], scaling["scale"]).eval()
