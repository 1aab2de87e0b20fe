"""Metrics against scikit-learn, numpy loops and hand cases."""

import numpy as np
import pytest
import pywt
from sklearn import metrics as skm

from awd_studio.models.metrics import (
    activation_map_1d,
    activation_map_2d,
    bootstrap_rmse_sd,
    compression_factor,
    r2_score,
    rmse,
    seconds_per_sample,
)


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    return y, y + rng.normal(scale=0.3, size=50)


def test_r2_and_rmse_match_sklearn(pair):
    y, p = pair
    assert r2_score(y, p) == pytest.approx(skm.r2_score(y, p))
    assert rmse(y, p) == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    Y, P = np.stack([y, 3 * y], axis=1), np.stack([p, 2 * p], axis=1)
    assert r2_score(Y, P) == pytest.approx(skm.r2_score(Y, P))
    assert rmse(Y, P) == pytest.approx(np.sqrt(skm.mean_squared_error(Y, P)))
    assert r2_score(y[:, None], p) == pytest.approx(skm.r2_score(y, p))  # (n, 1) vs (n,)


def test_r2_edge_cases_and_errors():
    assert r2_score([1.0, 1.0], [1.0, 1.0]) == 1.0
    assert r2_score([1.0, 1.0], [1.0, 2.0]) == 0.0
    assert rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(np.sqrt(12.5))
    with pytest.raises(ValueError, match="y_pred"):
        rmse([1.0, 2.0], [1.0])


def test_bootstrap_sd_matches_a_loop(pair):
    y, p = pair
    rng = np.random.default_rng(7)
    loop = []
    for _ in range(300):
        idx = rng.integers(0, len(y), size=len(y))
        loop.append(np.sqrt(np.mean((y[idx] - p[idx]) ** 2)))
    assert bootstrap_rmse_sd(y, p, n_boot=300, seed=7) == pytest.approx(np.std(loop, ddof=1))
    # chunking does not change the draws; the seed fixes the result
    assert bootstrap_rmse_sd(y, p, n_boot=300, seed=7, chunk_elements=120) == pytest.approx(
        bootstrap_rmse_sd(y, p, n_boot=300, seed=7))
    assert bootstrap_rmse_sd(y, p, n_boot=300, seed=8) != bootstrap_rmse_sd(y, p, n_boot=300, seed=7)


def test_bootstrap_sd_is_close_to_the_delta_method():
    rng = np.random.default_rng(1)
    err = rng.normal(size=400)
    sd = bootstrap_rmse_sd(np.zeros(400), err, n_boot=2000)
    sq = err ** 2
    delta = np.std(sq, ddof=1) / np.sqrt(400) / (2 * np.sqrt(sq.mean()))
    assert sd == pytest.approx(delta, rel=0.15)


def test_compression_factor_by_hand():
    c = np.array([[0.5, 0.0005, 2.0, 1.0], [0.0, 1.0, 1.0, -3.0]])
    a = np.array([[0.1, 0.1, 0.0002, -0.5], [1.0, 1.0, 0.01, 0.0]])
    # both above 1e-3 at (0,0), (0,3), (1,1), (1,2): 4 of 8
    assert compression_factor(c, a) == 0.5
    as_lists = compression_factor([c[:, :1], c[:, 1:]], [a[:, :1], a[:, 1:]])
    assert as_lists == 0.5
    assert compression_factor(c, a, tol=0.05) == pytest.approx(3 / 8)
    # 2-D layout with tuples
    c2 = [np.ones((2, 2, 2)), (np.ones((2, 2, 2)), np.zeros((2, 2, 2)), np.ones((2, 2, 2)))]
    assert compression_factor(c2, c2) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="attributions"):
        compression_factor(c, a[:, :3])


def test_seconds_per_sample_times_batches():
    calls = []

    def fn(x):
        calls.append(len(x))
        return x

    t = seconds_per_sample(fn, np.zeros((10, 3)), repeats=3)
    assert t >= 0 and calls == [10, 10, 10, 10]  # one warm-up plus three timed calls
    assert seconds_per_sample(lambda c: c, [np.zeros((4, 2)), np.zeros((4, 2))], warmup=False) >= 0


def test_activation_map_1d_by_hand():
    # J = 2 on length 8: cA_2 (2), cD_2 (2), cD_1 (4)
    c = [np.array([[1.0, 2.0]]), np.array([[0.0, -1.0]]), np.array([[1.0, 0.0, 0.0, 4.0]])]
    a = [np.array([[1.0, 1.0]]), np.array([[5.0, 2.0]]), np.array([[-1.0, 1.0, 1.0, 0.5]])]
    got = activation_map_1d(c, a, 8)
    # |c a|: cA -> [1, 2] on blocks of 4; cD_2 -> [0, 2] on blocks of 4; cD_1 -> [1, 0, 0, 2] on blocks of 2
    expected = np.array([[1 + 0 + 1, 1 + 1, 1, 1, 2 + 2, 2 + 2, 2 + 2 + 2, 2 + 2 + 2]], dtype=float)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("mode", ["periodization", "zero"])
def test_activation_map_1d_shapes_and_mass(mode):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 64))
    coeffs = pywt.wavedec(x, "db2", mode=mode, level=3, axis=-1)
    attrs = [rng.normal(size=c.shape) for c in coeffs]
    got = activation_map_1d(coeffs, attrs, 64)
    assert got.shape == (3, 64) and (got >= 0).all()
    levels = [3, 3, 2, 1]
    mass = sum(np.abs(c * at).sum(axis=1) * 2 ** j for c, at, j in zip(coeffs, attrs, levels))
    if mode == "periodization":  # every coefficient lands fully inside
        np.testing.assert_allclose(got.sum(axis=1), mass)
    else:  # extra boundary coefficients are clipped
        assert (got.sum(axis=1) <= mass + 1e-9).all()


def test_activation_map_2d_by_hand_and_shapes():
    ones = np.ones((1, 1, 1))
    # J = 1 on 2x2: cA (1x1) covers everything, details (1x1) too
    got = activation_map_2d([2 * ones, (ones, ones, 3 * ones)], [ones, (ones, 0 * ones, ones)], (2, 2))
    np.testing.assert_array_equal(got, np.full((1, 2, 2), 2 + 1 + 0 + 3.0))
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(2, 16, 16))
    coeffs = pywt.wavedec2(maps, "haar", mode="periodization", level=2, axes=(-2, -1))
    attrs = [np.ones_like(coeffs[0])] + [tuple(np.ones_like(d) for d in level) for level in coeffs[1:]]
    got = activation_map_2d(coeffs, attrs, (16, 16))
    assert got.shape == (2, 16, 16)
    # the finest diagonal coefficient (0, 0) only reaches the top-left 2x2 block
    only = [np.zeros_like(coeffs[0])] + [tuple(np.zeros_like(d) for d in lev) for lev in coeffs[1:]]
    only[2] = (np.zeros_like(coeffs[2][0]), np.zeros_like(coeffs[2][1]), np.zeros_like(coeffs[2][2]))
    only[2][2][:, 0, 0] = 1.0
    got = activation_map_2d(coeffs, only, (16, 16))
    assert np.count_nonzero(got[0]) <= 4 and got[0, 2:, :].sum() == 0 and got[0, :, 2:].sum() == 0
    np.testing.assert_allclose(got[:, 0, 0], np.abs(coeffs[2][2][:, 0, 0]))


def test_paired_bootstrap_difference_matches_resampling_by_hand():
    from awd_studio.models.metrics import paired_bootstrap_difference, r2_score, rmse

    rng = np.random.default_rng(0)
    y = rng.normal(size=80)
    a = y + rng.normal(scale=0.5, size=80)
    b = y + rng.normal(scale=0.8, size=80)
    for metric, score in (("r2", r2_score), ("rmse", rmse)):
        d = paired_bootstrap_difference(y, a, b, metric=metric, n_boot=400, seed=3)
        assert d["estimate"] == pytest.approx(score(y, a) - score(y, b))
        # the same resamples drawn by hand
        idx = np.random.default_rng(3).integers(0, 80, size=(400, 80))
        by_hand = np.array([score(y[i], a[i]) - score(y[i], b[i]) for i in idx])
        lo, hi = np.percentile(by_hand, [2.5, 97.5])
        assert d["low"] == pytest.approx(lo, abs=1e-10) and d["high"] == pytest.approx(hi, abs=1e-10)
        assert d["sd"] == pytest.approx(np.std(by_hand, ddof=1), abs=1e-10)
    # a clearly better model: the whole R2 interval is above 0
    d = paired_bootstrap_difference(y, y + 0.01 * rng.normal(size=80), b)
    assert d["low"] > 0


def test_paired_bootstrap_difference_refuses_bad_input():
    from awd_studio.models.metrics import paired_bootstrap_difference

    y = np.arange(5.0)
    with pytest.raises(ValueError, match="metric"):
        paired_bootstrap_difference(y, y, y, metric="mae")
    with pytest.raises(ValueError, match="y_pred"):
        paired_bootstrap_difference(y, y, y[:4])


def test_bootstrap_results_do_not_depend_on_the_chunk_size():
    """The resamples are drawn in chunks only to bound memory: the same draws, the same numbers."""
    from awd_studio.models.metrics import bootstrap_rmse_sd, paired_bootstrap_difference

    rng = np.random.default_rng(3)
    y = rng.standard_normal(300)
    a, b = y + 0.3 * rng.standard_normal(300), y + 0.4 * rng.standard_normal(300)
    for metric in ("r2", "rmse"):
        results = [paired_bootstrap_difference(y, a, b, metric=metric, n_boot=2000, chunk_elements=c)
                   for c in (4_000_000, 1_000_000, 10_000)]
        assert results[0] == results[1] == results[2]
    assert len({bootstrap_rmse_sd(y, a, n_boot=2000, chunk_elements=c) for c in (4_000_000, 1_000_000, 10_000)}) == 1
