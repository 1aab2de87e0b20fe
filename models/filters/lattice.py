"""The paraunitary lattice: angles to an orthonormal lowpass filter and back (see the package docstring)."""

import math

import numpy as np
import torch

from awd_studio.models.filters.known import highpass_from_lowpass
from awd_studio.models.filters.validity import _as_numpy_filter, orthonormality_error


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


def random_lowpass_filters(n, length, seed=0):
    """Random orthonormal lowpass filters, uniform in the lattice's free angles.

    Each filter is a valid orthogonal wavelet (``sum h = sqrt 2`` exactly: :func:`complete_angles`). Used by the
    teacher-free control of a job (option ``random_search``) and by the science benchmark's filter ceiling.

    Parameters
    ----------
    n : int
        Number of filters (>= 0).
    length : int
        Filter length N, even and at least 4 (N / 2 - 1 free angles, each uniform on [-pi, pi)).
    seed : int, default=0
        Seeds the angles; equal seeds give equal filters.

    Returns
    -------
    ndarray of shape (n, length), float64

    Examples
    --------
    >>> h = random_lowpass_filters(3, 10, seed=1)
    >>> h.shape, bool(np.allclose(h.sum(axis=1), np.sqrt(2)))
    ((3, 10), True)
    """
    n, length = int(n), int(length)
    if length % 2 or length < 4:
        raise ValueError(f"length: expected an even filter length >= 4, got {length}")
    if n < 0:
        raise ValueError(f"n: expected a number of filters >= 0, got {n}")
    rng = np.random.default_rng(seed)
    free = rng.uniform(-math.pi, math.pi, size=(n, length // 2 - 1))
    return np.asarray(lowpass_from_angles(complete_angles(free)), dtype=np.float64).reshape(n, length)


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
