"""The pack panel of the review page and the HTML download."""

from __future__ import annotations

import pytest

from reporting.models import GatePack, PackStatus
from reporting.selectors import pack_panel

pytestmark = pytest.mark.django_db


def test_the_panel_offers_the_button_to_those_who_may_request(
    client_as, decided_review, lead, buhead
):
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert "Generate gate pack" in html
    assert "No pack generated for this review yet." in html
    html = client_as(buhead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert "Generate gate pack" not in html


def test_the_panel_is_404_for_an_outsider(client_as, decided_review, outsider):
    assert client_as(outsider).get(f"/reviews/{decided_review.pk}/packs/").status_code == 404
    assert (
        client_as(outsider).post(f"/reviews/{decided_review.pk}/packs/request/").status_code == 404
    )


def test_requesting_with_htmx_answers_the_panel_with_the_download_link(
    client_as, decided_review, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(sponsor).post(
            f"/reviews/{decided_review.pk}/packs/request/", headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    pack = GatePack.objects.get()
    # The callbacks ran after the view answered (the test's transaction); the
    # next poll shows the ready pack.
    html = client_as(sponsor).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert pack.status == PackStatus.READY
    assert f'href="/packs/{pack.pk}/download/"' in html
    assert "every 2s" not in html


def test_a_plain_post_redirects_back_to_the_review(
    client_as, decided_review, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(lead).post(f"/reviews/{decided_review.pk}/packs/request/")
    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{decided_review.pk}/#gate-packs"


def test_the_panel_polls_only_while_a_pack_is_in_progress(
    client_as, decided_review, queued_pack, lead
):
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "Queued…" in html
    GatePack.objects.filter(pk=queued_pack.pk).update(
        status=PackStatus.FAILED, failure_reason="Renderer crashed."
    )
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert "every 2s" not in html
    assert "Renderer crashed." in html


def test_a_stale_pack_is_marked(client_as, ready_pack_row, decided_review, lead):
    from gates.models import GateReview

    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert "stale: the review changed since" not in html
    GateReview.objects.filter(pk=decided_review.pk).update(revision=decided_review.revision + 1)
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert "stale: the review changed since" in html


def test_the_panel_selector_keeps_its_query_count(
    decided_review, lead, django_assert_max_num_queries, queued_pack
):
    for _ in range(12):
        GatePack.objects.create(review=decided_review, review_revision=1, requested_by=lead)
    decided_review.refresh_from_db()
    # Three for the packs and the permission, and one read of the review's
    # pack data (for staleness, with the proposed conditions and the meeting's
    # attendees, and the controls its criteria and artifacts cite) whatever
    # the number of packs; value rules on criteria are one more; the Value
    # section five (cost lines, benefits, multipliers, pilot, waves).
    # 34, and one more for the custom field definitions the pack data reads;
    # one more for the use case's newest event, which keys the content hash.
    with django_assert_max_num_queries(36):
        context = pack_panel(review=decided_review, user=lead)
        [p.is_stale for p in context["packs"]]
        [p.requested_by.username for p in context["packs"]]
    assert len(context["packs"]) == 10
    assert context["pack_total"] == 13
    assert context["pack_polling"] is True
    # Until the use case's next event the content hash is kept: the packs,
    # the permission and that event.
    with django_assert_max_num_queries(4):
        again = pack_panel(review=decided_review, user=lead)
    assert [p.stale for p in again["packs"]] == [p.stale for p in context["packs"]]


def test_download_walks_the_permission_ladder(
    client, client_as, ready_pack, executive, outsider, other_sponsor, sponsor
):
    url = f"/packs/{ready_pack.pk}/download/"
    assert client.get(url).status_code == 302  # to the login page
    assert client_as(outsider).get(url).status_code == 404
    assert client_as(other_sponsor).get(url).status_code == 404
    for person in (executive, sponsor):
        response = client_as(person).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_downloading_a_pack_not_ready_says_so(client_as, queued_pack, lead):
    response = client_as(lead).get(f"/packs/{queued_pack.pk}/download/", follow=True)
    assert "The pack is not ready yet." in response.content.decode()
