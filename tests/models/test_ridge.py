"""LeaveOneOutRidge equals scikit-learn's RidgeCV(gcv_mode="svd"): penalty, coefficients, intercept and shapes."""

import numpy as np
import pytest
from sklearn.linear_model import RidgeCV

from awd_studio.models.students import RIDGE_ALPHAS
from awd_studio.models.students.ridge import LeaveOneOutRidge, _gram_eigen


def _problem(rng, n, p, targets):
    X = rng.normal(size=(n, p)) * rng.uniform(0.01, 100, size=p) + rng.normal(size=p)
    shape = (n,) if targets is None else (n, targets)
    y = rng.normal(size=shape) + (X @ rng.normal(size=p) if targets is None else 0.0)
    return X, y


@pytest.mark.parametrize("n,p", [(200, 30), (60, 5), (17, 27), (6, 16), (40, 40)])
@pytest.mark.parametrize("targets", [None, 1, 3])
def test_equals_sklearn_ridgecv(n, p, targets):
    rng = np.random.default_rng(n * 100 + p)
    for _ in range(5):
        X, y = _problem(rng, n, p, targets)
        expected = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit(X, y)
        got = LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(X, y)
        assert got.alpha_ == expected.alpha_
        assert got.best_score_ == pytest.approx(expected.best_score_, rel=1e-6)  # n = p: rank n - 1 after centring
        assert np.shape(got.coef_) == np.shape(expected.coef_)
        assert np.shape(got.intercept_) == np.shape(expected.intercept_)
        assert np.allclose(got.coef_, expected.coef_, rtol=1e-10, atol=1e-12 * np.abs(expected.coef_).max())
        assert np.allclose(got.intercept_, expected.intercept_, rtol=1e-10, atol=1e-10)
        assert np.allclose(got.predict(X), expected.predict(X), rtol=1e-10, atol=1e-10)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="alphas must be positive"):
        LeaveOneOutRidge(alphas=(0.0, 1.0)).fit(np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match="expected X"):
        LeaveOneOutRidge().fit(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        LeaveOneOutRidge().fit(np.ones((4, 2)), np.array([1.0, np.nan, 0.0, 2.0]))
    with pytest.raises(ValueError, match="at least one feature"):
        LeaveOneOutRidge().fit(np.ones((4, 0)), np.ones(4))
    model = LeaveOneOutRidge().fit(np.random.default_rng(0).normal(size=(6, 2)), np.arange(6.0))
    with pytest.raises(ValueError, match="2 features"):
        model.predict(np.ones((3, 3)))


def _standardised(rng, n, p, targets):
    """Features like a student's: standardised, correlated, many more samples than features."""
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    shape = (n,) if targets is None else (n, targets)
    return X, rng.normal(size=shape) + (X @ rng.normal(size=p) if targets is None else 0.0)


@pytest.mark.parametrize("targets", [None, 2])
def test_gram_form_equals_sklearn_ridgecv(targets):
    """Standardised features take the p × p Gram matrix's eigendecomposition (the fast form), and badly scaled
    ones the SVD; both give scikit-learn's fit."""
    rng = np.random.default_rng(7)
    X, y = _standardised(rng, 2400, 30, targets)
    Xc = X - X.mean(axis=0)
    w, _ = _gram_eigen(Xc.T @ Xc, min(RIDGE_ALPHAS), lambda: Xc)
    assert np.array_equal(w, np.clip(np.linalg.eigh(Xc.T @ Xc)[0], 0.0, None))  # the Gram form was taken
    expected = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit(X, y)
    got = LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(X, y)
    assert got.alpha_ == expected.alpha_
    assert got.best_score_ == pytest.approx(expected.best_score_, rel=1e-10)
    assert np.allclose(got.coef_, expected.coef_, rtol=1e-10, atol=1e-12 * np.abs(expected.coef_).max())
    assert np.allclose(got.intercept_, expected.intercept_, rtol=1e-10, atol=1e-10)

    badly_scaled = rng.normal(size=(200, 30)) * np.logspace(-3, 3, 30)  # Gram condition number about 1e12
    Xc = badly_scaled - badly_scaled.mean(axis=0)
    w, _ = _gram_eigen(Xc.T @ Xc, min(RIDGE_ALPHAS), lambda: Xc)
    assert np.array_equal(w, np.linalg.svd(Xc, full_matrices=False)[1] ** 2)  # the SVD was taken


def test_constant_feature_gets_no_weight():
    rng = np.random.default_rng(3)
    X, y = _standardised(rng, 300, 5, None)
    X = np.column_stack([X, np.full(300, 2.5)])
    got = LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(X, y)
    expected = RidgeCV(alphas=RIDGE_ALPHAS, gcv_mode="svd").fit(X, y)
    assert got.alpha_ == expected.alpha_
    assert abs(got.coef_[-1]) < 1e-8 and np.allclose(got.coef_, expected.coef_, rtol=1e-9, atol=1e-9)
