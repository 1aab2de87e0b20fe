"""Scattering student: filters, parity with Kymatio 0.3, gradients, the DWT construction, the estimator,
pruning, the panel data, bad input, and the amplitude-modulation task (second-order interaction)."""

import json
import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from torch.func import functional_call

from awd_studio.models import attributions as attr
from awd_studio.models import wavelets as wv
from awd_studio.models.data.simulate_am import simulate_am
from awd_studio.models.filters import lowpass_filter
from awd_studio.models.scattering import (
    DWTScattering1D,
    DWTScattering2D,
    MorletScattering1D,
    MorletScattering2D,
    ScatteringRegressor,
    all_paths,
    car_importance,
    cv_folds,
    greedy_prune,
    make_transform,
    path_id,
    ridge_heldout_loss,
    scattering_panel,
    scattering_summary,
)
from awd_studio.models.scattering import filters as sf


def _kymatio():
    pytest.importorskip("kymatio")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kymatio.scattering1d.frontend.numpy_frontend import ScatteringNumPy1D
        from kymatio.scattering2d.frontend.numpy_frontend import ScatteringNumPy2D
    return ScatteringNumPy1D, ScatteringNumPy2D


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


# ------------------------------------------------------------------------------------------------ filters


def test_morlet_1d_has_zero_mean_unit_l1_and_peaks_at_xi():
    f = sf.morlet_fourier_1d(_t([0.3, 0.1, 0.02]), _t([0.1, 0.03, 0.006]), 512)
    assert torch.all(f[:, 0].abs() < 1e-14)
    np.testing.assert_allclose(torch.fft.ifft(f).abs().sum(dim=1), 1.0, rtol=1e-12)
    peaks = f.argmax(dim=1).numpy() / 512
    np.testing.assert_allclose(peaks, [0.3, 0.1, 0.02], atol=1.5 / 512)


def test_morlet_2d_peaks_at_its_frequency_vector_and_sums_to_zero():
    xi, theta = _t([math.pi / 2, math.pi / 4]), _t([0.0, math.pi / 3])
    f = sf.morlet_fourier_2d(xi, theta, _t([3.0, 4.0]), _t([1.0, 0.5]), (64, 64))
    assert torch.all(f[:, 0, 0].abs() < 1e-12)
    for k in range(2):
        i, j = divmod(int(f[k].argmax()), 64)
        freq = 2 * math.pi * np.array([np.fft.fftfreq(64)[i], np.fft.fftfreq(64)[j]])
        target = float(xi[k]) * np.array([math.cos(float(theta[k])), math.sin(float(theta[k]))])
        assert np.linalg.norm(freq - target) <= 2 * math.pi / 64


def test_default_banks_and_filters_equal_kymatio():
    Scat1D, Scat2D = _kymatio()
    for J, Q, L in [(6, 1, 256), (4, (4, 1), 100), (3, (8, 2), 64)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = Scat1D(J=J, shape=(L,), Q=Q)
        bank = sf.default_bank_1d(J, Q)
        assert sf.padding_1d(L, bank["T"]) == (ref._N_padded, ref.pad_left, ref.pad_right)
        for order, filters in (("1", ref.psi1_f), ("2", ref.psi2_f)):
            assert bank["j" + order] == [p["j"] for p in filters]
            np.testing.assert_allclose(bank["xi" + order], [p["xi"] for p in filters], rtol=1e-14)
            mine = sf.morlet_fourier_1d(_t(bank["xi" + order]), _t(bank["sigma" + order]), ref._N_padded)
            theirs = np.stack([p["levels"][0] for p in filters])
            assert np.abs(mine.numpy() - theirs).max() <= 1e-12 * np.abs(theirs).max()
    ref = Scat2D(J=3, shape=(64, 48), L=8)
    bank = sf.default_bank_2d(3, 8)
    assert sf.padding_2d((64, 48), 3)[0] == (ref._M_padded, ref._N_padded)
    mine = sf.morlet_fourier_2d(*(_t(bank[k]) for k in ("xi", "theta", "sigma", "slant")), (80, 64)).numpy()
    theirs = np.stack([p["levels"][0] for p in ref.psi])
    # Kymatio builds these in single precision and divides by 2 * 3.1415 instead of 2 pi (2.9e-5 relative)
    assert np.abs(mine - theirs).max() <= 1e-4 * np.abs(theirs).max()


# ------------------------------------------------------------------------------------------------ parity


@pytest.mark.parametrize("J, Q, L, T", [(6, 1, 256, None), (4, (4, 1), 100, None), (5, 2, 200, 16)])
def test_morlet_1d_equals_kymatio_scattering1d(J, Q, L, T):
    Scat1D, _ = _kymatio()
    x = np.random.default_rng(0).normal(size=(3, L))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Scat1D(J=J, shape=(L,), Q=Q, T=T)(x)
    ours = MorletScattering1D(L, J, Q=Q, T=T, dtype=torch.float64)(torch.tensor(x)).detach().numpy()
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= 1e-10 * np.abs(ref).max()


@pytest.mark.parametrize("J, L, shape", [(2, 4, (32, 40)), (3, 6, (50, 37))])
def test_morlet_2d_equals_kymatio_scattering2d(J, L, shape):
    _, Scat2D = _kymatio()
    x = np.random.default_rng(1).normal(size=(2,) + shape)
    ref = Scat2D(J=J, shape=shape, L=L)(x)
    ours = MorletScattering2D(shape, J, L=L, dtype=torch.float64)(torch.tensor(x)).detach().numpy()
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max()  # Kymatio's 2D filters: see above


def test_path_counts_and_subsets():
    S = MorletScattering1D(256, 6)
    assert S.n_paths == 26 and S.paths[:2] == [(), (0,)]
    assert all(S.j2[b] > S.j1[a] for a, b in (p for p in S.paths if len(p) == 2))
    x = torch.randn(2, 256, dtype=torch.float64)
    full = MorletScattering1D(256, 6, dtype=torch.float64)
    sub = MorletScattering1D(256, 6, dtype=torch.float64, paths=[(2, 4), (), (1,)])
    assert sub.paths == [(), (1,), (2, 4)]
    rows = [full.paths.index(p) for p in sub.paths]
    torch.testing.assert_close(sub(x), full(x)[:, rows])
    S2 = MorletScattering2D((32, 32), 2, L=4, dtype=torch.float64, paths=[(0,), (0, 5)])
    full2 = MorletScattering2D((32, 32), 2, L=4, dtype=torch.float64)
    x2 = torch.randn(2, 32, 32, dtype=torch.float64)
    torch.testing.assert_close(S2(x2), full2(x2)[:, [full2.paths.index(p) for p in S2.paths]])
    assert all_paths([0], [0, 1], 1) == [(), (0,)]


# ------------------------------------------------------------------------------------------------ gradients


def _gradcheck(module, x, y):
    """Finite differences vs autograd for the training loss with respect to every learned parameter."""
    names = [n for n, p in module.named_parameters() if p.requires_grad]
    values = tuple(dict(module.named_parameters())[n].detach().clone().requires_grad_(True) for n in names)

    def loss(*params):
        out = functional_call(module, dict(zip(names, params)), (x,))
        return ridge_heldout_loss(out.flatten(1), y, 0.1)

    assert torch.autograd.gradcheck(loss, values, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradients_of_morlet_1d_parameters_match_finite_differences():
    torch.manual_seed(0)
    S = MorletScattering1D(64, 3, dtype=torch.float64)
    _gradcheck(S, torch.randn(12, 64, dtype=torch.float64), torch.randn(12, 1, dtype=torch.float64))


def test_gradients_of_morlet_2d_parameters_match_finite_differences():
    torch.manual_seed(0)
    S = MorletScattering2D((16, 16), 2, L=2, dtype=torch.float64)
    _gradcheck(S, torch.randn(8, 16, 16, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64))


@pytest.mark.parametrize("parametrization", ["orthogonal", "free"])
def test_gradients_of_dwt_filters_match_finite_differences(parametrization):
    torch.manual_seed(0)
    S = DWTScattering1D(32, 3, h0="db3", parametrization=parametrization, dtype=torch.float64)
    _gradcheck(S, torch.randn(10, 32, dtype=torch.float64), torch.randn(10, 1, dtype=torch.float64))
    S2 = DWTScattering2D((16, 16), 2, h0="db2", parametrization=parametrization, dtype=torch.float64)
    _gradcheck(S2, torch.randn(6, 16, 16, dtype=torch.float64), torch.randn(6, 1, dtype=torch.float64))


# ------------------------------------------------------------------------------------------------ DWT bank


@pytest.mark.parametrize("cls, shape", [(DWTScattering1D, (64,)), (DWTScattering2D, (32, 32))])
def test_dwt_scattering_energy_nonexpansive_and_shift_equivariant(cls, shape):
    torch.manual_seed(0)
    arg = shape[0] if len(shape) == 1 else shape
    x, y = torch.randn(4, *shape, dtype=torch.float64), torch.randn(4, *shape, dtype=torch.float64)
    energy = lambda t: (t ** 2).flatten(1).sum(dim=1)  # noqa: E731
    whole_tree = cls(arg, J=2, h0="db3", dtype=torch.float64)  # J = max_order = 2: every path of the tree
    torch.testing.assert_close(energy(whole_tree(x)), energy(x), rtol=1e-12, atol=0)
    S = cls(arg, J=3, h0="db3", dtype=torch.float64)
    assert torch.all(energy(S(x)) <= energy(x))
    assert torch.all(energy(S(x) - S(y)) <= energy(x - y))
    dims = tuple(range(1, len(shape) + 1))
    shifted = S(torch.roll(x, shifts=(8,) * len(shape), dims=dims))  # 2**J = 8 samples
    torch.testing.assert_close(shifted, torch.roll(S(x), shifts=(1,) * len(shape), dims=tuple(d + 1 for d in dims)))
    pooled = lambda t: S(t).flatten(2).mean(dim=2)  # noqa: E731
    one = pooled(torch.roll(x, shifts=(1,) * len(shape), dims=dims))  # not a multiple of 2**J: aliasing
    assert torch.all((one - pooled(x)).norm(dim=1) > 0.01 * pooled(x).norm(dim=1))


def _dilate(f, k):
    out = np.zeros((len(f) - 1) * k + 1)
    out[::k] = f
    return out


def test_dwt_averaging_is_the_dilated_scaling_filter_sampled_every_2_to_the_j():
    """Noble identity: A^J x = (x correlated with h * h_2 * ... * h_{2^(J-1)}) every 2**J samples (up to a
    circular offset), and D_J x uses g_{2^(J-1)} in the last factor."""
    h = lowpass_filter("db2")
    g = (-1) ** np.arange(4) * h[::-1]
    x = np.random.default_rng(0).normal(size=64)
    J = 3
    coeffs = [c[0].numpy() for c in wv.wavedec1d(torch.tensor(x[None]), h, J)]
    for got, last in ((coeffs[0], h), (coeffs[1], g)):
        eq = np.array([1.0])
        for k in range(J - 1):
            eq = np.convolve(eq, _dilate(h, 2 ** k))
        eq = np.convolve(eq, _dilate(last, 2 ** (J - 1)))
        full = np.array([np.dot(np.roll(x, -s)[:len(eq)], eq) for s in range(64)])  # circular correlation
        errors = [np.abs(np.roll(full, -o)[::2 ** J] - got).max() for o in range(64)]
        assert min(errors) < 1e-12


# ------------------------------------------------------------------------------------------------ estimator


def _series(n=80, length=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, length))
    return X, np.abs(X[:, 20:40]).mean(axis=1)


def test_a_stop_is_polled_between_batches_and_in_the_kept_paths_retraining(monkeypatch):
    """Audit: the scattering student, part of a job's final stage, polled its stop only after each epoch of its
    first training (seconds apart on the lensing example's maps) and never while the kept paths retrained."""
    from awd_studio.models import distill

    X, y = _series()
    monkeypatch.setattr(distill, "STOP_POLL_SECONDS", 0.0)  # every batch
    calls = []
    with pytest.raises(distill.Cancelled, match="during epoch 1"):
        ScatteringRegressor(J=3, epochs=2, batch_size=16, prune=False).fit(
            X, y, should_stop=lambda: calls.append(1) or len(calls) >= 2)
    assert len(calls) == 2  # the second of the first epoch's batches, before the epoch's own poll
    monkeypatch.setattr(distill, "STOP_POLL_SECONDS", 3600.0)  # epochs' ends only
    calls.clear()
    estimator = ScatteringRegressor(J=3, epochs=2, batch_size=32, prune=True, prune_retrain="head")
    with pytest.raises(distill.Cancelled):
        estimator.fit(X, y, should_stop=lambda: calls.append(1) or len(calls) >= 3)  # epoch 1 of the retraining
    assert len(calls) == 3

def test_estimator_conventions_shapes_and_determinism():
    X, y = _series()
    est = ScatteringRegressor(J=3, epochs=2, batch_size=32)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        est.predict(X)
    est.fit(X, y)
    assert est.predict(X).shape == (80,)
    assert est.transform(X).shape == (80, est.n_features_out_)
    assert est.n_features_out_ == len(est.paths_) * est.transform_.out_length
    again = ScatteringRegressor(J=3, epochs=2, batch_size=32).fit(X, y)
    np.testing.assert_allclose(again.predict(X), est.predict(X), rtol=1e-5)
    two = ScatteringRegressor(J=3, epochs=1, batch_size=32, pooling="mean").fit(X, np.stack([y, -y], axis=1))
    assert two.predict(X).shape == (80, 2) and two.n_features_out_ == len(two.paths_)
    maps = np.random.default_rng(1).normal(size=(40, 16, 16))
    est2 = ScatteringRegressor(J=2, L=2, epochs=1, batch_size=16).fit(maps, maps.std(axis=(1, 2)))
    assert est2.predict(maps).shape == (40,)


def test_fixed_filters_fit_is_the_ridge_on_the_fixed_transform():
    X, y = _series()
    est = ScatteringRegressor(J=3, learn_filters=False).fit(X, y)
    fixed = MorletScattering1D(64, 3, learn=False)(torch.tensor(X, dtype=torch.float32)).flatten(1)
    np.testing.assert_allclose(est.transform(X), fixed.numpy(), rtol=1e-6)
    for key, value in est.filters_.items():
        np.testing.assert_array_equal(value, est.filters_init_[key])


def test_training_keeps_the_epoch_with_the_best_validation_score():
    X, y = _series(n=120)
    est = ScatteringRegressor(J=3, epochs=3, batch_size=32).fit(X, y)
    scores = est.history_["val_score"]
    assert len(scores) == 4 and est.history_["best_epoch"] == int(np.argmax(scores))


def test_tiles_of_one_map_are_held_out_together():
    """Tiles of one map are near copies: validated tile by tile, a target that the inputs cannot predict (one
    random value per map) scored R² 0.9997; with ``sample_groups`` the validation, the penalty's choice and the
    folds hold out whole maps and say there is nothing to learn."""
    rng = np.random.default_rng(0)
    maps = np.repeat(np.arange(12), 8)
    X = rng.normal(size=(12, 64))[maps] + 0.01 * rng.normal(size=(96, 64))
    y = rng.normal(size=12)[maps]
    by_tile = ScatteringRegressor(J=3, epochs=1, batch_size=16).fit(X, y)
    by_map = ScatteringRegressor(J=3, epochs=1, batch_size=16).fit(X, y, sample_groups=maps)
    assert min(by_tile.history_["val_score"]) > 0.99 and max(by_map.history_["val_score"]) < 0.2
    assert by_map.alpha_ > 10 * by_tile.alpha_
    pruned = ScatteringRegressor(J=2, epochs=0, prune=True, prune_cv=3, prune_restarts=1).fit(
        X, y, sample_groups=maps)
    assert max(pruned.pruning_["score"]) < 0.2
    with pytest.raises(ValueError, match="sample_groups"):
        ScatteringRegressor(J=2, epochs=0).fit(X, y, sample_groups=maps[:10])
    two_maps = np.repeat([0, 1], 48)  # the validation takes one map: the training part's penalty has one group
    assert ScatteringRegressor(J=2, epochs=1, batch_size=16).fit(X, y, sample_groups=two_maps).predict(X).shape == (96,)


def test_checkpointed_2d_micro_batches_give_the_plain_gradients():
    torch.manual_seed(0)
    est = ScatteringRegressor(J=2, L=2)
    S = MorletScattering2D((16, 16), 2, L=2, dtype=torch.float64)
    x, y = torch.randn(70, 16, 16, dtype=torch.float64), torch.randn(70, 1, dtype=torch.float64)
    grads = []
    for features in (lambda: est._forward(S, x), lambda: S(x).flatten(1)):  # 3 micro-batches vs one pass
        S.zero_grad()
        ridge_heldout_loss(features(), y, 0.1).backward()
        grads.append([p.grad.clone() for p in S.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_summary_counts_parameters_and_is_json():
    X, y = _series(n=40)
    est = ScatteringRegressor(J=3, epochs=1, batch_size=16).fit(X, y)
    summary = json.loads(json.dumps(scattering_summary(est)))
    t = est.transform_
    assert summary["n_filter_parameters"] == 2 * (len(t.j1) + len(t.j2))
    assert summary["n_head_parameters"] == est.n_features_out_ + 1
    assert summary["paths_kept"] == [path_id(p) for p in est.paths_]


def test_device_handling(device):
    X, y = _series(n=40)
    S = MorletScattering1D(64, 3).to(device)
    assert S(torch.randn(2, 64, device=device)).device.type == device.type
    D = DWTScattering2D((16, 16), 2, h0="db2").to(device)
    assert D(torch.randn(2, 16, 16, device=device)).device.type == device.type
    est = ScatteringRegressor(J=3, epochs=1, batch_size=16, device=str(device)).fit(X, y)
    assert est.predict(X).shape == (40,)
    assert next(est.transform_.parameters()).device.type == "cpu"


def test_cuda_request_without_cuda_names_the_device_field():
    if torch.cuda.is_available():
        pytest.skip("CUDA is present")
    X, y = _series(n=40)
    with pytest.raises(ValueError, match="device"):
        ScatteringRegressor(device="cuda").fit(X, y)


@pytest.mark.parametrize("kwargs, field", [
    (dict(bank="gabor"), "bank"),
    (dict(pooling="max"), "pooling"),
    (dict(epochs=-1), "epochs"),
    (dict(lr=0), "lr"),
    (dict(interpretation_weight=0.1), "interpretation_weight"),
    (dict(prune_retrain="some"), "prune_retrain"),
    (dict(dtype="float16"), "dtype"),
    (dict(attribution="shap"), "attribution"),
    (dict(paths=[(0, 0)]), "paths"),
    (dict(J=9), "T"),
])
def test_bad_parameters_raise_value_error_naming_the_field(kwargs, field):
    X, y = _series(n=40)
    with pytest.raises(ValueError, match=field):
        ScatteringRegressor(**kwargs).fit(X, y)


def test_bad_data_raises_value_error_naming_the_field():
    X, y = _series(n=40)
    bad = X.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match="X"):
        ScatteringRegressor().fit(bad, y)
    with pytest.raises(ValueError, match="y"):
        ScatteringRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="teacher"):
        ScatteringRegressor(bank="dwt", interpretation_weight=0.1).fit(X, y)
    est = ScatteringRegressor(J=3, learn_filters=False).fit(X, y)
    with pytest.raises(ValueError, match="X"):
        est.predict(np.zeros((3, 32)))
    S = MorletScattering1D(64, 3)
    for x in (torch.zeros(2, 32), np.zeros((2, 64)), torch.zeros(2, 64, dtype=torch.complex64)):
        with pytest.raises(ValueError, match="x"):
            S(x)
    with pytest.raises(ValueError, match="xi1"):
        MorletScattering1D(64, 3, xi1=[0.6], sigma1=[0.1])
    with pytest.raises(ValueError, match="shape"):
        MorletScattering2D((8, 8), 3)
    with pytest.raises(ValueError, match="h0"):
        DWTScattering1D(64, 3, h0=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="mode"):
        DWTScattering1D(64, 3, mode="zero")
    with pytest.raises(ValueError, match="bank"):
        make_transform("gabor", (64,), 3)


# ------------------------------------------------------------------------------------------------ penalty


def test_interpretation_penalty_is_the_l1_of_trim_attributions_on_the_first_layer():
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Linear(32, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    X, y = _series(n=40, length=32)
    est = ScatteringRegressor(bank="dwt", J=2, wave="db2", interpretation_weight=1.0, dtype="float64")
    est.signal_shape_ = (32,)
    penalty = est._penalty_fn(X, teacher, torch.device("cpu"))
    S = DWTScattering1D(32, 2, h0="db2", dtype=torch.float64)
    h = S.lowpass()
    xt = torch.tensor(X[:10])
    coeffs = torch.cat(wv.wavedec1d(xt, h, 2), dim=1)
    lengths = [c.shape[1] for c in wv.wavedec1d(xt, h, 2)]

    def synthesis(c):  # (1, B, M) -> (1, B, 32)
        return wv.waverec1d(wv.split_coeffs(c[0], lengths), h, length=32)[None]

    trim = attr.trim_attributions(teacher, xt, coeffs[None], synthesis, create_graph=False)[0]
    torch.testing.assert_close(penalty(S, np.arange(10)), trim.abs().sum(dim=1).mean(), rtol=1e-10, atol=0)
    fitted = ScatteringRegressor(bank="dwt", J=2, wave="db2", interpretation_weight=1e-3, epochs=2,
                                 batch_size=16).fit(X, y, teacher=teacher.float())
    assert len(fitted.history_["penalty"]) == 2 and fitted.history_["penalty"][0] > 0


def test_interpretation_penalty_in_2d_is_the_l1_of_the_gradient_field_coefficients():
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 1)).double()
    maps = np.random.default_rng(0).normal(size=(20, 16, 16))
    est = ScatteringRegressor(bank="dwt", J=2, wave="db2", interpretation_weight=2.0, dtype="float64")
    est.signal_shape_ = (16, 16)
    S = DWTScattering2D((16, 16), 2, h0="db2", dtype=torch.float64)
    grad = attr.teacher_input_gradients(teacher, torch.tensor(maps[:5]))
    cs = wv.wavedec2d(grad, S.lowpass(), 2)
    l1 = cs[0].abs().flatten(1).sum(1) + sum(b.abs().flatten(1).sum(1) for lvl in cs[1:] for b in lvl)
    penalty = est._penalty_fn(maps, teacher, torch.device("cpu"))
    torch.testing.assert_close(penalty(S, np.arange(5)), 2.0 * l1.mean(), rtol=1e-12, atol=0)


def test_dwt_start_from_a_nearly_orthogonal_awd_filter_is_exactly_orthonormal():
    from awd_studio.models.filters import orthonormality_error

    h0 = lowpass_filter("db3") + 1e-3 * np.random.default_rng(0).normal(size=6)  # a free AWD fit
    S = DWTScattering1D(64, 3, h0=h0, dtype=torch.float64)
    h = S.lowpass().detach().numpy()
    assert orthonormality_error(h) < 1e-12 and np.abs(h - h0).max() < 5e-3
    assert orthonormality_error(DWTScattering1D(64, 3, h0=h0, parametrization="free").lowpass().detach()) > 1e-4


# ------------------------------------------------------------------------------------------------ pruning


def test_car_downdate_equals_refitting_without_the_path():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(60, 9))
    y = Z[:, 0] - 2 * Z[:, 4] + 0.1 * rng.normal(size=60)
    groups = [np.arange(3 * p, 3 * p + 3) for p in range(3)]
    folds = cv_folds(60, cv=3, n_restarts=2, seed=1)
    scores, car = car_importance(Z, y, groups, [0, 1, 2], folds, alpha=0.5)
    for drop in range(3):
        rest = [p for p in range(3) if p != drop]
        direct, _ = car_importance(Z, y, groups, rest, folds, alpha=0.5)
        np.testing.assert_allclose(scores - car[:, :, drop], direct, atol=1e-10)


def test_greedy_pruning_keeps_the_informative_paths_with_the_one_se_rule():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 12))
    y = Z[:, 2] + Z[:, 9] + 0.3 * rng.normal(size=200)
    groups = [np.arange(2 * p, 2 * p + 2) for p in range(6)]  # informative: paths 1 and 4
    curve = greedy_prune(Z, y, groups, alpha=1.0, cv=5, n_restarts=2)
    assert curve["n_paths"] == [6, 5, 4, 3, 2, 1]
    assert sorted(curve["kept"][curve["chosen"]]) == [1, 4]
    assert set(curve["removed"][:4]) == {0, 2, 3, 5}
    assert curve["car"][1] > 0.2 and curve["car"][0] < 0.01


def test_auto_step_removes_a_twentieth_at_a_time():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(60, 30))
    curve = greedy_prune(Z, Z[:, 0], [np.array([p]) for p in range(30)], alpha=1.0, cv=3, n_restarts=1,
                         step="auto")
    assert curve["n_paths"] == [30, 28, 26, 24, 22, 20] + list(range(19, 0, -1))
    with pytest.raises(ValueError, match="step"):
        greedy_prune(Z, Z[:, 0], [np.array([p]) for p in range(30)], alpha=1.0, step=0)


def test_full_retraining_pruning_refits_the_transform_before_each_removal():
    X, y = _series(n=60)
    est = ScatteringRegressor(J=2, epochs=1, batch_size=16, prune=True, prune_retrain="full", prune_cv=3,
                              prune_restarts=2).fit(X, y)
    assert est.pruning_["n_paths"] == [4, 3, 2, 1]
    assert est.paths_ == est.pruning_["kept"][est.pruning_["chosen"]]
    assert est.predict(X).shape == (60,)


# ------------------------------------------------------------------------------------------------ panel


def test_panel_is_json_and_describes_filters_tree_and_curve():
    X, y = _series(n=60)
    est = ScatteringRegressor(J=3, epochs=1, batch_size=16, prune=True, prune_cv=3, prune_restarts=1).fit(X, y)
    panel = json.loads(json.dumps(scattering_panel(est)))
    ids = {node["id"] for node in panel["tree"]["nodes"]}
    assert ids == {path_id(p) for p in est.all_paths_}
    assert all(e["parent"] in ids and e["child"] in ids for e in panel["tree"]["edges"])
    assert [n["kept"] for n in panel["tree"]["nodes"]] == [p in est.paths_ for p in est.all_paths_]
    assert panel["curve"]["chosen_n_paths"] == len(est.paths_)
    assert panel["curve"]["score"] == pytest.approx(est.pruning_["score"], abs=1e-6)
    for f in panel["filters"]:  # every Morlet response peaks at its learned centre frequency
        peak = f["frequency"]["f"][int(np.argmax(f["frequency"]["response"]))]
        assert abs(peak - f["params"]["xi"]) <= f["frequency"]["f"][1] + 1e-9
    dwt = ScatteringRegressor(bank="dwt", J=3, learn_filters=False).fit(X, y)
    for f in scattering_panel(dwt)["filters"]:  # each DWT level's response peaks inside its octave
        peak = f["frequency"]["f"][int(np.argmax(f["frequency"]["response"]))]
        low, high = f["params"]["nominal_band"]
        assert low <= peak <= high
    maps = np.random.default_rng(1).normal(size=(30, 16, 16))
    for bank in ("morlet", "dwt"):
        est2 = ScatteringRegressor(bank=bank, J=2, L=2, learn_filters=False, wave="db2").fit(maps, maps[:, 0, 0])
        panel2 = json.loads(json.dumps(scattering_panel(est2)))
        assert panel2["ndim"] == 2 and panel2["curve"] is None
        assert all(len(f["space"]) == len(f["space"][0]) for f in panel2["filters"])


# ------------------------------------------------------------------------------------------------ the task


@pytest.mark.slow
def test_amplitude_modulation_learned_bank_moves_to_carrier_and_modulation_and_pruning_keeps_them():
    """Target = modulation depth of a carrier at 0.125 cycles/sample modulated at 0.03 (simulate_am).

    Measured (n = 512, L = 128, J = 5, 8 epochs, 400 test series): test R2 of fixed Morlet + ridge, order 1
    only = 0.05, orders 0-2 = 0.61; learned = 0.67, learned + pruned = 0.70. Pruning keeps 2 of 19 paths,
    both (carrier, modulation): first-order wavelets 0.175 -> 0.140 and 0.0875 -> 0.115 cycles/sample
    (carrier 0.125), second-order 0.0219 -> 0.0303 (modulation 0.03). Re-measured after the move to
    models/scattering/: the same numbers. For comparison (not asserted), the DWT bank the pipeline uses (db5,
    same J, epochs and pruning, lr 0.01) reaches 0.41 and keeps 4 of 16 paths: its octave bands cannot move to
    the carrier.
    """
    fc, fm = 0.125, 0.03
    X, y = simulate_am(512, seed=0, carrier=fc, modulation=fm)
    Xt, yt = simulate_am(400, seed=1, carrier=fc, modulation=fm)
    first = ScatteringRegressor(J=5, max_order=1, learn_filters=False).fit(X, y).score(Xt, yt)
    fixed = ScatteringRegressor(J=5, learn_filters=False).fit(X, y).score(Xt, yt)
    est = ScatteringRegressor(J=5, epochs=8, prune=True).fit(X, y)
    learned = est.score(Xt, yt)
    assert first < 0.2 and fixed > 0.45 and learned > fixed + 0.05
    assert 1 <= len(est.paths_) <= 4 and all(len(p) == 2 for p in est.paths_)
    init, final = est.filters_init_, est.filters_
    for n1, n2 in est.paths_:
        assert abs(final["xi1"][n1] - fc) < 0.7 * abs(init["xi1"][n1] - fc)
        assert abs(final["xi1"][n1] - fc) < 0.2 * fc
        assert abs(final["xi2"][n2] - fm) < 0.5 * abs(init["xi2"][n2] - fm)
        assert abs(final["xi2"][n2] - fm) < 0.1 * fm
