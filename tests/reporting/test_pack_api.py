"""The pack endpoints walk the permission ladder: invisible is 404, visible but
not allowed is 403, not ready is 409."""

from __future__ import annotations

import hashlib

import pytest

from reporting.models import GatePack, PackStatus

pytestmark = pytest.mark.django_db


def test_it_answers_202_queued_and_generates_the_pack(
    api_as, decided_review, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(sponsor).post(f"/api/v1/reviews/{decided_review.pk}/packs/")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "message"}
    assert body["status"] == "queued"
    pack = GatePack.objects.get(pk=body["id"])
    assert pack.requested_by == sponsor
    assert pack.review_revision == decided_review.revision
    assert pack.status == PackStatus.READY


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_it_answers_with_the_pack_rendered_in_the_request_and_says_so(
    api_as, decided_review, sponsor
):
    """The embedded default has no broker: the pack is rendered as the
    request commits, and the answer says what it is, not that it is queued."""
    response = api_as(sponsor).post(f"/api/v1/reviews/{decided_review.pk}/packs/")
    assert response.status_code == 202
    body = response.json()
    assert body == {
        "id": body["id"],
        "status": "ready",
        "message": f"pack #{body['id']} is generated and ready to download",
    }


def test_it_shows_the_status_with_the_download_url(api_as, ready_pack_row, lead):
    response = api_as(lead).get(f"/api/v1/packs/{ready_pack_row.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["stale"] is False
    assert body["sha256"] == ready_pack_row.sha256
    assert body["page_count"] == ready_pack_row.page_count
    assert body["failure_reason"] == ""
    assert body["download_url"].endswith(f"/api/v1/packs/{ready_pack_row.pk}/download/")


def test_it_downloads_the_pdf_as_an_attachment(api_as, ready_pack, lead):
    response = api_as(lead).get(f"/api/v1/packs/{ready_pack.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == ready_pack.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_before_ready_is_409(api_as, queued_pack, lead):
    response = api_as(lead).get(f"/api/v1/packs/{queued_pack.pk}/download/")
    assert response.status_code == 409
    assert "not ready" in response.json()["detail"]
    detail = api_as(lead).get(f"/api/v1/packs/{queued_pack.pk}/").json()
    assert detail["status"] == "queued"
    assert detail["download_url"] is None


def test_an_executive_downloads_any_pack(api_as, ready_pack_row, executive):
    assert api_as(executive).get(f"/api/v1/packs/{ready_pack_row.pk}/download/").status_code == 200


@pytest.mark.parametrize("who", ["outsider", "other_sponsor"])
def test_an_invisible_pack_is_404_everywhere(request, api_as, ready_pack_row, decided_review, who):
    client = api_as(request.getfixturevalue(who))
    assert client.get(f"/api/v1/packs/{ready_pack_row.pk}/").status_code == 404
    assert client.get(f"/api/v1/packs/{ready_pack_row.pk}/download/").status_code == 404
    assert client.post(f"/api/v1/reviews/{decided_review.pk}/packs/").status_code == 404
    assert client.get(f"/api/v1/reviews/{decided_review.pk}/packs/").status_code == 404


def test_a_reader_who_may_not_request_gets_403(api_as, decided_review, buhead, ready_pack_row):
    # The business unit head sees the use case but is no approver of Gate 2 here.
    client = api_as(buhead)
    assert client.get(f"/api/v1/packs/{ready_pack_row.pk}/download/").status_code == 200
    response = client.post(f"/api/v1/reviews/{decided_review.pk}/packs/")
    assert response.status_code == 403
    assert "request gate packs" in response.json()["detail"]


def test_anonymous_is_refused(api, ready_pack_row):
    assert api.get(f"/api/v1/packs/{ready_pack_row.pk}/").status_code in (401, 403)


def test_the_review_lists_its_packs_with_staleness(api_as, ready_pack_row, decided_review, lead):
    from gates.models import GateReview

    GateReview.objects.filter(pk=decided_review.pk).update(revision=decided_review.revision + 1)
    body = api_as(lead).get(f"/api/v1/reviews/{decided_review.pk}/packs/").json()
    assert [p["id"] for p in body] == [ready_pack_row.pk]
    assert body[0]["stale"] is True


def test_the_schema_documents_the_pack_endpoints(api_as, lead):
    response = api_as(lead).get("/api/schema/", HTTP_ACCEPT="application/json")
    text = response.content.decode()
    assert response.status_code == 200
    assert "/api/v1/reviews/{id}/packs/" in text
    assert "/api/v1/packs/{id}/download/" in text


def test_the_pack_keeps_the_request_id_of_the_click_and_the_admin_finds_it_by_it(
    api_as, client, decided_review, sponsor, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    request_id = "3c2b1a0f9e8d4c7b8a6f5e4d3c2b1a0f"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(sponsor).post(
            f"/api/v1/reviews/{decided_review.pk}/packs/", HTTP_X_REQUEST_ID=request_id
        )
    assert response.status_code == 202
    pack = GatePack.objects.get(pk=response.json()["id"])
    assert pack.request_id == request_id
    # An operator with a log line's id finds the pack it names.
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    found = client.get("/admin/reporting/gatepack/", {"q": request_id})
    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [pack]
