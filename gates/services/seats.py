"""Who sits in a review's approver seats after it opened: the chair's
audited reassignment of a seat, and a holder's delegation of their seats to
a named person for a date range (the delegate then records decisions in
``reviews.approval_record``, under the seat's own rules)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.events import emit_on_commit
from core.validators import clean_reason
from core.web import display_name
from gates import rules
from gates.models import (
    ApprovalDecision,
    ApproverDelegation,
    GateReview,
    ReviewApprover,
    ReviewStatus,
)
from gates.services._base import User, _ensure_not_killed, _lock_review, touch
from gates.services.reviews import team_roles

# A delegation covers an absence, not a standing arrangement: past a year,
# the holder gives a new one.
DELEGATION_MAX_DAYS = 366


def _day(date: datetime.date) -> str:
    return f"{date.day} {date:%b %Y}"


# --- The chair's reassignment ---------------------------------------------------------


@transaction.atomic
def approver_reassign(
    *, review: GateReview, by: Any, approver_row: ReviewApprover, to_user: Any, reason: str
) -> ReviewApprover:
    """Give an approver seat of an open or submitted review to ``to_user``.
    Only the chair, with a reason; the seating after the change obeys the
    rules of segregation of duties (``rules.seating_refusals``) as at
    opening. The seat's vote starts again from pending, and the review's
    revision moves on, so packs made before are stale."""
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    refusal = rules.reassign_refusal(by, review)
    if refusal is not None:
        raise refusal
    row = (
        ReviewApprover.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=approver_row.pk, review=review)
        .first()
    )
    if row is None:
        raise InvalidInput(_("That approver seat belongs to another review."), field="approver")
    reason = clean_reason(reason, required="A reason is required to reassign an approver seat.")
    if to_user is None or not to_user.is_active:
        name = display_name(to_user) if to_user is not None else "Nobody"
        raise InvalidInput(_("%(name)s is not an active user.") % {"name": name}, field="user")
    if to_user.pk == row.user_id:
        raise InvalidInput(
            _("%(to_user)s already holds this seat.") % {"to_user": display_name(to_user)},
            field="user",
        )
    seats: dict[str, list[Any]] = {}
    for seat in ReviewApprover.objects.filter(review=review).select_related("user").order_by("id"):
        holder = to_user if seat.pk == row.pk else seat.user
        for role in seat.roles:
            seats.setdefault(role, []).append(holder)
    reasons = rules.seating_refusals(
        use_case=use_case,
        chair=review.chair,
        seats=seats,
        min_approvers=review.min_approvers,
        team=team_roles(use_case),
    )
    if reasons:
        raise InvalidInput(
            _("This reassignment would not keep the gate's duties apart."), reasons, field="user"
        )
    before = row.user
    previous = row.decision
    row.user = to_user
    row.decision = ApprovalDecision.PENDING
    row.comment = ""
    row.decided_at = None
    row.decided_by = None
    row.save(update_fields=["user", "decision", "comment", "decided_at", "decided_by"])
    touch(use_case, review)
    seat = " and ".join(row.role_labels())
    audit_record(
        actor=by,
        action="approver.reassigned",
        summary=(
            f"Reassigned the {seat} seat from {display_name(before)} to "
            f"{display_name(to_user)}: {reason}"
        ),
        use_case=use_case,
        obj=row,
        payload={
            "review": review.pk,
            "seat": list(row.roles),
            "before": before.get_username(),
            "after": to_user.get_username(),
            "reason": reason,
            "was": previous,
        },
    )
    if review.status == ReviewStatus.SUBMITTED:
        # Those named at submission were asked then; the newcomer is asked now.
        emit_on_commit(
            events.APPROVAL_REQUESTED,
            review_id=review.pk,
            approver_id=row.pk,
            user_id=to_user.pk,
            requested_at=timezone.now().isoformat(),
        )
    return row


# --- Delegation -----------------------------------------------------------------------


@transaction.atomic
def delegation_create(
    *,
    by: Any,
    delegate: Any,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
) -> ApproverDelegation:
    """``by`` lets ``delegate`` record decisions in ``by``'s approver seats
    from ``starts_on`` to ``ends_on``, both days included."""
    # The holder's row is the lock: two overlapping delegations to the same
    # person, asked for at once, cannot both pass the check below.
    User.objects.select_for_update().filter(pk=by.pk).first()
    if delegate is None:
        raise InvalidInput(_("Name the person who decides for you."), field="delegate")
    if delegate.pk == by.pk:
        raise InvalidInput(_("You cannot delegate to yourself."), field="delegate")
    if not delegate.is_active:
        raise InvalidInput(
            _("%(delegate)s is not an active user.") % {"delegate": display_name(delegate)},
            field="delegate",
        )
    if not isinstance(starts_on, datetime.date):
        raise InvalidInput(_("The first day is required."), field="starts_on")
    if not isinstance(ends_on, datetime.date):
        raise InvalidInput(_("The last day is required."), field="ends_on")
    if starts_on < timezone.localdate():
        raise InvalidInput(_("A delegation cannot start in the past."), field="starts_on")
    if ends_on < starts_on:
        raise InvalidInput(_("The last day comes before the first."), field="ends_on")
    if (ends_on - starts_on).days >= DELEGATION_MAX_DAYS:
        raise InvalidInput(
            _(
                "A delegation lasts at most %(DELEGATION_MAX_DAYS)s days; give a new "
                "one when it ends."
            )
            % {"DELEGATION_MAX_DAYS": DELEGATION_MAX_DAYS},
            field="ends_on",
        )
    reason = clean_reason(reason, required="A reason is required to delegate your seats.")
    overlap = (
        ApproverDelegation.objects.filter(
            holder=by,
            delegate=delegate,
            revoked_at__isnull=True,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .order_by("starts_on")
        .first()
    )
    if overlap is not None:
        raise TransitionRefused(
            _("%(delegate)s is already your delegate for some of these days.")
            % {"delegate": display_name(delegate)},
            [
                _("From %(starts_on)s to %(ends_on)s.")
                % {"starts_on": _day(overlap.starts_on), "ends_on": _day(overlap.ends_on)}
            ],
        )
    delegation = ApproverDelegation.objects.create(
        holder=by, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason
    )
    audit_record(
        actor=by,
        action="delegation.created",
        summary=(
            f"Delegated approver seats to {display_name(delegate)} from {_day(starts_on)} "
            f"to {_day(ends_on)}: {reason}"
        ),
        obj=delegation,
        payload={
            "holder": by.get_username(),
            "delegate": delegate.get_username(),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "reason": reason,
        },
    )
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: ApproverDelegation, by: Any) -> ApproverDelegation:
    """End a delegation now: its holder or a program lead. Decisions the
    delegate recorded stay, each showing who recorded it for whom."""
    delegation = (
        ApproverDelegation.objects.select_for_update(of=("self",))
        .select_related("holder", "delegate")
        .get(pk=delegation.pk)
    )
    refusal = rules.delegation_revoke_refusal(by, delegation)
    if refusal is not None:
        raise refusal
    delegation.revoked_at = timezone.now()
    delegation.revoked_by = by
    delegation.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=by,
        action="delegation.revoked",
        summary=(
            f"Revoked the delegation of {display_name(delegation.holder)}'s approver seats "
            f"to {display_name(delegation.delegate)}"
        ),
        obj=delegation,
        payload={
            "holder": delegation.holder.get_username(),
            "delegate": delegation.delegate.get_username(),
            "starts_on": delegation.starts_on.isoformat(),
            "ends_on": delegation.ends_on.isoformat(),
        },
    )
    return delegation
