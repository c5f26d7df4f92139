"""PostgreSQL advisory locks, for writers that must go one at a time."""

from __future__ import annotations

from django.db import connection


def advisory_xact_lock(key: int) -> None:
    """Hold the advisory lock ``key`` (a bigint) until the transaction ends:
    whoever takes it next waits for the commit, then sees what was written.
    SQLite serialises writers itself, so there it does nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
