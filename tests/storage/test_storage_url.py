"""STORAGE_URL: where artifacts and packs go, in one setting (config/settings.py
``storage_url``), read from the environment of a new process as a machine
starts with it."""

from __future__ import annotations

import json

import pytest

from tests.storage.test_object_storage import run_with_settings

SAVED = (
    "from django.core.files.storage import default_storage as s;"
    "from django.core.files.base import ContentFile;"
    "name = s.save('probe/hello.txt', ContentFile(b'hello'));"
    "print(json.dumps([type(s._wrapped).__name__, name]))"
)


def _saved(out) -> tuple[str, str]:
    assert out.returncode == 0, out.stderr
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def test_an_s3_url_names_the_bucket_and_prefix_of_the_object_store(object_store):
    store = {**object_store.environment}
    del store["S3_BUCKET"], store["S3_PREFIX"]
    out = run_with_settings(
        {**store, "STORAGE_URL": f"s3://{object_store.bucket}/stagegate/files/"}, SAVED
    )
    backend, name = _saved(out)
    assert backend == "ObjectStorage"
    assert object_store.read(f"stagegate/files/{name}") == b"hello"


def test_a_file_url_names_the_directory(tmp_path):
    out = run_with_settings({"STORAGE_URL": f"file://{tmp_path}/media"}, SAVED)
    backend, name = _saved(out)
    assert backend == "FileSystemStorage"
    assert (tmp_path / "media" / name).read_bytes() == b"hello"


@pytest.mark.parametrize(
    "environment, said",
    [
        ({"STORAGE_URL": "minio:9000/stagegate"}, "STORAGE_URL='minio:9000/stagegate': an object"),
        ({"STORAGE_URL": "s3:///media"}, "or a directory (file:///srv/stagegate/media)"),
        ({"STORAGE_URL": "s3://stagegate?region=eu"}, "STORAGE_URL='s3://stagegate?region=eu'"),
        ({"STORAGE_URL": "file://host/srv/media"}, "STORAGE_URL='file://host/srv/media'"),
        (
            {"STORAGE_URL": "s3://stagegate/media", "S3_BUCKET": "other"},
            "STORAGE_URL and S3_BUCKET both say where the files go: give one",
        ),
        (
            {"STORAGE_URL": "file:///srv/media", "MEDIA_ROOT": "/srv/other"},
            "STORAGE_URL and MEDIA_ROOT both say where the files go: give one",
        ),
    ],
)
def test_it_refuses_a_storage_url_it_cannot_use(environment, said):
    out = run_with_settings(environment, "print('started')")
    assert out.returncode != 0
    assert "started" not in out.stdout
    assert said in out.stderr
