"""Where artifacts and packs are kept, and how a download leaves.

``stored_file_response`` answers a download the caller has already checked
permission for: the web process streams the file (from the object store,
``core.object_storage``, a chunk at a time as one GET brings it) or, with
``S3_DOWNLOAD_URL_SECONDS`` set and the file in the object store, redirects
to the object signed for that many seconds, so a large file or a slow
client does not hold a web process for the whole transfer.
``copy_stored_files`` (``manage.py copy_media_to_storage``) moves the files
one machine kept on its disk into the store; ``verify_stored_files``
(``manage.py verify_stored_files``) checks every stored file against the
sha256 recorded when it was stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as StoreConnectionError
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import models
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from s3transfer.exceptions import RetriesExceededError

logger = logging.getLogger(__name__)


# How S3 answers about an object that is not there (a HEAD has no body, so
# its code is the status).
MISSING_OBJECT_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# How it refuses the application itself: settings only the operator can mend
# (the bucket, the region, the credentials, the clock). A HEAD's refusal has
# no body either: "403", "301".
REFUSAL_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "AuthorizationHeaderMalformed",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "NoSuchBucket",
        "PermanentRedirect",
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
        "403",
        "301",
    }
)
# No credentials to ask the store with: no keys in the settings and none
# from boto3's own chain (instance role, AWS_* variables, ~/.aws), a key
# without its secret there, or a source in the chain that failed to give
# them. Only the operator can mend these too.
CREDENTIAL_ERRORS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)


def store_answer(exc: ClientError) -> tuple[str, int]:
    """The store's error code and HTTP status in a botocore ``ClientError``."""
    answer = exc.response
    return answer.get("Error", {}).get("Code", ""), answer.get("ResponseMetadata", {}).get(
        "HTTPStatusCode", 0
    )


def is_storage_unavailable(exc: BaseException | None) -> bool:
    """The object store did not answer (refused, timed out, cut off, a
    download cut short), answered that it cannot now (a 5xx: SlowDown,
    InternalError), or refused the application (``is_storage_refusal``: the
    bucket gone, the credentials refused or not there to send, until the
    operator mends them): a 503 (core.api_errors) whose warning names the
    store's answer, worth a retry, and never a 500. Another 4xx (a request
    the store finds wrong) is a fault of the application's, reported as
    one."""
    if isinstance(exc, StoreConnectionError | HTTPClientError | IncompleteReadError):
        return True
    if isinstance(exc, RetriesExceededError):
        # A file read through ``open`` whose body did not come (s3transfer's).
        return True
    if isinstance(exc, ClientError):
        return store_answer(exc)[1] >= 500 or is_storage_refusal(exc)
    return exc is not None and is_storage_refusal(exc)


def is_storage_refusal(exc: BaseException) -> bool:
    """The store refused the application (``REFUSAL_CODES``), or could not
    be asked for want of credentials (``CREDENTIAL_ERRORS``)."""
    if isinstance(exc, CREDENTIAL_ERRORS):
        return True
    return isinstance(exc, ClientError) and store_answer(exc)[0] in REFUSAL_CODES


def storage_described(storage: Storage) -> str:
    """Where ``storage`` keeps files, for an operator: the bucket and prefix
    (and the endpoint, when not AWS itself), or the directory."""
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        prefix = str(getattr(storage, "location", "")).strip("/")
        where = f"s3://{bucket}/{prefix + '/' if prefix else ''}"
        endpoint = getattr(storage, "endpoint_url", None)
        return f"{where} at {endpoint}" if endpoint else where
    location = getattr(storage, "location", None)
    return str(location) if location else type(storage).__name__


def stored_file_response(
    file: File, *, filename: str, content_type: str, label: str
) -> HttpResponse | StreamingHttpResponse:
    """The stored ``file`` as an attachment under ``filename``: streamed, or
    a redirect to the object store (see the module). A file missing from the
    storage is a 404 with a message, logged with ``label``; a store that
    does not answer, or refuses, is the 503 (``is_storage_unavailable``).
    Both are known before the response starts: the one request a streamed
    object takes is made here."""
    storage = file.storage
    seconds = settings.S3_DOWNLOAD_URL_SECONDS
    # Only the object store signs links and streams from one GET
    # (core.object_storage.ObjectStorage).
    download_url = getattr(storage, "download_url", None)
    stream = getattr(storage, "stream", None)
    try:
        if seconds > 0 and download_url is not None:
            if not storage.exists(file.name):
                raise FileNotFoundError(file.name)
            response: HttpResponse | StreamingHttpResponse = HttpResponseRedirect(
                download_url(
                    file.name, filename=filename, content_type=content_type, expire=seconds
                )
            )
        else:
            if stream is not None:
                # Sent on as it comes, its length the store's: the web process
                # never holds the whole object (``open`` would fetch it whole
                # before the first byte).
                content = stream(file.name)
                response = StreamingHttpResponse(content, content_type=content_type)
                response["Content-Length"] = str(content.size)
                # As FileResponse names it: the name's last part, quoted for
                # a browser (non-ASCII names as RFC 6266's filename*).
                response["Content-Disposition"] = content_disposition_header(
                    True, os.path.basename(filename)
                )
            else:
                response = FileResponse(
                    file.open("rb"),
                    as_attachment=True,
                    filename=filename,
                    content_type=content_type,
                )
            # The type was recorded from the content itself: a browser must not
            # second-guess it.
            response["X-Content-Type-Options"] = "nosniff"
    except FileNotFoundError:
        # A HEAD's 404 says the same of a bucket that is not there: the store
        # is asked once more, in a way its refusal can be told apart.
        confirm_missing = getattr(storage, "confirm_missing", None)
        if confirm_missing is not None:
            confirm_missing(file.name)
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


def _measure_chunks(chunks: Iterable[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _measure(handle: File) -> tuple[int, str]:
    """The size and sha256 of an open file, read once to its end."""
    return _measure_chunks(iter(lambda: handle.read(1024 * 1024), b""))


def _measure_stored(storage: Storage, name: str) -> tuple[int, str]:
    """The size and sha256 of a stored file: streamed from an object store
    (``ObjectStorage.read_chunks``, one request), else read through
    ``open``. ``FileNotFoundError`` when it is not there."""
    read_chunks = getattr(storage, "read_chunks", None)
    if read_chunks is not None:
        return _measure_chunks(read_chunks(name))
    with storage.open(name, "rb") as handle:
        return _measure(handle)


class StoredRow(NamedTuple):
    """A row that refers to a stored file."""

    model: str  # its model's label, as the audit trail names it: "gates.artifact"
    pk: int
    label: str  # how a report names it: "artifact 12 (artifacts/3/…)"
    name: str  # the file's name in the storage
    sha256: str  # recorded at upload or render; "" where the model keeps none


# How often the storage commands say how far they are (to stderr).
PROGRESS_EVERY = 10_000
Progress = Callable[[int, int], None]  # (files gone through, files in all)
# How many files the storage commands read or write at once (``--jobs``): a
# store far away answers each request in tens of milliseconds, and a million
# files one after the other take hours.
JOBS_DEFAULT = 8
JOBS_MAX = 64


def _each_in_order[Outcome](
    rows: Iterable[StoredRow], work: Callable[[StoredRow], Outcome], jobs: int
) -> Iterator[tuple[StoredRow, Future[Outcome]]]:
    """``work`` done on each row, up to ``jobs`` rows at once in threads,
    handed back in the rows' order: a caller that stops at one row's error
    has taken every row before it and none after (``--after`` goes on from
    there). ``work`` touches the storage only: the rows are read from the
    database here, in the caller's thread. Closing the iterator cancels what
    has not started and does not wait for what has, so a caller stopped by
    the store or by Ctrl-C says so at once; the process waits for those
    files as it exits (Python joins the threads)."""
    if not 1 <= jobs <= JOBS_MAX:
        raise ValueError(f"jobs must be from 1 to {JOBS_MAX}, not {jobs}")
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="stored-files")
    ahead: deque[tuple[StoredRow, Future[Outcome]]] = deque()
    try:
        for row in rows:
            ahead.append((row, pool.submit(work, row)))
            # Twice the threads: the next rows wait queued while the caller
            # takes one, so no thread idles.
            if len(ahead) >= 2 * jobs:
                yield ahead.popleft()
        while ahead:
            yield ahead.popleft()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _stored_querysets(
    after: tuple[str, int] | None = None,
) -> Iterator[tuple[type[models.Model], models.FileField, QuerySet]]:
    """Each model's rows that refer to a stored file, model after model in a
    fixed order; with ``after`` (a model's label and a pk), only the rows
    past that one."""
    started = after is None
    for model, file_field in stored_file_fields():
        rows = model._default_manager.exclude(**{file_field.name: ""})
        if not started:
            if model._meta.label_lower != after[0]:
                continue
            started = True
            rows = rows.filter(pk__gt=after[1])
        yield model, file_field, rows
    if not started:
        raise ValueError(f"{after[0]} keeps no stored files")


def stored_models() -> list[str]:
    """The labels of the models that keep stored files, as ``after`` names
    them: "gates.artifact"."""
    return [model._meta.label_lower for model, _ in stored_file_fields()]


def _stored_rows(after: tuple[str, int] | None = None) -> Iterator[StoredRow]:
    """Every file the database refers to (past ``after``)."""
    for model, file_field, rows in _stored_querysets(after):
        names = {f.name for f in model._meta.concrete_fields}
        columns = ["pk", file_field.name, *(["sha256"] if "sha256" in names else [])]
        for pk, name, *recorded in rows.order_by("pk").values_list(*columns).iterator(500):
            label = f"{model._meta.verbose_name} {pk} ({name})"
            yield StoredRow(model._meta.label_lower, pk, label, name, (recorded or [""])[0])


def _each_stored_file[Outcome](
    work: Callable[[StoredRow], Outcome],
    jobs: int,
    progress: Progress | None,
    after: tuple[str, int] | None = None,
) -> Iterator[tuple[StoredRow, Future[Outcome]]]:
    """``work`` on every file the database refers to (past ``after``), as
    ``_each_in_order`` hands it back; ``progress`` is told every
    ``PROGRESS_EVERY`` files the caller has taken and dealt with."""
    total = sum(rows.count() for _, _, rows in _stored_querysets(after)) if progress else 0
    with closing(_each_in_order(_stored_rows(after), work, jobs)) as results:
        for done, result in enumerate(results, 1):
            yield result
            # The caller asks for the next file once done with this one.
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)


def stored_names(storage: Storage) -> set[str] | None:
    """Every name ``storage`` holds, as ``save`` returned it: an object store
    listed (``ObjectStorage.names``: a request a thousand names), a directory
    walked; None for a storage that can only be asked name by name."""
    listing = getattr(storage, "names", None)
    if listing is not None:
        return set(listing())
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}
    return None


def copy_stored_files(
    source: Storage,
    target: Storage,
    *,
    dry_run: bool = False,
    report: CopyReport | None = None,
    progress: Progress | None = None,
    jobs: int = JOBS_DEFAULT,
) -> CopyReport:
    """Copy every file the database refers to from ``source`` to ``target``
    under the same name: the move from one machine's disk to an object store.

    A file already in ``target`` is left as it is, so a second run copies
    what the first did not. A file whose content no longer matches the
    sha256 recorded at upload or render is not copied (``damaged``), nor is
    one that ``source`` lacks (``missing``). What ``target`` holds is listed
    once (``stored_names``), not asked about each file. ``jobs`` files are
    copied at once. ``report`` is filled as it goes, in the rows' order, so a
    caller keeps what was done if the copy stops (the few files copied at
    the same moment as the one that failed count on the next run as there
    already)."""
    report = report if report is not None else CopyReport()
    listed = stored_names(target)
    in_target = listed.__contains__ if listed is not None else target.exists

    def copy(row: StoredRow) -> tuple[str, int]:
        """What became of ``row``'s file: "present", "missing", "damaged",
        or "copied" and its size."""
        if in_target(row.name):
            return "present", 0
        try:
            handle = source.open(row.name, "rb")
        except FileNotFoundError:
            # Stored since the listing (the application already on the store)?
            if listed is not None and target.exists(row.name):
                return "present", 0
            return "missing", 0
        # One read checks it; the copy reads it again from the start.
        with handle:
            size, digest = _measure(handle)
            if row.sha256 and digest != row.sha256:
                return "damaged", 0
            if not dry_run:
                handle.seek(0)
                stored = target.save(row.name, handle)
                if stored != row.name:
                    target.delete(stored)
                    raise RuntimeError(f"{row.label}: the target stored it as {stored}")
        return "copied", size

    with closing(_each_stored_file(copy, jobs, progress)) as copies:
        for row, done in copies:
            what, size = done.result()
            if what == "present":
                report.present += 1
            elif what == "missing":
                report.missing.append(row.label)
            elif what == "damaged":
                report.damaged.append(row.label)
            else:
                report.copied += 1
                report.copied_bytes += size
    return report


@dataclass
class VerifyReport:
    """What ``verify_stored_files`` found, file by file."""

    checked: int = 0
    checked_bytes: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    # The row's sha256 is not the one the audit trail recorded, or the trail
    # has no record of the file at all.
    unaudited: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)
    # The last file checked, as ``--after`` takes it: "gates.artifact:123",
    # and whether every row was (only the listing of ``unreferenced`` left).
    last_checked: str = ""
    rows_done: bool = False


def _audited_sha256(model: str) -> dict[str, str]:
    """The sha256 the audit trail recorded for each file of ``model`` (at
    upload, at render: the events whose payload names one), by object id;
    the latest event wins. One read of the trail per model."""
    from core.models import AuditEvent

    events = (
        AuditEvent.objects.filter(object_type=model, payload__has_key="sha256")
        .order_by("seq")
        .values_list("object_id", "payload__sha256")
    )
    return dict(events.iterator(chunk_size=5000))


def verify_stored_files(
    storage: Storage,
    *,
    unreferenced: bool = False,
    report: VerifyReport | None = None,
    progress: Progress | None = None,
    after: tuple[str, int] | None = None,
    jobs: int = JOBS_DEFAULT,
) -> VerifyReport:
    """Read every file the database refers to from ``storage`` and check it
    against the sha256 recorded at upload or render, and that sha256 against
    the one the audit trail recorded then (``manage.py verify_audit`` proves
    the trail itself): the evidence a gate decided on is still what was
    uploaded, the pack still what was rendered. With ``unreferenced``, also
    name what ``storage`` holds that no row refers to (a write whose row was
    never committed). Nothing is written or deleted; ``report`` is filled as
    it goes.

    It holds the audit trail's sha256 of one model's files at a time (about
    190 MB at a million files) and, with ``unreferenced``, every name the
    rows and the storage hold. ``after`` (a model's label and a pk, from
    ``last_checked``) goes on from where a run stopped; not with
    ``unreferenced``, which needs every row. ``jobs`` files are read at
    once; the report is filled in the rows' order all the same."""
    if unreferenced and after is not None:
        raise ValueError("listing what no row refers to needs a whole run, not one from a file on")
    report = report if report is not None else VerifyReport()
    referred: set[str] = set()
    audited_model, audited = "", {}

    def measure(row: StoredRow) -> tuple[int, str] | None:
        """The file's size and sha256; None when it is not there."""
        try:
            return _measure_stored(storage, row.name)
        except FileNotFoundError:
            return None

    with closing(_each_stored_file(measure, jobs, progress, after)) as reads:
        for row, read in reads:
            measured = read.result()
            if unreferenced:
                referred.add(row.name)
            if row.model != audited_model:  # the rows come model by model
                audited_model, audited = row.model, _audited_sha256(row.model)
            if measured is None:
                report.missing.append(row.label)
            else:
                size, digest = measured
                if row.sha256 and digest != row.sha256:
                    report.changed.append(row.label)
                report.checked += 1
                report.checked_bytes += size
            # After the read: a run the store stops here reports this row
            # once, in the run that goes on from the last one checked.
            if row.sha256 and audited.get(str(row.pk)) != row.sha256:
                report.unaudited.append(row.label)
            report.last_checked = f"{row.model}:{row.pk}"
    report.rows_done = True
    if unreferenced:
        held = stored_names(storage)
        if held is None:
            raise ValueError(f"{type(storage).__name__} cannot list what it holds")
        report.unreferenced = sorted(held - referred)
    return report
