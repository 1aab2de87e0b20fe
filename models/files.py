"""File writes and checksums shared by the pipeline and the service: an atomic write leaves the old file or the
new one, never half of one."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "sha256_file", "TEMP_PREFIX", "as_if_created"]

#: Prefix of the temporary sibling files; a leftover one (a process killed mid-write) is safe to delete.
TEMP_PREFIX = ".tmp-"


def as_if_created(fd: int) -> None:
    """Give a :func:`tempfile.mkstemp` file the permissions ``open()`` would have given it (0666 less the umask):
    mkstemp makes it readable by its owner alone, and renamed into place a result stayed unreadable to the lab's
    other users although its figures beside it were not."""
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary sibling file, fsync and :func:`os.replace`; the file gets the
    permissions a plain ``open()`` gives (:func:`as_if_created`).

    Parameters
    ----------
    path : str or Path
        Destination; missing parent folders are created.
    data : bytes

    Returns
    -------
    Path
        ``path``. On any error the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        as_if_created(fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def sha256_file(path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks of ``chunk`` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
