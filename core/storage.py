"""Where artifacts and packs are kept, and how a download leaves.

``stored_file_response`` answers a download the caller has already checked
permission for: the web process streams the file or, with
``S3_DOWNLOAD_URL_SECONDS`` set and the file in the object store
(``core.object_storage``), redirects to the object signed for that many
seconds, so a large file or a slow client does not hold a web process for
the whole transfer. ``copy_stored_files``
(``manage.py copy_media_to_storage``) moves the files one machine kept on
its disk into the store.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as StoreConnectionError
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect

logger = logging.getLogger(__name__)


def is_storage_unavailable(exc: BaseException | None) -> bool:
    """The object store did not answer (refused, timed out, cut off), or
    answered that it cannot now (a 5xx: SlowDown, InternalError): worth a
    retry, so a 503 (core.api_errors) and never a 500."""
    if isinstance(exc, StoreConnectionError | HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    return False


def stored_file_response(
    file: File, *, filename: str, content_type: str, label: str
) -> HttpResponse:
    """The stored ``file`` as an attachment under ``filename``: streamed, or
    a redirect to the object store (see the module). A file missing from the
    storage is a 404 with a message, logged with ``label``."""
    storage = file.storage
    seconds = settings.S3_DOWNLOAD_URL_SECONDS
    # Only the object store signs links (core.object_storage.ObjectStorage).
    download_url = getattr(storage, "download_url", None)
    try:
        if seconds > 0 and download_url is not None:
            if not storage.exists(file.name):
                raise FileNotFoundError(file.name)
            response: HttpResponse = HttpResponseRedirect(
                download_url(
                    file.name, filename=filename, content_type=content_type, expire=seconds
                )
            )
        else:
            response = FileResponse(
                file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
            )
            # The type was recorded from the content itself: a browser must not
            # second-guess it.
            response["X-Content-Type-Options"] = "nosniff"
    except FileNotFoundError:
        logger.error("%s: stored file %s is missing", label, file.name)
        raise Http404("The stored file is missing.") from None
    response["Cache-Control"] = "private, no-store"
    return response


# --- Moving the files to another storage ------------------------------------------


@dataclass
class CopyReport:
    """What ``copy_stored_files`` did, file by file counted."""

    copied: int = 0
    copied_bytes: int = 0
    present: int = 0
    missing: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)


def stored_file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    """Every file field of the project's models kept in the default storage
    (artifacts, packs), whichever app declares it."""
    for model in apps.get_models():
        for candidate in model._meta.concrete_fields:
            if isinstance(candidate, models.FileField) and candidate.storage is default_storage:
                yield model, candidate


def _measure(handle: File) -> tuple[int, str]:
    """The size and sha256 of an open file, read once to its end."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def copy_stored_files(source: Storage, target: Storage, *, dry_run: bool = False) -> CopyReport:
    """Copy every file the database refers to from ``source`` to ``target``
    under the same name: the move from one machine's disk to an object store.

    A file already in ``target`` is left as it is, so a second run copies
    what the first did not. A file whose content no longer matches the
    sha256 recorded at upload or render is not copied (``damaged``), nor is
    one that ``source`` lacks (``missing``).

    An object store is listed once (``ObjectStorage.names``: a request a
    thousand names) rather than asked about each file; another storage is."""
    report = CopyReport()
    listing = getattr(target, "names", None)
    if listing is not None:
        listed = set(listing())
        in_target: Callable[[str], bool] = listed.__contains__
    else:
        in_target = target.exists
    for model, file_field in stored_file_fields():
        names = {f.name for f in model._meta.concrete_fields}
        columns = ["pk", file_field.name, *(["sha256"] if "sha256" in names else [])]
        rows = (
            model._default_manager.exclude(**{file_field.name: ""})
            .order_by("pk")
            .values_list(*columns)
        )
        for pk, name, *recorded in rows.iterator(chunk_size=500):
            label = f"{model._meta.verbose_name} {pk} ({name})"
            if in_target(name):
                report.present += 1
                continue
            try:
                handle = source.open(name, "rb")
            except FileNotFoundError:
                report.missing.append(label)
                continue
            # One read checks it; the copy reads it again from the start.
            with handle:
                size, digest = _measure(handle)
                if recorded and recorded[0] and digest != recorded[0]:
                    report.damaged.append(label)
                    continue
                if not dry_run:
                    handle.seek(0)
                    stored = target.save(name, handle)
                    if stored != name:
                        target.delete(stored)
                        raise RuntimeError(f"{label}: the target stored it as {stored}")
            report.copied += 1
            report.copied_bytes += size
    return report
