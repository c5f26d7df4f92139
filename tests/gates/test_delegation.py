"""Delegation: a seat's holder lets a named person decide for them for a date
range. The delegate records the decision in the holder's seat under that
seat's rules, and every record shows "Dana Delegate for Carl Cio"."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import ApproverDelegation, ReviewApprover
from reporting.pack_data import pack_data
from tests.factories import UserFactory
from tests.gates.helpers import assess_all, isolate, pass_gate, upload_required
from tests.gates.test_queries import REVIEW_PAGE_MAX_QUERIES
from usecases.models import OrgRole

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def dana(db):
    return UserFactory(username="dana", first_name="Dana", last_name="Delegate")


@pytest.fixture
def today():
    return timezone.localdate()


def submit(use_case, lead, sponsor, approvers=None):
    review = services.review_open(use_case=use_case, by=lead, approvers=approvers)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    review.refresh_from_db()
    return review


@pytest.fixture
def gate3(use_case, lead, sponsor, cio, buhead):
    """Gate 3, submitted: the lead (chair) in the program-lead seat, Carl Cio
    as CIO or CTO, the business unit head. Nobody has decided."""
    pass_gate(use_case, lead, sponsor)
    pass_gate(use_case, lead, sponsor)
    return submit(use_case, lead, sponsor)


def delegate(holder, to, start, end, reason="Annual leave."):
    return services.delegation_create(
        by=holder, delegate=to, starts_on=start, ends_on=end, reason=reason
    )


def seat(review, user) -> ReviewApprover:
    return ReviewApprover.objects.select_related("decided_by").get(review=review, user=user)


# --- Giving and revoking ------------------------------------------------------------


def test_it_creates_a_delegation_and_audits_it(cio, dana, today):
    delegation = delegate(cio, dana, today, today + 6 * DAY, "Annual leave.")

    delegation.refresh_from_db()
    assert (delegation.holder, delegation.delegate) == (cio, dana)
    assert (delegation.starts_on, delegation.ends_on) == (today, today + 6 * DAY)
    assert delegation.revoked_at is None
    event = AuditEvent.objects.get(action="delegation.created")
    assert (event.actor, event.use_case, event.object_id) == (cio, None, str(delegation.pk))
    assert event.summary.startswith("Delegated approver seats to Dana Delegate from ")
    assert event.payload == {
        "holder": "cio",
        "delegate": "dana",
        "starts_on": today.isoformat(),
        "ends_on": (today + 6 * DAY).isoformat(),
        "reason": "Annual leave.",
    }


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("self", "delegate", "You cannot delegate to yourself."),
        ("past", "starts_on", "A delegation cannot start in the past."),
        ("backwards", "ends_on", "The last day comes before the first."),
        (
            "too_long",
            "ends_on",
            "A delegation lasts at most 366 days; give a new one when it ends.",
        ),
        ("no_reason", "reason", "A reason is required to delegate your seats."),
        ("inactive", "delegate", "Gus Gone is not an active user."),
    ],
)
def test_it_refuses_a_delegation_that_makes_no_sense(cio, dana, today, case, field, message):
    to, start, end, reason = dana, today, today + DAY, "Leave."
    if case == "self":
        to = cio
    elif case == "past":
        start = today - DAY
    elif case == "backwards":
        start, end = today + 2 * DAY, today + DAY
    elif case == "too_long":
        end = today + 366 * DAY
    elif case == "no_reason":
        reason = "  "
    elif case == "inactive":
        to = UserFactory(username="gone", first_name="Gus", last_name="Gone")
        to.is_active = False
        to.save()

    with pytest.raises(InvalidInput) as caught:
        delegate(cio, to, start, end, reason)

    assert (caught.value.field, caught.value.message) == (field, message)
    assert not ApproverDelegation.objects.exists()
    assert not AuditEvent.objects.filter(action="delegation.created").exists()


def test_it_refuses_an_overlapping_delegation_to_the_same_person(cio, dana, today):
    delegate(cio, dana, today, today + 6 * DAY)

    with pytest.raises(TransitionRefused) as caught:
        delegate(cio, dana, today + 3 * DAY, today + 9 * DAY)

    assert caught.value.message == "Dana Delegate is already your delegate for some of these days."
    # Back to back is fine.
    delegate(cio, dana, today + 7 * DAY, today + 9 * DAY)


def test_the_holder_revokes_and_it_is_audited(cio, dana, today):
    delegation = delegate(cio, dana, today, today + 6 * DAY)

    services.delegation_revoke(delegation=delegation, by=cio)

    delegation.refresh_from_db()
    assert delegation.revoked_by == cio
    assert delegation.revoked_at is not None
    event = AuditEvent.objects.get(action="delegation.revoked")
    assert (event.actor, event.object_id) == (cio, str(delegation.pk))
    assert event.summary == "Revoked the delegation of Carl Cio's approver seats to Dana Delegate"


def test_a_program_lead_revokes_too(cio, dana, lead, today):
    delegation = delegate(cio, dana, today, today + 6 * DAY)

    services.delegation_revoke(delegation=delegation, by=lead)

    delegation.refresh_from_db()
    assert delegation.revoked_by == lead


@pytest.mark.parametrize("who", ["dana", "outsider"])
def test_nobody_else_revokes(request, cio, dana, today, who):
    delegation = delegate(cio, dana, today, today + 6 * DAY)

    with pytest.raises(PermissionRefused):
        services.delegation_revoke(delegation=delegation, by=request.getfixturevalue(who))

    delegation.refresh_from_db()
    assert delegation.revoked_at is None


def test_it_refuses_to_revoke_twice(cio, dana, today):
    delegation = delegate(cio, dana, today, today + 6 * DAY)
    services.delegation_revoke(delegation=delegation, by=cio)

    with pytest.raises(TransitionRefused) as caught:
        services.delegation_revoke(delegation=delegation, by=cio)

    assert caught.value.message == "This delegation is already revoked."


# --- Deciding for the holder ----------------------------------------------------------


def test_the_delegate_approves_for_the_holder_within_the_dates_only(cio, dana, gate3, today):
    delegate(cio, dana, today + DAY, today + 3 * DAY)
    now = timezone.now()

    # Not yet: the delegation starts tomorrow.
    with pytest.raises(PermissionRefused):
        services.approval_record(review=gate3, approver=dana, decision="approve")

    with time_machine.travel(now + DAY, tick=False):
        row = services.approval_record(
            review=gate3,
            approver=dana,
            decision="approve_with_conditions",
            comment="Watch cost.",
            conditions=[
                {"description": "Cost report.", "owner": cio, "due_date": today + 30 * DAY}
            ],
        )

    row = seat(gate3, cio)
    assert (row.decision, row.comment, row.decided_by) == (
        "approve_with_conditions",
        "Watch cost.",
        dana,
    )
    assert row.decided_as == "Dana Delegate for Carl Cio"
    event = AuditEvent.objects.filter(action="approval.recorded").latest("seq")
    assert event.actor == dana
    assert event.summary == "Dana Delegate for Carl Cio: Approved with conditions"
    assert event.payload["decided_for"] == "cio"

    # The last day counts; the day after does not.
    with time_machine.travel(now + 3 * DAY, tick=False):
        services.approval_record(review=gate3, approver=dana, decision="approve")
    with time_machine.travel(now + 4 * DAY, tick=False), pytest.raises(PermissionRefused):
        services.approval_record(review=gate3, approver=dana, decision="reject", comment="x")
    assert seat(gate3, cio).decision == "approve"


def test_the_delegate_acts_no_more_once_revoked(cio, dana, gate3, today):
    delegation = delegate(cio, dana, today, today + 3 * DAY)
    services.delegation_revoke(delegation=delegation, by=cio)

    with pytest.raises(PermissionRefused):
        services.approval_record(review=gate3, approver=dana, decision="approve")

    assert seat(gate3, cio).decision == "pending"


def test_the_holder_still_decides_themself(cio, dana, gate3, today):
    delegate(cio, dana, today, today + 3 * DAY)
    services.approval_record(review=gate3, approver=dana, decision="reject", comment="No.")

    services.approval_record(review=gate3, approver=cio, decision="approve")

    row = seat(gate3, cio)
    assert (row.decision, row.decided_by, row.decided_as) == ("approve", None, "Carl Cio")


def test_any_of_several_delegates_may_act(cio, dana, outsider, gate3, today):
    delegate(cio, dana, today, today + 3 * DAY)
    delegate(cio, outsider, today, today + 3 * DAY)

    services.approval_record(review=gate3, approver=outsider, decision="approve")

    assert seat(gate3, cio).decided_as == "Otto Outsider for Carl Cio"


def test_a_delegate_who_is_the_use_cases_sponsor_may_not_fill_an_independent_seat(
    cio, sponsor, gate3, today
):
    delegate(cio, sponsor, today, today + 3 * DAY)

    with pytest.raises(PermissionRefused) as caught:
        services.approval_record(review=gate3, approver=sponsor, decision="approve")

    assert caught.value.reasons == [
        "Sam Sponsor is this use case's business unit sponsor, so cannot fill the "
        "independent seat CIO or CTO for Carl Cio."
    ]
    assert seat(gate3, cio).decision == "pending"


def test_the_chair_as_delegate_decides_only_in_the_program_lead_seat(
    use_case, lead, sponsor, cio, buhead, today
):
    lead2 = UserFactory(
        username="lead2", first_name="Leo", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )
    pass_gate(use_case, lead, sponsor)
    pass_gate(use_case, lead, sponsor)
    # The chair holds no seat: another program lead sits in the program-lead seat.
    review = submit(use_case, lead, sponsor, approvers={"program_lead": [lead2]})
    delegate(cio, lead, today, today + 3 * DAY)

    with pytest.raises(PermissionRefused) as caught:
        services.approval_record(review=review, approver=lead, decision="approve")

    assert caught.value.reasons == [
        "The chair (Lena Lead) votes only in the program-lead seat, so cannot decide for "
        "Carl Cio as CIO or CTO."
    ]
    assert seat(review, cio).decision == "pending"

    services.delegation_revoke(delegation=ApproverDelegation.objects.get(holder=cio), by=cio)
    delegate(lead2, lead, today, today + 3 * DAY)
    services.approval_record(review=review, approver=lead, decision="approve")
    assert seat(review, lead2).decided_as == "Lena Lead for Leo Lead"


def test_a_delegate_with_a_seat_of_their_own_decides_only_in_it(cio, buhead, gate3, today):
    delegate(cio, buhead, today, today + 3 * DAY)

    services.approval_record(review=gate3, approver=buhead, decision="approve")

    assert seat(gate3, buhead).decision == "approve"
    assert seat(gate3, cio).decision == "pending"


def test_the_delegate_of_two_approvers_decides_for_neither(cio, buhead, dana, gate3, today):
    delegate(cio, dana, today, today + 3 * DAY)
    delegate(buhead, dana, today, today + 3 * DAY)

    with pytest.raises(PermissionRefused) as caught:
        services.approval_record(review=gate3, approver=dana, decision="approve")

    assert caught.value.reasons == [
        "Dana Delegate is the delegate of Carl Cio and Bea Head on this review; one person "
        "holds one seat, so Dana Delegate decides for neither."
    ]


# --- What the page, the API and the pack show -----------------------------------------


def test_the_delegate_sees_the_review_only_while_the_delegation_is_active(
    client_as, cio, dana, gate3, today
):
    client = client_as(dana)
    assert client.get(gate3.get_absolute_url()).status_code == 404

    delegate(cio, dana, today, today + 3 * DAY)

    response = client.get(gate3.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "You decide for Carl Cio" in html
    assert "Record the decision for Carl Cio" in html


def test_the_page_the_api_and_the_pack_show_who_decided_for_whom(
    client_as, api_as, cio, dana, lead, gate3, today
):
    delegate(cio, dana, today, today + 3 * DAY)
    response = client_as(dana).post(
        f"/reviews/{gate3.pk}/approval/", {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302

    html = client_as(lead).get(gate3.get_absolute_url()).content.decode()
    assert "Dana Delegate for Carl Cio" in html

    body = api_as(lead).get(f"/api/v1/reviews/{gate3.pk}/").json()
    approval = next(a for a in body["approvals"] if a["user"]["username"] == "cio")
    assert approval["decided_by"] == {"id": dana.pk, "username": "dana", "name": "Dana Delegate"}
    assert approval["decided_as"] == "Dana Delegate for Carl Cio"
    others = [a for a in body["approvals"] if a["user"]["username"] != "cio"]
    assert all(a["decided_by"] is None for a in others)

    approvals = pack_data(gate3)["approvals"]
    row = next(a for a in approvals if a["name"] == "Carl Cio")
    assert (row["decided_as"], row["decided_by"]) == ("Dana Delegate for Carl Cio", "Dana Delegate")


def test_the_page_tells_a_refused_delegate_why(client_as, cio, sponsor, gate3, today):
    delegate(cio, sponsor, today, today + 3 * DAY)

    html = client_as(sponsor).get(gate3.get_absolute_url()).content.decode()

    assert "Sam Sponsor may not decide for Carl Cio" in html
    assert "cannot fill the independent seat CIO or CTO for Carl Cio" in html
    assert "Record the decision for" not in html


def test_the_delegates_review_page_reads_in_fixed_queries(
    client_as, cio, dana, gate3, today, django_assert_max_num_queries
):
    delegate(cio, dana, today, today + 3 * DAY)
    client = client_as(dana)

    with django_assert_max_num_queries(REVIEW_PAGE_MAX_QUERIES):
        response = client.get(gate3.get_absolute_url())

    assert response.status_code == 200


# --- Delegations page -------------------------------------------------------------------


def test_the_delegations_page_lists_given_and_received(client_as, cio, dana, buhead, today):
    delegate(cio, dana, today, today + 3 * DAY, "Annual leave.")
    delegate(buhead, cio, today, today + 2 * DAY, "Conference.")

    html = client_as(cio).get("/delegations/").content.decode()

    given = html.split('id="delegations-given"')[1].split("</section>")[0]
    received = html.split('id="delegations-received"')[1].split("</section>")[0]
    assert "Dana Delegate" in given and "Annual leave." in given
    assert "Bea Head" in received and "Conference." in received
    assert 'href="/delegations/"' in html  # the top bar


def test_the_delegations_page_creates_one_with_a_plain_post(client_as, cio, dana, today):
    response = client_as(cio).post(
        "/delegations/",
        {
            "delegate": dana.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + 3 * DAY).isoformat(),
            "reason": "Annual leave.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/delegations/"
    assert ApproverDelegation.objects.get().delegate == dana


def test_the_delegations_page_shows_an_input_refusal_next_to_the_field(client_as, cio, dana, today):
    response = client_as(cio).post(
        "/delegations/",
        {
            "delegate": dana.pk,
            "starts_on": (today - DAY).isoformat(),
            "ends_on": today.isoformat(),
            "reason": "Late.",
        },
    )

    assert response.status_code == 400
    assert "A delegation cannot start in the past." in response.content.decode()
    assert not ApproverDelegation.objects.exists()


def test_the_delegations_page_revokes_with_a_plain_post(client_as, cio, dana, today):
    delegation = delegate(cio, dana, today, today + 3 * DAY)

    response = client_as(cio).post(f"/delegations/{delegation.pk}/revoke/")

    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_by == cio


def test_the_delegations_page_answers_404_to_a_stranger_revoking(client_as, cio, dana, today):
    stranger = UserFactory(username="stranger")
    delegation = delegate(cio, dana, today, today + 3 * DAY)

    response = client_as(stranger).post(f"/delegations/{delegation.pk}/revoke/")

    assert response.status_code == 404


def test_the_delegations_page_needs_a_sign_in(client):
    response = client.get("/delegations/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- API ------------------------------------------------------------------------------------


def test_api_lists_my_delegations_given_and_received(api_as, cio, dana, buhead, outsider, today):
    given = delegate(cio, dana, today, today + 3 * DAY)
    received = delegate(buhead, cio, today + DAY, today + 2 * DAY)
    delegate(buhead, outsider, today, today + DAY)

    response = api_as(cio).get("/api/v1/delegations/")

    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()}
    assert set(rows) == {given.pk, received.pk}
    assert rows[given.pk]["state"] == "active"
    assert rows[received.pk]["state"] == "scheduled"
    assert rows[given.pk]["delegate"]["name"] == "Dana Delegate"


def test_api_creates_a_delegation(api_as, cio, dana, today):
    response = api_as(cio).post(
        "/api/v1/delegations/",
        {
            "delegate": dana.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + 3 * DAY).isoformat(),
            "reason": "Annual leave.",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["holder"]["username"], body["delegate"]["username"]) == ("cio", "dana")
    assert body["revoked_by"] is None


def test_api_refuses_bad_dates_with_400(api_as, cio, dana, today):
    response = api_as(cio).post(
        "/api/v1/delegations/",
        {
            "delegate": dana.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today - DAY).isoformat(),
            "reason": "Oops.",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["ends_on"] == ["The last day comes before the first."]


def test_api_revokes_and_refuses_twice_with_409(api_as, cio, dana, today):
    delegation = delegate(cio, dana, today, today + 3 * DAY)

    first = api_as(cio).post(f"/api/v1/delegations/{delegation.pk}/revoke/")
    second = api_as(cio).post(f"/api/v1/delegations/{delegation.pk}/revoke/")

    assert first.status_code == 200
    assert first.json()["state"] == "revoked"
    assert second.status_code == 409


def test_api_refuses_the_delegate_revoking_with_403_and_a_stranger_with_404(
    api_as, cio, dana, outsider, today
):
    delegation = delegate(cio, dana, today, today + 3 * DAY)

    assert api_as(dana).post(f"/api/v1/delegations/{delegation.pk}/revoke/").status_code == 403
    assert api_as(outsider).post(f"/api/v1/delegations/{delegation.pk}/revoke/").status_code == 404


def test_api_records_the_delegates_decision(api_as, cio, dana, gate3, today):
    delegate(cio, dana, today, today + 3 * DAY)

    response = api_as(dana).post(
        f"/api/v1/reviews/{gate3.pk}/approvals/", {"decision": "approve"}, format="json"
    )

    assert response.status_code == 200
    approval = next(a for a in response.json()["approvals"] if a["user"]["username"] == "cio")
    assert approval["decided_as"] == "Dana Delegate for Carl Cio"


def test_my_work_lists_the_seats_delegated_to_me(client_as, cio, dana, gate3, today):
    delegate(cio, dana, today, today + DAY)

    page = client_as(dana).get("/")

    body = page.content.decode()
    assert gate3.use_case.title in body
    assert "for Carl Cio" in body


def test_a_delegates_rejection_is_named_as_theirs_for_the_holder(
    cio, dana, lead, gate3, today, django_capture_on_commit_callbacks
):
    from notifications.models import Notification

    delegate(cio, dana, today, today + DAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_record(
            review=gate3, approver=dana, decision="reject", comment="Costs unclear."
        )

    blockers = services.go_blockers(gate3)
    assert "Dana Delegate for Carl Cio rejected: Costs unclear." in blockers
    told = Notification.objects.filter(recipient=lead).latest("id")
    assert "Dana Delegate for Carl Cio" in told.subject + told.body
