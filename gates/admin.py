"""Admin of the gate engine.

Administrators edit the framework (gate templates with their criteria,
artifact types and approver roles); every saved change bumps the template's
version, and open reviews keep the snapshot they were opened with. Everything
a review records (status, approvals, decisions, stage transitions, artifacts,
the audit trail) is read-only here: it changes only through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from gates.models import (
    Artifact,
    ArtifactType,
    GateApproverRole,
    GateCondition,
    GateCriterion,
    GateReview,
    GateTemplate,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    StageTransition,
)
from usecases.models import Stage


class GateCriterionInline(admin.TabularInline):
    model = GateCriterion
    extra = 0
    fields = ["order", "name", "requirement", "must_meet"]


class ArtifactTypeInline(admin.TabularInline):
    model = ArtifactType
    extra = 0
    fields = ["order", "code", "name", "required", "is_active"]


class GateApproverRoleInline(admin.TabularInline):
    model = GateApproverRole
    extra = 0
    fields = ["order", "role", "condition"]


@admin.register(GateTemplate)
class GateTemplateAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "from_stage", "to_stage", "version", "updated_at"]
    readonly_fields = ["version", "updated_at"]
    inlines = [GateCriterionInline, ArtifactTypeInline, GateApproverRoleInline]

    def get_readonly_fields(self, request: HttpRequest, obj: GateTemplate | None = None):
        # The gates sit between fixed stages; renumbering one would break the
        # path every use case follows.
        if obj is not None:
            return [*self.readonly_fields, "number", "from_stage", "to_stage"]
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One gate between each pair of stages, and no more.
        if GateTemplate.objects.count() >= len(Stage.ordered()) - 1:
            return False
        return super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Bump after the inlines are saved, with an F() update so two
        # administrators saving at once both count. Reviews already opened
        # keep their snapshot rows and the version they recorded.
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            GateTemplate.objects.filter(pk=form.instance.pk).update(version=F("version") + 1)
            form.instance.refresh_from_db(fields=["version"])


class ReviewCriterionInline(ReadOnlyInline):
    model = ReviewCriterion
    fields = ["order", "name", "must_meet", "status", "assessed_by", "assessed_at"]
    readonly_fields = fields


class ReviewApproverInline(ReadOnlyInline):
    model = ReviewApprover
    fields = ["user", "roles", "decision", "comment", "decided_at"]
    readonly_fields = fields


class GateConditionInline(ReadOnlyInline):
    model = GateCondition
    fields = ["description", "owner", "due_date", "status", "closed_at"]
    readonly_fields = fields


@admin.register(GateReview)
class GateReviewAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "use_case",
        "gate_number",
        "status",
        "decision",
        "chair",
        "opened_at",
        "decided_at",
    ]
    list_filter = ["gate_number", "status", "decision"]
    search_fields = ["use_case__title"]
    list_select_related = ["use_case", "chair"]
    inlines = [ReviewCriterionInline, ReviewApproverInline, GateConditionInline]


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "use_case",
        "artifact_type",
        "version",
        "original_name",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["artifact_type__template__number"]
    search_fields = ["original_name", "use_case__title", "sha256"]
    list_select_related = ["use_case", "artifact_type", "uploaded_by"]
    # No file field: the file leaves only through the permission-checked view.
    exclude = ["file"]


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "from_stage", "to_stage", "decision", "decided_by", "occurred_at"]
    list_select_related = ["use_case", "decided_by"]


@admin.register(ReviewApprover)
class ReviewApproverAdmin(ReadOnlyAdmin):
    list_display = ["review", "user", "decision", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["review", "review__use_case", "user"]


@admin.register(ReviewCriterion)
class ReviewCriterionAdmin(ReadOnlyAdmin):
    list_display = ["review", "name", "must_meet", "status", "assessed_by", "assessed_at"]
    list_filter = ["status", "must_meet"]
    list_select_related = ["review", "review__use_case", "assessed_by"]


@admin.register(ReviewArtifactRequirement)
class ReviewArtifactRequirementAdmin(ReadOnlyAdmin):
    list_display = ["review", "artifact_type", "order"]
    list_select_related = ["review", "review__use_case", "artifact_type"]


@admin.register(GateCondition)
class GateConditionAdmin(ReadOnlyAdmin):
    list_display = ["review", "description", "owner", "due_date", "status"]
    list_filter = ["status"]
    list_select_related = ["review", "review__use_case", "owner"]


# Criteria, artifact types and approver roles are edited inline on their gate,
# so a change bumps the gate's version; these pages are for reading.
@admin.register(GateCriterion)
class GateCriterionAdmin(ReadOnlyAdmin):
    list_display = ["template", "order", "name", "must_meet"]
    list_select_related = ["template"]


@admin.register(ArtifactType)
class ArtifactTypeAdmin(ReadOnlyAdmin):
    list_display = ["template", "order", "code", "name", "required", "is_active"]
    list_select_related = ["template"]


@admin.register(GateApproverRole)
class GateApproverRoleAdmin(ReadOnlyAdmin):
    list_display = ["template", "order", "role", "condition"]
    list_select_related = ["template"]
