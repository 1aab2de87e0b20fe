"""Uploaded ``torch.export`` programs (``.pt2``): read without unpickling anything, refused, or wrapped as teachers.

:func:`torch.export.load` must not see an untrusted file: it unpickles weights, constants and sample inputs
(``torch.load(weights_only=False)``, ``pickle.loads``), passes the graph's symbolic-shape expressions to
``sympy.sympify`` (which evaluates Python), compiles the archive's guard code and loads AOTInductor shared
libraries. This module never calls it and patches nothing: :func:`read_program` reads the archive's parts
itself (the graph and the payload configs as JSON, each weight as raw bytes of a declared dtype, shape and
strides, the sample inputs only through ``torch.load(weights_only=True)``) and refuses any pickled payload,
custom object or compiled code unread; :mod:`models.teachers.graph` runs the graph. :func:`load_exported`
checks the program's input shape and outputs and returns an :class:`ExportedTeacher`.
"""

from __future__ import annotations

import io
import json
import math

import torch
from torch import nn
from torch._export.serde.schema import SCHEMA_VERSION, Layout

from awd_studio.models.teachers.architectures import _check_input_shape
from awd_studio.models.teachers.graph import _DTYPES, GraphProgram, UnsafeProgram, _int_sizes, _lookup, _str
from awd_studio.models.teachers.inference import validate_teacher
from awd_studio.models.validation import InputError

__all__ = ["ExportedTeacher", "read_program", "load_exported"]

_PICKLED = "pickled Python objects"


def _pt2_constants():
    """torch's names of the archive's parts, imported when an archive is read: importing
    ``torch.export.pt2_archive`` loads torch's compiler stack (about a second), which no other job needs."""
    from torch.export.pt2_archive import constants

    return constants


def _payloads(reader, directory, config_name, names):
    """Tensors of one payload config (weights or constants), by fully qualified name, read from raw bytes."""
    pt2 = _pt2_constants()
    path = config_name.format("model")
    if path not in names:
        legacy = f"{directory}model.pt"
        if legacy in names:
            raise UnsafeProgram(_PICKLED)
        raise ValueError(f"{path} is missing")
    config = json.loads(reader.read_string(path)).get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{path} is malformed")
    bases, tensors = {}, {}
    for fqn, meta in config.items():
        if not isinstance(meta, dict):
            raise ValueError(f"{path} is malformed")
        file = _str(meta.get("path_name"))
        if meta.get("use_pickle") or file.startswith((pt2.CUSTOM_OBJ_FILENAME_PREFIX, pt2.OPAQUE_OBJ_FILENAME_PREFIX)):
            raise UnsafeProgram(_PICKLED)
        tensor_meta = meta.get("tensor_meta")
        if not isinstance(tensor_meta, dict):
            raise ValueError(f"{fqn}: no tensor meta")
        dtype = _lookup(_DTYPES, tensor_meta.get("dtype"), "dtype")
        if tensor_meta.get("layout") != Layout.Strided:
            raise ValueError(f"{fqn}: only strided tensors are supported")
        if file not in bases:
            record = directory + file
            if record not in names:
                raise ValueError(f"{record} is missing")
            data = bytearray(reader.read_bytes(record))
            if len(data) % torch.empty((), dtype=dtype).element_size():
                raise ValueError(f"{record} does not hold whole {dtype} elements")
            bases[file] = torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)
        base = bases[file]
        if base.dtype != dtype:
            raise ValueError(f"{fqn}: {file} is read as two dtypes")
        sizes = _int_sizes(tensor_meta.get("sizes"), "size")
        strides = _int_sizes(tensor_meta.get("strides"), "stride")
        (offset,) = _int_sizes([tensor_meta.get("storage_offset")], "storage offset")
        if base.numel() == 0 and math.prod(sizes) > 0:  # torch.export.save writes no bytes for fake tensors
            raise ValueError(f"{fqn}: the archive holds no values for it (exported with fake weights?)")
        tensor = torch.as_strided(base, sizes, strides, offset)  # torch checks the bounds against the record
        tensors[fqn] = (tensor, bool(tensor_meta.get("requires_grad")))
    return tensors


def read_program(path):
    """Read a ``torch.export.save`` archive into a :class:`GraphProgram`, refusing anything but tensors.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    GraphProgram

    Raises
    ------
    UnsafeProgram
        The archive holds a pickled payload (weights, constants, sample inputs that ``weights_only`` refuses),
        a custom object, or AOTInductor code.
    ValueError
        Anything else that is not a program of ATen operators on tensors (with the reason).
    """
    from torch.export.pt2_archive import PT2ArchiveReader

    pt2 = _pt2_constants()
    reader = PT2ArchiveReader(str(path))
    names = set(reader.get_file_names())
    if any(name.startswith(pt2.AOTINDUCTOR_DIR) for name in names):
        raise UnsafeProgram("compiled code (AOTInductor)")
    if pt2.ARCHIVE_VERSION_PATH in names and reader.read_string(pt2.ARCHIVE_VERSION_PATH) != pt2.ARCHIVE_VERSION_VALUE:
        raise ValueError("unsupported archive version")
    if "byteorder" in names and reader.read_string("byteorder") != "little":
        raise ValueError("the weights are big-endian")
    model_file = pt2.MODELS_FILENAME_FORMAT.format("model")
    if model_file not in names:
        raise ValueError(f"{model_file} is missing (save one program with torch.export.save)")
    sample_file = pt2.SAMPLE_INPUTS_FILENAME_FORMAT.format("model")
    if sample_file in names and reader.read_bytes(sample_file):
        try:
            torch.load(io.BytesIO(reader.read_bytes(sample_file)), weights_only=True)
        except Exception:  # weights_only refuses anything but tensors and plain containers
            raise UnsafeProgram(_PICKLED) from None
    program = json.loads(reader.read_string(model_file))
    version = program.get("schema_version", {})
    if version.get("major") != SCHEMA_VERSION[0]:
        raise ValueError(f"schema version {version.get('major')} is not {SCHEMA_VERSION[0]} (export with torch "
                         f"{torch.__version__.split('+')[0]})")
    weights = _payloads(reader, pt2.WEIGHTS_DIR, pt2.WEIGHTS_CONFIG_FILENAME_FORMAT, names)
    constants = _payloads(reader, pt2.CONSTANTS_DIR, pt2.CONSTANTS_CONFIG_FILENAME_FORMAT, names)
    return GraphProgram(program, weights, constants)


class ExportedTeacher(nn.Module):
    """A :func:`torch.export` program wrapped to behave like a teacher module.

    Programs exported with a fixed batch size are run chunk by chunk (the last chunk zero-padded), so any
    batch size works.

    Parameters
    ----------
    program : GraphProgram or torch.export.ExportedProgram
        From :func:`read_program` (uploads), or a program exported in this process (then ``.module()`` runs).
    input_shape : tuple of int
    n_outputs : int
    batch_size : int or None
        The program's fixed batch size, ``None`` when dynamic.
    """

    def __init__(self, program, input_shape, n_outputs, batch_size=None):
        super().__init__()
        self.program = program.module() if isinstance(program, torch.export.ExportedProgram) else program
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


def load_exported(path, input_shape=None, n_outputs=None):
    """Read a ``.pt2`` archive safely and wrap it as a teacher, checked on a sample input.

    Parameters
    ----------
    path : Path
    input_shape : tuple of int, optional
        ``(L,)`` or ``(H, W)``; read from the program when ``None``.
    n_outputs : int, optional
        Expected number of outputs; ``None`` accepts what the program returns.

    Returns
    -------
    ExportedTeacher
        On the CPU, in evaluation mode.

    Raises
    ------
    InputError
        A pickled payload, custom object or compiled code (refused unread), anything that is not a program of
        ATen operators on tensors, an input shape that differs from the program's, a failing or wrong output.
    """
    try:
        program = read_program(path)
    except Exception as exc:  # corrupt archive, wrong format, refused content
        if isinstance(exc, UnsafeProgram):
            raise InputError("file", f"{path.name} contains {exc}; it was refused unread",
                             "export a plain tensor program with torch.export.export and torch.export.save"
                             ) from None
        raise InputError("file", f"cannot be read as a torch.export program ({exc})",
                         "export with torch.export.export(model, (x,)) and torch.export.save") from None
    sample, batch = program.sample_shape()
    if input_shape is None:
        if sample is None or any(d is None for d in sample):
            raise InputError("input_shape", "cannot be read from the exported program",
                             "pass input_shape, e.g. (64, 64)")
        input_shape = sample
    input_shape = _check_input_shape(input_shape)
    if sample is not None and all(d is not None for d in sample) and tuple(sample) != input_shape:
        raise InputError("input_shape", f"{input_shape} differs from the program's input {sample}",
                         f"AWD Studio passes samples shaped ({', '.join(map(str, input_shape))}), batch first, "
                         "with no channel axis: export a program that takes (B, "
                         f"{', '.join(map(str, input_shape))}) (wrap a network that needs a channel axis in a "
                         "module whose forward(x) returns net(x.unsqueeze(1)), or a series network that takes a "
                         "feature axis last, (n, length, 1), in one returning net(x.unsqueeze(-1)): Help, “The "
                         "teacher”, shows both), or "
                         "upload data of the program's sample shape")
    model = ExportedTeacher(program, input_shape, n_outputs, batch)
    model.n_outputs = validate_teacher(model, input_shape, n_outputs, batch=batch or 2)
    return model
