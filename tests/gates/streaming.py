"""Multipart uploads streamed to a real HTTP server (pytest-django's live
server) with ``http.client``: the body goes out in chunks as a browser or an
API client sends it, can pause half-way, and can stop short of what its
Content-Length declares."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client

BOUNDARY = "stagegate-streamed-upload"
CHUNK = 1024 * 1024
# Any 32 letters or digits are a valid CSRF secret; the same value in the
# cookie and in the form (or the header) passes Django's check.
CSRF_TOKEN = "streamedUploadCsrfToken12345678a"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def session_cookies(user) -> str:
    """A signed-in session for ``user`` (saved in the database, which the
    live server reads) and the CSRF cookie, as one Cookie header."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"


def post_file(
    url: str,
    *,
    cookies: str,
    fields: list[tuple[str, str]],
    file_field: str,
    file_name: str,
    file_size: int,
    send_bytes: int | None = None,
    pause_after: int | None = None,
    on_pause: Callable[[], None] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """POST fields and one file of ``file_size`` bytes to ``url``. Only
    ``send_bytes`` of the file go out when given (the body then stops short of
    its declared length and the answer is read at once); ``on_pause`` runs
    once ``pause_after`` bytes of the file are out."""
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    connection.putrequest("POST", parts.path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(len(head) + file_size + len(tail)))
    connection.putheader("Cookie", cookies)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    to_send = file_size if send_bytes is None else send_bytes
    try:
        connection.send(head)
        sent = 0
        chunk = b"%PDF-" + b"0" * (CHUNK - 5)
        while sent < to_send:
            piece = chunk[: min(CHUNK, to_send - sent)]
            if pause_after is not None and sent < pause_after <= sent + len(piece):
                piece = piece[: pause_after - sent]
                connection.send(piece)
                sent += len(piece)
                if on_pause is not None:
                    on_pause()
                continue
            connection.send(piece)
            sent += len(piece)
        if send_bytes is None:
            connection.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and hung up: read what it said
    response = connection.getresponse()
    answer = Answer(response.status, dict(response.getheaders()), response.read())
    connection.close()
    return answer


def largest_file(directory: Path) -> int:
    """The size of the largest file in ``directory`` now (0 when empty)."""
    sizes = []
    for entry in directory.iterdir():
        try:
            sizes.append(entry.stat().st_size)
        except FileNotFoundError:  # deleted between the listing and the stat
            continue
    return max(sizes, default=0)
