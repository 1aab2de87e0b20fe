"""``/api``: what the API is and where its documentation and resources are (JSON, not the pages' HTML)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from awd_studio.backend.schemas import API_ERRORS, NO_QUERY_ERROR, ApiIndexPublic
from awd_studio.backend.strict_query import refuse_unknown_query
from awd_studio.models import __version__

__all__ = ["router", "RESOURCES"]

#: ``/api`` and ``/api/`` themselves: included in the app beside the resources' router, whose ``/api`` prefix cannot
#: take a route of an empty path.
router = APIRouter(prefix="/api", tags=["index"], dependencies=[Depends(refuse_unknown_query)], responses=API_ERRORS)

#: The main resources, by name: their paths under the app's root.
RESOURCES = {"health": "/api/health", "session": "/api/session", "options": "/api/options",
             "datasets": "/api/datasets", "examples": "/api/examples", "teachers": "/api/teachers",
             "jobs": "/api/jobs", "estimate": "/api/jobs/estimate", "results": "/api/results/{job id or share token}"}


@router.get("", response_model=ApiIndexPublic, responses=NO_QUERY_ERROR)
@router.get("/", response_model=ApiIndexPublic, responses=NO_QUERY_ERROR, include_in_schema=False)
def api_index(request: Request):
    """The API's name and version, its documentation (``docs``: the interactive pages, ``openapi``: the OpenAPI
    document) and the paths of its main resources; open to anyone, as ``/api/health`` (it names only routes that
    ``/docs`` shows)."""
    root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy that serves the app under a prefix
    return ApiIndexPublic(name="AWD Studio API", version=__version__, docs=f"{root}/docs",
                          openapi=f"{root}/openapi.json",
                          resources={name: f"{root}{path}" for name, path in RESOURCES.items()})
