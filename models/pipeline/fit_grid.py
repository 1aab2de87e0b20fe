"""Stage 2 of a job: fit any part of the lambda x gamma grid (one vectorised fit) and store its filters.

The grid may be cut into chunks that run on different workers; since the vectorised grid equals separate fits,
chunking does not change the result.
"""

import numpy as np

from awd_studio.models.cores import use_job_threads
from awd_studio.models.device import resolve_device
from awd_studio.models.distill import WaveletDistiller
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.prepare import scaled, scaling_of, teacher_on_scaled
from awd_studio.models.pipeline.workdir import chunk_path, load_prepared, write_npz

__all__ = ["distill_chunk", "make_distiller"]


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
    distiller = make_distiller(config, [grid[i] for i in indices], device, info["teacher"]["attribution_target"])
    scaling = scaling_of(info)
    distiller.fit(scaled(split["X_train"], scaling), teacher_on_scaled(teacher, scaling), progress=progress,
                  should_stop=should_cancel, on_epoch=on_epoch)
    histories = {f"history_{k}": v for k, v in distiller.history_.items()}
    write_npz(out, indices=np.asarray(indices), filters=distiller.filters_,
              initial_filter=distiller.initial_filter_, filter_epoch=distiller.filter_epoch_,
              seconds_per_epoch=np.asarray(distiller.seconds_per_epoch_),
              gradient_path=np.asarray(distiller.gradient_path_), **histories)
    return out
