"""A use case's finances read from its cost lines and benefits."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.factories import UseCaseFactory
from value.models import Benefit, BenefitRealisation, CostLine, CostMultiplier
from value.selectors import finances_of

pytestmark = pytest.mark.django_db


def line(use_case, by, stage, category, planned=None, actual=None):
    return CostLine.objects.create(
        use_case=use_case,
        stage=stage,
        category=category,
        planned=planned,
        actual=actual,
        updated_by=by,
    )


def test_actuals_replace_plans_and_the_poc_actuals_drive_the_projection(lead, settings):
    settings.VALUE_DISCOUNT_RATE = "0.08"
    use_case = UseCaseFactory()
    line(use_case, lead, "poc", "development", planned=D(80000), actual=D(100000))
    line(use_case, lead, "poc", "infrastructure", planned=D(10000), actual=D(10000))
    line(use_case, lead, "pilot", "development", planned=D(150000))
    line(use_case, lead, "production", "development", planned=D(200000))
    line(use_case, lead, "production", "operations_annual", planned=D(24000))
    benefit = Benefit.objects.create(
        use_case=use_case, name="Hours saved", annual_amount=D(300000), created_by=lead
    )
    BenefitRealisation.objects.create(
        benefit=benefit, period_end="2026-06-30", amount=D(40000), recorded_by=lead
    )

    finances = finances_of(use_case)

    # One-off: 100,000 + 10,000 actual at PoC, 350,000 planned after it.
    assert finances.returns.investment == D("460000.00")
    assert finances.returns.operations_annual == D("24000.00")
    assert finances.returns.benefits_annual == D("300000.00")
    assert finances.spent == D("110000")
    assert finances.realised == D("40000")
    # Development 100,000 x 3-5 and infrastructure 10,000 x 3-6.
    assert finances.projection.total.low == D("330000.00")
    assert finances.projection.total.high == D("560000.00")
    # Pilot and production plan 350,000: above the low end, no warning.
    assert finances.projection.planned == D("350000.00")
    assert not finances.projection.below_projection


def test_the_administrators_multipliers_are_used(lead):
    CostMultiplier.objects.filter(category="development").update(low=D(4), high=D(8))
    use_case = UseCaseFactory()
    line(use_case, lead, "poc", "development", actual=D(1000))
    line(use_case, lead, "pilot", "development", planned=D(3000))
    finances = finances_of(use_case)
    assert (finances.projection.total.low, finances.projection.total.high) == (
        D("4000.00"),
        D("8000.00"),
    )
    assert finances.projection.below_projection
    assert finances.projection.shortfall == D("1000.00")


def test_a_use_case_without_figures_has_no_roi(lead, django_assert_max_num_queries):
    use_case = UseCaseFactory()
    with django_assert_max_num_queries(3):
        finances = finances_of(use_case)
    assert finances.returns.roi is None
    assert finances.returns.payback_month == 0
    assert finances.projection.planned is None
