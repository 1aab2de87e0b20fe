"""Run every benchmark, ours against awave 0.1 and the AWD predictor against its teacher; write RESULTS.md.

``make bench`` calls this with the main virtualenv's Python. It

1. creates ``bench/.venv-awave`` (once) with torch 2.13.0 (CPU), numpy, PyWavelets and ``awave==0.1``;
2. makes the data and teachers once into ``bench/.work/`` (:mod:`bench.prepare`);
3. runs each measurement in a fresh subprocess of the right virtualenv (``bench/ours.py``, ``bench/theirs.py``),
   one thread each (plus an all-threads block), interleaving ours and theirs repeat by repeat so that both see
   the same machine load; 5 repeats per figure, reported as min / median / max;
4. runs the end-to-end table (:mod:`bench.end_to_end`: the three examples as a user runs them);
5. writes ``bench/RESULTS.md`` (machine, load, versions, command, tables, loss values, profile).

Options: ``--quick`` (fewer repeats and epochs, for checking the script), ``--reps N``, ``--skip PARTS``,
``--reuse`` (keep skipped parts from the last results.json), ``--out PATH``.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_DIR, REPO_DIR, WORK_DIR, available_cores, median  # noqa: E402

AWAVE_VENV = BENCH_DIR / ".venv-awave"
AWAVE_PY = AWAVE_VENV / "bin" / "python"
OURS_PY = Path(sys.executable)
LAMBDAS = [0.001, 0.003, 0.01, 0.03, 0.1]
GAMMAS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
LAM, GAM = 0.01, 0.01  # the single fits
#: Keys of results.json that are not measured parts: the single fits' weights and each part's time of measurement.
NOT_PARTS = ("lam", "gam", "measured_at")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "PYTHONDONTWRITEBYTECODE": "1", "BENCH_THREADS": "1"}
#: The all-threads rows: no thread pinning, torch uses every core available to the process; OpenMP's idle
#: threads sleep at once (``OMP_WAIT_POLICY=PASSIVE``; importing awd_studio would otherwise set a short spin,
#: ``GOMP_SPINCOUNT=10000``, on our side only) on both sides.
ENV_ALL = {**{k: v for k, v in ENV.items() if not k.endswith("_NUM_THREADS")}, "BENCH_THREADS": "all",
           "OMP_WAIT_POLICY": "PASSIVE"}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------------------------ set-up
def ensure_awave_venv():
    """Create bench/.venv-awave with awave 0.1 and what it imports (torch, numpy, PyWavelets) if missing."""
    if AWAVE_PY.exists() and _awave_venv_works():
        return
    log("creating bench/.venv-awave (torch 2.13.0 CPU, numpy, PyWavelets, awave 0.1 without its deps, and this "
        "repository without its deps for the teachers' architectures)")
    subprocess.run(["python3", "-m", "venv", str(AWAVE_VENV)], check=True)
    pip = [str(AWAVE_VENV / "bin" / "pip"), "install", "-q"]
    subprocess.run(pip + ["torch==2.13.0", "numpy", "PyWavelets"], check=True)
    # awave's metadata asks for torch>=1.0, numpy, pywavelets only; --no-deps keeps pip from touching torch
    subprocess.run(pip + ["--no-deps", "awave==0.1"], check=True)
    # our teachers' architectures, rebuilt from the same state_dict on both sides (models.teachers imports these)
    subprocess.run(pip + list(AWAVE_VENV_TEACHER_DEPS), check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(REPO_DIR)], check=True)
    if not _awave_venv_works():
        raise RuntimeError(f"bench/.venv-awave cannot import awave and our teachers: {_awave_venv_works.error}")


#: What ``models.teachers`` imports beyond torch and numpy (installed into the awave venv, where the repository
#: itself goes in with ``--no-deps``).
AWAVE_VENV_TEACHER_DEPS = ("pydantic", "safetensors", "threadpoolctl")


def _awave_venv_works():
    """Whether the awave venv imports awave, torch, PyWavelets and our teachers (the error is kept on the
    function's ``error`` attribute)."""
    proc = subprocess.run([str(AWAVE_PY), "-c", "import awave, torch, pywt, awd_studio.models.teachers"], env=ENV,
                          capture_output=True, text=True)
    _awave_venv_works.error = proc.stderr.strip().splitlines()[-1:] if proc.returncode else None
    return proc.returncode == 0


def run(side, task, opts, timeout=1800, env=None):
    """Run one measurement in a fresh process; return its JSON plus ``wall_seconds`` of the whole process.

    ``env`` defaults to one thread (:data:`ENV`); :data:`ENV_ALL` runs on every available core."""
    py = AWAVE_PY if side == "theirs" else OURS_PY
    script = BENCH_DIR / ("theirs.py" if side == "theirs" else "ours.py")
    start = time.perf_counter()
    proc = subprocess.run([str(py), str(script), task, json.dumps(opts)], env=env or ENV, cwd=str(REPO_DIR),
                          capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{side} {task} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1][len("BENCH_JSON "):])
    out["wall_seconds"] = wall
    return out


def versions():
    code = ("import json, sys, torch, numpy, pywt; v = {'python': sys.version.split()[0], 'torch': "
            "torch.__version__, 'numpy': numpy.__version__, 'pywt': pywt.__version__}\n"
            "try:\n from importlib.metadata import version; v['awave'] = version('awave')\n"
            "except Exception: pass\nprint(json.dumps(v))")
    out = {}
    for side, py in (("ours", OURS_PY), ("theirs", AWAVE_PY)):
        proc = subprocess.run([str(py), "-c", code], env=ENV, capture_output=True, text=True)
        out[side] = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-300:]}
    return out


def machine():
    model, cores = platform.processor() or "?", os.cpu_count()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpu": model, "cores": cores, "affinity": available_cores(), "load_at_start": load,
            "platform": platform.platform()}


# ------------------------------------------------------------------------------------------------ measures
#: Our configurations in the fit rows, labelled by the gradient path they use (docs/science.md):
#: ``straight_through`` is awave's own gradient (double backpropagation through the teacher), so that row is the
#: like-for-like comparison; ``eq8`` is the gradient of the loss of paper eq. 8 (teacher gradient once per
#: dataset), the product's default.
FIT_CONFIGS = {
    "awave 0.1 (straight-through, zero/free)": ("theirs", {"mode": "zero"}),
    "ours straight-through (awave-compatible), zero/free": (
        "ours", {"mode": "zero", "parametrization": "free", "gradient_path": "straight_through"}),
    "ours gradient of eq. 8, zero/free": (
        "ours", {"mode": "zero", "parametrization": "free", "gradient_path": "eq8"}),
    "ours gradient of eq. 8, periodization/orthogonal (default)": (
        "ours", {"mode": "periodization", "parametrization": "orthogonal", "gradient_path": "eq8"}),
    "the teacher's double backward alone (no wavelet; the floor of any straight-through fit)": (
        "ours", {"task": "teacher_double_backward"}),
}
THEIRS = "awave 0.1 (straight-through, zero/free)"
LIKE_FOR_LIKE = "ours straight-through (awave-compatible), zero/free"
EQ8_FREE = "ours gradient of eq. 8, zero/free"
DEFAULT = "ours gradient of eq. 8, periodization/orthogonal (default)"
TEACHER_FLOOR = "the teacher's double backward alone (no wavelet; the floor of any straight-through fit)"

#: The fit rows: (key, data, teacher, epochs) -- the MLP on the synthetic series, the paper-sized CME LSTM
#: (hidden 20, length 40), the small CNN on the lensing maps.
FITS = [("fit1d_mlp", "series", "mlp", 5), ("fit1d_lstm20", "cme", "lstm20", 5), ("fit2d_cnn", "maps", "cnn", 3)]


def steady(epoch_seconds):
    """Seconds per epoch after the first: median over epochs 2.. (the first is reported on its own)."""
    return median(epoch_seconds[1:] or epoch_seconds)


def spread(values):
    """``{"min", "median", "max", "all"}`` of a list of numbers."""
    return {"min": min(values), "median": median(values), "max": max(values), "all": list(values)}


def bench_startup(reps):
    log("per-process start-up (import + Adam, which lazily imports torch._dynamo)")
    res = {"ours": [], "theirs": []}
    for _ in range(reps):
        for side in ("ours", "theirs"):
            res[side].append(run(side, "noop", {}))
    return {side: {"wall_seconds": spread([r["wall_seconds"] for r in rs]),
                   "peak_rss_mib": median([r["peak_rss_mib"] for r in rs])} for side, rs in res.items()}


def bench_fit(paths, data, teacher, reps, epochs, configs=FIT_CONFIGS, env=None, tag=""):
    """Interleaved repeats of every configuration on one data set and teacher; spreads of each figure."""
    base = {"data": paths[data], "teacher": teacher, "teacher_path": paths[teacher], "epochs": epochs,
            "lam": LAM, "gam": GAM, "levels": 4, "wave": "db5", "batch_size": 100, "lr": 1e-3, "seed": 0}
    res = {k: [] for k in configs}
    for r in range(reps):
        for name, (side, opts) in configs.items():
            log(f"fit {data}/{teacher}{tag}, repeat {r + 1}/{reps}: {name}")
            task = opts.get("task", "fit")
            res[name].append(run(side, task, {**base, **{k: v for k, v in opts.items() if k != "task"}}, env=env))
    out = {}
    for name, rs in res.items():
        out[name] = {"seconds_per_epoch": spread([steady(r["epoch_seconds"]) for r in rs]),
                     "first_epoch_seconds": spread([r["epoch_seconds"][0] for r in rs]),
                     "fit_seconds": spread([r["fit_seconds"] for r in rs]),
                     "peak_rss_mib": median([r["peak_rss_mib"] for r in rs]),
                     "terms": rs[-1].get("terms"), "filter": rs[-1].get("filter"), "epochs": epochs}
    return out


def bench_grid(paths, reps, epochs, chunks):
    grid = [(lam, gam) for lam in LAMBDAS for gam in GAMMAS]
    base = {"data": paths["series"], "teacher": "mlp", "teacher_path": paths["mlp"], "epochs": epochs,
            "levels": 4, "wave": "db5", "batch_size": 100, "lr": 1e-3, "seed": 0, "mode": "zero",
            "lambdas": LAMBDAS, "gammas": GAMMAS, "parametrization": "free"}
    ours = {"vectorised eq8": [], "vectorised straight_through": [], "sequential eq8": []}
    theirs = []
    parts = [grid[i::chunks] for i in range(chunks)]
    for r in range(max(reps, chunks)):
        if r < reps:
            log(f"grid 5 x 6, {epochs} epochs, repeat {r + 1}/{reps}: ours vectorised (eq8, straight-through)")
            ours["vectorised eq8"].append(run("ours", "grid", {**base, "gradient_path": "eq8"}))
            ours["vectorised straight_through"].append(
                run("ours", "grid", {**base, "gradient_path": "straight_through"}))
        if r < chunks:
            log(f"grid: ours 30 fits one after another (eq8), repeat {r + 1}/{chunks}")
            ours["sequential eq8"].append(run("ours", "grid_sequential", {**base, "gradient_path": "eq8"}))
            log(f"grid: awave fits {len(parts[r])} of {len(grid)} one after another (part {r + 1}/{chunks})")
            theirs.append(run("theirs", "grid", {**base, "grid": parts[r]}))
    fits = [f for part in theirs for f in part["fits"]]
    ours_loss = {tuple(p): v for p, v in zip(grid, ours["vectorised eq8"][-1]["final_train_loss"])}
    seq_loss = {tuple(p): v for p, v in zip(grid, ours["sequential eq8"][-1]["final_train_loss"])}
    return {"ours": {k: {"seconds": spread([r["fit_seconds"] for r in rs]),
                         "peak_rss_mib": median([r["peak_rss_mib"] for r in rs])} for k, rs in ours.items()},
            "theirs_seconds": sum(f["fit_seconds"] for f in fits),
            "theirs_part_seconds": [sum(f["fit_seconds"] for f in part["fits"]) for part in theirs],
            "theirs_n_fits": len(fits), "theirs_peak_rss_mib": max(t["peak_rss_mib"] for t in theirs),
            "epochs": epochs,
            "losses": [{"lam": f["lam"], "gam": f["gam"], "theirs": f["final_train_loss"],
                        "ours": ours_loss[(f["lam"], f["gam"])], "ours_sequential": seq_loss[(f["lam"], f["gam"])]}
                       for f in fits]}


def bench_predict(paths, reps, filters):
    """The AWD predictor against the teacher its filter was distilled from (both R² on the held-out 20 %),
    and against the reference models (LSTM hidden 40 on the synthetic series; untrained ResNet18 on maps)."""
    cases = [  # (row key, data, teacher, filter, n_eval, reference?)
        ("series, MLP teacher", "series", "mlp", filters.get("fit1d_mlp"), 16384, False),
        ("CME, paper-sized LSTM teacher", "cme", "lstm20", filters.get("fit1d_lstm20"), 16384, False),
        ("maps, CNN teacher", "maps", "cnn", filters.get("fit2d_cnn"), None, False),
        ("series, reference model: LSTM (hidden 40)", "series", "lstm", filters.get("fit1d_mlp"), 16384, True),
        ("maps, reference model: ResNet18 (untrained)", "maps", "resnet18", filters.get("fit2d_cnn"), None, True),
    ]
    out = {}
    for key, data, teacher, f, n_eval, reference in cases:
        if f is None:
            continue
        res = {"teacher": [], "awd": []}
        for r in range(reps):
            for which in ("awd", "teacher"):
                log(f"predict {key}, repeat {r + 1}/{reps}: {which}")
                res[which].append(run("ours", "predict", {"data": paths[data], "teacher": teacher,
                                                          "teacher_path": paths[teacher], "which": which,
                                                          "filter": f, "mode": "periodization",
                                                          "trained": teacher != "resnet18",
                                                          "levels": 4, "n_eval": n_eval, "repeats": 3}))
        out[key] = {w: {"seconds_per_sample": spread([r["seconds_per_sample"] for r in rs]),
                        "latency_seconds": spread([r["latency_seconds"] for r in rs]),
                        "n_eval": rs[-1]["n_eval"], "peak_rss_mib": median([r["peak_rss_mib"] for r in rs]),
                        "params": rs[-1]["params"], "r2": rs[-1].get("r2")} for w, rs in res.items()}
        out[key].update(teacher_name=teacher, reference=reference)
    return out


def bench_scaling(paths, epochs):
    log("scaling table (ours, periodization + orthogonal)")
    return run("ours", "scaling", {"data": paths["series"], "mlp_path": paths["mlp"], "teacher": "mlp",
                                   "epochs": epochs})


def bench_profile(paths):
    log("profile (ours, torch.profiler)")
    proc = subprocess.run([str(OURS_PY), str(BENCH_DIR / "profile_ours.py"), paths["series"], paths["mlp"]],
                          env=ENV, cwd=str(REPO_DIR), capture_output=True, text=True, timeout=900)
    return proc.stdout if proc.returncode == 0 else f"(profile failed: {proc.stderr[-1500:]})"


def bench_end_to_end(log_fn):
    """The end-to-end table (bench/end_to_end.py): whole jobs, each in a fresh process, default threads."""
    from bench.end_to_end import table

    return table(log=log_fn)


# ------------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and epochs (checks the script only)")
    ap.add_argument("--out", default=str(BENCH_DIR / "RESULTS.md"))
    ap.add_argument("--reps", type=int, default=None, help="repeats per figure (default 5; --quick 2)")
    ap.add_argument("--skip", default="",
                    help="comma list of parts to skip: fit1d_mlp,fit1d_lstm20,fit2d_cnn,grid,predict,threads,"
                         "scaling,profile,end_to_end")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite RESULTS.md from bench/.work/results.json without measuring anything")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the parts of bench/.work/results.json that this run skips (to regenerate the report "
                         "from parts run at different times; RESULTS.md then says so)")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    store = WORK_DIR / "results.json"
    if args.report_only:
        from bench.report import write_report

        saved = json.loads(store.read_text())
        write_report(saved["info"], saved["results"], Path(args.out))
        log(f"wrote {args.out} from {store}")
        return
    reps = args.reps or (2 if args.quick else 5)
    t0 = time.perf_counter()
    info = {"machine": machine(), "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": "make bench  (= .venv/bin/python bench/run_all.py" + (" --quick" if args.quick else "")
            + (f" --skip {args.skip}" if args.skip else "") + (" --reuse" if args.reuse else "") + ")",
            "quick": args.quick, "reps": reps}
    ensure_awave_venv()
    info["versions"] = versions()
    log("preparing data and teachers (once; cached in bench/.work/)")
    proc = subprocess.run([str(OURS_PY), "-c", "import json, sys; sys.path.insert(0, '.');"
                           "from bench.prepare import prepare; print('PATHS', json.dumps(prepare()))"],
                          env=ENV, cwd=str(REPO_DIR), capture_output=True, text=True, check=True)
    paths = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("PATHS ")][-1][6:])

    results = json.loads(store.read_text())["results"] if args.reuse and store.exists() else {}
    WORK_DIR.mkdir(exist_ok=True)

    def save():  # after every part, so that an interrupted run keeps what it measured, and when it did
        info["total_seconds"] = time.perf_counter() - t0
        stamps = results.setdefault("measured_at", {})
        stamps.update({key: datetime.datetime.now().isoformat(timespec="minutes") for key in results
                       if key not in stamps and key not in NOT_PARTS})
        store.write_text(json.dumps({"info": info, "results": results}, indent=1))

    reused = sorted(results)
    stamps = results.get("measured_at", {})
    # a reused part keeps its time (None when its run predates the stamps); the parts measured anew get new ones
    results["measured_at"] = {k: stamps.get(k) for k in reused if k in skip and k not in NOT_PARTS}
    results["startup"] = bench_startup(reps)
    for key, data, teacher, epochs in FITS:
        if key not in skip:
            results[key] = bench_fit(paths, data, teacher, reps, 2 if args.quick else epochs)
            save()
    if "grid" not in skip:
        results["grid"] = bench_grid(paths, reps, 2 if args.quick else 10, 3)
        save()
    if "predict" not in skip:
        filters = {key: results[key][DEFAULT]["filter"] for key, *_ in FITS if key in results}
        results["predict"] = bench_predict(paths, reps, filters)
        save()
    if "threads" not in skip:  # the same fits on every available core, beside the one-thread rows
        configs = {k: FIT_CONFIGS[k] for k in (THEIRS, LIKE_FOR_LIKE, DEFAULT)}
        reps_all = reps if reps < 3 else max(3, reps - 2)
        results["threads"] = {"cores": machine()["affinity"], "fits": {
            key: bench_fit(paths, data, teacher, reps_all, 2 if args.quick else epochs, configs,
                           env=ENV_ALL, tag=", all threads")
            for key, data, teacher, epochs in FITS if key in ("fit1d_lstm20", "fit2d_cnn")}}
        save()
    if "scaling" not in skip:
        results["scaling"] = bench_scaling(paths, 2 if args.quick else 3)
    if "profile" not in skip:
        results["profile"] = bench_profile(paths)
    if "end_to_end" not in skip:
        results["end_to_end"] = bench_end_to_end(log)
        save()
    results["lam"], results["gam"] = LAM, GAM
    info["reused_parts"] = [k for k in reused if k in results and k not in NOT_PARTS and k in skip]
    info["machine"]["load_at_end"] = os.getloadavg()
    save()
    from bench.report import write_report

    write_report(info, results, Path(args.out))
    log(f"done in {info['total_seconds'] / 60:.1f} min; wrote {args.out}")


if __name__ == "__main__":
    main()
