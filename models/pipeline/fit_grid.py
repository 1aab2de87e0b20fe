"""Stage 2 of a job: fit any part of the lambda x gamma grid (one vectorised fit) and store its filters.

The grid may be cut into chunks that run on different workers; since the vectorised grid equals separate fits,
chunking does not change the result. Within one chunk, a time-series grid is also cut into parts, each fitted
on its own thread (:func:`fit_in_parts`): its steps are small products; two parts side by side take about 0.6 of
the time of one fit for the paper's 105 points, and as long for the default 18, but unlike one fit on two threads
they do not slow down beside a busy process (measured: :data:`SERIES_PARTS`).
"""

import copy
import logging
import threading
import time

import numpy as np
import torch

from awd_studio.models.cores import use_job_threads
from awd_studio.models.device import resolve_device
from awd_studio.models.distill import Cancelled, WaveletDistiller, epoch_message, grid_points
from awd_studio.models.estimate import stage_seconds
from awd_studio.models.memory import keep_freed_memory, release_freed_memory
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.prepare import scaled, scaling_of, teacher_on_scaled
from awd_studio.models.pipeline.workdir import chunk_path, load_prepared, read_npz, report, start_search_path, write_npz
from awd_studio.models.start_search import StartSearch, search_terms

__all__ = ["distill_chunk", "make_distiller", "fit_in_parts", "shared_start_search", "search_share", "search_words",
           "SERIES_PARTS"]

log = logging.getLogger(__name__)

#: Parts a time-series grid is cut into on the CPU, each on its own thread with an equal share of the job's
#: threads. Measured on 2 cores only (2 parts of one thread each: 1.6-1.7x faster than one fit), so not more.
#: Remeasured on a 2-core AMD EPYC on 2026-12-03 (CME example, LSTM teacher, zero mode, s per epoch, two
#: interleaved repeats): 105 points: one fit on one thread 0.35-0.37, on two 0.20-0.23, two parts 0.22-0.23;
#: 18 points: 0.088-0.095, 0.063-0.065 and 0.088-0.092; 18 points beside a busy process: 0.088-0.095, 0.22-0.28
#: and 0.11-0.12. Two parts stay: never far from the best, and never the worst.
SERIES_PARTS = 2

#: How often the waiting thread of :func:`fit_in_parts` wakes up (seconds): a signal's exception is raised then.
POLL_SECONDS = 0.5

#: How long :func:`fit_in_parts` waits for the parts to end their epoch after the calling thread raised.
STOP_GRACE_SECONDS = 5.0


def make_distiller(config, grid, device, target) -> WaveletDistiller:
    """The trainer of a resolved config for the grid points ``grid`` (pairs of lambda, gamma)."""
    return WaveletDistiller(
        target=target, wave=config.wave, levels=config.levels, mode=config.mode,
        parametrization=config.parametrization, grid=grid, epochs=config.epochs, batch_size=config.batch_size,
        lr=config.lr, warmup_epochs=config.warmup_epochs, patience=config.patience, attribution=config.attribution,
        ig_steps=config.ig_steps, init_noise=config.init_noise, init_noise_on="taps", seed=config.seed, device=device,
        gradient_path=config.gradient_path, start_search=config.start_search)


def distill_chunk(work_dir, indices, progress=None, should_cancel=None, on_epoch=None):
    """Fit the grid points ``indices`` (one vectorised fit) and store their filters.

    Parameters
    ----------
    work_dir : str or Path
        The directory :func:`models.pipeline.prepare` filled.
    indices : sequence of int
        Positions in the lambda-major grid (:func:`models.pipeline.grid_points_of`).
    progress, should_cancel, on_epoch : callable, optional
        See :meth:`models.distill.WaveletDistiller.fit`; ``should_cancel`` makes it raise
        :class:`models.distill.Cancelled` between epochs.

    Returns
    -------
    Path
        The chunk file (written atomically; an existing complete chunk is reused).
    """
    threads = use_job_threads()  # every core of the worker unless AWD_JOB_THREADS says otherwise (models.cores)
    info, config, split, teacher = load_prepared(work_dir)
    grid = grid_points_of(config)
    indices = sorted(int(i) for i in indices)
    if not indices or indices[0] < 0 or indices[-1] >= len(grid):
        raise ValueError(f"indices: must be within 0..{len(grid) - 1}")
    out = chunk_path(work_dir, indices)
    if out.exists():
        return out
    device = resolve_device(info["device"] if config.device is None else config.device)
    points = [grid[i] for i in indices]
    # series on the CPU: parts on threads; early stopping would end the parts at different epochs
    n_parts = (min(SERIES_PARTS, threads, len(points)) if split["X_train"].ndim == 2 and device.type == "cpu"
               and config.patience is None else 1)
    cut = np.array_split(np.arange(len(points)), n_parts)
    distillers = [make_distiller(config, [points[i] for i in part], device, info["teacher"]["attribution_target"])
                  for part in cut]
    scaling = scaling_of(info)
    X, scaled_teacher = scaled(split["X_train"], scaling), teacher_on_scaled(teacher, scaling)
    searching = bool(config.start_search)
    gammas = [gam for _, gam in grid]  # the whole grid's: the job's searches serve every chunk
    terms = search_terms(gammas)
    searched_words = search_words(int(config.start_search), terms)
    # the stage begins here, before its first epoch: the teacher's input gradients and the start search take
    # seconds (a CME job's searches about 4 s on 2 cores), and the job page should say what runs
    report(progress, "distill", 0.0, "computing the teacher's input gradients" + (
        f" and {searched_words}" if searching else ""))
    # the search takes the first part of the stage's progress, the epochs the rest (the cost model's split)
    share = search_share(config, split["X_train"], len(points), threads, len(terms)) if searching else 0.0

    def searched(step, steps):
        report(progress, "distill", share * step / steps, f"{searched_words}: step {step}/{steps}")
        # each chunk of starts that ends: a cancelled job stops here, not after the whole search (review 33A: the
        # worker ran on for about a minute after a cancel, with the next job waiting)
        if should_cancel is not None and should_cancel():
            raise Cancelled("stopped during the start search")

    def fitted(stage, fraction, message):
        report(progress, stage, share + (1.0 - share) * fraction if stage == "distill" else fraction, message)

    # the search's and the fits' steps reuse freed blocks instead of faulting in fresh pages (models.memory): 20 of
    # the 100 steps of a search of 1000 starts at length 64 took 2.1-2.5 s, 121-185 thousand page faults and
    # 0.4-0.8 s of system time without, 1.8-2.1 s and 7 thousand with (2 threads, interleaved, 2026-12-02)
    kept = keep_freed_memory()
    try:
        if searching:
            # one pair of searches per job, whatever the chunk or part a grid point falls in: each part scores the
            # same end points, so its points start where one fit of the whole grid would start them
            shared = shared_start_search(work_dir, distillers[0], X, scaled_teacher, gammas, on_step=searched)
            for distiller in distillers:
                distiller.start_candidates = shared
        fit_in_parts(distillers, X, scaled_teacher, progress=fitted if progress is not None else None,
                     should_stop=should_cancel, on_epoch=on_epoch,
                     threads_per_part=max(1, threads // n_parts))
    finally:
        if kept:  # glibc's settings stay untouched where they were not changed (AWD_KEEP_FREED_MEMORY=0)
            release_freed_memory()
    histories = {f"history_{k}": np.concatenate([d.history_[k] for d in distillers], axis=1)
                 for k in distillers[0].history_}
    write_npz(out, indices=np.asarray(indices), filters=np.concatenate([d.filters_ for d in distillers]),
              initial_filter=distillers[0].initial_filter_,
              filter_epoch=np.concatenate([d.filter_epoch_ for d in distillers]),
              start_filters=np.concatenate([d.start_filters_ for d in distillers]),
              start_choice=np.concatenate([d.start_choice_ for d in distillers]),
              seconds_per_epoch=np.asarray(max(d.seconds_per_epoch_ for d in distillers)),
              gradient_path=np.asarray(distillers[0].gradient_path_), **histories)
    return out


def search_share(config, X_train, n_points, threads, n_searches=1) -> float:
    """The start search's expected share of the distillation stage: the cost model's seconds for the search over
    those of the whole stage (:func:`models.estimate.stage_seconds`), at most 0.9.

    Parameters
    ----------
    config : PipelineConfig
        Resolved (its ``start_search``, teacher and epochs are the job's).
    X_train : ndarray of shape (n, L)
    n_points : int
        Grid points fitted here.
    threads : int
    n_searches : int, default=1
        Searches the job runs (:func:`models.start_search.search_terms` of its whole grid).

    Returns
    -------
    float
    """
    common = dict(kind="timeseries", shape=X_train.shape[1:], n=len(X_train), n_grid=n_points, epochs=config.epochs,
                  attribution=config.attribution, teacher=config.teacher, parametrization=config.parametrization,
                  gradient_path=config.gradient_path, threads=threads, trains_teacher=False, n_searches=n_searches)
    searched = stage_seconds(**common, start_search=int(config.start_search or 0))["distill"]
    plain = stage_seconds(**common, start_search=0)["distill"]
    return float(min(max((searched - plain) / searched, 0.0), 0.9)) if searched > 0 else 0.0


def shared_start_search(work_dir, distiller, X, teacher, gammas, on_step=None) -> StartSearch:
    """The job's start searches, run once on all the job's threads and kept in the work directory.

    Every chunk of a job's grid, on any worker, and every part of a chunk starts from the same searches
    (:meth:`models.distill.WaveletDistiller.search_starts`, one per term the whole grid's ``gammas`` ask for):
    their result depends on the training signals, the teacher, the seed and the filter's settings, never on the
    grid points, so the first chunk to need it stores it (:func:`models.pipeline.workdir.start_search_path`) and
    the others read it. Two chunks that start at once may both search, as every chunk did before this file was
    kept; each then uses its own result, and the file, written atomically, holds one of them.
    ``on_step(step, steps)`` follows a search that runs here.

    Returns
    -------
    models.start_search.StartSearch
    """
    path = start_search_path(work_dir)
    if path.exists():
        stored = read_npz(path)
        return StartSearch(filters=stored["filters"], angles=stored["angles"], losses=stored["losses"],
                           n_starts=int(stored["n_starts"]), steps=int(stored["steps"]), terms=stored.get("terms"))
    search = distiller.search_starts(X, teacher, on_step=on_step, gammas=gammas)
    write_npz(path, filters=search.filters, angles=search.angles, losses=search.losses,
              n_starts=np.asarray(search.n_starts), steps=np.asarray(search.steps), terms=np.asarray(search.terms))
    return search


def fit_in_parts(distillers, X, teacher, progress=None, should_stop=None, on_epoch=None, threads_per_part=1):
    """Fit several distillers of one grid at once, each on its own thread.

    Every part polls ``should_stop`` after each epoch, as one fit does; the calling thread only waits, in
    steps of :data:`POLL_SECONDS`, and receives any signal's exception (Celery's soft time limit). When
    ``should_stop`` says so or raises, a signal's exception lands, or any part fails, the parts stop after their
    current epoch; the first error is raised once they have (after at most :data:`STOP_GRACE_SECONDS` when the
    calling thread itself raised). ``on_epoch`` and ``progress`` report the whole grid once every part has
    finished an epoch: the mean losses weighted by the parts' sizes, as one fit of the whole grid reports them.

    Parameters
    ----------
    distillers : list of WaveletDistiller
        Unfitted, with the same settings and disjoint grids; with several, the same epochs and warm-up and no
        early stopping (so that every part reports every epoch).
    X, teacher, progress, should_stop, on_epoch
        As in :meth:`models.distill.WaveletDistiller.fit`; every part but the first calls its own copy of the
        teacher.
    threads_per_part : int, default=1
        Torch threads of each part.

    Raises
    ------
    ValueError
        When several distillers differ in epochs or warm-up, or use early stopping.
    """
    if len(distillers) == 1:
        distillers[0].fit(X, teacher, progress=progress, should_stop=should_stop, on_epoch=on_epoch)
        return
    if any(d.patience is not None for d in distillers) or len({(d.epochs, d.warmup_epochs) for d in distillers}) > 1:
        raise ValueError("fit_in_parts: the parts must share epochs and warm-up and not stop early")
    sizes = [len(d.grid if d.grid is not None else grid_points(d.lambdas, d.gammas)) for d in distillers]
    join = _EpochJoin(sizes, distillers[0].epochs, progress, on_epoch)
    halt, errors = threading.Event(), []
    # one teacher per part: a module is not safe to call from two threads at once (torch's LSTM re-packs its
    # weights on every call, and two threads doing so at once failed a job with "zip() argument 2 is longer")
    teachers = [teacher] + [copy.deepcopy(teacher) for _ in distillers[1:]]

    def stop():
        return halt.is_set() or (should_stop is not None and bool(should_stop()))

    def run(k):
        torch.set_num_threads(threads_per_part)  # in each thread: OpenMP's thread count is a per-thread setting
        try:
            distillers[k].fit(X, teachers[k], should_stop=stop, on_epoch=join.reporter(k))
        except BaseException as exc:  # recorded in the order they happen: the first is the cause
            errors.append(exc)
            halt.set()

    threads_before = torch.get_num_threads()
    parts = [threading.Thread(target=run, args=(k,), name=f"awd-grid-part-{k}", daemon=True)
             for k in range(len(distillers))]
    for part in parts:
        part.start()
    try:
        alive = parts
        while alive:  # short waits, so that a signal's exception is raised here promptly
            alive[0].join(POLL_SECONDS)
            alive = [part for part in parts if part.is_alive()]
    except BaseException as exc:  # a signal's exception landed while waiting
        errors.insert(0, exc)
        halt.set()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for part in parts:
            part.join(max(0.0, deadline - time.monotonic()))
    finally:
        torch.set_num_threads(threads_before)
    for extra in errors[1:]:
        if not isinstance(extra, Cancelled):
            log.warning("a grid part also failed: %r", extra)
    if errors:
        raise errors[0]


class _EpochJoin:
    """Joins the parts' per-epoch losses into the grid's (weighted by the parts' sizes) and reports each epoch
    once every part has finished it."""

    def __init__(self, sizes, epochs, progress, on_epoch):
        self.sizes, self.epochs, self.progress, self.on_epoch = sizes, epochs, progress, on_epoch
        self.lock, self.pending = threading.Lock(), {}

    def reporter(self, part):
        def report(epoch, losses):
            with self.lock:
                got = self.pending.setdefault(epoch, {})
                got[part] = losses
                if len(got) < len(self.sizes):
                    return
                del self.pending[epoch]
            total = sum(self.sizes)
            means = {key: (None if any(got[p][key] is None for p in got)
                           else sum(self.sizes[p] * got[p][key] for p in got) / total)
                     for key in ("train_loss", "val_loss")}
            if self.on_epoch is not None:
                self.on_epoch(epoch, means)
            if self.progress is not None:
                self.progress("distill", (epoch + 1) / self.epochs,
                              epoch_message(epoch, self.epochs, means["train_loss"], means["val_loss"]))
        return report


def search_words(n_starts, terms):
    """What the job page says while the start searches run.

    Examples
    --------
    >>> search_words(1000, ("interpretation", "sparsity"))
    'searching 1000 random starting wavelets, with the teacher and without'
    >>> search_words(500, ("sparsity",))
    'searching 500 random starting wavelets without the teacher'
    """
    which = {("interpretation", "sparsity"): ", with the teacher and without",
             ("interpretation",): " with the teacher"}.get(tuple(terms), " without the teacher")
    return f"searching {n_starts} random starting wavelets{which}"
