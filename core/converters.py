"""The ``<id:...>`` path converter: a row id, 1 to 2**63 - 1. A larger number
names no row; matching it as ``<int:...>`` would reach the database, where
SQLite raises OverflowError (a 500). Here it simply does not match: a 404."""

from __future__ import annotations

from core.web import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(f"{value} is not a row id")  # Django answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
