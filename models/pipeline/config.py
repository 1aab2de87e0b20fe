"""A job's options resolved against its data: the grid preset's defaults, gamma = 0, the boundary mode, the
start search.

The options themselves are defined once in :mod:`models.options`; this module only fills in what depends on
the data (its kind and sample shape).
"""

import numpy as np

from awd_studio.models import wavelets as _wavelets
from awd_studio.models.distill import grid_points
from awd_studio.models.filters import lowpass_filter
from awd_studio.models.options import (
    DEFAULT_TEACHER,
    TEACHERS_BY_KIND,
    PipelineConfig,
    resolve_grid,
    resolve_random_search,
    resolve_start_search,
)

__all__ = ["resolve_config", "API_TEACHERS_NOTE", "choose_mode", "grid_points_of", "select_target",
           "check_target_column", "target_index"]


def choose_mode(kind, shape, filter_len, levels, top_k):
    """The boundary mode ``mode="auto"`` resolves to, and why.

    Time series: ``periodization`` when every band of the J-level transform holds at least ``top_k``
    coefficients (no padded features in the top-k student), else ``zero`` (the reference implementation's
    mode: its bands are longer, ``floor((n + N - 1) / 2)`` per level). Maps: ``periodization`` (exact and
    orthogonal; the peak student does not read the bands).

    Parameters
    ----------
    kind : {"timeseries", "image"}
    shape : tuple of int
        Shape of one sample, ``(L,)`` or ``(H, W)``.
    filter_len : int
        Length N of the lowpass filter.
    levels : int
        Decomposition levels J.
    top_k : int
        Coefficients the time-series student keeps per band.

    Returns
    -------
    mode : {"periodization", "zero"}
    reason : str
        One sentence for the bundle.

    Examples
    --------
    >>> choose_mode("timeseries", (40,), 10, 4, 6)[0]
    'zero'
    >>> choose_mode("timeseries", (256,), 10, 4, 6)[0]
    'periodization'
    """
    if kind != "timeseries":
        return "periodization", "maps: periodization (exact, orthogonal; the peak student does not read the bands)"
    length = int(shape[0])
    deepest = {mode: _wavelets.max_level(length, filter_len, mode) for mode in ("periodization", "zero")}
    if levels > max(deepest.values()):  # named for "auto": the mode was not the user's choice
        raise ValueError(f"levels: {levels} levels are too many for series of length {length} with a filter of "
                         f"length {filter_len}; mode 'auto' can take at most {max(deepest.values())} (periodization "
                         f"{deepest['periodization']}, zero mode {deepest['zero']}): pass levels <= "
                         f"{max(deepest.values())}")
    if levels > deepest["periodization"]:
        zero = _wavelets.coeff_lengths(length, filter_len, levels, "zero")
        return "zero", (f"zero: periodization takes at most {deepest['periodization']} levels on {length} samples; "
                        f"zero mode with J = {levels} gives bands of {', '.join(map(str, zero))}")
    periodic = _wavelets.coeff_lengths(length, filter_len, levels, "periodization")
    if levels > deepest["zero"]:
        return "periodization", (f"periodization: zero mode takes at most {deepest['zero']} levels on {length} "
                                 f"samples; periodization with J = {levels} gives bands of "
                                 f"{', '.join(map(str, periodic))}")
    if min(periodic) >= top_k:
        return "periodization", (f"periodization: with J = {levels} on {length} samples every band has at least "
                                 f"top_k = {top_k} coefficients ({', '.join(map(str, periodic))})")
    zero = _wavelets.coeff_lengths(length, filter_len, levels, "zero")
    return "zero", (f"zero: periodization with J = {levels} on {length} samples gives bands of "
                    f"{', '.join(map(str, periodic))}, shorter than top_k = {top_k} (padded features); zero mode "
                    f"gives {', '.join(map(str, zero))}")


#: Where the web API lists the architectures each kind of data trains: what :func:`resolve_config`'s refusal of a
#: teacher the data's kind does not train says in parentheses, unless its caller says otherwise.
API_TEACHERS_NOTE = "GET /api/options: teacher_architectures_by_kind"


def resolve_config(config: PipelineConfig, kind: str, shape, n_samples: int, *,
                   teacher_note: str | None = API_TEACHERS_NOTE) -> tuple[PipelineConfig, str]:
    """The config with the preset's grid, epochs and step size filled in, gamma = 0 in the grid, ``mode="auto"`` chosen,
    ``teacher="auto"`` named, ``start_search`` and ``random_search`` resolved
    (:func:`models.options.resolve_start_search`, :func:`models.options.resolve_random_search`).

    ``teacher="auto"`` with an uploaded teacher (``teacher_path``) stays ``auto``: nothing is trained, and the weights
    say what they are when they load (an exported program carries its own architecture; review 39A: a ``.pt2``
    was recorded as the kind's default, "cnn").

    Parameters
    ----------
    config : PipelineConfig
    kind : {"timeseries", "image"}
    shape : tuple of int
        Shape of one sample.
    n_samples : int
        The dataset's samples (``Dataset.n``, before the job's test split), for the start search's default.
    teacher_note : str or None, default=API_TEACHERS_NOTE
        Said in parentheses after the refusal of a teacher architecture ``kind`` does not train: where the caller's
        interface lists those it does (``awd distill`` says which architectures the other kind trains); None, nothing.

    Returns
    -------
    resolved : PipelineConfig
        A new config (``config`` is not changed).
    mode_choice : str
        Why the boundary mode is what it is (for the bundle).
    """
    offered = TEACHERS_BY_KIND[kind]
    if config.teacher_path is None and config.teacher not in ("auto", *offered):  # review 31A: a CNN ran on series
        raise ValueError(f"teacher: {config.teacher!r} is not trained on {kind} data here; pass auto or one of "
                         f"{', '.join(offered)}" + (f" ({teacher_note})" if teacher_note else ""))
    update = resolve_grid(kind, config.grid_preset, lambdas=config.lambdas, gammas=config.gammas,
                          epochs=config.epochs, lr=config.lr)
    if config.mode == "auto":
        mode, reason = choose_mode(kind, shape, len(lowpass_filter(config.wave)), config.levels, config.top_k)
        update["mode"], mode_choice = mode, f"auto, {reason}"
    else:
        mode_choice = f"{config.mode} (set in the config)"
    if config.teacher == "auto" and config.teacher_path is None:
        update["teacher"] = DEFAULT_TEACHER[kind]
    update["start_search"] = resolve_start_search(config.start_search, kind, shape, update["gammas"], n_samples)
    update["random_search"] = resolve_random_search(config.random_search, kind, n_samples)
    return config.model_copy(update=update), mode_choice


def grid_points_of(config: PipelineConfig) -> list[tuple[float, float]]:
    """The (lambda, gamma) pairs of a resolved config, lambda-major."""
    return grid_points(config.lambdas, config.gammas)


def select_target(y, target: int):
    """Column ``target`` of the targets (a 1-D ``y`` is column 0), as float64.

    Raises
    ------
    ValueError
        When the data has no such column.
    """
    y = np.asarray(y, dtype=float)
    _check_target_index(target, 1 if y.ndim == 1 else y.shape[1])
    return y if y.ndim == 1 else y[:, target]


def _check_target_index(target: int, n_targets: int) -> None:
    """ValueError naming the field ``target`` when the data has no column ``target``."""
    if n_targets == 1 and target != 0:
        raise ValueError(f"target: the data has one target column, so target must be 0, got {target}")
    if not 0 <= target < n_targets:
        raise ValueError(f"target: the data has {n_targets} target columns; pass 0..{n_targets - 1}")


def target_index(target, names) -> int | None:
    """The column number of a target given by number (an int, or its digits) or by name; None for a name that is
    not among ``names``. The command line's ``--target`` and the API's ``target`` resolve through it.

    Examples
    --------
    >>> target_index("sigma_8", ["Omega_m", "sigma_8"]), target_index("1", []), target_index("h", ["Omega_m"])
    (1, 1, None)
    """
    if isinstance(target, int) or str(target).strip().isdigit():
        return int(target)
    names = [str(n) for n in names or []]
    return names.index(target) if target in names else None


def check_target_column(target: int, summary: dict) -> None:
    """Refuse a target column that the dataset lacks or that holds one value, before a job is queued.

    Parameters
    ----------
    target : int
        The column the job would predict.
    summary : dict
        The dataset's summary (:func:`models.data.dataset.summarize`): ``n_targets``, ``target_names`` and
        ``targets`` (per column ``n_unique`` over the training targets). Missing keys skip their check.

    Raises
    ------
    ValueError
        Naming the field ``target``, the column and the columns that can be predicted.

    Examples
    --------
    >>> summary = {"n_targets": 2, "target_names": ["Omega_m", "sigma_8"],
    ...            "targets": [{"n_unique": 10, "min": 0.2}, {"n_unique": 1, "min": 0.8}]}
    >>> check_target_column(0, summary)
    >>> check_target_column(1, summary)
    Traceback (most recent call last):
    ...
    ValueError: target: column 1 (sigma_8) is 0.8 for every sample, so there is nothing to predict; choose a
    column that varies: 0 (Omega_m)
    >>> check_target_column(2, summary)
    Traceback (most recent call last):
    ...
    ValueError: target: the data has 2 target columns; pass 0..1
    """
    if summary.get("n_targets") is not None:
        _check_target_index(target, int(summary["n_targets"]))
    columns = summary.get("targets") or []
    if target < len(columns) and columns[target].get("n_unique") == 1:
        names = list(summary.get("target_names") or [])
        named = [f"{j} ({names[j]})" if j < len(names) else str(j)
                 for j, col in enumerate(columns) if col.get("n_unique") != 1]
        name = f" ({names[target]})" if target < len(names) else ""
        remedy = (f"choose a column that varies: {', '.join(named)}" if named
                  else "no column varies: give targets that vary across samples")
        raise ValueError(f"target: column {target}{name} is {columns[target].get('min'):g} for every sample, so "
                         f"there is nothing to predict; {remedy}")
