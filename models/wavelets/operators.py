"""Dense multi-level 1D operators W(h) and S(h), built differentiably from ``h``, and their pullbacks.

For short signals the whole transform is one matrix: :func:`analysis_matrix` (rows in PyWavelets' order
``[cA_J, cD_J, ..., cD_1]``) and :func:`synthesis_matrix` (its exact inverse). Each is one product of ``h``
with a cached linear map (:mod:`models.wavelets.tables`) followed by a chain of ``J - 1`` matrix products,
cheap to differentiate twice. The ``*_factors`` functions return that chain, and the ``*_pullback`` functions
walk it backwards by hand, so the trainer's closed-form step needs no autograd graph for ``W(h)``.
"""

import torch

from awd_studio.models.wavelets.inputs import _as_filter
from awd_studio.models.wavelets.sizes import _check_int, _check_mode, check_level, coeff_lengths
from awd_studio.models.wavelets.tables import _on, _operator_map, _synthesis_map

__all__ = [
    "analysis_matrix",
    "synthesis_matrix",
    "analysis_matrix_factors",
    "analysis_matrix_pullback",
    "synthesis_matrix_factors",
    "synthesis_matrix_pullback",
]


def _analysis_operator(h, length, level, mode):
    """(G, M, L) multi-level analysis operator: one product builds every level's operator, then a chain of
    ``level - 1`` matrix products (few operations, so cheap to differentiate twice)."""
    return _analysis_chain(h, length, level, mode)[0]


def _analysis_chain(h, length, level, mode):
    """``(W, chain)``: the operator of :func:`_analysis_operator` and the factors its pullback needs.

    ``chain`` lists, per level j = 1..J, ``(O_j, P_{j-1})``: the level's (G, 2m, n) operator and the
    (G, n, L) lowpass product of the levels before it (``None`` for the first level).
    """
    linear_map, shapes = _operator_map(length, h.shape[-1], level, mode)
    G = h.shape[0]
    blocks = torch.split(h @ _on(linear_map, h.device, h.dtype), [2 * m * n for m, n in shapes], dim=1)
    P, details, chain = None, [], []
    for (m, n), block in zip(shapes, blocks):
        op = block.reshape(G, 2 * m, n)
        chain.append((op, P))
        lo, hi = torch.split(op if P is None else torch.matmul(op, P), m, dim=1)
        details.append(hi)
        P = lo
    return torch.cat([P] + details[::-1], dim=1), chain


def _chain_pullback(chain, grad, sizes):
    """Gradients of the level operators of a chain ``[P_j; D_j] = O_j P_{j-1}`` (``P_0 = I``).

    ``grad`` is the gradient of the stacked rows ``[P_J; D_J; ...; D_1]`` (row counts ``sizes``), ``chain``
    lists ``(O_j, P_{j-1})`` for j = 1..J; returns the gradients of ``O_1, ..., O_J``.
    """
    grad_P, *grad_details = torch.split(grad, sizes, dim=1)
    grad_ops = []
    for (op, P), grad_D in zip(chain[::-1], grad_details):
        grad_T = torch.cat((grad_P, grad_D), dim=1)  # the gradient of [P_j; D_j]
        if P is None:
            grad_ops.append(grad_T)
        else:
            grad_ops.append(torch.matmul(grad_T, P.transpose(-1, -2)))
            grad_P = torch.matmul(op.transpose(-1, -2), grad_T)
    return grad_ops[::-1]


def _synthesis_operator(h, lengths, mode, out_len):
    """(G, out_len, M) operator from coefficient lengths ``[mA, mJ, ..., m1]`` (pywt order)."""
    return _synthesis_chain(h, lengths, mode, out_len)[0]


def _synthesis_chain(h, lengths, mode, out_len):
    """``(S, chain)``: the operator of :func:`_synthesis_operator` and the factors its pullback needs.

    ``chain`` lists, per level j = 1..J, ``(O_j, Q_{j-1})``: the level's (G, target, 2m) operator and the
    (G, L, target) product of the levels before it (``None`` for the first level).
    """
    linear_map, shapes = _synthesis_map(tuple(lengths), h.shape[-1], mode, out_len)
    G = h.shape[0]
    blocks = torch.split(h @ _on(linear_map, h.device, h.dtype), [t * 2 * m for t, m in shapes], dim=1)
    Q, columns, chain = None, [], []
    for (target, m), block in zip(shapes, blocks):
        op = block.reshape(G, target, 2 * m)
        chain.append((op, Q))
        full = op if Q is None else torch.matmul(Q, op)
        columns.append(full[..., m:])
        Q = full[..., :m]
    return torch.cat([Q] + columns[::-1], dim=-1), chain


def analysis_matrix(h, length, level, mode="periodization"):
    """Dense multi-level analysis operator W(h), built differentiably from ``h``.

    Parameters
    ----------
    h : Tensor or array-like of shape (N,) or (G, N)
        Lowpass reconstruction filter(s) (``pywt`` ``rec_lo``). Arrays become float64 tensors.
    length : int
        Signal length L.
    level : int
        Number of levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    Tensor of shape (M, L) or (G, M, L)
        ``W @ x`` equals the concatenation of ``wavedec1d(x, h, level, mode)`` in PyWavelets' order
        ``[cA_J, cD_J, ..., cD_1]``; M = ``sum(coeff_lengths(length, N, level, mode))``. In periodization
        with all level lengths even, ``W`` is orthogonal for an orthonormal ``h`` (``W^T W = I``).

    Examples
    --------
    >>> import pywt, torch
    >>> W = analysis_matrix(torch.tensor(pywt.Wavelet("db2").rec_lo), 8, 2)
    >>> tuple(W.shape)
    (8, 8)
    """
    _check_mode(mode)
    h2, g2, batched = _as_filter(h)
    level = check_level(_check_int(length, "length", 1), h2.shape[-1], level, mode)
    W = _analysis_operator(h2, length, level, mode)
    return W if batched else W[0]


def analysis_matrix_factors(h, length, level, mode="periodization"):
    """:func:`analysis_matrix` for a batch of filters, with the factors its pullback needs.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass reconstruction filters (not checked: the trainer's hot path; see :func:`analysis_matrix`).
    length, level : int
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    W : Tensor of shape (G, M, L)
    chain : list
        Pass it to :func:`analysis_matrix_pullback` with a gradient of ``W``.
    """
    return _analysis_chain(h, length, level, mode)


def analysis_matrix_pullback(chain, grad_W, length, filter_len, mode):
    """Gradient with respect to ``h`` of ``<grad_W, W(h)>``, from the chain of :func:`analysis_matrix_factors`.

    The reverse of the construction written out (two matrix products per level, then one product with the
    map from ``h`` to the level operators), so that a training step needs no autograd graph for ``W(h)``.

    Parameters
    ----------
    chain : list of (Tensor, Tensor or None)
        Second output of :func:`analysis_matrix_factors`.
    grad_W : Tensor of shape (G, M, L)
        Gradient of a scalar with respect to ``W``.
    length : int
        Signal length L.
    filter_len : int
        Filter length N.
    mode : str

    Returns
    -------
    Tensor of shape (G, N)
    """
    linear_map, shapes = _operator_map(length, filter_len, len(chain), mode)
    grad_ops = _chain_pullback(chain, grad_W, [shapes[-1][0]] + [m for m, _ in shapes[::-1]])
    grad_flat = torch.cat([g.flatten(start_dim=1) for g in grad_ops], dim=1)
    return grad_flat @ _on(linear_map, grad_W.device, grad_W.dtype).T


def synthesis_matrix(h, length, level, mode="periodization"):
    """Dense multi-level synthesis operator S(h), the exact inverse used by :func:`~models.wavelets.waverec1d`.

    Parameters
    ----------
    h : Tensor or array-like of shape (N,) or (G, N)
        Lowpass reconstruction filter(s).
    length : int
        Signal length L (the output is trimmed to it, as ``waverec1d(..., length=L)``).
    level : int
        Number of levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    Tensor of shape (L, M) or (G, L, M)
        ``S @ c`` equals ``waverec1d(split_coeffs(c, lengths), h, mode, length=L)``; ``S @ W = I`` for an
        orthonormal ``h`` in every mode, and ``S = W^T`` in periodization when all level lengths are even.
    """
    _check_mode(mode)
    h2, g2, batched = _as_filter(h)
    lengths = coeff_lengths(_check_int(length, "length", 1), h2.shape[-1], level, mode)
    S = _synthesis_operator(h2, lengths, mode, length)
    return S if batched else S[0]


def synthesis_matrix_factors(h, length, level, mode="periodization"):
    """:func:`synthesis_matrix` for a batch of filters, with the factors its pullback needs.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass reconstruction filters (not checked: the trainer's hot path; see :func:`synthesis_matrix`).
    length, level : int
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    S : Tensor of shape (G, L, M)
    chain : list
        Pass it to :func:`synthesis_matrix_pullback` with a gradient of ``S``.
    """
    return _synthesis_chain(h, coeff_lengths(length, h.shape[-1], level, mode), mode, length)


def synthesis_matrix_pullback(chain, grad_S, length, filter_len, mode):
    """Gradient with respect to ``h`` of ``<grad_S, S(h)>``, from the chain of :func:`synthesis_matrix_factors`.

    As :func:`analysis_matrix_pullback`: the columns of ``S`` are ``[Q_J, D_J, ..., D_1]`` with
    ``[Q_j, D_j] = Q_{j-1} O_j``, the transpose of the analysis chain's structure.

    Parameters
    ----------
    chain : list of (Tensor, Tensor or None)
        Second output of :func:`synthesis_matrix_factors`.
    grad_S : Tensor of shape (G, L, M)
        Gradient of a scalar with respect to ``S``.
    length, filter_len : int
        Signal length L and filter length N.
    mode : str

    Returns
    -------
    Tensor of shape (G, N)
    """
    lengths = coeff_lengths(length, filter_len, len(chain), mode)
    linear_map, shapes = _synthesis_map(tuple(lengths), filter_len, mode, length)
    transposed = [(op.transpose(-1, -2), None if Q is None else Q.transpose(-1, -2)) for op, Q in chain]
    grad_ops = _chain_pullback(transposed, grad_S.transpose(-1, -2), [shapes[-1][1]] + [m for _, m in shapes[::-1]])
    grad_flat = torch.cat([g.transpose(-1, -2).flatten(start_dim=1) for g in grad_ops], dim=1)
    return grad_flat @ _on(linear_map, grad_S.device, grad_S.dtype).T

