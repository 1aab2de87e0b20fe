"""The interpreter of exported graphs: a ``torch.export`` graph, as JSON, run by calling ATen operators.

Nothing here unpickles, evaluates or compiles text. A node's target resolves only to a ``torch.ops.aten``
overload (none that reads or writes files) or to one of the size functions torch.export serialises by name;
its arguments are decoded once, from JSON literals, into values and references to earlier results. Symbolic
size expressions are never parsed beyond a plain symbol name, and guard code is ignored: inputs are checked
against the exported sample shape instead. The same operators run in the same order as in
``torch.export.load(path).module()``, so the numbers and the gradients are the same.
"""

from __future__ import annotations

import math
import operator
import re

import torch
from torch import nn
from torch._export.serde.schema import Layout, MemoryFormat, ScalarType

__all__ = ["GraphProgram", "UnsafeProgram"]


class UnsafeProgram(ValueError):
    """The program holds pickled objects or compiled code (named by the message); refused without reading them."""


_DTYPES = {
    ScalarType.BYTE: torch.uint8, ScalarType.CHAR: torch.int8, ScalarType.SHORT: torch.int16,
    ScalarType.INT: torch.int32, ScalarType.LONG: torch.int64, ScalarType.HALF: torch.float16,
    ScalarType.FLOAT: torch.float32, ScalarType.DOUBLE: torch.float64, ScalarType.BOOL: torch.bool,
    ScalarType.BFLOAT16: torch.bfloat16, ScalarType.COMPLEXFLOAT: torch.complex64,
    ScalarType.COMPLEXDOUBLE: torch.complex128,
}
_MEMORY_FORMATS = {
    MemoryFormat.ContiguousFormat: torch.contiguous_format, MemoryFormat.ChannelsLast: torch.channels_last,
    MemoryFormat.ChannelsLast3d: torch.channels_last_3d, MemoryFormat.PreserveFormat: torch.preserve_format,
}
_LAYOUTS = {Layout.Strided: torch.strided}
_DEVICE_TYPES = ("cpu", "cuda")
_FLOAT_WORDS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}

#: Arithmetic on sizes that exported graphs record beside the ATen operators (dynamic shapes): exactly the
#: functions torch.export serialises by name (``torch._export.serde.serialize._SYM_OPS``).
_SIZE_FUNCTIONS = {f"_operator.{name}": getattr(operator, name) for name in (
    "add", "and_", "eq", "floordiv", "ge", "gt", "le", "lshift", "lt", "mod", "mul", "ne", "neg", "or_", "pos",
    "pow", "rshift", "sub", "truediv")}
_SIZE_FUNCTIONS["math.trunc"] = math.trunc
_SIZE_FUNCTIONS["torch._sym_sqrt"] = torch._sym_sqrt
_SIZE_FUNCTIONS.update({f"torch.{name}": getattr(torch, name)
                        for name in ("sym_float", "sym_int", "sym_ite", "sym_max", "sym_min", "sym_not")})

_NAME = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$")
#: A size that is one plain symbol (``s0`` or ``Symbol('s0', positive=True, integer=True)``); only matched, never
#: evaluated. Other size expressions are left to the operators.
_SYMBOL = re.compile(r"^(?:Symbol\('([A-Za-z_]\w*)'(?:, [a-z_]+=(?:True|False))*\)|([A-Za-z_]\w*))$")


class _Ref:
    """A value of the graph, looked up by name when the program runs."""

    __slots__ = ("name",)

    def __init__(self, name):
        if not isinstance(name, str):
            raise ValueError(f"a value name must be a string, got {type(name).__name__}")
        self.name = name


def _only(entry, what):
    """The single ``(key, value)`` of a serialized union such as ``{"as_tensor": {...}}``."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ValueError(f"malformed {what}: {str(entry)[:80]}")
    return next(iter(entry.items()))


def _int(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {str(value)[:40]}")
    return value


def _float(value):
    if isinstance(value, str) and value in _FLOAT_WORDS:
        return _FLOAT_WORDS[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {str(value)[:40]}")
    return float(value)


def _bool(value):
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {str(value)[:40]}")
    return value


def _str(value):
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _list(value, item):
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return [item(v) for v in value]


def _tensor_ref(value):
    return _Ref(value["name"] if isinstance(value, dict) else value)


def _sym(value, literal):
    """A symbolic size (a name bound when the program runs) or a literal."""
    kind, inner = _only(value, "symbolic value")
    if kind == "as_name":
        return _Ref(inner)
    return literal(inner)


def _optional_tensor(value):
    kind, inner = _only(value, "optional tensor")
    return None if kind == "as_none" else _tensor_ref(inner)


def _device(value):
    kind, index = value.get("type"), value.get("index")
    if kind not in _DEVICE_TYPES or (index is not None and not isinstance(index, int)):
        raise ValueError(f"unsupported device {str(value)[:40]}")
    return torch.device(kind, index) if index is not None else torch.device(kind)


def _lookup(table, value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value not in table:
        raise ValueError(f"unsupported {what} {str(value)[:20]}")
    return table[value]


_ARGUMENTS = {
    "as_none": lambda v: None,
    "as_tensor": _tensor_ref,
    "as_tensors": lambda v: _list(v, _tensor_ref),
    "as_optional_tensor": _optional_tensor,
    "as_optional_tensors": lambda v: _list(v, _optional_tensor),
    "as_int": _int,
    "as_ints": lambda v: _list(v, _int),
    "as_int_lists": lambda v: _list(v, lambda row: _list(row, _int)),
    "as_float": _float,
    "as_floats": lambda v: _list(v, _float),
    "as_float_lists": lambda v: _list(v, lambda row: _list(row, _float)),
    "as_bool": _bool,
    "as_bools": lambda v: _list(v, _bool),
    "as_string": _str,
    "as_strings": lambda v: _list(v, _str),
    "as_sym_int": lambda v: _sym(v, _int),
    "as_sym_ints": lambda v: _list(v, lambda s: _sym(s, _int)),
    "as_sym_float": lambda v: _sym(v, _float),
    "as_sym_floats": lambda v: _list(v, lambda s: _sym(s, _float)),
    "as_sym_bool": lambda v: _sym(v, _bool),
    "as_sym_bools": lambda v: _list(v, lambda s: _sym(s, _bool)),
    "as_scalar_type": lambda v: _lookup(_DTYPES, v, "dtype"),
    "as_memory_format": lambda v: _lookup(_MEMORY_FORMATS, v, "memory format"),
    "as_layout": lambda v: _lookup(_LAYOUTS, v, "layout"),
    "as_device": _device,
    "as_complex": lambda v: complex(_float(v["real"]), _float(v["imag"])),
}


def _argument(entry):
    """Decode one serialized argument into a literal, a :class:`_Ref` or a list of them."""
    kind, value = _only(entry, "argument")
    if kind == "as_custom_obj":
        raise UnsafeProgram("pickled Python objects")
    if kind not in _ARGUMENTS:
        raise ValueError(f"arguments of kind {kind!r} are not supported (graphs, operators as values)")
    return _ARGUMENTS[kind](value)


def _resolve(value, env):
    if isinstance(value, _Ref):
        return env[value.name]
    if isinstance(value, list):
        return [_resolve(v, env) for v in value]
    return value


def _operator(target):
    """The callable a node's ``target`` names: an ATen overload or one of :data:`_SIZE_FUNCTIONS`."""
    if not isinstance(target, str):
        raise ValueError("a node target must be a string")
    if target in _SIZE_FUNCTIONS:
        return _SIZE_FUNCTIONS[target]
    parts = target.split(".")
    if len(parts) != 5 or parts[:3] != ["torch", "ops", "aten"] or not all(_NAME.match(p) for p in parts[3:]):
        raise ValueError(f"operator {target[:80]!r} is not an ATen operator")
    try:
        overload = getattr(getattr(torch.ops.aten, parts[3]), parts[4])
    except (AttributeError, RuntimeError):
        raise ValueError(f"unknown operator {target!r}") from None
    if not isinstance(overload, torch._ops.OpOverload):
        raise ValueError(f"{target!r} is not an operator overload")
    if any(arg.name == "filename" for arg in overload._schema.arguments):
        raise ValueError(f"operator {target!r} reads or writes files")
    return overload


def _call_arguments(op, inputs):
    """Positional and keyword arguments of a node, in the order of the operator's schema."""
    given = {}
    for item in _list(inputs, lambda v: v):
        name = _str(item.get("name"))
        given[name] = (_argument(item.get("arg")), item.get("kind"))
    if not isinstance(op, torch._ops.OpOverload):  # arithmetic on sizes: positional, in order
        return [value for value, _ in given.values()], {}
    args, kwargs = [], {}
    schema = op._schema.arguments
    unknown = set(given) - {arg.name for arg in schema}
    if unknown:
        raise ValueError(f"{op} has no argument {sorted(unknown)[0]!r}")
    for arg in schema:
        if arg.name not in given:
            continue
        value, kind = given[arg.name]
        positional = kind == 1 if kind in (1, 2) else not (arg.has_default_value() or arg.kwarg_only)
        if positional:
            args.append(value)
        else:
            kwargs[arg.name] = value
    return args, kwargs


def _output_names(outputs):
    """Names the results of a node are bound to: a name, a list of names, or None (per result)."""
    names = []
    for entry in _list(outputs, lambda v: v):
        kind, value = _only(entry, "node output")
        if kind == "as_tensor":
            names.append(_str(value["name"]))
        elif kind == "as_tensors":
            names.append([_str(v["name"]) for v in _list(value, lambda v: v)])
        elif kind in ("as_sym_int", "as_sym_float", "as_sym_bool"):
            names.append(_str(_only(value, "symbolic output")[1]))
        elif kind == "as_none":
            names.append(None)
        else:
            raise ValueError(f"node outputs of kind {kind!r} are not supported")
    return names


def _bind(names, result, env):
    if names is None:
        return
    if isinstance(names, list):
        for name, value in zip(names, result, strict=True):
            env[name] = value
    else:
        env[names] = result


def _int_sizes(sizes, what):
    """Concrete sizes of a tensor meta (weights and constants have no symbolic sizes)."""
    values = []
    for entry in _list(sizes, lambda v: v):
        kind, value = _only(entry, what)
        if kind != "as_int":
            raise ValueError(f"a stored tensor has a symbolic {what}")
        values.append(_int(value))
    return values


class GraphProgram(nn.Module):
    """An exported graph of ATen operators with its weights, run node by node.

    Parameters and buffers are registered on the module (so ``.to(device)`` and :func:`count_params` see
    them, as on ``ExportedProgram.module()``); inputs are checked against the exported sample shape
    (static sizes must match, symbolic ones must stay within their exported range).

    Parameters
    ----------
    program : dict
        The archive's ``models/model.json``.
    weights, constants : dict
        ``fqn -> (tensor, requires_grad)`` from the payload configs.
    """

    def __init__(self, program, weights, constants):
        super().__init__()
        module = program.get("graph_module")
        if not isinstance(module, dict):
            raise ValueError("no graph")
        graph, signature = module.get("graph", {}), module.get("signature", {})
        self._inputs, self._user_inputs, self._mutations, self._outputs = [], [], [], []
        buffers = {}  # buffer name -> attribute, for buffer mutations
        for entry in _list(signature.get("input_specs"), lambda v: v):
            kind, spec = _only(entry, "input spec")
            if kind == "user_input":
                arg_kind, arg = _only(spec["arg"], "user input")
                if arg_kind != "as_tensor":
                    raise ValueError("only tensor inputs are supported")
                self._user_inputs.append(_str(arg["name"]))
                continue
            if kind == "custom_obj":
                raise UnsafeProgram("pickled Python objects")
            key = {"parameter": "parameter_name", "buffer": "buffer_name",
                   "tensor_constant": "tensor_constant_name"}.get(kind)
            if key is None:
                raise ValueError(f"inputs of kind {kind!r} are not supported")
            fqn = spec.get(key)
            in_constants = kind == "tensor_constant" or (kind == "buffer" and not spec.get("persistent", True))
            source = constants if in_constants else weights
            if fqn not in source:
                raise ValueError(f"{kind} {str(fqn)[:60]!r} has no payload")
            tensor, requires_grad = source[fqn]
            attr = f"_w{len(self._inputs)}"
            if kind == "parameter":
                self.register_parameter(attr, nn.Parameter(tensor, requires_grad=requires_grad))
            else:
                self.register_buffer(attr, tensor)
                buffers[fqn] = attr
            self._inputs.append((_str(spec["arg"]["name"]), attr))
        for entry in _list(signature.get("output_specs"), lambda v: v):
            kind, spec = _only(entry, "output spec")
            if kind == "user_output":
                self._outputs.append(_argument(spec["arg"]))
            elif kind == "buffer_mutation" and spec.get("buffer_name") in buffers:
                self._mutations.append((_str(spec["arg"]["name"]), buffers[spec["buffer_name"]]))
            else:
                raise ValueError(f"outputs of kind {kind!r} are not supported")
        self._nodes = []
        for node in _list(graph.get("nodes"), lambda v: v):
            op = _operator(node.get("target"))
            args, kwargs = _call_arguments(op, node.get("inputs", []))
            self._nodes.append((op, args, kwargs, _output_names(node.get("outputs", []))))
        self._shapes = {name: graph.get("tensor_values", {}).get(name, {}).get("sizes") for name in self._user_inputs}
        ranges = program.get("range_constraints") or {}
        self._ranges = {k: (v.get("min_val"), v.get("max_val")) for k, v in ranges.items() if isinstance(v, dict)}

    def sample_shape(self):
        """``(sample shape, batch size)`` of the first input: ints for static sizes, ``None`` for symbolic ones.

        Returns ``(None, None)`` when the program records no shape.
        """
        if not self._user_inputs or not isinstance(self._shapes[self._user_inputs[0]], list):
            return None, None
        dims = [value if kind == "as_int" else None for kind, value in
                (_only(s, "size") for s in self._shapes[self._user_inputs[0]])]
        if not dims:
            return (), None
        return tuple(dims[1:]), dims[0]

    def _check_input(self, index, name, x):
        """Refuse what torch.export's generated guards refuse: a wrong static size, a symbolic one out of range."""
        sizes = self._shapes.get(name)
        if not isinstance(sizes, list):
            return
        if x.ndim < len(sizes):  # as torch's guards: extra trailing dimensions are not checked
            raise ValueError(f"Expected input {name} to have {len(sizes)} dimensions, but got {x.ndim}")
        bound = {}
        for axis, (size, entry) in enumerate(zip(x.shape, sizes)):
            kind, value = _only(entry, "size")
            if kind == "as_int":
                if size != value:
                    raise ValueError(f"Expected input at *args[{index}].shape[{axis}] to be equal to {value}, "
                                     f"but got {size}")
                continue
            match = _SYMBOL.match(str(value.get("expr_str", ""))) if isinstance(value, dict) else None
            if match is None:
                continue  # a size expression: the operators check it
            symbol = match.group(1) or match.group(2)
            if bound.setdefault(symbol, size) != size:
                raise ValueError(f"Expected input at *args[{index}].shape[{axis}] to be equal to {bound[symbol]}, "
                                 f"but got {size}")
            low, high = self._ranges.get(symbol, (None, None))  # as torch: a lower bound of 2 or less is not checked
            if (isinstance(low, int) and low > 2 and size < low) or (isinstance(high, int) and size > high):
                raise ValueError(f"Expected input at *args[{index}].shape[{axis}] to be in [{low}, {high}], "
                                 f"but got {size}")

    def forward(self, *inputs):
        """Run the graph on ``inputs`` (tensors); one output is returned as is, several as a tuple."""
        if len(inputs) != len(self._user_inputs):
            raise TypeError(f"the program takes {len(self._user_inputs)} input tensors, got {len(inputs)}")
        env = {name: getattr(self, attr) for name, attr in self._inputs}
        for index, (name, x) in enumerate(zip(self._user_inputs, inputs)):
            self._check_input(index, name, x)
            env[name] = x
        for op, args, kwargs, outputs in self._nodes:
            result = op(*_resolve(args, env), **{k: _resolve(v, env) for k, v in kwargs.items()})
            if len(outputs) == 1:
                _bind(outputs[0], result, env)
            else:
                for names, value in zip(outputs, result, strict=True):
                    _bind(names, value, env)
        for name, attr in self._mutations:
            with torch.no_grad():
                getattr(self, attr).copy_(env[name])
        results = [_resolve(value, env) for value in self._outputs]
        return results[0] if len(results) == 1 else tuple(results)
