"""My work's queues: what waits on a person (the chair's decisions, my
approvals, the reviews I prepare, my conditions, my delegations), each row
with its ageing and its due or planned date, in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

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

User = get_user_model()

# --- My work: the queues of what waits on a person ---------------------------------
#
# At most nine queries whatever the number of rows: the reviews I chair that are
# submitted (with their approval and criteria counts as subqueries), my
# pending seats, the open reviews I prepare, their artifact requirements,
# the artifact types present, their criteria, my roles on their use cases,
# my open conditions, my delegations.

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


def _decision_rows(user: Any, today: datetime.date) -> list[DecisionRow]:
    unmet = (
        ReviewCriterion.objects.filter(review=OuterRef("pk"), must_meet=True)
        .exclude(status=AssessmentStatus.MET)
        .order_by()
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reviews = (
        GateReview.objects.filter(chair=user, status=ReviewStatus.SUBMITTED)
        .select_related("use_case")
        .annotate(
            approved_n=_approver_count(decision__in=APPROVED_DECISIONS),
            pending_n=_approver_count(decision=ApprovalDecision.PENDING),
            rejected_n=_approver_count(decision=ApprovalDecision.REJECT),
            unmet_n=Coalesce(Subquery(unmet), 0),
        )
        .order_by("submitted_at", "id")
    )
    return [
        DecisionRow(
            since=r.submitted_at,
            due=r.planned_date,
            late=r.is_late_on(today),
            today=today,
            review=r,
            approved=r.approved_n,
            pending=r.pending_n,
            rejected=r.rejected_n,
            go_possible=(
                r.pending_n == 0
                and r.rejected_n == 0
                and r.approved_n >= r.min_approvers
                and r.unmet_n == 0
            ),
        )
        for r in reviews
    ]


def _preparing_rows(user: Any, today: datetime.date) -> list[PreparingRow]:
    on_team = UseCaseMember.objects.filter(
        use_case=OuterRef("use_case_id"), user=user, role__in=PREPARING_ROLES
    )
    reviews = list(
        GateReview.objects.filter(status=ReviewStatus.OPEN)
        .filter(Q(chair=user) | Q(Exists(on_team)))
        .select_related("use_case")
        .order_by("opened_at", "id")
    )
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


def my_queues(user: Any, today: datetime.date | None = None) -> MyQueues:
    """What waits on this person, each queue oldest first, in a fixed number
    of queries (see above)."""
    today = today or timezone.localdate()
    approvals = [
        ApprovalRow(
            since=seat.review.submitted_at,
            due=seat.review.planned_date,
            late=seat.review.is_late_on(today),
            today=today,
            review=seat.review,
            seat=seat,
            for_holder=seat.user if seat.user_id != user.pk else None,
        )
        for seat in approvals_pending_for(user)
    ]
    conditions = [
        ConditionRow(
            since=c.created_at,
            due=c.due_date,
            late=today > c.due_date,
            today=today,
            condition=c,
        )
        for c in GateCondition.objects.filter(owner=user, status=ConditionStatus.OPEN)
        .select_related("review", "review__use_case", "owner", "closed_by")
        .order_by("created_at", "id")
    ]
    delegations = [
        DelegationRow(
            since=d.starts_on,
            due=d.ends_on,
            late=False,
            today=today,
            delegation=d,
            given=d.holder_id == user.pk,
            state=d.state(today).value,
        )
        for d in ApproverDelegation.objects.filter(
            Q(holder=user) | Q(delegate=user), revoked_at__isnull=True, ends_on__gte=today
        )
        .select_related("holder", "delegate")
        .order_by("starts_on", "id")
    ]
    return MyQueues(
        decisions=_decision_rows(user, today),
        approvals=approvals,
        preparing=_preparing_rows(user, today),
        conditions=conditions,
        delegations=delegations,
        today=today,
    )
