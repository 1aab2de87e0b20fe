"""Prototype, not used by the trainer: the 2D data terms with the first level as banded products.

:func:`banded_data_terms` computes what :func:`models.separable_terms.separable_data_terms` computes (sparsity,
interpretation and the periodized reconstruction error per filter, and their gradient with respect to the filter
taps) for periodization and maps with even sides, with the first level by windows instead of dense (G, n, n)
operator matrices:

* along H the maps are shared by every filter: the periodically wrapped windows of N rows (the maps' W axis
  already cut into windows of ``L = 2 b + N - 2`` samples, every 2 b samples) times the (2G, N) matrix of all
  lowpass and highpass taps, one product;
* along W every filter has its own data: the windows times a per-filter (L, 2 b) matrix, one batched product
  (b = 8 at W = 64);
* the gradient of the taps comes from the same windows (no fold, no gradient of a dense operator).

The deeper levels keep the dense per-level matrices (they are already small). Equal to the dense path up to
rounding (``bench/profile_2d_banded.py --check``). ``bench/profile_2d_banded.py`` times the two; the result
(bench/RESULTS.md, 2026-12-06) did not justify moving it into ``models/``.
"""

import torch
from torch.autograd.function import once_differentiable

from awd_studio.models.losses import l1_scale
from awd_studio.models.separable_terms import (
    _level_sums,
    _periodic_reconstruction_error,
    _synthesis_backward,
    _synthesis_levels,
)
from awd_studio.models.wavelets.inputs import _as_filter

__all__ = ["banded_block", "banded_data_terms", "separable_band_operators"]

# The first level as banded products (periodization): windows of the maps times the filter taps.


def banded_block(n):
    """Output rows per window along W of :func:`separable_band_operators`: the largest of 8, 4, 2, 1 dividing
    ``n / 2``."""
    return next(b for b in (8, 4, 2, 1) if (n // 2) % b == 0)


def _window_index(n, filter_len, block):
    """Periodic gather index of the windows along one axis, shape (n / (2 block), L) with
    ``L = 2 block + N - 2``: window k reads samples ``(2 block k + s + l) mod n`` (``s = 1 - N / 2``, the
    periodization's shift)."""
    L = 2 * block + filter_len - 2
    start = 2 * block * torch.arange(n // (2 * block)) + 1 - filter_len // 2
    return torch.remainder(start[:, None] + torch.arange(L)[None, :], n)


def _band_selection(filter_len, block, dtype, device):
    """(2 N, L * 2 block) 0/1 matrix: ``[h, g] @ S`` is the window matrix (L, 2 block), lowpass columns first."""
    L = 2 * block + filter_len - 2
    S = torch.zeros(2, filter_len, L, 2, block, dtype=dtype, device=device)
    for r in range(block):
        for t in range(filter_len):
            S[0, t, 2 * r + t, 0, r] = 1.0
            S[1, t, 2 * r + t, 1, r] = 1.0
    return S.reshape(2 * filter_len, L * 2 * block)


def separable_band_operators(h, shape, block=None):
    """The first level's banded operators of a periodized 2D transform (:func:`separable_data_terms`'s ``band``).

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass filters (part of the autograd graph when they require grad).
    shape : tuple of int
        ``(H, W)`` of the maps, both even.

    Returns
    -------
    taps : Tensor of shape (G, 2, N)
        The lowpass and highpass taps (along H, where the maps are shared by every filter).
    window : Tensor of shape (G, L, 2 b)
        ``b = banded_block(W)`` lowpass then ``b`` highpass coefficients of a window of ``L = 2 b + N - 2``
        samples along W.
    """
    h2, g2, _ = _as_filter(h)
    N = h2.shape[-1]
    block = banded_block(int(shape[1])) if block is None else int(block)
    S = _band_selection(N, block, h2.dtype, h2.device)
    window = torch.cat((h2, g2), dim=1) @ S
    return torch.stack((h2, g2), dim=1), window.reshape(h2.shape[0], 2 * block + N - 2, 2 * block)


def _banded_windows(X, filter_len, block):
    """The maps' windows read by the banded first level: (N, m_h B K L), ``K = W / (2 block)`` windows of ``L``
    samples along W, for the ``m_h = H / 2`` positions along H and each tap."""
    B, H, W = X.shape
    idx_w = _window_index(W, filter_len, block).to(X.device).reshape(-1)
    idx_h = torch.remainder(2 * torch.arange(H // 2)[None, :] + 1 - filter_len // 2
                            + torch.arange(filter_len)[:, None], H).to(X.device).reshape(-1)  # (N m_h)
    Xh = X.permute(1, 0, 2).index_select(2, idx_w)  # (H, B, K L)
    return Xh.index_select(0, idx_h).reshape(filter_len, -1)


def _banded_forward(X, taps, window):
    """The first level by windows: ``(windows, T, Y)``, T (G, 2 m_h B K, L) the windows along H transformed
    along H, Y (G, 2, m_h, B, K, 2, b) the coefficients (band along H, position, map, window, band along W,
    row in the window)."""
    B, H, W = X.shape
    G, two, N = taps.shape
    L, two_b = window.shape[1], window.shape[2]
    block = two_b // 2
    K = W // two_b
    windows = _banded_windows(X, N, block)
    T = (taps.reshape(2 * G, N) @ windows).reshape(G, 2 * (H // 2) * B * K, L)
    Y = torch.bmm(T, window).reshape(G, 2, H // 2, B, K, 2, block)
    return windows, T, Y


def _banded_backward(windows, T, taps, window, gY):
    """Gradients of ``taps`` and ``window`` from the gradient of the first level's Y (layout of
    :func:`_banded_forward`)."""
    G = window.shape[0]
    gY = gY.reshape(G, -1, window.shape[2])
    grad_window = torch.bmm(T.transpose(1, 2), gY)
    gT = torch.bmm(gY, window.transpose(1, 2), out=T).reshape(2 * G, -1)  # T is not needed any more
    grad_taps = (gT @ windows.T).reshape(taps.shape)
    return grad_taps, grad_window


def _banded_lowpass(Y):
    """The lowpass quadrant of the first level's Y (layout of :func:`_banded_forward`): (G, m_h, B, K, b)."""
    return Y[:, 0, :, :, :, 0, :]


def _banded_level_sums(Y, last):
    """:func:`_level_sums` on the banded layout."""
    total = Y.abs().sum((1, 2, 3, 4, 5, 6))
    if not last:
        total = total - _banded_lowpass(Y).abs().sum((1, 2, 3, 4))
    return total


def _deep_forward(P, ops, B):
    """Levels 2..J from the first level's lowpass quadrant P (G, m_h B, m_w): each level's ``(P, T, Y)`` as in
    :func:`_forward_levels`."""
    saved = []
    G = P.shape[0]
    for j in range(len(ops) // 2):
        A_h, A_w = ops[2 * j], ops[2 * j + 1]
        if saved:
            Y = saved[-1][2]
            P = Y[:, :Y.shape[1] // 2, :, :Y.shape[3] // 2].reshape(G, -1, Y.shape[3] // 2)
        two_mh, two_mw = A_h.shape[1], A_w.shape[1]
        T = torch.matmul(P, A_w.transpose(-1, -2))
        Y = torch.matmul(A_h, T.reshape(G, A_h.shape[2], B * two_mw)).reshape(G, two_mh, B, two_mw)
        saved.append((P, T, Y))
    return saved


def _deep_backward(ops, saved, grads_Y, B):
    """Gradients of levels 2..J's operators and of their input (the first level's lowpass quadrant, (G, m_h B,
    m_w)) as :func:`_backward_levels` computes them."""
    grads = [None] * len(ops)
    grad_P = None
    for j in range(len(saved) - 1, -1, -1):
        P, T, Y = saved[j]
        A_h, A_w = ops[2 * j], ops[2 * j + 1]
        G, two_mh, _, two_mw = Y.shape
        gY = grads_Y[j]
        if grad_P is not None:
            gY[:, :two_mh // 2, :, :two_mw // 2] = grad_P.reshape(G, two_mh // 2, B, two_mw // 2)
        h = A_h.shape[-1]
        gY = gY.reshape(G, two_mh, B * two_mw)
        grads[2 * j] = torch.matmul(gY, T.reshape(G, h, B * two_mw).transpose(-1, -2))
        gT = torch.matmul(A_h.transpose(-1, -2), gY).reshape(G, h * B, two_mw)
        grads[2 * j + 1] = torch.matmul(gT.transpose(-1, -2), P)
        grad_P = torch.matmul(gT, A_w)
    return grads, grad_P


def _coefficient_grads(Ys_x, Ys_g, gs, gi, times_coeffs):
    """Gradients of the L1 terms with respect to every level's coefficients of the maps and of the teacher's
    gradients (``Ys_g`` None: no interpretation term)."""
    grads_x, grads_g = [], []
    for j, Yx in enumerate(Ys_x):
        shape = (-1,) + (1,) * (Yx.ndim - 1)
        if Ys_g is None:
            grads_x.append(Yx.sign().mul_(gs.view(shape)))
            continue
        Yg = Ys_g[j]
        if times_coeffs:
            grads_x.append(Yg.abs().mul_(gi.view(shape)).add_(gs.view(shape)).mul_(Yx.sign()))
            grads_g.append(Yx.abs().mul_(gi.view(shape)).mul_(Yg.sign()))
        else:
            grads_x.append(Yx.sign().mul_(gs.view(shape)))
            grads_g.append(Yg.sign().mul_(gi.view(shape)))
    return grads_x, grads_g


def _banded_all(X, taps, window, deep_ops):
    """Forward of every level of one stack of maps: the first level's ``(windows, T, Y)`` and the deeper levels'
    ``(P, T, Y)``."""
    B = X.shape[0]
    first = _banded_forward(X, taps, window)
    deep = []
    if deep_ops:
        low = _banded_lowpass(first[2])
        G, mh = low.shape[0], low.shape[1]
        deep = _deep_forward(low.reshape(G, mh * B, -1), deep_ops, B)
    return first, deep


def _banded_stack_backward(taps, window, deep_ops, first, deep, grads_Y, first_lowpass=None):
    """Gradients of ``taps``, ``window`` and the deeper operators for one stack of maps from its levels'
    coefficient gradients (the first level's lowpass quadrant is overwritten, plus ``first_lowpass``)."""
    windows, T, Y = first
    gY1 = grads_Y[0]
    deep_grads = []
    if deep:
        B = deep[0][2].shape[2]
        deep_grads, grad_P = _deep_backward(deep_ops, deep, grads_Y[1:], B)
        low = _banded_lowpass(gY1)
        low.copy_(grad_P.reshape(low.shape))
        if first_lowpass is not None:
            low.add_(first_lowpass.reshape(low.shape))
    grad_taps, grad_window = _banded_backward(windows, T, taps, window, gY1)
    return [grad_taps, grad_window, *deep_grads]


class _BandedSeparableTerms(torch.autograd.Function):
    """``models.separable_terms._SeparableTerms`` with the first level computed by windows (:func:`_banded_forward`)."""

    @staticmethod
    def forward(ctx, X, GX, times_coeffs, n_bands, reconstruction, taps, window, *deep_ops):
        B = X.shape[0]
        scale = l1_scale(B, n_bands)
        first_x, deep_x = _banded_all(X, taps, window, deep_ops)
        Ys_x = [first_x[2]] + [Y for _, _, Y in deep_x]
        last = len(Ys_x) - 1
        sums = [_banded_level_sums(Ys_x[0], last == 0)] + [_level_sums(Y, j + 1 == last)
                                                           for j, Y in enumerate(Ys_x[1:])]
        sparsity = sum(sums) * scale
        first_g = deep_g = Ys_g = None
        if GX is not None:
            first_g, deep_g = _banded_all(GX, taps, window, deep_ops)
            Ys_g = [first_g[2]] + [Y for _, _, Y in deep_g]
            attrs = [Yg * Yx if times_coeffs else Yg for Yx, Yg in zip(Ys_x, Ys_g)]
            interpretation = (sum([_banded_level_sums(attrs[0], last == 0)]
                                  + [_level_sums(a, j + 1 == last) for j, a in enumerate(attrs[1:])]) * scale)
        else:
            interpretation = torch.zeros_like(sparsity)
        synthesis = None
        lowpass, deeper = X.new_zeros(0), X.new_zeros(0)
        if reconstruction == "periodic" and deep_x:
            low = _banded_lowpass(first_x[2])
            G, mh, _, K, b = low.shape
            lowpass = low.reshape(G, mh, B, K * b).contiguous()
            synthesis, deeper = _synthesis_levels(deep_x, deep_ops)
            deeper = deeper.reshape(lowpass.shape)
        error = X.new_zeros(0) if reconstruction == "periodic" else torch.zeros_like(sparsity)
        ctx.times_coeffs, ctx.scale = times_coeffs, scale
        ctx.saved = (first_x, deep_x, first_g, deep_g, synthesis)
        ctx.save_for_backward(taps, window, *deep_ops)
        return sparsity, interpretation, error, lowpass, deeper

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_sparsity, grad_interpretation, grad_reconstruction, grad_lowpass, grad_deeper):
        taps, window, *deep_ops = ctx.saved_tensors
        first_x, deep_x, first_g, deep_g, synthesis = ctx.saved
        Ys_x = [first_x[2]] + [Y for _, _, Y in deep_x]
        Ys_g = None if first_g is None else [first_g[2]] + [Y for _, _, Y in deep_g]
        grads_Yx, grads_Yg = _coefficient_grads(Ys_x, Ys_g, grad_sparsity * ctx.scale,
                                                grad_interpretation * ctx.scale, ctx.times_coeffs)
        first_lowpass, through = None, None
        if synthesis is not None:
            G, mh, B, mw = grad_deeper.shape
            through_grads, through = _synthesis_backward(deep_ops, synthesis, grad_deeper.reshape(G, mh * B, mw))
            for grad_Y, extra in zip(grads_Yx[1:], through):
                grad_Y.add_(extra)
            first_lowpass = grad_lowpass
        grads = _banded_stack_backward(taps, window, deep_ops, first_x, deep_x, grads_Yx, first_lowpass)
        if synthesis is not None:
            grads = grads[:2] + [a + b for a, b in zip(grads[2:], through_grads)]
        if Ys_g is not None:
            grads = [a + b for a, b in zip(grads, _banded_stack_backward(taps, window, deep_ops, first_g, deep_g,
                                                                         grads_Yg))]
        ctx.saved = None
        return (None, None, None, None, None, *grads)


def banded_data_terms(X, GX, band, ops, n_bands, times_coeffs=True, reconstruction=False):
    """:func:`models.separable_terms.separable_data_terms` with the first level from ``band`` (periodization,
    even sides).

    Parameters
    ----------
    X, GX : Tensor of shape (B, H, W)
        Maps and the teacher's input gradients (``GX`` None: no interpretation term).
    band : tuple of Tensor
        ``(taps, window)`` from :func:`separable_band_operators`.
    ops : list of Tensor of shape (G, 2 m, n)
        From :func:`models.separable_terms.separable_level_operators` (the first two only for the
        reconstruction error, the others for levels 2..J).
    n_bands : int
    times_coeffs : bool, default=True
    reconstruction : bool, default=False

    Returns
    -------
    sparsity, interpretation, reconstruction : Tensor of shape (G,)
    """
    how = "periodic" if reconstruction else None
    sparsity, interpretation, error, lowpass, deeper = _BandedSeparableTerms.apply(
        X, GX, bool(times_coeffs), float(n_bands), how, band[0], band[1], *ops[2:])
    if how == "periodic":
        error = _periodic_reconstruction_error(X, ops[0], ops[1], lowpass, deeper)
    return sparsity, interpretation, error
