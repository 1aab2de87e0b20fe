"""Known orthogonal wavelets: names, lowpass filters, the highpass of a lowpass."""

import difflib
from functools import lru_cache

import numpy as np
import pywt
import torch


@lru_cache(maxsize=1)
def orthogonal_wavelet_names():
    """Names of PyWavelets' orthogonal discrete wavelets (haar, db*, sym*, coif*, dmey).

    Returns
    -------
    tuple of str
    """
    return tuple(name for name in pywt.wavelist(kind="discrete") if pywt.Wavelet(name).orthogonal)


def lowpass_filter(wave):
    """Lowpass reconstruction filter ``rec_lo`` of an orthogonal PyWavelets wavelet.

    Parameters
    ----------
    wave : str
        A PyWavelets name such as ``"db5"``, ``"sym5"``, ``"coif2"`` or ``"haar"``.

    Returns
    -------
    ndarray of shape (N,), float64

    Raises
    ------
    ValueError
        For unknown names (with the closest known names), biorthogonal wavelets (``"bior2.2"``,
        ``"rbio*"``) and continuous wavelets (``"morl"``, ``"mexh"``...), which have no such filter.

    Examples
    --------
    >>> lowpass_filter("db2").shape
    (4,)
    >>> lowpass_filter("")
    Traceback (most recent call last):
    ...
    ValueError: wave: is empty; pass a wavelet name such as 'db5', 'sym5', 'coif2' or 'haar'
    """
    if not isinstance(wave, str):
        raise ValueError(f"wave: expected a wavelet name such as 'db5', got {type(wave).__name__}")
    if not wave.strip():  # PyWavelets answers an empty name with a TypeError (an API request's 500)
        raise ValueError("wave: is empty; pass a wavelet name such as 'db5', 'sym5', 'coif2' or 'haar'")
    if wave in pywt.wavelist(kind="continuous"):
        raise ValueError(
            f"wave: {wave!r} is a continuous wavelet and has no filter bank; pass an orthogonal discrete "
            "wavelet such as 'db5', 'sym5' or 'coif2'"
        )
    try:
        w = pywt.Wavelet(wave)
    except ValueError:
        close = difflib.get_close_matches(wave, orthogonal_wavelet_names(), n=4, cutoff=0.5)
        hint = ", ".join(repr(c) for c in close) if close else "'db5', 'sym5', 'coif2', 'haar'"
        raise ValueError(f"wave: unknown wavelet {wave!r}; did you mean {hint}?") from None
    if not w.orthogonal:
        raise ValueError(
            f"wave: {wave!r} is biorthogonal, not orthogonal; AWD needs an orthogonal wavelet such as "
            "'db5', 'sym5' or 'coif2'"
        )
    return np.asarray(w.rec_lo, dtype=np.float64)


def highpass_from_lowpass(h):
    """Highpass ``g[n] = (-1)**n h[N - 1 - n]`` (PyWavelets' ``rec_hi``), along the last axis.

    Parameters
    ----------
    h : ndarray or Tensor of shape (..., N)

    Returns
    -------
    ndarray or Tensor of shape (..., N)
        Same type, dtype and device as ``h``; differentiable for tensors.
    """
    if isinstance(h, torch.Tensor):
        sign = torch.ones(h.shape[-1], dtype=h.dtype, device=h.device)
        sign[1::2] = -1
        return torch.flip(h, dims=(-1,)) * sign
    h = np.asarray(h)
    sign = np.where(np.arange(h.shape[-1]) % 2 == 0, 1.0, -1.0)
    return h[..., ::-1] * sign
