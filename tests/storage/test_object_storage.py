"""Artifacts and packs in an S3-compatible object store: written by one
process, read by another, downloaded only through the permission-checked
views, and never on the web process's own disk."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import Message

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from django.test import Client
from s3transfer.exceptions import RetriesExceededError

from core.api_errors import STORAGE_UNAVAILABLE, STORAGE_UNAVAILABLE_REASON
from core.models import AuditEvent
from core.storage import is_storage_unavailable
from gates.models import Artifact
from tests.gates.helpers import files_under, upload_required
from tests.storage.conftest import DelayingProxy
from tests.workers import WORKER_TEST, wait_for

TIMEOUT_S = 90


def run_with_settings(env: dict[str, str], script: str) -> subprocess.CompletedProcess:
    """``script`` in a new process set up from ``env`` as the environment."""
    env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-c", f"import django, json; django.setup(); {script}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def upload_notes(api, review, artifact_type_id: int):
    """A small Markdown file uploaded through the API to ``review``'s use case."""
    return api.post(
        f"/api/v1/use-cases/{review.use_case_id}/artifacts/",
        {
            "artifact_type": artifact_type_id,
            "file": SimpleUploadedFile("notes.md", b"# Notes\n", content_type="text/markdown"),
        },
        format="multipart",
    )


def test_settings_from_the_environment_choose_the_object_store(object_store):
    """config/settings.py reads S3_* from the environment of a new process."""
    out = run_with_settings(
        {
            **object_store.environment,
            "S3_DOWNLOAD_URL_SECONDS": "45",
            "S3_PUBLIC_ENDPOINT_URL": "http://localhost:9000",
        },
        "from django.conf import settings;"
        "from django.core.files.storage import default_storage as s;"
        "from django.core.files.base import ContentFile;"
        "name = s.save('probe/hello.txt', ContentFile(b'hello'));"
        "print(json.dumps([type(s._wrapped).__name__, name, s._wrapped.public_endpoint_url,"
        " settings.S3_DOWNLOAD_URL_SECONDS]))",
    )
    assert out.returncode == 0, out.stderr
    backend, name, public, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    assert (backend, public, seconds) == ("ObjectStorage", "http://localhost:9000", 45)
    assert object_store.read(f"media/{name}") == b"hello"


@pytest.mark.parametrize(
    "environment, said",
    [
        ({"S3_DOWNLOAD_URL_SECONDS": "-1"}, "S3_DOWNLOAD_URL_SECONDS must be"),
        ({"S3_DOWNLOAD_URL_SECONDS": "3601"}, "S3_DOWNLOAD_URL_SECONDS must be"),
        ({"S3_DOWNLOAD_URL_SECONDS": "a minute"}, "S3_DOWNLOAD_URL_SECONDS must be"),
        (
            {"S3_BUCKET": "stagegate", "S3_ENDPOINT_URL": "minio:9000"},
            "S3_ENDPOINT_URL must be an http:// or https:// URL (http://minio:9000), "
            "not 'minio:9000'",
        ),
        (
            {"S3_BUCKET": "stagegate", "S3_PUBLIC_ENDPOINT_URL": "localhost:9000"},
            "S3_PUBLIC_ENDPOINT_URL must be an http:// or https:// URL",
        ),
    ],
)
def test_it_refuses_storage_settings_it_cannot_use(environment, said):
    out = run_with_settings(environment, "print('started')")
    assert out.returncode != 0
    assert "started" not in out.stdout
    assert said in out.stderr


@pytest.mark.parametrize(
    "code, status, outage",
    [
        ("NoSuchKey", 404, False),
        ("404", 404, False),
        ("NotFound", 404, False),
        ("NoSuchBucket", 404, True),
        ("AccessDenied", 403, True),
        ("403", 403, True),
        ("InvalidAccessKeyId", 403, True),
        ("SignatureDoesNotMatch", 403, True),
        ("SlowDown", 503, True),
        ("InternalError", 500, True),
        ("InvalidArgument", 400, False),
        ("EntityTooLarge", 400, False),
    ],
)
def test_which_answers_of_the_store_are_an_outage(code, status, outage):
    """A missing object is the view's 404; a refusal only the operator can
    mend, or a 5xx, is a 503; a request the store finds wrong is a fault of
    the application's, a 500 reported with its traceback."""
    answer = {
        "Error": {"Code": code, "Message": "…"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    assert is_storage_unavailable(ClientError(answer, "GetObject")) is outage


def test_a_download_whose_body_stopped_coming_is_an_outage():
    """s3transfer reads an object's body in a loop of its own tries; when the
    body stops coming it raises its own error, around botocore's."""
    stalled = ReadTimeoutError(endpoint_url="http://store/bucket/key")
    assert is_storage_unavailable(stalled)
    assert is_storage_unavailable(RetriesExceededError(stalled))
    assert not is_storage_unavailable(ValueError("a fault of the application's"))


@pytest.mark.parametrize("handed", [False, True], ids=["streamed", "handed to the store"])
def test_a_download_from_a_bucket_that_is_not_there_is_a_503_not_a_404(
    handed, on_object_store, settings, open_review, sponsor, client_as, caplog
):
    """The store answers a HEAD for an object of a missing bucket with a bare
    404, as for a missing object; the download does not say the file is gone."""
    artifact = upload_required(open_review, sponsor)[0]
    settings.S3_DOWNLOAD_URL_SECONDS = 60 if handed else 0
    on_object_store.use_with(settings, bucket_name="no-such-bucket")
    page = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert page.status_code == 503
    assert STORAGE_UNAVAILABLE in page.content.decode()
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.storage"]
    assert len(warnings) == 1 and "NoSuchBucket" in warnings[0]


def test_a_bucket_that_is_not_there_makes_an_upload_a_503_not_a_500(
    on_object_store, settings, open_review, sponsor, api_as, caplog
):
    on_object_store.use_with(settings, bucket_name="no-such-bucket")
    count = Artifact.objects.count()
    kind = open_review.artifact_requirements.first().artifact_type
    upload = upload_notes(api_as(sponsor), open_review, kind.pk)
    assert upload.status_code == 503, upload.content
    assert upload.json()["detail"] == STORAGE_UNAVAILABLE
    assert Artifact.objects.count() == count
    # The operator reads the store's own answer in the one warning.
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.storage"]
    assert len(warnings) == 1 and "NoSuchBucket" in warnings[0]


def test_uploads_go_to_the_object_store_and_come_back_through_the_view(
    on_object_store, open_review, sponsor, client_as, tmp_path
):
    artifacts = upload_required(open_review, sponsor)
    keys = on_object_store.object_keys()
    assert keys, "nothing was written to the object store"
    assert files_under(tmp_path / "web-disk") == []
    for artifact in artifacts:
        assert f"media/{artifact.file.name}" in keys

    artifact = artifacts[0]
    as_sponsor = client_as(sponsor)
    response = as_sponsor.get(f"/artifacts/{artifact.pk}/download/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == on_object_store.read(f"media/{artifact.file.name}")
    assert response["Content-Disposition"].startswith("attachment")

    # No presigned link escapes to someone who may not see the use case.
    assert Client().get(f"/artifacts/{artifact.pk}/download/").status_code == 302

    # An object gone from the store is a 404 with a message, not a 500.
    on_object_store.client().delete_object(
        Bucket=on_object_store.bucket, Key=f"media/{artifact.file.name}"
    )
    missing = as_sponsor.get(f"/artifacts/{artifact.pk}/download/")
    assert missing.status_code == 404
    assert Artifact.objects.filter(pk=artifact.pk).exists()


def test_threads_write_at_once_each_on_a_connection_of_its_own(on_object_store):
    """gunicorn's threads and the storage commands' ``--jobs``: a boto3
    resource is not to be shared between threads, a session loads the S3
    API once."""
    storage = default_storage
    together = threading.Barrier(4, timeout=20)
    used = []

    def save(n: int) -> str:
        together.wait()
        name = storage.save(f"threads/{n}.md", ContentFile(f"# Note {n}\n".encode()))
        used.append((storage.connection, storage.bucket, storage._create_session()))
        return name

    with ThreadPoolExecutor(4) as pool:
        names = list(pool.map(save, range(4)))
    for n, name in enumerate(names):
        assert on_object_store.read(f"media/{name}") == f"# Note {n}\n".encode()
    connections, buckets, sessions = zip(*used, strict=True)
    assert len({id(c) for c in connections}) == 4
    assert len({id(b) for b in buckets}) == 4
    assert len({id(s) for s in sessions}) == 1


@pytest.mark.django_db(transaction=True)
def test_readyz_checks_the_object_store(on_object_store, caplog):
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["Storage"] == "OK"
    on_object_store.stop()
    caplog.clear()
    down = Client().get("/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["Storage"] == "Unavailable"
    assert on_object_store.url not in down.content.decode()
    # The operator's side: one line naming the store and why, no traceback,
    # and the 503 a warning, as an outage the pages answer 503 to is.
    [line] = [r for r in caplog.records if r.name == "health_check"]
    assert line.levelname == "WARNING"
    assert line.exc_info is None
    said = line.getMessage()
    assert f"Storage(s3://{on_object_store.bucket}/" in said
    assert f"at {on_object_store.url})" in said
    assert "Storage unavailable (EndpointConnectionError" in said
    assert [r.levelname for r in caplog.records if r.levelno >= logging.ERROR] == []


class TestTwoProcesses:
    pytestmark = WORKER_TEST

    def test_a_pack_rendered_by_a_worker_on_another_disk_downloads_from_the_web(
        self, celery_worker, on_object_store, decided_review, lead, api_as, tmp_path
    ):
        worker_disk = tmp_path / "worker-disk"
        celery_worker.start(MEDIA_ROOT=str(worker_disk), **on_object_store.environment)
        as_lead = api_as(lead)
        response = as_lead.post(f"/api/v1/reviews/{decided_review.pk}/packs/")
        assert response.status_code == 202, response.content
        pack_id = response.json()["id"]
        done = wait_for(
            lambda: (
                (body := as_lead.get(f"/api/v1/packs/{pack_id}/").json())["status"]
                in ("ready", "failed")
                and body
            ),
            timeout=TIMEOUT_S,
            interval=0.3,
            what="the worker to render the pack into the object store",
            details=celery_worker.log_text,
        )
        assert done["status"] == "ready", (done, celery_worker.log_text())

        download = as_lead.get(f"/api/v1/packs/{pack_id}/download/")
        assert download.status_code == 200
        pdf = b"".join(download.streaming_content)
        assert pdf.startswith(b"%PDF")
        assert any(key.endswith(".pdf") for key in on_object_store.object_keys())
        # Neither process kept a copy on its own disk.
        assert files_under(worker_disk) == []
        assert files_under(tmp_path / "web-disk") == []


# --- Downloads handed to the object store (S3_DOWNLOAD_URL_SECONDS) ----------------


@pytest.fixture
def handing_downloads(on_object_store, settings):
    """Downloads redirect to the store, signed for 60 s, at the address a
    browser reaches it at: ``localhost`` where the application uses 127.0.0.1."""
    public = on_object_store.url.replace("127.0.0.1", "localhost")
    on_object_store.use_with(settings, public_endpoint_url=public)
    settings.S3_DOWNLOAD_URL_SECONDS = 60
    return public


def fetch(url: str) -> tuple[int, Message, bytes]:
    """What a browser following the redirect gets from the store (the
    headers by case-insensitive name)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def assert_handed_to_the_store(response, public: str, seconds: int = 60) -> str:
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(f"{public}/"), location
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["X-Amz-Expires"] == [str(seconds)]
    assert query["X-Amz-Signature"]
    assert response["Cache-Control"] == "private, no-store"
    return location


def test_a_download_is_handed_to_the_store_after_the_permission_check(
    handing_downloads, open_review, sponsor, outsider, client_as, api_as
):
    artifact = upload_required(open_review, sponsor)[0]
    stored = Artifact.objects.get(pk=artifact.pk)
    url = f"/artifacts/{artifact.pk}/download/"

    location = assert_handed_to_the_store(client_as(sponsor).get(url), handing_downloads)
    status, headers, body = fetch(location)
    assert status == 200
    assert body == stored.file.storage.open(stored.file.name).read()
    assert headers["Content-Type"] == stored.content_type
    assert headers["Content-Disposition"] == f'attachment; filename="{stored.original_name}"'
    assert headers["Cache-Control"] == "private, no-store"

    # The API answers the same way: the link carries no API credential.
    api = api_as(sponsor).get(f"/api/v1/artifacts/{artifact.pk}/download/")
    assert "Authorization" not in assert_handed_to_the_store(api, handing_downloads)

    # No link for someone who may not see the use case, nor for no one.
    assert client_as(outsider).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert not anonymous["Location"].startswith(handing_downloads)


def test_a_download_of_an_object_gone_from_the_store_is_a_404_not_a_link(
    handing_downloads, on_object_store, open_review, sponsor, client_as
):
    artifact = upload_required(open_review, sponsor)[0]
    on_object_store.client().delete_object(
        Bucket=on_object_store.bucket, Key=f"media/{artifact.file.name}"
    )
    missing = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert missing.status_code == 404
    assert "Location" not in missing


def test_a_pack_download_is_handed_to_the_store(handing_downloads, ready_pack, lead, client_as):
    for url in (f"/packs/{ready_pack.pk}/download/", f"/api/v1/packs/{ready_pack.pk}/download/"):
        response = client_as(lead).get(url)
        status, headers, body = fetch(assert_handed_to_the_store(response, handing_downloads))
        assert status == 200
        assert body.startswith(b"%PDF")
        assert hashlib.sha256(body).hexdigest() == ready_pack.sha256
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"].startswith("attachment; filename=")
        assert ready_pack.download_name in headers["Content-Disposition"]


def test_with_the_files_on_the_local_disk_downloads_stay_streamed(
    settings, open_review, sponsor, client_as
):
    settings.S3_DOWNLOAD_URL_SECONDS = 60
    artifact = upload_required(open_review, sponsor)[0]
    response = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == artifact.file.open("rb").read()
    assert response["X-Content-Type-Options"] == "nosniff"


def unavailable_answers(service: str) -> float:
    """The 503s counted for ``service`` at /metrics, as Prometheus reads them."""
    sample = f'stagegate_service_unavailable_responses_total{{service="{service}"}} '
    lines = Client().get("/metrics").content.decode().splitlines()
    return next((float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(sample)), 0.0)


def test_a_store_that_takes_the_request_and_does_not_answer_is_a_503_not_a_wait(
    on_object_store, settings, open_review, sponsor, api_as
):
    """Behind a proxy that holds each request 30 s, with a 1 s read timeout
    and 2 tries: boto3's own (60 s a read, 5 tries) would wait and get the
    answer; the bounded client gives up and the download is the 503."""
    artifact = upload_required(open_review, sponsor)[0]
    proxy = DelayingProxy(on_object_store.port, 30)
    on_object_store.use_with(
        settings, endpoint_url=proxy.url, connect_timeout=1, read_timeout=1, max_attempts=2
    )
    api = api_as(sponsor).get(f"/api/v1/artifacts/{artifact.pk}/download/")
    assert api.status_code == 503, api
    assert api.json()["detail"] == STORAGE_UNAVAILABLE


def test_the_store_timeouts_come_from_the_settings(object_store):
    env = {**object_store.environment, "S3_READ_TIMEOUT_SECONDS": "7", "S3_MAX_ATTEMPTS": "4"}
    script = (
        "from django.core.files.storage import default_storage as s; "
        "c = s.client_config; "
        "print(json.dumps([c.connect_timeout, c.read_timeout, c.retries]))"
    )
    done = run_with_settings(env, script)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [5, 7, {"mode": "standard", "total_max_attempts": 4}]
    refused = run_with_settings({**env, "S3_MAX_ATTEMPTS": "0"}, script)
    assert (
        "S3_CONNECT_TIMEOUT_SECONDS, S3_READ_TIMEOUT_SECONDS and S3_MAX_ATTEMPTS must be "
        "at least 1" in refused.stderr
    )


@pytest.mark.parametrize("handed", [False, True], ids=["streamed", "handed to the store"])
def test_with_the_store_down_downloads_and_uploads_are_a_503_to_retry(
    handed, on_object_store, settings, open_review, sponsor, client_as, api_as, caplog
):
    settings.S3_DOWNLOAD_URL_SECONDS = 60 if handed else 0
    artifact = upload_required(open_review, sponsor)[0]
    counted_before = unavailable_answers("object_store")
    on_object_store.stop()
    count = Artifact.objects.count()
    audited = AuditEvent.objects.count()

    page = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert STORAGE_UNAVAILABLE in page.content.decode()
    api = api_as(sponsor).get(f"/api/v1/artifacts/{artifact.pk}/download/")
    assert api.status_code == 503
    assert api.json()["detail"] == STORAGE_UNAVAILABLE
    assert api.json()["reasons"] == [STORAGE_UNAVAILABLE_REASON]

    # An upload changes nothing: no artifact row, no audit event.
    upload = upload_notes(api_as(sponsor), open_review, artifact.artifact_type_id)
    assert upload.status_code == 503, upload.content
    assert upload.json()["detail"] == STORAGE_UNAVAILABLE
    assert (Artifact.objects.count(), AuditEvent.objects.count()) == (count, audited)
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.storage"]
    assert len(warnings) == 3
    assert all(w.startswith("Object store unavailable, answered 503") for w in warnings)
    assert unavailable_answers("object_store") == counted_before + 3


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_files_sent_together_when_the_store_goes_away_between_them_are_each_accounted_for(
    htmx, on_object_store, open_review, sponsor, client_as, caplog
):
    """Four files on the artifacts page: one stored, then the store stops; one
    refused for what it is; two the store does not take. The first stays
    stored and audited; the 503 names what became of each."""
    artifact_type = open_review.artifact_requirements.first().artifact_type
    count, audited = Artifact.objects.count(), AuditEvent.objects.count()
    counted_before = unavailable_answers("object_store")
    in_store: list[str] = []

    def store_goes_away(sender, instance, created, **kwargs):
        in_store.extend(on_object_store.object_keys())
        on_object_store.stop()

    post_save.connect(store_goes_away, sender=Artifact, dispatch_uid="store-goes-away")
    try:
        response = client_as(sponsor).post(
            f"/use-cases/{open_review.use_case_id}/artifacts/",
            {
                "artifact_type": artifact_type.pk,
                "files": [
                    SimpleUploadedFile(name, b"# Notes\n", content_type="text/markdown")
                    for name in ("first.md", "setup.exe", "second.md", "third.md")
                ],
                "note": "",
            },
            headers={"HX-Request": "true"} if htmx else {},
        )
    finally:
        post_save.disconnect(dispatch_uid="store-goes-away", sender=Artifact)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    if htmx:  # in place of the page's part, not in its message area
        assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#artifacts-body", "outerHTML")
    else:
        assert "HX-Retarget" not in response
    results = response.content.decode().split('<section id="upload-results"')[1]
    stored_part, refused_part = results.split("</section>")[0].split("Not stored")
    assert f"first.md stored as {artifact_type.name} v1" in stored_part
    assert "✗ setup.exe: Files of type .exe are not accepted." in refused_part
    for name in ("second", "third"):
        assert f"✗ {name}.md: {STORAGE_UNAVAILABLE}" in refused_part
    assert "first.md" not in refused_part
    assert refused_part.count("✗") == 3

    first = Artifact.objects.get(use_case_id=open_review.use_case_id, original_name="first.md")
    assert in_store == [f"media/{first.file.name}"]
    assert Artifact.objects.count() == count + 1
    assert AuditEvent.objects.count() == audited + 1
    assert AuditEvent.objects.latest("pk").action == "artifact.uploaded"
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.storage"]
    assert len(warnings) == 1
    assert warnings[0].startswith("Object store unavailable, answered 503 to POST")
    assert unavailable_answers("object_store") == counted_before + 1


def test_a_pack_rendered_while_the_store_is_down_waits_for_it_and_is_stored_once_back(
    on_object_store, decided_review, lead
):
    from reporting import services
    from reporting.models import GatePack, PackStatus
    from reporting.tasks import MAX_RETRIES, generate_gate_pack

    on_object_store.stop()
    pack = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    # One attempt: the render is kept for no one, the pack goes back to the queue.
    with pytest.raises(Exception) as raised:
        services.pack_generate(pack_id=pack.pk)
    assert is_storage_unavailable(raised.value)
    pack.refresh_from_db()
    assert (pack.status, pack.attempts, pack.file.name) == (PackStatus.QUEUED, 1, "")

    # The store back: the task's next attempt stores it.
    on_object_store.start()
    generate_gate_pack.apply(args=[pack.pk])
    pack.refresh_from_db()
    assert (pack.status, pack.attempts) == (PackStatus.READY, 2)
    assert f"media/{pack.file.name}" in on_object_store.object_keys()

    # A store that stays away: retried, then failed with the reason, not left running.
    on_object_store.stop()
    again = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    generate_gate_pack.apply(args=[again.pk])
    again.refresh_from_db()
    assert again.status == PackStatus.FAILED
    assert again.attempts == MAX_RETRIES + 1
    assert again.failure_reason.startswith(
        f"Gave up after {MAX_RETRIES} retries: EndpointConnectionError"
    )
