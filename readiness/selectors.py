"""Reads of a use case's readiness, shaped for pages, the API and the PDF pack.

``readiness_summary`` is the one read of "how ready is this use case for its
next gate": the use-case page, the review page, the API and the gate pack all
use it, and its query count does not grow with criteria, KPIs or measurements.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from core.web import display_name
from gates.models import (
    OPEN_REVIEW_STATUSES,
    ApprovalDecision,
    Artifact,
    AssessmentStatus,
    GateReview,
    GateTemplate,
    gate_label,
)
from gates.read_model import ReviewRead, review_read
from readiness.models import (
    ChecklistGroup,
    ChecklistItem,
    ChecklistItemDefinition,
    ChecklistStatus,
    Kpi,
    KpiMeasurement,
    PocScore,
    PocScorecard,
    Prioritization,
    PriorityDimension,
    ScorecardBand,
    ScorecardItem,
    StageNorm,
    format_value,
)
from readiness.services import (
    items_to_improve,
    prioritization_weights,
    priority_score,
)
from readiness.svg import kpi_sparkline_svg
from usecases.models import Stage, Status, UseCase

SPARKLINE_POINTS = 24


def stalled_after_days() -> int:
    return int(settings.STALLED_AFTER_DAYS)


# --- Portfolio annotations -------------------------------------------------


def annotate_priority_score(qs: QuerySet[UseCase]) -> QuerySet[UseCase]:
    """Annotate ``priority_score``: the weighted prioritization score on the
    1-5 scale, NULL where the use case has not been scored. Sort with
    ``F("priority_score").desc(nulls_last=True)``."""
    weights = prioritization_weights()
    total = sum(weights.values())
    expression: Any = None
    for dimension, weight in weights.items():
        term = Cast(F(f"prioritization__{dimension}"), FloatField()) * Value(weight / total)
        expression = term if expression is None else expression + term
    return qs.annotate(priority_score=ExpressionWrapper(expression, output_field=FloatField()))


def annotate_overdue_stalled(
    qs: QuerySet[UseCase], now: datetime.datetime | None = None
) -> QuerySet[UseCase]:
    """Annotate ``is_overdue`` (longer in its stage than the norm's upper
    bound) and ``is_stalled`` (no activity for STALLED_AFTER_DAYS days). Only
    active use cases are either: on hold is a decision, killed is the end; a
    use case operating at Scale is never stalled (it is due for recertification)."""
    now = now or timezone.now()
    overdue: Q | None = None
    for stage, max_days in StageNorm.objects.values_list("stage", "max_days"):
        condition = Q(stage=stage, stage_entered_at__lt=now - datetime.timedelta(days=max_days))
        overdue = condition if overdue is None else overdue | condition
    # In operation at Scale a use case is never stalled: it is due for
    # recertification on a schedule instead.
    stalled = Q(
        status=Status.ACTIVE,
        last_activity_at__lt=now - datetime.timedelta(days=stalled_after_days()),
    ) & ~Q(stage=Stage.SCALE)
    overdue_expression: Any = (
        ExpressionWrapper(Q(status=Status.ACTIVE) & overdue, output_field=BooleanField())
        if overdue is not None
        else Value(False, output_field=BooleanField())
    )
    return qs.annotate(
        is_overdue=overdue_expression,
        is_stalled=ExpressionWrapper(stalled, output_field=BooleanField()),
    )


# --- The summary -----------------------------------------------------------


@dataclass(frozen=True)
class RecertificationDue:
    """Where a use case in operation stands against its next recertification
    (in operation, the words a page shows instead of the stage's timing)."""

    due_on: datetime.date | None
    today: datetime.date

    @property
    def days_left(self) -> int | None:
        return None if self.due_on is None else (self.due_on - self.today).days

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.today > self.due_on

    @property
    def days_overdue(self) -> int:
        return max(0, -(self.days_left or 0))

    @property
    def due_soon(self) -> bool:
        left = self.days_left
        return left is not None and 0 <= left <= settings.RECERTIFICATION_NOTICE_DAYS

    @property
    def label(self) -> str:
        """``Recertification due on 2 Jun 2027`` or ``… overdue by 3 days``."""
        if self.due_on is None:
            return gettext("No recertification scheduled")
        if self.overdue:
            days = self.days_overdue
            return ngettext(
                "Recertification overdue by %(days)s day",
                "Recertification overdue by %(days)s days",
                days,
            ) % {"days": days}
        return gettext("Recertification due on %(day)s") % {
            "day": date_format(self.due_on, "DATE_FORMAT")
        }


def recertification_due(
    use_case: UseCase, today: datetime.date | None = None
) -> RecertificationDue | None:
    """None unless the use case is in operation (at Scale, not ended)."""
    if not use_case.is_operating:
        return None
    return RecertificationDue(use_case.recertification_due_on, today or timezone.localdate())


@dataclass(frozen=True)
class StageTiming:
    days_in_stage: int
    norm: StageNorm | None
    overdue: bool
    stalled: bool
    days_since_activity: int
    stalled_after_days: int
    # In operation: the next recertification, shown instead of stage timing.
    recertification: RecertificationDue | None = None

    @property
    def norm_text(self) -> str:
        return self.norm.describe() if self.norm else gettext("no norm")


@dataclass(frozen=True)
class CriterionLine:
    id: int
    name: str
    must_meet: bool
    status: str
    status_display: str
    evidence: str
    kpi_rule: str  # "Pilot adoption ≥ 60%", or "" when assessed by hand


@dataclass(frozen=True)
class CriteriaSummary:
    total: int
    met: int
    lines: list[CriterionLine]
    must_meet_open: list[str]


@dataclass(frozen=True)
class ArtifactSummary:
    required: int
    present: list[str]
    missing: list[str]


@dataclass(frozen=True)
class ApprovalSummary:
    total: int
    approved: int
    pending: list[str]
    rejected: list[str]


@dataclass(frozen=True)
class ScoreLine:
    item: ScorecardItem
    score: int
    comment: str


@dataclass(frozen=True)
class ScorecardSummary:
    version: int
    total: int
    band: str
    band_display: str
    scored_at: datetime.datetime
    scored_by: str
    lines: list[ScoreLine]
    improve_first: list[str]


@dataclass(frozen=True)
class ChecklistLine:
    definition: ChecklistItemDefinition
    item: ChecklistItem | None

    @property
    def status(self) -> str:
        return self.item.status if self.item else ChecklistStatus.OPEN

    @property
    def status_display(self) -> str:
        return ChecklistStatus(self.status).label


@dataclass(frozen=True)
class ChecklistGroupLines:
    group: str
    label: str
    lines: list[ChecklistLine]


@dataclass(frozen=True)
class ChecklistSummary:
    started: bool
    total: int
    done: int
    not_applicable: int
    open_items: list[str]
    groups: list[ChecklistGroupLines]

    @property
    def complete(self) -> bool:
        return self.started and not self.open_items

    @property
    def closed(self) -> int:
        return self.done + self.not_applicable


def kpi_target_word(on_target: bool | None) -> str:
    """The one wording of a KPI's state against its target, on the pages and
    in the gate pack alike: "on target" or "off target" whichever way the KPI
    is better (a lower-is-better KPI above its target is off target, not
    "below" it); empty before the first measurement."""
    if on_target is None:
        return ""
    return gettext("on target") if on_target else gettext("off target")


@dataclass(frozen=True)
class KpiLine:
    kpi: Kpi
    latest: KpiMeasurement | None
    on_target: bool | None
    points: list[tuple[datetime.date, Decimal]]
    sparkline: str

    @property
    def latest_text(self) -> str:
        if self.latest is None:
            return gettext("no measurement yet")
        return format_value(self.latest.value, self.kpi.unit)

    @property
    def target_text(self) -> str:
        return format_value(self.kpi.target, self.kpi.unit)

    @property
    def target_word(self) -> str:
        return kpi_target_word(self.on_target)

    @property
    def baseline_text(self) -> str:
        return "—" if self.kpi.baseline is None else format_value(self.kpi.baseline, self.kpi.unit)


@dataclass(frozen=True)
class KpiSummary:
    lines: list[KpiLine]

    @property
    def measured(self) -> int:
        return sum(1 for line in self.lines if line.latest is not None)

    @property
    def on_target(self) -> int:
        return sum(1 for line in self.lines if line.on_target)


@dataclass(frozen=True)
class PrioritizationSummary:
    prioritization: Prioritization
    score: Decimal
    lines: list[tuple[str, str, int, str]] = field(default_factory=list)  # code, label, score, why


@dataclass(frozen=True)
class ReadinessSummary:
    use_case: UseCase
    gate_number: int | None  # the gate ahead (at Scale the Recertification's)
    review: GateReview | None  # the open review of that gate, if any
    criteria: CriteriaSummary | None
    artifacts: ArtifactSummary | None
    approvals: ApprovalSummary | None
    scorecard: ScorecardSummary | None
    checklist: ChecklistSummary
    kpis: KpiSummary
    prioritization: PrioritizationSummary | None
    timing: StageTiming

    @property
    def gate_label(self) -> str:
        """``Gate 3``, or ``Recertification`` for a use case in operation."""
        if self.gate_number is None:
            return ""
        stage = self.use_case.stage
        return gate_label(self.gate_number, stage, stage if stage == Stage.SCALE else "")


def stage_timing(
    use_case: UseCase, norm: StageNorm | None, now: datetime.datetime | None = None
) -> StageTiming:
    now = now or timezone.now()
    days = use_case.days_in_stage_at(now)
    idle = max((now - use_case.last_activity_at).days, 0)
    active = use_case.status == Status.ACTIVE
    operating = use_case.stage == Stage.SCALE
    after = stalled_after_days()
    return StageTiming(
        days_in_stage=days,
        norm=norm,
        overdue=active
        and norm is not None
        and now - use_case.stage_entered_at > datetime.timedelta(days=norm.max_days),
        stalled=active
        and not operating
        and now - use_case.last_activity_at > datetime.timedelta(days=after),
        days_since_activity=idle,
        stalled_after_days=after,
        recertification=recertification_due(use_case, timezone.localdate(now)),
    )


def _criteria(read: ReviewRead | None, template: GateTemplate | None) -> CriteriaSummary | None:
    if read is not None:
        lines = [
            CriterionLine(
                id=row.pk,
                name=row.name,
                must_meet=row.must_meet,
                status=row.status,
                status_display=row.get_status_display(),
                evidence=row.evidence,
                kpi_rule=row.kpi_rule.label if getattr(row, "kpi_rule", None) else "",
            )
            for row in read.criteria
        ]
        return CriteriaSummary(
            total=len(lines), met=read.criteria_met, lines=lines, must_meet_open=read.must_meet_open
        )
    if template is None:
        return None
    lines = [
        CriterionLine(
            id=0,
            name=c.name,
            must_meet=c.must_meet,
            status=AssessmentStatus.PENDING,
            status_display=AssessmentStatus.PENDING.label,
            evidence="",
            kpi_rule="",
        )
        for c in template.criteria.all()
    ]
    return CriteriaSummary(
        total=len(lines),
        met=0,
        lines=lines,
        must_meet_open=[line.name for line in lines if line.must_meet],
    )


def _artifacts(
    use_case: UseCase, read: ReviewRead | None, template: GateTemplate | None
) -> ArtifactSummary | None:
    if read is not None:
        return ArtifactSummary(
            required=len(read.required),
            present=read.artifacts_present,
            missing=read.artifacts_missing,
        )
    if template is None:
        return None
    types = [t for t in template.artifact_types.all() if t.is_active and t.required]
    present_ids = set(
        Artifact.objects.filter(use_case=use_case, artifact_type__in=types)
        .values_list("artifact_type_id", flat=True)
        .distinct()
    )
    return ArtifactSummary(
        required=len(types),
        present=[t.name for t in types if t.pk in present_ids],
        missing=[t.name for t in types if t.pk not in present_ids],
    )


def _approvals(read: ReviewRead | None) -> ApprovalSummary | None:
    if read is None:
        return None
    rows = read.approvers
    return ApprovalSummary(
        total=len(rows),
        approved=sum(1 for r in rows if r.has_approved),
        pending=[display_name(r.user) for r in rows if r.decision == ApprovalDecision.PENDING],
        rejected=[display_name(r.user) for r in rows if r.decision == ApprovalDecision.REJECT],
    )


def _scorecard(use_case: UseCase) -> ScorecardSummary | None:
    scorecard = (
        PocScorecard.objects.filter(use_case=use_case)
        .select_related("scored_by")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=PocScore.objects.select_related("item").order_by("item__order", "id"),
            )
        )
        .order_by("-version")
        .first()
    )
    if scorecard is None:
        return None
    lines = [ScoreLine(s.item, s.score, s.comment) for s in scorecard.scores.all()]
    improve = (
        [item.name for item in items_to_improve([(line.item, line.score) for line in lines])]
        if scorecard.band == ScorecardBand.CONDITIONAL
        else []
    )
    return ScorecardSummary(
        version=scorecard.version,
        total=scorecard.total,
        band=scorecard.band,
        band_display=scorecard.get_band_display(),
        scored_at=scorecard.scored_at,
        scored_by=display_name(scorecard.scored_by),
        lines=lines,
        improve_first=improve,
    )


def _checklist(use_case: UseCase) -> ChecklistSummary:
    # The active items, each with the use case's answer joined (none before
    # the checklist is started): one query.
    definitions = (
        ChecklistItemDefinition.objects.filter(is_active=True)
        .annotate(answer=FilteredRelation("answers", condition=Q(answers__use_case=use_case)))
        .select_related("answer", "answer__owner", "answer__updated_by")
        .order_by("number")
    )
    lines = [ChecklistLine(d, getattr(d, "answer", None)) for d in definitions]
    groups = [
        ChecklistGroupLines(
            group.value, group.label, [line for line in lines if line.definition.group == group]
        )
        for group in ChecklistGroup
    ]
    return ChecklistSummary(
        started=any(line.item is not None for line in lines),
        total=len(lines),
        done=sum(1 for line in lines if line.status == ChecklistStatus.DONE),
        not_applicable=sum(1 for line in lines if line.status == ChecklistStatus.NOT_APPLICABLE),
        open_items=[line.definition.text for line in lines if line.status == ChecklistStatus.OPEN],
        groups=groups,
    )


def _kpis(use_case: UseCase) -> KpiSummary:
    kpis = list(Kpi.objects.filter(use_case=use_case).order_by("name", "id"))
    if not kpis:
        return KpiSummary(lines=[])
    # The most recent points of every KPI in one query, however long the history.
    recent = (
        KpiMeasurement.objects.filter(kpi__use_case=use_case)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("kpi_id")],
                order_by=[F("measured_at").desc(), F("id").desc()],
            )
        )
        .filter(recency__lte=SPARKLINE_POINTS)
        .order_by("kpi_id", "measured_at", "id")
    )
    by_kpi: dict[int, list[KpiMeasurement]] = {}
    for measurement in recent:
        by_kpi.setdefault(measurement.kpi_id, []).append(measurement)
    lines = []
    for kpi in kpis:
        history = by_kpi.get(kpi.pk, [])
        latest = history[-1] if history else None
        points = [(m.measured_at, m.value) for m in history]
        lines.append(
            KpiLine(
                kpi=kpi,
                latest=latest,
                on_target=None if latest is None else kpi.meets_target(latest.value),
                points=points,
                sparkline=kpi_sparkline_svg(points, kpi.target),
            )
        )
    return KpiSummary(lines=lines)


def _prioritization(use_case: UseCase) -> PrioritizationSummary | None:
    prioritization = Prioritization.objects.filter(use_case=use_case).first()
    if prioritization is None:
        return None
    return PrioritizationSummary(
        prioritization=prioritization,
        score=priority_score(prioritization.scores()),
        lines=[
            (
                d.value,
                d.label,
                getattr(prioritization, d.value),
                getattr(prioritization, f"{d.value}_rationale"),
            )
            for d in PriorityDimension
        ],
    )


def readiness_summary(
    *,
    use_case: UseCase,
    now: datetime.datetime | None = None,
    read: ReviewRead | None = None,
    review_parts: bool = True,
    template: GateTemplate | None = None,
) -> ReadinessSummary:
    """How ready the use case is for the gate ahead of it: criteria met,
    artifacts present, approvals recorded (from the open review, or the gate
    template before one is opened), the PoC scorecard's band, the checklist's
    completion, the KPIs against their targets, the prioritization and the
    time in stage against its norm.

    The open review's part comes from ``read``, the one read model of a
    review (``gates.read_model.review_read``); a caller that has it passes it,
    else it is read here. A caller that knows no review is open and has read
    the gate ahead passes its ``template``, with its criteria and artifact
    types prefetched. The review page, which shows criteria, artifacts and
    approvals in full, asks for the summary without them
    (``review_parts=False``)."""
    if read is None and review_parts and template is None:
        open_review_id = (
            GateReview.objects.filter(use_case=use_case, status__in=OPEN_REVIEW_STATUSES)
            .values_list("pk", flat=True)
            .first()
        )
        if open_review_id is not None:
            read = review_read(open_review_id)
    if read is None and review_parts and template is None:
        template = (
            GateTemplate.objects.filter(from_stage=use_case.stage)
            .prefetch_related("criteria", "artifact_types")
            .first()
        )
    review = read.review if read is not None else None
    gate_number = review.gate_number if review else (template.number if template else None)
    norm = StageNorm.objects.filter(stage=use_case.stage).first()
    return ReadinessSummary(
        use_case=use_case,
        gate_number=gate_number,
        review=review,
        criteria=_criteria(read, template) if review_parts else None,
        artifacts=_artifacts(use_case, read, template) if review_parts else None,
        approvals=_approvals(read) if review_parts else None,
        scorecard=_scorecard(use_case),
        checklist=_checklist(use_case),
        kpis=_kpis(use_case),
        prioritization=_prioritization(use_case),
        timing=stage_timing(use_case, norm, now),
    )


def scorecard_items() -> list[ScorecardItem]:
    return list(ScorecardItem.objects.filter(is_active=True).order_by("order", "id"))
