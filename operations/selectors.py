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

from gates.models import OPEN_REVIEW_STATUSES, GateReview
from operations.models import DriftBreach, Incident
from readiness.models import Kpi, KpiMeasurement
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


@dataclass(frozen=True)
class DueState:
    """Where a use case in operation stands against its next recertification."""

    due_on: datetime.date | None
    today: datetime.date

    @property
    def days_left(self) -> int | None:
        return None if self.due_on is None else (self.due_on - self.today).days

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.today > self.due_on

    @property
    def days_overdue(self) -> int:
        return max(0, -(self.days_left or 0))

    @property
    def due_soon(self) -> bool:
        left = self.days_left
        return left is not None and 0 <= left <= notice_days()

    @property
    def label(self) -> str:
        """``Recertification due on 2 Jun 2027`` or ``… overdue by 3 days``."""
        if self.due_on is None:
            return ""
        if self.overdue:
            days = self.days_overdue
            return f"Recertification overdue by {days} day{'s' if days != 1 else ''}"
        return f"Recertification due on {self.due_on:%-d %b %Y}"


def due_state(use_case: UseCase, today: datetime.date | None = None) -> DueState | None:
    """None unless the use case is in operation."""
    if not use_case.is_operating:
        return None
    return DueState(use_case.recertification_due_on, today or timezone.localdate())


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
    due: DueState | None
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
        DriftBreach.objects.filter(use_case=use_case).select_related(
            "kpi", "review", "measurement"
        )
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


def operation_panel(use_case: UseCase, today: datetime.date | None = None) -> dict[str, Any]:
    """What the use case page's "In operation" panel shows; no query when the
    owner is already loaded (``select_related("operating_owner")``)."""
    return {"use_case": use_case, "due": due_state(use_case, today)}
