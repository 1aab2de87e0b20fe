"""FastAPI dependencies: settings, a per-request session, owner check, load-or-404 helpers."""

from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from awd_studio.backend.auth import credentials
from awd_studio.jobstate.config import Settings
from awd_studio.jobstate.db import Dataset, Job, get_sessionmaker, is_uuid
from awd_studio.jobstate.storage import Paths

__all__ = [
    "owner_if_job_id",
    "get_app_settings",
    "get_session",
    "require_owner",
    "SettingsDep",
    "SessionDep",
    "PathsDep",
    "JobDep",
    "DatasetDep",
    "is_uuid",
    "unknown_dataset_detail",
]


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """One database session per request."""
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_paths(settings: SettingsDep) -> Paths:
    """The storage layout under ``AWD_DATA_DIR``."""
    return Paths(settings.data_dir)


PathsDep = Annotated[Paths, Depends(get_paths)]


#: The owner token as the API docs show it: an "Authorize" button on /docs, and the scheme in openapi.json. The
#: check itself is :func:`require_owner`'s (the header or the owner cookie).
OWNER_BEARER = HTTPBearer(auto_error=False, scheme_name="owner token", description=(
    "The owner token `awd serve` printed (in the link it ends with `/?token=…`; also in the data folder's "
    "`owner-token` file, or AWD_API_TOKEN). A browser that opened that link sends the owner cookie instead."))


def require_owner(request: Request, settings: SettingsDep,
                  _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(OWNER_BEARER)] = None) -> None:
    """Owner routes: with an owner token configured, require ``Authorization: Bearer <token>`` or the owner
    cookie (see :mod:`backend.auth`); 401 without credentials, 403 with wrong ones.

    Share tokens never pass this check: they only open ``/api/results/{token}``.
    """
    if not settings.api_token:
        return
    verdict = credentials(request.headers, request.cookies, settings.api_token)
    if verdict is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this route belongs to the owner: open the link `awd serve` printed (it sets a cookie), or send "
            "Authorization: Bearer <owner token>; share links only read their own result",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not verdict:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the owner token sent is wrong: use the token `awd serve` printed (or AWD_API_TOKEN); "
            "share links only read their own result",
        )


def owner_if_job_id(key: str, request: Request) -> None:
    """Routes under ``/api/results/{key}`` that a share token may also name: a job id needs the owner, checked
    before the request body is read (a stranger gets 401, not a validation error about the body)."""
    if is_uuid(key):
        require_owner(request, request.app.state.settings)


def job_or_404(job_id: str, session: SessionDep) -> Job:
    """Load a job by id or answer 404."""
    job = session.get(Job, job_id) if is_uuid(job_id) else None
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job_id!r} not found")
    return job


def dataset_or_404(dataset_id: str, session: SessionDep) -> Dataset:
    """Load a dataset by id or answer 404."""
    dataset = session.get(Dataset, dataset_id) if is_uuid(dataset_id) else None
    if dataset is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"dataset {dataset_id!r} not found")
    return dataset


def unknown_dataset_detail(dataset_id: str) -> str:
    """The 404 of a request whose body names a dataset that is not stored (``POST /api/jobs``, ``POST
    /api/teachers``).

    Examples
    --------
    >>> unknown_dataset_detail("nope")
    "dataset_id: no dataset 'nope'; upload the data first (GET /api/datasets lists the stored ones)"
    """
    return (f"dataset_id: no dataset {dataset_id[:64]!r}; upload the data first (GET /api/datasets lists the "
            "stored ones)")


JobDep = Annotated[Job, Depends(job_or_404)]
DatasetDep = Annotated[Dataset, Depends(dataset_or_404)]
