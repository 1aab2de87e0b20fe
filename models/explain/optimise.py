"""Find the mask: :func:`explain` for one ``lam``, :func:`lambda_path` for several.

The mask starts from ``m = 1`` (everything kept); each Adam step draws a fresh Monte-Carlo batch of
``n_samples`` perturbations, follows the gradient of :func:`models.explain.objective.mask_objective`, and
clamps ``m`` to ``[0, 1]``. The final numbers are re-estimated on ``n_eval`` fresh perturbations. Along a
λ path the scale of the distortion is computed once and shared, so the relative distortions are comparable.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from awd_studio.models.distill import Cancelled
from awd_studio.models.explain.basis import _numpy, synthesize
from awd_studio.models.explain.objective import mask_objective
from awd_studio.models.explain.problem import (
    DEFAULTS,
    _auto_scale,
    _check_number,
    _EvalMode,
    _evaluate,
    _generator,
    _noise,
    _resolve_scale,
    _setup,
)
from awd_studio.models.explain.results import Explanation, LambdaPath, _band_table
from awd_studio.models.optim import StackedAdam
from awd_studio.models.validation import InputError

__all__ = ["explain", "lambda_path"]


def explain(model, x, *, lam=DEFAULTS["lam"], target=0, task="regression", space="wavelet", wavelet="sym4",
            level=None, mode="periodization", perturbation="gaussian", steps=DEFAULTS["steps"],
            lr=DEFAULTS["lr"], n_samples=DEFAULTS["n_samples"], n_eval=DEFAULTS["n_eval"], scale="auto",
            seed=0, progress=None, should_stop=None):
    """Find a sparse mask on the wavelet coefficients (or pixels) of one input that keeps the model's output.

    Parameters
    ----------
    model : torch.nn.Module or callable
        Maps ``(B, *x.shape)`` to ``(B, k)`` or ``(B,)``; run in evaluation mode (its flag is restored), on its
        own device and dtype. Must be differentiable with respect to its input.
    x : array-like or Tensor of shape (L,) or (H, W)
        The input to explain, in the model's raw units.
    lam : float, default=0.2
        Weight of ``||m||_1 / M``; larger keeps fewer coefficients. On the relative scale (``scale="auto"``),
        useful values lie in ``(0, 1)``.
    target : int, default=0
        Explained output (regression) or class (classification).
    task : {"regression", "classification"}, default="regression"
        ``"classification"``: the distortion is on the softmax probability of class ``target``.
    space : {"wavelet", "pixel"}, default="wavelet"
        ``"pixel"`` is the pixel-mask baseline (``wavelet``, ``level``, ``mode`` are then ignored).
    wavelet : str or array-like of shape (N,), default="sym4"
        Orthogonal PyWavelets name, or a lowpass filter ``h`` such as a learned AWD filter.
    level : int or None, default=None
        Levels ``J`` (:func:`default_level` when None).
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    perturbation : {"gaussian", "zero", "uniform"}, default="gaussian"
        Distribution of the replaced coefficients (:func:`sample_perturbations`).
    steps : int, default=200
        Adam steps.
    lr : float, default=0.05
        Adam step size (mask units per step).
    n_samples : int, default=16
        Perturbations per step.
    n_eval : int, default=128
        Perturbations for the scale ``D0`` and the final numbers.
    scale : "auto", None or float, default="auto"
        Divisor of the distortion (see the module docstring).
    seed : int, default=0
        Seeds every draw; with the same seed, model and device the result is reproducible.
    progress : callable, optional
        ``progress("explain", fraction, message)`` about 20 times.
    should_stop : callable, optional
        Polled every step; True raises :class:`models.distill.Cancelled`.

    Returns
    -------
    Explanation

    Raises
    ------
    InputError
        A bad argument; the message names it (``x``, ``model``, ``target``, ``lam``, ``wavelet``...).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(16, 1))
    >>> e = explain(net, np.sin(np.arange(16.0)), wavelet="haar", steps=5, n_eval=8)
    >>> e.mask.shape, e.cartoon.shape, 0 <= e.kept_fraction <= 1
    ((16,), (16,), True)
    """
    lam = _check_number(lam, "lam", low=0.0)
    steps = _check_number(steps, "steps", low=1, integer=True)
    lr = _check_number(lr, "lr", low=0.0, strict=True)
    n_samples = _check_number(n_samples, "n_samples", low=1, integer=True)
    n_eval = _check_number(n_eval, "n_eval", low=2, integer=True)
    seed = _check_number(seed, "seed", low=0, integer=True)
    with _EvalMode(model):
        problem = _setup(model, x, space=space, wavelet=wavelet, level=level, mode=mode, target=target,
                         task=task, perturbation=perturbation)
        scale_value = _resolve_scale(problem, scale, n_eval, seed)
        mask, history = _optimise(problem, lam, steps, lr, n_samples, scale_value, seed, progress, should_stop)
        result = _evaluate(problem, mask, n_eval, seed)
    basis = problem.basis
    m = _numpy(mask)
    settings = {"lam": lam, "target": int(target), "task": task, "space": space,
                "wavelet": basis.wavelet if basis.kind == "wavelet" else None,
                "filter": None if basis.h is None else _numpy(basis.h).tolist(),
                "level": basis.level, "mode": basis.mode, "perturbation": perturbation, "steps": steps, "lr": lr,
                "n_samples": n_samples, "n_eval": n_eval, "scale": scale if isinstance(scale, str) or scale is None
                else float(scale), "seed": seed}
    return Explanation(
        space=space, mask=m, mask_coeffs=basis.layout.split(m), bands=_band_table(m, basis.layout),
        cartoon=result.cartoon, x=_numpy(problem.x), prediction=result.prediction,
        cartoon_prediction=result.cartoon_prediction, expected_prediction=result.mean,
        expected_prediction_sd=result.sd, distortion=result.distortion,
        relative_distortion=result.distortion / scale_value ** 2, scale=scale_value,
        kept_fraction=result.kept_fraction, l1_fraction=result.l1_fraction, lam=lam, history=history,
        settings=settings, layout=basis.layout, coeffs=_numpy(problem.coeffs), basis=basis)


def _optimise(problem, lam, steps, lr, n_samples, scale, seed, progress, should_stop):
    """Adam on the mask from all ones, clamped to [0, 1] after each step; returns (mask, history)."""
    mask = torch.ones_like(problem.coeffs, requires_grad=True)
    opt = StackedAdam([mask], lr=lr)
    gen = _generator(problem.x.device, seed)
    hist = np.zeros((3, steps))
    report_every = max(1, steps // 20)
    for step in range(steps):
        if should_stop is not None and should_stop():
            raise Cancelled(f"explanation stopped after {step} of {steps} steps")
        noise = _noise(problem, n_samples, gen)
        loss, dist, l1 = mask_objective(mask, problem.coeffs, noise, lambda z: synthesize(problem.basis, z),
                                        problem.score, problem.reference, lam, scale)
        (mask.grad,) = torch.autograd.grad(loss, mask)
        opt.step()
        with torch.no_grad():
            mask.clamp_(0.0, 1.0)
        hist[:, step] = (float(loss.detach()), float(dist.detach()), float(l1.detach()))
        if progress is not None and ((step + 1) % report_every == 0 or step + 1 == steps):
            progress("explain", (step + 1) / steps,
                     f"step {step + 1}/{steps}: distortion {hist[1, step]:.3g}, L1 {hist[2, step]:.3f}")
    return mask.detach(), {"loss": hist[0], "distortion": hist[1], "l1": hist[2]}



def lambda_path(model, x, lambdas, **kwargs):
    """Explanations of one input for several ``lam``: the curves of distortion and sparsity against ``lam``.

    Every explanation starts from the all-ones mask with the same seed; the scale of the distortion is
    computed once (``scale="auto"``) and shared, so the relative distortions are comparable.

    Parameters
    ----------
    model, x : as in :func:`explain`
    lambdas : sequence of float
        Non-negative, at least one.
    **kwargs
        Passed to :func:`explain` (not ``lam``).

    Returns
    -------
    LambdaPath
    """
    try:
        lams = [float(v) for v in lambdas]
    except (TypeError, ValueError):
        raise InputError("lambdas", f"must be a sequence of numbers, got {lambdas!r}",
                         "pass e.g. [0.05, 0.1, 0.2, 0.4]") from None
    if not lams or not all(math.isfinite(v) and v >= 0 for v in lams):
        raise InputError("lambdas", f"must be non-negative finite numbers, at least one, got {lams}",
                         "pass e.g. [0.05, 0.1, 0.2, 0.4]")
    if "lam" in kwargs:
        raise InputError("lam", "is set by lambdas in lambda_path", "leave lam out")
    scale = kwargs.pop("scale", "auto")
    if isinstance(scale, str) and scale == "auto":
        n_eval = _check_number(kwargs.get("n_eval", DEFAULTS["n_eval"]), "n_eval", low=2, integer=True)
        seed = _check_number(kwargs.get("seed", 0), "seed", low=0, integer=True)
        setup_keys = ("space", "wavelet", "level", "mode", "target", "task", "perturbation")
        setup = {k: kwargs[k] for k in setup_keys if k in kwargs}
        defaults = {"space": "wavelet", "wavelet": "sym4", "level": None, "mode": "periodization", "target": 0,
                    "task": "regression", "perturbation": "gaussian"}
        with _EvalMode(model):
            problem = _setup(model, x, **{**defaults, **setup})
            scale = _auto_scale(problem, n_eval, seed)
    explanations = [explain(model, x, lam=v, scale=scale, **kwargs) for v in lams]
    return LambdaPath(
        lambdas=np.array(lams),
        distortion=np.array([e.distortion for e in explanations]),
        relative_distortion=np.array([e.relative_distortion for e in explanations]),
        kept_fraction=np.array([e.kept_fraction for e in explanations]),
        l1_fraction=np.array([e.l1_fraction for e in explanations]),
        scale=float(explanations[0].scale),
        explanations=explanations,
    )
