"""Artifacts on disk under ``AWD_DATA_DIR``: layout, atomic writes, safe names and the quota.

Layout::

    <data_dir>/tmp/                         partial uploads (removed on any failure)
    <data_dir>/datasets/<id>/data.<ext>     one dataset file
    <data_dir>/teachers/<id>/weights.<ext>  one teacher weights file
    <data_dir>/jobs/<id>/attempt-<n>/work   the pipeline's scratch space of one attempt
    <data_dir>/jobs/<id>/attempt-<n>/result result.json, arrays.npz, figures (the row points here)
        .explain/, .explanations/<id>/      inputs of explanations, and each explanation (hidden: not artifacts)

Every file appears under its final name only once complete: it is written to a temporary name in the
same directory tree and moved with :func:`os.replace` (atomic on POSIX).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

from awd_studio.models.data.readers.detect import spreadsheet_hint
from awd_studio.models.files import atomic_write_bytes, sha256_file

__all__ = [
    "DATASET_SUFFIXES",
    "TEACHER_SUFFIXES",
    "Paths",
    "safe_suffix",
    "safe_display_name",
    "local_file_name",
    "atomic_write_bytes",
    "atomic_move",
    "sha256_file",
    "usage_bytes",
    "resolve_artifact",
    "remove_tree",
    "sweep_temp",
    "pid_alive",
    "is_disk_full",
    "DISK_FULL_DETAIL",
]

DATASET_SUFFIXES = (".npz", ".npy", ".csv", ".tsv", ".txt", ".fits", ".fit", ".fts", ".h5", ".hdf5", ".mat")
TEACHER_SUFFIXES = (".safetensors", ".pt", ".pth", ".pt2")
_ARTIFACT_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Paths:
    """Where things live under one data directory.

    Parameters
    ----------
    data_dir : path-like
        The root (``AWD_DATA_DIR``); created on first use.
    """

    def __init__(self, data_dir):
        self.root = Path(data_dir).resolve()

    @property
    def tmp(self) -> Path:
        """Directory for partial files (same file system as the final ones)."""
        path = self.root / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def dataset_dir(self, dataset_id: str) -> Path:
        """Directory of one dataset."""
        return self.root / "datasets" / dataset_id

    def teacher_dir(self, teacher_id: str) -> Path:
        """Directory of one uploaded teacher."""
        return self.root / "teachers" / teacher_id

    def job_dir(self, job_id: str) -> Path:
        """Directory of one job (all its attempts)."""
        return self.root / "jobs" / job_id

    def attempt_dir(self, job_id: str, attempt: int) -> Path:
        """Scratch and result directory of one attempt of a job."""
        return self.job_dir(job_id) / f"attempt-{int(attempt)}"

    @staticmethod
    def explanation_dir(result_dir, explanation_id: str) -> Path:
        """Directory of one explanation of a result: ``<result>/.explanations/<id>`` (hidden: never listed or
        served as an artifact; the API serves it through ``/api/results/{key}/explanations``)."""
        if not re.fullmatch(r"[0-9a-f]{16}", explanation_id or ""):
            raise FileNotFoundError(explanation_id)
        return Path(result_dir) / ".explanations" / explanation_id

    def temp_file(self, suffix: str = "") -> Path:
        """Reserve a fresh temporary file name under :attr:`tmp` (the file exists, empty).

        The name carries the host and process id (``upload-<host>-<pid>-...``) so that
        :func:`sweep_temp` can remove what a killed process left behind.
        """
        fd, name = tempfile.mkstemp(prefix=f"{_temp_prefix()}{os.getpid()}-", suffix=suffix, dir=self.tmp)
        os.close(fd)
        return Path(name)

    def temp_dir(self) -> Path:
        """A fresh temporary directory under :attr:`tmp`, named like :meth:`temp_file` (swept alike)."""
        return Path(tempfile.mkdtemp(prefix=f"{_temp_prefix()}{os.getpid()}-", dir=self.tmp))


def _temp_prefix() -> str:
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:40] or "host"
    return f"upload-{host}-"


#: The API's answer (HTTP 507) whenever a write fails for lack of space.
DISK_FULL_DETAIL = ("the server is out of disk space: nothing was stored; free space under AWD_DATA_DIR (delete "
                    "old jobs or datasets) and try again")
#: errno values that mean "no room to write": the disk is full, or a disk quota is reached.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def is_disk_full(exc: BaseException) -> bool:
    """``True`` for an error caused by a full disk (``ENOSPC``/``EDQUOT``, or SQLite's "disk is full"),
    also when it is the cause or context of ``exc``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            return True
        text = str(exc).lower()
        if "database or disk is full" in text or "no space left on device" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def pid_alive(pid: int) -> bool:
    """``True`` while process ``pid`` exists on this machine and is not a zombie (it may be stopped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def sweep_temp(paths: "Paths", *, max_age_seconds: float = 86400.0) -> list[str]:
    """Delete partial uploads whose writer is gone (a web process killed mid-upload).

    A file ``upload-<this host>-<pid>-*`` is removed when process ``pid`` no longer exists; any other
    file under ``tmp/`` is removed once it is older than ``max_age_seconds`` (other hosts sharing the
    data directory keep their in-flight uploads).

    Returns
    -------
    list of str
        Names of the files removed.
    """
    removed = []
    folder = paths.root / "tmp"
    if not folder.is_dir():
        return removed
    mine = _temp_prefix()
    now = time.time()
    for entry in folder.iterdir():
        try:
            stale = now - entry.lstat().st_mtime > max_age_seconds
            if entry.name.startswith(mine):
                pid_text = entry.name[len(mine):].split("-", 1)[0]
                stale = stale or (pid_text.isdigit() and not pid_alive(int(pid_text)))
            if stale:
                remove_tree(entry)
                removed.append(entry.name)
        except OSError:
            continue
    return removed


def safe_suffix(filename: str | None, allowed) -> str:
    """Return the lower-case extension of an uploaded file name if it is allowed.

    Parameters
    ----------
    filename : str or None
        The client's file name; only its last path component is looked at.
    allowed : sequence of str
        Allowed suffixes with the dot, e.g. ``(".npz", ".csv")``.

    Raises
    ------
    ValueError
        If the name is missing or its extension is not in ``allowed`` (the message lists them).
    """
    base = os.path.basename((filename or "").replace("\\", "/"))
    suffix = os.path.splitext(base)[1].lower()
    if suffix not in allowed:
        # a spreadsheet: the way forward, not only the list (review 40: ".xlsx" refused with nothing else)
        spreadsheet = spreadsheet_hint(suffix) if ".csv" in allowed else ""
        raise ValueError(
            f"file: unsupported file type {suffix or '(no extension)'!r}; "
            + (f"{spreadsheet} (files read: " + ", ".join(allowed) + ")" if spreadsheet else
               "upload one of " + ", ".join(allowed))
        )
    return suffix


def safe_display_name(name: str | None, fallback: str, *, path: bool = False) -> str:
    """A printable name of at most 200 characters (control characters removed).

    With ``path=True`` (client file names) only the last path component is kept. The text is stored
    as given otherwise; the UI escapes it when displaying.
    """
    text = name or ""
    if path:
        text = os.path.basename(text.replace("\\", "/"))
    text = _CONTROL.sub("", text).strip()
    return (text or fallback)[:200]


def local_file_name(filename: str | None, suffix: str, fallback: str = "upload") -> str:
    """A file name to store an upload under that still reads like the client's own (for error messages).

    Only the last path component is kept, control characters go, and the stem is cut to 120 bytes of UTF-8
    so that the name fits any file system; ``suffix`` (already checked) always ends it.
    """
    base = safe_display_name(filename, fallback, path=True)
    stem = base[: -len(suffix)] if base.lower().endswith(suffix) else base
    stem = stem.encode("utf-8")[:120].decode("utf-8", "ignore").strip(" .") or fallback
    return stem + suffix


def atomic_move(src, dst) -> Path:
    """Move a finished file or directory into place with :func:`os.replace` (same file system)."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    return dst


def usage_bytes(root) -> int:
    """Total size in bytes of the regular files under ``root`` (0 if it does not exist)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def resolve_artifact(result_dir, name: str) -> Path:
    """Resolve a requested artifact name inside a result directory, refusing anything else.

    Parameters
    ----------
    result_dir : path-like
        The job's result directory.
    name : str
        Relative name such as ``arrays.npz`` or ``figures/wavelet.png``. Each component must match
        ``[A-Za-z0-9][A-Za-z0-9._-]*``; ``..``, absolute paths, hidden files and symlinks are refused.

    Returns
    -------
    Path
        An existing regular file inside ``result_dir``.

    Raises
    ------
    FileNotFoundError
        If the name is not a safe name of an existing file in the directory (callers answer 404).
    """
    parts = name.split("/")
    if not name or len(parts) > 3 or any(not _ARTIFACT_PART.match(p) or ".." in p for p in parts):
        raise FileNotFoundError(name)
    root = Path(result_dir).resolve()
    candidate = root.joinpath(*parts)
    if candidate.is_symlink() or not candidate.is_file():
        raise FileNotFoundError(name)
    resolved = candidate.resolve()
    if root not in resolved.parents:
        raise FileNotFoundError(name)
    return resolved


def remove_tree(path) -> None:
    """Delete a directory tree or a file if present (used for rollbacks and deletes)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
