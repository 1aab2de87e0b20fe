"""The AWD trainer: a vectorised grid equals separate fits; callbacks, cancellation, bad input."""

import numpy as np
import pytest
import pywt
import torch

from awd_studio.models.distill import Cancelled, WaveletDistiller, grid_points

torch.set_num_threads(1)


def tanh_teacher(length, seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(length, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 1))
    return net.double()


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(1).standard_normal((90, 32))


def small(**kw):
    params = dict(wave="db2", levels=2, epochs=2, batch_size=20, lr=1e-2, dtype="float64", device="cpu",
                  init_noise=0.05, seed=3)
    params.update(kw)
    return WaveletDistiller(**params)


def test_a_diverged_fit_names_its_grid_points_and_what_to_lower():
    from awd_studio.models.distill import _diverged_message

    means = np.ones((3, 4))
    means[:, 3] = np.inf
    said = _diverged_message(0, means, [(1e-3, 0.0), (1e-3, 1.0), (1e3, 0.0), (1e3, 1.0)])
    assert said.startswith("training diverged: the loss is not finite at epoch 1 at 1 of 4 grid points "
                           "(λ = 1000, γ = 1)") and "lower those λ (lambdas) or γ (gammas)" in said


def test_a_float32_fit_of_the_lattice_delivers_filters_orthonormal_in_float64(data):
    """Review 22: the exported filter was the float32 one, orthonormal to about 4e-8 (a pywt reconstruction error of
    3e-7); the lattice is evaluated in float64 at the fitted angles."""
    from awd_studio.models.filters.validity import orthonormality_error

    fit = small(dtype="float32", wave="db4", parametrization="orthogonal", lr=5e-2, epochs=3,
                grid=[(0.01, 0.0), (0.1, 0.0)]).fit(data, tanh_teacher(32).float())
    assert fit.filters_.dtype == np.float64
    assert max(float(orthonormality_error(h)) for h in fit.filters_) < 1e-13
    assert abs(fit.filters_[0] - np.asarray(pywt.Wavelet("db4").rec_lo)).max() > 1e-4  # it moved


def test_grid_points_are_lambda_major():
    assert grid_points([1, 2], [0, 5, 6]) == [(1, 0), (1, 5), (1, 6), (2, 0), (2, 5), (2, 6)]


@pytest.mark.parametrize("parametrization, path", [("free", "straight_through"), ("orthogonal", "eq8"),
                                                   ("free", "eq8")])
def test_vectorised_grid_equals_separate_fits(data, parametrization, path):
    teacher = tanh_teacher(32)
    lambdas, gammas = [1e-3, 1e-1], [0.0, 0.5]
    together = small(parametrization=parametrization, gradient_path=path, lambdas=lambdas, gammas=gammas,
                     patience=1).fit(data, teacher)
    assert together.filters_.shape == (4, 4)
    for i, point in enumerate(grid_points(lambdas, gammas)):
        alone = small(parametrization=parametrization, gradient_path=path, grid=[point],
                      patience=1).fit(data, teacher)
        np.testing.assert_allclose(alone.filters_[0], together.filters_[i], rtol=0, atol=1e-10)
        np.testing.assert_allclose(alone.history_["val_loss"][:, 0], together.history_["val_loss"][:, i],
                                   rtol=1e-10)
    # different grid points learned different filters
    assert np.abs(together.filters_[0] - together.filters_[3]).max() > 1e-6


def test_fitting_under_no_grad_learns_the_same_filters(data):
    """The trainer turns gradients on itself (a caller's torch.no_grad, or a mode left off, changes nothing;
    the recorded path needs them)."""
    teacher = tanh_teacher(32)
    free = small(lambdas=[1e-3], gammas=[0.0, 0.5], gradient_path="straight_through").fit(data, teacher)
    with torch.no_grad():
        quiet = small(lambdas=[1e-3], gammas=[0.0, 0.5], gradient_path="straight_through").fit(data, teacher)
        assert not torch.is_grad_enabled()
    np.testing.assert_array_equal(quiet.filters_, free.filters_)


@pytest.mark.parametrize("mode, length, parametrization, attribution", [
    ("zero", 32, "free", "saliency"), ("zero", 32, "free", "input_x_gradient"),
    ("periodization", 32, "orthogonal", "saliency"), ("periodization", 32, "free", "integrated_gradients"),
    ("periodization", 30, "orthogonal", "saliency"), ("symmetric", 32, "free", "input_x_gradient"),
])
def test_closed_form_steps_equal_autograd_steps(data, mode, length, parametrization, attribution):
    """The written-out gradient of the dense path trains exactly like the recorded one, term by term (also
    where the synthesis is not the transpose of the analysis: symmetric mode, periodization of 30 samples)."""
    data = data[:, :length]
    teacher = tanh_teacher(length)
    kw = dict(mode=mode, parametrization=parametrization, attribution=attribution, gradient_path="eq8",
              lambdas=[1e-3, 0.1], gammas=[0.0, 0.5], epochs=3, warmup_epochs=1, patience=2,
              validity_weights={"cmf": 0.0, "norm": 2.0})
    fast = small(**kw)
    assert fast._closed_form_applies((length,), torch.zeros(1), True)
    recorded = small(**kw)
    recorded._closed_form_applies = lambda *args: False  # force the autograd graph on this instance
    fast.fit(data, teacher)
    recorded.fit(data, teacher)
    np.testing.assert_allclose(fast.filters_, recorded.filters_, rtol=0, atol=1e-12)
    assert set(fast.history_) == set(recorded.history_)
    for key, value in recorded.history_.items():
        np.testing.assert_allclose(fast.history_[key], value, rtol=1e-10, atol=1e-15, err_msg=key)
    assert np.all(fast.history_["cmf"] == 0)


def test_the_closed_form_is_used_only_where_it_holds():
    assert small(mode="symmetric")._closed_form_applies((32,), torch.zeros(1), True)
    assert not small()._closed_form_applies((32,), None, True)  # straight-through needs the teacher
    assert not small()._closed_form_applies((200,), torch.zeros(1), True)  # long signals: per-level transforms
    assert small()._closed_form_applies((32,), None, False)  # no interpretation loss this epoch
    assert not small()._closed_form_applies((16, 16), torch.zeros(1), True)  # maps


def test_a_diverging_fit_raises_a_clear_error(data):
    with pytest.raises(ValueError, match="diverged"):
        small(dtype="float32", gradient_path="eq8").fit(data * 1e30, tanh_teacher(32).float())


def test_orthogonal_parametrization_stays_orthonormal(data):
    fit = small(parametrization="orthogonal", lambdas=[1e-1], gammas=[0.0, 1.0], epochs=3).fit(
        data, tanh_teacher(32))
    for h in fit.filters_:
        auto = np.correlate(h, h, mode="full")[len(h) - 1::2]
        np.testing.assert_allclose(auto, np.eye(len(auto))[0], atol=1e-12)
        assert h.sum() == pytest.approx(np.sqrt(2), abs=1e-12)


def test_training_moves_the_filter_and_records_history(data):
    fit = small(lambdas=[0.5], gammas=[0.0, 1.0], epochs=3).fit(data, tanh_teacher(32))
    assert fit.history_["train_loss"].shape == (3, 2)
    assert fit.history_["val_loss"].shape == (3, 2)
    for key in ("reconstruction", "sparsity", "interpretation", "sum_h", "cmf", "shift_orth"):
        assert fit.history_[key].shape == (3, 2)
    assert np.all(fit.history_["interpretation"][:, 0] == 0)
    assert np.all(fit.history_["interpretation"][:, 1] > 0)
    assert not np.allclose(fit.filters_[0], fit.initial_filter_)
    assert fit.gradient_path_ == "eq8"  # the default ("auto")


def test_warmup_epochs_train_without_the_interpretation_loss(data):
    fit = small(lambdas=[0.1], gammas=[1.0], epochs=3, warmup_epochs=2).fit(data, tanh_teacher(32))
    assert np.all(fit.history_["interpretation"][:2] == 0)
    assert np.all(fit.history_["interpretation"][2] > 0)


def test_progress_callbacks_and_cancellation(data):
    calls, epochs = [], []
    small(epochs=3).fit(data, tanh_teacher(32), progress=lambda *a: calls.append(a),
                        on_epoch=lambda e, losses: epochs.append((e, losses)))
    assert [c[0] for c in calls] == ["distill"] * 3
    assert [c[1] for c in calls] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert all(isinstance(c[2], str) for c in calls)
    assert [e for e, _ in epochs] == [0, 1, 2] and "train_loss" in epochs[0][1]
    with pytest.raises(Cancelled):
        small(epochs=5).fit(data, tanh_teacher(32), should_stop=lambda: True)


def test_early_stopping_keeps_the_best_filter(data):
    fit = small(epochs=6, lr=0.3, patience=1, lambdas=[1.0], gammas=[0.0]).fit(data, tanh_teacher(32))
    best = fit.best_epoch_[0]
    assert fit.history_["val_loss"][best, 0] == fit.history_["val_loss"][:, 0].min()


def validation_split(fit, data):
    """The validation signals of a fit (the split :meth:`WaveletDistiller.fit` draws from its seed)."""
    order = np.random.default_rng(fit.seed).permutation(len(data))
    return data[order[:int(round(fit.val_fraction * len(data)))]]


@pytest.mark.parametrize("patience", [None, 2])
def test_stored_filters_and_their_losses_come_from_the_same_epoch(data, patience):
    # a large step makes the validation loss go up and down, so the best epoch is not the last one
    teacher = tanh_teacher(32)
    fit = small(epochs=8, lr=0.3, patience=patience, lambdas=[0.1, 1.0], gammas=[0.0, 0.5],
                val_fraction=0.3, gradient_path="eq8").fit(data, teacher)
    val_loss = fit.history_["val_loss"]
    if patience is None:
        assert np.all(fit.filter_epoch_ == fit.n_epochs_ - 1)  # every point trained to the end
        assert np.any(val_loss.argmin(0) != fit.n_epochs_ - 1)  # so the best-validation epoch is another one
    else:
        assert np.all(val_loss[fit.filter_epoch_, range(4)] == val_loss[:fit.n_epochs_].min(0))
    np.testing.assert_array_equal(fit.best_epoch_, fit.filter_epoch_)
    # the losses recorded at filter_epoch_ are the stored filters' own: recompute them
    recomputed = fit.objective(fit.filters_, validation_split(fit, data), teacher)[0][-1]
    np.testing.assert_allclose(val_loss[fit.filter_epoch_, range(4)], recomputed, rtol=1e-10)


def test_two_dimensional_fit_on_both_paths():
    maps = np.random.default_rng(0).standard_normal((24, 16, 16))
    teacher = tanh_teacher(256)
    for parametrization in ("free", "orthogonal"):
        fit = small(parametrization=parametrization, lambdas=[0.01], gammas=[0.0, 0.1], epochs=1,
                    batch_size=8).fit(maps, teacher)
        assert fit.filters_.shape == (2, 4)
        assert np.all(np.isfinite(fit.history_["train_loss"]))


@pytest.mark.parametrize("kwargs, match", [
    ({"parametrization": "spline"}, "parametrization"),
    ({"mode": "reflect"}, "mode"),
    ({"attribution": "lime"}, "attribution"),
    ({"epochs": 0}, "epochs"),
    ({"lambdas": []}, "grid is empty"),
    ({"gammas": [-1.0]}, ">= 0"),
    ({"wave": "bior2.2"}, "orthogonal"),
    ({"wave": "nosuchwave"}, "wave"),
    ({"levels": 9}, "level"),
    ({"validity_weights": {"orthonormal": 1.0}}, "validity_weights"),
    ({"validity_weights": {"cmf": -1.0}}, "validity_weights"),
])
def test_bad_parameters_raise_clear_errors(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        small(**kwargs).fit(data, tanh_teacher(32))


def test_bad_data_raises(data):
    with pytest.raises(ValueError, match="X"):
        small().fit(data[0], tanh_teacher(32))


@pytest.mark.parametrize("length, mode", [(30, "periodization"), (33, "zero"), (160, "symmetric")])
def test_orthogonal_filters_reconstruct_exactly_for_any_length_and_mode(length, mode):
    X = np.random.default_rng(2).standard_normal((40, length))
    fit = small(parametrization="orthogonal", mode=mode, lambdas=[0.01], gammas=[0.0, 0.1], epochs=1).fit(
        X, tanh_teacher(length))
    assert np.all(fit.history_["reconstruction"] < 1e-20)


@pytest.mark.parametrize("length, level, mode", [(32, 2, "zero"), (33, 3, "zero"), (47, 2, "zero"),
                                                 (64, 4, "periodization"), (40, 3, "periodization")])
def test_synthesis_is_the_transpose_of_the_analysis_where_the_operator_says_so(length, level, mode):
    from awd_studio.models.distill import TransformOperator
    from awd_studio.models.wavelets import analysis_matrix, synthesis_matrix

    h = torch.tensor(pywt.Wavelet("db4").rec_lo, dtype=torch.float64)[None] + 0.03  # not orthogonal
    op = TransformOperator(h, (length,), level, mode)
    assert op.self_adjoint
    W = analysis_matrix(h, length, level, mode)
    S = synthesis_matrix(h, length, level, mode)
    torch.testing.assert_close(S, W.transpose(-1, -2), atol=1e-14, rtol=0)


def test_list_and_dense_operators_agree_in_2d_and_1d():
    from awd_studio.models.distill import TransformOperator

    h = torch.tensor(pywt.Wavelet("db3").rec_lo, dtype=torch.float64)[None].repeat(2, 1)
    x = torch.randn(3, 200, dtype=torch.float64)  # longer than the dense limit: per-level path
    for mode in ("periodization", "zero", "symmetric"):
        op = TransformOperator(h, (200,), 3, mode)
        gx = torch.randn(3, 200, dtype=torch.float64)
        c = op.analysis(x)
        # <S c, gx> == <c, S^T gx>: the adjoint is the adjoint
        lhs = (op.synthesis(c) * gx).sum()
        rhs = sum((ci * ai).sum() for ci, ai in zip(c, op.adjoint(gx)))
        assert float(lhs) == pytest.approx(float(rhs), rel=1e-12)
    maps = torch.randn(2, 16, 16, dtype=torch.float64)
    op = TransformOperator(h, (16, 16), 2, "symmetric")
    c = op.analysis(maps)
    g2 = torch.randn(2, 16, 16, dtype=torch.float64)
    lhs = (op.synthesis(c) * g2).sum()
    rhs = sum((ci * ai).sum() for ci, ai in zip(c, op.adjoint(g2)))
    assert float(lhs) == pytest.approx(float(rhs), rel=1e-12)


def test_a_filter_array_starts_the_fit_like_its_name(data):
    teacher = tanh_teacher(32)
    by_name = small(lambdas=[0.1], gammas=[0.0, 0.5], init_noise=0.0).fit(data, teacher)
    by_array = small(wave=pywt.Wavelet("db2").rec_lo, lambdas=[0.1], gammas=[0.0, 0.5], init_noise=0.0).fit(
        data, teacher)
    np.testing.assert_allclose(by_array.filters_, by_name.filters_, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="wave"):
        small(wave=np.ones((2, 4))).fit(data, teacher)


def test_micro_batches_learn_the_same_filters_as_whole_batches(monkeypatch):
    """Cutting a recorded step (and the validation loss) into micro-batches (memory) changes neither the loss
    nor the gradient."""
    from awd_studio.models import distill as distill_module

    rng = np.random.default_rng(3)
    X = rng.normal(size=(48, 16, 16))
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 1)).double()

    def fit():
        model = WaveletDistiller(wave="db2", levels=2, mode="zero", parametrization="free", grid=[(1e-3, 1e-2), (0.0, 0.1)],
                                 epochs=2, batch_size=16, seed=0, dtype="float64", val_fraction=0.25)
        return model.fit(X, teacher)  # 12 validation maps: 5 + 5 + 2 when cut

    whole = fit()
    monkeypatch.setattr(distill_module, "MICRO_BATCH_VALUES", 2 * 5 * 256)  # 5 maps per micro-batch: 16 = 5 + 5 + 5 + 1
    cut = fit()
    assert np.abs(whole.filters_ - cut.filters_).max() < 1e-10
    assert "val_loss" in whole.history_
    for term in whole.history_:
        assert np.allclose(whole.history_[term], cut.history_[term], rtol=1e-9, atol=1e-12)
