"""Paths of a scattering transform and the checks every bank shares.

A path is a tuple of filter indices: ``()`` for order 0, ``(n1,)`` for order 1 and ``(n1, n2)`` for order 2.
Both banks (:mod:`.transform` for Morlet filters, :mod:`.dwt_bank` for the orthogonal DWT) list their paths
with :func:`all_paths`, restrict them with :func:`check_paths`, check inputs with :func:`check_input` and
inherit :class:`PathBookkeeping`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["all_paths", "check_paths", "check_input", "check_integers", "check_max_order", "path_id", "PathBookkeeping"]


def all_paths(j1, j2, max_order):
    """Every path of a bank whose wavelets have subsampling indices ``j1`` (first order) and ``j2`` (second).

    Parameters
    ----------
    j1, j2 : sequence of int
    max_order : {0, 1, 2}

    Returns
    -------
    list of tuple
        ``[()]``, then ``(n1,)`` for each first-order wavelet, then ``(n1, n2)`` with ``j2[n2] > j1[n1]``,
        ``n1``-major.

    Examples
    --------
    >>> all_paths([0, 1], [0, 1, 2], 2)
    [(), (0,), (1,), (0, 1), (0, 2), (1, 2)]
    """
    paths = [()]
    if max_order >= 1:
        paths += [(a,) for a in range(len(j1))]
    if max_order >= 2:
        paths += [(a, b) for a in range(len(j1)) for b in range(len(j2)) if j2[b] > j1[a]]
    return paths


def check_paths(paths, available, field="paths"):
    """Check a subset of paths and return it in the order of ``available``.

    Parameters
    ----------
    paths : iterable of tuple or None
        ``None`` means all of ``available``.
    available : list of tuple
    field : str

    Returns
    -------
    list of tuple

    Raises
    ------
    ValueError
        Empty subset, or a path that the transform does not have (named in the message).
    """
    if paths is None:
        return list(available)
    try:
        wanted = {tuple(int(i) for i in p) for p in paths}
    except TypeError:
        raise ValueError(f"{field}: expected tuples of filter indices such as (), (0,), (0, 3)") from None
    unknown = sorted(wanted - set(available))
    if unknown:
        raise ValueError(f"{field}: the transform has no path {unknown[0]}; pick paths from .paths")
    if not wanted:
        raise ValueError(f"{field}: keep at least one path")
    return [p for p in available if p in wanted]


def check_integers(checks):
    """Check ``(name, value, lowest)`` triples: each value an int (not a bool) >= lowest; ValueError names it."""
    for name, value, low in checks:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")


def check_max_order(max_order):
    """``max_order`` as an int in {0, 1, 2}; ValueError naming the field otherwise."""
    if max_order not in (0, 1, 2):
        raise ValueError(f"max_order: must be 0, 1 or 2, got {max_order!r}")
    return int(max_order)


def check_input(x, shape, module):
    """Check that ``x`` is a real floating-point Tensor of shape (B, *shape); return it."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x: expected a torch.Tensor of shape (B, {', '.join(map(str, shape))}), "
                         f"got {type(x).__name__}")
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(f"x: expected shape (B, {', '.join(map(str, shape))}) for this {module}, "
                         f"got {tuple(x.shape)}")
    if x.is_complex() or not x.is_floating_point():
        raise ValueError(f"x: expected real floating-point values, got {x.dtype}")
    return x


def path_id(path):
    """Stable string id of a path: ``"S0"``, ``"1:3"``, ``"2:3-5"``.

    Examples
    --------
    >>> path_id(()), path_id((3,)), path_id((3, 5))
    ('S0', '1:3', '2:3-5')
    """
    if not path:
        return "S0"
    return f"{len(path)}:" + "-".join(str(int(i)) for i in path)


class PathBookkeeping(nn.Module):
    """What every scattering transform says about its paths (``self.paths`` set by the subclass)."""

    paths: list

    @property
    def n_paths(self):
        """Number of paths P."""
        return len(self.paths)
