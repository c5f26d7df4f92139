"""How a download leaves the object store, and how long a store that does
not answer, or refuses the application's credentials, holds a request:
each call to the store waits at most (connect + read timeout) × tries, and
then the answer is the 503 to retry."""

from __future__ import annotations

import io
import os
import sys
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from core.api_errors import STORAGE_UNAVAILABLE
from core.models import AuditEvent
from core.object_storage import CHUNK_BYTES
from core.storage import is_storage_unavailable
from gates.models import Artifact
from tests.gates.helpers import upload_required
from tests.storage.conftest import DelayingProxy, store_requests

# Timeouts small enough for a test, and the longest a call may then take.
BOUNDS = {"connect_timeout": 1, "read_timeout": 1, "max_attempts": 2}
BOUND_S = (BOUNDS["connect_timeout"] + BOUNDS["read_timeout"]) * BOUNDS["max_attempts"]
# The test's own work around the call (the view, the database, the proxy).
MARGIN_S = 0.5


def notes(size: int) -> bytes:
    """A Markdown file of ``size`` bytes whose lines all differ."""
    lines = [b"# Evidence\n"]
    total = len(lines[0])
    while total < size:
        line = os.urandom(32).hex().encode() + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines)[:size]


def upload_notes_of(api, review, filename: str, content: bytes) -> Artifact:
    """``content`` uploaded through the API as ``filename``, evidence of the
    review's first required artifact type."""
    kind = review.artifact_requirements.first().artifact_type
    upload = api.post(
        f"/api/v1/use-cases/{review.use_case_id}/artifacts/",
        {
            "artifact_type": kind.pk,
            "file": SimpleUploadedFile(filename, content, content_type="text/markdown"),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    return Artifact.objects.get(pk=upload.json()["id"])


def test_a_download_starts_after_one_get_and_brings_back_the_upload(
    on_object_store, open_review, sponsor, api_as, client_as
):
    """The view asks the store once for the object and sends it on a chunk
    at a time, not after holding all of it."""
    content = notes(2 * CHUNK_BYTES + 12_345)
    artifact = upload_notes_of(api_as(sponsor), open_review, "Prüfbericht.md", content)

    sent = store_requests(default_storage)
    response = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert sent == ["GetObject"]
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Type"] == artifact.content_type
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Pr%C3%BCfbericht.md"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"

    chunks = list(response.streaming_content)
    assert b"".join(chunks) == content
    assert len(chunks) == 3
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES
    assert sent == ["GetObject"]


def test_a_download_the_store_takes_and_does_not_answer_is_a_503_within_the_bound(
    on_object_store, settings, open_review, sponsor, api_as
):
    """A store that answers a HEAD and holds every GET: the download is the
    503 after the GET's tries, not after s3transfer's tries of each of them."""
    artifact = upload_required(open_review, sponsor)[0]
    proxy = DelayingProxy(on_object_store.port, 60, only=b"GET ")
    on_object_store.use_with(settings, endpoint_url=proxy.url, **BOUNDS)

    started = time.monotonic()
    api = api_as(sponsor).get(f"/api/v1/artifacts/{artifact.pk}/download/")
    elapsed = time.monotonic() - started
    assert api.status_code == 503, api
    assert api.json()["detail"] == STORAGE_UNAVAILABLE
    assert elapsed <= BOUND_S + MARGIN_S, f"{elapsed:.1f} s, {proxy.held} GETs"
    assert proxy.held == BOUNDS["max_attempts"]


def test_a_download_the_store_stops_part_way_ends_short_with_one_warning(
    on_object_store, settings, open_review, sponsor, api_as, client_as, caplog
):
    """The store sends the headers and the first megabyte, then nothing: the
    download has begun (a 200 and its Content-Length), so it ends short,
    after one read timeout, its error going on so that the server ends the
    connection; one warning names the file and how far it got."""
    content = notes(3 * CHUNK_BYTES)
    artifact = upload_notes_of(api_as(sponsor), open_review, "evidence.md", content)
    proxy = DelayingProxy(on_object_store.port, 0, answers_after=CHUNK_BYTES + 64 * 1024)
    on_object_store.use_with(settings, endpoint_url=proxy.url, **BOUNDS)

    response = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(content))
    received = []
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="core.storage"), pytest.raises(Exception) as cut:  # noqa: PT011
        for chunk in response.streaming_content:
            received.append(chunk)
    elapsed = time.monotonic() - started
    assert is_storage_unavailable(cut.value), repr(cut.value)
    assert elapsed <= BOUND_S + MARGIN_S
    got = b"".join(received)
    assert 0 < len(got) < len(content) and content.startswith(got)
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.storage"]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(
        f"Object store stopped answering part-way through {artifact.file.name}, after "
        f"{len(got)} of {len(content)} bytes: "
    )
    assert warnings[0].endswith("; the download ends short")


def test_a_file_read_through_the_storage_from_a_store_that_holds_it_gives_up_within_the_bound(
    on_object_store, settings
):
    """``open`` reads through s3transfer, which has tries of its own: one."""
    name = default_storage.save("held/notes.md", ContentFile(b"# Notes\n"))
    proxy = DelayingProxy(on_object_store.port, 60, only=b"GET ")
    on_object_store.use_with(settings, endpoint_url=proxy.url, **BOUNDS)

    started = time.monotonic()
    with pytest.raises(Exception) as raised, default_storage.open(name, "rb") as handle:  # noqa: PT011
        handle.read()
    elapsed = time.monotonic() - started
    assert is_storage_unavailable(raised.value), repr(raised.value)
    assert elapsed <= BOUND_S + MARGIN_S, f"{elapsed:.1f} s, {proxy.held} GETs"
    assert proxy.held == BOUNDS["max_attempts"]


# --- Credentials the store cannot be asked with ------------------------------------


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No S3_* keys, and nothing in boto3's own chain: no AWS_* variables, no
    ~/.aws files, no instance or container role."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_S3_ACCESS_KEY_ID",
        "AWS_S3_SECRET_ACCESS_KEY",
        "AWS_S3_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path / "no-config"


@pytest.mark.parametrize(
    "chain, said",
    [
        ("empty", "Unable to locate credentials"),
        ("a credential process that fails", "the vault is sealed"),
    ],
)
def test_credentials_the_store_cannot_be_asked_with_are_a_503_that_names_them(
    chain,
    said,
    no_credentials,
    on_object_store,
    settings,
    open_review,
    sponsor,
    client_as,
    api_as,
    caplog,
):
    """No keys in the settings and none from boto3's chain (or a chain that
    fails to give them): downloads and uploads are the 503 that changes
    nothing, the warning says why, and the storage commands name the
    settings to check."""
    artifact = upload_required(open_review, sponsor)[0]
    if chain == "a credential process that fails":
        process = f"{sys.executable} -c \"raise SystemExit('{said}')\""
        no_credentials.write_text(f"[default]\ncredential_process = {process}\n")
    on_object_store.use_with(settings, access_key=None, secret_key=None)
    count, audited = Artifact.objects.count(), AuditEvent.objects.count()

    page = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert page.status_code == 503
    assert STORAGE_UNAVAILABLE in page.content.decode()
    api = api_as(sponsor).get(f"/api/v1/artifacts/{artifact.pk}/download/")
    assert api.status_code == 503
    assert api.json()["detail"] == STORAGE_UNAVAILABLE
    upload = api_as(sponsor).post(
        f"/api/v1/use-cases/{open_review.use_case_id}/artifacts/",
        {
            "artifact_type": artifact.artifact_type_id,
            "file": SimpleUploadedFile("notes.md", b"# Notes\n", content_type="text/markdown"),
        },
        format="multipart",
    )
    assert upload.status_code == 503, upload.content
    assert upload.json()["detail"] == STORAGE_UNAVAILABLE
    assert (Artifact.objects.count(), AuditEvent.objects.count()) == (count, audited)
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.storage"]
    assert len(warnings) == 3
    assert all(said in warning for warning in warnings), warnings

    with pytest.raises(CommandError) as refused:
        call_command("verify_stored_files", stdout=io.StringIO())
    message = str(refused.value)
    assert message.startswith("The object store refused (s3://")
    assert said in message
    assert message.endswith(
        "Check S3_BUCKET, S3_ENDPOINT_URL, S3_REGION and the credentials (S3_ACCESS_KEY_ID, "
        "S3_SECRET_ACCESS_KEY)."
    )
