"""NumPy files: ``.npz`` archives (``X``, ``y``, optional test set and metadata) and ``.npy`` arrays.

An ``.npz`` is checked member by member from its zip directory and ``.npy`` headers before anything is
decoded (size, object dtype, truncation). An ``.npy`` file holds only ``X``; its targets come from sibling
files (``data_y.npy`` beside ``data.npy`` or ``data_X.npy``, and ``data_X_test.npy``/``data_y_test.npy``); beside
``data_X.npy`` a ``data_X_y.npy`` is taken for the targets too when there is no ``data_y.npy``
(:func:`npy_targets_names`).
Nothing is unpickled: ``np.load(..., allow_pickle=False)`` everywhere.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import (
    ALIASES,
    as_str,
    make_dataset,
    pick_arrays,
    require_numeric_dtype,
    too_big,
)
from awd_studio.models.data.readers.channels import drop_channel_axis, stored_channel_axis
from awd_studio.models.data.readers.missing import complete_series
from awd_studio.models.validation import InputError, check_value_count

__all__ = ["load_npz", "load_npy", "read_npz_arrays", "read_npy_arrays", "npy_targets_path", "npy_targets_names",
           "NpyWithoutTargets", "NPY_TARGETS_FIX", "npy_targets_words"]


def _npy_header(fp) -> tuple[np.dtype, tuple, int]:
    """Read an .npy header from an open binary file: (dtype, shape, declared data bytes)."""
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fp, max_header_size=100_000)
        elif version in ((2, 0), (3, 0)):
            shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fp, max_header_size=100_000)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # ValueError, SyntaxError, tokenize errors, EOFError... on damaged headers
        raise InputError("file", f"has a damaged .npy header ({exc})", "re-save the array with numpy.save") from None
    n_bytes = int(np.prod(shape, dtype=np.float64) * dtype.itemsize) if not dtype.hasobject else 0
    return dtype, tuple(shape), n_bytes


def _check_npz(path: Path, budget: int) -> list[str]:
    """Validate an npz archive without decoding data; return its member names (without .npy)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError) as exc:
        raise InputError("file", f"{path.name!r} is not a readable npz/zip archive ({exc}); it may be truncated",
                         "upload the complete file, saved with numpy.savez") from None
    with zf:
        infos = zf.infolist()
        if not infos:
            raise InputError("file", f"{path.name!r} is an empty archive",
                             "save X and y with numpy.savez(path, X=X, y=y)")
        declared = sum(i.file_size for i in infos)
        if declared > budget:
            raise too_big("the archive", declared, budget)
        names = []
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise InputError("file", f"archive member {info.filename!r} is not an .npy array",
                                 "save only arrays, with numpy.savez")
            key = info.filename[:-4]
            try:
                with zf.open(info) as member:
                    dtype, shape, n_bytes = _npy_header(member)
            except InputError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
                raise InputError("file", f"archive member {info.filename!r} cannot be read ({exc}); the file may be "
                                 "truncated", "upload the complete file") from None
            if dtype.hasobject:
                if key not in ("name", "kind", "target_names", "meta_json") and not pick_arrays([key]):  # unused
                    used = ", ".join(sorted({opts[0] for opts in ALIASES.values()}))
                    raise InputError(key, "is an object array, which is never unpickled, and AWD Studio does not "
                                          f"use it (it reads {used})",
                                     "save the file without it, e.g. numpy.savez(path, X=X, y=y)")
                raise InputError(key, "is an object array, which is never unpickled",
                                 "save a rectangular numeric array (all rows the same length)")
            if n_bytes > info.file_size:
                raise InputError(key, f"declares {n_bytes} bytes of data but the archive holds {info.file_size}",
                                 "re-save the file with numpy.savez")
            # before decoding: a small compressed file can decode to gigabytes
            check_value_count(key, int(np.prod(shape, dtype=np.float64)))
            names.append(key)
        return names


#: The fewest rows and columns of a 2-D ``X`` whose mismatch with ``y`` reads as one map saved without its sample axis.
ONE_MAP_MIN_SIDE = 64


def refuse_one_map_without_sample_axis(arrays: dict) -> None:
    """Refuse a 2-D ``X`` that is one map saved without its sample axis, before it is read as ``H`` series.

    A single map saved as ``X`` of shape (H, W) reads as H series of length W, and its targets (``y`` of the
    map's k parameters) then do not match: the mismatch alone ("y: has 2 rows but X has 2048 samples") did not
    say why. Refused when ``X`` is 2-D, at least :data:`ONE_MAP_MIN_SIDE` on both sides and nearly square (sides
    within a factor of 2), and ``y`` has a length other than ``X``'s rows; anything else is left to the
    dataset's own checks.

    Parameters
    ----------
    arrays : dict of str to ndarray
        The canonical arrays of a file (``X``, ``y``, ...).

    Raises
    ------
    InputError
        For ``y``: its length, ``X``'s shape, how one map is saved (``X[None]``, shape (1, H, W)) and that
        distillation needs two maps or more (which can then be cut into tiles).

    Examples
    --------
    >>> refuse_one_map_without_sample_axis({"X": np.zeros((128, 128)), "y": np.array([0.3, 0.8])})
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: y: has 2 values but X, shape (128, 128), has 128 rows ...
    """
    X, y = arrays.get("X"), arrays.get("y")
    if X is None or y is None or np.ndim(X) != 2 or np.ndim(y) == 0 or len(y) == X.shape[0]:
        return
    rows, cols = X.shape
    if min(rows, cols) < ONE_MAP_MIN_SIDE or max(rows, cols) > 2 * min(rows, cols):
        return
    from awd_studio.models.data.tiles import MIN_TILE

    tiles = (f", and maps of this size can then be cut into tiles of {MIN_TILE} px or more (“Maps: tiles of … px” "
             "on the upload page, or `awd tile`)" if min(rows, cols) >= 2 * MIN_TILE else "")
    raise InputError("y", f"has {len(y)} value{'' if len(y) == 1 else 's'} but X, shape {X.shape}, has {rows} rows "
                     f"(a 2-D X is read as {rows} series, one per row: it looks like one {rows} × {cols} map saved "
                     "without its sample axis)",
                     f"save maps as X shaped (n, {rows}, {cols}) (one map: X[None], shaped (1, {rows}, {cols})) and y "
                     "with one row per map (one map: y[None], shaped (1, k)); distillation learns from two maps or "
                     f"more, each with its parameters{tiles}")


def load_npz(path: Path, budget: int, name: str | None, *, pad_ends: bool = False,
             drop_incomplete: bool = False) -> Dataset:
    """An ``.npz`` archive as a Dataset (``budget``: decoded bytes allowed; ``name``: None for the stored one).
    ``pad_ends``, ``drop_incomplete``: the NaN of series ``X`` (n, L), as for delimited text
    (:func:`~models.data.readers.missing.complete_series`, said in ``meta``). A channel axis of size 1 is dropped
    first, the stored ``kind`` deciding series from maps (:func:`~models.data.readers.channels.drop_channel_axis`)."""
    arrays, meta, target_names, kind, stored_name = read_npz_arrays(path, budget)
    arrays, without_channel = drop_channel_axis(arrays, kind)
    refuse_one_map_without_sample_axis(arrays)  # before its rows are read as series with NaN
    arrays, done = complete_series(arrays, pad_ends=pad_ends, drop_incomplete=drop_incomplete)
    kept = stored_channel_axis(meta.pop("channel_axis", None), arrays)  # a saved dataset's, unless malformed
    meta = {**meta, **({"channel_axis": kept} if kept else {}), **without_channel, **done}
    stored = None
    if "X" not in arrays or "y" not in arrays:  # name what the archive does hold
        with np.load(path, allow_pickle=False) as npz:
            stored = [k for k in npz.files if k not in ("name", "kind", "target_names", "meta_json")]
    return make_dataset(arrays, name or stored_name or path.stem, meta=meta, target_names=target_names, kind=kind,
                        stored=stored)


def read_npz_arrays(path: Path, budget: int) -> tuple[dict, dict, list | None, str | None, str | None]:
    """The checked arrays of an ``.npz`` under their canonical names (``y`` may be absent), and its metadata.

    Returns ``(arrays, meta, target_names, kind, name)``; the last four are ``{}``/None when not stored.
    """
    name = None
    keys = _check_npz(path, budget)
    picked = pick_arrays(keys)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {}
            for canon, key in picked.items():
                arr = npz[key]
                require_numeric_dtype(arr.dtype, canon)
                arrays[canon] = arr
            meta, target_names, kind = {}, None, None
            if "meta_json" in keys:
                try:
                    meta = json.loads(as_str(npz["meta_json"]))
                except json.JSONDecodeError:
                    raise InputError("meta_json", "is not valid JSON", "drop it or save json.dumps(dict)") from None
                if meta is None:
                    meta = {}
                elif not isinstance(meta, dict):  # a list or a string: its keys (pixel_arcmin, ...) cannot be read
                    what = {"list": "list", "str": "string", "bool": "true or false"}.get(type(meta).__name__, "number")
                    raise InputError("meta_json", f"holds a JSON {what}, not an object of keys such as pixel_arcmin",
                                     "drop it or save json.dumps(dict)")
            if "target_names" in keys:
                tn = npz["target_names"]
                if tn.dtype.kind in "US":
                    target_names = [str(t) for t in np.atleast_1d(tn)]
            if "kind" in keys:
                kind = as_str(npz["kind"])
            if "name" in keys:
                name = as_str(npz["name"])
    except InputError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as exc:
        raise InputError("file", f"{path.name!r} could not be read ({exc}); damaged or truncated?",
                         "save plain numeric arrays with numpy.savez (no objects)") from None
    return arrays, meta, target_names, kind, name


def _load_npy_array(path: Path, budget: int, field: str) -> np.ndarray:
    with open(path, "rb") as fh:
        dtype, shape, n_bytes = _npy_header(fh)
        data_bytes = path.stat().st_size - fh.tell()
    if dtype.hasobject:
        raise InputError(field, f"{path.name!r} holds an object array (stored as a Python pickle), which is never "
                         "unpickled", "save a rectangular numeric array (all rows the same length)")
    # the file's own size first: a header declaring far more data than the file holds is damage or a cut upload,
    # not a dataset to shrink (a 928-byte file declaring (10000000, 100000) was told to upload fewer samples)
    if n_bytes > data_bytes:
        raise InputError("file", f"{path.name!r} is truncated or damaged: its header declares an array of shape "
                         f"{shape} ({dtype}, {n_bytes} data bytes) but the file holds only {data_bytes} data bytes",
                         "upload the complete file, or save the array again with numpy.save")
    if n_bytes > budget:
        raise too_big(path.name, n_bytes, budget)
    check_value_count(field, int(np.prod(shape, dtype=np.float64)))
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError("file", f"{path.name!r} could not be read ({exc})", "re-save it with numpy.save") from None
    require_numeric_dtype(arr.dtype, field)
    return arr


def _dataset_stem(path: Path) -> str:
    """The name an .npy file of X shares with its siblings: ``data`` for ``data.npy``, ``data_X.npy`` or
    ``data_X_train.npy``."""
    stem = path.stem
    for suffix in ("_X_train", "_x_train", "_X", "_x"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def npy_targets_path(path) -> Path:
    """Where the targets of the .npy file of X at ``path`` are read from: ``data_y.npy`` beside ``data.npy`` or
    ``data_X.npy`` (what a program that receives the two files apart names the targets).

    Examples
    --------
    >>> npy_targets_path("/up/traces_X.npy").name, npy_targets_path("/up/cells.npy").name
    ('traces_y.npy', 'cells_y.npy')
    """
    path = Path(path)
    return path.with_name(f"{_dataset_stem(path)}_y{path.suffix}")


def npy_targets_names(path) -> list[str]:
    """The names the targets of the .npy file of X at ``path`` are looked for under beside it, in order: the shared
    name's (:func:`npy_targets_path`: ``data_y.npy``, also ``data_Y.npy``, ``data_y_train.npy``), then, for an X file
    named ``data_X.npy`` (or ``data_X_train.npy``), its whole name's, ``data_X_y.npy``: what ``<name>_y.npy`` makes of
    the X file's name (review 44: ``p_X_y.npy`` beside ``p_X.npy`` was ignored without a word).

    Examples
    --------
    >>> npy_targets_names("/up/p_X.npy")
    ['p_y.npy', 'p_Y.npy', 'p_y_train.npy', 'p_X_y.npy']
    >>> npy_targets_names("cells.npy")
    ['cells_y.npy', 'cells_Y.npy', 'cells_y_train.npy']
    """
    path = Path(path)
    stem = _dataset_stem(path)
    names = [f"{stem}{opt}{path.suffix}" for opt in ("_y", "_Y", "_y_train")]
    whole = f"{path.stem}_y{path.suffix}"
    return names + ([whole] if whole not in names else [])


def _npy_siblings(path: Path) -> dict[str, Path]:
    stem = _dataset_stem(path)
    found = {"X": path}
    for canon, names in (("y", npy_targets_names(path)),
                         ("X_test", [f"{stem}{opt}{path.suffix}" for opt in ("_X_test", "_x_test")]),
                         ("y_test", [f"{stem}{opt}{path.suffix}" for opt in ("_y_test", "_Y_test")])):
        for name in names:
            cand = path.with_name(name)
            if cand.is_file() and cand != path:
                found[canon] = cand
                break
    return found


def npy_targets_words(path) -> str:
    """The targets files an .npy file of X at ``path`` was looked for beside, as a note says them.

    Examples
    --------
    >>> npy_targets_words("p_X.npy"), npy_targets_words("cells.npy")
    ('no p_y.npy or p_X_y.npy beside p_X.npy', 'no cells_y.npy beside cells.npy')
    """
    path = Path(path)
    names, whole = npy_targets_names(path), f"{path.stem}_y{path.suffix}"
    return f"no {names[0] if whole == names[0] else f'{names[0]} or {whole}'} beside {path.name}"


class NpyWithoutTargets(InputError):
    """The refusal of an .npy file of X read as a dataset with no targets file beside it. Its fix says how to put
    them there in any interface's words; an interface that takes the targets otherwise (the upload's field ``y``)
    adds its own (:data:`NPY_TARGETS_FIX`)."""


#: The fix of :class:`NpyWithoutTargets` (``{targets}``: the file name looked for first), in no interface's words.
NPY_TARGETS_FIX = "save the targets as {targets} beside it, or use one .npz, CSV or HDF5 file with X and y"


def read_npy_arrays(path: Path, budget: int) -> dict:
    """An ``.npy`` array as ``X`` plus whichever sibling files exist (``y``, ``X_test``, ``y_test``), checked."""
    files = _npy_siblings(path)
    arrays = {"X": _load_npy_array(path, budget, "X")}  # X first: a pickled X is named before a missing y
    total = arrays["X"].nbytes
    for canon, p in files.items():
        if canon != "X":
            arrays[canon] = _load_npy_array(p, budget - total, canon)
            total += arrays[canon].nbytes
    return arrays


def load_npy(path: Path, budget: int, name: str | None, *, pad_ends: bool = False,
             drop_incomplete: bool = False) -> Dataset:
    """An ``.npy`` array as ``X`` of a Dataset, with its sibling ``_y`` (and test) files; a channel axis of size 1,
    ``pad_ends`` and ``drop_incomplete`` as for :func:`load_npz`."""
    if "y" not in _npy_siblings(path):
        _load_npy_array(path, budget, "X")  # X first: a pickled X is named before a missing y
        names, whole = npy_targets_names(path), f"{path.stem}_y{path.suffix}"
        looked = names[0] if whole == names[0] else f"{names[0]} or {whole}"
        raise NpyWithoutTargets("y", f"{path.name!r} holds only X (an .npy file holds one array) and no {looked} "
                                "with the targets was found next to it", NPY_TARGETS_FIX.format(targets=names[0]))
    arrays, without_channel = drop_channel_axis(read_npy_arrays(path, budget))
    refuse_one_map_without_sample_axis(arrays)  # before its rows are read as series with NaN
    arrays, done = complete_series(arrays, pad_ends=pad_ends, drop_incomplete=drop_incomplete)
    return make_dataset(arrays, name or path.stem, meta={**without_channel, **done})

