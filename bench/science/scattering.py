"""``python -m bench.science.scattering``: the scattering student beside AWD on the three examples.

Every run is the product's pipeline with the case's settings of :mod:`bench.science` plus ``student:
scattering`` (the learned filter-bank scattering started from the selected AWD wavelet, pruned; its
defaults), in a fresh subprocess on one thread. AWD, the initial wavelet, the teacher and the scattering
student therefore come from the same run, data and split. One JSON line per run goes to
``bench/.work/science/runs-scattering.jsonl`` (a stored run is not repeated); the section "Scattering
student" of bench/SCIENCE.md is then rewritten from that file (the rest of the file is left alone).
Whether the student beats AWD is read off the numbers, per case, never assumed.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.science.__main__ import CASE_CONFIG, ENV, REPO, WORK, load_rows, log, make_data

CASES = ("synthetic", "cme", "lensing")
STORE = WORK / "runs-scattering.jsonl"
BEGIN, END = "<!-- scattering-student:begin -->", "<!-- scattering-student:end -->"
MODELS = (("scattering", "scattering student (learned, pruned)"), ("awd", "AWD (best grid point)"),
          ("baseline_wavelet", "initial wavelet"), ("teacher", "teacher"))


def run_one(case, seed):
    """One pipeline run with the scattering student; the row stored in the JSON-lines file."""
    from awd_studio.models import pipeline

    data = WORK / "data" / f"{case}_{seed}.npz"
    data.parent.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        make_data(case, seed, None, data)
    config = {"seed": seed, **CASE_CONFIG[case], "student": "scattering"}
    t0 = time.perf_counter()
    bundle = pipeline.run(data, config, WORK / "runs-scattering" / f"{case}_{seed}")
    wall = time.perf_counter() - t0
    models = {k: {"r2": m["test"]["r2"], "rmse": m["test"]["rmse"], "n_params": m["n_params"],
                  "seconds_per_sample": m["predict_seconds_per_sample"]} for k, m in bundle["models"].items()}
    models["teacher"] = {"r2": bundle["teacher"]["test"]["r2"], "rmse": bundle["teacher"]["test"]["rmse"],
                         "n_params": bundle["teacher"]["n_params"],
                         "seconds_per_sample": bundle["teacher"]["predict_seconds_per_sample"]}
    sc = bundle["scattering"]
    return {"case": case, "seed": seed, "wall_seconds": wall, "config": config, "models": models,
            "kind": bundle["data"]["kind"], "n_train": bundle["data"]["n_train"], "n_test": bundle["data"]["n_test"],
            "scattering": {"paths_all": len(sc["paths_all"]), "paths_kept": sc["paths_kept"],
                           "settings": sc["settings"], "train_seconds": sc["train_seconds"],
                           "best_epoch": sc["best_epoch"]}}


def _mean_sd(values, scale=1.0):
    a = np.asarray(values, dtype=float) * scale
    return f"{a.mean():.3f} ± {a.std(ddof=1) if len(a) > 1 else 0.0:.3f}"


def report(rows):
    """The markdown section (between the markers) from the stored rows."""
    lines = [BEGIN, "## Scattering student (option `student: scattering`)", "",
             f"Written by `python -m bench.science.scattering` on {time.strftime('%Y-%m-%d')}. Each run is the "
             "pipeline with the case's settings above plus `student: scattering`: filter-bank scattering of "
             "orders 0-2 on the orthogonal DWT, started from the selected AWD wavelet, `J` = the job's levels, "
             "trained `scattering_epochs` = 10 epochs (the default) with an in-batch ridge head, paths pruned by the CAR index (one-SE rule), kept "
             "paths retrained; series keep every position, maps average them. AWD, the initial wavelet and the "
             "teacher are from the same runs (same data, split and seed), so they can differ slightly from the "
             "tables above only through the run itself. Differences are over seeds (each seed its own data "
             "and split), with no paired test interval: a mean difference within about one SD is no evidence "
             "either way. Prediction time is the deployed predictor per test sample: AWD's top-k student is "
             "compiled (numba), the scattering student runs torch on the CPU.", ""]
    for case in CASES:
        case_rows = [r for r in rows if r["case"] == case]
        if not case_rows:
            continue
        maps = case_rows[0]["kind"] == "image"
        seeds = ", ".join(str(r["seed"]) for r in case_rows)
        kept = [len(r["scattering"]["paths_kept"]) for r in case_rows]
        lines += [f"### {case}", "",
                  f"n_train {case_rows[0]['n_train']}, n_test {case_rows[0]['n_test']}; seeds {seeds}; paths "
                  f"kept {', '.join(map(str, kept))} of {case_rows[0]['scattering']['paths_all']}; scattering "
                  f"training {np.mean([r['scattering']['train_seconds'] for r in case_rows]):.0f} s per run; "
                  f"wall time per run {np.mean([r['wall_seconds'] for r in case_rows]):.0f} s.", "",
                  "| model | test R² (mean ± SD) | test RMSE" + (" of Omega_m x 1e-2" if maps else "")
                  + " (mean ± SD) | parameters | prediction s/sample |", "|---|---|---|---|---|"]
        for key, label in MODELS:
            got = [r["models"][key] for r in case_rows if key in r["models"]]
            if not got:
                continue
            lines.append(f"| {label} | {_mean_sd([g['r2'] for g in got])} | "
                         f"{_mean_sd([g['rmse'] for g in got], 100.0 if maps else 1.0)} | "
                         f"{int(np.median([g['n_params'] for g in got]))} | "
                         f"{np.median([g['seconds_per_sample'] for g in got]):.2e} |")
        lines.append("")
        for other, name in (("awd", "AWD"), ("baseline_wavelet", "the initial wavelet")):
            diff = [r["models"]["scattering"]["r2"] - r["models"][other]["r2"] for r in case_rows]
            wins = sum(d > 0 for d in diff)
            verdict = (f"higher than {name} on every seed" if min(diff) > 0 else
                       f"lower than {name} on every seed" if max(diff) < 0 else "no consistent difference")
            lines.append(f"Scattering − {name}, test R²: {_mean_sd(diff)} (scattering higher in {wins} of "
                         f"{len(diff)} seeds): {verdict}.  ")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_section(text, path):
    """Replace the section between the markers in ``path`` (or append it)."""
    path = Path(path)
    old = path.read_text() if path.exists() else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.science.scattering", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default=str(REPO / "bench" / "SCIENCE.md"))
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # child process: one run, one JSON line on stdout
        import torch

        torch.set_num_threads(1)
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    if not args.report_only:
        STORE.parent.mkdir(parents=True, exist_ok=True)
        done = {(r["case"], r["seed"]) for r in load_rows(STORE)}
        for case in args.cases.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                if (case, seed) in done:
                    continue
                log(f"{case} seed {seed} (scattering student)")
                out = subprocess.run([sys.executable, "-m", "bench.science.scattering", "--one", case, str(seed)],
                                     env=ENV, cwd=REPO, capture_output=True, text=True)
                if out.returncode:
                    log(f"failed: {out.stderr[-2000:]}")
                    continue
                with STORE.open("a") as f:
                    f.write(out.stdout.strip().splitlines()[-1] + "\n")
    write_section(report(load_rows(STORE)), args.out)
    log(f"wrote the scattering section of {args.out}")


if __name__ == "__main__":
    main()
