"""Reads for the inbox page, the bell and the API. Everything is filtered by
recipient first: somebody else's notification does not exist for you (404)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from core.models import AuditEvent
from gates.models import (
    Artifact,
    GateReview,
    expiry_notice_days,
    latest_uploads_expiring,
    with_expiry,
)
from notifications.models import Notification
from readiness.selectors import annotate_overdue_stalled
from usecases.models import OrgRole, Status, UseCase

# ``params``: the texts of bulk-written kinds are rendered from it on load.
INBOX_FIELDS = (
    "id",
    "recipient_id",
    "kind",
    "subject",
    "body",
    "params",
    "link",
    "created_at",
    "read_at",
)


def inbox(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient=user).only(*INBOX_FIELDS)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


# The bell shows "99+" past this: counting further costs a scan for nothing.
BELL_CAP = 99


def unread_count(user, *, cap: int | None = None) -> int:
    """Unread notifications; with ``cap``, counted no further than ``cap + 1``."""
    if not user.is_authenticated:
        return 0
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if cap is not None:
        return unread.values("pk")[: cap + 1].count()
    return unread.count()


def notification_of(user, pk: int) -> Notification:
    return get_object_or_404(Notification.objects.only(*INBOX_FIELDS), pk=pk, recipient=user)


# --- The sweep's reads (``rules`` and ``bulk``) ---------------------------------


# What both sweep paths read of each candidate (``rules`` and ``bulk``).
TIMELINESS_FIELDS = (
    "pk",
    "title",
    "stage",
    "stage_entered_at",
    "last_activity_at",
    "is_overdue",
    "is_stalled",
    "latest_chair_id",
)


def timeliness_candidates(now: datetime.datetime):
    """Active use cases overdue in their stage or stalled, with the chair of
    their latest review (``latest_chair_id``)."""
    latest_chair = Subquery(
        GateReview.objects.filter(use_case=OuterRef("pk"))
        .order_by("-opened_at", "-id")
        .values("chair_id")[:1]
    )
    return (
        annotate_overdue_stalled(UseCase.objects.filter(status=Status.ACTIVE), now)
        .filter(Q(is_overdue=True) | Q(is_stalled=True))
        .annotate(latest_chair_id=latest_chair)
        .order_by()
    )


# What both sweep paths read of each expiring upload (``sweeps`` and ``bulk``).
EVIDENCE_FIELDS = (
    "pk",
    "version",
    "expiry",
    "uploaded_by_id",
    "uploaded_by__is_active",
    "use_case_id",
    "use_case__title",
    "artifact_type__name",
)


def expiring_evidence_candidates(today: datetime.date) -> QuerySet[Artifact]:
    """The latest uploads of a type with a validity, of a use case still
    going, that expire after ``today`` and within EVIDENCE_EXPIRY_NOTICE_DAYS
    of it, with their ``expiry``."""
    last_day = today + datetime.timedelta(days=expiry_notice_days())
    return (
        with_expiry(
            Artifact.objects.filter(latest_uploads_expiring(last_day, after=today)).filter(
                use_case__status__in=[Status.ACTIVE, Status.ON_HOLD]
            )
        )
        .filter(expiry__gt=today, expiry__lte=last_day)
        .order_by()
    )


def program_lead_ids() -> list[int]:
    leads = get_user_model().objects.filter(groups__name=OrgRole.PROGRAM_LEAD, is_active=True)
    return list(leads.values_list("pk", flat=True))


# The audit actions of a pause of e-mail for everyone and of its end
# (``services.emails_pause``, ``services.emails_resume``).
EMAILS_PAUSED = "notifications.emails_paused"
EMAILS_RESUMED = "notifications.emails_resumed"


def unresumed_pause() -> AuditEvent | None:
    """The audit event of the latest pause of e-mail, while no resume has
    followed it: the latest of the two actions, when it is a pause."""
    latest = (
        AuditEvent.objects.filter(action__in=[EMAILS_PAUSED, EMAILS_RESUMED])
        .order_by("-seq")
        .first()
    )
    return latest if latest is not None and latest.action == EMAILS_PAUSED else None


def emails_paused() -> bool:
    return unresumed_pause() is not None
