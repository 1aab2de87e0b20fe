"""Which peak statistic lets a wavelet filter compete with the Roberts cross? An experiment on the lensing example.

Usage::

    python -m bench.science.map_statistics [--seeds 0,1] [--out FILE]

The paper's map student (the product's ``peak_response="kernels"``) histograms four *linear* 3 x 3 responses
at each peak: the LL, LH, HL and HH sub-filters of the wavelet (``models.filters.subfilters_3x3``). The Roberts
cross reads a *nonlinear* quantity, the gradient's magnitude. This script scores every statistic through one
protocol, so that the comparison does not depend on how each one's histogram range was tuned. It scores fixed
wavelets, without distillation; it led to the product's default ``peak_response="magnitude"``.

* the lensing example of each seed, split as a job splits it (``models.data.split_dataset``, seed 0);
* peaks found once on the raw maps (``models.students.peaks.peak_patches``);
* per channel, 22 bins on [0, f * q99], with q99 the 99th percentile of the channel's positive training
  responses and f chosen among 0.6, 0.8, 1.0, 1.2 and 1.4 by the cross-validated score (the same, slightly
  optimistic, choice for every statistic);
* the chi² student with pooled covariance on full parameter rows (``models.students.maps``), on the product's
  3 x 5-fold splits (``models.pipeline.selection.cv_splits``); the score is the R² of Omega_m; test RMSE of
  Omega_m from a fit on all training maps.

Statistics: ``roberts`` and ``laplace`` (the product's fixed filters), and for each of 11 standard wavelets
``kernels`` (the paper's four responses) and ``magnitude`` (the LL response and
``sqrt(LH^2 + HL^2 + HH^2)``, two histograms). docs/science.md ("Maps") reports a run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

__all__ = ["WAVELETS", "FACTORS", "score_statistic", "run_seed"]

#: The standard wavelets scored (every orthogonal one with at least 3 taps up to 12).
WAVELETS = ("db2", "db3", "db4", "db5", "db6", "sym4", "sym5", "sym6", "coif1", "coif2", "db7")
#: Candidate upper bounds of the histogram range, in units of the channel's 99th percentile.
FACTORS = (0.6, 0.8, 1.0, 1.2, 1.4)
BINS = 22


def _histograms(values, sample, n_maps, highs):
    """(n_maps, C * BINS) peak counts of each channel on [0, its high], binned as the product bins them
    (:func:`models.students.peaks.bin_peak_values`), one range per channel."""
    from awd_studio.models.students.peaks import bin_peak_values

    return np.concatenate([bin_peak_values(values[:, c][None, :], sample, n_maps, (0.0, high), BINS)
                           for c, high in enumerate(highs)], axis=1)


def _responses(patches, statistic, h=None):
    """(n_peaks, C) values of a statistic at the peaks' 3 x 3 neighbourhoods (rows of 9, centre at 4)."""
    from awd_studio.models.filters import subfilters_3x3
    from awd_studio.models.students.peaks import LAPLACE_KERNEL

    if statistic == "laplace":
        return patches @ np.asarray(LAPLACE_KERNEL).ravel()[:, None]
    if statistic == "roberts":  # |d/dx|^2 + |d/dy|^2 on the four 2 x 2 windows around the centre, summed
        p = patches.reshape(-1, 3, 3)
        total = 0.0
        for i in (0, 1):
            for j in (0, 1):
                w = p[:, i:i + 2, j:j + 2]
                total = total + np.sqrt((w[:, 0, 0] - w[:, 1, 1]) ** 2 + (w[:, 0, 1] - w[:, 1, 0]) ** 2)
        return total[:, None]
    kernels = subfilters_3x3(h)
    r = patches @ np.stack([np.asarray(kernels[k]).ravel() for k in ("LL", "LH", "HL", "HH")], axis=1)
    if statistic == "kernels":
        return r
    return np.concatenate([r[:, :1], np.sqrt((r[:, 1:] ** 2).sum(axis=1, keepdims=True))], axis=1)


def score_statistic(train, test, y_train, y_test, column, splits, statistic, h=None):
    """``(cv_r2, test_rmse, factor)`` of one statistic, at the range factor with the best CV R²."""
    from awd_studio.models.students.maps import _Chi2Model

    v_train, v_test = _responses(train.patches, statistic, h), _responses(test.patches, statistic, h)
    q99 = [float(np.quantile(v_train[v_train[:, c] > 0, c], 0.99)) for c in range(v_train.shape[1])]
    best = None
    for factor in FACTORS:
        highs = [factor * q for q in q99]
        f_train = _histograms(v_train, train.sample, train.n_maps, highs)
        scores = []
        for fit_rows, val_rows in splits:
            model = _Chi2Model("pooled").fit(f_train[fit_rows], y_train[fit_rows])
            y_val, pred = y_train[val_rows, column], model.predict(f_train[val_rows])[:, column]
            scores.append(1.0 - np.sum((y_val - pred) ** 2) / np.sum((y_val - y_val.mean()) ** 2))
        cv = float(np.mean(scores))
        if best is None or cv > best[0]:
            pred = _Chi2Model("pooled").fit(f_train, y_train).predict(
                _histograms(v_test, test.sample, test.n_maps, highs))[:, column]
            best = (cv, float(np.sqrt(np.mean((pred - y_test[:, column]) ** 2))), factor)
    return best


def run_seed(seed, log=print):
    """Every statistic on the lensing example of one seed; returns ``{name: (cv_r2, test_rmse, factor)}``."""
    from awd_studio.models.data import make_example
    from awd_studio.models.data.dataset import split_dataset
    from awd_studio.models.filters import lowpass_filter
    from awd_studio.models.pipeline.selection import cv_splits
    from awd_studio.models.students.peaks import peak_patches

    dataset = make_example("lensing", seed=seed)
    X, y, X_test, y_test = split_dataset(dataset, test_fraction=0.2, seed=0)
    y, y_test = np.asarray(y, float).reshape(len(X), -1), np.asarray(y_test, float).reshape(len(X_test), -1)
    train, test = peak_patches(X), peak_patches(X_test)
    splits = cv_splits(len(X), 5, 3, 0)
    args = (train, test, y, y_test, 0, splits)  # column 0: Omega_m
    out = {name: score_statistic(*args, name) for name in ("roberts", "laplace")}
    for wave in WAVELETS:
        h = lowpass_filter(wave)
        for statistic in ("kernels", "magnitude"):
            out[f"{wave} {statistic}"] = score_statistic(*args, statistic, h)
        log(f"seed {seed} {wave}: kernels {out[wave + ' kernels'][0]:.3f}, magnitude {out[wave + ' magnitude'][0]:.3f}")
    return out


def table(results):
    """Markdown: CV R² and test RMSE of Omega_m per statistic, one column per seed."""
    seeds = sorted(results)
    lines = ["| statistic | " + " | ".join(f"seed {s}: CV R², test RMSE" for s in seeds) + " |",
             "|---|" + "---|" * len(seeds)]
    for name in results[seeds[0]]:
        cells = [f"{results[s][name][0]:.3f}, {results[s][name][1]:.4f}" for s in seeds]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default=None, help="also write the table here (Markdown)")
    opts = parser.parse_args(argv)
    results = {int(s): run_seed(int(s)) for s in opts.seeds.split(",")}
    text = table(results)
    print(text)
    if opts.out:
        Path(opts.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
