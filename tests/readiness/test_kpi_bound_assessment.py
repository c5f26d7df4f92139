"""A criterion bound to a KPI rule is assessed only from measurements: a hand
assessment is refused (service, API, page) until the rule is unbound, with a
reason, in the audit trail."""

from __future__ import annotations

import pytest

from core.errors import TransitionRefused
from core.models import AuditEvent
from gates import services as gate_services
from gates.models import AssessmentStatus
from readiness import services
from tests.readiness.test_kpi_rule_views import HTMX

pytestmark = pytest.mark.django_db

REFUSAL = "“Adoption” is assessed from the KPI rule “Pilot adoption ≥ 60%”."


@pytest.fixture
def bound(adoption, sponsor):
    review, criterion, kpi = adoption
    services.kpi_measurement_record(kpi=kpi, by=sponsor, value="40", measured_at="2026-10-25")
    services.kpi_rule_bind(
        review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET  # 40% against 60%
    return review, criterion, kpi


def test_the_service_refuses_met_by_hand_while_the_measurement_fails(bound, sponsor):
    review, criterion, _ = bound
    before = AuditEvent.objects.count()

    with pytest.raises(TransitionRefused) as caught:
        gate_services.criterion_assess(
            review=review, criterion=criterion, by=sponsor, status="met", evidence="Trust me."
        )

    assert caught.value.message == REFUSAL
    assert "unbind the rule (with a reason)" in caught.value.reasons[0]
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert AuditEvent.objects.count() == before


def test_the_api_and_the_page_refuse_it_too(bound, api_as, client_as, sponsor):
    review, criterion, _ = bound
    response = api_as(sponsor).patch(
        f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/",
        {"status": "met", "evidence": "Trust me."},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == REFUSAL

    page = client_as(sponsor).post(
        f"/reviews/{review.pk}/criteria/{criterion.pk}/",
        {"status": "met", "evidence": "Trust me."},
        headers=HTMX,
    )
    assert page["HX-Retarget"] == "#flash"
    assert REFUSAL in page.content.decode()
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET


def test_after_unbinding_with_a_reason_it_is_assessed_by_hand(bound, sponsor):
    review, criterion, kpi = bound
    services.kpi_rule_unbind(
        review_criterion=criterion, by=sponsor, reason="Adoption is measured in a survey now."
    )

    gate_services.criterion_assess(
        review=review, criterion=criterion, by=sponsor, status="partially_met", evidence="Survey."
    )

    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PARTIALLY_MET
    event = AuditEvent.objects.get(action="kpi_rule.unbound")
    assert event.payload["reason"] == "Adoption is measured in a survey now."
