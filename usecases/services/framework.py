"""Business units, the framework data an administrator edits in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from usecases import access
from usecases.models import BusinessUnit, BusinessUnitMember

User = get_user_model()

# --- Business units (framework data, edited in the admin) ---------------------


BUSINESS_UNIT_FIELDS = ("name", "code", "head")


def _business_unit_values(
    unit: BusinessUnit, fields: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    # The head as a user id, as the use case payloads name their business unit.
    return {name: unit.head_id if name == "head" else getattr(unit, name) for name in fields}


def _business_unit_ensure_allowed(by: Any, action: str) -> None:
    if not by.has_perm(f"usecases.{action}_businessunit"):
        raise PermissionRefused(_("You may not %(action)s business units.") % {"action": action})


def _business_unit_validate(unit: BusinessUnit) -> None:
    try:
        unit.full_clean()
    except ValidationError as exc:
        field = next(iter(exc.message_dict), None) if hasattr(exc, "error_dict") else None
        raise InvalidInput(" ".join(exc.messages), field=field) from None


@transaction.atomic
def business_unit_create(*, by: Any, business_unit: BusinessUnit) -> BusinessUnit:
    _business_unit_ensure_allowed(by, "add")
    _business_unit_validate(business_unit)
    business_unit.save()
    audit_record(
        actor=by,
        action="framework.business_unit_created",
        summary=f"Added business unit “{business_unit.name}”",
        obj=business_unit,
        payload={
            "before": {},
            "after": _business_unit_values(business_unit, BUSINESS_UNIT_FIELDS),
        },
    )
    return business_unit


@transaction.atomic
def business_unit_change(
    *, by: Any, business_unit: BusinessUnit, fields: list[str] | tuple[str, ...]
) -> BusinessUnit:
    """Save the named fields of ``business_unit`` (an instance holding the new
    values); only those that differ from the stored row are written and audited."""
    _business_unit_ensure_allowed(by, "change")
    unknown = [name for name in fields if name not in BUSINESS_UNIT_FIELDS]
    if unknown:
        raise InvalidInput(_("Unknown fields: %(unknown)s.") % {"unknown": ", ".join(unknown)})
    unit = BusinessUnit.objects.select_for_update().get(pk=business_unit.pk)
    before = _business_unit_values(unit, fields)
    after = _business_unit_values(business_unit, fields)
    changed = [name for name in fields if before[name] != after[name]]
    if not changed:
        return unit
    for name in changed:
        attname = "head_id" if name == "head" else name
        setattr(unit, attname, getattr(business_unit, attname))
    _business_unit_validate(unit)
    unit.save(update_fields=changed)
    audit_record(
        actor=by,
        action="framework.business_unit_changed",
        summary=f"Business unit “{unit.name}”: changed {', '.join(changed)}",
        obj=unit,
        payload={
            "before": {n: before[n] for n in changed},
            "after": {n: after[n] for n in changed},
        },
    )
    return unit


@transaction.atomic
def business_unit_delete(*, by: Any, business_unit: BusinessUnit) -> None:
    _business_unit_ensure_allowed(by, "delete")
    unit = BusinessUnit.objects.select_for_update().get(pk=business_unit.pk)
    if unit.use_cases.exists():
        raise TransitionRefused(
            _("“%(name)s” still has use cases and cannot be deleted.") % {"name": unit.name},
            [_("Move its use cases to another business unit first.")],
        )
    # Audited before the row goes, while its values can still be read.
    audit_record(
        actor=by,
        action="framework.business_unit_deleted",
        summary=f"Deleted business unit “{unit.name}”",
        obj=unit,
        payload={"before": _business_unit_values(unit, BUSINESS_UNIT_FIELDS), "after": {}},
    )
    unit.delete()


# --- Who works in a business unit (they may propose its use cases) ------------


def _membership_ensure_allowed(by: Any) -> None:
    """Program leads and administrators name who works in a unit."""
    if not (access.is_program_lead(by) or by.has_perm("usecases.change_businessunit")):
        raise PermissionRefused(
            _("Only program leads and administrators change who works in a business unit.")
        )


@transaction.atomic
def business_unit_member_add(
    *, by: Any, business_unit: BusinessUnit, user: Any
) -> BusinessUnitMember:
    _membership_ensure_allowed(by)
    unit = BusinessUnit.objects.select_for_update().get(pk=business_unit.pk)
    if not user.is_active:
        raise InvalidInput(
            _("%(get_username)s is deactivated.") % {"get_username": user.get_username()},
            field="user",
        )
    member, created = BusinessUnitMember.objects.get_or_create(business_unit=unit, user=user)
    if not created:
        raise TransitionRefused(
            _("%(get_username)s already works in %(name)s.")
            % {"get_username": user.get_username(), "name": unit.name}
        )
    audit_record(
        actor=by,
        action="framework.business_unit_member_added",
        summary=f"Added {user.get_username()} to business unit “{unit.name}”",
        obj=unit,
        payload={"user": user.get_username()},
    )
    return member


@transaction.atomic
def business_unit_member_remove(*, by: Any, member: BusinessUnitMember) -> None:
    _membership_ensure_allowed(by)
    stored = (
        BusinessUnitMember.objects.select_for_update()
        .select_related("business_unit", "user")
        .filter(pk=member.pk)
        .first()
    )
    if stored is None:
        raise TransitionRefused(_("This person no longer works in that business unit."))
    unit, username = stored.business_unit, stored.user.get_username()
    audit_record(
        actor=by,
        action="framework.business_unit_member_removed",
        summary=f"Removed {username} from business unit “{unit.name}”",
        obj=unit,
        payload={"user": username},
    )
    stored.delete()
