"""The in-memory dataset: arrays plus a little metadata, a JSON summary, a split and an npz writer.

A :class:`Dataset` is always valid: its constructor runs :mod:`models.validation` on every array, so code
that receives one never re-checks shapes or finiteness.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from awd_studio.models.files import as_if_created
from awd_studio.models.validation import InputError, check_signals, check_targets, signal_kind

__all__ = ["Dataset", "summarize", "split_dataset", "split_sizes", "held_out_indices", "held_out_groups", "save_npz",
           "npz_sha256", "content_sha256", "SOURCE_FILE_META"]

#: The key of a dataset's ``meta`` naming the file it was read from, ``{"name": ..., "sha256": ...}``, when what a job
#: reads is a copy saved after reading (``awd distill --drop-incomplete`` or ``--pad-ends``; an upload stored as the
#: data read: tiles, rows left out or filled, X and y sent as two files): the result records that file's SHA-256,
#: not the copy's, so that it can be matched to the file its owner holds (``models.pipeline.prepare``).
SOURCE_FILE_META = "source_file"


@dataclass
class Dataset:
    """Signals and regression targets, with an optional fixed test split.

    Parameters
    ----------
    X : array-like of shape (n, L) or (n, H, W)
        Training signals: time series (one per row) or maps.
    y : array-like of shape (n,) or (n, k)
        Targets, one value (or row of ``k`` values) per sample.
    X_test : array-like of shape (n_test, L) or (n_test, H, W), optional
        A fixed test set; same per-sample shape as ``X``. When absent, :func:`split_dataset` makes a seeded split.
    y_test : array-like of shape (n_test,) or (n_test, k), optional
        Required exactly when ``X_test`` is given.
    kind : {"timeseries", "image"} or None, default=None
        Inferred from ``X.ndim`` when ``None``; checked against it otherwise.
    name : str, default="dataset"
        Human-readable name.
    meta : dict, default={}
        JSON-able metadata (simulation parameters, units, provenance).
    target_names : list of str or None, default=None
        One name per target column; defaults to ``["y"]`` or ``["y0", "y1", ...]``.
    min_samples : int, default=10
        Smallest accepted number of training samples.

    Raises
    ------
    InputError
        On any invalid array (the message names the field).
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    kind: str | None = None
    name: str = "dataset"
    meta: dict = field(default_factory=dict)
    target_names: list[str] | None = None
    min_samples: int = field(default=10, repr=False)

    def __post_init__(self):
        self.X = check_signals(self.X, "X", min_samples=self.min_samples)
        self.y = check_targets(self.y, self.X.shape[0], "y")
        inferred = signal_kind(self.X)
        if self.kind is None:
            self.kind = inferred
        elif self.kind != inferred:
            raise InputError("kind", f"is {self.kind!r} but X has shape {self.X.shape}",
                             f"use kind={inferred!r} or reshape X")
        if (self.X_test is None) != (self.y_test is None):
            missing = "y_test" if self.y_test is None else "X_test"
            raise InputError(missing, "is missing while its partner is given",
                             "pass both X_test and y_test, or neither")
        if self.X_test is not None:
            self.X_test = check_signals(self.X_test, "X_test", min_samples=1)
            if self.X_test.shape[1:] != self.X.shape[1:]:
                raise InputError("X_test", f"has samples shaped {self.X_test.shape[1:]} but X has {self.X.shape[1:]}",
                                 "give train and test samples the same shape")
            self.y_test = check_targets(self.y_test, self.X_test.shape[0], "y_test")
            if self.y_test.shape[1:] != self.y.shape[1:]:
                raise InputError("y_test", f"has shape {self.y_test.shape} but y has {self.y.shape}",
                                 "give train and test targets the same number of columns")
        k = self.n_targets
        if self.target_names is None:
            self.target_names = ["y"] if k == 1 else [f"y{i}" for i in range(k)]
        else:
            self.target_names = [str(t) for t in self.target_names]
            if len(self.target_names) != k:
                raise InputError("target_names", f"has {len(self.target_names)} names for {k} target columns",
                                 "give one name per column of y")
        self.name = str(self.name)
        self.meta = dict(self.meta or {})

    @property
    def n(self) -> int:
        """Number of training samples."""
        return int(self.X.shape[0])

    @property
    def n_test(self) -> int:
        """Number of fixed test samples (0 when none)."""
        return 0 if self.X_test is None else int(self.X_test.shape[0])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample: ``(L,)`` or ``(H, W)``."""
        return tuple(int(s) for s in self.X.shape[1:])

    @property
    def n_targets(self) -> int:
        """Number of target columns ``k`` (1 for a 1-D ``y``)."""
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])


def _target_stats(col: np.ndarray, name: str, bins: int) -> dict:
    """One target column's summary: its moments, range, distinct values, histogram, and for a column of at most
    ``bins`` distinct values each value with its count (``distinct``), which a preview draws one bar each (review
    39A: the histogram's bins did not line up with a cosmology grid's 9 values, and drew a narrow bar beside 0.3).

    Examples
    --------
    >>> _target_stats(np.array([0.3, 0.2, 0.3, 0.4]), "Omega_m", 20)["distinct"]
    {'values': [0.2, 0.3, 0.4], 'counts': [1, 2, 1]}
    >>> "distinct" in _target_stats(np.linspace(0, 1, 50), "y", 20)
    False
    """
    col = np.asarray(col, dtype=np.float64)
    counts, edges = np.histogram(col, bins=bins)
    values, value_counts = np.unique(col, return_counts=True)
    return {
        "name": name,
        "mean": float(col.mean()),
        "std": float(col.std()),
        "min": float(col.min()),
        "max": float(col.max()),
        "n_unique": int(values.size),
        "histogram": {"counts": counts.astype(int).tolist(), "edges": edges.tolist()},
        **({"distinct": {"values": values.tolist(), "counts": value_counts.astype(int).tolist()}}
           if values.size <= bins else {}),
    }


def _preview_sample(x: np.ndarray, max_side: int) -> list:
    if x.ndim == 2:  # a map: one stride for both axes (keeps its aspect ratio), the smallest that leaves at most
        # max_side² pixels and 4 max_side a side (a long strip keeps more of its length than a square map)
        stride = 1
        while (-(-x.shape[0] // stride)) * (-(-x.shape[1] // stride)) > max_side ** 2 or \
                -(-max(x.shape) // stride) > 4 * max_side:
            stride += 1
        x = x[::stride, ::stride]
    return np.round(np.asarray(x, dtype=np.float64), 6).tolist()


def summarize(dataset: Dataset, *, n_preview: int = 3, bins: int = 20, max_side: int = 64) -> dict:
    """A JSON-able description of a dataset, for previews in the UI, the API and the CLI.

    Parameters
    ----------
    dataset : Dataset
    n_preview : int, default=3
        Number of training samples copied into ``preview``: spread over the targets, from the lowest to the highest
        (ordered by the first target column, then the next), so that a file of several classes shows several
        (review 18: the first three maps were all of one cosmology).
    bins : int, default=20
        Histogram bins per target.
    max_side : int, default=64
        Maps in the preview are strided down, by one stride on both axes, to at most ``max_side²`` pixels and
        ``4 max_side`` a side (a 64 × 64 tile is shown whole: about the pixels a preview panel has).

    Returns
    -------
    summary : dict
        ``name``, ``kind``, ``shape`` (per sample), ``n``, ``n_test``, ``n_targets``, ``target_names``,
        ``targets`` (per column: mean, std, min, max, n_unique, histogram counts and edges over the training
        targets, and for a column of at most ``bins`` distinct values ``distinct``: each value and its count),
        ``x_stats`` (mean, std, min, max of X), ``preview`` (``X``: list of samples, ``y``: their
        targets) and ``meta``. Only Python scalars, lists and dicts.
    """
    y2 = dataset.y.reshape(dataset.n, -1)
    X = dataset.X
    k = min(n_preview, dataset.n)
    by_target = np.lexsort(y2.T[::-1])  # stable: among equal targets, file order
    shown = by_target[np.linspace(0, dataset.n - 1, k).round().astype(int)] if k else by_target[:0]
    return {
        "name": dataset.name,
        "kind": dataset.kind,
        "shape": list(dataset.sample_shape),
        "n": dataset.n,
        "n_test": dataset.n_test,
        "n_targets": dataset.n_targets,
        "target_names": list(dataset.target_names),
        "targets": [_target_stats(y2[:, j], dataset.target_names[j], bins) for j in range(y2.shape[1])],
        "x_stats": _x_stats(X),
        "preview": {
            "X": [_preview_sample(X[i], max_side) for i in shown],
            "y": np.asarray(dataset.y[shown], dtype=np.float64).tolist(),
        },
        "meta": json.loads(json.dumps(dataset.meta, default=_json_default)),
    }


def _x_stats(X: np.ndarray, chunk_values: int = 2**22) -> dict:
    """Mean, SD, minimum and maximum of ``X``, in chunks of about ``chunk_values`` values: ``X.std()`` held a
    temporary as large as ``X`` (a 780 MiB upload took 1.5 GiB to check, review 24A)."""
    rows = X.reshape(X.shape[0], -1)
    step = max(1, chunk_values // max(1, rows.shape[1]))
    mean = float(rows.mean(dtype=np.float64))
    squares = sum(float(((rows[i:i + step] - mean) ** 2).sum(dtype=np.float64)) for i in range(0, len(rows), step))
    return {"mean": mean, "std": float(np.sqrt(squares / max(1, rows.size))), "min": float(rows.min()),
            "max": float(rows.max())}


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _stratify_labels(y: np.ndarray) -> np.ndarray | None:
    """Class labels when the targets take a few discrete values (a grid of cosmologies), else None."""
    rows = y.reshape(y.shape[0], -1)
    _, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    if counts.size <= min(50, rows.shape[0] // 10) and counts.min() >= 2:
        return inverse.ravel()
    return None


def split_dataset(dataset: Dataset, test_fraction: float = 0.2, seed: int = 0):
    """Training and test arrays: the dataset's fixed test set if it has one, else a seeded random split.

    When the targets take only a few distinct values (at most 50 classes, each seen at least twice, as for
    a grid of cosmologies) the split is stratified so every class appears in both parts.

    Parameters
    ----------
    dataset : Dataset
    test_fraction : float, default=0.2
        Share of samples held out, in (0, 1). Ignored when ``dataset.X_test`` is given.
    seed : int, default=0
        Seed of the permutation.

    Returns
    -------
    X_train : ndarray of shape (n_train, L) or (n_train, H, W)
    y_train : ndarray of shape (n_train,) or (n_train, k)
    X_test : ndarray of shape (n_test, L) or (n_test, H, W)
    y_test : ndarray of shape (n_test,) or (n_test, k)
    """
    if dataset.X_test is not None:
        return dataset.X, dataset.y, dataset.X_test, dataset.y_test
    test_idx, train_idx = held_out_indices(dataset.n, _stratify_labels(dataset.y), test_fraction,
                                           np.random.default_rng(seed))
    return dataset.X[train_idx], dataset.y[train_idx], dataset.X[test_idx], dataset.y[test_idx]


def split_sizes(n: int, n_test: int | None = None, test_fraction: float = 0.2) -> tuple[int, int]:
    """``(n_train, n_test)`` of :func:`split_dataset` on ``n`` samples, or on ``n`` training samples and a fixed
    test set of ``n_test``, from the counts alone (for an estimate; a stratified split may differ by a sample per
    class in rounding).

    Examples
    --------
    >>> split_sizes(18), split_sizes(100, n_test=40)
    ((14, 4), (100, 40))
    """
    if n_test:
        return int(n), int(n_test)
    held = min(n - 1, max(1, int(round(test_fraction * n))))
    return int(n - held), int(held)


def held_out_indices(n: int, labels, test_fraction: float, rng):
    """Test and training indices of ``n`` samples: a share ``test_fraction`` of every class of ``labels`` (at least
    one, never all), or of all samples when ``labels`` is None.

    Parameters
    ----------
    n : int
    labels : ndarray of shape (n,) or None
        Class of each sample; every class needs two samples or more.
    test_fraction : float
        In (0, 1).
    rng : numpy.random.Generator

    Returns
    -------
    test_idx, train_idx : ndarray of int
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise InputError("test_fraction", f"must be strictly between 0 and 1, got {test_fraction}", "pass e.g. 0.2")
    if labels is None:
        perm = rng.permutation(n)
        n_test = min(n - 1, max(1, int(round(test_fraction * n))))
        return perm[:n_test], perm[n_test:]
    test_parts, train_parts = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_c = min(idx.size - 1, max(1, int(round(test_fraction * idx.size))))
        test_parts.append(idx[:n_c])
        train_parts.append(idx[n_c:])
    return rng.permutation(np.concatenate(test_parts)), rng.permutation(np.concatenate(train_parts))


def held_out_groups(groups, fraction: float, rng):
    """Held-out and kept indices of samples in groups (tiles of one map): a share ``fraction`` of the groups, at
    least one and never all, goes whole to the held-out part.

    Parameters
    ----------
    groups : ndarray of shape (n,)
        Group of each sample; two groups or more.
    fraction : float
        In (0, 1).
    rng : numpy.random.Generator

    Returns
    -------
    held_idx, kept_idx : ndarray of int
        Sorted indices; no group has samples in both.

    Examples
    --------
    >>> held, kept = held_out_groups(np.array([0, 0, 1, 1, 2, 2]), 0.3, np.random.default_rng(0))
    >>> len(held), len(kept), set(held // 2).isdisjoint(kept // 2)
    (2, 4, True)
    """
    groups = np.asarray(groups)
    unique = np.unique(groups)
    if unique.size < 2:
        raise InputError("groups", f"holds {unique.size} group", "need two groups (maps) or more to hold one out")
    held, _ = held_out_indices(unique.size, None, fraction, rng)  # the groups' share, as for samples
    mask = np.isin(groups, unique[held])
    return np.flatnonzero(mask), np.flatnonzero(~mask)


def save_npz(dataset: Dataset, path, *, compress: bool = False) -> Path:
    """Write a dataset as an ``.npz`` that :func:`models.data.load_dataset` reads back unchanged.

    The file holds ``X``, ``y``, optional ``X_test``/``y_test``, and the strings ``name``, ``kind``,
    ``target_names`` and ``meta_json`` (no object arrays, so it loads with ``allow_pickle=False``). It is
    written to a temporary file in the same folder and renamed, so readers never see a half-written file. The
    same dataset always gives the same bytes (the zip entries carry a fixed date, not the time of writing), so a
    file's SHA-256 identifies its content.

    Parameters
    ----------
    dataset : Dataset
    path : str or os.PathLike
        Destination; ``.npz`` is appended when missing.
    compress : bool, default=False
        Use zip deflate (smaller, slower).

    Returns
    -------
    path : pathlib.Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = _npz_arrays(dataset)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        as_if_created(fd)  # readable as any file the user makes, not by its owner alone
        with os.fdopen(fd, "wb") as fh:
            _write_npz(fh, arrays, compress)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def npz_sha256(dataset: Dataset, *, compress: bool = False) -> str:
    """SHA-256 of the file :func:`save_npz` writes for a dataset, computed in memory: nothing is written.

    The zip writer puts each entry's header before its data and rewrites it once the data's size and CRC are known,
    so the bytes are not final as they come. The archive is therefore made twice into a sink that keeps no data:
    the first time to learn the rewritten headers (a few hundred bytes), the second to hash the bytes in order with
    those headers in place. Memory stays at the writer's chunks; the time is two passes over the arrays in memory
    (CRC, then CRC and SHA-256), less than a write to disk and a read back.

    Parameters
    ----------
    dataset : Dataset
    compress : bool, default=False
        As for :func:`save_npz`.

    Returns
    -------
    str
        64 hex digits: ``sha256_file(save_npz(dataset, path, compress=compress))``.

    Examples
    --------
    >>> X, y = np.arange(96.0).reshape(12, 8), np.arange(12.0)
    >>> npz_sha256(Dataset(X, y, name="a")) == npz_sha256(Dataset(X, y, name="a"))
    True
    >>> npz_sha256(Dataset(X, y, name="a")) == npz_sha256(Dataset(X, y, name="b"))
    False
    """
    arrays = _npz_arrays(dataset)
    learn = _FinalBytesSink()
    _write_npz(learn, arrays, compress)
    digest = hashlib.sha256()
    replay = _FinalBytesSink(rewrites=learn.rewrites, digest=digest)
    _write_npz(replay, arrays, compress)
    if replay.end != learn.end or replay.seen != learn.rewrites:  # save_npz's bytes are fixed: never expected
        raise RuntimeError("npz_sha256: the .npz came out differently twice; hash the written file instead")
    return digest.hexdigest()


class _FinalBytesSink:
    """A seekable file that keeps no data, for :func:`npz_sha256`.

    Without ``rewrites``, it records each write over bytes written before (offset, bytes): what a file would
    finally hold there. With them, it feeds ``digest`` the bytes in order as they are appended, those recorded
    ranges replaced by their final bytes, and ignores the writes over earlier bytes (listed in ``seen``).
    """

    def __init__(self, rewrites=None, digest=None):
        self.rewrites = [] if rewrites is None else rewrites
        self.digest, self.seen = digest, []
        self.pos = self.end = 0

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset + (0, self.pos, self.end)[whence]
        return self.pos

    def flush(self) -> None:
        pass

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        size = len(data)
        if self.pos < self.end:  # a header rewritten: its bytes are final
            if self.pos + size > self.end:
                raise RuntimeError("npz_sha256: a write over the end of earlier bytes")
            (self.rewrites if self.digest is None else self.seen).append((self.pos, bytes(data)))
        elif self.pos > self.end:
            raise RuntimeError("npz_sha256: a write past the end leaves a gap")
        else:
            if self.digest is not None:
                self.digest.update(self._final(data))
            self.end += size
        self.pos += size
        return size

    def _final(self, data):
        """``data`` appended at :attr:`pos`, with the recorded rewrites that fall in it applied."""
        start, stop, patched = self.pos, self.pos + len(data), None
        for offset, final in self.rewrites:
            low, high = max(start, offset), min(stop, offset + len(final))
            if low < high:
                patched = bytearray(data) if patched is None else patched
                patched[low - start:high - start] = final[low - offset:high - offset]
        return data if patched is None else patched


def content_sha256(dataset: Dataset) -> str:
    """SHA-256 of what a dataset holds, whatever it is named.

    :func:`save_npz` writes the name into the file, so the file's SHA-256 tells two names of the same data apart.
    This digest reads the arrays (``X``, ``y``, and ``X_test``, ``y_test`` when given: each one's dtype, shape
    and values), the kind, the target names and ``meta`` (which says what reading did to the file: rows left out
    or filled, the tiles' size), and not ``name`` nor the file it came from (``meta[SOURCE_FILE_META]``): the same
    data read with the same options has one digest.

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> X, y = np.arange(96.0).reshape(12, 8), np.arange(12.0)
    >>> content_sha256(Dataset(X, y, name="a")) == content_sha256(Dataset(X, y, name="b"))
    True
    >>> content_sha256(Dataset(X, y)) == content_sha256(Dataset(X, y, meta={"padded_rows": {"count": 1}}))
    False
    >>> content_sha256(Dataset(X, y)) == content_sha256(Dataset(X, y, meta={"source_file": {"sha256": "ab" * 32}}))
    True
    """
    digest = hashlib.sha256(b"awd-studio dataset content 1\n")
    for key, array in _data_arrays(dataset).items():
        array = np.ascontiguousarray(array)
        digest.update(f"{key} {array.dtype.str} {array.shape}\n".encode())
        digest.update(array.data)
    meta = {k: v for k, v in (dataset.meta or {}).items() if k != SOURCE_FILE_META}
    described = {"kind": dataset.kind, "target_names": list(dataset.target_names), "meta": meta}
    digest.update(json.dumps(described, sort_keys=True, default=_json_default).encode())
    return digest.hexdigest()


def _npz_arrays(dataset: Dataset) -> dict:
    """Everything :func:`save_npz` writes, by entry name: the arrays, then ``name``, ``kind``, ``target_names`` and
    ``meta_json``."""
    arrays = _data_arrays(dataset)
    arrays["name"] = np.array(dataset.name)
    arrays["kind"] = np.array(dataset.kind)
    arrays["target_names"] = np.array(list(dataset.target_names), dtype=str)
    arrays["meta_json"] = np.array(json.dumps(dataset.meta, default=_json_default))
    return arrays


def _data_arrays(dataset: Dataset) -> dict:
    """The dataset's arrays by their names in its ``.npz``: ``X``, ``y``, and ``X_test``, ``y_test`` when given."""
    arrays = {"X": dataset.X, "y": dataset.y}
    if dataset.X_test is not None:
        arrays["X_test"] = dataset.X_test
        arrays["y_test"] = dataset.y_test
    return arrays


def _write_npz(fh, arrays: dict, compress: bool) -> None:
    """``np.savez`` (or ``np.savez_compressed``) into ``fh``, with every zip entry dated 1980-01-01 (the zip
    format's earliest date) instead of the time of writing: the bytes depend on the arrays alone."""
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(fh, mode="w", compression=compression, allowZip64=True) as archive:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            with archive.open(info, mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(value), allow_pickle=False)
