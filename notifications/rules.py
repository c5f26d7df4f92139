"""Who hears about what when something happens: the event handlers
(``EVENT_HANDLERS``), each building ``Draft`` rows for
``services.notifications_create``. The scheduled sweeps are
``notifications.sweeps``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy

from core import events
from core.web import display_name
from gates.models import (
    ApprovalDecision,
    Decision,
    GateCondition,
    GateReview,
    ReviewApprover,
    ReviewStatus,
)
from notifications import texts
from notifications.models import Kind
from notifications.services import Draft, notifications_create
from usecases.models import (
    MemberRole,
    OrgRole,
    RegulatoryConstraint,
    RiskClassification,
    RiskClassificationStatus,
    Stage,
    UseCaseMember,
)

logger = logging.getLogger(__name__)
User = get_user_model()


# --- Events ---------------------------------------------------------------------


def _review(review_id: int) -> GateReview | None:
    return (
        GateReview.objects.select_related("use_case", "chair", "submitted_by", "decided_by")
        .filter(pk=review_id)
        .first()
    )


def on_review_opened(*, review_id: int, opened_by_id: int | None = None, **_: Any) -> int:
    """The use case's team (sponsor, technical lead, contributors) hears that
    a review opened and waits on their evidence; not whoever opened it."""
    review = _review(review_id)
    if review is None:
        return 0
    opener = User.objects.filter(pk=opened_by_id).first() if opened_by_id else None
    compose = texts.later(
        texts.review_opened,
        use_case=review.use_case.title,
        gate=(review.gate_number, review.to_stage, review.from_stage),
        opened_by=display_name(opener) if opener else gettext_lazy("A program lead"),
        chair=display_name(review.chair),
    )
    team = set(
        UseCaseMember.objects.filter(use_case=review.use_case).values_list("user_id", flat=True)
    )
    link = review.get_absolute_url()
    return notifications_create(
        [
            Draft(user_id, Kind.REVIEW_OPENED, "review", review.pk, "", "", "", link, compose)
            for user_id in sorted(team - {opened_by_id})
        ]
    )


def on_review_returned(
    *, review_id: int, returned_by_id: int | None = None, round: int = 0, **_: Any
) -> int:
    """The use case's team and the chair hear that a submitted review went
    back for rework, with the reason; not whoever returned it. One
    notification per round (the round is the delivery key's period)."""
    review = (
        GateReview.objects.select_related("use_case", "chair", "returned_by")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        return 0
    compose = texts.later(
        texts.review_returned,
        use_case=review.use_case.title,
        gate=(review.gate_number, review.to_stage, review.from_stage),
        returned_by=display_name(review.returned_by)
        if review.returned_by
        else gettext_lazy("The chair"),
        reason=review.return_reason,
        round=round or review.rework_count,
    )
    team = set(
        UseCaseMember.objects.filter(use_case=review.use_case).values_list("user_id", flat=True)
    )
    recipients = (team | {review.chair_id}) - {returned_by_id}
    period = f"round-{round or review.rework_count}"
    link = review.get_absolute_url()
    return notifications_create(
        [
            Draft(user_id, Kind.REVIEW_RETURNED, "review", review.pk, period, "", "", link, compose)
            for user_id in sorted(recipients)
        ]
    )


def round_period(rework_count: int, period: str = "") -> str:
    """A review returned for rework is submitted again: each round's
    requests and reminders are news again (round 0 keeps the plain key)."""
    if not rework_count:
        return period
    return f"round-{rework_count}-{period}" if period else f"round-{rework_count}"


def on_review_submitted(*, review_id: int, **_: Any) -> int:
    review = _review(review_id)
    if review is None:
        return 0
    submitted_by = (
        display_name(review.submitted_by) if review.submitted_by else gettext_lazy("The team")
    )
    compose = texts.later(
        texts.approval_requested,
        use_case=review.use_case.title,
        gate=(review.gate_number, review.to_stage, review.from_stage),
        submitted_by=submitted_by,
    )
    approvers = ReviewApprover.objects.filter(
        review=review, decision=ApprovalDecision.PENDING
    ).values_list("user_id", flat=True)
    return notifications_create(
        [
            Draft(
                user_id,
                Kind.APPROVAL_REQUESTED,
                "review",
                review.pk,
                round_period(review.rework_count),
                "",
                "",
                review.get_absolute_url(),
                compose,
            )
            # Nobody is asked to approve what they have just submitted.
            for user_id in approvers
            if user_id != review.submitted_by_id
        ]
    )


def on_approval_requested(
    *, review_id: int, approver_id: int, user_id: int, requested_at: str = "", **_: Any
) -> int:
    """A seat of a submitted review given to someone new: the approval
    request they missed at submission, to them alone."""
    review = _review(review_id)
    if review is None or review.status != ReviewStatus.SUBMITTED:
        return 0
    seat = ReviewApprover.objects.filter(pk=approver_id, review=review, user_id=user_id)
    if not seat.filter(decision=ApprovalDecision.PENDING).exists():
        return 0  # reassigned again since, or already decided
    submitted_by = (
        display_name(review.submitted_by) if review.submitted_by else gettext_lazy("The team")
    )
    compose = texts.later(
        texts.approval_requested,
        use_case=review.use_case.title,
        gate=(review.gate_number, review.to_stage, review.from_stage),
        submitted_by=submitted_by,
    )
    return notifications_create(
        [
            Draft(
                user_id,
                Kind.APPROVAL_REQUESTED,
                "review",
                review.pk,
                # A person may be given a seat of the same review twice.
                f"reassigned-{requested_at}",
                "",
                "",
                review.get_absolute_url(),
                compose,
            )
        ]
    )


def on_approval_recorded(
    *, review_id: int, approver_id: int, pending: int | None = None, **_: Any
) -> int:
    row = (
        ReviewApprover.objects.select_related("user", "decided_by", "review__use_case")
        .filter(pk=approver_id, review_id=review_id)
        .first()
    )
    if row is None or row.decision == ApprovalDecision.PENDING:
        return 0
    review = row.review
    if row.user_id == review.chair_id:  # nobody is told of their own decision
        return 0
    remaining = pending
    if remaining is None:
        remaining = ReviewApprover.objects.filter(
            review=review, decision=ApprovalDecision.PENDING
        ).count()
    compose = texts.later(
        texts.approval_recorded,
        use_case=review.use_case.title,
        gate=(review.gate_number, review.to_stage, review.from_stage),
        approver=row.decided_as,
        decision=row.get_decision_display,
        comment=row.comment,
        remaining=remaining,
    )
    # A changed decision is news again: the period is when it was recorded.
    period = row.decided_at.isoformat() if row.decided_at else ""
    return notifications_create(
        [
            Draft(
                review.chair_id,
                Kind.APPROVAL_RECORDED,
                "approver",
                row.pk,
                period,
                "",
                "",
                review.get_absolute_url(),
                compose,
            )
        ]
    )


def on_gate_decided(*, review_id: int, condition_ids: list[int] | None = None, **_: Any) -> int:
    review = _review(review_id)
    if review is None or not review.decision:
        return 0
    use_case = review.use_case
    gate = (review.gate_number, review.to_stage, review.from_stage)
    moved = review.decision in (Decision.GO, Decision.CONDITIONAL_GO)
    compose = texts.later(
        texts.gate_decided,
        use_case=use_case.title,
        gate=gate,
        decision=review.get_decision_display,
        rationale=review.rationale,
        stage=Stage(review.to_stage).label if moved and not review.is_recertification else None,
    )
    team = set(UseCaseMember.objects.filter(use_case=use_case).values_list("user_id", flat=True))
    approvers = set(ReviewApprover.objects.filter(review=review).values_list("user_id", flat=True))
    recipients = (team | approvers) - {review.decided_by_id}
    link = review.get_absolute_url()
    drafts = [
        Draft(user_id, Kind.GATE_DECIDED, "review", review.pk, "", "", "", link, compose)
        for user_id in sorted(recipients)
    ]
    conditions = GateCondition.objects.filter(pk__in=condition_ids or [], review=review)
    for condition in conditions:
        if condition.owner_id == review.decided_by_id:
            continue
        c_compose = texts.later(
            texts.condition_assigned,
            use_case=use_case.title,
            gate=gate,
            description=condition.description,
            due=condition.due_date,
        )
        drafts.append(
            Draft(
                condition.owner_id,
                Kind.CONDITION_ASSIGNED,
                "condition",
                condition.pk,
                "",
                "",
                "",
                link,
                c_compose,
            )
        )
    return notifications_create(drafts)


def load_pack(pack_id: int) -> Any | None:
    """The reporting app's pack with its review, or None when the app, the
    model or the row is not there (yet)."""
    try:
        model = apps.get_model("reporting", "GatePack")
    except LookupError:
        logger.warning("notifications: reporting.GatePack does not exist; pack %s ignored", pack_id)
        return None
    return model.objects.select_related("review__use_case").filter(pk=pack_id).first()


def _on_pack(kind: str, compose: Callable[..., tuple[str, str]]):
    def handler(*, pack_id: int, requested_by_id: int | None = None, **_: Any) -> int:
        pack = load_pack(pack_id)
        if pack is None:
            return 0
        recipient = requested_by_id or getattr(pack, "requested_by_id", None)
        review = getattr(pack, "review", None)
        if recipient is None or review is None:
            return 0
        composer = texts.later(
            compose,
            use_case=review.use_case.title,
            gate=(review.gate_number, review.to_stage, review.from_stage),
        )
        link = review.get_absolute_url()
        return notifications_create(
            [Draft(recipient, kind, "pack", pack_id, "", "", "", link, composer)]
        )

    return handler


def _regulation_labels(codes: list[str]) -> Callable[[], str]:
    """The regulations' labels, read when the text is composed (translated)."""

    def labels() -> str:
        names = dict(RegulatoryConstraint.choices)
        return ", ".join(str(names.get(code, code)) for code in codes)

    return labels


def on_risk_proposed(*, classification_id: int, **_: Any) -> int:
    """Active risk and compliance people hear of answers to confirm, except
    whoever answered and anyone on the use case's team (they may not decide)."""
    row = (
        RiskClassification.objects.select_related("use_case", "answered_by")
        .filter(pk=classification_id)
        .first()
    )
    if row is None:
        return 0
    compose = texts.later(
        texts.risk_proposed,
        use_case=row.use_case.title,
        answered_by=display_name(row.answered_by),
        tier=row.get_proposed_tier_display,
        regulations=_regulation_labels(row.proposed_regulations),
        prohibited=row.prohibited,
    )
    team = set(
        UseCaseMember.objects.filter(use_case=row.use_case).values_list("user_id", flat=True)
    )
    officers = set(
        User.objects.filter(groups__name=OrgRole.RISK_COMPLIANCE, is_active=True).values_list(
            "id", flat=True
        )
    )
    recipients = officers - team - {row.answered_by_id}
    link = reverse("usecase-risk", args=[row.use_case_id])
    return notifications_create(
        [
            Draft(
                user_id,
                Kind.RISK_CLASSIFICATION_PROPOSED,
                "risk",
                row.pk,
                "",
                "",
                "",
                link,
                compose,
            )
            for user_id in sorted(recipients)
        ]
    )


def on_risk_decided(*, classification_id: int, **_: Any) -> int:
    """The use case's team hears the decision (and the reason of an
    override); not whoever decided."""
    row = (
        RiskClassification.objects.select_related("use_case", "decided_by")
        .filter(pk=classification_id)
        .first()
    )
    if row is None or row.decided_by_id is None:
        return 0
    compose = texts.later(
        texts.risk_decided,
        use_case=row.use_case.title,
        decided_by=display_name(row.decided_by),
        verb="confirmed" if row.status == RiskClassificationStatus.CONFIRMED else "overrode",
        tier=row.get_tier_display,
        regulations=_regulation_labels(row.regulations),
        reason=row.override_reason,
    )
    team = set(
        UseCaseMember.objects.filter(use_case=row.use_case).values_list("user_id", flat=True)
    )
    link = reverse("usecase-risk", args=[row.use_case_id])
    return notifications_create(
        [
            Draft(
                user_id,
                Kind.RISK_CLASSIFICATION_DECIDED,
                "risk",
                row.pk,
                "",
                "",
                "",
                link,
                compose,
            )
            for user_id in sorted(team - {row.decided_by_id})
        ]
    )


def on_recertification_triggered(
    *,
    use_case_id: int,
    review_id: int | None = None,
    opened: bool = False,
    by_id: int | None = None,
    incident_id: int | None = None,
    **_: Any,
) -> int:
    """A drift breach or an incident opened a recertification early → the
    operating owner, the chair and the sponsors; not whoever recorded it.
    Once per review (a breach or incident that joins an open one says
    nothing new)."""
    if not opened or review_id is None:
        return 0
    review = _review(review_id)
    if review is None:
        return 0
    use_case = review.use_case
    cause = "incident" if incident_id is not None else "drift breach"
    compose = texts.later(
        texts.recertification_opened,
        use_case=use_case.title,
        cause=cause,
        detail=review.trigger_detail,
        chair=display_name(review.chair),
    )
    recipients = set(
        UseCaseMember.objects.filter(
            use_case=use_case, role=MemberRole.SPONSOR, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    recipients.add(review.chair_id)
    if use_case.operating_owner_id:
        recipients.add(use_case.operating_owner_id)
    link = review.get_absolute_url()
    return notifications_create(
        [
            Draft(
                user_id,
                Kind.RECERTIFICATION_OPENED,
                "review",
                review.pk,
                "",
                "",
                "",
                link,
                compose,
            )
            for user_id in sorted(recipients - {by_id})
        ]
    )


EVENT_HANDLERS: dict[str, Callable[..., int]] = {
    events.RISK_CLASSIFICATION_PROPOSED: on_risk_proposed,
    events.RISK_CLASSIFICATION_DECIDED: on_risk_decided,
    events.REVIEW_OPENED: on_review_opened,
    events.REVIEW_SUBMITTED: on_review_submitted,
    events.REVIEW_RETURNED: on_review_returned,
    events.APPROVAL_RECORDED: on_approval_recorded,
    events.APPROVAL_REQUESTED: on_approval_requested,
    events.GATE_DECIDED: on_gate_decided,
    events.PACK_READY: _on_pack(Kind.PACK_READY, texts.pack_ready),
    events.PACK_FAILED: _on_pack(Kind.PACK_FAILED, texts.pack_failed),
    events.DRIFT_BREACH_RECORDED: on_recertification_triggered,
    events.INCIDENT_RECORDED: on_recertification_triggered,
}
