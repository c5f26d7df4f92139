"""The chair's gate decision, resuming a use case on hold, closing conditions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import events
from core.audit import audit_checkpoint, audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.events import emit_on_commit
from core.web import display_name
from gates import rules
from gates.models import (
    ApprovalDecision,
    AssessmentStatus,
    ConditionStatus,
    Decision,
    GateCondition,
    GateReview,
    ReviewApprover,
    ReviewCriterion,
    ReviewStatus,
    StageTransition,
)
from gates.services._base import (
    GO_CHECKS,
    _ensure_not_killed,
    _lock_review,
    _lock_use_case,
    touch,
)
from usecases import access
from usecases.models import Stage, Status, UseCase


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
        approvers = list(review.approvers.select_related("user", "decided_by").order_by("id"))
    if criteria is None:
        criteria = list(review.criteria.order_by("order", "id"))
    approved = {row.user_id for row in approvers if row.has_approved}
    undecided = any(not row.has_approved for row in approvers)
    # Pending and rejecting approvers are named below; the minimum is the
    # reason only when it is what is left.
    if len(approved) < review.min_approvers and not undecided:
        reasons.append(
            f"Gate {review.gate_number} needs the approval of at least {review.min_approvers} "
            f"distinct people; {len(approved)} {'has' if len(approved) == 1 else 'have'} approved."
        )
    for row in approvers:
        if row.decision == ApprovalDecision.PENDING:
            reasons.append(f"{display_name(row.user)} has not approved yet.")
        elif row.decision == ApprovalDecision.REJECT:
            reasons.append(f"{row.decided_as} rejected: {row.comment}")
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
    refusal = rules.decision_refusal(by, review)
    if refusal is not None:
        raise refusal
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
    # The chain's head leaves the database with every decision.
    transaction.on_commit(
        lambda: audit_checkpoint(reason=f"Gate {review.gate_number} decided on review #{review.pk}")
    )
    emit_on_commit(
        events.GATE_DECIDED, review_id=review.pk, condition_ids=[c.pk for c in created_conditions]
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
