"""Read user data files into a :class:`~models.data.dataset.Dataset`, safely.

Supported formats (chosen from the file's magic bytes, checked against its extension):

``.npz``
    Arrays ``X`` and ``y`` (aliases ``X_train``/``y_train``), optional ``X_test``/``y_test``, and the optional
    strings ``name``, ``kind``, ``target_names``, ``meta_json`` written by :func:`~models.data.dataset.save_npz`.
    In an npz, npy, HDF5 or MATLAB file, ``X`` and ``X_test`` saved with a channel axis of size 1
    (``(n, 1, L)``, ``(n, L, 1)``, ``(n, 1, H, W)``, ``(n, H, W, 1)``) are read without it, said in
    ``meta["channel_axis"]``; series of several channels are refused (:mod:`~models.data.readers.channels`).
``.npy``
    A single array is only ``X``; its targets come from a sibling file: for ``data.npy`` or ``data_X.npy``
    the reader looks for ``data_y.npy`` (and ``data_X_test.npy``/``data_y_test.npy`` for a fixed test set).
    Uploads are single files, so upload an ``.npz`` instead.
``.csv`` / ``.tsv`` / ``.txt``
    One row per series. The target column is named ``y`` or ``target`` (several targets: ``y_<name>`` or
    ``target_<name>``); without such a header, the last column is the target. The header is optional.
``.fits`` / ``.fit`` / ``.fts``
    Maps: one 2-D image per HDU, or one 3-D cube ``(n, H, W)`` (a cube of single-channel maps ``(n, 1, H, W)`` or
    ``(n, H, W, 1)`` is read without its channel axis, as in the formats above). Targets: a BINTABLE HDU with one
    row per map (column ``y`` or ``target``, else all numeric scalar columns, in order), or header keywords of each
    image HDU listed in the primary header keyword ``TARGETS`` (comma separated, e.g. ``TARGETS = 'OMEGA_M,SIGMA_8'``).
    A FITS file without targets raises :class:`~models.validation.InputError`; :func:`load_maps` reads its maps.
``.h5`` / ``.hdf5`` / ``.hdf``
    Datasets ``X`` and ``y`` (optional ``X_test``, ``y_test``) at the root, in C order ``(n, L)``/``(n, H, W)``.
``.mat``
    MATLAB v5/v7 (``scipy.io.loadmat``) or v7.3 (HDF5, read with h5py; MATLAB's column-major layout is
    transposed back), variables ``X``, ``y`` (optional ``X_test``, ``y_test``) shaped as in MATLAB ``n x L``.

Nothing here unpickles: ``np.load(..., allow_pickle=False)``, pickles are refused by their magic byte,
object and string arrays are refused. Decoded sizes are checked against ``max_bytes`` *before* data are
read (zip central directory and ``.npy`` headers for npz, dataset shapes for HDF5, ``whosmat`` for MATLAB).

One module per format, one reader function each with the signature ``(path, budget, name) -> Dataset``:
:mod:`~models.data.readers.detect` (which format), :mod:`~models.data.readers.npy` (npz, npy),
:mod:`~models.data.readers.text` (csv), :mod:`~models.data.readers.fits` (FITS, :func:`load_maps`),
:mod:`~models.data.readers.hdf5` (HDF5, MATLAB v7.3), :mod:`~models.data.readers.matlab` (MATLAB v5),
:mod:`~models.data.readers.missing` (an array file's series with NaN: ``pad_ends``, ``drop_incomplete``, with the text
reader's helpers), :mod:`~models.data.readers.channels` (a channel axis of size 1, several channels), and
:mod:`~models.data.readers._common` (budget, dtype checks, array names). This module's one job is
:func:`load_dataset`: detect the format, call its reader, and turn any other failure into an ``InputError``.
:mod:`~models.data.readers.inputs` reads the same formats for prediction, where targets are optional.
"""

from __future__ import annotations

from pathlib import Path

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import DEFAULT_MAX_BYTES, byte_budget, reading_errors
from awd_studio.models.data.readers.detect import FORMATS, detect_format
from awd_studio.models.data.readers.fits import load_fits, load_maps
from awd_studio.models.data.readers.hdf5 import load_hdf5
from awd_studio.models.data.readers.matlab import load_mat
from awd_studio.models.data.readers.npy import load_npy, load_npz
from awd_studio.models.data.readers.text import load_csv
from awd_studio.models.data.tiles import MIN_TILE
from awd_studio.models.validation import DEFAULT_MIN_SAMPLES, InputError

__all__ = ["load_dataset", "load_maps", "detect_format", "FORMATS", "DEFAULT_MAX_BYTES"]


def load_dataset(path, *, max_bytes=None, name=None, min_samples=DEFAULT_MIN_SAMPLES,
                 drop_incomplete=False, pad_ends=False) -> Dataset:
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
    min_samples : int, default=10
        Fewest training samples accepted (1 for a few large maps to be cut into tiles,
        :func:`models.data.tiles.tile_dataset`).
    drop_incomplete : bool, default=False
        Delimited text: leave out the rows holding a cell that is not a number (a trace that ended early), named
        in ``meta["dropped_rows"]``, instead of refusing the file. Series ``X`` (n, L) of an npz, npy, HDF5 or
        MATLAB file: leave out the samples with NaN in ``X`` or ``y``, named ``"sample k"`` (counting from 1), and
        those of a fixed test split with NaN in ``X_test`` or ``y_test``, named ``"test sample k"``
        (:func:`models.data.readers.missing.complete_series`). FITS and maps ignore it (NaN in a map is refused).
    pad_ends : bool, default=False
        Delimited text: fill each series' missing values after its last value (a trace that ended early) with
        zeros, said in ``meta["padded_rows"]`` (:func:`models.data.readers.text.fill_ended_series`); a gap inside
        a series is still refused. With ``drop_incomplete`` too, the traces that ended early are filled and the rows
        that still have a missing value (a gap inside a trace, a missing target, no value, text) are left out:
        ``meta`` then says both. Series in an npz, npy, HDF5 or MATLAB file take it too: trailing NaN after a
        trace's last value is a trace that ended early, in ``X_test`` as in ``X``. FITS and maps ignore it.

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
    budget = byte_budget(max_bytes)
    fmt = detect_format(path)
    options = {"drop_incomplete": drop_incomplete, "pad_ends": pad_ends}
    readers = {
        "npz": lambda p, b, n: load_npz(p, b, n, **options),
        "npy": lambda p, b, n: load_npy(p, b, n, **options),
        "csv": lambda p, b, n: load_csv(p, b, n, **options),
        "fits": load_fits,
        "hdf5": lambda p, b, n: load_hdf5(p, b, n, **options),
        "mat": lambda p, b, n: load_mat(p, b, n, **options),
        "mat73": lambda p, b, n: load_hdf5(p, b, n, matlab=True, **options),
    }
    with reading_errors(path, fmt):
        dataset = readers[fmt](path, budget, name)
    if dataset.n < min_samples:
        fix = f"pass at least {min_samples} samples (one per row)"
        if dataset.kind == "image" and min(dataset.sample_shape) >= 2 * MIN_TILE:
            # tiling holds out whole maps for the test split, so it needs two maps: with one, offering it led to
            # a second refusal ("needs at least two maps")
            fix += ("; or cut these maps into tiles (“Maps: tiles of … px” on the upload page, or `awd tile`)"
                    if dataset.n >= 2 else
                    "; cutting a map into tiles needs at least two maps (the test split holds out whole maps): add "
                    "more maps, each with its parameters, and then cut them into tiles (“Maps: tiles of … px” on the "
                    "upload page, or `awd tile`)")
        raise InputError("X", f"has {dataset.n} samples, fewer than the minimum of {min_samples}", fix)
    return dataset
