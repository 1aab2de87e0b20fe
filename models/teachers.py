"""Teacher networks: the four built-in architectures, their training, and safe saving and loading.

A teacher maps a batch of raw signals ``x`` of shape ``(B, *input_shape)`` (float32; time series
``input_shape = (L,)``, maps ``input_shape = (H, W)``) to predictions of shape ``(B, n_outputs)``.
Every built-in teacher standardises its input and un-standardises its output itself, through buffers set
by :func:`train_teacher` (``x_mean``, ``x_std``: scalars; ``y_mean``, ``y_std``: one per output), so
callers always pass raw data and read predictions in target units. The buffers live in the state dict,
so a saved teacher keeps them.

Architectures (``TEACHERS``):

``"mlp"``
    Flatten, then ``D-32-32-n_outputs`` with ReLU (the paper's synthetic teacher).
``"lstm"``
    One LSTM layer (hidden size 40) reading the series one value per step (maps: one row per step), a
    linear head on the last hidden state.
``"cnn"``
    Four 3x3 conv + ReLU blocks (8, 16, 32, 32 channels, the first three followed by 2x2 max pooling),
    global average and max pooling, a small linear head. 1-D convolutions for series.
``"resnet18"``
    ResNet-18 (BasicBlock, [2, 2, 2, 2], widths 64-512) with a one-channel stem (7x7 stride-2 conv and
    max pooling), adaptive average pooling and a linear head. 1-D convolutions for series.

Uploaded weights are read without unpickling anything: ``.safetensors``, ``.pt``/``.pth`` through
``torch.load(weights_only=True)`` and ``.pt2`` through :func:`torch.export.load`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import pickle
import threading
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.device import resolve_device
from models.validation import InputError, check_targets

__all__ = [
    "TEACHERS",
    "TRAINING_DEFAULTS",
    "DEFAULT_THREADS",
    "default_teacher",
    "build_teacher",
    "train_teacher",
    "save_teacher",
    "load_teacher",
    "validate_teacher",
    "evaluate_teacher",
    "predict",
    "count_params",
    "ExportedTeacher",
]

#: Names of the built-in architectures.
TEACHERS = ("mlp", "lstm", "cnn", "resnet18")

#: Per-architecture defaults of :func:`train_teacher` (epochs, batch_size, lr, patience). On 2 CPU cores
#: the LSTM default takes about 10 s for 3000 series of length 40 and the CNN about 15 s for 1500 maps
#: 64x64. ResNet-18 costs about 0.15 GFLOP per 64x64 map and direction (minutes per epoch on a CPU):
#: meant for a GPU.
TRAINING_DEFAULTS = {
    "mlp": {"epochs": 200, "batch_size": 64, "lr": 1e-3, "patience": 20},
    "lstm": {"epochs": 50, "batch_size": 64, "lr": 3e-3, "patience": 8},
    "cnn": {"epochs": 30, "batch_size": 64, "lr": 2e-3, "patience": 6},
    "resnet18": {"epochs": 15, "batch_size": 32, "lr": 1e-3, "patience": 4},
}

#: CPU threads used by :func:`train_teacher` when ``num_threads=None`` (``None``: torch's setting). The
#: small teachers' products gain little from threads, and on a busy 2-core machine two threads made the
#: LSTM and the CNN 5-10 times slower than one (spin-waiting). Pass ``num_threads`` on big machines.
DEFAULT_THREADS = {"mlp": 1, "lstm": 1, "cnn": 1, "resnet18": None}

_NORM_BUFFERS = ("x_mean", "x_std", "y_mean", "y_std")
_METADATA_KEY = "awd_teacher"


def default_teacher(kind):
    """Default architecture for a kind of data.

    Parameters
    ----------
    kind : {"timeseries", "image"}

    Returns
    -------
    name : {"lstm", "cnn"}
    """
    defaults = {"timeseries": "lstm", "image": "cnn"}
    if kind not in defaults:
        raise InputError("kind", f"unknown data kind {kind!r}", "use 'timeseries' or 'image'")
    return defaults[kind]


# --------------------------------------------------------------------------------------------------
# architectures
# --------------------------------------------------------------------------------------------------

class _Teacher(nn.Module):
    """Common part of the built-in teachers: config, normalisation buffers, (un)standardisation."""

    def __init__(self, name, input_shape, n_outputs):
        super().__init__()
        self.name = name
        self.input_shape = tuple(int(s) for s in input_shape)
        self.n_outputs = int(n_outputs)
        self.register_buffer("x_mean", torch.zeros(1))
        self.register_buffer("x_std", torch.ones(1))
        self.register_buffer("y_mean", torch.zeros(self.n_outputs))
        self.register_buffer("y_std", torch.ones(self.n_outputs))

    @property
    def config(self):
        """dict: ``name``, ``input_shape`` and ``n_outputs``, enough for :func:`build_teacher`."""
        return {"name": self.name, "input_shape": list(self.input_shape), "n_outputs": self.n_outputs}

    def body(self, z):
        """Map standardised inputs ``(B, *input_shape)`` to standardised outputs ``(B, n_outputs)``."""
        raise NotImplementedError

    def standardized(self, x):
        """Standardised predictions (the scale the training loss is computed on), ``(B, n_outputs)``."""
        return self.body((x - self.x_mean) / self.x_std)

    def forward(self, x):
        """Predict in target units.

        Parameters
        ----------
        x : Tensor of shape (B, *input_shape)
            Raw signals.

        Returns
        -------
        Tensor of shape (B, n_outputs)
        """
        return self.standardized(x) * self.y_std + self.y_mean

    def extra_repr(self):
        return f"input_shape={self.input_shape}, n_outputs={self.n_outputs}"


class MLPTeacher(_Teacher):
    """Fully connected ``D-32-32-n_outputs`` ReLU network on the flattened input."""

    def __init__(self, input_shape, n_outputs=1, hidden=32):
        super().__init__("mlp", input_shape, n_outputs)
        d = int(np.prod(self.input_shape))
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, self.n_outputs))

    def body(self, z):
        return self.net(z.reshape(z.shape[0], -1))


def _lstm_unrolled(lstm, seq):
    """One-layer LSTM written with plain tensor ops (twice differentiable on every device).

    Parameters
    ----------
    lstm : nn.LSTM
        A single-layer, unidirectional, batch-first LSTM whose parameters are used.
    seq : Tensor of shape (B, T, F)

    Returns
    -------
    h : Tensor of shape (B, hidden)
        Last hidden state.
    """
    hidden = lstm.hidden_size
    b = seq.shape[0]
    h = seq.new_zeros(b, hidden)
    c = seq.new_zeros(b, hidden)
    # input projections for all steps at once
    xw = seq @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0
    for t in range(seq.shape[1]):
        gates = xw[:, t] + h @ lstm.weight_hh_l0.T
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    return h


class LSTMTeacher(_Teacher):
    """One LSTM layer (hidden size 40) over the sequence, linear head on the last hidden state.

    On CUDA, when gradients with respect to the input are needed (TRIM attributions with
    ``create_graph=True``), the LSTM runs unrolled with plain tensor ops, because cuDNN's LSTM has no
    double backward. Both paths use the same parameters and agree to float precision.
    """

    def __init__(self, input_shape, n_outputs=1, hidden=40):
        super().__init__("lstm", input_shape, n_outputs)
        features = 1 if len(self.input_shape) == 1 else int(np.prod(self.input_shape[1:]))
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, self.n_outputs)

    def body(self, z):
        seq = z.reshape(z.shape[0], self.input_shape[0], -1)
        if seq.is_cuda and seq.requires_grad:
            h = _lstm_unrolled(self.lstm, seq)
        else:
            h = self.lstm(seq)[1][0][0]
        return self.head(h)


def _layers(dim):
    """Conv, batch norm, max pool and adaptive pools for 1-D (series) or 2-D (maps) inputs."""
    if dim == 1:
        return nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d
    return nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d


class CNNTeacher(_Teacher):
    """Small CNN: four 3x3 conv + ReLU blocks, pooling, global average and max pooling, linear head."""

    def __init__(self, input_shape, n_outputs=1, widths=(8, 16, 32, 32)):
        super().__init__("cnn", input_shape, n_outputs)
        dim = len(self.input_shape)
        conv, _, maxpool, avgpool, gmaxpool = _layers(dim)
        blocks, c_in = [], 1
        size = min(self.input_shape)
        for i, c_out in enumerate(widths):
            blocks += [conv(c_in, c_out, 3, padding=1), nn.ReLU()]
            if i < len(widths) - 1 and size >= 4:
                blocks.append(maxpool(2))
                size //= 2
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        self.avg = avgpool(1)
        self.max = gmaxpool(1)
        self.head = nn.Sequential(nn.Linear(2 * c_in, 32), nn.ReLU(), nn.Linear(32, self.n_outputs))

    def body(self, z):
        f = self.features(z.unsqueeze(1))
        pooled = torch.cat([self.avg(f).flatten(1), self.max(f).flatten(1)], dim=1)
        return self.head(pooled)


class _BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv + BN, identity (or 1x1 projection) shortcut."""

    def __init__(self, dim, c_in, c_out, stride):
        super().__init__()
        conv, bn = _layers(dim)[:2]
        self.conv1 = conv(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = bn(c_out)
        self.conv2 = conv(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = bn(c_out)
        self.relu = nn.ReLU()
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(conv(c_in, c_out, 1, stride=stride, bias=False), bn(c_out))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(out + skip)


class ResNet18Teacher(_Teacher):
    """ResNet-18 with a one-channel input (paper's cosmology teacher)."""

    def __init__(self, input_shape, n_outputs=1, widths=(64, 128, 256, 512)):
        super().__init__("resnet18", input_shape, n_outputs)
        dim = len(self.input_shape)
        conv, bn, maxpool, avgpool, _ = _layers(dim)
        self.stem = nn.Sequential(conv(1, widths[0], 7, stride=2, padding=3, bias=False), bn(widths[0]),
                                  nn.ReLU(), maxpool(3, stride=2, padding=1))
        blocks, c_in = [], widths[0]
        for i, c_out in enumerate(widths):
            stride = 1 if i == 0 else 2
            blocks += [_BasicBlock(dim, c_in, c_out, stride), _BasicBlock(dim, c_out, c_out, 1)]
            c_in = c_out
        self.layers = nn.Sequential(*blocks)
        self.pool = avgpool(1)
        self.head = nn.Linear(c_in, self.n_outputs)

    def body(self, z):
        f = self.layers(self.stem(z.unsqueeze(1)))
        return self.head(self.pool(f).flatten(1))


_ARCHITECTURES = {"mlp": MLPTeacher, "lstm": LSTMTeacher, "cnn": CNNTeacher, "resnet18": ResNet18Teacher}


def _check_input_shape(input_shape, field="input_shape"):
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a tuple of ints, got {input_shape!r}",
                         "pass (L,) for time series or (H, W) for maps") from None
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise InputError(field, f"must be (L,) or (H, W) with positive sizes, got {shape}",
                         "pass (L,) for time series or (H, W) for maps")
    return shape


def build_teacher(name, input_shape, n_outputs=1):
    """Build an untrained built-in teacher.

    Parameters
    ----------
    name : {"mlp", "lstm", "cnn", "resnet18"}
        Architecture.
    input_shape : tuple of int
        ``(L,)`` for time series, ``(H, W)`` for maps (the batch axis excluded).
    n_outputs : int, default=1
        Number of regression outputs.

    Returns
    -------
    teacher : nn.Module
        ``teacher(x)`` maps ``(B, *input_shape)`` float32 to ``(B, n_outputs)``; ``teacher.config`` is
        ``{"name", "input_shape", "n_outputs"}``. Normalisation buffers start at mean 0, std 1.

    Examples
    --------
    >>> build_teacher("mlp", (64,))(torch.zeros(5, 64)).shape
    torch.Size([5, 1])
    """
    if name not in _ARCHITECTURES:
        raise InputError("teacher", f"unknown architecture {name!r}", f"use one of {', '.join(TEACHERS)}")
    shape = _check_input_shape(input_shape)
    if isinstance(n_outputs, bool) or not isinstance(n_outputs, (int, np.integer)) or n_outputs < 1:
        raise InputError("n_outputs", f"must be a positive integer, got {n_outputs!r}", "pass e.g. 1")
    return _ARCHITECTURES[name](shape, int(n_outputs))


def count_params(model):
    """Number of trainable parameters (buffers excluded).

    Parameters
    ----------
    model : nn.Module

    Returns
    -------
    int
    """
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


# --------------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------------

def _as_float32(X, field):
    try:
        arr = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError(field, f"cannot be read as a float array ({exc})", "pass a numeric array") from None
    if arr.ndim not in (2, 3):
        raise InputError(field, f"has shape {arr.shape}", "pass (n, L) time series or (n, H, W) maps")
    if not np.isfinite(arr).all():
        raise InputError(field, "contains NaN or infinite values", "remove or impute them")
    return arr


def _fit_normalisation(model, X, y2):
    x_std = float(X.std())
    y_std = y2.std(axis=0)
    with torch.no_grad():
        model.x_mean.fill_(float(X.mean()))
        model.x_std.fill_(x_std if x_std > 0 else 1.0)
        model.y_mean.copy_(torch.as_tensor(y2.mean(axis=0), dtype=torch.float32))
        model.y_std.copy_(torch.as_tensor(np.where(y_std > 0, y_std, 1.0), dtype=torch.float32))


def _epoch_loss(model, X, Y, batch_size):
    """Mean squared error on the standardised scale, evaluation mode, no gradients."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            xb, yb = X[start:start + batch_size], Y[start:start + batch_size]
            pred = model.standardized(xb)
            total += float(((pred - (yb - model.y_mean) / model.y_std) ** 2).sum())
    return total / (X.shape[0] * Y.shape[1])


def train_teacher(name, X, y, *, X_val=None, y_val=None, epochs=None, batch_size=None, lr=None,
                  patience=None, seed=0, device=None, progress=None, weight_decay=0.0, val_fraction=0.15,
                  num_threads=None):
    """Train a built-in teacher with Adam on the mean squared error, with early stopping.

    Inputs are standardised by one global mean and standard deviation, targets per column; both are
    stored in the model's buffers, so the returned model takes raw data and predicts in target units.
    The loss is computed on the standardised targets. The weights with the lowest validation loss are
    restored at the end. On CPU the result is deterministic given ``seed``.

    Parameters
    ----------
    name : {"mlp", "lstm", "cnn", "resnet18"}
        Architecture (see :data:`TEACHERS`).
    X : array-like of shape (n, L) or (n, H, W)
        Training signals.
    y : array-like of shape (n,) or (n, k)
        Targets; ``n_outputs`` is 1 or ``k``.
    X_val, y_val : array-like, optional
        Validation data for early stopping. Without them a seeded ``val_fraction`` of ``X`` is held out
        (no hold-out when fewer than 10 samples: the training loss is monitored instead).
    epochs, batch_size, lr, patience : optional
        ``None`` takes :data:`TRAINING_DEFAULTS` for the architecture. ``patience`` counts epochs without
        improvement of the validation loss before stopping (``0`` disables early stopping).
    seed : int, default=0
        Seeds the weights, the split and the batch order.
    device : str or torch.device, optional
        See :func:`models.device.resolve_device`. The returned model lives on this device.
    progress : callable, optional
        ``progress(stage, fraction, message)`` with ``stage="teacher"`` after each epoch.
    weight_decay : float, default=0
        Adam's L2 penalty.
    val_fraction : float, default=0.15
        Share of ``X`` held out when no validation data are given.
    num_threads : int, optional
        CPU threads during training (restored afterwards); ``None`` takes :data:`DEFAULT_THREADS`.

    Returns
    -------
    teacher : nn.Module
        Trained, in evaluation mode; ``teacher.history`` holds ``{"train": [...], "val": [...]}`` (MSE
        on the standardised scale per epoch) and ``teacher.best_epoch``.
    """
    if name not in _ARCHITECTURES:
        raise InputError("teacher", f"unknown architecture {name!r}", f"use one of {', '.join(TEACHERS)}")
    defaults = TRAINING_DEFAULTS[name]
    epochs = defaults["epochs"] if epochs is None else int(epochs)
    batch_size = defaults["batch_size"] if batch_size is None else int(batch_size)
    lr = defaults["lr"] if lr is None else float(lr)
    patience = defaults["patience"] if patience is None else int(patience)
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise InputError("epochs", f"epochs={epochs}, batch_size={batch_size}, lr={lr} must be positive",
                         "pass positive values or leave them as None for the defaults")

    X = _as_float32(X, "X")
    y2 = check_targets(y, X.shape[0]).astype(np.float32)
    y2 = y2.reshape(X.shape[0], -1)
    if X_val is not None:
        if y_val is None:
            raise InputError("y_val", "is missing while X_val is given", "pass both or neither")
        X_val = _as_float32(X_val, "X_val")
        if X_val.shape[1:] != X.shape[1:]:
            raise InputError("X_val", f"has sample shape {X_val.shape[1:]} but X has {X.shape[1:]}",
                             "pass validation signals of the same shape")
        yv2 = check_targets(y_val, X_val.shape[0], "y_val").astype(np.float32).reshape(X_val.shape[0], -1)
        if yv2.shape[1] != y2.shape[1]:
            raise InputError("y_val", f"has {yv2.shape[1]} columns but y has {y2.shape[1]}",
                             "pass the same targets")
        X_tr, y_tr = X, y2
    else:
        rng = np.random.default_rng(seed)
        n = X.shape[0]
        n_val = int(round(val_fraction * n)) if n >= 10 else 0
        perm = rng.permutation(n)
        if n_val > 0:
            X_val, yv2 = X[perm[:n_val]], y2[perm[:n_val]]
            X_tr, y_tr = X[perm[n_val:]], y2[perm[n_val:]]
        else:
            X_tr, y_tr = X, y2
            X_val, yv2 = X, y2

    dev = resolve_device(device)
    threads = DEFAULT_THREADS[name] if num_threads is None else int(num_threads)
    with _cpu_threads(threads if dev.type == "cpu" else None):
        return _train(name, X_tr, y_tr, X_val, yv2, dev, epochs, batch_size, lr, patience, seed, progress,
                      weight_decay)


@contextlib.contextmanager
def _cpu_threads(n):
    """Run with ``n`` torch CPU threads (``None``: unchanged), restoring the previous count."""
    if n is None or n < 1:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _train(name, X_tr, y_tr, X_val, yv2, dev, epochs, batch_size, lr, patience, seed, progress, weight_decay):
    """The training loop of :func:`train_teacher` on checked arrays."""
    torch.manual_seed(seed)
    model = build_teacher(name, X_tr.shape[1:], y_tr.shape[1])
    _fit_normalisation(model, X_tr, y_tr)
    model.to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    xt = torch.as_tensor(X_tr, device=dev)
    yt = torch.as_tensor(y_tr, device=dev)
    xv = torch.as_tensor(X_val, device=dev)
    yv = torch.as_tensor(yv2, device=dev)
    generator = torch.Generator().manual_seed(seed)
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())

    best_loss, best_state, best_epoch, stale = math.inf, None, 0, 0
    history = {"train": [], "val": []}
    n_tr = xt.shape[0]
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n_tr, generator=generator).to(dev)
        running = 0.0
        for start in range(0, n_tr, batch_size):
            idx = order[start:start + batch_size]
            if has_bn and idx.numel() < 2:
                continue  # batch norm cannot train on one sample
            xb, yb = xt[idx], yt[idx]
            target = (yb - model.y_mean) / model.y_std
            loss = ((model.standardized(xb) - target) ** 2).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += float(loss.detach()) * idx.numel()
        history["train"].append(running / n_tr)
        val_loss = _epoch_loss(model, xv, yv, 4 * batch_size)
        history["val"].append(val_loss)
        if val_loss < best_loss:
            best_loss, best_epoch, stale = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress("teacher", (epoch + 1) / epochs,
                     f"{name} epoch {epoch + 1}/{epochs}: val MSE {val_loss:.4g} ({elapsed:.0f} s)")
        if patience > 0 and stale >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    model.history = history
    model.best_epoch = best_epoch
    if progress is not None:
        progress("teacher", 1.0, f"{name} trained: best val MSE {best_loss:.4g} at epoch {best_epoch + 1}")
    return model


# --------------------------------------------------------------------------------------------------
# prediction and evaluation
# --------------------------------------------------------------------------------------------------

def _model_device(model):
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return getattr(model, "device", torch.device("cpu"))


def predict(model, X, batch_size=256, device=None):
    """Predictions of a teacher as a numpy array.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, *input_shape)`` to ``(B, n_outputs)``.
    X : array-like of shape (n, *input_shape)
        Raw signals.
    batch_size : int, default=256
    device : str or torch.device, optional
        Where to run; ``None`` uses the model's device.

    Returns
    -------
    ndarray of shape (n, n_outputs), float32
    """
    X = np.asarray(X, dtype=np.float32)
    dev = _model_device(model) if device is None else resolve_device(device)
    if device is not None:
        model = model.to(dev)
    was_training = model.training
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            out = model(torch.as_tensor(X[start:start + batch_size], device=dev))
            outputs.append(out.reshape(out.shape[0], -1).float().cpu().numpy())
    model.train(was_training)
    if not outputs:
        n_out = getattr(model, "n_outputs", 1)
        return np.zeros((0, n_out), dtype=np.float32)
    return np.concatenate(outputs, axis=0)


def evaluate_teacher(model, X, y, target=0, batch_size=256):
    """R² and RMSE of one output of a teacher.

    Parameters
    ----------
    model : nn.Module
    X : array-like of shape (n, *input_shape)
    y : array-like of shape (n,) or (n, k)
        True targets; for ``(n, k)`` column ``target`` is scored.
    target : int, default=0
        Output (and target column) to score.
    batch_size : int, default=256

    Returns
    -------
    dict
        ``{"r2": float, "rmse": float}`` (RMSE in target units).
    """
    pred = predict(model, X, batch_size=batch_size)
    y = np.asarray(y, dtype=np.float64)
    n_cols = 1 if y.ndim == 1 else y.shape[1]
    if not 0 <= target < min(pred.shape[1], n_cols):
        raise InputError("target", f"{target} is out of range for a teacher with {pred.shape[1]} outputs "
                         f"and {n_cols} target columns",
                         f"pass an index between 0 and {min(pred.shape[1], n_cols) - 1}")
    y_t = y if y.ndim == 1 else y[:, target]
    p = pred[:, target].astype(np.float64)
    resid = float(((y_t - p) ** 2).sum())
    total = float(((y_t - y_t.mean()) ** 2).sum())
    r2 = 1.0 - resid / total if total > 0 else (1.0 if resid == 0 else 0.0)
    return {"r2": r2, "rmse": math.sqrt(resid / len(y_t))}


def validate_teacher(model, input_shape, n_outputs=None, batch=2, device=None):
    """Run a sample input through a teacher and check its output.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        ``(L,)`` or ``(H, W)``.
    n_outputs : int, optional
        Expected number of outputs; ``None`` accepts any.
    batch : int, default=2
        Sample batch size.
    device : str or torch.device, optional
        ``None`` uses the model's device.

    Returns
    -------
    n_outputs : int

    Raises
    ------
    ValueError
        When the model fails on the input, returns a wrong shape or non-finite values.
    """
    shape = _check_input_shape(input_shape)
    dev = _model_device(model) if device is None else resolve_device(device)
    x = torch.randn((batch, *shape), generator=torch.Generator().manual_seed(0)).to(dev)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as exc:  # any failure of foreign code is a bad upload
        raise InputError("teacher", f"fails on an input of shape {tuple(x.shape)}: {exc}",
                         f"upload a model that takes (B, {', '.join(map(str, shape))}) float32 input") from None
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor):
        raise InputError("teacher", f"returned {type(out).__name__}, not a tensor",
                         "upload a model whose forward returns one tensor (B, n_outputs)")
    if out.ndim != 2 or out.shape[0] != batch:
        raise InputError("teacher", f"returned shape {tuple(out.shape)} for a batch of {batch}",
                         "upload a model returning (B, n_outputs)")
    if n_outputs is not None and out.shape[1] != n_outputs:
        raise InputError("teacher", f"returned {out.shape[1]} outputs, expected {n_outputs}",
                         "upload a model with one output per target column")
    if not torch.isfinite(out).all():
        raise InputError("teacher", "returned NaN or infinite values on a sample input",
                         "check the uploaded weights")
    return int(out.shape[1])


# --------------------------------------------------------------------------------------------------
# saving and loading
# --------------------------------------------------------------------------------------------------

def save_teacher(model, path):
    """Save a built-in teacher as safetensors, with its config in the metadata.

    Parameters
    ----------
    model : nn.Module
        A teacher from :func:`build_teacher` or :func:`train_teacher` (has ``.config``).
    path : str or Path
        Destination, normally ending in ``.safetensors``.

    Returns
    -------
    Path
    """
    from safetensors.torch import save_file

    config = getattr(model, "config", None)
    if not isinstance(config, dict) or config.get("name") not in _ARCHITECTURES:
        raise InputError("model", "is not a built-in teacher (no config)",
                         "save built-in teachers only; keep uploaded .pt2 programs as they are")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path = Path(path)
    save_file(tensors, str(path), metadata={_METADATA_KEY: json.dumps(config)})
    return path


def _load_state(model, state, source):
    """Load ``state`` into ``model``; normalisation buffers may be missing (they keep 0/1)."""
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError("file", f"{source} does not hold a flat dict of tensors (a state dict)",
                         "save model.state_dict() with torch.save, or use safetensors")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and k not in _NORM_BUFFERS]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise InputError("file", f"{source} does not match the {model.name} architecture "
                         f"(missing {missing[:5]}, unexpected {unexpected[:5]})",
                         "choose the architecture the weights were trained with, and the same input shape")
    wrong = [f"{k}: {tuple(v.shape)} vs {tuple(expected[k].shape)}" for k, v in state.items()
             if tuple(v.shape) != tuple(expected[k].shape)]
    if wrong:
        raise InputError("file", f"{source} has tensors of the wrong shape for {model.name} "
                         f"with input {model.input_shape}: {wrong[:3]}",
                         "check the architecture, the input shape and the number of outputs")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=False)


def _need_shape(name, input_shape, source):
    if name is None or input_shape is None:
        raise InputError("teacher", f"{source} carries no architecture config",
                         "pass the architecture name and input_shape (e.g. name='lstm', input_shape=(40,))")


class ExportedTeacher(nn.Module):
    """A :func:`torch.export` program wrapped to behave like a teacher module.

    Programs exported with a fixed batch size are run chunk by chunk (the last chunk zero-padded), so any
    batch size works.

    Parameters
    ----------
    program : torch.export.ExportedProgram
    input_shape : tuple of int
    n_outputs : int
    batch_size : int or None
        The program's fixed batch size, ``None`` when dynamic.
    """

    def __init__(self, program, input_shape, n_outputs, batch_size=None):
        super().__init__()
        self.program = program.module()
        self.name = "exported"
        self.input_shape = tuple(input_shape)
        self.n_outputs = None if n_outputs is None else int(n_outputs)
        self.fixed_batch = batch_size

    @property
    def config(self):
        """dict: ``name`` (``"exported"``), ``input_shape``, ``n_outputs``."""
        return {"name": self.name, "input_shape": list(self.input_shape), "n_outputs": self.n_outputs}

    def train(self, mode=True):  # exported programs cannot switch mode; keep the flag only
        self.training = mode
        return self

    def _call(self, x):
        out = self.program(x)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if isinstance(out, torch.Tensor) and out.ndim == 1:
            out = out.unsqueeze(1)  # (B,) is read as one output; other shapes are left to validation
        return out

    def forward(self, x):
        """Predict; ``x`` of shape ``(B, *input_shape)`` -> ``(B, n_outputs)``."""
        b = self.fixed_batch
        if b is None or x.shape[0] == b:
            return self._call(x)
        outs = []
        for start in range(0, x.shape[0], b):
            chunk = x[start:start + b]
            k = chunk.shape[0]
            if k < b:
                chunk = torch.cat([chunk, chunk.new_zeros((b - k, *chunk.shape[1:]))], dim=0)
            outs.append(self._call(chunk)[:k])
        return torch.cat(outs, dim=0)


def _exported_input_shape(program):
    """(sample shape, fixed batch size or None) of an exported program's first user input."""
    user_inputs = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs:
            val = node.meta.get("val")
            if val is None:
                break
            dims = list(val.shape)
            batch = dims[0] if isinstance(dims[0], int) else None
            sample = tuple(d if isinstance(d, int) else None for d in dims[1:])
            return sample, batch
    return None, None


_EXPORT_LOCK = threading.Lock()


class _RefusedPickle(pickle.UnpicklingError):
    """Raised instead of unpickling anything while a ``.pt2`` archive is read."""


@contextlib.contextmanager
def _weights_only_unpickling():
    """Make :func:`torch.export.load` unable to run pickled code.

    ``torch.export.load`` falls back to ``torch.load(weights_only=False)`` (sample inputs, pickled
    weights and constants) and calls ``pickle.loads`` for opaque objects, so a crafted archive could run
    code. While this context is active ``torch.load`` is forced to ``weights_only=True`` and the raw
    unpicklers of the archive reader raise. A lock keeps the patch from racing another load.
    """
    from torch.export.pt2_archive import _package

    def refuse(*args, **kwargs):
        raise _RefusedPickle("pickled Python objects are not accepted in uploaded programs")

    original_load = torch.load

    def weights_only_load(*args, **kwargs):
        kwargs["weights_only"] = True
        return original_load(*args, **kwargs)

    class _NoPickle:
        loads = staticmethod(refuse)
        load = staticmethod(refuse)
        UnpicklingError = pickle.UnpicklingError

    with _EXPORT_LOCK:
        saved = (torch.load, _package.pickle, torch._C._pickle_load_obj)
        torch.load, _package.pickle, torch._C._pickle_load_obj = weights_only_load, _NoPickle, refuse
        try:
            yield
        finally:
            torch.load, _package.pickle, torch._C._pickle_load_obj = saved


def _load_exported(path, input_shape, n_outputs):
    try:
        with _weights_only_unpickling():
            program = torch.export.load(str(path))
    except Exception as exc:  # corrupt archive, wrong format, refused content
        if isinstance(exc, pickle.UnpicklingError) or "Weights only load failed" in str(exc):
            raise InputError("file", f"{path.name} contains pickled Python objects; it was refused unread",
                             "export a plain tensor program with torch.export.export and torch.export.save"
                             ) from None
        raise InputError("file", f"cannot be read as a torch.export program ({exc})",
                         "export with torch.export.export(model, (x,)) and torch.export.save") from None
    sample, batch = _exported_input_shape(program)
    if input_shape is None:
        if sample is None or any(d is None for d in sample):
            raise InputError("input_shape", "cannot be read from the exported program",
                             "pass input_shape, e.g. (64, 64)")
        input_shape = sample
    input_shape = _check_input_shape(input_shape)
    if sample is not None and all(d is not None for d in sample) and tuple(sample) != input_shape:
        raise InputError("input_shape", f"{input_shape} differs from the program's input {sample}",
                         f"use data of shape (n, {', '.join(map(str, sample))})")
    model = ExportedTeacher(program, input_shape, n_outputs, batch)
    model.n_outputs = validate_teacher(model, input_shape, n_outputs, batch=batch or 2)
    return model


def load_teacher(path, name=None, input_shape=None, n_outputs=None, device=None):
    """Load teacher weights safely.

    Parameters
    ----------
    path : str or Path
        ``.safetensors`` (from :func:`save_teacher`, or a state dict of a built-in architecture together
        with ``name`` and ``input_shape``), ``.pt``/``.pth`` (a state dict of a built-in architecture,
        read with ``torch.load(weights_only=True)``; may be nested under ``"state_dict"``), or ``.pt2``
        (a :func:`torch.export.save` archive, any architecture).
    name : {"mlp", "lstm", "cnn", "resnet18"}, optional
        Architecture; required for ``.pt``/``.pth`` and for safetensors files without config.
    input_shape : tuple of int, optional
        ``(L,)`` or ``(H, W)``; required with ``name``; read from the program for ``.pt2``.
    n_outputs : int or None, default=None
        Expected number of outputs (a mismatch raises ValueError); ``None`` accepts what the file holds
        (the config, the ``y_mean`` buffer or the last bias of a state dict, the program's output).
    device : str or torch.device, optional
        Where the returned model lives (default: :func:`models.device.resolve_device`).

    Returns
    -------
    teacher : nn.Module
        In evaluation mode; maps ``(B, *input_shape)`` to ``(B, n_outputs)``.

    Raises
    ------
    ValueError
        Unknown suffix, a pickle that is not plain weights (``weights_only`` refuses it), keys or shapes
        that do not match the architecture, a wrong output shape, non-finite outputs.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError("file", f"{path.name} does not exist", "pass the path of a saved teacher")
    dev = resolve_device(device)
    if suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file, safe_open

        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
            state = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise InputError("file", f"{path.name} is not a valid safetensors file ({exc})",
                             "save with save_teacher or safetensors.torch.save_file") from None
        config = None
        if _METADATA_KEY in metadata:
            try:
                config = json.loads(metadata[_METADATA_KEY])
            except json.JSONDecodeError:
                config = None
        if config is not None and (name is None or name == config.get("name")):
            model = build_teacher(config["name"], config["input_shape"], int(config.get("n_outputs", 1)))
            if input_shape is not None and _check_input_shape(input_shape) != model.input_shape:
                raise InputError("input_shape", f"{tuple(input_shape)} differs from the saved teacher's "
                                 f"{model.input_shape}", "use data of the shape the teacher was trained on")
        else:
            _need_shape(name, input_shape, path.name)
            model = build_teacher(name, input_shape, _n_out_from_state(state, n_outputs))
        _load_state(model, state, path.name)
    elif suffix in (".pt", ".pth"):
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise InputError("file", f"{path.name} contains Python objects other than weights; it was refused "
                             f"unread ({str(exc).splitlines()[0]})",
                             "upload model.state_dict() saved with torch.save, or a .safetensors file") from None
        except Exception as exc:  # truncated or not a torch file
            raise InputError("file", f"{path.name} is not a readable torch file ({exc})",
                             "upload model.state_dict() saved with torch.save") from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        _need_shape(name, input_shape, path.name)
        model = build_teacher(name, input_shape, _n_out_from_state(state, n_outputs))
        _load_state(model, state, path.name)
    elif suffix == ".pt2":
        model = _load_exported(path, input_shape, n_outputs)
        model.to(dev)
        model.eval()
        return model
    else:
        raise InputError("file", f"unknown teacher file type {suffix or '(none)'!r}",
                         "upload .safetensors, .pt/.pth (a state dict) or .pt2 (torch.export)")
    model.to(dev)
    model.eval()
    if n_outputs is not None and model.n_outputs != n_outputs:
        raise InputError("n_outputs", f"the teacher has {model.n_outputs} outputs, expected {n_outputs}",
                         "pass the number of target columns the teacher was trained on (None accepts any)")
    validate_teacher(model, model.input_shape, model.n_outputs)
    return model


def _n_out_from_state(state, n_outputs):
    """Number of outputs implied by a state dict (``y_mean`` or the last bias), else ``n_outputs``."""
    if isinstance(state, dict):
        if isinstance(state.get("y_mean"), torch.Tensor):
            return int(state["y_mean"].numel())
        biases = [v for k, v in state.items() if k.endswith("bias") and isinstance(v, torch.Tensor)]
        if n_outputs is None and biases:
            return int(biases[-1].numel())
    return int(n_outputs or 1)
