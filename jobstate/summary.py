"""A job's one-line result summary, kept on its row so that the jobs list never opens a result bundle.

The summary is read once from ``result.json`` (when the worker finishes the job, or the first time the API
lists a job that finished before summaries existed) and stored in ``jobs.summary``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awd_studio.models.options import resolve_grid

__all__ = ["summarize_result", "resolved_options", "grid_size"]


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def summarize_result(result_dir: str | Path) -> dict[str, Any] | None:
    """The small summary of one finished result.

    Parameters
    ----------
    result_dir : path-like
        A job's result directory (holding ``result.json``).

    Returns
    -------
    dict or None
        ``metric`` ("r2" or "rmse", the verdict's), ``awd_test`` (the selected AWD student's test score in that
        metric), ``delivered_test`` (the score of the model the result recommends: the initial wavelet's student
        when cross-validation kept that wavelet, else AWD's), ``initial`` (the initial wavelet's name),
        ``teacher_test`` (the teacher's), ``awd_test_r2``, ``delivered_test_r2`` and ``teacher_test_r2``
        (the same three as test R², whatever the verdict's metric), ``teacher`` (its architecture), ``choice``
        ("awd" or "initial"), ``n_lambdas`` and ``n_gammas`` (the grid's size), ``prepare_seconds`` and
        ``finalize_seconds`` (the wall time of those parts of the run, the bundle's ``timings``, which the run-time
        estimate's calibration reads), ``resolved_config`` (the options as the run resolved them,
        :func:`resolved_options`: what the job page's settings list reads, so that it never opens the bundle);
        None when there is no readable bundle.
    """
    try:
        bundle = json.loads((Path(result_dir) / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(bundle, dict):
        return None
    metric = (bundle.get("verdict") or {}).get("metric") or (bundle.get("cv") or {}).get("metric") or "r2"
    teacher = bundle.get("teacher") or {}
    models = bundle.get("models") or {}
    awd = (models.get("awd") or {}).get("test") or {}
    choice = (bundle.get("selection") or {}).get("choice")
    delivered = (models.get("baseline_wavelet" if choice == "initial" else "awd") or {}).get("test") or {}
    timings = bundle.get("timings") if isinstance(bundle.get("timings"), dict) else {}
    return {
        "metric": metric,
        "awd_test": _number(awd.get(metric)),
        "delivered_test": _number(delivered.get(metric)),
        "initial": (bundle.get("wavelet") or {}).get("init"),
        "teacher_test": _number((teacher.get("test") or {}).get(metric)),
        # R² of the same three, whatever the verdict's metric: the headline number the results page shows
        "awd_test_r2": _number(awd.get("r2")),
        "delivered_test_r2": _number(delivered.get("r2")),
        "teacher_test_r2": _number((teacher.get("test") or {}).get("r2")),
        "teacher": teacher.get("name"),
        "choice": choice,
        "n_lambdas": len(bundle.get("lambdas") or []) or None,
        "n_gammas": len(bundle.get("gammas") or []) or None,
        "prepare_seconds": _number(timings.get("prepare")),
        "finalize_seconds": _number(timings.get("finalize")),
        "resolved_config": resolved_options(bundle),
    }


def resolved_options(bundle: dict) -> dict[str, Any] | None:
    """The options a run used, as it resolved them: the bundle's ``provenance.config`` without file paths.

    A job stores its options as submitted (``None``: the grid preset's, ``"auto"``: chosen from the data); the run
    resolves them, and the job page shows what it used beside what was asked. A few hundred bytes, kept in the
    job's summary, where the page read them from the whole bundle (several MB for a CME run of the paper's grid).

    Parameters
    ----------
    bundle : dict
        A parsed ``result.json``.

    Returns
    -------
    dict or None
        None when the bundle records no config.

    Examples
    --------
    >>> resolved_options({"provenance": {"config": {"epochs": 50, "teacher_path": "/data/t.pt"}}})
    {'epochs': 50}
    >>> resolved_options({}) is None
    True
    """
    config = (bundle.get("provenance") or {}).get("config")
    if not isinstance(config, dict):
        return None
    return {name: value for name, value in config.items() if name != "teacher_path"}


def grid_size(config: dict, kind: str | None) -> tuple[int, int] | None:
    """``(n_lambdas, n_gammas)`` of a job's stored options, before it has run.

    Parameters
    ----------
    config : dict
        The job's stored options (``lambdas``/``gammas`` None mean the grid preset's).
    kind : {"timeseries", "image"} or None
        The dataset's kind (the preset depends on it); None when the dataset is gone.

    Returns
    -------
    tuple of int or None
        γ = 0 always runs (it is the no-interpretation baseline), so it counts even when not listed;
        None when the grid cannot be known (preset of a deleted dataset).
    """
    listed = dict(lambdas=config.get("lambdas"), gammas=config.get("gammas"))
    try:
        grid = resolve_grid(kind, config.get("grid_preset"), **listed)
    except ValueError:  # a preset with no grid for the data's kind: only the values listed are known
        grid = resolve_grid(None, **listed)
    if grid["lambdas"] is None or grid["gammas"] is None:
        return None
    return len(grid["lambdas"]), len(grid["gammas"])
