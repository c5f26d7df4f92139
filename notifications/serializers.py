from __future__ import annotations

from rest_framework import serializers

from core.api_fields import MethodTextField
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    kind_display = MethodTextField("get_kind_display")
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_display",
            "subject",
            "body",
            "link",
            "created_at",
            "is_read",
            "read_at",
        ]
        read_only_fields = fields


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
