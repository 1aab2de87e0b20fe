"""The speed report's floor row: the teacher's own double backward, and the like-for-like bound it sets."""

import numpy as np
import torch

from bench import report
from bench.common import teacher_double_backward


def _spread(x):
    return {"min": x, "median": x, "max": x, "all": [x]}


def _fit_entry(per_epoch, filt=None):
    entry = {"seconds_per_epoch": _spread(per_epoch), "first_epoch_seconds": _spread(per_epoch),
             "fit_seconds": _spread(5 * per_epoch), "peak_rss_mib": 300.0, "epochs": 5, "terms": None,
             "filter": filt}
    if filt is not None:
        entry["terms"] = [{"train_loss": 1.0}]
    return entry


def _fit():
    h = [0.1, 0.2]
    return {report.THEIRS: _fit_entry(2.0, h), report.LIKE: _fit_entry(1.0, h), report.EQ8: _fit_entry(0.05, h),
            report.DEFAULT: _fit_entry(0.08, h), report.FLOOR: _fit_entry(0.8)}


def test_teacher_double_backward_times_each_epoch_and_leaves_no_parameter_gradient():
    teacher = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).eval()
    X = np.random.default_rng(0).normal(size=(25, 8))
    seconds = teacher_double_backward(X, teacher, epochs=3, batch_size=10)
    assert len(seconds) == 3 and all(s > 0 for s in seconds)
    assert all(p.grad is None for p in teacher.parameters())


def test_bound_is_awave_over_the_teacher_floor():
    fit = _fit()
    assert report.like_for_like_bound(fit) == 2.5
    text = report.floor_sentence(fit)
    assert "takes 0.8 s per epoch: 80 % of our straight-through epoch" in text
    assert "more than **2.5x** faster than awave" in text and "ours is 2.0x" in text
    assert "almost all" not in text
    fit[report.FLOOR] = _fit_entry(1.03)
    assert "103 % of our straight-through epoch (ours spends almost all of its epoch in the teacher" in (
        report.floor_sentence(fit))
    fit.pop(report.FLOOR)
    assert report.like_for_like_bound(fit) is None


def test_fit_table_shows_the_floor_row_without_a_speed_up_and_the_headline_names_the_cap():
    lines = report._fit_rows("fit1d_lstm20", _fit(), reps=1)
    floor = [ln for ln in lines if "double backward alone" in ln and ln.startswith("|")]
    assert len(floor) == 1 and floor[0].endswith("|  |  |  |  |")
    assert sum("**no**" in ln for ln in lines) == 1  # the like-for-like row misses its 10x target
    headline = "\n".join(report._headline({"fit1d_lstm20": _fit()}))
    assert "caps any like-for-like speed-up here at 2.5x" in headline
    terms = report._terms_table(_fit(), ["train_loss"])
    assert "double backward alone" not in terms[0]


def test_end_to_end_table_sets_the_delivered_predictor_beside_its_own_teacher():
    """bench/end_to_end.py reads the predictor the result recommends and the job's teacher from the bundle; the
    report's table and headline name both, with both R² values beside the speed-up."""
    from bench.end_to_end import delivered_against_teacher

    bundle = {"selection": {"choice": "initial"},
              "students": {"awd": {}, "baseline_wavelet": {}},
              "models": {"awd": {"test": {"r2": 0.55}, "predict_seconds_per_sample": 2e-6, "n_params": 20},
                         "baseline_wavelet": {"test": {"r2": 0.54}, "predict_seconds_per_sample": 4e-6,
                                              "n_params": 9}},
              "teacher": {"name": "lstm", "test": {"r2": 0.79}, "predict_seconds_per_sample": 2e-4, "n_params": 2021}}
    p = delivered_against_teacher(bundle)
    assert p["delivered"] == "baseline_wavelet" and p["delivered_r2"] == 0.54 and p["teacher_r2"] == 0.79
    assert delivered_against_teacher({**bundle, "teacher": {"name": "lstm"}}) is None  # an uploaded teacher
    row = {"example": "cme", "grid_preset": "default", "parametrization": "orthogonal", "wall_seconds": 40.0,
           "cpu_seconds": 60.0, "stages": {}, "peak_rss_mib": 600.0, "predictors": p}
    lines = report._end_to_end_rows([row])
    table = [ln for ln in lines if ln.startswith("| cme") and "baseline_wavelet" in ln]
    assert len(table) == 1 and "| 50.0x |" in table[0] and "| 9 / 2021 |" in table[0]
    headline = "\n".join(report._headline({"end_to_end": [row]}))
    assert ("the delivered baseline_wavelet predictor 50.0x the lstm teacher's throughput (one thread; test R² 0.54 "
            "against 0.79)") in headline


def test_targets_table_decides_each_target_from_this_reports_figures():
    """The like-for-like row misses with its cap named; whole jobs compare against their own limits; the peak row
    names the largest job; the delivered predictor row needs a speed-up above 1."""
    p = {"delivered": "awd", "teacher": "lstm", "delivered_seconds_per_sample": 1e-6,
         "teacher_seconds_per_sample": 3e-6, "delivered_r2": 0.5, "teacher_r2": 0.7}
    jobs = [{"example": "cme", "grid_preset": "paper", "parametrization": "orthogonal", "wall_seconds": 31.0,
             "peak_rss_mib": 700.0},
            {"example": "cme", "grid_preset": "default", "parametrization": "orthogonal", "wall_seconds": 20.0,
             "peak_rss_mib": 960.0, "predictors": p},
            {"example": "cme", "grid_preset": "default", "parametrization": "free", "wall_seconds": 25.0,
             "peak_rss_mib": 600.0}]
    lines = report._targets({"fit1d_lstm20": _fit(), "end_to_end": jobs})
    table = {ln.split(" | ")[0].lstrip("| "): ln for ln in lines if ln.startswith("| ") and "---" not in ln}
    like = table["1D, paper-sized CME LSTM teacher: like for like (both straight-through), steady epoch, against awave"]
    assert "| 2.0x (the teacher's double backward caps it at 2.5x) | **no** |" in like
    assert table["1D, paper-sized CME LSTM teacher: the gradient of eq. 8 (the loss's own gradient), steady epoch, "
                 "against awave"].endswith("| 40.0x | yes |")
    assert table["cme, paper grid, orthogonal filter: whole job (one run, default threads)"].endswith(
        "| < 30 s | 31 s | **no** |")
    assert table["cme, default grid, orthogonal filter: whole job (one run, default threads)"].endswith("| yes |")
    assert not any(k.startswith("cme, default grid, free filter") for k in table)  # no target for that job
    peak = table["peak memory of every job above (3 jobs)"]
    assert "| < 1 GB (954 MiB) | 960 MiB at most (cme, default grid, orthogonal filter) | **no** |" in peak
    assert "| 3.0x (test R² 0.5 against 0.7) | yes |" in table[
        "cme job with the defaults: the delivered awd predictor against the lstm teacher it was distilled from, "
        "throughput on one thread"]
    assert report._targets({}) == ["No part that decides a target was measured."]


def test_whole_jobs_run_without_the_benchs_one_thread_pins(monkeypatch):
    """``make bench`` imports bench.common, which pins OpenMP and BLAS to one thread for the fit rows; the
    end-to-end jobs it starts must see the user's environment instead."""
    import bench.common as common
    from bench.end_to_end import job_environment

    monkeypatch.setattr(common, "UNPINNED", {"OMP_NUM_THREADS": None, "OPENBLAS_NUM_THREADS": "3"})
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    env = job_environment()
    assert "OMP_NUM_THREADS" not in env and env["OPENBLAS_NUM_THREADS"] == "3"


def test_a_carried_over_part_says_when_it_was_measured(tmp_path):
    info = {"machine": {"cpu": "x", "cores": 2, "affinity": 2, "platform": "p"}, "versions": {"ours": {}, "theirs": {}},
            "started": "2026-12-07T13:07:45", "total_seconds": 60.0, "command": "make bench", "reps": 5,
            "reused_parts": ["fit1d_mlp", "grid"]}
    results = {"measured_at": {"fit1d_mlp": "2026-12-07T12:32", "grid": None}}
    text = report.write_report(info, results, tmp_path / "RESULTS.md").read_text()
    assert "carried over from an earlier run** (not re-measured by this command): fit1d_mlp (measured 2026-12-07 " \
           "12:32), grid." in text
