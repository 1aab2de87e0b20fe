"""One analysis or synthesis level along the last axis, on canonical shapes: signals (Gx, R, n), filters (G, N).

Each level runs either as a product with its (sparse, here materialised) operator matrix or as a strided
convolution (:mod:`models.wavelets.paths` chooses); both give PyWavelets' numbers in all three modes. The
multi-level 1D and 2D transforms are loops over these two functions.
"""

import torch
import torch.nn.functional as F

from awd_studio.models.wavelets.tables import _analysis_entries, _extension_index, _fold_index, _on, _synthesis_entries


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
        lo, hi = out.chunk(2, dim=-1)  # split, not slices: its backward is one concatenation, not zero fills
        return lo, hi
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
