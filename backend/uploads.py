"""Streamed multipart uploads: the body goes straight to temporary files, counted and hashed.

Starlette's form parser would buffer the whole body before our size check; here the limit is enforced
while the bytes arrive (HTTP 413 as soon as it is crossed) and nothing is left on disk on any failure.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request, status
from fastapi.responses import JSONResponse
from python_multipart.multipart import MultipartParser, parse_options_header

from awd_studio.backend.schemas import UploadProblem
from awd_studio.jobstate.storage import (
    DISK_FULL_DETAIL,
    Paths,
    is_disk_full,
    local_file_name,
    remove_tree,
    safe_display_name,
    safe_suffix,
)

__all__ = ["ReceivedFile", "ReceivedUpload", "UploadRefusal", "receive_upload", "upload_problem", "multipart_openapi",
           "reading_data_file", "one_at_a_time"]

_FIELD_LIMIT = 4096
_OVERHEAD = 64 * 1024


@dataclass
class ReceivedFile:
    """One received file: stored at ``path`` (named like the client's file), with its size and SHA-256."""

    path: Path
    filename: str
    suffix: str
    size: int
    sha256: str


@dataclass
class ReceivedUpload:
    """A fully received upload: its files in one temporary ``directory`` (the caller moves what it keeps,
    then calls :meth:`discard`) and its text fields."""

    directory: Path
    files: dict[str, ReceivedFile]
    fields: dict[str, str] = field(default_factory=dict)
    main: str = "file"

    @property
    def path(self) -> Path:
        """Where the main file is."""
        return self.files[self.main].path

    @property
    def filename(self) -> str:
        """The client's name of the main file."""
        return self.files[self.main].filename

    @property
    def suffix(self) -> str:
        """The main file's (lower-case) extension."""
        return self.files[self.main].suffix

    @property
    def size(self) -> int:
        """Bytes of all files together."""
        return sum(f.size for f in self.files.values())

    @property
    def sha256(self) -> str:
        """SHA-256 of the main file, or of the files' digests in field order when there are several."""
        if len(self.files) == 1:
            return self.files[self.main].sha256
        joined = "".join(f"{name}:{self.files[name].sha256};" for name in sorted(self.files))
        return hashlib.sha256(joined.encode()).hexdigest()

    def display_name(self, fallback: str) -> str:
        r"""The name to store the upload under: its ``name`` field, else the client's file name without its
        folders (``/`` or ``\``) and extension; ``fallback`` when both are blank.

        Examples
        --------
        >>> main = ReceivedFile(Path("x"), "../../../../tmp/x/pwn.npz", ".npz", 1, "")
        >>> ReceivedUpload(Path("."), {"file": main}).display_name("dataset")
        'pwn'
        >>> main.filename = "C:\\lab\\run 3.csv"
        >>> ReceivedUpload(Path("."), {"file": main}).display_name("dataset")
        'run 3'
        """
        given = self.fields.get("name")
        if given:  # the user's own words, kept as typed (the pages escape them)
            return safe_display_name(given, fallback)
        # the multipart filename is the client's to choose: "../../../../tmp/x/pwn.npz" was shown as a path
        base = safe_display_name(self.filename, "", path=True)
        return safe_display_name(base.rsplit(".", 1)[0], fallback)

    def discard(self) -> None:
        """Delete the temporary directory and everything left in it."""
        remove_tree(self.directory)


#: Locks of :func:`one_at_a_time`: ``(event loop, key)`` -> [lock, number of requests holding or awaiting it].
_LOCKS: dict[tuple[int, str], list] = {}


@asynccontextmanager
async def one_at_a_time(key: str):
    """Let one request at a time of this event loop through for ``key`` (e.g. an upload's SHA-256).

    An upload looks up its content among the stored ones, reads it in a worker thread, then stores it: without
    this, six parallel uploads of one file all found nothing and made three datasets (review 24A). Held from the
    look-up through the commit, it makes the later ones find the first's row. Locks are per event loop (an
    ``asyncio.Lock`` belongs to one) and are dropped when no request needs them; separate web processes are not
    serialised (they rarely receive the same file at the same instant, and a copy then is only a duplicate row).
    """
    slot = (id(asyncio.get_running_loop()), key)
    entry = _LOCKS.setdefault(slot, [asyncio.Lock(), 0])
    entry[1] += 1
    try:
        async with entry[0]:
            yield
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            del _LOCKS[slot]


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"file: the upload is larger than AWD_MAX_UPLOAD_MB={limit / 2**20:g} MB; upload a smaller file "
        "or ask the administrator to raise the limit",
    )


class UploadRefusal(HTTPException):
    """A 422 of :func:`receive_upload`: the upload's form is refused (a missing or empty file, an unknown field)
    before its content is read. A route whose refusals carry ``remedies`` answers it with
    :func:`upload_problem`; any other gets the app's ``{"detail"}``."""

    def __init__(self, detail: str):
        super().__init__(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def upload_problem(detail: str, remedies=()) -> JSONResponse:
    """The 422 of a data upload (``backend.schemas.UploadProblem``): ``detail`` and the upload options that would
    let the file through (``remedies``; empty where none would, e.g. for an empty file), so that every 422 of the
    route has both keys."""
    return JSONResponse(UploadProblem(detail=str(detail), remedies=list(remedies)).model_dump(),
                        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _bad(message: str) -> UploadRefusal:
    return UploadRefusal(message)


class _Receiver:
    """Parser callbacks: route each part to the temporary file or to a small text field."""

    def __init__(self, directory: Path, max_bytes: int, file_fields, allowed):
        self.directory, self.max_bytes, self.file_fields, self.allowed = directory, max_bytes, file_fields, allowed
        self.fields: dict[str, str] = {}
        self.stray_files: list[str] = []
        self.files: dict[str, dict] = {}
        self.error: HTTPException | None = None
        self.handle = None
        self.current: dict | None = None
        self.size = 0
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
        if name in self.file_fields and filename is not None:
            if name in self.files:
                self.error = _bad(f"{name}: send exactly one file in this field")
                return
            client_name = filename.decode("utf-8", "replace")
            try:
                suffix = safe_suffix(client_name, self.allowed)
            except ValueError as exc:
                self.error = HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                                           str(exc).replace("file:", f"{name}:", 1))
                return
            path = self.directory / f".part-{name}{suffix}"
            self.current = {"path": path, "filename": client_name, "suffix": suffix, "size": 0,
                            "digest": hashlib.sha256()}
            self.files[name] = self.current
            self.handle = open(path, "wb")
            self._target = "file"
        elif name and filename is None:
            self._target = name
        elif name:  # a file in a field this upload does not read
            self.stray_files.append(name)

    def part_data(self, data, start, end):
        if self.error or self._target is None:
            return
        chunk = data[start:end]
        if self._target == "file":
            self.size += len(chunk)
            if self.size > self.max_bytes:
                self.error = _too_large(self.max_bytes)
                return
            self.current["size"] += len(chunk)
            self.current["digest"].update(chunk)
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
        remove_tree(self.directory)

    def received(self, main: str) -> ReceivedUpload:
        """Give each file its client's name (the main one) or its field's name, and describe them."""
        files = {}
        for name, part in self.files.items():
            final = local_file_name(part["filename"] if name == main else name, part["suffix"])
            path = part["path"].rename(self.directory / final)
            files[name] = ReceivedFile(path=path, filename=part["filename"], suffix=part["suffix"],
                                       size=part["size"], sha256=part["digest"].hexdigest())
        return ReceivedUpload(directory=self.directory, files=files, fields=self.fields, main=main)


async def receive_upload(request: Request, *, paths: Paths, max_bytes: int, allowed,
                         file_field: str = "file", extra_file_fields=(), text_fields=(),
                         query_parameters=()) -> ReceivedUpload:
    """Stream a ``multipart/form-data`` body into a temporary directory.

    The main file is stored under the client's own file name (so that errors about it name the user's file,
    never a temporary one); optional further files (``extra_file_fields``) under their field's name.

    Parameters
    ----------
    request : fastapi.Request
        The incoming request (its body is consumed).
    paths : jobstate.storage.Paths
        Where the temporary file goes (``<data_dir>/tmp``).
    max_bytes : int
        Largest accepted file in bytes (HTTP 413 beyond it, before the rest is read).
    allowed : sequence of str
        Accepted file extensions (HTTP 415 otherwise).
    file_field : str, default="file"
        Name of the form field holding the (required) main file.
    extra_file_fields : sequence of str, default=()
        Fields that may carry one more file each (e.g. ``("y",)`` for the targets of an ``.npy``).
    text_fields : sequence of str, default=()
        The text fields the route reads. Any other field is refused (422), as JSON bodies refuse unknown keys:
        a misspelt ``tile_size`` stored maps untiled, and ``model`` sent as a form field predicted with
        another model, both without a word.
    query_parameters : sequence of str, default=()
        The route's query parameters: one sent as a form field is refused with a sentence saying it goes in the
        URL (``drop_incomplete`` is a form field of ``POST /api/datasets`` but a query parameter of predict).

    Returns
    -------
    ReceivedUpload

    Raises
    ------
    fastapi.HTTPException
        413 too large, 415 unsupported extension or content type, 422 missing or empty file,
        400 malformed or truncated body, 507 when the server's disk is full. The temporary file is removed
        in every case.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"send the file as multipart/form-data in the field {file_field!r}")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes + _OVERHEAD:
        raise _too_large(max_bytes)
    receiver = None
    try:
        receiver = _Receiver(paths.temp_dir(), max_bytes, (file_field, *extra_file_fields), allowed)
        parser = MultipartParser(boundary, receiver.callbacks())
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
            if receiver.error:
                raise receiver.error
        parser.finalize()
        if receiver.error:
            raise receiver.error
        fields = (file_field, *extra_file_fields, *text_fields)
        unknown = [name for name in (*receiver.fields, *receiver.stray_files) if name not in fields]
        in_the_url = [name for name in unknown if name in query_parameters]
        if in_the_url:
            raise _bad(f"{in_the_url[0]}: is a query parameter of this route, not a form field; put it in the URL "
                       f"(?{in_the_url[0]}=...); its form fields are {', '.join(repr(name) for name in fields)}")
        if unknown:
            raise _bad(f"{unknown[0]}: is not a field of this upload; its fields are "
                       f"{', '.join(repr(name) for name in fields)}")
        if file_field not in receiver.files:
            raise _bad(f"{file_field}: no file in the upload; send it in the multipart field {file_field!r}")
        if receiver.handle is not None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{file_field}: the upload was cut off; send it again")
        for name, part in receiver.files.items():
            if part["size"] == 0:
                raise _bad(f"{name}: the file {part['filename']!r} is empty; choose a file with data in it")
        return receiver.received(file_field)
    except HTTPException:
        if receiver is not None:
            receiver.cleanup()
        raise
    except BaseException as exc:  # malformed multipart, client disconnect, cancellation, a full disk
        if receiver is not None:
            receiver.cleanup()
        if is_disk_full(exc):
            raise HTTPException(status.HTTP_507_INSUFFICIENT_STORAGE, DISK_FULL_DETAIL) from exc
        if isinstance(exc, Exception):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"malformed multipart body: {exc}") from exc
        raise


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


@contextmanager
def reading_data_file():
    """Run the reading of an uploaded data file so that any failure is a ``ValueError`` a user can act on.

    ``ValueError`` (the readers' own, naming the field) passes through; running out of memory and any other
    exception (truncated archives, corrupt HDF5 or FITS) become one sentence, never a 500.
    """
    try:
        yield
    except ValueError:
        raise
    except MemoryError:
        raise ValueError("file: the data does not fit in memory; upload a smaller file") from None
    except Exception as exc:
        raise ValueError(f"file: could not read the file ({exc.__class__.__name__}: {exc}); check that it is "
                         "a complete, uncorrupted data file") from None
