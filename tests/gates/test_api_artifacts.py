"""The artifact endpoints: list, multipart upload, permission-checked download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gates import services
from gates.models import Artifact
from tests.gates.helpers import PDF_BYTES, artifact_type, files_under, isolate, named_file


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    return isolate(settings, tmp_path)


def path(use_case) -> str:
    return f"/api/v1/use-cases/{use_case.pk}/artifacts/"


@pytest.fixture
def stored(use_case, sponsor):
    return services.artifact_upload(
        use_case=use_case,
        by=sponsor,
        artifact_type=artifact_type(1),
        file=named_file("scorecard.pdf", PDF_BYTES),
    )


def test_it_uploads_by_type_code(api_as, sponsor, use_case):
    kind = artifact_type(1)
    response = api_as(sponsor).post(
        path(use_case),
        {"artifact_type": kind.code, "file": SimpleUploadedFile("s.pdf", PDF_BYTES), "note": "n"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["artifact_type"]["code"] == kind.code
    assert (body["version"], body["original_name"], body["size"]) == (1, "s.pdf", len(PDF_BYTES))
    assert body["download_url"] == f"/api/v1/artifacts/{body['id']}/download/"


def test_it_uploads_by_type_id_as_the_next_version(api_as, sponsor, use_case, stored):
    response = api_as(sponsor).post(
        path(use_case),
        {"artifact_type": str(stored.artifact_type_id), "file": SimpleUploadedFile("b.md", b"# B")},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "evil.exe", "content": b"MZ"}, "file", "Files of type .exe are not accepted."),
        ({"name": "fake.pdf", "content": b"hello"}, "file", "not a valid .pdf file"),
        ({"name": "empty.md", "content": b""}, "file", "empty"),
        ({"type": "no-such-type"}, "artifact_type", "Unknown artifact type"),
        ({"type": "99999999999999999999"}, "artifact_type", "Unknown artifact type"),
        ({"type": "²"}, "artifact_type", "Unknown artifact type"),
        ({"note": "x" * 1001}, "note", ""),
        ({"note": "a\x00b"}, "note", ""),
    ],
)
def test_it_refuses_bad_uploads_with_a_field_message(
    api_as, sponsor, use_case, media, data, field, message
):
    body = {
        "artifact_type": data.get("type", artifact_type(1).code),
        "file": SimpleUploadedFile(data.get("name", "ok.md"), data.get("content", b"# ok")),
    }
    if "note" in data:
        body["note"] = data["note"]
    response = api_as(sponsor).post(path(use_case), body, format="multipart")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["fields"][field])
    assert not Artifact.objects.exists()
    assert files_under(media) == []


def test_it_never_stores_a_nul_byte_from_a_file_name(api_as, sponsor, use_case):
    response = api_as(sponsor).post(
        path(use_case),
        {"artifact_type": artifact_type(1).code, "file": SimpleUploadedFile("a\x00b.md", b"# x")},
        format="multipart",
    )
    # Django's multipart parser cleans the name, or the upload check refuses
    # it: either way no 500 and no NUL in the database.
    assert response.status_code in (201, 400)
    assert all(
        "\x00" not in name for name in Artifact.objects.values_list("original_name", flat=True)
    )


def test_it_refuses_a_missing_file(api_as, sponsor, use_case):
    response = api_as(sponsor).post(
        path(use_case), {"artifact_type": artifact_type(1).code}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_it_refuses_a_retired_type(api_as, sponsor, use_case):
    retired = artifact_type(1)
    retired.is_active = False
    retired.save()
    response = api_as(sponsor).post(
        path(use_case),
        {"artifact_type": retired.code, "file": SimpleUploadedFile("a.md", b"# a")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "artifact_type" in response.json()["fields"]


@pytest.mark.parametrize(
    ("who", "status"), [("executive", 403), ("buhead", 403), ("outsider", 404), ("lead", 201)]
)
def test_it_lets_only_uploaders_upload(api_as, request, use_case, who, status):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        path(use_case),
        {"artifact_type": artifact_type(1).code, "file": SimpleUploadedFile("a.md", b"# a")},
        format="multipart",
    )
    assert response.status_code == status


def test_it_refuses_a_json_upload(api_as, sponsor, use_case):
    response = api_as(sponsor).post(path(use_case), {"artifact_type": "x"}, format="json")
    assert response.status_code == 415


def test_it_lists_every_version_for_a_reader(api_as, executive, sponsor, use_case, stored):
    services.artifact_upload(
        use_case=use_case,
        by=sponsor,
        artifact_type=artifact_type(1),
        file=named_file("scorecard2.pdf", PDF_BYTES),
    )
    response = api_as(executive).get(path(use_case))
    assert response.status_code == 200
    assert [(a["original_name"], a["version"]) for a in response.json()["results"]] == [
        ("scorecard2.pdf", 2),
        ("scorecard.pdf", 1),
    ]


def test_it_hides_the_list_from_an_outsider(api_as, outsider, use_case):
    assert api_as(outsider).get(path(use_case)).status_code == 404


def test_it_downloads_an_attachment_with_nosniff(api_as, techlead, stored):
    response = api_as(techlead).get(
        f"/api/v1/artifacts/{stored.pk}/download/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scorecard.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_it_hides_a_download_from_an_outsider(api_as, outsider, stored):
    response = api_as(outsider).get(f"/api/v1/artifacts/{stored.pk}/download/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "reasons": [], "fields": {}}


def test_it_refuses_an_anonymous_download(api, stored):
    assert api.get(f"/api/v1/artifacts/{stored.pk}/download/").status_code in (401, 403)
