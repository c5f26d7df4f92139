"""The artifacts page, uploads with a result per file, and the
permission-checked download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gates import services
from gates.models import Artifact
from tests.gates.helpers import PDF_BYTES, artifact_type, isolate, named_file

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def page(use_case) -> str:
    return f"/use-cases/{use_case.pk}/artifacts/"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def stored(use_case, sponsor):
    return services.artifact_upload(
        use_case=use_case,
        by=sponsor,
        artifact_type=artifact_type(1),
        file=named_file("scorecard.pdf", PDF_BYTES),
        note="First cut.",
    )


def test_it_sends_anonymous_visitors_to_sign_in(client, use_case):
    assert client.get(page(use_case)).status_code == 302


def test_it_hides_the_artifacts_of_an_invisible_use_case(client_as, outsider, use_case):
    assert client_as(outsider).get(page(use_case)).status_code == 404


def test_it_shows_the_upload_form_only_to_uploaders(
    client_as, sponsor, contributor, executive, use_case
):
    assert 'type="file"' in client_as(sponsor).get(page(use_case)).content.decode()
    assert 'type="file"' in client_as(contributor).get(page(use_case)).content.decode()
    body = client_as(executive).get(page(use_case)).content.decode()
    assert 'type="file"' not in body
    assert "Gate 1: Discovery → POC" in body


def test_it_lists_every_version_with_its_details(client_as, executive, sponsor, use_case, stored):
    services.artifact_upload(
        use_case=use_case,
        by=sponsor,
        artifact_type=artifact_type(1),
        file=named_file("scorecard-v2.pdf", PDF_BYTES + b" "),
    )
    body = client_as(executive).get(page(use_case)).content.decode()
    assert "scorecard.pdf" in body and "scorecard-v2.pdf" in body
    assert ">v1<" in body and ">v2<" in body
    assert stored.sha256[:12] in body
    assert "First cut." in body
    assert f"/artifacts/{stored.pk}/download/" in body


def test_it_limits_the_type_choice_to_active_types(client_as, sponsor, use_case):
    retired = artifact_type(1, 2)
    retired.is_active = False
    retired.save()
    body = client_as(sponsor).get(page(use_case)).content.decode()
    assert f'<option value="{artifact_type(1).pk}">' in body
    assert f'<option value="{retired.pk}">' not in body


def test_it_reports_a_result_per_file(client_as, sponsor, use_case):
    response = client_as(sponsor).post(
        page(use_case),
        {
            "artifact_type": artifact_type(2).pk,
            "files": [upload("report.pdf", PDF_BYTES), upload("evil.exe", b"MZ\x90\x00")],
            "note": "Holdout set results.",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "✓ report.pdf stored as Model performance report v1" in body
    assert "✗ evil.exe: Files of type .exe are not accepted." in body
    stored = Artifact.objects.get(use_case=use_case)
    assert (stored.original_name, stored.note) == ("report.pdf", "Holdout set results.")


def test_it_answers_an_htmx_upload_with_the_fragment(client_as, sponsor, use_case):
    response = client_as(sponsor).post(
        page(use_case),
        {"artifact_type": artifact_type(1).pk, "files": [upload("notes.md", b"# Notes\n")]},
        headers=HTMX,
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="artifacts-body">')
    assert "✓ notes.md stored as Use case scorecard v1" in body


def test_it_asks_for_at_least_one_file(client_as, sponsor, use_case):
    response = client_as(sponsor).post(page(use_case), {"artifact_type": artifact_type(1).pk})
    assert "Choose one or more files." in response.content.decode()
    assert not Artifact.objects.exists()


def test_it_refuses_an_upload_by_the_executive(client_as, executive, use_case):
    response = client_as(executive).post(
        page(use_case),
        {"artifact_type": artifact_type(1).pk, "files": [upload("notes.md", b"# Notes\n")]},
        headers=HTMX,
    )
    assert response["HX-Retarget"] == "#flash"
    assert "may upload artifacts" in response.content.decode()
    assert not Artifact.objects.exists()


def test_it_downloads_an_attachment_that_the_browser_must_not_sniff(client_as, buhead, stored):
    response = client_as(buhead).get(f"/artifacts/{stored.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scorecard.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_it_hides_a_download_from_an_outsider(client_as, outsider, stored):
    assert client_as(outsider).get(f"/artifacts/{stored.pk}/download/").status_code == 404


def test_it_sends_an_anonymous_download_to_sign_in(client, stored):
    response = client.get(f"/artifacts/{stored.pk}/download/")
    assert response.status_code == 302


def test_it_answers_404_when_the_stored_file_is_gone(client_as, lead, stored):
    stored.file.storage.delete(stored.file.name)
    assert client_as(lead).get(f"/artifacts/{stored.pk}/download/").status_code == 404
