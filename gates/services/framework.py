"""Edits to the framework: gate templates with their criteria, artifact types
and approver roles. One function per action; the admin calls them.

Each one is atomic, locks the template first (then the row, so two saves of
one gate serialize), checks the editor's model permission, writes only the
fields that changed and records their values before and after in its audit
event. A change to a template or to any of its rows makes a new version of
the template; reviews already opened keep their snapshot and the version
they recorded. A caller saving several rows of one template at once (the
admin's change form) passes ``bump_version=False`` to the row functions and
calls ``gate_template_change`` once, so one save is one version.

The helpers at the top are shared with the readiness definitions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from gates import applicability
from gates.models import (
    ArtifactType,
    Control,
    DecommissioningStep,
    ExitReason,
    GateApproverRole,
    GateCriterion,
    GateTemplate,
    ReviewCriterion,
)

# --- Shared by every framework edit -------------------------------------------


def framework_fields(model: type[models.Model]) -> list[str]:
    """The fields an administrator edits: concrete, editable, not the key."""
    return [f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def framework_values(obj: models.Model, names: Sequence[str]) -> dict[str, Any]:
    """The named fields as JSON values (a foreign key as its id)."""
    return {
        name: json.loads(
            json.dumps(obj._meta.get_field(name).value_from_object(obj), cls=DjangoJSONEncoder)
        )
        for name in names
    }


def framework_ensure_allowed(by: Any, action: str, model: type[models.Model]) -> None:
    """The admin's own permission: ``<app>.<add|change|delete>_<model>``."""
    opts = model._meta
    if not by.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        raise PermissionRefused(
            _("You may not %(action)s %(verbose_name_plural)s.")
            % {"action": action, "verbose_name_plural": opts.verbose_name_plural}
        )


def framework_validate(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field = next(iter(exc.message_dict), None) if hasattr(exc, "error_dict") else None
        raise InvalidInput(" ".join(exc.messages), field=field) from None
    # Applicability rules (criteria and artifact types): unknown keys, tiers
    # or regulation codes would silently never apply.
    if isinstance(obj, GateCriterion | ArtifactType):
        errors = applicability.validation_errors(obj.applies_when)
        if errors:
            raise InvalidInput(" ".join(errors), field="applies_when")


def framework_row_change(
    obj: models.Model, fields: Sequence[str], *, fixed: Sequence[str] = ()
) -> tuple[models.Model, dict[str, Any], dict[str, Any]]:
    """Lock ``obj``'s row, copy the named fields from ``obj`` (which holds the
    new values) onto it and save those that differ. Returns the saved row and
    the values before and after of the fields that changed (empty when none
    did). ``fixed`` fields are never changed here."""
    model = type(obj)
    editable = framework_fields(model)
    unknown = [name for name in fields if name not in editable]
    if unknown:
        raise InvalidInput(_("Unknown fields: %(unknown)s.") % {"unknown": ", ".join(unknown)})
    row = model._default_manager.select_for_update().get(pk=obj.pk)
    before = framework_values(row, fields)
    for name in fields:
        field = model._meta.get_field(name)
        setattr(row, field.attname, field.value_from_object(obj))
    after = framework_values(row, fields)
    changed = [name for name in fields if before[name] != after[name]]
    refused = [name for name in changed if name in fixed]
    if refused:
        raise InvalidInput(
            _("%(refused)s cannot be changed once set.") % {"refused": ", ".join(refused)},
            field=refused[0],
        )
    if changed:
        framework_validate(row)
        auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        row.save(update_fields=[*changed, *auto_now])
    return row, {n: before[n] for n in changed}, {n: after[n] for n in changed}


def framework_row_delete(obj: models.Model) -> None:
    try:
        obj.delete()
    except ProtectedError as exc:
        raise TransitionRefused(
            _("“%(obj)s” is still in use and cannot be deleted.") % {"obj": obj},
            sorted({str(o) for o in exc.protected_objects})[:10],
        ) from None


def _changed(before: dict[str, Any]) -> str:
    return ", ".join(name.replace("_", " ") for name in before)


# --- Gate templates -------------------------------------------------------------

# The gates sit between fixed stages; renumbering one would break the path
# every use case follows.
TEMPLATE_FIXED_FIELDS = ("number", "from_stage", "to_stage")


def _lock_template(template_id: int) -> GateTemplate:
    return GateTemplate.objects.select_for_update().get(pk=template_id)


def _bump_version(template: GateTemplate) -> None:
    GateTemplate.objects.filter(pk=template.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    template.refresh_from_db(fields=["version", "updated_at"])


@transaction.atomic
def gate_template_create(*, by: Any, template: GateTemplate) -> GateTemplate:
    framework_ensure_allowed(by, "add", GateTemplate)
    framework_validate(template)
    template.save()
    audit_record(
        actor=by,
        action="framework.gate_template_created",
        summary=f"Added gate {template.number}: {template.name}",
        obj=template,
        payload={
            "before": {},
            "after": {
                **framework_values(template, framework_fields(GateTemplate)),
                "version": template.version,
            },
        },
    )
    return template


@transaction.atomic
def gate_template_change(
    *,
    by: Any,
    template: GateTemplate,
    fields: Sequence[str] = (),
    rows_changed: bool = False,
) -> GateTemplate:
    """Save the named fields of ``template`` (an instance holding the new
    values) as a new version. ``rows_changed`` says the caller has just
    changed rows of this template with ``bump_version=False``: the version
    moves even when no field of the template itself did."""
    framework_ensure_allowed(by, "change", GateTemplate)
    locked, before, after = framework_row_change(template, fields, fixed=TEMPLATE_FIXED_FIELDS)
    if not before and not rows_changed:
        return locked
    version = locked.version
    _bump_version(locked)
    template.version, template.updated_at = locked.version, locked.updated_at
    what = _changed(before) if before else "criteria, artifact types or approver roles"
    audit_record(
        actor=by,
        action="framework.gate_template_changed",
        summary=f"{locked.label}: changed {what} (version {locked.version})",
        obj=locked,
        payload={
            "before": {**before, "version": version},
            "after": {**after, "version": locked.version},
        },
    )
    return locked


# --- Rows of a template: criteria, artifact types, approver roles -------------

TemplateRow = GateCriterion | ArtifactType | GateApproverRole

# (audit entity, how the summary names one)
_ROW_NAMES: dict[type[models.Model], tuple[str, str]] = {
    GateCriterion: ("gate_criterion", "criterion"),
    ArtifactType: ("artifact_type", "artifact type"),
    GateApproverRole: ("gate_approver_role", "approver role"),
}


def _lock_template_of(row: TemplateRow) -> GateTemplate:
    # The template the row belongs to now, not the one the caller's copy names.
    manager = type(row)._default_manager
    return _lock_template(manager.values_list("template_id", flat=True).get(pk=row.pk))


def _row_create(*, by: Any, row: TemplateRow, bump_version: bool) -> TemplateRow:
    entity, label = _ROW_NAMES[type(row)]
    template = _lock_template(row.template_id)
    framework_ensure_allowed(by, "add", type(row))
    framework_validate(row)
    row.save()
    if bump_version:
        _bump_version(template)
    audit_record(
        actor=by,
        action=f"framework.{entity}_created",
        summary=f"{template.label}: added {label} “{row}”",
        obj=row,
        payload={
            "before": {},
            "after": framework_values(row, framework_fields(type(row))),
            "template_version": template.version,
        },
    )
    return row


def _row_change(
    *, by: Any, row: TemplateRow, fields: Sequence[str], bump_version: bool
) -> TemplateRow:
    entity, label = _ROW_NAMES[type(row)]
    template = _lock_template_of(row)
    framework_ensure_allowed(by, "change", type(row))
    # A row belongs to one gate: moving it would change two versions at once.
    saved, before, after = framework_row_change(row, fields, fixed=["template"])
    if not before:
        return saved
    if bump_version:
        _bump_version(template)
    audit_record(
        actor=by,
        action=f"framework.{entity}_changed",
        summary=f"{template.label}: changed {_changed(before)} of {label} “{saved}”",
        obj=saved,
        payload={"before": before, "after": after, "template_version": template.version},
    )
    return saved


def _row_delete(*, by: Any, row: TemplateRow, bump_version: bool) -> None:
    entity, label = _ROW_NAMES[type(row)]
    model = type(row)
    template = _lock_template_of(row)
    framework_ensure_allowed(by, "delete", model)
    row = model._default_manager.select_for_update().get(pk=row.pk)
    if bump_version:
        _bump_version(template)
    # Audited before the row goes, while its values can still be read.
    audit_record(
        actor=by,
        action=f"framework.{entity}_deleted",
        summary=f"{template.label}: removed {label} “{row}”",
        obj=row,
        payload={
            "before": framework_values(row, framework_fields(model)),
            "after": {},
            "template_version": template.version,
        },
    )
    framework_row_delete(row)


@transaction.atomic
def gate_criterion_create(
    *, by: Any, criterion: GateCriterion, bump_version: bool = True
) -> GateCriterion:
    return _row_create(by=by, row=criterion, bump_version=bump_version)


@transaction.atomic
def gate_criterion_change(
    *, by: Any, criterion: GateCriterion, fields: Sequence[str], bump_version: bool = True
) -> GateCriterion:
    return _row_change(by=by, row=criterion, fields=fields, bump_version=bump_version)


@transaction.atomic
def gate_criterion_delete(*, by: Any, criterion: GateCriterion, bump_version: bool = True) -> None:
    _row_delete(by=by, row=criterion, bump_version=bump_version)


@transaction.atomic
def artifact_type_create(
    *, by: Any, artifact_type: ArtifactType, bump_version: bool = True
) -> ArtifactType:
    return _row_create(by=by, row=artifact_type, bump_version=bump_version)


@transaction.atomic
def artifact_type_change(
    *, by: Any, artifact_type: ArtifactType, fields: Sequence[str], bump_version: bool = True
) -> ArtifactType:
    return _row_change(by=by, row=artifact_type, fields=fields, bump_version=bump_version)


@transaction.atomic
def artifact_type_delete(
    *, by: Any, artifact_type: ArtifactType, bump_version: bool = True
) -> None:
    _row_delete(by=by, row=artifact_type, bump_version=bump_version)


@transaction.atomic
def gate_approver_role_create(
    *, by: Any, approver_role: GateApproverRole, bump_version: bool = True
) -> GateApproverRole:
    return _row_create(by=by, row=approver_role, bump_version=bump_version)


@transaction.atomic
def gate_approver_role_change(
    *,
    by: Any,
    approver_role: GateApproverRole,
    fields: Sequence[str],
    bump_version: bool = True,
) -> GateApproverRole:
    return _row_change(by=by, row=approver_role, fields=fields, bump_version=bump_version)


@transaction.atomic
def gate_approver_role_delete(
    *, by: Any, approver_role: GateApproverRole, bump_version: bool = True
) -> None:
    _row_delete(by=by, row=approver_role, bump_version=bump_version)


# --- Controls cited by criteria and artifact types ----------------------------


def _row_set_controls(
    *, by: Any, row: GateCriterion | ArtifactType, controls: Sequence[Control], bump_version: bool
) -> GateCriterion | ArtifactType:
    """Replace the controls a criterion or artifact type cites: a change of
    its template like any other (a new version unless the caller bumps it)."""
    entity, label = _ROW_NAMES[type(row)]
    template = _lock_template_of(row)
    framework_ensure_allowed(by, "change", type(row))
    row = type(row)._default_manager.select_for_update().get(pk=row.pk)
    before = sorted(row.controls.values_list("pk", flat=True))
    after = sorted({c.pk for c in controls})
    if before == after:
        return row
    row.controls.set(after)
    if bump_version:
        _bump_version(template)
    audit_record(
        actor=by,
        action=f"framework.{entity}_changed",
        summary=f"{template.label}: changed controls of {label} “{row}”",
        obj=row,
        payload={
            "before": {"controls": before},
            "after": {"controls": after},
            "template_version": template.version,
        },
    )
    return row


@transaction.atomic
def gate_criterion_set_controls(
    *, by: Any, criterion: GateCriterion, controls: Sequence[Control], bump_version: bool = True
) -> GateCriterion:
    return _row_set_controls(by=by, row=criterion, controls=controls, bump_version=bump_version)


@transaction.atomic
def artifact_type_set_controls(
    *, by: Any, artifact_type: ArtifactType, controls: Sequence[Control], bump_version: bool = True
) -> ArtifactType:
    return _row_set_controls(by=by, row=artifact_type, controls=controls, bump_version=bump_version)


# Controls, decommissioning steps and exit reasons belong to no template
# version: editing one makes no new version. Each is created, changed and
# deleted the same way, audited as ``framework.<kind>_created`` and so on.


def _definition_create(*, by: Any, row: models.Model, kind: str, noun: str) -> Any:
    model = type(row)
    framework_ensure_allowed(by, "add", model)
    framework_validate(row)
    row.save()
    audit_record(
        actor=by,
        action=f"framework.{kind}_created",
        summary=f"Added {noun} “{row}”",
        obj=row,
        payload={"before": {}, "after": framework_values(row, framework_fields(model))},
    )
    return row


def _definition_change(
    *, by: Any, row: models.Model, fields: Sequence[str], kind: str, noun: str
) -> Any:
    framework_ensure_allowed(by, "change", type(row))
    saved, before, after = framework_row_change(row, fields)
    if before:
        audit_record(
            actor=by,
            action=f"framework.{kind}_changed",
            summary=f"Changed {_changed(before)} of {noun} “{saved}”",
            obj=saved,
            payload={"before": before, "after": after},
        )
    return saved


def _definition_locked(*, by: Any, row: models.Model) -> Any:
    model = type(row)
    framework_ensure_allowed(by, "delete", model)
    return model.objects.select_for_update().get(pk=row.pk)


def _definition_delete(*, by: Any, row: models.Model, kind: str, noun: str) -> None:
    audit_record(
        actor=by,
        action=f"framework.{kind}_deleted",
        summary=f"Removed {noun} “{row}”",
        obj=row,
        payload={"before": framework_values(row, framework_fields(type(row))), "after": {}},
    )
    framework_row_delete(row)


# A review shows a control as it reads now.


@transaction.atomic
def control_create(*, by: Any, control: Control) -> Control:
    return _definition_create(by=by, row=control, kind="control", noun="control")


@transaction.atomic
def control_change(*, by: Any, control: Control, fields: Sequence[str]) -> Control:
    return _definition_change(by=by, row=control, fields=fields, kind="control", noun="control")


@transaction.atomic
def control_delete(*, by: Any, control: Control) -> None:
    row = _definition_locked(by=by, row=control)
    # Reviews keep the controls their criteria cited: history is not rewritten.
    if ReviewCriterion.controls.through.objects.filter(control_id=row.pk).exists():
        raise TransitionRefused(
            _("“%(row)s” is still in use and cannot be deleted.") % {"row": row},
            [_("Gate reviews cite it as evidence of their criteria.")],
        )
    _definition_delete(by=by, row=row, kind="control", noun="control")


# A Retire keeps a snapshot of each decommissioning step's text as answered.

STEP = {"kind": "decommissioning_step", "noun": "decommissioning step"}


@transaction.atomic
def decommissioning_step_create(*, by: Any, step: DecommissioningStep) -> DecommissioningStep:
    return _definition_create(by=by, row=step, **STEP)


@transaction.atomic
def decommissioning_step_change(
    *, by: Any, step: DecommissioningStep, fields: Sequence[str]
) -> DecommissioningStep:
    return _definition_change(by=by, row=step, fields=fields, **STEP)


@transaction.atomic
def decommissioning_step_delete(*, by: Any, step: DecommissioningStep) -> None:
    _definition_delete(by=by, row=_definition_locked(by=by, row=step), **STEP)


# A decided review points at its exit reason: one in use is switched off,
# not deleted (the delete is refused).

REASON = {"kind": "exit_reason", "noun": "exit reason"}


@transaction.atomic
def exit_reason_create(*, by: Any, reason: ExitReason) -> ExitReason:
    return _definition_create(by=by, row=reason, **REASON)


@transaction.atomic
def exit_reason_change(*, by: Any, reason: ExitReason, fields: Sequence[str]) -> ExitReason:
    return _definition_change(by=by, row=reason, fields=fields, **REASON)


@transaction.atomic
def exit_reason_delete(*, by: Any, reason: ExitReason) -> None:
    _definition_delete(by=by, row=_definition_locked(by=by, row=reason), **REASON)
