"""Request and response bodies of the API (Pydantic); one ``Public`` model per resource."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DatasetPublic",
    "DatasetsPublic",
    "ExamplePublic",
    "ExamplesPublic",
    "ExampleCreate",
    "TeacherPublic",
    "TeachersPublic",
    "JobCreate",
    "JobPublic",
    "JobEstimate",
    "JobsPublic",
    "LossPointPublic",
    "ShareCreate",
    "ShareCreated",
    "SharePublic",
    "SharesPublic",
    "ArtifactPublic",
    "ArtifactsPublic",
    "HealthPublic",
    "SessionPublic",
    "Problem",
]

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]

#: Upper bounds of a job's numeric options (each documented in OpenAPI; a request beyond one gets a 422 that
#: names it). The estimated run time is also checked against ``AWD_JOB_TIME_LIMIT`` on submission.
MAX_EPOCHS = 2000
MAX_TEACHER_EPOCHS = 2000
MAX_GRID_POINTS = 400
MAX_LEVELS = 12


class Problem(BaseModel):
    """Error body: ``detail`` says what went wrong and what to do instead."""

    detail: str


class DatasetPublic(BaseModel):
    """A stored dataset and its preview summary."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    source: str
    original_filename: str | None = None
    kind: str
    shape: list[int]
    n: int
    n_test: int | None = None
    sha256: str
    size_bytes: int
    summary: dict[str, Any]
    created: dt.datetime
    note: str | None = Field(default=None, description="e.g. that the same file was uploaded before")


class DatasetsPublic(BaseModel):
    data: list[DatasetPublic]
    count: int


class ExamplePublic(BaseModel):
    """A built-in example dataset."""

    name: str
    kind: str
    description: str


class ExamplesPublic(BaseModel):
    data: list[ExamplePublic]
    count: int


class ExampleCreate(BaseModel):
    """Options when turning an example into a dataset."""

    model_config = ConfigDict(extra="forbid")
    n: int | None = Field(default=None, ge=20, le=200_000, description="number of samples (default: the example's own)")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    name: str | None = Field(default=None, max_length=200)


class TeacherPublic(BaseModel):
    """A built-in architecture (``builtin=True``, id = architecture) or uploaded weights."""

    id: str
    name: str
    arch: str
    builtin: bool
    description: str | None = None
    input_shape: list[int] | None = None
    n_outputs: int | None = None
    n_params: int | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    created: dt.datetime | None = None


class TeachersPublic(BaseModel):
    data: list[TeacherPublic]
    count: int


class JobCreate(BaseModel):
    """A distillation job: a dataset, a teacher and the options of ``models.pipeline.PipelineConfig``.

    Fields left out take the pipeline's defaults. ``teacher`` is an architecture name, ``"auto"``
    (LSTM for time series, CNN for maps) or the id of an uploaded teacher.
    """

    model_config = ConfigDict(extra="forbid")
    dataset_id: str = Field(max_length=64)
    teacher: str = Field(default="auto", max_length=64)
    target: int | None = Field(default=None, ge=0, le=10_000)
    levels: int | None = Field(default=None, ge=1, le=MAX_LEVELS,
                               description="decomposition levels J; also at most what the signal length allows")
    wave: str | None = Field(default=None, max_length=20)
    mode: str | None = Field(default=None, max_length=20)
    parametrization: str | None = Field(default=None, max_length=20)
    lambdas: list[float] | None = Field(default=None, min_length=1, max_length=64)
    gammas: list[float] | None = Field(default=None, min_length=1, max_length=64)
    epochs: int | None = Field(default=None, ge=1, le=MAX_EPOCHS)
    attribution: str | None = Field(default=None, max_length=40)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    batch_size: int | None = Field(default=None, ge=1, le=100_000)
    device: str | None = Field(default=None, max_length=20)
    grid_preset: Literal["default", "paper"] | None = None
    teacher_epochs: int | None = Field(default=None, ge=1, le=MAX_TEACHER_EPOCHS)
    lr: float | None = Field(default=None, gt=0, le=10)
    patience: int | None = Field(default=None, ge=1, le=10_000)
    test_fraction: float | None = Field(default=None, ge=0.05, le=0.5)
    cv_folds: int | None = Field(default=None, ge=2, le=20)
    top_k: int | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def _grid_size(self):
        n_points = len(self.lambdas or [1]) * len(self.gammas or [1])
        if n_points > MAX_GRID_POINTS:
            raise ValueError(f"lambdas x gammas: {n_points} grid points exceed the bound of {MAX_GRID_POINTS}; "
                             "use fewer values")
        return self


class JobEstimate(BaseModel):
    """The estimated run time of a job on this server's CPU, against the job time limit."""

    seconds: float
    limit_seconds: float
    grid_points: int
    epochs: int
    within_limit: bool


class LossPointPublic(BaseModel):
    """Losses of one epoch of one chunk of the grid (``chunk`` is 0 when the grid runs in one task)."""

    chunk: int
    epoch: int
    values: dict[str, float | None]


class JobPublic(BaseModel):
    """The state of a job; ``losses`` only in ``GET /api/jobs/{id}``."""

    id: str
    state: JobState
    stage: str | None = None
    message: str | None = None
    fraction: float
    eta_seconds: float | None = None
    error: str | None = None
    dataset_id: str | None = None
    teacher_id: str | None = None
    config: dict[str, Any]
    attempt: int
    rerun_of: str | None = None
    created: dt.datetime
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    result_url: str | None = None
    losses: list[LossPointPublic] | None = None
    notice: str | None = Field(default=None, description="a warning for the user, e.g. that no worker runs")


class JobsPublic(BaseModel):
    data: list[JobPublic]
    count: int


class ShareCreate(BaseModel):
    """Options of a new share link: ``expires_in_hours`` unset means it never expires (until revoked)."""

    model_config = ConfigDict(extra="forbid")
    expires_in_hours: float | None = Field(default=None, gt=0, le=24 * 3650,
                                           description="hours until the link stops working; omit for never")


class SharePublic(BaseModel):
    """A share link without its token (the token is shown once, at creation)."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    job_id: str
    created: dt.datetime
    expires: dt.datetime | None = None
    revoked: bool
    last_used: dt.datetime | None = None


class ShareCreated(SharePublic):
    """A new share link: ``token`` is shown only here; ``url`` is the read-only results page."""

    token: str
    url: str


class SharesPublic(BaseModel):
    data: list[SharePublic]
    count: int


class ArtifactPublic(BaseModel):
    """One downloadable file of a result."""

    name: str
    size: int
    media_type: str


class ArtifactsPublic(BaseModel):
    data: list[ArtifactPublic]
    count: int


class HealthPublic(BaseModel):
    """Liveness of the web process and what it can reach."""

    status: Literal["ok", "degraded"]
    version: str
    database: bool
    redis: bool
    workers: int


class SessionPublic(BaseModel):
    """What this client may do."""

    owner: bool
    token_required: bool
