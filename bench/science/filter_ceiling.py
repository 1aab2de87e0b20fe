"""How well can *any* wavelet do as the map student's filter? Random orthogonal wavelets against the fixed filters.

Usage::

    python -m bench.science.filter_ceiling [--cases lensing,halo] [--seeds 0] [--n-filters 300] [--out FILE]

Distillation chooses one orthogonal lowpass filter of 10 taps (db5's length); the map student reads its 3 x 3
sub-filters at the peaks of the raw maps. If no such filter, however it was found, reads more about the
cosmology than the Roberts cross does, then distillation cannot beat the Roberts cross with this student, and
a miss says nothing about the trainer. This script measures that ceiling directly:

* ``n`` lowpass filters drawn uniformly in the lattice angles (``models.filters.lattice``; four free angles,
  ``sum h = sqrt 2``), as the start search draws them, plus db5;
* every filter, the Roberts cross and the Laplace kernel scored through one protocol,
  :func:`bench.science.map_statistics.score_statistic` (peaks of the raw maps, 22 bins per channel on
  ``[0, f * q99]`` with ``f`` chosen by cross-validated R², the chi² student on full parameter rows, the job's
  3 x 5-fold splits), with the product's default student (``magnitude``: the LL response and the detail
  magnitude);
* the data of a job on the example (``lensing``: ``models.data.make_example``; ``halo``: the independent
  :mod:`bench.science.halo_maps`, 2000 maps), split as a job splits them.

Reported per case and seed: the fixed filters' test RMSE of Omega_m, and over the random filters the best test
RMSE (an oracle: it looks at the test set), its 5th percentile and median, the test RMSE of the filter with the
best cross-validated R² among all of them, and the mean of that choice among 15 of them (as many candidates as
the maps' default distillation grid has points); with ``--out``, every filter's pair of scores in an ``.npz``
beside the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

__all__ = ["random_lowpass_filters", "split_case_data", "run_case", "random_scores", "follow_up_main"]

#: Lattice angles of a 10-tap filter (db5's length, the product's default for maps).
N_ANGLES = 5


def random_lowpass_filters(n, seed=0):
    """(n, 10) orthonormal lowpass filters, uniform in four free lattice angles (the last one completes them):
    the product's own draw (:func:`models.filters.random_lowpass_filters`, the job's ``random_search`` control)."""
    from awd_studio.models.filters import random_lowpass_filters as draw

    return draw(n, 2 * N_ANGLES, seed=seed)


def split_case_data(case, seed):
    """Training and test maps of a case and seed as the science benchmark's job splits them; targets (n, k)."""
    from awd_studio.models.data import make_example
    from awd_studio.models.data.dataset import split_dataset

    if case == "halo":
        from bench.science.halo_maps import simulate_halo_maps

        dataset = simulate_halo_maps(n=2000, seed=seed)
    else:
        dataset = make_example(case, seed=seed)
    X, y, X_test, y_test = split_dataset(dataset, test_fraction=0.2, seed=seed)
    return (X, np.asarray(y, float).reshape(len(X), -1), X_test,
            np.asarray(y_test, float).reshape(len(X_test), -1))


def run_case(case, seed, n_filters, log=print):
    """Scores of the fixed filters, db5 and ``n_filters`` random wavelets on one case and seed.

    Returns
    -------
    dict
        ``fixed``: {name: (cv_r2, test_rmse)} for roberts, laplace and db5; ``random``: (n_filters, 2) array of
        (cv_r2, test_rmse); ``seconds``.
    """
    from awd_studio.models.filters import lowpass_filter
    from awd_studio.models.pipeline.selection import cv_splits
    from awd_studio.models.students.peaks import peak_patches
    from bench.science.map_statistics import score_statistic

    t0 = time.perf_counter()
    X, y, X_test, y_test = split_case_data(case, seed)
    train, test = peak_patches(X), peak_patches(X_test)
    args = (train, test, y, y_test, 0, cv_splits(len(X), 5, 3, 0))  # column 0: Omega_m
    fixed = {name: score_statistic(*args, name)[:2] for name in ("roberts", "laplace")}
    fixed["db5"] = score_statistic(*args, "magnitude", lowpass_filter("db5"))[:2]
    scores = []
    for i, h in enumerate(random_lowpass_filters(n_filters, seed=seed)):
        scores.append(score_statistic(*args, "magnitude", h)[:2])
        if (i + 1) % 50 == 0:
            log(f"{case} seed {seed}: {i + 1}/{n_filters} filters ({time.perf_counter() - t0:.0f} s)")
    return {"fixed": fixed, "random": np.asarray(scores), "seconds": time.perf_counter() - t0}


def best_cv_of(random, k, draws=2000, seed=0):
    """Mean test RMSE of the filter with the best CV R² among ``k`` of the random filters (``draws`` random
    subsets): what a data-driven choice among as many candidates as a distillation grid would deliver."""
    rng = np.random.default_rng(seed)
    picks = [random[subset[np.argmax(random[subset, 0])], 1]
             for subset in (rng.choice(len(random), size=k, replace=False) for _ in range(draws))]
    return float(np.mean(picks))


def random_scores(path, case, seed):
    """(n, 2) (CV R², test RMSE) of the random filters of one case and seed, from the ``.npz`` that ``--out``
    writes beside the table (filter i is ``random_lowpass_filters(n, seed)[i]``)."""
    with np.load(path, allow_pickle=False) as stored:
        return stored[f"{case}_{seed}_random"]


def follow_up_main(description, run, argv=None):
    """Command line of the experiments that follow up on this one's scores: ``CASE SEED --scores FILE.npz``,
    then ``run(case, seed, scores)`` with :func:`random_scores`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("case", choices=("halo", "lensing"))
    parser.add_argument("seed", type=int)
    parser.add_argument("--scores", required=True, help="the .npz that filter_ceiling --out wrote beside its table")
    opts = parser.parse_args(argv)
    run(opts.case, opts.seed, random_scores(opts.scores, opts.case, opts.seed))


def summary_row(case, seed, result):
    """One Markdown row: test RMSE of Omega_m x 1e-2 of every reference and of the random filters."""
    fixed, random = result["fixed"], result["random"]
    rmse = random[:, 1] * 100
    cv_pick = random[int(np.argmax(random[:, 0])), 1] * 100
    beat = int(np.sum(random[:, 1] < fixed["roberts"][1]))
    cells = [case, str(seed), f"{fixed['roberts'][1] * 100:.3f}", f"{fixed['laplace'][1] * 100:.3f}",
             f"{fixed['db5'][1] * 100:.3f}", f"{rmse.min():.3f}", f"{np.percentile(rmse, 5):.3f}",
             f"{np.median(rmse):.3f}", f"{cv_pick:.3f}", f"{best_cv_of(random, GRID_SIZE) * 100:.3f}",
             f"{beat} of {len(rmse)}", f"{result['seconds']:.0f}"]
    return "| " + " | ".join(cells) + " |"


#: Points of the maps' default distillation grid: the size of the fair data-driven comparison.
GRID_SIZE = 15

HEADER = ("| case | seed | Roberts | Laplace | db5 | random: best (oracle) | random: 5th percentile | random: median | "
          f"random: best CV R² of all | random: best CV R² of {GRID_SIZE} (mean) | random filters below Roberts | s |\n"
          + "|---" * 12 + "|")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="lensing,halo")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--n-filters", type=int, default=300)
    parser.add_argument("--out", default=None, help="also write the table here (Markdown)")
    opts = parser.parse_args(argv)
    rows, raw = [], {}
    for case in opts.cases.split(","):
        for seed in (int(s) for s in opts.seeds.split(",")):
            result = run_case(case, seed, opts.n_filters)
            rows.append(summary_row(case, seed, result))
            raw[f"{case}_{seed}_random"] = result["random"]
            raw.update({f"{case}_{seed}_{name}": np.asarray(v) for name, v in result["fixed"].items()})
            print(rows[-1], flush=True)
            if opts.out:  # every (CV R², test RMSE) pair, for other summaries
                np.savez(Path(opts.out).with_suffix(".npz"), **raw)
    text = ("Test RMSE of Omega_m x 1e-2 (lower is better), detail-magnitude student.\n\n" + HEADER + "\n"
            + "\n".join(rows))
    print(text)
    if opts.out:
        Path(opts.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
