"""Stage 2 of a job: fit any part of the lambda x gamma grid (one vectorised fit) and store its filters.

The grid may be cut into chunks that run on different workers; since the vectorised grid equals separate fits,
chunking does not change the result. Within one chunk, a time-series grid is also cut into one part per job
thread, each fitted on its own thread (:func:`fit_in_parts`): its steps are products too small for torch to
share between cores, so one fit runs as fast on one thread as on two, while two parts side by side take about
half the time.
"""

import threading

import numpy as np
import torch

from awd_studio.models.cores import use_job_threads
from awd_studio.models.device import resolve_device
from awd_studio.models.distill import WaveletDistiller, epoch_message, grid_points
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.prepare import scaled, scaling_of, teacher_on_scaled
from awd_studio.models.pipeline.workdir import chunk_path, load_prepared, write_npz

__all__ = ["distill_chunk", "make_distiller", "fit_in_parts"]


def make_distiller(config, grid, device, target) -> WaveletDistiller:
    """The trainer of a resolved config for the grid points ``grid`` (pairs of lambda, gamma)."""
    return WaveletDistiller(
        target=target, wave=config.wave, levels=config.levels, mode=config.mode,
        parametrization=config.parametrization, grid=grid, epochs=config.epochs, batch_size=config.batch_size,
        lr=config.lr, warmup_epochs=config.warmup_epochs, patience=config.patience, attribution=config.attribution,
        ig_steps=config.ig_steps, init_noise=config.init_noise, seed=config.seed, device=device,
        gradient_path=config.gradient_path)


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
    use_job_threads()  # every core of the worker unless AWD_JOB_THREADS says otherwise (models.cores)
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
    threads = torch.get_num_threads()
    # series on the CPU: one part per thread; early stopping would end the parts at different epochs
    n_parts = (min(threads, len(points)) if split["X_train"].ndim == 2 and device.type == "cpu"
               and config.patience is None else 1)
    cut = np.array_split(np.arange(len(points)), n_parts)
    distillers = [make_distiller(config, [points[i] for i in part], device, info["teacher"]["attribution_target"])
                  for part in cut]
    scaling = scaling_of(info)
    fit_in_parts(distillers, scaled(split["X_train"], scaling), teacher_on_scaled(teacher, scaling),
                 progress=progress, should_stop=should_cancel, on_epoch=on_epoch)
    histories = {f"history_{k}": np.concatenate([d.history_[k] for d in distillers], axis=1)
                 for k in distillers[0].history_}
    write_npz(out, indices=np.asarray(indices), filters=np.concatenate([d.filters_ for d in distillers]),
              initial_filter=distillers[0].initial_filter_,
              filter_epoch=np.concatenate([d.filter_epoch_ for d in distillers]),
              seconds_per_epoch=np.asarray(max(d.seconds_per_epoch_ for d in distillers)),
              gradient_path=np.asarray(distillers[0].gradient_path_), **histories)
    return out


def fit_in_parts(distillers, X, teacher, progress=None, should_stop=None, on_epoch=None):
    """Fit several distillers of one grid at once, one per thread, each on one torch thread.

    The first runs in the calling thread (so a signal's exception, such as Celery's soft time limit, lands in
    it), the others in helper threads. ``on_epoch`` and ``progress`` report the whole grid once every part has
    finished an epoch: the mean losses weighted by the parts' sizes, as one fit of the whole grid reports
    them. ``should_stop`` is polled by the first part; when any part stops or fails, the others stop after
    their current epoch, and the first error is raised once all have ended.

    Parameters
    ----------
    distillers : list of WaveletDistiller
        Unfitted, with the same settings and disjoint grids; the same epochs and no early stopping when there
        are several (so that all parts report the same epochs).
    X, teacher, progress, should_stop, on_epoch
        As in :meth:`models.distill.WaveletDistiller.fit`.
    """
    if len(distillers) == 1:
        distillers[0].fit(X, teacher, progress=progress, should_stop=should_stop, on_epoch=on_epoch)
        return
    sizes = [len(d.grid if d.grid is not None else grid_points(d.lambdas, d.gammas)) for d in distillers]
    join = _EpochJoin(sizes, distillers[0].epochs, progress, on_epoch)
    halt, errors = threading.Event(), []

    def stop_first():
        return halt.is_set() or (should_stop is not None and should_stop())

    def run(k):
        torch.set_num_threads(1)  # in each thread: OpenMP's thread count is a per-thread setting
        try:
            distillers[k].fit(X, teacher, should_stop=stop_first if k == 0 else halt.is_set,
                              on_epoch=join.reporter(k))
        except BaseException as exc:  # recorded in the order they happen: the first is the cause
            errors.append(exc)
            halt.set()

    threads_before = torch.get_num_threads()
    helpers = [threading.Thread(target=run, args=(k,), name=f"awd-grid-part-{k}", daemon=True)
               for k in range(1, len(distillers))]
    try:
        for helper in helpers:
            helper.start()
        run(0)
        for helper in helpers:
            helper.join()
    except BaseException as exc:  # raised while waiting for the helpers (a signal's exception)
        errors.insert(0, exc)
        halt.set()
        for helper in helpers:
            helper.join()
    finally:
        torch.set_num_threads(threads_before)
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
