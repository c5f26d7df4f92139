"""What the executive dashboard counts over the portfolio, two ways.

``scan_counts`` aggregates the rows themselves: use cases per stage, status,
risk tier and regulation, overdue and stalled, recertifications due, the
median days in stage, the gate conversions and the decisions of a period.
Its cost grows with the portfolio: about 320 ms of SQL at 100,000 use cases.

``tally_counts`` reads the same figures from ``models.PortfolioTally``, which
PostgreSQL's triggers keep in the transaction of every write. Counts that do
not depend on the clock are sums of its rows. Those that do (overdue, stalled,
due, a period's decisions, the median) are kept per UTC day: a count up to an
instant sums the whole days before it and counts the rest of the instant's day
in the table, through an index; the median walks the days to the one that
holds the middle and reads the middle there. So its cost grows with the days a
portfolio spans, not with its use cases. The results are equal
(``tests/reporting/test_dashboard_tally.py`` writes through every path and
compares both at several instants).

The tally counts the whole portfolio: it serves those who see it all, on
PostgreSQL. Anyone else, and other databases, get the scan.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Extract

from gates.models import GateReview, ReviewStatus, StageTransition
from reporting.models import PortfolioTally, TallyKind
from usecases import access
from usecases.models import (
    TERMINAL_STATUSES,
    RegulatoryConstraint,
    RiskTier,
    Stage,
    Status,
    UseCase,
)

# Use cases still in play: what the risk mix and the regulations in force count.
ALIVE = (Status.ACTIVE, Status.ON_HOLD)
ALIVE_Q = Q(status__in=ALIVE)
# In operation: at Scale and not ended (``UseCase.is_operating``).
OPERATING_Q = Q(stage=Stage.SCALE) & ~Q(status__in=TERMINAL_STATUSES)
# The statuses the stage table counts, each a column of its own.
COUNTED_STATUSES = (Status.ACTIVE, Status.ON_HOLD, Status.KILLED, Status.RETIRED)
STAGE_FIELDS = (
    *COUNTED_STATUSES,
    "overdue",
    "stalled",
    "recertification_due",
    "recertification_overdue",
    *(f"risk_{tier}" for tier in RiskTier.values),
    *(f"regulation_{code}" for code in RegulatoryConstraint.values),
)
UTC = datetime.UTC


@dataclass(frozen=True)
class Period:
    """The instants the counts are taken against."""

    now: datetime.datetime
    today: datetime.date
    due_by: datetime.date  # recertifications due from today to this day
    quarter_start: datetime.datetime
    quarter_end: datetime.datetime
    recertified_since: datetime.datetime  # the recertification decisions counted
    max_days: dict[str, int]  # stage -> its norm's upper bound in days
    stalled_after_days: int


@dataclass
class Counts:
    # Stage -> field of STAGE_FIELDS -> count; every stage, every field.
    stages: dict[str, dict[str, int]]
    # Stage -> median days in stage of its active use cases (stages with any).
    medians: dict[str, float]
    # Use cases that entered a stage / left it through its gate.
    reached: dict[str, int]
    passed: dict[str, int]
    # Decisions of the quarter, and recertification decisions since
    # ``recertified_since``: decision -> count.
    decided: dict[str, int]
    recertified: dict[str, int]
    how: str = "scan"

    @property
    def regulations(self) -> dict[str, int]:
        return {
            code: sum(row[f"regulation_{code}"] for row in self.stages.values())
            for code in RegulatoryConstraint.values
        }


def _empty_stages() -> dict[str, dict[str, int]]:
    return {stage.value: dict.fromkeys(STAGE_FIELDS, 0) for stage in Stage.ordered()}


def counts(*, user: Any, visible: QuerySet, flagged: QuerySet, period: Period) -> Counts:
    """The tally for those who see the whole portfolio on PostgreSQL, else the
    scan over ``visible`` (``flagged``: the same, annotated overdue/stalled)."""
    if connection.vendor == "postgresql" and access.sees_whole_portfolio(user):
        return tally_counts(period)
    return scan_counts(user=user, visible=visible, flagged=flagged, period=period)


# --- The scan ---------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5) WITHIN GROUP (ORDER BY …)``."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _regulation_q(code: str) -> Q:
    """The use cases a regulation applies to. PostgreSQL answers with jsonb
    containment, several times faster at 10,000 use cases than matching the
    text; SQLite (the embedded default) has no containment on JSON."""
    if connection.vendor == "postgresql":
        return Q(regulatory_constraints__contains=[code])
    return Q(regulatory_constraints__icontains=f'"{code}"')


def _median_days(use_cases: QuerySet, now: datetime.datetime) -> dict[str, float]:
    """Median days in stage of the active use cases, per stage."""
    active = use_cases.filter(status=Status.ACTIVE)
    if connection.vendor == "postgresql":
        rows = active.values("stage").annotate(
            median_entered=Median(Extract("stage_entered_at", "epoch"))
        )
        now_epoch = now.timestamp()
        return {
            row["stage"]: (now_epoch - row["median_entered"]) / 86400
            for row in rows
            if row["median_entered"] is not None
        }
    # Other databases have no percentile_cont: the median in Python.
    by_stage: dict[str, list[float]] = {}
    for stage, entered in active.values_list("stage", "stage_entered_at"):
        by_stage.setdefault(stage, []).append((now - entered).total_seconds() / 86400)
    return {stage: statistics.median(values) for stage, values in by_stage.items()}


def scan_counts(*, user: Any, visible: QuerySet, flagged: QuerySet, period: Period) -> Counts:
    """Five aggregates over the rows ``user`` sees."""
    today, due_by = period.today, period.due_by
    per_stage = flagged.values("stage").annotate(
        **{status: Count("pk", filter=Q(status=status)) for status in COUNTED_STATUSES},
        overdue=Count("pk", filter=Q(is_overdue=True)),
        stalled=Count("pk", filter=Q(is_stalled=True)),
        # Recertifications due and overdue, in the same query.
        recertification_due=Count(
            "pk",
            filter=OPERATING_Q
            & Q(recertification_due_on__gte=today, recertification_due_on__lte=due_by),
        ),
        recertification_overdue=Count(
            "pk", filter=OPERATING_Q & Q(recertification_due_on__lt=today)
        ),
        # The risk tier mix and the regulations in force, in the same query.
        **{
            f"risk_{tier}": Count("pk", filter=Q(risk_tier=tier) & ALIVE_Q)
            for tier in RiskTier.values
        },
        **{
            f"regulation_{code}": Count("pk", filter=_regulation_q(code) & ALIVE_Q)
            for code in RegulatoryConstraint.values
        },
    )
    stages = _empty_stages()
    for entry in per_stage.order_by():
        stages[entry["stage"]].update({name: entry[name] for name in STAGE_FIELDS})

    # Conversion: of the use cases that reached stage N, the share that passed
    # gate N. Every use case starts in Discovery; the later stages are reached
    # only through a transition.
    transitions = StageTransition.objects.filter(access.rows_visible_to(user, "use_case_id"))
    reached = dict(
        transitions.order_by()
        .values("to_stage")
        .annotate(n=Count("use_case", distinct=True))
        .values_list("to_stage", "n")
    )
    passed = dict(
        transitions.order_by()
        .values("from_stage")
        .annotate(n=Count("use_case", distinct=True))
        .values_list("from_stage", "n")
    )

    # The quarter's decisions and the recertification decisions, in one query.
    start, end, since = period.quarter_start, period.quarter_end, period.recertified_since
    in_quarter = Q(decided_at__gte=start, decided_at__lt=end)
    recertification = Q(from_stage=F("to_stage"), decided_at__gte=since)
    decided_rows = list(
        GateReview.objects.filter(
            Q(in_quarter) | Q(recertification),
            access.rows_visible_to(user, "use_case_id"),
            status=ReviewStatus.DECIDED,
            decided_at__gte=min(start, since),
            decided_at__lt=end,
        )
        .order_by()
        .values("decision")
        .annotate(
            quarter=Count("pk", filter=in_quarter),
            recertifications=Count("pk", filter=recertification),
        )
    )
    return Counts(
        stages=stages,
        medians=_median_days(visible, period.now),
        reached=reached,
        passed=passed,
        decided={row["decision"]: row["quarter"] for row in decided_rows if row["quarter"]},
        recertified={
            row["decision"]: row["recertifications"]
            for row in decided_rows
            if row["recertifications"]
        },
    )


# --- The tally --------------------------------------------------------------------


def _day_of(instant: datetime.datetime) -> datetime.date:
    return instant.astimezone(UTC).date()


def _part_of_day(column: str, until: datetime.datetime) -> Q:
    """The rows of ``column`` from the start of ``until``'s UTC day up to it:
    what the tally's whole days leave to count."""
    start = datetime.datetime.combine(_day_of(until), datetime.time.min, tzinfo=UTC)
    return Q(**{f"{column}__gte": start, f"{column}__lt": until})


def tally_stage_counts() -> dict[str, int] | None:
    """Every use case per stage, whatever its status, from the tally (one
    query over a few hundred rows); None where there is no tally."""
    if connection.vendor != "postgresql":
        return None
    rows = (
        PortfolioTally.objects.filter(kind=TallyKind.MIX, regulation="")
        .values("stage")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return {row["stage"]: row["total"] for row in rows}


def tally_counts(period: Period) -> Counts:
    """The whole portfolio's counts from the tally, in four queries: in one
    snapshot when the caller is not already in a transaction."""
    if connection.in_atomic_block:
        return _tally_counts(period)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _tally_counts(period)


def _tally_counts(period: Period) -> Counts:
    stages = _empty_stages()
    overdue_since = {
        stage: period.now - datetime.timedelta(days=days)
        for stage, days in period.max_days.items()
        if stage in stages
    }
    stalled_since = period.now - datetime.timedelta(days=period.stalled_after_days)
    decided_until = {
        "end": period.quarter_end,
        "start": period.quarter_start,
        "since": period.recertified_since,
    }
    day_after_due = period.due_by + datetime.timedelta(days=1)
    # Each key's count over the whole days before the instants it is wanted
    # up to: sums in the database, one row per key whatever the days.
    before = {
        "first": reduce(
            or_,
            (
                Q(kind=TallyKind.ENTERED, stage=stage, day__lt=_day_of(since))
                for stage, since in overdue_since.items()
            ),
            Q(kind=TallyKind.ACTIVITY, day__lt=_day_of(stalled_since))
            | Q(kind=TallyKind.RECERTIFICATION, day__lt=period.today)
            | Q(kind=TallyKind.DECIDED, day__lt=_day_of(decided_until["end"])),
        ),
        "second": Q(kind=TallyKind.RECERTIFICATION, day__lt=day_after_due)
        | Q(kind=TallyKind.DECIDED, day__lt=_day_of(decided_until["start"])),
        "third": Q(kind=TallyKind.DECIDED, day__lt=_day_of(decided_until["since"])),
    }
    rows = (
        PortfolioTally.objects.values(
            "kind",
            "stage",
            "status",
            "risk_tier",
            "regulation",
            "to_stage",
            "decision",
            "recertification",
        )
        .annotate(
            total=Sum("n"),
            **{name: Coalesce(Sum("n", filter=q), 0) for name, q in before.items()},
        )
        .order_by()
    )
    tiers, codes = set(RiskTier.values), set(RegulatoryConstraint.values)
    reached: dict[str, int] = defaultdict(int)
    passed: dict[str, int] = defaultdict(int)
    entered_before: dict[str, int] = defaultdict(int)
    stalled_before: dict[str, int] = defaultdict(int)
    # (decision, recertification) -> decided before the end, start and since.
    decided_before: dict[tuple[str, bool], tuple[int, int, int]] = {}
    scale = stages[Stage.SCALE]
    for row in rows:
        kind, stage, n = row["kind"], row["stage"], row["total"]
        if kind == TallyKind.MIX and stage in stages:
            counted = stages[stage]
            status, regulation, tier = row["status"], row["regulation"], row["risk_tier"]
            if regulation:
                if status in ALIVE and regulation in codes:
                    counted[f"regulation_{regulation}"] += n
                continue
            if status in COUNTED_STATUSES:
                counted[status] += n
            if status in ALIVE and tier in tiers:
                counted[f"risk_{tier}"] += n
        elif kind == TallyKind.ENTERED:
            entered_before[stage] += row["first"]
        elif kind == TallyKind.ACTIVITY:
            stalled_before[stage] += row["first"]
        elif kind == TallyKind.RECERTIFICATION:
            scale["recertification_overdue"] += row["first"]
            scale["recertification_due"] += row["second"] - row["first"]
        elif kind == TallyKind.MOVED:
            reached[row["to_stage"]] += n
            passed[stage] += n
        elif kind == TallyKind.DECIDED:
            decided_before[row["decision"], row["recertification"]] = (
                row["first"],
                row["second"],
                row["third"],
            )

    # Overdue and stalled: what the whole days do not count, from the table
    # (one query, on the indexes of stage_entered_at and last_activity_at).
    entered_parts = {
        stage: _part_of_day("stage_entered_at", since) & Q(stage=stage)
        for stage, since in overdue_since.items()
    }
    any_entered = reduce(or_, entered_parts.values(), Q(pk__in=[]))
    stalled_part = _part_of_day("last_activity_at", stalled_since) & ~Q(stage=Stage.SCALE)
    rest = {
        row["stage"]: row
        for row in UseCase.objects.filter(status=Status.ACTIVE)
        .filter(any_entered | stalled_part)
        .values("stage")
        .annotate(entered=Count("pk", filter=any_entered), stalled=Count("pk", filter=stalled_part))
        .order_by()
    }
    for stage in overdue_since:
        stages[stage]["overdue"] = entered_before[stage] + rest.get(stage, {}).get("entered", 0)
    for stage, counted in stages.items():
        if stage != Stage.SCALE:
            counted["stalled"] = stalled_before[stage] + rest.get(stage, {}).get("stalled", 0)

    return Counts(
        stages=stages,
        medians=_tally_medians(period.now),
        reached={stage: n for stage, n in reached.items() if n},
        passed={stage: n for stage, n in passed.items() if n},
        **_tally_decisions(decided_before, decided_until),
        how="tally",
    )


def _tally_decisions(
    decided_before: dict[tuple[str, bool], tuple[int, int, int]],
    until: dict[str, datetime.datetime],
) -> dict[str, dict[str, int]]:
    """The quarter's decisions and the recertifications since
    ``recertified_since``: the whole days from the tally, the parts of the
    three instants' days from the reviews (one query, on
    ``review_decided_at_idx``)."""
    parts = {name: _part_of_day("decided_at", instant) for name, instant in until.items()}
    recertification = Q(from_stage=F("to_stage"))
    rest = {
        row["decision"]: row
        for row in GateReview.objects.filter(status=ReviewStatus.DECIDED)
        .filter(reduce(or_, parts.values()))
        .values("decision")
        .annotate(
            **{f"all_{name}": Count("pk", filter=part) for name, part in parts.items()},
            **{
                f"recertification_{name}": Count("pk", filter=part & recertification)
                for name, part in parts.items()
            },
        )
        .order_by()
    }
    position = {"end": 0, "start": 1, "since": 2}

    def up_to(decision: str, name: str, recertifications_only: bool) -> int:
        flags = (True,) if recertifications_only else (True, False)
        whole = sum(
            decided_before.get((decision, flag), (0, 0, 0))[position[name]] for flag in flags
        )
        prefix = "recertification" if recertifications_only else "all"
        return whole + rest.get(decision, {}).get(f"{prefix}_{name}", 0)

    quarter, recertified = {}, {}
    for decision in {decision for decision, _ in decided_before} | set(rest):
        if n := up_to(decision, "end", False) - up_to(decision, "start", False):
            quarter[decision] = n
        if n := up_to(decision, "end", True) - up_to(decision, "since", True):
            recertified[decision] = n
    return {"decided": quarter, "recertified": recertified}


# Per stage, the day that holds the middle of its active use cases' entry
# into it (walking the tally's days in order), then the middle one or two
# there through the index on stage_entered_at: percentile_cont(0.5) is their
# mean. One statement, so the walk and the read see the same rows.
MEDIAN_SQL = """
WITH days AS (
    SELECT stage, day, sum(n)::bigint AS n
      FROM reporting_portfoliotally
     WHERE kind = %s
     GROUP BY stage, day
    HAVING sum(n) <> 0
), walked AS (
    SELECT stage, day, n,
           (sum(n) OVER (PARTITION BY stage ORDER BY day))::bigint AS upto,
           (sum(n) OVER (PARTITION BY stage))::bigint AS total
      FROM days
), middle AS (
    SELECT stage, day, (total - 1) / 2 - (upto - n) AS skip, 2 - total %% 2 AS take
      FROM walked
     WHERE total > 0 AND upto - n <= (total - 1) / 2 AND (total - 1) / 2 < upto
)
SELECT middle.stage, avg(extract(epoch FROM entered.stage_entered_at))
  FROM middle, LATERAL (
      SELECT u.stage_entered_at
        FROM usecases_usecase u
       WHERE u.status = %s AND u.stage = middle.stage
         AND u.stage_entered_at >= middle.day::timestamp AT TIME ZONE 'UTC'
       ORDER BY u.stage_entered_at
      OFFSET middle.skip LIMIT middle.take
  ) AS entered
 GROUP BY middle.stage
"""


def _tally_medians(now: datetime.datetime) -> dict[str, float]:
    """Median days in stage of the active use cases, per stage."""
    with connection.cursor() as cursor:
        cursor.execute(MEDIAN_SQL, [TallyKind.ENTERED.value, Status.ACTIVE.value])
        rows = cursor.fetchall()
    now_epoch = now.timestamp()
    return {stage: (now_epoch - float(epoch)) / 86400 for stage, epoch in rows}
