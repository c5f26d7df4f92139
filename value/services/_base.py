"""Shared by every value action: the lock that checks who writes, and amounts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from core.errors import InvalidInput
from usecases.models import UseCase
from value import rules

# The largest amount a cost line, benefit or realisation takes: ten trillion,
# far below what the column holds (16 digits, 2 after the point).
MAX_AMOUNT = Decimal(10) ** 13
CENT = Decimal("0.01")
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def lock_use_case(use_case: UseCase | int, by: Any) -> UseCase:
    pk = use_case if isinstance(use_case, int) else use_case.pk
    locked = UseCase.objects.select_for_update().get(pk=pk)
    rules.ensure_can_edit(by, locked)
    return locked


def clean_amount(raw: Any, *, field: str, label: str, required: bool = True) -> Decimal | None:
    """An amount of money as a Decimal with at most two decimals, from 0 to
    MAX_AMOUNT; blank is None when not ``required``. Refuses with the field named."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise InvalidInput(gettext("Give the %(label)s.") % {"label": label}, field=field)
        return None
    if isinstance(raw, bool | float):
        raise InvalidInput(
            gettext("The %(label)s must be written as a decimal number.") % {"label": label},
            field=field,
        )
    text = raw.strip() if isinstance(raw, str) else str(raw)
    # Commas only as thousands separators (1,234,567.89): "1,5" is refused,
    # never read as fifteen.
    if "," in text:
        if not THOUSANDS.fullmatch(text):
            raise InvalidInput(
                gettext(
                    "The %(label)s “%(raw)s” is not an amount: write it as 1234.56 "
                    "(commas only between thousands)."
                )
                % {"label": label, "raw": str(raw)[:40]},
                field=field,
            )
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            gettext("The %(label)s “%(raw)s” is not an amount.")
            % {"label": label, "raw": str(raw)[:40]},
            field=field,
        ) from None
    if not value.is_finite():
        raise InvalidInput(
            gettext("The %(label)s “%(raw)s” is not an amount.")
            % {"label": label, "raw": str(raw)[:40]},
            field=field,
        )
    if value < 0:
        raise InvalidInput(
            gettext("The %(label)s cannot be negative.") % {"label": label}, field=field
        )
    if value > MAX_AMOUNT:
        raise InvalidInput(
            gettext("The %(label)s is too large: at most 10,000,000,000,000.") % {"label": label},
            field=field,
        )
    if value != value.quantize(CENT):
        raise InvalidInput(
            gettext("The %(label)s has more than two decimals.") % {"label": label}, field=field
        )
    return value.quantize(CENT)


def clean_text(raw: Any, *, field: str, label: str, max_length: int) -> str:
    text = (raw or "").strip() if isinstance(raw, str | type(None)) else str(raw).strip()
    if len(text) > max_length:
        raise InvalidInput(
            gettext("The %(label)s is longer than %(max)s characters.")
            % {"label": label, "max": f"{max_length:,}"},
            field=field,
        )
    return text


def money_json(value: Decimal | None) -> str | None:
    """An amount as the audit payload keeps it: a string, exact."""
    return None if value is None else f"{value:.2f}"
