"""Does the largest-coefficient series student lose anything by never reading the padding? Measure it.

Usage::

    python -m bench.science.largest_candidates [--cases cme,synthetic,synthetic_largest] [--seeds 0,1,2,3,4]

For each example and data seed the job's first two stages run once (teacher, start search, grid:
:func:`models.pipeline.prepare.prepare`, :func:`models.pipeline.fit_grid.distill_chunk`) with the settings of
``python -m bench.science`` (CME: the defaults; synthetic: sym5, the paper's grid, the MLP teacher), then the final
stage (:func:`models.pipeline.finalize.finalize`: the choice of what the series student reads, the selection's
cross-validation, the teacher-free control, every student and its test score) runs twice on copies of the same work
files:

``all``     each band's largest coefficients among all of its coefficients (the series student before 2026-12-06)
``inside``  among those whose analysis filter has at least ``MIN_IN_SERIES`` (1 %) of its energy on the series
            (:func:`models.pipeline.students.series_candidates`, the fixed-positions student's rule)

So the teacher, the grid's filters and the splits are the same; only the student differs, in the selection too.
On the synthetic data ``series_features="auto"`` chooses the fixed-positions student (the target reads fixed db5
coefficients), which both variants share; ``synthetic_largest`` names the largest-coefficient student there.
One JSON line per run goes to ``bench/.work/largest_candidates/runs.jsonl`` (a run already there is not repeated);
the summary is printed as Markdown. Per student (AWD's best grid point, the initial wavelet, the control): test R²;
the share of its influence (|weight| × training SD) owed to terms reading mostly beyond the series' ends
(``in_series`` below ``LOW_IN_SERIES``, 10 %: what ``student_reads_beyond_ends`` warns about at 25 %); its test R²
with those terms held at their training mean (review 39B's check); its largest |weight|.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / ".work" / "largest_candidates"
VARIANTS = ("all", "inside")
#: Settings beyond ``python -m bench.science``'s of the example (the case's name up to "_").
EXTRA_CONFIG = {"synthetic_largest": {"series_features": "largest"}}
STUDENTS = ("awd", "baseline_wavelet", "random_search")

__all__ = ["run_case", "student_facts", "summary"]


@contextlib.contextmanager
def reading_every_coefficient():
    """The pipeline's largest-coefficient student without candidates (every coefficient, as before 2026-12-06);
    the fixed-positions student keeps its own."""
    from awd_studio.models.pipeline import selection, students

    original = students.series_student

    def unrestricted(config, h=None, length=None):
        model = original(config, h, length)
        return model if model.by == "position" else model.set_params(candidates=None)

    students.series_student = selection.series_student = unrestricted
    try:
        yield
    finally:
        students.series_student = selection.series_student = original


def _features(record, arrays, X):
    """The (n, F) features a stored series student reads on raw series ``X``."""
    from awd_studio.models.pipeline.student_params import record_candidates, series_coefficients
    from awd_studio.models.predictors import position_features, topk_features

    p = record["parameters"]
    coeffs = series_coefficients(record, arrays, X)
    if p["by"] == "position":
        return position_features(coeffs, p["positions"], p["k"])
    return topk_features(coeffs, p["k"], p["by"], record_candidates(p, [c.shape[1] for c in coeffs]))


def student_facts(record, arrays, X_train, X_test, y_test):
    """Test R², the influence share beyond the ends, R² with those terms at their training mean, max |weight|."""
    from awd_studio.models import metrics
    from awd_studio.models.pipeline.student_params import LOW_IN_SERIES

    features = record["parameters"]["features"]
    weights = np.array([f["weight"] for f in features])
    influence = np.abs(weights) * np.array([f["sd"] for f in features])
    beyond = np.array([f.get("in_series", 1.0) < LOW_IN_SERIES for f in features])
    train, test = _features(record, arrays, X_train), _features(record, arrays, X_test)
    intercept = float(np.atleast_1d(arrays["intercept"])[0])
    held = np.where(beyond, train.mean(axis=0), test)
    return {"r2": float(metrics.r2_score(y_test, test @ weights + intercept)),
            "beyond_share": float(influence[beyond].sum() / influence.sum()) if influence.sum() > 0 else 0.0,
            "n_beyond": int(beyond.sum()),
            "r2_beyond_at_mean": float(metrics.r2_score(y_test, held @ weights + intercept)),
            "max_abs_weight": float(np.abs(weights).max()),
            "n_left_out": int(sum(len(out) for out in record["parameters"].get("left_out") or []))}


def _row(bundle, out_dir, data):
    """What one final stage found (module docstring)."""
    from awd_studio.models.data import load_dataset
    from awd_studio.models.pipeline.predict import load_student

    dataset = load_dataset(data)
    assert len(dataset.X) == bundle["data"]["n_train"] and dataset.X_test is not None  # the students' training set
    row = {"teacher_r2": bundle["teacher"]["test"]["r2"], "choice": bundle["selection"]["choice"],
           "series_features": ((bundle["selection"].get("series_features") or {}).get("chosen")
                               or bundle["provenance"]["config"]["series_features"]),
           "grid_r2": [point["test"]["r2"] for point in bundle["grid"]],
           "cv": {name: bundle["models"][name]["cv"]["r2"] for name in STUDENTS if name in bundle["models"]},
           "test_difference": (bundle.get("verdict") or {}).get("test_difference"),
           "verdict": (bundle.get("verdict") or {}).get("text"), "students": {}}
    for name in STUDENTS:
        if name in bundle["models"]:
            record, arrays, _ = load_student(out_dir, name)
            facts = student_facts(record, arrays, dataset.X, dataset.X_test, dataset.y_test)
            assert abs(facts["r2"] - bundle["models"][name]["test"]["r2"]) < 1e-9, (name, facts["r2"])
            row["students"][name] = facts
    return row


def run_case(case, seed):
    """Both variants of one example and seed; returns their rows."""
    from awd_studio.models.data import write_example
    from awd_studio.models.pipeline.finalize import finalize
    from awd_studio.models.pipeline.fit_grid import distill_chunk
    from awd_studio.models.pipeline.prepare import prepare
    from bench.science.__main__ import CASE_CONFIG

    example = case.split("_")[0]
    root = WORK / f"{case}_{seed}"
    data = write_example(example, root / "data.npz", seed=seed)
    shared = root / "work"
    t0 = time.perf_counter()
    if not (shared / "done").exists():
        info = prepare(data, {"seed": seed, **CASE_CONFIG[example], **EXTRA_CONFIG.get(case, {})}, shared)
        distill_chunk(shared, range(len(info["config"]["lambdas"]) * len(info["config"]["gammas"])))
        (shared / "done").write_text("")
    rows = []
    for variant in VARIANTS:
        out = root / variant
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(shared, out / "work")
        t1 = time.perf_counter()
        with reading_every_coefficient() if variant == "all" else contextlib.nullcontext():
            bundle = finalize(out / "work", out)
        rows.append({"case": case, "seed": seed, "variant": variant, "finalize_seconds": time.perf_counter() - t1,
                     "first_stages_seconds": t1 - t0 if variant == VARIANTS[0] else None,
                     **_row(bundle, out, data)})
    return rows


def _mean_sd(values, digits=3, signed=False):
    values = np.asarray(values, dtype=float)
    mean = f"{values.mean():{'+' if signed else ''}.{digits}f}"
    return f"{mean} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.{digits}f}"


def _delivered(row):
    """Test R² of the model the product recommends: AWD, or the initial wavelet when cross-validation kept it."""
    return row["students"]["awd" if row["choice"] == "awd" else "baseline_wavelet"]["r2"]


def summary(rows):
    """Markdown tables of the stored rows: per example and seed, then mean ± SD over the seeds."""
    lines = ["| example | seed | reads | series student | choice | AWD | db5/sym5 | control | AWD − initial "
             "[95 %] | AWD beyond-ends share | AWD, those terms at their mean | AWD max |weight| | initial "
             "beyond-ends share |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["case"], r["seed"], r["variant"])):
        s, d = r["students"], r["test_difference"] or {}
        diff = (f"{d['estimate']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]" if isinstance(d.get("estimate"), float)
                else "")
        control = f"{s['random_search']['r2']:.3f}" if "random_search" in s else ""
        lines.append(f"| {r['case']} | {r['seed']} | {r['variant']} | {r['series_features']} | {r['choice']} | "
                     f"{s['awd']['r2']:.3f} | {s['baseline_wavelet']['r2']:.3f} | {control} | {diff} | "
                     f"{100 * s['awd']['beyond_share']:.0f} % ({s['awd']['n_beyond']}) | "
                     f"{s['awd']['r2_beyond_at_mean']:.3f} | {s['awd']['max_abs_weight']:.3g} | "
                     f"{100 * s['baseline_wavelet']['beyond_share']:.0f} % ({s['baseline_wavelet']['n_beyond']}) |")
    lines += ["", "| example | reads | AWD | db5/sym5 | AWD − initial | control | delivered | AWD beyond-ends "
              "share | initial beyond-ends share | AWD chosen |", "|---|---|---|---|---|---|---|---|---|---|"]
    for case in sorted({r["case"] for r in rows}):
        for variant in VARIANTS:
            sel = [r for r in rows if r["case"] == case and r["variant"] == variant]
            if not sel:
                continue
            awd = [r["students"]["awd"]["r2"] for r in sel]
            init = [r["students"]["baseline_wavelet"]["r2"] for r in sel]
            ctrl = [r["students"]["random_search"]["r2"] for r in sel if "random_search" in r["students"]]
            lines.append(f"| {case} ({len(sel)} seeds) | {variant} | {_mean_sd(awd)} | {_mean_sd(init)} | "
                         f"{_mean_sd(np.subtract(awd, init), signed=True)} | {_mean_sd(ctrl) if ctrl else ''} | "
                         f"{_mean_sd([_delivered(r) for r in sel])} | "
                         f"{_mean_sd([100 * r['students']['awd']['beyond_share'] for r in sel], 1)} % | "
                         f"{_mean_sd([100 * r['students']['baseline_wavelet']['beyond_share'] for r in sel], 1)} % | "
                         f"{sum(r['choice'] == 'awd' for r in sel)} of {len(sel)} |")
    return "\n".join(lines + ["", *_paired_lines(rows)])


def _paired_lines(rows):
    """inside − all per seed, mean ± SD over the seeds: the same filters' students (every grid point's), and the
    students the pipeline reports."""
    lines = ["| example | every grid point (same filters) | grid points better | AWD (best point) | initial | "
             "control | delivered |", "|---|---|---|---|---|---|---|"]
    for case in sorted({r["case"] for r in rows}):
        pairs = [(a, i) for a in rows for i in rows if a["case"] == i["case"] == case and a["seed"] == i["seed"]
                 and (a["variant"], i["variant"]) == VARIANTS]
        if not pairs:
            continue
        grid = [np.mean(np.subtract(i["grid_r2"], a["grid_r2"])) for a, i in pairs]
        better = sum(int(np.sum(np.greater(i["grid_r2"], a["grid_r2"]))) for a, i in pairs)
        total = sum(len(a["grid_r2"]) for a, _ in pairs)

        def diff(name):
            return _mean_sd([i["students"][name]["r2"] - a["students"][name]["r2"] for a, i in pairs], signed=True)

        lines.append(f"| {case} ({len(pairs)} seeds) | {_mean_sd(grid, 4, signed=True)} | {better} of {total} | "
                     f"{diff('awd')} | {diff('baseline_wavelet')} | {diff('random_search')} | "
                     f"{_mean_sd([_delivered(i) - _delivered(a) for a, i in pairs], signed=True)} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.science.largest_candidates",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="cme,synthetic,synthetic_largest")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--summary-only", action="store_true", help="print the summary of the stored runs")
    args = parser.parse_args(argv)
    store = WORK / "runs.jsonl"
    WORK.mkdir(parents=True, exist_ok=True)
    done = {(r["case"], r["seed"]) for r in _load(store)}
    if not args.summary_only:
        import torch

        torch.set_num_threads(1)
        for case in args.cases.split(","):
            for seed in [int(s) for s in args.seeds.split(",")]:
                if (case, seed) in done:
                    continue
                rows = run_case(case, seed)
                with store.open("a") as f:
                    f.writelines(json.dumps(r) + "\n" for r in rows)
                print(f"[{time.strftime('%H:%M:%S')}] {case} seed {seed}: " + "; ".join(
                    f"{r['variant']} AWD {r['students']['awd']['r2']:.3f} initial "
                    f"{r['students']['baseline_wavelet']['r2']:.3f} ({r['choice']})" for r in rows), flush=True)
    print(summary(_load(store)))
    return 0


def _load(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
