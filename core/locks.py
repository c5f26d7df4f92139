"""PostgreSQL advisory locks, for writers that must go one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def advisory_xact_lock(key: int) -> None:
    """Hold the advisory lock ``key`` (a bigint) until the transaction ends:
    whoever takes it next waits for the commit, then sees what was written.
    SQLite serialises writers itself, so there it does nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@contextmanager
def advisory_session_lock(key: int) -> Iterator[bool]:
    """Try the advisory lock ``key`` for the database session, without
    waiting: True when this session holds it (until the block ends, or the
    session does: a process killed part-way lets the next one take it),
    False when another does. SQLite serialises writers itself: True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (held,) = cursor.fetchone()
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
