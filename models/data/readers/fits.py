"""FITS maps (``.fits``, ``.fit``, ``.fts``): one 2-D image per HDU or one 3-D cube, targets from a table
or from header keywords. A cube of single-channel maps ``(n, 1, H, W)`` (or ``(n, H, W, 1)``) is read as ``(n, H, W)``,
its channel axis of size 1 dropped and said in ``meta["channel_axis"]``, as by the array readers
(:mod:`~models.data.readers.channels`). Other axes of size 1 before a map's two (the degenerate Stokes and frequency
axes of a radio or lensing map written by astropy: ``(1, 1, H, W)``, ``(1, n, H, W)``, ``(n, 1, 1, H, W)``) are
dropped too, said in ``meta["squeezed_axes"]`` (the stored shape); an axis longer than 1 that is not the maps' is
refused, naming the shape.

Targets come from a BINTABLE HDU with one row per map (column ``y`` or ``target``, else every numeric scalar
column in order but the identifier columns), or from the header keywords of each image HDU listed in the primary
header keyword ``TARGETS`` (e.g. ``TARGETS = 'OMEGA_M,SIGMA_8'``). :func:`load_maps` reads the maps of a file without
targets (a single convergence map to inspect). astropy is imported only when a FITS file is read (it takes
about 0.25 s to import, which the other formats and the web process need not pay).

Identifier columns of the table are left out of the targets, as the CSV reader leaves them out of the series
(:func:`identifier_columns`): a column named ``id``, ``index``, ``<something>_id``, ``seed`` or ``<something>_seed``
(a simulation's random seed), or one of whole numbers that number the rows (distinct, forming a run: sorted, or
1..n / 0..n-1 in any order, in at least 5 rows: ``MAP_ID`` = 0…n-1, ``SEED`` = 1000…1023). They are named in the
dataset's ``meta["ignored_columns"]`` (those left out for their content also in ``meta["numbered_columns"]``), which
the upload preview and ``awd distill`` print. A column named ``y``, ``target``, ``y_<name>`` or ``target_<name>`` is
never an identifier: the way to keep one as a target.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import byte_budget, numbers_the_rows, too_big
from awd_studio.models.data.readers.channels import drop_channel_axis
from awd_studio.models.data.readers.detect import detect_format
from awd_studio.models.validation import DEFAULT_MIN_LENGTH, InputError, check_signals, dimensions_words

__all__ = ["load_fits", "load_maps", "read_fits_arrays", "identifier_columns"]

#: The fewest rows a column of whole numbers must have to be read as a numbering of the rows, as for CSV.


def _is_identifier_name(name: str) -> bool:
    """Whether a column's name says it identifies a row: ``id``, ``index``, ``*_id``, ``seed``, ``*_seed``."""
    low = name.strip().lower()
    return low in ("", "id", "index", "seed") or low.endswith(("_id", " id", "_seed", " seed"))


def _is_target_name(name: str) -> bool:
    """Whether a column's name says it is a target (``y``, ``target``, ``y_<name>``, ``target_<name>``)."""
    low = name.strip().lower()
    return low in ("y", "target") or low.startswith(("y_", "target_"))


def identifier_columns(columns: dict) -> tuple[list[str], list[str]]:
    """Which of a table's numeric columns identify its rows rather than give a target.

    Parameters
    ----------
    columns : dict of str to ndarray
        Each numeric scalar column by name, in the table's order.

    Returns
    -------
    ignored : list of str
        The identifier columns, in order: named as one (``id``, ``index``, ``*_id``, ``seed``, ``*_seed``) or
        numbering the rows (:func:`~models.data.readers._common.numbers_the_rows`, the CSV reader's rule).
        A column named as a target (``y_<name>``...) never is.
    numbered : list of str
        Those of ``ignored`` left out for their content, not their name (to keep one, name it ``y_<name>``).

    Examples
    --------
    >>> om = np.array([0.3, 0.25, 0.28, 0.31, 0.27])
    >>> identifier_columns({"SEED": np.arange(1000, 1005), "OMEGA_M": om, "RUN": np.arange(5)})
    (['SEED', 'RUN'], ['RUN'])
    >>> identifier_columns({"y_seed": np.arange(5), "OMEGA_M": om})
    ([], [])
    """
    ignored, numbered = [], []
    for name, values in columns.items():
        if _is_target_name(name):
            continue
        if _is_identifier_name(name):
            ignored.append(name)
        elif numbers_the_rows(values):
            ignored.append(name)
            numbered.append(name)
    return ignored, numbered


def _fits_open(path: Path):
    from astropy.io import fits  # heavy (0.25 s to import): loaded only when a FITS file is read

    try:
        with warnings.catch_warnings():  # truncation shows up below as an unreadable HDU
            warnings.simplefilter("ignore")
            hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
            hdul.verify("silentfix")
    except Exception as exc:  # astropy raises OSError, ValueError, VerifyError... for damaged files
        raise InputError("file", f"{path.name!r} is not a readable FITS file ({exc})",
                         "upload a complete FITS file") from None
    return hdul


def _fits_maps(hdul, path: Path, budget: int) -> tuple[np.ndarray, list, dict]:
    """All maps of a FITS file as (n, H, W), the image HDUs they came from (one per map, or one cube) and
    ``{"channel_axis": {"X": shape}}`` when a cube of single-channel maps ``(n, 1, H, W)`` (or ``(n, H, W, 1)``) was
    read without its channel axis, as the array readers read one
    (:func:`~models.data.readers.channels.drop_channel_axis`; the shape gives the layout, counting every map of the
    file), and ``{"squeezed_axes": {"X": shape}}`` when an HDU's axes of size 1 before the maps' two were dropped
    (:func:`_without_degenerate_axes`: ``(1, n, H, W)``, ``(1, 1, 1, H, W)``; the first such HDU's stored shape),
    else ``{}``."""
    images, sources = [], []
    total, layout, squeezed = 0, None, None
    for hdu in hdul:
        if not hdu.is_image or hdu.header.get("NAXIS", 0) == 0:
            continue
        shape = tuple(int(hdu.header[f"NAXIS{i}"]) for i in range(hdu.header["NAXIS"], 0, -1))
        total += int(np.prod(shape, dtype=np.float64)) * 8
        if total > budget:
            raise too_big("the FITS images", total, budget)
        try:
            data = hdu.data
        except Exception as exc:
            raise InputError("file", f"{path.name!r}: HDU {hdu.name!r} cannot be read ({exc}); truncated?",
                             "upload the complete file") from None
        if data is None:
            continue
        data = np.asarray(data)
        if data.ndim == 4:  # PyTorch's (n, 1, H, W) or Keras's (n, H, W, 1): the channel axis of size 1 dropped
            stored = data.shape
            data = drop_channel_axis({"X": data}, "image")[0]["X"]
            if data.ndim == 3 and layout is None:
                layout = [1, *data.shape[1:]] if stored[1] == 1 else [*data.shape[1:], 1]
        if data.ndim > 3:  # a radio or lensing map's degenerate Stokes or frequency axis, (1, C, H, W), (n, 1, 1, H, W)
            stored, data = data.shape, _without_degenerate_axes(data)
            if data.ndim <= 3 and squeezed is None:
                squeezed = [int(s) for s in stored]
        if data.ndim in (2, 3) and min(data.shape[-2:]) < DEFAULT_MIN_LENGTH:
            # refused here, before one entry per map is listed: a 1.6 MB cube of 200000 maps of 1 x 1 pixel took
            # 4-6 s to be refused further on (its header was read once per map), and a larger one would take minutes
            raise InputError("X", f"FITS HDU {hdu.name!r} holds maps of {data.shape[-2]} x {data.shape[-1]} pixels "
                             f"(shape {tuple(int(s) for s in data.shape)}), smaller than the minimum of "
                             f"{DEFAULT_MIN_LENGTH} x {DEFAULT_MIN_LENGTH}",
                             "store one map per 2-D HDU, or a cube (n, H, W) with the maps along its first axis")
        if data.ndim == 2:
            images.append(data[None])
            sources.append(hdu)
        elif data.ndim == 3:
            images.append(data)
            sources.extend([hdu] * data.shape[0])
        else:
            several = " (several channels? AWD takes one channel: keep one, cube[:, 0])" if data.ndim == 4 else ""
            shape = tuple(int(s) for s in data.shape)
            kept = (f" once its axes of size 1 were dropped (stored as {tuple(int(s) for s in hdu.data.shape)})"
                    if data.ndim < hdu.data.ndim else "")
            raise InputError("X", f"FITS HDU {hdu.name!r} has {dimensions_words(data.ndim)}{kept}, shape "
                             f"{shape}{several}, and only the maps' axis may be longer than 1 besides a map's own "
                             f"two ({shape[-2]} × {shape[-1]} pixels)",
                             "store one 2-D map per HDU or one 3-D cube (n, H, W); a cube of single-channel maps "
                             "(n, 1, H, W) is read as (n, H, W), and axes of size 1 before the maps' two (a "
                             "degenerate Stokes or frequency axis, (1, n, H, W)) are dropped")
    if not images:
        raise InputError("X", f"{path.name!r} has no image data", "store maps as image HDUs")
    if len({im.shape[1:] for im in images}) > 1:
        raise InputError("X", f"FITS maps have different shapes {sorted({im.shape[1:] for im in images})}",
                         "give all maps the same size")
    X = np.concatenate([im.astype(im.dtype.newbyteorder("="), copy=False) for im in images], axis=0)
    return X, sources, ({"channel_axis": {"X": [int(X.shape[0]), *layout]}} if layout else {}) | (
        {"squeezed_axes": {"X": squeezed}} if squeezed else {})


def _without_degenerate_axes(data: np.ndarray) -> np.ndarray:
    """``data`` (4-D or more) without its axes of size 1 before the last two (a map's rows and columns): the
    degenerate Stokes and frequency axes astropy writes a radio or lensing map with, ``(1, 1, H, W)``; what is left
    may still have too many axes (``(2, 3, H, W)``: refused by the caller, naming both).

    Examples
    --------
    >>> _without_degenerate_axes(np.zeros((1, 12, 1, 64, 64))).shape
    (12, 64, 64)
    >>> _without_degenerate_axes(np.zeros((2, 3, 8, 8))).shape  # refused by the caller
    (2, 3, 8, 8)
    """
    leading = [k for k in range(data.ndim - 2) if data.shape[k] == 1]
    return np.squeeze(data, axis=tuple(leading)) if leading else data


def load_maps(path, *, max_bytes=None) -> np.ndarray:
    """Read the maps of a FITS file (targets not needed), e.g. a single convergence map to inspect.

    Parameters
    ----------
    path : str or os.PathLike
        A FITS file with one 2-D image per HDU or a 3-D cube (a cube of single-channel maps ``(n, 1, H, W)`` is read
        without its channel axis).
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
    budget = byte_budget(max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _fits_open(path) as hdul:
                X, _, _ = _fits_maps(hdul, path, budget)
    except InputError:
        raise
    except Exception as exc:  # damaged headers or data
        raise InputError("file", f"{path.name!r} could not be read as FITS ({type(exc).__name__}: {exc})",
                         "upload a complete FITS file") from None
    return check_signals(X, "X", min_samples=1)


def _fits_targets(hdul, sources: list, n: int, notes: dict):
    """The targets of a FITS file's maps and their names (None, None without any); the identifier columns left
    out of a table's targets are written into ``notes`` (``ignored_columns``, ``numbered_columns``)."""
    from astropy.io import fits  # heavy (0.25 s to import): loaded only when a FITS file is read

    for hdu in hdul:
        if isinstance(hdu, fits.BinTableHDU) and hdu.data is not None:
            cols = hdu.columns
            names = [c.name for c in cols]
            low = [nm.lower() for nm in names]
            if "y" in low or "target" in low:
                chosen = [names[low.index("y" if "y" in low else "target")]]
            else:
                numeric = {}
                for c in cols:
                    arr = np.asarray(hdu.data[c.name])
                    if arr.ndim == 1 and arr.dtype.kind in "biuf":
                        numeric[c.name] = arr
                ignored, numbered = identifier_columns(numeric)
                chosen = [nm for nm in numeric if nm not in ignored]
                if ignored and not chosen:
                    raise InputError("y", f"the FITS table {hdu.name!r} holds only identifier columns "
                                     f"{ignored} (they number or name the maps), no target",
                                     "add one numeric column per target (e.g. OMEGA_M), or name the column that is "
                                     "your target y or y_<name>")
                notes.update({"ignored_columns": ignored} if ignored else {})
                notes.update({"numbered_columns": numbered} if numbered else {})
            if not chosen:
                raise InputError("y", f"the FITS table {hdu.name!r} has no numeric scalar columns",
                                 "add one numeric column per target")
            y = np.stack([np.asarray(hdu.data[c]).astype(np.float64) for c in chosen], axis=1)
            return (y[:, 0] if y.shape[1] == 1 else y), chosen
    keys = hdul[0].header.get("TARGETS")
    if keys:
        chosen = [k.strip().upper() for k in str(keys).split(",") if k.strip()]
        if len(set(map(id, sources))) < n:  # a cube shares one header: all maps would get the same target
            raise InputError("y", "TARGETS header keys cannot label the maps of a 3-D cube one by one",
                             "add a BINTABLE HDU with one row per map")
        rows = []
        for i, hdu in enumerate(sources):
            missing = [k for k in chosen if k not in hdu.header]
            if missing:
                raise InputError("y", f"map {i} (HDU {hdu.name!r}) lacks header keys {missing}",
                                 "give every image HDU the keys listed in TARGETS")
            rows.append([float(hdu.header[k]) for k in chosen])
        y = np.array(rows, dtype=np.float64)
        return (y[:, 0] if y.shape[1] == 1 else y), chosen
    return None, None


def _map_sources_words(hdul, sources: list) -> str:
    """The image HDUs read as maps, by index and name, with how many maps each gave: ``HDU 0 'PRIMARY' (a cube of
    24 maps, shape (24, 64, 64)), HDU 1 'MASK' (1 map)``."""
    index = {id(hdu): k for k, hdu in enumerate(hdul)}
    counts: dict[int, int] = {}
    for hdu in sources:
        counts[id(hdu)] = counts.get(id(hdu), 0) + 1
    words, seen = [], set()
    for hdu in sources:
        if id(hdu) in seen:
            continue
        seen.add(id(hdu))
        count = counts[id(hdu)]
        shape = tuple(int(hdu.header[f"NAXIS{i}"]) for i in range(hdu.header["NAXIS"], 0, -1))
        what = f"a cube of {count} maps, shape {shape}" if len(shape) >= 3 else "1 map"
        words.append(f"HDU {index.get(id(hdu), '?')} {hdu.name!r} ({what})")
    return ", ".join(words)


def _refuse_maps_unlike_targets(hdul, sources: list, n_maps: int, n_rows: int) -> None:
    """Refuse a file whose table has another number of rows than its image HDUs hold maps, naming the HDUs read as
    maps (a mask or NOISE cube beside the KAPPA cube is read as maps too) and, for a cube whose last axis is as long
    as the table, the axis the maps are stored along."""
    if n_maps == n_rows:
        return
    fixes = ["give the table one row per map, and keep only maps in the image HDUs (a mask, noise or weight image "
             "goes in a file of its own)"]
    distinct = {id(hdu): hdu for hdu in sources}.values()  # a cube is listed once per map: read its header once
    for hdu in (hdu for hdu in distinct if hdu.header.get("NAXIS") == 3):
        shape = tuple(int(hdu.header[f"NAXIS{i}"]) for i in range(3, 0, -1))
        if shape[-1] == n_rows and shape[0] != n_rows:
            fixes.insert(0, f"the cube {hdu.name!r} of shape {shape} holds its {n_rows} maps along its last axis: "
                            "store it as (n, H, W), one map per first index (numpy.moveaxis(cube, -1, 0))")
    raise InputError("y", f"the FITS table has {n_rows} row{'' if n_rows == 1 else 's'} but the file holds "
                     f"{n_maps} map{'' if n_maps == 1 else 's'}, read from {_map_sources_words(hdul, sources)}",
                     "; or ".join(fixes))


def read_fits_arrays(path: Path, budget: int) -> tuple[np.ndarray, np.ndarray | None, list | None, dict]:
    """A FITS file's maps (n, H, W), its targets and their names (None, None without any) and its metadata."""
    with _fits_open(path) as hdul:
        X, sources, without_channel = _fits_maps(hdul, path, budget)
        meta = {"source_format": "fits", **without_channel}
        y, target_names = _fits_targets(hdul, sources, X.shape[0], meta)
        if y is not None:
            _refuse_maps_unlike_targets(hdul, sources, X.shape[0], len(y))
        angle = hdul[0].header.get("ANGLE")
        if angle is not None:
            meta["field_of_view_deg"] = float(angle)
    return X, y, target_names, meta


def load_fits(path: Path, budget: int, name: str | None) -> Dataset:
    """A FITS file's maps and targets as an image Dataset (``ANGLE`` in the primary header: field of view)."""
    X, y, target_names, meta = read_fits_arrays(path, budget)
    if y is None:
        few = " (distillation learns from many maps, each with its parameters: a simulation suite)" \
            if X.shape[0] < 10 else ""
        raise InputError("y", f"the FITS file has {X.shape[0]} map(s) but no targets{few}",
                         "add a BINTABLE HDU with one row per map (e.g. columns OMEGA_M, SIGMA_8) or a primary header "
                         "keyword TARGETS naming per-HDU header keys. Maps without targets are for predicting: open a "
                         "finished result of maps of the same size (or one distilled on tiles of maps like these, "
                         "which cuts larger maps into its tiles) and drop the file on its “Predict new data” panel, or "
                         "run awd predict; in Python awd_studio.models.data.load_maps reads them")
    return Dataset(X, y, kind="image", name=name or path.stem, meta=meta, target_names=target_names,
                   min_samples=1)  # load_dataset checks the count

