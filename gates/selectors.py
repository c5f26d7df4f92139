"""Read queries of the gate engine, shaped for a page or endpoint.

Each keeps its query count fixed whatever the number of criteria, artifacts,
approvers or versions: related rows come through ``select_related`` or one
``Prefetch`` per relation, and what a page needs to know about the viewer is
computed once here rather than per row in a template.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core.models import AuditEvent
from core.web import get_or_404
from gates import applicability, rules, services
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApprovalDecision,
    ApproverDelegation,
    Artifact,
    ArtifactType,
    ConditionStatus,
    DecommissioningStep,
    ExitReason,
    GateCondition,
    GateCriterion,
    GateReview,
    GateTemplate,
    ReviewApprover,
    ReviewCriterion,
    ReviewStatus,
    StageTransition,
    expiry_notice_days,
    latest_uploads_expiring,
    validity_types,
    with_expiry,
)
from usecases import access
from usecases import selectors as usecase_selectors
from usecases.models import TERMINAL_STATUSES, Stage, UseCase, UseCaseMember

User = get_user_model()

AUDIT_PAGE_SIZE = 50


def approvals_pending_for(user: Any) -> QuerySet[ReviewApprover]:
    """The reviews waiting for this person's decision, oldest first: their
    own seats, and the seats of those who delegated to them today."""
    # The holders read first: as a subquery ORed with the person's own seats,
    # PostgreSQL walked every submitted review in order probing for a seat
    # (90 ms for a person with 160 seats among 10,000 submitted reviews).
    holders = (
        ApproverDelegation.objects.active()
        .filter(delegate=user)
        .values_list("holder_id", flat=True)
    )
    return (
        ReviewApprover.objects.filter(
            user_id__in=[user.pk, *holders],
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
        )
        .select_related("review", "review__use_case", "review__chair", "user")
        .order_by("review__submitted_at", "id")
    )


# --- Visibility ----------------------------------------------------------------


def visible_review(user: Any, review_id: int) -> GateReview:
    return get_or_404(
        GateReview.objects.filter(access.row_visible_to(user, "use_case_id")).select_related(
            "use_case", "use_case__business_unit"
        ),
        review_id,
        "No such review.",
    )


def visible_artifact(user: Any, artifact_id: int) -> Artifact:
    return get_or_404(
        Artifact.objects.filter(access.row_visible_to(user, "use_case_id")).select_related(
            "artifact_type"
        ),
        artifact_id,
        "No such artifact.",
    )


def visible_condition(user: Any, condition_id: int) -> GateCondition:
    return get_or_404(
        GateCondition.objects.filter(
            access.row_visible_to(user, "review__use_case_id")
        ).select_related("review", "review__use_case"),
        condition_id,
        "No such condition.",
    )


# --- The stage track ------------------------------------------------------------


@dataclass(frozen=True)
class TrackStep:
    stage: Stage
    state: str  # "done", "current" or "future"
    entered_at: datetime.datetime | None
    # The gate decision that moved the use case out of this stage.
    exit: StageTransition | None


def stage_transitions(use_case: UseCase) -> list[StageTransition]:
    """The use case's stage changes, oldest first, with their review and who decided."""
    return list(
        StageTransition.objects.filter(use_case=use_case)
        .select_related("review", "decided_by")
        .order_by("occurred_at", "id")
    )


def stage_track(
    use_case: UseCase, transitions: list[StageTransition] | None = None
) -> list[TrackStep]:
    """The five stages with the date each was entered and, for the stages
    behind the use case, the gate decision that closed them (from
    ``transitions`` when the caller has read them)."""
    if transitions is None:
        transitions = stage_transitions(use_case)
    # A recycled use case re-enters a stage: the latest passage counts.
    entered: dict[str, datetime.datetime] = {Stage.DISCOVERY: use_case.created_at}
    exits: dict[str, StageTransition] = {}
    for transition in transitions:
        entered[transition.to_stage] = transition.occurred_at
        exits[transition.from_stage] = transition
    entered[use_case.stage] = use_case.stage_entered_at
    current = Stage.ordered().index(use_case.stage_enum)
    steps = []
    for index, stage in enumerate(Stage.ordered()):
        if index < current:
            steps.append(TrackStep(stage, "done", entered.get(stage), exits.get(stage)))
        elif index == current:
            steps.append(TrackStep(stage, "current", entered[stage], None))
        else:
            steps.append(TrackStep(stage, "future", None, None))
    return steps


# --- Gate templates ------------------------------------------------------------


def gate_templates() -> QuerySet[GateTemplate]:
    return GateTemplate.objects.order_by("number").prefetch_related(
        Prefetch("criteria", queryset=GateCriterion.objects.order_by("order", "id")),
        Prefetch("artifact_types", queryset=ArtifactType.objects.order_by("order", "id")),
        "approver_roles",
        "criteria__controls",
        "artifact_types__controls",
    )


def exit_reasons() -> QuerySet[ExitReason]:
    """The active reasons a Kill or Retire picks from, in order."""
    return ExitReason.objects.filter(is_active=True).order_by("order", "id")


def decommissioning_steps() -> QuerySet[DecommissioningStep]:
    """The active steps a Retire answers, in order."""
    return DecommissioningStep.objects.filter(is_active=True).order_by("order", "id")


def active_artifact_types() -> QuerySet[ArtifactType]:
    return (
        ArtifactType.objects.filter(is_active=True)
        .select_related("template")
        .order_by("template__number", "order", "id")
    )


# --- Artifacts -----------------------------------------------------------------


@dataclass
class ArtifactTypeGroup:
    artifact_type: ArtifactType
    versions: list[Artifact] = field(default_factory=list)


@dataclass
class GateArtifactGroup:
    template: GateTemplate
    types: list[ArtifactTypeGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(t.versions) for t in self.types)


def artifacts_of(use_case: UseCase) -> QuerySet[Artifact]:
    return (
        Artifact.objects.filter(use_case=use_case)
        .select_related("artifact_type", "artifact_type__template", "uploaded_by")
        .order_by("artifact_type__template__number", "artifact_type__order", "-version")
    )


def artifacts_by_gate(use_case: UseCase) -> list[GateArtifactGroup]:
    """Every artifact type of every gate (active ones even when empty, retired
    ones only when they hold files), each with all its versions newest first."""
    artifacts = list(artifacts_of(use_case))
    by_type: dict[int, list[Artifact]] = {}
    for artifact in artifacts:
        by_type.setdefault(artifact.artifact_type_id, []).append(artifact)
    groups: OrderedDict[int, GateArtifactGroup] = OrderedDict()
    for artifact_type in ArtifactType.objects.select_related("template").order_by(
        "template__number", "order", "id"
    ):
        versions = by_type.get(artifact_type.pk, [])
        if not artifact_type.is_active and not versions:
            continue
        group = groups.setdefault(
            artifact_type.template_id, GateArtifactGroup(template=artifact_type.template)
        )
        group.types.append(ArtifactTypeGroup(artifact_type=artifact_type, versions=versions))
    return list(groups.values())


# --- Audit ---------------------------------------------------------------------


def audit_events_page(use_case: UseCase, page_number: Any) -> Page:
    events = AuditEvent.objects.filter(use_case=use_case).select_related("actor").order_by("-seq")
    return Paginator(events, AUDIT_PAGE_SIZE).get_page(page_number)


# --- Evidence validity ------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringArtifact:
    artifact: Artifact
    expires_on: datetime.date
    today: datetime.date

    @property
    def expired(self) -> bool:
        return self.today >= self.expires_on

    @property
    def days(self) -> int:
        """Days left (negative: days since it expired)."""
        return (self.expires_on - self.today).days


def expiring_evidence(
    *,
    use_case: UseCase | None = None,
    user: Any = None,
    today: datetime.date | None = None,
    limit: int | None = None,
) -> list[ExpiringArtifact]:
    """The latest version of each artifact type (with a validity) that has
    expired or expires within EVIDENCE_EXPIRY_NOTICE_DAYS, soonest first: of
    one use case, or of the active use cases visible to ``user``. One query;
    across the portfolio, two more first: the types with a validity, and with
    a ``limit`` the expiry of the last row shown (``_nth_expiry``). The expiry
    is computed in the database (``with_expiry``)."""
    today = today or timezone.localdate()
    last_day = today + datetime.timedelta(days=expiry_notice_days())
    if use_case is not None:
        artifacts = Artifact.objects.filter(
            use_case=use_case,
            is_latest=True,
            artifact_type__validity_months__isnull=False,
            artifact_type__is_active=True,
        )
    else:
        # Across the portfolio: by ranges of upload time in the latest
        # uploads' index, not every upload's expiry computed and compared;
        # with a limit, only up to the expiry of the last row shown.
        types = validity_types()
        portfolio = Artifact.objects.filter(access.rows_visible_to(user, "use_case_id")).exclude(
            use_case__status__in=TERMINAL_STATUSES
        )
        if limit is not None:
            last_day = _nth_expiry(portfolio, types, last_day, limit)
        artifacts = portfolio.filter(latest_uploads_expiring(last_day, types=types))
    rows = (
        with_expiry(artifacts)
        .filter(expiry__lte=last_day)
        .select_related("artifact_type", "use_case", "uploaded_by")
        .order_by("expiry", "id")
    )
    if limit is not None:
        rows = rows[:limit]
    return [ExpiringArtifact(artifact=a, expires_on=a.expiry, today=today) for a in rows]


def _nth_expiry(
    portfolio: QuerySet[Artifact], types: dict[int, list[int]], last_day: datetime.date, n: int
) -> datetime.date:
    """The ``n``-th soonest expiry by ``last_day`` among ``portfolio``'s latest
    uploads, or ``last_day`` when fewer expire by then: one query. Within a
    type the expiry follows the upload time, so each type's first ``n``
    uploads in the index hold its ``n`` soonest expiries, and together the
    portfolio's. Every row of the first ``n`` expires by the day it gives."""
    branches = [
        with_expiry(portfolio.filter(latest_uploads_expiring(last_day, types={months: [type_id]})))
        .order_by("uploaded_at")
        .values_list("expiry", flat=True)[:n]
        for months, type_ids in sorted(types.items())
        for type_id in type_ids
    ]
    if not branches:
        return last_day
    soonest = branches[0].union(*branches[1:], all=True).order_by() if branches[1:] else branches[0]
    expiries = sorted(soonest)
    return expiries[n - 1] if len(expiries) >= n else last_day


# --- The use case's gate panel --------------------------------------------------


def usecase_gate_panel(*, use_case: UseCase, user: Any) -> dict[str, Any]:
    """What the use case page shows about its gates: the open review or the
    action to open the next one, past decisions, stage history, conditions."""
    reviews = list(
        GateReview.objects.filter(use_case=use_case)
        .select_related("chair", "decided_by", "exit_reason")
        .annotate(
            open_conditions=Count("conditions", filter=Q(conditions__status=ConditionStatus.OPEN))
        )
        .order_by("-opened_at", "-id")
    )
    open_review = next((r for r in reviews if r.is_open), None)
    past_reviews = [r for r in reviews if not r.is_open]
    next_gate = (
        GateTemplate.objects.filter(from_stage=use_case.stage)
        .prefetch_related("criteria", "artifact_types")
        .first()
        if open_review is None and use_case.status not in TERMINAL_STATUSES
        else None
    )
    transitions = stage_transitions(use_case)
    return {
        "gate_open_review": open_review,
        "gate_past_reviews": past_reviews,
        "gate_next": next_gate,
        "gate_can_open_review": next_gate is not None and rules.can_open_review(user, use_case),
        "gate_can_resume": rules.can_resume(user, use_case),
        # The next gate's criteria and artifacts this use case will face beyond
        # the standard ones, and why (three queries, only before it opens).
        "gate_preview": (
            applicability.gate_preview(next_gate, use_case) if next_gate is not None else None
        ),
        "gate_open_conditions": sum(r.open_conditions for r in reviews),
        "transitions": transitions,
        "gate_expiring_evidence": expiring_evidence(use_case=use_case),
    }


# --- Delegations --------------------------------------------------------------------


@dataclass
class DelegationsPage:
    given: list[ApproverDelegation]
    received: list[ApproverDelegation]
    # For a program lead: everyone else's delegations not yet ended.
    others: list[ApproverDelegation]
    is_lead: bool = False


def delegations_of(user: Any) -> QuerySet[ApproverDelegation]:
    """The delegations this person gave or received, newest first."""
    return (
        ApproverDelegation.objects.filter(Q(holder=user) | Q(delegate=user))
        .select_related("holder", "delegate", "revoked_by")
        .order_by("-starts_on", "-id")
    )


def delegations_page(user: Any) -> DelegationsPage:
    """The delegations page: one query for mine, one more for a program lead."""
    mine = list(delegations_of(user))
    others: list[ApproverDelegation] = []
    is_lead = access.is_program_lead(user)
    if is_lead:
        others = list(
            ApproverDelegation.objects.filter(
                revoked_at__isnull=True, ends_on__gte=timezone.localdate()
            )
            .exclude(Q(holder=user) | Q(delegate=user))
            .select_related("holder", "delegate", "revoked_by")
            .order_by("starts_on", "id")
        )
    return DelegationsPage(
        given=[d for d in mine if d.holder_id == user.pk],
        received=[d for d in mine if d.delegate_id == user.pk],
        others=others,
        is_lead=is_lead,
    )


def visible_delegation(user: Any, delegation_id: Any) -> ApproverDelegation:
    """A delegation its holder, its delegate or a program lead may see; 404
    for anyone else."""
    delegations = ApproverDelegation.objects.select_related("holder", "delegate", "revoked_by")
    if not access.is_program_lead(user):
        delegations = delegations.filter(Q(holder=user) | Q(delegate=user))
    return get_or_404(delegations, delegation_id, "No such delegation.")


# --- People a form may name --------------------------------------------------------


def condition_owner_candidates(review: GateReview) -> QuerySet:
    """People who can own a condition: the use case's team, the review's
    approvers and the chair. Active accounts only."""
    team = UseCaseMember.objects.filter(use_case_id=review.use_case_id).values("user_id")
    approvers = ReviewApprover.objects.filter(review=review).values("user_id")
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=team) | Q(pk__in=approvers) | Q(pk=review.chair_id))
        .order_by("first_name", "last_name", "username")
    )


def review_criteria_choices(review: GateReview) -> QuerySet[ReviewCriterion]:
    """The criteria a condition can answer, in the review's order."""
    return ReviewCriterion.objects.filter(review=review).order_by("order", "id")


def approver_candidates() -> QuerySet:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def applicable_approver_roles(template: GateTemplate, use_case: UseCase) -> list:
    return [
        role
        for role in template.approver_roles.order_by("order", "id")
        if services.role_applies(role, use_case)
    ]


# --- Registered with usecases at start-up (GatesConfig.ready) ------------------------


def open_reviews_prefetch() -> Prefetch:
    """The use case API's open review, as ``open_reviews``."""
    return Prefetch(
        "reviews",
        queryset=GateReview.objects.filter(status__in=OPEN_REVIEW_STATUSES).only(
            "id", "use_case_id", "gate_number", "status"
        ),
        to_attr="open_reviews",
    )


def gate1_risk_latest(reviews: list[GateReview]) -> dict[int, Any]:
    """The latest risk classification of the use cases whose Gate 1 is being
    prepared (one query, none when no Gate 1 is among them)."""
    ids = {r.use_case_id for r in reviews if r.gate_number == 1}
    return usecase_selectors.risk_latest(ids) if ids else {}
