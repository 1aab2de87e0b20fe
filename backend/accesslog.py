"""uvicorn's access log as AWD Studio writes it: one line per page view or API call, no secrets.

A page view makes the browser fetch the page and then a dozen of Dash's scripts, its layout, its
dependencies and its callbacks. Those successful follow-up requests are dropped from the access log (a
failed one, status >= 400, is kept), so that a page view logs one line. The owner token of a
``/?token=…`` link is replaced by ``***``, so that the log never holds it.
"""

from __future__ import annotations

import logging
import re

__all__ = ["QUIET_PREFIXES", "AccessLogFilter", "install_access_filter"]

#: Paths the pages fetch after the page itself: scripts, styles, Dash's layout and callbacks.
QUIET_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_dash-layout", "/_dash-dependencies",
                  "/_dash-update-component", "/_favicon.ico", "/_reload-hash")
_SECRET = re.compile(r"((?:^|[?&])token=)[^&#\s]*")


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
        path = _SECRET.sub(r"\1***", path)
        record.msg, record.args = "%s %s %s", (method, path, status)
        record.client, record.status = client, int(status)
        return True


def install_access_filter() -> None:
    """Add :class:`AccessLogFilter` to ``uvicorn.access`` once."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogFilter) for f in logger.filters):
        logger.addFilter(AccessLogFilter())
