"""Missing values (NaN) of series stored as arrays (``.npz``, ``.npy``, HDF5, MATLAB): traces that ended early.

Tracking tools export variable-length traces as one matrix ``X`` of shape (n, L), each trace's frames after its last
one NaN. The array readers take the options of delimited text (:func:`models.data.readers.text.load_csv`) through
the text reader's own helpers: ``pad_ends`` fills each trace's NaN after its last value with zeros
(:func:`~models.data.readers.text.fill_ended_series`, said in ``meta["padded_rows"]``); ``drop_incomplete`` leaves
out the samples with NaN that filling cannot complete (or, without ``pad_ends``, any NaN) and those whose target is
NaN (:func:`~models.data.readers.text.keep_fillable_rows`, named ``"sample 17"`` counting from 1 in
``meta["dropped_rows"]``). Without either, NaN in ``X`` or ``y`` is refused with the remedies a text file's missing
cells are offered (:func:`~models.data.readers.text.offered_remedies`). A fixed test split (``X_test``, ``y_test``)
takes the same options in the same words, its samples named ``"test sample 3"``. Infinite values stay refused, and maps
``(n, H, W)`` are left as they are (NaN in a map is a masked region, refused by :class:`~models.data.dataset.Dataset`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from awd_studio.models.data.readers.text import (
    _count,
    _fill_remedies,
    fill_ended_series,
    keep_fillable_rows,
    listed_rows,
    offered_remedies,
    refuse_missing_targets,
    unfillable_rows,
)
from awd_studio.models.validation import InputError, nonfinite_words

__all__ = ["complete_series", "complete_inputs", "sample_words"]


def sample_words(n: int) -> list[str]:
    """How an array file's samples are named: ``"sample k"`` counting from 1, as its NaN refusal names them.

    Examples
    --------
    >>> sample_words(2)
    ['sample 1', 'sample 2']
    """
    return [f"sample {i + 1}" for i in range(n)]


#: The splits of an array file whose series the options handle: the signals' and the targets' names, and how a
#: refusal names one of the split's samples (``"sample 3"``, ``"test sample 3"``: each split counted from 1).
SPLITS = (("X", "y", "sample"), ("X_test", "y_test", "test sample"))


class _Split(NamedTuple):
    """One split's series ``X`` (n, L) with NaN somewhere in them or their ``targets`` (n, k), and their names."""

    x_key: str
    y_key: str
    noun: str
    X: np.ndarray
    targets: np.ndarray
    words: list[str]


def _split_with_nan(arrays: dict, x_key: str, y_key: str, noun: str) -> _Split | None:
    """The split ``x_key``/``y_key`` of ``arrays`` when the options can handle it: numeric series (n, L) with targets
    one per sample, no infinite value, and NaN in the series or the targets; else None (left to
    :class:`~models.data.dataset.Dataset`'s checks)."""
    X = arrays.get(x_key)
    if X is None:
        return None
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "biuf" or not len(X) or np.isinf(X).any():
        return None
    targets = _targets(arrays.get(y_key), len(X))
    if targets is None or not (np.isnan(X).any() or np.isnan(targets).any()):
        return None
    return _Split(x_key, y_key, noun, X, targets, [f"{noun} {i + 1}" for i in range(len(X))])


def _targets(y, n: int) -> np.ndarray | None:
    """The targets ``y`` as float64 of shape (n, k), or None when they cannot be one per sample (the dataset then
    refuses them itself)."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.dtype.kind not in "biuf" or y.ndim not in (1, 2) or len(y) != n:
        return None
    return y.astype(np.float64, copy=False).reshape(n, -1)


def _missing_words(split: _Split) -> tuple[str, bool, bool]:
    """What a refusal says of one split's NaN: how many, which samples merely end early and which have another
    missing value; and whether some ended early and whether some have another missing value (a gap inside the trace,
    no value, no target), which decide the remedies offered
    (:func:`~models.data.readers.text.offered_remedies`)."""
    X, targets, words, noun = split.X, split.targets, split.words, split.noun
    n = len(X)
    missing = np.isnan(X)
    no_target = np.isnan(targets).any(axis=1)
    unfillable = np.zeros(n, dtype=bool)
    unfillable[unfillable_rows(X)] = True
    ended = missing.any(axis=1) & ~unfillable & ~no_target
    empty = missing.all(axis=1)
    parts = []
    if ended.any():
        parts.append(f"{int(ended.sum())} of {n} {noun}s end early: their last values are NaN, as traces that ended do")
    if (gaps := np.flatnonzero(unfillable & ~empty)).size:
        parts.append(f"{_count(gaps.size, noun)} with NaN before its last value (a gap inside the trace): "
                     + listed_rows(words, gaps))
    if empty.any():
        parts.append(f"{_count(int(empty.sum()), noun)} without any value: "
                     + listed_rows(words, np.flatnonzero(empty)))
    if no_target.any():
        parts.append(f"{_count(int(no_target.sum()), noun)} without a target (NaN in {split.y_key}): "
                     + listed_rows(words, np.flatnonzero(no_target)))
    values = X if missing.any() else targets
    return f"{nonfinite_words(values)}: " + "; ".join(parts), bool(ended.any()), bool((unfillable | no_target).any())


def _refusal(splits: list[_Split]) -> InputError:
    """The refusal of the NaN of the series and targets of ``splits`` (the training split first, then the test split)
    without ``pad_ends`` or ``drop_incomplete``: it names the first split's field and says what each holds, with the
    remedies a text file's missing cells are offered for them all (:func:`~models.data.readers.text.offered_remedies`),
    so that the options chosen let both splits through."""
    said, any_ended, any_other = [], False, False
    for split in splits:
        words, ended, other = _missing_words(split)
        field = split.x_key if np.isnan(split.X).any() else split.y_key
        said.append((field, words))
        any_ended, any_other = any_ended or ended, any_other or other
    hint, remedies = offered_remedies(any_ended, any_other)
    (field, problem), *others = said
    problem += "".join(f"; and {other_field} {words}" for other_field, words in others)
    return InputError(field, problem, f"store finite numbers only (impute the missing values first); {hint}",
                      remedies=remedies)


def _unpredictable(X: np.ndarray, hint: str) -> InputError:
    """The refusal of a file to predict whose series ``X`` (n, L) hold NaN, read without either option: how many,
    how many samples merely end early, and ``hint``; its remedy is ``drop_incomplete``, as a text file's."""
    ended = np.isnan(X).any(axis=1)
    ended[unfillable_rows(X)] = False
    words = (f": {int(ended.sum())} of {len(X)} samples end early: their last values are NaN, as traces that ended do"
             if ended.any() else "")
    return InputError("X", f"{nonfinite_words(X)}{words}", f"store finite numbers only; {hint}",
                      remedies=("drop_incomplete",))


def complete_series(arrays: dict, *, pad_ends: bool = False, drop_incomplete: bool = False) -> tuple[dict, dict]:
    """A dataset's arrays with the NaN of its series handled as the options say, and what was done.

    The training split (``X``, ``y``, its samples named ``"sample k"``) and a fixed test split (``X_test``,
    ``y_test``, named ``"test sample k"``, each counted from 1) take the same options, and are refused, filled and
    left out in the same words.

    Parameters
    ----------
    arrays : dict
        ``X`` of shape (n, L) and ``y`` of shape (n,) or (n, k), and maybe ``X_test`` (n_test, L) and ``y_test``.
        A split of another shape, with infinite values or without targets one per sample is returned as it is, for
        :class:`~models.data.dataset.Dataset` to check.
    pad_ends : bool, default=False
        Fill each trace's NaN after its last value with zeros (:func:`~models.data.readers.text.fill_ended_series`);
        a gap inside a trace, a sample without any value and, without ``drop_incomplete``, a NaN target are refused.
    drop_incomplete : bool, default=False
        Leave out the samples with a NaN target or NaN in their series (with ``pad_ends``: only those filling cannot
        complete), named ``"sample k"`` or ``"test sample k"``, ``X_test`` and ``y_test`` alike; refused when none of
        a split would be left.

    Returns
    -------
    arrays : dict
        ``X`` (filled, same dtype) and ``y`` of the samples kept, ``X_test`` and ``y_test`` so too; the other
        entries unchanged.
    meta : dict
        ``padded_rows`` and ``dropped_rows`` as a delimited text file's dataset says them, counted over both splits
        (``of``: the file's samples, training and test), the first ones of each split named, the training split's
        first (:func:`_first_of_each`; empty when nothing was filled or left out).

    Raises
    ------
    InputError
        NaN without either option, with the remedies a text file's missing cells are offered (``remedies``), or NaN
        that the options given cannot handle.

    Examples
    --------
    >>> X = np.ones((3, 4)); X[0, 2:] = np.nan
    >>> filled, meta = complete_series({"X": X, "y": np.arange(3.0)}, pad_ends=True)
    >>> filled["X"][0].tolist(), meta["padded_rows"]["rows"]
    ([1.0, 1.0, 0.0, 0.0], ['sample 1'])
    >>> kept, meta = complete_series({"X": X, "y": np.arange(3.0)}, drop_incomplete=True)
    >>> kept["y"].tolist(), meta["dropped_rows"]
    ([1.0, 2.0], {'count': 1, 'rows': ['sample 1'], 'of': 3})
    >>> complete_series({"X": X, "y": np.arange(3.0)})[0]
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: X: contains 2 NaN ...: 1 of 3 samples end early: their last values are \
NaN, as traces that ended do; ...
    >>> kept, meta = complete_series({"X": np.ones((3, 4)), "y": np.arange(3.0), "X_test": X, "y_test": np.ones(3)},
    ...                              drop_incomplete=True)
    >>> kept["X_test"].shape, meta["dropped_rows"]
    ((2, 4), {'count': 1, 'rows': ['test sample 1'], 'of': 6})
    """
    splits = [split for keys in SPLITS if (split := _split_with_nan(arrays, *keys)) is not None]
    if not splits:
        return arrays, {}
    if not (pad_ends or drop_incomplete):
        raise _refusal(splits)
    of = sum(len(arrays[x_key]) for x_key, _, _ in SPLITS if arrays.get(x_key) is not None)
    dropped, padded = [], []
    for split in splits:
        arrays, split_dropped, split_padded = _complete_split(arrays, split, pad_ends, drop_incomplete)
        dropped += [split_dropped] if split_dropped else []
        padded += [split_padded] if split_padded else []
    meta = {}
    count = sum(len(rows) for rows in dropped)
    if dropped:
        meta["dropped_rows"] = {"count": count, "rows": _first_of_each(dropped), "of": of}
    if padded:
        meta["padded_rows"] = _padded_record(padded, of - count)
    return arrays, meta


def _first_of_each(named: list[list[str]], limit: int = 20) -> list[str]:
    """The first ``limit`` of the rows ``named`` by split (the training split's, then the test split's), each split's
    first ones among them: a record names the first 20 rows, and a long list of training rows is not to hide that
    test rows went too. Each split gets an equal share of ``limit``, and what one leaves the others take.

    Examples
    --------
    >>> rows = _first_of_each([[f"sample {i}" for i in range(1, 31)], ["test sample 2", "test sample 5"]])
    >>> len(rows), rows[-3:]
    (20, ['sample 18', 'test sample 2', 'test sample 5'])
    >>> _first_of_each([["sample 1"], ["test sample 1"]])
    ['sample 1', 'test sample 1']
    """
    shares = [0] * len(named)
    for _ in range(limit):
        more = [k for k, rows in enumerate(named) if shares[k] < len(rows)]
        if not more:
            break
        shares[min(more, key=lambda k: shares[k])] += 1
    return [row for rows, share in zip(named, shares) for row in rows[:share]]


def _complete_split(arrays: dict, split: _Split, pad_ends: bool, drop_incomplete: bool
                    ) -> tuple[dict, list[str], dict | None]:
    """``arrays`` with the NaN of one split handled as :func:`complete_series` says: its samples left out (the series
    and their targets alike, so that they stay aligned) and its traces' ends filled; and the samples left out, by
    name, and the record of the traces filled (None when none was)."""
    X, words, dropped = split.X, split.words, []
    if drop_incomplete:
        if not pad_ends and (np.isnan(X).any(axis=1) | np.isnan(split.targets).any(axis=1)).all():
            raise _refusal([split])  # none would be left: a text file is refused so too
        kept, dropped = keep_fillable_rows(X, split.targets, words, [], fill_ends=pad_ends)
        if dropped:
            X, words = X[kept], [words[i] for i in kept]
            arrays = {**arrays, split.x_key: X, split.y_key: np.asarray(arrays[split.y_key])[kept]}
    else:
        refuse_missing_targets(X, split.targets, f"NaN in {split.y_key}", words, field=split.y_key, noun=split.noun)
    if not pad_ends:
        return arrays, dropped, None
    filled, padded = fill_ended_series(X, words, remedies=_fill_remedies(X))
    return {**arrays, split.x_key: filled.astype(X.dtype, copy=False)}, dropped, padded


def _padded_record(records: list[dict], of: int) -> dict:
    """The ``padded_rows`` of a file from those of its splits (:func:`~models.data.readers.text.fill_ended_series`):
    the traces filled of ``of`` (the file's samples kept), the shortest, and the first 20 filled, the first ones of
    each split (:func:`_first_of_each`).

    Examples
    --------
    >>> _padded_record([{"count": 2, "of": 9, "shortest": 5, "length": 8, "rows": ["sample 1", "sample 4"]},
    ...                 {"count": 1, "of": 3, "shortest": 3, "length": 8, "rows": ["test sample 2"]}], 12)
    {'count': 3, 'of': 12, 'shortest': 3, 'length': 8, 'rows': ['sample 1', 'sample 4', 'test sample 2']}
    """
    return {"count": sum(r["count"] for r in records), "of": of, "shortest": min(r["shortest"] for r in records),
            "length": records[0]["length"], "rows": _first_of_each([r["rows"] for r in records])}


def complete_inputs(arrays: dict, *, length: int | None = None, pad_ends: bool = False,
                    drop_incomplete: bool = False, hint: str | None = None) -> dict:
    """The arrays of a file to predict with the NaN of its series handled as the options say, as the prediction
    reader does for delimited text (:func:`models.data.readers.inputs.load_inputs`).

    Parameters
    ----------
    arrays : dict
        ``X`` of shape (n, L'), optional ``y`` of shape (n,) or (n, k), optional ``X_test`` (n_test, L'); other
        entries are kept. Other shapes, integer ``X`` or infinite values are returned as they are.
    length : int or None, default=None
        The predictor's series length: with ``pad_ends``, series shorter than it are NaN up to it, then filled.
    pad_ends : bool, default=False
        Fill each trace's NaN after its last value with zeros (a result trained on traces filled so), in ``X`` and
        ``X_test`` alike (``"test sample k"``).
    drop_incomplete : bool, default=False
        Leave out the samples of ``X`` whose series have NaN (with ``pad_ends``: that filling cannot complete). A
        sample whose only NaN is its target is kept, to be predicted and not scored, as a CSV's row with a blank
        target cell (``blank_targets``, :func:`models.data.readers.inputs.load_inputs`).
    hint : str or None, default=None
        Without either option: the fix of the refusal of NaN in the series, which offers ``drop_incomplete`` (the
        prediction reader's words, ``ARRAY_PREDICT_DROP_HINT``); None leaves them to the caller's checks.

    Returns
    -------
    dict
        ``arrays`` with ``X`` (and ``y``) of the samples kept, and, with ``drop_incomplete``, ``rows`` (each sample's
        index in the file, from 0), ``row_words`` (``"sample k"``) and, when samples were left out, ``dropped``
        (``{"count", "rows", "of"}``); with ``pad_ends``, ``X_test`` filled too and ``padded`` (counted over both,
        None when nothing was filled).

    Raises
    ------
    InputError
        NaN without either option (with ``hint``), a gap inside a trace with ``pad_ends`` alone, no sample left; a
        gap inside a test trace with ``pad_ends`` (a test split's samples are not left out).

    Examples
    --------
    >>> X = np.ones((3, 4)); X[0, 2:] = np.nan; X[1, 1] = np.nan
    >>> got = complete_inputs({"X": X}, pad_ends=True, drop_incomplete=True)
    >>> got["rows"], got["dropped"]["rows"], got["padded"]["rows"]
    ([0, 2], ['sample 2'], ['sample 1'])
    """
    out = _complete_file_inputs(arrays, length=length, pad_ends=pad_ends, drop_incomplete=drop_incomplete, hint=hint)
    return _fill_test_split(out, length) if pad_ends else out


def _complete_file_inputs(arrays: dict, *, length: int | None, pad_ends: bool, drop_incomplete: bool,
                          hint: str | None) -> dict:
    """:func:`complete_inputs` for the file's ``X`` (and ``y``)."""
    X = arrays.get("X")
    if X is None or not (pad_ends or drop_incomplete or hint):
        return arrays
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind != "f" or not len(X) or np.isinf(X).any():
        return arrays
    if not (pad_ends or drop_incomplete):
        if np.isnan(X).any():
            raise _unpredictable(X, hint)
        return arrays
    if pad_ends and length is not None and X.shape[1] < length:  # a movie whose longest trace is shorter
        X = np.pad(X, ((0, 0), (0, length - X.shape[1])), constant_values=np.nan)
    out = {**arrays, "X": X}
    words = sample_words(len(X))
    if drop_incomplete:
        kept, dropped = keep_fillable_rows(X, None, words, [], fill_ends=pad_ends)
        X, words = X[kept], [words[i] for i in kept]
        out.update(X=X, rows=[int(i) for i in kept], row_words=words)
        if "y" in arrays and _targets(arrays["y"], len(kept) + len(dropped)) is not None:
            out["y"], out["blank_targets"] = np.asarray(arrays["y"])[kept], True
        if dropped:
            out["dropped"] = {"count": len(dropped), "rows": dropped[:20], "of": len(dropped) + len(kept)}
    if pad_ends:
        filled, out["padded"] = fill_ended_series(X, words, remedies=("drop_incomplete",))
        out["X"] = filled.astype(X.dtype, copy=False)
    return out


def _fill_test_split(out: dict, length: int | None) -> dict:
    """``out`` with its test split's traces that ended early filled with zeros as ``X``'s are (``pad_ends``), up to
    the predictor's ``length``, named ``"test sample k"`` and counted with ``X``'s in ``padded``; as it was when the
    test split is not series with NaN. Its samples are never left out: a prediction names the rows of ``X`` alone,
    so NaN that filling cannot complete stays refused (:func:`~models.data.readers.text.fill_ended_series`)."""
    X_test = out.get("X_test")
    if X_test is None:
        return out
    X_test = np.asarray(X_test)
    if X_test.ndim != 2 or X_test.dtype.kind != "f" or not len(X_test) or np.isinf(X_test).any():
        return out
    if length is not None and X_test.shape[1] < length:
        X_test = np.pad(X_test, ((0, 0), (0, length - X_test.shape[1])), constant_values=np.nan)
    try:
        filled, padded = fill_ended_series(X_test, [f"test sample {i + 1}" for i in range(len(X_test))])
    except InputError as refused:
        raise InputError("X_test", refused.problem, "only the end of a trace is filled, and a test split's samples "
                         "are not left out when predicting: fill the gaps first (e.g. interpolate), or predict "
                         "those series as the X of a file of their own, which drop_incomplete can leave out") from None
    out = {**out, "X_test": filled.astype(X_test.dtype, copy=False)}
    records = [record for record in (out.get("padded"), padded) if record]
    if padded:
        out["padded"] = _padded_record(records, len(out.get("X", ())) + len(X_test))
    return out
