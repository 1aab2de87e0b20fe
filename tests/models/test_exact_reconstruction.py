"""The trainer skips the reconstruction loss where it is identically zero: check that claim and its effect.

``WaveletDistiller`` drops the reconstruction term for the orthogonal lattice in every mode (periodization, zero and
symmetric; ``_reconstruction_is_exact``): every orthogonal filter reconstructs exactly there, at any signal length.
"""

import numpy as np
import pytest
import torch

from awd_studio.models import wavelets
from awd_studio.models.distill import WaveletDistiller
from awd_studio.models.filters.lattice import complete_angles, lowpass_from_angles


def _random_lattice_filters(n_filters, n_angles, seed):
    rng = np.random.default_rng(seed)
    return torch.stack([torch.as_tensor(lowpass_from_angles(complete_angles(rng.uniform(-np.pi, np.pi, n_angles - 1))))
                        for _ in range(n_filters)])


@pytest.mark.parametrize("mode", ["periodization", "zero", "symmetric"])
@pytest.mark.parametrize("length", [37, 40, 64])
def test_every_lattice_filter_reconstructs_exactly_1d(mode, length):
    h = _random_lattice_filters(4, 5, seed=length)  # random orthonormal filters of 10 taps
    W = wavelets.analysis_matrix(h, length, 3, mode)
    S = wavelets.synthesis_matrix(h, length, 3, mode)
    assert (S @ W - torch.eye(length, dtype=h.dtype)).abs().max() < 1e-12


@pytest.mark.parametrize("mode", ["periodization", "zero", "symmetric"])
def test_every_lattice_filter_reconstructs_exactly_2d(mode):
    h = _random_lattice_filters(3, 4, seed=1)
    x = torch.randn(2, 21, 32, dtype=torch.float64)
    coeffs = wavelets.wavedec2d(x, h, 2, mode)
    assert (wavelets.waverec2d(coeffs, h, mode, shape=(21, 32)) - x).abs().max() < 1e-12


def _fit(X, teacher_grad_target, skip, mode):
    model = WaveletDistiller(wave="db4", levels=2, mode=mode, parametrization="orthogonal",
                             grid=[(1e-3, 0.0), (1e-3, 1e-2)], epochs=3, batch_size=32, seed=0, dtype="float64")
    model.skip_exact_reconstruction = skip
    return model.fit(X, teacher_grad_target)


@pytest.mark.parametrize("shape,mode", [((37,), "periodization"), ((40,), "zero"), ((40,), "symmetric"),
                                        ((20, 24), "periodization"), ((20, 24), "zero"), ((20, 24), "symmetric")])
def test_skipping_the_exact_term_learns_the_same_filters(shape, mode):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, *shape))
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(shape)), 1)).double()
    skipped, computed = _fit(X, teacher, True, mode), _fit(X, teacher, False, mode)
    assert np.abs(skipped.filters_ - computed.filters_).max() < 1e-9
    assert np.abs(np.asarray(computed.history_["reconstruction"])).max() < 1e-12  # computed, and zero


@pytest.mark.parametrize("mode", ["periodization", "zero", "symmetric"])
def test_the_trainer_skips_the_term_for_the_orthogonal_filter_in_every_mode(mode):
    assert WaveletDistiller(mode=mode, parametrization="orthogonal")._reconstruction_is_exact()
    assert not WaveletDistiller(mode=mode, parametrization="free")._reconstruction_is_exact()
