"""Morlet filter banks for the scattering transform, as differentiable functions of their parameters.

Every function here is pure: parameters in, filters out, and gradients flow from the filters back to the
centre frequencies, widths, orientations and aspect ratios, so :mod:`.transform` can learn them.

Units
-----
1D
    Frequencies ``xi`` and widths ``sigma`` are in cycles per sample (Nyquist = 0.5). A wavelet is a Gaussian
    of standard deviation ``sigma`` centred at ``xi`` in the Fourier domain, minus a Gaussian centred at 0
    with the same width, scaled so that the wavelet has zero mean (the Morlet correction); the lowpass
    ``phi`` is the centred Gaussian alone. Both are sampled on the DFT grid ``k / n`` after periodisation
    over :data:`PERIODS` periods, and scaled to unit l1 norm in time.
2D
    A Morlet wavelet in space is ``g(u) (exp(i xi (cos theta, sin theta) . u) - beta)`` with the anisotropic
    Gaussian envelope ``g(u) = exp(-u^T R D R^T u / (2 sigma^2)) / (2 pi sigma^2 / slant)``,
    ``D = diag(1, slant^2)``, ``R`` the rotation by ``theta``, summed over the 5 x 5 nearest periodic copies
    of the grid, and ``beta`` chosen so that the wavelet sums to zero. Here ``xi`` is in radians per sample
    (Nyquist = pi) and ``sigma`` is the spatial standard deviation in samples; ``slant < 1`` elongates the
    envelope along the wave fronts. The lowpass ``phi`` is the isotropic envelope alone.

Default banks
-------------
:func:`default_bank_1d` and :func:`default_bank_2d` give the parameters of the standard (Kymatio 0.3)
filter banks, written from their definitions: constant-Q wavelets in 1D (``Q`` per octave, neighbours
crossing at ``sqrt(1/2)`` of their peak, the lowest ones spaced linearly at the minimal width), ``J`` scales x
``L`` orientations in 2D. ``tests/models/test_scattering.py`` checks the filters against Kymatio's.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "PERIODS",
    "SIGMA_MAX_1D",
    "default_bank_1d",
    "default_bank_2d",
    "max_subsampling",
    "padding_1d",
    "padding_2d",
    "morlet_fourier_1d",
    "gaussian_fourier_1d",
    "morlet_fourier_2d",
    "gaussian_fourier_2d",
    "fold_spectrum",
    "crop_spectrum_2d",
]

#: Number of periods summed when a 1D Fourier-domain Gaussian is sampled on the DFT grid.
PERIODS = 5
#: Largest 1D width (cycles per sample) for which the periodisation over :data:`PERIODS` periods is exact to
#: ``exp(-1.5**2 / (2 * SIGMA_MAX_1D**2)) < 2e-8`` relative.
SIGMA_MAX_1D = 0.25
#: Width of the 1D lowpass at scale T is ``SIGMA0 / T``; also the minimal wavelet width at scale ``2**J``.
SIGMA0 = 0.1
#: Neighbouring constant-Q wavelets cross at this fraction of their peak.
R_PSI = math.sqrt(0.5)
#: Aliasing margin: a wavelet is subsampled by ``2**j`` only if ``xi + ALPHA * sigma < 2**-(j + 1)``.
ALPHA = 5.0


# ----------------------------------------------------------------------------------------------------------
# 1D bank parameters


def _constant_q_width(xi, q):
    """Width of a wavelet at ``xi`` so that neighbours ``2**(1/q)`` apart cross at ``R_PSI`` of their peak."""
    ratio = 2.0 ** (-1.0 / q)
    return xi * (1.0 - ratio) / (1.0 + ratio) / math.sqrt(2.0 * math.log(1.0 / R_PSI))


def max_subsampling(xi, sigma, alpha=ALPHA):
    """Largest ``j`` such that ``|x * psi|`` may be subsampled by ``2**j`` without aliasing.

    Parameters
    ----------
    xi, sigma : float
        Centre frequency and width in cycles per sample.
    alpha : float, default=5.0
        How many widths above ``xi`` the band is taken to end.

    Returns
    -------
    j : int
        ``floor(-log2(min(xi + alpha sigma, 1/2))) - 1``, at least 0.

    Examples
    --------
    >>> max_subsampling(0.35, 0.14), max_subsampling(0.0219, 0.0088)
    (0, 2)
    """
    edge = min(xi + alpha * sigma, 0.5)
    return int(math.floor(-math.log2(edge))) - 1


def _bank_1d(q, sigma_min):
    xi_top = max(1.0 / (1.0 + 2.0 ** (3.0 / q)), 0.35)
    sigma_top = _constant_q_width(xi_top, q)
    xis, sigmas = [], []
    if sigma_top > sigma_min:
        xis, sigmas = [xi_top], [sigma_top]
        step = 2.0 ** (1.0 / q)
        while sigmas[-1] > sigma_min * step:  # geometric (constant-Q) part
            xis.append(xis[-1] / step)
            sigmas.append(sigmas[-1] / step)
        elbow = xis[-1]
    else:
        elbow = sigma_top
    for k in range(1, q):  # below the elbow: linearly spaced, all of the minimal width
        xis.append(elbow * (1.0 - k / q))
        sigmas.append(sigma_min)
    return xis, sigmas


def default_bank_1d(J, Q=1, T=None):
    """Parameters of the standard 1D Morlet bank (first and second order) and its lowpass.

    Parameters
    ----------
    J : int
        Log2 of the largest wavelet scale; the smallest width is ``0.1 / 2**J`` cycles per sample.
    Q : int or (int, int), default=1
        Wavelets per octave at the first and second order (an int means ``(Q, 1)``).
    T : int or None, default=None
        Averaging scale of the lowpass in samples; ``None`` means ``2**J``.

    Returns
    -------
    dict
        ``xi1, sigma1, j1`` (lists, first-order bank, highest frequency first), ``xi2, sigma2, j2`` (second
        order), ``sigma_phi`` (float), ``T`` and ``log2_T`` (int). ``j`` is :func:`max_subsampling` of each
        wavelet, at least 0.

    Examples
    --------
    >>> bank = default_bank_1d(6)
    >>> len(bank["xi1"]), bank["xi1"][0], bank["j1"]
    (7, 0.35, [0, 0, 0, 1, 2, 3, 4])
    """
    q1, q2 = (Q, 1) if isinstance(Q, (int, np.integer)) else tuple(Q)
    T = 2 ** J if T is None else T
    sigma_min = SIGMA0 / 2.0 ** J
    xi1, sigma1 = _bank_1d(int(q1), sigma_min)
    xi2, sigma2 = _bank_1d(int(q2), sigma_min)
    return {
        "xi1": xi1, "sigma1": sigma1, "j1": [max(max_subsampling(a, b), 0) for a, b in zip(xi1, sigma1)],
        "xi2": xi2, "sigma2": sigma2, "j2": [max(max_subsampling(a, b), 0) for a, b in zip(xi2, sigma2)],
        "sigma_phi": SIGMA0 / T, "T": int(T), "log2_T": int(math.floor(math.log2(T))),
    }


def _half_support(filter_f, eps=1e-3):
    """Smallest half-width outside which the one-sided l1 tail of a centred filter is at most ``eps``."""
    h = np.abs(np.fft.ifft(np.asarray(filter_f)))
    half = h.shape[-1] // 2
    tail = np.cumsum(h[:half][::-1])[::-1]  # tail[i] = sum of |h[k]| for i <= k < half
    inside = np.nonzero(tail <= eps)[0]
    return int(inside[0]) + 1 if inside.size else half


def padding_1d(length, T):
    """Padded length and left/right padding of the 1D transform.

    The signal is reflected on both sides up to a power of two that leaves room for three supports of the
    lowpass on each side (at most ``3 * length - 2`` samples, so the reflection never wraps).

    Parameters
    ----------
    length : int
        Signal length L.
    T : int
        Averaging scale in samples.

    Returns
    -------
    n_pad, left, right : int

    Examples
    --------
    >>> padding_1d(256, 64)
    (512, 128, 128)
    """
    phi_f = gaussian_fourier_1d(torch.tensor(SIGMA0 / T, dtype=torch.float64), length).numpy()
    margin = 3 * _half_support(phi_f)
    log2_pad = min(int(math.ceil(math.log2(length + 2 * margin))), int(math.floor(math.log2(3 * length - 2))))
    n_pad = 2 ** log2_pad
    left = (n_pad - length) // 2
    return n_pad, left, n_pad - length - left


# ----------------------------------------------------------------------------------------------------------
# 1D filters


def _periodised_gaussian(centre, sigma, n):
    """``mean_p exp(-(k/n + p - centre)^2 / (2 sigma^2))`` over ``p = -2..2``, for k = 0..n-1.

    centre, sigma : Tensor (K,) -> Tensor (K, n)
    """
    p = PERIODS // 2
    freqs = torch.arange(-p * n, (PERIODS - p) * n, dtype=sigma.dtype, device=sigma.device) / n
    values = torch.exp(-((freqs - centre[:, None]) ** 2) / (2.0 * sigma[:, None] ** 2))
    return values.reshape(values.shape[0], PERIODS, n).mean(dim=1)


def _unit_l1(filter_f):
    """Scale Fourier-domain filters (..., n) to unit l1 norm in time."""
    return filter_f / torch.fft.ifft(filter_f).abs().sum(dim=-1, keepdim=True)


def morlet_fourier_1d(xi, sigma, n):
    """Fourier transforms of 1D Morlet wavelets on an n-point grid.

    Parameters
    ----------
    xi : Tensor of shape (K,)
        Centre frequencies in cycles per sample, in (0, 0.5].
    sigma : Tensor of shape (K,)
        Widths in cycles per sample, in (0, :data:`SIGMA_MAX_1D`].
    n : int
        Grid length (the padded signal length).

    Returns
    -------
    Tensor of shape (K, n), real, same dtype and device as ``sigma``
        ``psi_hat[k]`` at the DFT frequencies ``k / n`` (``numpy.fft.fftfreq`` order); zero at frequency 0;
        unit l1 norm in time. Differentiable in ``xi`` and ``sigma``.

    Examples
    --------
    >>> f = morlet_fourier_1d(torch.tensor([0.25]), torch.tensor([0.05]), 64)
    >>> f.shape, abs(float(f[0, 0])) < 1e-12, int(f[0].argmax())
    (torch.Size([1, 64]), True, 16)
    """
    gabor = _periodised_gaussian(xi, sigma, n)
    low = _periodised_gaussian(torch.zeros_like(xi), sigma, n)
    kappa = gabor[:, :1] / low[:, :1]
    return _unit_l1(gabor - kappa * low)


def gaussian_fourier_1d(sigma, n):
    """Fourier transform of the 1D Gaussian lowpass of width ``sigma`` (cycles per sample), unit l1 in time.

    Parameters
    ----------
    sigma : Tensor of shape () or (K,)
    n : int

    Returns
    -------
    Tensor of shape (n,) or (K, n)
    """
    s = sigma.reshape(-1)
    out = _unit_l1(_periodised_gaussian(torch.zeros_like(s), s, n))
    return out[0] if sigma.ndim == 0 else out


def fold_spectrum(x_hat, factor, dims=(-1,)):
    """Spectrum of the signal subsampled by ``factor``: the mean of the ``factor`` periods along each axis.

    Parameters
    ----------
    x_hat : Tensor of shape (..., n) or (..., M, N)
        DFT along ``dims``; each of those lengths must be a multiple of ``factor``.
    factor : int
    dims : tuple of int, default=(-1,)
        ``(-1,)`` in 1D, ``(-2, -1)`` in 2D.

    Returns
    -------
    Tensor
        ``DFT(x[::factor])`` when ``x_hat = DFT(x)`` (the same along every axis of ``dims``).

    Examples
    --------
    >>> x = torch.arange(8.0)
    >>> torch.allclose(torch.fft.ifft(fold_spectrum(torch.fft.fft(x), 4)).real, x[::4])
    True
    """
    if factor == 1:
        return x_hat
    for d in dims:
        d = d % x_hat.ndim
        n = x_hat.shape[d]
        x_hat = x_hat.reshape(*x_hat.shape[:d], factor, n // factor, *x_hat.shape[d + 1:]).mean(dim=d)
    return x_hat


# ----------------------------------------------------------------------------------------------------------
# 2D


def default_bank_2d(J, L=8):
    """Parameters of the standard 2D Morlet bank: ``J`` scales x ``L`` orientations, and its lowpass.

    Parameters
    ----------
    J : int
        Number of scales; wavelet ``j`` has ``sigma = 0.8 * 2**j`` samples and ``xi = 3 pi / 4 / 2**j``.
    L : int, default=8
        Number of orientations, ``theta = (floor(L/2) - 1 - l) pi / L``, ``l = 0..L-1``.

    Returns
    -------
    dict
        ``xi, theta, sigma, slant, j`` (lists of length ``J * L``, scale-major), ``sigma_phi`` (float).

    Examples
    --------
    >>> bank = default_bank_2d(2, L=4)
    >>> len(bank["xi"]), bank["j"], bank["slant"][0]
    (8, [0, 0, 0, 0, 1, 1, 1, 1], 1.0)
    """
    out = {"xi": [], "theta": [], "sigma": [], "slant": [], "j": []}
    for j in range(J):
        for ell in range(L):
            out["xi"].append(3.0 / 4.0 * math.pi / 2.0 ** j)
            out["theta"].append((int(L - L / 2 - 1) - ell) * math.pi / L)
            out["sigma"].append(0.8 * 2.0 ** j)
            out["slant"].append(4.0 / L)
            out["j"].append(j)
    out["sigma_phi"] = 0.8 * 2.0 ** (J - 1)
    return out


def padding_2d(shape, J):
    """Padded shape and (top, bottom, left, right) reflection padding of the 2D transform.

    Each axis is padded to the next multiple of ``2**J`` above ``size + 2**J``, split evenly (the extra
    sample, if any, at the end); the output of the transform then has ``size // 2**J`` samples per axis.

    Parameters
    ----------
    shape : (int, int)
    J : int

    Returns
    -------
    (M_pad, N_pad), (top, bottom, left, right)

    Examples
    --------
    >>> padding_2d((64, 64), 3)
    ((80, 80), (8, 8, 8, 8))
    """
    step = 2 ** J
    padded = tuple(((s + step) // step + 1) * step for s in shape)
    (m, n), (pm, pn) = shape, padded
    return padded, ((pm - m) // 2, (pm - m + 1) // 2, (pn - n) // 2, (pn - n + 1) // 2)


def _copies(centre, width, limit=math.pi):
    """Number of 2 pi-periodic copies on each side needed so that a Gaussian of std ``width`` centred at
    ``|centre| <= pi`` is summed to ~1e-14 over the fundamental domain (its value 8 std away is exp(-32))."""
    return int(math.floor((limit + abs(centre) + 8.0 * width) / (2.0 * math.pi)))


def _anisotropic_gaussian_dft(centre1, centre2, theta, sigma, slant, shape):
    """DFT of periodised sampled anisotropic Gabor envelopes, via their continuous Fourier transforms.

    The spatial function ``exp(-u^T A u + i c.u) / (2 pi sigma^2 / slant)`` with
    ``A = R diag(1, slant^2) R^T / (2 sigma^2)`` has the Fourier transform
    ``exp(-sigma^2 / 2 (w - c)^T R diag(1, slant^-2) R^T (w - c))``; sampling it on the grid and summing the
    2 pi-periodic copies (Poisson) gives the DFT of the spatial function sampled and summed over the
    periodic copies of the grid. Parameters: Tensors (K,); returns a real Tensor (K, M, N).
    """
    M, N = shape
    dtype, device = sigma.dtype, sigma.device
    c, s = torch.cos(theta), torch.sin(theta)
    inv2 = slant ** -2
    q11, q12, q22 = c * c + s * s * inv2, c * s * (1.0 - inv2), s * s + c * c * inv2
    with torch.no_grad():
        widths = (torch.clamp(slant, min=1.0) / sigma).tolist()
        n_copies = [max(_copies(a, w), _copies(b, w)) for a, b, w in zip(centre1.tolist(), centre2.tolist(), widths)]
    out = [None] * sigma.shape[0]
    for p in sorted(set(n_copies)):
        idx = [k for k, n in enumerate(n_copies) if n == p]
        sel = torch.tensor(idx, device=device)
        shifts = torch.arange(-p, p + 1, dtype=dtype, device=device)[:, None]
        w1 = (2 * math.pi * (torch.fft.fftfreq(M, dtype=dtype, device=device)[None, :] + shifts)).reshape(-1)
        w2 = (2 * math.pi * (torch.fft.fftfreq(N, dtype=dtype, device=device)[None, :] + shifts)).reshape(-1)
        u = w1[None, :] - centre1[sel][:, None]  # (k, (2p+1) M)
        v = w2[None, :] - centre2[sel][:, None]
        half_s2 = (sigma[sel] ** 2 / 2)[:, None, None]
        quad = (q11[sel][:, None, None] * (u * u)[:, :, None] + 2 * q12[sel][:, None, None] * u[:, :, None]
                * v[:, None, :] + q22[sel][:, None, None] * (v * v)[:, None, :])
        values = torch.exp(-half_s2 * quad).reshape(len(idx), 2 * p + 1, M, 2 * p + 1, N).sum(dim=(1, 3))
        for i, k in enumerate(idx):
            out[k] = values[i]
    return torch.stack(out)


def morlet_fourier_2d(xi, theta, sigma, slant, shape):
    """Fourier transforms of 2D Morlet wavelets (the DFT of the periodised, sampled spatial wavelet).

    Parameters
    ----------
    xi : Tensor of shape (K,)
        Centre frequencies in radians per sample, in (0, pi].
    theta : Tensor of shape (K,)
        Orientations (radians).
    sigma : Tensor of shape (K,)
        Spatial standard deviations of the envelope (samples).
    slant : Tensor of shape (K,)
        Aspect ratio of the envelope (1 = isotropic).
    shape : (int, int)
        Grid (the padded map shape).

    Returns
    -------
    Tensor of shape (K, M, N), real, differentiable in all four parameters
        Zero at frequency (0, 0); peak value about 1 at ``xi (cos theta, sin theta)``.

    Examples
    --------
    >>> one = torch.tensor([1.0])
    >>> f = morlet_fourier_2d(torch.tensor([math.pi / 2]), torch.tensor([0.0]), 2 * one, one, (16, 16))
    >>> f.shape, abs(float(f[0, 0, 0])) < 1e-6, divmod(int(f[0].argmax()), 16)
    (torch.Size([1, 16, 16]), True, (4, 0))
    """
    k = xi.shape[0]
    both = _anisotropic_gaussian_dft(torch.cat([xi * torch.cos(theta), torch.zeros_like(xi)]),
                                     torch.cat([xi * torch.sin(theta), torch.zeros_like(xi)]),
                                     theta.repeat(2), sigma.repeat(2), slant.repeat(2), shape)
    gabor, envelope = both[:k], both[k:]
    beta = gabor[:, :1, :1] / envelope[:, :1, :1]
    return gabor - beta * envelope


def gaussian_fourier_2d(sigma, shape, dtype=torch.float64, device=None):
    """Fourier transform of the isotropic periodised Gaussian lowpass of spatial width ``sigma`` samples.

    Parameters
    ----------
    sigma : float
    shape : (int, int)
    dtype : torch.dtype, default=torch.float64
    device : torch.device or None

    Returns
    -------
    Tensor of shape (M, N), real, separable; equal to 1 at frequency (0, 0) up to the periodisation.

    Examples
    --------
    >>> phi = gaussian_fourier_2d(2.0, (16, 16))
    >>> round(float(phi[0, 0]), 6), bool((phi > 0).all())
    (1.0, True)
    """
    axes = []
    for size in shape:
        p = _copies(0.0, 1.0 / sigma)
        shifts = torch.arange(-p, p + 1, dtype=dtype, device=device)[:, None]
        w = 2 * math.pi * (torch.fft.fftfreq(size, dtype=dtype, device=device)[None, :] + shifts)
        axes.append(torch.exp(-(sigma ** 2) * w ** 2 / 2).sum(dim=0))
    return axes[0][:, None] * axes[1][None, :]


def crop_spectrum_2d(x_hat, res):
    """Keep the frequencies below the Nyquist of a grid ``2**res`` times coarser (an ideal lowpass + crop).

    Parameters
    ----------
    x_hat : Tensor of shape (..., M, N)
        DFT, with M and N multiples of ``2**(res + 1)``.
    res : int

    Returns
    -------
    Tensor of shape (..., M / 2**res, N / 2**res)
        The lowest ``M / 2**(res+1)`` non-negative and negative frequencies along each axis, in DFT order.
    """
    if res == 0:
        return x_hat
    M, N = x_hat.shape[-2:]
    hm, hn = M // 2 ** (res + 1), N // 2 ** (res + 1)
    rows = torch.cat([torch.arange(hm), torch.arange(M - hm, M)]).to(x_hat.device)
    cols = torch.cat([torch.arange(hn), torch.arange(N - hn, N)]).to(x_hat.device)
    return x_hat.index_select(-2, rows).index_select(-1, cols)
