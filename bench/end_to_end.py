"""End-to-end wall time of whole jobs, as a user runs them: ``awd example NAME`` data, then ``awd distill``.

Usage::

    python bench/end_to_end.py RUN '<json options>'     # one job in this process; prints BENCH_JSON {...}
    python bench/end_to_end.py table [--quick] [--threads all|1] [--cases synthetic,cme,...] [--out FILE]

``RUN`` options: ``example`` (synthetic, cme, lensing), ``grid_preset`` (default, paper), ``parametrization``
(orthogonal, free), ``threads`` (an int; ``0`` leaves the process's own choice, i.e. the job's default),
``start_search`` (an int; left out: the job's default), ``peak_response`` (maps: ``magnitude`` or ``kernels``;
left out: the job's default), ``random_search`` (an int: the teacher-free control's wavelets; left out: the
job's default).

Each job runs in a fresh process (its peak memory is its own); the stages are timed from the pipeline's
``progress(stage, ...)`` callback: a stage runs from the first report of its name to the first report of the
next stage. ``teacher`` is teacher training (and the once-per-dataset preparation that precedes it is
``data``); ``distill`` the teacher's input gradients, the start search and the vectorised fit of the whole grid (the
stage reports itself before them since 2026-12-02; earlier tables counted them in ``teacher``); ``select`` the
cross-validation that picks the wavelet; ``students`` fitting and timing the students, figures and bundle. Each
stage also records the process's CPU seconds (all its threads): on a shared machine wall time grows with the
load, CPU time much less, and the process's peak resident memory when it ended (``stages_peak_mib``; a peak
never falls, so the first stage whose figure reaches ``peak_rss_mib`` is the one that set it).
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


def emit(result):
    """Print the one ``BENCH_JSON`` line the parent reads (bench.common's emit pins one thread on import)."""
    sys.__stdout__.write("BENCH_JSON " + json.dumps(result) + "\n")
    sys.__stdout__.flush()

STAGES = ("data", "teacher", "distill", "select", "students")

#: (example, grid preset, parametrization) of the table: every example with the defaults and with --grid
#: paper; lensing also with the free filter (the slowest case the issue names).
CASES = [("synthetic", "default", "orthogonal"), ("cme", "default", "orthogonal"),
         ("lensing", "default", "orthogonal"), ("synthetic", "paper", "orthogonal"),
         ("cme", "paper", "orthogonal"), ("lensing", "paper", "orthogonal"), ("lensing", "paper", "free"),
         ("cme", "default", "free")]


def run_job(opts):
    """One job in this process: write the example, run the pipeline, time its stages. Returns a dict."""
    threads = int(opts.get("threads", 0))
    if threads:
        import torch

        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    from awd_studio.models import pipeline
    from awd_studio.models.data import write_example

    import_seconds = time.perf_counter() - t0
    marks = []

    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def peak_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    def progress(stage, fraction, message):
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter(), cpu_seconds(), peak_mib()))

    with tempfile.TemporaryDirectory(prefix="awd-e2e-") as tmp:
        data = write_example(opts["example"], Path(tmp) / "data.npz", seed=opts.get("seed", 0))
        config = {"grid_preset": opts.get("grid_preset", "default"),
                  "parametrization": opts.get("parametrization", "orthogonal")}
        if opts.get("start_search") is not None:  # left out: the job's default for the data
            config["start_search"] = int(opts["start_search"])
        if opts.get("random_search") is not None:  # the teacher-free control (left out: the job's default)
            config["random_search"] = int(opts["random_search"])
        if opts.get("peak_response"):  # left out: the job's default
            config["peak_response"] = str(opts["peak_response"])
        start, start_cpu = time.perf_counter(), cpu_seconds()
        bundle = pipeline.run(data, config, Path(tmp) / "out", progress=progress)
        end, end_cpu, end_peak = time.perf_counter(), cpu_seconds(), peak_mib()
    stages, stages_cpu, stages_peak = {}, {}, {}
    for (name, t, c, _), nxt in zip(marks, marks[1:] + [("end", end, end_cpu, end_peak)]):
        if name in STAGES:
            stages[name] = stages.get(name, 0.0) + nxt[1] - t
            stages_cpu[name] = stages_cpu.get(name, 0.0) + nxt[2] - c
            stages_peak[name] = nxt[3]  # the process's peak RSS when the stage ended (MiB, never falls)
    first, first_cpu = (marks[0][1], marks[0][2]) if marks else (start, start_cpu)
    stages["data"] = stages.get("data", 0.0) + (first - start)
    stages_cpu["data"] = stages_cpu.get("data", 0.0) + (first_cpu - start_cpu)
    import torch

    return {"example": opts["example"], "grid_preset": config["grid_preset"],
            "parametrization": config["parametrization"], "wall_seconds": end - start, "stages": stages,
            "cpu_seconds": end_cpu - start_cpu, "stages_cpu": stages_cpu, "stages_peak_mib": stages_peak,
            "import_seconds": import_seconds, "torch_threads": torch.get_num_threads(),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "n_grid": len(bundle.get("grid", [])), "timings": bundle.get("timings"),
            "predictors": delivered_against_teacher(bundle)}


def delivered_against_teacher(bundle):
    """The job's delivered predictor (the student its result recommends) against the teacher it was distilled
    from, as the result bundle scored and timed them: test R² of the job's target and seconds per sample, both
    timed by the pipeline on raw test inputs, one thread, a batch of the whole test set, median of 3 calls
    (``models.metrics.seconds_per_sample``). Returns a dict, or None when the bundle lacks either figure."""
    from awd_studio.models.pipeline.predict import recommended_model

    name = recommended_model(bundle)
    model, teacher = (bundle.get("models") or {}).get(name), bundle.get("teacher") or {}
    if not model or not teacher.get("test") or not teacher.get("predict_seconds_per_sample"):
        return None
    return {"delivered": name, "delivered_r2": model["test"]["r2"],
            "delivered_seconds_per_sample": model["predict_seconds_per_sample"],
            "delivered_params": model.get("n_params"), "teacher": teacher.get("name"),
            "teacher_r2": teacher["test"]["r2"], "teacher_seconds_per_sample": teacher["predict_seconds_per_sample"],
            "teacher_params": teacher.get("n_params")}


def job_environment():
    """The environment of a job's process: this process's, without the one-thread pins that importing
    :mod:`bench.common` set (``make bench`` imports it, and its end-to-end jobs ran with BLAS on one thread)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    common = sys.modules.get("bench.common")
    for name, value in (common.UNPINNED.items() if common is not None else ()):
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_case(opts, timeout=3600):
    """Run :func:`run_job` in a fresh process of this Python; return its dict plus the process's wall time."""
    env = job_environment()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(BENCH_DIR / "end_to_end.py"), "RUN", json.dumps(opts)], env=env,
                          cwd=str(REPO_DIR), capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"end-to-end {opts} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1][len("BENCH_JSON "):])
    out["process_seconds"] = time.perf_counter() - start
    return out


def table(cases=CASES, threads=0, log=print):
    """Run every case once, in order; returns the list of their dicts."""
    rows = []
    for example, preset, param in cases:
        log(f"end to end: {example}, grid {preset}, {param}")
        rows.append(run_case({"example": example, "grid_preset": preset, "parametrization": param,
                              "threads": threads}))
        log(f"  {rows[-1]['wall_seconds']:.1f} s, peak {rows[-1]['peak_rss_mib']:.0f} MiB, "
            + ", ".join(f"{k} {v:.1f} s" for k, v in rows[-1]["stages"].items()))
    return rows


def main(argv):
    if argv and argv[0] == "RUN":
        emit(run_job(json.loads(argv[1])))
        return
    import argparse

    ap = argparse.ArgumentParser(description="end-to-end table of whole jobs")
    ap.add_argument("cmd", choices=["table"])
    ap.add_argument("--threads", type=int, default=0, help="torch threads per job (0: the job's default)")
    ap.add_argument("--cases", default="", help="comma list of example:preset:parametrization")
    ap.add_argument("--out", default=None, help="write the rows as JSON here")
    args = ap.parse_args(argv)
    cases = [tuple(c.split(":")) for c in args.cases.split(",") if c] or CASES
    rows = table(cases, args.threads)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
