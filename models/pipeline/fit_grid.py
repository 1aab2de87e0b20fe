"""Stage 2 of a job: fit any part of the lambda x gamma grid (one vectorised fit) and store its filters.

The grid may be cut into chunks that run on different workers; the vectorised grid's points are separate fits, so
chunking changes the filters only at float32 rounding (products over fewer filters, or on other threads, round
differently: up to 5e-8 on the tests' two-point grid). A chunk is one fit on the job's threads
(:func:`models.cores.use_job_threads`: the cores that other work leaves idle), recorded in the chunk.
"""

from pathlib import Path

import numpy as np

from awd_studio.models.cores import use_job_threads
from awd_studio.models.device import resolve_device
from awd_studio.models.distill import Cancelled, WaveletDistiller
from awd_studio.models.estimate import stage_seconds
from awd_studio.models.memory import keep_freed_memory, release_freed_memory
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.scaling import scaled, scaling_of, teacher_on_scaled
from awd_studio.models.pipeline.teacher_free import TEACHER_FREE_FILE, prepared_key, read_teacher_free
from awd_studio.models.pipeline.workdir import chunk_path, load_prepared, read_npz, report, start_search_path, write_npz
from awd_studio.models.start_search import StartSearch, join_searches, search_terms

__all__ = ["distill_chunk", "make_distiller", "shared_start_search", "search_share", "search_words"]


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
    threads = use_job_threads()  # the cores other work leaves idle, unless AWD_JOB_THREADS says otherwise
    info, config, split, teacher = load_prepared(work_dir)
    grid = grid_points_of(config)
    indices = sorted(int(i) for i in indices)
    if not indices or indices[0] < 0 or indices[-1] >= len(grid):
        raise ValueError(f"indices: must be within 0..{len(grid) - 1}")
    out = chunk_path(work_dir, indices)
    if out.exists():
        return out
    device = resolve_device(info["device"] if config.device is None else config.device)
    distiller = make_distiller(config, [grid[i] for i in indices], device, info["teacher"]["attribution_target"])
    scaling = scaling_of(info)
    X, scaled_teacher = scaled(split["X_train"], scaling), teacher_on_scaled(teacher, scaling)
    gammas = [gam for _, gam in grid]  # the whole grid's: the job's searches serve every chunk
    beside = _searched_beside_the_teacher(work_dir, info, config, split) if config.start_search else None
    # the searches that run here: the sparsity term's may have been done beside the teacher
    terms = tuple(term for term in search_terms(gammas) if not (term == "sparsity" and beside is not None))
    searching = bool(config.start_search) and bool(terms)
    searched_words = search_words(int(config.start_search), terms)
    # the stage begins here, before its first epoch: the teacher's input gradients and the start search take
    # seconds (a CME job's searches about 4 s on 2 cores), and the job page should say what runs
    report(progress, "distill", 0.0, "computing the teacher's input gradients" + (
        f" and {searched_words}" if searching else ""))
    # the search takes the first part of the stage's progress, the epochs the rest (the cost model's split)
    share = search_share(config, split["X_train"], len(indices), threads, len(terms)) if searching else 0.0

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
        if config.start_search:
            # one pair of searches per job, whatever the chunk a grid point falls in: each chunk scores the same end
            # points, so its points start where one fit of the whole grid would start them
            distiller.start_candidates = shared_start_search(work_dir, distiller, X, scaled_teacher, gammas,
                                                             on_step=searched, beside=beside)
        distiller.fit(X, scaled_teacher, progress=fitted if progress is not None else None,
                      should_stop=should_cancel, on_epoch=on_epoch)
    finally:
        if kept:  # glibc's settings stay untouched where they were not changed (AWD_KEEP_FREED_MEMORY=0)
            release_freed_memory()
    histories = {f"history_{k}": v for k, v in distiller.history_.items()}
    write_npz(out, indices=np.asarray(indices), filters=distiller.filters_, initial_filter=distiller.initial_filter_,
              filter_epoch=distiller.filter_epoch_, start_filters=distiller.start_filters_,
              start_choice=distiller.start_choice_, seconds_per_epoch=np.asarray(distiller.seconds_per_epoch_),
              gradient_path=np.asarray(distiller.gradient_path_), threads=np.asarray(threads), **histories)
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


def _searched_beside_the_teacher(work_dir, info, config, split):
    """The gamma = 0 points' start search, when the first stage's process beside the teacher finished it for this
    job's inputs (:mod:`models.pipeline.teacher_free`) and the job's searches are not stored yet; else None."""
    if start_search_path(work_dir).exists() or not (Path(work_dir) / TEACHER_FREE_FILE).exists():
        return None
    return read_teacher_free(work_dir, prepared_key(config, info, split)).get("sparsity_search")


def shared_start_search(work_dir, distiller, X, teacher, gammas, on_step=None, beside=None) -> StartSearch:
    """The job's start searches, run once on all the job's threads and kept in the work directory.

    Every chunk of a job's grid, on any worker, and every part of a chunk starts from the same searches
    (:meth:`models.distill.WaveletDistiller.search_starts`, one per term the whole grid's ``gammas`` ask for):
    their result depends on the training signals, the teacher, the seed and the filter's settings, never on the
    grid points, so the first chunk to need it stores it (:func:`models.pipeline.workdir.start_search_path`) and
    the others read it. Two chunks that start at once may both search, as every chunk did before this file was
    kept; each then uses its own result, and the file, written atomically, holds one of them.
    ``on_step(step, steps)`` follows a search that runs here. ``beside``: the sparsity term's search, done beside
    the teacher (:func:`models.pipeline.teacher_free.sparsity_search`, the same computation on one thread); only
    the interpretation term's then runs here, and the two are joined in the order one call would give.

    Returns
    -------
    models.start_search.StartSearch
    """
    path = start_search_path(work_dir)
    if path.exists():
        stored = read_npz(path)
        return StartSearch(filters=stored["filters"], angles=stored["angles"], losses=stored["losses"],
                           n_starts=int(stored["n_starts"]), steps=int(stored["steps"]), terms=stored.get("terms"))
    if beside is None:
        search = distiller.search_starts(X, teacher, on_step=on_step, gammas=gammas)
    elif any(gam > 0 for gam in gammas):
        interpreted = distiller.search_starts(X, teacher, on_step=on_step, gammas=[gam for gam in gammas if gam > 0])
        search = join_searches({"interpretation": interpreted, "sparsity": beside})
    else:
        search = beside
    write_npz(path, filters=search.filters, angles=search.angles, losses=search.losses,
              n_starts=np.asarray(search.n_starts), steps=np.asarray(search.steps), terms=np.asarray(search.terms))
    return search


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
