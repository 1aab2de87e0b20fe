"""The two gradient paths of the interpretation loss, checked against finite differences of the loss value.

TRIM evaluates the teacher at x itself for every filter, so the loss's value is gamma ||S(h)^T grad f(x)||_1 and
the "eq8" path (teacher gradient once per dataset) is its gradient for any teacher. The "straight_through" path
(double backpropagation through the teacher, what awave does) adds a teacher-Hessian term: it differs from the
loss's gradient for a free filter and a teacher that is not piecewise linear (tanh MLP, LSTM), and agrees with it
on the exact orthogonal lattice (where S(h) W(h) = I for every h) and for a ReLU teacher.
"""

import numpy as np
import pytest
import pywt
import torch

from awd_studio.models.distill import TERM_NAMES, WaveletDistiller
from awd_studio.models.filters import complete_angles, lattice_angles_from_filter, lowpass_from_angles
from awd_studio.models.teachers import build_teacher

torch.set_num_threads(1)
LENGTH, LEVEL = 32, 2


def tanh_mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(LENGTH, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                               torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()


def relu_mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(LENGTH, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)).double()


def lstm(seed=0):
    torch.manual_seed(seed)
    return build_teacher("lstm", (LENGTH,)).double()  # the product's LSTM teacher, random weights


TEACHERS = {"tanh MLP": tanh_mlp, "LSTM": lstm}
INTERPRETATION = TERM_NAMES.index("interpretation")


def distiller(path, attribution="saliency", mode="periodization", gamma=1.0):
    return WaveletDistiller(wave="db3", levels=LEVEL, mode=mode, grid=[(0.01, gamma)], dtype="float64",
                            device="cpu", gradient_path=path, attribution=attribution)


@pytest.fixture(scope="module")
def batch():
    return np.random.default_rng(0).standard_normal((6, LENGTH))


def free_filter(noise=0.05, seed=1):
    h = np.asarray(pywt.Wavelet("db3").rec_lo)
    return (h + noise * np.random.default_rng(seed).standard_normal(h.shape))[None]


def fd_gradient(value, x, eps=1e-6):
    """Central finite differences of a scalar function of a vector."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        grad.flat[i] = (value(x + step) - value(x - step)) / (2 * eps)
    return grad


def relative_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def interpretation_gradient(path, h, batch, teacher, attribution="saliency", mode="periodization"):
    """The interpretation term's value and its gradient along a path: the total's gradient with gamma = 1 minus
    the one with gamma = 0 (every other term is the same in both)."""
    values, grad = distiller(path, attribution, mode, gamma=1.0).objective(h, batch, teacher)
    grad = grad - distiller(path, attribution, mode, gamma=0.0).objective(h, batch, teacher)[1]
    return values[INTERPRETATION, 0], grad


@pytest.mark.parametrize("teacher_name", sorted(TEACHERS))
@pytest.mark.parametrize("attribution, mode, noise", [("saliency", "periodization", 0.05),
                                                      ("saliency", "periodization", 0.3),
                                                      ("saliency", "zero", 0.05),
                                                      ("input_x_gradient", "periodization", 0.05)])
def test_eq8_path_is_the_gradient_of_the_loss_and_straight_through_is_not(batch, teacher_name, attribution, mode,
                                                                          noise):
    teacher = TEACHERS[teacher_name]()
    h = free_filter(noise)  # not orthogonal: S(h) W(h) != I
    value_eq8, grad_eq8 = interpretation_gradient("eq8", h, batch, teacher, attribution, mode)
    value_st, grad_st = interpretation_gradient("straight_through", h, batch, teacher, attribution, mode)
    assert value_eq8 == pytest.approx(value_st, rel=1e-12)  # one loss, two gradients
    straight = distiller("straight_through", attribution, mode)

    def loss(flat):  # the interpretation loss as TRIM defines it (the teacher differentiated at the input)
        return straight.objective(flat.reshape(h.shape), batch, teacher)[0][INTERPRETATION, 0]

    fd = fd_gradient(loss, h.ravel()).reshape(h.shape)
    err_eq8, err_st = relative_error(grad_eq8, fd), relative_error(grad_st, fd)
    print(f"{teacher_name}, {attribution}, {mode}, noise {noise}: |eq8 - FD| / |FD| = {err_eq8:.1e}, "
          f"|straight-through - FD| / |FD| = {err_st:.1e}")
    assert err_eq8 < 1e-6
    assert err_st > 1e-3


@pytest.mark.parametrize("teacher_name", sorted(TEACHERS))
def test_both_paths_are_the_gradient_on_the_orthogonal_lattice(batch, teacher_name):
    teacher = TEACHERS[teacher_name]()
    free = lattice_angles_from_filter(np.asarray(pywt.Wavelet("db3").rec_lo), constrained=True)[:-1] + 0.1

    def lattice(angles):
        return lowpass_from_angles(complete_angles(torch.as_tensor(angles)))[None]

    jac = torch.autograd.functional.jacobian(lambda a: lattice(a)[0], torch.as_tensor(free)).numpy()  # (N, K-1)
    straight = distiller("straight_through")
    fd = fd_gradient(lambda a: straight.objective(lattice(a).numpy(), batch, teacher)[0][-1, 0], free)
    for path in ("eq8", "straight_through"):
        grad_h = distiller(path).objective(lattice(free).numpy(), batch, teacher)[1][0]
        err = relative_error(jac.T @ grad_h, fd)  # chain rule to the lattice angles
        print(f"{teacher_name}, lattice angles, {path}: |path - FD| / |FD| = {err:.1e}")
        assert err < 1e-6


def test_both_paths_are_the_gradient_for_a_relu_teacher(batch):
    teacher = relu_mlp()
    h = free_filter()
    straight = distiller("straight_through")
    fd = fd_gradient(lambda flat: straight.objective(flat.reshape(h.shape), batch, teacher)[0][-1, 0],
                     h.ravel()).reshape(h.shape)
    for path in ("eq8", "straight_through"):
        assert relative_error(distiller(path).objective(h, batch, teacher)[1], fd) < 1e-6


def test_former_path_names_are_aliases(batch):
    teacher = tanh_mlp()
    h = free_filter()
    for old, new in (("precomputed", "eq8"), ("exact", "straight_through")):
        np.testing.assert_array_equal(distiller(old).objective(h, batch, teacher)[1],
                                      distiller(new).objective(h, batch, teacher)[1])
    fit = WaveletDistiller(wave="db3", levels=LEVEL, grid=[(0.01, 1.0)], epochs=1, dtype="float64",
                           gradient_path="exact").fit(batch, teacher)
    assert fit.gradient_path_ == "straight_through"
    assert WaveletDistiller(grid=[(0.01, 1.0)])._resolve_path() == "eq8"


def test_integrated_gradients_eq8_is_trims_loss_only_where_the_filter_reconstructs(batch):
    """Review 22: the integrated gradients' eq8 path averages the teacher's gradient along alpha x; TRIM's runs along
    alpha S c + r. The two are the same points, so one loss, where S W = I (the orthogonal lattice, in every mode);
    for a free filter they are two losses (docs/science.md says so), and eq8 is the gradient of its own."""
    teacher = tanh_mlp()
    orthogonal = np.asarray(pywt.Wavelet("db3").rec_lo)[None]
    for mode in ("periodization", "zero", "symmetric"):  # S W = I in every mode (test_exact_reconstruction.py)
        value_eq8, _ = interpretation_gradient("eq8", orthogonal, batch, teacher, "integrated_gradients", mode)
        value_st, _ = interpretation_gradient("straight_through", orthogonal, batch, teacher, "integrated_gradients",
                                              mode)
        assert value_eq8 == pytest.approx(value_st, rel=1e-9), mode
    h = free_filter(0.3)
    value_eq8, grad_eq8 = interpretation_gradient("eq8", h, batch, teacher, "integrated_gradients")
    value_st, _ = interpretation_gradient("straight_through", h, batch, teacher, "integrated_gradients")
    assert abs(value_eq8 - value_st) > 1e-3 * abs(value_st)  # two losses
    eq8 = distiller("eq8", "integrated_gradients")
    fd = fd_gradient(lambda flat: eq8.objective(flat.reshape(h.shape), batch, teacher)[0][INTERPRETATION, 0],
                     h.ravel()).reshape(h.shape)
    assert relative_error(grad_eq8, fd) < 1e-6
