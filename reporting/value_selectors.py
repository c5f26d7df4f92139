"""The dashboard's portfolio value: what the visible portfolio has cost, what
its pipeline will cost to reach production, what it has returned, and where
and why its use cases die (issue #14, item 5).

Six queries whatever the size of the portfolio:

1. the cost lines summed per (stage, status) of their use case: planned,
   actual, the PoC actuals per category (for the projection), the planned
   one-off budget of Pilot and Production;
2. the benefits per (stage, status): annual hypothesis and realised;
3. and 4. per use case still in play, its one-off investment and annual
   operations (an actual where recorded, else the plan), then its annual
   benefits, for the 3-year ROI and payback distribution;
5. the Kill decisions per (gate, exit reason): how many, the days from the
   use case's creation to the kill, and what the killed use cases had spent;
6. the cost multipliers (``value.selectors.multipliers``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.cache import forget, read_through
from gates.models import Decision, GateReview, ReviewStatus
from usecases import access
from usecases.models import Stage, Status
from value import finance
from value.models import ONE_OFF_CATEGORIES, Benefit, BenefitRealisation, CostCategory, CostLine
from value.selectors import PRODUCTION_STAGES, currency, multipliers

ZERO = Decimal("0")
ALIVE = (Status.ACTIVE, Status.ON_HOLD)
# Use cases not yet at Production or Scale: the pipeline still to be paid for.
PIPELINE_STAGES = (Stage.DISCOVERY, Stage.POC, Stage.PILOT)
NO_REASON = gettext_lazy("No reason recorded")
CACHE_KEY = "reporting:portfolio-value:v1"
NO_REASON_CODE = "none"

# 3-year ROI in percent: (key, label, lower bound inclusive or None).
ROI_BUCKETS: list[tuple[str, str, int | None]] = [
    ("below_-50", "below −50%", None),
    ("-50_0", "−50% to 0%", -50),
    ("0_50", "0% to 50%", 0),
    ("50_100", "50% to 100%", 50),
    ("100_200", "100% to 200%", 100),
    ("200_up", "200% and more", 200),
]
# Payback month: (key, label, last month inclusive or None for "later").
PAYBACK_BUCKETS: list[tuple[str, str, int | None]] = [
    ("0_12", "0–12", 12),
    ("13_24", "13–24", 24),
    ("25_36", "25–36", 36),
    ("37_48", "37–48", 48),
    ("over_48", "over 48", None),
]
PAYBACK_NEVER = ("never", "never")


def _money(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def _cents(value: Decimal) -> int:
    return int(value * 100)


def roi_bucket(investment: Decimal, operations: Decimal, benefits: Decimal) -> str | None:
    """The ROI bucket of ``value.finance.returns``' 3-year ROI, compared
    exactly in cents; None when nothing is spent (no ROI)."""
    years = finance.HORIZON_MONTHS // 12
    costs = _cents(investment) + _cents(operations) * years
    if costs <= 0:
        return None
    gain = _cents(benefits) * years - costs
    key = ROI_BUCKETS[0][0]
    for bucket_key, _, lower in ROI_BUCKETS[1:]:
        # ROI% >= lower  <=>  100 * gain >= lower * costs (costs > 0)
        if 100 * gain >= lower * costs:
            key = bucket_key
    return key


def payback_month(investment: Decimal, operations: Decimal, benefits: Decimal) -> int | None:
    """``value.finance.returns``' payback month, in whole cents: 0 when
    nothing was invested, None when the monthly net is not positive, else
    the first month whose cumulative net reaches the investment."""
    invested = _cents(investment)
    if invested <= 0:
        return 0
    net_yearly = _cents(benefits) - _cents(operations)
    if net_yearly <= 0:
        return None
    return -(-12 * invested // net_yearly)


def payback_bucket(month: int | None) -> str:
    if month is None:
        return PAYBACK_NEVER[0]
    for key, _, last in PAYBACK_BUCKETS:
        if last is None or month <= last:
            return key
    raise AssertionError("unreachable")  # pragma: no cover - the last bucket has no bound


@dataclass(frozen=True)
class StageMoney:
    """Use cases in play now in ``stage``: their money."""

    stage: Stage
    use_cases: int  # with at least one cost line
    planned: Decimal  # every planned figure, operations for one year
    actual: Decimal  # every actual recorded
    projected: finance.Range  # the production budget their PoC actuals project
    with_poc_actuals: int
    pipeline_planned: Decimal  # planned one-off of Pilot and Production
    hypothesis_annual: Decimal
    realised: Decimal


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class KillRow:
    key: str
    label: str
    kills: int
    days: float | None  # average days from the use case's creation to the kill
    spent: Decimal  # actual costs of the killed use cases


@dataclass
class PortfolioValue:
    currency: str
    spent: Decimal  # every actual of every visible use case, ended ones included
    pipeline_planned: Decimal
    pipeline_projected: finance.Range
    pipeline_use_cases: int  # in play, before Production, with a cost line
    pipeline_with_poc_actuals: int
    realised: Decimal  # every realised benefit, ended use cases included
    hypothesis_annual: Decimal  # use cases in play
    stages: list[StageMoney]
    roi: list[Bucket]
    payback: list[Bucket]
    kills_by_gate: list[KillRow]
    kills_by_reason: list[KillRow]
    kills: int = 0
    killed_spent: Decimal = ZERO
    kill_days: float | None = None
    read_at: datetime.datetime | None = None

    @property
    def roi_use_cases(self) -> int:
        return sum(b.count for b in self.roi)

    @property
    def top_gate(self) -> KillRow | None:
        return max(self.kills_by_gate, key=lambda r: r.kills, default=None)

    @property
    def top_reason(self) -> KillRow | None:
        recorded = [r for r in self.kills_by_reason if r.key != NO_REASON_CODE]
        return max(recorded, key=lambda r: r.kills, default=None)


def _effective(category_q: Q) -> Sum:
    """What counts in the returns: the actual once recorded, else the plan."""
    return Sum(
        Coalesce("actual", "planned", Value(ZERO), output_field=DecimalField()),
        filter=category_q,
    )


def _projection(poc_actuals: dict[str, Decimal], ranges: dict) -> finance.Range:
    """The projection is linear in the PoC actuals: the projection of the
    summed actuals is the sum of the use cases' projections."""
    return finance.project(poc_actuals, multipliers=ranges).total


def portfolio_value(*, user: Any) -> PortfolioValue:
    """The value panel of the dashboard for ``user``'s visible use cases.
    The caller has checked the user may see the dashboard.

    Those who see the whole portfolio share one read, kept
    ``VALUE_DASHBOARD_CACHE_SECONDS``: it aggregates every cost line (about
    100,000 at 10,000 use cases, some 150 ms of PostgreSQL alone), too slow
    for every view of the dashboard. The panel says when it was read."""
    seconds = settings.VALUE_DASHBOARD_CACHE_SECONDS
    if seconds <= 0 or not access.sees_whole_portfolio(user):
        return read_portfolio_value(user=user)
    return read_through(CACHE_KEY, lambda: read_portfolio_value(user=user), timeout=seconds)


def forget_portfolio_value() -> None:
    forget(CACHE_KEY)


def read_portfolio_value(*, user: Any) -> PortfolioValue:
    """The read itself, in six queries."""
    ranges = multipliers()
    one_off = [c.value for c in ONE_OFF_CATEGORIES]

    # 1. Money per (stage, status) of the use case.
    money_rows = (
        CostLine.objects.filter(access.rows_visible_to(user, "use_case_id"))
        .order_by()
        .values("use_case__stage", "use_case__status")
        .annotate(
            use_cases=Count("use_case", distinct=True),
            planned_total=Sum("planned"),
            actual_total=Sum("actual"),
            pipeline=Sum("planned", filter=Q(stage__in=PRODUCTION_STAGES, category__in=one_off)),
            with_poc=Count(
                "use_case",
                distinct=True,
                filter=Q(stage=Stage.POC, category__in=list(ranges), actual__isnull=False),
            ),
            **{
                f"poc_{category}": Sum("actual", filter=Q(stage=Stage.POC, category=category))
                for category in one_off
            },
        )
    )
    # 2. The benefits per (stage, status): the annual hypothesis and what
    # they realised (a subquery per benefit: a join would repeat its amount).
    realised_of = (
        BenefitRealisation.objects.filter(benefit_id=OuterRef("pk"))
        .order_by()
        .values("benefit_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    benefit_rows = (
        Benefit.objects.filter(access.rows_visible_to(user, "use_case_id"))
        .order_by()
        .values("use_case__stage", "use_case__status")
        .annotate(
            hypothesis=Sum("annual_amount"),
            realised=Sum(Subquery(realised_of, output_field=DecimalField())),
        )
    )

    spent = ZERO
    per_stage: dict[str, dict[str, Any]] = {
        s.value: {
            "use_cases": 0,
            "planned": ZERO,
            "actual": ZERO,
            "pipeline": ZERO,
            "with_poc": 0,
            "poc": dict.fromkeys(one_off, ZERO),
            "hypothesis": ZERO,
            "realised": ZERO,
        }
        for s in Stage.ordered()
    }
    for row in money_rows:
        spent += _money(row["actual_total"])
        if row["use_case__status"] not in ALIVE:
            continue
        entry = per_stage[row["use_case__stage"]]
        entry["use_cases"] += row["use_cases"]
        entry["planned"] += _money(row["planned_total"])
        entry["actual"] += _money(row["actual_total"])
        entry["pipeline"] += _money(row["pipeline"])
        entry["with_poc"] += row["with_poc"]
        for category in one_off:
            entry["poc"][category] += _money(row[f"poc_{category}"])
    realised = ZERO
    for row in benefit_rows:
        realised += _money(row["realised"])
        if row["use_case__status"] in ALIVE:
            entry = per_stage[row["use_case__stage"]]
            entry["hypothesis"] += _money(row["hypothesis"])
            entry["realised"] += _money(row["realised"])

    stages = [
        StageMoney(
            stage=stage,
            use_cases=e["use_cases"],
            planned=e["planned"],
            actual=e["actual"],
            projected=_projection(e["poc"], ranges),
            with_poc_actuals=e["with_poc"],
            pipeline_planned=e["pipeline"],
            hypothesis_annual=e["hypothesis"],
            realised=e["realised"],
        )
        for stage in Stage.ordered()
        for e in [per_stage[stage.value]]
    ]
    pipeline_poc = dict.fromkeys(one_off, ZERO)
    for stage in PIPELINE_STAGES:
        for category, amount in per_stage[stage.value]["poc"].items():
            pipeline_poc[category] += amount
    pipeline = [s for s in stages if s.stage in PIPELINE_STAGES]

    # 3. and 4. ROI and payback of each use case in play with a cost line:
    # its investment and operations, then its annual benefits (two grouped
    # reads merged here: a subquery per group runs once per cost line).
    per_use_case = (
        CostLine.objects.filter(
            access.rows_visible_to(user, "use_case_id"), use_case__status__in=ALIVE
        )
        .order_by()
        .values("use_case_id")
        .annotate(
            investment_total=_effective(Q(category__in=one_off)),
            operations_total=_effective(Q(category=CostCategory.OPERATIONS)),
        )
        .values_list("use_case_id", "investment_total", "operations_total")
    )
    benefits_of = dict(
        Benefit.objects.filter(
            access.rows_visible_to(user, "use_case_id"), use_case__status__in=ALIVE
        )
        .order_by()
        .values("use_case_id")
        .annotate(total=Sum("annual_amount"))
        .values_list("use_case_id", "total")
    )
    roi_counts: Counter[str] = Counter()
    payback_counts: Counter[str] = Counter()
    for use_case_id, investment, operations in per_use_case:
        investment, operations = _money(investment), _money(operations)
        benefits = _money(benefits_of.get(use_case_id))
        key = roi_bucket(investment, operations, benefits)
        if key is None:
            continue
        roi_counts[key] += 1
        payback_counts[payback_bucket(payback_month(investment, operations, benefits))] += 1

    kills_by_gate, kills_by_reason, kill_total = _kills(user)
    return PortfolioValue(
        currency=currency(),
        spent=spent,
        pipeline_planned=sum((s.pipeline_planned for s in pipeline), ZERO),
        pipeline_projected=_projection(pipeline_poc, ranges),
        pipeline_use_cases=sum(s.use_cases for s in pipeline),
        pipeline_with_poc_actuals=sum(s.with_poc_actuals for s in pipeline),
        realised=realised,
        hypothesis_annual=sum((s.hypothesis_annual for s in stages), ZERO),
        stages=stages,
        roi=[Bucket(key, label, roi_counts[key]) for key, label, _ in ROI_BUCKETS],
        payback=[Bucket(key, label, payback_counts[key]) for key, label, _ in PAYBACK_BUCKETS]
        + [Bucket(*PAYBACK_NEVER, payback_counts[PAYBACK_NEVER[0]])],
        kills_by_gate=kills_by_gate,
        kills_by_reason=kills_by_reason,
        kills=kill_total.kills,
        killed_spent=kill_total.spent,
        kill_days=kill_total.days,
        read_at=timezone.now(),
    )


def _kills(user: Any) -> tuple[list[KillRow], list[KillRow], KillRow]:
    """The valley of death: Kill decisions by gate and by exit reason (those
    decided before reasons were recorded count as "No reason recorded"),
    with the days from creation to the kill and the money spent before it
    (a killed use case spends nothing after)."""
    spent_of = (
        CostLine.objects.filter(use_case_id=OuterRef("use_case_id"))
        .order_by()
        .values("use_case_id")
        .annotate(total=Sum("actual"))
        .values("total")
    )
    rows = list(
        GateReview.objects.filter(
            access.rows_visible_to(user, "use_case_id"),
            status=ReviewStatus.DECIDED,
            decision=Decision.KILL,
        )
        .order_by()
        .values("gate_number", "exit_reason__code", "exit_reason__label", "exit_reason__order")
        .annotate(
            kill_count=Count("pk"),
            days_total=Sum(
                ExpressionWrapper(
                    F("decided_at") - F("use_case__created_at"), output_field=DurationField()
                )
            ),
            spent_total=Sum(Subquery(spent_of, output_field=DecimalField())),
        )
    )

    def fold(key_of, label_of, order_of) -> list[KillRow]:
        groups: dict[Any, list[dict[str, Any]]] = {}
        for row in sorted(rows, key=order_of):
            groups.setdefault(key_of(row), []).append(row)
        return [_fold(str(key), label_of(group[0]), group) for key, group in groups.items()]

    by_gate = fold(
        lambda r: r["gate_number"], lambda r: f"Gate {r['gate_number']}", lambda r: r["gate_number"]
    )
    by_reason = fold(
        lambda r: r["exit_reason__code"] or NO_REASON_CODE,
        lambda r: r["exit_reason__label"] or NO_REASON,
        # The taxonomy's order; the kills without a reason last.
        lambda r: (r["exit_reason__code"] is None, r["exit_reason__order"] or 0),
    )
    return by_gate, by_reason, _fold("all", "All kills", rows)


def _fold(key: str, label: str, rows: list[dict[str, Any]]) -> KillRow:
    kills = sum(r["kill_count"] for r in rows)
    seconds = sum(r["days_total"].total_seconds() for r in rows if r["days_total"] is not None)
    return KillRow(
        key=key,
        label=label,
        kills=kills,
        days=seconds / 86400 / kills if kills else None,
        spent=sum((_money(r["spent_total"]) for r in rows), ZERO),
    )
