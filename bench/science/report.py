"""Format bench/SCIENCE.md from the stored runs of ``python -m bench.science``.

The report is rewritten whole, except for the marked blocks of the file being replaced (:func:`kept_blocks`):
the sections written by hand between ``<!-- by-hand:begin -->`` and ``<!-- by-hand:end -->`` (dated
measurements, placed after the introduction), the sections other scripts rewrite between their own markers
(``bench.science.scattering``; placed at the end), and the gradient-path section when the stored runs hold none
of its cases (with them, it is written from the runs).
"""

import datetime
import platform
import re
import subprocess
from pathlib import Path

import numpy as np

from bench.science import gradient_paths
from bench.science.numbers import mean_sd

#: The paper's Table 1 (CME, test R²) and Table 2 (cosmology, test RMSE of Omega_m x 1e-2).
PAPER = {
    "cme": {"awd": 0.262, "awd_no_interp": 0.231, "baseline_wavelet": 0.197, "teacher": 0.237},
    "lensing": {"awd": 1.029, "awd_no_interp": 1.354, "baseline_wavelet": 1.569, "laplace": 1.369,
                "roberts_cross": 1.259, "teacher": 1.156},
}
TITLES = {
    "synthetic": "Synthetic (paper 4.1): the project's simulator, start sym5, truth db5, synthetic grid",
    "cme": "CME-like traces (paper 4.2): the project's simulator, defaults",
    "lensing": "Lensing-like maps (paper 4.3): the project's simulator, defaults",
    "halo": "Independent check: halo-model maps (bench/science/halo_maps.py), defaults",
    "lensing_kernels": "Lensing-like maps, the paper's map student (the four sub-filter responses, "
                       "`peak_response=\"kernels\"`)",
    "halo_kernels": "Halo-model maps, the paper's map student (the four sub-filter responses, "
                    "`peak_response=\"kernels\"`)",
    "lensing_signed": "Lensing-like maps, the map student's signed range (the LL response over [-b, b], "
                      "`peak_range=\"signed\"`)",
    "halo_signed": "Halo-model maps, the map student's signed range (the LL response over [-b, b], "
                   "`peak_range=\"signed\"`)",
    "covid": "Independent check: Covid3Month (real data, Monash regression archive), defaults",
    "cme_eq8": "Gradient paths: CME, free filter, LSTM teacher, `eq8` (the gradient of eq. 8's loss)",
    "cme_straight": "Gradient paths: CME, free filter, LSTM teacher, `straight_through` (awave-compatible)",
    "cme_control": "CME-like traces with the teacher-free control (`random_search=300`)",
    "lensing_control": "Lensing-like maps with the teacher-free control (`random_search=300`)",
    "halo_control": "Halo-model maps with the teacher-free control (`random_search=300`)",
    "synthetic_positions": "Synthetic, the series student of fixed positions (`series_features=\"positions\"`), "
                           "with the teacher-free control",
    "cme_positions": "CME-like traces, the series student of fixed positions (`series_features=\"positions\"`), "
                     "with the teacher-free control",
}
ROWS = [("awd", "AWD (best grid point)"), ("chosen", "AWD as the product delivers it (CV choice: AWD or initial)"),
        ("awd_no_interp", "AWD, γ = 0"), ("baseline_wavelet", "initial wavelet"), ("laplace", "Laplace peaks"),
        ("roberts_cross", "Roberts-cross peaks"), ("peak_heights", "raw peak heights"),
        ("random_search", "best of N random wavelets by CV, no teacher (option random_search)"), ("teacher", "teacher")]


def _score(row, key, metric):
    """A model's test score in a run: R² (series) or RMSE x 100 (maps)."""
    if key == "teacher":
        m = row["teacher"]
    elif key == "chosen":
        m = row["models"]["awd" if row["verdict"]["choice"] == "awd" else "baseline_wavelet"]
    else:
        m = row["models"].get(key)
    if m is None:
        return None
    return m["r2"] if metric == "r2" else 100.0 * m["rmse"]


def _git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _case_table(rows, case):
    maps = rows[0]["models"].get("laplace") is not None
    metric = "rmse" if maps else "r2"
    head = ("test RMSE of Omega_m x 1e-2 (lower is better)" if maps else "test R² (higher is better)")
    paper = PAPER.get(case, {})
    lines = [f"| model | {head}, mean ± SD over {len(rows)} seeds | R² | paper |", "|---|---|---|---|"]
    for key, label in ROWS:
        values = [_score(r, key, metric) for r in rows]
        if all(v is None for v in values):
            continue
        r2 = [_score(r, key, "r2") for r in rows] if maps else None
        fmt = "{:.3f}" if metric == "r2" else "{:.3f}"
        lines.append(f"| {label} | {mean_sd(values, fmt)} | {mean_sd(r2) if maps else ''} | "
                     f"{paper.get(key, '') if key != 'chosen' else ''} |")
    return lines


def _runs_table(rows):
    lines = ["| case | seed | CV: AWD − initial (± SE) | choice | test: AWD − initial [95 % interval] | verdict | "
             "students that do not beat the mean in CV | wall (s) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d = r["verdict"]["test_difference"]
        scale = 1.0 if d["metric"] == "r2" else 100.0
        unit = "R²" if d["metric"] == "r2" else "RMSE x 1e-2"
        weak = [k for k, m in r["models"].items() if not m["beats_mean"]]
        lines.append(f"| {r['case']} | {r['seed']} | {r['selection']['cv_gain']:+.3f} ± "
                     f"{r['selection']['cv_gain_se']:.3f} | {r['verdict']['choice']} | {scale * d['estimate']:+.3f} "
                     f"[{scale * d['low']:+.3f}, {scale * d['high']:+.3f}] {unit} | {r['verdict']['text']} | "
                     f"{', '.join(weak) or '—'} | {r['wall_seconds']:.0f} |")
    return lines


def _targets(by_case):
    lines = []
    for case in ("cme", "lensing", "halo", "lensing_kernels", "halo_kernels", "lensing_signed", "halo_signed",
                 "covid"):
        rows = by_case.get(case)
        if not rows:
            continue
        sign = 1.0 if rows[0]["verdict"]["metric"] == "r2" else -1.0
        worse = sum(max(sign * r["verdict"]["test_difference"]["low"], sign * r["verdict"]["test_difference"]["high"])
                    < 0 for r in rows)
        better = sum(min(sign * r["verdict"]["test_difference"]["low"], sign * r["verdict"]["test_difference"]["high"])
                     > 0 for r in rows)
        chosen_worse = sum(r["verdict"]["choice"] == "awd" and max(
            sign * r["verdict"]["test_difference"]["low"], sign * r["verdict"]["test_difference"]["high"]) < 0
            for r in rows)
        lines.append(f"- **{case}**: the best grid point is significantly worse than the initial wavelet on "
                     f"{worse}/{len(rows)} seeds and significantly better on {better}/{len(rows)}; the product's "
                     f"choice (AWD only when it wins in CV) is significantly worse on {chosen_worse}/{len(rows)}.")
        if rows[0]["models"].get("laplace") is not None:  # maps: the fixed filters too
            awd = np.mean([r["models"]["awd"]["rmse"] for r in rows])
            lap = np.mean([r["models"]["laplace"]["rmse"] for r in rows])
            rob = np.mean([r["models"]["roberts_cross"]["rmse"] for r in rows])
            lines.append(f"  AWD {'beats' if awd < min(lap, rob) else 'does not beat'} Laplace and Roberts "
                         f"(mean RMSE x 1e-2: AWD {100 * awd:.3f}, Laplace {100 * lap:.3f}, Roberts {100 * rob:.3f}).")
    return lines


def _ablation(rows):
    keys = list(rows[0]["map_students"])
    names = sorted({k.split("/")[2] for k in keys}, key=["db5", "laplace", "roberts", "raw"].index)
    lines = ["| covariance / classes | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for cov in ("pooled", "per_class"):
        for classes in ("rows", "omega_m"):
            cells = [mean_sd([100 * r["map_students"][f"{cov}/{classes}/{n}"] for r in rows]) for n in names]
            label = f"{cov} / {'full rows (Omega_m, sigma_8)' if classes == 'rows' else 'Omega_m alone'}"
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


#: Marks the hand-written part of bench/SCIENCE.md that :func:`write_report` keeps where it is.
BY_HAND = "by-hand"

_BLOCK = re.compile(r"<!-- ([a-z0-9-]+):begin -->.*?<!-- \1:end -->", re.S)


#: The marker name of the gradient-path section (:mod:`bench.science.gradient_paths`).
GRADIENT_PATHS = gradient_paths.BEGIN[len("<!-- "):-len(":begin -->")]


def kept_blocks(text):
    """The marked blocks of an existing report: ``<!-- NAME:begin -->`` to ``<!-- NAME:end -->``.

    Parameters
    ----------
    text : str
        The report being replaced.

    Returns
    -------
    dict of str to str
        Marker name to the whole block, markers included, in the order they appear.
    """
    return {m.group(1): m.group(0) for m in _BLOCK.finditer(text)}


def write_report(rows, out):
    """Write the Markdown report of all stored runs to ``out``, keeping the blocks of :func:`kept_blocks`."""
    old = Path(out).read_text() if Path(out).exists() else ""
    kept = kept_blocks(old)
    by_case = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r)
    for case_rows in by_case.values():
        case_rows.sort(key=lambda r: r["seed"])
    lines = ["# The science benchmark: does distillation earn its place?", "",
             f"Written by `make science` (`python -m bench.science`) on {datetime.date.today().isoformat()}, "
             f"commit {_git('rev-parse', '--short', 'HEAD') or '?'}, {platform.machine()} "
             f"({platform.python_version()}), BLAS on one thread, torch on the job's default threads (every "
             "core, as a user's job). Every run is the product's pipeline with its "
             "defaults (`models.pipeline.run`), so the numbers are what a user gets. Procedures: "
             "docs/science.md.", "",
             "AWD (best grid point) is the student on the grid point with the best repeated-CV score; the "
             "product chooses it over the initial wavelet only when its CV gain exceeds one corrected standard "
             "error, and says which in the verdict. Intervals: paired bootstrap of the test set (10,000 "
             "resamples).", ""]
    if BY_HAND in kept:
        lines += [kept.pop(BY_HAND), ""]
    for case in ("synthetic", "synthetic_positions", "cme", "cme_control", "cme_positions", "lensing",
                 "lensing_control", "halo", "halo_control", "lensing_kernels", "halo_kernels", "lensing_signed",
                 "halo_signed", "covid", "cme_eq8", "cme_straight"):
        case_rows = by_case.get(case)
        if not case_rows:
            continue
        walls = [r["wall_seconds"] for r in case_rows]
        lines += [f"## {TITLES[case]}", "",
                  f"n_train {case_rows[0]['n_train']}, n_test {case_rows[0]['n_test']}, boundary mode "
                  f"{case_rows[0]['mode']}, teacher {case_rows[0]['teacher_name']}; seeds "
                  f"{', '.join(str(r['seed']) for r in case_rows)}; wall time per run {np.mean(walls):.0f} s "
                  f"(max {np.max(walls):.0f} s) on the shared 2-core machine.", ""]
        lines += _case_table(case_rows, case) + [""]
        if "distance_to_truth" in case_rows[0]:
            closest = [r["closest_distance_to_truth"] for r in case_rows if "closest_distance_to_truth" in r]
            lines += [f"Distance of the best grid point's ψ to the true db5 (÷ ‖ψ_db5‖): start "
                      f"{mean_sd([r['init_distance_to_truth'] for r in case_rows])}, end "
                      f"{mean_sd([r['distance_to_truth'] for r in case_rows])}"
                      + (f"; the grid point closest to db5 (the paper's selection, which needs the truth) "
                         f"{mean_sd(closest)}" if len(closest) == len(case_rows) else "") + ".", ""]
        if "map_students" in case_rows[0]:
            lines += ["Peak-count students without distillation, test RMSE of Omega_m x 1e-2 (the χ² student's class "
                      "definition and covariance; db5 through its four sub-filter responses, the paper's student):",
                      ""] + _ablation(case_rows) + [""]
    old_paths = kept.pop(GRADIENT_PATHS, None)
    lines += gradient_paths.section(by_case) or ([old_paths, ""] if old_paths else [])
    lines += ["## Every run: selection, paired test interval, verdict", ""] + _runs_table(rows) + [""]
    lines += ["## Targets the science benchmark checks", ""] + _targets(by_case) + [""]
    lines += ["## The paper's numbers", "",
              "CME test R²: AWD 0.262, LSTM 0.237, AWD γ = 0 0.231, db5 0.197 (real He et al. data, 2936 / 1005). "
              "Cosmology RMSE(Omega_m) x 1e-2: AWD 1.029, ResNet 1.156, Roberts 1.259, γ = 0 1.354, Laplace 1.369, "
              "db5 1.569 (MassiveNuS, 100,000 maps). Our examples are small simulations (2936 traces; 1200 maps of "
              "64 x 64), so absolute numbers are not comparable; the comparisons between rows are.", ""]
    for block in kept.values():
        lines += [block, ""]
    Path(out).write_text("\n".join(lines))
