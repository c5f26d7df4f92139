"""criterion_assess: the team and program leads record how a criterion stands,
while the review is open, with evidence and linked artifacts."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import AssessmentStatus
from tests.factories import UseCaseFactory
from tests.gates.helpers import (
    artifact_type,
    isolate,
    make_open_review,
    make_submitted_review,
    named_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def first_criterion(review):
    return review.criteria.order_by("order").first()


def assess(review, by, status=AssessmentStatus.MET, evidence="Sign-off minutes attached.", **kw):
    return services.criterion_assess(
        review=review,
        criterion=first_criterion(review),
        by=by,
        status=status,
        evidence=evidence,
        **kw,
    )


@pytest.mark.parametrize("who", ["lead", "sponsor", "techlead", "contributor"])
def test_it_lets_the_team_and_program_leads_assess(request, open_review, who):
    person = request.getfixturevalue(who)

    assess(open_review, person, status=AssessmentStatus.PARTIALLY_MET)

    criterion = first_criterion(open_review)
    assert criterion.status == AssessmentStatus.PARTIALLY_MET
    assert criterion.evidence == "Sign-off minutes attached."
    assert criterion.assessed_by == person
    assert criterion.assessed_at is not None


@pytest.mark.parametrize("who", ["outsider", "executive", "cio", "buhead"])
def test_it_refuses_people_outside_the_team(request, open_review, who):
    with pytest.raises(PermissionRefused) as caught:
        assess(open_review, request.getfixturevalue(who))

    assert caught.value.message == (
        "Only the use case's team and program leads assess the gate criteria."
    )
    criterion = first_criterion(open_review)
    assert (criterion.status, criterion.evidence, criterion.assessed_by) == ("pending", "", None)
    assert not AuditEvent.objects.filter(action="criterion.assessed").exists()


def test_it_refuses_once_the_review_is_submitted(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)

    with pytest.raises(TransitionRefused) as caught:
        assess(review, sponsor, status=AssessmentStatus.NOT_MET)

    assert caught.value.message == "Criteria can be assessed only while the review is open."
    assert caught.value.reasons == ["The review is submitted: awaiting approvals and decision."]
    assert first_criterion(review).status == AssessmentStatus.MET


def test_it_refuses_once_the_review_is_decided(lead, sponsor, open_review):
    services.gate_decide(review=open_review, by=lead, decision="recycle", rationale="Rework.")

    with pytest.raises(TransitionRefused) as caught:
        assess(open_review, sponsor)

    assert caught.value.reasons == ["The review is decided."]


@pytest.mark.parametrize("status", ["pending", "done", ""])
def test_it_refuses_a_status_that_is_not_an_assessment(sponsor, open_review, status):
    with pytest.raises(InvalidInput) as caught:
        assess(open_review, sponsor, status=status)

    assert caught.value.message == (
        "Status must be one of: met, partially_met, not_met, not_applicable."
    )
    assert caught.value.field == "status"
    assert first_criterion(open_review).status == AssessmentStatus.PENDING


def test_it_refuses_evidence_over_10000_characters(sponsor, open_review):
    with pytest.raises(InvalidInput) as caught:
        assess(open_review, sponsor, evidence="e" * 10001)

    assert caught.value.message == "The evidence is longer than 10,000 characters."


def test_it_links_artifacts_of_the_use_case(sponsor, open_review, use_case):
    artifact = services.artifact_upload(
        use_case=use_case,
        by=sponsor,
        artifact_type=artifact_type(1, 1),
        file=named_file("scorecard.md", b"# Scorecard\n"),
    )

    assess(open_review, sponsor, artifacts=[artifact])

    assert list(first_criterion(open_review).artifacts.all()) == [artifact]


def test_it_refuses_artifacts_of_another_use_case(sponsor, business_unit, open_review):
    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor)
    foreign = services.artifact_upload(
        use_case=other,
        by=sponsor,
        artifact_type=artifact_type(1, 1),
        file=named_file("scorecard.md", b"# Scorecard\n"),
    )

    with pytest.raises(InvalidInput) as caught:
        assess(open_review, sponsor, artifacts=[foreign])

    assert caught.value.message == "Linked artifacts must belong to this use case."
    criterion = first_criterion(open_review)
    assert criterion.status == AssessmentStatus.PENDING
    assert not criterion.artifacts.exists()


def test_it_refuses_a_criterion_of_another_review(lead, sponsor, business_unit, open_review):
    other = make_open_review(UseCaseFactory(business_unit=business_unit, sponsor=sponsor), lead)

    with pytest.raises(InvalidInput) as caught:
        services.criterion_assess(
            review=open_review, criterion=first_criterion(other), by=sponsor, status="met"
        )

    assert caught.value.message == "That criterion belongs to another review."
    assert first_criterion(other).status == AssessmentStatus.PENDING


def test_it_audits_the_assessment_with_before_and_after(sponsor, techlead, open_review):
    assess(open_review, sponsor, status=AssessmentStatus.PARTIALLY_MET, evidence="Draft only.")
    assess(open_review, techlead, status=AssessmentStatus.MET, evidence="Signed off.")

    first, second = AuditEvent.objects.filter(action="criterion.assessed").order_by("seq")
    criterion = first_criterion(open_review)
    assert (first.actor, first.object_id) == (sponsor, str(criterion.pk))
    assert first.summary == "Assessed “Business value” as Partially met"
    assert first.payload == {
        "review": open_review.pk,
        "before": {"status": "pending", "evidence": ""},
        "after": {"status": "partially_met", "evidence": "Draft only."},
        "artifacts": [],
    }
    assert second.actor == techlead
    assert second.payload["before"] == {"status": "partially_met", "evidence": "Draft only."}
    assert second.payload["after"] == {"status": "met", "evidence": "Signed off."}


def test_it_bumps_the_review_revision(sponsor, open_review):
    before = open_review.revision

    assess(open_review, sponsor)

    open_review.refresh_from_db()
    assert open_review.revision == before + 1
