"""The FastAPI application: every ``/api`` router, then (when importable) the Dash pages.

``create_app()`` is what uvicorn serves (``uvicorn --factory awd_studio.backend.app:create_app``). At start-up it
creates the tables and starts the job-recovery loop: queued jobs are sent to the broker again and running
jobs whose worker is gone are re-queued (the database row is the source of truth).
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.routing import Match

from awd_studio.backend.accesslog import install_access_filter
from awd_studio.backend.auth import DOCS_STATIC_URL, OwnerGateMiddleware
from awd_studio.backend.head import API_PREFIX, HeadAsGet
from awd_studio.backend.pagestatus import UnknownPageStatus
from awd_studio.backend.ratelimit import RateLimitMiddleware
from awd_studio.backend.routes import (
    datasets,
    examples,
    explain,
    health,
    index,
    jobs,
    options,
    results,
    session,
    shares,
    teachers,
)
from awd_studio.backend.routes import metrics as metrics_route
from awd_studio.backend.routes import predict as predict_route
from awd_studio.backend.schemas import API_ERRORS
from awd_studio.backend.strict_query import refuse_unknown_query
from awd_studio.jobstate.config import Settings, get_settings
from awd_studio.jobstate.dispatch import recover_jobs
from awd_studio.jobstate.logs import configure_logging
from awd_studio.jobstate.migrate import upgrade_database
from awd_studio.jobstate.storage import DISK_FULL_DETAIL, Paths, is_disk_full, sweep_temp
from awd_studio.models import __version__

#: Content types never compressed (Starlette's own list, which keeps event streams and compressed formats out).
UNCOMPRESSED_TYPES = ("application/grpc", "application/gzip", "application/x-gzip", "application/zip", "audio/*",
                      "font/woff", "font/woff2", "image/avif", "image/gif", "image/jpeg", "image/png", "image/webp",
                      "text/event-stream", "video/*")

__all__ = ["create_app", "api_router", "RecoveryLoop", "validation_detail", "EveryMethod"]

log = logging.getLogger(__name__)


#: The API's description in /docs: what it does and the calls of one distillation, in order.
API_DESCRIPTION = """Adaptive wavelet distillation as a service: upload data, distil a teacher into a wavelet and a
tiny interpretable model, share the result.

Every call needs the owner token (`Authorization: Bearer <token>`, the token `awd serve` prints), except `GET /api`,
`GET /api/health`, `/api/session` and a share link's reads. `$AWD_URL` below
is the server's address: the link `awd serve` printed without its `/?token=…`, which is this page's address
without `/docs`; the paths follow it (`$AWD_URL/api/health`). One run:

1. `POST /api/datasets` with the file as `file` (multipart), or `POST /api/examples/cme` with `{}`: answers the
   dataset's `id`.
2. `POST /api/jobs` with `{"dataset_id": "<id>"}` (every other option has a default; `GET /api/options` lists
   them): answers the job's `id`.
3. `GET /api/jobs/<job id>` until `state` is `succeeded` (or `failed`, with `error`).
4. `GET /api/results/<job id>` (the bundle), `GET /api/results/<job id>/files` and `.../files/<name>`
   (`arrays.npz`, figures), `POST /api/results/<job id>/predict` with a new data file.

In Python (httpx or requests), with `AWD_URL` and the owner token, `AWD_TOKEN`, in the environment:

```python
import os, time, httpx
api = httpx.Client(base_url=os.environ["AWD_URL"] + "/api",
                   headers={"Authorization": "Bearer " + os.environ["AWD_TOKEN"]}, timeout=60)

def call(method, path, **kwargs):  # one request; a busy server (429, 503) is asked again after its Retry-After
    while (answer := api.request(method, path, **kwargs)).status_code in (429, 503):
        time.sleep(float(answer.headers.get("Retry-After", 5)))
    if answer.is_error:  # the detail names the field and the fix
        raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.json()['detail']}")
    return answer.json()

dataset = call("POST", "/examples/cme", json={"n": 600})  # json={} for the whole example
job = call("POST", "/jobs", json={"dataset_id": dataset["id"]},
           headers={"Idempotency-Key": os.urandom(8).hex()})  # a retry of this request makes no second job
while (job := call("GET", f"/jobs/{job['id']}"))["state"] in ("queued", "running"):
    time.sleep(2)
if job["state"] != "succeeded":
    raise RuntimeError(f"job {job['id']} {job['state']}: {job['error']}")
result = call("GET", f"/results/{job['id']}")
print(result["verdict"]["text"])  # which model to use, and why
print("its test R²:", job["summary"]["delivered_test_r2"], "the teacher's:", job["summary"]["teacher_test_r2"])
```

`summary.delivered_test_r2` is the model the result recommends (the initial wavelet's student when
cross-validation kept it); `models.awd` is the AWD student's, whether or not it is the one to use.

Every path below that answers GET also answers HEAD (the GET's status and headers, no body; not listed as an
operation of its own), and a method a path does not take is a 405 whose `Allow` header names every method it takes.
"""


def api_router() -> APIRouter:
    """All resource routers under ``/api``."""
    router = APIRouter(prefix="/api", dependencies=[Depends(refuse_unknown_query)], responses=API_ERRORS)
    for module in (health, session, options, datasets, examples, teachers, jobs, results, shares, explain):
        router.include_router(module.router)
    router.include_router(predict_route.router)  # POST /results/{key}/predict
    return router


def validation_detail(errors: list) -> str:
    """pydantic's list of errors as one readable sentence per error (at most three, then how many more):
    ``"epochs: Input should be less than or equal to 2000"``, the location without the word "body"; a field the
    request does not have, and a body that is not JSON, are said in plain words.

    Examples
    --------
    >>> validation_detail([{"type": "missing", "loc": ("body", "dataset_id"), "msg": "Field required"},
    ...                    {"type": "extra_forbidden", "loc": ("body", "dataset"), "msg": "Extra inputs"}])
    'dataset_id: Field required; dataset: is not a field of this request (the fields are listed at /docs)'
    >>> validation_detail([{"type": "json_invalid", "loc": ("body", 1), "msg": "JSON decode error",
    ...                     "ctx": {"error": "Expecting property name enclosed in double quotes"}}])
    'request body: is not valid JSON (Expecting property name enclosed in double quotes, at character 1)'
    """
    sentences = [_error_sentence(e) for e in errors[:3]] or ["request: invalid request"]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(sentences) + more


#: What to do about a list field sent empty, by field, where leaving it out means something (the job's grids); any
#: other list asks for at least as many values as it takes.
EMPTY_LIST_FIXES = {"lambdas": "omit lambdas for the grid preset's λ values, or give at least one value",
                    "gammas": "omit gammas for the grid preset's γ values, or give at least one value (0 is always "
                              "added)"}


def _error_sentence(error: dict) -> str:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error") or "it does not parse"
        where = f", at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return f"request body: is not valid JSON ({reason}{where})"
    field = ".".join(str(p) for p in loc if p != "body") or "request"
    if error.get("type") == "extra_forbidden":
        return f"{field}: is not a field of this request (the fields are listed at /docs)"
    if error.get("type") in ("too_short", "too_long"):
        return _length_sentence(field, error.get("type"), error.get("ctx") or {})
    return f"{field}: {str(error.get('msg', 'invalid request')).removeprefix('Value error, ')}"


def _length_sentence(field: str, kind: str, ctx: dict) -> str:
    """A list with too few or too many values, said with what to send instead of pydantic's "List should have at
    least 1 item after validation, not 0".

    Examples
    --------
    >>> _length_sentence("lambdas", "too_short", {"min_length": 1, "actual_length": 0})
    "lambdas: has no values; omit lambdas for the grid preset's λ values, or give at least one value"
    >>> _length_sentence("mask", "too_short", {"min_length": 1, "actual_length": 0})
    'mask: has no values; give at least 1'
    >>> _length_sentence("gammas", "too_long", {"max_length": 64, "actual_length": 65})
    'gammas: has 65 values; give at most 64'
    """
    actual = ctx.get("actual_length")
    has = "has no values" if actual == 0 else f"has {actual} value{'s' if actual != 1 else ''}"
    if kind == "too_short":
        fix = (EMPTY_LIST_FIXES.get(field) if actual == 0 else None) or f"give at least {ctx.get('min_length')}"
        return f"{field}: {has}; {fix}"
    return f"{field}: {has}; give at most {ctx.get('max_length')}"


class RecoveryLoop:
    """Background thread: one start-up recovery, then one every ``AWD_SWEEP_SECONDS``; ``resend_queued``: the
    start-up one sends every queued job again (not when the launcher did so already)."""

    def __init__(self, settings: Settings, resend_queued: bool = True):
        self.settings = settings
        self.resend_queued = resend_queued
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="awd-recovery", daemon=True)

    def start(self) -> "RecoveryLoop":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sweep(self, startup: bool = False) -> dict:
        removed = sweep_temp(Paths(self.settings.data_dir))
        if removed:
            log.info("removed %d partial uploads of lost web processes", len(removed))
        return recover_jobs(self.settings.sqlalchemy_url, startup=startup, max_attempts=self.settings.max_attempts,
                            stall_seconds=self.settings.stall_seconds, data_dir=self.settings.data_dir,
                            resend_after_seconds=max(10.0, 3.0 * self.settings.sweep_seconds))

    def _run(self) -> None:
        startup = self.resend_queued
        while not self._stop.is_set():
            try:
                self.sweep(startup=startup)
                startup = False
            except Exception as exc:  # broker or database briefly away: try again later
                log.warning("job recovery failed: %s", exc)
            if self.settings.sweep_seconds <= 0 and not startup:
                return
            self._stop.wait(self.settings.sweep_seconds or 5.0)


class EveryMethod:
    """An endpoint ``handler(request) -> response`` as an ASGI app, which a Starlette route takes with every method.

    Starlette gives a route whose endpoint is a function GET and HEAD alone when it names no methods, and any method
    to a route whose endpoint is an ASGI app; FastAPI's routes take the methods they name.

    Parameters
    ----------
    handler : async callable
        ``await handler(request)`` returns the response (or raises ``HTTPException``, answered by the app's handler).
    """

    def __init__(self, handler):
        self.handler = handler

    async def __call__(self, scope, receive, send):
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)


def _route_methods(app: FastAPI, scope: dict) -> list[str]:
    """The methods the API takes on the path of ``scope``, sorted: those of every route of that path, and HEAD
    where GET is taken (:class:`backend.head.HeadAsGet`); empty for a path no route has. Each method is tried on
    the API's routes (the included routers, whose routes carry the ``/api`` prefix), not on the catch-all for
    unknown API paths nor on the pages' catch-all (which take them all)."""
    routes = [r for r in app.routes if getattr(r, "path", None) is None]  # the included routers
    taken = [method for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
             if any(r.matches({**scope, "method": method})[0] == Match.FULL for r in routes)]
    return sorted(taken + ["HEAD"]) if "GET" in taken else taken


def _methods_of_path(app: FastAPI, scope: dict) -> list[str]:
    """:func:`_route_methods`, or empty when the request's own method is among them."""
    allowed = _route_methods(app, scope)
    return [] if scope.get("method") in allowed else allowed


def _without_trailing_slash(app: FastAPI, scope: dict) -> str | None:
    """The path of ``scope`` without its trailing slash when an API route has that path (``/api/jobs/`` ->
    ``/api/jobs``), else None."""
    path = scope.get("path", "")
    if not path.endswith("/") or path.rstrip("/") in ("", "/api"):
        return None
    stripped = path.rstrip("/")
    return stripped if _route_methods(app, {**scope, "path": stripped}) else None


def _mount_ui(app: FastAPI) -> None:
    try:  # the pages are optional: an API-only deployment runs without them
        from awd_studio.frontend.app import create_dash
    except ImportError as exc:
        log.info("no UI mounted (frontend not importable: %s); the API works on its own", exc)
        return
    try:
        create_dash(app)
    except Exception:  # a broken page must not take the API down
        log.exception("the Dash UI could not be mounted; serving the API only")


async def _first_page_request(app: FastAPI, token: str | None) -> None:
    """Request "/" once, in process, before the app serves anyone.

    Dash's FastAPI backend finishes its set-up (the walk of ``frontend/assets``, callback registration) on the
    first request for "/" or "/_dash-*" only. A deep link opened first after a start (a share link, a
    bookmarked job page) was otherwise served without our scripts, and its callbacks failed in the browser.
    """
    try:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        async with httpx.AsyncClient(transport=transport, base_url="http://awd.internal", headers=headers) as client:
            await client.get("/")
    except Exception:  # the UI then sets itself up on its first real request, as before
        log.exception("the first in-process page request failed")


def create_app(settings: Settings | None = None, *, with_ui: bool = True, recovery: bool = True,
               resend_queued: bool = True) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings : jobstate.config.Settings or None, default=None
        ``None`` reads the environment (:func:`jobstate.config.get_settings`).
    with_ui : bool, default=True
        Mount the Dash pages from ``frontend.app.create_dash`` when importable.
    recovery : bool, default=True
        Run the job-recovery loop while the app is up.
    resend_queued : bool, default=True
        Its first sweep sends every queued job to the broker again; ``False`` when the caller has just done so
        (``awd serve``, in order, before its worker starts).

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level)  # key=value lines; uvicorn's loggers too (see jobstate.logs)
    install_access_filter()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)  # Alembic, one process at a time (jobstate.migrate)
    sweep_temp(Paths(settings.data_dir))  # partial uploads of a web process that was killed

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if with_ui:
            await _first_page_request(app, settings.api_token)
        loop = RecoveryLoop(settings, resend_queued).start() if recovery and settings.redis_url else None
        app.state.recovery = loop
        try:
            yield
        finally:
            if loop is not None:
                loop.stop()

    # the API docs (/docs, /redoc) load Swagger UI and ReDoc from files installed with fastapi-offline, not from a
    # CDN: on a lab machine without internet FastAPI's default pages stayed blank
    app = FastAPIOffline(title="AWD Studio", version=__version__, debug=False, lifespan=lifespan,
                         static_url=DOCS_STATIC_URL,
                         description=API_DESCRIPTION)
    app.state.settings = settings
    # the archive route writes the results page's "Use in Python" code beside the files (the backend's routes may
    # not import the frontend: the code maker is handed to them here)
    from awd_studio.frontend.use_in_python import python_snippet

    app.state.python_snippet = python_snippet
    app.add_middleware(OwnerGateMiddleware, token=settings.api_token)
    app.add_middleware(UnknownPageStatus)  # outside the gate: a 401 stays a 401
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute,
                           redis_url=settings.redis_url)
    # text answers compressed (review 26B: a phone downloaded 7.7 MB on opening a shared result, plotly.js alone
    # 4.7 MB); arrays, archives and images are sent as they are (compressed already, or not worth the CPU). Level 1:
    # plotly.js to 1.67 MB in 46 ms, against 1.44 MB in 130 ms at level 6; a file is compressed in chunks on the
    # event loop, so the lighter level keeps the server answering while several pages load (review 27B)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1,
                       exclude_content_types=(*UNCOMPRESSED_TYPES, "application/octet-stream"))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["*"])

    @app.middleware("http")
    async def _security_headers(request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    # outermost: HEAD under /api is the GET of the same URL without its body, through every layer below
    app.add_middleware(HeadAsGet, prefix=API_PREFIX)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request, exc):
        """A request the schema refuses: 422 with one sentence naming the field, like every other error; a JSON
        body sent under another content type (curl -d sends form encoding) says which header to send."""
        detail = validation_detail(exc.errors())
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method in ("POST", "PUT", "PATCH") and kind not in ("application/json", "multipart/form-data") \
                and any(e.get("loc", ())[:1] == ("body",) for e in exc.errors()):
            detail += (f" (the body was sent as {kind or 'no content type'}: send JSON with the header "
                       "Content-Type: application/json, e.g. curl -H 'Content-Type: application/json' -d '{...}')")
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(OSError)
    async def _os_error(request, exc):
        """A full disk is the server's condition, not the user's mistake: 507 with a plain reason."""
        if is_disk_full(exc):
            log.error("disk full on %s %s: %s", request.method, request.url.path, exc)
            return JSONResponse(status_code=507, content={"detail": DISK_FULL_DETAIL})
        log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "internal error; see the server log"})

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_busy(request, exc):
        """A locked, overloaded or unreachable database is a temporary condition: 503 with Retry-After."""
        if is_disk_full(exc):
            log.error("disk full on %s %s: %s", request.method, request.url.path, exc)
            return JSONResponse(status_code=507, content={"detail": DISK_FULL_DETAIL})
        log.warning("database busy or unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(status_code=503, headers={"Retry-After": "5"},
                            content={"detail": "the database is busy or unavailable; retry in a few seconds"})

    app.include_router(index.router)  # GET /api and /api/: JSON, not the pages' HTML
    app.include_router(api_router())
    app.include_router(metrics_route.router)  # GET /metrics (Prometheus), outside /api

    async def _unknown_api_route(request: Request):
        """Unknown API paths get a JSON 404, not the UI's catch-all page; a known path asked with a method it does
        not take gets 405 with every method the path takes in ``Allow`` (a route of the path answered it before,
        naming its own methods only: ``OPTIONS /api/jobs`` said ``Allow: POST``); a known path with a trailing slash
        (``/api/jobs/``) is redirected to it with 307, which keeps the method and the body, as FastAPI's
        ``redirect_slashes`` does (this catch-all took those requests before FastAPI could, and answered a 404 that
        did not say the path was right but for its slash). Only ``/api`` paths: the pages' own (``/jobs/``) are
        Dash's. It takes every method (:class:`EveryMethod`), so that no route of the path answers a method none
        of them takes."""
        path = request.path_params.get("path")
        path = "" if path is None else f"/{path}"
        stripped = _without_trailing_slash(app, request.scope)
        if stripped is not None:
            # relative: behind a TLS proxy an absolute http:// address made clients drop the token (review 33A)
            query = request.url.query
            return RedirectResponse(stripped + (f"?{query}" if query else ""), status_code=307)
        allowed = _methods_of_path(app, request.scope)
        if allowed:
            raise HTTPException(status_code=405, headers={"Allow": ", ".join(allowed)},
                                detail=f"/api{path} does not take {request.method}; it takes {', '.join(allowed)}")
        raise HTTPException(status_code=404, detail=f"not found: no API route /api{path}; see /docs for the API")

    for pattern in ("/api", "/api/{path:path}"):  # after the API's routes, before the pages'
        app.add_route(pattern, EveryMethod(_unknown_api_route), include_in_schema=False)
    if with_ui:
        _mount_ui(app)
    return app
