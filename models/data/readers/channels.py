"""Signals saved with a channel axis: single-channel series ``(n, 1, L)`` as PyTorch's ``Conv1d`` takes them (or
``(n, L, 1)`` as Keras's layers do), and single-channel maps ``(n, 1, H, W)`` (or ``(n, H, W, 1)``).

AWD distils one channel, so the array readers drop an axis of size 1 right after the samples or last from ``X`` and
``X_test`` before anything else is read (the NaN of series, :mod:`models.data.readers.missing`), and say so in
``meta["channel_axis"]``: the shape each array was stored in. Series of several channels ``(n, C, L)`` are refused,
naming what to pass instead. A 3-D array is a stack of maps ``(n, H, W)`` or of single-channel series; which one is
decided by the file's ``kind`` when it stores one (an ``.npz`` written by :func:`~models.data.dataset.save_npz`, or
what a result was trained on when predicting), else by its axes: an axis of size 1 is a channel (no map is one pixel
high), and one shorter than :data:`~models.validation.DEFAULT_MIN_LENGTH` is several channels (no map is so small).
Read so as maps that are not square, ``(n, 12, 500)``, ``X`` is noted in ``meta["read_as_maps"]``: it may be 12
channels of series, and the preview says what to pass then (one channel) and how an ``.npz`` says it holds maps
(``kind='image'``).
"""

from __future__ import annotations

import numpy as np

from awd_studio.models.validation import DEFAULT_MIN_LENGTH, InputError

__all__ = ["drop_channel_axis", "stored_channel_axis", "SIGNAL_KEYS"]

#: The arrays of a file that hold signals, which may carry a channel axis.
SIGNAL_KEYS = ("X", "X_test")


def stored_channel_axis(value, arrays: dict | None = None) -> dict | None:
    """A ``meta["channel_axis"]`` as it must be (each of ``X``, ``X_test`` with the shape it was stored in, 3 or more
    positive sizes), or None. The value comes from a reader, or back from a file's own ``meta_json`` (a dataset saved
    by :func:`~models.data.dataset.save_npz` keeps it), where anything may stand: an entry that is not such a shape
    is left out, so that no note or result is built from it.

    Parameters
    ----------
    value : object
        The ``channel_axis`` found.
    arrays : dict, optional
        The arrays as read, without a channel axis: an entry is kept only for an array it describes (its stored
        shape less one axis of size 1, second or last, is the array's sample shape; the samples may be fewer, when
        rows were left out after reading).

    Examples
    --------
    >>> stored_channel_axis({"X": [200, 1, 64], "X_test": [50, 1, 64]})
    {'X': [200, 1, 64], 'X_test': [50, 1, 64]}
    >>> stored_channel_axis("(200, 1, 64)"), stored_channel_axis({"X": "(200, 1, 64)", "y": [200, 1, 1]})
    (None, None)
    >>> X = np.zeros((200, 64))
    >>> stored_channel_axis({"X": [200, 64, 1]}, {"X": X}), stored_channel_axis({"X": [7, 1, 3]}, {"X": X})
    ({'X': [200, 64, 1]}, None)
    """
    if not isinstance(value, dict):
        return None
    kept = {key: [int(s) for s in shape] for key, shape in value.items()
            if key in SIGNAL_KEYS and isinstance(shape, list) and len(shape) >= 3
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)}
    if arrays is not None:
        kept = {key: shape for key, shape in kept.items()
                if key in arrays and list(np.shape(arrays[key])[1:]) in _without_one_channel(shape)}
    return kept or None


def _without_one_channel(shape: list) -> list:
    """The sample shapes a stored ``shape`` reads as once its channel axis of size 1 (second or last) is dropped."""
    return [shape[1:i] + shape[i + 1:] for i in (1, len(shape) - 1) if shape[i] == 1]


def drop_channel_axis(arrays: dict, kind: str | None = None) -> tuple[dict, dict]:
    """``X`` and ``X_test`` of ``arrays`` without a channel axis of size 1, and the shapes they were stored in.

    Parameters
    ----------
    arrays : dict
        A file's arrays under their canonical names; only ``X`` and ``X_test`` are looked at, the others are kept.
    kind : {"timeseries", "image"} or None, default=None
        What the signals are, when the file says (None: decided by the axes). ``"image"`` reads a 3-D array as maps
        ``(n, H, W)`` (never a channel of series); ``"timeseries"`` reads ``(n, C, L)`` with ``C > 1`` as channels.

    Returns
    -------
    arrays : dict
        ``(n, 1, L)`` and ``(n, L, 1)`` as series ``(n, L)``, ``(n, 1, H, W)`` and ``(n, H, W, 1)`` as maps
        ``(n, H, W)``; every other array as it was (for :class:`~models.data.dataset.Dataset` to check).
    meta : dict
        ``{"channel_axis": {"X": [n, 1, L], ...}}``: each array whose axis was dropped and the shape it was stored
        in; ``{"read_as_maps": {"X": [n, H, W]}}`` when, without a ``kind``, a 3-D ``X`` of samples that are not
        square was read as maps by its axes (both at least :data:`~models.validation.DEFAULT_MIN_LENGTH`): it may
        be series of H channels, which the preview and ``awd distill`` then say, with what to pass instead; empty
        when neither.

    Raises
    ------
    InputError
        Series of several channels; a single-channel array whose ``kind`` says otherwise (``(n, 1, L)`` stored as
        maps would be maps 1 pixel high).

    Examples
    --------
    >>> arrays, meta = drop_channel_axis({"X": np.zeros((30, 1, 64)), "y": np.zeros(30)})
    >>> arrays["X"].shape, meta
    ((30, 64), {'channel_axis': {'X': [30, 1, 64]}})
    >>> drop_channel_axis({"X": np.zeros((30, 3, 64))})
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: X: has shape (30, 3, 64): series of 3 channels ...
    """
    stored, out = {}, dict(arrays)
    for key in SIGNAL_KEYS:
        arr = arrays.get(key)
        if arr is None or np.ndim(arr) not in (3, 4):
            continue
        arr = np.asarray(arr)
        if not arr.size or arr.dtype.kind not in "biuf":
            continue  # empty or not numbers: Dataset's checks say so
        _refuse_channels(arr, key, kind)
        without = _without_channel(arr, key, kind)
        if without is not arr:
            out[key], stored[key] = without, [int(s) for s in arr.shape]
    X = out.get("X")
    # review 52B: (40, 12, 500) of 12 channels became 40 maps of 12 x 500 pixels, said only by the badge "maps"
    as_maps = (kind is None and "X" not in stored and np.ndim(X) == 3 and np.shape(X)[1] != np.shape(X)[2]
               and np.asarray(X).dtype.kind in "biuf")
    return out, ({"channel_axis": stored} if stored else {}) | (
        {"read_as_maps": {"X": [int(s) for s in np.shape(X)]}} if as_maps else {})


def _without_channel(arr: np.ndarray, key: str, kind: str | None) -> np.ndarray:
    """``arr`` (3-D or 4-D) without its axis of size 1 after the samples or last; ``arr`` itself when it has none.
    A single channel that ``kind`` contradicts is refused (:func:`_kind_refusal`)."""
    axis = 1 if arr.shape[1] == 1 else arr.ndim - 1 if arr.shape[-1] == 1 else None
    if axis is None:
        return arr
    reads_as = "timeseries" if arr.ndim == 3 else "image"
    if kind is not None and kind != reads_as:
        raise _kind_refusal(arr, key, kind)
    return np.squeeze(arr, axis=axis)


def _kind_refusal(arr: np.ndarray, key: str, kind: str) -> InputError:
    """The refusal of a single-channel array whose file says it holds the other ``kind``: series ``(n, 1, L)`` of a
    file of maps, maps ``(n, 1, H, W)`` of a file of series."""
    shape = tuple(int(s) for s in arr.shape)
    if kind == "image":
        return InputError(key, f"has shape {shape}, single-channel series, but the file's kind says maps (as maps "
                          f"they would be {shape[1]} × {shape[2]} pixels)",
                          "store kind='timeseries' (or no kind) to read them as series, with their channel axis "
                          "dropped; or store maps shaped (n, H, W)")
    return InputError(key, f"has shape {shape}, single-channel maps, but the file's kind says series",
                      "store kind='image' (or no kind) to read them as maps, with their channel axis dropped; or "
                      "store series shaped (n, L)")


def _refuse_channels(arr: np.ndarray, key: str, kind: str | None) -> None:
    """Refuse ``arr`` when it holds series of several channels: a 3-D array that ``kind`` says is series, or, without
    a kind, one with an axis after the samples too short to be a map's side (of several values)."""
    if arr.ndim != 3 or kind == "image" or 1 in arr.shape[1:]:
        return
    first, last = arr.shape[1:]
    if kind == "timeseries":
        channels_axis = 1 if first <= last else 2
    elif first < DEFAULT_MIN_LENGTH:
        channels_axis = 1
    elif last < DEFAULT_MIN_LENGTH:
        channels_axis = 2
    else:
        return  # maps (n, H, W)
    raise _channels_refusal(arr, key, channels_axis)


def _channels_refusal(arr: np.ndarray, key: str, channels_axis: int) -> InputError:
    """The refusal of series of several channels, on ``channels_axis`` (1: PyTorch's ``(n, C, L)``; 2: Keras's
    ``(n, L, C)``), with what to pass instead.

    Examples
    --------
    >>> print(_channels_refusal(np.zeros((30, 64, 2)), "X", 2))
    X: has shape (30, 64, 2): series of 2 channels (n, L, C), and multichannel series are not supported: AWD \
distils one series per sample; pass one channel, X[..., 0] (shape (30, 64)), or one series made of them (e.g. \
their mean, X.mean(axis=2)), and distil each channel in a job of its own if each matters
    """
    n, channels = int(arr.shape[0]), int(arr.shape[channels_axis])
    length = int(arr.shape[3 - channels_axis])
    layout, one = ("(n, C, L)", "X[:, 0]") if channels_axis == 1 else ("(n, L, C)", "X[..., 0]")
    return InputError(key, f"has shape {tuple(int(s) for s in arr.shape)}: series of {channels} channels {layout}, "
                      "and multichannel series are not supported: AWD distils one series per sample",
                      f"pass one channel, {one.replace('X', key)} (shape {(n, length)}), or one series made of them "
                      f"(e.g. their mean, {key}.mean(axis={channels_axis})), and distil each channel in a job of its "
                      "own if each matters")
