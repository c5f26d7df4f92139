"""A use case title is one line: a line break is refused on every way in, and
a title stored with one before (legacy data) no longer stops its e-mails."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Kind, Notification
from notifications.services import Draft, notification_email, notifications_create
from usecases.models import UseCase

BROKEN = "Claims triage\nBcc: everyone@example.com"
MESSAGE = "Use a single line without line breaks or control characters."


def test_the_api_refuses_a_title_with_a_line_break(api_as, sponsor, use_case, business_unit):
    api = api_as(sponsor)
    created = api.post(
        "/api/v1/use-cases/",
        {"title": BROKEN, "summary": "Triage claims.", "business_unit": business_unit.pk},
        format="json",
    )
    edited = api.patch(f"/api/v1/use-cases/{use_case.pk}/", {"title": BROKEN}, format="json")

    assert created.status_code == edited.status_code == 400
    assert created.json()["fields"]["title"] == edited.json()["fields"]["title"] == [MESSAGE]
    assert not UseCase.objects.filter(title=BROKEN).exists()


def test_the_form_shows_it_next_to_the_title(client_as, sponsor, use_case):
    response = client_as(sponsor).post(
        reverse("usecase-edit", args=[use_case.pk]),
        {
            "title": BROKEN,
            "summary": use_case.summary,
            "business_unit": use_case.business_unit_id,
            "risk_tier": use_case.risk_tier,
        },
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"


@pytest.mark.django_db
def test_a_legacy_title_with_a_line_break_still_sends_its_email(sponsor, use_case):
    UseCase.objects.filter(pk=use_case.pk).update(title=BROKEN)  # stored before the rule
    sponsor.email = "sam@example.com"
    sponsor.save()

    notifications_create(
        [Draft(sponsor.pk, Kind.PACK_READY, "pack", 1, "", f"Gate pack ready: {BROKEN}", "Body")]
    )

    notification = Notification.objects.get()
    assert "\n" not in notification.subject
    message = notification_email(notification).message()  # raises BadHeaderError on a newline
    assert message["Subject"] == "Gate pack ready: Claims triage Bcc: everyone@example.com"
