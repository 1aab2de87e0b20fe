"""One distillation job end to end: data -> teacher -> lambda/gamma grid -> selection -> students -> bundle.

The same job runs in one call (:func:`run`, used by ``awd distill``) or in three stages that a worker pool can
spread out: :func:`prepare` (:mod:`~models.pipeline.prepare`), then :func:`distill_chunk` on any partition of the
grid (:mod:`~models.pipeline.fit_grid`), then :func:`finalize` (:mod:`~models.pipeline.finalize`, with
:mod:`~models.pipeline.selection`, :mod:`~models.pipeline.students` and :mod:`~models.pipeline.verdict`). Every
stage reads and writes files in a work directory (:mod:`~models.pipeline.workdir`), so a stage that dies can
simply run again. The options are :class:`models.options.PipelineConfig`; the result is a
:class:`~models.pipeline.bundle.ResultBundle` (``result.json`` + ``arrays.npz`` + figures).
"""

from awd_studio.models.distill import Cancelled
from awd_studio.models.options import PipelineConfig
from awd_studio.models.pipeline.bundle import SCHEMA_ID, SCHEMA_PATH, ResultBundle, summary_text
from awd_studio.models.pipeline.config import choose_mode, grid_points_of, resolve_config
from awd_studio.models.pipeline.finalize import finalize
from awd_studio.models.pipeline.fit_grid import distill_chunk
from awd_studio.models.pipeline.prepare import check_teacher_is_finite, prepare
from awd_studio.models.pipeline.progress import STAGE_SPANS, StageClock, job_fraction, stage_spans, time_left
from awd_studio.models.pipeline.run import run
from awd_studio.models.pipeline.scaling import input_scaling
from awd_studio.models.pipeline.selection import cv_splits, paired_cv_se, select_wavelet
from awd_studio.models.pipeline.students import student
from awd_studio.models.pipeline.verdict import verdict_text
from awd_studio.models.pipeline.workdir import read_npz

__all__ = ["PipelineConfig", "Cancelled", "run", "prepare", "distill_chunk", "finalize", "grid_points_of",
           "resolve_config", "choose_mode", "input_scaling", "check_teacher_is_finite", "cv_splits",
           "paired_cv_se", "select_wavelet", "student", "verdict_text", "read_npz", "summary_text",
           "ResultBundle", "SCHEMA_PATH", "SCHEMA_ID", "STAGE_SPANS", "StageClock", "job_fraction", "stage_spans",
           "time_left"]
