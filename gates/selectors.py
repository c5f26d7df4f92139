"""Read queries of the gate engine, shaped for a page or endpoint.

Each keeps its query count fixed whatever the number of criteria, artifacts,
approvers or versions: related rows come through ``select_related`` or one
``Prefetch`` per relation, and what a page needs to know about the viewer is
computed once here rather than per row in a template.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from core.models import AuditEvent
from gates import rules, services
from gates.models import (
    ApprovalDecision,
    Artifact,
    ArtifactType,
    ConditionStatus,
    GateCondition,
    GateCriterion,
    GateReview,
    GateTemplate,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    ReviewStatus,
    StageTransition,
)
from readiness.models import PocScorecard
from usecases import access
from usecases.models import Status, UseCase, UseCaseMember

User = get_user_model()

AUDIT_PAGE_SIZE = 50


def approvals_pending_for(user: Any) -> QuerySet[ReviewApprover]:
    """The reviews waiting for this person's own decision, oldest first."""
    return (
        ReviewApprover.objects.filter(
            user=user,
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
        )
        .select_related("review", "review__use_case", "review__chair")
        .order_by("review__submitted_at", "id")
    )


# --- Visibility ----------------------------------------------------------------


def visible_use_case(user: Any, use_case_id: int) -> UseCase:
    """The use case if the user may see it; 404 otherwise, so an invisible use
    case cannot be told apart from one that does not exist."""
    try:
        return access.use_cases_visible_to(user).select_related("business_unit").get(pk=use_case_id)
    except UseCase.DoesNotExist:
        raise Http404("No such use case.") from None


def _visible(user: Any, use_case_field: str) -> Exists:
    """True when the row's use case is visible to ``user``. An EXISTS on that
    one use case: ``use_case__in=visible`` would make PostgreSQL consider the
    whole portfolio for a reader who sees all of it."""
    return Exists(access.use_cases_visible_to(user).filter(pk=OuterRef(use_case_field)))


def visible_review(user: Any, review_id: int) -> GateReview:
    try:
        return (
            GateReview.objects.filter(_visible(user, "use_case_id"))
            .select_related("use_case", "use_case__business_unit")
            .get(pk=review_id)
        )
    except GateReview.DoesNotExist:
        raise Http404("No such review.") from None


def visible_artifact(user: Any, artifact_id: int) -> Artifact:
    try:
        return (
            Artifact.objects.filter(_visible(user, "use_case_id"))
            .select_related("artifact_type")
            .get(pk=artifact_id)
        )
    except Artifact.DoesNotExist:
        raise Http404("No such artifact.") from None


def visible_condition(user: Any, condition_id: int) -> GateCondition:
    try:
        return (
            GateCondition.objects.filter(_visible(user, "review__use_case_id"))
            .select_related("review", "review__use_case")
            .get(pk=condition_id)
        )
    except GateCondition.DoesNotExist:
        raise Http404("No such condition.") from None


# --- Gate templates ------------------------------------------------------------


def gate_templates() -> QuerySet[GateTemplate]:
    return GateTemplate.objects.order_by("number").prefetch_related(
        Prefetch("criteria", queryset=GateCriterion.objects.order_by("order", "id")),
        Prefetch("artifact_types", queryset=ArtifactType.objects.order_by("order", "id")),
        "approver_roles",
    )


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


# --- The use case's gate panel --------------------------------------------------


def usecase_gate_panel(*, use_case: UseCase, user: Any) -> dict[str, Any]:
    """What the use case page shows about its gates: the open review or the
    action to open the next one, past decisions, stage history, conditions."""
    reviews = list(
        GateReview.objects.filter(use_case=use_case)
        .select_related("chair", "decided_by")
        .annotate(
            open_conditions=Count("conditions", filter=Q(conditions__status=ConditionStatus.OPEN))
        )
        .order_by("-opened_at", "-id")
    )
    open_review = next((r for r in reviews if r.is_open), None)
    past_reviews = [r for r in reviews if not r.is_open]
    next_gate = (
        GateTemplate.objects.filter(from_stage=use_case.stage).first()
        if open_review is None and use_case.status != Status.KILLED
        else None
    )
    transitions = list(
        StageTransition.objects.filter(use_case=use_case)
        .select_related("decided_by", "review")
        .order_by("occurred_at", "id")
    )
    return {
        "gate_open_review": open_review,
        "gate_past_reviews": past_reviews,
        "gate_next": next_gate,
        "gate_can_open_review": next_gate is not None and rules.can_open_review(user, use_case),
        "gate_can_resume": rules.can_resume(user, use_case),
        "gate_open_conditions": sum(r.open_conditions for r in reviews),
        "transitions": transitions,
    }


# --- The review page -------------------------------------------------------------


@dataclass
class RequiredArtifact:
    artifact_type: ArtifactType
    latest: Artifact | None
    pinned: Artifact | None

    @property
    def shown(self) -> Artifact | None:
        """After submission the approvers judge the pinned version."""
        return self.pinned or self.latest


@dataclass
class ReviewPage:
    review: GateReview
    use_case: UseCase
    criteria: list[ReviewCriterion]
    required: list[RequiredArtifact]
    approvers: list[ReviewApprover]
    conditions: list[GateCondition]
    use_case_artifacts: list[Artifact]
    submission_blockers: list[str]
    go_blockers: list[str]
    my_approval: ReviewApprover | None
    can_assess: bool
    can_submit: bool
    can_decide: bool
    can_approve: bool
    is_lead: bool
    read_only: bool
    user_id: int | None

    @property
    def pending_approvers(self) -> list[ReviewApprover]:
        return [a for a in self.approvers if a.decision == ApprovalDecision.PENDING]


def review_criteria(review: GateReview) -> QuerySet[ReviewCriterion]:
    return (
        ReviewCriterion.objects.filter(review=review)
        # The KPI rule a criterion is assessed from, if any (readiness.KpiRule).
        .select_related("assessed_by", "kpi_rule__kpi")
        .prefetch_related(
            Prefetch(
                "artifacts",
                queryset=Artifact.objects.select_related("artifact_type").order_by(
                    "artifact_type__order", "-version"
                ),
            ),
            # The PoC scorecard versions it cites (readiness.PocScorecard).
            Prefetch(
                "scorecards", queryset=PocScorecard.objects.order_by("-version"), to_attr="cited"
            ),
        )
        .order_by("order", "id")
    )


def review_page(review_id: int, user: Any) -> ReviewPage:
    """Everything the review page and the review endpoint show, in a fixed
    number of queries. Raises 404 when the review is invisible to ``user``."""
    try:
        review = (
            GateReview.objects.filter(_visible(user, "use_case_id"))
            # Few joins: with eight, planning the query cost more than running
            # it. Who submitted and decided come as prefetches (none until set).
            .select_related("use_case", "use_case__business_unit", "template", "chair")
            .prefetch_related(
                "submitted_by",
                "decided_by",
                Prefetch(
                    "pinned_artifacts",
                    queryset=Artifact.objects.select_related("uploaded_by"),
                ),
            )
            .get(pk=review_id)
        )
    except GateReview.DoesNotExist:
        raise Http404("No such review.") from None
    use_case = review.use_case
    criteria = list(review_criteria(review))
    for criterion in criteria:
        # Read the prefetched links once; each .all() in a template is a new
        # queryset clone, which adds up over 40 rows.
        criterion.linked = list(criterion.artifacts.all())
    requirements = list(
        ReviewArtifactRequirement.objects.filter(review=review)
        .select_related("artifact_type")
        .order_by("order", "id")
    )
    # One query for every version of the use case's artifacts: the newest per
    # required type, and the options a criterion can link to.
    use_case_artifacts = list(artifacts_of(use_case))
    latest: dict[int, Artifact] = {}
    for artifact in use_case_artifacts:
        latest.setdefault(artifact.artifact_type_id, artifact)
    pinned = {a.artifact_type_id: a for a in review.pinned_artifacts.all()}
    required = [
        RequiredArtifact(
            artifact_type=r.artifact_type,
            latest=latest.get(r.artifact_type_id),
            pinned=pinned.get(r.artifact_type_id),
        )
        for r in requirements
    ]
    approvers = list(
        ReviewApprover.objects.filter(review=review).select_related("user").order_by("id")
    )
    conditions = list(
        GateCondition.objects.filter(review=review)
        .select_related("owner", "closed_by")
        .order_by("due_date", "id")
    )
    my_approval = next((a for a in approvers if a.user_id == user.pk), None)
    read_only = use_case.status == Status.KILLED
    is_lead = access.is_program_lead(user)
    for condition in conditions:
        # The owner or a program lead closes a condition (services.condition_close).
        condition.closable = (
            not read_only
            and condition.status == ConditionStatus.OPEN
            and (is_lead or condition.owner_id == user.pk)
        )
    return ReviewPage(
        review=review,
        use_case=use_case,
        criteria=criteria,
        required=required,
        approvers=approvers,
        conditions=conditions,
        use_case_artifacts=use_case_artifacts,
        # From what was read above: no second read of the same rows.
        submission_blockers=(
            services.submission_blockers(
                review,
                required=requirements,
                present={a.artifact_type_id for a in use_case_artifacts},
                criteria=criteria,
            )
            if review.status == ReviewStatus.OPEN
            else []
        ),
        go_blockers=(
            services.go_blockers(review, approvers=approvers, criteria=criteria)
            if review.is_open
            else []
        ),
        my_approval=my_approval,
        can_assess=not read_only and rules.can_assess(user, review),
        can_submit=not read_only and rules.can_submit(user, review),
        can_decide=not read_only and rules.can_decide(user, review),
        can_approve=(
            not read_only and my_approval is not None and review.status == ReviewStatus.SUBMITTED
        ),
        is_lead=is_lead,
        read_only=read_only,
        user_id=user.pk,
    )


def criterion_of(review: GateReview, criterion_id: int) -> ReviewCriterion:
    """One criterion of the review with what its row shows; 404 if it belongs
    to another review."""
    try:
        criterion = review_criteria(review).get(pk=criterion_id)
    except ReviewCriterion.DoesNotExist:
        raise Http404("No such criterion in this review.") from None
    criterion.linked = list(criterion.artifacts.all())
    return criterion


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


def approver_candidates() -> QuerySet:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def applicable_approver_roles(template: GateTemplate, use_case: UseCase) -> list:
    return [
        role
        for role in template.approver_roles.order_by("order", "id")
        if services.role_applies(role, use_case)
    ]
