"""Refuse an output path that cannot be written, before a command does any work.

A typo in ``--out`` (a file where a folder belongs, a read-only mount) used to surface as a traceback once the job
had run for a while; these checks name the path and the fix first.
"""

import os
from pathlib import Path

__all__ = ["check_writable"]


def check_writable(out, *, folder: bool) -> None:
    """Refuse ``out`` if the command could not create it: a file in its way, or a place it may not write to.

    Parameters
    ----------
    out : str or Path
        The command's ``--out``: a folder it creates or fills (``folder=True``) or a file it writes.
    folder : bool
        Whether ``out`` is a folder (``awd distill``, ``awd reproduce``, ``awd explain``) or a file.

    Raises
    ------
    ValueError
        Naming the path in the way, or the folder that cannot be written, and what to do instead.

    Examples
    --------
    >>> check_writable("no/such/folder", folder=True)  # created later, inside the current folder
    >>> import tempfile, pathlib
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     check_writable(pathlib.Path(f.name) / "result", folder=True)
    Traceback (most recent call last):
    ...
    ValueError: --out: ... is a file, so nothing can be written under it; pass a folder's path
    """
    path = Path(out)
    place = path if folder else path.parent
    existing = place
    while not existing.exists() and existing != existing.parent:  # the nearest part of the path already there
        existing = existing.parent
    if folder and existing == path and not path.is_dir():
        raise ValueError(f"--out: {path} is a file; pass a folder's path (the command writes several files there)")
    if not existing.is_dir():
        raise ValueError(f"--out: {existing} is a file, so nothing can be written under it; pass a folder's path")
    if not os.access(existing, os.W_OK | os.X_OK):  # access(2) also says EROFS for a read-only mount, even as root
        raise ValueError(f"--out: cannot write in {existing.resolve()} (read-only, or not yours); choose a folder "
                         "you can write to")
