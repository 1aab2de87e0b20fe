"""The upload check of a teacher file: load it, run it once, count its parameters; here or in a child process.

:func:`check_teacher_file` is what an upload needs to know (the file loads as the given architecture and
input shape, returns finite ``(B, n_outputs)`` on a sample input, and how many parameters it has).
:func:`check_teacher_file_isolated` runs the same check in a fresh, short-lived interpreter with a time
limit, for the web process: loading never patches torch and never unpickles or evaluates anything from the
file, but a foreign program still runs ATen operators, and a crafted one could crash, hang or exhaust the
process that runs it. Both raise ``ValueError`` (an :class:`~models.validation.InputError` when the loader
names a field) with the same messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from awd_studio.models.teachers.architectures import count_params
from awd_studio.models.teachers.inference import predict, validate_teacher
from awd_studio.models.teachers.loading import load_teacher
from awd_studio.models.validation import InputError

__all__ = ["CHECK_TIMEOUT", "TeacherCheck", "check_teacher_file", "check_teacher_file_isolated"]

#: Seconds the child process of :func:`check_teacher_file_isolated` may take (starting Python and torch
#: included, a few seconds on a busy 2-core machine).
CHECK_TIMEOUT = 120

#: What to do about weights that load but fail, or answer NaN, on the dataset's samples.
_ON_DATA_FIX = "check the network on this data (its normalisation, its inputs' units) and upload it again"

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the ``models`` package


class TeacherCheck(NamedTuple):
    """What an upload check found: the trainable parameters and the outputs of the teacher, and its
    predictions on the sample of data it was given (None without one)."""

    n_params: int
    n_outputs: int
    sample_predictions: np.ndarray | None = None


def check_teacher_file(path, *, arch=None, input_shape, n_outputs=1, sample=None):
    """Load teacher weights on the CPU, run a sample input, and count the parameters.

    Parameters
    ----------
    path : str or Path
        ``.safetensors``, ``.pt``/``.pth`` or ``.pt2`` (see :func:`~models.teachers.load_teacher`).
    arch : {"mlp", "lstm", "cnn", "resnet18"} or None, default=None
        Architecture of a state dict; ``None`` for ``.pt2`` programs and self-describing safetensors.
    input_shape : sequence of int
        ``(L,)`` or ``(H, W)``: the shape of one sample of the data to distil.
    n_outputs : int or None, default=1
        The outputs the teacher must have; ``None`` accepts any number (the caller checks it).
    sample : ndarray of shape (m, *input_shape) or None, default=None
        Raw samples of the data the teacher is for: its predictions on them are returned (the caller compares
        their scale with the targets', :mod:`models.teachers.units`).

    Returns
    -------
    TeacherCheck
        Its number of trainable parameters and of outputs, and its predictions on ``sample`` (shape
        (m, n_outputs)).

    Raises
    ------
    ValueError
        Malicious or foreign pickles, keys or shapes that do not fit ``arch``, bad outputs, outputs that are
        not finite on ``sample``; anything else that goes wrong is reported as ``"file: the weights could not
        be loaded (...)"``.
    """
    try:
        model = load_teacher(path, name=arch, input_shape=tuple(input_shape), n_outputs=n_outputs, device="cpu")
        outputs = validate_teacher(model, tuple(input_shape), n_outputs=n_outputs)
        predictions = None
        if sample is not None:
            try:
                predictions = predict(model, sample).astype(np.float64)
            except Exception as exc:  # loaded, and ran on a random input: the data itself breaks it
                raise InputError("teacher", f"fails on samples of the dataset ({exc.__class__.__name__}: "
                                            f"{str(exc)[:200]})",
                                 _ON_DATA_FIX) from None
            bad = int(np.sum(~np.isfinite(predictions).all(axis=1)))
            if bad:
                raise InputError("teacher", f"returns NaN or infinite outputs on {bad} of {len(predictions)} "
                                            "samples of the dataset",
                                 _ON_DATA_FIX)
        return TeacherCheck(int(count_params(model)), int(outputs), predictions)
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"file: the weights could not be loaded ({exc.__class__.__name__}: {exc})") from None


def check_teacher_file_isolated(path, *, arch=None, input_shape, n_outputs=1, sample=None, timeout=CHECK_TIMEOUT):
    """:func:`check_teacher_file` in a fresh Python process, so that the file never runs in the caller.

    The child is ``sys.executable`` importing this package from the same source tree, talking JSON over
    its standard input and output; it is killed after ``timeout`` seconds. Nothing of the file is read in
    the caller, and the caller's torch is left as it was.

    Parameters
    ----------
    path, arch, input_shape, n_outputs, sample
        As :func:`check_teacher_file` (``sample`` goes to the child as a float32 ``.npy`` file).
    timeout : float, default=CHECK_TIMEOUT
        Seconds before the child is killed.

    Returns
    -------
    TeacherCheck
        Its number of trainable parameters and of outputs, and its predictions on ``sample``.

    Raises
    ------
    ValueError
        With the message :func:`check_teacher_file` would raise (an :class:`~models.validation.InputError`
        keeps its ``field``); also when the child times out or dies.
    """
    with tempfile.TemporaryDirectory(prefix="awd-teacher-check-") as scratch:
        sample_path = None
        if sample is not None:
            sample_path = str(Path(scratch) / "sample.npy")
            np.save(sample_path, np.asarray(sample, dtype=np.float32), allow_pickle=False)
        request = json.dumps({"path": str(Path(path).resolve()), "arch": arch,
                              "input_shape": [int(s) for s in input_shape],
                              "n_outputs": None if n_outputs is None else int(n_outputs), "sample": sample_path})
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-c", "from models.teachers.check import main; main()"]
        try:
            done = subprocess.run(command, input=request, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise ValueError(f"file: checking the weights took longer than {timeout:g} s; upload a smaller model "
                             "or one that runs on a sample input") from None
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        reply = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ValueError(f"file: the weights could not be checked (the checker exited with code "
                         f"{done.returncode}: {tail[0][:300]})") from None
    if "n_params" in reply:
        predictions = reply.get("sample_predictions")
        return TeacherCheck(int(reply["n_params"]), int(reply["n_outputs"]),
                            None if predictions is None else np.asarray(predictions, dtype=np.float64))
    if "field" in reply:
        raise InputError(reply["field"], reply["problem"], reply.get("fix"))
    raise ValueError(reply["error"])


def main():
    """Child side of :func:`check_teacher_file_isolated`: one JSON request on stdin, one JSON reply on stdout."""
    torch.set_num_threads(1)
    request = json.loads(sys.stdin.read())
    try:
        sample = None if request.get("sample") is None else np.load(request["sample"], allow_pickle=False)
        found = check_teacher_file(request["path"], arch=request["arch"], input_shape=request["input_shape"],
                                   n_outputs=request["n_outputs"], sample=sample)
        reply = {"n_params": found.n_params, "n_outputs": found.n_outputs,
                 "sample_predictions": None if found.sample_predictions is None
                 else found.sample_predictions.tolist()}
    except InputError as exc:
        reply = {"field": exc.field, "problem": exc.problem, "fix": exc.fix}
    except ValueError as exc:
        reply = {"error": str(exc)}
    sys.stdout.write("\n" + json.dumps(reply) + "\n")
    sys.stdout.flush()
