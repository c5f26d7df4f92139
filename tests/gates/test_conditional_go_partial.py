"""A must-meet criterion only partially met: Go is refused, Conditional Go is
recorded once a condition of the decision is attached to that criterion."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import InvalidInput, TransitionRefused
from core.models import AuditEvent
from gates import read_model, services
from gates.models import AssessmentStatus, Decision, GateCondition, GateReview, ReviewStatus
from tests.factories import UseCaseFactory
from tests.gates.helpers import approve_all, assess_all, upload_required
from usecases.models import Stage

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + datetime.timedelta(days=30)


def partial_reason(name: str) -> str:
    return (
        f"Must-meet criterion “{name}” is partially met: Go needs it met; Conditional Go "
        "needs a condition attached to it."
    )


@pytest.fixture
def review(use_case, lead, sponsor):
    """Gate 1 submitted and approved by all, one must-meet criterion only
    partially met."""
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    criterion = review.criteria.filter(must_meet=True).order_by("order", "id").first()
    services.criterion_assess(
        review=review,
        criterion=criterion,
        by=sponsor,
        status=AssessmentStatus.PARTIALLY_MET,
        evidence="Two of the three data sources are signed off.",
    )
    services.review_submit(review=review, by=sponsor)
    approve_all(review)
    review.refresh_from_db()
    review.partial = criterion
    return review


def condition(owner, criterion=None, text="The third source is signed off."):
    return {"description": text, "owner": owner, "due_date": DUE, "criterion": criterion}


def test_go_is_refused_and_names_the_partially_met_criterion(review, lead):
    with pytest.raises(TransitionRefused) as caught:
        services.gate_decide(review=review, by=lead, decision=Decision.GO)

    assert caught.value.reasons == [partial_reason(review.partial.name)]
    assert GateReview.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED


def test_conditional_go_needs_the_condition_on_that_criterion(review, lead, sponsor):
    other = review.criteria.exclude(pk=review.partial.pk).first()

    for conditions in ([condition(sponsor)], [condition(sponsor, other)]):
        with pytest.raises(TransitionRefused) as caught:
            services.gate_decide(
                review=review, by=lead, decision=Decision.CONDITIONAL_GO, conditions=conditions
            )
        assert caught.value.reasons == [partial_reason(review.partial.name)]

    assert not GateCondition.objects.filter(review=review).exists()
    review.use_case.refresh_from_db()
    assert review.use_case.stage == Stage.DISCOVERY


def test_conditional_go_with_a_condition_on_it_moves_the_use_case(review, lead, sponsor):
    services.gate_decide(
        review=review,
        by=lead,
        decision=Decision.CONDITIONAL_GO,
        rationale="The third source follows within the month.",
        conditions=[condition(sponsor, review.partial.pk)],
    )

    review.use_case.refresh_from_db()
    assert review.use_case.stage == Stage.POC
    tracked = GateCondition.objects.get(review=review)
    assert (tracked.criterion, tracked.owner, tracked.due_date) == (review.partial, sponsor, DUE)
    event = AuditEvent.objects.get(use_case=review.use_case, action="gate.decided")
    assert event.payload["conditions"][0]["criterion"] == review.partial.name


def test_a_criterion_not_met_still_blocks_conditional_go(review, lead, sponsor):
    blocked = review.criteria.exclude(pk=review.partial.pk).filter(must_meet=True).first()
    review.status = ReviewStatus.OPEN
    GateReview.objects.filter(pk=review.pk).update(status=ReviewStatus.OPEN)
    services.criterion_assess(
        review=review,
        criterion=blocked,
        by=sponsor,
        status=AssessmentStatus.NOT_MET,
        evidence="No owner yet.",
    )
    GateReview.objects.filter(pk=review.pk).update(status=ReviewStatus.SUBMITTED)
    review.refresh_from_db()

    with pytest.raises(TransitionRefused) as caught:
        services.gate_decide(
            review=review,
            by=lead,
            decision=Decision.CONDITIONAL_GO,
            conditions=[condition(sponsor, review.partial), condition(sponsor, blocked)],
        )

    assert caught.value.reasons == [f"Must-meet criterion “{blocked.name}” is not met."]


def test_a_criterion_of_another_review_is_refused(review, lead, sponsor, business_unit):
    other_use_case = UseCaseFactory(
        title="Fraud signals", business_unit=business_unit, sponsor=sponsor
    )
    other_review = services.review_open(use_case=other_use_case, by=lead)
    foreign = other_review.criteria.first()

    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(
            review=review,
            by=lead,
            decision=Decision.CONDITIONAL_GO,
            conditions=[condition(sponsor, foreign.pk)],
        )

    assert caught.value.message == "Condition 1: the criterion is not one of this review's."
    assert caught.value.field == "conditions"
    assert GateReview.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED


def test_the_read_model_says_conditional_go_is_open(review):
    page = read_model.review_read(review.pk)

    assert page.go_blockers == [partial_reason(review.partial.name)]
    assert page.conditional_go_blockers == []
    assert [c.pk for c in page.partially_met] == [review.partial.pk]


def test_the_page_offers_conditional_go_and_records_it(client_as, review, lead, sponsor):
    client = client_as(lead)
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Conditional Go can be recorded" in page
    assert review.partial.name in page

    response = client.post(
        f"/reviews/{review.pk}/decision/",
        {
            "decision": "conditional_go",
            "rationale": "One source follows.",
            "conditions-TOTAL_FORMS": "1",
            "conditions-INITIAL_FORMS": "0",
            "conditions-0-description": "The third source is signed off.",
            "conditions-0-owner": sponsor.pk,
            "conditions-0-due_date": DUE.isoformat(),
            "conditions-0-criterion": review.partial.pk,
        },
    )

    assert response.status_code == 302
    assert GateCondition.objects.get(review=review).criterion == review.partial
    decided = client.get(review.get_absolute_url()).content.decode()
    assert f"Answers “{review.partial.name}”" in decided


def test_the_api_records_conditional_go_on_the_criterion(api_as, review, lead, sponsor):
    client = api_as(lead)
    read = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert read["go_blockers"] == [partial_reason(review.partial.name)]
    assert read["conditional_go_blockers"] == []

    response = client.post(
        f"/api/v1/reviews/{review.pk}/decision/",
        {
            "decision": "conditional_go",
            "conditions": [
                {
                    "description": "The third source is signed off.",
                    "owner": sponsor.pk,
                    "due_date": DUE.isoformat(),
                    "criterion": review.partial.pk,
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["decision"] == "conditional_go"
    assert body["conditions"][0]["criterion"] == review.partial.pk
