"""``/api/options``: every option of a job with its default, bounds, choices and meaning, the grid presets by
data kind, and this server's job time limit (what the configure page builds its form from); and
``/api/options/result-schema``, the JSON Schema of a result bundle."""

from __future__ import annotations

import functools
import json
from typing import Any

from fastapi import APIRouter, Depends

from awd_studio.backend.deps import SettingsDep, require_owner
from awd_studio.backend.schemas import NO_QUERY_ERROR, OWNER_ERRORS
from awd_studio.models.options import describe
from awd_studio.models.pipeline.bundle import SCHEMA_PATH

__all__ = ["router"]

router = APIRouter(prefix="/options", tags=["options"], dependencies=[Depends(require_owner)],
                   responses=OWNER_ERRORS)


@router.get("", response_model=dict[str, Any], responses=NO_QUERY_ERROR)
def get_options(settings: SettingsDep):
    """The job options (``models.options``), the grid presets, the job time limit in seconds, the largest
    upload in bytes (``AWD_MAX_UPLOAD_MB``: the upload pages refuse a larger file before sending it) and the most
    bytes an upload may decode to (``max_decoded_bytes``: a compressed archive above it is refused with 422)."""
    return {**describe(), "job_time_limit_seconds": settings.job_time_limit,
            "max_upload_bytes": settings.max_upload_bytes, "max_decoded_bytes": settings.max_decoded_bytes}


@router.get("/result-schema", response_model=dict[str, Any], responses=NO_QUERY_ERROR)
def get_result_schema():
    """The JSON Schema of a result bundle (`GET /api/results/{key}`, `result.json`): every section and field,
    with its type and what it means."""
    return _result_schema()


@functools.cache
def _result_schema() -> dict:
    """The schema file, read once per process (it changes only with a release)."""
    return json.loads(SCHEMA_PATH.read_text())
