from __future__ import annotations

from django.contrib import admin

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


# Definitions and norms are the framework: administrators edit them here.
@admin.register(ScorecardItem)
class ScorecardItemAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "excellent", "acceptable", "insufficient", "is_active"]
    list_editable = ["is_active"]


@admin.register(ChecklistItemDefinition)
class ChecklistItemDefinitionAdmin(admin.ModelAdmin):
    list_display = ["number", "group", "text", "is_active"]
    list_filter = ["group", "is_active"]


@admin.register(StageNorm)
class StageNormAdmin(admin.ModelAdmin):
    list_display = ["stage", "min_days", "max_days"]


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
