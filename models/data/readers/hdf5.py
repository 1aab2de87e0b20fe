"""HDF5 files (``.h5``, ``.hdf5``, ``.hdf``) and MATLAB v7.3 files (HDF5 inside).

Datasets ``X`` and ``y`` (optional ``X_test``, ``y_test``) sit at the root, in C order ``(n, L)`` or
``(n, H, W)``. When the root has no ``X``, the one group that holds an ``X`` (at any depth, such as ``/data/X``)
is read instead (what it lacks, such as a ``y`` at the root, is taken from the root); an ``X`` in two places (two
groups, or the root and a group) is refused with their paths. Sizes are checked from the dataset shapes before
anything is read. MATLAB v7.3 stores its matrices column-major, so they are transposed back and a ``y`` of shape
``(n, 1)`` becomes ``(n,)`` (:func:`models.data.readers.matlab.squeeze_matlab`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import make_dataset, pick_arrays, too_big
from awd_studio.models.data.readers.channels import drop_channel_axis
from awd_studio.models.data.readers.matlab import squeeze_matlab
from awd_studio.models.data.readers.missing import complete_series
from awd_studio.models.data.readers.npy import refuse_one_map_without_sample_axis
from awd_studio.models.validation import InputError

__all__ = ["load_hdf5", "read_hdf5_arrays"]


def _h5_read(f, key: str, budget: int, used: int, transpose: bool) -> np.ndarray:
    import h5py  # loads the HDF5 C library: only when an HDF5 or MATLAB v7.3 file is read

    obj = f[key]
    if not isinstance(obj, h5py.Dataset):
        raise InputError(key, "is an HDF5 group or a MATLAB struct/cell, not an array", "store a numeric array")
    dtype = obj.dtype
    if dtype.kind not in "biuf":
        raise InputError(key, f"has non-numeric HDF5 dtype {dtype}", "store numbers (int or float)")
    n_bytes = int(np.prod(obj.shape, dtype=np.float64)) * dtype.itemsize
    if used + n_bytes > budget:
        raise too_big("the HDF5 datasets", used + n_bytes, budget)
    try:
        arr = obj[()]
    except (OSError, ValueError) as exc:
        raise InputError(key, f"cannot be read ({exc}); the file may be truncated",
                         "upload the complete file") from None
    arr = np.asarray(arr)
    return arr.T if transpose else arr


def _group_with_x(f):
    """The one place holding an ``X`` (or an alias): the root, or a single group below it.

    Raises
    ------
    InputError
        When several do (the root and a group, or two groups): which one is meant cannot be guessed.
    """
    import h5py

    holders = [""] if "X" in pick_arrays(list(f.keys())) else []

    def visit(path, obj):
        if isinstance(obj, h5py.Group) and "X" in pick_arrays(list(obj.keys())):
            holders.append(path)

    f.visititems(visit)
    if len(holders) > 1:
        where = ", ".join("the root" if p == "" else "/" + p for p in sorted(holders))
        raise InputError("X", f"found in several places ({where})",
                         "keep one X (with its y) per file: delete the others or store them in separate files")
    return f[holders[0]] if holders and holders[0] else f


def load_hdf5(path: Path, budget: int, name: str | None, *, matlab: bool = False, pad_ends: bool = False,
              drop_incomplete: bool = False) -> Dataset:
    """An HDF5 file as a Dataset; ``matlab=True`` reads a MATLAB v7.3 file (transposed, ``y`` squeezed). The
    target columns' names come from a string dataset ``target_names`` beside ``y`` (or at the root), or from an
    attribute ``target_names`` of ``y``. ``pad_ends``, ``drop_incomplete``: the NaN of series ``X`` (n, L), as for
    delimited text (:func:`~models.data.readers.missing.complete_series`, said in ``meta``), after a channel axis
    of size 1 is dropped (:func:`~models.data.readers.channels.drop_channel_axis`). One map saved as a 2-D ``X``
    without its sample axis is refused saying so, as in the other array formats
    (:func:`~models.data.readers.npy.refuse_one_map_without_sample_axis`)."""
    arrays, without_channel = drop_channel_axis(read_hdf5_arrays(path, budget, matlab=matlab))
    refuse_one_map_without_sample_axis(arrays)  # before its rows are read as series with NaN
    arrays, done = complete_series(arrays, pad_ends=pad_ends, drop_incomplete=drop_incomplete)
    return make_dataset(arrays, name or path.stem,
                        meta={"source_format": "mat73" if matlab else "hdf5", **without_channel, **done},
                        target_names=None if matlab else read_hdf5_target_names(path))


def read_hdf5_target_names(path: Path) -> list[str] | None:
    """The names of the target columns stored in an HDF5 file (see :func:`load_hdf5`), or None."""
    import h5py

    def text(values) -> list[str]:
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.atleast_1d(values)]

    with h5py.File(path, "r") as f:
        group = _group_with_x(f)
        for where in (group, f):
            item = where.get("target_names")
            if isinstance(item, h5py.Dataset) and item.dtype.kind in ("S", "O", "U") and item.size <= 1000:
                return text(item[()])
            y = where.get("y")
            if isinstance(y, h5py.Dataset) and "target_names" in y.attrs:
                return text(y.attrs["target_names"])
    return None


def read_hdf5_arrays(path: Path, budget: int, *, matlab: bool = False) -> dict:
    """The arrays ``X`` (required), ``y``, ``X_test``, ``y_test`` (when present) of an HDF5 file, checked.

    They are read from the root, or from the one group that holds ``X`` when the root does not.
    """
    import h5py  # loads the HDF5 C library: only when an HDF5 or MATLAB v7.3 file is read

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError("file", f"{path.name!r} is not a readable HDF5 file ({exc}); truncated?",
                         "upload the complete file") from None
    with f:
        group = f if matlab else _group_with_x(f)
        picked = {canon: (group, key) for canon, key in pick_arrays(list(group.keys())).items()}
        if group is not f:  # X in a group: what the group lacks (y at the root, say) is taken from the root
            for canon, key in pick_arrays(list(f.keys())).items():
                picked.setdefault(canon, (f, key))
        arrays, used = {}, 0
        for canon, (where, key) in picked.items():
            arrays[canon] = _h5_read(where, key, budget, used, transpose=matlab)
            used += arrays[canon].nbytes
        if not matlab:
            if "X" not in arrays:
                raise InputError("X", f"not found in the HDF5 file (root holds {sorted(f.keys())})",
                                 "store the signals as a dataset named 'X' at the root or in one group")
    if matlab:
        arrays = {k: squeeze_matlab(k, v) for k, v in arrays.items()}
    return arrays

