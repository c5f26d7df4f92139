"""Withdrawing a use case: its sponsor or a program lead, with a reason, only
before it passed any gate and while no review is under way; terminal,
read-only, audited, and still in the portfolio as Withdrawn."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from gates.models import GateReview, GateTemplate, ReviewStatus
from tests.usecases.conftest import kill, record_go
from usecases.models import Status

REASON = "The vendor tool covers it; no build needed."


def page_url(use_case) -> str:
    return reverse("usecase-withdraw", args=[use_case.pk])


def api_url(use_case) -> str:
    return reverse("api-usecase-withdraw", args=[use_case.pk])


def open_review(use_case, chair) -> GateReview:
    template = GateTemplate.objects.get(number=1)
    return GateReview.objects.create(
        use_case=use_case,
        template=template,
        template_version=template.version,
        gate_number=1,
        from_stage=template.from_stage,
        to_stage=template.to_stage,
        status=ReviewStatus.OPEN,
        chair=chair,
    )


# In the browser


def test_it_offers_withdrawal_to_the_sponsor_with_a_confirm_step(client_as, sponsor, use_case):
    client = client_as(sponsor)
    detail = client.get(use_case.get_absolute_url()).content.decode()
    assert f'href="{page_url(use_case)}"' in detail
    confirm = client.get(page_url(use_case))
    assert confirm.status_code == 200
    assert 'name="reason"' in confirm.content.decode()
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_it_lets_the_sponsor_withdraw_with_a_reason(client_as, sponsor, use_case):
    response = client_as(sponsor).post(page_url(use_case), {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == use_case.get_absolute_url()
    use_case.refresh_from_db()
    assert use_case.status == Status.WITHDRAWN
    event = AuditEvent.objects.get(action="usecase.withdrawn", use_case=use_case)
    assert event.actor == sponsor
    assert event.payload["reason"] == REASON
    page = client_as(sponsor).get(use_case.get_absolute_url()).content.decode()
    assert "This use case was withdrawn; it is read-only." in page
    assert f'href="{page_url(use_case)}"' not in page


def test_it_requires_a_reason(client_as, sponsor, use_case):
    response = client_as(sponsor).post(page_url(use_case), {"reason": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE
    assert not AuditEvent.objects.filter(action="usecase.withdrawn").exists()


@pytest.mark.parametrize("who", ["contributor", "techlead"])
def test_it_refuses_the_rest_of_the_team_with_403(client_as, use_case, who, request):
    response = client_as(request.getfixturevalue(who)).post(page_url(use_case), {"reason": REASON})
    assert response.status_code == 403
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_it_explains_a_refusal_after_a_go(client_as, sponsor, lead, use_case):
    record_go(use_case, gate=1, chair=lead, when=timezone.now())
    response = client_as(sponsor).get(page_url(use_case))
    assert response.status_code == 409
    assert "It passed Gate 1" in response.content.decode()


# The API


def test_the_api_lets_a_lead_withdraw(api_as, lead, use_case):
    response = api_as(lead).post(api_url(use_case), {"reason": REASON}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    use_case.refresh_from_db()
    assert use_case.status == Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="usecase.withdrawn", actor=lead).count() == 1


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 2001}])
def test_the_api_answers_400_without_a_reason(api_as, sponsor, use_case, body):
    response = api_as(sponsor).post(api_url(use_case), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_the_api_answers_403_to_a_contributor_and_404_to_an_outsider(
    api_as, contributor, outsider, use_case
):
    assert api_as(contributor).post(api_url(use_case), {"reason": REASON}).status_code == 403
    assert api_as(outsider).post(api_url(use_case), {"reason": REASON}).status_code == 404
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_the_api_refuses_after_a_go_with_the_reason(api_as, sponsor, lead, use_case):
    review = record_go(use_case, gate=1, chair=lead, when=timezone.now()).review
    response = api_as(sponsor).post(api_url(use_case), {"reason": REASON}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "This use case cannot be withdrawn."
    assert body["reasons"] == [
        f"It passed Gate 1 (review #{review.pk}: Go): a use case that has passed a gate is "
        "stopped by a Kill decision at its next gate."
    ]
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_the_api_refuses_while_a_review_is_open_naming_it(api_as, sponsor, lead, use_case):
    review = open_review(use_case, lead)
    response = api_as(sponsor).post(api_url(use_case), {"reason": REASON}, format="json")
    assert response.status_code == 409
    assert f"The Gate 1 review (#{review.pk}) is under way" in response.json()["reasons"][0]
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


def test_the_api_refuses_a_killed_or_withdrawn_use_case(api_as, sponsor, use_case):
    client = api_as(sponsor)
    assert client.post(api_url(use_case), {"reason": REASON}).status_code == 200
    again = client.post(api_url(use_case), {"reason": REASON})
    assert again.status_code == 409
    assert again.json()["detail"] == "This use case was withdrawn; it is read-only."
    kill(use_case)
    assert client.post(api_url(use_case), {"reason": REASON}).status_code == 409
    assert AuditEvent.objects.filter(action="usecase.withdrawn").count() == 1


def test_a_withdrawn_use_case_is_read_only(api_as, client_as, sponsor, lead, use_case):
    api_as(sponsor).post(api_url(use_case), {"reason": REASON})
    patch = api_as(lead).patch(
        reverse("api-usecase-detail", args=[use_case.pk]), {"title": "New"}, format="json"
    )
    assert patch.status_code == 409
    assert patch.json()["detail"] == "This use case was withdrawn; it is read-only."
    edit = client_as(sponsor).get(reverse("usecase-edit", args=[use_case.pk]))
    assert edit.status_code == 409
    opened = api_as(lead).post(
        reverse("api-usecase-reviews", args=[use_case.pk]), {}, format="json"
    )
    assert opened.status_code == 409
    assert opened.json()["detail"] == "This use case was withdrawn; it is read-only."
    use_case.refresh_from_db()
    assert use_case.title != "New" and use_case.status == Status.WITHDRAWN
    assert not GateReview.objects.filter(use_case=use_case).exists()
    # Nothing on its pages offers a change: no next gate, no readiness edits.
    page = client_as(lead).get(use_case.get_absolute_url()).content.decode()
    assert "Open Gate 1 review" not in page
    readiness = client_as(sponsor).get(reverse("usecase-readiness", args=[use_case.pk]))
    assert readiness.status_code == 200
    assert f'action="/use-cases/{use_case.pk}/readiness/kpis/"' not in readiness.content.decode()


def test_the_portfolio_shows_it_as_withdrawn_but_not_among_the_active(
    api_as, client_as, sponsor, lead, use_case
):
    api_as(sponsor).post(api_url(use_case), {"reason": REASON})
    everything = client_as(lead).get(reverse("portfolio")).content.decode()
    assert use_case.title in everything and "Withdrawn" in everything
    active = client_as(lead).get(reverse("portfolio"), {"status": "active"}).content.decode()
    assert use_case.title not in active
    listed = api_as(lead).get(reverse("api-usecase-list"), {"status": "withdrawn"}).json()
    assert [row["id"] for row in listed["results"]] == [use_case.pk]
