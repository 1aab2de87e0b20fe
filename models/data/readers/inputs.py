"""Inputs to predict: the signals of a data file, with its targets when it has them.

A distilled student is applied to new data that often has no targets yet. :func:`load_inputs` reads every
format of :func:`~models.data.readers.load_dataset` with the same readers and the same checks (never
unpickles, byte budget before decoding, finite numbers), but ``y`` may be missing:

- ``.npz`` / HDF5 / MATLAB: ``X`` (and ``X_test``) alone, or with ``y`` (``y_test``);
- ``.npy``: the array is ``X``; a sibling ``<stem>_y.npy`` adds its targets;
- CSV: columns named ``y``/``target``/``y_<name>``/``target_<name>`` are targets, and so are the columns whose
  names are off the time axis the others name (``productive`` after ``t0 … t39``), as for datasets; without
  either, a row of exactly the expected series length is all signal, and one more column is a target (last);
- FITS: the maps, with targets when the file has a BINTABLE or ``TARGETS`` keywords.

Datasets for distillation still go through :func:`~models.data.readers.load_dataset`, which requires targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awd_studio.models.data.noise import map_noise
from awd_studio.models.data.pixels import pixel_arcmin
from awd_studio.models.data.readers._common import byte_budget, reading_errors
from awd_studio.models.data.readers.channels import drop_channel_axis
from awd_studio.models.data.readers.detect import detect_format
from awd_studio.models.data.readers.fits import read_fits_arrays
from awd_studio.models.data.readers.hdf5 import read_hdf5_arrays, read_hdf5_target_names
from awd_studio.models.data.readers.matlab import read_mat_arrays
from awd_studio.models.data.readers.missing import complete_inputs
from awd_studio.models.data.readers.npy import read_npy_arrays, read_npz_arrays
from awd_studio.models.data.readers.text import (
    csv_targets,
    fill_ended_series,
    keep_fillable_rows,
    read_table,
    series_column_words,
)
from awd_studio.models.validation import InputError, check_signals, check_targets

__all__ = ["PredictionInputs", "load_inputs"]


@dataclass(frozen=True)
class PredictionInputs:
    """Checked signals to predict, and their targets when the file has them.

    Attributes
    ----------
    X : ndarray of shape (n, L) or (n, H, W)
        Finite, native byte order.
    y : ndarray of shape (n,) or (n, k), or None
        float64 targets, None when the file has none. NaN only for a CSV read with ``drop_incomplete``: a blank
        target cell of a row whose series is there (the row is predicted, not scored).
    X_test : ndarray of shape (n_test, ...) or None
        The file's fixed test split, when it has one.
    y_test : ndarray of shape (n_test,) or (n_test, k), or None
    source_format : str
        ``npz``, ``npy``, ``csv``, ``fits``, ``hdf5``, ``mat`` or ``mat73``.
    ids : list of str or None
        A CSV's row identifiers (its first identifier column, e.g. track names), one per sample of ``X``.
    id_name : str or None
        That column's name.
    padded : dict or None
        With ``pad_ends``: the traces filled (:func:`~models.data.readers.text.fill_ended_series`), None when none.
    rows : list of int or None
        A CSV's rows: each sample's place among the file's data rows (from 0), which rows left out
        (``drop_incomplete``) skip; for series in an npz, npy, HDF5 or MATLAB file read with ``drop_incomplete``,
        each sample's index in ``X``; None otherwise.
    dropped : dict or None
        With ``drop_incomplete``: the rows left out, ``{"count", "rows", "of"}`` as a dataset's ``dropped_rows``
        (the first 20 by line and identifier); None when none was. A row lacking only its target is not among them.
    row_words : list of str or None
        A CSV's rows as its errors name them (``"line 7 (trk0005)"``), one per sample of ``X`` (``"sample 8"`` for
        an array file's series read with ``drop_incomplete``); None otherwise.
    target_names : list of str or None
        The names the file gives its target columns (an npz's or HDF5 file's ``target_names``, a CSV's headers, a
        FITS table's columns), one per column of ``y``; None when it names none.
    pixel_arcmin : float or None
        The maps' pixel side in arcmin when the file says (a FITS ``ANGLE`` over the maps' width, an npz's
        ``meta_json``; :func:`~models.data.pixels.pixel_arcmin`); None for series and for files that do not.
    map_noise : dict or None
        The maps' shape noise and smoothing when the file records them (:func:`~models.data.noise.map_noise`).
    """

    X: np.ndarray
    y: np.ndarray | None
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    source_format: str
    ids: list[str] | None = None
    id_name: str | None = None
    padded: dict | None = None
    target_names: list[str] | None = None
    pixel_arcmin: float | None = None
    map_noise: dict | None = None
    rows: list[int] | None = None
    dropped: dict | None = None
    row_words: list[str] | None = None

    @property
    def has_targets(self) -> bool:
        """Whether every split present has targets."""
        return self.y is not None and (self.X_test is None or self.y_test is not None)


#: What a refusal of a new file's missing values suggests (the predict route's field and ``awd predict``'s option).
PREDICT_DROP_HINT = ("or fill in or remove those rows first: each series needs every time point to be predicted; or "
                     "leave them out of the predictions (drop_incomplete=true; awd predict --drop-incomplete), each "
                     "prediction then keeping its row in the file (a row lacking only its target is then predicted, "
                     "without a score)")
#: :data:`PREDICT_DROP_HINT` for an array file's series (npz, HDF5, MATLAB), whose NaN targets are still refused.
ARRAY_PREDICT_DROP_HINT = PREDICT_DROP_HINT.split(" (a row lacking")[0]


def _csv_arrays(path: Path, budget: int, sample_shape, pad_ends: bool = False, drop_incomplete: bool = False) -> dict:
    """X and, when the header names them or one extra column is there, y of a CSV file; with ``pad_ends`` the
    traces that ended early (blank cells after their last value, or fewer columns than the predictor's length) are
    filled with zeros, as the training data were (:func:`~models.data.readers.text.fill_ended_series`); with
    ``drop_incomplete`` the rows whose series still lack a value are left out (``dropped``), a row lacking only its
    target is kept with a NaN target (``blank_targets``: to be predicted, not scored), and ``rows`` gives each row
    kept its place among the file's data rows."""
    # with drop_incomplete the missing values are read as NaN (text is still left out), to tell a row lacking only its
    # target, which can be predicted, from one with a gap in its series, which cannot
    table = read_table(path, budget, drop_incomplete, drop_hint=PREDICT_DROP_HINT,
                       keep_missing=pad_ends or drop_incomplete, remedies=("drop_incomplete",),
                       blank_targets=drop_incomplete)
    data, header = table.data, table.header
    width = data.shape[1]
    targets, _ = csv_targets(header, width)
    length = sample_shape[0] if sample_shape is not None and len(sample_shape) == 1 else None
    if targets:  # the datasets' rule: named targets, and the columns off the time axis the others name
        cols = targets
    elif length is not None and width == length:
        cols = []  # exactly one series per row: no target column
    elif pad_ends and length is not None and width < length:
        cols = []  # a movie whose longest trace is shorter than the training ones: no target column
    elif length is not None and width != length + 1:
        raise InputError("X", f"the CSV rows have {width} columns, the predictor takes series of length {length}",
                         f"give each row {length} values, optionally followed by one target column")
    elif width >= 2:
        cols = [width - 1]  # the datasets' rule: the last column is the target
    else:
        raise InputError("file", "has a single column", "put one series per row, its values in the columns")
    x_cols = [j for j in range(width) if j not in cols]
    arrays = {"X": data[:, x_cols], "rows": [int(i) for i in table.kept],
              "dropped": list(table.dropped), "words": table.rows, "ids": table.ids}
    if pad_ends:  # review 29B: a new movie exported as the training one was (blank ends) was refused
        X = arrays["X"]
        if length is not None and X.shape[1] < length:
            X = np.pad(X, ((0, 0), (0, length - X.shape[1])), constant_values=np.nan)
        arrays["X"] = X
    if drop_incomplete:  # the rows whose series filling cannot complete (a gap, no value) are left out
        arrays, data = _leave_out_unfillable(arrays, data, fill_ends=pad_ends)
    if pad_ends:
        columns = series_column_words(header, x_cols, arrays["X"].shape[1])  # as the dataset reader names them
        arrays["X"], arrays["padded"] = fill_ended_series(arrays["X"], arrays["words"], columns,
                                                          remedies=("drop_incomplete",))
        if cols and not drop_incomplete and np.isnan(data[:, cols]).any():
            raise InputError("y", "has blank cells", "give every row its target, or leave the target column out; "
                             "or predict those rows without a score (drop_incomplete=true; awd predict "
                             "--drop-incomplete)", remedies=("drop_incomplete",))
    if arrays.pop("ids"):  # a track's name: the predictions carry it (matching them by row order was left to the user)
        arrays["ids"], arrays["id_name"] = [table.ids[i] for i in _positions(table.kept, arrays["rows"])], table.id_name
    if cols:
        arrays["y"] = data[:, cols[0]] if len(cols) == 1 else data[:, cols]
        arrays["blank_targets"] = drop_incomplete  # NaN kept only here: rows to predict without a score
        if header is not None:
            arrays["target_names"] = [header[j] for j in cols]
    dropped = arrays.pop("dropped")
    arrays["row_words"] = arrays.pop("words")
    if dropped:
        arrays["dropped"] = {"count": len(dropped), "rows": dropped[:20], "of": len(dropped) + len(arrays["rows"])}
    return arrays


def _positions(kept, rows) -> list[int]:
    """Where each of ``rows`` (file rows) is in ``kept`` (the file rows the reader kept, in order)."""
    where = {int(r): k for k, r in enumerate(kept)}
    return [where[r] for r in rows]


def _leave_out_unfillable(arrays: dict, data: np.ndarray, fill_ends: bool) -> tuple[dict, np.ndarray]:
    """``arrays`` (``X``, ``rows``, ``words``, ``dropped``) and ``data`` without the rows whose series filling the
    ends cannot complete (``fill_ends``; else the rows whose series lack any value), named among ``dropped`` in the
    file's order (:func:`~models.data.readers.text.keep_fillable_rows`). A row lacking only its target is kept: it
    can be predicted, only not scored."""
    keep, dropped = keep_fillable_rows(arrays["X"], None, arrays["words"], arrays["dropped"], fill_ends=fill_ends)
    if len(keep) == len(data):
        return arrays, data
    return ({**arrays, "X": arrays["X"][keep], "rows": [arrays["rows"][i] for i in keep],
             "words": [arrays["words"][i] for i in keep], "dropped": dropped}, data[keep])


def _read(path: Path, fmt: str, budget: int, sample_shape, pad_ends: bool = False,
          drop_incomplete: bool = False) -> dict:
    """The canonical arrays (``X`` always, ``y``/``X_test``/``y_test`` when present) of a file of ``fmt``; the NaN of
    an array file's series handled by ``pad_ends`` and ``drop_incomplete`` as a text file's missing cells
    (:func:`~models.data.readers.missing.complete_inputs`), after a channel axis of size 1 is dropped
    (:func:`~models.data.readers.channels.drop_channel_axis`; the axes decide series from maps, and a file of the
    other kind than the predictor's is refused by the caller's comparison of shapes)."""
    if fmt in ("csv", "fits"):
        return _read_arrays(path, fmt, budget, sample_shape, pad_ends, drop_incomplete)
    length = sample_shape[0] if sample_shape is not None and len(sample_shape) == 1 else None
    arrays, _ = drop_channel_axis(_read_arrays(path, fmt, budget, sample_shape))
    return complete_inputs(arrays, length=length, pad_ends=pad_ends, drop_incomplete=drop_incomplete,
                           hint=ARRAY_PREDICT_DROP_HINT)


def _read_arrays(path: Path, fmt: str, budget: int, sample_shape, pad_ends: bool = False,
                 drop_incomplete: bool = False) -> dict:
    """The arrays of :func:`_read` as the file holds them (a CSV's missing cells handled by the options)."""
    if fmt == "npz":
        arrays, meta, names, _, _ = read_npz_arrays(path, budget)
        return {**arrays, "meta": meta, **({"target_names": names} if names else {})}
    if fmt == "npy":
        return read_npy_arrays(path, budget)
    if fmt == "csv":
        return _csv_arrays(path, budget, sample_shape, pad_ends, drop_incomplete)
    if fmt == "fits":
        X, y, names, meta = read_fits_arrays(path, budget)
        found = {"X": X, "meta": meta}
        return found if y is None else {**found, "y": y, **({"target_names": names} if names else {})}
    if fmt in ("hdf5", "mat73"):
        arrays = read_hdf5_arrays(path, budget, matlab=fmt == "mat73")
        names = None if fmt == "mat73" else read_hdf5_target_names(path)
        return {**arrays, **({"target_names": names} if names else {})}
    return read_mat_arrays(path, budget)


def _decimal_targets(y, stored):
    """Checked float64 targets ``y``; those ``stored`` as float32 taken as the decimals they print as (review 28A: a
    float32 file's 0.3 was answered and written as 0.30000001192092896).

    Examples
    --------
    >>> stored = np.array([0.3, 0.7], dtype=np.float32)
    >>> _decimal_targets(stored.astype(np.float64), stored).tolist()
    [0.3, 0.7]
    """
    if getattr(stored, "dtype", None) != np.float32:
        return y
    return np.asarray(stored).astype(str).astype(np.float64).reshape(y.shape)  # numpy's shortest repr, in C


def _checked_targets(y, n: int, blanks: bool) -> np.ndarray:
    """The targets ``y`` of ``n`` samples checked (:func:`~models.validation.check_targets`, float32 ones as their
    decimals, :func:`_decimal_targets`); with ``blanks`` their NaN (a CSV's blank target cells, read with
    ``drop_incomplete``) are kept as NaN and the other values checked.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
    n : int
    blanks : bool

    Returns
    -------
    ndarray of shape (n,) or (n, k), float64

    Examples
    --------
    >>> _checked_targets(np.array([0.5, np.nan]), 2, blanks=True).tolist()
    [0.5, nan]
    """
    if not blanks:
        return _decimal_targets(check_targets(y, n, "y"), y)
    values = np.asarray(y, dtype=np.float64)
    blank = np.isnan(values)
    checked = check_targets(np.where(blank, 0.0, values), n, "y").copy()  # what is there must be finite numbers
    checked[blank] = np.nan
    return checked


def load_inputs(path, *, sample_shape=None, max_bytes=None, pad_ends=False, drop_incomplete=False) -> PredictionInputs:
    """Read the signals of a data file to predict them; targets are optional.

    Parameters
    ----------
    path : str or os.PathLike
        Any format :func:`~models.data.readers.load_dataset` reads.
    sample_shape : tuple of int, optional
        The shape of one sample the predictor expects, ``(L,)`` or ``(H, W)``. It tells a CSV row of ``L``
        numbers (no target) from one of ``L + 1`` (a target last); other formats name their arrays.
    max_bytes : int, optional
        Largest decoded size, checked before decoding (None: the readers' default, 2 GiB).
    pad_ends : bool, default=False
        A text file's traces that ended early are filled with zeros up to the predictor's length (for a result
        trained on traces filled so); said in ``padded``. So are the series ``X`` (n, L) of an npz, npy, HDF5 or
        MATLAB file, their NaN after a trace's last value, and those of its test split ``X_test``, whose samples are
        never left out (:func:`~models.data.readers.missing.complete_inputs`).
    drop_incomplete : bool, default=False
        A text file's rows with a missing value in their series (with ``pad_ends``: one filling the ends cannot
        complete, a gap inside a trace) are left out, named in ``dropped``; ``rows`` gives each sample's row in
        the file. A row lacking only its target (a blank target cell) is kept, its target NaN in ``y``: it is
        predicted, not scored. The samples of an array file's series with NaN are left out so too, named
        ``"sample k"`` (a NaN target there is still refused). FITS files and maps ignore it.

    Returns
    -------
    PredictionInputs
        ``X`` (n, L) or (n, H, W) with at least one sample; ``y`` None when the file has no targets.

    Raises
    ------
    InputError
        Unreadable, unsafe (pickles, object arrays) or invalid files, NaN/Inf, targets not one per sample.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "new.npz")
    >>> np.savez(path, X=np.ones((3, 16)))
    >>> got = load_inputs(path)
    >>> got.X.shape, got.y, got.has_targets
    ((3, 16), None, False)
    """
    path = Path(path)
    budget = byte_budget(max_bytes)
    fmt = detect_format(path)
    with reading_errors(path, fmt):
        found = _read(path, fmt, budget, sample_shape, pad_ends, drop_incomplete)
    if "X" not in found:
        raise InputError("X", f"not found in the file (found: {sorted(found) or 'nothing'})",
                         "store the signals to predict under the name 'X'")
    X = check_signals(found["X"], "X", min_samples=1)
    y = _checked_targets(found["y"], X.shape[0], found.get("blank_targets", False)) if "y" in found else None
    X_test = y_test = None
    if "X_test" in found:
        X_test = check_signals(found["X_test"], "X_test", min_samples=1)
        if X_test.shape[1:] != X.shape[1:]:
            raise InputError("X_test", f"has samples shaped {X_test.shape[1:]} but X has {X.shape[1:]}",
                             "give train and test samples the same shape")
        if "y_test" in found:
            y_test = _decimal_targets(check_targets(found["y_test"], X_test.shape[0], "y_test"), found["y_test"])
    names = found.get("target_names")
    if y is None or names is None or len(names) != (1 if y.ndim == 1 else y.shape[1]):
        names = None  # names that do not match the columns name nothing
    return PredictionInputs(X=X, y=y, X_test=X_test, y_test=y_test, source_format=fmt, ids=found.get("ids"),
                            id_name=found.get("id_name"), padded=found.get("padded"),
                            target_names=None if names is None else [str(n) for n in names],
                            pixel_arcmin=pixel_arcmin(found.get("meta"), X.shape[2]) if X.ndim == 3 else None,
                            map_noise=map_noise(found.get("meta")) if X.ndim == 3 else None,
                            rows=found.get("rows"), dropped=found.get("dropped"), row_words=found.get("row_words"))
