"""Deciding a recertification: Go and Conditional Go keep the use case in
operation with the next one due a tier's interval on; no stage moves; Hold
and Recycle behave as at any gate; Kill is refused (a use case in operation
is retired)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Decision, GateReview, ReviewStatus, StageTransition, add_months
from tests.factories import UseCaseFactory
from tests.gates.recertification import recertification_open, recertification_ready
from usecases.models import RiskTier, Stage, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    from tests.gates.helpers import isolate

    isolate(settings, tmp_path)


def _use_case(business_unit, sponsor, techlead, tier=RiskTier.MEDIUM):
    return UseCaseFactory(
        business_unit=business_unit, sponsor=sponsor, technical_lead=techlead, risk_tier=tier
    )


def test_it_opens_the_recertification_at_scale(lead, sponsor, techlead, cio, business_unit):
    review = recertification_open(_use_case(business_unit, sponsor, techlead), lead, sponsor)
    assert review.is_recertification
    assert review.gate_label == "Recertification"
    assert review.from_stage == review.to_stage == Stage.SCALE
    assert review.criteria.count() > 0


@pytest.mark.parametrize(
    ("tier", "months"), [(RiskTier.HIGH, 6), (RiskTier.MEDIUM, 12), (RiskTier.LOW, 24)]
)
def test_it_recertifies_with_go_and_sets_the_next_due_date_per_tier(
    lead, sponsor, techlead, cio, business_unit, tier, months
):
    use_case = _use_case(business_unit, sponsor, techlead, tier)
    review = recertification_ready(use_case, lead, sponsor)
    transitions = StageTransition.objects.filter(use_case=use_case).count()
    assert services.go_blockers(review) == []
    services.gate_decide(review=review, by=lead, decision=Decision.GO)
    use_case.refresh_from_db()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DECIDED
    assert use_case.stage == Stage.SCALE
    assert use_case.status == Status.ACTIVE
    assert use_case.recertification_due_on == add_months(timezone.localdate(), months)
    # A recertification moves no stage: no transition is recorded.
    assert StageTransition.objects.filter(use_case=use_case).count() == transitions
    event = (
        AuditEvent.objects.filter(use_case=use_case, action="gate.decided").order_by("seq").last()
    )
    assert event.summary.startswith("Recertification: Go; recertified, next due ")
    assert event.payload["recertification_due_on"] == use_case.recertification_due_on.isoformat()
    assert event.payload["to_stage"] == Stage.SCALE


def test_it_recertifies_with_conditional_go(lead, sponsor, techlead, cio, business_unit):
    use_case = _use_case(business_unit, sponsor, techlead, RiskTier.HIGH)
    review = recertification_ready(use_case, lead, sponsor)
    due = timezone.localdate() + datetime.timedelta(days=30)
    services.gate_decide(
        review=review,
        by=lead,
        decision=Decision.CONDITIONAL_GO,
        conditions=[{"description": "Re-run the bias audit", "owner": sponsor, "due_date": due}],
    )
    use_case.refresh_from_db()
    assert use_case.stage == Stage.SCALE
    assert use_case.recertification_due_on == add_months(timezone.localdate(), 6)
    assert review.conditions.get().description == "Re-run the bias audit"


def test_go_waits_for_the_recertification_s_approvals_and_criteria(
    lead, sponsor, techlead, cio, business_unit
):
    use_case = _use_case(business_unit, sponsor, techlead)
    review = recertification_open(use_case, lead, sponsor)
    blockers = services.go_blockers(review)
    assert "The review has not been submitted." in blockers
    assert any("Must-meet criterion" in reason for reason in blockers)
    with pytest.raises(TransitionRefused) as refused:
        services.gate_decide(review=review, by=lead, decision=Decision.GO)
    assert refused.value.reasons == blockers
    use_case.refresh_from_db()
    assert GateReview.objects.get(pk=review.pk).status == ReviewStatus.OPEN


def test_it_records_hold_on_a_recertification(lead, sponsor, techlead, cio, business_unit):
    use_case = _use_case(business_unit, sponsor, techlead)
    review = recertification_open(use_case, lead, sponsor)
    due = use_case.recertification_due_on
    services.gate_decide(review=review, by=lead, decision=Decision.HOLD, rationale="Wait.")
    use_case.refresh_from_db()
    assert use_case.status == Status.ON_HOLD
    assert use_case.stage == Stage.SCALE
    assert use_case.recertification_due_on == due


def test_it_records_recycle_on_a_recertification(lead, sponsor, techlead, cio, business_unit):
    use_case = _use_case(business_unit, sponsor, techlead)
    review = recertification_open(use_case, lead, sponsor)
    services.gate_decide(review=review, by=lead, decision=Decision.RECYCLE, rationale="Again.")
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE
    assert use_case.stage == Stage.SCALE
    again = services.review_open(use_case=use_case, by=lead)
    assert again.is_recertification


def test_it_refuses_kill_on_a_recertification(lead, sponsor, techlead, cio, business_unit):
    use_case = _use_case(business_unit, sponsor, techlead)
    review = recertification_open(use_case, lead, sponsor)
    with pytest.raises(TransitionRefused) as refused:
        services.gate_decide(review=review, by=lead, decision=Decision.KILL, rationale="Stop.")
    assert refused.value.reasons == [
        "A use case in operation is retired, not killed: record Retire with its "
        "decommissioning checklist."
    ]
    use_case.refresh_from_db()
    review.refresh_from_db()
    assert use_case.status == Status.ACTIVE
    assert review.status == ReviewStatus.OPEN
