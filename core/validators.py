"""Validators any app's fields share."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def single_line(value: str) -> None:
    """A title-like text: one line, no control characters (a line break in a
    title would end up in e-mail headers and page titles)."""
    if _CONTROL.search(value or ""):
        raise ValidationError(
            "Use a single line without line breaks or control characters.", code="single_line"
        )
