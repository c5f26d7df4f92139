"""A monitored KPI's drift bound, and what a breaching measurement does."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates.models import GateReview, ReviewTrigger
from operations import services
from operations.models import DriftBreach
from readiness import services as readiness_services
from tests.operations.helpers import measure
from usecases.models import Stage, Status, UseCase

pytestmark = pytest.mark.django_db


def test_it_sets_and_clears_a_drift_bound_with_audit(accuracy, techlead):
    kpi = services.kpi_drift_set(kpi=accuracy, by=techlead, operator="<=", threshold="12.5")
    kpi.refresh_from_db()
    assert (kpi.drift_operator, str(kpi.drift_threshold)) == ("<=", "12.5000")
    event = AuditEvent.objects.filter(action="kpi.drift_set").latest("seq")
    assert event.payload["before"] == "Accuracy ≥ 91%"
    services.kpi_drift_clear(kpi=kpi, by=techlead)
    kpi.refresh_from_db()
    assert not kpi.is_monitored
    assert AuditEvent.objects.filter(action="kpi.drift_cleared", use_case=kpi.use_case).exists()


def test_it_refuses_a_drift_bound_from_an_outsider_and_bad_input(accuracy, outsider, lead):
    with pytest.raises(PermissionRefused):
        services.kpi_drift_set(kpi=accuracy, by=outsider, operator=">=", threshold="90")
    with pytest.raises(InvalidInput) as bad:
        services.kpi_drift_set(kpi=accuracy, by=lead, operator="==", threshold="90")
    assert bad.value.field == "operator"
    with pytest.raises(InvalidInput) as bad:
        services.kpi_drift_set(kpi=accuracy, by=lead, operator=">=", threshold="lots")
    assert bad.value.field == "threshold"
    accuracy.refresh_from_db()
    assert accuracy.drift_label == "Accuracy ≥ 91%"


def test_a_breach_opens_a_recertification_early_and_a_second_joins_it(accuracy, sponsor, lead):
    measure(accuracy, sponsor, "93")
    assert not DriftBreach.objects.exists()
    first = measure(accuracy, sponsor, "88")
    breach = DriftBreach.objects.get(measurement=first)
    review = breach.review
    assert review.is_recertification and review.gate_label == "Recertification"
    assert review.trigger == ReviewTrigger.DRIFT
    assert review.trigger_detail == "Accuracy 88% breaks Accuracy ≥ 91%"
    assert review.chair == lead
    assert (breach.operator, breach.threshold) == (">=", 91)
    event = AuditEvent.objects.get(action="operation.drift_breach", object_id=str(breach.pk))
    assert event.payload["opened"] is True and event.payload["review"] == review.pk

    second = measure(accuracy, sponsor, "85")
    assert DriftBreach.objects.get(measurement=second).review == review
    assert GateReview.objects.filter(use_case=accuracy.use_case).count() == 1
    event = AuditEvent.objects.filter(action="operation.drift_breach").latest("seq")
    assert event.payload["opened"] is False


def test_a_low_value_before_scale_is_not_a_breach(use_case, lead, sponsor):
    kpi = readiness_services.kpi_create(
        use_case=use_case,
        by=lead,
        name="Accuracy",
        kind="leading",
        target="95",
        direction="higher",
        unit="%",
    )
    services.kpi_drift_set(kpi=kpi, by=lead, operator=">=", threshold="91")
    measure(kpi, sponsor, "50")
    assert use_case.stage != Stage.SCALE
    assert not DriftBreach.objects.exists()
    assert not GateReview.objects.filter(use_case=use_case).exists()


def test_a_breach_with_no_program_lead_is_recorded_and_says_why(accuracy, sponsor, lead):
    lead.is_active = False
    lead.save(update_fields=["is_active"])
    measure(accuracy, sponsor, "80")
    breach = DriftBreach.objects.get()
    assert breach.review is None
    event = AuditEvent.objects.get(action="operation.drift_breach")
    assert event.payload["opened"] is False
    assert "no active program lead" in event.payload["not_opened_because"]


def test_a_breach_on_hold_is_recorded_without_a_review(accuracy, sponsor, lead):
    UseCase.objects.filter(pk=accuracy.use_case_id).update(status=Status.ON_HOLD)
    measure(accuracy, sponsor, "80")
    breach = DriftBreach.objects.get()
    assert breach.review is None
    event = AuditEvent.objects.get(action="operation.drift_breach")
    assert "on hold" in event.payload["not_opened_because"]


def test_an_imported_breach_opens_one_review(accuracy, sponsor, lead):
    import io

    file = io.BytesIO(b"kpi,measured_at,value\nAccuracy,2026-01-05,80\nAccuracy,2026-01-06,81\n")
    readiness_services.kpi_measurements_import(use_case=accuracy.use_case, by=sponsor, file=file)
    assert DriftBreach.objects.count() == 2
    assert GateReview.objects.filter(use_case=accuracy.use_case).count() == 1
    assert {b.review_id for b in DriftBreach.objects.all()} != {None}


def test_it_refuses_to_clear_a_bound_that_is_not_there(accuracy, lead):
    services.kpi_drift_clear(kpi=accuracy, by=lead)
    with pytest.raises(TransitionRefused):
        services.kpi_drift_clear(kpi=accuracy, by=lead)
