"""Scattering transforms with learnable Morlet filters, in 1D and 2D, orders 0 to 2.

For a signal ``x``, a lowpass ``phi`` and wavelets ``psi``::

    S0 x          = x * phi
    S1 x(l1)      = |x * psi_l1| * phi
    S2 x(l1, l2)  = ||x * psi_l1| * psi_l2| * phi

sampled every ``2**log2_T`` samples (1D) or ``2**J`` samples along each axis (2D). The wavelets are Morlet
filters (:mod:`.filters`) whose centre frequencies and widths (and, in 2D, orientations
and aspect ratios) are ``nn.Parameter`` s, so the transform can be trained by backpropagation. The filters
are rebuilt from their parameters at every call.

Evaluation follows the standard fast algorithm: convolutions are products in the Fourier domain of the
signal reflected to a padded length; after each modulus the signal is subsampled by the largest factor
its wavelet allows without aliasing (decided once, from the initial parameters: ``oversampling`` lowers
every factor by that many powers of two, for filters that learn higher frequencies); the output is
unpadded. With the initial (default) parameters the outputs equal Kymatio 0.3's ``Scattering1D`` to
1e-10 and ``Scattering2D`` to 1e-4 relative (``tests/models/test_scattering.py``; Kymatio builds its 2D
filters in single precision with pi rounded to 3.1415).

Paths
-----
A path is a tuple of filter indices: ``()`` for order 0, ``(n1,)`` for order 1 and ``(n1, n2)`` for order 2.
In 1D ``n1`` indexes the first-order bank and ``n2`` the second-order bank; in 2D both index the same bank
(``J * L`` wavelets, scale-major). Order-2 paths exist only where the second wavelet is coarser than the
first (its subsampling index ``j`` is larger), fixed at construction. ``paths=`` restricts the transform to
a subset (a pruned model computes only what it keeps).

The filter-bank (DWT) counterpart built on the project's orthogonal wavelets is
:mod:`.dwt_bank`; the estimator is :mod:`.estimator`, pruning :mod:`.pruning`, the panel data
:mod:`.panel`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from awd_studio.models.scattering import filters as sf
from awd_studio.models.scattering.paths import (
    PathBookkeeping,
    all_paths,
    check_input,
    check_integers,
    check_max_order,
    check_paths,
)

__all__ = ["MorletScattering1D", "MorletScattering2D"]


def _logit(p):
    return math.log(p / (1.0 - p))


class _Bounded(nn.Module):
    """Values in (0, upper) stored as unconstrained logits: ``value = upper * sigmoid(raw)``."""

    def __init__(self, values, upper, dtype, learn):
        super().__init__()
        self.upper = float(upper)
        raw = torch.tensor([_logit(v / upper) for v in values], dtype=dtype)
        if learn:
            self.raw = nn.Parameter(raw)
        else:
            self.register_buffer("raw", raw)

    def forward(self):
        return self.upper * torch.sigmoid(self.raw)


class _MorletBase(PathBookkeeping):
    """The cascade both Morlet transforms evaluate."""

    chunk = 4  # second-order paths evaluated together

    def _cascade(self, x_hat, psi1, psi2_at, k1_of, k2_of, average, fft, ifft, dims):
        """Evaluate the paths of :attr:`paths`, grouping filters that share a subsampling level.

        ``x_hat`` (B, *grid) is the DFT of the padded signal, ``psi1`` (K1, *grid) the first-order filters,
        ``psi2_at(k, idx)`` the second-order filters ``idx`` at subsampling level ``k``, ``k1_of(n1)`` and
        ``k2_of(n2, k1)`` absolute subsampling levels, ``average(u_hat, k)`` the lowpass + subsample + unpad
        of a signal at level ``k``. Returns a dict path -> Tensor (B, *out).
        """
        out = {}
        if () in self.paths:
            out[()] = average(x_hat, 0)
        first = sorted({p[0] for p in self.paths if p})
        u1_hat, where = {}, {}
        for k1 in sorted({k1_of(n) for n in first}):
            group = [n for n in first if k1_of(n) == k1]
            u = ifft(sf.fold_spectrum(x_hat[:, None] * psi1[group], 2 ** k1, dims)).abs()
            u1_hat[k1] = fft(u)
            where.update({n: (k1, i) for i, n in enumerate(group)})
            keep = [i for i, n in enumerate(group) if (n,) in self.paths]
            if keep:
                s = average(u1_hat[k1][:, keep], k1)
                out.update({(group[i],): s[:, m] for m, i in enumerate(keep)})
        pairs = [p for p in self.paths if len(p) == 2]
        levels = {p: (where[p[0]][0], k2_of(p[1], where[p[0]][0])) for p in pairs}
        for k1, k2 in sorted(set(levels.values())):
            block = [p for p in pairs if levels[p] == (k1, k2)]
            for start in range(0, len(block), self.chunk):  # a few pairs at a time stay in cache
                part = block[start:start + self.chunk]
                u = u1_hat[k1][:, [where[a][1] for a, _ in part]] * psi2_at(k1, [b for _, b in part])
                u2 = ifft(sf.fold_spectrum(u, 2 ** (k2 - k1), dims)).abs()
                s = average(fft(u2), k2)
                out.update({p: s[:, m] for m, p in enumerate(part)})
        return out


# ----------------------------------------------------------------------------------------------------------
# 1D


class MorletScattering1D(_MorletBase):
    """1D scattering transform with learnable Morlet wavelets.

    Parameters
    ----------
    length : int
        Signal length L.
    J : int
        Log2 of the largest wavelet scale (see :func:`.filters.default_bank_1d`).
    Q : int or (int, int), default=1
        Wavelets per octave at orders 1 and 2.
    T : int or None, default=None
        Averaging scale in samples (``2**J`` by default); the output has one sample per ``2**floor(log2 T)``.
    max_order : {0, 1, 2}, default=2
    learn : bool, default=True
        Make the centre frequencies and widths ``nn.Parameter`` s (otherwise buffers).
    oversampling : int, default=0
        Subsample ``2**oversampling`` times less than the initial filters allow.
    paths : iterable of tuple or None, default=None
        Subset of :attr:`paths` to compute; ``None`` keeps all.
    xi1, sigma1, xi2, sigma2 : sequence of float or None, default=None
        Initial parameters (cycles per sample) replacing the default bank's; subsampling indices and paths are
        derived from them.
    dtype : torch.dtype, default=torch.float32

    Attributes
    ----------
    paths : list of tuple
        The computed paths, in output order.
    j1, j2 : list of int
        Subsampling index of each wavelet (fixed).
    n_pad, pad_left : int
        Padded length and left padding.
    out_length : int
        Output samples per path.

    Examples
    --------
    >>> S = MorletScattering1D(256, J=6)
    >>> S(torch.randn(3, 256)).shape
    torch.Size([3, 26, 4])
    """

    def __init__(self, length, J, Q=1, T=None, max_order=2, learn=True, oversampling=0, paths=None,
                 xi1=None, sigma1=None, xi2=None, sigma2=None, dtype=torch.float32):
        super().__init__()
        check_integers((("length", length, 8), ("J", J, 1), ("oversampling", oversampling, 0)))
        check_max_order(max_order)
        bank = sf.default_bank_1d(int(J), Q, T)
        if bank["T"] > length:
            raise ValueError(f"T: the averaging scale {bank['T']} exceeds the signal length {length}; "
                             "pass a smaller J or T")
        self.length, self.J, self.Q, self.max_order = int(length), int(J), Q, int(max_order)
        self.oversampling, self.log2_T, self.T = int(oversampling), bank["log2_T"], bank["T"]
        given = {"xi1": xi1, "sigma1": sigma1, "xi2": xi2, "sigma2": sigma2}
        for key, value in given.items():
            if value is not None:
                bank[key] = [float(v) for v in np.atleast_1d(value)]
        for order in ("1", "2"):
            xi, sigma = bank["xi" + order], bank["sigma" + order]
            if len(xi) != len(sigma) or not xi:
                raise ValueError(f"xi{order}: need as many widths as frequencies, and at least one")
            if not all(0 < v < 0.5 for v in xi):
                raise ValueError(f"xi{order}: centre frequencies must lie in (0, 0.5) cycles per sample")
            if not all(0 < v < sf.SIGMA_MAX_1D for v in sigma):
                raise ValueError(f"sigma{order}: widths must lie in (0, {sf.SIGMA_MAX_1D}) cycles per sample")
            bank["j" + order] = [max(sf.max_subsampling(a, b), 0) for a, b in zip(xi, sigma)]
        self.j1, self.j2 = bank["j1"], bank["j2"]
        self.xi1_ = _Bounded(bank["xi1"], 0.5, dtype, learn)
        self.sigma1_ = _Bounded(bank["sigma1"], sf.SIGMA_MAX_1D, dtype, learn)
        self.xi2_ = _Bounded(bank["xi2"], 0.5, dtype, learn)
        self.sigma2_ = _Bounded(bank["sigma2"], sf.SIGMA_MAX_1D, dtype, learn)
        self.sigma_phi = bank["sigma_phi"]
        self.available_paths = all_paths(self.j1, self.j2, self.max_order)
        self.paths = check_paths(paths, self.available_paths)
        self.n_pad, self.pad_left, self.pad_right = sf.padding_1d(self.length, self.T)
        self.k_out = max(self.log2_T - self.oversampling, 0)
        self.out_length = self._end(self.k_out) - self._start(self.k_out)

    # parameters -------------------------------------------------------------------------------------
    def parameters_dict(self):
        """Current filter parameters, detached numpy arrays: ``xi1, sigma1, xi2, sigma2`` (cycles/sample)."""
        return {k: getattr(self, k + "_")().detach().cpu().numpy().copy() for k in ("xi1", "sigma1", "xi2", "sigma2")}

    def filters(self):
        """Fourier-domain filters on the padded grid.

        Returns
        -------
        psi1 : Tensor of shape (K1, n_pad)
        psi2 : Tensor of shape (K2, n_pad)
        phi : Tensor of shape (n_pad,)
        """
        psi1 = sf.morlet_fourier_1d(self.xi1_(), self.sigma1_(), self.n_pad)
        psi2 = sf.morlet_fourier_1d(self.xi2_(), self.sigma2_(), self.n_pad)
        phi = sf.gaussian_fourier_1d(torch.tensor(self.sigma_phi, dtype=psi1.dtype, device=psi1.device),
                                     self.n_pad)
        return psi1, psi2, phi

    # evaluation -------------------------------------------------------------------------------------
    def _start(self, k):
        return -(-self.pad_left // 2 ** k)

    def _end(self, k):
        return -(-(self.pad_left + self.length) // 2 ** k)

    def _average(self, u_hat, phi, k_in):
        """Lowpass a signal at subsampling ``k_in`` (its DFT ``u_hat``) down to the output rate, unpad."""
        k_rest = max(self.log2_T - k_in - self.oversampling, 0)
        s = torch.fft.ifft(sf.fold_spectrum(u_hat * sf.fold_spectrum(phi, 2 ** k_in), 2 ** k_rest)).real
        k = k_in + k_rest
        return s[..., self._start(k):self._end(k)]

    def forward(self, x):
        """Scattering coefficients of a batch of signals.

        Parameters
        ----------
        x : Tensor of shape (B, L)

        Returns
        -------
        Tensor of shape (B, P, out_length)
            One row per path of :attr:`paths`, in that order.
        """
        check_input(x, (self.length,), type(self).__name__)
        psi1, psi2, phi = self.filters()
        x = x.to(psi1.dtype)
        padded = F.pad(x[:, None], (self.pad_left, self.pad_right), mode="reflect")[:, 0]
        top = self.log2_T

        def k1_of(n1):
            return max(min(self.j1[n1], top) - self.oversampling, 0)

        def k2_of(n2, k1):
            return k1 + max(min(self.j2[n2], top) - k1 - self.oversampling, 0)

        out = self._cascade(torch.fft.fft(padded), psi1, lambda k, idx: sf.fold_spectrum(psi2[idx], 2 ** k),
                            k1_of, k2_of, lambda u_hat, k: self._average(u_hat, phi, k),
                            torch.fft.fft, torch.fft.ifft, (-1,))
        return torch.stack([out[p] for p in self.paths], dim=1)


# ----------------------------------------------------------------------------------------------------------
# 2D


class MorletScattering2D(_MorletBase):
    """2D scattering transform with learnable Morlet wavelets (frequency, orientation, width, aspect ratio).

    Parameters
    ----------
    shape : (int, int)
        Map shape (H, W); ``2**J`` must be smaller than both.
    J : int
        Number of scales; the output has ``H // 2**J`` x ``W // 2**J`` samples per path.
    L : int, default=8
        Orientations per scale.
    max_order : {0, 1, 2}, default=2
    learn : bool, default=True
    oversampling : int, default=0
        Subsample ``2**oversampling`` times less after each modulus.
    paths : iterable of tuple or None, default=None
    xi, theta, sigma, slant : sequence of float or None, default=None
        Initial parameters replacing the default bank's (length ``J * L`` each, scale-major): ``xi`` in
        radians per sample, ``sigma`` in samples.
    dtype : torch.dtype, default=torch.float32

    Attributes
    ----------
    paths : list of tuple
    j : list of int
        Scale (subsampling index) of each wavelet.
    padded_shape : (int, int)
    out_shape : (int, int)

    Examples
    --------
    >>> S = MorletScattering2D((32, 32), J=2, L=4)
    >>> S(torch.randn(2, 32, 32)).shape
    torch.Size([2, 25, 8, 8])
    """

    def __init__(self, shape, J, L=8, max_order=2, learn=True, oversampling=0, paths=None,
                 xi=None, theta=None, sigma=None, slant=None, dtype=torch.float32):
        super().__init__()
        try:
            shape = tuple(int(s) for s in shape)
        except TypeError:
            raise ValueError(f"shape: expected (H, W), got {shape!r}") from None
        check_integers((("J", J, 1), ("L", L, 1), ("oversampling", oversampling, 0)))
        if len(shape) != 2 or min(shape) <= 2 ** J:
            raise ValueError(f"shape: expected (H, W) with both sides larger than 2**J = {2 ** J}, got {shape}")
        check_max_order(max_order)
        bank = sf.default_bank_2d(int(J), int(L))
        for key, value in (("xi", xi), ("theta", theta), ("sigma", sigma), ("slant", slant)):
            if value is not None:
                value = [float(v) for v in np.atleast_1d(value)]
                if len(value) != J * L:
                    raise ValueError(f"{key}: expected J * L = {J * L} values, got {len(value)}")
                bank[key] = value
        if not all(0 < v < math.pi for v in bank["xi"]):
            raise ValueError("xi: centre frequencies must lie in (0, pi) radians per sample")
        if not all(v > 0 for v in bank["sigma"]) or not all(v > 0 for v in bank["slant"]):
            raise ValueError("sigma: widths and slants must be positive")
        self.shape, self.J, self.L, self.max_order = shape, int(J), int(L), int(max_order)
        self.oversampling = int(oversampling)
        self.j = bank["j"]
        self.xi_ = _Bounded(bank["xi"], math.pi, dtype, learn)
        theta_t = torch.tensor(bank["theta"], dtype=dtype)
        log_sigma = torch.log(torch.tensor(bank["sigma"], dtype=dtype))
        log_slant = torch.log(torch.tensor(bank["slant"], dtype=dtype))
        if learn:
            self.theta_, self.log_sigma_, self.log_slant_ = (nn.Parameter(t) for t in (theta_t, log_sigma, log_slant))
        else:
            self.register_buffer("theta_", theta_t)
            self.register_buffer("log_sigma_", log_sigma)
            self.register_buffer("log_slant_", log_slant)
        self.sigma_phi = bank["sigma_phi"]
        self.available_paths = all_paths(self.j, self.j, self.max_order)
        self.paths = check_paths(paths, self.available_paths)
        self.padded_shape, self.pads = sf.padding_2d(shape, self.J)
        self.out_shape = (shape[0] // 2 ** self.J, shape[1] // 2 ** self.J)

    def parameters_dict(self):
        """Current parameters as numpy arrays: ``xi`` (radians/sample), ``theta``, ``sigma``, ``slant``."""
        with torch.no_grad():
            return {"xi": self.xi_().cpu().numpy().copy(), "theta": self.theta_.cpu().numpy().copy(),
                    "sigma": self.log_sigma_.exp().cpu().numpy().copy(),
                    "slant": self.log_slant_.exp().cpu().numpy().copy()}

    def filters(self):
        """Fourier-domain filters on the padded grid: ``psi`` (K, M, N) and ``phi`` (M, N)."""
        psi = sf.morlet_fourier_2d(self.xi_(), self.theta_, self.log_sigma_.exp(), self.log_slant_.exp(),
                                   self.padded_shape)
        phi = sf.gaussian_fourier_2d(self.sigma_phi, self.padded_shape, dtype=psi.dtype, device=psi.device)
        return psi, phi

    def _average(self, u_hat, phi, k):
        s = torch.fft.ifft2(sf.fold_spectrum(u_hat * sf.crop_spectrum_2d(phi, k), 2 ** (self.J - k),
                                             dims=(-2, -1))).real
        return s[..., 1:-1, 1:-1]

    def forward(self, x):
        """Scattering coefficients of a batch of maps.

        Parameters
        ----------
        x : Tensor of shape (B, H, W)

        Returns
        -------
        Tensor of shape (B, P, H // 2**J, W // 2**J)
        """
        check_input(x, self.shape, type(self).__name__)
        psi, phi = self.filters()
        x = x.to(psi.dtype)
        top, bottom, left, right = self.pads
        padded = F.pad(x[:, None], (left, right, top, bottom), mode="reflect")[:, 0]

        def k1_of(n1):
            return max(self.j[n1] - self.oversampling, 0)

        def k2_of(n2, k1):
            return max(self.j[n2] - self.oversampling, k1)

        out = self._cascade(torch.fft.fft2(padded), psi, lambda k, idx: sf.crop_spectrum_2d(psi[idx], k),
                            k1_of, k2_of, lambda u_hat, k: self._average(u_hat, phi, k),
                            torch.fft.fft2, torch.fft.ifft2, (-2, -1))
        return torch.stack([out[p] for p in self.paths], dim=1)
