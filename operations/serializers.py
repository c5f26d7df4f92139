"""Serializers of the operations API: input ones parse and type-check a
request (400 with field messages), output ones shape what
``operations.selectors`` read (the same read as the operation page)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from gates.models import Decision, ReviewStatus, ReviewTrigger
from gates.serializers import UserRefSerializer
from operations.models import IncidentSeverity
from readiness.models import KpiOperator
from readiness.serializers import EnumField, ValueField, choice_field, number_field


class RecertificationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    label = serializers.CharField(source="gate_label")


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    severity = choice_field(IncidentSeverity, "Severity")
    occurred_on = serializers.DateField()
    description = serializers.CharField()
    reported_by = UserRefSerializer()
    reported_at = serializers.DateTimeField()
    review = RecertificationRefSerializer(
        allow_null=True, help_text="The recertification it opened or joined."
    )


class IncidentInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = choice_field(IncidentSeverity, "Severity")
    occurred_on = serializers.DateField(help_text="Not in the future.")
    description = serializers.CharField(max_length=5000)


class IncidentListSerializer(serializers.Serializer):
    results = IncidentSerializer(many=True)


class DriftBreachSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kpi = serializers.IntegerField(source="kpi_id")
    kpi_name = serializers.CharField(source="kpi.name")
    value = ValueField()
    operator = EnumField(KpiOperator)
    threshold = ValueField()
    measured_at = serializers.DateField(source="measurement.measured_at")
    detected_at = serializers.DateTimeField()
    review = RecertificationRefSerializer(allow_null=True)


class KpiDriftSerializer(serializers.Serializer):
    """A KPI with its drift bound (null when not monitored)."""

    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    unit = serializers.CharField()
    drift_operator = EnumField(KpiOperator, allow_null=True)
    drift_threshold = ValueField(allow_null=True)
    drift_label = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not instance.is_monitored:
            data["drift_operator"] = data["drift_threshold"] = None
        return data


class MonitoredKpiSerializer(serializers.Serializer):
    kpi = KpiDriftSerializer()
    latest_value = ValueField(allow_null=True)
    latest_on = serializers.DateField(allow_null=True)
    breached = serializers.BooleanField(help_text="The latest value breaks the drift bound.")


class DriftInput(serializers.Serializer):
    operator = EnumField(KpiOperator)
    threshold = number_field()


class RecertificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    label = serializers.CharField(source="gate_label")
    status = choice_field(ReviewStatus, "Status")
    trigger = choice_field(ReviewTrigger, "Trigger")
    trigger_detail = serializers.CharField()
    decision = choice_field(Decision, "Decision", allow_blank=True)
    chair = UserRefSerializer()
    opened_at = serializers.DateTimeField()
    planned_date = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class OperationSerializer(serializers.Serializer):
    use_case = serializers.IntegerField(source="use_case.pk")
    operating = serializers.BooleanField(source="use_case.is_operating")
    operating_owner = UserRefSerializer(source="use_case.operating_owner", allow_null=True)
    recertification_due_on = serializers.DateField(
        source="use_case.recertification_due_on", allow_null=True
    )
    overdue = serializers.SerializerMethodField()
    kpis = MonitoredKpiSerializer(many=True)
    incidents = IncidentSerializer(many=True)
    drift_breaches = DriftBreachSerializer(many=True, source="breaches")
    recertifications = RecertificationSerializer(many=True, source="reviews")

    def get_overdue(self, read: Any) -> bool:
        return bool(read.due and read.due.overdue)


class OwnerInput(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1, help_text="The new owner's user id.")
    reason = serializers.CharField(max_length=1000)
