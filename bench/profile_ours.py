"""Profile one epoch of our 1D fit with torch.profiler; print the top operators as Markdown.

Usage: ``python bench/profile_ours.py SERIES_NPZ MLP_STATE`` (``run_all.py`` calls it). A one-epoch warm-up fit
runs first so the profile holds no one-time costs (imports, index tables).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import one_thread, timer  # noqa: E402

torch = one_thread()

CONFIGS = [("zero", "free", "straight_through"), ("zero", "free", "eq8"), ("periodization", "orthogonal", "eq8")]


def profile_config(X, teacher, mode, parametrization, gradient_path, rows=12):
    from torch.profiler import ProfilerActivity, profile

    from awd_studio.models.distill import WaveletDistiller

    def make():
        return WaveletDistiller(mode=mode, parametrization=parametrization, gradient_path=gradient_path,
                                epochs=1, val_fraction=0.0, lambdas=[0.01], gammas=[0.01], device="cpu")

    make().fit(X, teacher)  # warm-up
    start = timer()
    make().fit(X, teacher)
    plain = timer() - start
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        make().fit(X, teacher)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows, max_name_column_width=48)
    return plain, table


def main(series_path, mlp_path):
    import numpy as np

    from bench.prepare import load_teacher_state

    with np.load(series_path, allow_pickle=False) as f:
        X = f["X"]
    teacher = load_teacher_state("mlp", X.shape[1:], mlp_path)
    for mode, par, path in CONFIGS:
        seconds, table = profile_config(X, teacher, mode, par, path)
        print(f"#### {mode} / {par} / gradient path {path}: one epoch {seconds:.3f} s without the profiler\n")
        print("```")
        print(table.rstrip())
        print("```\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
