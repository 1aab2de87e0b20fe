"""``/api/teachers``: built-in architectures and uploaded weights (validated by loading them)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from safetensors import SafetensorError, safe_open

from awd_studio.backend.deps import PathsDep, SessionDep, SettingsDep, is_uuid, require_owner, unknown_dataset_detail
from awd_studio.backend.routes.datasets import check_quota
from awd_studio.backend.schemas import (
    DATABASE_BUSY,
    NO_QUERY_ERROR,
    OWNER_ERRORS,
    Problem,
    TeacherPublic,
    TeachersPublic,
)
from awd_studio.backend.uploads import multipart_openapi, one_at_a_time, receive_upload
from awd_studio.jobstate import crud
from awd_studio.jobstate.db import ACTIVE_STATES, Dataset, Teacher, new_id
from awd_studio.jobstate.storage import TEACHER_SUFFIXES, atomic_move, remove_tree, safe_display_name
from awd_studio.models.data import load_dataset
from awd_studio.models.options import TEACHER_ARCHITECTURES as TEACHERS
from awd_studio.models.teachers import check_teacher_file_isolated, teacher_output_for
from awd_studio.models.teachers.units import sample_rows, scale_words

__all__ = ["router", "BUILTIN_INFO", "SCALE_SAMPLES", "SAVED_CONFIG_KEY", "saved_architecture"]

router = APIRouter(prefix="/teachers", tags=["teachers"], dependencies=[Depends(require_owner)],
                   responses={**OWNER_ERRORS, **DATABASE_BUSY})

BUILTIN_INFO = {
    "mlp": "Fully connected network; quick to train, a good first try for short time series.",
    "lstm": "Recurrent network over the time axis, as in the paper; for time series, auto trains it beside the MLP.",
    "cnn": "Small convolutional network for maps (what auto trains for images).",
    "resnet18": "ResNet-18 adapted to one-channel maps; the strongest and slowest image teacher.",
}

#: Training samples of the dataset an upload runs the teacher on, to compare its predictions' scale with the
#: targets' (fewer for large maps: :func:`models.teachers.units.sample_rows`).
SCALE_SAMPLES = 256

#: The metadata entry of a ``.safetensors`` file :func:`models.teachers.save_teacher` wrote: the teacher's config as
#: JSON, whose ``name`` is its architecture (what a job loads it as, :func:`models.teachers.load_teacher`).
SAVED_CONFIG_KEY = "awd_teacher"


def saved_architecture(path) -> str | None:
    """The built-in architecture a ``.safetensors`` file names in its metadata (AWD Studio's own teachers, saved by
    :func:`models.teachers.save_teacher`), else None: another format, a bare state dict, or a file that is not one.

    Only the file's header is read (safetensors' own parser, no tensor, no code); a name that is not one of the
    built-in architectures is None too (the upload's check then refuses the file).

    Parameters
    ----------
    path : str or Path
        The uploaded file (named by its suffix).

    Returns
    -------
    str or None
        ``"mlp"``, ``"lstm"``, ``"cnn"`` or ``"resnet18"``, or None.
    """
    if not str(path).lower().endswith(".safetensors"):
        return None
    try:
        with safe_open(str(path), framework="numpy") as handle:
            config = json.loads((handle.metadata() or {}).get(SAVED_CONFIG_KEY) or "null")
    except (SafetensorError, OSError, ValueError):  # json.JSONDecodeError is a ValueError
        return None
    name = config.get("name") if isinstance(config, dict) else None
    return name if name in TEACHERS else None


def _dataset_sample(paths, dataset: Dataset):
    """Raw inputs and targets of up to :data:`SCALE_SAMPLES` training samples of a stored dataset, and its
    target names."""
    data = load_dataset(paths.dataset_dir(dataset.id) / dataset.filename)
    rows = sample_rows(data.n, SCALE_SAMPLES, int(data.X[0].size))
    return data.X[rows], data.y[rows], list(data.target_names)


def _uploaded_before(response: Response, existing: Teacher, warning: str | None = None) -> TeacherPublic:
    """The answer for weights stored before: that teacher, status 200, a note saying so, and the scale warning of
    this upload's dataset (None without one)."""
    response.status_code = status.HTTP_200_OK
    public = _teacher_public(existing)
    public.note = (f"these weights were uploaded before (as “{existing.name}” on "
                   f"{existing.created:%Y-%m-%d %H:%M} UTC); that teacher is used again")
    public.warning = warning
    return public


def _parse_shape(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        shape = [int(part) for part in text.replace("x", ",").split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"input_shape: {text!r} is not a shape; pass 'L' or 'H,W'") from None
    if not 1 <= len(shape) <= 2 or min(shape) < 1 or max(shape) > 100_000:
        raise ValueError(f"input_shape: {text!r}; pass 'L' for time series or 'H,W' for maps")
    return shape


def _teacher_public(row: Teacher) -> TeacherPublic:
    """The API's view of an uploaded teacher's row."""
    return TeacherPublic(id=row.id, name=row.name, arch=row.arch_label, builtin=False,
                         input_shape=row.input_shape,
                         n_outputs=row.n_outputs, n_params=row.n_params, sha256=row.sha256,
                         size_bytes=row.size_bytes, created=row.created)


@router.get("", response_model=TeachersPublic, responses=NO_QUERY_ERROR)
def list_teachers(session: SessionDep, paths: PathsDep):
    """Built-in architectures (trained on your data during the job) and uploaded teachers."""

    data = [TeacherPublic(id=name, name=name, arch=name, builtin=True, description=BUILTIN_INFO.get(name))
            for name in TEACHERS]
    data += [_teacher_public(fill_architecture(session, row, paths)) for row in crud.list_teachers(session)]
    return TeachersPublic(data=data, count=len(data))


@router.get("/{teacher_id}", response_model=TeacherPublic, responses={404: {"model": Problem}})
def get_teacher(teacher_id: str, session: SessionDep, paths: PathsDep):
    """One uploaded teacher."""
    return _teacher_public(fill_architecture(session, _stored_teacher(teacher_id, session), paths))


def fill_architecture(session, row: Teacher, paths) -> Teacher:
    """Store the architecture of a ``.safetensors`` teacher uploaded without one before it was read from the file
    (kept as ``"auto"``; read once, here, from the file's metadata: :func:`saved_architecture`)."""
    if row.arch == "auto" and row.filename.endswith(".safetensors"):
        named = saved_architecture(paths.teacher_dir(row.id) / row.filename)
        if named is not None:
            crud.set_teacher_arch(session, teacher=row, arch=named)
    return row


def _stored_teacher(teacher_id: str, session) -> Teacher:
    """The row of an uploaded teacher, or 404."""
    row = session.get(Teacher, teacher_id) if is_uuid(teacher_id) else None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"teacher {teacher_id!r} not found")
    return row


@router.delete("/{teacher_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"model": Problem}, 409: {"model": Problem}})
def delete_teacher(teacher_id: str, session: SessionDep, paths: PathsDep):
    """Delete uploaded teacher weights. The finished jobs that used them keep their results (their explanations
    carry their own copy of the teacher) and name the teacher as deleted; they can no longer be rerun. 409 while
    a queued or running job uses them, and for a built-in architecture (trained during each job, never stored)."""
    if teacher_id in TEACHERS:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{teacher_id} is a built-in architecture: it is trained "
                            "during each job, not stored, so there is nothing to delete")
    row = _stored_teacher(teacher_id, session)
    active = [j.id for j in crud.jobs_of_teacher(session, teacher_id=row.id) if j.state in ACTIVE_STATES]
    if active:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"teacher is used by the active job{'s' if len(active) > 1 else ''} "
                            f"{', '.join(active)}; cancel it or wait for it to finish")
    crud.delete_teacher(session, teacher=row)
    remove_tree(paths.teacher_dir(teacher_id))


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=TeacherPublic,
    responses={404: {"model": Problem, "description": "no dataset with the dataset_id given"},
               413: {"model": Problem}, 415: {"model": Problem}, 422: {"model": Problem}},
    openapi_extra=multipart_openapi({
        "arch": {"type": "string", "enum": ["mlp", "lstm", "cnn", "resnet18"],
                 "description": "the architecture of a .pt/.pth state dict (required there); a .safetensors file "
                                "saved by AWD Studio names its own (read from it when not given), a .pt2 carries "
                                "its own network (ignored)"},
        "dataset_id": {"type": "string"},
        "input_shape": {"type": "string", "description": "'L' or 'H,W' when no dataset_id is given"},
        "n_outputs": {"type": "string", "description": "the outputs the teacher must have; not given: any, and "
                      "with dataset_id one output (the target to explain) or one per target column"},
        "name": {"type": "string", "maxLength": 200},
    }),
)
async def upload_teacher(request: Request, response: Response, session: SessionDep, settings: SettingsDep,
                         paths: PathsDep):
    """Upload trained teacher weights: ``.safetensors``, a weights-only ``.pt``/``.pth`` state dict of a
    built-in architecture (field ``arch``), or a ``.pt2`` exported program.

    The input shape comes from ``dataset_id`` (the data you will distil) or ``input_shape``. The file is
    loaded without unpickling code and run on a sample input; anything else is refused with 422. With
    ``dataset_id`` it also runs on up to 256 of the dataset's training samples: NaN or infinite outputs are
    refused, and predictions at another scale than the targets (a network trained on standardised data) are
    kept with a ``warning``. The same
    weights uploaded again for the same architecture, input shape and outputs return that teacher (200) with a
    ``note``, not a copy.
    """
    check_quota(settings, paths)
    upload = await receive_upload(request, paths=paths, max_bytes=settings.max_upload_bytes,
                                  allowed=TEACHER_SUFFIXES,
                                  text_fields=("arch", "input_shape", "dataset_id", "n_outputs", "name"))
    teacher_id = new_id()
    try:
        # the same weights uploaded in parallel: the first stores them, the others then find that teacher
        async with one_at_a_time(f"teacher:{upload.sha256}"):
            return await _check_and_store(upload, response, session, paths, teacher_id)
    except ValueError as exc:
        remove_tree(paths.teacher_dir(teacher_id))
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    except BaseException:
        session.rollback()
        remove_tree(paths.teacher_dir(teacher_id))
        raise
    finally:
        upload.discard()


async def _check_and_store(upload, response: Response, session, paths, teacher_id: str) -> TeacherPublic:
    """The teacher of received weights: the one stored before with the same weights, architecture, input shape
    and outputs (200, with a note), else the weights checked and stored as ``teacher_id``. ``ValueError`` when
    a field or the file is refused."""
    fields = upload.fields
    arch = fields.get("arch") or None
    if arch is not None and arch not in TEACHERS:
        raise ValueError(f"arch: {arch!r}; pass one of {', '.join(TEACHERS)}")
    if upload.suffix == ".pt2":
        arch = None  # a program carries its own architecture: a form's default radio must not label it
    if arch is None and upload.suffix in (".pt", ".pth"):
        raise ValueError(f"arch: a {upload.suffix} state dict needs its architecture; pass one of "
                         + ", ".join(TEACHERS))
    shape = _parse_shape(fields.get("input_shape"))
    dataset_id = fields.get("dataset_id")
    dataset = None
    if dataset_id:
        dataset = session.get(Dataset, dataset_id) if is_uuid(dataset_id) else None
        if dataset is None:  # a resource that is not there: 404, as POST /api/jobs answers it
            raise HTTPException(status.HTTP_404_NOT_FOUND, unknown_dataset_detail(dataset_id))
        shape = list(dataset.shape)
    if shape is None:
        raise ValueError("input_shape: give dataset_id (the data to distil) or input_shape ('L' or 'H,W')")
    n_outputs = _n_outputs(fields.get("n_outputs"))
    # none given: a .safetensors of AWD Studio's names its own (stored, so that the teacher shows it before any job
    # has loaded it); a .pt2 program carries its own network ("auto": Teacher.arch_label says "exported program")
    stored_arch = arch or saved_architecture(upload.path) or "auto"
    existing = crud.find_teacher(session, sha256=upload.sha256, arch=stored_arch, input_shape=shape,
                                 n_outputs=n_outputs)
    if existing is not None and not dataset_id:
        return _uploaded_before(response, existing)
    X_sample = y_sample = names = None
    if dataset_id:  # the teacher runs on some of the data too: its predictions' scale against the targets'
        X_sample, y_sample, names = await run_in_threadpool(_dataset_sample, paths, dataset)
    n_params, n_outputs, predictions = await run_in_threadpool(
        check_teacher_file_isolated, upload.path, arch=arch, input_shape=shape, n_outputs=n_outputs,
        sample=X_sample)
    warning = None
    if dataset_id:  # one output, or one per target column (the rule a job applies, models.teachers)
        teacher_output_for(n_outputs, int((dataset.summary or {}).get("n_targets") or 1), None, data="dataset")
        warning = scale_words(predictions, y_sample, names, data_name=f"“{dataset.name}”")
    if existing is not None:  # checked against this dataset all the same: the same weights warn again
        return _uploaded_before(response, existing, warning)
    filename = f"weights{upload.suffix}"
    atomic_move(upload.path, paths.teacher_dir(teacher_id) / filename)
    row = crud.create_teacher(session, teacher_id=teacher_id, name=upload.display_name("teacher"),
                              arch=stored_arch, filename=filename,
                              original_filename=safe_display_name(upload.filename, "upload", path=True),
                              input_shape=shape, n_outputs=n_outputs, n_params=n_params,
                              sha256=upload.sha256, size_bytes=upload.size)
    public = _teacher_public(row)
    public.warning = warning
    return public


def _n_outputs(text: str | None) -> int | None:
    """The ``n_outputs`` field as a number of outputs (None when not given: one, or one per target column of the
    dataset, as the file has)."""
    if not text:
        return None
    try:
        n_outputs = int(text)
    except ValueError:
        raise ValueError("n_outputs: pass a positive integer") from None
    if not 1 <= n_outputs <= 1000:
        raise ValueError("n_outputs: pass an integer between 1 and 1000")
    return n_outputs
