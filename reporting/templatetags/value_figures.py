"""Figures of the value panel, formatted once in Python: the panel shows
some hundred amounts, and ``floatformat|intcomma`` costs a regex loop each."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def amount(value: Decimal | int | float | str | None) -> str:
    """1234567.5 → "1,234,568" (in German "1.234.568"); nothing (or not a
    number) → "—"."""
    try:
        whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return "—"
    return number_format(int(whole), force_grouping=True)
