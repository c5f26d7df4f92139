from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only: notifications are written by the app, never by hand, and
    never deleted: the row is what keeps a rerun sweep from notifying twice."""

    list_display = [
        "created_at",
        "recipient",
        "kind",
        "subject",
        "read_at",
        "email_status",
        "email_last_error",
    ]
    list_filter = ["kind", "email_status"]
    search_fields = ["subject", "recipient__username"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """Read-only: each person sets their own e-mail choices on their
    preferences page, which also re-routes the e-mails still waiting."""

    list_display = ["user", "email_mode", "last_digest_at", "updated_at"]
    list_filter = ["email_mode"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    readonly_fields = ["last_digest_at"]
