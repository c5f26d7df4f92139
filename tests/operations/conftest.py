"""A use case in operation at Scale, with a monitored KPI."""

from __future__ import annotations

import datetime

import pytest
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


@pytest.fixture
def operating(use_case, sponsor, lead) -> UseCase:
    return in_operation(use_case, sponsor)


@pytest.fixture
def accuracy(operating, lead) -> Kpi:
    kpi = readiness_services.kpi_create(
        use_case=operating,
        by=lead,
        name="Accuracy",
        kind="leading",
        target="95",
        direction="higher",
        unit="%",
    )
    kpi.drift_operator = ">="
    kpi.drift_threshold = 91
    kpi.save(update_fields=["drift_operator", "drift_threshold"])
    kpi.refresh_from_db()
    return kpi


def measure(kpi: Kpi, by, value, on: datetime.date | None = None):
    return readiness_services.kpi_measurement_record(
        kpi=kpi, by=by, value=value, measured_at=on or timezone.localdate()
    )
