from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ServiceAdmin
from value import services
from value.models import Benefit, CostLine, CostMultiplier


# The multipliers are framework data: administrators edit them here, through
# the services, which audit every change.
@admin.register(CostMultiplier)
class CostMultiplierAdmin(ServiceAdmin):
    list_display = ["category", "low", "high"]

    def service_create(self, request: HttpRequest, obj: CostMultiplier) -> None:
        services.cost_multiplier_create(by=request.user, multiplier=obj)

    def service_change(self, request: HttpRequest, obj: CostMultiplier, fields: list[str]) -> None:
        services.cost_multiplier_change(by=request.user, multiplier=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: CostMultiplier) -> None:
        services.cost_multiplier_delete(by=request.user, multiplier=obj)


# A use case's figures change on its Value page or through the API.
@admin.register(CostLine)
class CostLineAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "stage", "category", "planned", "actual", "updated_at"]
    list_filter = ["stage", "category"]
    list_select_related = ["use_case"]


@admin.register(Benefit)
class BenefitAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "name", "annual_amount", "kpi"]
    list_select_related = ["use_case", "kpi"]
