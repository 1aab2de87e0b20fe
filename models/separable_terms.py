"""The data terms of eq. 8 for a 2D separable wavelet transform, with a hand-written backward.

The trainer's common 2D case (the teacher's input gradients computed once, a transform whose adjoint synthesis
is ``Psi`` itself) needs three numbers per filter from each batch: the L1 norm of the coefficients
``c = Psi x``, the L1 norm of the attributions ``(Psi gx) * c`` (or ``Psi gx`` for the saliency), and, unless
the filter reconstructs exactly (the orthogonal lattice), the reconstruction error ``||Psi^T c - x||^2``.
Recorded by autograd, the transform's band splits, transposes and slices add copies and zero-filled gradients
around its matrix products (``bench/profile_2d.py``: whole fits 1.3-1.6x slower that way on one thread).
:func:`separable_data_terms` computes the same terms and their gradient with respect to every level's operator
matrices with one product per axis and level and direction (the maps are transposed once, they are shared by
every filter), and writes the gradient of the next level's input straight into the lowpass quadrant. The
backward is first-order only (``once_differentiable``).

Layout: level ``j`` maps its input ``P`` (h, B, w) to ``Y = A_h P A_w^T`` of shape (2 m_h, B, 2 m_w), the
batch between the two map axes. Both products are then plain (batched) matrix products on contiguous or
row-strided views: the first level applies ``A_h`` of every filter at once to the shared maps, the later ones
``A_w`` first, and the lowpass quadrant ``Y[:m_h, :, :m_w]`` is the next level's input as it stands.

Only the dense path exists here. The first level's operators are banded (10 nonzeros a row at db5), and a
prototype computing that level by windows times the taps (``bench/banded_prototype.py``, 3.8 times fewer
multiply-adds there, the same numbers) was timed against this code (``bench/profile_2d_banded.py``; bench/RESULTS.md,
2026-12-06): 1.1-1.2 times faster on one thread at the paper grid's 33 filters, slower at the default's 15, no
steady gain on two threads. Its thin products are bound by memory where the dense ones run at full rate, and
the passes over the coefficients stay the same, so it was not moved here.
"""

import torch
from torch.autograd.function import once_differentiable

from awd_studio.models.losses import l1_scale
from awd_studio.models.wavelets.inputs import _as_filter
from awd_studio.models.wavelets.levels import _level_analysis_matrix
from awd_studio.models.wavelets.sizes import _out_len

__all__ = ["separable_data_terms", "separable_level_operators"]


def separable_level_operators(h, shape, level, mode):
    """The single-level analysis operators of a 2D transform, in the order :func:`separable_data_terms` reads them.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass filters (part of the autograd graph when they require grad).
    shape : tuple of int
        ``(H, W)`` of the maps.
    level : int
        Number of levels J.
    mode : {"periodization", "zero"}

    Returns
    -------
    list of Tensor
        ``2 J`` operators ``[A_h_1, A_w_1, A_h_2, A_w_2, ...]``: for each level, the (G, 2 m, n) matrix along
        H, then along W. Operators of equal size are the same tensor.
    """
    h2, g2, _ = _as_filter(h)
    sizes, built = [int(shape[0]), int(shape[1])], {}
    ops = []
    for _ in range(level):
        for n in sizes:
            if n not in built:
                built[n] = _level_analysis_matrix(h2, g2, n, mode)
            ops.append(built[n])
        sizes = [_out_len(n, h2.shape[-1], mode) for n in sizes]
    return ops


def separable_data_terms(X, GX, ops, n_bands, times_coeffs=True, reconstruction=False):
    """The data terms of eq. 8 per filter for a self-adjoint 2D transform: sparsity, interpretation and,
    optionally, reconstruction.

    Parameters
    ----------
    X : Tensor of shape (B, H, W)
        A batch of maps (no gradient is taken with respect to it).
    GX : Tensor of shape (B, H, W) or None
        The teacher's input gradients for the batch; ``None`` gives a zero interpretation term.
    ops : list of Tensor of shape (G, 2 m, n)
        From :func:`separable_level_operators`; the gradient flows back to them (and so to the filters).
    n_bands : int
        ``J + 1``: the L1 sums are divided by ``B (J + 1)`` as :func:`models.losses.l1_per_filter` does.
    times_coeffs : bool, default=True
        Attributions ``c * (Psi gx)`` (input x gradient); False: ``Psi gx`` (saliency).
    reconstruction : bool, default=False
        Also compute ``mean_i ||Psi^T Psi x_i - x_i||^2`` (:func:`models.losses.reconstruction_loss` with the
        synthesis ``Psi^T``, which is the transform's synthesis here for any filter); False returns zeros (the
        orthogonal lattice reconstructs exactly). With square level operators (periodization; also zero mode
        with a two-tap filter, which has no boundary effects there) the first level is not synthesised
        (:func:`_periodic_reconstruction_error`).

    Returns
    -------
    sparsity, interpretation, reconstruction : Tensor of shape (G,)
        ``sum_i ||Psi x_i||_1 / (B (J + 1))``, the same for the attributions, and the reconstruction error;
        the caller multiplies the first two by lambda and gamma. Equal to the terms computed from
        :func:`models.wavelets.wavedec2d` and ``waverec2d`` up to rounding, with the same gradient.
    """
    if X.ndim != 3 or len(ops) % 2 or not ops:
        raise ValueError(f"separable_data_terms: expected maps (B, H, W) and 2 J operators, got X "
                         f"{tuple(X.shape)} and {len(ops)} operators")
    periodic = all(op.shape[-1] == op.shape[-2] for op in ops)  # periodization (or zero mode with 2 taps)
    how = ("periodic" if periodic else "synthesis") if reconstruction else None
    sparsity, interpretation, error, lowpass, deeper = _SeparableTerms.apply(
        X, GX, bool(times_coeffs), float(n_bands), how, *ops)
    if how == "periodic":
        error = _periodic_reconstruction_error(X, ops[0], ops[1], lowpass, deeper)
    return sparsity, interpretation, error


def _periodic_reconstruction_error(X, A_h, A_w, lowpass, deeper):
    """``mean_i ||Psi^T Psi x_i - x_i||^2`` in periodization without synthesising the first level.

    With the quadrature-mirror highpass, a periodized level's ``K = A^T A`` (n, n) is a symmetric circulant
    matrix for any lowpass filter (its polyphase matrix times its adjoint is ``a(z) I``, ``a`` the filter's
    autocorrelation at even lags), and so is ``R = L L^T`` (m, m) of its lowpass half ``L``; ``L K = R L``.
    The reconstruction error of a map is then

        ||K_h x K_w - x||^2  +  <E, R_h (E + 2 P) R_w - 2 P>,

    with ``P`` the first level's lowpass quadrant and ``E = S - P`` the error of its synthesis ``S`` from the
    deeper levels (``E = 0`` for one level). The first term is a sum over the maps' power spectrum (the
    eigenvalues of ``K`` are the FFT of its first column), so the first level, three quarters of the
    synthesis's products, is never synthesised. Equal to the synthesised error up to rounding, with the same
    gradient (tests/models/test_separable_terms.py).

    Parameters
    ----------
    X : Tensor of shape (B, H, W)
    A_h, A_w : Tensor of shape (G, H, H) and (G, W, W)
        The first level's operators.
    lowpass, deeper : Tensor of shape (G, H / 2, B, W / 2), or empty for one level
        ``P`` and ``S``.

    Returns
    -------
    Tensor of shape (G,)
    """
    B, H, W = X.shape
    K_h = torch.matmul(A_h.transpose(-1, -2), A_h)
    K_w = torch.matmul(A_w.transpose(-1, -2), A_w)
    kappa_h = torch.fft.fft(K_h[:, :, 0]).real  # (G, H): the eigenvalues of the symmetric circulant K_h
    kappa_w = torch.fft.fft(K_w[:, :, 0]).real
    power = torch.fft.fft2(X).abs().pow(2).sum(0)  # (H, W), the same for every filter
    gain = kappa_h.unsqueeze(2) * kappa_w.unsqueeze(1) - 1.0  # (G, H, W)
    error = (gain.pow(2) * power).sum((1, 2)) / (H * W)
    if lowpass.numel():
        G, mh, _, mw = lowpass.shape
        L_h, L_w = A_h[:, :mh, :], A_w[:, :mw, :]
        R_h = torch.matmul(L_h, L_h.transpose(-1, -2))
        R_w = torch.matmul(L_w, L_w.transpose(-1, -2))
        E = deeper - lowpass
        V = torch.matmul(R_h, (E + 2.0 * lowpass).reshape(G, mh, B * mw)).reshape(G, mh * B, mw)
        V = torch.matmul(V, R_w).reshape(G, mh, B, mw)  # R_w is symmetric
        error = error + (E * (V - 2.0 * lowpass)).sum((1, 2, 3))
    return error / B


def _forward_levels(X, ops):
    """Every level's ``(P, T, Y)`` for one batch of maps: the input (G, h B, w) (the maps as (H, B W) at the
    first level),
    the half-transformed (G, 2 m_h, B, W) at the first level or (G, h, B, 2 m_w) after it, and the
    coefficients Y (G, 2 m_h, B, 2 m_w)."""
    B, H, W = X.shape
    A_h, A_w = ops[0], ops[1]
    G, two_mh, two_mw = A_h.shape[0], A_h.shape[1], A_w.shape[1]
    # first level: the maps are the same for every filter, so along H it is one product with all G operators
    X_h = X.permute(1, 0, 2).reshape(H, B * W)
    T = (A_h.reshape(G * two_mh, H) @ X_h).reshape(G, two_mh * B, W)
    Y = torch.matmul(T, A_w.transpose(-1, -2)).reshape(G, two_mh, B, two_mw)
    saved = [(X_h, T, Y)]
    for j in range(1, len(ops) // 2):
        A_h, A_w = ops[2 * j], ops[2 * j + 1]
        mh, mw = two_mh // 2, two_mw // 2
        two_mh, two_mw = A_h.shape[1], A_w.shape[1]
        P = saved[-1][2][:, :mh, :, :mw].reshape(G, mh * B, mw)  # the lowpass quadrant
        T = torch.matmul(P, A_w.transpose(-1, -2))  # (G, mh B, 2m_w)
        Y = torch.matmul(A_h, T.reshape(G, mh, B * two_mw)).reshape(G, two_mh, B, two_mw)
        saved.append((P, T, Y))
    return saved


def _level_sums(Y, last):
    """Per-filter L1 norm of a level's coefficients (G, 2 m_h, B, 2 m_w): all of them at the last level, else
    all but the lowpass quadrant."""
    total = Y.abs().sum((1, 2, 3))
    if not last:
        total = total - Y[:, :Y.shape[1] // 2, :, :Y.shape[3] // 2].abs().sum((1, 2, 3))
    return total


def _backward_levels(X, ops, saved, grads_Y, first_lowpass=None):
    """Gradients of the operators from the gradients of every level's Y (their lowpass quadrants are
    overwritten with the gradient of the next level's input, plus ``first_lowpass`` at the first level when
    given)."""
    B, H, W = X.shape
    grads = [None] * len(ops)
    grad_P = None
    for j in range(len(saved) - 1, -1, -1):
        P, T, Y = saved[j]
        A_h, A_w = ops[2 * j], ops[2 * j + 1]
        G, two_mh, _, two_mw = Y.shape
        gY = grads_Y[j]
        if grad_P is not None:  # the next level's input is this level's lowpass quadrant
            gY[:, :two_mh // 2, :, :two_mw // 2] = grad_P.reshape(G, two_mh // 2, B, two_mw // 2)
            if j == 0 and first_lowpass is not None:
                gY[:, :two_mh // 2, :, :two_mw // 2] += first_lowpass
        if j == 0:
            gY = gY.reshape(G, two_mh * B, two_mw)
            grads[1] = torch.matmul(gY.transpose(-1, -2), T)  # (G, 2m_w, W)
            gT = torch.matmul(gY, A_w).reshape(G * two_mh, B * W)
            grads[0] = (gT @ P.T).reshape(G, two_mh, H)  # P: the maps as (H, B W)
        else:
            h = A_h.shape[-1]
            gY = gY.reshape(G, two_mh, B * two_mw)
            grads[2 * j] = torch.matmul(gY, T.reshape(G, h, B * two_mw).transpose(-1, -2))  # (G, 2m_h, h)
            gT = torch.matmul(A_h.transpose(-1, -2), gY).reshape(G, h * B, two_mw)
            grads[2 * j + 1] = torch.matmul(gT.transpose(-1, -2), P)  # (G, 2m_w, w)
            grad_P = torch.matmul(gT, A_w)  # (G, h B, w)
    return grads


def _synthesis_levels(levels, ops):
    """``Psi^T Psi x`` level by level from the coefficients: each level's ``(Z, U)`` (Z: the level's
    coefficients with the lowpass quadrant replaced by the deeper levels' synthesis, U = A_h^T Z) and the
    reconstruction (G, H, B W)."""
    saved = [None] * len(levels)
    synthesized = None  # the deeper levels' synthesis of this level's lowpass quadrant
    for j in range(len(levels) - 1, -1, -1):
        Y = levels[j][2]
        A_h, A_w = ops[2 * j], ops[2 * j + 1]
        G, two_mh, B, two_mw = Y.shape
        Z = Y
        if synthesized is not None:
            Z = Y.clone()
            Z[:, :two_mh // 2, :, :two_mw // 2] = synthesized.reshape(G, two_mh // 2, B, two_mw // 2)
        h = A_h.shape[-1]
        U = torch.matmul(A_h.transpose(-1, -2), Z.reshape(G, two_mh, B * two_mw))  # (G, h, B 2m_w)
        synthesized = torch.matmul(U.reshape(G, h * B, two_mw), A_w)  # (G, h B, w)
        saved[j] = (Z, U)
    return saved, synthesized.reshape(G, A_h.shape[-1], -1)


def _synthesis_backward(ops, saved, grad_out):
    """Gradients of the operators through :func:`_synthesis_levels`, and the gradient reaching each level's
    coefficients (its lowpass quadrant, at every level but the last, belongs to the deeper synthesis)."""
    grads, grads_Y = [None] * len(ops), []
    grad_P = grad_out  # (G, h B, w) at the first level
    for j, (Z, U) in enumerate(saved):
        A_h, A_w = ops[2 * j], ops[2 * j + 1]
        G, two_mh, B, two_mw = Z.shape
        h = A_h.shape[-1]
        grad_P = grad_P.reshape(G, h * B, -1)
        grads[2 * j + 1] = torch.matmul(U.reshape(G, h * B, two_mw).transpose(-1, -2), grad_P)  # (G, 2m_w, w)
        grad_U = torch.matmul(grad_P, A_w.transpose(-1, -2)).reshape(G, h, B * two_mw)
        grads[2 * j] = torch.matmul(Z.reshape(G, two_mh, B * two_mw), grad_U.transpose(-1, -2))  # (G, 2m_h, h)
        grad_Z = torch.matmul(A_h, grad_U).reshape(G, two_mh, B, two_mw)
        grads_Y.append(grad_Z)
        grad_P = grad_Z[:, :two_mh // 2, :, :two_mw // 2]
    return grads, grads_Y


class _SeparableTerms(torch.autograd.Function):
    """Autograd wrapper of :func:`separable_data_terms` (gradients with respect to the operators only)."""

    @staticmethod
    def forward(ctx, X, GX, times_coeffs, n_bands, reconstruction, *ops):
        B = X.shape[0]
        scale = l1_scale(B, n_bands)
        levels_x = _forward_levels(X, ops)
        last = len(levels_x) - 1
        sparsity = sum(_level_sums(Y, j == last) for j, (_, _, Y) in enumerate(levels_x)) * scale
        levels_g = None
        if GX is not None:
            levels_g = _forward_levels(GX, ops)
            attrs = ((Yg * Yx if times_coeffs else Yg) for (_, _, Yx), (_, _, Yg) in zip(levels_x, levels_g))
            interpretation = sum(_level_sums(attr, j == last) for j, attr in enumerate(attrs)) * scale
        else:
            interpretation = torch.zeros_like(sparsity)
        synthesis = residual = None
        lowpass, deeper = X.new_zeros(0), X.new_zeros(0)
        if reconstruction == "synthesis":
            synthesis, x_hat = _synthesis_levels(levels_x, ops)
            residual = x_hat - levels_x[0][0]  # the maps as (H, B W)
            error = residual.pow(2).sum((1, 2)) / B
        elif reconstruction == "periodic":  # _periodic_reconstruction_error computes the error
            error = X.new_zeros(0)
            if len(levels_x) > 1:  # the first level's lowpass quadrant and its synthesis from the deeper levels
                G, two_mh, _, two_mw = levels_x[0][2].shape
                lowpass = levels_x[0][2][:, :two_mh // 2, :, :two_mw // 2].contiguous()
                synthesis, deeper = _synthesis_levels(levels_x[1:], ops[2:])
                deeper = deeper.reshape(lowpass.shape)
        else:
            error = torch.zeros_like(sparsity)
        ctx.times_coeffs, ctx.scale, ctx.batch = times_coeffs, scale, B
        ctx.levels_x, ctx.levels_g, ctx.synthesis, ctx.residual = levels_x, levels_g, synthesis, residual
        ctx.reconstruction = reconstruction
        ctx.save_for_backward(X, GX, *ops)
        return sparsity, interpretation, error, lowpass, deeper

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_sparsity, grad_interpretation, grad_reconstruction, grad_lowpass, grad_deeper):
        X, GX, *ops = ctx.saved_tensors
        levels_x, levels_g = ctx.levels_x, ctx.levels_g
        gs = (grad_sparsity * ctx.scale).view(-1, 1, 1, 1)
        gi = (grad_interpretation * ctx.scale).view(-1, 1, 1, 1)
        grads_Yx, grads_Yg = [], []
        for j, (_, _, Yx) in enumerate(levels_x):
            if levels_g is None:
                grads_Yx.append(Yx.sign().mul_(gs))
                continue
            Yg = levels_g[j][2]
            if ctx.times_coeffs:  # d|Yx Yg| = sign(Yx) |Yg| dYx + sign(Yg) |Yx| dYg
                grads_Yx.append(Yg.abs().mul_(gi).add_(gs).mul_(Yx.sign()))
                grads_Yg.append(Yx.abs().mul_(gi).mul_(Yg.sign()))
            else:
                grads_Yx.append(Yx.sign().mul_(gs))
                grads_Yg.append(Yg.sign().mul_(gi))
        grads = None
        first_lowpass = None  # an extra gradient of the first level's lowpass quadrant
        if ctx.reconstruction == "synthesis":
            grad_x_hat = ctx.residual * (2.0 * grad_reconstruction / ctx.batch).view(-1, 1, 1)
            grads, through_synthesis = _synthesis_backward(ops, ctx.synthesis, grad_x_hat)
        elif ctx.synthesis is not None:  # periodic: the deeper levels' synthesis only
            G, mh, B, mw = grad_deeper.shape
            deeper, through_synthesis = _synthesis_backward(ops[2:], ctx.synthesis, grad_deeper.reshape(G, mh * B, mw))
            grads, through_synthesis = [None, None, *deeper], [None, *through_synthesis]
            first_lowpass = grad_lowpass
        if grads is not None:
            for grad_Y, extra in zip(grads_Yx, through_synthesis):
                if extra is not None:
                    grad_Y.add_(extra)  # lowpass quadrants (but the last level's) are overwritten below
        analysis = _backward_levels(X, ops, levels_x, grads_Yx, first_lowpass)
        grads = analysis if grads is None else [a if b is None else a + b for a, b in zip(analysis, grads)]
        if levels_g is not None:
            grads = [a + b for a, b in zip(grads, _backward_levels(GX, ops, levels_g, grads_Yg))]
        ctx.levels_x = ctx.levels_g = ctx.synthesis = ctx.residual = None
        return (None, None, None, None, None, *grads)
