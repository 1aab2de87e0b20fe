"""Which evaluation path a transform takes: the path names and the size thresholds of ``path="auto"``.

Three paths give the same numbers. ``"dense"`` builds the whole multi-level operator ``W(h)`` and applies it
with one matmul (1D only); ``"matrix"`` applies one single-level operator per level (separably along each
axis in 2D, never an ``(H W) x (H W)`` matrix); ``"conv"`` uses strided convolutions. This module is the
one place that decides between them by size.

The thresholds were measured on one CPU core (forward + backward of wavedec1d + waverec1d, db5, J = 4,
B = 100, G = 25, float32): L = 64 dense 15 ms, per-level matrix 15 ms, conv 67 ms; L = 256 dense 286 ms,
matrix 122 ms, conv 163 ms; L = 512 matrix 284 ms, conv 234 ms. 2D (B = 16, G = 10, 128 x 128): matrix
0.67 s, conv 1.2 s; 512 x 512 (B = G = 2): matrix 0.63 s, conv 0.47 s.
"""

__all__ = ["PATHS", "DENSE_MAX_LENGTH"]

#: Names accepted by the ``path`` argument of the transforms.
PATHS = ("auto", "dense", "matrix", "conv")

#: Signal length up to which ``path="auto"`` evaluates a 1D multi-level transform (wavedec1d, waverec1d)
#: with the dense operator ``W(h)`` (:func:`~models.wavelets.analysis_matrix`), provided the operators of
#: all G filters stay within ``_DENSE_MAX_ELEMENTS``. Longer signals go level by level. This decides one
#: call of a transform; a caller that builds ``W(h)`` once and reuses it (the trainer's closed-form step)
#: has its own break-even and states it beside its own code.
DENSE_MAX_LENGTH = 64

#: Budget of ``G * M * L`` entries of the dense operators under ``path="auto"``.
_DENSE_MAX_ELEMENTS = 2**24

#: Axis length up to which ``path="auto"`` uses per-level operators; strided convolutions above.
_MATRIX_MAX_LENGTH = 256


def _check_path(path):
    if path not in PATHS:
        raise ValueError(f"path: unknown path {path!r}; pass one of {', '.join(PATHS)}")


def _use_dense(path, length, n_filters, n_coeffs):
    """Whether a 1D multi-level transform of ``length`` samples and ``n_coeffs`` coefficients takes ``W(h)``."""
    return path == "dense" or (path == "auto" and length <= DENSE_MAX_LENGTH
                               and n_filters * n_coeffs * length <= _DENSE_MAX_ELEMENTS)


def _use_matrix(path, n):
    """Whether one level along an axis of ``n`` samples uses its operator matrix (else a convolution)."""
    return path == "matrix" or path == "dense" or (path == "auto" and n <= _MATRIX_MAX_LENGTH)
