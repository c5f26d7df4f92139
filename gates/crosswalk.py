"""The controls crosswalk of a use case: for each framework (EU AI Act, ISO/IEC
42001, NIST AI RMF), each control the use case's gate reviews cite through
their criteria and required artifacts, with the evidence (the criterion's
assessment, the artifact versions, which review), and the controls that the
framework's rules say apply to it but that no evidence covers yet.

One read for the page, the API and the gate pack, in a fixed number of
queries (``usecase_controls``: eleven, whatever the number of reviews,
criteria, artifacts and controls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Prefetch

from gates import applicability
from gates.models import (
    Artifact,
    ArtifactType,
    AssessmentStatus,
    Control,
    ControlFramework,
    GateCriterion,
    GateReview,
    ReviewArtifactRequirement,
    ReviewCriterion,
)
from usecases.models import UseCase

# A criterion is evidence once assessed as at least partially met.
EVIDENCED_STATUSES = (AssessmentStatus.MET, AssessmentStatus.PARTIALLY_MET)


@dataclass
class CriterionEvidence:
    review: GateReview
    criterion: ReviewCriterion

    @property
    def evidenced(self) -> bool:
        return self.criterion.status in EVIDENCED_STATUSES


@dataclass
class ArtifactEvidence:
    review: GateReview
    artifact_type: ArtifactType
    applicability: str
    # The version the review pinned when submitted, else the latest upload.
    artifact: Artifact | None
    pinned: bool = False

    @property
    def evidenced(self) -> bool:
        return self.artifact is not None


class PendingKind(models.TextChoices):
    CRITERION = "criterion", "Criterion"
    ARTIFACT = "artifact", "Artifact"


@dataclass
class PendingRule:
    """A criterion or artifact type of a gate not reviewed yet that applies to
    the use case and cites the control."""

    gate_number: int
    kind: PendingKind
    name: str
    reason: str
    # "Gate 3" or "Recertification".
    gate_label: str = ""


@dataclass
class ControlRow:
    control: Control
    criteria: list[CriterionEvidence] = field(default_factory=list)
    artifacts: list[ArtifactEvidence] = field(default_factory=list)
    upcoming: list[PendingRule] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return any(e.evidenced for e in (*self.criteria, *self.artifacts))


@dataclass
class FrameworkGroup:
    framework: str
    label: str
    rows: list[ControlRow]

    @property
    def covered(self) -> list[ControlRow]:
        return [r for r in self.rows if r.covered]

    @property
    def uncovered(self) -> list[ControlRow]:
        return [r for r in self.rows if not r.covered]


@dataclass
class Crosswalk:
    use_case: UseCase
    frameworks: list[FrameworkGroup]

    @property
    def rows(self) -> list[ControlRow]:
        return [row for group in self.frameworks for row in group.rows]

    @property
    def covered_count(self) -> int:
        return sum(1 for row in self.rows if row.covered)


def controls_all() -> list[Control]:
    """Every control, by framework then reference in reading order."""
    order = {code: i for i, code in enumerate(ControlFramework.values)}
    return sorted(
        Control.objects.all(),
        key=lambda c: (order.get(c.framework, len(order)), _reference_key(c.reference)),
    )


def _reference_key(reference: str) -> tuple:
    # "Art. 9" before "Art. 10"; "6.1.2" before "6.1.10"; "MAP 1.1" after "MAP".
    parts = reference.replace("Art. ", "").replace(" ", ".").split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def usecase_controls(use_case: UseCase, *, reviews: list[GateReview] | None = None) -> Crosswalk:
    """The crosswalk of ``use_case`` (its reviews, or only ``reviews`` when
    given: the gate pack shows one review's). Queries: reviews, their
    criteria and the criteria's controls, the requirements and their types'
    controls, the use case's artifacts, the pinned versions, the risk facts,
    and the gates' criteria and artifact types with their controls."""
    if reviews is None:
        reviews = list(GateReview.objects.filter(use_case=use_case).order_by("opened_at", "id"))
    by_id = {r.pk: r for r in reviews}
    rows: dict[int, ControlRow] = {}

    def row_of(control: Control) -> ControlRow:
        return rows.setdefault(control.pk, ControlRow(control=control))

    criteria = ReviewCriterion.objects.filter(review_id__in=by_id).prefetch_related("controls")
    for criterion in criteria.order_by("review_id", "order", "id"):
        for control in criterion.controls.all():
            row_of(control).criteria.append(
                CriterionEvidence(review=by_id[criterion.review_id], criterion=criterion)
            )
    requirements = (
        ReviewArtifactRequirement.objects.filter(review_id__in=by_id)
        .select_related("artifact_type")
        .prefetch_related("artifact_type__controls")
        .order_by("review_id", "order", "id")
    )
    latest: dict[int, Artifact] = {}
    for artifact in Artifact.objects.filter(use_case=use_case).order_by(
        "artifact_type_id", "-version"
    ):
        latest.setdefault(artifact.artifact_type_id, artifact)
    pinned: dict[tuple[int, int], Artifact] = {}
    Pin = GateReview.pinned_artifacts.through
    for pin in Pin.objects.filter(gatereview_id__in=by_id).select_related("artifact"):
        pinned[(pin.gatereview_id, pin.artifact.artifact_type_id)] = pin.artifact
    for requirement in requirements:
        key = (requirement.review_id, requirement.artifact_type_id)
        for control in requirement.artifact_type.controls.all():
            row_of(control).artifacts.append(
                ArtifactEvidence(
                    review=by_id[requirement.review_id],
                    artifact_type=requirement.artifact_type,
                    applicability=requirement.applicability,
                    artifact=pinned.get(key) or latest.get(requirement.artifact_type_id),
                    pinned=key in pinned,
                )
            )
    _add_upcoming(use_case, reviews, row_of)
    groups = []
    for framework, label in ControlFramework.choices:
        framework_rows = sorted(
            (r for r in rows.values() if r.control.framework == framework),
            key=lambda r: _reference_key(r.control.reference),
        )
        if framework_rows:
            groups.append(FrameworkGroup(framework=framework, label=label, rows=framework_rows))
    return Crosswalk(use_case=use_case, frameworks=groups)


def _add_upcoming(use_case: UseCase, reviews: list[GateReview], row_of: Any) -> None:
    """The gates the use case has no review of yet: their criteria and
    required artifact types that apply to it, under each control they cite."""
    reviewed = {r.gate_number for r in reviews}
    facts = applicability.facts_of(use_case)
    gate_criteria = (
        GateCriterion.objects.exclude(template__number__in=reviewed)
        .filter(controls__isnull=False)
        .distinct()
        .select_related("template")
        .prefetch_related(Prefetch("controls", queryset=Control.objects.all()))
        .order_by("template__number", "order", "id")
    )
    gate_types = (
        ArtifactType.objects.exclude(template__number__in=reviewed)
        .filter(is_active=True, required=True, controls__isnull=False)
        .distinct()
        .select_related("template")
        .prefetch_related(Prefetch("controls", queryset=Control.objects.all()))
        .order_by("template__number", "order", "id")
    )
    for kind, queryset in (
        (PendingKind.CRITERION, gate_criteria),
        (PendingKind.ARTIFACT, gate_types),
    ):
        for judged in applicability.judge(queryset, facts):
            if not judged.applies:
                continue
            for control in judged.row.controls.all():
                row_of(control).upcoming.append(
                    PendingRule(
                        gate_number=judged.row.template.number,
                        kind=kind,
                        name=judged.row.name,
                        reason=judged.reason,
                        gate_label=judged.row.template.label,
                    )
                )
