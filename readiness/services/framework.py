"""Edits to the readiness definitions: scorecard items, checklist item
definitions and stage norms. One function per action; the admin calls them.

Each one is atomic, locks the row it changes, checks the editor's model
permission, writes only the fields that changed and records their values
before and after in its audit event (a deletion is audited before the row
goes). Scorecards and checklists already recorded keep pointing at their
definitions; a definition still in use cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction

from core.audit import audit_record
from gates import services as gate_services
from readiness.models import ChecklistItemDefinition, ScorecardItem, StageNorm

Definition = ScorecardItem | ChecklistItemDefinition | StageNorm

# (audit entity, how the summary names one)
_NAMES: dict[type[models.Model], tuple[str, str]] = {
    ScorecardItem: ("scorecard_item", "scorecard item"),
    ChecklistItemDefinition: ("checklist_item_definition", "checklist item"),
    StageNorm: ("stage_norm", "stage norm"),
}


def _create(*, by: Any, row: Definition) -> Definition:
    entity, label = _NAMES[type(row)]
    gate_services.framework_ensure_allowed(by, "add", type(row))
    gate_services.framework_validate(row)
    row.save()
    audit_record(
        actor=by,
        action=f"framework.{entity}_created",
        summary=f"Added {label} “{row}”",
        obj=row,
        payload={
            "before": {},
            "after": gate_services.framework_values(row, gate_services.framework_fields(type(row))),
        },
    )
    return row


def _change(*, by: Any, row: Definition, fields: Sequence[str]) -> Definition:
    entity, label = _NAMES[type(row)]
    gate_services.framework_ensure_allowed(by, "change", type(row))
    saved, before, after = gate_services.framework_row_change(row, fields)
    if not before:
        return saved
    changed = ", ".join(name.replace("_", " ") for name in before)
    audit_record(
        actor=by,
        action=f"framework.{entity}_changed",
        summary=f"Changed {changed} of {label} “{saved}”",
        obj=saved,
        payload={"before": before, "after": after},
    )
    return saved


def _delete(*, by: Any, row: Definition) -> None:
    entity, label = _NAMES[type(row)]
    model = type(row)
    gate_services.framework_ensure_allowed(by, "delete", model)
    row = model._default_manager.select_for_update().get(pk=row.pk)
    # Audited before the row goes, while its values can still be read.
    audit_record(
        actor=by,
        action=f"framework.{entity}_deleted",
        summary=f"Deleted {label} “{row}”",
        obj=row,
        payload={
            "before": gate_services.framework_values(row, gate_services.framework_fields(model)),
            "after": {},
        },
    )
    gate_services.framework_row_delete(row)


@transaction.atomic
def scorecard_item_create(*, by: Any, item: ScorecardItem) -> ScorecardItem:
    return _create(by=by, row=item)


@transaction.atomic
def scorecard_item_change(*, by: Any, item: ScorecardItem, fields: Sequence[str]) -> ScorecardItem:
    return _change(by=by, row=item, fields=fields)


@transaction.atomic
def scorecard_item_delete(*, by: Any, item: ScorecardItem) -> None:
    _delete(by=by, row=item)


@transaction.atomic
def checklist_item_definition_create(
    *, by: Any, definition: ChecklistItemDefinition
) -> ChecklistItemDefinition:
    return _create(by=by, row=definition)


@transaction.atomic
def checklist_item_definition_change(
    *, by: Any, definition: ChecklistItemDefinition, fields: Sequence[str]
) -> ChecklistItemDefinition:
    return _change(by=by, row=definition, fields=fields)


@transaction.atomic
def checklist_item_definition_delete(*, by: Any, definition: ChecklistItemDefinition) -> None:
    _delete(by=by, row=definition)


@transaction.atomic
def stage_norm_create(*, by: Any, norm: StageNorm) -> StageNorm:
    return _create(by=by, row=norm)


@transaction.atomic
def stage_norm_change(*, by: Any, norm: StageNorm, fields: Sequence[str]) -> StageNorm:
    return _change(by=by, row=norm, fields=fields)


@transaction.atomic
def stage_norm_delete(*, by: Any, norm: StageNorm) -> None:
    _delete(by=by, row=norm)
