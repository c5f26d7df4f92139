"""The projection, ROI, NPV and payback against hand-computed tables."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from value.finance import project, returns


def annuity_npv(investment: float, monthly: float, rate: float, months: int = 36) -> float:
    """The same NPV in closed form: an annuity of ``monthly`` at the monthly
    rate equivalent to ``rate`` a year."""
    if monthly == 0:
        return -investment
    i = (1 + rate) ** (1 / 12) - 1
    if i == 0:
        return -investment + monthly * months
    return -investment + monthly * (1 - (1 + i) ** -months) / i


# investment, operations a year, benefits a year, rate -> costs, benefits, ROI, payback month
TABLE = [
    # 60,000 a year net: 5,000 a month, 120,000 back after 24 months.
    ("120000", "24000", "84000", "0.08", "192000.00", "252000.00", "0.3125", 24),
    # Payback inside a month's fraction rounds up: 100,000 / 3,000 = 33.3 -> 34.
    ("100000", "0", "36000", "0.10", "100000.00", "108000.00", "0.0800", 34),
    # Past the horizon: 300,000 at 5,000 a month pays back in month 60.
    ("300000", "12000", "72000", "0.05", "336000.00", "216000.00", "-0.3571", 60),
    # Benefits only cover operations: never pays back, ROI below zero.
    ("50000", "20000", "20000", "0.08", "110000.00", "60000.00", "-0.4545", None),
    # Negative net each month: never pays back.
    ("50000", "30000", "10000", "0.08", "140000.00", "30000.00", "-0.7857", None),
    # Recovered in an exact number of months: 100 at 100 a year is month 12,
    # 900,000 at 100,000 a year month 108 (a twelfth is not a finite decimal).
    ("100", "0", "100", "0.08", "100.00", "300.00", "2.0000", 12),
    ("900000", "0", "100000", "0.08", "900000.00", "300000.00", "-0.6667", 108),
    # Nothing invested, a positive net: paid back at once.
    ("0", "12000", "24000", "0.08", "36000.00", "72000.00", "1.0000", 0),
    # Nothing at all: no ROI (nothing spent), NPV zero, paid back at once.
    ("0", "0", "0", "0.08", "0.00", "0.00", None, 0),
    # A zero discount rate: NPV is the plain sum.
    ("120000", "24000", "84000", "0", "192000.00", "252000.00", "0.3125", 24),
]


@pytest.mark.parametrize(
    ("investment", "operations", "benefits", "rate", "costs", "total", "roi", "payback"), TABLE
)
def test_returns_match_the_hand_computed_table(
    investment, operations, benefits, rate, costs, total, roi, payback
):
    result = returns(
        investment=D(investment),
        operations_annual=D(operations),
        benefits_annual=D(benefits),
        discount_rate=D(rate),
    )
    assert result.costs == D(costs)
    assert result.benefits == D(total)
    assert result.roi == (None if roi is None else D(roi))
    assert result.payback_month == payback
    monthly = (float(benefits) - float(operations)) / 12
    expected = annuity_npv(float(investment), monthly, float(rate))
    assert float(result.npv) == pytest.approx(expected, abs=0.01)


def test_npv_at_zero_rate_is_the_undiscounted_net():
    result = returns(
        investment=D(120000),
        operations_annual=D(24000),
        benefits_annual=D(84000),
        discount_rate=D(0),
    )
    assert result.npv == D("60000.00")


def test_a_higher_discount_rate_lowers_the_npv():
    low, high = (
        returns(
            investment=D(120000),
            operations_annual=D(24000),
            benefits_annual=D(84000),
            discount_rate=D(rate),
        ).npv
        for rate in ("0.05", "0.15")
    )
    assert high < low


def test_the_projection_multiplies_each_category_by_the_scorecards_range():
    # The scorecard's own example figures (yen): infrastructure 30K, development
    # 1M, data preparation 300K spent in the PoC.
    projection = project(
        {"infrastructure": D(30000), "development": D(1000000), "data_preparation": D(300000)},
        planned_production=D(3500000),
    )
    assert projection.by_category["infrastructure"].low == D("90000.00")  # 3x
    assert projection.by_category["infrastructure"].high == D("180000.00")  # 6x
    assert projection.by_category["development"].low == D("3000000.00")  # 3x
    assert projection.by_category["development"].high == D("5000000.00")  # 5x
    assert projection.by_category["data_preparation"].low == D("900000.00")  # 3x
    assert projection.by_category["data_preparation"].high == D("1800000.00")  # 6x
    assert (projection.total.low, projection.total.high) == (D("3990000.00"), D("6980000.00"))
    # Operations a year: 20-30% of the projected initial investment.
    assert projection.operations_annual.low == D("798000.00")
    assert projection.operations_annual.high == D("2094000.00")
    # Both references on the whole PoC (1.33M): 3-5x and 8-15x.
    assert (projection.rule_of_thumb.low, projection.rule_of_thumb.high) == (
        D("3990000.00"),
        D("6650000.00"),
    )
    assert (projection.survey.low, projection.survey.high) == (
        D("10640000.00"),
        D("19950000.00"),
    )
    # 3.5M planned is below the 3.99M the PoC predicts.
    assert projection.below_projection
    assert projection.shortfall == D("490000.00")


def test_a_plan_at_or_above_the_projection_raises_no_warning():
    actuals = {"development": D(100)}
    assert not project(actuals, planned_production=D(300)).below_projection
    assert not project(actuals, planned_production=D(1000)).below_projection
    assert project(actuals, planned_production=D("299.99")).below_projection
    assert not project(actuals).below_projection  # nothing planned: nothing to warn about


def test_edited_multipliers_replace_the_defaults():
    projection = project({"development": D(1000)}, multipliers={"development": (D(2), D("2.5"))})
    assert (projection.total.low, projection.total.high) == (D("2000.00"), D("2500.00"))


def test_training_and_operations_have_no_multiplier():
    projection = project({"training_change": D(5000), "operations_annual": D(9000)})
    assert projection.total.low == projection.total.high == D("0.00")
    # Training is a one-off PoC cost and counts in the whole-PoC references.
    assert projection.poc_actual == D("5000.00")
