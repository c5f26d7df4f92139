"""review_return: the chair, or an approver who rejected, sends a submitted
review back to the team for rework with a reason; the votes are cleared (and
kept in the audit trail), the criteria keep their assessments and can be
assessed again, and the rounds are counted."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import ApprovalDecision, AssessmentStatus, ReviewApprover, ReviewStatus
from tests.gates.helpers import audit_actions, isolate, make_open_review

pytestmark = pytest.mark.django_db

NOT_ALLOWED = (
    "Only the chair of this gate (Lena Lead) or an approver who has rejected it returns the "
    "review for rework."
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def votes(review) -> dict[str, str]:
    return {
        row.user.username: row.decision
        for row in ReviewApprover.objects.filter(review=review).select_related("user")
    }


def test_it_returns_a_submitted_review_to_the_team_clearing_the_votes(
    lead, sponsor, submitted_review
):
    review = submitted_review
    services.approval_record(review=review, approver=sponsor, decision="approve")
    services.approval_record(
        review=review, approver=lead, decision="reject", comment="The baseline is missing."
    )
    criteria_before = list(
        review.criteria.order_by("id").values_list("id", "status", "evidence", "assessed_by")
    )
    assert review.pinned_artifacts.exists()

    services.review_return(review=review, by=lead, reason="  Add the baseline figures.  ")

    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert (review.submitted_at, review.submitted_by) == (None, None)
    assert not review.pinned_artifacts.exists()
    assert review.rework_count == 1
    assert (review.returned_by, review.return_reason) == (lead, "Add the baseline figures.")
    assert review.returned_at is not None
    for row in ReviewApprover.objects.filter(review=review):
        assert (row.decision, row.comment, row.decided_at, row.decided_by) == (
            ApprovalDecision.PENDING,
            "",
            None,
            None,
        )
    # Nothing the team did is lost.
    assert (
        list(review.criteria.order_by("id").values_list("id", "status", "evidence", "assessed_by"))
        == criteria_before
    )


def test_it_audits_the_return_with_the_cleared_votes(lead, sponsor, submitted_review):
    review = submitted_review
    services.approval_record(review=review, approver=sponsor, decision="approve")

    services.review_return(review=review, by=lead, reason="Rework the risk section.")

    event = AuditEvent.objects.get(action="review.returned")
    assert event.actor == lead
    assert event.object_id == str(review.pk)
    assert event.summary == "Returned the Gate 1 review for rework (round 1)"
    assert event.payload["round"] == 1
    assert event.payload["reason"] == "Rework the risk section."
    assert [(v["approver"], v["decision"]) for v in event.payload["cleared_votes"]] == [
        ("sponsor", "approve")
    ]
    assert len(event.payload["unpinned"]) == review.artifact_requirements.count()
    assert audit_actions(review.use_case)[-1] == "review.returned"


def test_the_criteria_can_be_assessed_again_and_the_review_resubmitted(
    lead, sponsor, submitted_review
):
    review = submitted_review
    services.review_return(review=review, by=lead, reason="Tighten the evidence.")
    criterion = review.criteria.order_by("order").first()

    services.criterion_assess(
        review=review,
        criterion=criterion,
        by=sponsor,
        status=AssessmentStatus.PARTIALLY_MET,
        evidence="Only two of three sites measured.",
    )
    services.review_submit(review=review, by=sponsor)

    review.refresh_from_db()
    criterion.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_by == sponsor
    assert review.pinned_artifacts.exists()
    assert (criterion.status, criterion.evidence) == (
        "partially_met",
        "Only two of three sites measured.",
    )
    # The approvers vote again, from pending.
    assert set(votes(review).values()) == {"pending"}
    services.approval_record(review=review, approver=sponsor, decision="approve")
    assert votes(review)["sponsor"] == "approve"


def test_it_counts_the_rounds(lead, sponsor, submitted_review):
    review = submitted_review
    services.review_return(review=review, by=lead, reason="Round one.")
    services.review_submit(review=review, by=sponsor)
    services.review_return(review=review, by=lead, reason="Round two.")

    review.refresh_from_db()
    assert (review.rework_count, review.return_reason) == (2, "Round two.")
    rounds = AuditEvent.objects.filter(action="review.returned").order_by("seq")
    assert [e.payload["round"] for e in rounds] == [1, 2]


def test_an_approver_who_rejected_may_return_it(lead, sponsor, submitted_review):
    review = submitted_review
    services.approval_record(
        review=review, approver=sponsor, decision="reject", comment="Numbers do not add up."
    )

    services.review_return(review=review, by=sponsor, reason="Numbers do not add up.")

    review.refresh_from_db()
    assert (review.status, review.returned_by) == (ReviewStatus.OPEN, sponsor)


def test_an_approver_may_reject_and_return_in_one_step(lead, sponsor, submitted_review):
    review = submitted_review
    services.approval_record(review=review, approver=lead, decision="approve")

    services.approval_reject_and_return(
        review=review, approver=sponsor, comment="The pilot scope is unclear."
    )

    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert review.return_reason == "The pilot scope is unclear."
    assert set(votes(review).values()) == {"pending"}
    assert audit_actions(review.use_case)[-2:] == ["approval.recorded", "review.returned"]
    event = AuditEvent.objects.get(action="review.returned")
    assert sorted((v["approver"], v["decision"]) for v in event.payload["cleared_votes"]) == [
        ("lead", "approve"),
        ("sponsor", "reject"),
    ]


def test_reject_and_return_needs_the_comment_and_changes_nothing_without_it(
    sponsor, submitted_review
):
    with pytest.raises(InvalidInput) as caught:
        services.approval_reject_and_return(review=submitted_review, approver=sponsor, comment="")

    assert caught.value.field == "comment"
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED
    assert votes(submitted_review)["sponsor"] == "pending"
    assert not AuditEvent.objects.filter(action__in=["review.returned", "approval.recorded"])


def test_a_delegate_who_rejected_in_the_holders_seat_may_return_it(
    lead, sponsor, outsider, submitted_review
):
    today = timezone.localdate()
    services.delegation_create(
        by=sponsor,
        delegate=outsider,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=5),
        reason="On leave this week.",
    )
    review = submitted_review
    services.approval_record(
        review=review, approver=outsider, decision="reject", comment="Missing data."
    )

    services.review_return(review=review, by=outsider, reason="Missing data.")

    review.refresh_from_db()
    assert (review.status, review.returned_by) == (ReviewStatus.OPEN, outsider)
    event = AuditEvent.objects.get(action="review.returned")
    assert event.payload["cleared_votes"][0]["decided_by"] == "outsider"


@pytest.mark.parametrize("who", ["outsider", "executive", "contributor", "techlead", "sponsor"])
def test_it_refuses_anyone_but_the_chair_or_a_rejecting_approver(
    request, lead, sponsor, submitted_review, who
):
    # The sponsor holds a seat but has not rejected.
    services.approval_record(review=submitted_review, approver=sponsor, decision="approve")

    with pytest.raises(PermissionRefused) as caught:
        services.review_return(
            review=submitted_review, by=request.getfixturevalue(who), reason="Rework it."
        )

    assert caught.value.message == NOT_ALLOWED
    submitted_review.refresh_from_db()
    assert (submitted_review.status, submitted_review.rework_count) == ("submitted", 0)
    assert votes(submitted_review)["sponsor"] == "approve"
    assert not AuditEvent.objects.filter(action="review.returned").exists()


def test_it_refuses_an_open_review(lead, use_case):
    review = make_open_review(use_case, lead)

    with pytest.raises(TransitionRefused) as caught:
        services.review_return(review=review, by=lead, reason="Rework it.")

    assert caught.value.message == "Only a submitted review is returned for rework."
    assert caught.value.reasons == [
        "The review is still open with the team: it has not been submitted."
    ]
    assert not AuditEvent.objects.filter(action="review.returned").exists()


def test_it_refuses_a_decided_review(lead, sponsor, submitted_review):
    services.gate_decide(
        review=submitted_review, by=lead, decision="hold", rationale="Budget freeze."
    )

    with pytest.raises(TransitionRefused) as caught:
        services.review_return(review=submitted_review, by=lead, reason="Rework it.")

    assert caught.value.reasons == ["The gate has already been decided (Hold)."]


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Say why the review goes back for rework."),
        ("   ", "Say why the review goes back for rework."),
        ("x" * 5001, "The reason is longer than 5,000 characters."),
    ],
)
def test_it_needs_a_reason_and_changes_nothing_without_one(
    lead, sponsor, submitted_review, reason, message
):
    services.approval_record(review=submitted_review, approver=sponsor, decision="approve")

    with pytest.raises(InvalidInput) as caught:
        services.review_return(review=submitted_review, by=lead, reason=reason)

    assert (caught.value.message, caught.value.field) == (message, "reason")
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED
    assert votes(submitted_review)["sponsor"] == "approve"
    assert not AuditEvent.objects.filter(action="review.returned").exists()
