"""What every format reader shares: the byte budget, the dtype and metadata checks, and the array names.

The readers call these to refuse oversized or non-numeric arrays with the same words in every format, to find
``X``/``y``/``X_test``/``y_test`` under their accepted aliases (:data:`ALIASES`) and to build the
:class:`~models.data.dataset.Dataset` with the same "not found" errors.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers.detect import SUPPORTED
from awd_studio.models.validation import InputError

__all__ = ["NUMBERING_MIN_ROWS", "numbers_the_rows", "indexes_the_rows", "DEFAULT_MAX_BYTES", "ALIASES", "byte_budget",
           "too_big", "require_numeric_dtype", "as_str", "make_dataset", "pick_arrays", "reading_errors"]

#: Decoded-array budget used when ``max_bytes`` is None (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3


def byte_budget(max_bytes) -> int:
    """``max_bytes`` as a positive int (:data:`DEFAULT_MAX_BYTES` for None)."""
    if max_bytes is None:
        return DEFAULT_MAX_BYTES
    if int(max_bytes) <= 0:
        raise InputError("max_bytes", f"must be positive, got {max_bytes}", "pass a byte budget such as 2**30")
    return int(max_bytes)


def too_big(what: str, n_bytes: int, budget: int) -> InputError:
    """The error for ``what`` decoding to ``n_bytes``, more than ``budget``."""
    return InputError("file", f"{what} would decode to {n_bytes / 2**20:.1f} MiB, above the limit of "
                      f"{budget / 2**20:.1f} MiB", "upload fewer or smaller samples (or float32 data)")


def require_numeric_dtype(dtype: np.dtype, field: str) -> None:
    """Refuse object arrays (never unpickled) and non-numeric dtypes, naming ``field``."""
    if dtype.hasobject or dtype.kind == "O":
        raise InputError(field, "is an object array, which is never unpickled",
                         "save a rectangular numeric array (all rows the same length)")
    if dtype.kind not in "biuf":
        raise InputError(field, f"has non-numeric dtype {dtype}", "save numbers (int or float)")


def as_str(arr) -> str:
    """A stored 0-d string array (``name``, ``kind``, ``meta_json``) as ``str``."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "US" or arr.ndim != 0:
        raise InputError("file", "a metadata entry is not a string", "save name/meta_json as strings")
    return str(arr[()].decode() if arr.dtype.kind == "S" else arr[()])


def make_dataset(arrays: dict, name: str, *, meta=None, target_names=None, kind=None, stored=None) -> Dataset:
    """The :class:`Dataset` of canonical ``arrays``; a missing ``X`` or ``y`` is named in the error, with the
    names the file holds (``stored``; the canonical arrays found when not given)."""
    names = sorted(stored if stored is not None else arrays)
    held = ", ".join(repr(k) for k in names) or "nothing"
    # review 28A: a file of maps, Omega_m and sigma_8 was told of X, then after a rename of y, one round trip each
    others = [k for k in names if k not in {a for aliases in ALIASES.values() for a in aliases} | _METADATA][:4]
    # which stored array holds the signals is unknown while X is missing: then the stack names no arrays
    stack = ("np.stack([the parameters' arrays], axis=1)" if "X" not in arrays else
             f"np.stack([{', '.join(others)}], axis=1)" if len(others) > 1 else "")
    targets = (f"the targets under the name 'y' (or {', '.join(ALIASES['y'][1:])}), one row per sample, one column "
               "per parameter" + (f" (y={stack}, with target_names naming the columns)" if stack else ""))
    if "X" not in arrays:
        raise InputError("X", f"not found in the file, which holds {held}",
                         f"store the signals under the name 'X' (or {', '.join(ALIASES['X'][1:])})"
                         + (f", and {targets}" if "y" not in arrays else ""))
    if "y" not in arrays:
        raise InputError("y", f"not found in the file, which holds {held}", f"store {targets}")
    return Dataset(arrays["X"], arrays["y"], arrays.get("X_test"), arrays.get("y_test"), kind=kind, name=name,
                   meta=meta or {}, target_names=target_names, min_samples=1)  # load_dataset checks the count


#: Names of a file's metadata entries (not data arrays).
_METADATA = {"name", "kind", "meta_json", "target_names", "times", "ids"}

#: Canonical name -> the names a file may store it under, in order of preference.
ALIASES = {"X": ("X", "x", "X_train", "x_train"), "y": ("y", "Y", "y_train", "Y_train"),
           "X_test": ("X_test", "x_test"), "y_test": ("y_test", "Y_test")}


def pick_arrays(names) -> dict:
    """Map our canonical names to the first matching name present."""
    out = {}
    for canon, options in ALIASES.items():
        for opt in options:
            if opt in names:
                out[canon] = opt
                break
    return out



@contextmanager
def reading_errors(path, fmt: str):
    """Run a reader so that any failure is an :class:`InputError` naming the file (the libraries' warnings hushed).

    ``InputError`` passes through; running out of memory and anything a damaged file makes a library raise
    (KeyError, RuntimeError, ...) become one sentence with the fix.
    """
    try:
        with warnings.catch_warnings():  # astropy/h5py/scipy warn about damaged files; errors follow anyway
            warnings.simplefilter("ignore")
            yield
    except InputError:
        raise
    except MemoryError:
        raise InputError("file", f"{path.name!r} is too large to decode in memory",
                         "upload fewer or smaller samples") from None
    except Exception as exc:  # a damaged file can make any library fail in its own way (KeyError, RuntimeError...)
        raise InputError("file", f"{path.name!r} could not be read as {fmt} ({type(exc).__name__}: {exc})",
                         f"upload a complete, valid {SUPPORTED} file") from None


#: The fewest rows a column of numbers must have to be read as a numbering of the rows (:func:`numbers_the_rows`).
NUMBERING_MIN_ROWS = 5


def numbers_the_rows(values) -> bool:
    """Whether a column's values number its rows: distinct whole numbers forming a run, sorted (``101, 102, …``,
    either way) or 1..n or 0..n-1 in any order, in at least :data:`NUMBERING_MIN_ROWS` rows (a track's, a cell's or a
    map's number: review 40, ``Track`` = 1…500 was read as a target, and the default one). The text and FITS readers'
    one rule for identifier columns found by their content.

    Parameters
    ----------
    values : array-like of float, shape (n,)

    Returns
    -------
    bool

    Examples
    --------
    >>> numbers_the_rows([3, 1, 2, 5, 4]), numbers_the_rows(np.arange(1000, 1024)), numbers_the_rows([1, 2, 3])
    (True, True, False)
    >>> numbers_the_rows([103, 101, 102, 105, 104]), numbers_the_rows([1, 3, 5, 7, 9])  # out of order; not a run
    (False, False)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < NUMBERING_MIN_ROWS or not np.all(np.isfinite(values)):
        return False
    if not np.all(values == np.round(values)):
        return False
    ordered = np.sort(values)
    if not np.array_equal(ordered, ordered[0] + np.arange(values.size)):  # distinct, and a run
        return False
    return bool(np.array_equal(values, ordered) or np.array_equal(values, ordered[::-1]) or ordered[0] in (0, 1))


def indexes_the_rows(values) -> bool:
    """Whether a column's values are the rows' own index, exactly: 0, 1, …, n-1 or 1, 2, …, n, in the rows' order,
    in at least :data:`NUMBERING_MIN_ROWS` rows (the index pandas writes first with ``to_csv(header=False)``). The
    stricter rule for a file without a header, where no name tells an identifier from a time point: a run in
    another order, or from another start, may be a series' first time point.

    Parameters
    ----------
    values : array-like of float, shape (n,)

    Returns
    -------
    bool

    Examples
    --------
    >>> indexes_the_rows(range(6)), indexes_the_rows(range(1, 7)), indexes_the_rows(range(3))
    (True, True, False)
    >>> indexes_the_rows([1, 0, 2, 3, 4, 5]), indexes_the_rows(range(2, 8)), indexes_the_rows([0] * 6)
    (False, False, False)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < NUMBERING_MIN_ROWS:
        return False
    run = np.arange(values.size, dtype=np.float64)
    return bool(np.array_equal(values, run) or np.array_equal(values, run + 1))
