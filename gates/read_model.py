"""The review's one read model: a review as the review page, the review
endpoint and the gate pack all show it (``review_read``), and the rows a
single criterion or seat needs on its own.

Its query count is fixed whatever the number of criteria, artifacts and
approvers, as the other reads of ``gates.selectors``; the apps above attach
what they know about the criteria through ``register_criterion_extension``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import (
    CharField,
    Exists,
    Model,
    OuterRef,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.http import Http404

from core.errors import DomainError, PermissionRefused
from core.web import get_or_404, valid_id
from gates import rules, services
from gates.models import (
    ApprovalDecision,
    ApproverDelegation,
    Artifact,
    ArtifactType,
    AssessmentStatus,
    ConditionStatus,
    Control,
    GateCondition,
    GateReview,
    ProposedCondition,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    ReviewStatus,
)
from gates.selectors import TrackStep, artifacts_of, gate1_risk_latest, stage_track
from usecases import access, custom_fields
from usecases.models import TERMINAL_STATUSES, UseCase, UseCaseMember
from usecases.selectors import usecase_team

# What the apps above know about a review's criteria (readiness: the KPI rule
# a criterion is assessed from, the PoC scorecards it cites), attached to the
# criteria rows in a fixed number of queries. Registered at start-up in their
# AppConfig.ready; this app imports none of them.
CriterionExtension = Callable[[list[ReviewCriterion]], None]
CRITERION_EXTENSIONS: list[CriterionExtension] = []
# The one-to-one rows an extension reads with the criteria themselves, joined
# to the criteria query (``select_related`` paths, such as ``kpi_rule__kpi``)
# rather than read in a query of their own.
CRITERION_RELATIONS: list[str] = []


def register_criterion_extension(
    extension: CriterionExtension, relations: Iterable[str] = ()
) -> CriterionExtension:
    """Attach ``extension`` to every read of a review's criteria; the
    reverse one-to-one ``relations`` it reads come joined to the criteria
    rows (``review_criteria``), so it reads them without a query."""
    if extension not in CRITERION_EXTENSIONS:
        CRITERION_EXTENSIONS.append(extension)
    CRITERION_RELATIONS.extend(r for r in relations if r not in CRITERION_RELATIONS)
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
    # The versions pinned to the review at submission.
    pinned_artifacts: list[Artifact]
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


def linked_ids(through: type[Model], owner: str, target: str, outer: str = "pk") -> Subquery:
    """The ids a row links to through a many-to-many table, as one text
    column of its own query ("3,8,12"; NULL for none): the links come with
    the rows instead of a prefetch query of their own."""
    return Subquery(
        through.objects.filter(**{owner: OuterRef(outer)})
        .values(owner)
        .annotate(ids=StringAgg(Cast(target, CharField()), Value(",")))
        .values("ids")
    )


def split_ids(text: str | None) -> list[int]:
    return [int(part) for part in text.split(",")] if text else []


def review_criteria(review: GateReview) -> QuerySet[ReviewCriterion]:
    return (
        ReviewCriterion.objects.filter(review=review)
        .select_related("assessed_by", "carried_from", *CRITERION_RELATIONS)
        .annotate(
            control_ids=linked_ids(ReviewCriterion.controls.through, "reviewcriterion", "control"),
            artifact_ids=linked_ids(
                ReviewCriterion.artifacts.through, "reviewcriterion", "artifact"
            ),
        )
        .order_by("order", "id")
    )


def controls_by_id(ids: set[int]) -> dict[int, Control]:
    """The controls of these ids, in the controls' own order (one query,
    none for no ids)."""
    return {c.pk: c for c in Control.objects.filter(pk__in=ids)} if ids else {}


def _cited(ids: list[int], controls: dict[int, Control]) -> list[Control]:
    """The controls of these ids, in the controls' own order."""
    wanted = set(ids)
    return [control for pk, control in controls.items() if pk in wanted]


def _with_outsiders(by_id: dict[int, Artifact], ids: Iterable[int]) -> dict[int, Artifact]:
    """``by_id`` (the use case's artifacts), with any of ``ids`` it lacks read
    in one query. Links and pins are to the use case's own artifacts
    (services.criterion_assess, review_submit); one outside is read rather
    than dropped."""
    missing = set(ids) - by_id.keys()
    if missing:
        by_id = {
            **by_id,
            **{
                a.pk: a
                for a in Artifact.objects.filter(pk__in=missing).select_related(
                    "artifact_type", "uploaded_by"
                )
            },
        }
    return by_id


def read_criteria(
    rows: Iterable[ReviewCriterion],
    artifacts: dict[int, Artifact] | None = None,
    controls: dict[int, Control] | None = None,
) -> list[ReviewCriterion]:
    """The criteria rows with their linked artifacts (``linked``, newest
    version first within each type) and cited controls (``cited_controls``)
    and what the registered extensions attach.

    Given the use case's ``artifacts`` by id and the ``controls`` the rows
    cite, as the review read has them, the links are looked up there;
    otherwise (one criterion on its own) they are read, a query each."""
    criteria = list(rows)
    linked_of = {c.pk: split_ids(c.artifact_ids) for c in criteria}
    cited_of = {c.pk: split_ids(c.control_ids) for c in criteria}
    by_id = _with_outsiders(artifacts or {}, (i for ids in linked_of.values() for i in ids))
    if controls is None:
        controls = controls_by_id({i for ids in cited_of.values() for i in ids})
    for criterion in criteria:
        criterion.linked = sorted(
            (by_id[i] for i in linked_of[criterion.pk] if i in by_id),
            key=lambda a: (a.artifact_type.order, -a.version, a.pk),
        )
        # The controls the criterion cited when the review opened.
        criterion.cited_controls = _cited(cited_of[criterion.pk], controls)
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
        reviews.select_related("use_case", "use_case__business_unit", "template", "chair")
        .annotate(
            pinned_ids=linked_ids(GateReview.pinned_artifacts.through, "gatereview", "artifact")
        )
        .prefetch_related("submitted_by", "decided_by", "returned_by", "exit_reason"),
        review_id,
        "No such review.",
    )
    use_case = review.use_case
    criteria_rows = list(review_criteria(review))
    requirements = list(
        ReviewArtifactRequirement.objects.filter(review=review)
        .select_related("artifact_type")
        .annotate(
            control_ids=linked_ids(
                ArtifactType.controls.through, "artifacttype", "control", "artifact_type_id"
            )
        )
        .order_by("order", "id")
    )
    # One query for every version of the use case's artifacts: the newest per
    # required type, the versions pinned at submission, the criteria's links,
    # and the options a criterion can link to.
    use_case_artifacts = list(artifacts_of(use_case))
    latest: dict[int, Artifact] = {}
    for artifact in use_case_artifacts:
        latest.setdefault(artifact.artifact_type_id, artifact)
    by_id = {a.pk: a for a in use_case_artifacts}
    # One query for the controls the criteria and the artifact types cite.
    controls = controls_by_id(
        {i for row in [*criteria_rows, *requirements] for i in split_ids(row.control_ids)}
    )
    criteria = read_criteria(criteria_rows, artifacts=by_id, controls=controls)
    pinned_ids = split_ids(review.pinned_ids)
    pinned_by_id = _with_outsiders(by_id, pinned_ids)
    pinned_artifacts = [pinned_by_id[i] for i in pinned_ids if i in pinned_by_id]
    pinned = {a.artifact_type_id: a for a in pinned_artifacts}
    required = [
        RequiredArtifact(
            artifact_type=r.artifact_type,
            latest=latest.get(r.artifact_type_id),
            pinned=pinned.get(r.artifact_type_id),
            applicability=r.applicability,
            controls=_cited(split_ids(r.control_ids), controls),
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
        pinned_artifacts=pinned_artifacts,
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
