"""Differentiable discrete wavelet transforms in 1D and 2D, in PyWavelets' layout and modes.

Everything here is a pure function of tensors: the signal ``x`` and the lowpass filter ``h`` may both require
gradients (also second order: the AWD trainer differentiates a gradient taken with respect to the
coefficients with respect to ``h``), and everything runs on whatever device the tensors live on.

Conventions
-----------
Filters
    ``h`` is the lowpass *reconstruction* filter of PyWavelets (``pywt.Wavelet(w).rec_lo``), of even length
    ``N``. The highpass is ``g[n] = (-1)**n * h[N - 1 - n]``, which equals ``rec_hi`` for PyWavelets'
    orthogonal families (db, sym, coif, haar). The analysis filters are the time-reversed ``h`` and ``g``
    (``dec_lo``, ``dec_hi``), so one analysis level is a *correlation* with ``h`` and ``g`` followed by
    keeping every other sample; synthesis uses ``h`` and ``g`` themselves.
Batching
    ``h`` is ``(N,)`` or ``(G, N)``: G filters (the lambda x gamma grid) transformed in one call, never with a
    Python loop over G. With ``h`` of shape ``(N,)`` a signal batch ``x`` of shape ``(B, L)`` gives
    coefficients ``(B, n_j)``; with ``h`` of shape ``(G, N)`` it gives ``(G, B, n_j)``, and ``x`` may then also
    be ``(G, B, L)`` (a different batch per filter). The same rule holds in 2D with ``(B, H, W)`` maps.
Coefficient layout (PyWavelets)
    1D ``[cA_J, cD_J, ..., cD_1]``; 2D ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]`` where ``cH``
    is highpass along H (rows index, axis -2) and lowpass along W, ``cV`` lowpass along H and highpass along
    W, ``cD`` highpass along both.
Modes (PyWavelets' names and numbers, checked to 1e-10 against ``pywt.wavedec``/``wavedec2`` in float64)
    ``"periodization"`` (default): ``ceil(n / 2)`` coefficients per level; an odd-length level is first
    extended by repeating its last sample, exactly like PyWavelets; orthonormal (``W^T W = I``) whenever all
    levels have even length, and exactly invertible at every level, including levels shorter than the
    filter (the filter then wraps around the signal more than once).
    ``"zero"`` and ``"symmetric"``: ``floor((n + N - 1) / 2)`` coefficients per level, zero padding or
    half-sample symmetric extension (reflected as often as needed); exactly invertible (redundant).
Depth
    :func:`max_level` is the number of levels over which the approximation keeps getting shorter, the one
    level limit of the project. It is more permissive than ``pywt.dwt_max_level`` (the deepest level free of
    boundary effects, where PyWavelets only warns): the paper uses J = 4 levels of db5 (N = 10) on
    length-64 signals, two more than ``pywt.dwt_max_level(64, 10)``.
Paths
    ``"dense"`` builds the whole multi-level operator ``W(h)`` (:func:`analysis_matrix`) and applies it with
    one matmul (short signals, the trainer's case: about 4x faster than convolutions at L = 64 on a CPU);
    ``"matrix"`` applies one single-level operator per level (used for 2D, separably along each axis, never an
    ``(H W) x (H W)`` matrix); ``"conv"`` uses strided convolutions (large inputs). ``path="auto"`` chooses
    by size: dense up to :data:`DENSE_MAX_LENGTH` samples, then per-level operators for levels up to 256
    samples and convolutions above. All three give the same numbers.

Modules
-------
``sizes`` (modes, coefficient lengths, the level limit), ``paths`` (which path, by size), ``tables`` (cached
index tables and linear maps), ``inputs`` (argument checks), ``levels`` (one level along an axis),
``operators`` (dense W(h), S(h) and their pullbacks), ``transform1d`` and ``transform2d`` (the public API).
Import the public names from here: ``from models import wavelets; wavelets.wavedec1d(...)``.
"""

from awd_studio.models.wavelets.operators import (
    analysis_matrix,
    analysis_matrix_factors,
    analysis_matrix_pullback,
    synthesis_matrix,
    synthesis_matrix_factors,
    synthesis_matrix_pullback,
)
from awd_studio.models.wavelets.paths import DENSE_MAX_LENGTH, PATHS

# private names used outside the package: models.filters checks its level with _check_int, and the tests
# read the table cache (_analysis_entries.cache_info)
from awd_studio.models.wavelets.sizes import (
    MODES,
    _check_int,  # noqa: F401
    check_level,
    coeff_lengths,
    max_level,
)
from awd_studio.models.wavelets.tables import _analysis_entries  # noqa: F401
from awd_studio.models.wavelets.transform1d import concat_coeffs, dwt1d, idwt1d, split_coeffs, wavedec1d, waverec1d
from awd_studio.models.wavelets.transform2d import dwt2d, idwt2d, wavedec2d, waverec2d

__all__ = [
    "MODES",
    "PATHS",
    "DENSE_MAX_LENGTH",
    "coeff_lengths",
    "max_level",
    "check_level",
    "dwt1d",
    "idwt1d",
    "wavedec1d",
    "waverec1d",
    "dwt2d",
    "idwt2d",
    "wavedec2d",
    "waverec2d",
    "analysis_matrix",
    "synthesis_matrix",
    "analysis_matrix_factors",
    "analysis_matrix_pullback",
    "synthesis_matrix_factors",
    "synthesis_matrix_pullback",
    "split_coeffs",
    "concat_coeffs",
]
