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

Modules, one job each: :mod:`~models.explain.basis` (layout and transform), :mod:`~models.explain.objective`
(perturbations and the objective), :mod:`~models.explain.problem` (argument checks, the model's score, a mask's
Monte-Carlo evaluation, :data:`DEFAULTS`), :mod:`~models.explain.optimise` (:func:`explain`,
:func:`lambda_path`), :mod:`~models.explain.masks` (hand-drawn masks, the 2D coefficient picture),
:mod:`~models.explain.measures` (supports, energy maps, IoU), :mod:`~models.explain.results` (the returned
dataclasses), :mod:`~models.explain.plots` (static figure), :mod:`~models.explain.torch_student` (the series
student as a torch module) and :mod:`~models.explain.synthetic` (problems with a known answer, for the tests
and the benchmark).
"""

from awd_studio.models.explain.basis import (
    Band,
    Basis,
    Layout,
    analyze,
    default_level,
    make_basis,
    pixel_basis,
    pixel_layout,
    synthesize,
    wavelet_layout,
)
from awd_studio.models.explain.masks import coefficient_image, coefficient_image_boxes, evaluate_mask, mask_values
from awd_studio.models.explain.measures import cartoon_support, energy_fraction, energy_map, iou, mask_support
from awd_studio.models.explain.objective import (
    PERTURBATIONS,
    band_statistics,
    mask_objective,
    perturb,
    sample_perturbations,
)
from awd_studio.models.explain.optimise import explain, lambda_path
from awd_studio.models.explain.plots import mask_by_scale_1d, plot_explanation, write_explanation_figure
from awd_studio.models.explain.problem import DEFAULTS, SPACES, TASKS
from awd_studio.models.explain.results import Explanation, LambdaPath, MaskEvaluation
from awd_studio.models.explain.synthetic import (
    BLOB,
    BURST,
    TinyCNN,
    blob_maps,
    blob_template,
    burst_series,
    burst_template,
    component_region,
    train_tiny_cnn,
)
from awd_studio.models.explain.torch_student import TopKStudent

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
    "wavelet_layout",
    "pixel_layout",
    "analyze",
    "synthesize",
    "band_statistics",
    "sample_perturbations",
    "perturb",
    "mask_objective",
    "explain",
    "lambda_path",
    "evaluate_mask",
    "mask_values",
    "coefficient_image",
    "coefficient_image_boxes",
    "energy_fraction",
    "cartoon_support",
    "energy_map",
    "mask_support",
    "iou",
    # the figure, the series student as a torch module, the synthetic problems
    "plot_explanation",
    "mask_by_scale_1d",
    "write_explanation_figure",
    "TopKStudent",
    "BLOB",
    "BURST",
    "blob_template",
    "blob_maps",
    "burst_template",
    "burst_series",
    "TinyCNN",
    "train_tiny_cnn",
    "component_region",
]
