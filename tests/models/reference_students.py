"""NumPy reference versions of the map student's statistics, for the tests only.

The product counts peaks in one compiled pass (:mod:`models.students.peak_kernel`) or from the peaks' 3x3
neighbourhoods (:mod:`models.students.peaks`). These functions compute the same things the plain way, over
whole maps (:func:`find_peaks`, :func:`apply_kernel`, :func:`roberts_cross_response`) or from the
neighbourhoods as arrays (:func:`peak_values`), so the tests can compare the product with them. Peak masks
have the full map shape ``(n, H, W)``; the border is always ``False``. Filtering is correlation, as in
:mod:`models.students.peaks`.

:func:`fixed_positions` chooses the series student's fixed positions the plain way: each candidate in its turn,
with the R² of every kept coefficient computed afresh (:func:`models.pipeline.student_params.redundancy`), where the
product grows one inverse (:func:`models.students.series.best_positions`).
"""

import numpy as np

from awd_studio.models.pipeline.student_params import redundancy
from awd_studio.models.students._common import _to_numpy
from awd_studio.models.students.peaks import (
    _check_maps,
    _interior_peaks,
    _kernel_list,
    _kernel_matrix,
    _patch_responses,
    _peak_patches,
)
from awd_studio.models.validation import InputError

__all__ = ["find_peaks", "apply_kernel", "roberts_cross_response", "peak_values", "fixed_positions"]


def fixed_positions(bands, y, k, candidates=None, max_r2=0.99):
    """Per band, at most ``k`` positions: every band's candidates in order of decreasing squared correlation with
    ``y`` (band, then position, first among equal ones), each kept if its band has room and no kept coefficient,
    it included, is a mix of the others to ``max_r2`` or more.

    Parameters
    ----------
    bands : list of ndarray, each of shape (n, n_j)
    y : ndarray of shape (n,)
    k : int
    candidates : list of array-like of bool, optional
    max_r2 : float

    Returns
    -------
    list of list of int
    """
    turns = []
    for b, band in enumerate(bands):
        for p in range(band.shape[1]):
            if candidates is None or candidates[b][p]:
                x = band[:, p] - band[:, p].mean()
                r = 0.0 if not x.any() else np.corrcoef(x, y)[0, 1] ** 2
                turns.append((-np.nan_to_num(r), b, p))
    kept = [[] for _ in bands]
    for _, b, p in sorted(turns):
        if len(kept[b]) >= k:
            continue
        trial = [band[:, q] for c, band in enumerate(bands) for q in kept[c]] + [bands[b][:, p]]
        shares = redundancy(np.stack(trial, axis=1))
        if len(trial) == 1 or not np.nanmax(shares, initial=0.0) >= max_r2:
            kept[b].append(p)
    return kept


def find_peaks(maps):
    """Peaks: pixels strictly greater than all 8 neighbours (interior pixels only).

    Parameters
    ----------
    maps : array-like of shape (n, H, W) or (H, W)
        Raw maps.

    Returns
    -------
    mask : ndarray of bool, shape (n, H, W)
        ``True`` at peaks; the one-pixel border is always ``False``.
    """
    return _peak_mask(_check_maps(maps))


def _peak_mask(maps):
    """:func:`find_peaks` on checked (n, H, W) float maps."""
    mask = np.zeros(maps.shape, dtype=bool)
    mask[:, 1:-1, 1:-1] = _interior_peaks(maps)
    return mask


def apply_kernel(maps, kernel):
    """Valid 2-D correlation of maps with a 3x3 kernel.

    Parameters
    ----------
    maps : array-like of shape (n, H, W) or (H, W)
    kernel : array-like of shape (3, 3)

    Returns
    -------
    response : ndarray of shape (n, H - 2, W - 2)
        ``response[:, i, j] = sum_{a, b} kernel[a, b] * maps[:, i + a, j + b]``, i.e. the value at
        interior pixel ``(i + 1, j + 1)``. Correlation, not convolution: the kernel is not flipped.
    """
    maps = _check_maps(maps)
    kernel = _to_numpy(kernel)
    if kernel.shape != (3, 3) or not np.isfinite(kernel).all():
        raise InputError("kernel", f"has shape {kernel.shape}", "pass a finite (3, 3) array")
    _, h, w = maps.shape
    out = np.zeros((maps.shape[0], h - 2, w - 2))
    for a in range(3):
        for b in range(3):
            if kernel[a, b] != 0:
                out += kernel[a, b] * maps[:, a:a + h - 2, b:b + w - 2]
    return out


def roberts_cross_response(maps):
    """Roberts-cross response on the four 2x2 sub-windows of each 3x3 neighbourhood, summed.

    For a 2x2 window ``[[a, b], [c, d]]`` the gradient magnitude is ``sqrt((b - c)**2 + (a - d)**2)``
    (``Rx = [[0, 1], [-1, 0]]``, ``Ry = [[1, 0], [0, -1]]``); the response at an interior pixel is the sum
    over the four windows of its 3x3 neighbourhood that contain it (top-left, top-right, bottom-left,
    bottom-right).

    Parameters
    ----------
    maps : array-like of shape (n, H, W) or (H, W)

    Returns
    -------
    response : ndarray of shape (n, H - 2, W - 2)
        Aligned with the interior pixels like :func:`apply_kernel`.
    """
    maps = _check_maps(maps)
    a, b = maps[:, :-1, :-1], maps[:, :-1, 1:]
    c, d = maps[:, 1:, :-1], maps[:, 1:, 1:]
    grad = np.sqrt((b - c) ** 2 + (a - d) ** 2)  # (n, H-1, W-1), window with top-left (i, j)
    return grad[:, :-1, :-1] + grad[:, :-1, 1:] + grad[:, 1:, :-1] + grad[:, 1:, 1:]


def peak_values(maps, kernels=None, response="kernels"):
    """Filter responses read at the peaks of the raw maps.

    Parameters
    ----------
    maps : array-like of shape (n, H, W)
    kernels : sequence of (3, 3) arrays or dict of them, optional
        Used when ``response="kernels"``; default ``[LAPLACE_KERNEL]``.
    response : {"kernels", "raw", "roberts"}, default="kernels"
        ``"raw"`` reads the peak heights, ``"roberts"`` the Roberts-cross response.

    Returns
    -------
    values : list of ndarray of shape (n_peaks,)
        One array per channel (kernel), all peaks of all maps. Computed on the peaks' 3x3
        neighbourhoods only; equal to :func:`apply_kernel` / :func:`roberts_cross_response` read at the
        peaks.
    sample : ndarray of int, shape (n_peaks,)
        Index of the map each peak belongs to.
    """
    maps = _check_maps(maps)
    kernels = _kernel_list(kernels) if response == "kernels" else None
    if response not in ("kernels", "raw", "roberts"):
        raise InputError("response", f"unknown response {response!r}", "use 'kernels', 'raw' or 'roberts'")
    patches, sample = _peak_patches(maps)
    values = _patch_responses(patches, response, _kernel_matrix(kernels) if kernels is not None else None)
    return list(values), sample
