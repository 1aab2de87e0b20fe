"""``python -m bench.science``: run the science benchmark and write bench/SCIENCE.md.

Every case runs the product's pipeline (:func:`models.pipeline.run`) with its defaults, in a fresh
subprocess (BLAS pinned to one thread; torch on the job's default threads, every core, as a user's job
runs), and stores one JSON line per run in ``bench/.work/science/runs.jsonl``; a run already
there is not repeated (delete the file to start over), so an interrupted benchmark resumes. The report is
written from that file.

Cases
-----
``synthetic``  the synthetic example (paper 4.1), started from sym5 (distance to the true db5 is reported),
               the paper's synthetic grid (``grid_preset="synthetic"``) and its teacher, an MLP (the one the
               product's ``teacher="auto"`` keeps on these data: validation MSE 0.005 against the LSTM's 0.098)
``cme``        the CME-like example (paper 4.2), defaults
``lensing``    the lensing example (paper 4.3), defaults
``halo``       independent check: toy halo-model maps from :mod:`bench.science.halo_maps`
``cme_eq8``, ``cme_straight``  the gradient paths compared: the CME example with the free filter (where the
               two paths differ for the LSTM teacher) and ``gradient_path`` ``eq8`` (the gradient of eq. 8's loss)
               or ``straight_through`` (awave-compatible); same data and seeds as ``cme``
``cme_eq8_small``, ``cme_straight_small``  the same on a small grid (lambda 7e-4, gammas 0, 1e-3, 1e-2, 1e-1,
               10 epochs) that finishes on a shared 2-core machine (:mod:`bench.science.gradient_paths`)
``lensing_kernels``, ``halo_kernels``  the same maps and seeds as ``lensing`` and ``halo``, with the paper's
               map student (``peak_response="kernels"``: the four sub-filter responses; the default reads the
               LL response and the detail magnitude)
``cme_control``, ``lensing_control``, ``halo_control``  the same data and seeds as ``cme``, ``lensing`` and
               ``halo``, with the teacher-free control (``random_search=300``: the best of 300 random wavelets by
               the student's CV, scored on the test set beside AWD)
``synthetic_positions``, ``cme_positions``  the same data, seeds and settings as ``synthetic`` and ``cme``
               (``cme``: with the control), with the series student that reads fixed positions
               (``series_features="positions"``) instead of each band's largest coefficients
``covid``      independent check: the Monash archive's Covid3Month (real data; 140 train / 61 test series
               of length 84); read from ``--covid DIR`` (a folder holding ``Covid3Month_TRAIN.ts`` and
               ``Covid3Month_TEST.ts``, e.g. unpacked from the aeon wheel); skipped when not given
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.science import gradient_paths

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / ".work" / "science"
CASES = ("synthetic", "cme", "lensing", "halo", "lensing_kernels", "halo_kernels", "lensing_signed", "halo_signed",
         "covid", "cme_control",
         "lensing_control", "halo_control", "synthetic_positions", "cme_positions", *gradient_paths.CASE_CONFIG)
#: Random wavelets of the teacher-free control cases (``*_control``).
CONTROL_WAVELETS = 300
#: Pipeline settings per case beyond the defaults.
CASE_CONFIG = {
    "synthetic": {"wave": "sym5", "grid_preset": "synthetic", "teacher": "mlp"},
    "cme": {},
    "lensing": {},
    "halo": {},
    "lensing_kernels": {"peak_response": "kernels"},
    "halo_kernels": {"peak_response": "kernels"},
    "lensing_signed": {"peak_range": "signed"},
    "halo_signed": {"peak_range": "signed"},
    "covid": {},
    **{f"{case}_control": {"random_search": CONTROL_WAVELETS} for case in ("cme", "lensing", "halo")},
    "synthetic_positions": {"wave": "sym5", "grid_preset": "synthetic", "teacher": "mlp",
                            "series_features": "positions", "random_search": CONTROL_WAVELETS},
    "cme_positions": {"series_features": "positions", "random_search": CONTROL_WAVELETS},
    **gradient_paths.CASE_CONFIG,
}
#: Cases that read another case's data.
DATA_OF = {**{case: "cme" for case in gradient_paths.CASE_CONFIG}, "lensing_kernels": "lensing",
           "halo_kernels": "halo", "lensing_signed": "lensing", "halo_signed": "halo", "cme_control": "cme",
           "lensing_control": "lensing", "halo_control": "halo",
           "synthetic_positions": "synthetic", "cme_positions": "cme"}
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "PYTHONPATH": str(REPO)}


def log(msg):
    print(f"[science {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_ts(path):
    """Series and targets of a ``.ts`` regression file (sktime/aeon text format, equal-length univariate)."""
    import numpy as np

    X, y = [], []
    for line in Path(path).read_text().splitlines():
        if not line.strip() or line.startswith(("#", "@")):
            continue
        values, target = line.strip().rsplit(":", 1)
        X.append([float(v) for v in values.split(",")])
        y.append(float(target))
    return np.asarray(X), np.asarray(y)


def make_data(case, seed, covid_dir, out):
    """Write the dataset of one case and seed to ``out`` (.npz)."""
    from awd_studio.models.data import Dataset, make_example, save_npz

    if case in ("synthetic", "cme", "lensing"):
        dataset = make_example(case, seed=seed)
    elif case == "halo":
        from bench.science.halo_maps import simulate_halo_maps

        dataset = simulate_halo_maps(n=2000, seed=seed)
    else:
        X, y = read_ts(Path(covid_dir) / "Covid3Month_TRAIN.ts")
        X_test, y_test = read_ts(Path(covid_dir) / "Covid3Month_TEST.ts")
        dataset = Dataset(X, y, X_test, y_test, kind="timeseries", name="covid3month",
                          meta={"source": "Monash regression archive, Covid3Month (fixed train/test split)"})
    save_npz(dataset, out)


def run_one(case, seed, covid_dir):
    """One pipeline run in this process; returns the row stored in runs.jsonl."""
    from awd_studio.models import pipeline

    data_case = DATA_OF.get(case, case)
    data = WORK / "data" / f"{data_case}_{seed}.npz"
    data.parent.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        make_data(data_case, seed, covid_dir, data)
    config = {"seed": seed, **CASE_CONFIG[case]}
    t0 = time.perf_counter()
    bundle = pipeline.run(data, config, WORK / "runs" / f"{case}_{seed}")
    wall = time.perf_counter() - t0
    models = {k: {"r2": m["test"]["r2"], "rmse": m["test"]["rmse"], "rmse_sd": m["test"]["rmse_sd"],
                  "cv_r2": m["cv"]["r2"], "beats_mean": m["cv"]["beats_mean"],
                  "compression": m["compression_factor"]} for k, m in bundle["models"].items()}
    row = {"case": case, "seed": seed, "wall_seconds": wall, "config": config,
           "teacher": bundle["teacher"]["test"], "teacher_name": bundle["teacher"]["name"], "models": models,
           "verdict": bundle["verdict"], "selection": bundle["selection"], "selected": bundle["selected"],
           "mode": bundle["wavelet"]["mode"], "n_train": bundle["data"]["n_train"],
           "n_test": bundle["data"]["n_test"], "timings": bundle["timings"],
           "gradient_path": config.get("gradient_path", "auto"),
           "best_train_loss": _best_point_losses(bundle)}
    for key in ("distance_to_truth", "init_distance_to_truth", "distance_to_init"):
        if key in bundle["wavelet"]:
            row[key] = bundle["wavelet"][key]
    truth = [p["distance_to_truth"] for p in bundle["grid"] if p.get("distance_to_truth") is not None]
    if truth:  # the paper's selection (the grid point closest to the truth), beside the product's
        row["closest_distance_to_truth"] = min(truth)
    if case in gradient_paths.CASE_CONFIG:
        row["grid"] = gradient_paths.grid_rows(bundle)
    if data_case in ("lensing", "halo"):
        row["map_students"] = map_student_ablation(data)
    return row


def _best_point_losses(bundle):
    """The selected grid point's last-epoch loss terms, when the bundle carries them (else None)."""
    index = bundle.get("selected", {}).get("index")
    points = [p for p in bundle.get("grid", []) if p.get("index") == index]
    return dict(points[0]["losses"]) if points else None


def map_student_ablation(data):
    """Test RMSE of Omega_m of the peak students: classes from full rows or Omega_m alone, pooled or per-class
    covariance (the initial wavelet's sub-filters, Laplace, Roberts, raw peaks)."""
    from awd_studio.models import filters, metrics, predictors
    from awd_studio.models.data import load_dataset, split_dataset

    X, Y, X_test, Y_test = split_dataset(load_dataset(data))
    students = {"db5": {"kernels": filters.subfilters_3x3(filters.lowpass_filter("db5"))},
                "laplace": {"kernels": {"laplace": predictors.LAPLACE_KERNEL}},
                "roberts": {"response": "roberts"}, "raw": {"response": "raw"}}
    out = {}
    for covariance in ("pooled", "per_class"):
        for classes in ("rows", "omega_m"):
            for name, kwargs in students.items():
                model = predictors.PeakCountRegressor(covariance=covariance, score_column=0, **kwargs)
                model.fit(X, Y if classes == "rows" else Y[:, 0])
                pred = model.predict(X_test)
                pred = pred[:, 0] if pred.ndim == 2 else pred
                out[f"{covariance}/{classes}/{name}"] = metrics.rmse(Y_test[:, 0], pred)
    return out


def _children_cpu_seconds():
    """User + system CPU seconds of this process's finished children so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_rows(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_cases(cases, seeds, covid, store):
    """Run every (case, seed) not yet in ``store`` (JSON lines), each in a fresh one-thread subprocess, one at
    a time, appending its row (with the child's CPU seconds) to ``store``."""
    done = {(r["case"], r["seed"]) for r in load_rows(store)}
    for case in cases:
        if case == "covid" and not covid:
            log("covid: no --covid folder (or $AWD_COVID3MONTH_DIR); skipped")
            continue
        for seed in seeds:
            if (case, seed) in done:
                continue
            log(f"{case} seed {seed}")
            cmd = [sys.executable, "-m", "bench.science", "--one", case, str(seed)]
            if covid:
                cmd += ["--covid", covid]
            cpu_before = _children_cpu_seconds()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=REPO)
            cpu_seconds = _children_cpu_seconds() - cpu_before
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("SCIENCE_JSON ")]
            if proc.returncode != 0 or not lines:
                log(f"{case} seed {seed} failed:\n{proc.stderr[-2000:]}")
                continue
            row = json.loads(lines[-1][len("SCIENCE_JSON "):])
            row["cpu_seconds"] = cpu_seconds  # user + system seconds of the child and its processes
            with store.open("a") as f:
                f.write(json.dumps(row) + "\n")
            log(f"{case} seed {seed}: {row['wall_seconds']:.0f} s wall, {cpu_seconds:.0f} s CPU; "
                f"{row['verdict']['text']}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.science", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="synthetic,cme,lensing,halo,covid,cme_eq8,cme_straight",
                        help="comma-separated cases; cme_eq8_small,cme_straight_small compare the gradient paths "
                             "on a small grid (about 30-40 CPU-minutes for 3 seeds)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--covid", default=os.environ.get("AWD_COVID3MONTH_DIR"),
                        help="folder with Covid3Month_TRAIN.ts / _TEST.ts (default: $AWD_COVID3MONTH_DIR)")
    parser.add_argument("--out", default=str(REPO / "bench" / "SCIENCE.md"))
    parser.add_argument("--report-only", action="store_true", help="write the report from the stored runs")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    store = WORK / "runs.jsonl"
    if args.one:  # child process: one run, one JSON line on stdout
        import torch

        torch.set_num_threads(1)
        row = run_one(args.one[0], int(args.one[1]), args.covid)
        print("SCIENCE_JSON " + json.dumps(row))
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]}; pass some of {', '.join(CASES)}")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not args.report_only:
        run_cases(cases, seeds, args.covid, store)
    from bench.science.report import write_report

    write_report(load_rows(store), Path(args.out))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
