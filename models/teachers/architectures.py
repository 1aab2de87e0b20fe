"""The four built-in teacher architectures and the one place that builds them by name.

Every built-in teacher standardises its input and un-standardises its output itself, through buffers
(``x_mean``, ``x_std``: scalars; ``y_mean``, ``y_std``: one per output) that :func:`train_teacher` sets and
the state dict keeps, so callers pass raw data and read predictions in target units. See
:mod:`models.teachers` for the architectures themselves.
"""

import numpy as np
import torch
from torch import nn

from awd_studio.models.options import TEACHER_ARCHITECTURES
from awd_studio.models.validation import InputError

__all__ = ["TEACHERS", "default_teacher", "build_teacher", "count_params", "MLPTeacher", "LSTMTeacher",
           "CNNTeacher", "ResNet18Teacher"]

#: Names of the built-in architectures.
TEACHERS = TEACHER_ARCHITECTURES

#: Normalisation buffers every built-in teacher carries (a state dict may omit them: they keep 0 and 1).
_NORM_BUFFERS = ("x_mean", "x_std", "y_mean", "y_std")


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
    """Small CNN: four 3x3 conv + ReLU blocks, pooling, global average and max pooling, linear head.

    In the pooled blocks the ReLU follows the 2x max pool: ``relu(maxpool(x)) == maxpool(relu(x))`` (the ReLU
    is monotone), so the network computes the same function with the ReLU on a quarter of the values; the
    trained weights are the same to the bit (``tests/models/test_teachers.py``). Training epochs on a CPU took
    a median 25 % (one thread) and 10 % (two threads) less time than with the ReLU first (bench/RESULTS.md,
    "2026-12-02").
    """

    def __init__(self, input_shape, n_outputs=1, widths=(8, 16, 32, 32)):
        super().__init__("cnn", input_shape, n_outputs)
        dim = len(self.input_shape)
        conv, _, maxpool, avgpool, gmaxpool = _layers(dim)
        blocks, c_in = [], 1
        size = min(self.input_shape)
        for i, c_out in enumerate(widths):
            blocks.append(conv(c_in, c_out, 3, padding=1))
            if i < len(widths) - 1 and size >= 4:
                blocks.append(maxpool(2))
                size //= 2
            blocks.append(nn.ReLU())
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
