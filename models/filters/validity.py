"""How valid a filter is: orthonormality and perfect-reconstruction errors (numpy, for reports)."""

import math

import numpy as np
import torch

from awd_studio.models import wavelets
from awd_studio.models.filters.known import highpass_from_lowpass


def _as_numpy_filter(h, name="h"):
    if isinstance(h, torch.Tensor):
        h = h.detach().cpu().numpy()
    try:
        h = np.asarray(h, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an array of numbers of shape (N,) or (G, N)") from exc
    if h.ndim not in (1, 2) or h.shape[-1] < 2 or h.shape[-1] % 2:
        raise ValueError(f"{name}: expected shape (N,) or (G, N) with an even N >= 2, got {h.shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return h


def _scalar_or_array(values, h):
    return float(values) if h.ndim == 1 else np.asarray(values, dtype=np.float64)


def orthonormality_error(h):
    """Largest violation of ``sum_n h[n] h[n - 2k] = delta_k`` over all shifts k.

    Parameters
    ----------
    h : array-like of shape (N,) or (G, N)

    Returns
    -------
    float or ndarray of shape (G,)
        0 for an exactly orthonormal filter (PyWavelets' db and coif: below 1e-15; sym: up to 1.4e-11, sym20).
    """
    h = _as_numpy_filter(h)
    N = h.shape[-1]
    errors = [np.abs(np.sum(h[..., 2 * k:] * h[..., : N - 2 * k], axis=-1) - (k == 0)) for k in range(N // 2)]
    return _scalar_or_array(np.max(errors, axis=0), h)


def reconstruction_error(h, length=64, level=None, mode="periodization", seed=0):
    """Largest ``|waverec(wavedec(x)) - x|`` on random signals, in float64.

    Parameters
    ----------
    h : array-like of shape (N,) or (G, N)
    length : int, default=64
        Signal length L.
    level : int or None, default=None
        Number of levels; ``None`` takes ``min(4, max_level)``.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    seed : int, default=0
        Seed of the four N(0, 1) test signals.

    Returns
    -------
    float or ndarray of shape (G,)
        ~1e-15 for an orthonormal filter; grows with the violation of orthonormality.
    """
    h = _as_numpy_filter(h)
    if level is None:
        level = min(4, wavelets.max_level(length, h.shape[-1], mode))
    x = torch.as_tensor(np.random.default_rng(seed).standard_normal((4, length)))
    hh = torch.as_tensor(h)
    with torch.no_grad():
        coeffs = wavelets.wavedec1d(x, hh, level, mode)
        back = wavelets.waverec1d(coeffs, hh, mode, length=length)
    return _scalar_or_array(np.abs(back.numpy() - x.numpy()).max(axis=(-2, -1)), h)


def validity_report(h, length=64, level=None, mode="periodization"):
    """All validity measures of the paper's penalty W (absolute values, 0 for an orthogonal wavelet).

    Parameters
    ----------
    h : array-like of shape (N,) or (G, N)
    length, level, mode
        Passed to :func:`reconstruction_error`.

    Returns
    -------
    dict of str to float or ndarray of shape (G,)
        ``sum_h`` = |sum h - sqrt 2|, ``sum_g`` = |sum g|, ``norm`` = |‖h‖² - 1|, ``cmf`` = max_k
        ||H(w_k)|² + |H(w_k + pi)|² - 2| on the N-point grid w_k = 2 pi k / N, ``orthonormality``
        (:func:`orthonormality_error`) and ``reconstruction`` (:func:`reconstruction_error`).
    """
    h = _as_numpy_filter(h)
    g = highpass_from_lowpass(h)
    N = h.shape[-1]
    power = np.abs(np.fft.fft(h, axis=-1)) ** 2
    cmf = np.abs(power + np.roll(power, -N // 2, axis=-1) - 2).max(axis=-1)
    return {
        "sum_h": _scalar_or_array(np.abs(h.sum(-1) - math.sqrt(2)), h),
        "sum_g": _scalar_or_array(np.abs(g.sum(-1)), h),
        "norm": _scalar_or_array(np.abs((h**2).sum(-1) - 1), h),
        "cmf": _scalar_or_array(cmf, h),
        "orthonormality": orthonormality_error(h),
        "reconstruction": reconstruction_error(h, length, level, mode),
    }
