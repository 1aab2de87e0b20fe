"""The filter-ceiling experiment draws valid wavelets and summarises a data-driven choice among them correctly."""

import numpy as np

from awd_studio.models.filters.validity import orthonormality_error
from bench.science import filter_ceiling as fc


def test_random_filters_are_seeded_orthonormal_lowpass_filters_of_db5s_length():
    bank = fc.random_lowpass_filters(20, seed=3)
    assert bank.shape == (20, 10)
    np.testing.assert_allclose(bank.sum(axis=1), np.sqrt(2), atol=1e-12)
    assert max(orthonormality_error(h) for h in bank) < 1e-12
    np.testing.assert_array_equal(bank, fc.random_lowpass_filters(20, seed=3))
    assert np.abs(bank - fc.random_lowpass_filters(20, seed=4)).max() > 0.1


def test_best_cv_of_k_takes_the_test_score_of_the_best_cross_validated_filter():
    # columns: (CV R², test RMSE); with k = all, every draw picks the top CV row
    scores = np.array([[0.1, 5.0], [0.9, 2.0], [0.5, 1.0], [0.3, 4.0]])
    assert fc.best_cv_of(scores, 4, draws=10) == 2.0
    # with k = 1 the mean over many draws is the plain mean of the test column
    assert abs(fc.best_cv_of(scores, 1, draws=20000) - scores[:, 1].mean()) < 0.05


def test_the_distillation_starts_from_the_random_filter_with_the_best_cv_score():
    from bench.science.distil_from_best import best_cv_filter

    scores = np.array([[0.1, 5.0], [0.2, 4.0], [0.9, 6.0], [0.3, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(best_cv_filter(scores, seed=7), fc.random_lowpass_filters(5, seed=7)[2])
