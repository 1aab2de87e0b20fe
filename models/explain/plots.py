"""Static figure of one explanation (PNG and SVG): input | cartoon | mask per scale | pixel-mask baseline.

Drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas attached inside
:func:`plot_explanation`: nothing is imported from ``matplotlib.pyplot`` and no global backend is set, so the
CLI, the worker and a notebook can call it from any thread without changing their own matplotlib state.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from awd_studio.models.explain.masks import coefficient_image, coefficient_image_boxes

__all__ = ["plot_explanation", "mask_by_scale_1d", "write_explanation_figure"]

# Okabe-Ito colours, as in models/plots.py.
_INPUT, _CARTOON, _BASELINE = "#555555", "#0072B2", "#D55E00"


def mask_by_scale_1d(explanation):
    """A 1D mask as an image: one row per band, each coefficient drawn over the samples it summarises.

    Parameters
    ----------
    explanation : Explanation
        A 1D wavelet explanation.

    Returns
    -------
    image : ndarray of shape (n_bands, L)
        Row ``b`` holds the mask of band ``b`` (PyWavelets order: ``cA_J``, ``cD_J``, ..., ``cD_1``),
        coefficient ``k`` of an ``n_b``-coefficient band spread over samples ``[k L / n_b, (k + 1) L / n_b)``.
    names : list of str
        The band names, one per row.

    Examples
    --------
    >>> from models.explain import explain
    >>> import torch
    >>> e = explain(torch.nn.Linear(16, 1), np.arange(16.0), wavelet="haar", level=2, steps=2, n_eval=4)
    >>> image, names = mask_by_scale_1d(e)
    >>> image.shape, names
    ((3, 16), ['cA2', 'cD2', 'cD1'])
    """
    layout = explanation.layout
    if layout.kind != "wavelet" or len(layout.signal_shape) != 1:
        raise ValueError("explanation: mask_by_scale_1d needs a 1D wavelet explanation")
    length = layout.signal_shape[0]
    rows = []
    for band in layout.bands:
        values = explanation.mask[band.start:band.stop]
        index = np.minimum((np.arange(length) * band.size) // length, band.size - 1)
        rows.append(values[index])
    return np.stack(rows), [b.name for b in layout.bands]


def _title(ax, text):
    ax.set_title(text, fontsize=8)


def _decimals(sd) -> int:
    """Decimals that give an SD two significant digits (the page's numbers: 0.2003 ± 0.0060, where three
    significant digits had printed 0.2 for all three outputs, review 25A)."""
    sd = abs(float(sd))
    return int(min(8, max(0, 1 - np.floor(np.log10(sd))))) if sd > 0 else 4


def _prediction_text(e):
    d = _decimals(e.expected_prediction_sd)
    return (f"kept {100 * e.kept_fraction:.1f} %, cartoon → {e.cartoon_prediction:.{d}f}\n"
            f"under noise {e.expected_prediction:.{d}f} ± {e.expected_prediction_sd:.{d}f} (mean ± SD)")


#: The cartoon's title, in matplotlib's mathtext.
_CARTOON_TITLE = r"cartoon $\Psi^{-1}(m \odot \Psi x)$"


def _wavelet_words(name) -> str:
    """The explanation's wavelet as a reader says it ("learned" and "initial" are the request's own words)."""
    return {"learned": "learned wavelet", "initial": "initial wavelet"}.get(name, str(name))


def _draw_2d(fig, e, baseline):
    axes = fig.subplots(1, 4 if baseline is not None else 3)
    vmin, vmax = np.percentile(e.x, [1, 99])
    axes[0].imshow(e.x, cmap="gray", vmin=vmin, vmax=vmax)
    _title(axes[0], f"input: prediction {e.prediction:.{_decimals(e.expected_prediction_sd)}f}")
    axes[1].imshow(e.cartoon, cmap="gray")
    _title(axes[1], _CARTOON_TITLE + "\n" + _prediction_text(e))
    image, _ = coefficient_image(e.mask, e.layout)
    im = axes[2].imshow(image, cmap="magma", vmin=0, vmax=1)
    for box in coefficient_image_boxes(e.layout):  # outline each band, as the results page does
        (r0, r1), (c0, c1) = box["rows"], box["cols"]
        axes[2].add_patch(_rectangle(c0 - 0.5, r0 - 0.5, c1 - c0, r1 - r0))
    _title(axes[2], f"mask per scale ({_wavelet_words(e.settings.get('wavelet'))}, "
                    f"J = {e.settings.get('level')})")
    fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
    if baseline is not None:
        axes[3].imshow(baseline.x, cmap="gray", vmin=vmin, vmax=vmax)
        masked = np.ma.masked_less(baseline.mask.reshape(baseline.x.shape), 0.5)
        axes[3].imshow(masked, cmap="autumn", alpha=0.8, vmin=0, vmax=1)
        _title(axes[3], "pixel-mask baseline\n" + _prediction_text(baseline))
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])


def _rectangle(x, y, w, h):
    from matplotlib.patches import Rectangle  # 0.35 s to import: only when a figure is drawn

    return Rectangle((x, y), w, h, fill=False, edgecolor="#56B4E9", linewidth=0.6)


def _draw_1d(fig, e, baseline):
    axes = fig.subplots(1, 4 if baseline is not None else 3)
    t = np.arange(e.x.size)
    axes[0].plot(t, e.x, color=_INPUT, lw=1)
    _title(axes[0], f"input: prediction {e.prediction:.{_decimals(e.expected_prediction_sd)}f}")
    axes[1].plot(t, e.x, color=_INPUT, lw=0.8, alpha=0.35, label="input")
    axes[1].plot(t, e.cartoon, color=_CARTOON, lw=1.2, label="cartoon")
    axes[1].legend(frameon=False, fontsize=7)
    _title(axes[1], _CARTOON_TITLE + "\n" + _prediction_text(e))
    image, names = mask_by_scale_1d(e)
    im = axes[2].imshow(image, aspect="auto", cmap="magma", vmin=0, vmax=1, interpolation="nearest",
                        extent=(-0.5, e.x.size - 0.5, len(names) - 0.5, -0.5))
    axes[2].set_yticks(range(len(names)), names, fontsize=7)
    axes[2].set_xlabel("sample")
    _title(axes[2], f"mask per scale ({_wavelet_words(e.settings.get('wavelet'))}, "
                    f"J = {e.settings.get('level')})")
    fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
    if baseline is not None:
        axes[3].plot(t, baseline.x, color=_INPUT, lw=0.8, alpha=0.35)
        axes[3].plot(t, baseline.cartoon, color=_BASELINE, lw=1.2)
        axes[3].fill_between(t, 0, 1, where=baseline.mask >= 0.5, color=_BASELINE, alpha=0.15,
                             transform=axes[3].get_xaxis_transform(), step="mid")
        _title(axes[3], "pixel-mask baseline\n" + _prediction_text(baseline))
    for ax in (axes[0], axes[1]) + ((axes[3],) if baseline is not None else ()):
        ax.set_xlabel("sample")


def plot_explanation(explanation, baseline=None, *, title=None):
    """Draw an explanation side by side with its pixel-mask baseline.

    Parameters
    ----------
    explanation : Explanation
        A wavelet explanation (:func:`models.explain.explain`), 1D or 2D.
    baseline : Explanation, optional
        The pixel-mask explanation of the same input (``space="pixel"``).
    title : str, optional
        Figure title (e.g. the example and the model).

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas; save it with ``fig.savefig(path)`` (PNG, SVG, PDF by the suffix).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # 0.35 s to import: only when a figure is drawn
    from matplotlib.figure import Figure  # (the API process and the worker's other tasks never draw)

    if explanation.space != "wavelet":
        raise ValueError("explanation: pass the wavelet explanation first and the pixel one as baseline")
    if baseline is not None and (baseline.space != "pixel" or baseline.x.shape != explanation.x.shape):
        raise ValueError("baseline: pass the pixel-mask explanation of the same input (space='pixel')")
    n = 4 if baseline is not None else 3
    fig = Figure(figsize=(3.3 * n, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    if explanation.x.ndim == 2:
        _draw_2d(fig, explanation, baseline)
    else:
        _draw_1d(fig, explanation, baseline)
    fig.suptitle(title or f"Explanation (lambda = {explanation.lam:g})", fontsize=9)
    return fig


def write_explanation_figure(explanation, out_dir, baseline=None, *, stem="explanation", title=None,
                             formats=("png", "svg"), dpi=120):
    """Save :func:`plot_explanation` in ``out_dir`` as ``<stem>.png`` and ``<stem>.svg``, atomically.

    Parameters
    ----------
    explanation, baseline, title : as in :func:`plot_explanation`
    out_dir : str or Path
        An existing directory.
    stem : str, default="explanation"
    formats : sequence of str, default=("png", "svg")
    dpi : int, default=120
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The files written (each first to a temporary sibling, then renamed).
    """
    fig = plot_explanation(explanation, baseline, title=title)
    out_dir = Path(out_dir)
    paths = []
    for ext in formats:
        path = out_dir / f"{stem}.{ext}"
        tmp = out_dir / f".{stem}.tmp.{ext}"
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
        paths.append(path)
    return paths
