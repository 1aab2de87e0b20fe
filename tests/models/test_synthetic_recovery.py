"""The paper's synthetic experiment (section 4.1): AWD recovers the ground-truth DB5 wavelet from an MLP.

y = <Psi_db5 x, beta> + noise; an MLP teacher learns it; AWD started away from db5 (db5 + noise, sym5, coif2)
must end closer to db5, and from db5 + noise much closer. As in the paper, the reported figure is the grid
point whose wavelet is closest to db5. The distances measured at the time of writing are in ``FIGURES``
(the note of the science-core issue quotes them).
"""

import numpy as np
import pytest
import torch

from awd_studio.models.data import make_example
from awd_studio.models.distill import WaveletDistiller
from awd_studio.models.filters import lowpass_filter, scaling_and_wavelet, wavelet_distance
from awd_studio.models.teachers import train_teacher

torch.set_num_threads(2)

LEVEL = 7


@pytest.fixture(scope="module")
def teacher_and_data():
    data = make_example("synthetic", n=1500, seed=0)
    teacher = train_teacher("mlp", data.X, data.y, seed=0)
    return teacher, data.X


def psi_of(h):
    return scaling_and_wavelet(np.asarray(h), level=LEVEL)[2]


@pytest.mark.slow
@pytest.mark.parametrize("parametrization, wave, noise, lr, required_ratio", [
    # exactly orthogonal, started from db5 with noise on the lattice angles: recovers db5 (measured 0.004
    # of ||psi_db5|| from a start at 0.92)
    ("orthogonal", "db5", 0.5, 1e-2, 0.1),
    # the paper's setting: free filter, db5 + 0.3 N(0, 1) noise (measured 3.77 -> 0.66, ratio 0.18)
    ("free", "db5", 0.3, 1e-3, 0.5),
    # a filter of another length (measured 0.38 -> 0.21, ratio 0.56)
    ("free", "coif2", 0.0, 1e-3, 1.0),
    # sym5 shares db5's |H|: it starts close and moves only a little (measured 0.213 -> 0.210)
    ("free", "sym5", 0.0, 1e-3, 1.0),
])
def test_awd_moves_towards_db5(teacher_and_data, parametrization, wave, noise, lr, required_ratio):
    teacher, X = teacher_and_data
    truth = psi_of(lowpass_filter("db5"))
    fit = WaveletDistiller(wave=wave, levels=4, mode="periodization", parametrization=parametrization,
                           lambdas=[1e-5, 1e-4], gammas=[0.0, 1e-3, 0.1, 1.0, 10.0, 50.0],
                           epochs=50, batch_size=100, lr=lr, init_noise=noise, seed=0,
                           device="cpu").fit(X, teacher)
    start = wavelet_distance(psi_of(fit.initial_filter_), truth)
    distances = [wavelet_distance(psi_of(h), truth) for h in fit.filters_]
    best = min(distances)
    scale = np.linalg.norm(truth)
    print(f"{parametrization} {wave}+{noise}: start {start / scale:.3f} -> best {best / scale:.3f} "
          f"of norm(psi_db5) (ratio {best / start:.3f})")
    assert best < required_ratio * start


def _loss_at(h, X, teacher, lam, gam):
    """Eq. 8's validation loss at the filter h itself (one epoch with a negligible step, float64)."""
    fit = WaveletDistiller(wave=np.asarray(h, dtype=float), levels=4, mode="zero", parametrization="free",
                           lambdas=[lam], gammas=[gam], epochs=1, lr=1e-12, seed=0, device="cpu",
                           dtype="float64").fit(X, teacher)
    return float(fit.history_["val_loss"][0, 0])


def test_eq8_is_lowest_at_the_true_wavelet():
    """On the synthetic problem with the exact teacher (the linear map that defines y), eq. 8 ranks db5 below
    sym5, coif2 and Haar (docs/science.md: where the sym5 start ends, the loss is twice db5's, a local
    minimum of the optimiser, not of the objective)."""
    from awd_studio.models.data.simulate_synthetic import synthetic_beta, wavelet_coefficients

    psi_rows = wavelet_coefficients(np.eye(64), mode="zero")  # row i: the db5 coefficients of e_i
    beta, _ = synthetic_beta(mode="zero")
    teacher = torch.nn.Linear(64, 1, bias=False).double()
    with torch.no_grad():
        teacher.weight.copy_(torch.as_tensor(psi_rows @ beta)[None])  # y = <Psi x, beta> = x . (Psi^T beta)
    X = np.random.default_rng(0).standard_normal((2000, 64))
    losses = {name: _loss_at(lowpass_filter(name), X, teacher, 1e-4, 0.1) for name in ("db5", "sym5", "coif2", "haar")}
    assert losses["db5"] < 0.6 * min(losses[name] for name in ("sym5", "coif2", "haar")), losses
