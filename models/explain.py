"""Explain one prediction: a sparse mask on the wavelet coefficients of one input (CartoonX).

CartoonX (Kolek et al., ECCV 2022) asks which wavelet coefficients of *one* input ``x`` a model needs to keep
its output. A mask ``m`` in ``[0, 1]^M`` over the ``M`` coefficients ``c = Psi x`` keeps ``m * c`` and
replaces the rest by random perturbations ``xi``; the mask minimises

    ``E_xi [ (s(x) - s(Psi^-1 (m * c + (1 - m) * xi)))^2 ] / scale^2  +  lam * ||m||_1 / M``

where ``s`` is the explained score (one regression output, or the softmax probability of one class for a
classifier). The optimisation starts from ``m = 1`` (everything kept), takes Adam steps on a fresh Monte-Carlo
batch of ``n_samples`` perturbations per step, and clamps ``m`` to ``[0, 1]`` after every step. The
explanation shown to people is the *cartoon* ``Psi^-1 (m * c)``: the input with the dropped coefficients set
to zero.

Conventions
-----------
Inputs
    One series of shape ``(L,)`` or one map of shape ``(H, W)``. The model maps a batch ``(B, *x.shape)`` to
    ``(B, k)`` (or ``(B,)``); it is run in evaluation mode and on its own device and dtype (``x`` is moved
    there). Only the mask receives gradients; the model's parameters are not touched.
Transform
    The project's differentiable DWT (:mod:`models.wavelets`) with any orthogonal PyWavelets wavelet, or an
    explicit lowpass filter ``h`` (``rec_lo`` convention), e.g. the learned AWD wavelet of a result. Modes
    ``"periodization"`` (default; orthonormal, ``M = L`` for dyadic sizes), ``"zero"``, ``"symmetric"``
    (redundant: ``M > L``). The flat coefficient vector is PyWavelets' order: 1D ``[cA_J, cD_J, ..., cD_1]``,
    2D ``[cA_J, cH_J, cV_J, cD_J, ..., cH_1, cV_1, cD_1]``, each 2D band flattened row-major.
Pixel baseline
    ``space="pixel"`` puts the mask on the samples/pixels themselves (``Psi`` = identity, one band), with the
    same objective and perturbations: the "pixel RDE" baseline of the paper.
Scale of the distortion
    ``scale="auto"`` (default) divides the distortion by ``D0``, the expected distortion of the all-zero mask
    (every coefficient replaced by noise), estimated once with ``n_eval`` perturbations. The relative
    distortion is then 0 for ``m = 1`` and about 1 for ``m = 0``, whatever the units of the target, so one
    ``lam`` means the same for every teacher: ``lam = 0.2`` accepts losing 20 % of ``D0`` to drop every
    coefficient. ``scale=None`` uses the raw squared output (the paper's objective); a number divides by its
    square.
Reported numbers
    ``distortion`` is the expected distortion in squared output units and ``relative_distortion`` the same
    divided by ``scale**2``, both re-estimated after the optimisation on ``n_eval`` fresh perturbations.
    ``kept_fraction`` is the share of mask entries ``>= 0.5``; ``l1_fraction`` is ``||m||_1 / M``.

Defaults: :data:`DEFAULTS` (with the measurements behind them), :func:`default_level`, and the wavelet
``"sym4"`` (short, smooth, nearly symmetric atoms; any orthogonal name or filter can be passed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from models import wavelets as _wavelets
from models.filters import lowpass_filter
from models.optim import StackedAdam
from models.validation import InputError

__all__ = [
    "DEFAULTS",
    "PERTURBATIONS",
    "TASKS",
    "SPACES",
    "Band",
    "Layout",
    "Basis",
    "Explanation",
    "LambdaPath",
    "MaskEvaluation",
    "default_level",
    "make_basis",
    "pixel_basis",
    "analyze",
    "synthesize",
    "band_statistics",
    "sample_perturbations",
    "perturb",
    "mask_objective",
    "explain",
    "lambda_path",
    "evaluate_mask",
    "coefficient_image",
    "energy_fraction",
    "cartoon_support",
    "energy_map",
    "mask_support",
    "iou",
]

#: Kinds of perturbation ``xi`` of the dropped coefficients: each band's own mean and SD (Gaussian), zero,
#: or uniform over each band's range ``[min, max]``.
PERTURBATIONS = ("gaussian", "zero", "uniform")

#: ``"regression"``: the distortion is on the chosen output. ``"classification"``: on the softmax
#: probability of the chosen class (the model returns logits).
TASKS = ("regression", "classification")

#: Where the mask lives: the wavelet coefficients (CartoonX) or the samples/pixels (baseline).
SPACES = ("wavelet", "pixel")

#: Defaults of :func:`explain`, from ``python bench/explain.py --defaults`` on the acceptance problems of
#: the tests (:mod:`models.explain_synthetic`: 32 x 32 blob maps with a small CNN, 64-sample burst series with
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


# ----------------------------------------------------------------------------------------------------------
# coefficient layout


@dataclass(frozen=True)
class Band:
    """One band of the flat coefficient vector.

    Attributes
    ----------
    name : str
        ``"cA4"``, ``"cD3"`` (1D), ``"cH2"``, ``"cV2"``, ``"cD2"`` (2D) or ``"pixels"``.
    level : int
        Decomposition level ``j`` (``J`` for the approximation), 0 for pixels.
    start : int
        Offset of the band in the flat vector.
    shape : tuple of int
        ``(n_j,)`` in 1D, ``(h_j, w_j)`` in 2D, ``x.shape`` for pixels.
    """

    name: str
    level: int
    start: int
    shape: tuple

    @property
    def size(self):
        """int: number of coefficients."""
        return int(np.prod(self.shape))

    @property
    def stop(self):
        """int: end offset (exclusive) in the flat vector."""
        return self.start + self.size


@dataclass(frozen=True)
class Layout:
    """How a flat vector of ``M`` coefficients splits into bands.

    Attributes
    ----------
    signal_shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    bands : tuple of Band
        In PyWavelets' order (see the module docstring); one band ``"pixels"`` for the pixel baseline.
    kind : {"wavelet", "pixel"}
    """

    signal_shape: tuple
    bands: tuple
    kind: str = "wavelet"

    @property
    def size(self):
        """int: ``M``, the number of coefficients."""
        return self.bands[-1].stop

    def band_index(self):
        """Band number of every coefficient, ndarray of shape (M,), int64."""
        return np.repeat(np.arange(len(self.bands)), [b.size for b in self.bands])

    def split(self, flat):
        """Flat ``(..., M)`` values (numpy or torch) -> PyWavelets layout.

        Returns
        -------
        list
            1D ``[cA_J, cD_J, ..., cD_1]``, each ``(..., n_j)``; 2D ``[cA_J, (cH_J, cV_J, cD_J), ...]``, each
            ``(..., h_j, w_j)``; pixel layout: one array ``(..., *signal_shape)``.
        """
        lead = tuple(flat.shape[:-1])
        parts = [flat[..., b.start:b.stop].reshape(lead + tuple(b.shape)) for b in self.bands]
        if self.kind == "pixel":
            return parts[0]
        if len(self.signal_shape) == 1:
            return parts
        return [parts[0]] + [tuple(parts[i:i + 3]) for i in range(1, len(parts), 3)]

    def flatten(self, coeffs):
        """Inverse of :meth:`split`: PyWavelets layout -> flat ``(..., M)`` (numpy or torch)."""
        if self.kind == "pixel":
            arrays = [coeffs]
        else:
            arrays = []
            for c in coeffs:
                arrays.extend(c if isinstance(c, (list, tuple)) else [c])
        if len(arrays) != len(self.bands):
            raise InputError("mask", f"has {len(arrays)} bands, the transform has {len(self.bands)}",
                             "pass the coefficient layout of the transform (or a flat vector)")
        flat = []
        for a, b in zip(arrays, self.bands):
            if tuple(a.shape[-len(b.shape):]) != tuple(b.shape):
                raise InputError("mask", f"band {b.name} has shape {tuple(a.shape)}, expected {b.shape}",
                                 "pass the coefficient layout of the transform (or a flat vector)")
            flat.append(a.reshape(tuple(a.shape[:a.ndim - len(b.shape)]) + (-1,)))
        if isinstance(flat[0], torch.Tensor):
            return torch.cat(flat, dim=-1)
        return np.concatenate(flat, axis=-1)


def _wavelet_layout(shape, filter_len, level, mode):
    lengths = [_wavelets.coeff_lengths(n, filter_len, level, mode) for n in shape]
    bands, start = [], 0

    def add(name, lev, band_shape):
        nonlocal start
        bands.append(Band(name, lev, start, tuple(int(s) for s in band_shape)))
        start += bands[-1].size

    if len(shape) == 1:
        add(f"cA{level}", level, (lengths[0][0],))
        for i in range(1, level + 1):
            add(f"cD{level - i + 1}", level - i + 1, (lengths[0][i],))
    else:
        add(f"cA{level}", level, (lengths[0][0], lengths[1][0]))
        for i in range(1, level + 1):
            for orient in "HVD":
                add(f"c{orient}{level - i + 1}", level - i + 1, (lengths[0][i], lengths[1][i]))
    return Layout(tuple(shape), tuple(bands), "wavelet")


# ----------------------------------------------------------------------------------------------------------
# the transform the mask lives on


@dataclass(frozen=True, eq=False)
class Basis:
    """The analysis/synthesis pair of one explanation (built by :func:`make_basis` or :func:`pixel_basis`).

    Attributes
    ----------
    layout : Layout
    wavelet : str
        PyWavelets name, ``"custom"`` for an explicit filter, ``"pixels"`` for the baseline.
    h : Tensor of shape (N,) or None
        Lowpass filter (``rec_lo`` convention), on the explanation's device and dtype.
    level : int
        Decomposition levels ``J`` (0 for pixels).
    mode : str
        Boundary mode (``"none"`` for pixels).
    dense : tuple of Tensor or None
        1D only: the analysis ``(M, L)`` and synthesis ``(L, M)`` matrices, used for ``L <= 2048``.
    """

    layout: Layout
    wavelet: str
    h: torch.Tensor | None
    level: int
    mode: str
    dense: tuple | None = None

    @property
    def kind(self):
        """str: ``"wavelet"`` or ``"pixel"``."""
        return self.layout.kind


def default_level(shape, filter_len):
    """Default number of levels: the coarsest approximation keeps about 8 coefficients per axis.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    filter_len : int
        Filter length ``N``.

    Returns
    -------
    int
        ``max(1, floor(log2(min(shape))) - 3)``: 3 for 64 samples, 2 for 32. Atoms much coarser than the
        structure explained spread the cartoon: on the 32 x 32 blob maps of the tests (``bench/explain.py
        --defaults``), level 3 instead of 2 lowered the cartoon's energy inside the blob from 0.91 to 0.73
        (sym4, worst of three maps).

    Examples
    --------
    >>> default_level((64,), 10), default_level((64, 128), 8), default_level((6,), 2)
    (3, 3, 1)
    """
    n = min(int(s) for s in shape)
    return max(1, min(int(math.floor(math.log2(n))) - 3, _wavelets.max_level(n, filter_len)))


def _filter_array(wavelet):
    """(name, h as float64 ndarray) from a PyWavelets name or an explicit lowpass filter."""
    if isinstance(wavelet, str):
        try:
            return wavelet, lowpass_filter(wavelet)
        except ValueError as exc:
            raise InputError("wavelet", str(exc).removeprefix("wave: "),
                             "pass an orthogonal PyWavelets name or a lowpass filter h") from None
    try:
        h = np.asarray(wavelet.detach().cpu() if isinstance(wavelet, torch.Tensor) else wavelet, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("wavelet", f"cannot be read as a filter ({type(wavelet).__name__})",
                         "pass a PyWavelets name such as 'db4' or a lowpass filter h of shape (N,)") from None
    if h.ndim != 1 or h.size < 2 or h.size % 2:
        raise InputError("wavelet", f"a filter must have shape (N,) with N even and >= 2, got {h.shape}",
                         "pass the lowpass filter h (rec_lo) of an orthogonal wavelet")
    if not np.isfinite(h).all():
        raise InputError("wavelet", "the filter contains NaN or infinite values", "pass a finite filter")
    return "custom", h


def make_basis(shape, wavelet="sym4", level=None, mode="periodization", *, dtype=torch.float32,
               device="cpu", tol=1e-3):
    """Build the wavelet transform of one input shape.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    wavelet : str or array-like of shape (N,), default="sym4"
        An orthogonal PyWavelets name or an explicit lowpass filter ``h`` (e.g. a learned AWD filter).
    level : int or None, default=None
        Levels ``J``; ``None`` takes :func:`default_level`.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    dtype : torch.dtype, default=torch.float32
    device : str or torch.device, default="cpu"
    tol : float, default=1e-3
        Largest accepted relative reconstruction error ``||Psi^-1 Psi x - x|| / ||x||`` on a random input
        (a learned filter that is not orthogonal enough is refused).

    Returns
    -------
    Basis

    Raises
    ------
    InputError
        Unknown or non-orthogonal wavelet, bad filter, level or mode, or a filter that does not reconstruct.

    Examples
    --------
    >>> b = make_basis((64,), "sym4")
    >>> [band.name for band in b.layout.bands], b.layout.size
    (['cA3', 'cD3', 'cD2', 'cD1'], 64)
    """
    shape = tuple(int(s) for s in shape)
    name, h_np = _filter_array(wavelet)
    if mode not in _wavelets.MODES:
        raise InputError("mode", f"unknown boundary mode {mode!r}", f"use one of {', '.join(_wavelets.MODES)}")
    if level is None:
        level = default_level(shape, h_np.size)
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise InputError("level", f"must be an integer, got {level!r}", "pass e.g. 4, or None for the default")
    for n in shape:
        try:
            _wavelets.check_level(n, h_np.size, int(level), mode)
        except ValueError as exc:
            raise InputError("level", str(exc).removeprefix("level: "), "pass a smaller level") from None
    level = int(level)
    layout = _wavelet_layout(shape, h_np.size, level, mode)
    h = torch.as_tensor(h_np, dtype=dtype, device=device)
    dense = None
    if len(shape) == 1 and shape[0] <= 2048:
        h64 = torch.as_tensor(h_np, dtype=torch.float64)
        W = _wavelets.analysis_matrix(h64, shape[0], level, mode)
        S = _wavelets.synthesis_matrix(h64, shape[0], level, mode)
        dense = (W.to(dtype=dtype, device=device), S.to(dtype=dtype, device=device))
    basis = Basis(layout, name, h, level, mode, dense)
    probe = torch.randn((1,) + shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        b64 = Basis(layout, name, torch.as_tensor(h_np), level, mode,
                    None if dense is None else tuple(t.to(torch.float64).cpu() for t in dense))
        back = synthesize(b64, analyze(b64, probe))
    error = float((back - probe).norm() / probe.norm())
    if not error <= tol:
        raise InputError("wavelet", f"the filter does not reconstruct (relative error {error:.2g} > {tol:g})",
                         "pass the lowpass filter of an orthogonal wavelet (or raise tol)")
    return basis


def pixel_basis(shape, *, dtype=torch.float32, device="cpu"):
    """The identity transform with one band ``"pixels"``: the pixel-space baseline.

    Parameters
    ----------
    shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    dtype, device : as in :func:`make_basis`

    Returns
    -------
    Basis
    """
    shape = tuple(int(s) for s in shape)
    layout = Layout(shape, (Band("pixels", 0, 0, shape),), "pixel")
    return Basis(layout, "pixels", None, 0, "none", None)


def analyze(basis, x):
    """Flat coefficients of a batch.

    Parameters
    ----------
    basis : Basis
    x : Tensor of shape (B, *signal_shape)

    Returns
    -------
    Tensor of shape (B, M)
    """
    if basis.kind == "pixel":
        return x.reshape(x.shape[0], -1)
    if basis.dense is not None:
        return x @ basis.dense[0].T
    h = basis.h.to(dtype=x.dtype, device=x.device)
    if x.ndim == 2:
        return torch.cat(_wavelets.wavedec1d(x, h, basis.level, basis.mode), dim=-1)
    return basis.layout.flatten(_wavelets.wavedec2d(x, h, basis.level, basis.mode))


def synthesize(basis, z):
    """Inverse transform of flat coefficients.

    Parameters
    ----------
    basis : Basis
    z : Tensor of shape (B, M)

    Returns
    -------
    Tensor of shape (B, *signal_shape)
        ``Psi^-1 z``, linear in ``z`` and differentiable.
    """
    shape = basis.layout.signal_shape
    if basis.kind == "pixel":
        return z.reshape((z.shape[0],) + shape)
    if basis.dense is not None:
        return z @ basis.dense[1].T
    h = basis.h.to(dtype=z.dtype, device=z.device)
    parts = basis.layout.split(z)
    if len(shape) == 1:
        return _wavelets.waverec1d(parts, h, basis.mode, length=shape[0])
    return _wavelets.waverec2d(parts, h, basis.mode, shape=shape)


# ----------------------------------------------------------------------------------------------------------
# perturbations and the objective (pure functions)


def band_statistics(coeffs, layout):
    """Mean, SD, minimum and maximum of each band of one coefficient vector.

    Parameters
    ----------
    coeffs : Tensor of shape (M,)
    layout : Layout

    Returns
    -------
    dict of Tensor
        ``"mean"``, ``"sd"`` (population SD), ``"low"``, ``"high"``, each of shape ``(n_bands,)``.
    """
    parts = [coeffs[b.start:b.stop] for b in layout.bands]
    return {
        "mean": torch.stack([p.mean() for p in parts]),
        "sd": torch.stack([p.std(unbiased=False) if p.numel() > 1 else p.new_zeros(()) for p in parts]),
        "low": torch.stack([p.min() for p in parts]),
        "high": torch.stack([p.max() for p in parts]),
    }


def sample_perturbations(stats, layout, n, kind="gaussian", generator=None):
    """Draw ``n`` perturbation vectors ``xi`` with each band's own statistics.

    Parameters
    ----------
    stats : dict of Tensor
        From :func:`band_statistics`.
    layout : Layout
    n : int
        Number of draws.
    kind : {"gaussian", "zero", "uniform"}, default="gaussian"
        ``"gaussian"``: ``N(mean_b, sd_b^2)`` per band b; ``"zero"``: zeros; ``"uniform"``:
        ``U(low_b, high_b)`` per band.
    generator : torch.Generator, optional
        On the device of ``stats``.

    Returns
    -------
    Tensor of shape (n, M)
    """
    mean = stats["mean"]
    index = torch.as_tensor(layout.band_index(), device=mean.device)
    shape = (n, layout.size)
    if kind == "zero":
        return mean.new_zeros(shape)
    if kind == "gaussian":
        eps = torch.randn(shape, generator=generator, dtype=mean.dtype, device=mean.device)
        return stats["mean"][index] + stats["sd"][index] * eps
    if kind == "uniform":
        u = torch.rand(shape, generator=generator, dtype=mean.dtype, device=mean.device)
        low = stats["low"][index]
        return low + (stats["high"][index] - low) * u
    raise InputError("perturbation", f"unknown kind {kind!r}", f"use one of {', '.join(PERTURBATIONS)}")


def perturb(mask, coeffs, noise):
    """Masked coefficients with the dropped part replaced by noise, ``m * c + (1 - m) * xi``.

    Parameters
    ----------
    mask : Tensor of shape (M,)
    coeffs : Tensor of shape (M,)
    noise : Tensor of shape (n, M)

    Returns
    -------
    Tensor of shape (n, M)
    """
    return noise + mask * (coeffs - noise)


def mask_objective(mask, coeffs, noise, synthesis, score, reference, lam, scale=1.0):
    """The CartoonX objective on one Monte-Carlo batch.

    Parameters
    ----------
    mask : Tensor of shape (M,)
        Values in ``[0, 1]``; may require grad.
    coeffs : Tensor of shape (M,)
        ``Psi x``.
    noise : Tensor of shape (n, M)
        Perturbations ``xi``.
    synthesis : callable
        ``(n, M) -> (n, *signal_shape)``, the inverse transform.
    score : callable
        ``(n, *signal_shape) -> (n,)``, the explained output.
    reference : Tensor of shape () or float
        ``score(x)``.
    lam : float
        Weight of the sparsity term.
    scale : float, default=1.0
        The distortion is divided by ``scale**2``.

    Returns
    -------
    loss : Tensor of shape ()
        ``distortion + lam * l1``.
    distortion : Tensor of shape ()
        ``mean_i (score(y_i) - reference)^2 / scale^2`` with ``y_i = Psi^-1 (m c + (1 - m) xi_i)``.
    l1 : Tensor of shape ()
        ``||m||_1 / M``.
    """
    outputs = score(synthesis(perturb(mask, coeffs, noise)))
    distortion = ((outputs - reference) ** 2).mean() / (scale * scale)
    l1 = mask.abs().mean()
    return distortion + lam * l1, distortion, l1


# ----------------------------------------------------------------------------------------------------------
# checks


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
        raise InputError("x", f"has {t.ndim} dimensions, shape {tuple(t.shape)}",
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


# ----------------------------------------------------------------------------------------------------------
# results


@dataclass
class MaskEvaluation:
    """The model's expected output under one mask (:func:`evaluate_mask`).

    Attributes
    ----------
    mean, sd : float
        Mean and SD of the explained score over the ``n_samples`` perturbed inputs.
    outputs : ndarray of shape (n_samples,)
        Those scores.
    prediction : float
        Score of the full input.
    cartoon : ndarray of x's shape
        ``Psi^-1 (m * Psi x)``.
    cartoon_prediction : float
        Score of the cartoon.
    distortion : float
        ``mean((outputs - prediction)^2)``, squared output units.
    kept_fraction : float
        Share of mask entries ``>= 0.5``.
    l1_fraction : float
        ``||m||_1 / M``.
    """

    mean: float
    sd: float
    outputs: np.ndarray
    prediction: float
    cartoon: np.ndarray
    cartoon_prediction: float
    distortion: float
    kept_fraction: float
    l1_fraction: float


@dataclass
class Explanation:
    """One explanation (:func:`explain`).

    Attributes
    ----------
    space : {"wavelet", "pixel"}
    mask : ndarray of shape (M,)
        Final mask in ``[0, 1]``, flat in the layout's order.
    mask_coeffs : list or ndarray
        The same in PyWavelets' layout (:meth:`Layout.split`); x's shape for pixels.
    bands : list of dict
        Per band: ``name``, ``level``, ``size``, ``kept_fraction`` (share ``>= 0.5``), ``mean`` (mask mean).
    cartoon : ndarray of x's shape
        ``Psi^-1 (m * Psi x)``; for pixels ``m * x``.
    x : ndarray of x's shape
        The explained input (as the model saw it).
    prediction, cartoon_prediction : float
        Score of ``x`` and of the cartoon (output units, or class probability).
    expected_prediction, expected_prediction_sd : float
        Mean and SD of the score over ``n_eval`` perturbed inputs under the final mask.
    distortion : float
        Expected distortion, squared output units (``n_eval`` fresh perturbations).
    relative_distortion : float
        ``distortion / scale**2``.
    scale : float
        Divisor of the distortion in the objective (see the module docstring).
    kept_fraction : float
        Share of mask entries ``>= 0.5``.
    l1_fraction : float
        ``||m||_1 / M``.
    lam : float
    history : dict of ndarray
        ``"loss"``, ``"distortion"`` (relative, on each step's batch), ``"l1"``: one value per step.
    settings : dict
        Everything needed to redo it (JSON-serialisable).
    layout : Layout
    coeffs : ndarray of shape (M,)
        ``Psi x``, flat.
    basis : Basis
        The transform used.
    """

    space: str
    mask: np.ndarray
    mask_coeffs: object
    bands: list
    cartoon: np.ndarray
    x: np.ndarray
    prediction: float
    cartoon_prediction: float
    expected_prediction: float
    expected_prediction_sd: float
    distortion: float
    relative_distortion: float
    scale: float
    kept_fraction: float
    l1_fraction: float
    lam: float
    history: dict
    settings: dict
    layout: Layout = field(repr=False)
    coeffs: np.ndarray = field(default=None, repr=False)
    basis: Basis = field(default=None, repr=False)

    def summary(self):
        """JSON-serialisable numbers and settings (no arrays except the per-band table).

        Returns
        -------
        dict
        """
        keys = ("space", "prediction", "cartoon_prediction", "expected_prediction", "expected_prediction_sd",
                "distortion", "relative_distortion", "scale", "kept_fraction", "l1_fraction", "lam")
        out = {k: getattr(self, k) for k in keys}
        out["bands"] = self.bands
        out["settings"] = self.settings
        return out

    def arrays(self):
        """Numeric arrays for an ``.npz`` file (no object arrays).

        Returns
        -------
        dict of ndarray
            ``x``, ``cartoon``, ``mask`` (flat), ``band_starts`` and ``band_stops`` (offsets of each band in
            ``mask``), ``history_loss``, ``history_distortion``, ``history_l1``.
        """
        return {
            "x": self.x, "cartoon": self.cartoon, "mask": self.mask,
            "band_starts": np.array([b.start for b in self.layout.bands]),
            "band_stops": np.array([b.stop for b in self.layout.bands]),
            **{f"history_{k}": v for k, v in self.history.items()},
        }


@dataclass
class LambdaPath:
    """Distortion and sparsity along a sequence of ``lam`` (:func:`lambda_path`).

    Attributes
    ----------
    lambdas : ndarray of shape (n,)
        As given.
    distortion, relative_distortion, kept_fraction, l1_fraction : ndarray of shape (n,)
        The numbers of each explanation.
    scale : float
        The common divisor of the distortion.
    explanations : list of Explanation
    """

    lambdas: np.ndarray
    distortion: np.ndarray
    relative_distortion: np.ndarray
    kept_fraction: np.ndarray
    l1_fraction: np.ndarray
    scale: float
    explanations: list


def _numpy(t):
    return t.detach().to("cpu", torch.float64).numpy()


def _band_table(mask, layout):
    return [{"name": b.name, "level": b.level, "size": b.size,
             "kept_fraction": float((mask[b.start:b.stop] >= 0.5).mean()),
             "mean": float(mask[b.start:b.stop].mean())} for b in layout.bands]


# ----------------------------------------------------------------------------------------------------------
# public entry points


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
    from models.distill import Cancelled

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


def evaluate_mask(model, x, mask, *, target=0, task="regression", space="wavelet", wavelet="sym4", level=None,
                  mode="periodization", perturbation="gaussian", n_samples=256, seed=0):
    """The model's expected output under a given (e.g. hand-drawn) mask: "draw your own mask".

    Parameters
    ----------
    model, x, target, task, space, wavelet, level, mode, perturbation : as in :func:`explain`
    mask : array-like
        Values in ``[0, 1]``: flat ``(M,)``, the PyWavelets layout of the transform, for 2D maps also the
        picture of :func:`coefficient_image` (what a brush on the coefficient view paints), or, for
        ``space="pixel"``, an array of x's shape (a brush on the input). Binary brushes work as they are.
    n_samples : int, default=256
        Perturbed inputs averaged over.
    seed : int, default=0

    Returns
    -------
    MaskEvaluation

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(16, 1))
    >>> ev = evaluate_mask(net, np.ones(16), np.ones(16), wavelet="haar", n_samples=8)
    >>> abs(ev.mean - ev.prediction) < 1e-5, ev.sd < 1e-5   # keeping everything changes nothing
    (True, True)
    """
    n_samples = _check_number(n_samples, "n_samples", low=2, integer=True)
    seed = _check_number(seed, "seed", low=0, integer=True)
    with _EvalMode(model):
        problem = _setup(model, x, space=space, wavelet=wavelet, level=level, mode=mode, target=target, task=task,
                         perturbation=perturbation)
        m = _check_mask(mask, problem)
        return _evaluate(problem, m, n_samples, seed)


def _check_mask(mask, problem):
    layout = problem.basis.layout
    nested = (isinstance(mask, (list, tuple)) and layout.kind == "wavelet"
              and not all(np.ndim(c) == 0 for c in mask))
    if nested:  # the PyWavelets layout
        try:
            parts = [[np.asarray(p, dtype=np.float64) for p in c] if isinstance(c, (list, tuple))
                     else np.asarray(c, dtype=np.float64) for c in mask]
        except (TypeError, ValueError):
            raise InputError("mask", "cannot be read as arrays of numbers", "pass values in [0, 1]") from None
        flat = np.asarray(layout.flatten(parts), dtype=np.float64)
    else:
        try:
            flat = np.asarray(mask.detach().cpu() if isinstance(mask, torch.Tensor) else mask, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("mask", "cannot be read as an array of numbers", "pass values in [0, 1]") from None
        if layout.kind == "pixel" and flat.shape == layout.signal_shape:
            flat = flat.reshape(-1)
        elif layout.kind == "wavelet" and len(layout.signal_shape) == 2 and flat.ndim == 2:
            flat = _from_coefficient_image(flat, layout)
    if flat.shape != (layout.size,):
        expect = f"({layout.size},)" + (f" or {layout.signal_shape}" if layout.kind == "pixel" else
                                         " or the coefficient layout (or, in 2D, the coefficient image)")
        raise InputError("mask", f"has shape {flat.shape}", f"pass a mask shaped {expect}")
    if not np.isfinite(flat).all():
        raise InputError("mask", "contains NaN or infinite values", "pass values in [0, 1]")
    if flat.min() < 0 or flat.max() > 1:
        raise InputError("mask", f"has values outside [0, 1] (min {flat.min():.3g}, max {flat.max():.3g})",
                         "pass values in [0, 1]")
    return torch.as_tensor(flat, dtype=problem.coeffs.dtype, device=problem.coeffs.device)


# ----------------------------------------------------------------------------------------------------------
# views and measures of explanations


def coefficient_image(values, layout):
    """Arrange flat per-coefficient values (e.g. a mask) as the usual picture of a 2D wavelet transform.

    Parameters
    ----------
    values : array-like of shape (M,)
    layout : Layout
        A 2D wavelet layout.

    Returns
    -------
    image : ndarray of shape (P, Q)
        PyWavelets' ``coeffs_to_array`` arrangement (``cA_J`` top left, each level's ``cH`` below it, ``cV``
        to its right, ``cD`` diagonal); equal to ``(H, W)`` for periodization with dyadic sizes. Cells that
        belong to no coefficient (other modes) are NaN.
    slices : list
        PyWavelets' ``coeff_slices``: where each band sits in ``image``.
    """
    import pywt

    if layout.kind != "wavelet" or len(layout.signal_shape) != 2:
        raise InputError("layout", "is not a 2D wavelet layout", "use the layout of a 2D explanation")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (layout.size,):
        raise InputError("values", f"has shape {values.shape}", f"pass ({layout.size},) values")
    image, slices = pywt.coeffs_to_array(layout.split(values), padding=np.nan)
    return image, slices


def _from_coefficient_image(image, layout):
    """Flat values from a picture arranged as :func:`coefficient_image` (shape checked by the caller)."""
    import pywt

    template, slices = coefficient_image(np.zeros(layout.size), layout)
    if image.shape != template.shape:
        return image  # the caller reports the wrong shape
    parts = pywt.array_to_coeffs(image, slices, output_format="wavedec2")
    return np.asarray(layout.flatten([np.asarray(parts[0])] + [tuple(np.asarray(d) for d in lev)
                                                                for lev in parts[1:]]), dtype=np.float64)


def energy_fraction(signal, region):
    """Share of the energy ``sum signal^2`` that lies inside a region.

    Parameters
    ----------
    signal : array-like of shape (L,) or (H, W)
        E.g. a cartoon.
    region : array-like of bool, same shape

    Returns
    -------
    float
        In ``[0, 1]``; 0 for an all-zero signal.

    Examples
    --------
    >>> energy_fraction(np.array([3.0, 4.0]), np.array([False, True]))
    0.64
    """
    e = np.asarray(signal, dtype=np.float64) ** 2
    total = e.sum()
    return float(e[np.asarray(region, dtype=bool)].sum() / total) if total > 0 else 0.0


def cartoon_support(cartoon, energy=0.9):
    """The pixel-space support of a cartoon: the fewest samples holding ``energy`` of its energy.

    Parameters
    ----------
    cartoon : array-like of shape (L,) or (H, W)
    energy : float in (0, 1], default=0.9

    Returns
    -------
    ndarray of bool, same shape
        The samples with the largest ``cartoon**2`` whose sum first reaches ``energy`` times the total;
        all False for an all-zero cartoon.

    Examples
    --------
    >>> cartoon_support(np.array([0.1, 3.0, -2.0, 0.2]), energy=0.9)
    array([False,  True,  True, False])
    """
    e = np.asarray(cartoon, dtype=np.float64) ** 2
    flat = e.ravel()
    total = flat.sum()
    out = np.zeros(flat.shape, dtype=bool)
    if total > 0:
        order = np.argsort(-flat, kind="stable")
        n_keep = int(np.searchsorted(np.cumsum(flat[order]), energy * total * (1 - 1e-12))) + 1
        out[order[:n_keep]] = True
    return out.reshape(e.shape)


def _atom_profiles(basis, axis_len, level):
    """Squared 1D atoms of a j-level transform along one axis, each summing to 1: (approximation (n, a_j),
    detail (n, d_j)) as float64 numpy arrays."""
    h = torch.as_tensor(_numpy(basis.h))
    S = _wavelets.synthesis_matrix(h, axis_len, level, basis.mode).numpy() ** 2
    S /= np.maximum(S.sum(axis=0, keepdims=True), 1e-300)
    n_a = _wavelets.coeff_lengths(axis_len, h.shape[-1], level, basis.mode)[0]
    return S[:, :n_a], S[:, n_a:2 * n_a]


def energy_map(basis, weights):
    """Spread per-coefficient energies over the samples their atoms cover.

    Each coefficient ``i`` has an atom ``psi_i = Psi^-1 e_i``; its weight is distributed over the samples in
    proportion to ``psi_i^2`` (normalised to sum 1), so the map sums to ``sum(weights)``. With
    ``weights = (m * Psi x)^2`` this is the energy of the cartoon without the interference between atoms
    (the cross terms that make the energy of an oscillating cartoon flicker from sample to sample).

    Parameters
    ----------
    basis : Basis
    weights : array-like of shape (M,)
        Non-negative energies, one per coefficient.

    Returns
    -------
    ndarray of shape signal_shape, float64

    Examples
    --------
    >>> b = make_basis((8,), "haar", level=1)
    >>> energy_map(b, np.eye(8)[4])   # cD1[0] is the Haar atom on samples 0 and 1
    array([0.5, 0.5, 0. , 0. , 0. , 0. , 0. , 0. ])
    """
    layout = basis.layout
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (layout.size,):
        raise InputError("weights", f"has shape {w.shape}", f"pass ({layout.size},) values")
    if basis.kind == "pixel":
        return w.reshape(layout.signal_shape).copy()
    shape = layout.signal_shape
    if len(shape) == 1:  # the columns of the J-level synthesis matrix are all the atoms
        S = _wavelets.synthesis_matrix(torch.as_tensor(_numpy(basis.h)), shape[0], basis.level,
                                       basis.mode).numpy() ** 2
        return (S / np.maximum(S.sum(axis=0, keepdims=True), 1e-300)) @ w
    out = np.zeros(shape)
    profiles = {}
    for band in layout.bands:
        j = band.level
        for axis in (0, 1):
            if (axis, j) not in profiles:
                profiles[axis, j] = _atom_profiles(basis, shape[axis], j)
        kind_h, kind_w = {"A": (0, 0), "H": (1, 0), "V": (0, 1), "D": (1, 1)}[band.name[1]]
        rows, cols = profiles[0, j][kind_h], profiles[1, j][kind_w]
        out += rows @ w[band.start:band.stop].reshape(band.shape) @ cols.T
    return out


def mask_support(explanation, energy=0.9):
    """Pixel-space support of an explanation: the fewest samples holding ``energy`` of its
    :func:`energy_map` with weights ``(m * Psi x)^2``.

    Parameters
    ----------
    explanation : Explanation
    energy : float in (0, 1], default=0.9

    Returns
    -------
    ndarray of bool, shape of x
        For the pixel baseline this is the top-energy set of ``(m * x)^2``.
    """
    weights = (explanation.mask * explanation.coeffs) ** 2
    return cartoon_support(energy_map(explanation.basis, weights), energy)


def iou(a, b):
    """Intersection over union of two boolean arrays (1.0 when both are empty).

    Examples
    --------
    >>> iou(np.array([1, 1, 0, 0], bool), np.array([0, 1, 1, 0], bool))
    0.3333333333333333
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
