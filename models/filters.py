"""Wavelet filters: where they come from, how they are parameterised, how good they are, how they look.

Conventions are those of :mod:`models.wavelets`: ``h`` is PyWavelets' lowpass reconstruction filter
``rec_lo`` of even length ``N = 2K``, the highpass is ``g[n] = (-1)**n * h[N - 1 - n]`` (PyWavelets'
``rec_hi``), and filters are batched on the first axis, ``(G, N)``.

Parameterisations
-----------------
:class:`FreeFilter`
    ``h`` itself is the parameter; validity is only encouraged by the penalties of the loss.
:class:`LatticeFilter`
    Exactly orthonormal by construction (paraunitary lattice). With angles ``theta_1..theta_K``::

        h_1 = [cos theta_1, sin theta_1]        G_1 = [-sin theta_1, cos theta_1]
        h_k = cos theta_k [h_{k-1}, 0, 0] + sin theta_k [0, 0, G_{k-1}]
        G_k = -sin theta_k [h_{k-1}, 0, 0] + cos theta_k [0, 0, G_{k-1}]

    i.e. the polyphase matrix is a product of K rotations separated by K - 1 delays. Every orthonormal
    ``h`` of length 2K with ``h[0]`` or ``h[N-1]`` nonzero is reached, with exactly this index convention
    (``h`` is ``rec_lo`` itself, not a reversed or shifted copy); the companion ``G_K`` equals ``-g``.
    Evaluating at z = 1 rotates the vector (sum h, sum G) by ``-theta_k`` per stage, so
    ``sum h = sqrt(2) cos(sum_k theta_k - pi/4)``: the module stores K - 1 free angles and sets
    ``theta_K = pi/4 - sum_{k<K} theta_k``, which makes ``sum h = sqrt(2)`` exactly (one vanishing
    moment: ``sum g = 0``), so every point of the parameter space is a valid orthogonal wavelet.
"""

import difflib
import math
import numbers
from functools import lru_cache

import numpy as np
import pywt
import torch
from torch import nn

from awd_studio.models import wavelets
from awd_studio.models.options import Parametrization

__all__ = [
    "lowpass_filter",
    "orthogonal_wavelet_names",
    "highpass_from_lowpass",
    "orthonormality_error",
    "reconstruction_error",
    "validity_report",
    "lowpass_from_angles",
    "lattice_angles_from_filter",
    "complete_angles",
    "FreeFilter",
    "LatticeFilter",
    "make_filter",
    "scaling_and_wavelet",
    "wavelet_distance",
    "relative_wavelet_distance",
    "filter_distance",
    "to_pywt",
    "subfilters_3x3",
]

PARAMETRIZATIONS = tuple(p.value for p in Parametrization)


# ----------------------------------------------------------------------------------------------------------
# known wavelets


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
    """
    if not isinstance(wave, str):
        raise ValueError(f"wave: expected a wavelet name such as 'db5', got {type(wave).__name__}")
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


# ----------------------------------------------------------------------------------------------------------
# validity metrics (numpy, for reports)


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
        0 for an exactly orthonormal filter (PyWavelets' db/sym/coif: below 1e-13).
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


# ----------------------------------------------------------------------------------------------------------
# lattice parameterisation


def lowpass_from_angles(angles):
    """Lowpass filter of the paraunitary lattice with the given rotation angles.

    Parameters
    ----------
    angles : Tensor or array-like of shape (..., K)
        All K angles (radians), stage 1 first. Use :func:`complete_angles` to add the last angle to
        K - 1 free ones.

    Returns
    -------
    Tensor or ndarray of shape (..., 2K)
        Orthonormal ``h`` (``sum_n h[n] h[n - 2k] = delta_k`` up to rounding); a tensor (differentiable,
        same dtype and device) for tensor input, a float64 array otherwise. ``sum h = sqrt 2`` exactly
        when ``sum(angles) = pi/4 (mod 2 pi)``.
    """
    is_tensor = isinstance(angles, torch.Tensor)
    t = angles if is_tensor else torch.as_tensor(np.asarray(angles, dtype=np.float64))
    if t.ndim < 1 or t.shape[-1] < 1:
        raise ValueError(f"angles: expected shape (..., K) with K >= 1, got {tuple(t.shape)}")
    h = _lattice_stages(t)[-1][0]
    return h if is_tensor else h.numpy()


def _lattice_stages(angles):
    """The lowpass and its companion after every lattice stage, ``[(h_1, G_1), ..., (h_K, G_K)]``.

    Each is held at the final length 2K (zeros past its support), so that a stage is
    ``h' = c h + s v`` and ``G' = c v - s h`` with ``v`` the companion delayed by two taps (a roll, exact because
    the last two entries of the companion are still zero) and ``(c, s)`` the cosine and sine of its angle.
    """
    c, s = torch.cos(angles), torch.sin(angles)
    n = 2 * angles.shape[-1]
    first = torch.stack((c[..., 0], s[..., 0], -s[..., 0], c[..., 0]), dim=-1).reshape(*angles.shape[:-1], 2, 2)
    state = torch.nn.functional.pad(first, (0, n - 2))  # (..., 2, n): lowpass and companion
    stages = [(state[..., 0, :], state[..., 1, :])]
    for k in range(1, angles.shape[-1]):
        h, G = stages[-1]
        ck, sk = c[..., k : k + 1], s[..., k : k + 1]
        v = torch.roll(G, 2, dims=-1)
        stages.append((ck * h + sk * v, ck * v - sk * h))
    return stages


def _lattice_pullback(angles, stages, grad_h):
    """Gradient with respect to all K angles of ``<grad_h, h_K>``, from the stages of :func:`_lattice_stages`.

    The derivative of a stage with respect to its own angle is ``(G', -h')``, so the angle's gradient is
    ``<a, G'> - <b, h'>`` with ``(a, b)`` the gradient arriving at ``(h', G')``; then ``(a, b)`` goes back
    through the rotation and the delay. Written out for the trainer's hot path (no autograd graph).
    """
    c, s = torch.cos(angles), torch.sin(angles)
    a, b = grad_h, torch.zeros_like(grad_h)
    grads = []
    for k in range(angles.shape[-1] - 1, -1, -1):
        h, G = stages[k]
        grads.append((a * G).sum(-1) - (b * h).sum(-1))
        if k:
            ck, sk = c[..., k : k + 1], s[..., k : k + 1]
            a, b = ck * a - sk * b, torch.roll(sk * a + ck * b, -2, dims=-1)
    return torch.stack(grads[::-1], dim=-1)


def complete_angles(free):
    """Append the last angle ``pi/4 - sum(free)`` so that ``sum h = sqrt 2`` exactly.

    Parameters
    ----------
    free : Tensor or array-like of shape (..., K - 1)

    Returns
    -------
    Tensor or ndarray of shape (..., K)
    """
    if isinstance(free, torch.Tensor):
        last = math.pi / 4 - free.sum(dim=-1, keepdim=True)
        return torch.cat((free, last), dim=-1)
    free = np.asarray(free, dtype=np.float64)
    return np.concatenate((free, math.pi / 4 - free.sum(axis=-1, keepdims=True)), axis=-1)


def lattice_angles_from_filter(h, tol=1e-8, constrained=False):
    """Rotation angles of the lattice that reproduces an orthonormal lowpass filter.

    The stages are peeled off one by one: the rotation that zeroes the last two taps of the lowpass (and the
    first two of its companion) is undone, which shortens both by two; Gauss-Newton steps then polish the
    angles (the peeling alone loses digits for long filters with tiny end taps, such as db20).

    Parameters
    ----------
    h : array-like of shape (N,) or (G, N)
        Orthonormal lowpass filter(s) (``rec_lo``), N = 2K even.
    tol : float, default=1e-8
        Largest accepted ``max |lowpass_from_angles(angles) - h|``; pass ``np.inf`` to get the angles of a
        nearby lattice filter for an only approximately orthonormal ``h`` (e.g. a free fit or ``dmey``).
    constrained : bool, default=False
        Return angles with ``sum = pi/4`` exactly (the last one derived from the others, as in
        :class:`LatticeFilter`), which forces ``sum h = sqrt 2``; otherwise the K angles are free.

    Returns
    -------
    ndarray of shape (K,) or (G, K), float64
        All K angles; ``lowpass_from_angles`` of them equals ``h`` to rounding (~1e-15 for PyWavelets' db
        and coif filters, ~1e-13 for sym, whose tabulated taps are orthonormal to ~1e-13 only): the peeled
        angles are polished by a few Gauss-Newton steps. ``angles[..., :-1]`` are the free angles of
        :class:`LatticeFilter`.

    Raises
    ------
    ValueError
        If ``h`` is not reproduced within ``tol`` (not orthonormal, or an odd shift of an orthonormal filter).
    """
    h = _as_numpy_filter(h)
    K = h.shape[-1] // 2
    cur = h.copy()
    comp = -highpass_from_lowpass(cur)  # the lattice's companion filter G_K equals -g
    angles = []
    for _ in range(K - 1):
        # undoing stage k maps (h, G) to (c h - s G, s h + c G); pick the rotation that best zeroes the last
        # two taps of the first and the first two of the second (least squares: stabler than one tap)
        u = np.stack((cur[..., -1], cur[..., -2], comp[..., 0], comp[..., 1]), axis=-1)
        v = np.stack((-comp[..., -1], -comp[..., -2], cur[..., 0], cur[..., 1]), axis=-1)
        uv = np.sum(u * v, axis=-1)
        gram = np.stack((np.stack((np.sum(u * u, -1), uv), -1), np.stack((uv, np.sum(v * v, -1)), -1)), -2)
        vec = np.linalg.eigh(gram)[1][..., :, 0]  # unit (cos, sin) of the smallest eigenvalue
        c, s = vec[..., 0:1], vec[..., 1:2]
        cur, comp = (c * cur - s * comp)[..., :-2], (s * cur + c * comp)[..., 2:]
        angles.append(np.arctan2(s[..., 0], c[..., 0]))
    angles.append(np.arctan2(cur[..., 1], cur[..., 0]))
    angles = np.stack(angles[::-1], axis=-1)
    if constrained:
        angles = complete_angles(angles[..., :-1])
    angles = _polish_angles(angles, h, constrained)
    error = np.abs(lowpass_from_angles(angles) - h).max()
    if not error <= tol:
        ortho = float(np.max(orthonormality_error(h)))
        total = h.sum(axis=-1)
        if ortho > 1e-8:
            why = f"it is not orthonormal (orthonormality error {ortho:.2e}); pass an orthogonal wavelet"
        elif constrained and np.max(np.abs(total - math.sqrt(2))) > 1e-8:
            why = (f"it sums to {np.ravel(total)[np.argmax(np.abs(total - math.sqrt(2)))]:.6g}, not sqrt 2 as the "
                   "constrained lattice requires; pass -h or constrained=False")
        else:
            why = f"the peeling is ill-conditioned for this long filter (N = {h.shape[-1]}); pick a shorter one"
        raise ValueError(
            f"h: the lattice reproduces this filter only to {error:.2e} (> tol = {tol:g}): {why}, or pass "
            "tol=np.inf for the angles of a nearby orthogonal filter"
        )
    return angles


def _polish_angles(angles, h, constrained, steps=12):
    """Gauss-Newton steps on ``‖lowpass_from_angles(angles) - h‖²`` (the peeling loses digits for long h)."""
    flat_a = np.array(angles, dtype=np.float64).reshape(-1, angles.shape[-1])
    flat_h = h.reshape(-1, h.shape[-1])
    if constrained:
        flat_a = flat_a[:, :-1]
    if flat_a.shape[-1] == 0:
        return angles

    def f(a):
        return lowpass_from_angles(complete_angles(a) if constrained else a)

    for i in range(flat_a.shape[0]):
        a = torch.as_tensor(flat_a[i])
        target = torch.as_tensor(flat_h[i])
        best, best_err = a, (f(a) - target).abs().max()
        for _ in range(steps):
            if best_err < 1e-15:
                break
            jac = torch.autograd.functional.jacobian(f, a)  # (N, K)
            step = torch.linalg.lstsq(jac, (f(a) - target)[:, None]).solution[:, 0]
            a = a - step
            err = (f(a) - target).abs().max()
            if err < best_err:
                best, best_err = a, err
        flat_a[i] = best.numpy()
    if constrained:
        flat_a = complete_angles(flat_a)
    return flat_a.reshape(angles.shape)


# ----------------------------------------------------------------------------------------------------------
# modules


def _as_filter_bank(h0, dtype):
    if isinstance(h0, torch.Tensor):
        h0 = h0.detach().cpu().numpy()
    h0 = _as_numpy_filter(h0, "h0")
    h0 = h0[None] if h0.ndim == 1 else h0
    return torch.as_tensor(h0, dtype=dtype or torch.get_default_dtype())


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
    free = np.tile(lattice_angles_from_filter(h, tol=np.inf, constrained=True)[:-1], (n_filters, 1))
    if noise:
        free = free + noise * rng.standard_normal(free.shape)
    return LatticeFilter.from_angles(free, dtype=dtype)


# ----------------------------------------------------------------------------------------------------------
# looking at a filter


def to_pywt(h, name="awd"):
    """PyWavelets wavelet with lowpass ``h`` (usable with ``pywt.wavedec``, ``wavefun``...).

    Parameters
    ----------
    h : array-like or Tensor of shape (N,)
        Lowpass reconstruction filter; need not be exactly orthonormal.
    name : str, default="awd"

    Returns
    -------
    pywt.Wavelet
        ``rec_lo = h``, ``rec_hi = g``, ``dec_lo``/``dec_hi`` their reversals, flagged orthogonal.
    """
    h = _as_numpy_filter(h)
    if h.ndim != 1:
        raise ValueError(f"h: expected one filter of shape (N,), got shape {h.shape}")
    g = highpass_from_lowpass(h)
    wavelet = pywt.Wavelet(name, filter_bank=(h[::-1].tolist(), g[::-1].tolist(), h.tolist(), g.tolist()))
    wavelet.orthogonal = True
    wavelet.biorthogonal = True
    return wavelet


def scaling_and_wavelet(h, level=10):
    """Scaling function phi and wavelet psi of ``h`` by the cascade algorithm.

    Parameters
    ----------
    h : array-like or Tensor of shape (N,)
        Lowpass filter; a slightly non-orthogonal learned filter is fine (its cascade is computed the same way).
    level : int, default=10
        Cascade iterations: ``2**level`` samples per unit of time.

    Returns
    -------
    x : ndarray of shape (n,)
        Time grid on [0, N - 1].
    phi, psi : ndarray of shape (n,)
    """
    level = wavelets._check_int(level, "level", 1)
    phi, psi, x = to_pywt(h).wavefun(level=level)
    return np.asarray(x), np.asarray(phi), np.asarray(psi)


def _wavelet_candidates(b, n):
    """``b`` zero-padded at the end to length n, and its time reversal: the two vectors whose circular shifts
    and negations :func:`wavelet_distance` compares with."""
    b = np.pad(b, (0, n - b.size))
    return b, b[::-1].copy()


def wavelet_distance(psi_a, psi_b):
    """Distance between two sampled wavelets, blind to where they sit, which way they face and their sign.

    ``min ||a - s * roll(b', k)||`` over every circular shift k, the two time directions ``b' in {b, reverse(b)}``
    and the signs ``s = +-1``, after zero-padding the shorter of the two at its end to the length of the longer.
    This is the distance of paper section 4.1 (shifts and the left/right flip) with the sign added (a learned
    wavelet and its negative are the same up to the sign of ``g``). It is symmetric, because every such
    transformation is an isometry of the padded vectors.

    Parameters
    ----------
    psi_a, psi_b : array-like of shape (n_a,), (n_b,)
        Wavelets sampled on the same grid spacing (e.g. :func:`scaling_and_wavelet` at the same level).

    Returns
    -------
    float
        0 for a wavelet and any shift, reversal or negation of itself; in the units of the samples (see
        :func:`relative_wavelet_distance` for the figure reported against a ground truth).

    Examples
    --------
    >>> wavelet_distance([1.0, 1.0], [1.0, -1.0])  # every candidate differs from (1, 1) by 2 in one sample
    2.0
    >>> wavelet_distance([1.0, 2.0, 3.0], [1.0, 0.0])  # (1, 0, 0) shifted to the last place: |(1, 2, 2)| = 3
    3.0
    """
    a = np.asarray(psi_a, dtype=np.float64).ravel()
    b = np.asarray(psi_b, dtype=np.float64).ravel()
    for name, arr in (("psi_a", a), ("psi_b", b)):
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected a non-empty finite 1D array")
    n = max(a.size, b.size)
    a = np.pad(a, (0, n - a.size))
    best = np.inf
    fa = np.fft.rfft(a)
    for cand in _wavelet_candidates(b, n):
        # ||a - s roll(cand, k)||^2 = |a|^2 + |cand|^2 - 2 s <a, roll(cand, k)>, smallest where |corr[k]| is
        # largest; the distance itself is then computed directly at the best few shifts (no cancellation).
        corr = np.fft.irfft(fa * np.conj(np.fft.rfft(cand)), n)  # corr[k] = <a, roll(cand, k)>
        for k in np.argsort(-np.abs(corr))[:3]:
            rolled = np.roll(cand, k)
            best = min(best, np.linalg.norm(a - rolled), np.linalg.norm(a + rolled))
    return float(best)


def relative_wavelet_distance(psi, psi_true):
    """:func:`wavelet_distance` divided by the norm of the reference wavelet, ``d(psi, psi*) / ||psi*||``.

    The figure the synthetic experiment reports: 0 for the truth (up to shift, flip and sign), and independent
    of the cascade depth used to sample both wavelets (up to the sampling error of the cascade).

    Parameters
    ----------
    psi : array-like of shape (n,)
        A wavelet, sampled as ``psi_true`` is.
    psi_true : array-like of shape (m,)
        The reference (ground-truth) wavelet; must not be all zeros.

    Returns
    -------
    float

    Examples
    --------
    >>> round(relative_wavelet_distance([1.0, -1.0], [1.0, 1.0]), 12)  # 2 / sqrt(2)
    1.414213562373
    """
    ref = np.asarray(psi_true, dtype=np.float64).ravel()
    norm = float(np.linalg.norm(ref)) if ref.size and np.all(np.isfinite(ref)) else 0.0
    if not norm > 0:
        raise ValueError("psi_true: expected a finite, non-zero wavelet to measure distances against")
    return wavelet_distance(psi, ref) / norm


def filter_distance(h, h_true, level=7):
    """Relative distance between the wavelets of two lowpass filters (paper section 4.1).

    Both wavelets are computed by the cascade algorithm (:func:`scaling_and_wavelet`) at the same depth, then
    compared with :func:`relative_wavelet_distance`.

    Parameters
    ----------
    h, h_true : array-like of shape (N,), (N*,)
        Lowpass filters; the lengths may differ (e.g. coif2 against db5).
    level : int, default=7
        Cascade depth: ``2**level`` samples per filter tap.

    Returns
    -------
    float
        ``d(psi_h, psi*) / ||psi*||``.
    """
    psi = scaling_and_wavelet(h, level=level)[2]
    psi_true = scaling_and_wavelet(h_true, level=level)[2]
    return relative_wavelet_distance(psi, psi_true)


def subfilters_3x3(h):
    """The four 3 x 3 kernels of the map student (SCIENCE.md, "Map student", step 2).

    From ``h`` and ``g`` take the 3-tap window with the largest energy of the mean-centred filter,
    ``sum (h - mean h)**2`` over the window (first such window on ties), giving ``h3`` and ``g3``; then
    ``LL = h3 h3^T``, ``LH = g3 h3^T``, ``HL = h3 g3^T``, ``HH = g3 g3^T`` with LH, HL, HH mean-centred.

    The kernels are in general not symmetric: for db5, ``h3`` is not a palindrome and a flipped kernel is
    neither the kernel nor its negative. Correlating a map with a kernel (what :mod:`models.predictors` does)
    and convolving it (correlating with the flipped kernel) therefore give different responses; whoever applies
    the kernels must say which, and apply the baselines the same way.

    Parameters
    ----------
    h : array-like or Tensor of shape (N,) or (G, N)

    Returns
    -------
    dict
        ``{"LL", "LH", "HL", "HH"}`` -> ndarray of shape (3, 3) (or (G, 3, 3) for batched ``h``).
    """
    h = _as_numpy_filter(h)
    if h.shape[-1] < 3:
        raise ValueError(f"h: needs at least 3 taps for 3 x 3 kernels, got N = {h.shape[-1]}")
    g = highpass_from_lowpass(h)

    def window(f):
        centred = f - f.mean(axis=-1, keepdims=True)
        energy = np.lib.stride_tricks.sliding_window_view(centred**2, 3, axis=-1).sum(-1)
        start = np.argmax(energy, axis=-1)
        return np.take_along_axis(f, start[..., None] + np.arange(3), axis=-1)

    h3, g3 = window(h), window(g)

    def outer(u, v):
        return u[..., :, None] * v[..., None, :]

    def centre(k):
        return k - k.mean(axis=(-2, -1), keepdims=True)

    return {
        "LL": outer(h3, h3),
        "LH": centre(outer(g3, h3)),
        "HL": centre(outer(h3, g3)),
        "HH": centre(outer(g3, g3)),
    }
