"""The selection's work that needs no teacher, done on a core the teacher's training leaves idle.

The final stage (:func:`models.pipeline.finalize`) cross-validates the students on shared splits. For time series
two pieces of it need neither the teacher nor the grid's wavelets:

- the choice of the student's features (``series_features="auto"``, :func:`choose_series_features` at the initial
  wavelet), with the initial wavelet's fold scores;
- the teacher-free control (``random_search``, :mod:`models.pipeline.random_search`).

A third piece belongs to the distillation stage: the start search of the gamma = 0 grid points, which descends the
sparsity term alone (:mod:`models.start_search`; :func:`sparsity_search`), read by
:func:`models.pipeline.fit_grid.shared_start_search`.

The LSTM and the MLP teachers train on one thread each (:data:`models.teachers.training.DEFAULT_THREADS`), so on
two cores one core idles while the LSTM trains: about 7 of the CME example's 8-10 s of teacher training. The
first stage (:func:`models.pipeline.prepare`) therefore starts :class:`BesideTeacher` once the teacher's input
normalisation is fitted (the students read the series under it, :func:`models.pipeline.scaling.input_scaling`):
a process at the lowest CPU priority, which takes only what the teacher leaves. The pieces it finished before
the teacher is done are in :data:`TEACHER_FREE_FILE`; the rest is left to the final stage. That stage reads the
file (:func:`read_teacher_free`) only when it was computed on the same splits, input scaling and options, and
computes the same numbers itself otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import zipfile
from pathlib import Path

import numpy as np
import torch

from awd_studio.models.files import atomic_write_bytes
from awd_studio.models.filters import lowpass_filter
from awd_studio.models.parent_death import popen_from_lasting_thread
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.random_search import random_search_control
from awd_studio.models.pipeline.scaling import scaled, scaling_of
from awd_studio.models.pipeline.selection import (
    SplitPeaks,
    choose_series_features,
    cv_grouping,
    cv_splits,
    fold_scores,
    series_loo_score,
)
from awd_studio.models.pipeline.students import student_alpha
from awd_studio.models.pipeline.workdir import read_npz, write_npz
from awd_studio.models.start_search import StartSearch, search_terms

__all__ = ["TEACHER_FREE_FILE", "BesideTeacher", "teacher_free_pieces", "read_teacher_free", "teacher_free_key",
           "prepared_key", "selection_splits", "control_scorers", "sparsity_search", "LOWEST_PRIORITY"]

logger = logging.getLogger(__name__)

#: The work directory's file of the pieces done beside the teacher (absent when none was).
TEACHER_FREE_FILE = "teacher_free.npz"

#: The nice value of the process working beside the teacher: on a core the teacher trains on, it gets about 1/70 of
#: the time (Linux's CFS weights 15 against 1024), on an idle core all of it.
LOWEST_PRIORITY = 19

#: Options the teacher's training sets after the pieces began (:func:`models.pipeline.prepare`); they do not
#: change a student's scores, so the key leaves them out.
_SET_BY_THE_TEACHER = ("teacher", "teacher_file_name")


def selection_splits(config, n_train, groups, y_train_all, y_test_all):
    """The selection's shared splits and what a fold holds out, as the final stage draws them.

    Parameters
    ----------
    config : PipelineConfig
        ``cv_folds``, ``cv_repeats`` and ``seed`` are read.
    n_train : int
        Training samples.
    groups : ndarray of shape (n_train,) or None
        The map of each training tile (None for untiled data).
    y_train_all : ndarray of shape (n_train, k)
    y_test_all : ndarray of shape (n_test, k)

    Returns
    -------
    splits : list of (ndarray, ndarray)
        :func:`models.pipeline.selection.cv_splits`.
    grouping : tuple
        ``(groups, classes, how)`` of :func:`models.pipeline.selection.cv_grouping`.
    """
    grouping = cv_grouping(groups, y_train_all, y_test_all)
    fold_groups, classes, _ = grouping
    splits = cv_splits(n_train, config.cv_folds, config.cv_repeats, config.seed, groups=fold_groups,
                       classes=classes)
    return splits, grouping


def control_scorers(kind, config, X, y, y_all, splits, scaling, folds, peaks=None):
    """The teacher-free control's two scores of a wavelet (:func:`models.pipeline.random_search.random_search_control`).

    Parameters
    ----------
    kind : {"timeseries", "image"}
    config : PipelineConfig
        With ``series_features`` resolved.
    X : ndarray of shape (n, L) or (n, H, W)
        Training samples.
    y : ndarray of shape (n,)
        The target.
    y_all : ndarray of shape (n, k)
        Every target column.
    splits : list of (ndarray, ndarray)
        The selection's splits.
    scaling : dict
        The job's input scaling.
    folds : int
        K of the splits (the screen uses the first repeat's K folds).
    peaks : models.predictors.PeakPatches, optional
        The training maps' peaks (maps only).

    Returns
    -------
    screen_score, full_score : callable
        ``screen_score(h)``: for series with the default penalty the student's leave-one-out R² from one ridge fit
        (:func:`models.pipeline.selection.series_loo_score`), else the first repeat's fold scores;
        ``full_score(h)``: the fold scores on every split.
    """
    split_peaks = None if peaks is None else SplitPeaks(peaks, splits)

    def full_score(h):
        return fold_scores(kind, h, config, X, y, y_all, splits, scaling, split_peaks)

    if kind == "timeseries" and student_alpha(config) == "cv":  # leave-one-out: one ridge fit
        def screen_score(h):
            return series_loo_score(h, config, X, y, scaling)
    else:
        screen = splits[:folds]
        screen_peaks = None if peaks is None else SplitPeaks(peaks, screen)

        def screen_score(h):
            return fold_scores(kind, h, config, X, y, y_all, screen, scaling, screen_peaks)
    return screen_score, full_score


def teacher_free_key(config, scaling, splits, X_train, y_train) -> str:
    """A digest of what the pieces' numbers depend on: the options (less those the teacher sets), the input scaling,
    the splits and the training data.

    Parameters
    ----------
    config : PipelineConfig
    scaling : dict
        ``offset`` and ``scale``.
    splits : list of (ndarray, ndarray)
    X_train : ndarray of shape (n, L)
    y_train : ndarray of shape (n,)

    Returns
    -------
    str
        Hexadecimal SHA-256.
    """
    options = {k: v for k, v in config.to_dict().items() if k not in _SET_BY_THE_TEACHER}
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    for array in (X_train, y_train):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    digest.update(np.asarray([scaling["offset"], scaling["scale"]], dtype=np.float64).tobytes())
    for train, held in splits:
        digest.update(np.asarray(train, dtype=np.int64).tobytes())
        digest.update(b"|")
        digest.update(np.asarray(held, dtype=np.int64).tobytes())
        digest.update(b"/")
    return digest.hexdigest()


def prepared_key(config, info, split) -> str:
    """:func:`teacher_free_key` of a prepared work directory: its options, input scaling, selection splits and
    training data, as the later stages read them.

    Parameters
    ----------
    config : PipelineConfig
    info : dict
        ``prepare.json``.
    split : dict of str to ndarray
        ``split.npz``.

    Returns
    -------
    str
    """
    y_train = split["y_train"]
    y_train_all = split.get("y_train_all", y_train.reshape(len(y_train), -1))
    y_test_all = split.get("y_test_all", split["y_test"].reshape(len(split["y_test"]), -1))
    splits, _ = selection_splits(config, len(split["X_train"]), split.get("groups"), y_train_all, y_test_all)
    return teacher_free_key(config, scaling_of(info), splits, split["X_train"], y_train)


def teacher_free_pieces(config, X_train, y_train, y_train_all, y_test_all, groups, scaling, on_piece=None) -> dict:
    """Compute the teacher-free pieces of a series job, one after the other.

    Parameters
    ----------
    config : PipelineConfig
        The job's resolved options (``series_features`` may be ``"auto"``).
    X_train : ndarray of shape (n, L)
    y_train : ndarray of shape (n,)
    y_train_all, y_test_all : ndarray
        Every target column of the training and the test samples.
    groups : ndarray or None
        The map of each training tile.
    scaling : dict
        ``offset`` and ``scale``: the input scaling the teacher fitted.
    on_piece : callable, optional
        ``on_piece(arrays, done)`` after each finished piece, with every array so far (for
        :data:`TEACHER_FREE_FILE`) and the pieces done, in order.

    Returns
    -------
    dict
        The arrays of the pieces finished (``key``, then ``fold_largest`` and ``fold_positions`` for the features'
        choice, ``control_h``, ``control_fold`` and ``control_meta`` for the control).

    Examples
    --------
    >>> from awd_studio.models.options import PipelineConfig
    >>> from awd_studio.models.pipeline.config import resolve_config
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 16))
    >>> y = X[:, 3] + 0.1 * rng.normal(size=60)
    >>> options = PipelineConfig.from_dict({"wave": "db2", "random_search": 4, "cv_folds": 3})
    >>> config, _ = resolve_config(options, "timeseries", (16,), 60)
    >>> arrays = teacher_free_pieces(config, X, y, y[:, None], y[:10, None], None, {"offset": 0.0, "scale": 1.0})
    >>> sorted(arrays)
    ['control_fold', 'control_h', 'control_meta', 'fold_largest', 'fold_positions', 'key']
    >>> searched = PipelineConfig.from_dict({"wave": "db2", "start_search": 8, "gammas": [0.0, 0.1], "cv_folds": 3})
    >>> config, _ = resolve_config(searched, "timeseries", (16,), 60)
    >>> arrays = teacher_free_pieces(config, X, y, y[:, None], y[:10, None], None, {"offset": 0.0, "scale": 1.0})
    >>> sorted(k for k in arrays if k.startswith("search_"))
    ['search_angles', 'search_filters', 'search_losses', 'search_meta']
    """
    y_train_all = np.asarray(y_train_all, dtype=float).reshape(len(X_train), -1)
    y_test_all = np.asarray(y_test_all, dtype=float).reshape(len(y_test_all), -1)
    splits, _ = selection_splits(config, len(X_train), groups, y_train_all, y_test_all)
    arrays, done = {"key": np.asarray(teacher_free_key(config, scaling, splits, X_train, y_train))}, []

    def finished(piece, **piece_arrays):
        arrays.update(piece_arrays)
        done.append(piece)
        if on_piece is not None:
            on_piece(dict(arrays), list(done))

    h_init = lowpass_filter(config.wave)
    if config.series_features == "auto":
        chosen, folds = choose_series_features(h_init, config, X_train, y_train, scaling, splits)
        finished("series_features", fold_largest=folds["largest"], fold_positions=folds["positions"])
        config = config.model_copy(update={"series_features": chosen})
    n_control = int(config.random_search or 0)
    if n_control:
        screen_score, full_score = control_scorers("timeseries", config, X_train, y_train, y_train_all, splits,
                                                   scaling, len(splits) // config.cv_repeats)
        control = random_search_control(screen_score, full_score, n_control, len(h_init), seed=config.seed)
        finished("control", control_h=control["h"], control_fold=control["fold"],
                 control_meta=np.asarray([control["n"], control["index"], control["screened"]]))
    if _searches_sparsity(config):
        search = sparsity_search(config, X_train, scaling)
        finished("sparsity_search", search_filters=search.filters, search_angles=search.angles,
                 search_losses=search.losses, search_meta=np.asarray([search.n_starts, search.steps]))
    return arrays if done else {}


def _searches_sparsity(config) -> bool:
    """Whether the job's start searches include the sparsity term's (gamma = 0 points and ``start_search``)."""
    return bool(config.start_search) and "sparsity" in search_terms(config.gammas or [])


def sparsity_search(config, X_train, scaling):
    """The start search of a job's gamma = 0 grid points, as its distillation stage runs it: the sparsity term on
    the training series under the job's input scaling, with the trainer's seed, split and settings.

    Parameters
    ----------
    config : PipelineConfig
        Resolved (``start_search`` > 0).
    X_train : ndarray of shape (n, L)
        The training series as stored (unscaled).
    scaling : dict
        ``offset`` and ``scale``.

    Returns
    -------
    models.start_search.StartSearch
        Its rows named ``"sparsity"``.
    """
    from awd_studio.models.pipeline.fit_grid import make_distiller  # the stage's own trainer (fit_grid imports this)

    distiller = make_distiller(config, grid_points_of(config), torch.device("cpu"), 0)
    return distiller.search_starts(scaled(X_train, scaling), None, gammas=[0.0])


class BesideTeacher:
    """The teacher-free pieces of a series job, computed by a process of their own while the teacher trains.

    A process, not a thread: the pieces are many small numpy fits whose Python holds the interpreter's lock, and
    beside a thread of them the CME example's LSTM and MLP teachers trained in 11.8-12.1 s instead of 9.5-9.6 s
    (2026-12-07). The process runs at the lowest CPU priority (nice :data:`LOWEST_PRIORITY`, in the job's session:
    a session of its own would get a share of the CPU of its own under Linux's autogroup scheduling) and in a process
    group of its own (a terminal's Ctrl-C reaches the job, which stops it). It starts once the teacher's
    normalisation is fitted (:meth:`start`), imports and reads ``split.npz`` from the work directory, then waits
    for :meth:`go`: a core idles (:func:`models.teachers.train_best_teacher`'s ``on_core_free``). Beside two
    architectures side by side it computed in the moments their threads left a core free and slowed them: the
    synthetic example's teacher stage took 5.1-5.2 s instead of 4.5-4.8 s, with no piece finished in time. It then
    computes on one thread and writes :data:`TEACHER_FREE_FILE` after each finished piece (atomically). Its request
    and the go come through a pipe; when the pipe closes (the job stopped it, or the job's process died) it ends.
    That takes its own Python, which at its priority on a busy machine may wait minutes for a CPU: on Linux the
    kernel kills it when the job's process ends (:mod:`models.parent_death`), whatever it is doing. Nothing it does
    can fail the job: a process that cannot start, or fails, leaves the pieces to the final stage.

    Parameters
    ----------
    work_dir : str or Path
        The job's work directory, with ``split.npz`` written.
    config : PipelineConfig
        The job's resolved options.
    """

    def __init__(self, work_dir, config):
        self.work_dir = Path(work_dir)
        self.config = config
        self._process = None
        self._go = False
        self._lock = threading.Lock()

    @staticmethod
    def worthwhile(config, kind) -> bool:
        """Whether a job has teacher-free pieces to do: a series job that chooses its features, runs the control or
        searches starts for gamma = 0 points.

        Parameters
        ----------
        config : PipelineConfig
        kind : {"timeseries", "image"}

        Returns
        -------
        bool
        """
        return kind == "timeseries" and (config.series_features == "auto" or bool(config.random_search)
                                         or _searches_sparsity(config))

    @property
    def pid(self) -> int | None:
        """The process's id once started, else None."""
        return None if self._process is None else self._process.pid

    def start(self, scaling) -> None:
        """Start the process under the input scaling the teacher fitted; later calls do nothing. May be called from
        a training thread; never raises (a process that cannot start is logged, and the final stage computes).

        Parameters
        ----------
        scaling : dict
            ``offset``, ``scale`` and ``source`` (:func:`models.pipeline.scaling.input_scaling`).
        """
        with self._lock:
            if self._process is not None or not sys.executable:
                return
            (self.work_dir / TEACHER_FREE_FILE).unlink(missing_ok=True)
            (self.work_dir / _ERROR_FILE).unlink(missing_ok=True)
            request = {"config": self.config.to_dict(), "scaling": dict(scaling), "started": time.time()}
            env = {**os.environ, "AWD_JOB_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
            try:
                # recorded as soon as it exists: a Ctrl-C (or SIGTERM) arriving from here on reaches finish(), which
                # stops it; one arriving while it is started waits for the record (review 2026-12-07: the job
                # exited 130 with the process, never recorded, still importing). Started from a thread that lasts:
                # the kernel ends it when this process ends, not when the calling (maybe training) thread does
                with _interrupts_deferred():
                    self._process = popen_from_lasting_thread(
                        [sys.executable, "-c", _CHILD, str(self.work_dir), str(os.getpid())], env=env,
                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0)
                self._process.stdin.write(json.dumps(request).encode() + b"\n" + (b"go\n" if self._go else b""))
                self._process.stdin.flush()
            except (OSError, ValueError, RuntimeError):  # RuntimeError: the interpreter is shutting down
                logger.info("the teacher-free pieces could not start; the final stage computes them", exc_info=True)
                if self._process is not None:
                    self._process.kill()
                    self._process.wait()
                    self._process = None

    def go(self) -> None:
        """Let the process compute: a core idles. Before :meth:`start`, it computes as soon as it has started; later
        calls do nothing; never raises."""
        with self._lock:
            if self._go:
                return
            self._go = True
            if self._process is not None:
                try:
                    self._process.stdin.write(b"go\n")
                    self._process.stdin.flush()
                except (OSError, ValueError):  # it ended: the final stage computes
                    pass

    def finish(self, wait=False) -> dict:
        """End the process (unless ``wait``) and return what it finished; never raises.

        Parameters
        ----------
        wait : bool, default=False
            Let every piece finish first (after a :meth:`go`, given here if it was not). Otherwise the process is
            killed at once: the piece under way is dropped, :data:`TEACHER_FREE_FILE` keeps the pieces before it
            (each was written whole).

        Returns
        -------
        dict
            ``done`` (the pieces in :data:`TEACHER_FREE_FILE`, in order), ``seconds`` (from the process's launch to
            its last finished piece; 0 when none) and ``returncode`` (None when never started).
        """
        with self._lock:
            process = self._process
        if process is None:
            return {"done": [], "seconds": 0.0, "returncode": None}
        if wait:
            self.go()
        try:
            if wait:
                process.wait()
            else:
                process.kill()
                process.wait()
        finally:
            try:
                process.stdin.close()
            except OSError:
                pass
        failure = self.work_dir / _ERROR_FILE
        if failure.exists():
            logger.info("the teacher-free pieces stopped early; the final stage computes them:\n%s",
                        failure.read_text(errors="replace"))
            failure.unlink(missing_ok=True)
        try:
            with np.load(self.work_dir / TEACHER_FREE_FILE, allow_pickle=False) as arrays:
                done, seconds = [str(d) for d in arrays["done"]], float(arrays["seconds"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            done, seconds = [], 0.0
        return {"done": done, "seconds": seconds, "returncode": process.returncode}


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold back Ctrl-C and SIGTERM for the block: a signal arriving inside runs its handler when the block ends.

    Only in the main thread (where Python runs signal handlers) and for signals whose handler is a Python function
    (Python's own Ctrl-C handler raises :class:`KeyboardInterrupt`, ``awd``'s SIGTERM handler too); elsewhere the
    block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived, handlers = [], {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if callable(handler):
            handlers[signum] = handler
            signal.signal(signum, lambda signum, frame: arrived.append((signum, frame)))
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        for signum, frame in arrived[:1]:  # one interruption is enough
            handlers[signum](signum, frame)


#: The process's account of a failure (its traceback), which :meth:`BesideTeacher.finish` logs.
_ERROR_FILE = "teacher_free_error.txt"

#: What the process runs: its end tied to its parent's (before the slow imports, :func:`end_with_parent`), the
#: lowest priority, then the pieces (:func:`_child`).
_CHILD = ("import os, sys; from awd_studio.models.parent_death import end_with_parent; "
          f"end_with_parent(int(sys.argv[2])); hasattr(os, 'nice') and os.nice({LOWEST_PRIORITY}); "
          "from awd_studio.models.pipeline.teacher_free import _child; sys.exit(_child(sys.argv[1]))")

#: The arrays of ``split.npz`` the pieces read (not the test series).
_SPLIT_ARRAYS = ("X_train", "y_train", "y_train_all", "y_test_all", "groups")


def _child(work_dir) -> int:
    """The process of :class:`BesideTeacher`: read the request from standard input, wait for its go, compute the
    pieces, and end as soon as standard input closes. 0 when every piece finished, 1 when one failed (its
    traceback in :data:`_ERROR_FILE`; what it finished stays in :data:`TEACHER_FREE_FILE`) or no go came."""
    from awd_studio.models.cores import single_threaded_blas
    from awd_studio.models.options import PipelineConfig

    work_dir = Path(work_dir)
    request = json.loads(sys.stdin.buffer.readline())
    with np.load(work_dir / "split.npz", allow_pickle=False) as stored:
        split = {k: stored[k] for k in _SPLIT_ARRAYS if k in stored.files}
    if sys.stdin.buffer.readline().strip() != b"go":  # the teacher was done before a core idled
        return 1

    def end_when_closed():  # the job stopped the process, or the job's process is gone
        # the descriptor itself: a daemon thread blocked in the buffered reader holds its lock, and the interpreter
        # then aborts at its exit ("could not acquire lock ... at interpreter shutdown")
        while os.read(sys.stdin.fileno(), 65536):
            pass
        os._exit(1)

    threading.Thread(target=end_when_closed, daemon=True).start()
    try:
        config = PipelineConfig.from_dict(request["config"])

        def keep(arrays, done):
            if work_dir.is_dir():  # not re-created when the job's folder was removed
                write_npz(work_dir / TEACHER_FREE_FILE, done=np.asarray(done),
                          seconds=np.asarray(time.time() - request["started"]), **arrays)

        with single_threaded_blas():  # one thread whatever the BLAS (the environment names the common ones)
            teacher_free_pieces(config, split["X_train"], split["y_train"], split["y_train_all"],
                                split["y_test_all"], split.get("groups"), request["scaling"], on_piece=keep)
    except Exception:  # the final stage computes what is missing and reports what is wrong there
        if work_dir.is_dir():
            atomic_write_bytes(work_dir / _ERROR_FILE, traceback.format_exc().encode())
        return 1
    return 0


def read_teacher_free(work_dir, key) -> dict:
    """The pieces done beside the teacher, when they were computed for ``key`` (:func:`teacher_free_key`).

    Parameters
    ----------
    work_dir : str or Path
    key : str
        The final stage's own key: options, scaling and splits as it sees them.

    Returns
    -------
    dict
        ``series_features`` (``{"largest": folds, "positions": folds}``), ``control`` (the dict of
        :func:`models.pipeline.random_search.random_search_control`) and ``sparsity_search`` (a
        :class:`models.start_search.StartSearch`), each only when done; empty when there is no file or it was
        computed for other inputs.
    """
    path = Path(work_dir) / TEACHER_FREE_FILE
    if not path.exists():
        return {}
    try:
        arrays = read_npz(path)
    except (OSError, ValueError, zipfile.BadZipFile):  # damaged: the final stage computes the pieces
        logger.info("%s could not be read: the final stage computes its pieces", path, exc_info=True)
        return {}
    if str(arrays.get("key")) != key:
        logger.info("%s was computed for other inputs: the final stage computes its pieces", path)
        return {}
    pieces = {}
    if "search_filters" in arrays:
        n_starts, steps = (int(v) for v in arrays["search_meta"])
        pieces["sparsity_search"] = StartSearch(
            filters=arrays["search_filters"], angles=arrays["search_angles"], losses=arrays["search_losses"],
            n_starts=n_starts, steps=steps, terms=np.full(len(arrays["search_losses"]), "sparsity"))
    if "fold_largest" in arrays:
        pieces["series_features"] = {"largest": arrays["fold_largest"], "positions": arrays["fold_positions"]}
    if "control_h" in arrays:
        n, index, screened = (int(v) for v in arrays["control_meta"])
        fold = arrays["control_fold"]
        pieces["control"] = {"h": arrays["control_h"], "fold": fold, "cv_score": float(fold.mean()), "n": n,
                             "index": index, "screened": screened}
    return pieces
