"""The HTTP status of the UI's pages: an address that is no page gets the not-found page with status 404.

Dash serves every page from one catch-all route, so an unknown address was answered 200 with the page that says
"Page not found" (a browser shows it; a link checker or a crawler took the address for a page). The pages are those
registered with ``dash.register_page`` (their ``path``, or ``path_template`` with ``<name>`` for any one segment).
"""

from __future__ import annotations

import re

from awd_studio.backend.auth import OPEN_PREFIXES

__all__ = ["UnknownPageStatus", "is_page"]

#: The page Dash shows for unknown addresses (``frontend/pages/not_found.py``): not a page of its own here.
_NOT_FOUND_MODULE = "not_found_404"


def _page_patterns() -> list[re.Pattern]:
    import dash

    patterns = []
    for page in dash.page_registry.values():
        if page.get("module") == _NOT_FOUND_MODULE:
            continue
        template = page.get("path_template") or page.get("path") or ""
        parts = re.split(r"(<[^>/]+>)", template)
        patterns.append(re.compile("".join("[^/]+" if p.startswith("<") else re.escape(p) for p in parts) + "/?"))
    return patterns


def is_page(path: str, patterns=None) -> bool:
    """Whether ``path`` (no query) is the address of one of the UI's pages.

    Examples
    --------
    >>> pages = [re.compile("/"), re.compile("/jobs/?"), re.compile("/jobs/[^/]+/?")]
    >>> is_page("/jobs/abc", pages), is_page("/jobs/abc/x", pages), is_page("/nope", pages)
    (True, False, False)
    """
    return any(p.fullmatch(path) for p in (patterns if patterns is not None else _page_patterns()))


class UnknownPageStatus:
    """ASGI middleware: an HTML answer 200 to a GET of an address that is no page becomes a 404 (same body: the
    not-found page). JSON, scripts, Dash's own routes and every non-200 answer pass unchanged."""

    def __init__(self, app):
        self.app = app
        self._patterns = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path") or "/"
        if path.startswith(OPEN_PREFIXES) or path == "/metrics":  # the API, its docs, Dash's routes: not pages
            await self.app(scope, receive, send)
            return

        async def send_status(message):
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = dict(message.get("headers") or [])
                if headers.get(b"content-type", b"").startswith(b"text/html") and not self._is_page(path):
                    message = {**message, "status": 404}
            await send(message)

        await self.app(scope, receive, send_status)

    def _is_page(self, path: str) -> bool:
        if self._patterns is None:  # the pages are registered when Dash is mounted, after this middleware
            try:
                patterns = _page_patterns()
            except ImportError:  # no UI: nothing to judge
                return True
            if not patterns:
                return True
            self._patterns = patterns
        return is_page(path, self._patterns)
