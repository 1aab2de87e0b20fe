"""Request and response bodies of the API (Pydantic); one ``Public`` model per resource."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from awd_studio.jobstate.db import SHARE_LABEL_MAX
from awd_studio.models.data.examples import MAX_GALAXY_DENSITY, MAX_SMOOTHING_ARCMIN
from awd_studio.models.estimate import CALIBRATION_RANGE
from awd_studio.models.options import ColumnOrName, JobOptions

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
    "JobSummaryPublic",
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
    "ApiIndexPublic",
    "SessionPublic",
    "ExplanationPublic",
    "ExplanationStarted",
    "ExplanationDetail",
    "ExplanationsPublic",
    "MaskEvaluationPublic",
    "PredictionPublic",
    "Problem",
    "API_ERRORS",
    "OWNER_ERRORS",
    "DATABASE_BUSY",
    "NO_QUERY_ERROR",
]

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class Problem(BaseModel):
    """Error body: ``detail`` says what went wrong and what to do instead."""

    detail: str


class UploadProblem(Problem):
    """An upload's refusal: ``detail``, and the upload options that would let the file through."""

    remedies: list[str] = Field([], description="upload fields that would let this file through when set to true "
                                "(drop_incomplete: leave out the rows with missing values; pad_ends: fill the end of "
                                "each trace that ended early with zeros; pad_ends+drop_incomplete: both fields "
                                "together, the ended traces filled and the other rows with missing values left out); "
                                "the upload page shows a button for each")


#: Errors every ``/api`` route may answer, for the OpenAPI document: its 422 is a :class:`Problem` (one sentence),
#: not FastAPI's list of validation errors, which generated clients would expect and fail to parse.
API_ERRORS = {422: {"model": Problem, "description": "a parameter or body field is wrong: which, and why"},
              429: {"model": Problem, "description": "too many requests from this address; retry after a moment"}}

#: Errors of the owner's routes: no token (401) or a wrong one (403).
OWNER_ERRORS = {401: {"model": Problem, "description": "no owner token: open the link `awd serve` printed"},
                403: {"model": Problem, "description": "the token is not the owner's"}}

#: The answer of a route that uses the database while it stays locked, overloaded or unreachable (the app's handler
#: of SQLAlchemy's OperationalError and pool timeout): declared so that /docs shows it and its header.
DATABASE_BUSY = {503: {"model": Problem,
                       "description": "the database is locked, overloaded or unreachable for the moment: retry "
                                      "after the seconds of the Retry-After header",
                       "headers": {"Retry-After": {"description": "seconds to wait before retrying",
                                                   "schema": {"type": "integer"}}}}}

#: The 422 of a route that takes no parameters (``strict_query.refuse_unknown_query``): a query parameter in its URL
#: is refused by name rather than ignored.
NO_QUERY_ERROR = {422: {"model": Problem, "description": "the URL holds a query parameter, and this route takes "
                                                         "none (refused by name, never ignored)"}}


class DatasetPublic(BaseModel):
    """A stored dataset and its preview summary."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    source: str
    original_filename: str | None = None
    kind: str
    shape: list[int]
    n: int = Field(description="samples of the file (its training split when it has a fixed test split)")
    n_test: int | None = Field(default=None, description="samples of the file's fixed test split; null when it has "
                               "none (each job then holds out test_fraction of the n samples); summary.n_test is "
                               "the same")
    sha256: str = Field(description="identifies the content: the uploaded (or example's) file's SHA-256 (for an "
                                    ".npy and its y, of the two files' digests); for data read with tile, "
                                    "drop_incomplete or pad_ends, the SHA-256 of the data read "
                                    "(models.data.content_sha256), which does not depend on the name")
    size_bytes: int
    summary: dict[str, Any] = Field(description="the preview: shape, n, n_test (as above), targets' names and "
                                    "statistics, a few samples (models.data.summarize)")
    created: dt.datetime
    note: str | None = Field(default=None, description="e.g. that the same content was stored before, and under "
                                                       "which name: that dataset keeps its name, and a name this "
                                                       "upload asked for is not kept")


    @model_validator(mode="after")
    def _one_test_count(self):
        """One meaning of ``n_test`` in both places: null without a fixed test split (the summary, made by
        ``models.data``, counts 0 there; a row may hold 0 too)."""
        self.n_test = self.n_test or None
        if "n_test" in self.summary:  # a copy: the summary may be a database row's, which must not change
            self.summary = {**self.summary, "n_test": self.n_test}
        return self


class DatasetsPublic(BaseModel):
    data: list[DatasetPublic]
    count: int


class ExamplePublic(BaseModel):
    """A built-in example dataset (``models.data.examples.EXAMPLE_INFO``)."""

    name: str
    label: str = Field(description="its name in a list of the examples")
    kind: str
    description: str


class ExamplesPublic(BaseModel):
    data: list[ExamplePublic]
    count: int


class ExampleCreate(BaseModel):
    """Options when turning an example into a dataset."""

    # /docs shows this body (Swagger's own filled in every field: 20 samples named "string")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})
    n: int | None = Field(default=None, ge=20, le=200_000, description="number of samples (default: the example's own)")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    name: str | None = Field(default=None, max_length=200)
    galaxy_density: float | None = Field(default=None, gt=0, le=MAX_GALAXY_DENSITY,
                                         description="lensing only: source galaxies per arcmin² for shape noise "
                                                     "(e.g. 30); default noiseless maps")
    smoothing_arcmin: float = Field(default=0.0, ge=0, le=MAX_SMOOTHING_ARCMIN,
                                    description="lensing only: SD of a Gaussian smoothing after the noise, in arcmin "
                                                "(default 0)")


class TeacherPublic(BaseModel):
    """A built-in architecture (``builtin=True``, id = architecture) or uploaded weights."""

    id: str
    name: str
    arch: str = Field(description="a built-in architecture (mlp, lstm, cnn, resnet18): for uploaded weights the one "
                      "the upload's arch field gave, or, without it, the one a .safetensors file saved by AWD Studio "
                      "names in its metadata (read at upload, as a job loads it); \"exported program\" for a .pt2, "
                      "which carries its own network")
    builtin: bool
    description: str | None = None
    input_shape: list[int] | None = None
    n_outputs: int | None = None
    n_params: int | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    created: dt.datetime | None = None
    note: str | None = Field(default=None, description="e.g. that the same weights were uploaded before")
    warning: str | None = Field(default=None, description="an upload for a dataset whose predictions on a sample "
                                "of it sit at another scale than its targets (the weights are kept)")


class TeachersPublic(BaseModel):
    data: list[TeacherPublic]
    count: int


def grid_text_form(field_schema: dict, name: str) -> None:
    """Declare, in the JSON Schema of a grid option (``lambdas`` or ``gammas``), the text form the API takes beside
    the list of numbers: the CLI's ``"0.001,0.005"`` (:func:`models.options.grid_from_text`; review 14 asked for it).

    Examples
    --------
    >>> field = {"anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "null"}]}
    >>> grid_text_form(field, "lambdas")
    >>> [branch["type"] for branch in field["anyOf"]]
    ['array', 'string', 'null']
    """
    text = {"type": "string", "examples": ["0.001,0.005"],
            "description": f"{name} as the CLI writes them: numbers separated by commas or semicolons"}
    branches = field_schema.get("anyOf", [])
    if not any(branch.get("type") == "string" for branch in branches):
        field_schema["anyOf"] = [*[b for b in branches if b.get("type") != "null"], text,
                                 *[b for b in branches if b.get("type") == "null"]]


def _job_schema(schema: dict) -> None:
    """The JSON Schema of :class:`JobCreate` as /docs shows it: the body to start from, and the grids' text form."""
    schema["examples"] = [{"dataset_id": "the id POST /api/datasets or POST /api/examples/{name} answered"}]
    for name in ("lambdas", "gammas"):
        grid_text_form(schema["properties"][name], name)


class JobCreate(JobOptions):
    """A distillation job: a dataset, a teacher and the job's options (their defaults, bounds and choices are in
    this schema; `GET /api/options` gives the same with a sentence on each).

    `teacher` is an architecture name, `"auto"` (time series: the LSTM and the MLP are both trained and the one with
    the lower validation loss is kept; maps: the CNN) or the id of an uploaded teacher.
    """

    # /docs shows this body: the defaults, which is what to start from (Swagger's own filled in every option with
    # a placeholder, "device": "string" among them, and was refused); the grids' text form is declared
    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda schema, _cls: _job_schema(schema))
    dataset_id: str = Field(max_length=64, description="the dataset to distil on")
    teacher: str = Field(default="auto", max_length=64,
                         description="auto (series: LSTM and MLP trained, the better kept; maps: CNN), mlp, "
                                     "lstm, cnn, resnet18, or the id of an uploaded teacher")
    target: ColumnOrName = Field(default=0, description="the target column to predict: its number from 0, or its name "
                                                    "(summary.target_names of GET /api/datasets/{id}, e.g. "
                                                    "sigma_8)")
    rerun_of: str | None = Field(default=None, max_length=64,
                                 description="the id of the job whose settings this one started from (the configure "
                                             "page's “Change settings and run again” sends it); the job's page links "
                                             "to it. Not an option of the run: it changes nothing it computes")


#: How far the calibration may scale the cost model, as the estimate's fields say it: "[0.25, 4]".
_CALIBRATION_BOUNDS = "[{:g}, {:g}]".format(*CALIBRATION_RANGE)


class JobEstimate(BaseModel):
    """The estimated run time of a job on this server's CPU, against the job time limit."""

    seconds: float = Field(description="the estimate: the sum of ``stages``, the cost model's stages each scaled by "
                           "its factor in ``stage_factors``")
    model_seconds: float = Field(description="the cost model's seconds (constants measured on the lab's machines)")
    calibration_factor: float = Field(1.0, description="``seconds`` over ``model_seconds``: each stage's cost is "
                                      "scaled by ``stage_factors``; 1 until there are enough finished jobs, and "
                                      f"within {_CALIBRATION_BOUNDS} as they are")
    stage_factors: dict[str, float] = Field(default_factory=dict, description="per stage, the median of measured "
                                            "over estimated seconds of that part of this server's latest succeeded "
                                            "jobs on data of the same kind (the whole job's median where a part "
                                            "was not recorded; 1 until there are enough jobs), kept within "
                                            f"{_CALIBRATION_BOUNDS} (models.estimate.CALIBRATION_RANGE)")
    calibration_jobs: int = Field(0, description="how many finished jobs the factor comes from (0: none yet)")
    limit_seconds: float
    grid_points: int
    epochs: int
    within_limit: bool
    threads: int = 1  # CPU threads one job uses on this server (models.cores.job_threads)
    stages: dict[str, float] = Field(default_factory=dict, description="``seconds`` split by stage (teacher, "
                                     "distill, select, students), calibrated; the job's progress bar follows it")
    n_train: int | None = Field(None, description="training samples the job will have (its split of the data)")
    n_test: int | None = Field(None, description="test samples the job will score on")
    few_samples: str | None = Field(None, description="a caution when the split leaves few samples for the scores "
                                    "(models.pipeline.trust.few_samples_words), else null")
    busy_machine: str | None = Field(None, description="a caution when the machine of this server's own workers "
                                     "(awd serve) is busy with other work, which slows a job beyond the estimate "
                                     "(models.cores.busy_machine_words), else null")
    queued: int = Field(0, description="jobs queued now: a job submitted now starts after them (and after the "
                        "running ones), so it finishes later than ``seconds`` from now")
    running: int = Field(0, description="jobs running now")


class LossPointPublic(BaseModel):
    """Losses of one epoch of one chunk of the grid (``chunk`` is 0 when the grid runs in one task); chunk -1
    holds the teacher's training curve (``teacher_train``, ``teacher_val``: MSE on standardised targets)."""

    chunk: int
    epoch: int
    values: dict[str, float | None]


class JobSummaryPublic(BaseModel):
    """What a finished job found, in one line: the selected AWD student's test score and the teacher's."""

    metric: str = Field(description="r2 or rmse: the metric of the result's verdict")
    awd_test: float | None = Field(default=None, description="the selected AWD student's test score (metric)")
    delivered_test: float | None = Field(default=None, description="the test score of the model the result "
                                                                   "recommends (the initial wavelet's student when "
                                                                   "cross-validation kept it, else AWD's)")
    initial: str | None = Field(default=None, description="the initial wavelet's name")
    teacher_test: float | None = Field(default=None, description="the teacher's test score (metric)")
    awd_test_r2: float | None = Field(default=None, description="awd_test as test R² (the results page's "
                                                                "headline, whatever the metric)")
    delivered_test_r2: float | None = Field(default=None, description="delivered_test as test R²")
    teacher_test_r2: float | None = Field(default=None, description="teacher_test as test R²")
    teacher: str | None = Field(default=None, description="the teacher's architecture")
    choice: str | None = Field(default=None, description="awd or initial: which wavelet cross-validation chose")


class JobPublic(BaseModel):
    """The state of a job; ``losses`` only in ``GET /api/jobs/{id}``."""

    id: str
    state: JobState
    stage: str | None = None
    message: str | None = None
    fraction: float
    eta_seconds: float | None = Field(None, description=(
        "A running job's seconds left: each stage's expected seconds at its pace so far, the stage running now at "
        "its own; null while its worker sends no word, and for a job not running"))
    error: str | None = None
    dataset_id: str | None = None
    teacher_id: str | None = None
    config: dict[str, Any]
    attempt: int
    rerun_of: str | None = Field(default=None, description="the job this one was made from: by POST "
                                 "/api/jobs/{id}/rerun, or by a form filled from it (it may have been deleted since)")
    created: dt.datetime
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    result_url: str | None = None
    losses: list[LossPointPublic] | None = None
    notice: str | None = Field(default=None, description="a warning for the user, e.g. that no worker runs")
    dataset_name: str | None = Field(default=None, description="the dataset's name (None once it was deleted)")
    teacher_name: str | None = Field(default=None, description="architecture, or 'uploaded: <name> (<arch>)'")
    target_name: str | None = Field(default=None, description="the target column the job predicts, when its "
                                    "dataset has several (None for one target, or once the dataset was deleted)")
    grid: list[int] | None = Field(default=None, description="[number of λ values, number of γ values]")
    summary: JobSummaryPublic | None = Field(default=None, description="the result in one line (succeeded jobs)")
    stage_seconds: dict[str, float] | None = Field(
        default=None, description="seconds the current attempt spent in each stage so far, in the order they ran "
        "(``starting``, ``data``, ``teacher``, ``distill``, ``select``, ``students``, ``scattering``, ``done``: the "
        "names of ``stage``; a stage that came back adds up), the running one's until now; with ``started`` and "
        "``finished``, the whole run's wall time. Null for a queued job and for jobs run before it was kept")
    stage_expected: dict[str, float] | None = Field(
        default=None, description="seconds each stage of the current attempt was expected to take (``teacher``, "
        "``distill``, ``select``, ``students``): the estimate calibrated to this server that its worker sized the "
        "progress bar with, and ``eta_seconds`` follows each stage's pace against. Null for a queued job, until "
        "the worker wrote it, and for jobs run before it was kept")
    resolved_config: dict[str, Any] | None = Field(
        default=None, description="``GET /api/jobs/{id}`` of a succeeded job: every option as the run resolved it "
        "(the grid preset's λ, γ and epochs where ``config`` has null, what ``auto`` chose), the bundle's "
        "``provenance.config`` without file paths, kept on the job so that reading it needs no bundle; null "
        "otherwise, and for jobs that succeeded before it was kept (read ``provenance.config`` of ``GET "
        "/api/results/{id}`` then)")
    queued_ahead: int | None = Field(default=None, description="a queued job: the queued jobs created before it, "
                                     "which the workers take first (None for a job not queued)")
    running: int | None = Field(default=None, description="a queued job: the jobs running now")
    running_left_seconds: float | None = Field(
        default=None, description="a queued job: the least time left of the jobs running now (the first worker "
        "free), in seconds, when one of them has an estimate (``eta_seconds``); null otherwise")


class JobsPublic(BaseModel):
    data: list[JobPublic]
    count: int


class ShareCreate(BaseModel):
    """Options of a new share link: ``expires_in_hours`` unset means it never expires (until revoked); ``label``
    names it for the owner's list (blank or unset: unnamed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    expires_in_hours: float | None = Field(default=None, gt=0, le=24 * 3650,
                                           description="hours until the link stops working; omit for never")
    label: str | None = Field(default=None, max_length=SHARE_LABEL_MAX,
                              description="the owner's name for the link, e.g. 'for the referee' (only the "
                                          "owner sees it)")


class SharePublic(BaseModel):
    """A share link without its token (the token is shown once, at creation)."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    job_id: str
    label: str | None = None
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


class ApiIndexPublic(BaseModel):
    """``GET /api``: what this API is, where its documentation is, and its main resources."""

    name: str
    version: str
    docs: str = Field(description="the interactive documentation (Swagger UI)")
    openapi: str = Field(description="the OpenAPI document")
    resources: dict[str, str] = Field(description="the main resources' paths, by name")


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


class ExplanationPublic(BaseModel):
    """One explanation of a result, as its worker left it (``status.json``)."""

    id: str = Field(description="16 hex digits, the same for the same settings on the same result")
    state: Literal["queued", "running", "succeeded", "failed"]
    fraction: float | None = Field(default=None, description="0 to 1 while it runs")
    message: str | None = None
    error: str | None = Field(default=None, description="why it failed")
    request: dict[str, Any] | None = Field(default=None, description="its settings: the body of POST "
                                           "/api/results/{job id}/explain, with the wavelet filled in")
    created: dt.datetime | None = Field(default=None, description="when it was asked for (UTC, ISO 8601, as every "
                                        "other time of the API)")
    updated: dt.datetime | None = Field(default=None, description="when it last changed (UTC, ISO 8601)")


class ExplanationStarted(ExplanationPublic):
    """The answer of ``POST /api/results/{job id}/explain``."""

    cached: bool = Field(description="true: an explanation with these settings existed (200, no new work); false: "
                                     "a worker was asked for it (202)")


class ExplanationDetail(ExplanationPublic):
    """One explanation; once ``succeeded``, its numbers and arrays too."""

    summary: dict[str, Any] | None = Field(default=None, description="summary.json (succeeded only)")
    arrays: dict[str, Any] | None = Field(default=None, description="arrays.npz as lists (succeeded only)")


class ExplanationsPublic(BaseModel):
    """The explanations of a result, newest first, and what the explanation form needs."""

    data: list[ExplanationPublic]
    count: int
    can_start: bool = Field(description="whether this caller may start one (the owner, on a result that kept "
                                        "its explanation inputs; never a share link)")
    n_test: int = Field(description="test examples that can be explained (indices 0 to n_test - 1)")
    has_student: bool = Field(description="whether the AWD student can be explained (time series only)")
    recommended_wavelet: str = Field(description="learned or initial: the wavelet cross-validation kept")
    teacher_test_r2: float | None = Field(default=None, description="the teacher's test R² (None before it was "
                                                                   "recorded)")
    weak_teacher: bool = Field(description="the teacher's test R² is below the trust notes' weak-teacher bound")


class MaskEvaluationPublic(BaseModel):
    """The output of the teacher (or the series student) on a test example under a hand-drawn mask."""

    model: Literal["teacher", "student"]
    prediction: float = Field(description="the output on the full input")
    mean: float = Field(description="the mean output over n_samples inputs perturbed where the mask is off")
    sd: float = Field(description="their standard deviation")
    cartoon_prediction: float = Field(description="the output on the cartoon: the input with the mask applied "
                                                  "(to its pixels or its wavelet coefficients, as drawn)")
    kept_fraction: float = Field(description="share of the mask's entries >= 0.5")
    distortion: float = Field(description="mean squared difference of the perturbed outputs from prediction "
                                          "(squared output units)")
    n_samples: int = Field(description="perturbed inputs drawn")


class PredictionPublic(BaseModel):
    """The JSON answer of ``POST /api/results/{job id}/predict``."""

    model: str = Field(description="the student that predicted")
    target: str | None = Field(default=None, description="the target column's name, if the data named it")
    has_targets: bool = Field(description="whether the file held targets (then scores and y_true)")
    scores: dict[str, dict[str, float | int | None]] = Field(
        description="per split (X, X_test): r2 (null when every target is equal), rmse, n (the rows scored) and, "
                    "when some rows have no target, of (the rows predicted); accuracy and auc for a two-valued "
                    "target; empty without targets")
    note: str | None = Field(default=None, description="why there are no scores (no targets)")
    tiling: str | None = Field(default=None, description="maps larger than the training tiles were cut into tiles; "
                                                        "a map's prediction is the mean of its tiles'; the edge "
                                                        "pixels left out, counted, when a side is not a whole "
                                                        "number of tiles")
    warnings: list[str] = Field(description="inputs unlike the training data, constant targets, a map student "
                                            "answering with its classes' targets, the training file itself")
    ids: list[Any] | None = Field(default=None, description="the file's row identifiers, when it has a column of "
                                                           "them")
    id_name: str | None = Field(default=None, description="that column's name")
    rows: list[int] | None = Field(default=None, description="with drop_incomplete, when rows were left out: each "
                                   "prediction's row in the file (from 0 after the header)")
    dropped_rows: dict[str, Any] | None = Field(default=None, description="the rows left out for missing values: "
                                                "count, the first 20 by line and identifier, and of how many")
    y_pred: list[float]
    y_pred_test: list[float] | None = Field(default=None, description="when the file has a fixed test split")
    y_true: list[float | None] | None = Field(default=None, description="with targets; null for a row whose target "
                                              "cell is blank (drop_incomplete): predicted, not scored")
    y_true_test: list[float | None] | None = None
    unscored_rows: dict[str, Any] | None = Field(default=None, description="the rows predicted but not scored, for "
                                                 "lack of a target: count, the first 20 by line and identifier, "
                                                 "and of how many")
    unscored_rows_test: dict[str, Any] | None = None
    y_pred_rows: list[list[float]] | None = Field(default=None, description="a map student of several target "
                                                  "columns: its whole class row per map, in target_names' order")
    y_pred_rows_test: list[list[float]] | None = None
    y_class: list[float] | None = Field(default=None, description="a two-valued target: the value on each "
                                        "prediction's side of the midpoint")
    y_class_test: list[float] | None = None
    target_names: list[str] | None = Field(default=None, description="the columns of y_pred_rows")
