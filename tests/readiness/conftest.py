"""Readiness fixtures shared by several test modules."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from gates import services as gate_services
from readiness import services
from tests.readiness.helpers import pilot_adoption, to_pilot

NOW = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def adoption(use_case, lead, sponsor, cio):
    """A Gate 3 review open on a pilot with a "Pilot adoption" KPI measured at
    64% (20 Oct 2026): (review, its "Adoption" criterion, the KPI)."""
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        to_pilot(use_case, lead, sponsor)
        review = gate_services.review_open(use_case=use_case, by=lead)
        kpi = pilot_adoption(use_case, sponsor)
    services.kpi_measurement_record(kpi=kpi, by=sponsor, value="64", measured_at="2026-10-20")
    criterion = review.criteria.get(name="Adoption")
    return review, criterion, kpi
