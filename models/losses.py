"""The terms of the AWD objective (paper eq. 8), batched over a grid of filters.

Every function returns one value per filter: a tensor of shape ``(G,)`` where ``G`` is the number of
(lambda, gamma) grid points trained together, so that the total loss is a sum of independent per-filter losses.

Normalisation (fixed; it gives lambda and gamma their meaning, the same as the reference implementation):

* reconstruction: ``mean_i ||x_i - x_hat_i||_2^2`` (sum over samples of a signal, mean over the batch);
* sparsity: ``lambda * sum_i ||Psi x_i||_1 / (B * n_bands)`` with ``n_bands = J + 1`` (a 2D level's three
  detail bands count as one band, as in the reference code);
* interpretation: ``gamma * sum_i ||TRIM(Psi x_i)||_1 / (B * n_bands)``;
* wavelet validity: the five penalties of the paper's W(h, g, x; lambda), each with weight 1.
"""

import functools
import math

import torch

__all__ = [
    "reconstruction_loss",
    "validity_terms",
    "validity_penalty",
    "l1_per_filter",
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


@functools.lru_cache(maxsize=64)
def _constants(n, dtype, device):
    """The linear maps of the validity terms for filters of length n (cached per length, dtype and device).

    Returns ``linear`` (n, 2 + 4n + K n), K = (n - 1) // 2, so that one product ``h @ linear`` gives, in order: ``sum h``; ``sum g`` (``g[m] = (-1)^m h[n-1-m]``);
    Re and Im of ``H(w_k)`` and of ``H(w_k + pi)`` on the grid ``w_k = 2 pi k / n``; and ``h`` shifted by
    2, 4, ..., 2K places (``h[i + 2k]``, zero past the end).
    """
    k = torch.arange(n, dtype=torch.float64)
    signs = torch.tensor([(-1.0) ** m for m in range(n)], dtype=torch.float64)
    angles = 2.0 * math.pi * torch.outer(k, k) / n
    # H(w_k + pi) = sum_m (-1)^m h[m] e^{-i w_k m}
    dft = torch.cat([torch.cos(angles).T, torch.sin(angles).T, signs[:, None] * torch.cos(angles).T,
                     signs[:, None] * torch.sin(angles).T], dim=1)  # (n, 4n)
    sum_g = signs.flip(0)[:, None]  # sum_m (-1)^m h[n-1-m] = sum_i (-1)^(n-1-i) h[i]
    shifts = [torch.diag(torch.ones(n - lag, dtype=torch.float64), -lag) for lag in range(2, n, 2)]  # h[i + lag]
    linear = torch.cat([torch.ones(n, 1, dtype=torch.float64), sum_g, dft] + shifts, dim=1)
    return linear.to(dtype=dtype, device=device)


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
    if h.ndim == 1:
        h = h.unsqueeze(0)
    G, n = h.shape
    linear = _constants(n, h.dtype, h.device)
    # every linear function of h the terms need, in one product, split in one op (cheap to differentiate)
    sum_h, sum_g, spectrum, shifted = torch.split(h @ linear, [1, 1, 4 * n, linear.shape[1] - 2 - 4 * n], dim=1)
    norm_term = (h.pow(2).sum(-1) - 1.0) ** 2
    terms = {
        "sum_h": (sum_h.squeeze(1) - math.sqrt(2.0)) ** 2,
        "sum_g": sum_g.squeeze(1) ** 2,
        "norm": norm_term,
    }
    # |H(w_k)|^2 + |H(w_k + pi)|^2 with real arithmetic, so that double backward is plain
    power = spectrum.pow(2).reshape(G, 4, n).sum(1)
    terms["cmf"] = ((power - 2.0) ** 2).sum(-1)
    # orthogonality to even shifts: r[2k] = sum_i h[i] h[i + 2k] for every k with overlap; the lags +2k and
    # -2k give the same sum, so each nonzero lag counts twice
    auto = (shifted.reshape(G, (n - 1) // 2, n) * h.unsqueeze(1)).sum(-1)  # (G, K)
    terms["shift_orth"] = norm_term + 2.0 * auto.pow(2).sum(-1)
    return terms


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
