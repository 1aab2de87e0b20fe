"""Which result the results page shows, and the bundle its callbacks draw from.

The page's store ``results-core`` holds only the shown result's key, ``{"token": <job id or share token>}``, set
once the result has loaded. Every callback that draws from the result gets the bundle from the API with
:func:`shown_bundle`, not from the browser. A Dash callback receives its inputs and states in the request's body,
so a store that held the bundle was sent back with every click: for a maps job, 0.7 MB per callback reading the
bundle without its activation maps and 2.0-2.6 MB per callback reading those, about 10 MB for one page load and
4.6 MB for one change of the test example (review 49A). The API is asked with the visitor's own credentials each
time, and it answers 304 without a body while the result is unchanged
(:meth:`frontend.api_client.ApiClient.get_result`).
"""

from __future__ import annotations

from awd_studio.frontend.api_client import ApiError, get_client

__all__ = ["CORE", "shown", "shown_token", "shown_bundle"]

#: The store that names the shown result (tests/e2e and the panels read it).
CORE = "results-core"


def shown(token: str) -> dict:
    """The value of the :data:`CORE` store for a loaded result.

    Examples
    --------
    >>> shown("0123abcd-0000-4000-8000-000000000000")
    {'token': '0123abcd-0000-4000-8000-000000000000'}
    """
    return {"token": str(token)}


def shown_token(value) -> str | None:
    """The key a :data:`CORE` store's value names, or None (no result loaded, or a value that is not one).

    Examples
    --------
    >>> shown_token({"token": "abc"}), shown_token(None), shown_token({"grid": []})
    ('abc', None, None)
    """
    token = value.get("token") if isinstance(value, dict) else None
    return token if isinstance(token, str) and token else None


async def shown_bundle(value) -> dict | None:
    """The result bundle a :data:`CORE` store's value names, read through the API with this visitor's credentials
    (None when it names none, or the API refuses it: revoked, deleted, not this visitor's). The dict is shared by
    every callback that reads the same result: read it, never change it."""
    token = shown_token(value)
    if token is None:
        return None
    try:
        bundle = await get_client().get_result(token)
    except ApiError:
        return None
    return bundle if isinstance(bundle, dict) else None
