"""The teacher-free control (option ``random_search``): its random wavelets, its two-round search, its note."""

import numpy as np
import pytest

from awd_studio.models.filters import orthonormality_error, random_lowpass_filters
from awd_studio.models.pipeline.random_search import random_search_control
from awd_studio.models.pipeline.trust import trust_notes


@pytest.mark.parametrize("length", [4, 10, 16])
def test_random_wavelets_are_orthonormal_lowpass_filters_fixed_by_the_seed(length):
    h = random_lowpass_filters(50, length, seed=3)
    assert h.shape == (50, length)
    assert np.max(orthonormality_error(h)) < 1e-12
    np.testing.assert_allclose(h.sum(axis=1), np.sqrt(2), atol=1e-12)
    np.testing.assert_array_equal(h, random_lowpass_filters(50, length, seed=3))
    assert not np.allclose(h, random_lowpass_filters(50, length, seed=4))
    assert len({tuple(np.round(row, 8)) for row in h}) == 50  # distinct draws


@pytest.mark.parametrize("bad", [(5, 7), (5, 2), (-1, 10)])
def test_random_wavelets_refuse_impossible_requests(bad):
    with pytest.raises(ValueError):
        random_lowpass_filters(*bad)


def _tap_scores(h):
    """A stand-in for a student's fold scores: higher for a larger second tap, the same on every fold."""
    return np.full(3, float(h[1]))


def test_the_control_keeps_the_best_wavelet_of_the_draw():
    n, length = 40, 8
    drawn = random_lowpass_filters(n, length, seed=7)
    calls = []
    control = random_search_control(_tap_scores, _tap_scores, n, length, seed=7, keep=5,
                                    on_result=lambda done, total: calls.append((done, total)))
    best = int(np.argmax(drawn[:, 1]))
    assert control["index"] == best and control["n"] == n and control["screened"] == 5
    np.testing.assert_array_equal(control["h"], drawn[best])
    assert control["cv_score"] == pytest.approx(drawn[best, 1])
    assert calls == [(i, n + 5) for i in range(1, n + 6)]  # every screened and every re-scored wavelet


def test_the_final_round_decides_among_the_screened_wavelets():
    """The screening round only shortlists: the control is the best of the shortlist on every fold."""
    n, length = 30, 6
    drawn = random_lowpass_filters(n, length, seed=1)
    screen = lambda h: np.array([float(h[0])])  # noqa: E731 - shortlists by the first tap
    full = lambda h: np.array([-float(h[0])])  # noqa: E731 - but every fold prefers the smallest of those
    control = random_search_control(screen, full, n, length, seed=1, keep=4)
    shortlist = np.argsort(-drawn[:, 0], kind="stable")[:4]
    assert control["index"] == int(shortlist[np.argmin(drawn[shortlist, 0])])
    # without screening (n <= keep) every wavelet is scored on every fold
    small = random_search_control(screen, full, 4, length, seed=1, keep=4)
    assert small["screened"] == 4 and small["index"] == int(np.argmin(random_lowpass_filters(4, length, seed=1)[:, 0]))
    with pytest.raises(ValueError, match="at least one"):
        random_search_control(screen, full, 0, length)


def _bundle(estimate, low, high, metric="r2"):
    return {"teacher": {"name": "cnn", "test": {"r2": 0.8}}, "models": {"awd": {"test": {"r2": 0.7}}},
            "selection": {"random_search": {"n": 300, "test_difference": {
                "estimate": estimate, "low": low, "high": high, "level": 0.95, "metric": metric}}}}


@pytest.mark.parametrize("diff, metric, key", [
    ((0.03, 0.01, 0.05), "r2", "awd_beats_search"),
    ((-0.03, -0.05, -0.01), "r2", "search_beats_awd"),
    ((0.01, -0.01, 0.03), "r2", "awd_level_with_search"),
    ((-0.004, -0.006, -0.002), "rmse", "awd_beats_search"),  # RMSE: lower is better
    ((0.004, 0.002, 0.006), "rmse", "search_beats_awd"),
])
def test_the_control_note_reads_the_paired_interval_the_right_way_round(diff, metric, key):
    notes = trust_notes(_bundle(*diff, metric=metric))
    assert notes[-1]["key"] == key
    assert "300 random orthogonal wavelets" in notes[-1]["text"] and "without the teacher" in notes[-1]["text"]
    # the numbers in the verdict's format (R² to 3 decimals, RMSE to 3 significant digits of the largest)
    low, high = (f"{v:.3f}" if metric == "r2" else f"{v:.5f}" for v in diff[1:])
    between = "interval" if metric == "r2" else "interval of AWD − search"
    assert f"{between} {low} to {high}" in notes[-1]["text"], notes[-1]["text"]
    if metric == "rmse":  # which way is better, in words (a signed RMSE difference had to be worked out)
        way = "lower (better)" if diff[0] < 0 else "higher (worse)"
        assert f"AWD's test RMSE is {abs(diff[0]):.5f} {way} than the search's" in notes[-1]["text"]


@pytest.mark.parametrize("diff, metric, search_cv, says", [
    ((-0.036, -0.085, 0.009), "r2", 0.586, True),  # a user's CME run: behind on test and in CV, yet "level"
    ((-0.036, -0.085, 0.009), "r2", 0.500, False),  # ahead on test only: the interval says it all
    ((0.02, -0.01, 0.05), "r2", 0.586, False),  # AWD ahead on the estimate
    ((0.004, -0.001, 0.009), "rmse", 0.586, True),  # RMSE: the search's is lower
])
def test_a_level_control_says_when_the_search_leads_on_every_score(diff, metric, search_cv, says):
    bundle = _bundle(*diff, metric=metric)
    bundle["selection"]["random_search"]["cv_score"] = search_cv
    bundle["selection"]["awd_cv_score"] = 0.538
    note = trust_notes(bundle)[-1]
    assert note["key"] == "awd_level_with_search"
    assert ("The search leads on both numbers shown" in note["text"]) is says
    if says:
        assert "score 0.586 against AWD's 0.538" in note["text"] and "flatters it" in note["text"]


def test_no_control_no_note():
    bundle = _bundle(0.0, -0.1, 0.1)
    del bundle["selection"]["random_search"]
    assert not any("search" in n["key"] for n in trust_notes(bundle))


def test_the_estimate_counts_the_control():
    from awd_studio.models.estimate import estimate_job
    from awd_studio.models.options import JobOptions

    def seconds(kind, shape, n, trains_teacher=None, **options):
        return estimate_job(JobOptions(**options), kind, shape, n, trains_teacher=trains_teacher)["seconds"]

    # 0.17 s per wavelet per 1000 maps of 64 x 64, 0.0095 s per wavelet per 3000 series (models.estimate); series
    # beside an uploaded teacher: beside one trained here, the control may run on the core it leaves idle
    assert seconds("image", (64, 64), 1200, random_search=300) == pytest.approx(
        seconds("image", (64, 64), 1200) + 300 * 0.17 * 1.2)
    assert seconds("timeseries", (40,), 3000, False, random_search=100) == pytest.approx(
        seconds("timeseries", (40,), 3000, False, random_search=0) + 100 * 0.0095)
    # left out: 300 for 1000 or more series (models.options.resolve_random_search), off for maps and small data
    assert seconds("timeseries", (40,), 3000) == pytest.approx(seconds("timeseries", (40,), 3000, random_search=300))
    assert seconds("image", (64, 64), 1200) == seconds("image", (64, 64), 1200, random_search=0)
    assert seconds("timeseries", (40,), 999) == seconds("timeseries", (40,), 999, random_search=0)


def test_the_control_is_on_for_a_thousand_series_or_more_unless_told():
    from awd_studio.models.options import JobOptions, resolve_random_search

    assert JobOptions().random_search is None
    assert [resolve_random_search(None, "timeseries", n) for n in (999, 1000)] == [0, 300]
    assert resolve_random_search(None, "image", 10_000) == 0
    assert resolve_random_search(0, "timeseries", 10_000) == 0 and resolve_random_search(7, "image", 10) == 7


def test_the_series_screen_is_the_students_leave_one_out_r2():
    """series_loo_score against refitting the ridge n times, each time without one series (at every penalty of
    the student's grid; the screen reports the best)."""
    from sklearn.linear_model import Ridge

    from awd_studio.models import predictors
    from awd_studio.models.filters import lowpass_filter
    from awd_studio.models.options import PipelineConfig
    from awd_studio.models.pipeline.selection import series_loo_score
    from awd_studio.models.pipeline.students import coefficients
    from awd_studio.models.students._common import RIDGE_ALPHAS
    from awd_studio.models.students.series import standardization

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 32))
    y = X[:, 10] - 0.5 * X[:, 20] + 0.3 * rng.standard_normal(40)
    h = lowpass_filter("db2")
    unscaled = {"offset": 0.0, "scale": 1.0}
    for kind in ("largest", "positions"):  # fixed positions: chosen once on all the series, then left out
        config = PipelineConfig(levels=3, mode="zero", top_k=2, series_features=kind)
        score = series_loo_score(h, config, X, y, unscaled)
        coeffs = coefficients(X, h, config)
        features = (predictors.topk_features(coeffs, k=2) if kind == "largest" else
                    predictors.position_features(coeffs, predictors.best_positions(coeffs, y, 2), 2))
        mean, scale = standardization(features)
        z = (features - mean) / scale
        best = -np.inf
        for alpha in RIDGE_ALPHAS:
            errors = [y[i] - Ridge(alpha=alpha).fit(np.delete(z, i, 0), np.delete(y, i)).predict(z[i:i + 1])[0]
                      for i in range(len(y))]
            best = max(best, 1.0 - np.mean(np.square(errors)) / np.var(y))
        assert score.shape == (1,) and score[0] == pytest.approx(best, abs=1e-9)
