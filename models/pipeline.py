"""One distillation job end to end: data -> teacher -> lambda/gamma grid -> selection -> students -> bundle.

The same job runs in one call (:func:`run`, used by ``awd distill``) or in three stages that a worker pool can
spread out (:func:`prepare`, then :func:`distill_chunk` on any partition of the grid, then :func:`finalize`).
Every stage reads and writes files in a work directory, so a stage that dies can simply run again. Because the
vectorised grid equals separate fits, chunking does not change the result.

The result bundle (``result.json`` + ``arrays.npz`` + figures) follows
``models/schema/result-bundle.schema.json``.
"""

import dataclasses
import datetime as _dt
import hashlib
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

from models import __version__
from models import filters as _filters
from models import metrics as _metrics
from models import predictors as _predictors
from models import teachers as _teachers
from models import wavelets as _wavelets
from models.attributions import ATTRIBUTION_METHODS, trim_attributions
from models.data import load_dataset, split_dataset
from models.device import resolve_device
from models.distill import Cancelled, TransformOperator, WaveletDistiller, grid_points
from models.files import atomic_write_bytes
from models.validation import InputError

__all__ = [
    "PipelineConfig",
    "Cancelled",
    "run",
    "prepare",
    "distill_chunk",
    "finalize",
    "grid_points_of",
    "SCHEMA_PATH",
]

SCHEMA_PATH = Path(__file__).parent / "schema" / "result-bundle.schema.json"
SCHEMA_ID = "awd-result/1"
#: Cascade depth for phi and psi in the bundle (N = 10 gives 1153 points).
CASCADE_LEVEL = 7
#: Number of test examples whose activation maps go into the bundle.
N_ACTIVATION_EXAMPLES = 8

#: Defaults per data kind: a grid that finishes in a few minutes on two CPU cores. The paper's full grids are
#: available as ``grid_preset="paper"``.
KIND_DEFAULTS = {
    "timeseries": {
        "lambdas": [1e-4, 7e-4, 5e-3],
        "gammas": [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        "epochs": 50,
    },
    "image": {
        "lambdas": [0.005, 0.01, 0.02],
        "gammas": [0.0, 0.001, 0.005, 0.02, 0.05],
        "epochs": 15,
    },
}
PAPER_GRIDS = {
    "timeseries": {"lambdas": list(np.geomspace(1e-4, 5e-3, 5)),
                   "gammas": [0.0] + list(np.geomspace(1e-4, 10, 20)), "epochs": 100},
    "image": {"lambdas": [0.005, 0.01, 0.02],
              "gammas": [0.0] + list(np.geomspace(0.001, 0.05, 10)), "epochs": 50},
}
#: The paper's section 4.1 grid (synthetic recovery, docs/science.md), for time series.
SYNTHETIC_GRID = {"lambdas": list(np.geomspace(1e-5, 1e-4, 5)),
                  "gammas": [0.0] + list(np.geomspace(1e-5, 50, 20)), "epochs": 50}
GRID_PRESETS = ("default", "paper", "synthetic")
#: Boundary modes a config accepts: the transform's, and "auto" (chosen from the signal length, see
#: :func:`choose_mode`).
CONFIG_MODES = ("auto",) + tuple(_wavelets.MODES)
INPUT_SCALINGS = ("auto", "teacher", "none")
SELECTION_RULES = ("one_se", "best")


@dataclasses.dataclass
class PipelineConfig:
    """Everything that defines a distillation job (stored in the bundle's provenance).

    ``None`` fields take the defaults of the data kind (:data:`KIND_DEFAULTS`) when the data is read.
    A gamma of 0 is always part of the grid: it is the "AWD without interpretation loss" baseline.
    """

    teacher: str = "auto"
    teacher_path: str | None = None
    target: int = 0
    levels: int = 4
    wave: str = "db5"
    mode: str = "auto"
    parametrization: str = "orthogonal"
    lambdas: list | None = None
    gammas: list | None = None
    grid_preset: str = "default"
    epochs: int | None = None
    batch_size: int = 100
    lr: float = 1e-3
    warmup_epochs: int = 0
    patience: int | None = None
    attribution: str = "saliency"
    ig_steps: int = 8
    init_noise: float = 0.0
    seed: int = 0
    device: str | None = None
    test_fraction: float = 0.2
    cv_folds: int = 5
    top_k: int = 6
    gradient_path: str = "auto"
    teacher_epochs: int | None = None
    cv_repeats: int = 3
    selection_rule: str = "one_se"
    input_scaling: str = "auto"
    student_penalty: str = "cv"
    peak_covariance: str = "pooled"

    @classmethod
    def from_dict(cls, d):
        """Build and validate a config; unknown keys and bad values raise ValueError naming the field."""
        d = dict(d or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown option; known options are {', '.join(sorted(names))}")
        config = cls(**d)
        config.validate()
        return config

    def to_dict(self):
        """A JSON-able dict of every field."""
        return {k: (list(map(float, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
                for k, v in dataclasses.asdict(self).items()}

    def validate(self):
        """Check every field; raise ValueError naming the first bad one."""
        if self.teacher != "auto" and self.teacher not in _teachers.TEACHERS:
            raise ValueError(f"teacher: {self.teacher!r}; pass 'auto' or one of {', '.join(_teachers.TEACHERS)}")
        if self.mode not in CONFIG_MODES:
            raise ValueError(f"mode: {self.mode!r}; pass one of {', '.join(CONFIG_MODES)}")
        for name, allowed in (("input_scaling", INPUT_SCALINGS), ("selection_rule", SELECTION_RULES),
                              ("student_penalty", ("cv", "none")), ("peak_covariance", ("pooled", "per_class"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: {getattr(self, name)!r}; pass one of {', '.join(allowed)}")
        if self.parametrization not in ("free", "orthogonal"):
            raise ValueError(f"parametrization: {self.parametrization!r}; pass 'free' or 'orthogonal'")
        if self.attribution not in ATTRIBUTION_METHODS:
            raise ValueError(f"attribution: {self.attribution!r}; pass one of {', '.join(ATTRIBUTION_METHODS)}")
        if self.grid_preset not in GRID_PRESETS:
            raise ValueError(f"grid_preset: {self.grid_preset!r}; pass one of {', '.join(GRID_PRESETS)}")
        _filters.lowpass_filter(self.wave)  # raises for unknown or non-orthogonal wavelets
        for name in ("levels", "batch_size", "cv_folds", "top_k", "ig_steps", "cv_repeats"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        for name in ("epochs", "teacher_epochs", "patience"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        if self.cv_folds < 2:
            raise ValueError(f"cv_folds: must be at least 2, got {self.cv_folds}")
        if not (isinstance(self.target, int) and self.target >= 0):
            raise ValueError(f"target: must be a non-negative integer, got {self.target!r}")
        if not 0.05 <= self.test_fraction <= 0.5:
            raise ValueError(f"test_fraction: must be in [0.05, 0.5], got {self.test_fraction}")
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise ValueError(f"lr: must be positive, got {self.lr}")
        if not (self.init_noise >= 0 and np.isfinite(self.init_noise)):
            raise ValueError(f"init_noise: must be >= 0, got {self.init_noise}")
        for name in ("lambdas", "gammas"):
            values = getattr(self, name)
            if values is None:
                continue
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
                raise ValueError(f"{name}: give a non-empty list of numbers")
            if len(values) > 64:
                raise ValueError(f"{name}: at most 64 values, got {len(values)}")
            try:
                arr = np.asarray(values, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: every value must be a number") from None
            if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{name}: every value must be a finite number >= 0")
            setattr(self, name, sorted(set(float(v) for v in arr)))
        if self.device is not None:
            resolve_device(self.device)
        if self.teacher_path is not None and not Path(self.teacher_path).is_file():
            raise ValueError(f"teacher_path: no file at {self.teacher_path}")
        return self

    def resolved(self, kind, shape=None):
        """A copy with the kind's defaults filled in, gamma = 0 added to the grid and ``mode="auto"`` chosen.

        Parameters
        ----------
        kind : {"timeseries", "image"}
        shape : tuple of int, optional
            Shape of one sample; needed to resolve ``mode="auto"`` (see :func:`choose_mode`).
        """
        if self.grid_preset == "synthetic" and kind != "timeseries":
            raise ValueError("grid_preset: 'synthetic' is the paper's grid for the synthetic time series; "
                             "use 'default' or 'paper' for maps")
        base = {"paper": PAPER_GRIDS[kind], "synthetic": SYNTHETIC_GRID}.get(self.grid_preset, KIND_DEFAULTS[kind])
        out = dataclasses.replace(self)
        if out.mode == "auto" and shape is not None:
            out.mode = choose_mode(kind, shape, len(_filters.lowpass_filter(out.wave)), out.levels, out.top_k)[0]
        if out.lambdas is None:
            out.lambdas = [float(v) for v in base["lambdas"]]
        if out.gammas is None:
            out.gammas = [float(v) for v in base["gammas"]]
        if 0.0 not in out.gammas:
            out.gammas = [0.0] + list(out.gammas)
        if out.epochs is None:
            out.epochs = base["epochs"]
        if out.teacher == "auto":
            out.teacher = _teachers.default_teacher(kind)
        return out


def choose_mode(kind, shape, filter_len, levels, top_k):
    """The boundary mode ``mode="auto"`` resolves to, and why.

    Time series: ``periodization`` when every band of the J-level transform holds at least ``top_k``
    coefficients (no padded features in the top-k student), else ``zero`` (the reference implementation's
    mode: its bands are longer, ``floor((n + N - 1) / 2)`` per level). Maps: ``periodization`` (exact and
    orthogonal; the peak student does not read the bands).

    Parameters
    ----------
    kind : {"timeseries", "image"}
    shape : tuple of int
        Shape of one sample, ``(L,)`` or ``(H, W)``.
    filter_len : int
        Length N of the lowpass filter.
    levels : int
        Decomposition levels J.
    top_k : int
        Coefficients the time-series student keeps per band.

    Returns
    -------
    mode : {"periodization", "zero"}
    reason : str
        One sentence for the bundle.

    Examples
    --------
    >>> choose_mode("timeseries", (40,), 10, 4, 6)[0]
    'zero'
    >>> choose_mode("timeseries", (256,), 10, 4, 6)[0]
    'periodization'
    """
    if kind != "timeseries":
        return "periodization", "maps: periodization (exact, orthogonal; the peak student does not read the bands)"
    length = int(shape[0])
    periodic = _wavelets.coeff_lengths(length, filter_len, levels, "periodization")
    if min(periodic) >= top_k:
        return "periodization", (f"periodization: with J = {levels} on {length} samples every band has at least "
                                 f"top_k = {top_k} coefficients ({', '.join(map(str, periodic))})")
    zero = _wavelets.coeff_lengths(length, filter_len, levels, "zero")
    return "zero", (f"zero: periodization with J = {levels} on {length} samples gives bands of "
                    f"{', '.join(map(str, periodic))}, shorter than top_k = {top_k} (padded features); zero mode "
                    f"gives {', '.join(map(str, zero))}")


def grid_points_of(config):
    """The (lambda, gamma) pairs of a resolved config, lambda-major."""
    return grid_points(config.lambdas, config.gammas)


# ---------------------------------------------------------------------------------------------- file helpers


def _write_json(path, obj):
    atomic_write_bytes(path, json.dumps(obj, indent=1, allow_nan=False).encode())


def _write_npz(path, **arrays):
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def _read_npz(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git_sha():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _now():
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _report(progress, stage, fraction, message):
    if progress is not None:
        progress(stage, float(min(max(fraction, 0.0), 1.0)), message)


def _select_target(y, target):
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        if target != 0:
            raise ValueError(f"target: the data has one target column, so target must be 0, got {target}")
        return y
    if target >= y.shape[1]:
        raise ValueError(f"target: the data has {y.shape[1]} target columns; pass 0..{y.shape[1] - 1}")
    return y[:, target]


# ---------------------------------------------------------------------------------------------- stages
def prepare(data_path, config, work_dir, progress=None):
    """Stage 1: read and split the data, train or load the teacher, and store both in ``work_dir``.

    Fits that an earlier preparation left in ``work_dir/chunks`` are removed: they belong to another teacher or
    config, and :func:`distill_chunk` would otherwise reuse them.

    Parameters
    ----------
    data_path : str or Path
        A data file in any format :func:`models.data.load_dataset` reads.
    config : PipelineConfig or dict
    work_dir : str or Path
    progress : callable, optional
        ``progress(stage, fraction, message)``.

    Returns
    -------
    dict
        What was prepared: data summary, resolved config, teacher scores, timings.
    """
    started = time.perf_counter()
    config = config if isinstance(config, PipelineConfig) else PipelineConfig.from_dict(config)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    _report(progress, "data", 0.0, "reading the data")
    dataset = load_dataset(data_path)
    mode_reason = None
    if config.mode == "auto":
        mode_reason = "auto, " + choose_mode(dataset.kind, dataset.sample_shape,
                                              len(_filters.lowpass_filter(config.wave)), config.levels,
                                              config.top_k)[1]
    config = config.resolved(dataset.kind, dataset.sample_shape)
    X_train, y_train_all, X_test, y_test_all = split_dataset(dataset, test_fraction=config.test_fraction,
                                                             seed=config.seed)
    y_train = _select_target(y_train_all, config.target)
    y_test = _select_target(y_test_all, config.target)
    if len(X_train) < 2 * config.cv_folds:
        raise ValueError(f"X: {len(X_train)} training samples are too few for {config.cv_folds}-fold "
                         "cross-validation; give more data or fewer cv_folds")
    for length in X_train.shape[1:]:
        _wavelets.check_level(length, len(_filters.lowpass_filter(config.wave)), config.levels, config.mode)
    device = resolve_device(config.device)
    # a new preparation (other data, config or teacher) makes earlier fits of this work directory stale
    for stale in sorted((work_dir / "chunks").glob("chunk_*.npz")):
        stale.unlink()
    # every target column, for students whose classes are full parameter rows (the map student)
    y_train_all = np.asarray(y_train_all, dtype=float).reshape(len(X_train), -1)
    y_test_all = np.asarray(y_test_all, dtype=float).reshape(len(X_test), -1)
    _write_npz(work_dir / "split.npz", X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
               y_train_all=y_train_all, y_test_all=y_test_all)

    input_shape = tuple(X_train.shape[1:])
    t0 = time.perf_counter()
    if config.teacher_path is not None:
        _report(progress, "teacher", 0.1, f"loading the uploaded teacher {Path(config.teacher_path).name}")
        teacher = _teachers.load_teacher(config.teacher_path, name=config.teacher, input_shape=input_shape)
        attribution_target = config.target
        teacher_file = str(Path(config.teacher_path).resolve())
        teacher_name = f"uploaded ({config.teacher})"
    else:
        _report(progress, "teacher", 0.1, f"training the {config.teacher} teacher")

        def teacher_progress(stage, fraction, message):
            _report(progress, "teacher", 0.1 + 0.9 * fraction, message)

        kwargs = {"epochs": config.teacher_epochs} if config.teacher_epochs else {}
        teacher = _teachers.train_teacher(config.teacher, X_train, y_train, seed=config.seed, device=device,
                                          progress=teacher_progress, **kwargs)
        attribution_target = 0
        teacher_file = str(work_dir / "teacher.safetensors")
        _teachers.save_teacher(teacher, teacher_file)
        teacher_name = config.teacher
    teacher_seconds = time.perf_counter() - t0
    teacher.eval()
    _check_teacher_is_finite(teacher, X_train)
    scores = _teachers.evaluate_teacher(teacher, X_test, y_test, target=attribution_target)
    if not (np.isfinite(scores["r2"]) and np.isfinite(scores["rmse"])):
        raise InputError("teacher", "returns NaN or infinite values on the test split of this dataset",
                         "check the teacher on your data (its normalisation and input layout), or let AWD "
                         "Studio train one")
    seconds = _metrics.seconds_per_sample(lambda X: _teachers.predict(teacher, X), X_test)
    how = config.input_scaling if config.input_scaling != "auto" else (
        "teacher" if dataset.kind == "timeseries" else "none")
    x_offset, x_scale, scaling_source = input_scaling(teacher, X_train, how)
    target_names = list(getattr(dataset, "target_names", None) or [])
    info = {
        "config": config.to_dict(),
        "data": {"kind": dataset.kind, "shape": [int(s) for s in input_shape], "n_train": int(len(X_train)),
                 "n_test": int(len(X_test)), "sha256": _sha256(data_path), "name": dataset.name,
                 "true_wavelet": _true_wavelet(dataset.meta),
                 "target_name": (str(target_names[config.target]) if config.target < len(target_names)
                                 else f"target {config.target}")},
        "mode_choice": mode_reason or f"{config.mode} (set in the config)",
        "scaling": {"offset": x_offset, "scale": x_scale, "source": scaling_source},
        "teacher": {"name": teacher_name, "n_params": int(_teachers.count_params(teacher)),
                    "test": {"r2": float(scores["r2"]), "rmse": float(scores["rmse"])},
                    "predict_seconds_per_sample": float(seconds), "file": teacher_file,
                    "attribution_target": int(attribution_target), "train_seconds": teacher_seconds},
        "device": str(device),
        "started": _now(),
        "timings": {"prepare": time.perf_counter() - started},
    }
    _write_json(work_dir / "prepare.json", info)
    _report(progress, "teacher", 1.0, f"teacher test R2 {scores['r2']:.3f}")
    return info


def input_scaling(teacher, X_train, how="teacher"):
    """The affine scaling ``(x - offset) / scale`` under which AWD and the time-series students see the data.

    The config's ``input_scaling="auto"`` takes ``"teacher"`` for time series and ``"none"`` for maps: the map
    student counts peaks on the raw maps (its histogram ranges are in convergence units) and the paper's map
    grid of lambda and gamma was set on raw convergence maps; on maps scaled to unit SD the sparsity term
    outweighs the interpretation term by about 1000 to 1 over that grid, so gamma has no effect
    (docs/science-students.md).

    With ``how="teacher"`` it is the scaling the teacher saw: the built-in teachers carry their input mean and
    SD as buffers (``x_mean``, ``x_std``); a teacher without them (an uploaded program) gets the training
    data's global mean and SD, the scaling the built-in teachers use. This gives the penalties lambda and
    gamma, and the students, the same meaning on raw counts of 2e4 as on data of unit scale.

    Parameters
    ----------
    teacher : torch.nn.Module
    X_train : ndarray of shape (n, ...)
    how : {"teacher", "none"}, default="teacher"

    Returns
    -------
    offset, scale : float
    source : str
        ``"teacher"`` (from its buffers), ``"data"`` (global mean and SD of X_train) or ``"none"``.
    """
    if how == "none":
        return 0.0, 1.0, "none"
    mean, std = getattr(teacher, "x_mean", None), getattr(teacher, "x_std", None)
    if isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor) and mean.numel() == 1 and std.numel() == 1:
        offset, scale = float(mean), float(std)
        if np.isfinite(offset) and np.isfinite(scale) and scale > 0 and (offset, scale) != (0.0, 1.0):
            return offset, scale, "teacher"
    offset, scale = float(np.mean(X_train)), float(np.std(X_train))
    return offset, (scale if np.isfinite(scale) and scale > 0 else 1.0), "data"


class ScaledInputTeacher(torch.nn.Module):
    """The teacher seen from scaled inputs: ``forward(z) = teacher(z * scale + offset)``.

    AWD distils on ``z = (x - offset) / scale``; the teacher's function of ``x`` is unchanged.
    """

    def __init__(self, teacher, offset, scale):
        super().__init__()
        self.teacher = teacher
        self.offset, self.scale = float(offset), float(scale)

    def forward(self, z):
        return self.teacher(z * self.scale + self.offset)


def _scaled(X, scaling):
    """``(X - offset) / scale`` as float64 (float32 kept for float32 input)."""
    X = np.asarray(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    return ((X - scaling["offset"]) / scaling["scale"]).astype(dtype, copy=False)


def _true_wavelet(meta):
    """The ground-truth wavelet a dataset's metadata names (``meta["true_wavelet"]``), if it is orthogonal."""
    name = (meta or {}).get("true_wavelet")
    if not isinstance(name, str):
        return None
    try:
        _filters.lowpass_filter(name)
    except ValueError:
        return None
    return name


#: Training samples on which the teacher's outputs and saliency are checked before distillation.
TEACHER_CHECK_SAMPLES = 256


def _check_teacher_is_finite(teacher, X_train):
    """Refuse a teacher whose outputs or input gradients are NaN or infinite on (a slice of) the training data.

    The upload check runs a teacher on random input only; this one runs it on the user's data, before any
    long stage starts.
    """
    param = next(teacher.parameters(), None)
    device, dtype = (param.device, param.dtype) if param is not None else (torch.device("cpu"), torch.float32)
    x = torch.as_tensor(np.asarray(X_train[:TEACHER_CHECK_SAMPLES]), dtype=dtype, device=device).requires_grad_(True)
    with torch.enable_grad():
        out = teacher(x)
        bad_out = int((~torch.isfinite(out.detach())).reshape(len(x), -1).any(1).sum())
        grad = torch.autograd.grad(out.sum(), x, allow_unused=True)[0] if out.requires_grad else None
    bad_grad = 0 if grad is None else int((~torch.isfinite(grad)).reshape(len(x), -1).any(1).sum())
    if bad_out or bad_grad:
        what = "outputs" if bad_out else "input gradients (the saliency AWD distils)"
        raise InputError("teacher", f"gives NaN or infinite {what} on {max(bad_out, bad_grad)} of the first "
                         f"{len(x)} training samples",
                         "check the teacher on your data (its normalisation and input layout), or let AWD "
                         "Studio train one")


def _load_prepared(work_dir):
    work_dir = Path(work_dir)
    info = json.loads((work_dir / "prepare.json").read_text())
    config = PipelineConfig.from_dict(info["config"])
    split = _read_npz(work_dir / "split.npz")
    shape = tuple(info["data"]["shape"])
    teacher = _teachers.load_teacher(info["teacher"]["file"], name=config.teacher, input_shape=shape)
    teacher.eval()
    return info, config, split, teacher


def _scaling_of(info):
    """The input scaling recorded by :func:`prepare` (none for work directories written before it was)."""
    return info.get("scaling") or {"offset": 0.0, "scale": 1.0, "source": "none"}


def _teacher_on_scaled(teacher, scaling):
    if scaling["offset"] == 0.0 and scaling["scale"] == 1.0:
        return teacher
    return ScaledInputTeacher(teacher, scaling["offset"], scaling["scale"]).eval()


def _distiller(config, grid, device, target):
    return WaveletDistiller(target=target, 
        wave=config.wave, levels=config.levels, mode=config.mode, parametrization=config.parametrization,
        grid=grid, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
        warmup_epochs=config.warmup_epochs, patience=config.patience, attribution=config.attribution,
        ig_steps=config.ig_steps, init_noise=config.init_noise, seed=config.seed, device=device,
        gradient_path=config.gradient_path)


def chunk_path(work_dir, indices):
    """Where :func:`distill_chunk` stores the fit of these grid indices."""
    indices = sorted(int(i) for i in indices)
    return Path(work_dir) / "chunks" / f"chunk_{indices[0]:04d}_{indices[-1]:04d}_{len(indices)}.npz"


def distill_chunk(work_dir, indices, progress=None, should_cancel=None, on_epoch=None):
    """Stage 2: fit the grid points ``indices`` (one vectorised fit) and store their filters.

    Parameters
    ----------
    work_dir : str or Path
        The directory :func:`prepare` filled.
    indices : sequence of int
        Positions in the lambda-major grid (:func:`grid_points_of`).
    progress, should_cancel, on_epoch : callable, optional
        See :meth:`models.distill.WaveletDistiller.fit`; ``should_cancel`` makes it raise
        :class:`Cancelled` between epochs.

    Returns
    -------
    Path
        The chunk file (written atomically; an existing complete chunk is reused).
    """
    info, config, split, teacher = _load_prepared(work_dir)
    grid = grid_points_of(config)
    indices = sorted(int(i) for i in indices)
    if not indices or indices[0] < 0 or indices[-1] >= len(grid):
        raise ValueError(f"indices: must be within 0..{len(grid) - 1}")
    out = chunk_path(work_dir, indices)
    if out.exists():
        return out
    device = resolve_device(info["device"] if config.device is None else config.device)
    target = info["teacher"]["attribution_target"]
    distiller = _distiller(config, [grid[i] for i in indices], device, target)
    scaling = _scaling_of(info)
    distiller.fit(_scaled(split["X_train"], scaling), _teacher_on_scaled(teacher, scaling), progress=progress,
                  should_stop=should_cancel, on_epoch=on_epoch)
    arrays = {f"history_{k}": v for k, v in distiller.history_.items()}
    _write_npz(out, indices=np.asarray(indices), filters=distiller.filters_,
               initial_filter=distiller.initial_filter_, best_epoch=distiller.best_epoch_,
               seconds_per_epoch=np.asarray(distiller.seconds_per_epoch_),
               gradient_path=np.asarray(distiller.gradient_path_), **arrays)
    return out


def _collect_chunks(work_dir, n_grid):
    filters, histories, best_epoch, seconds, path = {}, {}, {}, [], None
    for f in sorted((Path(work_dir) / "chunks").glob("chunk_*.npz")):
        arrays = _read_npz(f)
        path = str(arrays["gradient_path"])
        seconds.append(float(arrays["seconds_per_epoch"]))
        for j, i in enumerate(arrays["indices"].tolist()):
            filters[i] = arrays["filters"][j]
            best_epoch[i] = int(arrays["best_epoch"][j])
            histories[i] = {k[len("history_"):]: v[:, j] for k, v in arrays.items() if k.startswith("history_")}
    missing = sorted(set(range(n_grid)) - set(filters))
    if missing:
        raise RuntimeError(f"grid points {missing} have no fitted chunk; run distill_chunk on them first")
    return np.stack([filters[i] for i in range(n_grid)]), histories, best_epoch, seconds, path


# ---------------------------------------------------------------------------------------------- students
def _coefficients(X, h, config):
    """PyWavelets-layout coefficients (numpy) of X under one filter."""
    x = torch.as_tensor(X, dtype=torch.float64)
    ht = torch.as_tensor(h, dtype=torch.float64)
    with torch.no_grad():
        if x.ndim == 2:
            return [c.numpy() for c in _wavelets.wavedec1d(x, ht, config.levels, config.mode)]
        coeffs = _wavelets.wavedec2d(x, ht, config.levels, config.mode)
        return [coeffs[0].numpy()] + [tuple(d.numpy() for d in detail) for detail in coeffs[1:]]


def _flat(coeffs):
    parts = []
    for c in coeffs:
        if isinstance(c, tuple):
            parts.extend(d.reshape(len(d), -1) for d in c)
        else:
            parts.append(c.reshape(len(c), -1))
    return np.concatenate(parts, axis=1)


def _student_alpha(config):
    return "cv" if config.student_penalty == "cv" else None


def _peak_student(config, kernels=None, response="kernels"):
    """An unfitted map student; its classes are full target rows, ``bin_max`` chosen on the reported column."""
    return _predictors.PeakCountRegressor(kernels=kernels, response=response, covariance=config.peak_covariance,
                                          score_column=config.target)


def _student(kind, h, config, scaling):
    """An unfitted student for filter h, a function mapping raw X to its input, and one turning the fitted
    student into the deployed predictor (raw X to prediction; ``None``: ``student.predict`` on its input).

    Time series: top-k coefficients of the scaled series (``(x - offset) / scale``, the teacher's scaling);
    the deployed predictor takes raw series. Maps: peak counting on the raw maps (convergence units).
    """
    if kind == "timeseries":
        model = _predictors.TopKLinearRegressor(k=config.top_k, alpha=_student_alpha(config))

        def deploy(fitted, length):
            return _predictors.SeriesPredictor.from_filter(fitted, h, length, config.levels, config.mode,
                                                           x_offset=scaling["offset"],
                                                           x_scale=scaling["scale"]).predict

        return model, (lambda X: _coefficients(_scaled(X, scaling), h, config)), deploy
    return _peak_student(config, kernels=_filters.subfilters_3x3(h)), (lambda X: X), None


def cv_splits(n, folds, repeats, seed):
    """Shared cross-validation splits: ``repeats`` shuffled K-fold partitions of ``n`` samples.

    Parameters
    ----------
    n : int
    folds : int
        K.
    repeats : int
        R; repeat ``r`` shuffles with seed ``seed + 1000 r``.
    seed : int

    Returns
    -------
    list of (ndarray, ndarray)
        ``R * K`` (train indices, validation indices) pairs, repeat after repeat.
    """
    from sklearn.model_selection import KFold

    splits = []
    for r in range(repeats):
        splits.extend(KFold(n_splits=folds, shuffle=True, random_state=seed + 1000 * r).split(np.arange(n)))
    return splits


def _column(pred, target, n):
    pred = np.asarray(pred, dtype=float).reshape(n, -1)
    return pred[:, target] if pred.shape[1] > 1 else pred[:, 0]


def _fold_scores(kind, candidate, config, X, y, y_all, splits, scaling, peaks=None):
    """R² of one student on every split, shape (R * K,).

    ``candidate``: a lowpass filter (the wavelet students), ``"mean"`` (predict the training-fold mean),
    or for maps ``"laplace"``, ``"roberts"``, ``"raw"`` (the fixed peak-counting baselines). ``peaks``: the
    training maps' :class:`models.predictors.PeakPatches`, found once for every candidate.
    """
    scores = []
    if isinstance(candidate, str) and candidate == "mean":
        for tr, te in splits:
            scores.append(_metrics.r2_score(y[te], np.full(len(te), y[tr].mean())))
    elif kind == "timeseries":
        # the student's features do not depend on the fold: compute them once, refit only the linear model
        features = _predictors.topk_features(_coefficients(_scaled(X, scaling), candidate, config), k=config.top_k)
        for tr, te in splits:
            model = _predictors.TopKLinearRegressor(k=config.top_k, alpha=_student_alpha(config))
            model._fit_features(features[tr], y[tr])
            scores.append(_metrics.r2_score(y[te], model._predict_features(features[te])))
    else:
        if isinstance(candidate, str):
            model = (_peak_student(config, kernels={"laplace": _predictors.LAPLACE_KERNEL})
                     if candidate == "laplace" else _peak_student(config, response=candidate))
        else:
            model = _peak_student(config, kernels=_filters.subfilters_3x3(candidate))
        peaks = peaks if peaks is not None else _predictors.peak_patches(X)  # peaks do not depend on the filter
        for tr, te in splits:
            model.fit_peaks(peaks.subset(tr), y_all[tr])
            scores.append(_metrics.r2_score(y[te], _column(model.predict_peaks(peaks.subset(te)), config.target,
                                                           len(te))))
    return np.nan_to_num(np.asarray(scores, dtype=float), nan=-1.0, posinf=-1.0, neginf=-1.0)


def paired_cv_se(diff, folds):
    """Standard error of a mean paired CV difference, corrected for overlapping training sets.

    Fold differences of repeated K-fold CV are correlated (their training sets overlap), so the naive
    ``sd / sqrt(R K)`` is too small. This uses Nadeau and Bengio's correction of the variance,
    ``(1 / (R K) + n_val / n_train) * var`` with ``n_val / n_train = 1 / (K - 1)``.

    Parameters
    ----------
    diff : ndarray of shape (R * K,)
        Per-split score differences between two models, on shared splits.
    folds : int
        K.

    Returns
    -------
    float
    """
    diff = np.asarray(diff, dtype=float)
    if diff.size < 2:
        return float("inf")
    return float(np.sqrt((1.0 / diff.size + 1.0 / (folds - 1)) * np.var(diff, ddof=1)))


def select_wavelet(grid_scores, init_scores, gammas, folds, rule="one_se"):
    """Choose between the distilled wavelets and the initial wavelet from shared-split CV scores.

    The best grid point is the one with the highest mean CV score (likewise among gamma = 0 points). It is
    chosen over the initial wavelet only if it beats it: with ``rule="one_se"`` its mean paired gain must
    exceed one (corrected) standard error (:func:`paired_cv_se`), with ``rule="best"`` any positive gain.

    Parameters
    ----------
    grid_scores : ndarray of shape (G, R * K)
        CV scores (higher is better) of every grid point on every split.
    init_scores : ndarray of shape (R * K,)
        The initial wavelet's, on the same splits.
    gammas : sequence of float, length G
        Gamma of each grid point.
    folds : int
        K.
    rule : {"one_se", "best"}, default="one_se"

    Returns
    -------
    dict
        ``best`` and ``best_no_interp`` (grid indices), ``choice`` (``"awd"`` or ``"initial"``),
        ``gain`` (mean paired CV gain of the best grid point over the initial wavelet) and ``gain_se``.
    """
    grid_scores = np.asarray(grid_scores, dtype=float)
    init_scores = np.asarray(init_scores, dtype=float)
    means = grid_scores.mean(axis=1)
    best = int(np.argmax(means))
    no_interp = [i for i, gam in enumerate(gammas) if gam == 0.0] or list(range(len(gammas)))
    best_no_interp = no_interp[int(np.argmax(means[no_interp]))]
    diff = grid_scores[best] - init_scores
    gain, se = float(diff.mean()), paired_cv_se(diff, folds)
    threshold = se if rule == "one_se" else 0.0
    return {"best": best, "best_no_interp": int(best_no_interp), "choice": "awd" if gain > threshold else "initial",
            "gain": gain, "gain_se": se}


def _saliency(teacher, X, h, config, target, batch_size=256):
    """Saliency of each coefficient (flat, PyWavelets order) under filter h: shape (n, M)."""
    x_all = torch.as_tensor(X, dtype=torch.float32)
    ht = torch.as_tensor(np.asarray(h)[None], dtype=torch.float32)
    out = []
    for start in range(0, len(x_all), batch_size):
        xb = x_all[start:start + batch_size]
        op = TransformOperator(ht, xb.shape[1:], config.levels, config.mode)
        with torch.enable_grad():
            c = op.analysis(xb)
            attr = trim_attributions(teacher, xb, c, op.synthesis, "saliency", target, create_graph=False)
        out.append(TransformOperator.flatten(attr)[0].detach().double().numpy())
    return np.concatenate(out)


def _unflat_like(flat, template):
    out, start = [], 0
    for c in template:
        if isinstance(c, tuple):
            parts = []
            for d in c:
                size = d[0].size
                parts.append(flat[:, start:start + size].reshape((len(flat),) + d.shape[1:]))
                start += size
            out.append(tuple(parts))
        else:
            size = c[0].size
            out.append(flat[:, start:start + size].reshape((len(flat),) + c.shape[1:]))
            start += size
    return out


def _score_model(model, make_input, X_train, y_fit, X_test, y_test, target, n_filter_params, coeffs_test=None,
                 saliency_test=None, deploy=None):
    """Fit a student, score it on the test split and time its deployed predictor on raw test inputs.

    ``y_fit`` may hold every target column (the map student's classes are full rows); the reported column
    is ``target``.
    """
    model.fit(make_input(X_train), y_fit)
    y_pred = _column(model.predict(make_input(X_test)), target, len(y_test))
    predict = (lambda X: model.predict(make_input(X))) if deploy is None else deploy(model, X_test.shape[1])
    seconds = _metrics.seconds_per_sample(predict, X_test)
    entry = {
        "test": {"r2": float(_metrics.r2_score(y_test, y_pred)), "rmse": float(_metrics.rmse(y_test, y_pred)),
                 "rmse_sd": float(_metrics.bootstrap_rmse_sd(y_test, y_pred, seed=0))},
        "compression_factor": (None if coeffs_test is None else
                               float(_metrics.compression_factor(coeffs_test, saliency_test))),
        "n_params": int(n_filter_params + getattr(model, "n_params_", 0)),
        "predict_seconds_per_sample": float(seconds),
    }
    return entry, y_pred


def _cv_entry(scores, mean_scores, folds):
    """A model's cross-validated R² and whether it beats predicting the training mean (paired, one SE)."""
    diff = scores - mean_scores
    return {"r2": float(scores.mean()), "r2_sd": float(scores.std()),
            "beats_mean": bool(diff.mean() > paired_cv_se(diff, folds))}


#: Test-set bootstrap resamples for the paired AWD - initial interval.
N_BOOT = 10000


def _distance_to(psi, psi_ref):
    """Wavelet distance (:func:`models.filters.wavelet_distance`) divided by ``||psi_ref||``."""
    return float(_filters.wavelet_distance(psi, psi_ref) / max(np.linalg.norm(psi_ref), 1e-300))


def _fmt(value, metric):
    return f"{value:.3f}" if metric == "r2" else f"{value:.3g}"


def verdict_text(choice, difference, init_name, metric="r2", target_name=None):
    """One sentence saying whether distillation helped, from the selection and the paired test interval.

    Parameters
    ----------
    choice : {"awd", "initial"}
        What cross-validation chose (:func:`select_wavelet`).
    difference : dict
        :func:`models.metrics.paired_bootstrap_difference` of AWD minus the initial wavelet on the test set.
    init_name : str
        The initial wavelet, e.g. ``"db5"``.
    metric : {"r2", "rmse"}, default="r2"
    target_name : str, optional
        Named in RMSE sentences.

    Returns
    -------
    str

    Examples
    --------
    >>> verdict_text("awd", {"estimate": 0.03, "low": 0.01, "high": 0.05, "level": 0.95}, "db5")
    'AWD improves test R² over db5 by 0.030 (95 % interval 0.010 to 0.050).'
    >>> verdict_text("initial", {"estimate": -0.002, "low": -0.01, "high": 0.006, "level": 0.95}, "db5")
    'No significant gain over db5: use db5 (cross-validation kept it; on the test set AWD − db5 = -0.002 R², 95 % interval -0.010 to 0.006).'
    """
    est, low, high = difference["estimate"], difference["low"], difference["high"]
    pct = f"{100 * difference.get('level', 0.95):.0f} %"
    what = "R²" if metric == "r2" else f"RMSE{'' if not target_name else ' of ' + target_name}"
    better_sign = 1.0 if metric == "r2" else -1.0  # R²: higher is better; RMSE: lower is better
    interval = f"{pct} interval {_fmt(low, metric)} to {_fmt(high, metric)}"
    if choice == "awd" and better_sign * low > 0 and better_sign * high > 0:
        verb = "improves test R² over" if metric == "r2" else f"lowers the test {what} below"
        tail = "" if metric == "r2" else "'s"
        lo, hi = sorted((better_sign * low, better_sign * high))
        return (f"AWD {verb} {init_name}{tail} by {_fmt(better_sign * est, metric)} "
                f"({pct} interval {_fmt(lo, metric)} to {_fmt(hi, metric)}).")
    gap = f"AWD − {init_name} = {_fmt(est, metric)} {what}, {interval}"
    if choice == "initial":
        return f"No significant gain over {init_name}: use {init_name} (cross-validation kept it; on the test set {gap})."
    if max(better_sign * low, better_sign * high) < 0:
        return f"AWD is worse than {init_name} on the test set ({gap}): use {init_name}."
    return f"No significant gain over {init_name}: use {init_name} (cross-validation preferred AWD, but on the test set {gap})."


def _warnings(cv_entries):
    out = []
    for name, entry in cv_entries.items():
        if not entry["beats_mean"]:
            out.append(f"The {STUDENT_NAMES.get(name, name)} student does not beat predicting the training mean in "
                       f"cross-validation (CV R² {entry['r2']:.3f}); its test scores are not evidence of skill.")
    return out


#: Readable names of the bundle's models.
STUDENT_NAMES = {"awd": "AWD", "awd_no_interp": "AWD (gamma = 0)", "baseline_wavelet": "initial-wavelet",
                 "laplace": "Laplace", "roberts_cross": "Roberts-cross", "peak_heights": "raw-peak"}


# ---------------------------------------------------------------------------------------------- finalize
def finalize(work_dir, out_dir, progress=None):
    """Stage 3: choose (lambda, gamma) by cross-validation, fit and score the students, write the bundle.

    Selection (docs/science-students.md): every grid point and the initial wavelet are cross-validated on
    the same ``cv_repeats`` x ``cv_folds`` splits of the training data; the best grid point is chosen over
    the initial wavelet only when it beats it (``selection_rule``). The bundle reports the students on the
    best grid point (``awd``), the best gamma = 0 point and the initial wavelet, the paired bootstrap
    interval of AWD minus the initial wavelet on the test set, and a verdict sentence.

    Parameters
    ----------
    work_dir : str or Path
        The directory :func:`prepare` and every :func:`distill_chunk` filled.
    out_dir : str or Path
        Receives ``result.json``, ``arrays.npz`` and the figures.
    progress : callable, optional

    Returns
    -------
    dict
        The result bundle.
    """
    t_start = time.perf_counter()
    info, config, split, teacher = _load_prepared(work_dir)
    kind = info["data"]["kind"]
    target = info["teacher"]["attribution_target"]
    scaling = _scaling_of(info)
    X_train, y_train = split["X_train"], split["y_train"]
    X_test, y_test = split["X_test"], split["y_test"]
    y_train_all = split.get("y_train_all", y_train.reshape(len(y_train), -1))
    fit_y = y_train if kind == "timeseries" else y_train_all  # map classes are full parameter rows
    column = config.target if kind == "image" and y_train_all.shape[1] > 1 else 0
    grid = grid_points_of(config)
    filters, histories, best_epoch, seconds_per_epoch, gradient_path = _collect_chunks(work_dir, len(grid))
    h_init = _filters.lowpass_filter(config.wave)
    n_filter_params = len(h_init) - (len(h_init) // 2 + 1 if config.parametrization == "orthogonal" else 0)

    # 1. cross-validated scores of every candidate on shared splits
    splits = cv_splits(len(X_train), config.cv_folds, config.cv_repeats, config.seed)
    peaks = _predictors.peak_patches(X_train) if kind == "image" else None
    fold = {"mean": _fold_scores(kind, "mean", config, X_train, y_train, y_train_all, splits, scaling)}
    n_cand = len(grid) + 1
    fold["baseline_wavelet"] = _fold_scores(kind, h_init, config, X_train, y_train, y_train_all, splits, scaling,
                                            peaks)
    grid_fold = []
    for i, h in enumerate(filters):
        _report(progress, "select", (i + 1) / n_cand, f"cross-validating grid point {i + 1}/{len(grid)}")
        grid_fold.append(_fold_scores(kind, h, config, X_train, y_train, y_train_all, splits, scaling, peaks))
    grid_fold = np.asarray(grid_fold)
    sel = select_wavelet(grid_fold, fold["baseline_wavelet"], [g for _, g in grid], config.cv_folds,
                         config.selection_rule)
    selected, selected_no_interp = sel["best"], sel["best_no_interp"]
    fold["awd"], fold["awd_no_interp"] = grid_fold[selected], grid_fold[selected_no_interp]
    cv_scores = grid_fold.mean(axis=1)

    # 2. students on the selected filters and the baselines, scored on the test split
    _report(progress, "students", 0.0, "fitting the interpretable students")
    models, predictions = {}, {}
    candidates = {"awd": filters[selected], "awd_no_interp": filters[selected_no_interp],
                  "baseline_wavelet": h_init}
    # compression factor and activation maps on what the student reads: the scaled series, the raw maps
    X_view = _scaled(X_test, scaling) if kind == "timeseries" else X_test
    teacher_view = _teacher_on_scaled(teacher, scaling) if kind == "timeseries" else teacher
    for name, h in candidates.items():
        model, make_input, deploy = _student(kind, h, config, scaling)
        coeffs_test = _flat(_coefficients(X_view, h, config))
        saliency_test = _saliency(teacher_view, X_view, h, config, target)
        params = n_filter_params if name != "baseline_wavelet" else 0
        models[name], predictions[name] = _score_model(model, make_input, X_train, fit_y, X_test, y_test, column,
                                                       params, coeffs_test, saliency_test, deploy)
    if kind == "image":
        for name, response in (("laplace", "laplace"), ("roberts_cross", "roberts"), ("peak_heights", "raw")):
            model = (_peak_student(config, kernels={"laplace": _predictors.LAPLACE_KERNEL})
                     if response == "laplace" else _peak_student(config, response=response))
            fold[name] = _fold_scores(kind, response, config, X_train, y_train, y_train_all, splits, scaling,
                                      peaks)
            models[name], predictions[name] = _score_model(model, lambda X: X, X_train, fit_y, X_test, y_test,
                                                           column, 0)
    cv_entries = {name: _cv_entry(fold[name], fold["mean"], config.cv_folds) for name in models}
    for name, entry in cv_entries.items():
        models[name]["cv"] = entry
    _report(progress, "students", 1.0, "students scored")

    # 3. did distillation help? paired test interval of AWD - initial, and the verdict
    metric = "r2" if kind == "timeseries" else "rmse"
    difference = _metrics.paired_bootstrap_difference(y_test, predictions["awd"], predictions["baseline_wavelet"],
                                                      metric=metric, n_boot=N_BOOT, seed=config.seed)
    target_name = info["data"].get("target_name")
    verdict = {
        "text": verdict_text(sel["choice"], difference, config.wave, metric, target_name),
        "choice": sel["choice"],
        "metric": metric,
        "test_difference": difference,
        "warnings": _warnings(cv_entries),
    }
    selection = {
        "rule": config.selection_rule, "folds": config.cv_folds, "repeats": config.cv_repeats,
        "n_candidates": n_cand, "choice": sel["choice"], "initial": config.wave,
        "initial_cv_score": float(fold["baseline_wavelet"].mean()),
        "awd_cv_score": float(cv_scores[selected]), "cv_gain": sel["gain"], "cv_gain_se": sel["gain_se"],
        "mean_predictor_cv_score": float(fold["mean"].mean()),
    }

    # 3. the learned wavelet and everything the UI shows
    h_sel = filters[selected]
    x_grid, phi, psi = _filters.scaling_and_wavelet(h_sel, level=CASCADE_LEVEL)
    _, phi0, psi0 = _filters.scaling_and_wavelet(h_init, level=CASCADE_LEVEL)
    wavelet = {
        "init": config.wave, "parametrization": config.parametrization, "mode": config.mode,
        "levels": config.levels,
        "h": h_sel.tolist(), "g": _filters.highpass_from_lowpass(h_sel).tolist(),
        "x": np.asarray(x_grid).tolist(), "phi": np.asarray(phi).tolist(), "psi": np.asarray(psi).tolist(),
        "init_h": h_init.tolist(), "init_g": _filters.highpass_from_lowpass(h_init).tolist(),
        "init_phi": np.asarray(phi0).tolist(), "init_psi": np.asarray(psi0).tolist(),
        "validity": _validity(h_sel, config, info["data"]["shape"]),
        "mode_choice": info.get("mode_choice", config.mode),
        "input_scaling": dict(scaling),
        "distance_to_init": _distance_to(psi, psi0),
    }
    true_name = info["data"].get("true_wavelet")
    psi_true = None
    if true_name:
        _, _, psi_true = _filters.scaling_and_wavelet(_filters.lowpass_filter(true_name), level=CASCADE_LEVEL)
        wavelet["true_wavelet"] = true_name
        wavelet["distance_to_truth"] = _distance_to(psi, psi_true)
        wavelet["init_distance_to_truth"] = _distance_to(psi0, psi_true)
    if kind == "image":
        g_sel = _filters.highpass_from_lowpass(h_sel)
        wavelet["filters_2d"] = {"LL": np.outer(h_sel, h_sel).tolist(), "LH": np.outer(g_sel, h_sel).tolist(),
                                 "HL": np.outer(h_sel, g_sel).tolist(), "HH": np.outer(g_sel, g_sel).tolist()}
        wavelet["subfilters_3x3"] = {k: np.asarray(v).tolist() for k, v in _filters.subfilters_3x3(h_sel).items()}
        wavelet["init_subfilters_3x3"] = {k: np.asarray(v).tolist()
                                          for k, v in _filters.subfilters_3x3(h_init).items()}
    psi_len = len(psi)
    grid_entries = []
    n_gamma = len(config.gammas)
    for i, (lam, gam) in enumerate(grid):
        _, _, psi_i = _filters.scaling_and_wavelet(filters[i], level=CASCADE_LEVEL)
        hist = histories[i]
        losses = {k: float(v[best_epoch[i]]) for k, v in hist.items() if np.isfinite(v[best_epoch[i]])}
        grid_entries.append({
            "index": i, "lambda": lam, "gamma": gam, "i_lambda": i // n_gamma, "i_gamma": i % n_gamma,
            "cv_score": float(cv_scores[i]), "cv_score_sd": float(grid_fold[i].std()), "losses": losses,
            "h": filters[i].tolist(), "psi": np.asarray(psi_i)[:psi_len].tolist(),
            "distance_to_init": _distance_to(psi_i, psi0),
        })
        if psi_true is not None:
            grid_entries[-1]["distance_to_truth"] = _distance_to(psi_i, psi_true)
    hist_sel = histories[selected]
    history = {"epoch": list(range(1, len(hist_sel["train_loss"]) + 1))}
    history.update({k: [float(v) for v in vals] for k, vals in hist_sel.items()})

    # 4. wavelet activation maps of a few test examples
    m = min(N_ACTIVATION_EXAMPLES, len(X_test))
    X_ex = X_test[:m]
    coeffs_ex = _coefficients(X_view[:m], h_sel, config)
    sal_ex = _unflat_like(_saliency(teacher_view, X_view[:m], h_sel, config, target), coeffs_ex)
    if kind == "timeseries":
        maps = _metrics.activation_map_1d(coeffs_ex, sal_ex, X_ex.shape[1])
    else:
        maps = _metrics.activation_map_2d(coeffs_ex, sal_ex, X_ex.shape[1:])
    activation = {"kind": kind, "indices": list(range(m)), "x": X_ex.tolist(), "maps": np.asarray(maps).tolist(),
                  "y_true": y_test[:m].tolist(), "y_pred": predictions["awd"][:m].tolist()}

    finished = _now()
    timings = dict(info["timings"])
    timings.update({"distill_seconds_per_epoch": float(np.mean(seconds_per_epoch)),
                    "finalize": time.perf_counter() - t_start})
    bundle = {
        "schema": SCHEMA_ID,
        "data": {k: info["data"][k] for k in ("kind", "shape", "n_train", "n_test", "sha256")},
        "teacher": {k: info["teacher"][k] for k in ("name", "n_params", "test", "predict_seconds_per_sample")},
        "lambdas": [float(v) for v in config.lambdas],
        "gammas": [float(v) for v in config.gammas],
        "grid": grid_entries,
        "selected": {"lambda": grid[selected][0], "gamma": grid[selected][1], "index": selected},
        "cv": {"metric": "r2", "folds": config.cv_folds, "repeats": config.cv_repeats},
        "selection": selection,
        "verdict": verdict,
        "models": models,
        "wavelet": wavelet,
        "history": history,
        "activation": activation,
        "provenance": {"version": __version__, "git_sha": _git_sha(), "seed": config.seed,
                       "config": config.to_dict(), "started": info["started"], "finished": finished,
                       "device": info["device"], "gradient_path": gradient_path},
        "timings": timings,
    }
    bundle["summary"] = summary_text(bundle)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_npz(out_dir / "arrays.npz", filters=filters, lambdas=np.asarray(config.lambdas),
               gammas=np.asarray(config.gammas), cv_scores=cv_scores, h=h_sel, h_init=h_init,
               x=np.asarray(x_grid), phi=np.asarray(phi), psi=np.asarray(psi), X_examples=X_ex,
               activation_maps=np.asarray(maps), y_test=y_test,
               **{f"y_pred_{k}": v for k, v in predictions.items()})
    from models import plots

    files = ["result.json", "arrays.npz"] + plots.write_figures(bundle, out_dir)
    bundle["files"] = files
    _write_json(out_dir / "result.json", bundle)
    _report(progress, "done", 1.0, "result bundle written")
    return bundle


def _validity(h, config, shape):
    ht = torch.as_tensor(np.asarray(h)[None], dtype=torch.float64)
    from models.losses import validity_terms

    terms = {k: float(v[0]) for k, v in validity_terms(ht).items()}
    terms["orthonormality_error"] = float(_filters.orthonormality_error(h))
    length = int(shape[0]) if len(shape) == 1 else int(min(shape))
    terms["reconstruction_error"] = float(_filters.reconstruction_error(h, length=length, level=config.levels,
                                                                         mode=config.mode))
    return terms


def summary_text(bundle):
    """A few lines a scientist reads first: the verdict, the selected point and the test scores of every model."""
    sel = bundle["selected"]
    verdict = bundle.get("verdict") or {}
    lines = [f"AWD on {bundle['data']['kind']} data {tuple(bundle['data']['shape'])}: "
             f"n_train={bundle['data']['n_train']}, n_test={bundle['data']['n_test']}"]
    if verdict.get("text"):
        lines.append(verdict["text"])
    lines += [f"  warning: {w}" for w in verdict.get("warnings", [])]
    lines += [f"best grid point lambda={sel['lambda']:.3g}, gamma={sel['gamma']:.3g} "
              f"(cross-validated R2 {bundle['grid'][sel['index']]['cv_score']:.3f})",
              f"{'model':<18}{'test R2':>9}{'RMSE':>12}{'+-':>10}{'CV R2':>8}{'compression':>13}{'params':>8}"
              f"{'s/sample':>11}"]
    teacher = bundle["teacher"]
    rows = [(f"teacher ({teacher['name']})", teacher["test"]["r2"], teacher["test"]["rmse"], None, None, None,
             teacher["n_params"], teacher["predict_seconds_per_sample"])]
    for name, m in bundle["models"].items():
        cv = (m.get("cv") or {}).get("r2")
        rows.append((name, m["test"]["r2"], m["test"]["rmse"], m["test"]["rmse_sd"], cv, m["compression_factor"],
                     m["n_params"], m["predict_seconds_per_sample"]))
    for name, r2, rmse, sd, cv, comp, params, secs in rows:
        lines.append(f"{name:<18}{r2:>9.3f}{rmse:>12.4g}{'' if sd is None else f'{sd:.3g}':>10}"
                     f"{'' if cv is None else f'{cv:.3f}':>8}"
                     f"{'' if comp is None else f'{comp:.3f}':>13}{params:>8d}{secs:>11.2e}")
    return "\n".join(lines)


def run(data_path, config, out_dir, progress=None, should_cancel=None, on_epoch=None):
    """Run a whole job in this process: :func:`prepare`, one :func:`distill_chunk`, :func:`finalize`.

    Parameters
    ----------
    data_path : str or Path
    config : PipelineConfig or dict
    out_dir : str or Path
        Receives the bundle; the work files go to ``out_dir/work``.
    progress : callable, optional
        ``progress(stage, fraction, message)``; stages: data, teacher, distill, select, students, done.
    should_cancel : callable, optional
        Polled between epochs; True raises :class:`Cancelled`.
    on_epoch : callable, optional
        ``on_epoch(epoch, losses)``.

    Returns
    -------
    dict
        The result bundle.
    """
    work_dir = Path(out_dir) / "work"
    info = prepare(data_path, config, work_dir, progress=progress)
    n_grid = len(info["config"]["lambdas"]) * len(info["config"]["gammas"])
    distill_chunk(work_dir, range(n_grid), progress=progress, should_cancel=should_cancel, on_epoch=on_epoch)
    return finalize(work_dir, out_dir, progress=progress)
