"""The CartoonX objective and its perturbations, as pure functions of tensors.

A mask ``m`` in ``[0, 1]^M`` keeps ``m * c`` of the coefficients ``c = Psi x`` and replaces the rest by
perturbations ``xi`` drawn with each band's own statistics (:func:`band_statistics`,
:func:`sample_perturbations`); :func:`mask_objective` is the distortion of the explained score on one
Monte-Carlo batch, divided by ``scale**2``, plus ``lam`` times ``||m||_1 / M``.
"""

from __future__ import annotations

import torch

from awd_studio.models.validation import InputError

__all__ = ["PERTURBATIONS", "band_statistics", "sample_perturbations", "perturb", "mask_objective"]

#: Kinds of perturbation ``xi`` of the dropped coefficients: each band's own mean and SD (Gaussian), zero,
#: or uniform over each band's range ``[min, max]``.
PERTURBATIONS = ("gaussian", "zero", "uniform")


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
