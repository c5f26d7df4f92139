"""The decision carries the gate meeting it was taken in: the day, who
attended, guests without an account and the minutes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from core.models import AuditEvent
from gates import services
from gates.models import Decision, GateReview, ReviewStatus
from tests.factories import UserFactory
from tests.gates.helpers import approve_all

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def approved(submitted_review):
    approve_all(submitted_review)
    submitted_review.refresh_from_db()
    return submitted_review


def test_the_decision_records_the_meeting(approved, lead, sponsor):
    services.gate_decide(
        review=approved,
        by=lead,
        decision=Decision.GO,
        rationale="Evidence holds.",
        meeting_date=TODAY(),
        attendees=[sponsor],
        guests="Olga Outside (external auditor)",
        minutes="The sponsor presented the pilot figures.",
    )

    review = GateReview.objects.get(pk=approved.pk)
    assert review.meeting_date == TODAY()
    assert set(review.meeting_attendees.all()) == {lead, sponsor}
    assert review.meeting_guests == "Olga Outside (external auditor)"
    assert review.minutes == "The sponsor presented the pilot figures."
    event = AuditEvent.objects.get(action="gate.decided")
    assert event.payload["meeting"] == {
        "date": TODAY().isoformat(),
        "attendees": ["lead", "sponsor"],
        "guests": "Olga Outside (external auditor)",
        "minutes": "The sponsor presented the pilot figures.",
    }


def test_by_default_the_meeting_is_today_with_the_chair(approved, lead):
    services.gate_decide(review=approved, by=lead, decision=Decision.GO)

    review = GateReview.objects.get(pk=approved.pk)
    assert review.meeting_date == TODAY()
    assert list(review.meeting_attendees.all()) == [lead]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"meeting_date": "tomorrow"},
            "meeting_date",
            "The meeting date must be YYYY-MM-DD.",
        ),
        (
            {"meeting_date": TODAY() + datetime.timedelta(days=1)},
            "meeting_date",
            "The meeting date is in the future.",
        ),
        ({"guests": "Olga\nOutside"}, "guests", None),
        ({"minutes": "x" * 20001}, "minutes", "The minutes are longer than 20,000 characters."),
    ],
)
def test_a_bad_meeting_record_changes_nothing(approved, lead, changes, field, message):
    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(review=approved, by=lead, decision=Decision.GO, **changes)

    assert caught.value.field == field
    if message:
        assert caught.value.message == message
    review = GateReview.objects.get(pk=approved.pk)
    assert (review.status, review.meeting_date) == (ReviewStatus.SUBMITTED, None)


def test_the_meeting_is_not_before_the_review_opened(approved, lead):
    before = timezone.localdate(approved.opened_at) - datetime.timedelta(days=1)

    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(review=approved, by=lead, decision=Decision.GO, meeting_date=before)

    assert caught.value.message.startswith("The meeting cannot be before the review opened")


def test_an_inactive_attendee_is_refused(approved, lead):
    gone = UserFactory(username="gone", is_active=False)

    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(review=approved, by=lead, decision=Decision.GO, attendees=[gone])

    assert (caught.value.message, caught.value.field) == (
        "gone is not an active user.",
        "attendees",
    )


def test_the_form_proposes_today_and_those_who_voted(client_as, approved, lead, sponsor):
    page = client_as(lead).get(approved.get_absolute_url()).content.decode()

    assert f'name="meeting_date" value="{TODAY().isoformat()}"' in page
    assert f'name="attendees" value="{sponsor.pk}"' in page
    checked = page.split(f'name="attendees" value="{sponsor.pk}"')[1].split(">")[0]
    assert "checked" in checked


def test_the_page_and_api_show_the_meeting(client_as, api_as, approved, lead, sponsor):
    response = client_as(lead).post(
        f"/reviews/{approved.pk}/decision/",
        {
            "decision": "go",
            "meeting_date": TODAY().isoformat(),
            "attendees": [lead.pk, sponsor.pk],
            "guests": "Olga Outside",
            "minutes": "Figures reviewed; no objection.",
            "conditions-TOTAL_FORMS": "0",
            "conditions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302

    page = client_as(sponsor).get(approved.get_absolute_url()).content.decode()
    assert "Gate meeting" in page
    assert "Figures reviewed; no objection." in page
    assert "Olga Outside" in page
    meeting = api_as(sponsor).get(f"/api/v1/reviews/{approved.pk}/").json()["meeting"]
    assert meeting["date"] == TODAY().isoformat()
    assert sorted(a["id"] for a in meeting["attendees"]) == sorted([lead.pk, sponsor.pk])
    assert (meeting["guests"], meeting["minutes"]) == (
        "Olga Outside",
        "Figures reviewed; no objection.",
    )


def test_the_api_refuses_a_future_meeting(api_as, approved, lead):
    response = api_as(lead).post(
        f"/api/v1/reviews/{approved.pk}/decision/",
        {"decision": "go", "meeting_date": (TODAY() + datetime.timedelta(days=2)).isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["meeting_date"] == ["The meeting date is in the future."]
    assert GateReview.objects.get(pk=approved.pk).status == ReviewStatus.SUBMITTED
