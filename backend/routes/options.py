"""``/api/options``: every option of a job with its default, bounds, choices and meaning, the grid presets by
data kind, and this server's job time limit (what the configure page builds its form from)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from awd_studio.backend.deps import SettingsDep, require_owner
from awd_studio.models.options import describe

__all__ = ["router"]

router = APIRouter(prefix="/options", tags=["options"], dependencies=[Depends(require_owner)])


@router.get("", response_model=dict[str, Any])
def get_options(settings: SettingsDep):
    """The job options (``models.options``), the grid presets and the job time limit in seconds."""
    return {**describe(), "job_time_limit_seconds": settings.job_time_limit}
