"""Checks on an uploaded file before anything is stored: name, size, type.

The type is sniffed from the bytes and must agree with the extension; the
name the uploader chose is kept only as a label, never as a storage path.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from core.errors import InvalidInput

MAX_NAME_LENGTH = 150
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
