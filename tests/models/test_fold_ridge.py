"""The series student's fold pass (``fold_fits``, ``TopKLinearRegressor._fold_predictions``) equals its refit on
every split (``_fit_features`` then ``_predict_features``), and scikit-learn's RidgeCV on the standardised rows."""

import numpy as np
import pytest
from sklearn.linear_model import RidgeCV

from awd_studio.models import metrics
from awd_studio.models.pipeline.selection import cv_splits
from awd_studio.models.students import RIDGE_ALPHAS
from awd_studio.models.students.ridge import LeaveOneOutRidge, Workspace, centred_loo_ridge
from awd_studio.models.students.series import TopKLinearRegressor, fold_fits, standardization


def _features(rng, n, p, targets=None, kind="plain"):
    """Correlated features of mixed scales and a target; ``kind`` adds a zero column and a constant one
    (``"constant"``) or a near copy of a column (``"collinear"``: the standardised Gram matrix's condition number
    about 1e9, the SVD's case)."""
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p))) * rng.uniform(0.1, 10, size=p)
    X += rng.normal(size=p)
    if kind == "constant":
        X[:, -1], X[:, 1] = 0.0, 0.1  # the padding of a short band, and a constant whose mean is not exact
    elif kind == "collinear":
        X[:, -1] = X[:, 0] + 1e-3 * rng.normal(size=n)
    shape = (n,) if targets is None else (n, targets)
    y = rng.normal(size=shape) + (X @ rng.normal(size=p) if targets is None else X[:, :targets])
    return X, y


def _refits(features, y, splits, model):
    """The loop ``fold_scores`` ran: ``(r2, coef_, intercept_, alpha_)`` of each split."""
    out = []
    for train, val in splits:
        model._fit_features(features[train], y[train])
        predicted = model._predict_features(features[val])
        out.append((metrics.r2_score(y[val], predicted), model.coef_, model.intercept_, model.alpha_))
    return out


def _assert_equal_fits(got, expected, rtol=1e-10):
    for (r2, coef, intercept, alpha), (r2_e, coef_e, intercept_e, alpha_e) in zip(got, expected):
        assert alpha == alpha_e
        assert np.shape(coef) == np.shape(coef_e) and np.shape(intercept) == np.shape(intercept_e)
        assert type(intercept) is type(intercept_e)
        scale = np.abs(coef_e).max()
        assert np.allclose(coef, coef_e, rtol=rtol, atol=rtol * scale)
        assert np.allclose(intercept, intercept_e, rtol=1e-10, atol=1e-10)
        assert r2 == pytest.approx(r2_e, abs=1e-10)


@pytest.mark.parametrize("kind", ["plain", "constant", "collinear"])
@pytest.mark.parametrize("targets", [None, 1, 2])
def test_fold_fits_equal_the_refits(kind, targets):
    rng = np.random.default_rng({"plain": 0, "constant": 1, "collinear": 2}[kind] * 10 + (targets or 0))
    features, y = _features(rng, 400, 12, targets, kind)
    splits = cv_splits(len(features), 5, 2, seed=3)
    model = TopKLinearRegressor(k=2)
    predictions = model._fold_predictions(features, y, splits)
    assert not hasattr(model, "model_")  # the fold pass leaves the student unfitted
    got = [(metrics.r2_score(y[val], pred), coef, intercept, alpha)
           for (_, val), pred, (coef, intercept, alpha) in zip(splits, predictions,
                                                               fold_fits(features, y, splits, RIDGE_ALPHAS))]
    # the near copy's two weights are determined to about eps times the penalised condition number (up to 1e8 at the
    # smallest penalties): the refit's own rounding is that large; scores and intercepts stay within 1e-10
    _assert_equal_fits(got, _refits(features, y, splits, model), rtol=1e-9 if kind == "collinear" else 1e-10)


def test_the_collinear_case_takes_the_svd(monkeypatch):
    """The near copy's Gram matrix is too ill-conditioned to factor: the SVD is taken, on every split."""
    rng = np.random.default_rng(2)
    features, y = _features(rng, 400, 12, kind="collinear")
    splits = cv_splits(len(features), 5, 1, seed=3)
    calls = []
    svd = np.linalg.svd

    def counted(*args, **kwargs):
        calls.append(1)
        return svd(*args, **kwargs)

    monkeypatch.setattr(np.linalg, "svd", counted)
    fold_fits(features, y, splits, RIDGE_ALPHAS)
    assert len(calls) == len(splits)


def test_uneven_splits_large_offsets_and_a_column_constant_on_training_rows_only():
    """Training sets of different sizes (the workspace's buffers grow and shrink), features far from zero, and a
    column constant on one split's training rows but not on its validation rows: the
    refits' fits, and the caller's features untouched."""
    rng = np.random.default_rng(11)
    features, y = _features(rng, 401, 8)
    features += 1e6  # an offset six orders above the features' spread
    splits = cv_splits(len(features), 5, 2, seed=4)
    train, val = splits[0]
    features[train, 3] = 2.5  # constant where the first split fits, varying where it predicts
    before = features.copy()
    assert len({len(train) for train, _ in splits}) > 1
    model = TopKLinearRegressor(k=2)
    got = [(metrics.r2_score(y[val], features[val] @ coef + intercept), coef, intercept, alpha)
           for (_, val), (coef, intercept, alpha) in zip(splits, fold_fits(features, y, splits, RIDGE_ALPHAS))]
    _assert_equal_fits(got, _refits(features, y, splits, model), rtol=1e-8)
    assert np.array_equal(features, before)


def test_fewer_rows_than_features_take_the_dual_form():
    rng = np.random.default_rng(5)
    features, y = _features(rng, 24, 30, kind="constant")
    splits = cv_splits(len(features), 4, 2, seed=0)  # 18 training rows, 30 features
    model = TopKLinearRegressor(k=3)
    got = [(metrics.r2_score(y[val], features[val] @ coef + intercept), coef, intercept, alpha)
           for (_, val), (coef, intercept, alpha) in zip(splits, fold_fits(features, y, splits, RIDGE_ALPHAS))]
    _assert_equal_fits(got, _refits(features, y, splits, model))


def test_fold_fits_equal_sklearn_ridgecv():
    rng = np.random.default_rng(8)
    features, y = _features(rng, 300, 10, kind="constant")
    splits = cv_splits(len(features), 3, 1, seed=1)
    for (train, _), (coef, intercept, alpha) in zip(splits, fold_fits(features, y, splits, RIDGE_ALPHAS)):
        mean, scale = standardization(features[train])
        expected = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit((features[train] - mean) / scale, y[train])
        assert alpha == expected.alpha_
        constant = [1, 9]  # no weight (scikit-learn's is rounding, about 1e-9, on the mean of 0.1s)
        varies = np.delete(np.arange(10), constant)
        assert np.allclose(coef[varies], (expected.coef_ / scale)[varies], rtol=1e-10, atol=1e-12)
        assert not coef[constant].any() and np.abs(expected.coef_[constant]).max() < 1e-8
        assert intercept == pytest.approx(expected.intercept_ - (expected.coef_ / scale) @ mean, abs=1e-9)


@pytest.mark.parametrize("params", [{"alpha": None}, {"alpha": 3.0}, {"standardize": False}])
def test_other_students_refit_every_split(params):
    rng = np.random.default_rng(4)
    features, y = _features(rng, 200, 8)
    splits = cv_splits(len(features), 5, 1, seed=2)
    model = TopKLinearRegressor(k=2, **params)
    predictions = model._fold_predictions(features, y, splits)
    for (train, val), pred in zip(splits, predictions):
        expected = TopKLinearRegressor(k=2, **params)._fit_features(features[train], y[train])
        assert np.array_equal(pred, expected._predict_features(features[val]))


def test_fold_fits_refuse_non_finite_values():
    features, y = np.ones((10, 2)), np.arange(10.0)
    features[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fold_fits(features, y, [(np.arange(8), np.arange(8, 10))], RIDGE_ALPHAS)


def test_zero_columns_leave_the_gram_form(monkeypatch):
    """A zero column (a short band's padding) is left out of the factorisation: standardised features with one
    take the Gram matrix's eigendecomposition, not the SVD, and still give scikit-learn's fit."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(500, 6)) @ (np.eye(6) + 0.3 * rng.normal(size=(6, 6)))
    X = np.column_stack([(X - X.mean(axis=0)) / X.std(axis=0), np.zeros(500)])
    y = X @ rng.normal(size=7) + rng.normal(size=500)
    expected = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit(X, y)

    def no_svd(*args, **kwargs):
        raise AssertionError("the SVD was taken")

    monkeypatch.setattr(np.linalg, "svd", no_svd)
    got = LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(X, y)
    assert got.alpha_ == expected.alpha_ and got.coef_[-1] == 0.0
    assert got.best_score_ == pytest.approx(expected.best_score_, rel=1e-10)
    assert np.allclose(got.coef_, expected.coef_, rtol=1e-10, atol=1e-12)
    assert got.intercept_ == pytest.approx(expected.intercept_, rel=1e-10, abs=1e-12)


def test_no_information_predicts_the_mean():
    """Only zero columns: every penalty scores the mean's leave-one-out error, the weights are zero."""
    y = np.arange(6.0) - 2.5
    scores, coef = centred_loo_ridge(np.zeros((6, 2)), y[:, None], np.array(RIDGE_ALPHAS), work=Workspace())
    assert np.allclose(scores, -np.mean((y / (1 - 1 / 6)) ** 2)) and not coef.any()
    expected = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit(np.zeros((6, 2)), y)
    assert scores[0] == pytest.approx(expected.best_score_, rel=1e-12)


def test_fold_scores_equal_the_refit_loop():
    """``fold_scores`` of a series student whose short bands are padded (CME's shape: 40 samples, 4 levels in zero
    mode, db5, top 6, a zero column) gives the refit loop's scores."""
    from awd_studio.models.data.simulate_cme import simulate_cme
    from awd_studio.models.filters import lowpass_filter
    from awd_studio.models.pipeline.config import PipelineConfig, resolve_config
    from awd_studio.models.pipeline.scaling import scaled
    from awd_studio.models.pipeline.selection import fold_scores
    from awd_studio.models.pipeline.students import coefficients, series_student

    data = simulate_cme(n=400, seed=1)
    X, y = np.asarray(data.X), np.asarray(data.y, dtype=float).ravel()
    config, _ = resolve_config(PipelineConfig(series_features="largest"), "timeseries", (40,), 400)
    h, scaling = np.asarray(lowpass_filter(config.wave)), {"offset": float(X.mean()), "scale": float(X.std())}
    splits = cv_splits(len(X), 5, 3, seed=0)
    model = series_student(config, h, X.shape[1])
    features = model._features(coefficients(scaled(X, scaling), h, config))
    assert (np.ptp(features, axis=0) == 0).any()  # the padding
    expected = [r2 for r2, *_ in _refits(features, y, splits, model)]
    got = fold_scores("timeseries", h, config, X, y, None, splits, scaling)
    assert np.allclose(got, expected, rtol=0, atol=1e-10)
