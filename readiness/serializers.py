"""Serializers of the readiness API: input ones parse and type-check a request
(400 with field messages), output ones shape what ``readiness.selectors``
read. Neither changes state; the views hand parsed input to one service,
which checks what it means (ranges, state, who asks) and refuses with a
domain error."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import TextChoices
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import represent_each
from gates.models import AssessmentStatus, ReviewStatus
from gates.serializers import UserRefSerializer
from readiness import services
from readiness.models import (
    ChecklistGroup,
    ChecklistStatus,
    KpiDirection,
    KpiKind,
    KpiOperator,
    KpiRule,
    PriorityDimension,
    ScorecardBand,
    format_value,
)
from usecases.models import Stage

User = get_user_model()


# --- Fields ---------------------------------------------------------------------


class EnumField(serializers.ChoiceField):
    """A value of one of the readiness choice sets. The schema names it after
    the set (``KpiKindEnum``), whatever the field is called: a field name such
    as ``kind`` is also used by other apps for other choices."""

    def __init__(self, enum: type[TextChoices], **kwargs: Any) -> None:
        self.enum = enum
        kwargs.setdefault(
            "error_messages", {"invalid_choice": f"Must be one of: {', '.join(enum.values)}."}
        )
        super().__init__(choices=enum.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def get_name(self) -> str:
        return f"{self.target.enum.__name__}Enum"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": list(self.target.enum.values),
            "description": "\n".join(
                f"* `{value}` - {label}" for value, label in self.target.enum.choices
            ),
        }


def choice_field(enum: type[TextChoices], label: str, **kwargs: Any) -> serializers.ChoiceField:
    """A choice of a set the schema names in ENUM_NAME_OVERRIDES, refused in
    the service's words."""
    kwargs.setdefault(
        "error_messages",
        {"invalid_choice": f"{label} must be one of: {', '.join(enum.values)}."},
    )
    return serializers.ChoiceField(choices=enum.choices, **kwargs)


@extend_schema_field({"type": "string", "format": "decimal", "example": "62.5"})
class ValueField(serializers.Field):
    """A KPI value as people write it, without trailing zeros: ``"62.5"``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return format_value(value)


def number_field(**kwargs: Any) -> serializers.DecimalField:
    """A number in, as a JSON number or a decimal string. Its size and
    precision are the service's to check."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


SCORE_ERRORS = ("required", "null", "invalid", "min_value", "max_value", "max_string_length")


def score_field(label: str, **kwargs: Any) -> serializers.IntegerField:
    """A score from 1 to 5, refused in the service's words."""
    message = f"{label} must be a whole number from 1 to 5."
    return serializers.IntegerField(
        min_value=1,
        max_value=5,
        error_messages=dict.fromkeys(SCORE_ERRORS, message),
        **kwargs,
    )


@extend_schema_field(OpenApiTypes.STR)
class KpiRuleRefField(serializers.Field):
    """The KPI rule a gate criterion is assessed from, as its label (``Pilot
    adoption ≥ 60%``); null when the criterion is assessed by hand. Reads the
    criterion's ``kpi_rule`` (a KpiRule, or a label already read)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text",
            "The KPI rule the criterion is assessed from, e.g. “Pilot adoption ≥ 60%”.",
        )
        # A criterion without a rule has no kpi_rule row: DRF reads that as None.
        super().__init__(**kwargs)

    def to_representation(self, value: KpiRule | str) -> str | None:
        if isinstance(value, KpiRule):
            return value.label
        return value or None


# --- Output: shared ----------------------------------------------------------------


class CitedScorecardSerializer(serializers.Serializer):
    """A version of a use case's PoC scorecard, cited as a criterion's evidence."""

    id = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    total = serializers.IntegerField()
    band = EnumField(ScorecardBand)


# --- Output: the readiness summary ---------------------------------------------


class ReadinessReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=ReviewStatus.choices)


class ReadinessCriterionSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(
        help_text="The review criterion's id; null before the review is opened."
    )
    name = serializers.CharField()
    must_meet = serializers.BooleanField()
    status = serializers.ChoiceField(choices=AssessmentStatus.choices)
    evidence = serializers.CharField()
    kpi_rule = KpiRuleRefField()

    def get_id(self, line: Any) -> int | None:
        return line.id or None


class ReadinessCriteriaSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    met = serializers.IntegerField()
    must_meet_open = serializers.ListField(
        child=serializers.CharField(), help_text="Must-meet criteria not met yet, by name."
    )
    items = ReadinessCriterionSerializer(source="lines", many=True)


class ReadinessArtifactsSerializer(serializers.Serializer):
    required = serializers.IntegerField()
    present = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())


class ReadinessApprovalsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    approved = serializers.IntegerField()
    pending = serializers.ListField(child=serializers.CharField(), help_text="Approvers' names.")
    rejected = serializers.ListField(child=serializers.CharField(), help_text="Approvers' names.")


class ReadinessScorecardSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    band = EnumField(ScorecardBand)
    band_display = serializers.CharField()
    improve_first = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField()


class ReadinessChecklistSerializer(serializers.Serializer):
    started = serializers.BooleanField()
    complete = serializers.BooleanField()
    total = serializers.IntegerField()
    closed = serializers.IntegerField(help_text="Items done or not applicable.")
    open_items = serializers.ListField(child=serializers.CharField())


class KpiLatestSerializer(serializers.Serializer):
    value = ValueField()
    measured_at = serializers.DateField()
    note = serializers.CharField()


class KpiPointSerializer(serializers.Serializer):
    measured_at = serializers.DateField()
    value = ValueField()


class KpiSerializer(serializers.Serializer):
    """A KPI with its latest measurement and its most recent points, as
    ``selectors.KpiLine`` reads it."""

    id = serializers.IntegerField(source="kpi.pk")
    name = serializers.CharField(source="kpi.name")
    kind = EnumField(KpiKind, source="kpi.kind")
    unit = serializers.CharField(source="kpi.unit")
    baseline = ValueField(source="kpi.baseline", allow_null=True)
    target = ValueField(source="kpi.target")
    direction = EnumField(KpiDirection, source="kpi.direction")
    latest = KpiLatestSerializer(allow_null=True)
    on_target = serializers.BooleanField(
        allow_null=True, help_text="Null until the KPI has a measurement."
    )
    points = serializers.SerializerMethodField(help_text="Oldest first.")

    @extend_schema_field(KpiPointSerializer(many=True))
    def get_points(self, line: Any) -> list[dict[str, Any]]:
        points = [{"measured_at": date, "value": value} for date, value in line.points]
        return represent_each(self, KpiPointSerializer, points)


class ReadinessKpisSerializer(serializers.Serializer):
    total = serializers.SerializerMethodField()
    measured = serializers.IntegerField()
    on_target = serializers.IntegerField()
    items = KpiSerializer(source="lines", many=True)

    def get_total(self, kpis: Any) -> int:
        return len(kpis.lines)


class ReadinessPrioritizationSerializer(serializers.Serializer):
    weighted_score = serializers.DecimalField(
        source="score", max_digits=3, decimal_places=2, coerce_to_string=True
    )


class ReadinessTimingSerializer(serializers.Serializer):
    days_in_stage = serializers.IntegerField()
    norm_min_days = serializers.IntegerField(source="norm.min_days", allow_null=True)
    norm_max_days = serializers.IntegerField(source="norm.max_days", allow_null=True)
    overdue = serializers.BooleanField()
    stalled = serializers.BooleanField()
    days_since_activity = serializers.IntegerField()


class ReadinessSerializer(serializers.Serializer):
    """How ready the use case is for the gate ahead, as
    ``selectors.readiness_summary`` reads it."""

    use_case = serializers.IntegerField(source="use_case.pk")
    stage = serializers.ChoiceField(choices=Stage.choices, source="use_case.stage")
    gate_number = serializers.IntegerField(
        allow_null=True,
        help_text="The gate ahead; at Scale the Recertification's number; null when the use "
        "case has ended.",
    )
    gate_label = serializers.CharField(help_text="“Gate 3”, or “Recertification” at Scale.")
    review = ReadinessReviewSerializer(
        allow_null=True, help_text="The open review of that gate, if any."
    )
    criteria = ReadinessCriteriaSerializer(
        allow_null=True,
        help_text="From the open review, or the gate template before one is opened.",
    )
    artifacts = ReadinessArtifactsSerializer(allow_null=True)
    approvals = ReadinessApprovalsSerializer(
        allow_null=True, help_text="Null until the review is opened."
    )
    scorecard = ReadinessScorecardSerializer(
        allow_null=True, help_text="The latest PoC scorecard; null before one is scored."
    )
    checklist = ReadinessChecklistSerializer()
    kpis = ReadinessKpisSerializer()
    prioritization = ReadinessPrioritizationSerializer(allow_null=True)
    timing = ReadinessTimingSerializer()


# --- Output: one part each ---------------------------------------------------------


class PrioritizationWeightsSerializer(serializers.Serializer):
    """The weight of each dimension in the weighted score (PRIORITIZATION_WEIGHTS)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for dimension in PriorityDimension:
            fields[dimension.value] = serializers.FloatField()
        return fields


class PriorityDimensionScoreSerializer(serializers.Serializer):
    code = EnumField(PriorityDimension)
    label = serializers.CharField()
    score = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    rationale = serializers.CharField()


class PrioritizationSerializer(serializers.Serializer):
    """The Discovery prioritization, as ``readiness_summary`` reads it."""

    scored = serializers.SerializerMethodField()
    weights = serializers.SerializerMethodField()
    weighted_score = serializers.DecimalField(
        source="prioritization.score",
        max_digits=3,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=True,
        help_text="The weighted mean of the scores, 1-5; null before it is scored.",
    )
    dimensions = serializers.SerializerMethodField()
    # Left out until the use case is scored.
    updated_at = serializers.DateTimeField(
        source="prioritization.prioritization.updated_at",
        required=False,
        help_text="Present once the use case is scored.",
    )

    def get_scored(self, summary: Any) -> bool:
        return summary.prioritization is not None

    @extend_schema_field(PrioritizationWeightsSerializer)
    def get_weights(self, summary: Any) -> dict[str, float]:
        return PrioritizationWeightsSerializer(services.prioritization_weights()).data

    @extend_schema_field(PriorityDimensionScoreSerializer(many=True))
    def get_dimensions(self, summary: Any) -> list[dict[str, Any]]:
        scored = summary.prioritization.prioritization if summary.prioritization else None
        rows = [
            {
                "code": dimension.value,
                "label": dimension.label,
                "score": getattr(scored, dimension.value) if scored else None,
                "rationale": getattr(scored, f"{dimension.value}_rationale") if scored else "",
            }
            for dimension in PriorityDimension
        ]
        return represent_each(self, PriorityDimensionScoreSerializer, rows)


class ScorecardItemScoreSerializer(serializers.Serializer):
    """An item of the scorecard: what a 5, a 3 and a 1 mean, and its score in
    the latest scorecard."""

    id = serializers.IntegerField(source="item.pk")
    name = serializers.CharField(source="item.name")
    excellent = serializers.CharField(source="item.excellent")
    acceptable = serializers.CharField(source="item.acceptable")
    insufficient = serializers.CharField(source="item.insufficient")
    score = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    comment = serializers.CharField()


class ScorecardSerializer(serializers.Serializer):
    """The latest PoC scorecard and every active item. Reads ``card`` (a
    ``selectors.ScorecardSummary`` or None) and ``items``: the active
    scorecard items with their ``score`` and ``comment`` in it."""

    scored = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="card.version", allow_null=True)
    total = serializers.IntegerField(source="card.total", allow_null=True)
    band = EnumField(ScorecardBand, source="card.band", allow_null=True)
    band_display = serializers.CharField(source="card.band_display", allow_null=True)
    improve_first = serializers.SerializerMethodField(
        help_text="Low-scoring items to improve first, in the conditional band."
    )
    scored_at = serializers.DateTimeField(source="card.scored_at", allow_null=True)
    scored_by = serializers.CharField(
        source="card.scored_by", allow_null=True, help_text="Who scored it, by name."
    )
    items = ScorecardItemScoreSerializer(many=True)

    def get_scored(self, read: Any) -> bool:
        return read.card is not None

    def get_improve_first(self, read: Any) -> list[str]:
        return list(read.card.improve_first) if read.card else []


class ChecklistItemSerializer(serializers.Serializer):
    """An item of the production readiness checklist, as ``selectors.ChecklistLine``
    reads it; ``id`` and ``number`` are both the item's number (1-15)."""

    id = serializers.IntegerField(source="definition.number")
    number = serializers.IntegerField(source="definition.number")
    group = EnumField(ChecklistGroup, source="definition.group")
    text = serializers.CharField(source="definition.text")
    status = serializers.ChoiceField(choices=ChecklistStatus.choices)
    owner = UserRefSerializer(source="item.owner", allow_null=True)
    evidence = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(source="item.updated_at", allow_null=True)

    def get_evidence(self, line: Any) -> str:
        return line.item.evidence if line.item else ""


class ChecklistSerializer(serializers.Serializer):
    """The production readiness checklist, as ``selectors.ChecklistSummary`` reads it."""

    started = serializers.BooleanField()
    complete = serializers.BooleanField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    open_items = serializers.ListField(child=serializers.CharField())
    items = serializers.SerializerMethodField()

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_items(self, checklist: Any) -> list[dict[str, Any]]:
        lines = [line for group in checklist.groups for line in group.lines]
        return represent_each(self, ChecklistItemSerializer, lines)


class KpiListSerializer(serializers.Serializer):
    results = KpiSerializer(many=True)


class KpiMeasurementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kpi = serializers.IntegerField(source="kpi_id")
    value = ValueField()
    measured_at = serializers.DateField()
    note = serializers.CharField()


class KpiImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField(help_text="How many measurements were imported.")


class CriterionScorecardsSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    scorecards = CitedScorecardSerializer(many=True, help_text="Newest first.")


class CriterionKpiRuleSerializer(serializers.Serializer):
    """A criterion's KPI rule and the assessment it gave."""

    criterion = serializers.IntegerField(source="review_criterion.pk")
    kpi = serializers.IntegerField(source="kpi_id")
    operator = EnumField(KpiOperator)
    threshold = ValueField()
    status = serializers.ChoiceField(
        choices=AssessmentStatus.choices, source="review_criterion.status"
    )
    evidence = serializers.CharField(source="review_criterion.evidence")


# --- Input ---------------------------------------------------------------------------


class PrioritizationInput(serializers.Serializer):
    """A score from 1 to 5 and a rationale for each dimension."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for dimension in PriorityDimension:
            fields[dimension.value] = score_field(dimension.label)
            say_why = f"Say why {dimension.label.lower()} scores as it does."
            fields[f"{dimension.value}_rationale"] = serializers.CharField(
                max_length=2000,
                help_text="Why it scores as it does.",
                error_messages={
                    **dict.fromkeys(("required", "null", "blank"), say_why),
                    "max_length": "The rationale is longer than 2,000 characters.",
                },
            )
        return fields


class ScoreInput(serializers.Serializer):
    item = serializers.IntegerField(help_text="The scorecard item's id.")
    score = score_field("A score")
    comment = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, allow_null=True, default=""
    )


class ScorecardInput(serializers.Serializer):
    scores = ScoreInput(many=True, help_text="One score for every active scorecard item.")
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, allow_null=True, default=""
    )


class ChecklistItemInput(serializers.Serializer):
    """Omitted fields keep their current value."""

    status = choice_field(ChecklistStatus, "Status", required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="An active user's id, or null for nobody.",
        error_messages={
            "does_not_exist": "The owner must be an active user.",
            "incorrect_type": "The owner must be an active user.",
        },
    )
    evidence = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="Required for done (what shows it) and not applicable (why).",
    )


class KpiInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = EnumField(KpiKind)
    unit = serializers.CharField(
        max_length=30, required=False, allow_blank=True, allow_null=True, default=""
    )
    baseline = number_field(required=False, allow_null=True, default=None)
    target = number_field()
    direction = EnumField(KpiDirection)


class KpiMeasurementInput(serializers.Serializer):
    value = number_field()
    measured_at = serializers.DateField(help_text="Not in the future.")
    note = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, allow_null=True, default=""
    )


class KpiImportInput(serializers.Serializer):
    file = serializers.FileField(
        max_length=None,
        use_url=False,
        allow_empty_file=True,  # the service says what is wrong with the file
        help_text="CSV, UTF-8, at most 1 MB, with the header kpi,measured_at,value "
        "and optionally note. All rows or none are imported.",
        error_messages={"required": "Attach the CSV file as “file”."},
    )


class CriterionScorecardInput(serializers.Serializer):
    # Required: a body that names nothing (or is no form at all) must not
    # withdraw the citation; null says so.
    scorecard = serializers.IntegerField(
        allow_null=True,
        help_text="A PoC scorecard (version) of the use case to cite, or null to cite none.",
    )


class KpiRuleInput(serializers.Serializer):
    kpi = serializers.IntegerField(help_text="A KPI of the review's use case.")
    operator = EnumField(KpiOperator)
    threshold = number_field()
