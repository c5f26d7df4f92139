from __future__ import annotations

from django.contrib import admin

from reporting.models import GatePack


@admin.register(GatePack)
class GatePackAdmin(admin.ModelAdmin):
    """Read-only: packs are made by the task and downloaded through the
    permission-checked view, never edited."""

    list_display = ["id", "review", "status", "requested_by", "requested_at", "page_count"]
    list_filter = ["status"]
    list_select_related = ["review", "review__use_case", "requested_by"]
    # request_id: the pack a log line's id names.
    search_fields = ["review__use_case__title", "sha256", "content_hash", "request_id"]
    readonly_fields = [f.name for f in GatePack._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
