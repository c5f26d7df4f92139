"""Every change to a use case in operation: one function per action.

Each one is atomic, locks the use case row first (the order the gate engine
uses, so the two never deadlock), checks who is asking and the current state,
raises a domain error carrying the reasons, writes its audit event in the
same transaction and emits its event after the commit.

A drift breach or an incident opens the recertification early through
``gates.services.review_open`` in a savepoint: when it cannot open (no
program lead to chair it, the use case on hold), the breach or incident is
still recorded and its audit payload says why no review opened.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core import events
from core.audit import audit_record
from core.errors import DomainError, InvalidInput, TransitionRefused
from core.web import display_name
from gates import services as gate_services
from gates.models import OPEN_REVIEW_STATUSES, GateReview, ReviewStatus, ReviewTrigger
from operations import rules
from operations.models import DriftBreach, Incident, IncidentSeverity
from readiness.models import OPERATOR_SYMBOLS, Kpi, KpiMeasurement, KpiOperator, format_value
from readiness.services import clean_value
from usecases import access
from usecases.models import OrgRole, Stage, Status, UseCase

logger = logging.getLogger(__name__)
User = get_user_model()

MAX_REASON = 1000
MAX_TITLE = 200
MAX_DESCRIPTION = 5000


def _lock(use_case: UseCase) -> UseCase:
    return UseCase.objects.select_for_update().get(pk=use_case.pk)


def _raise(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


# --- The operating owner -----------------------------------------------------------


@transaction.atomic
def operating_owner_set(*, use_case: UseCase, by: Any, owner: Any, reason: str) -> UseCase:
    """Name who answers for the use case in operation (program leads only)."""
    use_case = _lock(use_case)
    _raise(rules.owner_change_refusal(by, use_case))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Say why the owner changes."), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(gettext("The reason is longer than 1,000 characters."), field="reason")
    if owner is None or not getattr(owner, "pk", None):
        raise InvalidInput(gettext("Name the new operating owner."), field="owner")
    owner = User.objects.filter(pk=owner.pk, is_active=True).first()
    if owner is None:
        raise InvalidInput(gettext("The operating owner must be an active user."), field="owner")
    if owner.pk == use_case.operating_owner_id:
        raise InvalidInput(
            gettext("%(name)s already owns it.") % {"name": display_name(owner)}, field="owner"
        )
    before = use_case.operating_owner
    use_case.operating_owner = owner
    use_case.save(update_fields=["operating_owner"])
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="operation.owner_changed",
        summary=f"Operating owner: {display_name(before) if before else 'nobody'} → "
        f"{display_name(owner)}",
        use_case=use_case,
        payload={
            "before": before.get_username() if before else None,
            "after": owner.get_username(),
            "reason": reason,
        },
    )
    return use_case


# --- Drift bounds of monitored KPIs ------------------------------------------------


def _locked_kpi(kpi: Kpi, by: Any) -> tuple[UseCase, Kpi]:
    use_case = _lock(kpi.use_case)
    _raise(rules.drift_refusal(by, use_case))
    return use_case, Kpi.objects.select_for_update().get(pk=kpi.pk)


@transaction.atomic
def kpi_drift_set(*, kpi: Kpi, by: Any, operator: str, threshold: Any) -> Kpi:
    """Monitor a KPI: a measurement that breaks ``operator threshold`` while
    the use case is in operation is a drift breach."""
    use_case, kpi = _locked_kpi(kpi, by)
    if operator not in KpiOperator.values:
        raise InvalidInput(
            gettext("The operator must be one of: %(values)s.")
            % {"values": ", ".join(KpiOperator.values)},
            field="operator",
        )
    try:
        value = clean_value(threshold, "threshold")
    except ValueError as exc:
        message = str(exc)
        raise InvalidInput(message[0].upper() + message[1:] + ".", field="threshold") from None
    before = kpi.drift_label
    kpi.drift_operator = operator
    kpi.drift_threshold = value
    kpi.save(update_fields=["drift_operator", "drift_threshold"])
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="kpi.drift_set",
        summary=f"Drift bound: {kpi.drift_label}",
        use_case=use_case,
        obj=kpi,
        payload={"kpi": kpi.pk, "before": before, "operator": operator, "threshold": value},
    )
    return kpi


@transaction.atomic
def kpi_drift_clear(*, kpi: Kpi, by: Any) -> Kpi:
    use_case, kpi = _locked_kpi(kpi, by)
    if not kpi.is_monitored:
        raise TransitionRefused(
            gettext("“%(kpi)s” has no drift bound to clear.") % {"kpi": kpi.name}
        )
    before = kpi.drift_label
    kpi.drift_operator = ""
    kpi.drift_threshold = None
    kpi.save(update_fields=["drift_operator", "drift_threshold"])
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="kpi.drift_cleared",
        summary=f"Drift bound cleared: {before}",
        use_case=use_case,
        obj=kpi,
        payload={"kpi": kpi.pk, "before": before},
    )
    return kpi


# --- Opening a recertification early or on schedule --------------------------------


def recertification_chair(use_case: UseCase) -> Any | None:
    """Who chairs a recertification nobody opened by hand: the chair of the
    use case's latest decided review while still an active program lead,
    else the active program lead with the lowest id; None when there is none."""
    latest = (
        GateReview.objects.filter(use_case=use_case, status=ReviewStatus.DECIDED)
        .select_related("chair")
        .order_by("-decided_at", "-id")
        .first()
    )
    if latest is not None and latest.chair.is_active and access.is_program_lead(latest.chair):
        return latest.chair
    return (
        User.objects.filter(groups__name=OrgRole.PROGRAM_LEAD, is_active=True)
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class Opening:
    """What became of a trigger: the review it opened or joined (None when
    none), whether it opened it, and why not when it could not."""

    review: GateReview | None
    opened: bool
    not_opened_because: str = ""

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "review": self.review.pk if self.review else None,
            "opened": self.opened,
        }
        if self.not_opened_because:
            data["not_opened_because"] = self.not_opened_because
        return data


def _open_or_join(
    use_case: UseCase, *, trigger: str, detail: str, planned_date: datetime.date | None = None
) -> Opening:
    """Join the open recertification, or open one; called under the use
    case's lock. ``review_open`` runs in a savepoint: its refusal undoes
    only its own writes."""
    existing = (
        GateReview.objects.filter(use_case=use_case, status__in=OPEN_REVIEW_STATUSES)
        .order_by("-id")
        .first()
    )
    if existing is not None:
        if existing.is_recertification:
            return Opening(existing, False)
        return Opening(None, False, f"{existing.gate_label} review #{existing.pk} is open.")
    chair = recertification_chair(use_case)
    if chair is None:
        return Opening(None, False, "There is no active program lead to chair it.")
    try:
        with transaction.atomic():
            review = gate_services.review_open(
                use_case=use_case,
                by=chair,
                planned_date=planned_date,
                trigger=trigger,
                trigger_detail=detail,
            )
    except DomainError as exc:
        reasons = "; ".join(exc.reasons) if getattr(exc, "reasons", None) else ""
        return Opening(None, False, f"{exc.message} {reasons}".strip())
    return Opening(review, True)


def _monitoring(use_case: UseCase) -> bool:
    return use_case.stage == Stage.SCALE and use_case.status not in (
        Status.KILLED,
        Status.WITHDRAWN,
        Status.RETIRED,
    )


def measurement_drift_check(
    *, measurement: KpiMeasurement, kpi: Kpi, use_case: UseCase, by: Any
) -> DriftBreach | None:
    """The measurement hook (``readiness.services.register_measurement_hook``):
    runs inside the measurement's transaction, under the use case's lock.
    Only a use case in operation is monitored: before Scale a low value is
    not a breach and nothing is recorded."""
    if not _monitoring(use_case) or not kpi.breaches_drift(measurement.value):
        return None
    detail = f"{kpi.name} {format_value(measurement.value, kpi.unit)} breaks {kpi.drift_label}"
    opening = _open_or_join(use_case, trigger=ReviewTrigger.DRIFT, detail=detail)
    breach = DriftBreach.objects.create(
        use_case=use_case,
        kpi=kpi,
        measurement=measurement,
        value=measurement.value,
        operator=kpi.drift_operator,
        threshold=kpi.drift_threshold,
        review=opening.review,
    )
    audit_record(
        actor=by,
        action="operation.drift_breach",
        summary=f"Drift breach: {detail}",
        use_case=use_case,
        obj=breach,
        payload={
            "kpi": kpi.pk,
            "value": measurement.value,
            "operator": kpi.drift_operator,
            "symbol": OPERATOR_SYMBOLS[kpi.drift_operator],
            "threshold": kpi.drift_threshold,
            **opening.payload(),
        },
    )
    events.emit_on_commit(
        events.DRIFT_BREACH_RECORDED,
        breach_id=breach.pk,
        use_case_id=use_case.pk,
        review_id=opening.review.pk if opening.review else None,
        opened=opening.opened,
        by_id=by.pk,
    )
    return breach


# --- Incidents ---------------------------------------------------------------------


def _clean_day(raw: Any) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, str):
        try:
            raw = datetime.date.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidInput(
                gettext("The day must be a date, as YYYY-MM-DD."), field="occurred_on"
            ) from None
    if not isinstance(raw, datetime.date):
        raise InvalidInput(gettext("Say on which day it happened."), field="occurred_on")
    if raw > timezone.localdate():
        raise InvalidInput(
            gettext("The day it happened cannot be in the future."), field="occurred_on"
        )
    return raw


@transaction.atomic
def incident_record(
    *,
    use_case: UseCase,
    by: Any,
    title: str,
    severity: str,
    occurred_on: Any,
    description: str,
) -> Incident:
    """Record an incident of a use case in operation; it opens the
    recertification early, or joins the one already open."""
    use_case = _lock(use_case)
    _raise(rules.incident_refusal(by, use_case))
    title = (title or "").strip()
    if not title:
        raise InvalidInput(gettext("Give the incident a title."), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(gettext("The title is longer than 200 characters."), field="title")
    if "\n" in title or "\r" in title:
        raise InvalidInput(gettext("The title is one line."), field="title")
    if severity not in IncidentSeverity.values:
        raise InvalidInput(
            gettext("Severity must be one of: %(values)s.")
            % {"values": ", ".join(IncidentSeverity.values)},
            field="severity",
        )
    day = _clean_day(occurred_on)
    description = (description or "").strip()
    if not description:
        raise InvalidInput(gettext("Describe what happened."), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            gettext("The description is longer than 5,000 characters."), field="description"
        )
    label = IncidentSeverity(severity).label
    detail = f"{label} incident on {day.isoformat()}: {title}"
    opening = _open_or_join(use_case, trigger=ReviewTrigger.INCIDENT, detail=detail)
    incident = Incident.objects.create(
        use_case=use_case,
        title=title,
        severity=severity,
        occurred_on=day,
        description=description,
        reported_by=by,
        review=opening.review,
    )
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="operation.incident_recorded",
        summary=f"Incident recorded: {detail}",
        use_case=use_case,
        obj=incident,
        payload={
            "title": title,
            "severity": severity,
            "occurred_on": day,
            **opening.payload(),
        },
    )
    events.emit_on_commit(
        events.INCIDENT_RECORDED,
        incident_id=incident.pk,
        use_case_id=use_case.pk,
        review_id=opening.review.pk if opening.review else None,
        opened=opening.opened,
        by_id=by.pk,
    )
    return incident


# --- The schedule ------------------------------------------------------------------


def recertifications_to_open(today: datetime.date):
    """Active use cases in operation due within the notice window (or past
    due) with no open review."""
    horizon = today + datetime.timedelta(days=settings.RECERTIFICATION_NOTICE_DAYS)
    return (
        UseCase.objects.filter(
            stage=Stage.SCALE,
            status=Status.ACTIVE,
            recertification_due_on__isnull=False,
            recertification_due_on__lte=horizon,
        )
        .exclude(reviews__status__in=OPEN_REVIEW_STATUSES)
        .order_by("recertification_due_on", "pk")
    )


def recertification_schedule(*, today: datetime.date | None = None) -> int:
    """Open the scheduled recertification of every active use case in
    operation due within ``RECERTIFICATION_NOTICE_DAYS``. Idempotent: a use
    case with an open review is skipped, so a rerun opens nothing. Each
    opening is its own transaction: one refusal does not stop the rest.
    Returns how many opened."""
    today = today or timezone.localdate()
    opened = 0
    for pk in list(recertifications_to_open(today).values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                use_case = _lock(UseCase(pk=pk))
                due = use_case.recertification_due_on
                # Checked again under the lock: another run may have opened it.
                if due is None or use_case.status != Status.ACTIVE or not use_case.is_operating:
                    continue
                planned = max(due, today, timezone.localdate())
                opening = _open_or_join(
                    use_case,
                    trigger=ReviewTrigger.SCHEDULED,
                    detail=f"Recertification due on {due.isoformat()}",
                    planned_date=planned,
                )
        except DomainError:
            logger.exception("The recertification of use case %s did not open", pk)
            continue
        if opening.opened:
            opened += 1
        elif opening.not_opened_because and opening.review is None:
            logger.warning(
                "The recertification of use case %s did not open: %s",
                pk,
                opening.not_opened_because,
            )
    return opened
