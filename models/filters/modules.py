"""Trainable filter banks: FreeFilter, LatticeFilter and make_filter, which builds either from a wavelet."""

import functools
import math
import numbers

import numpy as np
import torch
from torch import nn

from awd_studio.models.filters.known import lowpass_filter
from awd_studio.models.filters.lattice import (
    _lattice_pullback,
    _lattice_stages,
    complete_angles,
    lattice_angles_from_filter,
    lowpass_from_angles,
)
from awd_studio.models.filters.validity import _as_numpy_filter
from awd_studio.models.options import Parametrization


def _as_filter_bank(h0, dtype):
    if isinstance(h0, torch.Tensor):
        h0 = h0.detach().cpu().numpy()
    h0 = _as_numpy_filter(h0, "h0")
    h0 = h0[None] if h0.ndim == 1 else h0
    return torch.as_tensor(h0, dtype=dtype or torch.get_default_dtype())

PARAMETRIZATIONS = tuple(p.value for p in Parametrization)
"""The filter parameterisations a job may ask for (values of :class:`models.options.Parametrization`)."""


class FreeFilter(nn.Module):
    """G unconstrained lowpass filters; the parameter is ``h`` itself.

    Parameters
    ----------
    h0 : array-like of shape (G, N) or (N,)
        Initial filters (``(N,)`` means G = 1).
    dtype : torch.dtype or None, default=None
        Parameter dtype; ``None`` takes ``torch.get_default_dtype()`` (float32).

    Attributes
    ----------
    h : nn.Parameter of shape (G, N)
    """

    def __init__(self, h0, dtype=None):
        super().__init__()
        self.h = nn.Parameter(_as_filter_bank(h0, dtype).clone())

    @property
    def n_filters(self):
        """Number of filters G."""
        return self.h.shape[0]

    @property
    def filter_len(self):
        """Filter length N."""
        return self.h.shape[1]

    def forward(self):
        """Return the filters, Tensor of shape (G, N)."""
        return self.h

    def value_and_pullback(self):
        """The filters without an autograd graph, and the map from their gradient to the parameter's.

        Returns
        -------
        h : Tensor of shape (G, N)
        pullback : callable
            The identity here: the parameter is ``h`` itself.
        """
        return self.h.detach(), lambda grad_h: grad_h


class LatticeFilter(nn.Module):
    """G exactly orthonormal lowpass filters from K - 1 free lattice angles each.

    Parameters
    ----------
    h0 : array-like of shape (G, N) or (N,)
        Initial orthonormal filters; their angles are recovered with :func:`lattice_angles_from_filter`
        (``tol`` is passed on).
    dtype : torch.dtype or None, default=None
        Parameter dtype; ``None`` takes ``torch.get_default_dtype()``.
    tol : float, default=1e-8

    Attributes
    ----------
    angles : nn.Parameter of shape (G, K - 1)
        Free angles (radians); the last angle is ``pi/4 - sum(angles)`` so that ``sum h = sqrt 2``.
    """

    def __init__(self, h0, dtype=None, tol=1e-8):
        super().__init__()
        bank = _as_filter_bank(h0, torch.float64)
        full = lattice_angles_from_filter(bank.numpy(), tol=tol, constrained=True)
        self.angles = nn.Parameter(torch.as_tensor(full[:, :-1], dtype=dtype or torch.get_default_dtype()))

    @classmethod
    def from_angles(cls, free_angles, dtype=None):
        """Build from free angles of shape (G, K - 1) (or (K - 1,) for G = 1)."""
        free = torch.as_tensor(np.asarray(free_angles, dtype=np.float64))
        free = free[None] if free.ndim == 1 else free
        if free.ndim != 2:
            raise ValueError(f"free_angles: expected shape (G, K - 1), got {tuple(free.shape)}")
        module = cls.__new__(cls)
        nn.Module.__init__(module)
        module.angles = nn.Parameter(free.to(dtype or torch.get_default_dtype()))
        return module

    @property
    def n_filters(self):
        """Number of filters G."""
        return self.angles.shape[0]

    @property
    def filter_len(self):
        """Filter length N = 2K."""
        return 2 * (self.angles.shape[1] + 1)

    def forward(self):
        """Return the filters, Tensor of shape (G, N), orthonormal to rounding and with sum sqrt 2."""
        return lowpass_from_angles(complete_angles(self.angles))

    @torch.no_grad()
    def value_and_pullback(self):
        """The filters without an autograd graph, and the map from their gradient to the angles' gradient.

        Returns
        -------
        h : Tensor of shape (G, N)
        pullback : callable
            ``pullback(grad_h)`` with grad_h of shape (G, N) returns the gradient of ``<grad_h, h>`` with
            respect to :attr:`angles`, of shape (G, K - 1).
        """
        full = complete_angles(self.angles.detach())
        stages = _lattice_stages(full)

        def pullback(grad_h):
            grad = _lattice_pullback(full, stages, grad_h)
            return grad[:, :-1] - grad[:, -1:]  # the last angle is pi/4 minus the sum of the others

        return stages[-1][0], pullback


def _fit_lattice(bank, h, steps=100):
    """Free angles (G, K - 1) of lattice filters fitted to the rows of ``bank`` (G, N) by least squares.

    Gauss-Newton on ``||lowpass_from_angles(angles) - row||^2`` over the K - 1 free angles (a step is halved
    until it lowers that L2 error), started from the peeled angles of the row and from the angles of the filter
    ``h``; the closer of the two fits is kept, so a fit is never farther from its row than ``h`` is.
    """
    K = bank.shape[-1] // 2
    starts = (lattice_angles_from_filter(bank, tol=np.inf, constrained=True)[:, :-1],
              np.tile(lattice_angles_from_filter(h, tol=np.inf, constrained=True)[:-1], (bank.shape[0], 1)))
    out = np.empty((bank.shape[0], K - 1))
    for g, row in enumerate(torch.as_tensor(bank, dtype=torch.float64)):

        def residual(a):
            return lowpass_from_angles(complete_angles(a)) - row

        best, best_err = None, np.inf
        for start in starts:
            a = torch.as_tensor(start[g], dtype=torch.float64)
            err = float(residual(a).pow(2).sum())
            for _ in range(steps if K > 1 else 0):
                r = residual(a)
                jac = torch.autograd.functional.jacobian(residual, a)  # (N, K - 1)
                step = torch.linalg.lstsq(jac, r[:, None]).solution[:, 0]
                scale = 1.0
                while scale > 1e-6 and float(residual(a - scale * step).pow(2).sum()) >= err:
                    scale /= 2
                if scale <= 1e-6:
                    break  # no descent along the Gauss-Newton direction: a local minimum
                a = a - scale * step
                err = float(residual(a).pow(2).sum())
            if err < best_err:
                best, best_err = a, err
        out[g] = best.numpy()
    return out


#: How far a named wavelet's lattice start may lie from its taps (max |difference|) before the orthogonal filter
#: refuses to start from it.
LATTICE_START_TOL = 1e-8


def check_lattice_start(wave: str) -> None:
    """Refuse a named wavelet that the orthogonal lattice cannot start from exactly.

    The lattice's angles are recovered from the taps by peeling and a few Gauss-Newton steps
    (:func:`lattice_angles_from_filter`). Of PyWavelets' 75 haar, db, sym and coif wavelets, 59 are recovered
    within :data:`LATTICE_START_TOL` and the 16 from db23 to db38 (46 to 76 taps) are not: the peeling leaves
    their angles off and the polishing steps do not bring them back (they do for db22), so db30's start lay 0.011
    from db30 and db38's 0.050 (review 30A), and a job "from db30" would start elsewhere without a word. All 75
    were checked by hand (docs/science.md, "The filters"); tests/models/test_filters.py checks a sample.

    Raises
    ------
    ValueError
        Naming the wavelet, how far its start would lie, and what to do instead.

    Examples
    --------
    >>> check_lattice_start("db5")
    """
    _named_lattice_start(wave)


@functools.lru_cache(maxsize=32)
def _named_lattice_start(wave: str) -> np.ndarray:
    """The constrained lattice angles of a named wavelet (:func:`check_lattice_start` says when they miss it),
    computed once per name: the peeling and polishing take up to 3 s for PyWavelets' longest filters, and the
    preparation and every chunk of a job start from them."""
    h = lowpass_filter(wave)
    angles = lattice_angles_from_filter(h, tol=np.inf, constrained=True)
    gap = float(np.max(np.abs(lowpass_from_angles(angles) - h)))
    if gap > LATTICE_START_TOL:
        raise ValueError(f"wave: the orthogonal filter cannot start exactly at {wave} (its {len(h)} taps are "
                         f"recovered only to {gap:.2g}); choose another wavelet (db22 or shorter, or any sym or "
                         "coif) or the free filter (parametrization free)")
    angles.flags.writeable = False  # shared by every caller of the cache
    return angles


def make_filter(parametrization, wave, n_filters, noise=0.0, seed=None, dtype=None, noise_on=None):
    """Filter module for a fit of ``n_filters`` filters started from one wavelet.

    Parameters
    ----------
    parametrization : {"free", "orthogonal"}
        :class:`FreeFilter` or :class:`LatticeFilter`.
    wave : str or array-like of shape (N,)
        Orthogonal PyWavelets name (``"db5"``) or an initial lowpass filter. For "orthogonal" an array that is
        not orthonormal is replaced by the lattice filter fitted to it (see ``noise_on="taps"``).
    n_filters : int
        Number of filters G (the grid size).
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added at the start, independently per filter.
    seed : int or None, default=None
        Seed of ``numpy.random.default_rng`` for the noise.
    dtype : torch.dtype or None, default=None
        Parameter dtype (default float32).
    noise_on : {"taps", "angles"} or None, default=None
        Where the noise goes. ``"taps"``: added to the taps of ``h`` (the paper's "db5 + 0.3 N(0, 1)"); for
        "orthogonal" the start is then a lattice filter fitted to the noisy taps by least squares (Gauss-Newton
        on the angles from two starting points, the peeled angles of the noisy taps and the angles of ``h``;
        the closer fit is kept, never farther from the noisy taps than ``h``): both
        parametrisations start from the same noisy filter, one of them made orthogonal. ``"angles"``
        ("orthogonal" only): added to the K - 1 free lattice angles (radians). ``None`` takes ``"taps"`` for
        "free" and ``"angles"`` for "orthogonal".

    Returns
    -------
    FreeFilter or LatticeFilter
    """
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(
            f"parametrization: unknown value {parametrization!r}; pass one of {', '.join(PARAMETRIZATIONS)}"
        )
    if isinstance(n_filters, bool) or not isinstance(n_filters, numbers.Integral) or n_filters < 1:
        raise ValueError(f"n_filters: expected a positive integer, got {n_filters!r}")
    if not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise: expected a finite number >= 0, got {noise!r}")
    h = lowpass_filter(wave) if isinstance(wave, str) else _as_numpy_filter(wave, "wave")
    if h.ndim != 1:
        raise ValueError(f"wave: expected a name or one filter of shape (N,), got shape {h.shape}")
    if noise_on is None:
        noise_on = "taps" if parametrization == "free" else "angles"
    if noise_on not in ("taps", "angles") or (noise_on == "angles" and parametrization == "free"):
        raise ValueError(f"noise_on: {noise_on!r}; pass 'taps' (either parametrization) or 'angles' "
                         "('orthogonal' only)")
    rng = np.random.default_rng(seed)
    if noise_on == "taps":
        bank = np.tile(h, (n_filters, 1))
        if noise:
            bank = bank + noise * rng.standard_normal(bank.shape)
        if parametrization == "free":
            return FreeFilter(bank, dtype=dtype)
        return LatticeFilter.from_angles(_fit_lattice(bank, h), dtype=dtype)
    start = (_named_lattice_start(wave) if isinstance(wave, str)  # refused when the lattice misses the named wavelet
             else lattice_angles_from_filter(h, tol=np.inf, constrained=True))
    free = np.tile(start[:-1], (n_filters, 1))
    if noise:
        free = free + noise * rng.standard_normal(free.shape)
    return LatticeFilter.from_angles(free, dtype=dtype)
