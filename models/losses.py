"""The terms of the AWD objective (paper eq. 8), batched over a grid of filters.

Every function returns one value per filter: a tensor of shape ``(G,)`` where ``G`` is the number of
(lambda, gamma) grid points trained together, so that the total loss is a sum of independent per-filter losses.

Normalisation (fixed: it gives lambda and gamma their meaning), with ``B`` the batch size and ``J + 1`` the
number of bands (a 2D level's three detail bands count as one band):

* reconstruction: ``mean_i ||x_i - x_hat_i||_2^2`` (sum over the samples of a signal, mean over the batch), as
  in eq. 8 and in the reference implementation (awave);
* sparsity: ``lambda * sum_i ||Psi x_i||_1 / (B (J + 1))`` and interpretation:
  ``gamma * sum_i ||TRIM(Psi x_i)||_1 / (B (J + 1))``, awave's normalisation. Eq. 8 as printed has
  ``lambda mean_i ||Psi x_i||_1`` (no division by J + 1) and ``gamma sum_i`` over all m training signals (a sum,
  not a mean), so the same objective has ``lambda = (J + 1) lambda_eq8`` and ``gamma = m (J + 1) gamma_eq8``
  here;
* wavelet validity: the five penalties of eq. 8's W(h, g, x; lambda) exactly as printed, each with weight 1:
  the CMF condition on the N-point grid ``w_k = 2 pi k / N`` and the shift orthogonality over every even lag,
  positive and negative. awave's penalties are half of these, and its CMF term sums over N/2 points only (each
  pair ``(w_k, w_k + pi)`` once), a quarter of ours; relative to the data terms, ours weigh the validity twice
  (the CMF condition four times) as much (``tests/models/test_losses.py`` holds both relations).
"""

import functools
import math

import torch

from awd_studio.models import wavelets as _wavelets

__all__ = [
    "l1_scale",
    "analysis_l1_and_gradient",
    "saliency_l1_and_gradient",
    "reconstruction_loss",
    "validity_terms",
    "validity_terms_and_gradient",
    "validity_penalty",
    "l1_per_filter",
    "dense_data_terms",
    "VALIDITY_TERMS",
]

#: Names of the wavelet-validity penalties, in the order of the paper's W(h, g, x; lambda).
VALIDITY_TERMS = ("sum_h", "sum_g", "norm", "cmf", "shift_orth")


def reconstruction_loss(x, x_hat):
    """Mean squared reconstruction error per filter.

    Parameters
    ----------
    x : Tensor of shape (B, *signal_shape)
        The batch of signals.
    x_hat : Tensor of shape (G, B, *signal_shape)
        Reconstructions, one per filter.

    Returns
    -------
    Tensor of shape (G,)
        ``mean_i ||x_i - x_hat_i||^2``.
    """
    diff = (x_hat - x.unsqueeze(0)).flatten(start_dim=2)
    return diff.pow(2).sum(-1).mean(-1)


def l1_per_filter(values, n_bands):
    """L1 norm per filter, averaged over the batch and divided by the number of bands.

    Parameters
    ----------
    values : Tensor of shape (G, B, ...) or list of such tensors
        Wavelet coefficients or their attributions (one tensor with every band, or one per band).
    n_bands : int
        Number of bands (``J + 1``).

    Returns
    -------
    Tensor of shape (G,)
    """
    if isinstance(values, torch.Tensor):
        values = [values]
    total = sum(v.abs().flatten(start_dim=2).sum(-1) for v in values)
    return total.mean(-1) / n_bands


def l1_scale(batch, n_bands):
    """The factor of the sparsity and interpretation terms, ``1 / (B (J + 1))`` (the module's normalisation): every
    l1 term of the objective is its sum over the batch and the bands times this.

    Examples
    --------
    >>> l1_scale(100, 5)
    0.002
    """
    return 1.0 / (batch * n_bands)


@torch.no_grad()
def analysis_l1_and_gradient(h, Y, length, level, mode):
    """``||W(h) y||_1 / (B (J+1))`` per filter over the B signals ``Y`` and its gradient with respect to the filters,
    in closed form (two products).

    On the training signals it is the sparsity term (lambda = 1), which the gamma = 0 points' start search
    descends; on the teacher's input gradients in a self-adjoint mode, the saliency interpretation term.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass filters.
    Y : Tensor of shape (B, L)
        Signals of length ``length``.
    length, level : int
    mode : str

    Returns
    -------
    value : Tensor of shape (G,)
    grad_h : Tensor of shape (G, N)
    """
    scale = l1_scale(Y.shape[0], level + 1)
    W, chain = _wavelets.analysis_matrix_factors(h, length, level, mode)
    C = torch.matmul(Y, W.transpose(-1, -2))  # (G, B, M)
    grad_W = torch.matmul(C.sign().transpose(-1, -2), Y).mul_(scale)
    return C.abs().sum((1, 2)) * scale, _wavelets.analysis_matrix_pullback(chain, grad_W, length, h.shape[-1], mode)


@torch.no_grad()
def saliency_l1_and_gradient(h, GX, length, level, mode, self_adjoint):
    """The interpretation term of saliency attributions, ``||S(h)^T gx||_1 / (B (J+1))`` per filter (gamma = 1),
    and its gradient with respect to the filters, in closed form: what the start search descends. Two products
    instead of the general terms' four (the coefficients are not needed).

    Parameters
    ----------
    h : Tensor of shape (G, N)
    GX : Tensor of shape (B, L)
        The teacher's input gradients.
    length, level : int
    mode : str
    self_adjoint : bool
        Whether ``S(h)^T = W(h)`` for every filter (``models.distill.TransformOperator.is_self_adjoint``): the
        term is then :func:`analysis_l1_and_gradient` of the gradients.

    Returns
    -------
    value : Tensor of shape (G,)
    grad_h : Tensor of shape (G, N)
    """
    if self_adjoint:
        return analysis_l1_and_gradient(h, GX, length, level, mode)
    scale = l1_scale(GX.shape[0], level + 1)
    S, chain = _wavelets.synthesis_matrix_factors(h, length, level, mode)
    A = torch.matmul(GX, S)  # (G, B, M)
    grad_S = torch.matmul(GX.transpose(-1, -2), A.sign()).mul_(scale)
    return A.abs().sum((1, 2)) * scale, _wavelets.synthesis_matrix_pullback(chain, grad_S, length, h.shape[-1], mode)


def dense_data_terms(W, X, GX, lam, gam, n_bands, times_coeffs=False, with_gradient=True, S=None,
                     reconstruction=True):
    """Reconstruction, sparsity and interpretation losses of a dense transform, with their gradient with
    respect to the operators in closed form (no autograd graph).

    The coefficients are ``c = W x``, the reconstruction ``S c`` and the attributions the adjoint synthesis
    ``S^T gx`` of the teacher's (precomputed) input gradient, times ``c`` when ``times_coeffs``. This covers
    the trainer's common case (1D signals, precomputed teacher gradients), where the objective is a few
    matrix products whose gradient is cheaper written out than recorded.

    Parameters
    ----------
    W : Tensor of shape (G, M, L)
        Analysis operators, one per filter.
    X : Tensor of shape (B, L)
        The batch of signals.
    GX : Tensor of shape (B, L) or None
        The teacher's input gradients for the batch; ``None`` sets the interpretation loss to zero.
    lam, gam : Tensor of shape (G,)
        Sparsity and interpretation weights.
    n_bands : int
        ``J + 1``, see :func:`l1_per_filter`.
    times_coeffs : bool, default=False
        Attributions ``c * (S^T gx)`` (input x gradient, integrated gradients) instead of ``S^T gx``
        (saliency).
    with_gradient : bool, default=True
    S : Tensor of shape (G, L, M) or None, default=None
        Synthesis operators; ``None`` means ``W^T`` (a self-adjoint transform: zero mode, or periodization
        when ``2^J`` divides L).
    reconstruction : bool, default=True
        False when ``S W = I`` holds for every filter the caller can reach (the orthogonal lattice): the
        reconstruction term is then identically zero, so it is returned as 0 and its products are skipped.

    Returns
    -------
    terms : dict of str to Tensor of shape (G,)
        ``reconstruction``, ``sparsity`` and ``interpretation`` (the last two weighted by lam and gam), with
        the normalisation of :func:`reconstruction_loss` and :func:`l1_per_filter`.
    grad_W : Tensor of shape (G, M, L) or None
        Gradient of the sum of the three terms (summed over filters) with respect to ``W`` (through ``S``
        too when ``S`` is None).
    grad_S : Tensor of shape (G, L, M) or None
        Its gradient with respect to ``S`` (None when ``S`` is None or without ``with_gradient``).
    """
    B = X.shape[0]
    scale = l1_scale(B, n_bands)
    St = W if S is None else S.transpose(-1, -2)  # the synthesis, transposed: (G, M, L)
    C = torch.matmul(X, W.transpose(-1, -2))  # (G, B, M)
    R = torch.matmul(C, St) - X if reconstruction else None  # reconstruction error (G, B, L)
    terms = {"reconstruction": R.pow(2).sum((1, 2)) / B if reconstruction else C.new_zeros(C.shape[0]),
             "sparsity": lam * C.abs().sum((1, 2)) * scale}
    if GX is not None:
        A = torch.matmul(GX, St.transpose(-1, -2))  # adjoint synthesis of the gradient (G, B, M)
        attr = A * C if times_coeffs else A
        terms["interpretation"] = gam * attr.abs().sum((1, 2)) * scale
    else:
        terms["interpretation"] = torch.zeros_like(terms["sparsity"])
    if not with_gradient:
        return terms, None, None
    grad_C = C.sign().mul_((lam * scale)[:, None, None])
    grad_St = torch.zeros_like(St)
    if reconstruction:
        grad_R = R * (2.0 / B)
        grad_C.add_(torch.matmul(grad_R, St.transpose(-1, -2)))
        grad_St = torch.matmul(C.transpose(-1, -2), grad_R)
    if GX is not None:
        grad_attr = attr.sign().mul_((gam * scale)[:, None, None])
        if times_coeffs:
            grad_C.add_(grad_attr * A)
            grad_attr = grad_attr * C
        grad_St = grad_St + torch.matmul(grad_attr.transpose(-1, -2), GX)
    grad_W = torch.matmul(grad_C.transpose(-1, -2), X)
    if S is None:
        return terms, grad_W.add_(grad_St), None
    return terms, grad_W, grad_St.transpose(-1, -2)


@functools.lru_cache(maxsize=64)
def _validity_forms(n, dtype, device):
    """The validity penalties of filters of length n as sums of squared residuals (cached per n, dtype, device).

    Every residual is a quadratic function of h, ``r_i = h^T A_i h + b_i . h + c_i`` with ``A_i``
    symmetric, and each penalty sums the squares of a group of them:

    * ``sum_h``: ``sum h - sqrt 2``; ``sum_g``: ``sum g``;
    * ``norm``: ``||h||^2 - 1``;
    * ``cmf``: ``|H(w_k)|^2 + |H(w_k + pi)|^2 - 2`` for ``w_k = 2 pi k / n``, k = 0..n-1, where
      ``|H(w)|^2 = (h . cos(w m))^2 + (h . sin(w m))^2``;
    * ``shift_orth``: ``||h||^2 - 1`` and ``sqrt 2 * sum_i h[i] h[i + 2k]`` for k = 1..(n-1)//2 (lags +2k
      and -2k give the same sum, so each counts twice).

    Returns ``(A, b, c, group)``: A (n, R n) so that ``(h @ A).reshape(G, R, n)`` holds every ``A_i h``,
    b (n, R), c (R,), and the 0/1 matrix group (R, 5) in the order of :data:`VALIDITY_TERMS`.
    """
    m = torch.arange(n, dtype=torch.float64)
    signs = (-1.0) ** m
    zero_A, zero_b = torch.zeros(n, n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    identity = torch.eye(n, dtype=torch.float64)
    rows = [("sum_h", zero_A, torch.ones(n, dtype=torch.float64), -math.sqrt(2.0)),
            ("sum_g", zero_A, signs.flip(0), 0.0),  # sum_m (-1)^m h[n-1-m] = sum_i (-1)^(n-1-i) h[i]
            ("norm", identity, zero_b, -1.0)]
    for k in range(n):
        w_m = 2.0 * math.pi * k * m / n
        # H(w_k + pi) = sum_m (-1)^m h[m] e^{-i w_k m}
        parts = (torch.cos(w_m), torch.sin(w_m), signs * torch.cos(w_m), signs * torch.sin(w_m))
        rows.append(("cmf", sum(torch.outer(v, v) for v in parts), zero_b, -2.0))
    rows.append(("shift_orth", identity, zero_b, -1.0))
    for lag in range(2, n, 2):
        shift = torch.diag(torch.ones(n - lag, dtype=torch.float64), lag)  # h^T shift h = sum_i h[i] h[i + lag]
        rows.append(("shift_orth", math.sqrt(2.0) * (shift + shift.T) / 2.0, zero_b, 0.0))
    names, quad, lin, const = zip(*rows)
    A = torch.stack(quad).permute(1, 0, 2).reshape(n, len(rows) * n)  # column block i is A_i
    group = torch.zeros(len(rows), len(VALIDITY_TERMS), dtype=torch.float64)
    group[torch.arange(len(rows)), torch.tensor([VALIDITY_TERMS.index(name) for name in names])] = 1.0
    tables = (A, torch.stack(lin).T, torch.tensor(const, dtype=torch.float64), group)
    return tuple(t.to(dtype=dtype, device=device) for t in tables)


def _validity_residuals(h):
    """``(terms (G, 5), residuals (G, R), A_i h (G, R, n))`` for filters h of shape (G, N)."""
    G, n = h.shape
    A, b, c, group = _validity_forms(n, h.dtype, h.device)
    Ah = (h @ A).reshape(G, -1, n)
    residuals = torch.addmm(c, h, b) + torch.bmm(Ah, h.unsqueeze(2)).squeeze(2)
    return residuals.pow(2) @ group, residuals, Ah


def validity_terms(h):
    """The wavelet-validity penalties of the paper, per filter.

    With ``g[n] = (-1)^n h[N-1-n]``:

    * ``sum_h``: ``(sum_n h[n] - sqrt(2))^2``
    * ``sum_g``: ``(sum_n g[n])^2``
    * ``norm``: ``(||h||^2 - 1)^2``
    * ``cmf``: ``sum_k (|H(w_k)|^2 + |H(w_k + pi)|^2 - 2)^2`` on the N-point grid ``w_k = 2 pi k / N``
    * ``shift_orth``: ``sum_k (sum_n h[n] h[n - 2k] - delta_k)^2`` over every shift with overlap.

    All five are zero for the lowpass filter of an orthogonal wavelet.

    Parameters
    ----------
    h : Tensor of shape (N,) or (G, N)
        Lowpass filters.

    Returns
    -------
    dict of str to Tensor of shape (G,)
        Keys as in :data:`VALIDITY_TERMS`.
    """
    terms = _validity_residuals(h.unsqueeze(0) if h.ndim == 1 else h)[0]
    return dict(zip(VALIDITY_TERMS, terms.unbind(1)))


def validity_terms_and_gradient(h, weights):
    """The validity terms and the gradient of their weighted sum, in closed form (no autograd graph).

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass filters.
    weights : Tensor of shape (5,)
        Weight of each term, in the order of :data:`VALIDITY_TERMS`.

    Returns
    -------
    terms : Tensor of shape (G, 5)
        As :func:`validity_terms` (unweighted), one column per term.
    grad : Tensor of shape (G, N)
        ``d/dh sum_t weights[t] * terms[:, t]`` for every filter.
    """
    _, b, _, group = _validity_forms(h.shape[1], h.dtype, h.device)
    terms, residuals, Ah = _validity_residuals(h)
    coef = residuals * (group @ weights)  # half the derivative of each weighted square: d(r^2) = 2 r dr
    # dr_i/dh = 2 A_i h + b_i
    return terms, 2.0 * (coef @ b.T + 2.0 * coef.unsqueeze(1).bmm(Ah).squeeze(1))


def validity_penalty(h):
    """Sum of the five validity penalties, per filter.

    Parameters
    ----------
    h : Tensor of shape (N,) or (G, N)

    Returns
    -------
    Tensor of shape (G,)
    """
    return sum(validity_terms(h).values())
