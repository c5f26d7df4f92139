"""Who hears about what: the event handlers and the scheduled sweeps.

Each function builds ``Draft`` rows and hands them to
``services.notifications_create``. The sweeps read their candidates with one
query per rule (joins and annotations, no query per row) and derive each
delivery key's *period* from the clock so that a rerun within the same period
maps to the same key:

- approval reminder: ``reminder-<n>``, n = 1 + (days pending - AFTER) // EVERY
  (AFTER=2, EVERY=2: day 2 → 1, day 4 → 2, day 6 → 3 ...);
- approval escalation (to the chair): once per review, from ESCALATE_AFTER days;
- condition due soon: once; condition overdue: ``overdue-<n>``,
  n = 1 + (days overdue - 1) // OVERDUE_EVERY (re-announced weekly by default);
- use case overdue in its stage: once per stage stint (the stage and when it
  was entered); stalled: once per idle spell (the last activity's time);
- evidence expiring: once per artifact version (``expiring``);
- recertification due, then overdue: once per due date (the due date).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core import events
from core.web import display_name
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApprovalDecision,
    Artifact,
    ConditionStatus,
    Decision,
    GateCondition,
    GateReview,
    ReviewApprover,
    ReviewStatus,
    expiry_notice_days,
    with_expiry,
)
from notifications import bulk, conf, texts
from notifications.models import Kind
from notifications.selectors import TIMELINESS_FIELDS, program_lead_ids, timeliness_candidates
from notifications.services import Draft, notifications_create
from operations.selectors import notice_days
from readiness.models import StageNorm
from usecases.models import (
    MemberRole,
    OrgRole,
    RegulatoryConstraint,
    RiskClassification,
    RiskClassificationStatus,
    Stage,
    Status,
    UseCase,
    UseCaseMember,
)

logger = logging.getLogger(__name__)
User = get_user_model()


def _sponsors_by_use_case(**use_cases: Any) -> dict[int, list[int]]:
    """The active sponsors of the use cases the filter names (one query):
    ``use_case__in=`` a subquery, or ``use_case_id__in=`` ids."""
    sponsors: dict[int, list[int]] = defaultdict(list)
    for use_case_id, user_id in UseCaseMember.objects.filter(
        role=MemberRole.SPONSOR, user__is_active=True, **use_cases
    ).values_list("use_case_id", "user_id"):
        sponsors[use_case_id].append(user_id)
    return sponsors


def _full_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


class _Links:
    """reverse() once per URL name, not once per row of a sweep."""

    def __init__(self) -> None:
        self._patterns: dict[str, str] = {}

    def __call__(self, name: str, pk: int) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = reverse(name, args=[987654321]).replace("987654321", "{}")
            self._patterns[name] = pattern
        return pattern.format(pk)


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


def _round_period(rework_count: int, period: str = "") -> str:
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
                _round_period(review.rework_count),
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


# --- Sweeps -----------------------------------------------------------------------


def _days(now: datetime.datetime, then: datetime.datetime) -> int:
    return (now - then).days


def approval_reminders(now: datetime.datetime, links: _Links) -> list[Draft]:
    after, every = conf.reminder_after_days(), conf.reminder_every_days()
    rows = (
        ReviewApprover.objects.filter(
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
            review__submitted_at__lte=now - datetime.timedelta(days=after),
            user__is_active=True,
        )
        .order_by()
        .values_list(
            "user_id",
            "review_id",
            "review__submitted_at",
            "review__gate_number",
            "review__to_stage",
            "review__from_stage",
            "review__use_case__title",
            "review__rework_count",
        )
    )
    drafts = []
    for (
        user_id,
        review_id,
        submitted_at,
        gate_number,
        to_stage,
        from_stage,
        title,
        rounds,
    ) in rows.iterator(chunk_size=5000):
        days = _days(now, submitted_at)
        number = 1 + (days - after) // every
        drafts.append(
            Draft(
                user_id,
                Kind.APPROVAL_REMINDER,
                "review",
                review_id,
                _round_period(rounds, f"reminder-{number}"),
                "",
                "",
                links("review-detail", review_id),
                params={
                    "use_case": title,
                    "gate": [gate_number, to_stage, from_stage],
                    "days": days,
                    "number": number,
                },
            )
        )
    return drafts


def approval_escalations(now: datetime.datetime, links: _Links) -> list[Draft]:
    """To the chair, once per review, naming everyone still pending after
    ESCALATE_AFTER days. The chair's own pending approval is not escalated to
    the chair."""
    rows = (
        ReviewApprover.objects.filter(
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
            review__submitted_at__lte=now - datetime.timedelta(days=conf.escalate_after_days()),
        )
        .exclude(user_id=F("review__chair_id"))
        .order_by("review_id", "id")
        .values_list(
            "review_id",
            "review__chair_id",
            "review__submitted_at",
            "review__gate_number",
            "review__to_stage",
            "review__from_stage",
            "review__use_case__title",
            "user__first_name",
            "user__last_name",
            "user__username",
            "review__rework_count",
        )
    )
    by_review: dict[int, list] = defaultdict(list)
    info: dict[int, tuple] = {}
    for (
        review_id,
        chair_id,
        submitted_at,
        gate,
        to_stage,
        from_stage,
        title,
        first,
        last,
        username,
        rounds,
    ) in rows.iterator(chunk_size=5000):
        by_review[review_id].append(_full_name(first, last, username))
        info[review_id] = (chair_id, submitted_at, gate, to_stage, from_stage, title, rounds)
    drafts = []
    for review_id, pending in by_review.items():
        chair_id, submitted_at, gate, to_stage, from_stage, title, rounds = info[review_id]
        drafts.append(
            Draft(
                chair_id,
                Kind.APPROVAL_ESCALATION,
                "review",
                review_id,
                _round_period(rounds, "escalation"),
                "",
                "",
                links("review-detail", review_id),
                params={
                    "use_case": title,
                    "gate": [gate, to_stage, from_stage],
                    "days": _days(now, submitted_at),
                    "pending": pending,
                },
            )
        )
    return drafts


def condition_deadlines(now: datetime.datetime, links: _Links) -> list[Draft]:
    today = timezone.localdate(now)
    soon, every = conf.condition_due_soon_days(), conf.condition_overdue_every_days()
    rows = (
        GateCondition.objects.filter(
            status=ConditionStatus.OPEN,
            due_date__lte=today + datetime.timedelta(days=soon),
            owner__is_active=True,
        )
        .exclude(review__use_case__status=Status.KILLED)
        .order_by()
        .values_list(
            "pk",
            "owner_id",
            "due_date",
            "description",
            "review_id",
            "review__gate_number",
            "review__to_stage",
            "review__from_stage",
            "review__use_case__title",
        )
    )
    drafts = []
    for (
        pk,
        owner_id,
        due,
        description,
        review_id,
        gate,
        to_stage,
        from_stage,
        title,
    ) in rows.iterator(chunk_size=5000):
        days = (due - today).days
        label = (gate, to_stage, from_stage)
        if days >= 0:
            kind, period = Kind.CONDITION_DUE_SOON, "due-soon"
            compose = texts.later(
                texts.condition_due_soon,
                use_case=title,
                gate=label,
                description=description,
                due=due,
                days=days,
            )
        else:
            kind, period = Kind.CONDITION_OVERDUE, f"overdue-{(-days - 1) // every + 1}"
            compose = texts.later(
                texts.condition_overdue,
                use_case=title,
                gate=label,
                description=description,
                due=due,
                days=-days,
            )
        drafts.append(
            Draft(
                owner_id,
                kind,
                "condition",
                pk,
                period,
                "",
                "",
                links("review-detail", review_id),
                compose,
            )
        )
    return drafts


def usecase_timeliness(now: datetime.datetime, links: _Links) -> list[Draft]:
    """Use cases overdue in their stage or stalled → their sponsors and the
    program lead: the chair of the use case's latest review or, when it never
    had one, every active program lead."""
    candidates = timeliness_candidates(now)
    rows = list(candidates.order_by().values_list(*TIMELINESS_FIELDS))
    if not rows:
        return []
    sponsors = _sponsors_by_use_case(use_case__in=candidates.values("pk"))
    program_leads = program_lead_ids()
    norms = dict(StageNorm.objects.values_list("stage", "max_days"))
    drafts = []
    for pk, title, stage, entered, last_activity, overdue, stalled, chair_id in rows:
        recipients = set(sponsors.get(pk, ()))
        recipients.update([chair_id] if chair_id else program_leads)
        link = links("usecase-detail", pk)
        items = []
        if overdue:
            items.append(
                (
                    Kind.USECASE_OVERDUE,
                    f"{stage}-{entered:%Y%m%dT%H%M%S}",
                    {
                        "use_case": title,
                        "stage": stage,
                        "days": _days(now, entered),
                        "max_days": norms.get(stage),
                    },
                )
            )
        if stalled:
            items.append(
                (
                    Kind.USECASE_STALLED,
                    f"idle-{last_activity:%Y%m%dT%H%M%S}",
                    {"use_case": title, "stage": stage, "idle_days": _days(now, last_activity)},
                )
            )
        for kind, period, params in items:
            drafts.extend(
                Draft(user_id, kind, "usecase", pk, period, "", "", link, params=params)
                for user_id in sorted(recipients)
            )
    return drafts


def evidence_expiry(now: datetime.datetime, links: _Links) -> list[Draft]:
    """Evidence about to expire → its uploader and the use case's sponsors,
    once per artifact version (the key is the artifact; a new upload is a new
    artifact), from EVIDENCE_EXPIRY_NOTICE_DAYS before the day it expires.
    Only the latest version of a type with a validity, of a use case still
    going; expired versions are shown on the pages, not announced again."""
    today = timezone.localdate(now)
    newer = Artifact.objects.filter(
        use_case_id=OuterRef("use_case_id"),
        artifact_type_id=OuterRef("artifact_type_id"),
        version__gt=OuterRef("version"),
    )
    candidates = (
        with_expiry(
            Artifact.objects.filter(
                artifact_type__validity_months__isnull=False,
                artifact_type__is_active=True,
                use_case__status__in=[Status.ACTIVE, Status.ON_HOLD],
            ).filter(~Exists(newer))
        )
        .filter(expiry__gt=today, expiry__lte=today + datetime.timedelta(days=expiry_notice_days()))
        .order_by()
    )
    rows = list(
        candidates.values_list(
            "pk",
            "version",
            "expiry",
            "uploaded_by_id",
            "uploaded_by__is_active",
            "use_case_id",
            "use_case__title",
            "artifact_type__name",
        )
    )
    if not rows:
        return []
    sponsors = _sponsors_by_use_case(use_case_id__in={row[5] for row in rows})
    drafts = []
    for pk, version, expiry, uploader_id, uploader_active, use_case_id, title, name in rows:
        recipients = set(sponsors.get(use_case_id, ()))
        if uploader_active:
            recipients.add(uploader_id)
        compose = texts.later(
            texts.evidence_expiring,
            use_case=title,
            artifact=name,
            version=version,
            expires_on=expiry,
            days=(expiry - today).days,
        )
        link = links("usecase-artifacts", use_case_id)
        drafts.extend(
            Draft(
                user_id, Kind.EVIDENCE_EXPIRING, "artifact", pk, "expiring", "", "", link, compose
            )
            for user_id in sorted(recipients)
        )
    return drafts


def recertification_reminders(now: datetime.datetime, links: _Links) -> list[Draft]:
    """Active use cases in operation whose recertification is due within
    RECERTIFICATION_NOTICE_DAYS → the operating owner, the sponsors and the
    chair of the open recertification: due, once per due date (the period);
    overdue once the day has passed and it is still not recertified (a
    recertification's Go moves the due date: a new period). Two queries."""
    today = timezone.localdate(now)
    open_chair = Subquery(
        GateReview.objects.filter(
            use_case=OuterRef("pk"),
            status__in=OPEN_REVIEW_STATUSES,
            from_stage=F("to_stage"),
        )
        .order_by("-id")
        .values("chair_id")[:1]
    )
    candidates = UseCase.objects.filter(
        stage=Stage.SCALE,
        status=Status.ACTIVE,
        recertification_due_on__isnull=False,
        recertification_due_on__lte=today + datetime.timedelta(days=notice_days()),
    )
    rows = list(
        candidates.annotate(open_chair_id=open_chair)
        .order_by()
        .values_list(
            "pk",
            "title",
            "recertification_due_on",
            "operating_owner_id",
            "operating_owner__is_active",
            "open_chair_id",
        )
    )
    if not rows:
        return []
    sponsors = _sponsors_by_use_case(use_case__in=candidates.order_by().values("pk"))
    drafts = []
    for pk, title, due, owner_id, owner_active, chair_id in rows:
        recipients = set(sponsors.get(pk, ()))
        if owner_id and owner_active:
            recipients.add(owner_id)
        if chair_id:
            recipients.add(chair_id)
        days = (due - today).days
        if days >= 0:
            kind = Kind.RECERTIFICATION_DUE
            compose = texts.later(texts.recertification_due, use_case=title, due_on=due, days=days)
        else:
            kind = Kind.RECERTIFICATION_OVERDUE
            compose = texts.later(
                texts.recertification_overdue, use_case=title, due_on=due, days=-days
            )
        link = links("usecase-operation", pk)
        drafts.extend(
            Draft(user_id, kind, "usecase", pk, due.isoformat(), "", "", link, compose)
            for user_id in sorted(recipients)
        )
    return drafts


SWEEP_RULES: dict[str, Callable[[datetime.datetime, _Links], list[Draft]]] = {
    "approval_reminders": approval_reminders,
    "approval_escalations": approval_escalations,
    "condition_deadlines": condition_deadlines,
    "usecase_timeliness": usecase_timeliness,
    "evidence_expiry": evidence_expiry,
    "recertification_reminders": recertification_reminders,
}


# The deadlines other apps hear of: the first notification of an occurrence
# emits its event, in the same transaction as the insert.
SWEEP_EVENTS = {
    Kind.CONDITION_DUE_SOON: events.CONDITION_DUE,
    Kind.CONDITION_OVERDUE: events.CONDITION_OVERDUE,
    Kind.RECERTIFICATION_DUE: events.RECERTIFICATION_DUE,
    Kind.RECERTIFICATION_OVERDUE: events.RECERTIFICATION_OVERDUE,
}


def _announce(kind: str, object_type: str, object_id: int, period: str) -> None:
    name = SWEEP_EVENTS.get(kind)
    if name is None:
        return
    if object_type == "condition":
        events.emit_on_commit(name, condition_id=object_id, period=period)
    else:
        events.emit_on_commit(name, use_case_id=object_id, due_on=period)


def sweep(*, now: datetime.datetime | None = None, set_based: bool = True) -> dict[str, int]:
    """Run every scheduled rule once. Idempotent: rerunning it in the same
    periods inserts nothing and announces nothing. Returns the rows offered
    per rule. On PostgreSQL the rules of ``bulk.SQL_RULES`` run as one
    INSERT ... SELECT each (the reminders as two, ``bulk.PARTS``;
    ``set_based=False``: their Python drafts, as on other databases). Called
    outside a transaction (the sweep's task), those statements run
    ``NOTIFICATIONS_SWEEP_CONNECTIONS`` at a time, each on a connection and
    in a transaction of its own; inside one, one after the other in it."""
    now = now or timezone.now()
    links = _Links()
    counts: dict[str, int] = {}
    in_sql = bulk.SQL_RULES if set_based and connection.vendor == "postgresql" else {}
    workers = conf.sweep_connections()
    if in_sql and workers > 1 and not connection.in_atomic_block:
        counts.update(bulk.run_side_by_side(now, links, workers=workers))
    for name, rule in SWEEP_RULES.items():
        if name in counts:
            continue
        with transaction.atomic():
            if name in in_sql:
                counts[name] = bulk.run_rule(name, now, links)
            else:
                if connection.vendor == "postgresql":
                    bulk.lock_rule(name)
                counts[name] = notifications_create(
                    rule(now, links), now=now, on_new_occurrence=_announce
                )
    if sum(counts[name] for name in in_sql) >= bulk.ANALYZE_AFTER_ROWS:
        bulk.analyze()
    return counts
