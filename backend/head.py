"""HEAD on the API: wherever a GET is served under ``/api``, HEAD is too, with the GET's status and headers and no
body.

Starlette's ``Route`` takes HEAD wherever it takes GET; FastAPI's ``APIRoute`` does not (fastapi/fastapi#1773, still
open: FastAPI offers ``@router.head`` or ``methods=["GET", "HEAD"]`` route by route). Declaring both methods on
every GET route would also put a second operation of the same id on each of their paths in the OpenAPI document.
:class:`HeadAsGet` serves HEAD in one place instead: the request goes through the app as the GET of the same URL
(the same authentication, status and headers, ``Content-Length`` included) and its body is not sent.
"""

from __future__ import annotations

from awd_studio.backend.ratelimit import app_path

__all__ = ["HeadAsGet", "API_PREFIX"]

#: The paths whose HEAD requests :class:`HeadAsGet` serves: ``/api`` and everything under it.
API_PREFIX = "/api"


class HeadAsGet:
    """ASGI middleware: a HEAD request under ``prefix`` is answered as the GET of the same URL, without its body.

    A path that takes no GET answers HEAD as it answers GET (a 405 naming the methods it takes, or a 404). The GET
    runs in full, so a HEAD of a large download costs what its GET costs (the bytes are read, then dropped).

    Parameters
    ----------
    app : ASGI application
    prefix : str, default="/api"
        The path itself and the paths under it (``/api``, ``/api/jobs``; not ``/apix``).
    """

    def __init__(self, app, prefix: str = API_PREFIX):
        self.app = app
        self.prefix = prefix.rstrip("/")

    async def __call__(self, scope, receive, send):
        if not self._serves(scope):
            await self.app(scope, receive, send)
            return
        await self.app({**scope, "method": "GET"}, receive, _without_body(send))

    def _serves(self, scope) -> bool:
        """Whether ``scope`` is a HEAD request under the prefix."""
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            return False
        path = app_path(scope)
        return path == self.prefix or path.startswith(self.prefix + "/")


def _without_body(send):
    """``send`` that passes the response's start (status and headers) and ends it with an empty body."""

    async def send_headers(message):
        kind = message["type"]
        if kind in ("http.response.body", "http.response.pathsend"):
            if message.get("more_body", False):
                return  # a part of the GET's body: not sent
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_headers
