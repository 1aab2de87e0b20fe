"""Saving built-in teachers and loading teacher files without running code from them.

Three formats are read: ``.safetensors`` (:func:`save_teacher`'s format, or any state dict), ``.pt``/``.pth``
state dicts through ``torch.load(weights_only=True)``, and ``.pt2`` exported programs through
:mod:`models.teachers.exported`, which unpickles nothing. Nothing here patches torch; every loaded teacher
is run once on a sample input before it is returned (:func:`~models.teachers.validate_teacher`).
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from awd_studio.models.device import resolve_device
from awd_studio.models.teachers.architectures import _ARCHITECTURES, _NORM_BUFFERS, _check_input_shape, build_teacher
from awd_studio.models.teachers.exported import load_exported
from awd_studio.models.teachers.inference import validate_teacher
from awd_studio.models.validation import InputError

__all__ = ["save_teacher", "load_teacher", "names_its_architecture"]

_METADATA_KEY = "awd_teacher"


def names_its_architecture(path) -> bool:
    """Whether a weights file says what it is: a ``.pt2`` program, or a ``.safetensors`` file saved by
    :func:`save_teacher` (its metadata names the architecture). A bare state dict (``.pt``, ``.pth``, other
    safetensors) needs an architecture from its caller.

    Examples
    --------
    >>> names_its_architecture("net.pt2"), names_its_architecture("weights.pt")
    (True, False)
    """
    path = Path(path)
    if path.suffix.lower() == ".pt2":
        return True
    if path.suffix.lower() != ".safetensors" or not path.is_file():
        return False
    try:
        with safe_open(str(path), framework="pt") as handle:
            return _METADATA_KEY in (handle.metadata() or {})
    except (SafetensorError, OSError, ValueError):
        return False  # load_teacher says what is wrong with it


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
    config = getattr(model, "config", None)
    if not isinstance(config, dict) or config.get("name") not in _ARCHITECTURES:
        raise InputError("model", "is not a built-in teacher (no config)",
                         "save built-in teachers only; keep uploaded .pt2 programs as they are")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    path = Path(path)
    save_file(tensors, str(path), metadata={_METADATA_KEY: json.dumps(config)})
    return path


#: What to do with the weights of a network that is not one of AWD Studio's own architectures.
OWN_NETWORK_HINT = ("a state dict loads only into AWD Studio's own architectures (their layers: Help, \"The "
                    "teacher\"); choose the one the weights were trained with, or export any other network with "
                    "torch.export and upload the .pt2: torch.export.save(torch.export.export(model.eval(), "
                    "(x[:2].clone(),)), \"teacher.pt2\"), x a tensor of your samples (.clone(): a slice would "
                    "save all of x in the file)")


def _load_state(model, state, source):
    """Load ``state`` into ``model``; normalisation buffers may be missing (they keep 0/1)."""
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError("file", f"{source} does not hold a flat dict of tensors (a state dict)",
                         "save model.state_dict() with torch.save, or use safetensors")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and k not in _NORM_BUFFERS]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k}: {tuple(v.shape)} vs {tuple(expected[k].shape)}" for k, v in state.items()
             if k in expected and tuple(v.shape) != tuple(expected[k].shape)]
    if missing or unexpected:
        raise InputError("file", f"{source} does not match AWD Studio's {model.name} architecture "
                         f"(missing {missing[:5]}, unexpected {unexpected[:5]}"
                         + (f", wrong shapes {wrong[:3]}" if wrong else "") + ")", OWN_NETWORK_HINT)
    if wrong:
        raise InputError("file", f"{source} has tensors of the wrong shape for {model.name} "
                         f"with input {model.input_shape}: {wrong[:3]}",
                         "check the architecture, the input shape and the number of outputs; " + OWN_NETWORK_HINT)
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=False)


def _need_shape(name, input_shape, source):
    if name is None or input_shape is None:
        raise InputError("teacher", f"{source} carries no architecture config",
                         "say which of AWD Studio's architectures it holds (the upload's field arch, awd distill "
                         "--teacher-arch) and the data it takes (the upload's dataset_id or input_shape)")


def load_teacher(path, name=None, input_shape=None, n_outputs=None, device=None):
    """Load teacher weights safely.

    Parameters
    ----------
    path : str or Path
        ``.safetensors`` (from :func:`save_teacher`, or a state dict of a built-in architecture together
        with ``name`` and ``input_shape``), ``.pt``/``.pth`` (a state dict of a built-in architecture,
        read with ``torch.load(weights_only=True)``; may be nested under ``"state_dict"``), or ``.pt2``
        (a :func:`torch.export.save` archive, any architecture; read by :func:`~models.teachers.exported.read_program`,
        never by ``torch.export.load``).
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
            # only what the file holds: torch's own message goes on to suggest weights_only=False, which would run
            # the file's code
            found = re.search(r"GLOBAL ([\w.]+)", str(exc))
            remedy = ("upload model.state_dict() saved with torch.save, or a .safetensors file, for one of AWD "
                      "Studio's architectures; for a network of your own, export it with torch.export and upload the "
                      ".pt2 (torch.save(model) pickles its class, which is never loaded)")
            if found is None:  # review 43A: a text file was said to hold "Python objects other than weights"
                raise InputError("file", f"{path.name} is not a file of weights torch.save wrote"
                                 + _stopped_words(str(exc)) + "; nothing in it was run", remedy) from None
            raise InputError("file", f"{path.name} contains Python objects other than weights ({found.group(1)}); "
                             "it was refused unread", remedy) from None
        except Exception as exc:  # truncated or not a torch file
            # torch's own words where they say something (a truncated archive), not a bare internal key
            detail = str(exc).split(". ")[0] if isinstance(exc, RuntimeError) else ""
            raise InputError("file", f"{path.name} is not a readable torch file"
                             + (f" ({detail})" if detail else ": neither a torch.save archive nor a legacy one"),
                             "upload model.state_dict() saved with torch.save") from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        _need_shape(name, input_shape, path.name)
        model = build_teacher(name, input_shape, _n_out_from_state(state, n_outputs))
        _load_state(model, state, path.name)
    elif suffix == ".pt2":
        model = load_exported(path, input_shape, n_outputs)
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


def _stopped_words(message: str) -> str:
    """Where torch's weights-only reader stopped in a file that is no pickle of weights, from its error ``message``:
    the pickle instruction it met (a text file's first byte read as one), else nothing.

    Examples
    --------
    >>> _stopped_words("WeightsUnpickler error: Unsupported operand 110")
    " (torch's weights-only reader met byte 110 where it expected a pickle instruction it accepts)"
    >>> _stopped_words("something else")
    ''
    """
    found = re.search(r"Unsupported operand (\d+)", message)
    return (f" (torch's weights-only reader met byte {found.group(1)} where it expected a pickle instruction it "
            "accepts)") if found else ""


def _n_out_from_state(state, n_outputs):
    """Number of outputs implied by a state dict (``y_mean`` or the last bias), else ``n_outputs``."""
    if isinstance(state, dict):
        if isinstance(state.get("y_mean"), torch.Tensor):
            return int(state["y_mean"].numel())
        biases = [v for k, v in state.items() if k.endswith("bias") and isinstance(v, torch.Tensor)]
        if n_outputs is None and biases:
            return int(biases[-1].numel())
    return int(n_outputs or 1)
