"""The gradient-path comparison of the science benchmark: settings of its cases and its report section.

Two pairs of cases run the CME example with the free filter (where ``eq8`` and ``straight_through`` differ for
the LSTM teacher); within a pair only ``gradient_path`` differs (same data, split, teacher, grid, epochs, seed):

``cme_eq8``, ``cme_straight``              the default grid (3 lambdas x 6 gammas, 50 epochs)
``cme_eq8_small``, ``cme_straight_small``  a small grid that finishes on a shared 2-core machine: lambda 7e-4,
                                           gammas 0, 1e-3, 1e-2, 1e-1, 10 epochs

Each run stores, beside the product's scores, every grid point's gamma, CV score, test R² and filter
(:func:`grid_rows`), so that the report can compare the two paths point by point.
"""

import numpy as np

from bench.science.numbers import mean_sd

#: The small grid: one sparsity weight, gamma = 0 plus three interpretation weights a decade apart.
#: Sized from a measured straight-through run (4 points: ~30 CPU-s per epoch; the LSTM teacher ~145 CPU-s).
SMALL_GRID = {"lambdas": [7e-4], "gammas": [0.0, 1e-3, 1e-2, 1e-1], "epochs": 10}
#: Pipeline settings of the gradient-path cases beyond the defaults.
CASE_CONFIG = {
    "cme_eq8": {"parametrization": "free", "gradient_path": "eq8"},
    "cme_straight": {"parametrization": "free", "gradient_path": "straight_through"},
    "cme_eq8_small": {"parametrization": "free", "gradient_path": "eq8", **SMALL_GRID},
    "cme_straight_small": {"parametrization": "free", "gradient_path": "straight_through", **SMALL_GRID},
}
#: (eq8 case, straight-through case, what the grid is) of each pair, in report order.
PAIRS = [("cme_eq8_small", "cme_straight_small",
          "small grid: lambda 7e-4, gammas 0, 1e-3, 1e-2, 1e-1, 10 epochs"),
         ("cme_eq8", "cme_straight", "default grid: 3 lambdas x 6 gammas, 50 epochs")]


def grid_rows(bundle):
    """Every grid point of a result bundle, compact: lambda, gamma, CV score, test R² and the filter.

    Parameters
    ----------
    bundle : dict
        A result bundle (``result.json``) whose grid points carry ``test`` (the pipeline's grid students).

    Returns
    -------
    list of dict
        One per grid point: ``lambda``, ``gamma``, ``cv_score`` (mean CV R²), ``test_r2`` and ``h`` (the
        learned low-pass filter, length L).
    """
    return [{"lambda": p["lambda"], "gamma": p["gamma"], "cv_score": p["cv_score"],
             "test_r2": (p.get("test") or {}).get("r2"), "h": p["h"]} for p in bundle["grid"]]


def best_interpreting_point(grid):
    """Index of the grid point with gamma > 0 and the best CV score (None when no point has gamma > 0)."""
    candidates = [i for i, p in enumerate(grid) if p["gamma"] > 0]
    return max(candidates, key=lambda i: grid[i]["cv_score"]) if candidates else None


def filter_distance(h_a, h_b):
    """Euclidean distance between two low-pass filters divided by the norm of the first (dimensionless).

    Parameters
    ----------
    h_a, h_b : array_like of shape (L,)
    """
    h_a, h_b = np.asarray(h_a, dtype=float), np.asarray(h_b, dtype=float)
    return float(np.linalg.norm(h_a - h_b) / np.linalg.norm(h_a))


def pair_summary(eq8, straight):
    """The numbers the report gives for one seed: each path's scores and the distance between their filters.

    Parameters
    ----------
    eq8, straight : dict
        The stored runs (rows of ``runs.jsonl`` with a ``grid`` list) of the two paths on the same seed.

    Returns
    -------
    dict
        ``paths``: per path, the selected point's gamma and test R², the CV score of the selected point, the
        best gamma > 0 point's gamma, CV score and test R², wall and CPU seconds; ``distance_selected`` and
        ``distance_interp``: relative filter distance between the paths (:func:`filter_distance`) at the
        selected points and at gamma > 0 points of the same (lambda, gamma), the best-CV one of eq8.
    """
    from awd_studio.models.filters import lowpass_filter

    out = {"paths": {}}
    for name, row in (("eq8", eq8), ("straight_through", straight)):
        grid = row["grid"]
        sel = row["selected"]["index"]
        best = best_interpreting_point(grid)
        h_init = lowpass_filter(row.get("config", {}).get("wave", "db5"))
        out["paths"][name] = {
            "selected_gamma": grid[sel]["gamma"], "selected_test_r2": row["models"]["awd"]["r2"],
            "selected_cv": grid[sel]["cv_score"], "cv_gain": row["selection"]["cv_gain"],
            "interp_gamma": None if best is None else grid[best]["gamma"],
            "interp_cv": None if best is None else grid[best]["cv_score"],
            "interp_test_r2": None if best is None else grid[best]["test_r2"],
            "moved": None if best is None else filter_distance(h_init, grid[best]["h"]),
            "largest_gamma_test_r2": max(grid, key=lambda p: p["gamma"])["test_r2"],
            "wall": row["wall_seconds"], "cpu": row.get("cpu_seconds"),
            "epoch_seconds": row.get("timings", {}).get("distill_seconds_per_epoch")}
    ge, gs = eq8["grid"], straight["grid"]
    out["distance_selected"] = filter_distance(ge[eq8["selected"]["index"]]["h"],
                                               gs[straight["selected"]["index"]]["h"])
    best = best_interpreting_point(ge)
    out["distance_interp"] = None if best is None else filter_distance(ge[best]["h"], gs[best]["h"])
    out["distance_by_gamma"] = {p["gamma"]: filter_distance(p["h"], q["h"]) for p, q in zip(ge, gs)}
    return out


def _fmt(value, fmt):
    return "—" if value is None else fmt.format(value)


def report_lines(by_case):
    """Markdown of the gradient-path comparison for every pair of cases with runs of both paths.

    Parameters
    ----------
    by_case : dict of str -> list of dict
        Stored runs by case name (rows of ``runs.jsonl``).

    Returns
    -------
    list of str
        Lines of the section (empty when no pair has a seed run by both paths).
    """
    lines = []
    for eq8_case, st_case, grid_text in PAIRS:
        eq8 = {r["seed"]: r for r in by_case.get(eq8_case, []) if "grid" in r}
        st = {r["seed"]: r for r in by_case.get(st_case, []) if "grid" in r}
        seeds = sorted(set(eq8) & set(st))
        if not seeds:
            continue
        summaries = {s: pair_summary(eq8[s], st[s]) for s in seeds}
        lines += [f"## Which gradient path gives better wavelets (CME, free filter, LSTM teacher; {grid_text})", "",
                  f"`{eq8_case}` and `{st_case}`: the same data, split, teacher, grid, epochs and seed; only "
                  "`gradient_path` differs. Test R² of the student (higher is better) on the grid point the "
                  "repeated CV selects and on the gamma > 0 point with the best CV score; the CV score (mean "
                  "CV R²) of those points; the distance between the two paths' learned low-pass filters "
                  "(‖h_eq8 − h_st‖ / ‖h_eq8‖) at the selected points and at the eq8 run's best gamma > 0 "
                  "point, beside how far each path moved that point's filter from the initial wavelet's; the "
                  "distillation's wall seconds per epoch (all grid points); wall and CPU seconds of the whole job "
                  "(the job's threads on the shared 2-core machine; they include training the teacher, whose time "
                  "varied with the machine's load).", "",
                  "| seed | path | selected γ | test R² (selected) | CV R² (selected) | best γ > 0 | "
                  "test R² (best γ > 0) | CV R² (best γ > 0) | ‖h − h_init‖ / ‖h_init‖ (best γ > 0) | "
                  "distillation s / epoch | wall (s) | CPU (s) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for s in seeds:
            for name, p in summaries[s]["paths"].items():
                lines.append(f"| {s} | {name} | {p['selected_gamma']:g} | {p['selected_test_r2']:.4f} | "
                             f"{p['selected_cv']:.4f} | {_fmt(p['interp_gamma'], '{:g}')} | "
                             f"{_fmt(p['interp_test_r2'], '{:.4f}')} | {_fmt(p['interp_cv'], '{:.4f}')} | "
                             f"{_fmt(p['moved'], '{:.3g}')} | {_fmt(p['epoch_seconds'], '{:.3g}')} | "
                             f"{p['wall']:.0f} | {_fmt(p['cpu'], '{:.0f}')} |")
        lines += ["", "| seed | filter distance, selected points | filter distance, best γ > 0 point | "
                  "filter distance by γ |", "|---|---|---|---|"]
        for s in seeds:
            m = summaries[s]
            by_gamma = ", ".join(f"γ {g:g}: {d:.3g}" for g, d in m["distance_by_gamma"].items())
            lines.append(f"| {s} | {m['distance_selected']:.3g} | {_fmt(m['distance_interp'], '{:.3g}')} | "
                         f"{by_gamma} |")
        diff = {key: [summaries[s]["paths"]["eq8"][key] - summaries[s]["paths"]["straight_through"][key]
                      if summaries[s]["paths"]["eq8"][key] is not None
                      and summaries[s]["paths"]["straight_through"][key] is not None else None for s in seeds]
                for key in ("selected_test_r2", "interp_test_r2", "selected_cv", "interp_cv",
                            "largest_gamma_test_r2")}
        per_epoch = [(summaries[s]["paths"]["eq8"]["epoch_seconds"],
                      summaries[s]["paths"]["straight_through"]["epoch_seconds"]) for s in seeds]
        ratio = [st / e8 for e8, st in per_epoch if e8 and st]
        d = {key: mean_sd(values, "{:+.4f}", " (SD)") for key, values in diff.items()}
        lines += ["", f"eq8 − straight_through over {len(seeds)} seeds (mean ± SD of the per-seed differences): "
                  f"test R² at the selected point {d['selected_test_r2']}; at the best γ > 0 point "
                  f"{d['interp_test_r2']}; CV R² of the selected point {d['selected_cv']}; CV R² of the best γ > 0 "
                  f"point {d['interp_cv']}; test R² at the largest γ (where the two gradients differ most) "
                  f"{d['largest_gamma_test_r2']}. Distillation seconds per epoch, straight_through / eq8: "
                  f"{mean_sd(ratio, '{:.0f}', ' (SD)')}.", ""]
        lines += [verdict_sentence(diff["interp_test_r2"], diff["interp_cv"]), ""]
    return lines


def verdict_sentence(test_diffs, cv_diffs):
    """One plain sentence: which path gave better wavelets, judged on the best gamma > 0 points.

    A path wins only when its mean advantage on the test R² exceeds two standard errors of the per-seed
    differences and the CV agrees in sign; otherwise there is no difference beyond the seed spread.

    Parameters
    ----------
    test_diffs, cv_diffs : list of float or None
        Per seed, eq8 − straight_through of the test R² and of the CV R² at the best gamma > 0 point.
    """
    test = np.asarray([d for d in test_diffs if d is not None], dtype=float)
    cv = np.asarray([d for d in cv_diffs if d is not None], dtype=float)
    if len(test) < 2:
        return "Conclusion: fewer than two seeds, so no conclusion about the seed spread."
    mean, se = float(test.mean()), float(test.std(ddof=1) / np.sqrt(len(test)))
    if abs(mean) > 2 * se and np.sign(cv.mean()) == np.sign(mean):
        winner = "eq8" if mean > 0 else "straight_through"
        return (f"Conclusion: {winner} gave better wavelets: its best γ > 0 point's test R² is higher by "
                f"{abs(mean):.4f} on average (2 standard errors over {len(test)} seeds: {2 * se:.4f}), and the CV "
                "agrees.")
    return (f"Conclusion: no difference beyond the seed spread: at the best γ > 0 point eq8 − straight_through is "
            f"{mean:+.4f} test R² on average, within 2 standard errors of the per-seed differences ({2 * se:.4f}, "
            f"{len(test)} seeds).")


BEGIN, END = "<!-- gradient-paths:begin -->", "<!-- gradient-paths:end -->"


def section(by_case):
    """:func:`report_lines` between the markers that :func:`write_section` replaces (empty without runs)."""
    lines = report_lines(by_case)
    return [BEGIN, *lines, END, ""] if lines else []


def write_section(rows, out):
    """Rewrite the gradient-path section of ``out`` (bench/SCIENCE.md) from stored runs, leaving the rest alone.

    The section replaces the text between :data:`BEGIN` and :data:`END`, or is appended when the file has no
    markers yet.
    """
    from pathlib import Path

    by_case = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r)
    text = "\n".join(section(by_case))
    out = Path(out)
    old = out.read_text() if out.exists() else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    out.write_text(new)


def main(argv=None):
    """``python -m bench.science.gradient_paths``: run both paths seed by seed (eq8, then straight-through, one
    run at a time) and rewrite the section of bench/SCIENCE.md."""
    import argparse

    from bench.science.__main__ import REPO, WORK, load_rows, log, run_cases

    parser = argparse.ArgumentParser(prog="python -m bench.science.gradient_paths",
                                     description="compare the gradient paths on the CME example")
    parser.add_argument("--grid", choices=("small", "default"), default="small",
                        help="small: lambda 7e-4, gammas 0, 1e-3, 1e-2, 1e-1, 10 epochs; default: the preset")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default=str(REPO / "bench" / "SCIENCE.md"))
    parser.add_argument("--report-only", action="store_true", help="rewrite the section from the stored runs")
    args = parser.parse_args(argv)
    pair = PAIRS[0][:2] if args.grid == "small" else PAIRS[1][:2]
    store = WORK / "runs.jsonl"
    WORK.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
            run_cases(list(pair), [seed], None, store)  # seed-major: every finished seed is a complete pair
    write_section(load_rows(store), args.out)
    log(f"wrote the gradient-path section of {args.out}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
