"""Shared by every readiness action: limits, the lock that checks who writes, score parsing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.errors import InvalidInput
from readiness import rules
from usecases.models import UseCase

# Items scored at or below this need work first when the PoC lands in the
# conditional band; when none do, the lowest-scored items are named instead.
LOW_SCORE_AT_MOST = 2
MAX_IMPORT_BYTES = 1024 * 1024
IMPORT_TOO_LARGE = "The file is larger than 1 MB."
MAX_REPORTED_ERRORS = 50
MAX_VALUE = Decimal("1e14")


def _lock(use_case: UseCase, by: Any) -> UseCase:
    locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
    rules.ensure_can_write(by, locked)
    return locked


def _score(raw: Any, field: str, label: str) -> int:
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip() in {"1", "2", "3", "4", "5"}:
        value = int(raw.strip())
    if value is None or not 1 <= value <= 5:
        raise InvalidInput(
            _("%(label)s must be a whole number from 1 to 5.") % {"label": label}, field=field
        )
    return value


def clean_value(raw: Any, label: str = "value") -> Decimal:
    """A measurement or target as a Decimal, refusing what the column cannot
    hold. Raises ValueError with a message a person can act on."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"{label} is required")
    text = raw.strip() if isinstance(raw, str) else str(raw)
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(f"{label} “{str(raw)[:40]}” is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{label} “{str(raw)[:40]}” is not a number")
    # Checked again after rounding to the column's 4 decimal places:
    # 99999999999999.99999 is below 1e14 but rounds to it, one digit more
    # than DecimalField(max_digits=18, decimal_places=4) holds.
    if abs(value) >= MAX_VALUE or abs(rounded := value.quantize(Decimal("0.0001"))) >= MAX_VALUE:
        raise ValueError(f"{label} is too large: at most 99,999,999,999,999.9999")
    return rounded


def _choice(raw: Any, choices: type, field: str) -> str:
    if raw not in choices.values:
        raise InvalidInput(
            _("Must be one of: %(values)s.") % {"values": ", ".join(choices.values)}, field=field
        )
    return raw


def _decimal_field(raw: Any, field: str, label: str, required: bool = True) -> Decimal | None:
    if raw in (None, "") and not required:
        return None
    try:
        return clean_value(raw, label)
    except ValueError as exc:
        message = str(exc)
        raise InvalidInput(message[0].upper() + message[1:] + ".", field=field) from None
