"""File writes and checksums shared by the pipeline and the service: an atomic write leaves the old file or the
new one, never half of one."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "sha256_file", "TEMP_PREFIX", "as_if_created", "NEW_FILE_MODE"]

#: Prefix of the temporary sibling files; a leftover one (a process killed mid-write) is safe to delete.
TEMP_PREFIX = ".tmp-"


def _read_umask() -> int:
    """The process's umask. Linux states it in ``/proc/self/status``; elsewhere it can only be read by setting it,
    which is done once, at import (setting it to 0 for a moment while another thread creates a file would give
    that file mode 0666)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


#: The mode ``open()`` gives a new file in this process (0666 less the umask, read once).
NEW_FILE_MODE = 0o666 & ~_read_umask()


def as_if_created(fd: int) -> None:
    """Give a :func:`tempfile.mkstemp` file the permissions ``open()`` would have given it (:data:`NEW_FILE_MODE`):
    mkstemp makes it readable by its owner alone, and renamed into place a result stayed unreadable to the lab's
    other users although its figures beside it were not."""
    os.fchmod(fd, NEW_FILE_MODE)


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
