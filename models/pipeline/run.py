"""A whole job in one process: :func:`run` chains the three stages (what ``awd distill`` calls)."""

from pathlib import Path

from awd_studio.models.pipeline.finalize import finalize
from awd_studio.models.pipeline.fit_grid import distill_chunk
from awd_studio.models.pipeline.prepare import prepare

__all__ = ["run"]


def run(data_path, config, out_dir, progress=None, should_cancel=None, on_epoch=None) -> dict:
    """Run a whole job in this process: :func:`prepare`, one :func:`distill_chunk` over the grid, :func:`finalize`.

    Parameters
    ----------
    data_path : str or Path
    config : PipelineConfig or dict
    out_dir : str or Path
        Receives the bundle; the work files go to ``out_dir/work``.
    progress : callable, optional
        ``progress(stage, fraction, message)``; stages: data, teacher, distill, select, students, done.
    should_cancel : callable, optional
        Polled during every stage (:func:`prepare`, :func:`distill_chunk`, :func:`finalize`), at most a few seconds
        apart; True raises :class:`models.distill.Cancelled`. ``awd distill`` passes none.
    on_epoch : callable, optional
        ``on_epoch(epoch, losses)``.

    Returns
    -------
    dict
        The result bundle.
    """
    work_dir = Path(out_dir) / "work"
    info = prepare(data_path, config, work_dir, progress=progress, should_cancel=should_cancel)
    n_grid = len(info["config"]["lambdas"]) * len(info["config"]["gammas"])
    distill_chunk(work_dir, range(n_grid), progress=progress, should_cancel=should_cancel, on_epoch=on_epoch)
    return finalize(work_dir, out_dir, progress=progress, should_cancel=should_cancel)
