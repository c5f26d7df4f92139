from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ServiceAdmin
from readiness import services
from readiness.models import (
    ChecklistItem,
    ChecklistItemDefinition,
    Kpi,
    KpiMeasurement,
    KpiRule,
    PocScore,
    PocScorecard,
    Prioritization,
    ScorecardItem,
    StageNorm,
)


# Definitions and norms are the framework: administrators edit them here,
# through the framework services, which audit every change.
@admin.register(ScorecardItem)
class ScorecardItemAdmin(ServiceAdmin):
    list_display = ["order", "name", "excellent", "acceptable", "insufficient", "is_active"]
    list_editable = ["is_active"]

    def service_create(self, request: HttpRequest, obj: ScorecardItem) -> None:
        services.scorecard_item_create(by=request.user, item=obj)

    def service_change(self, request: HttpRequest, obj: ScorecardItem, fields: list[str]) -> None:
        services.scorecard_item_change(by=request.user, item=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: ScorecardItem) -> None:
        services.scorecard_item_delete(by=request.user, item=obj)


@admin.register(ChecklistItemDefinition)
class ChecklistItemDefinitionAdmin(ServiceAdmin):
    list_display = ["number", "group", "text", "is_active"]
    list_filter = ["group", "is_active"]

    def service_create(self, request: HttpRequest, obj: ChecklistItemDefinition) -> None:
        services.checklist_item_definition_create(by=request.user, definition=obj)

    def service_change(
        self, request: HttpRequest, obj: ChecklistItemDefinition, fields: list[str]
    ) -> None:
        services.checklist_item_definition_change(by=request.user, definition=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: ChecklistItemDefinition) -> None:
        services.checklist_item_definition_delete(by=request.user, definition=obj)


@admin.register(StageNorm)
class StageNormAdmin(ServiceAdmin):
    list_display = ["stage", "min_days", "max_days"]

    def service_create(self, request: HttpRequest, obj: StageNorm) -> None:
        services.stage_norm_create(by=request.user, norm=obj)

    def service_change(self, request: HttpRequest, obj: StageNorm, fields: list[str]) -> None:
        services.stage_norm_change(by=request.user, norm=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: StageNorm) -> None:
        services.stage_norm_delete(by=request.user, norm=obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Assessments change only through the services (which audit them)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Prioritization)
class PrioritizationAdmin(ReadOnlyAdmin):
    list_display = [
        "use_case",
        "business_impact",
        "data_readiness",
        "technical_feasibility",
        "organisational_readiness",
        "updated_at",
    ]


class PocScoreInline(admin.TabularInline):
    model = PocScore
    extra = 0
    can_delete = False
    readonly_fields = ["item", "score", "comment"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PocScorecard)
class PocScorecardAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "version", "total", "band", "scored_by", "scored_at"]
    list_filter = ["band"]
    inlines = [PocScoreInline]


@admin.register(PocScore)
class PocScoreAdmin(ReadOnlyAdmin):
    list_display = ["scorecard", "item", "score"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "definition", "status", "owner", "updated_at"]
    list_filter = ["status"]


@admin.register(Kpi)
class KpiAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "name", "kind", "unit", "baseline", "target", "direction"]


@admin.register(KpiMeasurement)
class KpiMeasurementAdmin(ReadOnlyAdmin):
    list_display = ["kpi", "value", "measured_at", "recorded_by"]


@admin.register(KpiRule)
class KpiRuleAdmin(ReadOnlyAdmin):
    list_display = ["review_criterion", "kpi", "operator", "threshold"]
