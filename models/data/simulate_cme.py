"""Clathrin-like fluorescence traces with an auxilin-like target (paper section 4.2, molecular-partner prediction).

A toy generative model of clathrin-mediated endocytosis (CME) events as seen in two-colour TIRF movies:
the clathrin channel is the input time series, the mean auxilin amplitude (recruited only when a pit
pinches off) is the target.
"""

from __future__ import annotations

import numpy as np

from awd_studio.models.data.dataset import Dataset

__all__ = ["simulate_cme", "TRACE_LENGTH", "DEFAULT_N"]

TRACE_LENGTH = 40
#: Traces made when no ``n`` is given (train + test, as many as the paper's CME data).
DEFAULT_N = 3941


def _productive_profile(t, onset, lifetime, peak, growth_frac, residual, drop_frames, sag):
    """Noise-free clathrin intensity of productive events: growth, plateau, sharp drop at scission."""
    s = (t - onset) / lifetime  # 0 at onset, 1 at scission
    rise = (1.0 - np.exp(-3.0 * np.clip(s / growth_frac, 0.0, 1.0))) / (1.0 - np.exp(-3.0))
    plateau = 1.0 - sag * np.clip((s - growth_frac) / np.maximum(1.0 - growth_frac, 1e-6), 0.0, 1.0)
    before = peak * rise * plateau
    # after scission: fall to the residual over drop_frames, then fade with a time constant of ~2 frames
    after_t = t - (onset + lifetime)
    top = peak * (1.0 - sag)
    ramp = np.clip(after_t / drop_frames, 0.0, 1.0)
    falling = top + (residual * top - top) * ramp
    fading = np.where(after_t > drop_frames, np.exp(-(after_t - drop_frames) / 2.0), 1.0)
    after = falling * fading
    return np.where(s < 0, 0.0, np.where(after_t <= 0, before, after))


def _abortive_profile(t, onset, lifetime, amp):
    """Abortive events: a brief, low, rounded bump without a sharp end."""
    s = (t - onset) / lifetime
    return amp * np.sin(np.pi * np.clip(s, 0.0, 1.0)) ** 1.5


def simulate_cme(n: int | None = None, seed: int = 0, *, productive_fraction: float = 0.35,
                 noise_level: float = 1.0, test_fraction: float = 1005 / 3941) -> Dataset:
    """Simulated clathrin traces (length 40) and an auxilin-like target.

    What it simulates: each sample is one endocytic event tracked for 40 frames. *Abortive* events
    (share ``1 - productive_fraction``) are short (4-25 frames), dim and rounded, with no clear peak or
    drop. *Productive* events last 14-38 frames: clathrin grows for 40-75 % of the lifetime, plateaus
    (with a slight sag), then drops sharply (1-3 frames) at scission to a small residual and fades.
    Onsets are random, so events sit anywhere in the trace and may be cut by its end. Each event belongs to
    a cell with its own brightness factor (lognormal, sd 0.25 in log), and the recorded intensity has
    photon-like noise (variance = 0.05^2 + 0.02 x signal, scaled by ``noise_level``).
    Target: the mean auxilin amplitude, 0 for abortive events and, for productive ones, growing with the square
    root of the cell's brightness times the peak (lowered by its sag), and with the depth and the sharpness of the
    drop: ``0.8 x sqrt(brightness x peak x (1 - sag)) x depth / drop_frames`` (``depth = 1 - residual``), times
    lognormal noise (SD 0.2 in log, about 20 %); every event's target then gets additive Gaussian noise of SD
    0.05. Intensities are in arbitrary units, ~1 for a typical productive peak.

    Because what matters is a shape (peak then sharp drop) at a random time, a linear model on the raw
    values explains only part of the variance; a network or a wavelet model does better.

    Limits: a caricature, not the He et al. (2020) data: no tracking gaps, no background subtraction
    artefacts, no detection threshold, no visits of neighbouring pits, no dependence of auxilin bursts on
    timing; the class balance and the amplitude distributions are set by hand.

    Parameters
    ----------
    n : int or None, default=None
        Total number of events (train + test); default 3941 (the paper: 2936 train, 1005 test).
    seed : int, default=0
        Seed of the generator; equal seeds give identical data.
    productive_fraction : float, default=0.35
        Probability that an event is productive.
    noise_level : float, default=1.0
        Multiplies the photon-like noise SD.
    test_fraction : float, default=1005/3941
        Share of the events returned as the fixed test set.

    Returns
    -------
    dataset : Dataset
        ``X`` (n_train, 40) clathrin intensity (a.u.), ``y`` (n_train,) auxilin mean amplitude (a.u.),
        ``X_test``/``y_test``; ``meta`` describes the settings and the realised productive share.
    """
    n = DEFAULT_N if n is None else int(n)
    if n < 20:
        raise ValueError(f"n: must be at least 20 for a train/test split, got {n}; pass e.g. 3941")
    if not 0.0 <= productive_fraction <= 1.0:
        raise ValueError(f"productive_fraction: must be in [0, 1], got {productive_fraction}; pass e.g. 0.35")
    rng = np.random.default_rng(seed)
    T = TRACE_LENGTH
    t = np.arange(T, dtype=np.float64)[None, :]

    n_cells = max(1, n // 60)
    cell_brightness = rng.lognormal(0.0, 0.25, n_cells)
    brightness = cell_brightness[rng.integers(0, n_cells, n)][:, None]
    productive = rng.random(n) < productive_fraction

    # productive events
    life_p = rng.integers(14, 39, n).astype(float)[:, None]
    onset_p = np.floor(rng.random(n)[:, None] * np.maximum(T - life_p + 2, 1.0)) - 1.0
    peak = rng.lognormal(0.0, 0.35, n)[:, None]
    growth_frac = rng.uniform(0.4, 0.75, n)[:, None]
    residual = rng.uniform(0.0, 0.3, n)[:, None]
    drop_frames = rng.integers(1, 4, n).astype(float)[:, None]
    sag = rng.uniform(0.0, 0.15, n)[:, None]
    prod = _productive_profile(t, onset_p, life_p, peak, growth_frac, residual, drop_frames, sag)

    # abortive events
    life_a = rng.integers(4, 26, n).astype(float)[:, None]
    onset_a = np.floor(rng.random(n)[:, None] * (T - life_a))
    amp_a = rng.lognormal(np.log(0.55), 0.45, n)[:, None]
    abort = _abortive_profile(t, onset_a, life_a, amp_a)

    signal = brightness * np.where(productive[:, None], prod, abort)
    sd = noise_level * np.sqrt(0.05**2 + 0.02 * np.maximum(signal, 0.0))
    X = signal + sd * rng.standard_normal((n, T))

    depth = 1.0 - residual[:, 0]
    sharpness = 1.0 / drop_frames[:, 0]
    aux_prod = 0.8 * np.sqrt(brightness[:, 0] * peak[:, 0] * (1.0 - sag[:, 0])) * depth * sharpness
    aux = np.where(productive, aux_prod * rng.lognormal(0.0, 0.2, n), 0.0)
    y = aux + 0.05 * rng.standard_normal(n)

    n_test = max(1, int(round(test_fraction * n)))
    meta = {
        "simulator": "cme",
        "seed": int(seed),
        "trace_length": T,
        "frame_units": "frames (about 1 s each)",
        "intensity_units": "a.u. (~1 = typical productive peak)",
        "productive_fraction": float(productive_fraction),
        "productive_share_realised": float(productive.mean()),
        "noise_level": float(noise_level),
        "n_cells": int(n_cells),
        "description": "clathrin-like traces: abortive bumps vs productive growth-plateau-sharp drop; "
                       "target = auxilin-like mean amplitude (sqrt(brightness x peak) x drop depth x sharpness for "
                       "productive, ~0 else)",
    }
    return Dataset(X[n_test:], y[n_test:], X[:n_test], y[:n_test], kind="timeseries", name="cme",
                   meta=meta, target_names=["auxilin"])
