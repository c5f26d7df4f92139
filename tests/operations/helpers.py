"""Put a use case in operation and record measurements, as the tests need."""

from __future__ import annotations

import datetime

from django.utils import timezone

from readiness import services as readiness_services
from readiness.models import Kpi
from usecases.models import Stage, UseCase


def in_operation(use_case: UseCase, owner, due_in_days: int = 180) -> UseCase:
    # Test set-up only: products reach Scale through Gate 4 (tests/gates/helpers.advance
    # does it for the tests that need the real gates; see test_schedule.py).
    UseCase.objects.filter(pk=use_case.pk).update(
        stage=Stage.SCALE,
        operating_owner=owner,
        recertification_due_on=timezone.localdate() + datetime.timedelta(days=due_in_days),
    )
    use_case.refresh_from_db()
    return use_case


def measure(kpi: Kpi, by, value, on: datetime.date | None = None):
    return readiness_services.kpi_measurement_record(
        kpi=kpi, by=by, value=value, measured_at=on or timezone.localdate()
    )
