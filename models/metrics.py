"""Scores of teachers and students: R², RMSE and its bootstrap SD, compression factor, timing, activation maps.

All functions take numpy arrays (torch tensors are converted) and return plain floats or numpy arrays.
Coefficient lists follow PyWavelets' layout: 1-D ``[cA_J, cD_J, ..., cD_1]`` with arrays ``(n, n_j)``,
2-D ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]`` with arrays ``(n, h_j, w_j)``.
"""

from __future__ import annotations

import threading
import time
from numbers import Integral

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from awd_studio.models import analysis_weights as _weights
from awd_studio.models.validation import InputError

__all__ = [
    "r2_score",
    "rmse",
    "two_values",
    "constant_target",
    "seen_target_rows",
    "two_class_scores",
    "bootstrap_rmse_sd",
    "paired_bootstrap_difference",
    "resample_weights",
    "bootstrap_weights",
    "compression_factor",
    "seconds_per_sample",
    "activation_map_1d",
    "activation_map_2d",
    "sensitivity_profile",
    "sensitive_end",
]

#: :func:`sensitive_end`'s window at each end of a series (a share of its samples, at least one sample) and the
#: ratio of the window's mean sensitivity to the whole series' above which that end is named.
END_WINDOW_SHARE = 0.1
END_RATIO = 2.0


def _to_numpy(a):
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _pair(y, y_pred):
    y, y_pred = _to_numpy(y), _to_numpy(y_pred)
    if y.ndim == 2 and y_pred.ndim == 1 and y.shape[1] == 1:
        y = y[:, 0]
    if y_pred.ndim == 2 and y.ndim == 1 and y_pred.shape[1] == 1:
        y_pred = y_pred[:, 0]
    if y.shape != y_pred.shape or y.ndim not in (1, 2) or y.shape[0] == 0:
        raise InputError("y_pred", f"has shape {y_pred.shape} but y has {y.shape}",
                         "pass predictions of the same (n,) or (n, k) shape as the targets")
    return y, y_pred


def r2_score(y, y_pred):
    """Coefficient of determination.

    Parameters
    ----------
    y, y_pred : array-like of shape (n,) or (n, k)

    Returns
    -------
    float
        ``1 - SS_res / SS_tot``; for ``(n, k)`` the mean over columns (scikit-learn's
        ``"uniform_average"``). A constant target (up to rounding) scores 1 when predicted exactly and 0 otherwise.
    """
    y, y_pred = _pair(y, y_pred)
    y2, p2 = y.reshape(y.shape[0], -1), y_pred.reshape(y.shape[0], -1)
    ss_res = ((y2 - p2) ** 2).sum(axis=0)
    ss_tot = ((y2 - y2.mean(axis=0)) ** 2).sum(axis=0)
    safe = ~_constant_columns(y2, ss_tot)
    scores = np.where(safe, 1.0 - ss_res / np.where(safe, ss_tot, 1.0), np.where(ss_res == 0, 1.0, 0.0))
    return float(scores.mean())


def _constant_columns(y2, ss_tot):
    """Which columns of ``y2`` (n, k), of total sums of squares ``ss_tot``, are one value up to rounding: 0.85
    repeated has a spread of about 1e-16, not 0, and dividing by it gave R² of -1e29."""
    return ~(ss_tot > 1e-24 * y2.shape[0] * np.maximum((y2 ** 2).mean(axis=0), np.finfo(float).tiny))


def constant_target(y) -> bool:
    """Whether every column of ``y`` holds one value up to rounding, where :func:`r2_score` is undefined (it then
    scores 1 for exact predictions and 0 otherwise).

    Examples
    --------
    >>> constant_target([0.3] * 240), constant_target([0.3, 0.3, 0.30001]), float(np.std([0.3] * 240)) > 0
    (True, False, True)
    """
    y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return bool(_constant_columns(y2, ((y2 - y2.mean(axis=0)) ** 2).sum(axis=0)).all())


def rmse(y, y_pred):
    """Root mean squared error over all entries.

    Parameters
    ----------
    y, y_pred : array-like of shape (n,) or (n, k)

    Returns
    -------
    float
        In target units.
    """
    y, y_pred = _pair(y, y_pred)
    return float(np.sqrt(np.mean((y - y_pred) ** 2)))


def two_values(y) -> tuple[float, float] | None:
    """The two values a target takes, ``(low, high)``, when it takes exactly two (a class label such as 0/1);
    None otherwise.

    Examples
    --------
    >>> two_values([0, 1, 1, 0]), two_values([0.0, 0.5, 1.0]), two_values([3, 3])
    ((0.0, 1.0), None, None)
    """
    values = np.unique(np.asarray(y, dtype=np.float64).ravel())
    return (float(values[0]), float(values[1])) if values.size == 2 else None


def seen_target_rows(y_train, y_test, shared: float = 0.5) -> int | None:
    """How many distinct target rows the training split holds when every test row is one of them and the rows
    repeat (3 rows or more), as for maps of a set of cosmologies, each drawn for several maps; None otherwise.

    The test then measures new samples of parameters seen in training, not parameters between them: a model that
    tells the training values apart can score well without interpolating. Two values are a class label
    (:func:`two_values`), not counted here. How many rows there are does not matter (review 42A: 80 random
    cosmologies of about 7 maps each went unnoticed by a limit of 50 rows): a continuous target has hardly a test
    row equal to a training one, and its accidental repeats (a few equal floats) cover few training samples.

    Parameters
    ----------
    y_train, y_test : array-like of shape (n,) or (n, k)
        Every target column of the training and test samples.
    shared : float, default=0.5
        The least share of the training samples whose target row is shared, with another training sample or
        with a test sample, for the rows to count as repeating.

    Examples
    --------
    >>> grid = [[0.3, 0.8], [0.25, 0.85], [0.35, 0.75]]
    >>> seen_target_rows(grid * 4, grid), seen_target_rows(grid * 4, [[0.3, 0.7]])
    (3, None)
    >>> seen_target_rows([0.1, 0.2, 0.3, 0.4], [0.2])  # each value once: a continuous target, one accidental repeat
    >>> seen_target_rows([0.1, 0.2, 0.3, 0.4], [0.4, 0.1, 0.3])  # most training rows again in the test
    4
    """
    train = np.asarray(y_train, dtype=np.float64).reshape(len(y_train), -1)
    test = np.asarray(y_test, dtype=np.float64).reshape(len(y_test), -1)
    if len(test) == 0 or test.shape[1] != train.shape[1]:
        return None
    rows, counts = np.unique(train, axis=0, return_counts=True)
    if len(rows) < 3:
        return None
    index = {tuple(row): i for i, row in enumerate(rows)}
    found = [index.get(tuple(row)) for row in test]
    if any(i is None for i in found):
        return None
    in_test = np.zeros(len(rows), dtype=bool)
    in_test[found] = True
    # a training sample repeats when another training sample or a test sample has its row: with one training map
    # of each cosmology and its other maps in the test split, the test still measures the cosmologies seen
    repeated = counts[(counts >= 2) | in_test].sum()
    return len(rows) if repeated >= shared * len(train) else None


def two_class_scores(y, y_pred, values) -> dict:
    """Classification scores of a regression's predictions of a two-valued target.

    Parameters
    ----------
    y, y_pred : array-like of shape (n,)
        True targets (each one of ``values``) and the model's real-valued predictions.
    values : tuple of float
        ``(low, high)``, from the training targets (:func:`two_values`).

    Returns
    -------
    dict
        ``accuracy``: the share of predictions on the right side of the midpoint ``(low + high) / 2``;
        ``auc``: the area under the ROC curve of the predictions as scores for ``high`` (None when the test
        targets hold one value only).

    Examples
    --------
    >>> two_class_scores([0, 0, 1, 1], [0.1, 0.7, 0.6, 1.4], (0.0, 1.0))
    {'accuracy': 0.75, 'auc': 0.75}
    """
    from sklearn.metrics import roc_auc_score

    y, y_pred = _pair(y, y_pred)
    low, high = values
    positive = y.ravel() == high
    accuracy = float(np.mean((y_pred.ravel() >= (low + high) / 2) == positive))
    auc = float(roc_auc_score(positive, y_pred.ravel())) if 0 < positive.sum() < positive.size else None
    return {"accuracy": accuracy, "auc": auc}


def bootstrap_rmse_sd(y, y_pred, n_boot=10000, seed=0, chunk_elements=1_000_000, groups=None):
    """Standard deviation of the RMSE over bootstrap resamples of the test set.

    Parameters
    ----------
    y, y_pred : array-like of shape (n,) or (n, k)
        Samples (rows) are resampled with replacement; for ``(n, k)`` a row's squared error is averaged
        over its columns.
    n_boot : int, default=10000
        Number of resamples.
    seed : int, default=0
        Seeds the resampling (the result is reproducible).
    chunk_elements : int, default=1e6
        Resamples are drawn in chunks of about this many indices to bound memory (the draws, and so the
        result, do not depend on it).
    groups : array-like of shape (n,) or None, default=None
        Group of each row (the map a tile was cut from): whole groups are resampled, because rows of one group
        are not independent (:func:`resample_weights`). None resamples rows.

    Returns
    -------
    float
        Standard deviation (``ddof=1``) of the ``n_boot`` RMSE values, in target units.
    """
    y, y_pred = _pair(y, y_pred)
    if n_boot < 2:
        raise InputError("n_boot", f"must be at least 2, got {n_boot}", "pass e.g. 10000")
    sq = ((y - y_pred) ** 2).reshape(y.shape[0], -1).mean(axis=1)
    values = []
    for counts in bootstrap_weights(sq.shape[0], n_boot, seed, chunk_elements, groups):
        weights = counts.astype(np.float64)  # BLAS products; the counts are kept as small integers
        values.append(np.sqrt(weights @ sq / weights.sum(axis=1)))
    return float(np.std(np.concatenate(values), ddof=1))


#: :func:`bootstrap_weights` keeps the last draws of at most this many bytes: the final stage of a job draws the same
#: resamples of its test set (same rows, groups and seed) for every student's RMSE SD and every paired interval, eight
#: or nine times. The counts are kept in the smallest unsigned type that holds them (one byte each for the ordinary
#: bootstrap): 10 MB for the CME example's 1005 test series, whose 80 MB as float64 were over this bound and drawn
#: again every time (0.8 s of its final stage, 2026-12-07).
BOOTSTRAP_CACHE_BYTES = 64 * 2**20

_last_weights = {"key": None, "chunks": None}
_weights_lock = threading.Lock()


def bootstrap_weights(n, n_boot, seed, chunk_elements=1_000_000, groups=None):
    """The resample weights of :func:`bootstrap_rmse_sd` and :func:`paired_bootstrap_difference`, chunk by chunk.

    ``np.random.default_rng(seed)`` draws ``n_boot`` resamples in chunks of ``max(1, chunk_elements // n)``
    (:func:`resample_weights`). The counts are returned in the smallest unsigned integer type that holds them; cast
    a chunk to float before BLAS products (numpy multiplies integer arrays without BLAS, several times slower). With
    an integer seed the draws depend only on the arguments, so the last ones (when under
    :data:`BOOTSTRAP_CACHE_BYTES`) are kept and returned again, read-only, to the next call with the same
    arguments: the same numbers, drawn once.

    Parameters
    ----------
    n : int
        Rows of the test set.
    n_boot : int
    seed : int, numpy.random.Generator or None
        A generator or None is drawn from every time (nothing kept).
    chunk_elements : int, default=1e6
    groups : array-like of shape (n,) or None
        Group of each row (:func:`resample_weights`); None resamples rows.

    Returns
    -------
    list of ndarray of shape (m, n), unsigned integers
        The chunks' multiplicities, ``sum(m) = n_boot``.

    Examples
    --------
    >>> a = bootstrap_weights(5, 300, seed=0, chunk_elements=500)
    >>> [c.shape for c in a], a[0].dtype, bootstrap_weights(5, 300, seed=0, chunk_elements=500) is a
    ([(100, 5), (100, 5), (100, 5)], dtype('uint8'), True)
    """
    groups = None if groups is None else np.asarray(groups)
    kept = isinstance(seed, Integral) and not isinstance(seed, bool)
    key = (int(n), int(n_boot), int(seed) if kept else None, int(chunk_elements),
           None if groups is None else (groups.dtype.str, groups.shape, groups.tobytes()))
    if kept:
        with _weights_lock:
            if _last_weights["key"] == key:
                return _last_weights["chunks"]
    rng = np.random.default_rng(seed)
    per_chunk = max(1, chunk_elements // n)
    rows = np.arange(n) if groups is None else groups
    # counts are whole numbers: exact in any unsigned type that holds the largest; each chunk is made small as it
    # is drawn (the float64 draws of the CME example's 1005 test series are 80 MB), then all take the widest type
    chunks = []
    for start in range(0, n_boot, per_chunk):
        counts = resample_weights(rows, min(per_chunk, n_boot - start), rng)
        chunks.append(counts.astype(np.min_scalar_type(int(counts.max(initial=0)))))
    widest = np.result_type(*chunks)
    chunks = [chunk.astype(widest, copy=False) for chunk in chunks]
    kept = kept and sum(chunk.nbytes for chunk in chunks) <= BOOTSTRAP_CACHE_BYTES
    if kept:
        for chunk in chunks:
            chunk.flags.writeable = False
        with _weights_lock:
            _last_weights.update(key=key, chunks=chunks)
    return chunks


def resample_weights(groups, m, rng):
    """How many times each row appears in ``m`` bootstrap resamples of whole groups.

    Each resample draws as many groups as there are, with replacement; every row of a drawn group comes along.
    With one group per row (``groups = arange(n)``) this is the ordinary bootstrap of rows.
    Rows of one group (tiles of one map) share their map's field, so resampling rows one by one would treat
    them as independent and make intervals too narrow.

    Parameters
    ----------
    groups : array-like of shape (n,)
        Group label of each row.
    m : int
        Number of resamples.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (m, n)
        Multiplicity of each row in each resample (the group's count).

    Examples
    --------
    >>> w = resample_weights([0, 0, 1, 1, 1], 1000, np.random.default_rng(0))
    >>> bool(np.all(w[:, 0] == w[:, 1]) and np.all(w[:, 2] == w[:, 4]))
    True
    >>> sorted({float(v) for v in w[:, 0]})
    [0.0, 1.0, 2.0]
    """
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    codes = codes.ravel()
    n_groups = int(codes.max()) + 1
    draws = rng.integers(0, n_groups, size=(m, n_groups))
    # each resample's draws counted in one pass: resample r's group g is bin r * n_groups + g
    bins = (np.arange(m)[:, None] * n_groups + draws).ravel()
    counts = np.bincount(bins, minlength=m * n_groups).reshape(m, n_groups).astype(np.float64)
    return counts if n_groups == len(codes) and np.array_equal(codes, np.arange(n_groups)) else counts[:, codes]


#: A bootstrap resample's SS_tot below this share of its sum of squared (centred) targets is rounding, not spread:
#: the one-pass ``s2 - s1^2 / n`` leaves about 1e-16 of ``s2`` where the resample's targets are all equal.
CONSTANT_RESAMPLE_TOLERANCE = 1e-12


def _weighted_scores(y2, sq_err, weights, metric):
    """Scores of one model on bootstrap resamples given as multiplicities ``weights`` (B, n)."""
    n = weights.sum(axis=1)  # rows in each resample: y2.shape[0], or varying when whole groups are drawn
    mse = weights @ sq_err.mean(axis=1) / n  # (B,)
    if metric == "rmse":
        return np.sqrt(mse)
    # R^2 per column on the resample: 1 - SS_res / SS_tot, averaged over columns. SS_tot = s2 - s1^2 / n of the
    # targets centred on their mean over the test set (review 39C: uncentred, a mean of 1e6 and an SD of 0.01 lost
    # the spread to rounding); a resample whose targets are one value up to rounding counts as constant, as in
    # r2_score (its SS_tot of about 1e-16 times s2 gave R^2 of 1e15)
    centred = y2 - y2.mean(axis=0)
    ss_res = weights @ sq_err  # (B, k)
    s1, s2 = weights @ centred, weights @ centred**2
    ss_tot = s2 - s1**2 / n[:, None]
    safe = ss_tot > CONSTANT_RESAMPLE_TOLERANCE * s2
    return np.where(safe, 1.0 - ss_res / np.where(safe, ss_tot, 1.0), np.where(ss_res == 0, 1.0, 0.0)).mean(axis=1)


def paired_bootstrap_difference(y, y_pred_a, y_pred_b, metric="r2", n_boot=10000, level=0.95, seed=0,
                                chunk_elements=1_000_000, groups=None):
    """Difference of a score between two models on the same test set, with a paired bootstrap interval.

    Both models are scored on the same resamples of the test rows, so the interval reflects how sure the
    difference is, not how variable each score is.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        Test targets.
    y_pred_a, y_pred_b : array-like, same shape as ``y``
        Predictions of model a (e.g. AWD) and model b (e.g. the initial wavelet).
    metric : {"r2", "rmse"}, default="r2"
        Score whose difference ``score(a) - score(b)`` is reported (R² as in :func:`r2_score`, RMSE as in
        :func:`rmse`).
    n_boot : int, default=10000
        Number of resamples.
    level : float, default=0.95
        Coverage of the percentile interval.
    seed : int, default=0
        Seeds the resampling.
    chunk_elements : int, default=1e6
        Resamples are drawn in chunks of about this many indices to bound memory (the draws, and so the
        result, do not depend on it).
    groups : array-like of shape (n,) or None, default=None
        Group of each test row (the map a tile was cut from): whole groups are resampled
        (:func:`resample_weights`). None resamples rows.

    Returns
    -------
    dict
        ``estimate`` (the difference on the test set itself), ``low`` and ``high`` (percentile interval),
        ``sd`` (bootstrap SD of the difference), ``metric``, ``level``, ``n_boot``.

    Examples
    --------
    >>> y = np.arange(10.0)
    >>> d = paired_bootstrap_difference(y, y, y + 1.0, metric="rmse", n_boot=200)
    >>> d["estimate"], d["low"], d["high"]
    (-1.0, -1.0, -1.0)
    """
    y, a = _pair(y, y_pred_a)
    _, b = _pair(y, y_pred_b)
    if a.shape != b.shape:
        raise InputError("y_pred_b", f"has shape {b.shape} but y_pred_a has {a.shape}", "pass predictions of "
                         "the same shape for both models")
    if metric not in ("r2", "rmse"):
        raise InputError("metric", f"unknown metric {metric!r}", "use 'r2' or 'rmse'")
    if n_boot < 2:
        raise InputError("n_boot", f"must be at least 2, got {n_boot}", "pass e.g. 10000")
    if not 0 < level < 1:
        raise InputError("level", f"must be in (0, 1), got {level}", "pass e.g. 0.95")
    score = r2_score if metric == "r2" else rmse
    estimate = score(y, a) - score(y, b)
    y2 = y.reshape(y.shape[0], -1)
    ea = (y2 - a.reshape(y2.shape)) ** 2
    eb = (y2 - b.reshape(y2.shape)) ** 2
    diffs = []
    for counts in bootstrap_weights(y2.shape[0], n_boot, seed, chunk_elements, groups):
        weights = counts.astype(np.float64)  # BLAS products; the counts are kept as small integers
        diffs.append(_weighted_scores(y2, ea, weights, metric) - _weighted_scores(y2, eb, weights, metric))
    diffs = np.concatenate(diffs)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return {"estimate": float(estimate), "low": float(low), "high": float(high),
            "sd": float(np.std(diffs, ddof=1)), "metric": metric, "level": float(level), "n_boot": int(n_boot)}


def _flatten(a, field):
    """(n, M) array from an (n, ...) array or a (nested) list of them."""
    if isinstance(a, (list, tuple)):
        if len(a) == 0:
            raise InputError(field, "is an empty list", "pass coefficient arrays")
        parts = [_flatten(p, field) for p in a]
        if len({p.shape[0] for p in parts}) != 1:
            raise InputError(field, "has bands with different numbers of samples",
                             "pass bands that all start with the same n")
        return np.concatenate(parts, axis=1)
    arr = _to_numpy(a)
    if arr.ndim < 2:
        raise InputError(field, f"has shape {arr.shape}", "pass arrays shaped (n, ...) or lists of them")
    return arr.reshape(arr.shape[0], -1)


def compression_factor(coeffs, attributions, tol=1e-3, relative=False):
    """Share of wavelet coefficients whose magnitude and attribution both exceed ``tol``.

    With ``relative=True`` the thresholds are ``tol`` times the largest ``|c|`` and the largest
    ``|attribution|`` over all coefficients given, so that the share does not depend on the data's units
    (maps in convergence units have every coefficient below an absolute 1e-3).

    Parameters
    ----------
    coeffs : array-like of shape (n, M), or a PyWavelets-layout list of (n, ...) arrays
        Wavelet coefficients of the test set (1-D or 2-D layouts, tuples allowed).
    attributions : same layout as ``coeffs``
        Attributions (e.g. TRIM saliency) of the same coefficients.
    tol : float, default=1e-3
        Threshold on ``|c|`` and ``|attribution|``.
    relative : bool, default=False
        Thresholds relative to the largest magnitudes (see above).

    Returns
    -------
    float
        In ``[0, 1]``; lower means a more compressed explanation.
    """
    c = _flatten(coeffs, "coeffs")
    a = _flatten(attributions, "attributions")
    if c.shape != a.shape:
        raise InputError("attributions", f"have {a.shape} values but coeffs have {c.shape}",
                         "pass one attribution per coefficient, in the same layout")
    tol_c = tol_a = tol
    if relative:
        tol_c, tol_a = tol * float(np.max(np.abs(c), initial=0.0)), tol * float(np.max(np.abs(a), initial=0.0))
    return float(np.mean((np.abs(c) > tol_c) & (np.abs(a) > tol_a)))


def seconds_per_sample(predict_fn, X, repeats=3, warmup=True, threads=1):
    """Median wall time per sample of a batch prediction, on a fixed number of threads.

    The BLAS and OpenMP pools (through threadpoolctl) and torch's intra-op pool are limited to ``threads``
    while timing, so that figures compare between models and runs: with several threads, a numpy product
    timed right after torch work competes with torch's still-spinning worker threads and can come out
    ten times slower.

    Parameters
    ----------
    predict_fn : callable
        Called as ``predict_fn(X)`` on the whole batch.
    X : array-like or list
        Inputs; ``len(X)`` samples (for coefficient lists, the first band's rows).
    repeats : int, default=3
        Timed calls; the median is reported.
    warmup : bool, default=True
        One untimed call first (imports, caches, lazy initialisation).
    threads : int, default=1
        Threads allowed while timing (restored afterwards).

    Returns
    -------
    float
        Seconds per sample (``time.perf_counter``).
    """
    n = len(X[0]) if isinstance(X, (list, tuple)) else len(X)
    if n == 0:
        raise InputError("X", "is empty", "pass at least one sample")
    torch_threads = torch.get_num_threads()
    times = []
    try:
        torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            if warmup:
                predict_fn(X)
            for _ in range(max(1, int(repeats))):
                start = time.perf_counter()
                predict_fn(X)
                times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(torch_threads)
    return float(np.median(times)) / n


def _band_levels(n_bands):
    """The level of each band of ``[cA_J, cD_J, ..., cD_1]``: J, J, J − 1, ..., 1."""
    n_levels = n_bands - 1
    return [n_levels] + list(range(n_levels, 0, -1))


def _check_band_sizes(sizes, expected, field, axis=""):
    if list(sizes) != list(expected):
        raise InputError(field, f"has bands of {list(sizes)} coefficients{axis}, but this filter, length, level "
                         f"and mode give {list(expected)}",
                         "pass the coefficients of the transform with the same filter h and mode")


def activation_map_1d(coeff_list, attr_list, length, h, mode="periodization"):
    """Where in the input the important coefficients read: ``|c * attribution|`` spread by analysis weight.

    Each coefficient's ``|c * a|`` is shared out over the input samples in proportion to its squared analysis
    weights ``w_t² / Σ_t w_t²`` (:func:`models.analysis_weights.energy_shares`), so it lands where the
    coefficient reads, in every boundary mode: periodization's wrap-around and symmetric mode's mirror images
    are folded back onto the samples they copy, and zero padding, which reads nothing, receives nothing
    (a boundary coefficient's whole value lands on the few samples it reads). Bands are summed, so each
    example's map sums to ``Σ |c * a|`` over all coefficients (the UI scales it to its largest value).

    Parameters
    ----------
    coeff_list : list of array-like of shape (n, n_j)
        ``[cA_J, cD_J, ..., cD_1]``.
    attr_list : list of array-like of shape (n, n_j)
        Attributions in the same layout.
    length : int
        Input length ``L`` (samples).
    h : array-like of shape (N,)
        The lowpass filter the coefficients were computed with.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
        Their boundary mode.

    Returns
    -------
    ndarray of shape (n, length)

    Examples
    --------
    >>> haar = [2 ** -0.5, 2 ** -0.5]
    >>> c = [np.array([[2.0]]), np.array([[0.0]]), np.array([[1.0, 0.0]])]
    >>> activation_map_1d(c, [np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 2))], 4, haar).tolist()
    [[1.0, 1.0, 0.5, 0.5]]
    """
    if len(coeff_list) != len(attr_list) or len(coeff_list) < 2:
        raise InputError("attr_list", f"has {len(attr_list)} bands but coeff_list has {len(coeff_list)}",
                         "pass both in the pywt layout [cA_J, cD_J, ..., cD_1] (at least 2 bands)")
    magnitudes = []
    for b, (c, a) in enumerate(zip(coeff_list, attr_list)):
        c, a = _to_numpy(c), _to_numpy(a)
        if c.shape != a.shape or c.ndim != 2:
            raise InputError("attr_list", f"band {b} has shape {a.shape}, coefficients {c.shape}",
                             "pass (n, n_j) arrays of the same shapes")
        magnitudes.append(np.abs(c * a))
    weights = _weights.analysis_weights(h, int(length), len(coeff_list) - 1, mode)
    _check_band_sizes([m.shape[1] for m in magnitudes], [w.shape[0] for w in weights], "coeff_list")
    total = np.zeros((len(magnitudes[0]), int(length)))
    for mag, w in zip(magnitudes, weights):
        total += (_weights.energy_shares(w).T @ mag.T).T  # (n, n_j) @ (n_j, L), the sparse factor on the left
    return total


def _spread_2d(mag, rows, cols):
    """``rowsᵀ · mag · cols`` for a stack ``mag`` of shape (n, a, b) and sparse shares rows (a, H), cols (b, W)."""
    n, a, b = mag.shape
    along_cols = (cols.T @ mag.reshape(n * a, b).T).T.reshape(n, a, -1)  # (n, a, W)
    width = along_cols.shape[2]
    out = rows.T @ np.moveaxis(along_cols, 1, 0).reshape(a, n * width)  # (H, n W)
    return np.moveaxis(out.reshape(-1, n, width), 1, 0)


def activation_map_2d(coeffs2d_list, attrs2d_list, shape, h, mode="periodization"):
    """2-D activation map: ``|c * attribution|`` of every band spread by its analysis weights, summed.

    The transform is separable, so coefficient ``(k, l)`` of a band at level j reads pixel ``(r, s)`` with
    weight ``u_k(r) v_l(s)``, ``u`` and ``v`` the 1-D weights along rows and columns (approximation weights
    along an axis the band lowpasses, detail weights along one it highpasses: ``cH`` highpasses along rows,
    ``cV`` along columns, ``cD`` along both). Its ``|c * a|`` is shared out in proportion to
    ``u_k(r)² v_l(s)² / (Σ u_k² Σ v_l²)``, as matrix products per band. As in :func:`activation_map_1d`
    nothing falls off the border and each map sums to ``Σ |c * a|``.

    Parameters
    ----------
    coeffs2d_list : list
        ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]``, arrays of shape (n, h_j, w_j).
    attrs2d_list : list
        Attributions in the same layout.
    shape : (int, int)
        Input map shape ``(H, W)`` (pixels).
    h : array-like of shape (N,)
        The lowpass filter the coefficients were computed with.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
        Their boundary mode.

    Returns
    -------
    ndarray of shape (n, H, W)
    """
    if len(coeffs2d_list) != len(attrs2d_list) or len(coeffs2d_list) < 2:
        raise InputError("attrs2d_list", "does not match coeffs2d_list",
                         "pass both in the pywt layout [cA_J, (cH_J, cV_J, cD_J), ...]")
    height, width = (int(s) for s in shape)
    n_levels = len(coeffs2d_list) - 1
    def shares(size):  # per level j: (approximation shares, detail shares) along an axis of `size` pixels
        return [(_weights.energy_shares(a), _weights.energy_shares(d))
                for a, d in _weights.level_weights(h, size, n_levels, mode)]

    along = [shares(height)]
    along.append(along[0] if width == height else shares(width))  # a square map: one axis's, twice
    total = None
    for b, (c, a) in enumerate(zip(coeffs2d_list, attrs2d_list)):
        cs = [c] if b == 0 else list(c)
        as_ = [a] if b == 0 else list(a)
        if len(cs) != (1 if b == 0 else 3) or len(cs) != len(as_):
            raise InputError("attrs2d_list", f"band {b} has {len(as_)} arrays, coefficients {len(cs)}",
                             "pass (cH, cV, cD) tuples for detail levels")
        level = _band_levels(len(coeffs2d_list))[b]
        (rows_a, rows_d), (cols_a, cols_d) = along[0][level - 1], along[1][level - 1]
        factors = [(rows_a, cols_a)] if b == 0 else [(rows_d, cols_a), (rows_a, cols_d), (rows_d, cols_d)]
        for ci, ai, (rows, cols) in zip(cs, as_, factors):
            ci, ai = _to_numpy(ci), _to_numpy(ai)
            if ci.shape != ai.shape or ci.ndim != 3:
                raise InputError("attrs2d_list", f"band {b} has shape {ai.shape}, coefficients {ci.shape}",
                                 "pass (n, h_j, w_j) arrays of the same shapes")
            _check_band_sizes(ci.shape[1:], (rows.shape[0], cols.shape[0]), "coeffs2d_list", f" at level {level}")
            part = _spread_2d(np.abs(ci * ai), rows, cols)
            total = part if total is None else total + part
    return total


def sensitivity_profile(gradients):
    """The teacher's mean sensitivity to each input sample: ``mean_i |grad f(x_i)_t|``, scaled to its largest value.

    Parameters
    ----------
    gradients : array-like of shape (n, L)
        The teacher's input gradients of n series (:func:`models.attributions.teacher_input_gradients`).

    Returns
    -------
    ndarray of shape (L,)
        In [0, 1]; all zeros when every gradient is 0.

    Examples
    --------
    >>> sensitivity_profile([[1.0, -2.0, 4.0], [1.0, 2.0, 0.0]]).tolist()
    [0.5, 1.0, 1.0]
    """
    profile = np.abs(_to_numpy(gradients)).mean(axis=0)
    top = profile.max() if profile.size else 0.0
    return profile / top if top > 0 else np.zeros_like(profile)


def sensitive_end(profile, window_share=END_WINDOW_SHARE, ratio=END_RATIO):
    """The end of the series where the teacher is most sensitive, when one stands out; else None.

    Parameters
    ----------
    profile : array-like of shape (L,)
        :func:`sensitivity_profile`.
    window_share : float, default=END_WINDOW_SHARE
        The window at each end, as a share of the L samples (at least one sample).
    ratio : float, default=END_RATIO
        How many times the series' mean sensitivity a window's mean must reach.

    Returns
    -------
    dict or None
        ``end`` ("first" or "last"), ``samples`` (the window) and ``ratio`` (its mean over the series' mean), for
        the end with the larger ratio, when that ratio reaches ``ratio``.

    Examples
    --------
    >>> sensitive_end([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 1.0])
    {'end': 'last', 'samples': 1, 'ratio': 5.0}
    >>> sensitive_end([1.0, 1.0, 1.0, 1.0]) is None
    True
    """
    profile = np.asarray(profile, dtype=float)
    mean = profile.mean() if profile.size else 0.0
    if not (mean > 0):
        return None
    k = max(1, int(round(window_share * profile.size)))
    ratios = {"first": float(profile[:k].mean() / mean), "last": float(profile[-k:].mean() / mean)}
    end = max(ratios, key=ratios.get)
    return {"end": end, "samples": k, "ratio": round(ratios[end], 2)} if ratios[end] >= ratio else None
