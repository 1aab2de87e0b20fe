"""The files a job's stages share in its work directory, and small helpers every stage uses.

A stage reads what the previous one wrote (``prepare.json``, ``split.npz``, the teacher's weights, one npz per
fitted chunk of the grid) and writes its own output atomically, so that a stage that dies can simply run
again.
"""

import datetime as _dt
import io
import json
import subprocess
from pathlib import Path

import numpy as np

from awd_studio.models import teachers as _teachers
from awd_studio.models.files import atomic_write_bytes
from awd_studio.models.options import PipelineConfig

__all__ = ["write_json", "write_npz", "read_npz", "git_sha", "now_iso", "report", "load_prepared", "chunk_path",
           "start_search_path", "collect_chunks", "TEACHER_TEST_FILE"]

#: The teacher's predictions on the test split (``y_pred``), written by the first stage for the result's arrays.
TEACHER_TEST_FILE = "teacher_test.npz"


def write_json(path, obj) -> None:
    """Write ``obj`` as compact JSON (NaN and infinity refused) atomically.

    Compact, not indented: an indented dump takes Python's slow encoder (the lensing bundle, 3.6 MB: 0.56 s
    against 0.16 s, and 30 % larger); ``python -m json.tool`` or ``jq`` lays a file out for reading.
    """
    atomic_write_bytes(path, json.dumps(obj, separators=(",", ":"), allow_nan=False).encode())


def write_npz(path, **arrays) -> None:
    """Write a compressed npz atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def read_npz(path) -> dict:
    """Every array of an npz written by :func:`write_npz` (never unpickled)."""
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _commit_of_this_checkout() -> str | None:
    """``git rev-parse HEAD`` of the checkout this module lives in, with ``-dirty`` when tracked files differ from
    it; None outside a git checkout (an installed wheel)."""
    here = Path(__file__).parent

    def git(*args):
        out = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() if out.returncode == 0 else None

    try:
        head = git("rev-parse", "HEAD")
        if not head:
            return None
        changed = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if changed else "")


#: Read when the code is imported: a worker that keeps running while the checkout moves on records the commit of
#: the code it runs, not the checkout's later HEAD.
_LOADED_COMMIT = _commit_of_this_checkout()


def git_sha() -> str | None:
    """The commit of the code that runs (read when it was imported; ``-dirty`` when tracked files differed from
    it then), or None when it does not run from a git checkout."""
    return _LOADED_COMMIT


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def report(progress, stage: str, fraction: float, message: str) -> None:
    """Call ``progress(stage, fraction, message)`` (fraction clipped to [0, 1]) when there is one."""
    if progress is not None:
        progress(stage, float(min(max(fraction, 0.0), 1.0)), message)


def load_prepared(work_dir):
    """What :func:`models.pipeline.prepare` stored: ``(info, config, split arrays, teacher in eval mode)``."""
    work_dir = Path(work_dir)
    info = json.loads((work_dir / "prepare.json").read_text())
    config = PipelineConfig.from_dict(info["config"])
    split = read_npz(work_dir / "split.npz")
    teacher = _teachers.load_teacher(info["teacher"]["file"], name=config.teacher,
                                     input_shape=tuple(info["data"]["shape"]))
    teacher.eval()
    return info, config, split, teacher


def chunk_path(work_dir, indices) -> Path:
    """Where :func:`models.pipeline.distill_chunk` stores the fit of these grid indices."""
    indices = sorted(int(i) for i in indices)
    return Path(work_dir) / "chunks" / f"chunk_{indices[0]:04d}_{indices[-1]:04d}_{len(indices)}.npz"


def start_search_path(work_dir) -> Path:
    """Where the job's start search (:mod:`models.start_search`) is kept for every chunk of the grid to share."""
    return Path(work_dir) / "chunks" / "start_search.npz"


def collect_chunks(work_dir, n_grid: int):
    """Every grid point's fit, from the chunk files.

    Returns
    -------
    filters : ndarray of shape (n_grid, N)
    histories : dict of int -> dict of str -> ndarray of shape (epochs,)
    filter_epoch : dict of int -> int
        The epoch each stored filter (and the losses reported for it) comes from.
    starts : dict of int -> tuple of (bool, ndarray of shape (N,))
        Where each grid point's fit started: True when from the start search's end points
        (:mod:`models.start_search`), False from the initial wavelet; and the start filter. Points of chunks
        from an earlier version are missing.
    seconds_per_epoch : list of float
        One per chunk.
    gradient_path : str
    threads : list of int
        The torch threads of each chunk's fit (chunks written before they were stored are left out).

    Raises
    ------
    RuntimeError
        When a grid point has no chunk yet.
    """
    filters, histories, filter_epoch, starts, seconds, path, threads = {}, {}, {}, {}, [], None, []
    for f in sorted((Path(work_dir) / "chunks").glob("chunk_*.npz")):
        arrays = read_npz(f)
        path = str(arrays["gradient_path"])
        seconds.append(float(arrays["seconds_per_epoch"]))
        if "threads" in arrays:
            threads.append(int(arrays["threads"]))
        for j, i in enumerate(arrays["indices"].tolist()):
            filters[i] = arrays["filters"][j]
            filter_epoch[i] = int(arrays["filter_epoch"][j])
            if "start_choice" in arrays:  # chunks written before the starts were stored say nothing of them
                starts[i] = (bool(arrays["start_choice"][j] >= 0), arrays["start_filters"][j])
            histories[i] = {k[len("history_"):]: v[:, j] for k, v in arrays.items() if k.startswith("history_")}
    missing = sorted(set(range(n_grid)) - set(filters))
    if missing:
        raise RuntimeError(f"grid points {missing} have no fitted chunk; run distill_chunk on them first")
    return np.stack([filters[i] for i in range(n_grid)]), histories, filter_epoch, starts, seconds, path, threads
