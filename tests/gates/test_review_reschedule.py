"""The planned gate date: set when a review opens (page and API), moved by the
chair or a program lead with a reason while the review is not decided, never
into the past, audited; a review not decided past it is late."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import GateReview, late_reviews_q
from tests.factories import UserFactory
from tests.gates.helpers import KILL_EXIT, isolate, pass_gate
from usecases.models import OrgRole

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def today():
    return timezone.localdate()


# --- Opening with a planned date --------------------------------------------------


def test_it_opens_a_review_with_its_planned_date_in_the_audit_trail(lead, use_case, today):
    review = services.review_open(use_case=use_case, by=lead, planned_date=today + 10 * DAY)

    review.refresh_from_db()
    assert review.planned_date == today + 10 * DAY
    event = AuditEvent.objects.get(action="review.opened")
    assert event.payload["planned_date"] == (today + 10 * DAY).isoformat()
    assert "planned for" in event.summary


def test_it_refuses_to_open_a_review_planned_in_the_past(lead, use_case, today):
    with pytest.raises(InvalidInput) as refused:
        services.review_open(use_case=use_case, by=lead, planned_date=today - DAY)

    assert refused.value.field == "planned_date"
    assert "past" in refused.value.message
    assert not GateReview.objects.exists()


def test_the_open_review_page_takes_a_planned_date(client_as, lead, use_case, today):
    client = client_as(lead)
    page = client.get(f"/use-cases/{use_case.pk}/open-review/").content.decode()
    assert 'for="id_planned_date"' in page

    refused = client.post(
        f"/use-cases/{use_case.pk}/open-review/", {"planned_date": (today - DAY).isoformat()}
    )
    assert refused.status_code == 400
    assert "The planned date cannot be in the past." in refused.content.decode()
    assert not GateReview.objects.exists()

    response = client.post(
        f"/use-cases/{use_case.pk}/open-review/", {"planned_date": (today + 7 * DAY).isoformat()}
    )
    assert response.status_code == 302
    review = GateReview.objects.get()
    assert review.planned_date == today + 7 * DAY
    page = client.get(review.get_absolute_url()).content.decode()
    assert 'id="planned-date"' in page
    assert (today + 7 * DAY).strftime("%-d %b %Y") in page


def test_the_api_opens_a_review_with_a_planned_date(api_as, lead, use_case, today):
    client = api_as(lead)
    url = f"/api/v1/use-cases/{use_case.pk}/reviews/"

    refused = client.post(url, {"planned_date": (today - DAY).isoformat()}, format="json")
    assert refused.status_code == 400
    assert "planned_date" in refused.json()["fields"]
    bad = client.post(url, {"planned_date": "next tuesday"}, format="json")
    assert bad.status_code == 400
    assert "planned_date" in bad.json()["fields"]
    assert not GateReview.objects.exists()

    response = client.post(url, {"planned_date": (today + 3 * DAY).isoformat()}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["planned_date"] == (today + 3 * DAY).isoformat()
    assert body["late"] is False


# --- Rescheduling ------------------------------------------------------------------


def test_the_chair_moves_the_planned_date_with_a_reason(lead, open_review, today):
    services.review_reschedule(
        review=open_review, by=lead, planned_date=today + 5 * DAY, reason="Room booked."
    )
    revision = GateReview.objects.get(pk=open_review.pk).revision
    services.review_reschedule(
        review=open_review, by=lead, planned_date=today + 9 * DAY, reason="The CIO is away."
    )

    open_review.refresh_from_db()
    assert open_review.planned_date == today + 9 * DAY
    assert open_review.revision == revision + 1  # packs made before are stale
    events = list(AuditEvent.objects.filter(action="review.rescheduled").order_by("seq"))
    assert len(events) == 2
    assert events[1].actor == lead
    assert events[1].payload == {
        "before": (today + 5 * DAY).isoformat(),
        "after": (today + 9 * DAY).isoformat(),
        "reason": "The CIO is away.",
    }
    assert "The CIO is away." in events[1].summary


def test_another_program_lead_may_reschedule(open_review, today):
    other_lead = UserFactory(username="lead2", org_roles=[OrgRole.PROGRAM_LEAD])
    services.review_reschedule(
        review=open_review, by=other_lead, planned_date=today, reason="Agreed in the steering."
    )
    open_review.refresh_from_db()
    assert open_review.planned_date == today


@pytest.mark.parametrize("who", ["sponsor", "techlead", "cio", "executive", "outsider"])
def test_nobody_else_reschedules(request, open_review, today, who):
    with pytest.raises(PermissionRefused):
        services.review_reschedule(
            review=open_review,
            by=request.getfixturevalue(who),
            planned_date=today + DAY,
            reason="I would like it earlier.",
        )
    open_review.refresh_from_db()
    assert open_review.planned_date is None
    assert not AuditEvent.objects.filter(action="review.rescheduled").exists()


@pytest.mark.parametrize(
    ("planned", "reason", "field", "message"),
    [
        (-1, "Moved.", "planned_date", "The planned date cannot be in the past."),
        (None, "Moved.", "planned_date", "The planned date is required."),
        (4, "  ", "reason", "A reason is required to change the planned date."),
        (4, "x" * 2001, "reason", "The reason is longer than 2,000 characters."),
        (2, "Same day.", "planned_date", "That is already the planned date."),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(
    lead, use_case, today, planned, reason, field, message
):
    review = services.review_open(use_case=use_case, by=lead, planned_date=today + 2 * DAY)
    with pytest.raises(InvalidInput) as refused:
        services.review_reschedule(
            review=review,
            by=lead,
            planned_date=None if planned is None else today + planned * DAY,
            reason=reason,
        )
    assert (refused.value.field, refused.value.message) == (field, message)
    review.refresh_from_db()
    assert review.planned_date == today + 2 * DAY
    assert not AuditEvent.objects.filter(action="review.rescheduled").exists()


def test_a_decided_review_keeps_its_planned_date(lead, sponsor, use_case, today):
    review = pass_gate(use_case, lead, sponsor)
    with pytest.raises(TransitionRefused) as refused:
        services.review_reschedule(
            review=review, by=lead, planned_date=today + DAY, reason="Too late to move."
        )
    assert refused.value.reasons == ["The gate has already been decided."]
    assert not AuditEvent.objects.filter(action="review.rescheduled").exists()


def test_a_killed_use_cases_review_is_not_rescheduled(lead, open_review, today):
    services.gate_decide(
        review=open_review, by=lead, decision="kill", rationale="No value.", **KILL_EXIT
    )
    with pytest.raises(TransitionRefused):
        services.review_reschedule(
            review=open_review, by=lead, planned_date=today + DAY, reason="Try again."
        )


# --- Late ----------------------------------------------------------------------------


def test_a_review_is_late_only_after_its_planned_day_until_decided(lead, sponsor, use_case):
    start = timezone.now()
    review = services.review_open(
        use_case=use_case, by=lead, planned_date=timezone.localdate() + 2 * DAY
    )
    with time_machine.travel(start + 2 * DAY, tick=False):
        assert not review.is_late  # the planned day itself is not late
        assert not GateReview.objects.filter(late_reviews_q()).exists()
    with time_machine.travel(start + 3 * DAY, tick=False):
        review.refresh_from_db()
        assert review.is_late
        assert list(GateReview.objects.late()) == [review]
        services.gate_decide(review=review, by=lead, decision="hold", rationale="Paused.")
        review.refresh_from_db()
        assert not review.is_late
        assert not GateReview.objects.late().exists()


def test_a_review_without_a_planned_date_is_never_late(open_review):
    with time_machine.travel(timezone.now() + 400 * DAY, tick=False):
        assert not open_review.is_late
        assert not GateReview.objects.late().exists()


# --- The page and the endpoint -----------------------------------------------------------


def test_the_schedule_page_walks_the_permission_ladder(
    client, client_as, lead, sponsor, outsider, open_review, today
):
    url = f"/reviews/{open_review.pk}/schedule/"
    assert client.get(url).status_code == 302  # to the login page
    assert client_as(outsider).get(url).status_code == 404
    sponsor_page = client_as(sponsor).get(url)
    assert sponsor_page.status_code == 200
    assert "Only the chair of this gate or a program lead" in sponsor_page.content.decode()
    assert "<form" not in sponsor_page.content.decode().split("<main", 1)[-1]
    posted = client_as(sponsor).post(
        url, {"planned_date": today.isoformat(), "reason": "Earlier please."}, follow=True
    )
    # A plain form post's refusal is shown in the page's message area.
    assert "Only the chair of this gate or a program lead" in posted.content.decode()
    open_review.refresh_from_db()
    assert open_review.planned_date is None

    chair = client_as(lead)
    page = chair.get(open_review.get_absolute_url()).content.decode()
    assert f'href="{url}"' in page
    refused = chair.post(url, {"planned_date": (today - DAY).isoformat(), "reason": "Oops."})
    assert refused.status_code == 400
    assert "The planned date cannot be in the past." in refused.content.decode()
    response = chair.post(
        url, {"planned_date": (today + 4 * DAY).isoformat(), "reason": "Room booked."}
    )
    assert response.status_code == 302
    open_review.refresh_from_db()
    assert open_review.planned_date == today + 4 * DAY


def test_the_schedule_endpoint(api_as, lead, sponsor, outsider, open_review, today):
    url = f"/api/v1/reviews/{open_review.pk}/schedule/"
    body = {"planned_date": (today + 6 * DAY).isoformat(), "reason": "Steering committee."}
    assert api_as(outsider).post(url, body, format="json").status_code == 404
    assert api_as(sponsor).post(url, body, format="json").status_code == 403
    bad = api_as(lead).post(url, {"planned_date": "2020-01-01", "reason": "x"}, format="json")
    assert bad.status_code == 400
    assert "planned_date" in bad.json()["fields"]
    missing = api_as(lead).post(url, {"planned_date": body["planned_date"]}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["fields"]

    response = api_as(lead).post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["planned_date"] == body["planned_date"]
    assert response.json()["late"] is False
    with time_machine.travel(timezone.now() + 7 * DAY, tick=False):
        detail = api_as(lead).get(f"/api/v1/reviews/{open_review.pk}/").json()
    assert detail["late"] is True


def test_the_endpoint_refuses_a_decided_review_with_409(api_as, lead, sponsor, use_case, today):
    review = pass_gate(use_case, lead, sponsor)
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/schedule/",
        {"planned_date": today.isoformat(), "reason": "Late change."},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["reasons"] == ["The gate has already been decided."]
