"""``/api/results/{key}/explain…``: explanations of one prediction of a result (CartoonX wavelet masks).

``POST /results/{job id}/explain`` starts one (owner only) as a worker task, or returns the cached one with the
same settings; ``GET /results/{key}/explanations`` lists them and ``GET /results/{key}/explanations/{id}``
gives one's progress and, once done, its numbers and arrays. A share token may read explanations but not
start them (403). ``POST /results/{job id}/explain/mask`` returns the teacher's expected output under a
hand-drawn mask, computed on a worker (the web process never loads teacher weights).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import ConfigDict, Field, TypeAdapter

from awd_studio.backend.deps import PathsDep, SessionDep, is_uuid, owner_if_job_id
from awd_studio.backend.routes.results import check_job_key, file_content, result_dir_for_key, run_file_name
from awd_studio.backend.schemas import (
    DATABASE_BUSY,
    ExplanationDetail,
    ExplanationsPublic,
    ExplanationStarted,
    MaskEvaluationPublic,
    Problem,
)
from awd_studio.jobstate import explanations as store
from awd_studio.models.pipeline.explain_inputs import read_explain_meta
from awd_studio.models.pipeline.explain_result import ExplainRequest, MaskRequest, check_drawn_mask, explanation_id
from awd_studio.models.pipeline.trust import WEAK_TEACHER_R2
from awd_studio.models.validation import InputError

__all__ = ["router", "ExplainBody", "MaskBody", "SHARE_READ_ONLY", "MASK_TIMEOUT_SECONDS", "items_bounds_on_each_list"]

router = APIRouter(prefix="/results", tags=["explanations"], responses=DATABASE_BUSY)

_ERRORS = {401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem},
           410: {"model": Problem}, 422: {"model": Problem}}
# the answers' shapes, for the docs only (response_model would also filter them: the routes return them as built)
_STARTED = {200: {"model": ExplanationStarted, "description": "an explanation with these settings exists: it, with "
                                                              "cached true"},
            202: {"model": ExplanationStarted, "description": "a worker was asked for it: follow GET "
                                                              "/api/results/{key}/explanations/{id}"}}
#: The answer to a share link that tries to compute something.
SHARE_READ_ONLY = ("share links are read-only: they can view the explanations the owner made but cannot start "
                   "new ones; ask the result's owner to explain this example")
#: How long the API waits for a worker to evaluate a hand-drawn mask.
MASK_TIMEOUT_SECONDS = 60.0
#: Writes a time as pydantic writes the other resources' (``...Z``).
_TIME = TypeAdapter(dt.datetime)


class ExplainBody(ExplainRequest):
    """Body of ``POST /results/{job id}/explain`` (see :class:`models.pipeline.explain_result.ExplainRequest`);
    without ``wavelet``, the one cross-validation kept (``recommended_wavelet`` of the explanations' list)."""

    wavelet: str | None = Field(None, description="learned, initial or an orthogonal PyWavelets name; by default "
                                                  "the one cross-validation kept")


def items_bounds_on_each_list(field_schema: dict) -> None:
    """Put the length bounds of a field that is one of several list types on each list, as ``minItems`` and
    ``maxItems``.

    pydantic checks ``min_length``/``max_length`` of a union after validation, against the list the value became,
    but cannot place them on the union's branches in the JSON Schema: it writes ``minLength``/``maxLength`` beside
    the ``anyOf``, the string keywords, which say nothing of an array.

    Examples
    --------
    >>> field = {"anyOf": [{"type": "array"}, {"type": "array"}], "minLength": 1, "maxLength": 4096}
    >>> items_bounds_on_each_list(field)
    >>> field
    {'anyOf': [{'type': 'array', 'minItems': 1, 'maxItems': 4096}, {'type': 'array', 'minItems': 1, 'maxItems': 4096}]}
    """
    bounds = {items: field_schema.pop(length) for length, items in (("minLength", "minItems"),
                                                                    ("maxLength", "maxItems"))
              if length in field_schema}
    for branch in field_schema.get("anyOf", []):
        if branch.get("type") == "array":
            branch.update(bounds)


class MaskBody(MaskRequest):
    """Body of ``POST /results/{job id}/explain/mask``."""

    model_config = ConfigDict(json_schema_extra=lambda schema, _cls: items_bounds_on_each_list(
        schema["properties"]["mask"]))


def _owned_result(key: str, request: Request, session, paths) -> tuple[str, Path, dict]:
    """(relative result dir, absolute result dir, explain meta) of the owner's result ``key``, or 4xx."""
    check_job_key(key, session, SHARE_READ_ONLY)
    root = result_dir_for_key(key, request, session, paths)  # owner check, 404/409
    meta = read_explain_meta(root)
    if meta is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this result was written before explanations kept their "
                                                      "inputs (teacher and test split); rerun the job to explain it")
    return root.relative_to(paths.root).as_posix(), root, meta


def _check_example(example: int, meta: dict) -> None:
    n = int(meta.get("n_test", 0))
    if example >= n:
        raise HTTPException(422, f"example: {example} is out of range; pass a test index from 0 to {n - 1}")


def _check_mask(body: MaskBody, meta: dict) -> None:
    """422 for a mask the worker would refuse, from the result's explain inputs alone (no weights, no transform)."""
    try:
        check_drawn_mask(meta, body)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None


def iso_time(seconds) -> str | None:
    """A Unix time of an explanation's ``status.json`` as the API writes every time: UTC, ISO 8601 (None as None).

    Examples
    --------
    >>> iso_time(1765000000.5), iso_time(None)
    ('2025-12-06T05:46:40.500000Z', None)
    """
    if seconds is None:
        return None
    return _TIME.dump_python(dt.datetime.fromtimestamp(float(seconds), dt.timezone.utc), mode="json")


def _public(status_: dict, folder: Path, with_data: bool) -> dict:
    """An explanation's ``status.json`` as the API shows it (:class:`ExplanationPublic`; with its data once
    done)."""
    out = {k: status_.get(k) for k in ("id", "state", "fraction", "message", "error", "request")}
    out.update(created=iso_time(status_.get("created")), updated=iso_time(status_.get("updated")))
    if with_data and status_.get("state") == "succeeded":
        out["summary"] = store.read_summary(folder)
        out["arrays"] = store.read_arrays(folder)
    return out


@router.post("/{key}/explain", status_code=202, responses={**_ERRORS, **_STARTED},
             dependencies=[Depends(owner_if_job_id)])
def start_explanation(key: str, body: ExplainBody, request: Request, response: Response, session: SessionDep,
                      paths: PathsDep):
    """Start explaining test example ``body.example`` (owner only), or return the explanation with the same
    settings (200, no new work) when it exists."""
    relative, root, meta = _owned_result(key, request, session, paths)
    _check_example(body.example, meta)
    if body.model == "student" and meta.get("student") is None:
        raise HTTPException(422, "model: 'student' is available for time series only (the map student counts "
                                 "peaks, which has no gradient to explain); use model='teacher'")
    settings = ExplainRequest.model_validate(
        {**body.model_dump(), "wavelet": body.wavelet or meta.get("recommended_wavelet", "learned")})
    eid = explanation_id(settings)
    folder = paths.explanation_dir(root, eid)
    current = store.read_status(folder)
    if not store.needs_work(current):
        response.status_code = status.HTTP_200_OK
        return {**_public(current, folder, with_data=False), "cached": True}
    new = store.write_status(folder, id=eid, state="queued", fraction=0.0, message="waiting for a worker",
                             error=None, request=settings.model_dump())
    store.send_explanation(relative, eid)
    return {**_public(new, folder, with_data=False), "cached": False}


@router.get("/{key}/explanations", responses={**_ERRORS, 200: {"model": ExplanationsPublic}})
def list_explanations(key: str, request: Request, session: SessionDep, paths: PathsDep):
    """The explanations of a result (job id or share token), newest first, without their arrays; whether this
    caller may start one, the number of test examples, whether the AWD student can be explained (series only),
    the wavelet cross-validation kept (``learned`` or ``initial``), the teacher's test R² (None before it was
    recorded) and whether that is below the trust notes' weak-teacher bound."""
    root = result_dir_for_key(key, request, session, paths)
    data = [_public(s, root, with_data=False) for s in store.list_explanations(root)]
    meta = read_explain_meta(root)
    return {"data": data, "count": len(data), "can_start": is_uuid(key) and meta is not None,
            "n_test": (meta or {}).get("n_test", 0),
            # what the form offers: the student only where it has a gradient (series), and the wavelet that
            # cross-validation kept (results before it was recorded: the learned one)
            "has_student": (meta or {}).get("student") is not None,
            "recommended_wavelet": (meta or {}).get("recommended_wavelet", "learned"),
            "teacher_test_r2": (meta or {}).get("teacher_test_r2"),
            "weak_teacher": _weak((meta or {}).get("teacher_test_r2"))}


def _weak(r2) -> bool:
    """Whether a teacher's test R² is below the trust notes' bound (False when unknown)."""
    return isinstance(r2, int | float) and r2 < WEAK_TEACHER_R2


@router.get("/{key}/explanations/{explanation}", responses={**_ERRORS, 200: {"model": ExplanationDetail}})
def get_explanation(key: str, explanation: str, request: Request, session: SessionDep, paths: PathsDep):
    """One explanation: state and fraction while it runs; with its numbers and arrays once done."""
    root = result_dir_for_key(key, request, session, paths)
    try:
        folder = paths.explanation_dir(root, explanation)
    except FileNotFoundError:
        raise HTTPException(404, f"explanation: {explanation!r} is not an explanation id (16 hex digits); "
                                 "list them with GET /api/results/{key}/explanations") from None
    current = store.read_status(folder)
    if current is None:
        raise HTTPException(404, "explanation: no explanation with this id on this result; list them with "
                                 "GET /api/results/{key}/explanations")
    return _public(current, folder, with_data=True)


#: The files of a finished explanation that can be downloaded, and their media types.
EXPLANATION_FILES = {"explanation.png": "image/png", "explanation.svg": "image/svg+xml",
                     "arrays.npz": "application/octet-stream", "summary.json": "application/json"}


@router.get("/{key}/explanations/{explanation}/files/{name}", response_class=FileResponse, responses={
    200: {"content": file_content(EXPLANATION_FILES.values()),
          "description": "the file, as the media type of its name"}, **_ERRORS})
def get_explanation_file(key: str, explanation: str, name: str, request: Request, session: SessionDep,
                         paths: PathsDep):
    """A finished explanation's ``explanation.png`` or ``.svg`` (input | cartoon | mask per scale | pixel-mask
    baseline), ``arrays.npz`` (``np.load(..., allow_pickle=False)``) or ``summary.json``, named after its run
    (``awd-<run>-explanation-<8 hex of its id>-`` and ``figure.png``, ``figure.svg``, ``arrays.npz`` or
    ``summary.json``)."""
    root = result_dir_for_key(key, request, session, paths)  # first: a stranger learns nothing else
    if name not in EXPLANATION_FILES:
        raise HTTPException(404, f"explanation file: {name!r} is not one of {', '.join(EXPLANATION_FILES)}")
    try:
        folder = paths.explanation_dir(root, explanation)
    except FileNotFoundError:
        raise HTTPException(404, f"explanation: {explanation!r} is not an explanation id (16 hex digits)") from None
    path = folder / name
    if not path.is_file():
        raise HTTPException(404, f"explanation file: {name!r} is not there (the explanation is unfinished, failed, "
                                 "or was made before explanations kept their files)")
    return FileResponse(path, media_type=EXPLANATION_FILES[name],
                        # "explanation" once in the name (review 23): ...-explanation-<id>-figure.png
                        filename=run_file_name(key, f"explanation-{explanation[:8]}-"
                                                    f"{name.replace('explanation.', 'figure.')}"))


@router.post("/{key}/explain/mask", dependencies=[Depends(owner_if_job_id)], responses={
    **_ERRORS, 200: {"model": MaskEvaluationPublic},
    422: {"model": Problem, "description": "the body is refused, at once and before any worker: the example is out "
                                           "of range, the mask has another shape than the example's (pixel) or the "
                                           "wavelet's coefficients, values that are not finite numbers in [0, 1], "
                                           "or the student is asked of a result of maps"},
    503: {"model": Problem, "description": "no worker evaluated the mask in time (retry in a minute), or the "
                                           "database is busy (retry after the seconds of Retry-After)",
          "headers": {"Retry-After": {"description": "seconds to wait before retrying",
                                      "schema": {"type": "integer"}}}}})
def evaluate_mask(key: str, body: MaskBody, request: Request, session: SessionDep, paths: PathsDep):
    """The teacher's expected output on a test example under a hand-drawn mask (owner only; on a worker).

    A mask that cannot be evaluated (another shape than the example's or the wavelet's coefficients, values that
    are not finite numbers in [0, 1], the student of a result of maps) is refused with 422 at once, before a
    worker is asked; the worker checks again."""
    relative, _root, meta = _owned_result(key, request, session, paths)
    _check_example(body.example, meta)
    _check_mask(body, meta)
    try:
        answer = store.evaluate_mask_remote(relative, body.model_dump(), MASK_TIMEOUT_SECONDS)
    except TimeoutError:
        raise HTTPException(503, f"no worker evaluated the mask within {MASK_TIMEOUT_SECONDS:g} s (they may be busy "
                                 "with a distillation); try again in a minute",
                            headers={"Retry-After": str(int(MASK_TIMEOUT_SECONDS))}) from None  # review 33A
    if not isinstance(answer, dict):
        raise HTTPException(503, "the worker could not evaluate the mask; see the worker's log")
    if "error" in answer:
        raise HTTPException(422, answer["error"])
    return answer
