"""The pages' callbacks (``POST /_dash-update-component``) were counted as writes: the browser tests' configure pages
(about 25 callbacks a view, all from the web process's own address) reached the 300 a minute in full suite runs,
and each callback answered 429 left its part of the page unfilled for good (the Start bar's line without its
"grid points", about 1 run in 3 of ``test_configure_bar.py``). They are not counted; the writes a callback makes go
through ``/api`` in process, and those still count."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from awd_studio.frontend.api_client import ApiClient, ApiError

#: A write limit no other test uses (the counts live in the session's Redis, per limit and client address).
PER_MINUTE = 2


def test_page_callbacks_do_not_count_against_the_write_limit(make_client):
    client = make_client(rate_limit_per_minute=PER_MINUTE)
    # this app has no pages (404), but a counted request past the limit is answered 429 before any route
    statuses = [client.post("/_dash-update-component", json={}).status_code for _ in range(5 * PER_MINUTE)]
    assert 429 not in statuses, statuses
    writes = [client.post("/api/examples/nope").status_code for _ in range(PER_MINUTE + 1)]
    assert writes == [404] * PER_MINUTE + [429], writes  # the callbacks took nothing of the writes' count


def test_a_callbacks_writes_through_the_api_still_count(make_client):
    """A callback's client calls the API in process (``frontend.api_client``, as the Start button's does): its
    writes reach the limit as any client's."""
    client = make_client(rate_limit_per_minute=PER_MINUTE)
    api = ApiClient(app=client.app)

    async def writes():
        statuses = []
        for _ in range(PER_MINUTE + 1):
            try:
                await api.request("POST", "/api/examples/nope")
            except ApiError as err:
                statuses.append(err.status)
        return statuses

    # in a thread of its own: a browser test run before in this process leaves Playwright's event loop running in
    # this thread (asyncio.run refuses to start beside it)
    with ThreadPoolExecutor(1) as pool:
        statuses = pool.submit(asyncio.run, writes()).result()
    assert statuses == [404] * PER_MINUTE + [429], statuses

