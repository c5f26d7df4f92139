"""A use case in operation at Scale, with a monitored KPI."""

from __future__ import annotations

import pytest

from readiness import services as readiness_services
from readiness.models import Kpi
from tests.operations.helpers import in_operation
from usecases.models import UseCase


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
