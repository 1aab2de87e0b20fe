"""Fingerprints of a result's training samples: a prediction names the rows of a new file that are samples the
result was trained on, whose scores are not test scores.

A result keeps one 64-bit hash per training sample (``train_fingerprints`` in ``arrays.npz``; a few bytes per
sample, not the samples). A sample is hashed as float32 values with negative zeros made positive, so that the same
numbers read from a CSV (float64) or an npz (float32) give the same fingerprint; values written with fewer digits
than float32 keeps are other numbers and are not matched.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["sample_fingerprints", "seen_samples", "seen_samples_words"]


def sample_fingerprints(X) -> np.ndarray:
    """One 64-bit hash per sample of ``X``.

    Parameters
    ----------
    X : array-like of shape (n, L) or (n, H, W)
        Samples in the units of the data file.

    Returns
    -------
    ndarray of shape (n,), uint64

    Examples
    --------
    >>> X = np.array([[0.1, -0.0], [0.1, 0.0]])
    >>> a, b = sample_fingerprints(X)
    >>> bool(a == b), bool(a == sample_fingerprints(X.astype(np.float32))[0])
    (True, True)
    """
    rows = np.asarray(X, dtype=np.float32).reshape(len(X), -1) + np.float32(0.0)  # -0.0 + 0.0 is 0.0
    rows = np.ascontiguousarray(rows)
    return np.array([int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little")
                     for row in rows], dtype=np.uint64)


def seen_samples(X, train_fingerprints) -> np.ndarray:
    """Which samples of ``X`` are training samples of a result, by their fingerprints.

    Parameters
    ----------
    X : array-like of shape (n, ...)
    train_fingerprints : array-like of uint64
        The result's :func:`sample_fingerprints` of its training samples.

    Returns
    -------
    ndarray of shape (n,), bool
    """
    return np.isin(sample_fingerprints(X), np.asarray(train_fingerprints, dtype=np.uint64))


def seen_samples_words(seen, row_words=None, split="file", noun="row") -> str | None:
    """What a prediction says of the rows that are training samples (:func:`seen_samples`); None when none is.

    Parameters
    ----------
    seen : array-like of bool, shape (n,)
    row_words : list of str, optional
        How each row is named (a CSV's ``"line 7 (trk5)"``); by default ``"<noun> k"``, counted from 0 as the
        predictions' CSV counts them.
    split : str
        ``"file"`` for the file's rows, ``"test split"`` for its fixed test split.
    noun : str
        ``"row"`` for series, ``"map"`` for maps.

    Examples
    --------
    >>> print(seen_samples_words([True, False, True], ["line 2 (a)", "line 3 (b)", "line 4 (c)"]))
    2 of the file's 3 rows are samples this result was trained on (the same values): line 2 (a), line 4 (c). Their \
scores are not test scores: the model has seen them. The result's own test scores are on its page.
    >>> print(seen_samples_words([False, True], noun="map"))
    1 of the file's 2 maps is a map this result was trained on (the same values): map 1. Its score is not a test \
score: the model has seen it. The result's own test scores are on its page.
    >>> seen_samples_words([True, True], noun="map")[:60]
    "All 2 of the file's maps are maps this result was trained on"
    >>> seen_samples_words([False, False]) is None
    True
    """
    seen = np.asarray(seen, dtype=bool)
    if not seen.any():
        return None
    where = np.flatnonzero(seen)
    named = [row_words[i] if row_words is not None else f"{noun} {i}" for i in where[:10]]
    more = f" and {where.size - len(named)} more" if where.size > len(named) else ""
    one, sample = where.size == 1, "map" if noun == "map" else "sample"
    count = (f"The {split}'s one {noun} is a {sample}" if seen.size == 1 else
             f"1 of the {split}'s {seen.size} {noun}s is a {sample}" if one else
             f"All {seen.size} of the {split}'s {noun}s are {sample}s" if where.size == seen.size else
             f"{where.size} of the {split}'s {seen.size} {noun}s are {sample}s")
    return (f"{count} this result was trained on (the same values): {', '.join(named)}{more}. "
            f"{'Its score is not a test score' if one else 'Their scores are not test scores'}: the model has seen "
            f"{'it' if one else 'them'}. The result's own test scores are on its page.")
