"""Explain one prediction of a finished result: what ``awd explain``, the worker's explanation task and the
"draw your own mask" endpoint call.

:class:`ExplainRequest` is the one definition of the settings (bounds, choices, defaults); the API's body
extends it. :func:`explain_example` runs the CartoonX mask (:func:`models.explain.explain`) and the pixel-mask
baseline on test example ``example`` of a result directory, with the result's teacher or its AWD series
student, and :func:`save_explanation` writes ``summary.json``, ``arrays.npz`` and the figure.
:func:`evaluate_drawn_mask` gives the teacher's expected output under a hand-drawn mask, and
:func:`check_drawn_mask` checks such a mask against the result without loading its teacher.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from awd_studio.models.explain import DEFAULTS, evaluate_mask, explain, write_explanation_figure
from awd_studio.models.explain.basis import pixel_layout, wavelet_layout
from awd_studio.models.explain.masks import coefficient_image, coefficient_image_boxes, mask_values
from awd_studio.models.explain.plots import mask_by_scale_1d
from awd_studio.models.files import atomic_write_bytes
from awd_studio.models.filters import lowpass_filter, orthogonal_wavelet_names
from awd_studio.models.options import Real, Whole
from awd_studio.models.pipeline.explain_inputs import explained_wavelet, load_explain_context, student_spec
from awd_studio.models.pipeline.workdir import write_npz
from awd_studio.models.validation import InputError

__all__ = ["ExplainRequest", "MaskRequest", "explain_example", "save_explanation", "explanation_id",
           "evaluate_drawn_mask", "check_drawn_mask", "explanation_payload", "explanation_reading", "MAX_STEPS",
           "LITTLE_MOVEMENT", "NOT_SPARSE"]

#: Upper bound of Adam steps of one explanation (the default, 200, takes seconds on one thread: bench/explain.py).
MAX_STEPS = 1000
#: Perturbations averaged over for a hand-drawn mask.
MASK_SAMPLES = 128
#: An explanation says little when replacing every coefficient by noise moves the prediction by less than this share
#: of the test targets' SD: the output hardly depends on the input's details (review 43A: a map's moved by 0.0099
#: against an SD of 0.057, and its mask kept 93 %).
LITTLE_MOVEMENT = 0.5
#: A mask keeping more than this share of the coefficients is not a sparse explanation.
NOT_SPARSE = 0.5


def _check_wavelet(value):
    if value is None or value in ("learned", "initial") or value in orthogonal_wavelet_names():  # None: a default
        return value
    try:
        lowpass_filter(value)  # says what is wrong: unknown (with the closest names), continuous, biorthogonal
    except ValueError as err:
        raise ValueError(f"{str(err).removeprefix('wave: ')}; or pass 'learned' or 'initial'") from None
    raise ValueError(f"wavelet {value!r} cannot be used here: pass 'learned', 'initial' or an orthogonal PyWavelets "
                     "name such as 'sym4', 'db4' or 'haar'")


class ExplainRequest(BaseModel):
    """Settings of one explanation of one test example of a result.

    Attributes
    ----------
    example : int >= 0
        Index into the result's test split.
    lam : float in [0, 10]
        Sparsity weight on the relative scale (``models.explain`` docs); 0.2 by default.
    wavelet : str
        ``"learned"`` (the result's AWD filter), ``"initial"`` (the wavelet it started from) or an orthogonal
        PyWavelets name such as ``"sym4"``.
    model : {"teacher", "student"}
        ``"student"``: the AWD series student (time series only).
    perturbation : {"gaussian", "zero", "uniform"}
    steps : int in [10, 1000]
    baseline : bool
        Also compute the pixel-mask baseline.
    """

    model_config = ConfigDict(extra="forbid")

    example: Whole = Field(0, ge=0, description="index of the test example")
    lam: Real = Field(DEFAULTS["lam"], ge=0.0, le=10.0, allow_inf_nan=False, description="sparsity weight")
    wavelet: str = Field("learned", description="learned, initial or an orthogonal PyWavelets name")
    model: Literal["teacher", "student"] = "teacher"
    perturbation: Literal["gaussian", "zero", "uniform"] = "gaussian"
    steps: Whole = Field(DEFAULTS["steps"], ge=10, le=MAX_STEPS, description="Adam steps")
    baseline: bool = True

    _known_wavelet = field_validator("wavelet")(_check_wavelet)


class MaskRequest(BaseModel):
    """A hand-drawn mask on test example ``example``: on the pixels (``space="pixel"``, x's shape) or on the
    wavelet coefficients (``space="wavelet"``: flat, or in 2D the coefficient picture)."""

    model_config = ConfigDict(extra="forbid")

    example: Whole = Field(0, ge=0)
    space: Literal["pixel", "wavelet"] = "pixel"
    wavelet: str = "learned"
    model: Literal["teacher", "student"] = Field("teacher", description="whose output to evaluate: the teacher, or "
                                                 "the AWD series student (time series only)")
    mask: list[Real] | list[list[Real]] = Field(..., min_length=1, max_length=4096,
                                                  description="values in [0, 1]: pixel, the example's shape (or "
                                                              "flat); wavelet, one value per coefficient (flat), "
                                                              "a series' list of bands or a map's coefficient "
                                                              "picture (rows)")

    _known_wavelet = field_validator("wavelet")(_check_wavelet)


def explanation_id(request: ExplainRequest) -> str:
    """A short stable name of the settings (the cache key of one explanation within one result)."""
    text = json.dumps(request.model_dump(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _example(ctx, example):
    if not 0 <= example < ctx.n_test:
        raise InputError("example", f"{example} is out of range: the test split has {ctx.n_test} examples",
                         f"pass 0..{ctx.n_test - 1}")
    return np.asarray(ctx.X_test[example], dtype=np.float32)


def _model(ctx, which):
    if which == "student":
        return ctx.student()
    return ctx.teacher(), ctx.target


def explain_example(result_dir, request, progress=None, should_stop=None):
    """Explain test example ``request.example`` of a result.

    Parameters
    ----------
    result_dir : path-like
        A result directory with ``.explain/`` (:mod:`models.pipeline.explain_inputs`).
    request : ExplainRequest or dict
    progress : callable, optional
        ``progress("explain", fraction, message)``; the fraction covers the wavelet mask and the baseline.
    should_stop : callable, optional
        True raises :class:`models.distill.Cancelled`.

    Returns
    -------
    (Explanation, Explanation or None, dict)
        The wavelet explanation, the pixel-mask baseline, and facts about the example (``y_true``, ``model``).
    """
    request = ExplainRequest.model_validate(request) if isinstance(request, dict) else request
    ctx = load_explain_context(result_dir)
    x = _example(ctx, request.example)
    model, target = _model(ctx, request.model)
    wavelet, level = ctx.wavelet(request.wavelet)
    share = 0.8 if request.baseline else 1.0

    def part(lo, hi, what):
        if progress is None:
            return None
        # each pass says what it optimises: the baseline's steps restart at 1 (review 8: "100/200" after "200/200")
        return lambda stage, fraction, message: progress("explain", lo + (hi - lo) * fraction, f"{what}: {message}")

    common = dict(lam=request.lam, target=target, perturbation=request.perturbation, steps=request.steps,
                  should_stop=should_stop)
    e = explain(model, x, wavelet=wavelet, level=level, mode=ctx.mode, progress=part(0.0, share, "wavelet mask"),
                **common)
    if not isinstance(wavelet, str):  # a filter from the result, which the basis calls "custom": name it
        e.settings["wavelet"] = f"{request.wavelet} wavelet"
    baseline = None
    if request.baseline:
        baseline = explain(model, x, space="pixel", progress=part(share, 1.0, "pixel-mask baseline"), **common)
    y_test = np.asarray(ctx.y_test, dtype=float).reshape(len(ctx.y_test), -1)
    column = y_test[:, min(ctx.target, y_test.shape[1] - 1)]  # the explained target over the test set
    facts = {"y_true": float(column[request.example]), "model": request.model, "kind": ctx.kind,
             "wavelet_name": request.wavelet, "n_test": ctx.n_test, "target_sd": float(np.std(column))}
    return e, baseline, facts


def explanation_payload(e, baseline, facts, request):
    """``(summary, arrays)``: the JSON numbers and the arrays of an explanation (what is saved and served)."""
    request = ExplainRequest.model_validate(request) if isinstance(request, dict) else request
    summary = {"request": request.model_dump(), **facts, "explanation": e.summary(),
               "baseline": None if baseline is None else baseline.summary()}
    summary["explanation"]["settings"].pop("filter", None)  # the filter is in arrays (and in the bundle)
    summary["reading"] = explanation_reading(summary["explanation"], facts.get("target_sd"))
    arrays = {f"wavelet_{k}": v for k, v in e.arrays().items()}
    if e.x.ndim == 2:
        arrays["wavelet_mask_image"] = coefficient_image(e.mask, e.layout)[0]
        summary["band_boxes"] = coefficient_image_boxes(e.layout)  # where each band sits in that picture
    else:
        arrays["wavelet_mask_image"] = mask_by_scale_1d(e)[0]
    summary["band_names"] = [b.name for b in e.layout.bands]
    if baseline is not None:
        arrays.update({f"baseline_{k}": v for k, v in baseline.arrays().items()})
    return summary, {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}


def explanation_reading(explanation: dict, target_sd: float | None) -> list[str]:
    """What an explanation cannot show, in sentences (none when it can): the prediction hardly moves when every
    coefficient is replaced by noise (less than :data:`LITTLE_MOVEMENT` times the test targets' SD), or the mask
    keeps more than :data:`NOT_SPARSE` of the coefficients.

    Parameters
    ----------
    explanation : dict
        :meth:`models.explain.results.Explanation.summary`: ``kept_fraction``, ``scale`` (the prediction's root
        mean square move with every coefficient replaced by noise, when ``settings["scale"]`` is ``"auto"``) and
        ``lam``.
    target_sd : float or None
        The standard deviation of the explained target over the result's test set, in the target's units.

    Returns
    -------
    list of str

    Examples
    --------
    >>> e = {"kept_fraction": 0.933, "scale": 0.0099, "lam": 0.2, "settings": {"scale": "auto"}}
    >>> for sentence in explanation_reading(e, 0.057):  # doctest: +NORMALIZE_WHITESPACE
    ...     print(sentence)
    This explanation says little: replacing every coefficient by noise moves the prediction by 0.0099, 0.17 times
    the test targets' SD (0.057); the model's output hardly depends on this input's details, so what the mask keeps
    matters little to it.
    The mask kept 93.3 % of the coefficients: not a sparse explanation. A larger λ (now 0.2) keeps fewer.
    >>> explanation_reading({"kept_fraction": 0.08, "scale": 0.05, "settings": {"scale": "auto"}}, 0.057)
    []
    """
    out = []
    scale = explanation.get("scale") if (explanation.get("settings") or {}).get("scale") == "auto" else None
    if isinstance(scale, int | float) and target_sd and scale < LITTLE_MOVEMENT * target_sd:
        out.append(f"This explanation says little: replacing every coefficient by noise moves the prediction by "
                   f"{scale:.2g}, {scale / target_sd:.2g} times the test targets' SD ({target_sd:.2g}); the "
                   "model's output hardly depends on this input's details, so what the mask keeps matters little to "
                   "it.")
    kept = explanation.get("kept_fraction")
    if isinstance(kept, int | float) and kept > NOT_SPARSE:
        lam = explanation.get("lam")
        out.append(f"The mask kept {100 * kept:.1f} % of the coefficients: not a sparse explanation. A larger λ"
                   + (f" (now {lam:.2g})" if isinstance(lam, int | float) else "") + " keeps fewer.")
    return out


def save_explanation(out_dir, e, baseline, facts, request, *, figure=True):
    """Write ``summary.json``, ``arrays.npz`` (no object arrays), ``explanation.png`` and ``explanation.svg`` into
    ``out_dir``.

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, arrays = explanation_payload(e, baseline, facts, request)
    write_npz(out_dir / "arrays.npz", **arrays)
    written = [out_dir / "arrays.npz"]
    if figure:
        title = (f"{facts['model']} on test example {summary['request']['example']} (y = {facts['y_true']:.3g}), "
                 f"wavelet {facts['wavelet_name']}, lambda = {e.lam:g}")
        written += write_explanation_figure(e, out_dir, baseline, title=title, formats=("png", "svg"))
    atomic_write_bytes(out_dir / "summary.json", json.dumps(summary, indent=1, allow_nan=False).encode())
    return written + [out_dir / "summary.json"]


def evaluate_drawn_mask(result_dir, request):
    """The expected output of the teacher (or the series student: ``request.model``) on test example
    ``request.example`` under a hand-drawn mask.

    Returns
    -------
    dict
        ``model``, ``prediction`` (full input), ``mean`` and ``sd`` (over :data:`MASK_SAMPLES` perturbed inputs),
        ``cartoon_prediction``, ``kept_fraction``, ``distortion``.
    """
    request = MaskRequest.model_validate(request) if isinstance(request, dict) else request
    ctx = load_explain_context(result_dir)
    x = _example(ctx, request.example)
    wavelet, level = ctx.wavelet(request.wavelet)
    model, target = _model(ctx, request.model)
    ev = evaluate_mask(model, x, request.mask, target=target, space=request.space, wavelet=wavelet,
                       level=level, mode=ctx.mode, n_samples=MASK_SAMPLES)
    return {"model": request.model, "prediction": ev.prediction, "mean": ev.mean, "sd": ev.sd,
            "cartoon_prediction": ev.cartoon_prediction, "kept_fraction": ev.kept_fraction,
            "distortion": ev.distortion, "n_samples": MASK_SAMPLES}


def check_drawn_mask(meta, request):
    """Refuse a hand-drawn mask that cannot be evaluated on a result, from its ``.explain/inputs.json`` alone.

    The checks of :func:`evaluate_drawn_mask` that need no weights and no transform: the mask's shape against the
    example's (``space="pixel"``) or the coefficient layout of the chosen wavelet (``space="wavelet"``), its
    values (numbers, finite, in ``[0, 1]``), and the series student on a result of maps. Cheap enough for the web
    process, which answers a bad mask at once instead of after a worker's turn; the worker checks again.

    Parameters
    ----------
    meta : dict
        The result's ``inputs.json`` (:func:`models.pipeline.explain_inputs.read_explain_meta`).
    request : MaskRequest or dict

    Raises
    ------
    InputError
        ``mask``, ``model`` or ``wavelet``, with the fix.
    """
    request = MaskRequest.model_validate(request) if isinstance(request, dict) else request
    if request.model == "student":
        student_spec(meta)
    mask_values(request.mask, _mask_layout(meta, request))


def _mask_layout(meta, request):
    """The layout a request's mask lives on: the example's pixels, or the chosen wavelet's coefficients."""
    shape = tuple(meta["shape"])
    if request.space == "pixel":
        return pixel_layout(shape)
    wavelet, level = explained_wavelet(meta, request.wavelet)
    return wavelet_layout(shape, wavelet, level, meta["mode"])
