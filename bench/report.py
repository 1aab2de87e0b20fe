"""Write bench/RESULTS.md from the measurements gathered by run_all.py (pure formatting, no timing)."""

import math

__all__ = ["write_report"]

TARGETS = {"fit1d": 10.0, "fit2d": 6.0, "grid": 40.0, "predict": 100.0}


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


def _speed_row(label, ours, theirs, target=None, unit="s"):
    ratio = ours / theirs if theirs else float("nan")
    speedup = theirs / ours if ours else float("nan")
    met = "" if target is None else ("yes" if speedup >= target else "**no**")
    return _row([label, f"{_f(ours)} {unit}", f"{_f(theirs)} {unit}", _f(ratio), f"{speedup:.1f}x",
                 f">= {target:g}x" if target else "", met])


def _terms_table(fit, keys):
    names = list(fit)
    lines = [_row(["term (last epoch, mean over its batches)"] + names), _row(["---"] * (len(names) + 1))]
    for k in keys:
        lines.append(_row([k] + [_f(fit[n]["terms"][-1].get(k), 5) for n in names]))
    return lines


def _filter_gap(fit, a, b):
    fa, fb = fit[a]["filter"], fit[b]["filter"]
    return max(abs(x - y) for x, y in zip(fa, fb))


def _unmet_targets(results):
    """A section that says which targets this run missed and what stands in the way (measured facts)."""
    notes = []
    f1 = results.get("fit1d")
    if f1:
        ours, theirs = f1["ours zero/free precomputed"]["seconds_per_epoch"], f1["theirs"]["seconds_per_epoch"]
        if theirs / ours < TARGETS["fit1d"]:
            steps = -(-2936 // 100)  # batches of 100 over the n = 2936 series (no validation split)
            notes.append(
                f"- **1D fit ({theirs / ours:.1f}x, target {TARGETS['fit1d']:.0f}x).** One epoch is {steps} steps of "
                f"{1000 * ours / steps:.2f} ms. A step is a few dozen tensor operations on tensors of a few "
                "thousand numbers (the gradient is written out in closed form, see `models/distill.py`), so it "
                "costs what the operations' fixed overhead costs, a few microseconds each, plus seven "
                "100 x 64 x 97 matrix products.")
    for kind, teacher in (("series", "LSTM"), ("maps", "ResNet18")):
        p = (results.get("predict") or {}).get(kind)
        if not p:
            continue
        ratio = p["teacher"]["seconds_per_sample"] / p["awd"]["seconds_per_sample"]
        latency = p["teacher"]["latency_seconds"] / p["awd"]["latency_seconds"]
        if ratio < TARGETS["predict"]:
            why = ("the batched LSTM runs its gate products as large matrix products over 16384 series at "
                   f"once ({1e6 * p['teacher']['seconds_per_sample']:.1f} microseconds a series), so 100x "
                   f"leaves {1e9 * p['teacher']['seconds_per_sample'] / TARGETS['predict']:.0f} nanoseconds a "
                   "series. Our predictor spends them on the 64 x 64 transform (about 50 ns in float32, 100 ns "
                   "in float64, in batches) and the compiled top-k selection and linear model (about 80 ns), "
                   "plus the finite check and Python's per-call overhead" if kind == "series" else
                   "peak counting is one compiled pass per map (`models/students/peak_kernel.py`), about ten "
                   "microseconds; the rest is numpy's and Python's per-call overhead")
            notes.append(f"- **Prediction, {kind} ({ratio:.0f}x per sample in batches, {latency:.0f}x for one "
                         f"sample per call; target {TARGETS['predict']:.0f}x).** Against {teacher}: {why}.")
    if not notes:
        return []
    return ["## Targets this run missed, and why", ""] + notes + [""]


def write_report(info, results, path):
    """Render ``results`` (see run_all.main) as Markdown into ``path``."""
    m, v = info["machine"], info["versions"]
    out = ["# Benchmarks: AWD Studio vs awave 0.1, and the AWD predictor vs its teacher", ""]
    out += [f"Written by `bench/run_all.py` on {info['started']} in {info['total_seconds'] / 60:.1f} min"
            + (" (**--quick run: not the real figures**)" if info.get("quick") else "") + ".", "",
            f"- Command: `{info['command']}`",
            f"- Machine: {m['cpu']}, {m['cores']} cores ({m['platform']}); load average at start "
            f"{', '.join(f'{x:.1f}' for x in m['load_at_start'] or [])}, at end "
            f"{', '.join(f'{x:.1f}' for x in m.get('load_at_end') or [])} (the cores are shared: absolute "
            "times are noisy, the ratios come from interleaved runs in the same run)",
            f"- Ours: python {v['ours'].get('python')}, torch {v['ours'].get('torch')}, numpy "
            f"{v['ours'].get('numpy')}, PyWavelets {v['ours'].get('pywt')}",
            f"- Theirs (`bench/.venv-awave`): awave {v['theirs'].get('awave')}, torch {v['theirs'].get('torch')}, "
            f"numpy {v['theirs'].get('numpy')}, PyWavelets {v['theirs'].get('pywt')}",
            "- One thread everywhere (`torch.set_num_threads(1)`, OMP/MKL/OPENBLAS_NUM_THREADS=1); every figure "
            "is measured in a fresh process, after its start-up (imports and the first Adam, which imports "
            "torch._dynamo; measured separately); medians over the repeats; seconds per epoch are the median over "
            "the epochs after the first (the first holds one-time set-up on both sides).", ""]
    out += ["## Same problem on both sides", "",
            "- Data: the synthetic series example (n = 2936, length 64) and 1000 lensing maps 64 x 64, saved "
            "once to `.npz` and read by both sides; the same teacher weights (our MLP 64-32-32-1 ReLU for "
            "series, our small CNN for maps), target 0.",
            "- Both: db5, J = 4, mode `zero`, the free filter (ours: `parametrization=\"free\"`), batch 100, "
            f"Adam lr 1e-3, saliency, lambda = {results.get('lam', 0.01)}, gamma = {results.get('gam', 0.01)} "
            "for the single fits, no validation split.",
            "- awave 0.1 workarounds: its CMF penalty returns a complex tensor, so **the CMF term is off on both "
            "sides** (ours computes it with the weight 0, `validity_weights={\"cmf\": 0}`); its validity "
            "penalties carry a factor 1/2, so their weights are 2 (the same objective as ours); "
            "`DWT2d.device = \"cpu\"`; `target=0`; a "
            "wrapper removes the channel axis awave adds before calling the teacher.",
            "- `precomputed` = our once-per-dataset teacher gradient (`S(h)^T grad f(x)`): exact here because "
            "both teachers are piecewise linear (ReLU), so its second derivative is zero almost everywhere; "
            "`exact` differentiates through the teacher like awave does.", ""]

    out += ["## Speed", "", _row(["measure", "ours", "theirs", "ours/theirs", "speed-up", "target", "met"]),
            _row(["---"] * 7)]
    fit1 = results["fit1d"]
    th = fit1["theirs"]["seconds_per_epoch"]
    out.append(_speed_row("1D fit, s/epoch: ours zero/free precomputed vs awave",
                          fit1["ours zero/free precomputed"]["seconds_per_epoch"], th, TARGETS["fit1d"]))
    out.append(_speed_row("1D fit, s/epoch: ours zero/free exact vs awave",
                          fit1["ours zero/free exact"]["seconds_per_epoch"], th))
    out.append(_speed_row("1D fit, s/epoch: ours periodization/orthogonal (default) vs awave",
                          fit1["ours periodization/orthogonal"]["seconds_per_epoch"], th))
    if "fit2d" in results:
        fit2 = results["fit2d"]
        th2 = fit2["theirs"]["seconds_per_epoch"]
        out.append(_speed_row("2D fit, s/epoch: ours zero/free precomputed vs awave",
                              fit2["ours zero/free precomputed"]["seconds_per_epoch"], th2, TARGETS["fit2d"]))
        out.append(_speed_row("2D fit, s/epoch: ours zero/free exact vs awave",
                              fit2["ours zero/free exact"]["seconds_per_epoch"], th2))
        out.append(_speed_row("2D fit, s/epoch: ours periodization/orthogonal vs awave",
                              fit2["ours periodization/orthogonal"]["seconds_per_epoch"], th2))
    su = results["startup"]
    if "grid" in results:
        g = results["grid"]
        n = g["theirs_n_fits"]
        out.append(_speed_row(f"5 x 6 grid, 10 epochs, wall: ours one fit vs awave {n} fits in a row",
                              g["ours_seconds"], g["theirs_seconds"], TARGETS["grid"]))
        out.append(_speed_row(f"same, plus start-up: ours 1 process vs awave {n} processes",
                              g["ours_seconds"] + su["ours"]["wall_seconds"],
                              g["theirs_seconds"] + n * su["theirs"]["wall_seconds"]))
    out.append(_row(["per-process start-up (import + Adam), wall", f"{_f(su['ours']['wall_seconds'])} s",
                     f"{_f(su['theirs']['wall_seconds'])} s", "", "", "", ""]))
    for kind, label in (("series", "series: deployed predictor (dense transform in the series' float32, "
                                   "compiled top-k and linear model) vs LSTM"),
                        ("maps", "maps: peak counting (one compiled pass per map) vs ResNet18")):
        p = results["predict"][kind]
        out.append(_speed_row(f"prediction, s/sample over {p['awd']['n_eval']} samples, {label}",
                              p["awd"]["seconds_per_sample"], p["teacher"]["seconds_per_sample"], TARGETS["predict"]))
        out.append(_speed_row(f"prediction latency, one sample per call, {kind}", p["awd"]["latency_seconds"],
                              p["teacher"]["latency_seconds"]))
        if p["awd"].get("torch_seconds_per_sample"):
            out.append(_speed_row(f"prediction, s/sample, {kind}, fast DWT in torch + top-k + linear on lists",
                                  p["awd"]["torch_seconds_per_sample"], p["teacher"]["seconds_per_sample"]))
    out.append("")
    out += ["Ratios are ours/theirs in time (below 1 is faster); speed-up is theirs/ours. Per repeat, 1D "
            "s/epoch: " + "; ".join(f"{k}: {', '.join(_f(x) for x in r['all_seconds_per_epoch'])}"
                                     for k, r in fit1.items()) + ".", ""]

    out += ["## Peak memory (max RSS of each process, MiB; a bare process with torch is the start-up row)", "",
            _row(["process", "ours", "theirs / teacher"]), _row(["---"] * 3),
            _row(["start-up only", _f(su["ours"]["peak_rss_mib"]), _f(su["theirs"]["peak_rss_mib"])]),
            _row(["1D fit (zero/free precomputed vs awave)",
                  _f(fit1["ours zero/free precomputed"]["peak_rss_mib"]), _f(fit1["theirs"]["peak_rss_mib"])]),
            _row(["1D fit (zero/free exact vs awave)", _f(fit1["ours zero/free exact"]["peak_rss_mib"]),
                  _f(fit1["theirs"]["peak_rss_mib"])])]
    if "fit2d" in results:
        out.append(_row(["2D fit (zero/free precomputed vs awave)",
                         _f(results["fit2d"]["ours zero/free precomputed"]["peak_rss_mib"]),
                         _f(results["fit2d"]["theirs"]["peak_rss_mib"])]))
    if "grid" in results:
        out.append(_row(["5 x 6 grid (ours one process; awave the largest of its processes)",
                         _f(results["grid"]["ours_peak_rss_mib"]), _f(results["grid"]["theirs_peak_rss_mib"])]))
    for kind in ("series", "maps"):
        p = results["predict"][kind]
        out.append(_row([f"prediction, {kind} (AWD predictor vs {p['teacher_name']})",
                         _f(p["awd"]["peak_rss_mib"]), _f(p["teacher"]["peak_rss_mib"])]))
    out += ["", "Parameters: " + "; ".join(
        f"{kind}: AWD predictor {results['predict'][kind]['awd']['params']} vs "
        f"{results['predict'][kind]['teacher_name']} {results['predict'][kind]['teacher']['params']}"
        for kind in ("series", "maps")) + ". The LSTM and ResNet18 are timed for speed only (ResNet18 is "
        "untrained; its weights do not change its speed); R2 of the AWD predictor on the held-out 20 %: "
        + ", ".join(f"{k} {_f(results['predict'][k]['awd']['r2'])}" for k in ("series", "maps")) + ".", ""]

    keys = ["train_loss", "reconstruction", "sparsity", "interpretation", "sum_h", "sum_g", "norm",
            "shift_orth"]
    out += ["## Loss values (the comparison is of the same problem)", "", "### 1D fit", ""]
    out += _terms_table(fit1, keys)
    out += ["", f"Largest |h_ours - h_awave| after the last epoch (zero/free exact vs awave): "
            f"{_f(_filter_gap(fit1, 'ours zero/free exact', 'theirs'))}; precomputed vs awave: "
            f"{_f(_filter_gap(fit1, 'ours zero/free precomputed', 'theirs'))} (batches are shuffled "
            "differently on the two sides, so the paths are close, not identical). The periodization/orthogonal "
            "column is a different problem (another boundary mode, exact orthogonality), for information.", ""]
    if "fit2d" in results:
        out += ["### 2D fit", ""] + _terms_table(results["fit2d"], keys)
        out += ["", f"Largest |h_ours - h_awave| (zero/free exact vs awave): "
                f"{_f(_filter_gap(results['fit2d'], 'ours zero/free exact', 'theirs'))}; precomputed vs awave: "
                f"{_f(_filter_gap(results['fit2d'], 'ours zero/free precomputed', 'theirs'))}.", ""]
    if "grid" in results:
        g = results["grid"]
        rel = [abs(r["ours"] - r["theirs"]) / abs(r["theirs"]) for r in g["losses"]]
        out += ["### 5 x 6 grid: training loss of the last epoch per grid point", "",
                f"Largest relative difference ours vs awave over the {len(rel)} points: {_f(max(rel))} "
                f"(median {_f(sorted(rel)[len(rel) // 2])}).", "",
                _row(["lambda", "gamma", "ours", "awave"]), _row(["---"] * 4)]
        for r in sorted(g["losses"], key=lambda r: (r["lam"], r["gam"])):
            out.append(_row([r["lam"], r["gam"], _f(r["ours"], 5), _f(r["theirs"], 5)]))
        out.append("")

    if "scaling" in results:
        s = results["scaling"]
        out += ["## Scaling (ours, periodization + orthogonal, precomputed gradients, one thread)", "",
                f"Seconds per epoch (median of epochs 2..{s['epochs']}); base: n = 1000, length 64, J = 4, "
                "one grid point; one size changes per block. Estimate a run as "
                "`first epoch + (epochs - 1) x s/epoch`.", "",
                _row(["varied", "n", "length / size", "J", "grid points", "s/epoch", "first epoch s"]),
                _row(["---"] * 7)]
        for r in s["rows"]:
            size = f"{r['size']} x {r['size']}" if r["dim"] == 2 else r["size"]
            out.append(_row([r["label"], r["n"], size, r["levels"], r["grid"], _f(r["seconds_per_epoch"]),
                             _f(r["first_epoch_seconds"])]))
        out.append("")

    out += _unmet_targets(results)
    out += ["## What dominates our time (torch.profiler, one epoch, 1D)", "",
            results.get("profile", "(not run)"), "",
            "## On a GPU", "",
            "Not measured here (no GPU on this machine). Per step our work is a few small dense matrix "
            "products (W(h) is 97 x 64 in 1D) and a few dozen small operations (the 1D gradient is written "
            "out in closed form), so at G = 1 a GPU would be bound by kernel-launch latency (several "
            "microseconds per operator) and gain little over one CPU core. The vectorised grid is where a "
            "GPU pays: all G filters share each kernel, so the step time stays nearly flat as G grows "
            "until the (G, B, M) tensors fill the device (G x B x M = 30 x 100 x 97 floats is far below "
            "that); expect the 5 x 6 grid to cost about the same per step as one fit, and the 2D fit to gain "
            "most, since its per-level transforms and the CNN teacher are real convolutions on 100 x 64 x 64 "
            "batches.", ""]
    path.write_text("\n".join(out) + "\n")
    return path
