"""Running a teacher: predictions as NumPy arrays, scores on one output, and the sample-input check.

These functions take any module that maps ``(B, *input_shape)`` to ``(B, n_outputs)``: a built-in teacher,
an uploaded state dict loaded into one, or an exported program (:class:`~models.teachers.ExportedTeacher`).
"""

import math

import numpy as np
import torch

from awd_studio.models.device import resolve_device
from awd_studio.models.teachers.architectures import _check_input_shape
from awd_studio.models.validation import InputError

__all__ = ["predict", "evaluate_teacher", "validate_teacher", "teacher_output_for"]


def _model_device(model):
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return getattr(model, "device", torch.device("cpu"))


def predict(model, X, batch_size=256, device=None):
    """Predictions of a teacher as a numpy array.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, *input_shape)`` to ``(B, n_outputs)``.
    X : array-like of shape (n, *input_shape)
        Raw signals.
    batch_size : int, default=256
    device : str or torch.device, optional
        Where to run; ``None`` uses the model's device.

    Returns
    -------
    ndarray of shape (n, n_outputs), float32
    """
    X = np.asarray(X, dtype=np.float32)
    dev = _model_device(model) if device is None else resolve_device(device)
    if device is not None:
        model = model.to(dev)
    was_training = model.training
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            out = model(torch.as_tensor(X[start:start + batch_size], device=dev))
            outputs.append(out.reshape(out.shape[0], -1).float().cpu().numpy())
    model.train(was_training)
    if not outputs:
        n_out = getattr(model, "n_outputs", 1)
        return np.zeros((0, n_out), dtype=np.float32)
    return np.concatenate(outputs, axis=0)


def evaluate_teacher(model, X, y, target=0, batch_size=256, return_predictions=False):
    """R² and RMSE of one output of a teacher.

    Parameters
    ----------
    model : nn.Module
    X : array-like of shape (n, *input_shape)
    y : array-like of shape (n,) or (n, k)
        True targets; for ``(n, k)`` column ``target`` is scored, ``(n,)`` is that column already.
    target : int, default=0
        Output to score (and, for ``(n, k)`` targets, their column).
    batch_size : int, default=256
    return_predictions : bool, default=False
        Also return the scored output's predictions.

    Returns
    -------
    dict
        ``{"r2": float, "rmse": float}`` (RMSE in target units); with ``return_predictions`` also ``"y_pred"``,
        ndarray of shape (n,), float64.
    """
    pred = predict(model, X, batch_size=batch_size)
    y = np.asarray(y, dtype=np.float64)
    n_cols = pred.shape[1] if y.ndim == 1 else y.shape[1]  # (n,): the target's own column, any output
    if not 0 <= target < min(pred.shape[1], n_cols):
        raise InputError("target", f"{target} is out of range for a teacher with {pred.shape[1]} outputs "
                         f"and {n_cols} target columns",
                         f"pass an index between 0 and {min(pred.shape[1], n_cols) - 1}")
    y_t = y if y.ndim == 1 else y[:, target]
    p = pred[:, target].astype(np.float64)
    resid = float(((y_t - p) ** 2).sum())
    total = float(((y_t - y_t.mean()) ** 2).sum())
    r2 = 1.0 - resid / total if total > 0 else (1.0 if resid == 0 else 0.0)
    scores = {"r2": r2, "rmse": math.sqrt(resid / len(y_t))}
    return {**scores, "y_pred": p} if return_predictions else scores


def teacher_output_for(n_outputs: int, n_targets: int, target: int | None, *, data: str = "data") -> int | None:
    """Which output of a teacher predicts target column ``target`` of data with ``n_targets`` columns: its only
    output (a teacher of the chosen target), or output ``target`` of one with an output per column. ``target``
    None checks the count alone (an upload, before a column is chosen); ``data`` names the data in the message.

    Raises
    ------
    InputError
        Any other number of outputs: which output is which target is unknown.

    Examples
    --------
    >>> teacher_output_for(1, 2, 1), teacher_output_for(2, 2, 1), teacher_output_for(2, 2, None)
    (0, 1, None)
    >>> teacher_output_for(3, 2, 1)
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: teacher: has 3 outputs and the data 2 target columns, so which output ...
    """
    if n_outputs == 1:
        return None if target is None else 0
    if n_outputs == n_targets:
        return None if target is None else int(target)
    which = f"target column {target}" if target is not None else "which column"
    raise InputError("teacher", f"has {n_outputs} outputs and the {data} {n_targets} target column"
                     f"{'' if n_targets == 1 else 's'}, so which output predicts {which} is unknown",
                     "upload a teacher with one output (the target to explain) or one output per target column, in "
                     f"the {data}'s order")


def validate_teacher(model, input_shape, n_outputs=None, batch=2, device=None):
    """Run a sample input through a teacher and check its output.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    n_outputs : int, optional
        Expected number of outputs; ``None`` accepts any.
    batch : int, default=2
        Sample batch size.
    device : str or torch.device, optional
        ``None`` uses the model's device.

    Returns
    -------
    n_outputs : int

    Raises
    ------
    ValueError
        When the model fails on the input, returns a wrong shape or non-finite values.
    """
    shape = _check_input_shape(input_shape)
    dev = _model_device(model) if device is None else resolve_device(device)
    x = torch.randn((batch, *shape), generator=torch.Generator().manual_seed(0)).to(dev)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as exc:  # any failure of foreign code is a bad upload
        raise InputError("teacher", f"fails on an input of shape {tuple(x.shape)}: {exc}",
                         f"upload a model that takes (B, {', '.join(map(str, shape))}) float32 input") from None
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor):
        raise InputError("teacher", f"returned {type(out).__name__}, not a tensor",
                         "upload a model whose forward returns one tensor (B, n_outputs)")
    if out.ndim != 2 or out.shape[0] != batch:
        raise InputError("teacher", f"returned shape {tuple(out.shape)} for a batch of {batch}",
                         "upload a model returning (B, n_outputs)")
    if n_outputs is not None and out.shape[1] != n_outputs:
        raise InputError("teacher", f"returned {out.shape[1]} outputs, expected {n_outputs}",
                         "upload a model with one output per target column")
    if not torch.isfinite(out).all():
        raise InputError("teacher", "returned NaN or infinite values on a sample input",
                         "check the uploaded weights")
    return int(out.shape[1])
