"""An artifact over ARTIFACT_MAX_BYTES is stopped while it streams in, not
after Django has written all of it to a temporary file; a body that declares
more than the limit is refused before its file is read. Over a real HTTP
server (the live server) and through the test client."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gates.models import Artifact
from tests.gates.helpers import PDF_BYTES, artifact_type, files_under
from tests.gates.streaming import CSRF_TOKEN, largest_file, post_file, session_cookies

MB = 1024 * 1024
LIMIT_MESSAGE = "The file is larger than the 25 MB limit."


@pytest.fixture
def upload_tmp(settings, tmp_path):
    """Django's temporary upload files go here, where the test can watch them."""
    directory = tmp_path / "upload-tmp"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    settings.ARTIFACT_MAX_BYTES = 25 * MB
    return directory


class Watcher:
    """Samples the largest temporary upload file while a request runs."""

    def __init__(self, directory) -> None:
        self.directory = directory
        self.largest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.largest = max(self.largest, largest_file(self.directory))
            time.sleep(0.005)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- Over a real HTTP server ---------------------------------------------------------


def test_the_page_drops_a_file_past_the_limit_while_it_streams(
    live_server, upload_tmp, sponsor, use_case
):
    """40 MB posted from the artifacts page: the temporary file never grows
    past 25 MB (the client pauses at 30 MB so a file that kept growing would
    be seen), nothing is stored and the page says why next to the file field."""
    kind = artifact_type(1)
    with Watcher(upload_tmp) as watcher:
        answer = post_file(
            f"{live_server.url}/use-cases/{use_case.pk}/artifacts/",
            cookies=session_cookies(sponsor),
            fields=[("csrfmiddlewaretoken", CSRF_TOKEN), ("artifact_type", str(kind.pk))],
            file_field="files",
            file_name="huge.pdf",
            file_size=40 * MB,
            pause_after=30 * MB,
            on_pause=lambda: time.sleep(1.5),
        )
    assert watcher.largest <= 25 * MB
    assert answer.status == 400
    # Next to the file field, where the person chose the file.
    assert re.search(
        r'<ul class="errorlist" id="id_files_error">\s*<li>' + re.escape(LIMIT_MESSAGE),
        answer.text,
    )
    assert list(upload_tmp.iterdir()) == []
    assert not Artifact.objects.exists()


def test_the_api_refuses_a_body_declared_too_large_before_reading_it(
    live_server, upload_tmp, sponsor, use_case
):
    """A 300 MB upload: the client sends 1 MB and waits. The answer comes
    without the other 299 MB (a server that read on would never answer)."""
    answer = post_file(
        f"{live_server.url}/api/v1/use-cases/{use_case.pk}/artifacts/",
        cookies=session_cookies(sponsor),
        fields=[("artifact_type", artifact_type(1).code)],
        file_field="file",
        file_name="huge.pdf",
        file_size=300 * MB,
        send_bytes=1 * MB,
        headers={"X-CSRFToken": CSRF_TOKEN, "Accept": "application/json"},
        timeout=20,
    )
    assert answer.status == 400
    body = json.loads(answer.body)
    assert body["detail"] == LIMIT_MESSAGE
    assert list(upload_tmp.iterdir()) == []
    assert not Artifact.objects.exists()


def test_the_api_stops_a_file_just_past_the_limit(live_server, upload_tmp, sponsor, use_case):
    answer = post_file(
        f"{live_server.url}/api/v1/use-cases/{use_case.pk}/artifacts/",
        cookies=session_cookies(sponsor),
        fields=[("artifact_type", artifact_type(1).code)],
        file_field="file",
        file_name="big.pdf",
        file_size=25 * MB + 10 * 1024,
        headers={"X-CSRFToken": CSRF_TOKEN, "Accept": "application/json"},
    )
    assert answer.status == 400
    assert json.loads(answer.body)["detail"] == LIMIT_MESSAGE
    assert list(upload_tmp.iterdir()) == []
    assert not Artifact.objects.exists()


# --- Through the test client ---------------------------------------------------------------


@pytest.fixture
def small_limit(settings, upload_tmp):
    """A 1 MB limit, so the test client's in-memory bodies stay small; the
    temporary-file threshold below it, so a file streams to disk."""
    settings.ARTIFACT_MAX_BYTES = 1 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
    return upload_tmp


def test_the_api_answers_the_limit_in_the_one_error_shape(api_as, small_limit, sponsor, use_case):
    response = api_as(sponsor).post(
        f"/api/v1/use-cases/{use_case.pk}/artifacts/",
        {
            "artifact_type": artifact_type(1).code,
            "file": SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * MB),
        },
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The file is larger than the 1 MB limit."
    assert list(small_limit.iterdir()) == []
    assert not Artifact.objects.exists()


def test_the_page_stores_the_small_files_and_names_the_large_one(
    client_as, small_limit, settings, sponsor, use_case
):
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/artifacts/",
        {
            "artifact_type": artifact_type(1).pk,
            "files": [
                SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * MB),
                SimpleUploadedFile("small.pdf", PDF_BYTES),
            ],
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "big.pdf: The file is larger than the 1 MB limit." in text
    assert "small.pdf stored as" in text
    assert [a.original_name for a in Artifact.objects.all()] == ["small.pdf"]
    assert list(small_limit.iterdir()) == []
    assert len(files_under(settings.MEDIA_ROOT)) == 1


def test_the_page_answers_a_file_at_the_limit(client_as, small_limit, sponsor, use_case):
    content = PDF_BYTES + b"0" * (MB - len(PDF_BYTES))
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/artifacts/",
        {"artifact_type": artifact_type(1).pk, "files": [SimpleUploadedFile("at.pdf", content)]},
    )
    assert response.status_code == 200
    assert Artifact.objects.get().size == MB
