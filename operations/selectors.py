"""The reads of a use case in operation, shaped for the operation page and
its API (one read for both), and the portfolio's "due for recertification"
annotation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from gates.models import OPEN_REVIEW_STATUSES, Decision, GateReview
from operations.models import DriftBreach, Incident
from readiness.models import Kpi, KpiMeasurement
from readiness.selectors import RecertificationDue, recertification_due
from usecases.models import Stage, Status, UseCase


def notice_days() -> int:
    return settings.RECERTIFICATION_NOTICE_DAYS


def annotate_recertification_due(
    qs: QuerySet[UseCase], today: datetime.date | None = None
) -> QuerySet[UseCase]:
    """``is_recertification_due``: an active use case in operation whose
    recertification is due within the notice days, or overdue."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=notice_days())
    return qs.annotate(
        is_recertification_due=ExpressionWrapper(
            Q(
                stage=Stage.SCALE,
                status=Status.ACTIVE,
                recertification_due_on__isnull=False,
                recertification_due_on__lte=horizon,
            ),
            output_field=BooleanField(),
        )
    )


def due_state(use_case: UseCase, today: datetime.date | None = None) -> RecertificationDue | None:
    """None unless the use case is in operation."""
    return recertification_due(use_case, today)


@dataclass(frozen=True)
class MonitoredKpi:
    kpi: Kpi
    latest_value: Decimal | None
    latest_on: datetime.date | None

    @property
    def breached(self) -> bool:
        return self.latest_value is not None and self.kpi.breaches_drift(self.latest_value)


@dataclass(frozen=True)
class OperationRead:
    use_case: UseCase
    due: RecertificationDue | None
    kpis: list[MonitoredKpi]
    incidents: list[Incident]
    breaches: list[DriftBreach]
    reviews: list[GateReview]
    open_review: GateReview | None

    @property
    def monitored(self) -> list[MonitoredKpi]:
        return [line for line in self.kpis if line.kpi.is_monitored]


def operation_read(*, use_case: UseCase, today: datetime.date | None = None) -> OperationRead:
    """Five queries whatever the number of KPIs, incidents, breaches and
    reviews: the owner, the KPIs with their latest measurement (subqueries),
    the incidents, the breaches, the recertification reviews."""
    use_case = UseCase.objects.select_related("operating_owner").get(pk=use_case.pk)
    latest = KpiMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_at", "-id")
    kpis = list(
        Kpi.objects.filter(use_case=use_case)
        .annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            latest_on=Subquery(latest.values("measured_at")[:1]),
        )
        .order_by("name", "id")
    )
    incidents = list(
        Incident.objects.filter(use_case=use_case).select_related("reported_by", "review")
    )
    breaches = list(
        DriftBreach.objects.filter(use_case=use_case).select_related("kpi", "review", "measurement")
    )
    reviews = list(
        GateReview.objects.filter(use_case=use_case, from_stage=F("to_stage"))
        .select_related("chair", "decided_by")
        .order_by("-opened_at", "-id")
    )
    open_review = next((r for r in reviews if r.status in OPEN_REVIEW_STATUSES), None)
    return OperationRead(
        use_case=use_case,
        due=due_state(use_case, today),
        kpis=[MonitoredKpi(k, k.latest_value, k.latest_on) for k in kpis],
        incidents=incidents,
        breaches=breaches,
        reviews=reviews,
        open_review=open_review,
    )


def retired_on(use_case: UseCase) -> datetime.date | None:
    """The day the Retire decision was taken; one query, for retired ones only."""
    if not use_case.is_retired:
        return None
    decided = (
        GateReview.objects.filter(use_case=use_case, decision=Decision.RETIRE)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return timezone.localdate(decided) if decided else None


def operation_panel(use_case: UseCase, today: datetime.date | None = None) -> dict[str, Any]:
    """What the use case page's operation panel shows: at most one query (the
    owner, or the Retire decision's day); none for a use case before Scale."""
    return {"due": due_state(use_case, today), "retired_on": retired_on(use_case)}
