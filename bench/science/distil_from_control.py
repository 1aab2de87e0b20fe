"""Does distillation improve on the teacher-free control's wavelet? Distil the CME example from it.

Usage::

    python -m bench.science.distil_from_control SEED [SEED ...]

For each data seed of the CME example: (A) the job with the defaults, whose teacher-free control
(``random_search=300``) stores the best of 300 random orthogonal wavelets by the student's cross-validation; then
(B) the same job started from that wavelet instead of db5, without the start search and the control. In B the
control's filter stands in for "db5" (the name B's verdict still prints) wherever the pipeline reads the initial
wavelet (the trainer's start, the mode's and levels' checks, the baseline student and the selection), so B's
baseline row is the control's wavelet, its verdict compares AWD with it on the test set, and its cross-validation
chooses between them. The teacher is the same in A and B (same seed and data). Prints one JSON line per seed (test
R²).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

__all__ = ["run_seed"]


def _start_from(h):
    """Make every reader of the initial wavelet in the pipeline get ``h`` for "db5"; returns the undo."""
    from awd_studio.models import filters
    from awd_studio.models.filters import known, modules
    from awd_studio.models.pipeline import config, prepare

    original = known.lowpass_filter

    def lowpass_filter(name):
        return np.array(h, dtype=float) if name == "db5" else original(name)

    readers = (known, filters, modules, config, prepare)
    for module in readers:
        module.lowpass_filter = lowpass_filter

    def undo():
        for module in readers:
            module.lowpass_filter = original

    return undo


def run_seed(seed):
    """Run A and B (module docstring) for one data seed; returns the test R² of their students."""
    from awd_studio.models import pipeline
    from awd_studio.models.data import write_example

    with tempfile.TemporaryDirectory() as tmp:
        data = write_example("cme", Path(tmp) / "data.npz", seed=seed)
        a = pipeline.run(data, {"seed": seed}, Path(tmp) / "a")
        undo = _start_from(a["selection"]["random_search"]["h"])
        try:
            b = pipeline.run(data, {"seed": seed, "start_search": 0, "random_search": 0}, Path(tmp) / "b")
        finally:
            undo()

    def r2(bundle, model):
        return round(bundle["models"][model]["test"]["r2"], 4)

    return {"seed": seed, "A_awd": r2(a, "awd"), "A_db5": r2(a, "baseline_wavelet"),
            "A_control": r2(a, "random_search"), "B_start_control": r2(b, "baseline_wavelet"), "B_awd": r2(b, "awd"),
            "B_gamma0": r2(b, "awd_no_interp"),
            "B_choice": b["selection"]["choice"], "B_verdict": b["verdict"]["text"]}


if __name__ == "__main__":
    for seed in [int(s) for s in sys.argv[1:]] or [0]:
        print(json.dumps(run_seed(seed)), flush=True)
