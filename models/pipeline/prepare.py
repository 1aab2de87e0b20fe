"""Stage 1 of a job: read and split the data, train or load the teacher, and fix the input scaling.

Everything it decides goes to the work directory (``prepare.json``, ``split.npz``, the teacher's weights), so
that the grid's chunks and the final stage can run anywhere, in any order, and again.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from awd_studio.models import metrics as _metrics
from awd_studio.models import teachers as _teachers
from awd_studio.models import wavelets as _wavelets
from awd_studio.models.attributions import gradient_batch_size
from awd_studio.models.cores import job_threads, use_job_threads
from awd_studio.models.data import load_dataset, split_dataset
from awd_studio.models.data.dataset import SOURCE_FILE_META
from awd_studio.models.data.noise import map_noise
from awd_studio.models.data.pixels import pixel_arcmin as sky_pixel_arcmin
from awd_studio.models.data.readers.channels import stored_channel_axis
from awd_studio.models.data.tiles import tile_groups
from awd_studio.models.device import resolve_device
from awd_studio.models.files import sha256_file
from awd_studio.models.filters import check_lattice_start, lowpass_filter
from awd_studio.models.options import AUTO_TEACHERS, DEFAULT_TEACHER, TEACHER_ARCHITECTURES, PipelineConfig
from awd_studio.models.pipeline.config import resolve_config, select_target
from awd_studio.models.pipeline.scaling import (  # the later names: importable from here as before the move
    ScaledInputTeacher,
    input_scaling,
    resolved_input_scaling,
    scaled,
    scaling_of,
    teacher_on_scaled,
)
from awd_studio.models.pipeline.teacher_free import TEACHER_FREE_FILE, BesideTeacher
from awd_studio.models.pipeline.workdir import (
    TEACHER_TEST_FILE,
    now_iso,
    report,
    start_search_path,
    write_json,
    write_npz,
)
from awd_studio.models.teachers.augment import resolve_augmentation
from awd_studio.models.teachers.loading import names_its_architecture
from awd_studio.models.teachers.training import training_threads
from awd_studio.models.teachers.units import prediction_scale
from awd_studio.models.validation import InputError, check_targets_vary, signal_kind

__all__ = ["prepare", "check_teacher_is_finite", "TEACHER_CHECK_SAMPLES", "pixel_arcmin", "SOURCE_FILE_META",
           "source_sha256", "check_wavelet_fits",
           # moved to models.pipeline.scaling on 2026-12-07, still importable from here
           "input_scaling", "resolved_input_scaling", "ScaledInputTeacher", "scaled", "scaling_of", "teacher_on_scaled"]


def prepare(data_path, config, work_dir, progress=None, on_teacher_epoch=None, should_cancel=None):
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
    on_teacher_epoch : callable, optional
        ``on_teacher_epoch(epoch, {"train": mse, "val": mse})`` after each epoch of a teacher trained here
        (never called for an uploaded teacher). When ``teacher="auto"`` trains several architectures
        (:data:`models.options.AUTO_TEACHERS`) the keys name them, ``{"lstm_train": mse, "lstm_val": mse}``, and
        each one's epochs count from 1.
    should_cancel : callable, optional
        Polled while a teacher trains here, between its batches every few seconds
        (:data:`models.distill.STOP_POLL_SECONDS`) and after each epoch; True raises
        :class:`models.distill.Cancelled`.

    Returns
    -------
    dict
        What was prepared: data summary, resolved config, teacher scores, timings.
    """
    threads = use_job_threads()  # the cores other work leaves idle, unless AWD_JOB_THREADS says otherwise
    started, started_at = time.perf_counter(), now_iso()  # the job starts here, before its teacher trains
    config = config if isinstance(config, PipelineConfig) else PipelineConfig.from_dict(config)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    report(progress, "data", 0.0, "reading the data")
    dataset = load_dataset(data_path)
    # "auto" may train several architectures (AUTO_TEACHERS); resolve_config names the first
    candidates = AUTO_TEACHERS.get(dataset.kind, ()) if config.teacher == "auto" else (config.teacher,)
    config, mode_choice = resolve_config(config, dataset.kind, dataset.sample_shape, len(dataset.X))
    split = _checked_split(dataset, config)
    check_wavelet_fits(split.X_train.shape[1:], config)  # before the teacher trains (review 30A: db30 elsewhere)
    device = resolve_device(config.device)
    _remove_stale_fits(work_dir)
    _write_split(work_dir, split)
    beside = _beside_teacher(config, dataset.kind, candidates, device, work_dir)
    try:
        # the process starts once the teacher's normalisation is fitted, and computes once a core idles
        on_build = None if beside is None else (
            lambda model: beside.start(_input_scaling_info(model, split.X_train, config, dataset.kind)))
        teacher = _trained_or_loaded_teacher(split, config, candidates, device, work_dir, progress,
                                             on_teacher_epoch, should_cancel, on_build,
                                             None if beside is None else beside.go)
        config = config.model_copy(update=_config_teacher(teacher))  # what the later stages load, and the bundle says
        scores, seconds = _score_teacher(teacher, split, work_dir)
        scaling = _input_scaling_info(teacher.module, split.X_train, config, dataset.kind)
    finally:  # the teacher is done (or failed): what the process beside it finished is kept, the rest left
        pieces = None if beside is None else beside.finish()
    info = {
        "config": config.to_dict(),
        "data": _data_info(dataset, data_path, split, config),
        "mode_choice": mode_choice,
        "scaling": scaling,
        "teacher": _teacher_info(teacher, scores, seconds, split, config),
        "device": str(device),
        "started": started_at,
        "timings": {"prepare": time.perf_counter() - started},
        "threads": threads,
    }
    if pieces is not None:
        info["beside_teacher"] = {"done": pieces["done"], "seconds": pieces["seconds"]}
    write_json(work_dir / "prepare.json", info)
    report(progress, "teacher", 1.0, f"teacher test R² {scores['r2']:.3f}")
    return info


@dataclass(frozen=True)
class _Split:
    """The training and test split of a dataset, as :func:`prepare` stores it in ``split.npz``."""

    X_train: np.ndarray
    y_train: np.ndarray  # the config's target column
    X_test: np.ndarray
    y_test: np.ndarray
    y_train_all: np.ndarray  # every target column, as the dataset holds them (1-D for one target)
    y_test_all: np.ndarray
    groups: np.ndarray | None  # the map of each training tile (None for untiled data)
    test_groups: np.ndarray | None  # the map of each test tile


def _checked_split(dataset, config):
    """Split the data and refuse a split the job cannot score or cross-validate.

    Parameters
    ----------
    dataset : Dataset
    config : PipelineConfig
        Resolved (its ``test_fraction``, ``seed``, ``target`` and ``cv_folds`` are read).

    Returns
    -------
    _Split

    Raises
    ------
    InputError
        When the target takes one value in the training or the test split, or a tiled dataset leaves a single
        map for training.
    ValueError
        When the target column does not exist, or the training samples are too few for the folds.
    """
    X_train, y_train_all, X_test, y_test_all = split_dataset(dataset, test_fraction=config.test_fraction,
                                                             seed=config.seed)
    y_train = select_target(y_train_all, config.target)
    y_test = select_target(y_test_all, config.target)
    if y_train_all.ndim == 1:
        check_targets_vary(y_train, "y")
    else:
        check_targets_vary(y_train, f"y column {config.target} (target)",
                           remedy="choose another target column, one that varies")
    # a test split whose target is one value has no test score: R² divides by its spread (six maps with one held
    # out scored -1.7e29 in a review, and a verdict was drawn from them)
    check_targets_vary(y_test, "y_test" if y_test_all.ndim == 1 else f"y_test column {config.target} (target)",
                       remedy="give a test split whose targets vary: more test samples (or maps), a larger "
                              "test_fraction, or a separate test file with several target values")
    if len(X_train) < 2 * config.cv_folds:
        raise ValueError(f"X: {len(X_train)} training samples are too few for {config.cv_folds}-fold "
                         "cross-validation; give more data or fewer cv_folds")
    # tiles of one map stay together in the teacher's validation hold-out and the selection's folds
    groups = tile_groups(len(X_train), dataset.meta) if dataset.X_test is not None else None
    # and the test intervals resample whole test maps (their tiles are not independent)
    test_groups = tile_groups(len(X_test), dataset.meta, part="test") if groups is not None else None
    if groups is not None and groups.max() < 1:
        raise InputError("tile", "left a single map for training, and its tiles cannot be cross-validated "
                                 "against each other", "upload more maps, or tile them with a larger test share")
    return _Split(X_train, y_train, X_test, y_test, y_train_all, y_test_all, groups, test_groups)


def check_wavelet_fits(sample_shape, config):
    """Refuse levels too deep for the samples, and an orthogonal start the lattice cannot represent.

    Parameters
    ----------
    sample_shape : tuple of int
        One sample's shape: ``(L,)`` or ``(H, W)``.
    config : PipelineConfig

    Raises
    ------
    ValueError
        From :func:`models.wavelets.check_level` or :func:`models.filters.check_lattice_start`.
    """
    for length in sample_shape:
        _wavelets.check_level(length, len(lowpass_filter(config.wave)), config.levels, config.mode)
    if config.parametrization == "orthogonal":
        check_lattice_start(config.wave)


def _remove_stale_fits(work_dir):
    """Delete the grid's chunk fits, the start search and the teacher-free pieces of an earlier preparation of
    ``work_dir``.

    A new preparation (other data, config or teacher) makes them stale.

    Parameters
    ----------
    work_dir : Path
    """
    for stale in sorted((work_dir / "chunks").glob("chunk_*.npz")):
        stale.unlink()
    start_search_path(work_dir).unlink(missing_ok=True)  # searched with the old data or teacher
    (work_dir / TEACHER_FREE_FILE).unlink(missing_ok=True)  # cross-validated with the old data or options


def _target_columns(y, n):
    """Every target column of ``y`` as floats of shape ``(n, k)`` (``k = 1`` for a 1-D ``y``)."""
    return np.asarray(y, dtype=float).reshape(n, -1)


def _write_split(work_dir, split):
    """Write ``split.npz``: the split, every target column, and the tiles' maps when there are tiles.

    Parameters
    ----------
    work_dir : Path
    split : _Split
    """
    # every target column, for students whose classes are full parameter rows (the map student)
    write_npz(work_dir / "split.npz", X_train=split.X_train, y_train=split.y_train, X_test=split.X_test,
              y_test=split.y_test, y_train_all=_target_columns(split.y_train_all, len(split.X_train)),
              y_test_all=_target_columns(split.y_test_all, len(split.X_test)),
              **({} if split.groups is None else {"groups": split.groups}),
              **({} if split.test_groups is None else {"test_groups": split.test_groups}))


class _Teacher(NamedTuple):
    """The job's teacher and how it came to be."""

    module: torch.nn.Module
    attribution_target: int  # the output that predicts the config's target
    file: str  # where the later stages load it from
    name: str  # as the bundle names it
    validation: dict | None  # each trained architecture's lowest validation MSE (None for an uploaded teacher)
    seconds: float  # to train or load it
    upload: dict | None = None  # uploaded weights: their file's name, format and sha256 (None for a trained one)


def _config_teacher(teacher: _Teacher) -> dict:
    """The config's teacher fields as the run used them: a trained teacher's architecture; for uploaded weights their
    architecture when it is a built-in one, else ``auto`` (an exported program carries its own; review 39A: a
    ``.pt2`` was recorded as "cnn"), and the name of their file.

    Parameters
    ----------
    teacher : _Teacher

    Returns
    -------
    dict
        The fields to update: ``teacher``, and ``teacher_file_name`` for uploaded weights.
    """
    if teacher.upload is None:
        return {"teacher": teacher.name}
    form = teacher.upload["format"]
    return {"teacher": form if form in TEACHER_ARCHITECTURES else "auto",
            "teacher_file_name": teacher.upload["file_name"]}


def _beside_teacher(config, kind, candidates, device, work_dir):
    """The teacher-free pieces to compute while the teacher trains (:mod:`models.pipeline.teacher_free`), or None.

    Only when a core would otherwise idle: a built-in teacher trained here on the CPU, every candidate architecture
    on one thread (:data:`models.teachers.training.DEFAULT_THREADS`), and the job on two threads or more.

    Parameters
    ----------
    config : PipelineConfig
    kind : {"timeseries", "image"}
    candidates : tuple of str
    device : torch.device
    work_dir : Path
        With ``split.npz`` written.

    Returns
    -------
    BesideTeacher or None
    """
    names = list(candidates or (config.teacher,))
    if (config.teacher_path is not None or device.type != "cpu" or job_threads() < 2
            or not BesideTeacher.worthwhile(config, kind) or any(training_threads(n) != 1 for n in names)):
        return None
    return BesideTeacher(work_dir, config)


def _trained_or_loaded_teacher(split, config, candidates, device, work_dir, progress, on_teacher_epoch,
                               should_cancel=None, on_build=None, on_core_free=None):
    """The uploaded teacher of ``config.teacher_path``, or else one trained here (and saved in ``work_dir``).

    Parameters
    ----------
    split : _Split
    config : PipelineConfig
    candidates : tuple of str
        The architectures to train (several for ``teacher="auto"``).
    device : torch.device
    work_dir : Path
    progress, on_teacher_epoch, should_cancel : callable or None
        As :func:`prepare` takes them.
    on_build : callable or None
        ``on_build(model)`` when a teacher trained here is built (:func:`models.teachers.train_teacher`).
    on_core_free : callable or None
        ``on_core_free()`` when a core idles while it trains (:func:`models.teachers.train_best_teacher`).

    Returns
    -------
    _Teacher
    """
    t0 = time.perf_counter()
    upload = None
    if config.teacher_path is not None:
        module, attribution_target, file, name, upload = _loaded_teacher(config, split, progress)
        validation = None
    else:
        module, validation = _trained_teacher(split, config, candidates, device, progress, on_teacher_epoch,
                                              should_cancel, on_build, on_core_free)
        attribution_target = 0
        file = str(work_dir / "teacher.safetensors")
        _teachers.save_teacher(module, file)
        name = module.name
    return _Teacher(module, attribution_target, file, name, validation, time.perf_counter() - t0, upload)


def _loaded_teacher(config, split, progress):
    """Load the uploaded teacher ``config.teacher_path``.

    Parameters
    ----------
    config : PipelineConfig
    split : _Split
    progress : callable or None

    Returns
    -------
    teacher : torch.nn.Module
    attribution_target : int
        Its output that predicts the config's target.
    file : str
        The upload's absolute path.
    name : str
        ``"uploaded (...)"``, naming its architecture.
    upload : dict
        ``file_name`` (``config.teacher_file_name``, else the file's own name), ``format`` (``"exported program"``
        or the built-in architecture of its weights) and ``sha256`` of the file (the hash ``GET /api/teachers``
        shows for it).
    """
    file_name = config.teacher_file_name or Path(config.teacher_path).name
    report(progress, "teacher", 0.1, f"loading the uploaded teacher {file_name}")
    # "auto": weights that name their own architecture (a .pt2 program, a .safetensors file saved by AWD Studio) load
    # as what they are; a bare state dict as the kind's default, as awd distill --teacher FILE says
    arch = config.teacher
    if arch == "auto":
        arch = None if names_its_architecture(config.teacher_path) else DEFAULT_TEACHER[signal_kind(split.X_train)]
    teacher = _teachers.load_teacher(config.teacher_path, name=arch, input_shape=tuple(split.X_train.shape[1:]))
    # its only output is the chosen target's, or it has one per target column (models.teachers)
    n_targets = _target_columns(split.y_train_all, len(split.X_train)).shape[1]
    attribution_target = _teachers.teacher_output_for(int(teacher.n_outputs), n_targets,
                                                      config.target)  # counted by load_teacher's own check
    # the loaded teacher names itself: a .pt2 program carries its own architecture ("exported"), whatever
    # architecture the config names for loading weights
    kind = "exported program" if teacher.name == "exported" else teacher.name
    upload = {"file_name": file_name, "format": kind, "sha256": sha256_file(config.teacher_path)}
    return teacher, attribution_target, str(Path(config.teacher_path).resolve()), f"uploaded ({kind})", upload


def _trained_teacher(split, config, candidates, device, progress, on_teacher_epoch, should_cancel=None,
                     on_build=None, on_core_free=None):
    """Train each candidate architecture on the training split and keep the one with the lowest validation loss.

    Parameters
    ----------
    split : _Split
        Its tiles' maps, when there are tiles, keep a map's tiles together in the validation hold-out.
    config : PipelineConfig
    candidates : tuple of str
    device : torch.device
    progress, on_teacher_epoch, should_cancel : callable or None
        As :func:`prepare` takes them.
    on_build : callable or None
        ``on_build(model)`` as each architecture is built (:func:`models.teachers.train_teacher`).
    on_core_free : callable or None
        ``on_core_free()`` when a core idles (:func:`models.teachers.train_best_teacher`).

    Returns
    -------
    teacher : torch.nn.Module
    validation : dict
        Each architecture's lowest validation MSE (:func:`models.teachers.train_best_teacher`).
    """
    input_shape = tuple(split.X_train.shape[1:])
    resolve_augmentation(config.teacher_augment, input_shape, field="teacher_augment")  # fails before training
    names = list(candidates or (config.teacher,))
    report(progress, "teacher", 0.1, f"training the {names[0]} teacher" if len(names) == 1 else
           f"training the {' and the '.join(names)} teachers, to keep the one with the lower validation loss")

    def teacher_progress(stage, fraction, message):
        report(progress, "teacher", 0.1 + 0.9 * fraction, message)

    kwargs = {"epochs": config.teacher_epochs} if config.teacher_epochs else {}
    if split.groups is not None:
        kwargs["groups"] = split.groups
    return _teachers.train_best_teacher(
        names, split.X_train, split.y_train, seed=config.seed, device=device, progress=teacher_progress,
        on_epoch=on_teacher_epoch, augment=config.teacher_augment, should_stop=should_cancel, on_build=on_build,
        on_core_free=on_core_free, **kwargs)


def _score_teacher(teacher, split, work_dir):
    """Check the teacher on the training data, score it on the test split and time its predictions.

    Its test predictions are written to ``work_dir/teacher_test.npz``: they go into the result's ``arrays.npz``
    beside the students' (``y_pred_teacher``).

    Parameters
    ----------
    teacher : _Teacher
    split : _Split
    work_dir : Path

    Returns
    -------
    scores : dict
        :func:`models.teachers.evaluate_teacher`'s, with ``y_pred``.
    seconds : float
        Prediction time per test sample.

    Raises
    ------
    InputError
        When the teacher gives NaN or infinite values on the training or the test data.
    """
    module = teacher.module
    module.eval()
    check_teacher_is_finite(module, split.X_train)
    scores = _teachers.evaluate_teacher(module, split.X_test, split.y_test, target=teacher.attribution_target,
                                        return_predictions=True)
    write_npz(work_dir / TEACHER_TEST_FILE, y_pred=scores["y_pred"])
    if not (np.isfinite(scores["r2"]) and np.isfinite(scores["rmse"])):
        raise InputError("teacher", "returns NaN or infinite values on the test split of this dataset",
                         "check the teacher on your data (its normalisation and input layout), or let AWD "
                         "Studio train one")
    seconds = _metrics.seconds_per_sample(lambda X: _teachers.predict(module, X), split.X_test)
    return scores, seconds


def _input_scaling_info(teacher, X_train, config, kind):
    """``info["scaling"]``: the :func:`input_scaling` that ``config.input_scaling`` names ("auto" by data kind).

    Parameters
    ----------
    teacher : torch.nn.Module
    X_train : ndarray
    config : PipelineConfig
    kind : {"timeseries", "image"}

    Returns
    -------
    dict
        ``{"offset": float, "scale": float, "source": str}``.
    """
    x_offset, x_scale, scaling_source = input_scaling(teacher, X_train,
                                                      resolved_input_scaling(config.input_scaling, kind))
    return {"offset": x_offset, "scale": x_scale, "source": scaling_source}


def _data_info(dataset, data_path, split, config):
    """``info["data"]``: what the data are, how they were split, and the names and axis the figures show.

    Parameters
    ----------
    dataset : Dataset
    data_path : str or Path
    split : _Split
    config : PipelineConfig

    Returns
    -------
    dict
    """
    input_shape = tuple(split.X_train.shape[1:])
    target_names = list(getattr(dataset, "target_names", None) or [])
    groups, test_groups = split.groups, split.test_groups
    return {"kind": dataset.kind, "shape": [int(s) for s in input_shape], "n_train": int(len(split.X_train)),
            "n_test": int(len(split.X_test)), "sha256": source_sha256(dataset, data_path), "name": dataset.name,
            "true_wavelet": true_wavelet(dataset.meta),
            "target_name": (str(target_names[config.target]) if config.target < len(target_names)
                            else f"target {config.target}"),
            "target_names": [str(n) for n in target_names],  # the map student's classes name them
            # the series' own axis (times from a CSV's column names), for the figures
            **({"sample_axis": axis} if (axis := _sample_axis(dataset, input_shape)) else {}),
            # a map's pixel on the sky, when its file says (the maps' figures label their axes with it)
            **({"pixel_arcmin": pixel} if (pixel := pixel_arcmin(dataset, input_shape)) else {}),
            # the maps' shape noise and smoothing, when the file records them (predictions on other maps compare)
            **({"map_noise": noise} if dataset.kind == "image" and (noise := map_noise(dataset.meta)) else {}),
            # rows of a CSV left out for missing values (the upload option, awd distill --drop-incomplete)
            **({"dropped_rows": dataset.meta["dropped_rows"]} if dataset.meta.get("dropped_rows") else {}),
            # traces of a CSV whose ends were filled with zeros (the upload option, awd distill --pad-ends)
            **({"padded_rows": dataset.meta["padded_rows"]} if dataset.meta.get("padded_rows") else {}),
            # arrays stored with a channel axis of size 1, read without it (awd distill and the upload say so)
            **({"channel_axis": stored} if (stored := stored_channel_axis(dataset.meta.get("channel_axis"))) else {}),
            # tiles: validation and folds hold out whole maps (models.data.tiles.tile_groups)
            **({"train_maps": int(groups.max()) + 1} if groups is not None else {}),
            **({"test_maps": int(test_groups.max()) + 1} if test_groups is not None else {})}


def source_sha256(dataset, data_path) -> str:
    """SHA-256 of the file the data came from: the one its ``meta`` names (:data:`SOURCE_FILE_META`) when
    ``data_path`` is a copy saved after reading, else ``data_path``'s own.

    Parameters
    ----------
    dataset : Dataset
        As read from ``data_path``.
    data_path : str or Path

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> source_sha256(SimpleNamespace(meta={"source_file": {"name": "a.csv", "sha256": "ab" * 32}}), "copy.npz")[:4]
    'abab'
    """
    recorded = ((dataset.meta or {}).get(SOURCE_FILE_META) or {}).get("sha256")
    return str(recorded) if recorded else sha256_file(data_path)


def _teacher_info(teacher, scores, seconds, split, config):
    """``info["teacher"]``: its name, size and test scores, and how it was trained or what its upload predicts.

    Parameters
    ----------
    teacher : _Teacher
    scores : dict
        :func:`_score_teacher`'s, with ``y_pred``.
    seconds : float
        Prediction time per test sample.
    split : _Split
    config : PipelineConfig

    Returns
    -------
    dict
    """
    module, validation, y_test = teacher.module, teacher.validation, split.y_test
    return {"name": teacher.name, "n_params": int(_teachers.count_params(module)),
            "test": {"r2": float(scores["r2"]), "rmse": float(scores["rmse"]),
                     # the same bootstrap as the students' (whole test maps for tiles)
                     "rmse_sd": float(_metrics.bootstrap_rmse_sd(y_test, scores["y_pred"], seed=0,
                                                                 groups=split.test_groups))},
            "predict_seconds_per_sample": float(seconds), "file": teacher.file,
            "attribution_target": int(teacher.attribution_target), "train_seconds": teacher.seconds,
            # uploaded weights: their file's name (not its path on this machine), format and sha256
            **({"upload": dict(teacher.upload)} if teacher.upload is not None else {}),
            # uploaded weights: the spread of their test predictions against the target's, which tells
            # a network fed or answering in other units (trust note teacher_units)
            **({"prediction_scale": {k: v for k, v in prediction_scale(scores["y_pred"], y_test).items()
                                     if k != "r2" and np.isfinite(v)}}
               if config.teacher_path is not None and len(y_test) >= 2 else {}),
            # every architecture "auto" trained, by its lowest validation MSE (standardised targets)
            **({"validation_mse": validation} if validation is not None and len(validation) > 1 else {}),
            # architectures stopped far behind another (models.teachers.train_best_teacher): their epochs
            **({"stopped_behind": stopped} if (stopped := getattr(module, "stopped_behind", None)) else {}),
            # a teacher trained here: epochs run, the most allowed, and the best (1-based)
            **({"epochs_run": len(module.history["val"]), "epoch_cap": int(module.epoch_cap),
                "best_epoch": int(module.best_epoch) + 1}
               if getattr(module, "epoch_cap", None) and getattr(module, "history", None) else {})}


def true_wavelet(meta):
    """The ground-truth wavelet a dataset's metadata names (``meta["true_wavelet"]``), if it is orthogonal."""
    name = (meta or {}).get("true_wavelet")
    if not isinstance(name, str):
        return None
    try:
        lowpass_filter(name)
    except ValueError:
        return None
    return name


#: Training samples on which the teacher's outputs and saliency are checked before distillation.
TEACHER_CHECK_SAMPLES = 256


def check_teacher_is_finite(teacher, X_train):
    """Refuse a teacher whose outputs or input gradients are NaN or infinite on (a slice of) the training data.

    The upload check runs a teacher on random input only; this one runs it on the user's data, before any
    long stage starts.
    """
    param = next(teacher.parameters(), None)
    device, dtype = (param.device, param.dtype) if param is not None else (torch.device("cpu"), torch.float32)
    X = np.asarray(X_train[:TEACHER_CHECK_SAMPLES])
    bad_out = bad_grad = 0
    step = gradient_batch_size(X.shape[1:], len(X))  # bounded memory for large samples
    for start in range(0, len(X), step):
        x = torch.as_tensor(X[start:start + step], dtype=dtype, device=device).requires_grad_(True)
        with torch.enable_grad():
            out = teacher(x)
            bad_out += int((~torch.isfinite(out.detach())).reshape(len(x), -1).any(1).sum())
            grad = torch.autograd.grad(out.sum(), x, allow_unused=True)[0] if out.requires_grad else None
        bad_grad += 0 if grad is None else int((~torch.isfinite(grad)).reshape(len(x), -1).any(1).sum())
    if bad_out or bad_grad:
        what = "outputs" if bad_out else "input gradients (the saliency AWD distils)"
        raise InputError("teacher", f"gives NaN or infinite {what} on {max(bad_out, bad_grad)} of the first "
                         f"{len(X)} training samples",
                         "check the teacher on your data (its normalisation and input layout), or let AWD "
                         "Studio train one")


def pixel_arcmin(dataset, input_shape) -> float | None:
    """The side of a map's pixel in arcmin, when the file says (:func:`models.data.pixels.pixel_arcmin`: its
    ``meta["pixel_arcmin"]``, else its field of view over the maps' width). None for series, or for maps whose
    file does not say (review 32A: the pixel size was read, and every axis said pixels only).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> pixel_arcmin(SimpleNamespace(kind="image", meta={"field_of_view_deg": 3.5}), (64, 64))
    3.28125
    >>> pixel_arcmin(SimpleNamespace(kind="timeseries", meta={"pixel_arcmin": 1.0}), (40,)) is None
    True
    """
    if dataset.kind != "image" or len(input_shape) != 2:
        return None
    return sky_pixel_arcmin(dataset.meta, int(input_shape[1]))


def _sample_axis(dataset, input_shape) -> dict | None:
    """The series' axis its file named (``meta["sample_axis"]``: values and label), when it has one value per
    sample; None for maps and unnamed samples."""
    axis = (dataset.meta or {}).get("sample_axis") if dataset.kind == "timeseries" else None
    if not isinstance(axis, dict) or len(axis.get("values") or []) != int(input_shape[0]):
        return None
    return {"values": [float(v) for v in axis["values"]], "label": str(axis.get("label") or "position")}
