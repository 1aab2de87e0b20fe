"""Uploaded ``torch.export`` programs (``.pt2``): loaded with pickle blocked and wrapped as teachers.

:func:`torch.export.load` unpickles sample inputs, weights and constants; :func:`_weights_only_unpickling`
forces ``torch.load`` to ``weights_only=True`` and makes the archive reader's raw unpicklers raise while a
program loads (process-wide, under a lock). :func:`load_exported` checks the program's input shape and
outputs and returns an :class:`ExportedTeacher`.
"""

from __future__ import annotations

import contextlib
import pickle
import threading

import torch
from torch import nn

from models.teachers.architectures import _check_input_shape
from models.teachers.inference import validate_teacher
from models.validation import InputError

__all__ = ["ExportedTeacher", "load_exported"]


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


def load_exported(path, input_shape=None, n_outputs=None):
    """Load a ``.pt2`` archive with pickle blocked and wrap it as a teacher, checked on a sample input."""
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
