"""The one place that checks user arrays: dtype, shape, finiteness and sizes of signals and targets.

Readers, the CLI, the API and the trainer call these functions instead of checking arrays themselves, so
every bad input fails the same way: an :class:`InputError` (a ``ValueError``) whose message reads
``"<field>: <problem>; <what to pass instead>"`` and whose ``field`` attribute names the offending input.
Names and depths are checked by their owners, once: boundary modes and levels by :mod:`models.wavelets`
(``MODES``, :func:`~models.wavelets.check_level`, :func:`~models.wavelets.max_level`), wavelet names by
:func:`models.filters.lowpass_filter`.

Conventions (see ARCHITECTURE.md): time series are ``(n, L)``, maps are ``(n, H, W)``; targets are ``(n,)``
or ``(n, k)``. Checked arrays come back as native-byte-order, C-contiguous floating-point arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "InputError",
    "dimensions_words",
    "check_signals",
    "check_targets",
    "check_targets_vary",
    "check_value_count",
    "nonfinite_words",
    "signal_kind",
]

#: Default limits for :func:`check_signals` (one sample and the whole array).
DEFAULT_MIN_SAMPLES = 10
DEFAULT_MIN_LENGTH = 8
DEFAULT_MAX_LENGTH = 65_536
DEFAULT_MAX_ELEMENTS = 200_000_000


class InputError(ValueError):
    """Bad user input, with the name of the offending field.

    Parameters
    ----------
    field : str
        Name of the input that failed (``"X"``, ``"y"``, ``"file"``, ``"level"``...).
    problem : str
        What is wrong, e.g. ``"contains 3 NaN values"``.
    fix : str, optional
        What to pass instead. Appended after a semicolon.
    remedies : tuple of str, optional
        Upload options that would let the input through (``"drop_incomplete"``, ``"pad_ends"``), for a page to
        offer as buttons; empty when none would.

    Attributes
    ----------
    field : str
        As given.
    remedies : tuple of str
        As given.

    Examples
    --------
    >>> err = InputError("y", "has 9 rows but X has 10", "give one target per sample")
    >>> str(err)
    'y: has 9 rows but X has 10; give one target per sample'
    """

    def __init__(self, field: str, problem: str, fix: str | None = None, remedies: tuple[str, ...] = ()):
        self.field = field
        self.problem = problem
        self.fix = fix
        self.remedies = tuple(remedies)
        message = f"{field}: {problem}"
        if fix:
            message += f"; {fix}"
        super().__init__(message)

    def __reduce__(self):  # keep the fields when pickled across processes (Celery)
        return (type(self), (self.field, self.problem, self.fix, self.remedies))


def _as_numeric(a, field: str) -> np.ndarray:
    """Convert ``a`` to a native-byte-order float array or raise InputError."""
    if a is None:
        raise InputError(field, "is missing", "pass an array")
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise InputError(field, f"cannot be read as an array ({exc})", "pass a rectangular numeric array") from None
    kind = arr.dtype.kind
    if kind == "O":
        raise InputError(field, "is an object array (ragged rows or Python objects)",
                         "pass a rectangular array of numbers (all rows the same length)")
    if kind == "c":
        raise InputError(field, "is complex", "pass real numbers (e.g. the magnitude or the real part)")
    if kind in "USV":
        raise InputError(field, f"has non-numeric dtype {arr.dtype}", "pass numbers (int or float)")
    if kind in "mM":
        raise InputError(field, f"has date/time dtype {arr.dtype}", "pass numbers (int or float)")
    if kind not in "biuf":
        raise InputError(field, f"has unsupported dtype {arr.dtype}", "pass numbers (int or float)")
    if kind == "f" and arr.dtype.itemsize >= 4:
        dtype = arr.dtype.newbyteorder("=")  # keeps float32/float64, converts '>f8' to native
    else:
        dtype = np.float64
    return np.ascontiguousarray(arr, dtype=dtype)


#: The fix a file of maps with missing pixels is told (review 32A: a survey's masked region is NaN in every map, so
#: "remove those samples" would have removed them all).
MASKED_MAPS_FIX = ("a masked region is not read: fill its pixels before uploading (with 0 for a convergence map of "
                   "mean 0, else with the map's mean), or cut the maps to the unmasked area; a filled region's edges "
                   "make peaks of their own, so keep the filled area small")


def _check_finite(arr: np.ndarray, field: str) -> None:
    """Raise :class:`InputError` when ``arr`` holds NaN or infinite values: how many, where the first is, in how many
    samples (maps: with how to fill a masked region)."""
    if not np.isfinite(arr).all():
        fix = MASKED_MAPS_FIX if arr.ndim == 3 else "remove or impute those samples first"
        raise InputError(field, nonfinite_words(arr), fix)


def nonfinite_words(arr: np.ndarray) -> str:
    """How a refusal says the NaN and infinite values of ``arr`` (one that holds some): how many, where the first
    is, in how many samples.

    Parameters
    ----------
    arr : ndarray of shape (n,), (n, L) or (n, H, W)

    Returns
    -------
    str

    Examples
    --------
    >>> nonfinite_words(np.array([[1.0, 2.0], [3.0, np.nan]]))
    'contains 1 NaN and 0 infinite values (first at sample 2, value 2 counting from 1; ...; in 1 of 2 samples)'
    """
    finite = np.isfinite(arr)
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(arr.size - finite.sum() - n_nan)
    where = [int(i) for i in np.argwhere(~finite)[0]]
    affected = int((~finite).reshape(len(arr), -1).any(axis=1).sum()) if arr.ndim >= 2 else None
    within = "" if affected is None else f"; in {affected} of {len(arr)} samples"
    return f"contains {n_nan} NaN and {n_inf} infinite values (first at {_position(where)}{within})"


def _position(index) -> str:
    """Where a value sits, counted from 1 as in a spreadsheet, and numpy's index (counted from 0).

    Examples
    --------
    >>> _position([5, 7])
    'sample 6, value 8 counting from 1; numpy index (5, 7)'
    >>> _position([2, 0, 63])
    'sample 3, row 1, column 64 counting from 1; numpy index (2, 0, 63)'
    """
    names = {1: ("sample",), 2: ("sample", "value"), 3: ("sample", "row", "column")}.get(len(index))
    numpy_index = f"numpy index {tuple(index) if len(index) > 1 else index[0]}"
    if names is None:
        return numpy_index
    return ", ".join(f"{name} {i + 1}" for name, i in zip(names, index)) + f" counting from 1; {numpy_index}"


def _without_channel_axis(arr: np.ndarray) -> np.ndarray:
    """``arr`` without a length-1 channel axis right after the samples or last (3-D or 4-D input only)."""
    if arr.ndim in (3, 4) and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim in (3, 4) and arr.shape[-1] == 1:
        return arr[..., 0]
    return arr


def check_signals(
    X,
    field: str = "X",
    *,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    min_length: int = DEFAULT_MIN_LENGTH,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
    kind: str | None = None,
) -> np.ndarray:
    """Check a batch of signals and return it as a finite float array.

    Parameters
    ----------
    X : array-like of shape (n, L) or (n, H, W)
        Time series (one per row) or maps. Integers and booleans are converted to float64; float32 and
        float64 keep their precision; big-endian data (e.g. FITS ``'>f8'``) is converted to native order. A
        single channel axis is dropped: (n, 1, L) and (n, L, 1) are series, (n, 1, H, W) and (n, H, W, 1) maps
        (PyTorch's and TensorFlow's layouts).
    field : str, default="X"
        Name used in error messages.
    min_samples : int, default=10
        Smallest accepted ``n``.
    min_length : int, default=8
        Smallest accepted ``L`` (or ``H`` and ``W``).
    max_length : int, default=65536
        Largest accepted ``L`` (or ``H`` and ``W``).
    max_elements : int, default=2e8
        Largest accepted total number of values.
    kind : {"timeseries", "image"} or None, default=None
        Require 2-D (``"timeseries"``) or 3-D (``"image"``) input; ``None`` accepts both.

    Returns
    -------
    X : ndarray of shape (n, L) or (n, H, W), float32 or float64
        Native byte order, C-contiguous, all values finite.

    Raises
    ------
    InputError
        Non-numeric, object or complex dtype, wrong ndim, too few/many samples, too short/long, NaN/Inf.

    Examples
    --------
    >>> check_signals(np.zeros((10, 16), dtype=">f8")).dtype.byteorder in "=|<"
    True
    """
    arr = _as_numeric(X, field)
    arr = _without_channel_axis(arr)
    allowed = {"timeseries": (2,), "image": (3,), None: (2, 3)}
    if kind not in allowed:
        raise InputError("kind", f"unknown kind {kind!r}", "use 'timeseries' or 'image'")
    if arr.ndim not in allowed[kind]:
        expect = {"timeseries": "(n, L)", "image": "(n, H, W)", None: "(n, L) for time series or (n, H, W) for maps"}
        hint = ""
        if arr.ndim == 1:
            hint = " (a single series? reshape to (1, L); a column of values? that is a target, not X)"
        elif arr.ndim == 4:
            hint = " (several channels? AWD takes one channel: pass X[:, 0])"
        raise InputError(field, f"has {dimensions_words(arr.ndim)}, shape {arr.shape}{hint}",
                         f"pass an array shaped {expect[kind]}")
    n = arr.shape[0]
    if n < min_samples:
        raise InputError(field, f"has {n} sample{'' if n == 1 else 's'}, fewer than the minimum of {min_samples}",
                         f"pass at least {min_samples} samples (one per row)")
    for axis, size in enumerate(arr.shape[1:], start=1):
        if size < min_length:
            what = f"maps of at least {min_length} × {min_length} pixels" if arr.ndim == 3 else \
                f"series of at least {min_length} values"
            # a short last axis of a 3-D array is more often channels than a map's side (review 21: (300, 32, 2))
            channels = (f" (several channels? AWD takes one channel: pass X[..., 0] for series shaped "
                        f"{(n, arr.shape[1])})" if arr.ndim == 3 and axis == 2 and size <= 4 else "")
            raise InputError(field, f"axis {axis} has length {size}, shorter than the minimum of {min_length}"
                             f"{channels}", f"pass {what}")
        if size > max_length:
            raise InputError(field, f"axis {axis} has length {size}, longer than the maximum of {max_length}",
                             "crop or downsample the signals")
    check_value_count(field, arr.size, max_elements)
    _check_finite(arr, field)
    return arr


def dimensions_words(ndim: int) -> str:
    """How many dimensions an array has, in words (review 44: "has 1 dimensions").

    Examples
    --------
    >>> dimensions_words(1), dimensions_words(4)
    ('1 dimension', '4 dimensions')
    """
    return f"{ndim} dimension{'' if ndim == 1 else 's'}"


def check_value_count(field: str, n_values: int, max_elements: int = DEFAULT_MAX_ELEMENTS) -> None:
    """Refuse an array of more than ``max_elements`` values: a decoded array, or one a file's header declares
    before it is decoded (the readers, :mod:`models.data.readers.npy`).

    Examples
    --------
    >>> check_value_count("X", 10, max_elements=100)
    >>> check_value_count("X", 1000, max_elements=100)
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: X: has 1000 values, more than the limit of 100; pass fewer or smaller samples
    """
    if n_values > max_elements:
        raise InputError(field, f"has {n_values} values, more than the limit of {max_elements}",
                         "pass fewer or smaller samples")


def check_targets(y, n: int | None = None, field: str = "y") -> np.ndarray:
    """Check regression targets and return them as a finite float64 array.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        One target (or a row of ``k`` targets) per sample.
    n : int or None, default=None
        Number of samples in the matching ``X``; ``None`` skips the length check.
    field : str, default="y"
        Name used in error messages.

    Returns
    -------
    y : ndarray of shape (n,) or (n, k), float64
        Native byte order, all values finite. A ``(n, 1)`` array is kept as is.

    Raises
    ------
    InputError
        Non-numeric dtype, ndim not 1 or 2, zero columns, length differing from ``n``, NaN/Inf.
    """
    arr = _as_numeric(y, field).astype(np.float64, copy=False)
    if arr.ndim not in (1, 2):
        raise InputError(field, f"has {dimensions_words(arr.ndim)}, shape {arr.shape}",
                         "pass targets shaped (n,) or (n, k)")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise InputError(field, "has no target columns", "pass at least one target per sample")
    if n is not None and arr.shape[0] != n:
        rows = f"{arr.shape[0]} row{'' if arr.shape[0] == 1 else 's'}"
        # one map saved as a 2D X reads as n series of length L: say so (a reviewer's one 512 × 512 map)
        hint = (f" (a 2D X is read as {n} series, one per row; one map of {n} rows is saved as X[None], shaped "
                f"(1, {n}, W), and maps need at least two)" if arr.shape[0] == 1 and n > 1 else "")
        raise InputError(field, f"has {rows} but X has {n} samples{hint}",
                         "give exactly one target (row) per sample of X")
    _check_finite(arr, field)
    return arr


def check_targets_vary(y, field: str = "y", remedy: str = "give targets that vary across samples") -> None:
    """Refuse targets that take one value on every sample: there is nothing to learn, and R² is undefined.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        Checked targets (:func:`check_targets`). With several columns, it is enough that one varies (a column held
        fixed beside one that varies is a normal design); the job's own column is checked on its own.
    field : str, default="y"
        Name used in error messages.
    remedy : str, default="give targets that vary across samples"
        What the error tells the user to do.

    Raises
    ------
    InputError
        When no column takes two different values.

    Examples
    --------
    >>> check_targets_vary(np.array([[0.3, 0.8], [0.5, 0.8]]))
    >>> check_targets_vary(np.ones(4))
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: y: is 1 for every sample: there is nothing to predict ...
    """
    arr = np.asarray(y, dtype=np.float64)
    columns = arr.reshape(arr.shape[0], -1)
    if columns.size and np.all(columns == columns[:1]):
        values = ", ".join(f"{v:g}" for v in columns[0])
        raise InputError(field, f"is {values} for every sample: there is nothing to predict (R² is undefined)",
                         remedy)


def signal_kind(X: np.ndarray) -> str:
    """``"timeseries"`` for ``(n, L)`` arrays, ``"image"`` for ``(n, H, W)``.

    Parameters
    ----------
    X : ndarray of shape (n, L) or (n, H, W)

    Returns
    -------
    kind : {"timeseries", "image"}
    """
    if X.ndim == 2:
        return "timeseries"
    if X.ndim == 3:
        return "image"
    raise InputError("X", f"has {dimensions_words(X.ndim)}", "pass (n, L) or (n, H, W)")
