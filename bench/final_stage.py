"""The final stage of a maps job (select + students), old code against new: whole stage and its hot functions.

Usage::

    .venv/bin/python bench/final_stage.py make-work DIR [--example lensing] [--seed 0]
    .venv/bin/python bench/final_stage.py compare --work DIR [--old REF] [--repeats 5] [--skip-finalize]

``make-work`` runs one whole job with the defaults (``pipeline.run``) and keeps its work directory in
``DIR/out/work`` (``prepare.json``, ``split.npz``, the grid's chunks, the teacher): what ``finalize`` reads, so the
final stage can be run again alone.

``compare`` measures, with the code of git revision ``REF`` (default ``origin/main``; extracted with ``git archive``
into a temporary directory) as "old" and this checkout as "new":

1. *kernels*, in this process (one thread, the functions called directly): the old ``peak_kernel.py`` loaded from
   REF's file beside the new one, on the job's training peaks: the binning of one cross-validation fold's responses
   (the ``"magnitude"`` student's two channels of 4/5 of the peaks) over the five automatic ranges, one call per
   range (old) against one call for all five (new); and the compiled counting of all training maps over those five
   ranges, again one pass per range against one pass; and the bootstrap of the students stage on the job's test
   targets (six students' RMSE SDs and three paired intervals, 10 000 resamples each: fresh draws every call against
   draws kept between calls, dropped before each repeat). Each pair is timed interleaved, old then new, ``repeats``
   times; the results are checked equal.
2. *finalize*, in fresh processes, old and new alternating: ``finalize(work, out)`` on a copy of the work directory
   (the job's threads, as in a job), the wall time of its ``select`` and ``students`` stages (from the progress
   callback, as ``bench/end_to_end.py`` times them) and of the whole call. Every pair's bundles are compared:
   ``result.json`` without its timings (the ``timings`` section, the prediction seconds per sample, the finish time
   and the summary's seconds column) and the code's ``git_sha``, and every array of ``arrays.npz`` must be equal to
   the bit.

Figures are min / median / max over the repeats; ratios are old / new of the medians (and of the minima, less
sensitive to other work on a shared machine). One ``BENCH_JSON`` line ends the output.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


def emit(result):
    """The one ``BENCH_JSON`` line a parent reads."""
    sys.__stdout__.write("BENCH_JSON " + json.dumps(result) + "\n")
    sys.__stdout__.flush()


def summary(times):
    """``{"min", "median", "max"}`` of a list of seconds."""
    return {"min": min(times), "median": statistics.median(times), "max": max(times)}


def ratio_text(old, new):
    """Old / new of the medians and of the minima, as text."""
    return (f"{statistics.median(old) / statistics.median(new):.2f}x (median), "
            f"{min(old) / min(new):.2f}x (min)")


def row(name, times):
    s = summary(times)
    return f"  {name:<34} min {s['min']:.3f} s  median {s['median']:.3f} s  max {s['max']:.3f} s"


# --- the work directory ---------------------------------------------------------------------------------------------

def make_work(directory, example="lensing", seed=0):
    """Run a whole job with the defaults, keeping ``directory/out/work``; returns that path."""
    from awd_studio.models import pipeline
    from awd_studio.models.data import write_example

    directory = Path(directory)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    data = write_example(example, directory / "data.npz", seed=seed)
    pipeline.run(data, {}, directory / "out")
    return directory / "out" / "work"


# --- the old code ---------------------------------------------------------------------------------------------------

def extract_tree(ref, into):
    """The files of git revision ``ref`` of this repository, written under ``into`` (``git archive``)."""
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO_DIR), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def use_tree(tree):
    """Import ``awd_studio`` from ``tree``, whichever checkout the venv's editable install points at: rewrite the
    install's package map (call before the first ``awd_studio`` import)."""
    finders = [m for name, m in sys.modules.items() if name.startswith("__editable___awd_studio")
               and hasattr(m, "MAPPING")]
    if not finders:
        raise RuntimeError("awd_studio is not an editable install (make install): cannot point it at another tree")
    for finder in finders:
        root = Path(finder.MAPPING["awd_studio"]).parent  # the checkout installed (awd_studio is its awd/)
        for package, path in list(finder.MAPPING.items()):
            finder.MAPPING[package] = str(Path(tree) / Path(path).relative_to(root))


def load_module(path, name):
    """A module loaded from one file (``peak_kernel.py`` imports only numpy and numba)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- 1. kernels -----------------------------------------------------------------------------------------------------

def bench_kernels(work, old_tree, repeats):
    """Old against new binning and counting on the job's training maps (one thread); returns a dict of timings."""
    import numba
    import numpy as np

    numba.set_num_threads(1)
    from awd_studio.models.filters import lowpass_filter, subfilters_3x3
    from awd_studio.models.students import peak_kernel as new
    from awd_studio.models.students.maps import RESPONSE_QUANTILE
    from awd_studio.models.students.peaks import _kernel_matrix, _patch_responses, peak_patches

    # a copy of its own: numba caches the compiled loops beside the file, and a cache written by a module loaded
    # under another name breaks the old tree's own import in the finalize processes
    copy = Path(old_tree).parent / "old-kernel" / "old_peak_kernel.py"
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(Path(old_tree) / "models" / "students" / "peak_kernel.py", copy)
    old = load_module(copy, "old_peak_kernel")
    with np.load(Path(work) / "split.npz") as split:
        maps = split["X_train"]
    peaks = peak_patches(maps)
    columns = _kernel_matrix(list(subfilters_3x3(lowpass_filter("db5")).values()))
    values = _patch_responses(peaks.patches, "magnitude", columns)
    fold = np.random.default_rng(0).permutation(peaks.n_maps)[: 4 * peaks.n_maps // 5]
    position = np.full(peaks.n_maps, -1)
    position[fold] = np.arange(len(fold))
    keep = position[peaks.sample] >= 0
    scale = np.array([np.quantile(v[keep][v[keep] > 0], RESPONSE_QUANTILE) for v in values])
    fold_values = np.ascontiguousarray(values[:, keep] / scale[:, None])
    fold_sample = position[peaks.sample][keep]
    ranges = [(0.0, f) for f in (0.6, 0.8, 1.0, 1.2, 1.4)]
    rows = np.ascontiguousarray(columns.T / scale[[0, 1, 1, 1]][:, None])

    def old_binning():
        return [old.bin_values(fold_values, fold_sample, len(fold), r, 22) for r in ranges]

    def new_binning():
        return new.bin_values_ranges(fold_values, fold_sample, len(fold), ranges, 22)

    def old_counting():
        return [old.peak_count_histograms(maps, rows, r, 22, "magnitude") for r in ranges]

    def new_counting():
        return new.peak_count_histograms_ranges(maps, rows, ranges, 22, "magnitude")

    from awd_studio.models import metrics

    old_metrics = load_module(Path(old_tree) / "models" / "metrics.py", "old_metrics")
    with np.load(Path(work) / "split.npz") as split:
        y_test = split["y_test"]
    noise = np.random.default_rng(1).normal(scale=0.02, size=(6, len(y_test)))
    predictions = y_test + noise  # six students' test predictions

    def bootstrap(module):
        sds = [module.bootstrap_rmse_sd(y_test, p, seed=0) for p in predictions]
        pairs = [module.paired_bootstrap_difference(y_test, predictions[0], p, metric="rmse", seed=0)
                 for p in predictions[1:4]]
        return [sds] + [[d["low"], d["high"], d["sd"]] for d in pairs]

    def old_bootstrap():
        return bootstrap(old_metrics)

    def new_bootstrap():
        metrics._last_weights.update(key=None, chunks=None)  # a new stage: nothing kept from the last repeat
        return bootstrap(metrics)

    out = {"n_maps": int(peaks.n_maps), "n_peaks": int(len(peaks.sample)), "fold_peaks": int(keep.sum())}
    for name, pair in (("binning one fold, 5 ranges", (old_binning, new_binning)),
                       ("counting all maps, 5 ranges", (old_counting, new_counting)),
                       ("bootstrap: 6 RMSE SDs + 3 paired intervals", (old_bootstrap, new_bootstrap))):
        results = [f() for f in pair]  # compiles (or loads the cache) and checks the counts
        if not all(np.array_equal(a, b) for a, b in zip(*results)):
            raise AssertionError(f"{name}: old and new results differ")
        times = {"old": [], "new": []}
        for _ in range(repeats):
            for side, f in zip(("old", "new"), pair):
                start = time.perf_counter()
                f()
                times[side].append(time.perf_counter() - start)
        out[name] = {side: summary(t) for side, t in times.items()}
        size = {"binning": f"{out['fold_peaks']} peaks", "counting": f"{out['n_maps']} maps",
                "bootstrap": f"{len(y_test)} test maps, 10000 resamples"}[name.split(" ")[0].rstrip(":")]
        print(f"{name} (one thread; {size}):")
        print(row("old", times["old"]))
        print(row("new", times["new"]))
        print(f"  ratio old / new: {ratio_text(times['old'], times['new'])}")
        out[name]["ratio_median"] = statistics.median(times["old"]) / statistics.median(times["new"])
        out[name]["ratio_min"] = min(times["old"]) / min(times["new"])
    return out


# --- 2. finalize ----------------------------------------------------------------------------------------------------

def run_finalize(tree, work, out):
    """In a child process: ``finalize`` of a copy of ``work`` with the code of ``tree``; prints BENCH_JSON."""
    use_tree(tree)
    from awd_studio.models.pipeline.finalize import finalize

    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(work, out / "work")
    marks = []

    def progress(stage, fraction, message):
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter()))

    start = time.perf_counter()
    finalize(out / "work", out, progress=progress)
    end = time.perf_counter()
    stages = {}
    for (name, t), nxt in zip(marks, marks[1:] + [("end", end)]):
        stages[name] = stages.get(name, 0.0) + nxt[1] - t
    emit({"finalize": end - start, "select": stages.get("select", 0.0), "students": stages.get("students", 0.0)})


#: What differs between two runs of the same final stage that are no results: timings, and the code's version.
TIMING_KEYS = {"timings", "finished", "predict_seconds_per_sample", "git_sha"}


def comparable(result):
    """``result.json`` without its timings (and ``provenance.git_sha``): the summary's seconds-per-sample column (its
    last) is blanked."""
    if isinstance(result, dict):
        out = {k: comparable(v) for k, v in result.items() if k not in TIMING_KEYS}
        if isinstance(out.get("summary"), str):
            out["summary"] = re.sub(r"(\d\.\d\de[-+]\d\d)(\n|$)", r"#\2", out["summary"])
        return out
    if isinstance(result, list):
        return [comparable(v) for v in result]
    return result


def same_bundle(a, b):
    """Whether two output directories hold the same results (``comparable`` result.json, every array)."""
    import numpy as np

    if comparable(json.loads((Path(a) / "result.json").read_text())) != comparable(
            json.loads((Path(b) / "result.json").read_text())):
        return False
    with np.load(Path(a) / "arrays.npz") as x, np.load(Path(b) / "arrays.npz") as y:
        return sorted(x.files) == sorted(y.files) and all(np.array_equal(x[k], y[k]) for k in x.files)


def child(tree, work, out):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "RUN-FINALIZE", str(tree), str(work),
                           str(out)], env=env, cwd=str(REPO_DIR), capture_output=True, text=True, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"finalize with {tree} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("BENCH_JSON "):])


def bench_finalize(work, old_tree, repeats, scratch):
    """Old and new ``finalize`` alternating in fresh processes; returns their timings and whether every pair's
    bundles were equal."""
    trees = {"old": str(old_tree), "new": str(REPO_DIR)}
    for side, tree in trees.items():  # numba compiles into each tree's cache once, outside the timings
        child(tree, work, Path(scratch) / f"warm-{side}")
    runs = {"old": [], "new": []}
    identical = True
    for i in range(repeats):
        for side in ("old", "new") if i % 2 == 0 else ("new", "old"):
            runs[side].append(child(trees[side], work, Path(scratch) / side))
        identical &= same_bundle(Path(scratch) / "old", Path(scratch) / "new")
    out = {"identical": bool(identical)}
    print(f"finalize of the saved work directory (fresh processes, old and new alternating, {repeats} each):")
    for key in ("select", "students", "finalize"):
        old, new = [r[key] for r in runs["old"]], [r[key] for r in runs["new"]]
        out[key] = {"old": summary(old), "new": summary(new),
                    "ratio_median": statistics.median(old) / statistics.median(new), "ratio_min": min(old) / min(new)}
        print(f" {key}:")
        print(row("old", old))
        print(row("new", new))
        print(f"  ratio old / new: {ratio_text(old, new)}")
    print(f" bundles equal (result.json without timings, arrays.npz): {identical}")
    return out


def main(argv):
    if argv and argv[0] == "RUN-FINALIZE":
        run_finalize(*argv[1:4])
        return
    ap = argparse.ArgumentParser(description="old against new: the final stage of a maps job")
    sub = ap.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make-work", help="run one job and keep its work directory")
    mk.add_argument("directory")
    mk.add_argument("--example", default="lensing")
    mk.add_argument("--seed", type=int, default=0)
    cmp_ = sub.add_parser("compare", help="old against new")
    cmp_.add_argument("--work", required=True, help="a work directory (make-work DIR makes DIR/out/work)")
    cmp_.add_argument("--old", default="origin/main", help="git revision of the old code")
    cmp_.add_argument("--repeats", type=int, default=5)
    cmp_.add_argument("--skip-finalize", action="store_true", help="only the kernels")
    args = ap.parse_args(argv)
    use_tree(REPO_DIR)  # "new" is this script's checkout, whichever the venv's editable install points at
    if args.cmd == "make-work":
        print(make_work(args.directory, args.example, args.seed))
        return
    with tempfile.TemporaryDirectory(prefix="awd-final-stage-") as scratch:
        old_tree = extract_tree(args.old, Path(scratch) / "old-tree")
        result = {"old": args.old, "repeats": args.repeats, "load_average": os.getloadavg(),
                  "kernels": bench_kernels(args.work, old_tree, args.repeats)}
        if not args.skip_finalize:
            result["finalize"] = bench_finalize(args.work, old_tree, args.repeats, scratch)
    emit(result)


if __name__ == "__main__":
    main(sys.argv[1:])
