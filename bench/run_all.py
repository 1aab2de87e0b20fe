"""Run every benchmark, ours against awave 0.1 and the AWD predictor against its teacher; write RESULTS.md.

``make bench`` calls this with the main virtualenv's Python. It

1. creates ``bench/.venv-awave`` (once) with torch 2.13.0 (CPU), numpy, PyWavelets and ``awave==0.1``;
2. makes the data and teachers once into ``bench/.work/`` (:mod:`bench.prepare`);
3. runs each measurement in a fresh subprocess of the right virtualenv (``bench/ours.py``, ``bench/theirs.py``),
   one thread each, interleaving ours and theirs repeat by repeat so that both see the same machine load;
4. writes ``bench/RESULTS.md`` (machine, versions, command, tables, loss values, profile).

Options: ``--quick`` (fewer repeats and epochs, for checking the script), ``--out PATH``.
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

from bench.common import BENCH_DIR, REPO_DIR, WORK_DIR, median  # noqa: E402

AWAVE_VENV = BENCH_DIR / ".venv-awave"
AWAVE_PY = AWAVE_VENV / "bin" / "python"
OURS_PY = Path(sys.executable)
LAMBDAS = [0.001, 0.003, 0.01, 0.03, 0.1]
GAMMAS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
LAM, GAM = 0.01, 0.01  # the single fits
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "PYTHONDONTWRITEBYTECODE": "1"}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------------------------ set-up
def ensure_awave_venv():
    """Create bench/.venv-awave with awave 0.1 and what it imports (torch, numpy, PyWavelets) if missing."""
    if AWAVE_PY.exists():
        ok = subprocess.run([str(AWAVE_PY), "-c", "import awave, torch, pywt"], env=ENV,
                            capture_output=True).returncode == 0
        if ok:
            return
    log("creating bench/.venv-awave (torch 2.13.0 CPU, numpy, PyWavelets, awave 0.1 without its deps)")
    subprocess.run(["python3", "-m", "venv", str(AWAVE_VENV)], check=True)
    pip = [str(AWAVE_VENV / "bin" / "pip"), "install", "-q"]
    subprocess.run(pip + ["torch==2.13.0", "numpy", "PyWavelets"], check=True)
    # awave's metadata asks for torch>=1.0, numpy, pywavelets only; --no-deps keeps pip from touching torch
    subprocess.run(pip + ["--no-deps", "awave==0.1"], check=True)


def run(side, task, opts, timeout=1800):
    """Run one measurement in a fresh process; return its JSON plus ``wall_seconds`` of the whole process."""
    py = AWAVE_PY if side == "theirs" else OURS_PY
    script = BENCH_DIR / ("theirs.py" if side == "theirs" else "ours.py")
    start = time.perf_counter()
    proc = subprocess.run([str(py), str(script), task, json.dumps(opts)], env=ENV, cwd=str(REPO_DIR),
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
    return {"cpu": model, "cores": cores, "load_at_start": load, "platform": platform.platform()}


# ------------------------------------------------------------------------------------------------ measures
def steady(epoch_seconds):
    """Seconds per epoch: median over the epochs after the first (the first holds one-time set-up)."""
    return median(epoch_seconds[1:] or epoch_seconds)


def bench_startup(reps):
    log("per-process start-up (import + Adam, which lazily imports torch._dynamo)")
    res = {"ours": [], "theirs": []}
    for _ in range(reps):
        for side in ("ours", "theirs"):
            res[side].append(run(side, "noop", {}))
    return {side: {"wall_seconds": median([r["wall_seconds"] for r in rs]),
                   "peak_rss_mib": median([r["peak_rss_mib"] for r in rs])} for side, rs in res.items()}


def bench_fit(paths, dim, reps, epochs):
    data, teacher = (paths["series"], "mlp") if dim == 1 else (paths["maps"], "cnn")
    base = {"data": data, "teacher": teacher, "teacher_path": paths[teacher], "epochs": epochs,
            "lam": LAM, "gam": GAM, "levels": 4, "wave": "db5", "batch_size": 100, "lr": 1e-3, "seed": 0}
    configs = {
        "theirs": ("theirs", {**base, "mode": "zero"}),
        "ours zero/free exact": ("ours", {**base, "mode": "zero", "parametrization": "free",
                                          "gradient_path": "exact"}),
        "ours zero/free precomputed": ("ours", {**base, "mode": "zero", "parametrization": "free",
                                                "gradient_path": "precomputed"}),
        "ours periodization/orthogonal": ("ours", {**base, "mode": "periodization",
                                                   "parametrization": "orthogonal", "gradient_path": "auto"}),
    }
    res = {k: [] for k in configs}
    for r in range(reps):
        for name, (side, opts) in configs.items():
            log(f"fit {dim}D, repeat {r + 1}/{reps}: {name}")
            res[name].append(run(side, "fit", opts))
    out = {}
    for name, rs in res.items():
        out[name] = {"seconds_per_epoch": median([steady(r["epoch_seconds"]) for r in rs]),
                     "all_seconds_per_epoch": [steady(r["epoch_seconds"]) for r in rs],
                     "peak_rss_mib": median([r["peak_rss_mib"] for r in rs]),
                     "terms": rs[-1]["terms"], "filter": rs[-1]["filter"]}
    return out


def bench_grid(paths, reps, epochs, chunks):
    grid = [(lam, gam) for lam in LAMBDAS for gam in GAMMAS]
    base = {"data": paths["series"], "teacher": "mlp", "teacher_path": paths["mlp"], "epochs": epochs,
            "levels": 4, "wave": "db5", "batch_size": 100, "lr": 1e-3, "seed": 0, "mode": "zero"}
    ours_cfg = {**base, "lambdas": LAMBDAS, "gammas": GAMMAS, "parametrization": "free",
                "gradient_path": "precomputed"}
    ours, theirs = [], []
    parts = [grid[i::chunks] for i in range(chunks)]
    for r in range(max(reps, chunks)):
        if r < reps:
            log(f"grid 5 x 6, {epochs} epochs, repeat {r + 1}/{reps}: ours (one vectorised fit)")
            ours.append(run("ours", "grid", ours_cfg))
        if r < chunks:
            log(f"grid: awave fits {len(parts[r])} of {len(grid)} one after another (part {r + 1}/{chunks})")
            theirs.append(run("theirs", "grid", {**base, "grid": parts[r]}))
    fits = [f for part in theirs for f in part["fits"]]
    ours_loss = {tuple(p): v for p, v in zip(grid, ours[-1]["final_train_loss"])}
    return {"ours_seconds": median([r["fit_seconds"] for r in ours]),
            "ours_all_seconds": [r["fit_seconds"] for r in ours],
            "ours_peak_rss_mib": median([r["peak_rss_mib"] for r in ours]),
            "theirs_seconds": sum(f["fit_seconds"] for f in fits),
            "theirs_n_fits": len(fits), "theirs_peak_rss_mib": max(t["peak_rss_mib"] for t in theirs),
            "losses": [{"lam": f["lam"], "gam": f["gam"], "theirs": f["final_train_loss"],
                        "ours": ours_loss[(f["lam"], f["gam"])]} for f in fits]}


def bench_predict(paths, reps, filters):
    out = {}
    for kind, data, teacher, f, n_eval in (("series", paths["series"], "lstm", filters.get(1), 16384),
                                           ("maps", paths["maps"], "resnet18", filters.get(2), None)):
        res = {"teacher": [], "awd": []}
        for r in range(reps):
            for which in ("awd", "teacher"):
                log(f"predict {kind}, repeat {r + 1}/{reps}: {which}")
                res[which].append(run("ours", "predict", {"data": data, "teacher": teacher,
                                                          "teacher_path": paths[teacher], "which": which,
                                                          "filter": f, "mode": "periodization",
                                                          "levels": 4, "n_eval": n_eval, "repeats": 3}))
        out[kind] = {w: {"seconds_per_sample": median([r["seconds_per_sample"] for r in rs]),
                         "latency_seconds": median([r["latency_seconds"] for r in rs]),
                         "torch_seconds_per_sample": median([r.get("torch_seconds_per_sample") or 0 for r in rs]),
                         "n_eval": rs[-1]["n_eval"],
                         "peak_rss_mib": median([r["peak_rss_mib"] for r in rs]),
                         "params": rs[-1]["params"], "r2": rs[-1].get("r2")} for w, rs in res.items()}
        out[kind]["teacher_name"] = teacher
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


# ------------------------------------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and epochs (checks the script only)")
    ap.add_argument("--out", default=str(BENCH_DIR / "RESULTS.md"))
    ap.add_argument("--skip", default="", help="comma list of parts to skip: grid,fit2d,scaling,profile")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    reps = 2 if args.quick else 3
    t0 = time.perf_counter()
    info = {"machine": machine(), "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": "make bench  (= .venv/bin/python bench/run_all.py" + (" --quick" if args.quick else "")
            + ")", "quick": args.quick}
    ensure_awave_venv()
    info["versions"] = versions()
    log("preparing data and teachers (once; cached in bench/.work/)")
    proc = subprocess.run([str(OURS_PY), "-c", "import json, sys; sys.path.insert(0, '.');"
                           "from bench.prepare import prepare; print('PATHS', json.dumps(prepare()))"],
                          env=ENV, cwd=str(REPO_DIR), capture_output=True, text=True, check=True)
    paths = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("PATHS ")][-1][6:])
    info["teachers"] = {k: v for k, v in paths.items() if k.endswith("_r2")}

    results = {"startup": bench_startup(reps)}
    results["fit1d"] = bench_fit(paths, 1, reps, 3 if args.quick else 5)
    if "fit2d" not in skip:
        results["fit2d"] = bench_fit(paths, 2, reps, 2 if args.quick else 3)
    if "grid" not in skip:
        results["grid"] = bench_grid(paths, reps, 2 if args.quick else 10, 3)
    filters = {1: results["fit1d"]["ours periodization/orthogonal"]["filter"]}
    if "fit2d" in results:
        filters[2] = results["fit2d"]["ours periodization/orthogonal"]["filter"]
    results["predict"] = bench_predict(paths, reps, filters)
    if "scaling" not in skip:
        results["scaling"] = bench_scaling(paths, 2 if args.quick else 3)
    if "profile" not in skip:
        results["profile"] = bench_profile(paths)
    results["lam"], results["gam"] = LAM, GAM
    info["machine"]["load_at_end"] = os.getloadavg()
    info["total_seconds"] = time.perf_counter() - t0
    WORK_DIR.mkdir(exist_ok=True)
    (WORK_DIR / "results.json").write_text(json.dumps({"info": info, "results": results}, indent=1))
    from bench.report import write_report

    write_report(info, results, Path(args.out))
    log(f"done in {info['total_seconds'] / 60:.1f} min; wrote {args.out}")


if __name__ == "__main__":
    main()
