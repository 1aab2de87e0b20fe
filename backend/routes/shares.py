"""``/api/shares``: revoke a share link by its id or by the token itself."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status

from awd_studio.backend.deps import SessionDep, is_uuid, require_owner
from awd_studio.backend.schemas import DATABASE_BUSY, OWNER_ERRORS, Problem
from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Share

__all__ = ["router"]

router = APIRouter(prefix="/shares", tags=["shares"], dependencies=[Depends(require_owner)],
                   responses={**OWNER_ERRORS, **DATABASE_BUSY})


@router.delete("/{share}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"model": Problem}})
def revoke_share(share: str, session: SessionDep):
    """Revoke a share link, named by its id (from ``GET /api/jobs/{id}/shares``) or its token."""
    row = session.get(Share, share) if is_uuid(share) else crud.find_share_by_token(session, token=share)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "share link not found (or already revoked or expired)")
    crud.revoke_share(session, share=row)
