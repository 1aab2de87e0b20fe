"""``/api/health``: is the web process up, and can it reach the database, Redis and workers."""

from __future__ import annotations

import redis
from fastapi import APIRouter
from sqlalchemy import text

from awd_studio.backend.deps import SessionDep, SettingsDep
from awd_studio.backend.schemas import NO_QUERY_ERROR, HealthPublic
from awd_studio.jobstate.dispatch import worker_count
from awd_studio.models import __version__

__all__ = ["router"]

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=HealthPublic, responses=NO_QUERY_ERROR)
def health(session: SessionDep, settings: SettingsDep):
    """``status`` is ``ok`` when the database and Redis answer, ``degraded`` otherwise; ``workers`` counts the
    workers answering a ping (0: jobs wait in the queue), for a monitor to alert on."""
    try:
        session.execute(text("SELECT 1"))
        database = True
    except Exception:
        database = False
    redis_ok = False
    if settings.redis_url:
        try:
            redis_ok = bool(redis.Redis.from_url(settings.redis_url, socket_timeout=1,
                                                 socket_connect_timeout=1).ping())
        except Exception:
            redis_ok = False
    workers = (worker_count() or 0) if redis_ok else 0
    return HealthPublic(status="ok" if database and redis_ok else "degraded", version=__version__,
                        database=database, redis=redis_ok, workers=workers)
