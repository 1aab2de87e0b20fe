"""Choice of the torch device: CUDA when present, CPU otherwise."""

import os

import torch

__all__ = ["resolve_device"]


def resolve_device(name=None):
    """Return the device to compute on.

    Parameters
    ----------
    name : str or torch.device or None, default=None
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``... ``None`` reads ``AWD_DEVICE`` and otherwise takes
        ``"cuda"`` when :func:`torch.cuda.is_available` and ``"cpu"`` when not.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If CUDA is asked for on a machine without it, or the name is not a device.
    """
    if name is None or name == "auto":
        name = os.environ.get("AWD_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device: {name!r} is not a torch device; pass 'cpu' or 'cuda'") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: CUDA was asked for but torch.cuda.is_available() is False; pass 'cpu'")
    return device
