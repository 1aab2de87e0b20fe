"""uvicorn's access log as AWD Studio writes it: one line per page view or API call, no secrets.

A page view makes the browser fetch the page and then a dozen of Dash's scripts, its layout, its
dependencies and its callbacks. Those successful follow-up requests are dropped from the access log (a
failed one, status >= 400, is kept), so that a page view logs one line. The owner token of a
``/?token=…`` link is replaced by ``***``, and a share link's token in a path (``/results/<token>``,
``/api/results/<token>/…``, ``/api/shares/<token>``) by ``shared-`` and the first 6 hex digits of its SHA-256,
the label its files are named by, so that the log never holds a token (review 31A: every read of a shared result
wrote its token in plain text).
"""

from __future__ import annotations

import hashlib
import logging
import re

from awd_studio.jobstate.db import is_uuid

__all__ = ["QUIET_PREFIXES", "AccessLogFilter", "install_access_filter", "redact_path"]

#: Paths the pages fetch after the page itself: scripts, styles, Dash's layout and callbacks.
QUIET_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_dash-layout", "/_dash-dependencies",
                  "/_dash-update-component", "/_favicon.ico", "/_reload-hash")
_SECRET = re.compile(r"((?:^|[?&])token=)[^&#\s]*")
#: A key in a path that may be a share token: the segment after ``results/`` or ``shares/``.
_PATH_KEY = re.compile(r"^(/(?:api/)?(?:results|shares)/)([^/?#]+)")


def redact_path(path: str) -> str:
    """``path`` without secrets: ``token=`` values as ``***``, a share token in the path by its hash's label.

    Examples
    --------
    >>> redact_path("/?token=abc&x=1")
    '/?token=***&x=1'
    >>> redact_path("/api/results/hQn2xfEfNruhzNGN0roTUz4M/files")
    '/api/results/shared-148d15/files'
    >>> redact_path("/api/results/c59f8d23-0000-4000-8000-000000000000/files")  # a job's id is not a secret
    '/api/results/c59f8d23-0000-4000-8000-000000000000/files'
    """
    def label(match):
        key = match.group(2)
        if is_uuid(key):
            return match.group(0)
        return f"{match.group(1)}shared-{hashlib.sha256(key.encode()).hexdigest()[:6]}"

    return _SECRET.sub(r"\1***", _PATH_KEY.sub(label, path))


class AccessLogFilter(logging.Filter):
    """Drops the successful follow-up requests of a page view; redacts ``token=`` and names the fields.

    uvicorn's access record has ``args = (client, method, path, http_version, status)``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not (isinstance(args, tuple) and len(args) == 5):
            return True
        client, method, path, version, status = args
        path = str(path)
        if int(status) < 400 and path.startswith(QUIET_PREFIXES):
            return False
        path = redact_path(path)
        record.msg, record.args = "%s %s %s", (method, path, status)
        record.client, record.status = client, int(status)
        return True


def install_access_filter() -> None:
    """Add :class:`AccessLogFilter` to ``uvicorn.access`` once."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogFilter) for f in logger.filters):
        logger.addFilter(AccessLogFilter())
