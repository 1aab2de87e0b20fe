"""``/api/datasets``: streamed upload with validation, list, get, delete."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from awd_studio.backend.deps import DatasetDep, PathsDep, SessionDep, SettingsDep, require_owner
from awd_studio.backend.schemas import (
    DATABASE_BUSY,
    OWNER_ERRORS,
    DatasetPublic,
    DatasetsPublic,
    Problem,
    UploadProblem,
)
from awd_studio.backend.uploads import (
    UploadRefusal,
    multipart_openapi,
    one_at_a_time,
    reading_data_file,
    receive_upload,
    upload_problem,
)
from awd_studio.jobstate import crud
from awd_studio.jobstate.db import ACTIVE_STATES, new_id
from awd_studio.jobstate.storage import DATASET_SUFFIXES, atomic_move, remove_tree, safe_display_name, usage_bytes
from awd_studio.models.data import content_sha256, load_dataset, save_npz, summarize
from awd_studio.models.data.dataset import SOURCE_FILE_META, npz_sha256
from awd_studio.models.data.readers.npy import NpyWithoutTargets, npy_targets_path
from awd_studio.models.data.tiles import MIN_TILE, tile_dataset
from awd_studio.models.validation import check_targets_vary

__all__ = ["router", "read_dataset_file", "check_quota", "store_dataset", "reused_dataset"]

router = APIRouter(prefix="/datasets", tags=["datasets"], dependencies=[Depends(require_owner)],
                   responses={**OWNER_ERRORS, **DATABASE_BUSY})

# what each refusal means, in the OpenAPI docs (review 21: "Unprocessable Entity" said nothing of which checks)
_ERRORS = {413: {"model": Problem, "description": "the file is larger than the upload limit (GET /api/options: "
                                                  "max_upload_bytes)"},
           415: {"model": Problem, "description": "not a format the readers take (npz, npy, csv, FITS, HDF5, MAT), "
                                                  "e.g. a pickle (.pkl), which is never read"},
           422: {"model": UploadProblem,
                 "description": "the file was read but its content is refused: the detail names the field and the fix "
                                "(wrong shape, NaN or infinite values, targets of another length, a truncated file, "
                                "too few samples, an object array stored as a pickle inside an npy or npz, which is "
                                "never unpickled, or more decoded values than the server allows: GET /api/options, "
                                "max_decoded_bytes); remedies: the upload fields that would let it through (rows "
                                "with missing values: drop_incomplete, pad_ends, or pad_ends+drop_incomplete, both "
                                "fields set together)"},
           507: {"model": Problem, "description": "the server's disk has no room for the dataset"}}


def check_quota(settings, paths, incoming: int = 0) -> None:
    """HTTP 507 when the data directory would exceed ``AWD_MAX_STORAGE_MB``."""
    limit = settings.max_storage_bytes
    if limit is not None and usage_bytes(paths.root) + incoming > limit:
        raise HTTPException(
            status.HTTP_507_INSUFFICIENT_STORAGE,
            f"storage quota of AWD_MAX_STORAGE_MB={settings.max_storage_mb:g} MB reached; delete old "
            "datasets or jobs first",
        )


def read_dataset_file(path, *, max_bytes: int, name: str, tile: int | None = None, drop_incomplete: bool = False,
                      pad_ends: bool = False):
    """Read and validate a data file with ``models.data``, cut into ``tile``-pixel tiles when given (maps; whole
    maps held out for the test split, ``models.data.tiles``); ``drop_incomplete``: a delimited text file's rows
    with a cell that is not a number are left out instead of refused; ``pad_ends``: its traces that ended early
    are filled with zeros after their last value; both: the ended traces filled and the rows that still have a
    missing value left out. Any failure becomes ``ValueError``.

    Returns
    -------
    tuple
        ``(dataset, summary)`` where ``summary`` is ``models.data.summarize(dataset)``.
    """
    with reading_data_file():
        if tile is None:
            dataset = load_dataset(path, max_bytes=max_bytes, name=name, drop_incomplete=drop_incomplete,
                                   pad_ends=pad_ends)
        else:
            dataset = tile_dataset(load_dataset(path, max_bytes=max_bytes, name=name, min_samples=1), tile)
        check_targets_vary(dataset.y)  # a dataset is uploaded to distil on: constant targets teach nothing
        return dataset, summarize(dataset)


def _flag(upload, field: str) -> bool:
    """An upload's yes/no text field (``true``, ``1``, ``yes`` or ``on``; absent or blank: no)."""
    text = (upload.fields.get(field) or "").strip().lower()
    if text in ("", "false", "0", "no", "off"):
        return False
    if text in ("true", "1", "yes", "on"):
        return True
    raise ValueError(f"{field}: pass true or false, got {text[:20]!r}")


def _tile_size(upload) -> int | None:
    """The upload's ``tile`` field as pixels (None when absent or blank)."""
    text = (upload.fields.get("tile") or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"tile: must be a whole number of pixels, got {text[:20]!r}; e.g. 64") from None


def reused_dataset(response, existing, said: str, asked: str | None = None) -> DatasetPublic:
    """The answer for content stored before: that dataset, status 200, and a note starting with ``said``.

    The dataset keeps the name it was stored under; the note names it and when it was stored and, when the request
    asked for another name (``asked``), says that this name is not kept: one dataset, not a copy per name.
    """
    response.status_code = status.HTTP_200_OK
    public = DatasetPublic.model_validate(existing)
    public.note = f"{said} (as “{existing.name}” on {existing.created:%Y-%m-%d %H:%M} UTC); that dataset is used again"
    if asked and asked != existing.name:
        public.note += f" under that name (“{asked}” is not kept)"
    return public


def store_dataset(session, paths, *, temp_path, suffix, dataset, summary, name, source, original_filename,
                  sha256, size_bytes):
    """Move a validated file under ``datasets/<id>/`` and commit its row (removing the file on failure)."""
    dataset_id = new_id()
    filename = f"data{suffix}"
    atomic_move(temp_path, paths.dataset_dir(dataset_id) / filename)
    try:
        return crud.create_dataset(
            session, dataset_id=dataset_id, name=name, source=source, filename=filename,
            original_filename=original_filename, kind=dataset.kind, shape=list(dataset.sample_shape),
            n=dataset.n, n_test=dataset.n_test or None, sha256=sha256, size_bytes=size_bytes, summary=summary)
    except BaseException:
        session.rollback()
        remove_tree(paths.dataset_dir(dataset_id))
        raise


def _pair_npy_targets(upload) -> None:
    """Put the ``y`` file of an ``.npy`` upload beside X where the reader looks for it (:func:`_paired_name`)."""
    targets = upload.files.get("y")
    if targets is None:
        return
    if upload.suffix != ".npy" or targets.suffix != ".npy":
        raise ValueError("y: a separate targets file goes with an .npy upload of X only; put y inside the "
                         f"{upload.suffix} file instead")
    targets.path.rename(upload.path.with_name(_paired_name(upload)))


def _paired_name(upload) -> str:
    """The name the targets of an ``.npy`` upload are read under (beside X): ``data_y.npy`` for ``data.npy`` and
    for ``data_X.npy`` (it was ``data_X_y.npy`` there, which the reader never looked for)."""
    return npy_targets_path(upload.path).name


def _in_the_users_words(message: str, upload) -> str:
    """An error about the targets file read as ``<stem>_y.npy`` names the file the user sent instead."""
    targets = upload.files.get("y")
    if targets is None:
        return message
    return message.replace(repr(_paired_name(upload)), repr(targets.filename))


def _as_npz(dataset, paths) -> tuple:
    """Save a dataset read from several files, or read anew, as one ``.npz`` (path, size) under ``tmp``: the one
    write of its bytes, which :func:`store_dataset` then moves into place. Nothing is left on failure."""
    path = paths.temp_file(".npz")
    try:
        save_npz(dataset, path)
        return path, path.stat().st_size
    except BaseException:
        path.unlink(missing_ok=True)  # the name reserved above (save_npz removes its own partial file)
        raise


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DatasetPublic,
             responses={**_ERRORS, 200: {"model": DatasetPublic,
                                         "description": "the same content was stored before (the same file, or "
                                                        "the same data read with the same tile, drop_incomplete "
                                                        "or pad_ends, whatever the name): that dataset, under "
                                                        "the name it was stored with, and a note saying so"}},
             openapi_extra=multipart_openapi({"name": {"type": "string", "maxLength": 200},
                                              "tile": {"type": "integer", "minimum": MIN_TILE,
                                                       "description": "maps: cut each into tiles of this many "
                                                                      "pixels a side; whole maps are held out "
                                                                      "for the test split"},
                                              "drop_incomplete": {"type": "boolean", "default": False,
                                                                  "description": "delimited text: leave out the "
                                                                                 "rows with a cell that is not a "
                                                                                 "number (named in the dataset's "
                                                                                 "summary) instead of refusing; "
                                                                                 "with pad_ends, only the rows "
                                                                                 "that still have one once the "
                                                                                 "ended traces are filled"},
                                              "pad_ends": {"type": "boolean", "default": False,
                                                           "description": "delimited text: fill each trace's "
                                                                          "missing values after its last value "
                                                                          "with zeros (traces that ended early; "
                                                                          "a gap inside a trace is refused, or, "
                                                                          "with drop_incomplete, its row left "
                                                                          "out: the summary says both)"},
                                              "y": {"type": "string", "format": "binary",
                                                    "description": "targets of an .npy X (another .npy)"}}))
async def upload_dataset(request: Request, response: Response, session: SessionDep, settings: SettingsDep,
                         paths: PathsDep):
    """Upload a data file (npz, npy, csv, FITS, HDF5, MAT) in the multipart field ``file``; an ``.npy`` of
    X takes its targets as a second ``.npy`` in the field ``y``. Maps with a ``tile`` field (pixels) are cut into
    square tiles, each with its map's targets, and whole maps are held out for the test split.

    The body is streamed to disk (413 beyond ``AWD_MAX_UPLOAD_MB``), read by ``models.data`` (422 with
    the field and the fix when invalid, naming the user's file), checksummed and stored; nothing is kept on
    failure. Content stored before returns that dataset (200) with a ``note``, under the name it was stored with:
    the ``name`` of this upload is not kept, and the note says so.
    """
    check_quota(settings, paths)
    try:
        upload = await receive_upload(request, paths=paths, max_bytes=settings.max_upload_bytes,
                                      allowed=DATASET_SUFFIXES, extra_file_fields=("y",),
                                      text_fields=("name", "tile", "drop_incomplete", "pad_ends"))
    except UploadRefusal as exc:  # an empty file, an unknown field: no remedy, but the key all the same
        return upload_problem(exc.detail)
    try:
        check_quota(settings, paths, 0)
        # the same content uploaded in parallel: the first stores it, the others then find it (one dataset)
        async with one_at_a_time(f"dataset:{upload.sha256}"):
            return await _read_and_store(upload, response, session, settings, paths)
    except ValueError as exc:
        detail = _in_the_users_words(str(exc), upload)
        if isinstance(exc, NpyWithoutTargets):  # the reader's fix, completed with how this API takes the targets
            detail += ("; or send the targets with it as the multipart field y (curl -F file=@X.npy -F y=@y.npy; in "
                       "the browser: drop both files together)")
        return upload_problem(detail, getattr(exc, "remedies", ()))
    finally:
        upload.discard()


async def _read_and_store(upload, response, session, settings, paths) -> DatasetPublic:
    """The dataset of a received upload: the one stored before with the same content (200, with a note), else the
    upload read, validated and stored. ``ValueError`` when the file or a field is refused.

    A file stored as it came is identified by its bytes. A file read with ``tile``, ``drop_incomplete`` or
    ``pad_ends`` is stored as the dataset read (one ``.npz``, whose bytes hold the name) and identified by that
    data (:func:`models.data.content_sha256`): the same file under another name is the dataset stored before.
    Where ``drop_incomplete`` or ``pad_ends`` changed nothing, the file is stored as it came, and found by its bytes.
    """
    tile, drop, pad = _tile_size(upload), _flag(upload, "drop_incomplete"), _flag(upload, "pad_ends")
    name = upload.display_name("dataset")
    existing = (crud.find_dataset_by_hash(session, sha256=upload.sha256) if tile is None and not drop and not pad
                else None)
    if existing is not None:
        return reused_dataset(response, existing, "this file was uploaded before", asked=name)
    _pair_npy_targets(upload)
    dataset, summary = await run_in_threadpool(read_dataset_file, upload.path,
                                               max_bytes=settings.max_decoded_bytes, name=name, tile=tile,
                                               drop_incomplete=drop, pad_ends=pad)
    # tiles, or rows left out or filled: what is stored is the dataset read, and its content identifies it
    read_anew = tile is not None or bool(dataset.meta.get("dropped_rows") or dataset.meta.get("padded_rows"))
    said = (f"these {tile} px tiles were made before" if tile else "these rows were uploaded before" if read_anew
            else "this file was uploaded before")
    sha256 = await run_in_threadpool(content_sha256, dataset) if read_anew else upload.sha256
    # drop_incomplete or pad_ends that changed nothing (or a format that ignores them) skipped the look-up above
    if (read_anew or drop or pad) and (existing := crud.find_dataset_by_hash(session, sha256=sha256)) is not None:
        return reused_dataset(response, existing, said, asked=dataset.name)
    stored_path, suffix, size = upload.path, upload.suffix, upload.size
    try:
        if len(upload.files) > 1 or read_anew:  # X and y in two files too: stored as one .npz
            if read_anew and (existing := await _stored_by_an_earlier_release(session, dataset)) is not None:
                return reused_dataset(response, existing, said, asked=dataset.name)
            # the stored copy names the file sent, so that a result records that file's SHA-256, not the copy's
            # (review 44A: awd predict on the uploaded file could not tell it was the file the result came from)
            dataset.meta[SOURCE_FILE_META] = {"name": safe_display_name(upload.filename, "upload", path=True),
                                              "sha256": upload.sha256}
            stored_path, size = await run_in_threadpool(_as_npz, dataset, paths)
            suffix = ".npz"
        return store_dataset(session, paths, temp_path=stored_path, suffix=suffix, dataset=dataset,
                             summary=summary, name=dataset.name if tile is not None else name, source="upload",
                             original_filename=safe_display_name(upload.filename, "upload", path=True),
                             sha256=sha256, size_bytes=size)
    finally:
        if stored_path.parent == paths.tmp:  # the .npz made above, unless stored
            stored_path.unlink(missing_ok=True)


async def _stored_by_an_earlier_release(session, dataset):
    """The dataset an earlier release stored from the same upload under the same name, or None.

    Releases before :func:`models.data.content_sha256` identified tiles and rows left out or filled by the SHA-256
    of their ``.npz``, name included (:func:`models.data.save_npz` writes the same bytes for the same dataset), as
    ``dataset`` is before its copy names the file sent (``SOURCE_FILE_META``). That SHA-256 is computed in memory
    (:func:`models.data.dataset.npz_sha256`): the file it would be is never written, only the copy stored.
    """
    return crud.find_dataset_by_hash(session, sha256=await run_in_threadpool(npz_sha256, dataset))


@router.get("", response_model=DatasetsPublic)
def list_datasets(session: SessionDep, limit: int = Query(100, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=2**31 - 1)):
    """Stored datasets, newest first."""
    rows, count = crud.list_datasets(session, limit=limit, offset=offset)
    return DatasetsPublic(data=[DatasetPublic.model_validate(r) for r in rows], count=count)


@router.get("/{dataset_id}", response_model=DatasetPublic, responses={404: {"model": Problem}})
def get_dataset(dataset: DatasetDep):
    """One dataset with its preview summary."""
    return dataset


@router.delete("/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"model": Problem}, 409: {"model": Problem}})
def delete_dataset(dataset: DatasetDep, session: SessionDep, paths: PathsDep,
                   with_jobs: bool = Query(False, description="also delete the finished jobs that used it")):
    """Delete a dataset and its file.

    A dataset that jobs used is not deleted silently: 409 names those jobs, and ``?with_jobs=true`` deletes
    the finished ones with it (their results and share links too). While a job using it is queued or
    running, 409 always (cancel it first).
    """
    jobs = crud.jobs_of_dataset(session, dataset_id=dataset.id)
    active = [j.id for j in jobs if j.state in ACTIVE_STATES]
    if active:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"dataset is used by the active job{'s' if len(active) > 1 else ''} "
                            f"{', '.join(active)}; cancel it or wait for it to finish")
    if jobs and not with_jobs:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"dataset has {len(jobs)} job{'s' if len(jobs) > 1 else ''} "
                            f"({', '.join(j.id for j in jobs)}); delete {'them' if len(jobs) > 1 else 'it'} "
                            "first, or pass with_jobs=true to delete the dataset with its jobs and their results")
    for job in jobs:
        job_id = job.id
        crud.delete_job(session, job=job)
        remove_tree(paths.job_dir(job_id))
    dataset_id = dataset.id
    crud.delete_dataset(session, dataset=dataset)
    remove_tree(paths.dataset_dir(dataset_id))
