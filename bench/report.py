"""Write bench/RESULTS.md from the measurements gathered by run_all.py (pure formatting, no timing).

Every speed row names the gradient path it uses (``straight-through``: awave's own gradient, double
backpropagation through the teacher, the like-for-like row; ``gradient of eq. 8``: the product's default, the
teacher's input gradient once per dataset), shows min / median / max over the repeats, and the figure it
measures. Sections written by other scripts (``bench/explain.py``, ``bench/scattering.py``) are kept: everything
from their headings on is carried over from the file being replaced.
"""

import math
from pathlib import Path

__all__ = ["write_report"]

#: Speed-up targets (ours faster by this factor), by row.
TARGETS = {("fit1d_lstm20", "like"): 10.0, ("fit2d_cnn", "like"): 5.0, ("fit1d_lstm20", "eq8"): 20.0,
           ("fit2d_cnn", "eq8"): 10.0}
THEIRS = "awave 0.1 (straight-through, zero/free)"
LIKE = "ours straight-through (awave-compatible), zero/free"
EQ8 = "ours gradient of eq. 8, zero/free"
DEFAULT = "ours gradient of eq. 8, periodization/orthogonal (default)"
FLOOR = "the teacher's double backward alone (no wavelet; the floor of any straight-through fit)"
FIT_TITLES = {"fit1d_mlp": "1D, synthetic series (n = 2936, length 64), MLP teacher (ReLU)",
              "fit1d_lstm20": "1D, CME example (n = 3941, length 40), paper-sized LSTM teacher (hidden 20)",
              "fit2d_cnn": "2D, 1000 lensing maps 64 x 64, small CNN teacher (ReLU)"}
#: The issue's whole-job targets, wall seconds on 2 cores: (example, grid preset, parametrization) -> limit.
WALL_TARGETS = {("synthetic", "default", "orthogonal"): 60.0, ("cme", "default", "orthogonal"): 60.0,
                ("lensing", "default", "orthogonal"): 60.0, ("lensing", "paper", "orthogonal"): 180.0,
                ("lensing", "paper", "free"): 180.0, ("cme", "paper", "orthogonal"): 30.0}
#: Every job's peak resident memory stays under 1 GB (10^9 bytes), in MiB.
PEAK_TARGET_MIB = 1e9 / 2**20
#: Headings of sections that other scripts own; kept verbatim when RESULTS.md is rewritten.
FOREIGN_SECTIONS = ("## By hand", "## Explanations", "## Scattering", "## Explain", "## Wavelet scattering")


def _f(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 1000 or abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _mmm(s, unit="s"):
    """``median (min-max) unit`` of a spread dict."""
    return f"{_f(s['median'])} ({_f(s['min'])}-{_f(s['max'])}) {unit}"


def _speed(theirs, ours):
    return theirs / ours if ours else float("nan")


def _filter_gap(fit, a, b):
    return max(abs(x - y) for x, y in zip(fit[a]["filter"], fit[b]["filter"]))


def _fit_rows(key, fit, reps):
    th = fit[THEIRS]
    out = [f"### {FIT_TITLES[key]}", "",
           f"{fit[THEIRS]['epochs']} epochs per fit, {reps} repeats per row, interleaved; median (min-max) over the "
           "repeats. Steady s/epoch = median over epochs 2.. of one fit; the first epoch holds the one-time set-up "
           "(for ours with the gradient of eq. 8: the teacher's input gradient over the whole data set) and is "
           "its own column; whole fit = wall time of `fit()` (all epochs, set-up included). Speed-up = awave's "
           "median / ours.", "",
           _row(["configuration (gradient path)", "steady s/epoch", "first epoch s", "whole fit s",
                 "speed-up s/epoch", "speed-up whole fit", "target (s/epoch)", "met"]), _row(["---"] * 8)]
    for name, r in fit.items():
        if name == FLOOR:
            continue
        sp_epoch = _speed(th["seconds_per_epoch"]["median"], r["seconds_per_epoch"]["median"])
        sp_fit = _speed(th["fit_seconds"]["median"], r["fit_seconds"]["median"])
        kind = "like" if name == LIKE else ("eq8" if name == EQ8 else None)
        target = TARGETS.get((key, kind))
        met = "" if target is None else ("yes" if sp_epoch >= target else "**no**")
        out.append(_row([name, _mmm(r["seconds_per_epoch"]), _mmm(r["first_epoch_seconds"]),
                         _mmm(r["fit_seconds"]), "" if name == THEIRS else f"{sp_epoch:.1f}x",
                         "" if name == THEIRS else f"{sp_fit:.1f}x", f">= {target:g}x" if target else "", met]))
    if FLOOR in fit:
        r = fit[FLOOR]
        out.append(_row([name_floor_row(), _mmm(r["seconds_per_epoch"]), _mmm(r["first_epoch_seconds"]),
                         _mmm(r["fit_seconds"]), "", "", "", ""]))
        out += ["", floor_sentence(fit)]
    out += ["", f"Largest |h_ours - h_awave| after the last epoch: straight-through "
            f"{_f(_filter_gap(fit, LIKE, THEIRS))}, gradient of eq. 8 {_f(_filter_gap(fit, EQ8, THEIRS))} (batches "
            "are shuffled differently on the two sides, so the paths are close, not identical).", ""]
    return out


def name_floor_row():
    """The floor row's label in the fit tables."""
    return f"*{FLOOR}*"


def like_for_like_bound(fit):
    """The most a straight-through implementation can gain over awave on this teacher and these batches.

    Both sides pay the teacher's double backward every batch; its seconds per epoch alone (``FLOOR``) bound the
    like-for-like speed-up from above by awave's median s/epoch over that figure. None without the floor row.
    """
    if FLOOR not in fit:
        return None
    return _speed(fit[THEIRS]["seconds_per_epoch"]["median"], fit[FLOOR]["seconds_per_epoch"]["median"])


def floor_sentence(fit):
    """What the floor row means, with the bound and the share of our straight-through epoch it takes."""
    floor = fit[FLOOR]["seconds_per_epoch"]["median"]
    like = fit[LIKE]["seconds_per_epoch"]["median"]
    share = f"{100 * floor / like:.0f} % of our straight-through epoch"
    if floor >= 0.95 * like:
        share += " (ours spends almost all of its epoch in the teacher; above 100 % is run-to-run noise)"
    return (f"The teacher's double backward alone (its forward pass, its input gradient with the graph kept, and "
            f"the backward pass through that gradient, batch by batch as in a fit, no wavelet) takes {_f(floor)} s "
            f"per epoch: {share}. Every straight-through fit, "
            f"awave's and ours, pays it, so no implementation of that gradient on this teacher can be more than "
            f"**{like_for_like_bound(fit):.1f}x** faster than awave per epoch (awave's median / this figure); ours "
            f"is {_speed(fit[THEIRS]['seconds_per_epoch']['median'], like):.1f}x. The gradient of eq. 8 leaves the "
            f"teacher out of the loop, which is where its speed-up comes from.")


def _terms_table(fit, keys):
    names = [n for n in fit if fit[n].get("terms")]
    lines = [_row(["term (last epoch, mean over its batches)"] + names), _row(["---"] * (len(names) + 1))]
    for k in keys:
        lines.append(_row([k] + [_f(fit[n]["terms"][-1].get(k), 5) for n in names]))
    return lines


def _grid_rows(g, reps):
    th = g["theirs_seconds"]
    out = ["### 5 x 6 grid (30 points), synthetic series, MLP teacher, zero/free, 10 epochs", "",
           f"Wall seconds of fitting all 30 points (teacher gradients included), after process start-up. Ours: "
           f"{reps} repeats, median (min-max); awave: its 30 fits one after another, split over "
           f"{len(g['theirs_part_seconds'])} processes run once each (parts "
           f"{', '.join(_f(p) for p in g['theirs_part_seconds'])} s), summed.", "",
           _row(["configuration (gradient path)", "wall s for 30 points", "speed-up vs awave", "peak MiB"]),
           _row(["---"] * 4), _row(["awave 0.1, 30 fits in a row (straight-through)", f"{_f(th)} s", "",
                                    _f(g["theirs_peak_rss_mib"])])]
    labels = {"sequential eq8": "ours, 30 fits in a row in one process (gradient of eq. 8)",
              "vectorised eq8": "ours, one vectorised fit of the 30 points (gradient of eq. 8)",
              "vectorised straight_through": "ours, one vectorised fit of the 30 points (straight-through)"}
    for k, label in labels.items():
        r = g["ours"][k]
        out.append(_row([label, _mmm(r["seconds"]), f"{_speed(th, r['seconds']['median']):.1f}x",
                         _f(r["peak_rss_mib"])]))
    rel = [abs(r["ours"] - r["theirs"]) / abs(r["theirs"]) for r in g["losses"]]
    rel_seq = [abs(r["ours_sequential"] - r["ours"]) / abs(r["ours"]) for r in g["losses"]]
    out += ["", f"Last-epoch training loss, ours (vectorised) vs awave over the 30 points: largest relative "
            f"difference {_f(max(rel))} (median {_f(sorted(rel)[len(rel) // 2])}); ours vectorised vs ours "
            f"sequential: {_f(max(rel_seq))}.", ""]
    return out


def _predict_rows(pred):
    out = ["## Prediction: the AWD predictor against the teacher it was distilled from", "",
           "The filter of each AWD predictor is the default configuration's filter (gradient of eq. 8, "
           "periodization/orthogonal) from the fit rows above on the same data and teacher; the predictor (series: "
           "the deployed `SeriesPredictor`, dense transform + top-k + linear model; maps: peak counting with the "
           "filter's 3 x 3 sub-filters) is fitted on the first 80 %, the teachers were trained on the same 80 %; "
           "R² is on the last 20 %. Throughput = seconds per sample over the held-out set (series: tiled to 16384 "
           "samples), batches of 256 for the teacher; latency = one sample per call. One thread; median (min-max) "
           "over the repeats. Rows marked *reference model* time a model the filter was **not** distilled from "
           "(kept from earlier reports for comparison: the product's LSTM with hidden 40; an untrained ResNet18, "
           "whose R² is not meaningful).", "",
           _row(["data, teacher", "AWD s/sample", "teacher s/sample", "speed-up (throughput)", "AWD latency",
                 "teacher latency", "speed-up (latency)", "R² AWD", "R² teacher", "parameters AWD / teacher"]),
           _row(["---"] * 10)]
    for key, r in pred.items():
        a, t = r["awd"], r["teacher"]
        out.append(_row([key, _mmm(a["seconds_per_sample"]), _mmm(t["seconds_per_sample"]),
                         f"{_speed(t['seconds_per_sample']['median'], a['seconds_per_sample']['median']):.1f}x",
                         _mmm(a["latency_seconds"]), _mmm(t["latency_seconds"]),
                         f"{_speed(t['latency_seconds']['median'], a['latency_seconds']['median']):.1f}x",
                         _f(a["r2"]), "untrained" if r["teacher_name"] == "resnet18" else _f(t["r2"]),
                         f"{a['params']} / {t['params']}"]))
    out.append("")
    return out


def _threads_rows(th, one_thread):
    out = [f"## All threads ({th['cores']} cores available to each process) beside one thread", "",
           "The same fits with no thread pinning (torch uses every available core) and `OMP_WAIT_POLICY=PASSIVE` "
           "on both sides (the same OpenMP setting for both; on a loaded machine libgomp's default spinning made 2 "
           "threads several times slower than 1), run after the one-thread block; median "
           "(min-max) of the steady s/epoch and of the whole fit.", "",
           _row(["fit", "configuration (gradient path)", "s/epoch, 1 thread", "s/epoch, all threads",
                 "whole fit, 1 thread", "whole fit, all threads", "speed-up vs awave (all threads, s/epoch)"]),
           _row(["---"] * 7)]
    for key, fit in th["fits"].items():
        base = fit[THEIRS]["seconds_per_epoch"]["median"]
        for name, r in fit.items():
            one = one_thread.get(key, {}).get(name)
            out.append(_row([key, name, _mmm(one["seconds_per_epoch"]) if one else "n/a",
                             _mmm(r["seconds_per_epoch"]), _mmm(one["fit_seconds"]) if one else "n/a",
                             _mmm(r["fit_seconds"]),
                             "" if name == THEIRS else f"{_speed(base, r['seconds_per_epoch']['median']):.1f}x"]))
    out.append("")
    return out


def _end_to_end_rows(rows):
    out = ["## End to end: the examples as a user runs them", "",
           "`awd example NAME` data, then the pipeline (`awd distill` without the progress bar) in a fresh process "
           "with the job's default threads; one run per row. Stages: teacher = training the default teacher "
           "(`teacher=\"auto\"`: for series since 2026-12-02 the LSTM and the MLP, the lower validation loss kept); "
           "distill = the teacher's input gradients, the start search and the vectorised fit of the whole grid (since "
           "2026-12-02, later: before, the gradients and the search were counted in teacher); select = the "
           "cross-validation that chooses the wavelet; students = fitting, timing and the bundle; data = loading "
           "and preparation. Peak = max RSS of the process.", "",
           "CPU s = the process's CPU time over all its threads (less sensitive to other work on the machine "
           "than wall time).", "",
           _row(["example", "grid", "filter", "wall s", "CPU s", "data", "teacher", "distill", "select", "students",
                 "peak MiB", "threads", "load at end", "target", "met"]), _row(["---"] * 15)]
    for r in rows:
        st = r["stages"]
        target = (180 if r["example"] == "lensing" else 30 if r["example"] == "cme" else None) \
            if r["grid_preset"] == "paper" else 60
        met = "" if target is None else ("yes" if r["wall_seconds"] < target and r["peak_rss_mib"] < 1024
                                         else "**no**")
        out.append(_row([r["example"], r["grid_preset"], r["parametrization"], _f(r["wall_seconds"]),
                         _f(r["cpu_seconds"]) if "cpu_seconds" in r else "n/a",
                         *[_f(st.get(k, 0.0)) for k in ("data", "teacher", "distill", "select", "students")],
                         _f(r["peak_rss_mib"]), r.get("torch_threads", ""), _f(r.get("load")),
                         f"< {target} s, < 1 GiB" if target else "", met]))
    out.append("")
    out += _delivered_rows(rows)
    return out


def _delivered_rows(rows):
    """The table of each job's delivered predictor against the teacher it was distilled from (rows that carry
    ``predictors``, see ``bench/end_to_end.py``)."""
    rows = [r for r in rows if r.get("predictors")]
    if not rows:
        return []
    out = ["### The delivered predictor against the job's own teacher", "",
           "In each job above: the predictor the result recommends (AWD, or the initial wavelet's student when "
           "cross-validation kept that wavelet) and the teacher it was distilled from, as the pipeline scored and "
           "timed them: test R² of the job's target, seconds per sample on raw test inputs (the predictor's time "
           "includes its wavelet transform), one thread, the whole test set in one batch, median of 3 calls. "
           "Speed-up = teacher / predictor.", "",
           _row(["example", "grid", "filter", "delivered", "its test R²", "its s/sample", "teacher",
                 "teacher test R²", "teacher s/sample", "speed-up", "parameters (predictor / teacher)"]),
           _row(["---"] * 11)]
    for r in rows:
        p = r["predictors"]
        out.append(_row([r["example"], r["grid_preset"], r["parametrization"], p["delivered"],
                         _f(p["delivered_r2"]), _f(p["delivered_seconds_per_sample"]), p["teacher"],
                         _f(p["teacher_r2"]), _f(p["teacher_seconds_per_sample"]),
                         f"{_speed(p['teacher_seconds_per_sample'], p['delivered_seconds_per_sample']):.1f}x",
                         f"{p.get('delivered_params')} / {p.get('teacher_params')}"]))
    out.append("")
    return out


def _foreign_sections(path):
    """Sections of the current RESULTS.md that other scripts write (kept as they are)."""
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(FOREIGN_SECTIONS):
            return lines[i:]
    return []


def write_report(info, results, path):
    """Write RESULTS.md; returns its path."""
    path = Path(path)
    kept = _foreign_sections(path)
    m, v = info["machine"], info["versions"]
    reps = info.get("reps", 5)
    la, lb = m.get("load_at_start"), m.get("load_at_end")
    load = (f"load average at start {', '.join(f'{x:.1f}' for x in la)}" if la else "") + \
        (f", at end {', '.join(f'{x:.1f}' for x in lb)}" if lb else "")
    out = ["# Benchmarks: AWD Studio vs awave 0.1, the AWD predictor vs its teacher, and whole jobs", "",
           f"Written by `bench/run_all.py` on {info['started']} in {info['total_seconds'] / 60:.1f} min.", "",
           f"- Command: `{info['command']}`",
           f"- Machine: {m['cpu']}, {m['cores']} cores ({m.get('affinity', m['cores'])} available to the process; "
           f"{m['platform']}); {load}. The cores are shared with other work: absolute times are noisy, the "
           "ratios come from interleaved runs in this run.",
           f"- Ours: python {v['ours'].get('python')}, torch {v['ours'].get('torch')}, numpy {v['ours'].get('numpy')}, "
           f"PyWavelets {v['ours'].get('pywt')}",
           f"- Theirs (`bench/.venv-awave`): awave {v['theirs'].get('awave')}, torch {v['theirs'].get('torch')}, "
           f"numpy {v['theirs'].get('numpy')}, PyWavelets {v['theirs'].get('pywt')}",
           "- One thread per process unless the row says all threads; every figure measured in a fresh process "
           "after its start-up (imports and the first Adam, measured separately); "
           f"{reps} repeats per figure, min / median / max shown."]
    if info.get("quick") or reps < 5:
        quick = "--quick (2 epochs per fit) and " if info.get("quick") else ""
        out.append(f"- **Not the real figures**: this run used {quick}"
                   f"{reps} repeat(s) per figure, to check the scripts; `make bench` (5 repeats, full epochs) gives "
                   "the figures to quote.")
    if info.get("reused_parts"):
        stamps = results.get("measured_at", {})
        out.append("- **Parts carried over from an earlier run** (not re-measured by this command): "
                   + ", ".join(k + (f" (measured {stamps[k].replace('T', ' ')})" if stamps.get(k) else "")
                               for k in info["reused_parts"]) + ".")
    out += ["", "## Targets", ""]
    out += _targets(results)
    out += ["", "## Headline", ""]
    out += _headline(results)
    out += ["", "## Same problem on both sides", "",
            "- Data: the synthetic series example (n = 2936, length 64), the CME example as `awd example cme` "
            "makes it (n = 3941, length 40) and 1000 lensing maps 64 x 64, saved once and read by both sides; the "
            "same teacher weights (our MLP 64-32-32-1 ReLU, the paper-sized LSTM with hidden 20, our small CNN), "
            "target 0.",
            "- Both: db5, J = 4, mode `zero`, the free filter (ours: `parametrization=\"free\"`), batch 100, Adam "
            "lr 1e-3, saliency, lambda = 0.01, gamma = 0.01 for the single fits, no validation split.",
            "- awave 0.1 workarounds: its CMF penalty returns a complex tensor, so **the CMF term is off on both "
            "sides**; its validity penalties carry a factor 1/2, so their weights are 2 (the same objective); "
            "`DWT2d.device = \"cpu\"`; `target=0`; a wrapper removes the channel axis awave adds.",
            "- Gradient paths (`gradient_path`, docs/science.md; checked against finite differences in "
            "tests/models/test_gradient_paths.py): **straight-through** (`straight_through`) differentiates through "
            "the teacher as awave does; it is awave's gradient, and for a free filter and a teacher with curvature "
            "(the LSTM) it is not the gradient of the loss. **Gradient of eq. 8** (`eq8`, the default) is the "
            "loss's own gradient for any teacher: the loss's value is gamma ||S(h)^T grad f(x)||_1, so the "
            "teacher's input gradient is computed once per data set. For ReLU teachers (MLP, CNN) and for the "
            "orthogonal filter the two paths give the same gradient.", "",
            "## Speed of one fit: ours vs awave", ""]
    for key in ("fit1d_lstm20", "fit1d_mlp", "fit2d_cnn"):
        if key in results:
            out += _fit_rows(key, results[key], reps)
    if "grid" in results:
        out += _grid_rows(results["grid"], reps)
    if "startup" in results:
        s = results["startup"]
        out += [f"Per-process start-up (import + first Adam), wall: ours {_mmm(s['ours']['wall_seconds'])}, awave "
                f"{_mmm(s['theirs']['wall_seconds'])}.", ""]
    if "predict" in results:
        out += _predict_rows(results["predict"])
    if "threads" in results:
        out += _threads_rows(results["threads"], results)
    if "end_to_end" in results:
        out += _end_to_end_rows(results["end_to_end"])
        if info.get("end_to_end_note"):
            out += [f"Note: {info['end_to_end_note']}.", ""]
        if results.get("end_to_end_before"):
            out += ["Before this branch (same script, the branch's starting commit, one run each):", ""]
            out += _end_to_end_rows(results["end_to_end_before"])[4:]
    out += ["## Peak memory (max RSS of each process, MiB; includes torch itself)", "",
            _row(["process"] + [k for k in ("fit1d_lstm20", "fit1d_mlp", "fit2d_cnn") if k in results]),
            _row(["---"] * (1 + sum(k in results for k in ("fit1d_lstm20", "fit1d_mlp", "fit2d_cnn"))))]
    for name in (THEIRS, LIKE, EQ8, DEFAULT):
        out.append(_row([name] + [_f(results[k][name]["peak_rss_mib"])
                                  for k in ("fit1d_lstm20", "fit1d_mlp", "fit2d_cnn") if k in results]))
    out += ["", "## Loss values (the comparison is of the same problem)", ""]
    keys = ["train_loss", "reconstruction", "sparsity", "interpretation", "sum_h", "sum_g", "norm", "shift_orth"]
    for key in ("fit1d_lstm20", "fit1d_mlp", "fit2d_cnn"):
        if key in results:
            out += [f"### {FIT_TITLES[key]}", ""] + _terms_table(results[key], keys) + [""]
    if "grid" in results:
        out += ["### 5 x 6 grid: training loss of the last epoch per grid point", "",
                _row(["lambda", "gamma", "ours vectorised", "ours sequential", "awave"]), _row(["---"] * 5)]
        for r in sorted(results["grid"]["losses"], key=lambda r: (r["lam"], r["gam"])):
            out.append(_row([r["lam"], r["gam"], _f(r["ours"], 5), _f(r["ours_sequential"], 5), _f(r["theirs"], 5)]))
        out.append("")
    if "scaling" in results:
        s = results["scaling"]
        out += ["## Scaling (ours, periodization + orthogonal, gradient of eq. 8, one thread)", "",
                f"Seconds per epoch (median of epochs 2..{s['epochs']}) and the first epoch; base: n = 1000, length "
                "64, J = 4, one grid point; one size changes per block.", "",
                _row(["varied", "n", "length / size", "J", "grid points", "s/epoch", "first epoch s"]),
                _row(["---"] * 7)]
        for r in s["rows"]:
            size = f"{r['size']} x {r['size']}" if r["dim"] == 2 else r["size"]
            out.append(_row([r["label"], r["n"], size, r["levels"], r["grid"], _f(r["seconds_per_epoch"]),
                             _f(r["first_epoch_seconds"])]))
        out.append("")
    if results.get("profile"):
        out += ["## What dominates our time (torch.profiler, one epoch, 1D)", "", results["profile"], ""]
    out += ["## GPU", "", "Not measured: this machine has no GPU, so this report makes no GPU claim.", ""]
    path.write_text("\n".join(out + kept) + "\n")
    return path


def _default_jobs_with_predictors(rows):
    """The end-to-end rows run with the defaults (default grid, orthogonal filter) that timed their predictor."""
    return [r for r in rows if r["grid_preset"] == "default" and r["parametrization"] == "orthogonal"
            and r.get("predictors")]


def _met(ok):
    return "yes" if ok else "**no**"


def _targets(results):
    """One row per target of the speed issue: what it asks, the figure of this report that decides it, met or not.

    Parameters
    ----------
    results : dict
        ``run_all``'s measurements (the parts present; a part not measured gives no row).

    Returns
    -------
    list of str
        Markdown lines: a sentence on where the figures come from, then the table.
    """
    rows = []
    for key, dim in (("fit1d_lstm20", "1D, paper-sized CME LSTM teacher"), ("fit2d_cnn", "2D, CNN teacher")):
        if key not in results:
            continue
        fit = results[key]
        theirs = fit[THEIRS]["seconds_per_epoch"]["median"]
        for kind, name, what in (("like", LIKE, "like for like (both straight-through), steady epoch"),
                                 ("eq8", EQ8, "the gradient of eq. 8 (the loss's own gradient), steady epoch")):
            speed = _speed(theirs, fit[name]["seconds_per_epoch"]["median"])
            bound = like_for_like_bound(fit) if kind == "like" else None
            rows.append([f"{dim}: {what}, against awave", f">= {TARGETS[(key, kind)]:g}x",
                         f"{speed:.1f}x" + (f" (the teacher's double backward caps it at {bound:.1f}x)"
                                            if bound else ""), _met(speed >= TARGETS[(key, kind)])])
    jobs = results.get("end_to_end") or []
    for r in jobs:
        limit = WALL_TARGETS.get((r["example"], r["grid_preset"], r["parametrization"]))
        if limit is not None:
            rows.append([f"{r['example']}, {r['grid_preset']} grid, {r['parametrization']} filter: whole job "
                         "(one run, default threads)", f"< {limit:g} s", f"{_f(r['wall_seconds'])} s",
                         _met(r["wall_seconds"] < limit)])
    if jobs:
        worst = max(jobs, key=lambda r: r["peak_rss_mib"])
        rows.append([f"peak memory of every job above ({len(jobs)} jobs)", f"< 1 GB ({PEAK_TARGET_MIB:.0f} MiB)",
                     f"{_f(worst['peak_rss_mib'])} MiB at most ({worst['example']}, {worst['grid_preset']} grid, "
                     f"{worst['parametrization']} filter)", _met(worst["peak_rss_mib"] < PEAK_TARGET_MIB)])
    for r in _default_jobs_with_predictors(jobs):
        p = r["predictors"]
        speed = _speed(p["teacher_seconds_per_sample"], p["delivered_seconds_per_sample"])
        rows.append([f"{r['example']} job with the defaults: the delivered {p['delivered']} predictor against the "
                     f"{p['teacher']} teacher it was distilled from, throughput on one thread", "faster",
                     f"{speed:.1f}x (test R² {_f(p['delivered_r2'])} against {_f(p['teacher_r2'])})",
                     _met(speed > 1)])
    if not rows:
        return ["No part that decides a target was measured."]
    return ["The speed issue's targets against this report's figures: ratios from interleaved runs in one process "
            "tree (median of the repeats), whole jobs from one run each on the machine and load above.", "",
            _row(["target", "asks", "this report", "met"]), _row(["---"] * 4)] + [_row(r) for r in rows]


def _headline(results):
    """The like-for-like rows first, each with its qualifier."""
    lines = []
    for key, dim in (("fit1d_lstm20", "1D, paper-sized CME LSTM teacher"), ("fit2d_cnn", "2D, CNN teacher"),
                     ("fit1d_mlp", "1D, MLP teacher")):
        if key not in results:
            continue
        f = results[key]
        th = f[THEIRS]["seconds_per_epoch"]["median"]
        like = _speed(th, f[LIKE]["seconds_per_epoch"]["median"])
        eq8 = _speed(th, f[EQ8]["seconds_per_epoch"]["median"])
        lines.append(f"- {dim}: like for like (both straight-through, zero mode, free filter, one thread) ours is "
                     f"**{like:.1f}x** faster per steady epoch; with the gradient of eq. 8 (the loss's own gradient, "
                     f"same mode and filter) **{eq8:.1f}x**. Whole fit of {f[THEIRS]['epochs']} epochs, first epoch "
                     f"included: {_speed(f[THEIRS]['fit_seconds']['median'], f[LIKE]['fit_seconds']['median']):.1f}x "
                     f"and {_speed(f[THEIRS]['fit_seconds']['median'], f[EQ8]['fit_seconds']['median']):.1f}x."
                     + (f" The teacher's own double backward caps any like-for-like speed-up here at "
                        f"{like_for_like_bound(f):.1f}x." if FLOOR in f else ""))
    if "grid" in results:
        g = results["grid"]
        vec = _speed(g["theirs_seconds"], g["ours"]["vectorised eq8"]["seconds"]["median"])
        lines.append(f"- 30-point grid, 10 epochs, one thread: ours vectorised (gradient of eq. 8) {vec:.1f}x faster "
                     f"than awave's 30 fits in a row; ours 30 fits in a row "
                     f"{_speed(g['theirs_seconds'], g['ours']['sequential eq8']['seconds']['median']):.1f}x.")
    rows = results.get("end_to_end") or []
    if rows:
        lines.append("- End to end (whole jobs, default threads, the machine's load above): " + "; ".join(
            f"{r['example']} {r['grid_preset']} {r['parametrization']} {_f(r['wall_seconds'])} s, "
            f"{_f(r['peak_rss_mib'])} MiB" for r in rows) + ".")
        for r in _default_jobs_with_predictors(rows):
            p = r["predictors"]
            lines.append(f"- Predictor vs the teacher it was distilled from, in the {r['example']} job with the "
                         f"defaults: the delivered {p['delivered']} predictor "
                         f"{_speed(p['teacher_seconds_per_sample'], p['delivered_seconds_per_sample']):.1f}x "
                         f"the {p['teacher']} teacher's throughput (one thread; test R² "
                         f"{_f(p['delivered_r2'])} against {_f(p['teacher_r2'])}).")
    for key, r in results.get("predict", {}).items():
        if r.get("reference"):
            continue
        speed = _speed(r["teacher"]["seconds_per_sample"]["median"], r["awd"]["seconds_per_sample"]["median"])
        lines.append(f"- Predictor micro-benchmark ({key}; a student the bench fits itself on the bench's data, not "
                     f"a job's): {speed:.1f}x the teacher's throughput (R² AWD {_f(r['awd']['r2'])}, teacher "
                     f"{_f(r['teacher']['r2'])}).")
    return lines
