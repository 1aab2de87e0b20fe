"""The limit on write requests (POST, PUT, PATCH, DELETE), shared by every web process through Redis.

Each client address may send ``per_minute`` write requests in any moving window of 60 s; beyond that the
answer is HTTP 429 with a ``Retry-After`` header. The counts live in Redis (the broker's, ``REDIS_URL``),
kept by the ``limits`` library's moving-window strategy, so that four web processes behind a proxy enforce
one limit together and a restart does not reset it. Without Redis (a bare API) the counts stay in the
process. If Redis cannot be reached, writes go ahead (the limit fails open; the job itself then waits for
the broker). Reads (GET, HEAD, OPTIONS) are never limited, so status polling is not affected; nor are the
writes that stop or free something (:data:`UNLIMITED_WRITES`: cancelling a job, deleting a job, dataset or
teacher, revoking a share link), which neither count nor wait: a client over the limit could otherwise not stop
the runaway job that put it there. Cost estimates (``POST /api/jobs/estimate``: a POST that computes and stores
nothing) have a limit of their own, :data:`ESTIMATE_FACTOR` times the writes', and do not count against the
writes': the configure page asks for one at each change of the form, and a user who tried a few grids could no
longer start the job (every page's requests come from the web process's own address). The pages' callbacks
(``POST /_dash-update-component``, :data:`PAGE_CALLBACKS`) are not writes and are not counted: a callback that
writes does it through ``/api`` in process, where that write is counted (the pages' own address); counted, the
callbacks of a few page views and a job page's polling reached the limit, and every callback answered 429 left
its part of the page unfilled for good (the browser does not send a refused callback again). The client address
is the socket peer (``X-Forwarded-For`` is not trusted: it is set by the client).

"""

from __future__ import annotations

import logging
import math
import re
import time

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

__all__ = ["SharedLimit", "RateLimitMiddleware", "LIMITED_METHODS", "UNLIMITED_WRITES", "PAGE_CALLBACKS", "ESTIMATES",
           "app_path", "ESTIMATE_FACTOR", "is_limited", "is_estimate"]

log = logging.getLogger(__name__)

LIMITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Writes that stop or free something, never limited: ``(method, path pattern)``. Each is owner-only and cheap, and
#: a user over the limit must still be able to stop a job and make room.
UNLIMITED_WRITES = (
    ("POST", re.compile(r"/api/jobs/[^/]+/cancel")),
    ("DELETE", re.compile(r"/api/(?:jobs|datasets|teachers|shares)/[^/]+")),
)


#: The Dash pages' callback requests: a POST per callback the browser runs (filling a page, following a form as it
#: is typed, a job page's polling), not a write. The writes a callback makes go through ``/api`` in process
#: (:mod:`frontend.api_client`) and count there. Counted, 300 a minute were reached by a few configure page views
#: in a row (about 25 callbacks each), and each refused callback left its outputs as they were for good.
PAGE_CALLBACKS = (("POST", re.compile(r"/_dash-update-component")),)

#: How long one count may wait for Redis (seconds) before the request goes ahead uncounted.
REDIS_TIMEOUT_SECONDS = 1.0

#: Read-only computations sent as a POST (their body is a job's options): counted against a limit of their own.
ESTIMATES = (("POST", re.compile(r"/api/jobs/estimate")),)

#: How many times the write limit the estimates' own limit is (3000 a minute at the default 300 writes).
ESTIMATE_FACTOR = 10


def is_estimate(method: str, path: str) -> bool:
    """Whether a request is a cost estimate, counted against the estimates' own limit (:data:`ESTIMATES`).

    Examples
    --------
    >>> is_estimate("POST", "/api/jobs/estimate"), is_estimate("POST", "/api/jobs"), is_estimate("GET", "/api/jobs")
    (True, False, False)
    """
    return any(method == m and pattern.fullmatch(path) for m, pattern in ESTIMATES)


def is_limited(method: str, path: str) -> bool:
    """Whether a request of ``method`` on ``path`` (without the app's root path) counts against the write limit.

    Examples
    --------
    >>> is_limited("POST", "/api/jobs"), is_limited("POST", "/api/jobs/1/cancel"), is_limited("GET", "/api/jobs")
    (True, False, False)
    >>> is_limited("DELETE", "/api/datasets/1"), is_limited("DELETE", "/api/datasets/1/files")
    (False, True)
    >>> is_limited("POST", "/api/jobs/estimate")  # its own limit (is_estimate)
    False
    >>> is_limited("POST", "/_dash-update-component")  # the pages' callbacks: their writes count at /api
    False
    """
    if method not in LIMITED_METHODS or is_estimate(method, path):
        return False
    return not any(method == m and pattern.fullmatch(path) for m, pattern in (*UNLIMITED_WRITES, *PAGE_CALLBACKS))


class SharedLimit:
    """``per_minute`` write requests per client in any 60 s, counted in Redis (or in memory without it).

    Parameters
    ----------
    per_minute : float
        Requests per moving minute (> 0; rounded to a whole number, at least 1).
    redis_url : str or None, default=None
        ``redis://…`` of the shared counts; ``None`` counts in this process only.
    namespace : str, default="awd-writes"
        Prefix of the Redis keys (processes that share a limit share it).
    """

    def __init__(self, per_minute: float, redis_url: str | None = None, namespace: str = "awd-writes"):
        if per_minute <= 0:
            raise ValueError("per_minute: pass a positive number of requests per minute")
        self.per_minute = max(1, round(per_minute))
        self.item = RateLimitItemPerMinute(self.per_minute)
        self.namespace = namespace
        if redis_url:
            # bounded: a Redis that stops answering (frozen, overloaded) must not hold every write until it does
            # (review 33A: with Redis stopped, POSTs hung past 90 s instead of failing open)
            storage = storage_from_string(redis_url, key_prefix="awd-limits", socket_timeout=REDIS_TIMEOUT_SECONDS,
                                          socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        else:
            storage = storage_from_string("memory://")
        self.limiter = MovingWindowRateLimiter(storage)

    def take(self, client: str) -> float:
        """Count one request of ``client``: 0.0 when it may go ahead, else the seconds until it may.

        Blocking (one Redis round trip): the middleware calls it in the thread pool. The synchronous client
        is used because one web process may run several event loops (tests, in-process page requests).
        """
        try:
            if self.limiter.hit(self.item, self.namespace, client):
                return 0.0
            stats = self.limiter.get_window_stats(self.item, self.namespace, client)
        except Exception as exc:  # Redis unreachable: fail open rather than refuse every write
            log.warning("rate limit not checked (%s); the request goes ahead", exc)
            return 0.0
        return max(0.001, stats.reset_time - time.time())


class RateLimitMiddleware:
    """ASGI middleware answering 429 when a client's write requests exceed ``per_minute``, or its cost estimates
    :data:`ESTIMATE_FACTOR` times that (counted apart).

    Parameters
    ----------
    app : ASGI application
    per_minute : float
        ``AWD_RATE_LIMIT_PER_MINUTE``.
    redis_url : str or None, default=None
        ``REDIS_URL``: the limit is shared by every web process on this Redis.
    """

    def __init__(self, app, per_minute: float, redis_url: str | None = None):
        self.app = app
        self.limit = SharedLimit(per_minute, redis_url)
        self.estimates = SharedLimit(per_minute * ESTIMATE_FACTOR, redis_url, namespace="awd-estimates")

    async def __call__(self, scope, receive, send):
        method, path = scope.get("method", "GET"), app_path(scope) if scope["type"] == "http" else ""
        estimate = scope["type"] == "http" and is_estimate(method, path)
        if not estimate and (scope["type"] != "http" or not is_limited(method, path)):
            await self.app(scope, receive, send)
            return
        limit = self.estimates if estimate else self.limit
        client = scope.get("client") or ("unknown", 0)
        wait = await run_in_threadpool(limit.take, str(client[0]))
        if wait > 0:
            what = (f"cost estimates than their limit ({ESTIMATE_FACTOR} x AWD_RATE_LIMIT_PER_MINUTE = "
                    f"{limit.per_minute:g} a minute) allows" if estimate else
                    f"write requests than AWD_RATE_LIMIT_PER_MINUTE={limit.per_minute:g} allows")
            response = JSONResponse(
                {"detail": f"too many requests: this client sent more {what}; retry in {math.ceil(wait)} s"},
                status_code=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def app_path(scope) -> str:
    """The request's path within the app: behind a proxy that mounts it under a prefix (``root_path``), Starlette's
    ``path`` starts with that prefix."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path
