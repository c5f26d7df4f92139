"""My work's queues: what waits on a person (the chair's decisions, my
approvals, the reviews I prepare, my conditions, my delegations), each row
with its ageing and its due or planned date, in a fixed number of queries.

My work shows the ``QUEUE_ROWS_SHOWN`` oldest rows of each queue and how
many there are in all; a queue's own page (``/my-work/<queue>/``, and
``GET /api/v1/me/queues/<queue>/``) pages through all of them. A program
lead chairing 10,000 submitted reviews waited 5 s for My work when it
listed every one."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gates import services
from gates.models import (
    APPROVED_DECISIONS,
    ApprovalDecision,
    ApproverDelegation,
    Artifact,
    AssessmentStatus,
    ConditionStatus,
    GateCondition,
    GateReview,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    ReviewStatus,
)
from gates.selectors import approvals_pending_for, gate1_risk_latest
from usecases import custom_fields
from usecases.models import MemberRole, UseCaseMember
from usecases.selectors import LONG_TEXT_FIELDS

User = get_user_model()

# --- My work: the queues of what waits on a person ---------------------------------
#
# A fixed number of queries whatever the number of rows: the reviews I chair
# that are submitted (with their approval and criteria counts as subqueries),
# my pending seats, the open reviews I prepare, their artifact requirements,
# the artifact types present, their criteria, expired evidence, Gate 1 risk,
# the custom fields, my roles on their use cases, my open conditions, my
# delegations; and one count for each queue longer than what is shown.

# The oldest rows of each queue that My work and GET /api/v1/me/queues/ show.
QUEUE_ROWS_SHOWN = 25
# Rows per page of a queue's own page.
QUEUE_PAGE_SIZE = 50

# A review's long texts, which no queue shows.
REVIEW_LONG_TEXT = ("rationale", "return_reason", "minutes", "decommissioning", "lessons_learned")
PREPARING_ROLES = (MemberRole.SPONSOR, MemberRole.TECHNICAL_LEAD, MemberRole.CONTRIBUTOR)


def _since_day(value: datetime.datetime | datetime.date | None) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date()
    return value


@dataclass
class QueueRow:
    """One row of a queue: what waits, since when, and the day it is due."""

    since: datetime.datetime | datetime.date | None
    due: datetime.date | None
    late: bool
    today: datetime.date

    @property
    def waiting_days(self) -> int:
        since = _since_day(self.since)
        return max((self.today - since).days, 0) if since else 0


@dataclass
class DecisionRow(QueueRow):
    review: GateReview = None  # type: ignore[assignment]
    approved: int = 0
    pending: int = 0
    rejected: int = 0
    # The approvals and the must-meet criteria allow Go now (the checks
    # other apps register are read on the review page).
    go_possible: bool = False


@dataclass
class ApprovalRow(QueueRow):
    review: GateReview = None  # type: ignore[assignment]
    seat: ReviewApprover = None  # type: ignore[assignment]
    # The holder I decide for as their active delegate; None for my own seat.
    for_holder: Any = None


@dataclass
class PreparingRow(QueueRow):
    review: GateReview = None  # type: ignore[assignment]
    my_roles: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


@dataclass
class ConditionRow(QueueRow):
    condition: GateCondition = None  # type: ignore[assignment]


@dataclass
class DelegationRow(QueueRow):
    delegation: ApproverDelegation = None  # type: ignore[assignment]
    given: bool = True
    state: str = ""


@dataclass
class MyQueues:
    decisions: list[DecisionRow]
    approvals: list[ApprovalRow]
    preparing: list[PreparingRow]
    conditions: list[ConditionRow]
    delegations: list[DelegationRow]
    today: datetime.date
    # Each queue's length in all (the lists hold its oldest rows only).
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        queues = (self.decisions, self.approvals, self.preparing, self.conditions)
        return not any(queues) and not self.delegations


def _approver_count(**filters: Any) -> Coalesce:
    rows = (
        ReviewApprover.objects.filter(review=OuterRef("pk"), **filters)
        .order_by()
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


# Each queue is a query (oldest first) and how its rows are built from a
# window of it, so that My work, a queue's page and the API read the same.


def _decisions(user: Any, today: datetime.date) -> QuerySet[GateReview]:
    return (
        GateReview.objects.filter(chair=user, status=ReviewStatus.SUBMITTED)
        .select_related("use_case")
        # Narrow rows: a page deep in the queue sorts every row before it.
        .defer(*REVIEW_LONG_TEXT, *(f"use_case__{name}" for name in LONG_TEXT_FIELDS))
        .order_by("submitted_at", "id")
    )


def _decision_rows(
    reviews: Sequence[GateReview], user: Any, today: datetime.date
) -> list[DecisionRow]:
    if not reviews:
        return []
    # The counts for this window only, in one more read: annotated on the
    # queue's query, they were computed for every row before an offset
    # (page 100 of 9,800 reviews: 240 ms).
    unmet = (
        ReviewCriterion.objects.filter(review=OuterRef("pk"), must_meet=True)
        .exclude(status=AssessmentStatus.MET)
        .order_by()
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counts = {
        row["pk"]: row
        for row in GateReview.objects.filter(pk__in=[r.pk for r in reviews]).values(
            "pk",
            approved=_approver_count(decision__in=APPROVED_DECISIONS),
            pending=_approver_count(decision=ApprovalDecision.PENDING),
            rejected=_approver_count(decision=ApprovalDecision.REJECT),
            unmet=Coalesce(Subquery(unmet), 0),
        )
    }
    rows = []
    for r in reviews:
        n = counts[r.pk]
        rows.append(
            DecisionRow(
                since=r.submitted_at,
                due=r.planned_date,
                late=r.is_late_on(today),
                today=today,
                review=r,
                approved=n["approved"],
                pending=n["pending"],
                rejected=n["rejected"],
                go_possible=(
                    n["pending"] == 0
                    and n["rejected"] == 0
                    and n["approved"] >= r.min_approvers
                    and n["unmet"] == 0
                ),
            )
        )
    return rows


def _approvals(user: Any, today: datetime.date) -> QuerySet[ReviewApprover]:
    return approvals_pending_for(user)


def _approval_rows(
    seats: Sequence[ReviewApprover], user: Any, today: datetime.date
) -> list[ApprovalRow]:
    return [
        ApprovalRow(
            since=seat.review.submitted_at,
            due=seat.review.planned_date,
            late=seat.review.is_late_on(today),
            today=today,
            review=seat.review,
            seat=seat,
            for_holder=seat.user if seat.user_id != user.pk else None,
        )
        for seat in seats
    ]


def _preparing(user: Any, today: datetime.date) -> QuerySet[GateReview]:
    on_team = UseCaseMember.objects.filter(
        use_case=OuterRef("use_case_id"), user=user, role__in=PREPARING_ROLES
    )
    return (
        GateReview.objects.filter(status=ReviewStatus.OPEN)
        .filter(Q(chair=user) | Q(Exists(on_team)))
        .select_related("use_case")
        .order_by("opened_at", "id")
    )


def _preparing_rows(
    reviews: Sequence[GateReview], user: Any, today: datetime.date
) -> list[PreparingRow]:
    if not reviews:
        return []
    review_ids = [r.pk for r in reviews]
    use_case_ids = {r.use_case_id for r in reviews}
    # What blocks submission, for every review at once: the same rule as the
    # review page (services.submission_blockers) fed with rows read in bulk.
    required: dict[int, list[ReviewArtifactRequirement]] = {}
    for requirement in (
        ReviewArtifactRequirement.objects.filter(review_id__in=review_ids)
        .select_related("artifact_type")
        .order_by("order", "id")
    ):
        required.setdefault(requirement.review_id, []).append(requirement)
    present: dict[int, set[int]] = {}
    for use_case_id, type_id in (
        Artifact.objects.filter(use_case_id__in=use_case_ids)
        .order_by()
        .values_list("use_case_id", "artifact_type_id")
        .distinct()
    ):
        present.setdefault(use_case_id, set()).add(type_id)
    criteria: dict[int, list[ReviewCriterion]] = {}
    for criterion in (
        ReviewCriterion.objects.filter(review_id__in=review_ids)
        .only("id", "review_id", "name", "status", "order")
        .order_by("order", "id")
    ):
        criteria.setdefault(criterion.review_id, []).append(criterion)
    expired = services.expired_latest(use_case_ids, today)
    risk = gate1_risk_latest(reviews)
    fields = custom_fields.active_fields()
    labels = dict(MemberRole.choices)
    roles: dict[int, list[str]] = {}
    for use_case_id, role in (
        UseCaseMember.objects.filter(user=user, use_case_id__in=use_case_ids)
        .order_by("role")
        .values_list("use_case_id", "role")
    ):
        roles.setdefault(use_case_id, []).append(labels.get(role, role))
    rows = []
    for review in reviews:
        my_roles = list(roles.get(review.use_case_id, []))
        if review.chair_id == user.pk:
            my_roles.insert(0, "Chair")
        rows.append(
            PreparingRow(
                since=review.opened_at,
                due=review.planned_date,
                late=review.is_late_on(today),
                today=today,
                review=review,
                my_roles=my_roles,
                blockers=services.submission_blockers(
                    review,
                    required=required.get(review.pk, []),
                    present=present.get(review.use_case_id, set()),
                    criteria=criteria.get(review.pk, []),
                    expired=expired.get(review.use_case_id, {}),
                    risk=risk.get(review.use_case_id),
                    fields=fields,
                ),
            )
        )
    return rows


def _conditions(user: Any, today: datetime.date) -> QuerySet[GateCondition]:
    return (
        GateCondition.objects.filter(owner=user, status=ConditionStatus.OPEN)
        .select_related("review", "review__use_case", "owner", "closed_by")
        .order_by("created_at", "id")
    )


def _condition_rows(
    conditions: Sequence[GateCondition], user: Any, today: datetime.date
) -> list[ConditionRow]:
    return [
        ConditionRow(
            since=c.created_at, due=c.due_date, late=today > c.due_date, today=today, condition=c
        )
        for c in conditions
    ]


def _delegations(user: Any, today: datetime.date) -> QuerySet[ApproverDelegation]:
    return (
        ApproverDelegation.objects.filter(
            Q(holder=user) | Q(delegate=user), revoked_at__isnull=True, ends_on__gte=today
        )
        .select_related("holder", "delegate")
        .order_by("starts_on", "id")
    )


def _delegation_rows(
    delegations: Sequence[ApproverDelegation], user: Any, today: datetime.date
) -> list[DelegationRow]:
    return [
        DelegationRow(
            since=d.starts_on,
            due=d.ends_on,
            late=False,
            today=today,
            delegation=d,
            given=d.holder_id == user.pk,
            state=d.state(today).value,
        )
        for d in delegations
    ]


@dataclass(frozen=True)
class Queue:
    """One queue of My work: its heading, its query, oldest first, and its rows."""

    name: str
    heading: str
    query: Callable[[Any, datetime.date], QuerySet]
    build: Callable[[Sequence[Any], Any, datetime.date], list]


QUEUES: dict[str, Queue] = {
    q.name: q
    for q in (
        Queue("decisions", _("Awaiting my decision"), _decisions, _decision_rows),
        Queue("approvals", _("Awaiting my approval"), _approvals, _approval_rows),
        Queue("preparing", _("Preparing"), _preparing, _preparing_rows),
        Queue("conditions", _("Conditions I own"), _conditions, _condition_rows),
        Queue("delegations", _("My delegations"), _delegations, _delegation_rows),
    )
}


def queue_query(user: Any, name: str, today: datetime.date | None = None) -> QuerySet:
    """All of one queue (``QUEUES``), oldest first, to page through."""
    return QUEUES[name].query(user, today or timezone.localdate())


def queue_rows(
    user: Any, name: str, items: Sequence[Any], today: datetime.date | None = None
) -> list:
    """The rows of one queue for a window of its query (a page of it)."""
    return QUEUES[name].build(list(items), user, today or timezone.localdate())


def my_queues(user: Any, today: datetime.date | None = None) -> MyQueues:
    """What waits on this person: the ``QUEUE_ROWS_SHOWN`` oldest rows of
    each queue and each queue's total, in a fixed number of queries (see
    above). A queue is counted only when it has more rows than are shown."""
    today = today or timezone.localdate()
    shown = QUEUE_ROWS_SHOWN
    rows: dict[str, list] = {}
    totals: dict[str, int] = {}
    for name, queue in QUEUES.items():
        query = queue.query(user, today)
        items = list(query[: shown + 1])
        totals[name] = query.count() if len(items) > shown else len(items)
        rows[name] = queue.build(items[:shown], user, today)
    return MyQueues(**rows, today=today, totals=totals)
