"""Synthetic problems with a known explanation, for the tests and the benchmark of :mod:`models.explain`.

Each problem has one localised component whose amplitude is the target, distractors of the same shape
elsewhere (not in the target) and noise, so a teacher that predicts well must look at the component and
nothing else:

* :func:`blob_maps`: ``size x size`` maps (default 32) with a Gaussian blob (sigma 2 px) at ``(10, 21)``, two
  distractor blobs at least 4 sigma away, white noise of SD 0.2.
* :func:`burst_series`: series of 64 samples with a burst (Gaussian envelope of sigma 3, period 4 samples)
  centred on sample 40, one distractor burst at least 4 sigma away, a random walk and white noise.

:class:`TinyCNN` and :func:`train_tiny_cnn` give a small position-aware CNN for the maps (the built-in CNN
teacher pools globally, so it cannot tell the blob from a distractor).
"""

from __future__ import annotations

import numpy as np
import torch

from awd_studio.models.optim import StackedAdam

__all__ = ["BLOB", "BURST", "blob_template", "blob_maps", "burst_template", "burst_series", "TinyCNN",
           "train_tiny_cnn", "component_region"]

#: Where and how wide the map component is.
BLOB = {"center": (10.0, 21.0), "sigma": 2.0, "size": 32}
#: Where and how wide the series component is.
BURST = {"center": 40.0, "sigma": 3.0, "period": 4.0, "length": 64}


def _far_positions(rng, n, k, size, center, min_dist):
    """n x k random positions in [3, size - 3)^d at least min_dist from center, shape (n, k, d)."""
    center = np.atleast_1d(np.asarray(center, dtype=float))
    out = np.zeros((n, k, center.size))
    for i in range(n):
        for j in range(k):
            while True:
                p = rng.uniform(3, size - 3, center.size)
                if np.linalg.norm(p - center) >= min_dist:
                    break
            out[i, j] = p
    return out


def blob_template(center=BLOB["center"], size=BLOB["size"], sigma=BLOB["sigma"]):
    """Unit-height Gaussian blob, ndarray of shape (size, size).

    Examples
    --------
    >>> float(blob_template().max()), blob_template().shape
    (1.0, (32, 32))
    """
    yy, xx = np.mgrid[:size, :size].astype(float)
    return np.exp(-((yy - center[0]) ** 2 + (xx - center[1]) ** 2) / (2 * sigma ** 2))


def burst_template(center=BURST["center"], length=BURST["length"]):
    """Unit-amplitude burst, ndarray of shape (length,): Gaussian envelope times a cosine of period 4."""
    t = np.arange(length, dtype=float)
    envelope = np.exp(-(t - center) ** 2 / (2 * BURST["sigma"] ** 2))
    return envelope * np.cos(2 * np.pi * (t - center) / BURST["period"])


def blob_maps(n, seed=0, size=BLOB["size"]):
    """Maps whose target is the amplitude of the blob at ``BLOB["center"]``.

    Parameters
    ----------
    n : int
    seed : int, default=0
    size : int, default=32

    Returns
    -------
    X : ndarray of shape (n, size, size), float32
    y : ndarray of shape (n,)
        Amplitudes, uniform on [0.5, 3].
    """
    rng = np.random.default_rng(seed)
    amp = rng.uniform(0.5, 3.0, n)
    X = amp[:, None, None] * blob_template(size=size) + 0.2 * rng.normal(size=(n, size, size))
    positions = _far_positions(rng, n, 2, size, BLOB["center"], 4 * BLOB["sigma"])
    amps = rng.uniform(0.5, 3.0, (n, 2))
    for i in range(n):
        for j in range(2):
            X[i] += amps[i, j] * blob_template(positions[i, j], size=size)
    return X.astype(np.float32), amp


def burst_series(n, seed=0, length=BURST["length"]):
    """Series whose target is the amplitude of the burst at ``BURST["center"]``.

    Parameters
    ----------
    n : int
    seed : int, default=0
    length : int, default=64

    Returns
    -------
    X : ndarray of shape (n, length), float32
    y : ndarray of shape (n,)
        Amplitudes, uniform on [0.5, 3].
    """
    rng = np.random.default_rng(seed)
    amp = rng.uniform(0.5, 3.0, n)
    walk = np.cumsum(rng.normal(size=(n, length)), axis=1) * 0.15
    walk -= walk.mean(axis=1, keepdims=True)
    X = amp[:, None] * burst_template(length=length) + walk + 0.2 * rng.normal(size=(n, length))
    positions = _far_positions(rng, n, 1, length, BURST["center"], 4 * BURST["sigma"])
    amps = rng.uniform(0.5, 3.0, n)
    for i in range(n):
        X[i] += amps[i] * burst_template(positions[i, 0, 0], length=length)
    return X.astype(np.float32), amp


def component_region(kind):
    """Where the component is: within 2 sigma of its centre (98 % of its energy), ndarray of bool.

    Parameters
    ----------
    kind : {"blob", "burst"}

    Returns
    -------
    ndarray of bool, shape (32, 32) or (64,)
    """
    if kind == "blob":
        return blob_template() >= np.exp(-2.0)
    t = np.arange(BURST["length"])
    return np.abs(t - BURST["center"]) <= 2 * BURST["sigma"]


class TinyCNN(torch.nn.Module):
    """Two conv + ReLU + 2x2 max-pool blocks (8 channels) and a linear head on the flattened features.

    Parameters
    ----------
    size : int, default=32
        Side of the square maps (a multiple of 4).
    """

    def __init__(self, size=BLOB["size"]):
        super().__init__()
        self.conv = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
        self.head = torch.nn.Linear(8 * (size // 4) ** 2, 1)

    def forward(self, x):
        """``(B, size, size) -> (B, 1)``."""
        return self.head(self.conv(x[:, None]).flatten(1))


def train_tiny_cnn(X, y, epochs=10, seed=0, lr=3e-3, batch_size=50):
    """Train a :class:`TinyCNN` with Adam on the mean squared error (deterministic on a CPU).

    Parameters
    ----------
    X : ndarray of shape (n, size, size), float32
    y : ndarray of shape (n,)
    epochs, seed, lr, batch_size : training settings

    Returns
    -------
    TinyCNN
        In evaluation mode.
    """
    torch.manual_seed(seed)
    model = TinyCNN(X.shape[-1])
    opt = StackedAdam(model.parameters(), lr=lr)
    xt, yt = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.float32)[:, None]
    order_gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=order_gen)
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            loss = ((model(xt[idx]) - yt[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()
