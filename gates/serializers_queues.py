"""The serializers of My work's queues (``queues.my_queues``, ``GET
/api/v1/me/queues/``): what each queue's rows show, typed for the schema."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import MethodTextField
from gates.serializers import ConditionSerializer, DelegationSerializer, UserRefSerializer


class QueueReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    gate_number = serializers.IntegerField()
    gate_label = serializers.CharField(help_text="“Gate 3” or “Recertification”.")
    status = serializers.CharField()
    use_case_id = serializers.IntegerField()
    use_case_title = serializers.CharField(source="use_case.title")
    planned_date = serializers.DateField(allow_null=True)
    url = MethodTextField("get_absolute_url")


class QueueRowSerializer(serializers.Serializer):
    waiting_since = serializers.SerializerMethodField()
    waiting_days = serializers.IntegerField()
    due = serializers.DateField(allow_null=True)
    late = serializers.BooleanField(help_text="Past its due or planned date.")

    @extend_schema_field(serializers.DateField())
    def get_waiting_since(self, row: Any) -> str | None:
        since = row.since
        if since is None:
            return None
        if hasattr(since, "date"):
            since = timezone.localtime(since).date()
        return since.isoformat()


class DecisionRowSerializer(QueueRowSerializer):
    review = QueueReviewSerializer()
    approved = serializers.IntegerField()
    pending = serializers.IntegerField()
    rejected = serializers.IntegerField()
    go_possible = serializers.BooleanField(
        help_text="The approvals and must-meet criteria allow Go now."
    )


class ApprovalRowSerializer(QueueRowSerializer):
    review = QueueReviewSerializer()
    seat = serializers.IntegerField(source="seat.pk")
    for_holder = UserRefSerializer(
        allow_null=True, help_text="The holder you decide for as delegate; null for your seat."
    )


class PreparingRowSerializer(QueueRowSerializer):
    review = QueueReviewSerializer()
    my_roles = serializers.ListField(child=serializers.CharField())
    blockers = serializers.ListField(child=serializers.CharField())


class ConditionRowSerializer(QueueRowSerializer):
    condition = ConditionSerializer()
    use_case_title = serializers.CharField(source="condition.review.use_case.title")


class DelegationRowSerializer(QueueRowSerializer):
    delegation = DelegationSerializer()
    given = serializers.BooleanField(help_text="True when you gave it, false when you received it.")


class QueueTotalsSerializer(serializers.Serializer):
    decisions = serializers.IntegerField()
    approvals = serializers.IntegerField()
    preparing = serializers.IntegerField()
    conditions = serializers.IntegerField()
    delegations = serializers.IntegerField()


class MyQueuesSerializer(serializers.Serializer):
    today = serializers.DateField()
    totals = QueueTotalsSerializer(
        help_text="How many rows each queue has in all; the lists hold the oldest 25 at most."
    )
    decisions = DecisionRowSerializer(many=True)
    approvals = ApprovalRowSerializer(many=True)
    preparing = PreparingRowSerializer(many=True)
    conditions = ConditionRowSerializer(many=True)
    delegations = DelegationRowSerializer(many=True)
