"""Read-only in the admin: endpoints change through the webhooks page and API
(the services audit every change)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from integrations.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("name", "url", "format", "active", "created_at")
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("endpoint", "event", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
