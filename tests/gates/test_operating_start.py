"""Gate 4's Go puts a use case into operation: a named owner and the first
recertification due a risk tier's interval on."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.models import AuditEvent
from tests.factories import UseCaseFactory
from tests.gates.helpers import advance
from usecases.models import RiskTier, Stage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("tier", "months"), [(RiskTier.HIGH, 6), (RiskTier.MEDIUM, 12), (RiskTier.LOW, 24)]
)
def test_gate_4_go_names_the_owner_and_schedules_the_first_recertification(
    lead, sponsor, techlead, cio, business_unit, tier, months
):
    use_case = UseCaseFactory(
        business_unit=business_unit, sponsor=sponsor, technical_lead=techlead, risk_tier=tier
    )
    advance(use_case, lead, sponsor, 4)
    assert use_case.stage == Stage.SCALE
    assert use_case.is_operating
    assert use_case.operating_owner == sponsor
    today = timezone.localdate()
    month = today.month - 1 + months
    expected_year, expected_month = today.year + month // 12, month % 12 + 1
    assert use_case.recertification_due_on.replace(day=1) == datetime.date(
        expected_year, expected_month, 1
    )
    event = (
        AuditEvent.objects.filter(use_case=use_case, action="gate.decided").order_by("seq").last()
    )
    assert event.payload["operating_owner"] == sponsor.username
    assert event.payload["recertification_due_on"] == use_case.recertification_due_on.isoformat()
