"""What an explanation returns: :class:`Explanation`, :class:`LambdaPath` and :class:`MaskEvaluation`.

Plain dataclasses of numpy arrays and floats. ``distortion`` is in squared output units and
``relative_distortion`` the same divided by ``scale**2``; ``kept_fraction`` is the share of mask entries
``>= 0.5`` and ``l1_fraction`` is ``||m||_1 / M``. :meth:`Explanation.summary` and
:meth:`Explanation.arrays` give the JSON and ``.npz`` parts of a saved explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from awd_studio.models.explain.basis import Basis, Layout

__all__ = ["MaskEvaluation", "Explanation", "LambdaPath"]


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


def _band_table(mask, layout):
    """Per band of ``layout``: name, level, size, kept fraction and mean of ``mask`` (flat numpy)."""
    return [{"name": b.name, "level": b.level, "size": b.size,
             "kept_fraction": float((mask[b.start:b.stop] >= 0.5).mean()),
             "mean": float(mask[b.start:b.stop].mean())} for b in layout.bands]
