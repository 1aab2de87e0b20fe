"""Does torch.compile (Inductor's CPU C++/OpenMP code) make the CNN teacher's training or the CME grid fit faster?

Measured with the project's own code, not a copy of it: the teacher is trained by
``models.teachers.training.train_teacher`` and the grid by ``models.distill.WaveletDistiller.fit``; the probe only
swaps, in its own process, the callable that computes a step for a ``torch.compile``d one. Compile time is counted:
every run is a fresh process with its own ``TORCHINDUCTOR_CACHE_DIR``; "cold" is the first process on an empty
cache directory, "warm" a second fresh process on the directory the cold one filled. The import of
``torch._dynamo`` (which an eager job never pays, models/optim.py) is timed on its own and counted in the first
epoch.

Usage::

    # one run in this process; prints one line "PROBE_JSON {...}"
    python bench/compile_probe.py teacher --variant eager|model|step [--dynamic static|mark] [--epochs 80]
                                          [--seed 0] [--threads 2]
    python bench/compile_probe.py grid --variant eager|losses|step [--epochs 100] [--part 0]
                                       [--work-dir DIR]
    # steady time per step, eager and compiled in alternating blocks in one process (robust to other load)
    python bench/compile_probe.py teacher-ab [--blocks 8 --per-block 20]
    python bench/compile_probe.py grid-ab [--blocks 8 --per-block 50]
    # a whole job (bench/end_to_end.py RUN) with the grid's step compiled, or unchanged with --compile none
    # (series grids only: maps keep their own path)
    python bench/compile_probe.py job '{"example": "cme", "grid_preset": "paper"}' --compile step|losses|none
    # the interleaved table: eager and compiled in fresh processes, alternating, cold then warm cache
    python bench/compile_probe.py table teacher [--epochs 80] [--seeds 0,1,2] [--variants model,model:mark]
    python bench/compile_probe.py table grid [--epochs 100] [--seeds 0,1 (the parts)] [--variants losses,step]

Set ``TORCHINDUCTOR_CACHE_DIR`` to a fresh directory for a cold run of the single commands (``table`` does it).
The example data go to ``$PROBE_DATA_DIR`` (default /tmp/compile-probe-data), written with ``awd example`` when
missing. Results and their verdict: bench/RESULTS.md, "By hand: torch.compile for the CNN teacher and the grid
fit (2026-12-06, night)".

Variants. Teacher: ``model`` compiles the teacher's ``standardized`` forward on the training path (AOTAutograd
compiles its backward too; the validation pass stays eager); ``step`` also compiles the project's Adam step
(``StackedAdam.step``). ``--dynamic static`` compiles one graph per batch size (the last partial batch of an epoch
recompiles once), ``mark`` marks the batch axis dynamic (one graph for every size). Grid: ``losses`` compiles
``WaveletDistiller._closed_form_losses`` (the whole closed-form data terms and their gradient, the CME step's
work); ``step`` compiles the whole step (the lattice's filters, the data terms and their gradient, the pullback
to the angles) as one graph. Both first hand dynamo the dense path's size-only tables as tensors
(:func:`constant_tables`): traced as they are, their NumPy construction breaks the graph at every table.

The teacher runs on the lensing example (``awd example lensing``, 1200 training maps, 300 test), two threads (the
job's); the report gives the seconds of every epoch, the graphs compiled, the best validation MSE and the test R²
of Omega_m (column 0). The grid runs one of the two parts of the CME paper grid (``--grid paper``: 5 x 21 = 105
points, cut in two parts of 53 and 52 as ``fit_in_parts`` did until 2026-12-07) on one thread, without the start
search (the fit alone), from a work directory that ``models.pipeline.prepare`` filled (made here when missing); it
reports seconds per epoch and the last epoch's training loss of every grid point.

Runs on a shared machine are only comparable side by side: the table alternates the variants and records the
load average (``os.getloadavg``) at the start of each run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import awd_studio  # noqa: E402,F401  (before torch: sets GOMP_SPINCOUNT as every job does)

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PROBE_DATA_DIR", "/tmp/compile-probe-data"))


def emit(result):
    sys.__stdout__.write("PROBE_JSON " + json.dumps(result) + "\n")
    sys.__stdout__.flush()


def example(name):
    """The example's data file (written with ``awd example`` when missing)."""
    path = DATA_DIR / f"{name}.npz"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(Path(sys.executable).parent / "awd"), "example", name, "--out", str(path)], check=True)
    return path


def graph_counts():
    """Graphs dynamo compiled so far and the recompilations among them (0 before any import of dynamo)."""
    if "torch._dynamo" not in sys.modules:
        return {"graphs": 0, "frames_ok": 0}
    from torch._dynamo.utils import counters
    return {"graphs": int(counters["stats"]["unique_graphs"]), "frames_ok": int(counters["frames"]["ok"])}


def import_dynamo():
    """Import torch._dynamo (and Inductor) and return the seconds it took."""
    t0 = time.perf_counter()
    import torch._dynamo  # noqa: F401
    import torch._inductor  # noqa: F401
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------------ teacher
def run_teacher(args):
    import numpy as np
    import torch

    import awd_studio.models.teachers.training as training

    torch.set_num_threads(args.threads)
    dynamo_s = 0.0
    if args.variant != "eager":
        dynamo_s = import_dynamo()
        original_build = training.build_teacher

        def build_compiled(name, input_shape, n_outputs=1):
            model = original_build(name, input_shape, n_outputs)
            eager = model.standardized
            compiled = torch.compile(eager, dynamic=False if args.dynamic == "static" else None)

            def standardized(x):
                if not torch.is_grad_enabled():  # the validation pass (no_grad, eval mode): eager
                    return eager(x)
                if args.dynamic == "mark":
                    torch._dynamo.mark_dynamic(x, 0)
                return compiled(x)

            model.standardized = standardized
            return model

        training.build_teacher = build_compiled
        if args.variant == "step":
            class CompiledAdam(training.StackedAdam):
                def __init__(self, *a, **k):
                    super().__init__(*a, **k)
                    self._compiled_step = torch.compile(training.StackedAdam.step)  # t: one recompile, then dynamic

                def step(self):
                    self._compiled_step(self)

            training.StackedAdam = CompiledAdam

    data = np.load(example("lensing"))
    X, y, X_test, y_test = data["X"], data["y"], data["X_test"], data["y_test"]
    times, marks = [], []
    last = [time.perf_counter()]

    def on_epoch(epoch, losses):
        now = time.perf_counter()
        times.append(now - last[0])
        marks.append(graph_counts()["graphs"])
        last[0] = now

    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    teacher = training.train_teacher("cnn", X, y, seed=args.seed, epochs=args.epochs, on_epoch=on_epoch)
    total = time.perf_counter() - t0
    with torch.no_grad():
        pred = teacher(torch.as_tensor(X_test, dtype=torch.float32)).numpy()[:, 0]
    truth = y_test[:, 0]
    r2 = 1.0 - float(((pred - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum())
    steady = times[2:] if len(times) > 3 else times[1:]
    emit({"what": "teacher", "variant": args.variant, "dynamic": args.dynamic, "seed": args.seed,
          "threads": args.threads, "load_start": load, "load_end": os.getloadavg()[0], "dynamo_import_s": dynamo_s,
          "first_epoch_s": times[0] + dynamo_s, "second_epoch_s": times[1] if len(times) > 1 else None,
          "steady_s_per_epoch": statistics.median(steady) if steady else None, "train_s": total + dynamo_s,
          "epochs_run": len(times), "graphs_after_epoch": marks[:3], **graph_counts(),
          "best_val": float(min(teacher.history["val"])), "best_epoch": int(teacher.best_epoch) + 1,
          "r2_omega_m": r2, "cache": os.environ.get("TORCHINDUCTOR_CACHE_DIR")})


# --------------------------------------------------------------------------------------------------------- grid
def prepared_cme_paper(work_dir):
    """A work directory with the CME example's teacher and the paper grid's config (made when missing)."""
    from awd_studio.models.pipeline.prepare import prepare
    work_dir = Path(work_dir)
    if not (work_dir / "prepare.json").exists():
        prepare(str(example("cme")), {"grid_preset": "paper"}, str(work_dir))
    return work_dir


_TABLES = {}  # (length, filter_len, levels, mode) -> (linear map as a tensor, shapes); n -> validity forms


def constant_tables(length, filter_len, levels, mode, dtype):
    """Let dynamo see the size-only tables of the dense path as tensors made beforehand: dynamo traces through
    their LRU caches into the NumPy construction (``np.where`` on index arrays, traced as ``nonzero``), which
    breaks the graph at every table otherwise (24 graphs for one fit instead of 4). The tables are the same
    values, made once, eagerly, here; the patched ``_on`` passes a tensor through."""
    import torch

    import awd_studio.models.losses as losses
    import awd_studio.models.wavelets.operators as operators

    if not _TABLES:
        plain_map, plain_on, plain_forms = operators._operator_map, operators._on, losses._validity_forms
        _TABLES["plain"] = (plain_map, plain_forms)
        operators._operator_map = lambda length, filter_len, level, mode: _TABLES[(length, filter_len, level, mode)]
        operators._on = lambda array, device, dtype=None: (
            array.to(device=device, dtype=dtype) if isinstance(array, torch.Tensor)
            else plain_on(array, device, dtype))
        losses._validity_forms = lambda n, dtype, device: _TABLES[("forms", n, dtype)]
    plain_map, plain_forms = _TABLES["plain"]
    key = (int(length), int(filter_len), int(levels), mode)
    if key not in _TABLES:  # cast to each caller's dtype by the patched _on
        linear_map, shapes = plain_map(*key)
        _TABLES[key] = (torch.as_tensor(linear_map), [tuple(int(v) for v in s) for s in shapes])
    for dt in (torch.float32, torch.float64):  # the start search scores in float64
        if ("forms", filter_len, dt) not in _TABLES:
            _TABLES[("forms", filter_len, dt)] = plain_forms(int(filter_len), dt, torch.device("cpu"))


def compile_grid_steps(variant):
    """Swap, in this process, the grid fit's closed-form step for a compiled one.

    ``losses``: ``WaveletDistiller._closed_form_losses`` compiled (the filters' lattice and pullback stay eager);
    ``step``: the whole step (:func:`_whole_step`) compiled, in a copy of ``_train_one_epoch``'s loop whose
    closed-form branch calls it (early stopping's undo and the recorded path as in the original)."""
    import torch

    import awd_studio.models.distill as distill

    cls = distill.WaveletDistiller
    plain_losses, plain_epoch = cls._closed_form_losses, cls._train_one_epoch
    compiled_losses = torch.compile(plain_losses, dynamic=False)

    def whole_step(self, module, xb, gxb, lam, gam, weights, use_interp):  # _whole_step with the plain method
        h, pullback = module.value_and_pullback()
        values, grad_h = plain_losses(self, h, xb, gxb, lam, gam, weights, use_interp, with_gradient=True)
        return values, pullback(grad_h)

    compiled_step = torch.compile(whole_step, dynamic=False)

    def closed_form_losses(self, h, xb, *args, **kwargs):
        if xb.ndim != 2:
            return plain_losses(self, h, xb, *args, **kwargs)
        constant_tables(xb.shape[-1], self._filter_length(), self.levels, self.mode, xb.dtype)
        return compiled_losses(self, h, xb, *args, **kwargs)

    def train_one_epoch(self, run, use_interp, stopped, shuffle):
        X_train, module, parameter = run.X_train, run.module, run.parameter
        closed_form = self._closed_form_applies(X_train.shape[1:], run.grads_train, use_interp)
        if not closed_form or X_train.ndim != 2:
            return plain_epoch(self, run, use_interp, stopped, shuffle)
        constant_tables(X_train.shape[-1], self._filter_length(), self.levels, self.mode, X_train.dtype)
        perm = torch.randperm(X_train.shape[0], generator=shuffle).to(X_train.device)
        sums, count = None, 0
        for xb, gxb in distill._shuffled_batches(perm, self.batch_size, X_train, run.grads_train):
            before = ([p.detach().clone() for p in module.parameters()]
                      if self.patience is not None and bool(stopped.any()) else None)
            run.optimizer.zero_grad()
            values, parameter.grad = compiled_step(self, module, xb, gxb, run.lam, run.gam, run.weights, use_interp)
            run.optimizer.step()
            if before is not None:
                with torch.no_grad():
                    for p, old in zip(module.parameters(), before):
                        p[stopped.to(p.device)] = old[stopped.to(p.device)]
            stacked = values.detach() * len(xb)
            sums = stacked if sums is None else sums + stacked
            count += len(xb)
        return (sums / count).double().cpu().numpy()

    if variant in ("losses", "step"):
        cls._closed_form_losses = closed_form_losses  # the validation pass too
    if variant == "step":
        cls._train_one_epoch = train_one_epoch


def run_grid(args):
    import numpy as np
    import torch

    from awd_studio.models.pipeline.config import grid_points_of
    from awd_studio.models.pipeline.fit_grid import make_distiller
    from awd_studio.models.pipeline.scaling import scaled, scaling_of, teacher_on_scaled
    from awd_studio.models.pipeline.workdir import load_prepared

    torch.set_num_threads(args.threads)
    work_dir = prepared_cme_paper(args.work_dir)
    info, config, split, teacher = load_prepared(work_dir)
    grid = grid_points_of(config)
    part = np.array_split(np.arange(len(grid)), 2)[args.part]
    config = config.model_copy(update={"epochs": args.epochs, "start_search": 0}) if hasattr(
        config, "model_copy") else config.__class__(**{**vars(config), "epochs": args.epochs, "start_search": 0})
    distiller = make_distiller(config, [grid[i] for i in part], torch.device("cpu"),
                               info["teacher"]["attribution_target"])
    X, scaled_teacher = scaled(split["X_train"], scaling_of(info)), teacher_on_scaled(teacher, scaling_of(info))

    dynamo_s = 0.0
    if args.variant != "eager":
        dynamo_s = import_dynamo()
        compile_grid_steps(args.variant)

    times = []
    last = [time.perf_counter()]

    def on_epoch(epoch, losses):
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    distiller.fit(X, scaled_teacher, on_epoch=on_epoch)
    total = time.perf_counter() - t0
    final = distiller.history_["train_loss"][-1]
    emit({"what": "grid", "variant": args.variant, "part": args.part, "points": len(part), "threads": args.threads,
          "load_start": load, "load_end": os.getloadavg()[0], "dynamo_import_s": dynamo_s,
          "first_epoch_s": times[0] + dynamo_s + (total - sum(times)),  # the fit's set-up before epoch 1 too
          "steady_s_per_epoch": statistics.median(times[2:]) if len(times) > 3 else None,
          "fit_s": total + dynamo_s, "epochs": len(times), **graph_counts(),
          "final_train_loss": [float(v) for v in final], "filters_sum": float(np.abs(distiller.filters_).sum()),
          "cache": os.environ.get("TORCHINDUCTOR_CACHE_DIR")})


# ---------------------------------------------------------------------------------------------- steady A/B
def alternate(steps, blocks, per_block):
    """Median seconds per call of each of ``steps`` (name -> callable), timed in alternating blocks in this
    process (so that other work on the machine weighs on every variant alike)."""
    times = {name: [] for name in steps}
    for _ in range(blocks):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(per_block):
                step()
            times[name].append((time.perf_counter() - t0) / per_block)
    return {name: statistics.median(v) for name, v in times.items()}, times


def run_teacher_ab(args):
    """Steady seconds per training step, eager against compiled, alternating blocks in one process."""
    import copy

    import numpy as np
    import torch

    from awd_studio.models.optim import StackedAdam
    from awd_studio.models.teachers.architectures import build_teacher
    from awd_studio.models.teachers.augment import random_symmetry

    torch.set_num_threads(args.threads)
    dynamo_s = import_dynamo()
    data = np.load(example("lensing"))
    X = torch.as_tensor(data["X"][:1024])
    torch.manual_seed(0)
    base = build_teacher("cnn", X.shape[1:], 2)
    base.to(memory_format=torch.channels_last)
    steps, compile_s = {}, {}
    for name in ("eager", "model", "step"):
        model = copy.deepcopy(base).train()
        opt = StackedAdam(model.parameters(), lr=2e-3)
        fwd = model.standardized if name == "eager" else torch.compile(model.standardized, dynamic=False)
        adam = opt.step if name != "step" else torch.compile(StackedAdam.step).__get__(opt)
        gen = torch.Generator().manual_seed(1)
        state = {"i": 0}

        def step(model=model, opt=opt, fwd=fwd, adam=adam, gen=gen, state=state):
            i = state["i"] % 32
            state["i"] += 1
            xb = random_symmetry(X[32 * i:32 * i + 32], gen)
            loss = (fwd(xb) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            adam()

        t0 = time.perf_counter()
        step()
        compile_s[name] = time.perf_counter() - t0
        steps[name] = step
    medians, raw = alternate(steps, args.blocks, args.per_block)
    emit({"what": "teacher_ab", "threads": args.threads, "load_start": os.getloadavg()[0],
          "dynamo_import_s": dynamo_s, "first_call_s": compile_s,
          "ms_per_step": {k: 1e3 * v for k, v in medians.items()},
          "ratio_eager_over": {k: medians["eager"] / v for k, v in medians.items()},
          "blocks_ms": {k: [round(1e3 * t, 2) for t in v] for k, v in raw.items()}})


def run_grid_ab(args):
    """Steady seconds per closed-form grid step (data terms, their gradient, the lattice pullback), eager against
    compiled, alternating blocks in one process."""
    import numpy as np
    import torch

    from awd_studio.models.pipeline.config import grid_points_of
    from awd_studio.models.pipeline.fit_grid import make_distiller
    from awd_studio.models.pipeline.scaling import scaled, scaling_of
    from awd_studio.models.pipeline.workdir import load_prepared

    torch.set_num_threads(args.threads)
    dynamo_s = import_dynamo()
    info, config, split, teacher = load_prepared(prepared_cme_paper(args.work_dir))
    grid = grid_points_of(config)
    part = np.array_split(np.arange(len(grid)), 2)[args.part]
    d = make_distiller(config, [grid[i] for i in part], torch.device("cpu"), info["teacher"]["attribution_target"])
    X = torch.as_tensor(scaled(split["X_train"], scaling_of(info)), dtype=torch.float32)
    gx = torch.randn_like(X)  # the step's cost does not depend on the gradients' values
    torch.manual_seed(0)
    module, _ = d._make_filter(len(part), torch.device("cpu"), torch.float32)
    lam = torch.tensor([grid[i][0] for i in part], dtype=torch.float32)
    gam = torch.tensor([grid[i][1] for i in part], dtype=torch.float32)
    weights = d._validity_weights(torch.float32, torch.device("cpu"))
    xb, gxb = X[:100], gx[:100]

    def eager_step():
        h, pullback = module.value_and_pullback()
        values, grad_h = d._closed_form_losses(h, xb, gxb, lam, gam, weights, True, with_gradient=True)
        return values, pullback(grad_h)

    constant_tables(X.shape[-1], d._filter_length(), d.levels, d.mode, torch.float32)
    compiled = torch.compile(eager_step, dynamic=False)
    losses_c = torch.compile(d._closed_form_losses, dynamic=False)

    def losses_step():
        h, pullback = module.value_and_pullback()
        values, grad_h = losses_c(h, xb, gxb, lam, gam, weights, True, with_gradient=True)
        return values, pullback(grad_h)

    first = {}
    for name, fn in (("step", compiled), ("losses", losses_step)):
        t0 = time.perf_counter()
        out_c = fn()
        first[name] = time.perf_counter() - t0
    out_e = eager_step()
    diff = max(float(((a - b).abs().max() / b.abs().max().clamp_min(1e-30))) for a, b in zip(out_c, out_e))
    medians, raw = alternate({"eager": eager_step, "losses": losses_step, "step": compiled}, args.blocks,
                             args.per_block)
    emit({"what": "grid_ab", "threads": args.threads, "points": len(part), "load_start": os.getloadavg()[0],
          "dynamo_import_s": dynamo_s, "first_call_s": first, "max_rel_diff": diff,
          "ms_per_step": {k: 1e3 * v for k, v in medians.items()},
          "ratio_eager_over": {k: medians["eager"] / v for k, v in medians.items()}, **graph_counts(),
          "blocks_ms": {k: [round(1e3 * t, 3) for t in v] for k, v in raw.items()}})


# ---------------------------------------------------------------------------------------------------------- job
def run_whole_job(args):
    """One whole job as ``bench/end_to_end.py RUN`` runs it, with the grid's closed-form step compiled
    (``--compile step``; ``none`` leaves the code unchanged, the interleaved control)."""
    import bench.end_to_end as end_to_end

    dynamo_s = 0.0
    if args.compile != "none":
        t0 = time.perf_counter()
        import_dynamo()
        compile_grid_steps(args.compile)
        dynamo_s = time.perf_counter() - t0
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = end_to_end.run_job(json.loads(args.options))
    result.pop("timings", None)
    emit({"what": "job", "compile": args.compile, "load_start": load, "load_end": os.getloadavg()[0],
          "dynamo_setup_s": dynamo_s, "job_s": time.perf_counter() - t0 + dynamo_s, **graph_counts(),
          "cache": os.environ.get("TORCHINDUCTOR_CACHE_DIR"), **result})


# -------------------------------------------------------------------------------------------------------- table
def child(argv, cache_dir):
    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, __file__, *argv], env=env, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("PROBE_JSON "):
            return json.loads(line[len("PROBE_JSON "):])
    raise RuntimeError(f"{argv} failed:\n{out.stderr[-3000:]}")


def run_table(args):
    results = []
    root = Path(tempfile.mkdtemp(prefix="compile-probe-cache-"))
    for seed in [int(s) for s in args.seeds.split(",")]:
        for variant in ["eager", *args.variants.split(",")]:
            name, _, dynamic = variant.partition(":")
            if args.what == "teacher":
                argv = ["teacher", "--variant", name, "--dynamic", dynamic or "static", "--epochs", str(args.epochs),
                        "--seed", str(seed)]
            else:
                argv = ["grid", "--variant", name, "--epochs", str(args.epochs), "--part", str(seed)]
            cache = root / f"{variant.replace(':', '-')}-{seed}"
            temps = ["cold", "warm"] if name != "eager" else ["-"]
            for temp in temps:
                result = child(argv, cache)
                result["cache_state"] = temp
                results.append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "final_train_loss"}), flush=True)
                if args.out:
                    Path(args.out).write_text(json.dumps(results, indent=1))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("teacher")
    t.add_argument("--variant", choices=["eager", "model", "step"], default="eager")
    t.add_argument("--dynamic", choices=["static", "mark"], default="static")
    t.add_argument("--epochs", type=int, default=80)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    g = sub.add_parser("grid")
    g.add_argument("--variant", choices=["eager", "losses", "step"], default="eager")
    g.add_argument("--epochs", type=int, default=100)
    g.add_argument("--part", type=int, default=0)
    g.add_argument("--threads", type=int, default=1)
    g.add_argument("--work-dir", default=str(DATA_DIR / "cme-paper-work"))
    for name in ("teacher-ab", "grid-ab"):
        ab = sub.add_parser(name)
        ab.add_argument("--threads", type=int, default=2 if name == "teacher-ab" else 1)
        ab.add_argument("--blocks", type=int, default=8)
        ab.add_argument("--per-block", type=int, default=20 if name == "teacher-ab" else 50)
        ab.add_argument("--part", type=int, default=0)
        ab.add_argument("--work-dir", default=str(DATA_DIR / "cme-paper-work"))
    j = sub.add_parser("job")
    j.add_argument("options", help="end_to_end.py RUN options (JSON), e.g. "
                                   "'{\"example\": \"cme\", \"grid_preset\": \"paper\"}'")
    j.add_argument("--compile", choices=["none", "losses", "step"], default="step")
    tb = sub.add_parser("table")
    tb.add_argument("what", choices=["teacher", "grid"])
    tb.add_argument("--epochs", type=int, default=None)
    tb.add_argument("--seeds", default="0", help="teacher: seeds; grid: parts")
    tb.add_argument("--variants", default=None)
    tb.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.command == "teacher":
        run_teacher(args)
    elif args.command == "grid":
        run_grid(args)
    elif args.command == "job":
        run_whole_job(args)
    elif args.command == "teacher-ab":
        run_teacher_ab(args)
    elif args.command == "grid-ab":
        run_grid_ab(args)
    else:
        if args.epochs is None:
            args.epochs = 80 if args.what == "teacher" else 100
        if args.variants is None:
            args.variants = "model,step" if args.what == "teacher" else "losses,step"
        run_table(args)


if __name__ == "__main__":
    main()
