"""Custom fields of use cases, defined by administrators: create, change,
deactivate (values are kept; an inactive field is hidden everywhere)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused
from core.validators import single_line
from usecases import custom_fields
from usecases.models import CustomField, CustomFieldKind, Stage, UseCase

CUSTOM_FIELD_FIELDS = (
    "key",
    "label",
    "help_text",
    "kind",
    "choices",
    "required_from_stage",
    "active",
    "order",
)
# Changing either would strand the values already stored under it.
FIXED_AFTER_CREATE = ("key", "kind")


def custom_field_ensure_allowed(*, by: Any, action: str = "change") -> None:
    if not by.has_perm(f"usecases.{action}_customfield"):
        raise PermissionRefused(_("Only administrators define custom fields."))


def _values(field: CustomField, names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(field, name) for name in names}


def _text(value: Any, *, name: str, label: str, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("%(label)s must be a text.") % {"label": label}, field=name)
    value = value.strip()
    if required and not value:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=name)
    if len(value) > max_length:
        raise InvalidInput(
            _("%(label)s is longer than %(max)s characters.") % {"label": label, "max": max_length},
            field=name,
        )
    try:
        single_line(value)
    except Exception:
        raise InvalidInput(
            _("%(label)s must be a single line without control characters.") % {"label": label},
            field=name,
        ) from None
    return value


def _validate(field: CustomField) -> None:
    """Check and normalise every attribute of ``field`` in place."""
    key = field.key if isinstance(field.key, str) else ""
    if not custom_fields.KEY_PATTERN.fullmatch(key) or len(key) > 40:
        raise InvalidInput(
            _(
                "A key is up to 40 lower-case letters, digits and single underscores, "
                "starting with a letter (for example data_owner)."
            ),
            field="key",
        )
    field.label = _text(
        field.label, name="label", label=_("The label"), max_length=80, required=True
    )
    field.help_text = _text(
        field.help_text or "",
        name="help_text",
        label=_("The help text"),
        max_length=300,
        required=False,
    )
    if field.kind not in CustomFieldKind.values:
        raise InvalidInput(
            _("The kind must be one of: %(kinds)s.") % {"kinds": ", ".join(CustomFieldKind.values)},
            field="kind",
        )
    if field.required_from_stage is None:
        field.required_from_stage = ""
    if field.required_from_stage not in ("", *Stage.values):
        raise InvalidInput(
            _("The stage must be one of: %(stages)s.") % {"stages": ", ".join(Stage.values)},
            field="required_from_stage",
        )
    choices = field.choices if field.choices is not None else []
    if not isinstance(choices, list | tuple):
        raise InvalidInput(_("The choices are a list of texts."), field="choices")
    cleaned: list[str] = []
    for choice in choices:
        text = _text(
            choice,
            name="choices",
            label=_("A choice"),
            max_length=custom_fields.CHOICE_MAX_LENGTH,
            required=True,
        )
        if custom_fields.MULTI_SEPARATOR in text:
            raise InvalidInput(
                _("A choice may not contain “;”: it separates choices in exports."),
                field="choices",
            )
        if text.casefold() in {c.casefold() for c in cleaned}:
            raise InvalidInput(
                _("The choice “%(choice)s” is listed twice.") % {"choice": text}, field="choices"
            )
        cleaned.append(text)
    if len(cleaned) > custom_fields.CHOICES_MAX:
        raise InvalidInput(
            _("A field has at most %(max)s choices.") % {"max": custom_fields.CHOICES_MAX},
            field="choices",
        )
    if field.kind in (CustomFieldKind.CHOICE, CustomFieldKind.MULTI_CHOICE):
        if not cleaned:
            raise InvalidInput(_("A choice field needs at least one choice."), field="choices")
    elif cleaned:
        raise InvalidInput(_("Only choice fields have choices."), field="choices")
    field.choices = cleaned
    if isinstance(field.active, bool) is False:
        raise InvalidInput(_("Active is true or false."), field="active")
    if (
        isinstance(field.order, bool)
        or not isinstance(field.order, int)
        or not (0 <= field.order <= 32767)
    ):
        raise InvalidInput(_("The order is a whole number from 0 to 32767."), field="order")


@transaction.atomic
def custom_field_create(*, by: Any, field: CustomField) -> CustomField:
    custom_field_ensure_allowed(by=by, action="add")
    _validate(field)
    if CustomField.objects.filter(key=field.key).exists():
        raise InvalidInput(
            _("A custom field already has the key “%(key)s”.") % {"key": field.key}, field="key"
        )
    field.save()
    audit_record(
        actor=by,
        action="custom_field.created",
        summary=_("Added the custom field “%(label)s”") % {"label": field.label},
        obj=field,
        payload={"before": {}, "after": _values(field, CUSTOM_FIELD_FIELDS)},
    )
    return field


@transaction.atomic
def custom_field_change(
    *, by: Any, field: CustomField, fields: list[str] | tuple[str, ...]
) -> CustomField:
    """Save the named attributes of ``field`` (an instance holding the new
    values); only those that differ from the stored row are written and
    audited. The key and the kind never change; a choice still in use is
    not removed."""
    custom_field_ensure_allowed(by=by)
    unknown = [name for name in fields if name not in CUSTOM_FIELD_FIELDS]
    if unknown:
        raise InvalidInput(_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)})
    stored = CustomField.objects.select_for_update().get(pk=field.pk)
    fixed = [
        name
        for name in FIXED_AFTER_CREATE
        if name in fields and getattr(field, name) != getattr(stored, name)
    ]
    if fixed:
        raise InvalidInput(
            _("The key and the kind of a custom field never change: add a new field instead."),
            field=fixed[0],
        )
    candidate = CustomField(**_values(stored, CUSTOM_FIELD_FIELDS))
    for name in fields:
        setattr(candidate, name, getattr(field, name))
    _validate(candidate)
    before = _values(stored, fields)
    after = _values(candidate, fields)
    changed = [name for name in fields if before[name] != after[name]]
    if not changed:
        return stored
    if "choices" in changed:
        removed = [c for c in stored.choices if c not in candidate.choices]
        in_use = [c for c in removed if custom_fields.uses_of(stored, c, UseCase.objects.all())]
        if in_use:
            raise InvalidInput(
                _("Still chosen by use cases, so not removed: %(choices)s.")
                % {"choices": ", ".join(in_use)},
                field="choices",
            )
    for name in changed:
        setattr(stored, name, getattr(candidate, name))
    stored.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=by,
        action="custom_field.changed",
        summary=_("Custom field “%(label)s”: changed %(names)s")
        % {"label": stored.label, "names": ", ".join(changed)},
        obj=stored,
        payload={
            "before": {n: before[n] for n in changed},
            "after": {n: after[n] for n in changed},
        },
    )
    return stored


@transaction.atomic
def custom_field_deactivate(*, by: Any, field: CustomField) -> CustomField:
    """Hide a field everywhere; the values stay in the use cases (and in the
    audit trail), and making it active again shows them."""
    custom_field_ensure_allowed(by=by, action="delete")
    stored = CustomField.objects.select_for_update().get(pk=field.pk)
    if not stored.active:
        return stored
    stored.active = False
    stored.save(update_fields=["active", "updated_at"])
    audit_record(
        actor=by,
        action="custom_field.deactivated",
        summary=_("Deactivated the custom field “%(label)s”") % {"label": stored.label},
        obj=stored,
        payload={"before": {"active": True}, "after": {"active": False}},
    )
    return stored
