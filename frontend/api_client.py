"""The one client the Dash callbacks use to talk to the AWD Studio API.

Dash 4 runs its callbacks on FastAPI's event loop, so a callback must never
block on an HTTP request to its own server. The client is therefore async
(``httpx.AsyncClient``) and, by default, calls the FastAPI app *in process*
through ``httpx.ASGITransport``: the same routes, validation and errors as a
browser gets, without a network hop. Set ``AWD_API_BASE`` (for example
``http://api.internal:8050``) to call a separate API server instead.

Inside a callback, the browser's owner credentials (its ``Cookie`` and
``Authorization`` headers) travel with each API call, so the API decides what
this visitor may see: the owner everything, a share link's reader only that result.

Every method returns the decoded JSON body or raises :class:`ApiError`, whose
message is readable by a person (FastAPI's ``detail`` when present).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

import httpx
from dash import ctx
from dash.exceptions import MissingCallbackContextException

__all__ = [
    "ApiClient",
    "ApiError",
    "configure",
    "get_client",
    "error_message",
    "caller_credentials",
]

_DEFAULT_TIMEOUT = 30.0
#: Result bundles one client keeps (the latest fetched), with their ETag: :meth:`ApiClient.get_result` asks again
#: each time, and an unchanged result answers 304 without its body. A maps job's bundle is a few MB of JSON, some
#: tens of MB as Python objects.
RESULTS_KEPT = 4
#: Request headers of the browser's callback that carry its credentials to the API.
_FORWARDED = ("cookie", "authorization")
_STATE: dict[str, Any] = {"app": None, "base_url": None, "client": None}


class ApiError(RuntimeError):
    """An API call failed.

    Parameters
    ----------
    status : int
        HTTP status code, or 0 when the server could not be reached.
    message : str
        Human-readable reason (the API's ``detail`` when it gave one).
    """

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def not_found(self) -> bool:
        """True for 404 and 410 (unknown, expired or revoked)."""
        return self.status in (404, 410)


def error_message(body: Any, status: int) -> str:
    """Turn an error response body into one readable sentence.

    Parameters
    ----------
    body : Any
        Decoded JSON body (FastAPI: ``{"detail": str | list[dict]}``) or text.
    status : int
        HTTP status code, used when the body says nothing.

    Returns
    -------
    str
    """
    detail = body.get("detail", body.get("message")) if isinstance(body, dict) else body
    if isinstance(detail, list):  # pydantic validation errors
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                msg = item.get("msg", "")
                parts.append(f"{loc}: {msg}" if loc else str(msg))
            else:
                parts.append(str(item))
        detail = "; ".join(parts)
    if isinstance(detail, dict):
        detail = detail.get("message") or str(detail)
    if not detail:
        detail = {404: "not found", 413: "file too large"}.get(status, f"request failed (HTTP {status})")
    return str(detail)


def caller_credentials() -> dict[str, str]:
    """The credential headers of the browser request whose callback is running (empty outside one)."""
    try:
        headers = ctx.headers or {}
    except (MissingCallbackContextException, LookupError):  # not inside a callback (tests, scripts)
        return {}
    return {name: headers[name] for name in _FORWARDED if headers.get(name)}


class ApiClient:
    """Async JSON client for ``/api``.

    Parameters
    ----------
    base_url : str, optional
        Root of the API server (no trailing ``/api``). When None and ``app``
        is given, requests go in process to ``app``.
    app : ASGI app, optional
        The FastAPI application to call in process.
    timeout : float, default=30.0
        Seconds per request.
    """

    def __init__(self, base_url: str | None = None, app: Any = None, timeout: float = _DEFAULT_TIMEOUT):
        if base_url is None and app is None:
            raise ValueError("ApiClient: pass base_url (e.g. http://127.0.0.1:8050) or app (the FastAPI app)")
        self.base_url = base_url.rstrip("/") if base_url else "http://awd-studio.internal"
        self.app = app if base_url is None else None
        self.timeout = timeout
        self._results: OrderedDict[str, tuple[str, Any]] = OrderedDict()  # token -> (ETag, bundle), latest last

    def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app) if self.app is not None else None
        # in process, a compressed answer is only compressed and decompressed again on the event loop
        headers = {"Accept-Encoding": "identity"} if transport is not None else None
        return httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=self.timeout, headers=headers)

    async def request(self, method: str, path: str, *, json: Any = None, headers: dict | None = None) -> Any:
        """Send one request and return its JSON body.

        Parameters
        ----------
        method : str
            ``"GET"``, ``"POST"`` or ``"DELETE"``.
        path : str
            Path starting with ``/api/``.
        json : Any, optional
            Body to send as JSON.
        headers : dict, optional
            Extra headers (e.g. ``Idempotency-Key``).

        Returns
        -------
        Any
            Decoded JSON, or None for an empty body.

        Raises
        ------
        ApiError
            For any non-2xx status or when the server cannot be reached.
        """
        return _body(await self._send(method, path, json=json, headers=headers))

    async def _send(self, method: str, path: str, *, json: Any = None, headers: dict | None = None) -> httpx.Response:
        """Send one request with the caller's credentials; the response as it came (ApiError when unreachable)."""
        headers = {**caller_credentials(), **(headers or {})}
        try:
            async with self._client() as client:
                return await client.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(0, f"the API server could not be reached ({exc.__class__.__name__})") from exc

    async def session(self) -> dict:
        """``GET /api/session``: ``{owner, token_required}`` for the browser behind this callback."""
        return await self.request("GET", "/api/session")

    async def get_options(self) -> dict:
        """``GET /api/options``: the job options' choices, defaults, bounds and grid presets."""
        return await self.request("GET", "/api/options")

    # Datasets and examples -------------------------------------------------
    async def list_datasets(self) -> Any:
        """``GET /api/datasets``."""
        return await self.request("GET", "/api/datasets")

    async def get_dataset(self, dataset_id: str) -> dict:
        """``GET /api/datasets/{id}``."""
        return await self.request("GET", f"/api/datasets/{quote(str(dataset_id), safe='')}")

    async def delete_dataset(self, dataset_id: str, with_jobs: bool = False) -> Any:
        """``DELETE /api/datasets/{id}`` (``with_jobs``: also its finished jobs; else 409 when jobs used it)."""
        suffix = "?with_jobs=true" if with_jobs else ""
        return await self.request("DELETE", f"/api/datasets/{quote(str(dataset_id), safe='')}{suffix}")

    async def list_examples(self) -> Any:
        """``GET /api/examples``."""
        return await self.request("GET", "/api/examples")

    async def create_example(self, name: str) -> dict:
        """``POST /api/examples/{name}``: make a built-in example a dataset."""
        return await self.request("POST", f"/api/examples/{quote(str(name), safe='')}")

    # Teachers ---------------------------------------------------------------
    async def list_teachers(self) -> Any:
        """``GET /api/teachers``."""
        return await self.request("GET", "/api/teachers")

    async def get_teacher(self, teacher_id: str) -> Any:
        """``GET /api/teachers/{id}``: one uploaded teacher."""
        return await self.request("GET", f"/api/teachers/{quote(str(teacher_id), safe='')}")

    async def delete_teacher(self, teacher_id: str) -> Any:
        """``DELETE /api/teachers/{id}`` (409 while a queued or running job uses it)."""
        return await self.request("DELETE", f"/api/teachers/{quote(str(teacher_id), safe='')}")

    # Jobs -------------------------------------------------------------------
    async def create_job(self, payload: dict, idempotency_key: str | None = None) -> dict:
        """``POST /api/jobs`` with an optional ``Idempotency-Key`` header."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self.request("POST", "/api/jobs", json=payload, headers=headers)

    async def estimate_job(self, payload: dict) -> dict:
        """``POST /api/jobs/estimate``: ``{seconds, limit_seconds, grid_points, epochs, within_limit}``."""
        return await self.request("POST", "/api/jobs/estimate", json=payload)

    async def list_jobs(self) -> Any:
        """``GET /api/jobs``."""
        return await self.request("GET", "/api/jobs")

    async def get_job(self, job_id: str, losses: bool = True) -> dict:
        """``GET /api/jobs/{id}``; ``losses=False`` leaves out the loss history (``?losses=false``)."""
        query = "" if losses else "?losses=false"
        return await self.request("GET", f"/api/jobs/{quote(str(job_id), safe='')}{query}")

    async def cancel_job(self, job_id: str) -> dict:
        """``POST /api/jobs/{id}/cancel``."""
        return await self.request("POST", f"/api/jobs/{quote(str(job_id), safe='')}/cancel")

    async def rerun_job(self, job_id: str) -> dict:
        """``POST /api/jobs/{id}/rerun``: the new job."""
        return await self.request("POST", f"/api/jobs/{quote(str(job_id), safe='')}/rerun")

    async def delete_job(self, job_id: str) -> Any:
        """``DELETE /api/jobs/{id}`` (409 while it is queued or running)."""
        return await self.request("DELETE", f"/api/jobs/{quote(str(job_id), safe='')}")

    # Results and shares -----------------------------------------------------
    async def get_result(self, token: str) -> dict:
        """``GET /api/results/{job id or share token}``: the result bundle.

        The API is asked every time, with the caller's credentials, so it decides each time whether this visitor
        may read the result. A bundle fetched before (the last :data:`RESULTS_KEPT`) is sent as its ETag and, when
        the file is unchanged, the answer is 304 without a body: the same dict is returned again, shared by every
        caller, so it must not be changed (the results page's callbacks only read it).
        """
        token = str(token)
        kept = self._results.get(token)
        resp = await self._send("GET", f"/api/results/{quote(token, safe='')}",
                                headers={"If-None-Match": kept[0]} if kept else None)
        if resp.status_code == 304 and kept is not None:
            self._results.move_to_end(token)
            return kept[1]
        try:
            bundle = _body(resp)
        except ApiError:
            self._results.pop(token, None)  # gone, revoked or refused: nothing kept for it
            raise
        if resp.headers.get("etag") and isinstance(bundle, dict):
            self._results[token] = (resp.headers["etag"], bundle)
            self._results.move_to_end(token)
            while len(self._results) > RESULTS_KEPT:
                self._results.popitem(last=False)
        return bundle

    async def create_share(self, job_id: str, expires_in_hours: float | None = None,
                           label: str | None = None) -> dict:
        """``POST /api/jobs/{id}/share`` -> ``{id, token, url, expires, label, ...}`` (``expires_in_hours``
        None: never expires; ``label`` None or blank: an unnamed link)."""
        body = {k: v for k, v in (("expires_in_hours", expires_in_hours), ("label", label)) if v} or None
        return await self.request("POST", f"/api/jobs/{quote(str(job_id), safe='')}/share", json=body)

    async def list_shares(self, job_id: str) -> dict:
        """``GET /api/jobs/{id}/shares``: every link of the job, without tokens."""
        return await self.request("GET", f"/api/jobs/{quote(str(job_id), safe='')}/shares")

    async def revoke_share(self, share: str) -> Any:
        """``DELETE /api/shares/{id or token}``."""
        return await self.request("DELETE", f"/api/shares/{quote(str(share), safe='')}")


def _body(resp: httpx.Response) -> Any:
    """A response's decoded JSON (its text when not JSON, None when empty); ApiError for a 4xx or 5xx."""
    try:
        body = resp.json() if resp.content else None
    except ValueError:
        body = resp.text
    if resp.status_code >= 400:
        raise ApiError(resp.status_code, error_message(body, resp.status_code))
    return body


def configure(app: Any = None, base_url: str | None = None) -> ApiClient:
    """Set the client the callbacks use.

    Parameters
    ----------
    app : ASGI app, optional
        The FastAPI app to call in process (used when no base URL is set).
    base_url : str, optional
        API root; defaults to the ``AWD_API_BASE`` environment variable.

    Returns
    -------
    ApiClient
    """
    base_url = base_url or os.environ.get("AWD_API_BASE") or None
    _STATE.update(app=app, base_url=base_url, client=ApiClient(base_url=base_url, app=app))
    return _STATE["client"]


def get_client() -> ApiClient:
    """The configured client; ``AWD_API_BASE`` or ``http://127.0.0.1:8050`` if none was set."""
    if _STATE["client"] is None:
        configure(base_url=os.environ.get("AWD_API_BASE") or "http://127.0.0.1:8050")
    return _STATE["client"]
