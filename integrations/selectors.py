"""Reads for the webhooks page and API, each a fixed number of queries
whatever the number of endpoints or deliveries."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

LOG_SIZE = 50


def endpoints() -> QuerySet[WebhookEndpoint]:
    """Every endpoint with its delivery counts and last activity: one query."""
    return WebhookEndpoint.objects.annotate(
        delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        last_delivery_at=Max("deliveries__created_at"),
    ).order_by("name", "id")


def deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first: one query per page."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
