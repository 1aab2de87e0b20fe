"""The transform an explanation's mask lives on: the flat coefficient layout and the analysis/synthesis pair.

:func:`make_basis` builds the project's differentiable DWT (:mod:`models.wavelets`) for one input shape, with
any orthogonal PyWavelets wavelet or an explicit lowpass filter ``h`` (``rec_lo`` convention, e.g. a learned
AWD filter), and refuses a filter that does not reconstruct; :func:`pixel_basis` is the identity of the
pixel-mask baseline. :class:`Layout` says how the flat vector of ``M`` coefficients splits into bands, in
PyWavelets' order: 1D ``[cA_J, cD_J, ..., cD_1]``, 2D ``[cA_J, cH_J, cV_J, cD_J, ..., cH_1, cV_1, cD_1]``, each
2D band flattened row-major. :func:`analyze` and :func:`synthesize` map batches to and from that vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from awd_studio.models import wavelets as _wavelets
from awd_studio.models.filters import lowpass_filter
from awd_studio.models.validation import InputError

__all__ = ["Band", "Layout", "Basis", "default_level", "wavelet_layout", "pixel_layout", "make_basis", "pixel_basis",
           "analyze", "synthesize"]


@dataclass(frozen=True)
class Band:
    """One band of the flat coefficient vector.

    Attributes
    ----------
    name : str
        ``"cA4"``, ``"cD3"`` (1D), ``"cH2"``, ``"cV2"``, ``"cD2"`` (2D) or ``"pixels"``.
    level : int
        Decomposition level ``j`` (``J`` for the approximation), 0 for pixels.
    start : int
        Offset of the band in the flat vector.
    shape : tuple of int
        ``(n_j,)`` in 1D, ``(h_j, w_j)`` in 2D, ``x.shape`` for pixels.
    """

    name: str
    level: int
    start: int
    shape: tuple

    @property
    def size(self):
        """int: number of coefficients."""
        return int(np.prod(self.shape))

    @property
    def stop(self):
        """int: end offset (exclusive) in the flat vector."""
        return self.start + self.size


@dataclass(frozen=True)
class Layout:
    """How a flat vector of ``M`` coefficients splits into bands.

    Attributes
    ----------
    signal_shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    bands : tuple of Band
        In PyWavelets' order (see the module docstring); one band ``"pixels"`` for the pixel baseline.
    kind : {"wavelet", "pixel"}
    """

    signal_shape: tuple
    bands: tuple
    kind: str = "wavelet"

    @property
    def size(self):
        """int: ``M``, the number of coefficients."""
        return self.bands[-1].stop

    def band_index(self):
        """Band number of every coefficient, ndarray of shape (M,), int64."""
        return np.repeat(np.arange(len(self.bands)), [b.size for b in self.bands])

    def split(self, flat):
        """Flat ``(..., M)`` values (numpy or torch) -> PyWavelets layout.

        Returns
        -------
        list
            1D ``[cA_J, cD_J, ..., cD_1]``, each ``(..., n_j)``; 2D ``[cA_J, (cH_J, cV_J, cD_J), ...]``, each
            ``(..., h_j, w_j)``; pixel layout: one array ``(..., *signal_shape)``.
        """
        lead = tuple(flat.shape[:-1])
        parts = [flat[..., b.start:b.stop].reshape(lead + tuple(b.shape)) for b in self.bands]
        if self.kind == "pixel":
            return parts[0]
        if len(self.signal_shape) == 1:
            return parts
        return [parts[0]] + [tuple(parts[i:i + 3]) for i in range(1, len(parts), 3)]

    def flatten(self, coeffs):
        """Inverse of :meth:`split`: PyWavelets layout -> flat ``(..., M)`` (numpy or torch)."""
        if self.kind == "pixel":
            arrays = [coeffs]
        else:
            arrays = []
            for c in coeffs:
                arrays.extend(c if isinstance(c, (list, tuple)) else [c])
        if len(arrays) != len(self.bands):
            raise InputError("mask", f"has {len(arrays)} bands, the transform has {len(self.bands)}",
                             "pass the coefficient layout of the transform (or a flat vector)")
        flat = []
        for a, b in zip(arrays, self.bands):
            if tuple(a.shape[-len(b.shape):]) != tuple(b.shape):
                raise InputError("mask", f"band {b.name} has shape {tuple(a.shape)}, expected {b.shape}",
                                 "pass the coefficient layout of the transform (or a flat vector)")
            flat.append(a.reshape(tuple(a.shape[:a.ndim - len(b.shape)]) + (-1,)))
        if isinstance(flat[0], torch.Tensor):
            return torch.cat(flat, dim=-1)
        return np.concatenate(flat, axis=-1)


def _wavelet_layout(shape, filter_len, level, mode):
    lengths = [_wavelets.coeff_lengths(n, filter_len, level, mode) for n in shape]
    bands, start = [], 0

    def add(name, lev, band_shape):
        nonlocal start
        bands.append(Band(name, lev, start, tuple(int(s) for s in band_shape)))
        start += bands[-1].size

    if len(shape) == 1:
        add(f"cA{level}", level, (lengths[0][0],))
        for i in range(1, level + 1):
            add(f"cD{level - i + 1}", level - i + 1, (lengths[0][i],))
    else:
        add(f"cA{level}", level, (lengths[0][0], lengths[1][0]))
        for i in range(1, level + 1):
            for orient in "HVD":
                add(f"c{orient}{level - i + 1}", level - i + 1, (lengths[0][i], lengths[1][i]))
    return Layout(tuple(shape), tuple(bands), "wavelet")




# ----------------------------------------------------------------------------------------------------------
# the transform the mask lives on


@dataclass(frozen=True, eq=False)
class Basis:
    """The analysis/synthesis pair of one explanation (built by :func:`make_basis` or :func:`pixel_basis`).

    Attributes
    ----------
    layout : Layout
    wavelet : str
        PyWavelets name, ``"custom"`` for an explicit filter, ``"pixels"`` for the baseline.
    h : Tensor of shape (N,) or None
        Lowpass filter (``rec_lo`` convention), on the explanation's device and dtype.
    level : int
        Decomposition levels ``J`` (0 for pixels).
    mode : str
        Boundary mode (``"none"`` for pixels).
    dense : tuple of Tensor or None
        1D only: the analysis ``(M, L)`` and synthesis ``(L, M)`` matrices, used for ``L <= 2048``.
    """

    layout: Layout
    wavelet: str
    h: torch.Tensor | None
    level: int
    mode: str
    dense: tuple | None = None

    @property
    def kind(self):
        """str: ``"wavelet"`` or ``"pixel"``."""
        return self.layout.kind


def default_level(shape, filter_len):
    """Default number of levels: the coarsest approximation keeps about 8 coefficients per axis.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    filter_len : int
        Filter length ``N``.

    Returns
    -------
    int
        ``max(1, floor(log2(min(shape))) - 3)``: 3 for 64 samples, 2 for 32. Atoms much coarser than the
        structure explained spread the cartoon: on the 32 x 32 blob maps of the tests (``bench/explain.py
        --defaults``), level 3 instead of 2 lowered the cartoon's energy inside the blob from 0.91 to 0.73
        (sym4, worst of three maps).

    Examples
    --------
    >>> default_level((64,), 10), default_level((64, 128), 8), default_level((6,), 2)
    (3, 3, 1)
    """
    n = min(int(s) for s in shape)
    return max(1, min(int(math.floor(math.log2(n))) - 3, _wavelets.max_level(n, filter_len)))


def _filter_array(wavelet):
    """(name, h as float64 ndarray) from a PyWavelets name or an explicit lowpass filter."""
    if isinstance(wavelet, str):
        try:
            return wavelet, lowpass_filter(wavelet)
        except ValueError as exc:
            raise InputError("wavelet", str(exc).removeprefix("wave: "),
                             "pass an orthogonal PyWavelets name or a lowpass filter h") from None
    try:
        h = np.asarray(wavelet.detach().cpu() if isinstance(wavelet, torch.Tensor) else wavelet, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("wavelet", f"cannot be read as a filter ({type(wavelet).__name__})",
                         "pass a PyWavelets name such as 'db4' or a lowpass filter h of shape (N,)") from None
    if h.ndim != 1 or h.size < 2 or h.size % 2:
        raise InputError("wavelet", f"a filter must have shape (N,) with N even and >= 2, got {h.shape}",
                         "pass the lowpass filter h (rec_lo) of an orthogonal wavelet")
    if not np.isfinite(h).all():
        raise InputError("wavelet", "the filter contains NaN or infinite values", "pass a finite filter")
    return "custom", h


def _checked_level(shape, filter_len, level, mode) -> int:
    """``level`` (:func:`default_level` when None) once ``mode`` and the level are valid for ``shape``, else
    ``InputError``."""
    if mode not in _wavelets.MODES:
        raise InputError("mode", f"unknown boundary mode {mode!r}", f"use one of {', '.join(_wavelets.MODES)}")
    if level is None:
        level = default_level(shape, filter_len)
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise InputError("level", f"must be an integer, got {level!r}", "pass e.g. 4, or None for the default")
    for n in shape:
        try:
            _wavelets.check_level(n, filter_len, int(level), mode)
        except ValueError as exc:
            raise InputError("level", str(exc).removeprefix("level: "), "pass a smaller level") from None
    return int(level)


def wavelet_layout(shape, wavelet="sym4", level=None, mode="periodization"):
    """The coefficient layout of :func:`make_basis` with the same arguments, without building the transform.

    Only sizes are computed (no filter bank, no reconstruction check): cheap enough to check the shape of a mask
    where no transform is wanted, such as a web request before it goes to a worker.

    Parameters
    ----------
    shape, wavelet, level, mode : as in :func:`make_basis`

    Returns
    -------
    Layout

    Raises
    ------
    InputError
        Unknown wavelet, bad filter, level or mode (as :func:`make_basis`).

    Examples
    --------
    >>> wavelet_layout((64,), "sym4").size, [band.shape for band in wavelet_layout((16, 16), "haar", 1).bands]
    (64, [(8, 8), (8, 8), (8, 8), (8, 8)])
    """
    shape = tuple(int(s) for s in shape)
    _, h = _filter_array(wavelet)
    return _wavelet_layout(shape, h.size, _checked_level(shape, h.size, level, mode), mode)


def pixel_layout(shape):
    """The layout of :func:`pixel_basis`: one band ``"pixels"`` of the input's shape.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.

    Returns
    -------
    Layout
    """
    shape = tuple(int(s) for s in shape)
    return Layout(shape, (Band("pixels", 0, 0, shape),), "pixel")


def make_basis(shape, wavelet="sym4", level=None, mode="periodization", *, dtype=torch.float32,
               device="cpu", tol=1e-3):
    """Build the wavelet transform of one input shape.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    wavelet : str or array-like of shape (N,), default="sym4"
        An orthogonal PyWavelets name or an explicit lowpass filter ``h`` (e.g. a learned AWD filter).
    level : int or None, default=None
        Levels ``J``; ``None`` takes :func:`default_level`.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    dtype : torch.dtype, default=torch.float32
    device : str or torch.device, default="cpu"
    tol : float, default=1e-3
        Largest accepted relative reconstruction error ``||Psi^-1 Psi x - x|| / ||x||`` on a random input
        (a learned filter that is not orthogonal enough is refused).

    Returns
    -------
    Basis

    Raises
    ------
    InputError
        Unknown or non-orthogonal wavelet, bad filter, level or mode, or a filter that does not reconstruct.

    Examples
    --------
    >>> b = make_basis((64,), "sym4")
    >>> [band.name for band in b.layout.bands], b.layout.size
    (['cA3', 'cD3', 'cD2', 'cD1'], 64)
    """
    shape = tuple(int(s) for s in shape)
    name, h_np = _filter_array(wavelet)
    level = _checked_level(shape, h_np.size, level, mode)
    layout = _wavelet_layout(shape, h_np.size, level, mode)
    h = torch.as_tensor(h_np, dtype=dtype, device=device)
    dense = None
    if len(shape) == 1 and shape[0] <= 2048:
        h64 = torch.as_tensor(h_np, dtype=torch.float64)
        W = _wavelets.analysis_matrix(h64, shape[0], level, mode)
        S = _wavelets.synthesis_matrix(h64, shape[0], level, mode)
        dense = (W.to(dtype=dtype, device=device), S.to(dtype=dtype, device=device))
    basis = Basis(layout, name, h, level, mode, dense)
    probe = torch.randn((1,) + shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        b64 = Basis(layout, name, torch.as_tensor(h_np), level, mode,
                    None if dense is None else tuple(t.to(torch.float64).cpu() for t in dense))
        back = synthesize(b64, analyze(b64, probe))
    error = float((back - probe).norm() / probe.norm())
    if not error <= tol:
        raise InputError("wavelet", f"the filter does not reconstruct (relative error {error:.2g} > {tol:g})",
                         "pass the lowpass filter of an orthogonal wavelet (or raise tol)")
    return basis


def pixel_basis(shape, *, dtype=torch.float32, device="cpu"):
    """The identity transform with one band ``"pixels"``: the pixel-space baseline.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    dtype, device : as in :func:`make_basis`

    Returns
    -------
    Basis
    """
    return Basis(pixel_layout(shape), "pixels", None, 0, "none", None)


def analyze(basis, x):
    """Flat coefficients of a batch.

    Parameters
    ----------
    basis : Basis
    x : Tensor of shape (B, *signal_shape)

    Returns
    -------
    Tensor of shape (B, M)
    """
    if basis.kind == "pixel":
        return x.reshape(x.shape[0], -1)
    if basis.dense is not None:
        return x @ basis.dense[0].T
    h = basis.h.to(dtype=x.dtype, device=x.device)
    if x.ndim == 2:
        return torch.cat(_wavelets.wavedec1d(x, h, basis.level, basis.mode), dim=-1)
    return basis.layout.flatten(_wavelets.wavedec2d(x, h, basis.level, basis.mode))


def synthesize(basis, z):
    """Inverse transform of flat coefficients.

    Parameters
    ----------
    basis : Basis
    z : Tensor of shape (B, M)

    Returns
    -------
    Tensor of shape (B, *signal_shape)
        ``Psi^-1 z``, linear in ``z`` and differentiable.
    """
    shape = basis.layout.signal_shape
    if basis.kind == "pixel":
        return z.reshape((z.shape[0],) + shape)
    if basis.dense is not None:
        return z @ basis.dense[1].T
    h = basis.h.to(dtype=z.dtype, device=z.device)
    parts = basis.layout.split(z)
    if len(shape) == 1:
        return _wavelets.waverec1d(parts, h, basis.mode, length=shape[0])
    return _wavelets.waverec2d(parts, h, basis.mode, shape=shape)




def _numpy(t):
    """A tensor as a float64 numpy array on the CPU (detached)."""
    return t.detach().to("cpu", torch.float64).numpy()
