"""Fingerprints of a result's training samples: a prediction names the rows of a new file that are samples the
result was trained on, whose scores are not test scores (:func:`models.pipeline.predict.seen_rows_words`).

A result keeps one 64-bit hash per training sample (``train_fingerprints`` in ``arrays.npz``; a few bytes per
sample, not the samples). A sample is hashed as float32 values with negative zeros made positive, so that the same
numbers read from a CSV (float64) or an npz (float32) give the same fingerprint; values written with fewer digits
than float32 keeps are other numbers and are not matched.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["sample_fingerprints", "seen_samples"]


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
