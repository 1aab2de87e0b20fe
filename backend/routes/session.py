"""``/api/session``: does this client hold the owner's credentials? (The pages use it to show or hide
owner navigation; it reveals nothing else.)"""

from __future__ import annotations

from fastapi import APIRouter, Request

from awd_studio.backend.auth import is_owner
from awd_studio.backend.deps import SettingsDep
from awd_studio.backend.schemas import NO_QUERY_ERROR, SessionPublic

__all__ = ["router"]

router = APIRouter(prefix="/session", tags=["session"])


@router.get("", response_model=SessionPublic, responses=NO_QUERY_ERROR)
def get_session_info(request: Request, settings: SettingsDep):
    """``owner`` is true when this request may use the owner routes; ``token_required`` when the server
    has an owner token at all."""
    return SessionPublic(owner=is_owner(request, settings.api_token),
                         token_required=settings.api_token is not None)
