"""The scattering student against Kymatio's fixed scattering transform, side by side on one CPU thread.

Run: ``python bench/scattering.py [--quick] [--bank morlet|dwt]`` (about 5 minutes; ``--quick``: a smoke run,
figures not real; ``--bank dwt``: our side is the DWT bank of the pipeline's scattering student).
Prints a markdown table and one ``BENCH_JSON`` line.

What is timed (median of repeats, one thread, float32, the same data and batch sizes on both sides):

- *fit, seconds per epoch*: ours = one training epoch of :class:`ScatteringRegressor` (forward and backward
  through the transform and the in-batch ridge head, Adam step; median of the epochs after the first, not
  counting the per-epoch validation pass); Kymatio = what an epoch costs with fixed filters: one forward pass
  of ``Scattering1D``/``Scattering2D`` (torch frontend) over the same training rows, plus the ridge fit.
  Ours "fixed" is the same pass through our transform with frozen filters.
- *prediction, seconds per sample*: the whole predictor on the test rows (transform + standardisation +
  linear head), :func:`models.metrics.seconds_per_sample`; ours also after pruning.
- test R2 of each predictor (Kymatio + ridge is the baseline the issue asks for).

Repeats of ours and Kymatio are interleaved, so that load from other processes hits both sides alike.
Training 2D transforms checkpoints each micro-batch of 32 maps (measured on 200 lensing maps: +21 % epoch
time, peak memory 2.3 -> 1.2 GB).

Workloads: 1D amplitude-modulated series (``simulate_am``, length 256, J = 6, Q = 1; target = modulation
depth) and 2D lognormal lensing maps (the ``lensing`` example, 64 x 64, J = 3, L = 8, two targets, output
averaged over positions).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import emit, median, one_thread  # noqa: E402  (pins the thread pools before torch is used)

torch = one_thread()

import numpy as np  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402

from awd_studio.models.data import make_example  # noqa: E402
from awd_studio.models.data.simulate_am import simulate_am  # noqa: E402
from awd_studio.models.metrics import seconds_per_sample  # noqa: E402
from awd_studio.models.scattering.estimator import DEFAULT_ALPHAS, ScatteringRegressor  # noqa: E402


def kymatio_transform(shape, J, Q=1, L=8):
    """Kymatio 0.3's torch scattering (imported from the frontends: ``kymatio.torch`` also imports the 3D
    transform, which needs ``scipy.special.sph_harm``, gone from SciPy 1.17)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(shape) == 1:
            from kymatio.scattering1d.frontend.torch_frontend import ScatteringTorch1D
            return ScatteringTorch1D(J=J, shape=shape, Q=Q)
        from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D
        return ScatteringTorch2D(J=J, shape=shape, L=L)


class KymatioRidge:
    """Fixed Kymatio scattering + standardisation + RidgeCV: the baseline predictor."""

    def __init__(self, transform, pooling, batch):
        self.transform, self.pooling, self.batch = transform, pooling, batch

    def features(self, X):
        out = []
        with torch.no_grad():
            for i in range(0, len(X), self.batch):
                s = self.transform(torch.as_tensor(X[i:i + self.batch], dtype=torch.float32))
                s = s.flatten(2).mean(dim=2) if self.pooling == "mean" else s.flatten(1)
                out.append(s.numpy())
        return np.concatenate(out).astype(np.float64)

    def fit(self, X, y):
        Z = self.features(X)
        self.mu, self.sd = Z.mean(axis=0), np.where(Z.std(axis=0) > 1e-12, Z.std(axis=0), 1.0)
        self.head = RidgeCV(alphas=DEFAULT_ALPHAS).fit((Z - self.mu) / self.sd, y)
        return self

    def predict(self, X):
        return self.head.predict((self.features(X) - self.mu) / self.sd)


def r2(y, pred):
    y, pred = y.reshape(len(y), -1), pred.reshape(len(pred), -1)
    return float(np.mean(1 - ((y - pred) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)))


def workload(name, quick):
    if name == "1d":
        n = 256 if quick else 1024
        X, y = simulate_am(n, seed=0, length=256)
        Xt, yt = simulate_am(n // 2, seed=1, length=256)
        return dict(X=X, y=y, Xt=Xt, yt=yt, J=6, Q=1, L=8, pooling="none", batch=256,
                    epochs=2 if quick else 4, label="1D AM series, n = %d, L = 256, J = 6, Q = 1" % n)
    data = make_example("lensing", n=120 if quick else 500, seed=0)
    return dict(X=data.X, y=data.y, Xt=data.X_test, yt=data.y_test, J=3, Q=1, L=8, pooling="mean", batch=32,
                epochs=2 if quick else 3,
                label="2D lensing maps, n = %d, 64 x 64, J = 3, L = 8, mean pooling" % len(data.X))


def run(name, quick, repeats, bank="morlet"):
    w = workload(name, quick)
    X, y, Xt, yt = w["X"], w["y"], w["Xt"], w["yt"]
    shape = X.shape[1:]
    common = dict(bank=bank, J=w["J"], Q=w["Q"], L=w["L"], pooling=w["pooling"], batch_size=128, seed=0)
    if bank == "dwt":  # the pipeline's student (student: scattering): lattice-learned db5 cascade, its step size
        common["lr"] = 0.01
    n_train = int(round(0.8 * len(X)))  # ScatteringRegressor trains on 80 % (val_fraction = 0.2)

    kym = KymatioRidge(kymatio_transform(shape, w["J"], w["Q"], w["L"]), w["pooling"], w["batch"])
    fixed = ScatteringRegressor(learn_filters=False, **common).fit(X, y)
    kym_epoch, fixed_epoch = [], []
    for _ in range(repeats):  # interleaved, so that load from other processes hits both sides alike
        t0 = time.perf_counter()
        kym.fit(X[:n_train], y[:n_train])
        kym_epoch.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Z = fixed._features(fixed.transform_, X[:n_train], torch.device("cpu"))
        fixed._alpha_cv(Z, y[:n_train])
        fixed_epoch.append(time.perf_counter() - t0)
    kym_r2 = r2(yt, kym.fit(X, y).predict(Xt))

    t0 = time.perf_counter()
    learned = ScatteringRegressor(epochs=w["epochs"], prune=True, **common).fit(X, y)
    fit_seconds = time.perf_counter() - t0
    epochs = learned.history_["epoch_seconds"]
    learned_epoch = median(epochs[1:] if len(epochs) > 1 else epochs)
    unpruned = ScatteringRegressor(epochs=w["epochs"], **common).fit(X, y)

    predictors = {"kymatio_fixed": kym.predict, "ours_fixed": fixed.predict, "ours_learned": unpruned.predict,
                  "ours_learned_pruned": learned.predict}
    times = {k: [] for k in predictors}
    for _ in range(repeats):  # interleaved as well
        for key, fn in predictors.items():
            times[key].append(seconds_per_sample(fn, Xt, repeats=1))
    predict = {k: median(v) for k, v in times.items()}

    return {
        "workload": w["label"] + ("" if bank == "morlet" else "; ours: DWT bank (db5)"),
        "paths_all": len(learned.all_paths_), "paths_kept": len(learned.paths_),
        "epoch_seconds": {"kymatio_fixed": median(kym_epoch), "ours_fixed": median(fixed_epoch),
                          "ours_learned": learned_epoch},
        "predict_seconds_per_sample": predict,
        "r2_test": {"kymatio_fixed": kym_r2, "ours_fixed": r2(yt, fixed.predict(Xt)),
                    "ours_learned": r2(yt, unpruned.predict(Xt)), "ours_learned_pruned": r2(yt, learned.predict(Xt))},
        "fit_seconds_learned_pruned": fit_seconds,
    }


def table(results):
    lines = ["| workload | quantity | ours | Kymatio 0.3 fixed | ours / Kymatio |", "| --- | --- | --- | --- | --- |"]
    for res in results:
        e, p, q = res["epoch_seconds"], res["predict_seconds_per_sample"], res["r2_test"]
        w = res["workload"]
        rows = [
            ("fit, s/epoch, fixed filters (features + ridge)", e["ours_fixed"], e["kymatio_fixed"]),
            ("fit, s/epoch, learned filters (forward + backward + Adam)", e["ours_learned"], e["kymatio_fixed"]),
            ("predict, s/sample, fixed", p["ours_fixed"], p["kymatio_fixed"]),
            ("predict, s/sample, learned, all %d paths" % res["paths_all"], p["ours_learned"], p["kymatio_fixed"]),
            ("predict, s/sample, learned + pruned to %d paths" % res["paths_kept"], p["ours_learned_pruned"],
             p["kymatio_fixed"]),
        ]
        for label, ours, theirs in rows:
            lines.append(f"| {w} | {label} | {ours:.3g} s | {theirs:.3g} s | {ours / theirs:.2f}x |")
        lines.append(f"| {w} | test R2: fixed / learned / learned + pruned (Kymatio + ridge) | "
                     f"{q['ours_fixed']:.3f} / {q['ours_learned']:.3f} / {q['ours_learned_pruned']:.3f} | "
                     f"{q['kymatio_fixed']:.3f} | |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer samples, epochs and repeats")
    parser.add_argument("--only", choices=("1d", "2d"), help="one workload")
    parser.add_argument("--bank", choices=("morlet", "dwt"), default="morlet",
                        help="our filter bank: Morlet (Kymatio's filters at the start) or the DWT bank the pipeline's "
                             "scattering student uses")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    results = [run(name, args.quick, repeats, args.bank)
               for name in (("1d", "2d") if args.only is None else (args.only,))]
    print(table(results))
    emit({"scattering": results})


if __name__ == "__main__":
    main()
