"""Reads of a use case's money: its budget grid, what it has spent, the
projection from the PoC and its returns, in two queries (three with the
multipliers), whatever the number of cost lines and benefits."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Sum, Window
from django.db.models.functions import RowNumber
from django.utils.formats import number_format
from django.utils.translation import gettext

from readiness.models import Kpi, KpiMeasurement
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


def finances_of(
    use_case: UseCase | int, *, ranges: dict[str, tuple[Decimal, Decimal]] | None = None
) -> Finances:
    """``ranges``: the multipliers when the caller has read them already."""
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
        multipliers=multipliers() if ranges is None else ranges,
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


# --- The value page and endpoint ------------------------------------------------


def format_money(amount: Decimal | None, currency_code: str | None = None) -> str:
    """An amount as pages write it, grouped as the active language groups
    numbers: ``EUR 1,234,567.00`` in English, ``EUR 1.234.567,00`` in
    German; a dash for none."""
    if amount is None:
        return "—"
    figure = number_format(Decimal(amount), decimal_pos=2, force_grouping=True)
    return f"{currency_code or currency()} {figure}"


@dataclass(frozen=True)
class CellRow:
    category: str
    label: str
    planned: Decimal | None
    actual: Decimal | None


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    reached: bool  # actual costs may be recorded
    cells: list[CellRow]
    planned_total: Decimal
    actual_total: Decimal


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    label: str
    planned: Decimal
    actual: Decimal


@dataclass(frozen=True)
class ProjectedCategory:
    category: str
    label: str
    poc_actual: Decimal
    multiplier_low: Decimal
    multiplier_high: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class ValueRead:
    """Everything the Value page, its summary panel and the endpoint show,
    read once (the three queries of ``finances_of``)."""

    finances: Finances
    currency: str
    discount_rate: Decimal
    stages: list[StageRow]
    category_totals: list[CategoryTotal]
    planned_total: Decimal
    actual_total: Decimal
    projected: list[ProjectedCategory]
    multipliers: dict[str, tuple[Decimal, Decimal]]
    warnings: list[str]

    @property
    def discount_rate_percent(self) -> str:
        """The rate as people write it: ``8`` for 0.08."""
        text = f"{self.discount_rate * 100:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    @property
    def benefits(self) -> list[Benefit]:
        return self.finances.benefits

    @property
    def benefits_annual(self) -> Decimal:
        return self.finances.returns.benefits_annual

    @property
    def projection(self) -> finance.Projection:
        return self.finances.projection

    @property
    def returns(self) -> finance.Returns:
        return self.finances.returns


def below_projection_warning(projection: finance.Projection, currency_code: str) -> str:
    return gettext(
        "The planned production budget (Pilot and Production one-off plans), %(planned)s, "
        "is below the projection's low end, %(low)s: %(shortfall)s short."
    ) % {
        "planned": format_money(projection.planned, currency_code),
        "low": format_money(projection.total.low, currency_code),
        "shortfall": format_money(projection.shortfall, currency_code),
    }


def value_read(use_case: UseCase) -> ValueRead:
    """The use case's money for the page and the API (three queries)."""
    ranges = multipliers()
    finances = finances_of(use_case, ranges=ranges)
    code = finances.currency
    stages = []
    for stage in Stage.ordered():
        cells = [
            CellRow(
                category.value,
                category.label,
                finances.cell(stage, category).planned,
                finances.cell(stage, category).actual,
            )
            for category in CostCategory
        ]
        stages.append(
            StageRow(
                stage=stage.value,
                label=stage.label,
                reached=Stage.ordered().index(stage)
                <= Stage.ordered().index(Stage(use_case.stage)),
                cells=cells,
                planned_total=_sum(c.planned for c in cells),
                actual_total=_sum(c.actual for c in cells),
            )
        )
    category_totals = [
        CategoryTotal(
            category.value,
            category.label,
            _sum(finances.cell(s, category).planned for s in Stage.ordered()),
            _sum(finances.cell(s, category).actual for s in Stage.ordered()),
        )
        for category in CostCategory
    ]
    projection = finances.projection
    projected = [
        ProjectedCategory(
            category=category,
            label=CostCategory(category).label,
            poc_actual=finances.cell(Stage.POC, category).actual or ZERO,
            multiplier_low=ranges[category][0],
            multiplier_high=ranges[category][1],
            low=span.low,
            high=span.high,
        )
        for category, span in projection.by_category.items()
    ]
    warnings = [below_projection_warning(projection, code)] if projection.below_projection else []
    return ValueRead(
        finances=finances,
        currency=code,
        discount_rate=finances.returns.discount_rate,
        stages=stages,
        category_totals=category_totals,
        planned_total=_sum(t.planned for t in category_totals),
        actual_total=_sum(t.actual for t in category_totals),
        projected=projected,
        multipliers=ranges,
        warnings=warnings,
    )


def kpis_of(use_case: UseCase) -> list[Kpi]:
    """The KPIs a benefit may be tied to (one query)."""
    return list(Kpi.objects.filter(use_case=use_case).only("id", "name").order_by("name", "id"))


def recent_measurements(kpi_ids: set[int], per_kpi: int = 12) -> dict[int, list[KpiMeasurement]]:
    """The latest ``per_kpi`` measurements of each KPI, newest first, that a
    realisation may cite (one query, however many measurements there are)."""
    if not kpi_ids:
        return {}
    rows = (
        KpiMeasurement.objects.filter(kpi_id__in=kpi_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("kpi_id")],
                order_by=[F("measured_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_kpi)
        .only("id", "kpi_id", "value", "measured_at")
        .order_by("kpi_id", "-measured_at", "-id")
    )
    found: dict[int, list[KpiMeasurement]] = {}
    for row in rows:
        found.setdefault(row.kpi_id, []).append(row)
    return found
