"""Does distillation keep a wavelet that already reads peaks well? Distil from the best random wavelet and from db5.

Usage::

    python -m bench.science.filter_ceiling --cases halo --seeds 0 --out /tmp/ceiling.md   # the scores first
    python -m bench.science.distil_from_best halo 0 --scores /tmp/ceiling.npz

For one case and seed of :mod:`bench.science.filter_ceiling`, the random wavelet with the best cross-validated
score of the map student (no teacher involved) becomes the start of a distillation with the maps' default grid
(15 points, its epochs and step size, orthogonal filter, periodization, J = 4; the job's CNN teacher), and so does db5. Every
distilled filter is scored through the same protocol (:func:`bench.science.map_statistics.score_statistic`, the
detail-magnitude student), and the script prints the start's test RMSE of Omega_m, the grid's, and the test RMSE
of the grid point with the best CV score. docs/science.md ("Maps: how far could any wavelet go") reports a run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

__all__ = ["best_cv_filter", "distil_and_score"]


def best_cv_filter(scores, seed):
    """The random filter of :func:`bench.science.filter_ceiling.random_lowpass_filters` with the best CV R².

    Parameters
    ----------
    scores : ndarray of shape (n, 2)
        (CV R², test RMSE) of each of the ``n`` filters drawn with ``seed``.
    seed : int

    Returns
    -------
    ndarray of shape (10,)
    """
    from bench.science.filter_ceiling import random_lowpass_filters

    return random_lowpass_filters(len(scores), seed=seed)[int(np.argmax(scores[:, 0]))]


def distil_and_score(case, seed, scores, log=print):
    """Distil from the best random wavelet and from db5; log each start's and each grid's test RMSE.

    ``scores`` is the (n, 2) array of :func:`bench.science.filter_ceiling.random_scores`."""
    from awd_studio.models.distill import WaveletDistiller
    from awd_studio.models.filters import lowpass_filter
    from awd_studio.models.options import grid_preset
    from awd_studio.models.pipeline.selection import cv_splits
    from awd_studio.models.students.peaks import peak_patches
    from awd_studio.models.teachers.training import train_teacher
    from bench.science.filter_ceiling import split_case_data
    from bench.science.map_statistics import score_statistic

    X, y, X_test, y_test = split_case_data(case, seed)
    args = (peak_patches(X), peak_patches(X_test), y, y_test, 0, cv_splits(len(X), 5, 3, 0))
    teacher = train_teacher("cnn", X, y[:, 0], seed=seed)
    grid = grid_preset("image", "default")
    for name, start in (("best random wavelet by CV", best_cv_filter(scores, seed)), ("db5", lowpass_filter("db5"))):
        fit = WaveletDistiller(wave=start, levels=4, mode="periodization", parametrization="orthogonal",
                               lambdas=grid["lambdas"], gammas=grid["gammas"], epochs=grid["epochs"], seed=seed,
                               device="cpu").fit(X, teacher)
        scored = np.array([score_statistic(*args, "magnitude", h)[:2] for h in fit.filters_])
        rmse = scored[:, 1] * 100
        chosen = int(np.argmax(scored[:, 0]))
        moved = np.median([np.abs(h - start).max() for h in fit.filters_])
        log(f"{case} seed {seed}, from {name}: start {score_statistic(*args, 'magnitude', start)[1] * 100:.3f}; "
            f"grid min {rmse.min():.3f}, median {np.median(rmse):.3f}; best CV point {rmse[chosen]:.3f} "
            f"(lambda {fit.grid_[chosen][0]:g}, gamma {fit.grid_[chosen][1]:g}); median max |h - start| {moved:.3f}")


def main(argv=None):
    from bench.science.filter_ceiling import follow_up_main

    follow_up_main(__doc__.splitlines()[0], distil_and_score, argv)


if __name__ == "__main__":
    main()
