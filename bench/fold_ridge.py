"""The series selection's cross-validation of one candidate, old code against new, in one process on one thread.

Usage::

    .venv/bin/python bench/fold_ridge.py [--old REF] [--repeats 15] [--data cme|random]

What ``models.pipeline.selection.fold_scores`` does for one candidate filter of a time-series job once the
student's features are computed: on each of 15 splits (5 folds x 3 repeats) of n = 2936 samples, refit the
default student's linear model (features standardised on the training part, ridge with the penalty chosen by
leave-one-out among the 21 ``RIDGE_ALPHAS``) and score R² on the held-out part.

- *old*: the loop as revision ``REF`` (default ``origin/main``) ran it: ``standardization`` of the training rows,
  a standardised copy, ``LeaveOneOutRidge.fit`` of REF's ``models/students/ridge.py`` (loaded from ``git show``),
  the coefficients back on the raw features, prediction and ``r2_score``;
- *new*: ``TopKLinearRegressor._fold_predictions`` (one fold pass, :func:`models.students.series.fold_fits`) and
  the same ``r2_score``;
- *fit*: one ``LeaveOneOutRidge.fit`` on all n standardised rows (the teacher-free control's screen and the grid
  students fit it so), REF's class against this checkout's.

``--data cme`` (default): the CME example's features (``simulate_cme``, seed 0, the default config's db5
student: 4 levels, zero mode, top 6, whose padding leaves one column zero); ``random``: correlated Gaussian
features of the same shape with no zero column. Each pair is timed interleaved, old then new, ``repeats`` times;
min and median in ms, ratios old / new, and the largest differences of the scores, coefficients and intercepts
and whether every split chose the same penalty.
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO_DIR = Path(__file__).resolve().parent.parent


def old_ridge_module(ref):
    """REF's ``models/students/ridge.py`` as a module (it imports only numpy and scikit-learn)."""
    source = subprocess.run(["git", "show", f"{ref}:models/students/ridge.py"], cwd=REPO_DIR, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_ridge.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_ridge", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cme_features():
    """The CME example's training features and targets under the default series student (db5)."""
    from awd_studio.models.data.simulate_cme import simulate_cme
    from awd_studio.models.filters import lowpass_filter
    from awd_studio.models.pipeline.config import PipelineConfig, resolve_config
    from awd_studio.models.pipeline.scaling import scaled
    from awd_studio.models.pipeline.students import coefficients, series_student

    data = simulate_cme(seed=0)
    X, y = np.asarray(data.X), np.asarray(data.y, dtype=float).ravel()  # the training part: 2936 events
    config, _ = resolve_config(PipelineConfig(), "timeseries", (X.shape[1],), len(X) + len(data.X_test))
    config = config.model_copy(update={"series_features": "largest"})
    h = np.asarray(lowpass_filter(config.wave))
    scaling = {"offset": float(X.mean()), "scale": float(X.std())}
    model = series_student(config, h, X.shape[1])
    return model._features(coefficients(scaled(X, scaling), h, config)), y


def random_features(n=2936, p=30, seed=0):
    """Correlated Gaussian features (n, p) and a linear target with noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p))) + rng.normal(size=p)
    return X, X @ rng.normal(size=p) + 3.0 * rng.normal(size=n)


def old_loop(old, features, y, splits):
    """REF's per-split loop: ``(scores, coefs, intercepts, alphas)``."""
    from awd_studio.models import metrics
    from awd_studio.models.students import RIDGE_ALPHAS
    from awd_studio.models.students.series import standardization

    out = []
    for train, val in splits:
        mean, scale = standardization(features[train])
        model = old.LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit((features[train] - mean) / scale, y[train])
        coef = model.coef_ / scale
        intercept = model.intercept_ - coef @ mean
        out.append((metrics.r2_score(y[val], features[val] @ coef + intercept), coef, intercept, model.alpha_))
    return out


def new_folds(features, y, splits):
    """This checkout's fold pass: ``(scores, coefs, intercepts, alphas)``."""
    from awd_studio.models import metrics
    from awd_studio.models.students import RIDGE_ALPHAS
    from awd_studio.models.students.series import TopKLinearRegressor, fold_fits

    predictions = TopKLinearRegressor(k=6)._fold_predictions(features, y, splits)
    fits = fold_fits(features, y, splits, RIDGE_ALPHAS)  # for the comparison only (not timed)
    return [(metrics.r2_score(y[val], pred), coef, intercept, alpha)
            for (_, val), pred, (coef, intercept, alpha) in zip(splits, predictions, fits)]


def timed(pairs, repeats):
    """Interleaved timings of ``{name: callable}``: ``{name: [seconds]}``."""
    times = {name: [] for name in pairs}
    for f in pairs.values():
        f()  # warm
    for _ in range(repeats):
        for name, f in pairs.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return times


def line(label, times):
    """One table row: min and median of both sides in ms, and the old / new ratios."""
    old, new = times["old"], times["new"]
    return (f"{label:<28} old {1e3 * min(old):7.2f} / {1e3 * statistics.median(old):7.2f} ms   new "
            f"{1e3 * min(new):7.2f} / {1e3 * statistics.median(new):7.2f} ms   ratio (min) "
            f"{min(old) / min(new):.2f}  (median) {statistics.median(old) / statistics.median(new):.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="origin/main", help="git revision of the old code")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--data", choices=("cme", "random"), default="cme")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_DIR))
    from awd_studio.models.pipeline.selection import cv_splits
    from awd_studio.models.students import RIDGE_ALPHAS
    from awd_studio.models.students.ridge import LeaveOneOutRidge
    from awd_studio.models.students.series import standardization

    old = old_ridge_module(args.old)
    features, y = cme_features() if args.data == "cme" else random_features()
    splits = cv_splits(len(features), 5, 3, seed=0)
    print(f"data {args.data}: features {features.shape}, {int(np.sum(np.ptp(features, axis=0) == 0))} constant "
          f"column(s); {len(splits)} splits of {len(splits[0][0])} training rows; {len(RIDGE_ALPHAS)} penalties; "
          f"old = {args.old}, {args.repeats} repeats, one thread")
    a, b = old_loop(old, features, y, splits), new_folds(features, y, splits)
    print("largest differences, new - old: score %.1e, coef %.1e, intercept %.1e; same penalty on every split: %s"
          % (max(abs(x[0] - o[0]) for x, o in zip(b, a)), max(np.abs(x[1] - o[1]).max() for x, o in zip(b, a)),
             max(abs(x[2] - o[2]) for x, o in zip(b, a)), all(x[3] == o[3] for x, o in zip(b, a))))
    mean, scale = standardization(features)
    z = (features - mean) / scale
    with threadpool_limits(1):
        from awd_studio.models import metrics
        from awd_studio.models.students.series import TopKLinearRegressor

        student = TopKLinearRegressor(k=6)

        def new():
            for (_, val), pred in zip(splits, student._fold_predictions(features, y, splits)):
                metrics.r2_score(y[val], pred)

        print(line("fold loop (15 splits)", timed({"old": lambda: old_loop(old, features, y, splits), "new": new},
                                                  args.repeats)))
        print(line("LeaveOneOutRidge.fit (all n)",
                   timed({"old": lambda: old.LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(z, y),
                          "new": lambda: LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(z, y)}, 3 * args.repeats)))
    fit_old = old.LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(z, y)
    fit_new = LeaveOneOutRidge(alphas=RIDGE_ALPHAS).fit(z, y)
    print("fit, new - old: best score %.1e, coef %.1e, same penalty: %s" % (
        abs(fit_new.best_score_ - fit_old.best_score_), np.abs(fit_new.coef_ - fit_old.coef_).max(),
        fit_new.alpha_ == fit_old.alpha_))


if __name__ == "__main__":
    main()
