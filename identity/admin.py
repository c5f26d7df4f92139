"""The single sign-on mappings in the admin, written through the services
(audited); the identities and grants single sign-on keeps, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ServiceAdmin
from identity import rules, services
from identity.models import GroupMapping, SsoGrant, SsoIdentity


@admin.register(GroupMapping)
class GroupMappingAdmin(ServiceAdmin):
    list_display = ["idp_group", "org_role", "business_unit", "updated_at"]
    list_select_related = ["business_unit"]
    search_fields = ["idp_group"]
    fields = ["idp_group", "org_role", "business_unit"]

    def _may_edit(self, request: HttpRequest) -> bool:
        return rules.mapping_edit_refusal(request.user) is None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request)

    def service_create(self, request: HttpRequest, obj: GroupMapping) -> None:
        created = services.group_mapping_create(
            by=request.user,
            idp_group=obj.idp_group,
            org_role=obj.org_role,
            business_unit=obj.business_unit,
        )
        obj.pk = created.pk

    def service_change(self, request: HttpRequest, obj: GroupMapping, fields: list[str]) -> None:
        services.group_mapping_update(
            by=request.user,
            mapping=obj,
            **{name: getattr(obj, name) for name in fields if name in services.MAPPING_FIELDS},
        )

    def service_delete(self, request: HttpRequest, obj: GroupMapping) -> None:
        services.group_mapping_delete(by=request.user, mapping=obj)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(ReadOnlyAdmin):
    list_display = ["user", "issuer", "subject", "created_at", "last_sign_in"]
    list_select_related = ["user"]
    search_fields = ["user__username", "subject"]


@admin.register(SsoGrant)
class SsoGrantAdmin(ReadOnlyAdmin):
    list_display = ["user", "org_role", "business_unit"]
    list_select_related = ["user", "business_unit"]
    search_fields = ["user__username"]
