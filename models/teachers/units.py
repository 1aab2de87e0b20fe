"""Does a teacher answer in the target's units? The scale of its predictions against the target's.

AWD Studio gives a teacher the raw data and reads its outputs in target units. Uploaded weights trained on
standardised data, without that standardisation inside them, predict at another scale: their R² is then
negative while a straight line through their predictions fits the target (they follow it, in other units), or
their predictions sit far from the target's mean or spread far more (or less) widely. The test
here is the one the job's trust note applies after the run (``models.pipeline.trust.units_words``) and the
upload applies to a sample of the dataset before any job (``POST /api/teachers`` with ``dataset_id``).

An output that is the same for every sample is another matter (:func:`constant_output`, :func:`constant_words`):
no unit makes it follow the target, and its gradients, hence its attributions, are all zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHIFT_SDS", "SPREAD_RATIO", "AFFINE_R2", "CONSTANT_SD_RATIO", "UNITS_REMEDY", "prediction_scale",
           "at_other_scale", "constant_output", "constant_words", "scale_numbers", "scale_words", "sample_rows"]

#: Predictions whose mean is more than this many target SDs from the target's mean are shifted.
SHIFT_SDS = 2.0
#: Predictions whose SD is more than this many times the target's, or less than its inverse, spread wrongly.
SPREAD_RATIO = 5.0
#: Predictions with a negative R² that a straight line would fit to at least this R² (their squared correlation
#: with the target) follow the target in other units (review 23: a teacher trained on the CME example's
#: standardised targets had R² -4.78, a shift of half a target SD and 3.2 times its spread, and a squared
#: correlation of 0.76; a teacher that learned nothing has one near 0).
AFFINE_R2 = 0.25
#: Predictions whose SD is at most this fraction of the target's are constant: float32 rounding of one value (a
#: network whose output does not depend on its input) varies by about 1e-7 of it.
CONSTANT_SD_RATIO = 1e-6

#: What the teacher is given and what a network at another scale needs (the job's trust note and the upload's
#: warning end with it).
UNITS_REMEDY = ("AWD Studio gives the teacher the raw data and reads its outputs in target units, so put any "
                "standardisation of inputs or targets inside the network: for AWD Studio's architectures, the "
                "buffers x_mean, x_std, y_mean and y_std of its state dict (missing ones stay 0 and 1); for an "
                "exported program, in its forward.")


def prediction_scale(predictions, targets) -> dict:
    """Mean and SD of predictions and of their targets, and the R² of the one against the other.

    Parameters
    ----------
    predictions, targets : array-like of shape (n,)
        In the same order; n >= 2.

    Returns
    -------
    dict
        ``mean``, ``sd`` (of the predictions), ``target_mean``, ``target_sd``, ``r2`` and ``affine_r2`` (the R²
        of the best straight line through the predictions: their squared correlation with the targets; ``nan``
        for constant predictions or targets): Python floats, SDs with ``ddof=0``.

    Examples
    --------
    >>> s = prediction_scale([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    >>> s["mean"], s["target_sd"] > 0, s["r2"]
    (1.0, True, 1.0)
    >>> s = prediction_scale([0.0, 4.0, 8.0], [0.0, 1.0, 2.0])  # the target in other units
    >>> round(s["r2"], 2), s["affine_r2"]
    (-21.5, 1.0)
    """
    p = np.asarray(predictions, dtype=np.float64).ravel()
    y = np.asarray(targets, dtype=np.float64).ravel()
    if p.shape != y.shape or p.size < 2:
        raise ValueError(f"predictions and targets: need two equal lengths >= 2, got {p.size} and {y.size}")
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - p) ** 2)) / total if total > 0 else float("nan")
    affine = float(np.corrcoef(p, y)[0, 1] ** 2) if total > 0 and np.ptp(p) > 0 else float("nan")
    return {"mean": float(p.mean()), "sd": float(p.std()), "target_mean": float(y.mean()),
            "target_sd": float(y.std()), "r2": r2, "affine_r2": affine}


def at_other_scale(scale: dict) -> bool:
    """Whether predictions sit at another scale than their target: R² below 0, and a straight line through them
    fitting the target to R² :data:`AFFINE_R2` or more, or a mean more than :data:`SHIFT_SDS` target SDs away, or
    a spread more than :data:`SPREAD_RATIO` times larger or smaller.

    Parameters
    ----------
    scale : dict
        ``mean``, ``sd``, ``target_mean``, ``target_sd`` and ``r2``, and ``affine_r2`` when known
        (:func:`prediction_scale`).

    Returns
    -------
    bool
        False too when the target is constant or the R² unknown (nothing to compare with), and when the
        predictions are (:func:`constant_output`: not a change of scale, review 39A).

    Examples
    --------
    >>> standardised = {"mean": 0.01, "sd": 0.9, "target_mean": 0.3, "target_sd": 0.06, "r2": -221.0}
    >>> at_other_scale(standardised), at_other_scale({**standardised, "r2": 0.4})
    (True, False)
    >>> near_unit = {"mean": 0.02, "sd": 0.79, "target_mean": 0.15, "target_sd": 0.25, "r2": -4.8}
    >>> at_other_scale({**near_unit, "affine_r2": 0.6}), at_other_scale({**near_unit, "affine_r2": 0.01})
    (True, False)
    >>> at_other_scale({"mean": 0.8, "sd": 0.0, "target_mean": 0.803, "target_sd": 0.094, "r2": -1e-3})
    False
    """
    r2, target_sd = scale.get("r2"), scale.get("target_sd")
    if r2 is None or not np.isfinite(r2) or r2 >= 0 or not target_sd or constant_output(scale):
        return False
    shifted = abs(scale["mean"] - scale["target_mean"]) > SHIFT_SDS * target_sd
    spread = scale["sd"] / target_sd
    affine = scale.get("affine_r2")
    follows = affine is not None and np.isfinite(affine) and affine >= AFFINE_R2
    return bool(follows or shifted or spread > SPREAD_RATIO or spread < 1 / SPREAD_RATIO)


def constant_output(scale: dict) -> bool:
    """Whether predictions are the same for every sample while their target varies: their SD at most
    :data:`CONSTANT_SD_RATIO` times the target's.

    Parameters
    ----------
    scale : dict
        ``sd`` and ``target_sd`` (:func:`prediction_scale`).

    Returns
    -------
    bool

    Examples
    --------
    >>> constant_output({"sd": 0.0, "target_sd": 0.094}), constant_output({"sd": 0.05, "target_sd": 0.094})
    (True, False)
    >>> constant_output({"sd": 0.0, "target_sd": 0.0})  # a constant target: nothing varies to compare with
    False
    """
    target_sd, sd = scale.get("target_sd"), scale.get("sd")
    return bool(target_sd and sd is not None and np.isfinite(sd) and sd <= CONSTANT_SD_RATIO * target_sd)


def constant_words(values: dict, *, where: str = "On the test set", teacher: str = "the teacher") -> str:
    """What a constant output means for distillation, naming the target column it stands for.

    Parameters
    ----------
    values : dict of (str or None) to float
        Each constant output's one value, by the target column it predicts (None: not known yet, as for one
        output and several columns).
    where : str, default="On the test set"
        Where it was seen, the sentence's start.
    teacher : str, default="the teacher"
        How the sentence names the network.

    Returns
    -------
    str

    Examples
    --------
    >>> constant_words({"sigma_8": 0.8})[:72]
    'On the test set, the teacher’s output for “sigma_8” is 0.8 for every sam'
    >>> constant_words({"a": 1.0, "b": 2.0}, teacher="this teacher")[:87]
    'On the test set, this teacher’s outputs for “a” and “b” are each the same for every sam'
    """
    named = [f"“{column}”" for column in values if column is not None]
    if len(values) == 1:
        value = next(iter(values.values()))
        said = f"{teacher}’s output{f' for {named[0]}' if named else ''} is {value:.4g} for every sample"
    else:
        listed = ", ".join(f"{column} {value:.4g}" for column, value in zip(named, values.values()))
        said = (f"{teacher}’s outputs for {', '.join(named[:-1])} and {named[-1]} are each the same for every "
                f"sample ({listed})")
    return (f"{where}, {said}. A constant output has no gradient with respect to the input: its attributions are "
            "all zero, so the grid points with γ > 0 have nothing to distil (they fit as γ = 0 does), and what a job "
            "delivers comes from the data alone, not from the network. Check that the network was trained for "
            f"{'these columns' if len(values) > 1 else 'this column' if named else 'its target'} and reads the data "
            "as AWD Studio gives it (raw values, in its input layout).")


def scale_words(predictions, targets, target_names, *, data_name: str = "the dataset") -> str | None:
    """The upload's warning when a teacher's predictions on a sample of the data are constant
    (:func:`constant_words`, naming the target columns of those outputs) or sit at another scale than the targets
    (:func:`at_other_scale`); None when neither.

    Parameters
    ----------
    predictions : ndarray of shape (m, n_outputs)
        The teacher's outputs on m raw samples.
    targets : ndarray of shape (m,) or (m, k)
        Those samples' targets. One output is compared with every column (a job may explain any) and warned
        about only when it fits none; one output per column, each with its own.
    target_names : sequence of str
        The k column names.
    data_name : str, default="the dataset"
        Named in the sentence.

    Returns
    -------
    str or None

    Examples
    --------
    >>> y = np.linspace(0.2, 0.4, 50)
    >>> scale_words(((y - 0.3) / 0.06)[:, None], y, ["Omega_m"])[:77]
    'On 50 samples of the dataset, this teacher predicts at another scale than the'
    >>> scale_words(y[:, None] + 0.001, y, ["Omega_m"]) is None
    True
    >>> scale_words(np.c_[y, np.full(50, 0.8)], np.c_[y, y + 0.5], ["Omega_m", "sigma_8"])[:80]
    'On 50 samples of the dataset, this teacher’s output for “sigma_8” is 0.8 for eve'
    """
    p = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64).reshape(len(p), -1)
    names = list(target_names)
    if p.ndim != 2 or len(names) != y.shape[1] or p.shape[1] not in (1, y.shape[1]):
        raise ValueError(f"predictions: expected (m, 1) or (m, {y.shape[1]}) for {y.shape[1]} target columns, "
                         f"got {p.shape}")
    pairs = [(0 if p.shape[1] == 1 else j, j) for j in range(y.shape[1])]
    scales = [(names[j], prediction_scale(p[:, out], y[:, j])) for out, j in pairs]
    flat = _constant_words(scales, one_output=p.shape[1] == 1, where=f"On {len(p)} samples of {data_name}")
    off = [(name, scale) for name, scale in scales if at_other_scale(scale)]
    if not off or (p.shape[1] == 1 and len(off) < len(scales)):  # one output: some column fits it
        return flat
    name, scale = max(off, key=lambda item: item[1]["r2"]) if p.shape[1] == 1 else off[0]
    which = (f"the target “{name}”:" if len(scales) == 1 else
             f"any target column (the closest, “{name}”:" if p.shape[1] == 1 else
             f"{len(off)} of the {len(scales)} target columns (“{name}”:")
    close = "" if len(scales) == 1 else ")"
    return ((f"{flat} " if flat else "")
            + f"On {len(p)} samples of {data_name}, this teacher predicts at another scale than {which} "
            f"{scale_numbers(scale)}{close}. {UNITS_REMEDY} A job with it runs, but nothing distilled from it is "
            "meaningful until its units match (Help, “The teacher”).")


def _constant_words(scales, *, one_output: bool, where: str) -> str | None:
    """:func:`constant_words` for the outputs of ``scales`` (``(column name, prediction_scale)`` pairs) that are
    constant, None when none is: one output for several columns names none (a job may explain any); with one
    output per column, each constant one's column is named."""
    flat = {name: scale["mean"] for name, scale in scales if constant_output(scale)}
    if not flat:
        return None
    if one_output and len(scales) > 1:
        flat = {None: next(iter(flat.values()))}
    return constant_words(flat, where=where, teacher="this teacher")


def scale_numbers(scale: dict) -> str:
    """The numbers behind :func:`at_other_scale`'s answer, in words (the upload's warning and the job's note).

    Examples
    --------
    >>> s = {"mean": 0.0225, "sd": 0.794, "target_mean": 0.15, "target_sd": 0.251, "r2": -4.777, "affine_r2": 0.76}
    >>> scale_numbers(s)
    'its predictions average 0.0225 (SD 0.794) where the target averages 0.15 (SD 0.251), R² -4.78; rescaled by a \
straight line, they would reach R² 0.76'
    >>> scale_numbers({**s, "affine_r2": 0.01}).endswith("R² -4.78")
    True
    """
    affine = scale.get("affine_r2")
    rescaled = (f"; rescaled by a straight line, they would reach R² {affine:.2f}"
                if affine is not None and np.isfinite(affine) and affine >= AFFINE_R2 else "")
    return (f"its predictions average {scale['mean']:.4g} (SD {scale['sd']:.3g}) where the target averages "
            f"{scale['target_mean']:.4g} (SD {scale['target_sd']:.3g}), R² {scale['r2']:.3g}{rescaled}")


def sample_rows(n: int, sample_size: int, size: int, *, budget: int = 2 ** 20, least: int = 16,
                seed: int = 0) -> np.ndarray:
    """Rows of a data set to run a teacher on for a quick check: at most ``sample_size``, fewer for large
    samples (about ``budget`` values in all, never fewer than ``least``), drawn without replacement and sorted.

    Parameters
    ----------
    n : int
        Rows of the data set.
    sample_size : int
        Most rows wanted.
    size : int
        Values per row (a series' length, a map's pixels).
    budget, least : int, default=2**20, 16
    seed : int, default=0

    Returns
    -------
    ndarray of int, sorted

    Examples
    --------
    >>> len(sample_rows(1000, 256, 40)), len(sample_rows(1000, 256, 512 * 512)), len(sample_rows(10, 256, 40))
    (256, 16, 10)
    """
    k = min(n, sample_size, max(least, budget // max(int(size), 1)))
    return np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))
