"""What the results panel of a scattering student plots, as plain JSON-able data.

:func:`scattering_panel` turns a fitted :class:`.estimator.ScatteringRegressor` into dicts
of lists: every wavelet in space (or time) and in frequency with its initial and learned parameters, the
paths as a tree (root ``S0`` -> order 1 -> order 2) with the kept ones marked and their CAR importance, and
the score-versus-number-of-paths curve of the pruning. No plotting library is imported here.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from awd_studio.models import wavelets as wv
from awd_studio.models.scattering.dwt_bank import ORIENTATIONS, DWTScattering1D
from awd_studio.models.scattering.paths import path_id
from awd_studio.models.scattering.transform import MorletScattering1D, MorletScattering2D

__all__ = ["scattering_panel", "scattering_summary"]


def _floats(a, digits=6):
    return [float(round(float(v), digits)) for v in np.ravel(a)]


def _used(n, kept_filters):
    """Whether filter ``n`` of a bank that serves both orders is used by a kept path."""
    return (1, n) in kept_filters or (2, n) in kept_filters


def _dwt_lowpass(h, init, view):
    """The DWT bank's lowpass entry: its taps before and after learning, and ``view`` (its response)."""
    lowpass = {"id": "phi", "params": {"h": _floats(h.numpy(), 8), "h_init": _floats(init["h"], 8)}}
    lowpass.update(view)
    return lowpass


def _grid(a, digits=6):
    return [_floats(row, digits) for row in np.asarray(a)]


def _crop_1d(values, rel=1e-3):
    """Centred window of a centred filter where it exceeds ``rel`` of its peak (at least 9 samples)."""
    mag = np.abs(values)
    c = len(values) // 2
    above = np.nonzero(mag >= rel * mag.max())[0]
    half = max(int(np.max(np.abs(above - c))) if above.size else 0, 4)
    return slice(max(c - half, 0), min(c + half + 1, len(values))), half


def _curve_1d(filter_f):
    """Time (centred, cropped) and positive-frequency views of one Fourier-domain filter (n,)."""
    n = filter_f.shape[0]
    time = np.fft.fftshift(np.fft.ifft(filter_f))
    window, half = _crop_1d(time)
    keep = n // 2 + 1
    return {
        "time": {"t": list(range(-half, -half + len(time[window]))), "real": _floats(time[window].real),
                 "imag": _floats(time[window].imag)},
        "frequency": {"f": _floats(np.arange(keep) / n), "response": _floats(np.abs(filter_f[:keep]))},
    }


def _morlet_1d(t, init, kept_filters):
    out = []
    with torch.no_grad():
        psi1, psi2, phi = (f.double().cpu().numpy() for f in t.filters())
    params = t.parameters_dict()
    for order, bank in ((1, psi1), (2, psi2)):
        for n in range(bank.shape[0]):
            xi, sigma = float(params[f"xi{order}"][n]), float(params[f"sigma{order}"][n])
            entry = {"id": f"psi{order}_{n}", "order": order, "index": n,
                     "used": (order, n) in kept_filters,
                     "label": f"order {order} #{n}: {xi:.3g} cycles/sample",
                     "params": {"xi": xi, "sigma": sigma, "xi_init": float(init[f"xi{order}"][n]),
                                "sigma_init": float(init[f"sigma{order}"][n])}}
            entry.update(_curve_1d(bank[n]))
            out.append(entry)
    lowpass = {"id": "phi", "params": {"sigma": float(t.sigma_phi), "T": int(t.T)}}
    lowpass.update(_curve_1d(phi))
    return out, lowpass


def _unit_response_1d(h, length, level, band):
    """Equivalent analysis filter of one DWT coefficient (middle of ``band``; 0 = approximation)."""
    coeffs = [torch.zeros(1, m, dtype=torch.float64) for m in wv.coeff_lengths(length, h.shape[0], level)]
    coeffs[band][0, coeffs[band].shape[1] // 2] = 1.0
    return wv.waverec1d(coeffs, h, length=length)[0].numpy()


def _centred_spectrum(resp):
    """DFT of a response rolled so that its largest sample sits at index 0 (axis -1, or both axes in 2D)."""
    peak = np.unravel_index(int(np.argmax(np.abs(resp))), resp.shape)
    rolled = np.roll(resp, [-int(i) for i in peak], axis=tuple(range(resp.ndim)))
    return np.fft.fftn(rolled)


def _dwt_1d(t, init, kept_filters):
    h = torch.as_tensor(t.parameters_dict()["h"], dtype=torch.float64)
    J = t.J
    n = 2 ** int(math.ceil(math.log2(max(4 * h.shape[0] * 2 ** J, 64))))
    out = []
    for level in range(1, J + 1):
        entry = {"id": f"level_{level}", "order": None, "index": level - 1, "label": f"level {level}",
                 "used": _used(level - 1, kept_filters),
                 "params": {"level": level, "nominal_band": [2.0 ** -(level + 1), 2.0 ** -level]}}
        entry.update(_curve_1d(_centred_spectrum(_unit_response_1d(h, n, J, J - level + 1))))
        out.append(entry)
    return out, _dwt_lowpass(h, init, _curve_1d(_centred_spectrum(_unit_response_1d(h, n, J, 0))))


def _view_2d(filter_f, size=33, max_freq=32):
    """Centred real part in space (size x size) and |DFT| (centred, at most max_freq per axis)."""
    space = np.fft.fftshift(np.fft.ifft2(filter_f).real)
    M, N = space.shape
    hm, hn = min(size // 2, M // 2), min(size // 2, N // 2)
    space = space[M // 2 - hm:M // 2 + hm + 1, N // 2 - hn:N // 2 + hn + 1]
    freq = np.fft.fftshift(np.abs(filter_f))
    step = max(1, int(math.ceil(max(M, N) / max_freq)))
    return {"space": _grid(space), "frequency": _grid(freq[::step, ::step]),
            "frequency_step": step / max(M, N)}


def _morlet_2d(t, init, kept_filters):
    with torch.no_grad():
        psi, phi = (f.double().cpu().numpy() for f in t.filters())
    params = t.parameters_dict()
    out = []
    for n in range(psi.shape[0]):
        p = {k: float(params[k][n]) for k in params}
        p.update({k + "_init": float(init[k][n]) for k in init})
        p["cycles_per_sample"] = p["xi"] / (2 * math.pi)
        entry = {"id": f"psi_{n}", "order": None, "index": n, "used": _used(n, kept_filters),
                 "label": f"j={t.j[n]} theta={math.degrees(p['theta']):.0f} deg", "params": p}
        entry.update(_view_2d(psi[n]))
        out.append(entry)
    lowpass = {"id": "phi", "params": {"sigma": float(t.sigma_phi)}}
    lowpass.update(_view_2d(phi))
    return out, lowpass


def _dwt_2d(t, init, kept_filters):
    h = torch.as_tensor(t.parameters_dict()["h"], dtype=torch.float64)
    J = t.J
    n = 2 ** int(math.ceil(math.log2(max(2 * h.shape[0] * 2 ** J, 32))))
    template = wv.wavedec2d(torch.zeros(1, n, n, dtype=torch.float64), h, J)

    def unit(level, o):  # level 0: the approximation
        coeffs = [template[0].clone()] + [tuple(b.clone() for b in lvl) for lvl in template[1:]]
        band = coeffs[0] if level == 0 else coeffs[J - level + 1][o]
        band[0, band.shape[1] // 2, band.shape[2] // 2] = 1.0
        return _centred_spectrum(wv.waverec2d(coeffs, h, shape=(n, n))[0].numpy())

    out = []
    for idx in range(3 * J):
        level, o = idx // 3 + 1, idx % 3
        entry = {"id": f"level_{level}_{ORIENTATIONS[o]}", "order": None, "index": idx,
                 "label": f"level {level} {ORIENTATIONS[o]}",
                 "used": _used(idx, kept_filters),
                 "params": {"level": level, "orientation": ORIENTATIONS[o]}}
        entry.update(_view_2d(unit(level, o)))
        out.append(entry)
    return out, _dwt_lowpass(h, init, _view_2d(unit(0, 0)))


def _label(t, params, path):
    if not path:
        return "S0 (average)"
    parts = []
    for order, n in enumerate(path, start=1):
        if isinstance(t, MorletScattering1D):
            parts.append(f"{params[f'xi{order}'][n]:.3g}")
        elif isinstance(t, MorletScattering2D):
            parts.append(f"j{t.j[n]} {math.degrees(params['theta'][n]):.0f}deg")
        elif isinstance(t, DWTScattering1D):
            parts.append(f"level {n + 1}")
        else:
            parts.append(f"level {n // 3 + 1} {ORIENTATIONS[n % 3]}")
    return " -> ".join(parts)


def scattering_panel(estimator):
    """Everything the scattering results panel draws, as JSON-able dicts and lists.

    Parameters
    ----------
    estimator : ScatteringRegressor
        Fitted.

    Returns
    -------
    dict
        ``bank`` ("morlet" or "dwt"), ``ndim`` (1 or 2),
        ``filters``: one dict per wavelet with ``id``, ``label``, ``order`` (1 or 2 for the 1D Morlet banks,
        None for a bank that serves both orders), ``index``, ``used`` (by a kept path), ``params``
        (learned and ``*_init`` values; DWT: ``level``, the nominal octave ``nominal_band`` in cycles per
        sample in 1D, ``orientation`` in 2D); in 1D ``time`` (``t``, ``real``, ``imag``, centred) and
        ``frequency`` (``f`` in cycles per sample, ``response`` = |DFT|); in 2D ``space`` (centred real part,
        rows of floats) and ``frequency`` (centred |DFT|, one grid point per ``frequency_step`` cycles/sample),
        ``lowpass``: the same for ``phi`` (DWT: also the filter taps ``h`` and ``h_init``),
        ``tree``: ``nodes`` (``id``, ``path``, ``order``, ``label``, ``kept``, ``importance`` = mean CAR index
        when pruned, else None) for every path before pruning, and ``edges`` (``parent``, ``child`` ids),
        ``curve``: ``n_paths``, ``score``, ``score_se``, ``chosen`` (index), ``chosen_n_paths``; None when not
        pruned.

    Examples
    --------
    >>> import json
    >>> from awd_studio.models.scattering.estimator import ScatteringRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 64))
    >>> est = ScatteringRegressor(J=3, learn_filters=False).fit(X, X[:, :8].std(axis=1))
    >>> panel = scattering_panel(est)
    >>> len(panel["tree"]["nodes"]) == len(est.all_paths_), isinstance(json.dumps(panel), str)
    (True, True)
    """
    check_is_fitted(estimator, "coef_")
    t = estimator.transform_
    init = estimator.filters_init_
    kept = set(estimator.paths_)
    kept_filters = {(order, n) for p in kept for order, n in enumerate(p, start=1)}
    if isinstance(t, MorletScattering1D):
        filters, lowpass = _morlet_1d(t, init, kept_filters)
    elif isinstance(t, MorletScattering2D):
        filters, lowpass = _morlet_2d(t, init, kept_filters)
    elif isinstance(t, DWTScattering1D):
        filters, lowpass = _dwt_1d(t, init, kept_filters)
    else:
        filters, lowpass = _dwt_2d(t, init, kept_filters)
    pruning = estimator.pruning_
    importance = pruning["importance"] if pruning else {}
    nodes, edges = [], []
    params = t.parameters_dict()
    for p in estimator.all_paths_:
        nodes.append({"id": path_id(p), "path": [int(i) for i in p], "order": len(p), "label": _label(t, params, p),
                      "kept": p in kept, "importance": float(importance[p]) if p in importance else None})
        if p:
            edges.append({"parent": path_id(p[:-1]) if len(p) == 2 else "S0", "child": path_id(p)})
    curve = None
    if pruning:
        curve = {"n_paths": [int(v) for v in pruning["n_paths"]], "score": _floats(pruning["score"]),
                 "score_se": _floats(pruning["score_se"]), "chosen": int(pruning["chosen"]),
                 "chosen_n_paths": int(pruning["n_paths"][pruning["chosen"]])}
    return {"bank": estimator.bank, "ndim": len(estimator.signal_shape_), "filters": filters, "lowpass": lowpass,
            "tree": {"nodes": nodes, "edges": edges}, "curve": curve}


def scattering_summary(estimator):
    """The fitted student's settings and parameters for a result bundle, JSON-able.

    Parameters
    ----------
    estimator : ScatteringRegressor
        Fitted.

    Returns
    -------
    dict
        ``bank``, ``settings`` (J, Q, L, max_order, pooling, signal_shape), ``paths_all`` and ``paths_kept``
        (ids from :func:`path_id`), ``filters`` and ``filters_init`` (parameter name -> list of floats),
        ``alpha``, ``best_epoch``, ``val_score`` (per epoch, index 0 = initial filters), ``loss`` (per
        epoch), ``n_filter_parameters`` (learned filter parameters), ``n_head_parameters`` (weights and
        intercepts), ``train_seconds``.

    Examples
    --------
    >>> import json
    >>> from awd_studio.models.scattering.estimator import ScatteringRegressor
    >>> X = np.random.default_rng(0).normal(size=(40, 64))
    >>> est = ScatteringRegressor(J=3, learn_filters=False).fit(X, X[:, :8].std(axis=1))
    >>> summary = scattering_summary(est)
    >>> summary["paths_kept"][:3], summary["n_filter_parameters"], isinstance(json.dumps(summary), str)
    (['S0', '1:0', '1:1'], 0, True)
    """
    check_is_fitted(estimator, "coef_")
    t = estimator.transform_
    coef = np.atleast_2d(estimator.coef_)
    h = estimator.history_
    return {
        "bank": estimator.bank,
        "settings": {"J": int(estimator.J), "Q": estimator.Q if isinstance(estimator.Q, int) else list(estimator.Q),
                     "L": int(estimator.L), "max_order": int(estimator.max_order), "pooling": estimator.pooling,
                     "signal_shape": [int(s) for s in estimator.signal_shape_]},
        "paths_all": [path_id(p) for p in estimator.all_paths_],
        "paths_kept": [path_id(p) for p in estimator.paths_],
        "filters": {k: _floats(v, 8) for k, v in estimator.filters_.items()},
        "filters_init": {k: _floats(v, 8) for k, v in estimator.filters_init_.items()},
        "alpha": float(estimator.alpha_),
        "best_epoch": int(h.get("best_epoch", 0)),
        "val_score": _floats(h.get("val_score", [])),
        "loss": _floats(h.get("loss", [])),
        "n_filter_parameters": int(sum(p.numel() for p in t.parameters() if p.requires_grad)),
        "n_head_parameters": int(coef.size + np.size(estimator.intercept_)),
        "train_seconds": float(estimator.train_seconds_),
    }
