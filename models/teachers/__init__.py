"""Teacher networks: the four built-in architectures, their training, inference, and safe saving and loading.

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

Uploaded weights are read without unpickling or evaluating anything and without patching torch:
``.safetensors``, ``.pt``/``.pth`` through ``torch.load(weights_only=True)``, and ``.pt2`` by reading the
archive's parts and running its graph of ATen operators (never :func:`torch.export.load`). The web process
checks an upload in a child process (:func:`check_teacher_file_isolated`).

Modules: ``architectures`` (the networks, :func:`build_teacher`), ``training`` (:func:`train_teacher`, and
:func:`train_best_teacher` for ``teacher="auto"``), ``inference`` (:func:`predict`, :func:`evaluate_teacher`,
:func:`validate_teacher`), ``loading`` (:func:`save_teacher`, :func:`load_teacher`), ``exported`` and ``graph``
(``.pt2`` programs), ``check`` (the upload check, in process or isolated).
"""

# private, used by the tests: the unrolled LSTM that cuDNN's LSTM is checked against
from awd_studio.models.teachers.architectures import (
    TEACHERS,
    CNNTeacher,
    LSTMTeacher,
    MLPTeacher,
    ResNet18Teacher,
    _lstm_unrolled,  # noqa: F401
    build_teacher,
    count_params,
    default_teacher,
)
from awd_studio.models.teachers.check import check_teacher_file, check_teacher_file_isolated
from awd_studio.models.teachers.exported import ExportedTeacher
from awd_studio.models.teachers.inference import evaluate_teacher, predict, teacher_output_for, validate_teacher
from awd_studio.models.teachers.loading import load_teacher, save_teacher
from awd_studio.models.teachers.training import DEFAULT_THREADS, TRAINING_DEFAULTS, train_best_teacher, train_teacher

__all__ = [
    "TEACHERS",
    "TRAINING_DEFAULTS",
    "DEFAULT_THREADS",
    "default_teacher",
    "build_teacher",
    "train_teacher",
    "train_best_teacher",
    "save_teacher",
    "load_teacher",
    "validate_teacher",
    "teacher_output_for",
    "evaluate_teacher",
    "predict",
    "count_params",
    "check_teacher_file",
    "check_teacher_file_isolated",
    "ExportedTeacher",
    "MLPTeacher",
    "LSTMTeacher",
    "CNNTeacher",
    "ResNet18Teacher",
]
