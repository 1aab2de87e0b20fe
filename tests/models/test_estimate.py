"""The run-time cost model behind the configure page's estimate and the API's time-limit check."""

import pytest

from awd_studio.models.estimate import _loglog, estimate_seconds


def test_estimate_grows_with_work():
    small = estimate_seconds("timeseries", [64], 200, 2, 2)
    big = estimate_seconds("timeseries", [64], 200, 105, 100)
    assert 0 < small < big
    assert estimate_seconds("timeseries", [64], 200, 2, 2, "integrated_gradients") > small


def test_vectorised_grid_costs_less_than_its_points():
    # 32 points cost about 3.9 times one point per epoch, not 32 times
    one = estimate_seconds("timeseries", [64], 100_000, 1, 100, teacher="ds-uploaded")
    many = estimate_seconds("timeseries", [64], 100_000, 32, 100, teacher="ds-uploaded")
    assert 3.0 < many / one < 4.5


def test_free_filter_differentiates_the_teacher_twice():
    def per_50_epochs(parametrization):
        return (estimate_seconds("timeseries", [64], 5000, 8, 100, teacher="lstm", parametrization=parametrization)
                - estimate_seconds("timeseries", [64], 5000, 8, 50, teacher="lstm", parametrization=parametrization))

    assert per_50_epochs("free") / per_50_epochs("orthogonal") > 10


def test_power_law_between_table_points():
    assert _loglog({64: 1.0, 256: 4.0}, 128) == pytest.approx(2.0)
