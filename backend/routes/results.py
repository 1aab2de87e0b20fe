"""``/api/results/{job id or share token}``: the result bundle and its artifacts (read-only).

A job id opens its own result (owner access); a share token opens exactly the one job it was made for,
and only here: share tokens are refused by every other route.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import shutil
import stat
import tempfile
import time
import zipfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from awd_studio.backend.deps import PathsDep, SessionDep, is_uuid, require_owner
from awd_studio.backend.schemas import DATABASE_BUSY, ArtifactPublic, ArtifactsPublic, Problem
from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Job
from awd_studio.jobstate.storage import resolve_artifact
from awd_studio.models.pipeline.bundle import SCHEMA_PATH

__all__ = ["router", "check_job_key", "unknown_key_detail", "result_dir_for_key", "ARCHIVE_FOLDER",
           "ARTIFACT_MEDIA_TYPES", "artifact_media_type", "file_content"]

router = APIRouter(prefix="/results", tags=["results"], responses=DATABASE_BUSY)

# 401 and 403: a job id without the owner's token, or with a wrong one (a share token needs none)
_NOT_FOUND = {401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem},
              410: {"model": Problem}}


def check_job_key(key: str, session, read_only: str) -> None:
    """Refuse a key that is not a job's id on an owner's route that changes or computes something: 403 with
    ``read_only`` for a share link's token, 404 for anything else (review 31A: the 8 characters of a run's file
    names were answered 403 "share links are read-only", which a script read as a wrong token)."""
    if is_uuid(key):
        return
    state, share = crud.share_by_token(session, token=key)
    if share is not None or state in ("revoked", "deleted", "expired"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, read_only)
    raise HTTPException(status.HTTP_404_NOT_FOUND, unknown_key_detail(key))


def unknown_key_detail(key: str, share_links: bool = False) -> str:
    """The 404 of a key that is neither a job's id nor a share link's token, saying what to pass: a job's full id
    (review 31A: the 8 characters of a run's file names are its start only), or on a route that share links
    open (``share_links``) the link's whole token.

    Examples
    --------
    >>> unknown_key_detail("1a2b3c4d").startswith("key: '1a2b3c4d' is neither a job's id nor a share link; pass")
    True
    >>> unknown_key_detail("1a2b3c4d").endswith("the 8 characters in a result's file names are only its start)")
    True
    >>> unknown_key_detail("1a2b3c4d", share_links=True).endswith("or a share link's whole token")
    True
    """
    return (f"key: {key[:40]!r} is neither a job's id nor a share link; pass the job's full id (GET /api/jobs lists "
            "them: the 8 characters in a result's file names are only its start)"
            + (", or a share link's whole token" if share_links else ""))


def result_dir_for_key(key: str, request: Request, session, paths) -> Path:
    """The result directory of the job named by ``key`` (job id or live share token), or 404/409."""
    if is_uuid(key):
        require_owner(request, request.app.state.settings)
        job = session.get(Job, key)
    else:
        state, share = crud.share_by_token(session, token=key)
        if state == "revoked":
            raise HTTPException(status.HTTP_410_GONE, "this share link was revoked by the result's owner; "
                                                      "ask them for a new link")
        if state == "deleted":
            raise HTTPException(status.HTTP_410_GONE, "the result's owner deleted this result, so its share links "
                                                      "no longer work; ask them whether it exists elsewhere")
        if state == "expired":
            raise HTTPException(status.HTTP_410_GONE, f"this share link expired on {share.expires:%Y-%m-%d %H:%M} "
                                                      "UTC; ask the result's owner for a new link")
        job = session.get(Job, share.job_id) if share is not None else None
        if job is not None:
            crud.mark_share_used(session, share=share)
    if job is None and not is_uuid(key):  # an expired or revoked link answered 410 above
        raise HTTPException(status.HTTP_404_NOT_FOUND, unknown_key_detail(key, share_links=True))
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {key!r}: it was deleted, or never made on this "
                                                       "server (GET /api/jobs lists them)")
    if job.state != "succeeded" or not job.result_dir:
        if job.state in ("failed", "cancelled"):  # a cancelled job has no error to fix
            then = "after fixing what its error names" if job.state == "failed" else "to run it again"
            raise HTTPException(status.HTTP_409_CONFLICT, f"job is {job.state}, so it has no result; rerun it "
                                                          f"{then} (its page's Rerun button, or POST "
                                                          f"/api/jobs/{job.id}/rerun)")
        raise HTTPException(status.HTTP_409_CONFLICT, f"job is {job.state}; the result appears when it succeeds")
    return paths.root / job.result_dir


def result_outline() -> dict:
    """The OpenAPI schema of ``result.json``: its top-level sections, each with its type and meaning, read from the
    bundle's JSON Schema, which it links to. The whole schema is not inlined: its ``$ref``s point into its own
    ``$defs``, which an OpenAPI document does not have."""
    schema = json.loads(SCHEMA_PATH.read_text())
    keep = ("type", "const", "description")
    return {"type": "object", "title": "result.json",
            "description": "The result bundle; every field with its type and meaning: GET /api/options/result-schema",
            "required": schema.get("required", []),
            "properties": {name: {k: v for k, v in section.items() if k in keep}
                           for name, section in schema.get("properties", {}).items()},
            "externalDocs": {"description": "the JSON Schema of result.json", "url": "/api/options/result-schema"}}


@router.get("/{key}", responses={200: {"content": {"application/json": {"schema": result_outline()}},
                                       "description": "result.json; its JSON Schema: GET /api/options/result-schema"},
                                 304: {"description": "Not Modified: If-None-Match named the ETag of result.json"},
                                 **_NOT_FOUND})
def get_result(key: str, request: Request, session: SessionDep, paths: PathsDep):
    """The result bundle (``result.json``) of a job, by job id or share token.

    Answers ``304 Not Modified`` without a body when ``If-None-Match`` names the file's ``ETag`` (checked after
    the visitor's access, like a full answer): the results page's callbacks ask again on every click and keep the
    bundle they already hold (several megabytes for a maps job)."""
    path = result_dir_for_key(key, request, session, paths) / "result.json"
    try:
        answer = FileResponse(path, media_type="application/json", stat_result=path.stat())
    except FileNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "result.json is missing from this result") from None
    etag = answer.headers["etag"]
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"etag": etag})
    return answer


def _artifacts(root: Path) -> list[tuple[str, Path]]:
    """``(name, path)`` of every downloadable file of a result directory, by name."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            name = path.relative_to(root).as_posix()
            try:
                resolve_artifact(root, name)
            except FileNotFoundError:
                continue
            out.append((name, path))
    return out


@router.get("/{key}/files", response_model=ArtifactsPublic, responses=_NOT_FOUND)
def list_files(key: str, request: Request, session: SessionDep, paths: PathsDep):
    """The downloadable files of a result."""
    data = [ArtifactPublic(name=name, size=path.stat().st_size, media_type=artifact_media_type(name))
            for name, path in _artifacts(result_dir_for_key(key, request, session, paths))]
    return ArtifactsPublic(data=data, count=len(data))


#: The media types of a result's files (``mimetypes`` by extension; ``.npz``, ``.safetensors`` and other unnamed
#: types are application/octet-stream), which ``GET /files/{name}`` answers with.
ARTIFACT_MEDIA_TYPES = ("application/json", "application/octet-stream", "image/png", "image/svg+xml", "text/csv")


def artifact_media_type(name: str) -> str:
    """The media type a result's file is sent as.

    Examples
    --------
    >>> artifact_media_type("figures/wavelet.svg"), artifact_media_type("arrays.npz")
    ('image/svg+xml', 'application/octet-stream')
    """
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_content(media_types) -> dict:
    """The OpenAPI ``content`` of a route that sends a file of one of ``media_types``: a JSON object for JSON, the
    file's bytes for any other.

    Examples
    --------
    >>> file_content(["application/json", "image/png"])["image/png"]
    {'schema': {'type': 'string', 'format': 'binary'}}
    """
    return {media: {"schema": {"type": "object"} if media == "application/json"
                    else {"type": "string", "format": "binary"}} for media in dict.fromkeys(media_types)}


#: The folder a result's archive unpacks to: the one the results page's "Use in Python" code and its
#: ``awd predict`` line read (``frontend.use_in_python.RESULT_FOLDER``; a test checks that they agree).
ARCHIVE_FOLDER = "awd-result"
#: The results page's "Use in Python" code in the archive.
SNIPPET_FILE = "use_in_python.py"
#: The archived code's first lines: it reads the folder it sits in from wherever it is run (review 31B: run inside
#: ``awd-result/`` it looked for ``awd-result/awd-result``).
SNIPPET_HEADER = f"""# The results page's "Use in Python" code for this result. It reads the folder {ARCHIVE_FOLDER}/ it
# sits in, from wherever it is run: python {ARCHIVE_FOLDER}/{SNIPPET_FILE}, or python {SNIPPET_FILE} in the folder.
import os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

"""
#: Files already compressed, stored as they are in the archive.
_STORED = (".png", ".npz", ".zip", ".pt", ".pt2", ".safetensors")
#: The permissions of every file in the archive, whatever they are on the server: readable by all who unpack it
#: (review 39A: use_in_python.py came out 0600 beside the other files' 0644, so a colleague on a shared machine
#: could not read it).
MEMBER_MODE = 0o644


def archive_member(name: str, source: Path | None = None) -> zipfile.ZipInfo:
    """The ZIP entry of an archived file: named ``name``, dated as ``source`` (now when the file is made here),
    compressed unless already (:data:`_STORED`), and a regular file of mode :data:`MEMBER_MODE`.

    Examples
    --------
    >>> member = archive_member("awd-result/use_in_python.py")
    >>> oct(member.external_attr >> 16), member.compress_type == zipfile.ZIP_DEFLATED
    ('0o100644', True)
    >>> archive_member("awd-result/arrays.npz").compress_type == zipfile.ZIP_STORED
    True
    """
    member = (zipfile.ZipInfo.from_file(source, name) if source is not None
              else zipfile.ZipInfo(name, time.localtime(time.time())[:6]))
    member.external_attr = (stat.S_IFREG | MEMBER_MODE) << 16
    member.compress_type = zipfile.ZIP_STORED if name.endswith(_STORED) else zipfile.ZIP_DEFLATED
    return member


# response_class: the class's media type (none) is the 200's only content, not FastAPI's default JSON beside it
@router.get("/{key}/archive", response_class=StreamingResponse,
            responses={200: {"content": file_content(["application/zip"]),
                             "description": "every file of the result, in a folder awd-result/"},
                       **_NOT_FOUND})
def get_archive(key: str, request: Request, session: SessionDep, paths: PathsDep):
    """Every file of a result (what ``GET /files`` lists) in one ZIP archive, under the folder ``awd-result/``:
    unpacked, it is the folder the results page's Python code and ``awd predict awd-result ...`` read. With it,
    ``awd-result/use_in_python.py``: that code (run from the folder holding ``awd-result/``; it needs AWD Studio
    installed). Named ``awd-<run>-result.zip``."""
    root = result_dir_for_key(key, request, session, paths)
    files = _artifacts(root)
    # the results page's code, made by the app's frontend (review 31A: a script could not reach it)
    snippet = getattr(request.app.state, "python_snippet", None)
    bundle_file = root / "result.json"
    buffer = tempfile.SpooledTemporaryFile(max_size=16 * 2 ** 20)  # a result is a few MB: on disk beyond 16 MiB
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in files:
            with open(path, "rb") as source, archive.open(archive_member(f"{ARCHIVE_FOLDER}/{name}", path), "w") as to:
                shutil.copyfileobj(source, to, 2 ** 20)
        if snippet is not None and bundle_file.is_file():
            archive.writestr(archive_member(f"{ARCHIVE_FOLDER}/{SNIPPET_FILE}"),
                             SNIPPET_HEADER + snippet(json.loads(bundle_file.read_text())))
    buffer.seek(0)
    disposition = f'attachment; filename="{run_file_name(key, "result.zip")}"'
    return StreamingResponse(iter(lambda: buffer.read(2 ** 16), b""), media_type="application/zip",
                             headers={"Content-Disposition": disposition}, background=BackgroundTask(buffer.close))


@router.get("/{key}/files/{name:path}", response_class=FileResponse,
            responses={200: {"content": file_content(ARTIFACT_MEDIA_TYPES),
                             "description": "the file, as the media type of its extension (each file's is in GET "
                                            "/files): result.json and the explanations' summary.json JSON, "
                                            "figures PNG or SVG, student.csv CSV, arrays and weights "
                                            "application/octet-stream"},
                       **_NOT_FOUND})
def get_file(key: str, name: str, request: Request, session: SessionDep, paths: PathsDep):
    """One artifact (``arrays.npz``, ``result.json``, figures). Names cannot leave the result directory."""
    root = result_dir_for_key(key, request, session, paths)
    try:
        path = resolve_artifact(root, name)
    except FileNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no file {name!r} in this result") from None
    media = artifact_media_type(path.name)
    # named after the run: two runs' wavelet.png saved into one folder overwrote each other (a reviewer's finding)
    return FileResponse(path, media_type=media, filename=run_file_name(key, path.name))


def run_file_name(key: str, name: str) -> str:
    """A result file's download name: ``awd-<run>-<name>``, the run being the job id's first 8 characters or, through
    a share link, ``shared-`` and 6 hex digits of the link's SHA-256 (review 20: the link's own first characters put
    part of the secret into every file passed around). The frontend names its links the same way.

    Examples
    --------
    >>> run_file_name("1a2b3c4d-0000-4000-8000-000000000000", "wavelet.png")
    'awd-1a2b3c4d-wavelet.png'
    >>> run_file_name("B-rfgG3-secret-share-token", "result.zip")
    'awd-shared-9e8d88-result.zip'
    """
    label = key[:8] if is_uuid(key) else "shared-" + hashlib.sha256(key.encode()).hexdigest()[:6]
    return f"awd-{label}-{name}"
