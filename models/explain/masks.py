"""Hand-drawn masks: "draw your own mask" and the coefficient picture a brush paints on.

:func:`evaluate_mask` measures the model's expected output under a mask given by a person (flat, in the
PyWavelets layout of the transform, as a 2D coefficient picture, or for the pixel baseline as an array of the
input's shape). :func:`coefficient_image` arranges per-coefficient values of a 2D transform as PyWavelets'
``coeffs_to_array`` picture, and reads such a picture back.
"""

from __future__ import annotations

import numpy as np
import pywt
import torch

from awd_studio.models.explain.problem import _check_number, _EvalMode, _evaluate, _setup
from awd_studio.models.validation import InputError

__all__ = ["evaluate_mask", "mask_values", "coefficient_image", "coefficient_image_boxes"]


def evaluate_mask(model, x, mask, *, target=0, task="regression", space="wavelet", wavelet="sym4", level=None,
                  mode="periodization", perturbation="gaussian", n_samples=256, seed=0):
    """The model's expected output under a given (e.g. hand-drawn) mask: "draw your own mask".

    Parameters
    ----------
    model, x, target, task, space, wavelet, level, mode, perturbation : as in :func:`explain`
    mask : array-like
        Values in ``[0, 1]``: flat ``(M,)``, the PyWavelets layout of the transform, for 2D maps also the
        picture of :func:`coefficient_image` (what a brush on the coefficient view paints), or, for
        ``space="pixel"``, an array of x's shape (a brush on the input). Binary brushes work as they are.
    n_samples : int, default=256
        Perturbed inputs averaged over.
    seed : int, default=0

    Returns
    -------
    MaskEvaluation

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(16, 1))
    >>> ev = evaluate_mask(net, np.ones(16), np.ones(16), wavelet="haar", n_samples=8)
    >>> abs(ev.mean - ev.prediction) < 1e-5, ev.sd < 1e-5   # keeping everything changes nothing
    (True, True)
    """
    n_samples = _check_number(n_samples, "n_samples", low=2, integer=True)
    seed = _check_number(seed, "seed", low=0, integer=True)
    with _EvalMode(model):
        problem = _setup(model, x, space=space, wavelet=wavelet, level=level, mode=mode, target=target, task=task,
                         perturbation=perturbation)
        m = _check_mask(mask, problem)
        return _evaluate(problem, m, n_samples, seed)


def _check_mask(mask, problem):
    values = mask_values(mask, problem.basis.layout)
    return torch.as_tensor(values, dtype=problem.coeffs.dtype, device=problem.coeffs.device)


def mask_values(mask, layout):
    """A mask as the flat values of ``layout``, refused unless its shape fits and every value is in ``[0, 1]``.

    Needs the layout only (:func:`models.explain.basis.wavelet_layout`, :func:`~models.explain.basis.pixel_layout`),
    not the model or the transform: :func:`evaluate_mask` checks its mask with it, and the web process checks a
    request's mask with it before a worker is asked.

    Parameters
    ----------
    mask : array-like
        As in :func:`evaluate_mask`: flat ``(M,)``, the PyWavelets layout (a list of bands), a 2D coefficient
        picture (:func:`coefficient_image`, rows as lists too), or for a pixel layout the input's shape.
    layout : Layout

    Returns
    -------
    ndarray of shape (M,)
        float64.

    Raises
    ------
    InputError
        ``mask``: not numbers, another shape, NaN or infinite values, or values outside ``[0, 1]``.

    Examples
    --------
    >>> from awd_studio.models.explain.basis import pixel_layout, wavelet_layout
    >>> mask_values([[1.0] * 8] * 8, wavelet_layout((8, 8), "haar", 1)).shape   # the coefficient picture
    (64,)
    >>> mask_values([0.5] * 10, pixel_layout((8,)))
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: mask: has shape (10,); pass a mask shaped (8,)
    """
    flat = _flat_mask(mask, layout)
    if not np.isfinite(flat).all():
        raise InputError("mask", "contains NaN or infinite values", "pass values in [0, 1]")
    if flat.min() < 0 or flat.max() > 1:
        raise InputError("mask", f"has values outside [0, 1] (min {flat.min():.3g}, max {flat.max():.3g})",
                         "pass values in [0, 1]")
    return flat


def _flat_mask(mask, layout):
    """The mask's values in the layout's flat order, float64, or ``InputError`` naming the shapes it may take."""
    if _is_band_list(mask, layout):  # the PyWavelets layout
        try:
            parts = _band_arrays(mask, layout)
        except (TypeError, ValueError):
            raise InputError("mask", "cannot be read as arrays of numbers", "pass values in [0, 1]") from None
        flat = np.asarray(layout.flatten(parts), dtype=np.float64)
    else:
        try:
            flat = np.asarray(mask.detach().cpu() if isinstance(mask, torch.Tensor) else mask, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("mask", "cannot be read as an array of numbers", "pass values in [0, 1]") from None
        if layout.kind == "pixel" and flat.shape == layout.signal_shape:
            flat = flat.reshape(-1)
        elif layout.kind == "wavelet" and len(layout.signal_shape) == 2 and flat.ndim == 2:
            flat = _from_coefficient_image(flat, layout)
    if flat.shape != (layout.size,):
        # a series' pixel mask has one shape only ("(40,) or (40,)" read as a typo, review 21)
        other = (f" or {layout.signal_shape}" if layout.signal_shape != (layout.size,) else "") \
            if layout.kind == "pixel" else " or the coefficient layout (or, in 2D, the coefficient image)"
        expect = f"({layout.size},){other}"
        raise InputError("mask", f"has shape {flat.shape}", f"pass a mask shaped {expect}")
    return flat


def _band_arrays(mask, layout) -> list:
    """PyWavelets' layout as arrays: in 1D one per band (lists, as JSON sends them, too: each list was read as
    bands of its own); in 2D ``cA``, then ``(cH, cV, cD)`` per level."""
    if len(layout.signal_shape) == 1:
        return [np.asarray(band, dtype=np.float64) for band in mask]
    return [np.asarray(mask[0], dtype=np.float64)] + [tuple(np.asarray(band, dtype=np.float64) for band in level)
                                                      for level in mask[1:]]


def _is_band_list(mask, layout) -> bool:
    """Whether ``mask`` is PyWavelets' layout of a wavelet transform, a list of bands: in 1D a list of lists; in 2D
    a list holding 2D arrays (``cA``) or tuples (``cH, cV, cD``). A 2D list of rows of numbers is the coefficient
    picture (as JSON sends it: it was read as 64 bands of a transform that has 7)."""
    if layout.kind != "wavelet" or not isinstance(mask, (list, tuple)):
        return False
    if len(layout.signal_shape) == 1:
        return not all(_ndim(c) == 0 for c in mask)
    try:
        return any(isinstance(c, tuple) or _ndim(c) >= 2 for c in mask)
    except ValueError:  # rows of different lengths: not numbers in any layout, as the caller then says
        return False


def _ndim(value) -> int:
    """``np.ndim(value)``, at once for a number (a flat mask of 4096 numbers took 25 ms through ``np.ndim``)."""
    return 0 if isinstance(value, (int, float)) else np.ndim(value)


def coefficient_image(values, layout):
    """Arrange flat per-coefficient values (e.g. a mask) as the usual picture of a 2D wavelet transform.

    Parameters
    ----------
    values : array-like of shape (M,)
    layout : Layout
        A 2D wavelet layout.

    Returns
    -------
    image : ndarray of shape (P, Q)
        PyWavelets' ``coeffs_to_array`` arrangement (``cA_J`` top left, each level's ``cH`` below it, ``cV``
        to its right, ``cD`` diagonal); equal to ``(H, W)`` for periodization with dyadic sizes. Cells that
        belong to no coefficient (other modes) are NaN.
    slices : list
        PyWavelets' ``coeff_slices``: where each band sits in ``image``.
    """
    if layout.kind != "wavelet" or len(layout.signal_shape) != 2:
        raise InputError("layout", "is not a 2D wavelet layout", "use the layout of a 2D explanation")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (layout.size,):
        raise InputError("values", f"has shape {values.shape}", f"pass ({layout.size},) values")
    image, slices = pywt.coeffs_to_array(layout.split(values), padding=np.nan)
    return image, slices


def coefficient_image_boxes(layout):
    """Where each band sits in :func:`coefficient_image`'s picture, JSON-able (for outlines and labels).

    Parameters
    ----------
    layout : Layout
        A 2D wavelet layout.

    Returns
    -------
    list of dict
        One per band, in the layout's order: ``name`` (``"cA3"``, ``"cH3"``, ...), ``rows`` and ``cols``
        (``[first, stop)`` in picture pixels).
    """
    _, slices = coefficient_image(np.zeros(layout.size), layout)
    where = [slices[0]] + [level[key] for level in slices[1:] for key in ("da", "ad", "dd")]  # cH below, cV right
    boxes = []
    for band, (rows, cols) in zip(layout.bands, where):
        boxes.append({"name": band.name, "rows": [int(rows.start or 0), int(rows.stop)],
                      "cols": [int(cols.start or 0), int(cols.stop)]})
    return boxes


def _from_coefficient_image(image, layout):
    """Flat values from a picture arranged as :func:`coefficient_image` (shape checked by the caller)."""
    template, slices = coefficient_image(np.zeros(layout.size), layout)
    if image.shape != template.shape:
        return image  # the caller reports the wrong shape
    parts = pywt.array_to_coeffs(image, slices, output_format="wavedec2")
    return np.asarray(layout.flatten([np.asarray(parts[0])] + [tuple(np.asarray(d) for d in lev)
                                                                for lev in parts[1:]]), dtype=np.float64)
