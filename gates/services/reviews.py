"""Opening a review, rescheduling it, assessing its criteria and submitting it.
Each approver's own decision and returning a review are ``approvals``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import events
from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.events import emit_on_commit
from core.validators import clean_reason
from gates import applicability, rules
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApproverCondition,
    ApproverRoleKind,
    Artifact,
    AssessmentStatus,
    Decision,
    GateApproverRole,
    GateReview,
    GateTemplate,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    ReviewStatus,
    ReviewTrigger,
    with_expiry,
)
from gates.services._base import (
    ASSESSMENT_GUARDS,
    User,
    _ensure_not_killed,
    _lock_review,
    _lock_use_case,
    touch,
)
from usecases import access, custom_fields
from usecases import selectors as usecase_selectors
from usecases.models import MemberRole, OrgRole, RiskTier, Stage, Status, UseCase, UseCaseMember

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


def team_roles(use_case: UseCase) -> dict[int, set[str]]:
    """Each team member's roles on the use case, by user id: what
    ``rules.seating_refusals`` checks the independent seats against."""
    team: dict[int, set[str]] = {}
    for user_id, member_role in UseCaseMember.objects.filter(use_case=use_case).values_list(
        "user_id", "role"
    ):
        team.setdefault(user_id, set()).add(member_role)
    return team


def resolve_approvers(
    *,
    template: GateTemplate,
    use_case: UseCase,
    chair: Any,
    named: dict[str, Iterable[Any]] | None = None,
) -> list[ResolvedApprover]:
    """Resolve the gate's approver seats to named people. ``named`` overrides
    the holders of a role. Raises with one reason per role nobody holds, and
    with one reason per broken rule of segregation of duties
    (``rules.seating_refusals``): explicit naming obeys the same rules."""
    named = {role: list(users) for role, users in (named or {}).items()}
    roles = [r for r in template.approver_roles.all() if role_applies(r, use_case)]
    applicable = {r.role for r in roles}
    unknown = set(named) - applicable
    if unknown:
        labels = dict(ApproverRoleKind.choices)
        raise InvalidInput(
            "These roles do not approve this gate: "
            + ", ".join(str(labels.get(r, r)) for r in sorted(unknown))
            + ".",
            field="approvers",
        )
    by_user: dict[int, ResolvedApprover] = {}
    seats: dict[str, list[Any]] = {}
    missing: list[str] = []
    for role in roles:
        users = list(dict.fromkeys(named.get(role.role) or _holders_of(role.role, use_case, chair)))
        if not users:
            missing.append(
                f"Nobody holds the role “{role.get_role_display()}” for this use case; "
                "name an approver for it."
            )
            continue
        seats[role.role] = users
        for user in users:
            if not user.is_active:
                raise InvalidInput(
                    _("%(get_username)s is not an active user.")
                    % {"get_username": user.get_username()},
                    field="approvers",
                )
            entry = by_user.setdefault(user.pk, ResolvedApprover(user=user, roles=[]))
            entry.roles.append(role.role)
    if missing:
        raise TransitionRefused(_("The gate's approvers cannot be named yet."), missing)
    reasons = rules.seating_refusals(
        use_case=use_case,
        chair=chair,
        seats=seats,
        min_approvers=template.min_approvers,
        team=team_roles(use_case),
    )
    if reasons:
        message = "These approvers would not keep the gate's duties apart."
        if named:
            raise InvalidInput(message, reasons, field="approvers")
        raise TransitionRefused(message, reasons)
    return list(by_user.values())


def clean_planned_date(planned_date: Any) -> datetime.date:
    """A planned gate date: a real day (or YYYY-MM-DD), today or later."""
    if isinstance(planned_date, str):
        try:
            planned_date = datetime.date.fromisoformat(planned_date)
        except ValueError:
            raise InvalidInput(
                _("The planned date must be a day, as YYYY-MM-DD."), field="planned_date"
            ) from None
    if not isinstance(planned_date, datetime.date) or isinstance(planned_date, datetime.datetime):
        raise InvalidInput(_("The planned date is required."), field="planned_date")
    if planned_date < timezone.localdate():
        raise InvalidInput(_("The planned date cannot be in the past."), field="planned_date")
    return planned_date


@transaction.atomic
def review_open(
    *,
    use_case: UseCase,
    by: Any,
    approvers: dict[str, Iterable[Any]] | None = None,
    planned_date: datetime.date | None = None,
    trigger: str = ReviewTrigger.MANUAL,
    trigger_detail: str = "",
) -> GateReview:
    """Open the next gate's review, snapshotting the template as it is now,
    with the day its gate meeting is planned for when known. At Scale the
    next gate is the Recertification; ``trigger`` says why it opened (a lead,
    the schedule, a drift breach, an incident) and ``trigger_detail`` names
    the breach or incident."""
    if trigger not in ReviewTrigger.values:
        raise InvalidInput(
            _("Trigger must be one of: %(values)s.") % {"values": ", ".join(ReviewTrigger.values)},
            field="trigger",
        )
    if planned_date is not None:
        planned_date = clean_planned_date(planned_date)
    use_case = _lock_use_case(use_case.pk)
    _ensure_not_killed(use_case)
    if not access.is_program_lead(by):
        raise PermissionRefused(_("Only a program lead opens and chairs gate reviews."))
    if use_case.status == Status.ON_HOLD:
        raise TransitionRefused(
            _("This use case is on hold."), [_("Resume it before opening a gate review.")]
        )
    try:
        template = GateTemplate.objects.prefetch_related(
            "criteria", "criteria__controls", "approver_roles", "artifact_types"
        ).get(from_stage=use_case.stage)
    except GateTemplate.DoesNotExist:
        raise TransitionRefused(
            _("There is no gate after %(label)s.") % {"label": Stage(use_case.stage).label},
            [_("Scale is the last stage of the framework.")],
        ) from None
    existing = GateReview.objects.filter(use_case=use_case, status__in=OPEN_REVIEW_STATUSES).first()
    if existing is not None:
        raise TransitionRefused(
            _("This use case already has an open review."),
            [
                _("%(gate_label)s review #%(pk)s: %(status)s.")
                % {
                    "gate_label": existing.gate_label,
                    "pk": existing.pk,
                    "status": existing.get_status_display(),
                }
            ],
        )
    resolved = resolve_approvers(template=template, use_case=use_case, chair=by, named=approvers)
    try:
        with transaction.atomic():
            review = GateReview.objects.create(
                use_case=use_case,
                template=template,
                template_version=template.version,
                min_approvers=template.min_approvers,
                gate_number=template.number,
                from_stage=template.from_stage,
                to_stage=template.to_stage,
                chair=by,
                planned_date=planned_date,
                trigger=trigger,
                trigger_detail=(trigger_detail or "").strip()[:300],
            )
    except IntegrityError:
        # Another lead opened one between our check and insert.
        raise TransitionRefused(_("This use case already has an open review.")) from None
    recycled = _recycled_review(use_case, template)
    # Only the criteria and artifact types whose applicability rule holds for
    # this use case, each with why (empty when it always applies).
    facts = applicability.facts_of(use_case)
    judged_criteria = [j for j in applicability.judge(template.criteria.all(), facts) if j.applies]
    judged_types = [
        j
        for j in applicability.judge(template.artifact_types.all(), facts)
        if j.applies and j.row.is_active and j.row.required
    ]
    criteria = ReviewCriterion.objects.bulk_create(
        ReviewCriterion(
            review=review,
            source=c,
            order=c.order,
            name=c.name,
            requirement=c.requirement,
            must_meet=c.must_meet,
            applicability=reason,
        )
        for c, reason in ((j.row, j.reason) for j in judged_criteria)
    )
    # The controls each criterion cites, as they stand now: one insert.
    ReviewCriterion.controls.through.objects.bulk_create(
        ReviewCriterion.controls.through(reviewcriterion_id=rc.pk, control_id=control.pk)
        for rc, j in zip(criteria, judged_criteria, strict=True)
        for control in j.row.controls.all()
    )
    carried: list[dict[str, Any]] = []
    if recycled is not None:
        review.carried_from = recycled
        review.save(update_fields=["carried_from"])
        carried = _carry_over(recycled, criteria)
    ReviewArtifactRequirement.objects.bulk_create(
        ReviewArtifactRequirement(
            review=review, artifact_type=j.row, order=j.row.order, applicability=j.reason
        )
        for j in judged_types
    )
    ReviewApprover.objects.bulk_create(
        ReviewApprover(review=review, user=a.user, roles=a.roles) for a in resolved
    )
    touch(use_case)
    payload: dict[str, Any] = {
        "gate": template.number,
        "template_version": template.version,
        "approvers": {a.user.get_username(): a.roles for a in resolved},
    }
    if planned_date is not None:
        payload["planned_date"] = planned_date.isoformat()
    if trigger != ReviewTrigger.MANUAL:
        payload.update(trigger=trigger, trigger_detail=review.trigger_detail)
    conditional = [j for j in (*judged_criteria, *judged_types) if j.conditional]
    if conditional:
        payload["applicable"] = [f"{j.row.name}: {j.reason}" for j in conditional]
    if recycled is not None:
        payload.update(carried_from=recycled.pk, carried_over=carried)
    audit_record(
        actor=by,
        action="review.opened",
        summary=f"Opened the {template.label} review (template v{template.version})"
        + (f", planned for {planned_date:%d %b %Y}" if planned_date else "")
        + (
            f"; {ReviewTrigger(trigger).label.lower()}: {review.trigger_detail}"
            if trigger != ReviewTrigger.MANUAL and review.trigger_detail
            else ""
        ),
        use_case=use_case,
        obj=review,
        payload=payload,
    )
    emit_on_commit(events.REVIEW_OPENED, review_id=review.pk, opened_by_id=by.pk)
    return review


@transaction.atomic
def review_reschedule(
    *, review: GateReview, by: Any, planned_date: datetime.date, reason: str
) -> GateReview:
    """Set or move the day the gate meeting is planned for: the chair or a
    program lead, with a reason, while the review is not decided."""
    use_case, review = _lock_review(review.pk)
    refusal = rules.reschedule_refusal(by, review)
    if refusal is not None:
        raise refusal
    planned_date = clean_planned_date(planned_date)
    if planned_date == review.planned_date:
        raise InvalidInput(_("That is already the planned date."), field="planned_date")
    reason = clean_reason(reason, required="A reason is required to change the planned date.")
    before = review.planned_date
    review.planned_date = planned_date
    review.save(update_fields=["planned_date", "updated_at"])
    touch(use_case, review)
    audit_record(
        actor=by,
        action="review.rescheduled",
        summary=(
            f"Planned the {review.gate_label} review for {planned_date:%d %b %Y}"
            + (f" (was {before:%d %b %Y})" if before else "")
            + f": {reason}"
        ),
        use_case=use_case,
        obj=review,
        payload={
            "before": before.isoformat() if before else None,
            "after": planned_date.isoformat(),
            "reason": reason,
        },
    )
    return review


def _recycled_review(use_case: UseCase, template: GateTemplate) -> GateReview | None:
    """The use case's latest review when it was this same gate, decided
    Recycle: the new review starts from its assessments."""
    latest = (
        GateReview.objects.filter(use_case=use_case, status=ReviewStatus.DECIDED)
        .order_by("-decided_at", "-id")
        .first()
    )
    if latest is None or latest.decision != Decision.RECYCLE:
        return None
    if latest.gate_number != template.number:
        return None
    return latest


def _carry_over(recycled: GateReview, criteria: Sequence[ReviewCriterion]) -> list[dict[str, Any]]:
    """Copy each assessed criterion of the recycled review (matched by its
    template criterion, else by name) into the new review's criterion, marked
    as carried over: status, evidence, linked artifacts, who assessed it and
    when. A criterion another app assessed from data (a KPI rule) is not
    carried: that app assesses the new one again. What was carried, for the
    audit payload."""
    previous = list(
        ReviewCriterion.objects.filter(review=recycled)
        .exclude(status=AssessmentStatus.PENDING)
        .prefetch_related("artifacts")
        .order_by("order", "id")
    )
    by_source = {c.source_id: c for c in previous if c.source_id is not None}
    by_name = {c.name: c for c in previous}
    carried: list[dict[str, Any]] = []
    links = []
    changed = []
    for criterion in criteria:
        old = by_source.get(criterion.source_id) or by_name.get(criterion.name)
        if old is None or any(guard(old) is not None for guard in ASSESSMENT_GUARDS):
            continue
        criterion.status = old.status
        criterion.evidence = old.evidence
        criterion.assessed_by_id = old.assessed_by_id
        criterion.assessed_at = old.assessed_at
        criterion.carried_from = old
        criterion.carried_over = True
        changed.append(criterion)
        artifact_ids = [a.pk for a in old.artifacts.all()]
        links.extend(
            ReviewCriterion.artifacts.through(reviewcriterion_id=criterion.pk, artifact_id=pk)
            for pk in artifact_ids
        )
        carried.append(
            {
                "criterion": criterion.name,
                "from": old.pk,
                "status": old.status,
                "artifacts": artifact_ids,
            }
        )
    ReviewCriterion.objects.bulk_update(
        changed,
        ["status", "evidence", "assessed_by", "assessed_at", "carried_from", "carried_over"],
    )
    ReviewCriterion.artifacts.through.objects.bulk_create(links)
    return carried


@transaction.atomic
def criterion_assess(
    *,
    review: GateReview,
    criterion: ReviewCriterion,
    by: Any,
    status: str,
    evidence: str = "",
    artifacts: Iterable[Artifact] | None = None,
    by_hand: bool = True,
) -> ReviewCriterion:
    """Record a criterion's assessment. ``by_hand=False`` is for an app that
    assesses from data (readiness, from a KPI rule); a criterion that such an
    app has claimed (``register_assessment_guard``) refuses hand assessments."""
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    if criterion.review_id != review.pk:
        raise InvalidInput(_("That criterion belongs to another review."), field="criterion")
    refusal = rules.assess_refusal(by, review)
    if refusal is not None:
        raise refusal
    if by_hand:
        for guard in ASSESSMENT_GUARDS:
            refusal = guard(criterion)
            if refusal is not None:
                raise refusal
    if status not in AssessmentStatus.values or status == AssessmentStatus.PENDING:
        allowed = [s for s in AssessmentStatus.values if s != AssessmentStatus.PENDING]
        raise InvalidInput(
            _("Status must be one of: %(allowed)s.") % {"allowed": ", ".join(allowed)},
            field="status",
        )
    if len(evidence) > 10000:
        raise InvalidInput(_("The evidence is longer than 10,000 characters."), field="evidence")
    artifact_list = list(artifacts or [])
    foreign = [a for a in artifact_list if a.use_case_id != use_case.pk]
    if foreign:
        raise InvalidInput(_("Linked artifacts must belong to this use case."), field="artifacts")
    criterion = ReviewCriterion.objects.select_for_update().get(pk=criterion.pk)
    # Omitted artifacts keep the links the criterion has, and those count.
    has_artifacts = bool(artifact_list) if artifacts is not None else criterion.artifacts.exists()
    refusal = rules.assessment_evidence_refusal(
        status=status, evidence=evidence, has_artifacts=has_artifacts
    )
    if refusal is not None:
        raise refusal
    before = {"status": criterion.status, "evidence": criterion.evidence}
    criterion.status = status
    criterion.evidence = evidence
    criterion.assessed_by = by
    criterion.assessed_at = timezone.now()
    # Assessed in this review: no longer the recycled review's starting point.
    criterion.carried_over = False
    criterion.save(
        update_fields=["status", "evidence", "assessed_by", "assessed_at", "carried_over"]
    )
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


ExpiredLatest = dict[int, tuple[int, datetime.date]]


def expired_latest(
    use_case_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, ExpiredLatest]:
    """Per use case, the artifact types whose latest version has expired:
    ``{use_case_id: {type_id: (version, expired_on)}}``, in one query (the
    latest versions of the types that have a validity)."""
    today = today or timezone.localdate()
    rows = (
        with_expiry(
            Artifact.objects.filter(
                use_case_id__in=list(use_case_ids),
                is_latest=True,
                artifact_type__validity_months__isnull=False,
            )
        )
        .filter(expiry__lte=today)
        .order_by()
        .values_list("use_case_id", "artifact_type_id", "version", "expiry")
    )
    expired: dict[int, ExpiredLatest] = {}
    for use_case_id, type_id, version, expiry in rows:
        expired.setdefault(use_case_id, {})[type_id] = (version, expiry)
    return expired


_UNREAD = object()


def submission_blockers(
    review: GateReview,
    *,
    required: Sequence[ReviewArtifactRequirement] | None = None,
    present: set[int] | None = None,
    criteria: Sequence[ReviewCriterion] | None = None,
    expired: ExpiredLatest | None = None,
    risk: Any = _UNREAD,
    fields: Sequence[Any] | None = None,
) -> list[str]:
    """What stops this review being submitted, in words a sponsor acts on.

    A page that has already read the requirements (with their types), the
    artifact type ids present, the criteria (in order), the required types
    whose latest version has expired (``expired_latest``) and, for Gate 1,
    the latest risk classification (or None) and the active custom field
    definitions (``custom_fields.active_fields``) passes them in."""
    reasons: list[str] = []
    # Gate 1 needs the risk classification decided by risk and compliance,
    # and no prohibited practice in it.
    if review.gate_number == 1:
        if risk is _UNREAD:
            risk = usecase_selectors.risk_latest([review.use_case_id]).get(review.use_case_id)
        blocker = usecase_selectors.risk_gate_blocker(risk)
        if blocker:
            reasons.append(blocker)
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
    if expired is None:
        expired = expired_latest([review.use_case_id]).get(review.use_case_id, {})
    for requirement in required:
        if requirement.artifact_type_id not in present:
            reasons.append(
                _("Missing artifact: %(name)s") % {"name": requirement.artifact_type.name}
            )
        elif requirement.artifact_type_id in expired:
            version, expired_on = expired[requirement.artifact_type_id]
            reasons.append(
                _(
                    "Expired artifact: %(name)s v%(version)s expired on %(day)s; "
                    "upload a current version"
                )
                % {
                    "name": requirement.artifact_type.name,
                    "version": version,
                    "day": date_format(expired_on, "d M Y"),
                }
            )
    for criterion in criteria:
        if criterion.status == AssessmentStatus.PENDING:
            reasons.append(_("Criterion not assessed: %(name)s") % {"name": criterion.name})
    # Custom fields required from the review's target stage (or an earlier
    # one): "required from POC" holds back the Gate 1 review into POC.
    if fields is None:
        fields = custom_fields.active_fields()
    reasons.extend(
        custom_fields.required_message(field)
        for field in custom_fields.missing_for_target(
            fields, review.use_case.custom_values, review.to_stage
        )
    )
    return reasons


@transaction.atomic
def review_submit(*, review: GateReview, by: Any) -> GateReview:
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    if review.status != ReviewStatus.OPEN:
        raise TransitionRefused(
            _("Only an open review can be submitted."),
            [_("The review is %(status)s.") % {"status": review.get_status_display().lower()}],
        )
    if not rules.can_submit(by, review):
        raise PermissionRefused(
            _("Only the use case's sponsor, technical lead or a program lead submits a review.")
        )
    reasons = submission_blockers(review)
    if reasons:
        raise TransitionRefused(_("The review cannot be submitted yet."), reasons)
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
        summary=f"Submitted the {review.gate_label} review for approval",
        use_case=use_case,
        obj=review,
        payload={
            "pinned": {
                str(a.artifact_type_id): [a.pk, a.version, a.sha256] for a in latest.values()
            }
        },
    )
    emit_on_commit(events.REVIEW_SUBMITTED, review_id=review.pk)
    return review
