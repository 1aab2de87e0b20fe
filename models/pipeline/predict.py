"""Apply a finished result's distilled model to new data (``awd predict``, ``POST /api/results/{key}/predict``).

A result directory holds ``result.json`` (the students' settings, ``students.<name>``) and ``arrays.npz``
(their arrays); :func:`predict_from_bundle` rebuilds the predictions from them alone
(:func:`models.pipeline.student_params.predict_with_record`), with the arithmetic of the pipeline, so the
stored test split gives back the pipeline's test predictions. :func:`predict_file` reads a data file with the
readers of datasets (same formats, same errors; :func:`models.data.readers.inputs.load_inputs`, where targets
are optional) and predicts every row of ``X`` (and of ``X_test`` when the file has one), with R² and RMSE when
the file's targets are there and predictions alone (and a ``note`` saying so) when they are not.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from awd_studio.models import metrics as _metrics
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.pipeline.student_params import predict_with_record
from awd_studio.models.validation import InputError

__all__ = ["load_student", "predict_from_bundle", "predict_file", "predictions_csv", "predictions_npz",
           "NO_TARGETS_NOTE"]

#: What the outputs say when the file has no targets (the CLI prints it, the API returns it as ``note``).
NO_TARGETS_NOTE = "the file has no targets: predictions only, no scores"


def _read_bundle(result_dir) -> dict:
    path = Path(result_dir) / "result.json"
    if not path.is_file():
        raise InputError("result", f"{Path(result_dir)} holds no result.json",
                         "pass the directory `awd distill --out` wrote (it holds result.json and arrays.npz)")
    return json.loads(path.read_text())


def load_student(result_dir, model="awd"):
    """The record and arrays of one stored student.

    Parameters
    ----------
    result_dir : str or Path
        A result directory (``result.json`` + ``arrays.npz``).
    model : str, default="awd"
        Which student: ``awd``, ``awd_no_interp``, ``baseline_wavelet`` (and on maps ``laplace``,
        ``roberts_cross``, ``peak_heights``; ``random_search`` when the job ran the teacher-free control).

    Returns
    -------
    record : dict
    arrays : dict of str to ndarray
    bundle : dict
        The whole ``result.json``.
    """
    bundle = _read_bundle(result_dir)
    students = bundle.get("students") or {}
    if not students:
        raise InputError("result", "was written before results carried their students",
                         "rerun the job with this version of AWD Studio")
    if model not in students:
        raise InputError("model", f"{model!r} is not a student of this result",
                         f"use one of {', '.join(sorted(students))}")
    record = students[model]
    with np.load(Path(result_dir) / "arrays.npz", allow_pickle=False) as npz:
        arrays = {field: npz[key] for field, key in record["arrays"].items()}
    return record, arrays, bundle


def predict_from_bundle(result_dir, X, model="awd"):
    """Predictions of a result's student on raw inputs.

    Parameters
    ----------
    result_dir : str or Path
    X : array-like of shape (n, L) or (n, H, W)
        Raw inputs in the units of the training data (the student applies the input scaling itself).
    model : str, default="awd"

    Returns
    -------
    ndarray of shape (n,)
        The reported target column.

    Examples
    --------
    >>> predict_from_bundle("no/such/dir", np.zeros((1, 8)))
    Traceback (most recent call last):
    ...
    awd_studio.models.validation.InputError: result: no/such/dir holds no result.json; pass the directory `awd distill --out` wrote (it holds result.json and arrays.npz)
    """
    record, arrays, _ = load_student(result_dir, model)
    return predict_with_record(record, arrays, X)


def _check_kind(bundle, X):
    shape = tuple(bundle["data"]["shape"])
    if tuple(X.shape[1:]) != shape:
        what = "series of length" if len(shape) == 1 else "maps of size"
        raise InputError("X", f"has samples shaped {tuple(X.shape[1:])}, this result was trained on {what} "
                         f"{' x '.join(map(str, shape))}", f"pass data shaped (n, {', '.join(map(str, shape))})")


def predict_file(result_dir, data_path, model="awd", *, max_bytes=None):
    """Read a data file and predict it with a result's student; targets are optional.

    Parameters
    ----------
    result_dir : str or Path
    data_path : str or Path
        Any format the datasets accept (npz, npy (+ ``_y.npy``), csv, FITS, HDF5, MAT), with or without
        targets (see :mod:`models.data.readers.inputs`: an npz with only ``X``, an npy of X, a CSV of series
        without a target column, FITS maps without a table).
    model : str, default="awd"
    max_bytes : int, optional
        Largest decoded size (the readers' budget).

    Returns
    -------
    dict
        ``model``, ``target`` (name of the reported column or None), ``has_targets``, ``y_pred`` (n,) and,
        when the file has a fixed test split, ``y_pred_test``; with targets also ``y_true`` (``y_true_test``)
        and ``scores`` mapping ``X`` / ``X_test`` to ``{"r2", "rmse", "n"}``; ``scores`` is empty and
        ``note`` says so for a split without targets.
    """
    record, arrays, bundle = load_student(result_dir, model)
    shape = tuple(bundle["data"]["shape"])
    inputs = load_inputs(data_path, sample_shape=shape, max_bytes=max_bytes)
    column = int((bundle.get("provenance") or {}).get("config", {}).get("target", 0) or 0)
    out = {"model": model, "target": (bundle["data"].get("target_name") if isinstance(bundle["data"], dict) else None),
           "has_targets": inputs.has_targets, "scores": {}}
    for name, X, y in (("X", inputs.X, inputs.y), ("X_test", inputs.X_test, inputs.y_test)):
        if X is None:
            continue
        _check_kind(bundle, np.asarray(X))
        pred = predict_with_record(record, arrays, X)
        suffix = "" if name == "X" else "_test"
        out[f"y_pred{suffix}"] = pred
        if y is None:
            continue
        y2 = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        y_true = y2[:, column if column < y2.shape[1] else 0]
        out[f"y_true{suffix}"] = y_true
        out["scores"][name] = {"r2": float(_metrics.r2_score(y_true, pred)), "rmse": float(_metrics.rmse(y_true, pred)),
                               "n": int(len(pred))}
    if not inputs.has_targets:
        out["note"] = NO_TARGETS_NOTE
    return out


def predictions_npz(result: dict) -> bytes:
    """The predictions of :func:`predict_file` as an ``.npz`` (``y_pred``, ``y_true`` when known, ``*_test``)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in result.items() if k.startswith(("y_pred", "y_true"))})
    return buffer.getvalue()


def predictions_csv(result: dict) -> str:
    """The predictions of :func:`predict_file` as CSV: ``split,row,y_pred,y_true`` (``split,row,y_pred``
    when the file has no targets; an empty ``y_true`` for a split without them)."""
    with_truth = any(k.startswith("y_true") for k in result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["split", "row", "y_pred", "y_true"] if with_truth else ["split", "row", "y_pred"])
    for split, suffix in (("X", ""), ("X_test", "_test")):
        if f"y_pred{suffix}" not in result:
            continue
        truth = result.get(f"y_true{suffix}")
        for i, p in enumerate(result[f"y_pred{suffix}"]):
            row = [split, i, repr(float(p))]
            if with_truth:
                row.append("" if truth is None else repr(float(truth[i])))
            writer.writerow(row)
    return buffer.getvalue()
