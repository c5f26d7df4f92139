"""Every state change of the gate engine: one function per action.

Each one is atomic, locks what it changes (always the use case row first, then
the review, so two actions on one use case never deadlock), checks the current
state, raises a domain error carrying the reasons, and writes its audit event
in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from config.domain import InvalidInput, PermissionRefused, TransitionRefused
from config.events import emit_on_commit
from gates import rules
from gates.audit import audit_record
from gates.models import (
    APPROVED_DECISIONS,
    OPEN_REVIEW_STATUSES,
    ApprovalDecision,
    ApproverCondition,
    ApproverRoleKind,
    Artifact,
    ArtifactType,
    AssessmentStatus,
    ConditionStatus,
    Decision,
    GateApproverRole,
    GateCondition,
    GateReview,
    GateTemplate,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    ReviewStatus,
    StageTransition,
)
from gates.uploads import check_upload
from usecases import access
from usecases.models import MemberRole, OrgRole, RiskTier, Stage, Status, UseCase, UseCaseMember

User = get_user_model()

# Extra checks a Go must pass, registered by other apps (readiness adds the
# production readiness checklist at Gate 3). Each returns refusal reasons.
GoCheck = Callable[[GateReview], list[str]]
GO_CHECKS: list[GoCheck] = []


def register_go_check(check: GoCheck) -> GoCheck:
    GO_CHECKS.append(check)
    return check


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _lock_use_case(use_case_id: int) -> UseCase:
    return UseCase.objects.select_for_update().get(pk=use_case_id)


def _lock_review(review_id: int) -> tuple[UseCase, GateReview]:
    use_case_id = GateReview.objects.values_list("use_case_id", flat=True).get(pk=review_id)
    use_case = _lock_use_case(use_case_id)
    review = GateReview.objects.select_for_update().get(pk=review_id)
    review.use_case = use_case
    return use_case, review


def _ensure_not_killed(use_case: UseCase) -> None:
    if use_case.status == Status.KILLED:
        raise TransitionRefused(
            "This use case was killed at a gate; it is read-only.",
            ["Killed use cases are terminal."],
        )


def touch(use_case: UseCase, review: GateReview | None = None) -> None:
    """Record activity on the use case (stalled detection) and, given the
    review, a new revision of it (packs made before are stale)."""
    now = timezone.now()
    UseCase.objects.filter(pk=use_case.pk).update(last_activity_at=now)
    if review is not None:
        GateReview.objects.filter(pk=review.pk).update(revision=F("revision") + 1, updated_at=now)


# --- Artifacts ---------------------------------------------------------------


@transaction.atomic
def artifact_upload(
    *,
    use_case: UseCase,
    by: Any,
    artifact_type: ArtifactType,
    file: IO[bytes],
    file_name: str | None = None,
    note: str = "",
) -> Artifact:
    """Store a new version of an artifact type for a use case. Nothing is
    stored when any check fails."""
    name = file_name if file_name is not None else getattr(file, "name", None)
    # A retired type is still taken while an open review snapshotted it as
    # required; otherwise that review could never be submitted.
    if (
        not artifact_type.is_active
        and not ReviewArtifactRequirement.objects.filter(
            review__use_case_id=use_case.pk,
            review__status__in=OPEN_REVIEW_STATUSES,
            artifact_type=artifact_type,
        ).exists()
    ):
        raise InvalidInput(
            f"“{artifact_type.name}” is no longer an artifact type of the framework.",
            field="artifact_type",
        )
    if len(note) > 1000:
        raise InvalidInput("The note is longer than 1,000 characters.", field="note")
    checked = check_upload(file, name)
    use_case = _lock_use_case(use_case.pk)
    _ensure_not_killed(use_case)
    if not rules.can_upload(by, use_case):
        raise PermissionRefused(
            "Only the use case's sponsor, technical lead, contributors and program leads "
            "may upload artifacts."
        )
    latest = Artifact.objects.filter(use_case=use_case, artifact_type=artifact_type).aggregate(
        latest=Max("version")
    )["latest"]
    artifact = Artifact(
        use_case=use_case,
        artifact_type=artifact_type,
        version=(latest or 0) + 1,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        note=note,
        uploaded_by=by,
    )
    artifact.file.save(checked.name, File(file), save=False)
    stored_name = artifact.file.name
    storage = artifact.file.storage
    # The file reaches storage before the row; if writing the row fails, remove
    # it so a refused upload leaves nothing behind.
    try:
        artifact.save(force_insert=True)
        touch(use_case)
        audit_record(
            actor=by,
            action="artifact.uploaded",
            summary=f"Uploaded {artifact_type.name} v{artifact.version}: {checked.name}",
            use_case=use_case,
            obj=artifact,
            payload={
                "artifact_type": artifact_type.code,
                "version": artifact.version,
                "sha256": checked.sha256,
                "size": checked.size,
            },
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return artifact


# --- Reviews -----------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedApprover:
    user: Any
    roles: list[str]


def role_applies(role: GateApproverRole, use_case: UseCase) -> bool:
    if role.condition == ApproverCondition.ALWAYS:
        return True
    return use_case.risk_tier == RiskTier.HIGH or bool(use_case.regulatory_constraints)


def _holders_of(role: str, use_case: UseCase, chair: Any) -> list[Any]:
    if role == ApproverRoleKind.PROGRAM_LEAD:
        return [chair]
    if role in (ApproverRoleKind.SPONSOR, ApproverRoleKind.TECHNICAL_LEAD):
        member_role = (
            MemberRole.SPONSOR if role == ApproverRoleKind.SPONSOR else MemberRole.TECHNICAL_LEAD
        )
        return [
            m.user
            for m in UseCaseMember.objects.filter(
                use_case=use_case, role=member_role, user__is_active=True
            ).select_related("user")
        ]
    if role == ApproverRoleKind.BUSINESS_UNIT_HEAD:
        head = use_case.business_unit.head
        return [head] if head is not None and head.is_active else []
    group = OrgRole.CIO_CTO if role == ApproverRoleKind.CIO_CTO else OrgRole.RISK_COMPLIANCE
    return list(User.objects.filter(groups__name=group, is_active=True).order_by("username"))


def resolve_approvers(
    *,
    template: GateTemplate,
    use_case: UseCase,
    chair: Any,
    named: dict[str, Iterable[Any]] | None = None,
) -> list[ResolvedApprover]:
    """Resolve the gate's approver roles to named people. ``named`` overrides
    the holders of a role. Raises with one reason per role nobody holds."""
    named = {role: list(users) for role, users in (named or {}).items()}
    roles = [r for r in template.approver_roles.all() if role_applies(r, use_case)]
    applicable = {r.role for r in roles}
    unknown = set(named) - applicable
    if unknown:
        labels = dict(ApproverRoleKind.choices)
        raise InvalidInput(
            "These roles do not approve this gate: "
            + ", ".join(labels.get(r, r) for r in sorted(unknown))
            + ".",
            field="approvers",
        )
    by_user: dict[int, ResolvedApprover] = {}
    missing: list[str] = []
    for role in roles:
        users = named.get(role.role) or _holders_of(role.role, use_case, chair)
        if not users:
            missing.append(
                f"Nobody holds the role “{role.get_role_display()}” for this use case; "
                "name an approver for it."
            )
            continue
        for user in users:
            if not user.is_active:
                raise InvalidInput(
                    f"{user.get_username()} is not an active user.", field="approvers"
                )
            entry = by_user.setdefault(user.pk, ResolvedApprover(user=user, roles=[]))
            entry.roles.append(role.role)
    if missing:
        raise TransitionRefused("The gate's approvers cannot be named yet.", missing)
    return list(by_user.values())


@transaction.atomic
def review_open(
    *, use_case: UseCase, by: Any, approvers: dict[str, Iterable[Any]] | None = None
) -> GateReview:
    """Open the next gate's review, snapshotting the template as it is now."""
    use_case = _lock_use_case(use_case.pk)
    _ensure_not_killed(use_case)
    if not access.is_program_lead(by):
        raise PermissionRefused("Only a program lead opens and chairs gate reviews.")
    if use_case.status == Status.ON_HOLD:
        raise TransitionRefused(
            "This use case is on hold.", ["Resume it before opening a gate review."]
        )
    try:
        template = GateTemplate.objects.prefetch_related(
            "criteria", "approver_roles", "artifact_types"
        ).get(from_stage=use_case.stage)
    except GateTemplate.DoesNotExist:
        raise TransitionRefused(
            f"There is no gate after {Stage(use_case.stage).label}.",
            ["Scale is the last stage of the framework."],
        ) from None
    existing = GateReview.objects.filter(
        use_case=use_case, status__in=[ReviewStatus.OPEN, ReviewStatus.SUBMITTED]
    ).first()
    if existing is not None:
        raise TransitionRefused(
            "This use case already has an open review.",
            [
                f"Gate {existing.gate_number} review #{existing.pk}: "
                f"{existing.get_status_display()}."
            ],
        )
    resolved = resolve_approvers(template=template, use_case=use_case, chair=by, named=approvers)
    try:
        with transaction.atomic():
            review = GateReview.objects.create(
                use_case=use_case,
                template=template,
                template_version=template.version,
                gate_number=template.number,
                from_stage=template.from_stage,
                to_stage=template.to_stage,
                chair=by,
            )
    except IntegrityError:
        # Another lead opened one between our check and insert.
        raise TransitionRefused("This use case already has an open review.") from None
    ReviewCriterion.objects.bulk_create(
        ReviewCriterion(
            review=review,
            source=c,
            order=c.order,
            name=c.name,
            requirement=c.requirement,
            must_meet=c.must_meet,
        )
        for c in template.criteria.all()
    )
    ReviewArtifactRequirement.objects.bulk_create(
        ReviewArtifactRequirement(review=review, artifact_type=t, order=t.order)
        for t in template.artifact_types.all()
        if t.is_active and t.required
    )
    ReviewApprover.objects.bulk_create(
        ReviewApprover(review=review, user=a.user, roles=a.roles) for a in resolved
    )
    touch(use_case)
    audit_record(
        actor=by,
        action="review.opened",
        summary=f"Opened the Gate {template.number} review (template v{template.version})",
        use_case=use_case,
        obj=review,
        payload={
            "gate": template.number,
            "template_version": template.version,
            "approvers": {a.user.get_username(): a.roles for a in resolved},
        },
    )
    emit_on_commit("review.opened", review_id=review.pk)
    return review


@transaction.atomic
def criterion_assess(
    *,
    review: GateReview,
    criterion: ReviewCriterion,
    by: Any,
    status: str,
    evidence: str = "",
    artifacts: Iterable[Artifact] | None = None,
) -> ReviewCriterion:
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    if criterion.review_id != review.pk:
        raise InvalidInput("That criterion belongs to another review.", field="criterion")
    if review.status != ReviewStatus.OPEN:
        raise TransitionRefused(
            "Criteria can be assessed only while the review is open.",
            [f"The review is {review.get_status_display().lower()}."],
        )
    if not rules.can_assess(by, review):
        raise PermissionRefused(
            "Only the use case's team and program leads assess the gate criteria."
        )
    if status not in AssessmentStatus.values or status == AssessmentStatus.PENDING:
        allowed = [s for s in AssessmentStatus.values if s != AssessmentStatus.PENDING]
        raise InvalidInput(f"Status must be one of: {', '.join(allowed)}.", field="status")
    if len(evidence) > 10000:
        raise InvalidInput("The evidence is longer than 10,000 characters.", field="evidence")
    artifact_list = list(artifacts or [])
    foreign = [a for a in artifact_list if a.use_case_id != use_case.pk]
    if foreign:
        raise InvalidInput("Linked artifacts must belong to this use case.", field="artifacts")
    criterion = ReviewCriterion.objects.select_for_update().get(pk=criterion.pk)
    before = {"status": criterion.status, "evidence": criterion.evidence}
    criterion.status = status
    criterion.evidence = evidence
    criterion.assessed_by = by
    criterion.assessed_at = timezone.now()
    criterion.save(update_fields=["status", "evidence", "assessed_by", "assessed_at"])
    if artifacts is not None:
        criterion.artifacts.set(artifact_list)
    touch(use_case, review)
    audit_record(
        actor=by,
        action="criterion.assessed",
        summary=f"Assessed “{criterion.name}” as {criterion.get_status_display()}",
        use_case=use_case,
        obj=criterion,
        payload={
            "review": review.pk,
            "before": before,
            "after": {"status": status, "evidence": evidence},
            "artifacts": [a.pk for a in artifact_list],
        },
    )
    return criterion


def submission_blockers(
    review: GateReview,
    *,
    required: Sequence[ReviewArtifactRequirement] | None = None,
    present: set[int] | None = None,
    criteria: Sequence[ReviewCriterion] | None = None,
) -> list[str]:
    """What stops this review being submitted, in words a sponsor acts on.

    A page that has already read the requirements (with their types), the
    artifact type ids present and the criteria (in order) passes them in."""
    reasons: list[str] = []
    if required is None:
        required = list(
            review.artifact_requirements.select_related("artifact_type").order_by("order", "id")
        )
    if present is None:
        present = set(
            Artifact.objects.filter(
                use_case_id=review.use_case_id,
                artifact_type_id__in=[r.artifact_type_id for r in required],
            ).values_list("artifact_type_id", flat=True)
        )
    if criteria is None:
        criteria = list(review.criteria.order_by("order", "id"))
    for requirement in required:
        if requirement.artifact_type_id not in present:
            reasons.append(f"Missing artifact: {requirement.artifact_type.name}")
    for criterion in criteria:
        if criterion.status == AssessmentStatus.PENDING:
            reasons.append(f"Criterion not assessed: {criterion.name}")
    return reasons


@transaction.atomic
def review_submit(*, review: GateReview, by: Any) -> GateReview:
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    if review.status != ReviewStatus.OPEN:
        raise TransitionRefused(
            "Only an open review can be submitted.",
            [f"The review is {review.get_status_display().lower()}."],
        )
    if not rules.can_submit(by, review):
        raise PermissionRefused(
            "Only the use case's sponsor, technical lead or a program lead submits a review."
        )
    reasons = submission_blockers(review)
    if reasons:
        raise TransitionRefused("The review cannot be submitted yet.", reasons)
    # Pin the latest version of every artifact the gate asks for: the
    # approvers judge these versions, whatever is uploaded later.
    type_ids = list(review.artifact_requirements.values_list("artifact_type_id", flat=True))
    latest: dict[int, Artifact] = {}
    for artifact in Artifact.objects.filter(
        use_case=use_case, artifact_type_id__in=type_ids
    ).order_by("artifact_type_id", "-version"):
        latest.setdefault(artifact.artifact_type_id, artifact)
    review.pinned_artifacts.set(latest.values())
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = timezone.now()
    review.submitted_by = by
    review.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    touch(use_case, review)
    audit_record(
        actor=by,
        action="review.submitted",
        summary=f"Submitted the Gate {review.gate_number} review for approval",
        use_case=use_case,
        obj=review,
        payload={
            "pinned": {
                str(a.artifact_type_id): [a.pk, a.version, a.sha256] for a in latest.values()
            }
        },
    )
    emit_on_commit("review.submitted", review_id=review.pk)
    return review


@transaction.atomic
def approval_record(
    *, review: GateReview, approver: Any, decision: str, comment: str = ""
) -> ReviewApprover:
    """The approver's own decision. Nobody records it for someone else."""
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    try:
        row = ReviewApprover.objects.select_for_update().get(review=review, user=approver)
    except ReviewApprover.DoesNotExist:
        raise PermissionRefused(
            "You are not a named approver of this review; only named approvers record a "
            "decision, each their own."
        ) from None
    if review.status != ReviewStatus.SUBMITTED:
        reason = (
            "The review has not been submitted yet."
            if review.status == ReviewStatus.OPEN
            else "The gate has already been decided."
        )
        raise TransitionRefused("Approvals are recorded on a submitted review.", [reason])
    allowed = [d for d in ApprovalDecision.values if d != ApprovalDecision.PENDING]
    if decision not in allowed:
        raise InvalidInput(f"Decision must be one of: {', '.join(allowed)}.", field="decision")
    comment = (comment or "").strip()
    if decision != ApprovalDecision.APPROVE and not comment:
        raise InvalidInput(
            "A comment is required when you approve with conditions or reject.", field="comment"
        )
    if len(comment) > 5000:
        raise InvalidInput("The comment is longer than 5,000 characters.", field="comment")
    previous = row.decision
    row.decision = decision
    row.comment = comment
    row.decided_at = timezone.now()
    row.save(update_fields=["decision", "comment", "decided_at"])
    touch(use_case, review)
    audit_record(
        actor=approver,
        action="approval.recorded",
        summary=f"{_name(approver)}: {row.get_decision_display()}"
        + (f" (was {ApprovalDecision(previous).label})" if previous != "pending" else ""),
        use_case=use_case,
        obj=row,
        payload={"review": review.pk, "decision": decision, "comment": comment, "was": previous},
    )
    # How many are still awaited as of this decision (the review is locked):
    # read after commit, a later approval could already be counted.
    pending = ReviewApprover.objects.filter(
        review=review, decision=ApprovalDecision.PENDING
    ).count()
    emit_on_commit("approval.recorded", review_id=review.pk, approver_id=row.pk, pending=pending)
    return row


def go_blockers(
    review: GateReview,
    *,
    approvers: Sequence[ReviewApprover] | None = None,
    criteria: Sequence[ReviewCriterion] | None = None,
) -> list[str]:
    """Why Go / Conditional Go cannot be recorded now; empty when it can.
    A page that has read the approvers (with users, by id) and the criteria
    (in order) passes them in."""
    reasons: list[str] = []
    if review.status == ReviewStatus.OPEN:
        reasons.append("The review has not been submitted.")
    elif review.status == ReviewStatus.DECIDED:
        return ["The gate has already been decided."]
    if approvers is None:
        approvers = list(review.approvers.select_related("user").order_by("id"))
    if criteria is None:
        criteria = list(review.criteria.order_by("order", "id"))
    for row in approvers:
        if row.decision == ApprovalDecision.PENDING:
            reasons.append(f"{_name(row.user)} has not approved yet.")
        elif row.decision == ApprovalDecision.REJECT:
            reasons.append(f"{_name(row.user)} rejected: {row.comment}")
    for criterion in criteria:
        if criterion.must_meet and criterion.status != AssessmentStatus.MET:
            reasons.append(
                f"Must-meet criterion “{criterion.name}” is "
                f"{criterion.get_status_display().lower()}."
            )
    for check in GO_CHECKS:
        reasons.extend(check(review))
    return reasons


def _clean_conditions(conditions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    today = timezone.localdate()
    for index, raw in enumerate(conditions, start=1):
        description = str(raw.get("description") or "").strip()
        owner = raw.get("owner")
        due = raw.get("due_date")
        if not description:
            raise InvalidInput(f"Condition {index} needs a description.", field="conditions")
        if owner is None or not getattr(owner, "is_active", False):
            raise InvalidInput(f"Condition {index} needs an active owner.", field="conditions")
        if isinstance(due, str):
            try:
                due = datetime.date.fromisoformat(due)
            except ValueError:
                raise InvalidInput(
                    f"Condition {index}: due date must be YYYY-MM-DD.", field="conditions"
                ) from None
        if not isinstance(due, datetime.date):
            raise InvalidInput(f"Condition {index} needs a due date.", field="conditions")
        if due < today:
            raise InvalidInput(
                f"Condition {index}: the due date is in the past.", field="conditions"
            )
        cleaned.append({"description": description, "owner": owner, "due_date": due})
    return cleaned


@transaction.atomic
def gate_decide(
    *,
    review: GateReview,
    by: Any,
    decision: str,
    rationale: str = "",
    conditions: Iterable[dict[str, Any]] = (),
) -> GateReview:
    """The chair's gate decision. Go and Conditional Go move the use case to
    the next stage in this same transaction."""
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    if decision not in Decision.values:
        raise InvalidInput(
            f"Decision must be one of: {', '.join(Decision.values)}.", field="decision"
        )
    if review.chair_id != by.pk:
        raise PermissionRefused(
            f"Only the chair of this gate ({_name(review.chair)}) records its decision."
        )
    if review.status == ReviewStatus.DECIDED:
        raise TransitionRefused(
            "The gate has already been decided.",
            [f"Decision: {review.get_decision_display()} on {review.decided_at:%d %b %Y}."],
        )
    rationale = (rationale or "").strip()
    if decision in (Decision.HOLD, Decision.RECYCLE, Decision.KILL) and not rationale:
        raise InvalidInput(
            f"A rationale is required to record {Decision(decision).label}.", field="rationale"
        )
    if len(rationale) > 10000:
        raise InvalidInput("The rationale is longer than 10,000 characters.", field="rationale")
    condition_rows = _clean_conditions(conditions)
    if decision == Decision.CONDITIONAL_GO and not condition_rows:
        raise InvalidInput(
            "Conditional Go needs at least one condition with an owner and a due date.",
            field="conditions",
        )
    if decision != Decision.CONDITIONAL_GO and condition_rows:
        raise InvalidInput("Only Conditional Go carries conditions.", field="conditions")
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        reasons = go_blockers(review)
        if reasons:
            raise TransitionRefused(f"{Decision(decision).label} cannot be recorded yet.", reasons)

    now = timezone.now()
    review.status = ReviewStatus.DECIDED
    review.decision = decision
    review.rationale = rationale
    review.decided_at = now
    review.decided_by = by
    review.save(
        update_fields=["status", "decision", "rationale", "decided_at", "decided_by", "updated_at"]
    )
    created_conditions = [
        GateCondition.objects.create(review=review, **row) for row in condition_rows
    ]
    changes: dict[str, Any] = {"last_activity_at": now}
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        changes.update(stage=review.to_stage, stage_entered_at=now, status=Status.ACTIVE)
        StageTransition.objects.create(
            use_case=use_case,
            from_stage=review.from_stage,
            to_stage=review.to_stage,
            review=review,
            decision=decision,
            decided_by=by,
            occurred_at=now,
        )
    elif decision == Decision.HOLD:
        changes["status"] = Status.ON_HOLD
    elif decision == Decision.KILL:
        changes["status"] = Status.KILLED
    # The only writer of stage and status besides usecase_resume.
    UseCase.objects.filter(pk=use_case.pk).update(**changes)
    touch(use_case, review)
    summary = f"Gate {review.gate_number}: {Decision(decision).label}"
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        summary += f"; moved to {Stage(review.to_stage).label}"
    audit_record(
        actor=by,
        action="gate.decided",
        summary=summary,
        use_case=use_case,
        obj=review,
        payload={
            "decision": decision,
            "rationale": rationale,
            "from_stage": review.from_stage,
            "to_stage": review.to_stage
            if decision in (Decision.GO, Decision.CONDITIONAL_GO)
            else None,
            "conditions": [
                {
                    "id": c.pk,
                    "description": c.description,
                    "owner": c.owner.get_username(),
                    "due_date": c.due_date.isoformat(),
                }
                for c in created_conditions
            ],
        },
    )
    emit_on_commit(
        "gate.decided", review_id=review.pk, condition_ids=[c.pk for c in created_conditions]
    )
    return review


@transaction.atomic
def usecase_resume(*, use_case: UseCase, by: Any, note: str = "") -> UseCase:
    use_case = _lock_use_case(use_case.pk)
    _ensure_not_killed(use_case)
    if not access.is_program_lead(by):
        raise PermissionRefused("Only a program lead resumes a use case on hold.")
    if use_case.status != Status.ON_HOLD:
        raise TransitionRefused("Only a use case on hold can be resumed.")
    UseCase.objects.filter(pk=use_case.pk).update(
        status=Status.ACTIVE, last_activity_at=timezone.now()
    )
    use_case.refresh_from_db()
    audit_record(
        actor=by,
        action="usecase.resumed",
        summary="Resumed from hold" + (f": {note.strip()}" if note.strip() else ""),
        use_case=use_case,
        obj=use_case,
        payload={"note": note.strip()},
    )
    return use_case


@transaction.atomic
def condition_close(*, condition: GateCondition, by: Any, note: str) -> GateCondition:
    use_case_id = GateReview.objects.values_list("use_case_id", flat=True).get(
        pk=condition.review_id
    )
    use_case = _lock_use_case(use_case_id)
    _ensure_not_killed(use_case)
    condition = GateCondition.objects.select_for_update().get(pk=condition.pk)
    if condition.owner_id != by.pk and not access.is_program_lead(by):
        raise PermissionRefused("Only the condition's owner or a program lead closes it.")
    if condition.status == ConditionStatus.CLOSED:
        raise TransitionRefused("This condition is already closed.")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("A note saying how the condition was met is required.", field="note")
    condition.status = ConditionStatus.CLOSED
    condition.closed_note = note
    condition.closed_at = timezone.now()
    condition.closed_by = by
    condition.save(update_fields=["status", "closed_note", "closed_at", "closed_by"])
    touch(use_case)
    audit_record(
        actor=by,
        action="condition.closed",
        summary=f"Closed condition: {condition.description[:120]}",
        use_case=use_case,
        obj=condition,
        payload={"note": note},
    )
    return condition


__all__ = [
    "APPROVED_DECISIONS",
    "approval_record",
    "artifact_upload",
    "condition_close",
    "criterion_assess",
    "gate_decide",
    "go_blockers",
    "register_go_check",
    "resolve_approvers",
    "review_open",
    "review_submit",
    "submission_blockers",
    "usecase_resume",
]
