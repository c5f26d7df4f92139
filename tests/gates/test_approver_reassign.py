"""approver_reassign: only the chair gives a seat to someone else, with a
reason, while the review is open or submitted; the new seating keeps the
gate's duties apart, the seat's vote starts again, and it is all audited."""

from __future__ import annotations

import pytest

from core import events
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.events import outbox_deliver
from core.models import AuditEvent, OutboxEvent
from gates import services
from gates.models import ApprovalDecision, ReviewApprover
from notifications.models import Kind, Notification
from tests.factories import UserFactory
from tests.gates.helpers import assess_all, isolate, pass_gate, upload_required
from usecases.models import OrgRole

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def submit(use_case, lead, sponsor, approvers=None):
    review = services.review_open(use_case=use_case, by=lead, approvers=approvers)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    review.refresh_from_db()
    return review


@pytest.fixture
def review(use_case, lead, sponsor):
    """Gate 1, submitted: the lead (chair) in the program-lead seat, the
    sponsor in the sponsor seat."""
    return submit(use_case, lead, sponsor)


def seat(review, user) -> ReviewApprover:
    return ReviewApprover.objects.get(review=review, user=user)


def test_it_gives_the_seat_to_someone_else_and_resets_its_vote(lead, sponsor, cio, review):
    row = services.approval_record(
        review=review, approver=sponsor, decision="reject", comment="Not yet."
    )
    revision = review.revision

    services.approver_reassign(
        review=review, by=lead, approver_row=row, to_user=cio, reason="Sam is on leave."
    )

    row.refresh_from_db()
    assert (row.user, row.roles) == (cio, ["sponsor"])
    assert (row.decision, row.comment, row.decided_at, row.decided_by) == (
        ApprovalDecision.PENDING,
        "",
        None,
        None,
    )
    assert not ReviewApprover.objects.filter(review=review, user=sponsor).exists()
    review.refresh_from_db()
    assert review.revision > revision
    event = AuditEvent.objects.get(action="approver.reassigned")
    assert (event.actor, event.use_case_id, event.object_id) == (
        lead,
        review.use_case_id,
        str(row.pk),
    )
    assert event.summary == (
        "Reassigned the Business unit sponsor seat from Sam Sponsor to Carl Cio: Sam is on leave."
    )
    assert event.payload == {
        "review": review.pk,
        "seat": ["sponsor"],
        "before": "sponsor",
        "after": "cio",
        "reason": "Sam is on leave.",
        "was": "reject",
    }


def test_it_asks_the_new_approver_of_a_submitted_review(
    lead, sponsor, cio, review, django_capture_on_commit_callbacks
):
    outbox_deliver()  # the submission's requests went out when it was submitted
    with django_capture_on_commit_callbacks(execute=True):
        services.approver_reassign(
            review=review,
            by=lead,
            approver_row=seat(review, sponsor),
            to_user=cio,
            reason="Sam is on leave.",
        )

    asked = Notification.objects.get(recipient=cio)
    assert asked.kind == Kind.APPROVAL_REQUESTED
    assert asked.period.startswith("reassigned-")
    assert asked.link == review.get_absolute_url()
    assert "Approval requested" in asked.subject


def test_it_reassigns_a_seat_of_an_open_review_without_asking_yet(
    lead, sponsor, cio, use_case, django_capture_on_commit_callbacks
):
    review = services.review_open(use_case=use_case, by=lead)

    with django_capture_on_commit_callbacks(execute=True):
        services.approver_reassign(
            review=review,
            by=lead,
            approver_row=seat(review, sponsor),
            to_user=cio,
            reason="Sam is on leave.",
        )

    assert seat(review, cio).roles == ["sponsor"]
    # Asked with everyone else when the review is submitted.
    assert not Notification.objects.filter(recipient=cio).exists()
    assert not OutboxEvent.objects.filter(name=events.APPROVAL_REQUESTED).exists()


@pytest.mark.parametrize("who", ["sponsor", "cio", "outsider", "other_lead"])
def test_it_refuses_anyone_but_the_chair(request, lead, sponsor, cio, review, who):
    if who == "other_lead":
        by = UserFactory(username="lead2", org_roles=[OrgRole.PROGRAM_LEAD])
    else:
        by = request.getfixturevalue(who)
    row = seat(review, sponsor)

    with pytest.raises(PermissionRefused) as caught:
        services.approver_reassign(
            review=review, by=by, approver_row=row, to_user=cio, reason="Because."
        )

    assert caught.value.message == (
        "Only the chair of this gate (Lena Lead) reassigns its approver seats."
    )
    row.refresh_from_db()
    assert row.user == sponsor
    assert not AuditEvent.objects.filter(action="approver.reassigned").exists()


def test_it_refuses_to_seat_the_chair_outside_the_program_lead_seat(lead, sponsor, review):
    with pytest.raises(InvalidInput) as caught:
        services.approver_reassign(
            review=review,
            by=lead,
            approver_row=seat(review, sponsor),
            to_user=lead,
            reason="I will do it.",
        )

    assert caught.value.message == "This reassignment would not keep the gate's duties apart."
    assert caught.value.field == "user"
    assert caught.value.reasons == [
        "The chair (Lena Lead) votes only in the program-lead seat; name someone else as "
        "Business unit sponsor.",
        "This gate needs at least 2 distinct approvers; 1 is named.",
    ]
    assert seat(review, sponsor).roles == ["sponsor"]


def test_it_refuses_to_give_one_person_two_seats(lead, sponsor, review):
    lead2 = UserFactory(
        username="lead2", first_name="Leo", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )
    review = submit_with(review, lead, sponsor, lead2)

    with pytest.raises(InvalidInput) as caught:
        services.approver_reassign(
            review=review,
            by=lead,
            approver_row=seat(review, lead2),
            to_user=sponsor,
            reason="Fewer people.",
        )

    assert caught.value.reasons[0] == (
        "Sam Sponsor would hold 2 approver seats (AI program lead, Business unit sponsor); "
        "one person holds one seat, so name someone else for the others."
    )


def submit_with(review, lead, sponsor, program_lead):
    """The same Gate 1, opened again with ``program_lead`` (not the chair) in
    the program-lead seat."""
    services.gate_decide(review=review, by=lead, decision="recycle", rationale="Again.")
    return submit(review.use_case, lead, sponsor, approvers={"program_lead": [program_lead]})


def test_it_refuses_a_contributor_in_an_independent_seat(
    lead, sponsor, techlead, contributor, use_case
):
    pass_gate(use_case, lead, sponsor)
    review = services.review_open(use_case=use_case, by=lead)  # Gate 2

    with pytest.raises(InvalidInput) as caught:
        services.approver_reassign(
            review=review,
            by=lead,
            approver_row=seat(review, techlead),
            to_user=contributor,
            reason="Cody knows the model.",
        )

    assert caught.value.reasons == [
        "Cody Contrib is this use case's contributor, so cannot fill the independent seat "
        "Technical lead."
    ]
    assert seat(review, techlead).roles == ["technical_lead"]


def test_it_refuses_once_the_gate_is_decided(lead, sponsor, cio, review):
    services.gate_decide(review=review, by=lead, decision="hold", rationale="Budget.")

    with pytest.raises(TransitionRefused) as caught:
        services.approver_reassign(
            review=review,
            by=lead,
            approver_row=seat(review, sponsor),
            to_user=cio,
            reason="Late.",
        )

    assert caught.value.message == (
        "Approver seats are reassigned only while the review is open or submitted."
    )
    assert caught.value.reasons == ["The gate has already been decided."]
    assert seat(review, sponsor).roles == ["sponsor"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_requires_a_reason(lead, sponsor, cio, review, reason):
    with pytest.raises(InvalidInput) as caught:
        services.approver_reassign(
            review=review, by=lead, approver_row=seat(review, sponsor), to_user=cio, reason=reason
        )

    assert caught.value.field == "reason"
    assert caught.value.message == "A reason is required to reassign an approver seat."


def test_it_refuses_the_person_already_in_the_seat(lead, sponsor, review):
    with pytest.raises(InvalidInput) as caught:
        services.approver_reassign(
            review=review, by=lead, approver_row=seat(review, sponsor), to_user=sponsor, reason="x"
        )

    assert caught.value.message == "Sam Sponsor already holds this seat."


def test_it_refuses_an_inactive_person(lead, sponsor, review):
    gone = UserFactory(username="gone", first_name="Gus", last_name="Gone")
    gone.is_active = False
    gone.save()

    with pytest.raises(InvalidInput) as caught:
        services.approver_reassign(
            review=review, by=lead, approver_row=seat(review, sponsor), to_user=gone, reason="x"
        )

    assert caught.value.message == "Gus Gone is not an active user."


# --- API ---------------------------------------------------------------------------


def url(review, row) -> str:
    return f"/api/v1/reviews/{review.pk}/approvers/{row.pk}/reassign/"


def test_api_reassigns_and_answers_with_the_review(api_as, lead, sponsor, cio, review):
    row = seat(review, sponsor)

    response = api_as(lead).post(
        url(review, row), {"user": cio.pk, "reason": "Sam is on leave."}, format="json"
    )

    assert response.status_code == 200
    approval = next(a for a in response.json()["approvals"] if a["id"] == row.pk)
    assert approval["user"]["username"] == "cio"
    assert (approval["decision"], approval["decided_by"], approval["decided_as"]) == (
        "pending",
        None,
        "",
    )


def test_api_refuses_a_missing_reason_with_400(api_as, lead, sponsor, cio, review):
    response = api_as(lead).post(url(review, seat(review, sponsor)), {"user": cio.pk})

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]


def test_api_refuses_a_broken_rule_with_400_and_the_reasons(api_as, lead, sponsor, review):
    response = api_as(lead).post(
        url(review, seat(review, sponsor)), {"user": lead.pk, "reason": "Me."}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "This reassignment would not keep the gate's duties apart."
    assert body["reasons"][0].startswith("The chair (Lena Lead) votes only")


def test_api_refuses_a_non_chair_with_403(api_as, sponsor, cio, review):
    response = api_as(sponsor).post(
        url(review, seat(review, sponsor)), {"user": cio.pk, "reason": "x"}, format="json"
    )

    assert response.status_code == 403


def test_api_refuses_after_the_decision_with_409(api_as, lead, sponsor, cio, review):
    services.gate_decide(review=review, by=lead, decision="hold", rationale="Budget.")

    response = api_as(lead).post(
        url(review, seat(review, sponsor)), {"user": cio.pk, "reason": "x"}, format="json"
    )

    assert response.status_code == 409


def test_api_answers_404_for_a_seat_of_another_review(api_as, lead, cio, review):
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/approvers/999999/reassign/",
        {"user": cio.pk, "reason": "x"},
        format="json",
    )

    assert response.status_code == 404


def test_api_answers_404_to_someone_who_cannot_see_the_review(api_as, outsider, sponsor, review):
    response = api_as(outsider).post(
        url(review, seat(review, sponsor)), {"user": outsider.pk, "reason": "x"}, format="json"
    )

    assert response.status_code == 404


# --- Review page ---------------------------------------------------------------------


def test_page_shows_the_chair_a_reassign_control_per_seat(client_as, lead, sponsor, review):
    html = client_as(lead).get(review.get_absolute_url()).content.decode()
    for row in review.approvers.all():
        assert f"/reviews/{review.pk}/approvers/{row.pk}/reassign/" in html

    other = client_as(sponsor).get(review.get_absolute_url()).content.decode()
    assert "/reassign/" not in other


def test_page_opens_the_seat_as_a_form(client_as, lead, sponsor, review):
    row = seat(review, sponsor)
    address = f"/reviews/{review.pk}/approvers/{row.pk}/reassign/"

    fragment = client_as(lead).get(address, headers=HTMX)
    plain = client_as(lead).get(address)

    assert fragment.status_code == plain.status_code == 200
    assert fragment.content.decode().startswith('\n<section class="card" id="approvals">')
    for html in (fragment.content.decode(), plain.content.decode()):
        assert "Reassign the seat" in html
        assert 'name="reason"' in html


def test_page_reassigns_with_a_plain_post(client_as, lead, sponsor, cio, review):
    row = seat(review, sponsor)

    response = client_as(lead).post(
        f"/reviews/{review.pk}/approvers/{row.pk}/reassign/",
        {"user": cio.pk, "reason": "Sam is on leave."},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{review.get_absolute_url()}#approvals"
    row.refresh_from_db()
    assert row.user == cio


def test_page_answers_htmx_with_the_panel_and_the_decision_panel_out_of_band(
    client_as, lead, sponsor, cio, review
):
    row = seat(review, sponsor)

    response = client_as(lead).post(
        f"/reviews/{review.pk}/approvers/{row.pk}/reassign/",
        {"user": cio.pk, "reason": "Sam is on leave."},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="approvals"' in html
    assert 'id="decision-panel" hx-swap-oob="true"' in html
    assert "Carl Cio has not approved yet." in html


def test_page_shows_the_broken_rule_next_to_the_person(client_as, lead, sponsor, review):
    row = seat(review, sponsor)

    response = client_as(lead).post(
        f"/reviews/{review.pk}/approvers/{row.pk}/reassign/",
        {"user": lead.pk, "reason": "Me."},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "The chair (Lena Lead) votes only in the program-lead seat" in html
    assert "Reassign the seat" in html
    row.refresh_from_db()
    assert row.user == sponsor


def test_page_refuses_a_non_chair_post_with_a_message(client_as, sponsor, cio, review):
    row = seat(review, sponsor)

    response = client_as(sponsor).post(
        f"/reviews/{review.pk}/approvers/{row.pk}/reassign/",
        {"user": cio.pk, "reason": "x"},
        headers=HTMX,
    )

    assert response["HX-Retarget"] == "#flash"
    assert "reassigns its approver seats" in response.content.decode()
    row.refresh_from_db()
    assert row.user == sponsor
