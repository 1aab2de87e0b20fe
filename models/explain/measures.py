"""Measures of explanations: energy inside a region, pixel-space supports, atom energy maps, IoU.

These compare an explanation with a known answer (the synthetic problems of :mod:`models.explain.synthetic`)
or with another explanation: :func:`energy_fraction` of a cartoon inside a region, the smallest support
holding a share of the energy (:func:`cartoon_support`, :func:`mask_support` through :func:`energy_map`,
which spreads each kept coefficient's energy over the samples its atom covers), and :func:`iou`.
"""

from __future__ import annotations

import numpy as np
import torch

from awd_studio.models import wavelets as _wavelets
from awd_studio.models.explain.basis import _numpy
from awd_studio.models.validation import InputError

__all__ = ["energy_fraction", "cartoon_support", "energy_map", "mask_support", "iou"]


def energy_fraction(signal, region):
    """Share of the energy ``sum signal^2`` that lies inside a region.

    Parameters
    ----------
    signal : array-like of shape (L,) or (H, W)
        E.g. a cartoon.
    region : array-like of bool, same shape

    Returns
    -------
    float
        In ``[0, 1]``; 0 for an all-zero signal.

    Examples
    --------
    >>> energy_fraction(np.array([3.0, 4.0]), np.array([False, True]))
    0.64
    """
    e = np.asarray(signal, dtype=np.float64) ** 2
    total = e.sum()
    return float(e[np.asarray(region, dtype=bool)].sum() / total) if total > 0 else 0.0


def cartoon_support(cartoon, energy=0.9):
    """The pixel-space support of a cartoon: the fewest samples holding ``energy`` of its energy.

    Parameters
    ----------
    cartoon : array-like of shape (L,) or (H, W)
    energy : float in (0, 1], default=0.9

    Returns
    -------
    ndarray of bool, same shape
        The samples with the largest ``cartoon**2`` whose sum first reaches ``energy`` times the total;
        all False for an all-zero cartoon.

    Examples
    --------
    >>> cartoon_support(np.array([0.1, 3.0, -2.0, 0.2]), energy=0.9)
    array([False,  True,  True, False])
    """
    e = np.asarray(cartoon, dtype=np.float64) ** 2
    flat = e.ravel()
    total = flat.sum()
    out = np.zeros(flat.shape, dtype=bool)
    if total > 0:
        order = np.argsort(-flat, kind="stable")
        n_keep = int(np.searchsorted(np.cumsum(flat[order]), energy * total * (1 - 1e-12))) + 1
        out[order[:n_keep]] = True
    return out.reshape(e.shape)


def _atom_energies(basis, axis_len, level):
    """Squared 1D atoms of a ``level``-level transform along one axis, each column summing to 1:
    ndarray (n, M_axis), float64, the columns of the synthesis matrix in PyWavelets order."""
    h = torch.as_tensor(_numpy(basis.h))
    S = _wavelets.synthesis_matrix(h, axis_len, level, basis.mode).numpy() ** 2
    return S / np.maximum(S.sum(axis=0, keepdims=True), 1e-300)


def _atom_profiles(basis, axis_len, level):
    """Squared 1D atoms of a j-level transform along one axis, each summing to 1: (approximation (n, a_j),
    detail (n, d_j)) as float64 numpy arrays."""
    S = _atom_energies(basis, axis_len, level)
    n_a = _wavelets.coeff_lengths(axis_len, basis.h.shape[-1], level, basis.mode)[0]
    return S[:, :n_a], S[:, n_a:2 * n_a]


def energy_map(basis, weights):
    """Spread per-coefficient energies over the samples their atoms cover.

    Each coefficient ``i`` has an atom ``psi_i = Psi^-1 e_i``; its weight is distributed over the samples in
    proportion to ``psi_i^2`` (normalised to sum 1), so the map sums to ``sum(weights)``. With
    ``weights = (m * Psi x)^2`` this is the energy of the cartoon without the interference between atoms
    (the cross terms that make the energy of an oscillating cartoon flicker from sample to sample).

    Parameters
    ----------
    basis : Basis
    weights : array-like of shape (M,)
        Non-negative energies, one per coefficient.

    Returns
    -------
    ndarray of shape signal_shape, float64

    Examples
    --------
    >>> from models.explain.basis import make_basis
    >>> b = make_basis((8,), "haar", level=1)
    >>> energy_map(b, np.eye(8)[4])   # cD1[0] is the Haar atom on samples 0 and 1
    array([0.5, 0.5, 0. , 0. , 0. , 0. , 0. , 0. ])
    """
    layout = basis.layout
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (layout.size,):
        raise InputError("weights", f"has shape {w.shape}", f"pass ({layout.size},) values")
    if basis.kind == "pixel":
        return w.reshape(layout.signal_shape).copy()
    shape = layout.signal_shape
    if len(shape) == 1:  # the columns of the J-level synthesis matrix are all the atoms
        return _atom_energies(basis, shape[0], basis.level) @ w
    out = np.zeros(shape)
    profiles = {}
    for band in layout.bands:
        j = band.level
        for axis in (0, 1):
            if (axis, j) not in profiles:
                profiles[axis, j] = _atom_profiles(basis, shape[axis], j)
        kind_h, kind_w = {"A": (0, 0), "H": (1, 0), "V": (0, 1), "D": (1, 1)}[band.name[1]]
        rows, cols = profiles[0, j][kind_h], profiles[1, j][kind_w]
        out += rows @ w[band.start:band.stop].reshape(band.shape) @ cols.T
    return out


def mask_support(explanation, energy=0.9):
    """Pixel-space support of an explanation: the fewest samples holding ``energy`` of its
    :func:`energy_map` with weights ``(m * Psi x)^2``.

    Parameters
    ----------
    explanation : Explanation
    energy : float in (0, 1], default=0.9

    Returns
    -------
    ndarray of bool, shape of x
        For the pixel baseline this is the top-energy set of ``(m * x)^2``.
    """
    weights = (explanation.mask * explanation.coeffs) ** 2
    return cartoon_support(energy_map(explanation.basis, weights), energy)


def iou(a, b):
    """Intersection over union of two boolean arrays (1.0 when both are empty).

    Examples
    --------
    >>> iou(np.array([1, 1, 0, 0], bool), np.array([0, 1, 1, 0], bool))
    0.3333333333333333
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
