"""The executive dashboard's read (``dashboard``): the portfolio by stage,
gate conversion, upcoming and late reviews, use cases needing attention,
expiring evidence, operations, recertifications and end of life, for what
the viewer may see, in a fixed number of queries whatever the number of use
cases. The page, the endpoint and the exports all show it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from gates.models import (
    OPEN_REVIEW_STATUSES,
    Decision,
    GateReview,
    ReviewStatus,
    add_months,
    late_reviews_q,
)
from gates.selectors import ExpiringArtifact, expiring_evidence
from readiness.models import StageNorm
from readiness.selectors import annotate_overdue_stalled, stalled_after_days
from reporting import dashboard_counts
from reporting.dashboard_counts import OPERATING_Q
from reporting.models import GatePack
from usecases import access
from usecases.models import RegulatoryConstraint, RiskTier, Stage, Status, UseCase

UPCOMING_REVIEWS = 20
ATTENTION_USE_CASES = 15
EXPIRING_EVIDENCE = 15
RECERTIFICATIONS_LISTED = 10
RETIRED_LISTED = 10
# Months of recertification decisions the "In operation" panel counts.
RECERTIFICATION_DECISION_MONTHS = 12
RECERTIFICATION_DECISIONS = (Decision.GO, Decision.CONDITIONAL_GO, Decision.HOLD, Decision.RETIRE)


# --- Dashboard ---------------------------------------------------------------------


def quarter_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    local = timezone.localtime(now)
    first_month = 3 * ((local.month - 1) // 3) + 1
    start = local.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if first_month == 10
        else start.replace(month=first_month + 3)
    )
    return start, end


def quarter_label(now: datetime.datetime) -> str:
    local = timezone.localtime(now)
    return f"Q{(local.month - 1) // 3 + 1} {local.year}"


@dataclass
class StageRow:
    stage: Stage
    active: int = 0
    on_hold: int = 0
    killed: int = 0
    overdue: int = 0
    stalled: int = 0
    retired: int = 0
    # Scale only: operating use cases whose recertification is due within
    # RECERTIFICATION_NOTICE_DAYS, and those past their due date.
    recertification_due: int = 0
    recertification_overdue: int = 0
    median_days: float | None = None
    norm: StageNorm | None = None
    # Active and on hold, per risk tier (code -> count).
    risk_tiers: dict[str, int] = field(default_factory=dict)

    @property
    def in_stage(self) -> int:
        """Use cases still alive in this stage (active or on hold)."""
        return self.active + self.on_hold

    @property
    def is_operating_stage(self) -> bool:
        """Scale: use cases there operate; they are due for recertification,
        never overdue against a norm or stalled."""
        return self.stage == Stage.SCALE

    @property
    def gate_label(self) -> str:
        """The gate a use case killed in this stage was killed at."""
        if self.is_operating_stage:
            return gettext("Recertification")
        return gettext("Gate %(number)s") % {"number": self.stage.number}

    @property
    def risk_tier_counts(self) -> list[int]:
        """Counts in the order of ``RiskTier``: low, medium, high."""
        return [self.risk_tiers.get(tier, 0) for tier in RiskTier.values]

    @property
    def median_over_norm(self) -> bool:
        return (
            self.median_days is not None
            and self.norm is not None
            and self.median_days > self.norm.max_days
        )


@dataclass
class GateConversion:
    number: int
    from_stage: Stage
    to_stage: Stage
    reached: int
    passed: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.reached if self.reached else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


@dataclass
class UpcomingReview:
    review: GateReview
    latest_pack: GatePack | None


@dataclass
class Recertification:
    """An operating use case whose recertification is due soon or overdue,
    with its open recertification review if one is open."""

    use_case: UseCase
    due_on: datetime.date
    overdue: bool
    days: int  # days until due (negative: days overdue)
    open_review_id: int | None


@dataclass
class Operation:
    """The "In operation" panel: use cases operating at Scale and their
    recertifications."""

    operating: int = 0
    due: int = 0
    overdue: int = 0
    notice_days: int = 30
    # The most urgent, overdue first then soonest due (the first RECERTIFICATIONS_LISTED).
    urgent: list[Recertification] = field(default_factory=list)
    # Recertifications decided in the last 12 months: code, label, count.
    decisions: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def decisions_total(self) -> int:
        return sum(count for _, _, count in self.decisions)


@dataclass
class EndOfLife:
    """Retired against killed: an end of life after operating at Scale, and a
    loss in the pipeline at a gate."""

    retired: int = 0
    retired_last_year: int = 0
    # The latest retired, newest first: the use case with ``retired_at``.
    recently_retired: list[UseCase] = field(default_factory=list)
    killed: int = 0
    # Killed per gate: (gate label, stage label, count), in pipeline order.
    killed_by_gate: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class Dashboard:
    now: datetime.datetime
    quarter: str
    stages: list[StageRow]
    total: int
    killed: int
    conversions: list[GateConversion]
    decisions: list[tuple[str, str, int]]  # code, label, count
    attention: list[UseCase]
    overdue: int
    stalled: int
    upcoming: list[UpcomingReview]
    upcoming_total: int
    upcoming_late: int = 0
    stalled_after_days: int = 21
    # Use cases alive (active or on hold) per regulation: code, label, count.
    regulations: list[tuple[str, str, int]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # Evidence expired or expiring soon, soonest first (the first EXPIRING_EVIDENCE).
    expiring: list[ExpiringArtifact] = field(default_factory=list)
    expiring_limit: int = EXPIRING_EVIDENCE
    operation: Operation = field(default_factory=Operation)
    end_of_life: EndOfLife = field(default_factory=EndOfLife)

    @property
    def decisions_total(self) -> int:
        return sum(count for _, _, count in self.decisions)


def dashboard(*, user: Any, now: datetime.datetime | None = None) -> Dashboard:
    """The executive dashboard, in a fixed number of queries whatever the
    size of the portfolio. The caller has checked the user may see it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    notice_days = settings.RECERTIFICATION_NOTICE_DAYS
    due_by = today + datetime.timedelta(days=notice_days)
    visible = access.use_cases_visible_to(user)
    norms = {n.stage: n for n in StageNorm.objects.all()}
    flagged = annotate_overdue_stalled(visible, now=now)
    start, end = quarter_bounds(now)
    year_ago = timezone.make_aware(
        datetime.datetime.combine(
            add_months(today, -RECERTIFICATION_DECISION_MONTHS), datetime.time.min
        )
    )
    counted = dashboard_counts.counts(
        user=user,
        visible=visible,
        flagged=flagged,
        period=dashboard_counts.Period(
            now=now,
            today=today,
            due_by=due_by,
            quarter_start=start,
            quarter_end=end,
            recertified_since=year_ago,
            max_days={stage: norm.max_days for stage, norm in norms.items()},
            stalled_after_days=stalled_after_days(),
        ),
    )
    rows = {stage: StageRow(stage=stage, norm=norms.get(stage.value)) for stage in Stage.ordered()}
    for stage, entry in counted.stages.items():
        row = rows[Stage(stage)]
        row.active = entry[Status.ACTIVE]
        row.on_hold = entry[Status.ON_HOLD]
        row.killed = entry[Status.KILLED]
        row.retired = entry[Status.RETIRED]
        row.recertification_due = entry["recertification_due"]
        row.recertification_overdue = entry["recertification_overdue"]
        row.overdue = entry["overdue"]
        row.stalled = entry["stalled"]
        row.risk_tiers = {tier: entry[f"risk_{tier}"] for tier in RiskTier.values}
    for stage, days in counted.medians.items():
        rows[Stage(stage)].median_days = days
    total = sum(r.active + r.on_hold + r.killed + r.retired for r in rows.values())

    # Conversion: of the use cases that reached stage N, the share that passed
    # gate N (a Go or Conditional Go out of stage N). Every use case starts in
    # Discovery; the later stages are reached only through a transition.
    conversions = []
    for number, stage in enumerate(Stage.ordered()[:-1], start=1):
        conversions.append(
            GateConversion(
                number=number,
                from_stage=stage,
                to_stage=stage.next,
                reached=total if stage == Stage.DISCOVERY else counted.reached.get(stage, 0),
                passed=counted.passed.get(stage, 0),
            )
        )
    decided, recertified = counted.decided, counted.recertified
    # Retire is a recertification's decision only: the quarter's chart keeps
    # the five gate decisions unless a use case was retired this quarter.
    decisions = [
        (d.value, d.label, decided.get(d.value, 0))
        for d in Decision
        if d != Decision.RETIRE or decided.get(d.value)
    ]

    attention = list(
        flagged.filter(Q(is_overdue=True) | Q(is_stalled=True))
        .select_related("business_unit")
        .order_by("stage_entered_at", "id")[:ATTENTION_USE_CASES]
    )
    for use_case in attention:
        use_case.days_in_stage_now = use_case.days_in_stage_at(now)
        use_case.days_idle = max((now - use_case.last_activity_at).days, 0)
        use_case.norm = norms.get(use_case.stage)

    open_reviews = GateReview.objects.filter(
        access.rows_visible_to(user, "use_case_id"), status__in=OPEN_REVIEW_STATUSES
    )
    latest_pack = GatePack.objects.filter(review=OuterRef("pk")).order_by("-requested_at", "-id")
    upcoming_reviews = list(
        open_reviews.select_related("use_case", "use_case__business_unit", "chair")
        .annotate(latest_pack_id=Subquery(latest_pack.values("pk")[:1]))
        .order_by(F("submitted_at").asc(nulls_last=True), "opened_at", "id")[:UPCOMING_REVIEWS]
    )
    pack_ids = [r.latest_pack_id for r in upcoming_reviews if r.latest_pack_id]
    packs = {p.pk: p for p in GatePack.objects.filter(pk__in=pack_ids)} if pack_ids else {}
    upcoming = []
    for review in upcoming_reviews:
        pack = packs.get(review.latest_pack_id)
        if pack is not None:
            pack.review = review
        upcoming.append(UpcomingReview(review=review, latest_pack=pack))
    # The total and the late ones among them: from the rows read when they
    # are all there, else one aggregate (the same query the count was).
    if len(upcoming_reviews) < UPCOMING_REVIEWS:
        upcoming_total = len(upcoming_reviews)
        upcoming_late = sum(1 for r in upcoming_reviews if r.is_late_on(today))
    else:
        counts = open_reviews.aggregate(
            total=Count("pk"), late=Count("pk", filter=late_reviews_q(today))
        )
        upcoming_total, upcoming_late = counts["total"], counts["late"]

    stage_rows = [rows[s] for s in Stage.ordered()]
    scale = rows[Stage.SCALE]
    operation = Operation(
        operating=scale.in_stage,
        due=scale.recertification_due,
        overdue=scale.recertification_overdue,
        notice_days=notice_days,
        urgent=_urgent_recertifications(visible, today=today, due_by=due_by)
        if scale.recertification_due or scale.recertification_overdue
        else [],
        # The decisions a recertification takes, and any other it was given.
        decisions=[
            (d.value, d.label, recertified.get(d.value, 0))
            for d in Decision
            if d in RECERTIFICATION_DECISIONS or recertified.get(d.value)
        ],
    )
    retired = sum(r.retired for r in stage_rows)
    end_of_life = EndOfLife(
        retired=retired,
        retired_last_year=recertified.get(Decision.RETIRE, 0),
        recently_retired=_recently_retired(visible) if retired else [],
        killed=sum(r.killed for r in stage_rows),
        killed_by_gate=[(r.gate_label, r.stage.label, r.killed) for r in stage_rows],
    )
    return Dashboard(
        now=now,
        quarter=quarter_label(now),
        stages=stage_rows,
        total=total,
        killed=sum(r.killed for r in stage_rows),
        conversions=conversions,
        decisions=decisions,
        attention=attention,
        overdue=sum(r.overdue for r in stage_rows),
        stalled=sum(r.stalled for r in stage_rows),
        upcoming=upcoming,
        upcoming_total=upcoming_total,
        upcoming_late=upcoming_late,
        stalled_after_days=stalled_after_days(),
        expiring=expiring_evidence(user=user, today=today, limit=EXPIRING_EVIDENCE),
        regulations=[
            (code, label, counted.regulations[code]) for code, label in RegulatoryConstraint.choices
        ],
        operation=operation,
        end_of_life=end_of_life,
    )


def _urgent_recertifications(
    visible: QuerySet[UseCase], *, today: datetime.date, due_by: datetime.date
) -> list[Recertification]:
    """The operating use cases whose recertification is overdue or due by
    ``due_by``, most urgent first, each with its open recertification review:
    one query (the partial index on the due date of active Scale use cases)."""
    open_review = GateReview.objects.filter(
        use_case=OuterRef("pk"), status__in=OPEN_REVIEW_STATUSES, from_stage=F("to_stage")
    )
    rows = (
        visible.filter(OPERATING_Q, recertification_due_on__lte=due_by)
        .select_related("business_unit", "operating_owner")
        .annotate(open_review_id=Subquery(open_review.values("pk")[:1]))
        .order_by("recertification_due_on", "id")[:RECERTIFICATIONS_LISTED]
    )
    return [
        Recertification(
            use_case=use_case,
            due_on=use_case.recertification_due_on,
            overdue=use_case.recertification_due_on < today,
            days=(use_case.recertification_due_on - today).days,
            open_review_id=use_case.open_review_id,
        )
        for use_case in rows
    ]


def _recently_retired(visible: QuerySet[UseCase]) -> list[UseCase]:
    """The latest retired use cases, each with ``retired_at`` (the time of its
    Retire decision): one query."""
    retire = GateReview.objects.filter(
        use_case=OuterRef("pk"), status=ReviewStatus.DECIDED, decision=Decision.RETIRE
    ).order_by("-decided_at")
    return list(
        visible.filter(status=Status.RETIRED)
        .select_related("business_unit")
        .annotate(retired_at=Subquery(retire.values("decided_at")[:1]))
        .order_by(F("retired_at").desc(nulls_last=True), "-id")[:RETIRED_LISTED]
    )
