"""Filter-bank scattering on the project's orthogonal wavelets: cascades of the DWT with a modulus.

Construction
------------
Let ``h`` be an orthonormal lowpass filter (``rec_lo``; the AWD wavelet once distilled) and ``g`` its
highpass (:mod:`models.wavelets`). One DWT level maps a signal ``u`` to ``(A u, D u)``: correlation with ``h``
and with ``g``, keeping every other sample. Write ``A^m`` for m levels of lowpass and ``D_m`` for the detail
after m levels (``D_m = D A^{m-1}``), so ``wavedec(x, J) = [A^J x, D_J x, ..., D_1 x]``. With J levels::

    S0 x           = A^J x
    S1 x(j1)       = A^(J - j1) |D_j1 x|                      1 <= j1 <= J
    S2 x(j1, j2)   = A^(J - j2) |D_(j2 - j1) |D_j1 x||        j1 < j2 <= J

``|D_j1 x|`` lives on the grid of level j1 (one sample per ``2**j1``); the second wavelet transform continues
from that level, so ``j2`` is an absolute level as well; every output lives on the level-J grid (one sample
per ``2**J`` input samples). In 2D, ``D`` has three orientations (PyWavelets' ``cH, cV, cD``), so filter ``n``
is the pair (level ``n // 3 + 1``, orientation ``n % 3``).

What ``phi`` and the invariance mean here
    By the Noble identity (keeping every other sample and then filtering with ``h`` equals filtering with
    ``h`` dilated by 2 and then keeping every other sample), ``A^m`` on a level-j signal equals one
    correlation at full resolution with the discrete scaling filter ``phi_m = h * h_2 * ... * h_{2^(m-1)}``
    dilated by ``2**j`` (``h_k`` is ``h`` with ``k - 1`` zeros between taps), sampled every ``2**(j+m)``
    from a fixed circular offset. So ``A^(J - j)`` is the averaging ``* phi`` of the definition with the
    discrete scaling function at scale ``2**J`` (restricted to what the path's level still resolves), and
    ``D_m`` is ``* psi`` with the discrete wavelet at scale ``2**(j+m)``.
    The transform is critically sampled, hence exactly *equivariant* to circular shifts by multiples of
    ``2**J`` (the output rolls by whole samples) and invariant to them after averaging the output over
    positions (``pooling="mean"`` in the estimator); other shifts alias, as in any decimated transform.
    Paths ending at ``j = J`` are not averaged further (their last modulus is already at scale ``2**J``).
Why orthogonality matters
    With an orthonormal ``h`` in ``"periodization"`` mode on lengths divisible by ``2**J``, each level is an
    orthogonal map and the modulus preserves norms, so ``||x||^2 = ||S0||^2 + sum ||S1||^2 + sum ||S2||^2
    + (energy left in orders >= 3)``: the transform is non-expansive (``||Sx - Sy|| <= ||x - y||``), and for
    ``J = max_order = 2`` (the whole tree) it preserves the energy exactly. ``parametrization="orthogonal"``
    keeps ``h`` exactly orthonormal while it is learned (:class:`models.filters.LatticeFilter`).
"""

from __future__ import annotations

import numpy as np
import torch

from awd_studio.models import filters as flt
from awd_studio.models import wavelets as wv
from awd_studio.models.scattering.paths import PathBookkeeping, all_paths, check_input, check_max_order, check_paths

__all__ = ["DWTScattering1D", "DWTScattering2D", "ORIENTATIONS"]

#: The three 2D detail orientations, in PyWavelets' order.
ORIENTATIONS = ("H", "V", "D")


def _filter_module(h0, parametrization, dtype, learn):
    if isinstance(h0, str):
        h0 = flt.lowpass_filter(h0)
    h0 = np.asarray(h0.detach().cpu() if isinstance(h0, torch.Tensor) else h0, dtype=np.float64)
    if h0.ndim != 1 or h0.shape[0] < 2 or h0.shape[0] % 2 or not np.all(np.isfinite(h0)):
        raise ValueError(f"h0: expected a finite lowpass filter of even length, shape (N,), got {h0.shape}")
    if parametrization == "orthogonal":
        module = flt.LatticeFilter(h0, dtype=dtype, tol=np.inf)  # the nearest lattice (orthogonal) filter
    elif parametrization == "free":
        module = flt.FreeFilter(h0, dtype=dtype)
    else:
        raise ValueError(f"parametrization: use 'orthogonal' or 'free', got {parametrization!r}")
    if not learn:
        for p in module.parameters():
            p.requires_grad_(False)
    return module


class _DWTBase(PathBookkeeping):
    """Filter and cascade of both DWT banks; a subclass gives ``_decompose(u, h, levels)`` (PyWavelets'
    coefficient list), ``_band(coeffs, n)`` (filter ``n``'s detail in such a list) and ``levels`` (the level
    of each filter)."""

    def _init_bank(self, J, h0, max_order, mode, parametrization, dtype, learn, paths, levels):
        if mode != "periodization":
            raise ValueError(f"mode: the DWT scattering needs 'periodization' (all paths on one grid), got {mode!r}")
        self.J, self.max_order, self.mode = int(J), check_max_order(max_order), mode
        self.filter = _filter_module(h0, parametrization, dtype, learn)
        self.parametrization = parametrization
        self.levels = levels
        self.available_paths = all_paths(self.levels, self.levels, self.max_order)
        self.paths = check_paths(paths, self.available_paths)

    def lowpass(self):
        """The current lowpass filter ``h``, Tensor of shape (N,)."""
        return self.filter()[0]

    def parameters_dict(self):
        """Current filter as numpy: ``h`` (N,) and its highpass ``g`` (N,)."""
        with torch.no_grad():
            h = self.lowpass().cpu().numpy().copy()
        return {"h": h, "g": flt.highpass_from_lowpass(h)}

    def _cascade(self, x):
        h = self.lowpass()
        x = x.to(h.dtype)
        J = self.J
        coeffs = self._decompose(x, h, J)  # [A^J x, D_J x, ..., D_1 x] (2D: details as (H, V, D) tuples)
        out = {(): coeffs[0]}
        for n1 in sorted({p[0] for p in self.paths if p}):
            j1 = self.levels[n1]
            u1 = self._band(coeffs, J, n1).abs()
            if j1 == J:
                out[(n1,)] = u1
                continue
            c = self._decompose(u1, h, J - j1)  # [A^(J-j1) u1, D_(J-j1) u1, ..., D_1 u1]
            out[(n1,)] = c[0]
            for n2 in (p[1] for p in self.paths if len(p) == 2 and p[0] == n1):
                u2 = self._band(c, J, n2).abs()
                m = J - self.levels[n2]
                out[(n1, n2)] = u2 if m == 0 else self._decompose(u2, h, m)[0]
        return torch.stack([out[p] for p in self.paths], dim=1)


class DWTScattering1D(_DWTBase):
    """1D filter-bank scattering on a (learnable) orthogonal wavelet; see the module docstring.

    Parameters
    ----------
    length : int
        Signal length L.
    J : int
        Number of DWT levels; the output has ``ceil(L / 2**J)`` samples per path.
    h0 : str or array-like of shape (N,), default="db5"
        Initial lowpass filter (``rec_lo``) or a PyWavelets name; e.g. the AWD wavelet.
    max_order : {0, 1, 2}, default=2
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
        Only ``"periodization"`` keeps every path on the same grid; other modes are refused.
    parametrization : {"orthogonal", "free"}, default="orthogonal"
        ``"orthogonal"`` learns lattice angles (the lattice's fit to ``h0``, an exactly orthonormal filter
        next to it, is the start: a free AWD fit is projected);
        ``"free"`` learns the taps.
    learn : bool, default=True
    paths : iterable of tuple or None, default=None
        Subset of :attr:`paths`; filter ``n`` is level ``n + 1``.
    dtype : torch.dtype, default=torch.float32

    Attributes
    ----------
    paths : list of tuple
    filter : nn.Module
        ``filter()`` -> Tensor (1, N).
    out_length : int

    Examples
    --------
    >>> S = DWTScattering1D(64, J=3, h0="db2")
    >>> S.paths
    [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]
    >>> S(torch.randn(5, 64)).shape
    torch.Size([5, 7, 8])
    """

    def __init__(self, length, J, h0="db5", max_order=2, mode="periodization", parametrization="orthogonal",
                 learn=True, paths=None, dtype=torch.float32):
        super().__init__()
        if isinstance(J, bool) or not isinstance(J, (int, np.integer)) or not 1 <= J <= int(np.log2(length)):
            raise ValueError(f"J: must be an integer between 1 and log2(length) = {int(np.log2(length))}, got {J!r}")
        self.length = int(length)
        self._init_bank(J, h0, max_order, mode, parametrization, dtype, learn, paths, list(range(1, J + 1)))
        self.out_length = wv.coeff_lengths(self.length, 2, self.J)[0]

    @staticmethod
    def _decompose(u, h, levels):
        return wv.wavedec1d(u, h, levels)

    def _band(self, coeffs, J, n):
        return coeffs[J - self.levels[n] + 1]

    def forward(self, x):
        """Scattering coefficients of a batch of signals.

        Parameters
        ----------
        x : Tensor of shape (B, L)

        Returns
        -------
        Tensor of shape (B, P, out_length)
        """
        check_input(x, (self.length,), type(self).__name__)
        return self._cascade(x)


class DWTScattering2D(_DWTBase):
    """2D filter-bank scattering on a (learnable) orthogonal wavelet, three orientations per level.

    Parameters
    ----------
    shape : (int, int)
        Map shape (H, W).
    J : int
        Number of 2D DWT levels; the output has ``ceil(H / 2**J) x ceil(W / 2**J)`` samples per path.
    h0, max_order, mode, parametrization, learn, dtype
        As :class:`DWTScattering1D`.
    paths : iterable of tuple or None, default=None
        Filter ``n`` is level ``n // 3 + 1``, orientation ``ORIENTATIONS[n % 3]``.

    Examples
    --------
    >>> S = DWTScattering2D((32, 32), J=2, h0="haar")
    >>> S(torch.randn(2, 32, 32)).shape
    torch.Size([2, 16, 8, 8])
    """

    def __init__(self, shape, J, h0="db5", max_order=2, mode="periodization", parametrization="orthogonal",
                 learn=True, paths=None, dtype=torch.float32):
        super().__init__()
        try:
            shape = tuple(int(s) for s in shape)
        except TypeError:
            raise ValueError(f"shape: expected (H, W), got {shape!r}") from None
        if len(shape) != 2:
            raise ValueError(f"shape: expected (H, W), got {shape}")
        top = int(np.log2(min(shape)))
        if isinstance(J, bool) or not isinstance(J, (int, np.integer)) or not 1 <= J <= top:
            raise ValueError(f"J: must be an integer between 1 and log2(min(H, W)) = {top}, got {J!r}")
        self.shape = shape
        self._init_bank(J, h0, max_order, mode, parametrization, dtype, learn, paths,
                        [n // 3 + 1 for n in range(3 * J)])
        self.out_shape = tuple(wv.coeff_lengths(s, 2, self.J)[0] for s in shape)

    @staticmethod
    def _decompose(u, h, levels):
        return wv.wavedec2d(u, h, levels)

    def _band(self, coeffs, J, n):
        return coeffs[J - self.levels[n] + 1][n % 3]

    def forward(self, x):
        """Scattering coefficients of a batch of maps.

        Parameters
        ----------
        x : Tensor of shape (B, H, W)

        Returns
        -------
        Tensor of shape (B, P, ceil(H / 2**J), ceil(W / 2**J))
        """
        check_input(x, self.shape, type(self).__name__)
        return self._cascade(x)
