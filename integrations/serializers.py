"""The webhooks API's input and output, typed for the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from integrations.catalogue import EVENT_TYPES
from integrations.models import DeliveryStatus, EndpointFormat, WebhookDelivery, WebhookEndpoint


class WebhookEndpointInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=500, help_text="http:// or https:// only.")
    format = serializers.ChoiceField(choices=EndpointFormat.choices, default=EndpointFormat.JSON)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), allow_empty=False
    )
    active = serializers.BooleanField(default=True)


class WebhookEndpointUpdateSerializer(WebhookEndpointInputSerializer):
    rotate_secret = serializers.BooleanField(
        default=False, help_text="Replace the signing secret with a new one."
    )


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_TYPES)))
    secret = serializers.CharField(
        read_only=True,
        help_text="The HMAC-SHA256 key of the X-StageGate-Signature header.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "url",
            "format",
            "event_types",
            "active",
            "secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PayloadUseCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    stage = serializers.CharField()
    status = serializers.CharField()
    link = serializers.URLField()


class PayloadReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gate = serializers.IntegerField()
    gate_label = serializers.CharField()
    from_stage = serializers.CharField()
    to_stage = serializers.CharField()
    status = serializers.CharField()
    link = serializers.URLField()


class PayloadApprovalSerializer(serializers.Serializer):
    approver = serializers.CharField()
    decision = serializers.CharField()
    decision_label = serializers.CharField()
    comment = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class PayloadConditionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    owner = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField()


class PayloadPackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()
    page_count = serializers.IntegerField(allow_null=True)
    download = serializers.URLField()


class WebhookPayloadDataSerializer(serializers.Serializer):
    """The event's fields; which appear depends on the event (README)."""

    use_case = PayloadUseCaseSerializer(required=False)
    review = PayloadReviewSerializer(required=False)
    opened_by_id = serializers.IntegerField(required=False, allow_null=True)
    approval = PayloadApprovalSerializer(required=False)
    pending_approvals = serializers.IntegerField(required=False, allow_null=True)
    decision = serializers.CharField(required=False)
    decision_label = serializers.CharField(required=False)
    rationale = serializers.CharField(required=False)
    decided_by = serializers.CharField(required=False)
    decided_at = serializers.DateTimeField(required=False, allow_null=True)
    conditions = PayloadConditionSerializer(many=True, required=False)
    condition = PayloadConditionSerializer(required=False)
    period = serializers.CharField(required=False)
    pack = PayloadPackSerializer(required=False)
    due_on = serializers.DateField(required=False)
    operation_link = serializers.URLField(required=False)
    endpoint = serializers.CharField(required=False, help_text="ping only")
    requested_by = serializers.CharField(required=False, help_text="ping only")


class WebhookPayloadSerializer(serializers.Serializer):
    """The JSON document a ``json`` endpoint receives (integrations/README.md)."""

    id = serializers.CharField(help_text="The event occurrence, the same for every endpoint.")
    event = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    data = WebhookPayloadDataSerializer()
    link = serializers.URLField()


class WebhookDeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    payload = WebhookPayloadSerializer(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "next_attempt_at",
            "created_at",
            "updated_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields


class WebhookTestSerializer(serializers.Serializer):
    delivery = WebhookDeliverySerializer()
    message = serializers.CharField()
