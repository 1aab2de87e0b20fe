"""Read user data files into a :class:`~models.data.dataset.Dataset`, safely.

Supported formats (chosen from the file's magic bytes, checked against its extension):

``.npz``
    Arrays ``X`` and ``y`` (aliases ``X_train``/``y_train``), optional ``X_test``/``y_test``, and the optional
    strings ``name``, ``target_names``, ``meta_json`` written by :func:`~models.data.dataset.save_npz`.
``.npy``
    A single array is only ``X``; its targets come from a sibling file: for ``data.npy`` or ``data_X.npy``
    the reader looks for ``data_y.npy`` (and ``data_X_test.npy``/``data_y_test.npy`` for a fixed test set).
    Uploads are single files, so upload an ``.npz`` instead.
``.csv`` / ``.tsv`` / ``.txt``
    One row per series. The target column is named ``y`` or ``target`` (several targets: ``y_<name>`` or
    ``target_<name>``); without such a header, the last column is the target. The header is optional.
``.fits`` / ``.fit`` / ``.fts``
    Maps: one 2-D image per HDU, or one 3-D cube ``(n, H, W)``. Targets: a BINTABLE HDU with one row per map
    (column ``y`` or ``target``, else all numeric scalar columns, in order), or header keywords of each image HDU
    listed in the primary header keyword ``TARGETS`` (comma separated, e.g. ``TARGETS = 'OMEGA_M,SIGMA_8'``).
    A FITS file without targets raises :class:`~models.validation.InputError`; :func:`load_maps` reads its maps.
``.h5`` / ``.hdf5`` / ``.hdf``
    Datasets ``X`` and ``y`` (optional ``X_test``, ``y_test``) at the root, in C order ``(n, L)``/``(n, H, W)``.
``.mat``
    MATLAB v5/v7 (``scipy.io.loadmat``) or v7.3 (HDF5, read with h5py; MATLAB's column-major layout is
    transposed back), variables ``X``, ``y`` (optional ``X_test``, ``y_test``) shaped as in MATLAB ``n x L``.

Nothing here unpickles: ``np.load(..., allow_pickle=False)``, pickles are refused by their magic byte,
object and string arrays are refused. Decoded sizes are checked against ``max_bytes`` *before* data are
read (zip central directory and ``.npy`` headers for npz, dataset shapes for HDF5, ``whosmat`` for MATLAB).
"""

from __future__ import annotations

import csv
import io
import json
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from models.data.dataset import Dataset
from models.validation import InputError, check_signals

__all__ = ["load_dataset", "load_maps", "detect_format", "FORMATS", "DEFAULT_MAX_BYTES"]

#: Decoded-array budget used when ``max_bytes`` is None (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3

#: Format name -> accepted extensions.
FORMATS = {
    "npz": (".npz",),
    "npy": (".npy",),
    "csv": (".csv", ".tsv", ".txt"),
    "fits": (".fits", ".fit", ".fts"),
    "hdf5": (".h5", ".hdf5", ".hdf"),
    "mat": (".mat",),
}
_SUPPORTED = "npz, npy (+ sibling *_y.npy), csv, FITS, HDF5 or MATLAB .mat"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------- detection
def _format_from_magic(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "npz"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(_HDF5_MAGIC):
        return "hdf5"
    if head.startswith(b"MATLAB 7.3"):
        return "mat73"
    if head.startswith(b"MATLAB"):
        return "mat"
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    if head[:1] == b"\x80":
        return "pickle"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return None


def _format_from_extension(path: Path) -> str | None:
    ext = path.suffix.lower()
    for fmt, exts in FORMATS.items():
        if ext in exts:
            return fmt
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # the 1 KiB window may cut a multi-byte character
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def detect_format(path) -> str:
    """The reader to use for ``path``: "npz", "npy", "csv", "fits", "hdf5", "mat" or "mat73".

    The magic bytes decide; a known extension that disagrees with them is an error (a pickle renamed to
    ``.npz`` is caught here). Files with an unknown extension are accepted when their magic bytes are
    recognised (uploads may be stored under neutral names); text without a known extension is refused.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    fmt : str

    Raises
    ------
    InputError
        Missing, empty, pickled, gzip-compressed or unrecognised files, or an extension that lies.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file", f"{path.name!r} does not exist or is not a file", "pass the path of a data file")
    if path.stat().st_size == 0:
        raise InputError("file", f"{path.name!r} is empty", f"upload a non-empty {_SUPPORTED} file")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    by_magic = _format_from_magic(head)
    by_ext = _format_from_extension(path)
    if by_magic == "pickle":
        raise InputError("file", f"{path.name!r} is a Python pickle, which is never loaded (it can run code)",
                         "save the arrays with numpy.savez (X=..., y=...) instead")
    if by_magic == "gzip":
        raise InputError("file", f"{path.name!r} is gzip-compressed", "decompress it, or save a compressed .npz")
    if by_magic == "hdf5" and by_ext == "mat":
        by_magic = "mat73"
    if by_magic == "mat73" and by_ext not in (None, "mat", "hdf5"):
        raise InputError("file", f"{path.name!r} is a MATLAB v7.3 file but named {path.suffix!r}", "rename it to .mat")
    if by_magic is None:
        if by_ext == "csv" and _looks_like_text(head):
            return "csv"
        if by_ext is not None:
            raise InputError("file", f"{path.name!r} is named {path.suffix!r} but its content is not a valid "
                             f"{by_ext} file (damaged, truncated or mislabelled)", f"upload a valid {_SUPPORTED} file")
        raise InputError("file", f"{path.name!r} has an unknown format (extension {path.suffix!r})",
                         f"upload a {_SUPPORTED} file")
    base = "mat" if by_magic == "mat73" else by_magic
    if by_ext is not None and by_ext != base and not (by_ext == "hdf5" and by_magic == "mat73"):
        raise InputError("file", f"{path.name!r} is named {path.suffix!r} but its content is {by_magic}",
                         f"give the file its true extension, or upload a valid {by_ext} file")
    return by_magic


# ---------------------------------------------------------------------------------------------- helpers
def _budget(max_bytes) -> int:
    if max_bytes is None:
        return DEFAULT_MAX_BYTES
    if int(max_bytes) <= 0:
        raise InputError("max_bytes", f"must be positive, got {max_bytes}", "pass a byte budget such as 2**30")
    return int(max_bytes)


def _too_big(what: str, n_bytes: int, budget: int) -> InputError:
    return InputError("file", f"{what} would decode to {n_bytes / 2**20:.1f} MiB, above the limit of "
                      f"{budget / 2**20:.1f} MiB", "upload fewer or smaller samples (or float32 data)")


def _require_numeric_dtype(dtype: np.dtype, field: str) -> None:
    if dtype.hasobject or dtype.kind == "O":
        raise InputError(field, "is an object array, which is never unpickled",
                         "save a rectangular numeric array (all rows the same length)")
    if dtype.kind not in "biuf":
        raise InputError(field, f"has non-numeric dtype {dtype}", "save numbers (int or float)")


def _as_str(arr) -> str:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "US" or arr.ndim != 0:
        raise InputError("file", "a metadata entry is not a string", "save name/meta_json as strings")
    return str(arr[()].decode() if arr.dtype.kind == "S" else arr[()])


def _dataset(arrays: dict, name: str, *, meta=None, target_names=None, kind=None) -> Dataset:
    if "X" not in arrays:
        raise InputError("X", f"not found in the file (found: {sorted(arrays) or 'nothing'})",
                         "store the signals under the name 'X'")
    if "y" not in arrays:
        raise InputError("y", f"not found in the file (found: {sorted(arrays)})",
                         "store the targets under the name 'y', one per sample of X")
    return Dataset(arrays["X"], arrays["y"], arrays.get("X_test"), arrays.get("y_test"), kind=kind, name=name,
                   meta=meta or {}, target_names=target_names)


_ALIASES = {"X": ("X", "x", "X_train", "x_train"), "y": ("y", "Y", "y_train", "Y_train"),
            "X_test": ("X_test", "x_test"), "y_test": ("y_test", "Y_test")}


def _pick(names) -> dict:
    """Map our canonical names to the first matching name present."""
    out = {}
    for canon, options in _ALIASES.items():
        for opt in options:
            if opt in names:
                out[canon] = opt
                break
    return out


# ---------------------------------------------------------------------------------------------- npy / npz
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
            raise _too_big("the archive", declared, budget)
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
                raise InputError(key, "is an object array, which is never unpickled",
                                 "save a rectangular numeric array (all rows the same length)")
            if n_bytes > info.file_size:
                raise InputError(key, f"declares {n_bytes} bytes of data but the archive holds {info.file_size}",
                                 "re-save the file with numpy.savez")
            names.append(key)
        return names


def _load_npz(path: Path, budget: int, name: str | None) -> Dataset:
    keys = _check_npz(path, budget)
    picked = _pick(keys)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {}
            for canon, key in picked.items():
                arr = npz[key]
                _require_numeric_dtype(arr.dtype, canon)
                arrays[canon] = arr
            meta, target_names, kind = {}, None, None
            if "meta_json" in keys:
                try:
                    meta = json.loads(_as_str(npz["meta_json"]))
                except json.JSONDecodeError:
                    raise InputError("meta_json", "is not valid JSON", "drop it or save json.dumps(dict)") from None
            if "target_names" in keys:
                tn = npz["target_names"]
                if tn.dtype.kind in "US":
                    target_names = [str(t) for t in np.atleast_1d(tn)]
            if "kind" in keys:
                kind = _as_str(npz["kind"])
            if name is None and "name" in keys:
                name = _as_str(npz["name"])
    except InputError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as exc:
        raise InputError("file", f"{path.name!r} could not be read ({exc}); damaged or truncated?",
                         "save plain numeric arrays with numpy.savez (no objects)") from None
    return _dataset(arrays, name or path.stem, meta=meta, target_names=target_names, kind=kind)


def _load_npy_array(path: Path, budget: int, field: str) -> np.ndarray:
    with open(path, "rb") as fh:
        dtype, shape, n_bytes = _npy_header(fh)
        data_bytes = path.stat().st_size - fh.tell()
    if dtype.hasobject:
        raise InputError(field, f"{path.name!r} holds an object array (stored as a Python pickle), which is never "
                         "unpickled", "save a rectangular numeric array (all rows the same length)")
    if n_bytes > budget:
        raise _too_big(path.name, n_bytes, budget)
    if n_bytes > data_bytes:
        raise InputError("file", f"{path.name!r} is truncated ({data_bytes} of {n_bytes} data bytes)",
                         "upload the complete file")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError("file", f"{path.name!r} could not be read ({exc})", "re-save it with numpy.save") from None
    _require_numeric_dtype(arr.dtype, field)
    return arr


def _npy_siblings(path: Path) -> dict[str, Path]:
    stem = path.stem
    for suffix in ("_X", "_x", "_X_train", "_x_train"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    found = {"X": path}
    for canon, options in (("y", ("_y", "_Y", "_y_train")), ("X_test", ("_X_test", "_x_test")),
                           ("y_test", ("_y_test", "_Y_test"))):
        for opt in options:
            cand = path.with_name(f"{stem}{opt}{path.suffix}")
            if cand.is_file() and cand != path:
                found[canon] = cand
                break
    return found


def _load_npy(path: Path, budget: int, name: str | None) -> Dataset:
    files = _npy_siblings(path)
    arrays = {"X": _load_npy_array(path, budget, "X")}  # X first: a pickled X is named before a missing y
    if "y" not in files:
        stem = path.stem[:-2] if path.stem.endswith(("_X", "_x")) else path.stem
        raise InputError("y", f"{path.name!r} holds only X (an .npy file holds one array) and no {stem}_y.npy "
                         "with the targets was found next to it",
                         f"save the targets as {stem}_y.npy beside it (in the browser: drop both files together), "
                         "or use one .npz, CSV or HDF5 file with X and y")
    total = arrays["X"].nbytes
    for canon, p in files.items():
        if canon != "X":
            arrays[canon] = _load_npy_array(p, budget - total, canon)
            total += arrays[canon].nbytes
    return _dataset(arrays, name or path.stem)


# ---------------------------------------------------------------------------------------------- csv
_TARGET_NAMES = ("y", "target")


def _parse_float(text: str, row: int, col: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError("file", f"data row {row + 1}, column {col + 1} holds {text[:30]!r}, not a number",
                         "use numbers only (one header row is allowed; drop rows with missing values)") from None


def _load_csv(path: Path, budget: int, name: str | None) -> Dataset:
    size = path.stat().st_size
    if size * 4 > budget:  # a float64 per ~2+ characters: a generous upper bound on the decoded size
        raise _too_big(path.name, size * 4, budget)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("file", f"{path.name!r} is not UTF-8 text", "save the CSV as UTF-8") from None
    sample = text[:4096]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if delimiter == "," and sample.count(",") == 0:
        delimiter = "\t" if "\t" in sample else (";" if ";" in sample else None)
    if delimiter is None:
        rows = [line.split() for line in text.splitlines()]
    else:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise InputError("file", f"{path.name!r} has no data rows", "one row per series, a target column last")
    header = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    if not rows:
        raise InputError("file", f"{path.name!r} has a header but no data rows", "add one row per series")
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise InputError("file", f"data row {i + 1} has {len(r)} columns, the first has {width}",
                             "give every series the same length")
    if width < 2:
        raise InputError("file", "has a single column", "put the series values and a target column in each row")
    if header is not None and len(header) != width:
        raise InputError("file", f"header has {len(header)} names but rows have {width} columns",
                         "give one header name per column")
    data = np.array([[_parse_float(c, i, j) for j, c in enumerate(r)] for i, r in enumerate(rows)], dtype=np.float64)
    target_cols, target_names = [width - 1], None
    if header is not None:
        low = [h.lower() for h in header]
        named = [j for j, h in enumerate(low) if h in _TARGET_NAMES or h.startswith(("y_", "target_"))]
        if named:
            target_cols = named
        target_names = [header[j] for j in target_cols]
    x_cols = [j for j in range(width) if j not in target_cols]
    y = data[:, target_cols]
    if y.shape[1] == 1:
        y = y[:, 0]
    if target_names is not None and len(target_names) == 1:
        target_names = None if target_names[0].lower() in _TARGET_NAMES else target_names
    return Dataset(data[:, x_cols], y, name=name or path.stem, target_names=target_names,
                   meta={"source_format": "csv", "target_columns": target_cols})


# ---------------------------------------------------------------------------------------------- FITS
def _fits_open(path: Path):
    from astropy.io import fits

    try:
        with warnings.catch_warnings():  # truncation shows up below as an unreadable HDU
            warnings.simplefilter("ignore")
            hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
            hdul.verify("silentfix")
    except Exception as exc:  # astropy raises OSError, ValueError, VerifyError... for damaged files
        raise InputError("file", f"{path.name!r} is not a readable FITS file ({exc})",
                         "upload a complete FITS file") from None
    return hdul


def _fits_maps(hdul, path: Path, budget: int) -> tuple[np.ndarray, list]:
    """All maps of a FITS file as (n, H, W) plus the image HDUs they came from (one per map, or one cube)."""
    images, sources = [], []
    total = 0
    for hdu in hdul:
        if not hdu.is_image or hdu.header.get("NAXIS", 0) == 0:
            continue
        shape = tuple(int(hdu.header[f"NAXIS{i}"]) for i in range(hdu.header["NAXIS"], 0, -1))
        total += int(np.prod(shape, dtype=np.float64)) * 8
        if total > budget:
            raise _too_big("the FITS images", total, budget)
        try:
            data = hdu.data
        except Exception as exc:
            raise InputError("file", f"{path.name!r}: HDU {hdu.name!r} cannot be read ({exc}); truncated?",
                             "upload the complete file") from None
        if data is None:
            continue
        data = np.asarray(data)
        if data.ndim == 2:
            images.append(data[None])
            sources.append(hdu)
        elif data.ndim == 3:
            images.append(data)
            sources.extend([hdu] * data.shape[0])
        else:
            raise InputError("X", f"FITS HDU {hdu.name!r} has {data.ndim} dimensions",
                             "store one 2-D map per HDU or one 3-D cube (n, H, W)")
    if not images:
        raise InputError("X", f"{path.name!r} has no image data", "store maps as image HDUs")
    if len({im.shape[1:] for im in images}) > 1:
        raise InputError("X", f"FITS maps have different shapes {sorted({im.shape[1:] for im in images})}",
                         "give all maps the same size")
    X = np.concatenate([im.astype(im.dtype.newbyteorder("="), copy=False) for im in images], axis=0)
    return X, sources


def load_maps(path, *, max_bytes=None) -> np.ndarray:
    """Read the maps of a FITS file (targets not needed), e.g. a single convergence map to inspect.

    Parameters
    ----------
    path : str or os.PathLike
        A FITS file with one 2-D image per HDU or a 3-D cube.
    max_bytes : int or None, default=None
        Budget for the decoded maps (float64); ``None`` means :data:`DEFAULT_MAX_BYTES`.

    Returns
    -------
    maps : ndarray of shape (n, H, W), float64 or float32
        Native byte order (FITS stores big-endian), all values finite.

    Raises
    ------
    InputError
        Not a FITS file, no images, maps of different sizes, NaN/Inf.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt != "fits":
        raise InputError("file", f"{path.name!r} is {fmt}, not FITS", "use load_dataset for other formats")
    budget = _budget(max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _fits_open(path) as hdul:
                X, _ = _fits_maps(hdul, path, budget)
    except InputError:
        raise
    except Exception as exc:  # damaged headers or data
        raise InputError("file", f"{path.name!r} could not be read as FITS ({type(exc).__name__}: {exc})",
                         "upload a complete FITS file") from None
    return check_signals(X, "X", min_samples=1)


def _fits_targets(hdul, sources: list, n: int):
    from astropy.io import fits

    for hdu in hdul:
        if isinstance(hdu, fits.BinTableHDU) and hdu.data is not None:
            cols = hdu.columns
            names = [c.name for c in cols]
            low = [nm.lower() for nm in names]
            if "y" in low or "target" in low:
                chosen = [names[low.index("y" if "y" in low else "target")]]
            else:
                chosen = []
                for c in cols:
                    arr = np.asarray(hdu.data[c.name])
                    if arr.ndim == 1 and arr.dtype.kind in "biuf":
                        chosen.append(c.name)
            if not chosen:
                raise InputError("y", f"the FITS table {hdu.name!r} has no numeric scalar columns",
                                 "add one numeric column per target")
            y = np.stack([np.asarray(hdu.data[c]).astype(np.float64) for c in chosen], axis=1)
            return (y[:, 0] if y.shape[1] == 1 else y), chosen
    keys = hdul[0].header.get("TARGETS")
    if keys:
        chosen = [k.strip().upper() for k in str(keys).split(",") if k.strip()]
        rows = []
        for i, hdu in enumerate(sources):
            missing = [k for k in chosen if k not in hdu.header]
            if missing:
                raise InputError("y", f"map {i} (HDU {hdu.name!r}) lacks header keys {missing}",
                                 "give every image HDU the keys listed in TARGETS")
            rows.append([float(hdu.header[k]) for k in chosen])
        y = np.array(rows, dtype=np.float64)
        if len(set(map(id, sources))) < n:  # a cube shares one header: all maps get the same target
            raise InputError("y", "TARGETS header keys cannot label the maps of a 3-D cube one by one",
                             "add a BINTABLE HDU with one row per map")
        return (y[:, 0] if y.shape[1] == 1 else y), chosen
    raise InputError("y", f"the FITS file has {n} map(s) but no targets",
                     "add a BINTABLE HDU with one row per map (e.g. columns OMEGA_M, SIGMA_8) or a primary header "
                     "keyword TARGETS naming per-HDU header keys; to just read the maps use models.data.load_maps")


def _load_fits(path: Path, budget: int, name: str | None) -> Dataset:
    with _fits_open(path) as hdul:
        X, sources = _fits_maps(hdul, path, budget)
        y, target_names = _fits_targets(hdul, sources, X.shape[0])
        meta = {"source_format": "fits"}
        angle = hdul[0].header.get("ANGLE")
        if angle is not None:
            meta["field_of_view_deg"] = float(angle)
    return Dataset(X, y, kind="image", name=name or path.stem, meta=meta, target_names=target_names)


# ---------------------------------------------------------------------------------------------- HDF5 / MAT
def _h5_read(f, key: str, budget: int, used: int, transpose: bool) -> np.ndarray:
    import h5py

    obj = f[key]
    if not isinstance(obj, h5py.Dataset):
        raise InputError(key, "is an HDF5 group or a MATLAB struct/cell, not an array", "store a numeric array")
    dtype = obj.dtype
    if dtype.kind not in "biuf":
        raise InputError(key, f"has non-numeric HDF5 dtype {dtype}", "store numbers (int or float)")
    n_bytes = int(np.prod(obj.shape, dtype=np.float64)) * dtype.itemsize
    if used + n_bytes > budget:
        raise _too_big("the HDF5 datasets", used + n_bytes, budget)
    try:
        arr = obj[()]
    except (OSError, ValueError) as exc:
        raise InputError(key, f"cannot be read ({exc}); the file may be truncated",
                         "upload the complete file") from None
    arr = np.asarray(arr)
    return arr.T if transpose else arr


def _load_hdf5(path: Path, budget: int, name: str | None, *, matlab: bool = False) -> Dataset:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError("file", f"{path.name!r} is not a readable HDF5 file ({exc}); truncated?",
                         "upload the complete file") from None
    with f:
        picked = _pick(list(f.keys()))
        arrays, used = {}, 0
        for canon, key in picked.items():
            arrays[canon] = _h5_read(f, key, budget, used, transpose=matlab)
            used += arrays[canon].nbytes
        if not matlab:
            if "X" not in arrays:
                raise InputError("X", f"not found in the HDF5 file (root holds {sorted(f.keys())})",
                                 "store the signals as a dataset named 'X' at the root")
    if matlab:
        arrays = {k: _squeeze_matlab(k, v) for k, v in arrays.items()}
    return _dataset(arrays, name or path.stem, meta={"source_format": "mat73" if matlab else "hdf5"})


def _squeeze_matlab(key: str, arr: np.ndarray) -> np.ndarray:
    """MATLAB has no 1-D arrays: turn y of shape (n, 1) or (1, n) into (n,)."""
    if key.startswith("y") and arr.ndim == 2 and 1 in arr.shape:
        return arr.reshape(-1)
    return arr


_MAT_HEADER = 128
_MI_MATRIX, _MI_COMPRESSED = 14, 15


def _mat5_scan(path: Path, budget: int) -> None:
    """Bound the decoded size of a MATLAB v5 file before scipy reads it (it inflates whole variables).

    Walks the top-level data elements; compressed ones are inflated in pieces that are counted and
    dropped, so a zip bomb costs time proportional to the budget and no memory.

    Raises
    ------
    InputError
        When the variables would decode to more than ``budget`` bytes (plus 1 MiB of headers), or the
        element structure is damaged.
    """
    limit = budget + 2**20
    size = path.stat().st_size
    total = 0
    with open(path, "rb") as fh:
        header = fh.read(_MAT_HEADER)
        if len(header) < _MAT_HEADER:
            raise InputError("file", f"{path.name!r} is a truncated MATLAB file", "upload the complete file")
        order = "<" if header[126:128] == b"IM" else ">"
        pos = _MAT_HEADER
        while pos + 8 <= size:
            fh.seek(pos)
            mtype, nbytes = np.frombuffer(fh.read(8), dtype=f"{order}u4")
            if mtype >> 16:  # small data element: 4 bytes of data inside the tag
                pos += 8
                continue
            if pos + 8 + int(nbytes) > size:
                raise InputError("file", f"{path.name!r} is truncated ({size} bytes, an element needs "
                                 f"{pos + 8 + int(nbytes)})", "upload the complete file")
            if mtype == _MI_COMPRESSED:
                inflater = zlib.decompressobj()
                left = int(nbytes)
                try:
                    while left > 0:
                        chunk = fh.read(min(left, 1 << 16))
                        if not chunk:
                            break
                        left -= len(chunk)
                        piece = inflater.decompress(chunk, 1 << 20)
                        total += len(piece)
                        while inflater.unconsumed_tail and total <= limit:
                            piece = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
                            total += len(piece)
                        if total > limit:
                            raise _too_big("the MATLAB variables", total, budget)
                except zlib.error as exc:
                    raise InputError("file", f"{path.name!r} holds a damaged compressed variable ({exc})",
                                     "upload the complete file, saved by MATLAB or scipy.io.savemat") from None
                pos += 8 + int(nbytes)
            else:
                total += int(nbytes)
                pos += 8 + int(nbytes) + (-int(nbytes)) % 8
            if total > limit:
                raise _too_big("the MATLAB variables", total, budget)


def _load_mat(path: Path, budget: int, name: str | None) -> Dataset:
    import scipy.io

    _mat5_scan(path, budget)
    try:
        info = scipy.io.whosmat(path)
    except Exception as exc:  # scipy raises several types for damaged files
        raise InputError("file", f"{path.name!r} is not a readable MATLAB file ({exc})",
                         "save it with MATLAB's save(..., '-v7') or '-v7.3'") from None
    classes = {nm: (shape, cls) for nm, shape, cls in info}
    picked = _pick(list(classes))
    sizes = {"double": 8, "single": 4, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
             "int64": 8, "uint64": 8, "logical": 1}
    total = 0
    for canon, key in picked.items():
        shape, cls = classes[key]
        if cls not in sizes:
            raise InputError(canon, f"is a MATLAB {cls}, not a numeric array", "save a numeric matrix")
        total += int(np.prod(shape, dtype=np.float64)) * sizes[cls]
    if total > budget:
        raise _too_big("the MATLAB variables", total, budget)
    try:
        raw = scipy.io.loadmat(path, variable_names=list(picked.values()), squeeze_me=False,
                               struct_as_record=True, mat_dtype=False)
    except Exception as exc:
        raise InputError("file", f"{path.name!r} could not be read ({exc}); truncated?",
                         "upload the complete file") from None
    arrays = {}
    for canon, key in picked.items():
        arr = raw[key]
        _require_numeric_dtype(arr.dtype, canon)
        arrays[canon] = _squeeze_matlab(canon, arr)
    return _dataset(arrays, name or path.stem, meta={"source_format": "mat"})


# ---------------------------------------------------------------------------------------------- entry point
def load_dataset(path, *, max_bytes=None, name=None) -> Dataset:
    """Read a data file into a validated :class:`~models.data.dataset.Dataset`.

    See the module docstring for the accepted layouts of each format.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Its format comes from the magic bytes, checked against the extension.
    max_bytes : int or None, default=None
        Largest decoded size of the arrays, checked before anything is decoded (guards against zip bombs and
        lying headers). ``None`` means :data:`DEFAULT_MAX_BYTES` (2 GiB).
    name : str or None, default=None
        Dataset name; defaults to the name stored in the file or the file's stem.

    Returns
    -------
    dataset : Dataset
        ``X`` of shape (n, L) or (n, H, W), ``y`` of shape (n,) or (n, k), optional fixed test set.

    Raises
    ------
    InputError
        For every unreadable, unsafe or invalid file; the message names the field and the fix.

    Examples
    --------
    >>> ds = load_dataset("cme.npz")                         # doctest: +SKIP
    >>> ds.kind, ds.X.shape                                  # doctest: +SKIP
    ('timeseries', (3136, 40))
    """
    path = Path(path)
    budget = _budget(max_bytes)
    fmt = detect_format(path)
    readers = {
        "npz": _load_npz,
        "npy": _load_npy,
        "csv": _load_csv,
        "fits": _load_fits,
        "hdf5": _load_hdf5,
        "mat": _load_mat,
        "mat73": lambda p, b, n: _load_hdf5(p, b, n, matlab=True),
    }
    try:
        with warnings.catch_warnings():  # astropy/h5py/scipy warn about damaged files; errors follow anyway
            warnings.simplefilter("ignore")
            return readers[fmt](path, budget, name)
    except InputError:
        raise
    except MemoryError:
        raise InputError("file", f"{path.name!r} is too large to decode in memory",
                         "upload fewer or smaller samples") from None
    except Exception as exc:  # a damaged file can make any library fail in its own way (KeyError, RuntimeError...)
        raise InputError("file", f"{path.name!r} could not be read as {fmt} ({type(exc).__name__}: {exc})",
                         f"upload a complete, valid {_SUPPORTED} file") from None
