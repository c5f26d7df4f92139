"""Each approver's own decision on a submitted review (``approval_record``),
and returning a review for rework (``review_return``, or an approver's
rejection that returns it: ``approval_reject_and_return``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.audit import audit_record
from core.errors import DomainError, InvalidInput
from core.events import emit_on_commit
from core.web import display_name
from gates import rules
from gates.models import (
    ApprovalDecision,
    ApproverDelegation,
    GateReview,
    ProposedCondition,
    ReviewApprover,
    ReviewStatus,
    signed_for,
)
from gates.services._base import _ensure_not_killed, _lock_review, touch
from gates.services.conditions import clean_conditions, describe, proposals_replace
from gates.services.reviews import team_roles


@transaction.atomic
def approval_record(
    *,
    review: GateReview,
    approver: Any,
    decision: str,
    comment: str = "",
    conditions: Iterable[dict[str, Any]] = (),
) -> ReviewApprover:
    """The approver's own decision, or, when ``approver`` holds no seat of
    this review but is the active delegate of a seat's holder, the decision
    in that seat recorded for the holder (``decided_by``). Nobody else
    records a decision for someone.

    Approving with conditions proposes them (description, owner, due date,
    optionally the criterion each answers): tracked proposals the chair
    adopts into a Conditional Go. A new vote replaces the seat's proposals
    the chair has not adopted."""
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    row = ReviewApprover.objects.select_for_update().filter(review=review, user=approver).first()
    acting_for: list[ReviewApprover] = []
    delegate_roles: frozenset[str] = frozenset()
    if row is None:
        # Lock the delegations the caller acts under: a revocation committed
        # while this runs either waits for this decision or removes the seat.
        holders = list(
            ApproverDelegation.objects.active()
            .filter(delegate=approver)
            .select_for_update()
            .values_list("holder_id", flat=True)
        )
        if holders:
            acting_for = list(
                ReviewApprover.objects.select_for_update(of=("self",))
                .filter(review=review, user_id__in=holders)
                .select_related("user")
                .order_by("id")
            )
        if acting_for:
            delegate_roles = frozenset(team_roles(use_case).get(approver.pk, ()))
    refusal = rules.approval_refusal(
        review,
        row,
        delegate=approver,
        acting_for=acting_for,
        delegate_team_roles=delegate_roles,
    )
    if refusal is not None:
        raise refusal
    delegated = row is None
    if delegated:
        row = acting_for[0]
    allowed = [d for d in ApprovalDecision.values if d != ApprovalDecision.PENDING]
    if decision not in allowed:
        raise InvalidInput(
            _("Decision must be one of: %(allowed)s.") % {"allowed": ", ".join(allowed)},
            field="decision",
        )
    comment = (comment or "").strip()
    if decision == ApprovalDecision.REJECT and not comment:
        raise InvalidInput(_("A comment is required when you reject."), field="comment")
    if len(comment) > 5000:
        raise InvalidInput(_("The comment is longer than 5,000 characters."), field="comment")
    proposals = clean_conditions(conditions, review=review)
    if decision == ApprovalDecision.APPROVE_WITH_CONDITIONS and not proposals:
        raise InvalidInput(
            _(
                "Approving with conditions needs at least one condition with an owner "
                "and a due date."
            ),
            field="conditions",
        )
    if decision != ApprovalDecision.APPROVE_WITH_CONDITIONS and proposals:
        raise InvalidInput(
            _("Only approving with conditions proposes conditions."), field="conditions"
        )
    previous = row.decision
    row.decision = decision
    row.comment = comment
    row.decided_at = timezone.now()
    row.decided_by = approver if delegated else None
    row.save(update_fields=["decision", "comment", "decided_at", "decided_by"])
    proposals_replace(review=review, seat=row, by=approver, rows=proposals)
    touch(use_case, review)
    payload: dict[str, Any] = {
        "review": review.pk,
        "decision": decision,
        "comment": comment,
        "was": previous,
        "conditions": [describe(p) for p in proposals],
    }
    if delegated:
        payload["decided_for"] = row.user.get_username()
    audit_record(
        actor=approver,
        action="approval.recorded",
        summary=f"{signed_for(approver, row.user) if delegated else display_name(approver)}: "
        f"{row.get_decision_display()}"
        + (f" (was {ApprovalDecision(previous).label})" if previous != "pending" else ""),
        use_case=use_case,
        obj=row,
        payload=payload,
    )
    # How many are still awaited as of this decision (the review is locked):
    # read after commit, a later approval could already be counted.
    pending = ReviewApprover.objects.filter(
        review=review, decision=ApprovalDecision.PENDING
    ).count()
    emit_on_commit(
        events.APPROVAL_RECORDED, review_id=review.pk, approver_id=row.pk, pending=pending
    )
    return row


RETURN_REASON_MAX = 5000


def _has_rejected_seat(by: Any, seats: Sequence[ReviewApprover]) -> bool:
    """Whether ``by`` holds a seat that recorded a rejection, or is the active
    delegate of the holder of one (as in ``approval_record``)."""
    rejected = [s for s in seats if s.decision == ApprovalDecision.REJECT]
    if not rejected:
        return False
    if any(s.user_id == by.pk for s in rejected):
        return True
    holders = set(
        ApproverDelegation.objects.active().filter(delegate=by).values_list("holder_id", flat=True)
    )
    return any(s.user_id in holders for s in rejected)


def return_refusal_for(*, review: GateReview, by: Any) -> DomainError | None:
    """Why ``by`` may not return this review now (``rules.return_refusal``),
    reading their seats; None when they may."""
    seats = list(ReviewApprover.objects.filter(review=review))
    return rules.return_refusal(by, review, rejected_seat=_has_rejected_seat(by, seats))


@transaction.atomic
def review_return(*, review: GateReview, by: Any, reason: str) -> GateReview:
    """Send a submitted review back to the team for rework, with a reason: the
    chair, or an approver whose seat rejected it. The review is open again;
    the votes and the conditions they proposed are cleared (kept in the
    audit trail), the pinned versions
    released, and the criteria keep their assessments and evidence, which
    the team can change again."""
    use_case, review = _lock_review(review.pk)
    seats = list(
        ReviewApprover.objects.select_for_update(of=("self",))
        .filter(review=review)
        .select_related("user", "decided_by")
        .order_by("id")
    )
    refusal = rules.return_refusal(by, review, rejected_seat=_has_rejected_seat(by, seats))
    if refusal is not None:
        raise refusal
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the review goes back for rework."), field="reason")
    if len(reason) > RETURN_REASON_MAX:
        raise InvalidInput(_("The reason is longer than 5,000 characters."), field="reason")
    cleared = [
        {
            "approver": seat.user.get_username(),
            "decision": seat.decision,
            "comment": seat.comment,
            "decided_at": seat.decided_at.isoformat() if seat.decided_at else None,
            "decided_by": seat.decided_by.get_username() if seat.decided_by else None,
        }
        for seat in seats
        if seat.decision != ApprovalDecision.PENDING
    ]
    ReviewApprover.objects.filter(review=review).update(
        decision=ApprovalDecision.PENDING, comment="", decided_at=None, decided_by=None
    )
    # The conditions those votes proposed go with them (the audit keeps them):
    # the chair adopts only what the approvers ask for after the rework.
    withdrawn = ProposedCondition.objects.filter(review=review, adopted_as__isnull=True)
    withdrawn_proposals = [describe(p) for p in withdrawn.select_related("owner", "criterion")]
    withdrawn.delete()
    unpinned = sorted(review.pinned_artifacts.values_list("pk", flat=True))
    review.pinned_artifacts.clear()
    review.status = ReviewStatus.OPEN
    review.submitted_at = None
    review.submitted_by = None
    review.rework_count += 1
    review.returned_at = timezone.now()
    review.returned_by = by
    review.return_reason = reason
    review.save(
        update_fields=[
            "status",
            "submitted_at",
            "submitted_by",
            "rework_count",
            "returned_at",
            "returned_by",
            "return_reason",
            "updated_at",
        ]
    )
    touch(use_case, review)
    audit_record(
        actor=by,
        action="review.returned",
        summary=f"Returned the {review.gate_label} review for rework (round {review.rework_count})",
        use_case=use_case,
        obj=review,
        payload={
            "round": review.rework_count,
            "reason": reason,
            "cleared_votes": cleared,
            "withdrawn_proposals": withdrawn_proposals,
            "unpinned": unpinned,
        },
    )
    emit_on_commit(
        events.REVIEW_RETURNED,
        review_id=review.pk,
        returned_by_id=by.pk,
        round=review.rework_count,
    )
    return review


@transaction.atomic
def approval_reject_and_return(*, review: GateReview, approver: Any, comment: str) -> GateReview:
    """An approver rejects and sends the review back to the team in one step:
    the rejection is recorded (and audited) in their seat, then the review is
    returned with the rejection's comment as the reason, in one transaction."""
    approval_record(
        review=review, approver=approver, decision=ApprovalDecision.REJECT, comment=comment
    )
    return review_return(review=review, by=approver, reason=comment)
