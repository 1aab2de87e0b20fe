"""Does eq. 8, evaluated at fixed random wavelets, rank them as the map student's test RMSE does?

Usage::

    python -m bench.science.filter_ceiling --cases halo --seeds 0 --out /tmp/ceiling.md   # the scores first
    python -m bench.science.eq8_ranking halo 0 --scores /tmp/ceiling.npz

For one case and seed of :mod:`bench.science.filter_ceiling` (the same data, split and 300 random filters), this
trains the job's CNN teacher, computes the data terms of eq. 8 at every filter on 512 training maps (sparsity
``sum_i ||Psi x_i||_1`` and interpretation ``sum_i ||Psi grad f(x_i)||_1``, each divided by ``B (J + 1)`` as the
trainer normalises them; periodization, J = 4; for these orthogonal filters the reconstruction and validity terms
are zero) and prints, for each point of the maps' default grid, the Spearman correlation of the loss
``lambda S + gamma I`` with the student's test RMSE, and the test RMSE of the filter with the lowest loss (where a
start search on eq. 8 would start that grid point). docs/science.md ("Maps: how far could any wavelet go") reports
a run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

__all__ = ["l1_data_term", "rank_against_student"]

#: Levels of the maps' transform (the job's default) and maps used for the data terms.
LEVELS = 4
N_MAPS = 512


def l1_data_term(signals, filters, levels=LEVELS):
    """``sum_i ||Psi_h s_i||_1 / (B (J + 1))`` for each filter: eq. 8's sparsity (or, on teacher gradients, its
    saliency interpretation) term as the trainer normalises it.

    Parameters
    ----------
    signals : Tensor of shape (B, H, W), float64
    filters : ndarray of shape (G, N)
        Orthonormal lowpass filters.
    levels : int

    Returns
    -------
    ndarray of shape (G,)
    """
    import torch

    from awd_studio.models.wavelets.transform2d import wavedec2d

    out = []
    for start in range(0, len(filters), 30):  # 30 filters at a time bound the coefficients' memory
        coeffs = wavedec2d(signals, torch.as_tensor(filters[start:start + 30]), levels)
        total = coeffs[0].abs().sum(dim=(-1, -2, -3))
        for band in coeffs[1:]:
            total = total + sum(c.abs().sum(dim=(-1, -2, -3)) for c in band)
        out.append((total / (signals.shape[0] * (levels + 1))).numpy())
    return np.concatenate(out)


def rank_against_student(case, seed, scores, log=print):
    """Print eq. 8's ranking of the random filters against the student's test RMSE, per default grid point.

    ``scores`` is the (n, 2) array of :func:`bench.science.filter_ceiling.random_scores`."""
    import torch
    from scipy.stats import spearmanr

    from awd_studio.models.attributions import teacher_input_gradients
    from awd_studio.models.options import grid_preset
    from awd_studio.models.teachers.training import train_teacher
    from bench.science.filter_ceiling import random_lowpass_filters, split_case_data

    X, y, _, _ = split_case_data(case, seed)
    teacher = train_teacher("cnn", X, y[:, 0], seed=seed)
    rows = np.random.default_rng(0).choice(len(X), min(N_MAPS, len(X)), replace=False)
    maps = torch.as_tensor(X[rows], dtype=torch.float64)
    grads = teacher_input_gradients(teacher, torch.as_tensor(X[rows], dtype=torch.float32)).double()
    filters = random_lowpass_filters(len(scores), seed=seed)
    sparsity, interpretation = l1_data_term(maps, filters), l1_data_term(grads, filters)
    rmse = scores[:, 1]
    grid = grid_preset("image", "default")
    log(f"{case} seed {seed}: Spearman with the test RMSE: sparsity {spearmanr(sparsity, rmse).statistic:+.3f}, "
        f"interpretation {spearmanr(interpretation, rmse).statistic:+.3f}")
    for lam in grid["lambdas"]:
        for gam in grid["gammas"]:
            loss = lam * sparsity + gam * interpretation
            log(f"  lambda {lam:g}, gamma {gam:g}: Spearman {spearmanr(loss, rmse).statistic:+.3f}; the "
                f"lowest-loss filter's test RMSE x 1e-2 {rmse[np.argmin(loss)] * 100:.3f}")


def main(argv=None):
    from bench.science.filter_ceiling import follow_up_main

    follow_up_main(__doc__.splitlines()[0], rank_against_student, argv)


if __name__ == "__main__":
    main()
