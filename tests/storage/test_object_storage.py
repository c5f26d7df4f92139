"""Artifacts and packs in an S3-compatible object store: written by one
process, read by another, downloaded only through the permission-checked
views, and never on the web process's own disk."""

from __future__ import annotations

import pytest
from django.test import Client

from gates.models import Artifact
from tests.gates.helpers import files_under, upload_required
from tests.workers import WORKER_TEST, wait_for

TIMEOUT_S = 90


def test_settings_from_the_environment_choose_the_object_store(object_store):
    """config/settings.py reads S3_* from the environment of a new process."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, **object_store.environment}
    env.pop("REDIS_URL", None)
    script = (
        "import django, json; django.setup();"
        "from django.core.files.storage import default_storage as s;"
        "from django.core.files.base import ContentFile;"
        "name = s.save('probe/hello.txt', ContentFile(b'hello'));"
        "print(json.dumps([type(s._wrapped).__name__, name]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        check=True,
        text=True,
    )
    backend, name = json.loads(out.stdout.strip().splitlines()[-1])
    assert backend == "S3Storage"
    assert object_store.read(f"media/{name}") == b"hello"


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


@pytest.mark.django_db(transaction=True)
def test_readyz_checks_the_object_store(on_object_store):
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["Storage"] == "OK"
    on_object_store.stop()
    down = Client().get("/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["Storage"] != "OK"


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
