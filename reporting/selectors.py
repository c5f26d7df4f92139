"""Reads of the reporting app: the data a gate pack renders, the pack panel of
the review page, the executive dashboard and the portfolio export.

Query counts stay fixed whatever the number of criteria, artifacts, approvers,
audit events, use cases or packs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from core.models import AuditEvent
from core.web import display_name
from gates.models import (
    OPEN_REVIEW_STATUSES,
    Decision,
    GateReview,
    ReviewStatus,
    ReviewTrigger,
    add_months,
    late_reviews_q,
)
from gates.read_model import review_read
from gates.selectors import ExpiringArtifact, expiring_evidence
from operations.models import DriftBreach, Incident
from readiness.models import OPERATOR_SYMBOLS, StageNorm, format_value
from readiness.selectors import (
    annotate_overdue_stalled,
    annotate_priority_score,
    readiness_summary,
    stalled_after_days,
)
from reporting import dashboard_counts, pdf, rules
from reporting.dashboard_counts import OPERATING_Q
from reporting.models import IN_PROGRESS_STATUSES, GatePack
from reporting.pack_value import pack_value
from usecases import access, custom_fields
from usecases.models import (
    CustomFieldKind,
    MemberRole,
    RegulatoryConstraint,
    RiskTier,
    Stage,
    Status,
    UseCase,
    UseCaseMember,
)
from value import selectors as value_selectors

User = get_user_model()

AUDIT_EXCERPT_EVENTS = 200
PANEL_PACKS = 10
UPCOMING_REVIEWS = 20
ATTENTION_USE_CASES = 15
EXPIRING_EVIDENCE = 15
RECERTIFICATIONS_LISTED = 10
RETIRED_LISTED = 10
# Months of recertification decisions the "In operation" panel counts.
RECERTIFICATION_DECISION_MONTHS = 12
RECERTIFICATION_DECISIONS = (Decision.GO, Decision.CONDITIONAL_GO, Decision.HOLD, Decision.RETIRE)


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


# --- Visibility -----------------------------------------------------------------


def visible_pack(user: Any, pack_id: int) -> GatePack:
    """The pack if its use case is visible to ``user``; 404 otherwise."""
    try:
        return (
            GatePack.objects.filter(access.rows_visible_to(user, "review__use_case_id"))
            .with_stale()
            .select_related("review", "review__use_case", "requested_by")
            .get(pk=pack_id)
        )
    except GatePack.DoesNotExist:
        raise Http404("No such pack.") from None


def packs_of_review(review: GateReview, limit: int | None = PANEL_PACKS) -> list[GatePack]:
    packs = (
        GatePack.objects.filter(review=review)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")
    )
    if limit:
        # The total comes with the rows: a window runs before the LIMIT.
        packs = packs.annotate(total=Window(Count("id")))[:limit]
    packs = list(packs)
    for pack in packs:
        pack.review = review  # for download_name without a query
    mark_stale(packs, review)
    return packs


def mark_stale(packs: list[GatePack], review: GateReview) -> None:
    """Mark each pack of ``review`` stale when the review's pack data has
    changed since: its content hash differs from the hash of the pack data
    now, the same comparison ``services.pack_request`` makes. So anything
    the pack shows (a condition closed or added, an assessment, a KPI
    measurement) makes the older packs stale. One read of the pack data
    (about 20 queries) serves every pack; none when there is no pack."""
    if not packs:
        return
    # The pack data holds labels in the pack's language, so each language's
    # packs are compared with the data read in that language (usually one).
    digests = current_digests(review, {p.language for p in packs})
    for pack in packs:
        pack.stale = pack.content_hash != digests[pack.language]


def current_digests(review: GateReview, languages: set[str]) -> dict[str, str]:
    """``pack_digest`` in each of ``languages``, kept for
    ``PACK_STALENESS_CACHE_SECONDS`` under the use case's newest audit event:
    every recorded change of the use case (an assessment, an artifact, an
    approval, a condition, a decision, a KPI measurement, an edit) is an
    event of it, so the first view after one reads the pack data again. One
    indexed query instead of the pack data's twenty when nothing was
    recorded since. What changes the data without an event of the use case
    (a person's or a unit's name, a definition an administrator edits, the
    date) shows within those seconds. Requesting a pack always reads the
    data itself (``services.pack_request``)."""
    seconds = settings.PACK_STALENESS_CACHE_SECONDS
    if seconds <= 0:
        return {language: pack_digest(review, language) for language in languages}
    # Read before the data: a change committed in between moves the key
    # onward, so no reader can find an older state's digest under a newer key.
    newest = (
        AuditEvent.objects.filter(use_case_id=review.use_case_id)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    stamp = (newest, timezone.localdate(), timezone.get_current_timezone_name())
    return {
        language: cache.get_or_set(
            ":".join(map(str, ("pack-digest", review.pk, review.revision, language, *stamp))),
            lambda language=language: pack_digest(review, language),
            timeout=seconds,
        )
        for language in languages
    }


def pack_language(language: str | None = None) -> str:
    """The language a pack is written in: ``language`` (by default the one
    active now, the requester's) when the application offers it, else the
    default language."""
    try:
        return translation.get_supported_language_variant(
            language or translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:
        return settings.LANGUAGE_CODE


def pack_digest(review: GateReview, language: str) -> str:
    """The content hash of the review's pack data as a pack in ``language``
    shows it (labels such as statuses and decisions are read translated)."""
    with translation.override(language):
        return pdf.content_hash(pack_data(review))


def pack_panel(*, review: GateReview, user: Any, is_approver: bool | None = None) -> dict[str, Any]:
    """The context of ``reporting/partials/pack_panel.html``: the review's
    latest packs, whether the viewer may request one, and whether the panel
    should keep polling (only while a pack is queued or being generated).
    The caller has checked that ``user`` sees the review; a caller that has
    the review's approvers at hand passes ``is_approver`` and saves a query."""
    packs = packs_of_review(review)
    return {
        "pack_review": review,
        "packs": packs,
        "pack_total": packs[0].total if packs else 0,
        "pack_can_request": rules.can_request_pack(user, review, is_approver=is_approver),
        "pack_polling": any(p.status in IN_PROGRESS_STATUSES for p in packs),
    }


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


# --- Dashboard ---------------------------------------------------------------------


def quarter_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    local = timezone.localtime(now)
    first_month = 3 * ((local.month - 1) // 3) + 1
    start = local.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if first_month == 10
        else start.replace(month=first_month + 3)
    )
    return start, end


def quarter_label(now: datetime.datetime) -> str:
    local = timezone.localtime(now)
    return f"Q{(local.month - 1) // 3 + 1} {local.year}"


@dataclass
class StageRow:
    stage: Stage
    active: int = 0
    on_hold: int = 0
    killed: int = 0
    overdue: int = 0
    stalled: int = 0
    retired: int = 0
    # Scale only: operating use cases whose recertification is due within
    # RECERTIFICATION_NOTICE_DAYS, and those past their due date.
    recertification_due: int = 0
    recertification_overdue: int = 0
    median_days: float | None = None
    norm: StageNorm | None = None
    # Active and on hold, per risk tier (code -> count).
    risk_tiers: dict[str, int] = field(default_factory=dict)

    @property
    def in_stage(self) -> int:
        """Use cases still alive in this stage (active or on hold)."""
        return self.active + self.on_hold

    @property
    def is_operating_stage(self) -> bool:
        """Scale: use cases there operate; they are due for recertification,
        never overdue against a norm or stalled."""
        return self.stage == Stage.SCALE

    @property
    def gate_label(self) -> str:
        """The gate a use case killed in this stage was killed at."""
        if self.is_operating_stage:
            return gettext("Recertification")
        return gettext("Gate %(number)s") % {"number": self.stage.number}

    @property
    def risk_tier_counts(self) -> list[int]:
        """Counts in the order of ``RiskTier``: low, medium, high."""
        return [self.risk_tiers.get(tier, 0) for tier in RiskTier.values]

    @property
    def median_over_norm(self) -> bool:
        return (
            self.median_days is not None
            and self.norm is not None
            and self.median_days > self.norm.max_days
        )


@dataclass
class GateConversion:
    number: int
    from_stage: Stage
    to_stage: Stage
    reached: int
    passed: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.reached if self.reached else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


@dataclass
class UpcomingReview:
    review: GateReview
    latest_pack: GatePack | None


@dataclass
class Recertification:
    """An operating use case whose recertification is due soon or overdue,
    with its open recertification review if one is open."""

    use_case: UseCase
    due_on: datetime.date
    overdue: bool
    days: int  # days until due (negative: days overdue)
    open_review_id: int | None


@dataclass
class Operation:
    """The "In operation" panel: use cases operating at Scale and their
    recertifications."""

    operating: int = 0
    due: int = 0
    overdue: int = 0
    notice_days: int = 30
    # The most urgent, overdue first then soonest due (the first RECERTIFICATIONS_LISTED).
    urgent: list[Recertification] = field(default_factory=list)
    # Recertifications decided in the last 12 months: code, label, count.
    decisions: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def decisions_total(self) -> int:
        return sum(count for _, _, count in self.decisions)


@dataclass
class EndOfLife:
    """Retired against killed: an end of life after operating at Scale, and a
    loss in the pipeline at a gate."""

    retired: int = 0
    retired_last_year: int = 0
    # The latest retired, newest first: the use case with ``retired_at``.
    recently_retired: list[UseCase] = field(default_factory=list)
    killed: int = 0
    # Killed per gate: (gate label, stage label, count), in pipeline order.
    killed_by_gate: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class Dashboard:
    now: datetime.datetime
    quarter: str
    stages: list[StageRow]
    total: int
    killed: int
    conversions: list[GateConversion]
    decisions: list[tuple[str, str, int]]  # code, label, count
    attention: list[UseCase]
    overdue: int
    stalled: int
    upcoming: list[UpcomingReview]
    upcoming_total: int
    upcoming_late: int = 0
    stalled_after_days: int = 21
    # Use cases alive (active or on hold) per regulation: code, label, count.
    regulations: list[tuple[str, str, int]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # Evidence expired or expiring soon, soonest first (the first EXPIRING_EVIDENCE).
    expiring: list[ExpiringArtifact] = field(default_factory=list)
    expiring_limit: int = EXPIRING_EVIDENCE
    operation: Operation = field(default_factory=Operation)
    end_of_life: EndOfLife = field(default_factory=EndOfLife)

    @property
    def decisions_total(self) -> int:
        return sum(count for _, _, count in self.decisions)


def dashboard(*, user: Any, now: datetime.datetime | None = None) -> Dashboard:
    """The executive dashboard, in a fixed number of queries whatever the
    size of the portfolio. The caller has checked the user may see it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    notice_days = settings.RECERTIFICATION_NOTICE_DAYS
    due_by = today + datetime.timedelta(days=notice_days)
    visible = access.use_cases_visible_to(user)
    norms = {n.stage: n for n in StageNorm.objects.all()}
    flagged = annotate_overdue_stalled(visible, now=now)
    start, end = quarter_bounds(now)
    year_ago = timezone.make_aware(
        datetime.datetime.combine(
            add_months(today, -RECERTIFICATION_DECISION_MONTHS), datetime.time.min
        )
    )
    counted = dashboard_counts.counts(
        user=user,
        visible=visible,
        flagged=flagged,
        period=dashboard_counts.Period(
            now=now,
            today=today,
            due_by=due_by,
            quarter_start=start,
            quarter_end=end,
            recertified_since=year_ago,
            max_days={stage: norm.max_days for stage, norm in norms.items()},
            stalled_after_days=stalled_after_days(),
        ),
    )
    rows = {stage: StageRow(stage=stage, norm=norms.get(stage.value)) for stage in Stage.ordered()}
    for stage, entry in counted.stages.items():
        row = rows[Stage(stage)]
        row.active = entry[Status.ACTIVE]
        row.on_hold = entry[Status.ON_HOLD]
        row.killed = entry[Status.KILLED]
        row.retired = entry[Status.RETIRED]
        row.recertification_due = entry["recertification_due"]
        row.recertification_overdue = entry["recertification_overdue"]
        row.overdue = entry["overdue"]
        row.stalled = entry["stalled"]
        row.risk_tiers = {tier: entry[f"risk_{tier}"] for tier in RiskTier.values}
    for stage, days in counted.medians.items():
        rows[Stage(stage)].median_days = days
    total = sum(r.active + r.on_hold + r.killed + r.retired for r in rows.values())

    # Conversion: of the use cases that reached stage N, the share that passed
    # gate N (a Go or Conditional Go out of stage N). Every use case starts in
    # Discovery; the later stages are reached only through a transition.
    conversions = []
    for number, stage in enumerate(Stage.ordered()[:-1], start=1):
        conversions.append(
            GateConversion(
                number=number,
                from_stage=stage,
                to_stage=stage.next,
                reached=total if stage == Stage.DISCOVERY else counted.reached.get(stage, 0),
                passed=counted.passed.get(stage, 0),
            )
        )
    decided, recertified = counted.decided, counted.recertified
    # Retire is a recertification's decision only: the quarter's chart keeps
    # the five gate decisions unless a use case was retired this quarter.
    decisions = [
        (d.value, d.label, decided.get(d.value, 0))
        for d in Decision
        if d != Decision.RETIRE or decided.get(d.value)
    ]

    attention = list(
        flagged.filter(Q(is_overdue=True) | Q(is_stalled=True))
        .select_related("business_unit")
        .order_by("stage_entered_at", "id")[:ATTENTION_USE_CASES]
    )
    for use_case in attention:
        use_case.days_in_stage_now = use_case.days_in_stage_at(now)
        use_case.days_idle = max((now - use_case.last_activity_at).days, 0)
        use_case.norm = norms.get(use_case.stage)

    open_reviews = GateReview.objects.filter(
        access.rows_visible_to(user, "use_case_id"), status__in=OPEN_REVIEW_STATUSES
    )
    latest_pack = GatePack.objects.filter(review=OuterRef("pk")).order_by("-requested_at", "-id")
    upcoming_reviews = list(
        open_reviews.select_related("use_case", "use_case__business_unit", "chair")
        .annotate(latest_pack_id=Subquery(latest_pack.values("pk")[:1]))
        .order_by(F("submitted_at").asc(nulls_last=True), "opened_at", "id")[:UPCOMING_REVIEWS]
    )
    pack_ids = [r.latest_pack_id for r in upcoming_reviews if r.latest_pack_id]
    packs = {p.pk: p for p in GatePack.objects.filter(pk__in=pack_ids)} if pack_ids else {}
    upcoming = []
    for review in upcoming_reviews:
        pack = packs.get(review.latest_pack_id)
        if pack is not None:
            pack.review = review
        upcoming.append(UpcomingReview(review=review, latest_pack=pack))
    # The total and the late ones among them: from the rows read when they
    # are all there, else one aggregate (the same query the count was).
    if len(upcoming_reviews) < UPCOMING_REVIEWS:
        upcoming_total = len(upcoming_reviews)
        upcoming_late = sum(1 for r in upcoming_reviews if r.is_late_on(today))
    else:
        counts = open_reviews.aggregate(
            total=Count("pk"), late=Count("pk", filter=late_reviews_q(today))
        )
        upcoming_total, upcoming_late = counts["total"], counts["late"]

    stage_rows = [rows[s] for s in Stage.ordered()]
    scale = rows[Stage.SCALE]
    operation = Operation(
        operating=scale.in_stage,
        due=scale.recertification_due,
        overdue=scale.recertification_overdue,
        notice_days=notice_days,
        urgent=_urgent_recertifications(visible, today=today, due_by=due_by)
        if scale.recertification_due or scale.recertification_overdue
        else [],
        # The decisions a recertification takes, and any other it was given.
        decisions=[
            (d.value, d.label, recertified.get(d.value, 0))
            for d in Decision
            if d in RECERTIFICATION_DECISIONS or recertified.get(d.value)
        ],
    )
    retired = sum(r.retired for r in stage_rows)
    end_of_life = EndOfLife(
        retired=retired,
        retired_last_year=recertified.get(Decision.RETIRE, 0),
        recently_retired=_recently_retired(visible) if retired else [],
        killed=sum(r.killed for r in stage_rows),
        killed_by_gate=[(r.gate_label, r.stage.label, r.killed) for r in stage_rows],
    )
    return Dashboard(
        now=now,
        quarter=quarter_label(now),
        stages=stage_rows,
        total=total,
        killed=sum(r.killed for r in stage_rows),
        conversions=conversions,
        decisions=decisions,
        attention=attention,
        overdue=sum(r.overdue for r in stage_rows),
        stalled=sum(r.stalled for r in stage_rows),
        upcoming=upcoming,
        upcoming_total=upcoming_total,
        upcoming_late=upcoming_late,
        stalled_after_days=stalled_after_days(),
        expiring=expiring_evidence(user=user, today=today, limit=EXPIRING_EVIDENCE),
        regulations=[
            (code, label, counted.regulations[code]) for code, label in RegulatoryConstraint.choices
        ],
        operation=operation,
        end_of_life=end_of_life,
    )


def _urgent_recertifications(
    visible: QuerySet[UseCase], *, today: datetime.date, due_by: datetime.date
) -> list[Recertification]:
    """The operating use cases whose recertification is overdue or due by
    ``due_by``, most urgent first, each with its open recertification review:
    one query (the partial index on the due date of active Scale use cases)."""
    open_review = GateReview.objects.filter(
        use_case=OuterRef("pk"), status__in=OPEN_REVIEW_STATUSES, from_stage=F("to_stage")
    )
    rows = (
        visible.filter(OPERATING_Q, recertification_due_on__lte=due_by)
        .select_related("business_unit", "operating_owner")
        .annotate(open_review_id=Subquery(open_review.values("pk")[:1]))
        .order_by("recertification_due_on", "id")[:RECERTIFICATIONS_LISTED]
    )
    return [
        Recertification(
            use_case=use_case,
            due_on=use_case.recertification_due_on,
            overdue=use_case.recertification_due_on < today,
            days=(use_case.recertification_due_on - today).days,
            open_review_id=use_case.open_review_id,
        )
        for use_case in rows
    ]


def _recently_retired(visible: QuerySet[UseCase]) -> list[UseCase]:
    """The latest retired use cases, each with ``retired_at`` (the time of its
    Retire decision): one query."""
    retire = GateReview.objects.filter(
        use_case=OuterRef("pk"), status=ReviewStatus.DECIDED, decision=Decision.RETIRE
    ).order_by("-decided_at")
    return list(
        visible.filter(status=Status.RETIRED)
        .select_related("business_unit")
        .annotate(retired_at=Subquery(retire.values("decided_at")[:1]))
        .order_by(F("retired_at").desc(nulls_last=True), "-id")[:RETIRED_LISTED]
    )


# --- Portfolio export ----------------------------------------------------------------


def portfolio_export_rows(
    *, user: Any, now: datetime.datetime | None = None, fields: list[Any] | None = None
):
    """The visible use cases for the CSV export, streamed in chunks: each
    chunk brings its sponsors in one more query. A use case in operation
    has its operating owner and the day its next recertification is due;
    a retired one says so in its status, with no due date. Then one column
    per custom field of ``fields`` (the active ones, as ``export_columns``
    names them), written by ``custom_fields.format_value``."""
    now = now or timezone.now()
    fields = custom_fields.active_fields() if fields is None else fields
    # Person fields name people: every name read once, up front (one query),
    # so the count stays fixed whatever the rows.
    people = (
        {u.pk: custom_fields.person_text(u) for u in User.objects.all()}
        if any(custom.kind == CustomFieldKind.PERSON for custom in fields)
        else {}
    )
    queryset = annotate_priority_score(
        annotate_overdue_stalled(access.use_cases_visible_to(user), now=now)
    )
    sponsors = Prefetch(
        "members",
        queryset=UseCaseMember.objects.filter(role=MemberRole.SPONSOR)
        .select_related("user")
        .order_by("user__last_name", "user__username"),
        to_attr="sponsor_members",
    )
    stage_labels = dict(Stage.choices)
    status_labels = dict(Status.choices)
    risk_labels = dict(RiskTier.choices)
    for use_case in (
        queryset.select_related("business_unit", "operating_owner")
        .prefetch_related(sponsors)
        .order_by("id")
        .iterator(chunk_size=2000)
    ):
        score = use_case.priority_score
        yield [
            use_case.pk,
            use_case.title,
            use_case.business_unit.name,
            stage_labels.get(use_case.stage, use_case.stage),
            status_labels.get(use_case.status, use_case.status),
            risk_labels.get(use_case.risk_tier, use_case.risk_tier),
            "; ".join(use_case.regulatory_constraint_labels()),
            "; ".join(display_name(m.user) for m in use_case.sponsor_members),
            timezone.localtime(use_case.stage_entered_at).date().isoformat(),
            use_case.days_in_stage_at(now),
            "yes" if use_case.is_overdue else "no",
            "yes" if use_case.is_stalled else "no",
            "" if score is None else f"{score:.2f}",
            display_name(use_case.operating_owner),
            use_case.recertification_due_on.isoformat()
            if use_case.is_operating and use_case.recertification_due_on
            else "",
            *(
                custom_fields.format_value(
                    custom, (use_case.custom_values or {}).get(custom.key), people=people
                )
                for custom in fields
            ),
        ]


def export_columns(fields: list[Any]) -> list[str]:
    """The custom fields' column names in the export: ``cf_<key>``, as the
    portfolio's filters name them."""
    return [f"cf_{custom.key}" for custom in fields]
