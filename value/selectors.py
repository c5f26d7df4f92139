"""Reads of a use case's money: its budget grid, what it has spent, the
projection from the PoC and its returns, in two queries (three with the
multipliers), whatever the number of cost lines and benefits."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from usecases.models import Stage, UseCase
from value import finance
from value.models import (
    ONE_OFF_CATEGORIES,
    Benefit,
    BenefitRealisation,
    CostCategory,
    CostLine,
    CostMultiplier,
)

ZERO = Decimal("0")
# The one-off budget the projection compares: the stages that take a PoC to
# production.
PRODUCTION_STAGES = (Stage.PILOT, Stage.PRODUCTION)


def currency() -> str:
    return str(settings.VALUE_CURRENCY)


def discount_rate() -> Decimal:
    return Decimal(str(settings.VALUE_DISCOUNT_RATE))


def multipliers() -> dict[str, tuple[Decimal, Decimal]]:
    """The administrator's ranges; the scorecard's when none is stored."""
    stored = {m.category: (m.low, m.high) for m in CostMultiplier.objects.all()}
    return stored or dict(finance.DEFAULT_MULTIPLIERS)


@dataclass(frozen=True)
class Cell:
    planned: Decimal | None
    actual: Decimal | None

    @property
    def effective(self) -> Decimal:
        """What counts in the returns: the actual once recorded, else the plan."""
        if self.actual is not None:
            return self.actual
        return self.planned or ZERO


@dataclass(frozen=True)
class Finances:
    use_case_id: int
    currency: str
    grid: dict[str, dict[str, Cell]]  # stage -> category -> cell
    benefits: list[Benefit]
    realised: Decimal
    projection: finance.Projection
    returns: finance.Returns
    planned_one_off: Decimal
    actual_one_off: Decimal
    spent: Decimal  # every actual recorded, operations included
    notes: list[str] = field(default_factory=list)

    def cell(self, stage: str, category: str) -> Cell:
        return self.grid.get(stage, {}).get(category, Cell(None, None))

    def metric(self, name: str) -> Decimal | int | None:
        """A ``value.models.ValueMetric`` by name: ROI in percent, NPV, payback month."""
        if name == "roi_3y":
            return self.returns.roi_percent
        if name == "npv":
            return self.returns.npv
        if name == "payback_month":
            return self.returns.payback_month
        raise KeyError(name)


def _sum(values) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def finances_of(use_case: UseCase | int) -> Finances:
    use_case_id = use_case if isinstance(use_case, int) else use_case.pk
    grid: dict[str, dict[str, Cell]] = {}
    for line in CostLine.objects.filter(use_case_id=use_case_id).only(
        "stage", "category", "planned", "actual"
    ):
        grid.setdefault(line.stage, {})[line.category] = Cell(line.planned, line.actual)
    benefits = list(
        Benefit.objects.filter(use_case_id=use_case_id)
        .select_related("kpi")
        .annotate(realised=Sum("realisations__amount"))
        .order_by("name", "id")
    )
    realised = _sum(b.realised for b in benefits)
    cells = [(stage, cat, cell) for stage, row in grid.items() for cat, cell in row.items()]
    one_off = [(s, c, cell) for s, c, cell in cells if c in ONE_OFF_CATEGORIES]
    investment = _sum(cell.effective for _, _, cell in one_off)
    operations = _sum(cell.effective for _, c, cell in cells if c == CostCategory.OPERATIONS)
    poc_actuals = {
        c: cell.actual for s, c, cell in one_off if s == Stage.POC and cell.actual is not None
    }
    production_plans = [
        cell.planned
        for s, _, cell in one_off
        if s in PRODUCTION_STAGES and cell.planned is not None
    ]
    projection = finance.project(
        poc_actuals,
        planned_production=_sum(production_plans) if production_plans else None,
        multipliers=multipliers(),
    )
    returns = finance.returns(
        investment=investment,
        operations_annual=operations,
        benefits_annual=_sum(b.annual_amount for b in benefits),
        discount_rate=discount_rate(),
    )
    return Finances(
        use_case_id=use_case_id,
        currency=currency(),
        grid=grid,
        benefits=benefits,
        realised=realised,
        projection=projection,
        returns=returns,
        planned_one_off=_sum(cell.planned for _, _, cell in one_off),
        actual_one_off=_sum(cell.actual for _, _, cell in one_off),
        spent=_sum(cell.actual for _, _, cell in cells),
    )


def realisations_of(benefit: Benefit):
    return BenefitRealisation.objects.filter(benefit=benefit).order_by("period_end", "id")


def spent_of(use_case: UseCase | int) -> Decimal:
    """Every actual cost recorded for a use case, operations included: what
    it had spent when a Kill or Retire ended it (one query)."""
    use_case_id = use_case if isinstance(use_case, int) else use_case.pk
    total = CostLine.objects.filter(use_case_id=use_case_id).aggregate(total=Sum("actual"))
    return total["total"] or ZERO
