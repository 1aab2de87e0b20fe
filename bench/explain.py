"""Benchmark of CartoonX explanations (models.explain): seconds per explanation, and the measurements behind
the defaults.

Usage::

    python bench/explain.py [--quick] [--defaults] [--repeats R]

Prints markdown tables on stdout. One thread throughout (set before torch is imported).

Part 1, always: seconds per explanation (the defaults of :data:`models.explain.DEFAULTS`: 200 Adam steps of
16 perturbations, then 128 perturbations for the final numbers) of a 64 x 64 map and of a 64-sample series,
median of ``R`` runs, with

* the teacher: the built-in CNN for the map, the built-in LSTM and MLP for the series (``build_teacher``,
  weights as initialised: the cost of an explanation depends on the architecture, not on the weights);
* the distilled student: for the series :class:`models.explain.torch_student.TopKStudent` (top-k per band and a
  linear model on the coefficients of db5, J = 4, k = 6, fitted on the synthetic burst series); the map
  student counts peaks into histograms, which has no gradient, so it cannot be explained this way (n/a);
* a linear model on the flattened input: what the transform, the noise and Adam cost on their own;
* the pixel-mask baseline with the same teacher.

Part 2, ``--defaults``: on the synthetic problems of :mod:`models.explain.synthetic` (the 32 x 32 blob maps
with a position-aware CNN, the burst series with the MLP teacher, as in the tests), the objective reached
after 50 to 400 steps for three step sizes and three lambdas, the final objective and the agreement with the
known support for 4 to 32 perturbations per step, and levels 2 and 3 on the blob maps.
"""

import argparse
import os
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_name] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from awd_studio.models.explain import (  # noqa: E402
    DEFAULTS,
    TopKStudent,
    analyze,
    blob_maps,
    blob_template,
    burst_series,
    burst_template,
    cartoon_support,
    component_region,
    energy_fraction,
    energy_map,
    explain,
    iou,
    make_basis,
    mask_support,
    train_tiny_cnn,
)
from awd_studio.models.predictors import TopKLinearRegressor  # noqa: E402
from awd_studio.models.teachers import build_teacher, count_params, train_teacher  # noqa: E402
from awd_studio.models.wavelets import wavedec1d  # noqa: E402


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _series_student():
    """TopKStudent (db5, J = 4, k = 6) fitted on 1000 synthetic burst series, and its test R2."""
    X, y = burst_series(1000, seed=0)
    h = np.asarray(__import__("pywt").Wavelet("db5").rec_lo)
    coeffs = [c.numpy() for c in wavedec1d(torch.as_tensor(X, dtype=torch.float64), h, 4)]
    student = TopKLinearRegressor(k=6).fit(coeffs, y)
    return TopKStudent(student, h, 64, 4), int(student.n_params_)


def timing(repeats, quick):
    steps = 20 if quick else DEFAULTS["steps"]
    torch.manual_seed(0)
    x_map = blob_maps(1, seed=5, size=64)[0][0]
    x_series = burst_series(1, seed=5)[0][0]
    linear_map = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64 * 64, 1))
    linear_series = torch.nn.Linear(64, 1)
    student, student_params = _series_student()
    rows = [
        ("map 64 x 64", "teacher: CNN", build_teacher("cnn", (64, 64)).eval(), x_map, "wavelet"),
        ("map 64 x 64", "student: peak counts", None, x_map, "wavelet"),
        ("map 64 x 64", "linear model (transform + noise + Adam only)", linear_map, x_map, "wavelet"),
        ("map 64 x 64", "teacher: CNN, pixel mask", build_teacher("cnn", (64, 64)).eval(), x_map, "pixel"),
        ("series 64", "teacher: LSTM", build_teacher("lstm", (64,)).eval(), x_series, "wavelet"),
        ("series 64", "teacher: MLP", build_teacher("mlp", (64,)).eval(), x_series, "wavelet"),
        ("series 64", "student: TopKStudent (db5, J = 4, k = 6)", student, x_series, "wavelet"),
        ("series 64", "linear model (transform + noise + Adam only)", linear_series, x_series, "wavelet"),
        ("series 64", "teacher: LSTM, pixel mask", build_teacher("lstm", (64,)).eval(), x_series, "pixel"),
    ]
    results = []
    for setting, name, model, x, space in rows:
        if model is None:
            results.append((setting, name, "-", None, space))
            continue
        explain(model, x, steps=2, n_eval=4, space=space)  # warm-up: first calls build caches
        seconds = _median_seconds(lambda m=model, x=x, s=space: explain(m, x, steps=steps, space=s), repeats)
        params = student_params if model is student else count_params(model)
        results.append((setting, name, params, seconds, space))
    print(f"### Seconds per explanation ({steps} steps x {DEFAULTS['n_samples']} perturbations + "
          f"{DEFAULTS['n_eval']} for the final numbers; one thread; median of {repeats})\n")
    print("| input | model | parameters | mask | s / explanation | ms / step | x teacher |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
    teacher_time = {}
    for setting, name, params, seconds, space in results:
        if name.startswith("teacher") and space == "wavelet" and setting not in teacher_time:
            teacher_time[setting] = seconds
    for setting, name, params, seconds, space in results:
        if seconds is None:
            print(f"| {setting} | {name} | {params} | {space} | n/a (piecewise constant: no gradient) | | |")
            continue
        ratio = seconds / teacher_time[setting]
        print(f"| {setting} | {name} | {params} | {space} | {seconds:.2f} | {1000 * seconds / steps:.1f} | "
              f"{ratio:.2f} |")
    print("\n'x teacher' divides by the first teacher of the same input (CNN for maps, LSTM for series).\n")


# ------------------------------------------------------------------------------------------------ defaults


def _problems(quick):
    X, y = blob_maps(600, seed=0)
    cnn = train_tiny_cnn(X, y, epochs=10, seed=0)
    Xs, ys = burst_series(1000, seed=0)
    mlp = train_teacher("mlp", Xs, ys, epochs=200, seed=0)
    n = 1 if quick else 3
    Xb, yb = blob_maps(200, seed=1)
    Xr, yr = burst_series(200, seed=1)
    return {"maps (blob, TinyCNN)": (cnn, Xb[np.argsort(-yb)[:n]], "blob", blob_template()),
            "series (burst, MLP)": (mlp, Xr[np.argsort(-yr)[:n]], "burst", burst_template())}


def _truth(template, basis):
    c = analyze(basis, torch.as_tensor(template[None], dtype=torch.float32))[0].double().numpy()
    return cartoon_support(energy_map(basis, c ** 2))


def defaults(quick):
    problems = _problems(quick)
    checkpoints = (25, 50, 100) if quick else (50, 100, 200, 400)
    print("### Objective (relative distortion + lambda * L1, on 256 fresh perturbations) of the mask after "
          "s steps, first example\n")
    print("With one seed the first s steps of a longer run are the run of s steps, so each column continues "
          "the previous one.\n")
    print("| problem | lr | lambda | " + " | ".join(f"s = {c}" for c in checkpoints) + " |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in checkpoints) + " |")
    for name, (model, xs, _, _) in problems.items():
        for lr in (0.02, 0.05, 0.1):
            for lam in (0.05, 0.2, 1.0):
                cells = []
                for steps in checkpoints:
                    e = explain(model, xs[0], lam=lam, lr=lr, steps=steps, n_eval=256)
                    cells.append(e.relative_distortion + lam * e.l1_fraction)
                print(f"| {name} | {lr} | {lam} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    print("\n### Perturbations per step (lambda = 0.2, defaults otherwise; mean over the examples)\n")
    print("| problem | n_samples | objective | energy in region | IoU with the component's support | "
          "s / explanation |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (model, xs, kind, template) in problems.items():
        region = component_region(kind)
        for n_samples in (4, 8, 16, 32):
            rows = []
            for x in xs:
                start = time.perf_counter()
                e = explain(model, x, n_samples=n_samples, n_eval=256)
                rows.append((e.relative_distortion + e.lam * e.l1_fraction, energy_fraction(e.cartoon, region),
                             iou(mask_support(e), _truth(template, e.basis)), time.perf_counter() - start))
            r = np.mean(rows, axis=0)
            print(f"| {name} | {n_samples} | {r[0]:.4f} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.2f} |")
    print("\n### Levels on the blob maps (sym4, lambda = 0.2; worst example)\n")
    print("| level | energy in region | IoU with the component's support |")
    print("| ---: | ---: | ---: |")
    model, xs, kind, template = problems["maps (blob, TinyCNN)"]
    for level in (2, 3):
        basis = make_basis((32, 32), "sym4", level)
        truth = _truth(template, basis)
        es = [explain(model, x, level=level) for x in xs]
        print(f"| {level} | {min(energy_fraction(e.cartoon, component_region(kind)) for e in es):.3f} | "
              f"{min(iou(mask_support(e), truth) for e in es):.3f} |")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps and examples (checks the script only)")
    parser.add_argument("--defaults", action="store_true", help="also run the measurements behind the defaults")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"## CartoonX explanations (torch {torch.__version__}, {torch.get_num_threads()} thread)\n")
    timing(1 if args.quick else args.repeats, args.quick)
    if args.defaults:
        defaults(args.quick)


if __name__ == "__main__":
    main()
