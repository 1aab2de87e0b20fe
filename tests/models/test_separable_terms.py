"""The 2D data terms with a hand-written backward equal the transform recorded by autograd, value and gradient.

``models.separable_terms.separable_data_terms`` replaces, in the trainer's common 2D case, the multi-level
transform (``wavedec2d``, ``waverec2d``), the adjoint of the teacher's gradient, ``l1_per_filter`` and
``reconstruction_loss``, all recorded by autograd.
"""

import numpy as np
import pytest
import torch

from awd_studio.models.distill import TransformOperator, WaveletDistiller
from awd_studio.models.losses import l1_per_filter, reconstruction_loss
from awd_studio.models.separable_terms import separable_data_terms, separable_level_operators

CASES = [((32, 32), 3, "periodization", 10), ((16, 32), 2, "periodization", 6), ((8, 12), 1, "periodization", 4),
         ((24, 20), 2, "zero", 4), ((21, 17), 2, "zero", 6), ((16, 12), 2, "zero", 2)]


def _recorded_terms(h, X, GX, level, mode, times_coeffs):
    """The same three terms through the generic, autograd-recorded transform."""
    op = TransformOperator(h, X.shape[1:], level, mode)
    c = op.analysis(X)
    sparsity = l1_per_filter(c, level + 1)
    reconstruction = reconstruction_loss(X, op.synthesis(c))
    if GX is None:
        return sparsity, torch.zeros_like(sparsity), reconstruction
    attr = op.adjoint(GX)
    if times_coeffs:
        attr = [a * ci for a, ci in zip(attr, c)]
    return sparsity, l1_per_filter(attr, level + 1), reconstruction


def _separable(h, X, GX, level, mode, times_coeffs):
    ops = separable_level_operators(h, X.shape[1:], level, mode)
    return separable_data_terms(X, GX, ops, level + 1, times_coeffs, reconstruction=True)


def _problem(shape, filter_len, seed):
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(3, filter_len, dtype=torch.float64, generator=gen)
    X = torch.randn(5, *shape, dtype=torch.float64, generator=gen)
    GX = torch.randn(5, *shape, dtype=torch.float64, generator=gen)
    weights = torch.rand(3, 3, dtype=torch.float64, generator=gen)
    return h, X, GX, weights


@pytest.mark.parametrize("shape,level,mode,filter_len", CASES)
@pytest.mark.parametrize("times_coeffs", [True, False])
@pytest.mark.parametrize("with_gradients", [True, False])
def test_values_and_gradient_equal_the_recorded_transform(shape, level, mode, filter_len, times_coeffs,
                                                           with_gradients):
    h, X, GX, weights = _problem(shape, filter_len, seed=len(CASES) * shape[0] + level)
    GX = GX if with_gradients else None
    assert TransformOperator.is_self_adjoint(shape, level, mode)
    results = []
    for terms in (_recorded_terms, _separable):
        hh = h.clone().requires_grad_(True)
        values = terms(hh, X, GX, level, mode, times_coeffs)
        total = sum((w * v).sum() for w, v in zip(weights, values))
        (grad,) = torch.autograd.grad(total, hh)
        results.append((*(v.detach() for v in values), grad))
    for recorded, separable in zip(*results):
        assert torch.allclose(separable, recorded, rtol=1e-12, atol=1e-12)


def test_gradient_matches_finite_differences():
    h, X, GX, weights = _problem((16, 16), 6, seed=3)

    def loss(filters):
        return sum((w * v).sum() for w, v in zip(weights, _separable(filters, X, GX, 2, "periodization", True)))

    hh = h.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss(hh), hh)
    step = 1e-6
    numeric = torch.zeros_like(h)
    for index in np.ndindex(*h.shape):
        up, down = h.clone(), h.clone()
        up[index] += step
        down[index] -= step
        numeric[index] = (float(loss(up)) - float(loss(down))) / (2 * step)
    assert torch.allclose(grad, numeric, rtol=1e-6, atol=1e-6 * float(numeric.abs().max()))


def test_bad_arguments_are_refused():
    h = torch.randn(2, 4, dtype=torch.float64)
    ops = separable_level_operators(h, (8, 8), 2, "periodization")
    with pytest.raises(ValueError, match="maps"):
        separable_data_terms(torch.zeros(2, 8), None, ops, 3)
    with pytest.raises(ValueError, match="operators"):
        separable_data_terms(torch.zeros(2, 8, 8), None, ops[:3], 3)


@pytest.mark.parametrize("attribution,shape,levels,mode,parametrization", [
    ("input_x_gradient", (16, 24), 2, "periodization", "orthogonal"),
    ("saliency", (16, 24), 2, "periodization", "orthogonal"),
    ("input_x_gradient", (24, 32), 3, "periodization", "orthogonal"),
    ("input_x_gradient", (20, 18), 2, "zero", "orthogonal"),
    ("input_x_gradient", (16, 24), 2, "periodization", "free"),
    ("saliency", (20, 18), 2, "zero", "free")])
def test_the_trainer_learns_the_same_filters_either_way(attribution, shape, levels, mode, parametrization):
    """A whole fit (maps, precomputed teacher gradients, gamma = 0 and gamma > 0 points mixed) with and without
    the separable terms: same filters and losses up to float64 rounding."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, *shape))
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(shape)), 4), torch.nn.Tanh(),
                                  torch.nn.Linear(4, 1)).double()
    fits = []
    for separable in (True, False):
        model = WaveletDistiller(wave="db3", levels=levels, mode=mode, parametrization=parametrization,
                                 grid=[(1e-2, 1e-1), (1e-3, 0.0), (1e-2, 0.0), (1e-3, 1e-2), (5e-3, 0.0)],
                                 epochs=3, batch_size=16, seed=0, dtype="float64", attribution=attribution)
        model.separable_terms = separable
        assert model._separable_terms_apply(shape, torch.zeros(1), True) == separable
        fits.append(model.fit(X, teacher))
    assert np.abs(fits[0].filters_ - fits[1].filters_).max() < 1e-10
    for term in ("reconstruction", "sparsity", "interpretation", "train_loss"):
        assert np.allclose(fits[0].history_[term], fits[1].history_[term], rtol=1e-10, atol=1e-12)


def test_where_the_separable_terms_apply():
    model = WaveletDistiller(wave="db3", levels=2, parametrization="orthogonal")
    assert model._separable_terms_apply((256, 256), torch.zeros(1), True)
    assert not model._separable_terms_apply((512, 512), torch.zeros(1), True)  # convolutions there
    assert not model._separable_terms_apply((30, 32), torch.zeros(1), True)  # 4 does not divide 30
    assert not model._separable_terms_apply((32, 32), None, True)  # straight-through: the teacher in the step
    assert model._separable_terms_apply((32, 32), None, False)  # no interpretation term
    assert not WaveletDistiller(wave="db3", levels=2, mode="symmetric")._separable_terms_apply(
        (32, 32), torch.zeros(1), True)
