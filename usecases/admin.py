"""Admin for the portfolio. Changes to use cases and teams go through the same
services as the pages, so they are permission-checked and audited; stage and
status are shown, never edited. Business units are edited through their own
audited services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from core.admin import ServiceAdmin
from core.errors import DomainError
from usecases import access, services
from usecases.forms import UseCaseForm
from usecases.models import BusinessUnit, UseCase, UseCaseMember


@admin.register(BusinessUnit)
class BusinessUnitAdmin(ServiceAdmin):
    list_display = ["name", "code", "head"]
    search_fields = ["name", "code", "head__username", "head__last_name"]
    list_select_related = ["head"]
    raw_id_fields = ["head"]

    def service_create(self, request: HttpRequest, obj: BusinessUnit) -> None:
        services.business_unit_create(by=request.user, business_unit=obj)

    def service_change(self, request: HttpRequest, obj: BusinessUnit, fields: list[str]) -> None:
        services.business_unit_change(by=request.user, business_unit=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: BusinessUnit) -> None:
        services.business_unit_delete(by=request.user, business_unit=obj)


class UseCaseMemberInline(admin.TabularInline):
    model = UseCaseMember
    extra = 0
    fields = ["user", "role", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A member's role is not edited in place: remove and add, both audited.
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and access.can_edit_use_case(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and access.can_edit_use_case(request.user, obj)


@admin.register(UseCase)
class UseCaseAdmin(admin.ModelAdmin):
    form = UseCaseForm
    list_display = ["title", "business_unit", "stage", "status", "risk_tier", "updated_at"]
    list_filter = ["stage", "status", "risk_tier", "business_unit"]
    list_select_related = ["business_unit"]
    search_fields = ["title", "summary"]
    date_hierarchy = "updated_at"
    readonly_fields = [
        "stage",
        "status",
        "stage_entered_at",
        "last_activity_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [UseCaseMemberInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Proposing a use case names its sponsor and audits the creation: the
        # "Propose a use case" page does both.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Gate reviews, transitions and the audit trail refer to use cases; a
        # use case that should stop is killed at a gate instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.can_edit_use_case(request.user, obj))

    def save_model(self, request: HttpRequest, obj: UseCase, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            services.usecase_update(use_case=obj, by=request.user, **changes)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not UseCaseMember:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        try:
            for member in formset.deleted_objects:
                services.member_remove(member=member, by=request.user)
            for member in formset.new_objects:
                services.member_add(
                    use_case=form.instance, by=request.user, user=member.user, role=member.role
                )
        except DomainError as exc:
            messages.error(request, str(exc))


@admin.register(UseCaseMember)
class UseCaseMemberAdmin(admin.ModelAdmin):
    """A read-only index of who holds which role where; teams change on the use
    case (here, in its inline, or on its page)."""

    list_display = ["user", "role", "use_case", "added_at"]
    list_filter = ["role"]
    list_select_related = ["user", "use_case"]
    search_fields = ["user__username", "user__last_name", "use_case__title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
