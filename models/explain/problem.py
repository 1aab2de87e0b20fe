"""One explanation problem: the arguments checked, the model's score, and the mask's Monte-Carlo evaluation.

:func:`_setup` turns the user's model, input and choices into a :class:`_Problem` (the checked input on the
model's device and dtype, its basis and coefficients, each band's statistics, the explained score and its
value on ``x``); every error names the argument. :func:`_evaluate` measures a fixed mask on fresh
perturbations, and :func:`_resolve_scale` gives the divisor of the distortion: with ``scale="auto"`` it is
``sqrt(D0)``, ``D0`` the expected distortion of the all-zero mask (every coefficient replaced by noise), so the
relative distortion is 0 for ``m = 1`` and about 1 for ``m = 0`` whatever the units of the target, and one
``lam`` means the same for every teacher. The argument vocabularies and :data:`DEFAULTS` are defined here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from awd_studio.models.explain.basis import Basis, _numpy, analyze, make_basis, pixel_basis, synthesize
from awd_studio.models.explain.objective import PERTURBATIONS, band_statistics, perturb, sample_perturbations
from awd_studio.models.explain.results import MaskEvaluation
from awd_studio.models.validation import InputError, dimensions_words

__all__ = ["TASKS", "SPACES", "DEFAULTS"]

#: ``"regression"``: the distortion is on the chosen output. ``"classification"``: on the softmax
#: probability of the chosen class (the model returns logits).
TASKS = ("regression", "classification")

#: Where the mask lives: the wavelet coefficients (CartoonX) or the samples/pixels (baseline).
SPACES = ("wavelet", "pixel")

#: Defaults of :func:`explain`, from ``python bench/explain.py --defaults`` on the acceptance problems of
#: the tests (:mod:`models.explain.synthetic`: 32 x 32 blob maps with a small CNN, 64-sample burst series with
#: the MLP teacher; lam in {0.05, 0.2, 1}). ``lr = 0.05``: Adam moves every entry by about ``lr`` per step, so
#: a dropped coefficient reaches 0 in about 20 steps; after 100 steps the objective was within 0.0001 of its
#: 400-step value in all six cases, while ``lr = 0.02`` was still 10 to 40 % above it at 50 steps and
#: ``lr = 0.1`` ended slightly noisier. ``steps = 200``: twice what that needed. ``n_samples = 16``
#: perturbations per step: 4 gave an 8 % higher objective on the maps and a lower IoU with the known support
#: (0.85 against 0.91), 32 the same objective as 16 at twice the cost. ``lam = 0.2`` on the relative scale
#: kept 1 % of the coefficients of the maps and 13 % of the series' at a relative distortion of 0.001 and 0.01.
#: ``n_eval = 128`` perturbations for the final numbers and the scale ``D0``.
DEFAULTS = {"lam": 0.2, "steps": 200, "lr": 0.05, "n_samples": 16, "n_eval": 128}

_MIN_SIZE = 4  # smallest accepted length of an axis of x


def _model_place(model):
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.device, t.dtype
    return None, None


def _check_x(x, device, dtype):
    """x as a tensor (shape (L,) or (H, W)) on the model's device and dtype."""
    if x is None:
        raise InputError("x", "is missing", "pass one series (L,) or one map (H, W)")
    if isinstance(x, torch.Tensor):
        if device is None:
            device = x.device
        t = x.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        except (TypeError, ValueError):
            raise InputError("x", f"cannot be read as an array of numbers ({type(x).__name__})",
                             "pass one series (L,) or one map (H, W)") from None
    if t.is_complex() or not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64, torch.bool)):
        raise InputError("x", f"has unsupported dtype {t.dtype}", "pass real numbers")
    if t.ndim not in (1, 2):
        raise InputError("x", f"has {dimensions_words(t.ndim)}, shape {tuple(t.shape)}",
                         "pass ONE series shaped (L,) or ONE map shaped (H, W), without a batch axis")
    if t.ndim == 2 and 1 in t.shape:
        raise InputError("x", f"has shape {tuple(t.shape)}", "pass a single series as (L,), not (1, L)")
    if min(t.shape) < _MIN_SIZE:
        raise InputError("x", f"has shape {tuple(t.shape)}, an axis shorter than {_MIN_SIZE}",
                         f"pass signals of at least {_MIN_SIZE} samples per axis")
    if not bool(torch.isfinite(t).all()):
        n_bad = int((~torch.isfinite(t)).sum())
        raise InputError("x", f"contains {n_bad} NaN or infinite values", "pass a finite input")
    if dtype is None:
        dtype = t.dtype if isinstance(x, torch.Tensor) and t.is_floating_point() else torch.float32
    return t.to(device=device or "cpu", dtype=dtype)


def _check_choice(value, field, options):
    if value not in options:
        raise InputError(field, f"unknown value {value!r}", f"use one of {', '.join(options)}")
    return value


def _check_number(value, field, *, low=None, integer=False, strict=False):
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer) if integer else (int, float, np.number))
    if ok:
        value = int(value) if integer else float(value)
        ok = math.isfinite(value) and (low is None or (value > low if strict else value >= low))
    if not ok:
        bound = "" if low is None else f" {'>' if strict else '>='} {low}"
        raise InputError(field, f"must be a finite {'integer' if integer else 'number'}{bound}, got {value!r}",
                         f"pass e.g. {DEFAULTS.get(field, 1)}")
    return value


def _scorer(model, target, task):
    """``score(batch (n, *shape)) -> (n,)``: the chosen output, or the chosen class's probability."""

    def score(z):
        out = model(z)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != z.shape[0]:
            raise InputError("model", f"returned shape {tuple(out.shape)} for a batch of {z.shape[0]}",
                             "the model must map (B, *x.shape) to (B, k) or (B,)")
        if not -out.shape[1] <= target < out.shape[1]:
            raise InputError("target", f"{target} is out of range for a model with {out.shape[1]} outputs",
                             f"pass 0..{out.shape[1] - 1}")
        if task == "classification":
            return torch.softmax(out, dim=1)[:, target]
        return out[:, target]

    return score


class _EvalMode:
    """Put a module in evaluation mode for a block and restore its flag afterwards."""

    def __init__(self, model):
        self.model, self.was = model, getattr(model, "training", False)

    def __enter__(self):
        if isinstance(self.model, torch.nn.Module):
            self.model.eval()
        return self.model

    def __exit__(self, *exc):
        if isinstance(self.model, torch.nn.Module):
            self.model.train(self.was)


@dataclass
class _Problem:
    basis: Basis
    x: torch.Tensor
    coeffs: torch.Tensor
    stats: dict
    score: object
    reference: torch.Tensor
    perturbation: str


def _setup(model, x, *, space, wavelet, level, mode, target, task, perturbation):
    if not callable(model):
        raise InputError("model", f"is not callable ({type(model).__name__})",
                         "pass a torch module mapping (B, *x.shape) to (B, k)")
    _check_choice(space, "space", SPACES)
    _check_choice(task, "task", TASKS)
    _check_choice(perturbation, "perturbation", PERTURBATIONS)
    _check_number(target, "target", integer=True)
    device, dtype = _model_place(model) if isinstance(model, torch.nn.Module) else (None, None)
    xt = _check_x(x, device, dtype)
    shape = tuple(xt.shape)
    if space == "pixel":
        basis = pixel_basis(shape, dtype=xt.dtype, device=xt.device)
    else:
        basis = make_basis(shape, wavelet, level, mode, dtype=xt.dtype, device=xt.device)
    score = _scorer(model, int(target), task)
    with torch.no_grad():
        coeffs = analyze(basis, xt[None])[0]
        try:
            reference = score(xt[None])[0]
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a user model on a well-formed input
            raise InputError("model", f"fails on x of shape {shape}: {type(exc).__name__}: {exc}",
                             "pass a model that takes a batch (B, *x.shape)") from None
    if not bool(torch.isfinite(reference)):
        raise InputError("model", "returns a non-finite output on x", "check the model and the input")
    return _Problem(basis, xt, coeffs, band_statistics(coeffs, basis.layout), score, reference, perturbation)


def _generator(device, seed):
    return torch.Generator(device=device).manual_seed(int(seed))


def _noise(problem, n, generator):
    return sample_perturbations(problem.stats, problem.basis.layout, n, problem.perturbation, generator)


def _outputs(problem, mask, n, generator, batch=64):
    """Scores of n perturbed inputs under a fixed mask (no gradients), Tensor (n,)."""
    out = []
    with torch.no_grad():
        for start in range(0, n, batch):
            noise = _noise(problem, min(batch, n - start), generator)
            out.append(problem.score(synthesize(problem.basis, perturb(mask, problem.coeffs, noise))))
    return torch.cat(out)


def _auto_scale(problem, n_eval, seed):
    """sqrt of the expected distortion of the all-zero mask (1.0 when the model ignores the input)."""
    zero = torch.zeros_like(problem.coeffs)
    d0 = float(((_outputs(problem, zero, n_eval, _generator(problem.x.device, seed + 1)) - problem.reference)
                ** 2).mean())
    floor = 1e-12 * max(1.0, float(problem.reference) ** 2)
    return math.sqrt(d0) if d0 > floor else 1.0


def _resolve_scale(problem, scale, n_eval, seed):
    if isinstance(scale, str):
        if scale != "auto":
            raise InputError("scale", f"unknown value {scale!r}", "pass 'auto', None or a positive number")
        return _auto_scale(problem, n_eval, seed)
    if scale is None:
        return 1.0
    return _check_number(scale, "scale", low=0.0, strict=True)



def _evaluate(problem, mask, n_samples, seed):
    """Numbers of a fixed mask: expected score, distortion, cartoon (MaskEvaluation)."""
    outputs = _outputs(problem, mask, n_samples, _generator(problem.x.device, seed + 2))
    with torch.no_grad():
        cartoon = synthesize(problem.basis, (mask * problem.coeffs)[None])
        cartoon_prediction = float(problem.score(cartoon)[0])
    out = _numpy(outputs)
    m = _numpy(mask)
    prediction = float(problem.reference)
    return MaskEvaluation(mean=float(out.mean()), sd=float(out.std(ddof=1)), outputs=out, prediction=prediction,
                          cartoon=_numpy(cartoon[0]), cartoon_prediction=cartoon_prediction,
                          distortion=float(((out - prediction) ** 2).mean()),
                          kept_fraction=float((m >= 0.5).mean()), l1_fraction=float(np.abs(m).mean()))
