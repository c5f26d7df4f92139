"""Custom fields of use cases: what a value of each kind may be, read from
text (a form, a CSV or XLSX cell) or from typed input (the API), written as
text (exports, the pack, the use case page), and the portfolio filter on it.

Values are stored in ``UseCase.custom_values`` keyed by the field's key:

| kind | stored as | text form (``parse_value`` / ``format_value``) |
|---|---|---|
| text | a string (up to 500 characters) | the text |
| number | a JSON number (an integer when whole) | ``1250`` or ``12.5`` |
| date | an ISO date string | ``2026-03-31`` |
| choice | one of the field's choices | the choice |
| multi_choice | a list of choices, in the field's order | choices joined by ``; `` |
| person | a user id | ``username`` or ``Full Name (username)`` |

An empty value is no value: the key is removed.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import Contains, Exact, IContains
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from core.web import display_name
from usecases.models import CustomField, CustomFieldKind, Stage

User = get_user_model()

KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
TEXT_MAX_LENGTH = 500
CHOICE_MAX_LENGTH = 100
CHOICES_MAX = 100
NUMBER_LIMIT = Decimal("1e15")
MULTI_SEPARATOR = ";"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PERSON_TEXT = re.compile(r".*\(([^()]+)\)\s*")

Value = str | int | float | list[str] | None


def active_fields() -> list[CustomField]:
    """The active definitions in their order: one query."""
    return list(CustomField.objects.filter(active=True).order_by("order", "label", "id"))


def field_error(field: CustomField, message: str) -> InvalidInput:
    return InvalidInput(message, field=f"custom_fields.{field.key}")


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


# --- From text ---------------------------------------------------------------------


def parse_value(field: CustomField, raw: str) -> Value:
    """The stored value of ``raw``, the text of a form, a CSV or an XLSX cell
    (``format_value`` writes what this reads back). Empty text is no value
    (None). Raises InvalidInput naming the field and what it expects."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    kind = field.kind
    if kind == CustomFieldKind.NUMBER:
        try:
            number = Decimal(text.replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise field_error(field, _number_message(field)) from None
        return _clean_number(field, number)
    if kind == CustomFieldKind.DATE:
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise field_error(field, _date_message(field)) from None
    if kind == CustomFieldKind.CHOICE:
        return _match_choice(field, text)
    if kind == CustomFieldKind.MULTI_CHOICE:
        parts = [part.strip() for part in text.split(MULTI_SEPARATOR) if part.strip()]
        return _clean_choices(field, [_match_choice(field, part) for part in parts])
    if kind == CustomFieldKind.PERSON:
        match = _PERSON_TEXT.fullmatch(text)
        username = match.group(1).strip() if match else text
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise field_error(
                field,
                _("%(label)s: no active user is called “%(name)s”.")
                % {"label": field.label, "name": username[:150]},
            )
        return user.pk
    return _clean_text(field, text)


def _match_choice(field: CustomField, text: str) -> str:
    for choice in field.choices:
        if choice.casefold() == text.casefold():
            return choice
    raise field_error(field, _choice_message(field, text))


# --- From typed input (the API, the forms) -----------------------------------------------


def clean_value(field: CustomField, value: Any) -> Value:
    """The stored value of a typed ``value`` (JSON from the API, the cleaned
    data of a form): None when empty. Raises InvalidInput naming the field."""
    if _is_empty(value):
        return None
    kind = field.kind
    if kind == CustomFieldKind.TEXT:
        if not isinstance(value, str):
            raise field_error(field, _("%(label)s must be a text.") % {"label": field.label})
        return _clean_text(field, value)
    if kind == CustomFieldKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise field_error(field, _number_message(field))
        if isinstance(value, float) and not math.isfinite(value):
            raise field_error(field, _number_message(field))
        return _clean_number(field, Decimal(str(value)))
    if kind == CustomFieldKind.DATE:
        if isinstance(value, datetime.datetime):
            raise field_error(field, _date_message(field))
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not isinstance(value, str):
            raise field_error(field, _date_message(field))
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise field_error(field, _date_message(field)) from None
    if kind == CustomFieldKind.CHOICE:
        if not isinstance(value, str) or value not in field.choices:
            raise field_error(field, _choice_message(field, value))
        return value
    if kind == CustomFieldKind.MULTI_CHOICE:
        if not isinstance(value, list | tuple):
            raise field_error(
                field,
                _("%(label)s takes a list of choices from: %(choices)s.")
                % {"label": field.label, "choices": ", ".join(field.choices)},
            )
        for item in value:
            if not isinstance(item, str) or item not in field.choices:
                raise field_error(field, _choice_message(field, item))
        return _clean_choices(field, list(value))
    if kind == CustomFieldKind.PERSON:
        user_id = getattr(value, "pk", value)
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise field_error(field, _("%(label)s takes a user id.") % {"label": field.label})
        if (
            not (0 < user_id < 2**63)
            or not User.objects.filter(pk=user_id, is_active=True).exists()
        ):
            raise field_error(
                field,
                _("%(label)s: no active user has the id %(id)s.")
                % {"label": field.label, "id": user_id},
            )
        return user_id
    raise field_error(field, _("Unknown kind of field."))


def clean_values(
    fields: Iterable[CustomField], values: Any, *, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The use case's values after applying ``values`` ({key: typed value},
    None or empty to clear) to ``current``: keys not sent keep their value.
    Every key must name an active field."""
    if not isinstance(values, Mapping):
        raise InvalidInput(
            _("Custom fields are an object keyed by the field's key."), field="custom_fields"
        )
    by_key = {field.key: field for field in fields}
    result = dict(current or {})
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            raise InvalidInput(
                _("No active custom field has the key “%(key)s”.") % {"key": str(key)[:60]},
                field=f"custom_fields.{str(key)[:60]}",
            )
        cleaned = clean_value(field, value)
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    return result


def _clean_text(field: CustomField, text: str) -> str:
    text = text.strip()
    if "\x00" in text or _CONTROL.search(text):
        raise field_error(
            field,
            _("%(label)s may not hold control characters.") % {"label": field.label},
        )
    if len(text) > TEXT_MAX_LENGTH:
        raise field_error(
            field,
            _("%(label)s is longer than %(max)s characters.")
            % {"label": field.label, "max": TEXT_MAX_LENGTH},
        )
    return text


def _clean_number(field: CustomField, number: Decimal) -> int | float:
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise field_error(field, _number_message(field))
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _clean_choices(field: CustomField, chosen: list[str]) -> list[str]:
    # The field's order, each once.
    return [choice for choice in field.choices if choice in chosen]


def _number_message(field: CustomField) -> str:
    return _(
        "%(label)s must be a number, for example 1250 or 12.5 (less than a million billion)."
    ) % {"label": field.label}


def _date_message(field: CustomField) -> str:
    return _("%(label)s must be a date written YYYY-MM-DD, for example 2026-03-31.") % {
        "label": field.label
    }


def _choice_message(field: CustomField, value: Any) -> str:
    return _("%(label)s: “%(value)s” is not a choice. Choose from: %(choices)s.") % {
        "label": field.label,
        "value": str(value)[:100],
        "choices": ", ".join(field.choices),
    }


# --- To text -------------------------------------------------------------------------


def people_names(fields: Iterable[CustomField], rows: Iterable[Any]) -> dict[int, str]:
    """The names of the people the person fields of ``rows`` (use cases) name:
    one query, none when no person field has a value."""
    keys = [f.key for f in fields if f.kind == CustomFieldKind.PERSON]
    ids = {
        value
        for row in rows
        for key in keys
        if isinstance(value := (row.custom_values or {}).get(key), int)
    }
    if not ids:
        return {}
    return {user.pk: person_text(user) for user in User.objects.filter(pk__in=ids)}


def person_text(user: Any) -> str:
    name = display_name(user)
    username = user.get_username()
    return username if name == username else f"{name} ({username})"


def format_value(field: CustomField, value: Any, *, people: Mapping[int, str] | None = None) -> str:
    """The text of a stored value ("" when empty), as exports, the pack and
    the page show it; ``parse_value`` reads it back. Person fields read the
    user unless ``people`` (``people_names``) already holds the name."""
    if _is_empty(value):
        return ""
    kind = field.kind
    if kind == CustomFieldKind.MULTI_CHOICE and isinstance(value, list):
        return f"{MULTI_SEPARATOR} ".join(str(item) for item in value)
    if kind == CustomFieldKind.PERSON and isinstance(value, int):
        if people is not None and value in people:
            return people[value]
        user = User.objects.filter(pk=value).first()
        return person_text(user) if user is not None else f"#{value}"
    if kind == CustomFieldKind.NUMBER and isinstance(value, float):
        return format(Decimal(str(value)), "f")
    return str(value)


def display_rows(
    fields: Iterable[CustomField], use_case: Any, *, people: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """Label, text and whether it is required (and missing) for each field,
    for the use case page and the pack."""
    fields = list(fields)
    if people is None:
        people = people_names(fields, [use_case])
    values = use_case.custom_values or {}
    stage = use_case.stage
    next_stage = Stage(stage).next if stage in Stage.values else None
    rows = []
    for field in fields:
        text = format_value(field, values.get(field.key), people=people)
        needed = field.required_for_target(stage) or (
            next_stage is not None and field.required_for_target(next_stage)
        )
        rows.append(
            {
                "key": field.key,
                "label": field.label,
                "kind": field.kind,
                "text": text,
                "required_from": field.required_from,
                "needed": needed,
                "missing": needed and not text,
            }
        )
    return rows


def typed_values(fields: Iterable[CustomField], use_case: Any) -> dict[str, Value]:
    """The API's object: every active field's key with its value, None when empty."""
    values = use_case.custom_values or {}
    return {field.key: values.get(field.key) for field in fields}


# --- Required from a stage -------------------------------------------------------------


def missing_for_target(
    fields: Iterable[CustomField], values: Mapping[str, Any] | None, target: str
) -> list[CustomField]:
    """The fields a gate review into ``target`` needs and ``values`` lacks."""
    values = values or {}
    return [f for f in fields if f.required_for_target(target) and _is_empty(values.get(f.key))]


def required_message(field: CustomField) -> str:
    return _("Custom field “%(label)s” is required from %(stage)s on") % {
        "label": field.label,
        "stage": field.required_from.label if field.required_from else "",
    }


# --- Filtering -------------------------------------------------------------------------


def filter_q(field: CustomField, value: Any) -> Q:
    """Use cases whose ``field`` holds ``value``: jsonb containment on
    PostgreSQL (served by the GIN index on ``custom_values``), the key's text
    elsewhere. Text fields match a part of the text, any case. The key is an
    expression, never a lookup path, so no key can read as a lookup name."""
    key = field.key
    if field.kind != CustomFieldKind.TEXT and connection.vendor == "postgresql":
        item: Any = [value] if field.kind == CustomFieldKind.MULTI_CHOICE else value
        return Q(custom_values__contains={key: item})
    # The key's value as plain text (a list keeps its JSON form).
    text = Cast(KeyTextTransform(key, "custom_values"), output_field=TextField())
    if field.kind == CustomFieldKind.TEXT:
        return Q(IContains(text, str(value)))
    if field.kind == CustomFieldKind.MULTI_CHOICE:
        return Q(Contains(text, json.dumps(str(value))))
    return Q(Exact(text, str(value)))


def uses_of(field: CustomField, value: Any, queryset: Any) -> int:
    """How many use cases of ``queryset`` hold ``value`` in ``field``."""
    return queryset.filter(filter_q(field, value)).count()
