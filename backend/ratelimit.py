"""A simple per-client token bucket for the routes that write (POST, PUT, PATCH, DELETE).

Each client address gets a bucket of ``per_minute`` tokens that refills continuously at ``per_minute / 60``
tokens a second; a write request takes one token, and an empty bucket answers HTTP 429 with a
``Retry-After`` header. Reads (GET, HEAD, OPTIONS) are never limited, so status polling is not affected.
The client address is the socket peer (``X-Forwarded-For`` is not trusted: it is set by the client).
"""

from __future__ import annotations

import math
import threading
import time

from starlette.responses import JSONResponse

__all__ = ["TokenBucket", "RateLimitMiddleware", "LIMITED_METHODS"]

LIMITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TokenBucket:
    """Token buckets keyed by client, refilled continuously.

    Parameters
    ----------
    per_minute : float
        Bucket size and refill rate in requests per minute (> 0).
    clock : callable, default=time.monotonic
        Seconds as a float (injectable for tests).
    max_clients : int, default=10000
        Buckets kept at most; full buckets are dropped first when the table grows beyond it.
    """

    def __init__(self, per_minute: float, clock=time.monotonic, max_clients: int = 10_000):
        if per_minute <= 0:
            raise ValueError("per_minute: pass a positive number of requests per minute")
        self.capacity = float(per_minute)
        self.rate = float(per_minute) / 60.0
        self.clock = clock
        self.max_clients = int(max_clients)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``.

        Returns
        -------
        float
            0.0 when the request may go ahead, else the seconds until a token is available.
        """
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_clients:
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.capacity]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self.max_clients:  # still too many: forget the oldest
            del self._buckets[min(self._buckets, key=lambda k: self._buckets[k][1])]


class RateLimitMiddleware:
    """ASGI middleware answering 429 when a client's write requests exceed ``per_minute``.

    Parameters
    ----------
    app : ASGI application
    per_minute : float
        ``AWD_RATE_LIMIT_PER_MINUTE``.
    """

    def __init__(self, app, per_minute: float):
        self.app = app
        self.bucket = TokenBucket(per_minute)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method", "GET") not in LIMITED_METHODS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("unknown", 0)
        wait = self.bucket.take(str(client[0]))
        if wait > 0:
            response = JSONResponse(
                {"detail": "too many requests: this client sent more write requests than "
                           f"AWD_RATE_LIMIT_PER_MINUTE={self.bucket.capacity:g} allows; retry in "
                           f"{math.ceil(wait)} s"},
                status_code=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
