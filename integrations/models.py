"""Outbound webhooks: the endpoints administrators register and the
deliveries made to them.

A delivery is a durable row, written when an event is heard (unique per
endpoint and event occurrence, so a redelivered event sends nothing twice)
and sent by a worker that claims due rows; the rows are the truth, whatever
happened to a worker.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.labels import ChoiceLabels


def new_secret() -> str:
    return secrets.token_hex(32)


class EndpointFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams incoming webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookEndpoint(ChoiceLabels, models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    format = models.CharField(
        max_length=10, choices=EndpointFormat.choices, default=EndpointFormat.JSON
    )
    # The supported event names (integrations.catalogue.EVENT_TYPES) it hears.
    event_types = models.JSONField(default=list)
    # The HMAC key of the signature header; administrators can read it.
    secret = models.CharField(max_length=64, default=new_secret)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(ChoiceLabels, models.Model):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    # The event occurrence (``outbox-<id>``, ``ping-<uuid>``): one delivery
    # per endpoint and occurrence.
    occurrence = models.CharField(max_length=80)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "occurrence"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
