"""Validators any app's fields share."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from core.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def single_line(value: str) -> None:
    """A title-like text: one line, no control characters (a line break in a
    title would end up in e-mail headers and page titles)."""
    if _CONTROL.search(value or ""):
        raise ValidationError(
            gettext("Use a single line without line breaks or control characters."),
            code="single_line",
        )


REASON_MAX_LENGTH = 2000


def clean_reason(reason: str | None, *, required: str) -> str:
    """A reason a person must give (a reclassification, an unbinding, a
    reassignment): stripped, non-empty (else ``required`` is the message) and
    at most 2,000 characters. Raises InvalidInput on the ``reason`` field."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(required, field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(gettext("The reason is longer than 2,000 characters."), field="reason")
    return reason
