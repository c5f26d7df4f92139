"""review_submit: only a complete review goes to the approvers, and it pins
the artifact versions they judge."""

from __future__ import annotations

import pytest

from core.errors import PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Artifact, ReviewStatus
from tests.gates.helpers import (
    artifact_type,
    assess_all,
    isolate,
    make_open_review,
    named_file,
    upload_required,
)

pytestmark = pytest.mark.django_db

ALL_MISSING = [
    "Missing artifact: Use case scorecard",
    "Missing artifact: Data availability assessment",
    "Missing artifact: Preliminary risk assessment",
    "Missing artifact: Business value hypothesis with assumptions documented",
    "Criterion not assessed: Business value",
    "Criterion not assessed: Data availability",
    "Criterion not assessed: Process maturity",
    "Criterion not assessed: Risk",
    "Criterion not assessed: Sponsorship",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def upload(use_case, by, position, content):
    return services.artifact_upload(
        use_case=use_case,
        by=by,
        artifact_type=artifact_type(1, position),
        file=named_file(f"evidence-{position}.txt", content),
    )


def complete(review, sponsor):
    upload_required(review, sponsor)
    assess_all(review, sponsor)


def test_it_refuses_listing_every_missing_artifact_and_unassessed_criterion(
    lead, sponsor, use_case
):
    review = make_open_review(use_case, lead)

    with pytest.raises(TransitionRefused) as caught:
        services.review_submit(review=review, by=sponsor)

    assert caught.value.message == "The review cannot be submitted yet."
    assert caught.value.reasons == ALL_MISSING
    review.refresh_from_db()
    assert (review.status, review.submitted_at, review.submitted_by) == ("open", None, None)
    assert not review.pinned_artifacts.exists()
    assert not AuditEvent.objects.filter(action="review.submitted").exists()


def test_it_lists_only_what_is_still_missing(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    upload(use_case, sponsor, 1, b"scorecard\n")
    upload(use_case, sponsor, 3, b"risk\n")
    for criterion in review.criteria.filter(name__in=["Business value", "Risk"]):
        services.criterion_assess(review=review, criterion=criterion, by=sponsor, status="not_met")

    with pytest.raises(TransitionRefused) as caught:
        services.review_submit(review=review, by=sponsor)

    assert caught.value.reasons == [
        "Missing artifact: Data availability assessment",
        "Missing artifact: Business value hypothesis with assumptions documented",
        "Criterion not assessed: Data availability",
        "Criterion not assessed: Process maturity",
        "Criterion not assessed: Sponsorship",
    ]


def test_it_does_not_count_artifacts_of_another_gate(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    assess_all(review, sponsor)
    for position in range(1, 4):
        services.artifact_upload(
            use_case=use_case,
            by=sponsor,
            artifact_type=artifact_type(2, position),
            file=named_file("later.txt", b"for gate 2\n"),
        )

    with pytest.raises(TransitionRefused) as caught:
        services.review_submit(review=review, by=sponsor)

    assert caught.value.reasons == ALL_MISSING[:4]


@pytest.mark.parametrize("who", ["sponsor", "lead", "techlead"])
def test_it_submits_a_complete_review(request, lead, sponsor, use_case, who):
    person = request.getfixturevalue(who)
    review = make_open_review(use_case, lead)
    complete(review, sponsor)

    services.review_submit(review=review, by=person)

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_by == person
    assert review.submitted_at is not None
    event = AuditEvent.objects.get(action="review.submitted")
    assert (event.actor, event.object_id) == (person, str(review.pk))
    assert event.summary == "Submitted the Gate 1 review for approval"


@pytest.mark.parametrize("who", ["contributor", "outsider", "executive", "buhead"])
def test_it_refuses_people_who_do_not_submit(request, lead, sponsor, use_case, who):
    review = make_open_review(use_case, lead)
    complete(review, sponsor)

    with pytest.raises(PermissionRefused) as caught:
        services.review_submit(review=review, by=request.getfixturevalue(who))

    assert caught.value.message == (
        "Only the use case's sponsor, technical lead or a program lead submits a review."
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert not review.pinned_artifacts.exists()


def test_it_refuses_a_second_submission(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    complete(review, sponsor)
    services.review_submit(review=review, by=sponsor)

    with pytest.raises(TransitionRefused) as caught:
        services.review_submit(review=review, by=sponsor)

    assert caught.value.message == "Only an open review can be submitted."
    assert caught.value.reasons == ["The review is submitted: awaiting approvals and decision."]
    assert AuditEvent.objects.filter(action="review.submitted").count() == 1


def test_it_pins_the_latest_version_of_each_required_artifact(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    complete(review, sponsor)
    v2 = upload(use_case, sponsor, 1, b"scorecard, second draft\n")
    assert v2.version == 2

    services.review_submit(review=review, by=sponsor)

    pinned = {a.artifact_type.order: a for a in review.pinned_artifacts.all()}
    assert sorted(pinned) == [1, 2, 3, 4]
    assert pinned[1] == v2
    assert all(a.version == 1 for order, a in pinned.items() if order != 1)
    event = AuditEvent.objects.get(action="review.submitted")
    assert event.payload["pinned"][str(v2.artifact_type_id)] == [v2.pk, 2, v2.sha256]


def test_it_keeps_the_pinned_versions_when_a_newer_one_is_uploaded(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    complete(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    pinned_before = set(review.pinned_artifacts.values_list("pk", flat=True))

    newer = upload(use_case, sponsor, 1, b"scorecard, revised after submission\n")

    review.refresh_from_db()
    assert newer.version == 2
    assert set(review.pinned_artifacts.values_list("pk", flat=True)) == pinned_before
    assert newer.pk not in pinned_before
    assert (
        Artifact.objects.filter(use_case=use_case, artifact_type=newer.artifact_type).count() == 2
    )
