"""Checks on an uploaded file before anything is stored: name, size, type.

The type is sniffed from the bytes and must agree with the extension; the
name the uploader chose is kept only as a label, never as a storage path.

The size is bounded twice. ``UploadLimitHandler``, the first of
``FILE_UPLOAD_HANDLERS``, watches every multipart body while Django parses
it: a file past its view's limit is dropped as soon as it passes the limit
(what Django had written of it to a temporary file is deleted), and a body
whose Content-Length is past what the view accepts is stopped before any of
its files is read. A view names its limit with ``@upload_limit(...)`` and
asks ``stopped_upload(request)`` what was dropped. ``check_upload`` checks
the size again for callers that are not HTTP requests.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload

from core.errors import InvalidInput

MAX_NAME_LENGTH = 150
# Room in a multipart body for its boundaries, part headers and small fields
# (a note of 1,000 characters is at most 4 KB) next to its files.
BODY_MARGIN_BYTES = 64 * 1024
_CHUNK = 64 * 1024
_TEXT_SNIFF_BYTES = 1024 * 1024

# extension -> (content type, sniffer kind)
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ooxml:word/",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml:xl/"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ooxml:ppt/",
    ),
    "csv": ("text/csv", "text"),
    "txt": ("text/plain", "text"),
    "md": ("text/markdown", "text"),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def _human_size(size: int) -> str:
    # "25 MB" for the default; a limit below 1 MB must not read "0 MB".
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return f"{size} bytes"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


def check_file_name(name: str | None) -> tuple[str, str]:
    """Return (clean name, extension) or refuse a hostile or useless name."""
    if not name or not name.strip():
        raise _refuse("The file has no name.")
    if len(name) > MAX_NAME_LENGTH:
        raise _refuse(f"The file name is longer than {MAX_NAME_LENGTH} characters.")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise _refuse("The file name contains control characters.")
    if "/" in name or "\\" in name or name in {".", ".."} or ".." in name.split("."):
        raise _refuse("The file name must not contain a path (/, \\ or ..).")
    if name.startswith(".") or name.startswith("-") or name != name.strip():
        raise _refuse("The file name must not start with a dot or dash or with spaces.")
    if "." not in name:
        raise _refuse(
            "The file name has no extension. Allowed: " + ", ".join(sorted(ALLOWED_TYPES)) + "."
        )
    extension = name.rsplit(".", 1)[1].lower()
    if extension not in ALLOWED_TYPES:
        raise _refuse(
            f"Files of type .{extension} are not accepted. Allowed: "
            + ", ".join(sorted(ALLOWED_TYPES))
            + "."
        )
    return name, extension


def _looks_like_text(stream: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    read = 0
    stream.seek(0)
    try:
        while read < _TEXT_SNIFF_BYTES:
            chunk = stream.read(_CHUNK)
            if not chunk:
                decoder.decode(b"", final=True)
                break
            read += len(chunk)
            text = decoder.decode(chunk)
            if any(ch == "\x00" or (ord(ch) < 32 and ch not in "\t\r\n\f") for ch in text):
                return False
    except UnicodeDecodeError:
        return False
    return True


def _sniff(stream: IO[bytes], kind: str) -> bool:
    stream.seek(0)
    head = stream.read(16)
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "text":
        return _looks_like_text(stream)
    if kind.startswith("ooxml:"):
        if not head.startswith(b"PK\x03\x04"):
            return False
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return False
        prefix = kind.split(":", 1)[1]
        return "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)
    return False


def check_upload(stream: IO[bytes], name: str | None, size: int | None = None) -> CheckedFile:
    """Validate an upload and return what will be recorded about it."""
    clean_name, extension = check_file_name(name)
    digest = hashlib.sha256()
    total = 0
    limit = settings.ARTIFACT_MAX_BYTES
    stream.seek(0)
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise _refuse(f"The file is larger than the {_human_size(limit)} limit.")
        digest.update(chunk)
    if total == 0:
        raise _refuse("The file is empty.")
    content_type, kind = ALLOWED_TYPES[extension]
    if not _sniff(stream, kind):
        raise _refuse(f"The file's content is not a valid .{extension} file.")
    stream.seek(0)
    return CheckedFile(
        name=clean_name,
        extension=extension,
        content_type=content_type,
        size=total,
        sha256=digest.hexdigest(),
    )


# --- Stopping an upload while it streams ---------------------------------------------


@dataclass(frozen=True)
class UploadLimit:
    """What one view accepts in a multipart body: files of at most
    ``max_file_bytes()`` each (read at request time, so a setting can change),
    at most ``max_files`` of them."""

    max_file_bytes: Callable[[], int]
    max_files: int = 1
    message: str = ""

    def file_bytes(self) -> int:
        return int(self.max_file_bytes())

    def body_bytes(self) -> int:
        return self.file_bytes() * self.max_files + BODY_MARGIN_BYTES

    def file_message(self) -> str:
        limit = _human_size(self.file_bytes())
        return self.message or f"The file is larger than the {limit} limit."

    def body_message(self) -> str:
        if self.max_files == 1:
            return self.file_message()
        return (
            f"The upload is larger than {self.max_files} files of "
            f"{_human_size(self.file_bytes())}, the most one upload may carry."
        )


ARTIFACT_LIMIT = UploadLimit(lambda: settings.ARTIFACT_MAX_BYTES)


def upload_limit[V](limit: UploadLimit) -> Callable[[V], V]:
    """Name the multipart limit of a view: a view function, or an APIView
    class. ``UploadLimitHandler`` reads it from the resolved view when the
    body is parsed, which may be before the view runs (the CSRF check reads
    the form first), so it cannot be set from inside the view."""

    def decorate(view: V) -> V:
        view.upload_limit = limit  # type: ignore[attr-defined]
        return view

    return decorate


def _limit_of(request: Any) -> UploadLimit:
    func = getattr(getattr(request, "resolver_match", None), "func", None)
    for owner in (func, getattr(func, "cls", None), getattr(func, "view_class", None)):
        limit = getattr(owner, "upload_limit", None)
        if isinstance(limit, UploadLimit):
            return limit
    return ARTIFACT_LIMIT


class UploadLimitHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: passes every chunk on to the handlers
    after it (memory, temporary file) until a file passes the limit.

    - A body whose Content-Length is past the view's limit: the upload stops
      at its first file, before a byte of it is read, and the rest of the
      body is not read (``StopUpload(connection_reset=True)``).
    - A file past the limit while it streams: ``SkipFile``; Django closes
      the file the next handler was writing, which deletes the temporary
      file, and reads the rest of that file without keeping it (at most the
      body's margin past the limit for a one-file view).

    What was dropped is kept on the handler for the view (``stopped_upload``).
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = ARTIFACT_LIMIT
        self.max_file_bytes = 0
        self.body_too_large = False
        self.dropped: list[str] = []
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 - Django's name
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        self.limit = _limit_of(self.request)
        self.max_file_bytes = self.limit.file_bytes()
        self.body_too_large = content_length > self.limit.body_bytes()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.body_too_large:
            self.dropped.append(self.file_name or "")
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_file_bytes:
            self.dropped.append(self.file_name or "")
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@dataclass(frozen=True)
class StoppedUpload:
    """Files the limit dropped from a request. ``whole_body``: the body was
    past the limit, so nothing of its files arrived."""

    message: str
    file_names: list[str] = field(default_factory=list)
    whole_body: bool = False

    def refusal(self, field_name: str = "file") -> InvalidInput:
        return InvalidInput(self.message, field=field_name)


def stopped_upload(request: Any) -> StoppedUpload | None:
    """What the upload limit dropped from this request's body, or None. Parses
    the body if nothing did yet (a Django request or a DRF one)."""
    request.FILES  # noqa: B018 - parse now, through the limit
    django_request = getattr(request, "_request", request)
    handler = next(
        (h for h in django_request.upload_handlers if isinstance(h, UploadLimitHandler)), None
    )
    if handler is None or not (handler.body_too_large or handler.dropped):
        return None
    if handler.body_too_large:
        return StoppedUpload(handler.limit.body_message(), handler.dropped, whole_body=True)
    return StoppedUpload(handler.limit.file_message(), handler.dropped)
