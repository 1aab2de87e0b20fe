"""Input checks of the transforms: user arguments in, canonical tensors out (or a ValueError naming the field).

Signals become ``(Gx, B, *data)`` with ``Gx`` = 1 (shared by all filters) or G, filters become the pair
``(h, g)`` of shape ``(G, N)`` with the highpass ``g[n] = (-1)**n * h[N - 1 - n]``, coefficient arrays gain
the filter axis; :func:`_squeeze` takes it off again on the way out. Non-finite values and impossible shapes
are refused here, so the single-level ops and the dense operators work on checked tensors only.
"""

import math
from functools import lru_cache

import numpy as np
import torch


def _as_tensor(value, name, like=None):
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        try:
            tensor = torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: expected a tensor or array of numbers, got {type(value).__name__}") from exc
    if not (tensor.is_floating_point() or tensor.is_complex()):
        tensor = tensor.to(torch.get_default_dtype() if like is None else like.dtype)
    if tensor.is_complex():
        raise ValueError(f"{name}: complex values are not supported; pass a real tensor")
    if like is not None and (tensor.dtype != like.dtype or tensor.device != like.device):
        tensor = tensor.to(dtype=like.dtype, device=like.device)
    return tensor


def _check_finite(tensor, name):
    # one reduction in the common case: NaN and infinities propagate into the sum (which may also overflow
    # for huge finite values, so a non-finite sum is confirmed element by element)
    if math.isfinite(float(tensor.detach().sum())):
        return
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name}: contains NaN or infinite values; clean or impute the data first")


def _as_filter(h, like=None):
    """Return ``(h (G, N), g (G, N), batched)`` from a lowpass ``h`` of shape (N,) or (G, N)."""
    h = _as_tensor(h, "h", like)
    if h.ndim not in (1, 2):
        raise ValueError(f"h: expected a lowpass filter of shape (N,) or (G, N), got shape {tuple(h.shape)}")
    n = h.shape[-1]
    if n < 2 or n % 2:
        raise ValueError(f"h: expected an even filter length N >= 2 (orthogonal wavelets), got N = {n}")
    if h.ndim == 2 and h.shape[0] < 1:
        raise ValueError("h: got zero filters (G = 0); pass at least one")
    _check_finite(h, "h")
    batched = h.ndim == 2
    h2 = h if batched else h.unsqueeze(0)
    return h2, _highpass(h2), batched


@lru_cache(maxsize=64)
def _alternating_signs(n, dtype, device):
    """``(-1)^m`` for m = 0..n-1 (cached: the highpass filter is rebuilt on every training step)."""
    sign = torch.ones(n, dtype=dtype, device=device)
    sign[1::2] = -1
    return sign


def _highpass(h):
    return torch.flip(h, dims=(-1,)) * _alternating_signs(h.shape[-1], h.dtype, h.device)


def _as_signal(x, n_filters, batched, data_ndim, name="x"):
    """Reshape ``x`` to ``(Gx, B, *data)`` with Gx = 1 (shared by all filters) or G."""
    x = _as_tensor(x, name)
    shape_txt = "(B, L)" if data_ndim == 1 else "(B, H, W)"
    shape_g = "(G, B, L)" if data_ndim == 1 else "(G, B, H, W)"
    if x.ndim == data_ndim + 1:
        x = x.unsqueeze(0)
    elif x.ndim == data_ndim + 2:
        if not batched or x.shape[0] != n_filters:
            raise ValueError(
                f"{name}: shape {tuple(x.shape)} has a filter axis but h has "
                f"{'shape (N,)' if not batched else f'G = {n_filters} filters'}; pass x of shape {shape_txt}"
                f" or {shape_g} with h of shape (G, N)"
            )
    else:
        raise ValueError(
            f"{name}: expected a batch of shape {shape_txt}"
            f"{f' or {shape_g}' if batched else ''}, got {x.ndim} dimension{'' if x.ndim == 1 else 's'} "
            f"{tuple(x.shape)}; "
            f"add a batch axis with x[None] for a single {'signal' if data_ndim == 1 else 'map'}"
        )
    if any(s == 0 for s in x.shape[1:]):
        raise ValueError(f"{name}: got an empty array of shape {tuple(x.shape)}")
    _check_finite(x, name)
    return x


def _check_coeff(c, name, like_shape, n_filters, batched):
    if not isinstance(c, torch.Tensor):
        c = _as_tensor(c, name)
    expected = len(like_shape) + (1 if batched else 0)
    if c.ndim != expected:
        raise ValueError(
            f"{name}: expected {expected} dimensions (batch{', filters' if batched else ''} and data), got shape "
            f"{tuple(c.shape)}"
        )
    if batched and c.shape[0] != n_filters:
        raise ValueError(f"{name}: its first axis has {c.shape[0]} entries but h has G = {n_filters} filters")
    _check_finite(c, name)
    return c if batched else c.unsqueeze(0)


def _squeeze(t, batched):
    return t if batched else t[0]
