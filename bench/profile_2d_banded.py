"""The 2D data terms with dense level operators against the banded first level (``bench/banded_prototype.py``).

Usage: ``.venv/bin/python bench/profile_2d_banded.py [--reps 5] [--skip-kernel] [--skip-step] [--check]
[--threads 1,2] [--grids paper,default] [--parametrizations orthogonal,free]`` (about 20 min with everything).

* kernel: :func:`models.separable_terms.separable_data_terms` forward and backward to the filters (dense
  per-level operators, the trainer's code) against :func:`banded_prototype.banded_data_terms`, at the lensing
  example's sizes: maps 64 x 64, J = 4, periodization, db5-sized random filters (N = 10), float32, batch 100
  (and the trainer's micro-batch, ``MICRO_BATCH_VALUES // (G H W)`` maps), G = 33 (paper grid) and 15 (default),
  saliency and input x gradient, with and without the reconstruction term, on 1 and 2 threads;
* step: one whole training epoch of :class:`models.distill.WaveletDistiller` (the lensing maps, a random CNN
  teacher, eq. 8 with precomputed input gradients, batch 100, the paper grid and the default grid, orthogonal
  and free filter), the trainer as it is against a subclass whose ``_separable_losses`` uses the banded first
  level; seconds per training step (the epoch's time / its batches).

Both sides run in this one process, interleaved repeat by repeat (dense first in odd repeats, banded first in
even ones). Prints min / median / max milliseconds and the ratio dense / banded of the medians, and one
``BENCH_JSON`` line with every measurement. ``--check`` first compares values and gradients (float64, float32).
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from banded_prototype import banded_data_terms, separable_band_operators  # noqa: E402

from awd_studio.models import distill as distill_module  # noqa: E402
from awd_studio.models.data import make_example  # noqa: E402
from awd_studio.models.distill import WaveletDistiller, _loss_rows, _weighted_validity  # noqa: E402
from awd_studio.models.options import GRID_PRESETS  # noqa: E402
from awd_studio.models.separable_terms import separable_data_terms, separable_level_operators  # noqa: E402
from awd_studio.models.teachers import build_teacher  # noqa: E402

SHAPE, LEVELS, TAPS = (64, 64), 4, 10


class BandedDistiller(WaveletDistiller):
    """The trainer with the banded first level in its separable data terms (the prototype's switch)."""

    def _separable_losses(self, h, xb, gxb, lam, gam, weights, use_interp):
        ops = separable_level_operators(h, xb.shape[1:], self.levels, self.mode)
        band = separable_band_operators(h, xb.shape[1:])
        options = dict(n_bands=self.levels + 1, times_coeffs=self.attribution != "saliency",
                       reconstruction=not self._reconstruction_is_exact())
        interpreted = (gam > 0).nonzero().flatten() if use_interp else gam.new_zeros(0, dtype=torch.long)

        def pick(index):
            return [t.index_select(0, index) for t in band], [op.index_select(0, index) for op in ops]

        if len(interpreted) in (0, len(gam)):
            sparsity, interpretation, reconstruction = banded_data_terms(
                xb, gxb if len(interpreted) else None, band, ops, **options)
        else:
            plain = (gam == 0).nonzero().flatten()
            with_interp = banded_data_terms(xb, gxb, *pick(interpreted), **options)
            without = banded_data_terms(xb, None, *pick(plain), **options)
            order = torch.argsort(torch.cat((interpreted, plain)))
            sparsity, interpretation, reconstruction = (torch.cat((a, b))[order] for a, b in zip(with_interp, without))
        return _loss_rows(reconstruction, _weighted_validity(h, weights), lam * sparsity, gam * interpretation)


def _terms(path, h, X, GX, times_coeffs, reconstruction):
    """Values of the three terms and the gradient of their sum with respect to h, by one path."""
    hh = h.clone().requires_grad_(True)
    ops = separable_level_operators(hh, X.shape[1:], LEVELS, "periodization")
    if path == "dense":
        values = separable_data_terms(X, GX, ops, LEVELS + 1, times_coeffs, reconstruction)
    else:
        values = banded_data_terms(X, GX, separable_band_operators(hh, X.shape[1:]), ops, LEVELS + 1, times_coeffs,
                                   reconstruction)
    (grad,) = torch.autograd.grad(sum(v.sum() for v in values), hh)
    return torch.stack([v.detach() for v in values]), grad


def _problem(G, B, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(G, TAPS, generator=gen, dtype=torch.float64).to(dtype) / 3
    X = torch.randn(B, *SHAPE, generator=gen, dtype=torch.float64).to(dtype)
    GX = torch.randn(B, *SHAPE, generator=gen, dtype=torch.float64).to(dtype)
    return h, X, GX


def check():
    """Largest relative difference of values and gradients, banded against dense."""
    for dtype in (torch.float64, torch.float32):
        h, X, GX = _problem(5, 7, dtype)
        worst = 0.0
        for times_coeffs in (True, False):
            for reconstruction in (True, False):
                (vd, gd), (vb, gb) = (_terms(p, h, X, GX, times_coeffs, reconstruction) for p in ("dense", "band"))
                worst = max(worst, float((vd - vb).abs().max() / vd.abs().max()),
                            float((gd - gb).abs().max() / gd.abs().max()))
        print(f"check {dtype}: largest relative difference {worst:.1e}")


def _summary(times):
    ms = np.asarray(times) * 1e3
    return {"min": float(ms.min()), "median": float(np.median(ms)), "max": float(ms.max())}


def kernel(reps, thread_counts=(1, 2), grids=(33, 15)):
    """Forward + backward of the data terms, dense and banded, interleaved."""
    rows = []
    for threads in thread_counts:
        torch.set_num_threads(threads)
        for G in grids:
            micro = distill_module.MICRO_BATCH_VALUES // (G * SHAPE[0] * SHAPE[1])
            for B in (100, micro):
                h, X, GX = _problem(G, B, torch.float32)
                for times_coeffs in (False, True):
                    for reconstruction in (False, True):
                        args = (h, X, GX, times_coeffs, reconstruction)
                        _terms("dense", *args), _terms("band", *args)  # warm-up
                        times = {"dense": [], "band": []}
                        for rep in range(reps):
                            for path in (("dense", "band") if rep % 2 == 0 else ("band", "dense")):
                                start = time.perf_counter()
                                _terms(path, *args)
                                times[path].append(time.perf_counter() - start)
                        row = {"threads": threads, "G": G, "B": B,
                               "attribution": "input_x_gradient" if times_coeffs else "saliency",
                               "reconstruction": reconstruction, "dense_ms": _summary(times["dense"]),
                               "band_ms": _summary(times["band"])}
                        row["ratio"] = row["dense_ms"]["median"] / row["band_ms"]["median"]
                        rows.append(row)
                        _print(row)
    return rows


def _print(row):
    d, b = row["dense_ms"], row["band_ms"]
    what = "  ".join(f"{k}={row[k]}" for k in row if k not in ("dense_ms", "band_ms", "ratio"))
    print(f"{what}: dense {d['median']:.1f} ms ({d['min']:.1f}-{d['max']:.1f}), banded {b['median']:.1f} ms "
          f"({b['min']:.1f}-{b['max']:.1f}), dense/banded {row['ratio']:.2f}", flush=True)


def _fit_seconds_per_step(cls, X, teacher, preset, parametrization, threads):
    """Seconds per training step of each epoch of one fit (2 epochs)."""
    torch.set_num_threads(threads)
    grid = GRID_PRESETS["image"][preset]
    model = cls(wave="db5", levels=LEVELS, mode="periodization", parametrization=parametrization,
                lambdas=grid["lambdas"], gammas=grid["gammas"], epochs=2, batch_size=100, val_fraction=0.0,
                attribution="input_x_gradient", seed=0)
    seconds, steps = [], -(-X.shape[0] // model.batch_size)
    inner = model._train_one_epoch

    def timed(*args, **kwargs):
        start = time.perf_counter()
        out = inner(*args, **kwargs)
        seconds.append((time.perf_counter() - start) / steps)
        return out

    model._train_one_epoch = timed
    model.fit(X, teacher)
    return seconds, model.filters_


def step(reps, thread_counts=(2, 1), presets=("paper", "default"), parametrizations=("orthogonal", "free"),
         n=300):
    """Whole training steps of the trainer, dense against banded, interleaved."""
    data = make_example("lensing", n=n, seed=0)
    X = data.X[:n].astype(np.float32)
    torch.manual_seed(0)
    teacher = build_teacher("cnn", X.shape[1:], 2).eval()
    rows = []
    for threads in thread_counts:
        for preset in presets:
            for parametrization in parametrizations:
                times, filters = {"dense": [], "band": []}, {}
                for rep in range(reps):
                    for path in (("dense", "band") if rep % 2 == 0 else ("band", "dense")):
                        cls = WaveletDistiller if path == "dense" else BandedDistiller
                        seconds, filters[path] = _fit_seconds_per_step(cls, X, teacher, preset, parametrization,
                                                                       threads)
                        times[path].extend(seconds)
                row = {"threads": threads, "grid": preset, "parametrization": parametrization,
                       "dense_ms": _summary(times["dense"]), "band_ms": _summary(times["band"]),
                       "max_filter_gap": float(np.abs(filters["dense"] - filters["band"]).max())}
                row["ratio"] = row["dense_ms"]["median"] / row["band_ms"]["median"]
                rows.append(row)
                _print(row)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--skip-kernel", action="store_true")
    ap.add_argument("--skip-step", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    ap.add_argument("--grids", default="paper,default", help="grid presets (paper: G = 33, default: G = 15)")
    ap.add_argument("--parametrizations", default="orthogonal,free", help="of the whole steps")
    args = ap.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    presets = args.grids.split(",")
    sizes = [{"paper": 33, "default": 15}[p] for p in presets]
    if args.check:
        check()
    result = {"kernel": [] if args.skip_kernel else kernel(args.reps, threads, sizes),
              "step": [] if args.skip_step else step(args.reps, threads[::-1], presets,
                                                     args.parametrizations.split(","))}
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
