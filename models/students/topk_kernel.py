"""The top-k linear model on wavelet coefficients, compiled: the inner loop of the deployed series predictor.

:class:`models.students.series.TopKLinearRegressor` predicts from the ``k`` largest coefficients of each band,
sorted, times a weight per band and rank. Sorting every band of every series costs more than the transform;
here a block of series is processed at once, coefficient by coefficient: each coefficient is pushed through
the band's ``k`` running maxima with compare-exchanges (a larger value stays, the smaller moves on), so the
running maxima stay sorted and no comparison depends on a branch. The innermost loop runs over the series of
the block, which the compiler turns into vector instructions.

The values selected equal those of :func:`models.students.series.topk_features`: ``"signed"`` keeps the largest
values, ``"abs"`` the largest magnitudes with their signs, each in descending order (an earlier coefficient
ranks first among equal magnitudes). numba compiles on the first call in a process (a few seconds) and caches
the machine code next to this file (or in ``NUMBA_CACHE_DIR``).
"""

import numba
import numpy as np

from awd_studio.models.validation import InputError

__all__ = ["TopKLinear", "topk_linear_predict"]

#: Series processed together: the running maxima of one band, (k, BLOCK) values, stay in the L1 cache.
BLOCK = 256


@numba.njit(cache=True, nogil=True)
def _predict(coeffs_t, offsets, k, by_abs, weights, intercept, out):
    n_series = coeffs_t.shape[1]
    n_bands, n_targets = offsets.shape[0] - 1, weights.shape[0]
    # the running maxima of the key (value, or magnitude) and their signed values (used with by_abs), in the
    # coefficients' own precision: selection only compares and moves values, so it is exact in either
    top_key = np.empty((k, BLOCK), dtype=coeffs_t.dtype)
    top_val = np.empty((k, BLOCK), dtype=coeffs_t.dtype)
    key = np.empty(BLOCK, dtype=coeffs_t.dtype)
    val = np.empty(BLOCK, dtype=coeffs_t.dtype)
    displaced = np.empty(BLOCK, dtype=np.bool_)  # the value moving down was pushed out of a slot
    acc = np.empty((n_targets, BLOCK))
    probe = np.zeros(BLOCK, dtype=coeffs_t.dtype)  # stays zero unless a coefficient is NaN or infinite
    for b0 in range(0, n_series, BLOCK):
        m = min(BLOCK, n_series - b0)
        for t in range(n_targets):
            acc[t, :m] = intercept[t]
        for band in range(n_bands):
            start, size = offsets[band], offsets[band + 1] - offsets[band]
            kept = min(k, size)
            top_key[:kept, :m] = -np.inf
            top_val[:kept, :m] = 0.0
            for e in range(start, start + size):
                row = coeffs_t[e, b0:b0 + m]
                for s in range(m):
                    probe[s] += row[s] * 0  # 0 * NaN and 0 * inf are NaN (one per lane: no serial sum)
                if by_abs:
                    for s in range(m):
                        val[s] = row[s]
                        key[s] = abs(row[s])
                        displaced[s] = False
                    for r in range(kept):
                        for s in range(m):
                            # equal magnitudes keep their order: the new coefficient (the latest) passes only
                            # strictly smaller ones, a displaced one (earlier than its equals below) also equal
                            new_key, new_val = key[s], val[s]
                            old_key, old_val = top_key[r, s], top_val[r, s]
                            up = (new_key > old_key) | (displaced[s] & (new_key == old_key))
                            top_key[r, s] = new_key if up else old_key
                            top_val[r, s] = new_val if up else old_val
                            key[s] = old_key if up else new_key
                            val[s] = old_val if up else new_val
                            displaced[s] = displaced[s] | up
                else:
                    for s in range(m):
                        key[s] = row[s]
                    for r in range(kept):
                        for s in range(m):
                            old = top_key[r, s]
                            new = key[s]
                            top_key[r, s] = new if new > old else old
                            key[s] = old if new > old else new
            source = top_val if by_abs else top_key
            for t in range(n_targets):
                for r in range(kept):
                    w = weights[t, band, r]
                    for s in range(m):
                        acc[t, s] += w * source[r, s]
        for t in range(n_targets):
            out[b0:b0 + m, t] = acc[t, :m]
    return not np.isnan(probe.sum())


class TopKLinear:
    """A linear model on the ``k`` largest coefficients of each band, with its tables prepared once.

    Parameters
    ----------
    band_sizes : sequence of int
        Length of each band, in PyWavelets order.
    k : int
        Coefficients kept per band.
    by : {"signed", "abs"}
        Largest values, or largest magnitudes.
    weights : array-like of shape (n_targets, n_bands, k)
        Weight of each band and rank (ranks past a band's length are never read).
    intercept : array-like of shape (n_targets,)
    """

    def __init__(self, band_sizes, k, by, weights, intercept):
        self.offsets = np.concatenate(([0], np.cumsum(band_sizes))).astype(np.int64)
        self.k, self.by_abs = int(k), by == "abs"
        self.weights = np.ascontiguousarray(weights, dtype=np.float64)
        self.intercept = np.ascontiguousarray(intercept, dtype=np.float64).reshape(-1)

    def predict(self, coeffs_t):
        """Predictions from coefficients.

        Parameters
        ----------
        coeffs_t : ndarray of shape (M, n), float32 or float64
            Coefficients, one column per series, bands one after another in PyWavelets order (the layout of
            ``W @ X.T``). The selection runs in this precision (it only compares and moves values, so it is
            exact), the linear model in float64.

        Returns
        -------
        ndarray of shape (n, n_targets)

        Raises
        ------
        InputError
            When a coefficient is NaN or infinite (checked on the way, at no extra pass).
        """
        if coeffs_t.dtype != np.float32:
            coeffs_t = coeffs_t.astype(np.float64, copy=False)
        out = np.empty((coeffs_t.shape[1], self.weights.shape[0]))
        if not _predict(np.ascontiguousarray(coeffs_t), self.offsets, self.k, self.by_abs, self.weights,
                        self.intercept, out):
            raise InputError("coefficients", "contain NaN or infinite values",
                             "pass finite series (values so large that the transform overflows count too)")
        return out


def topk_linear_predict(coeffs_t, band_sizes, k, by, weights, intercept):
    """Linear model on the ``k`` largest coefficients of each band (:class:`TopKLinear` in one call).

    Parameters
    ----------
    coeffs_t : ndarray of shape (M, n), float32 or float64
        See :meth:`TopKLinear.predict`.
    band_sizes : sequence of int
        Length of each band; they sum to M.
    k : int
    by : {"signed", "abs"}
    weights : ndarray of shape (n_targets, n_bands, k)
    intercept : ndarray of shape (n_targets,)

    Returns
    -------
    ndarray of shape (n, n_targets)

    Examples
    --------
    >>> coeffs = np.array([[1.0, -5.0, 3.0]]).T  # one series, one band of three coefficients
    >>> topk_linear_predict(coeffs, [3], 2, "signed", np.array([[[1.0, 10.0]]]), np.zeros(1))
    array([[13.]])
    """
    return TopKLinear(band_sizes, k, by, weights, intercept).predict(coeffs_t)
