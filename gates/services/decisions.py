"""The chair's gate decision, resuming a use case on hold, closing conditions."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core import events
from core.audit import audit_checkpoint, audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.events import emit_on_commit
from core.validators import single_line
from core.web import display_name, valid_id
from gates import rules
from gates.models import (
    ApprovalDecision,
    AssessmentStatus,
    ConditionStatus,
    Decision,
    DecommissioningStatus,
    DecommissioningStep,
    ExitKind,
    ExitReason,
    GateCondition,
    GateReview,
    ReviewApprover,
    ReviewCriterion,
    ReviewStatus,
    StageTransition,
    add_months,
)
from gates.services._base import (
    DECISION_CHECKS,
    GO_CHECKS,
    _ensure_not_killed,
    _lock_review,
    _lock_use_case,
    touch,
)
from gates.services.conditions import (
    clean_conditions,
    conditions_create,
    describe,
    proposals_to_adopt,
)
from usecases import access
from usecases.models import (
    MemberRole,
    Stage,
    Status,
    UseCase,
    UseCaseMember,
    recertification_months,
)

MAX_ATTENDEES = 200
MAX_DECOMMISSIONING_NOTE = 1000
MAX_LESSONS_LEARNED = 5000
# The decisions that end a use case: each names why, from the taxonomy, and
# what the portfolio should learn from it.
ENDING_DECISIONS = (Decision.KILL, Decision.RETIRE)

KILL_ON_RECERTIFICATION = (
    "A use case in operation is retired, not killed: record Retire with its "
    "decommissioning checklist."
)
RETIRE_ON_GATE = "Retire ends a use case in operation; Kill is for gates 1-4."


PARTIAL_REASON = gettext_noop(
    "Must-meet criterion “{name}” is partially met: Go needs it met; Conditional Go needs "
    "a condition attached to it."
)


@dataclass(frozen=True)
class GoReadiness:
    """What stands between the review and Go or Conditional Go. A must-meet
    criterion only partially met blocks Go; it allows Conditional Go when a
    condition of the decision is attached to it."""

    head: list[str]
    criteria: list[tuple[int | None, str]]  # (partially met criterion id, reason)
    checks: list[str]
    # The registered decision checks' reasons against Go and against
    # Conditional Go with the conditions given to go_readiness (none on a page).
    against_go: list[str] = field(default_factory=list)
    against_conditional_go: list[str] = field(default_factory=list)

    @property
    def partially_met(self) -> list[int]:
        return [pk for pk, _reason in self.criteria if pk is not None]

    def for_go(self) -> list[str]:
        return [
            *self.head,
            *(reason for _pk, reason in self.criteria),
            *self.checks,
            *self.against_go,
        ]

    def for_conditional_go(self, covered: Collection[int]) -> list[str]:
        """The reasons left when the conditions cover these criteria."""
        return [
            *self.head,
            *(reason for pk, reason in self.criteria if pk is None or pk not in covered),
            *self.checks,
            *self.against_conditional_go,
        ]


def go_readiness(
    review: GateReview,
    *,
    approvers: Sequence[ReviewApprover] | None = None,
    criteria: Sequence[ReviewCriterion] | None = None,
    conditions: Sequence[str] = (),
) -> GoReadiness:
    """A page that has read the approvers (with users, by id) and the criteria
    (in order) passes them in. ``conditions``: the descriptions of the
    conditions a Conditional Go would record (none on a page, so the page
    says which conditions the decision checks ask for)."""
    head: list[str] = []
    if review.status == ReviewStatus.OPEN:
        head.append(_("The review has not been submitted."))
    elif review.status == ReviewStatus.DECIDED:
        return GoReadiness([_("The gate has already been decided.")], [], [])
    if approvers is None:
        approvers = list(review.approvers.select_related("user", "decided_by").order_by("id"))
    if criteria is None:
        criteria = list(review.criteria.order_by("order", "id"))
    approved = {row.user_id for row in approvers if row.has_approved}
    undecided = any(not row.has_approved for row in approvers)
    # Pending and rejecting approvers are named below; the minimum is the
    # reason only when it is what is left.
    if len(approved) < review.min_approvers and not undecided:
        head.append(
            ngettext(
                "%(gate)s needs the approval of at least %(minimum)s distinct people; "
                "%(count)s has approved.",
                "%(gate)s needs the approval of at least %(minimum)s distinct people; "
                "%(count)s have approved.",
                len(approved),
            )
            % {"gate": review.gate_label, "minimum": review.min_approvers, "count": len(approved)}
        )
    for row in approvers:
        if row.decision == ApprovalDecision.PENDING:
            head.append(_("%(who)s has not approved yet.") % {"who": display_name(row.user)})
        elif row.decision == ApprovalDecision.REJECT:
            head.append(
                _("%(who)s rejected: %(comment)s") % {"who": row.decided_as, "comment": row.comment}
            )
    criteria_reasons: list[tuple[int | None, str]] = []
    for criterion in criteria:
        if not criterion.must_meet or criterion.status == AssessmentStatus.MET:
            continue
        if criterion.status == AssessmentStatus.PARTIALLY_MET:
            criteria_reasons.append((criterion.pk, _(PARTIAL_REASON).format(name=criterion.name)))
        else:
            criteria_reasons.append(
                (
                    None,
                    _("Must-meet criterion “%(name)s” is %(status)s.")
                    % {
                        "name": criterion.name,
                        "status": criterion.get_status_display().lower(),
                    },
                )
            )
    checks = [reason for check in GO_CHECKS for reason in check(review)]
    against_go = [reason for check in DECISION_CHECKS for reason in check(review, Decision.GO, ())]
    against_conditional_go = [
        reason
        for check in DECISION_CHECKS
        for reason in check(review, Decision.CONDITIONAL_GO, conditions)
    ]
    return GoReadiness(head, criteria_reasons, checks, against_go, against_conditional_go)


def go_blockers(
    review: GateReview,
    *,
    approvers: Sequence[ReviewApprover] | None = None,
    criteria: Sequence[ReviewCriterion] | None = None,
) -> list[str]:
    """Why Go cannot be recorded now; empty when it can."""
    return go_readiness(review, approvers=approvers, criteria=criteria).for_go()


def _clean_meeting(
    review: GateReview,
    by: Any,
    *,
    meeting_date: Any,
    attendees: Iterable[Any],
    guests: str,
    minutes: str,
) -> dict[str, Any]:
    """The gate meeting the decision was taken in: its day (the day of
    recording unless given; not ahead, not before the review opened), who
    attended (the person recording always did), guests without an account
    and the minutes."""
    today = timezone.localdate()
    if meeting_date in (None, ""):
        meeting_date = today
    if isinstance(meeting_date, str):
        try:
            meeting_date = datetime.date.fromisoformat(meeting_date)
        except ValueError:
            raise InvalidInput(
                _("The meeting date must be YYYY-MM-DD."), field="meeting_date"
            ) from None
    if not isinstance(meeting_date, datetime.date):
        raise InvalidInput(_("The meeting date must be a date."), field="meeting_date")
    if meeting_date > today:
        raise InvalidInput(_("The meeting date is in the future."), field="meeting_date")
    opened = timezone.localdate(review.opened_at)
    if meeting_date < opened:
        raise InvalidInput(
            _("The meeting cannot be before the review opened (%(opened)s).")
            % {"opened": f"{opened:%d %b %Y}"},
            field="meeting_date",
        )
    people = {by.pk: by}
    for person in attendees:
        if not getattr(person, "is_active", False):
            raise InvalidInput(
                _("%(person)s is not an active user.")
                % {"person": getattr(person, "username", person)},
                field="attendees",
            )
        people.setdefault(person.pk, person)
    if len(people) > MAX_ATTENDEES:
        raise InvalidInput(
            _("At most %(MAX_ATTENDEES)s attendees.") % {"MAX_ATTENDEES": MAX_ATTENDEES},
            field="attendees",
        )
    guests = (guests or "").strip()
    if len(guests) > 500:
        raise InvalidInput(_("The guests are longer than 500 characters."), field="guests")
    try:
        single_line(guests)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field="guests") from None
    minutes = (minutes or "").strip()
    if len(minutes) > 20000:
        raise InvalidInput(_("The minutes are longer than 20,000 characters."), field="minutes")
    return {
        "meeting_date": meeting_date,
        "attendees": list(people.values()),
        "guests": guests,
        "minutes": minutes,
    }


@transaction.atomic
def gate_decide(
    *,
    review: GateReview,
    by: Any,
    decision: str,
    rationale: str = "",
    conditions: Iterable[dict[str, Any]] = (),
    adopt: Iterable[Any] = (),
    meeting_date: datetime.date | str | None = None,
    attendees: Iterable[Any] = (),
    guests: str = "",
    minutes: str = "",
    decommissioning: Iterable[Mapping[str, Any]] | None = None,
    exit_reason: ExitReason | int | str | None = None,
    lessons_learned: str = "",
) -> GateReview:
    """The chair's gate decision, with the record of the gate meeting it was
    taken in. Conditional Go carries conditions: the chair's own and the
    approvers' proposals the chair adopts (``adopt``, their ids). Go and
    Conditional Go move the use case to the next stage in this same
    transaction; on a recertification they keep it in operation with the
    next one due. Retire (recertifications only) carries the decommissioning
    checklist as answered (``decommissioning``: every active step once,
    ``{"step": id, "status": "done" | "not_applicable", "note": str}``) and
    ends the use case; Kill is for gates 1-4. Kill and Retire name why
    (``exit_reason``: an active ``ExitReason`` that applies to the decision,
    given as the row, its id or its code) and what was learned
    (``lessons_learned``, required: a record nobody fills in teaches nothing)."""
    use_case, review = _lock_review(review.pk)
    _ensure_not_killed(use_case)
    if decision not in Decision.values:
        raise InvalidInput(
            _("Decision must be one of: %(values)s.") % {"values": ", ".join(Decision.values)},
            field="decision",
        )
    refusal = rules.decision_refusal(by, review)
    if refusal is not None:
        raise refusal
    if decision == Decision.KILL and review.is_recertification:
        raise TransitionRefused(
            _("Kill cannot be recorded on a recertification."), [KILL_ON_RECERTIFICATION]
        )
    if decision == Decision.RETIRE and not review.is_recertification:
        raise TransitionRefused(
            _("Retire cannot be recorded at %(gate_label)s.") % {"gate_label": review.gate_label},
            [RETIRE_ON_GATE],
        )
    rationale = (rationale or "").strip()
    if (
        decision in (Decision.HOLD, Decision.RECYCLE, Decision.KILL, Decision.RETIRE)
        and not rationale
    ):
        raise InvalidInput(
            _("A rationale is required to record %(label)s.") % {"label": Decision(decision).label},
            field="rationale",
        )
    if len(rationale) > 10000:
        raise InvalidInput(_("The rationale is longer than 10,000 characters."), field="rationale")
    checklist: list[dict[str, Any]] = []
    if decision == Decision.RETIRE:
        checklist = clean_decommissioning(decommissioning)
    elif decommissioning:
        raise InvalidInput(
            _("Only Retire carries the decommissioning checklist."), field="decommissioning"
        )
    reason, lessons = clean_exit(decision, exit_reason, lessons_learned)
    conditional = decision == Decision.CONDITIONAL_GO
    condition_rows = clean_conditions(conditions, review=review)
    adopted = proposals_to_adopt(
        review=review,
        adopt=adopt,
        decision_label=Decision(decision).label,
        conditional=conditional,
    )
    if conditional and not (condition_rows or adopted):
        raise InvalidInput(
            _("Conditional Go needs at least one condition with an owner and a due date."),
            field="conditions",
        )
    if not conditional and condition_rows:
        raise InvalidInput(_("Only Conditional Go carries conditions."), field="conditions")
    meeting = _clean_meeting(
        review, by, meeting_date=meeting_date, attendees=attendees, guests=guests, minutes=minutes
    )
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        described = [row["description"] for row in condition_rows]
        described += [p.description for p in adopted]
        readiness = go_readiness(review, conditions=described)
        covered = {row["criterion"].pk for row in condition_rows if row["criterion"] is not None}
        covered |= {p.criterion_id for p in adopted if p.criterion_id is not None}
        reasons = readiness.for_conditional_go(covered) if conditional else readiness.for_go()
        if reasons:
            raise TransitionRefused(
                _("%(label)s cannot be recorded yet.") % {"label": Decision(decision).label},
                reasons,
            )

    now = timezone.now()
    review.status = ReviewStatus.DECIDED
    review.decision = decision
    review.rationale = rationale
    review.decided_at = now
    review.decided_by = by
    review.meeting_date = meeting["meeting_date"]
    review.meeting_guests = meeting["guests"]
    review.minutes = meeting["minutes"]
    review.decommissioning = checklist
    review.exit_reason = reason
    review.lessons_learned = lessons
    review.save(
        update_fields=[
            "decommissioning",
            "exit_reason",
            "lessons_learned",
            "status",
            "decision",
            "rationale",
            "decided_at",
            "decided_by",
            "meeting_date",
            "meeting_guests",
            "minutes",
            "updated_at",
        ]
    )
    review.meeting_attendees.set(meeting["attendees"])
    created_conditions = conditions_create(review=review, rows=condition_rows, adopted=adopted)
    changes: dict[str, Any] = {"last_activity_at": now}
    passed = decision in (Decision.GO, Decision.CONDITIONAL_GO)
    if passed and review.is_recertification:
        # Recertified: still in operation, the next one due a tier's interval on.
        changes.update(status=Status.ACTIVE, recertification_due_on=next_recertification(use_case))
    elif passed:
        changes.update(stage=review.to_stage, stage_entered_at=now, status=Status.ACTIVE)
        if review.to_stage == Stage.SCALE:
            changes.update(
                operating_owner=use_case.operating_owner or default_operating_owner(use_case, by),
                recertification_due_on=next_recertification(use_case),
            )
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
    elif decision == Decision.RETIRE:
        changes.update(status=Status.RETIRED, recertification_due_on=None)
    # The only writer of stage and status besides usecase_resume.
    UseCase.objects.filter(pk=use_case.pk).update(**changes)
    touch(use_case, review)
    summary = f"{review.gate_label}: {Decision(decision).label}"
    if passed and review.is_recertification:
        summary += f"; recertified, next due {changes['recertification_due_on']:%d %b %Y}"
    elif passed:
        summary += f"; moved to {Stage(review.to_stage).label}"
    elif decision == Decision.RETIRE:
        summary += "; retired"
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
            "to_stage": review.to_stage if passed else None,
            "operating_owner": (
                changes["operating_owner"].get_username() if "operating_owner" in changes else None
            ),
            "recertification_due_on": (
                changes["recertification_due_on"].isoformat()
                if changes.get("recertification_due_on")
                else None
            ),
            "decommissioning": checklist,
            "exit_reason": (
                {"code": reason.code, "label": reason.label} if reason is not None else None
            ),
            "lessons_learned": lessons,
            "conditions": [{"id": c.pk, **describe(c)} for c in created_conditions],
            "adopted": {str(p.pk): p.adopted_as_id for p in adopted},
            # The template's setting as it stood when the decision was taken.
            "enforce_scorecard_bands": review.template.enforce_scorecard_bands,
            "meeting": {
                "date": meeting["meeting_date"].isoformat(),
                "attendees": sorted(u.get_username() for u in meeting["attendees"]),
                "guests": meeting["guests"],
                "minutes": meeting["minutes"],
            },
        },
    )
    # The chain's head leaves the database with every decision. The decision
    # is committed by then: a checkpoint that fails (the database gone a
    # moment later) is logged, beat writes the next, and the answer and the
    # events that follow are not lost to it (robust).
    transaction.on_commit(
        lambda: audit_checkpoint(reason=f"{review.gate_label} decided on review #{review.pk}"),
        robust=True,
    )
    emit_on_commit(
        events.GATE_DECIDED, review_id=review.pk, condition_ids=[c.pk for c in created_conditions]
    )
    return review


def exit_reasons_for(decision: str) -> list[ExitReason]:
    """The active reasons a Kill or Retire may give, in order."""
    kind = ExitKind.KILL if decision == Decision.KILL else ExitKind.RETIRE
    return list(
        ExitReason.objects.filter(is_active=True, applies_to__in=[kind, ExitKind.BOTH]).order_by(
            "order", "id"
        )
    )


def _find_exit_reason(value: Any) -> ExitReason | None:
    """The reason named by a row, an id or a code; None when none is."""
    if isinstance(value, ExitReason):
        pk = value.pk
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
        pk = valid_id(value)
    elif isinstance(value, str):
        return ExitReason.objects.filter(code=value.strip()[:40]).first()
    else:
        return None
    return ExitReason.objects.filter(pk=pk).first() if pk is not None else None


def clean_exit(
    decision: str, exit_reason: ExitReason | int | str | None, lessons_learned: str | None
) -> tuple[ExitReason | None, str]:
    """The reason and lessons of a Kill or Retire as they will be kept. The
    reason is read again from the database, so a reason switched off or
    narrowed since the form was drawn is refused."""
    lessons = lessons_learned if isinstance(lessons_learned, str) else ""
    lessons = lessons.strip()
    given = exit_reason not in (None, "")
    if decision not in ENDING_DECISIONS:
        if given:
            raise InvalidInput(_("Only Kill and Retire carry an exit reason."), field="exit_reason")
        if lessons:
            raise InvalidInput(
                _("Only Kill and Retire carry lessons learned."), field="lessons_learned"
            )
        return None, ""
    label = Decision(decision).label
    allowed = exit_reasons_for(decision)
    named = ", ".join(f"{r.label} ({r.code})" for r in allowed) or "none is active"
    if not given:
        raise InvalidInput(
            _("%(label)s needs an exit reason; one of: %(named)s.")
            % {"label": label, "named": named},
            field="exit_reason",
        )
    reason = _find_exit_reason(exit_reason)
    if reason is None:
        raise InvalidInput(
            _("Unknown exit reason “%(exit_reason)s”; %(label)s takes one of: %(named)s.")
            % {"exit_reason": f"{exit_reason!s:.40}", "label": label, "named": named},
            field="exit_reason",
        )
    if not reason.is_active:
        raise InvalidInput(
            _(
                "The exit reason “%(reason)s” is no longer in use; %(decision)s takes one "
                "of: %(named)s."
            )
            % {"reason": reason.label, "decision": label, "named": named},
            field="exit_reason",
        )
    if reason not in allowed:
        raise InvalidInput(
            _(
                "“%(reason)s” is a reason to %(kind)s, not to %(verb)s; %(decision)s "
                "takes one of: %(named)s."
            )
            % {
                "reason": reason.label,
                "kind": ExitKind(reason.applies_to).label.lower(),
                "verb": label.lower(),
                "decision": label,
                "named": named,
            },
            field="exit_reason",
        )
    if not lessons:
        raise InvalidInput(
            _("%(label)s needs a short record of the lessons learned.") % {"label": label},
            field="lessons_learned",
        )
    if len(lessons) > MAX_LESSONS_LEARNED:
        raise InvalidInput(
            _("The lessons learned are longer than %(MAX_LESSONS_LEARNED)s characters.")
            % {"MAX_LESSONS_LEARNED": f"{MAX_LESSONS_LEARNED:,}"},
            field="lessons_learned",
        )
    return reason, lessons


def clean_decommissioning(answers: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The decommissioning checklist of a Retire as it will be kept: every
    active step answered once, in the steps' order, each entry a snapshot of
    the step's text. Each problem is refused naming the step."""
    steps = {step.pk: step for step in DecommissioningStep.objects.order_by("order", "id")}
    if answers is None or isinstance(answers, (str, bytes, Mapping)):
        answers = [] if answers is None else [answers]
    answered: dict[int, dict[str, Any]] = {}
    for index, answer in enumerate(answers, start=1):
        if not isinstance(answer, Mapping):
            raise InvalidInput(
                _("Decommissioning answer %(index)s must name a step, a status and a note.")
                % {"index": index},
                field="decommissioning",
            )
        pk = valid_id(answer.get("step"))
        step = steps.get(pk) if pk is not None else None
        if step is None:
            raise InvalidInput(
                _("Unknown decommissioning step: %(step)s.")
                % {"step": f"{answer.get('step')!s:.40}"},
                field="decommissioning",
            )
        if not step.is_active:
            raise InvalidInput(
                _("Decommissioning step “%(text)s” is no longer in use.") % {"text": step.text},
                field="decommissioning",
            )
        if step.pk in answered:
            raise InvalidInput(
                _("Decommissioning step “%(text)s” is answered more than once.")
                % {"text": step.text},
                field="decommissioning",
            )
        status = answer.get("status")
        if status not in DecommissioningStatus.values:
            raise InvalidInput(
                _("Decommissioning step “%(text)s”: say whether it is done or not applicable.")
                % {"text": step.text},
                field="decommissioning",
            )
        note = answer.get("note") or ""
        if not isinstance(note, str):
            raise InvalidInput(
                _("Decommissioning step “%(text)s”: the note must be text.") % {"text": step.text},
                field="decommissioning",
            )
        note = note.strip()
        if len(note) > MAX_DECOMMISSIONING_NOTE:
            raise InvalidInput(
                _(
                    "Decommissioning step “%(text)s”: the note is longer than "
                    "%(MAX_DECOMMISSIONING_NOTE)s characters."
                )
                % {"text": step.text, "MAX_DECOMMISSIONING_NOTE": f"{MAX_DECOMMISSIONING_NOTE:,}"},
                field="decommissioning",
            )
        if status == DecommissioningStatus.NOT_APPLICABLE and not note:
            raise InvalidInput(
                _("Decommissioning step “%(text)s” is not applicable: say why in its note.")
                % {"text": step.text},
                field="decommissioning",
            )
        answered[step.pk] = {"step": step.pk, "text": step.text, "status": status, "note": note}
    for step in steps.values():
        if step.is_active and step.pk not in answered:
            raise InvalidInput(
                _(
                    "Decommissioning step “%(text)s” is not answered: Retire needs every "
                    "step done or not applicable."
                )
                % {"text": step.text},
                field="decommissioning",
            )
    return [answered[pk] for pk in steps if pk in answered]


def next_recertification(use_case: UseCase, on: datetime.date | None = None) -> datetime.date:
    """The day a use case's next recertification is due when it enters
    operation or is recertified on ``on`` (today): its tier's interval on."""
    return add_months(on or timezone.localdate(), recertification_months(use_case.risk_tier))


def default_operating_owner(use_case: UseCase, chair: Any) -> Any:
    """Who answers for a use case entering operation unless a lead names
    someone else: its first sponsor (the framework's owner of the outcome),
    else its first technical lead, else the chair of Gate 4."""
    for role in (MemberRole.SPONSOR, MemberRole.TECHNICAL_LEAD):
        member = (
            UseCaseMember.objects.filter(use_case=use_case, role=role, user__is_active=True)
            .select_related("user")
            .order_by("added_at", "id")
            .first()
        )
        if member is not None:
            return member.user
    return chair


@transaction.atomic
def usecase_resume(*, use_case: UseCase, by: Any, note: str = "") -> UseCase:
    use_case = _lock_use_case(use_case.pk)
    _ensure_not_killed(use_case)
    if not access.is_program_lead(by):
        raise PermissionRefused(_("Only a program lead resumes a use case on hold."))
    if use_case.status != Status.ON_HOLD:
        raise TransitionRefused(_("Only a use case on hold can be resumed."))
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
        raise PermissionRefused(_("Only the condition's owner or a program lead closes it."))
    if condition.status == ConditionStatus.CLOSED:
        raise TransitionRefused(_("This condition is already closed."))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("A note saying how the condition was met is required."), field="note")
    condition.status = ConditionStatus.CLOSED
    condition.closed_note = note
    condition.closed_at = timezone.now()
    condition.closed_by = by
    condition.save(update_fields=["status", "closed_note", "closed_at", "closed_by"])
    # The review's packs show the condition: they are stale from now on.
    touch(use_case, GateReview(pk=condition.review_id))
    audit_record(
        actor=by,
        action="condition.closed",
        summary=f"Closed condition: {condition.description[:120]}",
        use_case=use_case,
        obj=condition,
        payload={"note": note},
    )
    return condition
