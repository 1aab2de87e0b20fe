"""The 2D API: separable transforms of batches of maps, one 1D level along W and then along H per 2D level.

:func:`dwt2d` and :func:`idwt2d` do one level, :func:`wavedec2d` and :func:`waverec2d` many. No dense
``(H W) x (H W)`` operator is ever built: each level applies the single-level operators (or strided
convolutions) of :mod:`models.wavelets.levels` along one axis at a time, batched over the other.
"""

import torch

from awd_studio.models.wavelets.inputs import _as_filter, _as_signal, _check_coeff, _squeeze
from awd_studio.models.wavelets.levels import _analysis_level, _synthesis_level
from awd_studio.models.wavelets.paths import _check_path, _use_matrix
from awd_studio.models.wavelets.sizes import _check_mode, _rec_lengths, check_level

__all__ = ["dwt2d", "idwt2d", "wavedec2d", "waverec2d"]


def _analysis_2d(x, h, g, mode, path):
    """x (Gx, B, H, W) -> (cA, cH, cV, cD), each (G, B, mh, mw)."""
    Gx, B, H, W = x.shape
    G = h.shape[0]
    lo, hi = _analysis_level(x.reshape(Gx, B * H, W), h, g, mode, _use_matrix(path, W))
    mw = lo.shape[-1]
    y = torch.stack((lo, hi), dim=0).reshape(2, G, B, H, mw)  # band along W first
    y = y.permute(1, 0, 2, 4, 3).reshape(G, 2 * B * mw, H)  # H last
    lo, hi = _analysis_level(y, h, g, mode, _use_matrix(path, H))
    mh = lo.shape[-1]
    lo = lo.reshape(G, 2, B, mw, mh).transpose(-1, -2)  # (G, bandW, B, mh, mw)
    hi = hi.reshape(G, 2, B, mw, mh).transpose(-1, -2)
    (cA, cV), (cH, cD) = lo.unbind(1), hi.unbind(1)
    return cA, cH, cV, cD  # cH: hi along H, cV: hi along W


def _synthesis_2d(cA, cH, cV, cD, h, g, mode, out_h, out_w, path):
    """Inverse of :func:`_analysis_2d`: (G, B, mh, mw) bands -> (G, B, out_h, out_w)."""
    G, B, mh, mw = cA.shape
    a = torch.stack((cA, cV), dim=1).transpose(-1, -2).reshape(G, 2 * B * mw, mh)  # lowpass along H
    d = torch.stack((cH, cD), dim=1).transpose(-1, -2).reshape(G, 2 * B * mw, mh)
    y = _synthesis_level(a, d, h, g, mode, out_h, _use_matrix(path, out_h))  # (G, 2 B mw, out_h)
    y = y.reshape(G, 2, B, mw, out_h).transpose(-1, -2)  # (G, bandW, B, out_h, mw)
    lo = y[:, 0].reshape(G, B * out_h, mw)
    hi = y[:, 1].reshape(G, B * out_h, mw)
    return _synthesis_level(lo, hi, h, g, mode, out_w, _use_matrix(path, out_w)).reshape(G, B, out_h, out_w)


def dwt2d(x, h, mode="periodization", *, path="auto"):
    """One 2D analysis level: ``(cA, (cH, cV, cD))`` as ``pywt.dwt2``.

    Parameters
    ----------
    x : Tensor of shape (B, H, W), or (G, B, H, W) with batched h
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "matrix", "conv"}, default="auto"

    Returns
    -------
    tuple
        ``(cA, (cH, cV, cD))``, each ``(B, mh, mw)`` or ``(G, B, mh, mw)``.
    """
    cs = wavedec2d(x, h, 1, mode, path=path)
    return cs[0], cs[1]


def idwt2d(coeffs, h, mode="periodization", *, shape=None, path="auto"):
    """Inverse of :func:`dwt2d` (``pywt.idwt2``); ``coeffs = (cA, (cH, cV, cD))``."""
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) != 2:
        raise ValueError("coeffs: expected (cA, (cH, cV, cD)) as returned by dwt2d")
    return waverec2d(list(coeffs), h, mode, shape=shape, path=path)


def wavedec2d(x, h, level, mode="periodization", *, path="auto"):
    """Multi-level separable 2D wavelet transform of a batch of maps (``pywt.wavedec2`` on each).

    Parameters
    ----------
    x : Tensor of shape (B, H, W), or (G, B, H, W) with batched h
    h : Tensor or array-like of shape (N,) or (G, N)
    level : int
        Number of levels J, at most :func:`max_level` of both H and W.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "dense", "matrix", "conv"}, default="auto"
        "dense"/"matrix" apply single-level operators along each axis by batched matmul, "conv" uses strided
        convolutions; "auto" takes the operators for axes up to 256 samples.

    Returns
    -------
    list
        ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]``, tensors of shape ``(B, h_j, w_j)`` or
        ``(G, B, h_j, w_j)``.
    """
    _check_mode(mode)
    _check_path(path)
    h2, g2, batched = _as_filter(h, like=x if isinstance(x, torch.Tensor) else None)
    x4 = _as_signal(x, h2.shape[0], batched, 2)
    h2, g2 = h2.to(x4.dtype), g2.to(x4.dtype)
    N = h2.shape[-1]
    for size, axis in zip(x4.shape[-2:], ("H", "W")):
        try:
            check_level(size, N, level, mode)
        except ValueError as exc:
            raise ValueError(f"{exc} [axis {axis}]") from None
    a, details = x4, []
    for _ in range(level):
        a, cH, cV, cD = _analysis_2d(a, h2, g2, mode, path)
        details.append((_squeeze(cH, batched), _squeeze(cV, batched), _squeeze(cD, batched)))
    return [_squeeze(a, batched)] + details[::-1]


def waverec2d(coeffs, h, mode="periodization", *, shape=None, path="auto"):
    """Inverse of :func:`wavedec2d` (``pywt.waverec2`` on each map).

    Parameters
    ----------
    coeffs : list
        ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]``, tensors ``(B, h_j, w_j)`` or
        ``(G, B, h_j, w_j)``.
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    shape : tuple of int (H, W) or None, default=None
        Original map shape; ``None`` reproduces PyWavelets (one extra row/column for odd sizes).
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    Tensor of shape (B, H, W) or (G, B, H, W)
    """
    _check_mode(mode)
    _check_path(path)
    if (not isinstance(coeffs, (list, tuple)) or len(coeffs) < 2
            or not all(isinstance(t, (list, tuple)) and len(t) == 3 for t in coeffs[1:])):
        raise ValueError("coeffs: expected [cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)] as from wavedec2d")
    first = coeffs[0] if isinstance(coeffs[0], torch.Tensor) else None
    h2, g2, batched = _as_filter(h, like=first)
    G, N = h2.shape
    a = _check_coeff(coeffs[0], "coeffs[0]", (0, 0, 0), G, batched)
    h2, g2 = h2.to(a.dtype), g2.to(a.dtype)
    bands = [[_check_coeff(c, f"coeffs[{i + 1}][{k}]", (0, 0, 0), G, batched).to(a.dtype)
              for k, c in enumerate(t)] for i, t in enumerate(coeffs[1:])]
    if shape is not None:
        if not isinstance(shape, (list, tuple)) or len(shape) != 2:
            raise ValueError(f"shape: expected (H, W), got {shape!r}")
    heights = [a.shape[-2]] + [t[0].shape[-2] for t in bands]
    widths = [a.shape[-1]] + [t[0].shape[-1] for t in bands]
    for i, t in enumerate(bands):
        if any(tuple(c.shape) != tuple(t[0].shape) for c in t):
            raise ValueError(f"coeffs[{i + 1}]: cH, cV and cD must have the same shape, got "
                             f"{[tuple(c.shape) for c in t]}")
    targets_h = _rec_lengths(heights, N, mode, None if shape is None else shape[0])
    targets_w = _rec_lengths(widths, N, mode, None if shape is None else shape[1])
    a = a.expand(G, -1, -1, -1) if a.shape[0] != G else a
    for (cH, cV, cD), th, tw in zip(bands, targets_h, targets_w):
        cH, cV, cD = (c.expand(G, -1, -1, -1) if c.shape[0] != G else c for c in (cH, cV, cD))
        if a.shape[1] != cH.shape[1]:
            raise ValueError(f"coeffs: the arrays disagree on the batch size ({a.shape[1]} vs {cH.shape[1]})")
        a = _synthesis_2d(a, cH, cV, cD, h2, g2, mode, th, tw, path)
    return _squeeze(a, batched)

