from __future__ import annotations

from decimal import Decimal

from django import template

from value.selectors import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """``{{ amount|money:read.currency }}``: ``EUR 1,234.00``, a dash for none."""
    return format_money(amount, currency or None)
