"""The money of a use case, computed the way the seeds reckon it: a
production budget projected from the PoC's actual costs with the scorecard's
multipliers (Strategy 5), and a 3-year ROI, NPV and payback month from the
one-off costs, the annual operations cost and the annual benefits
(stage-gate framework: "project ROI over a 3-year horizon").

Pure functions of Decimal figures: no database, so each is checked against
hand-computed tables.

The cash-flow model, stated once:

- month 0: every one-off cost (each stage's development, infrastructure,
  data preparation, training and change management; an actual where one is
  recorded, else the plan) leaves at once;
- months 1 to 36: a twelfth of (annual benefits − annual operations cost)
  each month;
- ROI = (benefits − costs) / costs over the 36 months, undiscounted;
- NPV discounts month m by (1 + rate)^(m / 12);
- payback month: the first month whose cumulative net is at least zero
  (0 when nothing was invested), possibly past the horizon; None when the
  monthly net is not positive and the investment is never recovered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

HORIZON_MONTHS = 36
ZERO = Decimal("0")
CENT = Decimal("0.01")


class Category:
    INFRASTRUCTURE = "infrastructure"
    DEVELOPMENT = "development"
    DATA_PREPARATION = "data_preparation"
    TRAINING = "training_change"
    OPERATIONS = "operations_annual"

    # One-off categories, in the order the seed lists them.
    ONE_OFF = (INFRASTRUCTURE, DEVELOPMENT, DATA_PREPARATION, TRAINING)


# PoC-to-production multipliers of the scorecard's Strategy 5: (low, high).
# Training and change management and annual operations are "not budgeted in
# a PoC": they have no multiplier.
DEFAULT_MULTIPLIERS: dict[str, tuple[Decimal, Decimal]] = {
    Category.INFRASTRUCTURE: (Decimal(3), Decimal(6)),
    Category.DEVELOPMENT: (Decimal(3), Decimal(5)),
    Category.DATA_PREPARATION: (Decimal(3), Decimal(6)),
}
# Annual operations: 20-30% of the initial investment.
DEFAULT_OPERATIONS_SHARE = (Decimal("0.20"), Decimal("0.30"))
# The two rules of thumb on the whole PoC cost: the scorecard's 3-5x and the
# playbook's 8-15x (Deloitte's survey).
RULE_OF_THUMB = (Decimal(3), Decimal(5))
SURVEY_RANGE = (Decimal(8), Decimal(15))


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal

    def __mul__(self, factor: Decimal) -> Range:
        return Range(money(self.low * factor), money(self.high * factor))

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.high + other.high)


@dataclass(frozen=True)
class Projection:
    """The production budget the PoC's actual costs predict."""

    poc_actual: Decimal
    by_category: dict[str, Range]  # the multiplied categories
    total: Range  # their sum
    operations_annual: Range  # 20-30% of the projected initial investment
    rule_of_thumb: Range  # 3-5x the whole PoC
    survey: Range  # 8-15x the whole PoC
    planned: Decimal | None  # the planned production budget, when planned
    below_projection: bool  # planned below the projection's low end

    @property
    def shortfall(self) -> Decimal:
        if self.planned is None or not self.below_projection:
            return ZERO
        return self.total.low - self.planned


def project(
    poc_actuals: Mapping[str, Decimal],
    planned_production: Decimal | None = None,
    multipliers: Mapping[str, tuple[Decimal, Decimal]] | None = None,
    operations_share: tuple[Decimal, Decimal] = DEFAULT_OPERATIONS_SHARE,
) -> Projection:
    """Multiply each PoC actual by its category's range. ``planned_production``
    is the one-off budget planned for Pilot and Production together."""
    multipliers = DEFAULT_MULTIPLIERS if multipliers is None else multipliers
    by_category = {
        category: Range(
            money(poc_actuals.get(category, ZERO) * low),
            money(poc_actuals.get(category, ZERO) * high),
        )
        for category, (low, high) in multipliers.items()
    }
    total = Range(ZERO, ZERO)
    for value in by_category.values():
        total = total + value
    poc_total = sum((poc_actuals.get(c, ZERO) for c in Category.ONE_OFF), ZERO)
    share_low, share_high = operations_share
    return Projection(
        poc_actual=money(poc_total),
        by_category=by_category,
        total=Range(money(total.low), money(total.high)),
        operations_annual=Range(money(total.low * share_low), money(total.high * share_high)),
        rule_of_thumb=Range(
            money(poc_total * RULE_OF_THUMB[0]), money(poc_total * RULE_OF_THUMB[1])
        ),
        survey=Range(money(poc_total * SURVEY_RANGE[0]), money(poc_total * SURVEY_RANGE[1])),
        planned=None if planned_production is None else money(planned_production),
        below_projection=planned_production is not None and planned_production < total.low,
    )


@dataclass(frozen=True)
class Returns:
    investment: Decimal  # one-off, month 0
    operations_annual: Decimal
    benefits_annual: Decimal
    costs: Decimal  # over the horizon
    benefits: Decimal  # over the horizon
    roi: Decimal | None  # a ratio (0.25 = 25%); None when nothing is spent
    npv: Decimal
    payback_month: int | None
    discount_rate: Decimal
    horizon_months: int = HORIZON_MONTHS

    @property
    def roi_percent(self) -> Decimal | None:
        return None if self.roi is None else (self.roi * 100).quantize(Decimal("0.1"))


def returns(
    *,
    investment: Decimal,
    operations_annual: Decimal,
    benefits_annual: Decimal,
    discount_rate: Decimal,
    horizon_months: int = HORIZON_MONTHS,
) -> Returns:
    """3-year ROI, NPV and payback month of the cash-flow model above."""
    monthly = (benefits_annual - operations_annual) / 12
    years = Decimal(horizon_months) / 12
    costs = investment + operations_annual * years
    benefits = benefits_annual * years
    roi = None if costs == 0 else ((benefits - costs) / costs).quantize(Decimal("0.0001"))
    monthly_rate = (1 + discount_rate) ** (Decimal(1) / 12)
    npv = -investment
    factor = Decimal(1)
    for _ in range(horizon_months):
        factor *= monthly_rate
        npv += monthly / factor
    annual_net = benefits_annual - operations_annual
    if investment <= 0:
        payback: int | None = 0
    elif annual_net <= 0:
        payback = None
    else:
        # The first whole month whose cumulative net reaches the investment,
        # in exact fractions: a twelfth of the annual net is rarely a finite
        # decimal, and 100 recovered at 100 a year is month 12, not 13.
        payback = math.ceil(Fraction(investment) * 12 / Fraction(annual_net))
    return Returns(
        investment=money(investment),
        operations_annual=money(operations_annual),
        benefits_annual=money(benefits_annual),
        costs=money(costs),
        benefits=money(benefits),
        roi=roi,
        npv=money(npv),
        payback_month=payback,
        discount_rate=discount_rate,
        horizon_months=horizon_months,
    )
