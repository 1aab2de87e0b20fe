"""Before/after timing of the 2D distillation, side by side in one process, and its speed-up on more threads.

Usage: ``python bench/profile_2d.py [--n 200] [--epochs 2] [--reps 3] [--mode zero] [--parametrization free]``.
Fits the lensing example's default grid (3 x 5 points, J = 3, periodization, orthogonal filter, the gradient of
eq. 8, unless the options say otherwise) on ``n`` maps with a random CNN teacher, interleaving the
configurations repeat by repeat:

* ``recompute reconstruction, 1 thread``: the synthesis pass the exact-reconstruction shortcut skips, with the
  transform recorded by autograd;
* ``skip exact reconstruction, recorded, 1 thread``: the shortcut, the transform still recorded by autograd;
* ``separable terms, 1 thread``: the trainer's default, the L1 terms with their hand-written backward
  (``models/separable_terms.py``);
* ``separable terms, all threads``: the same on every core available to the process.

Prints one line per configuration: median (min-max) whole-fit seconds, and the largest filter difference from
the first configuration (the shortcuts change rounding only).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from awd_studio.models.cores import available_cores  # noqa: E402
from awd_studio.models.data import make_example  # noqa: E402
from awd_studio.models.distill import WaveletDistiller  # noqa: E402
from awd_studio.models.teachers import build_teacher  # noqa: E402


def fit_once(X, teacher, skip, separable, threads, epochs, mode="periodization", parametrization="orthogonal"):
    torch.set_num_threads(threads)
    model = WaveletDistiller(wave="db5", levels=3, mode=mode, parametrization=parametrization,
                             lambdas=[0.005, 0.01, 0.02], gammas=[0.0, 0.001, 0.005, 0.02, 0.05], epochs=epochs,
                             batch_size=100, val_fraction=0.1, seed=0)
    model.skip_exact_reconstruction = skip
    model.separable_terms = separable
    start = time.perf_counter()
    model.fit(X, teacher)
    return time.perf_counter() - start, model.filters_


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--mode", default="periodization", choices=["periodization", "zero"])
    ap.add_argument("--parametrization", default="orthogonal", choices=["orthogonal", "free"],
                    help="free: the reconstruction term is computed in every configuration")
    args = ap.parse_args(argv)
    data = make_example("lensing", n=int(args.n / 0.8) + 2, seed=0)
    X = data.X[:args.n].astype(np.float32)
    torch.manual_seed(0)
    teacher = build_teacher("cnn", X.shape[1:], 2).eval()
    configs = {"recompute reconstruction, 1 thread": (False, False, 1),
               "skip exact reconstruction, recorded, 1 thread": (True, False, 1),
               "separable terms, 1 thread": (True, True, 1),
               f"separable terms, all threads ({available_cores()})": (True, True, available_cores())}
    times = {k: [] for k in configs}
    filters = {}
    for _ in range(args.reps):
        for name, (skip, separable, threads) in configs.items():
            seconds, h = fit_once(X, teacher, skip, separable, threads, args.epochs, args.mode, args.parametrization)
            times[name].append(seconds)
            filters[name] = h
    first = next(iter(configs))
    base = float(np.median(times[first]))
    for name, ts in times.items():
        gap = float(np.max(np.abs(filters[name] - filters[first])))
        print(f"{name}: whole fit {np.median(ts):.2f} s ({min(ts):.2f}-{max(ts):.2f}), "
              f"speed-up vs first {base / np.median(ts):.2f}x, max |h - h_first| {gap:.1e}")


if __name__ == "__main__":
    main()
