from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the app, never by hand."""

    list_display = ["created_at", "recipient", "kind", "subject", "read_at", "email_status"]
    list_filter = ["kind", "email_status"]
    search_fields = ["subject", "recipient__username"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "last_digest_at", "updated_at"]
    list_filter = ["email_mode"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    readonly_fields = ["last_digest_at"]
