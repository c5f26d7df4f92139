"""Output serializers of the dashboard endpoint: the figures of the executive
dashboard (``dashboard_read.dashboard``), typed so the schema says what a client
reads. Read-only: nothing is sent to the dashboard."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.web import display_name
from gates.models import Decision
from usecases.models import RegulatoryConstraint, Stage


class CountByDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class DashboardStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    label = serializers.CharField(source="stage.label")
    active = serializers.IntegerField()
    on_hold = serializers.IntegerField()
    killed = serializers.IntegerField()
    retired = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Longer in the stage than its norm allows.")
    stalled = serializers.IntegerField(
        help_text="No activity for STALLED_AFTER_DAYS days; never a use case in operation."
    )
    recertification_due = serializers.IntegerField(
        help_text="Scale only: in operation, recertification due within "
        "RECERTIFICATION_NOTICE_DAYS."
    )
    recertification_overdue = serializers.IntegerField(
        help_text="Scale only: in operation, past the recertification's due date."
    )
    median_days = serializers.FloatField(allow_null=True)


class DashboardConversionSerializer(serializers.Serializer):
    gate = serializers.IntegerField(source="number")
    from_stage = serializers.ChoiceField(choices=Stage.choices)
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reached = serializers.IntegerField()
    passed = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)


class DashboardRegulationSerializer(serializers.Serializer):
    regulation = serializers.ChoiceField(choices=RegulatoryConstraint.choices)
    label = serializers.CharField()
    use_cases = serializers.IntegerField()


class RecertificationDueSerializer(serializers.Serializer):
    use_case = serializers.IntegerField(source="use_case.pk")
    title = serializers.CharField(source="use_case.title")
    business_unit = serializers.CharField(source="use_case.business_unit.name")
    operating_owner = serializers.CharField(
        source="use_case.operating_owner.get_username", allow_null=True, default=None
    )
    operating_owner_name = serializers.SerializerMethodField()
    due_on = serializers.DateField()
    overdue = serializers.BooleanField()
    days = serializers.IntegerField(help_text="Days until due; negative when overdue.")
    open_review = serializers.IntegerField(
        source="open_review_id",
        allow_null=True,
        help_text="The open recertification review, if one is open.",
    )

    def get_operating_owner_name(self, item: Any) -> str:
        return display_name(item.use_case.operating_owner)


class DashboardOperationSerializer(serializers.Serializer):
    operating = serializers.IntegerField(help_text="Use cases operating at Scale.")
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    notice_days = serializers.IntegerField()
    urgent = RecertificationDueSerializer(many=True)
    decisions_last_12_months = serializers.SerializerMethodField()

    @extend_schema_field(CountByDecisionSerializer(many=True))
    def get_decisions_last_12_months(self, operation: Any) -> list[dict[str, Any]]:
        return _by_decision(operation.decisions)


class RetiredUseCaseSerializer(serializers.Serializer):
    use_case = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    retired_at = serializers.DateTimeField(allow_null=True)


class KilledAtGateSerializer(serializers.Serializer):
    gate = serializers.CharField(help_text="“Gate 2”, or “Recertification”.")
    stage = serializers.CharField()
    count = serializers.IntegerField()


class DashboardEndOfLifeSerializer(serializers.Serializer):
    retired = serializers.IntegerField()
    retired_last_12_months = serializers.IntegerField(source="retired_last_year")
    recently_retired = RetiredUseCaseSerializer(many=True)
    killed = serializers.IntegerField()
    killed_by_gate = serializers.SerializerMethodField()

    @extend_schema_field(KilledAtGateSerializer(many=True))
    def get_killed_by_gate(self, end_of_life: Any) -> list[dict[str, Any]]:
        return [
            {"gate": gate, "stage": stage, "count": count}
            for gate, stage, count in end_of_life.killed_by_gate
        ]


class DashboardSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField(source="now")
    quarter = serializers.CharField()
    total = serializers.IntegerField()
    overdue = serializers.IntegerField()
    stalled = serializers.IntegerField()
    killed = serializers.IntegerField()
    open_reviews = serializers.IntegerField(source="upcoming_total")
    late_reviews = serializers.IntegerField(source="upcoming_late")
    stages = DashboardStageSerializer(many=True)
    conversions = DashboardConversionSerializer(many=True)
    decisions_this_quarter = serializers.SerializerMethodField()
    regulations = serializers.SerializerMethodField()
    operation = DashboardOperationSerializer()
    end_of_life = DashboardEndOfLifeSerializer()

    @extend_schema_field(CountByDecisionSerializer(many=True))
    def get_decisions_this_quarter(self, dash: Any) -> list[dict[str, Any]]:
        return _by_decision(dash.decisions)

    @extend_schema_field(DashboardRegulationSerializer(many=True))
    def get_regulations(self, dash: Any) -> list[dict[str, Any]]:
        return [
            {"regulation": code, "label": label, "use_cases": count}
            for code, label, count in dash.regulations
        ]


def _by_decision(rows: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    return [{"decision": code, "label": label, "count": count} for code, label, count in rows]
