"""The production readiness checklist that gates Gate 3."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput
from gates import services as gate_services
from readiness.models import (
    ChecklistItem,
    ChecklistItemDefinition,
    ChecklistStatus,
)
from readiness.services._base import _lock
from usecases.models import UseCase

# --- Production readiness checklist ----------------------------------------


def _start_checklist(use_case: UseCase, by: Any) -> int:
    definitions = list(ChecklistItemDefinition.objects.filter(is_active=True))
    existing = set(
        ChecklistItem.objects.filter(use_case=use_case).values_list("definition_id", flat=True)
    )
    new = [
        ChecklistItem(use_case=use_case, definition=d) for d in definitions if d.pk not in existing
    ]
    ChecklistItem.objects.bulk_create(new)
    if new:
        audit_record(
            actor=by,
            action="checklist.started" if not existing else "checklist.extended",
            summary=f"Production readiness checklist: {len(new)} item(s) added",
            use_case=use_case,
            payload={"items": [row.definition.number for row in new]},
        )
    return len(new)


@transaction.atomic
def checklist_start(*, use_case: UseCase, by: Any) -> list[ChecklistItem]:
    """Create the use case's checklist from the active items (idempotent)."""
    use_case = _lock(use_case, by)
    if _start_checklist(use_case, by):
        gate_services.touch(use_case)
    return list(
        ChecklistItem.objects.filter(use_case=use_case).select_related("definition", "owner")
    )


@transaction.atomic
def checklist_item_update(
    *,
    use_case: UseCase,
    item: ChecklistItem | ChecklistItemDefinition | int,
    by: Any,
    status: str,
    owner: Any = None,
    evidence: str = "",
) -> ChecklistItem:
    """Record an item's status, owner and evidence. ``item`` is the use case's
    row, its definition or the item's number (1-15). Done and not applicable
    need evidence: what shows it is done, or why it does not apply."""
    use_case = _lock(use_case, by)
    if isinstance(item, ChecklistItem):
        if item.use_case_id != use_case.pk:
            raise InvalidInput(_("That checklist item belongs to another use case."), field="item")
        number = item.definition.number
    elif isinstance(item, ChecklistItemDefinition):
        number = item.number
    else:
        number = item
    try:
        definition = ChecklistItemDefinition.objects.get(number=number)
    except (ChecklistItemDefinition.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            _("There is no checklist item %(number)s.") % {"number": number}, field="item"
        ) from None
    if status not in ChecklistStatus.values:
        raise InvalidInput(
            _("Status must be one of: %(values)s.") % {"values": ", ".join(ChecklistStatus.values)},
            field="status",
        )
    evidence = (evidence or "").strip()
    if len(evidence) > 5000:
        raise InvalidInput(_("The evidence is longer than 5,000 characters."), field="evidence")
    if status == ChecklistStatus.DONE and not evidence:
        raise InvalidInput(_("Say what shows the item is done."), field="evidence")
    if status == ChecklistStatus.NOT_APPLICABLE and not evidence:
        raise InvalidInput(_("Say why the item does not apply."), field="evidence")
    if owner is not None and not getattr(owner, "is_active", False):
        raise InvalidInput(_("The owner must be an active user."), field="owner")
    _start_checklist(use_case, by)
    row, _created = ChecklistItem.objects.select_for_update().get_or_create(
        use_case=use_case, definition=definition
    )
    before = {"status": row.status, "owner": row.owner_id, "evidence": row.evidence}
    row.status = status
    row.owner = owner
    row.evidence = evidence
    row.updated_by = by
    row.save()
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="checklist.item_updated",
        summary=f"Checklist item {definition.number} “{definition.text}”: "
        f"{row.get_status_display()}",
        use_case=use_case,
        obj=row,
        payload={
            "number": definition.number,
            "before": before,
            "after": {"status": status, "owner": row.owner_id, "evidence": evidence},
        },
    )
    return row


def checklist_open_items(use_case_id: int) -> list[str] | None:
    """The texts of the active items not done or not applicable, or None
    when the checklist has not been started."""
    answers = dict(
        ChecklistItem.objects.filter(use_case_id=use_case_id).values_list("definition_id", "status")
    )
    if not answers:
        return None
    return [
        d.text
        for d in ChecklistItemDefinition.objects.filter(is_active=True).order_by("number")
        if answers.get(d.pk, ChecklistStatus.OPEN) == ChecklistStatus.OPEN
    ]
