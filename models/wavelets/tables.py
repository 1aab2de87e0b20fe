"""Cached index tables and linear maps: where each filter tap lands, as NumPy arrays that depend only on sizes.

One analysis or synthesis level is a sparse matrix whose nonzero pattern depends on the signal length, the
filter length and the mode, never on the filter values. This module computes those patterns once (LRU
caches), the gather indices of the strided-convolution path, the linear maps from ``h`` to every level's
operator used by the dense path, and keeps device copies of them (:func:`_on`).
"""

from functools import lru_cache

import numpy as np
import torch

from awd_studio.models.wavelets.sizes import _out_len


def _source_index(j, n, mode):
    """Index into the signal (length n) read at extended position ``j`` (an int array); -1 means zero."""
    if mode == "periodization":
        n2 = n + (n % 2)
        return np.minimum(np.mod(j, n2), n - 1)
    if mode == "zero":
        return np.where((j >= 0) & (j < n), j, -1)
    r = np.mod(j, 2 * n)  # half-sample symmetric extension, reflected as often as needed
    return np.where(r < n, r, 2 * n - 1 - r)


def _shift(filter_len, mode):
    """Offset s such that ``c[k] = sum_t h[t] x_ext[2k + s + t]`` (measured against PyWavelets)."""
    return 1 - filter_len // 2 if mode == "periodization" else 2 - filter_len


@lru_cache(maxsize=512)
def _analysis_entries(n, filter_len, mode):
    """Nonzero pattern of one analysis level: ``(flat positions k * n + i, taps t)`` of the (m, n) matrix."""
    m = _out_len(n, filter_len, mode)
    k, t = np.meshgrid(np.arange(m), np.arange(filter_len), indexing="ij")
    src = _source_index(2 * k + _shift(filter_len, mode) + t, n, mode)
    keep = src >= 0
    return (k * n + src)[keep].astype(np.int64), t[keep].astype(np.int64), m


@lru_cache(maxsize=512)
def _synthesis_entries(m, filter_len, mode, out_len):
    """Nonzero pattern of one synthesis level: ``(flat positions i * m + k, taps t)`` of the (out, m) matrix."""
    if mode == "periodization":
        n2 = 2 * m
        k, t = np.meshgrid(np.arange(m), np.arange(filter_len), indexing="ij")
        i = np.mod(2 * k + _shift(filter_len, mode) + t, n2)  # transpose of the analysis on 2m samples
    else:
        i, k = np.meshgrid(np.arange(out_len), np.arange(m), indexing="ij")
        t = i + filter_len - 2 - 2 * k
    keep = (t >= 0) & (t < filter_len) & (i < out_len)
    return (i * m + k)[keep].astype(np.int64), t[keep].astype(np.int64)


@lru_cache(maxsize=512)
def _extension_index(n, filter_len, mode):
    """Gather index building the extended signal read by the strided convolution (n means 'zero')."""
    m = _out_len(n, filter_len, mode)
    j = np.arange(2 * (m - 1) + filter_len) + _shift(filter_len, mode)
    src = _source_index(j, n, mode)
    return np.where(src < 0, n, src).astype(np.int64)


@lru_cache(maxsize=512)
def _fold_index(n_full, filter_len, n2):
    """Where each sample of a full transposed convolution folds back in periodization (length ``n2``)."""
    return np.mod(np.arange(n_full) + _shift(filter_len, "periodization"), n2).astype(np.int64)


@lru_cache(maxsize=256)
def _operator_map(length, filter_len, level, mode):
    """The linear map from ``h`` to every level's (2m, n) analysis operator, packed one after another.

    Returns ``(B, shapes)``: ``h @ B`` (B of shape (N, sum 2 m n)) holds the level operators, lowpass rows
    first, with the highpass ``g[t] = (-1)^t h[N-1-t]`` folded in; ``shapes`` lists each level's ``(m, n)``.
    One product builds, and one product pulls back, all levels at once.
    """
    blocks, shapes, n = [], [], length
    for _ in range(level):
        pos, tap, m = _analysis_entries(n, filter_len, mode)
        block = np.zeros((filter_len, 2, m * n))
        np.add.at(block, (tap, 0, pos), 1.0)  # lowpass: h[t]
        np.add.at(block, (filter_len - 1 - tap, 1, pos), (-1.0) ** tap)  # highpass: (-1)^t h[N-1-t]
        blocks.append(block.reshape(filter_len, 2 * m * n))
        shapes.append((m, n))
        n = m
    return np.concatenate(blocks, axis=1), tuple(shapes)


@lru_cache(maxsize=256)
def _synthesis_map(lengths, filter_len, mode, out_len):
    """The linear map from ``h`` to every level's (target, 2m) synthesis operator, packed one after another.

    ``lengths`` is ``(mA, mJ, ..., m1)`` (pywt order). Returns ``(B, shapes)``: ``h @ B`` holds the level
    operators for levels 1..J (columns ``[a; d]``: lowpass first, the highpass folded in as in
    :func:`_operator_map`); ``shapes`` lists each level's ``(target, m)``.
    """
    details = list(lengths[1:][::-1])  # m1, m2, ..., mJ
    targets = [out_len] + details[:-1]  # the output of level j has the length of level j-1
    blocks, shapes = [], []
    for m, target in zip(details, targets):
        pos, tap = _synthesis_entries(m, filter_len, mode, target)
        row, col = np.divmod(pos, m)
        block = np.zeros((filter_len, target, 2 * m))
        np.add.at(block, (tap, row, col), 1.0)  # lowpass: h[t]
        np.add.at(block, (filter_len - 1 - tap, row, m + col), (-1.0) ** tap)  # highpass: (-1)^t h[N-1-t]
        blocks.append(block.reshape(filter_len, target * 2 * m))
        shapes.append((target, m))
    return np.concatenate(blocks, axis=1), tuple(shapes)


_DEVICE_CACHE = {}


def _on(array, device, dtype=None):
    """Cached ``torch.as_tensor(array, device=device, dtype=dtype)`` for the small tables above."""
    key = (id(array), str(device), dtype)
    hit = _DEVICE_CACHE.get(key)
    if hit is None or hit[0] is not array:
        if len(_DEVICE_CACHE) > 4096:
            _DEVICE_CACHE.clear()
        hit = (array, torch.as_tensor(array, device=device, dtype=dtype))
        _DEVICE_CACHE[key] = hit
    return hit[1]
