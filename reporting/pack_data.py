"""The data a gate pack renders (``pack_data``): the review as its one read
model shows it (``gates.read_model.review_read``), the readiness summary, the
recertification and ending sections, the controls covered, the value section
and an excerpt of the audit trail, in a fixed number of queries whatever the
number of criteria, artifacts, approvers or audit events. The digest that
keys a pack's staleness is this data's content hash
(``selectors.pack_digest``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.models import AuditEvent
from core.web import display_name
from gates.models import Decision, GateReview, ReviewStatus, ReviewTrigger
from gates.read_model import review_read
from operations.models import DriftBreach, Incident
from readiness.models import OPERATOR_SYMBOLS, format_value
from readiness.selectors import readiness_summary
from reporting.pack_value import pack_value
from usecases import custom_fields
from usecases.models import MemberRole, RiskTier, Stage, Status, UseCase
from value import selectors as value_selectors

User = get_user_model()

AUDIT_EXCERPT_EVENTS = 200


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%d %b %Y %H:%M %Z")


def _day(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d %b %Y")


# --- The pack's data -----------------------------------------------------------------


def _controls_covered(read: Any) -> dict[str, Any]:
    """The pack's "Controls covered": each framework control the review's
    criteria and required artifacts cite, with their evidence, from the read
    already made (no query). Empty when nothing cites a control."""
    rows: dict[int, dict[str, Any]] = {}

    def row_of(control: Any) -> dict[str, Any]:
        return rows.setdefault(
            control.pk,
            {
                "framework": control.get_framework_display(),
                "reference": control.reference,
                "title": control.title,
                "evidence": [],
                "covered": False,
            },
        )

    for c in read.criteria:
        for control in c.cited_controls:
            row = row_of(control)
            row["evidence"].append(
                gettext("Criterion “%(name)s”: %(status)s")
                % {"name": c.name, "status": c.get_status_display().lower()}
            )
            row["covered"] = row["covered"] or c.status in ("met", "partially_met")
    for required in read.required:
        shown = required.shown
        for control in required.controls:
            row = row_of(control)
            row["evidence"].append(
                f"{required.artifact_type.name}: v{shown.version} {shown.original_name}"
                if shown is not None
                else f"{required.artifact_type.name}: not uploaded"
            )
            row["covered"] = row["covered"] or shown is not None
    if not rows:
        return {}
    return {
        "controls": sorted(
            rows.values(), key=lambda r: (r["framework"], _reference_order(r["reference"]))
        )
    }


def _reference_order(reference: str) -> tuple:
    parts = reference.replace("Art. ", "").replace(" ", ".").split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def pack_data(review: GateReview) -> dict[str, Any]:
    """Everything a gate pack shows, as plain JSON-ready data.

    The pack's content hash is computed from exactly this, so it holds no
    generation time and no pack id: the same review state gives the same hash."""
    # The one read model of a review: what the review page and the review
    # endpoint show, read the same way (criteria with their linked artifacts,
    # KPI rules and cited scorecards; pinned versions; approvals; conditions).
    read = review_read(review.pk)
    review = read.review
    use_case = read.use_case
    members = read.team
    criteria = read.criteria
    pinned_ids = {a.pk for a in read.pinned_artifacts}
    artifacts = read.use_case_artifacts
    approvers = read.approvers
    conditions = read.conditions
    audit = list(
        # Pack requests and results are left out: they say nothing about the
        # gate, and would change the content hash of every later pack.
        AuditEvent.objects.filter(use_case=use_case)
        .exclude(action__startswith="pack.")
        .select_related("actor")
        .order_by("-seq")[:AUDIT_EXCERPT_EVENTS]
    )
    readiness = readiness_summary(use_case=use_case, read=read, review_parts=False)
    stage_track = [
        {"label": step.stage.label, "state": step.state, "entered": _day(step.entered_at)}
        for step in read.track
    ]
    current = Stage(use_case.stage)
    value_section, spent = pack_value(use_case.pk)
    scorecard = readiness.scorecard
    checklist = readiness.checklist
    return {
        "use_case": {
            "id": use_case.pk,
            "title": use_case.title,
            "summary": use_case.summary,
            "business_problem": use_case.business_problem,
            "value_hypothesis": use_case.value_hypothesis,
            "quantified_outcome": use_case.quantified_outcome,
            "success_metrics": use_case.success_metrics,
            "business_unit": use_case.business_unit.name,
            "sponsors": [display_name(m.user) for m in members if m.role == MemberRole.SPONSOR],
            "technical_leads": [
                display_name(m.user) for m in members if m.role == MemberRole.TECHNICAL_LEAD
            ],
            "risk_tier": RiskTier(use_case.risk_tier).label,
            "regulatory_constraints": use_case.regulatory_constraint_labels(),
            "stage": current.label,
            "status": Status(use_case.status).label,
            "custom_fields": [
                {"label": row["label"], "text": row["text"]}
                for row in custom_fields.display_rows(read.custom_fields, use_case)
            ],
        },
        "review": {
            "id": review.pk,
            "revision": review.revision,
            "gate_number": review.gate_number,
            "gate_name": review.template.name,
            "template_version": review.template_version,
            "from_stage": Stage(review.from_stage).label,
            "to_stage": Stage(review.to_stage).label,
            "status": review.status,
            "status_display": ReviewStatus(review.status).label,
            "chair": display_name(review.chair),
            "opened_at": _when(review.opened_at),
            "submitted_at": _when(review.submitted_at),
            "submitted_by": display_name(review.submitted_by),
            "decision": review.decision,
            "decision_display": Decision(review.decision).label if review.decision else "",
            "rationale": review.rationale,
            "decided_at": _when(review.decided_at),
            "decided_by": display_name(review.decided_by),
            "meeting": {
                "date": _day(review.meeting_date),
                "attendees": [display_name(u) for u in read.meeting_attendees],
                "guests": review.meeting_guests,
                "minutes": review.minutes,
            },
        },
        **_recertification(review, use_case, readiness),
        **_ending(review, spent=spent),
        **value_section,
        "stage_track": stage_track,
        "criteria_summary": {
            "total": len(criteria),
            "met": read.criteria_met,
            "must_meet_open": read.must_meet_open,
        },
        "criteria": [
            {
                "number": index,
                "name": c.name,
                "requirement": c.requirement,
                "must_meet": c.must_meet,
                "status": c.status,
                "status_display": c.get_status_display(),
                "evidence": c.evidence,
                "assessed_by": display_name(c.assessed_by),
                "assessed_at": _when(c.assessed_at),
                "artifacts": [f"{a.artifact_type.name} v{a.version}" for a in c.linked]
                + [scorecard.label for scorecard in c.cited],
                "kpi_rule": c.kpi_rule.label if getattr(c, "kpi_rule", None) else "",
                # Still the assessment carried over from the recycled review
                # (only then: the pack data of other criteria, and so the
                # content hash of packs made before, stays as it was).
                **(
                    {"carried_from": c.carried_from.review_id}
                    if c.carried_over and c.carried_from
                    else {}
                ),
                # Why this use case faces the criterion (only when a rule
                # decided it: the other criteria's data stays as it was).
                **({"applicability": c.applicability} if c.applicability else {}),
            }
            for index, c in enumerate(criteria, start=1)
        ],
        **_controls_covered(read),
        "artifacts": [
            {
                "gate": a.artifact_type.template.number,
                # Only for the Recertification's evidence: the data of the
                # other artifacts, and so older packs' content hash, stays.
                **(
                    {"gate_label": a.artifact_type.template.label}
                    if a.artifact_type.template.is_recertification
                    else {}
                ),
                "type": a.artifact_type.name,
                "version": a.version,
                "file_name": a.original_name,
                "uploaded_by": display_name(a.uploaded_by),
                "uploaded_at": _when(a.uploaded_at),
                "size": a.size,
                "sha256": a.sha256,
                "pinned": a.pk in pinned_ids,
            }
            for a in artifacts
        ],
        "readiness": {
            "scorecard": None
            if scorecard is None
            else {
                "version": scorecard.version,
                "total": scorecard.total,
                "band": scorecard.band,
                "band_display": scorecard.band_display,
                "scored_at": _when(scorecard.scored_at),
                "scored_by": scorecard.scored_by,
                "lines": [
                    {"item": line.item.name, "score": line.score, "comment": line.comment}
                    for line in scorecard.lines
                ],
                "improve_first": scorecard.improve_first,
            },
            "checklist": {
                "started": checklist.started,
                "total": checklist.total,
                "done": checklist.done,
                "not_applicable": checklist.not_applicable,
                "groups": [
                    {
                        "label": group.label,
                        "lines": [
                            {
                                "number": line.definition.number,
                                "text": line.definition.text,
                                "status": line.status,
                                "status_display": line.status_display,
                                "evidence": line.item.evidence if line.item else "",
                            }
                            for line in group.lines
                        ],
                    }
                    for group in checklist.groups
                    if group.lines
                ],
            },
            "kpis": [
                {
                    "name": line.kpi.name,
                    "kind": line.kpi.get_kind_display(),
                    "direction": line.kpi.get_direction_display(),
                    "baseline": line.baseline_text,
                    "target": line.target_text,
                    "latest": line.latest_text,
                    "latest_on": _day(line.latest.measured_at) if line.latest else "",
                    "on_target": line.on_target,
                    "target_word": line.target_word,
                    "points": [[d.isoformat(), str(v)] for d, v in line.points],
                    "target_value": str(line.kpi.target),
                }
                for line in readiness.kpis.lines
            ],
            "timing": {
                "days_in_stage": readiness.timing.days_in_stage,
                "norm": readiness.timing.norm_text,
                "overdue": readiness.timing.overdue,
                "stalled": readiness.timing.stalled,
            },
        },
        "approvals": [
            {
                "name": display_name(a.user),
                # The holder's delegate who decided, if one did; then the
                # decision is shown as "Dana Delegate for Carl Cio".
                "decided_by": display_name(a.decided_by),
                "decided_as": a.decided_as or display_name(a.user),
                "roles": a.role_labels(),
                "decision": a.decision,
                "decision_display": a.get_decision_display(),
                "comment": a.comment,
                "decided_at": _when(a.decided_at),
            }
            for a in approvers
        ],
        "conditions": [
            {
                "description": c.description,
                "owner": display_name(c.owner),
                "due_date": _day(c.due_date),
                "status": c.status,
                "status_display": c.get_status_display(),
                "closed_note": c.closed_note,
                "closed_at": _when(c.closed_at),
                "criterion": c.criterion.name if c.criterion_id else "",
            }
            for c in conditions
        ],
        "proposed_conditions": [
            {
                "description": p.description,
                "owner": display_name(p.owner),
                "due_date": _day(p.due_date),
                "proposed_by": display_name(p.proposed_by),
                "criterion": p.criterion.name if p.criterion_id else "",
                "adopted": p.adopted_as_id is not None,
            }
            for p in read.proposals
        ],
        "audit": [
            {
                "seq": e.seq,
                "occurred_at": _when(e.occurred_at),
                "actor": display_name(e.actor) or "system",
                "action": e.action,
                "summary": e.summary,
            }
            for e in audit
        ],
    }


def _recertification(review: GateReview, use_case: UseCase, readiness: Any) -> dict[str, Any]:
    """A recertification pack's own data: why the review opened, the use
    case in operation (owner, next due date, monitored KPIs with their drift
    bound and latest value, the incidents and drift breaches since the
    previous recertification or Gate 4's decision, up to this review's
    decision) and, for a Retire, the decommissioning checklist as answered.
    Empty for the other gates, so their pack data (and content hash) is as
    before. Four queries: the owner, the previous passing decision, the
    incidents, the drift breaches."""
    if not review.is_recertification:
        return {}
    owner = (
        User.objects.filter(pk=use_case.operating_owner_id).first()
        if use_case.operating_owner_id
        else None
    )
    previous = (
        GateReview.objects.filter(
            use_case=use_case,
            to_stage=Stage.SCALE,
            status=ReviewStatus.DECIDED,
            decision__in=[Decision.GO, Decision.CONDITIONAL_GO],
            decided_at__lte=review.opened_at,
        )
        .exclude(pk=review.pk)
        .order_by("-decided_at", "-id")
        .values("from_stage", "to_stage", "decided_at")
        .first()
    )
    since = previous["decided_at"] if previous else None
    window = Q(review=review)
    if since is not None:
        window |= Q(reported_at__gte=since) | Q(occurred_on__gte=timezone.localtime(since).date())
    incidents = Incident.objects.filter(window, use_case=use_case)
    window = Q(review=review) | (Q(detected_at__gte=since) if since is not None else Q(pk=None))
    breaches = DriftBreach.objects.filter(window, use_case=use_case)
    if review.decided_at is not None:
        # A decided review's pack shows what the decision saw.
        incidents = incidents.filter(reported_at__lte=review.decided_at)
        breaches = breaches.filter(detected_at__lte=review.decided_at)
    monitored = [line for line in readiness.kpis.lines if line.kpi.is_monitored]
    data: dict[str, Any] = {
        "recertification": {
            "gate_label": review.gate_label,
            "trigger": review.trigger,
            "trigger_display": ReviewTrigger(review.trigger).label,
            "trigger_detail": review.trigger_detail,
        },
        "operation": {
            "owner": display_name(owner),
            "due_on": _day(use_case.recertification_due_on),
            "since": _day(since),
            "since_what": (
                ""
                if previous is None
                else gettext("the previous recertification")
                if previous["from_stage"] == previous["to_stage"]
                else gettext("Gate 4's decision")
            ),
            "monitored": [
                {
                    "name": line.kpi.name,
                    "bound": line.kpi.drift_label,
                    "latest": line.latest_text,
                    "latest_on": _day(line.latest.measured_at) if line.latest else "",
                    "breached": bool(line.latest and line.kpi.breaches_drift(line.latest.value)),
                }
                for line in monitored
            ],
            "incidents": [
                {
                    "title": i.title,
                    "severity": i.severity,
                    "severity_display": i.get_severity_display(),
                    "occurred_on": _day(i.occurred_on),
                    "description": i.description,
                    "reported_by": display_name(i.reported_by),
                    "opened_this_review": i.review_id == review.pk,
                }
                for i in incidents.select_related("reported_by").order_by("-occurred_on", "-id")
            ],
            "drift_breaches": [
                {
                    "kpi": b.kpi.name,
                    "value": format_value(b.value, b.kpi.unit),
                    "bound": f"{OPERATOR_SYMBOLS.get(b.operator, b.operator)} "
                    f"{format_value(b.threshold, b.kpi.unit)}",
                    "detected_at": _when(b.detected_at),
                    "opened_this_review": b.review_id == review.pk,
                }
                for b in breaches.select_related("kpi").order_by("-detected_at", "-id")
            ],
        },
    }
    if review.decision == Decision.RETIRE or review.decommissioning:
        data["decommissioning"] = [
            {
                "text": step.get("text", ""),
                "status": step.get("status", ""),
                "status_display": str(
                    DECOMMISSIONING_STATUS.get(step.get("status", ""), step.get("status", ""))
                ),
                "note": step.get("note", ""),
            }
            for step in review.decommissioning or []
        ]
    return data


DECOMMISSIONING_STATUS = {
    "done": gettext_lazy("Done"),
    "not_applicable": gettext_lazy("Not applicable"),
}


def _ending(review: GateReview, *, spent: Decimal) -> dict[str, Any]:
    """A Kill or Retire's reason, lessons learned and the money the use case
    had spent (its actual costs, read with the Value section), for the
    decision section. Empty for any other review."""
    if review.decision not in (Decision.KILL, Decision.RETIRE):
        return {}
    reason = review.exit_reason
    return {
        "ending": {
            "reason": reason.label if reason is not None else "",
            "reason_code": reason.code if reason is not None else "",
            "lessons_learned": review.lessons_learned,
            "spent": f"{spent:.2f}",
            "spent_display": f"{value_selectors.currency()} {spent:,.2f}",
        }
    }
