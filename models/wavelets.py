"""Differentiable discrete wavelet transforms in 1D and 2D, in PyWavelets' layout and modes.

Everything here is a pure function of tensors: the signal ``x`` and the lowpass filter ``h`` may both require
gradients (also second order: the AWD trainer differentiates a gradient taken with respect to the
coefficients with respect to ``h``), and everything runs on whatever device the tensors live on.

Conventions
-----------
Filters
    ``h`` is the lowpass *reconstruction* filter of PyWavelets (``pywt.Wavelet(w).rec_lo``), of even length
    ``N``. The highpass is ``g[n] = (-1)**n * h[N - 1 - n]``, which equals ``rec_hi`` for PyWavelets'
    orthogonal families (db, sym, coif, haar). The analysis filters are the time-reversed ``h`` and ``g``
    (``dec_lo``, ``dec_hi``), so one analysis level is a *correlation* with ``h`` and ``g`` followed by
    keeping every other sample; synthesis uses ``h`` and ``g`` themselves.
Batching
    ``h`` is ``(N,)`` or ``(G, N)``: G filters (the lambda x gamma grid) transformed in one call, never with a
    Python loop over G. With ``h`` of shape ``(N,)`` a signal batch ``x`` of shape ``(B, L)`` gives
    coefficients ``(B, n_j)``; with ``h`` of shape ``(G, N)`` it gives ``(G, B, n_j)``, and ``x`` may then also
    be ``(G, B, L)`` (a different batch per filter). The same rule holds in 2D with ``(B, H, W)`` maps.
Coefficient layout (PyWavelets)
    1D ``[cA_J, cD_J, ..., cD_1]``; 2D ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]`` where ``cH``
    is highpass along H (rows index, axis -2) and lowpass along W, ``cV`` lowpass along H and highpass along
    W, ``cD`` highpass along both.
Modes (PyWavelets' names and numbers, checked to 1e-10 against ``pywt.wavedec``/``wavedec2`` in float64)
    ``"periodization"`` (default): ``ceil(n / 2)`` coefficients per level; an odd-length level is first
    extended by repeating its last sample, exactly like PyWavelets; orthonormal (``W^T W = I``) whenever all
    levels have even length, and exactly invertible at every level, including levels shorter than the
    filter (the filter then wraps around the signal more than once).
    ``"zero"`` and ``"symmetric"``: ``floor((n + N - 1) / 2)`` coefficients per level, zero padding or
    half-sample symmetric extension (reflected as often as needed); exactly invertible (redundant).
Depth
    :func:`max_level` is the number of levels over which the approximation keeps getting shorter. It is more
    permissive than ``pywt.dwt_max_level`` (which stops once the filter is longer than the level): the paper
    uses J = 4 levels of db5 (N = 10) on length-64 signals, two more than ``pywt.dwt_max_level(64, 10)``.

Three evaluation paths give the same numbers: ``"dense"`` builds the whole multi-level operator ``W(h)``
(:func:`analysis_matrix`) and applies it with one matmul (short signals, the trainer's case: about 4x faster
than convolutions at L = 64 on a CPU);
``"matrix"`` applies one single-level operator per level (used for 2D, separably along each axis, never an
``(H W) x (H W)`` matrix); ``"conv"`` uses strided convolutions (large inputs). ``path="auto"`` chooses by
size: dense up to L = 64, then per-level operators for levels up to 256 samples and convolutions above.
"""

from functools import lru_cache
import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "MODES",
    "coeff_lengths",
    "max_level",
    "check_level",
    "dwt1d",
    "idwt1d",
    "wavedec1d",
    "waverec1d",
    "dwt2d",
    "idwt2d",
    "wavedec2d",
    "waverec2d",
    "analysis_matrix",
    "synthesis_matrix",
    "analysis_matrix_factors",
    "analysis_matrix_pullback",
    "synthesis_matrix_factors",
    "synthesis_matrix_pullback",
    "split_coeffs",
    "concat_coeffs",
]

MODES = ("periodization", "zero", "symmetric")
PATHS = ("auto", "dense", "matrix", "conv")

# Where "auto" switches paths. Measured on one CPU core (forward + backward of wavedec1d + waverec1d, db5, J = 4,
# B = 100, G = 25, float32): L = 64 dense 15 ms, per-level matrix 15 ms, conv 67 ms; L = 256 dense 286 ms,
# matrix 122 ms, conv 163 ms; L = 512 matrix 284 ms, conv 234 ms. 2D (B = 16, G = 10, 128 x 128): matrix 0.67 s,
# conv 1.2 s; 512 x 512 (B = G = 2): matrix 0.63 s, conv 0.47 s.
_DENSE_MAX_LENGTH = 64  # 1D: signal length up to which the multi-level W(h) is used
_DENSE_MAX_ELEMENTS = 2**24  # 1D: G * M * L budget of W(h)
_MATRIX_MAX_LENGTH = 256  # per-level operators up to this axis length, strided convolutions above


# ----------------------------------------------------------------------------------------------------------
# sizes


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode: unknown mode {mode!r}; pass one of {', '.join(MODES)}")


def _check_path(path):
    if path not in PATHS:
        raise ValueError(f"path: unknown path {path!r}; pass one of {', '.join(PATHS)}")


def _out_len(n, filter_len, mode):
    """Number of coefficients of one level on ``n`` samples (PyWavelets' ``dwt_coeff_len``)."""
    if mode == "periodization":
        return (n + 1) // 2
    return (n + filter_len - 1) // 2


def _full_rec_len(m, filter_len, mode):
    """Number of samples ``idwt`` returns from ``m`` coefficients before any trimming (PyWavelets)."""
    if mode == "periodization":
        return 2 * m
    return 2 * m - filter_len + 2


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def max_level(length, filter_len, mode="periodization"):
    """Deepest level for which every level still shortens the approximation.

    Parameters
    ----------
    length : int
        Signal length L (samples).
    filter_len : int
        Filter length N (even).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    int
        ``J_max >= 0``. In periodization this is ``ceil(log2(L))`` (the coarsest approximation has one
        sample); in zero and symmetric modes levels stop once ``floor((n + N - 1) / 2) >= n``. This is more
        permissive than ``pywt.dwt_max_level`` (see the module docstring).

    Examples
    --------
    >>> max_level(64, 10)
    6
    >>> max_level(64, 10, "zero")
    6
    """
    length = _check_int(length, "length", 1)
    filter_len = _check_int(filter_len, "filter_len", 2)
    _check_mode(mode)
    level, n = 0, length
    while True:
        m = _out_len(n, filter_len, mode)
        if m >= n:
            return level
        level, n = level + 1, m


def check_level(length, filter_len, level, mode="periodization"):
    """Raise ``ValueError`` unless ``1 <= level <= max_level(length, filter_len, mode)``.

    Parameters
    ----------
    length : int
        Signal length (samples); in 2D pass each axis in turn.
    filter_len : int
        Filter length N.
    level : int
        Requested number of levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    """
    level = _check_int(level, "level", 1)
    deepest = max_level(length, filter_len, mode)
    if level > deepest:
        raise ValueError(
            f"level: {level} levels are too many for a signal of length {length} with a filter of length "
            f"{filter_len} in mode {mode!r}; the max level is {deepest} (pass level <= {deepest} or a longer "
            "signal)"
        )
    return level


def coeff_lengths(length, filter_len, level, mode="periodization"):
    """Lengths of the coefficient arrays of :func:`wavedec1d`, in PyWavelets' order.

    Parameters
    ----------
    length : int
        Signal length L.
    filter_len : int
        Filter length N.
    level : int
        Number of levels J (checked with :func:`check_level`).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    list of int
        ``[len(cA_J), len(cD_J), ..., len(cD_1)]``, J + 1 numbers; their sum is M, the number of rows of
        :func:`analysis_matrix`.

    Examples
    --------
    >>> coeff_lengths(64, 10, 4)
    [4, 4, 8, 16, 32]
    """
    _check_mode(mode)
    level = check_level(length, filter_len, level, mode)
    sizes, n = [], length
    for _ in range(level):
        n = _out_len(n, filter_len, mode)
        sizes.append(n)
    return [sizes[-1]] + sizes[::-1]


# ----------------------------------------------------------------------------------------------------------
# index tables (numpy, cached; they only depend on sizes and the mode)


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


# ----------------------------------------------------------------------------------------------------------
# input checks


def _as_tensor(value, name, like=None):
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        try:
            tensor = torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: expected a tensor or array of numbers, got {type(value).__name__}") from exc
    if not (tensor.is_floating_point() or tensor.is_complex()):
        tensor = tensor.to(torch.get_default_dtype() if like is None else like.dtype)
    if tensor.is_complex():
        raise ValueError(f"{name}: complex values are not supported; pass a real tensor")
    if like is not None and (tensor.dtype != like.dtype or tensor.device != like.device):
        tensor = tensor.to(dtype=like.dtype, device=like.device)
    return tensor


def _check_finite(tensor, name):
    # one reduction in the common case: NaN and infinities propagate into the sum (which may also overflow
    # for huge finite values, so a non-finite sum is confirmed element by element)
    if math.isfinite(float(tensor.detach().sum())):
        return
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name}: contains NaN or infinite values; clean or impute the data first")


def _as_filter(h, like=None):
    """Return ``(h (G, N), g (G, N), batched)`` from a lowpass ``h`` of shape (N,) or (G, N)."""
    h = _as_tensor(h, "h", like)
    if h.ndim not in (1, 2):
        raise ValueError(f"h: expected a lowpass filter of shape (N,) or (G, N), got shape {tuple(h.shape)}")
    n = h.shape[-1]
    if n < 2 or n % 2:
        raise ValueError(f"h: expected an even filter length N >= 2 (orthogonal wavelets), got N = {n}")
    if h.ndim == 2 and h.shape[0] < 1:
        raise ValueError("h: got zero filters (G = 0); pass at least one")
    _check_finite(h, "h")
    batched = h.ndim == 2
    h2 = h if batched else h.unsqueeze(0)
    return h2, _highpass(h2), batched


@lru_cache(maxsize=64)
def _alternating_signs(n, dtype, device):
    """``(-1)^m`` for m = 0..n-1 (cached: the highpass filter is rebuilt on every training step)."""
    sign = torch.ones(n, dtype=dtype, device=device)
    sign[1::2] = -1
    return sign


def _highpass(h):
    return torch.flip(h, dims=(-1,)) * _alternating_signs(h.shape[-1], h.dtype, h.device)


def _as_signal(x, n_filters, batched, data_ndim, name="x"):
    """Reshape ``x`` to ``(Gx, B, *data)`` with Gx = 1 (shared by all filters) or G."""
    x = _as_tensor(x, name)
    shape_txt = "(B, L)" if data_ndim == 1 else "(B, H, W)"
    shape_g = "(G, B, L)" if data_ndim == 1 else "(G, B, H, W)"
    if x.ndim == data_ndim + 1:
        x = x.unsqueeze(0)
    elif x.ndim == data_ndim + 2:
        if not batched or x.shape[0] != n_filters:
            raise ValueError(
                f"{name}: shape {tuple(x.shape)} has a filter axis but h has "
                f"{'shape (N,)' if not batched else f'G = {n_filters} filters'}; pass x of shape {shape_txt}"
                f" or {shape_g} with h of shape (G, N)"
            )
    else:
        raise ValueError(
            f"{name}: expected a batch of shape {shape_txt}"
            f"{f' or {shape_g}' if batched else ''}, got {x.ndim} dimensions {tuple(x.shape)}; "
            f"add a batch axis with x[None] for a single {'signal' if data_ndim == 1 else 'map'}"
        )
    if any(s == 0 for s in x.shape[1:]):
        raise ValueError(f"{name}: got an empty array of shape {tuple(x.shape)}")
    _check_finite(x, name)
    return x


# ----------------------------------------------------------------------------------------------------------
# single-level operators on canonical shapes: signals (Gx, R, n), filters (G, N)


def _level_analysis_matrix(h, g, n, mode):
    """(G, 2m, n) operator: rows 0..m-1 lowpass, m..2m-1 highpass coefficients of one level."""
    pos, taps, m = _analysis_entries(n, h.shape[-1], mode)
    pos, taps = _on(pos, h.device), _on(taps, h.device)
    hg = torch.cat((h, g), dim=0)  # (2G, N)
    flat = hg.new_zeros(hg.shape[0], m * n).index_add(1, pos, hg[:, taps])
    G = h.shape[0]
    return flat.reshape(2, G, m, n).permute(1, 0, 2, 3).reshape(G, 2 * m, n)


def _level_synthesis_matrix(h, g, m, mode, out_len):
    """(G, out_len, 2m) operator mapping ``[a; d]`` of one level back to ``out_len`` samples."""
    pos, taps = _synthesis_entries(m, h.shape[-1], mode, out_len)
    pos, taps = _on(pos, h.device), _on(taps, h.device)
    hg = torch.cat((h, g), dim=0)
    flat = hg.new_zeros(hg.shape[0], out_len * m).index_add(1, pos, hg[:, taps])
    G = h.shape[0]
    return flat.reshape(2, G, out_len, m).permute(1, 2, 0, 3).reshape(G, out_len, 2 * m)


def _analysis_level(x, h, g, mode, use_matrix):
    """One analysis level along the last axis: x (Gx, R, n) -> (lo, hi), each (G, R, m)."""
    n, N, G = x.shape[-1], h.shape[-1], h.shape[0]
    if use_matrix:
        op = _level_analysis_matrix(h, g, n, mode)  # (G, 2m, n)
        out = torch.matmul(x, op.transpose(-1, -2))  # (G, R, 2m)
        m = op.shape[1] // 2
        return out[..., :m], out[..., m:]
    idx = _on(_extension_index(n, N, mode), x.device)
    if mode == "zero":
        x = F.pad(x, (0, 1))
    ext = x.index_select(-1, idx)  # (Gx, R, n_ext)
    weight = torch.stack((h, g), dim=1).reshape(2 * G, 1, N)
    R = ext.shape[1]
    if ext.shape[0] == 1:
        out = F.conv1d(ext.reshape(R, 1, -1), weight, stride=2)  # (R, 2G, m)
    else:
        out = F.conv1d(ext.permute(1, 0, 2), weight, stride=2, groups=G)
    out = out.reshape(R, G, 2, -1).permute(2, 1, 0, 3)  # (2, G, R, m)
    return out[0], out[1]


def _synthesis_level(a, d, h, g, mode, out_len, use_matrix):
    """One synthesis level along the last axis: a, d (G, R, m) -> (G, R, out_len)."""
    m, N, G = a.shape[-1], h.shape[-1], h.shape[0]
    if use_matrix:
        op = _level_synthesis_matrix(h, g, m, mode, out_len)  # (G, out, 2m)
        return torch.matmul(torch.cat((a, d), dim=-1), op.transpose(-1, -2))
    R = a.shape[1]
    coeffs = torch.stack((a, d), dim=2).permute(1, 0, 2, 3).reshape(R, 2 * G, m)  # channels a0 d0 a1 d1 ...
    weight = torch.stack((h, g), dim=1).reshape(2 * G, 1, N)
    full = F.conv_transpose1d(coeffs, weight, stride=2, groups=G)  # (R, G, 2(m-1)+N)
    if mode == "periodization":
        n2 = 2 * m
        fold = _on(_fold_index(full.shape[-1], N, n2), full.device)
        full = full.new_zeros(R, G, n2).index_add(2, fold, full)
        out = full[..., :out_len]
    else:
        out = full[..., N - 2 : N - 2 + out_len]
    return out.permute(1, 0, 2)


@lru_cache(maxsize=512)
def _fold_index(n_full, filter_len, n2):
    return np.mod(np.arange(n_full) + _shift(filter_len, "periodization"), n2).astype(np.int64)


def _use_matrix(path, n):
    return path == "matrix" or path == "dense" or (path == "auto" and n <= _MATRIX_MAX_LENGTH)


# ----------------------------------------------------------------------------------------------------------
# dense multi-level operators (1D)


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


def _analysis_operator(h, length, level, mode):
    """(G, M, L) multi-level analysis operator: one product builds every level's operator, then a chain of
    ``level - 1`` matrix products (few operations, so cheap to differentiate twice)."""
    return _analysis_chain(h, length, level, mode)[0]


def _analysis_chain(h, length, level, mode):
    """``(W, chain)``: the operator of :func:`_analysis_operator` and the factors its pullback needs.

    ``chain`` lists, per level j = 1..J, ``(O_j, P_{j-1})``: the level's (G, 2m, n) operator and the
    (G, n, L) lowpass product of the levels before it (``None`` for the first level).
    """
    linear_map, shapes = _operator_map(length, h.shape[-1], level, mode)
    G = h.shape[0]
    blocks = torch.split(h @ _on(linear_map, h.device, h.dtype), [2 * m * n for m, n in shapes], dim=1)
    P, details, chain = None, [], []
    for (m, n), block in zip(shapes, blocks):
        op = block.reshape(G, 2 * m, n)
        chain.append((op, P))
        lo, hi = torch.split(op if P is None else torch.matmul(op, P), m, dim=1)
        details.append(hi)
        P = lo
    return torch.cat([P] + details[::-1], dim=1), chain


def analysis_matrix_pullback(chain, grad_W, length, filter_len, mode):
    """Gradient with respect to ``h`` of ``<grad_W, W(h)>``, from the chain of :func:`analysis_matrix_factors`.

    The reverse of the construction written out (two matrix products per level, then one product with the
    map from ``h`` to the level operators), so that a training step needs no autograd graph for ``W(h)``.

    Parameters
    ----------
    chain : list of (Tensor, Tensor or None)
        Second output of :func:`analysis_matrix_factors`.
    grad_W : Tensor of shape (G, M, L)
        Gradient of a scalar with respect to ``W``.
    length : int
        Signal length L.
    filter_len : int
        Filter length N.
    mode : str

    Returns
    -------
    Tensor of shape (G, N)
    """
    linear_map, shapes = _operator_map(length, filter_len, len(chain), mode)
    grad_ops = _chain_pullback(chain, grad_W, [shapes[-1][0]] + [m for m, _ in shapes[::-1]])
    grad_flat = torch.cat([g.flatten(start_dim=1) for g in grad_ops], dim=1)
    return grad_flat @ _on(linear_map, grad_W.device, grad_W.dtype).T


def _chain_pullback(chain, grad, sizes):
    """Gradients of the level operators of a chain ``[P_j; D_j] = O_j P_{j-1}`` (``P_0 = I``).

    ``grad`` is the gradient of the stacked rows ``[P_J; D_J; ...; D_1]`` (row counts ``sizes``), ``chain``
    lists ``(O_j, P_{j-1})`` for j = 1..J; returns the gradients of ``O_1, ..., O_J``.
    """
    grad_P, *grad_details = torch.split(grad, sizes, dim=1)
    grad_ops = []
    for (op, P), grad_D in zip(chain[::-1], grad_details):
        grad_T = torch.cat((grad_P, grad_D), dim=1)  # the gradient of [P_j; D_j]
        if P is None:
            grad_ops.append(grad_T)
        else:
            grad_ops.append(torch.matmul(grad_T, P.transpose(-1, -2)))
            grad_P = torch.matmul(op.transpose(-1, -2), grad_T)
    return grad_ops[::-1]


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


def _synthesis_operator(h, lengths, mode, out_len):
    """(G, out_len, M) operator from coefficient lengths ``[mA, mJ, ..., m1]`` (pywt order)."""
    return _synthesis_chain(h, lengths, mode, out_len)[0]


def _synthesis_chain(h, lengths, mode, out_len):
    """``(S, chain)``: the operator of :func:`_synthesis_operator` and the factors its pullback needs.

    ``chain`` lists, per level j = 1..J, ``(O_j, Q_{j-1})``: the level's (G, target, 2m) operator and the
    (G, L, target) product of the levels before it (``None`` for the first level).
    """
    linear_map, shapes = _synthesis_map(tuple(lengths), h.shape[-1], mode, out_len)
    G = h.shape[0]
    blocks = torch.split(h @ _on(linear_map, h.device, h.dtype), [t * 2 * m for t, m in shapes], dim=1)
    Q, columns, chain = None, [], []
    for (target, m), block in zip(shapes, blocks):
        op = block.reshape(G, target, 2 * m)
        chain.append((op, Q))
        full = op if Q is None else torch.matmul(Q, op)
        columns.append(full[..., m:])
        Q = full[..., :m]
    return torch.cat([Q] + columns[::-1], dim=-1), chain


def synthesis_matrix_factors(h, length, level, mode="periodization"):
    """:func:`synthesis_matrix` for a batch of filters, with the factors its pullback needs.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass reconstruction filters (not checked: the trainer's hot path; see :func:`synthesis_matrix`).
    length, level : int
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    S : Tensor of shape (G, L, M)
    chain : list
        Pass it to :func:`synthesis_matrix_pullback` with a gradient of ``S``.
    """
    return _synthesis_chain(h, coeff_lengths(length, h.shape[-1], level, mode), mode, length)


def synthesis_matrix_pullback(chain, grad_S, length, filter_len, mode):
    """Gradient with respect to ``h`` of ``<grad_S, S(h)>``, from the chain of :func:`synthesis_matrix_factors`.

    As :func:`analysis_matrix_pullback`: the columns of ``S`` are ``[Q_J, D_J, ..., D_1]`` with
    ``[Q_j, D_j] = Q_{j-1} O_j``, the transpose of the analysis chain's structure.

    Parameters
    ----------
    chain : list of (Tensor, Tensor or None)
        Second output of :func:`synthesis_matrix_factors`.
    grad_S : Tensor of shape (G, L, M)
        Gradient of a scalar with respect to ``S``.
    length, filter_len : int
        Signal length L and filter length N.
    mode : str

    Returns
    -------
    Tensor of shape (G, N)
    """
    lengths = coeff_lengths(length, filter_len, len(chain), mode)
    linear_map, shapes = _synthesis_map(tuple(lengths), filter_len, mode, length)
    transposed = [(op.transpose(-1, -2), None if Q is None else Q.transpose(-1, -2)) for op, Q in chain]
    grad_ops = _chain_pullback(transposed, grad_S.transpose(-1, -2), [shapes[-1][1]] + [m for _, m in shapes[::-1]])
    grad_flat = torch.cat([g.transpose(-1, -2).flatten(start_dim=1) for g in grad_ops], dim=1)
    return grad_flat @ _on(linear_map, grad_S.device, grad_S.dtype).T


def analysis_matrix(h, length, level, mode="periodization"):
    """Dense multi-level analysis operator W(h), built differentiably from ``h``.

    Parameters
    ----------
    h : Tensor or array-like of shape (N,) or (G, N)
        Lowpass reconstruction filter(s) (``pywt`` ``rec_lo``). Arrays become float64 tensors.
    length : int
        Signal length L.
    level : int
        Number of levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    Tensor of shape (M, L) or (G, M, L)
        ``W @ x`` equals the concatenation of ``wavedec1d(x, h, level, mode)`` in PyWavelets' order
        ``[cA_J, cD_J, ..., cD_1]``; M = ``sum(coeff_lengths(length, N, level, mode))``. In periodization
        with all level lengths even, ``W`` is orthogonal for an orthonormal ``h`` (``W^T W = I``).

    Examples
    --------
    >>> import pywt, torch
    >>> W = analysis_matrix(torch.tensor(pywt.Wavelet("db2").rec_lo), 8, 2)
    >>> tuple(W.shape)
    (8, 8)
    """
    _check_mode(mode)
    h2, g2, batched = _as_filter(h)
    level = check_level(_check_int(length, "length", 1), h2.shape[-1], level, mode)
    W = _analysis_operator(h2, length, level, mode)
    return W if batched else W[0]


def analysis_matrix_factors(h, length, level, mode="periodization"):
    """:func:`analysis_matrix` for a batch of filters, with the factors its pullback needs.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass reconstruction filters (not checked: the trainer's hot path; see :func:`analysis_matrix`).
    length, level : int
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    W : Tensor of shape (G, M, L)
    chain : list
        Pass it to :func:`analysis_matrix_pullback` with a gradient of ``W``.
    """
    return _analysis_chain(h, length, level, mode)


def synthesis_matrix(h, length, level, mode="periodization"):
    """Dense multi-level synthesis operator S(h), the exact inverse used by :func:`waverec1d`.

    Parameters
    ----------
    h : Tensor or array-like of shape (N,) or (G, N)
        Lowpass reconstruction filter(s).
    length : int
        Signal length L (the output is trimmed to it, as ``waverec1d(..., length=L)``).
    level : int
        Number of levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"

    Returns
    -------
    Tensor of shape (L, M) or (G, L, M)
        ``S @ c`` equals ``waverec1d(split_coeffs(c, lengths), h, mode, length=L)``; ``S @ W = I`` for an
        orthonormal ``h`` in every mode, and ``S = W^T`` in periodization when all level lengths are even.
    """
    _check_mode(mode)
    h2, g2, batched = _as_filter(h)
    lengths = coeff_lengths(_check_int(length, "length", 1), h2.shape[-1], level, mode)
    S = _synthesis_operator(h2, lengths, mode, length)
    return S if batched else S[0]


# ----------------------------------------------------------------------------------------------------------
# coefficient lists


def split_coeffs(c, lengths):
    """Split concatenated coefficients ``(..., M)`` into PyWavelets' list ``[cA_J, cD_J, ..., cD_1]``.

    Parameters
    ----------
    c : Tensor of shape (..., M)
    lengths : sequence of int
        From :func:`coeff_lengths`; must sum to M.

    Returns
    -------
    list of Tensor
        Views of ``c`` of shapes ``(..., lengths[i])``.
    """
    lengths = [int(n) for n in lengths]
    if not isinstance(c, torch.Tensor) or c.ndim < 1 or c.shape[-1] != sum(lengths):
        got = tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__
        raise ValueError(f"c: expected a tensor whose last axis has {sum(lengths)} = sum(lengths) entries, got {got}")
    return list(torch.split(c, lengths, dim=-1))


def concat_coeffs(coeffs):
    """Concatenate a 1D coefficient list ``[cA_J, cD_J, ..., cD_1]`` into one tensor ``(..., M)``.

    The inverse of :func:`split_coeffs`; the order matches the rows of :func:`analysis_matrix`.
    """
    if not isinstance(coeffs, (list, tuple)) or not coeffs or not all(isinstance(c, torch.Tensor) for c in coeffs):
        raise ValueError("coeffs: expected a non-empty list of tensors [cA_J, cD_J, ..., cD_1]")
    return torch.cat(list(coeffs), dim=-1)


def _squeeze(t, batched):
    return t if batched else t[0]


def _check_coeff(c, name, like_shape, n_filters, batched):
    if not isinstance(c, torch.Tensor):
        c = _as_tensor(c, name)
    expected = len(like_shape) + (1 if batched else 0)
    if c.ndim != expected:
        raise ValueError(
            f"{name}: expected {expected} dimensions (batch{', filters' if batched else ''} and data), got shape "
            f"{tuple(c.shape)}"
        )
    if batched and c.shape[0] != n_filters:
        raise ValueError(f"{name}: its first axis has {c.shape[0]} entries but h has G = {n_filters} filters")
    _check_finite(c, name)
    return c if batched else c.unsqueeze(0)


# ----------------------------------------------------------------------------------------------------------
# 1D transforms


def dwt1d(x, h, mode="periodization", *, path="auto"):
    """One analysis level: ``(cA, cD)`` of each signal, as ``pywt.dwt``.

    Parameters
    ----------
    x : Tensor of shape (B, L), or (G, B, L) with batched h
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    cA, cD : Tensor of shape (B, m) or (G, B, m)
    """
    _check_mode(mode)
    _check_path(path)
    h2, g2, batched = _as_filter(h, like=x if isinstance(x, torch.Tensor) else None)
    x3 = _as_signal(x, h2.shape[0], batched, 1)
    check_level(x3.shape[-1], h2.shape[-1], 1, mode)
    lo, hi = _analysis_level(x3, h2.to(x3.dtype), g2.to(x3.dtype), mode, _use_matrix(path, x3.shape[-1]))
    return _squeeze(lo, batched), _squeeze(hi, batched)


def idwt1d(cA, cD, h, mode="periodization", *, length=None, path="auto"):
    """One synthesis level, as ``pywt.idwt`` (optionally trimmed to ``length``).

    Parameters
    ----------
    cA, cD : Tensor of shape (B, m) or (G, B, m)
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    length : int or None, default=None
        Output length; ``None`` gives PyWavelets' ``2m`` (periodization) or ``2m - N + 2`` samples.
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    Tensor of shape (B, length) or (G, B, length)
    """
    return waverec1d([cA, cD], h, mode, length=length, path=path)


def wavedec1d(x, h, level, mode="periodization", *, path="auto"):
    """Multi-level discrete wavelet transform of a batch of signals (``pywt.wavedec`` on each).

    Parameters
    ----------
    x : Tensor of shape (B, L), or (G, B, L) with batched h
        Signals; float64 for exact parity with PyWavelets, float32 for training.
    h : Tensor or array-like of shape (N,) or (G, N)
        Lowpass reconstruction filter(s) (``rec_lo``); may require grad.
    level : int
        Number of levels J, ``1 <= J <= max_level(L, N, mode)``.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "dense", "matrix", "conv"}, default="auto"
        How to evaluate (same numbers); "auto" uses the dense W(h) for short signals.

    Returns
    -------
    list of Tensor
        ``[cA_J, cD_J, ..., cD_1]``, each ``(B, n_j)`` for ``h`` of shape (N,) or ``(G, B, n_j)`` for
        ``h`` of shape (G, N); lengths from :func:`coeff_lengths`.

    Raises
    ------
    ValueError
        Bad shapes, non-finite values, unknown mode, or a level deeper than :func:`max_level`.

    Examples
    --------
    >>> import pywt, torch
    >>> x = torch.randn(3, 64, dtype=torch.float64)
    >>> cs = wavedec1d(x, pywt.Wavelet("db5").rec_lo, 4)
    >>> [tuple(c.shape) for c in cs]
    [(3, 4), (3, 4), (3, 8), (3, 16), (3, 32)]
    """
    _check_mode(mode)
    _check_path(path)
    h2, g2, batched = _as_filter(h, like=x if isinstance(x, torch.Tensor) else None)
    x3 = _as_signal(x, h2.shape[0], batched, 1)
    h2, g2 = h2.to(x3.dtype), g2.to(x3.dtype)
    L, N, G = x3.shape[-1], h2.shape[-1], h2.shape[0]
    lengths = coeff_lengths(L, N, level, mode)
    if path == "dense" or (path == "auto" and L <= _DENSE_MAX_LENGTH and G * sum(lengths) * L <= _DENSE_MAX_ELEMENTS):
        W = _analysis_operator(h2, L, level, mode)
        c = torch.matmul(x3, W.transpose(-1, -2))  # (G, B, M)
        return [_squeeze(part, batched) for part in split_coeffs(c, lengths)]
    details = []
    a = x3
    for _ in range(level):
        a, d = _analysis_level(a, h2, g2, mode, _use_matrix(path, a.shape[-1]))
        details.append(d)
    return [_squeeze(t, batched) for t in [a] + details[::-1]]


def _rec_lengths(lengths, filter_len, mode, length):
    """Output length of each synthesis level (coarse to fine) following PyWavelets' trimming rule."""
    if lengths[0] != lengths[1]:
        raise ValueError(
            f"coeffs: cA_J has {lengths[0]} coefficients but cD_J has {lengths[1]}; they must match "
            "(pass the list returned by wavedec1d)"
        )
    targets = []
    for j in range(1, len(lengths)):
        full = _full_rec_len(lengths[j], filter_len, mode)
        if j + 1 < len(lengths):
            target, what = lengths[j + 1], f"the next detail array ({lengths[j + 1]} coefficients)"
        elif length is not None:
            target, what = _check_int(length, "length", 1), f"length = {length}"
        else:
            target, what = full, None
        if what is not None and full - target not in (0, 1):
            raise ValueError(
                f"coeffs: a level with {lengths[j]} coefficients reconstructs {full} samples, which does not "
                f"fit {what} in mode {mode!r} with N = {filter_len}; pass the list returned by wavedec1d "
                "with the same filter length and mode"
            )
        targets.append(target)
    return targets


def waverec1d(coeffs, h, mode="periodization", *, length=None, path="auto"):
    """Inverse of :func:`wavedec1d` (``pywt.waverec`` on each signal).

    Parameters
    ----------
    coeffs : list of Tensor
        ``[cA_J, cD_J, ..., cD_1]``, each ``(B, n_j)``, or ``(G, B, n_j)`` with batched ``h``.
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    length : int or None, default=None
        Length of the original signal. ``None`` reproduces PyWavelets, which returns one extra sample
        when the original length was odd; pass it to get exactly ``L`` samples back.
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    Tensor of shape (B, L) or (G, B, L)
    """
    _check_mode(mode)
    _check_path(path)
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) < 2:
        raise ValueError("coeffs: expected a list [cA_J, cD_J, ..., cD_1] of at least two arrays")
    first = coeffs[0] if isinstance(coeffs[0], torch.Tensor) else None
    h2, g2, batched = _as_filter(h, like=first)
    G, N = h2.shape
    cs = [_check_coeff(c, f"coeffs[{i}]", (0, 0), G, batched) for i, c in enumerate(coeffs)]
    cs = [c.to(dtype=cs[0].dtype, device=cs[0].device) for c in cs]
    h2, g2 = h2.to(cs[0].dtype), g2.to(cs[0].dtype)
    batch = cs[0].shape[1]
    if any(c.shape[1] != batch for c in cs):
        raise ValueError(f"coeffs: the arrays disagree on the batch size: {[tuple(c.shape) for c in coeffs]}")
    lengths = [c.shape[-1] for c in cs]
    targets = _rec_lengths(lengths, N, mode, length)
    cs = [c.expand(G, -1, -1) if c.shape[0] != G else c for c in cs]
    out_len = targets[-1]
    if path == "dense" or (path == "auto" and out_len <= _DENSE_MAX_LENGTH
                           and G * sum(lengths) * out_len <= _DENSE_MAX_ELEMENTS):
        S = _synthesis_operator(h2, lengths, mode, out_len)
        return _squeeze(torch.matmul(torch.cat(cs, dim=-1), S.transpose(-1, -2)), batched)
    a = cs[0]
    for d, target in zip(cs[1:], targets):
        a = _synthesis_level(a, d, h2, g2, mode, target, _use_matrix(path, target))
    return _squeeze(a, batched)


# ----------------------------------------------------------------------------------------------------------
# 2D transforms (separable: along W, then along H)


def _analysis_2d(x, h, g, mode, path):
    """x (Gx, B, H, W) -> (cA, cH, cV, cD), each (G, B, mh, mw)."""
    Gx, B, H, W = x.shape
    G = h.shape[0]
    lo, hi = _analysis_level(x.reshape(Gx, B * H, W), h, g, mode, _use_matrix(path, W))
    mw = lo.shape[-1]
    y = torch.stack((lo, hi), dim=0).reshape(2, G, B, H, mw)  # band along W first
    y = y.permute(1, 0, 2, 4, 3).reshape(G, 2 * B * mw, H)  # H last
    lo, hi = _analysis_level(y, h, g, mode, _use_matrix(path, H))
    mh = lo.shape[-1]
    lo = lo.reshape(G, 2, B, mw, mh).transpose(-1, -2)  # (G, bandW, B, mh, mw)
    hi = hi.reshape(G, 2, B, mw, mh).transpose(-1, -2)
    return lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]  # cA, cH (hi along H), cV (hi along W), cD


def _synthesis_2d(cA, cH, cV, cD, h, g, mode, out_h, out_w, path):
    """Inverse of :func:`_analysis_2d`: (G, B, mh, mw) bands -> (G, B, out_h, out_w)."""
    G, B, mh, mw = cA.shape
    a = torch.stack((cA, cV), dim=1).transpose(-1, -2).reshape(G, 2 * B * mw, mh)  # lowpass along H
    d = torch.stack((cH, cD), dim=1).transpose(-1, -2).reshape(G, 2 * B * mw, mh)
    y = _synthesis_level(a, d, h, g, mode, out_h, _use_matrix(path, out_h))  # (G, 2 B mw, out_h)
    y = y.reshape(G, 2, B, mw, out_h).transpose(-1, -2)  # (G, bandW, B, out_h, mw)
    lo = y[:, 0].reshape(G, B * out_h, mw)
    hi = y[:, 1].reshape(G, B * out_h, mw)
    return _synthesis_level(lo, hi, h, g, mode, out_w, _use_matrix(path, out_w)).reshape(G, B, out_h, out_w)


def dwt2d(x, h, mode="periodization", *, path="auto"):
    """One 2D analysis level: ``(cA, (cH, cV, cD))`` as ``pywt.dwt2``.

    Parameters
    ----------
    x : Tensor of shape (B, H, W), or (G, B, H, W) with batched h
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "matrix", "conv"}, default="auto"

    Returns
    -------
    tuple
        ``(cA, (cH, cV, cD))``, each ``(B, mh, mw)`` or ``(G, B, mh, mw)``.
    """
    cs = wavedec2d(x, h, 1, mode, path=path)
    return cs[0], cs[1]


def idwt2d(coeffs, h, mode="periodization", *, shape=None, path="auto"):
    """Inverse of :func:`dwt2d` (``pywt.idwt2``); ``coeffs = (cA, (cH, cV, cD))``."""
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) != 2:
        raise ValueError("coeffs: expected (cA, (cH, cV, cD)) as returned by dwt2d")
    return waverec2d(list(coeffs), h, mode, shape=shape, path=path)


def wavedec2d(x, h, level, mode="periodization", *, path="auto"):
    """Multi-level separable 2D wavelet transform of a batch of maps (``pywt.wavedec2`` on each).

    Parameters
    ----------
    x : Tensor of shape (B, H, W), or (G, B, H, W) with batched h
    h : Tensor or array-like of shape (N,) or (G, N)
    level : int
        Number of levels J, at most :func:`max_level` of both H and W.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    path : {"auto", "dense", "matrix", "conv"}, default="auto"
        "dense"/"matrix" apply single-level operators along each axis by batched matmul, "conv" uses strided
        convolutions; "auto" takes the operators for axes up to 256 samples.

    Returns
    -------
    list
        ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]``, tensors of shape ``(B, h_j, w_j)`` or
        ``(G, B, h_j, w_j)``.
    """
    _check_mode(mode)
    _check_path(path)
    h2, g2, batched = _as_filter(h, like=x if isinstance(x, torch.Tensor) else None)
    x4 = _as_signal(x, h2.shape[0], batched, 2)
    h2, g2 = h2.to(x4.dtype), g2.to(x4.dtype)
    N = h2.shape[-1]
    for size, axis in zip(x4.shape[-2:], ("H", "W")):
        try:
            check_level(size, N, level, mode)
        except ValueError as exc:
            raise ValueError(f"{exc} [axis {axis}]") from None
    a, details = x4, []
    for _ in range(level):
        a, cH, cV, cD = _analysis_2d(a, h2, g2, mode, path)
        details.append((_squeeze(cH, batched), _squeeze(cV, batched), _squeeze(cD, batched)))
    return [_squeeze(a, batched)] + details[::-1]


def waverec2d(coeffs, h, mode="periodization", *, shape=None, path="auto"):
    """Inverse of :func:`wavedec2d` (``pywt.waverec2`` on each map).

    Parameters
    ----------
    coeffs : list
        ``[cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)]``, tensors ``(B, h_j, w_j)`` or
        ``(G, B, h_j, w_j)``.
    h : Tensor or array-like of shape (N,) or (G, N)
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    shape : tuple of int (H, W) or None, default=None
        Original map shape; ``None`` reproduces PyWavelets (one extra row/column for odd sizes).
    path : {"auto", "dense", "matrix", "conv"}, default="auto"

    Returns
    -------
    Tensor of shape (B, H, W) or (G, B, H, W)
    """
    _check_mode(mode)
    _check_path(path)
    if (not isinstance(coeffs, (list, tuple)) or len(coeffs) < 2
            or not all(isinstance(t, (list, tuple)) and len(t) == 3 for t in coeffs[1:])):
        raise ValueError("coeffs: expected [cA_J, (cH_J, cV_J, cD_J), ..., (cH_1, cV_1, cD_1)] as from wavedec2d")
    first = coeffs[0] if isinstance(coeffs[0], torch.Tensor) else None
    h2, g2, batched = _as_filter(h, like=first)
    G, N = h2.shape
    a = _check_coeff(coeffs[0], "coeffs[0]", (0, 0, 0), G, batched)
    h2, g2 = h2.to(a.dtype), g2.to(a.dtype)
    bands = [[_check_coeff(c, f"coeffs[{i + 1}][{k}]", (0, 0, 0), G, batched).to(a.dtype)
              for k, c in enumerate(t)] for i, t in enumerate(coeffs[1:])]
    if shape is not None:
        if not isinstance(shape, (list, tuple)) or len(shape) != 2:
            raise ValueError(f"shape: expected (H, W), got {shape!r}")
    heights = [a.shape[-2]] + [t[0].shape[-2] for t in bands]
    widths = [a.shape[-1]] + [t[0].shape[-1] for t in bands]
    for i, t in enumerate(bands):
        if any(tuple(c.shape) != tuple(t[0].shape) for c in t):
            raise ValueError(f"coeffs[{i + 1}]: cH, cV and cD must have the same shape, got "
                             f"{[tuple(c.shape) for c in t]}")
    targets_h = _rec_lengths(heights, N, mode, None if shape is None else shape[0])
    targets_w = _rec_lengths(widths, N, mode, None if shape is None else shape[1])
    a = a.expand(G, -1, -1, -1) if a.shape[0] != G else a
    for (cH, cV, cD), th, tw in zip(bands, targets_h, targets_w):
        cH, cV, cD = (c.expand(G, -1, -1, -1) if c.shape[0] != G else c for c in (cH, cV, cD))
        if a.shape[1] != cH.shape[1]:
            raise ValueError(f"coeffs: the arrays disagree on the batch size ({a.shape[1]} vs {cH.shape[1]})")
        a = _synthesis_2d(a, cH, cV, cD, h2, g2, mode, th, tw, path)
    return _squeeze(a, batched)

