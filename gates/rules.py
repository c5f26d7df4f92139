"""Who may do what in the gate engine, and each refusal written once.

Services raise the ``*_refusal`` answers; views, the API and templates ask
the same functions to show only the actions a person can take, and to give
the same words when they refuse before reading a form.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidInput, PermissionRefused, TransitionRefused
from core.web import display_name
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApproverDelegation,
    ApproverRoleKind,
    AssessmentStatus,
    Decision,
    GateReview,
    ReviewApprover,
    ReviewStatus,
)
from usecases import access
from usecases.models import MemberRole, Status, UseCase
from usecases.rules import read_only_refusal

UPLOADER_ROLES = frozenset({MemberRole.SPONSOR, MemberRole.CONTRIBUTOR, MemberRole.TECHNICAL_LEAD})
SUBMITTER_ROLES = frozenset({MemberRole.SPONSOR, MemberRole.TECHNICAL_LEAD})

UPLOAD_REFUSAL = (
    "Only the use case's sponsor, technical lead, contributors and program leads "
    "may upload artifacts."
)
ASSESS_REFUSAL = "Only the use case's team and program leads assess the gate criteria."
NOT_AN_APPROVER = (
    "You are not a named approver of this review; only named approvers record a "
    "decision, each their own."
)


def named_approver_grant(user: Any) -> list[QuerySet]:
    """Registered with ``usecases.access``: a review's named approvers see its
    use case; so do the delegates who decided for one of them, and, while
    their delegation is active, the delegates of an open review's approvers.
    Three parts, each read through its own index (``usecases.access.visible_ids``)."""
    holders = ApproverDelegation.objects.active().filter(delegate=user).values("holder_id")
    approvers = ReviewApprover.objects.order_by()
    return [
        approvers.filter(user=user).values("review__use_case_id"),
        approvers.filter(decided_by=user).values("review__use_case_id"),
        approvers.filter(review__status__in=OPEN_REVIEW_STATUSES, user__in=holders).values(
            "review__use_case_id"
        ),
    ]


def open_review_freeze(use_case: UseCase) -> str | None:
    """Registered with ``usecases.rules``: an open or submitted review fixed
    its approvers when it opened, so the facts that chose them stay put."""
    review = (
        GateReview.objects.filter(use_case_id=use_case.pk, status__in=OPEN_REVIEW_STATUSES)
        .only("pk", "gate_number", "from_stage", "to_stage")
        .first()
    )
    if review is None:
        return None
    return (
        f"The {review.gate_label} review (#{review.pk}) is open: its approvers were "
        "fixed when it opened. Change this after the gate is decided."
    )


PASSED_DECISIONS = (Decision.GO, Decision.CONDITIONAL_GO)


def withdraw_block(use_case: UseCase) -> str | None:
    """Registered with ``usecases.rules``: a use case that has passed a gate
    (a decided Go or Conditional Go) is stopped by a Kill at its next gate,
    not withdrawn; one with a review open or submitted waits for the review
    to be decided, since approvers were named and may have voted."""
    reviews = GateReview.objects.filter(use_case_id=use_case.pk).only(
        "pk", "gate_number", "from_stage", "to_stage", "decision"
    )
    if use_case.is_operating:
        return (
            "It is in operation: it ends with a Retire decision, with its decommissioning "
            "checklist, at a recertification."
        )
    passed = (
        reviews.filter(status=ReviewStatus.DECIDED, decision__in=PASSED_DECISIONS)
        .order_by("-decided_at")
        .first()
    )
    if passed is not None:
        return (
            f"It passed {passed.gate_label} (review #{passed.pk}: "
            f"{Decision(passed.decision).label}): a use case that has passed a gate is "
            "stopped by a Kill decision at its next gate."
        )
    under_way = reviews.filter(status__in=OPEN_REVIEW_STATUSES).first()
    if under_way is not None:
        return (
            f"The {under_way.gate_label} review (#{under_way.pk}) is under way: "
            "approvers were named and may have voted, so its chair decides it (a Kill "
            "stops the use case)."
        )
    return None


def is_team_member(user: Any, use_case: UseCase) -> bool:
    return bool(access.member_roles(user, use_case))


def can_upload(user: Any, use_case: UseCase) -> bool:
    return upload_refusal(user, use_case) is None


def upload_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if access.is_program_lead(user) or access.member_roles(user, use_case) & UPLOADER_ROLES:
        return None
    return PermissionRefused(UPLOAD_REFUSAL)


def can_open_review(user: Any, use_case: UseCase) -> bool:
    return access.is_program_lead(user) and use_case.status == Status.ACTIVE


def can_assess(user: Any, review: GateReview) -> bool:
    return review.status == ReviewStatus.OPEN and (
        access.is_program_lead(user) or is_team_member(user, review.use_case)
    )


def assess_refusal(user: Any, review: GateReview) -> DomainError | None:
    """Killed, then not open, then not the team."""
    refusal = read_only_refusal(review.use_case)
    if refusal is not None:
        return refusal
    if review.status != ReviewStatus.OPEN:
        return TransitionRefused(
            _("Criteria can be assessed only while the review is open."),
            [_("The review is %(status)s.") % {"status": review.get_status_display().lower()}],
        )
    if not can_assess(user, review):
        return PermissionRefused(ASSESS_REFUSAL)
    return None


EVIDENCED_STATUSES = frozenset({AssessmentStatus.MET, AssessmentStatus.PARTIALLY_MET})
EVIDENCE_REFUSAL = (
    "“{status}” needs evidence: say what shows it, or link an artifact of the use case."
)


def assessment_evidence_refusal(
    *, status: str, evidence: str, has_artifacts: bool
) -> DomainError | None:
    """A criterion claimed met, even partially, says what shows it: evidence
    text or a linked artifact. Not met and not applicable need neither."""
    if status not in EVIDENCED_STATUSES or evidence.strip() or has_artifacts:
        return None
    label = AssessmentStatus(status).label
    return InvalidInput(EVIDENCE_REFUSAL.format(status=label), field="evidence")


def can_submit(user: Any, review: GateReview) -> bool:
    return review.status == ReviewStatus.OPEN and (
        access.is_program_lead(user)
        or bool(access.member_roles(user, review.use_case) & SUBMITTER_ROLES)
    )


def can_decide(user: Any, review: GateReview) -> bool:
    return review.is_open and review.chair_id == user.pk


def approval_refusal(
    review: GateReview,
    approver_row: ReviewApprover | None,
    *,
    delegate: Any = None,
    acting_for: Sequence[ReviewApprover] = (),
    delegate_team_roles: Collection[str] = (),
) -> DomainError | None:
    """Killed, then not a named approver (nor the active delegate of one),
    then a delegate's seat rules, then not submitted.

    ``approver_row`` is the caller's own seat. A caller without one passes
    themself as ``delegate``, the seats whose holders have made them their
    active delegate as ``acting_for``, and their roles on the use case."""
    refusal = read_only_refusal(review.use_case)
    if refusal is not None:
        return refusal
    if approver_row is None and not acting_for:
        return PermissionRefused(NOT_AN_APPROVER)
    if approver_row is None:
        reasons = delegate_seat_refusals(
            review=review, delegate=delegate, seats=acting_for, team_roles=delegate_team_roles
        )
        if reasons:
            holders = " and ".join(display_name(row.user) for row in acting_for)
            return PermissionRefused(
                _(
                    "%(delegate)s may not decide for %(holders)s: a delegate obeys the "
                    "seat's rules of segregation of duties."
                )
                % {"delegate": display_name(delegate), "holders": holders},
                reasons,
            )
    if review.status != ReviewStatus.SUBMITTED:
        reason = (
            "The review has not been submitted yet."
            if review.status == ReviewStatus.OPEN
            else "The gate has already been decided."
        )
        return TransitionRefused(_("Approvals are recorded on a submitted review."), [reason])
    return None


def can_reassign(user: Any, review: GateReview) -> bool:
    return reassign_refusal(user, review) is None


def reassign_refusal(user: Any, review: GateReview) -> DomainError | None:
    """Killed, then not the chair, then already decided."""
    refusal = read_only_refusal(review.use_case)
    if refusal is not None:
        return refusal
    if review.chair_id != user.pk:
        return PermissionRefused(
            _("Only the chair of this gate (%(chair)s) reassigns its approver seats.")
            % {"chair": display_name(review.chair)}
        )
    if not review.is_open:
        return TransitionRefused(
            _("Approver seats are reassigned only while the review is open or submitted."),
            [_("The gate has already been decided.")],
        )
    return None


def delegation_revoke_refusal(user: Any, delegation: ApproverDelegation) -> DomainError | None:
    """Not the holder nor a program lead, then already revoked or ended."""
    if delegation.holder_id != user.pk and not access.is_program_lead(user):
        return PermissionRefused(
            _("Only the person who gave a delegation or a program lead revokes it.")
        )
    if delegation.revoked_at is not None:
        return TransitionRefused(
            _("This delegation is already revoked."),
            [_("Revoked on %(revoked_at)s.") % {"revoked_at": f"{delegation.revoked_at:%d %b %Y}"}],
        )
    if delegation.ends_on < timezone.localdate():
        return TransitionRefused(
            _("This delegation has already ended."),
            [_("It ended on %(ends_on)s.") % {"ends_on": f"{delegation.ends_on:%d %b %Y}"}],
        )
    return None


def decision_refusal(user: Any, review: GateReview) -> DomainError | None:
    """Killed, then not the chair, then already decided."""
    refusal = read_only_refusal(review.use_case)
    if refusal is not None:
        return refusal
    if review.chair_id != user.pk:
        return PermissionRefused(
            _("Only the chair of this gate (%(chair)s) records its decision.")
            % {"chair": display_name(review.chair)}
        )
    if review.status == ReviewStatus.DECIDED:
        return TransitionRefused(
            _("The gate has already been decided."),
            [
                _("Decision: %(decision)s on %(decided_at)s.")
                % {
                    "decision": review.get_decision_display(),
                    "decided_at": f"{review.decided_at:%d %b %Y}",
                }
            ],
        )
    return None


RETURN_REFUSAL = (
    "Only the chair of this gate ({chair}) or an approver who has rejected it returns the "
    "review for rework."
)


def return_refusal(user: Any, review: GateReview, *, rejected_seat: bool) -> DomainError | None:
    """Killed, then neither the chair nor an approver whose seat recorded a
    rejection (``rejected_seat``: the caller's own seat, or the seat of a
    holder whose active delegate the caller is), then not submitted.

    The chair sends a submitted review back to the team; so may an approver
    who rejected it, rather than wait for the chair."""
    refusal = read_only_refusal(review.use_case)
    if refusal is not None:
        return refusal
    if review.chair_id != user.pk and not rejected_seat:
        return PermissionRefused(RETURN_REFUSAL.format(chair=display_name(review.chair)))
    if review.status != ReviewStatus.SUBMITTED:
        reason = (
            "The review is still open with the team: it has not been submitted."
            if review.status == ReviewStatus.OPEN
            else f"The gate has already been decided ({review.get_decision_display()})."
        )
        return TransitionRefused(_("Only a submitted review is returned for rework."), [reason])
    return None


def reschedule_refusal(user: Any, review: GateReview) -> DomainError | None:
    """Killed, then neither the chair nor a program lead, then already decided."""
    refusal = read_only_refusal(review.use_case)
    if refusal is not None:
        return refusal
    if review.chair_id != user.pk and not access.is_program_lead(user):
        return PermissionRefused(
            _("Only the chair of this gate or a program lead changes its planned date.")
        )
    if not review.is_open:
        return TransitionRefused(
            _("The planned date of a decided review stays as it was."),
            [_("The gate has already been decided.")],
        )
    return None


def can_reschedule(user: Any, review: GateReview) -> bool:
    return reschedule_refusal(user, review) is None


def can_resume(user: Any, use_case: UseCase) -> bool:
    return access.is_program_lead(user) and use_case.status == Status.ON_HOLD


# --- Segregation of duties ---------------------------------------------------------

# Seats whose holder must be independent of the use case's team: the use
# case's sponsors and contributors never fill them, however they came to
# hold the role.
INDEPENDENT_SEATS = frozenset(
    {
        ApproverRoleKind.CIO_CTO,
        ApproverRoleKind.TECHNICAL_LEAD,
        ApproverRoleKind.RISK_COMPLIANCE,
        ApproverRoleKind.BUSINESS_UNIT_HEAD,
    }
)
TEAM_ROLES_BARRED_FROM_INDEPENDENT_SEATS = frozenset({MemberRole.SPONSOR, MemberRole.CONTRIBUTOR})


def seat_label(role: str) -> str:
    return str(ApproverRoleKind(role).label)


def seating_refusals(
    *,
    use_case: UseCase,
    chair: Any,
    seats: dict[str, list[Any]],
    min_approvers: int,
    team: dict[int, set[str]],
) -> list[str]:
    """Why these people may not approve this gate together, one reason per
    broken rule; empty when the seating keeps the duties apart.

    ``seats`` maps each approver role to the people in it; ``team`` maps user
    ids to their roles on the use case. The rules: one person holds at most
    one seat; the chair sits only in the program-lead seat; sponsors and
    contributors never fill an independent seat; the gate needs at least
    ``min_approvers`` distinct people."""
    reasons: list[str] = []
    held: dict[int, list[str]] = {}
    people: dict[int, Any] = {}
    for role, users in seats.items():
        for user in users:
            held.setdefault(user.pk, []).append(role)
            people[user.pk] = user
    for user_id, roles in held.items():
        user = people[user_id]
        if user_id == chair.pk and roles != [ApproverRoleKind.PROGRAM_LEAD]:
            others = [seat_label(r) for r in roles if r != ApproverRoleKind.PROGRAM_LEAD]
            reasons.append(
                f"The chair ({display_name(user)}) votes only in the program-lead seat; "
                f"name someone else as {' and '.join(others)}."
            )
        elif len(roles) > 1:
            reasons.append(
                f"{display_name(user)} would hold {len(roles)} approver seats "
                f"({', '.join(seat_label(r) for r in roles)}); one person holds one seat, "
                "so name someone else for the others."
            )
        barred = team.get(user_id, set()) & TEAM_ROLES_BARRED_FROM_INDEPENDENT_SEATS
        for role in roles:
            if role in INDEPENDENT_SEATS and barred:
                member = " and ".join(MemberRole(r).label.lower() for r in sorted(barred))
                reasons.append(
                    f"{display_name(user)} is this use case's {member}, so cannot fill the "
                    f"independent seat {seat_label(role)}."
                )
    if len(held) < min_approvers:
        reasons.append(
            f"This gate needs at least {min_approvers} distinct approvers; "
            f"{len(held)} {'is' if len(held) == 1 else 'are'} named."
        )
    return reasons


def delegate_seat_refusals(
    *,
    review: GateReview,
    delegate: Any,
    seats: Sequence[ReviewApprover],
    team_roles: Collection[str],
) -> list[str]:
    """Why ``delegate``, who holds no seat of this review, may not decide in
    the seats of the holders who made them their delegate: the rules of
    ``seating_refusals`` for the seat they would fill. One person holds one
    seat (a delegate of two of the review's approvers decides for neither);
    the chair sits only in the program-lead seat; the use case's sponsors
    and contributors never fill an independent seat."""
    name = display_name(delegate)
    if len(seats) > 1:
        holders = " and ".join(display_name(row.user) for row in seats)
        return [
            f"{name} is the delegate of {holders} on this review; one person holds one seat, "
            f"so {name} decides for neither."
        ]
    reasons: list[str] = []
    row = seats[0]
    holder = display_name(row.user)
    if delegate.pk == review.chair_id and list(row.roles) != [ApproverRoleKind.PROGRAM_LEAD]:
        others = [seat_label(r) for r in row.roles if r != ApproverRoleKind.PROGRAM_LEAD]
        reasons.append(
            f"The chair ({name}) votes only in the program-lead seat, so cannot decide for "
            f"{holder} as {' and '.join(others)}."
        )
    barred = set(team_roles) & TEAM_ROLES_BARRED_FROM_INDEPENDENT_SEATS
    for role in row.roles:
        if role in INDEPENDENT_SEATS and barred:
            member = " and ".join(MemberRole(r).label.lower() for r in sorted(barred))
            reasons.append(
                f"{name} is this use case's {member}, so cannot fill the independent seat "
                f"{seat_label(role)} for {holder}."
            )
    return reasons
