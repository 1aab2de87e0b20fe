"""``GET /metrics``: the Prometheus text format of :mod:`backend.metrics`.

Who may read it: a request with ``Authorization: Bearer <AWD_METRICS_TOKEN>`` when that token is set (give
it to Prometheus, not the owner token), or the owner (bearer owner token or the owner's cookie). With no
owner token configured (a bare API on a laptop), it is as open as every other route.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from awd_studio.backend.auth import credentials
from awd_studio.backend.metrics import registry_for

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


def _allowed(request: Request) -> bool:
    settings = request.app.state.settings
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if settings.metrics_token and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), settings.metrics_token.encode()):
        return True
    if settings.api_token is None:
        return True
    return credentials(request.headers, request.cookies, settings.api_token) is True


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Jobs by state, queue length, job durations, failures by reason, live workers."""
    if not _allowed(request):
        sent = bool(request.headers.get("authorization"))  # wrong credentials: 403, as on /api routes
        raise HTTPException(status_code=403 if sent else 401, detail="metrics: send Authorization: Bearer <AWD_METRICS_TOKEN> "
                                                    "(or the owner token)")
    settings = request.app.state.settings
    body = generate_latest(registry_for(settings.sqlalchemy_url, settings.redis_url))
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)
