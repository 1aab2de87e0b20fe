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


# One resolution of the grid (models.options.resolve_grid): the pipeline, the cost model, the options' bound and the
# jobs' grid size each filled lambdas, gammas and epochs from the preset and added gamma = 0 themselves. What each
# gave before, for these configs: (kind, options) -> (lambdas, gammas, epochs, lr).
_BEFORE = [
    ("timeseries", {}, [1e-4, 7e-4, 5e-3], [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0], 50, 1e-3),
    ("timeseries", {"grid_preset": "paper"}, 5, 21, 100, 1e-3),
    ("timeseries", {"grid_preset": "synthetic"}, 5, 21, 50, 1e-3),
    ("timeseries", {"lambdas": [5e-3, 1e-4, 1e-4], "gammas": [0.1, 0.01], "epochs": 7, "lr": 0.002},
     [1e-4, 5e-3], [0.0, 0.01, 0.1], 7, 0.002),
    ("timeseries", {"gammas": [0.0, 0.5]}, [1e-4, 7e-4, 5e-3], [0.0, 0.5], 50, 1e-3),
    ("image", {}, [0.005, 0.01, 0.02], [0.0, 0.001, 0.005, 0.02, 0.05], 8, 2e-3),
    ("image", {"grid_preset": "paper"}, [0.005, 0.01, 0.02], 11, 50, 1e-3),
    ("image", {"lambdas": [0.01], "gammas": [0.02], "grid_preset": "paper"}, [0.01], [0.0, 0.02], 50, 1e-3),
    ("image", {"lambdas": [0.01, 0.02]}, [0.01, 0.02], [0.0, 0.001, 0.005, 0.02, 0.05], 8, 2e-3),
]


@pytest.mark.parametrize("kind, options, lambdas, gammas, epochs, lr", _BEFORE)
def test_the_grid_is_resolved_once_as_before(kind, options, lambdas, gammas, epochs, lr):
    from awd_studio.jobstate.summary import grid_size
    from awd_studio.models.estimate import estimate_job
    from awd_studio.models.options import PipelineConfig, resolve_grid
    from awd_studio.models.pipeline.config import resolve_config

    config = PipelineConfig.from_dict(options)
    shape = (64,) if kind == "timeseries" else (32, 32)
    resolved, _ = resolve_config(config, kind, shape, 2000)
    for got, want in ((resolved.lambdas, lambdas), (resolved.gammas, gammas)):
        assert (len(got) == want) if isinstance(want, int) else got == pytest.approx(want, rel=1e-12)
    assert 0.0 in resolved.gammas and (resolved.epochs, resolved.lr) == (epochs, lr)
    grid = resolve_grid(kind, config.grid_preset, lambdas=config.lambdas, gammas=config.gammas, epochs=config.epochs,
                        lr=config.lr)
    assert grid == {"lambdas": resolved.lambdas, "gammas": resolved.gammas, "epochs": epochs, "lr": lr}
    estimate = estimate_job(config, kind, shape, 2000)
    assert (estimate["grid_points"], estimate["epochs"]) == (len(resolved.lambdas) * len(resolved.gammas), epochs)
    assert grid_size(options, kind) == (len(resolved.lambdas), len(resolved.gammas))
    # a job whose dataset is gone: its size is known only when it lists both
    assert grid_size(options, None) == ((len(resolved.lambdas), len(resolved.gammas))
                                        if "lambdas" in options and "gammas" in options else None)


def test_the_options_bound_on_the_grid_counts_gamma_0():
    from awd_studio.models.options import MAX_GRID_POINTS, JobOptions

    lambdas = [i * 1e-4 for i in range(1, 21)]
    assert len(lambdas) * 20 == MAX_GRID_POINTS
    JobOptions(lambdas=lambdas, gammas=[i * 1e-3 for i in range(1, 20)])  # 19 gammas and 0: 400 points
    with pytest.raises(ValueError, match="420 grid points exceed"):
        JobOptions(lambdas=lambdas, gammas=[i * 1e-3 for i in range(1, 21)])


def test_a_preset_that_has_no_grid_for_the_kind_is_refused_and_the_reproduction_runs_the_synthetic_preset():
    from awd_studio.jobstate.summary import grid_size
    from awd_studio.models.options import resolve_grid
    from awd_studio.models.reproduce import SyntheticConfig

    with pytest.raises(ValueError, match="'synthetic' has no grid for image data"):
        resolve_grid("image", "synthetic", lambdas=[1e-3], gammas=[0.1], epochs=5, lr=1e-3)
    assert grid_size({"grid_preset": "synthetic", "lambdas": [1e-3], "gammas": [0.1]}, "image") == (1, 2)
    assert grid_size({"grid_preset": "synthetic"}, "image") is None
    preset = grid_preset("timeseries", "synthetic")
    config = SyntheticConfig()
    assert (list(config.lambdas), list(config.gammas), config.epochs, config.lr) == (
        preset["lambdas"], preset["gammas"], preset["epochs"], preset["lr"])
    np.testing.assert_allclose(config.gammas, [0.0, *np.geomspace(1e-5, 50, 20)], rtol=1e-15)
