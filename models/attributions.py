"""TRIM attributions in the wavelet domain (paper section 2.2 and eq. 7; docs/science.md, "TRIM").

The teacher ``f`` is reparameterised on the coefficients: ``f'(c) = f(S c + r)`` with ``S`` the synthesis
(inverse) transform and ``r = x - stopgrad(S c)`` the residual, so the teacher sees exactly ``x`` while
gradients flow through ``S`` to the coefficients.

The attributions have one value (for integrated gradients with a free filter, two values that differ by a term
of the size of the reconstruction error: :func:`teacher_input_gradients`) and two derivatives with respect to the
filter h (``docs/science.md``):

* :func:`teacher_input_gradients` evaluates the teacher's input gradient once per dataset. Because the teacher
  is evaluated at ``x`` itself for every filter, the saliency's value is ``S(h)^T grad f(x)`` for any filter and
  any teacher, and differentiating that expression through ``S(h)`` alone is the gradient of the loss of
  eq. 8 (the trainer's ``"eq8"`` path). The teacher leaves the training loop.
* :func:`trim_attributions` differentiates through the teacher (``create_graph=True``), as the reference
  implementation (awave) does. Its values are the same, but the derivative of an L1 penalty on them adds a
  straight-through term ``H_f(x) d(S(h) W(h) x)/dh`` (``H_f`` the teacher's Hessian): the residual is held
  constant, so autograd sees the teacher's input move with h although its value does not. This is the
  trainer's ``"straight_through"`` path. The extra term vanishes, and the two derivatives agree, when
  ``S(h) W(h) = I`` for every h (the exact orthogonal lattice) or when the teacher is piecewise linear (ReLU:
  zero Hessian almost everywhere); otherwise it is not the gradient of the loss (checked against finite
  differences in ``tests/models/test_gradient_paths.py``).

Methods: ``"saliency"`` (signed gradient, the paper's), ``"input_x_gradient"`` (``c * grad``) and
``"integrated_gradients"`` (straight path from the zero baseline, midpoint Riemann sum with ``steps`` points
whose weights sum to one).
"""

import numpy as np
import torch

from awd_studio.models.options import Attribution

__all__ = [
    "ATTRIBUTION_METHODS",
    "check_method",
    "ig_alphas",
    "teacher_target",
    "trim_attributions",
    "teacher_input_gradients",
    "GRADIENT_BATCH_VALUES",
    "gradient_batch_size",
]

ATTRIBUTION_METHODS = tuple(a.value for a in Attribution)


def check_method(method):
    """Validate an attribution method name and return it."""
    if method not in ATTRIBUTION_METHODS:
        raise ValueError(
            f"attribution: unknown method {method!r}; pass one of {', '.join(ATTRIBUTION_METHODS)}"
        )
    return method


def ig_alphas(steps, *, dtype=torch.float64, device=None):
    """Midpoints ``(k - 1/2) / steps`` of the integrated-gradients path, ``k = 1..steps``."""
    if steps < 1:
        raise ValueError(f"steps: must be >= 1, got {steps}")
    return (torch.arange(steps, dtype=dtype, device=device) + 0.5) / steps


def teacher_target(teacher, z, target=0):
    """Evaluate the teacher and keep one output.

    Parameters
    ----------
    teacher : callable
        Maps ``(n, *signal_shape)`` to ``(n,)`` or ``(n, n_outputs)``.
    z : Tensor of shape (n, *signal_shape)
    target : int, default=0
        The output (or class) to explain.

    Returns
    -------
    Tensor of shape (n,)
    """
    out = teacher(z)
    if out.ndim == 1:
        if target not in (0, -1):
            raise ValueError(f"target: the teacher has one output, so target must be 0, got {target}")
        return out
    if not -out.shape[1] <= target < out.shape[1]:
        raise ValueError(f"target: the teacher has {out.shape[1]} outputs; pass 0..{out.shape[1] - 1}")
    return out[:, target]


def trim_attributions(teacher, x, coeffs, synthesis, method="saliency", target=0, steps=8,
                      create_graph=True):
    """TRIM attributions of the coefficients, differentiating through the teacher.

    Their derivative with respect to the filters (``create_graph=True``) is awave's straight-through gradient,
    not the loss's gradient for a non-orthogonal filter and a teacher with curvature (module docstring).

    Parameters
    ----------
    teacher : callable
        ``(n, *signal_shape) -> (n,)`` or ``(n, n_outputs)``, in evaluation mode.
    x : Tensor of shape (B, *signal_shape)
        The signals.
    coeffs : Tensor of shape (G, B, M), or list of tensors of shape (G, B, ...)
        Their coefficients under each of G filters (all bands in one tensor, or one tensor per band);
        part of the autograd graph (a function of the filters).
    synthesis : callable
        ``coeffs -> x_hat (G, B, *signal_shape)``, linear in the coefficients (takes what ``coeffs`` is).
    method : {"saliency", "input_x_gradient", "integrated_gradients"}, default="saliency"
    target : int, default=0
        Teacher output to explain.
    steps : int, default=8
        Riemann points for integrated gradients.
    create_graph : bool, default=True
        Keep the graph so the attributions can be differentiated (with respect to the filters).

    Returns
    -------
    Tensor of shape (G, B, M), or list of tensors
        The same structure as ``coeffs``.
    """
    check_method(method)
    as_list = not isinstance(coeffs, torch.Tensor)
    coeffs = list(coeffs) if as_list else [coeffs]
    g, b = coeffs[0].shape[:2]
    coeffs = [c if c.requires_grad else c.detach().requires_grad_(True) for c in coeffs]
    x_hat = synthesis(coeffs if as_list else coeffs[0])
    residual = (x.unsqueeze(0) - x_hat).detach()
    signal_shape = x.shape[1:]
    if method == "integrated_gradients":
        # f'(a c) = f(a x_hat + r); d f'(a c)/d w = (1/a) d f(a x_hat + r)/d c.
        total = 0.0
        for alpha in ig_alphas(steps, dtype=x.dtype, device=x.device).tolist():
            z = alpha * x_hat + residual
            total = total + teacher_target(teacher, z.reshape(g * b, *signal_shape), target).sum() / (
                steps * alpha
            )
    else:
        z = x_hat + residual  # numerically x, gradients through x_hat
        total = teacher_target(teacher, z.reshape(g * b, *signal_shape), target).sum()
    grads = torch.autograd.grad(total, coeffs, create_graph=create_graph)
    attr = [gr if method == "saliency" else c * gr for c, gr in zip(coeffs, grads)]
    return attr if as_list else attr[0]


#: Input values per batch when the teacher is differentiated over a whole data set (its activations and their
#: gradients scale with it): 256 series of 40 samples, 64 maps of 64 x 64. At 256 maps of 64 x 64 the CNN
#: teacher's backward pass added about 150 MB to a job's peak memory.
GRADIENT_BATCH_VALUES = 2**18


def gradient_batch_size(sample_shape, upper=256):
    """Samples per batch for differentiating a teacher: at most ``upper``, at most
    :data:`GRADIENT_BATCH_VALUES` input values, at least 1."""
    values = max(1, int(np.prod(sample_shape)))
    return max(1, min(int(upper), GRADIENT_BATCH_VALUES // values))


def teacher_input_gradients(teacher, X, method="saliency", target=0, steps=8, batch_size=256):
    """The teacher's input-gradient field used by the once-per-dataset attribution path.

    Parameters
    ----------
    teacher : callable
        ``(n, *signal_shape) -> (n,)`` or ``(n, n_outputs)``, in evaluation mode.
    X : Tensor of shape (n, *signal_shape)
    method : {"saliency", "input_x_gradient", "integrated_gradients"}, default="saliency"
    target : int, default=0
    steps : int, default=8
    batch_size : int, default=256
        Upper bound; batches also hold at most :data:`GRADIENT_BATCH_VALUES` input values.

    Returns
    -------
    Tensor of shape (n, *signal_shape), detached
        ``grad f(x)`` for saliency and input x gradient; ``mean_k grad f(a_k x)`` over the midpoints
        ``a_k`` for integrated gradients. The coefficient attribution is then ``S^T`` of this field, times the
        coefficients for the last two methods: equal to :func:`trim_attributions` for saliency and input x
        gradient with any filter. For integrated gradients TRIM's path runs through ``a x_hat + (x - x_hat)``,
        which is ``a x`` only when the filter reconstructs exactly (an orthogonal filter); for a free filter the
        two differ by a term of the size of the reconstruction error.
    """
    check_method(method)
    alphas = ig_alphas(steps, dtype=X.dtype).tolist() if method == "integrated_gradients" else [1.0]
    out = torch.empty_like(X)
    batch_size = gradient_batch_size(X.shape[1:], batch_size)
    for start in range(0, X.shape[0], batch_size):
        xb = X[start:start + batch_size]
        acc = torch.zeros_like(xb)
        for alpha in alphas:
            z = (alpha * xb).detach().requires_grad_(True)
            with torch.enable_grad():
                value = teacher_target(teacher, z, target).sum()
                acc += torch.autograd.grad(value, z)[0]
        out[start:start + batch_size] = acc / len(alphas)
    return out.detach()
