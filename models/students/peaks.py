"""The map student's statistics: the peaks of raw maps, the 3x3 responses read at them, and their histograms.

docs/science.md, "Map student" (after Ribli et al. 2019): a peak is an interior pixel strictly above
its 8 neighbours; at each peak one or more 3x3 filters are read (the Laplace kernel :data:`LAPLACE_KERNEL`,
AWD's sub-filters, or the baselines' Roberts-cross response and raw peak heights) and binned per map. From the
four sub-filters the ``"magnitude"`` response reads two numbers instead of four: the LL response and the detail
magnitude ``sqrt(LH² + HL² + HH²)``. Whole
sets of maps are counted in one compiled pass (:mod:`models.students.peak_kernel`); :func:`peak_patches`
finds the peaks once, for fitting many students on the same maps (:mod:`models.students.maps`).

Conventions
-----------
* Filtering is **2-D correlation** (the kernel is not flipped) over the valid region:
  ``out[n, i, j] = sum_{a,b} K[a, b] * m[n, i + a, j + b]``, so ``out[:, i, j]`` belongs to the interior
  pixel ``(i + 1, j + 1)``. Correlation and convolution agree only for kernels that equal their
  180-degree rotation (the Laplace kernel, and LL when ``h3`` is symmetric); for the sub-filters of an
  asymmetric wavelet such as db5 the rotated kernel is a different filter, not a sign change. AWD's kernels,
  the initial wavelet's and the baselines all go through the same correlation.
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral

import numpy as np

from awd_studio.models.students._common import _to_numpy
from awd_studio.models.validation import InputError

__all__ = ["LAPLACE_KERNEL", "RESPONSES", "PeakPatches", "peak_patches", "bin_peak_values", "bin_peak_values_ranges",
           "peak_histograms"]

#: Laplace peak-finding kernel of Ribli et al. (docs/science.md, map student).
LAPLACE_KERNEL = (10.0 / 3.0) * np.array([[-0.05, -0.2, -0.05],
                                          [-0.2, 1.0, -0.2],
                                          [-0.05, -0.2, -0.05]])

#: What the map student can read at a peak (:func:`peak_histograms`, :class:`PeakCountRegressor`).
RESPONSES = ("kernels", "raw", "roberts", "magnitude")


def _check_maps(maps, field="maps", keep_float32=False):
    """(n, H, W) finite float maps (float64, or float32 kept as it is with ``keep_float32``)."""
    if not (keep_float32 and isinstance(maps, np.ndarray) and maps.dtype == np.float32):
        maps = _to_numpy(maps)
    if maps.ndim == 2:
        maps = maps[None]
    if maps.ndim != 3 or maps.shape[1] < 3 or maps.shape[2] < 3:
        raise InputError(field, f"has shape {maps.shape}", "pass maps shaped (n, H, W) with H, W >= 3")
    if maps.shape[0] == 0:
        raise InputError(field, "holds no maps", "pass at least one map")
    if not np.isfinite(maps).all():
        raise InputError(field, "contains NaN or infinite values", "pass finite maps")
    return maps


def _interior_peaks(maps):
    """(n, H - 2, W - 2) bool: interior pixels strictly above their 8 neighbours."""
    # the largest of the 8 neighbours, separably: 3-wide row maxima above and below, then left and right
    rows = np.maximum(np.maximum(maps[:, :, :-2], maps[:, :, 1:-1]), maps[:, :, 2:])  # (n, H, W - 2)
    neighbours = np.maximum(np.maximum(rows[:, :-2], rows[:, 2:]),
                            np.maximum(maps[:, 1:-1, :-2], maps[:, 1:-1, 2:]))
    return maps[:, 1:-1, 1:-1] > neighbours



#: Input values whose peaks :func:`_peak_patches` finds at once (the neighbour maxima are temporaries of that
#: size): 64 maps of 64 x 64 per chunk.
PEAK_CHUNK_VALUES = 2**18


def _peak_patches(maps):
    """3x3 neighbourhoods of all peaks as rows of 9 values, (n_peaks, 9), and the map index of each peak."""
    n, h, w = maps.shape
    chunk = max(1, PEAK_CHUNK_VALUES // (h * w))
    inner = np.concatenate([np.flatnonzero(_interior_peaks(maps[start:start + chunk])) + start * (h - 2) * (w - 2)
                            for start in range(0, n, chunk)])  # index into (n, h - 2, w - 2)
    sample, rest = np.divmod(inner, (h - 2) * (w - 2))
    interior, offsets = _patch_tables(h, w)
    centre = sample * (h * w) + interior[rest]  # peaks are interior: all 9 neighbours are in the same map
    patches = maps.ravel()[centre[:, None] + offsets]
    return patches, sample


@lru_cache(maxsize=32)
def _patch_tables(h, w):
    """Flat index in an (h, w) map of each interior pixel, and the (1, 9) flat offsets of a 3x3 patch."""
    interior = ((np.arange(1, h - 1)[:, None]) * w + np.arange(1, w - 1)[None, :]).ravel()
    offsets = (np.arange(-1, 2)[:, None] * w + np.arange(-1, 2)[None, :]).reshape(1, 9)
    return interior, offsets


def _height_quantiles(heights):
    """The 0.5th and 99.5th percentiles of peak heights, shape (2,), or ``None`` without peaks."""
    return np.quantile(heights, [0.005, 0.995]) if heights.size else None


def _kernel_matrix(kernels):
    """(9, C) matrix whose columns are the flattened 3x3 kernels."""
    return np.stack([k.reshape(9) for k in kernels], axis=1)


def never_negative_at_peaks(kernel) -> bool:
    """Whether a 3 x 3 kernel's response is at least 0 at every peak, whatever the map.

    At a peak the centre x₀ is above its neighbours xᵢ, and the response is
    ``Σᵢ kᵢ (xᵢ − x₀) + (Σ k) x₀``: a kernel with a centre tap of at least 0, no positive neighbour tap and taps
    summing to 0 (the Laplace kernel) gives a sum of terms ≥ 0. Any other kernel (the wavelet's LL, a
    mean-centred detail sub-filter) can respond below 0 at a peak.

    Parameters
    ----------
    kernel : array-like of shape (3, 3)

    Returns
    -------
    bool

    Examples
    --------
    >>> never_negative_at_peaks(LAPLACE_KERNEL), never_negative_at_peaks(np.full((3, 3), 1 / 9))
    (True, False)
    """
    k = np.asarray(kernel, dtype=np.float64).reshape(9)
    neighbours = np.delete(k, 4)
    return bool(k[4] >= 0 and (neighbours <= 0).all() and abs(k.sum()) <= 1e-12 * np.abs(k).max())


def _patch_responses(patches, response, kernel_matrix):
    """Responses at the centre of each (n_peaks, 9) patch: (C, n_peaks), one row per channel.

    ``"magnitude"`` gives two channels from the kernels (LL, LH, HL, HH): the first kernel's response and the
    Euclidean norm of the other kernels' responses, ``sqrt(LH² + HL² + HH²)``.
    """
    if response == "raw":
        return patches[:, 4][None]
    if response == "roberts":
        p = patches.reshape(-1, 3, 3)
        a, b = p[:, :-1, :-1], p[:, :-1, 1:]
        c, d = p[:, 1:, :-1], p[:, 1:, 1:]
        return np.sqrt((b - c) ** 2 + (a - d) ** 2).sum(axis=(1, 2))[None]
    linear = (patches @ kernel_matrix).T
    if response == "magnitude":  # kernel 0's response, then the norm of the others' (LL; |(LH, HL, HH)|)
        return np.stack([linear[0], np.sqrt(np.einsum("cp,cp->p", linear[1:], linear[1:]))])
    return linear


class PeakPatches:
    """The peaks of a set of maps, found once: their 3x3 neighbourhoods and the map each belongs to.

    A subset (:meth:`subset`) remembers where it came from (``parent``, ``peak_index``, ``rows``), so that a
    student fitted on many subsets of the same peaks (cross-validation folds) can compute what does not depend
    on the fold once on the parent (:class:`models.students.maps.PeakCountRegressor`); its own patches are
    only copied out of the parent when asked for.

    Attributes
    ----------
    patches : ndarray of shape (n_peaks, 9)
        Neighbourhoods row by row (the centre, index 4, is the peak height).
    sample : ndarray of int, shape (n_peaks,)
        Map index of each peak.
    n_maps : int
    parent : PeakPatches or None
        The peaks this is a subset of.
    peak_index : ndarray of int or None
        Position of each peak in ``parent``.
    rows : ndarray of int or None
        Map index in ``parent`` of each map, in this subset's order.
    """

    def __init__(self, patches, sample, n_maps, parent=None, peak_index=None, rows=None):
        self._patches, self.sample, self.n_maps = patches, np.asarray(sample, dtype=np.int64), int(n_maps)
        self.parent, self.peak_index, self.rows = parent, peak_index, rows
        self._cached_height_quantiles = False  # not computed yet

    @property
    def patches(self):
        """The (n_peaks, 9) neighbourhoods (a subset copies its rows out of the parent on first use)."""
        if self._patches is None:
            self._patches = self.parent.patches[self.peak_index]
        return self._patches

    @property
    def height_quantiles(self):
        """The 0.5th and 99.5th percentiles of the peak heights, shape (2,), or ``None`` without peaks.

        Computed once per object: students fitted on the same peaks (cross-validation over filters) share it.
        """
        if self._cached_height_quantiles is False:
            heights = (self.parent.patches[self.peak_index, 4] if self._patches is None
                       else self._patches[:, 4])
            self._cached_height_quantiles = _height_quantiles(heights)
        return self._cached_height_quantiles

    def subset(self, indices, height_quantiles=None):
        """The peaks of the maps ``indices`` (in that order), renumbered 0..len(indices) - 1.

        ``height_quantiles``: the subset's :attr:`height_quantiles` when already known (they are then not
        computed again).
        """
        indices = np.asarray(indices, dtype=np.int64)
        position = np.full(self.n_maps, -1, dtype=np.int64)
        position[indices] = np.arange(len(indices))
        new = position[self.sample]
        keep = np.flatnonzero(new >= 0)
        out = PeakPatches(None, new[keep], len(indices), parent=self, peak_index=keep, rows=indices)
        if height_quantiles is not None:
            out._cached_height_quantiles = height_quantiles
        return out


def peak_patches(maps):
    """Find the peaks of raw maps once, for :meth:`PeakCountRegressor.fit_peaks`.

    Parameters
    ----------
    maps : array-like of shape (n, H, W)

    Returns
    -------
    PeakPatches
    """
    maps = _check_maps(maps)
    patches, sample = _peak_patches(maps)
    return PeakPatches(patches, sample, maps.shape[0])


def bin_peak_values(values, sample, n_maps, bin_range, bins, lows=None):
    """Per-map histograms of responses at peaks, binned like the compiled pass of :meth:`PeakCountRegressor.fit`.

    The binning is compiled too (:func:`models.students.peak_kernel.bin_values`, the same arithmetic).

    Parameters
    ----------
    values : ndarray of shape (C, n_peaks)
        Responses, one row per channel.
    sample : ndarray of int, shape (n_peaks,)
        Map of each peak.
    n_maps : int
    bin_range : (float, float)
        ``[lo, hi]``; ``hi`` falls in the last bin, values outside are dropped.
    bins : int
    lows : array-like of shape (C,), optional
        A lower bound per channel instead of ``lo``.

    Returns
    -------
    ndarray of shape (n_maps, C * bins), float64
    """
    return bin_peak_values_ranges(values, sample, n_maps, [bin_range], bins, [lows])[0]


def bin_peak_values_ranges(values, sample, n_maps, bin_ranges, bins, lows=None):
    """:func:`bin_peak_values` over several ranges in one pass over the responses (equal to one call per range).

    Parameters
    ----------
    values : ndarray of shape (C, n_peaks)
    sample : ndarray of int, shape (n_peaks,)
    n_maps : int
    bin_ranges : sequence of R (float, float)
    bins : int
    lows : sequence of R entries, each None or array-like of shape (C,), optional

    Returns
    -------
    list of R ndarrays of shape (n_maps, C * bins), float64
    """
    from awd_studio.models.students.peak_kernel import bin_values_ranges  # numba: loaded where it is used (113 MiB)

    return bin_values_ranges(values, sample, n_maps, bin_ranges, bins, lows)


def _check_range(bin_range):
    try:
        lo, hi = (float(v) for v in bin_range)
    except (TypeError, ValueError):
        raise InputError("bin_range", f"must be (low, high), got {bin_range!r}", "pass e.g. (0, 0.025)") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError("bin_range", f"needs finite low < high, got {bin_range!r}", "pass e.g. (0, 0.025)")
    return lo, hi


def peak_histograms(maps, kernels=None, bins=22, bin_range=(0.0, 0.025), response="kernels"):
    """Histograms of filter responses at the peaks, concatenated over kernels.

    Parameters
    ----------
    maps : array-like of shape (n, H, W)
        Raw maps (peaks are found on them).
    kernels : sequence of (3, 3) arrays or dict of them, optional
        One histogram per kernel; default ``[LAPLACE_KERNEL]``. Read for ``response="kernels"`` and
        ``"magnitude"`` (which needs four), ignored otherwise.
    bins : int, default=22
    bin_range : (float, float), default=(0, 0.025)
        Histogram range; values outside are not counted, the upper edge is included.
    response : {"kernels", "raw", "roberts", "magnitude"}, default="kernels"
        ``"magnitude"`` takes four kernels (LL, LH, HL, HH, e.g. ``subfilters_3x3(h)``) and histograms two
        channels: the LL response and the detail magnitude ``sqrt(LH² + HL² + HH²)``, over the same range.

    Returns
    -------
    histograms : ndarray of shape (n, n_channels * bins)
        Peak counts per bin (float64), channel after channel.
    """
    lo, hi = _check_range(bin_range)
    if isinstance(bins, bool) or not isinstance(bins, Integral) or bins < 1:
        raise InputError("bins", f"must be a positive integer, got {bins!r}", "pass e.g. 22")
    if response not in RESPONSES:
        raise InputError("response", f"unknown response {response!r}", "use " + ", ".join(map(repr, RESPONSES)))
    columns = None
    if response in ("kernels", "magnitude"):
        kernel_list = _kernel_list(kernels)
        if response == "magnitude":
            _check_magnitude_kernels(kernel_list)
        columns = _kernel_matrix(kernel_list)
    return _count_peaks(_check_maps(maps, keep_float32=True), columns, response, (lo, hi), bins)


def _channel_of_kernel(response, n_kernels):
    """The histogram channel each kernel's response feeds: its own, or for ``"magnitude"`` LL's 0 and the
    three detail sub-filters' 1 (their norm)."""
    return np.array([0, 1, 1, 1]) if response == "magnitude" else np.arange(n_kernels)


def _count_peaks(maps, kernel_columns, response, bin_range, bins, channel_scale=None, lows=None):
    """Peak histograms of checked maps, counted in one compiled pass (:mod:`models.students.peak_kernel`).

    ``channel_scale``: what each channel's responses are divided by before binning (``None``: nothing), folded
    into the kernels (each response, and so the magnitude's norm, is linear in its kernel). ``lows``: a lower
    bound per channel instead of ``bin_range``'s (``None``: that one for all).
    """
    return _count_peaks_ranges(maps, kernel_columns, response, [bin_range], bins, channel_scale, [lows])[0]


def _count_peaks_ranges(maps, kernel_columns, response, bin_ranges, bins, channel_scale=None, lows=None):
    """:func:`_count_peaks` over several ranges in one compiled pass (the peaks found and their responses computed
    once); ``lows``: one entry (None or per-channel bounds) per range, or None. A list of (n, F) histograms."""
    from awd_studio.models.students.peak_kernel import peak_count_histograms_ranges  # numba: loaded where it is used

    if response == "roberts":
        return peak_count_histograms_ranges(maps, None, bin_ranges, bins, "roberts", lows)
    if channel_scale is not None and kernel_columns is not None:
        scale = np.asarray(channel_scale, dtype=np.float64)
        kernel_columns = kernel_columns / scale[_channel_of_kernel(response, kernel_columns.shape[1])][None, :]
    rows = np.eye(9)[4:5] if response == "raw" else kernel_columns.T  # raw heights: the centre tap
    return peak_count_histograms_ranges(maps, rows, bin_ranges, bins,
                                        "magnitude" if response == "magnitude" else "kernels", lows)


def _check_magnitude_kernels(kernels):
    """The ``"magnitude"`` response reads four kernels: LL, then the three detail sub-filters."""
    if len(kernels) != 4:
        raise InputError("kernels", f"holds {len(kernels)} kernels, but response='magnitude' reads four",
                         "pass the four sub-filters LL, LH, HL, HH, e.g. subfilters_3x3(h)")
    return kernels


def _kernel_list(kernels):
    if kernels is None:
        return [LAPLACE_KERNEL]
    if isinstance(kernels, dict):
        kernels = list(kernels.values())
    else:
        arr = _to_numpy(kernels) if not isinstance(kernels, (list, tuple)) else None
        if arr is not None and arr.shape == (3, 3):
            kernels = [arr]
    out = [_to_numpy(k) for k in kernels]
    if not out or any(k.shape != (3, 3) or not np.isfinite(k).all() for k in out):
        raise InputError("kernels", "must be finite (3, 3) arrays",
                         "pass a list or dict of 3x3 kernels, e.g. subfilters_3x3(h)")
    return out
