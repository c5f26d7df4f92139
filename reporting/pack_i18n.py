"""Dates of a gate pack in the pack's language.

The pack's data (hashed for its content hash) carries dates as English text
("02 Dec 2026", "02 Dec 2026 14:05 UTC") or ISO dates ("2026-12-02"). A pack
written in English prints them as they are; in another language they are
printed with that language's named formats (DATE_FORMAT, DATETIME_FORMAT).
Anything else is returned unchanged.
"""

from __future__ import annotations

import datetime

from django.utils import formats, translation

DAY = "%d %b %Y"
ISO_DAY = "%Y-%m-%d"
WHEN = "%d %b %Y %H:%M"


def _english() -> bool:
    return (translation.get_language() or "en").startswith("en")


def _parse(text: str, pattern: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(text, pattern)
    except ValueError:
        return None


def localised_when(text: str) -> str:
    """A date, or a date and time with its zone, in the active language."""
    if not isinstance(text, str) or not text or _english():
        return text
    parts = text.split(" ")
    if len(parts) >= 4:
        moment = _parse(" ".join(parts[:4]), WHEN)
        if moment is not None:
            shown = formats.date_format(moment, "DATETIME_FORMAT")
            return " ".join([shown, *parts[4:]])
    day = _parse(text, DAY) or _parse(text, ISO_DAY)
    if day is not None:
        return formats.date_format(day.date(), "DATE_FORMAT")
    return text
