"""approval_record: each named approver records their own decision, on a
submitted review; reasons are required for conditions and rejections."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import ApprovalDecision, ReviewApprover
from tests.gates.helpers import isolate, make_open_review

pytestmark = pytest.mark.django_db

NOT_AN_APPROVER = (
    "You are not a named approver of this review; only named approvers record a "
    "decision, each their own."
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def decision_of(review, user) -> str:
    return ReviewApprover.objects.get(review=review, user=user).decision


def test_it_records_the_approvers_own_decision_only(lead, sponsor, submitted_review):
    row = services.approval_record(review=submitted_review, approver=sponsor, decision="approve")

    row.refresh_from_db()
    assert (row.user, row.decision, row.comment) == (sponsor, "approve", "")
    assert row.decided_at is not None
    # Nothing was recorded for the other approver.
    assert decision_of(submitted_review, lead) == ApprovalDecision.PENDING
    event = AuditEvent.objects.get(action="approval.recorded")
    assert (event.actor, event.object_id) == (sponsor, str(row.pk))
    assert event.summary == "Sam Sponsor: Approved"
    assert event.payload == {
        "review": submitted_review.pk,
        "decision": "approve",
        "comment": "",
        "was": "pending",
        "conditions": [],
    }


def test_it_takes_the_caller_as_the_approver():
    # Nobody records a decision for someone else: there is no "on behalf of" argument.
    import inspect

    parameters = inspect.signature(services.approval_record).parameters
    assert list(parameters) == ["review", "approver", "decision", "comment", "conditions"]


@pytest.mark.parametrize("who", ["outsider", "executive", "contributor", "techlead", "cio"])
def test_it_refuses_someone_who_is_not_a_named_approver(
    request, lead, sponsor, submitted_review, who
):
    with pytest.raises(PermissionRefused) as caught:
        services.approval_record(
            review=submitted_review, approver=request.getfixturevalue(who), decision="approve"
        )

    assert caught.value.message == NOT_AN_APPROVER
    assert (
        decision_of(submitted_review, lead) == decision_of(submitted_review, sponsor) == "pending"
    )
    assert not AuditEvent.objects.filter(action="approval.recorded").exists()


def test_it_refuses_before_the_review_is_submitted(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)

    with pytest.raises(TransitionRefused) as caught:
        services.approval_record(review=review, approver=sponsor, decision="approve")

    assert caught.value.message == "Approvals are recorded on a submitted review."
    assert caught.value.reasons == ["The review has not been submitted yet."]
    assert decision_of(review, sponsor) == "pending"


def test_it_refuses_once_the_gate_is_decided(lead, sponsor, submitted_review):
    services.gate_decide(review=submitted_review, by=lead, decision="recycle", rationale="Rework.")

    with pytest.raises(TransitionRefused) as caught:
        services.approval_record(review=submitted_review, approver=sponsor, decision="approve")

    assert caught.value.reasons == ["The gate has already been decided."]
    assert decision_of(submitted_review, sponsor) == "pending"


@pytest.mark.parametrize("comment", ["", "   "])
def test_it_requires_a_comment_for_a_rejection(sponsor, submitted_review, comment):
    with pytest.raises(InvalidInput) as caught:
        services.approval_record(
            review=submitted_review, approver=sponsor, decision="reject", comment=comment
        )

    assert caught.value.message == "A comment is required when you reject."
    assert caught.value.field == "comment"
    assert decision_of(submitted_review, sponsor) == "pending"


def test_it_records_a_rejection_with_its_comment(sponsor, submitted_review):
    services.approval_record(
        review=submitted_review,
        approver=sponsor,
        decision="reject",
        comment="  Needs a data owner.  ",
    )

    row = ReviewApprover.objects.get(review=submitted_review, user=sponsor)
    assert (row.decision, row.comment) == ("reject", "Needs a data owner.")


@pytest.mark.parametrize("decision", ["pending", "maybe", ""])
def test_it_refuses_an_unknown_decision(sponsor, submitted_review, decision):
    with pytest.raises(InvalidInput) as caught:
        services.approval_record(
            review=submitted_review, approver=sponsor, decision=decision, comment="x"
        )

    assert caught.value.message == (
        "Decision must be one of: approve, approve_with_conditions, reject."
    )


def test_it_refuses_a_comment_over_5000_characters(sponsor, submitted_review):
    with pytest.raises(InvalidInput) as caught:
        services.approval_record(
            review=submitted_review, approver=sponsor, decision="reject", comment="c" * 5001
        )

    assert caught.value.message == "The comment is longer than 5,000 characters."


def test_it_records_a_change_of_mind_with_the_previous_decision(sponsor, submitted_review):
    services.approval_record(review=submitted_review, approver=sponsor, decision="approve")

    services.approval_record(
        review=submitted_review, approver=sponsor, decision="reject", comment="Figures changed."
    )

    row = ReviewApprover.objects.get(review=submitted_review, user=sponsor)
    assert (row.decision, row.comment) == ("reject", "Figures changed.")
    first, second = AuditEvent.objects.filter(action="approval.recorded").order_by("seq")
    assert first.payload["was"] == "pending"
    assert second.payload == {
        "review": submitted_review.pk,
        "decision": "reject",
        "comment": "Figures changed.",
        "was": "approve",
        "conditions": [],
    }
    assert second.summary == "Sam Sponsor: Rejected (was Approved)"
