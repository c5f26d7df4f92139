"""Read queries of the gate engine, shaped for a page or endpoint.

Each keeps its query count fixed whatever the number of criteria, artifacts,
approvers or versions: related rows come through ``select_related`` or one
``Prefetch`` per relation, and what a page needs to know about the viewer is
computed once here rather than per row in a template.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.errors import DomainError, PermissionRefused
from core.models import AuditEvent
from core.web import get_or_404, valid_id
from gates import applicability, rules, services
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApprovalDecision,
    ApproverDelegation,
    Artifact,
    ArtifactType,
    AssessmentStatus,
    ConditionStatus,
    Control,
    DecommissioningStep,
    ExitReason,
    GateCondition,
    GateCriterion,
    GateReview,
    GateTemplate,
    ProposedCondition,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    ReviewStatus,
    StageTransition,
    expiry_notice_days,
    with_expiry,
)
from usecases import access, custom_fields
from usecases import selectors as usecase_selectors
from usecases.models import TERMINAL_STATUSES, Stage, UseCase, UseCaseMember
from usecases.selectors import usecase_team

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
    the expiry is computed in the database (``with_expiry``)."""
    today = today or timezone.localdate()
    newer = Artifact.objects.filter(
        use_case_id=OuterRef("use_case_id"),
        artifact_type_id=OuterRef("artifact_type_id"),
        version__gt=OuterRef("version"),
    )
    artifacts = Artifact.objects.filter(
        artifact_type__validity_months__isnull=False, artifact_type__is_active=True
    )
    if use_case is not None:
        artifacts = artifacts.filter(use_case=use_case)
    else:
        artifacts = artifacts.filter(access.rows_visible_to(user, "use_case_id")).exclude(
            use_case__status__in=TERMINAL_STATUSES
        )
    rows = (
        with_expiry(artifacts.filter(~Exists(newer)))
        .filter(expiry__lte=today + datetime.timedelta(days=expiry_notice_days()))
        .select_related("artifact_type", "use_case", "uploaded_by")
        .order_by("expiry", "id")
    )
    if limit is not None:
        rows = rows[:limit]
    return [ExpiringArtifact(artifact=a, expires_on=a.expiry, today=today) for a in rows]


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


# --- The review: one read model ----------------------------------------------------

# What the apps above know about a review's criteria (readiness: the KPI rule
# a criterion is assessed from, the PoC scorecards it cites), attached to the
# criteria rows in a fixed number of queries. Registered at start-up in their
# AppConfig.ready; this app imports none of them.
CriterionExtension = Callable[[list[ReviewCriterion]], None]
CRITERION_EXTENSIONS: list[CriterionExtension] = []


def register_criterion_extension(extension: CriterionExtension) -> CriterionExtension:
    if extension not in CRITERION_EXTENSIONS:
        CRITERION_EXTENSIONS.append(extension)
    return extension


@dataclass
class RequiredArtifact:
    artifact_type: ArtifactType
    latest: Artifact | None
    pinned: Artifact | None
    # Why the use case is asked for it (empty: every use case is), and the
    # controls its type cites.
    applicability: str = ""
    controls: list[Control] = field(default_factory=list)

    @property
    def shown(self) -> Artifact | None:
        """After submission the approvers judge the pinned version."""
        return self.pinned or self.latest


@dataclass
class ReviewRead:
    """A review as the review page, the review endpoint and the gate pack all
    show it: one read, so the three cannot tell different stories.

    The viewer's part (``my_approval`` and the ``can_*`` flags) is empty when
    read for no one (the pack, rendered by a worker)."""

    review: GateReview
    use_case: UseCase
    criteria: list[ReviewCriterion]
    required: list[RequiredArtifact]
    approvers: list[ReviewApprover]
    conditions: list[GateCondition]
    use_case_artifacts: list[Artifact]
    submission_blockers: list[str]
    go_blockers: list[str]
    # What still blocks Conditional Go once a condition is attached to each
    # must-meet criterion that is only partially met (``partially_met``).
    conditional_go_blockers: list[str] = field(default_factory=list)
    partially_met: list[ReviewCriterion] = field(default_factory=list)
    # The active custom field definitions, read once for the blockers and
    # for the pack's use case section.
    custom_fields: list[Any] = field(default_factory=list)
    my_approval: ReviewApprover | None = None
    # The seat the viewer decides in as a holder's active delegate (holding
    # none of their own), and why they may not when a seat rule forbids it.
    acting_for: ReviewApprover | None = None
    delegate_refusal: DomainError | None = None
    can_assess: bool = False
    can_submit: bool = False
    can_decide: bool = False
    can_approve: bool = False
    can_return: bool = False
    is_lead: bool = False
    read_only: bool = False
    user_id: int | None = None

    @cached_property
    def proposals(self) -> list[ProposedCondition]:
        """Conditions approvers proposed, with who proposed them and the
        condition each became once the chair adopted it (one query, read
        only by those who show them)."""
        return list(
            ProposedCondition.objects.filter(review=self.review)
            .select_related("owner", "proposed_by", "criterion", "approver__user")
            .order_by("created_at", "id")
        )

    @cached_property
    def meeting_attendees(self) -> list[Any]:
        """Who attended the gate meeting of the decision (one query once decided)."""
        if self.review.status != ReviewStatus.DECIDED:
            return []
        return list(self.review.meeting_attendees.order_by("last_name", "first_name", "username"))

    @property
    def open_proposals(self) -> list[ProposedCondition]:
        """The proposals the chair can still adopt."""
        return [p for p in self.proposals if p.adopted_as_id is None]

    @property
    def conditional_go_needs(self) -> list[str]:
        """What Conditional Go asks beyond what blocks Go: the conditions the
        decision checks want (a PoC scorecard item scored 1, named)."""
        go = set(self.go_blockers)
        return [reason for reason in self.conditional_go_blockers if reason not in go]

    @property
    def pending_approvers(self) -> list[ReviewApprover]:
        return [a for a in self.approvers if a.decision == ApprovalDecision.PENDING]

    @property
    def criteria_met(self) -> int:
        return sum(1 for c in self.criteria if c.status == AssessmentStatus.MET)

    @property
    def must_meet_open(self) -> list[str]:
        return [c.name for c in self.criteria if c.must_meet and c.status != AssessmentStatus.MET]

    @property
    def artifacts_missing(self) -> list[str]:
        return [r.artifact_type.name for r in self.required if r.shown is None]

    @property
    def artifacts_present(self) -> list[str]:
        return [r.artifact_type.name for r in self.required if r.shown is not None]

    @cached_property
    def track(self) -> list[TrackStep]:
        """The use case's stage track (one query, read only by those who show it)."""
        return stage_track(self.use_case)

    @cached_property
    def team(self) -> list[UseCaseMember]:
        """The use case's team, sponsor first (one query, when asked for)."""
        members = UseCaseMember.objects.filter(use_case=self.use_case).select_related("user")
        return usecase_team(self.use_case, list(members))


def review_criteria(review: GateReview) -> QuerySet[ReviewCriterion]:
    return (
        ReviewCriterion.objects.filter(review=review)
        .select_related("assessed_by", "carried_from")
        .prefetch_related(
            "controls",
            Prefetch(
                "artifacts",
                queryset=Artifact.objects.select_related("artifact_type").order_by(
                    "artifact_type__order", "-version"
                ),
            ),
        )
        .order_by("order", "id")
    )


def read_criteria(queryset: QuerySet[ReviewCriterion]) -> list[ReviewCriterion]:
    """The criteria rows with their linked artifacts read once (``linked``)
    and what the registered extensions attach."""
    criteria = list(queryset)
    for criterion in criteria:
        # Read the prefetched links once; each .all() in a template is a new
        # queryset clone, which adds up over 40 rows.
        criterion.linked = list(criterion.artifacts.all())
        # The controls the criterion cited when the review opened.
        criterion.cited_controls = list(criterion.controls.all())
    for extension in CRITERION_EXTENSIONS:
        extension(criteria)
    return criteria


def review_approvers(review: GateReview, user: Any = None) -> list[ReviewApprover]:
    """The review's seats with their holders and the delegates who decided
    for them; given a viewer, each seat says whether its holder has made the
    viewer their active delegate (``viewer_delegates``), in the same query."""
    approvers = ReviewApprover.objects.filter(review=review).select_related("user", "decided_by")
    if user is not None and user.is_authenticated:
        approvers = approvers.annotate(
            viewer_delegates=Exists(
                ApproverDelegation.objects.active().filter(
                    holder_id=OuterRef("user_id"), delegate_id=user.pk
                )
            )
        )
    return list(approvers.order_by("id"))


def review_read(review_id: int, user: Any = None) -> ReviewRead:
    """Everything the review page, the review endpoint and the gate pack show,
    in a fixed number of queries. Given a ``user``, 404 when the review is
    invisible to them, and what they may do; without one (the pack), the
    facts alone."""
    reviews = GateReview.objects.all()
    if user is not None:
        reviews = reviews.filter(access.row_visible_to(user, "use_case_id"))
    review = get_or_404(
        # Few joins: with eight, planning the query cost more than running
        # it. Who submitted and decided come as prefetches (none until set).
        reviews.select_related(
            "use_case", "use_case__business_unit", "template", "chair"
        ).prefetch_related(
            "submitted_by",
            "decided_by",
            "returned_by",
            "exit_reason",
            Prefetch(
                "pinned_artifacts",
                queryset=Artifact.objects.select_related("uploaded_by"),
            ),
        ),
        review_id,
        "No such review.",
    )
    use_case = review.use_case
    criteria = read_criteria(review_criteria(review))
    requirements = list(
        ReviewArtifactRequirement.objects.filter(review=review)
        .select_related("artifact_type")
        .prefetch_related("artifact_type__controls")
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
            applicability=r.applicability,
            controls=list(r.artifact_type.controls.all()),
        )
        for r in requirements
    ]
    approvers = review_approvers(review, user)
    conditions = list(
        GateCondition.objects.filter(review=review)
        .select_related("owner", "closed_by", "criterion")
        .order_by("due_date", "id")
    )
    readiness = (
        services.go_readiness(review, approvers=approvers, criteria=criteria)
        if review.is_open
        else None
    )
    partially_met = readiness.partially_met if readiness else []
    definitions = custom_fields.active_fields()
    read = ReviewRead(
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
                expired={
                    type_id: (artifact.version, artifact.expires_on)
                    for type_id, artifact in latest.items()
                    if artifact.is_expired
                },
                risk=gate1_risk_latest([review]).get(review.use_case_id),
                fields=definitions,
            )
            if review.status == ReviewStatus.OPEN
            else []
        ),
        go_blockers=readiness.for_go() if readiness else [],
        conditional_go_blockers=(readiness.for_conditional_go(partially_met) if readiness else []),
        partially_met=[c for c in criteria if c.pk in partially_met],
        custom_fields=definitions,
    )
    if user is not None:
        _add_viewer(read, user)
    return read


def _add_viewer(read: ReviewRead, user: Any) -> None:
    """What this person may do on the review, from what was read."""
    review = read.review
    read.user_id = user.pk
    read.my_approval = next((a for a in read.approvers if a.user_id == user.pk), None)
    read.read_only = read.use_case.status in TERMINAL_STATUSES
    read.is_lead = access.is_program_lead(user)
    for condition in read.conditions:
        # The owner or a program lead closes a condition (services.condition_close).
        condition.closable = (
            not read.read_only
            and condition.status == ConditionStatus.OPEN
            and (read.is_lead or condition.owner_id == user.pk)
        )
    read.can_assess = not read.read_only and rules.can_assess(user, review)
    read.can_submit = not read.read_only and rules.can_submit(user, review)
    read.can_decide = not read.read_only and rules.can_decide(user, review)
    if read.my_approval is None:
        acting_for = [a for a in read.approvers if getattr(a, "viewer_delegates", False)]
        if acting_for:
            # A delegate's roles on the use case: read only for a delegate.
            refusal = rules.approval_refusal(
                review,
                None,
                delegate=user,
                acting_for=acting_for,
                delegate_team_roles=access.member_roles(user, read.use_case),
            )
            if isinstance(refusal, PermissionRefused):
                read.delegate_refusal = refusal
            else:
                read.acting_for = acting_for[0]
    read.can_approve = (
        not read.read_only
        and (read.my_approval is not None or read.acting_for is not None)
        and review.status == ReviewStatus.SUBMITTED
    )
    # The chair, or an approver whose seat (or delegated seat) rejected it.
    rejected_seat = any(
        a.decision == ApprovalDecision.REJECT
        and (a.user_id == user.pk or getattr(a, "viewer_delegates", False))
        for a in read.approvers
    )
    read.can_return = rules.return_refusal(user, review, rejected_seat=rejected_seat) is None


def criterion_of(review: GateReview, criterion_id: int) -> ReviewCriterion:
    """One criterion of the review with what its row shows; 404 if it belongs
    to another review."""
    pk = valid_id(criterion_id)
    criteria = read_criteria(review_criteria(review).filter(pk=pk)) if pk else []
    if not criteria:
        raise Http404("No such criterion in this review.")
    return criteria[0]


def approver_of(review: GateReview, approver_id: Any) -> ReviewApprover:
    """One seat of the review with its holder; 404 if it belongs to another."""
    return get_or_404(
        ReviewApprover.objects.filter(review=review).select_related("user"),
        approver_id,
        "No such approver in this review.",
    )


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
