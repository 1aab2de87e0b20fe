"""Symmetry augmentation of teacher training: random rotations by 90 degrees and flips of maps.

Convergence maps, and many microscopy images, have no preferred orientation: a map rotated by 90 degrees or
mirrored is as likely as the map itself and carries the same target. Showing the teacher one such transform of
each training batch teaches it that invariance instead of leaving it to be learned from the data alone. On the
lensing example (1200 maps of 64 x 64) it raised the CNN's test R² of Omega_m from 0.55-0.57 to 0.83-0.86
(``docs/science.md``, "The teacher").

``"dihedral"`` draws one of the 8 symmetries of the square (4 rotations, each with or without a mirror) per
batch; on non-square maps only the 4 that keep the shape (identity, the two mirrors and the half turn).
Time series get no augmentation: reversing time is not a symmetry of a trace that builds up and drops.
"""

import torch

from awd_studio.models.options import TeacherAugment
from awd_studio.models.validation import InputError

__all__ = ["AUGMENTATIONS", "resolve_augmentation", "symmetries", "random_symmetry"]

#: Values of ``augment`` (:class:`models.options.TeacherAugment`): ``"auto"`` is ``"dihedral"`` for maps and
#: ``"none"`` for time series.
AUGMENTATIONS = tuple(a.value for a in TeacherAugment)


def resolve_augmentation(augment, signal_shape, field="augment"):
    """The augmentation a teacher trains with.

    Parameters
    ----------
    augment : {"auto", "none", "dihedral"}
    signal_shape : tuple of int
        One sample's shape: ``(L,)`` for a time series, ``(H, W)`` for a map.
    field : str, default="augment"
        The option's name in the error (the pipeline's is ``"teacher_augment"``).

    Returns
    -------
    {"none", "dihedral"}

    Raises
    ------
    InputError
        For an unknown name, or ``"dihedral"`` on time series.
    """
    if augment not in AUGMENTATIONS:
        raise InputError(field, f"is {augment!r}", f"pass one of {', '.join(AUGMENTATIONS)}")
    is_map = len(signal_shape) == 2
    if augment == "auto":
        return "dihedral" if is_map else "none"
    if augment == "dihedral" and not is_map:
        raise InputError(field, "is 'dihedral' (quarter turns and mirrors of maps), but the data are time "
                         "series", "pass 'auto' or 'none'")
    return augment


def symmetries(shape):
    """The (quarter turns, mirror) pairs that map an ``(H, W)`` map onto the same shape.

    Returns
    -------
    list of (int, bool)
        All 8 for a square, the 4 with an even number of quarter turns otherwise.
    """
    turns = range(4) if shape[0] == shape[1] else (0, 2)
    return [(k, mirror) for k in turns for mirror in (False, True)]


def random_symmetry(xb, generator):
    """One random symmetry of :func:`symmetries`, applied to a whole batch of maps.

    Parameters
    ----------
    xb : Tensor of shape (B, H, W)
    generator : torch.Generator
        CPU generator; the draw is reproducible given its state.

    Returns
    -------
    Tensor of shape (B, H, W)
    """
    options = symmetries(tuple(xb.shape[-2:]))
    k, mirror = options[int(torch.randint(len(options), (1,), generator=generator))]
    if k:
        xb = torch.rot90(xb, k, dims=(-2, -1))
    return torch.flip(xb, dims=(-1,)) if mirror else xb
