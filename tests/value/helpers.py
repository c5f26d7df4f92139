"""Shared by the value tests: put a use case in a stage, and the hand-computed
case the page and the API are checked against."""

from __future__ import annotations

from decimal import Decimal as D

from usecases.models import UseCase
from value import services


def at_stage(use_case: UseCase, stage: str) -> UseCase:
    UseCase.objects.filter(pk=use_case.pk).update(stage=stage)
    use_case.refresh_from_db()
    return use_case


def hand_computed_case(use_case: UseCase, by) -> None:
    """A use case in Pilot whose PoC cost 100,000 development and 10,000
    infrastructure, with 100,000 planned for Pilot and Production, 24,000 a
    year to operate and 300,000 a year of benefits.

    - investment (one-off, effective): 110,000 + 100,000 = 210,000
    - 3 years: costs 210,000 + 3 × 24,000 = 282,000; benefits 900,000;
      ROI = (900,000 − 282,000) / 282,000 = 2.1915 (to four places) → 219.2%
    - NPV at 8%: −210,000 + Σ 23,000 / 1.08^(m/12) for m = 1..36 = 526,996.62
    - monthly net (300,000 − 24,000) / 12 = 23,000: payback in month
      210,000 / 23,000 = 9.13 → 10
    - projection: development 100,000 × 3–5 and infrastructure 10,000 × 3–6:
      330,000 – 560,000; the plan of 100,000 is 230,000 below its low end
    - references: 3–5× 110,000 = 330,000 – 550,000; 8–15× = 880,000 – 1,650,000
    """
    at_stage(use_case, "pilot")
    services.cost_lines_set(
        use_case=use_case,
        by=by,
        rows=[
            {"stage": "poc", "category": "development", "planned": "80000", "actual": "100000"},
            {"stage": "poc", "category": "infrastructure", "actual": "10000"},
            {"stage": "pilot", "category": "development", "planned": "60000"},
            {"stage": "production", "category": "development", "planned": "40000"},
            {"stage": "production", "category": "operations_annual", "planned": "24000"},
        ],
    )
    services.benefit_create(
        use_case=use_case, by=by, name="Analyst hours saved", annual_amount=D(300000)
    )
