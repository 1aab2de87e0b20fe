"""Streamed multipart uploads: the body goes straight to a temporary file, counted and hashed.

Starlette's form parser would buffer the whole body before our size check; here the limit is enforced
while the bytes arrive (HTTP 413 as soon as it is crossed) and nothing is left on disk on any failure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request, status
from python_multipart.multipart import MultipartParser, parse_options_header

from backend.storage import Paths, safe_suffix

__all__ = ["ReceivedUpload", "receive_upload", "multipart_openapi"]

_FIELD_LIMIT = 4096
_OVERHEAD = 64 * 1024


@dataclass
class ReceivedUpload:
    """A fully received upload: temporary ``path`` (the caller moves or deletes it) and form fields."""

    path: Path
    filename: str
    suffix: str
    size: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        """Delete the temporary file."""
        self.path.unlink(missing_ok=True)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"file: the upload is larger than AWD_MAX_UPLOAD_MB={limit / 2**20:g} MB; upload a smaller file "
        "or ask the administrator to raise the limit",
    )


def _bad(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


class _Receiver:
    """Parser callbacks: route each part to the temporary file or to a small text field."""

    def __init__(self, paths: Paths, max_bytes: int, file_field: str, allowed):
        self.paths, self.max_bytes, self.file_field, self.allowed = paths, max_bytes, file_field, allowed
        self.fields: dict[str, str] = {}
        self.error: HTTPException | None = None
        self.handle = None
        self.path: Path | None = None
        self.filename = ""
        self.suffix = ""
        self.size = 0
        self.digest = hashlib.sha256()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._target = None  # "file", a field name, or None (ignored part)
        self._buffer = bytearray()

    def callbacks(self):
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self._add("_header_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_header_value", d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def _add(self, name, data):
        setattr(self, name, getattr(self, name) + data)

    def part_begin(self):
        self._headers, self._target, self._buffer = {}, None, bytearray()

    def header_end(self):
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field, self._header_value = b"", b""

    def headers_finished(self):
        if self.error:
            return
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if name == self.file_field and filename is not None:
            if self.handle is not None or self.path is not None:
                self.error = _bad(f"{self.file_field}: send exactly one file")
                return
            self.filename = filename.decode("utf-8", "replace")
            try:
                self.suffix = safe_suffix(self.filename, self.allowed)
            except ValueError as exc:
                self.error = HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc))
                return
            self.path = self.paths.temp_file(self.suffix)
            self.handle = open(self.path, "wb")
            self._target = "file"
        elif name and filename is None:
            self._target = name

    def part_data(self, data, start, end):
        if self.error or self._target is None:
            return
        chunk = data[start:end]
        if self._target == "file":
            self.size += len(chunk)
            if self.size > self.max_bytes:
                self.error = _too_large(self.max_bytes)
                return
            self.digest.update(chunk)
            self.handle.write(chunk)
        else:
            self._buffer.extend(chunk)
            if len(self._buffer) > _FIELD_LIMIT:
                self.error = _bad(f"{self._target}: form field longer than {_FIELD_LIMIT} bytes")

    def part_end(self):
        if self._target == "file" and self.handle is not None:
            self.handle.close()
            self.handle = None
        elif self._target and not self.error:
            self.fields[self._target] = self._buffer.decode("utf-8", "replace")
        self._target = None

    def cleanup(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def receive_upload(request: Request, *, paths: Paths, max_bytes: int, allowed,
                         file_field: str = "file") -> ReceivedUpload:
    """Stream a ``multipart/form-data`` body into a temporary file.

    Parameters
    ----------
    request : fastapi.Request
        The incoming request (its body is consumed).
    paths : backend.storage.Paths
        Where the temporary file goes (``<data_dir>/tmp``).
    max_bytes : int
        Largest accepted file in bytes (HTTP 413 beyond it, before the rest is read).
    allowed : sequence of str
        Accepted file extensions (HTTP 415 otherwise).
    file_field : str, default="file"
        Name of the form field holding the file.

    Returns
    -------
    ReceivedUpload

    Raises
    ------
    fastapi.HTTPException
        413 too large, 415 unsupported extension or content type, 422 missing or empty file,
        400 malformed or truncated body. The temporary file is removed in every case.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"send the file as multipart/form-data in the field {file_field!r}")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes + _OVERHEAD:
        raise _too_large(max_bytes)
    receiver = _Receiver(paths, max_bytes, file_field, allowed)
    parser = MultipartParser(boundary, receiver.callbacks())
    finished = False
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
            if receiver.error:
                raise receiver.error
        parser.finalize()
        finished = receiver.handle is None
        if receiver.error:
            raise receiver.error
        if receiver.path is None:
            raise _bad(f"{file_field}: no file in the upload; send it in the multipart field {file_field!r}")
        if not finished:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{file_field}: the upload was cut off; send it again")
        if receiver.size == 0:
            raise _bad(f"{file_field}: the file is empty; choose a file with data in it")
    except HTTPException:
        receiver.cleanup()
        raise
    except BaseException as exc:  # malformed multipart, client disconnect, cancellation
        receiver.cleanup()
        if isinstance(exc, Exception):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"malformed multipart body: {exc}") from exc
        raise
    return ReceivedUpload(path=receiver.path, filename=receiver.filename, suffix=receiver.suffix,
                          size=receiver.size, sha256=receiver.digest.hexdigest(), fields=receiver.fields)


def multipart_openapi(extra_fields: dict[str, dict] | None = None, required=("file",)) -> dict:
    """``openapi_extra`` describing a multipart body with a binary ``file`` and text fields."""
    properties = {"file": {"type": "string", "format": "binary"}}
    properties.update(extra_fields or {})
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": properties, "required": list(required)}}},
        }
    }
