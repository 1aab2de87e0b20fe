"""Owner access: who may list, submit, change and delete, and who only reads a shared result.

With an owner token configured (``AWD_API_TOKEN``, or the one ``awd serve`` makes on first start), every
owner route and page needs either ``Authorization: Bearer <token>`` or the owner cookie. A browser gets the
cookie by opening the URL that ``awd serve`` prints once (``/?token=<token>``): the gate checks the token,
sets an HttpOnly, SameSite=Lax cookie and redirects to the same address without the token, so the token does
not stay in the address bar or the history. Share links (``/results/<share token>`` and
``/api/results/<share token>``) need neither. With no token configured (a test client, or a deliberate
open laptop set-up through ``create_app``), everyone is the owner.

The cookie holds an HMAC of the token, not the token itself.
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape
from urllib.parse import parse_qsl, urlencode

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse

from awd_studio.jobstate.db import is_uuid

__all__ = ["OWNER_COOKIE", "DOCS_STATIC_URL", "OPEN_PREFIXES", "cookie_value", "credentials", "is_owner",
           "OwnerGateMiddleware", "is_share_page"]

OWNER_COOKIE = "awd_owner"
#: Where the API docs pages' scripts and styles are served from (installed with fastapi-offline, no CDN).
DOCS_STATIC_URL = "/docs-static"
#: Paths the browser loads for any page, shared or not (scripts, styles, Dash's own endpoints, the API docs).
OPEN_PREFIXES = ("/api/", "/_dash-", "/_reload-hash", "/_favicon", "/assets/", "/docs", "/redoc",
                 "/openapi.json", "/favicon.ico", DOCS_STATIC_URL)
_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept


def cookie_value(token: str) -> str:
    """The owner cookie's value for ``token`` (hex HMAC-SHA256; the token itself never leaves the server)."""
    return hmac.new(token.encode("utf-8"), b"awd-studio owner cookie", hashlib.sha256).hexdigest()


def credentials(headers, cookies, token: str) -> bool | None:
    """Check the owner credentials of one request.

    Parameters
    ----------
    headers : mapping
        Request headers (``authorization`` is read).
    cookies : mapping
        Request cookies (``awd_owner`` is read).
    token : str
        The configured owner token.

    Returns
    -------
    bool or None
        ``True`` for a matching bearer token or cookie, ``False`` when credentials were sent but are wrong,
        ``None`` when none were sent.
    """
    scheme, _, given = (headers.get("authorization") or "").partition(" ")
    cookie = cookies.get(OWNER_COOKIE)
    if scheme.lower() == "bearer" and given.strip():
        return hmac.compare_digest(given.strip().encode(), token.encode())
    if cookie:
        return hmac.compare_digest(cookie.encode(), cookie_value(token).encode())
    return None


def is_owner(connection: HTTPConnection, token: str | None) -> bool:
    """``True`` when no owner token is configured or the request carries the owner's credentials."""
    return token is None or credentials(connection.headers, connection.cookies, token) is True


def is_share_page(path: str) -> bool:
    """``True`` for ``/results/<token>`` where the token is not a job id (a read-only share link)."""
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[0] == "results" and not is_uuid(parts[1])


#: Pages anyone may read (no owner data on them): the method's help.
PUBLIC_PAGES = ("/help",)


def is_public_page(path: str) -> bool:
    """``True`` for a page of :data:`PUBLIC_PAGES` (a share link's reader follows its "?" links there)."""
    return "/" + path.strip("/") in PUBLIC_PAGES


def _page(status: int, title: str, body: str) -> HTMLResponse:
    html = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>AWD Studio · "
            f"{escape(title)}</title><meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<link rel='stylesheet' href='/assets/vendor/bootstrap.min.css'></head><body class='bg-light'>"
            "<main class='container py-5' style='max-width:40rem'><div class='card shadow-sm'>"
            f"<div class='card-body p-4' id='owner-required'><h1 class='h4'>{escape(title)}</h1>{body}"
            "</div></div></main></body></html>")
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def owner_required_page() -> HTMLResponse:
    """401: a page of this server that needs the owner's link."""
    return _page(401, "This page belongs to the owner of this AWD Studio",
                 "<p>Open the link that <code>awd serve</code> printed when it started (it ends in "
                 "<code>/?token=…</code>); this browser then remembers it.</p><p class='text-muted mb-0'>"
                 "Were you sent a link to a result? Results shared with you open without it: check that you "
                 "copied the whole link.</p>")


def wrong_token_page() -> HTMLResponse:
    """403: a ``?token=`` that is not this server's owner token."""
    return _page(403, "This link's token is not valid here",
                 "<p>The <code>token</code> in the address does not match this server's owner token. Copy the "
                 "link that <code>awd serve</code> printed again, or ask whoever runs the server for it.</p>")


class OwnerGateMiddleware:
    """ASGI middleware: turn ``?token=`` into the owner cookie, and keep non-owners off owner pages.

    API routes check the owner themselves (:func:`backend.deps.require_owner`), so that the share-token
    routes stay open; this gate covers the HTML pages, which Dash serves from one catch-all route.

    Parameters
    ----------
    app : ASGI application
    token : str or None
        The owner token; ``None`` turns the gate off.
    """

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if self.token is None or scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        path = scope.get("path", "/")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        if "token" in query and not path.startswith("/api/"):
            if not hmac.compare_digest(query["token"].encode(), self.token.encode()):
                await wrong_token_page()(scope, receive, send)
                return
            del query["token"]
            target = path + (f"?{urlencode(query)}" if query else "")
            response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
            response.set_cookie(OWNER_COOKIE, cookie_value(self.token), max_age=_COOKIE_MAX_AGE, path="/",
                                httponly=True, samesite="lax", secure=scope.get("scheme") == "https")
            await response(scope, receive, send)
            return
        if (path.startswith(OPEN_PREFIXES) or path in ("/metrics", "/api")  # each answers for itself, in JSON
                or is_share_page(path) or is_public_page(path) or is_owner(connection, self.token)):
            await self.app(scope, receive, send)
            return
        await owner_required_page()(scope, receive, send)
