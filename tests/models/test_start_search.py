"""The start search (models.start_search) and the trainer's ``start_search`` option."""

import numpy as np
import pytest
import torch

from awd_studio.models.distill import WaveletDistiller
from awd_studio.models.filters import filter_distance, lowpass_filter, orthonormality_error
from awd_studio.models.start_search import search_lowpass_starts


def _squared_distance_to(target):
    target = torch.as_tensor(target)

    def loss_and_gradient(h):
        diff = h - target.to(h.dtype)
        return diff.pow(2).sum(-1), 2 * diff

    return loss_and_gradient


def test_search_finds_the_minimum_of_a_known_loss():
    """On ||h - db4||^2 the lowest end point is db4 itself; every end point is a valid orthogonal lowpass."""
    db4 = lowpass_filter("db4")
    found = search_lowpass_starts(_squared_distance_to(db4), 8, 64, steps=200, seed=1, dtype=torch.float64)
    assert np.abs(found.filters[0] - db4).max() < 1e-4
    assert found.losses[0] < 1e-8
    assert np.all(np.diff(found.losses) > 0), "lowest first, distinct"
    assert np.max(orthonormality_error(found.filters)) < 1e-10
    np.testing.assert_allclose(found.filters.sum(-1), np.sqrt(2), atol=1e-12)
    assert found.angles.shape == (len(found.filters), 3) and found.n_starts == 64


def test_search_is_seeded():
    db4 = lowpass_filter("db4")
    a, b = (search_lowpass_starts(_squared_distance_to(db4), 8, 16, steps=5, seed=3) for _ in range(2))
    np.testing.assert_array_equal(a.filters, b.filters)


def test_chunks_of_starts_end_where_one_batch_ends(monkeypatch):
    """On the CPU the starts descend in chunks, one after another (SEARCH_CHUNK on one thread, SEARCH_CHUNK_SHARED on
    several): every start descends on its own, so the end points are those of one batch, and the progress counts the
    chunks up to every step."""
    from awd_studio.models import start_search

    db4 = lowpass_filter("db4")
    steps_seen = []
    monkeypatch.setenv("AWD_JOB_THREADS", "1")  # one thread: the same rounding in every chunk size
    monkeypatch.setattr(start_search, "SEARCH_CHUNK", 7)
    chunked = search_lowpass_starts(_squared_distance_to(db4), 8, 30, steps=6, seed=2, dtype=torch.float64,
                                    on_step=lambda step, steps: steps_seen.append((step, steps)))
    monkeypatch.setattr(start_search, "SEARCH_CHUNK", 1000)
    whole = search_lowpass_starts(_squared_distance_to(db4), 8, 30, steps=6, seed=2, dtype=torch.float64)
    np.testing.assert_array_equal(chunked.filters, whole.filters)
    np.testing.assert_array_equal(chunked.losses, whole.losses)
    assert len(steps_seen) == 5 and steps_seen[-1] == (6, 6)  # 30 starts in 5 chunks
    assert [step for step, _ in steps_seen] == sorted(step for step, _ in steps_seen)


def test_the_search_gives_the_caller_its_threads_back(monkeypatch):
    """The chunks descend on the job's threads; torch's thread count is partly process-wide, and after the search
    the caller has its own again (a search left the grid's fit and the final stage on one thread)."""
    from awd_studio.models import start_search

    monkeypatch.setattr(start_search, "SEARCH_CHUNK", 4)
    monkeypatch.setattr(start_search, "SEARCH_CHUNK_SHARED", 4)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        search_lowpass_starts(_squared_distance_to(lowpass_filter("db4")), 8, 20, steps=2, seed=0)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("length, n_starts", [(7, 10), (2, 10), (8, 0)])
def test_search_rejects_bad_sizes(length, n_starts):
    with pytest.raises(ValueError, match="filter_length|n_starts"):
        search_lowpass_starts(_squared_distance_to(np.zeros(8)), length, n_starts)


def _exact_teacher():
    """The linear map that defines y in the paper's synthetic experiment: x -> <Psi_db5 x, beta>."""
    from awd_studio.models.data.simulate_synthetic import synthetic_beta, wavelet_coefficients

    psi_rows = wavelet_coefficients(np.eye(64), mode="zero")
    beta, _ = synthetic_beta(mode="zero")
    teacher = torch.nn.Linear(64, 1, bias=False)
    with torch.no_grad():
        teacher.weight.copy_(torch.as_tensor(psi_rows @ beta, dtype=torch.float32)[None])
    return teacher


@pytest.mark.parametrize("parametrization", ["orthogonal", "free"])
def test_search_takes_sym5_to_db5_on_the_synthetic_problem(parametrization):
    """From sym5, plain descent stops 0.21 from db5 (docs/science.md); with the search the gamma > 0 grid point
    starts, and ends, in db5's basin. The gamma = 0 point (with lambda = 0 its loss is flat) keeps sym5."""
    X = np.random.default_rng(0).standard_normal((400, 64))
    fit = WaveletDistiller(wave="sym5", levels=4, mode="zero", parametrization=parametrization, lambdas=[0.0],
                           gammas=[0.0, 0.1], epochs=3, seed=0, device="cpu", start_search=1000).fit(
        X, _exact_teacher())
    db5 = lowpass_filter("db5")
    assert fit.start_choice_[0] == -1 and fit.start_choice_[1] >= 0
    np.testing.assert_allclose(fit.start_filters_[0], lowpass_filter("sym5"), atol=1e-6)
    assert filter_distance(fit.start_filters_[1], db5, level=6) < 0.05
    assert filter_distance(fit.filters_[1], db5, level=6) < 0.05
    assert fit.start_search_.n_starts == 1000 and len(fit.start_search_.filters) >= 1


def test_without_search_every_point_starts_at_the_initial_wavelet():
    X = np.random.default_rng(0).standard_normal((100, 32))
    fit = WaveletDistiller(wave="db2", levels=2, mode="zero", parametrization="orthogonal", lambdas=[0.1],
                           gammas=[0.0, 0.1], epochs=1, seed=0, device="cpu").fit(X, _sum_teacher)
    assert fit.start_search_ is None and np.all(fit.start_choice_ == -1)
    np.testing.assert_allclose(fit.start_filters_, np.repeat(fit.initial_filter_[None], 2, axis=0), atol=1e-6)


def _sum_teacher(x):
    return x.flatten(1).sum(-1)


def test_search_explains_what_it_cannot_do():
    maps = np.random.default_rng(0).standard_normal((20, 16, 16))
    with pytest.raises(ValueError, match="start_search: searches time series"):
        WaveletDistiller(wave="db2", levels=2, gammas=[0.1], epochs=1, device="cpu", start_search=10).fit(
            maps, _sum_teacher)
    series = np.random.default_rng(0).standard_normal((20, 32))
    sparse = WaveletDistiller(wave="db2", levels=2, gammas=[0.0], epochs=1, device="cpu", start_search=10).fit(
        series, _sum_teacher)  # a grid (or a part of one) without the interpretation term searches on sparsity
    assert set(sparse.start_search_.terms) == {"sparsity"}
    with pytest.raises(ValueError, match="start_search: must be a non-negative integer"):
        WaveletDistiller(wave="db2", levels=2, gammas=[0.1], epochs=1, device="cpu", start_search=-1).fit(
            series, _sum_teacher)


def test_the_job_option_is_resolved_from_the_data_and_reaches_the_trainer():
    from awd_studio.models.distill import CLOSED_FORM_MAX_LENGTH
    from awd_studio.models.options import DEFAULT_START_SEARCH, START_SEARCH_MAX_LENGTH, PipelineConfig
    from awd_studio.models.pipeline.config import resolve_config
    from awd_studio.models.pipeline.fit_grid import make_distiller
    
    def resolved(kind, shape, n=2000, **options):
        return resolve_config(PipelineConfig(**options), kind, shape, n)[0].start_search

    assert START_SEARCH_MAX_LENGTH == CLOSED_FORM_MAX_LENGTH
    assert resolved("timeseries", (64,)) == DEFAULT_START_SEARCH  # left out: on for short series
    assert resolved("timeseries", (64,), start_search=0) == 0
    assert resolved("timeseries", (64,), start_search=50) == 50
    assert resolved("timeseries", (64,), gammas=[0.0]) == 0  # nothing to search without the interpretation term
    assert resolved("timeseries", (64,), n=999) == 0  # few series: the search would be most of the job
    assert resolved("timeseries", (64,), n=999, start_search=30) == 30
    assert resolved("timeseries", (100,)) == 0  # longer than the search is assumed for
    assert resolved("timeseries", (100,), start_search=10) == 10
    assert resolved("timeseries", (200,)) == 0  # longer than the closed-form steps
    assert resolved("image", (64, 64)) == 0
    for kind, shape in (("image", (64, 64)), ("timeseries", (200,))):
        with pytest.raises(ValueError, match="start_search: the start search is for time series"):
            resolved(kind, shape, start_search=10)
    with pytest.raises(ValueError, match="start_search"):
        PipelineConfig(start_search=-1)
    config = resolve_config(PipelineConfig(), "timeseries", (64,), 2000)[0]
    assert make_distiller(config, [(0.1, 0.1)], "cpu", 0).start_search == DEFAULT_START_SEARCH


@pytest.mark.parametrize("length, mode", [(64, "zero"), (40, "periodization"), (48, "symmetric")])
def test_the_searched_term_and_its_gradient_match_autograd(length, mode):
    """The closed-form saliency term the search descends equals ||S(h)^T gx||_1 / (B (J+1)) and its autograd
    gradient, in a self-adjoint mode and in two that are not."""
    from awd_studio.models import wavelets
    from awd_studio.models.distill import TransformOperator
    from awd_studio.models.losses import saliency_l1_and_gradient

    rng = np.random.default_rng(0)
    h = torch.as_tensor(rng.standard_normal((3, 6)), dtype=torch.float64)
    GX = torch.as_tensor(rng.standard_normal((5, length)), dtype=torch.float64)
    value, grad = saliency_l1_and_gradient(h, GX, length, 2, mode,
                                           TransformOperator.is_self_adjoint((length,), 2, mode))
    hr = h.clone().requires_grad_(True)
    S = wavelets.synthesis_matrix(hr, length, 2, mode)  # (G, L, M)
    ref = torch.matmul(GX, S).abs().sum((1, 2)) / (5 * 3)
    (ref_grad,) = torch.autograd.grad(ref.sum(), hr)
    np.testing.assert_allclose(value.numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_estimate_counts_the_search():
    from awd_studio.models.cores import job_threads
    from awd_studio.models.estimate import _thread_speedup, estimate_job
    from awd_studio.models.options import JobOptions

    def seconds(kind, shape, **options):  # an uploaded teacher: no core idles beside a training to search on
        return estimate_job(JobOptions(**options), kind, shape, 3000, trains_teacher=False)["seconds"]

    # 5.6 s per 1000 starts at 64 samples on one thread; the search runs on all the job's threads
    # a grid with gamma = 0 and gamma > 0 points searches twice: on the teacher's term and without the teacher
    per_1000 = 5.6 / _thread_speedup(job_threads())
    assert seconds("timeseries", (64,)) == pytest.approx(seconds("timeseries", (64,), start_search=0) + 2 * per_1000)
    assert seconds("timeseries", (64,), start_search=2000) == pytest.approx(
        seconds("timeseries", (64,), start_search=0) + 4 * per_1000)
    assert seconds("timeseries", (64,), start_search=1000, gammas=[0.0]) == pytest.approx(
        seconds("timeseries", (64,), start_search=0, gammas=[0.0]) + per_1000)
    assert seconds("image", (64, 64)) == seconds("image", (64, 64), start_search=0)
    assert estimate_job(JobOptions(), "timeseries", (64,), 500) == estimate_job(JobOptions(start_search=0),
                                                                                  "timeseries", (64,), 500)


def test_a_shared_search_gives_the_fit_its_own_search_would():
    """The grid's parts share one search (``search_starts`` -> ``start_candidates``): the same end points and
    starts as the fit's own search of the same data."""
    X = np.random.default_rng(0).standard_normal((300, 64))
    settings = dict(wave="sym5", levels=4, mode="zero", parametrization="orthogonal", lambdas=[1e-4],
                    gammas=[0.0, 0.1], epochs=1, seed=2, device="cpu", start_search=200)
    teacher = _exact_teacher()
    own = WaveletDistiller(**settings).fit(X, teacher)
    shared = WaveletDistiller(**settings).search_starts(X, teacher)
    reused = WaveletDistiller(**settings, start_candidates=shared).fit(X, teacher)
    assert reused.start_search_ is shared
    np.testing.assert_allclose(shared.filters, own.start_search_.filters, atol=1e-5)
    np.testing.assert_array_equal(reused.start_choice_, own.start_choice_)
    np.testing.assert_allclose(reused.filters_, own.filters_, atol=1e-5)


def test_a_part_of_gamma_zero_points_starts_where_the_whole_grid_starts_it():
    """Cut into parts, a grid still starts every point where one fit of the whole grid starts it: a part that
    holds only gamma = 0 points, given the job's searches or searching alone, takes the same start."""
    X = np.random.default_rng(0).standard_normal((300, 64))
    settings = dict(wave="db5", levels=4, mode="zero", parametrization="orthogonal", epochs=1, seed=2,
                    device="cpu", start_search=200)
    teacher = _exact_teacher()
    whole = WaveletDistiller(**settings, grid=[(1e-3, 0.0), (1e-3, 0.1)]).fit(X, teacher)
    assert whole.start_choice_[0] >= 0  # on white noise, sparsity alone prefers a searched filter to db5
    alone = WaveletDistiller(**settings, grid=[(1e-3, 0.0)]).fit(X, teacher)
    part = WaveletDistiller(**settings, grid=[(1e-3, 0.0)], start_candidates=whole.start_search_).fit(X, teacher)
    assert part.start_choice_[0] == whole.start_choice_[0]
    for fit in (alone, part):
        np.testing.assert_allclose(fit.start_filters_[0], whole.start_filters_[0], atol=1e-6)
        np.testing.assert_allclose(fit.filters_[0], whole.filters_[0], atol=1e-5)


def test_gamma_zero_points_start_only_where_a_search_without_the_teacher_led():
    """The gamma = 0 column is the ablation without the teacher (paper eq. 8 with gamma = 0): its points take
    only the end points of the search on the sparsity term, the gamma > 0 points only those of the search on the
    interpretation term, both searches from the same random starts."""
    X = np.random.default_rng(0).standard_normal((300, 64))
    settings = dict(wave="sym5", levels=4, mode="zero", parametrization="orthogonal", epochs=1, seed=2,
                    device="cpu", start_search=200)  # from sym5 the teacher's term, too, prefers a searched start
    fit = WaveletDistiller(**settings, grid=[(1e-3, 0.0), (1e-3, 0.1), (1e-2, 0.0)]).fit(X, _exact_teacher())
    terms = fit.start_search_.terms
    assert set(terms) == {"interpretation", "sparsity"}
    assert fit.start_choice_[0] >= 0 and fit.start_choice_[2] >= 0 and fit.start_choice_[1] >= 0
    assert terms[fit.start_choice_[0]] == terms[fit.start_choice_[2]] == "sparsity"
    assert terms[fit.start_choice_[1]] == "interpretation"

    def no_teacher(x):
        raise AssertionError("a grid of gamma = 0 points read the teacher")

    alone = WaveletDistiller(**settings, grid=[(1e-3, 0.0)]).fit(X, no_teacher)
    np.testing.assert_allclose(alone.start_filters_[0], fit.start_filters_[0], atol=1e-6)


@pytest.mark.parametrize("mode", ["periodization", "zero"])
def test_the_sparsity_search_descends_the_sparsity_term(mode):
    """What the gamma = 0 points' search descends: sum ||Psi(h) x||_1 / (B (J+1)) over its signals, and the
    gradient of that (autograd through the analysis matrix)."""
    from awd_studio.models import wavelets
    from awd_studio.models.distill import SEARCH_SIGNALS

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 40))
    fit = WaveletDistiller(wave="db3", levels=2, mode=mode, parametrization="orthogonal", device="cpu", seed=0)
    xs = torch.as_tensor(X, dtype=torch.float64)
    h = torch.as_tensor(np.stack([lowpass_filter("db3"), lowpass_filter("sym3")]), dtype=torch.float32)
    value, grad = fit._sparsity_loss(xs)(h)
    hr = h.double().requires_grad_(True)
    W = wavelets.analysis_matrix(hr, 40, 2, mode)  # (G, M, L)
    coefficients = torch.matmul(xs[:SEARCH_SIGNALS].float().double(), W.transpose(-1, -2))
    ref = coefficients.abs().sum((1, 2)) / (SEARCH_SIGNALS * 3)
    (ref_grad,) = torch.autograd.grad(ref.sum(), hr)
    np.testing.assert_allclose(value.numpy(), ref.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attribution", ["input_x_gradient"])
def test_the_search_takes_attributions_that_multiply_by_the_coefficients(attribution):
    X = np.random.default_rng(0).standard_normal((200, 32))
    fit = WaveletDistiller(wave="db2", levels=2, mode="zero", parametrization="free", lambdas=[0.0],
                           gammas=[0.1], epochs=1, seed=0, device="cpu", attribution=attribution,
                           start_search=20).fit(X, _sum_teacher)
    assert np.all(np.isfinite(fit.start_search_.losses)) and fit.start_filters_.shape == (1, 4)


def test_the_candidates_are_scored_with_each_grid_points_own_loss():
    """The scoring computes each candidate's terms once and weights them per grid point: the same totals as each
    point's own loss evaluated at the candidate (the trainer's closed form, in float64)."""
    X = np.random.default_rng(1).standard_normal((300, 40))
    lam = torch.tensor([1e-4, 1e-3, 1e-2, 0.0], dtype=torch.float64)
    gam = torch.tensor([0.0, 0.1, 1.0, 3.0], dtype=torch.float64)
    fit = WaveletDistiller(wave="db5", levels=4, mode="zero", parametrization="free", lambdas=[0.0], gammas=[0.1],
                           epochs=1, seed=0, device="cpu", dtype="float64")
    xs = torch.as_tensor(X, dtype=torch.float64)
    gs = torch.as_tensor(np.random.default_rng(2).standard_normal((300, 40)))
    weights = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    candidates = torch.as_tensor(np.stack([lowpass_filter("db5"), lowpass_filter("sym5"), lowpass_filter("db5")[::-1]]))
    scored = fit._candidate_losses(candidates, xs, gs, lam, gam, weights)
    for k, c in enumerate(candidates):
        own = fit._closed_form_losses(c.expand(4, -1).contiguous(), xs, gs, lam, gam, weights, True,
                                      with_gradient=False)[0][-1]
        np.testing.assert_allclose(scored[k].numpy(), own.numpy(), rtol=1e-10, atol=1e-14)
