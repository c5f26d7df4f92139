"""Admin of the gate engine.

Administrators edit the framework (gate templates with their criteria,
artifact types and approver roles) through the framework services, which
audit every change; every saved change bumps the template's version once,
and open reviews keep the snapshot they were opened with. Everything
a review records (status, approvals, decisions, stage transitions, artifacts,
the audit trail) is read-only here: it changes only through the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceInline
from gates import applicability, services
from gates.models import (
    ApproverDelegation,
    Artifact,
    ArtifactType,
    Control,
    DecommissioningStep,
    ExitReason,
    GateApproverRole,
    GateCondition,
    GateCriterion,
    GateReview,
    GateTemplate,
    ProposedCondition,
    ReviewApprover,
    ReviewArtifactRequirement,
    ReviewCriterion,
    StageTransition,
)
from usecases.models import Stage


class ApplicabilityForm(forms.ModelForm):
    """A criterion's or artifact type's applicability rule and cited controls:
    a rule that could never hold is refused next to the field; the controls
    are saved by the framework services with the row (``pending_controls``)."""

    def clean_applies_when(self) -> Any:
        value = self.cleaned_data.get("applies_when")
        errors = applicability.validation_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value or {}

    def save(self, commit: bool = True) -> Any:
        obj = super().save(commit=commit)
        if "controls" in self.changed_data:
            obj.pending_controls = list(self.cleaned_data["controls"])
        return obj


def _controls_changed(fields: list[str]) -> tuple[list[str], bool]:
    return [f for f in fields if f != "controls"], "controls" in fields


class GateCriterionInline(ServiceInline):
    model = GateCriterion
    form = ApplicabilityForm
    extra = 0
    fields = ["order", "name", "requirement", "must_meet", "applies_when", "controls"]
    autocomplete_fields = ["controls"]

    # The template admin makes one new version for the whole save, so the
    # rows are saved without bumping it.
    def service_create(self, request: HttpRequest, obj: GateCriterion, parent: Any) -> None:
        services.gate_criterion_create(by=request.user, criterion=obj, bump_version=False)
        if getattr(obj, "pending_controls", None):
            services.gate_criterion_set_controls(
                by=request.user, criterion=obj, controls=obj.pending_controls, bump_version=False
            )

    def service_change(self, request: HttpRequest, obj: GateCriterion, fields: list[str]) -> None:
        fields, controls = _controls_changed(fields)
        if fields:
            services.gate_criterion_change(
                by=request.user, criterion=obj, fields=fields, bump_version=False
            )
        if controls:
            services.gate_criterion_set_controls(
                by=request.user, criterion=obj, controls=obj.pending_controls, bump_version=False
            )

    def service_delete(self, request: HttpRequest, obj: GateCriterion) -> None:
        services.gate_criterion_delete(by=request.user, criterion=obj, bump_version=False)


class ArtifactTypeInline(ServiceInline):
    model = ArtifactType
    form = ApplicabilityForm
    extra = 0
    fields = [
        "order",
        "code",
        "name",
        "required",
        "is_active",
        "validity_months",
        "applies_when",
        "controls",
    ]
    autocomplete_fields = ["controls"]

    def service_create(self, request: HttpRequest, obj: ArtifactType, parent: Any) -> None:
        services.artifact_type_create(by=request.user, artifact_type=obj, bump_version=False)
        if getattr(obj, "pending_controls", None):
            services.artifact_type_set_controls(
                by=request.user,
                artifact_type=obj,
                controls=obj.pending_controls,
                bump_version=False,
            )

    def service_change(self, request: HttpRequest, obj: ArtifactType, fields: list[str]) -> None:
        fields, controls = _controls_changed(fields)
        if fields:
            services.artifact_type_change(
                by=request.user, artifact_type=obj, fields=fields, bump_version=False
            )
        if controls:
            services.artifact_type_set_controls(
                by=request.user,
                artifact_type=obj,
                controls=obj.pending_controls,
                bump_version=False,
            )

    def service_delete(self, request: HttpRequest, obj: ArtifactType) -> None:
        services.artifact_type_delete(by=request.user, artifact_type=obj, bump_version=False)


class GateApproverRoleInline(ServiceInline):
    model = GateApproverRole
    extra = 0
    fields = ["order", "role", "condition"]

    def service_create(self, request: HttpRequest, obj: GateApproverRole, parent: Any) -> None:
        services.gate_approver_role_create(by=request.user, approver_role=obj, bump_version=False)

    def service_change(
        self, request: HttpRequest, obj: GateApproverRole, fields: list[str]
    ) -> None:
        services.gate_approver_role_change(
            by=request.user, approver_role=obj, fields=fields, bump_version=False
        )

    def service_delete(self, request: HttpRequest, obj: GateApproverRole) -> None:
        services.gate_approver_role_delete(by=request.user, approver_role=obj, bump_version=False)


@admin.register(GateTemplate)
class GateTemplateAdmin(ServiceAdmin):
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
        # One gate between each pair of stages and the Recertification, no more.
        if GateTemplate.objects.count() >= len(Stage.ordered()):
            return False
        return super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_create(self, request: HttpRequest, obj: GateTemplate) -> None:
        services.gate_template_create(by=request.user, template=obj)

    def save_model(self, request: HttpRequest, obj: GateTemplate, form: Any, change: bool) -> None:
        # A change is saved in save_related, with its rows, as one version.
        if not change:
            self.service_create(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        rows_changed = any(formset.has_changed() for formset in formsets)
        if change and (form.changed_data or rows_changed):
            # One new version for the whole save, made before the rows so
            # their audit events name it; the inlines save them without a bump.
            # Reviews already opened keep their snapshot and their version.
            services.gate_template_change(
                by=request.user,
                template=form.instance,
                fields=form.changed_data,
                rows_changed=rows_changed,
            )
        super().save_related(request, form, formsets, change)


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


@admin.register(ApproverDelegation)
class ApproverDelegationAdmin(ReadOnlyAdmin):
    # Given and revoked on the delegations page (services.delegation_*), audited there.
    list_display = ["holder", "delegate", "starts_on", "ends_on", "revoked_at"]
    list_select_related = ["holder", "delegate"]
    search_fields = ["holder__username", "delegate__username"]


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


@admin.register(ProposedCondition)
class ProposedConditionAdmin(ReadOnlyAdmin):
    list_display = ["review", "description", "owner", "due_date", "proposed_by", "adopted_as"]
    list_select_related = ["review", "review__use_case", "owner", "proposed_by", "adopted_as"]


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


@admin.register(Control)
class ControlAdmin(ServiceAdmin):
    """The framework controls criteria and artifact types cite; every add,
    change and delete goes through the framework services and is audited."""

    list_display = ["framework", "reference", "title"]
    list_filter = ["framework"]
    search_fields = ["reference", "title"]

    def service_create(self, request: HttpRequest, obj: Control) -> None:
        services.control_create(by=request.user, control=obj)

    def service_change(self, request: HttpRequest, obj: Control, fields: list[str]) -> None:
        services.control_change(by=request.user, control=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: Control) -> None:
        services.control_delete(by=request.user, control=obj)


@admin.register(DecommissioningStep)
class DecommissioningStepAdmin(ServiceAdmin):
    """The checklist a Retire decision answers; every add, change and delete
    goes through the framework services and is audited. A Retire keeps the
    text of each step as it answered it."""

    list_display = ["order", "text", "is_active"]
    list_filter = ["is_active"]

    def service_create(self, request: HttpRequest, obj: DecommissioningStep) -> None:
        services.decommissioning_step_create(by=request.user, step=obj)

    def service_change(
        self, request: HttpRequest, obj: DecommissioningStep, fields: list[str]
    ) -> None:
        services.decommissioning_step_change(by=request.user, step=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: DecommissioningStep) -> None:
        services.decommissioning_step_delete(by=request.user, step=obj)


@admin.register(ExitReason)
class ExitReasonAdmin(ServiceAdmin):
    """The taxonomy a Kill or Retire picks its reason from; every add, change
    and delete goes through the framework services and is audited. A reason
    a decision gave cannot be deleted: switch it off instead."""

    list_display = ["order", "label", "code", "applies_to", "is_active"]
    list_filter = ["applies_to", "is_active"]

    def service_create(self, request: HttpRequest, obj: ExitReason) -> None:
        services.exit_reason_create(by=request.user, reason=obj)

    def service_change(self, request: HttpRequest, obj: ExitReason, fields: list[str]) -> None:
        services.exit_reason_change(by=request.user, reason=obj, fields=fields)

    def service_delete(self, request: HttpRequest, obj: ExitReason) -> None:
        services.exit_reason_delete(by=request.user, reason=obj)
