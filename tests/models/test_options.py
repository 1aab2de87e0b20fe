"""The grid presets hold the values docs/science.md gives for them ("Where the paper's settings come from")."""

import numpy as np
import pytest

from awd_studio.models.options import grid_preset


@pytest.mark.parametrize("kind, preset, lambdas, gammas, epochs", [
    ("timeseries", "paper", np.geomspace(1e-4, 5e-3, 5), np.r_[0.0, np.geomspace(1e-4, 10, 20)], 100),
    ("image", "paper", [0.005, 0.01, 0.02], np.r_[0.0, np.geomspace(0.001, 0.05, 10)], 50),
    ("timeseries", "synthetic", np.geomspace(1e-5, 1e-4, 5), np.r_[0.0, np.geomspace(1e-5, 50, 20)], 50),
])
def test_the_paper_presets_are_the_reference_procedures(kind, preset, lambdas, gammas, epochs):
    grid = grid_preset(kind, preset)
    np.testing.assert_allclose(grid["lambdas"], lambdas, rtol=1e-12)
    np.testing.assert_allclose(grid["gammas"], gammas, rtol=1e-12)
    assert grid["epochs"] == epochs and grid["lr"] == 1e-3


def test_the_papers_cme_point_lies_on_the_time_series_grid():
    grid = grid_preset("timeseries", "paper")
    assert 0.005 in [round(v, 6) for v in grid["lambdas"]]
    assert min(abs(g - 0.043) for g in grid["gammas"]) < 5e-4  # geomspace(1e-4, 10, 20)[10] = 0.0428
