from __future__ import annotations

import datetime

import pytest
import time_machine

from core.models import AuditEvent
from gates import services as gate_services
from gates.models import AssessmentStatus
from readiness import services
from tests.readiness.helpers import pilot_adoption, to_pilot

NOW = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def adoption(use_case, lead, sponsor, cio):
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        to_pilot(use_case, lead, sponsor)
        review = gate_services.review_open(use_case=use_case, by=lead)
        kpi = pilot_adoption(use_case, sponsor)
    criterion = review.criteria.get(name="Adoption")
    return review, criterion, kpi


def test_it_leaves_a_bound_criterion_pending_until_a_measurement_exists(adoption, sponsor):
    _, criterion, kpi = adoption
    with time_machine.travel(NOW, tick=False):
        services.kpi_rule_bind(
            review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
        )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING
    assert AuditEvent.objects.filter(action="kpi_rule.bound").count() == 1


def test_it_assesses_the_criterion_met_from_a_measurement_at_or_above_the_threshold(
    adoption, sponsor, contributor
):
    _, criterion, kpi = adoption
    with time_machine.travel(NOW, tick=False):
        services.kpi_rule_bind(
            review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
        )
        services.kpi_measurement_record(
            kpi=kpi, by=contributor, value="64", measured_at="2026-11-01"
        )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert criterion.evidence == "Pilot adoption 64% on 2026-11-01 (rule: ≥ 60%)"
    assert criterion.assessed_by == contributor


def test_it_assesses_the_criterion_not_met_below_the_threshold(adoption, sponsor):
    _, criterion, kpi = adoption
    with time_machine.travel(NOW, tick=False):
        services.kpi_measurement_record(kpi=kpi, by=sponsor, value="64", measured_at="2026-10-01")
        services.kpi_rule_bind(
            review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
        )
        criterion.refresh_from_db()
        assert criterion.status == AssessmentStatus.MET
        services.kpi_measurement_record(kpi=kpi, by=sponsor, value="57.5", measured_at="2026-11-01")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence == "Pilot adoption 57.5% on 2026-11-01 (rule: ≥ 60%)"


def test_it_uses_the_latest_measurement_by_date_not_by_entry(adoption, sponsor):
    _, criterion, kpi = adoption
    with time_machine.travel(NOW, tick=False):
        services.kpi_rule_bind(
            review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
        )
        services.kpi_measurement_record(kpi=kpi, by=sponsor, value="70", measured_at="2026-11-02")
        services.kpi_measurement_record(kpi=kpi, by=sponsor, value="40", measured_at="2026-10-01")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert "70% on 2026-11-02" in criterion.evidence


def test_it_leaves_the_criterion_alone_once_the_review_is_submitted(adoption, sponsor, lead):
    review, criterion, kpi = adoption
    from tests.gates.helpers import assess_all, upload_required

    with time_machine.travel(NOW, tick=False):
        services.kpi_rule_bind(
            review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
        )
        services.kpi_measurement_record(kpi=kpi, by=sponsor, value="70", measured_at="2026-10-01")
        upload_required(review, sponsor)
        assess_all(review, sponsor)
        gate_services.review_submit(review=review, by=sponsor)
        services.kpi_measurement_record(kpi=kpi, by=sponsor, value="10", measured_at="2026-11-01")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert criterion.evidence.startswith("Pilot adoption 70")
