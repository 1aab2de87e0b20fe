"""TRIM attributions: finite differences, completeness, and the two gradient paths agree where they must (their
comparison with finite differences of the loss is in test_gradient_paths.py)."""

import numpy as np
import pytest
import pywt
import torch

from awd_studio.models.attributions import teacher_input_gradients, teacher_target, trim_attributions
from awd_studio.models.distill import TransformOperator
from awd_studio.models.filters import LatticeFilter, complete_angles, lowpass_from_angles

torch.set_num_threads(1)
DT = torch.float64


def smooth_teacher(length, n_out=1, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(length, 8), torch.nn.Tanh(), torch.nn.Linear(8, n_out)).to(DT)


def relu_teacher(length, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(length, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)).to(DT)


def setup(wave="db2", length=16, level=2, batch=3, noise=0.0, mode="periodization", seed=0):
    rng = np.random.default_rng(seed)
    h = np.asarray(pywt.Wavelet(wave).rec_lo) + noise * rng.standard_normal(len(pywt.Wavelet(wave).rec_lo))
    h = torch.tensor(h[None], dtype=DT, requires_grad=True)
    x = torch.tensor(rng.standard_normal((batch, length)), dtype=DT)
    op = TransformOperator(h, (length,), level, mode)
    return h, x, op


def test_saliency_matches_finite_differences():
    h, x, op = setup()
    teacher = smooth_teacher(16)
    c = op.analysis(x)[0]  # the dense path: one tensor with every band
    attr = trim_attributions(teacher, x, c, op.synthesis, "saliency", create_graph=False)
    c0 = c.detach()
    eps = 1e-6
    for m in [0, 3, 7, 15]:
        bump = torch.zeros_like(c0)
        bump[..., m] = eps
        plus = teacher(op.synthesis(c0 + bump)[0]).sum()
        minus = teacher(op.synthesis(c0 - bump)[0]).sum()
        fd = (plus - minus) / (2 * eps)
        # each example's output depends only on its own coefficients, so the sum over the batch isolates them
        assert float(attr[0, :, m].sum()) == pytest.approx(float(fd), rel=1e-6, abs=1e-9)


def test_input_x_gradient_is_coefficients_times_saliency():
    h, x, op = setup()
    teacher = smooth_teacher(16)
    c = op.analysis(x)[0]  # the dense path: one tensor with every band
    sal = trim_attributions(teacher, x, c, op.synthesis, "saliency", create_graph=False)
    ixg = trim_attributions(teacher, x, c, op.synthesis, "input_x_gradient", create_graph=False)
    assert torch.allclose(ixg, c * sal)


def test_integrated_gradients_are_complete_for_a_quadratic_teacher():
    h, x, op = setup()
    a = torch.linspace(-1, 1, 16, dtype=DT)
    b = torch.linspace(0.5, -0.3, 16, dtype=DT)

    def teacher(z):
        return ((z @ a) ** 2 + z @ b).unsqueeze(1)

    c = op.analysis(x)[0]  # the dense path: one tensor with every band
    ig = trim_attributions(teacher, x, c, op.synthesis, "integrated_gradients", steps=4, create_graph=False)
    # the baseline c = 0 maps to the residual x - x_hat = 0 for an orthogonal filter
    expected = teacher(x)[:, 0] - teacher(torch.zeros_like(x))[:, 0]
    assert torch.allclose(ig[0].sum(-1), expected, atol=1e-10)


def test_chosen_output_of_a_multi_output_teacher():
    h, x, op = setup()
    teacher = smooth_teacher(16, n_out=3)
    c = op.analysis(x)[0]  # the dense path: one tensor with every band
    a1 = trim_attributions(teacher, x, c, op.synthesis, "saliency", target=1, create_graph=False)
    a2 = trim_attributions(teacher, x, c, op.synthesis, "saliency", target=2, create_graph=False)
    assert not torch.allclose(a1, a2)
    with pytest.raises(ValueError, match="target"):
        teacher_target(teacher, x, target=3)
    with pytest.raises(ValueError, match="attribution"):
        trim_attributions(teacher, x, c, op.synthesis, "lime")


def _penalty_gradient(path, h, x, op, teacher, method, wrt=None):
    op = TransformOperator(h, op.signal_shape, op.level, op.mode)  # a fresh graph for each path
    c = op.analysis(x)[0]  # the dense path: one tensor with every band
    if path == "straight_through":
        attr = trim_attributions(teacher, x, c, op.synthesis, method, create_graph=True)
    else:
        attr = op.adjoint(teacher_input_gradients(teacher, x, method))[0]
        if method != "saliency":
            attr = attr * c
    penalty = attr.abs().sum()
    return attr.detach(), torch.autograd.grad(penalty, h if wrt is None else wrt)[0]


@pytest.mark.parametrize("method", ["saliency", "input_x_gradient", "integrated_gradients"])
@pytest.mark.parametrize("mode", ["periodization", "zero"])
def test_paths_agree_for_an_orthogonal_filter_and_a_smooth_teacher(method, mode):
    # derivatives along the orthogonal manifold (lattice angles), where the reconstruction stays exact
    lattice = LatticeFilter(np.asarray(pywt.Wavelet("db3").rec_lo)[None]).to(DT)
    angles = next(lattice.parameters())
    x = torch.tensor(np.random.default_rng(0).standard_normal((3, 32)), dtype=DT)
    teacher = smooth_teacher(32)
    results = []
    for path in ("straight_through", "eq8"):
        h = lattice()
        op = TransformOperator(h, (32,), 2, mode)
        results.append(_penalty_gradient(path, h, x, op, teacher, method, wrt=angles))
    (a_st, g_st), (a_eq8, g_eq8) = results
    assert torch.allclose(a_st, a_eq8, atol=1e-10)
    assert torch.allclose(g_st, g_eq8, atol=1e-9)


def test_paths_agree_for_a_free_filter_and_a_piecewise_linear_teacher():
    h, x, op = setup(wave="db3", length=32, level=2, noise=0.05)
    teacher = relu_teacher(32)
    a_st, g_st = _penalty_gradient("straight_through", h, x, op, teacher, "saliency")
    a_eq8, g_eq8 = _penalty_gradient("eq8", h, x, op, teacher, "saliency")
    assert torch.allclose(a_st, a_eq8, atol=1e-10)
    assert torch.allclose(g_st, g_eq8, atol=1e-9)


def test_straight_through_path_adds_a_hessian_term_for_a_free_filter_and_a_smooth_teacher():
    h, x, op = setup(wave="db3", length=32, level=2, noise=0.05)
    teacher = smooth_teacher(32)
    a_st, g_st = _penalty_gradient("straight_through", h, x, op, teacher, "saliency")
    a_eq8, g_eq8 = _penalty_gradient("eq8", h, x, op, teacher, "saliency")
    assert torch.allclose(a_st, a_eq8, atol=1e-10)  # same values: the teacher sees exactly x
    assert not torch.allclose(g_st, g_eq8, atol=1e-6)  # different filter gradients


def test_attribution_penalty_is_differentiable_in_the_lattice_angles():
    # Along the orthogonal manifold the teacher always sees exactly x, so autograd's derivative of the
    # attributions (through the teacher's Hessian) is the derivative of the function gradcheck perturbs.
    _, x, _ = setup(batch=2, length=8, level=1)
    teacher = smooth_teacher(8)
    free = torch.tensor([[0.3]], dtype=DT, requires_grad=True)

    def penalty(angles):
        h = lowpass_from_angles(complete_angles(angles))
        op = TransformOperator(h, (8,), 1, "periodization")
        c = op.analysis(x)[0]  # the dense path: one tensor with every band
        return trim_attributions(teacher, x, c, op.synthesis, "saliency").pow(2).sum()

    assert torch.autograd.gradcheck(penalty, (free,))


def test_attribution_penalty_is_differentiable_in_a_free_filter_with_a_relu_teacher():
    _, x, _ = setup(batch=2, length=8, level=1)
    teacher = relu_teacher(8)
    h0 = torch.tensor(np.asarray(pywt.Wavelet("db2").rec_lo)[None] + 0.01, dtype=DT, requires_grad=True)

    def penalty(h):
        op = TransformOperator(h, (8,), 1, "periodization")
        c = op.analysis(x)[0]  # the dense path: one tensor with every band
        return trim_attributions(teacher, x, c, op.synthesis, "saliency").pow(2).sum()

    assert torch.autograd.gradcheck(penalty, (h0,))
