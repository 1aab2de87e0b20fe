"""MATLAB v5/v7 files (``.mat``, read with ``scipy.io.loadmat``), and the squeeze MATLAB's 2-D targets need.

Variables ``X``, ``y`` (optional ``X_test``, ``y_test``) are shaped as in MATLAB, ``n x L``. scipy inflates
whole variables, so :func:`_mat5_scan` first walks the file's data elements and counts their decoded size
against the budget (a zip bomb costs time proportional to the budget, and no memory), then ``whosmat``
checks classes and shapes before ``loadmat`` reads only the variables used. MATLAB v7.3 files are HDF5 and
are read by :mod:`models.data.readers.hdf5`.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import make_dataset, pick_arrays, require_numeric_dtype, too_big
from awd_studio.models.data.readers.channels import drop_channel_axis
from awd_studio.models.data.readers.missing import complete_series
from awd_studio.models.data.readers.npy import refuse_one_map_without_sample_axis
from awd_studio.models.validation import InputError

__all__ = ["load_mat", "read_mat_arrays", "squeeze_matlab"]


def squeeze_matlab(key: str, arr: np.ndarray) -> np.ndarray:
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
                            raise too_big("the MATLAB variables", total, budget)
                except zlib.error as exc:
                    raise InputError("file", f"{path.name!r} holds a damaged compressed variable ({exc})",
                                     "upload the complete file, saved by MATLAB or scipy.io.savemat") from None
                pos += 8 + int(nbytes)
            else:
                total += int(nbytes)
                pos += 8 + int(nbytes) + (-int(nbytes)) % 8
            if total > limit:
                raise too_big("the MATLAB variables", total, budget)


def load_mat(path: Path, budget: int, name: str | None, *, pad_ends: bool = False,
             drop_incomplete: bool = False) -> Dataset:
    """A MATLAB v5/v7 file as a Dataset, its decoded size bounded before scipy reads it; ``pad_ends``,
    ``drop_incomplete``: the NaN of series ``X`` (n, L), as for delimited text
    (:func:`~models.data.readers.missing.complete_series`, said in ``meta``), after a channel axis of size 1 is
    dropped (:func:`~models.data.readers.channels.drop_channel_axis`)."""
    arrays, without_channel = drop_channel_axis(read_mat_arrays(path, budget))
    refuse_one_map_without_sample_axis(arrays)  # before its rows are read as series with NaN
    arrays, done = complete_series(arrays, pad_ends=pad_ends, drop_incomplete=drop_incomplete)
    # a missing X or y is refused naming the variables the file holds (``traces``, ``labels``), not "nothing"
    held = None if {"X", "y"} <= set(arrays) else _mat_variable_names(path)
    return make_dataset(arrays, name or path.stem, meta={"source_format": "mat", **without_channel, **done},
                        stored=held)


def _mat_variable_names(path: Path) -> list[str]:
    """The names of the variables a MATLAB v5/v7 file holds (``scipy.io.whosmat``), [] when it cannot list them."""
    import scipy.io  # 0.25 s to import: only when a MATLAB v5 file is read

    try:
        return [variable for variable, _shape, _cls in scipy.io.whosmat(path)]
    except Exception:  # read_mat_arrays has already listed them once: a failure here leaves the names out
        return []


def read_mat_arrays(path: Path, budget: int) -> dict:
    """The variables ``X``, ``y``, ``X_test``, ``y_test`` a MATLAB v5/v7 file holds (checked, ``y`` squeezed)."""
    import scipy.io  # 0.25 s to import: only when a MATLAB v5 file is read

    _mat5_scan(path, budget)
    try:
        info = scipy.io.whosmat(path)
    except Exception as exc:  # scipy raises several types for damaged files
        raise InputError("file", f"{path.name!r} is not a readable MATLAB file ({exc})",
                         "save it with MATLAB's save(..., '-v7') or '-v7.3'") from None
    classes = {nm: (shape, cls) for nm, shape, cls in info}
    picked = pick_arrays(list(classes))
    sizes = {"double": 8, "single": 4, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
             "int64": 8, "uint64": 8, "logical": 1}
    total = 0
    for canon, key in picked.items():
        shape, cls = classes[key]
        if cls not in sizes:
            raise InputError(canon, f"is a MATLAB {cls}, not a numeric array", "save a numeric matrix")
        total += int(np.prod(shape, dtype=np.float64)) * sizes[cls]
    if total > budget:
        raise too_big("the MATLAB variables", total, budget)
    try:
        raw = scipy.io.loadmat(path, variable_names=list(picked.values()), squeeze_me=False,
                               struct_as_record=True, mat_dtype=False)
    except Exception as exc:
        raise InputError("file", f"{path.name!r} could not be read ({exc}); truncated?",
                         "upload the complete file") from None
    arrays = {}
    for canon, key in picked.items():
        arr = raw[key]
        require_numeric_dtype(arr.dtype, canon)
        arrays[canon] = squeeze_matlab(canon, arr)
    return arrays

