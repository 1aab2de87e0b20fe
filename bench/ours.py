"""Benchmark driver for our side (``models.distill.WaveletDistiller``); runs in the main virtualenv.

Usage: ``python bench/ours.py TASK '<json options>'``; prints one line ``BENCH_JSON {...}``.

Tasks
-----
noop     import torch and models.distill, nothing else.
fit      one fit (1D or 2D by the data's shape); per-epoch seconds, last-epoch per-term losses, final filter.
grid     one vectorised fit of a whole lambda x gamma grid; wall seconds of ``fit`` (teacher gradients included).
grid_sequential  the same grid as one fit per point, one after another in this process (total wall seconds).
predict  seconds per sample: the AWD predictor vs the teacher (LSTM for series, ResNet18 for maps).
scaling  seconds per epoch as n, signal length/size, levels and grid size double.
teacher_double_backward  the teacher's own share of a straight-through epoch (forward, input gradient with its
         graph, backward through it), no wavelet: the floor under any straight-through implementation.

``cmf_off`` (default true) gives our CMF penalty the weight zero (``validity_weights={"cmf": 0}``), because the
reference's CMF term cannot be used (it returns a complex tensor); the term is still computed, so the timing
includes it.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, median, one_thread, timer  # noqa: E402

torch = one_thread()


def _load(opts, teacher_name=None):
    import numpy as np

    from bench.prepare import load_teacher_state

    with np.load(opts["data"], allow_pickle=False) as f:
        X, y = f["X"], f["y"]
    name = teacher_name or opts["teacher"]
    path = opts.get("teacher_path") or opts[f"{name}_path"]
    return X, y, load_teacher_state(name, X.shape[1:], path)


def _distiller(opts, **overrides):
    from awd_studio.models.distill import WaveletDistiller

    kw = dict(wave=opts.get("wave", "db5"), levels=opts.get("levels", 4), mode=opts.get("mode", "zero"),
              parametrization=opts.get("parametrization", "free"), epochs=opts.get("epochs", 3),
              batch_size=opts.get("batch_size", 100), lr=opts.get("lr", 1e-3), val_fraction=0.0,
              attribution="saliency", gradient_path=opts.get("gradient_path", "auto"), device="cpu",
              seed=opts.get("seed", 0), validity_weights={"cmf": 0.0} if opts.get("cmf_off", True) else None)
    kw.update(overrides)
    return WaveletDistiller(**kw)


def _timed_fit(model, X, teacher):
    """Fit and return (wall seconds of fit, per-epoch seconds)."""
    marks = []

    def on_epoch(epoch, losses):
        marks.append(timer())

    start = timer()
    model.fit(X, teacher, on_epoch=on_epoch)
    total = timer() - start
    edges = [start] + marks
    # the first interval also holds the set-up (split, teacher gradients): report it as is
    return total, [b - a for a, b in zip(edges[:-1], edges[1:])]


def task_fit(opts):
    X, _, teacher = _load(opts)
    model = _distiller(opts, lambdas=(opts["lam"],), gammas=(opts["gam"],))
    total, epochs = _timed_fit(model, X, teacher)
    last = {k: float(v[-1, 0]) for k, v in model.history_.items()}
    return {"fit_seconds": total, "epoch_seconds": epochs, "terms_last": last,
            "terms": [{k: float(v[e, 0]) for k, v in model.history_.items()} for e in range(model.n_epochs_)],
            "filter": model.filters_[0].tolist(), "gradient_path": model.gradient_path_}


def task_teacher_double_backward(opts):
    from bench.common import teacher_double_backward

    X, _, teacher = _load(opts)
    start = timer()
    epochs = teacher_double_backward(X, teacher, opts.get("epochs", 3), opts.get("batch_size", 100),
                                     opts.get("seed", 0))
    return {"fit_seconds": timer() - start, "epoch_seconds": epochs}


def task_grid(opts):
    X, _, teacher = _load(opts)
    lambdas, gammas = opts["lambdas"], opts["gammas"]
    model = _distiller(opts, lambdas=lambdas, gammas=gammas)
    total, epochs = _timed_fit(model, X, teacher)
    return {"fit_seconds": total, "epoch_seconds": epochs, "n_grid": len(model.grid_),
            "final_train_loss": model.history_["train_loss"][-1].tolist(), "gradient_path": model.gradient_path_}


def task_grid_sequential(opts):
    X, _, teacher = _load(opts)
    start = timer()
    losses = []
    for lam in opts["lambdas"]:
        for gam in opts["gammas"]:
            model = _distiller(opts, lambdas=[lam], gammas=[gam])
            model.fit(X, teacher)
            losses.append(float(model.history_["train_loss"][-1, 0]))
    return {"fit_seconds": timer() - start, "n_grid": len(losses), "final_train_loss": losses,
            "gradient_path": model.gradient_path_}


def _per_sample(fn, X, repeats):
    """Median over ``repeats`` of (wall seconds of fn(X)) / len(X), after one warm-up call."""
    fn(X[: min(len(X), 8)])
    times = []
    for _ in range(repeats):
        start = timer()
        fn(X)
        times.append((timer() - start) / len(X))
    return median(times)


def _latency(fn, X, calls=100):
    """Median wall seconds of fn on one sample at a time (the latency of a single request)."""
    fn(X[:1])
    times = []
    for i in range(min(calls, len(X))):
        start = timer()
        fn(X[i:i + 1])
        times.append(timer() - start)
    return median(times)


def task_predict(opts):
    """Seconds per sample of one predictor on the last 20 % of the data (``which``: "teacher" or "awd").

    The AWD predictor is fitted on the first 80 % (transform + top-k + linear model for series, run as the
    deployed :class:`models.predictors.SeriesPredictor`; peak counting
    with the filter's 3x3 sub-filters for maps); its prediction time includes the transform. Each predictor
    runs in its own process so that the peak memory is its own.
    """
    import numpy as np

    from awd_studio.models import filters, predictors, wavelets
    from awd_studio.models.teachers import predict

    which = opts["which"]
    X, y, teacher = _load(opts, opts["teacher"])
    n_fit = int(0.8 * len(X))
    X_fit, y_fit, X_eval, y_eval = X[:n_fit], y[:n_fit], X[n_fit:], y[n_fit:]
    n_eval = opts.get("n_eval")  # throughput on a large set: repeat the held-out samples up to n_eval
    X_time = np.resize(X_eval, (n_eval,) + X_eval.shape[1:]) if n_eval else X_eval
    repeats = opts.get("repeats", 5)
    if which == "teacher":
        from bench.prepare import teacher_r2

        seconds = _per_sample(lambda Xb: predict(teacher, Xb, batch_size=256), X_time, repeats)
        return {"which": which, "seconds_per_sample": seconds, "n_eval": int(len(X_time)),
                "r2": teacher_r2(teacher, X_eval, y_eval) if opts.get("trained", True) else None,
                "latency_seconds": _latency(lambda Xb: predict(teacher, Xb, batch_size=256), X_eval),
                "params": int(sum(p.numel() for p in teacher.parameters()))}
    teacher = None  # the AWD predictor's process does not keep the teacher in memory
    h = np.asarray(opts["filter"], dtype=np.float64) if opts.get("filter") else filters.lowpass_filter("db5")
    levels, mode = opts.get("levels", 4), opts.get("mode", "periodization")
    if X.ndim == 2:
        ht = torch.as_tensor(h, dtype=torch.float64)

        def coeffs(Xb):
            with torch.no_grad():
                xt = torch.as_tensor(Xb, dtype=torch.float64)
                return [c.numpy() for c in wavelets.wavedec1d(xt, ht, levels, mode)]

        student = predictors.TopKLinearRegressor(k=6).fit(coeffs(X_fit), y_fit)
        n_params = int(student.n_params_) + len(h)
        # the deployed predictor (what the result bundle times): dense operator, compiled top-k + linear model
        deployed = predictors.SeriesPredictor.from_filter(student, h, X.shape[1], levels, mode)
        awd = deployed.predict

        def awd_torch(Xb):  # the fast DWT in torch, then top-k + linear on the coefficient lists
            return student.predict(coeffs(Xb))
    else:
        student = predictors.PeakCountRegressor(kernels=filters.subfilters_3x3(h)).fit(X_fit, y_fit)
        n_params = len(h) + int(student.n_features_) * int(student.n_outputs_) + int(student.n_outputs_)
        awd_torch = None

        def awd(Xb):
            return student.predict(Xb)

    seconds = _per_sample(awd, X_time, repeats)
    pred = np.asarray(awd(X_eval), dtype=float).reshape(-1)
    r2 = float(1 - np.mean((pred - y_eval) ** 2) / np.var(y_eval))
    out = {"which": which, "seconds_per_sample": seconds, "n_eval": int(len(X_time)), "r2": r2,
           "params": n_params, "latency_seconds": _latency(awd, X_eval)}
    if awd_torch is not None:
        out["torch_seconds_per_sample"] = _per_sample(awd_torch, X_time, repeats)
        out["torch_max_abs_diff"] = float(np.max(np.abs(np.asarray(awd_torch(X_eval)).reshape(-1) - pred)))
    return out


def task_scaling(opts):
    """Seconds per epoch of our default configuration as one size doubles at a time (others at the base)."""
    import numpy as np

    from awd_studio.models.data import make_example

    X_all, _, mlp = _load(opts, "mlp")
    base = dict(n=1000, length=64, levels=4, grid=1)
    rows = []
    epochs = opts.get("epochs", 3)
    cache = {}

    def series(n, length):
        key = (n, length)
        if key not in cache:
            if length == X_all.shape[1] and n <= len(X_all):
                cache[key] = X_all[:n]
            else:
                rng = np.random.default_rng(0)
                cache[key] = rng.standard_normal((n, length)).astype(np.float32)
        return cache[key]

    def teacher_for(length):
        if length == X_all.shape[1]:
            return mlp
        from awd_studio.models.teachers import build_teacher

        torch.manual_seed(0)
        return build_teacher("mlp", (length,), 1).eval()

    def run(label, n, length, levels, grid, dim=1):
        lambdas = list(np.geomspace(1e-3, 1e-1, grid)) if grid > 1 else [1e-2]
        model = _distiller(opts, mode=opts.get("mode", "periodization"),
                           parametrization=opts.get("parametrization", "orthogonal"),
                           gradient_path="auto", levels=levels, epochs=epochs,
                           lambdas=lambdas, gammas=[1e-2])
        if dim == 1:
            X, teacher = series(n, length), teacher_for(length)
        else:
            from awd_studio.models.teachers import build_teacher

            X = make_example("lensing", n=int(n / 0.8) + 2, seed=0).X[:n] if length == 64 else \
                np.random.default_rng(0).standard_normal((n, length, length)).astype(np.float32)
            torch.manual_seed(0)
            teacher = build_teacher("cnn", (length, length), 1).eval()
        _, per_epoch = _timed_fit(model, X, teacher)
        rows.append({"label": label, "n": n, "size": length, "levels": levels, "grid": grid, "dim": dim,
                     "seconds_per_epoch": median(per_epoch[1:] or per_epoch),
                     "first_epoch_seconds": per_epoch[0]})

    for n in (1000, 2000, 4000):
        run("n", n, base["length"], base["levels"], base["grid"])
    for length in (128, 256, 512):
        run("length", base["n"], length, base["levels"], base["grid"])
    for levels in (1, 2):
        run("levels", base["n"], 256, levels, base["grid"])
    run("levels", base["n"], 256, 4, base["grid"])
    for grid in (2, 4, 8, 16, 32):
        run("grid", base["n"], base["length"], base["levels"], grid)
    for size in (32, 64, 128):
        run("2D size", 200, size, 3, 1, dim=2)
    return {"rows": rows, "epochs": epochs}


TASKS = {"fit": task_fit, "grid": task_grid, "grid_sequential": task_grid_sequential, "predict": task_predict,
         "scaling": task_scaling, "teacher_double_backward": task_teacher_double_backward}


def main(task, opts):
    start = timer()
    import awd_studio.models.distill  # noqa: F401  (the import is part of the per-process cost)

    import_seconds = timer() - start
    # The per-process start-up: imports, and the first Adam (it imports torch._dynamo lazily, ~2.5 s). It is
    # paid here, outside every timed fit, on both sides; the noop task measures it for the start-up figures.
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    if task == "noop":
        emit({"task": task, "import_seconds": import_seconds})
        return
    if task not in TASKS:
        raise SystemExit(f"unknown task {task!r}; use noop or one of {', '.join(TASKS)}")
    emit({"task": task, "import_seconds": import_seconds, **TASKS[task](opts)})


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
