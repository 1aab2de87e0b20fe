"""Peak counting in one compiled pass per map: the inner loop of the deployed maps predictor.

:class:`models.students.maps.PeakCountRegressor` turns a map into histograms of filter responses read at its
peaks. Written with numpy that takes several full passes over every map (neighbour maxima, comparisons, a
gather of the peaks' 3x3 neighbourhoods, binning); compiled with numba it is one pass that reads each pixel's
neighbourhood once and bins a response as soon as it finds a peak (it serves
:func:`models.students.peaks.peak_histograms` too). The counts equal ``np.histogram`` of the numpy responses of
``peak_values`` in ``tests/models/reference_students.py`` (tested): a peak is an interior pixel strictly above
its 8 neighbours, a response is the 3x3 correlation with a kernel (or the Roberts-cross response) at the peak,
computed in float64, and the histogram bins ``[lo, hi]`` (``hi`` itself in the last bin, values outside
dropped).

numba compiles on the first call in a process (about a second per input dtype) and caches the machine code
next to this file (or in ``NUMBA_CACHE_DIR``), so later processes load it.
"""

import numba
import numpy as np

__all__ = ["RESPONSE_CODES", "channel_lows", "peak_count_histograms", "peak_count_histograms_ranges", "bin_values",
           "bin_values_ranges"]

#: How the compiled loop computes a peak's response.
RESPONSE_CODES = {"kernels": 0, "roberts": 1, "magnitude": 2}


@numba.njit(cache=True, nogil=True, inline="always")
def _add(out, s, k, column, r, lo, hi, span, step, bins):
    """Count response r in ``out[s, k, column + its bin of [lo, hi]]`` (outside, it adds zero); ``span`` is
    ``hi - lo`` and ``step`` ``span / bins``, computed once per range (:func:`_range_tables`).

    The bin is ``np.histogram``'s: the quotient's bin, moved by one where rounding put a value on the wrong side of
    an edge ``lo + i * span / bins`` (review 39C: heights on a 0.01 grid over [0, 0.22] fell one bin low).

    Written without data-dependent branches (selects, not ``if``): where many responses fall outside the range the
    branches of a clamp and a correction mispredicted on about every other response, and binning took 7-17 ns a
    response instead of 5 (bench/final_stage.py). The arithmetic, and so the bin, is the same: the move down and
    the move up exclude each other (``r < lo + i * step`` implies ``r < lo + (i + 1) * step``)."""
    q = (r - lo) / span * bins
    q = q if q > 0.0 else 0.0
    top = bins - 1.0
    i = int(q if q < top else top)
    down = (i > 0) & (r < i * step + lo)
    up = (i < bins - 1) & (r >= (i + 1) * step + lo)
    i = i - np.int64(down) + np.int64(up)
    out[s, k, column + i] += np.float64(lo <= r) * np.float64(r <= hi)


@numba.njit(cache=True, nogil=True, inline="always")
def _add_ranges(out, s, c, column, r, lows, his, spans, steps, bins):
    """Count response r of channel c in every range k: ``[lows[k, c], his[k]]`` into ``out[s, k]``."""
    for k in range(his.shape[0]):
        _add(out, s, k, column, r, lows[k, c], his[k], spans[k, c], steps[k, c], bins)


@numba.njit(cache=True, nogil=True)
def _count(maps, kernel_rows, response, lows, his, spans, steps, bins, out):
    n, height, width = maps.shape
    n_channels = out.shape[2] // bins
    row_max = np.empty((height, width), dtype=maps.dtype)  # max of each pixel and its left/right neighbours
    columns = np.empty(width, dtype=np.int64)  # the peaks of one row
    patch = np.empty(9)  # a peak's 3x3 neighbourhood in float64, row by row
    for s in range(n):
        x = maps[s]
        # separable neighbour maxima: these loops have no data-dependent branch, so they vectorise
        for i in range(height):
            for j in range(1, width - 1):
                row_max[i, j] = max(max(x[i, j - 1], x[i, j]), x[i, j + 1])
        for i in range(1, height - 1):
            n_peaks = 0
            for j in range(1, width - 1):
                neighbours = max(max(row_max[i - 1, j], row_max[i + 1, j]), max(x[i, j - 1], x[i, j + 1]))
                columns[n_peaks] = j
                n_peaks += x[i, j] > neighbours  # branch-free compaction of the peak columns
            for p in range(n_peaks):
                j = columns[p]
                for a in range(3):
                    for b in range(3):
                        patch[3 * a + b] = x[i - 1 + a, j - 1 + b]
                if response == 2:  # magnitude: kernel 0's response, then the norm of kernels 1, 2 and 3's
                    r = 0.0
                    for t in range(9):
                        r += kernel_rows[0, t] * patch[t]
                    _add_ranges(out, s, 0, 0, r, lows, his, spans, steps, bins)
                    squares = 0.0
                    for c in range(1, kernel_rows.shape[0]):
                        r = 0.0
                        for t in range(9):
                            r += kernel_rows[c, t] * patch[t]
                        squares += r * r
                    _add_ranges(out, s, 1, bins, np.sqrt(squares), lows, his, spans, steps, bins)
                    continue
                for c in range(n_channels):
                    r = 0.0
                    if response == 0:
                        for t in range(9):
                            r += kernel_rows[c, t] * patch[t]
                    else:  # Roberts cross on the four 2x2 windows of the neighbourhood
                        for a in range(2):
                            for b in range(2):
                                t = 3 * a + b  # top-left corner of the window
                                r += np.sqrt((patch[t + 1] - patch[t + 3]) ** 2 + (patch[t] - patch[t + 4]) ** 2)
                    _add_ranges(out, s, c, c * bins, r, lows, his, spans, steps, bins)


def channel_lows(bin_range, n_channels, lows=None):
    """The lower histogram bound of each channel: ``lows`` where given, else ``bin_range``'s low for every one.

    Parameters
    ----------
    bin_range : (float, float)
    n_channels : int
    lows : array-like of shape (n_channels,), optional
        Per-channel lower bounds, each below ``bin_range``'s high.

    Returns
    -------
    ndarray of shape (n_channels,), float64

    Examples
    --------
    >>> channel_lows((0.0, 2.0), 2), channel_lows((0.0, 2.0), 2, [-2.0, 0.0])
    (array([0., 0.]), array([-2.,  0.]))
    """
    if lows is None:
        return np.full(int(n_channels), float(bin_range[0]))
    lows = np.ascontiguousarray(lows, dtype=np.float64).reshape(-1)
    if lows.shape != (int(n_channels),) or not (lows < float(bin_range[1])).all():
        raise ValueError(f"lows: expected {n_channels} values below {bin_range[1]}, got {lows.tolist()}")
    return lows


def _range_tables(bin_ranges, n_channels, lows, bins):
    """What the compiled loops read of R ranges: each channel's low, shape (R, n_channels), each range's high, shape
    (R,), each channel's span ``hi - low`` and bin width ``span / bins`` (float64, the arithmetic of one range's
    loop, done once per range instead of once per response)."""
    lows = [None] * len(bin_ranges) if lows is None else list(lows)
    if len(lows) != len(bin_ranges):
        raise ValueError(f"lows: expected one entry per range ({len(bin_ranges)}), got {len(lows)}")
    table = np.stack([channel_lows(r, n_channels, low) for r, low in zip(bin_ranges, lows)]).reshape(-1, n_channels)
    his = np.array([float(r[1]) for r in bin_ranges], dtype=np.float64)
    spans = his[:, None] - table
    return table, his, spans, spans / float(bins)


def _split_ranges(out):
    """(n, R, F) counts as R contiguous (n, F) arrays."""
    return [np.ascontiguousarray(out[:, k]) for k in range(out.shape[1])]


def peak_count_histograms(maps, kernel_rows, bin_range, bins, response="kernels", lows=None):
    """Histograms of the responses at the peaks of each map, channel after channel.

    Parameters
    ----------
    maps : ndarray of shape (n, H, W), float32 or float64
        Finite maps (checked by the caller); float32 maps are read as they are, without a float64 copy
        (peaks are comparisons, exact in either precision; responses are computed in float64).
    kernel_rows : ndarray of shape (C, 9) or None
        The 3x3 kernels flattened row by row; ``None`` (one channel) for ``"roberts"``.
        ``"magnitude"`` reads two channels from them: kernel 0's response, and the Euclidean norm of the
        responses of kernels 1 to C - 1 (with the sub-filters LL, LH, HL, HH: the LL response and the detail
        magnitude ``sqrt(LH² + HL² + HH²)``).
    bin_range : (float, float)
        ``(lo, hi)`` with ``lo < hi``.
    bins : int
        Bins per channel.
    response : {"kernels", "roberts", "magnitude"}, default="kernels"
    lows : array-like of shape (n_channels,), optional
        A lower bound per channel instead of ``lo`` (:func:`channel_lows`); each channel's ``bins`` bins then
        span ``[lows[c], hi]``.

    Returns
    -------
    ndarray of shape (n, C * bins), float64 (``(n, 2 * bins)`` for ``"magnitude"``)
        Peak counts per bin.

    Examples
    --------
    >>> maps = np.zeros((1, 5, 5))
    >>> maps[0, 2, 2] = 1.0  # one peak of height 1; read its raw height (the kernel's centre tap)
    >>> peak_count_histograms(maps, np.eye(9)[4:5], (0.0, 2.0), bins=2)
    array([[0., 1.]])
    """
    return peak_count_histograms_ranges(maps, kernel_rows, [bin_range], bins, response, [lows])[0]


def peak_count_histograms_ranges(maps, kernel_rows, bin_ranges, bins, response="kernels", lows=None):
    """:func:`peak_count_histograms` over several ranges in one pass: the peaks are found and their responses
    computed once, each response binned in every range (the counts equal one call per range).

    Parameters
    ----------
    maps : ndarray of shape (n, H, W), float32 or float64
    kernel_rows : ndarray of shape (C, 9) or None
    bin_ranges : sequence of R (float, float)
        Each ``(lo, hi)`` with ``lo < hi``.
    bins : int
        Bins per channel, in every range.
    response : {"kernels", "roberts", "magnitude"}, default="kernels"
    lows : sequence of R entries, each None or array-like of shape (n_channels,), optional
        Each range's per-channel lower bounds (:func:`channel_lows`).

    Returns
    -------
    list of R ndarrays of shape (n, n_channels * bins), float64

    Examples
    --------
    >>> maps = np.zeros((1, 5, 5))
    >>> maps[0, 2, 2] = 1.0
    >>> [h.tolist() for h in peak_count_histograms_ranges(maps, np.eye(9)[4:5], [(0.0, 2.0), (0.0, 4.0)], bins=2)]
    [[[0.0, 1.0]], [[1.0, 0.0]]]
    """
    if maps.dtype not in (np.float32, np.float64):
        maps = maps.astype(np.float64)
    maps = np.ascontiguousarray(maps)
    kernel_rows = np.ascontiguousarray(np.zeros((1, 9)) if kernel_rows is None else kernel_rows, dtype=np.float64)
    n_channels = 2 if response == "magnitude" else kernel_rows.shape[0]
    table, his, spans, steps = _range_tables(bin_ranges, n_channels, lows, bins)
    out = np.zeros((maps.shape[0], len(his), n_channels * bins))
    _count(maps, kernel_rows, RESPONSE_CODES[response], table, his, spans, steps, int(bins), out)
    return _split_ranges(out)


@numba.njit(cache=True, nogil=True)
def _bin_values(values, sample, lows, his, spans, steps, bins, out):
    n_channels, n_peaks = values.shape
    for c in range(n_channels):
        for k in range(his.shape[0]):  # range by range: its bounds stay in registers over the responses
            lo, hi, span, step = lows[k, c], his[k], spans[k, c], steps[k, c]
            for p in range(n_peaks):
                _add(out, sample[p], k, c * bins, values[c, p], lo, hi, span, step, bins)


def bin_values(values, sample, n_maps, bin_range, bins, lows=None):
    """Per-map histograms of responses already read at the peaks, binned exactly as :func:`peak_count_histograms`.

    Parameters
    ----------
    values : ndarray of shape (C, n_peaks), float64
    sample : ndarray of int64, shape (n_peaks,)
        Map index of each peak, in ``0 .. n_maps - 1``.
    n_maps : int
    bin_range : (float, float)
    bins : int
    lows : array-like of shape (C,), optional
        A lower bound per channel instead of ``bin_range``'s low (:func:`channel_lows`).

    Returns
    -------
    ndarray of shape (n_maps, C * bins), float64

    Examples
    --------
    >>> bin_values(np.array([[0.5, 1.5, 2.5]]), np.array([0, 0, 1]), 2, (0.0, 2.0), 2)
    array([[1., 1.],
           [0., 0.]])
    """
    return bin_values_ranges(values, sample, n_maps, [bin_range], bins, [lows])[0]


def bin_values_ranges(values, sample, n_maps, bin_ranges, bins, lows=None):
    """:func:`bin_values` over several ranges in one pass over the responses (the counts equal one call per range).

    Parameters
    ----------
    values : ndarray of shape (C, n_peaks), float64
    sample : ndarray of int64, shape (n_peaks,)
    n_maps : int
    bin_ranges : sequence of R (float, float)
    bins : int
    lows : sequence of R entries, each None or array-like of shape (C,), optional

    Returns
    -------
    list of R ndarrays of shape (n_maps, C * bins), float64

    Examples
    --------
    >>> [h.tolist() for h in bin_values_ranges(np.array([[0.5, 1.5]]), np.array([0, 0]), 1, [(0, 2), (0, 4)], 2)]
    [[[1.0, 1.0]], [[2.0, 0.0]]]
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    table, his, spans, steps = _range_tables(bin_ranges, values.shape[0], lows, bins)
    out = np.zeros((int(n_maps), len(his), values.shape[0] * int(bins)))
    _bin_values(values, np.ascontiguousarray(sample, dtype=np.int64), table, his, spans, steps, int(bins), out)
    return _split_ranges(out)
