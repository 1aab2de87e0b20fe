"""The banded first level of bench/banded_prototype.py gives the dense separable terms' values and gradients.

The prototype is not part of the trainer (bench/RESULTS.md, 2026-12-06: not fast enough to be worth it); these
checks keep ``bench/profile_2d_banded.py`` timing two computations of the same numbers.
"""

import numpy as np
import pytest
import torch

from awd_studio.models.separable_terms import separable_data_terms, separable_level_operators
from bench.banded_prototype import banded_block, banded_data_terms, separable_band_operators

# (shape, levels, filter length): W / 2 divisible by 8, 4 and 2 (blocks 8, 4, 2, 1), a window wider than the map
# (8 x 8 with 10 taps), one level and several
CASES = [((64, 64), 4, 10), ((32, 16), 2, 6), ((16, 24), 1, 4), ((8, 8), 3, 10), ((12, 20), 2, 4), ((6, 6), 1, 2)]


def _problem(shape, filter_len, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(3, filter_len, dtype=torch.float64, generator=gen)
    X = torch.randn(4, *shape, dtype=torch.float64, generator=gen)
    GX = torch.randn(4, *shape, dtype=torch.float64, generator=gen)
    weights = torch.rand(3, 3, dtype=torch.float64, generator=gen)
    return h.to(dtype), X.to(dtype), GX.to(dtype), weights.to(dtype)


def _loss(path, h, X, GX, levels, times_coeffs, reconstruction, weights):
    ops = separable_level_operators(h, X.shape[1:], levels, "periodization")
    if path == "dense":
        values = separable_data_terms(X, GX, ops, levels + 1, times_coeffs, reconstruction)
    else:
        band = separable_band_operators(h, X.shape[1:])
        values = banded_data_terms(X, GX, band, ops, levels + 1, times_coeffs, reconstruction)
    return values, sum((w * v).sum() for w, v in zip(weights, values))


def _values_and_gradient(path, h, *args):
    hh = h.clone().requires_grad_(True)
    values, total = _loss(path, hh, *args)
    (grad,) = torch.autograd.grad(total, hh)
    return torch.cat([torch.stack([v.detach() for v in values]).flatten(), grad.flatten()])


def test_block_divides_half_the_width():
    assert [banded_block(n) for n in (64, 24, 20, 6, 2)] == [8, 4, 2, 1, 1]


@pytest.mark.parametrize("dtype,tolerance", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
@pytest.mark.parametrize("shape,levels,filter_len", CASES)
def test_values_and_gradients_equal_the_dense_path(shape, levels, filter_len, dtype, tolerance):
    h, X, GX, weights = _problem(shape, filter_len, dtype, seed=levels)
    for times_coeffs in (True, False):
        for reconstruction in (True, False):
            for gx in (GX, None):
                args = (X, gx, levels, times_coeffs, reconstruction, weights)
                dense, banded = (_values_and_gradient(p, h, *args) for p in ("dense", "band"))
                assert float((dense - banded).abs().max()) <= tolerance * float(dense.abs().max())


def test_gradient_matches_finite_differences():
    h, X, GX, weights = _problem((16, 16), 6, torch.float64, seed=5)

    def loss(filters):
        return float(_loss("band", filters, X, GX, 2, True, True, weights)[1])

    hh = h.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(_loss("band", hh, X, GX, 2, True, True, weights)[1], hh)
    step, numeric = 1e-6, torch.zeros_like(h)
    for index in np.ndindex(*h.shape):
        up, down = h.clone(), h.clone()
        up[index] += step
        down[index] -= step
        numeric[index] = (loss(up) - loss(down)) / (2 * step)
    assert torch.allclose(grad, numeric, rtol=1e-6, atol=1e-6 * float(numeric.abs().max()))
