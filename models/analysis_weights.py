"""What each wavelet coefficient reads: its analysis weights on the input samples and where their energy sits.

A coefficient of the discrete wavelet transform is a linear function of the input, ``c = Σ_t w_t x_t``. Its
weights ``w`` (one row of the transform applied to the identity) say which samples it reads. For
extremal-phase wavelets (db5, the default) they are lopsided: the energy ``w_t²`` sits near one end of the
filter's support, so the support's middle is a poor guide to where a coefficient looks. Here the weights are
computed exactly, in float64, with the same level operators as :mod:`models.wavelets` (its tables of where
each tap lands, in every boundary mode, chained level by level as sparse matrices, so long inputs cost
``O(J N L)`` memory, not ``L²``), and summarised by their *energy centroid*.

Layouts follow PyWavelets: :func:`analysis_weights` returns ``[cA_J, cD_J, ..., cD_1]``; :func:`level_weights`
returns, per level j = 1..J, the approximation and detail weights ``(cA_j, cD_j)`` (what the separable 2-D
transform combines along each axis). Weights are ``scipy.sparse.csr_array`` of shape ``(n_j, L)``: row o of a
band holds coefficient o's weight on each input sample, every boundary extension folded back onto the samples
it copies (periodization's wrap and repeated last sample, symmetric mode's mirror images; zero padding reads
nothing).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse

from awd_studio.models.wavelets.operators import analysis_matrix
from awd_studio.models.wavelets.sizes import _check_int, _check_mode, check_level, coeff_lengths
from awd_studio.models.wavelets.tables import _analysis_entries

__all__ = ["level_weights", "analysis_weights", "energy_centroids", "level_centroids", "band_centroids",
           "energy_shares", "in_input_shares", "DENSE_MAX_LENGTH"]

#: A coefficient whose energy on the input is below this share of its band's largest reads (numerically)
#: nothing: it gets its nominal centre, and spreads nothing on an activation map.
NO_WEIGHT = 1e-24

#: Inputs up to this many samples take the dense analysis matrix in :func:`in_input_shares`: for the CME example's
#: 40 samples one product instead of the sparse chain's set-up, about a fifth of the teacher-free control's time on
#: one thread (the candidates of each of its 300 wavelets, py-spy, 2026-12-07).
DENSE_MAX_LENGTH = 256


def _as_lowpass(h) -> np.ndarray:
    """``h`` as a float64 vector of even length >= 2 (torch tensors are converted)."""
    if hasattr(h, "detach"):
        h = h.detach().cpu().numpy()
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 1 or h.size < 2 or h.size % 2 or not np.isfinite(h).all():
        raise ValueError(f"h: expected a finite lowpass filter of even length >= 2, got shape {h.shape}")
    return h


def _level_operators(h, n, mode):
    """One analysis level on ``n`` samples as two sparse ``(m, n)`` matrices: lowpass and highpass rows."""
    filter_len = h.size
    pos, taps, m = _analysis_entries(n, filter_len, mode)
    rows, cols = np.divmod(pos, n)
    g = (-1.0) ** np.arange(filter_len) * h[::-1]  # the highpass of models.wavelets: g[t] = (-1)^t h[N-1-t]
    lo = sparse.csr_array((h[taps], (rows, cols)), shape=(m, n))  # repeated (row, col) pairs are summed
    hi = sparse.csr_array((g[taps], (rows, cols)), shape=(m, n))
    return lo, hi


def level_weights(h, length, levels, mode="periodization"):
    """Analysis weights of the approximation and detail coefficients of every level.

    Parameters
    ----------
    h : array-like of shape (N,)
        Lowpass reconstruction filter (PyWavelets' ``rec_lo``; a learned filter as the bundle stores it).
    length : int
        Input length L (samples, or pixels along one axis of a map).
    levels : int
        Number of levels J (at most :func:`models.wavelets.max_level`).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    list of (csr_array, csr_array)
        Entry ``j - 1`` is ``(A_j, D_j)``, each of shape ``(n_j, L)``: ``A_j @ x`` is ``cA_j`` and ``D_j @ x``
        is ``cD_j`` of ``pywt.wavedec(x, ..., level=j, mode=mode)``, exactly (float64).

    Examples
    --------
    >>> A1, D1 = level_weights([2 ** -0.5, 2 ** -0.5], 4, 1)[0]  # Haar: pairs of samples
    >>> np.round(A1.toarray() * 2 ** 0.5, 12).tolist()
    [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
    """
    _check_mode(mode)
    h = _as_lowpass(h)
    length = _check_int(length, "length", 1)
    levels = check_level(length, h.size, levels, mode)
    identity = np.arange(length)
    out, previous, n = [], sparse.csr_array((np.ones(length), (identity, identity)), shape=(length, length)), length
    for _ in range(levels):
        lo, hi = _level_operators(h, n, mode)
        approx, detail = (lo @ previous).tocsr(), (hi @ previous).tocsr()
        out.append((approx, detail))
        previous, n = approx, approx.shape[0]
    return out


def analysis_weights(h, length, levels, mode="periodization"):
    """Analysis weights of every coefficient, in PyWavelets' layout ``[cA_J, cD_J, ..., cD_1]``.

    Parameters
    ----------
    h, length, levels, mode
        As in :func:`level_weights`.

    Returns
    -------
    list of csr_array
        J + 1 arrays of shape ``(n_j, L)``; stacked, they are :func:`models.wavelets.analysis_matrix`.
    """
    return _pywt_layout(level_weights(h, length, levels, mode))


def in_input_shares(h, length, levels, mode="periodization"):
    """How much of each coefficient's (unit-energy) analysis filter falls on the input: ``sum_t w_t^2``, in [0, 1].

    In zero and symmetric modes a band's boundary coefficients reach past the input's ends (zero padding reads
    nothing; a mirror image folds back, clipped at 1); in periodization every coefficient reads the input whole.

    Parameters
    ----------
    h, length, levels, mode
        As in :func:`level_weights`.

    Returns
    -------
    list of ndarray
        J + 1 arrays of shape ``(n_j,)`` in PyWavelets' layout ``[cA_J, cD_J, ..., cD_1]``.

    Examples
    --------
    >>> haar = [2 ** -0.5, 2 ** -0.5]
    >>> [a.tolist() for a in in_input_shares(haar, 4, 1, "zero")]
    [[1.0, 1.0], [1.0, 1.0]]

    Inputs of up to :data:`DENSE_MAX_LENGTH` samples take the rows of the dense analysis matrix
    (:func:`models.wavelets.analysis_matrix`, the same weights to rounding), longer ones the sparse chain.
    """
    h = _as_lowpass(h)
    if _check_int(length, "length", 1) <= DENSE_MAX_LENGTH:
        _check_mode(mode)
        rows = analysis_matrix(torch.from_numpy(h), length, check_level(length, h.size, levels, mode), mode).numpy()
        energy = np.einsum("ij,ij->i", rows, rows)
        bounds = np.cumsum(coeff_lengths(length, h.size, levels, mode))[:-1]
        return [np.clip(band, 0.0, 1.0) for band in np.split(energy, bounds)]
    return [np.clip(np.asarray(w.multiply(w).sum(axis=1)).ravel(), 0.0, 1.0)
            for w in analysis_weights(h, length, levels, mode)]


def _pywt_layout(per_level):
    """Per-level ``(approximation, detail)`` pairs, j = 1..J, as PyWavelets' ``[cA_J, cD_J, ..., cD_1]``."""
    return [per_level[-1][0]] + [detail for _, detail in per_level[::-1]]


def _reads_nothing(total):
    """Which coefficients of a band, with energies ``total``, read (numerically) nothing: below
    :data:`NO_WEIGHT` of the band's largest."""
    return total <= NO_WEIGHT * max(float(total.max(initial=0.0)), np.finfo(float).tiny)


def _nominal_centres(count, level, filter_len, mode):
    """The middle of the samples a band's filters span, boundary extension included (the former placement):
    ``2^j o + (2^j − 1)(3 − N) / 2``, with N = 2 in periodization."""
    step = 2 ** level
    n_taps = 2 if mode == "periodization" else filter_len
    return step * np.arange(count) + (step - 1) * (3 - n_taps) / 2


def _row_energy(weights):
    """Rows, sample positions and squared weights of the nonzeros of a csr array, and each row's total."""
    energy = weights.multiply(weights).tocsr()
    rows = np.repeat(np.arange(energy.shape[0]), np.diff(energy.indptr))
    total = np.bincount(rows, weights=energy.data, minlength=energy.shape[0])
    return rows, energy.indices.astype(np.float64), energy.data, total


def energy_centroids(weights, level, filter_len, mode="periodization"):
    """Each coefficient's energy centroid ``Σ_t t w_t² / Σ_t w_t²`` over the input samples.

    Parameters
    ----------
    weights : sparse or dense array of shape (n_j, L)
        One band's analysis weights (:func:`analysis_weights`).
    level : int
        The band's level j (for the nominal centre of a coefficient that reads nothing).
    filter_len : int
        Filter length N (likewise).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
        In periodization positions are circular: each sample is counted at its image within half a period of
        the energy's circular mean, so a coefficient that reads samples ``L − 2 … L − 1, 0, 1`` is centred
        between them, not in the middle of the series; the centroid is then brought into ``[−0.5, L − 0.5)``.
        The circular mean, not the nominal centre, is the reference: at deep levels the nominal centre can be
        half a period from where the energy sits, and the tail on the far side would then pull the centroid.

    Returns
    -------
    ndarray of shape (n_j,)
        Centroids in samples of the input (0 = the first sample). A coefficient with no weight on the input
        (less than :data:`NO_WEIGHT` of its band's largest energy, e.g. one that reads zero padding only)
        gets its nominal centre ``2^j o + (2^j − 1)(3 − N)/2`` (N = 2 in periodization), which may lie outside
        the input.

    Examples
    --------
    >>> haar = [2 ** -0.5, 2 ** -0.5]
    >>> np.round(energy_centroids(analysis_weights(haar, 16, 2)[0], 2, 2), 9).tolist()  # the middle of 4 samples
    [1.5, 5.5, 9.5, 13.5]
    """
    _check_mode(mode)
    weights = sparse.csr_array(weights)
    count, length = weights.shape
    rows, t, energy, total = _row_energy(weights)
    nominal = _nominal_centres(count, int(level), int(filter_len), mode)
    empty = _reads_nothing(total)
    safe = np.where(empty, 1.0, total)
    if mode != "periodization":
        centres = np.bincount(rows, weights=energy * t, minlength=count) / safe
        return np.where(empty, nominal, centres)
    angle = 2 * np.pi * t / length
    cos = np.bincount(rows, weights=energy * np.cos(angle), minlength=count)
    sin = np.bincount(rows, weights=energy * np.sin(angle), minlength=count)
    spread_evenly = np.hypot(cos, sin) <= 1e-9 * safe  # no circular mean: measure around the nominal centre
    reference = np.where(spread_evenly, nominal, np.arctan2(sin, cos) * length / (2 * np.pi))
    offset = np.mod(t - reference[rows] + length / 2, length) - length / 2
    centres = reference + np.bincount(rows, weights=energy * offset, minlength=count) / safe
    return np.where(empty, nominal, np.mod(centres + 0.5, length) - 0.5)


def level_centroids(h, length, levels, mode="periodization"):
    """Energy centroids of the approximation and detail coefficients of every level (maps: one axis).

    Parameters
    ----------
    h, length, levels, mode
        As in :func:`level_weights`.

    Returns
    -------
    list of (ndarray, ndarray)
        Entry ``j - 1`` is ``(centres of cA_j, centres of cD_j)``, each of shape ``(n_j,)``, in samples.
    """
    filter_len = _as_lowpass(h).size
    return [(energy_centroids(a, j, filter_len, mode), energy_centroids(d, j, filter_len, mode))
            for j, (a, d) in enumerate(level_weights(h, length, levels, mode), start=1)]


def band_centroids(h, length, levels, mode="periodization"):
    """Energy centroids of every band, in PyWavelets' layout ``[cA_J, cD_J, ..., cD_1]``.

    Parameters
    ----------
    h, length, levels, mode
        As in :func:`level_weights`.

    Returns
    -------
    list of ndarray
        J + 1 arrays of shape ``(n_j,)``, in samples of the input.

    Examples
    --------
    >>> import pywt
    >>> db5 = pywt.Wavelet("db5").rec_lo
    >>> float(np.round(band_centroids(db5, 64, 3)[0][7], 1))  # cA_3's coefficient 7 reads around t = 39
    38.9
    """
    return _pywt_layout(level_centroids(h, length, levels, mode))


def energy_shares(weights):
    """Each coefficient's squared weights normalised to sum 1 over the input: where its magnitude is spread.

    Parameters
    ----------
    weights : sparse or dense array of shape (n_j, L)

    Returns
    -------
    csr_array of shape (n_j, L)
        Row o is ``w_t² / Σ_t w_t²``; a row with no weight (see :func:`energy_centroids`) is all zero.
    """
    energy = sparse.csr_array(weights)
    energy = energy.multiply(energy).tocsr()
    total = np.asarray(energy.sum(axis=1)).ravel()
    empty = _reads_nothing(total)
    scale = np.where(empty, 0.0, 1.0 / np.where(empty, 1.0, total))
    energy.data *= np.repeat(scale, np.diff(energy.indptr))
    return energy
