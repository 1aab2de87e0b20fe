"""How a filter looks and how far it is from another: cascade phi/psi, wavelet distances, pywt export, 3x3 sub-filters."""


import numpy as np
import pywt

from awd_studio.models import wavelets
from awd_studio.models.filters.known import highpass_from_lowpass
from awd_studio.models.filters.validity import _as_numpy_filter


def to_pywt(h, name="awd"):
    """PyWavelets wavelet with lowpass ``h`` (usable with ``pywt.wavedec``, ``wavefun``...).

    Parameters
    ----------
    h : array-like or Tensor of shape (N,)
        Lowpass reconstruction filter; need not be exactly orthonormal.
    name : str, default="awd"

    Returns
    -------
    pywt.Wavelet
        ``rec_lo = h``, ``rec_hi = g``, ``dec_lo``/``dec_hi`` their reversals, flagged orthogonal.
    """
    h = _as_numpy_filter(h)
    if h.ndim != 1:
        raise ValueError(f"h: expected one filter of shape (N,), got shape {h.shape}")
    g = highpass_from_lowpass(h)
    wavelet = pywt.Wavelet(name, filter_bank=(h[::-1].tolist(), g[::-1].tolist(), h.tolist(), g.tolist()))
    wavelet.orthogonal = True
    wavelet.biorthogonal = True
    return wavelet


def scaling_and_wavelet(h, level=10):
    """Scaling function phi and wavelet psi of ``h`` by the cascade algorithm.

    Parameters
    ----------
    h : array-like or Tensor of shape (N,)
        Lowpass filter; a slightly non-orthogonal learned filter is fine (its cascade is computed the same way).
    level : int, default=10
        Cascade iterations: ``2**level`` samples per unit of time.

    Returns
    -------
    x : ndarray of shape (n,)
        Time grid on [0, N - 1].
    phi, psi : ndarray of shape (n,)
    """
    level = wavelets._check_int(level, "level", 1)
    phi, psi, x = to_pywt(h).wavefun(level=level)
    return np.asarray(x), np.asarray(phi), np.asarray(psi)


def _wavelet_candidates(b, n):
    """``b`` zero-padded at the end to length n, and its time reversal: the two vectors whose circular shifts
    and negations :func:`wavelet_distance` compares with."""
    b = np.pad(b, (0, n - b.size))
    return b, b[::-1].copy()


def wavelet_distance(psi_a, psi_b):
    """Distance between two sampled wavelets, blind to where they sit, which way they face and their sign.

    ``min ||a - s * roll(b', k)||`` over every circular shift k, the two time directions ``b' in {b, reverse(b)}``
    and the signs ``s = +-1``, after zero-padding the shorter of the two at its end to the length of the longer.
    This is the distance of paper section 4.1 (shifts and the left/right flip) with the sign added (a learned
    wavelet and its negative are the same up to the sign of ``g``). It is symmetric, because every such
    transformation is an isometry of the padded vectors.

    Parameters
    ----------
    psi_a, psi_b : array-like of shape (n_a,), (n_b,)
        Wavelets sampled on the same grid spacing (e.g. :func:`scaling_and_wavelet` at the same level).

    Returns
    -------
    float
        0 for a wavelet and any shift, reversal or negation of itself; in the units of the samples (see
        :func:`relative_wavelet_distance` for the figure reported against a ground truth).

    Examples
    --------
    >>> wavelet_distance([1.0, 1.0], [1.0, -1.0])  # every candidate differs from (1, 1) by 2 in one sample
    2.0
    >>> wavelet_distance([1.0, 2.0, 3.0], [1.0, 0.0])  # (1, 0, 0) shifted to the last place: |(1, 2, 2)| = 3
    3.0
    """
    a = np.asarray(psi_a, dtype=np.float64).ravel()
    b = np.asarray(psi_b, dtype=np.float64).ravel()
    for name, arr in (("psi_a", a), ("psi_b", b)):
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected a non-empty finite 1D array")
    n = max(a.size, b.size)
    a = np.pad(a, (0, n - a.size))
    best = np.inf
    fa = np.fft.rfft(a)
    for cand in _wavelet_candidates(b, n):
        # ||a - s roll(cand, k)||^2 = |a|^2 + |cand|^2 - 2 s <a, roll(cand, k)>, smallest where |corr[k]| is
        # largest; the distance itself is then computed directly at the best few shifts (no cancellation).
        corr = np.fft.irfft(fa * np.conj(np.fft.rfft(cand)), n)  # corr[k] = <a, roll(cand, k)>
        for k in np.argsort(-np.abs(corr))[:3]:
            rolled = np.roll(cand, k)
            best = min(best, np.linalg.norm(a - rolled), np.linalg.norm(a + rolled))
    return float(best)


def relative_wavelet_distance(psi, psi_true):
    """:func:`wavelet_distance` divided by the norm of the reference wavelet, ``d(psi, psi*) / ||psi*||``.

    The figure the synthetic experiment reports: 0 for the truth (up to shift, flip and sign), and independent
    of the cascade depth used to sample both wavelets (up to the sampling error of the cascade).

    Parameters
    ----------
    psi : array-like of shape (n,)
        A wavelet, sampled as ``psi_true`` is.
    psi_true : array-like of shape (m,)
        The reference (ground-truth) wavelet; must not be all zeros.

    Returns
    -------
    float

    Examples
    --------
    >>> round(relative_wavelet_distance([1.0, -1.0], [1.0, 1.0]), 12)  # 2 / sqrt(2)
    1.414213562373
    """
    ref = np.asarray(psi_true, dtype=np.float64).ravel()
    norm = float(np.linalg.norm(ref)) if ref.size and np.all(np.isfinite(ref)) else 0.0
    if not norm > 0:
        raise ValueError("psi_true: expected a finite, non-zero wavelet to measure distances against")
    return wavelet_distance(psi, ref) / norm


def filter_distance(h, h_true, level=7):
    """Relative distance between the wavelets of two lowpass filters (paper section 4.1).

    Both wavelets are computed by the cascade algorithm (:func:`scaling_and_wavelet`) at the same depth, then
    compared with :func:`relative_wavelet_distance`.

    Parameters
    ----------
    h, h_true : array-like of shape (N,), (N*,)
        Lowpass filters; the lengths may differ (e.g. coif2 against db5).
    level : int, default=7
        Cascade depth: ``2**level`` samples per filter tap.

    Returns
    -------
    float
        ``d(psi_h, psi*) / ||psi*||``.
    """
    psi = scaling_and_wavelet(h, level=level)[2]
    psi_true = scaling_and_wavelet(h_true, level=level)[2]
    return relative_wavelet_distance(psi, psi_true)


#: Families :func:`nearest_known_wavelet` compares with, in the order a tie is resolved (sym2 and sym3 are db2
#: and db3, and db1 is haar: the first name is kept).
KNOWN_FAMILIES = ("haar", "db", "sym", "coif")


def nearest_known_wavelet(h, level=7):
    """The PyWavelets orthogonal wavelet closest to the wavelet of ``h``, and how close (:func:`filter_distance`).

    Compared with haar, db*, sym* and coif* whose filters are no longer than ``h`` (a filter of N taps can hold a
    shorter one padded with zeros, never a longer one), so that a learned filter can be named when it has become
    a known wavelet.

    Parameters
    ----------
    h : array-like of shape (N,)
        Lowpass filter.
    level : int, default=7
        Cascade depth of both wavelets.

    Returns
    -------
    name : str
    distance : float
        ``d(psi_h, psi_name) / ||psi_name||``.

    Examples
    --------
    >>> h = np.r_[pywt.Wavelet("haar").rec_lo, np.zeros(8)]  # Haar in 10 taps
    >>> name, distance = nearest_known_wavelet(h)
    >>> name, round(distance, 6)
    ('haar', 0.0)
    >>> nearest_known_wavelet(pywt.Wavelet("db5").rec_lo)[0]
    'db5'
    """
    h = _as_numpy_filter(h)
    psi = scaling_and_wavelet(h, level=level)[2]
    best = None
    for family in KNOWN_FAMILIES:
        for name in pywt.wavelist(family, kind="discrete"):
            known = pywt.Wavelet(name)
            if name == "db1" or not known.orthogonal or known.dec_len > h.size:
                continue
            distance = relative_wavelet_distance(psi, scaling_and_wavelet(known.rec_lo, level=level)[2])
            if best is None or distance < best[1] - 1e-12:
                best = (name, distance)
    return best


def subfilters_3x3(h):
    """The four 3 x 3 kernels of the map student (docs/science.md, "Map student").

    From ``h`` and ``g`` take the 3-tap window with the largest energy of the mean-centred filter,
    ``sum (h - mean h)**2`` over the window (first such window on ties), giving ``h3`` and ``g3``; then
    ``LL = h3 h3^T``, ``LH = g3 h3^T``, ``HL = h3 g3^T``, ``HH = g3 g3^T`` with LH, HL, HH mean-centred.

    The kernels are in general not symmetric: for db5, ``h3`` is not a palindrome and a flipped kernel is
    neither the kernel nor its negative. Correlating a map with a kernel (what :mod:`models.predictors` does)
    and convolving it (correlating with the flipped kernel) therefore give different responses; whoever applies
    the kernels must say which, and apply the baselines the same way.

    Parameters
    ----------
    h : array-like or Tensor of shape (N,) or (G, N)

    Returns
    -------
    dict
        ``{"LL", "LH", "HL", "HH"}`` -> ndarray of shape (3, 3) (or (G, 3, 3) for batched ``h``).
    """
    h = _as_numpy_filter(h)
    if h.shape[-1] < 3:
        raise ValueError(f"h: needs at least 3 taps for 3 x 3 kernels, got N = {h.shape[-1]}")
    g = highpass_from_lowpass(h)

    def window(f):
        centred = f - f.mean(axis=-1, keepdims=True)
        energy = np.lib.stride_tricks.sliding_window_view(centred**2, 3, axis=-1).sum(-1)
        start = np.argmax(energy, axis=-1)
        return np.take_along_axis(f, start[..., None] + np.arange(3), axis=-1)

    h3, g3 = window(h), window(g)

    def outer(u, v):
        return u[..., :, None] * v[..., None, :]

    def centre(k):
        return k - k.mean(axis=(-2, -1), keepdims=True)

    return {
        "LL": outer(h3, h3),
        "LH": centre(outer(g3, h3)),
        "HL": centre(outer(h3, g3)),
        "HH": centre(outer(g3, g3)),
    }
