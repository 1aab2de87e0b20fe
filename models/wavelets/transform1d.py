"""The 1D API: one level (:func:`dwt1d`, :func:`idwt1d`), many levels (:func:`wavedec1d`, :func:`waverec1d`).

Each function checks its arguments (:mod:`models.wavelets.inputs`), then either applies the dense operator
(:mod:`models.wavelets.operators`) or loops over single levels (:mod:`models.wavelets.levels`), as
:mod:`models.wavelets.paths` decides. :func:`split_coeffs` and :func:`concat_coeffs` convert between
PyWavelets' coefficient list and the flat ``(..., M)`` layout of the dense operators' rows.
"""

import torch

from awd_studio.models.wavelets.inputs import _as_filter, _as_signal, _check_coeff, _squeeze
from awd_studio.models.wavelets.levels import _analysis_level, _synthesis_level
from awd_studio.models.wavelets.operators import _analysis_operator, _synthesis_operator
from awd_studio.models.wavelets.paths import _check_path, _use_dense, _use_matrix
from awd_studio.models.wavelets.sizes import _check_mode, _rec_lengths, check_level, coeff_lengths

__all__ = ["dwt1d", "idwt1d", "wavedec1d", "waverec1d", "split_coeffs", "concat_coeffs"]


def dwt1d(x, h, mode="periodization", *, path="auto"):
    """One analysis level: ``(cA, cD)`` of each signal, as ``pywt.dwt``.

    Parameters
    ----------
    x : Tensor of shape (B, L), or (G, B, L) with batched h
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    cA, cD : Tensor of shape (B, m) or (G, B, m)
    """
    _check_mode(mode)
    _check_path(path)
    h2, g2, batched = _as_filter(h, like=x if isinstance(x, torch.Tensor) else None)
    x3 = _as_signal(x, h2.shape[0], batched, 1)
    check_level(x3.shape[-1], h2.shape[-1], 1, mode)
    lo, hi = _analysis_level(x3, h2.to(x3.dtype), g2.to(x3.dtype), mode, _use_matrix(path, x3.shape[-1]))
    return _squeeze(lo, batched), _squeeze(hi, batched)


def idwt1d(cA, cD, h, mode="periodization", *, length=None, path="auto"):
    """One synthesis level, as ``pywt.idwt`` (optionally trimmed to ``length``).

    Parameters
    ----------
    cA, cD : Tensor of shape (B, m) or (G, B, m)
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    length : int or None, default=None
        Output length; ``None`` gives PyWavelets' ``2m`` (periodization) or ``2m - N + 2`` samples.
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    Tensor of shape (B, length) or (G, B, length)
    """
    return waverec1d([cA, cD], h, mode, length=length, path=path)


def wavedec1d(x, h, level, mode="periodization", *, path="auto"):
    """Multi-level discrete wavelet transform of a batch of signals (``pywt.wavedec`` on each).

    Parameters
    ----------
    x : Tensor of shape (B, L), or (G, B, L) with batched h
        Signals; float64 for exact parity with PyWavelets, float32 for training.
    h : Tensor or array-like of shape (N,) or (G, N)
        Lowpass reconstruction filter(s) (``rec_lo``); may require grad.
    level : int
        Number of levels J, ``1 <= J <= max_level(L, N, mode)``.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "dense", "matrix", "conv"}, default="auto"
        How to evaluate (same numbers); "auto" uses the dense W(h) for signals up to
        :data:`~models.wavelets.DENSE_MAX_LENGTH` samples.

    Returns
    -------
    list of Tensor
        ``[cA_J, cD_J, ..., cD_1]``, each ``(B, n_j)`` for ``h`` of shape (N,) or ``(G, B, n_j)`` for
        ``h`` of shape (G, N); lengths from :func:`coeff_lengths`.

    Raises
    ------
    ValueError
        Bad shapes, non-finite values, unknown mode, or a level deeper than :func:`max_level`.

    Examples
    --------
    >>> import pywt, torch
    >>> x = torch.randn(3, 64, dtype=torch.float64)
    >>> cs = wavedec1d(x, pywt.Wavelet("db5").rec_lo, 4)
    >>> [tuple(c.shape) for c in cs]
    [(3, 4), (3, 4), (3, 8), (3, 16), (3, 32)]
    """
    _check_mode(mode)
    _check_path(path)
    h2, g2, batched = _as_filter(h, like=x if isinstance(x, torch.Tensor) else None)
    x3 = _as_signal(x, h2.shape[0], batched, 1)
    h2, g2 = h2.to(x3.dtype), g2.to(x3.dtype)
    L, N, G = x3.shape[-1], h2.shape[-1], h2.shape[0]
    lengths = coeff_lengths(L, N, level, mode)
    if _use_dense(path, L, G, sum(lengths)):
        W = _analysis_operator(h2, L, level, mode)
        c = torch.matmul(x3, W.transpose(-1, -2))  # (G, B, M)
        return [_squeeze(part, batched) for part in split_coeffs(c, lengths)]
    details = []
    a = x3
    for _ in range(level):
        a, d = _analysis_level(a, h2, g2, mode, _use_matrix(path, a.shape[-1]))
        details.append(d)
    return [_squeeze(t, batched) for t in [a] + details[::-1]]


def waverec1d(coeffs, h, mode="periodization", *, length=None, path="auto"):
    """Inverse of :func:`wavedec1d` (``pywt.waverec`` on each signal).

    Parameters
    ----------
    coeffs : list of Tensor
        ``[cA_J, cD_J, ..., cD_1]``, each ``(B, n_j)``, or ``(G, B, n_j)`` with batched ``h``.
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    length : int or None, default=None
        Length of the original signal. ``None`` reproduces PyWavelets, which returns one extra sample
        when the original length was odd; pass it to get exactly ``L`` samples back.
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    Tensor of shape (B, L) or (G, B, L)
    """
    _check_mode(mode)
    _check_path(path)
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) < 2:
        raise ValueError("coeffs: expected a list [cA_J, cD_J, ..., cD_1] of at least two arrays")
    first = coeffs[0] if isinstance(coeffs[0], torch.Tensor) else None
    h2, g2, batched = _as_filter(h, like=first)
    G, N = h2.shape
    cs = [_check_coeff(c, f"coeffs[{i}]", (0, 0), G, batched) for i, c in enumerate(coeffs)]
    cs = [c.to(dtype=cs[0].dtype, device=cs[0].device) for c in cs]
    h2, g2 = h2.to(cs[0].dtype), g2.to(cs[0].dtype)
    batch = cs[0].shape[1]
    if any(c.shape[1] != batch for c in cs):
        raise ValueError(f"coeffs: the arrays disagree on the batch size: {[tuple(c.shape) for c in coeffs]}")
    lengths = [c.shape[-1] for c in cs]
    targets = _rec_lengths(lengths, N, mode, length)
    cs = [c.expand(G, -1, -1) if c.shape[0] != G else c for c in cs]
    out_len = targets[-1]
    if _use_dense(path, out_len, G, sum(lengths)):
        S = _synthesis_operator(h2, lengths, mode, out_len)
        return _squeeze(torch.matmul(torch.cat(cs, dim=-1), S.transpose(-1, -2)), batched)
    a = cs[0]
    for d, target in zip(cs[1:], targets):
        a = _synthesis_level(a, d, h2, g2, mode, target, _use_matrix(path, target))
    return _squeeze(a, batched)


def split_coeffs(c, lengths):
    """Split concatenated coefficients ``(..., M)`` into PyWavelets' list ``[cA_J, cD_J, ..., cD_1]``.

    Parameters
    ----------
    c : Tensor of shape (..., M)
    lengths : sequence of int
        From :func:`coeff_lengths`; must sum to M.

    Returns
    -------
    list of Tensor
        Views of ``c`` of shapes ``(..., lengths[i])``.
    """
    lengths = [int(n) for n in lengths]
    if not isinstance(c, torch.Tensor) or c.ndim < 1 or c.shape[-1] != sum(lengths):
        got = tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__
        raise ValueError(f"c: expected a tensor whose last axis has {sum(lengths)} = sum(lengths) entries, got {got}")
    return list(torch.split(c, lengths, dim=-1))


def concat_coeffs(coeffs):
    """Concatenate a 1D coefficient list ``[cA_J, cD_J, ..., cD_1]`` into one tensor ``(..., M)``.

    The inverse of :func:`split_coeffs`; the order matches the rows of :func:`analysis_matrix`.
    """
    if not isinstance(coeffs, (list, tuple)) or not coeffs or not all(isinstance(c, torch.Tensor) for c in coeffs):
        raise ValueError("coeffs: expected a non-empty list of tensors [cA_J, cD_J, ..., cD_1]")
    return torch.cat(list(coeffs), dim=-1)
